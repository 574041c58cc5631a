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

#endif
