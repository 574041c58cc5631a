/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CGSHARECTL_GPU_NAMES_H
#define CGSHARECTL_GPU_NAMES_H

#include <stdio.h>

#define GPU_NAMES_DEV_LEN	32	/* = CGSHARE_DEV_NAME_LEN */

/*
 * One kallsyms line: 1 and *addr, dev[GPU_NAMES_DEV_LEN] set when it is
 * a dma_fence_ops symbol, 0 when it is not, -1 when it is but its address
 * is hidden (0, kptr_restrict).
 */
int gpu_names_line(const char *line, unsigned long long *addr, char *dev);

typedef int (*gpu_names_store_fn)(unsigned long long addr, const char *dev, void *arg);
/*
 * Every dma_fence_ops symbol of @kallsyms, passed to @store (if not NULL;
 * non-zero from it stops with -1). Returns how many, or -1 when there
 * were such symbols but all with hidden addresses.
 */
int gpu_names_scan(FILE *kallsyms, gpu_names_store_fn store, void *arg);

#endif
