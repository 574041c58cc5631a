// SPDX-License-Identifier: GPL-2.0
/* Fence driver names for the BPF GPU collectors, from /proc/kallsyms. */
#include <ctype.h>
#include <string.h>

#include "gpu/names.h"

#define DEV_LEN	GPU_NAMES_DEV_LEN

/*
 * Names drivers by their dma_fence_ops, from /proc/kallsyms: a data
 * symbol with "fence" in its name followed later by "_ops" at the end or
 * before another '_' ("vgem_fence_ops", "nouveau_fence_ops_uevent",
 * "dma_fence_array_ops") is named after the module that holds it, or
 * after itself up to "_ops" when built in ("dma_fence_array").
 * Characters the ledger does not take become '_'; names are cut to
 * DEV_LEN - 1. What the build generates beside such symbols, all named
 * from "__" (the export entry "__ksymtab_dma_fence_array_ops", and on 7.3
 * "__flags_..." and "__BTF_ID__..." ones), is not a driver's ops and is
 * left out.
 */
int gpu_names_line(const char *line, unsigned long long *addr, char *dev)
{
	char name[256], type, mod[128] = "";
	const char *src, *p;
	size_t len, i;

	if (sscanf(line, "%llx %c %255s [%127[^]]]", addr, &type, name, mod) < 3 ||
	    !strchr("dDrRbB", type))
		return 0;
	if (!strncmp(name, "__", 2))
		return 0;
	p = strstr(name, "fence");
	p = p ? strstr(p, "_ops") : NULL;
	if (!p || (p[4] && p[4] != '_'))
		return 0;
	if (!*addr)
		return -1;
	if (mod[0]) {
		src = mod;
		len = strlen(mod);
	} else {
		src = name;
		len = p - name;
	}
	if (len > DEV_LEN - 1)
		len = DEV_LEN - 1;
	for (i = 0; i < len; i++)
		dev[i] = isalnum((unsigned char)src[i]) || strchr(":._-", src[i]) ? src[i] : '_';
	dev[len] = 0;
	return 1;
}

int gpu_names_scan(FILE *kallsyms, gpu_names_store_fn store, void *arg)
{
	unsigned long long addr;
	char line[512];
	int n = 0, hidden = 0;

	while (fgets(line, sizeof(line), kallsyms)) {
		char dev[DEV_LEN] = {};
		int r = gpu_names_line(line, &addr, dev);

		if (r < 0)
			hidden++;
		if (r <= 0)
			continue;
		if (store && store(addr, dev, arg))
			return -1;
		n++;
	}
	return n == 0 && hidden ? -1 : n;
}
