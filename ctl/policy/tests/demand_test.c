// SPDX-License-Identifier: GPL-2.0
/* Demand from two samples, smoothing and hysteresis. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "policy/demand.h"
#include "tests/records.h"
#include "tests/tap.h"

#define SEC 1000000000ull

/* cpu.max of @q: @cpus of a 100 ms period; throttled @n times between. */
static void cpu_max(struct cgs_cgroup *p, struct cgs_cgroup *q, double cpus,
		    uint64_t n)
{
	rec_set(q, CGS_CPU_MAX_PERIOD_NS, 100000000);
	rec_set(q, CGS_CPU_MAX_QUOTA_NS, cpus * 100000000);
	rec_set(p, CGS_CPU_NR_THROTTLED, 3);
	rec_set(q, CGS_CPU_NR_THROTTLED, 3 + n);
}

static void cpu(void)
{
	struct cgs_list a = { 0 }, b = { 0 };
	struct cgs_demand_raw d;
	struct cgs_cgroup *p, *q;
	struct cgs_rates r;

	p = rec_add(&a, 1, 10 * SEC, 1 * SEC);
	q = rec_add(&b, 1, 10 * SEC + SEC / 2, 1 * SEC + 3 * SEC / 10);
	cgs_rates_compute(&a, 0, &b, SEC, &r);
	is_int(cgs_demand_from_rate(&r.v[0], &d), 0, "cpu: computes");
	ok(d.has[CGS_CPU] && !d.has[CGS_MEM] && !d.has[CGS_GPU],
	   "cpu: only CPU measured");
	is_dbl(d.demand[CGS_CPU], 0.8, 1e-9, "cpu: usage 0.5 + wait 0.3");
	ok(!d.cpu_throttled, "cpu: not throttled");
	ok(d.cpu_some < 0, "cpu: no pressure total, no pressure rate");
	cgs_rates_free(&r);
	rec_set(p, CGS_CPU_PRESSURE_SOME_NS, 2 * SEC);
	rec_set(q, CGS_CPU_PRESSURE_SOME_NS, 2 * SEC + 7 * SEC / 10);
	cgs_rates_compute(&a, 0, &b, SEC, &r);
	cgs_demand_from_rate(&r.v[0], &d);
	is_dbl(d.cpu_some, 0.7, 1e-9, "cpu: pressure some 0.7 of the interval");
	is_dbl(d.demand[CGS_CPU], 0.8, 1e-9, "cpu: demand stays usage + wait");

	/* Held at cpu.max 0.5: asks for 25 % more than it may use. */
	cgs_rates_free(&r);
	cpu_max(p, q, 0.5, 7);
	cgs_rates_compute(&a, 0, &b, SEC, &r);
	cgs_demand_from_rate(&r.v[0], &d);
	is_dbl(d.demand[CGS_CPU], 0.8, 1e-9,
	       "cpu: throttled, but wait already says more");
	cgs_rates_free(&r);
	cpu_max(p, q, 0.8, 7);
	cgs_rates_compute(&a, 0, &b, SEC, &r);
	cgs_demand_from_rate(&r.v[0], &d);
	ok(d.cpu_throttled, "cpu: throttled is noted");
	is_dbl(d.demand[CGS_CPU], 1.0, 1e-9, "cpu: throttled probes limit+25%");
	cgs_rates_free(&r);
	cpu_max(p, q, 0.8, 0);
	cgs_rates_compute(&a, 0, &b, SEC, &r);
	cgs_demand_from_rate(&r.v[0], &d);
	is_dbl(d.demand[CGS_CPU], 0.8, 1e-9, "cpu: no throttling, no probe");
	cgs_rates_free(&r);
	cpu_max(p, q, 0.55, 0);
	cgs_rates_compute(&a, 0, &b, SEC, &r);
	cgs_demand_from_rate(&r.v[0], &d);
	ok(d.cpu_throttled, "cpu: usage at 90%% of the limit counts as held");
	cgs_rates_free(&r);
	cpu_max(p, q, 0.56, 0);
	cgs_rates_compute(&a, 0, &b, SEC, &r);
	cgs_demand_from_rate(&r.v[0], &d);
	ok(!d.cpu_throttled, "cpu: below 90%% it does not");
	cgs_rates_free(&r);
	rec_set(q, CGS_CPU_MAX_QUOTA_NS, UINT64_MAX);
	rec_set(q, CGS_CPU_NR_THROTTLED, 9);
	cgs_rates_compute(&a, 0, &b, SEC, &r);
	cgs_demand_from_rate(&r.v[0], &d);
	ok(!d.cpu_throttled, "cpu: cpu.max max: never held");
	cgs_rates_free(&r);

	cgs_list_free(&b);
	rec_add(&b, 2, 0, 0);
	cgs_rates_compute(&a, 0, &b, SEC, &r);
	ok(cgs_demand_from_rate(&r.v[0], &d) == -EINVAL,
	   "cpu: a new cgroup has no demand yet");
	cgs_rates_free(&r);
	cgs_list_free(&a);
	cgs_list_free(&b);
}

static void memory(void)
{
	struct cgs_list a = { 0 }, b = { 0 };
	struct cgs_demand_raw d;
	struct cgs_cgroup *p, *q;
	struct cgs_rates r;

	p = rec_add(&a, 1, 0, 0);
	q = rec_add(&b, 1, 0, 0);
	rec_set(q, CGS_MEM_CURRENT, 100 << 20);
	rec_set(p, CGS_MEM_EVENTS_HIGH, 10);
	rec_set(q, CGS_MEM_EVENTS_HIGH, 10);
	rec_set(p, CGS_MEM_EVENTS_MAX, 0);
	rec_set(q, CGS_MEM_EVENTS_MAX, 0);
	cgs_rates_compute(&a, 0, &b, SEC, &r);
	cgs_demand_from_rate(&r.v[0], &d);
	ok(d.has[CGS_MEM], "memory: measured");
	is_dbl(d.demand[CGS_MEM], 100 << 20, 1, "memory: quiet: usage");
	is_dbl(d.mem_psi, -1, 0, "memory: no pressure totals: -1");
	cgs_rates_free(&r);

	/* stalled 0.5 %, 20 %, 90 % of the 1 s between the samples */
	rec_set(p, CGS_MEM_PRESSURE_SOME_NS, SEC);
	rec_set(q, CGS_MEM_PRESSURE_SOME_NS, SEC + SEC / 200);
	cgs_rates_compute(&a, 0, &b, SEC, &r);
	cgs_demand_from_rate(&r.v[0], &d);
	is_dbl(d.mem_psi, 0.5, 1e-9, "memory: stall share from the totals");
	is_dbl(d.demand[CGS_MEM], 100 << 20, 1, "memory: PSI below 1%: usage");
	cgs_rates_free(&r);
	rec_set(q, CGS_MEM_PRESSURE_SOME_NS, SEC + SEC / 5);
	cgs_rates_compute(&a, 0, &b, SEC, &r);
	cgs_demand_from_rate(&r.v[0], &d);
	is_dbl(d.demand[CGS_MEM], (100 << 20) * 1.25, 1,
	       "memory: PSI 20%: usage grown 5% + 20%");
	cgs_rates_free(&r);
	rec_set(q, CGS_MEM_PRESSURE_SOME_NS, SEC + SEC * 9 / 10);
	cgs_rates_compute(&a, 0, &b, SEC, &r);
	cgs_demand_from_rate(&r.v[0], &d);
	is_dbl(d.demand[CGS_MEM], (100 << 20) * 1.5, 1,
	       "memory: growth capped at 50%");
	cgs_rates_free(&r);

	rec_set(q, CGS_MEM_PRESSURE_SOME_NS, SEC);
	rec_set(q, CGS_MEM_EVENTS_HIGH, 14);
	rec_set(q, CGS_MEM_EVENTS_MAX, 1);
	cgs_rates_compute(&a, 0, &b, SEC, &r);
	cgs_demand_from_rate(&r.v[0], &d);
	is_u64(d.mem_reclaim, 5, "memory: reclaim = high + max events");
	is_dbl(d.demand[CGS_MEM], (100 << 20) * 1.05, 1,
	       "memory: reclaim alone grows 5%");
	cgs_rates_free(&r);
	cgs_list_free(&a);
	cgs_list_free(&b);
}

static void gpu(void)
{
	struct cgs_list a = { 0 }, b = { 0 };
	struct cgs_demand_raw d;
	struct cgs_cgroup *p, *q;
	struct cgs_gpu *g;
	struct cgs_rates r;

	p = rec_add(&a, 1, 0, 0);
	q = rec_add(&b, 1, 0, 0);
	g = cgs_cgroup_add_gpu(p);
	snprintf(g->dev, sizeof(g->dev), "card0");
	g->present = CGS_BIT(CGS_GPU_BUSY_NS) | CGS_BIT(CGS_GPU_QUEUE_NS);
	g = cgs_cgroup_add_gpu(q);
	snprintf(g->dev, sizeof(g->dev), "card0");
	g->present = CGS_BIT(CGS_GPU_BUSY_NS) | CGS_BIT(CGS_GPU_QUEUE_NS);
	g->ctr[CGS_GPU_BUSY_NS] = SEC / 2;
	g->ctr[CGS_GPU_QUEUE_NS] = SEC / 4;
	g = cgs_cgroup_add_gpu(q);
	snprintf(g->dev, sizeof(g->dev), "card1");
	g->present = CGS_BIT(CGS_GPU_BUSY_NS);
	g->ctr[CGS_GPU_BUSY_NS] = SEC / 10;
	cgs_rates_compute(&a, 0, &b, SEC, &r);
	cgs_demand_from_rate(&r.v[0], &d);
	ok(d.has[CGS_GPU], "gpu: measured");
	is_dbl(d.demand[CGS_GPU], 0.85, 1e-9,
	       "gpu: busy + queue over devices (new device from zero)");
	cgs_rates_free(&r);
	cgs_list_free(&a);
	cgs_list_free(&b);
}

static void smoothing(void)
{
	struct cgs_demand_hist h = { 0 };
	struct cgs_demand_raw d = { 0 };
	double m;

	ok(!cgs_demand_mean(&h, CGS_CPU, 3, &m), "smooth: nothing yet");
	d.has[CGS_CPU] = true;
	d.demand[CGS_CPU] = 3;
	cgs_demand_push(&h, &d, 3);
	ok(cgs_demand_mean(&h, CGS_CPU, 3, &m) && m == 3, "smooth: first");
	ok(!cgs_demand_mean(&h, CGS_MEM, 3, &m), "smooth: memory unmeasured");
	d.demand[CGS_CPU] = 0;
	cgs_demand_push(&h, &d, 3);
	cgs_demand_mean(&h, CGS_CPU, 3, &m);
	is_dbl(m, 1.5, 1e-12, "smooth: mean of two");
	cgs_demand_push(&h, &d, 3);
	cgs_demand_push(&h, &d, 3);
	cgs_demand_mean(&h, CGS_CPU, 3, &m);
	is_dbl(m, 0, 1e-12, "smooth: window of 3 forgets the first");
	d.demand[CGS_CPU] = 6;
	cgs_demand_push(&h, &d, 3);
	cgs_demand_mean(&h, CGS_CPU, 3, &m);
	is_dbl(m, 2, 1e-12, "smooth: one spike is a third");
	d.has[CGS_MEM] = true;
	d.demand[CGS_MEM] = 10;
	cgs_demand_push(&h, &d, 3);
	cgs_demand_mean(&h, CGS_MEM, 3, &m);
	is_dbl(m, 10, 1e-12, "smooth: late resource starts at its value");
	cgs_demand_push(&h, &d, 1);
	cgs_demand_mean(&h, CGS_CPU, 1, &m);
	is_dbl(m, 6, 1e-12, "smooth: window shrunk to 1");
}

static void hysteresis(void)
{
	is_dbl(cgs_hysteresis(NAN, 1.0, 0.05, 0), 1.0, 0, "hyst: first target");
	is_dbl(cgs_hysteresis(1.0, 1.04, 0.05, 0), 1.0, 0,
	       "hyst: +4% keeps the old");
	is_dbl(cgs_hysteresis(1.0, 0.96, 0.05, 0), 1.0, 0,
	       "hyst: -4% keeps the old");
	is_dbl(cgs_hysteresis(1.0, 1.06, 0.05, 0), 1.06, 0, "hyst: +6% moves");
	is_dbl(cgs_hysteresis(0.001, 0.002, 0.05, 0.01), 0.001, 0,
	       "hyst: below the absolute minimum keeps");
	is_dbl(cgs_hysteresis(INFINITY, 1, 0.05, 0), 1, 0, "hyst: from unlimited");
	ok(isinf(cgs_hysteresis(1, INFINITY, 0.05, 0)), "hyst: to unlimited");
	is_dbl(cgs_hysteresis(0, 0.5, 0.05, 0.01), 0.5, 0, "hyst: from zero");
}

int main(void)
{
	cpu();
	memory();
	gpu();
	smoothing();
	hysteresis();
	return tap_done();
}
