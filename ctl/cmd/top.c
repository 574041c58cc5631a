// SPDX-License-Identifier: GPL-2.0
/*
 * cgsharectl top: a live view of the ledger, one row per cgroup, sorted by
 * CPU use, wait, memory or GPU time, with the limits in force (from the
 * sample: the dump and the cgroup iterator) and, given the controller's
 * config, each managed cgroup's demand and share.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "cmd/cmd.h"
#include "control/control.h"
#include "policy/rate.h"
#include "render/out.h"
#include "render/record.h"
#include "util/args.h"
#include "util/log.h"
#include "util/loop.h"
#include "util/time.h"

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
	const char *config;		/* -c: show demand and share */
};

/* One row: a rate and the cgroup's record. */
struct row {
	const struct cgs_rate *r;
	const struct cgs_cgroup *cg;
	double gpu;			/* busy, in devices; < 0 unknown */
	const struct cgs_ctl_cg *ctl;	/* -c: managed; NULL otherwise */
};

struct frame {
	struct cgs_list prev, cur;
	uint64_t t_prev, t_cur;
	struct cgs_rates rates;
	bool have_rates;
	struct row *rows;
	size_t nr_rows;
	struct cgs_ctl *ctl;		/* -c */
	struct cgs_iter *it;
};

static void help(FILE *f)
{
	fprintf(f,
		"Usage: cgsharectl top [PATH] [-c FILE] [-i DURATION]\n"
		"                      [-n ITERATIONS] [-s cpu|wait|mem|gpu] [-j]\n"
		"\n"
		"A live view of every cgroup (or the subtree at PATH): CPU use and\n"
		"run-queue wait in CPUs over the last interval, memory, GPU busy\n"
		"time in devices, and the limits in force (cpu.max in CPUs,\n"
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
		"  -s, --sort KEY       cpu (default), wait, mem or gpu; largest first\n");
}

static int sample(struct cgs_nl *nl, struct cgs_iter *it,
		  const struct top_args *a, struct cgs_list *l, uint64_t *t)
{
	uint64_t t0 = cgs_now_ns();
	int ret;

	ret = cgs_sample(nl, it, a->subtree ? &a->target : NULL, l);
	*t = t0 + (cgs_now_ns() - t0) / 2;
	if (ret == -ENOENT && a->subtree) {
		fprintf(stderr, "cgsharectl: no such cgroup: %s\n", a->path);
		return ret;
	}
	if (ret) {
		cgs_nl_perror(nl, "dumping the ledger");
		return ret;
	}
	return 0;
}

static double key_of(const struct row *w, enum sort_key k)
{
	const struct cgs_rate *r = w->r;

	switch (k) {
	case SORT_CPU:
	case SORT_WAIT: {
		enum cgs_ctr c = k == SORT_CPU ? CGS_CPU_USAGE_NS : CGS_CPU_WAIT_NS;

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

/* Rows for the cgroups alive now; gone ones dropped. */
static int build_rows(struct frame *fr)
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
		w->ctl = fr->ctl ? cgs_ctl_find(fr->ctl, w->cg->path) : NULL;
		w->gpu = -1;
		for (unsigned int g = 0; g < r->nr_gpu; g++) {
			if (!(r->gpu[g].valid & CGS_BIT(CGS_GPU_BUSY_NS)))
				continue;
			if (w->gpu < 0)
				w->gpu = 0;
			w->gpu += r->gpu[g].per_ns[CGS_GPU_BUSY_NS];
		}
		fr->nr_rows++;
	}
	return 0;
}

/* A limit of the record: "max" in text (absent in JSON, as exported). */
static void limit_col(const struct cgs_cgroup *cg, enum cgs_ctr c,
		      const char *key, const char *fmt)
{
	uint64_t v = cg->ctr[c];

	if (!cgs_has_ctr(cg, c))
		out_absent(fmt);
	else if (v == CGS_LIMIT_MAX)
		out_text(fmt, "max");
	else if (cgs_ctr_info[c].unit == CGS_UNIT_BYTES)
		out_bytes(key, fmt, v);
	else
		out_dbl(key, fmt, 0, v);
}

/* cpu.max in CPUs: quota over period. */
static void cpu_max_col(const struct cgs_cgroup *cg, const char *fmt)
{
	double cpus;

	if (!cgs_cgroup_cpu_max(cg, &cpus))
		out_absent(fmt);
	else if (isinf(cpus))
		out_text(fmt, "max");
	else
		out_dbl("cpu_max_cpus", fmt, 2, cpus);
}

/* -c: demand or share of one resource; "-" when unmanaged or unmeasured. */
static void ctl_col(const struct row *w, enum cgs_res r, bool share,
		    const char *key, const char *fmt)
{
	const struct cgs_plan_cg *p = w->ctl ? w->ctl->plan : NULL;
	double v;

	if (!p || !w->ctl->measured || !p->has[r]) {
		out_absent(fmt);
		return;
	}
	v = share ? p->share[r] : p->demand[r];
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
		[CGS_CPU_USAGE_NS] = "cpu_usage_cpus",
		[CGS_CPU_WAIT_NS] = "cpu_wait_cpus",
	};

	out_obj_begin(NULL);
	out_u64("id", NULL, cg->id);
	if (out_is_json()) {
		if (cg->path)
			out_str("path", NULL, cg->path);
		show_k8s_json(cg->path);
		out_str("state", NULL, r->state == CGS_RATE_NEW ? "new" : "live");
	} else {
		out_text("%-*s ", pathw, cg->path ? cg->path : "-");
	}
	for (int c = CGS_CPU_USAGE_NS; c <= CGS_CPU_WAIT_NS; c++) {
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
	cpu_max_col(cg, "%7s ");
	limit_col(cg, CGS_CPU_WEIGHT, "cpu_weight", "%6s ");
	limit_col(cg, CGS_MEM_HIGH, "memory_high_bytes", "%8s ");
	limit_col(cg, CGS_MEM_MAX, "memory_max_bytes", "%7s");
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
	if (fr->ctl)
		out_text("%7s %7s %7s %7s ", "CPU.DEM", "CPU.SHR", "MEM.DEM",
			 "MEM.SHR");
	out_text("%7s %6s %8s %7s\n", "CPU.MAX", "WEIGHT", "MEM.HIGH",
		 "MEM.MAX");
	out_arr_begin("cgroups");
	for (size_t i = 0; i < n; i++)
		show_row(&fr->rows[i], pathw, fr->ctl != NULL);
	out_arr_end();
	out_obj_end();
	if (!tty)
		out_text("\n");
	out_flush();
}

/* -c: the controller's sample and solve, nothing written. */
static int ctl_update(struct frame *fr)
{
	int ret;

	if (!fr->ctl)
		return 0;
	ret = cgs_ctl_sample(fr->ctl);
	if (!ret)
		ret = cgs_ctl_plan(fr->ctl);
	if (ret)
		cgs_log("computing demand and shares: %s", strerror(-ret));
	return ret;
}

/* Takes the next sample and computes the rates since the previous one. */
static int step(struct cgs_nl *nl, const struct top_args *a, struct frame *fr)
{
	int ret;

	if (fr->have_rates)
		cgs_rates_free(&fr->rates);
	fr->have_rates = false;
	cgs_list_free(&fr->prev);
	fr->prev = fr->cur;
	fr->t_prev = fr->t_cur;
	memset(&fr->cur, 0, sizeof(fr->cur));
	ret = sample(nl, fr->it, a, &fr->cur, &fr->t_cur);
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
	ret = ctl_update(fr);
	if (ret)
		return ret;
	ret = build_rows(fr);
	if (ret)
		fprintf(stderr, "cgsharectl: out of memory\n");
	return ret;
}

struct screen {
	struct top_args *a;
	struct frame *fr;
	struct cgs_loop *loop;
	bool tty;
	bool quit;
};

/* A key from the terminal: q quits, c/w/m/g sort and redraw. */
static void on_key(int fd, void *arg)
{
	static const char keys[NR_SORT] = {
		[SORT_CPU] = 'c', [SORT_WAIT] = 'w', [SORT_MEM] = 'm',
		[SORT_GPU] = 'g',
	};
	struct screen *s = arg;
	char c;

	if (read(fd, &c, 1) != 1) {
		cgs_loop_del(s->loop, fd);	/* the terminal went away */
		return;
	}
	if (c == 'q' || c == 'Q') {
		s->quit = true;
		cgs_loop_break(s->loop);
		return;
	}
	for (int k = 0; k < NR_SORT; k++)
		if (c == keys[k]) {
			s->a->sort = k;
			if (s->fr->have_rates)
				draw(s->fr, s->a, s->tty);
		}
}

/* Waits until @until (monotonic ns), serving keys; false to stop. */
static bool wait_until(struct screen *s, uint64_t until)
{
	int sig;

	while (!s->quit) {
		sig = cgs_loop_wait(s->loop, until);
		if (sig == SIGWINCH) {
			if (s->tty && s->fr->have_rates)
				draw(s->fr, s->a, s->tty);
			continue;
		}
		if (sig)
			return false;
		if (cgs_now_ns() >= until)
			return true;
	}
	return false;
}

static int top_opt(const struct cmd *cmd, int key, const char *arg, void *ctx)
{
	struct top_args *a = ctx;
	int k;

	switch (key) {
	case 'c':
		a->config = arg;
		return 0;
	case 'i':
		if (parse_duration(arg, &a->interval_ns) ||
		    a->interval_ns < 10000000 || a->interval_ns > MAX_INTERVAL_NS)
			return usage_error(cmd, "bad interval: %s (want 10ms to "
					   "24h)", arg);
		return 0;
	case 'n':
		if (parse_u64(arg, &a->iterations) || !a->iterations)
			return usage_error(cmd, "bad iteration count: %s (want "
					   "1 or more)", arg);
		return 0;
	}
	/* 's' */
	for (k = 0; k < NR_SORT; k++)
		if (!strcmp(arg, sort_names[k]))
			break;
	if (k == NR_SORT)
		return usage_error(cmd, "bad sort key: %s (want cpu, "
				   "wait, mem or gpu)", arg);
	a->sort = k;
	return 0;
}

static int parse(int argc, char **argv, struct top_args *a)
{
	static const struct cmd_opt o[] = {
		{ "config", 'c', true },
		{ "interval", 'i', true },
		{ "iterations", 'n', true },
		{ "sort", 's', true },
		{ NULL, 0, false },
	};
	const char *arg = NULL;
	int ret;

	a->interval_ns = 1000000000;
	ret = cmd_parse(&cmd_top, argc, argv, o, top_opt, a, &arg, 1);
	if (ret >= 0)
		return ret;
	if (!arg)
		return -1;
	if (parse_target(arg, &a->target, a->path, sizeof(a->path)))
		return usage_error(&cmd_top, "bad cgroup: %s (want a path such "
				   "as /a/b, or a numeric id)", arg);
	a->subtree = true;
	return -1;
}

static int show_loop(struct cgs_nl *nl, struct screen *s)
{
	struct frame *fr = s->fr;
	uint64_t next, shown = 0;
	int ret;

	ret = sample(nl, fr->it, s->a, &fr->cur, &fr->t_cur);
	if (!ret)
		ret = ctl_update(fr);
	next = fr->t_cur;
	while (!ret) {
		next += s->a->interval_ns;
		if (!wait_until(s, next))
			break;
		ret = step(nl, s->a, fr);
		if (ret)
			break;
		draw(fr, s->a, s->tty);
		if (ferror(stdout)) {
			ret = -EIO;
			break;
		}
		if (s->a->iterations && ++shown >= s->a->iterations)
			break;
		/* Behind (a slow dump, a stopped process): do not catch up. */
		if (cgs_now_ns() > next + s->a->interval_ns)
			next = cgs_now_ns();
	}
	if (fr->have_rates)
		cgs_rates_free(&fr->rates);
	free(fr->rows);
	cgs_list_free(&fr->prev);
	cgs_list_free(&fr->cur);
	return ret;
}

static int run(int argc, char **argv)
{
	static const int signals[] = { SIGINT, SIGTERM, SIGWINCH, 0 };
	struct cgs_ctl_opts o = { .dry_run = true, .quiet = true };
	struct top_args a = { 0 };
	struct frame fr = { 0 };
	struct screen s = { .a = &a, .fr = &fr };
	struct termios saved, raw;
	struct cgs_loop loop;
	bool keys = false;
	struct cgs_nl *nl;
	int ret;

	ret = parse(argc, argv, &a);
	if (ret >= 0)
		return ret;
	/* One JSON object per line, whatever -p says. */
	start_output(false);
	s.tty = !opts.json && isatty(STDOUT_FILENO);
	if (open_nl(&nl))
		return 1;
	if (a.config && cgs_ctl_open(&fr.ctl, a.config, nl, &o)) {
		cgs_nl_close(nl);
		return end_output(1);
	}
	ret = cgs_iter_open(&fr.it);
	if (ret)
		goto out;
	ret = cgs_loop_init(&loop, signals);
	if (ret) {
		cgs_log("signals: %s", strerror(-ret));
		goto out;
	}
	s.loop = &loop;
	/* Keys without Enter and without echo; Ctrl-C still signals. */
	if (isatty(STDIN_FILENO) && !tcgetattr(STDIN_FILENO, &saved)) {
		raw = saved;
		raw.c_lflag &= ~(ICANON | ECHO);
		raw.c_cc[VMIN] = 1;
		raw.c_cc[VTIME] = 0;
		keys = !tcsetattr(STDIN_FILENO, TCSANOW, &raw);
		if (keys)
			cgs_loop_add(&loop, STDIN_FILENO, on_key, &s);
	}
	ret = show_loop(nl, &s);
	if (keys)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
	cgs_loop_fini(&loop);
out:
	cgs_iter_close(fr.it);
	cgs_ctl_close(fr.ctl);
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
