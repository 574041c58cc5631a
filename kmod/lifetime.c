// SPDX-License-Identifier: GPL-2.0
/*
 * Records follow cgroups: created on the cgroup_mkdir tracepoint, removed
 * on cgroup_rmdir, and for cgroups that predate the module, by one walk of
 * the hierarchy at load. A removed record is handed, with its final
 * counters, to the release hook (the notification) from a worker, then
 * freed.
 */
#include <linux/cgroup.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include "cpu.h"
#include "gpu.h"
#include "ledger.h"
#include "lifetime.h"
#include "memory.h"
#include "tracepoint.h"

static cgshare_release_fn release_hook;
static LLIST_HEAD(release_list);

static void release_work_fn(struct work_struct *work)
{
	struct llist_node *batch, *node, *next;
	struct cgshare_rec *rec;

	batch = llist_reverse_order(llist_del_all(&release_list));
	if (!batch)
		return;
	llist_for_each_entry(rec, batch, node) {
		release_hook(rec);
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

/*
 * The removal sequence: out of the table, final memory read while the
 * cgroup still has it, then notification and freeing from the worker.
 * Runs with interrupts off from the rmdir tracepoint, or when a cgroup
 * went away while its record was being added.
 */
static void remove_rec(struct cgroup *cgrp)
{
	struct cgshare_rec *rec = cgshare_rec_unpublish(cgrp);

	if (!rec)
		return;
	rcu_read_lock();
	rec->has_final_mem = cgshare_mem_read(cgrp, &rec->final_mem);
	rcu_read_unlock();
	llist_add(&rec->node, &release_list);
	schedule_work(&release_work);
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

/* Adds a record for @cgrp unless it is being removed; 0 or -ENOMEM. */
static int add_live(struct cgroup *cgrp, gfp_t gfp)
{
	int ret;

	if (cgroup_removed(cgrp))
		return 0;
	ret = cgshare_rec_add(cgrp, gfp);
	/*
	 * An rmdir between the check above and the insert found no record
	 * to remove; pair with its flag and take it out here.
	 */
	smp_mb();
	if (cgroup_removed(cgrp))
		remove_rec(cgrp);
	return ret;
}

/*
 * Cgroups whose record could not be allocated with interrupts off get one
 * from a worker; until then their tasks are charged to the nearest
 * ancestor with a record, and readers wait for the worker.
 */
struct deferred {
	struct llist_node node;
	struct cgroup *cgrp;
};

static LLIST_HEAD(deferred_list);

static void create_work_fn(struct work_struct *work)
{
	struct llist_node *node, *next;
	struct deferred *d;

	llist_for_each_safe(node, next, llist_del_all(&deferred_list)) {
		d = llist_entry(node, struct deferred, node);
		if (add_live(d->cgrp, GFP_KERNEL) == 0)
			cgshare_rec_adopt(d->cgrp);
		else
			pr_warn_ratelimited("cgshare: no memory for a cgroup record\n");
		cgroup_put(d->cgrp);
		kfree(d);
	}
}

static DECLARE_WORK(create_work, create_work_fn);

static void add_or_defer(struct cgroup *cgrp)
{
	struct deferred *d;

	if (add_live(cgrp, GFP_ATOMIC) != -ENOMEM)
		return;
	d = kmalloc(sizeof(*d), GFP_ATOMIC | __GFP_NOWARN);
	if (!d) {
		pr_warn_ratelimited("cgshare: no memory for a cgroup record\n");
		return;
	}
	cgroup_get(cgrp);
	d->cgrp = cgrp;
	llist_add(&d->node, &deferred_list);
	schedule_work(&create_work);
}

/* Records made before now are visible to a reader after this. */
void cgshare_lifetime_sync(void)
{
	if (!llist_empty(&deferred_list) || work_pending(&create_work))
		flush_work(&create_work);
}

/* Both run under trace_cgroup_path_lock with interrupts off. */
static void probe_mkdir(void *data, struct cgroup *cgrp, const char *path)
{
	if (cgrp->root == &cgrp_dfl_root)
		add_or_defer(cgrp);
}

static void probe_rmdir(void *data, struct cgroup *cgrp, const char *path)
{
	remove_rec(cgrp);
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

static void add_existing(void)
{
	struct cgroup_subsys_state *css;

	rcu_read_lock();
	css_for_each_descendant_pre(css, &cgrp_dfl_root.cgrp.self)
		add_or_defer(css->cgroup);
	rcu_read_unlock();
}

int cgshare_lifetime_init(cgshare_release_fn release)
{
	int ret;

	release_hook = release;
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
	flush_work(&create_work);
	flush_work(&release_work);
}
