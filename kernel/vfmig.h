/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vfmig: a vfio-pci variant driver whose device-specific parts are BPF
 * struct_ops programs.  Internal declarations shared by the module's files.
 */
#ifndef _KERNEL_VFMIG_H
#define _KERNEL_VFMIG_H

#include <linux/atomic.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/rwsem.h>
#include <linux/srcu.h>
#include <linux/vfio_pci_core.h>

#include "../include/vfmig.h"

/**
 * struct vfmig_dev - the device as a BPF program sees it
 * @vendor: PCI vendor id
 * @device: PCI device id
 * @subsystem_vendor: PCI subsystem vendor id
 * @subsystem_device: PCI subsystem device id
 * @bdf: the device's PCI address, "DDDD:BB:DD.F"
 *
 * Read-only to programs; kfuncs take it to name the device they act on.
 */
struct vfmig_dev {
	u16 vendor;
	u16 device;
	u16 subsystem_vendor;
	u16 subsystem_device;
	char bdf[VFMIG_BDF_LEN];
};

/**
 * struct vfmig_access - one naturally aligned piece of a region access
 * @index: VFIO region index (BARs 0-5, VFMIG_CONFIG_REGION for config space)
 * @size: 1, 2, 4 or 8 bytes
 * @offset: offset of the piece in the region
 * @value: the value written, or the value to return from a handled read
 *
 * Programs may write @value only, and only matters for region_read.
 */
struct vfmig_access {
	u32 index;
	u32 size;
	u64 offset;
	u64 value;
};

/**
 * enum vfmig_exit_reason - why a program stopped serving a device
 * @VFMIG_EXIT_DETACH: the link was destroyed (vfmig-load unload)
 * @VFMIG_EXIT_REPLACED: another program took over through a link update
 * @VFMIG_EXIT_DEVICE_GONE: the device was unbound from vfmig-pci
 */
enum vfmig_exit_reason {
	VFMIG_EXIT_DETACH,
	VFMIG_EXIT_REPLACED,
	VFMIG_EXIT_DEVICE_GONE,
};

/**
 * struct vfmig_exit_info - what exit() is told
 * @reason: an &enum vfmig_exit_reason
 * @error: the error that ended the program, 0 if none
 */
struct vfmig_exit_info {
	u32 reason;
	s32 error;
};

/**
 * struct vfmig_ops - the BPF struct_ops a vendor program implements
 * @bdf: target device "DDDD:BB:DD.F", written by the loader before load
 * @name: program name shown in sysfs and by vfmig-load status
 * @flags: reserved, must be 0
 * @init: called once at attach, may declare trap windows
 * @exit: called once when the program stops serving the device
 * @region_read: a read inside a trap window; fill @acc->value
 * @region_write: a write inside a trap window
 *
 * Data members come first (the loader finds @bdf by name in BTF); new
 * callbacks are only ever appended.  Region hooks run under RCU and must
 * not sleep; they return 0 when they handled the access, %VFMIG_PASS to
 * let vfio-pci perform it, or a negative errno for the caller.
 */
struct vfmig_ops {
	char bdf[VFMIG_BDF_LEN];
	char name[VFMIG_NAME_LEN];
	u32 flags;
	int (*init)(struct vfmig_dev *dev);
	void (*exit)(struct vfmig_dev *dev, struct vfmig_exit_info *info);
	int (*region_read)(struct vfmig_dev *dev, struct vfmig_access *acc);
	int (*region_write)(struct vfmig_dev *dev, struct vfmig_access *acc);
};

/* A trapped range [start, end) of one region. */
struct vfmig_trap {
	u32 index;
	u64 start;
	u64 end;
};

/*
 * One program serving one device.  Published through
 * vfmig_device::binding; everything in it is fixed once published.
 */
struct vfmig_binding {
	struct vfmig_ops *ops;
	struct vfmig_device *mdev;
	struct list_head node;		/* in vfmig_bindings, under vfmig_lock */
	bool gone;			/* device removed: unreg is a no-op */
	unsigned int nr_traps;
	struct vfmig_trap traps[VFMIG_MAX_TRAPS];
};

/**
 * struct vfmig_device - a PCI function bound to vfmig-pci
 * @core: the vfio-pci core device this driver extends
 * @dev: what programs see
 * @node: entry in the global device list, under vfmig_lock
 * @lock: serialises attach, detach, replace and open/close
 * @binding: the attached program, RCU-published
 * @srcu: protects sleepable callbacks against detach
 * @trap_lock: makes a change of trap windows atomic against mmap faults
 * @pending: binding whose init() is running, for bpf_vfmig_trap_window()
 * @pending_task: the task running that init()
 * @barmap_ready: BARs are iomapped (device open), kfuncs may touch them
 * @removed: the device is being unbound, attach refused
 * @hooked: accesses a program handled
 * @passed: accesses a program passed to vfio-pci
 * @failed: accesses a program failed with an error
 */
struct vfmig_device {
	struct vfio_pci_core_device core;
	struct vfmig_dev dev;
	struct list_head node;
	struct mutex lock;
	struct vfmig_binding __rcu *binding;
	struct srcu_struct srcu;
	struct rw_semaphore trap_lock;
	struct vfmig_binding *pending;
	struct task_struct *pending_task;
	bool barmap_ready;
	bool removed;
	atomic64_t hooked;
	atomic64_t passed;
	atomic64_t failed;
};

static inline struct vfmig_device *to_vfmig(struct vfio_device *vdev)
{
	return container_of(vdev, struct vfmig_device, core.vdev);
}

static inline struct vfmig_device *dev_to_vfmig(struct vfmig_dev *dev)
{
	return container_of(dev, struct vfmig_device, dev);
}

/* main.c: device registry */
extern struct mutex vfmig_lock;
struct vfmig_device *vfmig_find_device(const char *bdf);

/* vfio_dev.c */
extern const struct vfio_device_ops vfmig_vfio_ops;

/* struct_ops.c */
int vfmig_struct_ops_register(void);
void vfmig_device_detach_all(struct vfmig_device *mdev);

struct bpf_prog;

/* kfuncs.c */
int vfmig_kfuncs_register(void);
bool vfmig_is_vfmig_prog(const struct bpf_prog *prog);

/* traps.c */
const struct vfmig_trap *vfmig_trap_find(const struct vfmig_binding *b,
					 u32 index, u64 pos, u64 *next);
bool vfmig_traps_overlap(const struct vfmig_binding *b, u32 index,
			 u64 start, u64 end);
int vfmig_trap_add(struct vfmig_device *mdev, struct vfmig_binding *b,
		   u32 index, u64 offset, u64 size);
void vfmig_traps_changed(struct vfmig_device *mdev);
long vfmig_region_info(struct vfmig_device *mdev, void __user *arg);
int vfmig_mmap(struct vfmig_device *mdev, struct vm_area_struct *vma);

/* sysfs.c */
extern const struct attribute_group *vfmig_dev_groups[];

#endif /* _KERNEL_VFMIG_H */
