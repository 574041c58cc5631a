// SPDX-License-Identifier: GPL-2.0
/*
 * cgsharectl: the operator's tool for the cgshare ledger. Global options,
 * the command table and the helpers every command shares.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "control.h"
#include "main.h"
#include "out.h"

#ifndef CGSHARE_VERSION
#define CGSHARE_VERSION "unknown"
#endif

struct global_opts opts;

static const struct cmd *const cmds[] = {
	&cmd_status,
	&cmd_stats,
	&cmd_watch,
	&cmd_plan,
	&cmd_apply,
	&cmd_run,
	&cmd_top,
	&cmd_export,
	&cmd_gpu,
	NULL
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: cgsharectl [OPTIONS] COMMAND [ARGS]\n"
		"\n"
		"Options:\n"
		"  -j, --json      JSON output\n"
		"  -p, --pretty    indented JSON output (implies -j)\n"
		"  -v, --verbose   say more on stderr\n"
		"  -V, --version   print the version and exit\n"
		"  -h, --help      print this help and exit\n"
		"\n"
		"Commands:\n");
	for (int i = 0; cmds[i]; i++)
		fprintf(f, "  %-10s %s\n", cmds[i]->name, cmds[i]->summary);
	fprintf(f, "  %-10s %s\n", "help", "help on a command");
	fprintf(f, "\nSee cgsharectl(8), or cgsharectl help COMMAND.\n");
}

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

static const struct cmd *find_cmd(const char *name)
{
	for (int i = 0; cmds[i]; i++)
		if (!strcmp(cmds[i]->name, name))
			return cmds[i];
	return NULL;
}

static int do_help(int argc, char **argv)
{
	const struct cmd *cmd;

	if (argc < 2) {
		usage(stdout);
		return 0;
	}
	cmd = find_cmd(argv[1]);
	if (!cmd)
		return usage_error(NULL, "unknown command: %s", argv[1]);
	return cmd_help(cmd);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const struct cmd *cmd;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:" COMMON_SHORTOPTS "V",
				longopts, NULL)) != -1) {
		if (common_option(c))
			continue;
		switch (c) {
		case 'V':
			printf("cgsharectl %s (uapi family %s version %d)\n",
			       CGSHARE_VERSION, CGSHARE_FAMILY_NAME,
			       CGSHARE_FAMILY_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			return option_error(NULL, c, argv);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		return usage_error(NULL, "no command given");
	if (!strcmp(argv[0], "help"))
		return do_help(argc, argv);
	cmd = find_cmd(argv[0]);
	if (!cmd)
		return usage_error(NULL, "unknown command: %s", argv[0]);
	optind = 0;	/* getopt_long starts afresh for the command */
	return cmd->run(argc, argv);
}
