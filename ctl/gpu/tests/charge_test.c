// SPDX-License-Identifier: GPL-2.0
/*
 * From collector charges to charge requests (gpu_charge.c): source lists,
 * device names, the libraries' charges, and rounds against a fake ledger
 * whose lookups and charges fail as each test scripts, checking that busy
 * time is charged exactly once, kept while a failure may pass, and counted
 * when it cannot be charged.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gpu/charge.h"
#include "tests/tap.h"

#define SEC 1000000000ull
#define FIX "gpu/tests/fixtures/fdinfo/"

static void sources(void)
{
	unsigned int m = 0;
	char bad[32];

	ok(!gc_parse_sources("fdinfo", &m, bad, sizeof(bad)) &&
	   m == GC_SRC_BIT(GC_FDINFO), "sources: fdinfo");
	ok(!gc_parse_sources("nvml", &m, bad, sizeof(bad)) &&
	   m == GC_SRC_BIT(GC_NVML), "sources: nvml");
	ok(!gc_parse_sources("nvml,fdinfo", &m, bad, sizeof(bad)) &&
	   m == GC_ALL_SOURCES, "sources: both, any order");
	m = 42;
	is_int(gc_parse_sources("", &m, bad, sizeof(bad)), -EINVAL,
	       "sources: empty list refused");
	is_str(bad, "", "sources: the empty word is named");
	is_int(m, 42, "sources: mask untouched on error");
	is_int(gc_parse_sources("fdinfo,", &m, bad, sizeof(bad)), -EINVAL,
	       "sources: trailing comma refused");
	is_int(gc_parse_sources("fdinfo,gpu", &m, bad, sizeof(bad)), -EINVAL,
	       "sources: unknown name refused");
	is_str(bad, "gpu", "sources: unknown name named");
	is_int(gc_parse_sources("nvml,nvml", &m, bad, sizeof(bad)), -EINVAL,
	       "sources: a repeat refused");
	is_int(gc_parse_sources("fdinfox", &m, bad, sizeof(bad)), -EINVAL,
	       "sources: a longer word is not a prefix match");
	is_int(gc_parse_sources("FDINFO", &m, bad, sizeof(bad)), -EINVAL,
	       "sources: names are lower case");
}

static void dev_names(void)
{
	char out[CGSHARE_DEV_NAME_LEN];
	char long32[33], long31[32];

	ok(!gc_dev_name(out, sizeof(out), "i915/renderD128"), "dev: driver/node");
	is_str(out, "i915:renderD128", "dev: '/' becomes ':'");
	ok(!gc_dev_name(out, sizeof(out), "00000000:01:00.0"), "dev: bus id");
	is_str(out, "00000000:01:00.0", "dev: bus id unchanged");
	ok(!gc_dev_name(out, sizeof(out), "a b*c\tD"), "dev: odd bytes");
	is_str(out, "a_b_c_D", "dev: other bytes become '_'");
	is_int(gc_dev_name(out, sizeof(out), ""), -EINVAL, "dev: empty refused");
	memset(long31, 'x', 31);
	long31[31] = '\0';
	memset(long32, 'y', 32);
	long32[32] = '\0';
	ok(!gc_dev_name(out, sizeof(out), long31), "dev: 31 bytes fit");
	is_int(gc_dev_name(out, sizeof(out), long32), -EINVAL,
	       "dev: 32 bytes do not fit the module's limit");
	is_int(gc_dev_name(out, 4, "abcd"), -EINVAL, "dev: nor a short buffer");
}

static const struct gc_item *item(const struct gc_batch *b,
				  enum gc_source src, const char *cg,
				  const char *dev)
{
	for (size_t i = 0; i < b->n; i++)
		if (b->v[i].src == src && !strcmp(b->v[i].cgroup, cg) &&
		    !strcmp(b->v[i].dev, dev))
			return &b->v[i];
	return NULL;
}

/* The fdinfo library's charges of the fixture scans, as requests. */
static void from_fdinfo(void)
{
	struct gfd_state st = { 0 };
	struct gfd_sample s1, s2;
	struct gfd_charges ch;
	struct gc_batch b = { 0 };
	const struct gc_item *it;
	unsigned int bad = 0;

	if (gfd_scan(FIX "s1", &s1) || gfd_scan(FIX "s2", &s2)) {
		ok(0, "fdinfo: fixture scans");
		return;
	}
	gfd_delta(&st, &s1, 1 * SEC, &ch);
	gfd_charges_free(&ch);
	gfd_delta(&st, &s2, 2 * SEC, &ch);
	is_int(gc_batch_add_fdinfo(&b, &ch, &bad), 0, "fdinfo: added");
	is_u64(b.n, ch.n, "fdinfo: one request per library charge");
	is_int(bad, 0, "fdinfo: no bad device name");
	it = item(&b, GC_FDINFO, "/d", "msm:renderD128");
	ok(it && it->busy_ns == SEC && it->mem_bytes == 65536,
	   "fdinfo: msm/renderD128 charged as msm:renderD128, 1 s, 64 KiB");
	it = item(&b, GC_FDINFO, "/a", "0000:03:00.0");
	ok(it && it->busy_ns == 750000 && it->mem_bytes == 4194404,
	   "fdinfo: pdev name kept, busy and memory as the library says");
	it = item(&b, GC_FDINFO, "/e", "panfrost");
	ok(it && !it->busy_ns && !it->mem_bytes,
	   "fdinfo: a gone client's memory-0 charge is kept");
	gc_batch_free(&b);
	gfd_charges_free(&ch);
	gfd_sample_free(&s1);
	gfd_sample_free(&s2);
	gfd_state_free(&st);
}

static void from_nvml(void)
{
	struct cgs_nvml_charge c[3];
	struct gc_batch b = { 0 };
	const struct gc_item *it;
	unsigned int bad = 0;

	memset(c, 0, sizeof(c));
	strcpy(c[0].cgroup, "/a");
	strcpy(c[0].dev, "00000000:01:00.0");
	c[0].busy_ns = 5;
	c[0].mem_bytes = 7;
	strcpy(c[1].cgroup, "/b");
	strcpy(c[1].dev, "00000000:01:00.0");
	c[1].busy_ns = 6;
	strcpy(c[2].cgroup, "/b");	/* no name: cannot be charged */
	is_int(gc_batch_add_nvml(&b, c, 3, &bad), 0, "nvml: added");
	is_u64(b.n, 2, "nvml: two requests");
	is_int(bad, 1, "nvml: the nameless device counted");
	it = item(&b, GC_NVML, "/a", "00000000:01:00.0");
	ok(it && it->busy_ns == 5 && it->mem_bytes == 7, "nvml: values kept");
	/* the same pair again: busy adds up, memory is the newer one */
	is_int(gc_batch_add(&b, GC_NVML, "/a", "00000000:01:00.0", 10, 9, true,
			    0), 0, "nvml: merged");
	it = item(&b, GC_NVML, "/a", "00000000:01:00.0");
	ok(b.n == 2 && it && it->busy_ns == 15 && it->mem_bytes == 9,
	   "nvml: one request, busy 5 + 10, memory the newer");
	is_int(gc_batch_add(&b, GC_FDINFO, "/a", "00000000:01:00.0", 1, 1,
			    true, 0), 0, "another source");
	is_u64(b.n, 3, "the same pair from another source is its own request");
	gc_batch_free(&b);
}

/* ---- a fake ledger ---- */

#define MAXREC 64

struct fake {
	const char *paths[8];		/* index + 1 is the id */
	int lookup_err[8];
	int charge_err[8];		/* by id - 1, every charge */
	int fail_times[8];		/* charge_err only this many times */
	int perm_after;			/* -EPERM from this charge on; 0 never */
	unsigned int lookups, charges;
	struct { uint64_t id; char dev[32]; uint64_t busy, mem; } rec[MAXREC];
	unsigned int nrec;
	unsigned int reports[GC_FATAL + 1];
	uint64_t ledger_busy[8];	/* what the module would hold */
};

static int fake_lookup(void *ctx, const char *cg, uint64_t *id)
{
	struct fake *f = ctx;

	f->lookups++;
	for (int i = 0; i < 8 && f->paths[i]; i++) {
		if (strcmp(f->paths[i], cg))
			continue;
		if (f->lookup_err[i])
			return f->lookup_err[i];
		*id = i + 1;
		return 0;
	}
	return -ENOENT;
}

static int fake_charge(void *ctx, uint64_t id, const struct gc_item *it)
{
	struct fake *f = ctx;
	int i = id - 1;

	f->charges++;
	if (f->perm_after && f->charges >= (unsigned int)f->perm_after)
		return -EPERM;
	if (f->charge_err[i] && f->fail_times[i]) {
		int err = f->charge_err[i];

		if (f->fail_times[i] > 0)
			f->fail_times[i]--;
		/* an unacknowledged charge did reach the ledger */
		if (err == -EIO)
			f->ledger_busy[i] += it->busy_ns;
		return err;
	}
	if (f->nrec < MAXREC) {
		f->rec[f->nrec].id = id;
		snprintf(f->rec[f->nrec].dev, 32, "%s", it->dev);
		f->rec[f->nrec].busy = it->busy_ns;
		f->rec[f->nrec].mem = it->mem_bytes;
		f->nrec++;
	}
	f->ledger_busy[i] += it->busy_ns;
	return 0;
}

static void fake_report(void *ctx, const struct gc_item *it,
			enum gc_outcome o, int err)
{
	struct fake *f = ctx;

	(void)it;
	(void)err;
	f->reports[o]++;
}

static const struct gc_ops fake_ops = {
	.lookup = fake_lookup,
	.charge = fake_charge,
	.report = fake_report,
};

static void add(struct gc_batch *b, enum gc_source src, const char *cg,
		const char *dev, uint64_t busy, uint64_t mem)
{
	if (gc_batch_add(b, src, cg, dev, busy, mem, true, 0))
		ok(0, "adding %s %s", cg, dev);
}

static int rec_find(const struct fake *f, uint64_t id, const char *dev)
{
	for (unsigned int i = 0; i < f->nrec; i++)
		if (f->rec[i].id == id && !strcmp(f->rec[i].dev, dev))
			return i;
	return -1;
}

static int run(struct gc_state *st, struct gc_batch *b, unsigned int coll,
	       struct fake *f, struct gc_totals *t)
{
	memset(t, 0, sizeof(*t));
	f->nrec = 0;
	return gc_run(st, b, coll, &fake_ops, f, t);
}

static void plain_round(void)
{
	struct fake f = { .paths = { "/a", "/b" } };
	struct gc_state st = { 0 };
	struct gc_batch b = { 0 };
	struct gc_totals t;
	int r;

	add(&b, GC_FDINFO, "/b", "d0", 10, 100);
	add(&b, GC_FDINFO, "/a", "d0", 20, 200);
	add(&b, GC_NVML, "/a", "n0", 30, 300);
	is_int(run(&st, &b, GC_ALL_SOURCES, &f, &t), 0, "round: ok");
	is_u64(b.n, 0, "round: the batch is consumed");
	is_int(f.lookups, 2, "round: each cgroup looked up once");
	is_int(t.charged, 3, "round: 3 charged");
	is_u64(t.busy_ns, 60, "round: busy total");
	is_u64(t.mem_bytes, 600, "round: memory total");
	r = rec_find(&f, 1, "n0");
	ok(r >= 0 && f.rec[r].busy == 30 && f.rec[r].mem == 300,
	   "round: /a gets n0 with its own values");
	r = rec_find(&f, 2, "d0");
	ok(r >= 0 && f.rec[r].busy == 10 && f.rec[r].mem == 100,
	   "round: /b by its id");
	gc_state_free(&st);
}

static void vanished(void)
{
	struct fake f = { .paths = { "/a", "/b" }, .lookup_err = { 0, -ENOENT } };
	struct gc_state st = { 0 };
	struct gc_batch b = { 0 };
	struct gc_totals t;

	add(&b, GC_FDINFO, "/a", "d0", 10, 0);
	add(&b, GC_FDINFO, "/b", "d0", 20, 5);
	add(&b, GC_NVML, "/b", "n0", 30, 0);
	add(&b, GC_FDINFO, "/gone (deleted)", "d0", 40, 0);
	is_int(run(&st, &b, GC_ALL_SOURCES, &f, &t), 0,
	       "vanished: not an error");
	is_int(t.charged, 1, "vanished: the live cgroup charged");
	is_int(t.vanished, 3, "vanished: 3 charges of 2 gone cgroups");
	is_u64(t.vanished_ns, 90, "vanished: their time counted");
	is_int(f.reports[GC_VANISHED], 3, "vanished: each reported");
	is_int(f.charges, 1, "vanished: no request for them");
	/* charged at the module: cgroup removed after the lookup */
	f.lookup_err[1] = 0;
	f.charge_err[1] = -ENOENT;
	f.fail_times[1] = -1;
	add(&b, GC_FDINFO, "/b", "d0", 20, 0);
	run(&st, &b, GC_ALL_SOURCES, &f, &t);
	ok(t.vanished == 1 && !t.deferred && !st.pending.n,
	   "vanished at charge time: counted, not kept");
	f.charge_err[1] = -ESRCH;
	add(&b, GC_FDINFO, "/b", "d0", 20, 0);
	run(&st, &b, GC_ALL_SOURCES, &f, &t);
	ok(t.vanished == 1 && !st.pending.n, "ESRCH is vanished too");
	gc_state_free(&st);
}

static void deferred(void)
{
	struct fake f = { .paths = { "/a", "/b" } };
	struct gc_state st = { 0 };
	struct gc_batch b = { 0 };
	struct gc_totals t;
	int r;

	/* round 1: /a fails for lack of memory */
	f.charge_err[0] = -ENOMEM;
	f.fail_times[0] = 1;
	add(&b, GC_FDINFO, "/a", "d0", 100, 1000);
	add(&b, GC_FDINFO, "/b", "d0", 7, 0);
	is_int(run(&st, &b, GC_ALL_SOURCES, &f, &t), 0, "defer: round ok");
	ok(t.deferred == 1 && t.deferred_ns == 100 && t.charged == 1,
	   "defer: /a kept, /b charged");
	is_u64(st.pending.n, 1, "defer: one pending");
	/* round 2: /a again with new time and memory */
	add(&b, GC_FDINFO, "/a", "d0", 50, 2000);
	run(&st, &b, GC_ALL_SOURCES, &f, &t);
	r = rec_find(&f, 1, "d0");
	ok(r >= 0 && f.rec[r].busy == 150 && f.rec[r].mem == 2000,
	   "defer: next round charges 100 + 50 ns, the newer memory");
	is_u64(f.ledger_busy[0], 150, "defer: the ledger got every ns once");
	is_u64(st.pending.n, 0, "defer: nothing pending");

	/* a deferred pair absent the next round goes alone, memory kept */
	f.charge_err[1] = -EAGAIN;
	f.fail_times[1] = 1;
	add(&b, GC_FDINFO, "/b", "d0", 9, 90);
	run(&st, &b, GC_ALL_SOURCES, &f, &t);
	is_int(t.deferred, 1, "defer: EAGAIN (family re-registered) kept");
	run(&st, &b, 0, &f, &t);
	r = rec_find(&f, 2, "d0");
	ok(r >= 0 && f.rec[r].busy == 9 && f.rec[r].mem == 90,
	   "defer: sent alone with its memory");
	gc_state_free(&st);
}

static void dropped(void)
{
	struct fake f = { .paths = { "/a" } };
	struct gc_state st = { 0 };
	struct gc_batch b = { 0 };
	struct gc_totals t;
	uint64_t dropped_ns = 0, deferred = 0;
	int round;

	f.charge_err[0] = -ENOBUFS;
	f.fail_times[0] = -1;		/* always */
	for (round = 1; round <= GC_MAX_TRIES + 1; round++) {
		add(&b, GC_FDINFO, "/a", "d0", 10, 0);
		run(&st, &b, GC_ALL_SOURCES, &f, &t);
		dropped_ns += t.dropped_ns;
		deferred += t.deferred;
		if (t.dropped)
			break;
	}
	is_int(round, GC_MAX_TRIES, "drop: after GC_MAX_TRIES failed rounds");
	is_u64(deferred, GC_MAX_TRIES - 1, "drop: deferred until then");
	is_u64(dropped_ns, 10 * GC_MAX_TRIES, "drop: all the time it carried");
	is_u64(st.pending.n, 0, "drop: nothing pending");
	is_int(f.reports[GC_DROPPED], 1, "drop: reported");
	is_u64(f.ledger_busy[0], 0, "drop: nothing charged");
	gc_state_free(&st);
}

static void refused_unacked_fatal(void)
{
	struct fake f = { .paths = { "/a", "/b", "/c" } };
	struct gc_state st = { 0 };
	struct gc_batch b = { 0 };
	struct gc_totals t;

	f.charge_err[0] = -EINVAL;
	f.fail_times[0] = -1;
	f.charge_err[1] = -EIO;
	f.fail_times[1] = 1;
	add(&b, GC_FDINFO, "/a", "d0", 10, 0);
	add(&b, GC_FDINFO, "/b", "d0", 20, 0);
	add(&b, GC_FDINFO, "/c", "d0", 30, 0);
	is_int(run(&st, &b, GC_ALL_SOURCES, &f, &t), 0, "refused: not fatal");
	ok(t.refused == 1 && t.refused_ns == 10, "refused: counted");
	ok(t.unacked == 1 && t.unacked_ns == 20, "unacked: counted");
	ok(t.charged == 1 && !st.pending.n,
	   "refused and unacked are not sent again");
	run(&st, &b, GC_ALL_SOURCES, &f, &t);
	is_u64(f.ledger_busy[1], 20, "unacked: the ledger holds it once");

	f.perm_after = f.charges + 2;
	add(&b, GC_FDINFO, "/a", "d0", 1, 0);
	add(&b, GC_FDINFO, "/b", "d0", 2, 0);
	add(&b, GC_FDINFO, "/c", "d0", 3, 0);
	f.charge_err[0] = 0;
	is_int(run(&st, &b, GC_ALL_SOURCES, &f, &t), -EPERM,
	       "fatal: EPERM stops the round");
	is_int(f.charges, f.perm_after, "fatal: nothing sent after it");
	is_u64(b.n, 0, "fatal: the batch is freed");
	gc_state_free(&st);
	f.perm_after = 0;
	f.lookup_err[0] = -ENODEV;
	add(&b, GC_FDINFO, "/a", "d0", 1, 0);
	is_int(run(&st, &b, GC_ALL_SOURCES, &f, &t), -ENODEV,
	       "fatal: a module gone at lookup");
	gc_state_free(&st);
}

static void forget(void)
{
	struct fake f = { .paths = { "/a", "/b" } };
	struct gc_state st = { 0 };
	struct gc_batch b = { 0 };
	struct gc_totals t;
	int r;

	add(&b, GC_NVML, "/a", "n0", 5, 4096);
	add(&b, GC_NVML, "/b", "n0", 5, 0);
	run(&st, &b, GC_ALL_SOURCES, &f, &t);
	/* NVML failed this round: /a is absent, but not known gone */
	run(&st, &b, GC_SRC_BIT(GC_FDINFO), &f, &t);
	is_int(f.nrec, 0, "forget: not while NVML did not answer");
	/* NVML answered without /a: its memory is charged back to 0 once */
	run(&st, &b, GC_ALL_SOURCES, &f, &t);
	r = rec_find(&f, 1, "n0");
	ok(f.nrec == 1 && r == 0 && !f.rec[0].busy && !f.rec[0].mem,
	   "forget: one memory-0 charge for /a, none for /b (held none)");
	run(&st, &b, GC_ALL_SOURCES, &f, &t);
	is_int(f.nrec, 0, "forget: and only once");

	/* a deferred charge whose process then ended: time kept, memory 0 */
	f.charge_err[0] = -ENOMEM;
	f.fail_times[0] = 1;
	add(&b, GC_NVML, "/a", "n0", 70, 8192);
	run(&st, &b, GC_ALL_SOURCES, &f, &t);
	run(&st, &b, GC_ALL_SOURCES, &f, &t);
	ok(f.nrec == 1 && f.rec[0].busy == 70 && f.rec[0].mem == 0,
	   "forget: deferred time kept, memory now 0");
	gc_state_free(&st);
}

/* Random failures over many rounds: every ns charged once or counted. */
static void conservation(void)
{
	struct fake f = { .paths = { "/a", "/b", "/c" } };
	struct gc_state st = { 0 };
	struct gc_batch b = { 0 };
	struct gc_totals t, sum = { 0 };
	static const int errs[] = { 0, 0, 0, -ENOMEM, -EAGAIN, -ENOENT, -EIO,
				    -EINVAL };
	unsigned int seed = 12345;
	uint64_t produced = 0, pending = 0, ledger = 0;

	for (int round = 0; round < 200; round++) {
		for (int i = 0; i < 3; i++) {
			uint64_t busy;

			seed = seed * 1103515245 + 12345;
			f.charge_err[i] = errs[(seed >> 16) % 8];
			f.fail_times[i] = -1;
			busy = (seed >> 8) % 1000;
			produced += busy;
			add(&b, GC_FDINFO, f.paths[i], "d0", busy, busy);
		}
		run(&st, &b, GC_ALL_SOURCES, &f, &t);
		sum.busy_ns += t.busy_ns;
		sum.vanished_ns += t.vanished_ns;
		sum.dropped_ns += t.dropped_ns;
		sum.unacked_ns += t.unacked_ns;
		sum.refused_ns += t.refused_ns;
	}
	for (size_t i = 0; i < st.pending.n; i++)
		pending += st.pending.v[i].busy_ns;
	for (int i = 0; i < 3; i++)
		ledger += f.ledger_busy[i];
	is_u64(sum.busy_ns + sum.vanished_ns + sum.dropped_ns +
	       sum.unacked_ns + sum.refused_ns + pending, produced,
	       "conservation: charged + counted + pending = produced");
	is_u64(ledger, sum.busy_ns + sum.unacked_ns,
	       "conservation: the ledger got charged + unacked, once each");
	gc_state_free(&st);
}

static void classify(void)
{
	is_int(gc_classify(0), GC_CHARGED, "classify: 0");
	is_int(gc_classify(-ENOENT), GC_VANISHED, "classify: ENOENT");
	is_int(gc_classify(-EPERM), GC_FATAL, "classify: EPERM");
	is_int(gc_classify(-ENODEV), GC_FATAL, "classify: ENODEV");
	is_int(gc_classify(-ENOSPC), GC_REFUSED, "classify: ENOSPC");
	is_int(gc_classify(-E2BIG), GC_REFUSED, "classify: E2BIG");
	is_int(gc_classify(-ECOMM), GC_DEFERRED, "classify: ECOMM (not sent)");
	is_int(gc_classify(-EIO), GC_UNACKED, "classify: EIO (answer lost)");
}

int main(void)
{
	sources();
	dev_names();
	from_fdinfo();
	from_nvml();
	classify();
	plain_round();
	vanished();
	deferred();
	dropped();
	refused_unacked_fatal();
	forget();
	conservation();
	return tap_done();
}
