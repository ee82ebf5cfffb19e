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
typedef unsigned int u32;
typedef unsigned short u16;
typedef unsigned char u8;
typedef unsigned long long u64;

#define COM1		0x3f8
#define EDU_VENDOR	0x1234
#define EDU_DEVICE	0x11e8

/* Multiboot v1 header: magic, flags (none needed for ELF), checksum. */
__attribute__((section(".multiboot"), used, aligned(4)))
static const u32 multiboot_header[3] = { 0x1badb002, 0, -0x1badb002 };

u8 stack[16384] __attribute__((aligned(16)));	/* used by _start */

static inline void outb(u16 port, u8 v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline u8 inb(u16 port) { u8 v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline void outl(u16 port, u32 v) { __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port)); }
static inline u32 inl(u16 port) { u32 v; __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port)); return v; }

static inline u64 rdtsc(void)
{
	u32 lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (u64)hi << 32 | lo;
}

static void putc(char c)
{
	while (!(inb(COM1 + 5) & 0x20))
		;
	outb(COM1, c);
}

static void puts(const char *s)
{
	while (*s)
		putc(*s++);
}

static void puthex(u32 v)
{
	puts("0x");
	for (int shift = 28; shift >= 0; shift -= 4)
		putc("0123456789abcdef"[(v >> shift) & 0xf]);
}

static void putdec(u32 v)
{
	char buf[11];
	int i = 10;

	buf[i] = '\0';
	do {
		buf[--i] = '0' + v % 10;
		v /= 10;
	} while (v);
	puts(buf + i);
}

static u32 pci_read(u32 dev, u32 off)
{
	outl(0xcf8, 0x80000000 | dev << 11 | off);
	return inl(0xcfc);
}

static void pci_write(u32 dev, u32 off, u32 v)
{
	outl(0xcf8, 0x80000000 | dev << 11 | off);
	outl(0xcfc, v);
}

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

void main(void);
void main(void)
{
	u32 dev;

	outb(COM1 + 1, 0);	/* no interrupts, 8N1 as the firmware left it */
	puts("BOOT\n");
	for (dev = 0; dev < 32; dev++)
		if (pci_read(dev, 0) == (EDU_DEVICE << 16 | EDU_VENDOR))
			break;
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

__asm__(".text\n"
	".globl _start\n"
	"_start:\n"
	"	mov $stack + 16384, %esp\n"
	"	call main\n"
	"1:	hlt\n"
	"	jmp 1b\n");
