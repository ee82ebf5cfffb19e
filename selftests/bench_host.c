// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * bench-host: the inner loops of vfmig's streaming and dirty-report paths,
 * run natively on the host CPU beside the guest memcpy the VM bench
 * compares against (`make bench`, before the VMs).
 *
 * Under TCG the kernel's copies (rep movsb/stosb), its atomics and its
 * CRC32C instruction are emulated a step at a time while glibc's vector
 * memcpy runs nearly natively, so the VM's ratios overstate every kernel
 * loop.  This program runs the same passes the kernel makes, in the same
 * order and with the same instructions, on real hardware, as ratios
 * against glibc's memcpy of as many bytes:
 *   save      zero the buffer's pages (init_on_alloc), the program's copy
 *             in, CRC32C over it, read()'s copy out: 64 MiB
 *   restore   zero, write()'s copy in, CRC32C, the program's copy out
 *   clean     a dirty report that finds nothing: the 4096-page summary
 *             scan and clear_user() of the 2 MiB bitmap (64 GiB at 4 KiB)
 *   all dirty each bitmap word read and zeroed with plain loads and
 *             stores (the report drains a bitmap no mark reaches: see
 *             kernel/dirty.c), ORed into a 64 KiB bounce chunk, copied out
 *             and cleared, as the region read does; and the same with one
 *             atomic exchange per word, what a group only partly inside a
 *             report's window costs (every group, before the bitmaps were
 *             doubled)
 * It measures the loops, not vfmig: the VM bench measures vfmig.  The one
 * SRCU grace period a report of dirty pages waits for is not in it.
 */
#include <nmmintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define STATE		(64UL << 20)
#define BITMAP		(2UL << 20)
#define CHUNK		(64UL << 10)	/* the region read's bounce chunk */
#define GROUP_WORDS	64		/* VFMIG_DIRTY_GROUP / BITS_PER_LONG */
#define RUNS		20

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The kernel's memcpy, copy_{to,from}_user and clear_user/clear_page. */
static void rep_movsb(void *dst, const void *src, size_t n)
{
	__asm__ volatile("rep movsb" : "+D"(dst), "+S"(src), "+c"(n) : : "memory");
}

static void rep_stosb(void *dst, size_t n)
{
	__asm__ volatile("rep stosb" : "+D"(dst), "+c"(n) : "a"(0) : "memory");
}

__attribute__((target("sse4.2")))
static uint32_t crc32c(uint32_t crc, const void *p, size_t n)
{
	const uint64_t *q = p;

	for (size_t i = 0; i < n / 8; i++)
		crc = _mm_crc32_u64(crc, q[i]);
	return crc;
}

static unsigned char *state, *user, *src;
static uint64_t *bits, *bounce, *ubitmap, summary[BITMAP / 8 / GROUP_WORDS / 64];
static volatile uint32_t sink;

static void glibc_copy(size_t n)
{
	memcpy(user, src, n);
	__asm__ volatile("" : : "r"(user) : "memory");
}

static void save(size_t n)
{
	rep_stosb(state, n);
	for (size_t off = 0; off < n; off += CHUNK)
		rep_movsb(state + off, src, CHUNK);
	sink = crc32c(~0U, state, n);
	rep_movsb(user, state, n);
}

static void restore(size_t n)
{
	rep_stosb(state, n);
	rep_movsb(state, user, n);
	sink = crc32c(~0U, state, n);
	for (size_t off = 0; off < n; off += CHUNK)
		rep_movsb(src, state + off, CHUNK);
}

static void report_clean(size_t n)
{
	for (size_t w = 0; w < sizeof(summary) / 8; w++)
		if (summary[w])
			sink = w;
	rep_stosb(ubitmap, n);
}

static void report_dirty(size_t n, int atomic)
{
	for (size_t c = 0; c < n / 8; c += CHUNK / 8) {
		for (size_t w = 0; w < CHUNK / 8; w++) {
			uint64_t *word = &bits[c + w], got = *word;

			if (!got)
				continue;
			if (atomic)
				got = __atomic_exchange_n(word, 0, __ATOMIC_SEQ_CST);
			else
				*word = 0;
			bounce[w] |= got;
		}
		rep_movsb(ubitmap + c, bounce, CHUNK);
		rep_stosb(bounce, CHUNK);
	}
}

static void report_drained(size_t n)
{
	report_dirty(n, 0);
}

static void report_atomic(size_t n)
{
	report_dirty(n, 1);
}

/* Best seconds of RUNS calls of @fn(@n); @refill, if any, untimed first. */
static double best(void (*fn)(size_t), size_t n, void (*refill)(void))
{
	double b = 1e9;

	for (int i = 0; i < RUNS; i++) {
		double t0;

		if (refill)
			refill();
		t0 = now();
		fn(n);
		if (now() - t0 < b)
			b = now() - t0;
	}
	return b;
}

static void dirty_all(void)
{
	memset(bits, 0xff, BITMAP);
}

/* One figure: @ratio, from the path's @t and memcpy's @base seconds. */
static void row(const char *name, double ratio, double t, double base)
{
	printf("bench-host: %-46s %7.3f (%.0f us, memcpy %.0f us)\n", name, ratio,
	       t * 1e6, base * 1e6);
}

int main(void)
{
	double copy_state, copy_bitmap, t;

	if (!__builtin_cpu_supports("sse4.2")) {
		printf("bench-host: no SSE4.2 on this CPU: no figures\n");
		return 1;
	}
	state = malloc(STATE);
	user = malloc(STATE);
	src = malloc(STATE);
	bits = malloc(BITMAP);
	ubitmap = malloc(BITMAP);
	bounce = malloc(CHUNK);
	if (!state || !user || !src || !bits || !ubitmap || !bounce)
		return 1;
	/* Touched first: page faults are not what is measured. */
	memset(state, 1, STATE);
	memset(user, 2, STATE);
	memset(src, 3, STATE);
	memset(ubitmap, 0, BITMAP);
	memset(bounce, 0, CHUNK);
	dirty_all();

	copy_state = best(glibc_copy, STATE, NULL);
	copy_bitmap = best(glibc_copy, BITMAP, NULL);
	printf("bench-host: the guest bench's loops natively; ratios over glibc memcpy\n");
	/* Bandwidth over memcpy's for the state, time over it for reports. */
	t = best(save, STATE, NULL);
	row("save of 64 MiB / memcpy (target >= 0.3)", copy_state / t, t, copy_state);
	t = best(restore, STATE, NULL);
	row("restore of 64 MiB / memcpy (target >= 0.3)", copy_state / t, t, copy_state);
	t = best(report_clean, BITMAP, NULL);
	row("dirty report clean / memcpy 2 MiB (target <= 3)", t / copy_bitmap, t, copy_bitmap);
	t = best(report_drained, BITMAP, dirty_all);
	row("dirty report all dirty / memcpy (target <= 5)", t / copy_bitmap, t, copy_bitmap);
	t = best(report_atomic, BITMAP, dirty_all);
	row("  the same, an atomic exchange a word", t / copy_bitmap, t, copy_bitmap);
	return 0;
}
