/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The vfmig stream in user space: the shared parser (lib/vfmig_stream.c,
 * linked into the tools) run over memory or a file with CRC32C, and a builder
 * of valid streams for tests, the fuzz seed corpus and make-stream.
 */
#ifndef VFMIG_USER_STREAM_H
#define VFMIG_USER_STREAM_H

#include <stddef.h>

#include "vfmig_stream.h"

/* Bytes of the parser's read buffer in the user tools. */
#define STREAM_SCRATCH_LEN	(64 * 1024)

/*
 * vfmig_stream_parse() over @len bytes at @buf, or of the file @fd (from
 * offset 0): 0, or -errno with @reason set.  @want NULL: integrity only.
 */
int stream_parse_mem(const void *buf, size_t len,
		     const struct vfmig_stream_expect *want,
		     struct vfmig_stream_info *info, const char **reason);
int stream_parse_fd(int fd, __u64 len, const struct vfmig_stream_expect *want,
		    struct vfmig_stream_info *info, const char **reason);

/* A stream being built in memory; start from { 0 }. */
struct stream_buf {
	unsigned char *data;
	size_t len;
	size_t size;
};

/* Appends a sealed unit (header and @len bytes of @payload); 0 or -ENOMEM. */
int stream_add_unit(struct stream_buf *s, const struct vfmig_stream_expect *id,
		    __u32 flags, const void *payload, size_t len);
/*
 * Writes @payload_len and the CRC into the unit header at @unit, which is
 * followed in memory by that many payload bytes.  Tests change a header
 * field, then reseal it so that only the change is wrong.
 */
void stream_seal_unit(void *unit, __u64 payload_len);
void stream_buf_free(struct stream_buf *s);

#endif /* VFMIG_USER_STREAM_H */
