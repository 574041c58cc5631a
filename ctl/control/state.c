// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "control/state.h"

#define STATE_NAME "controller.state"

const char *cgs_state_default(void)
{
	static char buf[4096];
	const char *dir = getenv("RUNTIME_DIRECTORY");

	/* systemd may list several, separated by colons: take the first */
	if (dir && *dir == '/')
		snprintf(buf, sizeof(buf), "%.*s/" STATE_NAME,
			 (int)strcspn(dir, ":"), dir);
	else
		snprintf(buf, sizeof(buf), "/run/cgshare/" STATE_NAME);
	return buf;
}

static int cmp(const char *path, const char *file,
	       const struct cgs_state_ent *e)
{
	int d = strcmp(path, e->path);

	return d ? d : strcmp(file, e->file);
}

/* Index of (@path, @file), or where it would go, in *@at. */
static bool lookup(const struct cgs_state *s, const char *path,
		   const char *file, size_t *at)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int d = cmp(path, file, &s->v[mid]);

		if (!d) {
			*at = mid;
			return true;
		}
		if (d < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	*at = lo;
	return false;
}

const struct cgs_state_ent *cgs_state_find(const struct cgs_state *s,
					   const char *path, const char *file)
{
	size_t at;

	return lookup(s, path, file, &at) ? &s->v[at] : NULL;
}

static void ent_free(struct cgs_state_ent *e)
{
	free(e->path);
	free(e->file);
	free(e->orig);
	free(e->last);
	free(e->pending);
}

int cgs_state_wrote(struct cgs_state *s, const char *path,
		    unsigned long long id, const char *file, const char *orig,
		    const char *last)
{
	struct cgs_state_ent *e;
	size_t at;
	char *l;

	if (lookup(s, path, file, &at)) {
		e = &s->v[at];
		if (!strcmp(e->last, last) && !e->pending)
			return 0;
		l = strdup(last);
		if (!l)
			return -ENOMEM;
		free(e->last);
		e->last = l;
		free(e->pending);
		e->pending = NULL;
		s->dirty = true;
		return 0;
	}
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 32;

		e = realloc(s->v, cap * sizeof(*e));
		if (!e)
			return -ENOMEM;
		s->v = e;
		s->cap = cap;
	}
	e = &s->v[at];
	memmove(e + 1, e, (s->n - at) * sizeof(*e));
	e->id = id;
	e->path = strdup(path);
	e->file = strdup(file);
	e->orig = strdup(orig);
	e->last = strdup(last);
	e->pending = NULL;
	s->n++;
	s->dirty = true;
	if (!e->path || !e->file || !e->orig || !e->last) {
		ent_free(e);
		memmove(e, e + 1, (s->n - at - 1) * sizeof(*e));
		s->n--;
		return -ENOMEM;
	}
	return 0;
}

const struct cgs_state_ent *cgs_state_of(const struct cgs_state *s,
					 const char *path, size_t *n)
{
	size_t at, end;

	lookup(s, path, "", &at);
	for (end = at; end < s->n && !strcmp(s->v[end].path, path); end++)
		;
	*n = end - at;
	return *n ? &s->v[at] : NULL;
}

bool cgs_state_stale(const struct cgs_state *s, const char *path,
		     unsigned long long id)
{
	size_t at;

	lookup(s, path, "", &at);
	return at < s->n && !strcmp(s->v[at].path, path) && s->v[at].id != id;
}

void cgs_state_forget(struct cgs_state *s, const char *path)
{
	size_t at, end;

	lookup(s, path, "", &at);
	for (end = at; end < s->n && !strcmp(s->v[end].path, path); end++)
		ent_free(&s->v[end]);
	if (end == at)
		return;
	memmove(&s->v[at], &s->v[end], (s->n - end) * sizeof(*s->v));
	s->n -= end - at;
	s->dirty = true;
}

void cgs_state_free(struct cgs_state *s)
{
	for (size_t i = 0; i < s->n; i++)
		ent_free(&s->v[i]);
	free(s->v);
	free(s->file);
	memset(s, 0, sizeof(*s));
}

/* Makes the directory of @file (/run/cgshare, when not systemd's). */
static void make_dir(const char *file)
{
	char dir[4200], *slash;

	snprintf(dir, sizeof(dir), "%s", file);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		mkdir(dir, 0700);
	}
}

static void put_escaped(FILE *f, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\')
			fputs("\\\\", f);
		else if (*v == '\t')
			fputs("\\t", f);
		else if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
}

static void put_line(FILE *f, const struct cgs_state_ent *e)
{
	put_escaped(f, e->path);
	fprintf(f, "\t%llu\t", e->id);
	put_escaped(f, e->file);
	fputc('\t', f);
	put_escaped(f, e->orig);
	fputc('\t', f);
	put_escaped(f, e->last);
	if (e->pending) {
		fputc('\t', f);
		put_escaped(f, e->pending);
	}
	fputc('\n', f);
}

/* Marks (@path, @file) pending @value, made with @orig when new. */
static struct cgs_state_ent *pend(struct cgs_state *s, const char *path,
				  unsigned long long id, const char *file,
				  const char *orig, const char *value)
{
	char *v = strdup(value);
	size_t at;

	if (!v)
		return NULL;
	if (!lookup(s, path, file, &at)) {
		if (cgs_state_wrote(s, path, id, file, orig, "")) {
			free(v);
			return NULL;
		}
		lookup(s, path, file, &at);
	}
	free(s->v[at].pending);
	s->v[at].pending = v;
	s->dirty = true;
	return &s->v[at];
}

int cgs_state_intend(struct cgs_state *s, const char *path,
		     unsigned long long id, const char *file, const char *orig,
		     const char *value)
{
	const struct cgs_state_ent *e = pend(s, path, id, file, orig, value);
	char *line = NULL;
	size_t len = 0;
	ssize_t n;
	FILE *f;
	int fd, ret;

	if (!e)
		return -ENOMEM;
	if (!s->file)
		return 0;
	/* one write(2) of a whole line: a run killed in it wrote nothing */
	f = open_memstream(&line, &len);
	if (!f)
		return -errno;
	put_line(f, e);
	if (fclose(f))
		return -ENOMEM;
	make_dir(s->file);
	fd = open(s->file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		ret = -errno;
	} else {
		n = write(fd, line, len);
		ret = n < 0 ? -errno : (size_t)n != len ? -EIO : 0;
		close(fd);
	}
	free(line);
	return ret;
}

void cgs_state_settle(struct cgs_state *s, const char *path, const char *file)
{
	size_t at;

	if (!lookup(s, path, file, &at) || !s->v[at].pending)
		return;
	free(s->v[at].pending);
	s->v[at].pending = NULL;
	s->dirty = true;
}

/*
 * Splits @line into at most @n fields, unescaping in place; returns how
 * many, or 0 if malformed.
 */
static int fields(char *line, char **out, int n)
{
	char *w = line;
	int k = 0;

	out[k++] = w;
	for (char *r = line; *r; r++) {
		if (*r == '\t') {
			if (k == n)
				return 0;
			*w++ = '\0';
			out[k++] = w;
			continue;
		}
		if (*r == '\\') {
			r++;
			if (*r == 't')
				*w++ = '\t';
			else if (*r == 'n')
				*w++ = '\n';
			else if (*r == '\\')
				*w++ = '\\';
			else
				return 0;
			continue;
		}
		*w++ = *r;
	}
	*w = '\0';
	return k >= 3 && out[0][0] == '/' && out[2][0] ? k : 0;
}

int cgs_state_load(struct cgs_state *s, const char *file, char *err,
		   size_t errlen)
{
	char *line = NULL, *f[6], *end;
	unsigned long long id;
	size_t cap = 0;
	ssize_t len;
	int lineno = 0, ret = 0, k;
	FILE *in;

	memset(s, 0, sizeof(*s));
	if (!file)
		return 0;
	s->file = strdup(file);
	if (!s->file)
		return -ENOMEM;
	in = fopen(file, "re");
	if (!in) {
		if (errno == ENOENT)
			return 0;
		ret = -errno;
		snprintf(err, errlen, "%s: %s", file, strerror(-ret));
		return ret;
	}
	while ((len = getline(&line, &cap, in)) >= 0) {
		lineno++;
		/*
		 * The last line without its newline: an append cut short,
		 * whose write was never made (cgs_state_intend()).
		 */
		if (!len || line[len - 1] != '\n')
			break;
		line[--len] = '\0';
		errno = 0;
		k = fields(line, f, 6);
		if (k < 5 ||
		    (id = strtoull(f[1], &end, 10), errno || *end || !f[1][0])) {
			snprintf(err, errlen, "%s:%d: not PATH ID FILE ORIGINAL "
				 "LAST [PENDING]", file, lineno);
			ret = -EBADMSG;
			break;
		}
		/* a later line of another cgroup at the path supersedes */
		if (cgs_state_stale(s, f[0], id))
			cgs_state_forget(s, f[0]);
		ret = cgs_state_wrote(s, f[0], id, f[2], f[3], f[4]);
		if (!ret && k == 6 && !pend(s, f[0], id, f[2], f[3], f[5]))
			ret = -ENOMEM;
		if (ret)
			break;
	}
	free(line);
	fclose(in);
	s->dirty = false;
	if (ret)
		cgs_state_free(s);
	return ret;
}

int cgs_state_save(struct cgs_state *s)
{
	char tmp[4200];
	FILE *f;
	int fd, ret = 0;

	if (!s->file || !s->dirty)
		return 0;
	snprintf(tmp, sizeof(tmp), "%s.tmp", s->file);
	make_dir(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		ret = -errno;
		close(fd);
		unlink(tmp);
		return ret;
	}
	for (size_t i = 0; i < s->n; i++)
		put_line(f, &s->v[i]);
	if (fflush(f) || fsync(fileno(f)))
		ret = -errno;
	if (fclose(f) && !ret)
		ret = -EIO;
	if (!ret && rename(tmp, s->file))
		ret = -errno;
	if (ret)
		unlink(tmp);
	else
		s->dirty = false;
	return ret;
}
