/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A command line made of two tables, commands and the options each takes:
 * parsing, usage errors and help are all generated from them.  Both tools
 * use it: vfmig-ctl (ctl_args.c) and vfmig-load (args.c).  Also how a tool
 * reports: one-line errors on stderr, prefixed with its name.
 */
#ifndef VFMIG_CLI_H
#define VFMIG_CLI_H

#include <stdbool.h>
#include <stdio.h>

#define CLI_EXIT_USAGE	2	/* failures exit with EXIT_FAILURE (1) */
#define CLI_MAX_OPTIONS	32
#define CLI_MAX_REPEAT	16	/* times a repeatable option may be given */

struct cli_option {
	const char *name;	/* the long form, --NAME */
	char short_name;	/* 0: long form only */
	const char *arg;	/* the argument's name, NULL: takes none */
	const char *help;
	bool repeats;		/* may be given up to CLI_MAX_REPEAT times */
	/* Checks an argument: NULL if fine, else what is wrong with it. */
	const char *(*check)(const char *arg);
};

struct cli_args;

struct cli_command {
	const char *name;
	const char *operand;	/* e.g. "FILE", or NULL for none */
	const char *operand_help;
	const char *summary;
	const char *details;	/* more for its help, or NULL */
	unsigned int options;	/* CLI_OPT(index in the option table) bits */
	unsigned int required;	/* the options it needs */
	int (*run)(const struct cli_args *args);
};

#define CLI_OPT(index)	(1U << (index))

struct cli {
	const char *name;	/* the program's */
	const char *about;	/* what it does, for the general help */
	const struct cli_option *options;	/* one must be "help" */
	unsigned int nr_options;
	const struct cli_command *commands;
	unsigned int nr_commands;
	/*
	 * Optional, both or neither: the command implied when the first
	 * argument names none but starts_default() says it begins that
	 * command's options or operand ("vfmig-load OBJ --bdf BDF").
	 */
	const struct cli_command *default_command;
	bool (*starts_default)(const char *first_arg);
};

struct cli_args {
	const struct cli_command *command;
	const char *operand;
	unsigned int seen;			/* CLI_OPT bits given */
	/* Arguments of each option given, in order; value[i][count[i] - 1]
	 * is the last. */
	const char *value[CLI_MAX_OPTIONS][CLI_MAX_REPEAT];
	unsigned int count[CLI_MAX_OPTIONS];
	char error[256];			/* why cli_parse() said CLI_USAGE */
};

enum cli_result {
	CLI_RUN,	/* run args->command */
	CLI_HELP,	/* help for args->command (NULL: all commands) */
	CLI_USAGE,	/* usage error, args->error says which */
};

/* Parses argv (reordering it, as getopt does); fills @args. */
enum cli_result cli_parse(const struct cli *cli, int argc, char **argv,
			  struct cli_args *args);
/* Help for one command, or for all when @command is NULL. */
void cli_help(const struct cli *cli, FILE *out, const struct cli_command *command);
/* Parses, prints help or the usage error, or runs: the exit status. */
int cli_main(const struct cli *cli, int argc, char **argv);

/* The last argument of option @index, or NULL when not given. */
const char *cli_value(const struct cli_args *args, unsigned int index);

/* "NAME: MESSAGE" on stderr (NAME from the last cli_parse()); EXIT_FAILURE. */
int cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The same with "warning: ", for what does not stop the command. */
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The same, only with -v (cli_verbose set). */
void cli_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
extern bool cli_verbose;
/* The NAME of those messages: cli->name once cli_parse() ran. */
extern const char *cli_program;

#endif /* VFMIG_CLI_H */
