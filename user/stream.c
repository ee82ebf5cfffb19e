// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The one stream parser (lib/vfmig_stream.c, linked beside this file) run
 * in user space over memory or a file, and units built and sealed for
 * tests, the fuzz seed corpus and make-stream.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crc32c.h"
#include "stream.h"
#include "vfmig_stream_env.h"

struct mem_stream {
	const unsigned char *data;
	size_t len;
};

static int mem_read(void *ctx, __u64 off, void *buf, __u32 len)
{
	const struct mem_stream *mem = ctx;

	if (off > mem->len || len > mem->len - off)
		return -EIO;
	memcpy(buf, mem->data + off, len);
	return 0;
}

static int fd_read(void *ctx, __u64 off, void *buf, __u32 len)
{
	int fd = *(int *)ctx;

	while (len) {
		ssize_t n = pread(fd, buf, len, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;	/* shrank under us */
		buf = (char *)buf + n;
		off += n;
		len -= n;
	}
	return 0;
}

static int parse(__u64 len, vfmig_stream_read_t read, void *ctx,
		 const struct vfmig_stream_expect *want,
		 struct vfmig_stream_info *info, const char **reason)
{
	void *scratch = malloc(STREAM_SCRATCH_LEN);
	int err;

	if (!scratch) {
		*reason = "out of memory";
		return -ENOMEM;
	}
	err = vfmig_stream_parse(len, read, ctx, crc32c_raw, want, scratch,
				 STREAM_SCRATCH_LEN, info, reason);
	free(scratch);
	return err;
}

int stream_parse_mem(const void *buf, size_t len,
		     const struct vfmig_stream_expect *want,
		     struct vfmig_stream_info *info, const char **reason)
{
	struct mem_stream mem = { buf, len };

	return parse(len, mem_read, &mem, want, info, reason);
}

int stream_parse_fd(int fd, __u64 len, const struct vfmig_stream_expect *want,
		    struct vfmig_stream_info *info, const char **reason)
{
	return parse(len, fd_read, &fd, want, info, reason);
}

void stream_seal_unit(void *unit, __u64 payload_len)
{
	struct vfmig_stream_header h;
	__u32 crc;

	/* Units follow payloads of any length: the header may be unaligned. */
	memcpy(&h, unit, sizeof(h));
	h.payload_len = cpu_to_le64(payload_len);
	h.crc = 0;
	crc = crc32c_raw(~0U, &h, sizeof(h));
	crc = crc32c_raw(crc, (char *)unit + sizeof(h), payload_len);
	h.crc = cpu_to_le32(~crc);
	memcpy(unit, &h, sizeof(h));
}

int stream_add_unit(struct stream_buf *s, const struct vfmig_stream_expect *id,
		    __u32 flags, const void *payload, size_t len)
{
	struct vfmig_stream_header h;
	size_t need = s->len + sizeof(h) + len;

	if (need > s->size) {
		size_t size = need > 2 * s->size ? need : 2 * s->size;
		unsigned char *data = realloc(s->data, size);

		if (!data)
			return -ENOMEM;
		s->data = data;
		s->size = size;
	}
	vfmig_stream_header_init(&h, id, flags);
	memcpy(s->data + s->len, &h, sizeof(h));
	if (len)
		memcpy(s->data + s->len + sizeof(h), payload, len);
	stream_seal_unit(s->data + s->len, len);
	s->len = need;
	return 0;
}

void stream_buf_free(struct stream_buf *s)
{
	free(s->data);
	*s = (struct stream_buf){ 0 };
}
