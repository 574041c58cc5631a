// SPDX-License-Identifier: GPL-2.0
/*
 * The controller's verify window (cgs_ctl_verify), from two samples of a
 * stand-in ledger: three siblings at weights 1:2:1 that each use a third
 * of 1.64 CPUs and all wait, as under a scheduler that ignores cpu.weight
 * (guest-verify's scx_simple). The ledger's wait of b can read low, as
 * it misses what a task waited before it was moved to another CPU; its
 * CPU pressure then still says b wanted more, and the weight is judged.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "control/control.h"
#include "tests/cgroup_tree.h"
#include "tests/no_ledger.h"
#include "tests/tap.h"
#include "util/time.h"

/*
 * One cgroup's rates, in CPUs; pressure < 0: no pressure file. The kernel
 * adds to the pressure totals every 2 s: with @step, the pressure lands
 * at every step-th sample only.
 */
struct fake {
	const char *path;
	uint64_t weight;
	double usage, wait, some;
	unsigned int step;
};

static struct fake fakes[] = {
	{ "/", 0, 1.64, 5.0, -1, 0 },
	{ "/v", 100, 1.64, 5.0, 1.0, 0 },
	{ "/v/a", 100, 0.546, 2.0, 1.0, 0 },
	{ "/v/b", 200, 0.546, 2.0, 1.0, 0 },
	{ "/v/c", 100, 0.546, 2.0, 1.0, 0 },
};
#define NR_FAKES (sizeof(fakes) / sizeof(fakes[0]))
static uint64_t t0;
static unsigned int sample_no;
static double landed[NR_FAKES];	/* the time its pressure last landed */

int cgs_sample(struct cgs_nl *nl, struct cgs_iter *it,
	       const struct cgs_target *t, struct cgs_list *l)
{
	double dt = (double)(cgs_now_ns() - t0);
	unsigned int no = sample_no++;

	(void)nl;
	(void)it;
	(void)t;
	for (size_t i = 0; i < NR_FAKES; i++) {
		const struct fake *f = &fakes[i];
		struct cgs_cgroup *cg = cgs_list_add(l);

		cg->id = i + 1;
		cg->path = strdup(f->path);
		cg->has = CGS_HAS_ID | CGS_HAS_PATH;
		cg->ctr[CGS_CPU_USAGE_NS] = f->usage * dt;
		cg->ctr[CGS_CPU_WAIT_NS] = f->wait * dt;
		cg->present |= CGS_BIT(CGS_CPU_USAGE_NS) | CGS_BIT(CGS_CPU_WAIT_NS);
		if (!f->step || no % f->step == 0)
			landed[i] = dt;
		if (f->some >= 0) {
			cg->ctr[CGS_CPU_PRESSURE_SOME_NS] = f->some * landed[i];
			cg->present |= CGS_BIT(CGS_CPU_PRESSURE_SOME_NS);
		}
		if (f->weight) {
			cg->ctr[CGS_CPU_WEIGHT] = f->weight;
			cg->present |= CGS_BIT(CGS_CPU_WEIGHT);
		}
	}
	return 0;
}

/*
 * @samples samples 200 ms apart, then the verdict on cpu.weight; its
 * worst cgroup's path kept past the controller.
 */
static struct cgs_verify_knob judge(const char *conf, int samples)
{
	static char worst[64];
	struct timespec pause = { 0, 200000000 };
	struct cgs_ctl_opts o = { .dry_run = true, .quiet = true };
	struct cgs_verify_knob v[CGS_NR_KNOBS] = { 0 };
	static char nl;
	struct cgs_ctl *c;

	if (cgs_ctl_open(&c, conf, (struct cgs_nl *)&nl, &o)) {
		ok(0, "the controller opens");
		return v[CGS_KNOB_CPU_WEIGHT];
	}
	t0 = cgs_now_ns() - 1000000000;
	sample_no = 0;
	for (int i = 0; i < samples; i++)
		if ((i && nanosleep(&pause, NULL)) || cgs_ctl_sample(c)) {
			ok(0, "%d samples", samples);
			samples = 0;
		}
	if (samples)
		cgs_ctl_verify(c, v);
	snprintf(worst, sizeof(worst), "%s", v[CGS_KNOB_CPU_WEIGHT].worst_path ?
		 v[CGS_KNOB_CPU_WEIGHT].worst_path : "");
	v[CGS_KNOB_CPU_WEIGHT].worst_path = worst;
	cgs_ctl_close(c);
	return v[CGS_KNOB_CPU_WEIGHT];
}

int main(void)
{
	static const char *const cgroups[] = { "v", "v/a", "v/b", "v/c", NULL };
	char dir[] = "/tmp/cgs-verify-XXXXXX", conf[600];
	struct cgs_verify_knob k;
	struct fake *b = &fakes[3];

	if (tree_make(dir, cgroups, "interval 500ms\ncapacity cpu 2\n"
		      "enforce cpu weight\nenforce memory none\n"
		      "cgroup /v/a weight 1\ncgroup /v/b weight 2\n"
		      "cgroup /v/c weight 1\n", conf, sizeof(conf)))
		return 1;

	k = judge(conf, 2);
	ok(k.verdict == CGS_VERDICT_IGNORED && k.judged == 3 &&
	   !strcmp(k.worst_path, "/v/b") &&
	   fabs(k.want - 0.5) < 1e-3 && fabs(k.got - 1.0 / 3) < 1e-3,
	   "all three wait: ignored, b got a third for a half (%s, %u "
	   "judged, want %.3f got %.3f)", cgs_verdict_name(k.verdict),
	   k.judged, k.want, k.got);

	/* the ledger saw a twentieth of b's wait, and nothing else says more */
	b->wait = 0.1;
	b->some = -1;
	k = judge(conf, 2);
	ok(k.verdict == CGS_VERDICT_HONOURED && k.judged == 2,
	   "b's wait low, no pressure: b seems satisfied and is left out "
	   "(%s, %u judged)", cgs_verdict_name(k.verdict), k.judged);

	/* its pressure says a task of b waited all along */
	b->some = 1.0;
	k = judge(conf, 2);
	ok(k.verdict == CGS_VERDICT_IGNORED && k.judged == 3,
	   "b's wait low, its CPU pressure 1.0: b is judged, ignored "
	   "(%s, %u judged)", cgs_verdict_name(k.verdict), k.judged);

	/* pressure below the ledger's wait changes nothing */
	b->wait = 2.0;
	b->some = 0.01;
	k = judge(conf, 2);
	ok(k.verdict == CGS_VERDICT_IGNORED && k.judged == 3,
	   "b's pressure below its wait: the wait counts (%s, %u judged)",
	   cgs_verdict_name(k.verdict), k.judged);

	/*
	 * b waited 0.2 CPUs and its pressure was 0.15, below its part: it
	 * is satisfied. Its pressure lands once in four samples, so one
	 * interval says 0.6; the window's mean of it still says 0.15.
	 */
	b->wait = 0.2;
	b->some = 0.15;
	b->step = 4;
	k = judge(conf, 5);
	ok(k.verdict == CGS_VERDICT_HONOURED && k.judged == 2,
	   "pressure that lands every fourth sample is averaged before it is "
	   "compared: b satisfied and left out (%s, %u judged)",
	   cgs_verdict_name(k.verdict), k.judged);

	tree_remove(dir);
	return tap_done();
}
