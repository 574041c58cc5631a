// SPDX-License-Identifier: GPL-2.0
/*
 * The exporter's memory under cgroup churn (the soak's, make soak): one
 * scrape after another of a ledger in which 50 cgroups are made and 50
 * removed between two scrapes, each with an id and a path never seen
 * before (tests/churn.h's stand-in for the module's dump).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export/export.h"
#include "tests/churn.h"

#define WARMUP		50	/* scrapes */
#define CHURN		200	/* scrapes: 10,000 cgroups made and removed */

/* Scrapes @n times; how many answered with the newest churned cgroup. */
static int scrapes(int n)
{
	static const struct export_control control = { .set = true };
	static char nl;
	char want[64];
	int good = 0;

	for (int i = 0; i < n; i++) {
		char *text = NULL;
		size_t len = 0;

		if (export_scrape((struct cgs_nl *)&nl, NULL, NULL, 0, &control,
				  &text, &len))
			continue;
		snprintf(want, sizeof(want), "cgroup=\"/soak/churn/c%llu\"",
			 (unsigned long long)seq - 1);
		good += text && strstr(text, want) != NULL;
		free(text);
	}
	return good;
}

int main(void)
{
	size_t warm, churned, small, large;

	is_int(scrapes(WARMUP), WARMUP, "warm-up: every scrape shows the "
	       "newest churned cgroup");
	warm = in_use();
	is_int(scrapes(CHURN), CHURN, "and so do the scrapes of the churn");
	churned = in_use();
	churn_kept_nothing(warm, churned, CHURN * PER_ROUND);

	/* A scrape's buffers are its own: none outlives its answer. */
	small = in_use();
	alive = 3000;
	scrapes(4);
	alive = 300;
	scrapes(4);
	large = in_use();
	printf("# in use between scrapes of 300 cgroups: %zu B, and after "
	       "scrapes of 3000: %zu B\n", small, large);
	ok(large <= small + 64 * 1024,
	   "scrapes of 3,000 cgroups leave nothing behind: %+ld B (at most "
	   "64 kB)", (long)(large - small));
	return tap_done();
}
