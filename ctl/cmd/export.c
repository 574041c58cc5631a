// SPDX-License-Identifier: GPL-2.0
/* cgsharectl export: the ledger as Prometheus metrics over HTTP. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/args.h"
#include "export/export.h"
#include "cmd/cmd.h"
#include "util/log.h"
#include "util/loop.h"
#include "util/notify.h"

static void help(FILE *f)
{
	fprintf(f,
		"Usage: cgsharectl export [--listen ADDR:PORT] [--once]\n"
		"\n"
		"Serves the ledger in the Prometheus text format at\n"
		"http://ADDR:PORT/metrics: per scrape, one netlink dump and one\n"
		"read of the cgroup iterator (cgsharectl bpf pin), no cgroupfs\n"
		"file. Runs until SIGINT or SIGTERM.\n"
		"\n"
		"  -l, --listen ADDR:PORT   numeric address and port to listen on\n"
		"                           (default " EXPORT_DEFAULT_LISTEN
		", loopback only);\n"
		"                           e.g. [::1]:9858, or 0.0.0.0:9858 for all\n"
		"  -1, --once               print one scrape on stdout and exit\n"
		"  --timeout DUR            longest time one request may take (5s)\n");
}

/* once's sink: the text goes to stdout a piece at a time. */
static bool to_stdout(void *arg, const char *p, size_t n)
{
	(void)arg;
	return fwrite(p, 1, n, stdout) == n;
}

/*
 * One scrape on stdout, written as it is made, as the server sends it:
 * the sample is whole before the first byte goes out, so what can cut
 * the text short is a write that fails or memory that runs out, and
 * either makes the exit status 1.
 */
static int once(void)
{
	struct cgs_iter *it;
	struct cgs_nl *nl;
	size_t bytes;
	int ret;

	if (open_nl(&nl))
		return 1;
	if (cgs_iter_open(&it)) {
		cgs_nl_close(nl);
		return 1;
	}
	ret = export_scrape_stream(nl, it, NULL, 0, NULL, NULL, to_stdout, NULL,
				   &bytes);
	if (!ret && fflush(stdout))
		ret = -EPIPE;
	if (ret == -ENOMEM)
		fprintf(stderr, "cgsharectl: out of memory\n");
	else if (ret == -EPIPE)
		fprintf(stderr, "cgsharectl: writing the output failed\n");
	else if (ret)
		cgs_nl_perror(nl, "dumping the ledger");
	cgs_iter_close(it);
	cgs_nl_close(nl);
	return ret ? 1 : 0;
}

static void serve_one(int fd, void *arg)
{
	(void)fd;
	export_server_serve(arg);
}

static int serve(const struct export_config *cfg)
{
	static const int signals[] = { SIGINT, SIGTERM, 0 };
	struct export_server *s;
	struct cgs_notify notify;
	struct cgs_loop loop;
	int ret;

	/* Signals are read between requests: a request is never cut short. */
	ret = cgs_loop_init(&loop, signals);
	if (ret) {
		cgs_log("signals: %s", strerror(-ret));
		return 1;
	}
	if (export_server_open(&s, cfg)) {
		cgs_loop_fini(&loop);
		return 1;
	}
	cgs_log("serving metrics at http://%s/metrics", export_server_addr(s));
	cgs_loop_add(&loop, export_server_fd(s), serve_one, s);
	cgs_notify_init(&notify);
	cgs_notify(&notify, "READY=1\nSTATUS=serving metrics");
	do {
		cgs_notify_watchdog(&notify);
		ret = cgs_loop_wait(&loop, cgs_notify_deadline(&notify,
							   CGS_LOOP_FOREVER));
	} while (!ret);
	cgs_notify(&notify, "STOPPING=1");
	if (ret < 0)
		cgs_log("poll: %s", strerror(-ret));
	else if (opts.verbose)
		cgs_log("exporter stopped");
	export_server_close(s);
	cgs_loop_fini(&loop);
	return ret < 0 ? 1 : 0;
}

enum { OPT_TIMEOUT = 256 };

struct export_args {
	struct export_config cfg;
	bool once;
};

static int export_opt(const struct cmd *cmd, int key, const char *arg,
		      void *ctx)
{
	struct export_args *a = ctx;
	unsigned char addr[128];
	unsigned int alen;
	uint64_t ns;

	switch (key) {
	case 'l':
		if (export_parse_listen(arg, addr, &alen))
			return usage_error(cmd, "bad listen address: %s (want "
					   "ADDR:PORT, numeric, e.g. "
					   "127.0.0.1:9858 or [::1]:9858)", arg);
		a->cfg.listen = arg;
		return 0;
	case '1':
		a->once = true;
		return 0;
	default:
		if (parse_duration(arg, &ns) || ns < 1000000 ||
		    ns > 3600000000000ull)
			return usage_error(cmd, "bad timeout: %s (want 1ms to "
					   "1h)", arg);
		a->cfg.timeout_ms = ns / 1000000;
		return 0;
	}
}

static int run(int argc, char **argv)
{
	static const struct cmd_opt o[] = {
		{ "listen", 'l', true },
		{ "once", '1', false },
		{ "timeout", OPT_TIMEOUT, true },
		{ NULL, 0, false },
	};
	struct export_args a = {
		.cfg = { .listen = EXPORT_DEFAULT_LISTEN },
	};
	int ret;

	ret = cmd_parse(&cmd_export, argc, argv, o, export_opt, &a, NULL, 0);
	if (ret >= 0)
		return ret;
	a.cfg.verbose = opts.verbose;
	return a.once ? once() : serve(&a.cfg);
}

const struct cmd cmd_export = {
	.name = "export",
	.run = run,
	.help = help,
	.usage = "cgsharectl export [--listen ADDR:PORT] [--once]",
	.summary = "serve the ledger as Prometheus metrics",
};
