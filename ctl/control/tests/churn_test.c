// SPDX-License-Identifier: GPL-2.0
/*
 * The controller's memory under cgroup churn (the soak's, make soak):
 * rounds of a ledger in which 50 cgroups are made and 50 removed between
 * two samples (100 a second at a 0.5 s interval), each with an id and a
 * path never seen before, while two configured cgroups are measured,
 * solved and written as `run` does. The ledger is tests/churn.h's
 * stand-in for the module's dump; the cgroup files are plain files in a
 * directory tree.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/control.h"
#include "tests/cgroup_tree.h"
#include "tests/churn.h"

#define WARMUP		100	/* rounds */
#define CHURN		600	/* rounds: 30,000 cgroups made and removed */

/* -- the controller, driven as `run` drives it -- */

static unsigned int rounds(struct cgs_ctl *c, int n)
{
	unsigned int acted = 0;

	for (int i = 0; i < n; i++) {
		struct cgs_verify_knob v[CGS_NR_KNOBS];

		if (cgs_ctl_sample(c))
			continue;
		if (round_no % 20 == 0)
			cgs_ctl_verify(c, v);
		if (round_no % 2 == 0 && !cgs_ctl_plan(c)) {
			cgs_ctl_write(c, NULL, NULL);
			acted++;
		}
		cgs_ctl_round(c);
	}
	return acted;
}

int main(void)
{
	static const char *const cgroups[] = {
		"soak", "soak/ctl", "soak/ctl/a", "soak/ctl/b", NULL,
	};
	char dir[] = "/tmp/cgs-churn-XXXXXX", conf[600], cmd[600];
	struct cgs_ctl_opts o = { .quiet = true };
	const struct cgs_ctl_cg *a;
	size_t warm, churned, small, large;
	static char nl;
	struct cgs_ctl *c;
	FILE *f;

	if (tree_make(dir, cgroups, "interval 500ms\nact-every 2\n"
		      "capacity cpu 2\nenforce cpu both\nenforce memory high\n"
		      "cgroup /soak/ctl/a weight 1\ncgroup /soak/ctl/b weight 2\n",
		      conf, sizeof(conf)))
		return 1;
	if (cgs_ctl_open(&c, conf, (struct cgs_nl *)&nl, &o)) {
		ok(0, "the controller opens");
		return tap_done();
	}

	ok(rounds(c, WARMUP) == WARMUP / 2, "warm-up: %d rounds, every "
	   "second one acting", WARMUP);
	a = cgs_ctl_find(c, "/soak/ctl/a");
	ok(a && a->measured && a->plan->share[CGS_CPU] > 0,
	   "the configured cgroups are measured and shared among %zu "
	   "churned ones", alive);
	snprintf(cmd, sizeof(cmd), "%s/soak/ctl/a/cpu.max", dir);
	f = fopen(cmd, "r");
	ok(f && fgets(cmd, sizeof(cmd), f) && strcmp(cmd, "max 100000\n"),
	   "and their limits written: cpu.max %s", f ? strtok(cmd, "\n") : "?");
	if (f)
		fclose(f);

	warm = in_use();
	rounds(c, CHURN);
	churned = in_use();
	churn_kept_nothing(warm, churned, CHURN * PER_ROUND);

	/*
	 * Each cgroup of the ledger is in two samples, the latest and the one
	 * before (a record of some 300 B, its path, the list's spare room);
	 * the controller's own state is its managed cgroups' alone.
	 */
	small = in_use();
	alive = 3000;
	rounds(c, 4);
	large = in_use();
	printf("# in use: %zu B with 300 churned cgroups in the ledger, "
	       "%zu B with 3000\n", small, large);
	ok(large < small + 2700 * 2048,
	   "a ledger of 2,700 more cgroups costs less than 2 kB each: "
	   "%ld B each", (long)(large - small) / 2700);

	cgs_ctl_close(c);
	tree_remove(dir);
	return tap_done();
}
