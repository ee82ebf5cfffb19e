// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * vfmig-load: attach vfmig vendor programs to devices, detach them, show
 * them.  See "vfmig-load --help"; the commands live in args.c.
 */
#include "args.h"
#include "report.h"

int main(int argc, char **argv)
{
	report_init(false);	/* -v, once parsed, turns on libbpf's output */
	return cli_main(&load_cli, argc, argv);
}
