// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Writes the seed corpus of stream_fuzz into DIR: valid streams of each
 * shape and one of each kind of refusal, built with the user-space stream
 * builder so they follow the format as it is now.  Usage: make-seeds DIR
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "stream.h"

#define HDR	sizeof(struct vfmig_stream_header)

static const struct vfmig_stream_expect edu = {
	.vendor = 0x1234, .device = 0x11e8,
	.subsystem_vendor = 0x1af4, .subsystem_device = 0x1100,
	.program = "edu", .program_version = 1,
};

static const char *dir;
static int failed;

static void write_seed(const char *name, const void *data, size_t len)
{
	char path[4096];
	FILE *file;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	file = fopen(path, "w");
	if (!file || fwrite(data, 1, len, file) != len) {
		perror(path);
		failed = 1;
	}
	if (file && fclose(file)) {
		perror(path);
		failed = 1;
	}
}

/* @nr_precopy PRECOPY units of @size bytes then a FINAL one, from @id. */
static struct stream_buf build(const struct vfmig_stream_expect *id,
			       int nr_precopy, size_t size)
{
	unsigned char payload[1024];
	struct stream_buf s = { 0 };

	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = i * 31 + 7;
	if (size > sizeof(payload))
		size = sizeof(payload);
	for (int i = 0; i < nr_precopy; i++)
		failed |= stream_add_unit(&s, id, VFMIG_STREAM_PRECOPY, payload, size);
	failed |= stream_add_unit(&s, id, VFMIG_STREAM_FINAL, payload, size);
	return s;
}

static void seed(const char *name, const struct stream_buf *s, size_t len)
{
	write_seed(name, s->data, len);
}

int main(int argc, char **argv)
{
	struct vfmig_stream_expect other = edu;
	struct stream_buf s;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	dir = argv[1];

	s = build(&edu, 0, 0);
	seed("final-empty", &s, s.len);
	stream_buf_free(&s);

	s = build(&edu, 0, 16);
	seed("final-16", &s, s.len);
	seed("truncated-header", &s, HDR - 1);
	seed("truncated-payload", &s, s.len - 1);
	s.data[HDR] ^= 1;
	seed("bad-checksum", &s, s.len);
	stream_buf_free(&s);

	s = build(&edu, 1, 40);
	seed("precopy-final", &s, s.len);
	seed("no-final", &s, HDR + 40);
	stream_buf_free(&s);

	s = build(&edu, VFMIG_STREAM_MAX_UNITS - 1, 3);
	seed("max-units", &s, s.len);
	stream_buf_free(&s);
	s = build(&edu, VFMIG_STREAM_MAX_UNITS, 3);
	seed("too-many-units", &s, s.len);
	stream_buf_free(&s);

	s = build(&edu, 0, 1024);
	seed("final-1k", &s, s.len);
	stream_buf_free(&s);

	s = build(&edu, 1, 8);
	failed |= stream_add_unit(&s, &edu, VFMIG_STREAM_FINAL, "x", 1);
	seed("trailing-unit", &s, s.len);
	stream_buf_free(&s);

	strcpy(other.program, "other");
	s = build(&edu, 1, 8);
	s.len = HDR + 8;	/* keep the PRECOPY unit, add another's FINAL */
	failed |= stream_add_unit(&s, &other, VFMIG_STREAM_FINAL, "y", 1);
	seed("mixed-programs", &s, s.len);
	stream_buf_free(&s);

	if (failed)
		fprintf(stderr, "make-seeds: could not write every seed\n");
	return failed ? 1 : 0;
}
