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
#include <linux/wait.h>
#include <linux/xarray.h>

#include "../include/vfmig.h"
#include "../include/vfmig_stream.h"

/**
 * struct vfmig_dev - the device as a BPF program sees it
 * @vendor: PCI vendor id
 * @device: PCI device id
 * @subsystem_vendor: PCI subsystem vendor id
 * @subsystem_device: PCI subsystem device id
 * @bdf: the device's PCI address, "DDDD:BB:DD.F"
 * @vf_index: for an SR-IOV VF, its index at its PF (0 for the first VF),
 *            which the PF's driver knows it by; %VFMIG_NO_VF otherwise
 * @pf_bdf: for a VF, its PF's PCI address; "" otherwise
 *
 * Read-only to programs; kfuncs take it to name the device they act on.
 * Members are only ever appended (programs read them through CO-RE).
 */
struct vfmig_dev {
	u16 vendor;
	u16 device;
	u16 subsystem_vendor;
	u16 subsystem_device;
	char bdf[VFMIG_BDF_LEN];
	u32 vf_index;
	char pf_bdf[VFMIG_BDF_LEN];
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
 * struct vfmig_stream - a migration data stream as a program sees it
 * @phase: %VFMIG_SAVE_PRECOPY or %VFMIG_SAVE_FINAL for save(), 0 for load()
 * @length: payload bytes written so far (save) or in total (load)
 * @pos: payload bytes read so far (load)
 * @version: load(): the &vfmig_ops.version of the program that saved the
 *           stream, from &vfmig_ops.min_version to &vfmig_ops.version;
 *           save(): the program's own version
 *
 * Read-only to programs; the stream kfuncs take it.
 */
struct vfmig_stream {
	u32 phase;
	u64 length;
	u64 pos;
	u32 version;
};

/**
 * struct vfmig_poll - what bpf_vfmig_bar_poll() waits for, and what it saw
 * @mask: the bits of the 32-bit register compared
 * @value: what they must be (no bit outside @mask)
 * @timeout_us: how long to wait at most, within the callback's wait
 *              budget; 0 reads once
 * @last: out: the last value read
 * @seen: out: every bit set in any value read (a register whose bits
 *        clear when read loses none the poll read)
 */
struct vfmig_poll {
	u32 mask;
	u32 value;
	u32 timeout_us;
	u32 last;
	u32 seen;
};

/**
 * enum vfmig_exit_reason - why a program stopped serving a device
 * @VFMIG_EXIT_DETACH: the link was destroyed (vfmig-load unload)
 * @VFMIG_EXIT_REPLACED: another program took over through a link update
 * @VFMIG_EXIT_DEVICE_GONE: the device was unbound from vfmig-pci
 * @VFMIG_EXIT_ERROR: the program gave up (bpf_vfmig_error() or a failed
 *                    migration callback) or broke its contract (a return
 *                    value outside what its callback may return)
 * @VFMIG_EXIT_INIT_FAILED: init() refused the device (or another check
 *                          refused the attach after init() ran); the
 *                          program never served it
 *
 * exit() runs exactly once for every attach whose init() was called.
 */
enum vfmig_exit_reason {
	VFMIG_EXIT_DETACH,
	VFMIG_EXIT_REPLACED,
	VFMIG_EXIT_DEVICE_GONE,
	VFMIG_EXIT_ERROR,
	VFMIG_EXIT_INIT_FAILED,
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
 * struct vfmig_pci_id - PCI functions a program serves, as &struct pci_device_id
 * @vendor: vendor id, or %VFMIG_ANY_ID
 * @device: device id, or %VFMIG_ANY_ID
 * @subvendor: subsystem vendor id, or %VFMIG_ANY_ID
 * @subdevice: subsystem device id, or %VFMIG_ANY_ID
 * @class: (class, subclass, prog-if) triplet, compared under @class_mask
 * @class_mask: which bits of @class must match
 *
 * An entry with @vendor, @subvendor and @class_mask all zero ends the list.
 */
struct vfmig_pci_id {
	u32 vendor;
	u32 device;
	u32 subvendor;
	u32 subdevice;
	u32 class;
	u32 class_mask;
};

/**
 * struct vfmig_origin - where an incoming stream was saved, for compat()
 * @vendor: PCI vendor id of the saving device
 * @device: its PCI device id
 * @subsystem_vendor: its PCI subsystem vendor id
 * @subsystem_device: its PCI subsystem device id
 * @program_version: vfmig_ops.version of the program that saved it
 * @program: vfmig_ops.name of that program, NUL-terminated
 *
 * What the stream's header says, the whole stream checked (integrity,
 * program name and version range) before compat() sees it.  Read-only.
 */
struct vfmig_origin {
	u16 vendor;
	u16 device;
	u16 subsystem_vendor;
	u16 subsystem_device;
	u32 program_version;
	char program[VFMIG_NAME_LEN];
};

/**
 * struct vfmig_ops - the BPF struct_ops a vendor program implements
 * @bdf: target device "DDDD:BB:DD.F", written by the loader before load
 * @name: program name shown in sysfs and written into saved streams
 * @flags: %VFMIG_F_P2P and %VFMIG_F_PRE_COPY: optional migration states
 *         the program supports
 * @version: version of the program's state format, written into the
 *           streams it saves
 * @min_version: oldest format load() reads (0: @version only); a stream
 *               saved by versions @min_version to @version is accepted
 * @any_device: written by the loader when the operator forces an object
 *              that declares no @ids (vfmig-load --force); ignored when
 *              it declares some
 * @ids: the PCI functions the program serves; the kernel refuses an
 *       attach to any other
 * @wait_budget_ms: how long one invocation of a sleepable callback may
 *                  wait in bpf_vfmig_usleep() and bpf_vfmig_bar_poll(), in
 *                  all: 0 for %VFMIG_WAIT_BUDGET_MS_DEFAULT, at most
 *                  %VFMIG_WAIT_BUDGET_MS_MAX (the attach is refused above)
 * @abi: the vfmig ABI the program needs (%VFMIG_ABI_VERSION of the headers
 *       it was built with, set by VFMIG_OPS()); 0 is ABI 1.  A module of an
 *       older ABI refuses it (vfmig-load before loading, naming both)
 * @init: called once at attach, may declare trap windows and vendor regions
 * @exit: called once when the program stops serving the device
 * @region_read: a read inside a trap window or of a vendor region; fill
 *               @acc->value
 * @region_write: a write inside a trap window or to a vendor region
 * @set_state: called for each direct arc of the VFIO migration FSM; may
 *             refuse those that begin or end a data session
 * @save: append the device state to @stream (STOP_COPY; and the initial
 *        part, @stream->phase %VFMIG_SAVE_PRECOPY, on entering PRE_COPY);
 *        may refuse to begin the session
 * @load: restore the device from @stream at RESUMING to STOP, after the
 *        module has validated the whole stream; may refuse it, the device
 *        untouched
 * @state_size: estimate of the bytes save() will write
 * @log_start: DMA logging starts, once per range, for a program that reads
 *             a hardware tracker; @page_size is the granule of the log
 * @log_stop: DMA logging stops
 * @log_report: the user reads the log for [@iova, + @length): mark what
 *              the device's own tracker logged with bpf_vfmig_mark_dirty()
 * @open: the device was opened by its first user (a VMM); BARs are mapped
 * @close: its last user closed it
 * @reset: the device was reset (FLR, bus reset, VFIO_DEVICE_RESET): drop
 *         any shadow of its registers
 * @compat: may this device load a stream saved at @src?  Called at
 *          RESUMING to STOP, once the whole stream has passed every check
 *          but the PCI ids, before load().  Return %VFMIG_COMPATIBLE to
 *          take it whatever its ids (an OEM SKU of the same function), 0
 *          for the default (the ids must equal this device's), or a
 *          negative errno to refuse it: the request fails with that errno,
 *          the device stays in RESUMING with its data, last_error names
 *          the ids.  Without compat() the ids must be equal.  Process
 *          context, under the state mutex; may sleep; must not change the
 *          device
 *
 * Data members come first (the loader finds @bdf by name in BTF); new
 * members are only ever appended, after @compat: 6.12's verifier takes a
 * struct_ops member's index for an attach type, and marks the pointer
 * arguments of member 23 (BPF_TRACE_RAW_TP) maybe-NULL, so that index must
 * stay @compat's, whose programs check @dev and @src.  Region hooks run in the process
 * context of the user's region access and may be sleepable (a hook that
 * reads guest memory with bpf_vfmig_dma_read() must be); a non-sleepable
 * hook runs under RCU, where kfuncs fail rather than wait.  They return 0
 * when they handled the access, %VFMIG_PASS to let vfio-pci perform it,
 * or a negative errno for the caller.  Migration
 * callbacks run in process context under the device's state mutex, may
 * sleep, and return 0 or a negative errno, which sends the device to the
 * ERROR state.  On the arcs that begin a data session (RUNNING ->
 * PRE_COPY, RUNNING_P2P -> PRE_COPY_P2P, STOP -> STOP_COPY, STOP ->
 * RESUMING) and on RESUMING -> STOP, set_state, save and load may instead
 * return VFMIG_REFUSE(errno), promising they left the device as it was:
 * the request fails with errno, the device stays in the state the arc
 * began in (a data fd the arc would open is never given; RESUMING keeps
 * its fd and data, for another try), and when save or load refused an arc
 * set_state took, set_state is called for the way back (to, from) to undo
 * it.  VFMIG_REFUSE() from any other arc or callback breaks the contract.
 * A device offers migration if its program has save and load.
 * It offers DMA logging if its program sets %VFMIG_F_DIRTY_LOG; the log_*
 * callbacks are optional (software trackers mark from their hooks), run in
 * process context, may sleep, and return 0 or a negative errno, which fails
 * the start or the report.  open, close and reset are notifications, in
 * process context, and may sleep.
 *
 * What runs concurrently: set_state, save, load and state_size run one at
 * a time (the state mutex); the log_* callbacks one at a time among
 * themselves (the DMA log's lock), beside them; region hooks run in
 * whichever tasks access the
 * device, concurrently with each other and with every other callback,
 * unless a sleepable callback holds them off with
 * bpf_vfmig_hold_accesses(): accesses in flight finish first, new
 * trapped ones wait until bpf_vfmig_release_accesses(), the callback's
 * return or its @wait_budget_ms, whichever comes first (a detach, reset,
 * close or error ends the hold too).  Accesses through an mmap of a BAR
 * never reach the program and cannot be held: trap what a quiesce must
 * order.  The program's own kfuncs are never held.
 *
 * Every return value is checked in one place (prog.c): a value outside what
 * the callback may return stops the program as bpf_vfmig_error() would.
 */
struct vfmig_ops {
	char bdf[VFMIG_BDF_LEN];
	char name[VFMIG_NAME_LEN];
	u32 flags;
	u32 version;
	u32 min_version;
	u32 any_device;
	struct vfmig_pci_id ids[VFMIG_MAX_IDS];
	u32 wait_budget_ms;
	u32 abi;
	int (*init)(struct vfmig_dev *dev);
	void (*exit)(struct vfmig_dev *dev, struct vfmig_exit_info *info);
	int (*region_read)(struct vfmig_dev *dev, struct vfmig_access *acc);
	int (*region_write)(struct vfmig_dev *dev, struct vfmig_access *acc);
	int (*set_state)(struct vfmig_dev *dev, u32 from, u32 to);
	int (*save)(struct vfmig_dev *dev, struct vfmig_stream *stream);
	int (*load)(struct vfmig_dev *dev, struct vfmig_stream *stream);
	u64 (*state_size)(struct vfmig_dev *dev);
	int (*log_start)(struct vfmig_dev *dev, u64 iova, u64 length,
			 u64 page_size);
	void (*log_stop)(struct vfmig_dev *dev);
	int (*log_report)(struct vfmig_dev *dev, u64 iova, u64 length);
	void (*open)(struct vfmig_dev *dev);
	void (*close)(struct vfmig_dev *dev);
	void (*reset)(struct vfmig_dev *dev);
	int (*compat)(struct vfmig_dev *dev, struct vfmig_origin *src);
};

/* A trapped range [start, end) of one region. */
struct vfmig_trap {
	u32 index;
	u64 start;
	u64 end;
};

/* A region a program declared in init(), served by its region hooks. */
struct vfmig_vendor_region {
	u32 subtype;
	u32 flags;			/* VFMIG_REGION_READ, _WRITE */
	u64 size;
};

/*
 * One program serving one device.  Published through
 * vfmig_device::binding; the windows are fixed once published.  @dev is
 * what this program's callbacks are given, so a kfunc knows which binding
 * called it: an old program still running during a replacement can only
 * ever reach its own binding.
 */
struct vfmig_binding {
	struct vfmig_dev dev;
	struct vfmig_ops *ops;
	struct vfmig_device *mdev;
	struct list_head node;		/* in vfmig_bindings, under vfmig_lock */
	bool gone;			/* device removed: unreg is a no-op */
	bool in_init;			/* init() runs: windows may be added */
	bool stopping;			/* being detached: stream kfuncs fail */
	int error;			/* first error the program reported */
	spinlock_t calls_lock;		/* @calls */
	struct list_head calls;		/* sleepable callbacks running */
	unsigned int nr_traps;
	struct vfmig_trap traps[VFMIG_MAX_TRAPS];
	unsigned int nr_regions;
	struct vfmig_vendor_region regions[VFMIG_MAX_REGIONS];
};

static inline struct vfmig_binding *dev_to_binding(struct vfmig_dev *dev)
{
	return container_of(dev, struct vfmig_binding, dev);
}

/*
 * A data_fd's buffer: page-backed, so big state never needs one large
 * contiguous allocation.  @stream is what save() and load() see.  @lock
 * is never held across a copy to or from user memory (a detach takes it
 * to disable the fd); @io_lock, which only the fd's own reads and writes
 * take, is, and keeps them one at a time, so the stream moves exactly
 * once past each byte.
 */
struct vfmig_data {
	struct vfmig_stream stream;
	struct vfmig_device *mdev;	/* pinned (get_device) by the fd */
	struct vfmig_binding *prog;	/* whose save()/load() runs, or NULL */
	struct file *filp;
	struct mutex io_lock;		/* the user's read() or write() */
	struct mutex lock;		/* everything below */
	struct xarray pages;
	u64 len;			/* bytes in the buffer */
	u64 pos;			/* bytes the user has read */
	u64 ready;			/* bytes sealed: readable by the user */
	u64 unit_start;			/* save: header of the unit being
					 * written; resume: of the next unit
					 * to arrive
					 */
	struct vfmig_stream_info info;	/* load: the validated units */
	char reason[160];		/* load: why compat() refused */
	bool final;			/* save: complete, reads reach EOF */
	bool disabled;			/* the device left the data state */
};

/*
 * One logged IOVA range [@iova, @last] and a bit per page of it, twice:
 * marks go to one of the two bitmaps, picked per group of pages, while a
 * report drains the other (see kernel/dirty.c).  The per-group bitmaps
 * have a bit per VFMIG_DIRTY_GROUP pages.
 */
struct vfmig_dirty_span {
	u64 iova;
	u64 last;
	unsigned long *bits[2];
	unsigned long *summary;		/* one of the group's pages may be dirty */
	unsigned long *sel;		/* the group's marks go to bits[1] */
	unsigned long *flipped;		/* bits[!sel] of the group: to drain */
};

/*
 * A running DMA log, published in vfmig_device::dirty_log under the SRCU of
 * kernel/dirty.c (marks) and vfmig_device::dirty_lock; only its bitmaps
 * and @lost change once published.
 */
struct vfmig_dirty_log {
	u64 page_size;
	unsigned int shift;		/* log2(page_size) */
	u32 generation;			/* vfmig_device::binding_generation
					 * when started: the program marking
					 */
	bool lost;			/* marks may be missing: reports fail */
	u32 nr;
	struct vfmig_dirty_span spans[] __counted_by(nr);	/* by iova */
};

/**
 * struct vfmig_log - the last messages programs logged for a device
 * @lock: protects everything below
 * @seq: messages logged since the device was bound
 * @window_start: jiffies when the current rate limit window began
 * @printed: messages let into the kernel log in this window
 * @suppressed: messages kept out of it since the last one let in
 * @msg: the ring, @seq % %VFMIG_LOG_RING the next slot
 * @msg.seq: the message's number
 * @msg.text: "program: message", NUL-terminated
 */
struct vfmig_log {
	spinlock_t lock;		/* everything below */
	u64 seq;
	unsigned long window_start;
	unsigned int printed;
	unsigned int suppressed;
	struct {
		u64 seq;
		char text[VFMIG_NAME_LEN + 2 + VFMIG_LOG_LEN];
	} msg[VFMIG_LOG_RING];
};

/**
 * struct vfmig_access_stats - what became of the pieces offered to a program
 * @hooked: handled by the program
 * @passed: passed to vfio-pci
 * @failed: failed with an error
 *
 * Per CPU, so that counting takes no shared cache line and no atomic on
 * the access path; sysfs shows the sums.
 */
struct vfmig_access_stats {
	u64 hooked;
	u64 passed;
	u64 failed;
};

/**
 * struct vfmig_hold - trapped accesses held off while a program quiesces
 * @lock: protects @owner and @call, and the setting of @held and @until
 * @held: new sections of trapped accesses wait, until @until
 * @active: sections of trapped accesses running
 * @owner: the binding whose callback holds them
 * @call: that callback's invocation: a token, never dereferenced
 * @until: ktime ns when the hold ends by itself (the callback's budget)
 * @wq: the holder waits here for @active to drain, the accesses for the end
 *
 * See kernel/hold.c.
 */
struct vfmig_hold {
	spinlock_t lock;		/* @owner, @call; setting @held */
	bool held;
	atomic_t active;
	const struct vfmig_binding *owner;
	const void *call;
	u64 until;
	wait_queue_head_t wq;
};

/**
 * struct vfmig_device - a PCI function bound to vfmig-pci
 * @core: the vfio-pci core device this driver extends
 * @dev: what programs see
 * @node: entry in the global device list, under vfmig_lock
 * @lock: serialises attach, detach, replace and open/close
 * @binding: the attached program, published under @srcu (and RCU)
 * @binding_generation: bumped each time @binding changes
 * @srcu: held across every region access and every sleepable callback, so
 *        a change of program waits for accesses decided under the old one
 * @trap_lock: makes a change of trap windows atomic against mmap faults
 * @barmap_ready: BARs are iomapped (device open), kfuncs may touch them
 * @dma_changing: the user is detaching or replacing the device's IOMMU
 *                domain (iommufd): bpf_vfmig_dma_read() fails meanwhile
 * @cfg_protected: config space bytes programs may never write (the header,
 *                 every capability but the bodies of vendor-specific ones),
 *                 found at probe
 * @cfg_vendor: bodies of the vendor-specific capabilities, found at probe
 * @msix: the MSI-X table and PBA (BAR and range; empty if none), which
 *        kfuncs may not touch, as vfio-pci keeps them from its user
 * @reset_work: tells the program of a reset, out of the reset path
 * @program_wq: woken when a program attaches or none is to be waited for
 * @awaiting_program: bound while vfmig.wait_for_program_ms was set and no
 *                    program has attached yet, nor did user space say none
 *                    will: the first open waits for one
 * @removed: the device is being unbound, attach refused
 * @state_mutex: serialises the migration FSM
 * @mig_state: the VFIO migration state
 * @reset_lock: protects @deferred_reset
 * @deferred_reset: a reset happened while @state_mutex was held
 * @saving: the data_fd of STOP_COPY or PRE_COPY, or NULL
 * @resuming: the data_fd of RESUMING, or NULL
 * @err_lock: protects @last_error
 * @last_error: why the program or the last migration step failed, for sysfs
 * @stats: accesses the program handled, passed and failed, per CPU
 * @dirty_lock: serialises starting, stopping and reading the DMA log
 * @dirty_log: the running DMA log, or NULL
 * @dirty_marked: pages marked dirty since the device was opened
 * @log: the programs' last messages (bpf_vfmig_log())
 * @hold: trapped accesses held off by a callback (bpf_vfmig_hold_accesses())
 */
struct vfmig_device {
	struct vfio_pci_core_device core;
	struct vfmig_dev dev;
	struct list_head node;
	struct mutex lock;		/* attach, detach, open, close */
	struct vfmig_binding __rcu *binding;
	u32 binding_generation;
	struct srcu_struct srcu;
	struct rw_semaphore trap_lock;
	bool barmap_ready;
	bool dma_changing;
	DECLARE_BITMAP(cfg_protected, PCI_CFG_SPACE_EXP_SIZE);
	DECLARE_BITMAP(cfg_vendor, PCI_CFG_SPACE_EXP_SIZE);
	struct vfmig_trap msix[2];
	struct work_struct reset_work;
	wait_queue_head_t program_wq;
	bool awaiting_program;
	bool removed;
	struct mutex state_mutex;	/* the migration FSM */
	enum vfio_device_mig_state mig_state;
	spinlock_t reset_lock;		/* @deferred_reset */
	bool deferred_reset;
	struct vfmig_data *saving;
	struct vfmig_data *resuming;
	spinlock_t err_lock;		/* last_error */
	char last_error[160];
	struct vfmig_access_stats __percpu *stats;
	struct mutex dirty_lock;	/* starting, stopping, reading the log */
	struct vfmig_dirty_log __rcu *dirty_log;
	atomic64_t dirty_marked;
	struct vfmig_log log;
	struct vfmig_hold hold;
};

static inline struct vfmig_device *to_vfmig(struct vfio_device *vdev)
{
	return container_of(vdev, struct vfmig_device, core.vdev);
}

/* The largest naturally aligned access of at most 8 bytes at @pos. */
static inline size_t vfmig_piece_size(u64 pos, size_t left)
{
	size_t size = 8;

	while (size > left || (pos & (size - 1)))
		size >>= 1;
	return size;
}

static inline struct vfmig_device *dev_to_vfmig(struct vfmig_dev *dev)
{
	return dev_to_binding(dev)->mdev;
}

/* main.c: device registry, errors */
__printf(2, 3) void vfmig_set_error(struct vfmig_device *mdev, const char *fmt, ...);
extern struct mutex vfmig_lock;
struct vfmig_device *vfmig_find_device(const char *bdf);

/* vfio_dev.c */
extern const struct vfio_device_ops vfmig_vfio_ops;
ssize_t vfmig_hook_piece(struct vfmig_device *mdev, struct vfmig_binding *b,
			 __le64 *data, u32 index, u64 pos, size_t size,
			 bool iswrite);

/* struct_ops.c */
int vfmig_struct_ops_register(void);
extern unsigned int vfmig_wait_for_program_ms;
int vfmig_wait_for_program(struct vfmig_device *mdev);
void vfmig_stop_awaiting(struct vfmig_device *mdev);
void vfmig_device_removing(struct vfmig_device *mdev);
void vfmig_device_detach_all(struct vfmig_device *mdev);

/* prog.c: every call into a program, and what each callback may return */
void vfmig_binding_fail(struct vfmig_binding *b, int err);
u64 vfmig_call_deadline(struct vfmig_binding *b);
int vfmig_call_hold(struct vfmig_binding *b);
int vfmig_call_release(struct vfmig_binding *b);
int vfmig_call_init(struct vfmig_binding *b);
void vfmig_call_exit(struct vfmig_binding *b, u32 reason, int error);
int vfmig_call_region(struct vfmig_binding *b, struct vfmig_access *acc,
		      bool iswrite);
int vfmig_call_set_state(struct vfmig_binding *b, u32 from, u32 to,
			 bool may_refuse);
int vfmig_call_save(struct vfmig_binding *b, struct vfmig_stream *stream,
		    bool may_refuse);
int vfmig_call_load(struct vfmig_binding *b, struct vfmig_stream *stream,
		    bool may_refuse);

/*
 * A migration callback's VFMIG_REFUSE(): the vfmig_call_*() above pass it
 * on, only where the caller allowed it, for the caller to tell from a
 * failure.  It never leaves the module: vfmig_refusal_errno() turns it
 * into the errno the program gave.
 */
static inline bool vfmig_is_refusal(int ret)
{
	return ret <= VFMIG_REFUSE(1) &&
	       ret >= VFMIG_REFUSE(VFMIG_MAX_PROG_ERRNO);
}

static inline int vfmig_refusal_errno(int ret)
{
	return VFMIG_REFUSED + ret;	/* -errno */
}

u64 vfmig_call_state_size(struct vfmig_binding *b);
int vfmig_call_compat(struct vfmig_binding *b, struct vfmig_origin *src);
int vfmig_call_log_start(struct vfmig_binding *b, u64 iova, u64 length,
			 u64 page_size);
void vfmig_call_log_stop(struct vfmig_binding *b);
int vfmig_call_log_report(struct vfmig_binding *b, u64 iova, u64 length);
void vfmig_notify_open(struct vfmig_device *mdev);
void vfmig_notify_close(struct vfmig_device *mdev);
void vfmig_reset_work(struct work_struct *work);

/* migration.c */
void vfmig_mig_init(struct vfmig_device *mdev);
void vfmig_mig_open(struct vfmig_device *mdev);
void vfmig_mig_close(struct vfmig_device *mdev);
void vfmig_mig_detached(struct vfmig_device *mdev);
void vfmig_mig_reset(struct vfmig_device *mdev);
void vfmig_mig_reset_apply(struct vfmig_device *mdev);
const char *vfmig_mig_state_name(enum vfio_device_mig_state state);
extern const struct pci_error_handlers vfmig_err_handlers;

/* stream.c */
struct vfmig_data *vfmig_data_alloc(struct vfmig_device *mdev);
void vfmig_data_free_pages(struct vfmig_data *d);
int vfmig_data_write(struct vfmig_data *d, const void *src, size_t len);
int vfmig_data_read(struct vfmig_data *d, u64 off, void *dst, size_t len);
struct page *vfmig_data_get_page(struct vfmig_data *d, u64 off);
int vfmig_data_begin_unit(struct vfmig_data *d, u32 flags);
void vfmig_crc_init(void);
void vfmig_crc_exit(void);
int vfmig_data_seal_unit(struct vfmig_data *d);
int vfmig_data_validate(struct vfmig_data *d, const char **reason);
int vfmig_data_compat(struct vfmig_data *d, const char **reason);
int vfmig_data_check_arrived(struct vfmig_data *d, const char **reason);
int vfmig_stream_load_read(struct vfmig_data *d, void *dst, size_t len);
extern unsigned int vfmig_max_state_mb;

/* dirty.c */
int vfmig_dirty_open(struct vfmig_device *mdev);
void vfmig_dirty_close(struct vfmig_device *mdev);
int vfmig_dirty_mark(struct vfmig_device *mdev, u64 iova, u64 len);

struct bpf_prog;

/* kfuncs.c */
int vfmig_kfuncs_register(void);
void vfmig_kfuncs_probe(struct vfmig_device *mdev);
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

/* vendor_region.c */
int vfmig_vendor_region_add(struct vfmig_binding *b, u32 subtype, u64 size,
			    u32 flags);
int vfmig_vendor_regions_open(struct vfmig_device *mdev);

/* hold.c */
void vfmig_hold_init(struct vfmig_hold *h);
bool vfmig_hold_enter(struct vfmig_hold *h);
void vfmig_hold_exit(struct vfmig_hold *h);
int vfmig_hold_wait(struct vfmig_hold *h);
int vfmig_hold_take(struct vfmig_device *mdev, struct vfmig_binding *b,
		    const void *call, u64 until);
bool vfmig_hold_release(struct vfmig_device *mdev,
			const struct vfmig_binding *b, const void *call,
			const char *why);

/* pf_channel.c */
int bpf_vfmig_pf_call(struct vfmig_dev *dev, u32 op, void *buf, u32 buf__sz,
		      u32 arg_size);

/* log.c */
void vfmig_log_init(struct vfmig_log *log);
void vfmig_log_add(struct vfmig_binding *b, const char *msg, u32 len);
ssize_t vfmig_log_show(struct vfmig_log *log, char *buf);

/* sysfs.c */
extern const struct attribute_group *vfmig_dev_groups[];

#endif /* _KERNEL_VFMIG_H */
