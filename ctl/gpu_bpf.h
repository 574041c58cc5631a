/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cgsharectl gpu enable|disable|status: the BPF GPU collectors in bpf/,
 * loaded with libbpf, attached to the dma_fence and gpu_scheduler
 * tracepoints and kept attached by links pinned in bpffs.
 */
#ifndef CGSHARECTL_GPU_BPF_H
#define CGSHARECTL_GPU_BPF_H

/* argv[0] is the subcommand: "enable", "disable" or "status". */
int gpu_bpf_main(int argc, char **argv);

#include <stdio.h>
/*
 * Reads kallsyms lines from @kallsyms and stores, for each dma_fence_ops
 * symbol, its address -> driver name in the BPF map @map_fd (not stored
 * when map_fd < 0). Returns how many, or -1 (addresses hidden, map error).
 */
int gpu_bpf_name_drivers(FILE *kallsyms, int map_fd);

#endif
