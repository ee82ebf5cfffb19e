// SPDX-License-Identifier: GPL-2.0
/*
 * Test program the verifier must reject: a non-sleepable region hook (run
 * under RCU) calls bpf_vfmig_bar_poll(), which sleeps.
 */
#include "vfmig.bpf.h"
#include "test_ids.h"

SEC("struct_ops/region_read")
int BPF_PROG(bad_poll_read, struct vfmig_dev *dev, struct vfmig_access *acc)
{
	struct vfmig_poll p = { .mask = 1, .value = 0, .timeout_us = 1000 };

	return bpf_vfmig_bar_poll(dev, 0, 0, &p);
}

VFMIG_OPS(test_bad_poll, TEST_IDS, .region_read = (void *)bad_poll_read);

char LICENSE[] SEC("license") = "GPL";
