// SPDX-License-Identifier: GPL-2.0
/*
 * What every command shares: the global options, option and usage
 * errors, help, the ledger connection and the output mode.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "render/out.h"
#include "util/log.h"

struct global_opts opts;

bool common_option(int c)
{
	switch (c) {
	case 'j':
		opts.json = true;
		return true;
	case 'p':
		opts.json = opts.pretty = true;
		return true;
	case 'v':
		opts.verbose++;
		return true;
	}
	return false;
}

int usage_error(const struct cmd *cmd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cgs_vlog(fmt, ap);
	va_end(ap);
	if (cmd)
		fprintf(stderr, "Usage: %s\nTry 'cgsharectl help %s'.\n",
			cmd->usage, cmd->name);
	else
		fprintf(stderr, "Usage: cgsharectl [OPTIONS] COMMAND [ARGS]\n"
			"Try 'cgsharectl help'.\n");
	return EXIT_USAGE;
}

int option_error(const struct cmd *cmd, int c, char **argv)
{
	if (c == ':')
		return usage_error(cmd, "option %s needs an argument",
				   argv[optind - 1]);
	if (optopt)
		return usage_error(cmd, "unknown option: -%c", optopt);
	return usage_error(cmd, "unknown option: %s", argv[optind - 1]);
}

#define MAX_OPTS 16

int cmd_parse(const struct cmd *cmd, int argc, char **argv,
	      const struct cmd_opt *o, cmd_opt_fn fn, void *ctx,
	      const char **operands, int max)
{
	struct option longopts[MAX_OPTS + 5] = { COMMON_LONGOPTS };
	char shortopts[3 * MAX_OPTS + 8] = ":" COMMON_SHORTOPTS;
	int n = 4, c, ret;

	for (; o && o->name && n < MAX_OPTS + 4; o++, n++) {
		longopts[n] = (struct option){ o->name,
			o->arg ? required_argument : no_argument, NULL, o->key };
		if (o->key < 256) {
			size_t l = strlen(shortopts);

			shortopts[l++] = o->key;
			if (o->arg)
				shortopts[l++] = ':';
			shortopts[l] = '\0';
		}
	}
	optind = 0;		/* getopt starts afresh for the command */
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		if (common_option(c))
			continue;
		if (c == 'h')
			return cmd_help(cmd);
		if (c == '?' || c == ':')
			return option_error(cmd, c, argv);
		ret = fn(cmd, c, optarg, ctx);
		if (ret)
			return ret;
	}
	for (n = 0; optind < argc; n++) {
		if (n == max)
			return usage_error(cmd, "unexpected argument: %s",
					   argv[optind]);
		operands[n] = argv[optind++];
	}
	return -1;
}

int cmd_help(const struct cmd *cmd)
{
	cmd->help(stdout);
	return 0;
}

int open_nl(struct cgs_nl **nl)
{
	return cgs_nl_open(nl, opts.verbose ? CGS_NL_VERBOSE : 0);
}

void start_output(bool allow_pretty)
{
	out_init(stdout, opts.json, allow_pretty && opts.pretty);
}

int end_output(int ret)
{
	if (!out_flush()) {
		fprintf(stderr, "cgsharectl: writing the output failed\n");
		return 1;
	}
	return ret;
}
