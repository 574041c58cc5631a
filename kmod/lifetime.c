// SPDX-License-Identifier: GPL-2.0
/*
 * Records follow cgroups: created on the cgroup_mkdir tracepoint, removed
 * on cgroup_rmdir, and for cgroups that predate the module, by one walk of
 * the hierarchy at load. A removed record is handed, with its final
 * counters, to the release hook (the notification) from a worker, then
 * freed.
 */
#include <linux/cgroup.h>
#include <linux/workqueue.h>
#include "compat.h"
#include "cpu.h"
#include "gpu.h"
#include "ledger.h"
#include "lifetime.h"
#include "memory.h"
#include "tracepoint.h"

#define SCAN_BATCH	32	/* cgroups referenced at once by the scan */

static cgshare_release_fn release_hook;
static LLIST_HEAD(release_list);

static void release_work_fn(struct work_struct *work)
{
	struct llist_node *batch, *node, *next;
	struct cgshare_rec *rec;

	batch = llist_reverse_order(llist_del_all(&release_list));
	if (!batch)
		return;
	/* No lookup that could still find these records is running now. */
	synchronize_rcu();
	llist_for_each_entry(rec, batch, node)
		cgshare_cpu_forget(rec);
	/*
	 * Nor a charge that took one from a CPU's cache: the last flush folds
	 * all they were charged into their ancestors, and leaves none of them
	 * on a CPU's list. Children die first and are flushed no later than
	 * their parents, so a parent is never freed before a child's last
	 * flush has reached it.
	 */
	synchronize_rcu();
	cgshare_ledger_flush();
	llist_for_each_safe(node, next, batch) {
		rec = llist_entry(node, struct cgshare_rec, node);
		release_hook(rec);
		cgshare_gpu_release(rec);
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
 * from a worker, which finds them by walking the hierarchy: deferring
 * needs no memory, so no cgroup is ever left without a record for good.
 * Until then their tasks are charged to the nearest ancestor with a
 * record, and readers wait for the worker. A worker that runs out of
 * memory too tries again a second later, or at the next read.
 */
static atomic64_t nr_deferred;
static s64 scanned;		/* nr_deferred that the last full scan covered */

static void create_work_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(create_work, create_work_fn);

static void defer(void)
{
	atomic64_inc(&nr_deferred);
	mod_delayed_work(cgshare_unbound_wq, &create_work, 0);
}

/* Up to @n live cgroups without a record, referenced, parents first. */
static unsigned int find_missing(struct cgroup **out, unsigned int n)
{
	struct cgroup_subsys_state *css;
	unsigned int found = 0;

	rcu_read_lock();
	css_for_each_descendant_pre(css, &cgrp_dfl_root.cgrp.self) {
		if (cgroup_removed(css->cgroup) || cgshare_rec_find(cgroup_id(css->cgroup)) ||
		    !cgroup_tryget(css->cgroup))
			continue;
		out[found++] = css->cgroup;
		if (found == n)
			break;
	}
	rcu_read_unlock();
	return found;
}

static void create_work_fn(struct work_struct *work)
{
	s64 seen = atomic64_read(&nr_deferred);
	struct cgroup *batch[SCAN_BATCH];
	unsigned int n, i;
	int ret = 0;

	pr_warn_once("cgshare: a cgroup record could not be allocated with interrupts off; a worker makes it\n");
	/* Deferrals counted after this read are left for the next run. */
	smp_mb();
	do {
		n = find_missing(batch, ARRAY_SIZE(batch));
		for (i = 0; i < n; i++) {
			if (!ret) {
				ret = add_live(batch[i], GFP_KERNEL);
				if (!ret)
					cgshare_rec_adopt(batch[i]);
			}
			cgroup_put(batch[i]);
		}
	} while (n == ARRAY_SIZE(batch) && !ret);

	if (ret) {
		pr_warn_once("cgshare: no memory for a cgroup record; trying again\n");
		queue_delayed_work(cgshare_unbound_wq, &create_work, HZ);
		return;
	}
	WRITE_ONCE(scanned, seen);
}

/* Records made before now are visible to a reader after this. */
void cgshare_lifetime_sync(void)
{
	if (atomic64_read(&nr_deferred) != READ_ONCE(scanned))
		flush_delayed_work(&create_work);
}

static void add_or_defer(struct cgroup *cgrp)
{
	if (add_live(cgrp, GFP_ATOMIC) == -ENOMEM)
		defer();
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

/* Records that could not be made with interrupts off, for status-get. */
u64 cgshare_lifetime_deferred(void)
{
	return atomic64_read(&nr_deferred);
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
	cgshare_lifetime_uninit();
	return ret;
}

/* The hooks go first: after them nothing queues either worker again. */
void cgshare_lifetime_uninit(void)
{
	cgshare_probes_unregister(probes, ARRAY_SIZE(probes));
	cancel_delayed_work_sync(&create_work);
	flush_work(&release_work);
}
