// SPDX-License-Identifier: GPL-2.0
/*
 * Migration data buffers and the stream format.
 *
 * A data_fd's bytes live in pages held in an xarray, so a big device state
 * is never one large allocation, and grow up to vfmig.max_state_mb.  Saving
 * writes a unit header, lets the program append its payload, then seals the
 * header with the payload length and CRC32C.  Resuming validates the whole
 * buffer with the shared parser (lib/vfmig_stream.c) before the
 * program's load() reads the payload back.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <crypto/hash.h>
#include <linux/crc32.h>
#include <linux/highmem.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "internal.h"

unsigned int vfmig_max_state_mb = 256;
module_param_named(max_state_mb, vfmig_max_state_mb, uint, 0644);
MODULE_PARM_DESC(max_state_mb, "Largest migration state a device may save or load, in MiB (default 256)");

/*
 * CRC32C: lib/crc32's table-driven __crc32c_le(), or the crypto API's
 * "crc32c", which is the CPU's instruction where it has one (crc32c-intel),
 * as libcrc32c's crc32c() is; vfmig does not depend on libcrc32c, which not
 * every kernel builds.  Both give the same value; the faster one here is
 * picked at load by timing them, as the kernel picks its xor and raid6
 * routines: the instruction is several times faster on hardware, and
 * slower than the tables under an emulator (QEMU's TCG).
 */
static struct crypto_shash *vfmig_crc_tfm;

static u32 vfmig_crc32c_shash(struct crypto_shash *tfm, u32 crc,
			      const void *buf, u32 len)
{
	SHASH_DESC_ON_STACK(desc, tfm);
	/* The "crc32c" algorithms keep the running CRC as their context. */
	u32 *ctx = (u32 *)shash_desc_ctx(desc);

	desc->tfm = tfm;
	*ctx = crc;
	if (crypto_shash_update(desc, buf, len))
		return __crc32c_le(crc, buf, len);	/* cannot fail: crc32c */
	crc = *ctx;
	barrier_data(ctx);
	return crc;
}

static u32 vfmig_crc32c(u32 crc, const void *buf, u32 len)
{
	struct crypto_shash *tfm = vfmig_crc_tfm;

	return tfm ? vfmig_crc32c_shash(tfm, crc, buf, len)
		   : __crc32c_le(crc, buf, len);
}

/* Nanoseconds for 64 CRCs of a page by lib/crc32 (@tfm NULL) or @tfm. */
static u64 vfmig_crc_time(struct crypto_shash *tfm, const void *page)
{
	u64 t0 = ktime_get_ns();
	u32 crc = ~0U;
	int i;

	for (i = 0; i < 64; i++)
		crc = tfm ? vfmig_crc32c_shash(tfm, crc, page, PAGE_SIZE)
			  : __crc32c_le(crc, page, PAGE_SIZE);
	barrier_data(&crc);
	return ktime_get_ns() - t0;
}

/**
 * vfmig_crc_init() - pick the faster CRC32C for the streams
 *
 * Context: module init; may load crc32c-intel.
 */
void vfmig_crc_init(void)
{
	struct crypto_shash *tfm = crypto_alloc_shash("crc32c", 0, 0);
	u64 t_lib, t_shash;
	void *page;

	if (IS_ERR(tfm))
		return;
	page = (void *)get_zeroed_page(GFP_KERNEL);
	if (!page) {
		crypto_free_shash(tfm);
		return;
	}
	t_lib = vfmig_crc_time(NULL, page);
	t_shash = vfmig_crc_time(tfm, page);
	free_page((unsigned long)page);
	pr_info("stream CRC32C by %s (256 KiB: %s %llu ns, lib/crc32 %llu ns)\n",
		t_shash < t_lib ? crypto_shash_driver_name(tfm) : "lib/crc32",
		crypto_shash_driver_name(tfm), t_shash, t_lib);
	if (t_shash < t_lib)
		vfmig_crc_tfm = tfm;
	else
		crypto_free_shash(tfm);
}

/**
 * vfmig_crc_exit() - drop what vfmig_crc_init() took
 */
void vfmig_crc_exit(void)
{
	if (vfmig_crc_tfm)
		crypto_free_shash(vfmig_crc_tfm);
}

/* CRC32C of [@off, @off + @len) of a buffer, straight from its pages. */
static int vfmig_data_crc(struct vfmig_data *d, u64 off, u64 len, u32 *crc)
{
	while (len) {
		size_t in_page = off & ~PAGE_MASK;
		size_t n = min_t(u64, len, PAGE_SIZE - in_page);
		struct page *page = xa_load(&d->pages, off >> PAGE_SHIFT);
		void *p;

		if (!page)
			return -EINVAL;
		p = kmap_local_page(page);
		*crc = vfmig_crc32c(*crc, p + in_page, n);
		kunmap_local(p);
		off += n;
		len -= n;
	}
	return 0;
}

/**
 * vfmig_data_alloc() - a new, empty data buffer for a data_fd
 * @mdev: the device
 *
 * Return: the buffer or NULL.
 */
struct vfmig_data *vfmig_data_alloc(struct vfmig_device *mdev)
{
	struct vfmig_data *d = kzalloc(sizeof(*d), GFP_KERNEL_ACCOUNT);

	if (!d)
		return NULL;
	d->mdev = mdev;
	mutex_init(&d->io_lock);
	mutex_init(&d->lock);
	xa_init(&d->pages);
	return d;
}

/**
 * vfmig_data_free_pages() - drop a buffer's contents
 * @d: the buffer, with @d->lock held or no longer shared
 */
void vfmig_data_free_pages(struct vfmig_data *d)
{
	struct page *page;
	unsigned long i;

	xa_for_each(&d->pages, i, page)
		__free_page(page);
	xa_destroy(&d->pages);
	d->len = 0;
}

/* Copy between the buffer at @off and @kbuf. */
static int vfmig_data_copy(struct vfmig_data *d, u64 off, void *kbuf,
			   size_t len, bool to_buffer)
{
	size_t done = 0;

	while (done < len) {
		unsigned long index = (off + done) >> PAGE_SHIFT;
		size_t in_page = (off + done) & ~PAGE_MASK;
		size_t n = min_t(size_t, len - done, PAGE_SIZE - in_page);
		struct page *page = xa_load(&d->pages, index);

		if (!page) {
			if (!to_buffer)
				return -EINVAL;
			page = alloc_page(GFP_KERNEL_ACCOUNT);
			if (!page)
				return -ENOMEM;
			if (xa_is_err(xa_store(&d->pages, index, page,
					       GFP_KERNEL_ACCOUNT))) {
				__free_page(page);
				return -ENOMEM;
			}
		}

		if (to_buffer)
			memcpy_to_page(page, in_page, kbuf + done, n);
		else
			memcpy_from_page(kbuf + done, page, in_page, n);
		done += n;
	}
	return 0;
}

/**
 * vfmig_data_write() - append bytes to a buffer
 * @d: the buffer, @d->lock held
 * @src: the bytes
 * @len: how many
 *
 * Return: 0; -EFBIG past vfmig.max_state_mb (nothing is appended);
 * -ENOMEM.
 */
int vfmig_data_write(struct vfmig_data *d, const void *src, size_t len)
{
	u64 max = (u64)vfmig_max_state_mb << 20;
	int ret;

	lockdep_assert_held(&d->lock);
	if (len > max || d->len > max - len) {
		vfmig_set_error(d->mdev,
				"state larger than max_state_mb=%u: raise vfmig.max_state_mb",
				vfmig_max_state_mb);
		return -EFBIG;
	}
	ret = vfmig_data_copy(d, d->len, (void *)src, len, true);
	if (!ret)
		d->len += len;
	return ret;
}

/**
 * vfmig_data_read() - copy bytes out of a buffer
 * @d: the buffer, @d->lock held
 * @off: where
 * @dst: destination
 * @len: bytes, all inside the buffer
 *
 * Return: 0, -EINVAL outside the buffer.
 */
int vfmig_data_read(struct vfmig_data *d, u64 off, void *dst, size_t len)
{
	lockdep_assert_held(&d->lock);
	if (off > d->len || len > d->len - off)
		return -EINVAL;
	return vfmig_data_copy(d, off, dst, len, false);
}

/**
 * vfmig_data_get_page() - the page holding a byte of a buffer, held
 * @d: the buffer, @d->lock held
 * @off: the byte, inside the buffer
 *
 * For a copy to user space made without @d->lock: the reference keeps the
 * page if the buffer is freed meanwhile.
 *
 * Return: the page, to be put with put_page(); NULL outside the buffer.
 */
struct page *vfmig_data_get_page(struct vfmig_data *d, u64 off)
{
	struct page *page;

	lockdep_assert_held(&d->lock);
	if (off >= d->len)
		return NULL;
	page = xa_load(&d->pages, off >> PAGE_SHIFT);
	if (page)
		get_page(page);
	return page;
}

static void vfmig_stream_id(struct vfmig_device *mdev,
			    struct vfmig_stream_expect *id)
{
	struct vfmig_binding *b = srcu_dereference(mdev->binding, &mdev->srcu);

	memset(id, 0, sizeof(*id));
	id->vendor = mdev->dev.vendor;
	id->device = mdev->dev.device;
	id->subsystem_vendor = mdev->dev.subsystem_vendor;
	id->subsystem_device = mdev->dev.subsystem_device;
	if (b) {
		strscpy(id->program, b->ops->name, sizeof(id->program));
		id->program_version = b->ops->version;
		id->min_program_version = b->ops->min_version;
		/* Its compat() judges the ids: vfmig_data_compat(). */
		if (b->ops->compat)
			id->flags |= VFMIG_EXPECT_ANY_IDS;
	}
}

/**
 * vfmig_data_begin_unit() - start a unit: reserve its header
 * @d: the save buffer, @d->lock held, under the device's SRCU
 * @flags: %VFMIG_STREAM_PRECOPY or %VFMIG_STREAM_FINAL
 *
 * Return: 0 or -errno from vfmig_data_write().
 */
int vfmig_data_begin_unit(struct vfmig_data *d, u32 flags)
{
	struct vfmig_stream_expect id;
	struct vfmig_stream_header h;

	vfmig_stream_id(d->mdev, &id);
	vfmig_stream_header_init(&h, &id, flags);
	d->unit_start = d->len;
	d->stream.length = 0;
	d->stream.version = id.program_version;
	return vfmig_data_write(d, &h, sizeof(h));
}

/**
 * vfmig_data_seal_unit() - fill in the open unit's length and checksum
 * @d: the save buffer, @d->lock held
 *
 * Return: 0 or -errno.
 */
int vfmig_data_seal_unit(struct vfmig_data *d)
{
	u64 off = d->unit_start + sizeof(struct vfmig_stream_header);
	u64 payload = d->len - off;
	struct vfmig_stream_header h;
	u32 crc;
	int ret;

	ret = vfmig_data_read(d, d->unit_start, &h, sizeof(h));
	if (ret)
		return ret;
	h.payload_len = cpu_to_le64(payload);
	h.crc = 0;
	crc = vfmig_crc32c(~0U, &h, sizeof(h));
	ret = vfmig_data_crc(d, off, payload, &crc);
	if (ret)
		return ret;
	h.crc = cpu_to_le32(~crc);
	return vfmig_data_copy(d, d->unit_start, &h, sizeof(h), true);
}

/**
 * vfmig_data_check_arrived() - check the headers of units received so far
 * @d: the resume buffer, @d->lock held, under the device's SRCU
 * @reason: what is wrong, on failure
 *
 * A stream from another device or program is refused as its first header
 * arrives, while the VMM is still sending: QEMU then fails the incoming
 * migration and the source carries on, instead of finding out only when
 * the destination starts.
 *
 * Return: 0 or -errno from vfmig_stream_check_header().
 */
int vfmig_data_check_arrived(struct vfmig_data *d, const char **reason)
{
	struct vfmig_stream_expect want;
	struct vfmig_stream_header h;
	int ret;

	vfmig_stream_id(d->mdev, &want);
	while (d->len - d->unit_start >= sizeof(h)) {
		ret = vfmig_data_read(d, d->unit_start, &h, sizeof(h)) ?:
		      vfmig_stream_check_header(&h, &want, reason);
		if (ret)
			return ret;
		/* Wait for the payload; bogus lengths are the full check's. */
		if (le64_to_cpu(h.payload_len) > d->len - d->unit_start - sizeof(h))
			break;
		d->unit_start += sizeof(h) + le64_to_cpu(h.payload_len);
	}
	return 0;
}

static int vfmig_data_parse_read(void *ctx, u64 off, void *buf, u32 len)
{
	return vfmig_data_read(ctx, off, buf, len);
}

/*
 * load() reads what prepare() did not get: the units after the leading
 * ones it took.  Those were checked as they arrived and the buffer only
 * grows, so the parser found them where they were; if it did not, the
 * stream is not the one prepared and is refused rather than half loaded.
 */
static int vfmig_data_skip_prepared(struct vfmig_data *d, const char **reason)
{
	u64 total = d->info.payload_total;
	unsigned int i;

	if (d->prepared >= d->info.nr_units && d->prepared) {
		*reason = "prepare() took every unit: the final one is missing";
		return -EINVAL;
	}
	for (i = 0; i < d->prepared; i++) {
		const struct vfmig_stream_unit *u = &d->info.units[i];

		if (u->payload_offset != d->prep.units[i].payload_offset ||
		    u->payload_len != d->prep.units[i].payload_len) {
			*reason = "the units prepare() took changed";
			return -EINVAL;
		}
		total -= u->payload_len;
	}
	d->read_from = d->prepared;
	d->stream.length = total;
	return 0;
}

/**
 * vfmig_data_next_prepare() - check the next arrived unit for prepare()
 * @d: the resume buffer, @d->lock held, under the device's SRCU
 * @reason: what is wrong, on failure
 *
 * The leading pre-copy units go to prepare() one by one, each once it
 * passed the checks vfmig_stream_parse() makes of it (its header against
 * this device and program, against the units before it, its flags and
 * CRC32C); compat() is the caller's.  The whole stream is still parsed
 * before load(): this only decides which units prepare() may see.  The
 * first unit that is not a pre-copy one (the final unit) ends preparing.
 *
 * Return: 1 and @d->stream set up to read the unit; 0 when no unit waits;
 * or -errno from the checks (no unit is prepared after it).
 */
int vfmig_data_next_prepare(struct vfmig_data *d, const char **reason)
{
	struct vfmig_stream_info *p = &d->prep;
	struct vfmig_stream_expect want;
	struct vfmig_stream_header h;
	struct vfmig_stream_unit *u;
	u64 off = d->prep_end, payload;
	u32 crc, want_crc;
	int ret;

	lockdep_assert_held(&d->lock);
	/* Units before unit_start arrived whole, their headers checked. */
	if (d->prep_done || off >= d->unit_start)
		return 0;
	ret = vfmig_data_read(d, off, &h, sizeof(h));
	if (ret)
		return ret;
	payload = le64_to_cpu(h.payload_len);
	/* The final unit, or one the parser will refuse, is load()'s. */
	if (le32_to_cpu(h.flags) != VFMIG_STREAM_PRECOPY ||
	    d->prepared >= VFMIG_STREAM_MAX_UNITS - 1 ||
	    payload > d->unit_start - off - sizeof(h)) {
		d->prep_done = true;
		return 0;
	}

	d->prep_done = true;	/* until this unit passed */
	vfmig_stream_id(d->mdev, &want);
	ret = vfmig_stream_check_header(&h, &want, reason);
	if (!ret && d->prepared &&
	    vfmig_stream_check_header(&h, &p->id, reason))
		ret = -EINVAL;	/* units of different origins */
	if (ret)
		return ret;
	want_crc = le32_to_cpu(h.crc);
	h.crc = 0;
	crc = vfmig_crc32c(~0U, &h, sizeof(h));
	ret = vfmig_data_crc(d, off + sizeof(h), payload, &crc);
	if (ret) {
		*reason = "cannot read the stream";
		return ret;
	}
	if (~crc != want_crc) {
		*reason = "checksum mismatch (corrupted stream)";
		return -EBADMSG;
	}
	d->prep_done = false;

	if (!d->prepared) {
		memset(p, 0, sizeof(*p));
		p->id.vendor = le16_to_cpu(h.vendor);
		p->id.device = le16_to_cpu(h.device);
		p->id.subsystem_vendor = le16_to_cpu(h.subsystem_vendor);
		p->id.subsystem_device = le16_to_cpu(h.subsystem_device);
		memcpy(p->id.program, h.program, sizeof(p->id.program));
		p->id.program_version = le32_to_cpu(h.program_version);
	}
	u = &p->units[d->prepared];
	u->payload_offset = off + sizeof(h);
	u->payload_len = payload;
	u->flags = VFMIG_STREAM_PRECOPY;
	p->nr_units = d->prepared + 1;
	d->read_from = d->prepared;
	d->stream.phase = VFMIG_SAVE_PRECOPY;
	d->stream.length = payload;
	d->stream.pos = 0;
	d->stream.version = p->id.program_version;
	return 1;
}

/**
 * vfmig_data_validate() - check a whole incoming stream against this device
 * @d: the resume buffer, @d->lock held, under the device's SRCU
 * @reason: what is wrong, on failure
 *
 * On success @d->info describes the units and load() may read them.
 *
 * Return: 0 or -errno from vfmig_stream_parse().
 */
int vfmig_data_validate(struct vfmig_data *d, const char **reason)
{
	struct vfmig_stream_expect want;
	void *scratch;
	int ret;

	/* The parser checks CRCs a scratch buffer at a time: a page each. */
	scratch = kmalloc(PAGE_SIZE, GFP_KERNEL);
	if (!scratch)
		return -ENOMEM;
	vfmig_stream_id(d->mdev, &want);
	ret = vfmig_stream_parse(d->len, vfmig_data_parse_read, d,
				 vfmig_crc32c, &want, scratch, PAGE_SIZE,
				 &d->info, reason);
	kfree(scratch);
	if (!ret)
		ret = vfmig_data_skip_prepared(d, reason);
	if (!ret) {
		d->stream.pos = 0;
		d->stream.version = d->info.id.program_version;
	}
	return ret;
}

/**
 * vfmig_data_compat() - ask the program whether it takes a stream's origin
 * @d: a validated resume buffer, @d->lock not held, under the device's
 *     SRCU and state mutex
 * @prep: judge the origin of the units checked for prepare() rather than
 *        of the validated stream
 * @reason: what is wrong, on failure
 *
 * A program with compat() sees the origin of every stream, whatever its
 * ids; without it, or when it answers 0, the ids must be this device's,
 * as vfmig_stream_parse() checks them for a program without compat().
 *
 * Return: 0 when the device takes the stream; else the program's errno,
 * -ENODEV (other ids) or -EIO (the program broke its contract), with
 * @reason set.
 */
int vfmig_data_compat(struct vfmig_data *d, bool prep, const char **reason)
{
	struct vfmig_device *mdev = d->mdev;
	struct vfmig_binding *b = srcu_dereference(mdev->binding, &mdev->srcu);
	struct vfmig_stream_expect mine, id;
	struct vfmig_origin src = {};
	const char *what;
	int ret;

	lockdep_assert_held(&mdev->mig.state_mutex);
	/* The parser compared the ids; a stopped program fails the arc. */
	if (!b || !b->ops->compat || READ_ONCE(b->error))
		return 0;
	mutex_lock(&d->lock);
	id = prep ? d->prep.id : d->info.id;
	mutex_unlock(&d->lock);

	src.vendor = id.vendor;
	src.device = id.device;
	src.subsystem_vendor = id.subsystem_vendor;
	src.subsystem_device = id.subsystem_device;
	src.program_version = id.program_version;
	memcpy(src.program, id.program, sizeof(src.program));
	ret = vfmig_call_compat(b, &src);
	if (ret == VFMIG_COMPATIBLE)
		return 0;
	if (!ret) {
		vfmig_stream_id(mdev, &mine);
		if (vfmig_stream_same_ids(&id, &mine))
			return 0;
		what = "saved from a device with other PCI ids";
		ret = -ENODEV;
	} else if (READ_ONCE(b->error)) {
		what = "compat() broke its contract on a stream";
	} else {
		what = "compat() refused a stream";
	}
	snprintf(d->reason, sizeof(d->reason),
		 "%s from %04x:%04x (subsystem %04x:%04x), program %s version %u: %d",
		 what, id.vendor, id.device, id.subsystem_vendor,
		 id.subsystem_device, id.program, id.program_version, ret);
	*reason = d->reason;
	return ret;
}

/**
 * vfmig_stream_load_read() - read the next payload bytes for load() or
 * prepare()
 * @d: a validated resume buffer (or one unit checked for prepare()),
 *     @d->lock held
 * @dst: destination
 * @len: bytes wanted
 *
 * Payloads of successive units read as one byte sequence, from the first
 * unit prepare() did not get (load()), or of the one unit it is given.
 *
 * Return: bytes copied (0 at the end) or -errno.
 */
int vfmig_stream_load_read(struct vfmig_data *d, void *dst, size_t len)
{
	const struct vfmig_stream_info *info =
		d->stream.phase == VFMIG_SAVE_PRECOPY ? &d->prep : &d->info;
	u64 pos = d->stream.pos;
	size_t done = 0;
	unsigned int i;

	for (i = d->read_from; i < info->nr_units && done < len; i++) {
		const struct vfmig_stream_unit *u = &info->units[i];
		size_t n;
		int ret;

		if (pos >= u->payload_len) {
			pos -= u->payload_len;
			continue;
		}
		n = min_t(u64, len - done, u->payload_len - pos);
		ret = vfmig_data_read(d, u->payload_offset + pos, dst + done,
				      n);
		if (ret)
			return ret;
		done += n;
		pos = 0;
	}
	d->stream.pos += done;
	return done;
}
