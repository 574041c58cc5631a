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

/* 6.7 added the variable-width "uint" attributes (NLA_UINT). */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 7, 0)
static inline int nla_put_uint(struct sk_buff *skb, int attrtype, u64 value)
{
	u32 v32 = value;

	if (v32 == value)
		return nla_put_u32(skb, attrtype, v32);
	return nla_put(skb, attrtype, sizeof(value), &value);
}
#endif

/* Later kernels check the dump context's size with this (6.1 has not). */
#ifndef NL_ASSERT_DUMP_CTX_FITS
#define NL_ASSERT_DUMP_CTX_FITS(type_name)				\
	BUILD_BUG_ON(sizeof(type_name) > sizeof_field(struct netlink_callback, ctx))
#endif

/*
 * 6.9 marks kfunc sets with BTF_SET8_KFUNCS (BTF_KFUNCS_START) and refuses
 * unmarked ones; 6.1 has only BTF_SET8_START. 6.7 added __bpf_kfunc and the
 * start/end markers that silence -Wmissing-prototypes for kfuncs.
 */
#include <linux/btf.h>
#include <linux/btf_ids.h>
#ifndef BTF_KFUNCS_START
#define BTF_KFUNCS_START(name)	BTF_SET8_START(name)
#define BTF_KFUNCS_END(name)	BTF_SET8_END(name)
#endif
#ifndef __bpf_kfunc
#define __bpf_kfunc		__used noinline
#endif
#ifndef __bpf_kfunc_start_defs
#define __bpf_kfunc_start_defs()					\
	__diag_push();							\
	__diag_ignore_all("-Wmissing-prototypes", "kfuncs are declared in BTF")
#define __bpf_kfunc_end_defs()	__diag_pop()
#endif

/*
 * 6.17 added system_dfl_wq (unbound) and system_percpu_wq in place of
 * system_unbound_wq and system_wq; 7.2 warns once when work is queued on
 * the old ones. The record worker needs no particular CPU.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 17, 0)
#define cgshare_unbound_wq	system_dfl_wq
#else
#define cgshare_unbound_wq	system_unbound_wq
#endif

#endif
