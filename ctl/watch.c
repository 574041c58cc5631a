// SPDX-License-Identifier: GPL-2.0
/* cgsharectl watch: one line per released cgroup, with its final counters. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "main.h"
#include "out.h"
#include "show.h"

static volatile sig_atomic_t stop;

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

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t realtime_ns(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%03ld", ts.tv_nsec / 1000000);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
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
	if (cgs_has_ctr(cg, CGS_CPU_USAGE))
		out_secs("cpu_usage_ns", " cpu=%ss", cg->ctr[CGS_CPU_USAGE]);
	if (cgs_has_ctr(cg, CGS_CPU_WAIT))
		out_secs("cpu_wait_ns", " wait=%ss", cg->ctr[CGS_CPU_WAIT]);
	if (cgs_has_ctr(cg, CGS_MEM_PEAK))
		out_bytes("mem_peak_bytes", " mem_peak=%s",
			  cg->ctr[CGS_MEM_PEAK]);
	events_summary(ev, sizeof(ev), cg->ctr, cg->present);
	if (strcmp(ev, "-") && strcmp(ev, "0"))
		out_text(" events=%s", ev);
	if (cg->nr_gpu)
		out_secs(NULL, " gpu=%ss", gpu_busy_total(cg));
	out_text("\n");
	show_cgroup_json(cg, CGS_BIT(CGS_CPU_USAGE) | CGS_BIT(CGS_CPU_WAIT) |
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

static int loop(struct cgs_nl *nl, const sigset_t *unblocked)
{
	struct pollfd pfd = { .fd = cgs_nl_fd(nl), .events = POLLIN };
	int ret;

	while (!stop) {
		ret = ppoll(&pfd, 1, NULL, unblocked);
		if (ret < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "cgsharectl: poll: %s\n",
				strerror(errno));
			return 1;
		}
		do {
			ret = cgs_nl_read_events(nl, on_release, NULL);
			if (ret == -ENOBUFS)
				overrun();
		} while (!ret || ret == -ENOBUFS);
		if (ret == -EIO)
			return 1;	/* stdout is gone */
		if (ret == -ENODEV) {
			unloaded();
			return 1;
		}
		if (ret != -EAGAIN && ret != -EINTR) {
			fprintf(stderr, "cgsharectl: reading events: %s\n",
				strerror(-ret));
			return 1;
		}
	}
	return 0;
}

static int run(int argc, char **argv)
{
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	struct sigaction sa = { .sa_handler = on_signal };
	sigset_t block, wait;
	struct cgs_nl *nl;
	int c, ret;

	while ((c = getopt_long(argc, argv, ":" COMMON_SHORTOPTS, longopts,
				NULL)) != -1) {
		if (common_option(c))
			continue;
		if (c == 'h')
			return cmd_help(&cmd_watch);
		return option_error(&cmd_watch, c, argv);
	}
	if (optind < argc)
		return usage_error(&cmd_watch, "unexpected argument: %s",
				   argv[optind]);

	/* One JSON object per line, whatever -p says. */
	start_output(false);
	if (open_nl(&nl))
		return 1;
	if (cgs_nl_subscribe(nl)) {
		cgs_nl_perror(nl, "joining the notify group");
		cgs_nl_close(nl);
		return 1;
	}
	/* Signals wait while we work and arrive only inside ppoll(). */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &wait);
	sigdelset(&wait, SIGINT);
	sigdelset(&wait, SIGTERM);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (opts.verbose)
		fprintf(stderr, "cgsharectl: watching for released cgroups\n");

	ret = loop(nl, &wait);
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
