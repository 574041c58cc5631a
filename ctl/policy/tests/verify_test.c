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
	/* make example: c busy 20 ms in 100, under its part; it waited less than it ran */
	struct cgs_verify_cg duty[] = {
		{ "/a", -1, 0.68, 1.2, 100, INF },
		{ "/b", -1, 1.33, 1.1, 200, INF },
		{ "/c", -1, 0.15, 0.09, 100, INF },
	};
	/* the same c, but it waited longer than it ran: it wanted its part */
	struct cgs_verify_cg starved[] = {
		{ "/a", -1, 0.68, 1.2, 100, INF },
		{ "/b", -1, 1.33, 1.1, 200, INF },
		{ "/c", -1, 0.15, 0.60, 100, INF },
	};
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
	/* b: 0.33 of the total, not 0.5 (a and c got more: no shortfall) */
	is_dbl(k[CGS_KNOB_CPU_WEIGHT].gap, 0.34, 1e-9, "flat: b 34 % short");
	is_int(k[CGS_KNOB_CPU_WEIGHT].worst, 1, "flat: seen on /b");
	is_dbl(k[CGS_KNOB_CPU_WEIGHT].want, 0.5, 1e-9, "flat: /b should get half");
	is_dbl(k[CGS_KNOB_CPU_WEIGHT].got, 0.33, 1e-9, "flat: it got a third");

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

	run(duty, 3);
	is_int(k[CGS_KNOB_CPU_WEIGHT].verdict, CGS_VERDICT_HONOURED,
	       "duty: a light cgroup under its part is left out; a:b 1:2 honoured");
	is_int(k[CGS_KNOB_CPU_WEIGHT].judged, 2, "duty: a and b judged");

	run(starved, 3);
	is_int(k[CGS_KNOB_CPU_WEIGHT].verdict, CGS_VERDICT_IGNORED,
	       "starved: c waited more than it ran and got 7 % of 25 %: ignored");

	run(tree, 4);
	is_int(k[CGS_KNOB_CPU_WEIGHT].verdict, CGS_VERDICT_IGNORED,
	       "tree: /p:/q at 1:1 got 3:1: ignored");
	is_int(k[CGS_KNOB_CPU_WEIGHT].judged, 4, "tree: x:y and p:q judged");
	return tap_done();
}
