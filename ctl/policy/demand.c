// SPDX-License-Identifier: GPL-2.0
/*
 * Demand estimation: CPU = usage + run-queue wait, memory = usage grown
 * under reclaim or pressure, GPU = busy + queued time; a windowed mean over
 * the last intervals, and hysteresis on the targets computed from it.
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "policy/demand.h"

static double clamp(double v, double lo, double hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static void cpu_demand(const struct cgs_rate *r, struct cgs_demand_raw *d)
{
	bool throttled = (r->valid & CGS_BIT(CGS_CPU_NR_THROTTLED)) &&
			 r->delta[CGS_CPU_NR_THROTTLED];
	double limit;

	if (!(r->valid & CGS_BIT(CGS_CPU_USAGE_NS)))
		return;
	d->cpu_usage = r->per_ns[CGS_CPU_USAGE_NS];
	if (r->valid & CGS_BIT(CGS_CPU_WAIT_NS))
		d->cpu_wait = r->per_ns[CGS_CPU_WAIT_NS];
	if (r->valid & CGS_BIT(CGS_CPU_PRESSURE_SOME_NS))
		d->cpu_some = r->per_ns[CGS_CPU_PRESSURE_SOME_NS];
	d->has[CGS_CPU] = true;
	d->demand[CGS_CPU] = d->cpu_usage + d->cpu_wait;
	/*
	 * Throttled during the interval, or using nearly all its quota (an
	 * interval shorter than the cpu.max period can miss the throttling).
	 */
	if (cgs_cgroup_cpu_max(r->now, &limit) && isfinite(limit) &&
	    (throttled || d->cpu_usage >= CGS_DEMAND_AT_LIMIT * limit)) {
		double probe = limit * (1 + CGS_DEMAND_CPU_PROBE);

		d->cpu_throttled = true;
		if (d->demand[CGS_CPU] < probe)
			d->demand[CGS_CPU] = probe;
	}
}

/*
 * Usage alone hides what reclaim took away: a cgroup held at memory.high
 * shows usage equal to the limit. Reclaim events or memory stalls mean it
 * wants more, so its demand is its usage grown by the stall share.
 */
static void mem_demand(const struct cgs_rate *r, struct cgs_demand_raw *d)
{
	bool pressed;

	d->mem_psi = r->valid & CGS_BIT(CGS_MEM_PRESSURE_SOME_NS) ?
		     r->per_ns[CGS_MEM_PRESSURE_SOME_NS] * 100 : -1;
	if (!cgs_has_ctr(r->now, CGS_MEM_CURRENT))
		return;
	d->mem_current = r->now->ctr[CGS_MEM_CURRENT];
	if (r->valid & CGS_BIT(CGS_MEM_EVENTS_HIGH))
		d->mem_reclaim += r->delta[CGS_MEM_EVENTS_HIGH];
	if (r->valid & CGS_BIT(CGS_MEM_EVENTS_MAX))
		d->mem_reclaim += r->delta[CGS_MEM_EVENTS_MAX];
	pressed = d->mem_reclaim || d->mem_psi >= CGS_DEMAND_PSI_QUIET;
	if (pressed)
		d->mem_grow = clamp(CGS_DEMAND_MEM_GROW_MIN +
				    (d->mem_psi > 0 ? d->mem_psi / 100 : 0),
				    CGS_DEMAND_MEM_GROW_MIN,
				    CGS_DEMAND_MEM_GROW_MAX);
	d->has[CGS_MEM] = true;
	d->demand[CGS_MEM] = d->mem_current * (1 + d->mem_grow);
}

static void gpu_demand(const struct cgs_rate *r, struct cgs_demand_raw *d)
{
	for (unsigned int i = 0; i < r->nr_gpu; i++) {
		const struct cgs_gpu_rate *g = &r->gpu[i];

		if (g->valid & CGS_BIT(CGS_GPU_BUSY_NS)) {
			d->gpu_busy += g->per_ns[CGS_GPU_BUSY_NS];
			d->has[CGS_GPU] = true;
		}
		if (g->valid & CGS_BIT(CGS_GPU_QUEUE_NS))
			d->gpu_queue += g->per_ns[CGS_GPU_QUEUE_NS];
	}
	if (d->has[CGS_GPU])
		d->demand[CGS_GPU] = d->gpu_busy + d->gpu_queue;
}

int cgs_demand_from_rate(const struct cgs_rate *r, struct cgs_demand_raw *out)
{
	memset(out, 0, sizeof(*out));
	out->mem_psi = -1;
	out->cpu_some = -1;
	if (r->state != CGS_RATE_LIVE || !r->now)
		return -EINVAL;
	cpu_demand(r, out);
	mem_demand(r, out);
	gpu_demand(r, out);
	return 0;
}

void cgs_demand_push(struct cgs_demand_hist *h, const struct cgs_demand_raw *d,
		     unsigned int window)
{
	if (window < 1)
		window = 1;
	if (window > CGS_DEMAND_WINDOW_MAX)
		window = CGS_DEMAND_WINDOW_MAX;
	if (h->pos >= window)
		h->pos = 0;
	/*
	 * A resource measured for the first time fills the window with its
	 * first value, so the mean starts there rather than at zero.
	 */
	for (int r = 0; r < CGS_NR_RES; r++) {
		if (!d->has[r])
			continue;
		if (!h->has[r])
			for (unsigned int i = 0; i < CGS_DEMAND_WINDOW_MAX; i++)
				h->v[r][i] = d->demand[r];
		h->has[r] = true;
		h->v[r][h->pos] = d->demand[r];
	}
	h->pos = (h->pos + 1) % window;
	if (h->n < window)
		h->n++;
}

bool cgs_demand_mean(const struct cgs_demand_hist *h, enum cgs_res res,
		     unsigned int window, double *mean)
{
	double sum = 0;
	unsigned int n;

	if (!h->has[res] || !h->n)
		return false;
	if (window > CGS_DEMAND_WINDOW_MAX)
		window = CGS_DEMAND_WINDOW_MAX;
	n = h->n < window ? h->n : window;
	/* Unfilled slots hold the first value, so any n slots average right. */
	for (unsigned int i = 0; i < n; i++)
		sum += h->v[res][i];
	*mean = sum / n;
	return true;
}

double cgs_hysteresis(double old, double want, double frac, double abs_min)
{
	double diff;

	if (isnan(old))
		return want;
	if (isinf(old) || isinf(want))
		return old == want ? old : want;
	diff = fabs(want - old);
	if (diff <= frac * fabs(old) || diff <= abs_min)
		return old;
	return want;
}
