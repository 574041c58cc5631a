/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CGSHARECTL_SHOW_H
#define CGSHARECTL_SHOW_H

#include <stddef.h>

#include "model/model.h"

/* In @skip of show_cgroup_json(): leave the gpu array out. */
#define SHOW_SKIP_GPU	CGS_BIT(CGS_NR_CTR)

/* qos_class, pod_uid, container_id, container_runtime where @path has them. */
void show_k8s_json(const char *path);

/*
 * The JSON keys of a record that the caller did not print itself: the
 * pod and container keys of show_k8s_json(), parent_id,
 * every counter not in @skip (CGS_BIT(enum cgs_ctr)) and the gpu array.
 * Absent values are left out; "gpu" is always an array. Nothing in text.
 */
void show_cgroup_json(const struct cgs_cgroup *cg, uint32_t skip);
void show_gpu_json(const struct cgs_gpu *g);

/*
 * "oom_kill=1,high=3" from the memory.events counters set in @present
 * (CGS_BIT(enum cgs_ctr)); "0" when all are zero, "-" when none is present.
 */
void events_summary(char *buf, size_t len, const uint64_t *ctr,
		    uint32_t present);
uint64_t gpu_busy_total(const struct cgs_cgroup *cg);

#endif
