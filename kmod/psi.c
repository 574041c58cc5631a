// SPDX-License-Identifier: GPL-2.0
/*
 * Pressure stall totals. struct psi_group is public, but what folds its
 * per-CPU times into the totals is static to the scheduler: a module sees
 * the totals of the last aggregation, which the kernel runs every 2 s
 * while the group is active and whenever one of its pressure files is
 * read. The root's group (psi_system) is not exported: the root has none.
 */
#include <linux/cgroup.h>
#include <linux/psi.h>
#include "psi.h"

/* False where the cgroup's pressure files are absent or switched off. */
bool cgshare_psi_read(struct cgroup *cgrp, u64 total[CGSHARE_PSI_NR])
{
#ifdef CONFIG_PSI
	static const u8 state[CGSHARE_PSI_NR] = {
		PSI_CPU_SOME, PSI_CPU_FULL, PSI_MEM_SOME, PSI_MEM_FULL,
		PSI_IO_SOME, PSI_IO_FULL,
	};
	struct psi_group *psi;
	int i;

	/* NULL when PSI is off for cgroups; !enabled: cgroup.pressure is 0 */
	psi = cgroup_parent(cgrp) ? READ_ONCE(cgrp->psi) : NULL;
	if (!psi || !READ_ONCE(psi->enabled))
		return false;
	for (i = 0; i < CGSHARE_PSI_NR; i++)
		total[i] = READ_ONCE(psi->total[PSI_AVGS][state[i]]);
	return true;
#else
	return false;
#endif
}
