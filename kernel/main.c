// SPDX-License-Identifier: GPL-2.0
/*
 * vfmig-pci: PCI driver registration, probe/remove, module init and exit.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/pci.h>

#include "internal.h"

static bool enable_sriov;
module_param(enable_sriov, bool, 0644);
MODULE_PARM_DESC(enable_sriov, "Let a PF bound to vfmig-pci create VFs, as vfio-pci's parameter of the same name (default off)");

static int vfmig_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct vfmig_device *mdev;
	int ret;

	mdev = vfio_alloc_device(vfmig_device, core.vdev, &pdev->dev,
				 &vfmig_vfio_ops);
	if (IS_ERR(mdev))
		return PTR_ERR(mdev);

	dev_set_drvdata(&pdev->dev, &mdev->core);
	ret = vfio_pci_core_register_device(&mdev->core);
	if (ret)
		goto out_put;

	vfmig_device_add(mdev);
	return 0;

out_put:
	vfio_put_device(&mdev->core.vdev);
	return ret;
}

static void vfmig_remove(struct pci_dev *pdev)
{
	struct vfio_pci_core_device *core = dev_get_drvdata(&pdev->dev);
	struct vfmig_device *mdev = to_vfmig(&core->vdev);

	vfmig_device_del(mdev);

	/*
	 * Unregistering waits for the user to close the device (a guest may
	 * ignore the unplug request for long): until then its trap windows
	 * must hold, so the program goes only after.
	 */
	vfmig_device_removing(mdev);
	vfio_pci_core_unregister_device(core);
	vfmig_device_detach_all(mdev);
	vfio_put_device(&core->vdev);
}

/* As vfio-pci: VFs of a user-owned PF need the VF token rules of the core. */
static int vfmig_sriov_configure(struct pci_dev *pdev, int nr_virtfn)
{
	struct vfio_pci_core_device *core = dev_get_drvdata(&pdev->dev);

	if (!enable_sriov)
		return -ENOENT;
	return vfio_pci_core_sriov_configure(core, nr_virtfn);
}

/*
 * Bind only through driver_override, like vfio-pci's "match all" entry, but
 * with no MODULE_DEVICE_TABLE: its alias would tie vfio-pci's in
 * modules.alias, and libvirt would pick between the two by line order for
 * every device on the host.  libvirt asks for us by name instead
 * (<driver model='vfmig-pci'/>), which modprobe finds as this alias.
 */
static const struct pci_device_id vfmig_pci_table[] = {
	{ PCI_DRIVER_OVERRIDE_DEVICE_VFIO(PCI_ANY_ID, PCI_ANY_ID) },
	{}
};
MODULE_ALIAS("vfmig_pci");

static struct pci_driver vfmig_pci_driver = {
	.name = VFMIG_DRIVER_NAME,
	.id_table = vfmig_pci_table,
	.probe = vfmig_probe,
	.remove = vfmig_remove,
	.sriov_configure = vfmig_sriov_configure,
	.err_handler = &vfmig_err_handlers,
	.dev_groups = vfmig_dev_groups,
	.driver_managed_dma = true,
};

static int __init vfmig_init(void)
{
	int ret;

	ret = vfmig_kfuncs_register();
	if (ret)
		return ret;
	ret = vfmig_struct_ops_register();
	if (ret)
		return ret;
	vfmig_crc_init();
	ret = pci_register_driver(&vfmig_pci_driver);
	if (ret)
		vfmig_crc_exit();
	return ret;
}

static void __exit vfmig_exit(void)
{
	pci_unregister_driver(&vfmig_pci_driver);
	vfmig_crc_exit();
}

module_init(vfmig_init);
module_exit(vfmig_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vfio-pci variant driver programmable with BPF struct_ops");
MODULE_VERSION(VFMIG_VERSION);
