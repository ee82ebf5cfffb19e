/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vfmig: declarations shared by the module's files; each group says which
 * file implements it.  What programs see is in vfmig_ops.h.
 */
#ifndef _KERNEL_INTERNAL_H
#define _KERNEL_INTERNAL_H

#include <linux/atomic.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/rwsem.h>
#include <linux/srcu.h>
#include <linux/vfio_pci_core.h>
#include <linux/wait.h>
#include <linux/xarray.h>

#include "vfmig_ops.h"

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
	bool resume;			/* a RESUMING fd: stream_read only */
	bool prep_done;			/* resume: prepare() gets no more */
	unsigned int read_from;		/* load, prepare: the first unit
					 * bpf_vfmig_stream_read() reads
					 */
	unsigned int prepared;		/* resume: leading units prepare()
					 * took, which load() does not read
					 */
	u64 prep_end;			/* resume: where the units checked
					 * for prepare() end
					 */
	int refused;			/* resume: prepare() refused a unit
					 * with this -errno: never loaded
					 */
	struct vfmig_stream_info prep;	/* resume: the units prepare() took,
					 * and the one it is given
					 */
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
 * struct vfmig_mig - a device's VFIO migration state (migration.c)
 * @state_mutex: serialises the migration FSM
 * @state: the VFIO migration state
 * @reset_lock: protects @deferred_reset
 * @deferred_reset: a reset happened while @state_mutex was held
 * @saving: the data_fd of STOP_COPY or PRE_COPY, or NULL
 * @resuming: the data_fd of RESUMING, or NULL
 */
struct vfmig_mig {
	struct mutex state_mutex;	/* the FSM, @saving, @resuming */
	enum vfio_device_mig_state state;
	spinlock_t reset_lock;		/* @deferred_reset */
	bool deferred_reset;
	struct vfmig_data *saving;
	struct vfmig_data *resuming;
};

/**
 * struct vfmig_error - why a device's program or migration failed (device.c)
 * @lock: protects @msg
 * @msg: the last reason, for sysfs (last_error)
 */
struct vfmig_error {
	spinlock_t lock;		/* @msg */
	char msg[160];
};

/**
 * struct vfmig_dirty - a device's DMA dirty log (dirty.c)
 * @lock: serialises starting, stopping and reading the log
 * @log: the running log, or NULL
 * @marked: pages marked dirty since the device was opened
 */
struct vfmig_dirty {
	struct mutex lock;		/* starting, stopping, reading @log */
	struct vfmig_dirty_log __rcu *log;
	atomic64_t marked;
};

/**
 * struct vfmig_guard - what kfuncs may never touch (kfuncs.c), found at probe
 * @cfg_protected: config space bytes programs may never write (the header,
 *                 every capability but the bodies of vendor-specific ones)
 * @cfg_vendor: bodies of the vendor-specific capabilities
 * @msix: the MSI-X table and PBA (BAR and range; empty if none), which
 *        kfuncs may not touch, as vfio-pci keeps them from its user
 */
struct vfmig_guard {
	DECLARE_BITMAP(cfg_protected, PCI_CFG_SPACE_EXP_SIZE);
	DECLARE_BITMAP(cfg_vendor, PCI_CFG_SPACE_EXP_SIZE);
	struct vfmig_trap msix[2];
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
 * @guard: what kfuncs may never touch, found at probe (kfuncs.c)
 * @reset_work: tells the program of a reset, out of the reset path
 * @program_wq: woken when a program attaches or none is to be waited for
 * @awaiting_program: bound while vfmig.wait_for_program_ms was set and no
 *                    program has attached yet, nor did user space say none
 *                    will: the first open waits for one
 * @removed: the device is being unbound, attach refused
 * @mig: the migration state (migration.c)
 * @err: why the program or the last migration step failed (device.c)
 * @stats: accesses the program handled, passed and failed, per CPU
 * @dirty: the DMA log (dirty.c)
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
	struct vfmig_guard guard;
	struct work_struct reset_work;
	wait_queue_head_t program_wq;
	bool awaiting_program;
	bool removed;
	struct vfmig_mig mig;
	struct vfmig_error err;
	struct vfmig_access_stats __percpu *stats;
	struct vfmig_dirty dirty;
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

/* device.c: device registry, errors */
__printf(2, 3) void vfmig_set_error(struct vfmig_device *mdev, const char *fmt, ...);
extern struct mutex vfmig_lock;
struct vfmig_device *vfmig_find_device(const char *bdf);
void vfmig_device_add(struct vfmig_device *mdev);
void vfmig_device_del(struct vfmig_device *mdev);

/* vfio_dev.c */
extern const struct vfio_device_ops vfmig_vfio_ops;

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
int vfmig_call_prepare(struct vfmig_binding *b, struct vfmig_stream *stream);

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
void vfmig_notify_reset(struct vfmig_device *mdev);
ssize_t vfmig_hook_piece(struct vfmig_device *mdev, struct vfmig_binding *b,
			 __le64 *data, u32 index, u64 pos, size_t size,
			 bool iswrite);

/* migration.c */
void vfmig_mig_init(struct vfmig_device *mdev);
void vfmig_mig_open(struct vfmig_device *mdev);
void vfmig_mig_close(struct vfmig_device *mdev);
void vfmig_mig_detached(struct vfmig_device *mdev);
void vfmig_mig_reset(struct vfmig_device *mdev);
void vfmig_reset_work(struct work_struct *work);
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
int vfmig_data_compat(struct vfmig_data *d, bool prep, const char **reason);
int vfmig_data_check_arrived(struct vfmig_data *d, const char **reason);
int vfmig_stream_load_read(struct vfmig_data *d, void *dst, size_t len);
int vfmig_data_next_prepare(struct vfmig_data *d, const char **reason);
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

#endif /* _KERNEL_INTERNAL_H */
