/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What a vfmig vendor program includes.
 *
 *	#include "vfmig.bpf.h"
 *
 *	SEC("struct_ops/region_read")
 *	int BPF_PROG(my_read, struct vfmig_dev *dev, struct vfmig_access *acc)
 *	{
 *		acc->value = 42;
 *		return 0;		// handled: the caller reads 42
 *	}
 *
 *	VFMIG_OPS(my_device, .region_read = (void *)my_read);
 *
 * The structures (struct vfmig_ops, vfmig_dev, vfmig_access) come from
 * vmlinux.h, which the build generates from the kernel's and vfmig.ko's
 * BTF; the constants come from vfmig.h.
 */
#ifndef _VFMIG_BPF_H
#define _VFMIG_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <asm-generic/errno.h>	/* -EPERM and friends for returns */

#include "vfmig.h"

/*
 * The vfmig ABI the program needs (vfmig_ops.abi): by default that of the
 * headers it is built with.  A program that uses nothing newer may
 * define VFMIG_PROGRAM_ABI lower before including this file, to attach
 * to older modules too.
 */
#ifndef VFMIG_PROGRAM_ABI
#define VFMIG_PROGRAM_ABI	VFMIG_ABI_VERSION
#endif

/*
 * The ops map: one per program object.  vfmig-load writes the target
 * device into .bdf before loading, so the object names no device.
 */
#define VFMIG_OPS(_name, ...)						\
	SEC(".struct_ops.link") struct vfmig_ops _name = {		\
		.name = #_name,						\
		.abi = VFMIG_PROGRAM_ABI,				\
		__VA_ARGS__						\
	}

/*
 * Migration callbacks return 0 or -errno (the device goes to ERROR: in
 * doubt, the VMM resets it).  On the arcs that begin or end a data session
 * they may refuse instead, having changed nothing, and the device stays
 * where it was (see VFMIG_REFUSE in vfmig.h):
 *
 *	if (from == VFIO_DEVICE_STATE_RUNNING &&
 *	    to == VFIO_DEVICE_STATE_PRE_COPY && !room_for_tracking(dev))
 *		return VFMIG_REFUSE(ENOSPC);	// QEMU: migration fails,
 *						// guest and device run on
 */

/*
 * compat(): a destination that takes streams of its OEM variants.  Called
 * before load() with the saving device's ids and program; return
 * VFMIG_COMPATIBLE to take the stream, 0 for the default (ids equal to
 * this device's), a negative errno to refuse it (the device stays in
 * RESUMING, sysfs last_error names the origin):
 *
 *	SEC("struct_ops.s/compat")
 *	int BPF_PROG(my_compat, struct vfmig_dev *dev, struct vfmig_origin *src)
 *	{
 *		if (!src)	// never: for the 6.12 verifier, see below
 *			return -EINVAL;
 *		if (src->vendor == 0x8086 && src->device == 0x10ca &&
 *		    src->subsystem_vendor == 0x8086)
 *			return VFMIG_COMPATIBLE;	// any Intel SKU of it
 *		return 0;
 *	}
 *
 * Debian's 6.12 verifier (btf_ctx_access()) takes a struct_ops callback
 * whose member index is 23, as compat's is, for a raw tracepoint of a
 * module, and marks its pointer arguments maybe-NULL: test @src before
 * reading it (the kernel never passes NULL).
 */

/*
 * Entries of vfmig_ops.ids, the PCI functions a program serves (the kernel
 * refuses any other), as the kernel's PCI_DEVICE() and friends:
 *
 *	VFMIG_OPS(my_vf, .ids = { VFMIG_PCI_DEVICE(0x8086, 0x10ca) }, ...);
 */
#define VFMIG_PCI_DEVICE_SUB(_vendor, _device, _subvendor, _subdevice)	\
	{ .vendor = (_vendor), .device = (_device),			\
	  .subvendor = (_subvendor), .subdevice = (_subdevice) }
#define VFMIG_PCI_DEVICE(_vendor, _device)				\
	VFMIG_PCI_DEVICE_SUB(_vendor, _device, VFMIG_ANY_ID, VFMIG_ANY_ID)
#define VFMIG_PCI_DEVICE_CLASS(_class, _mask)				\
	{ .vendor = VFMIG_ANY_ID, .device = VFMIG_ANY_ID,		\
	  .subvendor = VFMIG_ANY_ID, .subdevice = VFMIG_ANY_ID,		\
	  .class = (_class), .class_mask = (_mask) }

/* Register access to the device the program serves (see kernel/kfuncs.c). */
extern int bpf_vfmig_bar_read(struct vfmig_dev *dev, __u32 bar, __u64 offset,
			      __u32 size, __u64 *value) __ksym;
extern int bpf_vfmig_bar_write(struct vfmig_dev *dev, __u32 bar, __u64 offset,
			       __u32 size, __u64 value) __ksym;
extern int bpf_vfmig_config_read(struct vfmig_dev *dev, __u32 offset,
				 __u32 size, __u64 *value) __ksym;
extern int bpf_vfmig_config_write(struct vfmig_dev *dev, __u32 offset,
				  __u32 size, __u64 value) __ksym;

/* From init() only: see accesses to [offset, offset + size) of a region. */
extern int bpf_vfmig_trap_window(struct vfmig_dev *dev, __u32 index,
				 __u64 offset, __u64 size) __ksym;

/*
 * From init() only: a VFIO region of the device's own, served by the region
 * hooks at index VFMIG_VENDOR_REGION(return value).
 */
extern int bpf_vfmig_region_add(struct vfmig_dev *dev, __u32 subtype,
				__u64 size, __u32 flags) __ksym;

/*
 * Migration streams, from the sleepable save() and load() only.  The module
 * frames, checksums and validates the stream; the payload is the program's.
 */
extern int bpf_vfmig_stream_write(struct vfmig_stream *stream,
				  const void *data, __u32 data__sz) __ksym;
extern int bpf_vfmig_stream_read(struct vfmig_stream *stream, void *data,
				 __u32 data__sz) __ksym;
extern int bpf_vfmig_stream_write_bar(struct vfmig_dev *dev,
				      struct vfmig_stream *stream, __u32 bar,
				      __u64 offset, __u64 len) __ksym;

/*
 * DMA logging: the device writes [iova, + len).  Lock-free, from any
 * callback; ignored outside the logged ranges (see kernel/kfuncs.c).
 */
extern int bpf_vfmig_mark_dirty(struct vfmig_dev *dev, __u64 iova,
				__u64 len) __ksym;

/*
 * Memory as the device sees it, by IOVA (descriptor rings, say), through
 * the VFIO core's access path for the device's user, any page size: from
 * sleepable callbacks only (a region hook that needs it is declared
 * SEC("struct_ops.s/region_write")), at most VFMIG_MAX_DMA_READ bytes;
 * -EFAULT where unmapped.  A read that fails is data the program does not
 * have: report it (a failed dirty report), never guess.
 */
extern int bpf_vfmig_dma_read(struct vfmig_dev *dev, __u64 iova, void *buf,
			      __u32 buf__sz) __ksym;

/*
 * Wait for the device from a sleepable callback: up to VFMIG_MAX_USLEEP
 * us a call, the program's wait_budget_ms (VFMIG_WAIT_BUDGET_MS_DEFAULT
 * unless it declares one) a callback, then -ETIMEDOUT.
 */
extern int bpf_vfmig_usleep(struct vfmig_dev *dev, __u32 usecs) __ksym;

/*
 * Wait, from a sleepable callback, until (the 32-bit register at @offset
 * of @bar & poll->mask) == poll->value, for poll->timeout_us at most and
 * within the same budget: 0, or -ETIMEDOUT; poll->last is the last value
 * read, poll->seen the OR of all (for bits that clear when read).
 *
 *	struct vfmig_poll p = { .mask = RST, .value = 0, .timeout_us = 10000 };
 *	err = bpf_vfmig_bar_poll(dev, 0, CTRL, &p);
 */
extern int bpf_vfmig_bar_poll(struct vfmig_dev *dev, __u32 bar, __u64 offset,
			      struct vfmig_poll *poll) __ksym;

/*
 * Hold the user's trapped accesses off while a sleepable callback
 * quiesces the device (set_state, save, load): those in flight finish
 * first, new ones wait, and go on at bpf_vfmig_release_accesses(), at
 * the callback's return, or once its wait budget is spent, whichever
 * comes first (and on a detach or reset).  Accesses through a mapped BAR
 * page are never held: trap what must be held.  0, or -errno (nothing
 * held): see kernel/kfuncs.c.
 *
 *	err = bpf_vfmig_hold_accesses(dev);
 *	... disable the queues; their doorbells are trapped ...
 *	bpf_vfmig_release_accesses(dev);
 */
extern int bpf_vfmig_hold_accesses(struct vfmig_dev *dev) __ksym;
extern int bpf_vfmig_release_accesses(struct vfmig_dev *dev) __ksym;

/*
 * A message for the operator, from any callback: kept in the device's last
 * VFMIG_LOG_RING (sysfs vfmig/messages, vfmig-load status) and, rate
 * limited, in the kernel log under the device's name.  VFMIG_LOG() formats
 * it as bpf_printk() does:
 *
 *	VFMIG_LOG(dev, "queue %d did not stop: %x", q, p.last);
 *
 * bpf_printk() stays the tool for development (the trace pipe, no limit).
 */
extern int bpf_vfmig_log(struct vfmig_dev *dev, const char *msg,
			 __u32 msg__sz) __ksym;

#define VFMIG_LOG(dev, fmt, args...)					\
({									\
	char ___vfmig_msg[VFMIG_LOG_LEN];				\
									\
	BPF_SNPRINTF(___vfmig_msg, sizeof(___vfmig_msg), fmt, ##args);	\
	bpf_vfmig_log(dev, ___vfmig_msg, sizeof(___vfmig_msg));		\
})

/*
 * The PF channel (ABI 3): call an operation the VF's PF offers (its
 * driver, or a provider module beside it) for this VF, from a sleepable
 * callback.  The kernel finds the PF and the VF's index; the program names
 * neither.  The first arg_size bytes of buf are the argument (exactly the
 * size the operation declares); the result replaces them, and the call
 * returns its length, or -errno (see kernel/pf_channel.c).  buf__sz must
 * hold both, at most VFMIG_PF_MAX_SIZE.
 *
 *	struct vfmig_igb_pf_view v = {};	// arg: 4 bytes of flags, 0
 *	n = bpf_vfmig_pf_call(dev, VFMIG_IGB_PF_VIEW, &v, sizeof(v), 4);
 *
 * dev->vf_index and dev->pf_bdf say which VF of which PF the device is.
 */
extern int bpf_vfmig_pf_call(struct vfmig_dev *dev, __u32 op, void *buf,
			     __u32 buf__sz, __u32 arg_size) __ksym;

/* Give up on the device: hooks stop, migration fails, the reason is kept. */
extern void bpf_vfmig_error(struct vfmig_dev *dev, __s32 err) __ksym;

#endif /* _VFMIG_BPF_H */
