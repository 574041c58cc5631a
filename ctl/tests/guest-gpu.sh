#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# cgsharectl gpu collect against the real module, inside a guest:
#   tools/vm-run.sh 6.12 OUT -- sh ctl/tests/guest-gpu.sh
# Loads $CGSHARE_KO if the family is missing. Tree:
#
#   /gpucollect
#   ├── a     a sleeping process PA: DRM client 10 (i915, render node),
#   │         and NVIDIA process of the stand-in libnvidia-ml.so.1
#   ├── b     a sleeping process PB: client 11, whose counters never move,
#   │         and client 12, whose drm- lines are all malformed
#   └── c     no process; a fake pid claims it, and it is removed mid-run
#
# The fdinfo source reads a fake /proc (a tmpfs tree: PID/cgroup is the real
# line, PID/fd/N links to /dev/dri/renderD128, PID/fdinfo/N the drm- keys).
# Invariants: a's busy-ns rises by exactly the engine-time deltas seen
# between rounds of one process (the first round of each process only
# sets baselines), b's does not move, memory is the last figure; a cgroup
# removed mid-run is counted as vanished, and malformed lines as bad,
# neither fails the run; NVML utilisation is charged as smUtil % of the
# time between samples, and memory of an ended process goes back to 0;
# nobody gets EPERM, a missing module "not loaded". TAP output.

CTL=${CGSHARECTL:-$(dirname "$0")/../cgsharectl}
STANDIN_DIR=$(cd "$(dirname "$0")/../gpu/tests" && pwd)
CG=/sys/fs/cgroup
T=$CG/gpucollect
P=/tmp/gpu-proc
OUT=${CGSHARE_OUT:-/tmp}/ctl-gpu
DEV=i915:renderD128
NVDEV=00000000:01:00.0
. "$(dirname "$0")/tap-lib.sh"
loaded() { grep -q "^cgshare " /proc/modules; }

# gpu CGROUP DEV KEY: that counter of the cgroup's device, -1 when absent
gpu() {
	"$CTL" -j stats "$1" >"$OUT/stats.json" 2>"$OUT/stats.err" || { echo -2; return; }
	python3 -c 'import json,sys
d=json.load(open(sys.argv[1]))["cgroups"][0]
print(sum(g.get(sys.argv[3], 0) for g in d.get("gpu", []) if g["dev"] == sys.argv[2]) if any(g["dev"] == sys.argv[2] for g in d.get("gpu", [])) else -1)' \
		"$OUT/stats.json" "$2" "$3"
}
# base CGROUP DEV KEY: the same, 0 when absent (a counter not started)
base() { v=$(gpu "$@"); [ "$v" = -1 ] && v=0; echo "$v"; }
# rounds FILE N: waits (60 s at most) until FILE has N round objects
rounds() {
	i=0
	while [ "$(grep -c '"event":"round"' "$1" 2>/dev/null)" -lt "$2" ]; do
		i=$((i + 1))
		[ $i -gt 600 ] && return 1
		sleep 0.1
	done
}
# jround FILE N EXPR: EXPR over r, the Nth round object of FILE
jround() {
	python3 -c 'import json,sys
rs=[json.loads(l) for l in open(sys.argv[1]) if l.strip()]
r=[x for x in rs if x["event"] == "round"][int(sys.argv[2]) - 1]
sys.exit(0 if eval(sys.argv[3]) else 1)' "$@"
}

# fake_client PID FD CGROUP-LINE then fdinfo lines on stdin
fake_client() {
	mkdir -p "$P/$1/fd" "$P/$1/fdinfo"
	echo "$3" >"$P/$1/cgroup"
	ln -sfn /dev/dri/renderD128 "$P/$1/fd/$2"
	cat >"$P/$1/fdinfo/$2.tmp"
	mv "$P/$1/fdinfo/$2.tmp" "$P/$1/fdinfo/$2"
}
# client_a RENDER_NS MEM_KIB: a's client 10
client_a() {
	fake_client "$PA" 3 "$(cat /proc/$PA/cgroup)" <<-EOF
	pos:	0
	flags:	02100002
	drm-driver:	i915
	drm-client-id:	10
	drm-engine-render:	$1 ns
	drm-engine-video:	5 ns
	drm-total-system0:	$2 KiB
	EOF
}
client_b() {
	fake_client "$PB" 4 "$(cat /proc/$PB/cgroup)" <<-EOF
	drm-driver:	i915
	drm-client-id:	11
	drm-engine-render:	777 ns
	drm-total-system0:	8 KiB
	EOF
}
garbage_b() {	# garbage_b N: client 12, three malformed lines
	fake_client "$PB" 5 "$(cat /proc/$PB/cgroup)" <<-EOF
	drm-driver:	i915
	drm-client-id:	12
	drm-engine-render:	-$1 ns
	drm-engine-copy:	$1 parsecs
	drm-total-system0:	lots
	EOF
}

command -v python3 >/dev/null || bail "python3 needed to parse JSON"
loaded || insmod "$CGSHARE_KO" || bail "cannot load $CGSHARE_KO"

mkdir -p $T/a $T/b $T/c
sh -c "echo \$\$ >$T/a/cgroup.procs; exec sleep 1000" &
PA=$!
sh -c "echo \$\$ >$T/b/cgroup.procs; exec sleep 1000" &
PB=$!
sleep 0.5
rm -rf "$P"
mkdir -p "$P"
mount -t tmpfs gpu-proc "$P" || bail "cannot mount a tmpfs on $P"

# --- fdinfo: one process, two rounds --------------------------------------
client_a 1000 1024
client_b
garbage_b 5
fake_client 4242 3 "0::/gpucollect/c" <<-EOF
drm-driver:	i915
drm-client-id:	13
drm-engine-render:	100 ns
drm-total-system0:	4 KiB
EOF
A0=$(base /gpucollect/a $DEV busy_ns)
B0=$(base /gpucollect/b $DEV busy_ns)
P0=$(base /gpucollect $DEV busy_ns)
"$CTL" -j -v gpu collect --proc "$P" --count 2 --interval 3 --source fdinfo \
	>"$OUT/r1.json" 2>"$OUT/r1.err" &
C=$!
# Held stopped while the files change, so that its second round sees all
# of the change however slowly this guest runs (a loaded host stretched
# these steps past the interval).
rounds "$OUT/r1.json" 1 || echo "# no first round within 60 s"
kill -STOP $C
client_a 700001000 2048		# render +700000000 ns
garbage_b 7
rmdir $T/c
rm -rf "$P/4242"
kill -CONT $C
wait $C
result $? "fdinfo: collect --count 2 exits 0"
check "fdinfo: a start object, then one object per round" python3 -c '
import json, sys
ev = [json.loads(l)["event"] for l in open(sys.argv[1])]
sys.exit(0 if ev == ["start", "round", "round"] else 1)' "$OUT/r1.json"
check "fdinfo: round 1 sees 4 clients in 3 cgroups, charges busy 0" \
	jround "$OUT/r1.json" 1 'r["fdinfo"]["clients"] == 4 and r["charged"] == 3 and r["busy_ns"] == 0'
A1=$(gpu /gpucollect/a $DEV busy_ns)
result $(( A1 - A0 != 700000000 )) "fdinfo: a's busy-ns rose by exactly 700000000 ($A0 -> $A1)"
B1=$(gpu /gpucollect/b $DEV busy_ns)
result $(( B1 != B0 )) "fdinfo: b's busy-ns did not move ($B0 -> $B1)"
P1=$(gpu /gpucollect $DEV busy_ns)
result $(( P1 - P0 != 700000000 )) "fdinfo: the parent rolls a's time up ($P0 -> $P1)"
M=$(gpu /gpucollect/a $DEV mem_bytes)
result $(( M != 2048 * 1024 )) "fdinfo: a's memory is the last figure, 2 MiB ($M)"
M=$(gpu /gpucollect/b $DEV mem_bytes)
result $(( M != 8 * 1024 )) "fdinfo: b's memory is 8 KiB ($M)"
check "fdinfo: malformed lines counted in each round, charged nothing" \
	jround "$OUT/r1.json" 2 'r["fdinfo"]["bad_lines"] == 3 and r["busy_ns"] == 700000000'
check "fdinfo: c, removed mid-run, counted as vanished" \
	jround "$OUT/r1.json" 2 'r["vanished"] == 1 and r["refused"] == 0 and r["deferred"] == 0'
check "fdinfo: -v names the vanished cgroup" \
	grep -q "/gpucollect/c (fdinfo, $DEV): cgroup vanished" "$OUT/r1.err"
check "fdinfo: nothing else on stderr is an error" \
	sh -c "! grep -v -e 'gpu collect: fdinfo: on' -e 'nvml: off: not selected' -e 'vanished before' -e 'family cgshare has id' -e 'stopped after' '$OUT/r1.err'"

# A second process: its first round is a baseline again, so the time
# between the two runs is not charged, and nothing is charged twice.
client_a 900001000 2048		# +200000000 while nobody watched
"$CTL" -j gpu collect --proc "$P" --count 2 --interval 2 --source fdinfo \
	>"$OUT/r2.json" 2>"$OUT/r2.err" &
C=$!
rounds "$OUT/r2.json" 1 || echo "# no first round within 60 s"
kill -STOP $C
client_a 900051000 1024		# +50000
kill -CONT $C
wait $C
result $? "fdinfo: a second collect exits 0"
A2=$(gpu /gpucollect/a $DEV busy_ns)
result $(( A2 - A1 != 50000 )) "fdinfo: a rose by the second run's delta only ($A1 -> $A2)"
M=$(gpu /gpucollect/a $DEV mem_bytes)
result $(( M != 1024 * 1024 )) "fdinfo: a's memory went down to 1 MiB ($M)"

# --- sources off, privileges, signals ------------------------------------
env -u LD_LIBRARY_PATH "$CTL" gpu collect -v --proc "$P" --count 2 \
	--interval 0.2 >"$OUT/nonv.out" 2>"$OUT/nonv.err"
result $? "no NVIDIA: collect still exits 0"
check "-v: a text line per round" \
	sh -c "[ \$(grep -c '^round [12]: charged 2 (busy 0.00s, mem 1.0M), vanished 0' '$OUT/nonv.out') = 2 ]"
check "no NVIDIA: nvml off said once, with the loader's reason" \
	sh -c "[ \$(grep -c 'nvml: off: cannot load libnvidia-ml.so.1' '$OUT/nonv.err') = 1 ] && grep -q 'cannot open shared object file' '$OUT/nonv.err'"

if command -v setpriv >/dev/null; then
	A3=$(gpu /gpucollect/a $DEV busy_ns)
	client_a 990051000 1024
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
		"$CTL" gpu collect --proc "$P" --once >"$OUT/perm.out" 2>"$OUT/perm.err"
	result $(( $? != 1 )) "unprivileged: collect exits 1"
	check "unprivileged: says EPERM and what it needs" \
		grep -q "Operation not permitted; charging needs CAP_NET_ADMIN" "$OUT/perm.err"
	result $(( $(gpu /gpucollect/a $DEV busy_ns) != A3 )) "unprivileged: nothing charged"
else
	skip "unprivileged: collect exits 1" "no setpriv in the guest"
	skip "unprivileged: says EPERM and what it needs" "no setpriv in the guest"
	skip "unprivileged: nothing charged" "no setpriv in the guest"
fi

"$CTL" gpu collect --proc "$P" --interval 0.5 >"$OUT/sig.out" 2>"$OUT/sig.err" &
C=$!
sleep 2
kill -TERM $C
wait $C
result $? "SIGTERM ends the loop, exit 0"
"$CTL" gpu collect --proc "$P" --interval 0.5 >"$OUT/sig.out" 2>"$OUT/sig.err" &
C=$!
sleep 2
kill -INT $C
wait $C
result $? "SIGINT ends the loop, exit 0"

# --- NVML through the stand-in library -----------------------------------
if [ -f "$STANDIN_DIR/libnvidia-ml.so.1" ]; then
	S=$OUT/nvml.script
	printf 'dev %s\nproc 0 %s 268435456\nsample 0 %s 1000000 50\n' \
		$NVDEV "$PA" "$PA" >"$S"
	N0=$(base /gpucollect/a $NVDEV busy_ns)
	LD_LIBRARY_PATH=$STANDIN_DIR NVML_STANDIN_SCRIPT=$S \
		"$CTL" -j gpu collect --source nvml --count 3 --interval 2 \
		>"$OUT/nv.json" 2>"$OUT/nv.err" &
	C=$!
	rounds "$OUT/nv.json" 1 || echo "# no first round within 60 s"
	# a sample 2 s after the baseline at 50 %: 1 s of GPU time
	kill -STOP $C
	printf 'dev %s\nproc 0 %s 268435456\nsample 0 %s 1000000 50\nsample 0 %s 3000000 50\n' \
		$NVDEV "$PA" "$PA" "$PA" >"$S.tmp" && mv "$S.tmp" "$S"
	kill -CONT $C
	rounds "$OUT/nv.json" 2 || echo "# no second round within 60 s"
	# then the process ends: no proc line
	kill -STOP $C
	printf 'dev %s\n' $NVDEV >"$S.tmp" && mv "$S.tmp" "$S"
	kill -CONT $C
	wait $C
	result $? "nvml: collect with the stand-in exits 0"
	check "nvml: said on" grep -q "nvml: on, 1 device" "$OUT/nv.err"
	N1=$(gpu /gpucollect/a $NVDEV busy_ns)
	result $(( N1 - N0 != 1000000000 )) "nvml: a charged 50 % of 2 s = 1 s ($N0 -> $N1)"
	check "nvml: round 2 set a's memory, 256 MiB" \
		jround "$OUT/nv.json" 2 'r["charged"] == 1 and r["mem_bytes"] == 268435456 and r["busy_ns"] == 1000000000'
	M2=$(gpu /gpucollect/a $NVDEV mem_bytes)
	result $(( M2 != 0 )) "nvml: memory back to 0 once the process ended ($M2)"
	result $(( $(gpu /gpucollect/b $NVDEV busy_ns) != -1 )) "nvml: b has no NVIDIA device"
else
	for t in "exits 0" "said on" "charged" "memory" "memory back to 0" "b untouched"; do
		skip "nvml: $t" "no stand-in library (make -C ctl check builds it)"
	done
fi

# --- a real DRM client: vgem ----------------------------------------------
if modprobe vgem 2>"$OUT/vgem.err" && [ -e /dev/dri/card0 ]; then
	sh -c "echo \$\$ >$T/a/cgroup.procs; exec sleep 1000" 5</dev/dri/card0 &
	V=$!
	sleep 0.5
	"$CTL" -j gpu collect --source fdinfo --count 2 --interval 0.5 \
		>"$OUT/vgem.json" 2>"$OUT/vgem.err"
	result $? "vgem: collect over the real /proc with a vgem client exits 0"
	if grep -q '^drm-driver:' /proc/$V/fdinfo/5; then
		result $(( $(gpu /gpucollect/a vgem:card0 busy_ns) != 0 )) \
			"vgem: the client is charged to a, busy 0"
	else
		skip "vgem: the client is charged to a, busy 0" \
			"this kernel's vgem prints no drm- keys in fdinfo"
		check "vgem: its fd is no client, nothing refused" \
			jround "$OUT/vgem.json" 2 'r["fdinfo"]["bad_lines"] == 0 and r["refused"] == 0'
	fi
	kill $V
	wait $V 2>/dev/null
	rmmod vgem 2>/dev/null
else
	skip "vgem: collect with a vgem client exits 0" "modprobe vgem failed: $(cat "$OUT/vgem.err")"
	skip "vgem: the client is charged to a" "no vgem"
fi

# --- the module goes away -------------------------------------------------
client_a 999051000 1024
"$CTL" gpu collect --proc "$P" --interval 0.3 --source fdinfo \
	>"$OUT/unload.out" 2>"$OUT/unload.err" &
C=$!
sleep 1.5
if rmmod cgshare; then
	wait $C
	result $(( $? != 1 )) "module unloaded mid-run: collect exits 1"
	check "and says the module was unloaded" grep -q "cgshare kernel module was unloaded" "$OUT/unload.err"
	"$CTL" gpu collect --proc "$P" --once >"$OUT/gone.out" 2>"$OUT/gone.err"
	result $(( $? != 1 )) "module not loaded: collect exits 1"
	check "and says it is not loaded, and how to load it" \
		grep -q "cgshare kernel module is not loaded; load it with" "$OUT/gone.err"
else
	kill $C
	wait $C
	n=$((n + 1)); echo "not ok $n - rmmod cgshare failed"; failed=$((failed + 1))
fi

kill $PA $PB 2>/dev/null
wait $PA $PB 2>/dev/null
umount "$P"
rmdir $T/a $T/b $T
loaded || insmod "$CGSHARE_KO" || echo "# could not load $CGSHARE_KO again"

echo "1..$n"
[ $failed = 0 ]
