// SPDX-License-Identifier: GPL-2.0
/*
 * Offers migration (save and load) without set_state: the device would
 * advertise STOP while nothing stops it, so the kernel must refuse it.
 */
#include "vfmig.bpf.h"
#include "test_ids.h"

SEC("struct_ops.s/save")
int BPF_PROG(nss_save, struct vfmig_dev *dev, struct vfmig_stream *stream)
{
	return 0;
}

SEC("struct_ops.s/load")
int BPF_PROG(nss_load, struct vfmig_dev *dev, struct vfmig_stream *stream)
{
	return 0;
}

VFMIG_OPS(test_no_set_state,
	TEST_IDS,
	.flags = VFMIG_F_P2P,
	.save = (void *)nss_save,
	.load = (void *)nss_load,
);

char LICENSE[] SEC("license") = "GPL";
