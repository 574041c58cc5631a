/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _CGSHARE_MEMORY_H
#define _CGSHARE_MEMORY_H

#include "ledger.h"

bool cgshare_mem_read(struct cgroup *cgrp, struct cgshare_mem *mem);

/* high, max, low, min: the attributes from CGSHARE_A_CGROUP_MEM_HIGH on. */
#define CGSHARE_MEM_NR_LIMITS	4
bool cgshare_mem_limits(struct cgroup *cgrp, u64 lim[CGSHARE_MEM_NR_LIMITS]);

#endif
