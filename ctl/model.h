/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CGSHARECTL_MODEL_H
#define CGSHARECTL_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/cgshare.h>

/*
 * The in-memory model of the ledger: what the netlink layer decodes into and
 * what every command prints from. Optional values carry a presence bit; an
 * absent value is "not reported", never zero.
 */

enum cgs_kind {
	CGS_CUMULATIVE,		/* only grows while the cgroup lives */
	CGS_GAUGE,		/* a current level */
};

enum cgs_unit {
	CGS_UNIT_NS,
	CGS_UNIT_BYTES,
	CGS_UNIT_COUNT,
};

struct cgs_ctr_info {
	int attr;		/* netlink attribute type */
	const char *key;	/* JSON key, stable */
	enum cgs_kind kind;
	enum cgs_unit unit;
};

enum cgs_ctr {
	CGS_CPU_USAGE,
	CGS_CPU_WAIT,
	CGS_CPU_SWITCHES,
	CGS_MEM_CURRENT,
	CGS_MEM_PEAK,
	CGS_MEM_SWAP,
	CGS_MEM_EV_LOW,
	CGS_MEM_EV_HIGH,
	CGS_MEM_EV_MAX,
	CGS_MEM_EV_OOM,
	CGS_MEM_EV_OOM_KILL,
	CGS_NR_CTR
};

enum cgs_gpu_ctr {
	CGS_GPU_BUSY,
	CGS_GPU_QUEUE,
	CGS_GPU_MEM,
	CGS_NR_GPU_CTR
};

extern const struct cgs_ctr_info cgs_ctr_info[CGS_NR_CTR];
extern const struct cgs_ctr_info cgs_gpu_ctr_info[CGS_NR_GPU_CTR];

#define CGS_BIT(n)	(1u << (n))

struct cgs_gpu {
	char dev[CGSHARE_DEV_NAME_LEN];
	uint32_t present;		/* CGS_BIT(enum cgs_gpu_ctr) */
	uint64_t ctr[CGS_NR_GPU_CTR];
};

enum {
	CGS_HAS_ID	= 1u << 0,
	CGS_HAS_PATH	= 1u << 1,
	CGS_HAS_PARENT	= 1u << 2,
};

struct cgs_cgroup {
	uint32_t has;			/* CGS_HAS_* */
	uint32_t present;		/* CGS_BIT(enum cgs_ctr) */
	uint64_t id;
	uint64_t parent_id;
	char *path;
	uint64_t ctr[CGS_NR_CTR];
	struct cgs_gpu *gpu;
	unsigned int nr_gpu;
};

static inline bool cgs_has_ctr(const struct cgs_cgroup *cg, enum cgs_ctr c)
{
	return cg->present & CGS_BIT(c);
}

struct cgs_list {
	struct cgs_cgroup *v;
	size_t n, cap;
};

enum {
	CGS_STATUS_VERSION	= 1u << 0,
	CGS_STATUS_FEATURES	= 1u << 1,
	CGS_STATUS_NR_CGROUPS	= 1u << 2,
	CGS_STATUS_GENERATION	= 1u << 3,
	CGS_STATUS_GPU_BPF_REASON = 1u << 4,
};

struct cgs_status {
	uint32_t has;			/* CGS_STATUS_* */
	char *version;
	uint32_t features;		/* enum cgshare_feature bits */
	uint32_t nr_cgroups;
	uint32_t generation;
	char *gpu_bpf_reason;
};

struct cgs_feature_name {
	uint32_t bit;
	const char *name;
};
extern const struct cgs_feature_name cgs_features[];

void cgs_cgroup_free(struct cgs_cgroup *cg);
struct cgs_gpu *cgs_cgroup_add_gpu(struct cgs_cgroup *cg);
const struct cgs_gpu *cgs_cgroup_find_gpu(const struct cgs_cgroup *cg,
					  const char *dev);
uint64_t cgs_cgroup_events(const struct cgs_cgroup *cg);

/* Appends a zeroed record; NULL when out of memory. */
struct cgs_cgroup *cgs_list_add(struct cgs_list *l);
void cgs_list_drop_last(struct cgs_list *l);
void cgs_list_free(struct cgs_list *l);
void cgs_list_sort_by_id(struct cgs_list *l);
/* Path order with '/' first, so each subtree follows its root. */
void cgs_list_sort_by_path(struct cgs_list *l);
int cgs_path_cmp(const char *a, const char *b);

void cgs_status_free(struct cgs_status *st);

#endif
