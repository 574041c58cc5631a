// SPDX-License-Identifier: GPL-2.0
/* cgsharectl watch: one line per released cgroup, with its final counters. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "cmd/cmd.h"
#include "render/out.h"
#include "render/record.h"
#include "util/log.h"
#include "util/loop.h"
#include "util/time.h"

static void help(FILE *f)
{
	fprintf(f,
		"Usage: cgsharectl watch [-j]\n"
		"\n"
		"Prints each cgroup the module reports as released, with its final\n"
		"counters, one line per cgroup (with -j one JSON object per line),\n"
		"until interrupted (SIGINT or SIGTERM, exit 0) or the module is\n"
		"unloaded (exit 1). Events lost to a full socket buffer are reported\n"
		"as such.\n");
}

static uint64_t realtime_ns(char *buf, size_t len)
{
	uint64_t t = cgs_wall_ns();
	time_t s = t / CGS_NSEC_PER_SEC;
	struct tm tm;
	size_t n;

	localtime_r(&s, &tm);
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%03u",
		 (unsigned int)(t % CGS_NSEC_PER_SEC / 1000000));
	return t;
}

static void head(const char *event, char *ts, size_t len)
{
	uint64_t t = realtime_ns(ts, len);

	out_obj_begin(NULL);
	out_str("event", NULL, event);
	out_u64("time_ns", NULL, t);
	out_text("%s %s", ts, event);
}

static int on_release(struct cgs_cgroup *cg, void *arg)
{
	char ts[64], ev[128];

	(void)arg;
	head("release", ts, sizeof(ts));
	out_u64("id", " id=%s", cg->id);
	if (cg->path)
		out_str("path", " path=%s", cg->path);
	if (cgs_has_ctr(cg, CGS_CPU_USAGE_NS))
		out_secs("cpu_usage_ns", " cpu=%ss", cg->ctr[CGS_CPU_USAGE_NS]);
	if (cgs_has_ctr(cg, CGS_CPU_WAIT_NS))
		out_secs("cpu_wait_ns", " wait=%ss", cg->ctr[CGS_CPU_WAIT_NS]);
	if (cgs_has_ctr(cg, CGS_MEM_PEAK))
		out_bytes("mem_peak_bytes", " mem_peak=%s",
			  cg->ctr[CGS_MEM_PEAK]);
	events_summary(ev, sizeof(ev), cg->ctr, cg->present);
	if (strcmp(ev, "-") && strcmp(ev, "0"))
		out_text(" events=%s", ev);
	if (cg->nr_gpu)
		out_secs(NULL, " gpu=%ss", gpu_busy_total(cg));
	out_text("\n");
	show_cgroup_json(cg, CGS_BIT(CGS_CPU_USAGE_NS) | CGS_BIT(CGS_CPU_WAIT_NS) |
			 CGS_BIT(CGS_MEM_PEAK));
	out_obj_end();
	cgs_cgroup_free(cg);
	return out_flush() ? 0 : -EIO;
}

static void overrun(void)
{
	char ts[64];

	fprintf(stderr, "cgsharectl: events were lost: the socket receive "
		"buffer overflowed\n");
	head("overrun", ts, sizeof(ts));
	out_text("\n");
	out_obj_end();
	out_flush();
}

static void unloaded(void)
{
	char ts[64];

	fprintf(stderr, "cgsharectl: the cgshare module was unloaded\n");
	head("unloaded", ts, sizeof(ts));
	out_text("\n");
	out_obj_end();
	out_flush();
}

struct watcher {
	struct cgs_nl *nl;
	struct cgs_loop *loop;
	int ret;		/* 1 once it must stop */
};

static void on_events(int fd, void *arg)
{
	struct watcher *w = arg;
	int ret;

	(void)fd;
	do {
		ret = cgs_nl_read_events(w->nl, on_release, NULL);
		if (ret == -ENOBUFS)
			overrun();
	} while (!ret || ret == -ENOBUFS);
	if (ret == -EAGAIN || ret == -EINTR)
		return;
	if (ret == -ENODEV)
		unloaded();
	else if (ret != -EIO)	/* -EIO: stdout is gone */
		cgs_log("reading events: %s", strerror(-ret));
	w->ret = 1;
	cgs_loop_break(w->loop);
}

static int loop(struct cgs_nl *nl)
{
	static const int signals[] = { SIGINT, SIGTERM, 0 };
	struct cgs_loop loop;
	struct watcher w = { .nl = nl, .loop = &loop };
	int ret;

	/* Signals are read between events: an event is never cut short. */
	ret = cgs_loop_init(&loop, signals);
	if (ret) {
		cgs_log("signals: %s", strerror(-ret));
		return 1;
	}
	cgs_loop_add(&loop, cgs_nl_fd(nl), on_events, &w);
	if (opts.verbose)
		cgs_log("watching for released cgroups");
	ret = cgs_loop_wait(&loop, CGS_LOOP_FOREVER);
	if (ret < 0) {
		cgs_log("poll: %s", strerror(-ret));
		w.ret = 1;
	}
	cgs_loop_fini(&loop);
	return w.ret;
}

static int run(int argc, char **argv)
{
	struct cgs_nl *nl;
	int ret;

	ret = cmd_parse(&cmd_watch, argc, argv, NULL, NULL, NULL, NULL, 0);
	if (ret >= 0)
		return ret;
	/* One JSON object per line, whatever -p says. */
	start_output(false);
	if (open_nl(&nl))
		return 1;
	if (cgs_nl_subscribe(nl)) {
		cgs_nl_perror(nl, "joining the notify group");
		cgs_nl_close(nl);
		return 1;
	}
	ret = loop(nl);
	cgs_nl_close(nl);
	return end_output(ret);
}

const struct cmd cmd_watch = {
	.name = "watch",
	.run = run,
	.help = help,
	.usage = "cgsharectl watch [-j]",
	.summary = "print each released cgroup with its final counters",
};
