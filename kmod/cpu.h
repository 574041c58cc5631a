/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _CGSHARE_CPU_H
#define _CGSHARE_CPU_H

#include "ledger.h"

int cgshare_cpu_init(void);
void cgshare_cpu_uninit(void);
u64 cgshare_cpu_running_ns(const struct cgshare_rec *rec);
void cgshare_cpu_forget(struct cgshare_rec *rec);

#endif
