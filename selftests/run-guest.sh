#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# selftests/run-guest.sh [TEST...]
#
# Runs INSIDE the test guest, as root, on a fresh cgroup2 at /sys/fs/cgroup:
# enables cpu, memory and pids at the root, inserts $CGSHARE_KO, runs every
# test binary of $BUILD/selftests (built on the host by make -C selftests)
# and the YNL check, then removes the module.  Prints one flat TAP 13 stream
# on stdout, its plan last:
#
#   ok N - setup: ...            the environment the tests need
#   ok N - FILE: CASE            one line per test case
#   ok N - FILE: kernel log      no warning, oops or leak while FILE ran
#   ok N - teardown: ...         rmmod and the final kernel log
#
# Diagnostics are "# " lines.  A binary that crashes or times out gets a
# "not ok" for each case it did not report, so the count always matches
# the plan.  Environment: CGSHARE_KO (module file), BUILD, CGSHARE_OUT (a
# copy of the TAP goes to $CGSHARE_OUT/selftests.tap), CGSHARE_TEST_TIMEOUT
# (s per binary, 1800), CGSHARE_DUMP_N (cgroups in the dump test, 10000).

set -u
shopt -s lastpipe	# the TAP filter loop runs in this shell (no /dev/fd here)
export LC_ALL=C

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD=${BUILD:-$(realpath -m "$HERE/../build")}
BIN=$BUILD/selftests
CG=/sys/fs/cgroup
KO=${CGSHARE_KO:-}
TIMEOUT=${CGSHARE_TEST_TIMEOUT:-1800}
TAPCOPY=${CGSHARE_OUT:+$CGSHARE_OUT/selftests.tap}
export BUILD CGSHARE_SELFTESTS=$HERE

# Run order: rmmod_load takes the module out and back, so it goes last.
ALL=(basic counters charge malformed dump notify nsscope ynl_cli.py gpu_table rmmod_load)
if (($# > 0)); then TESTS=("$@"); else TESTS=("${ALL[@]}"); fi

# Kernel log lines that mean trouble (tools/vm-run.sh fails the run on
# them too; here they are pinned on the test that caused them).
BAD='WARNING:|BUG:|Oops|general protection fault|soft lockup|hard LOCKUP|'
BAD+='rcu_sched self-detected stall|rcu: INFO|INFO: rcu|hung_task|'
BAD+='blocked for more than|kmemleak|Call Trace:|refcount_t:|'
BAD+='list_add corruption|list_del corruption|Kernel panic|UBSAN:|KASAN:|leak'

n=0
failed=0
out() {
	[[ $1 == "not ok"* ]] && failed=1
	printf '%s\n' "$*"
	[[ -n $TAPCOPY ]] && printf '%s\n' "$*" >>"$TAPCOPY"
	return 0
}
result() {	# result ok|"not ok" DESCRIPTION [DIRECTIVE]
	n=$((n + 1))
	out "$1 $n - $2${3:+ # $3}"
}
diag() { out "# $*"; }

mod_name() { local b=${KO##*/}; printf '%s\n' "${b%%.*}"; }
mod_loaded() { [[ -n $KO && -d /sys/module/$(mod_name) ]]; }

# test_exec NAME: how to run it (python scripts run with the system python).
test_exec() {
	case $1 in
	*.py) printf '%s\n' "/usr/bin/python3 $HERE/$1" ;;
	*) printf '%s\n' "$BIN/$1" ;;
	esac
}
test_present() {
	case $1 in
	*.py) [[ -f $HERE/$1 && -x /usr/bin/python3 ]] ;;
	*) [[ -x $BIN/$1 ]] ;;
	esac
}

kmsg_mark() { echo "cgshare-selftests: $1" >/dev/kmsg 2>/dev/null || true; }

# Problems logged since the mark. An OOM report's stack dump is what the
# memory.max test asks for, not a fault: its lines are left out.
kmsg_problems() {
	dmesg 2>/dev/null | awk -v mark="cgshare-selftests: $1" '
		index($0, mark) { on = 1; oom = 0; next }
		!on { next }
		/invoked oom-killer:/ { oom = 1; next }
		oom && /(Memory cgroup out of memory|Out of memory): Killed process|oom-kill:constraint=/ { oom = 0; next }
		oom { next }
		{ print }' | grep -E -- "$BAD" || true
}

log_result() {	# log_result NAME MARK
	local bad
	bad=$(kmsg_problems "$2")
	if [[ -z $bad ]]; then
		result ok "$1: kernel log"
	else
		result "not ok" "$1: kernel log" "warnings, oopses or leaks logged"
		while IFS= read -r l; do diag "kernel: $l"; done <<<"$(head -n 30 <<<"$bad")"
	fi
}

# --- cases -------------------------------------------------------------
declare -A CASES=()
for t in "${TESTS[@]}"; do
	if test_present "$t" && list=$($(test_exec "$t") --list 2>/dev/null) &&
		[[ -n $list ]]; then
		CASES[$t]=$list
	fi
done

[[ -n $TAPCOPY ]] && : >"$TAPCOPY"
out "TAP version 13"
diag "cgshare selftests on $(uname -r) (tag ${CGSHARE_TAG:-?}), $(nproc) CPUs, $(awk '/MemTotal/ { print $2 / 1024 " MiB" }' /proc/meminfo)"

# --- setup -------------------------------------------------------------
if [[ -f $CG/cgroup.controllers ]]; then
	result ok "setup: cgroup2 at $CG"
else
	result "not ok" "setup: cgroup2 at $CG" "no cgroup2 hierarchy there"
fi
missing=
for c in cpu memory pids; do
	if grep -qw "$c" "$CG/cgroup.controllers" 2>/dev/null; then
		echo "+$c" >"$CG/cgroup.subtree_control" 2>/dev/null || missing+=" $c"
	else
		missing+=" $c"
	fi
done
if [[ -z $missing ]]; then
	result ok "setup: cpu memory pids enabled at the root"
else
	result "not ok" "setup: cpu memory pids enabled at the root" "could not enable:$missing"
fi
kmsg_mark "setup"
if [[ -z $KO || ! -r $KO ]]; then
	result "not ok" "setup: insmod" "CGSHARE_KO='$KO' is not a readable module"
elif mod_loaded; then
	result ok "setup: insmod" "SKIP $(mod_name) was already loaded"
elif err=$(insmod "$KO" 2>&1); then
	result ok "setup: insmod $(mod_name)"
else
	result "not ok" "setup: insmod $(mod_name)" "$err"
fi

# --- tests -------------------------------------------------------------
# relay LABEL CMD...: runs CMD and renumbers its TAP results into this
# stream as "LABEL: NAME"; sets RELAY_RC, RELAY_PLAN, RELAY_COUNT and
# REPORTED[NAME] for the caller's checks.
declare -A REPORTED=()
relay() {
	local label=$1 line rest name dir
	shift
	REPORTED=() RELAY_RC=none RELAY_PLAN='' RELAY_COUNT=0
	{
		timeout -k 10 "$TIMEOUT" "$@" 2>&1
		echo "#rc $?"
	} | while IFS= read -r line; do
		case $line in
		"TAP version"*) ;;
		1..*) RELAY_PLAN=${line#1..} RELAY_PLAN=${RELAY_PLAN%% *} ;;
		"ok "* | "not ok "*)
			if [[ $line =~ ^(ok|not\ ok)\ [0-9]+\ *-?\ *(.*)$ ]]; then
				rest=${BASH_REMATCH[2]}
				name=${rest%% #*}
				name=${name%% }
				dir=
				[[ $rest == *" # "* || $rest == *" #  "* ]] && dir=${rest#* #}
				dir=${dir# }
				dir=${dir# }
				REPORTED[$name]=1
				RELAY_COUNT=$((RELAY_COUNT + 1))
				n=$((n + 1))
				out "${BASH_REMATCH[1]} $n - $label: $name${dir:+ # $dir}"
			else
				diag "$line"
			fi ;;
		"#rc "*) RELAY_RC=${line#\#rc } ;;
		"#"*) out "$line" ;;
		*) diag "$line" ;;
		esac
	done
}

run_one() {
	local t=$1 name

	kmsg_mark "start $t"
	# shellcheck disable=SC2046	# test_exec may give "python3 FILE"
	relay "$t" $(test_exec "$t")
	while IFS= read -r name; do
		[[ -n $name && -z ${REPORTED[$name]:-} ]] || continue
		if [[ $RELAY_RC == 124 || $RELAY_RC == 137 ]]; then
			result "not ok" "$t: $name" "no result: $t timed out after ${TIMEOUT}s"
		else
			result "not ok" "$t: $name" "no result: $t exited with status $RELAY_RC"
		fi
	done <<<"${CASES[$t]}"
	log_result "$t" "start $t"
}

for t in "${TESTS[@]}"; do
	if [[ -z ${CASES[$t]:-} ]]; then
		result "not ok" "$t" "not built or --list failed (make -C selftests)"
		continue
	fi
	diag "=== $t"
	run_one "$t"
done

# --- other directories' guest suites ---------------------------------
# Shell scripts printing TAP of their own (cgsharectl's guest tests); their
# results are renumbered into this stream, their exit status and plan are
# one more result each. They may unload the module; it is put back.
EXTRA=()
for f in "$HERE"/../ctl/tests/guest*.sh; do [[ -f $f ]] && EXTRA+=("$f"); done
((${#TESTS[@]} == ${#ALL[@]})) || EXTRA=()

run_extra() {
	local f=$1 t
	t=ctl/tests/${f##*/}
	mod_loaded || insmod "$KO" 2>/dev/null
	kmsg_mark "start $t"
	diag "=== $t"
	relay "$t" sh -c 'cd "$1" && exec sh "$2"' sh "$HERE/.." "$f"
	if [[ $RELAY_RC == 0 && -n $RELAY_PLAN && $RELAY_PLAN == "$RELAY_COUNT" ]]; then
		result ok "$t: exit status 0, plan $RELAY_PLAN"
	else
		result "not ok" "$t: exit status 0, plan matches" \
			"exit status $RELAY_RC, plan ${RELAY_PLAN:-missing}, $RELAY_COUNT results"
	fi
	log_result "$t" "start $t"
}

for f in "${EXTRA[@]}"; do run_extra "$f"; done
mod_loaded || insmod "$KO" 2>/dev/null

# --- teardown ----------------------------------------------------------
kmsg_mark "teardown"
if ! mod_loaded; then
	result "not ok" "teardown: rmmod" "module not loaded at the end"
else
	ok=0
	for i in $(seq 50); do
		if err=$(rmmod "$(mod_name)" 2>&1); then ok=1; break; fi
		sleep 0.2
	done
	bad=$(kmsg_problems "teardown")
	if ((ok)) && [[ -z $bad ]]; then
		result ok "teardown: rmmod $(mod_name), clean kernel log"
	else
		result "not ok" "teardown: rmmod $(mod_name), clean kernel log" \
			"${bad:+kernel log problems; }${err:-}"
		while IFS= read -r l; do [[ -n $l ]] && diag "kernel: $l"; done <<<"$bad"
	fi
fi

# The plan comes last: the suites of other directories do not list their
# cases in advance. A run that dies before this line has no plan, which
# the runner counts as a failure.
out "1..$n"
exit $failed
