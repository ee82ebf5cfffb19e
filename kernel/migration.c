// SPDX-License-Identifier: GPL-2.0
/*
 * VFIO migration (uAPI v2) for vfmig-pci devices, driven by the program.
 *
 * The FSM is the kernel's: vfio_mig_get_next_state() walks any request
 * through direct arcs and vfmig_step() implements each one.  The program
 * is told every arc (set_state), fills the state on the way to STOP_COPY
 * or PRE_COPY (save) and restores it on RESUMING -> STOP (load), after the
 * module has validated the whole incoming stream.  A program error, or the
 * program going away mid-migration, ends in ERROR with the data fd closed;
 * only VFIO_DEVICE_RESET (or closing the device) leaves ERROR.  A program
 * may instead refuse the arcs that begin or end a session (see
 * vfmig_arc_refusable()), promising it changed nothing: the request fails
 * and the device stays where the arc began.
 *
 * Which states a device offers is decided when it is opened, from the
 * program attached then: the VFIO core reads mig_ops on every ioctl, so
 * they may only change while nobody has the device open.
 *
 * Resets use the deferred-reset pattern of mlx5 and pds: reset_done() runs
 * with vfio-pci's memory_lock held for write, while the state mutex is
 * held across the program's callbacks, whose BAR kfuncs take memory_lock,
 * so it only flags the reset and whoever unlocks the mutex applies it.
 * It does not apply it even when the mutex is free, which would order the
 * state mutex and the data fds' locks under memory_lock: the reset work
 * does, just after, out of the reset path; VFIO_DEVICE_RESET waits for it.
 *
 * Locks, outermost first: mdev->lock (attach, detach), state_mutex, a
 * data fd's lock (vfmig_mig_detached() disables the fds under the first
 * two).  None of them, nor the device's SRCU, is held across a copy to or
 * from user memory: a data fd's read() copies out of a held page of the
 * buffer and its write() through a bounce page, holding only the fd's
 * io_lock, which nothing but the fd's own reads and writes take.  So a
 * user fault that never ends (FUSE, userfaultfd, a suspended device
 * mapper volume) keeps no detach waiting, nor the BPF core's struct_ops
 * mutex (or the device lock of an unbind) under which a detach runs.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/highmem.h>
#include <linux/pci.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>

#include "internal.h"
#include "trace.h"

static const struct vfio_migration_ops vfmig_mig_ops;

static const char *const vfmig_state_names[] = VFMIG_MIG_STATE_NAMES;

/**
 * vfmig_mig_state_name() - a migration state as sysfs shows it
 * @state: the state
 *
 * Return: its name.
 */
const char *vfmig_mig_state_name(enum vfio_device_mig_state state)
{
	if (state < ARRAY_SIZE(vfmig_state_names) && vfmig_state_names[state])
		return vfmig_state_names[state];
	return "unknown";
}

static void vfmig_data_disable(struct vfmig_data **slot)
{
	struct vfmig_data *d = *slot;

	if (!d)
		return;
	mutex_lock(&d->lock);
	d->disabled = true;
	vfmig_data_free_pages(d);
	mutex_unlock(&d->lock);
	fput(d->filp);
	*slot = NULL;
}

static void vfmig_disable_fds(struct vfmig_device *mdev)
{
	lockdep_assert_held(&mdev->mig.state_mutex);
	vfmig_data_disable(&mdev->mig.saving);
	vfmig_data_disable(&mdev->mig.resuming);
}

/* Every unlock of state_mutex goes here, to apply a deferred reset. */
static void vfmig_state_mutex_unlock(struct vfmig_device *mdev)
{
again:
	spin_lock(&mdev->mig.reset_lock);
	if (mdev->mig.deferred_reset) {
		mdev->mig.deferred_reset = false;
		spin_unlock(&mdev->mig.reset_lock);
		if (mdev->mig.state != VFIO_DEVICE_STATE_RUNNING)
			trace_vfmig_state(mdev->dev.bdf, mdev->mig.state,
					  VFIO_DEVICE_STATE_RUNNING);
		mdev->mig.state = VFIO_DEVICE_STATE_RUNNING;
		vfmig_disable_fds(mdev);
		goto again;
	}
	mutex_unlock(&mdev->mig.state_mutex);
	spin_unlock(&mdev->mig.reset_lock);
}

/**
 * vfmig_mig_reset() - the device was reset: back to RUNNING, fds closed
 * @mdev: the device
 *
 * Only flags it: the next unlock of the state mutex applies it, and
 * vfmig_mig_reset_apply() makes that happen soon.
 *
 * Context: any, takes no sleeping lock (see file comment).
 */
void vfmig_mig_reset(struct vfmig_device *mdev)
{
	spin_lock(&mdev->mig.reset_lock);
	mdev->mig.deferred_reset = true;
	spin_unlock(&mdev->mig.reset_lock);
	vfmig_hold_release(mdev, NULL, NULL, "reset");
}

/* Apply a flagged reset now; no lock of the reset path or a data fd held. */
static void vfmig_mig_reset_apply(struct vfmig_device *mdev)
{
	mutex_lock(&mdev->mig.state_mutex);
	vfmig_state_mutex_unlock(mdev);
}

/**
 * vfmig_reset_work() - finish a reset: migration state, then the program
 * @work: &vfmig_device.reset_work
 *
 * Queued by reset_done, which runs inside the reset with vfio-pci's memory
 * lock and the config access lock held: closing the data fds there, or a
 * program's BAR or config kfunc, would deadlock, so both happen just after.
 */
void vfmig_reset_work(struct work_struct *work)
{
	struct vfmig_device *mdev = container_of(work, struct vfmig_device,
						 reset_work);

	vfmig_mig_reset_apply(mdev);
	vfmig_notify_reset(mdev);
}

static void vfmig_reset_done(struct pci_dev *pdev)
{
	struct vfio_pci_core_device *core = dev_get_drvdata(&pdev->dev);
	struct vfmig_device *mdev;

	if (!core)
		return;
	mdev = to_vfmig(&core->vdev);
	vfmig_mig_reset(mdev);
	queue_work(system_wq, &mdev->reset_work);
}

const struct pci_error_handlers vfmig_err_handlers = {
	.reset_done = vfmig_reset_done,
	.error_detected = vfio_pci_core_aer_err_detected,
};

/* ---- data fds ----------------------------------------------------------- */

static int vfmig_data_release(struct inode *inode, struct file *filp)
{
	struct vfmig_data *d = filp->private_data;

	vfmig_data_free_pages(d);
	mutex_destroy(&d->lock);
	mutex_destroy(&d->io_lock);
	put_device(&d->mdev->core.vdev.device);
	kfree(d);
	return 0;
}

/*
 * Copy to @buf what one page holds of the sealed bytes at the read
 * position.  The copy holds only the page, not @d->lock, so a user fault
 * that takes as long as the user likes keeps no detach waiting; the
 * position moves past what reached the user, or, if the fd was disabled
 * meanwhile, the read fails as it would have a moment later.
 */
static ssize_t vfmig_save_read_page(struct vfmig_data *d, char __user *buf,
				    size_t len)
{
	struct page *page = NULL;
	size_t in_page = 0, left;
	ssize_t ret;
	void *p;

	mutex_lock(&d->lock);
	if (d->disabled) {
		ret = -ENODEV;
	} else if (d->pos == d->ready) {
		/* End of what is sealed: for good, or until STOP_COPY. */
		ret = d->final ? 0 : -ENOMSG;
	} else {
		in_page = offset_in_page(d->pos);
		len = min3(len, PAGE_SIZE - in_page, (size_t)(d->ready - d->pos));
		page = vfmig_data_get_page(d, d->pos);
		ret = page ? 0 : -EINVAL;
	}
	mutex_unlock(&d->lock);
	if (!page)
		return ret;

	p = kmap_local_page(page);
	left = copy_to_user(buf, p + in_page, len);
	kunmap_local(p);
	put_page(page);
	if (left == len)
		return -EFAULT;

	mutex_lock(&d->lock);
	if (d->disabled) {
		ret = -ENODEV;
	} else {
		d->pos += len - left;
		ret = len - left;
	}
	mutex_unlock(&d->lock);
	return ret;
}

static ssize_t vfmig_save_read(struct file *filp, char __user *buf,
			       size_t len, loff_t *pos)
{
	struct vfmig_data *d = filp->private_data;
	size_t done = 0;
	ssize_t ret = 0;

	if (pos)
		return -ESPIPE;

	if (mutex_lock_killable(&d->io_lock))
		return -EINTR;
	while (done < len) {
		ret = vfmig_save_read_page(d, buf + done, len - done);
		if (ret <= 0)
			break;
		done += ret;
	}
	mutex_unlock(&d->io_lock);
	trace_vfmig_data(d->mdev->dev.bdf, false, len, done ?: ret);
	return done ?: ret;
}

static long vfmig_precopy_info(struct vfmig_data *d, unsigned long arg)
{
	unsigned long minsz = offsetofend(struct vfio_precopy_info, dirty_bytes);
	struct vfmig_device *mdev = d->mdev;
	struct vfio_precopy_info info;
	int ret = 0;

	if (copy_from_user(&info, (void __user *)arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	if (READ_ONCE(d->disabled))	/* the device may be closed or gone */
		return -ENODEV;

	mutex_lock(&mdev->mig.state_mutex);
	if (mdev->mig.state != VFIO_DEVICE_STATE_PRE_COPY &&
	    mdev->mig.state != VFIO_DEVICE_STATE_PRE_COPY_P2P) {
		ret = -EINVAL;
		goto out;
	}
	mutex_lock(&d->lock);
	if (d->disabled) {
		ret = -ENODEV;
	} else {
		/* The program gives all pre-copy data at once: no dirty part. */
		info.initial_bytes = d->ready - d->pos;
		info.dirty_bytes = 0;
	}
	mutex_unlock(&d->lock);
out:
	vfmig_state_mutex_unlock(mdev);
	if (ret)
		return ret;
	return copy_to_user((void __user *)arg, &info, minsz) ? -EFAULT : 0;
}

static long vfmig_save_ioctl(struct file *filp, unsigned int cmd,
			     unsigned long arg)
{
	if (cmd != VFIO_MIG_GET_PRECOPY_INFO)
		return -ENOTTY;
	return vfmig_precopy_info(filp->private_data, arg);
}

/*
 * Append @len bytes the user wrote, and check the headers they complete.
 * *@prepare says whether a unit may now wait for the program's prepare().
 */
static int vfmig_resume_append(struct vfmig_data *d, const void *src,
			       size_t len, bool *prepare)
{
	struct vfmig_device *mdev = d->mdev;
	const char *reason = NULL;
	struct vfmig_binding *b;
	int idx, ret;

	idx = srcu_read_lock(&mdev->srcu);
	b = srcu_dereference(mdev->binding, &mdev->srcu);
	mutex_lock(&d->lock);
	if (d->disabled)
		ret = -ENODEV;
	else
		ret = d->refused ?: vfmig_data_write(d, src, len) ?:
		      vfmig_data_check_arrived(d, &reason);
	/* A program without prepare() costs the writer nothing more. */
	*prepare = !ret && b && b->ops->prepare && !d->prep_done &&
		   d->prep_end < d->unit_start;
	mutex_unlock(&d->lock);
	srcu_read_unlock(&mdev->srcu, idx);
	if (reason)
		vfmig_set_error(mdev, "refused migration stream: %s", reason);
	return ret;
}

/*
 * prepare() failed on unit @unit with @ret: say why; the stream is never
 * loaded.  A refusal keeps the device in RESUMING, its fd answering every
 * write and the arc to STOP with the errno (the program promised it left
 * nothing a next session relies on); anything else is a device in doubt:
 * ERROR, its fds closed, as a failed load() leaves it.  A reset or the
 * device's close leaves both.
 */
static int vfmig_prepare_failed(struct vfmig_device *mdev,
				struct vfmig_binding *b, struct vfmig_data *d,
				unsigned int unit, int ret)
{
	if (vfmig_is_refusal(ret) && !READ_ONCE(b->error)) {
		ret = vfmig_refusal_errno(ret);
		mutex_lock(&d->lock);
		d->refused = ret;
		mutex_unlock(&d->lock);
		vfmig_set_error(mdev,
				"program %s refused pre-copy unit %u in prepare(): %d; device kept in resuming, stream not loaded",
				b->ops->name, unit, ret);
		return ret;
	}
	/* A program that stopped (its error, a broken contract) said why. */
	if (!READ_ONCE(b->error))
		vfmig_set_error(mdev,
				"program %s failed prepare() of pre-copy unit %u: %d; device in error",
				b->ops->name, unit, ret);
	trace_vfmig_state(mdev->dev.bdf, mdev->mig.state,
			  VFIO_DEVICE_STATE_ERROR);
	mdev->mig.state = VFIO_DEVICE_STATE_ERROR;
	vfmig_disable_fds(mdev);
	return ret;
}

/*
 * Hand the pre-copy units that arrived whole to the program's prepare(),
 * one at a time, in order, each once it passed the checks load() would
 * make of it (vfmig_data_next_prepare() and compat()): the destination
 * sets up while the source still runs, and load() has only the rest to
 * do in the downtime.  Under the state mutex, as every migration
 * callback, with the writer's bytes already copied in: no user memory is
 * touched here.  The arc to STOP (which validates and loads) and a detach
 * or reset (which disable the fd) wait for it, for at most the program's
 * wait budget.
 */
static int vfmig_resume_prepare(struct vfmig_data *d)
{
	struct vfmig_device *mdev = d->mdev;
	const char *reason = NULL;
	struct vfmig_binding *b;
	unsigned int unit;
	int idx, ret = 0;

	mutex_lock(&mdev->mig.state_mutex);
	idx = srcu_read_lock(&mdev->srcu);
	b = srcu_dereference(mdev->binding, &mdev->srcu);
	/* A stopped program leaves the units to the arc, which fails. */
	while (mdev->mig.resuming == d && b && b->ops->prepare &&
	       !READ_ONCE(b->error)) {
		reason = NULL;
		mutex_lock(&d->lock);
		ret = d->disabled ? -ENODEV : vfmig_data_next_prepare(d, &reason);
		unit = d->prepared;
		mutex_unlock(&d->lock);
		if (ret <= 0)
			break;
		if (!unit)	/* every unit has the first one's origin */
			ret = vfmig_data_compat(d, true, &reason);
		if (ret) {
			mutex_lock(&d->lock);
			d->prep_done = true;
			d->stream.phase = 0;
			mutex_unlock(&d->lock);
			break;
		}

		mutex_lock(&d->lock);
		d->prog = b;
		mutex_unlock(&d->lock);
		ret = vfmig_call_prepare(b, &d->stream);
		if (!ret)
			ret = READ_ONCE(b->error);
		mutex_lock(&d->lock);
		d->prog = NULL;
		d->stream.phase = 0;
		if (!ret) {
			d->prepared++;
			d->prep_end = d->prep.units[unit].payload_offset +
				      d->prep.units[unit].payload_len;
		}
		mutex_unlock(&d->lock);
		if (ret) {
			ret = vfmig_prepare_failed(mdev, b, d, unit, ret);
			break;
		}
	}
	srcu_read_unlock(&mdev->srcu, idx);
	vfmig_state_mutex_unlock(mdev);
	if (ret < 0 && reason)
		vfmig_set_error(mdev, "refused migration stream: %s", reason);
	return ret < 0 ? ret : 0;
}

/*
 * The user's bytes come through a bounce page, copied in with no lock but
 * @d->io_lock held, so a user fault keeps no detach waiting.  A fault
 * part-way makes a short write of what was appended.
 */
static ssize_t vfmig_resume_write(struct file *filp, const char __user *buf,
				  size_t len, loff_t *pos)
{
	struct vfmig_data *d = filp->private_data;
	size_t done = 0, n, left;
	void *bounce;
	int ret = 0;

	if (pos)
		return -ESPIPE;

	bounce = (void *)__get_free_page(GFP_KERNEL_ACCOUNT);
	if (!bounce)
		return -ENOMEM;
	if (mutex_lock_killable(&d->io_lock)) {
		free_page((unsigned long)bounce);
		return -EINTR;
	}
	while (done < len) {
		bool prepare = false;

		n = min_t(size_t, len - done, PAGE_SIZE);
		left = copy_from_user(bounce, buf + done, n);
		if (left < n)
			ret = vfmig_resume_append(d, bounce, n - left, &prepare);
		if (!ret && prepare)
			ret = vfmig_resume_prepare(d);
		if (!ret && left)
			ret = -EFAULT;
		if (!ret || ret == -EFAULT)
			done += n - left;
		if (ret)
			break;
	}
	mutex_unlock(&d->io_lock);
	free_page((unsigned long)bounce);
	if (ret == -EFAULT && done)
		ret = 0;
	trace_vfmig_data(d->mdev->dev.bdf, true, len, ret ?: done);
	return ret ?: done;
}

static const struct file_operations vfmig_save_fops = {
	.owner = THIS_MODULE,
	.read = vfmig_save_read,
	.unlocked_ioctl = vfmig_save_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.release = vfmig_data_release,
};

static const struct file_operations vfmig_resume_fops = {
	.owner = THIS_MODULE,
	.write = vfmig_resume_write,
	.release = vfmig_data_release,
};

/* A new data fd; the caller keeps one reference, the core gets the other. */
static struct vfmig_data *vfmig_data_open(struct vfmig_device *mdev, bool save)
{
	struct vfmig_data *d = vfmig_data_alloc(mdev);
	struct file *filp;

	if (!d)
		return ERR_PTR(-ENOMEM);
	filp = anon_inode_getfile("vfmig_mig_data",
				  save ? &vfmig_save_fops : &vfmig_resume_fops,
				  d, save ? O_RDONLY : O_WRONLY);
	if (IS_ERR(filp)) {
		kfree(d);
		return ERR_CAST(filp);
	}
	d->resume = !save;
	/* Released with the file: it may outlive the device's binding. */
	get_device(&mdev->core.vdev.device);
	stream_open(filp->f_inode, filp);
	d->filp = get_file(filp);
	return d;
}

/* ---- the arcs ----------------------------------------------------------- */

/*
 * Run save() into one new unit of @d and make it readable.  A refusal
 * (VFMIG_REFUSE(), only where @may_refuse) is returned as the program
 * gave it.
 */
static int vfmig_save(struct vfmig_device *mdev, struct vfmig_binding *b,
		      struct vfmig_data *d, u32 phase, bool may_refuse)
{
	u32 flags = phase == VFMIG_SAVE_PRECOPY ? VFMIG_STREAM_PRECOPY :
						  VFMIG_STREAM_FINAL;
	int ret;

	mutex_lock(&d->lock);
	ret = vfmig_data_begin_unit(d, flags);
	d->stream.phase = phase;
	d->prog = b;
	mutex_unlock(&d->lock);
	if (ret)
		return ret;

	ret = vfmig_call_save(b, &d->stream, may_refuse);
	if (!ret)
		ret = READ_ONCE(b->error);

	mutex_lock(&d->lock);
	d->stream.phase = 0;
	d->prog = NULL;
	if (!ret)
		ret = vfmig_data_seal_unit(d);
	if (!ret) {
		d->ready = d->len;
		d->final = phase == VFMIG_SAVE_FINAL;
	}
	mutex_unlock(&d->lock);
	return ret;
}

/* A new saving fd in @mdev->mig.saving, its first unit saved; or none. */
static int vfmig_start_save(struct vfmig_device *mdev, struct vfmig_binding *b,
			    u32 phase, bool may_refuse)
{
	struct vfmig_data *d = vfmig_data_open(mdev, true);
	int ret;

	if (IS_ERR(d))
		return PTR_ERR(d);
	ret = vfmig_save(mdev, b, d, phase, may_refuse);
	if (ret) {
		struct file *filp = d->filp;

		vfmig_data_disable(&d);	/* our reference */
		fput(filp);		/* the one meant for the core */
		return ret;
	}
	mdev->mig.saving = d;
	return 0;
}

/* RESUMING -> STOP: nothing reaches the program before all is checked. */
static int vfmig_validate(struct vfmig_device *mdev)
{
	struct vfmig_data *d = mdev->mig.resuming;
	const char *reason = "no data";
	int ret = -EINVAL;

	if (d) {
		mutex_lock(&d->lock);
		ret = d->refused;
		if (ret)
			reason = "prepare() refused a pre-copy unit of it";
		else
			ret = vfmig_data_validate(d, &reason);
		mutex_unlock(&d->lock);
		if (!ret)
			ret = vfmig_data_compat(d, false, &reason);
	}
	if (ret)
		vfmig_set_error(mdev, "refused migration stream: %s", reason);
	return ret;
}

/*
 * RESUMING -> STOP.  A refused load keeps the resuming fd and what was
 * written to it: the device stays in RESUMING, and the user may try again
 * (the stream is validated and read from its start each time) or give up.
 */
static int vfmig_load(struct vfmig_device *mdev, struct vfmig_binding *b)
{
	struct vfmig_data *d = mdev->mig.resuming;
	int ret;

	mutex_lock(&d->lock);
	d->prog = b;
	mutex_unlock(&d->lock);
	ret = vfmig_call_load(b, &d->stream, true);
	if (!ret)
		ret = READ_ONCE(b->error);
	if (vfmig_is_refusal(ret) && !READ_ONCE(b->error)) {
		mutex_lock(&d->lock);
		d->prog = NULL;
		mutex_unlock(&d->lock);
		return ret;
	}
	vfmig_data_disable(&mdev->mig.resuming);
	return ret;
}

static bool vfmig_is_arc(enum vfio_device_mig_state cur,
			 enum vfio_device_mig_state next,
			 enum vfio_device_mig_state from,
			 enum vfio_device_mig_state to)
{
	return cur == from && next == to;
}

/*
 * The arcs a program may refuse with VFMIG_REFUSE(), the device staying
 * where the arc began: those that begin a data transfer session (into the
 * saving group or RESUMING) and RESUMING -> STOP, which the uAPI says must
 * fail on data the device cannot take.  A VMM can give up there and keep
 * its guest as it was: QEMU recovers from a failed RUNNING -> PRE_COPY to
 * RUNNING, from STOP -> STOP_COPY to STOP, from entering RESUMING to the
 * state it left.  The other arcs stop, start or end a session: the VMM
 * needs them to run or stop its guest, and a program that cannot take one
 * leaves the device in doubt, in ERROR.
 */
static bool vfmig_arc_refusable(enum vfio_device_mig_state cur,
				enum vfio_device_mig_state next)
{
	return vfmig_is_arc(cur, next, VFIO_DEVICE_STATE_RUNNING,
			    VFIO_DEVICE_STATE_PRE_COPY) ||
	       vfmig_is_arc(cur, next, VFIO_DEVICE_STATE_RUNNING_P2P,
			    VFIO_DEVICE_STATE_PRE_COPY_P2P) ||
	       vfmig_is_arc(cur, next, VFIO_DEVICE_STATE_STOP,
			    VFIO_DEVICE_STATE_STOP_COPY) ||
	       vfmig_is_arc(cur, next, VFIO_DEVICE_STATE_STOP,
			    VFIO_DEVICE_STATE_RESUMING) ||
	       vfmig_is_arc(cur, next, VFIO_DEVICE_STATE_RESUMING,
			    VFIO_DEVICE_STATE_STOP);
}

/*
 * The program refused @cur -> @next with @ret: the device stays in @cur.
 * When set_state() had taken the arc and save() or load() refused it,
 * set_state() is told of the way back, @next -> @cur, to undo what it did;
 * if that fails too, the device is in doubt after all.
 */
static struct file *vfmig_refused(struct vfmig_device *mdev,
				  struct vfmig_binding *b,
				  enum vfio_device_mig_state cur,
				  enum vfio_device_mig_state next, int ret,
				  bool undo, bool *fatal)
{
	int err = vfmig_refusal_errno(ret);

	trace_vfmig_refuse(mdev->dev.bdf, b->ops->name, cur, next, err);

	if (undo) {
		ret = vfmig_call_set_state(b, next, cur, false) ?:
		      READ_ONCE(b->error);
		if (ret && !READ_ONCE(b->error))
			vfmig_set_error(mdev, "program %s refused %s -> %s, undo failed: %d",
					b->ops->name, vfmig_mig_state_name(cur),
					vfmig_mig_state_name(next), ret);
		if (ret)
			return ERR_PTR(ret);
	}
	*fatal = false;
	vfmig_set_error(mdev, "program %s refused %s -> %s: %d; device kept in %s",
			b->ops->name, vfmig_mig_state_name(cur),
			vfmig_mig_state_name(next), err,
			vfmig_mig_state_name(cur));
	return ERR_PTR(err);
}

/*
 * One direct arc.  *@fatal says whether a failure leaves the device in
 * ERROR (the program was involved) or where it was (the stream was refused
 * before the program saw it, or the program refused the arc).
 */
static struct file *vfmig_step(struct vfmig_device *mdev,
			       enum vfio_device_mig_state next, bool *fatal)
{
	enum vfio_device_mig_state cur = mdev->mig.state;
	struct vfmig_binding *b = srcu_dereference(mdev->binding, &mdev->srcu);
	bool data_arc = next == VFIO_DEVICE_STATE_STOP_COPY ||
			next == VFIO_DEVICE_STATE_PRE_COPY ||
			next == VFIO_DEVICE_STATE_PRE_COPY_P2P ||
			next == VFIO_DEVICE_STATE_RESUMING ||
			cur == VFIO_DEVICE_STATE_RESUMING;
	bool refusable = vfmig_arc_refusable(cur, next), taken = false;
	int ret;

	*fatal = false;
	if (cur == VFIO_DEVICE_STATE_RESUMING &&
	    next == VFIO_DEVICE_STATE_STOP) {
		ret = vfmig_validate(mdev);
		if (ret)
			return ERR_PTR(ret);
	}

	*fatal = true;
	if (!b || !b->ops->save || !b->ops->load) {
		/* The program went away: only data-less arcs are possible. */
		if (!data_arc)
			return NULL;
		vfmig_set_error(mdev, "no migration program attached");
		return ERR_PTR(-ENODEV);
	}
	if (READ_ONCE(b->error))
		return ERR_PTR(b->error);

	ret = vfmig_call_set_state(b, cur, next, refusable);
	if (ret)
		goto failed;
	taken = true;

	if (vfmig_is_arc(cur, next, VFIO_DEVICE_STATE_STOP,
			 VFIO_DEVICE_STATE_STOP_COPY) ||
	    vfmig_is_arc(cur, next, VFIO_DEVICE_STATE_RUNNING,
			 VFIO_DEVICE_STATE_PRE_COPY) ||
	    vfmig_is_arc(cur, next, VFIO_DEVICE_STATE_RUNNING_P2P,
			 VFIO_DEVICE_STATE_PRE_COPY_P2P)) {
		ret = vfmig_start_save(mdev, b, cur == VFIO_DEVICE_STATE_STOP ?
				       VFMIG_SAVE_FINAL : VFMIG_SAVE_PRECOPY,
				       refusable);
		if (ret)
			goto failed;
		return mdev->mig.saving->filp;
	}
	if (next == VFIO_DEVICE_STATE_STOP_COPY) {
		/* From PRE_COPY(_P2P): the final unit follows on the same fd. */
		ret = mdev->mig.saving ? vfmig_save(mdev, b, mdev->mig.saving,
						VFMIG_SAVE_FINAL, false) :
				     -EINVAL;
		if (ret)
			goto failed;
		return NULL;
	}
	if ((cur == VFIO_DEVICE_STATE_STOP_COPY ||
	     cur == VFIO_DEVICE_STATE_PRE_COPY ||
	     cur == VFIO_DEVICE_STATE_PRE_COPY_P2P) &&
	    next != VFIO_DEVICE_STATE_PRE_COPY &&
	    next != VFIO_DEVICE_STATE_PRE_COPY_P2P) {
		vfmig_data_disable(&mdev->mig.saving);
		return NULL;
	}
	if (vfmig_is_arc(cur, next, VFIO_DEVICE_STATE_STOP,
			 VFIO_DEVICE_STATE_RESUMING)) {
		struct vfmig_data *d = vfmig_data_open(mdev, false);

		if (IS_ERR(d))
			return ERR_CAST(d);
		mdev->mig.resuming = d;
		return d->filp;
	}
	if (cur == VFIO_DEVICE_STATE_RESUMING) {
		ret = vfmig_load(mdev, b);
		if (ret)
			goto failed;
	}
	return NULL;

failed:
	if (vfmig_is_refusal(ret)) {
		if (!READ_ONCE(b->error))
			return vfmig_refused(mdev, b, cur, next, ret, taken,
					     fatal);
		ret = READ_ONCE(b->error);	/* it gave up as well */
	}
	/* The program's own error, or a full buffer, already said why. */
	if (!READ_ONCE(b->error) && ret != -EFBIG)
		vfmig_set_error(mdev, "program %s failed %s -> %s: %d",
				b->ops->name, vfmig_mig_state_name(cur),
				vfmig_mig_state_name(next), ret);
	return ERR_PTR(ret);
}

static struct file *vfmig_set_state(struct vfio_device *vdev,
				    enum vfio_device_mig_state new)
{
	struct vfmig_device *mdev = to_vfmig(vdev);
	enum vfio_device_mig_state next;
	struct file *res = NULL;
	bool fatal;
	int idx, ret;

	mutex_lock(&mdev->mig.state_mutex);
	idx = srcu_read_lock(&mdev->srcu);
	while (new != mdev->mig.state) {
		if (mdev->mig.state == VFIO_DEVICE_STATE_ERROR) {
			res = ERR_PTR(-EIO);	/* only a reset leaves ERROR */
			break;
		}
		ret = vfio_mig_get_next_state(vdev, mdev->mig.state, new, &next);
		if (ret) {
			res = ERR_PTR(ret);
			break;
		}
		res = vfmig_step(mdev, next, &fatal);
		if (IS_ERR(res)) {
			if (fatal) {
				trace_vfmig_state(mdev->dev.bdf, mdev->mig.state,
						  VFIO_DEVICE_STATE_ERROR);
				mdev->mig.state = VFIO_DEVICE_STATE_ERROR;
				vfmig_disable_fds(mdev);
			}
			break;
		}
		trace_vfmig_state(mdev->dev.bdf, mdev->mig.state, next);
		mdev->mig.state = next;
		if (WARN_ON(res && new != next)) {
			fput(res);
			res = ERR_PTR(-EINVAL);
			break;
		}
	}
	srcu_read_unlock(&mdev->srcu, idx);
	vfmig_state_mutex_unlock(mdev);
	return res;
}

static int vfmig_get_state(struct vfio_device *vdev,
			   enum vfio_device_mig_state *state)
{
	struct vfmig_device *mdev = to_vfmig(vdev);

	mutex_lock(&mdev->mig.state_mutex);
	*state = mdev->mig.state;
	vfmig_state_mutex_unlock(mdev);
	return 0;
}

/* Never 0 while migration is offered: QEMU sizes its buffer from it. */
static int vfmig_get_data_size(struct vfio_device *vdev,
			       unsigned long *stop_copy_length)
{
	struct vfmig_device *mdev = to_vfmig(vdev);
	struct vfmig_binding *b;
	u64 estimate = 0;
	int idx;

	mutex_lock(&mdev->mig.state_mutex);
	idx = srcu_read_lock(&mdev->srcu);
	b = srcu_dereference(mdev->binding, &mdev->srcu);
	if (b && !READ_ONCE(b->error))
		estimate = vfmig_call_state_size(b);
	srcu_read_unlock(&mdev->srcu, idx);
	vfmig_state_mutex_unlock(mdev);

	*stop_copy_length = 2 * sizeof(struct vfmig_stream_header) + estimate;
	return 0;
}

static const struct vfio_migration_ops vfmig_mig_ops = {
	.migration_set_state = vfmig_set_state,
	.migration_get_state = vfmig_get_state,
	.migration_get_data_size = vfmig_get_data_size,
};

/* ---- lifetime ----------------------------------------------------------- */

/**
 * vfmig_mig_init() - set up a new device's migration state
 * @mdev: the device
 */
void vfmig_mig_init(struct vfmig_device *mdev)
{
	mutex_init(&mdev->mig.state_mutex);
	spin_lock_init(&mdev->mig.reset_lock);
	mdev->mig.state = VFIO_DEVICE_STATE_RUNNING;
}

/**
 * vfmig_mig_open() - offer migration as far as the attached program can
 * @mdev: the device, being opened for the first time
 *
 * Context: the VFIO core's dev_set lock and @mdev->lock held, so no ioctl
 * can be reading the mig_ops this changes.
 */
void vfmig_mig_open(struct vfmig_device *mdev)
{
	struct vfio_device *vdev = &mdev->core.vdev;
	struct vfmig_binding *b;
	u32 flags = 0;

	lockdep_assert_held(&mdev->lock);
	b = rcu_dereference_protected(mdev->binding,
				      lockdep_is_held(&mdev->lock));
	if (b && b->ops->save && b->ops->load && !b->error) {
		flags = VFIO_MIGRATION_STOP_COPY;
		if (b->ops->flags & VFMIG_F_P2P)
			flags |= VFIO_MIGRATION_P2P;
		if (b->ops->flags & VFMIG_F_PRE_COPY)
			flags |= VFIO_MIGRATION_PRE_COPY;
	}

	mutex_lock(&mdev->mig.state_mutex);
	mdev->mig.state = VFIO_DEVICE_STATE_RUNNING;
	vdev->migration_flags = flags;
	vdev->mig_ops = flags ? &vfmig_mig_ops : NULL;
	vfmig_state_mutex_unlock(mdev);
}

/**
 * vfmig_mig_close() - the last user closed the device
 * @mdev: the device
 */
void vfmig_mig_close(struct vfmig_device *mdev)
{
	vfmig_hold_release(mdev, NULL, NULL, "close");
	mutex_lock(&mdev->mig.state_mutex);
	vfmig_disable_fds(mdev);
	mdev->mig.state = VFIO_DEVICE_STATE_RUNNING;
	mdev->core.vdev.mig_ops = NULL;
	mdev->core.vdev.migration_flags = 0;
	vfmig_state_mutex_unlock(mdev);
}

/**
 * vfmig_mig_detached() - the program stopped serving the device
 * @mdev: the device
 *
 * A migration moving data can't go on without it: ERROR, fds closed.
 */
void vfmig_mig_detached(struct vfmig_device *mdev)
{
	mutex_lock(&mdev->mig.state_mutex);
	switch (mdev->mig.state) {
	case VFIO_DEVICE_STATE_STOP_COPY:
	case VFIO_DEVICE_STATE_RESUMING:
	case VFIO_DEVICE_STATE_PRE_COPY:
	case VFIO_DEVICE_STATE_PRE_COPY_P2P:
		vfmig_set_error(mdev, "program detached during %s: state error",
				vfmig_mig_state_name(mdev->mig.state));
		trace_vfmig_state(mdev->dev.bdf, mdev->mig.state,
				  VFIO_DEVICE_STATE_ERROR);
		mdev->mig.state = VFIO_DEVICE_STATE_ERROR;
		vfmig_disable_fds(mdev);
		break;
	default:
		break;
	}
	vfmig_state_mutex_unlock(mdev);
}
