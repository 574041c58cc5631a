// SPDX-License-Identifier: GPL-2.0
#include <math.h>
#include <string.h>

#include "policy/verify.h"

/* A quota holds a cgroup back when it uses most of it. */
#define AT_QUOTA 0.9

enum cgs_limit cgs_knob_limit(enum cgs_knob k)
{
	return k == CGS_KNOB_CPU_WEIGHT ? CGS_LIM_CPU_WEIGHT : CGS_LIM_CPU_MAX;
}

const char *cgs_knob_file(enum cgs_knob k)
{
	return cgs_limit_file[cgs_knob_limit(k)];
}

const char *cgs_verdict_name(enum cgs_verdict v)
{
	switch (v) {
	case CGS_VERDICT_HONOURED:
		return "honoured";
	case CGS_VERDICT_IGNORED:
		return "ignored";
	default:
		return "unknown";
	}
}

static void note(struct cgs_verify_knob *k, const struct cgs_verify_cg *cg,
		 int i, double gap, double want, double got)
{
	k->judged++;
	if (k->worst >= 0 && gap <= k->gap)
		return;
	k->worst = i;
	k->worst_path = cg[i].path;
	k->gap = gap;
	k->want = want;
	k->got = got;
}

static bool quota_bound(const struct cgs_verify_cg *c)
{
	return isfinite(c->quota) && c->usage >= c->quota * AT_QUOTA;
}

static void verify_max(const struct cgs_verify_cg *cg, size_t n,
		       struct cgs_verify_knob *k)
{
	for (size_t i = 0; i < n; i++) {
		const struct cgs_verify_cg *c = &cg[i];

		if (!isfinite(c->quota) || c->quota <= 0)
			continue;
		if (c->wait <= CGS_VERIFY_WANTING && !quota_bound(c))
			continue;	/* it does not press on its quota */
		note(k, cg, i, c->usage / c->quota - 1, c->quota, c->usage);
	}
	if (k->judged)
		k->verdict = k->gap > CGS_VERIFY_TOLERANCE ?
			     CGS_VERDICT_IGNORED : CGS_VERDICT_HONOURED;
}

static bool contends(const struct cgs_verify_cg *c)
{
	return c->weight > 0 && c->wait > CGS_VERIFY_WANTING && !quota_bound(c);
}

static void verify_weight(const struct cgs_verify_cg *cg, size_t n,
			  struct cgs_verify_knob *k)
{
	for (size_t p = 0; p < n + 1; p++) {
		int parent = p == n ? -1 : (int)p;
		double wsum = 0, usum = 0;
		unsigned int m = 0;

		for (size_t i = 0; i < n; i++)
			if (cg[i].parent == parent && contends(&cg[i])) {
				wsum += cg[i].weight;
				usum += cg[i].usage;
				m++;
			}
		if (m < 2 || usum <= 0)
			continue;
		for (size_t i = 0; i < n; i++) {
			double want, got;

			if (cg[i].parent != parent || !contends(&cg[i]))
				continue;
			want = cg[i].weight / wsum;
			got = cg[i].usage / usum;
			note(k, cg, i, fabs(got - want) / want, want, got);
		}
	}
	if (k->judged)
		k->verdict = k->gap > CGS_VERIFY_TOLERANCE ?
			     CGS_VERDICT_IGNORED : CGS_VERDICT_HONOURED;
}

void cgs_verify(const struct cgs_verify_cg *cg, size_t n,
		struct cgs_verify_knob out[CGS_NR_KNOBS])
{
	for (int k = 0; k < CGS_NR_KNOBS; k++) {
		memset(&out[k], 0, sizeof(out[k]));
		out[k].worst = -1;
	}
	verify_weight(cg, n, &out[CGS_KNOB_CPU_WEIGHT]);
	verify_max(cg, n, &out[CGS_KNOB_CPU_MAX]);
}
