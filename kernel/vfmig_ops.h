/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vfmig: what a program sees of the module, and the contract it keeps:
 * the types its callbacks and kfuncs take, struct vfmig_ops, and the
 * rules of each callback.  Documentation/contract.md and vfmig-programs(7)
 * are rendered from this file's kernel-doc (make contract).
 */
#ifndef _KERNEL_VFMIG_OPS_H
#define _KERNEL_VFMIG_OPS_H

#include <linux/types.h>

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
 * @phase: %VFMIG_SAVE_PRECOPY or %VFMIG_SAVE_FINAL for save(),
 *         %VFMIG_SAVE_PRECOPY for prepare(), 0 for load()
 * @length: payload bytes written so far (save) or in total (load: of the
 *          units prepare() did not get; prepare(): of its unit)
 * @pos: payload bytes read so far (load, prepare)
 * @version: load() and prepare(): the &vfmig_ops.version of the program
 *           that saved the stream, from &vfmig_ops.min_version to
 *           &vfmig_ops.version; save(): the program's own version
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
 * DOC: Callbacks and their context
 *
 * All callbacks are optional.  init() runs once at attach, may sleep, and
 * declares the program's trap windows (bpf_vfmig_trap_window()) and vendor
 * regions (bpf_vfmig_region_add()); a negative errno refuses the attach
 * with it.  exit() runs exactly once for every attach whose init() ran,
 * successful or not, with &vfmig_exit_info.reason (an &enum
 * vfmig_exit_reason: 0 detach, 1 replaced, 2 device gone, 3 error: the
 * program gave up or broke its contract, 4 init failed) and
 * &vfmig_exit_info.error.
 *
 * open(), close() and reset() are notifications: sleepable, no return
 * value.  open() says the first user opened the device (its BARs are
 * mapped), close() that the last one is closing it, reset() that the device
 * was reset (FLR, bus reset, VFIO_DEVICE_RESET; on a device with no reset
 * method, the migration state reset vfmig does instead).  reset() runs
 * just after the reset, out of the reset path's locks, and before
 * VFIO_DEVICE_RESET returns: drop any shadow of the device's registers
 * there.
 *
 * region_read() and region_write() see only accesses inside a trap window
 * (or to a vendor region), cut into naturally aligned 1, 2, 4 or 8-byte
 * pieces (&struct vfmig_access).  They return 0 when they handled the
 * access (for a read, &vfmig_access.value is what the caller gets),
 * %VFMIG_PASS to let vfio-pci perform it, or a negative errno for the
 * caller's read or write.  Only &vfmig_access.value is writable.  A
 * non-sleepable hook runs under RCU in the access path, where kfuncs fail
 * rather than wait; a sleepable one (a hook that reads guest memory with
 * bpf_vfmig_dma_read() must be one) runs in the user's process context,
 * holding nothing but the device's SRCU.  vfmig-pci takes no
 * VFIO_DEVICE_IOEVENTFD (-ENOTTY, as nvgrace-gpu): vfio-pci would write
 * the BAR itself when the eventfd fires, around every window; QEMU falls
 * back to writing through the region.
 *
 * The migration callbacks set_state(), save(), load() and state_size() run
 * in process context under the device's state mutex and may sleep; declare
 * save() and load() with SEC("struct_ops.s/...") since the stream kfuncs
 * are sleepable.  set_state() sees every direct arc of the VFIO FSM
 * (values of enum vfio_device_mig_state).  save() appends the state with
 * bpf_vfmig_stream_write() or bpf_vfmig_stream_write_bar(); it is called
 * with &vfmig_stream.phase %VFMIG_SAVE_PRECOPY on entering PRE_COPY and
 * %VFMIG_SAVE_FINAL for STOP_COPY.  load() reads the state back with
 * bpf_vfmig_stream_read() (the payloads of all units in order;
 * &vfmig_stream.pos and &vfmig_stream.length) at RESUMING to STOP, once
 * the whole stream has been checked; QEMU gets there when it starts the
 * destination, after the source stopped.  prepare() lets the destination
 * do that work earlier (below).  state_size() is the estimate
 * behind VFIO_DEVICE_FEATURE_MIG_DATA_SIZE, capped at the module's
 * max_state_mb.  Any negative return, or bpf_vfmig_error() from anywhere,
 * ends in the ERROR state: the device is in doubt, and only a reset leaves
 * ERROR (QEMU resets it).
 *
 * A device offers VFIO migration when the program attached when it is
 * opened has save() and load(); such a program must have set_state() (the
 * device advertises STOP: something has to stop it).  %VFMIG_F_P2P adds
 * RUNNING_P2P and PRE_COPY_P2P, %VFMIG_F_PRE_COPY adds PRE_COPY with
 * VFIO_MIG_GET_PRECOPY_INFO.
 *
 * The kernel refuses ops whose parts do not fit, with -EINVAL and the
 * reason in the kernel log: save() without load() or the reverse; save()
 * and load() without set_state(); %VFMIG_F_P2P or %VFMIG_F_PRE_COPY
 * without save() and load(); prepare() without load() and
 * %VFMIG_F_PRE_COPY; log_start(), log_stop() or log_report()
 * without %VFMIG_F_DIRTY_LOG; &vfmig_ops.min_version above
 * &vfmig_ops.version; &vfmig_ops.wait_budget_ms above
 * %VFMIG_WAIT_BUDGET_MS_MAX.  An attach to a device outside
 * &vfmig_ops.ids fails with -ENXIO, the reason in the device's last_error.
 */

/**
 * DOC: Return values
 *
 * Every return value is checked in one place (kernel/prog.c), as hostile
 * input: region hooks return 0, %VFMIG_PASS or a negative errno; init(),
 * the migration callbacks and the log callbacks 0 or a negative errno; an
 * errno is one user space knows (1 to %VFMIG_MAX_PROG_ERRNO, 511).
 * set_state(), save() and load() may also return VFMIG_REFUSE(errno) on
 * the arcs that may be refused (below); compat() returns 0,
 * %VFMIG_COMPATIBLE or a negative errno.  Anything else (a positive value,
 * -4096, INT_MIN) breaks the contract: the program is stopped as by
 * bpf_vfmig_error(-EPROTO), the caller gets -EIO (an attach -EPROTO), and
 * the reason is in sysfs last_error.  state_size() is capped at the
 * module's max_state_mb.
 */

/**
 * DOC: Refusals that keep the device
 *
 * On the arcs that begin or end a data session, RUNNING to PRE_COPY,
 * RUNNING_P2P to PRE_COPY_P2P, STOP to STOP_COPY, STOP to RESUMING and
 * RESUMING to STOP, set_state(), save() and load() may return
 * VFMIG_REFUSE(errno) (include/vfmig.h; errno positive, 1 to 511) instead
 * of a negative errno: the program promises it left the device as it was.
 * The request fails with errno and the device stays in the state the arc
 * began in, not ERROR.  For a request vfmig walks in several arcs that is
 * the last state reached: a refused STOP to STOP_COPY asked from RUNNING
 * leaves STOP, as the uAPI allows; VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE
 * GET says which.  The data fd the arc would have opened is never given.
 * A refused load() keeps RESUMING with its fd and the data written, and a
 * second RESUMING to STOP validates and loads it from the start (once what
 * the program objected to is fixed), or the user resets or closes the
 * device.  When save() or load() refuses an arc that set_state() took,
 * set_state() is called with the way back (to, from), where the program
 * undoes what it did; if that fails, ERROR.  The program serves on (no
 * exit()), and last_error says "program NAME refused FROM -> TO: -ERRNO;
 * device kept in FROM".  These are the arcs where a VMM can give up and
 * keep its guest: QEMU 10 passes a recover state for them.  The same value
 * anywhere else (other arcs, the final save() of a pre-copy session, other
 * callbacks but prepare()), or with an errno out of range, breaks the contract.
 */

/**
 * DOC: Preparing the destination before the switchover
 *
 * A program with prepare() (declare it SEC("struct_ops.s/prepare")) gets
 * each pre-copy unit on the destination as it arrives, while the source
 * still runs: when a write() to the RESUMING data fd completes a unit
 * saved with &vfmig_stream.phase %VFMIG_SAVE_PRECOPY, and that unit has
 * passed every check the module makes before load() (header, CRC32C, ids,
 * program name and version, the same origin as the units before it,
 * compat()), prepare() reads its payload with bpf_vfmig_stream_read()
 * (&vfmig_stream.phase says %VFMIG_SAVE_PRECOPY; &vfmig_stream.length is
 * that unit's payload) and sets up what it can early: the work that would
 * otherwise run in load(), inside the downtime.  It runs in the writer's
 * process context under the state mutex, with its own wait budget, once
 * per unit, in stream order; the write() returns when it has.  Only the
 * leading run of pre-copy units is prepared: the final unit, and anything
 * after a unit that failed a check, are left to load().  QEMU's
 * switchover-ack (its destination acknowledges once the initial bytes
 * arrived) thus holds the source running until prepare() has run.
 *
 * load() at RESUMING to STOP then reads only the units prepare() did not
 * get (normally the final unit; a retried load() sees the same again): a
 * program without prepare() reads all units, as before.  A program should
 * remember what prepare() did for the session (set_state() of STOP to
 * RESUMING is where a new one begins) and check in load() that the rest
 * follows from it, falling back to the whole set-up when it does not.
 *
 * prepare() returns 0, a negative errno or VFMIG_REFUSE(errno); anything
 * else breaks the contract (the program is stopped, the write() gets
 * -EIO).  On anything but 0 the write() fails with the errno, the reason
 * goes to last_error, and the stream is never loaded: after a refusal the
 * device stays in RESUMING and every later write() and RESUMING to STOP
 * fail with the errno (the program promises it changed nothing the next
 * session relies on), after an error it goes to ERROR (its data fd
 * closed).  Either way a reset (QEMU resets a device whose incoming
 * migration failed) or closing the device leaves a clean device, and a
 * new RESUMING session starts afresh.
 */

/**
 * DOC: What runs concurrently, and holding accesses off
 *
 * set_state(), save(), load() and state_size() run one at a time (the
 * state mutex); log_start(), log_stop() and log_report() one at a time
 * among themselves (the DMA log's lock), beside them.  Region hooks run in
 * whichever tasks access the device, concurrently with each other and with
 * every other callback: nothing orders a guest's doorbell against a
 * quiesce unless the program asks.  A sleepable callback (not init(),
 * exit() or a region hook: -EPERM) asks with bpf_vfmig_hold_accesses():
 * sections of region accesses that meet a trap window and are already
 * running finish first, new ones wait, interruptibly and holding nothing
 * (no lock, no SRCU, no user page), and go on, their hooks called, when
 * the hold ends: at bpf_vfmig_release_accesses(), at the callback's
 * return, or when its &vfmig_ops.wait_budget_ms is spent, whichever comes
 * first, even if the callback still runs; a detach, a reset, the device's
 * close or the program's error end it too.  Accesses through an mmap of a
 * BAR never reach the driver and cannot be held: trap the registers a
 * quiesce must order (their pages are never mapped).  The program's own
 * kfuncs are never held.  Why: upstream drivers take locks of their own
 * around their quiesce (mlx5's state mutex against its command interface,
 * pds and hisi_acc theirs); a program gets a bounded one instead
 * (kernel/hold.c).
 */

/**
 * DOC: Compatibility beyond ids
 *
 * A stream carries the saving device's PCI ids and its program's name and
 * version.  Without compat() the ids must equal the destination's, as
 * must the program name, and the version must lie in
 * &vfmig_ops.min_version to &vfmig_ops.version.  With compat() the ids
 * are the program's to judge: once the whole stream has passed every other
 * check (RESUMING to STOP, before load()), compat() is shown @src (&struct
 * vfmig_origin) and returns %VFMIG_COMPATIBLE to take the stream whatever
 * its ids (an OEM SKU of the same VF), 0 for the default (equal ids), or a
 * negative errno to refuse it.  A refusal is a refused stream: the request
 * fails with the errno, the device stays in RESUMING with its data,
 * unchanged, the program serves on, and last_error names the origin
 * ("refused migration stream: compat() refused a stream from 1234:11e8
 * (subsystem 1af4:1e0f), program edu version 1: -18").  compat() runs in
 * process context under the state mutex, may sleep, and must not change
 * the device.  Any other value breaks the contract.  On Debian's 6.12 the
 * verifier marks @src (member 23) maybe-NULL: test it before reading it
 * (include/vfmig.bpf.h shows how).
 */

/**
 * DOC: Dirty logging
 *
 * A program that sets %VFMIG_F_DIRTY_LOG makes the device offer DMA logging
 * (decided when the device is opened, as for migration).  A software
 * tracker sees the device's DMA set-up in its trapped registers and calls
 * bpf_vfmig_mark_dirty() for the pages the device writes, from any
 * callback, region hooks included; marks outside the logged ranges, or
 * while nothing is logged, are ignored.  A hardware tracker implements
 * log_start() (once per logged range), log_stop() and log_report(), in
 * which it reads its device's own log and marks what it finds; these run
 * in process context and may sleep.  A failing log_start() fails the
 * start; a failing log_report() fails the report.  If the program stops
 * while logging (detach, error), reports fail with -EIO, as the uAPI asks,
 * rather than miss pages.
 */

/**
 * DOC: Trap windows and mmap
 *
 * BAR pages that hold a window are withheld from mmap: the VFIO sparse-mmap
 * capability leaves them out, existing mappings are zapped, and the fault
 * handler never maps them, so touching one through a mapping raises
 * SIGBUS.  An mmap of a whole BAR is still accepted, as vfio-pci accepts
 * it: QEMU honours the sparse areas and never touches the holes, and
 * clients that map every BAR whole (the upstream VFIO selftest library)
 * can open the device and use the rest of it.  The rest of a trapped page
 * is served, through read and write, by vfio-pci.  Attach a program
 * before its device is opened: the VMM reads the BAR layout once.
 */

/**
 * struct vfmig_ops - the BPF struct_ops a vendor program implements
 * @bdf: target device "DDDD:BB:DD.F", written by the loader before load
 *       (the object names no device)
 * @name: program name shown in sysfs and written into saved streams;
 *        VFMIG_OPS() sets it to the ops' own name
 * @flags: %VFMIG_F_P2P and %VFMIG_F_PRE_COPY, the optional migration
 *         states the program supports, and %VFMIG_F_DIRTY_LOG, the device
 *         offers DMA logging
 * @version: version of the program's state format, written into the
 *           streams it saves
 * @min_version: oldest format load() reads (0: @version only); a stream
 *               saved by versions @min_version to @version is accepted
 * @any_device: written by the loader when the operator forces an object
 *              that declares no @ids (vfmig-load --force); ignored when
 *              it declares some
 * @ids: the PCI functions the program serves, up to %VFMIG_MAX_IDS (8);
 *       the kernel refuses an attach to any other
 * @wait_budget_ms: how long one invocation of a sleepable callback may
 *                  wait in bpf_vfmig_usleep() and bpf_vfmig_bar_poll(), in
 *                  all: 0 for %VFMIG_WAIT_BUDGET_MS_DEFAULT (1 s); the
 *                  attach is refused above %VFMIG_WAIT_BUDGET_MS_MAX
 *                  (10 s), and vfmig-load says so first
 * @abi: the vfmig ABI the program needs (%VFMIG_ABI_VERSION of the headers
 *       it was built with, set by VFMIG_OPS()); 0 is ABI 1.  A module of an
 *       older ABI refuses it (vfmig-load before loading, naming both; the
 *       kernel with -EPROTO, both versions in the log)
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
 * @prepare: on the destination, a pre-copy unit arrived and passed every
 *           check: set up what it allows before the switchover; load()
 *           then reads only the units after those prepare() got.  Needs
 *           load() and %VFMIG_F_PRE_COPY.  Process context, under the
 *           state mutex; may sleep; may refuse the unit (the stream is then
 *           never loaded, the device kept in RESUMING)
 *
 * One program serves one device: the struct_ops link carries no target,
 * so the target is data (@bdf), checked at attach.  Data members come
 * first (the loader finds @bdf by name in BTF); new members are only ever
 * appended, after @compat: 6.12's verifier takes a struct_ops member's
 * index for an attach type, and marks the pointer arguments of member 23
 * (BPF_TRACE_RAW_TP) maybe-NULL, so that index must stay @compat's, whose
 * programs check @dev and @src.  libbpf matches members by name at load,
 * so an object also loads into a later module that appended members.
 * The DOC sections of this file (rendered next in Documentation/contract.md
 * and vfmig-programs(7)) say in what context each callback runs, what it
 * may return, which arcs it may refuse and what runs concurrently.
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
	int (*prepare)(struct vfmig_dev *dev, struct vfmig_stream *stream);
};

#endif /* _KERNEL_VFMIG_OPS_H */
