/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel types the BPF collectors read, declared with only the
 * members they use, instead of a vmlinux.h dumped from some kernel's BTF.
 * Every access is a CO-RE relocation (preserve_access_index) that libbpf
 * resolves against the running kernel's BTF at load time, so the object
 * needs no BTF on the build machine (a chroot, a package builder) and
 * serves every kernel: the offsets and sizes below are never used as
 * such. The uapi headers bring the BPF map types, flags and __u64.
 *
 * Add a member here when a program starts to read it; a member the
 * running kernel does not have fails the load with its name, unless the
 * program tests it with bpf_core_field_exists().
 */
#ifndef CGSHARE_CORE_TYPES_H
#define CGSHARE_CORE_TYPES_H

#include <linux/types.h>
#include <linux/bpf.h>

#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)

struct task_struct {
	unsigned int flags;
};

struct kobject {
	const char *name;
};

struct device {
	struct kobject kobj;
};

struct dma_fence_ops;

struct dma_fence {
	const struct dma_fence_ops *ops;
	__u64 context;
	__u64 seqno;
};

/* bpf/cgroups.bpf.c: the cgroup iterator's context and the cgroup it walks */
struct seq_file;
struct bpf_map;

struct kernfs_node {
	__u64 id;
};

struct cgroup_subsys_state {
	struct cgroup *cgroup;
};

/*
 * A kfunc's prototype must match the kernel's kind for kind (libbpf 1.1
 * refuses a forward declaration for a struct), so this is complete.
 */
struct mem_cgroup {
	struct cgroup_subsys_state css;
};

struct cgroup {
	struct cgroup_subsys_state self;
	int level;
	struct kernfs_node *kn;
	struct cgroup_subsys_state *subsys[16];
};

struct bpf_iter_meta {
	struct seq_file *seq;
	__u64 session_id;
	__u64 seq_num;
};

struct bpf_iter__cgroup {
	struct bpf_iter_meta *meta;
	struct cgroup *cgroup;
};

#pragma clang attribute pop

/* Enumerators by name: CO-RE gives each its value in the running kernel. */
enum cgroup_subsys_id { cpu_cgrp_id, memory_cgrp_id };
enum memcg_stat_item { MEMCG_NR_STAT };
enum node_stat_item { NR_ANON_MAPPED, NR_FILE_PAGES, NR_INACTIVE_FILE };

#endif
