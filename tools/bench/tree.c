// SPDX-License-Identifier: GPL-2.0
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include "bench.h"
#include "tree.h"

static void write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);

	if (fd < 0)
		fail("open %s:", path);
	if (write(fd, val, strlen(val)) != (ssize_t)strlen(val))
		fail("write '%s' to %s:", val, path);
	close(fd);
}

static void enable_controllers(const char *dir)
{
	char p[PATH_LEN + 32];

	snprintf(p, sizeof(p), "%s/cgroup.subtree_control", dir);
	write_file(p, "+cpu +memory");
}

static void add_dir(struct tree *t, const char *path)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 1024;
		t->dirs = realloc(t->dirs, t->cap * sizeof(*t->dirs));
		if (!t->dirs)
			fail("out of memory");
	}
	t->dirs[t->n] = strdup(path);
	if (!t->dirs[t->n])
		fail("out of memory");
	t->n++;
}

static void make_dir(struct tree *t, const char *path)
{
	if (mkdir(path, 0755))
		fail("mkdir %s:", path);
	add_dir(t, path);
}

void tree_init(struct tree *t)
{
	char root[PATH_LEN + 64];

	enable_controllers(t->mount);
	snprintf(root, sizeof(root), "%s/%s", t->mount, t->name);
	make_dir(t, root);
	enable_controllers(root);
}

/* Grows the tree to @n cgroups below its root: parents of fanout - 1 leaves. */
void tree_grow(struct tree *t, int n)
{
	char parent[PATH_LEN], leaf[PATH_LEN + 16];
	int per = t->fanout;

	while (t->n - 1 < n) {
		int below = t->n - 1, p = below / per, in = below % per;

		snprintf(parent, sizeof(parent), "%s/p%04d", t->dirs[0], p);
		if (in == 0) {
			make_dir(t, parent);
			enable_controllers(parent);
		} else {
			snprintf(leaf, sizeof(leaf), "%s/c%02d", parent, in);
			make_dir(t, leaf);
		}
	}
}

void tree_remove(struct tree *t)
{
	while (t->n > 0) {
		t->n--;
		if (rmdir(t->dirs[t->n]))
			fprintf(stderr, "warning: rmdir %s: %s\n", t->dirs[t->n], strerror(errno));
		free(t->dirs[t->n]);
	}
}

/* Reads a whole small file into @buf, as os.ReadFile does: open, read to EOF. */
ssize_t bench_slurp(const char *dir, const char *file, char *buf, size_t size)
{
	char path[2 * PATH_LEN];
	size_t len = 0;
	ssize_t r;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	while ((r = read(fd, buf + len, size - 1 - len)) > 0)
		len += r;
	close(fd);
	if (r < 0)
		return -1;
	buf[len] = 0;
	return len;
}
