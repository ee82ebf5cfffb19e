/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The command line of vfmig-load: its options (indices into the table of
 * args.c) and commands, parsed by cli.c, and what the commands read of it.
 */
#ifndef VFMIG_ARGS_H
#define VFMIG_ARGS_H

#include "cli.h"

enum load_option {
	LOAD_OPT_BDF,
	LOAD_OPT_BIND,
	LOAD_OPT_FORCE,
	LOAD_OPT_CONFIG,
	LOAD_OPT_JSON,
	LOAD_OPT_VERBOSE,
	LOAD_OPT_HELP,
	NR_LOAD_OPTIONS
};

extern const struct cli load_cli;

/*
 * The --bdf given, in canonical form ("dddd:bb:dd.f"), or "" when none was;
 * in a static buffer.
 */
const char *args_bdf(const struct cli_args *args);

#endif /* VFMIG_ARGS_H */
