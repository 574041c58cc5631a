// SPDX-License-Identifier: GPL-2.0
/*
 * The controller's memory under cgroup churn (the soak's, make soak):
 * rounds of a ledger in which 50 cgroups are made and 50 removed between
 * two samples (100 a second at a 0.5 s interval), each with an id and a
 * path never seen before, while two configured cgroups are measured,
 * solved and written as `run` does. The ledger is this file's stand-in
 * for the module's dump (cgs_sample() below); the cgroup files are plain
 * files in a directory tree.
 *
 * Bytes in use come from mallinfo2(), or from memcheck when the test runs
 * under valgrind (make check), whose malloc mallinfo2() knows nothing of.
 */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#define HAVE_MEMCHECK 1
#endif

#include "control/control.h"
#include "tests/tap.h"

#define PER_ROUND	50	/* cgroups made, and removed, per round */
#define WARMUP		100	/* rounds */
#define CHURN		600	/* rounds: 30,000 cgroups made and removed */

/* -- the ledger's stand-in -- */

static uint64_t round_no, seq;
static size_t alive = 300;	/* churned cgroups in the ledger at once */

int cgs_nl_open(struct cgs_nl **nlp, unsigned int flags)
{
	(void)flags;
	*nlp = NULL;
	return -ENOENT;
}

void cgs_nl_close(struct cgs_nl *nl)
{
	(void)nl;
}

void cgs_nl_perror(const struct cgs_nl *nl, const char *what)
{
	(void)nl;
	printf("# %s failed\n", what);
}

int cgs_iter_open(struct cgs_iter **itp)
{
	*itp = NULL;
	return 0;
}

void cgs_iter_close(struct cgs_iter *it)
{
	(void)it;
}

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

/* -- the controller, driven as `run` drives it -- */

static void put(const char *dir, const char *file, const char *text)
{
	char p[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, file);
	f = fopen(p, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static void make_cgroup(const char *root, const char *rel)
{
	char d[512];

	snprintf(d, sizeof(d), "%s/%s", root, rel);
	mkdir(d, 0755);
	put(d, "cgroup.procs", "");
	put(d, "cpu.max", "max 100000\n");
	put(d, "cpu.weight", "100\n");
	put(d, "memory.high", "max\n");
}

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

int main(void)
{
	char dir[] = "/tmp/cgs-churn-XXXXXX", conf[600], cmd[600];
	struct cgs_ctl_opts o = { .quiet = true };
	const struct cgs_ctl_cg *a;
	size_t warm, churned, small, large;
	static char nl;
	struct cgs_ctl *c;
	FILE *f;

	if (!mkdtemp(dir))
		return 1;
	make_cgroup(dir, "soak");
	make_cgroup(dir, "soak/ctl");
	make_cgroup(dir, "soak/ctl/a");
	make_cgroup(dir, "soak/ctl/b");
	snprintf(conf, sizeof(conf), "%s/c.conf", dir);
	f = fopen(conf, "w");
	if (!f)
		return 1;
	fprintf(f, "cgroup-root %s\ninterval 500ms\nact-every 2\n"
		"capacity cpu 2\nenforce cpu both\nenforce memory high\n"
		"cgroup /soak/ctl/a weight 1\ncgroup /soak/ctl/b weight 2\n",
		dir);
	fclose(f);
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
	printf("# in use: %zu B after warm-up, %zu B after %d more "
	       "cgroups\n", warm, churned, CHURN * PER_ROUND);
	/*
	 * Not to the byte: glibc's per-thread cache holds freed chunks that
	 * mallinfo2() counts as in use, a few more as more sizes have been
	 * freed. Anything kept per cgroup is 16 B or more.
	 */
	ok(churned <= warm + CHURN * PER_ROUND,
	   "%d cgroups made and removed cost no memory: %+ld B (at most "
	   "1 B each)", CHURN * PER_ROUND, (long)(churned - warm));

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
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		perror(cmd);
	return tap_done();
}
