#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Does the CPU scheduler obey cpu.weight and cpu.max, and does cgshare
# know? `cgsharectl verify` and run's self-check against the real
# scheduler in a guest (tools/vm-run.sh), as root. TAP output.
#
#   /vf            +cpu
#   ├── a  weight 1   three CPU hogs
#   ├── b  weight 2   three CPU hogs
#   ├── c  weight 1   three CPU hogs
#   └── d  cpu.max 0.25 CPU, two CPU hogs
#
# Under each scheduler — the fair one, then scx_flatcg (only with
# CGSHARE_VERIFY_FLATCG set, by make check-flatcg, part of check-full: it
# starves kernel threads under this load on a TCG guest) and scx_simple
# when the kernel has sched_ext and $CGSHARE_SCX holds them (built from
# the kernel's own tools/sched_ext by tools/build-scx.sh) — after 10 s of
# settling: usage from cpu.stat over the 10 s verify measures, b against
# a; and verify's verdicts. The fair scheduler and scx_flatcg weigh by
# cpu.weight (b:a within 20 % of 2); scx_simple does not, and neither of
# the sched_ext ones implements cpu.max (7.3's ops.cgroup_set_bandwidth is
# the scheduler's to honour). Under scx_simple, run's self-check says once
# that cpu.weight is not obeyed and exports 0 for it.

CTL=${CGSHARECTL:-$(dirname "$0")/../cgsharectl}
CG=/sys/fs/cgroup
T=$CG/vf
OUT=${CGSHARE_OUT:-/tmp}/ctl-verify
SCX=${CGSHARE_SCX:-}
SYS=/sys/kernel/sched_ext
PORT=19873
. "$(dirname "$0")/tap-lib.sh"
PIDS=
SCHED=

hog() {	# hog CGROUP-DIR
	sh -c "echo \$\$ >$1/cgroup.procs; while :; do :; done" &
	PIDS="$PIDS $!"
}
usage() { awk '$1 == "usage_usec" { print $2 }' "$T/$1/cpu.stat"; }
# waits: "ledger-wait-ns run-delay-ns" of a, b and c: the ledger's
# run-queue wait and the sum of the tasks' run_delay (/proc/PID/schedstat),
# each read close together, to be subtracted from a later reading. A
# diagnostic: under the fair scheduler the ledger misses what a queued
# task waited before the load balancer moved it (README, "Run-queue wait
# across migrations"); counters' cpu_wait_moving_vs_run_delay is the test.
waits() {
	for c in a b c; do
		k=0
		for p in $(cat $T/$c/cgroup.procs); do
			k=$((k + $(cut -d' ' -f2 /proc/$p/schedstat 2>/dev/null || echo 0)))
		done
		echo "$k"
	done >"$OUT/delays"
	"$CTL" -j stats -r /vf >"$OUT/waits.json" 2>/dev/null
	python3 -c 'import json,sys
d={g["path"]: g for g in json.load(open(sys.argv[1]))["cgroups"]}
k=open(sys.argv[2]).read().split()
print(" ".join("%d %s" % (d.get("/vf/" + c, {}).get("cpu_wait_ns", 0), k[i])
               for i, c in enumerate("abc")))' "$OUT/waits.json" "$OUT/delays"
}
# wait_state STATE OPS: until the kernel says so, 20 s at most
wait_state() {
	i=0
	while [ $i -lt 100 ]; do
		[ "$(cat $SYS/state 2>/dev/null)" = "$1" ] &&
			{ [ -z "$2" ] || [ "$(cat $SYS/root/ops 2>/dev/null)" = "$2" ]; } &&
			return 0
		sleep 0.2
		i=$((i + 1))
	done
	return 1
}
sched_stop() {
	[ -n "$SCHED" ] || return 0
	kill "$SCHED" 2>/dev/null
	wait "$SCHED" 2>/dev/null
	SCHED=
	wait_state disabled ""
}
cleanup() {
	sched_stop
	[ -n "${RUN:-}" ] && kill "$RUN" 2>/dev/null && wait "$RUN"
	# shellcheck disable=SC2086
	[ -n "$PIDS" ] && kill $PIDS 2>/dev/null
	sleep 0.5
	for d in a b c d; do rmdir $T/$d 2>/dev/null; done
	rmdir $T 2>/dev/null
	"$CTL" bpf unpin >/dev/null 2>&1	# the guest as it was found
}

command -v python3 >/dev/null || bail "python3 needed"
module_loaded
# verify judges the weights and quotas in force, which the sample has
# from the cgroup iterator
bpffs_mounted
"$CTL" bpf pin >/dev/null || bail "cannot pin the cgroup iterator"
echo "+cpu" >$CG/cgroup.subtree_control
mkdir -p $T/a $T/b $T/c $T/d
echo "+cpu" >$T/cgroup.subtree_control
cat >"$OUT/vf.conf" <<EOF
interval 500ms
act-every 2
capacity cpu 2
cpu-period 500ms
enforce cpu weight
enforce memory none
cgroup /vf/a weight 1
cgroup /vf/b weight 2
cgroup /vf/c weight 1
EOF
check "apply writes the weights" "$CTL" apply -c "$OUT/vf.conf"
check "cpu.weight of a, b, c: 100, 200, 100" sh -c \
	"[ \$(cat $T/a/cpu.weight) = 100 ] && [ \$(cat $T/b/cpu.weight) = 200 ] && [ \$(cat $T/c/cpu.weight) = 100 ]"
echo "25000 100000" >$T/d/cpu.max
# verify judges what the configuration names; d is named with no weight
# of its own, for its cpu.max (the file decides, enforce leaves it be)
cp "$OUT/vf.conf" "$OUT/verify.conf"
echo "cgroup /vf/d weight 1" >>"$OUT/verify.conf"
for c in a b c; do hog $T/$c; hog $T/$c; hog $T/$c; done
hog $T/d
hog $T/d

# (check, from tap-lib.sh, sets name and rc: hence sname and vrc)
# take NAME: settle, then verify over 10 s and cpu.stat around it
take() {
	sname=$1
	sleep 10
	a0=$(usage a) b0=$(usage b) w0=$(waits)
	"$CTL" -j verify -c "$OUT/verify.conf" -i 10s >"$OUT/verify-$sname.json" \
		2>"$OUT/verify-$sname.err"
	vrc=$?
	a1=$(usage a) b1=$(usage b) w1=$(waits)
	echo "$w0 $w1" | awk '{ printf "# '"$sname"': run-queue wait, ledger s / run_delay s:"
		split("a b c", n); for (i = 1; i <= 3; i++)
			printf " %s %.1f/%.1f", n[i], ($(6 + 2*i-1) - $(2*i-1)) / 1e9, ($(6 + 2*i) - $(2*i)) / 1e9
		print "" }'
	ratio=$(awk "BEGIN { a = $a1 - $a0; b = $b1 - $b0; if (a > 0) printf \"%.3f\", b / a; else print 0 }")
	echo "# $sname: b:a by cpu.stat $ratio; verify: $(tr -d '\n' <"$OUT/verify-$sname.json")"
}
# judge NAME WEIGHT-VERDICT MAX-VERDICT CHECK-RATIO(yes|no) SCHEDULER: what
# take measured
judge() {
	check "$sname: verify names the scheduler" json "$OUT/verify-$sname.json" \
		"d['scheduler'] == '$5'"
	check "$sname: cpu.weight $2" json "$OUT/verify-$sname.json" \
		"d['knobs']['cpu.weight']['verdict'] == '$2'"
	check "$sname: cpu.max $3" json "$OUT/verify-$sname.json" \
		"d['knobs']['cpu.max']['verdict'] == '$3'"
	if [ "$2" = honoured ] && [ "$3" = honoured ]; then want=0; else want=1; fi
	[ $vrc = $want ]
	result $? "$sname: verify exits $want when a knob is ignored, 0 if none (got $vrc)"
	if [ "$4" = yes ]; then
		awk "BEGIN { exit !($ratio >= 1.6 && $ratio <= 2.4) }"
		result $? "$sname: b used twice what a did by cpu.stat, within 20 % ($ratio)"
	fi
}

# ejected: what the kernel said of the sched_ext scheduler it disabled
# since its log had $mark lines (tools/guest/scx-ejected), if anything
ejected() { "$(dirname "$0")/../../tools/guest/scx-ejected" "$mark"; }
# under BIN OPS WEIGHT-VERDICT MAX-VERDICT CHECK-RATIO: take and judge with
# BIN in charge, loaded afresh once more if the watchdog ejected it
# meanwhile (said); 1 if it did not load
under() {
	for try in 1 2; do
		took=
		mark=$(dmesg | wc -l)
		"$SCX/$1" >"$OUT/$2.log" 2>&1 &
		SCHED=$!
		if wait_state enabled "$2"; then
			take "$1"
			took=1
			[ "$(cat $SYS/state)" = enabled ] && break
		fi
		why=$(ejected)
		case "$try $why" in
		"1 "*"runnable task stall"*) ;;
		*) break ;;
		esac
		echo "# $1 ejected by the watchdog ($why): once more, afresh"
		mv "$OUT/$2.log" "$OUT/$2.try1.log"
		sched_stop
	done
	[ -n "$took" ] || return 1
	judge "$1" "$3" "$4" "$5" "sched_ext:$2"
	check "$1 still in charge after measuring" wait_state enabled "$2"
}

take fair
judge fair honoured honoured yes fair

if [ ! -d $SYS ]; then
	for s in scx_flatcg scx_simple; do
		skip "$s" "this kernel has no sched_ext"
	done
elif [ -z "$SCX" ] || [ ! -x "$SCX/scx_flatcg" ] || [ ! -x "$SCX/scx_simple" ]; then
	for s in scx_flatcg scx_simple; do
		skip "$s" "no sched_ext schedulers built for this kernel (CGSHARE_SCX)"
	done
else
	if [ -n "${CGSHARE_VERIFY_FLATCG:-}" ]; then
		under scx_flatcg flatcg honoured ignored yes || result 1 "scx_flatcg in charge"
		sched_stop
		check "fair scheduler back after scx_flatcg" test "$(cat $SYS/state)" = disabled
	else
		skip "scx_flatcg" "in make check-full only (check-flatcg): with eleven CPU hogs on 2 TCG vCPUs it starves kernel threads, and the kernel ejects it (a runnable-task or RCU stall, 2 of 7 runs)"
	fi

	if under scx_simple simple ignored ignored no; then
		# run's self-check: two 10 s windows in a row after it sees the scheduler
		"$CTL" run -c "$OUT/verify.conf" --listen 127.0.0.1:$PORT \
			--state "$OUT/run.state" 2>"$OUT/run.log" &
		RUN=$!
		i=0
		while [ $i -lt 120 ] && ! grep -q "cpu.weight is not obeyed" "$OUT/run.log"; do
			sleep 0.5
			i=$((i + 1))
		done
		check "run says cpu.weight is not obeyed by sched_ext:simple" \
			grep -q "cpu.weight is not obeyed by the scheduler sched_ext:simple" "$OUT/run.log"
		sleep 11	# another self-check: said once, not again
		check "and says it once" test "$(grep -c 'cpu.weight is not obeyed' "$OUT/run.log")" = 1
		# Eleven hogs and scx_simple on two TCG vCPUs, beside other
		# guests in CI: one scrape failed there in transport (CI at
		# 9ba457b). What is judged is the answer, so a scrape that
		# fails in transport is tried again, three times at most, and
		# each failure is printed with its cause.
		python3 - $PORT >"$OUT/honoured.out" 2>&1 <<'EOF'
import sys, time, urllib.request
for t in range(3):
    try:
        body = urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1], timeout=20).read().decode()
        break
    except OSError as e:
        print("try %d: %s: %s" % (t + 1, type(e).__name__, e))
        time.sleep(1)
else:
    sys.exit(2)
lines = [l for l in body.splitlines() if l.startswith("cgshare_cpu_control_honoured{")]
print("\n".join(lines))
sys.exit(0 if 'cgshare_cpu_control_honoured{knob="cpu.weight"} 0' in lines else 1)
EOF
		result $? "run --listen exports cgshare_cpu_control_honoured{knob=\"cpu.weight\"} 0"
		sed 's/^/#   /' "$OUT/honoured.out"
		grep -q '^try ' "$OUT/honoured.out" &&
			tail -n 5 "$OUT/run.log" | sed 's/^/#   run: /'
		kill $RUN
		wait $RUN
		RUN=
	else
		result 1 "scx_simple in charge"
	fi
	sched_stop
	check "fair scheduler back after scx_simple" test "$(cat $SYS/state)" = disabled
fi

cleanup
echo "1..$n"
[ "$failed" = 0 ]
