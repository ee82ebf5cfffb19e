// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "report.h"

static bool verbose;
/* Without -v libbpf is quiet, but its first warning often is the reason. */
static char first_warning[256];

static void vreport(const char *prefix, const char *fmt, va_list ap)
{
	fprintf(stderr, PROG_NAME ": %s", prefix);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

int fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("", fmt, ap);
	va_end(ap);
	return EXIT_FAIL;
}

void warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("warning: ", fmt, ap);
	va_end(ap);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	size_t len;

	if (verbose)
		return vfprintf(stderr, fmt, ap);
	if (level != LIBBPF_WARN || first_warning[0])
		return 0;
	vsnprintf(first_warning, sizeof(first_warning), fmt, ap);
	len = strcspn(first_warning, "\n");
	first_warning[len] = '\0';
	return 0;
}

void report_init(bool want_verbose)
{
	verbose = want_verbose;
	libbpf_set_print(libbpf_print);
}

bool report_verbose(void)
{
	return verbose;
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
