/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * CRC32C (Castagnoli, reflected polynomial 0x82F63B78) as the stream parser
 * wants it: a raw update with no inversion before or after, like the
 * kernel's __crc32c_le.  The standard CRC32C of a buffer is
 * ~crc32c_raw(~0U, buf, len).
 */
#ifndef VFMIG_CRC32C_H
#define VFMIG_CRC32C_H

#include <linux/types.h>

__u32 crc32c_raw(__u32 crc, const void *buf, __u32 len);

#endif /* VFMIG_CRC32C_H */
