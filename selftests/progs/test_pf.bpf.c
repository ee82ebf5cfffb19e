// SPDX-License-Identifier: GPL-2.0
/*
 * Test program for the PF channel (bpf_vfmig_pf_call()): a write to BAR 0
 * offset PF_WIN, trapped by a sleepable hook, makes one call as pf_cfg
 * says (operation, buffer size, argument size, a __u32 argument) and
 * keeps what came back in pf_res: the return value, the result's first
 * bytes and, for VFMIG_IGB_PF_VIEW, the view by its fields; and the
 * device's vf_index and pf_bdf.  Any value of pf_cfg goes: the hostile
 * tests give sizes out of range, unknown operations, and an edu device,
 * which is no VF.
 */
#include "vfmig.bpf.h"
#include "vfmig_igb_pf.h"
#include "test_ids.h"

#define PF_WIN		0xff0
#define PF_BUF		(VFMIG_PF_MAX_SIZE + 64)

struct pf_cfg {
	__u32 op;
	__u32 buf_size;		/* clamped to PF_BUF */
	__u32 arg_size;
	__u32 arg;		/* the argument's first 4 bytes */
};

struct pf_res {
	__s32 ret;
	__u32 calls;
	__u32 vf_index;
	__u64 ns;		/* the call took, as the program saw it */
	char pf_bdf[VFMIG_BDF_LEN];
	__u32 head[8];		/* the buffer's first bytes after the call */
	struct vfmig_igb_pf_view view;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pf_cfg);
} pf_cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pf_res);
} pf_res SEC(".maps");

struct pf_buf {
	__u8 b[PF_BUF];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pf_buf);
} pf_buf SEC(".maps");

SEC("struct_ops.s/init")
int BPF_PROG(tp_init, struct vfmig_dev *dev)
{
	return bpf_vfmig_trap_window(dev, 0, PF_WIN, 4);
}

SEC("struct_ops.s/region_write")
int BPF_PROG(tp_write, struct vfmig_dev *dev, struct vfmig_access *acc)
{
	__u32 key = 0, size;
	__u64 t0;
	struct pf_cfg *c = bpf_map_lookup_elem(&pf_cfg, &key);
	struct pf_res *r = bpf_map_lookup_elem(&pf_res, &key);
	struct pf_buf *b = bpf_map_lookup_elem(&pf_buf, &key);

	if (!c || !r || !b)
		return -ENOENT;
	size = c->buf_size;
	if (size > PF_BUF)
		size = PF_BUF;
	__builtin_memset(b->b, 0, 8);
	__builtin_memcpy(b->b, &c->arg, sizeof(c->arg));
	t0 = bpf_ktime_get_ns();
	r->ret = bpf_vfmig_pf_call(dev, c->op, b->b, size, c->arg_size);
	r->ns = bpf_ktime_get_ns() - t0;
	r->calls++;
	r->vf_index = dev->vf_index;
	__builtin_memcpy(r->pf_bdf, dev->pf_bdf, sizeof(r->pf_bdf));
	__builtin_memcpy(r->head, b->b, sizeof(r->head));
	if (c->op == VFMIG_IGB_PF_VIEW && r->ret == sizeof(r->view))
		__builtin_memcpy(&r->view, b->b, sizeof(r->view));
	return 0;
}

SEC("struct_ops/region_read")
int BPF_PROG(tp_read, struct vfmig_dev *dev, struct vfmig_access *acc)
{
	acc->value = 0;
	return 0;
}

VFMIG_OPS(test_pf,
	TEST_IDS,
	.init = (void *)tp_init,
	.region_read = (void *)tp_read,
	.region_write = (void *)tp_write,
);

char LICENSE[] SEC("license") = "GPL";
