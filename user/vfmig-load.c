// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * vfmig-load: attach vfmig vendor programs to devices, detach them, show
 * them.  See "vfmig-load --help"; the commands live in args.c.
 */
#include <stdio.h>

#include "args.h"
#include "report.h"

int main(int argc, char **argv)
{
	struct args args;

	switch (parse_args(argc, argv, &args)) {
	case ARGS_HELP:
		print_help(stdout, args.command);
		return 0;
	case ARGS_USAGE:
		fprintf(stderr, PROG_NAME ": %s (see " PROG_NAME "%s%s --help)\n",
			args.error, args.command ? " " : "",
			args.command ? args.command->name : "");
		return EXIT_USAGE;
	case ARGS_RUN:
		break;
	}
	report_init(args.verbose);
	return args.command->run(&args);
}
