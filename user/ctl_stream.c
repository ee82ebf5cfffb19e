// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The commands of vfmig-ctl that need no device: inspect checks a saved
 * stream with the module's own parser; make-stream builds one for tests.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "stream.h"
#include "stream_file.h"

static int hex_digit(char c)
{
	if (!isxdigit((unsigned char)c))
		return -1;
	return isdigit((unsigned char)c) ? c - '0' : tolower((unsigned char)c) - 'a' + 10;
}

long parse_hex(const char *text, unsigned char *buf)
{
	size_t len = strlen(text);

	if (len % 2)
		return -EINVAL;
	for (size_t i = 0; i < len; i += 2) {
		int high = hex_digit(text[i]), low = hex_digit(text[i + 1]);

		if (high < 0 || low < 0)
			return -EINVAL;
		if (buf)
			buf[i / 2] = high << 4 | low;
	}
	return len / 2;
}

int parse_ids(const char *text, struct vfmig_stream_expect *id)
{
	unsigned int ids[4] = { 0 };
	int count = 0;

	for (const char *pos = text;; pos++) {
		size_t len = strcspn(pos, ":");
		char *end;

		if (count == 4 || len < 1 || len > 4 || !isxdigit((unsigned char)*pos))
			return -EINVAL;
		ids[count++] = strtoul(pos, &end, 16);
		if (end != pos + len)
			return -EINVAL;
		pos += len;
		if (!*pos)
			break;
	}
	if (count != 2 && count != 4)
		return -EINVAL;
	id->vendor = ids[0];
	id->device = ids[1];
	id->subsystem_vendor = ids[2];
	id->subsystem_device = ids[3];
	return 0;
}

/* A program name from a stream, which may hold any byte but NUL. */
static void print_name(const char *name)
{
	for (; *name; name++) {
		unsigned char c = *name;

		if (isprint(c) && c != '\\')
			putchar(c);
		else
			printf("\\x%02x", c);
	}
}

int cmd_inspect(const struct ctl_opts *opts)
{
	const char *path = opts->operand, *reason = "";
	struct vfmig_stream_info info;
	__u64 len;
	int fd, err;

	if (in_file_open(path, &fd, &len))
		return EXIT_FAILURE;
	err = stream_parse_fd(fd, len, NULL, &info, &reason);
	close(fd);
	if (err)
		return cli_fail("%s: %s", path, reason);

	printf("stream: %s (%llu bytes)\n", path, (unsigned long long)len);
	printf("device: %04x:%04x subsystem %04x:%04x\n", info.id.vendor,
	       info.id.device, info.id.subsystem_vendor, info.id.subsystem_device);
	printf("program: ");
	print_name(info.id.program);
	printf(" version %u\n", info.id.program_version);
	for (unsigned int i = 0; i < info.nr_units; i++) {
		const struct vfmig_stream_unit *unit = &info.units[i];

		printf("unit %u: %s %llu bytes (payload at %llu)\n", i,
		       unit->flags & VFMIG_STREAM_FINAL ? "final" : "precopy",
		       (unsigned long long)unit->payload_len,
		       (unsigned long long)unit->payload_offset);
	}
	printf("total: %u unit%s, %llu payload bytes\nchecksum ok\n", info.nr_units,
	       info.nr_units == 1 ? "" : "s", (unsigned long long)info.payload_total);
	return 0;
}

/* Appends a unit whose payload is the hex string @hex; 0 or -errno. */
static int add_hex_unit(struct stream_buf *s, const struct vfmig_stream_expect *id,
			__u32 flags, const char *hex)
{
	unsigned char *payload = malloc(strlen(hex) / 2 + 1);
	long len = payload ? parse_hex(hex, payload) : -ENOMEM;
	int err = len < 0 ? (int)len : stream_add_unit(s, id, flags, payload, len);

	free(payload);
	return err;
}

/* The units of make-stream into @s; 0 or EXIT_FAILURE. */
static int build_stream(const struct ctl_opts *opts, struct stream_buf *s)
{
	const struct vfmig_stream_expect *id = &opts->id;
	const char *path = opts->payload_file;
	unsigned char *payload;
	size_t len;
	int err = 0;

	for (unsigned int i = 0; i < opts->nr_precopy_hex && !err; i++)
		err = add_hex_unit(s, id, VFMIG_STREAM_PRECOPY, opts->precopy_hex[i]);
	if (!err && !path)
		err = add_hex_unit(s, id, VFMIG_STREAM_FINAL, opts->payload_hex ?: "");
	if (!err && path) {
		if (read_file(path, &payload, &len))
			return EXIT_FAILURE;
		err = stream_add_unit(s, id, VFMIG_STREAM_FINAL, payload, len);
		free(payload);
	}
	return err ? cli_fail("cannot build the stream: %s", strerror(-err)) : 0;
}

int cmd_make_stream(const struct ctl_opts *opts)
{
	const char *path = opts->output;
	unsigned int units = opts->nr_precopy_hex + 1;
	struct stream_buf s = { 0 };
	struct out_file file;
	int err;

	if (opts->payload_hex && opts->payload_file) {
		fprintf(stderr, "%s: give --payload-hex or --payload-file, not both (see %s make-stream --help)\n",
			ctl_cli.name, ctl_cli.name);
		return CLI_EXIT_USAGE;
	}
	err = build_stream(opts, &s);
	if (!err)
		err = out_file_open(&file, path);
	if (!err) {
		err = write_full(file.fd, s.data, s.len);
		if (err) {
			out_file_abort(&file);
			err = cli_fail("cannot write %s: %s", file.tmp, strerror(-err));
		} else {
			err = out_file_commit(&file);
		}
	}
	if (!err)
		fprintf(file.tmp[0] ? stdout : stderr, "wrote %zu bytes (%u unit%s) to %s\n",
			s.len, units, units == 1 ? "" : "s", path);
	stream_buf_free(&s);
	return err;
}
