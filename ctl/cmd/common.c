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

	fputs("cgsharectl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
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
