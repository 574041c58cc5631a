/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The cgroup tree the benchmarks measure: MOUNT/NAME/pNNNN/cNN with the
 * cpu and memory controllers enabled on every level, grown to N cgroups
 * below NAME in parents of FANOUT - 1 leaves.
 */
#ifndef CGSHARE_BENCH_TREE_H
#define CGSHARE_BENCH_TREE_H

#include <sys/types.h>

#define PATH_LEN 256

struct tree {
	char mount[PATH_LEN];		/* cgroup2 mount point */
	char name[64];			/* subtree root below the mount */
	int fanout;			/* cgroups per parent, parent included */
	char **dirs;			/* absolute paths, the root first */
	int n;				/* entries in dirs */
	int cap;
};

/* Creates MOUNT/NAME with the controllers enabled. */
void tree_init(struct tree *t);
/* Grows the tree to @n cgroups below its root. */
void tree_grow(struct tree *t, int n);
/* Removes it, leaves first. */
void tree_remove(struct tree *t);

/*
 * DIR/FILE read whole into @buf (NUL-terminated), as os.ReadFile does:
 * open, read to EOF, close. Its length, or -1.
 */
ssize_t bench_slurp(const char *dir, const char *file, char *buf, size_t size);

#endif
