// SPDX-License-Identifier: GPL-2.0
/*
 * Records follow cgroups: created on the cgroup_mkdir tracepoint, removed
 * on cgroup_rmdir, and for cgroups that predate the module, by one walk of
 * the hierarchy at load. A removed record is reported on the notify group
 * with its final counters from a worker, then freed.
 */
#include <linux/cgroup.h>
#include <linux/workqueue.h>
#include "cpu.h"
#include "gpu.h"
#include "ledger.h"
#include "lifetime.h"
#include "netlink.h"
#include "tracepoint.h"

static LLIST_HEAD(release_list);

static void release_work_fn(struct work_struct *work)
{
	struct llist_node *batch, *node, *next;
	struct cgshare_rec *rec;

	batch = llist_reverse_order(llist_del_all(&release_list));
	if (!batch)
		return;
	llist_for_each_entry(rec, batch, node) {
		cgshare_nl_notify_release(rec);
		cgshare_gpu_release(rec);
	}
	/* No lookup that could still find these records is running now. */
	synchronize_rcu();
	llist_for_each_safe(node, next, batch) {
		rec = llist_entry(node, struct cgshare_rec, node);
		cgshare_cpu_forget(rec);
		cgshare_rec_free(rec);
	}
}

static DECLARE_WORK(release_work, release_work_fn);

void cgshare_lifetime_release(struct cgshare_rec *rec)
{
	llist_add(&rec->node, &release_list);
	schedule_work(&release_work);
}

/* Both run under trace_cgroup_path_lock with interrupts off. */
static void probe_mkdir(void *data, struct cgroup *cgrp, const char *path)
{
	cgshare_rec_add(cgrp, GFP_ATOMIC);
}

static void probe_rmdir(void *data, struct cgroup *cgrp, const char *path)
{
	cgshare_rec_remove(cgrp);
}

static struct cgshare_probe probes[] = {
	{ .name = "cgroup_mkdir", .func = probe_mkdir },
	{ .name = "cgroup_rmdir", .func = probe_rmdir },
};

static unsigned int count_cgroups(void)
{
	struct cgroup_subsys_state *css;
	unsigned int n = 0;

	rcu_read_lock();
	css_for_each_descendant_pre(css, &cgrp_dfl_root.cgrp.self)
		n++;
	rcu_read_unlock();
	return n;
}

/*
 * cgroup_destroy_locked() clears CSS_ONLINE on the cgroup's own css before
 * the rmdir tracepoint. (css_is_dying() does not tell: on 6.12 it tests
 * CSS_DYING, which only controller states get.)
 */
static bool cgroup_removed(struct cgroup *cgrp)
{
	return !(READ_ONCE(cgrp->self.flags) & CSS_ONLINE);
}

static void add_existing(void)
{
	struct cgroup_subsys_state *css;

	rcu_read_lock();
	css_for_each_descendant_pre(css, &cgrp_dfl_root.cgrp.self) {
		if (cgroup_removed(css->cgroup))
			continue;
		cgshare_rec_add(css->cgroup, GFP_ATOMIC);
		/*
		 * An rmdir between the check above and the insert found no
		 * record to remove; pair with its flag and take it out here.
		 */
		smp_mb();
		if (cgroup_removed(css->cgroup))
			cgshare_rec_remove(css->cgroup);
	}
	rcu_read_unlock();
}

int cgshare_lifetime_init(void)
{
	int ret;

	/* Hooks first, so no cgroup made during the walk is missed. */
	ret = cgshare_probes_register(probes, ARRAY_SIZE(probes));
	if (ret)
		return ret;
	ret = cgshare_ledger_reserve(count_cgroups());
	if (ret)
		goto err_probes;
	add_existing();
	return 0;

err_probes:
	cgshare_probes_unregister(probes, ARRAY_SIZE(probes));
	return ret;
}

void cgshare_lifetime_uninit(void)
{
	cgshare_probes_unregister(probes, ARRAY_SIZE(probes));
	flush_work(&release_work);
}
