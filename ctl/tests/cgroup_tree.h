/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A cgroup tree of plain files in a temporary directory, for tests of the
 * controller without cgroupfs: a cgroup is a directory with the files the
 * controller reads and writes, as a fresh cgroup has them. One file of a
 * test includes it.
 */
#ifndef CGS_TESTS_CGROUP_TREE_H
#define CGS_TESTS_CGROUP_TREE_H

#include <stdio.h>
#include <sys/stat.h>

static void tree_put(const char *dir, const char *file, const char *text)
{
	char p[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, file);
	f = fopen(p, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/* The cgroup @rel below @root, with no limit. */
static void tree_cgroup(const char *root, const char *rel)
{
	char d[512];

	snprintf(d, sizeof(d), "%s/%s", root, rel);
	mkdir(d, 0755);
	tree_put(d, "cgroup.procs", "");
	tree_put(d, "cpu.max", "max 100000\n");
	tree_put(d, "cpu.weight", "100\n");
	tree_put(d, "memory.high", "max\n");
}

#endif
