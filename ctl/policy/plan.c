// SPDX-License-Identifier: GPL-2.0
/*
 * Shares to limit values. The rules are the design's: cpu.max quota at
 * least 1 ms per period, cpu.weight 1..10000, memory.high lowered in
 * bounded steps and never below the floor, memory.max never below usage
 * plus headroom, memory.low from guarantees, dmem.max and dmem.low per
 * region of device memory where the kernel has the dmem controller.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "policy/demand.h"
#include "policy/plan.h"

uint64_t cgs_cpu_quota(double cpus, uint64_t period_us)
{
	double q;

	if (!isfinite(cpus))
		return CGS_LIMIT_MAX;
	q = round(cpus * period_us);
	if (q < 1000)
		q = 1000;	/* the kernel refuses less than 1 ms */
	if (q >= (double)(UINT64_MAX >> 12))
		return CGS_LIMIT_MAX;
	return q;
}

uint64_t cgs_cpu_weight(double weight)
{
	double w = round(weight * 100);

	return w < 1 ? 1 : w > 10000 ? 10000 : (uint64_t)w;
}

static uint64_t page_up(double v, uint64_t page)
{
	double p = page ? page : 4096;

	if (!isfinite(v) || v >= (double)(CGS_LIMIT_MAX >> 1))
		return CGS_LIMIT_MAX;
	return (uint64_t)(ceil(v / p) * p);
}

uint64_t cgs_mem_high(double target, uint64_t old, uint64_t usage,
		      const struct cgs_mem_rules *r)
{
	double want = target, base, lowest;

	if (want < r->floor)
		want = r->floor;
	if (!isfinite(want))
		return CGS_LIMIT_MAX;
	/*
	 * What the cgroup holds now is the lower of its limit and its usage;
	 * one action takes at most @step of that away, so reclaim comes in
	 * steps the workload can absorb instead of one cliff.
	 */
	base = old < usage ? (double)old : (double)usage;
	if (want < base) {
		lowest = base * (1 - r->step);
		if (want < lowest)
			want = lowest;
	}
	return page_up(want, r->page);
}

uint64_t cgs_mem_max(double target, uint64_t usage,
		     const struct cgs_mem_rules *r)
{
	double want = target;

	if (want < (double)usage + r->headroom)
		want = (double)usage + r->headroom;
	if (want < r->floor)
		want = r->floor;
	return page_up(want, r->page);
}

/* Got all it asked for: not held back by the share, whatever the reason. */
static bool satisfied(const struct cgs_plan_cg *c, enum cgs_res r)
{
	return c->share[r] >= c->demand[r] * (1 - 1e-9);
}

/*
 * What nobody claimed, per resource: capacity minus the top-level shares,
 * and the weight of the satisfied top-level cgroups it is split by.
 */
static void unclaimed(const double *capacity, const struct cgs_plan_cg *cg,
		      size_t n, double *left, double *wsum)
{
	for (int r = 0; r < CGS_NR_RES; r++) {
		left[r] = capacity[r];
		wsum[r] = 0;
	}
	for (size_t i = 0; i < n; i++) {
		if (!cg[i].measured || cg[i].parent >= 0)
			continue;
		for (int r = 0; r < CGS_NR_RES; r++) {
			left[r] -= cg[i].share[r];
			if (satisfied(&cg[i], r))
				wsum[r] += cg[i].weight;
		}
	}
	for (int r = 0; r < CGS_NR_RES; r++)
		if (left[r] < 0)
			left[r] = 0;
}

/*
 * @c's weighted part of what its parent has (the capacity at the top),
 * were every sibling to want all it could get: what it would be given if
 * it asked for more. A cgroup that got all it asked for may grow that far
 * before the next action; past it, it is throttled, its demand rises and
 * it is re-shared. It does not depend on the siblings' demands, so a
 * cgroup whose demand crosses its share does not flap between targets.
 */
static void fair(const struct cgs_plan_cg *cg, size_t n,
		 const struct cgs_plan_cg *c, const double *capacity,
		 double *out)
{
	double wsum = 0;

	for (size_t j = 0; j < n; j++)
		if (cg[j].measured && cg[j].parent == c->parent)
			wsum += cg[j].weight;
	for (int r = 0; r < CGS_NR_RES; r++) {
		double total = c->parent < 0 ? capacity[r] :
			       cg[c->parent].share[r];

		out[r] = wsum > 0 ? total * c->weight / wsum : 0;
	}
}

static void put(struct cgs_plan_cg *c, enum cgs_limit l, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void put(struct cgs_plan_cg *c, enum cgs_limit l, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->value[l], sizeof(c->value[l]), fmt, ap);
	va_end(ap);
	c->want[l] = true;
}

static void put_max(struct cgs_plan_cg *c, enum cgs_limit l, uint64_t v)
{
	if (v == CGS_LIMIT_MAX)
		put(c, l, "max");
	else
		put(c, l, "%" PRIu64, v);
	c->num[l] = v == CGS_LIMIT_MAX ? INFINITY : (double)v;
}

/*
 * The target is the share plus, for a cgroup that got all it asked for,
 * its part of what nobody claimed; hysteresis applies to that target, so
 * a held value never turns a satisfied cgroup into a bottlenecked one.
 */
static void targets(const struct cgs_conf *k, struct cgs_plan_cg *c,
		    const double *left, const double *wsum, const double *fs,
		    bool *sat)
{
	for (int r = 0; r < CGS_NR_RES; r++) {
		double abs_min = r == CGS_MEM ? (1 << 20) : 0.01, t;

		sat[r] = false;
		if (!c->has[r])
			continue;
		sat[r] = satisfied(c, r);
		t = c->share[r];
		if (sat[r] && wsum[r] > 0)
			t += left[r] * c->weight / wsum[r];
		if (sat[r] && t < fs[r])
			t = fs[r];
		t = cgs_hysteresis(c->applied[r], t, k->hysteresis, abs_min);
		c->applied[r] = c->target[r] = t;
	}
}

/* Appends "REGION VALUE" to a keyed limit's lines. */
static void put_line(struct cgs_plan_cg *c, enum cgs_limit l,
		     const char *region, uint64_t v)
{
	size_t n = strlen(c->value[l]);

	snprintf(c->value[l] + n, sizeof(c->value[l]) - n, "%s%s %" PRIu64,
		 n ? "\n" : "", region, v);
	c->want[l] = true;
}

/*
 * Device memory, per region: dmem.max toward the configured cap in the
 * steps memory.high takes (a limit below usage is accepted and does
 * nothing in mainline, so usage is stepped down, and what is still above
 * the target is said pending); dmem.low from the guarantee. Parents come
 * before children, so protections are written top-down.
 */
static void plan_dmem(const struct cgs_conf *k, struct cgs_plan_cg *c)
{
	struct cgs_mem_rules rules = { 0, 0, k->mem_step, 1 };

	c->value[CGS_LIM_DMEM_MAX][0] = c->value[CGS_LIM_DMEM_LOW][0] = '\0';
	for (unsigned int i = 0; i < c->nr_region; i++) {
		const struct cgs_plan_region *r = &c->region[i];

		if (c->gpu_mem_max) {
			put_line(c, CGS_LIM_DMEM_MAX, r->name,
				 cgs_mem_high(c->gpu_mem_max, r->max,
					      r->current, &rules));
			if (r->current > c->gpu_mem_max)
				c->dmem_pending |= 1u << i;
		}
		if (c->gpu_mem_low)
			put_line(c, CGS_LIM_DMEM_LOW, r->name, c->gpu_mem_low);
	}
	c->num[CGS_LIM_DMEM_MAX] = c->gpu_mem_max;
	c->num[CGS_LIM_DMEM_LOW] = c->gpu_mem_low;
}

const char *cgs_dmem_missing_why(bool kernel, const struct cgs_plan_cg *c)
{
	if (!kernel)
		return "the kernel has no dmem controller (CONFIG_CGROUP_DMEM, "
		       "Linux 6.14 or later)";
	if (!c->dmem)
		return "dmem is not enabled in its parent's "
		       "cgroup.subtree_control";
	return "no driver has registered a region of device memory (the "
	       "root's dmem.capacity is empty)";
}

static void plan_one(const struct cgs_conf *k, uint64_t page,
		     struct cgs_plan_cg *c, const double *left,
		     const double *wsum, const double *fs)
{
	struct cgs_mem_rules rules = {
		k->mem_floor, k->mem_headroom, k->mem_step, page,
	};
	bool sat[CGS_NR_RES];

	targets(k, c, left, wsum, fs, sat);
	if (c->has[CGS_CPU] && (k->enforce_cpu & CGS_ENF_CPU_MAX)) {
		uint64_t q = cgs_cpu_quota(c->target[CGS_CPU], k->cpu_period_us);

		if (q == CGS_LIMIT_MAX)
			put(c, CGS_LIM_CPU_MAX, "max %" PRIu64, k->cpu_period_us);
		else
			put(c, CGS_LIM_CPU_MAX, "%" PRIu64 " %" PRIu64, q,
			    k->cpu_period_us);
		c->cpu_quota_us = q;
		c->num[CGS_LIM_CPU_MAX] = q == CGS_LIMIT_MAX ? INFINITY :
					  (double)q / k->cpu_period_us;
	}
	if (k->enforce_cpu & CGS_ENF_CPU_WEIGHT)
		put_max(c, CGS_LIM_CPU_WEIGHT, cgs_cpu_weight(c->weight));
	if (c->has[CGS_MEM] && k->enforce_mem) {
		double high = c->target[CGS_MEM];
		uint64_t v;

		if (sat[CGS_MEM])
			high += k->mem_headroom;
		if (k->enforce_mem & CGS_ENF_MEM_HIGH) {
			v = cgs_mem_high(high, c->mem_high, c->mem_current, &rules);
			put_max(c, CGS_LIM_MEM_HIGH, v);
			c->mem_high_set = v;
		}
		if (k->enforce_mem & CGS_ENF_MEM_MAX)
			put_max(c, CGS_LIM_MEM_MAX,
				cgs_mem_max(high + k->mem_headroom,
					    c->mem_current, &rules));
		if (c->min[CGS_MEM] > 0)
			put_max(c, CGS_LIM_MEM_LOW,
				ceil(c->min[CGS_MEM] / page) * page);
	}
	if (c->gpu_mem_max || c->gpu_mem_low) {
		if (c->dmem && c->nr_region)
			plan_dmem(k, c);
		else
			c->dmem_missing = true;
	}
}

void cgs_plan(const struct cgs_conf *conf, const double *capacity,
	      uint64_t page, struct cgs_plan_cg *cg, size_t n)
{
	double left[CGS_NR_RES], wsum[CGS_NR_RES], fs[CGS_NR_RES];

	unclaimed(capacity, cg, n, left, wsum);
	for (size_t i = 0; i < n; i++) {
		struct cgs_plan_cg *c = &cg[i];

		memset(c->want, 0, sizeof(c->want));
		c->cpu_quota_us = c->mem_high_set = CGS_LIMIT_MAX;
		c->dmem_missing = false;
		c->dmem_pending = 0;
		if (!c->measured)
			continue;
		fair(cg, n, c, capacity, fs);
		plan_one(conf, page, c, left, wsum, fs);
	}
}
