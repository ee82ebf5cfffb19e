// SPDX-License-Identifier: GPL-2.0
/*
 * The PF channel: a PF driver, or a provider module beside it, registers a
 * table of typed operations for its VFs (kernel/vfmig_pf.h), and a
 * program calls them with bpf_vfmig_pf_call() for the VF it serves, never
 * another: the PF and the VF index come from the bound device, not from
 * the program.
 *
 * Lifetime: a call finds the provider under vfmig_pf_lock, takes a
 * reference on the module that owns its code and counts itself in
 * @calls; vfmig_pf_unregister() unlists the provider and waits for
 * @calls to drain, so once it returns no operation of the provider runs
 * or will.  The module reference keeps the code of a provider whose
 * module is being removed (rmmod fails while a call runs).
 *
 * Time: an operation cannot be preempted away once called.  Each declares
 * how long it may take (&vfmig_pf_op.max_us, at most %VFMIG_PF_MAX_OP_US);
 * every call is measured, and one that took longer fails with -ETIMEDOUT
 * and disables the provider: every later call for any of its VFs fails
 * with -ETIMEDOUT until it registers again.  A broken result (more bytes
 * than declared, an errno out of range) disables it the same way, with
 * -EIO.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bpf.h>
#include <linux/btf.h>
#include <linux/ktime.h>
#include <linux/slab.h>
#include <linux/wait.h>

#include "internal.h"
#include "vfmig_pf.h"

static DEFINE_MUTEX(vfmig_pf_lock);	/* vfmig_pf_providers */
static LIST_HEAD(vfmig_pf_providers);
/*
 * Unregister waits here for a provider's calls to drain.  Not in the
 * provider: the last call wakes it after its count reached zero, when the
 * provider may already be freed.
 */
static DECLARE_WAIT_QUEUE_HEAD(vfmig_pf_idle);

static struct vfmig_pf_provider *vfmig_pf_find(struct pci_dev *pf)
{
	struct vfmig_pf_provider *p;

	lockdep_assert_held(&vfmig_pf_lock);
	list_for_each_entry(p, &vfmig_pf_providers, node)
		if (p->pf == pf)
			return p;
	return NULL;
}

static int vfmig_pf_check_ops(struct pci_dev *pf,
			      const struct vfmig_pf_provider *p)
{
	const struct vfmig_pf_op *op;
	unsigned int i, j;

	if (!p->name || !p->ops || !p->nr_ops || p->nr_ops > VFMIG_PF_MAX_OPS)
		return -EINVAL;
	for (i = 0; i < p->nr_ops; i++) {
		op = &p->ops[i];
		if (!op->id || !op->name || !op->call ||
		    op->arg_size > VFMIG_PF_MAX_SIZE || !op->res_size ||
		    op->res_size > VFMIG_PF_MAX_SIZE || !op->max_us ||
		    op->max_us > VFMIG_PF_MAX_OP_US) {
			pci_warn(pf, "vfmig: provider %s: operation %u (%s): sizes 0-%u, 1-%u, 1-%u us\n",
				 p->name, op->id, op->name ?: "?",
				 VFMIG_PF_MAX_SIZE, VFMIG_PF_MAX_SIZE,
				 VFMIG_PF_MAX_OP_US);
			return -EINVAL;
		}
		for (j = 0; j < i; j++)
			if (p->ops[j].id == op->id) {
				pci_warn(pf, "vfmig: provider %s: operation id %u declared twice\n",
					 p->name, op->id);
				return -EINVAL;
			}
	}
	return 0;
}

/**
 * __vfmig_pf_register() - offer a PF's operations to its VFs' programs
 * @pf: the physical function (SR-IOV capable)
 * @p: the provider: @p->name, @p->ops and @p->nr_ops filled in; vfmig
 *     keeps it until vfmig_pf_unregister()
 * @owner: the module whose code the operations are (vfmig_pf_register()
 *         passes THIS_MODULE)
 *
 * One provider a PF.  From now on a program bound to a VF of @pf may call
 * the operations for that VF.  @pf is referenced until unregistered.
 *
 * Context: process context, may sleep.
 * Return: 0; -EINVAL for a table out of bounds (the kernel log says which
 * entry); -ENODEV when @pf is not an SR-IOV PF; -EBUSY when the PF has a
 * provider already.
 */
int __vfmig_pf_register(struct pci_dev *pf, struct vfmig_pf_provider *p,
			struct module *owner)
{
	int ret;

	if (!pf || !p)
		return -EINVAL;
	if (pf->is_virtfn || !pf->is_physfn)
		return -ENODEV;
	ret = vfmig_pf_check_ops(pf, p);
	if (ret)
		return ret;

	p->owner = owner;
	atomic_set(&p->calls, 0);
	p->dead = false;
	p->disabled = false;
	mutex_lock(&vfmig_pf_lock);
	if (vfmig_pf_find(pf)) {
		mutex_unlock(&vfmig_pf_lock);
		return -EBUSY;
	}
	p->pf = pci_dev_get(pf);
	list_add_tail(&p->node, &vfmig_pf_providers);
	mutex_unlock(&vfmig_pf_lock);
	pci_info(pf, "vfmig: PF channel provider %s registered, %u operations\n",
		 p->name, p->nr_ops);
	return 0;
}
EXPORT_SYMBOL_GPL(__vfmig_pf_register);

/**
 * vfmig_pf_unregister() - withdraw a PF's operations
 * @p: a provider vfmig_pf_register() took
 *
 * New calls fail with -ENOENT at once; this waits for the calls running
 * (each bounded by its operation's max_us, give or take a provider that
 * overruns).  Once it returns, no operation of @p runs or will run, and
 * @p is the provider's again.  Call it before the PF goes (the provider's
 * remove) and before the module that holds @p's code is unloaded.
 *
 * Context: process context, may sleep; not from an operation of @p.
 */
void vfmig_pf_unregister(struct vfmig_pf_provider *p)
{
	mutex_lock(&vfmig_pf_lock);
	WRITE_ONCE(p->dead, true);
	list_del(&p->node);
	mutex_unlock(&vfmig_pf_lock);
	wait_event(vfmig_pf_idle, !atomic_read(&p->calls));
	pci_info(p->pf, "vfmig: PF channel provider %s unregistered\n",
		 p->name);
	pci_dev_put(p->pf);
	p->pf = NULL;
}
EXPORT_SYMBOL_GPL(vfmig_pf_unregister);

/* The provider of @pf with a call counted and its module held, or NULL. */
static struct vfmig_pf_provider *vfmig_pf_get(struct pci_dev *pf)
{
	struct vfmig_pf_provider *p;

	mutex_lock(&vfmig_pf_lock);
	p = vfmig_pf_find(pf);
	if (p && !READ_ONCE(p->dead) && try_module_get(p->owner))
		atomic_inc(&p->calls);
	else
		p = NULL;
	mutex_unlock(&vfmig_pf_lock);
	return p;
}

static void vfmig_pf_put(struct vfmig_pf_provider *p)
{
	struct module *owner = p->owner;

	/* The last use of @p: unregister may return and free it after. */
	if (atomic_dec_and_test(&p->calls))
		wake_up_all(&vfmig_pf_idle);
	module_put(owner);
}

static const struct vfmig_pf_op *vfmig_pf_op(const struct vfmig_pf_provider *p,
					     u32 id)
{
	unsigned int i;

	for (i = 0; i < p->nr_ops; i++)
		if (p->ops[i].id == id)
			return &p->ops[i];
	return NULL;
}

/* A provider that broke its word serves no more calls. */
static void vfmig_pf_disable(struct vfmig_pf_provider *p,
			     const struct vfmig_pf_op *op, unsigned int vf,
			     const char *what)
{
	if (!xchg(&p->disabled, true))
		pci_warn(p->pf, "vfmig: PF channel provider %s disabled: operation %s for VF %u %s\n",
			 p->name, op->name, vf, what);
}

/* Run @op with kernel copies of the argument and the result. */
static int vfmig_pf_run(struct vfmig_device *mdev,
			struct vfmig_pf_provider *p,
			const struct vfmig_pf_op *op, unsigned int vf,
			void *buf, u32 buf_size)
{
	void *arg = NULL, *res;
	char why[64];
	u64 start, us;
	int ret;

	res = kzalloc(op->res_size, GFP_KERNEL);
	if (!res)
		return -ENOMEM;
	if (op->arg_size) {
		arg = kmemdup(buf, op->arg_size, GFP_KERNEL);
		if (!arg) {
			kfree(res);
			return -ENOMEM;
		}
	}
	start = ktime_get_ns();
	ret = op->call(p->pf, vf, arg, res);
	us = div_u64(ktime_get_ns() - start, NSEC_PER_USEC);
	if (us > op->max_us) {
		snprintf(why, sizeof(why), "took %llu us, over its %u", us,
			 op->max_us);
		vfmig_pf_disable(p, op, vf, why);
		vfmig_set_error(mdev, "PF channel: %s %s took %llu us (max %u): disabled",
				p->name, op->name, us, op->max_us);
		ret = -ETIMEDOUT;
	} else if (ret > (int)op->res_size ||
		   ret < -VFMIG_MAX_PROG_ERRNO) {
		snprintf(why, sizeof(why), "returned %d", ret);
		vfmig_pf_disable(p, op, vf, why);
		ret = -EIO;
	} else if (ret >= 0) {
		memcpy(buf, res, ret);
		memset(buf + ret, 0, buf_size - ret);
	}
	kfree(arg);
	kfree(res);
	return ret;
}

__bpf_kfunc_start_defs();

/**
 * bpf_vfmig_pf_call() - call an operation of the PF for this VF
 * @dev: the device the program serves: a VF
 * @op: the operation's id, as its provider declares it
 * @buf: in: the argument, its first @arg_size bytes; out: the result
 * @buf__sz: the bytes at @buf: at least the operation's argument and
 *           result sizes, at most %VFMIG_PF_MAX_SIZE
 * @arg_size: the argument's size: exactly what the operation declares
 *
 * The PF driver (or a provider module beside it) offers typed operations
 * for its VFs (Documentation/pf-channel.md): the PF's own view of what it
 * programmed for the VF, say.  The kernel finds the PF and the VF's index
 * from the device bound to the program; the program names neither.  The
 * operation runs in the calling task with copies of the argument and the
 * result: @buf holds the result's bytes, then zeroes.  A call takes at
 * most the operation's declared duration (%VFMIG_PF_MAX_OP_US at most);
 * one measured longer fails, and disables the provider until it registers
 * again.  A callback's wait budget bounds how long it keeps calling: a
 * call made once the budget is spent fails without running, so a program
 * cannot hold its callback for longer by calling in a loop.
 *
 * Context: sleepable callbacks only (the verifier refuses it elsewhere),
 * region hooks included when they are sleepable.
 * Return: the bytes of the result, 0 to its declared size; -ENODEV when
 * the device is no VF, is being unbound, or the program is being
 * detached; -ENOENT when its PF has no provider (none registered, or
 * unregistered); -EOPNOTSUPP for an @op the provider does not offer;
 * -EINVAL for an @arg_size other than the operation's, or a @buf__sz too
 * small for the argument or result or above %VFMIG_PF_MAX_SIZE;
 * -ETIMEDOUT when the callback's wait budget is spent, or when this call
 * or an earlier one overran and the provider is disabled; -EIO when the
 * provider broke its contract (also disabled);
 * otherwise the operation's own -errno.  On error @buf is zeroed.
 */
__bpf_kfunc int bpf_vfmig_pf_call(struct vfmig_dev *dev, u32 op, void *buf,
				  u32 buf__sz, u32 arg_size)
{
	struct vfmig_binding *b = dev_to_binding(dev);
	struct vfmig_device *mdev = b->mdev;
	struct pci_dev *pdev = mdev->core.pdev;
	const struct vfmig_pf_op *o;
	struct vfmig_pf_provider *p;
	u64 until;
	int vf, ret;

	if (READ_ONCE(b->stopping) || READ_ONCE(mdev->removed) ||
	    !pdev->is_virtfn) {
		ret = -ENODEV;
		goto out;
	}
	until = vfmig_call_deadline(b);
	if (until && ktime_get_ns() >= until) {
		ret = -ETIMEDOUT;
		goto out;
	}
	if (!buf__sz || buf__sz > VFMIG_PF_MAX_SIZE) {
		ret = -EINVAL;
		goto out;
	}
	vf = pci_iov_vf_id(pdev);
	if (vf < 0) {
		ret = -ENODEV;
		goto out;
	}
	p = vfmig_pf_get(pci_physfn(pdev));
	if (!p) {
		ret = -ENOENT;
		goto out;
	}
	o = vfmig_pf_op(p, op);
	if (!o)
		ret = -EOPNOTSUPP;
	else if (arg_size != o->arg_size || buf__sz < o->arg_size ||
		 buf__sz < o->res_size)
		ret = -EINVAL;
	else if (READ_ONCE(p->disabled))
		ret = -ETIMEDOUT;
	else
		ret = vfmig_pf_run(mdev, p, o, vf, buf, buf__sz);
	vfmig_pf_put(p);
out:
	if (ret < 0)
		memset(buf, 0, buf__sz);
	return ret;
}

__bpf_kfunc_end_defs();
