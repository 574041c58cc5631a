#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The controller (cgsharectl run/apply) against the real module and real
# cgroupfs, inside a guest (tools/vm-run.sh), as root:
#   tools/vm-run.sh 6.1 OUT -- sh ctl/tests/guest-control.sh
# Loads $CGSHARE_KO if the family is missing. TAP output.
#
# Tree, all under one "run --restore", reconfigured with SIGHUP:
#
#   /cgctl            +cpu +memory for its children
#   ├── a   weight 1  two CPU hogs
#   ├── b   weight 2  two CPU hogs
#   ├── c   weight 1  two CPU hogs, then one ~0.2 CPU duty cycle, then removed
#   ├── m1            memory hog growing past its share       (after reload)
#   └── m2            holds 100M, well within its share       (after reload)
#
# Timing in a TCG guest on a shared 2-core host is noisy: vCPUs lose time
# to other guests, so the CPUs the guest delivers can be fewer than 2 and
# cgroups below their cpu.max then split what there is by cpu.weight.
# Usage is therefore compared as each cgroup's part of the total measured
# over a window of several seconds, against its part of the targets, with
# a 20 % relative tolerance for the three hogs at 1:2:1 (the limits add up
# to the guest's 2 CPUs, so each cgroup runs at its cpu.max and what sets
# the ratio is how often a host preemption lands at the end of a cgroup's
# quota and is charged past it: over 14 runs of a 6 s window the parts
# ranged 0.19-0.29 for a quarter and 0.44-0.59 for a half; the window is
# 12 s now; with no control at all the half would be a third), and
# 20 % for b:a once c's demand fell (both run
# near their cpu.max there, and a vCPU that loses time to the host lets one
# overrun its quota by a tick per period more than the other; 1.6-1.8 was
# seen on a loaded host with the limits written exactly 2:1, which the test
# checks to 10 %); no wall-clock duration is asserted. Nor is
# absolute usage: in TCG the scheduler clock (cpu.stat) and the guest's
# timekeeping (uptime) drift apart under load, by 30 % in our runs.
# cpu.max is only checked at ticks, so each CPU can overrun a quota by up
# to a tick (4 ms at HZ=250) per period: a 500 ms period keeps that under
# 2 % where 100 ms made it 0.1 CPU per cgroup. Phases wait for the
# controller to reach a state (polling, bounded) instead of sleeping a
# fixed time.

CTL=${CGSHARECTL:-$(dirname "$0")/../cgsharectl}
CG=/sys/fs/cgroup
T=$CG/cgctl
OUT=${CGSHARE_OUT:-/tmp}/ctl-control
CONF=$OUT/cgshare.conf
. "$(dirname "$0")/tap-lib.sh"
bail() { echo "Bail out! $*"; cleanup; exit 1; }
# ok_awk NAME AWK-CONDITION: the condition (over shell-substituted numbers)
ok_awk() {
	awk "BEGIN { exit !($2) }"
	rc=$?
	result $rc "$1"
	[ $rc = 0 ] || echo "#   false: $2"
}
quota() { cut -d' ' -f1 "$T/$1/cpu.max"; }
event() { sed -n "s/^$2 //p" "$T/$1/memory.events"; }
hog() {	# hog CGROUP: one busy loop in it
	sh -c "echo \$\$ >$T/$1/cgroup.procs; while :; do :; done" &
	echo $! >>"$OUT/pids.$1"
}
stop() {	# stop CGROUP: end its processes
	[ -f "$OUT/pids.$1" ] && kill $(cat "$OUT/pids.$1") 2>/dev/null
	rm -f "$OUT/pids.$1"
	while [ -s "$T/$1/cgroup.procs" ]; do sleep 0.2; done
}
cleanup() {
	[ -n "$RUN" ] && kill "$RUN" 2>/dev/null && wait "$RUN" 2>/dev/null
	for c in a b c m1 m2; do [ -d "$T/$c" ] && stop $c; done
	for c in a b c m1 m2; do [ -d "$T/$c" ] && rmdir "$T/$c"; done
	[ -d "$T" ] && rmdir "$T"
	"$CTL" bpf unpin >/dev/null 2>&1	# the guest as it was found
}
# until_ok SECONDS 'AWK-CONDITION': re-evaluated (eval) every second until
# true or SECONDS passed; the checks that follow say whether it was reached.
until_ok() {
	i=0
	while [ $i -lt "$1" ]; do
		eval "awk \"BEGIN { exit !($2) }\"" && return 0
		sleep 1
		i=$((i + 1))
	done
	echo "#   not reached in $1 s: $2"
}
# snap A B ...: "UPTIME USAGE_A USAGE_B ..." (s, usage_usec), read by one
# process so that the clock and the counters are read together: a process
# per file took seconds on the debug kernel beside the hogs, and the
# counters then spanned more time than the clock said
snap() {
	files=
	for c; do files="$files $T/$c/cpu.stat"; done
	# shellcheck disable=SC2086 # no spaces in the test's paths
	awk 'FILENAME == "/proc/uptime" { printf "%s", $1; next }
	     $1 == "usage_usec" { printf " %s", $2 }
	     END { print "" }' /proc/uptime $files
}
# window SECONDS A B ...: sets U_<cg> to the CPUs each used over it
# shellcheck disable=SC2034 # s0 and s1 are read by the eval
window() {
	secs=$1 i=1
	shift
	s0=$(snap "$@")
	sleep "$secs"
	s1=$(snap "$@")
	for c; do
		i=$((i + 1))
		eval "U_$c=\$(awk -v i=$i -v s0=\"\$s0\" -v s1=\"\$s1\" 'BEGIN { split(s0, a); split(s1, b); printf \"%.4f\", (b[i] - a[i]) / 1e6 / (b[1] - a[1]) }')"
	done
}

command -v python3 >/dev/null || bail "python3 needed for the workloads"
module_loaded
# The controller's sample: the dump and the cgroup iterator (cpu.max, ...)
bpffs_mounted
"$CTL" bpf pin >/dev/null || bail "cannot pin the cgroup iterator"
echo "+cpu +memory" >$CG/cgroup.subtree_control
mkdir -p $T/a $T/b $T/c
echo "+cpu +memory" >$T/cgroup.subtree_control
rm -f "$OUT"/pids.*

# Originals that --restore must bring back.
echo 50 >$T/a/cpu.weight
echo "max 100000" >$T/a/cpu.max
echo 100 >$T/b/cpu.weight

cat >"$CONF" <<EOF
interval 300ms
act-every 2
window 3
capacity cpu 2
cpu-period 500ms
enforce cpu both
enforce memory none
cgroup /cgctl/a weight 1
cgroup /cgctl/b weight 2
cgroup /cgctl/c weight 1
EOF

for c in a b c; do hog $c; hog $c; done

# -- a broken config: clear error, nothing written --
cat >"$OUT/broken.conf" <<EOF
interval 300ms
cgroup /cgctl/a weight 1
cgroup /cgctl/b weight two
EOF
before=$(cat $T/*/cpu.max $T/*/cpu.weight $T/*/memory.high | tr '\n' ' ')
"$CTL" apply -c "$OUT/broken.conf" 2>"$OUT/broken.err"
result $(( $? != 1 )) "apply with a broken config exits 1"
grep -q "broken.conf:3: bad weight: two" "$OUT/broken.err"
result $? "and names file, line and problem"
[ "$before" = "$(cat $T/*/cpu.max $T/*/cpu.weight $T/*/memory.high | tr '\n' ' ')" ]
result $? "and leaves every limit untouched"

"$CTL" apply -c "$CONF" --dry-run >"$OUT/dry.out" 2>&1
result $? "apply --dry-run exits 0"
grep -q "^/cgctl/b cpu.max: max 100000 -> .* (dry run)" "$OUT/dry.out" &&
	[ "$before" = "$(cat $T/*/cpu.max $T/*/cpu.weight $T/*/memory.high | tr '\n' ' ')" ]
result $? "apply --dry-run prints old -> new and writes nothing"

"$CTL" -j plan -c "$CONF" --explain >"$OUT/plan.json" 2>"$OUT/plan.err"
result $? "plan -j exits 0"
python3 - "$OUT/plan.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
m = {c["path"]: c["resources"]["cpu"] for c in d["cgroups"]}
s = [m["/cgctl/" + x]["share"] for x in "abc"]
ok = abs(s[0] - 0.5) < 0.02 and abs(s[1] - 1.0) < 0.02 and abs(s[2] - 0.5) < 0.02
ok = ok and all(m["/cgctl/" + x]["reason"] == "fair" for x in "abc")
print("#   plan shares", s)
sys.exit(0 if ok else 1)
EOF
result $? "plan: hogs at 1:2:1 on 2 CPUs get 0.5, 1.0, 0.5 (fair)"

# -- the daemon: three hogs at 1:2:1 --
"$CTL" run -c "$CONF" --restore --listen 127.0.0.1:19861 2>"$OUT/run.log" &
RUN=$!
sleep 5
# Liveness for alerts: the configured interval, and a last round no older
# than a few intervals by the guest's own clock.
python3 - <<'EOF'
import sys, time, urllib.request
body = urllib.request.urlopen("http://127.0.0.1:19861/metrics", timeout=10).read().decode()
v = {l.split()[0]: float(l.split()[1]) for l in body.splitlines()
     if l.startswith("cgshare_controller_")}
iv = v.get("cgshare_controller_interval_seconds")
age = time.time() - v.get("cgshare_controller_last_round_timestamp_seconds", 0)
print("#   interval %s s, last round %.2f s ago" % (iv, age))
sys.exit(0 if iv == 0.3 and -1 < age < 5 * 0.3 + 2 else 1)
EOF
result $? "run --listen: interval 0.3 s and a last round within 5 intervals"
window 12 a b c
echo "#   usage a=$U_a b=$U_b c=$U_c CPUs; cpu.max $(quota a) $(quota b) $(quota c)"
ok_awk "cpu.max set to 0.5, 1.0, 0.5 CPUs (±5 %)" \
	"$(quota a) >= 237500 && $(quota a) <= 262500 && $(quota b) >= 475000 && $(quota b) <= 525000 && $(quota c) >= 237500 && $(quota c) <= 262500"
tot="($U_a + $U_b + $U_c)"
ok_awk "measured usage a:b:c within 20 % of 1:2:1" \
	"$tot > 0 && ($U_a / $tot) >= 0.2 && ($U_a / $tot) <= 0.3 && ($U_b / $tot) >= 0.4 && ($U_b / $tot) <= 0.6 && ($U_c / $tot) >= 0.2 && ($U_c / $tot) <= 0.3"
[ "$(cat $T/b/cpu.weight)" = 200 ] && [ "$(cat $T/a/cpu.weight)" = 100 ]
result $? "cpu.weight from the weights: a 100, b 200"

# -- c's demand drops to ~0.2 CPU: a and b share the rest 2:1 --
stop c
python3 -c '
import time
while True:
    t = time.monotonic()
    while time.monotonic() - t < 0.02:
        pass
    time.sleep(0.08)' &
echo $! >"$OUT/pids.c"
echo $! >$T/c/cgroup.procs
until_ok 60 '$(quota a) > 275000'	# a above 0.55 CPU
sleep 3
window 8 a b c
qa=$(quota a) qb=$(quota b) qc=$(quota c)
echo "#   usage a=$U_a b=$U_b c=$U_c CPUs; cpu.max $qa $qb $qc"
ok_awk "c (duty cycle) uses little: under 0.4 CPUs" "$U_c < 0.4"
ok_awk "cpu.max of b is twice a's (±10 %)" "$qb >= 1.8 * $qa && $qb <= 2.2 * $qa"
# c, satisfied, may burst up to its weighted part of the 2 CPUs (1/4:
# what it would get, were it to ask for more); a and b split what c does
# not use. Their sum follows c's measured demand, re-planned every 0.6 s,
# and one reading on a loaded host once fell to 1.597 CPUs (c's duty
# cycle waiting behind the hogs): the median of five readings a second
# apart is what is checked.
qab=$(for _ in 1 2 3 4 5; do
	echo $(($(quota a) + $(quota b)))
	sleep 1
done | sort -n | sed -n 3p)
echo "#   a + b quota, median of 5 readings: $qab"
ok_awk "a and b got c's leftover: their quotas add up to 1.6 CPUs or more" \
	"$qab >= 800000"
ok_awk "c may burst to its weighted part, 0.5 CPU, no further (±10 %)" \
	"$qc >= 225000 && $qc <= 275000"
ok_awk "measured usage b:a within 20 % of 2:1" \
	"$U_a > 0 && $U_b / $U_a >= 1.6 && $U_b / $U_a <= 2.4"

# -- c removed mid-run: no error, a and b re-shared --
stop c
rmdir $T/c
result $? "c removed while run runs"
until_ok 30 '$(quota a) >= 325000'
sleep 2
kill -0 $RUN
result $? "run is still running"
grep -q "/cgctl/c: cgroup vanished" "$OUT/run.log"
result $? "run noted that c vanished"
! grep -q "failed\|writing" "$OUT/run.log"
result $? "and logged no error"
window 8 a b
echo "#   usage a=$U_a b=$U_b CPUs; cpu.max $(quota a) $(quota b)"
ok_awk "cpu.max: a 0.67, b 1.33 CPUs (±10 %)" \
	"$(quota a) >= 300000 && $(quota a) <= 366666 && $(quota b) >= 600000 && $(quota b) <= 733333"
ok_awk "measured usage b:a within 20 % of 2:1" \
	"$U_a > 0 && $U_b / $U_a >= 1.6 && $U_b / $U_a <= 2.4"

# -- SIGHUP with a broken file: the old config stays --
cp "$CONF" "$OUT/good.conf"
echo "frobnicate yes" >>"$CONF"
qa=$(quota a)
kill -HUP $RUN
sleep 2
grep -q "reload: keeping the old configuration: .*cgshare.conf:$(wc -l <"$CONF"): unknown directive 'frobnicate'" "$OUT/run.log"
result $? "SIGHUP with a broken file: old config kept, reason logged"
kill -0 $RUN && [ "$(quota a)" = "$qa" ]
result $? "and run goes on with the limits it had"

# -- memory: a hog past its share, a sibling within it --
stop a
stop b
mkdir $T/m1 $T/m2
cat >"$CONF" <<EOF
interval 300ms
act-every 2
window 3
capacity cpu 2
capacity memory 400M
floor memory 32M
headroom memory 16M
step memory 10%
enforce cpu both
enforce memory high
cgroup /cgctl/a weight 1
cgroup /cgctl/b weight 2
cgroup /cgctl/m1 weight 1
cgroup /cgctl/m2 weight 1
EOF
python3 -c '
import os, time
open("'$T'/m2/cgroup.procs", "w").write(str(os.getpid()))
b = b"\1" * (100 << 20)
while True: time.sleep(1)' &
echo $! >"$OUT/pids.m2"
# m1 is at 480M before the controller manages it, and keeps allocating
# 1M every 100 ms: memory.high must come down from max in steps.
python3 -c '
import os, time
open("'$T'/m1/cgroup.procs", "w").write(str(os.getpid()))
chunks = [b"\1" * (10 << 20) for i in range(48)]
while len(chunks) < 300:
    chunks.append(b"\1" * (1 << 20))
    time.sleep(0.1)
while True: time.sleep(1)' &
echo $! >"$OUT/pids.m1"
until_ok 60 '$(cat $T/m1/memory.current) >= 450 * 1048576'
kill -HUP $RUN
sleep 2
grep -q "reloaded .*cgshare.conf: 4 cgroups" "$OUT/run.log"
result $? "SIGHUP reloads a good file"
lowered() {
	grep "/cgctl/m1 memory.high: [0-9]* -> [0-9]*" "$OUT/run.log" |
		awk '$6 < $4 { n++ } END { print n + 0 }'
}
until_ok 60 '$(lowered) >= 2 && $(event m1 high) > 0'
sleep 3
high=$(cat $T/m1/memory.high)
cur1=$(cat $T/m1/memory.current)
cur2=$(cat $T/m2/memory.current)
echo "#   m1: memory.high $high current $cur1 events: high $(event m1 high) oom_kill $(event m1 oom_kill); m2: high $(cat $T/m2/memory.high) current $cur2"
grep "/cgctl/m1 memory.high" "$OUT/run.log" | sed 's/^/#   /' | tail -8
# Log lines: "cgsharectl: /cgctl/m1 memory.high: OLD -> NEW".
ok_awk "m1's memory.high was stepped down (at least 2 lowering steps)" "$(lowered) >= 2"
# A step takes at most 10 % of the lower of limit and usage; usage may sit
# a little below the old limit, hence 15 % against the old limit.
cliffs=$(grep "/cgctl/m1 memory.high: [0-9]* -> [0-9]*" "$OUT/run.log" |
	awk '$6 < 0.85 * $4 { n++ } END { print n + 0 }')
ok_awk "no step lowered memory.high by much more than 10 %" "$cliffs == 0"
ok_awk "m1 held near its share: memory.high at most 330M" "$high != \"max\" && $high <= 330 * 1048576"
ok_awk "m1 throttled: memory.events high rose" "$(event m1 high) > 0"
ok_awk "nothing OOM-killed in m1 or m2" "$(event m1 oom_kill) + $(event m2 oom_kill) == 0"
kill -0 $(cat "$OUT/pids.m1") && kill -0 $(cat "$OUT/pids.m2")
result $? "both memory workloads still alive"
ok_awk "m2 keeps its memory: current >= 100M" "$cur2 >= 100 * 1048576"
h2=$(cat $T/m2/memory.high)
ok_awk "m2's memory.high leaves room above its usage" "\"$h2\" == \"max\" || $h2 >= $cur2 + 8 * 1048576"

# -- SIGTERM with --restore: the limits found at start come back --
kill -TERM $RUN
wait $RUN
result $? "run exits 0 on SIGTERM"
RUN=
grep -q "SIG\|Terminated: exiting" "$OUT/run.log"
result $? "and says why it exits"
[ "$(cat $T/a/cpu.weight)" = 50 ] && [ "$(cat $T/a/cpu.max)" = "max 100000" ] &&
	[ "$(cat $T/b/cpu.weight)" = 100 ] && [ "$(cat $T/b/cpu.max)" = "max 100000" ]
result $? "--restore: a and b have their original cpu.max and cpu.weight"
[ "$(cat $T/m1/memory.high)" = max ] && [ "$(cat $T/m2/memory.high)" = max ]
result $? "--restore: m1 and m2 have memory.high max again"
sed 's/^/#   log: /' "$OUT/run.log" | grep -v "cpu\.max\|memory\.high\|cpu\.weight" | head -20

cleanup
echo "1..$n"
[ $failed = 0 ]
