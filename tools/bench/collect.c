// SPDX-License-Identifier: GPL-2.0
/*
 * bench-collect: what it costs to collect CPU usage and memory for every
 * cgroup of a tree, two ways, measured side by side in one run:
 *
 *   files    for each cgroup, open/read/close cpu.stat, memory.current and
 *            memory.stat and parse them, the way cAdvisor-style collectors
 *            do (full paths, read to EOF, working set = current -
 *            inactive_file).  The list of cgroups is known in advance, so
 *            no directory walk is charged to this side.
 *   netlink  one cgshare cgroup-get dump of the subtree through the ledger
 *            library cgsharectl uses (ctl/ledger), every record decoded.
 *
 * It builds the tree itself, MOUNT/NAME/pNNN/cNN with +cpu +memory enabled
 * on every level, grows it to each N in turn (N counts the cgroups below
 * NAME), and for each N runs one untimed warm-up of each method and then
 * REPS timed repetitions, alternating which method goes first.  It prints
 * each repetition and a `bench: collect ...` summary line per N with the
 * median wall (CLOCK_MONOTONIC) and CPU (CLOCK_PROCESS_CPUTIME_ID) times and
 * their ratio files/netlink.  Before timing, both methods must return the
 * same set of cgroups.  The tree is removed at the end unless -k.
 */
#include <dirent.h>
#include <fcntl.h>
#include <getopt.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/cgshare.h>
#include "bench.h"
#include "tree.h"
#include "ledger/ledger.h"

/* What a collector keeps per cgroup; both methods fill the same struct. */
struct sample {
	uint64_t id;
	char path[PATH_LEN];
	uint64_t cpu_usage_ns, cpu_wait_ns, cpu_switches;
	uint64_t user_usec, system_usec;
	uint64_t mem_current, mem_peak, mem_swap, mem_events[5];
	uint64_t anon, file, inactive_file, pgmajfault, working_set;
};

/* ---- files ------------------------------------------------------------- */


/* Calls @fn for every "key value" line of a flat-keyed file. */
static void parse_flat(char *buf, struct sample *s,
		       void (*fn)(struct sample *, const char *, size_t, uint64_t))
{
	char *line = buf, *sp, *end;

	while (*line) {
		end = strchrnul(line, '\n');
		sp = memchr(line, ' ', end - line);
		if (sp)
			fn(s, line, sp - line, strtoull(sp + 1, NULL, 10));
		line = *end ? end + 1 : end;
	}
}

#define KEY_IS(k, len, lit) ((len) == sizeof(lit) - 1 && !memcmp((k), (lit), (len)))

static void cpu_stat_key(struct sample *s, const char *k, size_t len, uint64_t v)
{
	if (KEY_IS(k, len, "usage_usec"))
		s->cpu_usage_ns = v * 1000;
	else if (KEY_IS(k, len, "user_usec"))
		s->user_usec = v;
	else if (KEY_IS(k, len, "system_usec"))
		s->system_usec = v;
}

static void mem_stat_key(struct sample *s, const char *k, size_t len, uint64_t v)
{
	if (KEY_IS(k, len, "anon"))
		s->anon = v;
	else if (KEY_IS(k, len, "file"))
		s->file = v;
	else if (KEY_IS(k, len, "inactive_file"))
		s->inactive_file = v;
	else if (KEY_IS(k, len, "pgmajfault"))
		s->pgmajfault = v;
}

static int collect_files(const struct tree *t, struct sample *out)
{
	char buf[16384];
	int i;

	for (i = 0; i < t->n; i++) {
		struct sample *s = &out[i];

		memset(s, 0, sizeof(*s));
		if (bench_slurp(t->dirs[i], "cpu.stat", buf, sizeof(buf)) < 0)
			fail("read %s/cpu.stat:", t->dirs[i]);
		parse_flat(buf, s, cpu_stat_key);
		if (bench_slurp(t->dirs[i], "memory.current", buf, sizeof(buf)) < 0)
			fail("read %s/memory.current:", t->dirs[i]);
		s->mem_current = strtoull(buf, NULL, 10);
		if (bench_slurp(t->dirs[i], "memory.stat", buf, sizeof(buf)) < 0)
			fail("read %s/memory.stat:", t->dirs[i]);
		parse_flat(buf, s, mem_stat_key);
		s->working_set = s->mem_current > s->inactive_file ?
				 s->mem_current - s->inactive_file : 0;
	}
	return t->n;
}

/* ---- netlink ----------------------------------------------------------- */

static void nl_open(struct cgs_nl **nl)
{
	if (cgs_nl_open(nl, 0))
		fail("cannot open the cgshare family (is cgshare.ko loaded?)");
}

struct dump_arg {
	struct sample *out;
	int n, max;
	const char *path;
};

static int store(struct cgs_cgroup *cg, void *arg)
{
	struct dump_arg *d = arg;
	struct sample *s;

	if (d->n == d->max)
		fail("dump of %s returned more than %d records", d->path, d->max);
	s = &d->out[d->n++];
	memset(s, 0, sizeof(*s));
	s->id = cg->id;
	snprintf(s->path, sizeof(s->path), "%s", cg->path ? cg->path : "");
	s->cpu_usage_ns = cg->ctr[CGS_CPU_USAGE_NS];
	s->cpu_wait_ns = cg->ctr[CGS_CPU_WAIT_NS];
	s->cpu_switches = cg->ctr[CGS_CPU_SWITCHES];
	s->mem_current = cg->ctr[CGS_MEM_CURRENT];
	s->mem_peak = cg->ctr[CGS_MEM_PEAK];
	s->mem_swap = cg->ctr[CGS_MEM_SWAP];
	for (int e = 0; e < 5; e++)
		s->mem_events[e] = cg->ctr[CGS_MEM_EVENTS_LOW + e];
	cgs_cgroup_free(cg);
	return 0;
}

/* One dump of the subtree @path; returns the records stored in @out. */
static int collect_netlink(struct cgs_nl *nl, const char *path,
			   struct sample *out, int max, int *interrupted)
{
	struct cgs_target t = { .path = path };
	struct dump_arg d = { .out = out, .max = max, .path = path };
	bool intr = false;

	if (cgs_nl_cgroup_dump(nl, &t, store, &d, &intr))
		fail("cgroup-get dump of %s failed", path);
	*interrupted += intr;
	return d.n;
}

/* ---- measurement -------------------------------------------------------- */

struct cost {
	double wall_ms, cpu_ms, sys_ms;
};

struct meter {
	uint64_t wall, cpu;
	struct timeval sys;
};

static void meter_start(struct meter *m)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	m->sys = ru.ru_stime;
	m->cpu = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	m->wall = clock_ns(CLOCK_MONOTONIC);
}

static struct cost meter_stop(const struct meter *m)
{
	uint64_t wall = clock_ns(CLOCK_MONOTONIC), cpu = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	struct rusage ru;
	struct cost c;

	getrusage(RUSAGE_SELF, &ru);
	c.wall_ms = (wall - m->wall) / 1e6;
	c.cpu_ms = (cpu - m->cpu) / 1e6;
	c.sys_ms = (ru.ru_stime.tv_sec - m->sys.tv_sec) * 1e3 +
		   (ru.ru_stime.tv_usec - m->sys.tv_usec) / 1e3;
	return c;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Both methods must see the same cgroups, or the comparison means nothing. */
static void check_same_set(const struct tree *t, const struct sample *nl, int n)
{
	size_t skip = strlen(t->mount);
	const char **a, **b;
	int i;

	if (n != t->n)
		fail("netlink returned %d records for %d cgroups", n, t->n);
	a = calloc(n, sizeof(*a));
	b = calloc(n, sizeof(*b));
	if (!a || !b)
		fail("out of memory");
	for (i = 0; i < n; i++) {
		a[i] = t->dirs[i] + skip;
		b[i] = nl[i].path;
	}
	qsort(a, n, sizeof(*a), cmp_str);
	qsort(b, n, sizeof(*b), cmp_str);
	for (i = 0; i < n; i++)
		if (strcmp(a[i], b[i]))
			fail("cgroup sets differ: files has %s where netlink has %s", a[i], b[i]);
	free(a);
	free(b);
}

static const char *label = "";

static void run_n(struct tree *t, struct cgs_nl *nl, int n, int reps)
{
	double fw[reps], fc[reps], nw[reps], nc[reps], fsys = 0, nsys = 0, ftot = 0, ntot = 0;
	char sub[PATH_LEN];
	struct sample *buf;
	int i, got, intr = 0;
	uint64_t t0;

	if (n < t->n - 1)
		fail("give N in increasing order: the tree only grows");
	t0 = clock_ns(CLOCK_MONOTONIC);
	tree_grow(t, n);
	printf("# collect N=%d: %d cgroups below /%s (parents of %d), %d with the root, built in %.1f s\n",
	       n, t->n - 1, t->name, t->fanout - 1, t->n, (clock_ns(CLOCK_MONOTONIC) - t0) / 1e9);
	snprintf(sub, sizeof(sub), "/%s", t->name);
	buf = calloc(t->n + 16, sizeof(*buf));
	if (!buf)
		fail("out of memory");

	/* Warm-up, and the check that both sides read the same cgroups. */
	collect_files(t, buf);
	got = collect_netlink(nl, sub, buf, t->n + 16, &intr);
	check_same_set(t, buf, got);

	for (i = 0; i < reps; i++) {
		struct cost f = {}, c = {};
		struct meter m;
		int k;

		for (k = 0; k < 2; k++) {
			meter_start(&m);
			if ((i + k) % 2 == 0) {
				collect_files(t, buf);
				f = meter_stop(&m);
			} else {
				got = collect_netlink(nl, sub, buf, t->n + 16, &intr);
				c = meter_stop(&m);
				if (got != t->n)
					fail("netlink returned %d records for %d cgroups", got, t->n);
			}
		}
		fw[i] = f.wall_ms, fc[i] = f.cpu_ms, nw[i] = c.wall_ms, nc[i] = c.cpu_ms;
		fsys += f.sys_ms, ftot += f.cpu_ms, nsys += c.sys_ms, ntot += c.cpu_ms;
		printf("# collect N=%d rep %d (%s first): files %.2f ms (cpu %.2f), netlink %.2f ms (cpu %.2f)\n",
		       n, i + 1, i % 2 ? "netlink" : "files", f.wall_ms, f.cpu_ms, c.wall_ms, c.cpu_ms);
	}
	if (intr)
		printf("# collect N=%d: %d dump messages carried NLM_F_DUMP_INTR\n", n, intr);

	{
		double mfw = median(fw, reps), mnw = median(nw, reps);
		double mfc = median(fc, reps), mnc = median(nc, reps);

		printf("bench: collect N=%d%s: files %.1f ms, netlink %.2f ms, ratio %.1fx"
		       " (wall, median of %d); cpu: files %.1f ms, netlink %.2f ms, ratio %.1fx;"
		       " per cgroup: files %.1f us, netlink %.2f us; system time ~%.0f%% / ~%.0f%%\n",
		       n, label, mfw, mnw, mfw / mnw, reps, mfc, mnc, mfc / mnc,
		       mfw * 1e3 / t->n, mnw * 1e3 / t->n,
		       ftot > 0 ? 100 * fsys / ftot : 0, ntot > 0 ? 100 * nsys / ntot : 0);
	}
	fflush(stdout);
	free(buf);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: %s [-r REPS] [-f FANOUT] [-m MOUNT] [-l LABEL] [-k] NAME N...\n"
		"  builds MOUNT/NAME (default mount /sys/fs/cgroup) with N cgroups below it,\n"
		"  for each N in turn, and compares files with one cgshare netlink dump.\n"
		"  -r REPS    timed repetitions per method and N (7)\n"
		"  -f FANOUT  leaves per parent cgroup, plus one (50)\n"
		"  -l LABEL   added to the summary lines, e.g. \" [icount]\"\n"
		"  -k         keep the tree afterwards\n",
		program_invocation_short_name);
	exit(2);
}

int main(int argc, char **argv)
{
	struct tree t = { .mount = "/sys/fs/cgroup", .fanout = 50 };
	int reps = 7, keep = 0, opt, i;
	struct cgs_nl *nl = NULL;

	while ((opt = getopt(argc, argv, "r:f:m:l:kh")) != -1) {
		switch (opt) {
		case 'r':
			reps = atoi(optarg);
			break;
		case 'f':
			t.fanout = atoi(optarg);
			break;
		case 'm':
			snprintf(t.mount, sizeof(t.mount), "%s", optarg);
			break;
		case 'l':
			label = optarg;
			break;
		case 'k':
			keep = 1;
			break;
		default:
			usage();
		}
	}
	if (argc - optind < 2 || reps < 1 || reps > 1000 || t.fanout < 2)
		usage();
	snprintf(t.name, sizeof(t.name), "%s", argv[optind++]);
	if (strchr(t.name, '/') || !t.name[0])
		fail("NAME must be a single path component");

	nl_open(&nl);
	tree_init(&t);
	for (i = optind; i < argc; i++) {
		int n = atoi(argv[i]);

		if (n < 1 || n > 1000000)
			fail("bad N '%s'", argv[i]);
		run_n(&t, nl, n, reps);
	}
	if (!keep)
		tree_remove(&t);
	return 0;
}
