// SPDX-License-Identifier: GPL-2.0
/*
 * vfmig_igb_pf: the PF channel's provider for the Intel 82576 PF driven by
 * the kernel's own, unmodified igb driver.  It tells a VF's program what
 * igb programmed for that VF (include/vfmig_igb_pf.h): the receive-address
 * entries whose pool bits include it, the VLAN filter (VLVF) entries with
 * its pool bit, VMOLR(n), VMVIR(n) and its bits of VFRE and VFTE.
 *
 * A separate module, so that it works beside any igb, Debian's included:
 * it maps BAR 0 of each 82576 PF bound to igb with a pci_iomap() of its
 * own (igb keeps the region it requested) and only ever reads it.  It
 * never writes a PF register, so it cannot race igb's read-modify-writes;
 * for the same reason it offers no quiesce: stopping a VF's queues or
 * filters from beside igb would undo igb's own bookkeeping.  What it reads
 * igb may change meanwhile (an administrator's `ip link set PF vf N ...`,
 * a VF's mailbox request): each entry is read until two reads agree.
 *
 * The PFs are those bound to igb when the module loads (or when
 * "registered" is set to 1 again); one unbound from igb answers -ENODEV.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/slab.h>

#include "vfmig_pf.h"
#include "../include/vfmig_igb_pf.h"

/* Registers, as drivers/net/ethernet/intel/igb/e1000_regs.h names them. */
static u32 igb_ral(u32 i)
{
	return i <= 15 ? 0x05400 + i * 8 : 0x054e0 + (i - 16) * 8;
}

#define IGB_VLVF(i)	(0x05d00 + 4 * (i))
#define IGB_VMOLR(n)	(0x05ad0 + 4 * (n))
#define IGB_VMVIR(n)	(0x03700 + 4 * (n))
#define IGB_VFRE	0x00c8c
#define IGB_VFTE	0x00c90
#define IGB_MAX_VFS	8	/* the 82576's pools */
#define IGB_BAR0_MIN	0x8000	/* every register above lies below */

/* Each operation reads at most 24 + 2 * 24 + 32 + 4 registers. */
#define IGB_PF_MAX_US	20000

static unsigned int delay_ms;
module_param(delay_ms, uint, 0644);
MODULE_PARM_DESC(delay_ms, "For tests only: every operation sleeps this long first (default 0)");

struct igb_pf {
	struct vfmig_pf_provider provider;
	struct pci_dev *pdev;
	void __iomem *io;
	struct list_head node;
};

static DEFINE_MUTEX(igb_pf_lock);	/* igb_pfs, registered */
static LIST_HEAD(igb_pfs);
static bool registered;

static bool igb_pf_on_igb(struct pci_dev *pdev)
{
	struct pci_driver *drv = READ_ONCE(pdev->driver);

	return drv && !strcmp(drv->name, "igb");
}

/* igb_pfs holds each entry until its provider is unregistered. */
static struct igb_pf *igb_pf_of(struct pci_dev *pdev)
{
	struct igb_pf *ip, *found = NULL;

	mutex_lock(&igb_pf_lock);
	list_for_each_entry(ip, &igb_pfs, node)
		if (ip->pdev == pdev)
			found = ip;
	mutex_unlock(&igb_pf_lock);
	return found;
}

/* May BAR 0 be read: igb still drives the PF, awake and decoding? */
static int igb_pf_ready(struct igb_pf *ip)
{
	u16 cmd = 0;

	if (!igb_pf_on_igb(ip->pdev))
		return -ENODEV;
	if (ip->pdev->current_state != PCI_D0)
		return -EIO;
	pci_read_config_word(ip->pdev, PCI_COMMAND, &cmd);
	return cmd & PCI_COMMAND_MEMORY ? 0 : -EIO;
}

static u32 igb_rd(struct igb_pf *ip, u32 reg)
{
	return ioread32(ip->io + reg);
}

/* A pair igb may be rewriting: read until two reads agree. */
static int igb_rd_pair(struct igb_pf *ip, u32 lo, u32 hi, u32 *l, u32 *h)
{
	int i;

	for (i = 0; i < 4; i++) {
		*h = igb_rd(ip, hi);
		*l = igb_rd(ip, lo);
		if (igb_rd(ip, hi) == *h && igb_rd(ip, lo) == *l)
			return *h == ~0U && *l == ~0U ? -EIO : 0;
	}
	return -EAGAIN;
}

/* Common to every operation: the PF, the VF index, the test delay. */
static struct igb_pf *igb_pf_begin(struct pci_dev *pdev, unsigned int vf,
				   int *err)
{
	struct igb_pf *ip = igb_pf_of(pdev);
	unsigned int ms = READ_ONCE(delay_ms);

	*err = -ENODEV;
	if (!ip)
		return NULL;
	*err = -EINVAL;
	if (vf >= IGB_MAX_VFS || vf >= pci_num_vf(pdev))
		return NULL;
	if (ms)
		msleep(min(ms, 10000U));
	*err = igb_pf_ready(ip);
	return *err ? NULL : ip;
}

static int igb_pf_mac(struct igb_pf *ip, unsigned int vf, u32 i,
		      struct vfmig_igb_pf_mac *m)
{
	u32 ral, rah;
	int err;

	err = igb_rd_pair(ip, igb_ral(i), igb_ral(i) + 4, &ral, &rah);
	if (err)
		return err;
	if (!(rah & VFMIG_IGB_RAH_AV) ||
	    !(rah & BIT(VFMIG_IGB_RAH_POOL_SHIFT + vf)))
		return -ENOENT;
	m->index = i;
	m->ral = ral;
	m->rah = rah;
	return 0;
}

/**
 * igb_pf_view() - %VFMIG_IGB_PF_VIEW: what igb programmed for VF @vf
 * @pdev: the PF
 * @vf: the VF's index, from vfmig (the calling program's own VF)
 * @arg: a u32 of flags, 0
 * @res: a zeroed &struct vfmig_igb_pf_view
 *
 * Context: process context, may sleep (the test delay only).
 * Return: the size of the view; -EINVAL for flags or a @vf out of range;
 * -ENODEV when the PF left igb; -EIO when it cannot be read (asleep, not
 * decoding, off the bus); -EAGAIN when igb kept rewriting an address.
 */
static int igb_pf_view(struct pci_dev *pdev, unsigned int vf, const void *arg,
		       void *res)
{
	struct vfmig_igb_pf_view *v = res;
	u32 flags, i, x;
	struct igb_pf *ip;
	int err;

	memcpy(&flags, arg, sizeof(flags));
	if (flags)
		return -EINVAL;
	ip = igb_pf_begin(pdev, vf, &err);
	if (!ip)
		return err;
	v->vf = vf;
	for (i = 0; i < VFMIG_IGB_PF_MAX_MACS; i++) {
		err = igb_pf_mac(ip, vf, i, &v->macs[v->nr_macs]);
		if (!err)
			v->nr_macs++;
		else if (err != -ENOENT)
			return err;
	}
	for (i = 0; i < VFMIG_IGB_PF_MAX_VLANS; i++) {
		x = igb_rd(ip, IGB_VLVF(i));
		if (!(x & VFMIG_IGB_VLVF_ENABLE) ||
		    !(x & BIT(VFMIG_IGB_VLVF_POOL_SHIFT + vf)))
			continue;
		v->vlans[v->nr_vlans].index = i;
		v->vlans[v->nr_vlans].vlvf = x;
		v->nr_vlans++;
	}
	v->vmolr = igb_rd(ip, IGB_VMOLR(vf));
	v->vmvir = igb_rd(ip, IGB_VMVIR(vf));
	v->rx_enabled = !!(igb_rd(ip, IGB_VFRE) & BIT(vf));
	v->tx_enabled = !!(igb_rd(ip, IGB_VFTE) & BIT(vf));
	/* A PF that fell off the bus reads all ones. */
	if (v->vmolr == ~0U && v->vmvir == ~0U)
		return -EIO;
	return sizeof(*v);
}

/**
 * igb_pf_rar() - %VFMIG_IGB_PF_RAR: one receive-address entry, if VF @vf's
 * @pdev: the PF
 * @vf: the VF's index, from vfmig
 * @arg: a u32: the entry, 0 to %VFMIG_IGB_PF_MAX_MACS - 1
 * @res: a zeroed &struct vfmig_igb_pf_mac
 *
 * Context: process context, may sleep (the test delay only).
 * Return: the size of the entry; -ENOENT when it is not valid for the
 * VF's pool; otherwise as igb_pf_view().
 */
static int igb_pf_rar(struct pci_dev *pdev, unsigned int vf, const void *arg,
		      void *res)
{
	struct igb_pf *ip;
	u32 entry;
	int err;

	memcpy(&entry, arg, sizeof(entry));
	if (entry >= VFMIG_IGB_PF_MAX_MACS)
		return -EINVAL;
	ip = igb_pf_begin(pdev, vf, &err);
	if (!ip)
		return err;
	err = igb_pf_mac(ip, vf, entry, res);
	return err ?: (int)sizeof(struct vfmig_igb_pf_mac);
}

static const struct vfmig_pf_op igb_pf_ops[] = {
	{
		.id = VFMIG_IGB_PF_VIEW,
		.name = "vf_view",
		.arg_size = sizeof(u32),
		.res_size = sizeof(struct vfmig_igb_pf_view),
		.max_us = IGB_PF_MAX_US,
		.call = igb_pf_view,
	}, {
		.id = VFMIG_IGB_PF_RAR,
		.name = "vf_rar",
		.arg_size = sizeof(u32),
		.res_size = sizeof(struct vfmig_igb_pf_mac),
		.max_us = IGB_PF_MAX_US,
		.call = igb_pf_rar,
	},
};

/* The 82576's PF device ids (igb's e1000_hw.h). */
static const struct pci_device_id igb_pf_ids[] = {
	{ PCI_VDEVICE(INTEL, 0x10c9) }, { PCI_VDEVICE(INTEL, 0x10e6) },
	{ PCI_VDEVICE(INTEL, 0x10e7) }, { PCI_VDEVICE(INTEL, 0x10e8) },
	{ PCI_VDEVICE(INTEL, 0x1526) }, { PCI_VDEVICE(INTEL, 0x150a) },
	{ PCI_VDEVICE(INTEL, 0x1518) }, { PCI_VDEVICE(INTEL, 0x150d) },
	{}
};

static void igb_pf_free(struct igb_pf *ip)
{
	pci_iounmap(ip->pdev, ip->io);
	pci_dev_put(ip->pdev);
	kfree(ip);
}

static int igb_pf_add(struct pci_dev *pdev)
{
	struct igb_pf *ip;
	int err;

	if (!igb_pf_on_igb(pdev) || !pdev->is_physfn ||
	    pci_resource_len(pdev, 0) < IGB_BAR0_MIN ||
	    !(pci_resource_flags(pdev, 0) & IORESOURCE_MEM))
		return -ENODEV;
	ip = kzalloc(sizeof(*ip), GFP_KERNEL);
	if (!ip)
		return -ENOMEM;
	ip->pdev = pci_dev_get(pdev);
	ip->io = pci_iomap(pdev, 0, IGB_BAR0_MIN);
	if (!ip->io) {
		pci_dev_put(pdev);
		kfree(ip);
		return -ENOMEM;
	}
	ip->provider.name = "igb-ro";
	ip->provider.ops = igb_pf_ops;
	ip->provider.nr_ops = ARRAY_SIZE(igb_pf_ops);
	/*
	 * Listed first: a call may come as soon as it is registered (and
	 * waits for igb_pf_lock, which registering never does).
	 */
	list_add_tail(&ip->node, &igb_pfs);
	err = vfmig_pf_register(pdev, &ip->provider);
	if (err) {
		list_del(&ip->node);
		igb_pf_free(ip);
	}
	return err;
}

/* Called with igb_pf_lock held; returns how many PFs were registered. */
static int igb_pf_add_all(void)
{
	const struct pci_device_id *id;
	struct pci_dev *pdev = NULL;
	int n = 0, err;

	for (id = igb_pf_ids; id->vendor; id++) {
		while ((pdev = pci_get_device(id->vendor, id->device, pdev))) {
			err = igb_pf_add(pdev);
			if (!err)
				n++;
			else if (err != -ENODEV)
				pci_warn(pdev, "vfmig_igb_pf: not registered: %d\n",
					 err);
		}
	}
	return n;
}

/* Called with igb_pf_lock held. */
static void igb_pf_remove_all(void)
{
	struct igb_pf *ip;

	while ((ip = list_first_entry_or_null(&igb_pfs, struct igb_pf,
					      node))) {
		/* Unregistering waits for calls, which look the list up. */
		mutex_unlock(&igb_pf_lock);
		vfmig_pf_unregister(&ip->provider);
		mutex_lock(&igb_pf_lock);
		list_del(&ip->node);
		igb_pf_free(ip);
	}
}

/*
 * "registered": 0 withdraws every provider (waiting for the calls in
 * flight), 1 registers the 82576 PFs now bound to igb.  The tests use it
 * to withdraw a provider under a running call.
 */
static int igb_pf_registered_set(const char *val, const struct kernel_param *kp)
{
	bool on;
	int ret;

	ret = kstrtobool(val, &on);
	if (ret)
		return ret;
	mutex_lock(&igb_pf_lock);
	if (on && !registered)
		ret = igb_pf_add_all() ? 0 : -ENODEV;
	else if (!on && registered)
		igb_pf_remove_all();
	if (!ret)
		registered = on;
	mutex_unlock(&igb_pf_lock);
	return ret;
}

static const struct kernel_param_ops igb_pf_registered_ops = {
	.set = igb_pf_registered_set,
	.get = param_get_bool,
};
module_param_cb(registered, &igb_pf_registered_ops, &registered, 0644);
MODULE_PARM_DESC(registered, "1: the 82576 PFs bound to igb offer their VFs' programs the PF channel; 0: withdrawn");

static int __init igb_pf_init(void)
{
	int n;

	mutex_lock(&igb_pf_lock);
	n = igb_pf_add_all();
	registered = n > 0;
	mutex_unlock(&igb_pf_lock);
	if (!n) {
		pr_err("no Intel 82576 PF bound to igb: nothing to provide for\n");
		return -ENODEV;
	}
	return 0;
}

static void __exit igb_pf_exit(void)
{
	mutex_lock(&igb_pf_lock);
	igb_pf_remove_all();
	registered = false;
	mutex_unlock(&igb_pf_lock);
}

module_init(igb_pf_init);
module_exit(igb_pf_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vfmig PF channel provider: read-only view of what igb programmed for an 82576 VF");
MODULE_VERSION(VFMIG_VERSION);
