// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "policy/rate.h"

/*
 * One counter's delta. Cumulative counters of a live cgroup never go back,
 * except when something resets them (a module reload keeps ids only if the
 * cgroup lives on). A negative delta would be shown as a huge unsigned
 * rate, so it becomes 0 and is flagged instead.
 */
static bool delta(uint64_t a, uint64_t b, uint64_t *d)
{
	if (b < a) {
		*d = 0;
		return false;
	}
	*d = b - a;
	return true;
}

static int gpu_rates(const struct cgs_cgroup *prev,
		     const struct cgs_cgroup *now, uint64_t dt,
		     struct cgs_rate *r)
{
	if (!now->nr_gpu)
		return 0;
	r->gpu = calloc(now->nr_gpu, sizeof(*r->gpu));
	if (!r->gpu)
		return -ENOMEM;
	r->nr_gpu = now->nr_gpu;
	for (unsigned int i = 0; i < now->nr_gpu; i++) {
		const struct cgs_gpu *g1 = &now->gpu[i];
		const struct cgs_gpu *g0 = cgs_cgroup_find_gpu(prev, g1->dev);
		static const struct cgs_gpu zero;
		struct cgs_gpu_rate *gr = &r->gpu[i];

		/*
		 * A device first charged during the interval has no nest in
		 * the first sample: its counters were zero then.
		 */
		if (!g0)
			g0 = &zero;
		gr->now = g1;
		for (int c = 0; c < CGS_NR_GPU_CTR; c++) {
			uint32_t bit = CGS_BIT(c);

			if (cgs_gpu_ctr_info[c].kind != CGS_COUNTER ||
			    !(g1->present & bit) ||
			    (g0 != &zero && !(g0->present & bit)))
				continue;
			gr->valid |= bit;
			if (!delta(g0->ctr[c], g1->ctr[c], &gr->delta[c]))
				gr->clamped |= bit;
			gr->per_ns[c] = (double)gr->delta[c] / dt;
		}
		if (gr->clamped)
			r->clamped |= CGS_CLAMPED_GPU;
	}
	return 0;
}

static int live_rate(const struct cgs_cgroup *prev,
		     const struct cgs_cgroup *now, uint64_t dt,
		     struct cgs_rate *r)
{
	r->state = CGS_RATE_LIVE;
	r->prev = prev;
	r->now = now;
	for (int c = 0; c < CGS_NR_CTR; c++) {
		uint32_t bit = CGS_BIT(c);

		if (cgs_ctr_info[c].kind != CGS_COUNTER ||
		    !(prev->present & bit) || !(now->present & bit))
			continue;
		r->valid |= bit;
		if (!delta(prev->ctr[c], now->ctr[c], &r->delta[c]))
			r->clamped |= bit;
		r->per_ns[c] = (double)r->delta[c] / dt;
	}
	return gpu_rates(prev, now, dt, r);
}

int cgs_rate_live(const struct cgs_cgroup *prev, const struct cgs_cgroup *now,
		  uint64_t dt, struct cgs_rate *r)
{
	int ret;

	memset(r, 0, sizeof(*r));
	if (!dt)
		return -EINVAL;
	ret = live_rate(prev, now, dt, r);
	if (ret)
		cgs_rate_free(r);
	return ret;
}

void cgs_rate_free(struct cgs_rate *r)
{
	free(r->gpu);
	r->gpu = NULL;
	r->nr_gpu = 0;
}

static bool sorted(const struct cgs_list *l)
{
	for (size_t i = 1; i < l->n; i++)
		if (l->v[i - 1].id >= l->v[i].id)
			return false;
	return true;
}

int cgs_rates_compute(const struct cgs_list *prev, uint64_t t0,
		      const struct cgs_list *now, uint64_t t1,
		      struct cgs_rates *out)
{
	size_t i = 0, j = 0, k = 0, nr_gone = 0;
	struct cgs_rate *v;
	uint64_t dt;
	int ret;

	memset(out, 0, sizeof(*out));
	if (t1 <= t0 || !sorted(prev) || !sorted(now))
		return -EINVAL;
	dt = t1 - t0;
	v = calloc(prev->n + now->n + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	out->v = v;
	out->interval_ns = dt;

	/* Merge by id: rows for @now first, the vanished collected after. */
	while (j < now->n) {
		const struct cgs_cgroup *b = &now->v[j];

		while (i < prev->n && prev->v[i].id < b->id)
			i++, nr_gone++;
		if (i < prev->n && prev->v[i].id == b->id) {
			ret = live_rate(&prev->v[i], b, dt, &v[k]);
			if (ret)
				goto err;
			if (v[k].clamped)
				out->nr_clamped++;
			i++;
		} else {
			v[k].state = CGS_RATE_NEW;
			v[k].now = b;
		}
		k++;
		j++;
	}
	nr_gone += prev->n - i;
	if (nr_gone) {
		/* Second pass over @prev for ids absent from @now. */
		for (i = 0, j = 0; i < prev->n; i++) {
			while (j < now->n && now->v[j].id < prev->v[i].id)
				j++;
			if (j < now->n && now->v[j].id == prev->v[i].id)
				continue;
			v[k].state = CGS_RATE_GONE;
			v[k].prev = &prev->v[i];
			k++;
		}
	}
	out->n = k;
	return 0;
err:
	out->n = k + 1;
	cgs_rates_free(out);
	return ret;
}

void cgs_rates_free(struct cgs_rates *r)
{
	for (size_t i = 0; i < r->n; i++)
		cgs_rate_free(&r->v[i]);
	free(r->v);
	memset(r, 0, sizeof(*r));
}
