#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# cgshare's CPU counters under sched_ext schedulers, inside a guest
# (selftests/run-guest.sh runs it; TAP on stdout):
#
#   for each of scx_simple and scx_flatcg (built from the kernel's own
#   tools/sched_ext by tools/build-scx.sh, in $CGSHARE_SCX), and each CPU
#   case of selftests/counters: usage against cpu.stat and the running
#   task's CPU clock (2 %), run-queue wait of three hogs pinned to one CPU
#   and of four hogs free to move between CPUs against their summed
#   run_delay (5 % or 30 ms), switches against schedstat:
#     load the scheduler, check the kernel says it is in charge
#       (/sys/kernel/sched_ext/state "enabled", root/ops its name)
#     run the case under it, unchanged
#     check it was still in charge when the case ended (not ejected;
#       ejected by the kernel's watchdog for a stalled task, while loading
#       or during the case, the case runs once more under a new instance,
#       and the first try is said: tools/guest/scx-ejected),
#     unload it and check the fair scheduler is back
#
# The tolerances are counters.c's own: the same code, under another
# scheduler.  On a kernel without sched_ext every case is a SKIP that
# says so.  CGSHARE_SCX_SKIP="SCHED:WHY" leaves one scheduler out, as a
# SKIP with its reason (make check-debug leaves scx_flatcg out: see the
# Makefile).

set -u
export LC_ALL=C

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$TOP/build}
SCX=${CGSHARE_SCX:-}
SYS=/sys/kernel/sched_ext
COUNTERS=$BUILD/selftests/counters
CASES=(cpu_usage_vs_cpu_stat cpu_usage_while_running cpu_wait_vs_run_delay
	cpu_wait_moving_vs_run_delay cpu_switches_vs_schedstat)
SCHEDS=(scx_simple scx_flatcg)
LOG=$(mktemp -d /tmp/sched_ext.XXXXXX)

n=0
failed=0
echo "TAP version 13"
result() {	# result ok|"not ok" NAME [DIRECTIVE]
	n=$((n + 1))
	[[ $1 == ok ]] || failed=1
	echo "$1 $n - $2${3:+ # $3}"
}
diag() { echo "# $*"; }

# wait_state STATE OPS: until the kernel reports it, 20 s at most
wait_state() {
	for _ in $(seq 100); do
		[[ $(cat "$SYS/state" 2>/dev/null) == "$1" ]] &&
			[[ -z $2 || $(cat "$SYS/root/ops" 2>/dev/null) == "$2" ]] && return 0
		sleep 0.2
	done
	return 1
}

# counters SCHED CASE: the results of one case of counters (its output
# in $LOG/case.out), renumbered into this stream
counters() {
	local sched=$1 c=$2 line status name dir rest seen=
	while IFS= read -r line; do
		if [[ $line =~ ^(ok|not\ ok)\ [0-9]+\ *-?\ *(.*)$ ]]; then
			status=${BASH_REMATCH[1]} rest=${BASH_REMATCH[2]}
			name=${rest%% #*}
			name=${name%% }
			dir=
			[[ $rest == *" # "* ]] && dir=${rest#* # }
			[[ $name == "$c" ]] && seen=1
			result "$status" "$sched: counters: $name" "$dir"
		elif [[ $line == "#"* && $line != "# Totals:"* ]]; then
			echo "$line"
		fi
	done <"$LOG/case.out"
	[[ -n $seen ]] || result "not ok" "$sched: counters: $c" "no result"
}

# stop PID: the scheduler's process interrupted, the fair scheduler back
stop() {
	kill -INT "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	wait_state disabled "" || unloaded=0
}

# one SCHED CASE: load SCHED, run CASE under it, unload it.  Loaded afresh
# for each case: scx_flatcg of 7.3 fails in its cgroup_init when a cgroup
# is created after another was removed ("unexpected !NULL cgv_node
# stash": that kernel's preallocated hash maps keep a deleted element's
# kptr, and the scheduler finds it in the reused element), and the
# counters cases remove and create cgroups; a new instance has a new map.
one() {
	local sched=$1 c=$2 name=${1#scx_} pid what why try loaded mark
	what="$sched: in charge before and after $c"
	for try in 1 2; do
		mark=$(dmesg | wc -l)
		"$SCX/$sched" >"$LOG/$sched.out" 2>&1 &
		pid=$!
		loaded=
		if wait_state enabled "$name"; then
			loaded=1
			timeout -k 10 600 "$COUNTERS" "$c" >"$LOG/case.out" 2>&1
			[[ $(cat "$SYS/state" 2>/dev/null) == enabled ]] &&
				kill -0 "$pid" 2>/dev/null && break
		fi
		# The kernel's watchdog ejecting the scheduler (a runnable task
		# it left unrun for 30 s: seen on 7.3 under scx_flatcg, on a
		# loaded host, while loading or during a case) says nothing of
		# the counters; once more, afresh.
		why=$("$TOP/tools/guest/scx-ejected" "$mark")
		[[ $try == 1 && $why == *"runnable task stall"* ]] || break
		diag "$sched ejected by the watchdog ${loaded:+during $c }($why): once more, under a new instance"
		mv "$LOG/$sched.out" "$LOG/$sched.try1.out"
		stop "$pid"
	done
	if [[ -z $loaded ]]; then
		result "not ok" "$what" "did not load: state '$(cat "$SYS/state" 2>/dev/null)', ops '$(cat "$SYS/root/ops" 2>/dev/null)'"
		sed 's/^/#   /' "$LOG/$sched.out" | tail -n 20
		stop "$pid"
		result "not ok" "$sched: counters: $c" "not run: $sched did not load"
		return
	fi
	counters "$sched" "$c"
	if [[ $(cat "$SYS/state" 2>/dev/null) == enabled ]] && kill -0 "$pid" 2>/dev/null; then
		result ok "$what"
	else
		result "not ok" "$what" "ejected or exited: state '$(cat "$SYS/state" 2>/dev/null)'"
		sed 's/^/#   /' "$LOG/$sched.out" | tail -n 20
		dmesg | grep 'sched_ext' | tail -n 5 | sed 's/^/#   /'
	fi
	stop "$pid"
}

per_sched=$((2 * ${#CASES[@]} + 1))
if [[ ! -d $SYS ]]; then
	for s in "${SCHEDS[@]}"; do
		result ok "$s" "SKIP kernel $(uname -r) has no sched_ext (CONFIG_SCHED_CLASS_EXT unset)"
	done
elif [[ -z $SCX ]]; then
	for s in "${SCHEDS[@]}"; do
		result "not ok" "$s" "CGSHARE_SCX is unset: the schedulers were not built (tools/build-scx.sh)"
	done
elif [[ ! -x $COUNTERS ]]; then
	for s in "${SCHEDS[@]}"; do
		result "not ok" "$s" "$COUNTERS is missing (make -C selftests)"
	done
elif [[ $(cat "$SYS/state") != disabled ]]; then
	for s in "${SCHEDS[@]}"; do
		result "not ok" "$s" "another BPF scheduler is in charge: $(cat "$SYS/root/ops" 2>/dev/null)"
	done
else
	diag "$per_sched results per scheduler; schedulers from $SCX"
	for s in "${SCHEDS[@]}"; do
		if [[ -n ${CGSHARE_SCX_SKIP:-} && $s == "${CGSHARE_SCX_SKIP%%:*}" ]]; then
			result ok "$s" "SKIP ${CGSHARE_SCX_SKIP#*:}"
			continue
		fi
		if [[ ! -x $SCX/$s ]]; then
			result "not ok" "$s" "$SCX/$s is missing"
			continue
		fi
		unloaded=1
		for c in "${CASES[@]}"; do
			one "$s" "$c"
		done
		if ((unloaded)); then
			result ok "$s: unloaded after each case, fair scheduler back"
		else
			result "not ok" "$s: unloaded after each case, fair scheduler back" \
				"state '$(cat "$SYS/state" 2>/dev/null)' after $s exited"
		fi
	done
fi
rm -rf "$LOG"
echo "1..$n"
exit "$failed"
