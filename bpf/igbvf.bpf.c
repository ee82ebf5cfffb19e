// SPDX-License-Identifier: GPL-2.0
/*
 * vfmig program for the Intel 82576 VF (8086:10ca), as QEMU's igb models
 * it: an SR-IOV NIC VF made live-migratable without a vendor driver, for
 * the guest's own driver (Linux's igbvf) as much as for our test payload.
 *
 * What state a NIC VF has, and where it lives:
 * - registers that read back as written: ring bases, lengths, heads and
 *   tails, queue enables, buffer sizes (SRRCTL), DCA_TXCTRL, PSRTYPE,
 *   interrupt routing (IVAR), moderation (EITR), auto-clear and auto-mask.
 *   save() reads them, load() writes them.
 * - registers that do not: the interrupt mask (EIMS reads back the last
 *   value written, not the mask; EIMC clears bits), the causes (EICR
 *   clears when read) and the mailbox status (V2PMAILBOX clears PFSTS,
 *   PFACK and RSTD when read).  They are trapped: writes build a shadow,
 *   and a read the program makes for itself keeps the bits it cleared
 *   until the guest reads them (an atomic exchange: the guest's read and
 *   save() may race).
 * - the statistics counters (VFGPRC...), which the guest's driver reads as
 *   free-running 32-bit counters (a value lower than the last is a wrap):
 *   the destination's restart from its own values, so their reads are
 *   trapped and carry an offset that keeps what the guest reads going on
 *   from what it read on the source.
 * - state held by the PF's driver on the VF's behalf: its MAC address and
 *   unicast filters, multicast list, VLANs, frame size.  The VF set them
 *   through the mailbox, so the program records the guest's requests (the
 *   words in VMBMEM when the guest rings REQ) and the PF's answers (VMBMEM
 *   when the guest ACKs the reply), and load() replays them to the
 *   destination's PF: VF reset, then each request.  The destination must
 *   answer as the source's PF did (the VF reset with the same MAC, every
 *   request the source took taken again), else load() fails and the
 *   source runs on: a destination PF whose administrator set another MAC
 *   or VLAN for the VF, or with no filter slot left, cannot serve the
 *   guest.  Requests that replace an
 *   earlier one keep their last instance (the MAC, the multicast list, the
 *   frame size, a VLAN per id, a unicast filter per address; a filter
 *   clear the PF took drops the filters before it), so the history stays
 *   bounded.  What counts is what the PF holds: a filter it took stays
 *   taken when it refuses the same address again (igb's PF refuses
 *   igbvf's clear, so every resync adds the filters again, and once its
 *   pool is full it refuses filters it still holds), and a clear it
 *   refused clears nothing.  A
 *   request the guest made but whose answer it had not read when the VM
 *   stopped is replayed last, and the destination's answer is left for
 *   the guest to read.  A source that runs again after its final save
 *   asks for the guest's unicast filters again if its PF gave them away
 *   (to a destination VF on the same PF: retake_filters()).
 * - memory the device writes by DMA: RX buffers (and header buffers when
 *   SRRCTL asks for header split), RX descriptor write-back, TX descriptor
 *   and head write-back.  The RX buffers are known only from the
 *   descriptors the guest posts, so a write of RDT (the doorbell) is
 *   trapped by a sleepable hook that reads the newly posted descriptors
 *   (bpf_vfmig_dma_read(), any page size); each report marks every buffer
 *   posted that the device may have written (its descriptor no longer
 *   reads as posted), a buffer reposted is marked first, and the rings
 *   are marked whole.  A descriptor it cannot read at the post, or a ring
 *   access it cannot follow, makes every later report fail until the ring
 *   is set up again: the migration fails visibly rather than lose a page.
 *
 * - what the PF programmed for the VF, as the PF itself holds it: the
 *   PF channel's igb provider (vfmig_igb_pf.ko, include/vfmig_igb_pf.h)
 *   reads its receive-address and VLAN filter entries for the VF's pool,
 *   VMOLR, VMVIR and the VF's RX/TX enables.  save() records that view
 *   (format 3); load(), after the mailbox replay, reads the destination
 *   PF's and fails on any difference, naming it (an administrator's MAC,
 *   port VLAN or VLAN filter, a filter the PF could not allocate, a frame
 *   size or promiscuity it set otherwise): beyond the mailbox answers,
 *   the PF's programmed state itself.  A stream with a view needs one
 *   here to compare; with none on either side (no provider), load()
 *   compares the mailbox answers alone and says so once.
 *
 * Stopping: leaving a running state disables the RX queues (TX sends only
 * when the guest writes TDT, which a stopped guest does not), so no DMA
 * lands after the last report and RDH stays what save() read.  load()
 * leaves them disabled and the pending causes unraised (a device in STOP
 * makes no DMA and raises no interrupt); the return to running enables
 * them and raises the causes, as it does after a cancelled migration.
 *
 * Relies on the model: 4-byte register accesses, advanced RX descriptors
 * (one buffer or header split), at most 4096 descriptors a ring, a PF
 * driver that answers the mailbox within the load() wait budget.  Reports
 * skip a buffer whose descriptor still reads as posted only while RXDCTL's
 * WTHRESH is at most 1 (Linux's igbvf sets 1); above, the device may hold
 * the write-back of a buffer it filled, so every posted buffer is marked.
 */
#include "vfmig.bpf.h"
#include "vfmig_igb_pf.h"

#define BAR			0
#define CTRL			0x0000
#define CTRL_RST		0x04000000
#define VMBMEM			0x0800
#define VMBMEM_WORDS		16
#define PSRTYPE			0x0f0c
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

/* Statistics: VFGPRC, VFGPTC, VFGORC, VFGOTC, VFMPRC and the loopback ones. */
#define STATS			0x0f10
#define STATS_END		0x0f54
#define NSTATS			9

/* Queue q's registers: RX at 0x2800 + 0x100 q, TX at 0x3800 + 0x100 q. */
#define NQ			2
#define RXQ(q)			(0x2800 + 0x100 * (q))
#define TXQ(q)			(0x3800 + 0x100 * (q))
#define DBAL			0x00
#define DBAH			0x04
#define DLEN			0x08
#define SRRCTL			0x0c
#define DH			0x10
#define DCA_TXCTRL		0x14
#define DT			0x18
#define DCTL			0x28
#define TDWBAL			0x38
#define TDWBAH			0x3c
#define QUEUE_ENABLE		0x02000000
#define RXDCTL_WTHRESH(v)	(((v) >> 16) & 0x1f)
#define SRRCTL_BSIZEPKT(v)	((v) & 0x7f)		/* KiB */
#define SRRCTL_BSIZEHDR(v)	(((v) >> 8) & 0x3f)	/* 64 bytes */
#define SRRCTL_DESCTYPE(v)	((v) & 0x0e000000)
#define DESCTYPE_HDR_SPLIT	0x04000000
#define DESCTYPE_SPLIT_ALWAYS	0x0a000000
#define DESC_SIZE		16
#define RXD_STAT_DD		1	/* written back: in the upper quadword */
#define RXD_GROUP		8	/* descriptors in RDLEN's 128-byte unit */

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
#define MSG_INFO(w)		(((w) >> 16) & 0xff)
#define MAC_FILTER_CLR		0x01	/* MSG_INFO of VF_SET_MAC_ADDR */
#define MAC_FILTER_ADD		0x02
/* The address a filter clear goes with: 02:00:00:00:00:00 (w1, w2 = 0). */
#define CLR_ADDR_W1		0x02
#define MSG_ACK			0x80000000
#define MSG_NACK		0x40000000
#define ANSWER_WORDS		3	/* a VF reset's: status and the MAC */

#define MAX_MSGS		32
#define MAX_RXD			4096
#define IGBVF_VERSION		3	/* 3: the PF's view follows the state */
#define IGBVF_MIN_VERSION	2

/*
 * One RX queue as the program follows it, to find what the device
 * writes: the packet buffer, and the header buffer with header split, of
 * each descriptor posted (0: none).
 */
struct rxq_track {
	__u64 base;		/* RDBAL/RDBAH as the guest wrote them */
	__u32 len;		/* RDLEN */
	__u32 srrctl;
	__u32 rdt;		/* tail the posted buffers are known up to */
	__u32 lost;		/* a buffer is unknown: reports fail */
	__u32 held;		/* write-backs may be held: mark all posted */
	__u64 pkt[MAX_RXD];
	__u64 hdr[MAX_RXD];
};

/* A request the guest sent the PF, and the answer it read. */
struct mbx_msg {
	__u32 w[VMBMEM_WORDS];
	__u32 answer[ANSWER_WORDS];
	__u32 answered;
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
	__u32 kept;		/* record_request(): entries kept so far */
	__u32 history_full;	/* more requests than MAX_MSGS: cannot save */
	__u32 untracked;	/* an access the program could not follow */
	__u32 inflight;		/* 1 + slot of the request awaiting its
				 * answer, MAX_MSGS + 1 for a VF reset
				 */
	__u32 inflight_pfack;	/* the guest saw the PF take it */
	__u32 quiesced;		/* RX disabled by set_state or load */
	__u32 rxdctl[NQ];	/* RXDCTL to restore when running again */
	__u32 eics_on_run;	/* causes to raise when running again */
	__u32 restored;		/* load() calls that succeeded */
	__u32 mismatch_request;	/* replay: the request whose answer differed */
	__u32 mismatch_source;	/* ... the source PF's answer */
	__u32 mismatch_dest;	/* ... the destination PF's */
	__u32 reset_answer[ANSWER_WORDS];
	__u32 reset_answered;
	__u32 stat_off[NSTATS];	/* added to the counters the guest reads */
	__u32 stat_last[NSTATS]; /* what it read last */
	__u32 requests[8];	/* requests the guest sent, by type */
	struct mbx_msg msgs[MAX_MSGS];
	struct rxq_track rxq[NQ];
	__u32 pf_compared;	/* load(): PF views compared and equal */
	__u32 prepared;		/* prepare() replays that succeeded */
	__s32 replayed_after_prepare; /* load(): requests replayed after
				       * prepare()'s, -1: all (no prefix)
				       */
	__u32 reports_held[NQ];	/* reports that marked every posted
				 * buffer: write-backs may be held
				 */
	__u32 saved_final;	/* save() sent the final unit, not resumed */
	__u32 retaken;		/* resumes that took the guest's filters back */
};

/* Migration payload, version IGBVF_VERSION. */
struct igbvf_queue_state {
	__u32 rx[7];		/* RDBAL RDBAH RDLEN SRRCTL RDH RDT RXDCTL */
	__u32 tx[9];		/* TDBAL TDBAH TDLEN TDH TDT TXDCTL TDWBAL/H
				 * DCA_TXCTRL
				 */
};

struct igbvf_state {
	struct igbvf_queue_state q[NQ];
	__u32 eiac, eiam, eitr[3], ivar0, ivar_misc, psrtype;
	__u32 eims, eims_written, eims_seen, eicr_pending;
	__u32 vmbmem[VMBMEM_WORDS];	/* as the device holds it */
	__u32 mbx_pending;
	__u32 reset_seen;
	__u32 nr_msgs;
	__u32 inflight;
	__u32 inflight_pfack;
	__u32 reset_answer[ANSWER_WORDS];
	__u32 reset_answered;
	__u32 stats[NSTATS];	/* the counters as the guest read them */
	struct mbx_msg msgs[MAX_MSGS];
};

/*
 * Format 3: after each unit's igbvf_state, the PF's view of the VF when
 * it was saved, if the PF channel gave one.
 */
struct igbvf_pf_record {
	__u32 present;		/* @view is the PF's */
	__s32 err;		/* else why not: -ENOENT, no provider */
	struct vfmig_igb_pf_view view;
};

/* The PF views load() compares: the stream's, then this PF's. */
struct igbvf_pf_views {
	struct igbvf_pf_record src;
	struct igbvf_pf_record dst;
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
	case 7: return TDWBAH;
	default: return DCA_TXCTRL;
	}
}

/* The statistics counter at @off, 0 to NSTATS - 1, or -1. */
static int stat_index(__u64 off)
{
	switch (off) {
	case 0xf10: return 0;	/* VFGPRC */
	case 0xf14: return 1;	/* VFGPTC */
	case 0xf18: return 2;	/* VFGORC */
	case 0xf34: return 3;	/* VFGOTC */
	case 0xf3c: return 4;	/* VFMPRC */
	case 0xf40: return 5;	/* VFGPRLBC */
	case 0xf44: return 6;	/* VFGPTLBC */
	case 0xf48: return 7;	/* VFGORLBC */
	case 0xf50: return 8;	/* VFGOTLBC */
	}
	return -1;
}

static __u32 stat_reg(int i)
{
	switch (i) {
	case 0: return 0xf10;
	case 1: return 0xf14;
	case 2: return 0xf18;
	case 3: return 0xf34;
	case 4: return 0xf3c;
	case 5: return 0xf40;
	case 6: return 0xf44;
	case 7: return 0xf48;
	default: return 0xf50;
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

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct igbvf_pf_views);
} igbvf_pf SEC(".maps");

/*
 * What prepare() replayed on this destination from the pre-copy unit: the
 * VF reset and the mailbox history up to @nr_msgs, which load() checks
 * the final unit's history extends.  Cleared when a RESUMING session
 * begins and when the device is reset or opened.
 */
struct igbvf_prep {
	__u32 valid;
	__u32 nr_msgs;
	__u32 reset_seen;
	__u32 reset_answered;
	__u32 reset_answer[ANSWER_WORDS];
	struct mbx_msg msgs[MAX_MSGS];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct igbvf_prep);
} igbvf_prep SEC(".maps");

static struct igbvf_prep *prep_state(void)
{
	__u32 key = 0;

	return bpf_map_lookup_elem(&igbvf_prep, &key);
}

static struct igbvf_pf_views *pf_views(void)
{
	__u32 key = 0;

	return bpf_map_lookup_elem(&igbvf_pf, &key);
}

/*
 * The PF's view of this VF, through the PF channel: present, or why not
 * (-ENOENT: the PF has no provider).
 */
static void read_pf_view(struct vfmig_dev *dev, struct igbvf_pf_record *r)
{
	int n;

	__builtin_memset(&r->view, 0, sizeof(__u32));	/* flags: 0 */
	n = bpf_vfmig_pf_call(dev, VFMIG_IGB_PF_VIEW, &r->view,
			      sizeof(r->view), sizeof(__u32));
	r->present = n == sizeof(r->view);
	r->err = n < 0 ? n : (r->present ? 0 : -EPROTO);
}

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
	int err, q;

	err = bpf_vfmig_trap_window(dev, BAR, VMBMEM, VMBMEM_WORDS * 4);
	err = err ?: bpf_vfmig_trap_window(dev, BAR, V2PMAILBOX, 4);
	err = err ?: bpf_vfmig_trap_window(dev, BAR, STATS, STATS_END - STATS);
	err = err ?: bpf_vfmig_trap_window(dev, BAR, EIMS, 8);
	err = err ?: bpf_vfmig_trap_window(dev, BAR, EICR, 4);
	for (q = 0; q < NQ && !err; q++)
		err = bpf_vfmig_trap_window(dev, BAR, RXQ(q), DT + 4);
	return err;
}

/* ---- mailbox history ------------------------------------------------ */

/* Requests that replace the previous one of their kind. */
static bool same_request(const __u32 *a, const __u32 *b)
{
	__u32 type = MSG_TYPE(a[0]);

	if (type != MSG_TYPE(b[0]))
		return false;
	switch (type) {
	case VF_SET_MAC_ADDR:
		/* The MAC itself, a filter clear, or a filter per address. */
		if (MSG_INFO(a[0]) != MSG_INFO(b[0]))
			return false;
		return MSG_INFO(a[0]) != MAC_FILTER_ADD ||
		       (a[1] == b[1] && (a[2] & 0xffff) == (b[2] & 0xffff));
	case VF_SET_VLAN:
		return (a[1] & 0xfff) == (b[1] & 0xfff);
	case VF_SET_MULTICAST:
	case VF_SET_LPE:
	case VF_SET_PROMISC:
		return true;
	}
	return false;
}

/* A unicast filter request, or a clear of them all. */
static bool uc_filter(const __u32 *w)
{
	return MSG_TYPE(w[0]) == VF_SET_MAC_ADDR && MSG_INFO(w[0]);
}

struct history_ctx {
	struct igbvf_shadow *s;
	__u32 found;		/* the slot found, or the clear to keep */
};

/*
 * bpf_loop callback: keep entry @k unless it is a unicast filter other
 * than the clear being answered.  The count kept is in the map, where the
 * verifier does not follow it.
 */
static long keep_unless_filter(__u64 k, void *data)
{
	struct history_ctx *c = data;
	struct igbvf_shadow *s = c->s;
	__u32 n = s->kept;

	if (k >= s->nr_msgs)
		return 1;
	if (k != c->found && uc_filter(s->msgs[k & (MAX_MSGS - 1)].w))
		return 0;
	if (n != k)
		s->msgs[n & (MAX_MSGS - 1)] = s->msgs[k & (MAX_MSGS - 1)];
	s->kept = n + 1;
	return 0;
}

/* bpf_loop callback: is entry @k replaced by the request in the mailbox? */
static long find_same(__u64 k, void *data)
{
	struct history_ctx *c = data;
	struct igbvf_shadow *s = c->s;

	if (k >= s->nr_msgs)
		return 1;
	if (!same_request(s->msgs[k & (MAX_MSGS - 1)].w, s->vmbmem))
		return 0;
	c->found = k;
	return 1;
}

/* Did the PF take this unicast filter request (ACK)? */
static bool filter_taken(const struct mbx_msg *m)
{
	return m->answered && (m->answer[0] & MSG_ACK);
}

/* The guest rang REQ: remember the request it put in the mailbox. */
static void record_request(struct igbvf_shadow *s)
{
	struct history_ctx c = { .s = s };
	__u32 n, slot;

	s->inflight_pfack = 0;
	s->requests[MSG_TYPE(s->vmbmem[0]) & 7]++;
	if (MSG_TYPE(s->vmbmem[0]) == VF_RESET) {
		s->reset_seen = 1;
		s->reset_answered = 0;
		s->nr_msgs = 0;
		s->history_full = 0;
		s->inflight = MAX_MSGS + 1;
		return;
	}
	n = s->nr_msgs;
	c.found = n;
	bpf_loop(MAX_MSGS, find_same, &c, 0);
	slot = c.found;
	if (slot >= MAX_MSGS) {
		s->history_full = 1;
		s->inflight = 0;
		return;
	}
	__builtin_memcpy(s->msgs[slot].w, s->vmbmem, sizeof(s->vmbmem));
	/* A filter the PF took stays taken whatever it answers now. */
	if (slot == n || !uc_filter(s->vmbmem) || !filter_taken(&s->msgs[slot]))
		s->msgs[slot].answered = 0;
	if (slot == n)
		s->nr_msgs = n + 1;
	s->inflight = slot + 1;
}

/* The guest ACKs the PF's message: if it answers the request, keep it. */
static void record_answer(struct vfmig_dev *dev, struct igbvf_shadow *s)
{
	__u32 a[ANSWER_WORDS] = {}, slot = s->inflight, type;
	int i;

	if (!slot)
		return;
	for (i = 0; i < ANSWER_WORDS; i++)
		if (rd32(dev, VMBMEM + 4 * i, &a[i]))
			return;
	if (slot == MAX_MSGS + 1) {
		if (MSG_TYPE(a[0]) != VF_RESET)
			return;
		__builtin_memcpy(s->reset_answer, a, sizeof(a));
		s->reset_answered = 1;
		s->inflight = 0;
		return;
	}
	slot = (slot - 1) & (MAX_MSGS - 1);
	type = MSG_TYPE(s->msgs[slot].w[0]);
	/* A PF message of its own (a link change) is not the answer. */
	if (MSG_TYPE(a[0]) != type || !(a[0] & (MSG_ACK | MSG_NACK)))
		return;
	s->inflight = 0;
	/* A refusal of a filter the PF holds leaves it held (see above). */
	if (uc_filter(s->msgs[slot].w) && filter_taken(&s->msgs[slot]) &&
	    !(a[0] & MSG_ACK))
		return;
	__builtin_memcpy(s->msgs[slot].answer, a, sizeof(a));
	s->msgs[slot].answered = 1;
	/* A clear the PF took: the filters requested before it are gone. */
	if (uc_filter(s->msgs[slot].w) &&
	    MSG_INFO(s->msgs[slot].w[0]) == MAC_FILTER_CLR && (a[0] & MSG_ACK)) {
		struct history_ctx c = { .s = s, .found = slot };

		s->kept = 0;
		bpf_loop(MAX_MSGS, keep_unless_filter, &c, 0);
		s->nr_msgs = s->kept;
	}
}

struct copy_ctx {
	struct mbx_msg *to;
	const struct mbx_msg *from;
};

static long copy_msg(__u64 k, void *data)
{
	struct copy_ctx *c = data;

	c->to[k & (MAX_MSGS - 1)] = c->from[k & (MAX_MSGS - 1)];
	return 0;
}

/* The history, into or out of the stream (too big for one memcpy). */
static void copy_msgs(struct mbx_msg *to, const struct mbx_msg *from)
{
	struct copy_ctx c = { .to = to, .from = from };

	bpf_loop(MAX_MSGS, copy_msg, &c, 0);
}

/* ---- RX buffers, for dirty tracking --------------------------------- */

static bool header_split(const struct rxq_track *r)
{
	__u32 type = SRRCTL_DESCTYPE(r->srrctl);

	return type == DESCTYPE_HDR_SPLIT || type == DESCTYPE_SPLIT_ALWAYS;
}

static __u64 pkt_size(const struct rxq_track *r)
{
	__u32 kib = SRRCTL_BSIZEPKT(r->srrctl);

	return kib ? kib * 1024 : 2048;
}

static __u64 hdr_size(const struct rxq_track *r)
{
	__u32 n = SRRCTL_BSIZEHDR(r->srrctl);

	return n ? n * 64 : 1024;
}

/* What the descriptors of a ring hand the device, as SRRCTL and RDLEN say. */
struct rx_geom {
	__u64 pkt_len;		/* packet buffer size */
	__u64 hdr_len;		/* header buffer size */
	__u64 split;		/* ~0: descriptors carry a header buffer */
	__u32 n;		/* descriptors in the ring */
};

static struct rx_geom rx_geom(const struct rxq_track *r)
{
	struct rx_geom g = {
		.pkt_len = pkt_size(r),
		.hdr_len = hdr_size(r),
		.split = header_split(r) ? ~0ULL : 0,
		.n = r->len / DESC_SIZE,
	};

	return g;
}

/* The buffers of descriptor @i were (or may have been) written. */
static void mark_desc(struct vfmig_dev *dev, const struct rxq_track *r,
		      const struct rx_geom *g, __u32 i)
{
	__u64 pkt = r->pkt[i & (MAX_RXD - 1)], hdr = r->hdr[i & (MAX_RXD - 1)];

	if (pkt)
		bpf_vfmig_mark_dirty(dev, pkt, g->pkt_len);
	if (hdr)
		bpf_vfmig_mark_dirty(dev, hdr, g->hdr_len);
}

struct post_ctx {
	struct vfmig_dev *dev;
	struct rxq_track *r;
	struct rx_geom g;
	__u32 from;		/* first descriptor posted */
};

/*
 * bpf_loop callback: learn the buffers of the @k-th newly posted
 * descriptor.  The index comes from @k, not from a count kept in @data,
 * which the verifier would follow through every turn of the loop.
 */
static long post_one(__u64 k, void *data)
{
	struct post_ctx *c = data;
	struct rxq_track *r = c->r;
	__u64 desc[2] = {};
	__u32 i = c->from + k;

	if (i >= c->g.n)
		i -= c->g.n;
	i &= MAX_RXD - 1;
	/* The old buffers were consumed: the device wrote them. */
	mark_desc(c->dev, r, &c->g, i);
	if (bpf_vfmig_dma_read(c->dev, r->base + (__u64)i * DESC_SIZE,
			       desc, sizeof(desc)))
		r->lost = 1;
	r->pkt[i] = desc[0];
	r->hdr[i] = desc[1] & c->g.split;
	return 0;
}

/* Descriptors [@from, @to) were handed to the device. */
static void rx_posted(struct vfmig_dev *dev, struct rxq_track *r, __u32 from,
		      __u32 to)
{
	struct post_ctx c = { .dev = dev, .r = r, .g = rx_geom(r), .from = from };

	r->rdt = to;
	if (!c.g.n)
		return;
	/* A tail the device cannot use, or a ring too long to follow. */
	if (c.g.n > MAX_RXD || from >= c.g.n || to >= c.g.n) {
		r->lost = 1;
		return;
	}
	bpf_loop(to >= from ? to - from : to + c.g.n - from, post_one, &c, 0);
}

static long clear_desc(__u64 k, void *data)
{
	struct rxq_track *r = *(struct rxq_track **)data;

	r->pkt[k & (MAX_RXD - 1)] = 0;
	r->hdr[k & (MAX_RXD - 1)] = 0;
	return 0;
}

/* A new ring: the device owns none of its buffers until they are posted. */
static void rx_ring_changed(struct rxq_track *r)
{
	r->lost = 0;
	r->held = 0;
	r->rdt = 0;
	bpf_loop(MAX_RXD, clear_desc, &r, 0);
}

/* ---- region hooks --------------------------------------------------- */

/* The RX queue whose registers @off is in (the window holds both). */
static struct rxq_track *rxq_at(struct igbvf_shadow *s, __u64 off)
{
	return off >= RXQ(1) ? &s->rxq[1] : &s->rxq[0];
}

static void rx_write(struct vfmig_dev *dev, struct rxq_track *r, __u32 reg,
		     __u32 v)
{
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
}

/*
 * igb's PF refuses a unicast filter clear whose address is not a valid
 * one, and igbvf sends it with none (zero): the clear never clears, each
 * receive-mode change adds the filters again, and the 18 slots the PF's
 * VFs share fill up within a guest's boot, leaving none for the VF it
 * migrates to on the same PF.  So the clear goes to the PF with a valid
 * address, as the replay sends it.
 */
static void fix_filter_clear(struct vfmig_dev *dev, struct igbvf_shadow *s)
{
	if (!uc_filter(s->vmbmem) || MSG_INFO(s->vmbmem[0]) != MAC_FILTER_CLR ||
	    s->vmbmem[1] || (s->vmbmem[2] & 0xffff))
		return;
	if (!wr32(dev, VMBMEM + 4, CLR_ADDR_W1))
		s->vmbmem[1] = CLR_ADDR_W1;
}

/* One 4-byte register write of the guest's, before the device sees it. */
static void reg_write(struct vfmig_dev *dev, struct igbvf_shadow *s,
		      __u64 off, __u32 v)
{
	if (off >= VMBMEM && off < VMBMEM + VMBMEM_WORDS * 4) {
		s->vmbmem[((off - VMBMEM) / 4) & (VMBMEM_WORDS - 1)] = v;
		return;
	}
	switch (off) {
	case V2PMAILBOX:
		if (v & MBX_ACK)
			record_answer(dev, s);
		if (v & MBX_REQ) {
			fix_filter_clear(dev, s);
			record_request(s);
		}
		return;
	case EIMS:
		s->eims |= v & EIRQ_MASK;
		s->eims_written = v;
		s->eims_seen = 1;
		return;
	case EIMC:
		s->eims &= ~v;
		return;
	}
	if (off >= RXQ(0) && off < RXQ(NQ))
		rx_write(dev, rxq_at(s, off), off & 0xff, v);
}

/*
 * Sleepable: a doorbell reads the descriptors it posts.  Every write is
 * passed on to the device once the shadow has seen it; an 8-byte write is
 * two registers, a narrower one of a followed register cannot be followed.
 */
SEC("struct_ops.s/region_write")
int BPF_PROG(igbvf_write, struct vfmig_dev *dev, struct vfmig_access *acc)
{
	struct igbvf_shadow *s = shadow();
	__u64 off = acc->offset;

	if (!s)
		return VFMIG_PASS;
	if (acc->size == 4 || acc->size == 8)
		reg_write(dev, s, off, acc->value);
	if (acc->size == 8)
		reg_write(dev, s, off + 4, acc->value >> 32);
	if (acc->size < 4 && off >= RXQ(0) && off < RXQ(NQ))
		rxq_at(s, off)->lost = 1;
	else if (acc->size < 4)
		s->untracked = 1;
	return VFMIG_PASS;
}

/*
 * A read-to-clear register: the guest gets the bits the program cleared
 * on its behalf, too.  If the device is busy (a reset), vfio-pci reads it
 * and the kept bits wait for the next read.
 */
static int read_clear(struct vfmig_dev *dev, __u64 off, __u32 *v,
		      __u32 *pending)
{
	if (rd32(dev, off, v))
		return VFMIG_PASS;
	*v |= __sync_lock_test_and_set(pending, 0);
	return 0;
}

/* A counter as the guest follows it: the device's, plus the offset. */
static int read_stat(struct vfmig_dev *dev, struct igbvf_shadow *s,
		     __u64 off, __u32 *v, int i)
{
	__u32 dv = 0;

	i &= 0xf;
	if (i >= NSTATS)
		return VFMIG_PASS;
	/* Busy (a reset): what it read last, never a value that goes back. */
	if (!rd32(dev, off, &dv))
		s->stat_last[i] = dv + s->stat_off[i];
	*v = s->stat_last[i];
	return 0;
}

/*
 * What the guest reads in the register at @off (4-byte aligned), where the
 * program answers for it: 0 with *v set, or VFMIG_PASS for the device's.
 */
static int read_reg(struct vfmig_dev *dev, struct igbvf_shadow *s,
		    __u64 off, __u32 *v)
{
	int i;

	switch (off) {
	case V2PMAILBOX:
		i = read_clear(dev, off, v, &s->mbx_pending);
		if (!i && s->inflight && (*v & MBX_PFACK))
			s->inflight_pfack = 1;
		return i;
	case EICR:
		return read_clear(dev, off, v, &s->eicr_pending);
	case EIMS:
		if (!s->eims_seen)
			return VFMIG_PASS;
		*v = s->eims_written;
		return 0;
	}
	i = stat_index(off);
	return i < 0 ? VFMIG_PASS : read_stat(dev, s, off, v, i);
}

/*
 * Reads of every width see the same registers: an 8-byte read is two of
 * them, and a narrower one the bytes of its register's value (the device
 * reads its registers whole, so a narrow read of a read-to-clear one
 * clears all of it there too).  A half the program does not answer is
 * read from the device; ~0 if it is busy, as a device in reset reads.
 */
SEC("struct_ops/region_read")
int BPF_PROG(igbvf_read, struct vfmig_dev *dev, struct vfmig_access *acc)
{
	struct igbvf_shadow *s = shadow();
	__u64 reg = acc->offset & ~3ULL;
	__u32 lo = 0, hi = 0;
	int ret;

	if (!s)
		return VFMIG_PASS;
	ret = read_reg(dev, s, reg, &lo);
	if (acc->size == 8) {
		int ret_hi = read_reg(dev, s, reg + 4, &hi);

		if (ret && ret_hi)
			return VFMIG_PASS;
		if (ret && rd32(dev, reg, &lo))
			lo = ~0U;
		if (ret_hi && rd32(dev, reg + 4, &hi))
			hi = ~0U;
		acc->value = (__u64)hi << 32 | lo;
		return 0;
	}
	if (ret)
		return ret;
	if (acc->size == 4)
		acc->value = lo;
	else
		acc->value = (lo >> (acc->offset & 3) * 8) &
			     (acc->size == 2 ? 0xffff : 0xff);
	return 0;
}

/* ---- stopping ------------------------------------------------------- */

static bool running(__u32 state)
{
	return state == VFIO_DEVICE_STATE_RUNNING ||
	       state == VFIO_DEVICE_STATE_PRE_COPY;
}

static void retake_filters(struct vfmig_dev *dev, struct igbvf_shadow *s);

/* Running again (after load, or a cancelled migration): RX and causes. */
static int resume(struct vfmig_dev *dev, struct igbvf_shadow *s)
{
	int q, err = 0;

	for (q = 0; q < NQ && !err && s->quiesced; q++)
		err = wr32(dev, RXQ(q) + DCTL, s->rxdctl[q]);
	if (!err && s->eics_on_run)
		err = wr32(dev, EICS, s->eics_on_run);
	if (err)
		return err;
	s->quiesced = 0;
	s->eics_on_run = 0;
	return 0;
}

SEC("struct_ops.s/set_state")
int BPF_PROG(igbvf_set_state, struct vfmig_dev *dev, __u32 from, __u32 to)
{
	struct igbvf_shadow *s = shadow();
	struct igbvf_prep *p = prep_state();
	int q, err = 0;

	/* A new session: what an earlier one prepared is not its. */
	if (p && to == VFIO_DEVICE_STATE_RESUMING)
		p->valid = 0;
	if (!s || running(from) == running(to))
		return 0;
	if (running(to)) {
		if (s->saved_final)
			retake_filters(dev, s);
		err = resume(dev, s);
	}
	for (q = 0; q < NQ && !err && !running(to); q++) {
		err = rd32(dev, RXQ(q) + DCTL, &s->rxdctl[q]);
		if (!err && (s->rxdctl[q] & QUEUE_ENABLE))
			err = wr32(dev, RXQ(q) + DCTL,
				   s->rxdctl[q] & ~QUEUE_ENABLE);
	}
	/* Memory decoding off (a VMM setting up): nothing to quiesce. */
	if (err)
		return err == -EIO ? 0 : err;
	if (!running(to))
		s->quiesced = 1;
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
	for (i = 0; i < 9; i++) {
		err = rd32(dev, TXQ(q) + tx_reg(i), &qs->tx[i]);
		if (err)
			return err;
	}
	if (s->quiesced)
		qs->rx[6] = s->rxdctl[q & 1];
	return 0;
}

/*
 * What only the stopped device can give: the read-to-clear bits move to
 * the shadow (atomically: a guest's read may race a save), the counters
 * as the guest would read them.
 */
static int save_final(struct vfmig_dev *dev, struct igbvf_shadow *s,
		      struct igbvf_state *st)
{
	__u32 v = 0;
	int i, err;

	err = rd32(dev, V2PMAILBOX, &v);
	if (err)
		return err;
	__sync_fetch_and_or(&s->mbx_pending, v & MBX_R2C);
	v = 0;
	err = rd32(dev, EICR, &v);
	if (err)
		return err;
	__sync_fetch_and_or(&s->eicr_pending, v & EIRQ_MASK);
	for (i = 0; i < NSTATS; i++) {
		err = rd32(dev, stat_reg(i), &v);
		if (err)
			return err;
		st->stats[i] = v + s->stat_off[i];
	}
	return 0;
}

SEC("struct_ops.s/save")
int BPF_PROG(igbvf_save, struct vfmig_dev *dev, struct vfmig_stream *stream)
{
	struct igbvf_shadow *s = shadow();
	struct igbvf_state *st = scratch();
	struct igbvf_pf_views *pf;
	int i, err;

	if (!s || !st)
		return -ENOENT;
	if (s->history_full)
		return -ENOSPC;
	if (s->untracked)
		return -EOPNOTSUPP;
	err = save_queue(dev, s, &st->q[0], 0) ?:
	      save_queue(dev, s, &st->q[1], 1) ?:
	      rd32(dev, EIAC, &st->eiac) ?:
	      rd32(dev, EIAM, &st->eiam) ?:
	      rd32(dev, EITR0, &st->eitr[0]) ?:
	      rd32(dev, EITR0 + 4, &st->eitr[1]) ?:
	      rd32(dev, EITR0 + 8, &st->eitr[2]) ?:
	      rd32(dev, IVAR0, &st->ivar0) ?:
	      rd32(dev, IVAR_MISC, &st->ivar_misc) ?:
	      rd32(dev, PSRTYPE, &st->psrtype);
	for (i = 0; i < VMBMEM_WORDS && !err; i++)
		err = rd32(dev, VMBMEM + 4 * i, &st->vmbmem[i]);
	if (!err && stream->phase == VFMIG_SAVE_FINAL)
		err = save_final(dev, s, st);
	if (err)
		return err;
	st->eims = s->eims;
	st->eims_written = s->eims_written;
	st->eims_seen = s->eims_seen;
	st->eicr_pending = s->eicr_pending;
	st->mbx_pending = s->mbx_pending;
	st->reset_seen = s->reset_seen;
	st->nr_msgs = s->nr_msgs;
	st->inflight = s->inflight;
	st->inflight_pfack = s->inflight_pfack;
	__builtin_memcpy(st->reset_answer, s->reset_answer,
			 sizeof(st->reset_answer));
	st->reset_answered = s->reset_answered;
	copy_msgs(st->msgs, s->msgs);
	pf = pf_views();
	if (!pf)
		return -ENOENT;
	read_pf_view(dev, &pf->src);
	if (pf->src.err && pf->src.err != -ENOENT)
		VFMIG_LOG(dev, "cannot read the PF's view of VF %u: %d",
			  dev->vf_index, pf->src.err);
	err = bpf_vfmig_stream_write(stream, st, sizeof(*st)) ?:
	      bpf_vfmig_stream_write(stream, &pf->src, sizeof(pf->src));
	if (!err && stream->phase == VFMIG_SAVE_FINAL)
		s->saved_final = 1;
	return err;
}

/* ---- load: mailbox replay, then registers ---------------------------- */

/* The longest wait for one answer; load()'s wait budget bounds them all. */
#define MBX_TIMEOUT_US		2000000

struct mbx_wait_ctx {
	struct vfmig_dev *dev;
	__u32 seen;		/* R2C bits read so far */
};

/*
 * Wait for the PF to set @bit in the mailbox.  Every read clears the R2C
 * bits, so whatever a poll read is kept (PFSTS may come with PFACK) and a
 * bit already read is not waited for again.
 */
static int mbx_wait(struct mbx_wait_ctx *c, __u32 bit)
{
	struct vfmig_poll p = {
		.mask = bit, .value = bit, .timeout_us = MBX_TIMEOUT_US,
	};
	int err = 0;

	if (!(c->seen & bit)) {
		err = bpf_vfmig_bar_poll(c->dev, BAR, V2PMAILBOX, &p);
		c->seen |= p.seen & MBX_R2C;
	}
	c->seen &= ~bit;
	return err;
}

/*
 * Send one request as the guest did; the PF's answer.  With @keep, the
 * answer stays in the mailbox unacknowledged, for the guest to read.
 * Mailbox bits read on the way that were not waited for stay in @c.
 */
static int mbx_exchange(struct mbx_wait_ctx *c, const __u32 *msg,
			__u32 *answer, bool keep)
{
	int i, err;

	err = wr32(c->dev, V2PMAILBOX, MBX_VFU);
	for (i = 0; i < VMBMEM_WORDS && !err; i++)
		err = wr32(c->dev, VMBMEM + 4 * i, msg[i]);
	err = err ?: wr32(c->dev, V2PMAILBOX, MBX_REQ) ?:
	      mbx_wait(c, MBX_PFACK) ?:
	      mbx_wait(c, MBX_PFSTS);
	for (i = 0; i < ANSWER_WORDS && !err; i++)
		err = rd32(c->dev, VMBMEM + 4 * i, &answer[i]);
	if (err || keep)
		return err;
	return wr32(c->dev, V2PMAILBOX, MBX_VFU) ?:
	       wr32(c->dev, V2PMAILBOX, MBX_ACK);
}

static int mbx_call(struct vfmig_dev *dev, const __u32 *msg, __u32 *answer,
		    bool keep)
{
	struct mbx_wait_ctx c = { .dev = dev };

	return mbx_exchange(&c, msg, answer, keep);
}

/*
 * A request as it goes to the PF.  A unicast filter clear goes with a
 * valid address: igb's PF checks the address before it looks at the
 * command and refuses the zero one igbvf sends, so its clear never clears
 * and filters pile up in the PF's pool, shared by all VFs.
 */
static void request_words(__u32 *w, const struct mbx_msg *m)
{
	__builtin_memcpy(w, m->w, sizeof(m->w));
	if (uc_filter(w) && MSG_INFO(w[0]) == MAC_FILTER_CLR) {
		w[1] = CLR_ADDR_W1;
		w[2] = 0;
	}
}

struct replay_ctx {
	struct vfmig_dev *dev;
	struct igbvf_state *st;
	struct igbvf_shadow *s;
	__u32 skip;		/* slot replayed last, or MAX_MSGS */
	__u32 from;		/* slots before it were replayed already */
	__u32 to;		/* slots from it on are left to load() */
	int err;
};

/*
 * The destination PF must answer as the source's did: a VF reset word for
 * word (its status and the MAC the PF gives the VF), a request it took
 * (ACK) taken again.  A request the source refused may be taken here: the
 * guest asked for it, and igb's PF refuses some for no fault of the guest
 * (the filter clear below, a filter slot its own pile-up used).
 */
static int same_answer(struct igbvf_shadow *s, const __u32 *msg,
		       const __u32 *was, const __u32 *got, __u32 words)
{
	__u32 i;

	for (i = 0; i < ANSWER_WORDS && i < words; i++) {
		if (words == 1 && (!(was[i] & MSG_ACK) || (got[i] & MSG_ACK)))
			continue;
		if (words > 1 && was[i] == got[i])
			continue;
		s->mismatch_request = msg[0];
		s->mismatch_source = was[i];
		s->mismatch_dest = got[i];
		bpf_printk("igbvf: request %x answered %x on the source, %x here",
			   msg[0], was[i], got[i]);
		return -EPROTO;
	}
	return 0;
}

/*
 * Replay slot @i (the in-flight one with @keep) and check its answer.  A
 * filter clear clears what the destination VF held (request_words()).
 */
static int replay_slot(struct replay_ctx *c, __u32 i, bool keep)
{
	struct mbx_msg *m = &c->st->msgs[i & (MAX_MSGS - 1)];
	__u32 answer[ANSWER_WORDS] = {}, w[VMBMEM_WORDS];
	int err;

	request_words(w, m);
	err = mbx_call(c->dev, w, answer, keep);
	if (err)
		return err;
	if (MSG_TYPE(answer[0]) != MSG_TYPE(m->w[0]))
		return -EPROTO;
	return m->answered ? same_answer(c->s, m->w, m->answer, answer, 1) : 0;
}

static long replay_one(__u64 k, void *data)
{
	struct replay_ctx *c = data;

	if (k >= c->st->nr_msgs || k >= c->to)
		return 1;
	if (k == c->skip || k < c->from)
		return 0;
	c->err = replay_slot(c, k, false);
	return c->err ? 1 : 0;
}

/*
 * The requests from the first @from up to @to, then the one awaited last
 * (if any: only load() replays with one awaited, and to the end).
 */
static int replay_rest(struct vfmig_dev *dev, struct igbvf_state *st,
		       struct igbvf_shadow *s, __u32 from, __u32 to)
{
	struct replay_ctx c = {
		.dev = dev, .st = st, .s = s, .skip = MAX_MSGS, .from = from,
		.to = to,
	};
	__u32 v = 0;

	if (st->inflight)
		c.skip = st->inflight - 1;
	bpf_loop(MAX_MSGS, replay_one, &c, 0);
	if (c.err)
		return c.err;
	if (st->inflight)
		return replay_slot(&c, st->inflight - 1, true);
	return rd32(dev, V2PMAILBOX, &v);
}

/*
 * Rebuild the PF's view of this VF: reset it, then each request up to
 * @to, the one the guest awaits an answer to last, its answer left for
 * the guest.
 */
static int replay_mailbox(struct vfmig_dev *dev, struct igbvf_state *st,
			  struct igbvf_shadow *s, __u32 to)
{
	__u32 reset[VMBMEM_WORDS] = { VF_RESET }, answer[ANSWER_WORDS] = {};
	struct vfmig_poll reset_done = {
		.mask = QUEUE_ENABLE, .value = 0, .timeout_us = 10000,
	};
	bool reset_inflight = st->inflight == MAX_MSGS + 1;
	__u32 v = 0;
	int err;

	/*
	 * A reset, and whatever status the PF left, are not the guest's.  The
	 * reset is done when it has disabled the queues (at once in QEMU's
	 * model, which sets no RSTD for a VF reset).
	 */
	err = wr32(dev, CTRL, CTRL_RST) ?:
	      bpf_vfmig_bar_poll(dev, BAR, RXQ(0) + DCTL, &reset_done) ?:
	      rd32(dev, V2PMAILBOX, &v);
	if (err || !st->reset_seen)
		return err;
	err = mbx_call(dev, reset, answer, reset_inflight);
	if (err)
		return err;
	if (MSG_TYPE(answer[0]) != VF_RESET)
		return -EPROTO;
	if (st->reset_answered)
		err = same_answer(s, reset, st->reset_answer, answer,
				  ANSWER_WORDS);
	if (err || reset_inflight)
		return err;
	return replay_rest(dev, st, s, 0, to);
}

/* Queue registers, RX left disabled until the device runs. */
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
	      wr32(dev, TXQ(q) + DCA_TXCTRL, qs->tx[8]) ?:
	      wr32(dev, TXQ(q) + DT, qs->tx[4]) ?:
	      wr32(dev, TXQ(q) + DCTL, qs->tx[5]) ?:
	      wr32(dev, RXQ(q) + DT, qs->rx[5]);
	if (err)
		return err;
	s->rxdctl[q & 1] = qs->rx[6];

	/* Follow the buffers the device owns here too. */
	r->base = (__u64)qs->rx[1] << 32 | qs->rx[0];
	r->len = qs->rx[2];
	r->srrctl = qs->rx[3];
	rx_ring_changed(r);
	rx_posted(dev, r, qs->rx[4], qs->rx[5]);
	return 0;
}

/* Interrupt set-up; the causes pending are raised when the device runs. */
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
	       wr32(dev, PSRTYPE, st->psrtype);
}

/* Counters go on from what the guest read on the source. */
static int load_stats(struct vfmig_dev *dev, struct igbvf_state *st,
		      struct igbvf_shadow *s)
{
	__u32 v = 0;
	int i, err;

	for (i = 0; i < NSTATS; i++) {
		err = rd32(dev, stat_reg(i), &v);
		if (err)
			return err;
		s->stat_off[i] = st->stats[i] - v;
		s->stat_last[i] = st->stats[i];
	}
	return 0;
}

/* The shadow follows the guest's state as it was on the source. */
static void load_shadow(struct igbvf_state *st, struct igbvf_shadow *s)
{
	__builtin_memcpy(s->vmbmem, st->vmbmem, sizeof(s->vmbmem));
	copy_msgs(s->msgs, st->msgs);
	__builtin_memcpy(s->reset_answer, st->reset_answer,
			 sizeof(s->reset_answer));
	s->reset_answered = st->reset_answered;
	s->nr_msgs = st->nr_msgs;
	s->reset_seen = st->reset_seen;
	s->history_full = 0;
	s->untracked = 0;
	s->inflight = st->inflight;
	s->inflight_pfack = st->inflight_pfack;
	s->mbx_pending = st->mbx_pending;
	/* The answer awaited is the destination PF's, left in the mailbox. */
	if (st->inflight)
		s->mbx_pending |= MBX_PFSTS |
				  (st->inflight_pfack ? 0 : MBX_PFACK);
	s->eicr_pending = 0;
	s->eics_on_run = st->eicr_pending;
	s->eims = st->eims;
	s->eims_written = st->eims_written;
	s->eims_seen = st->eims_seen;
	s->quiesced = 1;
}

/* ---- the PF's views of the VF --------------------------------------- */

/* What of VMOLR the VF's service depends on: frame size and filters. */
#define VMOLR_COMPARED	(VFMIG_IGB_VMOLR_RLPML_MASK | VFMIG_IGB_VMOLR_LPE | \
			 VFMIG_IGB_VMOLR_AUPE | VFMIG_IGB_VMOLR_ROMPE | \
			 VFMIG_IGB_VMOLR_ROPE | VFMIG_IGB_VMOLR_BAM | \
			 VFMIG_IGB_VMOLR_MPME | 0x40000000 /* STRVLAN */)

static __u64 view_mac(const struct vfmig_igb_pf_mac *m)
{
	return m->ral | (__u64)(m->rah & 0xffff) << 32;
}

/* Is each of @a's MACs (VLAN ids with @vlan) one of @b's? */
struct in_ctx {
	const struct vfmig_igb_pf_view *a;
	const struct vfmig_igb_pf_view *b;
	__u64 missing;
	__u32 missed;
	__u32 vlan;
};

static long in_other(__u64 i, void *data)
{
	struct in_ctx *c = data;
	__u64 x;
	__u32 j;

	if (c->vlan) {
		if (i >= c->a->nr_vlans || i >= VFMIG_IGB_PF_MAX_VLANS)
			return 1;
		x = c->a->vlans[i].vlvf & VFMIG_IGB_VLVF_VID_MASK;
		for (j = 0; j < VFMIG_IGB_PF_MAX_VLANS && j < c->b->nr_vlans; j++)
			if ((c->b->vlans[j].vlvf & VFMIG_IGB_VLVF_VID_MASK) == x)
				return 0;
	} else {
		if (i >= c->a->nr_macs || i >= VFMIG_IGB_PF_MAX_MACS)
			return 1;
		x = view_mac(&c->a->macs[i]);
		for (j = 0; j < VFMIG_IGB_PF_MAX_MACS && j < c->b->nr_macs; j++)
			if (view_mac(&c->b->macs[j]) == x)
				return 0;
	}
	c->missing = x;
	c->missed = 1;
	return 1;
}

/* The address in the entry igb gives VF n's own MAC (23 - n), or 0. */
static __u64 own_mac(const struct vfmig_igb_pf_view *v)
{
	__u32 i;

	for (i = 0; i < VFMIG_IGB_PF_MAX_MACS && i < v->nr_macs; i++)
		if (v->macs[i].index == VFMIG_IGB_PF_MAX_MACS - 1 - v->vf)
			return view_mac(&v->macs[i]);
	return 0;
}

#define MAC_BYTES(m)	(m) & 0xff, ((m) >> 8) & 0xff, ((m) >> 16) & 0xff, \
			((m) >> 24) & 0xff, ((m) >> 32) & 0xff, ((m) >> 40) & 0xff

/* The source PF's view (@a, of its VF) against this one's (@b). */
static int compare_pf_views(struct vfmig_dev *dev,
			    const struct vfmig_igb_pf_view *a,
			    const struct vfmig_igb_pf_view *b)
{
	struct in_ctx c = { .a = a, .b = b };
	__u64 own_a, own_b;

	/* An administrator's port VLAN changes the VLAN filters too. */
	if (a->vmvir != b->vmvir) {
		VFMIG_LOG(dev, "PF views differ: port VLAN (VMVIR) %x on the source, %x here",
			  a->vmvir, b->vmvir);
		return -EPROTO;
	}
	/*
	 * The VF's own MAC, in the entry igb keeps for it (the last but n
	 * for VF n), must be the source's.  Every other filter here must be
	 * one the source had (compared as sets: igb may hold an address in
	 * two entries).  Not the other way: igb refuses igbvf's filter
	 * clear, so the source PF may still hold filters its guest dropped;
	 * every filter the guest holds the replay asked for, and the
	 * destination PF's answer was compared.
	 */
	own_a = own_mac(a);
	own_b = own_mac(b);
	if (own_a != own_b) {
		VFMIG_LOG(dev, "PF views differ: the VF's own MAC %02x:%02x:%02x:%02x:%02x:%02x on the source, %02x:%02x:%02x:%02x:%02x:%02x here",
			  MAC_BYTES(own_a), MAC_BYTES(own_b));
		return -EPROTO;
	}
	c.a = b;
	c.b = a;
	bpf_loop(VFMIG_IGB_PF_MAX_MACS, in_other, &c, 0);
	if (c.missed) {
		VFMIG_LOG(dev, "PF views differ: MAC filter %02x:%02x:%02x:%02x:%02x:%02x here is not the source's",
			  MAC_BYTES(c.missing));
		return -EPROTO;
	}
	c.vlan = 1;
	bpf_loop(VFMIG_IGB_PF_MAX_VLANS, in_other, &c, 0);
	if (c.missed) {
		VFMIG_LOG(dev, "PF views differ: VLAN filter %llu here is not the source's",
			  c.missing);
		return -EPROTO;
	}
	c.a = a;
	c.b = b;
	bpf_loop(VFMIG_IGB_PF_MAX_VLANS, in_other, &c, 0);
	if (c.missed) {
		VFMIG_LOG(dev, "PF views differ: the source's VLAN filter %llu is not here",
			  c.missing);
		return -EPROTO;
	}
	if ((a->vmolr ^ b->vmolr) & VMOLR_COMPARED) {
		VFMIG_LOG(dev, "PF views differ: VMOLR %x on the source, %x here",
			  a->vmolr, b->vmolr);
		return -EPROTO;
	}
	if (a->rx_enabled != b->rx_enabled || a->tx_enabled != b->tx_enabled) {
		VFMIG_LOG(dev, "PF views differ: RX/TX enabled %u/%u on the source, %u/%u here",
			  a->rx_enabled, a->tx_enabled, b->rx_enabled,
			  b->tx_enabled);
		return -EPROTO;
	}
	return 0;
}

/*
 * After the replay: the PF's view of this VF must be the source's.  A
 * view recorded that cannot be compared fails; no view on either side
 * leaves the mailbox answers as the only check, said once.
 */
static int check_pf_view(struct vfmig_dev *dev, struct igbvf_pf_views *pf,
			 struct igbvf_shadow *s)
{
	const struct vfmig_igb_pf_view *a = &pf->src.view, *b = &pf->dst.view;
	int err;

	read_pf_view(dev, &pf->dst);
	if (!pf->src.present) {
		if (pf->src.err != -ENOENT) {
			VFMIG_LOG(dev, "the source could not read its PF's view of the VF (%d): cannot verify",
				  pf->src.err);
			return -EPROTO;
		}
		VFMIG_LOG(dev, "no PF view from the source (here: %d): only the mailbox answers were compared",
			  pf->dst.err);
		return 0;
	}
	if (!pf->dst.present) {
		VFMIG_LOG(dev, "the source recorded its PF's view of the VF, this PF gives none (%d): cannot verify",
			  pf->dst.err);
		return -EPROTO;
	}
	err = compare_pf_views(dev, a, b);
	if (err)
		return err;
	s->pf_compared++;
	VFMIG_LOG(dev, "PF view of VF %u matches the source's VF %u: %u MACs, %u VLANs, VMOLR %x, VMVIR %x",
		  b->vf, a->vf, b->nr_macs, b->nr_vlans, b->vmolr, b->vmvir);
	return 0;
}

/* ---- the source running again -------------------------------------- */

struct retake_ctx {
	struct mbx_wait_ctx w;
	struct igbvf_shadow *s;
	__u32 sent;
	__u32 refused;
	int err;
};

/* bpf_loop callback: send the @k-th request again if it is a filter's. */
static long retake_one(__u64 k, void *data)
{
	struct retake_ctx *c = data;
	struct igbvf_shadow *s = c->s;
	__u32 w[VMBMEM_WORDS], answer[ANSWER_WORDS] = {};

	if (k >= s->nr_msgs)
		return 1;
	if (!uc_filter(s->msgs[k & (MAX_MSGS - 1)].w))
		return 0;
	request_words(w, &s->msgs[k & (MAX_MSGS - 1)]);
	c->err = mbx_exchange(&c->w, w, answer, false);
	if (c->err)
		return 1;
	c->sent++;
	if (!(answer[0] & MSG_ACK))
		c->refused++;
	return 0;
}

/*
 * The source runs again after its final save: the migration failed or
 * was cancelled after the switchover began.  A destination VF on the same
 * PF may have taken the guest's extra unicast MACs by then (igb gives an
 * entry to the pool that asks last, and frees it with that VF), so when
 * the PF's view lacks a MAC the save recorded (or there is no view to
 * tell), the guest's filter requests go to the PF again, the clear first,
 * as load() sends them.  Not while the guest is in an exchange with the
 * PF (it holds the mailbox, awaits an answer, or has a PF message to
 * read): that is said, and its next receive-mode change takes them back.
 * The device runs either way; a failure here is logged, not an ERROR.
 */
static void retake_filters(struct vfmig_dev *dev, struct igbvf_shadow *s)
{
	struct igbvf_pf_views *pf = pf_views();
	struct retake_ctx c = { .w.dev = dev, .s = s };
	struct in_ctx m = {};
	__u32 v = 0;

	s->saved_final = 0;
	if (!pf)
		return;
	if (pf->src.present) {
		/* Into dst, which only a destination's load() uses otherwise. */
		read_pf_view(dev, &pf->dst);
		if (!pf->dst.present) {
			VFMIG_LOG(dev, "resume: cannot read the PF's view of the VF (%d): filters sent again",
				  pf->dst.err);
		} else {
			m.a = &pf->src.view;
			m.b = &pf->dst.view;
			bpf_loop(VFMIG_IGB_PF_MAX_MACS, in_other, &m, 0);
			if (!m.missed)
				return;
		}
	}
	if (rd32(dev, V2PMAILBOX, &v)) {
		VFMIG_LOG(dev, "resume: cannot read the mailbox: the guest's MAC filters are not sent again");
		return;
	}
	__sync_fetch_and_or(&s->mbx_pending, v & MBX_R2C);
	if ((v & MBX_VFU) || s->inflight || (s->mbx_pending & MBX_PFSTS)) {
		VFMIG_LOG(dev, "resume: the guest is in an exchange with the PF: its MAC filters are not sent again (mailbox %x)",
			  v);
		return;
	}
	bpf_loop(MAX_MSGS, retake_one, &c, 0);
	__sync_fetch_and_or(&s->mbx_pending, c.w.seen & MBX_R2C);
	if (c.err || c.refused) {
		VFMIG_LOG(dev, "resume: the guest's MAC filters sent again: %u of %u refused, error %d",
			  c.refused, c.sent, c.err);
		return;
	}
	if (!c.sent)
		return;
	s->retaken++;
	if (m.missed)
		VFMIG_LOG(dev, "resume: MAC filter %02x:%02x:%02x:%02x:%02x:%02x was not the VF's any more: %u filter requests sent again",
			  MAC_BYTES(m.missing), c.sent);
	else
		VFMIG_LOG(dev, "resume: no PF view to compare: %u filter requests sent again",
			  c.sent);
}

/*
 * Read the units @stream holds into @st and @pf->src: the last one wins
 * (a pre-copy unit may come before the final one).  Only what the replay
 * and the comparison may rely on passes.
 */
static int read_units(struct vfmig_stream *stream, struct igbvf_state *st,
		      struct igbvf_pf_views *pf)
{
	int i, n;

	/* Format 2 has no PF view: as if the source had no provider. */
	pf->src.present = 0;
	pf->src.err = -ENOENT;
	for (i = 0; i < 2; i++) {
		n = bpf_vfmig_stream_read(stream, st, sizeof(*st));
		if (n != sizeof(*st))
			return -EINVAL;
		if (stream->version >= 3 &&
		    bpf_vfmig_stream_read(stream, &pf->src, sizeof(pf->src)) !=
		    sizeof(pf->src))
			return -EINVAL;
		if (stream->pos == stream->length)
			break;
	}
	if (stream->pos != stream->length || st->nr_msgs > MAX_MSGS ||
	    (st->inflight > st->nr_msgs && st->inflight != MAX_MSGS + 1) ||
	    pf->src.view.nr_macs > VFMIG_IGB_PF_MAX_MACS ||
	    pf->src.view.nr_vlans > VFMIG_IGB_PF_MAX_VLANS)
		return -EINVAL;
	return 0;
}

struct same_ctx {
	const struct mbx_msg *a;
	const struct mbx_msg *b;
	__u32 n;
	__u32 differ;
};

/* bpf_loop callback: is entry @k the same request, answered the same? */
static long same_msg(__u64 k, void *data)
{
	struct same_ctx *c = data;
	const struct mbx_msg *a, *b;
	int i;

	if (k >= c->n)
		return 1;
	a = &c->a[k & (MAX_MSGS - 1)];
	b = &c->b[k & (MAX_MSGS - 1)];
	for (i = 0; i < VMBMEM_WORDS; i++)
		c->differ |= a->w[i] ^ b->w[i];
	for (i = 0; i < ANSWER_WORDS; i++)
		c->differ |= a->answer[i] ^ b->answer[i];
	c->differ |= a->answered ^ b->answered;
	return c->differ ? 1 : 0;
}

/*
 * Did prepare() replay a prefix of @st's history?  The same reset, the
 * same first requests with the same answers, none of them awaited.  Not
 * when the guest reset the VF since, or the history was compacted (a
 * request replaced an earlier one of its kind): load() then replays all.
 */
static bool extends_prepared(const struct igbvf_prep *p,
			     const struct igbvf_state *st)
{
	struct same_ctx c = { .a = p->msgs, .b = st->msgs, .n = p->nr_msgs };
	int i;

	if (!p->valid || p->reset_seen != st->reset_seen ||
	    p->reset_answered != st->reset_answered ||
	    p->nr_msgs > st->nr_msgs || st->inflight == MAX_MSGS + 1 ||
	    (st->inflight && st->inflight <= p->nr_msgs))
		return false;
	for (i = 0; i < ANSWER_WORDS; i++)
		if (p->reset_answer[i] != st->reset_answer[i])
			return false;
	bpf_loop(MAX_MSGS, same_msg, &c, 0);
	return !c.differ;
}

struct uc_add_ctx {
	const struct igbvf_state *st;
	__u32 first;
};

static long find_uc_add(__u64 k, void *data)
{
	struct uc_add_ctx *c = data;
	const __u32 *w = c->st->msgs[k & (MAX_MSGS - 1)].w;

	if (k >= c->st->nr_msgs)
		return 1;
	if (uc_filter(w) && MSG_INFO(w[0]) == MAC_FILTER_ADD) {
		c->first = k;
		return 1;
	}
	return 0;
}

/*
 * How many requests prepare() may replay: those before the guest's first
 * unicast filter.  igb keeps those filters in one table for all its VFs,
 * and takes an entry that holds the address for another pool: on the
 * source's PF (a migration between two VFs of one NIC) the source VF would
 * lose the address while its guest still runs.  load() adds them, once
 * the source has stopped.
 */
static __u32 before_uc_add(const struct igbvf_state *st)
{
	struct uc_add_ctx c = { .st = st, .first = st->nr_msgs };

	bpf_loop(MAX_MSGS, find_uc_add, &c, 0);
	return c.first;
}

/* Say what prepare() left to load().  Not inlined: its message buffer. */
static __noinline void prepare_left(struct vfmig_dev *dev, __u32 done,
				    __u32 all)
{
	VFMIG_LOG(dev, "prepare: replayed %u of %u requests; from the first unicast MAC filter on, load()'s",
		  done, all);
}

/*
 * Say why prepare() left the replay to load().  Not inlined: its message
 * buffer would join the replay's frames on the 512-byte BPF stack.
 */
static __noinline void prepare_gave_up(struct vfmig_dev *dev, int err)
{
	__u32 mbx = 0, rxdctl = 0;

	rd32(dev, V2PMAILBOX, &mbx);
	rd32(dev, RXQ(0) + DCTL, &rxdctl);
	VFMIG_LOG(dev, "prepare: replay failed (%d; mailbox %x, RXDCTL0 %x): load() replays all",
		  err, mbx, rxdctl);
}

/*
 * Do the VF's registers answer?  A real VF decodes its BAR whatever its
 * command register says: PCI_COMMAND_MEMORY is hard-wired to 0 in a VF,
 * whose memory space the PF's VF MSE enables.  QEMU's emulated 82576 VF
 * honours the bit instead, and the destination's QEMU clears it at its
 * reset and sets it again only with the config it loads after the device
 * state: until then writes are dropped and reads return 0.  A ring
 * length, which load() writes anyway, read back tells.  Not inlined: its
 * message buffer stays off prepare()'s frame.
 */
static __noinline int vf_decodes(struct vfmig_dev *dev)
{
	__u64 cmd = 0;
	__u32 v = 0;
	int err;

	err = bpf_vfmig_config_read(dev, 4 /* PCI_COMMAND */, 2, &cmd);
	if (err || (cmd & 0x2 /* PCI_COMMAND_MEMORY */))
		return err;
	err = wr32(dev, RXQ(0) + DLEN, 128) ?: rd32(dev, RXQ(0) + DLEN, &v);
	if (!err && v != 128)
		err = -EIO;
	if (err)
		VFMIG_LOG(dev, "prepare: VF registers do not decode (command %x, %d): load() replays all",
			  (__u32)cmd, err);
	return err;
}

/*
 * On the destination, while the source still runs: the pre-copy unit
 * holds the whole state as it was then, so do now the slow part of
 * load(), the VF reset (a poll of up to 10 ms) and the mailbox replay
 * (each request waits for the PF's driver) up to the guest's first
 * unicast MAC filter (before_uc_add()), and record what was replayed.
 * Ring and interrupt registers stay load()'s: a few register writes,
 * which the guest may still change.  A unit with a request or a
 * reset in flight is left to load() whole: the answer must wait for the
 * guest in the mailbox.
 */
SEC("struct_ops.s/prepare")
int BPF_PROG(igbvf_prepare, struct vfmig_dev *dev, struct vfmig_stream *stream)
{
	struct igbvf_shadow *s = shadow();
	struct igbvf_state *st = scratch();
	struct igbvf_pf_views *pf = pf_views();
	struct igbvf_prep *p = prep_state();
	__u32 early;
	int err;

	if (!s || !st || !pf || !p)
		return -ENOENT;
	p->valid = 0;
	/* Nothing touched yet: a unit that makes no sense is refused. */
	if (read_units(stream, st, pf))
		return VFMIG_REFUSE(EINVAL);
	if (st->inflight)
		return 0;
	/* Not waiting out the PF's answer to a request that never left. */
	if (vf_decodes(dev))
		return 0;
	early = before_uc_add(st);
	err = replay_mailbox(dev, st, s, early);
	/*
	 * A PF that answers otherwise than the source's cannot serve the
	 * guest: fail now, while the source runs on.  Anything else (a PF's
	 * driver slow to answer while both VMs run, say) leaves the work to
	 * load(), which resets the VF and replays all, as without prepare().
	 */
	if (err == -EPROTO)
		return err;
	if (err) {
		prepare_gave_up(dev, err);
		return 0;
	}
	if (early < st->nr_msgs)
		prepare_left(dev, early, st->nr_msgs);
	p->nr_msgs = early;
	p->reset_seen = st->reset_seen;
	p->reset_answered = st->reset_answered;
	__builtin_memcpy(p->reset_answer, st->reset_answer,
			 sizeof(p->reset_answer));
	copy_msgs(p->msgs, st->msgs);
	p->valid = 1;
	s->prepared++;
	return 0;
}

SEC("struct_ops.s/load")
int BPF_PROG(igbvf_load, struct vfmig_dev *dev, struct vfmig_stream *stream)
{
	struct igbvf_shadow *s = shadow();
	struct igbvf_state *st = scratch();
	struct igbvf_pf_views *pf = pf_views();
	struct igbvf_prep *p = prep_state();
	__u32 v = 0;
	int i, err;

	if (!s || !st || !pf || !p)
		return -ENOENT;
	err = read_units(stream, st, pf);
	if (err)
		return err;
	/*
	 * What prepare() replayed stays; the requests after it follow, after
	 * a read that drops any status the PF left meanwhile.  Otherwise the
	 * whole reset and replay, as without prepare().
	 */
	if (extends_prepared(p, st)) {
		err = rd32(dev, V2PMAILBOX, &v) ?:
		      replay_rest(dev, st, s, p->nr_msgs, MAX_MSGS);
		s->replayed_after_prepare = st->nr_msgs - p->nr_msgs;
	} else {
		err = replay_mailbox(dev, st, s, MAX_MSGS);
		s->replayed_after_prepare = -1;
	}
	p->valid = 0;
	/* The mailbox as the guest left it, unless an answer awaits it. */
	for (i = 0; i < VMBMEM_WORDS && !err && !st->inflight; i++)
		err = wr32(dev, VMBMEM + 4 * i, st->vmbmem[i]);
	err = err ?: load_queue(dev, s, &st->q[0], 0) ?:
	      load_queue(dev, s, &st->q[1], 1) ?:
	      load_irq(dev, st) ?:
	      load_stats(dev, st, s) ?:
	      check_pf_view(dev, pf, s);
	if (err)
		return err;
	load_shadow(st, s);
	s->saved_final = 0;
	s->restored++;
	return 0;
}

/* ---- dirty pages ----------------------------------------------------- */

struct mark_ctx {
	struct vfmig_dev *dev;
	struct rxq_track *r;
	struct rx_geom g;
	bool exact;		/* write-backs are not held: skip unwritten */
	__u64 desc[2 * RXD_GROUP];	/* a group's descriptors, as read */
};

/*
 * Whether slot @i's descriptor, as read in @desc, still reads as the guest
 * posted it: the same buffers, DD clear.  Such a buffer belongs to the
 * device, and the guest reads none of it before a write-back sets DD; on
 * the destination the device fills it again.  Written back (DD), or
 * rewritten for the next post before its RDT write (other buffers), the
 * device wrote it.
 */
static bool still_posted(const struct mark_ctx *c, __u32 i, const __u64 *desc)
{
	const struct rxq_track *r = c->r;

	return desc[0] == r->pkt[i] && !(desc[1] & RXD_STAT_DD) &&
	       (desc[1] & c->g.split) == r->hdr[i];
}

/*
 * bpf_loop callback: mark the buffers of the @k-th group of slots that the
 * device may have written, as a repost marks them.  The group's
 * descriptors come in one read (a ring is a whole number of groups); a
 * read that fails, or a slot past the ring, marks, and so does every slot
 * of a ring whose write-backs may be held.
 */
static long mark_group(__u64 k, void *data)
{
	struct mark_ctx *c = data;
	__u32 first = (k * RXD_GROUP) & (MAX_RXD - 1), t, i;
	bool read = c->exact && first < c->g.n &&
		    !bpf_vfmig_dma_read(c->dev, c->r->base + (__u64)first * DESC_SIZE,
					c->desc, sizeof(c->desc));

	for (t = 0; t < RXD_GROUP; t++) {
		i = (first + t) & (MAX_RXD - 1);
		if (!c->r->pkt[i] && !c->r->hdr[i])
			continue;
		if (read && still_posted(c, i, &c->desc[2 * t]))
			continue;
		mark_desc(c->dev, c->r, &c->g, i);
	}
	return 0;
}

/*
 * Whether the device may hold the write-back of an RX buffer it filled.
 * With WTHRESH above 1 an 82576 holds write-backs until that many are done
 * or the interrupt timer fires, so a written buffer can still read as
 * posted.  RXDCTL is not trapped but read at each report, and once seen
 * above 1 the ring stays held until it is set up again: a buffer filled
 * before the guest lowered it may still be held.  A guest that raises and
 * lowers it between two reports is not seen (Linux's igbvf never does).
 */
static bool writes_back_held(struct vfmig_dev *dev, struct rxq_track *r, int q)
{
	__u32 rxdctl = 0;

	if (rd32(dev, RXQ(q) + DCTL, &rxdctl) || RXDCTL_WTHRESH(rxdctl) > 1)
		r->held = 1;
	return r->held;
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
		/* A buffer the device may write is unknown: say so. */
		if (c.r->lost)
			return -EIO;
		c.g = rx_geom(c.r);
		c.exact = !writes_back_held(dev, c.r, q);
		if (!c.exact)
			s->reports_held[q]++;
		bpf_loop(MAX_RXD / RXD_GROUP, mark_group, &c, 0);
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
	struct igbvf_prep *p = prep_state();
	__u32 key = 0;

	bpf_map_update_elem(&igbvf_shadow, &key, &blank, BPF_ANY);
	if (p)
		p->valid = 0;
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
	return sizeof(struct igbvf_state) + sizeof(struct igbvf_pf_record);
}

VFMIG_OPS(igbvf,
	.ids = { VFMIG_PCI_DEVICE(0x8086, 0x10ca) },
	.flags = VFMIG_F_P2P | VFMIG_F_PRE_COPY | VFMIG_F_DIRTY_LOG,
	.version = IGBVF_VERSION,
	.min_version = IGBVF_MIN_VERSION,
	.init = (void *)igbvf_init,
	.region_read = (void *)igbvf_read,
	.region_write = (void *)igbvf_write,
	.set_state = (void *)igbvf_set_state,
	.save = (void *)igbvf_save,
	.load = (void *)igbvf_load,
	.prepare = (void *)igbvf_prepare,
	.state_size = (void *)igbvf_state_size,
	.log_report = (void *)igbvf_log_report,
	.open = (void *)igbvf_open,
	.reset = (void *)igbvf_reset,
);

char LICENSE[] SEC("license") = "GPL";
