// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The command line of vfmig-ctl: its options and commands (see cli.h), and
 * the checks that turn a bad argument into a usage error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bdf.h"
#include "ctl.h"
#include "dirty_log.h"
#include "vfio_dev.h"

static const char *check_bdf(const char *arg)
{
	char bdf[VFMIG_BDF_LEN];

	return bdf_parse(arg, bdf) ? "expected " BDF_FORMS ", device <= 1f, function <= 7"
				   : NULL;
}

static const char *check_states(const char *arg)
{
	__u32 states[CTL_MAX_STATES];

	return parse_states(arg, states, CTL_MAX_STATES) < 0 ?
	       "expected STATE[,STATE...] of " MIG_STATE_NAMES : NULL;
}

static const char *check_ids(const char *arg)
{
	struct vfmig_stream_expect id;

	return parse_ids(arg, &id) ? "expected VENDOR:DEVICE[:SUBVENDOR:SUBDEVICE] in hex"
				   : NULL;
}

static const char *check_program(const char *arg)
{
	return strlen(arg) >= VFMIG_NAME_LEN ? "longer than 31 characters" : NULL;
}

static const char *check_version(const char *arg)
{
	char *end;
	unsigned long long version = strtoull(arg, &end, 0);

	return !*arg || *end || arg[0] == '-' || version > 0xffffffffULL ?
	       "expected a number from 0 to 4294967295" : NULL;
}

static const char *check_hex(const char *arg)
{
	return parse_hex(arg, NULL) < 0 ? "expected pairs of hex digits" : NULL;
}

static const char *check_fd(const char *arg)
{
	char *end;
	long fd = strtol(arg, &end, 10);

	return !*arg || *end || fd < 0 || fd > 65535 ? "expected a file descriptor number" : NULL;
}

static const char *check_range(const char *arg)
{
	struct vfmig_dirty_range r;

	return parse_range(arg, &r) ? "expected IOVA:LENGTH, numbers in C notation, LENGTH > 0"
				    : NULL;
}

static const char *check_page_size(const char *arg)
{
	__u64 size;

	return parse_page_size(arg, &size) ? "expected a number of bytes" : NULL;
}

static const char *check_backend(const char *arg)
{
	enum vfio_backend backend;

	return vfio_backend_parse(arg, &backend) ? "expected auto, iommufd or container" : NULL;
}

static const char *check_via(const char *arg)
{
	enum dirty_via via;

	return dirty_via_parse(arg, &via) ? "expected auto, uapi or region" : NULL;
}

#define OPTION(n, s, a, h, ...)	{ .name = n, .short_name = s, .arg = a, .help = h, __VA_ARGS__ }

static const struct cli_option options[NR_CTL_OPTIONS] = {
	[OPT_BDF] = OPTION("bdf", 0, "BDF", "the device, " BDF_FORMS, .check = check_bdf),
	[OPT_OUTPUT] = OPTION("output", 'o', "FILE", "where to write the stream (- for stdout)"),
	[OPT_INPUT] = OPTION("input", 'i', "FILE", "the stream to load (- for stdin; a pipe will do)"),
	[OPT_SET] = OPTION("set", 0, "STATE[,...]",
			   "move to each STATE in turn, of: " MIG_STATE_NAMES,
			   .check = check_states),
	[OPT_IDS] = OPTION("ids", 0, "V:D[:SV:SD]",
			   "PCI ids of the saving device, hex (subsystem 0:0 if left out)",
			   .check = check_ids),
	[OPT_PROGRAM] = OPTION("program", 0, "NAME", "the saving program (vfmig_ops name)",
			       .check = check_program),
	[OPT_VERSION] = OPTION("version", 0, "N", "the saving program's version (default 0)",
			       .check = check_version),
	[OPT_PAYLOAD_HEX] = OPTION("payload-hex", 0, "HEX",
				   "payload of the final unit (default: none)",
				   .check = check_hex),
	[OPT_PAYLOAD_FILE] = OPTION("payload-file", 0, "FILE",
				    "payload of the final unit, from a file"),
	[OPT_PRECOPY_HEX] = OPTION("precopy-hex", 0, "HEX",
				   "payload of a PRECOPY unit before the final one (repeat for more)",
				   .repeats = true, .check = check_hex),
	[OPT_PRECOPY] = OPTION("precopy", 0, NULL,
			       "start in pre-copy: save its data up to the device's temporary end, then go on in stop-copy"),
	[OPT_FD] = OPTION("fd", 0, "N", "an open VFIO device fd inherited from the process holding the device (instead of --bdf)",
			  .check = check_fd),
	[OPT_RANGE] = OPTION("range", 0, "IOVA:LENGTH", "an IOVA range (repeat for more)",
			     .repeats = true, .check = check_range),
	[OPT_PAGE_SIZE] = OPTION("page-size", 0, "BYTES",
				 "the log's (start) or the report's granule (default 4096)",
				 .check = check_page_size),
	[OPT_VIA] = OPTION("via", 0, "WAY", "auto (default), uapi (VFIO DMA logging) or region (the vfmig region, for kernels without IOMMUFD)",
			   .check = check_via),
	[OPT_BACKEND] = OPTION("backend", 0, "WAY", "how to open the device: auto (default: iommufd where the kernel has it), iommufd (the device cdev) or container (the legacy group)",
			       .check = check_backend),
	[OPT_VERBOSE] = OPTION("verbose", 'v', NULL, "say each step (VFIO calls, states, sizes)"),
	[OPT_HELP] = OPTION("help", 'h', NULL, "show this help"),
};

void ctl_opts_fill(struct ctl_opts *opts, const struct cli_args *args)
{
	const char *version = cli_value(args, OPT_VERSION);
	const char *text;

	*opts = (struct ctl_opts){
		.command = args->command->name,
		.operand = args->operand,
		.fd = cli_value(args, OPT_FD),
		.backend = VFIO_BACKEND_AUTO,
		.output = cli_value(args, OPT_OUTPUT),
		.input = cli_value(args, OPT_INPUT),
		.payload_hex = cli_value(args, OPT_PAYLOAD_HEX),
		.payload_file = cli_value(args, OPT_PAYLOAD_FILE),
		.nr_precopy_hex = args->count[OPT_PRECOPY_HEX],
		.precopy = args->seen & CLI_OPT(OPT_PRECOPY),
		.nr_ranges = args->count[OPT_RANGE],
		.page_size = 4096,
		.via = DIRTY_VIA_AUTO,
	};
	/* Each argument was checked by the option's check: they all parse. */
	text = cli_value(args, OPT_BDF);
	if (text)
		bdf_parse(text, opts->bdf);
	text = cli_value(args, OPT_BACKEND);
	if (text)
		vfio_backend_parse(text, &opts->backend);
	text = cli_value(args, OPT_SET);
	if (text)
		opts->nr_states = parse_states(text, opts->states, CTL_MAX_STATES);
	text = cli_value(args, OPT_IDS);
	if (text)
		parse_ids(text, &opts->id);
	text = cli_value(args, OPT_PROGRAM);
	if (text)
		snprintf(opts->id.program, sizeof(opts->id.program), "%s", text);
	opts->id.program_version = version ? strtoul(version, NULL, 0) : 0;
	for (unsigned int i = 0; i < opts->nr_precopy_hex; i++)
		opts->precopy_hex[i] = args->value[OPT_PRECOPY_HEX][i];
	for (unsigned int i = 0; i < opts->nr_ranges; i++) {
		opts->range_text[i] = args->value[OPT_RANGE][i];
		parse_range(opts->range_text[i], &opts->ranges[i]);
	}
	text = cli_value(args, OPT_PAGE_SIZE);
	if (text)
		parse_page_size(text, &opts->page_size);
	text = cli_value(args, OPT_VIA);
	if (text)
		dirty_via_parse(text, &opts->via);
}

/* The table runs each command with its options filled once. */
#define RUN(command)							\
	static int run_##command(const struct cli_args *args)		\
	{								\
		struct ctl_opts opts;					\
									\
		ctl_opts_fill(&opts, args);				\
		return cmd_##command(&opts);				\
	}
RUN(features)
RUN(state)
RUN(save)
RUN(restore)
RUN(inspect)
RUN(make_stream)
RUN(dirty)

#define COMMON		(CLI_OPT(OPT_VERBOSE) | CLI_OPT(OPT_HELP))
#define DEVICE		(CLI_OPT(OPT_BDF) | CLI_OPT(OPT_BACKEND))

static const struct cli_command commands[] = {
	{ "features", NULL, NULL, "show the migration a device offers (VFIO device features)",
	  "Prints the migration flags (stop-copy, p2p, pre-copy), the stop-copy data size the device estimates, whether it offers DMA logging, and its state.",
	  DEVICE | COMMON, CLI_OPT(OPT_BDF), run_features },
	{ "state", NULL, NULL, "show the migration state of a device, or walk it with --set",
	  "The device returns to running when vfmig-ctl exits (closing a VFIO device does that), so --set walks arcs within one open: --set stop,resuming,stop. A data fd that a move returns is closed unread.",
	  DEVICE | CLI_OPT(OPT_SET) | COMMON, CLI_OPT(OPT_BDF), run_state },
	{ "save", NULL, NULL, "save the state of a device to FILE: stop-copy, read, stop",
	  "As a VMM does: moves the device to stop-copy (the kernel walks the arcs from running), reads the data fd to its end into FILE.tmp, renames it to FILE, then moves the device to stop.  With --fd, on a device another process holds open (whose state a close would reset).",
	  DEVICE | CLI_OPT(OPT_FD) | CLI_OPT(OPT_OUTPUT) | CLI_OPT(OPT_PRECOPY) |
	  COMMON, CLI_OPT(OPT_OUTPUT), run_save },
	{ "restore", NULL, NULL, "load FILE into a device: resuming, write, stop, running",
	  "As a VMM does: moves the device to resuming, writes FILE to the data fd and closes it, moves the device to stop, which is where the module checks the whole stream and loads it, then to running.",
	  DEVICE | CLI_OPT(OPT_FD) | CLI_OPT(OPT_INPUT) | COMMON,
	  CLI_OPT(OPT_INPUT), run_restore },
	{ "inspect", "FILE", "a saved stream",
	  "check a saved stream FILE and show what it holds (no device)",
	  "Checks its integrity with the module's own parser (format, units, CRC32C), not whether a given device would take it.",
	  CLI_OPT(OPT_HELP), 0, run_inspect },
	{ "make-stream", NULL, NULL, "write a valid stream built from arguments (for tests)",
	  "One PRECOPY unit for each --precopy-hex, in order, then the FINAL unit. Tests corrupt the result themselves (dd, printf).",
	  CLI_OPT(OPT_OUTPUT) | CLI_OPT(OPT_IDS) | CLI_OPT(OPT_PROGRAM) |
	  CLI_OPT(OPT_VERSION) | CLI_OPT(OPT_PRECOPY_HEX) | CLI_OPT(OPT_PAYLOAD_HEX) |
	  CLI_OPT(OPT_PAYLOAD_FILE) | CLI_OPT(OPT_HELP),
	  CLI_OPT(OPT_OUTPUT) | CLI_OPT(OPT_IDS) | CLI_OPT(OPT_PROGRAM), run_make_stream },
	{ "dirty", "ACTION", "start, report, stop or status",
	  "drive a device's DMA dirty log: start, report, stop, status",
	  "start logs the --range IOVA ranges at --page-size; report prints, and clears, the dirty runs inside each --range window as \"IOVA LENGTH\" lines and a count; stop ends the log.  Through the VFIO DMA logging uAPI where the kernel has it (IOMMUFD), else through the vfmig dirty-log region; --via picks one.  Closing the device stops the log, so use --fd with the device fd of a process that holds it open across commands.",
	  DEVICE | CLI_OPT(OPT_FD) | CLI_OPT(OPT_RANGE) | CLI_OPT(OPT_PAGE_SIZE) |
	  CLI_OPT(OPT_VIA) | COMMON, 0, run_dirty },
};

const struct cli ctl_cli = {
	.name = "vfmig-ctl",
	.about = "Drive the VFIO migration of a PCI device as a VMM does (VFIO uAPI only),\n"
		 "and check the vfmig streams it saves.  The device stays open while a\n"
		 "command runs; closing it returns the device to running.",
	.options = options,
	.nr_options = NR_CTL_OPTIONS,
	.commands = commands,
	.nr_commands = sizeof(commands) / sizeof(commands[0]),
};
