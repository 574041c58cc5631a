#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# cgsharectl against the real module, inside a guest (tools/vm-run.sh):
#   tools/vm-run.sh 6.1 OUT -- sh ctl/tests/guest.sh
# Loads $CGSHARE_KO if the family is missing, builds /ctltest/{hog,idle}
# under the cgroup2 root, and checks what cgsharectl prints, in text and
# JSON (parsed by python3), for status, stats, stats -i and watch. Ends by
# unloading the module, which watch must notice. TAP output.

CTL=${CGSHARECTL:-$(dirname "$0")/../cgsharectl}
CG=/sys/fs/cgroup
T=$CG/ctltest
OUT=${CGSHARE_OUT:-/tmp}/ctl-guest
. "$(dirname "$0")/tap-lib.sh"

command -v python3 >/dev/null || bail "python3 needed to parse JSON"
module_loaded

"$CTL" -j status >"$OUT/status.json"
result $? "status -j exits 0"
check "status JSON: loaded, version, cpu feature, counts" json "$OUT/status.json" \
	'd["loaded"] and d["version"] and "cpu" in d["features"] and d["nr_cgroups"] >= 1 and isinstance(d["generation"], int)'
check "status JSON: gpu-bpf reason iff gpu-bpf off" json "$OUT/status.json" \
	'("gpu-bpf" in d["features"]) != ("gpu_bpf_reason" in d)'

echo "+cpu +memory" >$CG/cgroup.subtree_control
mkdir -p $T/hog $T/idle
echo "+cpu +memory" >$T/cgroup.subtree_control
sh -c "echo \$\$ >$T/hog/cgroup.procs; while :; do :; done" &
HOG=$!
sleep 1

"$CTL" -j stats -r >"$OUT/all.json"
result $? "stats -r -j exits 0"
check "stats -r: ids unique, paths start with /, root first" json "$OUT/all.json" \
	'len({c["id"] for c in d["cgroups"]}) == len(d["cgroups"]) and all(c["path"].startswith("/") for c in d["cgroups"]) and d["cgroups"][0]["path"] == "/"'
check "stats -r: root has no memory keys and no parent" json "$OUT/all.json" \
	'"mem_current_bytes" not in d["cgroups"][0] and "parent_id" not in d["cgroups"][0]'
check "stats -r: our cgroups are there, with memory" json "$OUT/all.json" \
	'{"/ctltest","/ctltest/hog","/ctltest/idle"} <= {c["path"] for c in d["cgroups"]} and all("mem_current_bytes" in c for c in d["cgroups"] if c["path"].startswith("/ctltest"))'
# Records are read one after the other while the hog runs: the child, read
# later, may be ahead of its parent by the time between the two reads.
check "stats -r: parent rolls up the child (100 ms slack)" json "$OUT/all.json" \
	'(lambda m: m["/ctltest"]["cpu_usage_ns"] + 100000000 >= m["/ctltest/hog"]["cpu_usage_ns"] > 0)({c["path"]: c for c in d["cgroups"]})'

"$CTL" -j stats -r /ctltest >"$OUT/sub.json"
check "stats -r PATH: just the subtree" json "$OUT/sub.json" \
	'sorted(c["path"] for c in d["cgroups"]) == ["/ctltest", "/ctltest/hog", "/ctltest/idle"]'
ID=$(python3 -c 'import json,sys; print([c["id"] for c in json.load(open(sys.argv[1]))["cgroups"] if c["path"] == "/ctltest/hog"][0])' "$OUT/sub.json")
"$CTL" -j stats "$ID" >"$OUT/byid.json"
check "stats ID: the same cgroup as by path" json "$OUT/byid.json" \
	"d['cgroups'][0]['path'] == '/ctltest/hog' and d['cgroups'][0]['id'] == $ID"

usage=$(sed -n 's/^usage_usec //p' $T/hog/cpu.stat)
"$CTL" -j stats /ctltest/hog >"$OUT/hog.json"
usage2=$(sed -n 's/^usage_usec //p' $T/hog/cpu.stat)
check "stats: hog usage between two cpu.stat reads (5% slack)" json "$OUT/hog.json" \
	"$usage * 950 <= d['cgroups'][0]['cpu_usage_ns'] <= $usage2 * 1050"

"$CTL" stats -r /ctltest >"$OUT/sub.txt"
check "stats text: header and one row per cgroup" \
	sh -c "head -1 $OUT/sub.txt | grep -q '^PATH' && [ \$(wc -l <$OUT/sub.txt) = 4 ]"

"$CTL" -j stats -r -i 1 /ctltest >"$OUT/rate.json"
result $? "stats -i -j exits 0"
check "stats -i: hog near one CPU, idle at zero" json "$OUT/rate.json" \
	'(lambda m: 0.3 < m["/ctltest/hog"]["cpu_usage_cpus"] <= 1.05 and m["/ctltest/idle"]["cpu_usage_cpus"] == 0)({c["path"]: c for c in d["cgroups"]})'
check "stats -i: interval about 1 s, all live, no clamps" json "$OUT/rate.json" \
	'0.9e9 < d["interval_ns"] < 1.5e9 and all(c["state"] == "live" and "clamped" not in c for c in d["cgroups"])'

"$CTL" stats /ctltest/nope 2>"$OUT/nope.err"
result $(( $? != 1 )) "stats of a missing path exits 1"
check "and says: no such cgroup: /ctltest/nope" grep -q "no such cgroup: /ctltest/nope" "$OUT/nope.err"

# A cgroup that appears and one that vanishes during an interval (4 s of
# slack: a loaded TCG guest can be slow to rmdir).
mkdir $T/gone
"$CTL" -j stats -r -i 5 /ctltest >"$OUT/churn.json" &
STATS=$!
sleep 1
date +%s.%N >"$OUT/churn.time"
rmdir $T/gone
mkdir $T/new
date +%s.%N >>"$OUT/churn.time"
wait $STATS
date +%s.%N >>"$OUT/churn.time"
result $? "stats -i across churn exits 0"
check "stats -i: vanished cgroup is gone, created one is new" json "$OUT/churn.json" \
	'(lambda m: m["/ctltest/gone"]["state"] == "gone" and m["/ctltest/new"]["state"] == "new" and "delta" not in m["/ctltest/new"])({c["path"]: c for c in d["cgroups"]})'

# watch: a short-lived cgroup's final counters, text and JSON.
"$CTL" watch >"$OUT/watch.txt" 2>&1 &
W1=$!
"$CTL" -j watch >"$OUT/watch.json" 2>"$OUT/watch.err" &
W2=$!
sleep 1
mkdir $T/short
sh -c "echo \$\$ >$T/short/cgroup.procs; i=0; while [ \$i -lt 20000 ]; do i=\$((i+1)); done"
rmdir $T/short
sleep 1
kill -INT $W1
kill -TERM $W2
wait $W1
result $? "watch exits 0 on SIGINT"
wait $W2
result $? "watch -j exits 0 on SIGTERM"
check "watch text: a release line for /ctltest/short" grep -q " release id=[0-9]* path=/ctltest/short cpu=" "$OUT/watch.txt"
check "watch JSON: one object per line, final CPU time > 0" python3 -c '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
sys.exit(0 if any(e["event"] == "release" and e["path"] == "/ctltest/short" and e["cpu_usage_ns"] > 0 for e in ev) else 1)' "$OUT/watch.json"

kill $HOG
wait $HOG 2>/dev/null
rmdir $T/hog $T/idle $T/new 2>/dev/null

# Many cgroups in one dump, then the same dump while cgroups come and go.
NMANY=${CTL_GUEST_NMANY:-2000}
mkdir $T/many
mkdir $(seq -f "$T/many/c%.0f" 0 $((NMANY - 1)))	# one exec: TCG is slow
"$CTL" -j stats -r /ctltest/many >"$OUT/many.json"
result $? "stats -r over $NMANY cgroups exits 0"
check "stats -r: each of the $NMANY cgroups exactly once" json "$OUT/many.json" \
	"len(d['cgroups']) == $NMANY + 1 and len({c['id'] for c in d['cgroups']}) == $NMANY + 1"
rm -f "$OUT/stop"
sh -c "while [ ! -e $OUT/stop ]; do mkdir $T/many/x; rmdir $T/many/x; done" &
CHURN=$!
"$CTL" -v -j stats -r /ctltest/many >"$OUT/churnmany.json" 2>"$OUT/churnmany.err"
rc=$?
touch "$OUT/stop"
wait $CHURN
result $rc "stats -r while cgroups churn exits 0"
check "stats -r under churn: the $NMANY stable cgroups, no duplicates" json "$OUT/churnmany.json" \
	"len({c['id'] for c in d['cgroups']}) == len(d['cgroups']) and sum(1 for c in d['cgroups'] if c['path'].startswith('/ctltest/many/c')) == $NMANY"
echo "# under churn: $(grep -c retrying "$OUT/churnmany.err") dump retries"
rmdir $(seq -f "$T/many/c%.0f" 0 $((NMANY - 1))) $T/many

"$CTL" stats -r /ctltest/nope 2>"$OUT/nope-r.err"
result $(( $? != 1 )) "stats -r of a missing path exits 1"
check "and says: no such cgroup" grep -q "no such cgroup: /ctltest/nope" "$OUT/nope-r.err"

rmdir $T

# rmmod while watching: watch must say so and exit 1.
"$CTL" -j watch >"$OUT/unload.json" 2>"$OUT/unload.err" &
W3=$!
sleep 1
if rmmod cgshare; then
	wait $W3
	result $(( $? != 1 )) "watch exits 1 when the module is unloaded"
	check "watch reports the unload" grep -q '"event":"unloaded"' "$OUT/unload.json"
	"$CTL" status 2>"$OUT/gone.err"
	result $(( $? != 1 )) "status after rmmod exits 1"
	check "and says the module is not loaded" grep -q "not loaded" "$OUT/gone.err"
else
	kill $W3
	n=$((n + 1)); echo "not ok $n - rmmod cgshare failed"; failed=$((failed + 1))
fi

echo "1..$n"
[ $failed = 0 ]
