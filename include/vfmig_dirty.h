/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The vfmig dirty-log region: DMA dirty-page logging on kernels whose VFIO
 * core has no DMA logging uAPI (built without IOMMUFD, as Debian's are).
 *
 * A device whose program sets VFMIG_F_DIRTY_LOG has, while open, one extra
 * VFIO region of type VFMIG_REGION_TYPE, subtype VFMIG_REGION_SUBTYPE_DIRTY
 * (find it with VFIO_DEVICE_GET_INFO and the region type capability).  It
 * drives the same log as VFIO_DEVICE_FEATURE_DMA_LOGGING_{START,STOP,REPORT}
 * on kernels that have those, with the same rules:
 *
 *   offset 0, write   struct vfmig_dirty_control and its ranges, in one
 *                     write: start (a second start fails with EBUSY) or
 *                     stop (stopping a stopped log succeeds)
 *   offset 0, read    struct vfmig_dirty_status
 *   VFMIG_DIRTY_BITMAP_OFFSET + N, read
 *                     the log at its page size: bit i of byte N is page
 *                     8 * N + i, i.e. IOVA (8 * N + i) * page_size; reading
 *                     returns and clears those bits
 *   VFMIG_DIRTY_BITMAP_OFFSET + N, write
 *                     sets bits again (ORs them in), so a reader can give
 *                     back what it read and does not want to report yet
 *
 * Closing the device stops the log.  A read fails with EIO once marks may
 * have been lost (the program stopped while logging): stop and start again
 * and treat everything as dirty meanwhile, as the VFIO uAPI asks.
 */
#ifndef _VFMIG_DIRTY_H
#define _VFMIG_DIRTY_H

#include <linux/types.h>

/*
 * VFIO_REGION_TYPE_PCI_VENDOR_TYPE with vendor 0xffff, which no vendor has
 * (it is what reading an absent function returns): never a program's own.
 */
#define VFMIG_REGION_TYPE		((1U << 31) | 0xffff)
#define VFMIG_REGION_SUBTYPE_DIRTY	1

#define VFMIG_DIRTY_BITMAP_OFFSET	4096ULL
/* The VFIO PCI region offset space: 2^40 bytes, i.e. 2^43 pages. */
#define VFMIG_DIRTY_REGION_SIZE		(1ULL << 40)
/* As the VFIO core's DMA logging: ranges that fit in one 4 KiB page. */
#define VFMIG_DIRTY_MAX_RANGES		256

#define VFMIG_DIRTY_START		1
#define VFMIG_DIRTY_STOP		2

struct vfmig_dirty_range {
	__u64 iova;
	__u64 length;
};

/*
 * @op: VFMIG_DIRTY_START or VFMIG_DIRTY_STOP
 * @num_ranges: ranges that follow (start only)
 * @page_size: the granule asked for; the status tells the one chosen
 * @ranges: aligned to the chosen page size, not overlapping
 */
struct vfmig_dirty_control {
	__u32 op;
	__u32 num_ranges;
	__u64 page_size;
	struct vfmig_dirty_range ranges[];
};

#define VFMIG_DIRTY_RUNNING	0x1	/* started and not stopped */
#define VFMIG_DIRTY_LOST	0x2	/* marks may be missing: reads fail */

struct vfmig_dirty_status {
	__u64 page_size;		/* 0 when not running */
	__u32 num_ranges;
	__u32 flags;			/* VFMIG_DIRTY_RUNNING, _LOST */
	__u64 marked;			/* pages marked since the device opened */
};

#endif /* _VFMIG_DIRTY_H */
