// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <ctype.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "vfmig.h"

/* Help: the column of option descriptions, and where lines wrap. */
#define FLAG_WIDTH	23
#define HELP_WIDTH	79

bool cli_verbose;
const char *cli_program = "vfmig";

/* getopt keys: the short name, or past any char for long-only options. */
static int option_key(const struct cli *cli, unsigned int index)
{
	return cli->options[index].short_name ?: 256 + (int)index;
}

static int index_of_key(const struct cli *cli, int key)
{
	for (unsigned int i = 0; i < cli->nr_options; i++)
		if (option_key(cli, i) == key)
			return i;
	return -1;
}

static int index_of_name(const struct cli *cli, const char *name)
{
	for (unsigned int i = 0; i < cli->nr_options; i++)
		if (!strcmp(cli->options[i].name, name))
			return i;
	return -1;
}

static const struct cli_command *find_command(const struct cli *cli,
					      const char *name)
{
	for (unsigned int i = 0; i < cli->nr_commands; i++)
		if (!strcmp(cli->commands[i].name, name))
			return &cli->commands[i];
	return NULL;
}

static enum cli_result usage_error(struct cli_args *args, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static enum cli_result usage_error(struct cli_args *args, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(args->error, sizeof(args->error), fmt, ap);
	va_end(ap);
	return CLI_USAGE;
}

/* "--name" or "-n", as the user would type it. */
static const char *option_form(const struct cli_option *option)
{
	static char form[64];

	if (option->short_name)
		snprintf(form, sizeof(form), "-%c", option->short_name);
	else
		snprintf(form, sizeof(form), "--%s", option->name);
	return form;
}

static void build_getopt_tables(const struct cli *cli,
				const struct cli_command *command,
				struct option *longopts, char *shortopts)
{
	/* A leading ':' makes getopt report a missing argument as ':'. */
	*shortopts++ = ':';
	for (unsigned int i = 0; i < cli->nr_options; i++) {
		const struct cli_option *option = &cli->options[i];

		if (!(command->options & CLI_OPT(i)))
			continue;
		*longopts++ = (struct option){
			.name = option->name,
			.has_arg = option->arg ? required_argument : no_argument,
			.val = option_key(cli, i),
		};
		if (option->short_name) {
			*shortopts++ = option->short_name;
			if (option->arg)
				*shortopts++ = ':';
		}
	}
	*longopts = (struct option){ 0 };
	*shortopts = '\0';
}

static enum cli_result take_option(const struct cli *cli, unsigned int index,
				   const char *arg, struct cli_args *args)
{
	const struct cli_option *option = &cli->options[index];
	unsigned int *count = &args->count[index];
	const char *problem;

	if (*count && !option->repeats)
		return usage_error(args, "%s given twice", option_form(option));
	if (*count == CLI_MAX_REPEAT)
		return usage_error(args, "%s given more than %d times",
				   option_form(option), CLI_MAX_REPEAT);
	if (arg && option->check && (problem = option->check(arg)))
		return usage_error(args, "bad %s '%s': %s", option_form(option),
				   arg, problem);
	args->seen |= CLI_OPT(index);
	args->value[index][(*count)++] = arg;
	return CLI_RUN;
}

static enum cli_result parse_options(const struct cli *cli, int argc,
				     char **argv, struct cli_args *args)
{
	const struct cli_command *command = args->command;
	struct option longopts[CLI_MAX_OPTIONS + 1];
	char shortopts[3 * CLI_MAX_OPTIONS + 2];
	int key, index, operands;

	build_getopt_tables(cli, command, longopts, shortopts);
	optind = 0;	/* 0, not 1: glibc then resets all its state */
	opterr = 0;
	while ((key = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		if (key == '?') {
			char short_form[3] = { '-', (char)optopt, '\0' };

			return usage_error(args, "unknown option '%s' for %s",
					   optopt ? short_form : argv[optind - 1],
					   command->name);
		}
		if (key == ':')
			return usage_error(args, "option '%s' needs an argument",
					   argv[optind - 1]);
		index = index_of_key(cli, key);
		if (take_option(cli, index, optarg, args) != CLI_RUN)
			return CLI_USAGE;
	}
	index = index_of_name(cli, "help");
	if (index >= 0 && (args->seen & CLI_OPT(index)))
		return CLI_HELP;

	operands = argc - optind;
	if (command->operand && operands == 0)
		return usage_error(args, "%s needs %s, %s", command->name,
				   command->operand, command->operand_help);
	if (operands > (command->operand ? 1 : 0))
		return usage_error(args, "unexpected argument '%s' for %s",
				   argv[argc - 1], command->name);
	if (command->operand)
		args->operand = argv[optind];

	for (unsigned int i = 0; i < cli->nr_options; i++) {
		const struct cli_option *option = &cli->options[i];

		if ((command->required & CLI_OPT(i)) && !args->count[i])
			return usage_error(args, "%s needs %s %s, %s", command->name,
					   option_form(option), option->arg,
					   option->help);
	}
	return CLI_RUN;
}

/*
 * With a default command, a word that names no command may have been meant
 * as that command's operand: the error then says it is neither.
 */
static enum cli_result unknown_command(const struct cli *cli, const char *word,
				       struct cli_args *args)
{
	const struct cli_command *fallback = cli->default_command;
	char names[128] = "";
	size_t len = 0;

	if (!fallback || !fallback->operand)
		return usage_error(args, "unknown command '%s'", word);
	/* "load, unload, status or bind" */
	for (unsigned int i = 0; i < cli->nr_commands && len < sizeof(names); i++)
		len += snprintf(names + len, sizeof(names) - len, "%s%s",
				i == 0 ? "" : i + 1 < cli->nr_commands ? ", " : " or ",
				cli->commands[i].name);
	return usage_error(args, "unknown command '%s': not %s, nor the %s of %s",
			   word, names, fallback->operand, fallback->name);
}

enum cli_result cli_parse(const struct cli *cli, int argc, char **argv,
			  struct cli_args *args)
{
	memset(args, 0, sizeof(*args));
	cli_program = cli->name;
	if (cli->nr_options > CLI_MAX_OPTIONS)	/* a bug in the table */
		return usage_error(args, "more than %d options", CLI_MAX_OPTIONS);
	if (argc < 2)
		return usage_error(args, "no command given");
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))
		return CLI_HELP;
	if (!strcmp(argv[1], "help")) {
		args->command = argc > 2 ? find_command(cli, argv[2]) : NULL;
		return CLI_HELP;
	}
	args->command = find_command(cli, argv[1]);
	if (args->command)
		return parse_options(cli, argc - 1, argv + 1, args);
	if (!cli->default_command || !cli->starts_default(argv[1]))
		return unknown_command(cli, argv[1], args);
	/* argv[1] is already the default command's: parse from there. */
	args->command = cli->default_command;
	return parse_options(cli, argc, argv, args);
}

const char *cli_value(const struct cli_args *args, unsigned int index)
{
	return args->count[index] ? args->value[index][args->count[index] - 1] : NULL;
}

/* "NAME [COMMAND] OPERAND OPTIONS": without COMMAND for the default one. */
static void print_usage_line(const struct cli *cli, FILE *out,
			     const struct cli_command *command, bool with_name)
{
	fputs(cli->name, out);
	if (with_name)
		fprintf(out, " %s", command->name);
	if (command->operand)
		fprintf(out, " %s", command->operand);
	for (unsigned int i = 0; i < cli->nr_options; i++) {
		const struct cli_option *option = &cli->options[i];
		bool required = command->required & CLI_OPT(i);

		/* Every command takes -h: the usage line need not say so. */
		if (!(command->options & CLI_OPT(i)) || !strcmp(option->name, "help"))
			continue;
		fprintf(out, " %s%s", required ? "" : "[", option_form(option));
		if (option->arg)
			fprintf(out, " %s", option->arg);
		fprintf(out, "%s%s", option->repeats ? "..." : "", required ? "" : "]");
	}
	fputc('\n', out);
}

/* Prints @text from column @column on, wrapped at HELP_WIDTH. */
static void print_wrapped(FILE *out, const char *text, int column)
{
	int at = column;

	while (*text) {
		int word = strcspn(text, " ");

		if (at > column && at + 1 + word > HELP_WIDTH) {
			fprintf(out, "\n%*s", column, "");
			at = column;
		} else if (at > column) {
			fputc(' ', out);
			at++;
		}
		fprintf(out, "%.*s", word, text);
		at += word;
		text += word;
		text += strspn(text, " ");
	}
	fputc('\n', out);
}

static void print_command_help(const struct cli *cli, FILE *out,
			       const struct cli_command *command)
{
	fputs("Usage: ", out);
	print_usage_line(cli, out, command, true);
	if (command == cli->default_command) {
		fputs("       ", out);
		print_usage_line(cli, out, command, false);
	}
	fprintf(out, "\n%c%s.\n", toupper(command->summary[0]), command->summary + 1);
	if (command->details) {
		fputc('\n', out);
		print_wrapped(out, command->details, 0);
	}
	if (command->operand)
		fprintf(out, "\n  %-*s %s\n", FLAG_WIDTH, command->operand,
			command->operand_help);
	fputs("\nOptions:\n", out);
	for (unsigned int i = 0; i < cli->nr_options; i++) {
		const struct cli_option *option = &cli->options[i];
		char flag[64];
		int len;

		if (!(command->options & CLI_OPT(i)))
			continue;
		if (option->short_name)
			len = snprintf(flag, sizeof(flag), "-%c, ", option->short_name);
		else
			len = snprintf(flag, sizeof(flag), "    ");
		snprintf(flag + len, sizeof(flag) - len, "--%s%s%s", option->name,
			 option->arg ? " " : "", option->arg ?: "");
		fprintf(out, "  %-*s ", FLAG_WIDTH, flag);
		print_wrapped(out, option->help, 2 + FLAG_WIDTH + 1);
	}
}

void cli_help(const struct cli *cli, FILE *out, const struct cli_command *command)
{
	if (command) {
		print_command_help(cli, out, command);
		return;
	}
	fprintf(out, "Usage: %s COMMAND [options]\n", cli->name);
	if (cli->default_command) {
		fputs("       ", out);
		print_usage_line(cli, out, cli->default_command, false);
	}
	fprintf(out, "\n%s\n\nCommands:\n", cli->about);
	for (unsigned int i = 0; i < cli->nr_commands; i++)
		fprintf(out, "  %-12s %s%s\n", cli->commands[i].name,
			cli->commands[i].summary,
			&cli->commands[i] == cli->default_command ? " (default)" : "");
	fprintf(out, "\nRun '%s COMMAND --help' for the options of a command.\n",
		cli->name);
}

int cli_main(const struct cli *cli, int argc, char **argv)
{
	struct cli_args *args = calloc(1, sizeof(*args));
	int verbose = index_of_name(cli, "verbose"), status;

	if (!args)
		return cli_fail("out of memory");
	/* Alone, as every tool takes it: no command needed. */
	if (argc == 2 && !strcmp(argv[1], "--version")) {
		printf("%s %s\n", cli->name, VFMIG_VERSION);
		free(args);
		return 0;
	}
	switch (cli_parse(cli, argc, argv, args)) {
	case CLI_HELP:
		cli_help(cli, stdout, args->command);
		status = 0;
		break;
	case CLI_USAGE:
		fprintf(stderr, "%s: %s (see %s%s%s --help)\n", cli->name,
			args->error, cli->name, args->command ? " " : "",
			args->command ? args->command->name : "");
		status = CLI_EXIT_USAGE;
		break;
	default:
		cli_verbose = verbose >= 0 && (args->seen & CLI_OPT(verbose));
		status = args->command->run(args);
		break;
	}
	free(args);
	return status;
}

static void vreport(const char *prefix, const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: %s", cli_program, prefix);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

int cli_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("", fmt, ap);
	va_end(ap);
	return EXIT_FAILURE;
}

void cli_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("warning: ", fmt, ap);
	va_end(ap);
}

void cli_note(const char *fmt, ...)
{
	va_list ap;

	if (!cli_verbose)
		return;
	va_start(ap, fmt);
	vreport("", fmt, ap);
	va_end(ap);
}
