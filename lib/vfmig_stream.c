// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The one parser of the vfmig migration stream (include/vfmig_stream.h),
 * compiled as its own object into vfmig.ko (kernel/Kbuild) and into the
 * user tools, their unit tests and the fuzz target.  What it needs of
 * either side comes from vfmig_stream_env.h.
 */
#include "vfmig_stream_env.h"
#include "../include/vfmig_stream.h"

static __u32 vfmig_crc_over(vfmig_stream_read_t read, void *ctx,
			    vfmig_crc32c_t crc32c, __u32 crc, __u64 off,
			    __u64 len, void *scratch, __u32 scratch_len,
			    int *err)
{
	while (len && !*err) {
		__u32 n = len < scratch_len ? (__u32)len : scratch_len;

		*err = read(ctx, off, scratch, n);
		if (!*err)
			crc = crc32c(crc, scratch, n);
		off += n;
		len -= n;
	}
	return crc;
}

static void vfmig_header_id(const struct vfmig_stream_header *h,
			    struct vfmig_stream_expect *id)
{
	id->vendor = le16_to_cpu(h->vendor);
	id->device = le16_to_cpu(h->device);
	id->subsystem_vendor = le16_to_cpu(h->subsystem_vendor);
	id->subsystem_device = le16_to_cpu(h->subsystem_device);
	memcpy(id->program, h->program, sizeof(id->program));
	id->program_version = le32_to_cpu(h->program_version);
}

int vfmig_stream_same_ids(const struct vfmig_stream_expect *a,
			  const struct vfmig_stream_expect *b)
{
	return a->vendor == b->vendor && a->device == b->device &&
	       a->subsystem_vendor == b->subsystem_vendor &&
	       a->subsystem_device == b->subsystem_device;
}

int vfmig_stream_check_header(const struct vfmig_stream_header *h,
			      const struct vfmig_stream_expect *want,
			      const char **reason)
{
	struct vfmig_stream_expect id;
	__u32 version;

	if (le32_to_cpu(h->magic) != VFMIG_STREAM_MAGIC) {
		*reason = "not a vfmig stream (bad magic)";
		return -EINVAL;
	}
	if (le16_to_cpu(h->version) != VFMIG_STREAM_VERSION) {
		*reason = "unsupported stream format version";
		return -EPROTO;
	}
	if (le16_to_cpu(h->header_size) != sizeof(*h) || h->reserved) {
		*reason = "malformed unit header";
		return -EINVAL;
	}
	if (strnlen(h->program, sizeof(h->program)) == sizeof(h->program)) {
		*reason = "program name not terminated";
		return -EINVAL;
	}
	if (!want)
		return 0;
	vfmig_header_id(h, &id);
	if (!(want->flags & VFMIG_EXPECT_ANY_IDS) &&
	    !vfmig_stream_same_ids(&id, want)) {
		*reason = "saved from a device with other PCI ids";
		return -ENODEV;
	}
	if (strncmp(h->program, want->program, sizeof(h->program))) {
		*reason = "saved by another program";
		return -ENODEV;
	}
	version = le32_to_cpu(h->program_version);
	if (version > want->program_version) {
		*reason = "saved by a newer version of the program";
		return -ENODEV;
	}
	if (version < (want->min_program_version ?: want->program_version)) {
		*reason = "saved by an older version of the program than it reads";
		return -ENODEV;
	}
	return 0;
}

int vfmig_stream_parse(__u64 len, vfmig_stream_read_t read, void *ctx,
		       vfmig_crc32c_t crc32c,
		       const struct vfmig_stream_expect *want,
		       void *scratch, __u32 scratch_len,
		       struct vfmig_stream_info *info, const char **reason)
{
	struct vfmig_stream_header h;
	__u64 off = 0;
	int err;

	memset(info, 0, sizeof(*info));
	if (scratch_len < sizeof(h)) {
		*reason = "scratch buffer too small";
		return -EINVAL;
	}
	if (!len) {
		*reason = "empty stream";
		return -EINVAL;
	}

	while (off < len) {
		struct vfmig_stream_unit *unit;
		__u32 flags, crc, want_crc;
		__u64 payload_len;

		if (info->nr_units == VFMIG_STREAM_MAX_UNITS) {
			*reason = "too many units";
			return -EINVAL;
		}
		if (len - off < sizeof(h)) {
			*reason = "truncated: unit header cut short";
			return -EINVAL;
		}
		err = read(ctx, off, &h, sizeof(h));
		if (err) {
			*reason = "cannot read the stream";
			return err;
		}
		err = vfmig_stream_check_header(&h, want, reason);
		if (err)
			return err;
		if (!info->nr_units)
			vfmig_header_id(&h, &info->id);
		else if (vfmig_stream_check_header(&h, &info->id, reason))
			return -EINVAL;	/* units of different origins */

		flags = le32_to_cpu(h.flags);
		payload_len = le64_to_cpu(h.payload_len);
		if (flags & ~(VFMIG_STREAM_PRECOPY | VFMIG_STREAM_FINAL) ||
		    !(flags & VFMIG_STREAM_PRECOPY) == !(flags & VFMIG_STREAM_FINAL)) {
			*reason = "unit flags are neither PRECOPY nor FINAL";
			return -EINVAL;
		}
		if (payload_len > len - off - sizeof(h)) {
			*reason = "truncated: payload shorter than its header says";
			return -EINVAL;
		}
		if ((flags & VFMIG_STREAM_FINAL) &&
		    off + sizeof(h) + payload_len != len) {
			*reason = "trailing bytes after the final unit";
			return -EINVAL;
		}

		want_crc = le32_to_cpu(h.crc);
		h.crc = 0;
		crc = crc32c(~0U, &h, sizeof(h));
		crc = vfmig_crc_over(read, ctx, crc32c, crc, off + sizeof(h),
				     payload_len, scratch, scratch_len, &err);
		if (err) {
			*reason = "cannot read the stream";
			return err;
		}
		if (~crc != want_crc) {
			*reason = "checksum mismatch (corrupted stream)";
			return -EBADMSG;
		}

		unit = &info->units[info->nr_units++];
		unit->payload_offset = off + sizeof(h);
		unit->payload_len = payload_len;
		unit->flags = flags;
		info->payload_total += payload_len;
		off += sizeof(h) + payload_len;
		if (flags & VFMIG_STREAM_FINAL)
			return 0;
	}
	*reason = "truncated: no final unit";
	return -EINVAL;
}

void vfmig_stream_header_init(struct vfmig_stream_header *h,
			      const struct vfmig_stream_expect *id, __u32 flags)
{
	memset(h, 0, sizeof(*h));
	h->magic = cpu_to_le32(VFMIG_STREAM_MAGIC);
	h->version = cpu_to_le16(VFMIG_STREAM_VERSION);
	h->header_size = cpu_to_le16(sizeof(*h));
	h->vendor = cpu_to_le16(id->vendor);
	h->device = cpu_to_le16(id->device);
	h->subsystem_vendor = cpu_to_le16(id->subsystem_vendor);
	h->subsystem_device = cpu_to_le16(id->subsystem_device);
	memcpy(h->program, id->program, sizeof(h->program));
	h->program[sizeof(h->program) - 1] = '\0';
	h->program_version = cpu_to_le32(id->program_version);
	h->flags = cpu_to_le32(flags);
}
