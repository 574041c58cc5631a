#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tools/example/guest.sh: the guest half of tools/example.sh, run by
# tools/vm-run.sh as root in a fresh guest that has $CGSHARE_KO.
#
#   /example/a   weight 1   two CPU hogs
#   /example/b   weight 2   two CPU hogs
#   /example/c   weight 1   one loop busy 20 ms of every 100 ms (~0.2 CPU)
#
# Prints the config, `plan --explain`, runs `run` for about 20 s and
# measures each cgroup's CPU usage over its last 10 s from cpu.stat.
# Everything printed also goes to $CGSHARE_OUT/result.txt.

set -uo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CTL=${CGSHARE_CTL:-$ROOT/ctl/cgsharectl}
CONF=$ROOT/tools/example/cgshare.conf
OUT=${CGSHARE_OUT:-/tmp}
CG=/sys/fs/cgroup
EX=$CG/example
PORT=9858
PY=/usr/bin/python3
[[ -x $PY ]] || PY=python3
PIDS=()
RUN=

exec > >(tee "$OUT/result.txt") 2>&1

cleanup() {
	if [[ -n $RUN ]]; then kill -TERM "$RUN" 2>/dev/null; wait "$RUN" 2>/dev/null; fi
	((${#PIDS[@]})) && kill "${PIDS[@]}" 2>/dev/null
	for c in a b c; do
		while [[ -s $EX/$c/cgroup.procs ]]; do sleep 0.2; done
		[[ -d $EX/$c ]] && rmdir "$EX/$c"
	done
	[[ -d $EX ]] && rmdir "$EX"
}
trap cleanup EXIT

usage_usec() { sed -n 's/^usage_usec //p' "$EX/$1/cpu.stat"; }

# busy CGROUP: a CPU hog in CGROUP
busy() {
	sh -c "echo \$\$ >$EX/$1/cgroup.procs; exec sh -c 'while :; do :; done'" &
	PIDS+=($!)
}
# duty CGROUP: busy 20 ms, asleep 80 ms, over and over
duty() {
	"$PY" -c '
import os, sys, time
with open(sys.argv[1], "w") as f:
    f.write(str(os.getpid()))
while True:
    end = time.monotonic() + 0.020
    while time.monotonic() < end:
        pass
    time.sleep(0.080)' "$EX/$1/cgroup.procs" &
	PIDS+=($!)
}

if ! "$CTL" status >/dev/null 2>&1; then
	insmod "$CGSHARE_KO" || { echo "cannot load $CGSHARE_KO"; exit 1; }
fi
echo +cpu >$CG/cgroup.subtree_control
mkdir -p "$EX/a" "$EX/b" "$EX/c"
echo +cpu >"$EX/cgroup.subtree_control"
busy a; busy a
busy b; busy b
duty c
sleep 3		# let every cgroup be measured before planning

echo "\$ cat tools/example/cgshare.conf"
cat "$CONF"
echo
echo "\$ cgsharectl plan -c tools/example/cgshare.conf --explain"
"$CTL" plan -c "$CONF" --explain || exit 1
echo

"$CTL" run -c "$CONF" --restore --listen "127.0.0.1:$PORT" 2>"$OUT/run.log" &
RUN=$!
echo "\$ cgsharectl run -c tools/example/cgshare.conf --restore   (for 20 s)"
sleep 10	# the controller settles: demand window, then a few rounds
declare -A U0 U1
for c in a b c; do U0[$c]=$(usage_usec $c); done
t0=$(cut -d' ' -f1 /proc/uptime)
sleep 10
t1=$(cut -d' ' -f1 /proc/uptime)
for c in a b c; do U1[$c]=$(usage_usec $c); done
metrics=$("$PY" -c '
import sys, urllib.request
print(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())' \
	"http://127.0.0.1:$PORT/metrics")
declare -A MAX W
for c in a b c; do
	MAX[$c]=$(cat "$EX/$c/cpu.max")
	W[$c]=$(sed -n "s|^cgroup /example/$c weight \([0-9]*\).*|\1|p" "$CONF")
done
kill -TERM "$RUN"; wait "$RUN"; rc=$?; RUN=
echo "(run exited $rc; its log:)"
sed 's/^/  /' "$OUT/run.log"
echo

share() {
	printf '%s\n' "$metrics" | grep '^cgshare_share{' |
		grep "cgroup=\"/example/$1\"" | grep 'resource="cpu"' | awk '{ print $NF }'
}
window=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
echo "Measured over the last ${window} s of the run (cpu.stat usage_usec deltas):"
echo
{
	for c in a b c; do
		echo "$c ${W[$c]} ${MAX[$c]// /\/} $(share $c) ${U0[$c]} ${U1[$c]}"
	done
} | awk -v t="$window" '
	{ c[NR] = $1; w[NR] = $2; m[NR] = $3; s[NR] = $4
	  u[NR] = ($6 - $5) / 1e6 / t; S += $4; U += u[NR] }
	END {
		printf "| cgroup | weight | share (target) | cpu.max | measured usage | part of targets | part of usage |\n"
		printf "|---|---|---|---|---|---|---|\n"
		for (i = 1; i <= NR; i++)
			printf "| /example/%s | %d | %.2f CPUs | %s | %.2f CPUs | %.0f %% | %.0f %% |\n",
				c[i], w[i], s[i], m[i], u[i],
				(S > 0 ? 100 * s[i] / S : 0), (U > 0 ? 100 * u[i] / U : 0)
		printf "| total | | %.2f CPUs | | %.2f CPUs | | |\n", S, U
	}'
