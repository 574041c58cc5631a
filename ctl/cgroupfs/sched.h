/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CGS_CGROUPFS_SCHED_H
#define CGS_CGROUPFS_SCHED_H

#include <stdbool.h>

/*
 * Which CPU scheduler is in charge: the kernel's fair class, or a
 * sched_ext BPF scheduler (/sys/kernel/sched_ext/state, root/ops), which
 * obeys cpu.weight and cpu.max only if it implements them.
 */
struct cgfs_sched {
	bool ext;		/* a sched_ext scheduler runs the tasks */
	char ops[64];		/* its name, "" if not said */
	char state[16];		/* "enabled", "disabled", ...; "" without */
};

/* @root is the sysfs mount, "/sys" but in tests. */
void cgfs_sched(const char *root, struct cgfs_sched *s);
/* "fair", or "sched_ext:NAME". */
const char *cgfs_sched_name(const struct cgfs_sched *s, char *buf,
			    unsigned int len);

#endif
