// SPDX-License-Identifier: GPL-2.0
/*
 * cgsharectl top: a live view of the ledger, one row per cgroup, sorted by
 * CPU use, wait, memory or GPU time, with the limits cgroupfs holds and,
 * given the controller's config, each managed cgroup's demand and share.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "args.h"
#include "control.h"
#include "export.h"
#include "main.h"
#include "out.h"
#include "rate.h"

#define MAX_INTERVAL_NS (24 * 3600 * 1000000000ull)

enum sort_key { SORT_CPU, SORT_WAIT, SORT_MEM, SORT_GPU, NR_SORT };

static const char *const sort_names[NR_SORT] = {
	[SORT_CPU] = "cpu",
	[SORT_WAIT] = "wait",
	[SORT_MEM] = "mem",
	[SORT_GPU] = "gpu",
};

struct top_args {
	struct cgs_target target;
	char path[4096];
	bool subtree;
	uint64_t interval_ns;
	uint64_t iterations;		/* 0: until quit */
	enum sort_key sort;
	const char *cgroup_root;
	const char *config;		/* -c: show demand and share */
};

/* One row: a rate and what cgroupfs says of the cgroup. */
struct row {
	const struct cgs_rate *r;
	const struct cgs_cgroup *cg;
	struct export_limits lim;
	double gpu;			/* busy, in devices; < 0 unknown */
	const struct cgs_round_cg *ctl;	/* -c: managed; NULL otherwise */
};

struct frame {
	struct cgs_list prev, cur;
	uint64_t t_prev, t_cur;
	struct cgs_rates rates;
	bool have_rates;
	struct row *rows;
	size_t nr_rows;
	struct cgs_view *view;		/* -c */
};

static volatile sig_atomic_t stop, resized;

static void help(FILE *f)
{
	fprintf(f,
		"Usage: cgsharectl top [PATH] [-c FILE] [-i DURATION]\n"
		"                      [-n ITERATIONS] [-s cpu|wait|mem|gpu] [-j]\n"
		"\n"
		"A live view of every cgroup (or the subtree at PATH): CPU use and\n"
		"run-queue wait in CPUs over the last interval, memory, GPU busy\n"
		"time in devices, and the limits in cgroupfs (cpu.max in CPUs,\n"
		"cpu.weight, memory.high, memory.max). On a terminal the screen is\n"
		"redrawn each interval; q quits, c/w/m/g change the sort. Otherwise\n"
		"one table per interval (with -j one JSON object per line).\n"
		"With -c, each cgroup the controller's config manages also shows\n"
		"its smoothed demand and its share, CPU and memory, as plan\n"
		"computes them (nothing is written); others show -.\n"
		"\n"
		"  -c, --config FILE    the controller's configuration\n"
		"  -i, --interval DUR   time between samples (default 1s)\n"
		"  -n, --iterations N   stop after N tables (default: until quit)\n"
		"  -s, --sort KEY       cpu (default), wait, mem or gpu; largest first\n"
		"  --cgroup-root DIR    where cgroup2 is mounted (/sys/fs/cgroup)\n");
}

static void on_signal(int sig)
{
	if (sig == SIGWINCH)
		resized = 1;
	else
		stop = 1;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int sample(struct cgs_nl *nl, const struct top_args *a,
		  struct cgs_list *l, uint64_t *t)
{
	uint64_t t0 = now_ns();
	int ret;

	ret = cgs_nl_cgroup_dump_list(nl, a->subtree ? &a->target : NULL, l);
	*t = t0 + (now_ns() - t0) / 2;
	if (ret == -ENOENT && a->subtree) {
		fprintf(stderr, "cgsharectl: no such cgroup: %s\n", a->path);
		return ret;
	}
	if (ret) {
		cgs_nl_perror(nl, "dumping the ledger");
		return ret;
	}
	cgs_list_sort_by_id(l);
	return 0;
}

static double key_of(const struct row *w, enum sort_key k)
{
	const struct cgs_rate *r = w->r;

	switch (k) {
	case SORT_CPU:
	case SORT_WAIT: {
		enum cgs_ctr c = k == SORT_CPU ? CGS_CPU_USAGE : CGS_CPU_WAIT;

		return r->valid & CGS_BIT(c) ? r->per_ns[c] : -1;
	}
	case SORT_MEM:
		return cgs_has_ctr(w->cg, CGS_MEM_CURRENT) ?
		       (double)w->cg->ctr[CGS_MEM_CURRENT] : -1;
	default:
		return w->gpu;
	}
}

static int cmp_rows(const void *a, const void *b, void *arg)
{
	const struct row *x = a, *y = b;
	enum sort_key k = *(const enum sort_key *)arg;
	double p = key_of(x, k), q = key_of(y, k);

	if (p != q)
		return p > q ? -1 : 1;
	return cgs_path_cmp(x->cg->path ? x->cg->path : "",
			    y->cg->path ? y->cg->path : "");
}

/* Rows for the cgroups alive now, with their limits; gone ones dropped. */
static int build_rows(struct frame *fr, int rootfd)
{
	struct cgs_rates *rs = &fr->rates;

	free(fr->rows);
	fr->nr_rows = 0;
	fr->rows = calloc(rs->n ? rs->n : 1, sizeof(*fr->rows));
	if (!fr->rows)
		return -ENOMEM;
	for (size_t i = 0; i < rs->n; i++) {
		const struct cgs_rate *r = &rs->v[i];
		struct row *w = &fr->rows[fr->nr_rows];

		if (r->state == CGS_RATE_GONE)
			continue;
		w->r = r;
		w->cg = r->now;
		if (rootfd >= 0 && w->cg->path &&
		    export_read_limits(rootfd, w->cg->path, &w->lim) == -ENOENT)
			continue;
		w->ctl = fr->view ? cgs_view_find(fr->view, w->cg->path) : NULL;
		w->gpu = -1;
		for (unsigned int g = 0; g < r->nr_gpu; g++) {
			if (!(r->gpu[g].valid & CGS_BIT(CGS_GPU_BUSY)))
				continue;
			if (w->gpu < 0)
				w->gpu = 0;
			w->gpu += r->gpu[g].per_ns[CGS_GPU_BUSY];
		}
		fr->nr_rows++;
	}
	return 0;
}

static void limit_col(const struct export_limits *l, enum export_limit k,
		      const char *key, const char *fmt, bool bytes)
{
	if (l->present & CGS_BIT(k)) {
		if (bytes)
			out_bytes(key, fmt, (uint64_t)l->v[k]);
		else
			out_dbl(key, fmt, k == EXPORT_CPU_MAX ? 2 : 0, l->v[k]);
	} else if (l->unlimited & CGS_BIT(k)) {
		out_text(fmt, "max");	/* JSON: absent, like the exporter */
	} else {
		out_absent(fmt);
	}
}

/* -c: demand or share of one resource; "-" when unmanaged or unmeasured. */
static void ctl_col(const struct row *w, enum cgs_res r, bool share,
		    const char *key, const char *fmt)
{
	const struct cgs_round_cg *o = w->ctl;
	double v;

	if (!o || !o->has[r]) {
		out_absent(fmt);
		return;
	}
	v = share ? o->share[r] : o->demand[r];
	if (r == CGS_MEM)
		out_bytes(key, fmt, v > 0 ? (uint64_t)(v + 0.5) : 0);
	else
		out_dbl(key, fmt, 2, v);
}

static void show_row(const struct row *w, int pathw, bool ctl)
{
	const struct cgs_rate *r = w->r;
	const struct cgs_cgroup *cg = w->cg;
	static const char *const keys[] = {
		[CGS_CPU_USAGE] = "cpu_usage_cpus",
		[CGS_CPU_WAIT] = "cpu_wait_cpus",
	};

	out_obj_begin(NULL);
	out_u64("id", NULL, cg->id);
	if (out_is_json()) {
		if (cg->path)
			out_str("path", NULL, cg->path);
		out_str("state", NULL, r->state == CGS_RATE_NEW ? "new" : "live");
	} else {
		out_text("%-*s ", pathw, cg->path ? cg->path : "-");
	}
	for (int c = CGS_CPU_USAGE; c <= CGS_CPU_WAIT; c++) {
		if (r->valid & CGS_BIT(c))
			out_dbl(keys[c], "%6s ", 2, r->per_ns[c]);
		else
			out_absent("%6s ");
	}
	if (cgs_has_ctr(cg, CGS_MEM_CURRENT))
		out_bytes("mem_current_bytes", "%7s ", cg->ctr[CGS_MEM_CURRENT]);
	else
		out_absent("%7s ");
	if (w->gpu >= 0)
		out_dbl("gpu_busy_devices", "%5s ", 2, w->gpu);
	else
		out_absent("%5s ");
	if (ctl) {
		if (out_is_json())
			out_bool("managed", NULL, w->ctl != NULL);
		ctl_col(w, CGS_CPU, false, "demand_cpus", "%7s ");
		ctl_col(w, CGS_CPU, true, "share_cpus", "%7s ");
		ctl_col(w, CGS_MEM, false, "demand_memory_bytes", "%7s ");
		ctl_col(w, CGS_MEM, true, "share_memory_bytes", "%7s ");
	}
	limit_col(&w->lim, EXPORT_CPU_MAX, "cpu_max_cpus", "%7s ", false);
	limit_col(&w->lim, EXPORT_CPU_WEIGHT, "cpu_weight", "%6s ", false);
	limit_col(&w->lim, EXPORT_MEM_HIGH, "memory_high_bytes", "%8s ", true);
	limit_col(&w->lim, EXPORT_MEM_MAX, "memory_max_bytes", "%7s", true);
	out_text("\n");
	out_obj_end();
}

static int term_rows(void)
{
	struct winsize ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) || ws.ws_row < 4)
		return 24;
	return ws.ws_row;
}

static void draw(struct frame *fr, const struct top_args *a, bool tty)
{
	size_t n = fr->nr_rows;
	int pathw = 4;
	char when[32];
	time_t t = time(NULL);
	struct tm tm;

	qsort_r(fr->rows, n, sizeof(*fr->rows), cmp_rows, (void *)&a->sort);
	if (tty && (size_t)term_rows() - 3 < n)
		n = term_rows() - 3;
	for (size_t i = 0; i < n; i++) {
		int l = fr->rows[i].cg->path ? strlen(fr->rows[i].cg->path) : 1;

		if (l > pathw)
			pathw = l > 60 ? 60 : l;
	}
	localtime_r(&t, &tm);
	strftime(when, sizeof(when), "%H:%M:%S", &tm);
	if (tty)
		out_text("\033[H\033[2J");
	out_obj_begin(NULL);
	out_u64("interval_ns", NULL, fr->rates.interval_ns);
	out_str("sort", NULL, sort_names[a->sort]);
	out_text("cgsharectl top  %s  %zu cgroups  interval %.2fs  sort %s%s\n",
		 when, fr->nr_rows, fr->rates.interval_ns / 1e9,
		 sort_names[a->sort],
		 tty ? "  (q quit, c/w/m/g sort)" : "");
	out_text("%-*s %6s %6s %7s %5s ", pathw, "PATH", "CPU", "WAIT", "MEM",
		 "GPU");
	if (fr->view)
		out_text("%7s %7s %7s %7s ", "CPU.DEM", "CPU.SHR", "MEM.DEM",
			 "MEM.SHR");
	out_text("%7s %6s %8s %7s\n", "CPU.MAX", "WEIGHT", "MEM.HIGH",
		 "MEM.MAX");
	out_arr_begin("cgroups");
	for (size_t i = 0; i < n; i++)
		show_row(&fr->rows[i], pathw, fr->view != NULL);
	out_arr_end();
	out_obj_end();
	if (!tty)
		out_text("\n");
	out_flush();
}

/* Takes the next sample and computes the rates since the previous one. */
static int step(struct cgs_nl *nl, const struct top_args *a, struct frame *fr,
		int rootfd)
{
	int ret;

	if (fr->have_rates)
		cgs_rates_free(&fr->rates);
	fr->have_rates = false;
	cgs_list_free(&fr->prev);
	fr->prev = fr->cur;
	fr->t_prev = fr->t_cur;
	memset(&fr->cur, 0, sizeof(fr->cur));
	ret = sample(nl, a, &fr->cur, &fr->t_cur);
	if (ret)
		return ret;
	ret = cgs_rates_compute(&fr->prev, fr->t_prev, &fr->cur, fr->t_cur,
				&fr->rates);
	if (ret) {
		fprintf(stderr, "cgsharectl: computing rates: %s\n",
			strerror(-ret));
		return ret;
	}
	fr->have_rates = true;
	if (fr->view) {
		ret = cgs_view_update(fr->view);
		if (ret) {
			fprintf(stderr, "cgsharectl: computing demand and "
				"shares: %s\n", strerror(-ret));
			return ret;
		}
	}
	ret = build_rows(fr, rootfd);
	if (ret)
		fprintf(stderr, "cgsharectl: out of memory\n");
	return ret;
}

/* A key from the terminal: true to redraw now. */
static bool key(struct top_args *a, char c)
{
	switch (c) {
	case 'q':
	case 'Q':
		stop = 1;
		return false;
	case 'c':
		a->sort = SORT_CPU;
		return true;
	case 'w':
		a->sort = SORT_WAIT;
		return true;
	case 'm':
		a->sort = SORT_MEM;
		return true;
	case 'g':
		a->sort = SORT_GPU;
		return true;
	}
	return false;
}

/* Sleeps until @until (monotonic ns), handling keys; false to stop. */
static bool wait_until(uint64_t until, bool keys, struct top_args *a,
		       struct frame *fr, bool tty, const sigset_t *unblocked)
{
	struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
	struct timespec ts;
	uint64_t now;
	char c;

	while (!stop) {
		if (resized && tty && fr->have_rates) {
			resized = 0;
			draw(fr, a, tty);
		}
		now = now_ns();
		if (now >= until)
			return true;
		ts.tv_sec = (until - now) / 1000000000;
		ts.tv_nsec = (until - now) % 1000000000;
		if (ppoll(&pfd, keys ? 1 : 0, &ts, unblocked) <= 0)
			continue;
		if (pfd.revents & (POLLHUP | POLLERR | POLLNVAL)) {
			keys = false;
			continue;
		}
		if (read(STDIN_FILENO, &c, 1) == 1 && key(a, c) &&
		    fr->have_rates)
			draw(fr, a, tty);
	}
	return false;
}

static int parse(int argc, char **argv, struct top_args *a)
{
	enum { OPT_ROOT = 256 };
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		{ "interval", required_argument, NULL, 'i' },
		{ "iterations", required_argument, NULL, 'n' },
		{ "sort", required_argument, NULL, 's' },
		{ "cgroup-root", required_argument, NULL, OPT_ROOT },
		{ "config", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 }
	};
	int c, k;

	a->interval_ns = 1000000000;
	a->cgroup_root = "/sys/fs/cgroup";
	while ((c = getopt_long(argc, argv, ":" COMMON_SHORTOPTS "c:i:n:s:",
				longopts, NULL)) != -1) {
		if (common_option(c))
			continue;
		switch (c) {
		case 'h':
			return -1;
		case 'c':
			a->config = optarg;
			break;
		case 'i':
			if (parse_duration(optarg, &a->interval_ns) ||
			    a->interval_ns < 10000000 ||
			    a->interval_ns > MAX_INTERVAL_NS)
				return usage_error(&cmd_top, "bad interval: %s "
						   "(want 10ms to 24h)", optarg);
			break;
		case 'n':
			if (parse_u64(optarg, &a->iterations) ||
			    !a->iterations)
				return usage_error(&cmd_top, "bad iteration "
						   "count: %s (want 1 or more)",
						   optarg);
			break;
		case 's':
			for (k = 0; k < NR_SORT; k++)
				if (!strcmp(optarg, sort_names[k]))
					break;
			if (k == NR_SORT)
				return usage_error(&cmd_top, "bad sort key: %s "
						   "(want cpu, wait, mem or "
						   "gpu)", optarg);
			a->sort = k;
			break;
		case OPT_ROOT:
			a->cgroup_root = optarg;
			break;
		default:
			return option_error(&cmd_top, c, argv);
		}
	}
	if (optind < argc) {
		const char *arg = argv[optind++];

		if (parse_target(arg, &a->target, a->path, sizeof(a->path)))
			return usage_error(&cmd_top, "bad cgroup: %s (want a "
					   "path such as /a/b, or a numeric "
					   "id)", arg);
		a->subtree = true;
	}
	if (optind < argc)
		return usage_error(&cmd_top, "unexpected argument: %s",
				   argv[optind]);
	return 0;
}

static int loop(struct cgs_nl *nl, struct top_args *a, int rootfd, bool tty,
		bool keys, const sigset_t *unblocked, struct cgs_view *view)
{
	struct frame fr = { .view = view };
	uint64_t next, shown = 0;
	int ret;

	ret = sample(nl, a, &fr.cur, &fr.t_cur);
	if (!ret && view) {
		ret = cgs_view_update(view);
		if (ret)
			fprintf(stderr, "cgsharectl: computing demand and "
				"shares: %s\n", strerror(-ret));
	}
	next = fr.t_cur;
	while (!ret) {
		next += a->interval_ns;
		if (!wait_until(next, keys, a, &fr, tty, unblocked))
			break;
		ret = step(nl, a, &fr, rootfd);
		if (ret)
			break;
		draw(&fr, a, tty);
		if (ferror(stdout)) {
			ret = -EIO;
			break;
		}
		if (a->iterations && ++shown >= a->iterations)
			break;
		/* Behind (a slow dump, a stopped process): do not catch up. */
		if (now_ns() > next + a->interval_ns)
			next = now_ns();
	}
	if (fr.have_rates)
		cgs_rates_free(&fr.rates);
	free(fr.rows);
	cgs_list_free(&fr.prev);
	cgs_list_free(&fr.cur);
	return ret;
}

static int run(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct top_args a = { 0 };
	struct termios saved, raw;
	sigset_t block, unblocked;
	bool tty, keys = false;
	struct cgs_view *view = NULL;
	struct cgs_nl *nl;
	int rootfd, ret;

	ret = parse(argc, argv, &a);
	if (ret)
		return ret < 0 ? cmd_help(&cmd_top) : ret;
	/* One JSON object per line, whatever -p says. */
	start_output(false);
	tty = !opts.json && isatty(STDOUT_FILENO);
	if (open_nl(&nl))
		return 1;
	if (a.config && cgs_view_open(a.config, nl, &view)) {
		cgs_nl_close(nl);
		return end_output(1);
	}
	rootfd = open(a.cgroup_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0 && opts.verbose)
		fprintf(stderr, "cgsharectl: %s: %s; no limits shown\n",
			a.cgroup_root, strerror(errno));

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGWINCH);
	sigprocmask(SIG_BLOCK, &block, &unblocked);
	sigdelset(&unblocked, SIGINT);
	sigdelset(&unblocked, SIGTERM);
	sigdelset(&unblocked, SIGWINCH);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGWINCH, &sa, NULL);

	/* Keys without Enter and without echo; Ctrl-C still signals. */
	if (isatty(STDIN_FILENO) && !tcgetattr(STDIN_FILENO, &saved)) {
		raw = saved;
		raw.c_lflag &= ~(ICANON | ECHO);
		raw.c_cc[VMIN] = 1;
		raw.c_cc[VTIME] = 0;
		keys = !tcsetattr(STDIN_FILENO, TCSANOW, &raw);
	}
	ret = loop(nl, &a, rootfd, tty, keys, &unblocked, view);
	if (keys)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
	if (rootfd >= 0)
		close(rootfd);
	cgs_view_close(view);
	cgs_nl_close(nl);
	return end_output(ret ? 1 : 0);
}

const struct cmd cmd_top = {
	.name = "top",
	.run = run,
	.help = help,
	.usage = "cgsharectl top [PATH] [-c FILE] [-i DURATION] "
		 "[-n ITERATIONS] [-s cpu|wait|mem|gpu] [-j]",
	.summary = "live view of usage, demand, share and limits per cgroup",
};
