/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kfunc cgshare.ko offers to BPF tracing programs, shared by the module
 * (kmod/bpf.c) and the collectors (the .bpf.c files here). Both sides see the same
 * layout; the verifier checks the argument against the module's BTF.
 *
 *   int cgshare_gpu_account(struct cgshare_gpu_usage *u);
 *
 * adds busy_ns and queue_ns to device dev of cgroup cgroup_id (a cgroup v2
 * id, as bpf_get_current_cgroup_id() returns) and to its ancestors.
 * Returns 0, or -ENOENT (no live cgroup with that id), -EINVAL (dev empty,
 * unterminated or with bytes other than ASCII letters, digits and :._-),
 * -ENOSPC (a record on the chain already holds gpu_dev_max other devices),
 * -EOVERFLOW (a counter of the cgroup or an ancestor would wrap), -ENOMEM,
 * -EBUSY (called in NMI). On error nothing is charged; the module counts
 * refusals in status-get.
 */
#ifndef CGSHARE_KFUNC_H
#define CGSHARE_KFUNC_H

#define CGSHARE_KF_DEV_LEN	32	/* = CGSHARE_DEV_NAME_LEN */

struct cgshare_gpu_usage {
	__u64 cgroup_id;
	__u64 busy_ns;
	__u64 queue_ns;
	char dev[CGSHARE_KF_DEV_LEN];
};

#endif
