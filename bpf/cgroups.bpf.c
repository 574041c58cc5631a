// SPDX-License-Identifier: GPL-2.0
/*
 * What a module cannot read of a cgroup, for `cgsharectl` to merge into
 * the ledger's records: the CPU controller's settings and throttling
 * (kept in the scheduler's private task_group) and the memory.stat
 * breakdown (private counters, and a flush no module may call).
 *
 * A cgroup iterator walks the whole tree, pre-order from the root, and
 * leaves one record per cgroup in the array `records`, the n-th cgroup of
 * the walk in slot n: netlink attributes of the spec's cgroup set, as the
 * module sends them. It writes nothing to the file per cgroup: a cgroup
 * iterator gets one buffer (32 KiB) per session, since it drops
 * cgroup_mutex between reads, and the records of a large host do not fit.
 * After the walk it writes one struct cgs_iter_sum, so one read(2) of the
 * pinned iterator refreshes the records and says which session wrote
 * them, how many, and how many cgroups found no room (the array full: the
 * reader says so, and `bpf pin` re-sizes it). Readers map the array
 * (BPF_F_MMAPABLE) and read the records in place; see cgroup_iter.h for
 * how a reader tells a record another walk rewrote under it.
 *
 * One object for every kernel, told apart by CO-RE and by which kfuncs
 * the kernel has (cgsharectl loads one of the three programs):
 *
 *   cgroups_rstat  6.1 to 6.15: cgroup_rstat_flush() of the root, then
 *                  memory counters from memcg_vmstats
 *   cgroups_memcg  later kernels with the memcg kfuncs (6.19+): their
 *                  flush and page-state reads
 *   cgroups_plain  neither: memcg_vmstats as the kernel's own periodic
 *                  flush (every 2 s) left them
 */
#include "core_types.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <linux/cgshare.h>
#include "cgroup_iter.h"

char LICENSE[] SEC("license") = "GPL";

/* Set by cgsharectl before loading: the kernel's page size. */
const volatile __u64 page_size = 4096;

extern void cgroup_rstat_flush(struct cgroup *cgrp) __ksym __weak;
extern struct mem_cgroup *bpf_get_mem_cgroup(struct cgroup_subsys_state *css) __ksym __weak;
extern void bpf_put_mem_cgroup(struct mem_cgroup *memcg) __ksym __weak;
extern void bpf_mem_cgroup_flush_stats(struct mem_cgroup *memcg) __ksym __weak;
extern unsigned long bpf_mem_cgroup_page_state(struct mem_cgroup *memcg, int idx) __ksym __weak;
/* 6.11 and later keep only some items, at the slots this table gives. */
extern const void mem_cgroup_stats_index __ksym __weak;

/* The scheduler's private types, as CO-RE finds them in each kernel. */
struct cfs_bandwidth___cgs {
	__s64 period;
	__u64 quota;
	int nr_periods;
	int nr_throttled;
	__u64 throttled_time;
} __attribute__((preserve_access_index));

struct task_group___cgs {
	struct cgroup_subsys_state css;
	unsigned long shares;
	struct cfs_bandwidth___cgs cfs_bandwidth;
} __attribute__((preserve_access_index));

struct memcg_vmstats___cgs {
	long state[1];
} __attribute__((preserve_access_index));

struct mem_cgroup___cgs {
	struct cgroup_subsys_state css;
	struct memcg_vmstats___cgs *vmstats;
} __attribute__((preserve_access_index));

/*
 * Slot n holds the n-th cgroup of the last walk that reached n; `bpf pin`
 * sizes it from the cgroups there are, this is only the floor. The walks
 * themselves never overlap (the calls that visit a cgroup hold
 * cgroup_mutex), but a reader may still be copying a record when the
 * next walk rewrites it: each record says which session wrote it, stamped
 * before the rest (cgroup_iter.h).
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, CGS_ITER_RECORDS_MIN);
	__type(key, __u32);
	__type(value, struct cgs_iter_rec);
} records SEC(".maps");

/*
 * Each walk's state: where it finds the memory items (the same for every
 * walk, found at its first call) and what it counted. The calls that
 * visit a cgroup hold cgroup_mutex, but the last one (no cgroup: the
 * summary) runs after it is dropped, when another reader's walk may have
 * begun; so each session keeps its state in the slot of its id, and a
 * summary is written only from its own.
 */
struct walk {
	__u64 session;
	__u32 records, failed, flags;
	int slot[3];			/* anon, file, inactive_file; -1: none */
	int item[3];			/* their memcg_stat_item numbers */
};

#define WALK_SLOTS 64

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, WALK_SLOTS);
	__type(key, __u32);
	__type(value, struct walk);
} walks SEC(".maps");

/* This session's walk, started afresh when @start. */
static __always_inline struct walk *walk_of(struct bpf_iter_meta *meta, int start)
{
	__u32 k = meta->session_id % WALK_SLOTS;
	struct walk *w = bpf_map_lookup_elem(&walks, &k);

	if (w && start) {
		w->session = meta->session_id;
		w->records = w->failed = w->flags = 0;
	}
	return w && w->session == meta->session_id ? w : NULL;
}

enum { ANON, FILE, INACTIVE_FILE };

/* A "uint" attribute, always 8 bytes: header and value in 32-bit words. */
static __always_inline void put(struct cgs_iter_rec *r, __u16 type, __u64 v)
{
	__u64 off = r->len;
	__u32 *w;

	if (off > CGS_ITER_ATTRS_MAX - 12)
		return;
	/*
	 * The bound checked and the offset used in one 64-bit register: with
	 * puts in a row, clang otherwise checks one zero-extended copy of
	 * the length and indexes with another, which the verifier cannot
	 * tie to the check.
	 */
	barrier_var(off);
	w = (__u32 *)&r->attrs[off];
	w[0] = 12 | (__u32)type << 16;	/* struct nlattr: len, type */
	w[1] = (__u32)v;
	w[2] = v >> 32;
	r->len = off + 12;
}

/*
 * The cgroup the iterator hands over is a BTF pointer: its fields are
 * read directly (a load each, where bpf_probe_read_kernel() costs some
 * fifty instructions). The controllers' private structures around a css
 * are not in the css's type, so those go through probe reads, as few as
 * their layout allows (read_span()).
 */
static __always_inline struct cgroup_subsys_state *css_of(struct cgroup *cgrp, int id)
{
	return cgrp->subsys[id];
}

/*
 * One probe read of the @len bytes at @src into @buf (at most SPAN_MAX);
 * non-zero when the span is too long or the read fails.
 */
#define SPAN_MAX	32

static __always_inline int read_span(void *buf, __u32 len, const void *src)
{
	if (len > SPAN_MAX)
		return -1;
	return bpf_probe_read_kernel(buf, len, src);
}

/* The field at byte @off of a span read into @buf, as @type. */
#define SPAN_FIELD(type, buf, off)	(*(type *)((char *)(buf) + (off)))

/* sched_ext without the fair class keeps the weight itself: 6.12, 7.x. */
struct task_group___scx612 {
	__u32 scx_weight;
} __attribute__((preserve_access_index));

struct scx_task_group___cgs {
	__u32 weight;
} __attribute__((preserve_access_index));

struct task_group___scx73 {
	struct scx_task_group___cgs scx;
} __attribute__((preserve_access_index));

/* cpu.weight as cpu_weight_read_u64() computes it; 0: unknown. */
static __always_inline __u64 cpu_weight(struct task_group___cgs *tg)
{
	__u64 w;

	if (bpf_core_field_exists(tg->shares)) {
		/* scale_load_down(), then sched_weight_to_cgroup() */
		w = BPF_CORE_READ(tg, shares);
		if (w)
			w = w >> 10 > 2 ? w >> 10 : 2;
		w = (w * 100 + 512) / 1024;
	} else if (bpf_core_field_exists(((struct task_group___scx612 *)tg)->scx_weight)) {
		w = BPF_CORE_READ((struct task_group___scx612 *)tg, scx_weight);
	} else if (bpf_core_field_exists(((struct task_group___scx73 *)tg)->scx)) {
		w = BPF_CORE_READ((struct task_group___scx73 *)tg, scx.weight);
	} else {
		return 0;
	}
	return w < 1 ? 1 : w > 10000 ? 10000 : w;
}

/*
 * cpu.weight and cpu.max exist below the root where the cpu controller
 * is enabled; cpu.stat shows the throttling wherever the controller has
 * a css, the root included. cpu.max's two fields lie side by side in
 * struct cfs_bandwidth, and so do the three of the throttling (6.1 to
 * 7.3): one read for each pair or three, where the kernel's layout keeps
 * them within SPAN_MAX bytes, else a read per field.
 */
static __always_inline void put_cpu(struct cgs_iter_rec *r, struct cgroup *cgrp)
{
	struct cgroup_subsys_state *css;
	struct task_group___cgs *tg;
	__u64 span[SPAN_MAX / 8];
	__u32 lo, hi;
	__u64 w;

	css = css_of(cgrp, bpf_core_enum_value(enum cgroup_subsys_id, cpu_cgrp_id));
	if (!css)
		return;
	tg = (void *)css - bpf_core_field_offset(struct task_group___cgs, css);
	if (cgrp->level) {
		w = cpu_weight(tg);
		if (w)
			put(r, CGSHARE_A_CGROUP_CPU_WEIGHT, w);
	}
	if (!bpf_core_field_exists(tg->cfs_bandwidth))
		return;
	if (cgrp->level) {
		/* RUNTIME_INF, no quota, is ~0: the spec's "max" */
		lo = bpf_core_field_offset(tg->cfs_bandwidth.period);
		hi = bpf_core_field_offset(tg->cfs_bandwidth.quota);
		if (hi == lo + 8 && !read_span(span, 16, (void *)tg + lo)) {
			put(r, CGSHARE_A_CGROUP_CPU_MAX_QUOTA_NS, span[1]);
			put(r, CGSHARE_A_CGROUP_CPU_MAX_PERIOD_NS, span[0]);
		} else {
			put(r, CGSHARE_A_CGROUP_CPU_MAX_QUOTA_NS,
			    BPF_CORE_READ(tg, cfs_bandwidth.quota));
			put(r, CGSHARE_A_CGROUP_CPU_MAX_PERIOD_NS,
			    BPF_CORE_READ(tg, cfs_bandwidth.period));
		}
	}
	lo = bpf_core_field_offset(tg->cfs_bandwidth.nr_periods);
	hi = bpf_core_field_offset(tg->cfs_bandwidth.throttled_time) + 8;
	if (lo < hi && bpf_core_field_offset(tg->cfs_bandwidth.nr_throttled) > lo &&
	    bpf_core_field_offset(tg->cfs_bandwidth.nr_throttled) + 4 <= hi &&
	    !read_span(span, hi - lo, (void *)tg + lo)) {
		put(r, CGSHARE_A_CGROUP_CPU_NR_PERIODS, SPAN_FIELD(int, span, 0));
		put(r, CGSHARE_A_CGROUP_CPU_NR_THROTTLED,
		    SPAN_FIELD(int, span, bpf_core_field_offset(tg->cfs_bandwidth.nr_throttled) - lo));
		put(r, CGSHARE_A_CGROUP_CPU_THROTTLED_NS, SPAN_FIELD(__u64, span, hi - 8 - lo));
		return;
	}
	put(r, CGSHARE_A_CGROUP_CPU_NR_PERIODS, BPF_CORE_READ(tg, cfs_bandwidth.nr_periods));
	put(r, CGSHARE_A_CGROUP_CPU_NR_THROTTLED, BPF_CORE_READ(tg, cfs_bandwidth.nr_throttled));
	put(r, CGSHARE_A_CGROUP_CPU_THROTTLED_NS, BPF_CORE_READ(tg, cfs_bandwidth.throttled_time));
}

static const __u16 mem_attr[3] = {
	CGSHARE_A_CGROUP_MEM_ANON, CGSHARE_A_CGROUP_MEM_FILE,
	CGSHARE_A_CGROUP_MEM_INACTIVE_FILE,
};

/*
 * Where memcg_vmstats keeps each item: 6.1 by item, 6.11+ through a table.
 * Returns CGS_ITER_MEMSTAT when one can be read.
 */
static __always_inline __u32 find_slots(struct walk *w)
{
	__u32 flags = 0;
	int nr = bpf_core_enum_value(enum memcg_stat_item, MEMCG_NR_STAT);
	int slots = bpf_core_field_size(struct memcg_vmstats___cgs, state) / sizeof(long);
	__u8 idx;

	w->item[ANON] = bpf_core_enum_value(enum node_stat_item, NR_ANON_MAPPED);
	w->item[FILE] = bpf_core_enum_value(enum node_stat_item, NR_FILE_PAGES);
	w->item[INACTIVE_FILE] = bpf_core_enum_value(enum node_stat_item, NR_INACTIVE_FILE);
	for (int i = 0; i < 3; i++) {
		w->slot[i] = -1;
		if (slots == nr) {
			w->slot[i] = w->item[i];
		} else if (&mem_cgroup_stats_index &&
			   !bpf_probe_read_kernel(&idx, 1, (void *)&mem_cgroup_stats_index +
						  w->item[i]) && idx < slots) {
			w->slot[i] = idx;
		}
		if (w->slot[i] >= 0)
			flags = CGS_ITER_MEMSTAT;
	}
	return flags;
}

/* memory.stat's anon, file and inactive_file, in bytes (pages there). */
static __always_inline void put_mem(struct cgs_iter_rec *r, struct cgroup *cgrp,
				    const struct walk *w)
{
	int id = bpf_core_enum_value(enum cgroup_subsys_id, memory_cgrp_id);
	struct mem_cgroup___cgs *memcg;
	struct memcg_vmstats___cgs *vs;
	long v;

	memcg = (void *)css_of(cgrp, id);
	if (!memcg)
		return;
	memcg = (void *)memcg - bpf_core_field_offset(struct mem_cgroup___cgs, css);
	vs = BPF_CORE_READ(memcg, vmstats);
	for (int i = 0; i < 3; i++) {
		int slot = w->slot[i];

		if (slot < 0 || slot > 1023 ||
		    bpf_probe_read_kernel(&v, sizeof(v), &vs->state[slot]))
			continue;
		put(r, mem_attr[i], v > 0 ? v * page_size : 0);
	}
}

/*
 * The same through the memcg kfuncs, which take the item numbers and
 * return bytes, as memory.stat shows them (7.3: exactly the file's anon
 * times 4096 when scaled again).
 */
static __always_inline void put_mem_kfunc(struct cgs_iter_rec *r, struct cgroup *cgrp,
					  const struct walk *w)
{
	struct mem_cgroup *memcg;
	long v;

	if (!css_of(cgrp, bpf_core_enum_value(enum cgroup_subsys_id, memory_cgrp_id)))
		return;
	memcg = bpf_get_mem_cgroup(&cgrp->self);
	if (!memcg)
		return;
	for (int i = 0; i < 3; i++) {
		v = bpf_mem_cgroup_page_state(memcg, w->item[i]);
		if (v != -1)
			put(r, mem_attr[i], v > 0 ? v : 0);
	}
	bpf_put_mem_cgroup(memcg);
}

enum how { RSTAT, MEMCG, PLAIN };

static __always_inline int walk_one(struct bpf_iter__cgroup *ctx, enum how how)
{
	struct bpf_iter_meta *meta = ctx->meta;
	struct cgroup *cgrp = ctx->cgroup;
	struct cgs_iter_sum sum = {};
	struct cgs_iter_rec *r;
	struct walk *w;
	__u32 slot;

	if (!cgrp) {
		/* the walk is over: say what it wrote */
		sum.session = meta->session_id;
		w = walk_of(meta, 0);
		if (w) {
			sum.records = w->records;
			sum.failed = w->failed;
			sum.flags = w->flags;
		}
		bpf_seq_write(meta->seq, &sum, sizeof(sum));
		return 0;
	}
	w = walk_of(meta, !meta->seq_num);
	if (!w)
		return 0;
	if (!meta->seq_num) {
		w->flags = find_slots(w);
		if (how == RSTAT) {
			cgroup_rstat_flush(cgrp);
			w->flags |= CGS_ITER_FLUSHED;
		} else if (how == MEMCG) {
			struct mem_cgroup *root = bpf_get_mem_cgroup(&cgrp->self);

			if (root) {
				bpf_mem_cgroup_flush_stats(root);
				bpf_put_mem_cgroup(root);
				w->flags |= CGS_ITER_FLUSHED;
			}
		}
	}
	slot = w->records;
	r = bpf_map_lookup_elem(&records, &slot);
	if (!r) {
		w->failed++;
		return 0;
	}
	/*
	 * The stamp first, then the record: a reader that finds the stamp
	 * unchanged after copying the record copied none of this walk's
	 * stores. Stores leave in program order on x86, the one target this
	 * object is built for; the barrier keeps the compiler from moving
	 * them.
	 */
	r->session = meta->session_id;
	asm volatile("" ::: "memory");
	r->len = 0;
	put(r, CGSHARE_A_CGROUP_ID, cgrp->kn->id);
	put_cpu(r, cgrp);
	if (how == MEMCG)
		put_mem_kfunc(r, cgrp, w);
	else
		put_mem(r, cgrp, w);
	w->records++;
	return 0;
}

SEC("iter.s/cgroup")
int cgroups_rstat(struct bpf_iter__cgroup *ctx)
{
	return walk_one(ctx, RSTAT);
}

SEC("iter.s/cgroup")
int cgroups_memcg(struct bpf_iter__cgroup *ctx)
{
	return walk_one(ctx, MEMCG);
}

SEC("iter/cgroup")
int cgroups_plain(struct bpf_iter__cgroup *ctx)
{
	return walk_one(ctx, PLAIN);
}
