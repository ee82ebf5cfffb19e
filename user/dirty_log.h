/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A device's DMA dirty log, through whichever way the kernel offers: the
 * VFIO DMA logging uAPI (VFIO_DEVICE_FEATURE_DMA_LOGGING_*) where the VFIO
 * core has it, else the vfmig dirty-log region (include/vfmig_dirty.h).
 * Both give the same answers; reports are in the uAPI's bitmap format.
 */
#ifndef VFMIG_DIRTY_LOG_H
#define VFMIG_DIRTY_LOG_H

#include <linux/types.h>

#include "vfmig_dirty.h"

enum dirty_via {
	DIRTY_VIA_AUTO,		/* the uAPI if offered, else the region */
	DIRTY_VIA_UAPI,
	DIRTY_VIA_REGION,
};

struct dirty_log {
	int fd;			/* the VFIO device */
	enum dirty_via via;	/* never AUTO once opened */
	__u64 region;		/* file offset of the vfmig region */
};

/* "auto", "uapi" or "region"; -EINVAL for anything else. */
int dirty_via_parse(const char *text, enum dirty_via *via);
const char *dirty_via_name(enum dirty_via via);

/*
 * Finds the way in on @device_fd; -ENOTTY when the device offers neither
 * (no program with VFMIG_F_DIRTY_LOG when it was opened), -ENODEV when
 * @via asks for one it does not offer.
 */
int dirty_log_open(struct dirty_log *log, int device_fd, enum dirty_via via);
/* *@page_size: the granule asked for, then the one the device chose. */
int dirty_log_start(const struct dirty_log *log, __u64 *page_size,
		    const struct vfmig_dirty_range *ranges, __u32 nr);
int dirty_log_stop(const struct dirty_log *log);
/*
 * Reads and clears the log for [@iova, + @length) into @bitmap, one bit per
 * @page_size (a power of two, >= 4096), which the caller zeroed: bit n is
 * IOVA @iova + n * @page_size.  Region path: pages read but outside the
 * window are written back, so nothing is lost.  0 or -errno.
 */
int dirty_log_report(const struct dirty_log *log, __u64 iova, __u64 length,
		     __u64 page_size, __u64 *bitmap);
/* The region's status (region path only; -EOPNOTSUPP on the uAPI). */
int dirty_log_status(const struct dirty_log *log, struct vfmig_dirty_status *st);

#endif /* VFMIG_DIRTY_LOG_H */
