#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""check.py PROM_URL WINDOW DASHBOARD NODE=TEE_LOG...: PromQL against the ledgers.

The host half of tools/fleet.sh's checks, after one real Prometheus has
scraped every node every 2 s through tools/fleet/tee.py, which kept each
exposition it passed on: the ledger as read at that scrape.

For each node, its samples in Prometheus are matched one to one with the
tee's records (same value of the root's CPU counter, within a second of
the scrape's timestamp); two of its scrapes WINDOW intervals apart are
then fixed, t1 and t2, and PromQL evaluated at t2 over the range
[t1, t2] exactly (increase() then has nothing to extrapolate) must give
what the two ledger reads give:

  * each node's CPU rate (the root cgroup's usage), and each cgroup's;
  * the cluster's top 5 cgroups by run-queue wait (unmet demand), every
    node over its own window of the same length;
  * each node's GPU busy time.

Also: the shipped rules loaded and evaluated without error, their series
exist for every node, and every query of the Grafana dashboard evaluates
and returns data. Prints TAP lines (unnumbered); exit status 1 on a
failure.
"""

import json
import math
import sys
import urllib.parse
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

REL = 1e-9          # float noise allowed between PromQL and the ledger
failed = 0


def result(ok, name, diag=()):
    global failed
    print(("ok - " if ok else "not ok - ") + name)
    for line in diag:
        print("#   " + line)
    if not ok:
        failed += 1


def close(a, b):
    return math.isclose(a, b, rel_tol=REL, abs_tol=1e-12)


class Prom:
    def __init__(self, url):
        self.url = url.rstrip("/")

    def get(self, path, **params):
        q = urllib.parse.urlencode(params)
        with urllib.request.urlopen(f"{self.url}{path}?{q}", timeout=30) as r:
            d = json.load(r)
        if d.get("status") != "success":
            raise RuntimeError(f"{path} {params}: {d}")
        return d["data"]

    def query(self, expr, at):
        """Instant query at time AT: [(labels, value)] (a scalar: [({}, v)])."""
        d = self.get("/api/v1/query", query=expr, time=f"{at:.3f}")
        if d["resultType"] == "scalar":
            return [({}, float(d["result"][1]))]
        if d["resultType"] == "matrix":
            return [(s["metric"], s["values"]) for s in d["result"]]
        return [(s["metric"], float(s["value"][1])) for s in d["result"]]


def parse(body):
    """Exposition text -> {(name, ((label, value), ...)): value}."""
    out = {}
    for fam in text_string_to_metric_families(body):
        for s in fam.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def ledger_value(led, name, **labels):
    return led.get((name, tuple(sorted(labels.items()))))


def series(led, name, fixed=None):
    """{labels dict as tuple: value} of one metric name in a parsed scrape."""
    fixed = fixed or {}
    return {lab: v for (n, lab), v in led.items()
            if n == name and all(dict(lab).get(k) == x for k, x in fixed.items())}


def fix_scrapes(prom, node, tee_path, window, now):
    """Matched (t, ledger) scrapes of NODE, oldest first."""
    recs = []
    with open(tee_path, encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            if r["status"] == 200:
                recs.append(r)
    res = prom.query(f'cgshare_cpu_usage_seconds_total{{node="{node}",cgroup="/"}}[10m]', now)
    if len(res) != 1:
        raise RuntimeError(f"{node}: {len(res)} root CPU series in Prometheus")
    matched = []
    for ts, val in res[0][1]:
        v = float(val)
        cands = [r for r in recs if r["t0"] - 1.0 <= ts <= r["t1"] + 1.0]
        hits = []
        for r in cands:
            led = r.setdefault("parsed", parse(r["body"]))
            if ledger_value(led, "cgshare_cpu_usage_seconds_total", cgroup="/") == v:
                hits.append(led)
        if len(hits) != 1:
            raise RuntimeError(f"{node}: the sample at {ts:.3f} ({v}) matches "
                               f"{len(hits)} of {len(cands)} recorded scrapes")
        matched.append((ts, hits[0]))
    if len(matched) < window + 1:
        raise RuntimeError(f"{node}: only {len(matched)} scrapes, need {window + 1}")
    return matched


def main(argv):
    if len(argv) < 5:
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        return 2
    prom = Prom(argv[1])
    window = int(argv[2])
    dashboard = argv[3]
    nodes = dict(a.split("=", 1) for a in argv[4:])
    now = prom.get("/api/v1/query", query="time()")["result"][0]

    fixed = {}
    for node, tee in nodes.items():
        try:
            m = fix_scrapes(prom, node, tee, window, now)
        except (OSError, RuntimeError, ValueError) as e:
            result(False, f"{node}: its Prometheus samples match the recorded scrapes", [str(e)])
            continue
        # the last full window, a scrape short of the end
        (t1, l1), (t2, l2) = m[-window - 2], m[-2]
        fixed[node] = (t1, l1, t2, l2)
        result(True, f"{node}: {len(m)} samples, each matched to one recorded scrape;"
               f" fixed t1={t1:.3f} t2={t2:.3f} ({t2 - t1:.3f} s)")
    if len(fixed) != len(nodes):
        return 1

    def rng(node):
        t1, _, t2, _ = fixed[node]
        return f"[{round((t2 - t1) * 1000)}ms] @ {t2:.3f}", t2 - t1, t2

    def deltas(node, name, extra=None):
        _, l1, _, l2 = fixed[node]
        a, b = series(l1, name, extra), series(l2, name, extra)
        return {dict(k)["cgroup"] + ("|" + dict(k)["dev"] if "dev" in dict(k) else ""):
                b[k] - a[k] for k in b if k in a}

    # 1. each node's CPU rate
    for node in nodes:
        r, span, t2 = rng(node)
        got = prom.query(f'increase(cgshare_cpu_usage_seconds_total{{node="{node}",cgroup="/"}}{r}) / {span!r}', t2)
        want = deltas(node, "cgshare_cpu_usage_seconds_total", {"cgroup": "/"})["/"] / span
        val = got[0][1] if len(got) == 1 else float("nan")
        result(len(got) == 1 and close(val, want),
               f"{node}: CPU rate from PromQL {val:.6f} = from the ledger {want:.6f} CPUs")

    # 2. each cgroup's CPU rate
    for node in nodes:
        r, span, t2 = rng(node)
        got = {s["cgroup"]: v for s, v in prom.query(
            f'increase(cgshare_cpu_usage_seconds_total{{node="{node}"}}{r}) / {span!r}', t2)}
        want = {c: d / span for c, d in deltas(node, "cgshare_cpu_usage_seconds_total").items()}
        bad = [f"{c}: PromQL {got.get(c)} ledger {want.get(c)}" for c in sorted(set(got) | set(want))
               if c not in got or c not in want or not close(got[c], want[c])]
        shown = ", ".join(f"{c} {want[c]:.3f}" for c in sorted(want) if c.count("/") >= 2 or c == "/")
        result(not bad and len(want) > 1,
               f"{node}: {len(want)} cgroups' CPU rates from PromQL equal the ledger's ({shown})", bad)

    # 3. the cluster's top 5 workloads by wait: leaf cgroups, those that
    # are no scraped cgroup's parent (a parent's wait includes its children's)
    parts, all_waits = [], []
    for node in nodes:
        r, span, t2 = rng(node)
        parts.append(
            f'(increase(cgshare_cpu_wait_seconds_total{{node="{node}",cgroup!="/"}}{r})'
            f' unless on (node, cgroup) label_replace(count by (node, parent) ('
            f'label_replace(cgshare_cpu_wait_seconds_total{{node="{node}"}} @ {t2:.3f},'
            f' "parent", "$1", "cgroup", "(.+)/[^/]+")), "cgroup", "$1", "parent", "(.+)"))')
        d = deltas(node, "cgshare_cpu_wait_seconds_total")
        parents = {c.rsplit("/", 1)[0] or "/" for c in d if c != "/"}
        all_waits += [(w, node, c) for c, w in d.items() if c not in parents]
    spans = sorted({f"{rng(n)[1]:.3f}" for n in nodes})
    expr = "topk(5, " + " or ".join(parts) + ")"
    got = sorted(((v, s["node"], s["cgroup"]) for s, v in prom.query(expr, max(f[2] for f in fixed.values()))),
                 reverse=True)
    ranked = sorted(all_waits, reverse=True)
    want = ranked[:5]
    same = len(got) == 5 and all(g[1:] == w[1:] and close(g[0], w[0]) for g, w in zip(got, want))
    tie = len(ranked) > 5 and close(ranked[4][0], ranked[5][0])
    diag = []
    for i, w in enumerate(want):
        line = f"{i + 1}. {w[1]} {w[2]} waited {w[0]:.3f} s"
        if not (i < len(got) and got[i][1:] == w[1:] and close(got[i][0], w[0])):
            line += f"; PromQL: {got[i] if i < len(got) else 'none'}"
        diag.append(line)
    if tie:
        diag.append("a tie at the 5th place: the ranking is undecided")
    result(same and not tie,
           f"cluster: top 5 of {len(ranked)} leaf cgroups by CPU wait over {' / '.join(spans)} s,"
           f" PromQL = ledger", diag)

    # 4. each node's GPU busy time
    busy_nodes = 0
    for node in nodes:
        r, span, t2 = rng(node)
        got = prom.query(f'sum(increase(cgshare_gpu_busy_seconds_total{{node="{node}",cgroup="/"}}{r}))', t2)
        d = deltas(node, "cgshare_gpu_busy_seconds_total", {"cgroup": "/"})
        want = sum(d.values())
        val = got[0][1] if got else 0.0
        ok = (close(val, want) if d else not got)
        busy_nodes += want > 0
        result(ok, f"{node}: GPU busy from PromQL {val:.6f} = from the ledger {want:.6f} s"
               f" over {span:.3f} s ({len(d)} devices)")
    result(busy_nodes >= 1, f"{busy_nodes} node(s) had GPU busy time")

    # 5. the shipped rules in the real server
    groups = prom.get("/api/v1/rules")["groups"]
    rules = [r for g in groups for r in g["rules"]]
    bad = [f"{r['name']}: {r.get('health')} {r.get('lastError', '')}" for r in rules if r.get("health") != "ok"]
    result(rules and not bad, f"the shipped rules: {len(rules)} loaded, all evaluated without error", bad)
    t_end = max(f[2] for f in fixed.values())
    for rec in ("instance:cgshare_cpu_usage:rate1m", "instance:cgshare_cpu_wait:rate1m"):
        have = {s.get("node") for s, _ in prom.query(rec, t_end)}
        result(have == set(nodes), f"recorded {rec} for every node ({', '.join(sorted(filter(None, have)))})")

    # 6. the Grafana dashboard's queries
    with open(dashboard, encoding="utf-8") as f:
        dash = json.load(f)
    exprs = [(f'{p.get("title", "?")}\' {t.get("refId", "?")}', t["expr"])
             for p in dash["panels"] for t in p.get("targets", [])]
    for title, expr in exprs:
        e = expr.replace("$__rate_interval", "1m").replace("$node", ".+")
        try:
            n = len(prom.query(e, t_end))
            result(n > 0, f"dashboard '{title}: {n} series")
        except (RuntimeError, OSError) as err:
            result(False, f"dashboard '{title}: the query fails", [str(err)])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
