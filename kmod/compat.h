/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every kernel-version difference cgshare meets lives here, each with the
 * change it works around. Supported: 6.1 to 6.12 and later.
 */
#ifndef _CGSHARE_COMPAT_H
#define _CGSHARE_COMPAT_H

#include <linux/version.h>
#include <net/genetlink.h>

/* 6.8 dropped the vruntime argument of sched_stat_runtime. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 8, 0)
#define CGSHARE_STAT_RUNTIME_PROTO	void *data, struct task_struct *tsk, u64 runtime
#else
#define CGSHARE_STAT_RUNTIME_PROTO	void *data, struct task_struct *tsk, u64 runtime, u64 vruntime
#endif

/* 6.2 moved the parsed dump attributes into a struct genl_info. */
static inline struct nlattr **cgshare_dump_attrs(struct netlink_callback *cb)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
	return genl_info_dump(cb)->attrs;
#else
	return genl_dumpit_info(cb)->attrs;
#endif
}

#endif
