#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The controller when things go wrong, against the real module and
# cgroupfs in a guest (tools/vm-run.sh), as root. TAP output.
#
#   /cf                 +cpu +memory for its children
#   ├── a   weight 1    a CPU hog          someone else writes its cpu.max
#   ├── b   weight 1    a CPU hog
#   └── m   memory hog  growing faster than memory.high may step down
#   /cfr/a              a CPU hog; its files written through a stand-in
#                       root whose cpu.max, cpu.weight and memory.high the
#                       kernel refuses (links to a sysctl that refuses the
#                       value, a read-only one, and an initialised zram
#                       disk's disksize, which is busy)
#   /cfr/v              a CPU hog, in the ledger but not in the stand-in
#                       root: gone between the sample and the write
#   /kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod<UID>.slice
#                       a pod with a CPU hog: the kubelet's
#
# 1. a foreign write to a limit cgshare wrote: backed off, said, kept;
#    a reload tries again
# 2. run killed with SIGKILL, started again: what it wrote is known, so
#    --restore still puts back what was there before the first run
# 2b. run killed between its writes and the save of their round (strace
#    kills it at the save's rename): the next run takes the values found
#    for its own, and --restore still puts back the first run's originals
# 3. the module unloaded under run: said once, limits kept, and when it
#    is back, run goes on
# 4. a storm of SIGHUPs: run lives, and reloads
# 5. writes the kernel refuses (EINVAL, EACCES, EBUSY): each said with its
#    file and errno, counted, apply exits 1; a cgroup gone from cgroupfs
#    but still in the ledger is no error
# 6. a memory hog growing fast: memory.max is never written below its
#    usage plus the headroom, and nothing is OOM-killed
# 7. the kubelet's cgroups: only observed by default; under "kubelet
#    manage", only the knobs the kubelet leaves alone are written

CTL=${CGSHARECTL:-$(dirname "$0")/../cgsharectl}
CG=/sys/fs/cgroup
T=$CG/cf
OUT=${CGSHARE_OUT:-/tmp}/ctl-faults
STATE=$OUT/controller.state
. "$(dirname "$0")/tap-lib.sh"
PIDS=
RUN=
bail() { echo "Bail out! $*"; cleanup; exit 1; }
hog() {	# hog CGROUP-DIR
	sh -c "echo \$\$ >$1/cgroup.procs; while :; do :; done" &
	PIDS="$PIDS $!"
}
# wait_for SECONDS FILE PATTERN: until grep finds PATTERN in FILE
wait_for() {
	i=0
	while [ $i -lt "$1" ]; do
		grep -q -- "$3" "$2" 2>/dev/null && return 0
		sleep 0.5
		i=$((i + 1))
	done
	return 1
}
start_run() {	# start_run CONF LOG [ARGS]
	conf=$1 log=$2
	shift 2
	"$CTL" run -c "$conf" --state "$STATE" "$@" 2>"$log" &
	RUN=$!
}
# after_restart LOG WHO: WHO, a run started again with --restore, took
# none of its own writes for someone else's, ends on SIGTERM, and put back
# what /cf/a and /cf/b held before the first run
after_restart() {
	check "$2 does not take its own writes for someone else's" \
		sh -c "! grep -q 'someone else' '$1'"
	stop_run
	result $RC "SIGTERM ends $2, exit 0"
	check "--restore puts back the value found before the first run" \
		grep -qx "max 100000" $T/a/cpu.max
	check "for /cf/b too" grep -qx "max 100000" $T/b/cpu.max
}
stop_run() {
	[ -n "$RUN" ] && kill "$RUN" 2>/dev/null && wait "$RUN"
	RC=$?
	RUN=
}
cleanup() {
	stop_run
	# shellcheck disable=SC2086
	[ -n "$PIDS" ] && kill $PIDS 2>/dev/null
	sleep 0.5
	for d in $T/a $T/b $T/m $T $CG/cfr/a $CG/cfr/v $CG/cfr \
		$POD $CG/kubepods.slice/kubepods-burstable.slice \
		$CG/kubepods.slice; do
		[ -d "$d" ] && rmdir "$d" 2>/dev/null
	done
	rm -rf /tmp/cf-standin
	if [ -n "${ZRAM:-}" ]; then
		echo 1 >/sys/block/zram0/reset
		rmmod zram
	fi
}

command -v python3 >/dev/null || bail "python3 needed"
module_loaded
echo "+cpu +memory" >$CG/cgroup.subtree_control
mkdir -p $T/a $T/b $T/m
echo "+cpu +memory" >$T/cgroup.subtree_control
rm -f "$STATE"
hog $T/a
hog $T/b

cat >"$OUT/ab.conf" <<EOF
interval 200ms
act-every 1
window 2
capacity cpu 2
enforce cpu max
enforce memory none
cgroup /cf/a weight 1
cgroup /cf/b weight 3
EOF

# -- 1. someone else writes cpu.max --
start_run "$OUT/ab.conf" "$OUT/run1.log"
wait_for 60 "$OUT/run1.log" "/cf/a cpu.max: max 100000 ->"
result $? "run writes /cf/a's cpu.max"
echo "max 100000" >$T/a/cpu.max
wait_for 20 "$OUT/run1.log" "/cf/a cpu.max: changed to max 100000 by someone else"
result $? "a foreign write is noticed and said"
sleep 2
check "and left alone over the next rounds" grep -qx "max 100000" $T/a/cpu.max
check "/cf/b is still written" sh -c "! grep -q '^max ' $T/b/cpu.max"
kill -HUP $RUN
# (the first write's line has the same words: only one after the reload)
wait_for 20 "$OUT/run1.log" "reloaded"
result $? "run reloads on SIGHUP"
written_after_reload() {
	sed -n '/reloaded/,$p' "$OUT/run1.log" >"$OUT/run1-reloaded.log"
	grep -q "/cf/a cpu.max: max 100000 -> [0-9]" "$OUT/run1-reloaded.log"
}
i=0
until written_after_reload || [ $i -ge 40 ]; do
	sleep 0.5
	i=$((i + 1))
done
check "after a reload, cpu.max is written again" written_after_reload

# -- 2. SIGKILL, then a restart with --restore --
kill -KILL $RUN
wait $RUN 2>/dev/null
RUN=
check "the state file survives SIGKILL, with /cf/a and /cf/b" sh -c \
	"grep -q '^/cf/a	[0-9]*	cpu.max	max 100000	' '$STATE' && grep -q '^/cf/b	' '$STATE'"
A_KILLED=$(cat $T/a/cpu.max)
start_run "$OUT/ab.conf" "$OUT/run2.log" --restore
sleep 3
after_restart "$OUT/run2.log" "the restarted run"
check "and the state forgets them" sh -c "! grep -q '^/cf/' '$STATE'"
echo "#   /cf/a cpu.max was $A_KILLED at the SIGKILL"

# -- 2b. killed between a round's writes and its save --
# The run before leaves limits and a saved state (SIGTERM without
# --restore); with the weights swapped, the next run's first round has new
# values to write, and strace kills it at that round's rename(2), after
# the writes: only the lines appended before each write say what it did.
if command -v strace >/dev/null; then
	start_run "$OUT/ab.conf" "$OUT/run2b-1.log"
	wait_for 60 "$OUT/run2b-1.log" "/cf/b cpu.max: max 100000 ->"
	result $? "a run writes /cf/a and /cf/b"
	stop_run
	A_SAVED=$(awk -F'\t' '$1 == "/cf/a" && $3 == "cpu.max" { print $5 }' "$STATE")
	sed -e 's|^cgroup /cf/a weight .*|cgroup /cf/a weight 3|' \
	    -e 's|^cgroup /cf/b weight .*|cgroup /cf/b weight 1|' \
		"$OUT/ab.conf" >"$OUT/ab-swap.conf"
	# (not --seccomp-bpf: with it, strace 6.1 fails the call, ENOSYS,
	# and delivers no signal)
	strace -f -qq -o /dev/null -e trace=rename \
		-e inject=rename:signal=KILL:when=1 \
		"$CTL" run -c "$OUT/ab-swap.conf" --state "$STATE" \
		2>"$OUT/run2b-2.log" &
	KPID=$!
	i=0
	while kill -0 $KPID 2>/dev/null && [ $i -lt 120 ]; do
		sleep 0.5
		i=$((i + 1))
	done
	if kill -0 $KPID 2>/dev/null; then
		echo "# strace did not kill the run in 60 s: killing both"
		pkill -KILL -f "run -c $OUT/ab-swap.conf"
		kill -KILL $KPID
	fi
	wait $KPID 2>/dev/null
	A_NOW=$(cat $T/a/cpu.max)
	killed_unsaved() {
		[ -n "$A_SAVED" ] && [ "$A_NOW" != "$A_SAVED" ] &&
			grep -q "/cf/a cpu.max: $A_SAVED ->" "$OUT/run2b-2.log"
	}
	check "the swapped run wrote /cf/a's cpu.max and was killed before saving it" \
		killed_unsaved
	# PATH ID FILE ORIGINAL LAST PENDING
	check "the write is in the state file as pending" \
		awk -F'\t' -v v="$A_NOW" '$1 == "/cf/a" && $3 == "cpu.max" &&
			NF == 6 && $6 == v { f = 1 } END { exit !f }' "$STATE"
	start_run "$OUT/ab.conf" "$OUT/run2b-3.log" --restore
	wait_for 30 "$OUT/run2b-3.log" "/cf/a cpu.max: $A_NOW ->"
	result $? "the next run writes over the killed run's value"
	after_restart "$OUT/run2b-3.log" "the run after the killed one"
	echo "#   /cf/a cpu.max: $A_SAVED saved, $A_NOW written unsaved"
else
	skip "run killed between its writes and their save" "no strace in the guest"
fi

# -- 3. the module unloaded under run --
start_run "$OUT/ab.conf" "$OUT/run3.log"
wait_for 60 "$OUT/run3.log" "/cf/b cpu.max: max 100000 ->"
result $? "run writes again"
B_LIMIT=$(cat $T/b/cpu.max)
if rmmod cgshare 2>"$OUT/rmmod.err"; then
	wait_for 20 "$OUT/run3.log" "the cgshare module is gone"
	result $? "run says the module is gone"
	sleep 2
	check "run lives on without it" kill -0 $RUN
	check "and the limits stay as they were" grep -qx "$B_LIMIT" $T/b/cpu.max
	check "said once, not every round" sh -c \
		"[ \$(grep -c 'module is gone' '$OUT/run3.log') = 1 ]"
	insmod "$CGSHARE_KO" || bail "cannot load $CGSHARE_KO again"
	wait_for 20 "$OUT/run3.log" "the cgshare module is back"
	result $? "run sees the module back"
	# a new demand it must act on: /cf/b stops, /cf/a may grow
	echo "cgroup /cf/a weight 3" >"$OUT/ab2.conf"
	sed '/^cgroup/d' "$OUT/ab.conf" >>"$OUT/ab2.conf"
	echo "cgroup /cf/b weight 1" >>"$OUT/ab2.conf"
	cp "$OUT/ab2.conf" "$OUT/ab.conf"
	kill -HUP $RUN
	wait_for 30 "$OUT/run3.log" "reloaded"
	result $? "and reloads its configuration"
else
	skip "the module unloaded under run" "rmmod failed: $(cat "$OUT/rmmod.err")"
fi

# -- 4. a SIGHUP storm --
for i in $(seq 50); do kill -HUP $RUN 2>/dev/null; done
sleep 2
check "run lives through 50 SIGHUPs" kill -0 $RUN
check "and reloaded" grep -q "reloaded" "$OUT/run3.log"
stop_run
result $RC "SIGTERM ends run, exit 0"

# -- 5. writes the kernel refuses --
# A stand-in cgroup root: /cfr/a's cpu.max is a sysctl that refuses what
# is written (0 to 2 only: EINVAL), its cpu.weight a read-only one
# (EACCES, even for root), its memory.high the disksize of a zram disk
# already set up (EBUSY: a disk in use cannot be resized).
mkdir -p $CG/cfr
echo "+cpu +memory" >$CG/cfr/cgroup.subtree_control
mkdir -p $CG/cfr/a $CG/cfr/v
hog $CG/cfr/a
hog $CG/cfr/v
mkdir -p /tmp/cf-standin/cfr/a
: >/tmp/cf-standin/cfr/a/cgroup.procs
ln -s /proc/sys/vm/overcommit_memory /tmp/cf-standin/cfr/a/cpu.max
ln -s /proc/sys/kernel/osrelease /tmp/cf-standin/cfr/a/cpu.weight
OVERCOMMIT=$(cat /proc/sys/vm/overcommit_memory)
OSRELEASE=$(cat /proc/sys/kernel/osrelease)
ZRAM=
if modprobe zram num_devices=1 2>/dev/null && [ -w /sys/block/zram0/disksize ] &&
	echo 4M >/sys/block/zram0/disksize; then
	ZRAM=/sys/block/zram0/disksize
	ln -s $ZRAM /tmp/cf-standin/cfr/a/memory.high
	DISKSIZE=$(cat $ZRAM)
	NREFUSED=3 MEMENF="high"
else
	echo "# no zram in this kernel: the EBUSY case is skipped below"
	NREFUSED=2 MEMENF="none"
fi
cat >"$OUT/refuse.conf" <<EOF
interval 200ms
cgroup-root /tmp/cf-standin
capacity cpu 2
capacity memory 1G
enforce cpu both
enforce memory $MEMENF
cgroup /cfr/a weight 0.01
cgroup /cfr/v weight 1
EOF
"$CTL" -j apply -c "$OUT/refuse.conf" --state "$OUT/refuse.state" \
	>"$OUT/refuse.json" 2>"$OUT/refuse.err"
rc=$?
[ $rc = 1 ]
result $? "apply with refused writes exits 1 (got $rc)"
check "cpu.max refused: Invalid argument, said with its file" \
	grep -q '/cfr/a: writing cpu.max ".*": Invalid argument' "$OUT/refuse.err"
check "cpu.weight refused: Permission denied" \
	grep -q '/cfr/a: writing cpu.weight "1": Permission denied' "$OUT/refuse.err"
if [ -n "$ZRAM" ]; then
	check "memory.high refused: Device or resource busy" \
		grep -q '/cfr/a: writing memory.high ".*": Device or resource busy' "$OUT/refuse.err"
	check "zram's disksize unchanged" sh -c "[ \$(cat $ZRAM) = $DISKSIZE ]"
else
	skip "memory.high refused with EBUSY" "no zram module in this kernel"
	skip "zram's disksize unchanged" "no zram module in this kernel"
fi
check "each refusal counted in the JSON, none shown as a change" json \
	"$OUT/refuse.json" "d['errors'] == $NREFUSED and d['changes'] == []"
check "nothing was changed by the refusals" sh -c \
	"[ \$(cat /proc/sys/vm/overcommit_memory) = $OVERCOMMIT ] && [ \$(cat /proc/sys/kernel/osrelease) = $OSRELEASE ]"
check "a cgroup in the ledger but gone from cgroupfs is no error, nor written" sh -c \
	"! grep -q '/cfr/v' $OUT/refuse.err"

# -- 6. a memory hog that grows fast --
cat >"$OUT/mem.conf" <<EOF
interval 200ms
act-every 1
window 2
capacity memory 256M
enforce cpu none
enforce memory both
floor memory 16M
headroom memory 32M
step memory 10%
cgroup /cf/m weight 1
cgroup /cf/b weight 1
EOF
start_run "$OUT/mem.conf" "$OUT/run6.log"
python3 -c '
import os, sys, time
os.system("echo %d >/sys/fs/cgroup/cf/m/cgroup.procs" % os.getpid())
chunks = []
end = time.time() + 12
while time.time() < end:
    chunks.append(bytearray(8 << 20))	# 8M at a time, fast
    if len(chunks) > 60:		# stay well below the guest memory
        chunks.pop(0)
    time.sleep(0.05)
' &
MHOG=$!
wait $MHOG
result $? "the memory hog was not killed"
stop_run
check "no oom_kill in /cf/m" sh -c "grep -qx 'oom_kill 0' $T/m/memory.events"
check "memory.max was written" grep -q "/cf/m memory.max:" "$OUT/run6.log"
check "memory.max never below the usage it saw plus the 32M headroom" awk '
	/\/cf\/m memory.max: .* -> [0-9]+ \(usage [0-9]+\)/ {
		n++
		v = $(NF - 2); u = $NF; sub(/\)/, "", u)
		if (v + 0 < u + 32 * 1048576) { bad++; print "#   " $0 }
	}
	END { exit !(n > 0 && !bad) }' "$OUT/run6.log"

# -- 7. the kubelet's cgroups --
UID_=7f3e5a52_1c0d_4b6f_9a33_0d2c6e8b1f44
KP=$CG/kubepods.slice/kubepods-burstable.slice
POD=$KP/kubepods-burstable-pod$UID_.slice
mkdir -p $POD
echo "+cpu +memory" >$CG/kubepods.slice/cgroup.subtree_control
echo "+cpu +memory" >$KP/cgroup.subtree_control
hog $POD
cat >"$OUT/kube.conf" <<EOF
interval 200ms
window 2
capacity cpu 2
enforce cpu both
enforce memory high
parent /kubepods.slice/kubepods-burstable.slice
EOF
"$CTL" apply -c "$OUT/kube.conf" --state "$OUT/kube.state" >"$OUT/kube1.out" 2>&1
check "by default a pod's limits are not written" sh -c \
	"grep -qx 'max 100000' $POD/cpu.max && grep -qx max $POD/memory.high && grep -q 'no changes' '$OUT/kube1.out'"
"$CTL" plan -c "$OUT/kube.conf" --explain >"$OUT/kube-plan.txt" 2>&1
check "plan --explain says it only observes them" \
	grep -q "cpu.max .*(observed only: the kubelet writes it)" "$OUT/kube-plan.txt"
echo "kubelet manage /kubepods.slice" >>"$OUT/kube.conf"
"$CTL" apply -c "$OUT/kube.conf" --state "$OUT/kube.state" >"$OUT/kube2.out" 2>&1
check "opted in: memory.high is written" sh -c "! grep -qx max $POD/memory.high"
check "but cpu.max and cpu.weight stay the kubelet's" sh -c \
	"grep -qx 'max 100000' $POD/cpu.max && grep -qx 100 $POD/cpu.weight"

cleanup
echo "1..$n"
[ $failed = 0 ]
