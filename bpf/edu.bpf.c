// SPDX-License-Identifier: GPL-2.0
/*
 * vfmig program for QEMU's "edu" device (1234:11e8).
 *
 * Region part: most edu registers can be read back, so saving them is a
 * read.  Two kinds cannot: the factorial register (0x08) reads back the
 * result, never the input, and the DMA set-up (0x80-0x9f) is consumed by a
 * transfer whose target pages must be known for dirty tracking.  Those are
 * trapped; the writes are recorded in a shadow and then passed through, so
 * the guest sees the device exactly as without the program.
 *
 * Migration part: save() reads the registers and takes the factorial input
 * from the shadow; load() writes them into the new device, which recomputes
 * the factorial from its input.  What edu cannot take back: the non-RUN
 * bits of the DMA command (writing it starts a transfer) and the contents
 * of its 4 KiB DMA buffer (not readable through the BAR); both are left as
 * the destination has them.  The device cannot be paused, so the P2P
 * states need nothing; PRE_COPY sends a first copy of the state while the
 * guest runs and the final one after it stopped, and the last one wins.
 *
 * Stopping (set_state): edu cannot be paused, but a factorial being
 * computed when the guest stops would change the state after save() read
 * it, so leaving a running state waits for it (unless memory decoding is
 * off, as when a VMM sets up an incoming device).  A DMA transfer in flight
 * still lands later; the dirty part below accounts for it.
 *
 * Reset: edu has no reset method, so reset() only ever follows a
 * VFIO_DEVICE_RESET that vfmig turned into a migration-state reset: the
 * registers, and so the shadow, are unchanged; it is counted.
 *
 * Dirty part: a transfer to RAM (command RUN with the direction bit) marks
 * its target pages when the command is written, and again at every log
 * report until the device shows it finished, because edu performs it later
 * (100 ms on): a report between the two must not clear the only mark.
 *
 * Vendor region: a 4 KiB scratch area of the program's own (VFIO type
 * VFIO_REGION_TYPE_PCI_VENDOR_TYPE | 0x1234, subtype EDU_SCRATCH_SUBTYPE),
 * read and written through the VFIO uAPI and held in this program: how a
 * vendor adds a device region without a kernel driver.
 *
 * State format: version 1, or 2 when built with EDU_FORMAT=2
 * (selftests/progs/edu_v2.bpf.o), which puts the DMA command first and still reads
 * version 1 streams: a fleet upgrading its program keeps migrating.
 */
#include "vfmig.bpf.h"

#define EDU_BAR			0
#define EDU_LIVENESS		0x04
#define EDU_FACT		0x08
#define EDU_STATUS		0x20
#define EDU_STATUS_COMPUTING	0x01
#define EDU_STATUS_IRQFACT	0x80
#define EDU_IRQ_STATUS		0x24
#define EDU_IRQ_RAISE		0x60
#define EDU_IRQ_ACK		0x64
#define EDU_DMA_SRC		0x80
#define EDU_DMA_DST		0x88
#define EDU_DMA_CNT		0x90
#define EDU_DMA_CMD		0x98
#define EDU_DMA_END		0xa0
#define EDU_DMA_RUN		0x01
#define EDU_DMA_TO_RAM		0x02
/* edu's default dma_mask: it drops higher address bits of a transfer. */
#define EDU_DMA_MASK		((1ULL << 28) - 1)

/* What the device was told, as far as it cannot tell us itself. */
struct edu_shadow {
	__u32 fact_input;	/* last factorial input the device accepted */
	__u32 resets;		/* reset() calls */
	__u64 dma_src;		/* DMA set-up as last accepted */
	__u64 dma_dst;
	__u64 dma_cnt;
	__u64 dma_cmd;
	__u64 dma_started;	/* transfers started (cmd written with RUN) */
	__u64 writes;		/* trapped writes seen */
	__u32 fact_valid;	/* fact_input was seen (else: never written) */
	__u32 restored;		/* times load() restored this device */
	__u64 to_ram_dst;	/* a transfer to RAM not yet seen finished */
	__u64 to_ram_cnt;	/* its bytes; 0 when none */
};

#define EDU_SCRATCH_SUBTYPE	1
#define EDU_SCRATCH_SIZE	4096

#ifndef EDU_FORMAT
#define EDU_FORMAT		1
#endif

/* Tests build a variant that refuses chosen arcs (selftests/progs/edu_refuse.bpf.o). */
#ifdef EDU_REFUSE
#include "test_refuse.h"
#else
#define edu_refuse_arc(from, to)	0
#define edu_refuse_data()		0
#endif

/* Tests build a variant with compat() (selftests/progs/edu_compat.bpf.o). */
#ifdef EDU_COMPAT
#include "test_compat.h"
#else
#define EDU_COMPAT_OPS
#endif

/* The migration payload, format version 1 (vfmig_ops.version). */
struct edu_state {
	__u32 liveness;		/* 0x04 as read: ~ the last value written */
	__u32 fact_input;
	__u32 fact_valid;
	__u32 status;		/* 0x20: the IRQFACT bit matters */
	__u32 irq_status;	/* 0x24 */
	__u32 pad;
	__u64 dma_src;
	__u64 dma_dst;
	__u64 dma_cnt;
};

/* Format 2: the DMA command (for the shadow) comes first. */
struct edu_state_v2 {
	__u64 dma_cmd;
	struct edu_state v1;
};

/* The vendor region: its number from bpf_vfmig_region_add(), and bytes. */
static int scratch_region = -1;
static __u8 scratch[EDU_SCRATCH_SIZE];

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct edu_shadow);
} edu_shadow SEC(".maps");

SEC("struct_ops.s/init")
int BPF_PROG(edu_init, struct vfmig_dev *dev)
{
	int err;

	err = bpf_vfmig_trap_window(dev, EDU_BAR, EDU_FACT, 4) ?:
	      bpf_vfmig_trap_window(dev, EDU_BAR, EDU_DMA_SRC,
				    EDU_DMA_END - EDU_DMA_SRC);
	if (err)
		return err;
	scratch_region = bpf_vfmig_region_add(dev, EDU_SCRATCH_SUBTYPE,
					      EDU_SCRATCH_SIZE,
					      VFMIG_REGION_READ | VFMIG_REGION_WRITE);
	return scratch_region < 0 ? scratch_region : 0;
}

static bool is_scratch(const struct vfmig_access *acc)
{
	return scratch_region >= 0 &&
	       acc->index == VFMIG_VENDOR_REGION(scratch_region);
}

/*
 * One aligned piece of the scratch region (the kernel checked the bounds;
 * the masks tell the verifier).
 */
static int scratch_rw(struct vfmig_access *acc, bool write)
{
	__u64 off = acc->offset;

	switch (acc->size) {
	case 1:
		off &= EDU_SCRATCH_SIZE - 1;
		if (write)
			scratch[off] = acc->value;
		else
			acc->value = scratch[off];
		return 0;
	case 2:
		off &= EDU_SCRATCH_SIZE - 2;
		if (write)
			*(__u16 *)&scratch[off] = acc->value;
		else
			acc->value = *(__u16 *)&scratch[off];
		return 0;
	case 4:
		off &= EDU_SCRATCH_SIZE - 4;
		if (write)
			*(__u32 *)&scratch[off] = acc->value;
		else
			acc->value = *(__u32 *)&scratch[off];
		return 0;
	case 8:
		off &= EDU_SCRATCH_SIZE - 8;
		if (write)
			*(__u64 *)&scratch[off] = acc->value;
		else
			acc->value = *(__u64 *)&scratch[off];
		return 0;
	}
	return -EINVAL;
}

SEC("struct_ops/region_read")
int BPF_PROG(edu_read, struct vfmig_dev *dev, struct vfmig_access *acc)
{
	return is_scratch(acc) ? scratch_rw(acc, false) : VFMIG_PASS;
}

/* The target of the transfer to RAM being started, as edu will write it. */
static void mark_to_ram(struct vfmig_dev *dev, struct edu_shadow *s)
{
	s->to_ram_dst = s->dma_dst & EDU_DMA_MASK;
	s->to_ram_cnt = s->dma_cnt;
	if (s->to_ram_cnt)
		bpf_vfmig_mark_dirty(dev, s->to_ram_dst, s->to_ram_cnt);
}

SEC("struct_ops/region_write")
int BPF_PROG(edu_write, struct vfmig_dev *dev, struct vfmig_access *acc)
{
	struct edu_shadow *s;
	__u32 key = 0;
	__u64 status = 0;

	if (is_scratch(acc))
		return scratch_rw(acc, true);
	/* The device ignores anything but 4 bytes here, 4 or 8 for DMA. */
	if (acc->size != 4 && !(acc->size == 8 && acc->offset >= EDU_DMA_SRC))
		return VFMIG_PASS;

	s = bpf_map_lookup_elem(&edu_shadow, &key);
	if (!s)
		return VFMIG_PASS;
	s->writes++;

	if (acc->offset == EDU_FACT) {
		/* A write while computing is dropped by the device. */
		if (bpf_vfmig_bar_read(dev, EDU_BAR, EDU_STATUS, 4, &status))
			return -EIO;
		if (!(status & EDU_STATUS_COMPUTING)) {
			s->fact_input = acc->value;
			s->fact_valid = 1;
		}
		return VFMIG_PASS;
	}

	if (acc->offset >= EDU_DMA_SRC && acc->offset < EDU_DMA_END) {
		__u64 cmd = 0;

		/*
		 * Mirror the device: it decodes only each register's own
		 * address (a 4-byte write sets the whole register), freezes
		 * the set-up while a transfer runs and ignores a command
		 * without RUN.
		 */
		if (bpf_vfmig_bar_read(dev, EDU_BAR, EDU_DMA_CMD, 8, &cmd))
			return -EIO;
		if (cmd & EDU_DMA_RUN)
			return VFMIG_PASS;

		switch (acc->offset) {
		case EDU_DMA_SRC:
			s->dma_src = acc->value;
			break;
		case EDU_DMA_DST:
			s->dma_dst = acc->value;
			break;
		case EDU_DMA_CNT:
			s->dma_cnt = acc->value;
			break;
		case EDU_DMA_CMD:
			if (acc->value & EDU_DMA_RUN) {
				s->dma_cmd = acc->value;
				s->dma_started++;
				if (acc->value & EDU_DMA_TO_RAM)
					mark_to_ram(dev, s);
			}
			break;
		}
	}
	return VFMIG_PASS;
}

static struct edu_shadow *shadow(void)
{
	__u32 key = 0;

	return bpf_map_lookup_elem(&edu_shadow, &key);
}

static int read32(struct vfmig_dev *dev, __u64 off, __u32 *v)
{
	__u64 x = 0;
	int err = bpf_vfmig_bar_read(dev, EDU_BAR, off, 4, &x);

	*v = x;
	return err;
}

SEC("struct_ops.s/save")
int BPF_PROG(edu_save, struct vfmig_dev *dev, struct vfmig_stream *stream)
{
	struct edu_state st = {};
	struct edu_shadow *s = shadow();
	int err = edu_refuse_data();

	if (err)
		return err;
	if (!s)
		return -ENOENT;
	err = read32(dev, EDU_LIVENESS, &st.liveness) ?:
	      read32(dev, EDU_STATUS, &st.status) ?:
	      read32(dev, EDU_IRQ_STATUS, &st.irq_status) ?:
	      bpf_vfmig_bar_read(dev, EDU_BAR, EDU_DMA_SRC, 8, &st.dma_src) ?:
	      bpf_vfmig_bar_read(dev, EDU_BAR, EDU_DMA_DST, 8, &st.dma_dst) ?:
	      bpf_vfmig_bar_read(dev, EDU_BAR, EDU_DMA_CNT, 8, &st.dma_cnt);
	if (err)
		return err;
	st.fact_input = s->fact_input;
	st.fact_valid = s->fact_valid;
	if (EDU_FORMAT == 1)
		return bpf_vfmig_stream_write(stream, &st, sizeof(st));
	{
		struct edu_state_v2 v2 = { .dma_cmd = s->dma_cmd, .v1 = st };

		return bpf_vfmig_stream_write(stream, &v2, sizeof(v2));
	}
}

/* One unit's state, in the format the stream was saved in. */
static int read_state(struct vfmig_stream *stream, struct edu_state *st,
		      __u64 *dma_cmd)
{
	struct edu_state_v2 v2 = {};
	int n;

	if (stream->version == 1) {
		n = bpf_vfmig_stream_read(stream, st, sizeof(*st));
		return n == sizeof(*st) ? 0 : -EINVAL;
	}
	n = bpf_vfmig_stream_read(stream, &v2, sizeof(v2));
	if (n != sizeof(v2))
		return -EINVAL;
	*st = v2.v1;
	*dma_cmd = v2.dma_cmd;
	return 0;
}

static int write32(struct vfmig_dev *dev, __u64 off, __u32 v)
{
	return bpf_vfmig_bar_write(dev, EDU_BAR, off, 4, v);
}

struct wait_ctx {
	struct vfmig_dev *dev;
	int err;
};

/* bpf_loop callback: stop once the factorial is computed. */
static long wait_computed(__u64 i, void *data)
{
	struct wait_ctx *ctx = data;
	__u32 status = EDU_STATUS_COMPUTING;

	ctx->err = read32(ctx->dev, EDU_STATUS, &status);
	if (ctx->err)
		return 1;
	if (status & EDU_STATUS_COMPUTING) {
		ctx->err = -ETIMEDOUT;
		return 0;
	}
	return 1;
}

SEC("struct_ops.s/load")
int BPF_PROG(edu_load, struct vfmig_dev *dev, struct vfmig_stream *stream)
{
	struct edu_state st = {};
	struct edu_shadow *s = shadow();
	__u64 dma_cmd = 0;
	int err = edu_refuse_data(), i;

	if (err)
		return err;
	if (!s)
		return -ENOENT;
	/* A pre-copy unit may come first: the last state wins. */
	for (i = 0; i < 2; i++) {
		err = read_state(stream, &st, &dma_cmd);
		if (err)
			return err;
		if (stream->pos == stream->length)
			break;
	}
	if (stream->pos != stream->length)
		return -EINVAL;

	/*
	 * The factorial first, with IRQFACT clear so its completion raises
	 * nothing, and waited for; the interrupt state last.
	 */
	err = write32(dev, EDU_LIVENESS, ~st.liveness) ?:
	      write32(dev, EDU_STATUS, 0) ?:
	      (st.fact_valid ? write32(dev, EDU_FACT, st.fact_input) : 0);
	if (!err && st.fact_valid) {
		struct wait_ctx ctx = { .dev = dev, .err = -ETIMEDOUT };

		bpf_loop(1 << 16, wait_computed, &ctx, 0);
		err = ctx.err;
	}
	if (!err)
		err = write32(dev, EDU_STATUS, st.status & EDU_STATUS_IRQFACT) ?:
		      bpf_vfmig_bar_write(dev, EDU_BAR, EDU_DMA_SRC, 8, st.dma_src) ?:
		      bpf_vfmig_bar_write(dev, EDU_BAR, EDU_DMA_DST, 8, st.dma_dst) ?:
		      bpf_vfmig_bar_write(dev, EDU_BAR, EDU_DMA_CNT, 8, st.dma_cnt) ?:
		      write32(dev, EDU_IRQ_ACK, ~0U) ?:
		      (st.irq_status ? write32(dev, EDU_IRQ_RAISE, st.irq_status) : 0);
	if (err)
		return err;
	s->fact_input = st.fact_input;
	s->fact_valid = st.fact_valid;
	s->dma_src = st.dma_src;
	s->dma_dst = st.dma_dst;
	s->dma_cnt = st.dma_cnt;
	if (dma_cmd)
		s->dma_cmd = dma_cmd;
	s->restored++;
	return 0;
}

static bool running(__u32 state)
{
	return state == VFIO_DEVICE_STATE_RUNNING ||
	       state == VFIO_DEVICE_STATE_PRE_COPY;
}

SEC("struct_ops.s/set_state")
int BPF_PROG(edu_set_state, struct vfmig_dev *dev, __u32 from, __u32 to)
{
	struct wait_ctx wait = { .dev = dev, .err = -ETIMEDOUT };
	int err = edu_refuse_arc(from, to);

	if (err)
		return err;
	if (!running(from) || running(to))
		return 0;
	bpf_loop(1 << 16, wait_computed, &wait, 0);
	/* Memory decoding off (a VMM setting up, say): nothing to wait for. */
	return wait.err == -EIO ? 0 : wait.err;
}

SEC("struct_ops.s/reset")
void BPF_PROG(edu_reset, struct vfmig_dev *dev)
{
	struct edu_shadow *s = shadow();

	if (s)
		s->resets++;
}

/* Mark a transfer still in flight again: it may land after this report. */
SEC("struct_ops/log_report")
int BPF_PROG(edu_log_report, struct vfmig_dev *dev, __u64 iova, __u64 length)
{
	struct edu_shadow *s = shadow();
	__u64 cmd = EDU_DMA_RUN, started;

	if (!s || !s->to_ram_cnt)
		return 0;
	started = s->dma_started;
	if (bpf_vfmig_bar_read(dev, EDU_BAR, EDU_DMA_CMD, 8, &cmd))
		return -EIO;
	bpf_vfmig_mark_dirty(dev, s->to_ram_dst, s->to_ram_cnt);
	/* Finished, and no new transfer started meanwhile. */
	if (!(cmd & EDU_DMA_RUN) && s->dma_started == started)
		s->to_ram_cnt = 0;
	return 0;
}

SEC("struct_ops/state_size")
__u64 BPF_PROG(edu_state_size, struct vfmig_dev *dev)
{
	return EDU_FORMAT == 1 ? sizeof(struct edu_state) :
				 sizeof(struct edu_state_v2);
}

/* selftests/progs/edu_stop_copy.bpf.o is this program built without PRE_COPY. */
#ifndef EDU_FLAGS
#define EDU_FLAGS (VFMIG_F_P2P | VFMIG_F_PRE_COPY)
#endif

VFMIG_OPS(edu,
	.ids = { VFMIG_PCI_DEVICE(0x1234, 0x11e8) },
	.flags = EDU_FLAGS | VFMIG_F_DIRTY_LOG,
	.version = EDU_FORMAT,
	.min_version = 1,
	.init = (void *)edu_init,
	.region_read = (void *)edu_read,
	.region_write = (void *)edu_write,
	.set_state = (void *)edu_set_state,
	.save = (void *)edu_save,
	.load = (void *)edu_load,
	.state_size = (void *)edu_state_size,
	.log_report = (void *)edu_log_report,
	.reset = (void *)edu_reset,
	EDU_COMPAT_OPS
);

char LICENSE[] SEC("license") = "GPL";
