// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A bare-metal guest for the QEMU migration test: a multiboot kernel that
 * finds the edu device on PCI bus 0, programs it (liveness, factorial,
 * interrupt status, DMA set-up) and then prints, forever, a tick counter
 * and every edu register it can read, on COM1.
 *
 * The counter lives in guest RAM: a VM that really continued after
 * migration goes on counting, one that restarted prints BOOT and starts
 * over.  It boots in about a second under TCG inside TCG, where a Linux
 * guest would take minutes.
 */
#include "payload.h"

#define EDU_VENDOR	0x1234
#define EDU_DEVICE	0x11e8

static volatile u32 *edu;

static u32 rd(u32 off) { return edu[off / 4]; }
static void wr(u32 off, u32 v) { edu[off / 4] = v; }

/* The tick counter: in RAM, so it migrates with the VM. */
static volatile u32 ticks;

static void report(const char *what)
{
	puts(what);
	puts(" ");
	putdec(ticks);
	puts(" liveness=");
	puthex(rd(0x04));
	puts(" fact=");
	puthex(rd(0x08));
	puts(" status=");
	puthex(rd(0x20));
	puts(" irq=");
	puthex(rd(0x24));
	puts(" dma=");
	puthex(rd(0x80));
	puts(",");
	puthex(rd(0x88));
	puts(",");
	puthex(rd(0x90));
	puts("\n");
}

/*
 * Pages the guest keeps writing while it waits, as a busy guest does: a
 * migration allowed little downtime then stays in pre-copy for good (the
 * cancel test relies on it); with the usual limits it converges at once.
 */
#define CHURN_PAGES 16
static volatile u8 churn[CHURN_PAGES][4096] __attribute__((aligned(4096)));

void main(void)
{
	u32 dev;

	outb(COM1 + 1, 0);	/* no interrupts, 8N1 as the firmware left it */
	puts("BOOT\n");
	dev = pci_find(EDU_VENDOR, EDU_DEVICE);
	if (dev == 32) {
		puts("NO-EDU\n");
		return;
	}
	edu = (volatile u32 *)(pci_read(dev, 0x10) & ~0xfu);
	pci_write(dev, 0x04, pci_read(dev, 0x04) | 0x6);	/* memory, master */
	puts("EDU bar0=");
	puthex((u32)edu);
	puts("\n");

	wr(0x04, 0x1234);
	wr(0x08, 6);
	while (rd(0x20) & 1)
		;
	wr(0x20, 0x80);
	wr(0x60, 0x4);
	wr(0x80, 0x40000);
	wr(0x88, 0x2000);
	wr(0x90, 0x40);
	report("READY");

	for (;;) {
		u64 t0 = rdtsc();
		u32 n = 0;

		while (rdtsc() - t0 < 1000000000ULL)
			churn[n++ % CHURN_PAGES][0]++;
		ticks++;
		report("TICK");
	}
}
