/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * How vfmig-load talks to its user: one-line errors that name the fix
 * (cli.h's, under shorter names), and libbpf's output, which is silenced
 * unless -v.
 */
#ifndef VFMIG_REPORT_H
#define VFMIG_REPORT_H

#include <stdbool.h>
#include <stdlib.h>

#include "cli.h"

#define PROG_NAME	"vfmig-load"

/* The exit status of a failure reported with fail(). */
#define EXIT_FAIL	EXIT_FAILURE

/* Prints "vfmig-load: MESSAGE" on stderr and returns EXIT_FAIL. */
#define fail(...)	cli_fail(__VA_ARGS__)
/* The same with a "warning: " prefix, for what does not stop the command. */
#define warn(...)	cli_warn(__VA_ARGS__)

/*
 * Names vfmig-load in messages and routes libbpf's output: all of it with
 * -v (cli_verbose, which cli_main() sets from the command line, or
 * @verbose until then), else keeps the first warning.
 */
void report_init(bool verbose);
bool report_verbose(void);
/* The first libbpf warning since the last call, or "" (then cleared). */
const char *libbpf_take_warning(void);
/* strerror() that also knows libbpf's own codes; takes a negative errno. */
const char *errstr(int err);

#endif /* VFMIG_REPORT_H */
