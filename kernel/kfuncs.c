// SPDX-License-Identifier: GPL-2.0
/*
 * kfuncs for vfmig programs: touch this device's BARs and config space,
 * wait for them, declare trap windows, fill and read migration streams,
 * log, give up.
 *
 * A program is hostile input: every argument is checked against the device
 * its binding serves, and the hardware kfuncs keep the invariants vfio-pci
 * keeps for its user:
 * - BAR access under vfio-pci's memory_lock, only while memory decoding is
 *   on and the device is not runtime-suspended, never to the MSI-X table
 *   or PBA;
 * - config writes only where vfio-pci gives its own user raw access (bytes
 *   no capability claims, vendor-specific capability bodies) and the
 *   probe, which never trusts the device's lengths alone, agrees: the
 *   header (command register and its decode bits, BARs), power management,
 *   MSI/MSI-X, PCIe, SR-IOV and every other standard capability stay
 *   vfio-pci's to virtualise, and nothing is written under kernel lockdown;
 * - config access respects a reset's pci_cfg_access_lock();
 * - from sleepable callbacks these kfuncs wait for a reset in progress;
 *   from region hooks (under RCU) they cannot, and fail with -EBUSY;
 * - guest memory is read only where the device's user mapped it for the
 *   device: through the type1 container's own access path, which excludes
 *   concurrent unmaps, or, on iommufd, through the device's domain with
 *   the page's folio held.
 */
#include <linux/bpf.h>
#include <linux/btf.h>
#include <linux/btf_ids.h>
#include <linux/delay.h>
#include <linux/highmem.h>
#include <linux/hrtimer.h>
#include <linux/iommu.h>
#include <linux/math64.h>
#include <linux/memremap.h>
#include <linux/pci.h>
#include <linux/sched/signal.h>
#include <linux/security.h>
#include <linux/sort.h>

#include "internal.h"

static bool vfmig_size_valid(u32 size)
{
	return size == 1 || size == 2 || size == 4 || size == 8;
}

/*
 * May this kfunc wait?  Region hooks are not sleepable and run with RCU
 * held (by us and by the BPF trampoline), which preemptible RCU counts in
 * rcu_preempt_depth() and other RCU flavours in the preempt count: the
 * test might_sleep() makes.  Without PREEMPT_COUNT the answer is always
 * no, which only turns a wait into -EBUSY.
 */
static bool vfmig_may_sleep(void)
{
	return IS_ENABLED(CONFIG_PREEMPT_COUNT) && preemptible() &&
	       !rcu_preempt_depth();
}

/* vfio-pci-core's test, which it does not export: may BAR memory be used? */
static bool vfmig_memory_enabled(struct vfio_pci_core_device *core)
{
	u16 cmd = le16_to_cpu(*(__le16 *)&core->vconfig[PCI_COMMAND]);

	if (core->pm_runtime_engaged || core->pdev->current_state >= PCI_D3hot)
		return false;
	return core->pdev->no_command_memory || (cmd & PCI_COMMAND_MEMORY);
}

/* Does [offset, offset + size) of @bar meet the MSI-X table or PBA? */
static bool vfmig_hits_msix(struct vfmig_device *mdev, u32 bar, u64 offset,
			    u64 size)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(mdev->guard.msix); i++) {
		const struct vfmig_trap *t = &mdev->guard.msix[i];

		if (t->end && t->index == bar && offset < t->end &&
		    t->start < offset + size)
			return true;
	}
	return false;
}

static int vfmig_bar_io(struct vfmig_dev *dev, u32 bar, u64 offset, u32 size,
			u64 *value, bool write)
{
	struct vfmig_device *mdev = dev_to_vfmig(dev);
	struct vfio_pci_core_device *core = &mdev->core;
	void __iomem *io;
	u64 len;
	int ret = 0;

	if (bar >= PCI_STD_NUM_BARS || !vfmig_size_valid(size) ||
	    offset & (size - 1))
		return -EINVAL;
	len = pci_resource_len(core->pdev, bar);
	if (offset >= len || size > len - offset)
		return -EINVAL;
	if (vfmig_hits_msix(mdev, bar, offset, size))
		return -EPERM;
	/* Mapped while open: closed devices and unmapped BARs have none. */
	if (!READ_ONCE(mdev->barmap_ready) || !core->barmap[bar])
		return -ENODEV;

	/* Held for write across resets and decode changes: wait if we may. */
	if (vfmig_may_sleep())
		down_read(&core->memory_lock);
	else if (!down_read_trylock(&core->memory_lock))
		return -EBUSY;
	if ((pci_resource_flags(core->pdev, bar) & IORESOURCE_MEM) &&
	    !vfmig_memory_enabled(core)) {
		ret = -EIO;
		goto out;
	}

	io = core->barmap[bar] + offset;
	switch (size) {
	case 1:
		if (write)
			iowrite8(*value, io);
		else
			*value = ioread8(io);
		break;
	case 2:
		if (write)
			iowrite16(*value, io);
		else
			*value = ioread16(io);
		break;
	case 4:
		if (write)
			iowrite32(*value, io);
		else
			*value = ioread32(io);
		break;
	case 8:
		/* Port I/O has no 8-byte cycle; memory BARs use readq/writeq. */
		if (!(pci_resource_flags(core->pdev, bar) & IORESOURCE_MEM))
			ret = -EINVAL;
		else if (write)
			writeq(*value, io);
		else
			*value = readq(io);
		break;
	}
out:
	up_read(&core->memory_lock);
	return ret;
}

/*
 * vfio-pci-core's map of config space gives each byte the capability that
 * claims it; bytes none claims are PCI_CAP_ID_INVALID (drivers/vfio/pci/
 * vfio_pci_priv.h), which it lets its user read and write raw.
 */
#define VFMIG_CFG_UNCLAIMED	0xff

/* Does vfio-pci's map byte @id at @pos say a vendor-specific capability? */
static bool vfmig_cfg_vendor_id(u8 id, u32 pos)
{
	if (pos < PCI_CFG_SPACE_SIZE)
		return id == PCI_CAP_ID_VNDR;
	return id == PCI_EXT_CAP_ID_VNDR || id == PCI_EXT_CAP_ID_DVSEC;
}

/*
 * May a program write [offset, offset + size) of config space?  Only bytes
 * vfio-pci gives its own user raw (its map, built at open), and of those
 * none that the probe found in the header or a capability other than the
 * body of a vendor-specific one: vfio-pci's map trusts the device's
 * capability lengths, and a later capability overwrites an earlier one's
 * bytes in it, so on its own it can call an MSI or PCIe tail vendor bytes.
 */
static bool vfmig_config_writable(struct vfmig_device *mdev, u32 offset,
				  u32 size)
{
	const u8 *map = mdev->core.pci_config_map;
	u32 i;

	if (!READ_ONCE(mdev->barmap_ready) || !map)
		return false;
	for (i = offset; i < offset + size; i++) {
		if (test_bit(i, mdev->guard.cfg_protected))
			return false;
		if (map[i] == VFMIG_CFG_UNCLAIMED)
			continue;
		if (!test_bit(i, mdev->guard.cfg_vendor) ||
		    !vfmig_cfg_vendor_id(map[i], i))
			return false;
	}
	return true;
}

static int vfmig_config_rw(struct pci_dev *pdev, u32 offset, u32 size,
			   u64 *value, bool write)
{
	u32 lo = 0, hi = 0;
	u16 w = 0;
	u8 b = 0;
	int ret;

	switch (size) {
	case 1:
		if (write)
			return pci_write_config_byte(pdev, offset, *value);
		ret = pci_read_config_byte(pdev, offset, &b);
		*value = b;
		return ret;
	case 2:
		if (write)
			return pci_write_config_word(pdev, offset, *value);
		ret = pci_read_config_word(pdev, offset, &w);
		*value = w;
		return ret;
	case 4:
		if (write)
			return pci_write_config_dword(pdev, offset, *value);
		ret = pci_read_config_dword(pdev, offset, &lo);
		*value = lo;
		return ret;
	}
	/* 8: config space has no such cycle, do two */
	if (write) {
		ret = pci_write_config_dword(pdev, offset, *value);
		return ret ?: pci_write_config_dword(pdev, offset + 4,
						     *value >> 32);
	}
	ret = pci_read_config_dword(pdev, offset, &lo);
	if (!ret)
		ret = pci_read_config_dword(pdev, offset + 4, &hi);
	*value = (u64)hi << 32 | lo;
	return ret;
}

static int vfmig_config_io(struct vfmig_dev *dev, u32 offset, u32 size,
			   u64 *value, bool write)
{
	struct vfmig_device *mdev = dev_to_vfmig(dev);
	struct pci_dev *pdev = mdev->core.pdev;
	int ret;

	if (!vfmig_size_valid(size) || offset & (size - 1) ||
	    offset >= pdev->cfg_size || size > pdev->cfg_size - offset)
		return -EINVAL;
	if (write && (!vfmig_config_writable(mdev, offset, size) ||
		      security_locked_down(LOCKDOWN_PCI_ACCESS)))
		return -EPERM;

	/* A reset blocks config access: wait for it, or fail if we can't. */
	if (vfmig_may_sleep())
		pci_cfg_access_lock(pdev);
	else if (!pci_cfg_access_trylock(pdev))
		return -EBUSY;
	ret = vfmig_config_rw(pdev, offset, size, value, write);
	pci_cfg_access_unlock(pdev);
	return pcibios_err_to_errno(ret);
}

/* The MSI-X table and PBA of @mdev, from its MSI-X capability. */
static void vfmig_probe_msix(struct vfmig_device *mdev)
{
	struct pci_dev *pdev = mdev->core.pdev;
	u32 table, pba, entries;
	u16 flags;
	int cap;

	cap = pci_find_capability(pdev, PCI_CAP_ID_MSIX);
	if (!cap)
		return;
	pci_read_config_word(pdev, cap + PCI_MSIX_FLAGS, &flags);
	pci_read_config_dword(pdev, cap + PCI_MSIX_TABLE, &table);
	pci_read_config_dword(pdev, cap + PCI_MSIX_PBA, &pba);
	entries = (flags & PCI_MSIX_FLAGS_QSIZE) + 1;

	mdev->guard.msix[0].index = table & PCI_MSIX_TABLE_BIR;
	mdev->guard.msix[0].start = table & PCI_MSIX_TABLE_OFFSET;
	mdev->guard.msix[0].end = mdev->guard.msix[0].start + entries * PCI_MSIX_ENTRY_SIZE;
	mdev->guard.msix[1].index = pba & PCI_MSIX_PBA_BIR;
	mdev->guard.msix[1].start = pba & PCI_MSIX_PBA_OFFSET;
	mdev->guard.msix[1].end = mdev->guard.msix[1].start + DIV_ROUND_UP(entries, 64) * 8;
}

/* A capability header found at probe. */
struct vfmig_cap {
	u16 pos;
	u16 id;
	bool ext;
};

/* Every header the bounded walks below can find. */
#define VFMIG_MAX_CAPS	(4 + (PCI_CFG_SPACE_SIZE - PCI_STD_HEADER_SIZEOF) / \
			 PCI_CAP_SIZEOF + (PCI_CFG_SPACE_EXP_SIZE - \
			 PCI_CFG_SPACE_SIZE) / PCI_CAP_SIZEOF)

struct vfmig_cap_list {
	struct vfmig_cap cap[VFMIG_MAX_CAPS];
	unsigned int nr;
};

static void vfmig_cap_add(struct vfmig_cap_list *l, u16 pos, u16 id, bool ext)
{
	if (pos && l->nr < VFMIG_MAX_CAPS)
		l->cap[l->nr++] = (struct vfmig_cap){ pos, id, ext };
}

static bool vfmig_cap_vendor(const struct vfmig_cap *c)
{
	if (!c->ext)
		return c->id == PCI_CAP_ID_VNDR;
	return c->id == PCI_EXT_CAP_ID_VNDR || c->id == PCI_EXT_CAP_ID_DVSEC;
}

/* By address; at one address, anything else before a vendor capability. */
static int vfmig_cap_cmp(const void *a, const void *b)
{
	const struct vfmig_cap *x = a, *y = b;

	if (x->pos != y->pos)
		return x->pos < y->pos ? -1 : 1;
	return vfmig_cap_vendor(x) - vfmig_cap_vendor(y);
}

/*
 * The headers of both lists, read as vfio_config_init() reads them (std
 * pointers unmasked), plus the capabilities the PCI core found at
 * enumeration and uses itself.  Returns false when a std pointer is one
 * the PCI core would read elsewhere (below 0x40 or not dword aligned): the
 * two walks then disagree on what is where.
 */
static bool vfmig_cap_walk(struct pci_dev *pdev, struct vfmig_cap_list *l)
{
	int loops = (PCI_CFG_SPACE_SIZE - PCI_STD_HEADER_SIZEOF) / PCI_CAP_SIZEOF;
	u8 pos = 0, id, next;
	u16 status = 0;
	u32 hdr, epos;

	vfmig_cap_add(l, pdev->pm_cap, PCI_CAP_ID_PM, false);
	vfmig_cap_add(l, pdev->msi_cap, PCI_CAP_ID_MSI, false);
	vfmig_cap_add(l, pdev->msix_cap, PCI_CAP_ID_MSIX, false);
	vfmig_cap_add(l, pdev->pcie_cap, PCI_CAP_ID_EXP, false);

	pci_read_config_word(pdev, PCI_STATUS, &status);
	if (status & PCI_STATUS_CAP_LIST)
		pci_read_config_byte(pdev, PCI_CAPABILITY_LIST, &pos);
	while (pos && loops--) {
		if (pos < PCI_STD_HEADER_SIZEOF || pos & 3)
			return false;
		pci_read_config_byte(pdev, pos + PCI_CAP_LIST_ID, &id);
		pci_read_config_byte(pdev, pos + PCI_CAP_LIST_NEXT, &next);
		vfmig_cap_add(l, pos, id, false);
		pos = next;
	}

	if (pdev->cfg_size <= PCI_CFG_SPACE_SIZE)
		return true;
	loops = (pdev->cfg_size - PCI_CFG_SPACE_SIZE) / PCI_CAP_SIZEOF;
	for (epos = PCI_CFG_SPACE_SIZE; loops-- && epos >= PCI_CFG_SPACE_SIZE;
	     epos = PCI_EXT_CAP_NEXT(hdr)) {
		if (pci_read_config_dword(pdev, epos, &hdr) || !hdr ||
		    hdr == ~0U)
			break;
		vfmig_cap_add(l, epos, PCI_EXT_CAP_ID(hdr), true);
	}
	return true;
}

/*
 * The bytes a non-vendor capability at @c may hold, by its specification
 * (the longest form where the device's own fields choose, never its
 * lengths); capabilities of a size this does not know run to @next, the
 * next header, as nothing else says where they end.
 */
static u32 vfmig_cap_span(struct pci_dev *pdev, const struct vfmig_cap *c,
			  u32 next)
{
	u16 w = 0;

	if (!c->ext) {
		switch (c->id) {
		case PCI_CAP_ID_PM:
			return PCI_PM_SIZEOF;
		case PCI_CAP_ID_AGP:
			return PCI_AGP_SIZEOF;
		case PCI_CAP_ID_VPD:
			return PCI_CAP_VPD_SIZEOF;
		case PCI_CAP_ID_MSI:
			pci_read_config_word(pdev, c->pos + PCI_MSI_FLAGS, &w);
			return 10 + (w & PCI_MSI_FLAGS_64BIT ? 4 : 0) +
			       (w & PCI_MSI_FLAGS_MASKBIT ? 10 : 0);
		case PCI_CAP_ID_PCIX:
			pci_read_config_word(pdev, c->pos + PCI_X_CMD, &w);
			return PCI_X_CMD_VERSION(w) ? PCI_CAP_PCIX_SIZEOF_V2 :
						      PCI_CAP_PCIX_SIZEOF_V0;
		case PCI_CAP_ID_HT:
			return HT_CAP_SIZEOF_LONG;
		case PCI_CAP_ID_SSVID:
			return 8;
		case PCI_CAP_ID_EXP:
			pci_read_config_word(pdev, c->pos + PCI_EXP_FLAGS, &w);
			/* v2: up to Slot Status 2, the end of the structure */
			return (w & PCI_EXP_FLAGS_VERS) == 1 ?
			       PCI_CAP_EXP_ENDPOINT_SIZEOF_V1 : 0x3c;
		case PCI_CAP_ID_MSIX:
			return PCI_CAP_MSIX_SIZEOF;
		case PCI_CAP_ID_SATA:
			return PCI_SATA_SIZEOF_LONG;
		case PCI_CAP_ID_AF:
			return PCI_CAP_AF_SIZEOF;
		}
		return next - c->pos;
	}
	switch (c->id) {
	case PCI_EXT_CAP_ID_ERR:
		return 0x48;	/* with the root ports' and TLP prefix logs */
	case PCI_EXT_CAP_ID_DSN:
		return PCI_EXT_CAP_DSN_SIZEOF;
	case PCI_EXT_CAP_ID_PWR:
		return PCI_EXT_CAP_PWR_SIZEOF;
	case PCI_EXT_CAP_ID_ARI:
		return PCI_EXT_CAP_ARI_SIZEOF;
	case PCI_EXT_CAP_ID_ATS:
		return PCI_EXT_CAP_ATS_SIZEOF;
	case PCI_EXT_CAP_ID_SRIOV:
		return PCI_EXT_CAP_SRIOV_SIZEOF;
	case PCI_EXT_CAP_ID_MCAST:
		return PCI_EXT_CAP_MCAST_ENDPOINT_SIZEOF;
	case PCI_EXT_CAP_ID_PRI:
		return PCI_EXT_CAP_PRI_SIZEOF;
	case PCI_EXT_CAP_ID_LTR:
		return PCI_EXT_CAP_LTR_SIZEOF;
	case PCI_EXT_CAP_ID_PASID:
		return PCI_EXT_CAP_PASID_SIZEOF;
	case PCI_EXT_CAP_ID_DOE:
		return PCI_DOE_CAP_SIZEOF;
	}
	return next - c->pos;
}

/*
 * A vendor-specific capability at @c: its header stays protected, its body
 * (to the length it declares, cut at the next header) may be written.
 */
static void vfmig_vendor_body(struct vfmig_device *mdev,
			      const struct vfmig_cap *c, u32 next)
{
	struct pci_dev *pdev = mdev->core.pdev;
	u32 hdr = 0, start, end;
	u8 len = 0;

	if (!c->ext) {
		pci_read_config_byte(pdev, c->pos + PCI_CAP_FLAGS, &len);
		start = c->pos + PCI_CAP_FLAGS + 1;
		end = c->pos + len;
	} else if (c->id == PCI_EXT_CAP_ID_VNDR) {
		pci_read_config_dword(pdev, c->pos + PCI_VNDR_HEADER, &hdr);
		start = c->pos + PCI_VNDR_HEADER + 4;
		end = c->pos + PCI_VNDR_HEADER_LEN(hdr);
	} else {
		pci_read_config_dword(pdev, c->pos + PCI_DVSEC_HEADER1, &hdr);
		start = c->pos + PCI_DVSEC_HEADER2 + 2;
		end = c->pos + PCI_DVSEC_HEADER1_LEN(hdr);
	}
	bitmap_set(mdev->guard.cfg_protected, c->pos, min(start, next) - c->pos);
	end = min(end, next);
	if (start < end)
		bitmap_set(mdev->guard.cfg_vendor, start, end - start);
}

/*
 * What config_write may touch, never from the device's own lengths alone:
 * the header and every capability's spec-sized span are protected; a
 * vendor-specific capability's body is cut at the next header, and a
 * vendor capability starting inside another capability is refused, as
 * vfio-pci's map would show its bytes over the other one's.
 */
static void vfmig_probe_config(struct vfmig_device *mdev)
{
	struct pci_dev *pdev = mdev->core.pdev;
	u32 space_end, next, end, prot_end = 0;
	const struct vfmig_cap *c, *owner = NULL;
	struct vfmig_cap_list *l;
	unsigned int i, j;

	bitmap_set(mdev->guard.cfg_protected, 0, PCI_STD_HEADER_SIZEOF);
	l = kzalloc(sizeof(*l), GFP_KERNEL);
	if (!l || !vfmig_cap_walk(pdev, l)) {
		if (l)
			pci_warn(pdev, "vfmig: malformed capability list: programs may not write config space\n");
		bitmap_set(mdev->guard.cfg_protected, 0, pdev->cfg_size);
		kfree(l);
		return;
	}
	sort(l->cap, l->nr, sizeof(l->cap[0]), vfmig_cap_cmp, NULL);

	for (i = 0; i < l->nr; i++) {
		c = &l->cap[i];
		if (i && c->pos == l->cap[i - 1].pos &&
		    c->id == l->cap[i - 1].id)
			continue;
		/* std spans stop at 0x100, so prot_end never crosses over */
		space_end = c->ext ? pdev->cfg_size : PCI_CFG_SPACE_SIZE;
		for (j = i + 1, next = space_end; j < l->nr; j++)
			if (l->cap[j].pos > c->pos) {
				next = min_t(u32, l->cap[j].pos, space_end);
				break;
			}
		if (!vfmig_cap_vendor(c)) {
			end = min(c->pos + vfmig_cap_span(pdev, c, next),
				  space_end);
			bitmap_set(mdev->guard.cfg_protected, c->pos, end - c->pos);
			if (end > prot_end) {
				prot_end = end;
				owner = c;
			}
		} else if (c->pos < prot_end) {
			pci_warn(pdev, "vfmig: vendor capability %#x@%#x lies in capability %#x@%#x: programs may not write it\n",
				 c->id, c->pos, owner->id, owner->pos);
			bitmap_set(mdev->guard.cfg_protected, c->pos, next - c->pos);
		} else {
			vfmig_vendor_body(mdev, c, next);
		}
	}
	kfree(l);
}

/**
 * vfmig_kfuncs_probe() - find what the hardware kfuncs must protect
 * @mdev: a device being bound to vfmig-pci
 */
void vfmig_kfuncs_probe(struct vfmig_device *mdev)
{
	vfmig_probe_msix(mdev);
	vfmig_probe_config(mdev);
}

__bpf_kfunc_start_defs();

/**
 * bpf_vfmig_bar_read() - read a device register
 * @dev: the device the program serves
 * @bar: BAR number, 0-5
 * @offset: offset in the BAR, aligned to @size
 * @size: 1, 2, 4 or 8 bytes
 * @value: where to store the value (initialise it: the verifier requires it)
 *
 * Goes straight to the device, not through the hooks.
 *
 * Return: 0; -EINVAL for an access outside the BAR or misaligned; -EPERM
 * on the MSI-X table or PBA; -ENODEV when the device is not open; -EBUSY
 * from a region hook while a reset holds vfio-pci's memory lock (sleepable
 * callbacks wait instead); -EIO when memory decoding is off or the device
 * is suspended.
 */
__bpf_kfunc int bpf_vfmig_bar_read(struct vfmig_dev *dev, u32 bar, u64 offset,
				   u32 size, u64 *value)
{
	return vfmig_bar_io(dev, bar, offset, size, value, false);
}

/**
 * bpf_vfmig_bar_write() - write a device register
 * @dev: the device the program serves
 * @bar: BAR number, 0-5
 * @offset: offset in the BAR, aligned to @size
 * @size: 1, 2, 4 or 8 bytes
 * @value: the value; only the low @size bytes are written
 *
 * Return: as bpf_vfmig_bar_read().
 */
__bpf_kfunc int bpf_vfmig_bar_write(struct vfmig_dev *dev, u32 bar, u64 offset,
				    u32 size, u64 value)
{
	return vfmig_bar_io(dev, bar, offset, size, &value, true);
}

/**
 * bpf_vfmig_config_read() - read the device's physical config space
 * @dev: the device the program serves
 * @offset: offset in config space, aligned to @size
 * @size: 1, 2, 4 or 8 bytes (8 is two dword reads)
 * @value: where to store the value (initialise it: the verifier requires it)
 *
 * This is the hardware's config space, not the virtualised view vfio-pci
 * gives its user.
 *
 * Return: 0; -EINVAL for an access outside config space or misaligned;
 * -EBUSY from a region hook during a reset (sleepable callbacks wait).
 */
__bpf_kfunc int bpf_vfmig_config_read(struct vfmig_dev *dev, u32 offset,
				      u32 size, u64 *value)
{
	return vfmig_config_io(dev, offset, size, value, false);
}

/**
 * bpf_vfmig_config_write() - write the device's physical config space
 * @dev: the device the program serves
 * @offset: offset in config space, aligned to @size
 * @size: 1, 2, 4 or 8 bytes (8 is two dword writes)
 * @value: the value; only the low @size bytes are written
 *
 * Writable only while the device is open, where vfio-pci lets its user
 * write raw too: bytes no capability claims, and the bodies of
 * vendor-specific capabilities (PCI_CAP_ID_VNDR, PCI_EXT_CAP_ID_VNDR,
 * DVSEC) that overlap no other capability.  The header and every standard
 * capability, sized by its specification, are vfio-pci's to virtualise.
 *
 * Return: as bpf_vfmig_config_read(), and -EPERM anywhere else or under
 * kernel lockdown.
 */
__bpf_kfunc int bpf_vfmig_config_write(struct vfmig_dev *dev, u32 offset,
				       u32 size, u64 value)
{
	return vfmig_config_io(dev, offset, size, &value, true);
}

/**
 * bpf_vfmig_trap_window() - ask to see accesses to a register range
 * @dev: the device the program serves
 * @index: VFIO region index: a BAR (0-5) or %VFMIG_CONFIG_REGION (7,
 *         config space)
 * @offset: start of the range in the region
 * @size: length of the range in bytes
 *
 * Only from init().  Accesses inside the window reach region_read and
 * region_write; BAR pages holding a window are no longer mmappable, and
 * the rest of such a page is passed through to vfio-pci.
 *
 * Return: 0; -EPERM outside init(); -EINVAL for a range outside the
 * region; -EEXIST when it overlaps a window already declared; -ENOSPC past
 * %VFMIG_MAX_TRAPS (16) windows.
 */
__bpf_kfunc int bpf_vfmig_trap_window(struct vfmig_dev *dev, u32 index,
				      u64 offset, u64 size)
{
	struct vfmig_binding *b = dev_to_binding(dev);

	if (!READ_ONCE(b->in_init))
		return -EPERM;
	return vfmig_trap_add(b->mdev, b, index, offset, size);
}

/**
 * bpf_vfmig_region_add() - declare a vendor region of the device
 * @dev: the device the program serves
 * @subtype: the region's VFIO subtype, unique among the program's regions
 * @size: its size in bytes, 1 to %VFMIG_MAX_REGION_SIZE
 * @flags: %VFMIG_REGION_READ and/or %VFMIG_REGION_WRITE: what the user
 *         may do
 *
 * Only from init().  When the device is next opened, the user finds a
 * region of type VFIO_REGION_TYPE_PCI_VENDOR_TYPE | the device's vendor id
 * and subtype @subtype, never mmappable; every access to it reaches
 * region_read or region_write in naturally aligned pieces of 1 to 8 bytes,
 * at index VFMIG_VENDOR_REGION(n), where n is this call's return value.
 * A hook returning %VFMIG_PASS for it fails the access with -EINVAL.
 *
 * Return: n, from 0; -EPERM outside init(); -EINVAL for a bad @size or
 * @flags; -EEXIST for a @subtype already declared; -ENOSPC past
 * %VFMIG_MAX_REGIONS.
 */
__bpf_kfunc int bpf_vfmig_region_add(struct vfmig_dev *dev, u32 subtype,
				     u64 size, u32 flags)
{
	struct vfmig_binding *b = dev_to_binding(dev);

	if (!READ_ONCE(b->in_init))
		return -EPERM;
	return vfmig_vendor_region_add(b, subtype, size, flags);
}

/**
 * bpf_vfmig_stream_write() - append bytes to the state being saved
 * @stream: the stream save() was given
 * @data: the bytes
 * @data__sz: how many
 *
 * Return: 0; -EINVAL on a stream being loaded; -EFBIG past the module's
 * max_state_mb (the save fails and the device goes to ERROR); -ENOMEM;
 * -ENODEV once the program is being detached.
 */
__bpf_kfunc int bpf_vfmig_stream_write(struct vfmig_stream *stream,
				       const void *data, u32 data__sz)
{
	struct vfmig_data *d = container_of(stream, struct vfmig_data, stream);
	int ret = -EINVAL;

	mutex_lock(&d->lock);
	if (d->disabled || (d->prog && READ_ONCE(d->prog->stopping)))
		ret = -ENODEV;
	else if (stream->phase && !d->resume)	/* not prepare()'s stream */
		ret = vfmig_data_write(d, data, data__sz);
	if (!ret)
		stream->length += data__sz;
	mutex_unlock(&d->lock);
	return ret;
}

/**
 * bpf_vfmig_stream_read() - read the next bytes of the state being loaded
 * @stream: the stream load() was given
 * @data: where to put them
 * @data__sz: how many
 *
 * The module has checked the whole stream (ids, program, length, CRC32C)
 * before load() runs, and the unit prepare() is given, but the payload is
 * the program's to check.  load() reads the units prepare() did not get,
 * prepare() its one unit.
 *
 * Return: bytes read, fewer than @data__sz only at the end (0 there);
 * -EINVAL on a stream being saved; -ENODEV once the program is being
 * detached.
 */
__bpf_kfunc int bpf_vfmig_stream_read(struct vfmig_stream *stream,
				      void *data, u32 data__sz)
{
	struct vfmig_data *d = container_of(stream, struct vfmig_data, stream);
	int ret = -EINVAL;

	mutex_lock(&d->lock);
	if (d->disabled || (d->prog && READ_ONCE(d->prog->stopping)))
		ret = -ENODEV;
	else if (d->resume)	/* load(), or prepare() with its unit */
		ret = vfmig_stream_load_read(d, data, data__sz);
	mutex_unlock(&d->lock);
	return ret;
}

/**
 * bpf_vfmig_stream_write_bar() - append a BAR range to the state being saved
 * @dev: the device the program serves
 * @stream: the stream save() was given
 * @bar: BAR number, 0-5 (memory BARs only)
 * @offset: start in the BAR, 4-byte aligned
 * @len: bytes, a multiple of 4
 *
 * Copies with 4-byte reads straight from the device into the stream.
 *
 * Return: 0 or -errno as bpf_vfmig_bar_read() and bpf_vfmig_stream_write().
 */
__bpf_kfunc int bpf_vfmig_stream_write_bar(struct vfmig_dev *dev,
					   struct vfmig_stream *stream,
					   u32 bar, u64 offset, u64 len)
{
	struct vfmig_data *d = container_of(stream, struct vfmig_data, stream);
	u32 chunk[64];
	int ret = 0;

	if ((offset | len) & 3)
		return -EINVAL;
	while (len && !ret) {
		u32 n = min_t(u64, len, sizeof(chunk));
		u32 i;

		for (i = 0; i < n / 4 && !ret; i++) {
			u64 v = 0;

			ret = vfmig_bar_io(dev, bar, offset + i * 4, 4, &v,
					   false);
			chunk[i] = cpu_to_le32(v);
		}
		if (!ret)
			ret = bpf_vfmig_stream_write(&d->stream, chunk, n);
		offset += n;
		len -= n;
	}
	return ret;
}

/**
 * bpf_vfmig_error() - give up on the device
 * @dev: the device the program serves
 * @err: a negative errno saying why
 *
 * The first error wins.  The program's hooks stop (trapped accesses go to
 * vfio-pci), a migration in flight fails to ERROR, the device offers no
 * migration when next opened, and the error is shown in sysfs and passed
 * to exit().
 */
__bpf_kfunc void bpf_vfmig_error(struct vfmig_dev *dev, s32 err)
{
	/* @dev is the caller's own binding: a replaced program stays apart. */
	vfmig_binding_fail(dev_to_binding(dev), err);
}

/**
 * bpf_vfmig_mark_dirty() - the device writes [@iova, + @len) by DMA
 * @dev: the device the program serves
 * @iova: first byte, as the device addresses it (an IOVA)
 * @len: bytes
 *
 * For DMA logging: software trackers call it from the hooks that see the
 * device's DMA set-up, hardware trackers from log_report().  Callable from
 * any callback, region hooks included; takes no lock and never sleeps.
 *
 * Return: 0, or -EINVAL when @len is 0 or the range wraps.  Pages outside
 * the logged ranges, or marked while nothing is logged, are ignored.
 */
__bpf_kfunc int bpf_vfmig_mark_dirty(struct vfmig_dev *dev, u64 iova, u64 len)
{
	return vfmig_dirty_mark(dev_to_vfmig(dev), iova, len);
}

/**
 * bpf_vfmig_usleep() - wait for the device, from a sleepable callback
 * @dev: the device the program serves
 * @usecs: 1 to %VFMIG_MAX_USLEEP (10000) microseconds
 *
 * For a program that waits a fixed time; to wait for a register, use
 * bpf_vfmig_bar_poll().  Each invocation of a callback may wait its
 * program's &vfmig_ops.wait_budget_ms in all (1 s unless declared, 10 s at
 * most), shared with bpf_vfmig_bar_poll(), however often it calls this,
 * so a wait loop ends in bounded time; what other callbacks run meanwhile
 * neither shortens nor lengthens it.  A signal to the calling task ends
 * the wait early.  A region hook has no budget.
 *
 * Context: sleepable callbacks only (the verifier refuses it elsewhere).
 * Return: 0 after the wait; -EINVAL for a @usecs out of range; -ETIMEDOUT
 * once the callback's budget is spent, or from a region hook (without
 * waiting); -EINTR if a signal is pending; -ENODEV once the program is
 * being detached (so a detach never waits out a budget).
 */
__bpf_kfunc int bpf_vfmig_usleep(struct vfmig_dev *dev, u32 usecs)
{
	struct vfmig_binding *b = dev_to_binding(dev);
	u64 until;

	if (!usecs || usecs > VFMIG_MAX_USLEEP)
		return -EINVAL;
	if (READ_ONCE(b->stopping))
		return -ENODEV;
	/* The calling task's own invocation: its budget, none in a hook. */
	until = vfmig_call_deadline(b);
	if (!until || ktime_get_ns() >= until)
		return -ETIMEDOUT;
	if (signal_pending(current))
		return -EINTR;
	usleep_range(usecs, usecs + usecs / 4 + 10);
	return 0;
}

/* bpf_vfmig_bar_poll(): first and longest sleep between two reads. */
#define VFMIG_POLL_MIN_US	10
#define VFMIG_POLL_MAX_US	1000

/**
 * bpf_vfmig_bar_poll() - wait for a device register to say something
 * @dev: the device the program serves
 * @bar: BAR number, 0-5
 * @offset: offset of a 32-bit register in the BAR, 4-byte aligned
 * @poll: what to wait for (&vfmig_poll.mask, .value, .timeout_us), and
 *        where to say what was read (.last, .seen)
 *
 * Reads the register until (value & @poll->mask) == @poll->value, as
 * readl_poll_timeout() does, sleeping between reads from %VFMIG_POLL_MIN_US
 * (10 us) doubling to %VFMIG_POLL_MAX_US (1 ms): for reset completion,
 * queue-disable and mailbox handshakes, where a fixed sleep is either too
 * long or too short.  A reset's completion or a queue's disable is a
 * register to wait for, not a time to guess; every upstream variant
 * driver polls its device the same way in C (hisi_acc with
 * readl_relaxed_poll_timeout() on its QM mailbox, mlx5 and pds on command
 * completion).  Each read is one bpf_vfmig_bar_read(), with its bounds,
 * alignment and MSI-X checks: vfio-pci's memory lock is taken for the read
 * alone, never across a sleep.  The wait ends at
 * @poll->timeout_us or when the calling callback's wait budget
 * (&vfmig_ops.wait_budget_ms, shared with bpf_vfmig_usleep()) is spent,
 * whichever comes first; on a signal; and once the program is being
 * detached.  A region hook has no budget: from one (a sleepable one) the
 * register is read once.  @poll->last is the last value read and
 * @poll->seen the OR of all of them, so a program polling a register whose
 * bits clear when read keeps every bit the poll read.
 *
 * Context: sleepable callbacks only (the verifier refuses it elsewhere).
 * Return: 0 once the register matched; -ETIMEDOUT when it did not in time;
 * -EINVAL for a @poll->value with bits outside @poll->mask, or a register
 * outside the BAR or misaligned; -EINTR on a signal; -ENODEV once the
 * program is being detached; otherwise the error of the failed read, as
 * bpf_vfmig_bar_read().
 */
__bpf_kfunc int bpf_vfmig_bar_poll(struct vfmig_dev *dev, u32 bar, u64 offset,
				   struct vfmig_poll *poll)
{
	struct vfmig_binding *b = dev_to_binding(dev);
	u32 mask = READ_ONCE(poll->mask), value = READ_ONCE(poll->value);
	u32 delay = VFMIG_POLL_MIN_US, us;
	u64 now, until, v;
	ktime_t wake;
	int ret;

	poll->last = 0;
	poll->seen = 0;
	if (value & ~mask)
		return -EINVAL;
	/* The calling task's own invocation: its budget, none in a hook. */
	until = vfmig_call_deadline(b);
	now = ktime_get_ns();
	if (until)
		until = min(until, now + (u64)READ_ONCE(poll->timeout_us) *
				   NSEC_PER_USEC);
	for (;;) {
		v = 0;
		ret = vfmig_bar_io(dev, bar, offset, 4, &v, false);
		if (ret)
			return ret;
		poll->last = v;
		poll->seen |= v;
		if ((v & mask) == value)
			return 0;
		if (READ_ONCE(b->stopping))
			return -ENODEV;
		now = ktime_get_ns();
		if (now >= until)
			return -ETIMEDOUT;
		if (signal_pending(current))
			return -EINTR;
		us = min_t(u64, delay, div_u64(until - now, NSEC_PER_USEC) + 1);
		/* Not usleep_range_state(): a signal must end the sleep. */
		wake = ktime_add_us(ktime_get(), us);
		set_current_state(TASK_INTERRUPTIBLE);
		schedule_hrtimeout_range(&wake, (u64)us * NSEC_PER_USEC / 4,
					 HRTIMER_MODE_ABS);
		delay = min(delay * 2, VFMIG_POLL_MAX_US);
	}
}

/**
 * bpf_vfmig_hold_accesses() - hold the user's trapped accesses off
 * @dev: the device the program serves
 *
 * For a quiesce that must not race the guest: a doorbell written while
 * set_state() disables a queue, a register read while save() snapshots
 * it.  Sections of region accesses that meet a trap window and already
 * run finish first (this waits for them); new ones wait, then proceed
 * (their hooks run) once the hold ends: at bpf_vfmig_release_accesses(),
 * when the calling callback returns, when its wait budget
 * (&vfmig_ops.wait_budget_ms, the one bpf_vfmig_usleep() spends) is spent
 * even if it still runs, and on a detach, a reset, an error of the
 * program or the device's close.  The accesses wait interruptibly and
 * holding nothing.  Accesses through an mmap of a BAR never reach the
 * driver and cannot be held: only pages with a trap window are never
 * mapped.  The program's own kfuncs are never held.
 *
 * Context: sleepable callbacks run outside the access path (set_state,
 * save, load, state_size, log_*, open, close, reset); the verifier
 * refuses it in non-sleepable ones, the kernel in a sleepable region hook
 * (it would wait for its own access), init() and exit().
 * Return: 0 once held and the accesses in flight done (also when the
 * callback holds them already); -EPERM where it may not hold; -EBUSY if
 * another callback holds them; -ETIMEDOUT when the budget is spent or
 * the accesses in flight did not finish within it; -EINTR on a signal;
 * -ENODEV once the program is being detached or gave up; -ECANCELED if a
 * reset or detach ended the hold meanwhile.  On error nothing is held.
 */
__bpf_kfunc int bpf_vfmig_hold_accesses(struct vfmig_dev *dev)
{
	return vfmig_call_hold(dev_to_binding(dev));
}

/**
 * bpf_vfmig_release_accesses() - let held accesses go on
 * @dev: the device the program serves
 *
 * Ends what bpf_vfmig_hold_accesses() of the calling callback began, before
 * the callback returns (which ends it anyway).
 *
 * Context: sleepable callbacks.
 * Return: 0, or -ENOENT if the callback held nothing (or the hold ended
 * already, by its budget or a reset).
 */
__bpf_kfunc int bpf_vfmig_release_accesses(struct vfmig_dev *dev)
{
	return vfmig_call_release(dev_to_binding(dev));
}

/**
 * bpf_vfmig_log() - say something to the operator
 * @dev: the device the program serves
 * @msg: the message, up to its first NUL
 * @msg__sz: the bytes at @msg; %VFMIG_LOG_LEN - 1 (127) at most are kept
 *
 * The message, after the program's name, goes into the device's last
 * %VFMIG_LOG_RING (16) messages (sysfs vfmig/messages, `vfmig-load
 * status`), and into the kernel log under the device's name, at most
 * %VFMIG_LOG_BURST (10) a device every %VFMIG_LOG_INTERVAL_MS (5 s), then
 * the count of those kept out.  Bytes that are not printable ASCII show
 * as '?'.  VFMIG_LOG(dev, fmt, args...) of include/vfmig.bpf.h formats
 * like bpf_printk() and calls this.  Why it exists: an operator reads the
 * kernel log and `vfmig-load status`, where upstream drivers' dev_err()
 * and dev_warn() land too.  For a developer's tracing, bpf_printk() costs
 * less and has no limit: read it with `cat
 * /sys/kernel/tracing/trace_pipe` (or `bpftool prog tracelog`), and keep
 * it out of the hot paths of a shipped program.
 *
 * Context: any callback, region hooks included; never sleeps.
 * Return: 0; -EINVAL for an empty @msg__sz.
 */
__bpf_kfunc int bpf_vfmig_log(struct vfmig_dev *dev, const char *msg,
			      u32 msg__sz)
{
	if (!msg__sz)
		return -EINVAL;
	vfmig_log_add(dev_to_binding(dev), msg, msg__sz);
	return 0;
}

#if IS_ENABLED(CONFIG_IOMMUFD)
/*
 * iommufd gives a driver no access of the IOAS behind the HWPT its user
 * attached (QEMU always attaches an HWPT): translate through the domain
 * and hold the page's folio (a tail page of a THP or hugetlb folio has no
 * count of its own), then translate again.  An unmap clears the IOMMU
 * mapping before it unpins the page, so a translation that still holds
 * once the folio is held proves the page was the device's meanwhile.  The
 * walk itself is not ordered against an unmap freeing page tables: the
 * remaining gap of this backend (Documentation/design.md, "Safety").
 */
static int vfmig_iommufd_read_page(struct iommu_domain *domain, u64 iova,
				   void *dst, u32 len)
{
	phys_addr_t phys = iommu_iova_to_phys(domain, iova);
	struct folio *folio;
	struct page *page;
	int ret = 0;

	page = phys ? pfn_to_online_page(PHYS_PFN(phys)) : NULL;
	if (!page || is_zone_device_page(page))
		return -EFAULT;
	folio = page_folio(page);
	if (!folio_try_get(folio))
		return -EFAULT;
	if (page_folio(page) != folio ||
	    iommu_iova_to_phys(domain, iova) != phys)
		ret = -EAGAIN;
	else
		memcpy_from_page(dst, page, offset_in_page(phys), len);
	folio_put(folio);
	return ret;
}

static int vfmig_iommufd_dma_read(struct vfmig_device *mdev, u64 iova,
				  void *dst, u32 len)
{
	struct iommu_domain *domain;
	u32 done = 0, n;
	int ret = 0;

	/* Only a domain the device's user owns: never the kernel's own. */
	domain = iommu_get_domain_for_dev(&mdev->core.pdev->dev);
	if (!domain || domain->type != IOMMU_DOMAIN_UNMANAGED)
		return -EFAULT;
	while (done < len && !ret) {
		n = min_t(u64, len - done,
			  PAGE_SIZE - offset_in_page(iova + done));
		ret = vfmig_iommufd_read_page(domain, iova + done, dst + done,
					      n);
		done += n;
	}
	return ret;
}
#endif

/*
 * A read the device's user could stall (a page it made fault forever, say,
 * with userfaultfd) would hold the device's SRCU and keep a detach waiting:
 * guest memory mapped for DMA is pinned and present, so the copy is made
 * without faulting pages in, and a page that is not present fails.
 */
static int vfmig_dma_copy(struct vfmig_device *mdev, u64 iova, void *dst,
			  u32 len)
{
	int ret;

	pagefault_disable();
#if IS_ENABLED(CONFIG_IOMMUFD)
	if (mdev->core.vdev.iommufd_device)
		ret = vfmig_iommufd_dma_read(mdev, iova, dst, len);
	else
#endif
		ret = vfio_dma_rw(&mdev->core.vdev, iova, dst, len, false);
	pagefault_enable();
	return ret;
}

/**
 * bpf_vfmig_dma_read() - read memory as the device sees it, by IOVA
 * @dev: the device the program serves
 * @iova: first byte, as the device addresses it
 * @buf: where to copy
 * @buf__sz: bytes, 1 to %VFMIG_MAX_DMA_READ (64 KiB)
 *
 * For programs that must know what the device was told through memory: a
 * NIC's descriptor rings hold the buffer addresses it will write.  Reads
 * only memory the device itself may reach, of any page size (small,
 * transparent huge or hugetlb pages): on the type1 container through its
 * own access path (vfio_dma_rw(), under the container's lock, so a
 * concurrent unmap either precedes or follows the read); on iommufd,
 * which offers a driver no access of the IOAS behind an HWPT, through the
 * device's domain, the page's folio held and the translation checked
 * again once it is.  It never faults a page in (guest memory mapped for
 * DMA is pinned and present), so a user cannot stall it.
 *
 * Context: sleepable callbacks only (the verifier refuses it elsewhere),
 * region hooks included when they are sleepable; the read is made from the
 * calling task for the device's user (its VMM's threads, or a kernel
 * worker), not from another process.
 *
 * Return: 0; -EINVAL for a size out of range or a wrapping range; -ENODEV
 * while the device is closed or its user changes its IOMMU domain; -EFAULT
 * where the device has no mapping, the memory is not present, or the
 * calling task is another process than the device's user.  On error @buf
 * is zeroed: a program must treat it as a read it could not make (a dirty
 * log it cannot complete reports pages lost), never as data.
 */
__bpf_kfunc int bpf_vfmig_dma_read(struct vfmig_dev *dev, u64 iova,
				   void *buf, u32 buf__sz)
{
	struct vfmig_device *mdev = dev_to_vfmig(dev);
	int idx, ret;

	if (!buf__sz || buf__sz > VFMIG_MAX_DMA_READ ||
	    iova + buf__sz - 1 < iova)
		return -EINVAL;
	/* close_device and a domain change wait for this section. */
	idx = srcu_read_lock(&mdev->srcu);
	if (!READ_ONCE(mdev->barmap_ready) || READ_ONCE(mdev->dma_changing))
		ret = -ENODEV;
	else
		ret = vfmig_dma_copy(mdev, iova, buf, buf__sz) ? -EFAULT : 0;
	srcu_read_unlock(&mdev->srcu, idx);
	if (ret)
		memset(buf, 0, buf__sz);
	return ret;
}

__bpf_kfunc_end_defs();

BTF_KFUNCS_START(vfmig_kfunc_ids)
BTF_ID_FLAGS(func, bpf_vfmig_bar_read, KF_TRUSTED_ARGS)
BTF_ID_FLAGS(func, bpf_vfmig_bar_write, KF_TRUSTED_ARGS)
BTF_ID_FLAGS(func, bpf_vfmig_config_read, KF_TRUSTED_ARGS)
BTF_ID_FLAGS(func, bpf_vfmig_config_write, KF_TRUSTED_ARGS)
BTF_ID_FLAGS(func, bpf_vfmig_trap_window, KF_TRUSTED_ARGS)
BTF_ID_FLAGS(func, bpf_vfmig_region_add, KF_TRUSTED_ARGS)
BTF_ID_FLAGS(func, bpf_vfmig_stream_write, KF_TRUSTED_ARGS | KF_SLEEPABLE)
BTF_ID_FLAGS(func, bpf_vfmig_stream_read, KF_TRUSTED_ARGS | KF_SLEEPABLE)
BTF_ID_FLAGS(func, bpf_vfmig_stream_write_bar, KF_TRUSTED_ARGS | KF_SLEEPABLE)
BTF_ID_FLAGS(func, bpf_vfmig_error, KF_TRUSTED_ARGS)
BTF_ID_FLAGS(func, bpf_vfmig_mark_dirty, KF_TRUSTED_ARGS)
BTF_ID_FLAGS(func, bpf_vfmig_usleep, KF_TRUSTED_ARGS | KF_SLEEPABLE)
BTF_ID_FLAGS(func, bpf_vfmig_dma_read, KF_TRUSTED_ARGS | KF_SLEEPABLE)
BTF_ID_FLAGS(func, bpf_vfmig_bar_poll, KF_TRUSTED_ARGS | KF_SLEEPABLE)
BTF_ID_FLAGS(func, bpf_vfmig_log, KF_TRUSTED_ARGS)
BTF_ID_FLAGS(func, bpf_vfmig_hold_accesses, KF_TRUSTED_ARGS | KF_SLEEPABLE)
BTF_ID_FLAGS(func, bpf_vfmig_release_accesses, KF_TRUSTED_ARGS | KF_SLEEPABLE)
BTF_ID_FLAGS(func, bpf_vfmig_pf_call, KF_TRUSTED_ARGS | KF_SLEEPABLE)
BTF_KFUNCS_END(vfmig_kfunc_ids)

/* The filter sees only this module's kfuncs: keep them to our programs. */
static int vfmig_kfunc_filter(const struct bpf_prog *prog, u32 kfunc_id)
{
	return vfmig_is_vfmig_prog(prog) ? 0 : -EACCES;
}

static const struct btf_kfunc_id_set vfmig_kfunc_set = {
	.owner = THIS_MODULE,
	.set = &vfmig_kfunc_ids,
	.filter = vfmig_kfunc_filter,
};

/**
 * vfmig_kfuncs_register() - make the kfuncs callable from struct_ops
 *
 * Return: 0 or -errno from the BTF core.
 */
int vfmig_kfuncs_register(void)
{
	return register_btf_kfunc_id_set(BPF_PROG_TYPE_STRUCT_OPS,
					 &vfmig_kfunc_set);
}
