// SPDX-License-Identifier: GPL-2.0
/* The rate/delta computation between two samples. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "policy/rate.h"
#include "tests/records.h"
#include "tests/tap.h"

#define SEC 1000000000ull

static struct cgs_gpu *gpu(struct cgs_cgroup *cg, const char *dev,
			   uint64_t busy, uint64_t mem)
{
	struct cgs_gpu *g = cgs_cgroup_add_gpu(cg);

	snprintf(g->dev, sizeof(g->dev), "%s", dev);
	g->ctr[CGS_GPU_BUSY_NS] = busy;
	g->ctr[CGS_GPU_MEM_BYTES] = mem;
	g->present = CGS_BIT(CGS_GPU_BUSY_NS) | CGS_BIT(CGS_GPU_MEM_BYTES);
	return g;
}

static void basic(void)
{
	struct cgs_list a = { 0 }, b = { 0 };
	struct cgs_rates r;
	struct cgs_cgroup *cg;

	rec_add(&a, 10, 1 * SEC, 0);
	cg = rec_add(&b, 10, 1 * SEC + SEC / 2, SEC / 5);
	rec_set(cg, CGS_MEM_CURRENT, 4096);
	is_int(cgs_rates_compute(&a, 100, &b, 100 + SEC, &r), 0,
	       "basic: computes");
	is_u64(r.n, 1, "basic: one row");
	is_u64(r.interval_ns, SEC, "basic: interval");
	ok(r.v[0].state == CGS_RATE_LIVE, "basic: live");
	ok(r.v[0].prev == &a.v[0] && r.v[0].now == &b.v[0],
	   "basic: rows point at both samples");
	is_u64(r.v[0].delta[CGS_CPU_USAGE_NS], SEC / 2, "basic: usage delta");
	is_dbl(r.v[0].per_ns[CGS_CPU_USAGE_NS], 0.5, 1e-12,
	       "basic: usage 0.5 CPUs");
	is_dbl(r.v[0].per_ns[CGS_CPU_WAIT_NS], 0.2, 1e-12, "basic: wait 0.2 CPUs");
	ok(!r.v[0].clamped && !r.nr_clamped, "basic: nothing clamped");
	ok(!(r.v[0].valid & CGS_BIT(CGS_MEM_CURRENT)),
	   "basic: a gauge has no rate");
	ok(!(r.v[0].valid & CGS_BIT(CGS_CPU_SWITCHES)),
	   "basic: a counter absent from both samples has no rate");
	cgs_rates_free(&r);
	cgs_list_free(&a);
	cgs_list_free(&b);
}

static void appear_vanish(void)
{
	struct cgs_list a = { 0 }, b = { 0 };
	struct cgs_rates r;

	rec_add(&a, 1, 0, 0);
	rec_add(&a, 2, 0, 0);
	rec_add(&a, 4, 0, 0);
	rec_add(&a, 9, 0, 0);
	rec_add(&b, 1, SEC, 0);
	rec_add(&b, 3, SEC, 0);
	rec_add(&b, 4, SEC, 0);
	rec_add(&b, 5, SEC, 0);
	is_int(cgs_rates_compute(&a, 0, &b, SEC, &r), 0, "churn: computes");
	is_u64(r.n, 6, "churn: 4 now + 2 gone");
	ok(r.v[0].state == CGS_RATE_LIVE && r.v[0].now->id == 1, "churn: 1 live");
	ok(r.v[1].state == CGS_RATE_NEW && r.v[1].now->id == 3 &&
	   !r.v[1].prev && !r.v[1].valid, "churn: 3 new, no rates");
	ok(r.v[2].state == CGS_RATE_LIVE && r.v[2].now->id == 4, "churn: 4 live");
	ok(r.v[3].state == CGS_RATE_NEW && r.v[3].now->id == 5, "churn: 5 new");
	ok(r.v[4].state == CGS_RATE_GONE && r.v[4].prev->id == 2 &&
	   !r.v[4].now && !r.v[4].valid, "churn: 2 gone, no rates");
	ok(r.v[5].state == CGS_RATE_GONE && r.v[5].prev->id == 9,
	   "churn: 9 gone");
	is_dbl(r.v[2].per_ns[CGS_CPU_USAGE_NS], 1.0, 1e-12, "churn: 4 at 1 CPU");
	cgs_rates_free(&r);

	/* Everything vanished, then everything new. */
	cgs_list_free(&b);
	is_int(cgs_rates_compute(&a, 0, &b, SEC, &r), 0, "all gone: computes");
	is_u64(r.n, 4, "all gone: four rows");
	ok(r.v[0].state == CGS_RATE_GONE && r.v[3].state == CGS_RATE_GONE,
	   "all gone: rows are gone");
	cgs_rates_free(&r);
	is_int(cgs_rates_compute(&b, 0, &a, SEC, &r), 0, "all new: computes");
	is_u64(r.n, 4, "all new: four rows");
	ok(r.v[0].state == CGS_RATE_NEW && r.v[3].state == CGS_RATE_NEW,
	   "all new: rows are new");
	cgs_rates_free(&r);
	is_int(cgs_rates_compute(&b, 0, &b, SEC, &r), 0, "empty: computes");
	is_u64(r.n, 0, "empty: no rows");
	cgs_rates_free(&r);
	cgs_list_free(&a);
}

static void backwards(void)
{
	struct cgs_list a = { 0 }, b = { 0 };
	struct cgs_cgroup *x, *y;
	struct cgs_rates r;

	x = rec_add(&a, 7, 5 * SEC, SEC);
	rec_set(x, CGS_MEM_EVENTS_OOM_KILL, 3);
	y = rec_add(&b, 7, 4 * SEC, 2 * SEC);
	rec_set(y, CGS_MEM_EVENTS_OOM_KILL, 1);
	is_int(cgs_rates_compute(&a, 0, &b, SEC, &r), 0, "backwards: computes");
	is_u64(r.v[0].delta[CGS_CPU_USAGE_NS], 0, "backwards: usage delta is 0");
	ok(r.v[0].per_ns[CGS_CPU_USAGE_NS] == 0, "backwards: usage rate is 0");
	ok(r.v[0].clamped & CGS_BIT(CGS_CPU_USAGE_NS), "backwards: usage flagged");
	ok(r.v[0].clamped & CGS_BIT(CGS_MEM_EVENTS_OOM_KILL),
	   "backwards: event counter flagged");
	ok(!(r.v[0].clamped & CGS_BIT(CGS_CPU_WAIT_NS)),
	   "backwards: wait, which grew, is not flagged");
	is_dbl(r.v[0].per_ns[CGS_CPU_WAIT_NS], 1.0, 1e-12,
	       "backwards: wait still has its rate");
	is_u64(r.nr_clamped, 1, "backwards: one cgroup clamped");
	for (int c = 0; c < CGS_NR_CTR; c++)
		if (r.v[0].per_ns[c] < 0 || r.v[0].per_ns[c] > 1e6)
			ok(0, "backwards: counter %d has a wild rate %g", c,
			   r.v[0].per_ns[c]);
	cgs_rates_free(&r);
	cgs_list_free(&a);
	cgs_list_free(&b);
}

static void presence(void)
{
	struct cgs_list a = { 0 }, b = { 0 };
	struct cgs_cgroup *y;
	struct cgs_rates r;

	rec_add(&a, 1, 0, 0);
	y = rec_add(&b, 1, SEC, 0);
	rec_set(y, CGS_MEM_EVENTS_HIGH, 5);
	is_int(cgs_rates_compute(&a, 0, &b, 2 * SEC, &r), 0,
	       "presence: computes");
	ok(!(r.v[0].valid & CGS_BIT(CGS_MEM_EVENTS_HIGH)),
	   "presence: counter only in the second sample has no rate");
	is_dbl(r.v[0].per_ns[CGS_CPU_USAGE_NS], 0.5, 1e-12,
	       "presence: rate divides by the interval");
	cgs_rates_free(&r);
	cgs_list_free(&a);
	cgs_list_free(&b);
}

static void gpus(void)
{
	struct cgs_list a = { 0 }, b = { 0 };
	struct cgs_cgroup *x, *y;
	struct cgs_rates r;
	struct cgs_rate one;

	x = rec_add(&a, 1, 0, 0);
	gpu(x, "card0", 10 * SEC, 100);
	gpu(x, "card1", 5 * SEC, 100);
	y = rec_add(&b, 1, 0, 0);
	gpu(y, "card1", 4 * SEC, 50);		/* went back */
	gpu(y, "card2", SEC / 4, 10);		/* first charged just now */
	gpu(y, "card0", 10 * SEC + SEC / 2, 200);
	is_int(cgs_rates_compute(&a, 0, &b, SEC, &r), 0, "gpu: computes");
	is_u64(r.v[0].nr_gpu, 3, "gpu: one rate per device now");
	ok(r.v[0].gpu[2].now == &y->gpu[2], "gpu: matched by name, not order");
	is_dbl(r.v[0].gpu[2].per_ns[CGS_GPU_BUSY_NS], 0.5, 1e-12,
	       "gpu: card0 busy half the time");
	ok(r.v[0].gpu[0].clamped & CGS_BIT(CGS_GPU_BUSY_NS) &&
	   r.v[0].gpu[0].per_ns[CGS_GPU_BUSY_NS] == 0, "gpu: card1 clamped to 0");
	ok(r.v[0].clamped & CGS_CLAMPED_GPU, "gpu: cgroup flags the clamp");
	is_dbl(r.v[0].gpu[1].per_ns[CGS_GPU_BUSY_NS], 0.25, 1e-12,
	       "gpu: a new device counts from zero");
	ok(!(r.v[0].gpu[1].valid & CGS_BIT(CGS_GPU_MEM_BYTES)),
	   "gpu: memory is a gauge, no rate");
	is_int(cgs_rate_live(x, y, SEC, &one), 0, "one cgroup's row alone");
	ok(one.state == CGS_RATE_LIVE && one.prev == x && one.now == y &&
	   one.valid == r.v[0].valid && one.clamped == r.v[0].clamped &&
	   !memcmp(one.per_ns, r.v[0].per_ns, sizeof(one.per_ns)) &&
	   one.nr_gpu == 3 &&
	   !memcmp(one.gpu[2].per_ns, r.v[0].gpu[2].per_ns,
		   sizeof(one.gpu[2].per_ns)) &&
	   one.gpu[0].clamped == r.v[0].gpu[0].clamped,
	   "is the whole ledger's row, GPUs and clamps too");
	cgs_rate_free(&one);
	ok(!one.gpu && !one.nr_gpu, "its GPU rows freed");
	is_int(cgs_rate_live(x, y, 0, &one), -EINVAL,
	       "no time between the samples: refused");
	cgs_rates_free(&r);
	cgs_list_free(&a);
	cgs_list_free(&b);
}

static void invalid(void)
{
	struct cgs_list a = { 0 }, b = { 0 };
	struct cgs_rates r;

	rec_add(&a, 1, 0, 0);
	rec_add(&b, 1, 0, 0);
	is_int(cgs_rates_compute(&a, 5, &b, 5, &r), -EINVAL,
	       "zero interval refused");
	is_int(cgs_rates_compute(&a, 6, &b, 5, &r), -EINVAL,
	       "negative interval refused");
	rec_add(&b, 1, 0, 0);
	is_int(cgs_rates_compute(&a, 0, &b, 1, &r), -EINVAL,
	       "duplicate id refused");
	cgs_list_free(&b);
	rec_add(&b, 2, 0, 0);
	rec_add(&b, 1, 0, 0);
	is_int(cgs_rates_compute(&a, 0, &b, 1, &r), -EINVAL,
	       "unsorted sample refused");
	cgs_list_sort_by_id(&b);
	is_int(cgs_rates_compute(&a, 0, &b, 1, &r), 0, "sorted, it computes");
	cgs_rates_free(&r);
	cgs_list_free(&a);
	cgs_list_free(&b);
}

static void big(void)
{
	struct cgs_list a = { 0 }, b = { 0 };
	struct cgs_rates r;
	size_t live = 0, fresh = 0, gone = 0;

	/* 10,000 cgroups; every third vanishes, every fifth is new. */
	for (uint64_t id = 1; id <= 10000; id++) {
		if (id % 5)
			rec_add(&a, id, id, 0);
		if (id % 3)
			rec_add(&b, id, 2 * id, 0);
	}
	is_int(cgs_rates_compute(&a, 0, &b, 10, &r), 0, "big: computes");
	for (size_t i = 0; i < r.n; i++) {
		live += r.v[i].state == CGS_RATE_LIVE;
		fresh += r.v[i].state == CGS_RATE_NEW;
		gone += r.v[i].state == CGS_RATE_GONE;
	}
	is_u64(live, 5333, "big: live rows");
	is_u64(fresh, 1334, "big: new rows");
	is_u64(gone, 2667, "big: gone rows");
	cgs_rates_free(&r);
	cgs_list_free(&a);
	cgs_list_free(&b);
}

int main(void)
{
	basic();
	appear_vanish();
	backwards();
	presence();
	gpus();
	invalid();
	big();
	return tap_done();
}
