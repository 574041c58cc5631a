/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _CGSHARE_LEDGER_H
#define _CGSHARE_LEDGER_H

#include <linux/cgroup.h>
#include <linux/llist.h>
#include <linux/percpu.h>
#include <linux/spinlock.h>
#include <linux/u64_stats_sync.h>
#include <linux/xarray.h>
#include <linux/cgshare.h>

struct cgshare_cpu_sum {
	u64 usage_ns;
	u64 wait_ns;
	u64 switches;
};

struct cgshare_cpu_stat {
	u64_stats_t usage_ns;
	u64_stats_t wait_ns;
	u64_stats_t switches;
	struct u64_stats_sync sync;
};

/*
 * A record's CPU counters on one CPU. The hot path charges only the
 * record of the task's own cgroup, on the CPU it runs on, and puts the
 * slot on that CPU's list of updated slots; a flush (cgshare_ledger_flush())
 * takes each list and adds what each slot gained since its last flush to
 * the record and all its ancestors, as the kernel's rstat does for
 * cpu.stat. So charging costs the same at any depth, and reading costs
 * what changed, not records times CPUs.
 */
struct cgshare_cpu {
	struct cgshare_cpu_stat stat;	/* written only by its CPU, interrupts off */
	struct llist_node updated;	/* on its CPU's list; points to itself when off */
	struct cgshare_rec *rec;
	struct cgshare_cpu_sum flushed;	/* of stat, under cgshare_chain_lock */
};

DECLARE_PER_CPU(struct llist_head, cgshare_updated);

struct cgshare_mem {
	u64 current_bytes;
	u64 peak_bytes;
	u64 swap_bytes;
	u64 events[5];		/* low, high, max, oom, oom_kill */
};

struct cgshare_gpu_dev;

/* A record's path from the hierarchy's root: "/a/b". */
struct cgshare_path {
	u16 len;
	char s[];
};

/*
 * One live cgroup v2 cgroup. Published in the table from mkdir to rmdir.
 * Its CPU totals include its descendants' from the flush on; a removed
 * record is flushed a last time before it is freed, so ancestors keep what
 * it used and never go backwards when a child dies. Freed after the hot
 * path can no longer reach it (see lifetime.c).
 */
struct cgshare_rec {
	u64 id;
	struct cgroup *cgrp;		/* reference held until freed */
	struct cgshare_rec *parent;	/* nearest ancestor with a record */
	struct cgshare_cpu __percpu *cpu;
	struct cgshare_cpu_stat total;	/* its subtree, flushed; under the chain lock */
	atomic64_t usage_seen;		/* largest cpu usage a reader was given */

	/* Under cgshare_chain_lock, like parent. */
	unsigned int nr_gpu;
	unsigned int cap_gpu;
	struct cgshare_gpu_dev *gpu;	/* gpu.c's, freed with the record */

	/*
	 * Its path, made at its first read and kept for its life: cgroup v2
	 * cannot rename a cgroup (only v1 has a rename op), so the path
	 * never changes. NULL until then, and while there is no memory for
	 * it. Set once, by cmpxchg; freed with the record.
	 */
	struct cgshare_path *path;

	bool dead;
	bool has_final_mem;
	struct cgshare_mem final_mem;	/* memory when it was removed */

	struct llist_node node;		/* spare pool, then release list */
	struct rcu_head rcu;
};

/*
 * The chain lock: held to change any record's parent pointer, and by
 * whoever must see a chain that cannot change under it while it updates
 * every record on it at once (a GPU charge, which also keeps the GPU
 * tables under it, and the CPU flush). Taken with interrupts off: charges
 * come from any context but NMI.
 */
extern spinlock_t cgshare_chain_lock;

int cgshare_ledger_init(void);
void cgshare_ledger_uninit(void);

int cgshare_ledger_reserve(unsigned int n);
int cgshare_rec_add(struct cgroup *cgrp, gfp_t gfp);
struct cgshare_rec *cgshare_rec_unpublish(struct cgroup *cgrp);
void cgshare_rec_free(struct cgshare_rec *rec);
void cgshare_rec_adopt(struct cgroup *cgrp);

struct cgshare_rec *cgshare_rec_find(u64 id);
struct cgshare_rec *cgshare_rec_of_cgroup(struct cgroup *cgrp);
void cgshare_rec_walk_start(struct xa_state *xas, unsigned long id);
struct cgshare_rec *cgshare_rec_walk_next(struct xa_state *xas, unsigned long max);

void cgshare_ledger_flush(void);
void cgshare_rec_cpu_sum(const struct cgshare_rec *rec, struct cgshare_cpu_sum *sum);
u64 cgshare_rec_usage_seen(struct cgshare_rec *rec, u64 usage);

u32 cgshare_ledger_generation(void);
u64 cgshare_ledger_max_id(void);
u32 cgshare_ledger_count(void);
u64 cgshare_ledger_alloc_failed(void);

/*
 * Charges @rec on this CPU, from the scheduler tracepoints (interrupts
 * off). The counts are made before the slot's list is tested: the flush
 * takes a slot off its list before it reads the counts, so either it reads
 * them or this CPU puts the slot back (the two barriers pair).
 */
static inline void cgshare_rec_charge(struct cgshare_rec *rec, u64 usage, u64 wait,
				      u64 switches)
{
	struct cgshare_cpu *c = this_cpu_ptr(rec->cpu);

	u64_stats_update_begin(&c->stat.sync);
	u64_stats_add(&c->stat.usage_ns, usage);
	u64_stats_add(&c->stat.wait_ns, wait);
	u64_stats_add(&c->stat.switches, switches);
	u64_stats_update_end(&c->stat.sync);
	smp_mb();
	if (READ_ONCE(c->updated.next) == &c->updated)
		llist_add(&c->updated, this_cpu_ptr(&cgshare_updated));
}

#endif
