/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CGSHARECTL_MAIN_H
#define CGSHARECTL_MAIN_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "ledger/ledger.h"

#define EXIT_USAGE 2

struct global_opts {
	bool json;
	bool pretty;
	int verbose;
};
extern struct global_opts opts;

struct cmd {
	const char *name;
	int (*run)(int argc, char **argv);
	void (*help)(FILE *f);
	const char *usage;		/* one line, after "Usage: " */
	const char *summary;
};

/* Options every command accepts after its name as well. */
#define COMMON_SHORTOPTS "jpvh"
#define COMMON_LONGOPTS \
	{ "json", no_argument, NULL, 'j' }, \
	{ "pretty", no_argument, NULL, 'p' }, \
	{ "verbose", no_argument, NULL, 'v' }, \
	{ "help", no_argument, NULL, 'h' }

/* Handles j, p, v; false for anything else. */
bool common_option(int c);
/* Prints "cgsharectl: <msg>" and the command's usage; returns EXIT_USAGE. */
int usage_error(const struct cmd *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* For getopt's '?' and ':' (optstrings start with ':'): usage error. */
int option_error(const struct cmd *cmd, int c, char **argv);
/* Prints the command's help on stdout; returns 0. */
int cmd_help(const struct cmd *cmd);
int open_nl(struct cgs_nl **nl);
/* Starts stdout output in the mode the options ask for. */
void start_output(bool allow_pretty);
/* Ends output; 1 if stdout could not be written, else @ret. */
int end_output(int ret);

extern const struct cmd cmd_status, cmd_stats, cmd_watch, cmd_top;
extern const struct cmd cmd_plan, cmd_apply, cmd_run;
extern const struct cmd cmd_export, cmd_gpu;

#endif
