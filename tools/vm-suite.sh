#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tools/vm-suite.sh TAG...
#
# The guest half of `make check`.  For each kernel TAG: fetch it (cached),
# build cgshare.ko against its headers, boot it with selftests/run-guest.sh
# as the command (TAP on stdout), and judge the run.  The selftests are
# built on the host first (make -C selftests) when they have a Makefile.
#
# A kernel passes when its TAP has a plan that matches the number of
# results, no `not ok`, the command exits 0 and the guest kernel log is
# clean.  Kernel-level failures (module build, plan, exit status, log, VM
# crash or timeout) count as failed tests too.  `# SKIP` counts as skipped,
# never as passed.  Output per kernel in $BUILD/vm/TAG/ (stdout = TAP,
# stderr, console.log, dmesg, rc, log-problems, summary).  The last line printed is
# `N passed, N failed, N skipped` over all kernels; exit status 0 only when
# nothing failed.
#
# Environment: BUILD, V, VM_TIMEOUT and the other VM_* of tools/vm-run.sh,
# GUEST_CMD (default selftests/run-guest.sh; another command skips the
# selftests build).

# shellcheck source=tools/lib.sh
. "$(dirname "$0")/lib.sh"

(($# > 0)) || { echo "usage: $PROG TAG..." >&2; exit 2; }
for tag in "$@"; do valid_tag "$tag"; done

TOOLS=$CGSHARE_ROOT/tools
GUEST_CMD=${GUEST_CMD:-$CGSHARE_ROOT/selftests/run-guest.sh}
total_pass=0 total_fail=0 total_skip=0
summaries=()

# A kernel-level failure: reported like a TAP failure and counted as one.
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

build_selftests() {
	if [[ ! -f $CGSHARE_ROOT/selftests/Makefile ]]; then
		note "note: selftests/Makefile does not exist yet; not building the selftests"
		return 0
	fi
	quiet make -C "$CGSHARE_ROOT/selftests" || {
		note "building the selftests (make -C selftests) failed"
		return 1
	}
}

run_kernel() {
	local out=$BUILD/vm/$tag rc=0
	kver='?'
	k_fail=0 t_pass=0 t_fail=0 t_skip=0 t_plan='' t_seen=0 t_bail=''
	rm -rf "$out"
	mkdir -p "$out"
	if ! "$TOOLS/fetch-kernels.sh" "$tag"; then
		kfail "fetching the kernel failed"
		return
	fi
	kver=$(kernel_env "$tag" && echo "$KVER")
	if ! "$TOOLS/build-module.sh" "$tag"; then
		kfail "building cgshare.ko for $kver failed"
		return
	fi
	# The same module without BTF: the BPF-off path (ctl/tests/guest-gpu-bpf.sh).
	if ! MODULE_BTF=off "$TOOLS/build-module.sh" "$tag"; then
		kfail "building cgshare.ko without BTF for $kver failed"
		return
	fi
	if ((selftests_broken)); then
		kfail "the selftests did not build"
		return
	fi
	if [[ ! -x $GUEST_CMD ]]; then
		kfail "$GUEST_CMD is missing or not executable"
		return
	fi
	note "$tag ($kver): booting"
	CGSHARE_KO_NOBTF=$BUILD/mod/$tag-nobtf/cgshare.ko \
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
	local before=$k_fail cmd_rc
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
}

selftests_broken=0
if [[ $GUEST_CMD == "$CGSHARE_ROOT/selftests/run-guest.sh" ]]; then
	build_selftests || selftests_broken=1
fi

for tag in "$@"; do
	t0=$SECONDS
	run_kernel
	p=$t_pass f=$((t_fail + k_fail)) s=$t_skip
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
	total_skip=$((total_skip + s))
	line="kernel $tag ($kver): $p ok, $f not ok, $s skip"
	[[ -n $t_plan ]] && line+=" (plan $t_plan)"
	line+=", $((SECONDS - t0)) s"
	((f == 0)) && line+=" - PASS" || line+=" - FAIL, logs in $BUILD/vm/$tag/"
	summaries+=("$line")
	mkdir -p "$BUILD/vm/$tag"
	printf '%s\n' "$line" >"$BUILD/vm/$tag/summary"
done

echo
printf '%s\n' "${summaries[@]}"
echo "$total_pass passed, $total_fail failed, $total_skip skipped"
((total_fail == 0 && total_pass + total_skip > 0))
