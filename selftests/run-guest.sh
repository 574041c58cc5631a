#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# selftests/run-guest.sh [TEST...]
# selftests/run-guest.sh --list [TEST...]
#
# Runs INSIDE the test guest, as root, on a fresh cgroup2 at /sys/fs/cgroup:
# enables cpu, memory and pids at the root, inserts $CGSHARE_KO, runs the
# tests of selftests/tests.list in its order (the C tests from
# $BUILD/selftests, built on the host by make -C selftests; Python tests;
# shell scripts printing TAP such as cgsharectl's guest suites), then
# removes the module.  Prints one flat TAP 13 stream on stdout, its plan
# last:
#
#   ok N - setup: ...            the environment the tests need
#   ok N - TEST: CASE            one line per test case
#   ok N - TEST: exit status 0, plan N   (scripts: their own plan held)
#   ok N - TEST: kernel log      no warning, oops or leak while TEST ran
#   ok N - teardown: ...         rmmod and the final kernel log
#
# TEST is a name (counters, ynl_cli, guest-export) or a path of the list;
# without any, every test runs, else those (or $CGSHARE_TESTS, a
# space-separated list), and a "# subset" line says which were left out.
# --list prints the selected paths and exits (2 for an unknown name); it
# runs anywhere.  Kernel log lines matching tools/guest/log-patterns fail
# the test that was running.  On a kernel with kmemleak (the debug
# kernel), what boot left is scanned and forgotten once, and a scan after
# every test (and after the final rmmod) fails that test's "kernel log"
# result when it finds anything.  Diagnostics are "# " lines.  A binary that
# crashes or times out gets a "not ok" for each case it did not report,
# so the count always matches the plan.  Environment: CGSHARE_KO (module
# file), BUILD, CGSHARE_OUT (a copy of the TAP goes to
# $CGSHARE_OUT/selftests.tap), CGSHARE_TESTS, CGSHARE_TEST_TIMEOUT (s per
# test, 1800), CGSHARE_DUMP_N (cgroups in the dump test, 10000).

set -u
shopt -s lastpipe	# the TAP filter loop runs in this shell (no /dev/fd here)
export LC_ALL=C

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$HERE/.." && pwd)
BUILD=${BUILD:-$(realpath -m "$TOP/build")}
BIN=$BUILD/selftests
CG=/sys/fs/cgroup
KO=${CGSHARE_KO:-}
TIMEOUT=${CGSHARE_TEST_TIMEOUT:-1800}
TAPCOPY=${CGSHARE_OUT:+$CGSHARE_OUT/selftests.tap}
export BUILD CGSHARE_SELFTESTS=$HERE

# --- the test list -----------------------------------------------------
mapfile -t ALL < <(sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^$/d' "$HERE/tests.list")

# test_name PATH: what TESTS= calls it (counters, ynl_cli, guest-export)
test_name() { local n=${1##*/}; n=${n%.py}; printf '%s\n' "${n%.sh}"; }
# test_label PATH: how its results are named (counters, ynl_cli.py,
# ctl/tests/guest.sh)
test_label() { printf '%s\n' "${1#selftests/}"; }

# select_tests NAME...: sets TESTS to the entries named, in list order.
select_tests() {
	local e w found
	declare -A pick=()
	for w in "$@"; do
		found=
		for e in "${ALL[@]}"; do
			if [[ $w == "$e" || $w == "$(test_name "$e")" || $w == "$(test_label "$e")" ]]; then
				pick[$e]=1 found=1
			fi
		done
		if [[ -z $found ]]; then
			echo "run-guest.sh: no test '$w' in selftests/tests.list (known: $(for e in "${ALL[@]}"; do test_name "$e"; done | paste -sd' '))" >&2
			return 2
		fi
	done
	TESTS=()
	for e in "${ALL[@]}"; do
		[[ -n ${pick[$e]:-} ]] && TESTS+=("$e")
	done
	return 0
}

if [[ ${1:-} == --list ]]; then
	shift
	if (($# > 0)); then select_tests "$@" || exit 2; else TESTS=("${ALL[@]}"); fi
	printf '%s\n' "${TESTS[@]}"
	exit 0
fi
if (($# == 0)) && [[ -n ${CGSHARE_TESTS:-} ]]; then
	read -r -a args <<<"$CGSHARE_TESTS"
	set -- "${args[@]}"
fi
if (($# > 0)); then
	select_tests "$@" || { echo "Bail out! unknown test name"; exit 2; }
else
	TESTS=("${ALL[@]}")
fi
LEFT_OUT=()
for e in "${ALL[@]}"; do
	[[ " ${TESTS[*]} " == *" $e "* ]] || LEFT_OUT+=("$(test_name "$e")")
done

# Kernel log lines that mean trouble (tools/vm-run.sh fails the run on
# them too; here they are pinned on the test that caused them).
BAD=$(sed -e '/^#/d' -e '/^$/d' "$TOP/tools/guest/log-patterns" | paste -sd '|')

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

# test_kind PATH: bin (C test), py, or sh (a script printing TAP, with no
# --list of its cases)
test_kind() {
	case $1 in
	*.py) echo py ;;
	*.sh) echo sh ;;
	*) echo bin ;;
	esac
}
# test_exec PATH: the command that runs it
test_exec() {
	case $(test_kind "$1") in
	py) printf '%s\n' "/usr/bin/python3 $TOP/$1" ;;
	sh) if [[ $(head -n 1 "$TOP/$1") == '#!/bin/bash'* ]]; then
		printf '%s\n' "bash $TOP/$1"
	    else
		printf '%s\n' "sh $TOP/$1"
	    fi ;;
	*) printf '%s\n' "$BIN/$(test_name "$1")" ;;
	esac
}
test_present() {
	case $(test_kind "$1") in
	py) [[ -f $TOP/$1 && -x /usr/bin/python3 ]] ;;
	sh) [[ -f $TOP/$1 ]] ;;
	*) [[ -x $BIN/$(test_name "$1") ]] ;;
	esac
}

kmsg_mark() { echo "cgshare-selftests: $1" >/dev/kmsg 2>/dev/null || true; }

# Problems logged since the mark. An OOM report's stack dump is what the
# memory.max test asks for, not a fault: its lines are left out, and so
# are the dumps of failures a test provoked (tools/guest/log-provoked.awk).
kmsg_problems() {
	dmesg 2>/dev/null | awk -v mark="cgshare-selftests: $1" '
		index($0, mark) { on = 1; oom = 0; next }
		!on { next }
		/invoked oom-killer:/ { oom = 1; next }
		oom && /(Memory cgroup out of memory|Out of memory): Killed process|oom-kill:constraint=/ { oom = 0; next }
		oom { next }
		{ print }' | awk -f "$TOP/tools/guest/log-provoked.awk" | grep -E -- "$BAD" || true
}

# kmemleak_scan: what kmemleak finds unreferenced now (then forgotten, so
# that each leak is reported once), or nothing on a kernel without it.
KMEMLEAK=/sys/kernel/debug/kmemleak
kmemleak_scan() {
	[[ -e $KMEMLEAK ]] || return 0
	sleep 5		# it never reports objects younger than 5 s
	if ! { echo scan >"$KMEMLEAK" && cat "$KMEMLEAK" && echo clear >"$KMEMLEAK"; } 2>&1; then
		echo "kmemleak scan failed (kmemleak disabled itself? see dmesg)"
	fi
}

log_result() {	# log_result NAME MARK
	local bad leaks
	leaks=$(kmemleak_scan)
	bad=$(kmsg_problems "$2")
	if [[ -z $bad && -z $leaks ]]; then
		result ok "$1: kernel log"
	else
		result "not ok" "$1: kernel log" "warnings, oopses or leaks logged"
		while IFS= read -r l; do diag "kernel: $l"; done <<<"$(head -n 30 <<<"$bad")"
		while IFS= read -r l; do diag "kmemleak: $l"; done <<<"$(head -n 60 <<<"$leaks")"
	fi
}

# --- cases -------------------------------------------------------------
declare -A CASES=()
for t in "${TESTS[@]}"; do
	[[ $(test_kind "$t") == sh ]] && continue
	# shellcheck disable=SC2046	# test_exec may give "python3 FILE"
	if test_present "$t" && list=$($(test_exec "$t") --list 2>/dev/null) &&
		[[ -n $list ]]; then
		CASES[$t]=$list
	fi
done

[[ -n $TAPCOPY ]] && : >"$TAPCOPY"
out "TAP version 13"
diag "cgshare selftests on $(uname -r) (tag ${CGSHARE_TAG:-?}), $(nproc) CPUs, $(awk '/MemTotal/ { print $2 / 1024 " MiB" }' /proc/meminfo)"
if ((${#LEFT_OUT[@]})); then
	diag "subset: ${#TESTS[@]} of ${#ALL[@]} tests; left out: ${LEFT_OUT[*]}"
fi

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
if [[ -e $KMEMLEAK ]]; then
	# what boot left is not ours: scanned once, counted, forgotten
	if echo scan 2>/dev/null >"$KMEMLEAK"; then
		boot_leaks=$(grep -c '^unreferenced object' "$KMEMLEAK")
		echo clear >"$KMEMLEAK"
		result ok "setup: kmemleak baseline ($boot_leaks suspects from boot cleared)"
	else
		result "not ok" "setup: kmemleak baseline" "cannot scan: kmemleak is off, see dmesg"
	fi
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

# run_cases PATH LABEL: a test that lists its cases (C, Python); a case it
# did not report is a failure.
run_cases() {
	local t=$1 label=$2 name
	# shellcheck disable=SC2046	# test_exec may give "python3 FILE"
	relay "$label" $(test_exec "$t")
	while IFS= read -r name; do
		[[ -n $name && -z ${REPORTED[$name]:-} ]] || continue
		if [[ $RELAY_RC == 124 || $RELAY_RC == 137 ]]; then
			result "not ok" "$label: $name" "no result: $label timed out after ${TIMEOUT}s"
		else
			result "not ok" "$label: $name" "no result: $label exited with status $RELAY_RC"
		fi
	done <<<"${CASES[$t]}"
}

# run_script PATH LABEL: a script printing TAP of its own, run from the top
# of the repository; its exit status and plan are one more result.
run_script() {
	local t=$1 label=$2
	# shellcheck disable=SC2046,SC2016 # test_exec gives "sh FILE"; $1 is for sh -c
	relay "$label" sh -c 'cd "$1" && shift && exec "$@"' sh "$TOP" $(test_exec "$t")
	if [[ $RELAY_RC == 0 && -n $RELAY_PLAN && $RELAY_PLAN == "$RELAY_COUNT" ]]; then
		result ok "$label: exit status 0, plan $RELAY_PLAN"
	else
		result "not ok" "$label: exit status 0, plan matches" \
			"exit status $RELAY_RC, plan ${RELAY_PLAN:-missing}, $RELAY_COUNT results"
	fi
}

for t in "${TESTS[@]}"; do
	label=$(test_label "$t")
	# a test before may have taken the module out
	[[ -n $KO ]] && ! mod_loaded && insmod "$KO" 2>/dev/null
	if [[ $(test_kind "$t") == sh ]]; then
		if ! test_present "$t"; then
			result "not ok" "$label" "$TOP/$t is missing"
			continue
		fi
		kmsg_mark "start $label"
		diag "=== $label"
		run_script "$t" "$label"
	else
		if [[ -z ${CASES[$t]:-} ]]; then
			result "not ok" "$label" "not built or --list failed (make -C selftests)"
			continue
		fi
		kmsg_mark "start $label"
		diag "=== $label"
		run_cases "$t" "$label"
	fi
	log_result "$label" "start $label"
done
[[ -n $KO ]] && ! mod_loaded && insmod "$KO" 2>/dev/null

# --- teardown ----------------------------------------------------------
kmsg_mark "teardown"
if ! mod_loaded; then
	result "not ok" "teardown: rmmod" "module not loaded at the end"
else
	ok=0
	for _ in $(seq 50); do
		if err=$(rmmod "$(mod_name)" 2>&1); then ok=1; break; fi
		sleep 0.2
	done
	leaks=$(kmemleak_scan)
	bad=$(kmsg_problems "teardown")
	if ((ok)) && [[ -z $bad && -z $leaks ]]; then
		result ok "teardown: rmmod $(mod_name), clean kernel log"
	else
		result "not ok" "teardown: rmmod $(mod_name), clean kernel log" \
			"${bad:+kernel log problems; }${leaks:+kmemleak reports; }${err:-}"
		while IFS= read -r l; do [[ -n $l ]] && diag "kernel: $l"; done <<<"$bad"
		while IFS= read -r l; do [[ -n $l ]] && diag "kmemleak: $l"; done <<<"$(head -n 60 <<<"$leaks")"
	fi
fi

# The plan comes last: the suites of other directories do not list their
# cases in advance. A run that dies before this line has no plan, which
# the runner counts as a failure.
out "1..$n"
exit $failed
