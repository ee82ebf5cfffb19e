// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * vfio-ops: drive one device through the VFIO uAPI (container/group, region
 * info, pread/pwrite, mmap) the way a VMM does, one operation per argument,
 * printing one line per operation so tests can compare runs.
 *
 *   vfio-ops BDF 'info 0' 'wr 0 0x4 4 0x12' 'rd 0 0x4 4' 'mmap 0 0 4096' ...
 *
 * Operations (numbers in C notation):
 *   info IDX               region size, flags and capabilities
 *   find TYPE SUBTYPE      the index of a device-specific region, or none
 *   rd IDX OFF SIZE        pread SIZE bytes, print them as a little-endian
 *                          number (SIZE <= 8) or as hex bytes
 *   wr IDX OFF SIZE VAL    pwrite VAL's low SIZE bytes
 *   poll IDX OFF MASK VAL  re-read a 4-byte register until (v & MASK) == VAL
 *   mmap IDX OFF LEN       mmap part of a region (kept for mrd)
 *   mrd OFF                4-byte read through the last mapping at OFF
 *   sh CMD                 run CMD with the device still open
 *   sleep MS               pause
 *   ioeventfd IDX OFF SIZE VAL
 *                          VFIO_DEVICE_IOEVENTFD: an eventfd that writes
 *                          VAL to the region when signalled; if the
 *                          device takes it, signal it once and wait 50 ms
 *   mfeat                  migration flags (VFIO_DEVICE_FEATURE_MIGRATION)
 *   msize                  VFIO_DEVICE_FEATURE_MIG_DATA_SIZE
 *   mstate                 the migration state
 *   mig STATE              set the migration state; a data_fd is kept
 *   dread FILE             read the data_fd until it ends, append to FILE
 *   dwrite FILE            write FILE to the data_fd
 *   pinfo                  VFIO_MIG_GET_PRECOPY_INFO on the data_fd
 *   dclose                 close the data_fd
 *   reset                  VFIO_DEVICE_RESET
 *   devclose               close the device fd (and mapping), keep the data_fd
 *   stress-start           two threads hammer BAR0 until stress-stop: one
 *                          writes the liveness register (0x4) and checks it
 *                          reads back inverted, and reads 0x0, 0x8, 0x80;
 *                          the other reads a whole-BAR mapping at 0x0
 *                          (trapped by the test programs: SIGBUS allowed)
 *                          and 0x1000 (never trapped: must not fault)
 *   stress-stop            join them, print what they saw
 *   flipall FILE CHUNK     for each byte of the stream in FILE: flip it, write
 *                          the stream in CHUNK-byte writes to a new RESUMING
 *                          data_fd, ask for STOP; count the streams refused
 *                          with the device still RESUMING, then reset
 *   smap PATH OFF LEN      map LEN bytes of the file PATH at OFF, private and
 *                          writable, as the buffer of the s* operations: a
 *                          block device whose I/O is held (a suspended
 *                          device-mapper volume) makes them fault slowly
 *   sread N                read() N bytes of the data_fd into that buffer
 *   swrite N               write() N bytes of that buffer to the data_fd
 *   srd IDX OFF SIZE       pread SIZE (<= 8) bytes of a region into it
 * and those of dma_ops.c: DMA mappings and the dirty log.
 * The device fd stays open across "sh" and its number is in the
 * environment as VFIO_DEVICE_FD, for vfmig-ctl --fd.
 * and, for benchmarks, timed (one line each, MiB/s):
 *   tpio OFF N             time N 4-byte pwrite+pread pairs at BAR 0 + OFF
 *   tsave [CHUNK]          set STOP_COPY and read the data_fd into memory,
 *                          CHUNK bytes a read() (default 1 MiB, as QEMU)
 *   trestore               RESUMING, write what tsave read, STOP
 *   memcpy MIB             memcpy bandwidth over MIB MiB, best of 5
 *   kcopy MIB              the kernel's own copies of MIB MiB, best of 5:
 *                          read() and write() of a tmpfs (memfd) file in
 *                          1 MiB calls (copy_to_user/copy_from_user page by
 *                          page, as a data_fd's read and write) and read()
 *                          of /dev/zero (clear_user)
 * Errors print as "error: ENAME" and do not stop the run.
 */
#define _GNU_SOURCE	/* memfd_create() */
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdbool.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/vfio.h>

#include "dma_ops.h"
#include "vfmig.h"

static int device_fd = -1;
static int container = -1;
static int data_fd = -1;
static volatile uint8_t *map_base;
static size_t map_len;
static __thread sigjmp_buf bus_error;	/* per thread: stress maps too */

static const char *errname(int err)
{
	switch (err) {
	case EPERM: return "EPERM";
	case EINVAL: return "EINVAL";
	case EACCES: return "EACCES";
	case EIO: return "EIO";
	case EBUSY: return "EBUSY";
	case ENODEV: return "ENODEV";
	case EFAULT: return "EFAULT";
	case ENOSPC: return "ENOSPC";
	case ENOTTY: return "ENOTTY";
	case ENOMSG: return "ENOMSG";
	case EFBIG: return "EFBIG";
	case EBADMSG: return "EBADMSG";
	case EPROTO: return "EPROTO";
	case ESPIPE: return "ESPIPE";
	default: return strerror(err);
	}
}

static int open_device(const char *bdf)
{
	char path[PATH_MAX], link[PATH_MAX];
	struct vfio_group_status status = { .argsz = sizeof(status) };
	char fdnum[16];
	int group;
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0) {
		fprintf(stderr, "vfio-ops: %s: no IOMMU group: %s\n", bdf, strerror(errno));
		return -1;
	}
	link[n] = '\0';
	snprintf(path, sizeof(path), "/dev/vfio/%s", strrchr(link, '/') + 1);

	container = open("/dev/vfio/vfio", O_RDWR);
	group = open(path, O_RDWR);
	if (container < 0 || group < 0) {
		fprintf(stderr, "vfio-ops: open %s: %s\n",
			container < 0 ? "/dev/vfio/vfio" : path, strerror(errno));
		return -1;
	}
	if (ioctl(group, VFIO_GROUP_GET_STATUS, &status) ||
	    !(status.flags & VFIO_GROUP_FLAGS_VIABLE) ||
	    ioctl(group, VFIO_GROUP_SET_CONTAINER, &container) ||
	    ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU)) {
		fprintf(stderr, "vfio-ops: group %s not usable: %s\n", path, strerror(errno));
		return -1;
	}
	device_fd = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, bdf);
	if (device_fd < 0) {
		fprintf(stderr, "vfio-ops: get device %s: %s\n", bdf, strerror(errno));
		return -1;
	}
	/* Children of "sh" (vfmig-ctl --fd) use the device as it is open here. */
	fcntl(device_fd, F_SETFD, 0);
	snprintf(fdnum, sizeof(fdnum), "%d", device_fd);
	setenv("VFIO_DEVICE_FD", fdnum, 1);
	return 0;
}

static uint64_t region_offset(unsigned int index)
{
	struct vfio_region_info info = { .argsz = sizeof(info), .index = index };

	if (ioctl(device_fd, VFIO_DEVICE_GET_REGION_INFO, &info))
		return UINT64_MAX;
	return info.offset;
}

static void op_info(unsigned int index)
{
	struct vfio_region_info *info = calloc(1, 4096);
	struct vfio_info_cap_header *hdr;

	info->argsz = 4096;
	info->index = index;
	if (ioctl(device_fd, VFIO_DEVICE_GET_REGION_INFO, info)) {
		printf("info %u: error: %s\n", index, errname(errno));
		free(info);
		return;
	}
	printf("info %u: size=0x%llx flags=%s%s%s%s", index,
	       (unsigned long long)info->size,
	       info->flags & VFIO_REGION_INFO_FLAG_READ ? "r" : "-",
	       info->flags & VFIO_REGION_INFO_FLAG_WRITE ? "w" : "-",
	       info->flags & VFIO_REGION_INFO_FLAG_MMAP ? "m" : "-",
	       info->flags & VFIO_REGION_INFO_FLAG_CAPS ? "c" : "-");
	if (info->flags & VFIO_REGION_INFO_FLAG_CAPS) {
		for (uint32_t off = info->cap_offset; off; off = hdr->next) {
			hdr = (void *)((char *)info + off);
			if (hdr->id == VFIO_REGION_INFO_CAP_SPARSE_MMAP) {
				struct vfio_region_info_cap_sparse_mmap *s = (void *)hdr;

				printf(" sparse=");
				for (uint32_t i = 0; i < s->nr_areas; i++)
					printf("%s0x%llx+0x%llx", i ? "," : "",
					       (unsigned long long)s->areas[i].offset,
					       (unsigned long long)s->areas[i].size);
			} else if (hdr->id == VFIO_REGION_INFO_CAP_MSIX_MAPPABLE) {
				printf(" msix-mappable");
			} else if (hdr->id == VFIO_REGION_INFO_CAP_TYPE) {
				struct vfio_region_info_cap_type *t = (void *)hdr;

				printf(" type=0x%x subtype=%u", t->type, t->subtype);
			} else {
				printf(" cap=%u", hdr->id);
			}
		}
	}
	printf("\n");
	free(info);
}

/* The index of the device-specific region of @type and @subtype. */
static void op_find(uint32_t type, uint32_t subtype)
{
	struct vfio_device_info dev = { .argsz = sizeof(dev) };
	struct vfio_region_info *info = calloc(1, 4096);
	struct vfio_info_cap_header *hdr;

	printf("find 0x%x %u: ", type, subtype);
	if (ioctl(device_fd, VFIO_DEVICE_GET_INFO, &dev)) {
		printf("error: %s\n", errname(errno));
		free(info);
		return;
	}
	for (uint32_t index = VFIO_PCI_NUM_REGIONS; index < dev.num_regions; index++) {
		memset(info, 0, 4096);
		info->argsz = 4096;
		info->index = index;
		if (ioctl(device_fd, VFIO_DEVICE_GET_REGION_INFO, info) ||
		    !(info->flags & VFIO_REGION_INFO_FLAG_CAPS))
			continue;
		for (uint32_t off = info->cap_offset; off; off = hdr->next) {
			struct vfio_region_info_cap_type *t;

			hdr = (void *)((char *)info + off);
			t = (void *)hdr;
			if (hdr->id == VFIO_REGION_INFO_CAP_TYPE && t->type == type &&
			    t->subtype == subtype) {
				printf("%u\n", index);
				free(info);
				return;
			}
		}
	}
	printf("none\n");
	free(info);
}

static void op_ioeventfd(unsigned int index, uint64_t off, size_t size,
			 uint64_t val)
{
	struct vfio_device_ioeventfd ev = {
		.argsz = sizeof(ev),
		.flags = size,	/* VFIO_DEVICE_IOEVENTFD_8..64 are 1..8 */
		.offset = region_offset(index) + off,
		.data = val,
	};
	uint64_t one = 1;

	printf("ioeventfd 0x%llx: ", (unsigned long long)off);
	ev.fd = eventfd(0, EFD_CLOEXEC);
	if (ev.fd < 0 || ioctl(device_fd, VFIO_DEVICE_IOEVENTFD, &ev)) {
		printf("error: %s\n", errname(errno));
		if (ev.fd >= 0)
			close(ev.fd);
		return;
	}
	if (write(ev.fd, &one, sizeof(one)) != sizeof(one))
		printf("signal: %s, ", errname(errno));
	usleep(50000);
	printf("ok\n");
}

static void op_rd(unsigned int index, uint64_t off, size_t size)
{
	uint8_t buf[4096];
	uint64_t v = 0;
	ssize_t n;

	if (size > sizeof(buf))
		size = sizeof(buf);
	n = pread(device_fd, buf, size, region_offset(index) + off);
	printf("rd %u 0x%llx %zu: ", index, (unsigned long long)off, size);
	if (n < 0) {
		printf("error: %s\n", errname(errno));
		return;
	}
	if ((size_t)n != size)
		printf("short %zd ", n);
	if (size <= 8) {
		memcpy(&v, buf, n);
		printf("0x%llx\n", (unsigned long long)v);
		return;
	}
	for (ssize_t i = 0; i < n; i++)
		printf("%02x", buf[i]);
	printf("\n");
}

static void op_wr(unsigned int index, uint64_t off, size_t size, uint64_t v)
{
	ssize_t n = pwrite(device_fd, &v, size, region_offset(index) + off);

	printf("wr %u 0x%llx %zu: ", index, (unsigned long long)off, size);
	if (n < 0)
		printf("error: %s\n", errname(errno));
	else
		printf(n == (ssize_t)size ? "ok\n" : "short %zd\n", n);
}

static void op_poll(unsigned int index, uint64_t off, uint32_t mask, uint32_t want)
{
	struct timespec pause = { 0, 1000000 };
	uint32_t v = 0;

	for (int i = 0; i < 5000; i++) {
		if (pread(device_fd, &v, 4, region_offset(index) + off) != 4)
			break;
		if ((v & mask) == want) {
			printf("poll %u 0x%llx: ok\n", index, (unsigned long long)off);
			return;
		}
		nanosleep(&pause, NULL);
	}
	printf("poll %u 0x%llx: timeout (0x%x)\n", index, (unsigned long long)off, v);
}

static void op_mmap(unsigned int index, uint64_t off, size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, device_fd,
		       region_offset(index) + off);

	printf("mmap %u 0x%llx 0x%zx: ", index, (unsigned long long)off, len);
	if (p == MAP_FAILED) {
		printf("error: %s\n", errname(errno));
		return;
	}
	map_base = p;
	map_len = len;
	printf("ok\n");
}

static void on_sigbus(int sig)
{
	(void)sig;
	siglongjmp(bus_error, 1);
}

static void op_mrd(uint64_t off)
{
	uint32_t v;

	printf("mrd 0x%llx: ", (unsigned long long)off);
	if (!map_base || off + 4 > map_len) {
		printf("error: no mapping\n");
		return;
	}
	if (sigsetjmp(bus_error, 1)) {
		printf("SIGBUS\n");
		return;
	}
	v = *(volatile uint32_t *)(map_base + off);
	printf("0x%x\n", v);
}

static const char *const state_names[] = VFMIG_MIG_STATE_NAMES;

/* A VFIO_DEVICE_FEATURE call with @size bytes of payload after the header. */
static int feature(uint32_t flags, void *payload, size_t size)
{
	uint64_t buf[(sizeof(struct vfio_device_feature) + 64) / 8] = { 0 };
	struct vfio_device_feature *f = (void *)buf;
	int ret;

	f->argsz = sizeof(*f) + size;
	f->flags = flags;
	memcpy(f->data, payload, size);
	ret = ioctl(device_fd, VFIO_DEVICE_FEATURE, f);
	memcpy(payload, f->data, size);
	return ret;
}

static void op_mfeat(void)
{
	struct vfio_device_feature_migration mig = { 0 };

	printf("mfeat: ");
	if (feature(VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_MIGRATION,
		    &mig, sizeof(mig))) {
		printf("error: %s\n", errname(errno));
		return;
	}
	printf("%s%s%s\n", mig.flags & VFIO_MIGRATION_STOP_COPY ? "stop-copy" : "",
	       mig.flags & VFIO_MIGRATION_P2P ? " p2p" : "",
	       mig.flags & VFIO_MIGRATION_PRE_COPY ? " pre-copy" : "");
}

static void op_msize(void)
{
	struct vfio_device_feature_mig_data_size size = { 0 };

	printf("msize: ");
	if (feature(VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_MIG_DATA_SIZE,
		    &size, sizeof(size)))
		printf("error: %s\n", errname(errno));
	else
		printf("%llu\n", (unsigned long long)size.stop_copy_length);
}

/* The migration state, or 99 when it cannot be read. */
static uint32_t mig_state(void)
{
	struct vfio_device_feature_mig_state st = { .device_state = 99 };

	feature(VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE,
		&st, sizeof(st));
	return st.device_state;
}

/* Set @state; the data fd it returns, if any, in *@fd (else -1). */
static int set_state(uint32_t state, int *fd)
{
	struct vfio_device_feature_mig_state st = { .device_state = state };
	int ret = feature(VFIO_DEVICE_FEATURE_SET |
			  VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE, &st, sizeof(st));

	if (fd)
		*fd = ret || st.data_fd <= 0 ? -1 : st.data_fd;
	return ret;
}

static void op_mstate(void)
{
	uint32_t state = mig_state();
	int err = errno;

	printf("mstate: ");
	if (state == 99)
		printf("error: %s\n", errname(err));
	else if (state < sizeof(state_names) / sizeof(state_names[0]))
		printf("%s\n", state_names[state]);
	else
		printf("%u\n", state);
}

static void op_mig(const char *name)
{
	uint32_t state = 99;
	int fd;

	for (uint32_t i = 0; i < sizeof(state_names) / sizeof(state_names[0]); i++)
		if (!strcmp(name, state_names[i]))
			state = i;
	printf("mig %s: ", name);
	if (set_state(state, &fd)) {
		printf("error: %s\n", errname(errno));
		return;
	}
	if (fd >= 0) {
		if (data_fd >= 0)
			close(data_fd);
		data_fd = fd;
		printf("ok, data_fd\n");
		return;
	}
	printf("ok\n");
}

static void op_dread(const char *path)
{
	FILE *out = fopen(path, "a");
	char buf[65536];
	long long total = 0;
	ssize_t n;

	printf("dread: ");
	while ((n = read(data_fd, buf, sizeof(buf))) > 0) {
		fwrite(buf, 1, n, out);
		total += n;
	}
	fclose(out);
	printf("%lld bytes, %s\n", total, n == 0 ? "EOF" : errname(errno));
}

static void op_dwrite(const char *path)
{
	FILE *in = fopen(path, "r");
	char buf[65536];
	long long total = 0;
	size_t n;

	printf("dwrite: ");
	if (!in) {
		printf("error: %s\n", errname(errno));
		return;
	}
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0) {
		if (write(data_fd, buf, n) != (ssize_t)n) {
			printf("error after %lld bytes: %s\n", total, errname(errno));
			fclose(in);
			return;
		}
		total += n;
	}
	fclose(in);
	printf("%lld bytes\n", total);
}

static void op_pinfo(void)
{
	struct vfio_precopy_info info = { .argsz = sizeof(info) };

	printf("pinfo: ");
	if (ioctl(data_fd, VFIO_MIG_GET_PRECOPY_INFO, &info))
		printf("error: %s\n", errname(errno));
	else
		printf("initial=%llu dirty=%llu\n",
		       (unsigned long long)info.initial_bytes,
		       (unsigned long long)info.dirty_bytes);
}

static uint8_t *slow_buf;
static size_t slow_len;

static void op_smap(const char *path, uint64_t off, size_t len)
{
	int fd = open(path, O_RDONLY);
	void *p = MAP_FAILED;

	printf("smap: ");
	if (fd >= 0) {
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, off);
		close(fd);
	}
	if (p == MAP_FAILED) {
		printf("error: %s\n", errname(errno));
		return;
	}
	slow_buf = p;
	slow_len = len;
	printf("ok\n");
}

/* Print what read(), write() or pread() into slow_buf came to. */
static void slow_result(const char *op, ssize_t n, size_t want)
{
	printf("%s: ", op);
	if (n < 0)
		printf("error: %s\n", errname(errno));
	else if ((size_t)n != want)
		printf("short %zd\n", n);
	else
		printf("%zd bytes\n", n);
}

static void op_sio(const char *op, size_t n)
{
	if (!slow_buf || n > slow_len) {
		printf("%s: error: no buffer\n", op);
		return;
	}
	slow_result(op, !strcmp(op, "sread") ? read(data_fd, slow_buf, n) :
					      write(data_fd, slow_buf, n), n);
}

static void op_srd(unsigned int index, uint64_t off, size_t size)
{
	uint64_t v = 0;
	ssize_t n;

	if (!slow_buf || size > 8 || size > slow_len) {
		printf("srd: error: no buffer\n");
		return;
	}
	n = pread(device_fd, slow_buf, size, region_offset(index) + off);
	if (n != (ssize_t)size) {
		slow_result("srd", n, size);
		return;
	}
	memcpy(&v, slow_buf, size);
	printf("srd: 0x%llx\n", (unsigned long long)v);
}

/* One attempt: 0 when refused with the device left RESUMING. */
static int resume_refused(const unsigned char *buf, size_t len, size_t chunk)
{
	int fd, refused = 0;

	if (set_state(VFIO_DEVICE_STATE_RESUMING, &fd) || fd < 0)
		return -1;
	for (size_t off = 0; off < len && !refused; off += chunk) {
		size_t n = len - off < chunk ? len - off : chunk;

		refused = write(fd, buf + off, n) != (ssize_t)n;
	}
	if (!refused)
		refused = set_state(VFIO_DEVICE_STATE_STOP, NULL) != 0;
	close(fd);
	if (!refused)
		return 1;
	return mig_state() == VFIO_DEVICE_STATE_RESUMING ? 0 : 2;
}

static void op_flipall(const char *path, size_t chunk)
{
	unsigned char buf[65536];
	int refused = 0, accepted = 0, wrong_state = 0, not_reset = 0;
	FILE *in = fopen(path, "r");
	size_t len;

	printf("flipall %zu: ", chunk);
	if (!in || !chunk) {
		printf("error: %s\n", in ? "chunk 0" : errname(errno));
		return;
	}
	len = fread(buf, 1, sizeof(buf), in);
	fclose(in);
	for (size_t i = 0; i < len; i++) {
		int r;

		buf[i] ^= 0xff;
		r = resume_refused(buf, len, chunk);
		buf[i] ^= 0xff;
		refused += r == 0;
		accepted += r == 1;
		wrong_state += r == 2 || r < 0;
		if (ioctl(device_fd, VFIO_DEVICE_RESET) ||
		    mig_state() != VFIO_DEVICE_STATE_RUNNING)
			not_reset++;
	}
	printf("%zu bytes, %d refused, %d accepted, %d not resuming, %d not reset\n",
	       len, refused, accepted, wrong_state, not_reset);
}

static struct {
	pthread_t io, map;
	volatile int stop;
	unsigned long io_ops, bad_readback, errors, last_errno;
	unsigned long map_reads, sigbus_trapped, sigbus_untrapped;
} stress;

static void *stress_io(void *arg)
{
	uint64_t bar = region_offset(0);
	static const uint32_t reads[] = { 0x0, 0x8, 0x80 };

	(void)arg;
	for (uint32_t v = 1; !stress.stop; v++) {
		uint32_t r = 0;

		if (pwrite(device_fd, &v, 4, bar + 4) != 4 ||
		    pread(device_fd, &r, 4, bar + 4) != 4) {
			stress.errors++;
			stress.last_errno = errno;
		} else if (r != ~v) {
			stress.bad_readback++;
		}
		for (size_t i = 0; i < sizeof(reads) / sizeof(reads[0]); i++)
			if (pread(device_fd, &r, 4, bar + reads[i]) != 4) {
				stress.errors++;
				stress.last_errno = errno;
			}
		stress.io_ops++;
	}
	return NULL;
}

static void *stress_map(void *arg)
{
	volatile uint8_t *p = arg;

	while (!stress.stop) {
		if (sigsetjmp(bus_error, 1))
			stress.sigbus_trapped++;
		else
			(void)*(volatile uint32_t *)p;
		if (sigsetjmp(bus_error, 1))
			stress.sigbus_untrapped++;
		else
			(void)*(volatile uint32_t *)(p + 0x1000);
		stress.map_reads++;
	}
	return NULL;
}

static void op_stress_start(void)
{
	size_t len = 1 << 20;
	void *p = mmap(NULL, len, PROT_READ, MAP_SHARED, device_fd,
		       region_offset(0));

	printf("stress-start: ");
	if (p == MAP_FAILED) {
		printf("error: %s\n", errname(errno));
		return;
	}
	memset(&stress, 0, sizeof(stress));
	pthread_create(&stress.io, NULL, stress_io, NULL);
	pthread_create(&stress.map, NULL, stress_map, p);
	printf("ok\n");
}

static void op_stress_stop(void)
{
	stress.stop = 1;
	pthread_join(stress.io, NULL);
	pthread_join(stress.map, NULL);
	printf("stress-stop: io %lu bad %lu errors %lu (%s) map %lu sigbus %lu untrapped-sigbus %lu\n",
	       stress.io_ops, stress.bad_readback, stress.errors,
	       stress.errors ? errname(stress.last_errno) : "-", stress.map_reads,
	       stress.sigbus_trapped, stress.sigbus_untrapped);
}

static char *saved;
static size_t saved_len;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void report_rate(const char *what, size_t bytes, double secs)
{
	printf("%s: %zu bytes in %.3f s, %.1f MiB/s\n", what, bytes, secs,
	       bytes / secs / (1 << 20));
}

/*
 * Read the data_fd in @chunk-byte read()s (QEMU's is 1 MiB) into a buffer
 * sized by the device's own estimate and touched beforehand, so the time
 * is the kernel's: a page fault or a realloc here is not the driver's.
 */
static void op_tsave(size_t chunk)
{
	struct vfio_device_feature_mig_data_size size = { 0 };
	struct vfio_device_feature_mig_state st = {
		.device_state = VFIO_DEVICE_STATE_STOP_COPY,
	};
	size_t cap = 1 << 20;
	double t0, t_set;
	ssize_t n;

	if (!feature(VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_MIG_DATA_SIZE,
		     &size, sizeof(size)) && size.stop_copy_length > cap)
		cap = size.stop_copy_length;
	free(saved);
	saved = malloc(cap);
	memset(saved, 1, cap);	/* not 0: the compiler makes that calloc() */
	saved_len = 0;
	t0 = now();
	if (feature(VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE,
		    &st, sizeof(st))) {
		printf("tsave: error: %s\n", errname(errno));
		return;
	}
	t_set = now();
	for (;;) {
		size_t want = cap - saved_len < chunk ? cap - saved_len : chunk;

		if (!want) {	/* the estimate was short: grow */
			saved = realloc(saved, cap *= 2);
			continue;
		}
		n = read(st.data_fd, saved + saved_len, want);
		if (n <= 0)
			break;
		saved_len += n;
	}
	close(st.data_fd);
	if (n < 0) {
		printf("tsave: error: %s\n", errname(errno));
		return;
	}
	report_rate("tsave", saved_len, now() - t0);
	/* The program's save() runs in the state change; read() copies out. */
	printf("tsave split: state change %.3f s, reads %.3f s\n",
	       t_set - t0, now() - t_set);
}

static void op_trestore(void)
{
	struct vfio_device_feature_mig_state st = {
		.device_state = VFIO_DEVICE_STATE_RESUMING,
	};
	double t0 = now();
	size_t done = 0;
	ssize_t n = 0;

	if (feature(VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE,
		    &st, sizeof(st))) {
		printf("trestore: error: %s\n", errname(errno));
		return;
	}
	while (done < saved_len &&
	       (n = write(st.data_fd, saved + done, saved_len - done)) > 0)
		done += n;
	close(st.data_fd);
	st.device_state = VFIO_DEVICE_STATE_STOP;
	if (n < 0 || feature(VFIO_DEVICE_FEATURE_SET |
			     VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE, &st, sizeof(st)))
		printf("trestore: error: %s\n", errname(errno));
	else
		report_rate("trestore", done, now() - t0);
}

/*
 * @count pairs of a 4-byte pwrite and pread of BAR 0 at @off, as a guest's
 * trapped register accesses reach the driver: the best of 5 runs, in ns
 * per access.
 */
static void op_tpio(uint64_t off, unsigned long count)
{
	uint64_t pos = region_offset(0) + off;
	double best = 1e9;

	for (int run = 0; run < 5; run++) {
		double t0 = now(), t;

		for (unsigned long i = 0; i < count; i++) {
			uint32_t v = i;

			if (pwrite(device_fd, &v, 4, pos) != 4 ||
			    pread(device_fd, &v, 4, pos) != 4) {
				printf("tpio: error: %s\n", errname(errno));
				return;
			}
		}
		t = now() - t0;
		if (t < best)
			best = t;
	}
	printf("tpio: %lu accesses at 0x%llx: %.0f ns each\n", 2 * count,
	       (unsigned long long)off, best * 1e9 / (2 * count));
}

static void op_memcpy(size_t mib)
{
	size_t len = mib << 20;
	char *src = malloc(len), *dst = malloc(len);
	double best = 1e9;

	memset(src, 1, len);
	memset(dst, 2, len);
	for (int i = 0; i < 5; i++) {
		double t0 = now();

		memcpy(dst, src, len);
		__asm__ volatile("" : : "r"(dst) : "memory");
		if (now() - t0 < best)
			best = now() - t0;
	}
	report_rate("memcpy", len, best);
	free(src);
	free(dst);
}

/* Best seconds of 5 passes of @len bytes through @fd in 1 MiB calls. */
static double time_fd_copy(int fd, char *buf, size_t len, bool to_fd)
{
	double best = 1e9;

	for (int i = 0; i < 5; i++) {
		double t0 = now();

		for (size_t done = 0; done < len; done += 1 << 20) {
			ssize_t n = to_fd ? pwrite(fd, buf + done, 1 << 20, done)
					  : pread(fd, buf + done, 1 << 20, done);

			if (n != 1 << 20)
				return -1;
		}
		if (now() - t0 < best)
			best = now() - t0;
	}
	return best;
}

static void op_kcopy(size_t mib)
{
	size_t len = mib << 20;
	char *buf = malloc(len);
	int fd = memfd_create("kcopy", 0), zero = open("/dev/zero", O_RDONLY);
	double wr, rd, zr;

	if (!buf || fd < 0 || zero < 0) {
		printf("kcopy: error: %s\n", errname(errno));
		goto out;
	}
	memset(buf, 1, len);
	/* The first pass allocates the file's pages; the best pass does not. */
	wr = time_fd_copy(fd, buf, len, true);
	rd = time_fd_copy(fd, buf, len, false);
	zr = time_fd_copy(zero, buf, len, false);
	if (wr < 0 || rd < 0 || zr < 0) {
		printf("kcopy: error: %s\n", errname(errno));
		goto out;
	}
	report_rate("kcopy read", len, rd);
	report_rate("kcopy write", len, wr);
	report_rate("kcopy zero", len, zr);
out:
	if (fd >= 0)
		close(fd);
	if (zero >= 0)
		close(zero);
	free(buf);
}

static int run(char *op)
{
	char *argv[8] = { 0 };
	int argc = 0;

	if (!strncmp(op, "sh ", 3)) {
		fflush(stdout);
		printf("sh: exit %d\n", WEXITSTATUS(system(op + 3)));
		return 0;
	}
	for (char *tok = strtok(op, " "); tok && argc < 8; tok = strtok(NULL, " "))
		argv[argc++] = tok;
#define N(i) strtoull(argv[i], NULL, 0)
	if (argc == 2 && !strcmp(argv[0], "info"))
		op_info(N(1));
	else if (argc == 3 && !strcmp(argv[0], "find"))
		op_find(N(1), N(2));
	else if (argc == 4 && !strcmp(argv[0], "rd"))
		op_rd(N(1), N(2), N(3));
	else if (argc == 5 && !strcmp(argv[0], "wr"))
		op_wr(N(1), N(2), N(3), N(4));
	else if (argc == 5 && !strcmp(argv[0], "poll"))
		op_poll(N(1), N(2), N(3), N(4));
	else if (argc == 4 && !strcmp(argv[0], "mmap"))
		op_mmap(N(1), N(2), N(3));
	else if (argc == 2 && !strcmp(argv[0], "mrd"))
		op_mrd(N(1));
	else if (argc == 2 && !strcmp(argv[0], "sleep"))
		usleep(N(1) * 1000);
	else if (argc == 5 && !strcmp(argv[0], "ioeventfd"))
		op_ioeventfd(N(1), N(2), N(3), N(4));
	else if (argc == 1 && !strcmp(argv[0], "mfeat"))
		op_mfeat();
	else if (argc == 1 && !strcmp(argv[0], "msize"))
		op_msize();
	else if (argc == 1 && !strcmp(argv[0], "mstate"))
		op_mstate();
	else if (argc == 2 && !strcmp(argv[0], "mig"))
		op_mig(argv[1]);
	else if (argc == 2 && !strcmp(argv[0], "dread"))
		op_dread(argv[1]);
	else if (argc == 2 && !strcmp(argv[0], "dwrite"))
		op_dwrite(argv[1]);
	else if (argc <= 2 && !strcmp(argv[0], "tsave"))
		op_tsave(argc == 2 ? N(1) : 1 << 20);
	else if (argc == 3 && !strcmp(argv[0], "tpio"))
		op_tpio(N(1), N(2));
	else if (argc == 1 && !strcmp(argv[0], "trestore"))
		op_trestore();
	else if (argc == 2 && !strcmp(argv[0], "memcpy"))
		op_memcpy(N(1));
	else if (argc == 2 && !strcmp(argv[0], "kcopy"))
		op_kcopy(N(1));
	else if (argc == 4 && !strcmp(argv[0], "smap"))
		op_smap(argv[1], N(2), N(3));
	else if (argc == 2 && (!strcmp(argv[0], "sread") || !strcmp(argv[0], "swrite")))
		op_sio(argv[0], N(1));
	else if (argc == 4 && !strcmp(argv[0], "srd"))
		op_srd(N(1), N(2), N(3));
	else if (argc == 1 && !strcmp(argv[0], "pinfo"))
		op_pinfo();
	else if (argc == 1 && !strcmp(argv[0], "dclose"))
		printf("dclose: %s\n", close(data_fd) ? errname(errno) : "ok"), data_fd = -1;
	else if (argc == 1 && !strcmp(argv[0], "stress-start"))
		op_stress_start();
	else if (argc == 1 && !strcmp(argv[0], "stress-stop"))
		op_stress_stop();
	else if (argc == 3 && !strcmp(argv[0], "flipall"))
		op_flipall(argv[1], N(2));
	else if (argc == 1 && !strcmp(argv[0], "devclose")) {
		if (map_base)
			munmap((void *)map_base, map_len);
		map_base = NULL;
		printf("devclose: %s\n", close(device_fd) ? errname(errno) : "ok");
		device_fd = -1;
	} else if (argc == 1 && !strcmp(argv[0], "reset"))
		printf("reset: %s\n", ioctl(device_fd, VFIO_DEVICE_RESET) ?
		       errname(errno) : "ok");
	else
		return dma_op(device_fd, container, region_offset(0), argc, argv);
#undef N
	return 0;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_sigbus };

	if (argc < 2) {
		fprintf(stderr, "usage: vfio-ops BDF OP...\n");
		return 2;
	}
	sigaction(SIGBUS, &sa, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (open_device(argv[1]))
		return 1;
	for (int i = 2; i < argc; i++) {
		char *op = strdup(argv[i]);

		if (run(op)) {
			fprintf(stderr, "vfio-ops: bad operation '%s'\n", argv[i]);
			return 2;
		}
		free(op);
	}
	return 0;
}
