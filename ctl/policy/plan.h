/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CGS_POLICY_PLAN_H
#define CGS_POLICY_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/limits.h"
#include "policy/config.h"
#include "policy/share.h"

/*
 * From shares to limit values: what `apply` would write, as a pure
 * function of the solver's output, the configuration and this round's
 * readings. No I/O, so every rule is unit-tested exactly.
 */

struct cgs_mem_rules {
	uint64_t floor;		/* never below */
	uint64_t headroom;	/* memory.max >= usage + headroom */
	double step;		/* lower memory.high by at most this fraction */
	uint64_t page;		/* values are rounded up to pages */
};

/* cpu.max quota for @cpus over @period_us: at least 1 ms; max for inf. */
uint64_t cgs_cpu_quota(double cpus, uint64_t period_us);
/* cpu.weight for a configured weight: 100 per unit, within 1..10000. */
uint64_t cgs_cpu_weight(double weight);
/*
 * memory.high for @target bytes, given the limit now (@old, or
 * CGS_LIMIT_MAX) and usage: raised at once, lowered by at most @step below
 * what the cgroup holds now, never below the floor.
 */
uint64_t cgs_mem_high(double target, uint64_t old, uint64_t usage,
		      const struct cgs_mem_rules *r);
/* memory.max: never below usage + headroom, never below the floor. */
uint64_t cgs_mem_max(double target, uint64_t usage,
		     const struct cgs_mem_rules *r);

#define CGS_PLAN_VALUE_LEN 96
#define CGS_PLAN_REGIONS 16
/* A keyed limit's value: one "REGION VALUE" line per region. */
#define CGS_PLAN_KEYED_LEN (CGS_PLAN_REGIONS * CGS_PLAN_VALUE_LEN)

/* A region of device memory, as a cgroup sees it this round. */
struct cgs_plan_region {
	char name[64];
	uint64_t current;		/* dmem.current */
	uint64_t max;			/* dmem.max now (CGS_LIMIT_MAX) */
};

/* One managed cgroup, as the plan sees it. */
struct cgs_plan_cg {
	/* in: the configuration */
	double weight;
	double min[CGS_NR_RES];
	uint64_t gpu_mem_max;		/* dmem.max, 0 when not configured */
	uint64_t gpu_mem_low;		/* dmem.low, 0 when not configured */
	/* in: the solver's output; unmeasured cgroups are left alone */
	bool measured;
	int parent;			/* nearest measured ancestor here, -1 */
	bool has[CGS_NR_RES];
	double demand[CGS_NR_RES];
	double share[CGS_NR_RES];
	/* in: this round's readings */
	uint64_t mem_high;		/* memory.high now (CGS_LIMIT_MAX) */
	uint64_t mem_current;
	bool dmem;			/* the dmem controller is enabled */
	struct cgs_plan_region region[CGS_PLAN_REGIONS];
	unsigned int nr_region;
	/* in/out: the target last acted on, per resource; NAN for none */
	double applied[CGS_NR_RES];
	/* out */
	bool want[CGS_NR_LIM];
	char value[CGS_NR_LIM][CGS_PLAN_KEYED_LEN];
	double num[CGS_NR_LIM];		/* CPUs, weight, bytes; inf: max */
	double target[CGS_NR_RES];	/* share + room, after hysteresis */
	uint64_t cpu_quota_us;		/* cpu.max planned; CGS_LIMIT_MAX */
	uint64_t mem_high_set;		/* memory.high planned; CGS_LIMIT_MAX */
	bool dmem_missing;		/* gpu memory set, but no dmem controller */
	uint32_t dmem_pending;		/* regions still above their dmem.max
					 * target (bit per region[]) */
};

/*
 * Why GPU memory is not enforced on a cgroup flagged dmem_missing, a
 * phrase: the kernel has no dmem controller (@kernel: the cgroup root's
 * cgroup.controllers lists none), its parent does not enable it, or no
 * driver registered a region.
 */
const char *cgs_dmem_missing_why(bool kernel, const struct cgs_plan_cg *c);

/*
 * Plans @n cgroups (parents before children) against @capacity: each
 * measured cgroup's limit values. A cgroup that got all it asked for may
 * grow into its weighted part of what nobody claimed, and up to its
 * weighted part of its parent's share, before the next action.
 */
void cgs_plan(const struct cgs_conf *conf, const double *capacity,
	      uint64_t page, struct cgs_plan_cg *cg, size_t n);

#endif
