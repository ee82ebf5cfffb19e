/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Just enough JSON output for status --json. */
#ifndef VFMIG_JSON_H
#define VFMIG_JSON_H

#include <stdbool.h>
#include <stdio.h>

/* @text quoted and escaped, or null when @text is NULL. */
void json_string(FILE *out, const char *text);
/* @value, or null when !@valid. */
void json_number(FILE *out, unsigned long long value, bool valid);

#endif /* VFMIG_JSON_H */
