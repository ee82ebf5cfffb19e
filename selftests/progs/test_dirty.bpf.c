// SPDX-License-Identifier: GPL-2.0
/*
 * Test program for DMA logging on an edu device.
 *
 * Software tracking: an 8-byte write of an IOVA to BAR 0 offset 0x100 (a
 * register edu does not have) marks the page holding it, from the region
 * hook as a software tracker would.  For `make bench`, a write of N to
 * 0x108 makes N bpf_vfmig_mark_dirty() calls (pages 0 to 511, in turn)
 * and a write of N to 0x110 runs the same loop without them.
 *
 * Hardware tracking: log_start, log_stop and log_report are counted in
 * dirty_stats; log_report marks the range in dirty_hw as a device's own
 * tracker would report it, then clears it (read and clear).  dirty_hw's
 * fail_start and fail_report make log_start and log_report fail.
 */
#include "vfmig.bpf.h"
#include "test_ids.h"

#define MARK_REGISTER	0x100
#define MARK_LOOP	0x108
#define EMPTY_LOOP	0x110
#define WINDOW_END	0x118

struct dirty_hw {
	__u64 iova;		/* what the "hardware" logged, length 0: none */
	__u64 length;
	__u32 fail_start;
	__u32 fail_report;
};

struct dirty_stats {
	__u64 starts;		/* log_start calls: one per range */
	__u64 stops;
	__u64 reports;
	__u64 page_size;	/* of the last start */
	__u64 logged;		/* bytes of the ranges started */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct dirty_hw);
} dirty_hw SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct dirty_stats);
} dirty_stats SEC(".maps");

static __u32 zero;

SEC("struct_ops.s/init")
int BPF_PROG(dirty_init, struct vfmig_dev *dev)
{
	return bpf_vfmig_trap_window(dev, 0, MARK_REGISTER, WINDOW_END - MARK_REGISTER);
}

struct loop_ctx {
	struct vfmig_dev *dev;
};

static long mark_one(__u64 i, void *data)
{
	struct loop_ctx *ctx = data;

	bpf_vfmig_mark_dirty(ctx->dev, (i % 512) * 4096, 4096);
	return 0;
}

static long mark_none(__u64 i, void *data)
{
	return 0;
}

SEC("struct_ops/region_write")
int BPF_PROG(dirty_write, struct vfmig_dev *dev, struct vfmig_access *acc)
{
	struct loop_ctx lctx = { .dev = dev };

	if (acc->size != 8)
		return -EINVAL;
	switch (acc->offset) {
	case MARK_REGISTER:
		bpf_vfmig_mark_dirty(dev, acc->value, 4096);
		break;
	case MARK_LOOP:
		bpf_loop(acc->value, mark_one, &lctx, 0);
		break;
	case EMPTY_LOOP:
		bpf_loop(acc->value, mark_none, &lctx, 0);
		break;
	}
	return 0;
}

SEC("struct_ops/region_read")
int BPF_PROG(dirty_read, struct vfmig_dev *dev, struct vfmig_access *acc)
{
	acc->value = 0;
	return 0;
}

SEC("struct_ops.s/log_start")
int BPF_PROG(dirty_log_start, struct vfmig_dev *dev, __u64 iova, __u64 length,
	     __u64 page_size)
{
	struct dirty_stats *st = bpf_map_lookup_elem(&dirty_stats, &zero);
	struct dirty_hw *hw = bpf_map_lookup_elem(&dirty_hw, &zero);

	if (!st || !hw)
		return -ENOENT;
	if (hw->fail_start)
		return -EOPNOTSUPP;
	st->starts++;
	st->page_size = page_size;
	st->logged += length;
	return 0;
}

SEC("struct_ops.s/log_stop")
void BPF_PROG(dirty_log_stop, struct vfmig_dev *dev)
{
	struct dirty_stats *st = bpf_map_lookup_elem(&dirty_stats, &zero);

	if (st)
		st->stops++;
}

SEC("struct_ops.s/log_report")
int BPF_PROG(dirty_log_report, struct vfmig_dev *dev, __u64 iova, __u64 length)
{
	struct dirty_stats *st = bpf_map_lookup_elem(&dirty_stats, &zero);
	struct dirty_hw *hw = bpf_map_lookup_elem(&dirty_hw, &zero);

	if (!st || !hw)
		return -ENOENT;
	st->reports++;
	if (hw->fail_report)
		return -EIO;
	if (hw->length) {
		bpf_vfmig_mark_dirty(dev, hw->iova, hw->length);
		hw->length = 0;
	}
	return 0;
}

VFMIG_OPS(test_dirty,
	TEST_IDS,
	.flags = VFMIG_F_DIRTY_LOG,
	.init = (void *)dirty_init,
	.region_write = (void *)dirty_write,
	.region_read = (void *)dirty_read,
	.log_start = (void *)dirty_log_start,
	.log_stop = (void *)dirty_log_stop,
	.log_report = (void *)dirty_log_report,
);

char LICENSE[] SEC("license") = "GPL";
