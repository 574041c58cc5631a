// SPDX-License-Identifier: GPL-2.0
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"

const struct cgs_feature_name cgs_features[] = {
	{ CGSHARE_FEATURE_CPU, "cpu" },
	{ CGSHARE_FEATURE_MEMORY, "memory" },
	{ CGSHARE_FEATURE_GPU_CHARGE, "gpu-charge" },
	{ CGSHARE_FEATURE_GPU_BPF, "gpu-bpf" },
	{ 0, NULL }
};

void cgs_cgroup_free(struct cgs_cgroup *cg)
{
	free(cg->path);
	free(cg->gpu);
	memset(cg, 0, sizeof(*cg));
}

struct cgs_gpu *cgs_cgroup_add_gpu(struct cgs_cgroup *cg)
{
	struct cgs_gpu *g = realloc(cg->gpu, (cg->nr_gpu + 1) * sizeof(*g));

	if (!g)
		return NULL;
	cg->gpu = g;
	g += cg->nr_gpu++;
	memset(g, 0, sizeof(*g));
	return g;
}

const struct cgs_gpu *cgs_cgroup_find_gpu(const struct cgs_cgroup *cg,
					  const char *dev)
{
	for (unsigned int i = 0; i < cg->nr_gpu; i++)
		if (!strcmp(cg->gpu[i].dev, dev))
			return &cg->gpu[i];
	return NULL;
}

/* Sum of the memory.events counters the cgroup reported. */
uint64_t cgs_cgroup_events(const struct cgs_cgroup *cg)
{
	uint64_t sum = 0;

	for (int c = CGS_MEM_EVENTS_LOW; c <= CGS_MEM_EVENTS_OOM_KILL; c++)
		if (cgs_has_ctr(cg, c))
			sum += cg->ctr[c];
	return sum;
}

bool cgs_cgroup_cpu_max(const struct cgs_cgroup *cg, double *cpus)
{
	uint64_t q = cg->ctr[CGS_CPU_MAX_QUOTA_NS];
	uint64_t p = cg->ctr[CGS_CPU_MAX_PERIOD_NS];

	if (!cgs_has_ctr(cg, CGS_CPU_MAX_QUOTA_NS) ||
	    !cgs_has_ctr(cg, CGS_CPU_MAX_PERIOD_NS) || !p)
		return false;
	*cpus = q == UINT64_MAX ? INFINITY : (double)q / p;
	return true;
}

struct cgs_cgroup *cgs_list_add(struct cgs_list *l)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct cgs_cgroup *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return NULL;
		l->v = v;
		l->cap = cap;
	}
	memset(&l->v[l->n], 0, sizeof(l->v[0]));
	return &l->v[l->n++];
}

bool cgs_list_reserve(struct cgs_list *l, size_t n)
{
	struct cgs_cgroup *v;

	if (n <= l->cap)
		return true;
	if (n > SIZE_MAX / sizeof(*v))
		return false;
	v = realloc(l->v, n * sizeof(*v));
	if (!v)
		return false;
	l->v = v;
	l->cap = n;
	return true;
}

void cgs_list_clear(struct cgs_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		cgs_cgroup_free(&l->v[i]);
	l->n = 0;
}

void cgs_list_drop_last(struct cgs_list *l)
{
	if (l->n)
		cgs_cgroup_free(&l->v[--l->n]);
}

void cgs_list_free(struct cgs_list *l)
{
	cgs_list_clear(l);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static int cmp_id(const void *a, const void *b)
{
	const struct cgs_cgroup *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static int cmp_path(const void *a, const void *b)
{
	const struct cgs_cgroup *x = a, *y = b;
	int r = cgs_path_cmp(x->path ? x->path : "", y->path ? y->path : "");

	return r ? r : cmp_id(a, b);
}

void cgs_list_sort_by_id(struct cgs_list *l)
{
	size_t i;

	/* a dump comes in id order already */
	for (i = 1; i < l->n && l->v[i - 1].id < l->v[i].id; i++)
		;
	if (i < l->n)
		qsort(l->v, l->n, sizeof(l->v[0]), cmp_id);
}

struct cgs_cgroup *cgs_list_find_id(const struct cgs_list *l, uint64_t id)
{
	size_t lo = 0, hi = l->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (l->v[mid].id == id)
			return &l->v[mid];
		if (l->v[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

void cgs_list_sort_by_path(struct cgs_list *l)
{
	if (l->n)
		qsort(l->v, l->n, sizeof(l->v[0]), cmp_path);
}

void cgs_status_free(struct cgs_status *st)
{
	free(st->version);
	free(st->gpu_bpf_reason);
	memset(st, 0, sizeof(*st));
}
