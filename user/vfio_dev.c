// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/vfio.h>
#include <linux/iommufd.h>

#include "cli.h"
#include "sysfs.h"
#include "vfio_dev.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* The fix named when a device is not usable through VFIO. */
#define BIND_FIX	"bind it to " VFMIG_DRIVER_NAME " (vfmig-load bind --bdf %s)"

static const char *const state_names[] = VFMIG_MIG_STATE_NAMES;

/* Checks what sysfs says, then finds the group: its number, or EXIT_FAILURE. */
static int find_group(const char *bdf, char *group, size_t size)
{
	char path[PATH_MAX], target[PATH_MAX], driver[64];
	const char *base;
	ssize_t len;

	if (!device_exists(bdf))
		return cli_fail("%s: no such PCI device (lspci -D lists them)", bdf);
	device_driver(bdf, driver, sizeof(driver));
	if (!driver[0])
		return cli_fail("%s is bound to no driver: " BIND_FIX, bdf, bdf);
	/* Every VFIO PCI driver is vfio-pci or a *vfio* variant, but ours. */
	if (strcmp(driver, VFMIG_DRIVER_NAME) && !strstr(driver, "vfio"))
		return cli_fail("%s is bound to %s, not to a VFIO driver: " BIND_FIX,
				bdf, driver, bdf);
	len = -1;
	if (!sysfs_path(path, "bus/pci/devices/%s/iommu_group", bdf))
		len = readlink(path, target, sizeof(target) - 1);
	if (len < 0)
		return cli_fail("%s is in no IOMMU group: enable the IOMMU (intel_iommu=on or amd_iommu=on on the kernel command line)",
				bdf);
	target[len] = '\0';
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	len = strlen(base);
	/* It names /dev/vfio/N: only a number will do. */
	if (!len || (size_t)len >= size || strspn(base, "0123456789") != (size_t)len)
		return cli_fail("%s: unexpected IOMMU group '%s'", bdf, base);
	memcpy(group, base, len + 1);
	return 0;
}

static int open_group(struct vfio_dev *dev, const char *group)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	char path[64];

	dev->container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (dev->container < 0)
		return cli_fail("/dev/vfio/vfio: %s: load VFIO (modprobe vfio-pci)",
				strerror(errno));
	if (ioctl(dev->container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) <= 0)
		return cli_fail("VFIO has no type1v2 IOMMU: load it (modprobe vfio_iommu_type1)");

	snprintf(path, sizeof(path), "/dev/vfio/%s", group);
	dev->group = open(path, O_RDWR | O_CLOEXEC);
	if (dev->group < 0 && errno == EBUSY)
		return cli_fail("IOMMU group %s of %s is in use: stop the VMM or tool that has it open",
				group, dev->bdf);
	if (dev->group < 0)
		return cli_fail("%s: %s: " BIND_FIX, path, strerror(errno), dev->bdf);
	if (ioctl(dev->group, VFIO_GROUP_GET_STATUS, &status))
		return cli_fail("%s: group status: %s", path, strerror(errno));
	if (!(status.flags & VFIO_GROUP_FLAGS_VIABLE))
		return cli_fail("IOMMU group %s is not viable: bind every device in /sys/kernel/iommu_groups/%s/devices to a VFIO driver",
				group, group);
	if (ioctl(dev->group, VFIO_GROUP_SET_CONTAINER, &dev->container) ||
	    ioctl(dev->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		return cli_fail("%s: cannot set up its container: %s", path,
				strerror(errno));
	return 0;
}

int vfio_backend_parse(const char *name, enum vfio_backend *backend)
{
	static const char *const names[] = { "auto", "iommufd", "container" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(name, names[i])) {
			*backend = i;
			return 0;
		}
	return -EINVAL;
}

/* The device's cdev, /dev/vfio/devices/vfioN, or -ENOENT without one. */
static int find_cdev(const char *bdf, char *cdev, size_t size)
{
	char dir[PATH_MAX];
	struct dirent *d;
	DIR *dirp;
	int ret = -ENOENT;

	if (sysfs_path(dir, "bus/pci/devices/%s/vfio-dev", bdf))
		return -ENAMETOOLONG;
	dirp = opendir(dir);
	if (!dirp)
		return -ENOENT;
	while ((d = readdir(dirp)))
		if (!strncmp(d->d_name, "vfio", 4) &&
		    (size_t)snprintf(cdev, size, "/dev/vfio/devices/%s", d->d_name) < size) {
			ret = 0;
			break;
		}
	closedir(dirp);
	return ret;
}

/* The cdev bound to a new iommufd, attached to an empty IOAS. */
static int open_cdev(struct vfio_dev *dev, const char *cdev)
{
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
	struct vfio_device_attach_iommufd_pt attach = { .argsz = sizeof(attach) };
	struct iommu_ioas_alloc ioas = { .size = sizeof(ioas) };

	dev->iommufd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	if (dev->iommufd < 0)
		return cli_fail("/dev/iommu: %s: this kernel has no IOMMUFD (use --backend container)",
				strerror(errno));
	dev->fd = open(cdev, O_RDWR | O_CLOEXEC);
	if (dev->fd < 0 && errno == EBUSY)
		return cli_fail("%s (%s) is in use: stop the VMM or tool that has it open",
				cdev, dev->bdf);
	if (dev->fd < 0)
		return cli_fail("%s: %s", cdev, strerror(errno));
	bind.iommufd = dev->iommufd;
	if (ioctl(dev->fd, VFIO_DEVICE_BIND_IOMMUFD, &bind))
		return cli_fail("%s: cannot bind it to an iommufd: %s", cdev, strerror(errno));
	if (ioctl(dev->iommufd, IOMMU_IOAS_ALLOC, &ioas))
		return cli_fail("/dev/iommu: cannot allocate an IOAS: %s", strerror(errno));
	attach.pt_id = ioas.out_ioas_id;
	if (ioctl(dev->fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach))
		return cli_fail("%s: cannot attach it to its IOAS: %s", cdev, strerror(errno));
	return 0;
}

int vfio_dev_open(struct vfio_dev *dev, const char *bdf, enum vfio_backend backend)
{
	char group[32], cdev[PATH_MAX];
	bool iommufd;
	int err;

	*dev = (struct vfio_dev){ .container = -1, .group = -1, .iommufd = -1, .fd = -1 };
	snprintf(dev->bdf, sizeof(dev->bdf), "%s", bdf);
	err = find_group(bdf, group, sizeof(group));
	if (err)
		return err;
	iommufd = backend == VFIO_BACKEND_IOMMUFD ||
		  (backend == VFIO_BACKEND_AUTO && !access("/dev/iommu", F_OK));
	if (iommufd && find_cdev(bdf, cdev, sizeof(cdev)))
		err = backend == VFIO_BACKEND_IOMMUFD ?
		      cli_fail("%s has no VFIO device cdev (a kernel without VFIO_DEVICE_CDEV: use --backend container)",
			       bdf) : 0;
	else if (iommufd)
		err = open_cdev(dev, cdev);
	if (!err && dev->fd < 0) {
		iommufd = false;
		err = open_group(dev, group);
		if (!err) {
			dev->fd = ioctl(dev->group, VFIO_GROUP_GET_DEVICE_FD, bdf);
			if (dev->fd < 0)
				err = cli_fail("%s: cannot open the device: %s", bdf,
					       strerror(errno));
		}
	}
	if (err) {
		vfio_dev_close(dev);
		return err;
	}
	if (iommufd)
		cli_note("%s: opened through %s and an iommufd", bdf, cdev);
	else
		cli_note("%s: opened through IOMMU group %s", bdf, group);
	return 0;
}

void vfio_dev_close(struct vfio_dev *dev)
{
	if (dev->fd >= 0)
		close(dev->fd);
	if (dev->group >= 0)
		close(dev->group);
	if (dev->container >= 0)
		close(dev->container);
	if (dev->iommufd >= 0)
		close(dev->iommufd);
	dev->fd = dev->group = dev->container = dev->iommufd = -1;
}

/* VFIO_DEVICE_FEATURE with @size bytes of @data in and out; 0 or -errno. */
static int device_feature(const struct vfio_dev *dev, __u32 flags, void *data,
			  size_t size)
{
	union {
		struct vfio_device_feature feature;
		__u64 align[(sizeof(struct vfio_device_feature) + 16) / 8];
	} buf = { .feature = {
		.argsz = sizeof(struct vfio_device_feature) + size,
		.flags = flags,
	} };

	if (size > sizeof(buf) - sizeof(buf.feature))
		return -EINVAL;
	if (size)
		memcpy(buf.feature.data, data, size);
	if (ioctl(dev->fd, VFIO_DEVICE_FEATURE, &buf))
		return -errno;
	if (size)
		memcpy(data, buf.feature.data, size);
	return 0;
}

int vfio_mig_flags(const struct vfio_dev *dev, __u64 *flags)
{
	struct vfio_device_feature_migration mig = { 0 };
	int err;

	err = device_feature(dev, VFIO_DEVICE_FEATURE_MIGRATION |
			     VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_GET,
			     NULL, 0);
	if (!err)
		err = device_feature(dev, VFIO_DEVICE_FEATURE_MIGRATION |
				     VFIO_DEVICE_FEATURE_GET, &mig, sizeof(mig));
	*flags = mig.flags;
	return err;
}

int vfio_mig_data_size(const struct vfio_dev *dev, __u64 *size)
{
	struct vfio_device_feature_mig_data_size data = { 0 };
	int err;

	err = device_feature(dev, VFIO_DEVICE_FEATURE_MIG_DATA_SIZE |
			     VFIO_DEVICE_FEATURE_GET, &data, sizeof(data));
	*size = data.stop_copy_length;
	return err;
}

int vfio_mig_get_state(const struct vfio_dev *dev, __u32 *state)
{
	struct vfio_device_feature_mig_state mig = { .data_fd = -1 };
	int err;

	err = device_feature(dev, VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE |
			     VFIO_DEVICE_FEATURE_GET, &mig, sizeof(mig));
	*state = mig.device_state;
	return err;
}

int vfio_mig_set_state(const struct vfio_dev *dev, __u32 state, int *data_fd)
{
	struct vfio_device_feature_mig_state mig = {
		.device_state = state,
		.data_fd = -1,
	};
	int err;

	err = device_feature(dev, VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE |
			     VFIO_DEVICE_FEATURE_SET, &mig, sizeof(mig));
	*data_fd = err ? -1 : mig.data_fd;
	cli_note("%s: set state %s: %s%s", dev->bdf, mig_state_name(state),
		 err ? strerror(-err) : "ok", !err && *data_fd >= 0 ? ", data fd" : "");
	return err;
}

int vfio_precopy_info(int data_fd, __u64 *initial_bytes, __u64 *dirty_bytes)
{
	struct vfio_precopy_info info = { .argsz = sizeof(info) };

	if (ioctl(data_fd, VFIO_MIG_GET_PRECOPY_INFO, &info))
		return -errno;
	*initial_bytes = info.initial_bytes;
	*dirty_bytes = info.dirty_bytes;
	return 0;
}

const char *mig_state_name(__u32 state)
{
	return state < ARRAY_SIZE(state_names) ? state_names[state] : "unknown";
}

int mig_state_parse(const char *name, __u32 *state)
{
	for (__u32 i = 0; i < ARRAY_SIZE(state_names); i++) {
		if (!strcmp(name, state_names[i])) {
			*state = i;
			return 0;
		}
	}
	return -EINVAL;
}

void mig_flags_text(__u64 flags, char *text, size_t size)
{
	static const struct {
		__u64 flag;
		const char *name;
	} names[] = {
		{ VFIO_MIGRATION_STOP_COPY, "stop-copy" },
		{ VFIO_MIGRATION_P2P, "p2p" },
		{ VFIO_MIGRATION_PRE_COPY, "pre-copy" },
	};
	size_t len = 0;

	text[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		if (flags & names[i].flag)
			len += snprintf(text + len, size - len, "%s%s",
					len ? " " : "", names[i].name);
		flags &= ~names[i].flag;
		if (len >= size)
			return;
	}
	if (flags)
		snprintf(text + len, size - len, "%s0x%llx", len ? " " : "",
			 (unsigned long long)flags);
}
