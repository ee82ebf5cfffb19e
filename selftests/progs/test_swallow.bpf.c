// SPDX-License-Identifier: GPL-2.0
/*
 * Test program: traps edu's liveness register (BAR 0, 0x04, which reads
 * back the inverse of what was written) and swallows every write to it,
 * so a write that reaches the device anyway went around the hook.
 */
#include "vfmig.bpf.h"
#include "test_ids.h"

#define LIVENESS	0x04

__u64 swallowed;

SEC("struct_ops.s/init")
int BPF_PROG(sw_init, struct vfmig_dev *dev)
{
	return bpf_vfmig_trap_window(dev, 0, LIVENESS, 4);
}

SEC("struct_ops/region_write")
int BPF_PROG(sw_write, struct vfmig_dev *dev, struct vfmig_access *acc)
{
	swallowed++;
	return 0;
}

VFMIG_OPS(test_swallow, TEST_IDS,
	.init = (void *)sw_init,
	.region_write = (void *)sw_write,
);

char LICENSE[] SEC("license") = "GPL";
