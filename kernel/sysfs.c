// SPDX-License-Identifier: GPL-2.0
/*
 * Per-device attributes in /sys/bus/pci/devices/BDF/vfmig/: the attached
 * program, its state version ("VERSION MIN_VERSION") and flags, the
 * migration state ("not open" until a user opens the device, then
 * "unsupported" unless a migration program was attached), the last error,
 * and how many trapped accesses the program handled, passed on or failed,
 * and the pages it marked dirty since the device was opened; the
 * programs' last messages (bpf_vfmig_log()).  Accesses outside trap
 * windows never reach a program and are not counted.
 */
#include <linux/pci.h>
#include <linux/sysfs.h>

#include "internal.h"

static struct vfmig_device *vfmig_from_dev(struct device *dev)
{
	struct vfio_pci_core_device *core = dev_get_drvdata(dev);

	return to_vfmig(&core->vdev);
}

static ssize_t program_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	struct vfmig_device *mdev = vfmig_from_dev(dev);
	struct vfmig_binding *b;
	ssize_t ret;

	rcu_read_lock();
	b = rcu_dereference(mdev->binding);
	ret = sysfs_emit(buf, "%s\n", b ? b->ops->name : "");
	rcu_read_unlock();
	return ret;
}
static DEVICE_ATTR_RO(program);

/* The attached program's state version and flags; empty without one. */
static ssize_t program_version_show(struct device *dev,
				    struct device_attribute *attr, char *buf)
{
	struct vfmig_device *mdev = vfmig_from_dev(dev);
	struct vfmig_binding *b;
	ssize_t ret;

	rcu_read_lock();
	b = rcu_dereference(mdev->binding);
	ret = b ? sysfs_emit(buf, "%u %u\n", b->ops->version,
			     b->ops->min_version ?: b->ops->version) :
		  sysfs_emit(buf, "\n");
	rcu_read_unlock();
	return ret;
}
static DEVICE_ATTR_RO(program_version);

static ssize_t program_flags_show(struct device *dev,
				  struct device_attribute *attr, char *buf)
{
	struct vfmig_device *mdev = vfmig_from_dev(dev);
	struct vfmig_binding *b;
	ssize_t ret;

	rcu_read_lock();
	b = rcu_dereference(mdev->binding);
	ret = b ? sysfs_emit(buf, "0x%x\n", b->ops->flags) : sysfs_emit(buf, "\n");
	rcu_read_unlock();
	return ret;
}
static DEVICE_ATTR_RO(program_flags);

static ssize_t migration_state_show(struct device *dev,
				    struct device_attribute *attr, char *buf)
{
	struct vfmig_device *mdev = vfmig_from_dev(dev);

	/* What a device offers is decided when it is opened. */
	if (!READ_ONCE(mdev->barmap_ready))
		return sysfs_emit(buf, "not open\n");
	if (!READ_ONCE(mdev->core.vdev.mig_ops))
		return sysfs_emit(buf, "unsupported\n");
	return sysfs_emit(buf, "%s\n",
			  vfmig_mig_state_name(READ_ONCE(mdev->mig.state)));
}
static DEVICE_ATTR_RO(migration_state);

static ssize_t last_error_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	struct vfmig_device *mdev = vfmig_from_dev(dev);
	unsigned long flags;
	ssize_t ret;

	spin_lock_irqsave(&mdev->err.lock, flags);
	ret = sysfs_emit(buf, "%s\n", mdev->err.msg);
	spin_unlock_irqrestore(&mdev->err.lock, flags);
	return ret;
}
static DEVICE_ATTR_RO(last_error);

/* 1 while a first open would wait for a program; write 0: none comes. */
static ssize_t awaiting_program_show(struct device *dev,
				     struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n",
			  READ_ONCE(vfmig_from_dev(dev)->awaiting_program));
}

static ssize_t awaiting_program_store(struct device *dev,
				      struct device_attribute *attr,
				      const char *buf, size_t count)
{
	bool awaiting;
	int ret;

	ret = kstrtobool(buf, &awaiting);
	if (ret)
		return ret;
	if (awaiting)
		return -EINVAL;	/* only the bind sets it */
	vfmig_stop_awaiting(vfmig_from_dev(dev));
	return count;
}
static DEVICE_ATTR_RW(awaiting_program);

/* A device's &struct vfmig_access_stats, summed over CPUs. */
static struct vfmig_access_stats vfmig_stats_sum(struct vfmig_device *mdev)
{
	struct vfmig_access_stats sum = {};
	int cpu;

	for_each_possible_cpu(cpu) {
		const struct vfmig_access_stats *s = per_cpu_ptr(mdev->stats, cpu);

		sum.hooked += s->hooked;
		sum.passed += s->passed;
		sum.failed += s->failed;
	}
	return sum;
}

#define VFMIG_STATS_ATTR(_name)						\
static ssize_t _name##_show(struct device *dev,				\
			    struct device_attribute *attr, char *buf)	\
{									\
	return sysfs_emit(buf, "%llu\n",				\
			  vfmig_stats_sum(vfmig_from_dev(dev))._name);	\
}									\
static DEVICE_ATTR_RO(_name)

VFMIG_STATS_ATTR(hooked);
VFMIG_STATS_ATTR(passed);
VFMIG_STATS_ATTR(failed);

static ssize_t dirty_marked_show(struct device *dev,
				 struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lld\n",
			  atomic64_read(&vfmig_from_dev(dev)->dirty.marked));
}
static DEVICE_ATTR_RO(dirty_marked);

/* The last VFMIG_LOG_RING program messages: "SEQ program: text" lines. */
static ssize_t messages_show(struct device *dev,
			     struct device_attribute *attr, char *buf)
{
	return vfmig_log_show(&vfmig_from_dev(dev)->log, buf);
}
static DEVICE_ATTR_RO(messages);

static struct attribute *vfmig_attrs[] = {
	&dev_attr_program.attr,
	&dev_attr_program_version.attr,
	&dev_attr_program_flags.attr,
	&dev_attr_migration_state.attr,
	&dev_attr_last_error.attr,
	&dev_attr_awaiting_program.attr,
	&dev_attr_hooked.attr,
	&dev_attr_passed.attr,
	&dev_attr_failed.attr,
	&dev_attr_dirty_marked.attr,
	&dev_attr_messages.attr,
	NULL,
};

static const struct attribute_group vfmig_group = {
	.name = VFMIG_SYSFS_GROUP,
	.attrs = vfmig_attrs,
};

const struct attribute_group *vfmig_dev_groups[] = {
	&vfmig_group,
	NULL,
};
