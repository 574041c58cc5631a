// SPDX-License-Identifier: GPL-2.0
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/share.h"

/*
 * maxmin and drf are one algorithm: progressive filling of Leontief demand
 * vectors with per-resource floors. maxmin runs it on one resource at a
 * time, drf on all drf resources together. Member m of a sibling group gets
 * t[m] * demand (at least its floor lo), where t = L * wd[m] grows with the
 * common level L until m is satisfied (t = tau) or a resource it is growing
 * in runs out. Each resource's use is linear in L between events (a member
 * passing its floor, a member satisfied), so one sort of the events and a
 * sweep find every saturation exactly.
 */

enum { PARKED, LIVE, DONE, FROZEN };

/*
 * What gets sorted: a 64-bit key and a payload. Events: the level's bits
 * (levels are >= 0, so their bits order as they do), and member << 2 |
 * (resource whose floor it passes + 1, or 0: satisfied). Members: a hash
 * of their values, ties settled by the values themselves.
 */
struct kv {
	uint64_t key;
	uint32_t val;
};

_Static_assert(CGS_NR_RES < 4, "an event keeps its resource in 2 bits");

struct solver {
	struct cgs_problem *p;
	size_t *first;			/* group g: kids[first[g]..first[g+1]) */
	uint32_t *kids;			/* group 0: the roots; g = i + 1: i's */
	double (*agg)[CGS_NR_RES];	/* max(own demand, sum of kids' need) */
	double (*need)[CGS_NR_RES];	/* the most it can use of its parent */

	/* one sibling group at a time, by member position */
	const uint32_t *mem;
	size_t nmem;
	int set[CGS_NR_RES], k;		/* the resources solved together */
	double cap[CGS_NR_RES];		/* the parent's share */
	double (*lo)[CGS_NR_RES];	/* floors, scaled when over-committed */
	double (*d)[CGS_NR_RES], (*hi)[CGS_NR_RES];	/* agg, max: gathered */
	double *t, *tau, *wd;
	unsigned char *state;
	unsigned char (*act)[CGS_NR_RES];	/* growing in r (past floor) */
	struct kv *ev, *tmp;
	int scaled[CGS_NR_RES], sat[CGS_NR_RES], nact[CGS_NR_RES];
	double slope[CGS_NR_RES], used[CGS_NR_RES], level;
};

static const char *const policy_names[] = {
	[CGS_POLICY_MAXMIN] = "maxmin",
	[CGS_POLICY_PROPORTIONAL] = "proportional",
	[CGS_POLICY_DRF] = "drf",
};

static const struct {
	const char *str, *explain;
} reasons[] = {
	[CGS_REASON_NONE] = { "none", "not computed" },
	[CGS_REASON_DEMAND] = { "demand", "got all it asked for" },
	[CGS_REASON_FAIR] = { "fair",
		"bottlenecked: its weighted share of what was left" },
	[CGS_REASON_MIN] = { "min", "raised to its guarantee" },
	[CGS_REASON_MAX] = { "max", "held at its cap" },
	[CGS_REASON_PROPORTIONAL] = { "proportional",
		"proportional to its demand" },
	[CGS_REASON_DOMINANT] = { "dominant",
		"its weighted dominant share, equalised with its siblings'" },
	[CGS_REASON_NO_CAPACITY] = { "no-capacity",
		"its parent had nothing left to give" },
	[CGS_REASON_MIN_SCALED] = { "min-scaled",
		"guarantees exceed the parent's share: scaled down pro rata" },
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

const char *cgs_policy_name(enum cgs_policy p)
{
	return (unsigned int)p < ARRAY_SIZE(policy_names) ?
		policy_names[p] : "unknown";
}

int cgs_policy_parse(const char *s, enum cgs_policy *p)
{
	for (unsigned int i = 0; s && i < ARRAY_SIZE(policy_names); i++) {
		if (!strcmp(s, policy_names[i])) {
			*p = i;
			return 0;
		}
	}
	return -1;
}

const char *cgs_reason_str(enum cgs_reason r)
{
	return (unsigned int)r < ARRAY_SIZE(reasons) ?
		reasons[r].str : "unknown";
}

const char *cgs_reason_explain(enum cgs_reason r)
{
	return (unsigned int)r < ARRAY_SIZE(reasons) ?
		reasons[r].explain : "unknown reason";
}

static int __attribute__((format(printf, 3, 4)))
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static int validate(const struct cgs_problem *p, char *err, size_t errlen)
{
	if (!p || !p->nodes || !p->n)
		return fail(err, errlen, "no cgroups to share among");
	if (p->n > UINT32_MAX >> 2)
		return fail(err, errlen, "%zu cgroups are too many", p->n);
	for (int r = 0; r < CGS_NR_RES; r++) {
		if ((unsigned int)p->policy[r] >= ARRAY_SIZE(policy_names))
			return fail(err, errlen, "%s: unknown policy %d",
				    cgs_res_name(r), (int)p->policy[r]);
		if (!isfinite(p->capacity[r]) || p->capacity[r] < 0)
			return fail(err, errlen,
				    "%s: capacity %g is not a finite number >= 0",
				    cgs_res_name(r), p->capacity[r]);
	}
	for (size_t i = 0; i < p->n; i++) {
		const struct cgs_node *c = &p->nodes[i];

		if (c->parent < -1 || (long long)c->parent >= (long long)i)
			return fail(err, errlen,
				    "cgroup %zu: parent %d is not an earlier cgroup",
				    i, c->parent);
		if (!isfinite(c->weight) || c->weight < 0)
			return fail(err, errlen,
				    "cgroup %zu: weight %g is not a finite number >= 0",
				    i, c->weight);
		for (int r = 0; r < CGS_NR_RES; r++) {
			const char *n = cgs_res_name(r);

			if (!isfinite(c->demand[r]) || c->demand[r] < 0)
				return fail(err, errlen,
					    "cgroup %zu: %s demand %g is not a finite number >= 0",
					    i, n, c->demand[r]);
			if (!isfinite(c->min[r]) || c->min[r] < 0)
				return fail(err, errlen,
					    "cgroup %zu: %s min %g is not a finite number >= 0",
					    i, n, c->min[r]);
			if (isnan(c->max[r]) || c->max[r] < 0)
				return fail(err, errlen,
					    "cgroup %zu: %s max %g is not a number >= 0",
					    i, n, c->max[r]);
			if (c->min[r] > c->max[r])
				return fail(err, errlen,
					    "cgroup %zu: %s min %g exceeds max %g",
					    i, n, c->min[r], c->max[r]);
		}
	}
	return 0;
}

/* No NaN gets past validate(), so no need for libm's fmin/fmax. */
static double dmin(double a, double b)
{
	return a < b ? a : b;
}

static double dmax(double a, double b)
{
	return a > b ? a : b;
}

static int cmp_dbl(double a, double b)
{
	return (a > b) - (a < b);
}

static int cmp_member(const struct solver *s, uint32_t i, uint32_t j)
{
	const struct cgs_node *x = &s->p->nodes[i], *y = &s->p->nodes[j];
	int c = cmp_dbl(x->weight, y->weight);

	for (int r = 0; !c && r < CGS_NR_RES; r++) {
		c = cmp_dbl(s->agg[i][r], s->agg[j][r]);
		if (!c)
			c = cmp_dbl(x->min[r], y->min[r]);
		if (!c)
			c = cmp_dbl(x->max[r], y->max[r]);
	}
	return c ? c : (i > j) - (i < j);
}

static uint64_t bits(double d)
{
	uint64_t u;

	d += 0.0;	/* -0 is 0 */
	memcpy(&u, &d, sizeof(u));
	return u;
}

static uint64_t mix(uint64_t h, double d)
{
	h ^= bits(d);
	h *= 0x9e3779b97f4a7c15ull;
	return h ^ h >> 29;
}

static uint64_t member_key(const struct solver *s, uint32_t i)
{
	const struct cgs_node *c = &s->p->nodes[i];
	uint64_t h = mix(0, c->weight);

	for (int r = 0; r < CGS_NR_RES; r++)
		h = mix(mix(mix(h, s->agg[i][r]), c->min[r]), c->max[r]);
	return h;
}

/* Orders a[0..n) by key, then (members) by value, stably. */
static void insertion(const struct solver *s, struct kv *a, size_t n,
		      int members)
{
	for (size_t i = 1; i < n; i++) {
		struct kv x = a[i];
		size_t j = i;

		while (j > 0 && (a[j - 1].key > x.key ||
				 (members && a[j - 1].key == x.key &&
				  cmp_member(s, a[j - 1].val, x.val) > 0))) {
			a[j] = a[j - 1];
			j--;
		}
		a[j] = x;
	}
}

/*
 * Stable LSD radix sort by key, a byte at a time, skipping bytes that all
 * keys share; a and tmp hold n. Returns whichever of them has the result.
 */
static struct kv *radix(struct kv *a, struct kv *tmp, size_t n)
{
	for (int shift = 0; shift < 64; shift += 8) {
		size_t count[257] = { 0 };
		struct kv *t;

		for (size_t i = 0; i < n; i++)
			count[(a[i].key >> shift & 0xff) + 1]++;
		if (count[(a[0].key >> shift & 0xff) + 1] == n)
			continue;
		for (int b = 1; b < 257; b++)
			count[b] += count[b - 1];
		for (size_t i = 0; i < n; i++)
			tmp[count[a[i].key >> shift & 0xff]++] = a[i];
		t = a;
		a = tmp;
		tmp = t;
	}
	return a;
}

static struct kv *sort_kv(const struct solver *s, struct kv *a,
			  struct kv *tmp, size_t n, int members)
{
	size_t run = 0;

	if (n < 48) {
		insertion(s, a, n, members);
		return a;
	}
	a = radix(a, tmp, n);
	for (size_t i = 1; members && i <= n; i++) {
		if (i == n || a[i].key != a[run].key) {
			insertion(s, a + run, i - run, 1);
			run = i;
		}
	}
	return a;
}

/*
 * Siblings in an order that depends on their values only, so that sums
 * and ties come out bit for bit the same however the caller ordered them.
 * Nodes equal in every value are interchangeable.
 */
static void sort_members(struct solver *s, uint32_t *kid, size_t n)
{
	struct kv *a;

	for (size_t k = 0; k < n; k++)
		s->ev[k] = (struct kv){ member_key(s, kid[k]), kid[k] };
	a = sort_kv(s, s->ev, s->tmp, n, 1);
	for (size_t k = 0; k < n; k++)
		kid[k] = a[k].val;
}

/* Sorts i's children (all already aggregated), then aggregates i. */
static void aggregate(struct solver *s, size_t i)
{
	const struct cgs_node *c = &s->p->nodes[i];
	uint32_t *kid = s->kids + s->first[i + 1];
	size_t nkid = s->first[i + 2] - s->first[i + 1];
	double sum[CGS_NR_RES] = { 0 }, tau = 1;

	sort_members(s, kid, nkid);
	for (size_t k = 0; k < nkid; k++)
		for (int r = 0; r < CGS_NR_RES; r++)
			sum[r] += s->need[kid[k]][r];
	for (int r = 0; r < CGS_NR_RES; r++) {
		s->agg[i][r] = dmax(c->demand[r] + 0.0, sum[r]);
		if (s->p->policy[r] == CGS_POLICY_DRF && s->agg[i][r] > 0 &&
		    c->max[r] < s->agg[i][r])
			tau = dmin(tau, c->max[r] / s->agg[i][r]);
	}
	for (int r = 0; r < CGS_NR_RES; r++) {
		double a = s->agg[i][r];

		switch (s->p->policy[r]) {
		case CGS_POLICY_PROPORTIONAL:
			s->need[i][r] = a;
			break;
		case CGS_POLICY_MAXMIN:
			s->need[i][r] = dmax(c->min[r], dmin(c->max[r], a));
			break;
		case CGS_POLICY_DRF:
			s->need[i][r] = dmax(c->min[r], dmin(c->max[r], tau * a));
			break;
		}
	}
}

static double dem(const struct solver *s, size_t m, int r)
{
	return s->d[m][r];
}

/* What member m holds of resource r at its current t. */
static double held(const struct solver *s, size_t m, int r)
{
	return dmax(s->lo[m][r], dmin(s->hi[m][r], s->t[m] * s->d[m][r]));
}

/* Resource use as a function of the level: used + slope * level. */
static void recount(struct solver *s)
{
	for (int j = 0; j < s->k; j++) {
		int r = s->set[j];

		s->slope[r] = s->used[r] = 0;
		s->nact[r] = 0;
		for (size_t m = 0; m < s->nmem; m++) {
			if (s->state[m] == LIVE && s->act[m][r]) {
				s->slope[r] += s->wd[m] * dem(s, m, r);
				s->nact[r]++;
			} else {
				s->used[r] += held(s, m, r);
			}
		}
	}
}

/* Member m stops growing at t (satisfied or frozen). */
static void stop(struct solver *s, size_t m, double t, int state)
{
	s->state[m] = state;
	s->t[m] = t;
	for (int j = 0; j < s->k; j++) {
		int r = s->set[j];

		if (!s->act[m][r])
			continue;
		s->slope[r] = --s->nact[r] ? s->slope[r] - s->wd[m] * dem(s, m, r)
					   : 0;
		s->used[r] += held(s, m, r);
	}
}

/* The first resource to run out at or below level, if any. */
static int saturates(const struct solver *s, double level, double *at)
{
	int best = -1;

	for (int j = 0; j < s->k; j++) {
		int r = s->set[j];
		double l;

		if (s->sat[r] || !s->nact[r] || s->slope[r] <= 0)
			continue;
		l = (s->cap[r] - s->used[r]) / s->slope[r];
		if (l <= level && (best < 0 || l < *at)) {
			best = r;
			*at = l;
		}
	}
	if (best >= 0)
		*at = dmin(level, dmax(*at, s->level));
	return best;
}

static void saturate(struct solver *s, int r, double level)
{
	s->sat[r] = 1;
	for (size_t m = 0; m < s->nmem; m++)
		if (s->state[m] == LIVE && s->act[m][r])
			stop(s, m, dmin(s->tau[m], level * s->wd[m]), FROZEN);
	recount(s);
}

/*
 * Starts r growing for m: from now on m uses more of r as the level rises,
 * which a resource already used up cannot give, so m stops where it is.
 */
static void activate(struct solver *s, size_t m, int r, double t)
{
	if (s->sat[r]) {
		stop(s, m, t, FROZEN);
		return;
	}
	s->act[m][r] = 1;
	s->nact[r]++;
	s->slope[r] += s->wd[m] * dem(s, m, r);
	s->used[r] -= s->lo[m][r];
}

/* Fills members that are parked and (weighted ? have : lack) a weight. */
static void fill(struct solver *s, int weighted)
{
	struct kv *ev;
	size_t nev = 0;

	for (size_t m = 0; m < s->nmem; m++) {
		double w = s->p->nodes[s->mem[m]].weight, dom = 0;

		if (s->state[m] != PARKED || (w > 0) != weighted)
			continue;
		for (int j = 0; j < s->k; j++) {
			int r = s->set[j];

			if (s->cap[r] > 0)
				dom = dmax(dom, dem(s, m, r) / s->cap[r]);
		}
		if (dom == 0) {		/* only asks for what nobody has */
			s->state[m] = FROZEN;
			continue;
		}
		s->state[m] = LIVE;
		s->wd[m] = (weighted ? w : 1.0) / dom;
		for (int j = 0; j < s->k; j++) {
			int r = s->set[j];
			double d = dem(s, m, r), f = s->lo[m][r] / d;

			if (d > 0 && f > 0 && f < s->tau[m])
				s->ev[nev++] = (struct kv){
					bits(f / s->wd[m]), m << 2 | (r + 1) };
		}
		s->ev[nev++] = (struct kv){ bits(s->tau[m] / s->wd[m]), m << 2 };
	}
	if (!nev)
		return;
	ev = sort_kv(s, s->ev, s->tmp, nev, 0);
	recount(s);
	s->level = 0;
	for (size_t m = 0; m < s->nmem; m++) {
		for (int j = 0; s->state[m] == LIVE && j < s->k; j++) {
			int r = s->set[j];

			if (dem(s, m, r) > 0 && s->lo[m][r] == 0)
				activate(s, m, r, 0);
		}
	}
	for (size_t e = 0; e < nev; e++) {
		size_t m = ev[e].val >> 2;
		int r = (int)(ev[e].val & 3) - 1, sr;
		double level, at;

		if (s->state[m] != LIVE)
			continue;
		memcpy(&level, &ev[e].key, sizeof(level));
		while ((sr = saturates(s, level, &at)) >= 0)
			saturate(s, sr, at);
		s->level = level;
		if (s->state[m] != LIVE)
			continue;
		if (r < 0)
			stop(s, m, s->tau[m], DONE);
		else
			activate(s, m, r, s->lo[m][r] / dem(s, m, r));
	}
}

static enum cgs_reason why(const struct solver *s, size_t m, int r, int drf)
{
	double d = dem(s, m, r), lo = s->lo[m][r];
	enum cgs_reason min = s->scaled[r] ? CGS_REASON_MIN_SCALED :
					     CGS_REASON_MIN;

	if (d == 0)
		return lo > 0 ? min : CGS_REASON_DEMAND;
	if (lo > 0 && lo >= s->t[m] * d)
		return min;
	if (s->state[m] == DONE)
		return s->tau[m] < 1 ? CGS_REASON_MAX : CGS_REASON_DEMAND;
	if (s->t[m] == 0)
		return CGS_REASON_NO_CAPACITY;
	return drf ? CGS_REASON_DOMINANT : CGS_REASON_FAIR;
}

/* Progressive filling of the current group over the resources in set. */
static void fair(struct solver *s, int drf)
{
	struct cgs_node *nodes = s->p->nodes;

	for (int j = 0; j < s->k; j++) {
		int r = s->set[j];
		double sum = 0, f;

		for (size_t m = 0; m < s->nmem; m++) {
			sum += nodes[s->mem[m]].min[r];
			s->d[m][r] = s->agg[s->mem[m]][r];
			s->hi[m][r] = nodes[s->mem[m]].max[r];
		}
		s->scaled[r] = sum > s->cap[r];
		s->sat[r] = sum >= s->cap[r];
		f = s->scaled[r] ? s->cap[r] / sum : 1;
		for (size_t m = 0; m < s->nmem; m++)
			s->lo[m][r] = nodes[s->mem[m]].min[r] * f;
	}
	for (size_t m = 0; m < s->nmem; m++) {
		const struct cgs_node *c = &nodes[s->mem[m]];
		int any = 0;

		s->tau[m] = 1;
		s->t[m] = 0;
		for (int j = 0; j < s->k; j++) {
			int r = s->set[j];
			double d = dem(s, m, r);

			s->act[m][r] = 0;
			any |= d > 0;
			if (d > 0 && c->max[r] < d)
				s->tau[m] = dmin(s->tau[m], c->max[r] / d);
		}
		s->state[m] = PARKED;
		if (!any || s->tau[m] == 0) {
			s->t[m] = s->tau[m];
			s->state[m] = DONE;
		}
	}
	fill(s, 1);
	fill(s, 0);
	for (size_t m = 0; m < s->nmem; m++) {
		for (int j = 0; j < s->k; j++) {
			int r = s->set[j];

			nodes[s->mem[m]].share[r] = held(s, m, r) + 0.0;
			nodes[s->mem[m]].reason[r] = why(s, m, r, drf);
		}
	}
}

static void proportional(struct solver *s, int r)
{
	double sum = 0;

	for (size_t m = 0; m < s->nmem; m++)
		sum += s->agg[s->mem[m]][r];
	for (size_t m = 0; m < s->nmem; m++) {
		struct cgs_node *c = &s->p->nodes[s->mem[m]];
		double d = s->agg[s->mem[m]][r];

		c->share[r] = d > 0 ? s->cap[r] * (d / sum) : 0;
		if (d == 0)
			c->reason[r] = CGS_REASON_DEMAND;
		else if (s->cap[r] == 0)
			c->reason[r] = CGS_REASON_NO_CAPACITY;
		else
			c->reason[r] = CGS_REASON_PROPORTIONAL;
	}
}

static void divide(struct solver *s, size_t g)
{
	struct cgs_problem *p = s->p;
	int drf = 0;

	s->mem = s->kids + s->first[g];
	s->nmem = s->first[g + 1] - s->first[g];
	if (!s->nmem)
		return;
	for (int r = 0; r < CGS_NR_RES; r++)
		s->cap[r] = g ? p->nodes[g - 1].share[r] : p->capacity[r];
	for (int r = 0; r < CGS_NR_RES; r++) {
		switch (p->policy[r]) {
		case CGS_POLICY_PROPORTIONAL:
			proportional(s, r);
			break;
		case CGS_POLICY_MAXMIN:
			s->set[0] = r;
			s->k = 1;
			fair(s, 0);
			break;
		case CGS_POLICY_DRF:
			drf = 1;
			break;
		}
	}
	if (drf) {
		s->k = 0;
		for (int r = 0; r < CGS_NR_RES; r++)
			if (p->policy[r] == CGS_POLICY_DRF)
				s->set[s->k++] = r;
		fair(s, 1);
	}
}

static void release(struct solver *s)
{
	free(s->first);
	free(s->kids);
	free(s->agg);
	free(s->need);
	free(s->lo);
	free(s->d);
	free(s->hi);
	free(s->t);
	free(s->tau);
	free(s->wd);
	free(s->state);
	free(s->act);
	free(s->ev);
	free(s->tmp);
}

int cgs_solve(struct cgs_problem *p, char *err, size_t errlen)
{
	struct solver s = { .p = p };
	size_t n;

	if (validate(p, err, errlen))
		return -1;
	n = p->n;
	s.first = calloc(n + 2, sizeof(*s.first));
	s.kids = calloc(n, sizeof(*s.kids));
	s.agg = calloc(n, sizeof(*s.agg));
	s.need = calloc(n, sizeof(*s.need));
	s.lo = calloc(n, sizeof(*s.lo));
	s.d = calloc(n, sizeof(*s.d));
	s.hi = calloc(n, sizeof(*s.hi));
	s.t = calloc(n, sizeof(*s.t));
	s.tau = calloc(n, sizeof(*s.tau));
	s.wd = calloc(n, sizeof(*s.wd));
	s.state = calloc(n, sizeof(*s.state));
	s.act = calloc(n, sizeof(*s.act));
	s.ev = malloc(n * (CGS_NR_RES + 1) * sizeof(*s.ev));
	s.tmp = malloc(n * (CGS_NR_RES + 1) * sizeof(*s.tmp));
	if (!s.first || !s.kids || !s.agg || !s.need || !s.lo || !s.d ||
	    !s.hi || !s.t ||
	    !s.tau || !s.wd || !s.state || !s.act || !s.ev || !s.tmp) {
		release(&s);
		return fail(err, errlen, "out of memory for %zu cgroups", n);
	}

	/* children lists, grouped by parent: counting sort */
	for (size_t i = 0; i < n; i++)
		s.first[p->nodes[i].parent + 2]++;
	for (size_t g = 1; g < n + 2; g++)
		s.first[g] += s.first[g - 1];
	for (size_t i = 0; i < n; i++)
		s.kids[s.first[p->nodes[i].parent + 1]++] = i;
	for (size_t g = n + 1; g > 0; g--)
		s.first[g] = s.first[g - 1];
	s.first[0] = 0;

	for (size_t i = n; i-- > 0;)
		aggregate(&s, i);
	sort_members(&s, s.kids, s.first[1]);
	for (size_t g = 0; g <= n; g++)
		divide(&s, g);
	release(&s);
	return 0;
}
