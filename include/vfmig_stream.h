/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The vfmig migration stream: what a device's data_fd produces while saving
 * and accepts while resuming.  Defined once here and parsed by one piece of
 * code, lib/vfmig_stream.c, which the module and the user tools both compile.
 *
 * A stream is one or more units; each is a header followed by the program's
 * payload.  PRE_COPY produces an initial unit, STOP_COPY the final one
 * (flag FINAL), which must end the stream.  All numbers are little-endian.
 * A unit's CRC32C covers its header (with .crc zero) and its payload.
 */
#ifndef _VFMIG_STREAM_H
#define _VFMIG_STREAM_H

#include <linux/types.h>

#include "vfmig.h"

#define VFMIG_STREAM_MAGIC	0x474d4656	/* "VFMG" in file order */
#define VFMIG_STREAM_VERSION	1
#define VFMIG_STREAM_MAX_UNITS	8

/* vfmig_stream_header.flags */
#define VFMIG_STREAM_PRECOPY	0x1	/* saved while the device ran */
#define VFMIG_STREAM_FINAL	0x2	/* saved stopped: the last unit */

struct vfmig_stream_header {
	__le32 magic;
	__le16 version;
	__le16 header_size;		/* sizeof(struct vfmig_stream_header) */
	__le16 vendor;			/* PCI ids of the saved device */
	__le16 device;
	__le16 subsystem_vendor;
	__le16 subsystem_device;
	char program[VFMIG_NAME_LEN];	/* vfmig_ops.name, NUL-terminated */
	__le32 program_version;		/* vfmig_ops.version */
	__le32 flags;
	__le64 payload_len;
	__le32 crc;
	__le32 reserved;		/* zero */
};

/* vfmig_stream_expect.flags */
#define VFMIG_EXPECT_ANY_IDS	0x1	/* the receiver judges the ids itself */

/*
 * What the receiving device requires of a stream: program versions from
 * min_program_version (0: program_version only) to program_version, and
 * its own PCI ids unless flags has VFMIG_EXPECT_ANY_IDS (its program has
 * a compat() callback, which the kernel asks once the stream is whole).
 */
struct vfmig_stream_expect {
	__u16 vendor;
	__u16 device;
	__u16 subsystem_vendor;
	__u16 subsystem_device;
	char program[VFMIG_NAME_LEN];
	__u32 program_version;
	__u32 min_program_version;
	__u32 flags;
};

struct vfmig_stream_unit {
	__u64 payload_offset;		/* in the stream */
	__u64 payload_len;
	__u32 flags;
};

/* What a valid stream holds. */
struct vfmig_stream_info {
	struct vfmig_stream_expect id;		/* from the first unit */
	unsigned int nr_units;
	struct vfmig_stream_unit units[VFMIG_STREAM_MAX_UNITS];
	__u64 payload_total;
};

/* Copy @len bytes at @off of the stream into @buf; 0 or -errno. */
typedef int (*vfmig_stream_read_t)(void *ctx, __u64 off, void *buf, __u32 len);
/* Raw CRC32C update (no pre/post inversion): the kernel's __crc32c_le. */
typedef __u32 (*vfmig_crc32c_t)(__u32 crc, const void *buf, __u32 len);

/**
 * vfmig_stream_parse() - check a whole stream before anything uses it
 * @len: bytes in the stream
 * @read: how to read it
 * @ctx: for @read
 * @crc32c: CRC32C update function
 * @want: the receiving device and program, or NULL to check integrity only
 * @scratch: a buffer for reading, at least sizeof(struct vfmig_stream_header)
 * @scratch_len: its size
 * @info: filled on success
 * @reason: set to a sentence saying what is wrong, on failure
 *
 * Return: 0, or -EINVAL (malformed), -EBADMSG (checksum), -ENODEV (another
 * device or program), -EPROTO (format version) with @reason set.
 */
int vfmig_stream_parse(__u64 len, vfmig_stream_read_t read, void *ctx,
		       vfmig_crc32c_t crc32c,
		       const struct vfmig_stream_expect *want,
		       void *scratch, __u32 scratch_len,
		       struct vfmig_stream_info *info, const char **reason);

/**
 * vfmig_stream_check_header() - check one unit header, as the parser does
 * @h: the header as received
 * @want: the receiving device and program, or NULL
 * @reason: set to what is wrong, on failure
 *
 * Lets a receiver refuse a stream as soon as a header arrives; the whole
 * stream still goes through vfmig_stream_parse() before use.
 *
 * Return: 0 or the errors of vfmig_stream_parse().
 */
int vfmig_stream_check_header(const struct vfmig_stream_header *h,
			      const struct vfmig_stream_expect *want,
			      const char **reason);

/**
 * vfmig_stream_same_ids() - were two devices' PCI ids the same?
 * @a: one device
 * @b: the other
 *
 * Return: true when vendor, device and subsystem ids are all equal.
 */
int vfmig_stream_same_ids(const struct vfmig_stream_expect *a,
			  const struct vfmig_stream_expect *b);

/**
 * vfmig_stream_header_init() - fill a unit header; the writer sets
 * payload_len and crc once the payload is complete
 * @h: the header
 * @id: device ids and program of the saving side
 * @flags: VFMIG_STREAM_PRECOPY or VFMIG_STREAM_FINAL
 */
void vfmig_stream_header_init(struct vfmig_stream_header *h,
			      const struct vfmig_stream_expect *id, __u32 flags);

#endif /* _VFMIG_STREAM_H */
