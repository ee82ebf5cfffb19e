// SPDX-License-Identifier: GPL-2.0
/*
 * Test program for bpf_vfmig_dma_read() and bpf_vfmig_usleep() on an edu
 * device.
 *
 * DMA reads: an 8-byte write to BAR 0 offset 0x100 (a register edu does
 * not have) sets an IOVA; an 8-byte read of 0x100 returns the 8 bytes the
 * device sees there (from the region hook, a sleepable one), or fails with the
 * kfunc's error; a read of 0x108 returns the error of a read of size
 * 0x108's last write (0 or > VFMIG_MAX_DMA_READ: refused) at that IOVA.
 *
 * Waits: leaving RUNNING, set_state() waits 10 ms at a time until the
 * kfunc refuses, and records in .bss how many waits it got, how long it
 * took and the refusal; it also records what out-of-range waits return.
 */
#include "vfmig.bpf.h"
#include "test_ids.h"

#define IOVA_REG	0x100
#define SIZE_REG	0x108
#define WINDOW_END	0x110

__u64 iova, size;
__u64 waits, wait_ns;
int wait_err, zero_err, long_err;

SEC("struct_ops.s/init")
int BPF_PROG(wd_init, struct vfmig_dev *dev)
{
	return bpf_vfmig_trap_window(dev, 0, IOVA_REG, WINDOW_END - IOVA_REG);
}

SEC("struct_ops/region_write")
int BPF_PROG(wd_write, struct vfmig_dev *dev, struct vfmig_access *acc)
{
	if (acc->size != 8)
		return -EINVAL;
	if (acc->offset == IOVA_REG)
		iova = acc->value;
	else
		size = acc->value;
	return 0;
}

/* Big enough for any size a test asks for; a map value, not the stack. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u8[VFMIG_MAX_DMA_READ + 8]);
} big SEC(".maps");

SEC("struct_ops.s/region_read")
int BPF_PROG(wd_read, struct vfmig_dev *dev, struct vfmig_access *acc)
{
	__u64 v = 0;
	__u32 key = 0;
	__u8 *buf;
	int err;

	if (acc->size != 8)
		return -EINVAL;
	if (acc->offset == IOVA_REG) {
		err = bpf_vfmig_dma_read(dev, iova, &v, sizeof(v));
		acc->value = v;
		return err;
	}
	buf = bpf_map_lookup_elem(&big, &key);
	if (!buf)
		return -ENOENT;
	/* The verifier checks the size against the buffer; the kfunc, its own bound. */
	if (size == 0)
		err = bpf_vfmig_dma_read(dev, iova, buf, 0);
	else if (size > VFMIG_MAX_DMA_READ)
		err = bpf_vfmig_dma_read(dev, iova, buf, VFMIG_MAX_DMA_READ + 8);
	else
		err = bpf_vfmig_dma_read(dev, iova, buf, VFMIG_MAX_DMA_READ);
	acc->value = err;
	return 0;
}

static long wait_once(__u64 i, void *data)
{
	struct vfmig_dev *dev = *(struct vfmig_dev **)data;

	wait_err = bpf_vfmig_usleep(dev, 10000);
	if (wait_err)
		return 1;
	waits++;
	return 0;
}

SEC("struct_ops.s/set_state")
int BPF_PROG(wd_set_state, struct vfmig_dev *dev, __u32 from, __u32 to)
{
	__u64 t0;

	if (from != VFIO_DEVICE_STATE_RUNNING)
		return 0;
	zero_err = bpf_vfmig_usleep(dev, 0);
	long_err = bpf_vfmig_usleep(dev, VFMIG_MAX_USLEEP + 1);
	t0 = bpf_ktime_get_ns();
	/* Far more than the budget allows: the kfunc ends the loop. */
	bpf_loop(1 << 20, wait_once, &dev, 0);
	wait_ns = bpf_ktime_get_ns() - t0;
	return 0;
}

SEC("struct_ops.s/save")
int BPF_PROG(wd_save, struct vfmig_dev *dev, struct vfmig_stream *stream)
{
	return bpf_vfmig_stream_write(stream, &waits, sizeof(waits));
}

SEC("struct_ops.s/load")
int BPF_PROG(wd_load, struct vfmig_dev *dev, struct vfmig_stream *stream)
{
	__u64 v;

	return bpf_vfmig_stream_read(stream, &v, sizeof(v)) == sizeof(v) ? 0 : -EINVAL;
}

VFMIG_OPS(test_wait_dma,
	TEST_IDS,
	.version = 1,
	.init = (void *)wd_init,
	.region_read = (void *)wd_read,
	.region_write = (void *)wd_write,
	.set_state = (void *)wd_set_state,
	.save = (void *)wd_save,
	.load = (void *)wd_load,
);

char LICENSE[] SEC("license") = "GPL";
