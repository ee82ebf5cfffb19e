// SPDX-License-Identifier: GPL-2.0
/*
 * Holding trapped accesses off while a program quiesces its device.
 *
 * Region hooks run under the device's SRCU, in the user's read or write,
 * while set_state(), save() and load() run under the state mutex: nothing
 * orders a guest's doorbell against a quiesce.  A sleepable migration
 * callback may therefore hold trapped accesses off for a while
 * (bpf_vfmig_hold_accesses()): the sections of region accesses that meet
 * a trap window and are already running drain first, new ones wait, with
 * nothing held, until the hold ends, then proceed.  mlx5, pds and
 * hisi_acc do the same with locks of their own around their quiesce; a
 * program gets it bounded instead:
 *
 * - it ends at bpf_vfmig_release_accesses(), at the end of the callback
 *   that took it, when that callback's wait budget is spent (the waiters
 *   go on by themselves, even if the callback still runs), and on a
 *   detach, a reset, the device's close or the program's error;
 * - a waiter waits interruptibly, holding no lock, no SRCU, no user page;
 * - the holder waits for sections that run with page faults off and take
 *   no lock of the migration path, so the drain is short, and bounded by
 *   the budget anyway.
 *
 * Accesses through an mmap of a BAR never reach the driver: only trapped
 * pages, which are never mapped, can be held.
 *
 * The access side and the holder order themselves as in Dekker's
 * algorithm: an access counts itself in @active, then looks at @held; the
 * holder sets @held, then looks at @active.  One of the two sees the
 * other.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ktime.h>
#include <linux/pci.h>
#include <linux/sched/signal.h>

#include "internal.h"
#include "trace.h"

/**
 * vfmig_hold_init() - set up a device's hold
 * @h: the hold
 */
void vfmig_hold_init(struct vfmig_hold *h)
{
	spin_lock_init(&h->lock);
	atomic_set(&h->active, 0);
	init_waitqueue_head(&h->wq);
}

/**
 * vfmig_hold_exit() - a trapped access section is done
 * @h: the device's hold
 */
void vfmig_hold_exit(struct vfmig_hold *h)
{
	/* Fully ordered: a holder that set @held before is woken. */
	if (atomic_dec_and_test(&h->active) && READ_ONCE(h->held))
		wake_up_all(&h->wq);
}

/**
 * vfmig_hold_enter() - may a section of trapped accesses run now?
 * @h: the device's hold
 *
 * Context: under the device's SRCU, which a detach waits for: so never
 * waits here.  On true the caller runs the section, then calls
 * vfmig_hold_exit(); on false it leaves the SRCU section and calls
 * vfmig_hold_wait().
 *
 * Return: true if not held (or the hold's time is up).
 */
bool vfmig_hold_enter(struct vfmig_hold *h)
{
	atomic_inc(&h->active);
	smp_mb__after_atomic();		/* @active before @held */
	if (likely(!READ_ONCE(h->held)) ||
	    ktime_get_ns() >= READ_ONCE(h->until))
		return true;
	vfmig_hold_exit(h);
	return false;
}

/**
 * vfmig_hold_wait() - wait, holding nothing, for a hold to end
 * @h: the device's hold
 *
 * Return: 0 when it ended (or ran out of time), -ERESTARTSYS on a signal.
 */
int vfmig_hold_wait(struct vfmig_hold *h)
{
	u64 until = READ_ONCE(h->until), now = ktime_get_ns();
	long left;

	if (now >= until)
		return 0;
	left = wait_event_interruptible_timeout(h->wq, !READ_ONCE(h->held) ||
						ktime_get_ns() >= until,
						nsecs_to_jiffies(until - now) + 1);
	return left < 0 ? -ERESTARTSYS : 0;
}

/**
 * vfmig_hold_release() - end a hold, if it is the one meant
 * @mdev: the device
 * @b: end it only if this binding holds it, or NULL for any
 * @call: end it only if this invocation holds it, or NULL for any
 * @why: for the trace: "release", "end", "detach", "error", "reset", "close"
 *
 * Context: any; takes a spinlock.
 * Return: true if a hold ended.
 */
bool vfmig_hold_release(struct vfmig_device *mdev,
			const struct vfmig_binding *b, const void *call,
			const char *why)
{
	struct vfmig_hold *h = &mdev->hold;
	bool ended = false;

	if (!READ_ONCE(h->held))
		return false;
	spin_lock(&h->lock);
	if (h->held && (!b || h->owner == b) && (!call || h->call == call)) {
		WRITE_ONCE(h->held, false);
		h->owner = NULL;
		h->call = NULL;
		ended = true;
	}
	spin_unlock(&h->lock);
	if (ended) {
		wake_up_all(&h->wq);
		trace_vfmig_hold(mdev->dev.bdf, why, 0, 0);
	}
	return ended;
}

/**
 * vfmig_hold_take() - hold trapped accesses off for a callback
 * @mdev: the device
 * @b: the binding whose callback asks
 * @call: that callback's invocation, a token
 * @until: when the hold ends by itself (the callback's deadline, ktime ns)
 *
 * Context: the callback's task, sleepable, under the device's SRCU and,
 * for migration callbacks, the state mutex.  Never inside a region
 * access: the caller has checked it runs no region hook.
 * Return: 0 once held and drained (or already held by @call); -EBUSY if
 * another callback holds; -ENODEV if @b is being detached or failed;
 * -ETIMEDOUT if the budget is spent or the accesses did not drain in it;
 * -EINTR on a signal; -ECANCELED if a reset or detach ended it meanwhile.
 * On error nothing is held.
 */
int vfmig_hold_take(struct vfmig_device *mdev, struct vfmig_binding *b,
		    const void *call, u64 until)
{
	struct vfmig_hold *h = &mdev->hold;
	u64 start = ktime_get_ns();
	long left;
	int ret = 0;

	spin_lock(&h->lock);
	/* Under @lock: a detach sets stopping, then releases under it. */
	if (READ_ONCE(b->stopping) || READ_ONCE(b->error)) {
		ret = -ENODEV;
	} else if (h->held) {
		ret = h->call == call ? 1 : -EBUSY;
	} else if (start >= until) {
		ret = -ETIMEDOUT;
	} else {
		h->owner = b;
		h->call = call;
		WRITE_ONCE(h->until, until);
		WRITE_ONCE(h->held, true);
	}
	spin_unlock(&h->lock);
	if (ret)
		return ret > 0 ? 0 : ret;

	smp_mb();			/* @held before @active */
	left = wait_event_interruptible_timeout(h->wq,
						!atomic_read(&h->active) ||
						!READ_ONCE(h->held),
						nsecs_to_jiffies(until - start) + 1);
	if (!READ_ONCE(h->held))
		ret = -ECANCELED;
	else if (left < 0)
		ret = -EINTR;
	else if (!left && atomic_read(&h->active))
		ret = -ETIMEDOUT;
	if (ret)
		vfmig_hold_release(mdev, b, call, "failed");
	trace_vfmig_hold(mdev->dev.bdf, "hold", ret, ktime_get_ns() - start);
	return ret;
}
