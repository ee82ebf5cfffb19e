/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What lib/vfmig_stream.c needs from the side that compiles it, and the
 * only place the kernel and user space differ for it: fixed-size types,
 * byte order (le*_to_cpu, cpu_to_le*), memcpy/memset/strnlen/strncmp and
 * errno values.  CRC32C is not here: each caller passes its own to
 * vfmig_stream_parse() (the module picks the faster of two at load).
 */
#ifndef _VFMIG_STREAM_ENV_H
#define _VFMIG_STREAM_ENV_H

#ifdef __KERNEL__

#include <linux/errno.h>
#include <linux/string.h>
#include <linux/types.h>
#include <asm/byteorder.h>

#else /* user space */

#include <endian.h>
#include <errno.h>
#include <string.h>
#include <linux/types.h>

#define le16_to_cpu(x)	le16toh(x)
#define le32_to_cpu(x)	le32toh(x)
#define le64_to_cpu(x)	le64toh(x)
#define cpu_to_le16(x)	htole16(x)
#define cpu_to_le32(x)	htole32(x)
#define cpu_to_le64(x)	htole64(x)

#endif /* __KERNEL__ */

#endif /* _VFMIG_STREAM_ENV_H */
