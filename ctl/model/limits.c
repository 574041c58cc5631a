// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <string.h>

#include "model/limits.h"

static const char *const res_names[CGS_NR_RES] = {
	[CGS_CPU] = "cpu", [CGS_MEM] = "memory", [CGS_GPU] = "gpu",
};

const char *cgs_res_name(enum cgs_res r)
{
	return (unsigned int)r < CGS_NR_RES ? res_names[r] : "unknown";
}

const char *const cgs_limit_file[CGS_NR_LIM] = {
	[CGS_LIM_CPU_MAX] = "cpu.max",
	[CGS_LIM_CPU_WEIGHT] = "cpu.weight",
	[CGS_LIM_MEM_HIGH] = "memory.high",
	[CGS_LIM_MEM_MAX] = "memory.max",
	[CGS_LIM_MEM_LOW] = "memory.low",
	[CGS_LIM_DMEM_MAX] = "dmem.max",
	[CGS_LIM_DMEM_LOW] = "dmem.low",
};

bool cgs_limit_keyed(enum cgs_limit l)
{
	return l == CGS_LIM_DMEM_MAX || l == CGS_LIM_DMEM_LOW;
}

const char *cgs_dmem_device(const char *region, char *buf, unsigned int len)
{
	const char *dev = region, *end;

	if (!strncmp(region, "drm/", 4) && (end = strchr(region + 4, '/'))) {
		dev = region + 4;
		snprintf(buf, len, "%.*s", (int)(end - dev), dev);
	} else {
		snprintf(buf, len, "%s", region);
	}
	return buf;
}

enum cgs_res cgs_limit_res(enum cgs_limit l)
{
	switch (l) {
	case CGS_LIM_CPU_MAX:
	case CGS_LIM_CPU_WEIGHT:
		return CGS_CPU;
	case CGS_LIM_MEM_HIGH:
	case CGS_LIM_MEM_MAX:
	case CGS_LIM_MEM_LOW:
		return CGS_MEM;
	default:
		return CGS_GPU;
	}
}
