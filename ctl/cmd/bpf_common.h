/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the commands that load BPF programs (gpu enable, bpf pin) share:
 * libbpf's messages, printed with -v (its debug messages with -vv), else
 * kept so that a failed load (a verifier rejection, a missing kernel
 * feature) shows them; and the BPF file system their pins live in.
 */
#ifndef CGSHARECTL_BPF_COMMON_H
#define CGSHARECTL_BPF_COMMON_H

#include <stdbool.h>

/* Routes libbpf's messages here; call before opening a skeleton. */
void bpf_log_init(void);
/* "cgsharectl: WHO: MESSAGE", then what libbpf said, if anything. */
void bpf_fail(const char *who, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A BPF file system at /sys/fs/bpf; else says so (as WHO) and false. */
bool bpf_fs_ready(const char *who);
/* Whether @name, in CGS_BPF_DIR, is a pin of the cgroup iterator. */
bool bpf_is_iter_pin(const char *name);

#endif
