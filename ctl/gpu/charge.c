// SPDX-License-Identifier: GPL-2.0
/* Collector charges to `charge` requests; the rules are in gpu_charge.h. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gpu/charge.h"

const char *const gc_source_name[GC_NR_SOURCES] = {
	[GC_FDINFO] = "fdinfo",
	[GC_NVML] = "nvml",
};

static void set_bad(char *bad, size_t badlen, const char *s, size_t len)
{
	if (!badlen)
		return;
	if (len >= badlen)
		len = badlen - 1;
	memcpy(bad, s, len);
	bad[len] = '\0';
}

int gc_parse_sources(const char *s, unsigned int *mask, char *bad,
		     size_t badlen)
{
	unsigned int m = 0;

	set_bad(bad, badlen, "", 0);
	for (;;) {
		size_t len = strcspn(s, ",");
		int src = -1;

		for (int i = 0; i < GC_NR_SOURCES; i++)
			if (strlen(gc_source_name[i]) == len &&
			    !memcmp(s, gc_source_name[i], len))
				src = i;
		if (src < 0 || (m & GC_SRC_BIT(src))) {
			set_bad(bad, badlen, s, len);
			return -EINVAL;
		}
		m |= GC_SRC_BIT(src);
		if (!s[len])
			break;
		s += len + 1;
	}
	*mask = m;
	return 0;
}

static bool dev_char_ok(char c)
{
	return isalnum((unsigned char)c) || c == ':' || c == '.' || c == '_' ||
	       c == '-';
}

int gc_dev_name(char *out, size_t len, const char *in)
{
	size_t n = strlen(in);

	if (!n || n >= CGSHARE_DEV_NAME_LEN || n >= len)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		out[i] = dev_char_ok(in[i]) ? in[i] : in[i] == '/' ? ':' : '_';
	out[n] = '\0';
	return 0;
}

static struct gc_item *find(struct gc_batch *b, enum gc_source src,
			    const char *cgroup, const char *dev)
{
	for (size_t i = 0; i < b->n; i++)
		if (b->v[i].src == src && !strcmp(b->v[i].dev, dev) &&
		    !strcmp(b->v[i].cgroup, cgroup))
			return &b->v[i];
	return NULL;
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* @dev is already a valid name. */
static int add(struct gc_batch *b, enum gc_source src, const char *cgroup,
	       const char *dev, uint64_t busy_ns, uint64_t mem_bytes,
	       bool newer, unsigned int tries)
{
	struct gc_item *it = find(b, src, cgroup, dev);

	if (it) {
		it->busy_ns = sat_add(it->busy_ns, busy_ns);
		if (newer)
			it->mem_bytes = mem_bytes;
		if (tries > it->tries)
			it->tries = tries;
		return 0;
	}
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 16;
		struct gc_item *v = realloc(b->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		b->v = v;
		b->cap = cap;
	}
	it = &b->v[b->n];
	memset(it, 0, sizeof(*it));
	it->cgroup = strdup(cgroup);
	if (!it->cgroup)
		return -ENOMEM;
	it->src = src;
	snprintf(it->dev, sizeof(it->dev), "%s", dev);
	it->busy_ns = busy_ns;
	it->mem_bytes = mem_bytes;
	it->tries = tries;
	b->n++;
	return 0;
}

int gc_batch_add(struct gc_batch *b, enum gc_source src, const char *cgroup,
		 const char *dev, uint64_t busy_ns, uint64_t mem_bytes,
		 bool newer, unsigned int tries)
{
	char name[CGSHARE_DEV_NAME_LEN];

	if (gc_dev_name(name, sizeof(name), dev))
		return -EINVAL;
	return add(b, src, cgroup, name, busy_ns, mem_bytes, newer, tries);
}

/* -EINVAL counts in *bad_dev and goes on; -ENOMEM stops. */
static int add_counted(struct gc_batch *b, enum gc_source src,
		       const char *cgroup, const char *dev, uint64_t busy_ns,
		       uint64_t mem_bytes, unsigned int *bad_dev)
{
	int ret = gc_batch_add(b, src, cgroup, dev, busy_ns, mem_bytes, true,
			       0);

	if (ret == -EINVAL) {
		(*bad_dev)++;
		return 0;
	}
	return ret;
}

int gc_batch_add_fdinfo(struct gc_batch *b, const struct gfd_charges *c,
			unsigned int *bad_dev)
{
	for (size_t i = 0; i < c->n; i++) {
		int ret = add_counted(b, GC_FDINFO, c->v[i].cgroup,
				      c->v[i].dev, c->v[i].busy_ns,
				      c->v[i].mem_bytes, bad_dev);

		if (ret)
			return ret;
	}
	return 0;
}

int gc_batch_add_nvml(struct gc_batch *b, const struct cgs_nvml_charge *c,
		      size_t n, unsigned int *bad_dev)
{
	for (size_t i = 0; i < n; i++) {
		int ret = add_counted(b, GC_NVML, c[i].cgroup, c[i].dev,
				      c[i].busy_ns, c[i].mem_bytes, bad_dev);

		if (ret)
			return ret;
	}
	return 0;
}

void gc_batch_free(struct gc_batch *b)
{
	for (size_t i = 0; i < b->n; i++)
		free(b->v[i].cgroup);
	free(b->v);
	memset(b, 0, sizeof(*b));
}

void gc_state_free(struct gc_state *st)
{
	gc_batch_free(&st->pending);
	gc_batch_free(&st->held);
}

enum gc_outcome gc_classify(int err)
{
	switch (err) {
	case 0:
		return GC_CHARGED;
	case -ENOENT:
	case -ESRCH:
		return GC_VANISHED;
	case -EPERM:
	case -EACCES:
	case -ENODEV:
	case -EOPNOTSUPP:
		return GC_FATAL;
	case -EINVAL:
	case -ENOSPC:
	case -E2BIG:
	case -ERANGE:
	case -EMSGSIZE:
	case -EPROTO:
		return GC_REFUSED;
	case -EIO:
		return GC_UNACKED;
	default:
		/* ENOMEM, ENOBUFS, EAGAIN, EBUSY, ECOMM, ...: may pass. */
		return GC_DEFERRED;
	}
}

static int cmp_item(const void *a, const void *b)
{
	const struct gc_item *x = a, *y = b;
	int r = strcmp(x->cgroup, y->cgroup);

	if (r)
		return r;
	if (x->src != y->src)
		return x->src < y->src ? -1 : 1;
	return strcmp(x->dev, y->dev);
}

/* Memory-0 charges for pairs that held memory and are absent now. */
static int forget(struct gc_state *st, struct gc_batch *b,
		  unsigned int collected)
{
	for (size_t i = 0; i < st->held.n; i++) {
		const struct gc_item *h = &st->held.v[i];
		int ret;

		if (!(collected & GC_SRC_BIT(h->src)) ||
		    find(b, h->src, h->cgroup, h->dev))
			continue;
		ret = add(b, h->src, h->cgroup, h->dev, 0, 0, true, 0);
		if (ret)
			return ret;
	}
	return 0;
}

/* Deferred charges join this round's; this round's memory is newer. */
static int take_pending(struct gc_state *st, struct gc_batch *b)
{
	for (size_t i = 0; i < st->pending.n; i++) {
		const struct gc_item *p = &st->pending.v[i];
		struct gc_item *it = find(b, p->src, p->cgroup, p->dev);
		int ret;

		if (it) {
			it->busy_ns = sat_add(it->busy_ns, p->busy_ns);
			if (p->tries > it->tries)
				it->tries = p->tries;
			continue;
		}
		ret = add(b, p->src, p->cgroup, p->dev, p->busy_ns,
			  p->mem_bytes, true, p->tries);
		if (ret)
			return ret;
	}
	gc_batch_free(&st->pending);
	return 0;
}

static void count(struct gc_totals *t, struct gc_item *it,
		  enum gc_outcome o)
{
	switch (o) {
	case GC_CHARGED:
		t->charged++;
		t->busy_ns = sat_add(t->busy_ns, it->busy_ns);
		t->mem_bytes = sat_add(t->mem_bytes, it->mem_bytes);
		break;
	case GC_VANISHED:
		t->vanished++;
		t->vanished_ns = sat_add(t->vanished_ns, it->busy_ns);
		break;
	case GC_DEFERRED:
		t->deferred++;
		t->deferred_ns = sat_add(t->deferred_ns, it->busy_ns);
		break;
	case GC_DROPPED:
		t->dropped++;
		t->dropped_ns = sat_add(t->dropped_ns, it->busy_ns);
		break;
	case GC_UNACKED:
		t->unacked++;
		t->unacked_ns = sat_add(t->unacked_ns, it->busy_ns);
		break;
	case GC_REFUSED:
	case GC_FATAL:
		t->refused++;
		t->refused_ns = sat_add(t->refused_ns, it->busy_ns);
		break;
	}
}

/* Applies outcome @o of @it; the new pending and held sets grow. */
static int settle(struct gc_state *st, struct gc_batch *held,
		  struct gc_item *it, enum gc_outcome o, int err,
		  const struct gc_ops *ops, void *ctx, struct gc_totals *t)
{
	int ret = 0;

	if (o == GC_DEFERRED && it->tries + 1 >= GC_MAX_TRIES)
		o = GC_DROPPED;
	if (o == GC_DEFERRED)
		ret = add(&st->pending, it->src, it->cgroup, it->dev,
			  it->busy_ns, it->mem_bytes, true, it->tries + 1);
	/* Memory we set, or will set on the retry, is memory we must clear. */
	if (!ret && it->mem_bytes &&
	    (o == GC_CHARGED || o == GC_DEFERRED || o == GC_UNACKED))
		ret = add(held, it->src, it->cgroup, it->dev, 0, 0, false, 0);
	if (ret)
		return ret;
	count(t, it, o);
	if (o != GC_CHARGED && ops->report)
		ops->report(ctx, it, o, err);
	return 0;
}

/* The held pairs of the sources not collected this round stay held. */
static int keep_held(struct gc_state *st, struct gc_batch *held,
		     unsigned int collected)
{
	for (size_t i = 0; i < st->held.n; i++) {
		const struct gc_item *h = &st->held.v[i];
		int ret;

		if (collected & GC_SRC_BIT(h->src))
			continue;
		ret = add(held, h->src, h->cgroup, h->dev, 0, 0, false, 0);
		if (ret)
			return ret;
	}
	return 0;
}

int gc_run(struct gc_state *st, struct gc_batch *b, unsigned int collected,
	   const struct gc_ops *ops, void *ctx, struct gc_totals *t)
{
	struct gc_batch held = { 0 };
	size_t i = 0;
	int ret;

	ret = forget(st, b, collected);
	if (!ret)
		ret = take_pending(st, b);
	if (!ret)
		ret = keep_held(st, &held, collected);
	if (ret)
		goto out;
	qsort(b->v, b->n, sizeof(*b->v), cmp_item);
	while (i < b->n) {
		const char *cg = b->v[i].cgroup;
		size_t end = i;
		uint64_t id = 0;
		int lerr;

		while (end < b->n && !strcmp(b->v[end].cgroup, cg))
			end++;
		lerr = ops->lookup(ctx, cg, &id);
		for (; i < end; i++) {
			int err = lerr ? lerr : ops->charge(ctx, id, &b->v[i]);
			enum gc_outcome o = gc_classify(err);

			if (o == GC_FATAL) {
				ret = err;
				count(t, &b->v[i], o);
				goto out;
			}
			ret = settle(st, &held, &b->v[i], o, err, ops, ctx, t);
			if (ret)
				goto out;
		}
	}
	gc_batch_free(&st->held);
	st->held = held;
	memset(&held, 0, sizeof(held));
out:
	gc_batch_free(&held);
	gc_batch_free(b);
	return ret;
}
