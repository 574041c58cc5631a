#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tools/vm-suite.sh TAG...
#
# The guest half of `make check`.  First, one kernel after the other, the
# builds: fetch each kernel TAG (cached; the tag debug is built by
# tools/debug-kernel.sh), build cgshare.ko against its headers (with and
# without BTF), the test modules (tools/build-test-modules.sh), the
# selftests (make -C selftests) and,
# where the kernel has sched_ext and the sched_ext test is selected, its
# example schedulers (tools/build-scx.sh).  Then the guests: boot each
# kernel with selftests/run-guest.sh as the command (TAP on stdout), JOBS
# of them at once, and judge each run.  Builds never overlap a guest, so
# the timing-sensitive tests only ever share the host with other guests
# (each one host thread: QEMU's single-threaded TCG).
#
# A kernel passes when its TAP has a plan that matches the number of
# results, no `not ok`, the command exits 0 and the guest kernel log is
# clean.  Kernel-level failures (fetch, builds, plan, exit status, log, VM
# crash or timeout) count as failed tests too.  `# SKIP` counts as
# skipped, never as passed.  Output per kernel in $BUILD/vm/TAG/ (stdout =
# TAP, stderr, console.log, dmesg, rc, log-problems, times = seconds of
# each build step, summary).  With JOBS=1
# a kernel's output is streamed as it runs; with more, it goes to
# $BUILD/vm/TAG/suite.log and is printed when that kernel's run ends.
# The last line printed is `N passed, N failed, N skipped` over all
# kernels; exit status 0 only when nothing failed.
#
# TESTS (names or paths from selftests/tests.list, space-separated) runs
# those tests only; the lines before the last then say what was left out.
#
# Environment: BUILD, CGSHARE_CACHE, V, JOBS (guests at once, 1), TESTS,
# VM_TIMEOUT and the other VM_* of tools/vm-run.sh, GUEST_CMD (default
# selftests/run-guest.sh; another command skips the selftests build).

# shellcheck source=tools/lib.sh
. "$(dirname "$0")/lib.sh"

(($# > 0)) || { echo "usage: $PROG TAG..." >&2; exit 2; }
for tag in "$@"; do valid_tag "$tag"; done

TOOLS=$CGSHARE_ROOT/tools
RUN_GUEST=$CGSHARE_ROOT/selftests/run-guest.sh
GUEST_CMD=${GUEST_CMD:-$RUN_GUEST}
JOBS=${JOBS:-1}
[[ $JOBS =~ ^[1-9][0-9]*$ ]] || die "JOBS must be a positive number, not '$JOBS'"
read -r -a SELECTED <<<"${TESTS:-}"

# A kernel-level failure: reported like a TAP failure and counted as one.
# Before the guest runs, they are kept in $BUILD/vm/TAG/kfail.
kfail() {
	echo "not ok - $tag: $*"
	k_fail=$((k_fail + 1))
}

# count_tap FILE: sets t_pass t_fail t_skip t_plan t_seen t_bail
count_tap() {
	local line
	t_pass=0 t_fail=0 t_skip=0 t_plan='' t_seen=0 t_bail=''
	while IFS= read -r line || [[ -n $line ]]; do
		line=${line%$'\r'}
		case $line in
		1..*)
			[[ -z $t_plan && ${line#1..} =~ ^([0-9]+) ]] && t_plan=${BASH_REMATCH[1]} ;;
		"Bail out!"*)
			t_bail=$line ;;
		"ok"|"ok "*|"not ok"|"not ok "*)
			t_seen=$((t_seen + 1))
			shopt -s nocasematch
			if [[ $line =~ \#[[:space:]]*SKIP ]]; then
				t_skip=$((t_skip + 1))
			elif [[ $line == "not ok"* ]]; then
				t_fail=$((t_fail + 1))
			else
				t_pass=$((t_pass + 1))
			fi
			shopt -u nocasematch ;;
		esac
	done <"$1"
}

# The tests a run-guest.sh run will do, and those it leaves out.
select_tests() {
	local all
	mapfile -t all < <("$RUN_GUEST" --list)
	mapfile -t RUN_TESTS < <("$RUN_GUEST" --list "${SELECTED[@]}") ||
		die "TESTS='${TESTS:-}' names a test that is not in selftests/tests.list"
	((${#RUN_TESTS[@]})) || die "TESTS='${TESTS:-}' selects no test"
	LEFT_OUT=()
	for t in "${all[@]}"; do
		[[ " ${RUN_TESTS[*]} " == *" $t "* ]] && continue
		t=${t##*/}
		t=${t%.py}
		LEFT_OUT+=("${t%.sh}")
	done
}

selected() {	# selected PATH: is this test in the run?
	[[ $GUEST_CMD == "$RUN_GUEST" && " ${RUN_TESTS[*]} " == *" $1 "* ]]
}

# has_sched_ext: the kernel of the sourced env has the sched_ext class
has_sched_ext() {
	grep -qx 'CONFIG_SCHED_CLASS_EXT=y' "$KCONFIG"
}

# step NAME CMD...: runs CMD, adding "NAME SECONDS" to $out/times
step() {
	local name=$1 t0=$SECONDS rc=0
	shift
	"$@" || rc=$?
	echo "$name $((SECONDS - t0))" >>"$out/times"
	return "$rc"
}

# prepare: fetch and build what the guest of $tag needs; failures go to
# $out/kfail, the time of each step to $out/times.
prepare() {
	local out=$BUILD/vm/$tag
	k_fail=0
	if [[ $tag == debug ]]; then
		if ! step build-kernel "$TOOLS/debug-kernel.sh"; then
			kfail "building the debug kernel failed"
			return
		fi
	elif ! step fetch "$TOOLS/fetch-kernels.sh" "$tag"; then
		kfail "fetching the kernel failed"
		return
	fi
	if ! (kernel_env "$tag"); then
		kfail "the fetched kernel is incomplete"
		return
	fi
	kernel_env "$tag"
	echo "$KVER" >"$out/kver"
	if [[ -n ${BUILDROOT:-} ]] && ! step root "$TOOLS/build-root.sh" "$BUILDROOT" >/dev/null; then
		kfail "making the $BUILDROOT build root failed"
		return
	fi
	if ! step module "$TOOLS/build-module.sh" "$tag"; then
		kfail "building cgshare.ko for $KVER failed"
		return
	fi
	# The same module without BTF: the BPF-off path (ctl/tests/guest-gpu-bpf.sh).
	if ! MODULE_BTF=off step module-nobtf "$TOOLS/build-module.sh" "$tag"; then
		kfail "building cgshare.ko without BTF for $KVER failed"
		return
	fi
	if ! step test-modules "$TOOLS/build-test-modules.sh" "$tag"; then
		kfail "building the test modules (selftests/fixtures) for $KVER failed"
		return
	fi
	if { selected selftests/sched_ext.sh || selected ctl/tests/guest-verify.sh; } &&
		has_sched_ext &&
		! step scx "$TOOLS/build-scx.sh" "$tag" >"$out/scx"; then
		kfail "building the sched_ext schedulers for $KVER failed"
	fi
}

# run_kernel: boot $tag and judge the run; writes $out/result.
run_kernel() {
	local out=$BUILD/vm/$tag rc=0 before cmd_rc scx=
	k_fail=0 t_pass=0 t_fail=0 t_skip=0 t_plan='' t_seen=0 t_bail=''
	if [[ -s $out/kfail ]]; then
		cat "$out/kfail"
		k_fail=$(wc -l <"$out/kfail")
	elif ((selftests_broken)); then
		kfail "the selftests did not build"
	elif [[ ! -x $GUEST_CMD ]]; then
		kfail "$GUEST_CMD is missing or not executable"
	else
		[[ -s $out/scx ]] && scx=$(<"$out/scx")
		note "$tag ($(<"$out/kver")): booting"
		CGSHARE_KO_NOBTF=$BUILD/mod/$tag-nobtf/cgshare.ko CGSHARE_SCX=$scx \
			CGSHARE_TESTS="${RUN_TESTS[*]}" \
			"$TOOLS/vm-run.sh" "$tag" "$out" -- "$GUEST_CMD" || rc=$?
		count_tap "$out/stdout"
		cp "$out/stdout" "$out/tap"
		if [[ -n $t_bail ]]; then
			kfail "the tests bailed out: $t_bail"
		fi
		if [[ -z $t_plan ]]; then
			kfail "no TAP plan (1..N) in the output"
		elif ((t_seen < t_plan)); then
			echo "not ok - $tag: $((t_plan - t_seen)) planned tests did not report"
			k_fail=$((k_fail + t_plan - t_seen))
		elif ((t_seen > t_plan)); then
			kfail "$t_seen results for a plan of $t_plan"
		fi
		# vm-run.sh has explained a guest failure on stderr already
		before=$k_fail
		if [[ -s $out/log-problems ]]; then
			kfail "guest kernel log: $(head -n 1 "$out/log-problems") (all in $out/log-problems)"
		fi
		cmd_rc=$(cat "$out/rc" 2>/dev/null || echo none)
		if [[ $cmd_rc == none ]]; then
			kfail "the guest did not finish the tests (crash or timeout), see $out/console.log"
		elif [[ $cmd_rc != 0 ]] && ((t_fail == 0)); then
			kfail "the test command exited with status $cmd_rc"
		fi
		if ((rc != 0 && k_fail == before && t_fail == 0)); then
			kfail "the guest run failed, see $out/console.log and $out/.vm/"
		fi
	fi
	echo "$t_pass $((t_fail + k_fail)) $t_skip ${t_plan:--}" >"$out/result"
}

# finish TAG SECONDS: the summary line of a kernel whose run has ended
finish() {
	local tag=$1 secs=$2 out=$BUILD/vm/$1 p f s plan line kv
	read -r p f s plan <"$out/result" 2>/dev/null || { p=0 f=1 s=0 plan=-; }
	kv=$(cat "$out/kver" 2>/dev/null || echo "?")
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
	total_skip=$((total_skip + s))
	line="kernel $tag ($kv): $p ok, $f not ok, $s skip"
	[[ $plan != - ]] && line+=" (plan $plan)"
	line+=", build ${prep_secs[$tag]} s ($(awk '{ printf "%s%s %d", (NR > 1 ? ", " : ""), $1, $2 }' "$out/times" 2>/dev/null)), guest $secs s"
	((f == 0)) && line+=" - PASS" || line+=" - FAIL, logs in $out/"
	summaries+=("$line")
	printf '%s\n' "$line" >"$out/summary"
}

total_pass=0 total_fail=0 total_skip=0
summaries=()
declare -A prep_secs=() started=()
RUN_TESTS=()
LEFT_OUT=()
if [[ $GUEST_CMD == "$RUN_GUEST" ]]; then
	select_tests
elif ((${#SELECTED[@]})); then
	die "TESTS works with selftests/run-guest.sh only, not GUEST_CMD=$GUEST_CMD"
fi

# --- builds, one kernel after the other ---------------------------------
for tag in "$@"; do
	t0=$SECONDS
	rm -rf "$BUILD/vm/$tag"
	mkdir -p "$BUILD/vm/$tag"
	prepare >"$BUILD/vm/$tag/kfail"
	prep_secs[$tag]=$((SECONDS - t0))
done
selftests_broken=0
if [[ $GUEST_CMD == "$RUN_GUEST" ]] && ! quiet make -C "$CGSHARE_ROOT/selftests"; then
	note "building the selftests (make -C selftests) failed"
	selftests_broken=1
fi

# --- guests, JOBS at once -----------------------------------------------
# (each in a subshell: $out/result carries its counts back)
declare -A pid_tag=()
reap() {	# reap: wait for one guest to end, print its output, sum it up
	local pid tag
	wait -n -p pid "${!pid_tag[@]}" || true
	tag=${pid_tag[$pid]}
	unset "pid_tag[$pid]"
	if ((JOBS > 1)); then
		echo "=== kernel $tag"
		cat "$BUILD/vm/$tag/suite.log"
	fi
	finish "$tag" $((SECONDS - started[$tag]))
}
for tag in "$@"; do
	while ((${#pid_tag[@]} >= JOBS)); do reap; done
	started[$tag]=$SECONDS
	if ((JOBS > 1)); then
		run_kernel >"$BUILD/vm/$tag/suite.log" 2>&1 &
	else
		run_kernel &
	fi
	pid_tag[$!]=$tag
done
while ((${#pid_tag[@]})); do reap; done

echo
printf '%s\n' "${summaries[@]}"
if ((${#LEFT_OUT[@]})); then
	echo "subset (TESTS=${TESTS:-}): left out on every kernel: ${LEFT_OUT[*]}"
fi
echo "$total_pass passed, $total_fail failed, $total_skip skipped"
((total_fail == 0 && total_pass + total_skip > 0))
