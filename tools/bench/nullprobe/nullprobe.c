// SPDX-License-Identifier: GPL-2.0
/*
 * cgshare_nullprobe: a benchmark baseline, not part of cgshare.  It attaches
 * empty probes to the two scheduler tracepoints cgshare.ko uses, so that
 * `make bench` can tell the price of the tracepoint calls themselves from
 * the price of what cgshare does inside them.
 */
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/tracepoint.h>
#include <linux/version.h>

static void probe_switch(void *data, bool preempt, struct task_struct *prev,
			 struct task_struct *next, unsigned int prev_state)
{
}

/* 6.8 dropped the vruntime argument of sched_stat_runtime. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 8, 0)
static void probe_runtime(void *data, struct task_struct *tsk, u64 runtime)
#else
static void probe_runtime(void *data, struct task_struct *tsk, u64 runtime, u64 vruntime)
#endif
{
}

static struct {
	const char *name;
	void *func;
	struct tracepoint *tp;
} probes[] = {
	{ "sched_switch", probe_switch },
	{ "sched_stat_runtime", probe_runtime },
};

static void find(struct tracepoint *tp, void *unused)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(probes); i++)
		if (!strcmp(tp->name, probes[i].name))
			probes[i].tp = tp;
}

static void detach(int n)
{
	while (n--)
		tracepoint_probe_unregister(probes[n].tp, probes[n].func, NULL);
	tracepoint_synchronize_unregister();
}

static int __init nullprobe_init(void)
{
	int i, ret;

	for_each_kernel_tracepoint(find, NULL);
	for (i = 0; i < ARRAY_SIZE(probes); i++) {
		ret = probes[i].tp ? tracepoint_probe_register(probes[i].tp, probes[i].func, NULL)
				   : -ENOENT;
		if (ret) {
			detach(i);
			return ret;
		}
	}
	return 0;
}

static void __exit nullprobe_exit(void)
{
	detach(ARRAY_SIZE(probes));
}

module_init(nullprobe_init);
module_exit(nullprobe_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Empty probes on sched_switch and sched_stat_runtime (benchmark baseline)");
