/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The command line of vfmig-load: its options (indices into the table of
 * args.c) and commands, parsed by cli.c, and what the commands read of it.
 */
#ifndef VFMIG_ARGS_H
#define VFMIG_ARGS_H

#include <stdbool.h>

#include "bdf.h"
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
 * What a command of vfmig-load was given, filled once from its command line
 * (the option table's checks let only valid arguments through); each
 * command reads the fields it takes, as xdp-tools' commands do.
 */
struct load_opts {
	const char *object;		/* OBJ, the operand; NULL: none */
	char bdf[VFMIG_BDF_LEN];	/* --bdf in canonical form; "": none */
	const char *config;		/* --config, else VFMIG_CONFIG_FILE */
	bool bind;			/* --bind */
	bool force;			/* --force */
	bool json;			/* --json */
	bool verbose;			/* -v */
};

void load_opts_fill(struct load_opts *opts, const struct cli_args *args);

#endif /* VFMIG_ARGS_H */
