// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A bare-metal guest for the NIC VF migration tests: a tiny igbvf driver
 * for an 82576 VF (QEMU's igb, 8086:10ca) that pings the PF, forever.
 *
 * It resets the VF, asks the PF driver for its MAC through the mailbox
 * (VF_RESET, then SET_MAC_ADDR with its own address), sets up one RX and
 * one TX ring of advanced descriptors, resolves the PF's MAC by ARP, then
 * sends one ICMP echo at a time with a sequence number and a payload
 * derived from it, looking at the RX ring every tenth of a second for the
 * reply (so some buffers always hold frames only the device has written,
 * which a migration must carry).  Every reply has its IP and ICMP
 * checksums, identifier, sequence and payload checked; an RX buffer is
 * filled with a poison pattern each time it is handed to the device, so a
 * frame the device wrote by DMA but a migration did not carry shows up as
 * a bad frame.  Counters go to COM1 about once a second:
 *
 *   PING <tick> sent=N ok=N lost=N late=N bad=N seq=N mac=xx:xx:xx:xx:xx:xx
 *
 * lost: no reply within the timeout; late: a reply to an echo already
 * counted lost; bad: a frame for us that failed a check.  The counters
 * live in guest RAM, so a migrated VM keeps counting and a restarted one
 * prints BOOT.  Interrupts stay off: the driver polls, as the test needs
 * the device state (rings, mailbox, filters), not the guest's IRQ path.
 *
 * Built with IGBVF_FLOOD (build/igbvf_flood.elf, for make bench), it sends
 * the next echo as soon as the last one is answered and looks at the RX
 * ring all the time: ok per second is then the rate the VF's datapath
 * (TDT, the device, RDT) sustains, which the bench compares across drivers.
 */
#include "payload.h"

#define IGBVF_VENDOR	0x8086
#define IGBVF_DEVICE	0x10ca

/* VF registers (BAR0), as hw/net/igb_regs.h and igbvf.c place them. */
#define CTRL		0x0000
#define CTRL_RST	0x04000000
#define VMBMEM		0x0800
#define V2PMAILBOX	0x0c40
#define EIMS		0x1524
#define EIAC		0x152c
#define EIAM		0x1530
#define EITR0		0x1680
#define IVAR0		0x1700
#define IVAR_MISC	0x1740
#define RDBAL		0x2800
#define RDBAH		0x2804
#define RDLEN		0x2808
#define SRRCTL		0x280c
#define RDH		0x2810
#define RDT		0x2818
#define RXDCTL		0x2828
#define TDBAL		0x3800
#define TDBAH		0x3804
#define TDLEN		0x3808
#define TDH		0x3810
#define TDT		0x3818
#define TXDCTL		0x3828
#define QUEUE_ENABLE	0x02000000
#define SRRCTL_ADV_ONEBUF 0x02000000
#define SRRCTL_BSIZE_2K	2		/* in KiB */

/* V2PMAILBOX bits; PFSTS, PFACK and RSTD clear when read. */
#define MBX_REQ		0x01
#define MBX_ACK		0x02
#define MBX_VFU		0x04
#define MBX_PFSTS	0x10
#define MBX_PFACK	0x20
#define MBX_RSTI	0x40
#define MBX_RSTD	0x80
#define MBX_R2C		(MBX_PFSTS | MBX_PFACK | MBX_RSTD)

/* Mailbox messages (Linux's e1000_mbx.h) */
#define VF_RESET	0x01
#define VF_SET_MAC_ADDR	0x02
#define MSG_ACK		0x80000000
#define MSG_NACK	0x40000000
#define MSG_CTS		0x20000000

/* Advanced descriptors: RX write-back status, TX command and status. */
#define RXD_DD		0x01
#define TXD_DTYP_DATA	0x00300000
#define TXD_EOP		0x01000000
#define TXD_IFCS	0x02000000
#define TXD_RS		0x08000000
#define TXD_DEXT	0x20000000
#define TXD_PAYLEN_SHIFT 14
#define TXD_DD		0x01

#define RX_DESCS	32
#define TX_DESCS	8
#define BUF_SIZE	2048
#define POISON		0xa5

/* TSC cycles: roughly nanoseconds under QEMU. */
#define SECOND		1000000000ULL
#define REPLY_TIMEOUT	(SECOND / 2)
#ifdef IGBVF_FLOOD
#define PING_GAP	0
#define RX_POLL_GAP	0
#else
#define PING_GAP	(SECOND / 20)
/*
 * Frames wait in their buffers this long before the driver looks: at any
 * moment some RX buffer holds data only the device wrote, which is what a
 * migration's dirty tracking must carry.
 */
#define RX_POLL_GAP	(SECOND / 10)
#endif

static const u8 my_mac[6] = { 0x02, 0x56, 0x46, 0x00, 0x00, 0x01 };
static const u8 my_ip[4] = { 10, 99, 0, 2 };
static const u8 pf_ip[4] = { 10, 99, 0, 1 };
#define ICMP_ID		0x7646
#define ECHO_DATA	56

struct rx_desc {
	u64 addr;		/* read: buffer; write-back: RSS, checksum */
	u32 hdr;		/* read: header buffer (unused) */
	u32 hdr_hi;
	/* write-back view of the second quadword */
};

struct tx_desc {
	u64 addr;
	u32 cmd_type_len;
	u32 olinfo_status;
};

static volatile struct rx_desc rx_ring[RX_DESCS] __attribute__((aligned(128)));
static volatile struct tx_desc tx_ring[TX_DESCS] __attribute__((aligned(128)));
static volatile u8 rx_buf[RX_DESCS][BUF_SIZE] __attribute__((aligned(4096)));
static u8 tx_buf[TX_DESCS][BUF_SIZE] __attribute__((aligned(4096)));

static volatile u32 *bar;
static u32 rx_next, tx_next;	/* next descriptor to look at / fill */
static u32 mbx_bits;		/* read-to-clear mailbox bits seen */
static u8 mac[6], pf_mac[6];
static int pf_known;

/* Counters, in RAM: they migrate with the VM. */
static volatile u32 ticks, sent, ok, lost, late, bad, seq;
static u32 waiting;		/* sequence of the echo in flight, 0: none */

static u32 rd(u32 off) { return bar[off / 4]; }
static void wr(u32 off, u32 v) { bar[off / 4] = v; }

static void *memset(void *d, int c, u32 n)
{
	u8 *p = d;

	while (n--)
		*p++ = c;
	return d;
}

static void *memcpy(void *d, const void *s, u32 n)
{
	u8 *p = d;
	const u8 *q = s;

	while (n--)
		*p++ = *q++;
	return d;
}

static int memeq(const volatile u8 *a, const u8 *b, u32 n)
{
	while (n--)
		if (*a++ != *b++)
			return 0;
	return 1;
}

static void putmac(const u8 *m)
{
	for (int i = 0; i < 6; i++) {
		putc("0123456789abcdef"[m[i] >> 4]);
		putc("0123456789abcdef"[m[i] & 15]);
		if (i < 5)
			putc(':');
	}
}

/* The mailbox register, remembering the bits a read clears. */
static u32 mbx_status(void)
{
	u32 v = rd(V2PMAILBOX);

	mbx_bits |= v & MBX_R2C;
	return v | mbx_bits;
}

static int mbx_wait(u32 bit)
{
	u64 t0 = rdtsc();

	while (!(mbx_status() & bit))
		if (rdtsc() - t0 > 2 * SECOND)
			return -1;
	mbx_bits &= ~bit;
	return 0;
}

static int mbx_lock(void)
{
	for (int i = 0; i < 1000; i++) {
		wr(V2PMAILBOX, MBX_VFU);
		if (mbx_status() & MBX_VFU)
			return 0;
	}
	return -1;
}

/* Post @n words to the PF and wait for its acknowledgement. */
static int mbx_send(const u32 *msg, int n)
{
	if (mbx_lock())
		return -1;
	for (int i = 0; i < n; i++)
		wr(VMBMEM + 4 * i, msg[i]);
	wr(V2PMAILBOX, MBX_REQ);
	return mbx_wait(MBX_PFACK);
}

/* Read the PF's answer into @msg and acknowledge it. */
static int mbx_recv(u32 *msg, int n)
{
	if (mbx_wait(MBX_PFSTS) || mbx_lock())
		return -1;
	for (int i = 0; i < n; i++)
		msg[i] = rd(VMBMEM + 4 * i);
	wr(V2PMAILBOX, MBX_ACK);
	return 0;
}

static u32 mbx_call(u32 *msg, int n)
{
	if (mbx_send(msg, n) || mbx_recv(msg, 3))
		return 0;
	return msg[0];
}

static void delay(u64 cycles)
{
	u64 t0 = rdtsc();

	while (rdtsc() - t0 < cycles)
		;
}

/* Reset the VF and get a MAC from the PF driver: what igbvf does. */
static int vf_reset(void)
{
	u32 msg[3], ans;

	wr(CTRL, CTRL_RST);
	delay(SECOND / 20);
	/* The PF signals a finished reset with RSTD (or RSTI while busy). */
	for (int i = 0; i < 100 && !(mbx_status() & (MBX_RSTD | MBX_RSTI)); i++)
		delay(SECOND / 1000);
	mbx_bits = 0;

	msg[0] = VF_RESET;
	ans = mbx_call(msg, 1);
	puts("MBX reset ");
	puthex(ans);
	puts("\n");
	if ((ans & 0xffff) != VF_RESET)
		return -1;
	/* No MAC assigned by the PF's administrator: choose ours. */
	memcpy(mac, (ans & MSG_ACK) ? (u8 *)&msg[1] : my_mac, 6);

	msg[0] = VF_SET_MAC_ADDR;
	msg[1] = msg[2] = 0;
	memcpy(&msg[1], mac, 6);
	ans = mbx_call(msg, 3);
	puts("MBX set-mac ");
	puthex(ans);
	puts("\n");
	return ans == (VF_SET_MAC_ADDR | MSG_ACK | MSG_CTS) ? 0 : -1;
}

static void rx_post(u32 i)
{
	memset((void *)rx_buf[i], POISON, BUF_SIZE);
	rx_ring[i].addr = (u32)rx_buf[i];
	rx_ring[i].hdr = 0;
	rx_ring[i].hdr_hi = 0;
}

static void rings_init(void)
{
	u32 i;

	for (i = 0; i < RX_DESCS; i++)
		rx_post(i);
	wr(RXDCTL, 0);
	wr(RDBAL, (u32)rx_ring);
	wr(RDBAH, 0);
	wr(RDLEN, sizeof(rx_ring));
	wr(SRRCTL, SRRCTL_ADV_ONEBUF | SRRCTL_BSIZE_2K);
	wr(RDH, 0);
	wr(RDT, 0);
	wr(RXDCTL, QUEUE_ENABLE);
	wr(RDT, RX_DESCS - 1);

	wr(TXDCTL, 0);
	wr(TDBAL, (u32)tx_ring);
	wr(TDBAH, 0);
	wr(TDLEN, sizeof(tx_ring));
	wr(TDH, 0);
	wr(TDT, 0);
	wr(TXDCTL, QUEUE_ENABLE);

	/*
	 * Interrupt routing as igbvf sets it, though this guest polls: the
	 * program must carry it (vector 0 RX/TX, vector 2 the mailbox).
	 */
	wr(IVAR0, 0x8080);
	wr(IVAR_MISC, 0x82);
	wr(EITR0, 0x200);
	wr(EIAC, 0x7);
	wr(EIAM, 0x7);
	wr(EIMS, 0x7);
}

static void tx_send(const u8 *frame, u32 len)
{
	u32 i = tx_next;

	memcpy(tx_buf[i], frame, len);
	tx_ring[i].addr = (u32)tx_buf[i];
	tx_ring[i].cmd_type_len = TXD_DTYP_DATA | TXD_DEXT | TXD_EOP |
				  TXD_IFCS | TXD_RS | len;
	tx_ring[i].olinfo_status = len << TXD_PAYLEN_SHIFT;
	tx_next = (i + 1) % TX_DESCS;
	wr(TDT, tx_next);	/* the model sends it there and then */
}

static void put16(u8 *p, u32 v) { p[0] = v >> 8; p[1] = v; }
static u32 get16(const volatile u8 *p) { return p[0] << 8 | p[1]; }

static u32 csum(const volatile u8 *p, u32 len)
{
	u32 sum = 0;

	for (u32 i = 0; i + 1 < len; i += 2)
		sum += get16(p + i);
	if (len & 1)
		sum += p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

static u32 eth_header(u8 *f, const u8 *dst, u32 type)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, mac, 6);
	put16(f + 12, type);
	return 14;
}

static void arp_send(u32 op, const u8 *tha, const u8 *tpa)
{
	static const u8 bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	u8 f[60];
	u32 n;

	memset(f, 0, sizeof(f));
	n = eth_header(f, op == 1 ? bcast : tha, 0x0806);
	put16(f + n, 1);		/* Ethernet */
	put16(f + n + 2, 0x0800);	/* IPv4 */
	f[n + 4] = 6;
	f[n + 5] = 4;
	put16(f + n + 6, op);
	memcpy(f + n + 8, mac, 6);
	memcpy(f + n + 14, my_ip, 4);
	memcpy(f + n + 18, tha, 6);
	memcpy(f + n + 24, tpa, 4);
	tx_send(f, sizeof(f));
}

static u8 echo_byte(u32 s, u32 i) { return s * 7 + i * 13; }

static void echo_send(u32 s)
{
	u8 f[14 + 20 + 8 + ECHO_DATA];
	u8 *ip = f + 14, *icmp = ip + 20;
	u32 i;

	eth_header(f, pf_mac, 0x0800);
	memset(ip, 0, 20);
	ip[0] = 0x45;
	put16(ip + 2, 20 + 8 + ECHO_DATA);
	put16(ip + 4, s);
	put16(ip + 6, 0x4000);		/* DF */
	ip[8] = 64;
	ip[9] = 1;			/* ICMP */
	memcpy(ip + 12, my_ip, 4);
	memcpy(ip + 16, pf_ip, 4);
	put16(ip + 10, csum(ip, 20));
	icmp[0] = 8;			/* echo request */
	icmp[1] = 0;
	put16(icmp + 2, 0);
	put16(icmp + 4, ICMP_ID);
	put16(icmp + 6, s);
	for (i = 0; i < ECHO_DATA; i++)
		icmp[8 + i] = echo_byte(s, i);
	put16(icmp + 2, csum(icmp, 8 + ECHO_DATA));
	tx_send(f, sizeof(f));
	sent++;
}

/* An echo reply for us: checked whole; counts ok, late or bad. */
static void echo_reply(const volatile u8 *ip, u32 len)
{
	const volatile u8 *icmp = ip + 20;
	u32 s, i;

	if (len < 20 + 8 + ECHO_DATA || ip[0] != 0x45 || csum(ip, 20) ||
	    get16(ip + 2) != 20 + 8 + ECHO_DATA ||
	    !memeq(ip + 12, pf_ip, 4) || csum(icmp, 8 + ECHO_DATA) ||
	    get16(icmp + 4) != ICMP_ID) {
		bad++;
		return;
	}
	s = get16(icmp + 6);
	for (i = 0; i < ECHO_DATA; i++)
		if (icmp[8 + i] != echo_byte(s, i)) {
			bad++;
			return;
		}
	if (s == waiting) {
		ok++;
		waiting = 0;
	} else {
		late++;
	}
}

static void frame_in(const volatile u8 *f, u32 len)
{
	const volatile u8 *p = f + 14;

	if (len < 14 + 28)
		return;
	if (get16(f + 12) == 0x0806 && get16(p + 6) == 1 &&
	    memeq(p + 24, my_ip, 4)) {
		u8 sha[6], spa[4];

		for (int i = 0; i < 6; i++)
			sha[i] = p[8 + i];
		for (int i = 0; i < 4; i++)
			spa[i] = p[14 + i];
		arp_send(2, sha, spa);
	} else if (get16(f + 12) == 0x0806 && get16(p + 6) == 2 &&
		   memeq(p + 14, pf_ip, 4)) {
		for (int i = 0; i < 6; i++)
			pf_mac[i] = p[8 + i];
		pf_known = 1;
	} else if (get16(f + 12) == 0x0800 && p[9] == 1 &&
		   memeq(p + 16, my_ip, 4) && p[20] == 0) {
		echo_reply(p, len - 14);
	}
}

/* Take every frame the device finished, hand the buffers back. */
static void rx_poll(void)
{
	volatile u8 *wb;
	u32 status, len;

	for (;;) {
		wb = (volatile u8 *)&rx_ring[rx_next];
		status = *(volatile u32 *)(wb + 8);
		if (!(status & RXD_DD))
			return;
		len = *(volatile u16 *)(wb + 12);
		if (len > BUF_SIZE) {
			bad++;
		} else if (memeq(rx_buf[rx_next], (const u8 *)"\xa5\xa5\xa5\xa5", 4)) {
			/* Written back, but the frame never arrived. */
			bad++;
		} else {
			frame_in(rx_buf[rx_next], len);
		}
		rx_post(rx_next);
		wr(RDT, rx_next);
		rx_next = (rx_next + 1) % RX_DESCS;
	}
}

static void report(void)
{
	puts("PING ");
	putdec(ticks);
	puts(" sent=");
	putdec(sent);
	puts(" ok=");
	putdec(ok);
	puts(" lost=");
	putdec(lost);
	puts(" late=");
	putdec(late);
	puts(" bad=");
	putdec(bad);
	puts(" seq=");
	putdec(seq);
	puts(" mac=");
	putmac(mac);
	puts("\n");
}

void main(void)
{
	u64 t_sent = 0, t_report, t_rx = 0;
	u32 dev, lo, hi;

	outb(COM1 + 1, 0);	/* no interrupts, 8N1 as the firmware left it */
	puts("BOOT\n");
	dev = pci_find(IGBVF_VENDOR, IGBVF_DEVICE);
	if (dev == 32) {
		puts("NO-VF\n");
		return;
	}
	lo = pci_read(dev, 0x10);
	hi = pci_read(dev, 0x14);
	if (hi) {		/* the firmware put it above 4 GiB */
		puts("BAR0-HIGH\n");
		return;
	}
	bar = (volatile u32 *)(lo & ~0xfu);
	pci_write(dev, 0x04, pci_read(dev, 0x04) | 0x6);	/* memory, master */
	puts("VF bar0=");
	puthex((u32)bar);
	puts("\n");

	if (vf_reset()) {
		puts("NO-MAC\n");
		return;
	}
	rings_init();
	while (!pf_known) {
		arp_send(1, (const u8 *)"\0\0\0\0\0\0", pf_ip);
		for (u64 t0 = rdtsc(); !pf_known && rdtsc() - t0 < SECOND / 2;)
			rx_poll();
	}
	puts("READY mac=");
	putmac(mac);
	puts(" pf=");
	putmac(pf_mac);
	puts("\n");

	t_report = rdtsc();
	for (;;) {
		u64 now = rdtsc();

		if (now - t_rx > RX_POLL_GAP) {
			t_rx = now;
			rx_poll();
		}
		if (waiting && now - t_sent > REPLY_TIMEOUT) {
			lost++;
			waiting = 0;
		}
		if (!waiting && now - t_sent > PING_GAP) {
			waiting = ++seq;
			t_sent = now;
			echo_send(seq);
		}
		if (now - t_report > SECOND) {
			t_report = now;
			ticks++;
			report();
		}
	}
}
