// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "report.h"

/* Without -v libbpf is quiet, but its first warning often is the reason. */
static char first_warning[256];

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	size_t len;

	if (cli_verbose)
		return vfprintf(stderr, fmt, ap);
	if (level != LIBBPF_WARN || first_warning[0])
		return 0;
	vsnprintf(first_warning, sizeof(first_warning), fmt, ap);
	len = strcspn(first_warning, "\n");
	first_warning[len] = '\0';
	return 0;
}

void report_init(bool verbose)
{
	/* Also for what fails before (or without) cli_parse(). */
	cli_program = PROG_NAME;
	cli_verbose = verbose;
	libbpf_set_print(libbpf_print);
}

bool report_verbose(void)
{
	return cli_verbose;
}

const char *libbpf_take_warning(void)
{
	static char taken[sizeof(first_warning)];
	const char *text = first_warning;

	/* libbpf prefixes its lines with "libbpf: "; the caller adds context. */
	if (!strncmp(text, "libbpf: ", 8))
		text += 8;
	strcpy(taken, text);
	first_warning[0] = '\0';
	return taken;
}

const char *errstr(int err)
{
	static char text[128];

	libbpf_strerror(err, text, sizeof(text));
	return text;
}
