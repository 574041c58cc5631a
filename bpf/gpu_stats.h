/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the GPU collectors (bpf/gpu.bpf.c) share with cgsharectl: what they
 * count, per CPU, read by `cgsharectl gpu status`; and the table where
 * cgsharectl names fence drivers for them.
 */
#ifndef CGSHARE_GPU_STATS_H
#define CGSHARE_GPU_STATS_H

enum {
	CGS_GPU_ST_CHARGED,	/* charged into the ledger */
	CGS_GPU_ST_GONE,	/* the cgroup was removed before the job ended */
	CGS_GPU_ST_REFUSED,	/* the ledger refused the charge otherwise */
	CGS_GPU_ST_KTHREAD,	/* fences created by kernel threads, not followed */
	CGS_GPU_ST_UNSIGNALLED,	/* fences freed without being signalled */
	CGS_GPU_ST_UNNAMED,	/* scheduler jobs whose ring had no name */
	CGS_GPU_ST_UNTRACKED,	/* jobs not followed: their slot was taken */
	CGS_GPU_ST_MAX,
};

/*
 * The fence drivers' names (map fence_drivers): a direct-mapped array of
 * (dma_fence_ops address, name), searched by index where a hash map's
 * lookup hashed the key and walked a bucket (69 of the 929 instructions a
 * signalled fence cost, measured under icount). A driver lives in one of
 * CGS_DRIVER_PROBES consecutive slots from cgs_driver_slot(ops);
 * cgsharectl puts it in the first that is free or already its own and
 * never frees one while the map is pinned, so a free slot ends a search.
 * A slot is written in two steps, the name with ops 0 and then both, so
 * a program that sees the ops sees the whole name.
 */
#define CGS_DRIVER_BITS		10
#define CGS_DRIVER_SLOTS	(1u << CGS_DRIVER_BITS)
#define CGS_DRIVER_PROBES	4
#define CGS_DRIVER_NAME_LEN	32	/* = CGSHARE_DEV_NAME_LEN */

struct cgs_fence_driver {
	__u64 ops;			/* 0: a free slot */
	char name[CGS_DRIVER_NAME_LEN];	/* NUL-terminated */
};

/* The first slot of @ops; the probes go on from it, wrapping. */
static inline __u32 cgs_driver_slot(__u64 ops)
{
	return (__u32)((ops * 0x9E3779B97F4A7C15ull) >> (64 - CGS_DRIVER_BITS));
}

#endif
