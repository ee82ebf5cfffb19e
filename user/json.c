// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "json.h"

void json_string(FILE *out, const char *text)
{
	if (!text) {
		fputs("null", out);
		return;
	}
	fputc('"', out);
	for (const unsigned char *c = (const unsigned char *)text; *c; c++) {
		if (*c == '"' || *c == '\\')
			fprintf(out, "\\%c", *c);
		else if (*c < 0x20)
			fprintf(out, "\\u%04x", *c);
		else
			fputc(*c, out);	/* UTF-8 passes through as is */
	}
	fputc('"', out);
}

void json_number(FILE *out, unsigned long long value, bool valid)
{
	if (valid)
		fprintf(out, "%llu", value);
	else
		fputs("null", out);
}
