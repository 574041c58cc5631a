/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _CGSHARE_GPU_H
#define _CGSHARE_GPU_H

#include <linux/netlink.h>
#include "ledger.h"

/* Bounds of the gpu_dev_max module parameter. */
#define CGSHARE_GPU_DEV_MIN	8
#define CGSHARE_GPU_DEV_MAX	1024

struct cgshare_gpu_dev {
	char name[CGSHARE_DEV_NAME_LEN];
	u32 hash;		/* of name, compared before it */
	u64 busy_ns;		/* this cgroup and its descendants */
	u64 queue_ns;
	u64 mem_bytes;		/* sum of mem_own over the subtree */
	u64 mem_own;		/* set by collectors for this cgroup alone */
};

enum cgshare_gpu_field {
	CGSHARE_GPU_BUSY,
	CGSHARE_GPU_QUEUE,
	CGSHARE_GPU_MEM,
};

struct cgshare_gpu_charge {
	u64 id;
	const char *dev;
	u32 hash;		/* of dev, from cgshare_gpu_dev_valid() */
	u64 busy_ns;
	u64 queue_ns;
	u64 mem_bytes;
	bool set_mem;
	enum cgshare_gpu_field overflow;	/* set with -EOVERFLOW */
};

struct cgshare_gpu_stats {
	u64 refused_full;
	u64 refused_overflow;
	u64 refused_nomem;
};

int cgshare_gpu_charge(struct cgshare_gpu_charge *ch, struct cgroup *scope,
		       struct netlink_ext_ack *extack);
void cgshare_gpu_release(struct cgshare_rec *rec);
bool cgshare_gpu_dev_valid(const char *dev, size_t size, u32 *hash);
unsigned int cgshare_gpu_copy(struct cgshare_rec *rec, unsigned int from,
			      struct cgshare_gpu_dev *out, unsigned int n);
unsigned int cgshare_gpu_dev_max(void);
unsigned int cgshare_gpu_names_max(void);
void cgshare_gpu_stats(struct cgshare_gpu_stats *st);
void cgshare_gpu_uninit(void);

#endif
