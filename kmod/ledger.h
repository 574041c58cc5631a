/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _CGSHARE_LEDGER_H
#define _CGSHARE_LEDGER_H

#include <linux/cgroup.h>
#include <linux/llist.h>
#include <linux/spinlock.h>
#include <linux/u64_stats_sync.h>
#include <linux/cgshare.h>

/* Written only by the CPU it belongs to, from scheduler tracepoints. */
struct cgshare_cpu {
	u64_stats_t usage_ns;
	u64_stats_t wait_ns;
	u64_stats_t switches;
	struct u64_stats_sync sync;
};

struct cgshare_cpu_sum {
	u64 usage_ns;
	u64 wait_ns;
	u64 switches;
};

struct cgshare_mem {
	u64 current_bytes;
	u64 peak_bytes;
	u64 swap_bytes;
	u64 events[5];		/* low, high, max, oom, oom_kill */
};

struct cgshare_gpu_dev;

/*
 * One live cgroup v2 cgroup. Published in the table from mkdir to rmdir;
 * counters are charged to the record and all its ancestors, so each one
 * already includes its descendants and never goes backwards when a child
 * dies. Freed an RCU grace period after removal.
 */
struct cgshare_rec {
	u64 id;
	struct cgroup *cgrp;		/* reference held until freed */
	struct cgshare_rec *parent;	/* nearest ancestor with a record */
	struct cgshare_cpu __percpu *cpu;
	atomic64_t usage_seen;		/* largest cpu usage a reader was given */

	/* Under cgshare_chain_lock, like parent. */
	unsigned int nr_gpu;
	unsigned int cap_gpu;
	struct cgshare_gpu_dev *gpu;	/* gpu.c's, freed with the record */

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
 * tables under it). Taken with interrupts off: charges come from any
 * context but NMI.
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
struct cgshare_rec *cgshare_rec_next(unsigned long *id);

void cgshare_rec_cpu_sum(const struct cgshare_rec *rec, struct cgshare_cpu_sum *sum);
u64 cgshare_rec_usage_seen(struct cgshare_rec *rec, u64 usage);

u32 cgshare_ledger_generation(void);
u64 cgshare_ledger_max_id(void);
u32 cgshare_ledger_count(void);
u64 cgshare_ledger_alloc_failed(void);

#endif
