// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The shared stream parser (lib/vfmig_stream.c) as user space compiles
 * it: valid streams, and every way a stream can be refused, with the error
 * and the reason the module would log.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "crc32c.h"
#include "stream.h"
#include "unit.h"

#define HDR	sizeof(struct vfmig_stream_header)
/* The offset of header field @f in the unit at @off. */
#define FIELD(off, f)	((off) + offsetof(struct vfmig_stream_header, f))

static const struct vfmig_stream_expect edu = {
	.vendor = 0x1234, .device = 0x11e8,
	.subsystem_vendor = 0x1af4, .subsystem_device = 0x1100,
	.program = "edu", .program_version = 1,
};

static const char final_payload[] = "final payload";	/* its NUL too */
static const char precopy_payload[] = "pre";

/*
 * @nr_precopy PRECOPY units then a FINAL one (@nr_precopy < 0: no FINAL),
 * all from @id; returns whether it could.
 */
static bool build(struct stream_buf *s, const struct vfmig_stream_expect *id,
		  int nr_precopy)
{
	*s = (struct stream_buf){ 0 };
	for (int i = 0; i < (nr_precopy < 0 ? 1 : nr_precopy); i++)
		if (!ASSERT_INT(stream_add_unit(s, id, VFMIG_STREAM_PRECOPY,
						precopy_payload, sizeof(precopy_payload)), 0))
			return false;
	return nr_precopy < 0 ||
	       ASSERT_INT(stream_add_unit(s, id, VFMIG_STREAM_FINAL, final_payload,
					  sizeof(final_payload)), 0);
}

/* Parses @len bytes of @s, expecting @err and, on failure, @reason. */
static void expect(const struct stream_buf *s, size_t len,
		   const struct vfmig_stream_expect *want, int err, const char *reason)
{
	struct vfmig_stream_info info;
	const char *got = "(unset)";

	ASSERT_INT(stream_parse_mem(s->data, len, want, &info, &got), err);
	if (err)
		ASSERT_CONTAINS(got, reason);
}

/* Both with and without a receiving device: the stream itself is wrong. */
static void expect_malformed(const struct stream_buf *s, size_t len, int err,
			     const char *reason)
{
	expect(s, len, NULL, err, reason);
	expect(s, len, &edu, err, reason);
}

/* Changes @size bytes at @off of @s to @value, little-endian. */
static void poke(struct stream_buf *s, size_t off, size_t size, uint64_t value)
{
	for (size_t i = 0; i < size; i++)
		s->data[off + i] = value >> (8 * i);
}

TEST(crc32c_known_answer)
{
	__u32 crc;

	ASSERT_INT(~crc32c_raw(~0U, "123456789", 9), 0xE3069283);
	/* Raw updates chain: two halves give the whole. */
	crc = crc32c_raw(~0U, "1234", 4);
	ASSERT_INT(~crc32c_raw(crc, "56789", 5), 0xE3069283);
	ASSERT_INT(crc32c_raw(0x12345678, "", 0), 0x12345678);
}

/* The layout is ABI: the module, old streams and other tools rely on it. */
TEST(stream_header_layout)
{
	struct stream_buf s;

	ASSERT_INT(HDR, 72);
	ASSERT_INT(offsetof(struct vfmig_stream_header, program), 16);
	ASSERT_INT(offsetof(struct vfmig_stream_header, payload_len), 56);
	ASSERT_INT(offsetof(struct vfmig_stream_header, crc), 64);
	if (!build(&s, &edu, 0))
		return;
	ASSERT_TRUE(!memcmp(s.data, "VFMG\x01\x00\x48\x00\x34\x12\xe8\x11", 12));
	stream_buf_free(&s);
}

TEST(stream_valid_single_unit)
{
	struct vfmig_stream_info info;
	const char *reason = "";
	struct stream_buf s;

	if (!build(&s, &edu, 0))
		return;
	ASSERT_INT(s.len, HDR + sizeof(final_payload));
	for (int pass = 0; pass < 2; pass++) {
		if (!ASSERT_INT(stream_parse_mem(s.data, s.len, pass ? &edu : NULL,
						 &info, &reason), 0))
			break;
		ASSERT_INT(info.id.vendor, 0x1234);
		ASSERT_INT(info.id.device, 0x11e8);
		ASSERT_INT(info.id.subsystem_vendor, 0x1af4);
		ASSERT_INT(info.id.subsystem_device, 0x1100);
		ASSERT_STR(info.id.program, "edu");
		ASSERT_INT(info.id.program_version, 1);
		ASSERT_INT(info.nr_units, 1);
		ASSERT_INT(info.units[0].payload_offset, HDR);
		ASSERT_INT(info.units[0].payload_len, sizeof(final_payload));
		ASSERT_INT(info.units[0].flags, VFMIG_STREAM_FINAL);
		ASSERT_INT(info.payload_total, sizeof(final_payload));
	}
	stream_buf_free(&s);
}

TEST(stream_valid_precopy_final)
{
	struct vfmig_stream_info info;
	const char *reason = "";
	struct stream_buf s;

	if (!build(&s, &edu, 1))
		return;
	if (ASSERT_INT(stream_parse_mem(s.data, s.len, &edu, &info, &reason), 0) &&
	    ASSERT_INT(info.nr_units, 2)) {
		ASSERT_INT(info.units[0].payload_offset, HDR);
		ASSERT_INT(info.units[0].payload_len, sizeof(precopy_payload));
		ASSERT_INT(info.units[0].flags, VFMIG_STREAM_PRECOPY);
		ASSERT_INT(info.units[1].payload_offset,
			   2 * HDR + sizeof(precopy_payload));
		ASSERT_INT(info.units[1].payload_len, sizeof(final_payload));
		ASSERT_INT(info.units[1].flags, VFMIG_STREAM_FINAL);
		ASSERT_INT(info.payload_total,
			   sizeof(precopy_payload) + sizeof(final_payload));
		ASSERT_TRUE(!memcmp(s.data + info.units[1].payload_offset,
				    final_payload, sizeof(final_payload)));
	}
	stream_buf_free(&s);
}

/* VFMIG_STREAM_MAX_UNITS units are fine, and empty payloads too. */
TEST(stream_valid_max_units)
{
	struct vfmig_stream_info info;
	const char *reason = "";
	struct stream_buf s;

	if (!build(&s, &edu, VFMIG_STREAM_MAX_UNITS - 1))
		return;
	if (ASSERT_INT(stream_parse_mem(s.data, s.len, &edu, &info, &reason), 0))
		ASSERT_INT(info.nr_units, VFMIG_STREAM_MAX_UNITS);
	stream_buf_free(&s);

	s = (struct stream_buf){ 0 };
	if (ASSERT_INT(stream_add_unit(&s, &edu, VFMIG_STREAM_FINAL, NULL, 0), 0))
		expect(&s, s.len, &edu, 0, NULL);
	stream_buf_free(&s);
}

TEST(stream_empty)
{
	struct stream_buf s = { 0 };

	expect_malformed(&s, 0, -EINVAL, "empty stream");
}

TEST(stream_truncated_header)
{
	struct stream_buf s;

	if (!build(&s, &edu, 1))
		return;
	expect_malformed(&s, HDR - 1, -EINVAL, "unit header cut short");
	expect_malformed(&s, 1, -EINVAL, "unit header cut short");
	/* The second unit's header cut short. */
	expect_malformed(&s, HDR + sizeof(precopy_payload) + 10, -EINVAL,
			 "unit header cut short");
	stream_buf_free(&s);
}

TEST(stream_truncated_payload)
{
	struct stream_buf s;

	if (!build(&s, &edu, 1))
		return;
	expect_malformed(&s, s.len - 1, -EINVAL, "payload shorter than its header says");
	expect_malformed(&s, HDR, -EINVAL, "payload shorter than its header says");
	/* A length that would wrap around must not. */
	poke(&s, FIELD(0, payload_len), 8, UINT64_MAX);
	expect_malformed(&s, s.len, -EINVAL, "payload shorter than its header says");
	poke(&s, FIELD(0, payload_len), 8, UINT64_MAX - HDR + 1);
	expect_malformed(&s, s.len, -EINVAL, "payload shorter than its header says");
	stream_buf_free(&s);
}

/*
 * A valid one-unit stream but for @size bytes at @off set to @value (and a
 * right CRC, so that only the change is wrong) is refused with @err.
 */
static void expect_field(size_t off, size_t size, uint64_t value, int err,
			 const char *reason)
{
	struct stream_buf s;

	if (!build(&s, &edu, 0))
		return;
	poke(&s, off, size, value);
	stream_seal_unit(s.data, sizeof(final_payload));
	expect_malformed(&s, s.len, err, reason);
	stream_buf_free(&s);
}

TEST(stream_bad_magic)
{
	expect_field(FIELD(0, magic), 4, 0x474d4676, -EINVAL, "bad magic");	/* "vFMG" */
	expect_field(FIELD(0, magic), 4, 0, -EINVAL, "bad magic");
}

TEST(stream_bad_version)
{
	expect_field(FIELD(0, version), 2, VFMIG_STREAM_VERSION + 1, -EPROTO,
		     "unsupported stream format version");
	expect_field(FIELD(0, version), 2, 0, -EPROTO, "unsupported stream format version");
}

TEST(stream_bad_header_size)
{
	expect_field(FIELD(0, header_size), 2, HDR + 8, -EINVAL, "malformed unit header");
	expect_field(FIELD(0, header_size), 2, HDR - 8, -EINVAL, "malformed unit header");
}

TEST(stream_reserved_not_zero)
{
	expect_field(FIELD(0, reserved), 4, 0x80000000, -EINVAL, "malformed unit header");
	expect_field(FIELD(0, reserved), 4, 1, -EINVAL, "malformed unit header");
}

TEST(stream_program_not_terminated)
{
	struct stream_buf s;

	if (!build(&s, &edu, 0))
		return;
	memset(s.data + FIELD(0, program), 'x', VFMIG_NAME_LEN);
	stream_seal_unit(s.data, sizeof(final_payload));
	expect_malformed(&s, s.len, -EINVAL, "program name not terminated");
	/* 31 characters and a NUL is the longest name. */
	s.data[FIELD(0, program) + VFMIG_NAME_LEN - 1] = '\0';
	stream_seal_unit(s.data, sizeof(final_payload));
	expect(&s, s.len, NULL, 0, NULL);
	stream_buf_free(&s);
}

TEST(stream_other_device)
{
	static const size_t fields[] = {
		offsetof(struct vfmig_stream_expect, vendor),
		offsetof(struct vfmig_stream_expect, device),
		offsetof(struct vfmig_stream_expect, subsystem_vendor),
		offsetof(struct vfmig_stream_expect, subsystem_device),
	};
	struct stream_buf s;

	if (!build(&s, &edu, 1))
		return;
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		struct vfmig_stream_expect want = edu;

		*(__u16 *)((char *)&want + fields[i]) ^= 0x0100;
		expect(&s, s.len, &want, -ENODEV, "saved from a device with other PCI ids");
	}
	expect(&s, s.len, NULL, 0, NULL);	/* integrity is fine */
	stream_buf_free(&s);
}

/*
 * A receiver whose program judges ids itself (compat()): other ids pass the
 * parser, the program and its versions are still checked, and units of one
 * stream must still come from one device.
 */
TEST(stream_any_ids)
{
	struct vfmig_stream_expect want = edu, other = edu;
	struct vfmig_stream_info info;
	const char *reason = NULL;
	struct stream_buf s;

	want.subsystem_device ^= 0x0100;
	want.device ^= 0x0001;
	want.flags = VFMIG_EXPECT_ANY_IDS;
	if (!build(&s, &edu, 1))
		return;
	if (ASSERT_INT(stream_parse_mem(s.data, s.len, &want, &info, &reason), 0)) {
		ASSERT_INT(info.id.subsystem_device, edu.subsystem_device);
		ASSERT_INT(info.id.device, edu.device);
		ASSERT_INT(info.id.flags, 0);
	}
	ASSERT_TRUE(!vfmig_stream_same_ids(&info.id, &want));
	ASSERT_TRUE(vfmig_stream_same_ids(&info.id, &edu));
	strcpy(want.program, "edu2");
	expect(&s, s.len, &want, -ENODEV, "saved by another program");
	stream_buf_free(&s);

	want = edu;
	want.flags = VFMIG_EXPECT_ANY_IDS;
	want.program_version = 2;
	want.min_program_version = 2;
	if (!build(&s, &edu, 0))
		return;
	expect(&s, s.len, &want, -ENODEV,
	       "saved by an older version of the program than it reads");
	stream_buf_free(&s);

	want = edu;
	want.flags = VFMIG_EXPECT_ANY_IDS;
	other.subsystem_device++;
	s = (struct stream_buf){ 0 };
	if (!ASSERT_INT(stream_add_unit(&s, &edu, VFMIG_STREAM_PRECOPY, "a", 1), 0) ||
	    !ASSERT_INT(stream_add_unit(&s, &other, VFMIG_STREAM_FINAL, "b", 1), 0))
		return;
	expect(&s, s.len, &want, -EINVAL, "other PCI ids");
	stream_buf_free(&s);
}

TEST(stream_other_program)
{
	struct vfmig_stream_expect want = edu;
	struct stream_buf s;

	if (!build(&s, &edu, 0))
		return;
	strcpy(want.program, "edu2");
	expect(&s, s.len, &want, -ENODEV, "saved by another program");
	strcpy(want.program, "ed");
	expect(&s, s.len, &want, -ENODEV, "saved by another program");
	stream_buf_free(&s);
}

TEST(stream_other_program_version)
{
	struct vfmig_stream_expect want = edu;
	struct stream_buf s;

	if (!build(&s, &edu, 0))
		return;
	want.program_version = 2;
	expect(&s, s.len, &want, -ENODEV,
	       "saved by an older version of the program than it reads");
	stream_buf_free(&s);
}

/* A program reads streams from min_program_version to program_version. */
TEST(stream_program_version_range)
{
	struct vfmig_stream_expect want = edu, saved = edu;
	struct stream_buf s;

	want.min_program_version = 2;
	want.program_version = 3;
	for (__u32 v = 1; v <= 4; v++) {
		saved.program_version = v;
		if (!build(&s, &saved, 0))
			return;
		if (v == 1)
			expect(&s, s.len, &want, -ENODEV,
			       "saved by an older version of the program than it reads");
		else if (v == 4)
			expect(&s, s.len, &want, -ENODEV,
			       "saved by a newer version of the program");
		else
			expect(&s, s.len, &want, 0, NULL);
		stream_buf_free(&s);
	}
}

TEST(stream_checksum_payload_byte)
{
	struct stream_buf s;

	if (!build(&s, &edu, 1))
		return;
	s.data[HDR] ^= 0x01;		/* the PRECOPY unit's payload */
	expect_malformed(&s, s.len, -EBADMSG, "checksum mismatch");
	s.data[HDR] ^= 0x01;
	s.data[s.len - 1] ^= 0x80;	/* the FINAL unit's last byte */
	expect_malformed(&s, s.len, -EBADMSG, "checksum mismatch");
	stream_buf_free(&s);
}

TEST(stream_checksum_header_byte)
{
	struct stream_buf s;

	if (!build(&s, &edu, 0))
		return;
	/* Bytes no other check looks at: only the CRC can notice. */
	s.data[FIELD(0, program) + 20] = 'x';
	expect(&s, s.len, NULL, -EBADMSG, "checksum mismatch");
	s.data[FIELD(0, program) + 20] = '\0';
	s.data[FIELD(0, subsystem_device)] ^= 0x01;
	expect(&s, s.len, NULL, -EBADMSG, "checksum mismatch");
	s.data[FIELD(0, subsystem_device)] ^= 0x01;
	s.data[FIELD(0, crc)] ^= 0x01;
	expect_malformed(&s, s.len, -EBADMSG, "checksum mismatch");
	stream_buf_free(&s);
}

TEST(stream_trailing_bytes)
{
	struct stream_buf s;

	if (!build(&s, &edu, 0) ||
	    !ASSERT_INT(stream_add_unit(&s, &edu, VFMIG_STREAM_FINAL, NULL, 0), 0))
		return;
	/* One byte after FINAL, and a whole second FINAL unit. */
	expect_malformed(&s, HDR + sizeof(final_payload) + 1, -EINVAL,
			 "trailing bytes after the final unit");
	expect_malformed(&s, s.len, -EINVAL, "trailing bytes after the final unit");
	stream_buf_free(&s);
	/* A PRECOPY unit after the FINAL one. */
	if (!build(&s, &edu, 0) ||
	    !ASSERT_INT(stream_add_unit(&s, &edu, VFMIG_STREAM_PRECOPY, NULL, 0), 0))
		return;
	expect_malformed(&s, s.len, -EINVAL, "trailing bytes after the final unit");
	stream_buf_free(&s);
}

TEST(stream_no_final_unit)
{
	struct stream_buf s;

	if (!build(&s, &edu, -1))
		return;
	expect_malformed(&s, s.len, -EINVAL, "no final unit");
	stream_buf_free(&s);
	if (!build(&s, &edu, 3))
		return;
	expect_malformed(&s, 3 * (HDR + sizeof(precopy_payload)), -EINVAL,
			 "no final unit");
	stream_buf_free(&s);
}

TEST(stream_flags_neither_or_both)
{
	static const __u32 bad_flags[] = {
		0, VFMIG_STREAM_PRECOPY | VFMIG_STREAM_FINAL,
		VFMIG_STREAM_FINAL | 0x4, 0x80000000,
	};

	for (size_t i = 0; i < sizeof(bad_flags) / sizeof(bad_flags[0]); i++)
		expect_field(FIELD(0, flags), 4, bad_flags[i], -EINVAL,
			     "neither PRECOPY nor FINAL");
}

TEST(stream_too_many_units)
{
	struct stream_buf s;

	if (!build(&s, &edu, VFMIG_STREAM_MAX_UNITS))
		return;
	expect_malformed(&s, s.len, -EINVAL, "too many units");
	stream_buf_free(&s);
}

/* Units must all come from the first unit's device and program. */
TEST(stream_units_of_other_origins)
{
	struct vfmig_stream_expect other;
	struct stream_buf s;

	for (int i = 0; i < 3; i++) {
		other = edu;
		if (i == 0)
			strcpy(other.program, "other");
		else if (i == 1)
			other.program_version++;
		else
			other.device++;
		s = (struct stream_buf){ 0 };
		if (!ASSERT_INT(stream_add_unit(&s, &edu, VFMIG_STREAM_PRECOPY, "a", 1), 0) ||
		    !ASSERT_INT(stream_add_unit(&s, &other, VFMIG_STREAM_FINAL, "b", 1), 0))
			return;
		expect(&s, s.len, NULL, -EINVAL, i == 0 ? "saved by another program" :
		       i == 1 ? "newer version of the program" : "other PCI ids");
		stream_buf_free(&s);
	}
}

struct chunked {
	const struct stream_buf *s;
	unsigned int reads;
	unsigned int fail_at;	/* this read fails with -EIO; 0: none does */
};

static int chunked_read(void *ctx, __u64 off, void *buf, __u32 len)
{
	struct chunked *c = ctx;

	if (++c->reads == c->fail_at)
		return -EIO;
	if (!ASSERT_TRUE(off + len <= c->s->len))
		return -EFAULT;
	memcpy(buf, c->s->data + off, len);
	return 0;
}

/* The CRC over a payload is the same whatever the scratch buffer's size. */
TEST(stream_scratch_sizes)
{
	unsigned char payload[1000], scratch[HDR + 1];
	struct vfmig_stream_info info;
	struct stream_buf s = { 0 };
	const char *reason = "";
	struct chunked c = { .s = &s };

	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = i * 7;
	if (!ASSERT_INT(stream_add_unit(&s, &edu, VFMIG_STREAM_FINAL, payload,
					sizeof(payload)), 0))
		return;
	ASSERT_INT(vfmig_stream_parse(s.len, chunked_read, &c, crc32c_raw, &edu,
				      scratch, HDR + 1, &info, &reason), 0);
	/* One header read, then ceil(1000 / 73) payload reads. */
	ASSERT_INT(c.reads, 1 + 14);
	ASSERT_INT(vfmig_stream_parse(s.len, chunked_read, &c, crc32c_raw, &edu,
				      scratch, HDR - 1, &info, &reason), -EINVAL);
	ASSERT_CONTAINS(reason, "scratch buffer too small");
	stream_buf_free(&s);
}

/* A read error stops the parse with that error. */
TEST(stream_read_error)
{
	unsigned char scratch[HDR];
	struct vfmig_stream_info info;
	const char *reason = "";
	struct stream_buf s;

	if (!build(&s, &edu, 0))
		return;
	for (unsigned int fail_at = 1; fail_at <= 2; fail_at++) {
		struct chunked c = { .s = &s, .fail_at = fail_at };

		ASSERT_INT(vfmig_stream_parse(s.len, chunked_read, &c, crc32c_raw,
					      NULL, scratch, sizeof(scratch), &info,
					      &reason), -EIO);
		ASSERT_CONTAINS(reason, "cannot read the stream");
	}
	stream_buf_free(&s);
}
