// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The command line of vfmig-load: its options and commands (see cli.h).
 * Load is the default command: "vfmig-load OBJ --bdf BDF".
 */
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "bdf.h"
#include "commands.h"
#include "config.h"
#include "report.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static const char *check_bdf(const char *arg)
{
	char canonical[VFMIG_BDF_LEN];

	return !bdf_parse(arg, canonical) ? NULL
		: "expected " BDF_FORMS ", device <= 1f, function <= 7";
}

static const struct cli_option options[NR_LOAD_OPTIONS] = {
	[LOAD_OPT_BDF] = { .name = "bdf", .arg = "BDF", .help = "the device, " BDF_FORMS,
			   .check = check_bdf },
	[LOAD_OPT_BIND] = { .name = "bind",
			    .help = "bind the device to " VFMIG_DRIVER_NAME " first" },
	[LOAD_OPT_FORCE] = { .name = "force",
			     .help = "attach an object that declares no PCI ids (a warning)" },
	[LOAD_OPT_CONFIG] = { .name = "config", .arg = "FILE",
			      .help = "the configuration (default /etc/vfmig/devices.conf)" },
	[LOAD_OPT_JSON] = { .name = "json", .help = "print JSON" },
	[LOAD_OPT_VERBOSE] = { .name = "verbose", .short_name = 'v',
			       .help = "libbpf debug output, full verifier log" },
	[LOAD_OPT_HELP] = { .name = "help", .short_name = 'h', .help = "show this help" },
};

void load_opts_fill(struct load_opts *opts, const struct cli_args *args)
{
	const char *bdf = cli_value(args, LOAD_OPT_BDF);

	*opts = (struct load_opts){
		.object = args->operand,
		.config = cli_value(args, LOAD_OPT_CONFIG) ?: VFMIG_CONFIG_FILE,
		.bind = args->seen & CLI_OPT(LOAD_OPT_BIND),
		.force = args->seen & CLI_OPT(LOAD_OPT_FORCE),
		.json = args->seen & CLI_OPT(LOAD_OPT_JSON),
		.verbose = args->seen & CLI_OPT(LOAD_OPT_VERBOSE),
	};
	/* check_bdf() let only a parsable one through. */
	if (bdf)
		bdf_parse(bdf, opts->bdf);
}

/* The table runs each command with its options filled once. */
#define RUN(command)							\
	static int run_##command(const struct cli_args *args)		\
	{								\
		struct load_opts opts;					\
									\
		load_opts_fill(&opts, args);				\
		return cmd_##command(&opts);				\
	}
RUN(load)
RUN(replace)
RUN(unload)
RUN(status)
RUN(inspect_object)
RUN(apply)
RUN(release)
RUN(bind)

#define BDF_OPT		CLI_OPT(LOAD_OPT_BDF)
#define COMMON		(CLI_OPT(LOAD_OPT_VERBOSE) | CLI_OPT(LOAD_OPT_HELP))

/* The first is the default command (load_cli below). */
static const struct cli_command commands[] = {
	{ "load", "OBJ", "the vendor program, a .bpf.o",
	  "attach vendor program OBJ to a device, pin it",
	  "The device must be one of the PCI ids OBJ declares (vfmig-load inspect OBJ\n"
	  "lists them); an object that declares none needs --force.",
	  BDF_OPT | CLI_OPT(LOAD_OPT_BIND) | CLI_OPT(LOAD_OPT_FORCE) | COMMON, BDF_OPT,
	  run_load },
	{ "replace", "OBJ", "the new vendor program, a .bpf.o",
	  "swap the program of a device for OBJ in one step",
	  "The device's pinned link is updated (bpf_link_update): every access is\n"
	  "served by the old program or the new one, never by neither; OBJ's init()\n"
	  "runs first, and a refusal leaves the old program in place.",
	  BDF_OPT | CLI_OPT(LOAD_OPT_FORCE) | COMMON, BDF_OPT, run_replace },
	{ "unload", NULL, NULL, "detach the program of a device and remove its pins", NULL,
	  BDF_OPT | COMMON, BDF_OPT, run_unload },
	{ "status", NULL, NULL, "show devices, programs, pins and access counters", NULL,
	  BDF_OPT | CLI_OPT(LOAD_OPT_JSON) | COMMON, 0, run_status },
	{ "inspect", "OBJ", "a vendor program, a .bpf.o",
	  "show what OBJ declares: devices, versions, flags, callbacks, license",
	  "Reads the file only: needs neither the module nor a device nor root.",
	  CLI_OPT(LOAD_OPT_JSON) | COMMON, 0, run_inspect_object },
	{ "apply", NULL, NULL,
	  "attach what the configuration says to a device (all without --bdf)",
	  "What udev runs as a device binds to or unbinds from " VFMIG_DRIVER_NAME " (90-vfmig.rules):\n"
	  "removes pins a gone program left, then loads or replaces the program the\n"
	  "configuration names for the device, or tells the kernel none comes.",
	  BDF_OPT | CLI_OPT(LOAD_OPT_CONFIG) | COMMON, 0, run_apply },
	{ "release", NULL, NULL,
	  "give a device back to the driver it had before bind",
	  "Detaches its program and removes its pins first.",
	  BDF_OPT | COMMON, BDF_OPT, run_release },
	{ "bind", NULL, NULL,
	  "bind a device to " VFMIG_DRIVER_NAME " (driver_override, reprobe)", NULL,
	  BDF_OPT | COMMON, BDF_OPT, run_bind },
};

/* An option or an object path, not a mistyped command: load is implied. */
static bool starts_load(const char *arg)
{
	return arg[0] == '-' || strchr(arg, '.') || strchr(arg, '/') ||
	       !access(arg, F_OK);
}

const struct cli load_cli = {
	.name = PROG_NAME,
	.about = "Attach vfmig vendor programs (BPF struct_ops " VFMIG_OPS_TYPE ") to PCI\n"
		 "devices bound to " VFMIG_DRIVER_NAME ", detach them, show them.",
	.options = options,
	.nr_options = NR_LOAD_OPTIONS,
	.commands = commands,
	.nr_commands = ARRAY_SIZE(commands),
	.default_command = &commands[0],
	.starts_default = starts_load,
};
