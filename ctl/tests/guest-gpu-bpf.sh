#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The BPF GPU path end to end, inside a guest (tools/vm-run.sh):
#   tools/vm-run.sh 6.12 OUT -- sh ctl/tests/guest-gpu-bpf.sh
# vgem fences made by a task in /gputest/a are charged, through the BPF
# collectors and the module's kfunc, to a and not to its sibling b, by the
# time they were held: no less than the holds asked for, no more than the
# tool measured around its ioctls (an exact bracket: a tolerance around
# the tool's figure failed on a loaded host, where the ioctls themselves
# took tens of ms of wall time); cgsharectl gpu enable|status|disable
# do what they say; the module cannot be unloaded under the programs.
# With CGSHARE_KO_NOBTF (the module built without BTF), also: that build
# reports the path off and why, gpu enable refuses and pins nothing, and
# the module selftests that do not need BPF pass with it. TAP output.

CTL=${CGSHARECTL:-$(dirname "$0")/../cgsharectl}
VGEM=${BUILD:-build}/selftests/vgem_fence
SELFTESTS=${BUILD:-build}/selftests
CG=/sys/fs/cgroup
T=$CG/gputest
PIN=/sys/fs/bpf/cgshare
OUT=${CGSHARE_OUT:-/tmp}/gpu-bpf-guest
. "$(dirname "$0")/tap-lib.sh"
mod_name() { modinfo -F name "$1" 2>/dev/null || echo cgshare; }
loaded() { grep -q "^cgshare " /proc/modules; }
# GPU busy ns of device $2 in cgroup $1 (0 when absent)
busy() {
	"$CTL" -j stats "$1" >"$OUT/busy.json" || { echo -1; return; }
	python3 -c 'import json,sys
d=json.load(open(sys.argv[1]))["cgroups"][0]
print(sum(g.get("busy_ns", 0) for g in d.get("gpu", []) if g["dev"] == sys.argv[2]))' "$OUT/busy.json" "$2"
}
# The GPU path's pins: what is in $PIN but the cgroup iterator's
# (`cgsharectl bpf pin` shares the directory).
gpu_pins() { ls "$PIN" 2>/dev/null | grep -v -x -e cgroups -e cgroups_records; }
# run CGROUP CMD...: CMD inside the cgroup, its output in $OUT/run.out
run_in() {
	cg=$1; shift
	sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh "$cg" "$@" >"$OUT/run.out" 2>&1
}
held() { sed -n 's/.*held_ns=\([0-9]*\).*/\1/p' "$OUT/run.out"; }
# between LO X HI: LO <= X <= HI (integers)
between() { [ "$1" -le "$2" ] && [ "$2" -le "$3" ]; }

command -v python3 >/dev/null || bail "python3 needed to parse JSON"
[ -x "$VGEM" ] || bail "$VGEM not built (make -C selftests)"
loaded || insmod "$CGSHARE_KO" || bail "cannot load $CGSHARE_KO"
grep -q " /sys/fs/bpf bpf" /proc/mounts || mount -t bpf bpf /sys/fs/bpf ||
	bail "cannot mount the BPF file system"
modprobe vgem || bail "modprobe vgem failed"
# No driver here uses the DRM scheduler, but its module loads: then the
# scheduler programs must pass the verifier and attach (CO-RE against the
# gpu_sched module's BTF), though no job will run through them.
modprobe gpu-sched || bail "modprobe gpu-sched failed"

"$CTL" -j status >"$OUT/status.json"
check "status: the module's BPF GPU path is on" json "$OUT/status.json" \
	'"gpu-bpf" in d["features"] and "gpu_bpf_reason" not in d'

mkdir -p $T/a $T/b || bail "cannot make $T/a and $T/b"

check "gpu enable" "$CTL" gpu enable
check "gpu enable: links and maps pinned" sh -c "ls $PIN | grep -q fence_signaled && ls $PIN | grep -q stats"
check "gpu enable again: says already enabled, exits 0" sh -c "'$CTL' gpu enable | grep -q 'already enabled'"
# The fence drivers' table (bpf/gpu_stats.h), after two enables: every
# driver once, in one of the CGS_DRIVER_PROBES (4) slots from its hash,
# with no free slot before it there, and vgem's ops named "vgem" (each
# fence ops symbol of kallsyms a driver; a name is its module's).
drivers_ok() {
	bpftool -j map dump pinned "$PIN/fence_drivers" >"$OUT/drivers.json" || return 1
	python3 - "$OUT/drivers.json" <<'PY'
import json, sys
bits, probes = 10, 4
slots = {}
for e in json.load(open(sys.argv[1])):
    v = e.get("formatted", e)
    ops, name = v["value"]["ops"], v["value"]["name"]
    if ops:
        slots[v["key"]] = (ops, name)
seen = {}
for i, (ops, name) in sorted(slots.items()):
    first = ((ops * 0x9E3779B97F4A7C15) % 2**64) >> (64 - bits)
    dist = (i - first) % (1 << bits)
    if dist >= probes or any((first + k) % (1 << bits) not in slots for k in range(dist)):
        sys.exit("slot %d: ops %#x not where a search finds it (first %d)" % (i, ops, first))
    if ops in seen:
        sys.exit("ops %#x in slots %d and %d" % (ops, seen[ops], i))
    seen[ops] = i
vgem = [int(l.split()[0], 16) for l in open("/proc/kallsyms") if l.split()[2:3] == ["vgem_fence_ops"]]
if not vgem or vgem[0] not in seen or slots[seen[vgem[0]]][1] != "vgem":
    sys.exit("vgem_fence_ops %s not named vgem (%d drivers)" % (vgem, len(seen)))
print(len(seen), "drivers")
PY
}
check "gpu enable: every fence driver named once, where the programs look" drivers_ok
"$CTL" -j gpu status >"$OUT/gstatus.json"
check "gpu status -j: enabled, dma_fence programs listed" json "$OUT/gstatus.json" \
	'd["enabled"] and {"fence_init", "fence_emit", "fence_signaled", "fence_destroy"} <= {p["program"] for p in d["programs"]}'
# one set, under the event names of this kernel (renamed after 6.12)
check "gpu status -j: gpu_scheduler programs attached too" json "$OUT/gstatus.json" \
	'len({"sched_job", "sched_run_job", "sched_process_job"} & {p["program"] for p in d["programs"]}) + len({"sched_job_queue", "sched_job_run", "sched_job_done"} & {p["program"] for p in d["programs"]}) == 3 and ({"sched_job", "sched_run_job", "sched_process_job"} <= {p["program"] for p in d["programs"]} or {"sched_job_queue", "sched_job_run", "sched_job_done"} <= {p["program"] for p in d["programs"]})'

a0=$(busy /gputest/a vgem); b0=$(busy /gputest/b vgem); p0=$(busy /gputest vgem)
check "a vgem fence held 500 ms in a" run_in $T/a "$VGEM" 500
h=$(held)
a1=$(busy /gputest/a vgem); b1=$(busy /gputest/b vgem); p1=$(busy /gputest vgem)
echo "#   held ${h:-?} ns; a busy $a0 -> $a1; b $b0 -> $b1; parent $p0 -> $p1"
check "a's vgem busy time rose by the hold (500 ms <= rise <= held)" \
	between 500000000 $((a1 - a0)) "${h:-0}"
check "b's did not move" test "$b1" = "$b0"
check "the parent rolls up a's charge exactly" test $((p1 - p0)) = $((a1 - a0))

check "20 fences of 20 ms in b" run_in $T/b "$VGEM" 20 20
h=$(held)
a2=$(busy /gputest/a vgem); b2=$(busy /gputest/b vgem)
echo "#   held ${h:-?} ns; b busy $b1 -> $b2"
check "b's busy time rose by the sum of the holds (400 ms <= rise <= held)" \
	between 400000000 $((b2 - b1)) "${h:-0}"
check "a's did not move" test "$a2" = "$a1"

"$CTL" stats /gputest/a >"$OUT/stats.txt" 2>"$OUT/stats.err"
check "stats (text): a's GPU(s) column is about 0.5" \
	awk 'NR == 1 && $NF != "GPU(s)" { exit 1 } NR == 2 { exit !($NF >= 0.45 && $NF <= 0.55) }' "$OUT/stats.txt"
"$CTL" -j gpu status >"$OUT/gstatus2.json"
check "gpu status: 21 or more charges, none refused" json "$OUT/gstatus2.json" \
	'd["events"]["charged"] >= 21 and d["events"]["refused"] == 0'

# The programs hold the module: rmmod must fail and change nothing.
check "rmmod refused while the collectors are attached" sh -c "! rmmod cgshare 2>/dev/null"
check "the module is still loaded and answering" "$CTL" status

check "gpu disable" "$CTL" gpu disable
check "gpu disable: nothing of it left pinned" test -z "$(gpu_pins)"
check "gpu disable again: exits 0" "$CTL" gpu disable
a3=$(busy /gputest/a vgem)
check "a fence after disable" run_in $T/a "$VGEM" 100
a4=$(busy /gputest/a vgem)
check "is not charged" test "$a4" = "$a3"

# Programs are freed after an RCU grace period: rmmod may need a moment.
ok=1
for i in 1 2 3 4 5 6 7 8 9 10; do
	if rmmod cgshare 2>/dev/null; then ok=0; break; fi
	sleep 0.5
done
result $ok "rmmod works once the collectors are gone"

if [ -n "$CGSHARE_KO_NOBTF" ]; then
	check "insmod the module built without BTF" insmod "$CGSHARE_KO_NOBTF"
	"$CTL" -j status >"$OUT/status-nobtf.json"
	check "status: gpu-bpf off, and why" json "$OUT/status-nobtf.json" \
		'"gpu-bpf" not in d["features"] and "without BTF" in d["gpu_bpf_reason"]'
	"$CTL" gpu enable >"$OUT/enable-nobtf.out" 2>&1
	rc=$?
	check "gpu enable refuses (exit 1)" test $rc = 1
	check "and says why" grep -q "BPF GPU path is off: .*without BTF" "$OUT/enable-nobtf.out"
	check "and pins nothing" test -z "$(gpu_pins)"
	for t in basic counters charge malformed notify nsscope; do
		"$SELFTESTS/$t" >"$OUT/nobtf-$t.tap" 2>&1
		rc=$?
		result $rc "without BTF: selftest $t passes ($(grep -c '^ok' "$OUT/nobtf-$t.tap") ok)"
		[ $rc = 0 ] || grep -v '^ok' "$OUT/nobtf-$t.tap" | sed 's/^/#   /'
	done
	check "rmmod the module built without BTF" rmmod cgshare
fi
loaded || insmod "$CGSHARE_KO"
check "the module with BTF is back" "$CTL" status

rmdir $T/a $T/b $T 2>/dev/null
echo "1..$n"
[ $failed = 0 ]
