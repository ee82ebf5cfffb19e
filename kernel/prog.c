// SPDX-License-Identifier: GPL-2.0
/*
 * Calling a program: every call from the module into a vfmig program goes
 * through here, and this is the one place that decides what each callback
 * may return.
 *
 * The 6.12 verifier does not bound what a struct_ops program returns, so a
 * return value is hostile input: a positive int must never become an
 * ERR_PTR, a file pointer or a count handed to user space.  The contract:
 * region hooks return 0, VFMIG_PASS or a negative errno; init, migration
 * and log callbacks return 0 or a negative errno; an errno is one user
 * space knows (1 to VFMIG_MAX_PROG_ERRNO).  set_state, save and load may
 * also return VFMIG_REFUSE(errno) where their caller says the arc may be
 * refused (see vfmig_arc_refusable()), prepare always (a unit it refuses
 * is never loaded, the device kept); compat() may also return
 * VFMIG_COMPATIBLE.  Anything else is a broken
 * contract and ends the program as bpf_vfmig_error(-EPROTO) would, with the
 * reason in sysfs last_error and the log; the caller sees -EIO.
 *
 * Callers hold what keeps the binding alive (mdev->srcu, or mdev->lock for
 * a binding not yet published).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ktime.h>
#include <linux/pci.h>

#include "internal.h"
#include "trace.h"

/**
 * vfmig_binding_fail() - a program gave up or broke its contract
 * @b: its binding
 * @err: a negative errno saying why; anything but -1..-511 becomes -EINVAL
 *
 * The first error wins: hooks stop, a migration in flight fails, the
 * device offers no migration when next opened, exit() is told @err.
 *
 * Context: any; @b is kept alive by the caller.
 */
void vfmig_binding_fail(struct vfmig_binding *b, int err)
{
	/* It reaches user space (ioctls, attach): only errnos it knows. */
	if (err >= 0 || err < -VFMIG_MAX_PROG_ERRNO)
		err = -EINVAL;
	if (cmpxchg(&b->error, 0, err))
		return;
	vfmig_hold_release(b->mdev, b, NULL, "error");
	vfmig_set_error(b->mdev, "program %s reported error %d: hooks and migration stopped",
			b->ops->name, err);
}

/*
 * A sleepable callback running, with its own budget for the waiting kfuncs
 * (bpf_vfmig_usleep(), bpf_vfmig_bar_poll()): the program's wait_budget_ms
 * from its start (checked at attach against VFMIG_WAIT_BUDGET_MS_MAX), so
 * a program polling its device in a loop still returns in bounded time.
 * It lives on the caller's stack from vfmig_call_begin() to
 * vfmig_call_end().
 */
struct vfmig_call {
	struct list_head node;		/* in vfmig_binding::calls */
	struct task_struct *task;
	u64 start;			/* ktime ns, for the trace */
	u64 deadline;			/* ktime ns */
};

static void vfmig_call_begin(struct vfmig_binding *b, struct vfmig_call *c)
{
	u32 ms = b->ops->wait_budget_ms ?: VFMIG_WAIT_BUDGET_MS_DEFAULT;

	c->task = current;
	c->start = ktime_get_ns();
	c->deadline = c->start + (u64)ms * NSEC_PER_MSEC;
	spin_lock(&b->calls_lock);
	list_add(&c->node, &b->calls);
	spin_unlock(&b->calls_lock);
}

/* The callback returned @ret: trace it; a hold it took ends with it. */
static void vfmig_call_end(struct vfmig_binding *b, struct vfmig_call *c,
			   const char *cb, s64 ret)
{
	spin_lock(&b->calls_lock);
	list_del(&c->node);
	spin_unlock(&b->calls_lock);
	vfmig_hold_release(b->mdev, b, c, "end");
	trace_vfmig_callback(b->mdev->dev.bdf, b->ops->name, cb, ret,
			     ktime_get_ns() - c->start);
}

/*
 * The innermost sleepable callback of @b the calling task runs, or NULL.
 * It lives on that task's stack until it returns, so the task may use it.
 */
static struct vfmig_call *vfmig_call_current(struct vfmig_binding *b)
{
	struct vfmig_call *c, *found = NULL;

	spin_lock(&b->calls_lock);
	list_for_each_entry(c, &b->calls, node) {
		if (c->task == current) {
			found = c;
			break;
		}
	}
	spin_unlock(&b->calls_lock);
	return found;
}

/**
 * vfmig_call_deadline() - the wait budget of the calling task's callback
 * @b: the binding whose program is running
 *
 * Each invocation of a sleepable callback has its own budget; this finds
 * the one of the innermost callback the current task runs.
 *
 * Return: its deadline in ktime ns, or 0 (no budget) when the task runs
 * no sleepable callback of @b.
 */
u64 vfmig_call_deadline(struct vfmig_binding *b)
{
	struct vfmig_call *c = vfmig_call_current(b);

	return c ? c->deadline : 0;
}

/**
 * vfmig_call_hold() - hold trapped accesses off for the calling callback
 * @b: the binding whose program is running
 *
 * Only a sleepable callback of a published binding may: not a region
 * hook (it would wait for its own access), nor init() or exit().
 *
 * Return: as vfmig_hold_take(), or -EPERM where no hold may be taken.
 */
int vfmig_call_hold(struct vfmig_binding *b)
{
	struct vfmig_call *c = vfmig_call_current(b);

	if (!c || READ_ONCE(b->in_init))
		return -EPERM;
	return vfmig_hold_take(b->mdev, b, c, c->deadline);
}

/**
 * vfmig_call_release() - end the calling callback's hold
 * @b: the binding whose program is running
 *
 * Return: 0, or -ENOENT if the callback holds nothing (any more).
 */
int vfmig_call_release(struct vfmig_binding *b)
{
	struct vfmig_call *c = vfmig_call_current(b);

	if (!c || !vfmig_hold_release(b->mdev, b, c, "release"))
		return -ENOENT;
	return 0;
}

/* A broken contract: stop the program, say which callback did what. */
static int vfmig_prog_broke(struct vfmig_binding *b, const char *cb, s64 ret)
{
	if (cmpxchg(&b->error, 0, -EPROTO))
		return -EIO;
	vfmig_hold_release(b->mdev, b, NULL, "error");
	vfmig_set_error(b->mdev, "program %s: %s returned %lld, outside its contract: stopped",
			b->ops->name, cb, ret);
	return -EIO;
}

enum vfmig_event {
	VFMIG_EVENT_OPEN,
	VFMIG_EVENT_CLOSE,
	VFMIG_EVENT_RESET,
};

/* 0 or an errno user space knows pass; anything else breaks the contract. */
static int vfmig_prog_ret(struct vfmig_binding *b, const char *cb, int ret)
{
	if (ret == 0 || (ret < 0 && ret >= -VFMIG_MAX_PROG_ERRNO))
		return ret;
	return vfmig_prog_broke(b, cb, ret);
}

/* A migration callback: VFMIG_REFUSE() passes too, where @may_refuse. */
static int vfmig_mig_ret(struct vfmig_binding *b, const char *cb, int ret,
			 bool may_refuse)
{
	if (may_refuse && vfmig_is_refusal(ret))
		return ret;
	return vfmig_prog_ret(b, cb, ret);
}

/**
 * vfmig_call_init() - run init() of a binding being attached
 * @b: the binding, not yet published, its device's lock held
 *
 * Windows may be declared while it runs.  A bpf_vfmig_error() from init()
 * refuses the attach like a non-zero return.
 *
 * Return: 0, or the negative errno that refuses the attach (-EPROTO for
 * a value outside the contract).
 */
int vfmig_call_init(struct vfmig_binding *b)
{
	struct vfmig_call c;
	int ret;

	if (!b->ops->init)
		return 0;
	WRITE_ONCE(b->in_init, true);
	vfmig_call_begin(b, &c);
	ret = b->ops->init(&b->dev);
	vfmig_call_end(b, &c, "init", ret);
	WRITE_ONCE(b->in_init, false);
	if (ret > 0 || ret < -VFMIG_MAX_PROG_ERRNO)
		vfmig_prog_broke(b, "init", ret);
	return READ_ONCE(b->error) ?: ret;
}

/**
 * vfmig_call_exit() - tell a program it no longer serves its device
 * @b: the binding, unpublished, no callback of it still running
 * @reason: an &enum vfmig_exit_reason
 * @error: the error that ended it, or 0 (the binding's own error wins)
 */
void vfmig_call_exit(struct vfmig_binding *b, u32 reason, int error)
{
	struct vfmig_exit_info info = { .reason = reason, .error = error };
	struct vfmig_call c;

	if (b->error) {
		info.error = b->error;
		if (reason == VFMIG_EXIT_DETACH)
			info.reason = VFMIG_EXIT_ERROR;
	}
	if (!b->ops->exit)
		return;
	vfmig_call_begin(b, &c);
	b->ops->exit(&b->dev, &info);
	vfmig_call_end(b, &c, "exit", 0);
}

/**
 * vfmig_call_region() - offer one piece of a trapped access to a hook
 * @b: the binding serving the device
 * @acc: the piece; @acc->value is filled by a handled read
 * @iswrite: region_write rather than region_read
 *
 * Return: 0 (handled), %VFMIG_PASS, or a negative errno for the caller.
 */
int vfmig_call_region(struct vfmig_binding *b, struct vfmig_access *acc,
		      bool iswrite)
{
	/* The hot path: no clock read unless someone traces. */
	u64 start = trace_vfmig_callback_enabled() ? ktime_get_ns() : 0;
	int ret;

	if (iswrite && b->ops->region_write)
		ret = b->ops->region_write(&b->dev, acc);
	else if (!iswrite && b->ops->region_read)
		ret = b->ops->region_read(&b->dev, acc);
	else
		return VFMIG_PASS;
	if (start)
		trace_vfmig_callback(b->mdev->dev.bdf, b->ops->name,
				     iswrite ? "region_write" : "region_read",
				     ret, ktime_get_ns() - start);
	if (ret == VFMIG_PASS)
		return ret;
	return vfmig_prog_ret(b, iswrite ? "region_write" : "region_read", ret);
}

/**
 * vfmig_call_set_state() - tell the program of one direct migration arc
 * @b: the binding
 * @from: current &enum vfio_device_mig_state
 * @to: next state
 * @may_refuse: the arc may be refused
 *
 * Return: 0, a negative errno (the arc fails to ERROR), or, where
 * @may_refuse, the program's VFMIG_REFUSE() (the arc fails, the device
 * stays in @from).
 */
int vfmig_call_set_state(struct vfmig_binding *b, u32 from, u32 to,
			 bool may_refuse)
{
	struct vfmig_call c;
	int ret;

	if (!b->ops->set_state)		/* validate() requires it */
		return -EINVAL;
	vfmig_call_begin(b, &c);
	ret = b->ops->set_state(&b->dev, from, to);
	vfmig_call_end(b, &c, "set_state", ret);
	return vfmig_mig_ret(b, "set_state", ret, may_refuse);
}

/**
 * vfmig_call_save() - let the program append its state
 * @b: the binding
 * @stream: the stream being written
 * @may_refuse: the arc it is called for may be refused
 *
 * Return: 0, a negative errno, or, where @may_refuse, VFMIG_REFUSE().
 */
int vfmig_call_save(struct vfmig_binding *b, struct vfmig_stream *stream,
		    bool may_refuse)
{
	struct vfmig_call c;
	int ret;

	vfmig_call_begin(b, &c);
	ret = b->ops->save(&b->dev, stream);
	vfmig_call_end(b, &c, "save", ret);
	return vfmig_mig_ret(b, "save", ret, may_refuse);
}

/**
 * vfmig_call_load() - let the program restore its state
 * @b: the binding
 * @stream: the validated stream
 * @may_refuse: the arc it is called for may be refused
 *
 * Return: 0, a negative errno, or, where @may_refuse, VFMIG_REFUSE().
 */
int vfmig_call_load(struct vfmig_binding *b, struct vfmig_stream *stream,
		    bool may_refuse)
{
	struct vfmig_call c;
	int ret;

	vfmig_call_begin(b, &c);
	ret = b->ops->load(&b->dev, stream);
	vfmig_call_end(b, &c, "load", ret);
	return vfmig_mig_ret(b, "load", ret, may_refuse);
}

/**
 * vfmig_call_prepare() - hand the program a pre-copy unit on the destination
 * @b: the binding, with prepare()
 * @stream: the checked unit, to be read
 *
 * Normalised as load() on an arc it may refuse: prepare() may refuse the
 * unit, keeping the device, as load() may refuse the stream.
 *
 * Return: 0, a negative errno, or VFMIG_REFUSE().
 */
int vfmig_call_prepare(struct vfmig_binding *b, struct vfmig_stream *stream)
{
	struct vfmig_call c;
	int ret;

	vfmig_call_begin(b, &c);
	ret = b->ops->prepare(&b->dev, stream);
	vfmig_call_end(b, &c, "prepare", ret);
	return vfmig_mig_ret(b, "prepare", ret, true);
}

/**
 * vfmig_call_state_size() - the program's estimate of its state
 * @b: the binding
 *
 * Return: the estimate, capped at vfmig.max_state_mb: no program can make
 * the kernel or a VMM size a buffer past what a save may produce.
 */
u64 vfmig_call_state_size(struct vfmig_binding *b)
{
	u64 max = (u64)READ_ONCE(vfmig_max_state_mb) << 20, size;
	struct vfmig_call c;

	if (!b->ops->state_size)
		return 0;
	vfmig_call_begin(b, &c);
	size = b->ops->state_size(&b->dev);
	vfmig_call_end(b, &c, "state_size", size);
	return min(size, max);
}

/**
 * vfmig_call_compat() - may the device load a stream saved at @src?
 * @b: the binding, its device's state mutex held
 * @src: what the stream's header says of its origin
 *
 * Return: %VFMIG_COMPATIBLE (take it), 0 (no compat(), or the program
 * keeps the default: equal ids), a negative errno the program refuses
 * the stream with, or -EIO when it broke the contract (it is stopped).
 */
int vfmig_call_compat(struct vfmig_binding *b, struct vfmig_origin *src)
{
	struct vfmig_call c;
	int ret;

	if (!b->ops->compat)
		return 0;
	vfmig_call_begin(b, &c);
	ret = b->ops->compat(&b->dev, src);
	vfmig_call_end(b, &c, "compat", ret);
	if (ret == VFMIG_COMPATIBLE)
		return ret;
	return vfmig_prog_ret(b, "compat", ret);
}

/**
 * vfmig_call_log_start() - a hardware tracker starts logging a range
 * @b: the binding
 * @iova: first byte of the range
 * @length: its length
 * @page_size: the log's granule
 *
 * Return: 0 or a negative errno (the start fails).
 */
int vfmig_call_log_start(struct vfmig_binding *b, u64 iova, u64 length,
			 u64 page_size)
{
	struct vfmig_call c;
	int ret;

	if (!b->ops->log_start)
		return 0;
	vfmig_call_begin(b, &c);
	ret = b->ops->log_start(&b->dev, iova, length, page_size);
	vfmig_call_end(b, &c, "log_start", ret);
	return vfmig_prog_ret(b, "log_start", ret);
}

/**
 * vfmig_call_log_stop() - a hardware tracker stops logging
 * @b: the binding
 */
void vfmig_call_log_stop(struct vfmig_binding *b)
{
	struct vfmig_call c;

	if (!b->ops->log_stop)
		return;
	vfmig_call_begin(b, &c);
	b->ops->log_stop(&b->dev);
	vfmig_call_end(b, &c, "log_stop", 0);
}

/**
 * vfmig_call_log_report() - a hardware tracker marks what its device logged
 * @b: the binding
 * @iova: first byte reported
 * @length: bytes reported
 *
 * Return: 0 or a negative errno (the report fails).
 */
int vfmig_call_log_report(struct vfmig_binding *b, u64 iova, u64 length)
{
	struct vfmig_call c;
	int ret;

	if (!b->ops->log_report)
		return 0;
	vfmig_call_begin(b, &c);
	ret = b->ops->log_report(&b->dev, iova, length);
	vfmig_call_end(b, &c, "log_report", ret);
	return vfmig_prog_ret(b, "log_report", ret);
}

/* Run a notification of the device's current program, if it serves. */
static void vfmig_notify(struct vfmig_device *mdev, enum vfmig_event event)
{
	static const char *const names[] = {
		[VFMIG_EVENT_OPEN] = "open",
		[VFMIG_EVENT_CLOSE] = "close",
		[VFMIG_EVENT_RESET] = "reset",
	};
	void (*cb)(struct vfmig_dev *dev) = NULL;
	struct vfmig_binding *b;
	struct vfmig_call c;
	int idx;

	idx = srcu_read_lock(&mdev->srcu);
	b = srcu_dereference(mdev->binding, &mdev->srcu);
	if (b && !READ_ONCE(b->error)) {
		switch (event) {
		case VFMIG_EVENT_OPEN:
			cb = b->ops->open;
			break;
		case VFMIG_EVENT_CLOSE:
			cb = b->ops->close;
			break;
		case VFMIG_EVENT_RESET:
			cb = b->ops->reset;
			break;
		}
		if (cb) {
			vfmig_call_begin(b, &c);
			cb(&b->dev);
			vfmig_call_end(b, &c, names[event], 0);
		}
	}
	srcu_read_unlock(&mdev->srcu, idx);
}

/**
 * vfmig_notify_open() - the device's first user opened it
 * @mdev: the device
 */
void vfmig_notify_open(struct vfmig_device *mdev)
{
	vfmig_notify(mdev, VFMIG_EVENT_OPEN);
}

/**
 * vfmig_notify_close() - the device's last user is closing it
 * @mdev: the device
 */
void vfmig_notify_close(struct vfmig_device *mdev)
{
	vfmig_notify(mdev, VFMIG_EVENT_CLOSE);
}

/**
 * vfmig_notify_reset() - the device was reset: tell the program
 * @mdev: the device
 *
 * Context: process, after the migration state took the reset.
 */
void vfmig_notify_reset(struct vfmig_device *mdev)
{
	vfmig_notify(mdev, VFMIG_EVENT_RESET);
}

/**
 * vfmig_hook_piece() - offer one aligned piece of an access to the program
 * @mdev: the device
 * @b: its binding, under @mdev->srcu
 * @data: the piece's bytes, little-endian: those the user writes, or on
 *        return those the program gives for a read
 * @index: the region index the program is told
 * @pos: the piece's offset in the region
 * @size: 1, 2, 4 or 8, with @pos a multiple of it
 * @iswrite: a write
 *
 * Runs in the user's process context (its read or write of the region),
 * holding nothing but @mdev->srcu: a hook may be sleepable (one that reads
 * guest memory with bpf_vfmig_dma_read() must be); a non-sleepable one
 * runs under the trampoline's RCU, where the kfuncs never wait.  The
 * caller copies the user's bytes, never waiting on a page fault under
 * @mdev->srcu: a detach waits for it.
 *
 * Return: the bytes handled, 0 when the program passed the piece to
 * vfio-pci, or -errno.
 */
ssize_t vfmig_hook_piece(struct vfmig_device *mdev, struct vfmig_binding *b,
			 __le64 *data, u32 index, u64 pos, size_t size,
			 bool iswrite)
{
	struct vfmig_access acc = { .index = index, .offset = pos, .size = size };
	int ret;

	if (iswrite)
		acc.value = le64_to_cpu(*data);

	ret = vfmig_call_region(b, &acc, iswrite);
	if (ret == VFMIG_PASS) {
		this_cpu_inc(mdev->stats->passed);
		return 0;
	}
	if (ret < 0) {
		this_cpu_inc(mdev->stats->failed);
		return ret;
	}
	this_cpu_inc(mdev->stats->hooked);

	if (!iswrite)
		*data = cpu_to_le64(acc.value);
	return size;
}
