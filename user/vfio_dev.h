/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A PCI device opened through the VFIO uAPI the way a VMM opens it: its
 * device cdev bound to an iommufd, where the kernel has both (as QEMU's
 * iommufd backend), or the legacy container and group with the type1v2
 * IOMMU; and its migration features.  Only the VFIO and iommufd uAPI:
 * nothing here knows vfmig, so the verbs work on any VFIO migration driver.
 */
#ifndef VFMIG_VFIO_DEV_H
#define VFMIG_VFIO_DEV_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "vfmig.h"

struct vfio_dev {
	char bdf[VFMIG_BDF_LEN];
	int container;
	int group;
	int iommufd;
	int fd;		/* closing it returns the device to RUNNING */
};

enum vfio_backend {
	VFIO_BACKEND_AUTO,	/* iommufd where the kernel has it */
	VFIO_BACKEND_IOMMUFD,
	VFIO_BACKEND_CONTAINER,
};

/* "auto", "iommufd" or "container"; -EINVAL for anything else. */
int vfio_backend_parse(const char *name, enum vfio_backend *backend);

/*
 * Opens @bdf through @backend; 0, or EXIT_FAIL after printing what is wrong
 * and how to fix it (no such device, not bound to a VFIO driver, no IOMMU
 * group, group in use or not viable, VFIO modules not loaded, no iommufd).
 */
int vfio_dev_open(struct vfio_dev *dev, const char *bdf, enum vfio_backend backend);
void vfio_dev_close(struct vfio_dev *dev);

/* The VFIO_MIGRATION_* flags; -ENOTTY when the device cannot migrate. */
int vfio_mig_flags(const struct vfio_dev *dev, __u64 *flags);
/* VFIO_DEVICE_FEATURE_MIG_DATA_SIZE: the STOP_COPY estimate; -errno. */
int vfio_mig_data_size(const struct vfio_dev *dev, __u64 *size);
/* The current enum vfio_device_mig_state; -errno. */
int vfio_mig_get_state(const struct vfio_dev *dev, __u32 *state);
/*
 * Moves the device to @state (the kernel walks the arcs between); @data_fd
 * gets the data fd the move opened, or -1.  0 or -errno.
 */
int vfio_mig_set_state(const struct vfio_dev *dev, __u32 state, int *data_fd);

/* VFIO_MIG_GET_PRECOPY_INFO on the data fd of PRE_COPY; 0 or -errno. */
int vfio_precopy_info(int data_fd, __u64 *initial_bytes, __u64 *dirty_bytes);

/* "stop-copy" for VFIO_DEVICE_STATE_STOP_COPY etc.; "unknown" past them. */
const char *mig_state_name(__u32 state);
/* The state named @name (as mig_state_name() prints it); -EINVAL. */
int mig_state_parse(const char *name, __u32 *state);
/* The names mig_state_parse() takes, for help and messages. */
#define MIG_STATE_NAMES	"stop, running, stop-copy, resuming, running-p2p, " \
			"pre-copy, pre-copy-p2p, error"
/* Prints the names of the VFIO_MIGRATION_* @flags, " "-separated. */
void mig_flags_text(__u64 flags, char *text, size_t size);

#endif /* VFMIG_VFIO_DEV_H */
