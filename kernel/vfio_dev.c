// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_device_ops of vfmig-pci: everything delegates to vfio-pci-core, except
 * that region accesses inside an attached program's trap windows are offered
 * to its region hooks first.
 */
#include <linux/pagemap.h>
#include <linux/pci.h>
#include <linux/sched/signal.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>

#include "internal.h"

static int vfmig_init_dev(struct vfio_device *vdev)
{
	struct vfmig_device *mdev = to_vfmig(vdev);
	struct pci_dev *pdev = to_pci_dev(vdev->dev);
	int ret;

	ret = vfio_pci_core_init_dev(vdev);
	if (ret)
		return ret;

	mdev->stats = alloc_percpu(struct vfmig_access_stats);
	if (!mdev->stats)
		return -ENOMEM;
	ret = init_srcu_struct(&mdev->srcu);
	if (ret) {
		/* The VFIO core calls no release for a failed init. */
		free_percpu(mdev->stats);
		return ret;
	}
	mutex_init(&mdev->lock);
	mutex_init(&mdev->dirty.lock);
	init_rwsem(&mdev->trap_lock);
	spin_lock_init(&mdev->err.lock);
	vfmig_log_init(&mdev->log);
	vfmig_hold_init(&mdev->hold);
	vfmig_mig_init(mdev);
	INIT_WORK(&mdev->reset_work, vfmig_reset_work);
	init_waitqueue_head(&mdev->program_wq);
	mdev->awaiting_program = READ_ONCE(vfmig_wait_for_program_ms) > 0;
	INIT_LIST_HEAD(&mdev->node);
	mdev->dev.vendor = pdev->vendor;
	mdev->dev.device = pdev->device;
	mdev->dev.subsystem_vendor = pdev->subsystem_vendor;
	mdev->dev.subsystem_device = pdev->subsystem_device;
	strscpy(mdev->dev.bdf, pci_name(pdev), sizeof(mdev->dev.bdf));
	mdev->dev.vf_index = VFMIG_NO_VF;
	if (pdev->is_virtfn && pci_iov_vf_id(pdev) >= 0) {
		mdev->dev.vf_index = pci_iov_vf_id(pdev);
		strscpy(mdev->dev.pf_bdf, pci_name(pci_physfn(pdev)),
			sizeof(mdev->dev.pf_bdf));
	}
	vfmig_kfuncs_probe(mdev);
	return 0;
}

static void vfmig_release_dev(struct vfio_device *vdev)
{
	struct vfmig_device *mdev = to_vfmig(vdev);

	cancel_work_sync(&mdev->reset_work);
	cleanup_srcu_struct(&mdev->srcu);
	free_percpu(mdev->stats);
	mutex_destroy(&mdev->lock);
	mutex_destroy(&mdev->dirty.lock);
	mutex_destroy(&mdev->mig.state_mutex);
	vfio_pci_core_release_dev(vdev);
}

/*
 * Map every BAR at open so that kfuncs called from region hooks, which run
 * under RCU, never need pci_iomap(), which may sleep.  A BAR that cannot be
 * mapped only makes the kfuncs for it fail; vfio-pci maps lazily anyway.
 */
static void vfmig_map_bars(struct vfmig_device *mdev)
{
	int bar;

	for (bar = 0; bar < PCI_STD_NUM_BARS; bar++)
		if (pci_resource_len(mdev->core.pdev, bar))
			vfio_pci_core_setup_barmap(&mdev->core, bar);
}

static int vfmig_open_device(struct vfio_device *vdev)
{
	struct vfmig_device *mdev = to_vfmig(vdev);
	int ret;

	ret = vfmig_wait_for_program(mdev);
	if (ret)
		return ret;
	ret = vfio_pci_core_enable(&mdev->core);
	if (ret)
		return ret;

	vfmig_map_bars(mdev);

	mutex_lock(&mdev->lock);
	ret = vfmig_dirty_open(mdev) ?: vfmig_vendor_regions_open(mdev);
	if (ret) {
		mutex_unlock(&mdev->lock);
		vfio_pci_core_disable(&mdev->core);
		return ret;
	}
	mdev->barmap_ready = true;
	vfmig_mig_open(mdev);
	vfmig_notify_open(mdev);
	mutex_unlock(&mdev->lock);

	vfio_pci_core_finish_enable(&mdev->core);
	return 0;
}

static void vfmig_close_device(struct vfio_device *vdev)
{
	struct vfmig_device *mdev = to_vfmig(vdev);

	vfmig_notify_close(mdev);
	flush_work(&mdev->reset_work);
	vfmig_mig_close(mdev);
	vfmig_dirty_close(mdev);
	mutex_lock(&mdev->lock);
	WRITE_ONCE(mdev->barmap_ready, false);
	mutex_unlock(&mdev->lock);
	/* A kfunc that saw the BARs mapped is done before they go. */
	synchronize_srcu(&mdev->srcu);

	vfio_pci_core_close_device(vdev);
}

/*
 * What a part of an access done under the device's SRCU leaves to its
 * caller, which holds nothing then: a read piece the program answered
 * whose bytes did not reach the user without a page fault, or a copy
 * (ours or vfio-pci's) that needs one before the part goes on.
 */
struct vfmig_rw_tail {
	__le64 data;
	size_t size;		/* bytes of @data still for the user, or 0 */
	bool fault;		/* fault the buffer in and go on */
	bool held;		/* not done: a callback holds trapped accesses */
};

/* A piece for the hooks, its bytes copied with page faults off. */
static ssize_t vfmig_hook_user(struct vfmig_device *mdev,
			       struct vfmig_binding *b, char __user *buf,
			       u32 index, u64 pos, size_t size, bool iswrite,
			       struct vfmig_rw_tail *tail)
{
	__le64 data = 0;
	ssize_t ret;

	if (iswrite && copy_from_user(&data, buf, size)) {
		tail->fault = true;
		return -EFAULT;
	}
	ret = vfmig_hook_piece(mdev, b, &data, index, pos, size, iswrite);
	if (ret > 0 && !iswrite && copy_to_user(buf, &data, size)) {
		tail->data = data;
		tail->size = size;
		return -EFAULT;
	}
	return ret;
}

/*
 * Walk [pos, pos + count) of one region for binding @b, or none: stretches
 * outside trap windows go to vfio-pci in one call, stretches inside are
 * cut into aligned pieces for the hooks.  Returns the bytes done, like
 * read(2), or -errno if none were; a copy that needed a page fault ends
 * the walk, as @tail says.
 *
 * Context: mdev->srcu held by the caller from the lookup of @b to the end
 * of the last access, so a window installed meanwhile waits for it; page
 * faults disabled, so that it never waits for one: a user fault may take
 * as long as the user likes (userfaultfd, FUSE).
 */
static ssize_t vfmig_rw(struct vfmig_device *mdev, struct vfmig_binding *b,
			char __user *buf, size_t count, u32 index, u64 pos,
			bool iswrite, struct vfmig_rw_tail *tail)
{
	struct vfio_device *vdev = &mdev->core.vdev;
	/* No hook for this direction: nothing would look at pieces. */
	bool hooked = b && (iswrite ? b->ops->region_write : b->ops->region_read);
	size_t done = 0;
	ssize_t ret = 0;

	while (done < count) {
		const struct vfmig_trap *trap = NULL;
		size_t len = count - done;
		loff_t off;
		u64 next = U64_MAX;

		/* A program that gave up is not offered pieces to pass. */
		if (hooked && !READ_ONCE(b->error))
			trap = vfmig_trap_find(b, index, pos, &next);
		if (trap)
			len = min_t(u64, len, trap->end - pos);
		else if (next != U64_MAX)
			len = min_t(u64, len, next - pos);

		if (trap) {
			len = vfmig_piece_size(pos, len);
			ret = vfmig_hook_user(mdev, b, buf + done, index, pos,
					      len, iswrite, tail);
			if (ret)
				goto next;
		}

		off = VFIO_PCI_INDEX_TO_OFFSET(index) + pos;
		if (iswrite)
			ret = vfio_pci_core_write(vdev, buf + done, len, &off);
		else
			ret = vfio_pci_core_read(vdev, buf + done, len, &off);
		tail->fault = ret == -EFAULT;
next:
		if (ret <= 0)
			break;
		done += ret;
		pos += ret;
		if (ret < len)
			break;
	}
	return done ?: ret;
}

/* Up to a page of the region, decided and done under one SRCU section. */
static ssize_t vfmig_rw_section(struct vfmig_device *mdev, char __user *buf,
				size_t count, u32 index, u64 pos, bool iswrite,
				struct vfmig_rw_tail *tail)
{
	struct vfmig_binding *b;
	bool trapped;
	ssize_t ret;
	int idx;

	idx = srcu_read_lock(&mdev->srcu);
	b = srcu_dereference(mdev->binding, &mdev->srcu);
	/* A section meeting a window counts itself in the hold (hold.c). */
	trapped = b && !READ_ONCE(b->error) &&
		  vfmig_traps_overlap(b, index, pos, pos + count);
	if (trapped && !vfmig_hold_enter(&mdev->hold)) {
		srcu_read_unlock(&mdev->srcu, idx);
		tail->held = true;
		return 0;
	}
	pagefault_disable();
	ret = vfmig_rw(mdev, b, buf, count, index, pos, iswrite, tail);
	pagefault_enable();
	if (trapped)
		vfmig_hold_exit(&mdev->hold);
	srcu_read_unlock(&mdev->srcu, idx);
	return ret;
}

/*
 * A region access, a page of the region at a time.  The user's buffer is
 * faulted in before each section, holding nothing; a section copies with
 * page faults off, and one that still needed a fault (the user unmapped
 * the buffer meanwhile, or the page was reclaimed) is redone once, which
 * reads or writes a register of it again.  A section that meets a trap
 * window while a callback holds trapped accesses waits, holding nothing,
 * for the hold to end (kernel/hold.c).  With no program, exactly
 * vfio-pci; SRCU orders it against an attach.
 */
static ssize_t vfmig_access(struct vfmig_device *mdev, char __user *buf,
			    size_t count, loff_t *ppos, bool iswrite)
{
	u32 index = VFIO_PCI_OFFSET_TO_INDEX(*ppos);
	u64 pos = *ppos & VFIO_PCI_OFFSET_MASK;
	bool retried = false;
	size_t done = 0;
	ssize_t ret = 0;

	while (done < count) {
		size_t n = min_t(u64, count - done,
				 PAGE_SIZE - offset_in_page(pos + done));
		struct vfmig_rw_tail tail = {};

		/* A large access is many sections: stay preemptible and killable. */
		cond_resched();
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		if (iswrite ? fault_in_readable(buf + done, n) :
			      fault_in_writeable(buf + done, n)) {
			ret = -EFAULT;
			break;
		}
		ret = vfmig_rw_section(mdev, buf + done, n, index, pos + done,
				       iswrite, &tail);
		if (tail.held) {
			/* Wait for the hold holding nothing, then try again. */
			ret = vfmig_hold_wait(&mdev->hold);
			if (ret)
				break;
			continue;
		}
		if (ret > 0)
			done += ret;
		if (tail.size) {
			/* A read the program answered: out now, faults on. */
			if (copy_to_user(buf + done, &tail.data, tail.size)) {
				ret = -EFAULT;
				break;
			}
			done += tail.size;
			retried = false;
			continue;
		}
		if (tail.fault && (ret > 0 || !retried)) {
			retried = ret <= 0;
			continue;
		}
		if (ret <= 0 || ret < n)
			break;
		retried = false;
	}

	if (!done)
		return ret;
	*ppos += done;
	return done;
}

/*
 * Device-specific regions (vendor regions, the dirty log) have no trap
 * windows and serve themselves, user copies included: vfio-pci hands
 * them the access.
 */
static ssize_t vfmig_read(struct vfio_device *vdev, char __user *buf,
			  size_t count, loff_t *ppos)
{
	if (VFIO_PCI_OFFSET_TO_INDEX(*ppos) >= VFIO_PCI_NUM_REGIONS)
		return vfio_pci_core_read(vdev, buf, count, ppos);
	return vfmig_access(to_vfmig(vdev), buf, count, ppos, false);
}

static ssize_t vfmig_write(struct vfio_device *vdev, const char __user *buf,
			   size_t count, loff_t *ppos)
{
	if (VFIO_PCI_OFFSET_TO_INDEX(*ppos) >= VFIO_PCI_NUM_REGIONS)
		return vfio_pci_core_write(vdev, buf, count, ppos);
	return vfmig_access(to_vfmig(vdev), (char __user *)buf, count, ppos,
			    true);
}

/*
 * A device with no PCI reset method (QEMU's edu, say) makes vfio-pci fail
 * VFIO_DEVICE_RESET; while it offers migration that would trap it in ERROR
 * for good, so the reset then resets the migration state alone (and the
 * program is told, as for a real reset: its user asked for one).  The
 * program's reset() has run when the ioctl returns.
 */
static long vfmig_reset(struct vfmig_device *mdev, unsigned long arg)
{
	struct vfio_device *vdev = &mdev->core.vdev;
	long ret = 0;

	if (vdev->mig_ops && !mdev->core.reset_works) {
		vfmig_mig_reset(mdev);
		queue_work(system_wq, &mdev->reset_work);
	} else {
		ret = vfio_pci_core_ioctl(vdev, VFIO_DEVICE_RESET, arg);
	}
	flush_work(&mdev->reset_work);
	return ret;
}

/*
 * An ioeventfd makes vfio-pci write the BAR itself when the eventfd is
 * signalled (KVM signals it on a guest's MMIO write), so the write would
 * never reach a program's trap window: a swallowed write would land, and
 * a shadow or the dirty log would miss it.  Programs attach and declare
 * windows at any time, so no ioeventfd is ever taken (as nvgrace-gpu
 * does): the VMM then performs the write through the region, where the
 * hooks see it.  QEMU falls back so for any error.
 */
static long vfmig_ioctl(struct vfio_device *vdev, unsigned int cmd,
			unsigned long arg)
{
	if (cmd == VFIO_DEVICE_GET_REGION_INFO)
		return vfmig_region_info(to_vfmig(vdev), (void __user *)arg);
	if (cmd == VFIO_DEVICE_RESET)
		return vfmig_reset(to_vfmig(vdev), arg);
	if (cmd == VFIO_DEVICE_IOEVENTFD)
		return -ENOTTY;
	return vfio_pci_core_ioctl(vdev, cmd, arg);
}

static int vfmig_mmap_op(struct vfio_device *vdev, struct vm_area_struct *vma)
{
	return vfmig_mmap(to_vfmig(vdev), vma);
}

#if IS_ENABLED(CONFIG_IOMMUFD)
/*
 * The user detaches or replaces the device's IOMMU domain (iommufd lets
 * it while the device is open): bpf_vfmig_dma_read() must not walk a
 * domain being freed, so it is fenced off until the change is done.
 */
static void vfmig_dma_fence(struct vfmig_device *mdev)
{
	WRITE_ONCE(mdev->dma_changing, true);
	synchronize_srcu(&mdev->srcu);
}

static int vfmig_attach_ioas(struct vfio_device *vdev, u32 *pt_id)
{
	struct vfmig_device *mdev = to_vfmig(vdev);
	int ret;

	vfmig_dma_fence(mdev);
	ret = vfio_iommufd_physical_attach_ioas(vdev, pt_id);
	WRITE_ONCE(mdev->dma_changing, false);
	return ret;
}

static void vfmig_detach_ioas(struct vfio_device *vdev)
{
	struct vfmig_device *mdev = to_vfmig(vdev);

	vfmig_dma_fence(mdev);
	vfio_iommufd_physical_detach_ioas(vdev);
	WRITE_ONCE(mdev->dma_changing, false);
}
#else
#define vfmig_attach_ioas vfio_iommufd_physical_attach_ioas
#define vfmig_detach_ioas vfio_iommufd_physical_detach_ioas
#endif

const struct vfio_device_ops vfmig_vfio_ops = {
	.name = VFMIG_DRIVER_NAME,
	.init = vfmig_init_dev,
	.release = vfmig_release_dev,
	.open_device = vfmig_open_device,
	.close_device = vfmig_close_device,
	.ioctl = vfmig_ioctl,
	.device_feature = vfio_pci_core_ioctl_feature,
	.read = vfmig_read,
	.write = vfmig_write,
	.mmap = vfmig_mmap_op,
	.request = vfio_pci_core_request,
	.match = vfio_pci_core_match,
	.bind_iommufd = vfio_iommufd_physical_bind,
	.unbind_iommufd = vfio_iommufd_physical_unbind,
	.attach_ioas = vfmig_attach_ioas,
	.detach_ioas = vfmig_detach_ioas,
};
