// SPDX-License-Identifier: GPL-2.0
/*
 * The scheduler and cgroup tracepoints cgshare needs are not exported to
 * modules by symbol, so they are found by name among the kernel's own
 * tracepoints, the way out-of-tree tracers do it.
 */
#include <linux/tracepoint.h>
#include "tracepoint.h"

struct lookup {
	struct cgshare_probe *probes;
	unsigned int n;
};

static void match(struct tracepoint *tp, void *priv)
{
	struct lookup *l = priv;
	unsigned int i;

	for (i = 0; i < l->n; i++)
		if (!strcmp(tp->name, l->probes[i].name))
			l->probes[i].tp = tp;
}

int cgshare_probes_register(struct cgshare_probe *probes, unsigned int n)
{
	struct lookup l = { .probes = probes, .n = n };
	unsigned int i;
	int ret;

	for (i = 0; i < n; i++)
		probes[i].tp = NULL;
	for_each_kernel_tracepoint(match, &l);

	for (i = 0; i < n; i++) {
		if (!probes[i].tp) {
			pr_err("cgshare: kernel has no tracepoint %s\n", probes[i].name);
			ret = -ENOENT;
			goto err_unwind;
		}
		ret = tracepoint_probe_register(probes[i].tp, probes[i].func, NULL);
		if (ret) {
			pr_err("cgshare: cannot attach to %s: %d\n", probes[i].name, ret);
			goto err_unwind;
		}
	}
	return 0;

err_unwind:
	cgshare_probes_unregister(probes, i);
	return ret;
}

void cgshare_probes_unregister(struct cgshare_probe *probes, unsigned int n)
{
	while (n--)
		tracepoint_probe_unregister(probes[n].tp, probes[n].func, NULL);
	/* No probe may still be running when our code or data goes away. */
	tracepoint_synchronize_unregister();
}
