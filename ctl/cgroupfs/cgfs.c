// SPDX-License-Identifier: GPL-2.0
/*
 * cgroup v2 file I/O: the one reader and writer of cgroupfs, and the
 * parsers of its formats.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroupfs/cgfs.h"

int cgfs_open(struct cgfs *fs, const char *root)
{
	fs->root = strdup(root);
	if (!fs->root)
		return -ENOMEM;
	fs->fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fs->fd < 0) {
		int err = -errno;

		free(fs->root);
		fs->root = NULL;
		return err;
	}
	return 0;
}

void cgfs_close(struct cgfs *fs)
{
	if (fs->fd >= 0)
		close(fs->fd);
	free(fs->root);
	fs->fd = -1;
	fs->root = NULL;
}

int cgfs_cg_open(const struct cgfs *fs, const char *path, struct cgfs_cg *cg)
{
	const char *rel = path;

	memset(cg, 0, sizeof(*cg));
	cg->fd = -1;
	while (*rel == '/')
		rel++;
	cg->path = strdup(path);
	if (!cg->path)
		return -ENOMEM;
	cg->fd = openat(fs->fd, *rel ? rel : ".",
			O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg->fd < 0) {
		int err = -errno;

		free(cg->path);
		cg->path = NULL;
		return err;
	}
	return 0;
}

static void drop_fd(struct cgfs_cg *cg)
{
	if (cg->fd >= 0)
		close(cg->fd);
	cg->fd = -1;
	cg->gone = true;
}

void cgfs_cg_close(struct cgfs_cg *cg)
{
	if (cg->fd >= 0)
		close(cg->fd);
	for (unsigned int i = 0; i < cg->nr_orig; i++) {
		free(cg->orig[i].file);
		free(cg->orig[i].value);
	}
	free(cg->orig);
	free(cg->path);
	memset(cg, 0, sizeof(*cg));
	cg->fd = -1;
}

/*
 * A file missing from a directory we hold open means either that the
 * cgroup was removed (its directory is empty now) or that the controller
 * owning the file is not enabled: cgroup.procs tells them apart.
 */
static int missing(struct cgfs_cg *cg, int err)
{
	if (err == -ENODEV || faccessat(cg->fd, "cgroup.procs", F_OK, 0)) {
		drop_fd(cg);
		return -ENOENT;
	}
	return -EOPNOTSUPP;
}

int cgfs_read(struct cgfs_cg *cg, const char *file, char *buf, size_t len)
{
	ssize_t n = 0;
	size_t got = 0;
	int fd, err;

	if (cg->gone)
		return -ENOENT;
	fd = openat(cg->fd, file, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		return err == -ENOENT || err == -ENODEV ? missing(cg, err) : err;
	}
	while (got + 1 < len) {
		n = read(fd, buf + got, len - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += n;
	}
	err = n < 0 ? -errno : 0;
	close(fd);
	if (err)
		return err == -ENODEV ? missing(cg, err) : err;
	while (got && buf[got - 1] == '\n')
		got--;
	buf[got] = '\0';
	return got;
}

static int write_once(struct cgfs_cg *cg, const char *file, const char *value)
{
	size_t len = strlen(value);
	ssize_t n;
	int fd, err;

	if (cg->gone)
		return -ENOENT;
	fd = openat(cg->fd, file, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		return err == -ENOENT || err == -ENODEV ? missing(cg, err) : err;
	}
	/* One write of the whole value: cgroupfs parses each write alone. */
	n = write(fd, value, len);
	err = n < 0 ? -errno : (size_t)n != len ? -EIO : 0;
	close(fd);
	if (err == -ENODEV || err == -ENOENT)
		return missing(cg, err);
	return err;
}

/* The line of @text whose first word is @value's first word, into @out. */
static void keyed_line(const char *text, const char *value, char *out,
		       size_t len)
{
	size_t k = strcspn(value, " ");

	out[0] = '\0';
	for (const char *l = text; *l; ) {
		size_t n = strcspn(l, "\n");

		if (n > k && l[k] == ' ' && !strncmp(l, value, k)) {
			snprintf(out, len, "%.*s", (int)n, l);
			return;
		}
		l += n;
		if (*l)
			l++;
	}
}

/* A keyed file's value is one line: its first word is the key. */
static bool keyed_file(const char *file)
{
	return !strncmp(file, "dmem.", 5);
}

static bool same_key(const char *a, const char *b)
{
	size_t k = strcspn(a, " ");

	return k == strcspn(b, " ") && !strncmp(a, b, k);
}

static struct cgfs_orig *find_orig(const struct cgfs_cg *cg, const char *file,
				   const char *value)
{
	for (unsigned int i = 0; i < cg->nr_orig; i++)
		if (!strcmp(cg->orig[i].file, file) &&
		    (!keyed_file(file) || same_key(cg->orig[i].value, value)))
			return &cg->orig[i];
	return NULL;
}

static int record(struct cgfs_cg *cg, const char *file, const char *value)
{
	struct cgfs_orig *v;

	if (find_orig(cg, file, value))
		return 0;
	v = realloc(cg->orig, (cg->nr_orig + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	cg->orig = v;
	v = &v[cg->nr_orig];
	v->file = strdup(file);
	v->value = strdup(value);
	if (!v->file || !v->value) {
		free(v->file);
		free(v->value);
		return -ENOMEM;
	}
	cg->nr_orig++;
	return 0;
}

/* The value of @file as cgfs_write() compares it: a keyed file's line. */
static int current(struct cgfs_cg *cg, const char *file, const char *value,
		   unsigned int flags, char *out, size_t len)
{
	char cur[4096];
	int ret;

	ret = cgfs_read(cg, file, cur, sizeof(cur));
	if (ret < 0)
		return ret;
	if (flags & CGFS_KEYED) {
		keyed_line(cur, value, out, len);
	} else {
		size_t n = strnlen(cur, len - 1);

		memcpy(out, cur, n);	/* limit files are short */
		out[n] = '\0';
	}
	return 0;
}

int cgfs_write(struct cgfs_cg *cg, struct cgfs_write *w)
{
	int ret;

	w->now[0] = '\0';
	ret = current(cg, w->file, w->value, w->flags, w->old, sizeof(w->old));
	if (ret < 0)
		return ret;
	if (w->expect && strcmp(w->old, w->expect) &&
	    (!w->pending || strcmp(w->old, w->pending)))
		return -ESTALE;
	if (!strcmp(w->old, w->value))
		return 0;
	if (w->flags & CGFS_DRY_RUN)
		return 1;
	if (w->old[0]) {
		ret = record(cg, w->file, w->old);
		if (ret)
			return ret;
	}
	if (w->intend) {
		ret = w->intend(w, w->arg);
		if (ret)
			return ret;
	}
	ret = write_once(cg, w->file, w->value);
	if (ret)
		return ret;
	/* What the kernel made of it: the value to expect next time. */
	ret = current(cg, w->file, w->value, w->flags, w->now, sizeof(w->now));
	return ret < 0 ? ret : 1;
}

int cgfs_set(struct cgfs_cg *cg, const char *file, const char *value,
	     unsigned int flags, bool dry_run, char *old, size_t oldlen)
{
	struct cgfs_write w = {
		.file = file,
		.value = value,
		.flags = flags | (dry_run ? CGFS_DRY_RUN : 0),
	};
	int ret = cgfs_write(cg, &w);

	snprintf(old, oldlen, "%s", w.old);
	return ret;
}

const char *cgfs_original(const struct cgfs_cg *cg, const char *file,
			  const char *value)
{
	const struct cgfs_orig *o = find_orig(cg, file, value);

	return o ? o->value : NULL;
}

int cgfs_remember(struct cgfs_cg *cg, const char *file, const char *value)
{
	return record(cg, file, value);
}

int cgfs_restore(struct cgfs_cg *cg, cgfs_restore_cb cb, void *arg)
{
	int failed = 0;

	for (unsigned int i = 0; i < cg->nr_orig && !cg->gone; i++) {
		const struct cgfs_orig *o = &cg->orig[i];
		char old[512];
		int ret;

		ret = cgfs_set(cg, o->file, o->value,
			       keyed_file(o->file) ? CGFS_KEYED : 0, false, old,
			       sizeof(old));
		if (ret == -ENOENT)
			break;
		if (ret < 0)
			failed++;
		if (cb)
			cb(cg, o->file, o->value, ret < 0 ? ret : 0, arg);
	}
	return failed;
}

/* Whether @word is one of the blank-separated words of @text. */
static bool cgfs_word_in(const char *text, const char *word)
{
	size_t n = strlen(word);

	for (const char *w = text; *w; ) {
		size_t k = strcspn(w, " \n");

		if (k == n && !strncmp(w, word, n))
			return true;
		w += k;
		while (*w == ' ' || *w == '\n')
			w++;
	}
	return false;
}

bool cgfs_has_controller(struct cgfs_cg *cg, const char *controller)
{
	char buf[512];

	if (cgfs_read(cg, "cgroup.controllers", buf, sizeof(buf)) < 0)
		return false;
	return cgfs_word_in(buf, controller);
}

int cgfs_parse_max(const char *s, uint64_t *v)
{
	char *end;

	if (!strcmp(s, "max")) {
		*v = CGFS_MAX;
		return 0;
	}
	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	*v = strtoull(s, &end, 10);
	if (errno || *end)
		return -EINVAL;
	return 0;
}

void cgfs_fmt_max(char *buf, size_t len, uint64_t v)
{
	if (v == CGFS_MAX)
		snprintf(buf, len, "max");
	else
		snprintf(buf, len, "%" PRIu64, v);
}

static const char *const item_file[CGFS_NR_ITEMS] = {
	[CGFS_CONTROLLERS] = "cgroup.controllers",
	[CGFS_DMEM] = "dmem.current",
};

static struct cgfs_region *region_of(struct cgfs_snap *s, const char *name,
				      size_t n)
{
	struct cgfs_region *r;

	for (unsigned int i = 0; i < s->nr_region; i++)
		if (strlen(s->region[i].name) == n &&
		    !strncmp(s->region[i].name, name, n))
			return &s->region[i];
	if (s->nr_region == CGFS_MAX_REGIONS || n >= CGFS_REGION_LEN)
		return NULL;
	r = &s->region[s->nr_region++];
	memcpy(r->name, name, n);
	r->name[n] = '\0';
	r->max = r->low = CGFS_MAX;
	return r;
}

/* "REGION VALUE" lines into @which of each region; false if malformed. */
static bool parse_regions(struct cgfs_snap *s, const char *text, int which)
{
	for (const char *l = text; *l; ) {
		size_t n = strcspn(l, "\n"), k = strcspn(l, " ");
		struct cgfs_region *r;
		char num[32];
		uint64_t v;

		if (k >= n || n - k - 1 >= sizeof(num))
			return false;
		snprintf(num, sizeof(num), "%.*s", (int)(n - k - 1), l + k + 1);
		if (cgfs_parse_max(num, &v))
			return false;
		r = region_of(s, l, k);
		if (r)
			*(which == 0 ? &r->current : which == 1 ? &r->max :
			  &r->low) = v;
		l += n;
		if (*l)
			l++;
	}
	return true;
}

/* dmem.current names the regions; dmem.max and dmem.low complete them. */
static bool read_dmem(struct cgfs_cg *cg, struct cgfs_snap *s, const char *cur)
{
	char buf[2048];

	s->nr_region = 0;
	if (!parse_regions(s, cur, 0))
		return false;
	if (cgfs_read(cg, "dmem.max", buf, sizeof(buf)) >= 0)
		parse_regions(s, buf, 1);
	if (cgfs_read(cg, "dmem.low", buf, sizeof(buf)) >= 0)
		parse_regions(s, buf, 2);
	return true;
}

static bool parse_item(struct cgfs_cg *cg, struct cgfs_snap *s,
		       enum cgfs_item i, const char *buf)
{
	if (i == CGFS_DMEM)
		return read_dmem(cg, s, buf);
	s->dmem = cgfs_word_in(buf, "dmem");
	return true;
}

int cgfs_snapshot(struct cgfs_cg *cg, uint32_t want, struct cgfs_snap *s)
{
	char buf[1024];
	int ret;

	memset(s, 0, sizeof(*s));
	for (int i = 0; i < CGFS_NR_ITEMS; i++) {
		if (!(want & CGFS_ITEM(i)))
			continue;
		ret = cgfs_read(cg, item_file[i], buf, sizeof(buf));
		if (ret == -ENOENT)
			return ret;
		if (ret >= 0 && parse_item(cg, s, i, buf))
			s->has |= CGFS_ITEM(i);
	}
	return 0;
}

unsigned int cgfs_dmem_regions(const struct cgfs *fs, struct cgfs_region *r,
			       unsigned int max)
{
	struct cgfs_snap *s = calloc(1, sizeof(*s));
	struct cgfs_cg root;
	char buf[2048];
	unsigned int n = 0;

	if (!s)
		return 0;
	if (!cgfs_cg_open(fs, "/", &root)) {
		if (cgfs_read(&root, "dmem.capacity", buf, sizeof(buf)) >= 0 &&
		    parse_regions(s, buf, 0)) {
			n = s->nr_region < max ? s->nr_region : max;
			memcpy(r, s->region, n * sizeof(*r));
		}
		cgfs_cg_close(&root);
	}
	free(s);
	return n;
}
