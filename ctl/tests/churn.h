/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The soak's churn (make soak) without a kernel, for the memory tests of
 * the daemons' layers: a stand-in for the ledger's sample in which
 * PER_ROUND cgroups are made and as many removed between two calls, each
 * with an id and a path never seen before, a tenth of them charged by a
 * GPU, @alive of them in the ledger at once besides the soak's own tree.
 * It replaces cgs_sample() (and, by tests/no_ledger.h, what opens and
 * closes the ledger), so a test linking it takes none of ledger/'s I/O; and counts the bytes in
 * use, from mallinfo2() or, under valgrind (make check), from memcheck,
 * whose malloc mallinfo2() knows nothing of. One file of a test
 * includes it.
 */
#ifndef CGS_TESTS_CHURN_H
#define CGS_TESTS_CHURN_H

#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#define HAVE_MEMCHECK 1
#endif

#include "ledger/ledger.h"
#include "tests/no_ledger.h"
#include "tests/tap.h"

#define PER_ROUND	50	/* the soak's 100 a second at 0.5 s */

static uint64_t round_no, seq;
static size_t alive = 300;	/* churned cgroups in the ledger at once */

/* A record with every counter and the current memory; no limit. */
static struct cgs_cgroup *add(struct cgs_list *l, uint64_t id,
			      const char *path, uint64_t usage)
{
	struct cgs_cgroup *cg = cgs_list_add(l);

	cg->id = id;
	cg->path = strdup(path);
	cg->has = CGS_HAS_ID | CGS_HAS_PATH;
	for (int c = 0; c < CGS_NR_CTR; c++) {
		if (cgs_ctr_info[c].kind != CGS_COUNTER && c != CGS_MEM_CURRENT)
			continue;
		cg->ctr[c] = c == CGS_MEM_CURRENT ? 64 << 20 : usage * (c + 1);
		cg->present |= CGS_BIT(c);
	}
	return cg;
}

int cgs_sample(struct cgs_nl *nl, struct cgs_iter *it,
	       const struct cgs_target *t, struct cgs_list *l)
{
	static const char *const fixed[] = {
		"/", "/soak", "/soak/churn", "/soak/ctl", "/soak/ctl/a",
		"/soak/ctl/b",
	};
	uint64_t r = ++round_no;
	char path[64];

	(void)nl;
	(void)it;
	(void)t;
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		add(l, i + 1, fixed[i], r * 50000000 * (i + 1));
	/* the newest @alive churned cgroups, by rising id */
	seq += PER_ROUND;
	for (uint64_t s = seq > alive ? seq - alive : 0; s < seq; s++) {
		struct cgs_cgroup *cg;
		struct cgs_gpu *g;

		snprintf(path, sizeof(path), "/soak/churn/c%llu",
			 (unsigned long long)s);
		cg = add(l, 100 + s, path, (seq - s) * 1000000);
		if (s % 10)
			continue;
		g = cgs_cgroup_add_gpu(cg);	/* a vgem fence's charge */
		snprintf(g->dev, sizeof(g->dev), "vgem");
		g->ctr[CGS_GPU_BUSY_NS] = (seq - s) * 1000;
		g->present = CGS_BIT(CGS_GPU_BUSY_NS);
	}
	return 0;
}

/* Bytes the allocator has handed out and not had back. */
static size_t in_use(void)
{
#ifdef HAVE_MEMCHECK
	if (RUNNING_ON_VALGRIND) {
		unsigned long leaked = 0, dubious = 0, reachable = 0, sup = 0;

		VALGRIND_DO_QUICK_LEAK_CHECK;
		VALGRIND_COUNT_LEAKS(leaked, dubious, reachable, sup);
		return leaked + dubious + reachable + sup;
	}
#endif
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;	/* the heap's, and mmap(2)ed */
}

/*
 * The check that @cgroups made and removed between two counts of bytes
 * in use, @warm and @churned, kept nothing. Not to the byte: glibc's
 * per-thread cache holds freed chunks that mallinfo2() counts as in use,
 * a few more as more sizes have been freed. Anything kept per cgroup is
 * 16 B or more.
 */
static void churn_kept_nothing(size_t warm, size_t churned, long cgroups)
{
	printf("# in use: %zu B after warm-up, %zu B after %ld more "
	       "cgroups\n", warm, churned, cgroups);
	ok(churned <= warm + cgroups, "%ld cgroups made and removed cost no "
	   "memory: %+ld B (at most 1 B each)", cgroups,
	   (long)(churned - warm));
}

#endif
