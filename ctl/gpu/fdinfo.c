// SPDX-License-Identifier: GPL-2.0
/* DRM fdinfo collector: parser, /proc scanner, delta engine. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gpu/fdinfo.h"

/* Values above this are not counts of anything real: reject the line. */
#define GFD_ABSURD	((uint64_t)INT64_MAX)

static int is_ws(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\v' ||
	       ch == '\f';
}

/* Digits only, no sign, no overflow, at most GFD_ABSURD. */
static int parse_uint(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (!len)
		return -1;
	for (i = 0; i < len; i++) {
		unsigned int d;

		if (s[i] < '0' || s[i] > '9')
			return -1;
		d = s[i] - '0';
		if (v > (GFD_ABSURD - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

/* Split "N" or "N unit" (whitespace already trimmed at both ends). */
static int split_value(const char *s, size_t len, size_t *nlen,
		       const char **unit, size_t *ulen)
{
	size_t i = 0, j;

	while (i < len && !is_ws(s[i]))
		i++;
	*nlen = i;
	j = i;
	while (j < len && is_ws(s[j]))
		j++;
	*unit = s + j;
	*ulen = len - j;
	for (i = j; i < len; i++)
		if (is_ws(s[i]))
			return -1;	/* a third word */
	return 0;
}

static int unit_is(const char *u, size_t ulen, const char *want)
{
	return ulen == strlen(want) && !memcmp(u, want, ulen);
}

int gfd_parse_size(const char *s, size_t len, uint64_t *out)
{
	const char *unit;
	size_t nlen, ulen;
	uint64_t v, mul;

	if (split_value(s, len, &nlen, &unit, &ulen) ||
	    parse_uint(s, nlen, &v))
		return -1;
	if (!ulen)
		mul = 1;
	else if (unit_is(unit, ulen, "KiB"))
		mul = 1ull << 10;
	else if (unit_is(unit, ulen, "MiB"))
		mul = 1ull << 20;
	else if (unit_is(unit, ulen, "GiB"))
		mul = 1ull << 30;
	else
		return -1;
	if (v > GFD_ABSURD / mul)
		return -1;
	*out = v * mul;
	return 0;
}

/* A bare number, or with the one unit allowed (NULL: none allowed). */
static int parse_num(const char *s, size_t len, const char *unit_ok,
		     uint64_t *out)
{
	const char *unit;
	size_t nlen, ulen;

	if (split_value(s, len, &nlen, &unit, &ulen))
		return -1;
	if (ulen && (!unit_ok || !unit_is(unit, ulen, unit_ok)))
		return -1;
	return parse_uint(s, nlen, out);
}

static int copy_str(char *dst, const char *s, size_t len)
{
	size_t i;

	if (!len || len >= GFD_NAME_LEN)
		return -1;
	for (i = 0; i < len; i++)
		if (!isgraph((unsigned char)s[i]))
			return -1;
	memcpy(dst, s, len);
	dst[len] = '\0';
	return 0;
}

static struct gfd_engine *engine(struct gfd_client *c, const char *name,
				 size_t len)
{
	struct gfd_engine *e;
	unsigned int i;

	if (!len || len >= GFD_NAME_LEN)
		return NULL;
	for (i = 0; i < len; i++)
		if (!isgraph((unsigned char)name[i]))
			return NULL;
	for (i = 0; i < c->nr_eng; i++)
		if (strlen(c->eng[i].name) == len &&
		    !memcmp(c->eng[i].name, name, len))
			return &c->eng[i];
	if (c->nr_eng == GFD_MAX_ENGINES)
		return NULL;
	e = &c->eng[c->nr_eng++];
	memset(e, 0, sizeof(*e));
	memcpy(e->name, name, len);
	e->capacity = 1;
	return e;
}

static int has_prefix(const char *k, size_t klen, const char *p, size_t *plen)
{
	*plen = strlen(p);
	return klen >= *plen && !memcmp(k, p, *plen);
}

/* An engine key: set the field once; a repeat is rejected. */
static int set_engine(struct gfd_client *c, const char *name, size_t nlen,
		      unsigned int bit, const char *v, size_t vlen,
		      const char *unit_ok)
{
	struct gfd_engine *e;
	uint64_t x;

	if (parse_num(v, vlen, unit_ok, &x))
		return -1;
	if (bit == GFD_ENG_CAP && !x)
		return -1;		/* zero capacity is not allowed */
	e = engine(c, name, nlen);
	if (!e || (e->has & bit))
		return -1;
	e->has |= bit;
	switch (bit) {
	case GFD_ENG_NS: e->ns = x; break;
	case GFD_ENG_CYCLES: e->cycles = x; break;
	case GFD_ENG_TOTAL: e->total_cycles = x; break;
	default: e->capacity = x; break;
	}
	return 0;
}

static int add_size(uint64_t *sum, const char *v, size_t vlen)
{
	uint64_t x;

	if (gfd_parse_size(v, vlen, &x) || x > GFD_ABSURD - *sum)
		return -1;
	*sum += x;
	return 0;
}

static int parse_line(struct gfd_client *c, const char *k, size_t klen,
		      const char *v, size_t vlen)
{
	size_t p;
	uint64_t x;

	if (klen == 10 && !memcmp(k, "drm-driver", 10)) {
		if (c->has & GFD_HAS_DRIVER || copy_str(c->driver, v, vlen))
			return -1;
		c->has |= GFD_HAS_DRIVER;
	} else if (klen == 8 && !memcmp(k, "drm-pdev", 8)) {
		if (c->has & GFD_HAS_PDEV || copy_str(c->pdev, v, vlen))
			return -1;
		c->has |= GFD_HAS_PDEV;
	} else if (klen == 13 && !memcmp(k, "drm-client-id", 13)) {
		if (c->has & GFD_HAS_ID || parse_num(v, vlen, NULL, &x))
			return -1;
		c->client_id = x;
		c->has |= GFD_HAS_ID;
	} else if (has_prefix(k, klen, "drm-engine-capacity-", &p)) {
		if (klen == p)
			return -1;	/* no engine name */
		return set_engine(c, k + p, klen - p, GFD_ENG_CAP, v, vlen,
				  NULL);
	} else if (has_prefix(k, klen, "drm-engine-", &p)) {
		return set_engine(c, k + p, klen - p, GFD_ENG_NS, v, vlen,
				  "ns");
	} else if (has_prefix(k, klen, "drm-total-cycles-", &p)) {
		return set_engine(c, k + p, klen - p, GFD_ENG_TOTAL, v, vlen,
				  NULL);
	} else if (has_prefix(k, klen, "drm-cycles-", &p)) {
		return set_engine(c, k + p, klen - p, GFD_ENG_CYCLES, v, vlen,
				  NULL);
	} else if (has_prefix(k, klen, "drm-total-", &p)) {
		if (klen == p)
			return -1;	/* no region name */
		if (add_size(&c->total, v, vlen))
			return -1;
		c->has |= GFD_HAS_TOTAL;
	} else if (has_prefix(k, klen, "drm-resident-", &p)) {
		if (klen == p)
			return -1;	/* no region name */
		if (add_size(&c->resident, v, vlen))
			return -1;
		c->has |= GFD_HAS_RESIDENT;
	} else if (has_prefix(k, klen, "drm-memory-", &p)) {
		if (klen == p)
			return -1;	/* no region name */
		if (add_size(&c->memory, v, vlen))
			return -1;
		c->has |= GFD_HAS_MEMORY;
	} else if (has_prefix(k, klen, "drm-shared-", &p)) {
		if (klen == p)
			return -1;	/* no region name */
		return add_size(&c->shared, v, vlen);
	} else if (has_prefix(k, klen, "drm-active-", &p)) {
		if (klen == p)
			return -1;	/* no region name */
		return add_size(&c->active, v, vlen);
	} else if (has_prefix(k, klen, "drm-purgeable-", &p)) {
		if (klen == p)
			return -1;	/* no region name */
		return add_size(&c->purgeable, v, vlen);
	}
	/* other keys (drm-maxfreq-, drm-curfreq-, driver-specific): ignored */
	return 0;
}

unsigned int gfd_parse(const char *text, size_t len, struct gfd_client *c)
{
	size_t i = 0;

	memset(c, 0, sizeof(*c));
	while (i < len) {
		const char *line = text + i, *nl, *colon, *v;
		size_t llen, klen, vlen, j;
		int bad = 0;

		nl = memchr(line, '\n', len - i);
		llen = nl ? (size_t)(nl - line) : len - i;
		i += llen + (nl ? 1 : 0);
		if (llen && line[llen - 1] == '\r')
			llen--;
		/* only drm- keys are ours; everything else is not checked */
		if (llen < 4 || memcmp(line, "drm-", 4))
			continue;
		colon = memchr(line, ':', llen);
		if (!colon || memchr(line, '\0', llen)) {
			c->bad_lines++;
			continue;
		}
		klen = colon - line;
		for (j = 0; j < klen; j++)
			if (!isgraph((unsigned char)line[j]))
				bad = 1;
		v = colon + 1;
		vlen = llen - klen - 1;
		while (vlen && is_ws(*v))
			v++, vlen--;
		while (vlen && is_ws(v[vlen - 1]))
			vlen--;
		if (bad || parse_line(c, line, klen, v, vlen))
			c->bad_lines++;
	}
	return c->bad_lines;
}

uint64_t gfd_client_mem(const struct gfd_client *c)
{
	if (c->has & GFD_HAS_TOTAL)
		return c->total;
	if (c->has & GFD_HAS_RESIDENT)
		return c->resident;
	return c->memory;
}

/* ---- scanner ---- */

static int gone(int err)
{
	return err == ENOENT || err == ESRCH;
}

/* Read at most GFD_MAX_FILE bytes; a cut-off last line is dropped. */
static char *read_all(const char *path, size_t *len)
{
	char *buf;
	size_t n = 0;
	int fd, saved;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	buf = malloc(GFD_MAX_FILE + 1);
	if (!buf) {
		close(fd);
		errno = ENOMEM;
		return NULL;
	}
	while (n < GFD_MAX_FILE) {
		ssize_t r = read(fd, buf + n, GFD_MAX_FILE - n);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			saved = errno;
			free(buf);
			close(fd);
			errno = saved;
			return NULL;
		}
		if (!r)
			break;
		n += r;
	}
	if (n == GFD_MAX_FILE) {
		char *nl = memrchr(buf, '\n', n);

		n = nl ? (size_t)(nl - buf) + 1 : 0;
	}
	close(fd);
	buf[n] = '\0';
	*len = n;
	return buf;
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/* Numeric names of dir, sorted; NULL with errno on failure. */
static int *list_numbers(const char *dir, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int *v = NULL;
	size_t cap = 0;

	*n = 0;
	if (!d)
		return NULL;
	while ((de = readdir(d))) {
		char *end;
		long x;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		errno = 0;
		x = strtol(de->d_name, &end, 10);
		if (*end || errno || x < 0 || x > INT_MAX)
			continue;
		if (*n == cap) {
			int *nv;

			cap = cap ? cap * 2 : 64;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				free(v);
				closedir(d);
				errno = ENOMEM;
				return NULL;
			}
			v = nv;
		}
		v[(*n)++] = (int)x;
	}
	closedir(d);
	if (!v) {
		v = malloc(sizeof(*v));
		if (!v) {
			errno = ENOMEM;
			return NULL;
		}
	}
	qsort(v, *n, sizeof(*v), cmp_int);
	return v;
}

/* The "0::/path" line of a cgroup file; NULL with errno. */
static char *read_cgroup(const char *path)
{
	size_t len;
	char *buf = read_all(path, &len), *line, *res = NULL;

	if (!buf)
		return NULL;
	for (line = buf; line && *line; ) {
		char *nl = strchr(line, '\n');

		if (nl)
			*nl = '\0';
		if (!strncmp(line, "0::/", 4)) {
			res = strdup(line + 3);
			if (!res)
				errno = ENOMEM;
			break;
		}
		line = nl ? nl + 1 : NULL;
	}
	if (!res && errno != ENOMEM)
		errno = ENODATA;
	free(buf);
	return res;
}

const struct gfd_seen *gfd_find_seen(const struct gfd_sample *s,
				    const char *key, uint64_t id)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->v[i].client_id == id && !strcmp(s->v[i].key, key))
			return &s->v[i];
	return NULL;
}

/* pdev, else driver plus the node's name from the fd link (renderD128). */
static void dev_name(char *dev, const struct gfd_client *c, const char *root,
		     int pid, int fd)
{
	char path[PATH_MAX], link[PATH_MAX];
	ssize_t r;
	const char *base;
	size_t dl, bl;

	if (c->has & GFD_HAS_PDEV) {
		snprintf(dev, GFD_NAME_LEN, "%s", c->pdev);
		return;
	}
	snprintf(dev, GFD_NAME_LEN, "%s", c->driver);
	snprintf(path, sizeof(path), "%s/%d/fd/%d", root, pid, fd);
	r = readlink(path, link, sizeof(link) - 1);
	if (r <= 0)
		return;
	link[r] = '\0';
	if (strncmp(link, "/dev/dri/", 9))
		return;
	base = link + 9;
	dl = strlen(c->driver);
	bl = strlen(base);
	if (bl && dl + 1 + bl < GFD_NAME_LEN) {
		dev[dl] = '/';
		memcpy(dev + dl + 1, base, bl + 1);
	}
}

static int scan_pid(const char *root, int pid, struct gfd_sample *s)
{
	char path[PATH_MAX], *cg, *text;
	int *fds;
	size_t nfd, i;
	struct gfd_client *c;
	int ret = 0;

	snprintf(path, sizeof(path), "%s/%d/cgroup", root, pid);
	cg = read_cgroup(path);
	if (!cg) {
		if (errno == ENOMEM)
			return -1;
		if (gone(errno))
			s->vanished++;
		else if (errno == EACCES || errno == EPERM)
			s->denied++;
		else
			s->no_cgroup++;
		return 0;
	}
	snprintf(path, sizeof(path), "%s/%d/fdinfo", root, pid);
	fds = list_numbers(path, &nfd);
	if (!fds) {
		free(cg);
		if (errno == ENOMEM)
			return -1;
		if (errno == EACCES || errno == EPERM)
			s->denied++;
		else
			s->vanished++;
		return 0;
	}
	c = malloc(sizeof(*c));
	if (!c) {
		ret = -1;
		goto out;
	}
	for (i = 0; i < nfd; i++) {
		size_t len;
		struct gfd_seen *e;
		const char *key;

		snprintf(path, sizeof(path), "%s/%d/fdinfo/%d", root, pid,
			 fds[i]);
		text = read_all(path, &len);
		if (!text) {
			if (errno == ENOMEM) {
				ret = -1;
				goto out;
			}
			if (gone(errno))
				s->vanished++;
			else if (errno == EACCES || errno == EPERM)
				s->denied++;
			continue;
		}
		gfd_parse(text, len, c);
		free(text);
		if (!(c->has & GFD_HAS_DRIVER))
			continue;	/* not a DRM fd */
		s->bad_lines += c->bad_lines;
		if (!(c->has & GFD_HAS_ID))
			continue;
		key = c->has & GFD_HAS_PDEV ? c->pdev : c->driver;
		if (gfd_find_seen(s, key, c->client_id)) {
			s->shared++;
			continue;
		}
		if (s->n == s->cap) {
			size_t cap = s->cap ? s->cap * 2 : 16;
			struct gfd_seen *nv = realloc(s->v, cap * sizeof(*nv));

			if (!nv) {
				ret = -1;
				goto out;
			}
			s->v = nv;
			s->cap = cap;
		}
		e = &s->v[s->n];
		memset(e, 0, sizeof(*e));
		e->cgroup = strdup(cg);
		if (!e->cgroup) {
			ret = -1;
			goto out;
		}
		snprintf(e->key, sizeof(e->key), "%s", key);
		dev_name(e->dev, c, root, pid, fds[i]);
		e->client_id = c->client_id;
		e->pid = pid;
		e->c = *c;
		s->n++;
	}
out:
	if (ret)
		errno = ENOMEM;
	free(c);
	free(fds);
	free(cg);
	return ret;
}

int gfd_scan(const char *root, struct gfd_sample *s)
{
	int *pids;
	size_t n, i;

	memset(s, 0, sizeof(*s));
	pids = list_numbers(root, &n);
	if (!pids)
		return -1;
	for (i = 0; i < n; i++)
		if (scan_pid(root, pids[i], s)) {
			free(pids);
			gfd_sample_free(s);
			errno = ENOMEM;
			return -1;
		}
	free(pids);
	return 0;
}

void gfd_sample_free(struct gfd_sample *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->v[i].cgroup);
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}

/* ---- delta engine ---- */

static const struct gfd_prev *find_prev(const struct gfd_state *st,
					const char *key, uint64_t id)
{
	size_t i;

	for (i = 0; i < st->n; i++)
		if (st->v[i].client_id == id && !strcmp(st->v[i].key, key))
			return &st->v[i];
	return NULL;
}

static const struct gfd_prev_eng *find_eng(const struct gfd_prev *p,
					   const char *name)
{
	unsigned int i;

	for (i = 0; p && i < p->nr_eng; i++)
		if (!strcmp(p->eng[i].name, name))
			return &p->eng[i];
	return NULL;
}

static uint64_t sat_mul(uint64_t a, uint64_t b)
{
	if (a && b > UINT64_MAX / a)
		return UINT64_MAX;
	return a * b;
}

/*
 * One engine: the busy ns it adds since pe (NULL: a new client, counted
 * from zero when fresh, else a baseline), and its new stored values in ne.
 */
static uint64_t engine_delta(struct gfd_state *st, const struct gfd_engine *e,
			     const struct gfd_prev_eng *pe, int fresh,
			     uint64_t elapsed, struct gfd_prev_eng *ne)
{
	uint64_t bound = sat_mul(elapsed, e->capacity), d = 0;

	memset(ne, 0, sizeof(*ne));
	memcpy(ne->name, e->name, sizeof(ne->name));
	ne->has = e->has;
	ne->ns = e->ns;
	ne->cycles = e->cycles;
	ne->total_cycles = e->total_cycles;
	if (e->has & GFD_ENG_NS) {
		uint64_t base = pe && (pe->has & GFD_ENG_NS) ? pe->ns : 0;

		if (!pe && !fresh)
			return 0;
		if (e->ns < base) {
			st->backwards++;
			ne->ns = base;		/* hold the larger value */
			return 0;
		}
		d = e->ns - base;
	} else if ((e->has & (GFD_ENG_CYCLES | GFD_ENG_TOTAL)) ==
		   (GFD_ENG_CYCLES | GFD_ENG_TOTAL)) {
		uint64_t dc, dt;

		if (!pe || (pe->has & (GFD_ENG_CYCLES | GFD_ENG_TOTAL)) !=
		    (GFD_ENG_CYCLES | GFD_ENG_TOTAL))
			return 0;		/* no span to measure against */
		if (e->cycles < pe->cycles || e->total_cycles < pe->total_cycles) {
			st->backwards++;
			ne->cycles = pe->cycles;
			ne->total_cycles = pe->total_cycles;
			return 0;
		}
		dc = e->cycles - pe->cycles;
		dt = e->total_cycles - pe->total_cycles;
		if (!dt)
			return 0;
		d = (uint64_t)((unsigned __int128)elapsed * dc / dt);
	} else {
		return 0;
	}
	if (d > bound) {
		st->capped++;
		d = bound;
	}
	return d;
}

static int add_pair(struct gfd_pair **v, size_t *n, const char *cg,
		    const char *dev)
{
	struct gfd_pair *nv = realloc(*v, (*n + 1) * sizeof(**v));

	if (!nv)
		return -1;
	*v = nv;
	nv[*n].cgroup = strdup(cg);
	if (!nv[*n].cgroup)
		return -1;
	snprintf(nv[*n].dev, sizeof(nv[*n].dev), "%s", dev);
	(*n)++;
	return 0;
}

static void free_pairs(struct gfd_pair *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i].cgroup);
	free(v);
}

static struct gfd_charge *charge_for(struct gfd_charges *out, const char *cg,
				     const char *dev)
{
	struct gfd_charge *nv;
	size_t i;

	for (i = 0; i < out->n; i++)
		if (!strcmp(out->v[i].dev, dev) && !strcmp(out->v[i].cgroup, cg))
			return &out->v[i];
	nv = realloc(out->v, (out->n + 1) * sizeof(*nv));
	if (!nv)
		return NULL;
	out->v = nv;
	nv = &out->v[out->n];
	memset(nv, 0, sizeof(*nv));
	nv->cgroup = strdup(cg);
	if (!nv->cgroup)
		return NULL;
	snprintf(nv->dev, sizeof(nv->dev), "%s", dev);
	out->n++;
	return nv;
}

static int cmp_charge(const void *a, const void *b)
{
	const struct gfd_charge *x = a, *y = b;
	int r = strcmp(x->cgroup, y->cgroup);

	return r ? r : strcmp(x->dev, y->dev);
}

int gfd_delta(struct gfd_state *st, const struct gfd_sample *s,
	      uint64_t now_ns, struct gfd_charges *out)
{
	struct gfd_prev *next = NULL;
	struct gfd_pair *pairs = NULL;
	size_t nr_pairs = 0, i;
	uint64_t elapsed = st->primed && now_ns > st->last_ns ?
			   now_ns - st->last_ns : 0;
	int fresh = st->primed;

	memset(out, 0, sizeof(*out));
	if (s->n) {
		next = calloc(s->n, sizeof(*next));
		if (!next)
			goto nomem;
	}
	for (i = 0; i < s->n; i++) {
		const struct gfd_seen *e = &s->v[i];
		const struct gfd_prev *p = find_prev(st, e->key, e->client_id);
		struct gfd_charge *ch = charge_for(out, e->cgroup, e->dev);
		uint64_t busy = 0;
		unsigned int j;

		if (!ch)
			goto nomem;
		snprintf(next[i].key, sizeof(next[i].key), "%s", e->key);
		next[i].client_id = e->client_id;
		next[i].nr_eng = e->c.nr_eng;
		for (j = 0; j < e->c.nr_eng; j++) {
			uint64_t d = engine_delta(st, &e->c.eng[j],
						  find_eng(p, e->c.eng[j].name),
						  fresh && !p, elapsed,
						  &next[i].eng[j]);

			busy = busy > UINT64_MAX - d ? UINT64_MAX : busy + d;
		}
		ch->busy_ns = ch->busy_ns > UINT64_MAX - busy ? UINT64_MAX :
			      ch->busy_ns + busy;
		busy = gfd_client_mem(&e->c);
		ch->mem_bytes = ch->mem_bytes > UINT64_MAX - busy ?
				UINT64_MAX : ch->mem_bytes + busy;
	}
	for (i = 0; i < out->n; i++)
		if (add_pair(&pairs, &nr_pairs, out->v[i].cgroup,
			     out->v[i].dev))
			goto nomem;
	/* memory that is gone: one last charge with 0 */
	for (i = 0; i < st->nr_pairs; i++) {
		size_t j;
		int found = 0;

		for (j = 0; j < nr_pairs && !found; j++)
			found = !strcmp(pairs[j].dev, st->pairs[i].dev) &&
				!strcmp(pairs[j].cgroup, st->pairs[i].cgroup);
		if (!found && !charge_for(out, st->pairs[i].cgroup,
					  st->pairs[i].dev))
			goto nomem;
	}
	qsort(out->v, out->n, sizeof(*out->v), cmp_charge);
	free(st->v);
	st->v = next;
	st->n = s->n;
	free_pairs(st->pairs, st->nr_pairs);
	st->pairs = pairs;
	st->nr_pairs = nr_pairs;
	st->last_ns = now_ns;
	st->primed = 1;
	return 0;
nomem:
	free(next);
	free_pairs(pairs, nr_pairs);
	gfd_charges_free(out);
	errno = ENOMEM;
	return -1;
}

void gfd_charges_free(struct gfd_charges *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		free(c->v[i].cgroup);
	free(c->v);
	c->v = NULL;
	c->n = 0;
}

void gfd_state_free(struct gfd_state *st)
{
	free(st->v);
	free_pairs(st->pairs, st->nr_pairs);
	memset(st, 0, sizeof(*st));
}
