// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>

#include "args.h"
#include "unit.h"

#define MAX_ARGS	16

/* cli_parse() of vfmig-load over its name and the given words (NULL-terminated). */
static enum cli_result parse(struct cli_args *args, ...)
{
	static char words[MAX_ARGS][64];
	char *argv[MAX_ARGS + 1] = { strcpy(words[0], "vfmig-load") };
	int argc = 1;
	const char *word;
	va_list ap;

	va_start(ap, args);
	while ((word = va_arg(ap, const char *)) && argc < MAX_ARGS) {
		snprintf(words[argc], sizeof(words[argc]), "%s", word);
		argv[argc] = words[argc];
		argc++;
	}
	va_end(ap);
	return cli_parse(&load_cli, argc, argv, args);
}

/* What the command reads: its options, filled once. */
static const struct load_opts *opts_of(const struct cli_args *args)
{
	static struct load_opts opts;

	load_opts_fill(&opts, args);
	return &opts;
}

static bool is_command(const struct cli_args *args, const char *name)
{
	return ASSERT_TRUE(args->command) && ASSERT_STR(args->command->name, name);
}

TEST(args_default_command)
{
	struct cli_args args;

	if (ASSERT_INT(parse(&args, "edu.bpf.o", "--bdf", "3b:00.1", NULL), CLI_RUN) &&
	    is_command(&args, "load")) {
		ASSERT_STR(args.operand, "edu.bpf.o");
		ASSERT_STR(opts_of(&args)->bdf, "0000:3b:00.1");
		ASSERT_TRUE(!opts_of(&args)->bind && !opts_of(&args)->verbose);
	}
	/* Options may come first, and a path without a dot is still an object. */
	if (ASSERT_INT(parse(&args, "--bdf", "3b:00.1", "bpf/edu", NULL), CLI_RUN) &&
	    is_command(&args, "load"))
		ASSERT_STR(args.operand, "bpf/edu");
}

TEST(args_load_options)
{
	struct cli_args args;

	if (ASSERT_INT(parse(&args, "load", "-v", "x.bpf.o", "--bind",
			     "--bdf", "0000:00:04.0", NULL), CLI_RUN) &&
	    is_command(&args, "load")) {
		ASSERT_STR(args.operand, "x.bpf.o");
		ASSERT_STR(opts_of(&args)->bdf, "0000:00:04.0");
		ASSERT_TRUE(opts_of(&args)->bind && opts_of(&args)->verbose &&
			    !opts_of(&args)->json);
	}
	/* --bdf=BDF works like --bdf BDF. */
	if (ASSERT_INT(parse(&args, "load", "x.bpf.o", "--bdf=00:04.0", NULL), CLI_RUN))
		ASSERT_STR(opts_of(&args)->bdf, "0000:00:04.0");
}

TEST(args_unload)
{
	struct cli_args args;

	if (ASSERT_INT(parse(&args, "unload", "--bdf", "00:04.0", NULL), CLI_RUN) &&
	    is_command(&args, "unload")) {
		ASSERT_STR(opts_of(&args)->bdf, "0000:00:04.0");
		ASSERT_TRUE(!args.operand);
	}
}

TEST(args_status_bdf_optional)
{
	struct cli_args args;

	if (ASSERT_INT(parse(&args, "status", NULL), CLI_RUN) &&
	    is_command(&args, "status"))
		ASSERT_STR(opts_of(&args)->bdf, "");
	if (ASSERT_INT(parse(&args, "status", "--json", "--bdf", "00:04.0", NULL), CLI_RUN)) {
		ASSERT_TRUE(opts_of(&args)->json);
		ASSERT_STR(opts_of(&args)->bdf, "0000:00:04.0");
	}
}

TEST(args_unknown_command)
{
	struct cli_args args;

	ASSERT_INT(parse(&args, "frobnicate", "--bdf", "00:04.0", NULL), CLI_USAGE);
	/* It might have been meant as load's OBJ: the error says it is neither. */
	ASSERT_CONTAINS(args.error, "unknown command 'frobnicate': not load, replace,"
			" unload, status, inspect, apply, release or bind, nor the OBJ of load");
	ASSERT_INT(parse(&args, NULL), CLI_USAGE);
	ASSERT_CONTAINS(args.error, "no command");
}

TEST(args_missing_bdf)
{
	static const char *const needing_bdf[] = { "unload", "bind" };
	struct cli_args args;

	ASSERT_INT(parse(&args, "x.bpf.o", NULL), CLI_USAGE);
	ASSERT_CONTAINS(args.error, "load needs --bdf BDF");
	for (size_t i = 0; i < sizeof(needing_bdf) / sizeof(needing_bdf[0]); i++) {
		ASSERT_INT(parse(&args, needing_bdf[i], NULL), CLI_USAGE);
		ASSERT_CONTAINS(args.error, "needs --bdf BDF");
	}
	ASSERT_INT(parse(&args, "unload", "--bdf", NULL), CLI_USAGE);
	ASSERT_CONTAINS(args.error, "option '--bdf' needs an argument");
}

TEST(args_unknown_option)
{
	struct cli_args args;

	/* Options of other commands are unknown too. */
	ASSERT_INT(parse(&args, "x.bpf.o", "--bdf", "00:04.0", "--json", NULL), CLI_USAGE);
	ASSERT_CONTAINS(args.error, "unknown option '--json' for load");
	ASSERT_INT(parse(&args, "unload", "--bdf", "00:04.0", "--bind", NULL), CLI_USAGE);
	ASSERT_CONTAINS(args.error, "unknown option '--bind' for unload");
	ASSERT_INT(parse(&args, "status", "-x", NULL), CLI_USAGE);
	ASSERT_CONTAINS(args.error, "unknown option '-x' for status");
}

TEST(args_operands)
{
	struct cli_args args;

	ASSERT_INT(parse(&args, "load", "--bdf", "00:04.0", NULL), CLI_USAGE);
	ASSERT_CONTAINS(args.error, "load needs OBJ");
	ASSERT_INT(parse(&args, "a.bpf.o", "b.bpf.o", "--bdf", "00:04.0", NULL), CLI_USAGE);
	ASSERT_CONTAINS(args.error, "unexpected argument 'b.bpf.o'");
	ASSERT_INT(parse(&args, "unload", "x.bpf.o", "--bdf", "00:04.0", NULL), CLI_USAGE);
	ASSERT_CONTAINS(args.error, "unexpected argument 'x.bpf.o' for unload");
}

TEST(args_bad_bdf)
{
	struct cli_args args;

	ASSERT_INT(parse(&args, "x.bpf.o", "--bdf", "00:20.0", NULL), CLI_USAGE);
	ASSERT_CONTAINS(args.error, "bad --bdf '00:20.0': expected DDDD:BB:DD.F or BB:DD.F");
}

TEST(args_help)
{
	struct cli_args args;

	ASSERT_INT(parse(&args, "--help", NULL), CLI_HELP);
	ASSERT_TRUE(!args.command);
	ASSERT_INT(parse(&args, "-h", NULL), CLI_HELP);
	if (ASSERT_INT(parse(&args, "unload", "-h", NULL), CLI_HELP))
		is_command(&args, "unload");
	/* Help wins over a missing --bdf. */
	if (ASSERT_INT(parse(&args, "x.bpf.o", "--help", NULL), CLI_HELP))
		is_command(&args, "load");
	if (ASSERT_INT(parse(&args, "help", "status", NULL), CLI_HELP))
		is_command(&args, "status");
}
