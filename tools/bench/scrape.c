// SPDX-License-Identifier: GPL-2.0
/*
 * bench-scrape: what users pay for the whole read path, per N cgroups,
 * measured side by side in one run, as CPU time (user and system: the
 * module's dump and the cgroup iterator run in the reader's context):
 *
 *   cadvisor  the cAdvisor-style C collector (cadvisor.c): walk the tree,
 *             read and parse ten files per cgroup, render the text; its
 *             own CLOCK_PROCESS_CPUTIME_ID around one pass, in-process
 *   export    one HTTP GET /metrics of `cgsharectl export --listen`,
 *             started once: the exporter's CPU time from its
 *             /proc/PID/schedstat (ns) before the request and once it is
 *             back asleep after it
 *   stats     one `cgsharectl -j stats -r` >/dev/null, process start-up
 *             included: the child's user + system time (wait4)
 *   once      one `cgsharectl export --once` >/dev/null, the same way: the
 *             scrape's text without the socket, so that export less once
 *             (per cgroup, where start-up cancels) is at least what the
 *             HTTP answer costs (once also pays a fresh process's page
 *             faults, which the exporter, keeping its heap, does not)
 *   dump      one netlink dump with a minimal parse (ctl/ledger), and
 *   sample    the same plus one read of the cgroup iterator merged in:
 *             the reference "the dump" of cgsharectl's own cost
 *
 * Before each N's measurements `cgsharectl bpf pin` re-sizes the cgroup
 * iterator's records map for the tree, and one sample must find room for
 * every cgroup (else the bench fails: a partial read is cheaper).
 * The tree is bench-collect's (tree.c), with +cpu +memory on every level;
 * the exporter and stats see the whole cgroup2 tree, as does the
 * collector. For each N: one untimed warm-up of each, then REPS
 * repetitions in rotating order, and a `bench: wholepath N=...` line of
 * medians and the ratios cadvisor/export and cadvisor/stats. After the
 * last N, `bench: wholepath marginal ...`: the cost per cgroup between
 * the first and last N, and stats and export less the dump's. Under
 * QEMU's icount one guest nanosecond is one instruction.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include "bench.h"
#include "cadvisor.h"
#include "tree.h"
#include "ledger/ledger.h"

enum { CADV, CADV_COLLECT, EXPORT, STATS, DUMP, SAMPLE, ONCE, NR_WAYS };

static const char *const names[NR_WAYS] = {
	"cadvisor", "cadvisor-collect", "export", "stats", "dump", "sample",
	"export-once",
};

struct ctx {
	const char *ctl;
	struct cadv *cadv;
	struct cgs_nl *nl;
	struct cgs_iter *it;
	int devnull;
	pid_t exporter;
	int port;
};

static uint64_t self_cpu(void)
{
	return clock_ns(CLOCK_PROCESS_CPUTIME_ID);
}

/* The exporter's CPU time so far, ns. */
static uint64_t schedstat(pid_t pid)
{
	char path[64], buf[128];
	unsigned long long ns = 0;
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/schedstat", pid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		fail("%s:", path);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0 || (buf[n] = 0, sscanf(buf, "%llu", &ns) != 1))
		fail("%s: unreadable", path);
	return ns;
}

/* Waits until @pid sleeps again (its answer sent, back in poll()). */
static void settle(pid_t pid)
{
	char path[64], buf[512], *p;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	for (int i = 0; i < 100000; i++) {
		ssize_t n;

		fd = open(path, O_RDONLY);
		if (fd < 0)
			fail("%s:", path);
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		buf[n > 0 ? n : 0] = 0;
		p = strrchr(buf, ')');
		if (p && p[1] == ' ' && p[2] == 'S')
			return;
		sched_yield();
	}
	fail("the exporter did not go back to sleep");
}

static int connect_to(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0)
		fail("socket:");
	if (connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* One GET /metrics; the bytes of the answer. */
static size_t get(int port)
{
	static const char req[] = "GET /metrics HTTP/1.1\r\nHost: bench\r\n\r\n";
	static char buf[1 << 16];
	size_t total = 0;
	ssize_t n;
	int fd = connect_to(port);

	if (fd < 0)
		fail("connect to 127.0.0.1:%d:", port);
	if (write(fd, req, sizeof(req) - 1) != sizeof(req) - 1)
		fail("send:");
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (!total && strncmp(buf, "HTTP/1.1 200", 12))
			fail("the exporter answered: %.40s", buf);
		total += n;
	}
	close(fd);
	return total;
}

static void start_exporter(struct ctx *c)
{
	char listen[32];

	snprintf(listen, sizeof(listen), "127.0.0.1:%d", c->port);
	c->exporter = fork();
	if (c->exporter < 0)
		fail("fork:");
	if (!c->exporter) {
		execl(c->ctl, c->ctl, "export", "--listen", listen, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 3000; i++) {
		int fd = connect_to(c->port);

		if (fd >= 0) {
			close(fd);	/* an empty request: dropped at once */
			settle(c->exporter);
			return;
		}
		usleep(10000);
	}
	fail("the exporter did not start listening on %s", listen);
}

/* One `cgsharectl A B C` >/dev/null: its user + system time, ns. */
static uint64_t run_ctl(struct ctx *c, const char *a, const char *b,
			const char *x)
{
	struct rusage ru;
	int status;
	pid_t pid = fork();

	if (pid < 0)
		fail("fork:");
	if (!pid) {
		dup2(c->devnull, STDOUT_FILENO);
		execl(c->ctl, c->ctl, a, b, x, (char *)NULL);
		_exit(127);
	}
	if (wait4(pid, &status, 0, &ru) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		fail("cgsharectl %s %s %s failed (status %d)", a, b, x ? x : "",
		     status);
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000ull +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000ull;
}

static int drop(struct cgs_cgroup *cg, void *arg)
{
	(*(int *)arg)++;
	cgs_cgroup_free(cg);
	return 0;
}

/* One measurement of @way, ns of CPU; *@n gets what it saw. */
static uint64_t measure(struct ctx *c, int way, int *n)
{
	struct cgs_list l = { 0 };
	uint64_t t0, t1;
	bool intr;

	switch (way) {
	case CADV:
	case CADV_COLLECT:
		t0 = self_cpu();
		*n = cadv_collect(c->cadv);
		if (way == CADV)
			cadv_render(c->cadv, c->devnull);
		return self_cpu() - t0;
	case EXPORT:
		t0 = schedstat(c->exporter);
		*n = get(c->port);
		settle(c->exporter);
		return schedstat(c->exporter) - t0;
	case STATS:
		*n = 0;
		return run_ctl(c, "-j", "stats", "-r");
	case ONCE:
		*n = 0;
		return run_ctl(c, "export", "--once", NULL);
	case DUMP:
		*n = 0;
		t0 = self_cpu();
		if (cgs_nl_cgroup_dump(c->nl, NULL, drop, n, &intr))
			fail("dump failed");
		return self_cpu() - t0;
	default:
		t0 = self_cpu();
		if (cgs_sample(c->nl, c->it, NULL, &l))
			fail("sample failed");
		t1 = self_cpu();
		*n = l.n;
		cgs_list_free(&l);
		return t1 - t0;
	}
}

static const char *label = "";

/*
 * `cgsharectl bpf pin` for the tree as it is now, as an operator would
 * after adding cgroups: it re-sizes the iterator's records map when the
 * cgroups outgrew it. Then one sample must have found room for every
 * cgroup, or the figures would be of a partial read.
 */
static void pin_for(struct ctx *c, int n)
{
	struct cgs_iter_room room;
	struct cgs_list l = { 0 };
	int status, ret;
	pid_t pid = fork();

	if (pid < 0)
		fail("fork:");
	if (!pid) {
		dup2(c->devnull, STDOUT_FILENO);
		execl(c->ctl, c->ctl, "bpf", "pin", (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		fail("cgsharectl bpf pin failed (status %d)", status);
	cgs_iter_close(c->it);
	if (cgs_iter_open(&c->it))
		fail("out of memory");
	ret = cgs_sample(c->nl, c->it, NULL, &l);
	cgs_iter_room(c->it, &room);
	cgs_list_free(&l);
	if (ret || room.missed || !room.records)
		fail("N=%d: the iterator recorded %u cgroups, %u found no room "
		     "(records map of %u)", n, room.records, room.missed,
		     room.capacity);
	printf("# wholepath N=%d: iterator pinned, %u records in a map of %u\n",
	       n, room.records, room.capacity);
}

struct point {
	int n;			/* cgroups in the whole tree */
	double ms[NR_WAYS];
};

static void run_n(struct ctx *c, struct tree *t, int n, int reps, struct point *pt)
{
	double v[NR_WAYS][reps];
	int seen, order;

	tree_grow(t, n);
	pin_for(c, n);
	for (int w = 0; w < NR_WAYS; w++)
		measure(c, w, &seen);		/* warm-up */
	pt->n = cadv_collect(c->cadv);
	for (int i = 0; i < reps; i++) {
		for (int k = 0; k < NR_WAYS; k++) {
			order = (i + k) % NR_WAYS;
			v[order][i] = measure(c, order, &seen) / 1e6;
		}
		printf("# wholepath N=%d rep %d:", n, i + 1);
		for (int w = 0; w < NR_WAYS; w++)
			printf(" %s %.3f ms", names[w], v[w][i]);
		printf("\n");
	}
	for (int w = 0; w < NR_WAYS; w++)
		pt->ms[w] = median(v[w], reps);
	printf("bench: wholepath N=%d%s: CPU per read, median of %d: cAdvisor-style C "
	       "collector %.2f ms (collect only %.2f), export scrape %.2f ms, stats -r -j "
	       "%.2f ms; ratio collector/export %.2fx, collector/stats %.2fx "
	       "(goal >= 20x); dump %.2f ms, sample (dump + iterator) %.2f ms; "
	       "export --once >/dev/null %.2f ms; %d cgroups in all\n", n, label,
	       reps, pt->ms[CADV], pt->ms[CADV_COLLECT], pt->ms[EXPORT],
	       pt->ms[STATS], pt->ms[CADV] / pt->ms[EXPORT],
	       pt->ms[CADV] / pt->ms[STATS], pt->ms[DUMP], pt->ms[SAMPLE],
	       pt->ms[ONCE], pt->n);
	fflush(stdout);
}

static void marginal(const struct point *a, const struct point *b)
{
	double per[NR_WAYS], d = b->n - a->n;

	for (int w = 0; w < NR_WAYS; w++)
		per[w] = (b->ms[w] - a->ms[w]) * 1e6 / d;
	printf("bench: wholepath marginal%s N=%d..%d, ns per cgroup: collector %.0f, export "
	       "%.0f, stats %.0f, dump %.0f, sample %.0f; on top of the dump: stats %.0f, "
	       "export %.0f (goal <= 8000 instructions under icount); on top of the "
	       "sample: stats %.0f, export %.0f; export --once >/dev/null %.0f, so "
	       "the HTTP answer (export less export --once) %.0f\n", label, a->n,
	       b->n, per[CADV], per[EXPORT], per[STATS], per[DUMP], per[SAMPLE],
	       per[STATS] - per[DUMP], per[EXPORT] - per[DUMP],
	       per[STATS] - per[SAMPLE], per[EXPORT] - per[SAMPLE], per[ONCE],
	       per[EXPORT] - per[ONCE]);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: %s [-r REPS] [-f FANOUT] [-l LABEL] [-p PORT] -c CGSHARECTL NAME N...\n"
		"  builds /sys/fs/cgroup/NAME with N cgroups for each N in turn and\n"
		"  measures one read of every cgroup: the C collector, an export\n"
		"  scrape, stats -r -j, the dump and the sample (needs the module\n"
		"  loaded; runs `cgsharectl bpf pin` for each tree)\n",
		program_invocation_short_name);
	exit(2);
}

int main(int argc, char **argv)
{
	struct tree t = { .mount = "/sys/fs/cgroup", .fanout = 50 };
	struct ctx c = { .port = 19870 };
	struct point pts[16];
	int reps = 5, opt, np = 0, last = 0;

	while ((opt = getopt(argc, argv, "r:f:l:p:c:h")) != -1) {
		switch (opt) {
		case 'r':
			reps = atoi(optarg);
			break;
		case 'f':
			t.fanout = atoi(optarg);
			break;
		case 'l':
			label = optarg;
			break;
		case 'p':
			c.port = atoi(optarg);
			break;
		case 'c':
			c.ctl = optarg;
			break;
		default:
			usage();
		}
	}
	if (argc - optind < 2 || argc - optind > 17 || !c.ctl || reps < 1 ||
	    reps > 100 || t.fanout < 2)
		usage();
	snprintf(t.name, sizeof(t.name), "%s", argv[optind++]);
	c.devnull = open("/dev/null", O_WRONLY);
	if (c.devnull < 0)
		fail("/dev/null:");
	if (cgs_nl_open(&c.nl, 0) || cgs_iter_open(&c.it))
		fail("cannot open the cgshare family (is cgshare.ko loaded?)");
	c.cadv = cadv_new(t.mount);
	start_exporter(&c);
	tree_init(&t);
	for (int i = optind; i < argc; i++) {
		int n = atoi(argv[i]);

		if (n <= last || n > 1000000)
			fail("bad N '%s' (give them increasing)", argv[i]);
		run_n(&c, &t, n, reps, &pts[np++]);
		last = n;
	}
	if (np > 1)
		marginal(&pts[0], &pts[np - 1]);
	kill(c.exporter, SIGTERM);
	waitpid(c.exporter, NULL, 0);
	tree_remove(&t);
	cadv_free(c.cadv);
	cgs_iter_close(c.it);
	cgs_nl_close(c.nl);
	return 0;
}
