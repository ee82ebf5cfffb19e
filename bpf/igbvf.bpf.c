// SPDX-License-Identifier: GPL-2.0
/*
 * vfmig program for the Intel 82576 VF (8086:10ca), as QEMU's igb models
 * it: an SR-IOV NIC VF made live-migratable without a vendor driver.
 *
 * What state a NIC VF has, and where it lives:
 * - registers that read back as written: ring bases, lengths, heads and
 *   tails, queue enables, interrupt routing (IVAR), moderation (EITR),
 *   auto-clear and auto-mask.  save() reads them, load() writes them.
 * - registers that do not: the interrupt mask (EIMS reads back the last
 *   value written, not the mask; EIMC clears bits), the causes (EICR
 *   clears when read) and the mailbox status (V2PMAILBOX clears PFSTS,
 *   PFACK and RSTD when read).  They are trapped: writes build a shadow,
 *   and a read the program makes for itself keeps the bits it cleared
 *   until the guest reads them.
 * - state held by the PF's driver on the VF's behalf: its MAC filter,
 *   multicast list, VLANs, frame size, promiscuity.  The VF set them
 *   through the mailbox, so the program records the guest's requests
 *   (the words in VMBMEM when the guest rings REQ) and load() replays them
 *   to the destination's PF: VF reset, then each request, answered by the
 *   PF driver as the source's once was.  Idempotent requests keep their
 *   last instance (VLANs one per id), so the history stays bounded.
 * - memory the device writes by DMA: RX buffers, RX descriptor write-back,
 *   TX descriptor and head write-back.  The RX buffers are known only from
 *   the descriptors the guest posts, so a write of RDT (the doorbell) is
 *   trapped and the newly posted descriptors are read through the IOMMU
 *   (bpf_vfmig_dma_read()); each report marks every buffer posted, a
 *   buffer reposted is marked first, and the rings are marked whole.
 *
 * Stopping: leaving a running state disables the RX queues (TX sends only
 * when the guest writes TDT, which a stopped guest does not), so no DMA
 * lands after the last report and RDH stays what save() read; a return to
 * running (a cancelled migration) enables them again.
 *
 * Relies on the model: 4-byte register accesses, one-buffer advanced RX
 * descriptors (no header split), at most 512 descriptors a ring, a PF
 * driver that answers the mailbox within the load() wait budget.
 */
#include "vfmig.bpf.h"

#define BAR			0
#define CTRL			0x0000
#define CTRL_RST		0x04000000
#define VMBMEM			0x0800
#define VMBMEM_WORDS		16
#define V2PMAILBOX		0x0c40
#define EIMS			0x1524
#define EIMC			0x1528
#define EIAC			0x152c
#define EIAM			0x1530
#define EICS			0x1520
#define EICR			0x1580
#define EITR0			0x1680
#define IVAR0			0x1700
#define IVAR_MISC		0x1740
#define EIRQ_MASK		0x7	/* three MSI-X vectors */

/* Queue q's registers: RX at 0x2800 + 0x100 q, TX at 0x3800 + 0x100 q. */
#define NQ			2
#define RXQ(q)			(0x2800 + 0x100 * (q))
#define TXQ(q)			(0x3800 + 0x100 * (q))
#define DBAL			0x00
#define DBAH			0x04
#define DLEN			0x08
#define SRRCTL			0x0c
#define DH			0x10
#define DT			0x18
#define DCTL			0x28
#define TDWBAL			0x38
#define TDWBAH			0x3c
#define QUEUE_ENABLE		0x02000000
#define SRRCTL_BSIZE_MASK	0x7f	/* KiB */
#define DESC_SIZE		16

/* V2PMAILBOX bits; these three clear when read. */
#define MBX_REQ			0x01
#define MBX_ACK			0x02
#define MBX_VFU			0x04
#define MBX_PFSTS		0x10
#define MBX_PFACK		0x20
#define MBX_RSTD		0x80
#define MBX_R2C			(MBX_PFSTS | MBX_PFACK | MBX_RSTD)

/* Mailbox requests (Linux's e1000_mbx.h) and the answer bits. */
#define VF_RESET		0x01
#define VF_SET_MAC_ADDR		0x02
#define VF_SET_MULTICAST	0x03
#define VF_SET_VLAN		0x04
#define VF_SET_LPE		0x05
#define VF_SET_PROMISC		0x06
#define MSG_TYPE(w)		((w) & 0xffff)
#define MSG_ACK			0x80000000

#define MAX_MSGS		16
#define MAX_RXD			512
#define IGBVF_VERSION		1

/* One RX queue as the program follows it, to find what the device wrote. */
struct rxq_track {
	__u64 base;		/* RDBAL/RDBAH as the guest wrote them */
	__u32 len;		/* RDLEN */
	__u32 srrctl;
	__u32 rdt;		/* tail the posted buffers are known up to */
	__u32 untracked;	/* ring too long to follow: reports fail */
	__u64 buf[MAX_RXD];	/* buffer of each descriptor, 0: none */
};

struct mbx_msg {
	__u32 w[VMBMEM_WORDS];
};

/* What the device cannot tell the program itself. */
struct igbvf_shadow {
	__u32 vmbmem[VMBMEM_WORDS];	/* words the guest put in the mailbox */
	__u32 mbx_pending;	/* R2C mailbox bits read by us, not the guest */
	__u32 eicr_pending;	/* causes read by us, not the guest */
	__u32 eims;		/* the effective interrupt mask */
	__u32 eims_written;	/* what EIMS reads back */
	__u32 eims_seen;	/* the guest wrote EIMS since attach */
	__u32 reset_seen;	/* the guest sent VF_RESET */
	__u32 nr_msgs;
	__u32 history_full;	/* more requests than MAX_MSGS: cannot save */
	__u32 quiesced;		/* RX disabled by set_state */
	__u32 rxdctl[NQ];	/* RXDCTL before quiescing */
	__u32 restored;		/* load() calls that succeeded */
	__u32 replay_nacks;	/* replayed requests the PF refused */
	struct mbx_msg msgs[MAX_MSGS];
	struct rxq_track rxq[NQ];
};

/* Migration payload, version IGBVF_VERSION. */
struct igbvf_queue_state {
	__u32 rx[7];		/* RDBAL RDBAH RDLEN SRRCTL RDH RDT RXDCTL */
	__u32 tx[8];		/* TDBAL TDBAH TDLEN TDH TDT TXDCTL TDWBAL/H */
};

struct igbvf_state {
	struct igbvf_queue_state q[NQ];
	__u32 eiac, eiam, eitr[3], ivar0, ivar_misc;
	__u32 eims, eims_written, eims_seen, eicr_pending;
	__u32 vmbmem[VMBMEM_WORDS];	/* as the device holds it */
	__u32 mbx_pending;
	__u32 reset_seen;
	__u32 nr_msgs;
	__u32 pad;
	struct mbx_msg msgs[MAX_MSGS];
};

/*
 * Register i of the saved queue state.  Not a const array: clang may put
 * one in a mergeable .rodata.cst* section, whose BTF libbpf cannot place.
 */
static __u32 rx_reg(int i)
{
	switch (i) {
	case 0: return DBAL;
	case 1: return DBAH;
	case 2: return DLEN;
	case 3: return SRRCTL;
	case 4: return DH;
	case 5: return DT;
	default: return DCTL;
	}
}

static __u32 tx_reg(int i)
{
	switch (i) {
	case 0: return DBAL;
	case 1: return DBAH;
	case 2: return DLEN;
	case 3: return DH;
	case 4: return DT;
	case 5: return DCTL;
	case 6: return TDWBAL;
	default: return TDWBAH;
	}
}

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct igbvf_shadow);
} igbvf_shadow SEC(".maps");

/* The state being saved or loaded: too big for the BPF stack. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct igbvf_state);
} igbvf_scratch SEC(".maps");

static struct igbvf_shadow *shadow(void)
{
	__u32 key = 0;

	return bpf_map_lookup_elem(&igbvf_shadow, &key);
}

static struct igbvf_state *scratch(void)
{
	__u32 key = 0;

	return bpf_map_lookup_elem(&igbvf_scratch, &key);
}

static int rd32(struct vfmig_dev *dev, __u64 off, __u32 *v)
{
	__u64 x = 0;
	int err = bpf_vfmig_bar_read(dev, BAR, off, 4, &x);

	*v = x;
	return err;
}

static int wr32(struct vfmig_dev *dev, __u64 off, __u32 v)
{
	return bpf_vfmig_bar_write(dev, BAR, off, 4, v);
}

SEC("struct_ops.s/init")
int BPF_PROG(igbvf_init, struct vfmig_dev *dev)
{
	return bpf_vfmig_trap_window(dev, BAR, VMBMEM, VMBMEM_WORDS * 4) ?:
	       bpf_vfmig_trap_window(dev, BAR, V2PMAILBOX, 4) ?:
	       bpf_vfmig_trap_window(dev, BAR, EIMS, 8) ?:
	       bpf_vfmig_trap_window(dev, BAR, EICR, 4) ?:
	       bpf_vfmig_trap_window(dev, BAR, RXQ(0), DT + 4) ?:
	       bpf_vfmig_trap_window(dev, BAR, RXQ(1), DT + 4);
}

/* ---- mailbox history ------------------------------------------------ */

/* Requests that replace the previous one of their kind (a VLAN: its id). */
static bool same_request(const __u32 *a, const __u32 *b)
{
	__u32 type = MSG_TYPE(a[0]);

	if (type != MSG_TYPE(b[0]))
		return false;
	switch (type) {
	case VF_SET_MAC_ADDR:
		return (a[0] & 0xffffff) == (b[0] & 0xffffff);
	case VF_SET_VLAN:
		return (a[1] & 0xfff) == (b[1] & 0xfff);
	case VF_SET_MULTICAST:
	case VF_SET_LPE:
	case VF_SET_PROMISC:
		return true;
	}
	return false;
}

/* The guest rang REQ: remember the request it put in the mailbox. */
static void record_request(struct igbvf_shadow *s)
{
	__u32 i, n = s->nr_msgs, slot = n;

	if (MSG_TYPE(s->vmbmem[0]) == VF_RESET) {
		s->reset_seen = 1;
		s->nr_msgs = 0;
		s->history_full = 0;
		return;
	}
	for (i = 0; i < MAX_MSGS && i < n; i++)
		if (same_request(s->msgs[i].w, s->vmbmem)) {
			slot = i;
			break;
		}
	if (slot >= MAX_MSGS) {
		s->history_full = 1;
		return;
	}
	__builtin_memcpy(s->msgs[slot].w, s->vmbmem, sizeof(s->vmbmem));
	if (slot == n)
		s->nr_msgs = n + 1;
}

/* ---- RX buffers, for dirty tracking --------------------------------- */

static __u64 buf_size(struct rxq_track *r)
{
	__u32 kib = r->srrctl & SRRCTL_BSIZE_MASK;

	return kib ? kib * 1024 : 2048;
}

struct post_ctx {
	struct vfmig_dev *dev;
	struct rxq_track *r;
	__u32 i;		/* next descriptor */
	__u32 end;		/* stop before it */
	__u32 n;		/* descriptors in the ring */
};

/* bpf_loop callback: learn the buffer of one newly posted descriptor. */
static long post_one(__u64 k, void *data)
{
	struct post_ctx *c = data;
	struct rxq_track *r = c->r;
	__u32 i = c->i & (MAX_RXD - 1);
	__u64 addr = 0;

	if (c->i == c->end)
		return 1;
	/* The old buffer was consumed: the device wrote it. */
	if (r->buf[i])
		bpf_vfmig_mark_dirty(c->dev, r->buf[i], buf_size(r));
	if (bpf_vfmig_dma_read(c->dev, r->base + (__u64)c->i * DESC_SIZE,
			       &addr, sizeof(addr)))
		addr = 0;
	r->buf[i] = addr;
	c->i = c->i + 1 < c->n ? c->i + 1 : 0;
	return 0;
}

/* Descriptors [@from, @to) were handed to the device. */
static void rx_posted(struct vfmig_dev *dev, struct rxq_track *r, __u32 from,
		      __u32 to)
{
	struct post_ctx c = { .dev = dev, .r = r };

	c.n = r->len / DESC_SIZE;
	r->rdt = to;
	if (!c.n || r->untracked || from >= c.n || to >= c.n)
		return;
	c.i = from;
	c.end = to;
	bpf_loop(MAX_RXD, post_one, &c, 0);
}

static long clear_buf(__u64 k, void *data)
{
	struct rxq_track *r = *(struct rxq_track **)data;

	r->buf[k & (MAX_RXD - 1)] = 0;
	return 0;
}

static void rx_ring_changed(struct rxq_track *r)
{
	r->untracked = r->len / DESC_SIZE > MAX_RXD;
	r->rdt = 0;
	bpf_loop(MAX_RXD, clear_buf, &r, 0);
}

/* ---- region hooks --------------------------------------------------- */

static int rx_write(struct vfmig_dev *dev, struct igbvf_shadow *s, __u32 q,
		    __u32 reg, __u32 v)
{
	struct rxq_track *r = &s->rxq[q & 1];

	switch (reg) {
	case DBAL:
		r->base = (r->base & ~0xffffffffULL) | (v & ~0x7fU);
		rx_ring_changed(r);
		break;
	case DBAH:
		r->base = (r->base & 0xffffffffULL) | (__u64)v << 32;
		rx_ring_changed(r);
		break;
	case DLEN:
		r->len = v & 0xfff80;
		rx_ring_changed(r);
		break;
	case SRRCTL:
		r->srrctl = v;
		break;
	case DT:
		rx_posted(dev, r, r->rdt, v & 0xffff);
		break;
	}
	return VFMIG_PASS;
}

SEC("struct_ops/region_write")
int BPF_PROG(igbvf_write, struct vfmig_dev *dev, struct vfmig_access *acc)
{
	struct igbvf_shadow *s = shadow();
	__u64 off = acc->offset;
	__u32 v = acc->value;

	if (!s)
		return VFMIG_PASS;
	if (off >= VMBMEM && off < VMBMEM + VMBMEM_WORDS * 4) {
		__u32 w = (off - VMBMEM) / 4;

		if (acc->size == 4 || acc->size == 8)
			s->vmbmem[w & (VMBMEM_WORDS - 1)] = v;
		if (acc->size == 8)
			s->vmbmem[(w + 1) & (VMBMEM_WORDS - 1)] = acc->value >> 32;
		return VFMIG_PASS;
	}
	if (acc->size != 4)
		return VFMIG_PASS;
	switch (off) {
	case V2PMAILBOX:
		if (v & MBX_REQ)
			record_request(s);
		return VFMIG_PASS;
	case EIMS:
		s->eims |= v & EIRQ_MASK;
		s->eims_written = v;
		s->eims_seen = 1;
		return VFMIG_PASS;
	case EIMC:
		s->eims &= ~v;
		return VFMIG_PASS;
	}
	if (off >= RXQ(0) && off < RXQ(NQ))
		return rx_write(dev, s, (off - RXQ(0)) / 0x100, off & 0xff, v);
	return VFMIG_PASS;
}

/*
 * A read-to-clear register: the guest gets the bits the program cleared
 * on its behalf, too.  If the device is busy (a reset), vfio-pci reads it
 * and the kept bits wait for the next read.
 */
static int read_clear(struct vfmig_dev *dev, struct vfmig_access *acc,
		      __u32 *pending)
{
	__u32 v = 0;

	if (rd32(dev, acc->offset, &v))
		return VFMIG_PASS;
	acc->value = v | *pending;
	*pending = 0;
	return 0;
}

SEC("struct_ops/region_read")
int BPF_PROG(igbvf_read, struct vfmig_dev *dev, struct vfmig_access *acc)
{
	struct igbvf_shadow *s = shadow();

	if (!s || acc->size != 4)
		return VFMIG_PASS;
	switch (acc->offset) {
	case V2PMAILBOX:
		return read_clear(dev, acc, &s->mbx_pending);
	case EICR:
		return read_clear(dev, acc, &s->eicr_pending);
	case EIMS:
		if (!s->eims_seen)
			return VFMIG_PASS;
		acc->value = s->eims_written;
		return 0;
	}
	return VFMIG_PASS;
}

/* ---- stopping ------------------------------------------------------- */

static bool running(__u32 state)
{
	return state == VFIO_DEVICE_STATE_RUNNING ||
	       state == VFIO_DEVICE_STATE_PRE_COPY;
}

SEC("struct_ops.s/set_state")
int BPF_PROG(igbvf_set_state, struct vfmig_dev *dev, __u32 from, __u32 to)
{
	struct igbvf_shadow *s = shadow();
	int q, err = 0;

	if (!s || running(from) == running(to))
		return 0;
	for (q = 0; q < NQ && !err; q++) {
		if (running(to)) {
			if (s->quiesced)
				err = wr32(dev, RXQ(q) + DCTL, s->rxdctl[q]);
			continue;
		}
		err = rd32(dev, RXQ(q) + DCTL, &s->rxdctl[q]);
		if (!err && (s->rxdctl[q] & QUEUE_ENABLE))
			err = wr32(dev, RXQ(q) + DCTL,
				   s->rxdctl[q] & ~QUEUE_ENABLE);
	}
	/* Memory decoding off (a VMM setting up): nothing to quiesce. */
	if (err)
		return err == -EIO ? 0 : err;
	s->quiesced = !running(to);
	return 0;
}

/* ---- save ----------------------------------------------------------- */

static int save_queue(struct vfmig_dev *dev, struct igbvf_shadow *s,
		      struct igbvf_queue_state *qs, int q)
{
	int i, err;

	for (i = 0; i < 7; i++) {
		err = rd32(dev, RXQ(q) + rx_reg(i), &qs->rx[i]);
		if (err)
			return err;
	}
	for (i = 0; i < 8; i++) {
		err = rd32(dev, TXQ(q) + tx_reg(i), &qs->tx[i]);
		if (err)
			return err;
	}
	if (s->quiesced)
		qs->rx[6] = s->rxdctl[q & 1];
	return 0;
}

SEC("struct_ops.s/save")
int BPF_PROG(igbvf_save, struct vfmig_dev *dev, struct vfmig_stream *stream)
{
	struct igbvf_shadow *s = shadow();
	struct igbvf_state *st = scratch();
	__u32 v = 0;
	int i, err;

	if (!s || !st)
		return -ENOENT;
	if (s->history_full)
		return -ENOSPC;
	err = save_queue(dev, s, &st->q[0], 0) ?:
	      save_queue(dev, s, &st->q[1], 1) ?:
	      rd32(dev, EIAC, &st->eiac) ?:
	      rd32(dev, EIAM, &st->eiam) ?:
	      rd32(dev, EITR0, &st->eitr[0]) ?:
	      rd32(dev, EITR0 + 4, &st->eitr[1]) ?:
	      rd32(dev, EITR0 + 8, &st->eitr[2]) ?:
	      rd32(dev, IVAR0, &st->ivar0) ?:
	      rd32(dev, IVAR_MISC, &st->ivar_misc);
	for (i = 0; i < VMBMEM_WORDS && !err; i++)
		err = rd32(dev, VMBMEM + 4 * i, &st->vmbmem[i]);
	/* Read-to-clear: the bits move to the shadow, for the guest. */
	if (!err)
		err = rd32(dev, V2PMAILBOX, &v);
	s->mbx_pending |= v & MBX_R2C;
	v = 0;
	if (!err)
		err = rd32(dev, EICR, &v);
	s->eicr_pending |= v & EIRQ_MASK;
	if (err)
		return err;
	st->eims = s->eims;
	st->eims_written = s->eims_written;
	st->eims_seen = s->eims_seen;
	st->eicr_pending = s->eicr_pending;
	st->mbx_pending = s->mbx_pending;
	st->reset_seen = s->reset_seen;
	st->nr_msgs = s->nr_msgs;
	__builtin_memcpy(st->msgs, s->msgs, sizeof(st->msgs));
	return bpf_vfmig_stream_write(stream, st, sizeof(*st));
}

/* ---- load: mailbox replay, then registers ---------------------------- */

struct mbx_wait_ctx {
	struct vfmig_dev *dev;
	__u32 bit;
	__u32 seen;		/* R2C bits read so far */
	int err;
};

/* bpf_loop callback: poll the mailbox for @bit, sleeping between reads. */
static long mbx_poll(__u64 k, void *data)
{
	struct mbx_wait_ctx *c = data;
	__u32 v = 0;

	c->err = rd32(c->dev, V2PMAILBOX, &v);
	if (c->err)
		return 1;
	c->seen |= v & MBX_R2C;
	if (c->seen & c->bit)
		return 1;
	c->err = bpf_vfmig_usleep(c->dev, 500);
	return c->err ? 1 : 0;
}

static int mbx_wait(struct mbx_wait_ctx *c, __u32 bit)
{
	c->bit = bit;
	c->err = -ETIMEDOUT;
	bpf_loop(4000, mbx_poll, c, 0);
	if (!c->err && !(c->seen & bit))
		c->err = -ETIMEDOUT;
	c->seen &= ~bit;
	return c->err;
}

/* Send one request as the guest did; the PF's first answer word. */
static int mbx_call(struct vfmig_dev *dev, const __u32 *msg, __u32 *answer)
{
	struct mbx_wait_ctx c = { .dev = dev };
	int i, err;

	err = wr32(dev, V2PMAILBOX, MBX_VFU);
	for (i = 0; i < VMBMEM_WORDS && !err; i++)
		err = wr32(dev, VMBMEM + 4 * i, msg[i]);
	err = err ?: wr32(dev, V2PMAILBOX, MBX_REQ) ?:
	      mbx_wait(&c, MBX_PFACK) ?:
	      mbx_wait(&c, MBX_PFSTS) ?:
	      wr32(dev, V2PMAILBOX, MBX_VFU) ?:
	      rd32(dev, VMBMEM, answer) ?:
	      wr32(dev, V2PMAILBOX, MBX_ACK);
	return err;
}

struct replay_ctx {
	struct vfmig_dev *dev;
	struct igbvf_state *st;
	struct igbvf_shadow *s;
	int err;
};

static long replay_one(__u64 k, void *data)
{
	struct replay_ctx *c = data;
	__u32 i = k & (MAX_MSGS - 1), answer = 0;

	if (k >= c->st->nr_msgs)
		return 1;
	c->err = mbx_call(c->dev, c->st->msgs[i].w, &answer);
	if (c->err)
		return 1;
	if (MSG_TYPE(answer) != MSG_TYPE(c->st->msgs[i].w[0])) {
		c->err = -EPROTO;
		return 1;
	}
	if (!(answer & MSG_ACK))
		c->s->replay_nacks++;
	return 0;
}

/* Rebuild the PF's view of this VF: reset it, then each request. */
static int replay_mailbox(struct vfmig_dev *dev, struct igbvf_state *st,
			  struct igbvf_shadow *s)
{
	__u32 reset[VMBMEM_WORDS] = { VF_RESET };
	struct replay_ctx c = { .dev = dev, .st = st, .s = s };
	__u32 answer = 0, v = 0;
	int err;

	/* A reset, and whatever status the PF left, are not the guest's. */
	err = wr32(dev, CTRL, CTRL_RST) ?: bpf_vfmig_usleep(dev, 10000) ?:
	      rd32(dev, V2PMAILBOX, &v);
	if (err || !st->reset_seen)
		return err;
	err = mbx_call(dev, reset, &answer);
	if (err)
		return err;
	if (MSG_TYPE(answer) != VF_RESET)
		return -EPROTO;
	bpf_loop(MAX_MSGS, replay_one, &c, 0);
	return c.err ?: rd32(dev, V2PMAILBOX, &v);
}

static int load_queue(struct vfmig_dev *dev, struct igbvf_shadow *s,
		      struct igbvf_queue_state *qs, int q)
{
	struct rxq_track *r = &s->rxq[q & 1];
	int i, err;

	/* Disabled while set up; the tails last, as a driver does. */
	err = wr32(dev, RXQ(q) + DCTL, 0) ?: wr32(dev, TXQ(q) + DCTL, 0);
	for (i = 0; i < 5 && !err; i++)
		err = wr32(dev, RXQ(q) + rx_reg(i), qs->rx[i]);
	for (i = 0; i < 4 && !err; i++)
		err = wr32(dev, TXQ(q) + tx_reg(i), qs->tx[i]);
	err = err ?: wr32(dev, TXQ(q) + TDWBAL, qs->tx[6]) ?:
	      wr32(dev, TXQ(q) + TDWBAH, qs->tx[7]) ?:
	      wr32(dev, TXQ(q) + DT, qs->tx[4]) ?:
	      wr32(dev, TXQ(q) + DCTL, qs->tx[5]) ?:
	      wr32(dev, RXQ(q) + DT, qs->rx[5]) ?:
	      wr32(dev, RXQ(q) + DCTL, qs->rx[6]);
	if (err)
		return err;

	/* Follow the buffers the device owns here too. */
	r->base = (__u64)qs->rx[1] << 32 | qs->rx[0];
	r->len = qs->rx[2];
	r->srrctl = qs->rx[3];
	rx_ring_changed(r);
	rx_posted(dev, r, qs->rx[4], qs->rx[5]);
	return 0;
}

static int load_irq(struct vfmig_dev *dev, struct igbvf_state *st)
{
	return wr32(dev, EITR0, st->eitr[0]) ?:
	       wr32(dev, EITR0 + 4, st->eitr[1]) ?:
	       wr32(dev, EITR0 + 8, st->eitr[2]) ?:
	       wr32(dev, IVAR0, st->ivar0) ?:
	       wr32(dev, IVAR_MISC, st->ivar_misc) ?:
	       wr32(dev, EIAC, st->eiac) ?:
	       wr32(dev, EIAM, st->eiam) ?:
	       wr32(dev, EIMC, EIRQ_MASK) ?:
	       wr32(dev, EIMS, st->eims) ?:
	       /* Pending causes raised again: the guest is interrupted. */
	       (st->eicr_pending ? wr32(dev, EICS, st->eicr_pending) : 0);
}

SEC("struct_ops.s/load")
int BPF_PROG(igbvf_load, struct vfmig_dev *dev, struct vfmig_stream *stream)
{
	struct igbvf_shadow *s = shadow();
	struct igbvf_state *st = scratch();
	int i, n, err;

	if (!s || !st)
		return -ENOENT;
	/* A pre-copy unit may come first: the last one wins. */
	for (i = 0; i < 2; i++) {
		n = bpf_vfmig_stream_read(stream, st, sizeof(*st));
		if (n != sizeof(*st))
			return -EINVAL;
		if (stream->pos == stream->length)
			break;
	}
	if (stream->pos != stream->length || st->nr_msgs > MAX_MSGS)
		return -EINVAL;

	err = replay_mailbox(dev, st, s);
	for (i = 0; i < VMBMEM_WORDS && !err; i++)
		err = wr32(dev, VMBMEM + 4 * i, st->vmbmem[i]);
	err = err ?: load_queue(dev, s, &st->q[0], 0) ?:
	      load_queue(dev, s, &st->q[1], 1) ?:
	      load_irq(dev, st);
	if (err)
		return err;

	__builtin_memcpy(s->vmbmem, st->vmbmem, sizeof(s->vmbmem));
	__builtin_memcpy(s->msgs, st->msgs, sizeof(s->msgs));
	s->nr_msgs = st->nr_msgs;
	s->reset_seen = st->reset_seen;
	s->history_full = 0;
	s->mbx_pending = st->mbx_pending;
	s->eicr_pending = 0;
	s->eims = st->eims;
	s->eims_written = st->eims_written;
	s->eims_seen = st->eims_seen;
	s->quiesced = 0;
	s->restored++;
	return 0;
}

/* ---- dirty pages ----------------------------------------------------- */

struct mark_ctx {
	struct vfmig_dev *dev;
	struct rxq_track *r;
};

static long mark_buf(__u64 k, void *data)
{
	struct mark_ctx *c = data;
	__u64 addr = c->r->buf[k & (MAX_RXD - 1)];

	if (addr)
		bpf_vfmig_mark_dirty(c->dev, addr, buf_size(c->r));
	return 0;
}

/* A ring the device writes back into: all of it. */
static int mark_ring(struct vfmig_dev *dev, __u64 regs)
{
	__u32 lo = 0, hi = 0, len = 0;
	int err;

	err = rd32(dev, regs + DBAL, &lo) ?: rd32(dev, regs + DBAH, &hi) ?:
	      rd32(dev, regs + DLEN, &len);
	if (!err && len)
		bpf_vfmig_mark_dirty(dev, (__u64)hi << 32 | lo, len);
	return err;
}

SEC("struct_ops.s/log_report")
int BPF_PROG(igbvf_log_report, struct vfmig_dev *dev, __u64 iova, __u64 length)
{
	struct igbvf_shadow *s = shadow();
	struct mark_ctx c = { .dev = dev };
	__u32 lo = 0, hi = 0;
	int q, err = 0;

	if (!s)
		return -ENOENT;
	for (q = 0; q < NQ; q++) {
		c.r = &s->rxq[q];
		if (c.r->untracked)
			return -EOPNOTSUPP;
		bpf_loop(MAX_RXD, mark_buf, &c, 0);
		err = err ?: mark_ring(dev, RXQ(q)) ?: mark_ring(dev, TXQ(q)) ?:
		      rd32(dev, TXQ(q) + TDWBAL, &lo) ?:
		      rd32(dev, TXQ(q) + TDWBAH, &hi);
		/* Head write-back: the device stores TDH there. */
		if (!err && (lo & 1))
			bpf_vfmig_mark_dirty(dev, (__u64)hi << 32 | (lo & ~3U), 4);
	}
	return err;
}

/* A new user, or a reset: what the shadow knew is gone. */
static struct igbvf_shadow blank;

static void forget(void)
{
	__u32 key = 0;

	bpf_map_update_elem(&igbvf_shadow, &key, &blank, BPF_ANY);
}

SEC("struct_ops.s/open")
void BPF_PROG(igbvf_open, struct vfmig_dev *dev)
{
	forget();
}

SEC("struct_ops.s/reset")
void BPF_PROG(igbvf_reset, struct vfmig_dev *dev)
{
	forget();
}

SEC("struct_ops/state_size")
__u64 BPF_PROG(igbvf_state_size, struct vfmig_dev *dev)
{
	return sizeof(struct igbvf_state);
}

VFMIG_OPS(igbvf,
	.ids = { VFMIG_PCI_DEVICE(0x8086, 0x10ca) },
	.flags = VFMIG_F_P2P | VFMIG_F_PRE_COPY | VFMIG_F_DIRTY_LOG,
	.version = IGBVF_VERSION,
	.init = (void *)igbvf_init,
	.region_read = (void *)igbvf_read,
	.region_write = (void *)igbvf_write,
	.set_state = (void *)igbvf_set_state,
	.save = (void *)igbvf_save,
	.load = (void *)igbvf_load,
	.state_size = (void *)igbvf_state_size,
	.log_report = (void *)igbvf_log_report,
	.open = (void *)igbvf_open,
	.reset = (void *)igbvf_reset,
);

char LICENSE[] SEC("license") = "GPL";
