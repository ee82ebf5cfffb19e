/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The devices the test programs serve: QEMU's edu, the igb VF and PF of
 * the NIC tests (the PF for the MSI-X kfunc probes), and the modern
 * virtio-rng device (vendor-specific config capabilities).
 */
#ifndef _VFMIG_TEST_IDS_H
#define _VFMIG_TEST_IDS_H

#define TEST_IDS .ids = {						\
	VFMIG_PCI_DEVICE(0x1234, 0x11e8),				\
	VFMIG_PCI_DEVICE(0x8086, 0x10ca),				\
	VFMIG_PCI_DEVICE(0x8086, 0x10c9),				\
	VFMIG_PCI_DEVICE(0x1af4, 0x1044),				\
}

#endif /* _VFMIG_TEST_IDS_H */
