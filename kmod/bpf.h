/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _CGSHARE_BPF_H
#define _CGSHARE_BPF_H

#include <linux/types.h>
#include "cgshare_kfunc.h"

void cgshare_bpf_init(void);
/* NULL when the kfuncs are registered, else why not. */
const char *cgshare_bpf_off_reason(void);

int cgshare_gpu_account(struct cgshare_gpu_usage *u);

#endif
