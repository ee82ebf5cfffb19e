// SPDX-License-Identifier: GPL-2.0
/*
 * Test program for bpf_vfmig_hold_accesses() on an edu device, with
 * selftests/vfio-ops' stress-start hammering BAR 0 (0x0, 0x4, 0x8, 0x80)
 * from user space meanwhile.
 *
 * BAR 0 0x0-0xff is trapped; the hooks pass every access and count it in
 * the bucket of the current phase.  RUNNING -> STOP's set_state holds the
 * accesses, waits 200 ms (phase 1: the hooks must see none), then by
 * .mode:
 *   0: releases, and waits 100 ms more (phase 2: the hammer goes on);
 *   1: never releases: waits until its budget is spent (phase 4, not
 *      counted), then spins reading the device until a hook sees an
 *      access (phase 3): the hold ended by itself at the budget while the
 *      callback still ran;
 *   2: the same, but the wait ends when the program is detached.
 * STOP -> RESUMING is refused (VFMIG_REFUSE(ENOSPC)), for the
 * tracepoint test.
 */
#include "vfmig.bpf.h"
#include "test_ids.h"

#define HOLD_WIN	0x100

volatile __u32 mode;
volatile __u32 phase;
__u64 seen[5];			/* accesses the hooks saw, by phase */
int hold_err, again_err, release_err, release_again_err, sleep_err;
__u64 spins, hold_ns, late_ns;

static __u64 t0;

SEC("struct_ops.s/init")
int BPF_PROG(th_init, struct vfmig_dev *dev)
{
	return bpf_vfmig_trap_window(dev, 0, 0, HOLD_WIN);
}

static int count(void)
{
	__u32 p = phase;

	if (p < 5)
		__sync_fetch_and_add(&seen[p], 1);
	return VFMIG_PASS;
}

SEC("struct_ops/region_read")
int BPF_PROG(th_read, struct vfmig_dev *dev, struct vfmig_access *acc)
{
	return count();
}

SEC("struct_ops/region_write")
int BPF_PROG(th_write, struct vfmig_dev *dev, struct vfmig_access *acc)
{
	return count();
}

static long spin(__u64 i, void *data)
{
	struct vfmig_dev *dev = *(struct vfmig_dev **)data;
	__u64 v = 0;

	spins++;
	bpf_vfmig_bar_read(dev, 0, 0x1000, 4, &v);	/* not trapped */
	return seen[3] ? 1 : 0;
}

SEC("struct_ops.s/set_state")
int BPF_PROG(th_set_state, struct vfmig_dev *dev, __u32 from, __u32 to)
{
	int i;

	if (from == VFIO_DEVICE_STATE_STOP && to == VFIO_DEVICE_STATE_RESUMING)
		return VFMIG_REFUSE(ENOSPC);
	if (from != VFIO_DEVICE_STATE_RUNNING || to != VFIO_DEVICE_STATE_STOP)
		return 0;

	t0 = bpf_ktime_get_ns();
	hold_err = bpf_vfmig_hold_accesses(dev);
	again_err = bpf_vfmig_hold_accesses(dev);	/* held already: 0 */
	phase = 1;
	for (i = 0; i < 20; i++)
		if (bpf_vfmig_usleep(dev, 10000))
			break;
	if (mode == 0) {
		phase = 2;
		release_err = bpf_vfmig_release_accesses(dev);
		release_again_err = bpf_vfmig_release_accesses(dev);
		for (i = 0; i < 10; i++)
			bpf_vfmig_usleep(dev, 10000);
		hold_ns = bpf_ktime_get_ns() - t0;
		return 0;
	}
	phase = 4;
	for (i = 0; i < 1000; i++) {
		sleep_err = bpf_vfmig_usleep(dev, 10000);
		if (sleep_err)
			break;
	}
	hold_ns = bpf_ktime_get_ns() - t0;
	phase = 3;
	bpf_loop(1 << 22, spin, &dev, 0);
	late_ns = bpf_ktime_get_ns() - t0;
	phase = 0;
	return 0;
}

SEC("struct_ops.s/save")
int BPF_PROG(th_save, struct vfmig_dev *dev, struct vfmig_stream *stream)
{
	return bpf_vfmig_stream_write(stream, &spins, sizeof(spins));
}

SEC("struct_ops.s/load")
int BPF_PROG(th_load, struct vfmig_dev *dev, struct vfmig_stream *stream)
{
	return 0;
}

VFMIG_OPS(test_hold,
	TEST_IDS,
	.version = 1,
	.wait_budget_ms = 600,
	.init = (void *)th_init,
	.region_read = (void *)th_read,
	.region_write = (void *)th_write,
	.set_state = (void *)th_set_state,
	.save = (void *)th_save,
	.load = (void *)th_load,
);

char LICENSE[] SEC("license") = "GPL";
