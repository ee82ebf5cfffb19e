// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Byte-at-a-time CRC32C: streams are a few KiB to a few MiB and are checked
 * once, so the 1 KiB table is all the speed needed.
 */
#include "crc32c.h"

#define CRC32C_POLY	0x82F63B78U	/* reflected Castagnoli */

static __u32 table[256];

static void crc32c_init(void)
{
	for (__u32 i = 0; i < 256; i++) {
		__u32 crc = i;

		for (int bit = 0; bit < 8; bit++)
			crc = crc >> 1 ^ (crc & 1 ? CRC32C_POLY : 0);
		table[i] = crc;
	}
}

__u32 crc32c_raw(__u32 crc, const void *buf, __u32 len)
{
	const unsigned char *p = buf;

	/* table[0x80] is the polynomial itself once the table is filled. */
	if (!table[0x80])
		crc32c_init();
	while (len--)
		crc = crc >> 8 ^ table[(crc ^ *p++) & 0xff];
	return crc;
}
