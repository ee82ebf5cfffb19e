// SPDX-License-Identifier: GPL-2.0
/*
 * Vendor regions: VFIO regions a program declares from init() and serves
 * entirely from its region hooks, as a vendor driver adds device-specific
 * regions to vfio-pci (the origin thread's "customized device regions").
 *
 * The user finds one as VFIO_REGION_TYPE_PCI_VENDOR_TYPE | the device's
 * vendor id with the program's subtype; the program sees region n at index
 * VFMIG_VENDOR_REGION(n).  Like the dirty-log region, they are added when
 * the device is opened, since the VFIO core lists regions without a lock
 * we could take, and they are never mmappable: every byte goes through the
 * program.
 */
#include <linux/sched/signal.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>

#include "internal.h"

/**
 * vfmig_vendor_region_add() - declare a region for a binding not published yet
 * @b: the binding whose init() runs
 * @subtype: the region's subtype, unique among the program's regions
 * @size: its size in bytes, 1 to %VFMIG_MAX_REGION_SIZE
 * @flags: %VFMIG_REGION_READ and/or %VFMIG_REGION_WRITE
 *
 * Return: the region's number n (index VFMIG_VENDOR_REGION(n) in the
 * hooks); -EINVAL for a bad size or flags, -EEXIST for a subtype already
 * declared, -ENOSPC past %VFMIG_MAX_REGIONS.
 */
int vfmig_vendor_region_add(struct vfmig_binding *b, u32 subtype, u64 size,
			    u32 flags)
{
	unsigned int i;

	if (!size || size > VFMIG_MAX_REGION_SIZE || !flags ||
	    (flags & ~(VFMIG_REGION_READ | VFMIG_REGION_WRITE)))
		return -EINVAL;
	for (i = 0; i < b->nr_regions; i++)
		if (b->regions[i].subtype == subtype)
			return -EEXIST;
	if (b->nr_regions == VFMIG_MAX_REGIONS)
		return -ENOSPC;
	b->regions[b->nr_regions] = (struct vfmig_vendor_region){
		.subtype = subtype, .size = size, .flags = flags,
	};
	return b->nr_regions++;
}

/* The VFIO region of @core at @ppos, which is one of ours. */
static struct vfio_pci_region *vfmig_region_at(struct vfio_pci_core_device *core,
					       loff_t ppos)
{
	return &core->region[VFIO_PCI_OFFSET_TO_INDEX(ppos) - VFIO_PCI_NUM_REGIONS];
}

/*
 * Does @b serve region @n as the user knows it?  The program that declared
 * it at open does while it runs; one attached since serves it only if it
 * declares the same region.
 */
static bool vfmig_region_served(const struct vfmig_binding *b, unsigned int n,
				const struct vfio_pci_region *region)
{
	const struct vfmig_vendor_region *r;

	if (!b || READ_ONCE(b->error) || n >= b->nr_regions)
		return false;
	r = &b->regions[n];
	return r->subtype == region->subtype && r->size == region->size &&
	       r->flags == (region->flags & (VFMIG_REGION_READ | VFMIG_REGION_WRITE));
}

/*
 * Piece by piece, each under its own SRCU section with the user's bytes
 * copied before or after it: a copy that faults on user memory for as
 * long as the user likes keeps no detach waiting.  A change of program
 * part-way makes a short access, or -ENODEV if the new one does not serve
 * the region.
 */
static ssize_t vfmig_vendor_region_rw(struct vfio_pci_core_device *core,
				      char __user *buf, size_t count,
				      loff_t *ppos, bool iswrite)
{
	struct vfmig_device *mdev = container_of(core, struct vfmig_device, core);
	struct vfio_pci_region *region = vfmig_region_at(core, *ppos);
	unsigned int n = (uintptr_t)region->data;
	u64 pos = *ppos & VFIO_PCI_OFFSET_MASK;
	struct vfmig_binding *b;
	size_t done = 0;
	ssize_t ret = 0;
	int idx;

	if (!(region->flags & (iswrite ? VFMIG_REGION_WRITE : VFMIG_REGION_READ)))
		return -EINVAL;
	if (pos >= region->size || count > region->size - pos)
		return -EINVAL;

	while (done < count) {
		size_t size = vfmig_piece_size(pos, count - done);
		__le64 data = 0;

		/* A large read is many calls: stay preemptible and killable. */
		cond_resched();
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		if (iswrite && copy_from_user(&data, buf + done, size)) {
			ret = -EFAULT;
			break;
		}
		idx = srcu_read_lock(&mdev->srcu);
		b = srcu_dereference(mdev->binding, &mdev->srcu);
		if (vfmig_region_served(b, n, region))
			ret = vfmig_hook_piece(mdev, b, &data,
					       VFMIG_VENDOR_REGION(n), pos,
					       size, iswrite);
		else
			ret = -ENODEV;
		srcu_read_unlock(&mdev->srcu, idx);
		if (ret > 0 && !iswrite && copy_to_user(buf + done, &data, size))
			ret = -EFAULT;
		if (ret <= 0)
			break;
		done += ret;
		pos += ret;
	}
	/* Nothing stands behind a vendor region to pass an access to. */
	if (!ret)
		ret = -EINVAL;
	if (!done)
		return ret;
	*ppos += done;
	return done;
}

static void vfmig_vendor_region_release(struct vfio_pci_core_device *core,
					struct vfio_pci_region *region)
{
}

static const struct vfio_pci_regops vfmig_vendor_regops = {
	.rw = vfmig_vendor_region_rw,
	.release = vfmig_vendor_region_release,
};

/**
 * vfmig_vendor_regions_open() - add the attached program's regions
 * @mdev: the device, being opened for the first time, vfio-pci enabled
 *
 * Context: @mdev->lock held.
 * Return: 0, or -errno if a region could not be added (the caller's
 * vfio_pci_core_disable() removes those that were).
 */
int vfmig_vendor_regions_open(struct vfmig_device *mdev)
{
	u32 type = VFIO_REGION_TYPE_PCI_VENDOR_TYPE | mdev->core.pdev->vendor;
	struct vfmig_binding *b;
	unsigned int i;
	int ret;

	lockdep_assert_held(&mdev->lock);
	b = rcu_dereference_protected(mdev->binding,
				      lockdep_is_held(&mdev->lock));
	if (!b || b->error)
		return 0;
	for (i = 0; i < b->nr_regions; i++) {
		ret = vfio_pci_core_register_dev_region(&mdev->core, type,
							b->regions[i].subtype,
							&vfmig_vendor_regops,
							b->regions[i].size,
							b->regions[i].flags,
							(void *)(uintptr_t)i);
		if (ret)
			return ret;
	}
	return 0;
}
