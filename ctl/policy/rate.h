/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CGSHARECTL_RATE_H
#define CGSHARECTL_RATE_H

#include "model/model.h"

/*
 * Rates between two samples of the ledger. Pure: no I/O, no clock. Cgroups
 * are matched by id (paths can be renamed, ids are never reused while the
 * module runs).
 */

enum cgs_rate_state {
	CGS_RATE_LIVE,		/* in both samples: deltas and rates valid */
	CGS_RATE_NEW,		/* only in the second sample */
	CGS_RATE_GONE,		/* only in the first sample */
};

struct cgs_gpu_rate {
	const struct cgs_gpu *now;
	uint32_t valid;			/* CGS_BIT(enum cgs_gpu_ctr) */
	uint32_t clamped;
	uint64_t delta[CGS_NR_GPU_CTR];
	double per_ns[CGS_NR_GPU_CTR];	/* delta / interval */
};

struct cgs_rate {
	enum cgs_rate_state state;
	const struct cgs_cgroup *prev;	/* NULL when NEW */
	const struct cgs_cgroup *now;	/* NULL when GONE */
	/*
	 * Per cumulative counter present in both samples: the delta and
	 * delta / interval (ns per ns = CPUs for CPU time; per ns otherwise).
	 * A counter that went backwards has delta 0 and its clamped bit set.
	 */
	uint32_t valid;			/* CGS_BIT(enum cgs_ctr) */
	uint32_t clamped;
	uint64_t delta[CGS_NR_CTR];
	double per_ns[CGS_NR_CTR];
	struct cgs_gpu_rate *gpu;	/* one per device of @now */
	unsigned int nr_gpu;
};

/* In cgs_rate.clamped: some GPU counter of the cgroup went backwards. */
#define CGS_CLAMPED_GPU	CGS_BIT(CGS_NR_CTR)

struct cgs_rates {
	struct cgs_rate *v;
	size_t n;
	uint64_t interval_ns;
	unsigned int nr_clamped;	/* rates with any clamped counter */
};

/*
 * Compares @prev, sampled at @t0 (ns), with @now, sampled at @t1. Both
 * lists must be sorted by id. Rows come out in the order of @now, with the
 * cgroups that vanished after them in the order of @prev. The rows point
 * into the lists, which must outlive @out. Returns -EINVAL if t1 <= t0 or
 * a list is not sorted by id without duplicates.
 */
int cgs_rates_compute(const struct cgs_list *prev, uint64_t t0,
		      const struct cgs_list *now, uint64_t t1,
		      struct cgs_rates *out);
void cgs_rates_free(struct cgs_rates *r);

/*
 * One cgroup's row, found in both samples, @dt ns apart: what
 * cgs_rates_compute() gives it (for a caller that wants a few cgroups of
 * a large ledger). Its GPU rows are freed by cgs_rate_free().
 */
int cgs_rate_live(const struct cgs_cgroup *prev, const struct cgs_cgroup *now,
		  uint64_t dt, struct cgs_rate *r);
void cgs_rate_free(struct cgs_rate *r);

#endif
