// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target for the shared stream parser (lib/vfmig_stream.c),
 * which the module runs on bytes a VMM hands it.  Each input is parsed
 * as it is and again with every unit's CRC recomputed ("resealed"):
 * random bytes almost never carry a right CRC, and resealing lets the
 * fuzzer reach what the parser checks after it (unit order, counts, ends).
 * Each parse runs without a receiving device, as the stream's own device,
 * and as another one.  On success the result must describe the input
 * exactly; on failure the error must be one the parser documents.
 *
 * Build: clang -fsanitize=fuzzer,address,undefined (see selftests/Makefile,
 * target fuzz).  A crashing input is a stream: vfmig-ctl inspect reads it.
 */
#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crc32c.h"
#include "stream.h"

#define HDR	sizeof(struct vfmig_stream_header)

/* Like assert(), but kept whatever NDEBUG says, and says what failed. */
#define CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "stream_fuzz.c:%d: %s\n", __LINE__, #cond);	\
		abort();						\
	}								\
} while (0)

struct input {
	const uint8_t *data;
	size_t len;
};

static int input_read(void *ctx, __u64 off, void *buf, __u32 len)
{
	const struct input *in = ctx;

	/* The parser must never read outside the stream it was given. */
	CHECK(off <= in->len && len <= in->len - off);
	memcpy(buf, in->data + off, len);
	return 0;
}

static const struct vfmig_stream_expect other_device = {
	.vendor = 0x1234, .device = 0x11e8, .program = "edu", .program_version = 1,
};

static int parse(const struct input *in, const struct vfmig_stream_expect *want,
		 struct vfmig_stream_info *info)
{
	/* The scratch size varies so that payloads are read in odd pieces. */
	uint32_t scratch_len = HDR + in->len % 61;
	uint8_t *scratch = malloc(scratch_len);
	const char *reason = NULL;
	int err;

	CHECK(scratch);
	memset(info, 0xa5, sizeof(*info));
	err = vfmig_stream_parse(in->len, input_read, (void *)in, crc32c_raw, want,
				 scratch, scratch_len, info, &reason);
	free(scratch);
	if (err) {
		CHECK(err == -EINVAL || err == -EPROTO || err == -EBADMSG ||
		      err == -ENODEV);
		CHECK(reason && reason[0]);
	}
	return err;
}

/* A stream the parser took: its units tile the input exactly. */
static void check_valid(const struct input *in, const struct vfmig_stream_info *info)
{
	__u64 end = 0, total = 0;

	CHECK(info->nr_units >= 1 && info->nr_units <= VFMIG_STREAM_MAX_UNITS);
	CHECK(memchr(info->id.program, '\0', sizeof(info->id.program)));
	for (unsigned int i = 0; i < info->nr_units; i++) {
		const struct vfmig_stream_unit *unit = &info->units[i];
		bool last = i == info->nr_units - 1;

		CHECK(unit->payload_offset == end + HDR);
		CHECK(unit->payload_offset <= in->len);
		CHECK(unit->payload_len <= in->len - unit->payload_offset);
		CHECK(unit->flags == (last ? VFMIG_STREAM_FINAL : VFMIG_STREAM_PRECOPY));
		end = unit->payload_offset + unit->payload_len;
		total += unit->payload_len;
	}
	CHECK(end == in->len);
	CHECK(total == info->payload_total);
}

/*
 * The same device and program.  Not memcmp(): a name may carry bytes after
 * its NUL (the CRC covers them, the name ends at the NUL).
 */
static bool same_id(const struct vfmig_stream_expect *a,
		    const struct vfmig_stream_expect *b)
{
	return a->vendor == b->vendor && a->device == b->device &&
	       a->subsystem_vendor == b->subsystem_vendor &&
	       a->subsystem_device == b->subsystem_device &&
	       !strncmp(a->program, b->program, sizeof(a->program)) &&
	       a->program_version == b->program_version;
}

static void check_input(const struct input *in)
{
	struct vfmig_stream_info info, own, other;
	int err, own_err, other_err;

	err = parse(in, NULL, &info);
	if (!err) {
		check_valid(in, &info);
		/* The device it was saved from takes it, with the same result. */
		own_err = parse(in, &info.id, &own);
		CHECK(!own_err && !memcmp(&own, &info, sizeof(info)));
	}
	other_err = parse(in, &other_device, &other);
	if (!other_err) {
		/* Another device takes only a stream that is its own. */
		CHECK(!err && same_id(&other.id, &other_device));
		CHECK(!memcmp(&other, &info, sizeof(info)));
	}
	if (err)
		CHECK(other_err);	/* want never makes a bad stream good */
}

/* Recomputes the CRC of every unit whose payload fits in the input. */
static void reseal(uint8_t *data, size_t len)
{
	size_t off = 0;

	while (len - off >= HDR) {
		struct vfmig_stream_header h;
		__u64 payload_len;

		memcpy(&h, data + off, HDR);
		payload_len = le64toh(h.payload_len);
		if (payload_len > len - off - HDR)
			break;
		stream_seal_unit(data + off, payload_len);
		off += HDR + payload_len;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct input in = { data, len };
	uint8_t *copy;

	check_input(&in);
	copy = malloc(len ?: 1);
	CHECK(copy);
	memcpy(copy, data, len);
	reseal(copy, len);
	in.data = copy;
	check_input(&in);
	free(copy);
	return 0;
}
