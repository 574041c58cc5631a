/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _CGSHARE_GPU_H
#define _CGSHARE_GPU_H

#include <linux/netlink.h>
#include "ledger.h"

enum cgshare_gpu_field {
	CGSHARE_GPU_BUSY,
	CGSHARE_GPU_QUEUE,
	CGSHARE_GPU_MEM,
};

struct cgshare_gpu_charge {
	u64 id;
	const char *dev;
	u64 busy_ns;
	u64 queue_ns;
	u64 mem_bytes;
	bool set_mem;
	enum cgshare_gpu_field overflow;	/* set with -EOVERFLOW */
};

int cgshare_gpu_charge(struct cgshare_gpu_charge *ch, struct cgroup *scope,
		       struct netlink_ext_ack *extack);
void cgshare_gpu_release(struct cgshare_rec *rec);
bool cgshare_gpu_dev_valid(const char *dev, size_t size);
unsigned int cgshare_gpu_copy(struct cgshare_rec *rec, struct cgshare_gpu_dev *out);

#endif
