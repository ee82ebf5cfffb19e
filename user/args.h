/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The command line: one table of commands, each with the options it takes;
 * parsing and help are both generated from the tables.
 */
#ifndef VFMIG_ARGS_H
#define VFMIG_ARGS_H

#include <stdbool.h>
#include <stdio.h>

#include "vfmig.h"

struct args;

struct command {
	const char *name;
	const char *operand;	/* e.g. "OBJ", or NULL for none */
	const char *operand_help;
	const char *summary;
	unsigned int options;	/* OPTION_* bits (args.c) it accepts */
	unsigned int required;	/* OPTION_* bits it needs */
	int (*run)(const struct args *args);
};

struct args {
	const struct command *command;
	const char *object;		/* the operand of load */
	char bdf[VFMIG_BDF_LEN];	/* canonical, "" when not given */
	bool bind;
	bool json;
	bool verbose;
	char error[256];		/* why parse_args() said ARGS_USAGE */
};

enum parse_result {
	ARGS_RUN,	/* run args->command */
	ARGS_HELP,	/* print help for args->command (NULL: all commands) */
	ARGS_USAGE,	/* usage error, args->error says which */
};

/* Parses argv (reordering it, as getopt does); fills @args. */
enum parse_result parse_args(int argc, char **argv, struct args *args);

/* Help for one command, or for all when @command is NULL. */
void print_help(FILE *out, const struct command *command);

#endif /* VFMIG_ARGS_H */
