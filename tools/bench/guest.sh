#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tools/bench/guest.sh JOB...: the guest half of `make bench` (see
# tools/bench.sh), run by tools/vm-run.sh as root in a fresh guest that
# has $CGSHARE_KO.  Jobs:
#
#  collect        bench-collect: N cgroups read through cgroupfs files versus
#                 one cgshare netlink dump, with the module loaded.
#  ctxsw:VARIANT  bench-pingpong with the module unloaded and loaded,
#                 interleaved in pairs whose order alternates (U L, L U, ...)
#                 so that a drift of the machine favours neither side;
#                 insmod/rmmod between runs.  Variants: pinned (both
#                 processes on CPU 0, root cgroup), split (CPUs 0 and 1),
#                 nested (CPU 0, a cgroup 3 levels deep: the module charges
#                 every ancestor), perf (`perf bench sched pipe` on CPU 0,
#                 skipped when Debian's perf does not run here).
#  wholepath      bench-scrape: one read of every cgroup by a cAdvisor-style
#                 C collector against one HTTP scrape of `cgsharectl export`
#                 and one `cgsharectl -j stats -r`, as CPU time, at each N of
#                 CGSHARE_BENCH_WHOLE_N ("1000 5000 10000"), with the cgroup
#                 iterator pinned; and the marginal cost per cgroup.
#  fence          the BPF GPU collectors' cost per fence event: vgem fences
#                 made and signalled at once, with kernel.bpf_stats_enabled
#                 on; run time per run of each program (bpf_stats), and the
#                 time per fence with the collectors attached versus not;
#                 the bpf_stats twice, for fences made in the root cgroup and
#                 three levels down.
#  profile        where a read's time goes (not in the default jobs): perf's
#                 cpu-clock, a sample every 2,000 ns (under icount, 2,000
#                 guest instructions), on `cgsharectl export --listen` alone
#                 over ten HTTP scrapes and on five `cgsharectl -j stats -r`,
#                 of CGSHARE_BENCH_PROFILE_N (1000) cgroups; reports by
#                 symbol and by caller in $CGSHARE_OUT/profile, and the
#                 exporter's page faults over ten more scrapes. Needs the
#                 host's perf (Debian's linux-perf), else says so.
#
# Prints progress as `# ...` lines and one `bench: ...` summary line per
# measurement, tagged with CGSHARE_BENCH_CLOCK ("wall" or "icount").
# Environment: CGSHARE_BENCH_N ("1000 5000"), CGSHARE_BENCH_REPS (7),
# CGSHARE_BENCH_PAIRS (7), CGSHARE_BENCH_SECS (1), CGSHARE_BENCH_NULL_KO
# (cgshare_nullprobe.ko: when set, ctxsw also runs a third state with only
# empty probes on cgshare's tracepoints, to split the added cost between
# the tracepoint calls and cgshare's code).

set -euo pipefail

BIN=$BUILD/bench
CGSHARE_ROOT_DIR=$(cd "$(dirname "$0")/../.." && pwd)
CG=/sys/fs/cgroup
N_LIST=${CGSHARE_BENCH_N:-1000 5000}
REPS=${CGSHARE_BENCH_REPS:-7}
PAIRS=${CGSHARE_BENCH_PAIRS:-7}
SECS=${CGSHARE_BENCH_SECS:-1}
CLOCK=${CGSHARE_BENCH_CLOCK:-wall}

say() { printf '# %s\n' "$*"; }
die() { printf 'bench: error: %s\n' "$*" >&2; exit 1; }

[[ -f ${CGSHARE_KO:-} ]] || die "CGSHARE_KO is not set or missing"
[[ -x $BIN/bench-collect && -x $BIN/bench-pingpong && -x $BIN/bench-scrape ]] ||
	die "no benchmark programs in $BIN"

NULL_KO=${CGSHARE_BENCH_NULL_KO:-}

mod_loaded() { grep -q "^$1 " /proc/modules; }
unload() {
	local m
	for m in cgshare cgshare_nullprobe; do
		if mod_loaded $m; then rmmod $m; fi
	done
}

# set_state unloaded|loaded|null (null: only the empty probes of NULL_KO)
set_state() {
	case $1 in
	unloaded) unload ;;
	loaded)
		if mod_loaded cgshare_nullprobe; then rmmod cgshare_nullprobe; fi
		mod_loaded cgshare || insmod "$CGSHARE_KO" ;;
	null)
		if mod_loaded cgshare; then rmmod cgshare; fi
		mod_loaded cgshare_nullprobe || insmod "$NULL_KO" ;;
	esac
}

# pingpong VARIANT: one run of COUNT round trips, output ending in ns per
# round trip.  Before a variant's COUNT is known, a short calibration run.
pingpong() {
	local n=${COUNT:-1000}
	case $1 in
	pinned) "$BIN/bench-pingpong" -c 0 -n "$n" ;;
	split) "$BIN/bench-pingpong" -c 0,1 -n "$n" ;;
	nested) "$BIN/bench-pingpong" -c 0 -n "$n" -g "$CG/ctxsw/l1/l2/l3" ;;
	perf)
		# "usecs/op" is one round trip; scale to ns like the others.
		taskset -c 0 perf bench sched pipe -l "$n" |
			awk '/usecs\/op/ { printf "perf ns_per_rt=%.1f\n", $1 * 1000 }' ;;
	esac
}

ns_of() { sed -n 's/.*ns_per_rt=\([0-9.]*\).*/\1/p'; }

# One variant: PAIRS interleaved rounds, one run per state each, then the
# summary line.  Rounds alternate the order (U L [N], [N] L U).  Every run
# does the same number of round trips, about SECS worth as calibrated first.
ctxsw() {
	local v=$1 desc=$2 i s out rows='' states=(unloaded loaded) order
	[[ -n $NULL_KO ]] && states+=(null)
	set_state unloaded
	out=$(COUNT=200 pingpong "$v" | ns_of)
	[[ -n $out ]] || die "no result from the $v ping-pong (calibration)"
	COUNT=$(awk -v s="$SECS" -v ns="$out" 'BEGIN { n = s * 1e9 / ns; printf "%d", n < 100 ? 100 : n }')
	for ((i = 0; i < PAIRS; i++)); do
		order=("${states[@]}")
		if ((i % 2)); then
			order=()
			for s in "${states[@]}"; do order=("$s" "${order[@]}"); done
		fi
		declare -A ns=()
		for s in "${order[@]}"; do
			set_state "$s"
			out=$(pingpong "$v" | ns_of)
			[[ -n $out ]] || die "no result from the $v ping-pong ($s)"
			ns[$s]=$out
		done
		rows+="${ns[unloaded]} ${ns[loaded]} ${ns[null]:-0}"$'\n'
		say "ctxsw $v round $((i + 1)) (${order[0]} first): unloaded ${ns[unloaded]} ns," \
			"loaded ${ns[loaded]} ns${ns[null]:+, empty probes ${ns[null]} ns}," \
			"ratio $(awk -v a="${ns[loaded]}" -v b="${ns[unloaded]}" 'BEGIN { printf "%.3f", a / b }')"
		unset ns
	done
	printf '%s' "$rows" | awk -v v="$v" -v d="$desc, $COUNT round trips per run" -v c="$CLOCK" '
		function median(a, n,   i, j, t) {
			for (i = 2; i <= n; i++)
				for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
			return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
		}
		{ n++; u[n] = $1; l[n] = $2; r[n] = $2 / $1; z[n] = $3; rz[n] = $3 / $1
		  if (n == 1 || r[n] < min) min = r[n]
		  if (n == 1 || r[n] > max) max = r[n] }
		END {
			mu = median(u, n); ml = median(l, n)
			printf "bench: ctxsw %s [%s]: unloaded %.2f us, loaded %.2f us, ratio %.3f" \
			       " (min %.3f, max %.3f over %d pairs; %s)\n",
			       v, c, mu / 1000, ml / 1000, median(r, n), min, max, n, d
			if (z[1] > 0) {
				mz = median(z, n)
				printf "bench: ctxsw %s [%s]: empty probes on the same tracepoints: %.2f us," \
				       " ratio %.3f; so of the %.0f ns added per round trip, %.0f ns is" \
				       " the tracepoint calls and %.0f ns is cgshare'"'"'s own code\n",
				       v, c, mz / 1000, median(rz, n), ml - mu, mz - mu, ml - mz
			}
		}'
}

bench_collect() {
	say "collect: module loaded, building the tree under $CG/bench"
	set_state loaded
	# shellcheck disable=SC2086
	"$BIN/bench-collect" -r "$REPS" -l " [$CLOCK]" bench $N_LIST
}

bench_wholepath() {
	local ctl=$CGSHARE_ROOT_DIR/ctl/cgsharectl
	say "wholepath: module loaded, cgroup iterator pinned, building the tree under $CG/scrape"
	set_state loaded
	grep -q " /sys/fs/bpf bpf" /proc/mounts || mount -t bpf bpf /sys/fs/bpf
	"$ctl" bpf pin >/dev/null || die "cgsharectl bpf pin failed"
	# shellcheck disable=SC2086
	"$BIN/bench-scrape" -r "$REPS" -l " [$CLOCK]" -c "$ctl" scrape \
		${CGSHARE_BENCH_WHOLE_N:-1000 5000 10000}
}

ctxsw_setup() {
	[[ -d $CG/ctxsw ]] && return
	echo "+cpu +memory" >"$CG/cgroup.subtree_control"
	mkdir -p "$CG/ctxsw/l1/l2/l3"
	echo "+cpu +memory" >"$CG/ctxsw/cgroup.subtree_control"
	echo "+cpu +memory" >"$CG/ctxsw/l1/cgroup.subtree_control"
	echo "+cpu +memory" >"$CG/ctxsw/l1/l2/cgroup.subtree_control"
	say "ctxsw: pipe ping-pong, about ${SECS}s per run, $PAIRS pairs per variant"
}

ctxsw_cleanup() {
	if [[ -d $CG/ctxsw ]]; then
		rmdir "$CG/ctxsw/l1/l2/l3" "$CG/ctxsw/l1/l2" "$CG/ctxsw/l1" "$CG/ctxsw"
	fi
}

bench_ctxsw() {
	ctxsw_setup
	case $1 in
	pinned) ctxsw pinned "both on CPU 0, root cgroup" ;;
	split)
		if (($(nproc) < 2)); then
			say "ctxsw split: skipped, this guest has one CPU"
			return
		fi
		ctxsw split "parent on CPU 0, child on CPU 1, root cgroup" ;;
	nested) ctxsw nested "both on CPU 0, cgroup 3 levels deep" ;;
	perf)
		if ! COUNT=100 pingpong perf 2>/dev/null | grep -q ns_per_rt; then
			say "ctxsw perf: skipped, 'perf bench sched pipe' does not run in this guest"
			return
		fi
		ctxsw perf "perf bench sched pipe, taskset -c 0, root cgroup" ;;
	*) die "unknown ctxsw variant '$1'" ;;
	esac
}

bench_fence() {
	local ctl=$CGSHARE_ROOT_DIR/ctl/cgsharectl vgem=$BUILD/selftests/vgem_fence
	local n=${CGSHARE_BENCH_FENCES:-3000} off on i
	if [[ ! -x $vgem ]] || ! modprobe vgem 2>/dev/null; then
		say "fence: skipped, no vgem or no $vgem"
		return
	fi
	set_state loaded
	grep -q " /sys/fs/bpf bpf" /proc/mounts || mount -t bpf bpf /sys/fs/bpf
	if ! "$ctl" -j status | grep -q '"gpu-bpf"'; then
		say "fence: skipped, the module's BPF GPU path is off"
		return
	fi
	# per fence: fences=N held_ns=T (attach + signal, no hold)
	per() { "$vgem" 0 "$n" | sed -n 's/.*held_ns=\([0-9]*\).*/\1/p'; }
	"$vgem" 0 100 >/dev/null
	off=0 on=0
	for i in 1 2 3; do
		off=$((off + $(per)))
		"$ctl" gpu enable >/dev/null
		on=$((on + $(per)))
		"$ctl" gpu disable >/dev/null
	done
	# bpf_stats of fresh programs over N fences made in cgroup $1: the
	# root (a charge's chain is one record) and three levels down (four,
	# as for a container's task under a pod and a slice).
	stats_in() {
		"$ctl" gpu enable >/dev/null
		sysctl -qw kernel.bpf_stats_enabled=1
		sh -c 'echo $$ >"$1/cgroup.procs" && exec "$2" 0 "$3"' sh "$1" "$vgem" "$n" >/dev/null
		"$ctl" -j gpu status >"$2"
		sysctl -qw kernel.bpf_stats_enabled=0
		"$ctl" gpu disable >/dev/null
	}
	mkdir -p /sys/fs/cgroup/fence1/fence2/fence3
	stats_in /sys/fs/cgroup /tmp/fence-status.json
	stats_in /sys/fs/cgroup/fence1/fence2/fence3 /tmp/fence-status-nested.json
	rmdir /sys/fs/cgroup/fence1/fence2/fence3 /sys/fs/cgroup/fence1/fence2 /sys/fs/cgroup/fence1
	python3 - "$CLOCK" "$off" "$on" "$((3 * n))" /tmp/fence-status.json /tmp/fence-status-nested.json <<'PY'
import json, sys
clock, off, on, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
for path, where in (sys.argv[5], ""), (sys.argv[6], " three levels deep"):
    d = json.load(open(path))
    progs = {p["program"]: p for p in d["programs"] if p["runs"]}
    parts = ", ".join("%s %.0f" % (k, v["run_time_ns"] / v["runs"]) for k, v in sorted(progs.items()))
    runs = sum(p["runs"] for p in progs.values())
    mean = sum(p["run_time_ns"] for p in progs.values()) / runs if runs else 0
    print("bench: fence%s [%s] ns per event (bpf_stats): %s; mean %.0f over %d runs, %d charged" %
          (where, clock, parts, mean, runs, d["events"]["charged"]))
print("bench: fence [%s] vgem attach+signal per fence, collectors on / off: %.0f / %.0f ns, ratio %.3f" %
      (clock, on / n, off / n, on / off))
PY
}

bench_profile() {
	local ctl=$CGSHARE_ROOT_DIR/ctl/cgsharectl n=${CGSHARE_BENCH_PROFILE_N:-1000}
	local out=$CGSHARE_OUT/profile exp i port=19873 loop
	if ! perf --version >/dev/null 2>&1; then
		say "profile: SKIP: perf does not run here (install Debian's linux-perf on the host)"
		return 0
	fi
	say "profile: $n cgroups under $CG/profile, reports in $out"
	set_state loaded
	mkdir -p "$out" "$CG/profile"
	echo "+cpu +memory" >"$CG/cgroup.subtree_control"
	echo "+cpu +memory" >"$CG/profile/cgroup.subtree_control"
	for ((i = 1; i <= n; i++)); do mkdir "$CG/profile/c$i"; done
	grep -q " /sys/fs/bpf bpf" /proc/mounts || mount -t bpf bpf /sys/fs/bpf
	"$ctl" bpf pin >/dev/null || die "cgsharectl bpf pin failed"
	"$ctl" export --listen 127.0.0.1:$port 2>/dev/null &
	exp=$!
	loop="for i in 1 2 3 4 5 6 7 8 9 10; do curl -s -o /dev/null http://127.0.0.1:$port/metrics; done"
	sleep 1
	sh -c "$loop"		# warm-up: the heap the next scrapes reuse
	perf stat -e page-faults -p "$exp" -o "$out/export.faults" -- sh -c "$loop" || true
	perf record -q -e cpu-clock -c 2000 -g -p "$exp" -o "$out/export.data" -- sh -c "$loop" \
		2>"$out/export.err" || true
	kill "$exp"
	wait "$exp" 2>/dev/null || true
	perf record -q -e cpu-clock -c 2000 -g -o "$out/stats.data" -- \
		sh -c "for i in 1 2 3 4 5; do $ctl -j stats -r >/dev/null; done" 2>"$out/stats.err" || true
	for i in export stats; do
		perf report -i "$out/$i.data" --comm cgsharectl --no-children --sort dso,sym --stdio -g none \
			2>/dev/null | grep -v '^#' | grep . | head -80 >"$out/$i.flat" || true
		perf report -i "$out/$i.data" --comm cgsharectl --children --sort sym --stdio -g none \
			2>/dev/null | grep -v '^#' | grep . | head -150 >"$out/$i.children" || true
		perf report -i "$out/$i.data" --comm cgsharectl --no-children --sort sym --stdio \
			-g caller,0.5,callee,function --percent-limit 1.5 2>/dev/null | grep . |
			head -700 >"$out/$i.callers" || true
		say "profile: $i, top of $out/$i.flat:"
		head -5 "$out/$i.flat" | sed 's/^/#   /'
	done
	say "profile: the exporter's page faults over ten scrapes: $(awk '/page-faults/ { print $1 }' "$out/export.faults")"
	for ((i = 1; i <= n; i++)); do rmdir "$CG/profile/c$i"; done
	rmdir "$CG/profile"
}

(($# > 0)) || die "usage: guest.sh JOB... (collect, wholepath, ctxsw:pinned|split|nested|perf, fence, profile)"
say "kernel $(uname -r), $(nproc) CPU(s), clock: $CLOCK, module $CGSHARE_KO"
for job in "$@"; do
	case $job in
	collect) bench_collect ;;
	wholepath) bench_wholepath ;;
	ctxsw:*) bench_ctxsw "${job#ctxsw:}" ;;
	fence) bench_fence ;;
	profile) bench_profile ;;
	*) die "unknown job '$job'" ;;
	esac
done
ctxsw_cleanup
unload
exit 0
