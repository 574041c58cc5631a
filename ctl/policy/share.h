/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The share library: measured demand, weights, guarantees and caps in,
 * a target per cgroup per resource out, each with its reason. Pure: no I/O,
 * no clock, no globals; deterministic for a given input.
 */
#ifndef CGSHARE_SHARE_H
#define CGSHARE_SHARE_H

#include <stddef.h>

#include "model/limits.h"

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
	CGS_REASON_MIN_SCALED,	/* guarantees exceeded the parent's share: */
				/* all scaled down by the same factor */
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

/*
 * Semantics, per sibling group (the roots share the capacity, children
 * their parent's share):
 *
 * A node's demand towards its parent is max(its own demand, the sum of what
 * its children can use): a parent's measured usage already includes its
 * children's, so the two are not added; and "what a child can use" is its
 * demand clamped to [min, max] (proportional: the raw demand). A parent
 * divides its whole share among its children; what they cannot use stays
 * with the parent (its own tasks, unmanaged children, or idle), so the
 * children's shares sum to at most the parent's.
 *
 * maxmin: share = max(min, min(max, demand, w * L)) with the level L
 * raised until the parent's share is used up or all are satisfied.
 * Guarantees are floors, honoured even beyond demand; when they add up to
 * more than the parent's share they are all scaled by share / sum(min)
 * (reason MIN_SCALED) and nothing else is given. Weight 0 nodes get their
 * guarantee, then share what the weighted ones leave, equally.
 *
 * proportional: share = demand / sum(demand) * parent's share, exactly as
 * the seed rule; weights, min and max are ignored. sum(demand) = 0 gives
 * every node 0 (reason DEMAND).
 *
 * drf: over the resources whose policy is drf at once. A node's demand
 * vector is both its task shape (direction) and how much it can use
 * (length): it receives t * demand for one t in [0, 1] (Leontief), plus
 * guarantees as floors per resource; a max caps t. Progressive filling
 * equalises dominant share / weight, where the dominant share is the
 * largest demand[r] / parent's share[r]; when a resource runs out, every
 * node still growing in it stops. "As many <1 CPU, 4 GB> tasks as it can
 * get" is written as N * <1, 4> for an N at least what the capacity fits.
 *
 * A node that asked for nothing gets reason DEMAND (and its guarantee).
 * Sums may exceed the parent's share by rounding only (relative 1e-12).
 * Sorting is by value, never by position, so permuting siblings does not
 * change any node's result. O(n log n), mallocs O(n), no I/O.
 */

/* Fills share and reason of every node. 0, or -1 with a message in err. */
int cgs_solve(struct cgs_problem *p, char *err, size_t errlen);

const char *cgs_policy_name(enum cgs_policy p);
int cgs_policy_parse(const char *s, enum cgs_policy *p);
const char *cgs_reason_str(enum cgs_reason r);	/* "fair", "no-capacity", ... */
const char *cgs_reason_explain(enum cgs_reason r);	/* a sentence for --explain */

#endif
