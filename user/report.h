/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * How vfmig-load talks to its user: one-line errors that name the fix, and
 * libbpf's output, which is silenced unless -v.
 */
#ifndef VFMIG_REPORT_H
#define VFMIG_REPORT_H

#include <stdbool.h>

#define PROG_NAME	"vfmig-load"

/* Exit statuses: a failure reported with fail(), a usage error. */
#define EXIT_FAIL	1
#define EXIT_USAGE	2

/* Prints "vfmig-load: MESSAGE" on stderr and returns EXIT_FAIL. */
int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The same with a "warning: " prefix, for what does not stop the command. */
void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Routes libbpf's output: all of it with -v, else keeps the first warning. */
void report_init(bool verbose);
bool report_verbose(void);
/* The first libbpf warning since the last call, or "" (then cleared). */
const char *libbpf_take_warning(void);
/* strerror() that also knows libbpf's own codes; takes a negative errno. */
const char *errstr(int err);

#endif /* VFMIG_REPORT_H */
