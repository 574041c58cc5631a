#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tools/bench.sh [TAG...]   (default: 6.1)
#
# `make bench`: the cgshare benchmarks, run inside Debian's kernel TAG under
# QEMU and printed as ratios measured side by side in one run:
#
#  collect  CPU usage and memory of N = 1,000 and 5,000 cgroups: one cgshare
#           netlink dump versus reading cpu.stat, memory.current and
#           memory.stat of every cgroup (tools/bench/collect.c).
#  ctxsw    pipe ping-pong round trip with cgshare.ko loaded versus not,
#           interleaved, insmod/rmmod between runs (tools/bench/pingpong.c,
#           and `perf bench sched pipe` where it runs).
#  wholepath one read of every cgroup, as CPU time, at N = 1,000, 5,000 and
#           10,000: a cAdvisor-style C collector reading ten files per
#           cgroup against one HTTP scrape of `export` and one `stats -r -j`
#           (tools/bench/scrape.c, cadvisor.c; goal: 20 times cheaper), and
#           cgsharectl's own cost per cgroup on top of the dump (goal: at
#           most 8,000 instructions, judged on icount).
#  fence    the BPF GPU collectors: run time per run of each program from
#           bpf_stats while vgem fences are made and signalled, and the
#           time per fence with the collectors attached versus not
#           (target: at most 250 guest instructions per event, on icount).
#  profile  (only when BENCH_JOBS names it) perf's cpu-clock on the exporter
#           and on stats -r -j over CGSHARE_BENCH_PROFILE_N (1000) cgroups:
#           reports in $BUILD/bench/TAG-icount/profile/ (tools/bench/guest.sh).
#
# Each kernel is booted twice (tools/bench/guest.sh does the work inside):
#
#  [icount] one CPU, QEMU's -icount shift=0: guest time advances exactly one
#           nanosecond per guest instruction, so the figures count
#           instructions and do not move with the load of the host.  This is
#           the run to read for small differences such as the context-switch
#           cost; it cannot see cache misses.  Also runs the pinned and
#           nested ping-pong with empty probes on cgshare's tracepoints
#           (tools/bench/nullprobe/), to split the cost between the
#           tracepoint calls and cgshare's code.
#  [wall]   two CPUs, plain TCG: CLOCK_MONOTONIC and CPU time, with all the
#           noise of an emulator sharing the host.  Collect, and the
#           ping-pong split over two CPUs, which the icount boot cannot do.
#  [cpus]   (only when BENCH_RUNS names it) icount boots with 1, 16, 64 and
#           128 vCPUs (BENCH_CPUS), collect at N = 1,000 (BENCH_CPUS_N) in
#           each: how the dump's cost per record grows with the CPUs a
#           kernel has (goal: at 128 within 1.25 times its cost at 1).
#           QEMU 7.2 brings up only the first CPU under -icount, so the
#           others are possible but offline: this measures what the module
#           does per possible CPU, not per busy one.  A 128-vCPU boot takes
#           minutes; this run is in no CI.
#
# QEMU 7.2 does not bring up a second CPU with -icount, hence one CPU there.
# vm-run.sh has no knob for extra QEMU options, so the icount boot puts a
# two-line qemu-system-x86_64 wrapper first in PATH.
#
# The `bench: ...` lines of all runs go to $BUILD/bench/result.txt with the
# kernel, commit and host load; raw output in $BUILD/bench/TAG-{icount,wall}/.
# Nothing is asserted about times: the exit status is non-zero only when a
# build or a guest run fails (including the guest kernel log check).
#
# Environment: BUILD, V, BENCH_N ("1000 5000"), BENCH_WHOLE_N ("1000 5000
# 10000", the wholepath sizes), BENCH_REPS (collect and wholepath
# repetitions, 5 wall / 3 icount: icount repeats itself to 0.1 %),
# BENCH_PAIRS (ctxsw pairs, 5), BENCH_SECS (seconds per ping-pong run, 1
# wall / 0.1 icount), BENCH_RUNS ("icount wall"; also "cpus"), BENCH_CPUS
# ("1 16 64 128"), BENCH_CPUS_N ("1000"), BENCH_JOBS (the jobs of
# tools/bench/guest.sh to run in every boot instead of the defaults, e.g.
# "ctxsw:pinned" with BENCH_RUNS=icount for a quick check of the hot path),
# VM_TIMEOUT.

# shellcheck source=tools/lib.sh
. "$(dirname "$0")/lib.sh"

TAGS=("$@")
((${#TAGS[@]})) || TAGS=(6.1)
for tag in "${TAGS[@]}"; do valid_tag "$tag"; done
RUNS=${BENCH_RUNS:-icount wall}
OUT=$BUILD/bench
RESULT=$OUT/result.txt
TOOLS=$CGSHARE_ROOT/tools

need_cmd qemu-system-x86_64 qemu-system-x86
need_cmd make make

mkdir -p "$OUT"
quiet make -C "$TOOLS/bench" BUILD="$BUILD" || die "building the benchmark programs failed"
quiet make -C "$CGSHARE_ROOT/selftests" BUILD="$BUILD" || die "building selftests/vgem_fence failed"

# The icount wrapper, pointing at the qemu found in PATH now.
ICOUNT_BIN=$OUT/icount-bin
mkdir -p "$ICOUNT_BIN"
real_qemu=$(command -v qemu-system-x86_64)
[[ $real_qemu != "$ICOUNT_BIN"/* ]] || die "PATH already holds $ICOUNT_BIN"
printf '#!/bin/sh\ntouch %q\nexec %q "$@" -icount shift=0,sleep=on\n' \
	"$ICOUNT_BIN/used" "$real_qemu" >"$ICOUNT_BIN/qemu-system-x86_64"
chmod 755 "$ICOUNT_BIN/qemu-system-x86_64"

# build_nullprobe TAG: prints the path of cgshare_nullprobe.ko, or nothing.
build_nullprobe() {
	local dir=$OUT/nullprobe/$1 log
	mkdir -p "$dir"
	cp -p "$TOOLS/bench/nullprobe/nullprobe.c" "$TOOLS/bench/nullprobe/Kbuild" "$dir/"
	log=$dir/build.log
	if make -C "$KDIR" M="$dir" KCFLAGS=-Werror modules >"$log" 2>&1 &&
		[[ -f $dir/cgshare_nullprobe.ko ]]; then
		printf '%s\n' "$dir/cgshare_nullprobe.ko"
	else
		note "$1: building the empty-probe baseline failed (see $log); ctxsw runs without it"
	fi
}

# run_guest TAG CLOCK [VCPUS]: one boot; its output lands in
# $OUT/TAG-CLOCK/ (with VCPUS, an icount boot with that many vCPUs running
# collect only, in $OUT/TAG-icount-VCPUS/).
run_guest() {
	local tag=$1 clock=$2 cpus=${3:-} dir=$OUT/$1-$2${3:+-$3} rc=0
	local -a env=(CGSHARE_BENCH_CLOCK="$clock" CGSHARE_BENCH_N="${BENCH_N:-1000 5000}"
		CGSHARE_BENCH_WHOLE_N="${BENCH_WHOLE_N:-1000 5000 10000}")
	local -a jobs
	if [[ -n $cpus ]]; then
		env=(CGSHARE_BENCH_CLOCK="icount, vCPUs $cpus" CGSHARE_BENCH_N="${BENCH_CPUS_N:-1000}"
			PATH="$ICOUNT_BIN:$PATH" VM_SMP="$cpus" CGSHARE_BENCH_REPS="${BENCH_REPS:-3}")
		jobs=(collect)
	elif [[ $clock == icount ]]; then
		env+=(PATH="$ICOUNT_BIN:$PATH" VM_SMP=1
			CGSHARE_BENCH_REPS="${BENCH_REPS:-3}" CGSHARE_BENCH_PAIRS="${BENCH_PAIRS:-5}"
			CGSHARE_BENCH_SECS="${BENCH_SECS:-0.1}" CGSHARE_BENCH_NULL_KO="$null_ko")
		jobs=(ctxsw:pinned ctxsw:nested ctxsw:perf collect wholepath fence)
	else
		env+=(VM_SMP=2
			CGSHARE_BENCH_REPS="${BENCH_REPS:-5}" CGSHARE_BENCH_PAIRS="${BENCH_PAIRS:-5}"
			CGSHARE_BENCH_SECS="${BENCH_SECS:-1}")
		jobs=(collect wholepath ctxsw:split fence)
	fi
	# shellcheck disable=SC2206 # a list of words
	[[ -n ${BENCH_JOBS:-} && -z $cpus ]] && jobs=($BENCH_JOBS)
	note "$tag [$clock]: booting ($(cut -d' ' -f1-3 /proc/loadavg) host load)"
	rm -f "$ICOUNT_BIN/used"
	env "${env[@]}" "$TOOLS/vm-run.sh" "$tag" "$dir" -- "$TOOLS/bench/guest.sh" "${jobs[@]}" || rc=$?
	if [[ ($clock == icount || -n $cpus) && ! -e $ICOUNT_BIN/used ]]; then
		note "$tag [icount]: vm-run.sh did not start QEMU through $ICOUNT_BIN: these figures are NOT from icount"
		sed -i 's/^bench: \(.*\)\[icount\]/bench: \1[NOT icount]/' "$dir/stdout"
		failed=1
	fi
	grep '^bench: ' "$dir/stdout" 2>/dev/null >>"$results" || true
	if ((rc)); then
		note "$tag [$clock]: the guest run failed (exit $rc); see $dir/"
		failed=1
	fi
}

# Appends "(target ...)" to the summary lines that have a target. A
# substr() is a string: + 0 makes it a number, or "9.0" >= 20 holds.
judge() {
	awk '
	# per record at each vCPU count, for the summary line at the end
	/^bench: collect N=[0-9]+ \[icount, vCPUs [0-9]+\]/ {
		match($0, /vCPUs [0-9]+\]/)
		v = substr($0, RSTART + 6, RLENGTH - 7) + 0
		match($0, /netlink [0-9.]+ us;/)
		per[v] = substr($0, RSTART + 8, RLENGTH - 12) + 0
		if (v > vmax) vmax = v
	}
	/^bench: collect / && match($0, /ratio [0-9.]+x/) {
		r = substr($0, RSTART + 6, RLENGTH - 7) + 0
		print $0 (r >= 10 ? "  [target >= 10x: met]" : "  [target >= 10x: NOT met]"); next
	}
	/^bench: ctxsw / && !/empty probes/ && match($0, /ratio [0-9.]+ /) {
		r = substr($0, RSTART + 6, RLENGTH - 7) + 0
		match($0, /min [0-9.]+, max [0-9.]+/)
		split(substr($0, RSTART, RLENGTH), m, /[ ,]+/)
		# icount repeats itself but for a rare stray guest event, which the
		# median absorbs; wall-clock pairs that disagree say nothing
		if (!/\[icount\]/ && m[4] - m[2] > 0.02)
			print $0 "  [pairs spread over more than 0.02: too noisy to judge]"
		else
			print $0 (r <= 1.02 ? "  [target <= 1.02: met]" : "  [target <= 1.02: NOT met]")
		next
	}
	/^bench: wholepath N=/ && match($0, /collector\/export [0-9.]+x/) {
		e = substr($0, RSTART + 17, RLENGTH - 18) + 0
		match($0, /collector\/stats [0-9.]+x/)
		s = substr($0, RSTART + 16, RLENGTH - 17) + 0
		print $0 (e >= 20 && s >= 20 ? "  [goal >= 20x: met]" : \
		      "  [goal >= 20x: NOT met" (e < 20 ? ", export" : "") (s < 20 ? ", stats" : "") "]")
		next
	}
	/^bench: wholepath marginal/ && match($0, /on top of the dump: stats -?[0-9]+, export -?[0-9]+/) {
		split(substr($0, RSTART, RLENGTH), q, /[ :,]+/)
		s = q[7]; e = q[9]
		if (/\[icount\]/)
			print $0 (s <= 8000 && e <= 8000 ? "  [goal <= 8000: met]" : \
			      "  [goal <= 8000: NOT met" (s > 8000 ? ", stats" : "") (e > 8000 ? ", export" : "") "]")
		else
			print $0 "  [wall clock under TCG: not judged; see icount]"
		next
	}
	/^bench: fence .*ns per event/ && match($0, /mean [0-9]+ /) {
		r = substr($0, RSTART + 5, RLENGTH - 6) + 0
		if (/\[icount\]/)
			print $0 (r <= 250 ? "  [target <= 250 instructions: met]" : "  [target <= 250 instructions: NOT met]")
		else
			print $0 "  [wall clock under TCG: not judged; see icount]"
		next
	}
	{ print }
	END {
		if ((1 in per) && vmax > 1 && per[1] > 0) {
			r = per[vmax] / per[1]
			printf "bench: collect per record [icount]: netlink %.2f us at %d vCPUs, %.2f us at 1: ratio %.2f%s\n", \
				per[vmax], vmax, per[1], r, (r <= 1.25 ? "  [goal <= 1.25: met]" : "  [goal <= 1.25: NOT met]")
		}
	}'
}

failed=0
results=$(mktemp "${TMPDIR:-/tmp}/cgshare-bench.XXXXXX")
trap 'rm -f "$results"' EXIT
{
	echo "# cgshare benchmarks, $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git -C "$CGSHARE_ROOT" describe --tags --always --dirty 2>/dev/null || echo unknown)"
	echo "# host: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) at the start"
	echo "# module source: ${MODULE_SRC:-$CGSHARE_ROOT} (see tools/build-module.sh)"
	echo "# command: tools/bench.sh ${TAGS[*]} (BENCH_RUNS=\"$RUNS\"${BENCH_JOBS:+ BENCH_JOBS=\"$BENCH_JOBS\"})"
	echo "# [icount]: 1 guest CPU, QEMU -icount shift=0, 1 ns = 1 guest instruction (host load does not count)"
	echo "# [wall]: 2 guest CPUs, plain TCG, CLOCK_MONOTONIC and CPU time (noisy: an emulator on a shared host)"
} >"$results"

for tag in "${TAGS[@]}"; do
	"$TOOLS/fetch-kernels.sh" "$tag" || die "fetching kernel $tag failed"
	kernel_env "$tag"
	"$TOOLS/build-module.sh" "$tag" || die "building cgshare.ko for $tag failed"
	null_ko=$(build_nullprobe "$tag")
	echo "# kernel $tag: $KVER" >>"$results"
	for clock in $RUNS; do
		case $clock in
		icount | wall) run_guest "$tag" "$clock" ;;
		cpus) for n in ${BENCH_CPUS:-1 16 64 128}; do run_guest "$tag" icount "$n"; done ;;
		*) die "BENCH_RUNS: unknown run '$clock' (icount, wall, cpus)" ;;
		esac
	done
done
echo "# host load average $(cut -d' ' -f1-3 /proc/loadavg) at the end" >>"$results"

judge <"$results" >"$RESULT"
echo
echo "=== cgshare benchmark summary ($RESULT) ==="
cat "$RESULT"
exit "$failed"
