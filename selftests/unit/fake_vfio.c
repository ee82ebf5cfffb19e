// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A fake VFIO migration device for the host unit tests, preloaded into
 * vfmig-ctl (LD_PRELOAD): it answers open() of the /dev/vfio nodes, the VFIO
 * ioctls, and read/write/close of the data fd, and logs what vfmig-ctl
 * did, so that the device commands can be tested where no module loads.
 * Like the module, it checks a resumed stream with the shared parser when
 * the device leaves RESUMING (for edu 1234:11e8:1af4:1100, program "edu"
 * version 1) and refuses it with the parser's error.
 *
 * Set by the test, in the environment:
 *   FAKE_VFIO_LOG        file the calls are logged to, one a line
 *   FAKE_VFIO_FLAGS      VFIO_MIGRATION_* flags, or "none" (ENOTTY)
 *   FAKE_VFIO_SAVE       file whose bytes the device saves
 *   FAKE_VFIO_PRECOPY    how many of them pre-copy yields (default 0)
 *   FAKE_VFIO_LOAD       file the device's resumed bytes are copied to
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/vfio.h>

#include "stream.h"

enum fake_fd { NONE, CONTAINER, GROUP, DEVICE, DATA, NR_FAKE_FDS };

static int fds[NR_FAKE_FDS] = { -1, -1, -1, -1, -1 };
static __u32 state = VFIO_DEVICE_STATE_RUNNING;
static unsigned char *saved;		/* what the device saves */
static size_t saved_len, saved_pos, precopy_len;
static unsigned char *resumed;		/* what it was given while resuming */
static size_t resumed_len;

static const struct vfmig_stream_expect edu = {
	.vendor = 0x1234, .device = 0x11e8,
	.subsystem_vendor = 0x1af4, .subsystem_device = 0x1100,
	.program = "edu", .program_version = 1,
};

static const char *const state_names[VFIO_DEVICE_STATE_NR] = {
	"error", "stop", "running", "stop-copy", "resuming", "running-p2p",
	"pre-copy", "pre-copy-p2p",
};

#define REAL(name)	((__typeof__(&name))dlsym(RTLD_NEXT, #name))

static void log_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void log_line(const char *fmt, ...)
{
	const char *path = getenv("FAKE_VFIO_LOG");
	FILE *file = path ? fopen(path, "a") : NULL;
	va_list ap;

	if (!file)
		return;
	va_start(ap, fmt);
	vfprintf(file, fmt, ap);
	va_end(ap);
	fputc('\n', file);
	fclose(file);
}

static enum fake_fd fake_of(int fd)
{
	for (int i = CONTAINER; i < NR_FAKE_FDS; i++)
		if (fd >= 0 && fds[i] == fd)
			return i;
	return NONE;
}

/* A real fd number, so that nothing else gets it, standing for @what. */
static int new_fake(enum fake_fd what)
{
	fds[what] = REAL(open)("/dev/null", O_RDWR | O_CLOEXEC);
	return fds[what];
}

static int open_fake(const char *path)
{
	if (!strcmp(path, "/dev/vfio/vfio"))
		return new_fake(CONTAINER);
	log_line("open %s", path);
	return new_fake(GROUP);
}

int open(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	if (!strncmp(path, "/dev/vfio/", 10))
		return open_fake(path);
	va_start(ap, flags);
	mode = va_arg(ap, mode_t);
	va_end(ap);
	return REAL(open)(path, flags, mode);
}

int open64(const char *path, int flags, ...) __attribute__((alias("open")));

static void load_saved(void)
{
	const char *path = getenv("FAKE_VFIO_SAVE");
	FILE *file = path ? fopen(path, "r") : NULL;

	free(saved);
	saved = malloc(1 << 20);
	saved_len = file ? fread(saved, 1, 1 << 20, file) : 0;
	saved_pos = 0;
	precopy_len = strtoul(getenv("FAKE_VFIO_PRECOPY") ?: "0", NULL, 0);
	if (file)
		fclose(file);
}

/* Leaving RESUMING: the module checks the whole stream, then loads it. */
static int load_resumed(void)
{
	const char *path = getenv("FAKE_VFIO_LOAD");
	struct vfmig_stream_info info;
	const char *reason = "";
	FILE *file;
	int err;

	err = stream_parse_mem(resumed, resumed_len, &edu, &info, &reason);
	log_line("load %zu bytes: %s", resumed_len, err ? reason : "ok");
	if (err)
		return err;
	file = path ? fopen(path, "w") : NULL;
	if (file) {
		fwrite(resumed, 1, resumed_len, file);
		fclose(file);
	}
	return 0;
}

static bool saving(__u32 s)
{
	return s == VFIO_DEVICE_STATE_PRE_COPY || s == VFIO_DEVICE_STATE_PRE_COPY_P2P ||
	       s == VFIO_DEVICE_STATE_STOP_COPY;
}

static int set_state(struct vfio_device_feature_mig_state *mig, __u64 flags)
{
	__u32 to = mig->device_state;
	int err;

	if (to >= VFIO_DEVICE_STATE_NR)
		return -EINVAL;
	log_line("set %s", state_names[to]);
	mig->data_fd = -1;
	if (to == VFIO_DEVICE_STATE_ERROR ||
	    (to == VFIO_DEVICE_STATE_PRE_COPY && !(flags & VFIO_MIGRATION_PRE_COPY)))
		return -EINVAL;
	if (state == VFIO_DEVICE_STATE_RESUMING && to != state) {
		err = load_resumed();
		if (err)
			return err;	/* still resuming, as it was */
	}
	if (saving(to) && !saving(state)) {
		load_saved();
		mig->data_fd = new_fake(DATA);
	}
	if (to == VFIO_DEVICE_STATE_RESUMING && state != to) {
		resumed_len = 0;
		mig->data_fd = new_fake(DATA);
	}
	state = to;
	return 0;
}

static int device_feature(struct vfio_device_feature *feature)
{
	const char *flags_text = getenv("FAKE_VFIO_FLAGS") ?: "1";
	__u64 flags = strtoull(flags_text, NULL, 0);
	__u32 which = feature->flags & VFIO_DEVICE_FEATURE_MASK;
	bool probe = feature->flags & VFIO_DEVICE_FEATURE_PROBE;

	if (!strcmp(flags_text, "none"))
		return -ENOTTY;
	switch (which) {
	case VFIO_DEVICE_FEATURE_MIGRATION:
		if (!probe)
			((struct vfio_device_feature_migration *)feature->data)->flags = flags;
		return 0;
	case VFIO_DEVICE_FEATURE_MIG_DATA_SIZE:
		load_saved();
		((struct vfio_device_feature_mig_data_size *)feature->data)->stop_copy_length =
			saved_len;
		return 0;
	case VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE:
		if (feature->flags & VFIO_DEVICE_FEATURE_GET) {
			((struct vfio_device_feature_mig_state *)feature->data)->device_state = state;
			return 0;
		}
		return set_state((void *)feature->data, flags);
	default:
		return -ENOTTY;
	}
}

static int fake_ioctl(enum fake_fd what, unsigned long request, void *arg)
{
	switch (request) {
	case VFIO_CHECK_EXTENSION:
		return 1;
	case VFIO_GROUP_GET_STATUS:
		((struct vfio_group_status *)arg)->flags = VFIO_GROUP_FLAGS_VIABLE;
		return 0;
	case VFIO_GROUP_SET_CONTAINER:
	case VFIO_SET_IOMMU:
		return 0;
	case VFIO_GROUP_GET_DEVICE_FD:
		log_line("device %s", (char *)arg);
		return new_fake(DEVICE);
	case VFIO_DEVICE_FEATURE:
		return what == DEVICE ? device_feature(arg) : -ENOTTY;
	case VFIO_MIG_GET_PRECOPY_INFO:
		((struct vfio_precopy_info *)arg)->initial_bytes =
			saved_pos < precopy_len ? precopy_len - saved_pos : 0;
		return 0;
	default:
		return -ENOTTY;
	}
}

int ioctl(int fd, unsigned long request, ...)
{
	enum fake_fd what = fake_of(fd);
	va_list ap;
	void *arg;
	int ret;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (what == NONE)
		return REAL(ioctl)(fd, request, arg);
	ret = fake_ioctl(what, request, arg);
	if (ret < 0) {
		errno = -ret;
		return -1;
	}
	return ret;
}

ssize_t read(int fd, void *buf, size_t len)
{
	size_t end = state == VFIO_DEVICE_STATE_STOP_COPY ? saved_len :
		     precopy_len < saved_len ? precopy_len : saved_len;

	if (fake_of(fd) != DATA)
		return REAL(read)(fd, buf, len);
	if (saved_pos == end && state != VFIO_DEVICE_STATE_STOP_COPY) {
		errno = ENOMSG;		/* pre-copy's temporary end */
		return -1;
	}
	if (len > end - saved_pos)
		len = end - saved_pos;
	memcpy(buf, saved + saved_pos, len);
	saved_pos += len;
	return len;
}

ssize_t write(int fd, const void *buf, size_t len)
{
	if (fake_of(fd) != DATA)
		return REAL(write)(fd, buf, len);
	if (state != VFIO_DEVICE_STATE_RESUMING) {
		errno = EINVAL;
		return -1;
	}
	resumed = realloc(resumed, resumed_len + len);
	memcpy(resumed + resumed_len, buf, len);
	resumed_len += len;
	log_line("write %zu", len);
	return len;
}

int close(int fd)
{
	enum fake_fd what = fake_of(fd);

	if (what == DATA)
		log_line("close data fd");
	if (what == DEVICE)
		log_line("close device");
	if (what != NONE)
		fds[what] = -1;
	return REAL(close)(fd);
}
