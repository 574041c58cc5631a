/* SPDX-License-Identifier: GPL-2.0 */
/* Ledger records built by hand, for the unit tests of the layers above. */
#ifndef CGS_TESTS_RECORDS_H
#define CGS_TESTS_RECORDS_H

#include "model/model.h"

static inline void rec_set(struct cgs_cgroup *cg, enum cgs_ctr c, uint64_t v)
{
	cg->ctr[c] = v;
	cg->present |= CGS_BIT(c);
}

/* Appends cgroup @id with CPU usage and wait, and nothing else. */
static inline struct cgs_cgroup *rec_add(struct cgs_list *l, uint64_t id,
					 uint64_t usage, uint64_t wait)
{
	struct cgs_cgroup *cg = cgs_list_add(l);

	cg->has = CGS_HAS_ID;
	cg->id = id;
	rec_set(cg, CGS_CPU_USAGE_NS, usage);
	rec_set(cg, CGS_CPU_WAIT_NS, wait);
	return cg;
}

#endif
