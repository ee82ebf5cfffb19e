/* SPDX-License-Identifier: GPL-2.0 */
/*
 * compat() for the tests, built into selftests/progs/edu_compat.bpf.o (edu.bpf.c with
 * EDU_COMPAT): it returns what the edu_compat map says, VFMIG_COMPATIBLE,
 * 0, an errno or anything a hostile program would, and records the origin
 * it was shown.
 */
#ifndef _VFMIG_TEST_COMPAT_H
#define _VFMIG_TEST_COMPAT_H

struct edu_compat_cfg {
	__s32 ret;		/* the answer */
	__u32 calls;
	__u16 vendor;		/* the origin it was shown last */
	__u16 device;
	__u16 subsystem_vendor;
	__u16 subsystem_device;
	__u32 program_version;
	char program[VFMIG_NAME_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct edu_compat_cfg);
} edu_compat SEC(".maps");

SEC("struct_ops.s/compat")
int BPF_PROG(edu_compat_cb, struct vfmig_dev *dev, struct vfmig_origin *src)
{
	struct edu_compat_cfg *c;
	__u32 key = 0;

	c = bpf_map_lookup_elem(&edu_compat, &key);
	/* Never NULL; 6.12's verifier may think so (Documentation/contract.md). */
	if (!c || !src)
		return -EINVAL;
	c->calls++;
	c->vendor = src->vendor;
	c->device = src->device;
	c->subsystem_vendor = src->subsystem_vendor;
	c->subsystem_device = src->subsystem_device;
	c->program_version = src->program_version;
	__builtin_memcpy(c->program, src->program, sizeof(c->program));
	return c->ret;
}

#define EDU_COMPAT_OPS	.compat = (void *)edu_compat_cb,

#endif /* _VFMIG_TEST_COMPAT_H */
