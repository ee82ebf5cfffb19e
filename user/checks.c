// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>

#include "checks.h"
#include "ops_map.h"
#include "pins.h"
#include "report.h"
#include "sysfs.h"
#include "vfmig.h"

/* CAP_SYS_ADMIN in the effective set: what the kernel asks of an attach. */
static bool has_sys_admin(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = { 0 };

	if (syscall(SYS_capget, &hdr, data))
		return true;	/* let the kernel answer */
	return data[CAP_TO_INDEX(CAP_SYS_ADMIN)].effective &
	       CAP_TO_MASK(CAP_SYS_ADMIN);
}

int check_admin(void)
{
	if (has_sys_admin())
		return 0;
	return fail("attaching a vfmig program needs CAP_SYS_ADMIN in the initial user namespace: run as root (CAP_BPF, CAP_PERFMON or a BPF token are not enough)");
}

/* The module, from the directory of a vfmig-load run in the source tree. */
#ifdef VFMIG_TEST_BUILD
#define KO_FROM_EXE	"%s/../../../kernel/vfmig.ko"	/* build/selftests/tools/ */
#else
#define KO_FROM_EXE	"%s/../kernel/vfmig.ko"
#endif

/* Run from a source tree (user/vfmig-load beside kernel/vfmig.ko)? */
static bool in_source_tree(char module[PATH_MAX])
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;

	if (n <= 0)
		return false;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (!slash)
		return false;
	*slash = '\0';
	if (snprintf(module, PATH_MAX, KO_FROM_EXE, exe) >= PATH_MAX)
		return false;
	return access(module, R_OK) == 0;
}

int check_module(void)
{
	char module[PATH_MAX];

	if (module_loaded())
		return 0;
	if (in_source_tree(module))
		return fail("vfmig module not loaded (modprobe vfio-pci; insmod %s)", module);
	return fail("vfmig module not loaded (modprobe vfmig; if it is not found, install it: make install, or the vfmig-dkms package)");
}

unsigned int module_abi(void)
{
	char path[PATH_MAX], line[32];
	unsigned long abi;
	char *end;

	if (sysfs_path(path, "%s", VFMIG_ABI_PARAM) || read_line(path, line, sizeof(line)))
		return 1;	/* before the ABI was shown */
	abi = strtoul(line, &end, 10);
	return *end || !abi || abi > UINT_MAX ? 1 : (unsigned int)abi;
}

int check_abi(struct bpf_object *obj, const char *path, const struct bpf_map *ops_map)
{
	struct ops_info info;
	unsigned int have;

	if (ops_map_read(obj, path, ops_map, &info))
		return EXIT_FAIL;
	have = module_abi();
	if (info.abi <= have)
		return 0;
	return fail("%s needs vfmig ABI %u; the loaded vfmig.ko offers ABI %u (%s): update the module, or rebuild the program with the kit of the module it runs on",
		    path, info.abi, have, VFMIG_ABI_PARAM);
}

int check_device(const char *bdf)
{
	if (device_exists(bdf))
		return 0;
	return fail("no PCI device %s (see lspci -D)", bdf);
}

int check_bound(const char *bdf)
{
	char driver[NAME_MAX + 1], override[PATH_MAX];

	device_driver(bdf, driver, sizeof(driver));
	if (!strcmp(driver, VFMIG_DRIVER_NAME))
		return 0;
	if (sysfs_path(override, "bus/pci/devices/%s/driver_override", bdf))
		override[0] = '\0';
	return fail("%s is bound to %s, not " VFMIG_DRIVER_NAME
		    " (use --bind, or echo " VFMIG_DRIVER_NAME
		    " > %s and reprobe)",
		    bdf, driver[0] ? driver : "no driver", override);
}

int check_bpffs(void)
{
	if (bpffs_mounted())
		return 0;
	return fail("bpffs not mounted at %s (mount -t bpf bpf %s)",
		    bpffs_root(), bpffs_root());
}

int fail_busy(const char *bdf)
{
	char program[VFMIG_NAME_LEN + 1];

	if (device_program(bdf, program, sizeof(program)) || !program[0])
		strcpy(program, "(unknown)");
	return fail("%s already runs program %s (" PROG_NAME
		    " unload --bdf %s first)", bdf, program, bdf);
}

int check_idle(const char *bdf)
{
	char program[VFMIG_NAME_LEN + 1], dir[PATH_MAX];
	struct dirent **names;
	int count;

	if (!device_program(bdf, program, sizeof(program)) && program[0])
		return fail_busy(bdf);

	/* Leftovers would make pinning fail after the program attached. */
	if (pin_path(dir, bdf, NULL))
		return 0;
	count = scan_names(dir, &names);
	if (count < 0)
		return 0;
	free_names(names, count);
	if (count == 0)
		return 0;
	return fail("%s has stale pins in %s (" PROG_NAME
		    " unload --bdf %s first)", bdf, dir, bdf);
}

/* Why @path (a directory above the file, or the file) is unsafe, or NULL. */
static const char *untrusted(const char *path, bool dir, char fix[PATH_MAX + 64])
{
	struct stat st;

	if (lstat(path, &st))
		return NULL;	/* the open that follows says what is missing */
	if (S_ISLNK(st.st_mode)) {
		if (st.st_uid) {
			snprintf(fix, PATH_MAX + 64, "chown -h root %s", path);
			return "is a symlink not owned by root";
		}
		return NULL;	/* the resolved path is checked too */
	}
	if (st.st_uid) {
		snprintf(fix, PATH_MAX + 64, "chown root %s", path);
		return "is not owned by root";
	}
	if (!dir && !S_ISREG(st.st_mode)) {
		snprintf(fix, PATH_MAX + 64, "name a regular file");
		return "is not a regular file";
	}
	if (dir && (st.st_mode & S_ISVTX) && (st.st_mode & S_IWOTH))
		return NULL;	/* /tmp: only root replaces root's files */
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(fix, PATH_MAX + 64, "chmod go-w %s", path);
		return "is writable by group or others";
	}
	return NULL;
}

/* @path and each directory above it, as spelled. */
static int check_chain(const char *path, const char *what, const char *file)
{
	char part[PATH_MAX], fix[PATH_MAX + 64];
	const char *why;
	char *slash;

	if (snprintf(part, sizeof(part), "%s", path) >= (int)sizeof(part))
		return fail("%s %s: path too long", what, file);
	why = untrusted(part, false, fix);
	if (why)
		return fail("refusing %s %s: it %s (%s)", what, file, why, fix);
	while ((slash = strrchr(part, '/'))) {
		slash[slash == part] = '\0';	/* "/x" leaves "/" */
		why = untrusted(part, true, fix);
		if (why)
			return fail("refusing %s %s: its directory %s %s (%s)", what, file,
				    part, why, fix);
		if (slash == part)
			break;
	}
	return 0;
}

int check_trusted(const char *path, const char *what)
{
	char resolved[PATH_MAX];

	if (path[0] != '/')
		return fail("%s %s: an absolute path is needed", what, path);
	if (check_chain(path, what, path))
		return EXIT_FAIL;
	if (!realpath(path, resolved))
		return 0;	/* missing: the open that follows says so */
	return strcmp(resolved, path) ? check_chain(resolved, what, path) : 0;
}
