/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CGSHARECTL_MODEL_H
#define CGSHARECTL_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/cgshare.h>

#include "model/attrs.h"

/*
 * The in-memory model of the ledger: what the netlink layer decodes into and
 * what every command prints from. Optional values carry a presence bit; an
 * absent value is "not reported", never zero.
 */

#define CGS_BIT(n)	(1u << (n))

/* present, valid and clamped masks: one bit per counter, one spare */
_Static_assert(CGS_NR_CTR < 31, "more counters than a 32-bit mask holds");

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
	CGS_STATUS_GPU_BPF_REASON = 1u << 2,
};

struct cgs_status {
	uint32_t has;			/* CGS_STATUS_* */
	char *version;
	uint32_t features;		/* enum cgshare_feature bits */
	char *gpu_bpf_reason;
	uint32_t present;		/* CGS_BIT(enum cgs_status_ctr) */
	uint64_t ctr[CGS_NR_STATUS_CTR];
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
/*
 * cpu.max of the record in CPUs (its quota over its period), +inf for
 * "max"; false when the record does not carry it.
 */
bool cgs_cgroup_cpu_max(const struct cgs_cgroup *cg, double *cpus);

/* Appends a zeroed record; NULL when out of memory. */
struct cgs_cgroup *cgs_list_add(struct cgs_list *l);
/*
 * Room for @n records in all, so that adding them moves nothing; false
 * when out of memory (the list is as it was).
 */
bool cgs_list_reserve(struct cgs_list *l, size_t n);
/* No records, the room kept. */
void cgs_list_clear(struct cgs_list *l);
void cgs_list_drop_last(struct cgs_list *l);
void cgs_list_free(struct cgs_list *l);
void cgs_list_sort_by_id(struct cgs_list *l);
/* The record of cgroup @id in @l, sorted by id; NULL when it has none. */
struct cgs_cgroup *cgs_list_find_id(const struct cgs_list *l, uint64_t id);
/* Path order with '/' first, so each subtree follows its root. */
void cgs_list_sort_by_path(struct cgs_list *l);
int cgs_path_cmp(const char *a, const char *b);

/* What a request names: one cgroup by id or by path. */
struct cgs_target {
	bool by_id;
	uint64_t id;
	const char *path;
};

/*
 * A cgroup named by id (all digits) or by path, which is normalised into
 * @buf: a leading "/", no empty, "." or ".." components, no trailing "/".
 * 0, -EINVAL for malformed input, -ERANGE when it does not fit.
 */
int parse_target(const char *s, struct cgs_target *t, char *buf, size_t len);

void cgs_status_free(struct cgs_status *st);

#endif
