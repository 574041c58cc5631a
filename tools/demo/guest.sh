#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tools/demo/guest.sh: the guest half of `make demo` (see tools/demo.sh),
# run by tools/vm-run.sh as root in a fresh guest that has $CGSHARE_KO.
#
# Loads the module, starts cgroups with known work under /demo, and shows
# what cgsharectl reports about them: status, totals, rates, and the final
# counters of a short-lived job caught by watch; then runs the controller
# on the same work (tools/demo/cgshare.conf) and samples each managed
# cgroup's usage and share into $CGSHARE_OUT/controller.dat.  A cgsharectl command that
# is missing is said to be missing, and the demo goes on without it.
#
#   /demo/train   two CPU hogs
#   /demo/infer   one CPU hog, cpu.max caps it at half a CPU
#   /demo/cache   one process that allocates and touches 200 MiB
#                 ($BUILD/demo/demo-memhog, built by tools/demo/Makefile)
#   /demo/batch   one CPU hog for 1 s, then the cgroup is removed

set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CTL=${CGSHARE_CTL:-$ROOT/ctl/cgsharectl}
CG=/sys/fs/cgroup
DEMO=$CG/demo
TMP=$(mktemp -d /tmp/cgshare-demo.XXXXXX)
# shellcheck source=tools/cgwork.sh
. "$ROOT/tools/cgwork.sh"

section() { printf '\n=== %s ===\n\n' "$*"; }
explain() { printf '%s\n' "$*" | fold -s -w 74 | sed 's/ *$//; s/^/  /'; echo; }
show() { printf '$ %s\n' "$*"; }
missing=()

# ctl CMD ARGS...: run cgsharectl, or say that it cannot.
ctl() {
	show "cgsharectl $*"
	if [[ ! -x $CTL ]]; then
		echo "  (not shown: $CTL does not exist yet; build it with make ctl)"
		missing+=("cgsharectl")
		return 0
	fi
	if ! "$CTL" help "$1" >/dev/null 2>&1; then
		echo "  (not shown: this cgsharectl has no '$1' command yet)"
		missing+=("cgsharectl $1")
		return 0
	fi
	"$CTL" "$@" || echo "  (cgsharectl $1 exited with status $?)"
}

# start CGROUP CMD...: CMD in the background, inside /demo/CGROUP.
start() { local cg=$1; shift; cg_start "$DEMO/$cg" "$@"; }
hog() { cg_hog "$DEMO/$1"; }

# usage_s CGROUP: cpu.stat usage_usec of /demo/CGROUP in seconds
usage_s() { awk '$1 == "usage_usec" { printf "%.2f", $2 / 1e6 }' "$DEMO/$1/cpu.stat"; }

# The controller section: run it for 2 x PHASE s, reweighting halfway,
# sampling usage and shares into $CGSHARE_OUT/controller.dat.
PHASE=15
PORT=19859
PY=/usr/bin/python3
controller() {
	local conf=$TMP/cgshare.conf data=$CGSHARE_OUT/controller.dat run
	cp "$ROOT/tools/demo/cgshare.conf" "$conf"
	show "cgsharectl plan -c tools/demo/cgshare.conf --explain"
	"$CTL" plan -c "$conf" --explain || echo "  (plan exited with status $?)"
	echo
	show "cgsharectl run -c tools/demo/cgshare.conf --restore --listen 127.0.0.1:$PORT"
	"$CTL" run -c "$conf" --restore --listen "127.0.0.1:$PORT" 2>"$CGSHARE_OUT/controller.log" &
	run=$!
	# one python process samples: forks under emulation would steal the CPU
	"$PY" - "$DEMO" "$PORT" "$PHASE" "$conf" "$run" "$data" <<-'EOF'
		import os, re, signal, sys, time, urllib.request
		demo, port, phase, conf, run, data = sys.argv[1:]
		phase, run, groups = float(phase), int(run), ("train", "infer")
		def usage(c):
		    with open(f"{demo}/{c}/cpu.stat") as f:
		        return int(re.search(r"^usage_usec (\d+)", f.read(), re.M).group(1)) / 1e6
		def shares():
		    try:
		        text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2).read().decode()
		    except OSError:
		        return {}
		    return {m[0]: float(m[1]) for m in re.findall(
		        r'^cgshare_share\{cgroup="/demo/(\w+)"[^}]*resource="cpu"\} (\S+)$', text, re.M)}
		t0 = prev = time.monotonic()
		u = {c: usage(c) for c in groups}
		rows, reweighted = [], None
		while prev - t0 < 2 * phase:
		    time.sleep(1)
		    if reweighted is None and time.monotonic() - t0 >= phase:
		        text = open(conf).read()
		        text = re.sub(r"(?m)^cgroup /demo/train weight .*$", "cgroup /demo/train weight 1", text)
		        text = re.sub(r"(?m)^cgroup /demo/infer weight .*$", "cgroup /demo/infer weight 3", text)
		        open(conf, "w").write(text)
		        os.kill(run, signal.SIGHUP)
		        reweighted = time.monotonic() - t0
		        print(f"  (after {reweighted:.1f} s: weights 1:3, SIGHUP)")
		    now, sh = time.monotonic(), shares()
		    row = [f"{now - t0:.2f}"]
		    for c in groups:
		        x = usage(c)
		        row += [f"{(x - u[c]) / (now - prev):.3f}", str(sh.get(c, "NaN"))]
		        u[c] = x
		    prev = now
		    rows.append(" ".join(row))
		with open(data, "w") as f:
		    f.write(f"# reweighted-at {reweighted:.2f}\n")
		    f.write("# t train_usage train_share infer_usage infer_share (CPUs)\n")
		    f.write("\n".join(rows) + "\n")
	EOF
	kill -TERM "$run"
	wait "$run"
	echo "  (run exited $?; its log:)"
	sed 's/^/    /' "$CGSHARE_OUT/controller.log"
	echo
	echo "Mean over the last 6 s of each phase, in CPUs (all samples in controller.dat):"
	awk -v ph="$PHASE" '/^# reweighted-at / { r = $3 } !/^#/ {
			k = $1 <= r ? 1 : 2
			if ((k == 1 && $1 > r - 6) || (k == 2 && $1 > 2 * ph - 6)) {
				c[k]++; for (i = 2; i <= 5; i++) s[k, i] += $i } }
		END {
			printf "  %-16s %14s %14s %14s %14s\n", "weights", "train usage", "train share", "infer usage", "infer share"
			for (k = 1; k <= 2; k++)
				printf "  %-16s %14.2f %14.2f %14.2f %14.2f\n", k == 1 ? "2:1" : "1:3",
					s[k, 2] / c[k], s[k, 3] / c[k], s[k, 4] / c[k], s[k, 5] / c[k] }' "$data"
	echo "  infer's cpu.max after the run (restored): $(cat "$DEMO/infer/cpu.max")"
}

cleanup() {
	local p d
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	for d in batch cache infer train; do
		[[ -d $DEMO/$d ]] && rmdir "$DEMO/$d" 2>/dev/null
	done
	[[ -d $DEMO ]] && rmdir "$DEMO" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

section "cgshare demo on Linux $(uname -r), $(nproc) CPUs"
explain "cgshare.ko keeps a per-cgroup ledger of CPU time, run-queue wait" \
	"(time a task was ready to run but waited for a CPU: unmet demand) and" \
	"memory, read over the 'cgshare' generic netlink family. cgsharectl is" \
	"the operator's view of it."

section "1. Load the module"
show "insmod ${CGSHARE_KO##*/}"
insmod "$CGSHARE_KO"
ctl status

section "2. Start known work under /demo"
echo "+cpu +memory" >"$CG/cgroup.subtree_control"
mkdir "$DEMO"
echo "+cpu +memory" >"$DEMO/cgroup.subtree_control"
mkdir "$DEMO/train" "$DEMO/infer" "$DEMO/cache"
echo "50000 100000" >"$DEMO/infer/cpu.max"
start cache "$BUILD/demo/demo-memhog" 200 >/dev/null
# the allocation first, alone: under emulation page faults are slow
for ((i = 0; i < 600; i++)); do
	(($(cat "$DEMO/cache/memory.current") >= 200 << 20)) && break
	sleep 0.1
done
hog train
hog train
hog infer
cat <<EOF
  /demo/train   two CPU hogs                        wants 2 CPUs
  /demo/infer   one CPU hog, cpu.max "50000 100000"  gets at most 0.5 CPU
  /demo/cache   allocates and touches 200 MiB       ~200M of memory

EOF
explain "This guest has $(nproc) CPUs and the hogs want 2.5 of them: the" \
	"kernel shares them out by cpu.weight (equal here) within the caps, and" \
	"what a cgroup wanted but did not get shows up as run-queue wait."
sleep 3

section "3. Totals since each cgroup was created"
ctl stats -r /demo
echo
explain "CPU(s) and WAIT(s) are seconds of CPU time and of run-queue wait," \
	"each cgroup including its children, so /demo is the sum of the others." \
	"MEM and PEAK are memory now and at most. The kernel's own cpu.stat" \
	"read just before and just after brackets what cgsharectl reports:"
before=$(usage_s infer)
ctl stats /demo/infer
after=$(usage_s infer)
echo "cpu.stat usage_usec of /demo/infer: $before s just before, $after s just after"

section "4. Rates over 2 s"
ctl stats -r /demo --interval 2
echo
explain "With --interval the CPU columns are in CPUs: expect about 1.5 for" \
	"/demo/train, at most 0.5 for /demo/infer (its cap) and about 0 for" \
	"/demo/cache, which only holds memory. WAIT is demand not met: 2.5 CPUs" \
	"are wanted on 2, so the hogs take turns. Time infer spends throttled" \
	"by its cap counts as wait too: its task stays queued, as in the" \
	"kernel's own run_delay. That is demand refused by policy, which is" \
	"what a controller needs to see."

section "5. A short-lived job, caught by watch"
explain "A scraper that polls every 15 s never sees a job that lives 1 s." \
	"cgsharectl watch prints each cgroup the module reports as removed," \
	"with its final counters."
show "cgsharectl watch &"
watch_pid=
if [[ -x $CTL ]] && "$CTL" help watch >/dev/null 2>&1; then
	"$CTL" watch >"$TMP/watch.out" 2>&1 &
	watch_pid=$!
	sleep 0.5
else
	echo "  (not shown: cgsharectl watch is missing)"
	missing+=("cgsharectl watch")
fi
show "mkdir $DEMO/batch; run one CPU hog there for 1 s; rmdir $DEMO/batch"
mkdir "$DEMO/batch"
bash -c 'echo $$ >"$1/cgroup.procs" && exec timeout 1 sh -c "while :; do :; done"' batch "$DEMO/batch" || true
echo "cpu.stat usage_usec of /demo/batch just before rmdir: $(usage_s batch) s"
rmdir "$DEMO/batch"
if [[ -n $watch_pid ]]; then
	sleep 1
	kill -INT "$watch_pid"
	wait "$watch_pid" || true
	echo "watch printed:"
	sed 's/^/  /' "$TMP/watch.out"
	if grep -q '/demo/batch' "$TMP/watch.out"; then
		echo
		explain "The final CPU time is the kernel's cpu.stat of the job at its" \
			"removal; its wait is the time it queued behind the hogs."
	else
		echo "  (no line for /demo/batch: the release event did not arrive)"
	fi
fi

section "6. The controller on the same work"
explain "cgsharectl run shares the 2 CPUs between /demo/train and" \
	"/demo/infer by weight (tools/demo/cgshare.conf): 2:1 first, then" \
	"1:3 after ${PHASE} s, when the demo rewrites the file and sends SIGHUP." \
	"It writes cpu.max and cpu.weight; infer's own cap of half a CPU is" \
	"replaced by its share, and put back at the end (--restore). Every" \
	"second each cgroup's usage (cpu.stat) and the share the controller" \
	"set (cgshare_share, from run --listen) are sampled; make demo plots" \
	"them in controller.png next to this output."
if [[ -x $CTL ]] && "$CTL" help run >/dev/null 2>&1; then
	controller
else
	echo "  (not shown: cgsharectl run is missing)"
	missing+=("cgsharectl run")
fi

section "7. Clean up"
for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
wait 2>/dev/null || true
PIDS=()
rmdir "$DEMO/train" "$DEMO/infer" "$DEMO/cache" "$DEMO"
show "rmmod cgshare"
rmmod cgshare
echo "Removed /demo and its cgroups; unloaded the module."

if ((${#missing[@]})); then
	section "Missing"
	printf '  %s\n' "${missing[@]}" | sort -u
	exit 1
fi
