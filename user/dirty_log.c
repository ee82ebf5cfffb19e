// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The DMA dirty log of a VFIO device, by the VFIO uAPI or the vfmig region
 * (see dirty_log.h).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/vfio.h>

#include "dirty_log.h"

int dirty_via_parse(const char *text, enum dirty_via *via)
{
	static const char *const names[] = { "auto", "uapi", "region" };

	for (unsigned int i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(text, names[i])) {
			*via = i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *dirty_via_name(enum dirty_via via)
{
	return via == DIRTY_VIA_UAPI ? "uapi" : via == DIRTY_VIA_REGION ? "region" : "auto";
}

/* VFIO_DEVICE_FEATURE with @size bytes of @data; 0 or -errno. */
static int feature(int fd, __u32 flags, const void *data, size_t size)
{
	size_t argsz = sizeof(struct vfio_device_feature) + size;
	struct vfio_device_feature *f = calloc(1, argsz);
	int err = 0;

	if (!f)
		return -ENOMEM;
	f->argsz = argsz;
	f->flags = flags;
	if (size)
		memcpy(f->data, data, size);
	if (ioctl(fd, VFIO_DEVICE_FEATURE, f))
		err = -errno;
	else if (size)
		memcpy((void *)data, f->data, size);
	free(f);
	return err;
}

/* The offset of the vfmig dirty-log region, by its type capability. */
static int find_region(int fd, __u64 *offset)
{
	struct vfio_device_info dev = { .argsz = sizeof(dev) };
	char buf[4096];

	if (ioctl(fd, VFIO_DEVICE_GET_INFO, &dev))
		return -errno;
	for (__u32 i = VFIO_PCI_NUM_REGIONS; i < dev.num_regions; i++) {
		struct vfio_region_info *info = (void *)buf;
		__u32 next;

		memset(buf, 0, sizeof(buf));
		info->argsz = sizeof(buf);
		info->index = i;
		if (ioctl(fd, VFIO_DEVICE_GET_REGION_INFO, info) ||
		    !(info->flags & VFIO_REGION_INFO_FLAG_CAPS) || info->argsz > sizeof(buf))
			continue;
		for (next = info->cap_offset; next && next + sizeof(struct vfio_region_info_cap_type) <= sizeof(buf);) {
			struct vfio_region_info_cap_type *cap = (void *)(buf + next);

			if (cap->header.id == VFIO_REGION_INFO_CAP_TYPE &&
			    cap->type == VFMIG_REGION_TYPE &&
			    cap->subtype == VFMIG_REGION_SUBTYPE_DIRTY) {
				*offset = info->offset;
				return 0;
			}
			next = cap->header.next;
		}
	}
	return -ENOENT;
}

int dirty_log_open(struct dirty_log *log, int device_fd, enum dirty_via via)
{
	bool uapi = !feature(device_fd, VFIO_DEVICE_FEATURE_DMA_LOGGING_START |
			     VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_SET, NULL, 0);
	bool region = !find_region(device_fd, &log->region);

	log->fd = device_fd;
	if (via == DIRTY_VIA_AUTO && !uapi && !region)
		return -ENOTTY;
	if ((via == DIRTY_VIA_UAPI && !uapi) || (via == DIRTY_VIA_REGION && !region))
		return -ENODEV;
	log->via = via != DIRTY_VIA_AUTO ? via : uapi ? DIRTY_VIA_UAPI : DIRTY_VIA_REGION;
	return 0;
}

static int region_rw(const struct dirty_log *log, void *buf, size_t len, __u64 off,
		     bool write)
{
	ssize_t n = write ? pwrite(log->fd, buf, len, log->region + off)
			  : pread(log->fd, buf, len, log->region + off);

	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

int dirty_log_start(const struct dirty_log *log, __u64 *page_size,
		    const struct vfmig_dirty_range *ranges, __u32 nr)
{
	if (log->via == DIRTY_VIA_UAPI) {
		struct vfio_device_feature_dma_logging_control ctl = {
			.page_size = *page_size,
			.num_ranges = nr,
			.ranges = (uintptr_t)ranges,
		};
		/* Same layout: struct vfio_device_feature_dma_logging_range. */
		int err = feature(log->fd, VFIO_DEVICE_FEATURE_DMA_LOGGING_START |
				  VFIO_DEVICE_FEATURE_SET, &ctl, sizeof(ctl));

		if (!err)
			*page_size = ctl.page_size;
		return err;
	}

	size_t size = sizeof(struct vfmig_dirty_control) + nr * sizeof(ranges[0]);
	struct vfmig_dirty_control *ctl = calloc(1, size);
	struct vfmig_dirty_status st;
	int err;

	if (!ctl)
		return -ENOMEM;
	ctl->op = VFMIG_DIRTY_START;
	ctl->num_ranges = nr;
	ctl->page_size = *page_size;
	memcpy(ctl->ranges, ranges, nr * sizeof(ranges[0]));
	err = region_rw(log, ctl, size, 0, true) ?: dirty_log_status(log, &st);
	free(ctl);
	if (!err)
		*page_size = st.page_size;
	return err;
}

int dirty_log_stop(const struct dirty_log *log)
{
	struct vfmig_dirty_control ctl = { .op = VFMIG_DIRTY_STOP };

	if (log->via == DIRTY_VIA_UAPI)
		return feature(log->fd, VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP |
			       VFIO_DEVICE_FEATURE_SET, NULL, 0);
	return region_rw(log, &ctl, sizeof(ctl), 0, true);
}

int dirty_log_status(const struct dirty_log *log, struct vfmig_dirty_status *st)
{
	if (log->via != DIRTY_VIA_REGION)
		return -EOPNOTSUPP;
	return region_rw(log, st, sizeof(*st), 0, false);
}

static void set_bits(__u64 *bitmap, __u64 first, __u64 count)
{
	for (__u64 i = first; i < first + count; i++)
		bitmap[i / 64] |= 1ULL << (i % 64);
}

/*
 * The region reports whole bytes of its own pages: read the bytes covering
 * the window, convert to @page_size, and write back the pages not wholly
 * inside the window, which this report must not consume.
 */
static int region_report(const struct dirty_log *log, __u64 iova, __u64 length,
			 __u64 page_size, __u64 *bitmap)
{
	struct vfmig_dirty_status st;
	__u64 last = iova + length - 1, first_byte, nbytes, shift;
	unsigned char *bytes;
	bool give_back = false;
	int err;

	err = dirty_log_status(log, &st);
	if (err)
		return err;
	if (!(st.flags & VFMIG_DIRTY_RUNNING))
		return -EINVAL;
	shift = __builtin_ctzll(st.page_size);
	first_byte = (iova >> shift) / 8;
	nbytes = (last >> shift) / 8 - first_byte + 1;
	if (VFMIG_DIRTY_BITMAP_OFFSET + first_byte + nbytes > VFMIG_DIRTY_REGION_SIZE)
		return -E2BIG;
	bytes = malloc(nbytes);
	if (!bytes)
		return -ENOMEM;
	err = region_rw(log, bytes, nbytes, VFMIG_DIRTY_BITMAP_OFFSET + first_byte, false);
	for (__u64 b = 0; !err && b < nbytes * 8; b++) {
		__u64 start, end, lo, hi;

		if (!bytes[b / 8]) {
			b |= 7;		/* a clean byte: the next one */
			continue;
		}
		if (!(bytes[b / 8] & (1U << (b % 8))))
			continue;
		start = (first_byte * 8 + b) << shift;
		end = start + st.page_size - 1;
		if (start >= iova && end <= last)
			bytes[b / 8] &= ~(1U << (b % 8));	/* consumed */
		else
			give_back = true;
		if (end < iova || start > last)
			continue;
		lo = start > iova ? start : iova;
		hi = end < last ? end : last;
		set_bits(bitmap, (lo - iova) / page_size, (hi - iova) / page_size -
			 (lo - iova) / page_size + 1);
	}
	if (!err && give_back)
		err = region_rw(log, bytes, nbytes, VFMIG_DIRTY_BITMAP_OFFSET + first_byte,
				true);
	free(bytes);
	return err;
}

int dirty_log_report(const struct dirty_log *log, __u64 iova, __u64 length,
		     __u64 page_size, __u64 *bitmap)
{
	if (!length || page_size < 4096 || (page_size & (page_size - 1)) ||
	    iova + length - 1 < iova)
		return -EINVAL;
	if (log->via == DIRTY_VIA_UAPI) {
		struct vfio_device_feature_dma_logging_report rep = {
			.iova = iova,
			.length = length,
			.page_size = page_size,
			.bitmap = (uintptr_t)bitmap,
		};

		return feature(log->fd, VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT |
			       VFIO_DEVICE_FEATURE_GET, &rep, sizeof(rep));
	}
	return region_report(log, iova, length, page_size, bitmap);
}
