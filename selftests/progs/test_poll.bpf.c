// SPDX-License-Identifier: GPL-2.0
/*
 * Test program for bpf_vfmig_bar_poll(), a declared wait budget and
 * bpf_vfmig_log(), on an edu device.
 *
 * Polls: leaving RUNNING, set_state() first calls the poll with hostile
 * arguments (each refused at once), then starts an edu DMA (src IOVA
 * 0x100000, 8 bytes into the device's buffer), which edu runs 100 ms
 * later, and polls its command register until the run bit clears; then
 * polls the identification register for a value it never has, for
 * 50 ms; then for as long as a u32 says, which the program's 400 ms
 * budget (.wait_budget_ms, not the 1 s default) cuts short.  Results and
 * times go to .bss.
 *
 * Logs: init() logs once; an 8-byte read of BAR 0 0x100 (a register edu
 * does not have, trapped by a non-sleepable hook) logs log_count numbered
 * messages and returns the count; set_state() logs 200 bytes with no NUL
 * and bytes that are not printable.
 */
#include "vfmig.bpf.h"
#include "test_ids.h"

#define LOG_REG		0x100
#define EDU_IDENT	0x00
#define EDU_DMA_SRC	0x80
#define EDU_DMA_DST	0x88
#define EDU_DMA_CNT	0x90
#define EDU_DMA_CMD	0x98
#define EDU_DMA_RUN	0x1
#define EDU_DMA_BUF	0x40000

/* Results of the hostile calls, in order (see t_bar_poll). */
int hostile[8];
/* The DMA: run bit right after the start; poll result, time, last value. */
__u64 started, done_ns;
int done_err;
__u32 done_last;
/* 50 ms on a value the register never has. */
__u64 short_ns;
int short_err;
__u32 short_last, short_seen;
/* A u32 timeout, cut by the budget; the whole set_state. */
__u64 long_ns, total_ns;
int long_err;
/* Log: messages asked for from the hook, and the results. */
volatile __u32 log_count;
__u32 logged;
int log_err;

SEC("struct_ops.s/init")
int BPF_PROG(tp_init, struct vfmig_dev *dev)
{
	VFMIG_LOG(dev, "init on %s", dev->bdf);
	return bpf_vfmig_trap_window(dev, 0, LOG_REG, 8);
}

static long log_one(__u64 i, void *data)
{
	struct vfmig_dev *dev = *(struct vfmig_dev **)data;

	log_err |= VFMIG_LOG(dev, "msg %llu", i);
	logged++;
	return 0;
}

SEC("struct_ops/region_read")
int BPF_PROG(tp_read, struct vfmig_dev *dev, struct vfmig_access *acc)
{
	bpf_loop(log_count, log_one, &dev, 0);
	acc->value = logged;
	return 0;
}

static int poll(struct vfmig_dev *dev, __u32 bar, __u64 off, __u32 mask,
		__u32 value, __u32 timeout_us, struct vfmig_poll *p)
{
	p->mask = mask;
	p->value = value;
	p->timeout_us = timeout_us;
	return bpf_vfmig_bar_poll(dev, bar, off, p);
}

SEC("struct_ops.s/set_state")
int BPF_PROG(tp_set_state, struct vfmig_dev *dev, __u32 from, __u32 to)
{
	struct vfmig_poll p = {};
	char junk[200];
	__u64 t0, t;
	__u64 v = 0;
	int i;

	if (from != VFIO_DEVICE_STATE_RUNNING)
		return 0;
	t0 = bpf_ktime_get_ns();

	hostile[0] = poll(dev, 0, 0x100000, ~0U, 0, 1000, &p);	/* past BAR0 */
	hostile[1] = poll(dev, 0, 2, ~0U, 0, 1000, &p);		/* unaligned */
	hostile[2] = poll(dev, 0, ~3ULL, ~0U, 0, 1000, &p);	/* wraps */
	hostile[3] = poll(dev, 6, 0, ~0U, 0, 1000, &p);		/* no BAR 6 */
	hostile[4] = poll(dev, ~0U, 0, ~0U, 0, 1000, &p);
	hostile[5] = poll(dev, 1, 0, ~0U, 0, 1000, &p);		/* BAR 1 empty */
	hostile[6] = poll(dev, 0, 0, 0xff, 0x100, 1000, &p);	/* value > mask */
	hostile[7] = poll(dev, 0, EDU_IDENT, 0, 0, 0, &p);	/* always true */

	bpf_vfmig_bar_write(dev, 0, EDU_DMA_SRC, 8, 0x100000);
	bpf_vfmig_bar_write(dev, 0, EDU_DMA_DST, 8, EDU_DMA_BUF);
	bpf_vfmig_bar_write(dev, 0, EDU_DMA_CNT, 8, 8);
	bpf_vfmig_bar_write(dev, 0, EDU_DMA_CMD, 8, EDU_DMA_RUN);
	bpf_vfmig_bar_read(dev, 0, EDU_DMA_CMD, 8, &v);
	started = v & EDU_DMA_RUN;
	t = bpf_ktime_get_ns();
	done_err = poll(dev, 0, EDU_DMA_CMD, EDU_DMA_RUN, 0, 2000000, &p);
	done_ns = bpf_ktime_get_ns() - t;
	done_last = p.last;

	t = bpf_ktime_get_ns();
	short_err = poll(dev, 0, EDU_IDENT, ~0U, 0x12345678, 50000, &p);
	short_ns = bpf_ktime_get_ns() - t;
	short_last = p.last;
	short_seen = p.seen;

	t = bpf_ktime_get_ns();
	long_err = poll(dev, 0, EDU_IDENT, ~0U, 0x12345678, ~0U, &p);
	long_ns = bpf_ktime_get_ns() - t;
	total_ns = bpf_ktime_get_ns() - t0;

	for (i = 0; i < sizeof(junk); i++)
		junk[i] = i == 3 ? '\n' : i == 4 ? 1 : 'A';
	bpf_vfmig_log(dev, junk, sizeof(junk));
	return 0;
}

SEC("struct_ops.s/save")
int BPF_PROG(tp_save, struct vfmig_dev *dev, struct vfmig_stream *stream)
{
	return bpf_vfmig_stream_write(stream, &done_ns, sizeof(done_ns));
}

SEC("struct_ops.s/load")
int BPF_PROG(tp_load, struct vfmig_dev *dev, struct vfmig_stream *stream)
{
	__u64 v;

	return bpf_vfmig_stream_read(stream, &v, sizeof(v)) == sizeof(v) ? 0 : -EINVAL;
}

VFMIG_OPS(test_poll,
	TEST_IDS,
	.version = 1,
	.wait_budget_ms = 400,
	.init = (void *)tp_init,
	.region_read = (void *)tp_read,
	.set_state = (void *)tp_set_state,
	.save = (void *)tp_save,
	.load = (void *)tp_load,
);

char LICENSE[] SEC("license") = "GPL";
