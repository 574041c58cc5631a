// SPDX-License-Identifier: GPL-2.0
/*
 * cgshare: a per-cgroup ledger of CPU time, run-queue wait, memory and GPU
 * use, served over the "cgshare" generic netlink family.
 */
#include <linux/module.h>
#include <net/genetlink.h>
#include <linux/cgshare.h>
#include "cpu.h"
#include "bpf.h"
#include "gpu.h"
#include "ledger.h"
#include "lifetime.h"
#include "netlink.h"

static int __init cgshare_init(void)
{
	int ret;

	ret = cgshare_ledger_init();
	if (ret)
		goto err_ledger;
	ret = cgshare_netlink_init();
	if (ret)
		goto err_netlink;
	ret = cgshare_lifetime_init(cgshare_nl_notify_release);
	if (ret)
		goto err_lifetime;
	ret = cgshare_cpu_init();
	if (ret)
		goto err_cpu;
	/* Last: a kfunc set cannot be unregistered if a later step failed. */
	cgshare_bpf_init();

	pr_info("cgshare %s: %u cgroups\n", CGSHARE_VERSION, cgshare_ledger_count());
	return 0;

err_cpu:
	cgshare_lifetime_uninit();
err_lifetime:
	cgshare_netlink_uninit();
	cgshare_gpu_uninit();
err_netlink:
	cgshare_ledger_uninit();
err_ledger:
	return ret;
}

static void __exit cgshare_exit(void)
{
	cgshare_cpu_uninit();
	cgshare_lifetime_uninit();
	cgshare_netlink_uninit();
	cgshare_gpu_uninit();
	cgshare_ledger_uninit();
}

module_init(cgshare_init);
module_exit(cgshare_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Per-cgroup CPU, memory and GPU ledger over generic netlink");
MODULE_VERSION(CGSHARE_VERSION);
MODULE_ALIAS_GENL_FAMILY(CGSHARE_FAMILY_NAME);
