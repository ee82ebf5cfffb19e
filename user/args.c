// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <ctype.h>
#include <getopt.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "bdf.h"
#include "commands.h"
#include "report.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

enum option_bit {
	OPTION_BDF	= 1 << 0,
	OPTION_BIND	= 1 << 1,
	OPTION_JSON	= 1 << 2,
	OPTION_VERBOSE	= 1 << 3,
	OPTION_HELP	= 1 << 4,
};

struct option_spec {
	unsigned int bit;
	const char *name;
	char short_name;	/* 0: long form only */
	const char *arg;	/* the argument's name, NULL: takes none */
	const char *help;
};

static const struct option_spec option_specs[] = {
	{ OPTION_BDF, "bdf", 0, "BDF", "the device, " BDF_FORMS },
	{ OPTION_BIND, "bind", 0, NULL, "bind the device to " VFMIG_DRIVER_NAME " first" },
	{ OPTION_JSON, "json", 0, NULL, "print a JSON array of devices" },
	{ OPTION_VERBOSE, "verbose", 'v', NULL, "libbpf debug output, full verifier log" },
	{ OPTION_HELP, "help", 'h', NULL, "show this help" },
};

#define COMMON_OPTIONS	(OPTION_VERBOSE | OPTION_HELP)

/* The first one is the default command: "vfmig-load OBJ --bdf BDF". */
static const struct command commands[] = {
	{ "load", "OBJ", "the vendor program, a .bpf.o",
	  "attach vendor program OBJ (a .bpf.o) to a device, pin it",
	  OPTION_BDF | OPTION_BIND | COMMON_OPTIONS, OPTION_BDF, cmd_load },
	{ "unload", NULL, NULL, "detach the program of a device and remove its pins",
	  OPTION_BDF | COMMON_OPTIONS, OPTION_BDF, cmd_unload },
	{ "status", NULL, NULL, "show devices, programs, pins and access counters",
	  OPTION_BDF | OPTION_JSON | COMMON_OPTIONS, 0, cmd_status },
	{ "bind", NULL, NULL, "bind a device to " VFMIG_DRIVER_NAME " (driver_override, reprobe)",
	  OPTION_BDF | COMMON_OPTIONS, OPTION_BDF, cmd_bind },
};

/* getopt keys: the short name, or past any char for long-only options. */
static int option_key(const struct option_spec *spec)
{
	return spec->short_name ?: 256 + (int)(spec - option_specs);
}

static const struct option_spec *spec_of_key(int key)
{
	for (size_t i = 0; i < ARRAY_SIZE(option_specs); i++)
		if (option_key(&option_specs[i]) == key)
			return &option_specs[i];
	return NULL;
}

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

static enum parse_result usage_error(struct args *args, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static enum parse_result usage_error(struct args *args, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(args->error, sizeof(args->error), fmt, ap);
	va_end(ap);
	return ARGS_USAGE;
}

static void build_getopt_tables(const struct command *command,
				struct option *longopts, char *shortopts)
{
	/* A leading ':' makes getopt report a missing argument as ':'. */
	*shortopts++ = ':';
	for (size_t i = 0; i < ARRAY_SIZE(option_specs); i++) {
		const struct option_spec *spec = &option_specs[i];

		if (!(command->options & spec->bit))
			continue;
		*longopts++ = (struct option){
			.name = spec->name,
			.has_arg = spec->arg ? required_argument : no_argument,
			.val = option_key(spec),
		};
		if (spec->short_name) {
			*shortopts++ = spec->short_name;
			if (spec->arg)
				*shortopts++ = ':';
		}
	}
	*longopts = (struct option){ 0 };
	*shortopts = '\0';
}

static enum parse_result parse_options(int argc, char **argv, struct args *args)
{
	const struct command *command = args->command;
	struct option longopts[ARRAY_SIZE(option_specs) + 1];
	char shortopts[3 * ARRAY_SIZE(option_specs) + 2];
	const char *bdf_text = NULL;
	unsigned int seen = 0;
	int key, operands;

	build_getopt_tables(command, longopts, shortopts);
	optind = 0;	/* 0, not 1: glibc then resets all its state */
	opterr = 0;
	while ((key = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		const struct option_spec *spec = spec_of_key(key);

		if (key == '?') {
			char short_form[3] = { '-', (char)optopt, '\0' };

			return usage_error(args, "unknown option '%s' for %s",
					   optopt ? short_form : argv[optind - 1],
					   command->name);
		}
		if (key == ':')
			return usage_error(args, "option '%s' needs an argument",
					   argv[optind - 1]);
		seen |= spec->bit;
		switch (spec->bit) {
		case OPTION_BDF:
			bdf_text = optarg;
			break;
		case OPTION_BIND:
			args->bind = true;
			break;
		case OPTION_JSON:
			args->json = true;
			break;
		case OPTION_VERBOSE:
			args->verbose = true;
			break;
		}
	}
	if (seen & OPTION_HELP)
		return ARGS_HELP;

	operands = argc - optind;
	if (command->operand && operands == 0)
		return usage_error(args, "%s needs %s, %s", command->name,
				   command->operand, command->operand_help);
	if (operands > (command->operand ? 1 : 0))
		return usage_error(args, "unexpected argument '%s' for %s",
				   argv[argc - 1], command->name);
	if (command->operand)
		args->object = argv[optind];

	if ((command->required & OPTION_BDF) && !bdf_text)
		return usage_error(args, "%s needs --bdf BDF, the device, e.g. 0000:3b:00.1",
				   command->name);
	if (bdf_text && bdf_parse(bdf_text, args->bdf))
		return usage_error(args, "bad BDF '%s': expected " BDF_FORMS
				   ", device <= 1f, function <= 7", bdf_text);
	return ARGS_RUN;
}

/* An option or an object path, not a mistyped command: load is implied. */
static bool looks_like_object(const char *arg)
{
	return arg[0] == '-' || strchr(arg, '.') || strchr(arg, '/') ||
	       !access(arg, F_OK);
}

enum parse_result parse_args(int argc, char **argv, struct args *args)
{
	const char *first;

	memset(args, 0, sizeof(*args));
	if (argc < 2)
		return usage_error(args, "no command given");
	first = argv[1];

	if (!strcmp(first, "-h") || !strcmp(first, "--help"))
		return ARGS_HELP;
	if (!strcmp(first, "help")) {
		args->command = argc > 2 ? find_command(argv[2]) : NULL;
		return ARGS_HELP;
	}
	args->command = find_command(first);
	if (args->command)
		return parse_options(argc - 1, argv + 1, args);
	if (!looks_like_object(first))
		return usage_error(args, "unknown command '%s': not load, unload, status"
				   " or bind, nor an OBJ path", first);
	args->command = &commands[0];
	return parse_options(argc, argv, args);
}

static void print_usage_line(FILE *out, const struct command *command,
			     bool with_name)
{
	fputs(PROG_NAME, out);
	if (with_name)
		fprintf(out, " %s", command->name);
	if (command->operand)
		fprintf(out, " %s", command->operand);
	for (size_t i = 0; i < ARRAY_SIZE(option_specs); i++) {
		const struct option_spec *spec = &option_specs[i];
		bool required = command->required & spec->bit;

		/* Every command takes -h: the usage line need not say so. */
		if (!(command->options & spec->bit) || spec->bit == OPTION_HELP)
			continue;
		fprintf(out, " %s", required ? "" : "[");
		if (spec->short_name)
			fprintf(out, "-%c", spec->short_name);
		else
			fprintf(out, "--%s", spec->name);
		if (spec->arg)
			fprintf(out, " %s", spec->arg);
		fputs(required ? "" : "]", out);
	}
	fputc('\n', out);
}

static void print_command_help(FILE *out, const struct command *command)
{
	fputs("Usage: ", out);
	print_usage_line(out, command, true);
	if (command == &commands[0]) {
		fputs("       ", out);
		print_usage_line(out, command, false);
	}
	fprintf(out, "\n%c%s.\n\nOptions:\n", toupper(command->summary[0]),
		command->summary + 1);
	for (size_t i = 0; i < ARRAY_SIZE(option_specs); i++) {
		const struct option_spec *spec = &option_specs[i];
		char flag[32];
		int len;

		if (!(command->options & spec->bit))
			continue;
		if (spec->short_name)
			len = snprintf(flag, sizeof(flag), "-%c, ", spec->short_name);
		else
			len = snprintf(flag, sizeof(flag), "    ");
		snprintf(flag + len, sizeof(flag) - len, "--%s%s%s", spec->name,
			 spec->arg ? " " : "", spec->arg ?: "");
		fprintf(out, "  %-17s %s\n", flag, spec->help);
	}
}

void print_help(FILE *out, const struct command *command)
{
	if (command) {
		print_command_help(out, command);
		return;
	}
	fprintf(out, "Usage: %s COMMAND [options]\n       ", PROG_NAME);
	print_usage_line(out, &commands[0], false);
	fputs("\nAttach vfmig vendor programs (BPF struct_ops " VFMIG_OPS_TYPE ") to PCI\n"
	      "devices bound to " VFMIG_DRIVER_NAME ", detach them, show them.\n\nCommands:\n", out);
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(out, "  %-8s %s%s\n", commands[i].name, commands[i].summary,
			i == 0 ? " (default)" : "");
	fputs("\nRun '" PROG_NAME " COMMAND --help' for the options of a command.\n", out);
}
