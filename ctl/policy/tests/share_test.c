// SPDX-License-Identifier: GPL-2.0
/*
 * The share library against hand-computed tables. Shares are compared
 * within EPS = 1e-9 (CPUs) or relative REL = 1e-12 (bytes); determinism
 * is compared bit for bit.
 */
#include <math.h>
#include <stdlib.h>

#include "policy/share.h"
#include "tests/tap.h"

#define EPS 1e-9
#define REL 1e-12
#define GIB 1073741824.0

enum { CPU = CGS_CPU, MEM = CGS_MEM, GPU = CGS_GPU };
enum { R_DEMAND = CGS_REASON_DEMAND, R_FAIR = CGS_REASON_FAIR,
	R_MIN = CGS_REASON_MIN, R_MAX = CGS_REASON_MAX,
	R_PROP = CGS_REASON_PROPORTIONAL, R_DOM = CGS_REASON_DOMINANT,
	R_NOCAP = CGS_REASON_NO_CAPACITY, R_SCALED = CGS_REASON_MIN_SCALED };

/* One expected row: share and reason of node i in one resource. */
struct want {
	double share;
	int reason;
};

static void init(struct cgs_problem *p, struct cgs_node *v, size_t n,
		 enum cgs_policy pol)
{
	memset(p, 0, sizeof(*p));
	p->nodes = v;
	p->n = n;
	for (int r = 0; r < CGS_NR_RES; r++)
		p->policy[r] = pol;
	for (size_t i = 0; i < n; i++) {
		memset(&v[i], 0, sizeof(v[i]));
		v[i].parent = -1;
		v[i].weight = 1;
		for (int r = 0; r < CGS_NR_RES; r++) {
			v[i].max[r] = CGS_UNLIMITED;
			v[i].share[r] = -1;
		}
	}
}

static int solve(struct cgs_problem *p, const char *name)
{
	char err[256] = "";
	int rc = cgs_solve(p, err, sizeof(err));

	ok(rc == 0, "%s: solves", name);
	if (rc)
		printf("#   %s\n", err);
	return rc;
}

static void check(const struct cgs_problem *p, int r, const struct want *w,
		  double eps, const char *name)
{
	for (size_t i = 0; i < p->n; i++) {
		const struct cgs_node *c = &p->nodes[i];
		char what[160];

		snprintf(what, sizeof(what), "%s: node %zu %s share", name, i,
			 cgs_res_name(r));
		is_dbl(c->share[r], w[i].share, eps, what);
		snprintf(what, sizeof(what), "%s: node %zu %s reason %s", name,
			 i, cgs_res_name(r), cgs_reason_str(w[i].reason));
		is_str(cgs_reason_str(c->reason[r]), cgs_reason_str(w[i].reason),
		       what);
	}
}

static void names(void)
{
	enum cgs_policy pol;

	is_str(cgs_res_name(CGS_CPU), "cpu", "names: cpu");
	is_str(cgs_res_name(CGS_MEM), "memory", "names: memory");
	is_str(cgs_res_name(CGS_GPU), "gpu", "names: gpu");
	is_str(cgs_res_name(CGS_NR_RES), "unknown", "names: bad resource");
	for (int i = 0; i < 3; i++) {
		const char *s = cgs_policy_name(i);

		ok(!cgs_policy_parse(s, &pol) && (int)pol == i,
		   "names: policy %s round-trips", s);
	}
	is_str(cgs_policy_name(CGS_POLICY_MAXMIN), "maxmin", "names: maxmin");
	ok(cgs_policy_parse("fair", &pol) == -1, "names: unknown policy");
	ok(cgs_policy_parse(NULL, &pol) == -1, "names: NULL policy");
	is_str(cgs_reason_str(CGS_REASON_NO_CAPACITY), "no-capacity",
	       "names: reason no-capacity");
	is_str(cgs_reason_str(CGS_REASON_MIN_SCALED), "min-scaled",
	       "names: reason min-scaled");
	for (int i = 0; i <= CGS_REASON_MIN_SCALED; i++)
		ok(strcmp(cgs_reason_explain(i), "unknown reason"),
		   "names: reason %s explained", cgs_reason_str(i));
	is_str(cgs_reason_str(99), "unknown", "names: bad reason");
}

/*
 * The seed rule, share_i = D_i / sum(D) * C, weights and caps ignored:
 *   C = 3, D = 1, 2, 3 (w 5, 1, 1; max 0.1 on the third): sum 6
 *     -> 1/6*3 = 0.5, 2/6*3 = 1.0, 3/6*3 = 1.5
 *   C = 4, D = 0.5, 0.5, 0: sum 1 -> 2, 2 (more than asked), 0 demand
 *   C = 4, D = 0, 0 -> 0, 0 demand;  C = 0, D = 1, 0 -> 0 no-capacity, 0 demand
 */
static void seed_rule(void)
{
	struct cgs_problem p;
	struct cgs_node v[3];
	static const struct want t1[] = {
		{ 0.5, R_PROP }, { 1.0, R_PROP }, { 1.5, R_PROP } };
	static const struct want t2[] = {
		{ 2, R_PROP }, { 2, R_PROP }, { 0, R_DEMAND } };
	static const struct want t3[] = { { 0, R_DEMAND }, { 0, R_DEMAND } };
	static const struct want t4[] = { { 0, R_NOCAP }, { 0, R_DEMAND } };

	init(&p, v, 3, CGS_POLICY_PROPORTIONAL);
	p.capacity[CPU] = 3;
	v[0].demand[CPU] = 1;
	v[0].weight = 5;
	v[1].demand[CPU] = 2;
	v[2].demand[CPU] = 3;
	v[2].max[CPU] = 0.1;
	if (!solve(&p, "seed"))
		check(&p, CPU, t1, EPS, "seed");

	init(&p, v, 3, CGS_POLICY_PROPORTIONAL);
	p.capacity[CPU] = 4;
	v[0].demand[CPU] = 0.5;
	v[1].demand[CPU] = 0.5;
	if (!solve(&p, "seed under"))
		check(&p, CPU, t2, EPS, "seed under");

	init(&p, v, 2, CGS_POLICY_PROPORTIONAL);
	p.capacity[CPU] = 4;
	if (!solve(&p, "seed no demand"))
		check(&p, CPU, t3, EPS, "seed no demand");

	init(&p, v, 2, CGS_POLICY_PROPORTIONAL);
	v[0].demand[CPU] = 1;
	if (!solve(&p, "seed no capacity"))
		check(&p, CPU, t4, EPS, "seed no capacity");
}

/*
 * Water-filling on 2 CPUs, weights 1:2:1.
 *   all hungry (D = 2 each): level L with 1L + 2L + 1L = 2 -> L = 0.5
 *     -> 0.5, 1.0, 0.5 fair
 *   first demands 0.2: it is below its fair 0.5, so it gets 0.2; the
 *     other two split 2 - 0.2 = 1.8 as 2:1 -> 1.2, 0.6 fair
 *   all modest (D = 0.3, 0.4, 0.5; sum 1.2 <= 2) -> each its demand
 * Cascade, weights equal, C = 4, D = 0.1, 0.5, 3, 3:
 *   fair 1 each; 0.1 satisfied; 3.9 / 3 = 1.3 each; 0.5 satisfied;
 *   3.4 / 2 = 1.7 each -> 0.1, 0.5, 1.7, 1.7
 */
static void waterfill(void)
{
	struct cgs_problem p;
	struct cgs_node v[4];
	static const struct want t1[] = {
		{ 0.5, R_FAIR }, { 1.0, R_FAIR }, { 0.5, R_FAIR } };
	static const struct want t2[] = {
		{ 0.2, R_DEMAND }, { 1.2, R_FAIR }, { 0.6, R_FAIR } };
	static const struct want t3[] = {
		{ 0.3, R_DEMAND }, { 0.4, R_DEMAND }, { 0.5, R_DEMAND } };
	static const struct want t4[] = {
		{ 0.1, R_DEMAND }, { 0.5, R_DEMAND }, { 1.7, R_FAIR },
		{ 1.7, R_FAIR } };

	init(&p, v, 3, CGS_POLICY_MAXMIN);
	p.capacity[CPU] = 2;
	v[1].weight = 2;
	for (int i = 0; i < 3; i++)
		v[i].demand[CPU] = 2;
	if (!solve(&p, "1:2:1 hungry"))
		check(&p, CPU, t1, EPS, "1:2:1 hungry");

	v[0].demand[CPU] = 0.2;
	if (!solve(&p, "1:2:1 one at 0.2"))
		check(&p, CPU, t2, EPS, "1:2:1 one at 0.2");

	v[0].demand[CPU] = 0.3;
	v[1].demand[CPU] = 0.4;
	v[2].demand[CPU] = 0.5;
	if (!solve(&p, "1:2:1 modest"))
		check(&p, CPU, t3, EPS, "1:2:1 modest");

	init(&p, v, 4, CGS_POLICY_MAXMIN);
	p.capacity[CPU] = 4;
	v[0].demand[CPU] = 0.1;
	v[1].demand[CPU] = 0.5;
	v[2].demand[CPU] = 3;
	v[3].demand[CPU] = 3;
	if (!solve(&p, "cascade"))
		check(&p, CPU, t4, EPS, "cascade");
}

/*
 * Guarantees and caps, 2 CPUs, equal weights, all hungry (D = 2) unless
 * said otherwise:
 *   A min 1: A = max(1, L), B = C = L; 1 + 2L = 2 -> L = 0.5 < 1
 *     -> 1 min, 0.5, 0.5 fair
 *   A max 0.3: A held at 0.3; B, C split 1.7 -> 0.85 each
 *   A min 0.5, D 0.1 (a guarantee holds beyond demand): 0.5 min;
 *     B, C split 1.5 -> 0.75 fair
 *   A min 0.2, max 0.2 is below its fair 2/3: held at 0.2, reason min
 *     (the floor is what binds first); B, C split 1.8 -> 0.9
 *   mins 2, 1, 1 and a fourth without: sum 4 > 2, scaled by 2/4
 *     -> 1, 0.5, 0.5 min-scaled, the fourth 0 no-capacity
 */
static void guarantees_caps(void)
{
	struct cgs_problem p;
	struct cgs_node v[4];
	static const struct want t1[] = {
		{ 1, R_MIN }, { 0.5, R_FAIR }, { 0.5, R_FAIR } };
	static const struct want t2[] = {
		{ 0.3, R_MAX }, { 0.85, R_FAIR }, { 0.85, R_FAIR } };
	static const struct want t3[] = {
		{ 0.5, R_MIN }, { 0.75, R_FAIR }, { 0.75, R_FAIR } };
	static const struct want t4[] = {
		{ 0.2, R_MIN }, { 0.9, R_FAIR }, { 0.9, R_FAIR } };
	static const struct want t5[] = {
		{ 1, R_SCALED }, { 0.5, R_SCALED }, { 0.5, R_SCALED },
		{ 0, R_NOCAP } };

	init(&p, v, 3, CGS_POLICY_MAXMIN);
	p.capacity[CPU] = 2;
	for (int i = 0; i < 3; i++)
		v[i].demand[CPU] = 2;
	v[0].min[CPU] = 1;
	if (!solve(&p, "min 1"))
		check(&p, CPU, t1, EPS, "min 1");

	v[0].min[CPU] = 0;
	v[0].max[CPU] = 0.3;
	if (!solve(&p, "max 0.3"))
		check(&p, CPU, t2, EPS, "max 0.3");

	v[0].max[CPU] = CGS_UNLIMITED;
	v[0].min[CPU] = 0.5;
	v[0].demand[CPU] = 0.1;
	if (!solve(&p, "min above demand"))
		check(&p, CPU, t3, EPS, "min above demand");

	v[0].min[CPU] = v[0].max[CPU] = 0.2;
	v[0].demand[CPU] = 2;
	if (!solve(&p, "min = max"))
		check(&p, CPU, t4, EPS, "min = max");

	init(&p, v, 4, CGS_POLICY_MAXMIN);
	p.capacity[CPU] = 2;
	for (int i = 0; i < 4; i++)
		v[i].demand[CPU] = 2;
	v[0].min[CPU] = 2;
	v[1].min[CPU] = 1;
	v[2].min[CPU] = 1;
	if (!solve(&p, "over-committed"))
		check(&p, CPU, t5, EPS, "over-committed");
}

/*
 * Two levels, 4 CPUs:
 *
 *        (4 CPUs)
 *        /      \
 *     A w1      B w1 D 1
 *     /   \
 *  A1 w1  A2 w3     D 3 each
 *
 * A's demand = max(0, 3 + 3) = 6. Roots: B gets its 1 (below fair 2),
 * A the other 3. A1, A2 split A's 3 as 1:3 -> 0.75, 2.25.
 *
 * Then A's own demand 5 (its tasks, or unmanaged children), A1 and A2
 * only 1 each: A's demand = max(5, 2) = 5, A gets 3 fair; A1, A2 get
 * 1 each (demand) and 1 stays with A.
 *
 * Then A max 1: A held at 1, A1, A2 (D 3 each) split it 1:3.
 */
static void hierarchy(void)
{
	struct cgs_problem p;
	struct cgs_node v[4];
	static const struct want t1[] = {
		{ 3, R_FAIR }, { 1, R_DEMAND }, { 0.75, R_FAIR },
		{ 2.25, R_FAIR } };
	static const struct want t2[] = {
		{ 3, R_FAIR }, { 1, R_DEMAND }, { 1, R_DEMAND },
		{ 1, R_DEMAND } };
	static const struct want t3[] = {
		{ 1, R_MAX }, { 1, R_DEMAND }, { 0.25, R_FAIR },
		{ 0.75, R_FAIR } };

	init(&p, v, 4, CGS_POLICY_MAXMIN);
	p.capacity[CPU] = 4;
	v[1].demand[CPU] = 1;
	v[2].parent = 0;
	v[2].demand[CPU] = 3;
	v[3].parent = 0;
	v[3].weight = 3;
	v[3].demand[CPU] = 3;
	if (!solve(&p, "two levels"))
		check(&p, CPU, t1, EPS, "two levels");

	v[0].demand[CPU] = 5;
	v[2].demand[CPU] = 1;
	v[3].demand[CPU] = 1;
	if (!solve(&p, "parent keeps the rest"))
		check(&p, CPU, t2, EPS, "parent keeps the rest");
	is_dbl(v[0].share[CPU] - v[2].share[CPU] - v[3].share[CPU], 1, EPS,
	       "parent keeps the rest: 1 CPU left with A");

	v[0].demand[CPU] = 0;
	v[0].max[CPU] = 1;
	v[2].demand[CPU] = 3;
	v[3].demand[CPU] = 3;
	if (!solve(&p, "parent capped"))
		check(&p, CPU, t3, EPS, "parent capped");
}

/*
 * Three levels with a guarantee deep down, 8 CPUs, all leaves hungry (D 8):
 *
 *   R w1 -- X w1 -- X1 w1 min 3
 *        |       `- X2 w1
 *        `- Y w3
 *   S w1 (D 1)
 *
 * X1's need is 8, X's = 16 (X1 + X2), R's = max(0, 16 + 8) = 24.
 * Roots: S 1 (demand), R 7. R's children 1:3: X 1.75, Y 5.25.
 * X's children: floors first: X1 = max(3, L), X2 = L, sum 1.75 < 3:
 * guarantees exceed X's share -> X1 gets all 1.75 (min-scaled), X2 0.
 */
static void three_levels(void)
{
	struct cgs_problem p;
	struct cgs_node v[6];
	static const struct want t[] = {
		{ 7, R_FAIR }, { 1.75, R_FAIR }, { 1.75, R_SCALED },
		{ 0, R_NOCAP }, { 5.25, R_FAIR }, { 1, R_DEMAND } };

	init(&p, v, 6, CGS_POLICY_MAXMIN);
	p.capacity[CPU] = 8;
	v[1].parent = 0;		/* X */
	v[2].parent = 1;		/* X1 */
	v[2].min[CPU] = 3;
	v[2].demand[CPU] = 8;
	v[3].parent = 1;		/* X2 */
	v[3].demand[CPU] = 8;
	v[4].parent = 0;		/* Y */
	v[4].weight = 3;
	v[4].demand[CPU] = 8;
	v[5].demand[CPU] = 1;		/* S */
	if (!solve(&p, "three levels"))
		check(&p, CPU, t, EPS, "three levels");
}

/*
 * DRF, the paper's example: 9 CPUs, 18 GiB; A's tasks <1 CPU, 4 GiB>,
 * B's <3 CPUs, 1 GiB>, both unbounded, written as 100 tasks each.
 * A's dominant resource is memory (4/18 > 1/9), B's CPU (3/9 > 1/18).
 * Equal dominant shares s: A holds <4.5 s, 18 s>, B <9 s, 3 s>; CPU runs
 * out first, at 13.5 s = 9 -> s = 2/3 (memory would at 21 s = 18).
 *   A: <3 CPU, 12 GiB> = 3 tasks, B: <6 CPU, 2 GiB> = 2 tasks.
 * Weighted, A w2: A <9 s, 36 s>, B <9 s, 3 s>; memory runs out first at
 * 39 s = 18 -> s = 6/13: A <54/13, 216/13>, B <54/13, 18/13>; dominant
 * shares 12/13 and 6/13, 2:1.
 * A capped by demand at 2 tasks <2, 8>: A satisfied; B grows until CPU
 * runs out: B <7, 7/3>.
 */
static void drf(void)
{
	struct cgs_problem p;
	struct cgs_node v[2];
	static const struct want cpu1[] = { { 3, R_DOM }, { 6, R_DOM } };
	static const struct want mem1[] = {
		{ 12 * GIB, R_DOM }, { 2 * GIB, R_DOM } };
	static const struct want cpu2[] = {
		{ 54.0 / 13, R_DOM }, { 54.0 / 13, R_DOM } };
	static const struct want mem2[] = {
		{ 216.0 / 13 * GIB, R_DOM }, { 18.0 / 13 * GIB, R_DOM } };
	static const struct want cpu3[] = { { 2, R_DEMAND }, { 7, R_DOM } };
	static const struct want mem3[] = {
		{ 8 * GIB, R_DEMAND }, { 7.0 / 3 * GIB, R_DOM } };

	init(&p, v, 2, CGS_POLICY_DRF);
	p.capacity[CPU] = 9;
	p.capacity[MEM] = 18 * GIB;
	v[0].demand[CPU] = 100 * 1;
	v[0].demand[MEM] = 100 * 4 * GIB;
	v[1].demand[CPU] = 100 * 3;
	v[1].demand[MEM] = 100 * 1 * GIB;
	if (!solve(&p, "drf paper")) {
		check(&p, CPU, cpu1, EPS, "drf paper");
		check(&p, MEM, mem1, REL * GIB * 18, "drf paper");
		is_dbl(v[0].share[CPU] / 1, 3, EPS, "drf paper: A runs 3 tasks");
		is_dbl(v[1].share[CPU] / 3, 2, EPS, "drf paper: B runs 2 tasks");
		is_dbl(v[0].share[MEM] / (18 * GIB), 2.0 / 3, EPS,
		       "drf paper: A's dominant share 2/3");
		is_dbl(v[1].share[CPU] / 9, 2.0 / 3, EPS,
		       "drf paper: B's dominant share 2/3");
		is_dbl(v[0].share[GPU] + v[1].share[GPU], 0, 0,
		       "drf paper: no GPU asked, none given");
	}

	v[0].weight = 2;
	if (!solve(&p, "drf weighted")) {
		check(&p, CPU, cpu2, EPS, "drf weighted");
		check(&p, MEM, mem2, REL * GIB * 18, "drf weighted");
	}

	v[0].weight = 1;
	v[0].demand[CPU] = 2;
	v[0].demand[MEM] = 8 * GIB;
	if (!solve(&p, "drf demand cap")) {
		check(&p, CPU, cpu3, EPS, "drf demand cap");
		check(&p, MEM, mem3, REL * GIB * 18, "drf demand cap");
	}
}

/*
 * DRF only on CPU and memory, GPU by maxmin: same as the paper for
 * CPU and memory; GPU 1 device, A asks 1, B 0.25 -> A 0.75, B 0.25.
 * And a max cap in DRF scales the whole vector (Leontief): A max 2 CPUs
 * on the paper's example -> A <2, 8 GiB> held at its cap; B takes the
 * CPU left, <7, 7/3 GiB>.
 */
static void drf_mixed(void)
{
	struct cgs_problem p;
	struct cgs_node v[2];
	static const struct want gpu[] = { { 0.75, R_FAIR }, { 0.25, R_DEMAND } };
	static const struct want cpu[] = { { 2, R_MAX }, { 7, R_DOM } };
	static const struct want mem[] = {
		{ 8 * GIB, R_MAX }, { 7.0 / 3 * GIB, R_DOM } };

	init(&p, v, 2, CGS_POLICY_DRF);
	p.policy[GPU] = CGS_POLICY_MAXMIN;
	p.capacity[CPU] = 9;
	p.capacity[MEM] = 18 * GIB;
	p.capacity[GPU] = 1;
	v[0].demand[CPU] = 100;
	v[0].demand[MEM] = 400 * GIB;
	v[0].demand[GPU] = 1;
	v[1].demand[CPU] = 300;
	v[1].demand[MEM] = 100 * GIB;
	v[1].demand[GPU] = 0.25;
	if (!solve(&p, "drf + maxmin")) {
		is_dbl(v[0].share[CPU], 3, EPS, "drf + maxmin: A 3 CPUs");
		is_dbl(v[1].share[CPU], 6, EPS, "drf + maxmin: B 6 CPUs");
		check(&p, GPU, gpu, EPS, "drf + maxmin");
	}

	v[0].max[CPU] = 2;
	if (!solve(&p, "drf max")) {
		check(&p, CPU, cpu, EPS, "drf max");
		check(&p, MEM, mem, REL * GIB * 18, "drf max");
	}
}

/*
 * Degenerate inputs, maxmin on 2 CPUs:
 *   nobody demands anything -> 0 demand each
 *   A weight 0 (only what is left), B w1 D 1, both... A D 5:
 *     B takes its 1, A the 1 left -> A 1 fair, B 1 demand
 *   same, B D 5: B takes both CPUs, nothing left -> A 0 no-capacity
 *   two weight 0 hungry siblings and nobody else: they split equally
 *   capacity 0 -> 0 no-capacity (0 demand for the one asking nothing)
 *   one cgroup: D 1.5 -> 1.5 demand; D 3 -> 2 fair
 */
static void degenerate(void)
{
	struct cgs_problem p;
	struct cgs_node v[2];
	static const struct want t1[] = { { 0, R_DEMAND }, { 0, R_DEMAND } };
	static const struct want t2[] = { { 1, R_FAIR }, { 1, R_DEMAND } };
	static const struct want t3[] = { { 0, R_NOCAP }, { 2, R_FAIR } };
	static const struct want t4[] = { { 1, R_FAIR }, { 1, R_FAIR } };
	static const struct want t5[] = { { 0, R_NOCAP }, { 0, R_DEMAND } };
	static const struct want t6[] = { { 1.5, R_DEMAND } };
	static const struct want t7[] = { { 2, R_FAIR } };

	init(&p, v, 2, CGS_POLICY_MAXMIN);
	p.capacity[CPU] = 2;
	if (!solve(&p, "no demand"))
		check(&p, CPU, t1, EPS, "no demand");

	v[0].weight = 0;
	v[0].demand[CPU] = 5;
	v[1].demand[CPU] = 1;
	if (!solve(&p, "weight 0 gets the rest"))
		check(&p, CPU, t2, EPS, "weight 0 gets the rest");

	v[1].demand[CPU] = 5;
	if (!solve(&p, "weight 0, nothing left"))
		check(&p, CPU, t3, EPS, "weight 0, nothing left");

	v[1].weight = 0;
	if (!solve(&p, "all weight 0"))
		check(&p, CPU, t4, EPS, "all weight 0");

	init(&p, v, 2, CGS_POLICY_MAXMIN);
	v[0].demand[CPU] = 1;
	if (!solve(&p, "capacity 0"))
		check(&p, CPU, t5, EPS, "capacity 0");
	init(&p, v, 2, CGS_POLICY_DRF);
	v[0].demand[CPU] = 1;
	v[0].demand[MEM] = 1;
	p.capacity[MEM] = 10;
	if (!solve(&p, "drf capacity 0"))
		check(&p, CPU, t5, EPS, "drf capacity 0");

	init(&p, v, 1, CGS_POLICY_MAXMIN);
	p.capacity[CPU] = 2;
	v[0].demand[CPU] = 1.5;
	if (!solve(&p, "one cgroup"))
		check(&p, CPU, t6, EPS, "one cgroup");
	v[0].demand[CPU] = 3;
	if (!solve(&p, "one cgroup hungry"))
		check(&p, CPU, t7, EPS, "one cgroup hungry");
}

static uint64_t rng = 88172645463325252ull;

static double frand(void)	/* xorshift64: the same numbers everywhere */
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (rng >> 11) * 0x1.0p-53;
}

/* A random tree (depth > 0) or flat set, mixed weights, mins, caps. */
static void random_problem(struct cgs_problem *p, struct cgs_node *v,
			   size_t n, int depth, enum cgs_policy pol)
{
	init(p, v, n, pol);
	p->capacity[CPU] = 64;
	p->capacity[MEM] = 256 * GIB;
	p->capacity[GPU] = 4;
	for (size_t i = 0; i < n; i++) {
		double u = frand();

		if (depth && i >= 10)
			v[i].parent = depth > 1 && i >= 300 ?
				10 + (int)(frand() * 290) : (int)(frand() * 10);
		v[i].weight = u < 0.05 ? 0 : 1 + (int)(u * 100);
		v[i].demand[CPU] = frand() < 0.1 ? 0 : frand() * 2;
		v[i].demand[MEM] = frand() * 2 * GIB;
		v[i].demand[GPU] = frand() < 0.8 ? 0 : frand();
		if (frand() < 0.1)
			v[i].min[CPU] = frand() * 0.05;
		if (frand() < 0.1)
			v[i].max[CPU] = v[i].min[CPU] + frand();
		if (frand() < 0.1)
			v[i].min[MEM] = frand() * 0.01 * GIB;
	}
}

/*
 * 10,000 cgroups: every share is >= 0, <= its cap, <= max(min, demand
 * as the parent sees it); children never sum above the parent (nor roots
 * above the capacity), up to a relative 1e-9.
 */
static void invariants(const char *name, size_t n, int depth,
		       enum cgs_policy pol)
{
	struct cgs_problem p;
	struct cgs_node *v = calloc(n, sizeof(*v));
	double *sum = calloc((n + 1) * CGS_NR_RES, sizeof(*sum));
	double *agg = calloc(n * CGS_NR_RES, sizeof(*agg));
	int bad_share = 0, bad_sum = 0, bad_cap = 0;

	if (!v || !sum || !agg)
		abort();
	random_problem(&p, v, n, depth, pol);
	if (solve(&p, name))
		goto out;
	/* own demand + children's max(min, bound): a bound on what it can use */
	for (size_t i = n; i-- > 0;) {
		for (int r = 0; r < CGS_NR_RES; r++) {
			double *a = &agg[i * CGS_NR_RES + r];

			*a += v[i].demand[r];
			if (v[i].parent >= 0)
				agg[v[i].parent * CGS_NR_RES + r] +=
					*a > v[i].min[r] ? *a : v[i].min[r];
		}
	}
	for (size_t i = 0; i < n; i++) {
		for (int r = 0; r < CGS_NR_RES; r++) {
			double s = v[i].share[r];
			double up = agg[i * CGS_NR_RES + r];

			sum[(v[i].parent + 1) * CGS_NR_RES + r] += s;
			if (!(s >= 0) || v[i].reason[r] == CGS_REASON_NONE)
				bad_share++;
			if (pol != CGS_POLICY_PROPORTIONAL &&
			    (s > v[i].max[r] ||
			     s > (v[i].min[r] > up ? v[i].min[r] : up) *
				 (1 + 1e-9)))
				bad_cap++;
		}
	}
	for (size_t g = 0; g <= n; g++) {
		for (int r = 0; r < CGS_NR_RES; r++) {
			double c = g ? v[g - 1].share[r] : p.capacity[r];

			if (sum[g * CGS_NR_RES + r] > c * (1 + 1e-9))
				bad_sum++;
		}
	}
	ok(!bad_share, "%s: shares >= 0 with a reason", name);
	ok(!bad_cap, "%s: no share above its cap or demand", name);
	ok(!bad_sum, "%s: children sum to at most their parent", name);
	if (depth == 0 && pol != CGS_POLICY_DRF) {
		double total = 0;

		for (size_t i = 0; i < n; i++)
			total += v[i].share[CPU];
		is_dbl(total, p.capacity[CPU], 1e-6,
		       "work-conserving: hungry roots use all CPUs");
	}
out:
	free(v);
	free(sum);
	free(agg);
}

static void big(void)
{
	static const enum cgs_policy pol[] = {
		CGS_POLICY_MAXMIN, CGS_POLICY_PROPORTIONAL, CGS_POLICY_DRF };
	char name[64];

	for (int i = 0; i < 3; i++) {
		for (int depth = 0; depth <= 2; depth += 2) {
			snprintf(name, sizeof(name), "10000 %s %s",
				 cgs_policy_name(pol[i]), depth ? "tree" : "flat");
			invariants(name, 10000, depth, pol[i]);
		}
	}
}

/* Bad input, one spoilt field per case: -1, a message naming it. */
static const struct {
	const char *name, *msg;
} bad_cases[] = {
	{ "n = 0", "no cgroups" },
	{ "no nodes", "no cgroups" },
	{ "parent after child", "parent 2 is not an earlier" },
	{ "parent itself", "parent 1 is not an earlier" },
	{ "parent -2", "parent -2" },
	{ "negative weight", "cgroup 1: weight -1" },
	{ "NaN weight", "weight nan" },
	{ "infinite weight", "weight inf" },
	{ "negative demand", "cgroup 2: memory demand -5" },
	{ "NaN demand", "cpu demand nan" },
	{ "infinite demand", "demand inf" },
	{ "negative min", "gpu min -1" },
	{ "NaN min", "min nan" },
	{ "negative max", "max -1" },
	{ "NaN max", "max nan" },
	{ "min > max", "cpu min 2 exceeds max 1" },
	{ "negative capacity", "memory: capacity -1" },
	{ "NaN capacity", "capacity nan" },
	{ "infinite capacity", "capacity inf" },
	{ "bad policy", "unknown policy 7" },
};

static void spoil(struct cgs_problem *p, int c)
{
	switch (c) {
	case 0:
		p->n = 0;
		break;
	case 1:
		p->nodes = NULL;
		break;
	case 2:
		p->nodes[1].parent = 2;
		break;
	case 3:
		p->nodes[1].parent = 1;
		break;
	case 4:
		p->nodes[2].parent = -2;
		break;
	case 5:
		p->nodes[1].weight = -1;
		break;
	case 6:
		p->nodes[1].weight = NAN;
		break;
	case 7:
		p->nodes[1].weight = INFINITY;
		break;
	case 8:
		p->nodes[2].demand[MEM] = -5;
		break;
	case 9:
		p->nodes[0].demand[CPU] = NAN;
		break;
	case 10:
		p->nodes[0].demand[GPU] = INFINITY;
		break;
	case 11:
		p->nodes[0].min[GPU] = -1;
		break;
	case 12:
		p->nodes[0].min[CPU] = NAN;
		break;
	case 13:
		p->nodes[0].max[CPU] = -1;
		break;
	case 14:
		p->nodes[0].max[CPU] = NAN;
		break;
	case 15:
		p->nodes[2].min[CPU] = 2;
		p->nodes[2].max[CPU] = 1;
		break;
	case 16:
		p->capacity[MEM] = -1;
		break;
	case 17:
		p->capacity[CPU] = NAN;
		break;
	case 18:
		p->capacity[CPU] = INFINITY;
		break;
	case 19:
		p->policy[GPU] = (enum cgs_policy)7;
		break;
	}
}

/* Each case: -1, the message, and not one output byte written. */
static void rejects(void)
{
	for (int c = 0; c < (int)(sizeof(bad_cases) / sizeof(bad_cases[0])); c++) {
		const char *name = bad_cases[c].name, *msg = bad_cases[c].msg;
		struct cgs_problem p;
		struct cgs_node v[3], before[3];
		char err[256] = "";
		int rc;

		init(&p, v, 3, CGS_POLICY_MAXMIN);
		p.capacity[CPU] = 2;
		v[2].parent = 0;
		for (int i = 0; i < 3; i++)
			for (int r = 0; r < CGS_NR_RES; r++)
				v[i].reason[r] = (enum cgs_reason)42;
		spoil(&p, c);
		memcpy(before, v, sizeof(v));
		rc = cgs_solve(&p, err, sizeof(err));
		is_int(rc, -1, name);
		ok(strstr(err, msg) != NULL, "%s: says '%s'", name, msg);
		if (!strstr(err, msg))
			printf("#   said '%s'\n", err);
		ok(!memcmp(before, v, sizeof(v)), "%s: nothing written", name);
	}
	ok(cgs_solve(NULL, NULL, 0) == -1, "NULL problem, no err buffer");
}

/*
 * Same input twice: bit for bit the same output. Siblings reversed (and
 * the tree renumbered so parents still come first): every node's result
 * bit for bit the same.
 */
static void determinism(void)
{
	static const enum cgs_policy pol[] = {
		CGS_POLICY_MAXMIN, CGS_POLICY_PROPORTIONAL, CGS_POLICY_DRF };
	enum { N = 2000 };

	for (int k = 0; k < 3; k++) {
		struct cgs_problem p, q;
		struct cgs_node *a = calloc(N, sizeof(*a));
		struct cgs_node *b = calloc(N, sizeof(*b));
		struct cgs_node *c = calloc(N, sizeof(*c));
		int *to = calloc(N, sizeof(*to)), *from = calloc(N, sizeof(*from));
		const char *pn = cgs_policy_name(pol[k]);
		int same = 1;
		size_t at = 0;

		if (!a || !b || !c || !to || !from)
			abort();
		random_problem(&p, a, N, 2, pol[k]);
		/* duplicates, so that ties are exercised too */
		for (int i = 1; i < N; i += 7)
			memcpy(&a[i], &a[i - 1], sizeof(a[i]));
		memcpy(b, a, N * sizeof(*a));
		if (solve(&p, "determinism"))
			goto out;
		q = p;
		q.nodes = b;
		if (solve(&q, "determinism again"))
			goto out;
		ok(!memcmp(a, b, N * sizeof(*a)),
		   "%s: same input, bitwise same output", pn);

		/* renumber: walk the tree, each node's children in reverse */
		for (int i = N; i-- > 0;) {
			if (a[i].parent < 0)
				from[at++] = i;
		}
		for (size_t j = 0; j < at; j++) {
			int i = from[j];

			to[i] = j;
			for (int ch = N; ch-- > 0;)
				if (a[ch].parent == i)
					from[at++] = ch;
		}
		for (int i = 0; i < N; i++) {
			c[to[i]] = a[i];
			c[to[i]].parent = a[i].parent < 0 ? -1 : to[a[i].parent];
			memset(c[to[i]].share, 0, sizeof(c[0].share));
		}
		q.nodes = c;
		if (solve(&q, "permuted"))
			goto out;
		for (int i = 0; i < N; i++)
			same &= !memcmp(a[i].share, c[to[i]].share,
					sizeof(a[i].share)) &&
				!memcmp(a[i].reason, c[to[i]].reason,
					sizeof(a[i].reason));
		ok(same, "%s: siblings permuted, bitwise same per node", pn);
out:
		free(a);
		free(b);
		free(c);
		free(to);
		free(from);
	}
}

int main(void)
{
	names();
	seed_rule();
	waterfill();
	guarantees_caps();
	hierarchy();
	three_levels();
	drf();
	drf_mixed();
	degenerate();
	big();
	rejects();
	determinism();
	return tap_done();
}
