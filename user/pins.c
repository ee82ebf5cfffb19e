// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <linux/magic.h>

#include "pins.h"
#include "sysfs.h"
#include "vfmig.h"

#define PIN_ROOT_SUBDIR	"vfmig"		/* VFMIG_PIN_ROOT below the bpffs root */

/*
 * VFMIG_BPFFS_ROOT replaces "/sys/fs/bpf" so the host unit tests can use a
 * plain directory in /tmp; it also turns the bpffs magic check into a
 * "directory exists" check, since a directory in /tmp is no bpffs.  Test
 * builds only (see test_env()).
 */
static const char *bpffs_override(void)
{
	return test_env("VFMIG_BPFFS_ROOT");
}

const char *bpffs_root(void)
{
	return bpffs_override() ?: "/sys/fs/bpf";
}

bool bpffs_mounted(void)
{
	struct statfs fs;
	struct stat st;

	if (bpffs_override())
		return !stat(bpffs_root(), &st) && S_ISDIR(st.st_mode);
	return !statfs(bpffs_root(), &fs) && fs.f_type == BPF_FS_MAGIC;
}

int pin_root_path(char path[PATH_MAX])
{
	int len = snprintf(path, PATH_MAX, "%s/" PIN_ROOT_SUBDIR, bpffs_root());

	return len >= PATH_MAX ? -ENAMETOOLONG : 0;
}

/*
 * bpffs refuses names with a '.' (reserved for future use), so the pin
 * directory of 0000:3b:00.1 is 0000:3b:00_1.
 */
void pin_dir_name(char name[BDF_PIN_LEN], const char *bdf)
{
	snprintf(name, BDF_PIN_LEN, "%s", bdf);
	for (char *c = name; *c; c++)
		if (*c == '.')
			*c = '_';
}

int pin_path(char path[PATH_MAX], const char *bdf, const char *pin)
{
	char dir[BDF_PIN_LEN];
	int len;

	pin_dir_name(dir, bdf);
	len = snprintf(path, PATH_MAX, "%s/" PIN_ROOT_SUBDIR "/%s%s%s",
		       bpffs_root(), dir, pin ? "/" : "", pin ?: "");
	return len >= PATH_MAX ? -ENAMETOOLONG : 0;
}

static int mkdir_existing_ok(const char *path)
{
	return mkdir(path, 0700) && errno != EEXIST ? -errno : 0;
}

int pin_dir_create(const char *bdf)
{
	char path[PATH_MAX];
	int err;

	err = pin_root_path(path) ?: mkdir_existing_ok(path);
	if (!err)
		err = pin_path(path, bdf, NULL) ?: mkdir_existing_ok(path);
	return err;
}

static int not_dot(const struct dirent *entry)
{
	return strcmp(entry->d_name, ".") && strcmp(entry->d_name, "..");
}

int scan_names(const char *dir, struct dirent ***names)
{
	int count = scandir(dir, names, not_dot, alphasort);

	return count < 0 ? -errno : count;
}

void free_names(struct dirent **names, int count)
{
	for (int i = 0; i < count; i++)
		free(names[i]);
	free(names);
}

static int unlink_pin(const char *bdf, const char *pin)
{
	char path[PATH_MAX];
	int err = pin_path(path, bdf, pin);

	return err ?: (unlink(path) ? -errno : 0);
}

int pins_remove(const char *bdf)
{
	struct dirent **names;
	char dir[PATH_MAX];
	int count, removed = 0, err;

	err = pin_path(dir, bdf, NULL);
	if (err)
		return err;
	count = scan_names(dir, &names);
	if (count == -ENOENT)
		return 0;
	if (count < 0)
		return count;

	err = unlink_pin(bdf, PIN_LINK);
	if (!err)
		removed++;
	else if (err != -ENOENT)
		goto out;
	err = 0;
	for (int i = 0; i < count && !err; i++) {
		if (!strcmp(names[i]->d_name, PIN_LINK))
			continue;
		err = unlink_pin(bdf, names[i]->d_name);
		if (!err)
			removed++;
	}
	if (!err && rmdir(dir))
		err = -errno;
out:
	free_names(names, count);
	return err ?: removed;
}
