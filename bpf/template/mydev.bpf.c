// SPDX-License-Identifier: GPL-2.0
/*
 * A vfmig vendor program to start from: copy this directory, put in your
 * device's ids and registers, fill in the callbacks, run make.  As shipped
 * it serves QEMU's edu device (1234:11e8), so it can be tried at once:
 *
 *	make && vfmig-load inspect mydev.bpf.o
 *	vfmig-load mydev.bpf.o --bdf 0000:00:10.0 --bind
 *
 * Each attach loads its own copy of this object: globals are per device.
 */
#include "vfmig.bpf.h"

/* The devices served; the kernel refuses to attach to any other. */
#ifndef VENDOR_ID
#define VENDOR_ID	0x1234
#endif
#ifndef DEVICE_ID
#define DEVICE_ID	0x11e8
#endif

#define BAR		0
/* A register to carry across migration: edu's liveness check, which
 * reads back the inverse of the last value written.
 */
#define REG		0x04

/*
 * The migration payload.  Change the layout: raise .version below, and
 * keep load() reading the versions from .min_version up (stream->version).
 */
struct mydev_state {
	__u32 reg;
	__u32 pad;
};

/* Guest writes to REG the program saw: this device's copy. */
__u64 writes;

/* Declare what to trap (and vendor regions) here, and only here. */
SEC("struct_ops.s/init")
int BPF_PROG(mydev_init, struct vfmig_dev *dev)
{
	return bpf_vfmig_trap_window(dev, BAR, REG, 4);
}

/* Never sleeps: runs in the guest's MMIO path. */
SEC("struct_ops/region_write")
int BPF_PROG(mydev_write, struct vfmig_dev *dev, struct vfmig_access *acc)
{
	writes++;
	return VFMIG_PASS;	/* vfio-pci performs the write */
}

/* Quiesce the device when leaving RUNNING; resume when returning. */
SEC("struct_ops.s/set_state")
int BPF_PROG(mydev_set_state, struct vfmig_dev *dev, __u32 from, __u32 to)
{
	return 0;
}

SEC("struct_ops.s/save")
int BPF_PROG(mydev_save, struct vfmig_dev *dev, struct vfmig_stream *stream)
{
	struct mydev_state st = {};
	__u64 v = 0;
	int err;

	err = bpf_vfmig_bar_read(dev, BAR, REG, 4, &v);
	if (err)
		return err;
	st.reg = v;
	return bpf_vfmig_stream_write(stream, &st, sizeof(st));
}

SEC("struct_ops.s/load")
int BPF_PROG(mydev_load, struct vfmig_dev *dev, struct vfmig_stream *stream)
{
	struct mydev_state st = {};

	/* Only version 1 exists yet: the kernel checked the range. */
	if (bpf_vfmig_stream_read(stream, &st, sizeof(st)) != sizeof(st) ||
	    stream->pos != stream->length)
		return -EINVAL;
	return bpf_vfmig_bar_write(dev, BAR, REG, 4, ~st.reg);
}

SEC("struct_ops/state_size")
__u64 BPF_PROG(mydev_state_size, struct vfmig_dev *dev)
{
	return sizeof(struct mydev_state);
}

VFMIG_OPS(mydev,
	.ids = { VFMIG_PCI_DEVICE(VENDOR_ID, DEVICE_ID) },
	.version = 1,
	.min_version = 1,
	.init = (void *)mydev_init,
	.region_write = (void *)mydev_write,
	.set_state = (void *)mydev_set_state,
	.save = (void *)mydev_save,
	.load = (void *)mydev_load,
	.state_size = (void *)mydev_state_size,
);

char LICENSE[] SEC("license") = "GPL";
