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

static void help(FILE *f)
{
	fprintf(f,
		"Usage: cgsharectl export [--listen ADDR:PORT] [--once]\n"
		"\n"
		"Serves the ledger in the Prometheus text format at\n"
		"http://ADDR:PORT/metrics, one netlink dump per scrape, with the\n"
		"limits found in cgroupfs. Runs until SIGINT or SIGTERM.\n"
		"\n"
		"  -l, --listen ADDR:PORT   numeric address and port to listen on\n"
		"                           (default " EXPORT_DEFAULT_LISTEN
		", loopback only);\n"
		"                           e.g. [::1]:9858, or 0.0.0.0:9858 for all\n"
		"  -1, --once               print one scrape on stdout and exit\n"
		"  --cgroup-root DIR        where cgroup2 is mounted (/sys/fs/cgroup)\n"
		"  --timeout DUR            longest time one request may take (5s)\n");
}

static int once(const char *root)
{
	struct cgs_nl *nl;
	struct cgfs fs = { .fd = -1 };
	char *text;
	size_t len;
	int ret;

	if (open_nl(&nl))
		return 1;
	ret = cgfs_open(&fs, root);
	if (ret && opts.verbose)
		fprintf(stderr, "cgsharectl: %s: %s; no limits\n", root,
			strerror(-ret));
	ret = export_scrape(nl, ret ? NULL : &fs, NULL, 0, &text, &len);
	if (ret) {
		if (ret == -ENOMEM)
			fprintf(stderr, "cgsharectl: out of memory\n");
		else
			cgs_nl_perror(nl, "dumping the ledger");
	} else {
		if (fwrite(text, 1, len, stdout) != len || fflush(stdout)) {
			fprintf(stderr, "cgsharectl: writing the output failed\n");
			ret = -EIO;
		}
		free(text);
	}
	cgfs_close(&fs);
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
	ret = cgs_loop_wait(&loop, CGS_LOOP_FOREVER);
	if (ret < 0)
		cgs_log("poll: %s", strerror(-ret));
	else if (opts.verbose)
		cgs_log("exporter stopped");
	export_server_close(s);
	cgs_loop_fini(&loop);
	return ret < 0 ? 1 : 0;
}

static int run(int argc, char **argv)
{
	enum { OPT_ROOT = 256, OPT_TIMEOUT };
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		{ "listen", required_argument, NULL, 'l' },
		{ "once", no_argument, NULL, '1' },
		{ "cgroup-root", required_argument, NULL, OPT_ROOT },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ NULL, 0, NULL, 0 }
	};
	struct export_config cfg = { .listen = EXPORT_DEFAULT_LISTEN,
				     .cgroup_root = "/sys/fs/cgroup" };
	unsigned char addr[128];
	unsigned int alen;
	bool one = false;
	uint64_t ns;
	int c;

	while ((c = getopt_long(argc, argv, ":" COMMON_SHORTOPTS "l:1",
				longopts, NULL)) != -1) {
		if (common_option(c))
			continue;
		switch (c) {
		case 'h':
			return cmd_help(&cmd_export);
		case 'l':
			if (export_parse_listen(optarg, addr, &alen))
				return usage_error(&cmd_export, "bad listen "
						   "address: %s (want ADDR:PORT"
						   ", numeric, e.g. "
						   "127.0.0.1:9858 or "
						   "[::1]:9858)", optarg);
			cfg.listen = optarg;
			break;
		case '1':
			one = true;
			break;
		case OPT_ROOT:
			cfg.cgroup_root = optarg;
			break;
		case OPT_TIMEOUT:
			if (parse_duration(optarg, &ns) || ns < 1000000 ||
			    ns > 3600000000000ull)
				return usage_error(&cmd_export, "bad timeout: "
						   "%s (want 1ms to 1h)",
						   optarg);
			cfg.timeout_ms = ns / 1000000;
			break;
		default:
			return option_error(&cmd_export, c, argv);
		}
	}
	if (optind < argc)
		return usage_error(&cmd_export, "unexpected argument: %s",
				   argv[optind]);
	cfg.verbose = opts.verbose;
	return one ? once(cfg.cgroup_root) : serve(&cfg);
}

const struct cmd cmd_export = {
	.name = "export",
	.run = run,
	.help = help,
	.usage = "cgsharectl export [--listen ADDR:PORT] [--once]",
	.summary = "serve the ledger as Prometheus metrics",
};
