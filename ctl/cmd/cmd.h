/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CGS_CMD_CMD_H
#define CGS_CMD_CMD_H

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

/* An option of one command, beyond -j, -p, -v and -h, which all take. */
struct cmd_opt {
	const char *name;		/* --name */
	int key;			/* -key, or past 255 for --name only */
	bool arg;			/* takes an argument */
};

/* Applies option @key; 0, or what usage_error() returned. */
typedef int (*cmd_opt_fn)(const struct cmd *cmd, int key, const char *arg,
			  void *ctx);

/*
 * The one option loop of every command: parses @argv (argv[0] is the
 * command) by @o (ended by a NULL name; NULL for none), calling @fn for
 * each, and leaves at most @max operands in @operands. Returns -1 when
 * the command goes on, else the exit status to return now: 0 after
 * printing the help, EXIT_USAGE after saying what was wrong.
 */
int cmd_parse(const struct cmd *cmd, int argc, char **argv,
	      const struct cmd_opt *o, cmd_opt_fn fn, void *ctx,
	      const char **operands, int max);
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
extern const struct cmd cmd_plan, cmd_apply, cmd_run, cmd_verify;
extern const struct cmd cmd_export, cmd_gpu, cmd_bpf;

#endif
