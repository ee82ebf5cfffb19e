// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bdf.h"

/* Reads exactly @digits hex digits at *pos and advances past them. */
static int hex_field(const char **pos, int digits, unsigned int *value)
{
	*value = 0;
	for (int i = 0; i < digits; i++) {
		unsigned char c = (*pos)[i];

		if (!isxdigit(c))
			return -EINVAL;
		*value = *value * 16 + (isdigit(c) ? c - '0' : tolower(c) - 'a' + 10);
	}
	*pos += digits;
	return 0;
}

static int separator(const char **pos, char expected)
{
	return *(*pos)++ == expected ? 0 : -EINVAL;
}

int bdf_parse(const char *text, char canonical[VFMIG_BDF_LEN])
{
	unsigned int domain = 0, bus, device, function;
	const char *pos = text;
	size_t len = strlen(text);

	if (len == strlen("DDDD:BB:DD.F")) {
		if (hex_field(&pos, 4, &domain) || separator(&pos, ':'))
			return -EINVAL;
	} else if (len != strlen("BB:DD.F")) {
		return -EINVAL;
	}
	/* The length check above keeps every read inside the string. */
	if (hex_field(&pos, 2, &bus) || separator(&pos, ':') ||
	    hex_field(&pos, 2, &device) || separator(&pos, '.') ||
	    hex_field(&pos, 1, &function))
		return -EINVAL;
	if (device > 0x1f || function > 7)
		return -EINVAL;
	snprintf(canonical, VFMIG_BDF_LEN, "%04x:%02x:%02x.%x",
		 domain, bus, device, function);
	return 0;
}
