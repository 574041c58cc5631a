/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CGS_MODEL_LIMITS_H
#define CGS_MODEL_LIMITS_H

/* The resources cgshare shares, and the cgroup v2 files that limit them. */

#include <stdbool.h>
#include <stdint.h>

/* "max" in a limit file. */
#define CGS_LIMIT_MAX UINT64_MAX

enum cgs_res {
	CGS_CPU,	/* CPUs (1.0 = one CPU's worth of time per second) */
	CGS_MEM,	/* bytes */
	CGS_GPU,	/* GPU devices' worth of busy time per second */
	CGS_NR_RES,
};

/* "cpu", "memory", "gpu": config words, JSON keys and metric labels. */
const char *cgs_res_name(enum cgs_res r);

/* The files the controller writes, in the order it writes them. */
enum cgs_limit {
	CGS_LIM_CPU_MAX,
	CGS_LIM_CPU_WEIGHT,
	CGS_LIM_MEM_HIGH,
	CGS_LIM_MEM_MAX,
	CGS_LIM_MEM_LOW,
	CGS_LIM_DMEM_MAX,
	CGS_LIM_DMEM_LOW,
	CGS_NR_LIM,
};

/* "cpu.max", ...; and the resource each limits. */
extern const char *const cgs_limit_file[CGS_NR_LIM];
enum cgs_res cgs_limit_res(enum cgs_limit l);
/*
 * The dmem files are keyed: one "REGION VALUE" line per region of device
 * memory, written one region at a time.
 */
bool cgs_limit_keyed(enum cgs_limit l);

/*
 * The GPU device a dmem region belongs to, named as the GPU time sources
 * name it: "drm/0000:03:00.0/vram0" is "0000:03:00.0"; a region of
 * another form is its own name. Into @buf.
 */
const char *cgs_dmem_device(const char *region, char *buf, unsigned int len);

#endif
