// SPDX-License-Identifier: GPL-2.0
/*
 * cgsharectl: the operator's tool for the cgshare ledger. Global options
 * and the command table; each command lives in cmd/.
 */
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"

#ifndef CGSHARE_VERSION
#define CGSHARE_VERSION "unknown"
#endif

static const struct cmd *const cmds[] = {
	&cmd_status,
	&cmd_stats,
	&cmd_watch,
	&cmd_plan,
	&cmd_apply,
	&cmd_run,
	&cmd_verify,
	&cmd_top,
	&cmd_export,
	&cmd_gpu,
	&cmd_bpf,
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
