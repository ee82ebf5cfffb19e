// SPDX-License-Identifier: GPL-2.0
/*
 * The bottom of the module: the registry of bound devices, in which
 * struct_ops attach finds a device by its BDF, and the error a device
 * reports in sysfs.  It calls no other file of the module, which all may
 * call it.
 */
#include <linux/pci.h>

#include "internal.h"

/* Protects vfmig_devices and every binding's list membership. */
DEFINE_MUTEX(vfmig_lock);
static LIST_HEAD(vfmig_devices);

/**
 * vfmig_find_device() - look up a bound device by its PCI address
 * @bdf: "DDDD:BB:DD.F"
 *
 * Context: vfmig_lock held.
 * Return: the device, or NULL when no device with that address is bound.
 */
struct vfmig_device *vfmig_find_device(const char *bdf)
{
	struct vfmig_device *mdev;

	lockdep_assert_held(&vfmig_lock);
	list_for_each_entry(mdev, &vfmig_devices, node)
		if (!strcmp(mdev->dev.bdf, bdf))
			return mdev;
	return NULL;
}

/**
 * vfmig_set_error() - say why the program or migration failed: in sysfs
 * (last_error) and in the kernel log
 * @mdev: the device
 * @fmt: printf format
 *
 * Context: any.
 */
void vfmig_set_error(struct vfmig_device *mdev, const char *fmt, ...)
{
	char msg[sizeof(mdev->err.msg)];
	unsigned long flags;
	va_list args;

	va_start(args, fmt);
	vsnprintf(msg, sizeof(msg), fmt, args);
	va_end(args);

	spin_lock_irqsave(&mdev->err.lock, flags);
	strscpy(mdev->err.msg, msg, sizeof(mdev->err.msg));
	spin_unlock_irqrestore(&mdev->err.lock, flags);
	dev_warn_ratelimited(&mdev->core.pdev->dev, "%s\n", msg);
}

/**
 * vfmig_device_add() - list a device bound to vfmig-pci
 * @mdev: the device, registered with the VFIO core
 *
 * Context: process; takes vfmig_lock.
 */
void vfmig_device_add(struct vfmig_device *mdev)
{
	mutex_lock(&vfmig_lock);
	list_add_tail(&mdev->node, &vfmig_devices);
	mutex_unlock(&vfmig_lock);
}

/**
 * vfmig_device_del() - take a device being removed off the list
 * @mdev: the device
 *
 * Attach no longer finds it; bindings it has stay until detached.
 *
 * Context: process; takes vfmig_lock.
 */
void vfmig_device_del(struct vfmig_device *mdev)
{
	mutex_lock(&vfmig_lock);
	list_del(&mdev->node);
	mutex_unlock(&vfmig_lock);
}
