/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * vfmig ABI shared by the kernel module, BPF programs and user tools.
 *
 * Only constants live here: the structures a program sees (struct vfmig_ops,
 * struct vfmig_dev, struct vfmig_access) come from the module's BTF through
 * the generated vmlinux.h, so defining them twice would clash.
 */
#ifndef _VFMIG_H
#define _VFMIG_H

/* The release: module, tools and packages (make reads it from here). */
#define VFMIG_VERSION		"0.3.0"

/* Hook return value: let vfio-pci perform the access as if unhooked. */
#define VFMIG_PASS		1

/*
 * The kfunc and callback ABI of vfmig.ko, which it shows in
 * /sys/module/vfmig/parameters/abi_version (a module without that file is
 * ABI 1).  It grows by one whenever kfuncs, callbacks or data members are
 * added; nothing is removed.  A program declares the ABI it needs in
 * vfmig_ops.abi (VFMIG_OPS() sets the ABI of the headers it was built
 * with); vfmig-load refuses, before the verifier runs, to attach it to a
 * module of an older ABI.  2 (everything since the module first showed
 * none): vfmig_ops.wait_budget_ms, .abi and compat(), VFMIG_REFUSE(), and
 * the kfuncs bpf_vfmig_bar_poll(), bpf_vfmig_log(),
 * bpf_vfmig_hold_accesses() and bpf_vfmig_release_accesses().  3: the PF
 * channel, bpf_vfmig_pf_call(), and vfmig_dev.vf_index and .pf_bdf.  4:
 * prepare(), pre-copy units handed to the destination as they arrive.
 */
#define VFMIG_ABI_VERSION	4
#define VFMIG_ABI_PARAM		"module/vfmig/parameters/abi_version"

/*
 * compat() return value: "I take streams saved by that device and
 * program", whatever their PCI ids.  0 keeps the default (the ids must be
 * the receiving device's); a negative errno refuses the stream.
 */
#define VFMIG_COMPATIBLE	1

/* Sizes of the data members of struct vfmig_ops. */
#define VFMIG_BDF_LEN		16	/* "DDDD:BB:DD.F" and its NUL */
#define VFMIG_NAME_LEN		32

/* vfmig_ops.flags: optional VFIO migration states a program supports. */
#define VFMIG_F_P2P		0x1	/* RUNNING_P2P (set_state handles it) */
#define VFMIG_F_PRE_COPY	0x2	/* PRE_COPY: save() gives an initial part */
/* The program logs the device's DMA writes (bpf_vfmig_mark_dirty, log_*). */
#define VFMIG_F_DIRTY_LOG	0x4

/* vfmig_stream.phase for save() */
#define VFMIG_SAVE_FINAL	1	/* the device is stopped: everything */
#define VFMIG_SAVE_PRECOPY	2	/* the device runs: the initial part */

/*
 * Names of the VFIO migration states (enum vfio_device_mig_state of
 * <linux/vfio.h>) as sysfs and the tools show them, for an array
 * initialiser: static const char *const names[] = VFMIG_MIG_STATE_NAMES;
 */
#define VFMIG_MIG_STATE_NAMES {						\
	[VFIO_DEVICE_STATE_ERROR] = "error",				\
	[VFIO_DEVICE_STATE_STOP] = "stop",				\
	[VFIO_DEVICE_STATE_RUNNING] = "running",			\
	[VFIO_DEVICE_STATE_STOP_COPY] = "stop-copy",			\
	[VFIO_DEVICE_STATE_RESUMING] = "resuming",			\
	[VFIO_DEVICE_STATE_RUNNING_P2P] = "running-p2p",		\
	[VFIO_DEVICE_STATE_PRE_COPY] = "pre-copy",			\
	[VFIO_DEVICE_STATE_PRE_COPY_P2P] = "pre-copy-p2p",		\
}

/*
 * The errnos a callback may return: the ones user space knows.  Kernel-
 * internal codes (ERESTARTSYS = 512 and up) and anything else are a broken
 * contract, which stops the program.
 */
#define VFMIG_MAX_PROG_ERRNO	511

/*
 * A migration callback's refusal: "not this arc, and I changed nothing".
 * Return VFMIG_REFUSE(ENOSPC) (a positive errno, 1 to VFMIG_MAX_PROG_ERRNO)
 * from set_state, save or load on an arc that may be refused (RUNNING ->
 * PRE_COPY, RUNNING_P2P -> PRE_COPY_P2P, STOP -> STOP_COPY, STOP ->
 * RESUMING, RESUMING -> STOP): the request fails with that errno and the
 * device stays in the state the arc began in, not ERROR, so the VMM keeps
 * the device and its guest as they were.  Anywhere else, or with an errno
 * out of range, it is a value outside the contract, which stops the
 * program.  The values, -4097 to -4607, are no errno.
 */
#define VFMIG_REFUSED		4096
#define VFMIG_REFUSE(err)	(-(VFMIG_REFUSED + (err)))

/*
 * Waits (bpf_vfmig_usleep(), bpf_vfmig_bar_poll()): at most
 * VFMIG_MAX_USLEEP microseconds a usleep call, and, in one invocation of a
 * sleepable callback, the program's vfmig_ops.wait_budget_ms of waiting
 * in all: VFMIG_WAIT_BUDGET_MS_DEFAULT when it declares 0, never more than
 * VFMIG_WAIT_BUDGET_MS_MAX (an attach declaring more is refused).  The
 * ceiling is how long one callback may hold the VFIO migration ioctl that
 * called it and the device's state mutex: a device reset, a close and the
 * VMM's next migration step wait that long at most (a detach ends the
 * waits at once).
 */
#define VFMIG_MAX_USLEEP		10000
#define VFMIG_WAIT_BUDGET_MS_DEFAULT	1000
#define VFMIG_WAIT_BUDGET_MS_MAX	10000
#define VFMIG_MAX_WAIT_MS		VFMIG_WAIT_BUDGET_MS_DEFAULT /* old name */

/*
 * bpf_vfmig_log(): messages are cut at VFMIG_LOG_LEN - 1 bytes; the module
 * keeps each device's last VFMIG_LOG_RING messages (sysfs vfmig/messages)
 * and lets VFMIG_LOG_BURST of them a device into the kernel log every
 * VFMIG_LOG_INTERVAL_MS.
 */
#define VFMIG_LOG_LEN			128
#define VFMIG_LOG_RING			16
#define VFMIG_LOG_BURST			10
#define VFMIG_LOG_INTERVAL_MS		5000

/* vfmig_dev.vf_index of a device that is no SR-IOV VF. */
#define VFMIG_NO_VF		(~0U)

/*
 * The PF channel (bpf_vfmig_pf_call(), Documentation/pf-channel.md): an
 * operation's argument and result hold at most VFMIG_PF_MAX_SIZE bytes,
 * and it declares a duration of at most VFMIG_PF_MAX_OP_US, which vfmig
 * measures.
 */
#define VFMIG_PF_MAX_SIZE	4096
#define VFMIG_PF_MAX_OP_US	100000

/* bpf_vfmig_dma_read(): most bytes one call copies. */
#define VFMIG_MAX_DMA_READ	65536

/* Most trap windows one program may declare on one device. */
#define VFMIG_MAX_TRAPS		16

/*
 * vfmig_ops.ids: up to VFMIG_MAX_IDS entries, as struct pci_device_id;
 * VFMIG_ANY_ID matches any value of a field.
 */
#define VFMIG_MAX_IDS		8
#define VFMIG_ANY_ID		(~0U)

/*
 * Vendor regions a program declares from init() with
 * bpf_vfmig_region_add(): at most VFMIG_MAX_REGIONS, each up to
 * VFMIG_MAX_REGION_SIZE bytes, readable and/or writable by the user.  The
 * region hooks see region n as index VFMIG_VENDOR_REGION(n), whatever
 * VFIO index the user finds it at (VFIO_REGION_TYPE_PCI_VENDOR_TYPE |
 * the device's vendor id, the program's subtype).
 */
#define VFMIG_MAX_REGIONS	4
#define VFMIG_MAX_REGION_SIZE	(1ULL << 30)
#define VFMIG_REGION_READ	0x1	/* = VFIO_REGION_INFO_FLAG_READ */
#define VFMIG_REGION_WRITE	0x2	/* = VFIO_REGION_INFO_FLAG_WRITE */
#define VFMIG_VENDOR_REGION_BASE	0x100
#define VFMIG_VENDOR_REGION(n)	(VFMIG_VENDOR_REGION_BASE + (n))

/* The VFIO region index of PCI config space, trappable like a BAR. */
#define VFMIG_CONFIG_REGION	7

/* Names user tools rely on. */
#define VFMIG_MODULE_NAME	"vfmig"
#define VFMIG_DRIVER_NAME	"vfmig-pci"
#define VFMIG_OPS_TYPE		"vfmig_ops"
#define VFMIG_SYSFS_GROUP	"vfmig"	/* /sys/bus/pci/devices/BDF/vfmig/ */
#define VFMIG_PIN_ROOT		"/sys/fs/bpf/vfmig"

#endif /* _VFMIG_H */
