// SPDX-License-Identifier: GPL-2.0
/*
 * Test program that declares no PCI ids: the kernel attaches it only where
 * the operator forced it (vfmig-load --force), with a warning.
 */
#include "vfmig.bpf.h"

SEC("struct_ops/region_read")
int BPF_PROG(no_ids_read, struct vfmig_dev *dev, struct vfmig_access *acc)
{
	return VFMIG_PASS;
}

VFMIG_OPS(test_no_ids, .region_read = (void *)no_ids_read);

char LICENSE[] SEC("license") = "GPL";
