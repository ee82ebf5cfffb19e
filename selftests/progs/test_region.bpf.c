// SPDX-License-Identifier: GPL-2.0
/*
 * Test program for the region hooks on an edu device.  One register of each
 * kind of answer:
 *   BAR0 0x00 read   handled: 0xfeedf00d instead of the edu identification
 *   BAR0 0x04        passed to vfio-pci (inside a window, hook says PASS)
 *   BAR0 0x20 write  refused with -EPERM
 *   BAR0 0x24 read   handled from a kfunc: the liveness register (0x04)
 *   config 0x2e read handled: subsystem id 0xbeef
 */
#include "vfmig.bpf.h"
#include "test_ids.h"

#define EDU_BAR		0

SEC("struct_ops.s/init")
int BPF_PROG(test_init, struct vfmig_dev *dev)
{
	return bpf_vfmig_trap_window(dev, EDU_BAR, 0x00, 0x08) ?:
	       bpf_vfmig_trap_window(dev, EDU_BAR, 0x20, 0x08) ?:
	       bpf_vfmig_trap_window(dev, VFMIG_CONFIG_REGION, 0x2e, 2);
}

SEC("struct_ops/region_read")
int BPF_PROG(test_read, struct vfmig_dev *dev, struct vfmig_access *acc)
{
	__u64 v = 0;
	int err;

	if (acc->index == VFMIG_CONFIG_REGION) {
		acc->value = 0xbeef;
		return 0;
	}
	switch (acc->offset) {
	case 0x00:
		acc->value = 0xfeedf00d;
		return 0;
	case 0x24:
		err = bpf_vfmig_bar_read(dev, EDU_BAR, 0x04, 4, &v);
		if (err)
			return err;
		acc->value = v;
		return 0;
	}
	return VFMIG_PASS;
}

SEC("struct_ops/region_write")
int BPF_PROG(test_write, struct vfmig_dev *dev, struct vfmig_access *acc)
{
	if (acc->offset == 0x20)
		return -EPERM;
	return VFMIG_PASS;
}

VFMIG_OPS(test_region,
	TEST_IDS,
	.init = (void *)test_init,
	.region_read = (void *)test_read,
	.region_write = (void *)test_write,
);

char LICENSE[] SEC("license") = "GPL";
