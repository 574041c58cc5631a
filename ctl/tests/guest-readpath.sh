#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# One sample carries what consumers read, and reading it opens no cgroupfs
# file per cgroup. Inside a guest (tools/vm-run.sh 6.12 OUT -- sh
# ctl/tests/guest-readpath.sh); loads $CGSHARE_KO if the family is missing.
#
#   /rp            cpu, memory, io enabled for the children
#   ├── a          limits set; two CPU hogs on CPU 0 under cpu.max 0.5;
#   │              python3 holding 24 MiB anonymous, 16 MiB of tmpfs
#   └── b          idle
#   /rpc/x         only the cpu controller
#   /rpm/x         only the memory controller
#   /rs/x          made and removed over and over, while readers race walks
#   /rt/w1..w200   cpu.weight 11..210
#   /op/c1..cN     for the openat counts (N = 10, then 1,000)
#
# Invariants:
# * `bpf pin` is idempotent, `bpf unpin` leaves the sample without the
#   iterator's attributes and stats/export say why once, and exit 0.
# * Each attribute equals its file: limits exactly (write, sample, read);
#   cpu.stat's throttling between two reads of the file around the
#   sample; pressure totals at most the file's and within one aggregation
#   period (2 s) plus the time between the two reads below it; memory.stat
#   (workload stopped) within the file's own flush slack, 64 pages per CPU.
# * An attribute is present exactly where its file exists (no cpu
#   controller: no cpu-*; no memory controller: no mem-*; no pressure at
#   the root, whose pressure group a module cannot reach).
# * A reader whose records a later walk rewrites (a second walker, churn
#   moving the cgroups between slots) never takes another cgroup's record:
#   it walks again, and says so after four tries.
# * strace counts the same open/openat/openat2 calls for one `export
#   --once` and for one `apply` round with nothing to change at N = 10 and
#   at N = 1,000 cgroups.
# No timing assertions. TAP output.

CTL=${CGSHARECTL:-$(dirname "$0")/../cgsharectl}
CTL=$(cd "$(dirname "$CTL")" && pwd)/$(basename "$CTL")
CG=/sys/fs/cgroup
OUT=${CGSHARE_OUT:-/tmp}/ctl-readpath
PY=/usr/bin/python3
[ -x $PY ] || PY=python3
. "$(dirname "$0")/tap-lib.sh"

command -v $PY >/dev/null || bail "python3 needed to parse JSON"
module_loaded
bpffs_mounted

PIDS=
cleanup() {
	for p in $PIDS; do kill -CONT "$p" 2>/dev/null; kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	find $CG/op $CG/rp $CG/rpc $CG/rpm $CG/rs $CG/rt -depth -type d -exec rmdir {} + 2>/dev/null
	rm -f /dev/shm/rp-cache /dev/shm/rp-anon
	"$CTL" bpf unpin >/dev/null 2>&1	# the guest as it was found
}
trap cleanup EXIT

# --- the pin -----------------------------------------------------------
"$CTL" bpf unpin >/dev/null 2>&1
check "bpf pin: pins the cgroup iterator" "$CTL" bpf pin
"$CTL" bpf pin >"$OUT/pin2.out" 2>&1
result $? "bpf pin again: exit 0"
check "bpf pin again: already pinned, left alone" grep -q "already pinned" "$OUT/pin2.out"
"$CTL" -j bpf status >"$OUT/bstatus.json"
check "bpf status -j: pinned, read ok" json "$OUT/bstatus.json" \
	'd["pinned"] and d["read"] == "ok" and d["program"].startswith("cgroups_")'

# --- the tree ----------------------------------------------------------
echo "+cpu +memory +io" >$CG/cgroup.subtree_control
mkdir -p $CG/rp/a $CG/rp/b $CG/rpc/x $CG/rpm/x
echo "+cpu +memory +io" >$CG/rp/cgroup.subtree_control
echo "+cpu" >$CG/rpc/cgroup.subtree_control
echo "+memory" >$CG/rpm/cgroup.subtree_control
A=$CG/rp/a
echo "50000 100000" >$A/cpu.max
echo 300 >$A/cpu.weight
echo 268435456 >$A/memory.high
echo 536870912 >$A/memory.max
echo 16777216 >$A/memory.low
echo 8388608 >$A/memory.min
# The memory first, before the hogs: under cpu.max 0.5 shared with them a
# TCG guest took longer than the test to fill it.
sh -c "echo \$\$ >$A/cgroup.procs; exec dd if=/dev/zero of=/dev/shm/rp-cache bs=1M count=16 2>/dev/null" ||
	bail "cannot write 16 MiB of tmpfs in /rp/a"
sh -c "echo \$\$ >$A/cgroup.procs; exec $PY -c '
import time
b = bytearray(24 << 20)
for i in range(0, len(b), 4096): b[i] = 1
open(\"/dev/shm/rp-anon\", \"w\").close()
time.sleep(3600)'" &
PIDS="$PIDS $!"
i=0
while [ ! -e /dev/shm/rp-anon ] && [ $i -lt 120 ]; do sleep 0.5; i=$((i + 1)); done
[ -e /dev/shm/rp-anon ] || bail "python did not fill 24 MiB in 60 s"
for i in 1 2; do
	sh -c "echo \$\$ >$A/cgroup.procs; exec taskset -c 0 sh -c 'while :; do :; done'" &
	PIDS="$PIDS $!"
done
sleep 3

# --- limits: write, sample, read: exact ------------------------------------
"$CTL" -j stats -r /rp >"$OUT/lim.json"
for f in cpu.max cpu.weight memory.high memory.max memory.low memory.min; do
	printf '%s %s\n' "$f" "$(cat $A/$f)"
done >"$OUT/lim.files"
cat >"$OUT/chk.py" <<'EOF'
import json, os, sys

def recs(path):
    return {c["path"]: c for c in json.load(open(path))["cgroups"]}

def files(path):
    return dict(l.split(" ", 1) for l in open(path).read().splitlines())

def limits(js, fl):
    a, f = recs(js)["/rp/a"], files(fl)
    q, p = f["cpu.max"].split()
    want = {"cpu_max_quota_ns": int(q) * 1000, "cpu_max_period_ns": int(p) * 1000,
            "cpu_weight": int(f["cpu.weight"])}
    for k in ("high", "max", "low", "min"):
        v = f["memory." + k]
        want["mem_%s_bytes" % k] = 2**64 - 1 if v == "max" else int(v)
    got = {k: a.get(k) for k in want}
    assert got == want, (got, want)

def stat(path):
    return dict((l.split()[0], int(l.split()[1])) for l in open(path))

def throttle(js, before, after):
    a, b0, b1 = recs(js)["/rp/a"], stat(before), stat(after)
    for key, f, scale in (("cpu_nr_periods", "nr_periods", 1),
                          ("cpu_nr_throttled", "nr_throttled", 1),
                          ("cpu_throttled_ns", "throttled_usec", 1000)):
        assert b0[f] * scale <= a[key] <= b1[f] * scale + scale - 1, (key, b0[f], a[key], b1[f])
    assert a["cpu_nr_throttled"] > 0, "the hogs were never throttled"

def psi(js, d, elapsed_ns):
    a = recs(js)["/rp/a"]
    for res, pre in (("cpu", "cpu"), ("memory", "mem"), ("io", "io")):
        for line in open(os.path.join(d, res + ".pressure")):
            kind = line.split()[0]
            total = int(line.split("total=")[1]) * 1000
            got = a[pre + "_pressure_" + kind + "_ns"]
            # the file aggregates when read: it is ahead by at most one
            # aggregation period (2 s) plus the time since the sample
            assert got <= total + 999 and total - got <= 2_000_000_000 + elapsed_ns, (res, kind, got, total)
    assert a["cpu_pressure_some_ns"] > 0, "two hogs on one CPU made no cpu pressure"

def memstat(js, path, slack):
    a, s = recs(js)["/rp/a"], stat(path)
    for key, f in (("mem_anon_bytes", "anon"), ("mem_file_bytes", "file"),
                   ("mem_inactive_file_bytes", "inactive_file")):
        assert abs(a[key] - s[f]) <= slack, (key, a[key], s[f], slack)
    assert a["mem_anon_bytes"] >= 20 << 20 and a["mem_file_bytes"] >= 12 << 20, a

def presence(js, root):
    """Each attribute is there exactly where its file is."""
    src = {"cpu_weight": "cpu.weight", "cpu_max_quota_ns": "cpu.max",
           "cpu_max_period_ns": "cpu.max", "mem_high_bytes": "memory.high",
           "mem_max_bytes": "memory.max", "mem_low_bytes": "memory.low",
           "mem_min_bytes": "memory.min", "mem_anon_bytes": "memory.stat",
           "mem_file_bytes": "memory.stat", "mem_inactive_file_bytes": "memory.stat"}
    for k in ("nr_periods", "nr_throttled", "throttled_ns"):
        src["cpu_" + k] = "cpu.stat:nr_periods"
    for r, p in (("cpu", "cpu"), ("memory", "mem"), ("io", "io")):
        for kind in ("some", "full"):
            src["%s_pressure_%s_ns" % (p, kind)] = r + ".pressure"
    seen = 0
    for c in json.load(open(js))["cgroups"]:
        d = root + c["path"]
        for k, f in src.items():
            f, _, line = f.partition(":")
            there = os.path.exists(os.path.join(d, f))
            if there and line:
                there = any(l.startswith(line + " ") for l in open(os.path.join(d, f)))
            if c["path"] == "/" and f.endswith(".pressure"):
                there = False       # psi_system: not reachable by a module
            assert (k in c) == there, (c["path"], k, there)
        seen += 1
    assert seen >= 5, seen

def none_of(js, path, prefix):
    c = recs(js)[path]
    bad = [k for k in c if k.startswith(prefix) and not k.startswith(prefix + "pressure")
           and k not in ("cpu_usage_ns", "cpu_wait_ns", "cpu_switches")]
    assert not bad, bad

def absent(js):
    c = recs(js)["/rp/a"]
    bad = [k for k in ("cpu_weight", "cpu_max_quota_ns", "cpu_nr_throttled",
                       "mem_anon_bytes", "mem_file_bytes") if k in c]
    assert not bad, bad
    assert "mem_high_bytes" in c and "mem_pressure_some_ns" in c, "module's attributes lost"

globals()[sys.argv[1]](*[int(x) if x.isdigit() else x for x in sys.argv[2:]])
EOF
check "limits: cpu.weight, cpu.max, memory.high/max/low/min equal the files" \
	$PY "$OUT/chk.py" limits "$OUT/lim.json" "$OUT/lim.files"

# --- throttling: between two reads of cpu.stat ----------------------------
cp $A/cpu.stat "$OUT/cpu.stat.0"
"$CTL" -j stats -r /rp >"$OUT/thr.json"
cp $A/cpu.stat "$OUT/cpu.stat.1"
check "cpu.stat: nr_periods, nr_throttled, throttled_usec between two reads" \
	$PY "$OUT/chk.py" throttle "$OUT/thr.json" "$OUT/cpu.stat.0" "$OUT/cpu.stat.1"

# --- pressure: the file read after the sample, within 2 s of it ------------
t0=$(date +%s%N)
"$CTL" -j stats -r /rp >"$OUT/psi.json"
mkdir -p "$OUT/psi"
for r in cpu memory io; do cp $A/$r.pressure "$OUT/psi/"; done
t1=$(date +%s%N)
check "pressure: six totals at most the files', within one aggregation period" \
	$PY "$OUT/chk.py" psi "$OUT/psi.json" "$OUT/psi" $((t1 - t0))

# --- memory.stat: workload stopped, within the file's flush slack ---------
for p in $PIDS; do kill -STOP "$p"; done
sleep 1
"$CTL" -j stats -r /rp >"$OUT/mem.json"
cp $A/memory.stat "$OUT/memory.stat"
SLACK=$((64 * $(nproc) * $(getconf PAGESIZE)))
check "memory.stat: anon, file, inactive_file within 64 pages per CPU" \
	$PY "$OUT/chk.py" memstat "$OUT/mem.json" "$OUT/memory.stat" $SLACK
for p in $PIDS; do kill -CONT "$p"; done

# --- presence follows the files ------------------------------------------
"$CTL" -j stats -r >"$OUT/all.json"
check "every attribute present exactly where its file exists" \
	$PY "$OUT/chk.py" presence "$OUT/all.json" $CG
check "no memory controller: none of mem-* but pressure" \
	$PY "$OUT/chk.py" none_of "$OUT/all.json" /rpc/x mem_
check "no cpu controller: none of cpu-* but pressure and the ledger's own" \
	$PY "$OUT/chk.py" none_of "$OUT/all.json" /rpm/x cpu_

# --- readers racing walks ------------------------------------------------
# A walk rewrites the records array a reader may still be copying. /rs,
# made before /rt, has a cgroup made and removed over and over, so walk
# after walk puts /rt's cgroups in other slots; a second walker reads the
# pinned iterator in a tight loop. A reader takes a record only when its stamp
# is its own walk's before and after the copy. Each /rt/wI has cpu.weight
# 10 + I: a record taken from another walk's slot shows another cgroup's.
mkdir -p $CG/rs $CG/rt
echo "+cpu" >$CG/rt/cgroup.subtree_control
i=1
while [ $i -le 200 ]; do
	mkdir $CG/rt/w$i && echo $((10 + i)) >$CG/rt/w$i/cpu.weight
	i=$((i + 1))
done
cat >"$OUT/race.py" <<'PYEOF'
import json, sys
# race.py FILE...: every weight of /rt/wI that is there is 10 + I; prints
# how many samples had all 200
whole = 0
for f in sys.argv[1:]:
    got = {c["path"]: c.get("cpu_weight") for c in json.load(open(f))["cgroups"]}
    for i in range(1, 201):
        w = got.get("/rt/w%d" % i)
        assert w is None or w == 10 + i, (f, i, w)
    whole += all(got.get("/rt/w%d" % i) == 10 + i for i in range(1, 201))
print(whole)
PYEOF
rm -f "$OUT/race.stop"
(while [ ! -e "$OUT/race.stop" ]; do mkdir $CG/rs/x; rmdir $CG/rs/x; done) &
CHURN=$!
$PY -c '
import os, sys
while not os.path.exists(sys.argv[1]):
    with open("/sys/fs/bpf/cgshare/cgroups", "rb") as f:
        f.read()' "$OUT/race.stop" &
WALKER=$!
PIDS="$PIDS $CHURN $WALKER"
# strace, where there is one, only to count each run's walks
ST=
command -v strace >/dev/null && ST="strace -f -qq -e trace=bpf"
bad=0
again=0
k=1
while [ $k -le 20 ]; do
	$ST ${ST:+-o "$OUT/race-$k.st"} "$CTL" -j stats -r /rt >"$OUT/race-$k.json" \
		2>"$OUT/race-$k.err" || bad=$((bad + 1))
	if [ -n "$ST" ] && [ "$(grep -c BPF_ITER_CREATE "$OUT/race-$k.st")" -gt 1 ]; then
		again=$((again + 1))
	fi
	k=$((k + 1))
done
result $bad "stats -r beside a walker and churn: 20 runs, exit 0 ($bad failed)"
whole=$($PY "$OUT/race.py" "$OUT"/race-*.json 2>"$OUT/race.err")
result $? "... every cpu.weight taken is its own cgroup's"
sed 's/^/#   /' "$OUT/race.err"
echo "# $whole of 20 samples had all 200 weights; ${ST:+$again walked again, }$(cat "$OUT"/race-*.err | grep -c rewritten) said the records were rewritten at each try"
check "... and at least one sample had all 200" [ "${whole:-0}" -ge 1 ]
if command -v strace >/dev/null; then
	# Each close(2) held 0.5 s, the iterator's among them: the walker
	# rewrites the records between this reader's walk and its copy, try
	# after try.
	strace -f -qq -o /dev/null -e trace=close -e inject=close:delay_exit=500000 \
		"$CTL" -j stats -r /rt >"$OUT/slow.json" 2>"$OUT/slow.err"
	result $? "stats -r whose every walk is rewritten before it is read: exit 0"
	check "... says so" grep -q "records rewritten by other readers' walks" "$OUT/slow.err"
	check "... all 200 there, the iterator's attributes absent" json "$OUT/slow.json" \
		'len([c for c in d["cgroups"] if c["path"].startswith("/rt/w")]) == 200 and all("cpu_weight" not in c and "cpu_usage_ns" in c for c in d["cgroups"] if c["path"].startswith("/rt/w"))'
else
	skip "stats -r whose every walk is rewritten" "no strace in the guest"
fi
touch "$OUT/race.stop"
wait $CHURN $WALKER
"$CTL" -j stats -r /rt >"$OUT/race-after.json"
check "with the walker stopped, all 200 weights again" sh -c \
	"[ \"\$($PY '$OUT/race.py' '$OUT/race-after.json')\" = 1 ]"
rmdir $CG/rt/w* $CG/rt $CG/rs

# --- without the pin ------------------------------------------------------
check "bpf unpin" "$CTL" bpf unpin
"$CTL" -j stats -r /rp >"$OUT/nopin.json" 2>"$OUT/nopin.err"
result $? "stats -r without the iterator: exit 0"
check "... says once why" sh -c "[ \$(grep -c 'not pinned' '$OUT/nopin.err') = 1 ]"
check "... the iterator's attributes absent, the module's there" \
	$PY "$OUT/chk.py" absent "$OUT/nopin.json"
"$CTL" export --once >"$OUT/nopin.prom" 2>"$OUT/nopin-export.err"
result $? "export --once without the iterator: exit 0"
check "... says once why" sh -c "[ \$(grep -c 'not pinned' '$OUT/nopin-export.err') = 1 ]"
check "bpf pin again" "$CTL" bpf pin
if command -v setpriv >/dev/null; then
	setpriv --reuid=65534 --regid=65534 --clear-groups "$CTL" -j stats /rp/a \
		>"$OUT/nobody.json" 2>"$OUT/nobody.err"
	result $? "stats as nobody: exit 0"
	check "... says it may not read the pins" grep -q "permission" "$OUT/nobody.err"
else
	skip "stats as nobody" "no setpriv"
fi

# --- openat per sample: flat in N ------------------------------------------
# opens FILE: open, openat and openat2 calls in an strace -f log
opens() {
	grep -E '(^|[^a-z_])(open|openat|openat2)\(' "$1" | grep -vc 'resumed>'
}
# tree N: /op/c1 .. /op/cN, cpu enabled
tree() {
	for d in $CG/op/c*; do [ -d "$d" ] && rmdir "$d"; done
	mkdir -p $CG/op
	echo "+cpu +memory" >$CG/op/cgroup.subtree_control
	i=1
	while [ $i -le "$1" ]; do mkdir $CG/op/c$i; i=$((i + 1)); done
}
cat >"$OUT/op.conf" <<EOF
interval 100ms
act-every 1
window 2
enforce cpu weight
enforce memory none
parent /op weight 2
EOF
if command -v strace >/dev/null; then
	for N in 10 1000; do
		tree $N
		strace -f -qq -e trace=open,openat,openat2 -o "$OUT/export-$N.st" \
			"$CTL" export --once >"$OUT/export-$N.prom"
		# the first round writes cpu.weight 200; the second finds it there
		"$CTL" apply -c "$OUT/op.conf" --state "$OUT/op.state" >"$OUT/apply1-$N.out"
		strace -f -qq -e trace=open,openat,openat2 -o "$OUT/apply-$N.st" \
			"$CTL" apply -c "$OUT/op.conf" --state "$OUT/op.state" >"$OUT/apply-$N.out"
		eval "E$N=\$(opens '$OUT/export-$N.st') A$N=\$(opens '$OUT/apply-$N.st')"
		echo "# N=$N: export --once $(opens "$OUT/export-$N.st") opens," \
			"apply with nothing to change $(opens "$OUT/apply-$N.st") opens"
	done
	check "apply wrote cpu.weight 200 to all 1,000" sh -c \
		"[ \$(cat $CG/op/c*/cpu.weight | grep -c '^200\$') = 1000 ]"
	check "second apply changed nothing" grep -qx "no changes" "$OUT/apply-1000.out"
	check "export --once: the same opens at N=10 and N=1000 ($E10, $E1000)" \
		[ "$E10" = "$E1000" ]
	check "apply, nothing to change: the same opens at N=10 and N=1000 ($A10, $A1000)" \
		[ "$A10" = "$A1000" ]
else
	skip "openat counts" "no strace in the guest (apt-get install strace)"
fi

echo "1..$n"
exit $((failed > 0))
