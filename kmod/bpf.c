// SPDX-License-Identifier: GPL-2.0
/*
 * The kfunc set for BPF tracing programs: the collectors in bpf/ charge GPU
 * time into the ledger directly from their tracepoints.
 *
 * A kfunc set can only be registered by a module that carries BTF, with the
 * set's ids filled in by resolve_btfids at build time. Either may be
 * missing (a kernel without module BTF, a build without vmlinux, pahole or
 * resolve_btfids): then the module works as before, the BPF GPU path is
 * off, and `status-get` says why. Sets cannot be unregistered; the kernel
 * drops them with the module's BTF, and a loaded program that calls a
 * kfunc holds a reference on the module, so the module cannot go away
 * under a program.
 */
#include <linux/bpf.h>
#include <linux/module.h>
#include <linux/string.h>
#include "bpf.h"
#include "compat.h"
#include "gpu.h"

static const char *off_reason = "not initialised";

__bpf_kfunc_start_defs();

__bpf_kfunc int cgshare_gpu_account(struct cgshare_gpu_usage *u)
{
	struct cgshare_gpu_charge ch = {};

	if (!u || !cgshare_gpu_dev_valid(u->dev, sizeof(u->dev), &ch.hash))
		return -EINVAL;
	ch.id = u->cgroup_id;
	ch.dev = u->dev;
	ch.busy_ns = u->busy_ns;
	ch.queue_ns = u->queue_ns;
	return cgshare_gpu_charge(&ch, NULL, NULL);
}

__bpf_kfunc_end_defs();

#if IS_ENABLED(CONFIG_DEBUG_INFO_BTF_MODULES) && IS_ENABLED(CONFIG_BPF_SYSCALL)
BTF_KFUNCS_START(cgshare_kfunc_ids)
BTF_ID_FLAGS(func, cgshare_gpu_account)
BTF_KFUNCS_END(cgshare_kfunc_ids)

static const struct btf_kfunc_id_set cgshare_kfunc_set = {
	.owner = THIS_MODULE,
	.set = &cgshare_kfunc_ids,
};

void cgshare_bpf_init(void)
{
	int ret;

	if (!THIS_MODULE->btf_data_size) {
		off_reason = "cgshare.ko was built without BTF (no vmlinux with BTF or no pahole at build time)";
	} else if (!cgshare_kfunc_ids.cnt || !cgshare_kfunc_ids.pairs[0].id) {
		off_reason = "cgshare.ko's kfunc ids are unresolved (no resolve_btfids at build time)";
	} else {
		ret = register_btf_kfunc_id_set(BPF_PROG_TYPE_TRACING, &cgshare_kfunc_set);
		off_reason = ret ? "the kernel refused the kfunc set (see the kernel log)" : NULL;
	}
	if (off_reason)
		pr_info("cgshare: BPF GPU path off: %s\n", off_reason);
}
#else
void cgshare_bpf_init(void)
{
	off_reason = "the kernel has no BPF or no module BTF (CONFIG_DEBUG_INFO_BTF_MODULES)";
	pr_info("cgshare: BPF GPU path off: %s\n", off_reason);
}
#endif

const char *cgshare_bpf_off_reason(void)
{
	return off_reason;
}
