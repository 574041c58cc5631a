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
};

#pragma clang attribute pop

#endif
