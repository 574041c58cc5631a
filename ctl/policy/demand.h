/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CGSHARECTL_DEMAND_H
#define CGSHARECTL_DEMAND_H

#include <stdbool.h>
#include <stdint.h>

#include "policy/rate.h"
#include "policy/share.h"

/*
 * Demand: what each cgroup would use if nothing held it back, estimated
 * from two samples of the ledger (which carry cpu.max, its throttling and
 * the pressure stall totals too). Pure: no I/O, no clock.
 */

/* One interval's demand of one cgroup, and how it was arrived at. */
struct cgs_demand_raw {
	bool has[CGS_NR_RES];
	double demand[CGS_NR_RES];
	double cpu_usage, cpu_wait;	/* CPUs */
	double cpu_some;		/* CPUs' worth of cpu.pressure "some":
					   time at least one task waited, or
					   -1 when unknown */
	bool cpu_throttled;		/* held at cpu.max: probed up */
	double mem_current;		/* bytes */
	uint64_t mem_reclaim;		/* memory.events high + max delta */
	double mem_psi;			/* memory "some" stall, % of the
					   interval, or -1 */
	double mem_grow;		/* the factor applied on pressure */
	double gpu_busy, gpu_queue;	/* devices */
};

/*
 * When a cgroup is throttled by its cpu.max its usage is at most the limit
 * and its wait does not show (throttled tasks leave the run queue): left
 * alone, demand would follow the limit down and never recover. A throttled
 * cgroup therefore asks for this much more than it was allowed.
 */
#define CGS_DEMAND_CPU_PROBE 0.25
/* Usage at this fraction of cpu.max counts as held back too. */
#define CGS_DEMAND_AT_LIMIT 0.9
/* Memory demand grows by this much over usage under reclaim or pressure. */
#define CGS_DEMAND_MEM_GROW_MIN 0.05
#define CGS_DEMAND_MEM_GROW_MAX 0.50
/* Memory stalls ("some") below this share of the interval (%) are not pressure. */
#define CGS_DEMAND_PSI_QUIET 1.0

/* The demand of the live rate @r (state CGS_RATE_LIVE); -EINVAL else. */
int cgs_demand_from_rate(const struct cgs_rate *r, struct cgs_demand_raw *out);

/* Smoothing: the mean of the last @window intervals (at most 64). */
#define CGS_DEMAND_WINDOW_MAX 64

struct cgs_demand_hist {
	double v[CGS_NR_RES][CGS_DEMAND_WINDOW_MAX];
	bool has[CGS_NR_RES];
	unsigned int n, pos;
};

void cgs_demand_push(struct cgs_demand_hist *h, const struct cgs_demand_raw *d,
		     unsigned int window);
/* The windowed mean; false when nothing was measured for @res yet. */
bool cgs_demand_mean(const struct cgs_demand_hist *h, enum cgs_res res,
		     unsigned int window, double *mean);

/*
 * Hysteresis: the target to use, given the last one applied (@old, NAN if
 * none) and the new one. The old one stays unless the new one differs by
 * more than @frac of it and by more than @abs_min.
 */
double cgs_hysteresis(double old, double want, double frac, double abs_min);

#endif
