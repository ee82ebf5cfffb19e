// SPDX-License-Identifier: GPL-2.0
/*
 * kfuncs for vfmig programs: touch this device's BARs and config space,
 * declare trap windows, fill and read migration streams, give up.  Every
 * access is bounds-checked against the device the program serves.  The
 * register kfuncs do not sleep, so the region hooks (under RCU) may call
 * them; the stream kfuncs allocate and are for the sleepable save/load.
 */
#include <linux/bpf.h>
#include <linux/btf.h>
#include <linux/btf_ids.h>
#include <linux/pci.h>

#include "vfmig.h"

static bool vfmig_size_valid(u32 size)
{
	return size == 1 || size == 2 || size == 4 || size == 8;
}

/* vfio-pci-core's test, which it does not export: may BAR memory be used? */
static bool vfmig_memory_enabled(struct vfio_pci_core_device *core)
{
	u16 cmd = le16_to_cpu(*(__le16 *)&core->vconfig[PCI_COMMAND]);

	if (core->pdev->current_state >= PCI_D3hot)
		return false;
	return core->pdev->no_command_memory || (cmd & PCI_COMMAND_MEMORY);
}

static int vfmig_bar_io(struct vfmig_dev *dev, u32 bar, u64 offset, u32 size,
			u64 *value, bool write)
{
	struct vfmig_device *mdev = dev_to_vfmig(dev);
	struct vfio_pci_core_device *core = &mdev->core;
	void __iomem *io;
	u64 len;
	int ret = 0;

	if (bar >= PCI_STD_NUM_BARS || !vfmig_size_valid(size) ||
	    offset & (size - 1))
		return -EINVAL;
	len = pci_resource_len(core->pdev, bar);
	if (offset >= len || size > len - offset)
		return -EINVAL;
	/* Mapped while open: closed devices and unmapped BARs have none. */
	if (!READ_ONCE(mdev->barmap_ready) || !core->barmap[bar])
		return -ENODEV;

	/* A writer (reset, memory disable) holds it briefly: don't wait. */
	if (!down_read_trylock(&core->memory_lock))
		return -EBUSY;
	if ((pci_resource_flags(core->pdev, bar) & IORESOURCE_MEM) &&
	    !vfmig_memory_enabled(core)) {
		ret = -EIO;
		goto out;
	}

	io = core->barmap[bar] + offset;
	switch (size) {
	case 1:
		if (write)
			iowrite8(*value, io);
		else
			*value = ioread8(io);
		break;
	case 2:
		if (write)
			iowrite16(*value, io);
		else
			*value = ioread16(io);
		break;
	case 4:
		if (write)
			iowrite32(*value, io);
		else
			*value = ioread32(io);
		break;
	case 8:
		/* Port I/O has no 8-byte cycle; memory BARs use readq/writeq. */
		if (!(pci_resource_flags(core->pdev, bar) & IORESOURCE_MEM))
			ret = -EINVAL;
		else if (write)
			writeq(*value, io);
		else
			*value = readq(io);
		break;
	}
out:
	up_read(&core->memory_lock);
	return ret;
}

static int vfmig_config_io(struct vfmig_dev *dev, u32 offset, u32 size,
			   u64 *value, bool write)
{
	struct pci_dev *pdev = dev_to_vfmig(dev)->core.pdev;
	u32 lo, hi;
	u16 w;
	u8 b;
	int ret;

	if (!vfmig_size_valid(size) || offset & (size - 1) ||
	    offset >= pdev->cfg_size || size > pdev->cfg_size - offset)
		return -EINVAL;

	/* pci_{read,write}_config_*, not the _user_ variants, which sleep. */
	switch (size) {
	case 1:
		if (write)
			return pcibios_err_to_errno(pci_write_config_byte(pdev, offset, *value));
		ret = pci_read_config_byte(pdev, offset, &b);
		*value = b;
		break;
	case 2:
		if (write)
			return pcibios_err_to_errno(pci_write_config_word(pdev, offset, *value));
		ret = pci_read_config_word(pdev, offset, &w);
		*value = w;
		break;
	case 4:
		if (write)
			return pcibios_err_to_errno(pci_write_config_dword(pdev, offset, *value));
		ret = pci_read_config_dword(pdev, offset, &lo);
		*value = lo;
		break;
	default:	/* 8: config space has no such cycle, do two */
		if (write) {
			ret = pci_write_config_dword(pdev, offset, *value);
			return pcibios_err_to_errno(ret ?:
				pci_write_config_dword(pdev, offset + 4, *value >> 32));
		}
		ret = pci_read_config_dword(pdev, offset, &lo) ?:
		      pci_read_config_dword(pdev, offset + 4, &hi);
		*value = (u64)hi << 32 | lo;
		break;
	}
	return pcibios_err_to_errno(ret);
}

__bpf_kfunc_start_defs();

/**
 * bpf_vfmig_bar_read() - read a device register
 * @dev: the device the program serves
 * @bar: BAR number, 0-5
 * @offset: offset in the BAR, aligned to @size
 * @size: 1, 2, 4 or 8 bytes
 * @value: where to store the value (initialise it: the verifier requires it)
 *
 * Goes straight to the device, not through the hooks.
 *
 * Return: 0; -EINVAL for an access outside the BAR or misaligned, -ENODEV
 * when the device is not open, -EBUSY while vfio-pci holds the memory lock
 * for a reset, -EIO when the guest disabled memory decoding.
 */
__bpf_kfunc int bpf_vfmig_bar_read(struct vfmig_dev *dev, u32 bar, u64 offset,
				   u32 size, u64 *value)
{
	return vfmig_bar_io(dev, bar, offset, size, value, false);
}

/**
 * bpf_vfmig_bar_write() - write a device register
 * @dev: the device the program serves
 * @bar: BAR number, 0-5
 * @offset: offset in the BAR, aligned to @size
 * @size: 1, 2, 4 or 8 bytes
 * @value: the value; only the low @size bytes are written
 *
 * Return: as bpf_vfmig_bar_read().
 */
__bpf_kfunc int bpf_vfmig_bar_write(struct vfmig_dev *dev, u32 bar, u64 offset,
				    u32 size, u64 value)
{
	return vfmig_bar_io(dev, bar, offset, size, &value, true);
}

/**
 * bpf_vfmig_config_read() - read the device's physical config space
 * @dev: the device the program serves
 * @offset: offset in config space, aligned to @size
 * @size: 1, 2, 4 or 8 bytes (8 is two dword reads)
 * @value: where to store the value (initialise it: the verifier requires it)
 *
 * This is the hardware's config space, not the virtualised view vfio-pci
 * gives its user.
 *
 * Return: 0, or -EINVAL for an access outside config space or misaligned.
 */
__bpf_kfunc int bpf_vfmig_config_read(struct vfmig_dev *dev, u32 offset,
				      u32 size, u64 *value)
{
	return vfmig_config_io(dev, offset, size, value, false);
}

/**
 * bpf_vfmig_config_write() - write the device's physical config space
 * @dev: the device the program serves
 * @offset: offset in config space, aligned to @size
 * @size: 1, 2, 4 or 8 bytes (8 is two dword writes)
 * @value: the value; only the low @size bytes are written
 *
 * Return: as bpf_vfmig_config_read().
 */
__bpf_kfunc int bpf_vfmig_config_write(struct vfmig_dev *dev, u32 offset,
				       u32 size, u64 value)
{
	return vfmig_config_io(dev, offset, size, &value, true);
}

/**
 * bpf_vfmig_trap_window() - ask to see accesses to a register range
 * @dev: the device the program serves
 * @index: VFIO region index: a BAR (0-5) or %VFMIG_CONFIG_REGION
 * @offset: start of the range in the region
 * @size: length of the range in bytes
 *
 * Only from init().  Accesses inside the window reach region_read and
 * region_write; BAR pages holding a window are no longer mmappable, and
 * the rest of such a page is passed through to vfio-pci.
 *
 * Return: 0; -EPERM outside init(); -EINVAL for a range outside the
 * region; -EEXIST when it overlaps a window already declared; -ENOSPC past
 * %VFMIG_MAX_TRAPS windows.
 */
__bpf_kfunc int bpf_vfmig_trap_window(struct vfmig_dev *dev, u32 index,
				      u64 offset, u64 size)
{
	struct vfmig_device *mdev = dev_to_vfmig(dev);

	if (!mdev->pending || mdev->pending_task != current)
		return -EPERM;
	return vfmig_trap_add(mdev, mdev->pending, index, offset, size);
}

/**
 * bpf_vfmig_stream_write() - append bytes to the state being saved
 * @stream: the stream save() was given
 * @data: the bytes
 * @data__sz: how many
 *
 * Return: 0; -EINVAL on a stream being loaded; -EFBIG past the module's
 * max_state_mb (the save fails and the device goes to ERROR); -ENOMEM.
 */
__bpf_kfunc int bpf_vfmig_stream_write(struct vfmig_stream *stream,
				       const void *data, u32 data__sz)
{
	struct vfmig_data *d = container_of(stream, struct vfmig_data, stream);
	int ret = -EINVAL;

	mutex_lock(&d->lock);
	if (stream->phase && !d->disabled)
		ret = vfmig_data_write(d, data, NULL, data__sz);
	if (!ret)
		stream->length += data__sz;
	mutex_unlock(&d->lock);
	return ret;
}

/**
 * bpf_vfmig_stream_read() - read the next bytes of the state being loaded
 * @stream: the stream load() was given
 * @data: where to put them
 * @data__sz: how many
 *
 * The module has checked the whole stream (ids, program, length, CRC32C)
 * before load() runs, but the payload is the program's to check.
 *
 * Return: bytes read, fewer than @data__sz only at the end (0 there), or
 * -EINVAL on a stream being saved.
 */
__bpf_kfunc int bpf_vfmig_stream_read(struct vfmig_stream *stream,
				      void *data, u32 data__sz)
{
	struct vfmig_data *d = container_of(stream, struct vfmig_data, stream);
	int ret = -EINVAL;

	mutex_lock(&d->lock);
	if (!stream->phase && !d->disabled)
		ret = vfmig_stream_load_read(d, data, data__sz);
	mutex_unlock(&d->lock);
	return ret;
}

/**
 * bpf_vfmig_stream_write_bar() - append a BAR range to the state being saved
 * @dev: the device the program serves
 * @stream: the stream save() was given
 * @bar: BAR number, 0-5 (memory BARs only)
 * @offset: start in the BAR, 4-byte aligned
 * @len: bytes, a multiple of 4
 *
 * Copies with 4-byte reads straight from the device into the stream.
 *
 * Return: 0 or -errno as bpf_vfmig_bar_read() and bpf_vfmig_stream_write().
 */
__bpf_kfunc int bpf_vfmig_stream_write_bar(struct vfmig_dev *dev,
					   struct vfmig_stream *stream,
					   u32 bar, u64 offset, u64 len)
{
	struct vfmig_data *d = container_of(stream, struct vfmig_data, stream);
	u32 chunk[64];
	int ret = 0;

	if ((offset | len) & 3)
		return -EINVAL;
	while (len && !ret) {
		u32 n = min_t(u64, len, sizeof(chunk));
		u32 i;

		for (i = 0; i < n / 4 && !ret; i++) {
			u64 v = 0;

			ret = vfmig_bar_io(dev, bar, offset + i * 4, 4, &v,
					   false);
			chunk[i] = cpu_to_le32(v);
		}
		if (!ret)
			ret = bpf_vfmig_stream_write(&d->stream, chunk, n);
		offset += n;
		len -= n;
	}
	return ret;
}

/**
 * bpf_vfmig_error() - give up on the device
 * @dev: the device the program serves
 * @err: a negative errno saying why
 *
 * The first error wins.  The program's hooks stop (trapped accesses go to
 * vfio-pci), a migration in flight fails to ERROR, the device offers no
 * migration when next opened, and the error is shown in sysfs and passed
 * to exit().
 */
__bpf_kfunc void bpf_vfmig_error(struct vfmig_dev *dev, s32 err)
{
	struct vfmig_device *mdev = dev_to_vfmig(dev);
	struct vfmig_binding *b;

	rcu_read_lock();
	/* From init(), the program being attached is the one giving up. */
	if (mdev->pending && mdev->pending_task == current)
		b = mdev->pending;
	else
		b = rcu_dereference(mdev->binding);
	if (b)
		vfmig_binding_fail(mdev, b, err);
	rcu_read_unlock();
}

/**
 * bpf_vfmig_mark_dirty() - the device writes [@iova, + @len) by DMA
 * @dev: the device the program serves
 * @iova: first byte, as the device addresses it (an IOVA)
 * @len: bytes
 *
 * For DMA logging: software trackers call it from the hooks that see the
 * device's DMA set-up, hardware trackers from log_report().  Callable from
 * any callback, region hooks included; takes no lock and never sleeps.
 *
 * Return: 0, or -EINVAL when @len is 0 or the range wraps.  Pages outside
 * the logged ranges, or marked while nothing is logged, are ignored.
 */
__bpf_kfunc int bpf_vfmig_mark_dirty(struct vfmig_dev *dev, u64 iova, u64 len)
{
	return vfmig_dirty_mark(dev_to_vfmig(dev), iova, len);
}

__bpf_kfunc_end_defs();

BTF_KFUNCS_START(vfmig_kfunc_ids)
BTF_ID_FLAGS(func, bpf_vfmig_bar_read, KF_TRUSTED_ARGS)
BTF_ID_FLAGS(func, bpf_vfmig_bar_write, KF_TRUSTED_ARGS)
BTF_ID_FLAGS(func, bpf_vfmig_config_read, KF_TRUSTED_ARGS)
BTF_ID_FLAGS(func, bpf_vfmig_config_write, KF_TRUSTED_ARGS)
BTF_ID_FLAGS(func, bpf_vfmig_trap_window, KF_TRUSTED_ARGS)
BTF_ID_FLAGS(func, bpf_vfmig_stream_write, KF_TRUSTED_ARGS | KF_SLEEPABLE)
BTF_ID_FLAGS(func, bpf_vfmig_stream_read, KF_TRUSTED_ARGS | KF_SLEEPABLE)
BTF_ID_FLAGS(func, bpf_vfmig_stream_write_bar, KF_TRUSTED_ARGS | KF_SLEEPABLE)
BTF_ID_FLAGS(func, bpf_vfmig_error, KF_TRUSTED_ARGS)
BTF_ID_FLAGS(func, bpf_vfmig_mark_dirty, KF_TRUSTED_ARGS)
BTF_KFUNCS_END(vfmig_kfunc_ids)

/* The filter sees only this module's kfuncs: keep them to our programs. */
static int vfmig_kfunc_filter(const struct bpf_prog *prog, u32 kfunc_id)
{
	return vfmig_is_vfmig_prog(prog) ? 0 : -EACCES;
}

static const struct btf_kfunc_id_set vfmig_kfunc_set = {
	.owner = THIS_MODULE,
	.set = &vfmig_kfunc_ids,
	.filter = vfmig_kfunc_filter,
};

/**
 * vfmig_kfuncs_register() - make the kfuncs callable from struct_ops
 *
 * Return: 0 or -errno from the BTF core.
 */
int vfmig_kfuncs_register(void)
{
	return register_btf_kfunc_id_set(BPF_PROG_TYPE_STRUCT_OPS,
					 &vfmig_kfunc_set);
}
