// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * vfio-ops: drive one device through the VFIO uAPI (container/group, region
 * info, pread/pwrite, mmap) the way a VMM does, one operation per argument,
 * printing one line per operation so tests can compare runs.
 *
 *   vfio-ops BDF 'info 0' 'wr 0 0x4 4 0x12' 'rd 0 0x4 4' 'mmap 0 0 4096' ...
 *
 * Operations (numbers in C notation):
 *   info IDX               region size, flags and sparse-mmap areas
 *   rd IDX OFF SIZE        pread SIZE bytes, print them as a little-endian
 *                          number (SIZE <= 8) or as hex bytes
 *   wr IDX OFF SIZE VAL    pwrite VAL's low SIZE bytes
 *   poll IDX OFF MASK VAL  re-read a 4-byte register until (v & MASK) == VAL
 *   mmap IDX OFF LEN       mmap part of a region (kept for mrd)
 *   mrd OFF                4-byte read through the last mapping at OFF
 *   sh CMD                 run CMD with the device still open
 * Errors print as "error: ENAME" and do not stop the run.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/vfio.h>

static int device_fd = -1;
static volatile uint8_t *map_base;
static size_t map_len;
static sigjmp_buf bus_error;

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
	default: return strerror(err);
	}
}

static int open_device(const char *bdf)
{
	char path[PATH_MAX], link[PATH_MAX];
	struct vfio_group_status status = { .argsz = sizeof(status) };
	int container, group;
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
			} else {
				printf(" cap=%u", hdr->id);
			}
		}
	}
	printf("\n");
	free(info);
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

static int run(char *op)
{
	char *argv[6] = { 0 };
	int argc = 0;

	if (!strncmp(op, "sh ", 3)) {
		fflush(stdout);
		printf("sh: exit %d\n", WEXITSTATUS(system(op + 3)));
		return 0;
	}
	for (char *tok = strtok(op, " "); tok && argc < 6; tok = strtok(NULL, " "))
		argv[argc++] = tok;
#define N(i) strtoull(argv[i], NULL, 0)
	if (argc == 2 && !strcmp(argv[0], "info"))
		op_info(N(1));
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
	else
		return -1;
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
