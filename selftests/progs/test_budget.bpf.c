// SPDX-License-Identifier: GPL-2.0
/*
 * Test program for the bpf_vfmig_usleep() budget of each callback
 * invocation, on an edu device.
 *
 * save() waits 10 ms at a time until the kfunc refuses, and records in
 * .bss how many waits it got, how long it took and the refusal.
 * log_report() (a hardware tracker that reports nothing) counts its calls
 * and waits 1 ms: a report running during the save must neither lengthen
 * the save's budget nor take it over.
 */
#include "vfmig.bpf.h"
#include "test_ids.h"

__u64 save_waits, save_ns, reports, report_waits;
int save_err;

static long wait_once(__u64 i, void *data)
{
	struct vfmig_dev *dev = *(struct vfmig_dev **)data;

	save_err = bpf_vfmig_usleep(dev, 10000);
	if (save_err)
		return 1;
	save_waits++;
	return 0;
}

SEC("struct_ops.s/set_state")
int BPF_PROG(bu_set_state, struct vfmig_dev *dev, __u32 from, __u32 to)
{
	return 0;
}

SEC("struct_ops.s/save")
int BPF_PROG(bu_save, struct vfmig_dev *dev, struct vfmig_stream *stream)
{
	__u64 t0 = bpf_ktime_get_ns();

	/* Far more than the budget allows: the kfunc ends the loop. */
	bpf_loop(1 << 20, wait_once, &dev, 0);
	save_ns = bpf_ktime_get_ns() - t0;
	return bpf_vfmig_stream_write(stream, &save_waits, sizeof(save_waits));
}

SEC("struct_ops.s/load")
int BPF_PROG(bu_load, struct vfmig_dev *dev, struct vfmig_stream *stream)
{
	__u64 v;

	return bpf_vfmig_stream_read(stream, &v, sizeof(v)) == sizeof(v) ? 0 : -EINVAL;
}

SEC("struct_ops.s/log_report")
int BPF_PROG(bu_log_report, struct vfmig_dev *dev, __u64 iova, __u64 length)
{
	reports++;
	if (!bpf_vfmig_usleep(dev, 1000))
		report_waits++;
	return 0;
}

VFMIG_OPS(test_budget,
	TEST_IDS,
	.version = 1,
	.flags = VFMIG_F_DIRTY_LOG,
	.set_state = (void *)bu_set_state,
	.save = (void *)bu_save,
	.load = (void *)bu_load,
	.log_report = (void *)bu_log_report,
);

char LICENSE[] SEC("license") = "GPL";
