/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What the bare-metal test guests share: a multiboot v1 entry, COM1 output,
 * port I/O, PCI config access on bus 0 and the TSC.  Each payload is one
 * .c file that includes this once and defines main().
 */
#ifndef _PAYLOAD_H
#define _PAYLOAD_H

typedef unsigned int u32;
typedef unsigned short u16;
typedef unsigned char u8;
typedef unsigned long long u64;

#define COM1		0x3f8

/* Multiboot v1 header: magic, flags (none needed for ELF), checksum. */
__attribute__((section(".multiboot"), used, aligned(4)))
static const u32 multiboot_header[3] = { 0x1badb002, 0, -0x1badb002 };

u8 stack[16384] __attribute__((aligned(16)));	/* used by _start */

void main(void);

__asm__(".text\n"
	".globl _start\n"
	"_start:\n"
	"	mov $stack + 16384, %esp\n"
	"	call main\n"
	"1:	hlt\n"
	"	jmp 1b\n");

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

/* Config space of device @dev, function 0, on bus 0. */
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

/* The slot of the first device with these ids on bus 0, or 32. */
static u32 pci_find(u16 vendor, u16 device)
{
	u32 dev;

	for (dev = 0; dev < 32; dev++)
		if (pci_read(dev, 0) == ((u32)device << 16 | vendor))
			break;
	return dev;
}

#endif /* _PAYLOAD_H */
