// SPDX-License-Identifier: GPL-2.0
#include <math.h>
#include <string.h>

#include "policy/verify.h"

/*
 * A quota holds a cgroup back when it uses most of it: 80 %, as the
 * guest's cpu.stat runs up to a tenth slow against its clock under TCG
 * (guest-verify's d, held at 0.25 CPU, measured 0.222).
 */
#define AT_QUOTA 0.8

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

/*
 * A sibling whose demand (what it used plus what it waited) is below its
 * weighted part of what the siblings used asked for less than the weight
 * gives it (a duty cycle, a light service): the weight does not bind it,
 * so it is left out and the others' parts are recomputed, as
 * water-filling does. Its wait alone does not make it wanting: under the
 * fair scheduler a task that wakes among CPU hogs waits for their slice
 * at every wakeup (make example: 0.15 CPU used, 0.09 waited, part 0.5).
 * One whose demand exceeds its part and got less was held back: judged.
 */
static bool satisfied(const struct cgs_verify_cg *c, double wsum, double usum)
{
	return (c->usage + c->wait) / usum < c->weight / wsum;
}

static void verify_weight(const struct cgs_verify_cg *cg, size_t n,
			  struct cgs_verify_knob *k)
{
	bool out[n ? n : 1];

	for (size_t p = 0; p < n + 1; p++) {
		int parent = p == n ? -1 : (int)p;
		double wsum, usum;
		unsigned int m;
		bool again;

		for (size_t i = 0; i < n; i++)
			out[i] = cg[i].parent != parent || !contends(&cg[i]);
		do {
			wsum = usum = 0;
			m = 0;
			for (size_t i = 0; i < n; i++)
				if (!out[i]) {
					wsum += cg[i].weight;
					usum += cg[i].usage;
					m++;
				}
			if (m < 2 || usum <= 0)
				break;
			again = false;
			for (size_t i = 0; i < n; i++)
				if (!out[i] && satisfied(&cg[i], wsum, usum))
					out[i] = again = true;
		} while (again);
		if (m < 2 || usum <= 0)
			continue;
		for (size_t i = 0; i < n; i++) {
			double want, got;

			if (out[i])
				continue;
			want = cg[i].weight / wsum;
			got = cg[i].usage / usum;
			/*
			 * Only a shortfall breaks the weight: more than its
			 * part is what a sibling left unused.
			 */
			note(k, cg, i, got < want ? (want - got) / want : 0, want, got);
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
