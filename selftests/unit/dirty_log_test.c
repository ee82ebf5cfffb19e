// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The region side of user/dirty_log.c: how a report through the vfmig
 * dirty-log region turns the log's own pages into the uAPI's bitmap at the
 * page size asked for, and which bits it writes back.  The "region" is a
 * memfd laid out as the module lays it out (status at 0, bitmap at 4096);
 * a file does not clear on read or OR on write, so after a report that
 * wrote back it holds exactly those bits, and is unchanged after one that
 * consumed all it read.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

#include "dirty_log.h"
#include "unit.h"

#define KIB	1024ULL
#define MIB	(1024 * KIB)

/* A region with a running log of @page_size whose first bytes are @bits. */
static int fake_region(struct dirty_log *log, __u64 page_size,
		       const unsigned char *bits, size_t nbytes)
{
	struct vfmig_dirty_status st = {
		.page_size = page_size,
		.num_ranges = 1,
		.flags = page_size ? VFMIG_DIRTY_RUNNING : 0,
	};
	int fd = memfd_create("region", 0);

	if (!ASSERT_TRUE(fd >= 0) ||
	    !ASSERT_INT(pwrite(fd, &st, sizeof(st), 0), sizeof(st)) ||
	    !ASSERT_INT(ftruncate(fd, VFMIG_DIRTY_BITMAP_OFFSET + 64 * KIB), 0) ||
	    !ASSERT_INT(pwrite(fd, bits, nbytes, VFMIG_DIRTY_BITMAP_OFFSET), nbytes))
		return -1;
	*log = (struct dirty_log){ .fd = fd, .via = DIRTY_VIA_REGION, .region = 0 };
	return 0;
}

static unsigned char region_byte(const struct dirty_log *log, size_t n)
{
	unsigned char b = 0xee;

	pread(log->fd, &b, 1, VFMIG_DIRTY_BITMAP_OFFSET + n);
	return b;
}

static int count_bits(const __u64 *bitmap, size_t words)
{
	int n = 0;

	for (size_t i = 0; i < words; i++)
		n += __builtin_popcountll(bitmap[i]);
	return n;
}

TEST(dirty_region_same_page_size)
{
	const unsigned char bits[] = { 0xff };	/* pages 0-7 */
	struct dirty_log log;
	__u64 bitmap[1] = { 0 };

	if (fake_region(&log, 4 * KIB, bits, sizeof(bits)))
		return;
	/* Pages 1 and 2 reported; 0 and 3-7, outside the window, given back. */
	ASSERT_INT(dirty_log_report(&log, 4 * KIB, 8 * KIB, 4 * KIB, bitmap), 0);
	ASSERT_INT(bitmap[0], 0x3);
	ASSERT_INT(region_byte(&log, 0), 0xf9);
	close(log.fd);
}

TEST(dirty_region_larger_log_pages)
{
	const unsigned char bits[] = { 0x02 };	/* the 2 MiB page at 2 MiB */
	struct dirty_log log;
	__u64 bitmap[16] = { 0 };

	if (fake_region(&log, 2 * MIB, bits, sizeof(bits)))
		return;
	/* Reported as its 512 pages of 4 KiB, bits 512 to 1023. */
	ASSERT_INT(dirty_log_report(&log, 0, 4 * MIB, 4 * KIB, bitmap), 0);
	ASSERT_INT(count_bits(bitmap, 16), 512);
	ASSERT_INT(bitmap[7], 0);
	ASSERT_INT(bitmap[8], ~0ULL);
	ASSERT_INT(bitmap[15], ~0ULL);
	ASSERT_INT(region_byte(&log, 0), 0x02);	/* all consumed: no write */
	close(log.fd);
}

TEST(dirty_region_smaller_log_pages)
{
	const unsigned char bits[] = { 0, 0, 0x03 };	/* pages 16 and 17 */
	struct dirty_log log;
	__u64 bitmap[1] = { 0 };

	if (fake_region(&log, 4 * KIB, bits, sizeof(bits)))
		return;
	/* Both in the second 64 KiB page. */
	ASSERT_INT(dirty_log_report(&log, 0, 256 * KIB, 64 * KIB, bitmap), 0);
	ASSERT_INT(bitmap[0], 0x2);
	ASSERT_INT(region_byte(&log, 2), 0x03);	/* no write */
	close(log.fd);
}

TEST(dirty_region_window_cuts_a_page)
{
	const unsigned char bits[] = { 0x03 };	/* 2 MiB pages 0 and 1 */
	struct dirty_log log;
	__u64 bitmap[8] = { 0 };

	if (fake_region(&log, 2 * MIB, bits, sizeof(bits)))
		return;
	/* [1 MiB, 3 MiB) holds half of each: reported, and both kept. */
	ASSERT_INT(dirty_log_report(&log, 1 * MIB, 2 * MIB, 4 * KIB, bitmap), 0);
	ASSERT_INT(count_bits(bitmap, 8), 512);
	ASSERT_INT(region_byte(&log, 0), 0x03);
	close(log.fd);
}

TEST(dirty_region_errors)
{
	const unsigned char bits[] = { 0x01 };
	struct dirty_log log;
	__u64 bitmap[1] = { 0 };

	if (fake_region(&log, 0, bits, sizeof(bits)))	/* not running */
		return;
	ASSERT_INT(dirty_log_report(&log, 0, 32 * KIB, 4 * KIB, bitmap), -EINVAL);
	ASSERT_INT(dirty_log_report(&log, 0, 32 * KIB, 3 * KIB, bitmap), -EINVAL);
	ASSERT_INT(dirty_log_report(&log, 0, 0, 4 * KIB, bitmap), -EINVAL);
	ASSERT_INT(dirty_log_report(&log, ~0ULL - 4095, 8 * KIB, 4 * KIB, bitmap), -EINVAL);
	ASSERT_INT(region_byte(&log, 0), 0x01);		/* untouched */
	close(log.fd);
}

TEST(dirty_via_names)
{
	enum dirty_via via;

	ASSERT_INT(dirty_via_parse("uapi", &via), 0);
	ASSERT_INT(via, DIRTY_VIA_UAPI);
	ASSERT_INT(dirty_via_parse("region", &via), 0);
	ASSERT_STR(dirty_via_name(via), "region");
	ASSERT_INT(dirty_via_parse("auto", &via), 0);
	ASSERT_INT(dirty_via_parse("iommufd", &via), -EINVAL);
}
