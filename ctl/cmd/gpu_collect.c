// SPDX-License-Identifier: GPL-2.0
/*
 * cgsharectl gpu: `collect` runs the userspace GPU collectors (DRM fdinfo,
 * NVML) and feeds their charges to the module; `enable`, `disable` and
 * `status` belong to the BPF collectors (gpu_bpf.c).
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "util/args.h"
#include "cmd/gpu_bpf.h"
#include "gpu/charge.h"
#include "cmd/cmd.h"
#include "render/out.h"
#include "util/log.h"
#include "util/loop.h"
#include "util/notify.h"
#include "util/time.h"

#define DEFAULT_INTERVAL_NS	(5 * 1000000000ull)
#define MIN_INTERVAL_NS		(100 * 1000000ull)
/* NVML drops samples more than ten minutes apart: stay well below. */
#define MAX_INTERVAL_NS		(300 * 1000000000ull)

struct collect_args {
	unsigned int sources;
	uint64_t interval_ns;
	uint64_t count;			/* rounds; 0: until a signal */
	const char *proc;
};

struct collector {
	struct collect_args a;
	struct cgs_nl *nl;
	struct gc_state gc;
	bool fd_on, nv_on;
	struct gfd_state gfd;
	struct cgs_nvml nvml;
};

/* What one round saw, beyond the charges. */
struct round_info {
	struct gc_totals t;
	unsigned int bad_dev;
	const char *fd_error;
	struct gfd_sample fd;		/* counters only; entries freed */
	size_t fd_clients;
	uint64_t fd_backwards, fd_capped;
	unsigned int nv_gone, nv_rejected;
	const char *nv_problem;		/* in c->nvml.reason */
};

static void help(FILE *f)
{
	fprintf(f,
		"Usage: cgsharectl gpu collect [-s fdinfo,nvml] [-i DUR] [-n N | --once]\n"
		"                              [--proc DIR] [-j] [-v]\n"
		"       cgsharectl gpu enable|disable|status [ARGS]\n"
		"\n"
		"  collect   run the userspace GPU collectors and charge what they\n"
		"            measure to each cgroup (needs CAP_NET_ADMIN)\n"
		"  enable    BPF collectors: load and attach them\n"
		"  disable   BPF collectors: detach and unload them\n"
		"  status    BPF collectors: whether they are attached\n"
		"\n"
		"collect, every interval: DRM clients found in /proc/PID/fdinfo\n"
		"(engine time summed over engines, memory) and NVIDIA processes\n"
		"from libnvidia-ml.so.1 (utilisation samples, used memory), by the\n"
		"cgroup of each process. The first round sets the baselines and\n"
		"charges memory only. A source that cannot run is said once and\n"
		"left off.\n"
		"\n"
		"  -s, --source LIST    fdinfo, nvml or fdinfo,nvml (the default)\n"
		"  -i, --interval DUR   time between rounds (\"5\", \"500ms\"; 5s;\n"
		"                       100ms to 5m)\n"
		"  -n, --count N        stop after N rounds (default: at SIGINT or\n"
		"                       SIGTERM)\n"
		"      --once           one round: --count 1\n"
		"      --proc DIR       where /proc is (default /proc)\n"
		"  -j                   one JSON object per round on stdout\n"
		"  -v                   a line per round, and each cgroup that\n"
		"                       vanished before its charge\n");
}

/* "nvml: cannot load ..." is said as "nvml: off: cannot load ...". */
static const char *nvml_reason(const struct cgs_nvml *n)
{
	const char *r = n->reason[0] ? n->reason : "no reason given";

	return strncmp(r, "nvml: ", 6) ? r : r + 6;
}

/* ---- the ledger, through the callbacks of gc_run() ---- */

static int nl_lookup(void *ctx, const char *cgroup, uint64_t *id)
{
	struct collector *c = ctx;

	return cgs_nl_cgroup_id(c->nl, cgroup, id);
}

static int nl_charge(void *ctx, uint64_t id, const struct gc_item *it)
{
	struct collector *c = ctx;
	struct cgs_charge ch = {
		.id = id,
		.dev = it->dev,
		.busy_ns = it->busy_ns,
		.mem_bytes = it->mem_bytes,
		.set_mem = true,
	};

	return cgs_nl_charge(c->nl, &ch);
}

static void nl_report(void *ctx, const struct gc_item *it, enum gc_outcome o,
		      int err)
{
	const struct collector *c = ctx;
	const struct cgs_nl_error *e = cgs_nl_last_error(c->nl);
	const char *src = gc_source_name[it->src];

	switch (o) {
	case GC_VANISHED:
		if (opts.verbose)
			fprintf(stderr, "cgsharectl: gpu collect: %s (%s, %s): "
				"cgroup vanished before its charge\n",
				it->cgroup, src, it->dev);
		return;
	case GC_DEFERRED:
		if (opts.verbose)
			fprintf(stderr, "cgsharectl: gpu collect: %s (%s, %s): "
				"%s; kept for the next round\n", it->cgroup,
				src, it->dev, strerror(-err));
		return;
	case GC_DROPPED:
		fprintf(stderr, "cgsharectl: gpu collect: %s (%s, %s): %s in "
			"%d rounds; dropping %llu ns\n", it->cgroup, src,
			it->dev, strerror(-err), GC_MAX_TRIES,
			(unsigned long long)it->busy_ns);
		return;
	case GC_UNACKED:
		fprintf(stderr, "cgsharectl: gpu collect: %s (%s, %s): the "
			"answer to a charge was lost (%s); not sending it "
			"again\n", it->cgroup, src, it->dev, strerror(-err));
		return;
	default:
		fprintf(stderr, "cgsharectl: gpu collect: %s (%s, %s): charge "
			"refused: %s", it->cgroup, src, it->dev,
			strerror(-err));
		if (e->msg[0])
			fprintf(stderr, " (kernel: %s)", e->msg);
		if (e->attr[0])
			fprintf(stderr, " [attribute %s]", e->attr);
		fputc('\n', stderr);
	}
}

static const struct gc_ops nl_ops = {
	.lookup = nl_lookup,
	.charge = nl_charge,
	.report = nl_report,
};

/* ---- sources ---- */

static void source_off(const char *name, const char *why)
{
	fprintf(stderr, "cgsharectl: gpu collect: %s: off: %s\n", name, why);
	if (!out_is_json())
		return;
	out_obj_begin(NULL);
	out_str("event", NULL, "source-off");
	out_str("source", NULL, name);
	out_str("reason", NULL, why);
	out_obj_end();
	out_flush();
}

static int fd_round(struct collector *c, struct gc_batch *b,
		    struct round_info *r, unsigned int *collected)
{
	struct gfd_charges ch;
	uint64_t back = c->gfd.backwards, capped = c->gfd.capped, now;
	int ret;

	now = cgs_now_ns();
	if (gfd_scan(c->a.proc, &r->fd)) {
		if (errno == ENOMEM)
			return -ENOMEM;
		/* The baseline stays: the next scan covers this interval. */
		r->fd_error = strerror(errno);
		fprintf(stderr, "cgsharectl: gpu collect: fdinfo: cannot scan "
			"%s: %s; skipping this round\n", c->a.proc, r->fd_error);
		return 0;
	}
	r->fd_clients = r->fd.n;
	ret = gfd_delta(&c->gfd, &r->fd, now, &ch) ? -ENOMEM : 0;
	gfd_sample_free(&r->fd);
	if (ret)
		return ret;
	r->fd_backwards = c->gfd.backwards - back;
	r->fd_capped = c->gfd.capped - capped;
	ret = gc_batch_add_fdinfo(b, &ch, &r->bad_dev);
	gfd_charges_free(&ch);
	if (!ret)
		*collected |= GC_SRC_BIT(GC_FDINFO);
	return ret;
}

static int nv_round(struct collector *c, struct gc_batch *b,
		    struct round_info *r, unsigned int *collected)
{
	struct cgs_nvml_charge *v;
	size_t n;
	int ret;

	if (cgs_nvml_collect(&c->nvml, &v, &n)) {
		if (!c->nvml.on) {
			c->nv_on = false;
			source_off("nvml", nvml_reason(&c->nvml));
			return 0;
		}
		return -ENOMEM;
	}
	r->nv_gone = c->nvml.nr_vanished;
	r->nv_rejected = c->nvml.nr_rejected;
	ret = gc_batch_add_nvml(b, v, n, &r->bad_dev);
	free(v);
	if (ret)
		return ret;
	/* A device that failed this round: its memory is not known gone. */
	if (c->nvml.reason[0]) {
		r->nv_problem = nvml_reason(&c->nvml);
		if (opts.verbose)
			fprintf(stderr, "cgsharectl: gpu collect: nvml: %s\n",
				r->nv_problem);
	} else {
		*collected |= GC_SRC_BIT(GC_NVML);
	}
	return 0;
}

static int do_round(struct collector *c, struct round_info *r)
{
	struct gc_batch b = { 0 };
	unsigned int collected = 0;
	int ret = 0;

	if (c->fd_on)
		ret = fd_round(c, &b, r, &collected);
	if (!ret && c->nv_on)
		ret = nv_round(c, &b, r, &collected);
	if (ret) {
		gc_batch_free(&b);
		return ret;
	}
	return gc_run(&c->gc, &b, collected, &nl_ops, c, &r->t);
}

/* ---- output ---- */

static void report(const struct collector *c, uint64_t round,
		   const struct round_info *r)
{
	const struct gc_totals *t = &r->t;

	if (!out_is_json() && !opts.verbose)
		return;
	out_obj_begin(NULL);
	out_str("event", NULL, "round");
	out_u64("round", "round %s:", round);
	out_u64("time_ns", NULL, cgs_wall_ns());
	out_u64("charged", " charged %s", t->charged);
	out_secs("busy_ns", " (busy %ss,", t->busy_ns);
	out_bytes("mem_bytes", " mem %s)", t->mem_bytes);
	out_u64("vanished", ", vanished %s", t->vanished);
	out_u64("vanished_ns", NULL, t->vanished_ns);
	out_u64("deferred", ", deferred %s", t->deferred);
	out_u64("deferred_ns", NULL, t->deferred_ns);
	out_u64("dropped", ", dropped %s", t->dropped);
	out_u64("dropped_ns", NULL, t->dropped_ns);
	out_u64("unacked", ", unacked %s", t->unacked);
	out_u64("unacked_ns", NULL, t->unacked_ns);
	out_u64("refused", ", refused %s", t->refused + r->bad_dev);
	if (c->fd_on) {
		out_obj_begin("fdinfo");
		if (r->fd_error) {
			out_str("error", "; fdinfo: %s", r->fd_error);
		} else {
			out_u64("clients", "; fdinfo: clients %s", r->fd_clients);
			out_u64("bad_lines", ", bad lines %s",
				r->fd.bad_lines);
			out_u64("procs_gone", ", procs gone %s",
				r->fd.vanished);
			out_u64("denied", ", denied %s", r->fd.denied);
			out_u64("shared", NULL, r->fd.shared);
			out_u64("no_cgroup", NULL, r->fd.no_cgroup);
			out_u64("backwards", ", backwards %s",
				r->fd_backwards);
			out_u64("capped", ", capped %s", r->fd_capped);
		}
		out_obj_end();
	}
	if (c->nv_on) {
		out_obj_begin("nvml");
		out_u64("procs_gone", "; nvml: procs gone %s", r->nv_gone);
		out_u64("rejected", ", rejected samples %s", r->nv_rejected);
		if (r->nv_problem)
			out_str("error", ", %s", r->nv_problem);
		out_obj_end();
	}
	out_text("\n");
	out_obj_end();
	out_flush();
}

static void start_report(const struct collector *c)
{
	fprintf(stderr, "cgsharectl: gpu collect: fdinfo: %s%s\n",
		c->fd_on ? "on, scanning " : "off: not selected",
		c->fd_on ? c->a.proc : "");
	if (c->nv_on)
		fprintf(stderr, "cgsharectl: gpu collect: nvml: on, %u "
			"device%s\n", c->nvml.ndev,
			c->nvml.ndev == 1 ? "" : "s");
	else
		fprintf(stderr, "cgsharectl: gpu collect: nvml: off: %s\n",
			c->a.sources & GC_SRC_BIT(GC_NVML) ?
			nvml_reason(&c->nvml) : "not selected");
	if (!out_is_json())
		return;
	out_obj_begin(NULL);
	out_str("event", NULL, "start");
	out_u64("interval_ns", NULL, c->a.interval_ns);
	if (c->a.count)
		out_u64("count", NULL, c->a.count);
	out_obj_begin("sources");
	out_obj_begin("fdinfo");
	out_bool("on", NULL, c->fd_on);
	if (c->fd_on)
		out_str("proc", NULL, c->a.proc);
	out_obj_end();
	out_obj_begin("nvml");
	out_bool("on", NULL, c->nv_on);
	if (c->nv_on)
		out_u64("devices", NULL, c->nvml.ndev);
	else
		out_str("reason", NULL, c->a.sources & GC_SRC_BIT(GC_NVML) ?
			nvml_reason(&c->nvml) : "not selected");
	out_obj_end();
	out_obj_end();
	out_obj_end();
	out_flush();
}

static void fatal(const struct collector *c, int err)
{
	switch (err) {
	case -EPERM:
	case -EACCES:
		fprintf(stderr, "cgsharectl: gpu collect: the module refused "
			"to take charges: %s; charging needs CAP_NET_ADMIN "
			"(run as root)\n", strerror(-err));
		break;
	case -ENODEV:
		fprintf(stderr, "cgsharectl: the cgshare kernel module was "
			"unloaded; load it with `modprobe cgshare` (or `insmod "
			"cgshare.ko`)\n");
		break;
	case -EOPNOTSUPP:
		fprintf(stderr, "cgsharectl: gpu collect: the loaded cgshare "
			"module has no charge operation; load a newer one\n");
		break;
	case -ENOMEM:
		fprintf(stderr, "cgsharectl: gpu collect: out of memory\n");
		break;
	default:
		cgs_nl_perror(c->nl, "gpu collect: charging");
	}
}

/* ---- the loop ---- */

static int loop(struct collector *c, struct cgs_loop *l)
{
	uint64_t next = cgs_now_ns(), round, done = 0;
	struct cgs_notify notify;
	int ret, sig = 0;

	cgs_notify_init(&notify);

	for (round = 1; !sig; round++) {
		struct round_info r = { 0 };

		ret = do_round(c, &r);
		if (ret) {
			fatal(c, ret);
			return 1;
		}
		report(c, round, &r);
		if (round == 1)
			cgs_notify(&notify, "READY=1\nSTATUS=collecting");
		done = round;
		if (!c->fd_on && !c->nv_on) {
			fprintf(stderr, "cgsharectl: gpu collect: no source "
				"left on\n");
			return 1;
		}
		if (c->a.count && round >= c->a.count)
			break;
		/* A round that overran is not caught up with. */
		next = cgs_tick_next(next, c->a.interval_ns, cgs_now_ns());
		do {
			cgs_notify_watchdog(&notify);
			sig = cgs_loop_wait(l, cgs_notify_deadline(&notify, next));
		} while (!sig && cgs_now_ns() < next);
		if (sig < 0) {
			cgs_log("gpu collect: poll: %s", strerror(-sig));
			return 1;
		}
	}
	cgs_notify(&notify, "STOPPING=1");
	if (opts.verbose)
		fprintf(stderr, "cgsharectl: gpu collect: stopped after %llu "
			"round%s\n", (unsigned long long)done,
			done == 1 ? "" : "s");
	return 0;
}

static int open_sources(struct collector *c)
{
	DIR *d = opendir(c->a.proc);

	/* NVML reads PID/cgroup there too: check it whatever the sources. */
	if (!d) {
		fprintf(stderr, "cgsharectl: gpu collect: cannot read %s: %s\n",
			c->a.proc, strerror(errno));
		return -1;
	}
	closedir(d);
	c->fd_on = c->a.sources & GC_SRC_BIT(GC_FDINFO);
	if (c->a.sources & GC_SRC_BIT(GC_NVML))
		c->nv_on = !cgs_nvml_open(&c->nvml, NULL, c->a.proc);
	start_report(c);
	if (!c->fd_on && !c->nv_on) {
		fprintf(stderr, "cgsharectl: gpu collect: no source is on; "
			"nothing to collect\n");
		return -1;
	}
	return 0;
}

static int check_charge(struct collector *c)
{
	int ret = cgs_nl_charge_allowed(c->nl);

	if (ret)
		fatal(c, ret);
	return ret;
}

static int collect(const struct collect_args *a)
{
	static const int signals[] = { SIGINT, SIGTERM, 0 };
	struct collector c = { .a = *a };
	struct cgs_loop l;
	int ret = 1;

	/* Signals are read between rounds: a round is never cut in half. */
	ret = cgs_loop_init(&l, signals);
	if (ret) {
		cgs_log("signals: %s", strerror(-ret));
		return 1;
	}
	ret = 1;
	start_output(false);
	if (open_nl(&c.nl)) {
		cgs_loop_fini(&l);
		return 1;
	}
	if (!check_charge(&c) && !open_sources(&c))
		ret = loop(&c, &l);
	cgs_loop_fini(&l);
	if (c.a.sources & GC_SRC_BIT(GC_NVML))
		cgs_nvml_close(&c.nvml);
	gfd_state_free(&c.gfd);
	gc_state_free(&c.gc);
	cgs_nl_close(c.nl);
	return end_output(ret);
}

/* ---- arguments ---- */

enum { OPT_ONCE = 256, OPT_PROC };

struct collect_parse {
	struct collect_args *a;
	bool once, counted;
};

static int collect_opt(const struct cmd *cmd, int key, const char *arg,
		       void *ctx)
{
	struct collect_parse *p = ctx;
	struct collect_args *a = p->a;
	char bad[32];

	switch (key) {
	case 's':
		if (gc_parse_sources(arg, &a->sources, bad, sizeof(bad)))
			return usage_error(cmd, "bad source: '%s' (want fdinfo, "
					   "nvml or fdinfo,nvml)", bad);
		return 0;
	case 'i':
		if (parse_duration(arg, &a->interval_ns) ||
		    a->interval_ns < MIN_INTERVAL_NS ||
		    a->interval_ns > MAX_INTERVAL_NS)
			return usage_error(cmd, "bad interval: %s (want 100ms "
					   "to 5m)", arg);
		return 0;
	case 'n':
		if (parse_u64(arg, &a->count) || !a->count)
			return usage_error(cmd, "bad count: %s (want a whole "
					   "number, 1 or more)", arg);
		p->counted = true;
		return 0;
	case OPT_ONCE:
		p->once = true;
		a->count = 1;
		return 0;
	default:
		if (!arg[0])
			return usage_error(cmd, "bad --proc: empty directory "
					   "name");
		a->proc = arg;
		return 0;
	}
}

static int parse_args(int argc, char **argv, struct collect_args *a)
{
	static const struct cmd_opt o[] = {
		{ "source", 's', true },
		{ "interval", 'i', true },
		{ "count", 'n', true },
		{ "once", OPT_ONCE, false },
		{ "proc", OPT_PROC, true },
		{ NULL, 0, false },
	};
	struct collect_parse p = { .a = a };
	int ret;

	a->sources = GC_ALL_SOURCES;
	a->interval_ns = DEFAULT_INTERVAL_NS;
	a->count = 0;
	a->proc = "/proc";
	ret = cmd_parse(&cmd_gpu, argc, argv, o, collect_opt, &p, NULL, 0);
	if (ret >= 0)
		return ret;
	if (p.once && p.counted)
		return usage_error(&cmd_gpu, "give --count or --once, not both");
	return -1;
}

static int collect_main(int argc, char **argv)
{
	struct collect_args a;
	int ret = parse_args(argc, argv, &a);

	if (ret >= 0)
		return ret;
	return collect(&a);
}

static int run(int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : NULL;

	if (!sub)
		return usage_error(&cmd_gpu, "no gpu subcommand given");
	if (!strcmp(sub, "-h") || !strcmp(sub, "--help") ||
	    !strcmp(sub, "help"))
		return cmd_help(&cmd_gpu);
	if (!strcmp(sub, "collect"))
		return collect_main(argc - 1, argv + 1);
	if (!strcmp(sub, "enable") || !strcmp(sub, "disable") ||
	    !strcmp(sub, "status"))
		return gpu_bpf_main(argc - 1, argv + 1);
	return usage_error(&cmd_gpu, "unknown gpu subcommand: %s", sub);
}

const struct cmd cmd_gpu = {
	.name = "gpu",
	.run = run,
	.help = help,
	.usage = "cgsharectl gpu collect|enable|disable|status [ARGS]",
	.summary = "GPU collectors: collect; BPF enable|disable|status",
};
