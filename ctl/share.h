/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The share library: measured demand, weights, guarantees and caps in,
 * a target per cgroup per resource out, each with its reason. Pure: no I/O,
 * no clock, no globals; deterministic for a given input.
 */
#ifndef CGSHARE_SHARE_H
#define CGSHARE_SHARE_H

#include <stddef.h>

enum cgs_res {
	CGS_CPU,	/* CPUs (1.0 = one CPU's worth of time per second) */
	CGS_MEM,	/* bytes */
	CGS_GPU,	/* GPU devices' worth of busy time per second */
	CGS_NR_RES,
};

enum cgs_policy {
	CGS_POLICY_MAXMIN,		/* weighted max-min fairness (default) */
	CGS_POLICY_PROPORTIONAL,	/* share_i = D_i / sum(D) * C */
	CGS_POLICY_DRF,			/* dominant resource fairness */
};

enum cgs_reason {
	CGS_REASON_NONE,
	CGS_REASON_DEMAND,	/* got all it asked for */
	CGS_REASON_FAIR,	/* bottlenecked: its weighted share of what was left */
	CGS_REASON_MIN,		/* raised to its guarantee */
	CGS_REASON_MAX,		/* held at its cap */
	CGS_REASON_PROPORTIONAL,/* proportional to demand */
	CGS_REASON_DOMINANT,	/* DRF: equalised weighted dominant share */
	CGS_REASON_NO_CAPACITY,	/* parent had nothing to give */
};

/*
 * One cgroup. Nodes are given parents first (nodes[i].parent < i); the
 * roots (parent == -1) divide the capacity among themselves, every other
 * node divides its parent's share with its siblings. min and max are
 * absolute amounts (0 and CGS_UNLIMITED when unset); demand is measured.
 */
#define CGS_UNLIMITED (1.0 / 0.0)

struct cgs_node {
	int parent;
	double weight;			/* > 0; 0 means "only what is left" */
	double min[CGS_NR_RES];
	double max[CGS_NR_RES];
	double demand[CGS_NR_RES];

	double share[CGS_NR_RES];	/* out */
	enum cgs_reason reason[CGS_NR_RES];	/* out */
};

struct cgs_problem {
	struct cgs_node *nodes;
	size_t n;
	double capacity[CGS_NR_RES];
	enum cgs_policy policy[CGS_NR_RES];
};

/* Fills share and reason of every node. 0, or -1 with a message in err. */
int cgs_solve(struct cgs_problem *p, char *err, size_t errlen);

const char *cgs_res_name(enum cgs_res r);
const char *cgs_policy_name(enum cgs_policy p);
int cgs_policy_parse(const char *s, enum cgs_policy *p);
const char *cgs_reason_str(enum cgs_reason r);

#endif
