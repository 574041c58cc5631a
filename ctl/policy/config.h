/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CGSHARECTL_CONFIG_H
#define CGSHARECTL_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy/share.h"

/*
 * The controller's configuration file (format in cgsharectl(8) and
 * cgshare.conf.example). A file is parsed whole into a struct cgs_conf
 * before anything uses it, so an invalid file never half-applies.
 */

/* enforce cpu ... */
enum {
	CGS_ENF_CPU_MAX		= 1u << 0,	/* cpu.max */
	CGS_ENF_CPU_WEIGHT	= 1u << 1,	/* cpu.weight */
};
/* enforce memory ... */
enum {
	CGS_ENF_MEM_HIGH	= 1u << 0,	/* memory.high */
	CGS_ENF_MEM_MAX		= 1u << 1,	/* memory.max */
};

struct cgs_conf_cgroup {
	char *path;		/* normalised: "/a/b" */
	int line;		/* where it was declared */
	bool auto_child;	/* found below a "parent" line, not declared */
	double weight;		/* > 0 */
	double min[CGS_NR_RES];	/* CPUs, bytes, GPUs; 0 when unset */
	double max[CGS_NR_RES];	/* CGS_UNLIMITED when unset */
	uint64_t gpu_mem_max;	/* dmem.max of each region, 0 when unset */
	uint64_t gpu_mem_low;	/* dmem.low of each region, 0 when unset */
};

struct cgs_conf_parent {
	char *path;
	int line;
	double weight;		/* of each child found below it */
};

struct cgs_conf {
	char *file;
	char *cgroup_root;		/* "/sys/fs/cgroup" */
	uint64_t interval_ns;
	unsigned int act_every;
	unsigned int window;
	double hysteresis;		/* fraction: 0.05 */
	enum cgs_policy policy[CGS_NR_RES];
	double capacity[CGS_NR_RES];	/* 0 with !capacity_set: the host's */
	bool capacity_set[CGS_NR_RES];
	uint64_t mem_floor;		/* bytes */
	uint64_t mem_headroom;		/* bytes */
	double mem_step;		/* fraction: 0.10 */
	uint64_t cpu_period_us;
	unsigned int enforce_cpu;	/* CGS_ENF_CPU_* */
	unsigned int enforce_mem;	/* CGS_ENF_MEM_* */

	struct cgs_conf_cgroup *cg;	/* sorted by path, parents first */
	size_t nr_cg;
	struct cgs_conf_parent *parent;
	size_t nr_parent;
	char **kubelet_manage;		/* kubelet subtrees we may write */
	size_t nr_kubelet_manage;
	bool kubelet_memory_high;	/* the kubelet writes memory.high */
	bool kubelet_memory_protection;	/* ... memory.min and memory.low */
};

#define CGS_CONF_MAX_WINDOW 64

/* The defaults, with no cgroups. */
void cgs_conf_init(struct cgs_conf *c);
/*
 * Parses @text as the file @name. 0 on success; -1 with "name:line: problem"
 * in @err (and @c left empty) otherwise.
 */
int cgs_conf_parse(const char *name, const char *text, struct cgs_conf *c,
		   char *err, size_t errlen);
/* Reads and parses @file; -1 with the reason in @err. */
int cgs_conf_load(const char *file, struct cgs_conf *c, char *err,
		  size_t errlen);
void cgs_conf_free(struct cgs_conf *c);
/*
 * The limit files the controller may write in @path (bits of enum
 * cgs_limit): all of them, but in the kubelet's cgroups (model/k8s.h)
 * none unless a "kubelet manage" subtree holds it, and then only those
 * the kubelet leaves alone. It writes cpu.weight, cpu.max and memory.max
 * of every pod and container. Its MemoryQoS feature (alpha 1.22-1.36,
 * beta and on by default from 1.37) adds memory.high where throttling is
 * on ("kubelet memory-high on": the gate's default in 1.22-1.36,
 * memoryThrottlingFactor set in 1.37), and memory.min, and from 1.36
 * memory.low, where memory reservation is on ("kubelet memory-protection
 * on": the gate in 1.22-1.35, memoryReservationPolicy: TieredReservation
 * from 1.36). The dmem files are never its.
 */
unsigned int cgs_conf_writable(const struct cgs_conf *c, const char *path);
/* The declared cgroup at @path, or NULL. */
const struct cgs_conf_cgroup *cgs_conf_find(const struct cgs_conf *c,
					    const char *path);

#endif
