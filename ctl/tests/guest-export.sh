#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The Prometheus exporter and `top` against the real module, inside a guest:
#   tools/vm-run.sh 6.1 OUT -- sh ctl/tests/guest-export.sh
# Loads $CGSHARE_KO if the family is missing. Tree:
#
#   /exptest            cpu, memory enabled for the children
#   ├── hog             a CPU hog; cpu.max 0.5 CPU, cpu.weight 200
#   ├── mem             python3 holding 48 MiB; memory.high 1 GiB
#   └── q"b\s           idle; a name the exposition format must escape
#
# Invariants: every scrape is valid text exposition (HELP and TYPE once per
# family, counters named _total), its counters lie between two ledger reads
# (`stats -j -r`) taken around it and its limits (the sample's: the
# module's and the pinned cgroup iterator's) equal the cgroupfs files;
# other paths are 404, other methods 405; the listener is on loopback only.
# Only 127.0.0.1 is ever used. No timing assertions. TAP output.

CTL=${CGSHARECTL:-$(dirname "$0")/../cgsharectl}
CG=/sys/fs/cgroup
T=$CG/exptest
ODD='q"b\s'
PORT=${EXPORT_PORT:-19858}
URL=http://127.0.0.1:$PORT
OUT=${CGSHARE_OUT:-/tmp}/ctl-export
PY=/usr/bin/python3
[ -x $PY ] || PY=python3
. "$(dirname "$0")/tap-lib.sh"

# get URL FILE [CURL-ARGS]: the body into FILE, the status code on stdout
if command -v curl >/dev/null; then
	CLIENT=curl
	get() {
		u=$1 f=$2; shift 2
		curl -s -m 60 -o "$f" -w '%{http_code}' "$@" "$u"
	}
else
	CLIENT=urllib
	get() {
		$PY - "$1" "$2" "$3" <<'EOF'
import sys, urllib.request, urllib.error
req = urllib.request.Request(sys.argv[1], method="POST" if sys.argv[3:] == ["-d"] else "GET",
                             data=b"x" if sys.argv[3:] == ["-d"] else None)
try:
    r = urllib.request.urlopen(req, timeout=60); body, code = r.read(), r.status
except urllib.error.HTTPError as e:
    body, code = e.read(), e.code
open(sys.argv[2], "wb").write(body); print(code)
EOF
	}
fi

# The checks on parsed output, in python: chk.py CHECK FILES...
cat >"$OUT/chk.py" <<'EOF'
import json, math, re, sys

NAME = re.compile(r'[a-zA-Z_:][a-zA-Z0-9_:]*')

def parse(path):
    """Text exposition 0.0.4 -> (families in order, samples), strictly."""
    fams, samples, cur = [], [], None
    for ln, line in enumerate(open(path, encoding="utf-8").read().split("\n"), 1):
        if line == "":
            continue
        where = "line %d: %r" % (ln, line)
        if line.startswith("# HELP ") or line.startswith("# TYPE "):
            kind, rest = line[2:6], line[7:]
            name, _, text = rest.partition(" ")
            assert NAME.fullmatch(name), where
            if kind == "HELP":
                assert text, where
                fams.append({"name": name, "help": text, "type": None})
            else:
                assert fams and fams[-1]["name"] == name and fams[-1]["type"] is None, where
                assert text in ("counter", "gauge", "untyped", "summary", "histogram"), where
                fams[-1]["type"] = text
                cur = name
            continue
        assert not line.startswith("#"), where
        m = NAME.match(line)
        assert m, where
        name, i, labels = m.group(0), m.end(), {}
        if line[i] == "{":
            i += 1
            while line[i] != "}":
                m = NAME.match(line, i)
                assert m and line[m.end():m.end() + 2] == '="', where
                key, i, val = m.group(0), m.end() + 2, ""
                while line[i] != '"':
                    if line[i] == "\\":
                        val += {"\\": "\\", '"': '"', "n": "\n"}[line[i + 1]]
                        i += 2
                    else:
                        val += line[i]
                        i += 1
                assert key not in labels, where
                labels[key] = val
                i += 1
                if line[i] == ",":
                    i += 1
            i += 1
        assert line[i] == " ", where
        value = float(line[i + 1:].split(" ")[0])
        assert name == cur, "sample outside its family: " + where
        samples.append((name, labels, value))
    return fams, samples

def by(samples, name, key="cgroup"):
    return {s[1][key]: s[2] for s in samples if s[0] == name}

def ledger(path):
    return {c["path"]: c for c in json.load(open(path))["cgroups"]}

def structure(m):
    fams, samples = parse(m)
    names = [f["name"] for f in fams]
    assert len(names) == len(set(names)), "a family declared twice"
    assert all(f["type"] for f in fams), "HELP without TYPE"
    for f in fams:
        assert (f["type"] == "counter") == f["name"].endswith("_total"), f["name"]
    keys = [(s[0], tuple(sorted(s[1].items()))) for s in samples]
    assert len(keys) == len(set(keys)), "duplicate series"
    want = {"cgshare_cgroups", "cgshare_cpu_usage_seconds_total",
            "cgshare_cpu_wait_seconds_total", "cgshare_cpu_switches_total",
            "cgshare_memory_current_bytes", "cgshare_memory_peak_bytes",
            "cgshare_memory_swap_bytes", "cgshare_memory_events_total",
            "cgshare_gpu_busy_seconds_total", "cgshare_gpu_queue_seconds_total",
            "cgshare_gpu_memory_bytes", "cgshare_cpu_max_cpus",
            "cgshare_cpu_weight", "cgshare_memory_high_bytes",
            "cgshare_memory_max_bytes", "cgshare_memory_low_bytes",
            "cgshare_memory_min_bytes", "cgshare_cpu_max_quota_seconds",
            "cgshare_cpu_max_period_seconds", "cgshare_cpu_nr_periods_total",
            "cgshare_cpu_nr_throttled_total", "cgshare_cpu_throttled_seconds_total",
            "cgshare_memory_anon_bytes", "cgshare_memory_file_bytes",
            "cgshare_memory_inactive_file_bytes",
            "cgshare_cpu_pressure_some_seconds_total", "cgshare_cpu_pressure_full_seconds_total",
            "cgshare_memory_pressure_some_seconds_total",
            "cgshare_memory_pressure_full_seconds_total",
            "cgshare_io_pressure_some_seconds_total", "cgshare_io_pressure_full_seconds_total",
            "cgshare_share",
            "cgshare_planned_limit", "cgshare_planned_limit_written",
            "cgshare_scheduler_info", "cgshare_cpu_control_honoured",
            "cgshare_controller_interval_seconds",
            "cgshare_controller_last_round_timestamp_seconds"}
    assert want == set(names), set(names) ^ want
    return fams, samples

def counters(m, a, b):
    """Counters between the ledger reads before (a) and after (b)."""
    _, s = parse(m)
    a, b = ledger(a), ledger(b)
    usage = by(s, "cgshare_cpu_usage_seconds_total")
    assert set(a) & set(b) <= set(usage) <= set(a) | set(b), "cgroup sets differ"
    count = [v for (n, l, v) in s if n == "cgshare_cgroups"]
    assert count == [len(usage)], (count, len(usage))
    for key, fam in (("cpu_usage_ns", "cgshare_cpu_usage_seconds_total"),
                     ("cpu_wait_ns", "cgshare_cpu_wait_seconds_total")):
        got = by(s, fam)
        for p in set(a) & set(b):
            lo, hi = a[p][key] / 1e9, b[p][key] / 1e9
            assert lo - 1e-6 <= got[p] <= hi + 1e-6, (fam, p, lo, got[p], hi)
    sw = by(s, "cgshare_cpu_switches_total")
    for p in set(a) & set(b):
        assert a[p]["cpu_switches"] <= sw[p] <= b[p]["cpu_switches"], p
    return s

def check(name, *files):
    if name == "structure":
        fams, s = structure(files[0])
        print("# %d families, %d samples" % (len(fams), len(s)))
    elif name == "counters":
        counters(*files)
    elif name == "ours":
        _, s = parse(files[0])
        u = by(s, "cgshare_cpu_usage_seconds_total")
        for p in ("/exptest", "/exptest/hog", "/exptest/mem", '/exptest/q"b\\s'):
            assert p in u, p
        assert u["/exptest/hog"] > 0
    elif name == "memory":
        _, s = parse(files[0])
        a, b = ledger(files[1]), ledger(files[2])
        cur = by(s, "cgshare_memory_current_bytes")
        p = "/exptest/mem"
        lo = min(a[p]["mem_current_bytes"], b[p]["mem_current_bytes"])
        hi = max(a[p]["mem_current_bytes"], b[p]["mem_current_bytes"])
        assert 0.9 * lo <= cur[p] <= 1.1 * hi, (lo, cur[p], hi)
        assert cur[p] >= 48 << 20, cur[p]
        peak = by(s, "cgshare_memory_peak_bytes")
        assert peak.get(p, cur[p]) >= cur[p] * 0.9
        ev = {(l["cgroup"], l["event"]) for (n, l, v) in s
              if n == "cgshare_memory_events_total"}
        assert {(p, e) for e in ("high", "low", "max", "oom", "oom_kill")} <= ev, ev
        assert "/" not in cur, "the root has no memory.current"
    elif name == "cpustat":
        _, s = parse(files[0])
        got = by(s, "cgshare_cpu_usage_seconds_total")["/exptest/hog"]
        lo, hi = float(files[1]) / 1e6, float(files[2]) / 1e6
        assert lo * 0.95 <= got <= hi * 1.05, (lo, got, hi)
    elif name == "limits":
        _, s = parse(files[0])
        want = json.loads(files[1])
        for fam, exp in want.items():
            got = by(s, fam)
            for p, v in exp.items():
                if v is None:
                    assert p not in got, (fam, p, got.get(p))
                else:
                    assert p in got and abs(got[p] - v) <= 1e-9 * max(1, v), (fam, p, got.get(p), v)
    elif name == "odd":
        _, s = parse(files[0])
        assert '/exptest/q"b\\s' in by(s, "cgshare_memory_current_bytes")
        raw = open(files[0]).read()
        assert 'cgroup="/exptest/q\\"b\\\\s"' in raw
    elif name == "sorted":
        _, s = parse(files[0])
        paths = [l["cgroup"] for (n, l, v) in s if n == "cgshare_cpu_usage_seconds_total"]
        key = lambda p: p.replace("/", "\x01")
        assert paths == sorted(paths, key=key), paths
    elif name == "top-json":
        frames = [json.loads(l) for l in open(files[0])]
        assert len(frames) == 2, len(frames)
        for f in frames:
            rows = f["cgroups"]
            cpu = [r.get("cpu_usage_cpus", -1) for r in rows]
            assert cpu == sorted(cpu, reverse=True), cpu
            assert {"/exptest", "/exptest/hog", "/exptest/mem"} <= {r["path"] for r in rows}
            hog = [r for r in rows if r["path"] == "/exptest/hog"][0]
            assert hog["cpu_max_cpus"] == 0.5 and hog["cpu_weight"] == 200, hog
            assert hog["cpu_usage_cpus"] > 0, hog
            mem = [r for r in rows if r["path"] == "/exptest/mem"][0]
            assert mem["memory_high_bytes"] == 1 << 30 and mem["mem_current_bytes"] > 0, mem
            assert "memory_max_bytes" not in mem, mem
    elif name == "top-ctl":
        frames = [json.loads(l) for l in open(files[0])]
        assert len(frames) == 2, len(frames)
        for f in frames:
            rows = {r["path"]: r for r in f["cgroups"]}
            hog, top = rows["/exptest/hog"], rows["/exptest"]
            assert hog["managed"] is True and top["managed"] is False, (hog, top)
            for k in ("demand_cpus", "share_cpus", "demand_memory_bytes", "share_memory_bytes"):
                assert k in hog and hog[k] >= 0 and k not in top, (k, hog, top)
            assert hog["demand_cpus"] > 0 and hog["share_cpus"] > 0, hog
            assert rows["/exptest/mem"]["demand_memory_bytes"] > 0, rows["/exptest/mem"]
    elif name == "top-mem-sort":
        rows = json.loads(open(files[0]).readline())["cgroups"]
        mem = [r.get("mem_current_bytes", -1) for r in rows]
        assert mem == sorted(mem, reverse=True), mem
    else:
        raise SystemExit("unknown check " + name)

check(sys.argv[1], *sys.argv[2:])
EOF
py() { $PY "$OUT/chk.py" "$@"; }

command -v $PY >/dev/null || bail "python3 needed to parse the output"
module_loaded
echo "# HTTP client: $CLIENT"
# cpu.max, cpu.weight and the like come from the cgroup iterator
bpffs_mounted
check "bpf pin (the cgroup iterator)" "$CTL" bpf pin

# wait_for FILE PATTERN: up to ~60 s (a loaded TCG guest can be slow)
wait_for() {
	i=0
	while ! grep -q "$2" "$1" 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt 300 ] && return 1
		sleep 0.2
	done
}

echo "+cpu +memory" >$CG/cgroup.subtree_control
mkdir -p "$T/hog" "$T/mem" "$T/$ODD"
echo "+cpu +memory" >$T/cgroup.subtree_control
echo "50000 100000" >$T/hog/cpu.max
echo 200 >$T/hog/cpu.weight
echo 1073741824 >$T/mem/memory.high
sh -c "echo \$\$ >$T/hog/cgroup.procs; while :; do :; done" &
HOG=$!
sh -c "echo \$\$ >$T/mem/cgroup.procs; exec $PY -c 'import time; b = bytearray(48 << 20); b[::4096] = b\"x\" * len(b[::4096]); open(\"$OUT/mem.ready\", \"w\").close(); time.sleep(3600)'" &
MEM=$!
i=0
while [ ! -e "$OUT/mem.ready" ]; do
	i=$((i + 1)); [ $i -gt 300 ] && bail "the memory allocator did not start"
	sleep 0.2
done

"$CTL" export --listen 127.0.0.1:$PORT 2>"$OUT/export.err" &
EXP=$!
wait_for "$OUT/export.err" "serving metrics" || bail "the exporter did not start: $(cat "$OUT/export.err")"
check "exporter says where it serves" grep -q "at http://127.0.0.1:$PORT/metrics" "$OUT/export.err"

# The listener: 127.0.0.1 only (in /proc/net/tcp: 0100007F:PORT, LISTEN).
HEXPORT=$(printf '%04X' $PORT)
check "listening on 127.0.0.1:$PORT" grep -q " 0100007F:$HEXPORT 00000000:0000 0A " /proc/net/tcp
check "and on no other address (one listener on that port)" sh -c "[ \$(cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | grep -c ':$HEXPORT [0-9A-F]*:0000 0A ') = 1 ]"

# A scrape between two ledger reads, and cpu.stat around it.
u0=$(sed -n 's/^usage_usec //p' $T/hog/cpu.stat)
"$CTL" -j stats -r >"$OUT/before.json"
code=$(get $URL/metrics "$OUT/metrics.txt" -D "$OUT/headers.txt")
"$CTL" -j stats -r >"$OUT/after.json"
u1=$(sed -n 's/^usage_usec //p' $T/hog/cpu.stat)
result $(( code != 200 )) "GET /metrics is 200 ($code)"
if [ $CLIENT = curl ]; then
	check "Content-Type text/plain; version=0.0.4" grep -qi '^Content-Type: text/plain; version=0.0.4' "$OUT/headers.txt"
else
	skip "Content-Type text/plain; version=0.0.4" "no curl: headers not captured"
fi
check "valid exposition: HELP/TYPE once per family, _total counters, no duplicates" py structure "$OUT/metrics.txt"
check "our cgroups are there, the hog has used CPU" py ours "$OUT/metrics.txt"
check "counters between the ledger reads before and after" py counters "$OUT/metrics.txt" "$OUT/before.json" "$OUT/after.json"
check "hog CPU time between two cpu.stat reads (5% slack)" py cpustat "$OUT/metrics.txt" "$u0" "$u1"
check "memory: current near the ledger's, 48 MiB held, events by name" py memory "$OUT/metrics.txt" "$OUT/before.json" "$OUT/after.json"
check "limits equal cgroupfs; max is absent" py limits "$OUT/metrics.txt" '{
	"cgshare_cpu_max_cpus": {"/exptest/hog": 0.5, "/exptest/mem": null, "/": null},
	"cgshare_cpu_weight": {"/exptest/hog": 200, "/exptest/mem": 100},
	"cgshare_memory_high_bytes": {"/exptest/mem": 1073741824, "/exptest/hog": null},
	"cgshare_memory_max_bytes": {"/exptest/mem": null},
	"cgshare_memory_low_bytes": {"/exptest/mem": 0}}'
check "odd name q\"b\\s escaped in the text, exact once parsed" py odd "$OUT/metrics.txt"
check "samples sorted by path" py sorted "$OUT/metrics.txt"

code=$(get $URL/ "$OUT/root.txt")
result $(( code != 404 )) "GET / is 404 ($code)"
code=$(get $URL/metrics/x "$OUT/x.txt")
result $(( code != 404 )) "GET /metrics/x is 404 ($code)"
code=$(get $URL/metrics "$OUT/post.txt" -d x)
result $(( code != 405 )) "POST /metrics is 405 ($code)"

# A client that connects and says nothing must not stop the next scrape:
# the exporter drops it after --timeout.
"$CTL" export --listen 127.0.0.1:$((PORT + 1)) --timeout 500ms 2>"$OUT/export2.err" &
EXP2=$!
wait_for "$OUT/export2.err" "serving metrics" || bail "the second exporter did not start"
$PY -c "
import socket, time
s = socket.create_connection(('127.0.0.1', $((PORT + 1))))
time.sleep(30)" &
SILENT=$!
sleep 1
code=$(get http://127.0.0.1:$((PORT + 1))/metrics "$OUT/after-silent.txt")
result $(( code != 200 )) "scrape after a silent client is 200 ($code)"
kill $SILENT 2>/dev/null
kill -TERM $EXP2
wait $EXP2
result $? "exporter exits 0 on SIGTERM"

# Scrapes while cgroups come and go: each one whole and valid.
rm -f "$OUT/stop"
sh -c "i=0; while [ ! -e $OUT/stop ]; do mkdir $T/churn\$i; rmdir $T/churn\$i; i=\$((i+1)); done" &
CHURN=$!
bad=0
for i in 1 2 3 4 5; do
	code=$(get $URL/metrics "$OUT/churn$i.txt")
	[ "$code" = 200 ] && py structure "$OUT/churn$i.txt" >/dev/null 2>"$OUT/churn$i.err" || bad=$((bad + 1))
done
touch "$OUT/stop"
wait $CHURN
result $bad "5 scrapes under cgroup churn: all 200 and valid ($bad bad)"

kill -INT $EXP
wait $EXP
result $? "exporter exits 0 on SIGINT"

# Default address: loopback, port 9858.
"$CTL" export 2>"$OUT/export3.err" &
EXP3=$!
if wait_for "$OUT/export3.err" "serving metrics"; then
	check "default listener is 127.0.0.1:9858" grep -q " 0100007F:2682 00000000:0000 0A " /proc/net/tcp
else
	result 1 "default exporter started: $(cat "$OUT/export3.err")"
fi
kill -TERM $EXP3
wait $EXP3

"$CTL" export --once >"$OUT/once.txt" 2>"$OUT/once.err"
result $? "export --once exits 0"
check "--once prints a valid exposition with our cgroups" sh -c "$PY $OUT/chk.py structure $OUT/once.txt && $PY $OUT/chk.py ours $OUT/once.txt"
"$CTL" export --listen 0.0.0.0 2>"$OUT/badaddr.err"
result $(( $? != 2 )) "listen address without a port is a usage error"

# top: bounded runs, plain tables and JSON lines.
"$CTL" top -n 2 -i 0.5 /exptest >"$OUT/top.txt" 2>"$OUT/top.err"
result $? "top -n 2 exits 0"
check "top: two tables, each with a header and our cgroups" sh -c "
	[ \$(grep -c '^PATH ' $OUT/top.txt) = 2 ] &&
	[ \$(grep -c '^/exptest/hog ' $OUT/top.txt) = 2 ] &&
	[ \$(grep -c '^cgsharectl top ' $OUT/top.txt) = 2 ] && ! grep -q \$(printf '\033') $OUT/top.txt"
"$CTL" -j top -n 2 -i 0.5 /exptest >"$OUT/top.json" 2>>"$OUT/top.err"
check "top -j: sorted by CPU, limits and usage as in cgroupfs" py top-json "$OUT/top.json"
"$CTL" -j top -n 1 -i 0.2 -s mem /exptest >"$OUT/top-mem.json" 2>>"$OUT/top.err"
check "top -s mem: sorted by memory" py top-mem-sort "$OUT/top-mem.json"
printf 'cgroup /exptest/hog weight 1\ncgroup /exptest/mem weight 1\n' >"$OUT/top.conf"
"$CTL" -j top -c "$OUT/top.conf" -n 2 -i 0.5 /exptest >"$OUT/top-ctl.json" 2>>"$OUT/top.err"
check "top -c: demand and share of the managed, none of the others" py top-ctl "$OUT/top-ctl.json"
"$CTL" top -s bogus 2>/dev/null
result $(( $? != 2 )) "top -s bogus is a usage error"

# top on a terminal, in tmux: redraws, keys, and the terminal put back.
if command -v tmux >/dev/null; then
	export TERM=xterm
	S="tmux -S /tmp/cgs-export-tmux.sock"
	wait_for_pane() {
		i=0
		while ! $S capture-pane -p -t top 2>/dev/null | grep -q "$1"; do
			i=$((i + 1)); [ $i -gt 300 ] && return 1
			sleep 0.2
		done
	}
	$S new-session -d -x 120 -y 20 -s top "stty -a >$OUT/stty.before; $CTL top -i 0.3 /exptest; echo \$? >$OUT/top.rc; stty -a >$OUT/stty.after; sleep 60"
	if wait_for_pane "/exptest/hog"; then
		$S capture-pane -p -t top >"$OUT/pane1.txt"
		check "tmux: the screen shows the table" grep -q "^PATH " "$OUT/pane1.txt"
		$S send-keys -t top m
		wait_for_pane "sort mem"
		result $? "tmux: key m sorts by memory"
		$S send-keys -t top q
		wait_for "$OUT/top.rc" .
		check "tmux: q quits with 0" grep -qx 0 "$OUT/top.rc"
		wait_for "$OUT/stty.after" .
		check "tmux: terminal modes restored" cmp "$OUT/stty.before" "$OUT/stty.after"
	else
		result 1 "tmux: top drew its table"
	fi
	$S kill-server 2>/dev/null
	# A server of its own: the first may still be exiting.
	S="tmux -S /tmp/cgs-export-tmux2.sock"
	if $S new-session -d -x 120 -y 20 -s top "$CTL top -i 0.3; echo \$? >$OUT/top2.rc; sleep 60" &&
	   wait_for_pane "^PATH "; then
		$S send-keys -t top C-c
		wait_for "$OUT/top2.rc" .
		check "tmux: Ctrl-C quits with 0" grep -qx 0 "$OUT/top2.rc"
	else
		result 1 "tmux: second top session started"
	fi
	$S kill-server 2>/dev/null
else
	skip "top on a terminal" "tmux is not installed"
fi

kill $HOG $MEM
wait $HOG $MEM 2>/dev/null
rmdir "$T/hog" "$T/mem" "$T/$ODD" "$T"
"$CTL" bpf unpin >/dev/null 2>&1	# the guest as it was found

echo "1..$n"
[ $failed = 0 ]
