// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The DMA and dirty-log operations of vfio-ops (see vfio_ops.c):
 *
 *   map IOVA LEN [KIND]      mmap LEN bytes of anonymous memory and
 *                            VFIO_IOMMU_MAP_DMA them at IOVA, so the device
 *                            can DMA there; KIND is small (4 KiB pages,
 *                            the default), thp (2 MiB aligned, madvised
 *                            huge, prints the AnonHugePages it got) or
 *                            hugetlb (MAP_HUGETLB, 2 MiB pages)
 *   unmap IOVA LEN           VFIO_IOMMU_UNMAP_DMA and munmap a mapping
 *   dmarace IOVA N           one thread maps and unmaps 2 MiB (THP) at IOVA
 *                            N times while another reads its first 8 bytes
 *                            through BAR 0 0x100 of selftests/progs/test_wait_dma.bpf.o:
 *                            prints how many reads saw the memory, how many
 *                            failed, and how many saw anything else
 *   fill IOVA LEN BYTE       memset mapped memory
 *   put IOVA VAL             store VAL at IOVA as 8 little-endian bytes, as
 *                            a driver writes a descriptor (or a device its
 *                            write-back)
 *   buf IOVA LEN             print mapped memory as hex bytes
 *   dlstart VIA PAGE N IOVA LEN STRIDE
 *                            start DMA logging of N ranges of LEN bytes, the
 *                            first at IOVA, one every STRIDE bytes; prints
 *                            the page size chosen
 *   dlreport VIA IOVA LEN PAGE
 *                            report and clear [IOVA, + LEN) at PAGE: prints
 *                            the dirty runs as IOVA+LENGTH
 *   dlstop VIA               stop DMA logging
 *   dlfault IOVA LEN         read the region's bitmap of [IOVA, + LEN), 4 KiB
 *                            pages, into a buffer whose second 64 KiB is not
 *                            mapped: what the read returned and the runs
 *                            in it (the rest must stay for the next report)
 *   dlrace VIA IOVA PAGES    one thread marks PAGES pages from IOVA, each
 *                            once, through the mark register of
 *                            selftests/progs/test_dirty.bpf.o while another reports
 *                            in a loop; prints what was missed or doubled
 * VIA is uapi, region or auto (see user/dirty_log.h).  For benchmarks,
 * timed, best of 5:
 *   treport GIB              log [0, GIB GiB) at 4 KiB; read its bitmap
 *                            clean and all dirty, by each way the kernel
 *                            offers, beside a memcpy of a bitmap that size
 *   tmark N                  N bpf_vfmig_mark_dirty() calls from one hook
 *                            (selftests/progs/test_dirty.bpf.o) less the same loop
 *                            without them, with and without a log running
 */
#include <endian.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/vfio.h>

#include "dirty_log.h"
#include "dma_ops.h"

/* selftests/progs/test_dirty.bpf.o: an 8-byte write of an IOVA here marks its page. */
#define MARK_REGISTER	0x100
/* ... and of N here runs N marks, or the same loop without them. */
#define MARK_LOOP	0x108
#define EMPTY_LOOP	0x110

struct mapping {
	uint64_t iova;
	uint64_t len;
	uint8_t *mem;
};

static struct mapping maps[8];
static unsigned int nr_maps;

static uint8_t *mapped(uint64_t iova, uint64_t len)
{
	for (unsigned int i = 0; i < nr_maps; i++)
		if (iova >= maps[i].iova && len <= maps[i].len &&
		    iova - maps[i].iova <= maps[i].len - len)
			return maps[i].mem + (iova - maps[i].iova);
	return NULL;
}

#define HUGE_2M		(2ULL << 20)

/* Anonymous memory of the kind asked for, or MAP_FAILED. */
static void *map_memory(uint64_t len, const char *kind)
{
	uint8_t *mem;

	if (!strcmp(kind, "hugetlb"))
		return mmap(NULL, len, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	if (strcmp(kind, "thp"))
		return mmap(NULL, len, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	/* 2 MiB aligned, so the first fault of each 2 MiB is a huge page. */
	mem = mmap(NULL, len + HUGE_2M, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return mem;
	mem = (uint8_t *)(((uintptr_t)mem + HUGE_2M - 1) & ~(HUGE_2M - 1));
	madvise(mem, len, MADV_HUGEPAGE);
	memset(mem, 0, len);
	return mem;
}

/* kB of AnonHugePages in the VMA at @addr, from smaps; -1 if not found. */
static long anon_huge_kb(const void *addr)
{
	uintptr_t a = (uintptr_t)addr, lo, hi;
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[256];
	long kb = -1;
	bool in = false;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' '))
			in = a >= lo && a < hi;
		else if (in && sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
			break;
	}
	fclose(f);
	return kb;
}

static int map_at(int container, uint64_t iova, uint64_t len, void *mem)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)mem,
		.iova = iova,
		.size = len,
	};

	return ioctl(container, VFIO_IOMMU_MAP_DMA, &map) ? -errno : 0;
}

static int unmap_at(int container, uint64_t iova, uint64_t len)
{
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap),
		.iova = iova,
		.size = len,
	};

	return ioctl(container, VFIO_IOMMU_UNMAP_DMA, &unmap) ? -errno : 0;
}

static void op_map(int container, uint64_t iova, uint64_t len, const char *kind)
{
	void *mem;
	int err;

	printf("map 0x%llx 0x%llx: ", (unsigned long long)iova, (unsigned long long)len);
	if (nr_maps == sizeof(maps) / sizeof(maps[0])) {
		printf("error: too many mappings\n");
		return;
	}
	mem = map_memory(len, kind);
	if (mem == MAP_FAILED) {
		printf("error: %s\n", strerror(errno));
		return;
	}
	err = map_at(container, iova, len, mem);
	if (err) {
		printf("error: %s\n", strerror(-err));
		munmap(mem, len);
		return;
	}
	maps[nr_maps++] = (struct mapping){ iova, len, mem };
	if (!strcmp(kind, "thp"))
		printf("ok, AnonHugePages %ld kB\n", anon_huge_kb(mem));
	else
		printf("ok\n");
}

static void op_unmap(int container, uint64_t iova, uint64_t len)
{
	int err = unmap_at(container, iova, len);

	for (unsigned int i = 0; !err && i < nr_maps; i++)
		if (maps[i].iova == iova) {
			munmap(maps[i].mem, maps[i].len);
			maps[i] = maps[--nr_maps];
			break;
		}
	printf("unmap 0x%llx: %s\n", (unsigned long long)iova, err ? strerror(-err) : "ok");
}

/* selftests/progs/test_wait_dma.bpf.o: an 8-byte write here sets the IOVA a read of it reads. */
#define DMA_READ_REGISTER	0x100

struct dmarace {
	int container;
	uint64_t iova;
	uint64_t n;
	volatile bool done;
	uint64_t cycles;
};

static void *dmarace_mapper(void *arg)
{
	struct dmarace *r = arg;
	uint8_t *mem = map_memory(HUGE_2M, "thp");

	if (mem == MAP_FAILED) {
		r->done = true;
		return NULL;
	}
	memset(mem, 0x5a, HUGE_2M);
	for (uint64_t i = 0; i < r->n; i++) {
		if (map_at(r->container, r->iova, HUGE_2M, mem))
			break;
		unmap_at(r->container, r->iova, HUGE_2M);
		r->cycles++;
	}
	r->done = true;
	return NULL;
}

static void op_dmarace(int fd, int container, uint64_t bar0, uint64_t iova, uint64_t n)
{
	struct dmarace r = { .container = container, .iova = iova, .n = n };
	uint64_t seen = 0, failed = 0, wrong = 0, v;
	pthread_t t;

	if (pwrite(fd, &iova, 8, bar0 + DMA_READ_REGISTER) != 8 ||
	    pthread_create(&t, NULL, dmarace_mapper, &r)) {
		printf("dmarace: error: %s\n", strerror(errno));
		return;
	}
	while (!r.done) {
		if (pread(fd, &v, 8, bar0 + DMA_READ_REGISTER) != 8)
			failed++;
		else if (v == 0x5a5a5a5a5a5a5a5aULL)
			seen++;
		else
			wrong++;
	}
	pthread_join(t, NULL);
	printf("dmarace: %llu cycles, %llu reads saw the memory, %llu failed, %llu saw other bytes\n",
	       (unsigned long long)r.cycles, (unsigned long long)seen,
	       (unsigned long long)failed, (unsigned long long)wrong);
}

static void op_fill(uint64_t iova, uint64_t len, int byte)
{
	uint8_t *p = mapped(iova, len);

	if (p)
		memset(p, byte, len);
	printf("fill 0x%llx: %s\n", (unsigned long long)iova, p ? "ok" : "error: not mapped");
}

static void op_put(uint64_t iova, uint64_t val)
{
	volatile uint64_t *p = iova % 8 ? NULL : (uint64_t *)mapped(iova, 8);

	if (p)
		*p = htole64(val);
	printf("put 0x%llx: %s\n", (unsigned long long)iova,
	       p ? "ok" : "error: not mapped (or not 8-byte aligned)");
}

static void op_buf(uint64_t iova, uint64_t len)
{
	volatile uint8_t *p = mapped(iova, len);

	printf("buf 0x%llx: ", (unsigned long long)iova);
	if (!p) {
		printf("error: not mapped\n");
		return;
	}
	for (uint64_t i = 0; i < len; i++)
		printf("%02x", p[i]);
	printf("\n");
}

static int open_log(struct dirty_log *log, int device_fd, const char *via_name)
{
	enum dirty_via via;

	if (dirty_via_parse(via_name, &via))
		return -EINVAL;
	return dirty_log_open(log, device_fd, via);
}

static void op_dlstart(int fd, const char *via, __u64 page, uint32_t n,
		       uint64_t iova, uint64_t len, uint64_t stride)
{
	struct vfmig_dirty_range *r = calloc(n ? n : 1, sizeof(*r));
	struct dirty_log log;
	int err;

	for (uint32_t i = 0; i < n; i++)
		r[i] = (struct vfmig_dirty_range){ iova + i * stride, len };
	err = open_log(&log, fd, via) ?: dirty_log_start(&log, &page, r, n);
	free(r);
	if (err)
		printf("dlstart: error: %s\n", strerror(-err));
	else
		printf("dlstart: ok page 0x%llx\n", (unsigned long long)page);
}

/* Report [iova, + len) into a fresh bitmap; 0 or -errno. */
static int report(const struct dirty_log *log, uint64_t iova, uint64_t len,
		  uint64_t page, __u64 **bitmap)
{
	*bitmap = page ? calloc((len / page + 63) / 64 + 1, sizeof(__u64)) : NULL;
	if (!*bitmap)
		return -ENOMEM;
	return dirty_log_report(log, iova, len, page, *bitmap);
}

static bool bit(const __u64 *bitmap, uint64_t n)
{
	return bitmap[n / 64] >> (n % 64) & 1;
}

static void op_dlreport(int fd, const char *via, uint64_t iova, uint64_t len,
			uint64_t page)
{
	struct dirty_log log;
	uint64_t bits = page ? len / page : 0;
	__u64 *bitmap = NULL;
	int err, runs = 0;

	err = open_log(&log, fd, via) ?: report(&log, iova, len, page, &bitmap);
	printf("dlreport:");
	if (err) {
		printf(" error: %s\n", strerror(-err));
		free(bitmap);
		return;
	}
	for (uint64_t b = 0; b < bits; b++) {
		uint64_t start = b;

		if (!bit(bitmap, b))
			continue;
		while (b + 1 < bits && bit(bitmap, b + 1))
			b++;
		printf(" 0x%llx+0x%llx", (unsigned long long)(iova + start * page),
		       (unsigned long long)((b - start + 1) * page));
		runs++;
	}
	printf("%s\n", runs ? "" : " clean");
	free(bitmap);
}

static void op_dlfault(int fd, uint64_t iova, uint64_t len)
{
	size_t bytes = len / 4096 / 8, hole = 64 << 10;
	uint8_t *buf = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct dirty_log log;
	ssize_t n;
	int err;

	if (buf == MAP_FAILED || bytes < 2 * hole || iova % (4096 * 8)) {
		printf("dlfault: error: bad arguments\n");
		return;
	}
	err = dirty_log_open(&log, fd, DIRTY_VIA_REGION);
	if (!err && mprotect(buf + hole, hole, PROT_NONE))
		err = -errno;
	n = err ? -1 : pread(log.fd, buf, bytes,
			     log.region + VFMIG_DIRTY_BITMAP_OFFSET + iova / 4096 / 8);
	if (n < 0) {
		printf("dlfault: error: %s\n", strerror(err ? -err : errno));
	} else {
		printf("dlfault: read %zd:", n);
		for (uint64_t b = 0; b < (uint64_t)n * 8; b++)
			if (buf[b / 8] >> (b % 8) & 1)
				printf(" 0x%llx", (unsigned long long)(iova + b * 4096));
		printf("\n");
	}
	munmap(buf, bytes);
}

static void op_dlstop(int fd, const char *via)
{
	struct dirty_log log;
	int err = open_log(&log, fd, via) ?: dirty_log_stop(&log);

	printf("dlstop: %s\n", err ? strerror(-err) : "ok");
}

struct race {
	int fd;
	uint64_t bar0;		/* file offset of BAR 0 */
	uint64_t iova;
	uint64_t pages;
	volatile bool done;
	int err;
};

static void *race_writer(void *arg)
{
	struct race *r = arg;

	for (uint64_t p = 0; p < r->pages; p++) {
		uint64_t iova = r->iova + p * 4096;

		if (pwrite(r->fd, &iova, 8, r->bar0 + MARK_REGISTER) != 8) {
			r->err = -errno;
			break;
		}
	}
	r->done = true;
	return NULL;
}

static void op_dlrace(int fd, const char *via, uint64_t bar0, uint64_t iova,
		      uint64_t pages)
{
	struct race r = { .fd = fd, .bar0 = bar0, .iova = iova, .pages = pages };
	uint32_t *seen = calloc(pages, sizeof(*seen));
	uint64_t missing = 0, doubled = 0, reports = 0, busy = 0;
	struct dirty_log log;
	pthread_t writer;
	bool last = false;
	int err;

	err = open_log(&log, fd, via);
	if (!err && pthread_create(&writer, NULL, race_writer, &r))
		err = -EAGAIN;
	while (!err && !last) {
		uint64_t found = 0;
		__u64 *bitmap;

		last = r.done;	/* after the writer ended: one more, complete */
		err = report(&log, iova, pages * 4096, 4096, &bitmap);
		for (uint64_t p = 0; !err && p < pages; p++)
			if (bit(bitmap, p)) {
				seen[p]++;
				found++;
			}
		free(bitmap);
		reports++;
		busy += found && !last;
	}
	if (!err) {
		pthread_join(writer, NULL);
		err = r.err;
	}
	for (uint64_t p = 0; !err && p < pages; p++) {
		missing += !seen[p];
		doubled += seen[p] > 1;
	}
	free(seen);
	if (err)
		printf("dlrace: error: %s\n", strerror(-err));
	else
		printf("dlrace: pages %llu missing %llu doubled %llu reports-while-marking %llu\n",
		       (unsigned long long)pages, (unsigned long long)missing,
		       (unsigned long long)doubled, (unsigned long long)busy);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Best of 5 runs of @fn, in seconds; -1 if one failed. */
static double best_of_5(int (*fn)(void *arg), void *arg)
{
	double best = 1e9;

	for (int i = 0; i < 5; i++) {
		double t0 = now();

		if (fn(arg))
			return -1;
		if (now() - t0 < best)
			best = now() - t0;
	}
	return best;
}

struct treport {
	struct dirty_log log;
	uint64_t length;
	__u64 *bitmap;
	__u64 *copy;		/* memcpy's destination */
	size_t bytes;
};

static int refill(struct treport *t)
{
	/* Untimed here: the region's bitmap window sets bits on write. */
	memset(t->bitmap, 0xff, t->bytes);
	return pwrite(t->log.fd, t->bitmap, t->bytes,
		      t->log.region + VFMIG_DIRTY_BITMAP_OFFSET) == (ssize_t)t->bytes ? 0 : -1;
}

static int report_once(void *arg)
{
	struct treport *t = arg;

	/* The region's own bitmap, as is: the read writes every byte. */
	if (t->log.via == DIRTY_VIA_REGION)
		return pread(t->log.fd, t->bitmap, t->bytes, t->log.region +
			     VFMIG_DIRTY_BITMAP_OFFSET) == (ssize_t)t->bytes ? 0 : -1;
	/* The uAPI only sets bits: its user clears the bitmap first. */
	memset(t->bitmap, 0, t->bytes);
	return dirty_log_report(&t->log, 0, t->length, 4096, t->bitmap);
}

static int memcpy_once(void *arg)
{
	struct treport *t = arg;

	memcpy(t->copy, t->bitmap, t->bytes);
	__asm__ volatile("" : : "r"(t->copy) : "memory");
	return 0;
}

/* A dirty report timed with the bitmap full: refills are not counted. */
static double time_dirty_report(struct treport *t)
{
	double best = 1e9;

	for (int i = 0; i < 5; i++) {
		double t0, t1;

		if (refill(t))
			return -1;
		t0 = now();
		if (report_once(t))
			return -1;
		t1 = now();
		if (t1 - t0 < best)
			best = t1 - t0;
	}
	return best;
}

static void op_treport(int fd, uint64_t gib)
{
	struct treport t = { .length = gib << 30 };
	struct vfmig_dirty_range r = { 0, t.length };
	double copy;

	t.bytes = t.length / 4096 / 8;
	t.bitmap = malloc(t.bytes);
	t.copy = malloc(t.bytes);
	memset(t.bitmap, 0x5a, t.bytes);
	memset(t.copy, 0, t.bytes);
	/* The baseline moves most with the host's noise: 25 runs. */
	copy = best_of_5(memcpy_once, &t);
	for (int i = 0; i < 4; i++) {
		double c = best_of_5(memcpy_once, &t);

		if (c >= 0 && c < copy)
			copy = c;
	}
	for (enum dirty_via via = DIRTY_VIA_UAPI; via <= DIRTY_VIA_REGION; via++) {
		__u64 page = 4096;
		double clean, dirty;
		int err;

		err = dirty_log_open(&t.log, fd, via);
		if (err) {
			printf("treport %s: not offered\n", dirty_via_name(via));
			continue;
		}
		/* Refills go through the region, which both kinds of kernel have. */
		err = dirty_log_start(&t.log, &page, &r, 1);
		if (err) {
			printf("treport %s: error: %s\n", dirty_via_name(via), strerror(-err));
			continue;
		}
		clean = best_of_5(report_once, &t);
		dirty = time_dirty_report(&t);
		dirty_log_stop(&t.log);
		printf("treport %s: %llu GiB at 4 KiB, bitmap %zu KiB: clean %.0f us, "
		       "all dirty %.0f us, memcpy %.0f us\n", dirty_via_name(via),
		       (unsigned long long)gib, t.bytes >> 10, clean * 1e6, dirty * 1e6,
		       copy * 1e6);
	}
	free(t.bitmap);
	free(t.copy);
}

struct tmark {
	int fd;
	uint64_t bar0;
	uint64_t reg;
	uint64_t n;
};

static int mark_loop(void *arg)
{
	struct tmark *m = arg;

	return pwrite(m->fd, &m->n, 8, m->bar0 + m->reg) == 8 ? 0 : -1;
}

static void op_tmark(int fd, uint64_t bar0, uint64_t n)
{
	struct tmark m = { .fd = fd, .bar0 = bar0, .n = n };
	struct vfmig_dirty_range r = { 0, 2 << 20 };
	struct dirty_log log;
	double with, none, base;
	__u64 page = 4096;
	int err;

	m.reg = EMPTY_LOOP;
	base = best_of_5(mark_loop, &m);
	m.reg = MARK_LOOP;
	none = best_of_5(mark_loop, &m);
	err = dirty_log_open(&log, fd, DIRTY_VIA_AUTO) ?: dirty_log_start(&log, &page, &r, 1);
	with = err ? -1 : best_of_5(mark_loop, &m);
	if (!err)
		dirty_log_stop(&log);
	if (base < 0 || none < 0 || with < 0) {
		printf("tmark: error: %s\n", err ? strerror(-err) : "the mark loop failed");
		return;
	}
	printf("tmark: %llu calls: %.1f ns each while logging, %.1f ns with no log "
	       "(loop alone %.1f ns a turn)\n", (unsigned long long)n,
	       (with - base) / n * 1e9, (none - base) / n * 1e9, base / n * 1e9);
}

int dma_op(int device_fd, int container, uint64_t bar0, int argc, char **argv)
{
#define N(i) strtoull(argv[i], NULL, 0)
	if ((argc == 3 || argc == 4) && !strcmp(argv[0], "map"))
		op_map(container, N(1), N(2), argc == 4 ? argv[3] : "small");
	else if (argc == 3 && !strcmp(argv[0], "unmap"))
		op_unmap(container, N(1), N(2));
	else if (argc == 3 && !strcmp(argv[0], "dmarace"))
		op_dmarace(device_fd, container, bar0, N(1), N(2));
	else if (argc == 4 && !strcmp(argv[0], "fill"))
		op_fill(N(1), N(2), N(3));
	else if (argc == 3 && !strcmp(argv[0], "put"))
		op_put(N(1), N(2));
	else if (argc == 3 && !strcmp(argv[0], "buf"))
		op_buf(N(1), N(2));
	else if (argc == 7 && !strcmp(argv[0], "dlstart"))
		op_dlstart(device_fd, argv[1], N(2), N(3), N(4), N(5), N(6));
	else if (argc == 5 && !strcmp(argv[0], "dlreport"))
		op_dlreport(device_fd, argv[1], N(2), N(3), N(4));
	else if (argc == 2 && !strcmp(argv[0], "dlstop"))
		op_dlstop(device_fd, argv[1]);
	else if (argc == 3 && !strcmp(argv[0], "dlfault"))
		op_dlfault(device_fd, N(1), N(2));
	else if (argc == 4 && !strcmp(argv[0], "dlrace"))
		op_dlrace(device_fd, argv[1], bar0, N(2), N(3));
	else if (argc == 2 && !strcmp(argv[0], "treport"))
		op_treport(device_fd, N(1));
	else if (argc == 2 && !strcmp(argv[0], "tmark"))
		op_tmark(device_fd, bar0, N(1));
	else
		return -1;
#undef N
	return 0;
}
