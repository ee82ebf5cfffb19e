// SPDX-License-Identifier: GPL-2.0
/*
 * Trap windows: the register ranges a program wants to see.
 *
 * A client like QEMU mmaps BARs, and accesses through a mapping never reach
 * the driver.  So pages holding a trapped range are withheld from mmap: the
 * region info advertises them as a hole in a sparse-mmap capability, and
 * the fault handler never populates them (mappings are zapped when the
 * windows change), so touching one through a mapping raises SIGBUS.  The
 * rest of a trapped page is served by read/write, which pass it through to
 * vfio-pci.
 *
 * mmap() of a range that covers trapped pages is accepted, as vfio-pci
 * accepts any mmap of an MMAP-flagged BAR: clients that honour the
 * sparse-mmap capability (QEMU) never touch the holes, and clients that map
 * every BAR whole (the upstream VFIO selftest library) can still open the
 * device and use the rest of it.
 */
#include <linux/mm.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>

#include "internal.h"

/**
 * vfmig_trap_find() - the trap window containing a position
 * @b: the binding whose windows to search
 * @index: region index
 * @pos: offset in the region
 * @next: if not NULL, set to the start of the next window above @pos in
 *        the region, or U64_MAX; left alone when a window contains @pos
 *
 * Return: the window containing @pos, or NULL.
 */
const struct vfmig_trap *vfmig_trap_find(const struct vfmig_binding *b,
					 u32 index, u64 pos, u64 *next)
{
	unsigned int i;

	for (i = 0; i < b->nr_traps; i++) {
		const struct vfmig_trap *t = &b->traps[i];

		if (t->index != index)
			continue;
		if (pos >= t->start && pos < t->end)
			return t;
		if (next && t->start > pos && t->start < *next)
			*next = t->start;
	}
	return NULL;
}

/**
 * vfmig_traps_overlap() - does any window of a region meet [start, end)?
 * @b: the binding whose windows to search
 * @index: region index
 * @start: first byte
 * @end: one past the last byte
 *
 * Return: true if some window of @index overlaps the range.
 */
bool vfmig_traps_overlap(const struct vfmig_binding *b, u32 index,
			 u64 start, u64 end)
{
	unsigned int i;

	for (i = 0; i < b->nr_traps; i++) {
		const struct vfmig_trap *t = &b->traps[i];

		if (t->index == index && t->start < end && start < t->end)
			return true;
	}
	return false;
}

static u64 vfmig_region_size(struct vfmig_device *mdev, u32 index)
{
	struct pci_dev *pdev = mdev->core.pdev;

	if (index <= VFIO_PCI_BAR5_REGION_INDEX)
		return pci_resource_len(pdev, index);
	if (index == VFIO_PCI_CONFIG_REGION_INDEX)
		return pdev->cfg_size;
	return 0;
}

/**
 * vfmig_trap_add() - add a window to a binding that is not published yet
 * @mdev: the device
 * @b: the binding being set up
 * @index: a BAR index or %VFMIG_CONFIG_REGION
 * @offset: start of the window in the region
 * @size: length of the window in bytes
 *
 * Return: 0, -EINVAL for a window outside the region, -EEXIST for one
 * overlapping another, -ENOSPC past %VFMIG_MAX_TRAPS windows.
 */
int vfmig_trap_add(struct vfmig_device *mdev, struct vfmig_binding *b,
		   u32 index, u64 offset, u64 size)
{
	u64 region_size = vfmig_region_size(mdev, index);
	struct vfmig_trap *t;

	if (!size || offset >= region_size || size > region_size - offset)
		return -EINVAL;
	if (vfmig_traps_overlap(b, index, offset, offset + size))
		return -EEXIST;
	if (b->nr_traps == VFMIG_MAX_TRAPS)
		return -ENOSPC;

	t = &b->traps[b->nr_traps++];
	t->index = index;
	t->start = offset;
	t->end = offset + size;
	return 0;
}

/**
 * vfmig_traps_changed() - drop BAR mappings after the windows changed
 * @mdev: the device
 *
 * Context: trap_lock held for write, so no fault can populate a page
 * under the old windows once this returns.
 */
void vfmig_traps_changed(struct vfmig_device *mdev)
{
	struct vfio_device *vdev = &mdev->core.vdev;
	loff_t start = VFIO_PCI_INDEX_TO_OFFSET(VFIO_PCI_BAR0_REGION_INDEX);
	loff_t end = VFIO_PCI_INDEX_TO_OFFSET(VFIO_PCI_ROM_REGION_INDEX);

	lockdep_assert_held_write(&mdev->trap_lock);
	if (vdev->inode)
		unmap_mapping_range(vdev->inode->i_mapping, start, end - start,
				    true);
}

static int vfmig_trap_cmp(const void *a, const void *b)
{
	const struct vfmig_trap *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* Add the sparse-mmap capability: the BAR minus its trapped pages. */
static int vfmig_add_sparse_cap(struct vfmig_device *mdev,
				struct vfmig_binding *b, u32 index,
				struct vfio_info_cap *caps, bool *any)
{
	u64 len = PAGE_ALIGN(pci_resource_len(mdev->core.pdev, index));
	struct vfio_region_info_cap_sparse_mmap *sparse;
	struct vfmig_trap holes[VFMIG_MAX_TRAPS];
	unsigned int i, nr_holes = 0, nr = 0;
	u64 start = 0;
	int ret;

	for (i = 0; i < b->nr_traps; i++) {
		if (b->traps[i].index != index)
			continue;
		holes[nr_holes].start = round_down(b->traps[i].start, PAGE_SIZE);
		holes[nr_holes].end = round_up(b->traps[i].end, PAGE_SIZE);
		nr_holes++;
	}
	sort(holes, nr_holes, sizeof(holes[0]), vfmig_trap_cmp, NULL);

	/* Each hole splits at most one area in two. */
	sparse = kzalloc(struct_size(sparse, areas, nr_holes + 1), GFP_KERNEL);
	if (!sparse)
		return -ENOMEM;
	for (i = 0; i <= nr_holes; i++) {
		u64 end = i < nr_holes ? holes[i].start : len;

		if (end > start) {
			sparse->areas[nr].offset = start;
			sparse->areas[nr].size = end - start;
			nr++;
		}
		if (i < nr_holes)
			start = max(start, holes[i].end);
	}

	sparse->header.id = VFIO_REGION_INFO_CAP_SPARSE_MMAP;
	sparse->header.version = 1;
	sparse->nr_areas = nr;
	*any = nr > 0;
	ret = nr ? vfio_info_add_capability(caps, &sparse->header,
					    struct_size(sparse, areas, nr)) : 0;
	kfree(sparse);
	return ret;
}

/*
 * VFIO_DEVICE_GET_REGION_INFO for a BAR with trap windows, built the way
 * vfio-pci-core builds it plus the sparse-mmap capability, into @info and
 * @caps; no user memory is touched here (see vfmig_region_info()).
 */
static int vfmig_bar_info(struct vfmig_device *mdev, struct vfmig_binding *b,
			  struct vfio_region_info *info, struct vfio_info_cap *caps)
{
	struct vfio_pci_core_device *core = &mdev->core;
	bool mmappable;
	int ret;

	info->offset = VFIO_PCI_INDEX_TO_OFFSET(info->index);
	info->size = pci_resource_len(core->pdev, info->index);
	info->flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;

	ret = vfmig_add_sparse_cap(mdev, b, info->index, caps, &mmappable);
	if (ret || !mmappable)
		return ret;
	info->flags |= VFIO_REGION_INFO_FLAG_MMAP;
	if (info->index == core->msix_bar) {
		struct vfio_info_cap_header msix = {
			.id = VFIO_REGION_INFO_CAP_MSIX_MAPPABLE,
			.version = 1,
		};

		ret = vfio_info_add_capability(caps, &msix, sizeof(msix));
	}
	return ret;
}

/* Hand @info and @caps to the user as vfio-pci-core does. */
static long vfmig_bar_info_copy(struct vfio_region_info *info,
				struct vfio_info_cap *caps,
				struct vfio_region_info __user *arg)
{
	unsigned long minsz = offsetofend(struct vfio_region_info, offset);

	if (caps->size) {
		info->flags |= VFIO_REGION_INFO_FLAG_CAPS;
		if (info->argsz < sizeof(*info) + caps->size) {
			info->argsz = sizeof(*info) + caps->size;
			info->cap_offset = 0;
		} else {
			vfio_info_cap_shift(caps, sizeof(*info));
			if (copy_to_user(arg + 1, caps->buf, caps->size))
				return -EFAULT;
			info->cap_offset = sizeof(*info);
		}
	}
	return copy_to_user(arg, info, minsz) ? -EFAULT : 0;
}

/**
 * vfmig_region_info() - VFIO_DEVICE_GET_REGION_INFO
 * @mdev: the device
 * @arg: the user's struct vfio_region_info
 *
 * BARs with trap windows get their own answer; everything else is
 * vfio-pci-core's.
 *
 * Return: 0 or -errno, as the ioctl returns.
 */
long vfmig_region_info(struct vfmig_device *mdev, void __user *arg)
{
	unsigned long minsz = offsetofend(struct vfio_region_info, offset);
	struct vfio_info_cap caps = { .buf = NULL, .size = 0 };
	struct vfio_region_info info;
	struct vfmig_binding *b;
	bool trapped;
	long ret = 0;

	if (copy_from_user(&info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;

	/*
	 * trap_lock (not RCU): building the answer may sleep.  Never held
	 * across a user copy: a fault takes it under the mapping's locks,
	 * which a copy that faults would take under it.
	 */
	down_read(&mdev->trap_lock);
	b = rcu_dereference_protected(mdev->binding,
				      lockdep_is_held(&mdev->trap_lock));
	trapped = b && info.index <= VFIO_PCI_BAR5_REGION_INDEX &&
		  mdev->core.bar_mmap_supported[info.index] &&
		  vfmig_traps_overlap(b, info.index, 0, U64_MAX);
	if (trapped)
		ret = vfmig_bar_info(mdev, b, &info, &caps);
	up_read(&mdev->trap_lock);

	if (!trapped)
		return vfio_pci_core_ioctl(&mdev->core.vdev,
					   VFIO_DEVICE_GET_REGION_INFO,
					   (unsigned long)arg);
	if (!ret)
		ret = vfmig_bar_info_copy(&info, &caps, arg);
	kfree(caps.buf);
	return ret;
}

/* vfio-pci-core's vm_ops, captured from the first mapping it sets up. */
static const struct vm_operations_struct *vfmig_core_vm_ops;

static u32 vfmig_vma_index(struct vm_area_struct *vma)
{
	return vma->vm_pgoff >> (VFIO_PCI_OFFSET_SHIFT - PAGE_SHIFT);
}

/* Offset in the BAR of the first byte of the vma. */
static u64 vfmig_vma_start(struct vm_area_struct *vma)
{
	u64 pgoff = vma->vm_pgoff &
		    ((1ULL << (VFIO_PCI_OFFSET_SHIFT - PAGE_SHIFT)) - 1);

	return pgoff << PAGE_SHIFT;
}

static vm_fault_t vfmig_fault(struct vm_fault *vmf, unsigned int order)
{
	struct vm_area_struct *vma = vmf->vma;
	struct vfio_pci_core_device *core = vma->vm_private_data;
	struct vfmig_device *mdev = to_vfmig(&core->vdev);
	unsigned long size = PAGE_SIZE << order;
	unsigned long addr = vmf->address & ~(size - 1);
	u64 off = vfmig_vma_start(vma) + (addr - vma->vm_start);
	u32 index = vfmig_vma_index(vma);
	struct vfmig_binding *b;
	vm_fault_t ret;

	down_read(&mdev->trap_lock);
	b = rcu_dereference_protected(mdev->binding,
				      lockdep_is_held(&mdev->trap_lock));
	if (b && vfmig_traps_overlap(b, index, off, off + size))
		ret = order ? VM_FAULT_FALLBACK : VM_FAULT_SIGBUS;
	else if (order && !vfmig_core_vm_ops->huge_fault)
		ret = VM_FAULT_FALLBACK;
	else if (order)
		ret = vfmig_core_vm_ops->huge_fault(vmf, order);
	else
		ret = vfmig_core_vm_ops->fault(vmf);
	up_read(&mdev->trap_lock);
	return ret;
}

static vm_fault_t vfmig_page_fault(struct vm_fault *vmf)
{
	return vfmig_fault(vmf, 0);
}

static vm_fault_t vfmig_huge_fault(struct vm_fault *vmf, unsigned int order)
{
	return vfmig_fault(vmf, order);
}

static const struct vm_operations_struct vfmig_vm_ops = {
	.fault = vfmig_page_fault,
	.huge_fault = vfmig_huge_fault,
};

/**
 * vfmig_mmap() - mmap a region; its trapped BAR pages will not fault in
 * @mdev: the device
 * @vma: the mapping being set up
 *
 * Return: what vfio-pci-core returns.
 */
int vfmig_mmap(struct vfmig_device *mdev, struct vm_area_struct *vma)
{
	u32 index = vfmig_vma_index(vma);
	int ret;

	/*
	 * No trap_lock here: vfio-pci-core's mmap write-locks the new vma,
	 * and the fault path takes trap_lock under the vma's lock.  None is
	 * needed either: the vma is not linked (no fault, no zap can reach
	 * it) until this returns, and it populates nothing itself, so every
	 * page of it faults through vfmig_fault() under the current windows.
	 */
	ret = vfio_pci_core_mmap(&mdev->core.vdev, vma);
	if (ret || index > VFIO_PCI_BAR5_REGION_INDEX)
		return ret;

	/* Every BAR mapping faults through us, so windows added later hold. */
	cmpxchg(&vfmig_core_vm_ops, NULL, vma->vm_ops);
	if (vma->vm_ops == vfmig_core_vm_ops)
		vma->vm_ops = &vfmig_vm_ops;
	return 0;
}
