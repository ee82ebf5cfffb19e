// SPDX-License-Identifier: GPL-2.0
/*
 * Test program the verifier must reject: it writes vfmig_access.offset,
 * which is read-only (only .value is writable).
 */
#include "vfmig.bpf.h"
#include "test_ids.h"

SEC("struct_ops/region_read")
int BPF_PROG(bad_read, struct vfmig_dev *dev, struct vfmig_access *acc)
{
	acc->offset = 0;
	return 0;
}

VFMIG_OPS(test_bad, TEST_IDS, .region_read = (void *)bad_read);

char LICENSE[] SEC("license") = "GPL";
