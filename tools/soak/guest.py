#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""The guest half of `make soak` (tools/soak.sh), run as root by
tools/vm-run.sh in a guest that has $CGSHARE_KO.

    guest.py SECONDS

For SECONDS, all at once:

* churn: 100 cgroups a second made under /soak/churn (cpu and memory on)
  and as many removed, about 300 alive; a few small workers are moved into
  the newest ones, so records are charged CPU and memory as they come and
  go;
* dumps: `cgsharectl -j stats -r /soak` every 2 s, every counter of every
  cgroup id checked never to go backwards between two dumps;
* scrapes: `cgsharectl export --listen` scraped over HTTP every second;
* `cgsharectl watch -j`, printing each released cgroup;
* the controller, `cgsharectl run --listen`, on /soak/ctl/{a,b};
* charges: `cgsharectl gpu collect --source fdinfo` every second, from a
  stand-in /proc whose DRM clients sit in /soak/ctl/a;
* fences: the BPF GPU collectors enabled and a vgem fence made and
  signalled in the newest churned cgroup twice a second.

Then the load stops, /soak goes, and the module is unloaded. Passes when:
no dump ever saw a counter go backwards; every scrape answered 200; the
daemons lived throughout and their resident memory (sampled every 10 s,
just before a scrape), after the first third (the warm-up), stayed within
5 % of what it was at its end; the module's
records came back to the count before the soak, and its slab cache then
held no more than those records and its bounded pool of spares; kmemleak
(when the kernel has it) reported nothing; and rmmod was clean (a record
left over warns, and the cache refuses to go). The kernel log is judged
by vm-run.sh. Figures go to stdout as `soak: KEY VALUE` lines and TAP;
every memory sample to rss.tsv (seconds, daemon, kB, and kB by kind of
mapping: heap, other anonymous, files). With CGSHARE_SOAK_DIAG set, gdb
has each daemon print malloc_stats() and malloc_info() into its log at
the end of the warm-up and of the load.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request

ROOT = os.path.realpath(os.path.join(os.path.dirname(__file__), "..", ".."))
CTL = os.environ.get("CGSHARECTL", os.path.join(ROOT, "ctl", "cgsharectl"))
BUILD = os.environ.get("BUILD", os.path.join(ROOT, "build"))
VGEM = os.path.join(BUILD, "selftests", "vgem_fence")
OUT = os.environ.get("CGSHARE_OUT", "/tmp")
CG = "/sys/fs/cgroup"
SOAK = CG + "/soak"
CHURN = SOAK + "/churn"
KMEMLEAK = "/sys/kernel/debug/kmemleak"
EXPORT_PORT = 19871
RUN_PORT = 19872
# cgroups made (and removed) per second: CGSHARE_SOAK_RATE, default 100
RATE = int(os.environ.get("CGSHARE_SOAK_RATE", "100"))
ALIVE = 300         # churned cgroups alive at once
POOL_HIGH = 512     # kmod/ledger.c: spare records the module keeps at most
WARMUP = 1 / 3      # of the run, before memory must stay flat
RSS_SLACK = 0.05

n = 0
failed = 0


def ok(cond, what):
    global n, failed
    n += 1
    print("%sok %d - %s" % ("" if cond else "not ", n, what), flush=True)
    if not cond:
        failed += 1
    return cond


def fig(key, value):
    print("soak: %s %s" % (key, value), flush=True)


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def slab_objs(name):
    """Objects allocated from the cache @name: its per-CPU slabs flushed
    first (shrink), as SLUB counts their free objects as in use until
    then. Needs slab_nomerge, or @name is an alias of a merged cache."""
    d = "/sys/kernel/slab/" + name
    try:
        write(d + "/shrink", "1")
        with open(d + "/objects") as f:
            return int(f.read().split()[0])
    except OSError:
        return None


def nr_records():
    out = subprocess.run([CTL, "-j", "status"], capture_output=True,
                         text=True, check=True).stdout
    return json.loads(out)["nr_cgroups"]


def rss_kb(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def rss_parts(pid):
    """Resident kB of @pid by kind of mapping: heap, other anonymous,
    files (libraries), from /proc/PID/smaps."""
    parts = {"heap": 0, "anon": 0, "file": 0}
    kind = None
    try:
        with open("/proc/%d/smaps" % pid) as f:
            for line in f:
                w = line.split()
                if "-" in w[0] and not w[0].endswith(":"):
                    name = w[5] if len(w) > 5 else ""
                    kind = ("heap" if name == "[heap]" else
                            "file" if name.startswith("/") else "anon")
                elif w[0] == "Rss:":
                    parts[kind] += int(w[1])
    except OSError:
        return None
    return parts


def diag_malloc(pid):
    """With CGSHARE_SOAK_DIAG set, glibc's malloc_stats() and malloc_info()
    of @pid, which it prints on its stderr (the daemon's log)."""
    if os.environ.get("CGSHARE_SOAK_DIAG") and shutil.which("gdb"):
        subprocess.run(["gdb", "-p", str(pid), "-batch", "-ex",
                        "call (void)malloc_stats()", "-ex",
                        "call (int)malloc_info(0, stderr)"],
                       capture_output=True)


def kmemleak(cmd):
    """Asks kmemleak to CMD (clear, scan); the reports it then holds."""
    if not os.path.exists(KMEMLEAK):
        return None
    write(KMEMLEAK, cmd)
    with open(KMEMLEAK) as f:
        return f.read()


def counter_keys():
    """JSON keys of the counters, cgroup's and GPU's, from the spec."""
    sys.path.insert(0, os.path.join(ROOT, "tools", "gen"))
    import spec_tables
    _, _, metrics = spec_tables.load(os.path.join(ROOT, "uapi", "cgshare.yaml"))
    return ({m.key for m in metrics["cgroup"] if m.kind == "counter"},
            {m.key for m in metrics["gpu"] if m.kind == "counter"})


CG_COUNTERS, GPU_COUNTERS = counter_keys()


def counters(rec):
    """Every counter of a stats -j record, flattened: {key: value}."""
    out = {k: v for k, v in rec.items() if k in CG_COUNTERS}
    for g in rec.get("gpu", []):
        out.update({"gpu[%s].%s" % (g["dev"], k): v for k, v in g.items()
                    if k in GPU_COUNTERS})
    return out


def worker():
    """A small duty cycle, moved from cgroup to cgroup by the churn."""
    signal.signal(signal.SIGTERM, lambda *a: os._exit(0))
    buf = []
    while True:
        t = time.monotonic()
        while time.monotonic() - t < 0.004:
            pass
        buf.append(bytearray(4096))   # charges a little memory, then frees
        if len(buf) > 64:
            buf.clear()
        time.sleep(0.016)


def spawn_worker(cgroup):
    pid = os.fork()
    if pid == 0:
        try:
            write(cgroup + "/cgroup.procs", "0")
            worker()
        finally:
            os._exit(0)
    return pid


def fake_proc(root, pid, cgroup, busy_ns, mem_kib):
    """A stand-in /proc/PID with one DRM client in CGROUP (see guest-gpu.sh)."""
    d = "%s/%d" % (root, pid)
    os.makedirs(d + "/fd", exist_ok=True)
    os.makedirs(d + "/fdinfo", exist_ok=True)
    write(d + "/cgroup", "0::%s\n" % cgroup)
    if not os.path.islink(d + "/fd/3"):
        os.symlink("/dev/dri/renderD128", d + "/fd/3")
    write(d + "/fdinfo/3.tmp",
          "pos:\t0\nflags:\t02100002\ndrm-driver:\ti915\ndrm-client-id:\t%d\n"
          "drm-engine-render:\t%d ns\ndrm-total-system0:\t%d KiB\n"
          % (pid, busy_ns, mem_kib))
    os.rename(d + "/fdinfo/3.tmp", d + "/fdinfo/3")


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 1800
    procs = {}
    workers = []

    def bg(name, argv, **kw):
        log = open("%s/%s.log" % (OUT, name), "w")
        procs[name] = subprocess.Popen(argv, stdout=kw.pop("stdout", log),
                                       stderr=log, **kw)

    if not os.path.exists(KMEMLEAK) and not os.listdir("/sys/kernel/debug"):
        subprocess.run(["mount", "-t", "debugfs", "none", "/sys/kernel/debug"],
                       check=False)
    leak = kmemleak("clear")
    fig("kmemleak", "on" if leak is not None else "off (not in this kernel)")
    if subprocess.run([CTL, "status"], capture_output=True).returncode:
        subprocess.run(["insmod", os.environ["CGSHARE_KO"]], check=True)
    base_recs = nr_records()
    fig("records_before", base_recs)
    fig("slab_cgshare_rec_objects_before", slab_objs("cgshare_rec"))

    # -- the tree, the daemons --
    os.makedirs(CHURN, exist_ok=True)
    write(CG + "/cgroup.subtree_control", "+cpu +memory")
    write(SOAK + "/cgroup.subtree_control", "+cpu +memory")
    write(CHURN + "/cgroup.subtree_control", "+cpu +memory")
    for c in ("ctl", "ctl/a", "ctl/b"):
        os.makedirs(SOAK + "/" + c, exist_ok=True)
    write(SOAK + "/ctl/cgroup.subtree_control", "+cpu +memory")
    workers += [spawn_worker(SOAK + "/ctl/a"), spawn_worker(SOAK + "/ctl/b")]
    conf = OUT + "/soak.conf"
    write(conf, "interval 500ms\nact-every 2\ncapacity cpu 2\n"
          "enforce cpu both\nenforce memory high\n"
          "cgroup /soak/ctl/a weight 1\ncgroup /soak/ctl/b weight 2\n")
    bg("export", [CTL, "export", "--listen", "127.0.0.1:%d" % EXPORT_PORT])
    bg("run", [CTL, "run", "-c", conf, "--state", OUT + "/soak.state",
               "--restore", "--listen", "127.0.0.1:%d" % RUN_PORT])
    bg("watch", [CTL, "-j", "watch"],
       stdout=open(OUT + "/watch.jsonl", "w"))
    fake = OUT + "/soak-proc"
    fake_proc(fake, 4242, "/soak/ctl/a", 0, 1024)
    bg("collect", [CTL, "gpu", "collect", "--source", "fdinfo", "--proc",
                   fake, "--interval", "1"])
    fences = 0
    gpu = subprocess.run(["modprobe", "vgem"]).returncode == 0 and \
        os.access(VGEM, os.X_OK) and \
        subprocess.run([CTL, "gpu", "enable"], capture_output=True).returncode == 0
    fig("bpf_fences", "on" if gpu else "off (no vgem, vgem_fence or BPF path)")

    # -- the load --
    start = time.monotonic()
    end = start + seconds
    warm_end = start + seconds * WARMUP
    alive = []
    made = removed = dumps = scrapes = bad_scrapes = backwards = 0
    seq = 0
    last = {}
    rss = {k: [] for k in ("export", "run", "collect")}
    rss_at_warm = {}
    open(OUT + "/rss.tsv", "w").close()
    next_dump = next_scrape = next_fence = next_rss = start
    next_charge = start
    next_leak = start + 600
    leaks = ""
    busy_ns = 0
    churn_workers = [spawn_worker(CHURN) for _ in range(2)]
    workers += churn_workers
    while True:
        now = time.monotonic()
        if now >= end:
            break
        # churn: catch up with RATE per second since start, for a quarter
        # of a second per pass at most, so a kernel that cannot keep up
        # (the debug kernel under TCG) still gets its dumps, scrapes,
        # fences and memory samples on time; the rate is judged below.
        # (A tenth of a second's worth of cgroups per pass was too few:
        # with a dump, a scrape or a fence in most passes, Debian's 6.12
        # made 66 a second; a tenth of a second, 93.8.)
        due = int((now - start) * RATE)
        stop = min(end, now + 0.25)
        while made < due and time.monotonic() < stop:
            seq += 1
            path = "%s/c%d" % (CHURN, seq)
            os.mkdir(path)
            alive.append(path)
            made += 1
            if seq % 10 == 0:
                for w in churn_workers:
                    try:
                        write(path + "/cgroup.procs", str(w))
                    except OSError:
                        pass
            while len(alive) > ALIVE:
                old = alive.pop(0)
                try:
                    os.rmdir(old)
                    removed += 1
                except OSError:
                    alive.insert(0, old)    # a worker still in it
                    break
        if now >= next_dump:
            next_dump = now + 2
            r = subprocess.run([CTL, "-j", "stats", "-r", "/soak"],
                               capture_output=True, text=True)
            if r.returncode == 0:
                dumps += 1
                for rec in json.loads(r.stdout)["cgroups"]:
                    c = counters(rec)
                    prev = last.get(rec["id"], {})
                    for k, v in c.items():
                        if k in prev and v < prev[k]:
                            backwards += 1
                            if backwards <= 5:
                                print("# backwards: %s %s %d -> %d" %
                                      (rec.get("path"), k, prev[k], v))
                    last[rec["id"]] = c
                live = {rec["id"] for rec in json.loads(r.stdout)["cgroups"]}
                last = {k: v for k, v in last.items() if k in live}
        # Resident memory, taken just before a scrape: the exporter's
        # only client is this loop, so it is idle then, a second after
        # its last answer. Its buffers for one scrape (some 800 kB for
        # 300 cgroups) stay in its heap for the next since f85a8b4, so
        # they are in every sample; sampling it idle keeps a scrape in
        # progress out of the figure.
        if now >= next_rss and now >= next_scrape:
            next_rss = now + 10
            for k in rss:
                v = rss_kb(procs[k].pid)
                if v is not None:
                    rss[k].append((now, v))
                    if now >= warm_end and k not in rss_at_warm:
                        rss_at_warm[k] = v
                        diag_malloc(procs[k].pid)
                    with open(OUT + "/rss.tsv", "a") as f:
                        f.write("%.0f\t%s\t%d\t%s\n" % (
                            now - start, k, v, rss_parts(procs[k].pid)))
        if now >= next_scrape:
            next_scrape = now + 1
            try:
                with urllib.request.urlopen("http://127.0.0.1:%d/metrics" %
                                            EXPORT_PORT, timeout=10) as u:
                    body = u.read()
                    scrapes += 1
                    if u.status != 200 or b"cgshare_cgroups " not in body:
                        bad_scrapes += 1
            except OSError:
                bad_scrapes += 1
        if now >= next_charge:
            next_charge = now + 1
            busy_ns += 200000000
            fake_proc(fake, 4242, "/soak/ctl/a", busy_ns, 1024)
        if gpu and now >= next_fence and alive:
            next_fence = now + 0.5
            tgt = alive[-1]
            r = subprocess.run(["sh", "-c", 'echo $$ >"$1/cgroup.procs" && '
                                'exec "$2" 20', "fence", tgt, VGEM],
                               capture_output=True)
            fences += r.returncode == 0
        if now >= next_leak and leak is not None:
            next_leak = now + 600
            leaks += kmemleak("scan")
        time.sleep(0.005)

    elapsed = time.monotonic() - start
    fig("seconds", "%.0f" % elapsed)
    fig("cgroups_made", made)
    fig("cgroups_made_per_second", "%.1f" % (made / elapsed))
    fig("cgroups_removed", removed)
    fig("dumps", dumps)
    fig("scrapes", scrapes)
    fig("gpu_fences", fences)
    for name in ("export", "run", "watch", "collect"):
        ok(procs[name].poll() is None, "%s lived through the soak" % name)
    ok(backwards == 0, "no counter went backwards in %d dumps (%d did)" %
       (dumps, backwards))
    ok(scrapes > 0 and bad_scrapes == 0,
       "%d scrapes answered, %d did not" % (scrapes, bad_scrapes))
    ok(made >= 0.9 * RATE * elapsed,
       "churn kept up: %.1f cgroups a second (want %d, 10 %% slack)" %
       (made / elapsed, RATE))
    for k, samples in rss.items():
        after = [v for t, v in samples if t >= warm_end]
        w = rss_at_warm.get(k)
        if not w or not after:
            ok(False, "%s: resident memory sampled after warm-up" % k)
            continue
        fig("rss_kb_%s" % k, "warm %d max %d last %d" % (w, max(after), after[-1]))
        ok(max(after) <= w * (1 + RSS_SLACK),
           "%s: resident memory flat after warm-up: %d kB at its end, at "
           "most %d kB after (limit +%d %%)" % (k, w, max(after),
                                                RSS_SLACK * 100))

    # -- the load stops --
    for k in rss:
        diag_malloc(procs[k].pid)
    for w in workers:
        os.kill(w, signal.SIGTERM)
        os.waitpid(w, 0)
    if gpu:
        subprocess.run([CTL, "gpu", "disable"], check=False)
    for name, p in procs.items():
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
            ok(False, "%s exits on SIGTERM" % name)
    released = sum(1 for line in open(OUT + "/watch.jsonl") if line.strip())
    fig("released_events", released)
    for path in reversed(alive):
        os.rmdir(path)
    for c in ("churn", "ctl/a", "ctl/b", "ctl", ""):
        os.rmdir((SOAK + "/" + c).rstrip("/"))
    write("/proc/sys/vm/drop_caches", "3")
    deadline = time.monotonic() + 120
    while nr_records() != base_recs and time.monotonic() < deadline:
        time.sleep(1)
    recs = nr_records()
    objs = slab_objs("cgshare_rec")
    fig("records_after", recs)
    fig("slab_cgshare_rec_objects_after", objs)
    ok(recs == base_recs, "records back to %d after the churn (%d)" %
       (base_recs, recs))
    ok(objs is not None and objs - recs <= POOL_HIGH,
       "slab: %s objects, the %d records and at most %d spares" %
       (objs, recs, POOL_HIGH))
    if leak is not None:
        kmemleak("scan")
        leaks += kmemleak("scan")
        if leaks.strip():
            print("# " + leaks.replace("\n", "\n# "))
        ok(not leaks.strip(), "kmemleak: no unreferenced object")
    r = subprocess.run(["rmmod", "cgshare"], capture_output=True, text=True)
    ok(r.returncode == 0, "rmmod after the soak: %s" %
       (r.stderr.strip() or "clean"))
    print("1..%d" % n)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
