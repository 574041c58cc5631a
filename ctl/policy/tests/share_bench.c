// SPDX-License-Identifier: GPL-2.0
/*
 * Times cgs_solve on 10,000 cgroups, flat and in a 3-level tree, for each
 * policy; prints the median of 21 runs of wall-clock time, and of the
 * thread's CPU time (which a loaded machine does not inflate).
 * Usage: share_bench [N [RUNS]].
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "policy/share.h"

static uint64_t rng = 88172645463325252ull;

static double frand(void)	/* xorshift64: the same problem every run */
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (rng >> 11) * 0x1.0p-53;
}

/* tree: 10 roots, 100 middles under them, the rest leaves under those */
static void build(struct cgs_problem *p, struct cgs_node *v, size_t n,
		  int tree, enum cgs_policy pol)
{
	memset(p, 0, sizeof(*p));
	p->nodes = v;
	p->n = n;
	p->capacity[CGS_CPU] = 64;
	p->capacity[CGS_MEM] = 256.0 * (1 << 30);
	p->capacity[CGS_GPU] = 4;
	for (int r = 0; r < CGS_NR_RES; r++)
		p->policy[r] = pol;
	for (size_t i = 0; i < n; i++) {
		struct cgs_node *c = &v[i];

		memset(c, 0, sizeof(*c));
		c->parent = !tree || i < 10 ? -1 :
			    i < 110 ? (int)(frand() * 10) :
				      10 + (int)(frand() * 100);
		c->weight = 1 + (int)(frand() * 100);
		for (int r = 0; r < CGS_NR_RES; r++) {
			c->max[r] = CGS_UNLIMITED;
			c->demand[r] = frand() * p->capacity[r] / 1000;
		}
		if (frand() < 0.1)
			c->min[CGS_CPU] = frand() * 0.005;
		if (frand() < 0.1)
			c->max[CGS_CPU] = c->min[CGS_CPU] + frand() * 0.05;
	}
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double elapsed(const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) * 1e3 + (b->tv_nsec - a->tv_nsec) / 1e6;
}

int main(int argc, char **argv)
{
	static const enum cgs_policy pols[] = {
		CGS_POLICY_MAXMIN, CGS_POLICY_PROPORTIONAL, CGS_POLICY_DRF };
	size_t n = argc > 1 ? strtoul(argv[1], NULL, 0) : 10000;
	int runs = argc > 2 ? atoi(argv[2]) : 21;
	struct cgs_node *v = calloc(n ? n : 1, sizeof(*v));
	double *ms = calloc(runs > 0 ? runs : 1, sizeof(*ms));
	double *cpu = calloc(runs > 0 ? runs : 1, sizeof(*cpu));
	char err[256];

	if (!v || !ms || !cpu || !n || runs <= 0) {
		fprintf(stderr, "usage: share_bench [N>0 [RUNS>0]]\n");
		return 2;
	}
	for (int tree = 0; tree < 2; tree++) {
		for (size_t k = 0; k < sizeof(pols) / sizeof(pols[0]); k++) {
			struct cgs_problem p;

			build(&p, v, n, tree, pols[k]);
			for (int i = 0; i < runs; i++) {
				struct timespec t0, t1, c0, c1;

				clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
				clock_gettime(CLOCK_MONOTONIC, &t0);
				if (cgs_solve(&p, err, sizeof(err))) {
					fprintf(stderr, "share: %s\n", err);
					return 1;
				}
				clock_gettime(CLOCK_MONOTONIC, &t1);
				clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
				ms[i] = elapsed(&t0, &t1);
				cpu[i] = elapsed(&c0, &c1);
			}
			qsort(ms, runs, sizeof(*ms), cmp);
			qsort(cpu, runs, sizeof(*cpu), cmp);
			printf("share: %zu cgroups %s %s: %.2f ms (median of %d; CPU %.2f ms)\n",
			       n, cgs_policy_name(pols[k]),
			       tree ? "3-level" : "flat", ms[runs / 2], runs,
			       cpu[runs / 2]);
		}
	}
	free(v);
	free(ms);
	free(cpu);
	return 0;
}
