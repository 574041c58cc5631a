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
#include <stdlib.h>
#include <sys/stat.h>

static void tree_put(const char *dir, const char *file, const char *text)
{
	char p[600];		/* a directory of up to 511 bytes and a name */
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

/*
 * A tree in @dir (a mkdtemp() template) with the cgroups @rel (NULL-ended,
 * parents first), and the controller's configuration @conf (its path
 * written there, of @len bytes): "cgroup-root DIR" and then @body.
 * Returns 0, or -1 when a file cannot be made.
 */
static int tree_make(char *dir, const char *const *rel, const char *body,
		     char *conf, size_t len)
{
	FILE *f;

	if (!mkdtemp(dir))
		return -1;
	for (; *rel; rel++)
		tree_cgroup(dir, *rel);
	snprintf(conf, len, "%s/c.conf", dir);
	f = fopen(conf, "w");
	if (!f)
		return -1;
	fprintf(f, "cgroup-root %s\n%s", dir, body);
	return fclose(f) ? -1 : 0;
}

/* The tree gone. */
static void tree_remove(const char *dir)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		perror(cmd);
}

#endif
