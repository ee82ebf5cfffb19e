// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sysfs.h"
#include "vfmig.h"

/*
 * The tools run as root (udev runs vfmig-load apply): a variable that moves
 * where they read and write would let whoever sets it steer them.  Only
 * the test build (VFMIG_TEST_BUILD: build/selftests/tools/, what the unit
 * tests run) reads VFMIG_SYSFS_ROOT and VFMIG_BPFFS_ROOT; the tools built
 * to be installed ignore them.
 */
const char *test_env(const char *name)
{
#ifdef VFMIG_TEST_BUILD
	const char *value = getenv(name);

	return value && *value ? value : NULL;
#else
	(void)name;
	return NULL;
#endif
}

/*
 * VFMIG_SYSFS_ROOT replaces "/sys" so the host unit tests can point the
 * loader at a fake tree in /tmp (this host cannot load vfmig.ko); test
 * builds only.
 */
const char *sysfs_root(void)
{
	const char *root = test_env("VFMIG_SYSFS_ROOT");

	return root && *root ? root : "/sys";
}

int sysfs_path(char path[PATH_MAX], const char *fmt, ...)
{
	int root_len, len;
	va_list ap;

	root_len = snprintf(path, PATH_MAX, "%s/", sysfs_root());
	if (root_len >= PATH_MAX)
		return -ENAMETOOLONG;
	va_start(ap, fmt);
	len = vsnprintf(path + root_len, PATH_MAX - root_len, fmt, ap);
	va_end(ap);
	return len >= PATH_MAX - root_len ? -ENAMETOOLONG : 0;
}

int read_line(const char *path, char *line, size_t size)
{
	FILE *file = fopen(path, "r");
	int err = 0;

	if (!file)
		return -errno;
	if (!fgets(line, size, file)) {
		if (ferror(file))
			err = -EIO;
		line[0] = '\0';	/* an empty file is an empty line */
	}
	fclose(file);
	line[strcspn(line, "\n")] = '\0';
	return err;
}

int write_text(const char *path, const char *text)
{
	size_t len = strlen(text);
	ssize_t written;
	int fd, err = 0;

	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* A sysfs store takes the whole value in one write or rejects it. */
	written = write(fd, text, len);
	if (written < 0)
		err = -errno;
	else if ((size_t)written != len)
		err = -EIO;
	if (close(fd) && !err)
		err = -errno;
	return err;
}

static bool sysfs_exists(const char *fmt, const char *arg)
{
	char path[PATH_MAX];

	return !sysfs_path(path, fmt, arg) && !access(path, F_OK);
}

bool module_loaded(void)
{
	return sysfs_exists("module/%s", VFMIG_MODULE_NAME);
}

bool device_exists(const char *bdf)
{
	return sysfs_exists("bus/pci/devices/%s", bdf);
}

void device_driver(const char *bdf, char *driver, size_t size)
{
	char path[PATH_MAX], target[PATH_MAX];
	const char *base;
	ssize_t len = -1;

	if (!sysfs_path(path, "bus/pci/devices/%s/driver", bdf))
		len = readlink(path, target, sizeof(target) - 1);
	if (len < 0) {
		driver[0] = '\0';
		return;
	}
	target[len] = '\0';
	base = strrchr(target, '/');
	snprintf(driver, size, "%s", base ? base + 1 : target);
}

static int vfmig_attr_path(char path[PATH_MAX], const char *bdf,
			   const char *attr)
{
	return sysfs_path(path, "bus/pci/devices/%s/" VFMIG_SYSFS_GROUP "/%s",
			  bdf, attr);
}

int device_program(const char *bdf, char *name, size_t size)
{
	char path[PATH_MAX];
	int err;

	err = vfmig_attr_path(path, bdf, "program");
	return err ? err : read_line(path, name, size);
}

int device_counter(const char *bdf, const char *counter,
		   unsigned long long *value)
{
	char path[PATH_MAX], line[32], *end;
	int err;

	err = vfmig_attr_path(path, bdf, counter);
	if (!err)
		err = read_line(path, line, sizeof(line));
	if (err)
		return err;
	errno = 0;
	*value = strtoull(line, &end, 10);
	return errno || end == line || *end ? -EINVAL : 0;
}
