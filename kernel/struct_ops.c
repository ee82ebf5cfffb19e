// SPDX-License-Identifier: GPL-2.0
/*
 * struct vfmig_ops: how programs attach to a device.
 *
 * A struct_ops link carries no target, so the target is data: the loader
 * writes the device's BDF into the map before load (as HID-BPF does with
 * hid_id) and reg() binds the map to that device.  One program per device;
 * the device publishes its binding with RCU for the region hooks and waits
 * for SRCU readers of the sleepable callbacks before tearing one down.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bpf.h>
#include <linux/bpf_verifier.h>
#include <linux/btf.h>
#include <linux/btf_ids.h>
#include <linux/capability.h>
#include <linux/module.h>
#include <linux/security.h>
#include <linux/slab.h>

#include "internal.h"

/* Every binding, so unreg() finds one after its device has gone. */
static LIST_HEAD(vfmig_bindings);

/*
 * A device bound to vfmig-pci is usually opened by its VMM at once (libvirt
 * binds and starts QEMU in one go), while the program that should serve it
 * is attached by udev's `vfmig-load apply`, a moment later.  Migration and
 * trap windows are decided at the first open, so that open waits, this
 * long, for a program or for user space to say none is configured.
 */
unsigned int vfmig_wait_for_program_ms;
module_param_named(wait_for_program_ms, vfmig_wait_for_program_ms, uint, 0644);
MODULE_PARM_DESC(wait_for_program_ms,
		 "How long the first open of a device bound since this was set waits for its program (attached by udev running vfmig-load apply); 0, the default: no wait");

/* Woken by an attach, by user space saying none comes, or by unbind. */
static bool vfmig_wait_over(struct vfmig_device *mdev)
{
	return rcu_access_pointer(mdev->binding) ||
	       !READ_ONCE(mdev->awaiting_program) || READ_ONCE(mdev->removed);
}

/**
 * vfmig_wait_for_program() - let a newly bound device's program attach first
 * @mdev: the device being opened
 *
 * The wait gives up the VFIO core's dev_set lock, so the other devices of
 * the set (functions sharing a slot or bus reset) open and close
 * meanwhile.  That is safe: the core has already counted this open
 * (open_count is 1), so a second open of this device cannot begin a first
 * open (cdev: refused; group: the group lock, still held, waits), and a
 * sibling's close or hot reset sees the device in use.  The group lock
 * stays held: other devices of the same IOMMU group, which go to the same
 * user anyway, wait.  An unbind ends the wait at once.
 *
 * Context: process, the VFIO core's dev_set lock held (dropped while
 * waiting, held again on return); attaching takes neither.
 * Return: 0 once a program is attached or none is awaited (or
 * wait_for_program_ms is 0 now); -ETIMEDOUT (with the reason in
 * last_error) when none came in time, so the VMM fails rather than run
 * the device unserved; -ENODEV when the device is being unbound;
 * -ERESTARTSYS on a signal.
 */
int vfmig_wait_for_program(struct vfmig_device *mdev)
{
	struct mutex *set_lock = &mdev->core.vdev.dev_set->lock;
	unsigned int ms = READ_ONCE(vfmig_wait_for_program_ms);
	long left;

	lockdep_assert_held(set_lock);
	if (!ms || vfmig_wait_over(mdev))
		return READ_ONCE(mdev->removed) ? -ENODEV : 0;
	mutex_unlock(set_lock);
	left = wait_event_interruptible_timeout(mdev->program_wq,
						vfmig_wait_over(mdev),
						msecs_to_jiffies(ms));
	mutex_lock(set_lock);
	if (READ_ONCE(mdev->removed))
		return -ENODEV;
	if (left < 0)
		return left;
	if (!left) {
		vfmig_set_error(mdev,
				"no program attached within wait_for_program_ms=%u: configure one in /etc/vfmig/devices.conf, or write 0 to awaiting_program",
				ms);
		return -ETIMEDOUT;
	}
	return 0;
}

/**
 * vfmig_stop_awaiting() - no program is coming: opens need not wait
 * @mdev: the device
 */
void vfmig_stop_awaiting(struct vfmig_device *mdev)
{
	WRITE_ONCE(mdev->awaiting_program, false);
	wake_up_all(&mdev->program_wq);
}

/*
 * The kfunc and callback ABI (include/vfmig.h), for the loader to compare
 * with what a program needs before loading it: read-only, even at insmod.
 */
static int vfmig_abi_set(const char *val, const struct kernel_param *kp)
{
	return -EPERM;
}

static const struct kernel_param_ops vfmig_abi_ops = {
	.set = vfmig_abi_set,
	.get = param_get_uint,
};

static unsigned int vfmig_abi_version = VFMIG_ABI_VERSION;
module_param_cb(abi_version, &vfmig_abi_ops, &vfmig_abi_version, 0444);
MODULE_PARM_DESC(abi_version, "The vfmig kfunc and callback ABI this module offers (read-only)");

static struct btf *vfmig_btf;

BTF_ID_LIST(vfmig_btf_ids)
BTF_ID(struct, vfmig_access)
BTF_ID(struct, vfmig_ops)

static int vfmig_ops_init(struct btf *btf)
{
	vfmig_btf = btf;
	return 0;
}

/**
 * vfmig_is_vfmig_prog() - is @prog an implementation of struct vfmig_ops?
 * @prog: a struct_ops program being verified
 *
 * Return: true for programs of this module's struct_ops type.
 */
bool vfmig_is_vfmig_prog(const struct bpf_prog *prog)
{
	return prog->type == BPF_PROG_TYPE_STRUCT_OPS &&
	       prog->aux->attach_btf == vfmig_btf &&
	       prog->aux->attach_btf_id == vfmig_btf_ids[1];
}

static bool vfmig_ops_is_valid_access(int off, int size,
				      enum bpf_access_type type,
				      const struct bpf_prog *prog,
				      struct bpf_insn_access_aux *info)
{
	return bpf_tracing_btf_ctx_access(off, size, type, prog, info);
}

/* Programs may write vfmig_access::value and nothing else. */
static int vfmig_ops_btf_struct_access(struct bpf_verifier_log *log,
				       const struct bpf_reg_state *reg,
				       int off, int size)
{
	const size_t start = offsetof(struct vfmig_access, value);
	const size_t end = offsetofend(struct vfmig_access, value);

	if (reg->btf != vfmig_btf || reg->btf_id != vfmig_btf_ids[0]) {
		bpf_log(log, "vfmig: only vfmig_access.value is writable\n");
		return -EACCES;
	}
	if (off < start || off + size > end) {
		bpf_log(log,
			"vfmig: write to vfmig_access at off %d size %d: only value (off %zu) is writable\n",
			off, size, start);
		return -EACCES;
	}
	return NOT_INIT;
}

static const struct bpf_verifier_ops vfmig_verifier_ops = {
	.get_func_proto = bpf_base_func_proto,
	.is_valid_access = vfmig_ops_is_valid_access,
	.btf_struct_access = vfmig_ops_btf_struct_access,
};

static bool vfmig_bdf_valid(const char *bdf)
{
	unsigned int dom, bus, dev, fn;
	char end;

	if (!memchr(bdf, '\0', VFMIG_BDF_LEN) || strlen(bdf) != 12)
		return false;
	if (sscanf(bdf, "%4x:%2x:%2x.%1x%c", &dom, &bus, &dev, &fn, &end) != 4)
		return false;
	return dev < 32 && fn < 8;
}

/*
 * Data members are copied here; returning 1 tells the struct_ops core they
 * are handled (it would otherwise reject any non-zero data member).
 */
static int vfmig_ops_init_member(const struct btf_type *t,
				 const struct btf_member *member,
				 void *kdata, const void *udata)
{
	const struct vfmig_ops *uops = udata;
	struct vfmig_ops *kops = kdata;
	u32 moff = __btf_member_bit_offset(t, member) / 8;

	switch (moff) {
	case offsetof(struct vfmig_ops, bdf):
		if (!vfmig_bdf_valid(uops->bdf))
			return -EINVAL;
		memcpy(kops->bdf, uops->bdf, sizeof(kops->bdf));
		return 1;
	case offsetof(struct vfmig_ops, name):
		if (!memchr(uops->name, '\0', sizeof(uops->name)))
			return -EINVAL;
		memcpy(kops->name, uops->name, sizeof(kops->name));
		return 1;
	case offsetof(struct vfmig_ops, flags):
		if (uops->flags & ~(VFMIG_F_P2P | VFMIG_F_PRE_COPY |
				    VFMIG_F_DIRTY_LOG))
			return -EINVAL;
		kops->flags = uops->flags;
		return 1;
	case offsetof(struct vfmig_ops, version):
		kops->version = uops->version;
		return 1;
	case offsetof(struct vfmig_ops, min_version):
		kops->min_version = uops->min_version;
		return 1;
	case offsetof(struct vfmig_ops, any_device):
		kops->any_device = !!uops->any_device;
		return 1;
	case offsetof(struct vfmig_ops, ids):
		memcpy(kops->ids, uops->ids, sizeof(kops->ids));
		return 1;
	case offsetof(struct vfmig_ops, wait_budget_ms):
		kops->wait_budget_ms = uops->wait_budget_ms;	/* validate() */
		return 1;
	case offsetof(struct vfmig_ops, abi):
		/* vfmig-load says so first; this catches a raw libbpf attach. */
		if (uops->abi > VFMIG_ABI_VERSION) {
			pr_info("program %s needs vfmig ABI %u; this module has ABI %u\n",
				uops->name, uops->abi, VFMIG_ABI_VERSION);
			return -EPROTO;
		}
		kops->abi = uops->abi;
		return 1;
	}
	return 0;
}

/* The end of @ops' id list: an entry with nothing to match on. */
static bool vfmig_id_is_end(const struct vfmig_pci_id *id)
{
	return !id->vendor && !id->subvendor && !id->class_mask;
}

/* Does @ops declare @pdev?  The PCI core's own matching, on a copy. */
static bool vfmig_ops_match(const struct vfmig_ops *ops, struct pci_dev *pdev)
{
	struct pci_device_id ids[VFMIG_MAX_IDS + 1] = {};
	unsigned int i;

	for (i = 0; i < VFMIG_MAX_IDS && !vfmig_id_is_end(&ops->ids[i]); i++) {
		ids[i].vendor = ops->ids[i].vendor;
		ids[i].device = ops->ids[i].device;
		ids[i].subvendor = ops->ids[i].subvendor;
		ids[i].subdevice = ops->ids[i].subdevice;
		ids[i].class = ops->ids[i].class;
		ids[i].class_mask = ops->ids[i].class_mask;
	}
	return pci_match_id(ids, pdev);
}

/*
 * An attach is refused for a device the object does not declare; an object
 * that declares nothing attaches only where the operator forced it.
 */
static int vfmig_ops_check_device(const struct vfmig_ops *ops,
				  struct vfmig_device *mdev)
{
	struct pci_dev *pdev = mdev->core.pdev;

	if (vfmig_id_is_end(&ops->ids[0])) {
		if (!ops->any_device) {
			vfmig_set_error(mdev,
					"program %s declares no PCI ids (vfmig-load --force attaches it anyway)",
					ops->name);
			return -ENXIO;
		}
		pci_warn(pdev, "program %s declares no PCI ids: attached because the operator forced it\n",
			 ops->name);
		return 0;
	}
	if (vfmig_ops_match(ops, pdev))
		return 0;
	vfmig_set_error(mdev,
			"program %s does not serve %04x:%04x (subsystem %04x:%04x, class %06x): not in its ids",
			ops->name, pdev->vendor, pdev->device,
			pdev->subsystem_vendor, pdev->subsystem_device,
			pdev->class);
	return -ENXIO;
}

/*
 * Optional migration states need the migration callbacks; the dirty-log
 * callbacks need the flag that offers DMA logging.
 */
static int vfmig_ops_validate(void *kdata)
{
	struct vfmig_ops *ops = kdata;
	bool migrates = ops->save && ops->load;

	if ((ops->flags & (VFMIG_F_P2P | VFMIG_F_PRE_COPY)) && !migrates) {
		pr_info("program %s: flags P2P/PRE_COPY need save and load\n",
			ops->name);
		return -EINVAL;
	}
	/* How long one callback may hold the state mutex waiting. */
	if (ops->wait_budget_ms > VFMIG_WAIT_BUDGET_MS_MAX) {
		pr_info("program %s: wait_budget_ms %u is above the kernel's %u\n",
			ops->name, ops->wait_budget_ms,
			VFMIG_WAIT_BUDGET_MS_MAX);
		return -EINVAL;
	}
	if (ops->min_version > ops->version) {
		pr_info("program %s: min_version %u is above version %u\n",
			ops->name, ops->min_version, ops->version);
		return -EINVAL;
	}
	if (!migrates && (ops->save || ops->load)) {
		pr_info("program %s: save and load come together\n", ops->name);
		return -EINVAL;
	}
	/* A device that offers STOP must have something that stops it. */
	if (migrates && !ops->set_state) {
		pr_info("program %s: migration (save and load) needs set_state\n",
			ops->name);
		return -EINVAL;
	}
	/*
	 * prepare() is handed pre-copy units, which only a PRE_COPY source
	 * produces, and reads them as part of a stream that load() finishes:
	 * without both it could never run, or would leave the stream half
	 * restored.  It may be non-sleepable (it then cannot read the stream:
	 * the verifier refuses the sleepable stream kfuncs there), as other
	 * callbacks may; it runs in process context either way.
	 */
	if (ops->prepare && (!ops->load || !(ops->flags & VFMIG_F_PRE_COPY))) {
		pr_info("program %s: prepare needs load and flag VFMIG_F_PRE_COPY\n",
			ops->name);
		return -EINVAL;
	}
	if ((ops->log_start || ops->log_stop || ops->log_report) &&
	    !(ops->flags & VFMIG_F_DIRTY_LOG)) {
		pr_info("program %s: log_start, log_stop and log_report need flag VFMIG_F_DIRTY_LOG\n",
			ops->name);
		return -EINVAL;
	}
	return 0;
}

static struct vfmig_binding *vfmig_binding_of(void *kdata)
{
	struct vfmig_binding *b;

	lockdep_assert_held(&vfmig_lock);
	list_for_each_entry(b, &vfmig_bindings, node)
		if (b->ops == kdata)
			return b;
	return NULL;
}

/*
 * Find and pin the device @ops names and build an unpublished binding,
 * running the program's init() to collect its trap windows.  @replace says
 * whether the device may already have a program.  Returns with mdev->lock
 * held on success.
 */
static struct vfmig_binding *vfmig_binding_create(struct vfmig_ops *ops,
						  bool replace)
{
	struct vfmig_device *mdev;
	struct vfmig_binding *b;
	int ret;

	b = kzalloc(sizeof(*b), GFP_KERNEL);
	if (!b)
		return ERR_PTR(-ENOMEM);
	b->ops = ops;
	spin_lock_init(&b->calls_lock);
	INIT_LIST_HEAD(&b->calls);

	mutex_lock(&vfmig_lock);
	if (vfmig_binding_of(ops)) {
		ret = -EBUSY;	/* the same map attached twice */
		goto out_unlock_global;
	}
	mdev = vfmig_find_device(ops->bdf);
	if (!mdev) {
		ret = -ENODEV;
		goto out_unlock_global;
	}
	get_device(&mdev->core.vdev.device);
	b->mdev = mdev;
	list_add(&b->node, &vfmig_bindings);
	mutex_unlock(&vfmig_lock);

	mutex_lock(&mdev->lock);
	if (mdev->removed) {
		ret = -ENODEV;
		goto out_unlock;
	}
	if (!replace && rcu_access_pointer(mdev->binding)) {
		ret = -EBUSY;
		goto out_unlock;
	}
	ret = vfmig_ops_check_device(ops, mdev);	/* says why */
	if (ret)
		goto out_unlock;
	b->dev = mdev->dev;
	ret = vfmig_call_init(b);
	if (ret) {
		pci_info(mdev->core.pdev, "program %s: init failed: %d\n",
			 ops->name, ret);
		vfmig_call_exit(b, VFMIG_EXIT_INIT_FAILED, ret);
		goto out_unlock;
	}
	return b;

out_unlock:
	mutex_unlock(&mdev->lock);
	mutex_lock(&vfmig_lock);
	list_del(&b->node);
	mutex_unlock(&vfmig_lock);
	put_device(&mdev->core.vdev.device);
	kfree(b);
	return ERR_PTR(ret);

out_unlock_global:
	mutex_unlock(&vfmig_lock);
	kfree(b);
	return ERR_PTR(ret);
}

/* Undo vfmig_binding_create() for a binding never published. */
static void vfmig_binding_abort(struct vfmig_binding *b, int err)
{
	vfmig_call_exit(b, VFMIG_EXIT_INIT_FAILED, err);
	mutex_unlock(&b->mdev->lock);
	mutex_lock(&vfmig_lock);
	list_del(&b->node);
	mutex_unlock(&vfmig_lock);
}

static void vfmig_binding_destroy(struct vfmig_binding *b)
{
	put_device(&b->mdev->core.vdev.device);
	kfree(b);
}

/*
 * Make @b (may be NULL) the device's program and return the old one, once
 * no region access decided under the old windows, no hook, fault or
 * sleepable callback can still be running it.
 *
 * This runs under the BPF core's global struct_ops mutex, so what it waits
 * for is kept short: region accesses in flight (one access each), and, when
 * a program goes, its migration callback in flight, which its stream kfuncs
 * now fail fast (@old->stopping).
 */
static struct vfmig_binding *vfmig_publish(struct vfmig_device *mdev,
					   struct vfmig_binding *b)
{
	struct vfmig_binding *old;

	lockdep_assert_held(&mdev->lock);
	if (b) {	/* counts start again; a racing access may miss it */
		int cpu;

		for_each_possible_cpu(cpu)
			memset(per_cpu_ptr(mdev->stats, cpu), 0,
			       sizeof(struct vfmig_access_stats));
	}

	old = rcu_dereference_protected(mdev->binding,
					lockdep_is_held(&mdev->lock));
	if (old) {
		/* A migration moving data ends before its program goes. */
		WRITE_ONCE(old->stopping, true);
		/* Its callback may still run: the accesses it holds go on. */
		vfmig_hold_release(mdev, old, NULL, "detach");
		vfmig_mig_detached(mdev);
	}

	down_write(&mdev->trap_lock);
	rcu_assign_pointer(mdev->binding, b);
	WRITE_ONCE(mdev->binding_generation, mdev->binding_generation + 1);
	vfmig_traps_changed(mdev);
	up_write(&mdev->trap_lock);

	/* Accesses that found no window under the old binding are done. */
	synchronize_srcu(&mdev->srcu);
	if (old)
		synchronize_rcu();	/* sysfs and dirty-log readers */
	return old;
}

/* Only an administrator of the whole machine attaches, never under lockdown. */
static int vfmig_may_attach(void)
{
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	return security_locked_down(LOCKDOWN_PCI_ACCESS) ? -EPERM : 0;
}

static int vfmig_reg(void *kdata, struct bpf_link *link)
{
	struct vfmig_ops *ops = kdata;
	struct vfmig_binding *b;
	int ret;

	ret = vfmig_may_attach();
	if (ret)
		return ret;
	b = vfmig_binding_create(ops, false);
	if (IS_ERR(b))
		return PTR_ERR(b);

	vfmig_publish(b->mdev, b);
	mutex_unlock(&b->mdev->lock);
	vfmig_stop_awaiting(b->mdev);
	pci_info(b->mdev->core.pdev, "program %s attached, %u trap windows\n",
		 ops->name, b->nr_traps);
	return 0;
}

static void vfmig_unreg(void *kdata, struct bpf_link *link)
{
	struct vfmig_device *mdev;
	struct vfmig_binding *b;

	mutex_lock(&vfmig_lock);
	b = vfmig_binding_of(kdata);
	if (b)
		list_del(&b->node);
	mutex_unlock(&vfmig_lock);
	if (!b)
		return;

	mdev = b->mdev;
	mutex_lock(&mdev->lock);
	if (!b->gone) {
		vfmig_publish(mdev, NULL);
		vfmig_call_exit(b, VFMIG_EXIT_DETACH, 0);
		pci_info(mdev->core.pdev, "program %s detached\n",
			 b->ops->name);
	}
	mutex_unlock(&mdev->lock);
	vfmig_binding_destroy(b);
}

/* Atomic replacement on the same device: the new init() runs first. */
static int vfmig_update(void *kdata, void *old_kdata, struct bpf_link *link)
{
	struct vfmig_ops *ops = kdata, *old_ops = old_kdata;
	struct vfmig_binding *b, *old;
	struct vfmig_device *mdev;
	int ret;

	ret = vfmig_may_attach();
	if (ret)
		return ret;
	if (strcmp(ops->bdf, old_ops->bdf))
		return -EINVAL;

	b = vfmig_binding_create(ops, true);
	if (IS_ERR(b))
		return PTR_ERR(b);
	mdev = b->mdev;

	mutex_lock(&vfmig_lock);
	old = vfmig_binding_of(old_kdata);
	if (old && !old->gone && old->mdev == mdev)
		list_del(&old->node);
	else
		old = NULL;
	mutex_unlock(&vfmig_lock);
	if (!old) {
		vfmig_binding_abort(b, -ENODEV);
		vfmig_binding_destroy(b);
		return -ENODEV;
	}

	vfmig_publish(mdev, b);
	vfmig_call_exit(old, VFMIG_EXIT_REPLACED, 0);
	mutex_unlock(&mdev->lock);
	pci_info(mdev->core.pdev, "program %s replaced %s\n", ops->name,
		 old_ops->name);
	vfmig_binding_destroy(old);
	return 0;
}

/**
 * vfmig_device_removing() - refuse new programs as the device is unbound
 * @mdev: the device being removed
 *
 * The program stays attached: its windows must hold until the user closes
 * the device, which unregistering waits for.  Only a new attach or replace
 * is refused, and an open waiting for a program gives up.
 */
void vfmig_device_removing(struct vfmig_device *mdev)
{
	mutex_lock(&mdev->lock);
	WRITE_ONCE(mdev->removed, true);
	wake_up_all(&mdev->program_wq);	/* an open waiting for a program */
	mutex_unlock(&mdev->lock);
}

/**
 * vfmig_device_detach_all() - stop the device's program once it is unbound
 * @mdev: the device being removed, no longer open by anyone
 *
 * The link stays until user space drops it; its unreg() is then a no-op.
 */
void vfmig_device_detach_all(struct vfmig_device *mdev)
{
	struct vfmig_binding *b;

	mutex_lock(&mdev->lock);
	b = vfmig_publish(mdev, NULL);
	if (b) {
		vfmig_call_exit(b, VFMIG_EXIT_DEVICE_GONE, 0);
		b->gone = true;
		pci_info(mdev->core.pdev, "program %s detached: device unbound\n",
			 b->ops->name);
	}
	mutex_unlock(&mdev->lock);
}

static int vfmig_init_stub(struct vfmig_dev *dev)
{
	return 0;
}

static void vfmig_exit_stub(struct vfmig_dev *dev, struct vfmig_exit_info *info)
{
}

static int vfmig_region_stub(struct vfmig_dev *dev, struct vfmig_access *acc)
{
	return VFMIG_PASS;
}

static int vfmig_set_state_stub(struct vfmig_dev *dev, u32 from, u32 to)
{
	return 0;
}

static int vfmig_stream_stub(struct vfmig_dev *dev, struct vfmig_stream *stream)
{
	return 0;
}

static u64 vfmig_state_size_stub(struct vfmig_dev *dev)
{
	return 0;
}

static int vfmig_log_start_stub(struct vfmig_dev *dev, u64 iova, u64 length,
				u64 page_size)
{
	return 0;
}

static void vfmig_log_stop_stub(struct vfmig_dev *dev)
{
}

static int vfmig_log_report_stub(struct vfmig_dev *dev, u64 iova, u64 length)
{
	return 0;
}

static void vfmig_notify_stub(struct vfmig_dev *dev)
{
}

static int vfmig_compat_stub(struct vfmig_dev *dev, struct vfmig_origin *src)
{
	return 0;
}

static struct vfmig_ops vfmig_cfi_stubs = {
	.init = vfmig_init_stub,
	.exit = vfmig_exit_stub,
	.region_read = vfmig_region_stub,
	.region_write = vfmig_region_stub,
	.set_state = vfmig_set_state_stub,
	.save = vfmig_stream_stub,
	.load = vfmig_stream_stub,
	.state_size = vfmig_state_size_stub,
	.log_start = vfmig_log_start_stub,
	.log_stop = vfmig_log_stop_stub,
	.log_report = vfmig_log_report_stub,
	.open = vfmig_notify_stub,
	.close = vfmig_notify_stub,
	.reset = vfmig_notify_stub,
	.compat = vfmig_compat_stub,
	.prepare = vfmig_stream_stub,
};

static struct bpf_struct_ops bpf_vfmig_ops = {
	.verifier_ops = &vfmig_verifier_ops,
	.init = vfmig_ops_init,
	.init_member = vfmig_ops_init_member,
	.validate = vfmig_ops_validate,
	.reg = vfmig_reg,
	.unreg = vfmig_unreg,
	.update = vfmig_update,
	.name = VFMIG_OPS_TYPE,
	.cfi_stubs = &vfmig_cfi_stubs,
	.owner = THIS_MODULE,
};

/**
 * vfmig_struct_ops_register() - make struct vfmig_ops attachable
 *
 * The struct_ops core unregisters it when the module goes away.
 *
 * Return: 0 or -errno from the struct_ops core.
 */
int vfmig_struct_ops_register(void)
{
	return register_bpf_struct_ops(&bpf_vfmig_ops, vfmig_ops);
}
