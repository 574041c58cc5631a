// SPDX-License-Identifier: GPL-2.0
/* Honoured or ignored: the verdicts on hand-made measurements. */
#include <math.h>

#include "policy/verify.h"
#include "tests/tap.h"

#define INF (1.0 / 0.0)

static struct cgs_verify_knob k[CGS_NR_KNOBS];

static void run(const struct cgs_verify_cg *cg, size_t n)
{
	cgs_verify(cg, n, k);
}

int main(void)
{
	/* a:b:c at 1:2:1, three hogs each, no quota: the fair scheduler */
	struct cgs_verify_cg fair[] = {
		{ "/a", -1, 0.5, 1.5, 100, INF },
		{ "/b", -1, 1.0, 1.0, 200, INF },
		{ "/c", -1, 0.5, 1.5, 100, INF },
	};
	/* the same under a scheduler that ignores weights */
	struct cgs_verify_cg flat[] = {
		{ "/a", -1, 0.67, 1.3, 100, INF },
		{ "/b", -1, 0.66, 1.3, 200, INF },
		{ "/c", -1, 0.67, 1.3, 100, INF },
	};
	/* quotas at the shares, obeyed, then ignored */
	struct cgs_verify_cg capped[] = {
		{ "/a", -1, 0.50, 1.0, 100, 0.5 },
		{ "/b", -1, 0.98, 1.0, 200, 1.0 },
	};
	struct cgs_verify_cg over[] = {
		{ "/a", -1, 0.95, 1.0, 100, 0.5 },
		{ "/b", -1, 1.02, 1.0, 200, 1.0 },
	};
	/* idle cgroups prove nothing */
	struct cgs_verify_cg idle[] = {
		{ "/a", -1, 0.10, 0.0, 100, 0.5 },
		{ "/b", -1, 0.05, 0.01, 200, INF },
	};
	/* siblings below different parents are not compared */
	struct cgs_verify_cg tree[] = {
		{ "/p", -1, 1.5, 1.0, 100, INF },
		{ "/p/x", 0, 0.5, 1.0, 100, INF },
		{ "/p/y", 0, 1.0, 1.0, 200, INF },
		{ "/q", -1, 0.5, 1.0, 100, INF },
	};

	run(fair, 3);
	is_int(k[CGS_KNOB_CPU_WEIGHT].verdict, CGS_VERDICT_HONOURED,
	       "fair: cpu.weight honoured");
	is_int(k[CGS_KNOB_CPU_WEIGHT].judged, 3, "fair: on all three");
	is_dbl(k[CGS_KNOB_CPU_WEIGHT].gap, 0, 1e-9, "fair: no gap");
	is_int(k[CGS_KNOB_CPU_MAX].verdict, CGS_VERDICT_UNKNOWN,
	       "fair: no quota, cpu.max not judged");

	run(flat, 3);
	is_int(k[CGS_KNOB_CPU_WEIGHT].verdict, CGS_VERDICT_IGNORED,
	       "flat: cpu.weight ignored");
	/* a and c: 0.335 of the total, not 0.25; b: 0.33, not 0.5 */
	is_dbl(k[CGS_KNOB_CPU_WEIGHT].gap, 0.34, 1e-9, "flat: 34 % off");
	is_int(k[CGS_KNOB_CPU_WEIGHT].worst, 0, "flat: first seen on /a");
	is_dbl(k[CGS_KNOB_CPU_WEIGHT].want, 0.25, 1e-9, "flat: /a should get a quarter");
	is_dbl(k[CGS_KNOB_CPU_WEIGHT].got, 0.335, 1e-9, "flat: it got a third");

	run(capped, 2);
	is_int(k[CGS_KNOB_CPU_MAX].verdict, CGS_VERDICT_HONOURED,
	       "capped: cpu.max honoured");
	is_int(k[CGS_KNOB_CPU_WEIGHT].verdict, CGS_VERDICT_UNKNOWN,
	       "capped: held by quotas, weights not judged");

	run(over, 2);
	is_int(k[CGS_KNOB_CPU_MAX].verdict, CGS_VERDICT_IGNORED,
	       "over: cpu.max ignored");
	is_int(k[CGS_KNOB_CPU_MAX].worst, 0, "over: worst on /a");
	is_dbl(k[CGS_KNOB_CPU_MAX].gap, 0.9, 1e-9, "over: 90 % over its quota");

	run(idle, 2);
	is_int(k[CGS_KNOB_CPU_MAX].verdict, CGS_VERDICT_UNKNOWN,
	       "idle: cpu.max not judged");
	is_int(k[CGS_KNOB_CPU_WEIGHT].verdict, CGS_VERDICT_UNKNOWN,
	       "idle: cpu.weight not judged");

	run(tree, 4);
	is_int(k[CGS_KNOB_CPU_WEIGHT].verdict, CGS_VERDICT_IGNORED,
	       "tree: /p:/q at 1:1 got 3:1: ignored");
	is_int(k[CGS_KNOB_CPU_WEIGHT].judged, 4, "tree: x:y and p:q judged");
	return tap_done();
}
