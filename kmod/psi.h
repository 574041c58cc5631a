/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _CGSHARE_PSI_H
#define _CGSHARE_PSI_H

#include <linux/cgroup.h>

/*
 * cpu, memory, io, each "some" then "full": the attributes from
 * CGSHARE_A_CGROUP_CPU_PRESSURE_SOME_NS on.
 */
#define CGSHARE_PSI_NR	6

bool cgshare_psi_read(struct cgroup *cgrp, u64 total[CGSHARE_PSI_NR]);

#endif
