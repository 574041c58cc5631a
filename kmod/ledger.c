// SPDX-License-Identifier: GPL-2.0
/*
 * The record store: an xarray keyed by cgroup id, read under RCU from
 * tracepoints and netlink, written from the cgroup mkdir/rmdir tracepoints.
 * Those run with interrupts off, so records come from a spare pool that a
 * worker refills with GFP_KERNEL, with GFP_ATOMIC only as a fallback.
 */
#include <linux/error-injection.h>
#include <linux/slab.h>
#include <linux/percpu.h>
#include <linux/xarray.h>
#include <linux/workqueue.h>
#include "ledger.h"

#define POOL_LOW	128
#define POOL_HIGH	512

DEFINE_SPINLOCK(cgshare_chain_lock);
DEFINE_PER_CPU(struct llist_head, cgshare_updated);

static DEFINE_XARRAY(table);
#define REC_MARK	XA_MARK_0	/* on every record, for cgshare_rec_next() */
static struct kmem_cache *rec_cache;
static atomic_t generation = ATOMIC_INIT(1);
static atomic_t nr_recs;
static atomic64_t max_id;
static atomic64_t alloc_failed;		/* where we could sleep */

static DEFINE_SPINLOCK(pool_lock);
static LLIST_HEAD(pool);
static unsigned int pool_len;
static void pool_refill(struct work_struct *work);
static DECLARE_WORK(refill_work, pool_refill);

/*
 * The allocation helpers are noinline and open to fail_function, so that
 * each allocation path can be made to fail on its own in the tests.
 */
static noinline struct cgshare_cpu __percpu *rec_cpu_alloc(gfp_t gfp)
{
	return alloc_percpu_gfp(struct cgshare_cpu, gfp | __GFP_NOWARN);
}
ALLOW_ERROR_INJECTION(rec_cpu_alloc, NULL);

static noinline struct cgshare_rec *rec_alloc(gfp_t gfp)
{
	struct cgshare_rec *rec;
	int cpu;

	rec = kmem_cache_zalloc(rec_cache, gfp | __GFP_NOWARN);
	if (!rec)
		return NULL;
	rec->cpu = rec_cpu_alloc(gfp);
	if (!rec->cpu) {
		kmem_cache_free(rec_cache, rec);
		return NULL;
	}
	for_each_possible_cpu(cpu) {
		struct cgshare_cpu *c = per_cpu_ptr(rec->cpu, cpu);

		u64_stats_init(&c->stat.sync);
		c->updated.next = &c->updated;
		c->rec = rec;
	}
	u64_stats_init(&rec->total.sync);
	return rec;
}
ALLOW_ERROR_INJECTION(rec_alloc, NULL);

static void rec_free(struct cgshare_rec *rec)
{
	free_percpu(rec->cpu);
	kfree(rec->gpu);
	kfree(rec->path);
	kmem_cache_free(rec_cache, rec);
}

static void pool_put(struct cgshare_rec *rec)
{
	unsigned long flags;

	spin_lock_irqsave(&pool_lock, flags);
	llist_add(&rec->node, &pool);
	pool_len++;
	spin_unlock_irqrestore(&pool_lock, flags);
}

/* A spare record, or NULL when the pool is empty. */
static noinline struct cgshare_rec *pool_get(void)
{
	struct llist_node *node;
	unsigned long flags;
	bool low;

	spin_lock_irqsave(&pool_lock, flags);
	node = llist_del_first(&pool);
	if (node)
		pool_len--;
	low = pool_len < POOL_LOW;
	spin_unlock_irqrestore(&pool_lock, flags);
	if (low)
		schedule_work(&refill_work);
	return node ? llist_entry(node, struct cgshare_rec, node) : NULL;
}
ALLOW_ERROR_INJECTION(pool_get, NULL);

static int pool_fill(unsigned int want)
{
	struct cgshare_rec *rec;

	while (READ_ONCE(pool_len) < want) {
		rec = rec_alloc(GFP_KERNEL);
		if (!rec)
			return -ENOMEM;
		pool_put(rec);
	}
	return 0;
}

static void pool_refill(struct work_struct *work)
{
	if (pool_fill(POOL_HIGH)) {
		atomic64_inc(&alloc_failed);
		pr_warn_once("cgshare: no memory to refill the spare records\n");
	}
}

int cgshare_ledger_reserve(unsigned int n)
{
	return pool_fill(n + POOL_LOW);
}

/* Nearest record at or above @cgrp. */
struct cgshare_rec *cgshare_rec_of_cgroup(struct cgroup *cgrp)
{
	struct cgshare_rec *rec;

	RCU_LOCKDEP_WARN(!rcu_read_lock_any_held(), "cgshare record lookup outside RCU");
	for (; cgrp; cgrp = cgroup_parent(cgrp)) {
		rec = xa_load(&table, cgroup_id(cgrp));
		if (rec)
			return rec;
	}
	return NULL;
}

/* Records are freed a grace period after they leave the table. */
struct cgshare_rec *cgshare_rec_find(u64 id)
{
	RCU_LOCKDEP_WARN(!rcu_read_lock_any_held(), "cgshare record lookup outside RCU");
	return xa_load(&table, id);
}

/*
 * A walk over the published records in id order, under RCU. Cgroup ids
 * are kernfs node ids, shared with every file of every cgroup, so records
 * lie some tens of slots apart: a search for any present entry would test
 * those slots one by one, while a mark is found in the node's bitmap
 * (13 % of a `stats -r` read's instructions went to the slot-by-slot
 * search, profiled). And one xa_state serves the whole walk: each step
 * goes on in the node where the last record was found, where a search
 * from an id descends from the root again for every record (5 % of the
 * same read, profiled again with the marks).
 */
void cgshare_rec_walk_start(struct xa_state *xas, unsigned long id)
{
	*xas = (struct xa_state)__XA_STATE(&table, id, 0, 0);
}

/* The next record with an id of at most @max after the last one, or NULL. */
struct cgshare_rec *cgshare_rec_walk_next(struct xa_state *xas, unsigned long max)
{
	void *entry;

	RCU_LOCKDEP_WARN(!rcu_read_lock_any_held(), "cgshare record walk outside RCU");
	do {
		entry = xas_find_marked(xas, max, REC_MARK);
	} while (xas_retry(xas, entry));
	return entry;
}

static void raise_max_id(u64 id)
{
	s64 old = atomic64_read(&max_id);

	while ((u64)old < id && !atomic64_try_cmpxchg(&max_id, &old, id))
		;
}

/*
 * Largest id ever published. Cgroup ids only grow (kernfs puts a wrap
 * generation in the upper half), so a dump that stops here ends even
 * while cgroups keep being created behind its cursor.
 */
u64 cgshare_ledger_max_id(void)
{
	return atomic64_read(&max_id);
}

int cgshare_rec_add(struct cgroup *cgrp, gfp_t gfp)
{
	struct cgshare_rec *rec;
	int ret;

	if (cgrp->root != &cgrp_dfl_root)
		return 0;

	rec = pool_get();
	if (!rec)
		rec = rec_alloc(gfp);
	if (!rec) {
		if (gfpflags_allow_blocking(gfp))
			atomic64_inc(&alloc_failed);
		return -ENOMEM;
	}
	rec->id = cgroup_id(cgrp);
	rec->cgrp = cgrp;
	rcu_read_lock();
	rec->parent = cgshare_rec_of_cgroup(cgroup_parent(cgrp));
	rcu_read_unlock();
	cgroup_get(cgrp);

	xa_lock(&table);
	ret = __xa_insert(&table, rec->id, rec, gfp | __GFP_NOWARN);
	if (!ret)
		__xa_set_mark(&table, rec->id, REC_MARK);
	xa_unlock(&table);
	if (ret) {
		cgroup_put(cgrp);
		pool_put(rec);
		if (ret == -ENOMEM && gfpflags_allow_blocking(gfp))
			atomic64_inc(&alloc_failed);
		return ret == -EBUSY ? 0 : ret;
	}
	atomic_inc(&nr_recs);
	atomic_inc(&generation);
	raise_max_id(rec->id);
	return 0;
}

/*
 * A record made late (see lifetime.c) for @cgrp: descendants that got
 * records meanwhile point past it; point them at it. Their earlier use is
 * in the ancestors above, not in it (a flush folds it there first; what
 * they use between that flush and the new parent pointers counts in it).
 */
void cgshare_rec_adopt(struct cgroup *cgrp)
{
	struct cgroup_subsys_state *css;
	struct cgshare_rec *rec, *d;
	unsigned long flags;

	cgshare_ledger_flush();
	spin_lock_irqsave(&cgshare_chain_lock, flags);
	rcu_read_lock();
	rec = xa_load(&table, cgroup_id(cgrp));
	if (rec) {
		css_for_each_descendant_pre(css, &cgrp->self) {
			d = css->cgroup == cgrp ? NULL : xa_load(&table, cgroup_id(css->cgroup));
			if (d && d->parent == rec->parent)
				WRITE_ONCE(d->parent, rec);
		}
	}
	rcu_read_unlock();
	spin_unlock_irqrestore(&cgshare_chain_lock, flags);
}

/*
 * Takes @cgrp's record out of the table and marks it dead; lookups that
 * started before may still hold it until a grace period has passed. The
 * caller owns it: it must end with cgshare_rec_free().
 */
struct cgshare_rec *cgshare_rec_unpublish(struct cgroup *cgrp)
{
	struct cgshare_rec *rec;

	/* Ids are per hierarchy: a v1 cgroup's id may equal one of ours. */
	if (cgrp->root != &cgrp_dfl_root)
		return NULL;
	rec = xa_erase(&table, cgroup_id(cgrp));
	if (!rec)
		return NULL;
	atomic_dec(&nr_recs);
	atomic_inc(&generation);
	WRITE_ONCE(rec->dead, true);
	return rec;
}

static void rec_free_rcu(struct rcu_head *head)
{
	struct cgshare_rec *rec = container_of(head, struct cgshare_rec, rcu);

	cgroup_put(rec->cgrp);
	rec_free(rec);
}

/* The last step of a record's life. */
void cgshare_rec_free(struct cgshare_rec *rec)
{
	call_rcu(&rec->rcu, rec_free_rcu);
}

static void stat_read(const struct cgshare_cpu_stat *st, struct cgshare_cpu_sum *sum)
{
	unsigned int start;

	do {
		start = u64_stats_fetch_begin(&st->sync);
		sum->usage_ns = u64_stats_read(&st->usage_ns);
		sum->wait_ns = u64_stats_read(&st->wait_ns);
		sum->switches = u64_stats_read(&st->switches);
	} while (u64_stats_fetch_retry(&st->sync, start));
}

/* Adds what @c gained since its last flush to its record and the ancestors. */
static void flush_slot(struct cgshare_cpu *c)
{
	struct cgshare_cpu_sum now, d;
	struct cgshare_rec *rec;

	stat_read(&c->stat, &now);
	d.usage_ns = now.usage_ns - c->flushed.usage_ns;
	d.wait_ns = now.wait_ns - c->flushed.wait_ns;
	d.switches = now.switches - c->flushed.switches;
	c->flushed = now;
	if (!d.usage_ns && !d.wait_ns && !d.switches)
		return;
	for (rec = c->rec; rec; rec = rec->parent) {
		u64_stats_update_begin(&rec->total.sync);
		u64_stats_add(&rec->total.usage_ns, d.usage_ns);
		u64_stats_add(&rec->total.wait_ns, d.wait_ns);
		u64_stats_add(&rec->total.switches, d.switches);
		u64_stats_update_end(&rec->total.sync);
	}
}

/*
 * Folds the slots charged since the last flush into the totals, one CPU's
 * list at a time under the chain lock (so parents cannot change meanwhile,
 * and a record's last flush, which takes every lock in turn, knows none of
 * its slots is still being folded). Counts charged during the flush are
 * either folded by it or left on a list for the next one.
 */
void cgshare_ledger_flush(void)
{
	struct llist_node *list, *node, *next;
	unsigned long flags;
	int cpu;

	for_each_possible_cpu(cpu) {
		struct llist_head *head = per_cpu_ptr(&cgshare_updated, cpu);

		if (llist_empty(head))
			continue;
		spin_lock_irqsave(&cgshare_chain_lock, flags);
		list = llist_del_all(head);
		llist_for_each_safe(node, next, list) {
			/* Off its list first; its CPU may put it back now. */
			WRITE_ONCE(node->next, node);
			/* Pairs with the barrier in cgshare_rec_charge(). */
			smp_mb();
			flush_slot(llist_entry(node, struct cgshare_cpu, updated));
		}
		spin_unlock_irqrestore(&cgshare_chain_lock, flags);
	}
}

/* @rec's CPU counters, its subtree included, as of the last flush. */
void cgshare_rec_cpu_sum(const struct cgshare_rec *rec, struct cgshare_cpu_sum *sum)
{
	stat_read(&rec->total, sum);
}

/*
 * The running slice a read adds is an estimate from another CPU's clock;
 * never hand out less than an earlier reader was given.
 */
u64 cgshare_rec_usage_seen(struct cgshare_rec *rec, u64 usage)
{
	s64 old = atomic64_read(&rec->usage_seen);

	do {
		if ((u64)old >= usage)
			return old;
	} while (!atomic64_try_cmpxchg(&rec->usage_seen, &old, usage));
	return usage;
}

u32 cgshare_ledger_generation(void)
{
	return atomic_read(&generation);
}

u32 cgshare_ledger_count(void)
{
	return atomic_read(&nr_recs);
}

/* Records that could not be allocated where the allocation could sleep. */
u64 cgshare_ledger_alloc_failed(void)
{
	return atomic64_read(&alloc_failed);
}

int cgshare_ledger_init(void)
{
	rec_cache = KMEM_CACHE(cgshare_rec, 0);
	if (!rec_cache)
		return -ENOMEM;
	return 0;
}

void cgshare_ledger_uninit(void)
{
	struct llist_node *node, *next;
	struct cgshare_rec *rec;
	unsigned long id;

	/* Probes are gone; whatever is still published dies with us, silently. */
	xa_for_each(&table, id, rec) {
		xa_erase(&table, id);
		atomic_dec(&nr_recs);
		cgshare_rec_free(rec);
	}
	cancel_work_sync(&refill_work);
	llist_for_each_safe(node, next, llist_del_all(&pool))
		rec_free(llist_entry(node, struct cgshare_rec, node));
	pool_len = 0;
	rcu_barrier();
	WARN(atomic_read(&nr_recs), "cgshare: %d records leaked\n", atomic_read(&nr_recs));
	kmem_cache_destroy(rec_cache);
}
