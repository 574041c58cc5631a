/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _CGSHARE_CPU_H
#define _CGSHARE_CPU_H

#include "ledger.h"

int cgshare_cpu_init(void);
void cgshare_cpu_uninit(void);
/* One slice per online CPU at most: nr_cpu_ids entries. */
struct cgshare_running {
	unsigned int n;
	struct {
		struct cgroup *cgrp;
		u64 ns;
	} slice[];
};

void cgshare_cpu_snapshot(struct cgshare_running *snap);
u64 cgshare_cpu_running_ns(const struct cgshare_rec *rec, const struct cgshare_running *snap);
void cgshare_cpu_forget(struct cgshare_rec *rec);

#endif
