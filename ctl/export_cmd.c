// SPDX-License-Identifier: GPL-2.0
/* cgsharectl export: the ledger as Prometheus metrics over HTTP. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "control.h"
#include "export.h"
#include "main.h"
#include "notify.h"

static volatile sig_atomic_t stop;

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

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int once(const char *root)
{
	struct cgs_nl *nl;
	char *text;
	size_t len;
	int rootfd, ret;

	if (open_nl(&nl))
		return 1;
	rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0 && opts.verbose)
		fprintf(stderr, "cgsharectl: %s: %s; no limits\n", root,
			strerror(errno));
	ret = export_scrape(nl, rootfd, NULL, 0, &text, &len);
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
	if (rootfd >= 0)
		close(rootfd);
	cgs_nl_close(nl);
	return ret ? 1 : 0;
}

static int serve(const struct export_config *cfg)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct export_server *s;
	struct pollfd pfd;
	sigset_t block, wait;
	int ret = 0;

	/* Signals arrive only inside ppoll(): a request is never cut short. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &wait);
	sigdelset(&wait, SIGINT);
	sigdelset(&wait, SIGTERM);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	if (export_server_open(&s, cfg))
		return 1;
	fprintf(stderr, "cgsharectl: serving metrics at http://%s/metrics\n",
		export_server_addr(s));
	pfd.fd = export_server_fd(s);
	pfd.events = POLLIN;
	cgs_notify("READY=1\nSTATUS=serving metrics");
	while (!stop) {
		int wd = cgs_watchdog_ms();
		struct timespec ts = { .tv_sec = wd / 1000, .tv_nsec = wd % 1000 * 1000000L };

		cgs_watchdog_kick();
		if (ppoll(&pfd, 1, wd < 0 ? NULL : &ts, &wait) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "cgsharectl: poll: %s\n",
				strerror(errno));
			ret = 1;
			break;
		}
		if (pfd.revents)
			export_server_serve(s);
	}
	cgs_notify("STOPPING=1");
	export_server_close(s);
	if (opts.verbose && stop)
		fprintf(stderr, "cgsharectl: exporter stopped\n");
	return ret;
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

/* -- inside "run --listen": the controller's loop drives the server -- */

_Static_assert((int)CGS_CPU == (int)EXPORT_RES_CPU &&
	       (int)CGS_MEM == (int)EXPORT_RES_MEM &&
	       (int)CGS_GPU == (int)EXPORT_RES_GPU &&
	       (int)CGS_NR_RES == (int)EXPORT_NR_RES,
	       "share.h and export.h number resources alike");

static void on_ready(int fd, void *arg)
{
	(void)fd;
	export_server_serve(arg);
}

/* Targets change only on rounds that acted; between them they stand. */
static void on_round(const struct cgs_round *r, void *arg)
{
	struct export_target *t;

	if (!r->acted)
		return;
	t = calloc(r->n ? r->n : 1, sizeof(*t));
	if (!t)
		return;		/* the last published shares stay */
	for (size_t i = 0; i < r->n; i++) {
		t[i].path = r->cg[i].path;
		for (int res = 0; res < CGS_NR_RES; res++) {
			if (!r->cg[i].has[res])
				continue;
			t[i].present |= CGS_BIT(res);
			t[i].share[res] = r->cg[i].share[res];
		}
	}
	export_set_targets(arg, t, r->n);
	free(t);
}

int export_run_attach(const struct export_config *cfg)
{
	struct export_server *s;
	int ret;

	ret = export_server_open(&s, cfg);
	if (ret)
		return ret;
	ret = cgs_run_watch_fd(export_server_fd(s), on_ready, s);
	if (ret) {
		export_server_close(s);
		return ret;
	}
	cgs_run_set_hook(on_round, s);
	fprintf(stderr, "cgsharectl: serving metrics at http://%s/metrics\n",
		export_server_addr(s));
	return 0;
}

const struct cmd cmd_export = {
	.name = "export",
	.run = run,
	.help = help,
	.usage = "cgsharectl export [--listen ADDR:PORT] [--once]",
	.summary = "serve the ledger as Prometheus metrics",
};
