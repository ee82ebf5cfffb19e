// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bind: hand a device to vfmig-pci the way the kernel allows for a driver
 * that matches nothing by id: driver_override, unbind, reprobe.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <stdlib.h>

#include "checks.h"
#include "commands.h"
#include "report.h"
#include "sysfs.h"

/* Writes @value to the sysfs file @fmt names for @bdf; -errno, reported. */
static int write_attr(const char *bdf, const char *fmt, const char *value)
{
	char path[PATH_MAX];
	int err;

	err = sysfs_path(path, fmt, bdf) ?: write_text(path, value);
	if (err)
		fail("cannot write %s to %s: %s%s", value, path, errstr(err),
		     err == -EACCES || err == -EPERM ? " (run as root)" : "");
	return err;
}

/* A probe that binds nothing fails the write: callers judge by the result. */
static void reprobe(const char *bdf)
{
	char path[PATH_MAX];

	if (!sysfs_path(path, "bus/pci/drivers_probe"))
		write_text(path, bdf);
}

/*
 * Where bind keeps the driver a device had, for release: under /run, gone
 * at reboot like the binding itself ($VFMIG_SYSFS_ROOT/run in unit tests).
 */
int bind_record_path(char path[PATH_MAX], const char *bdf)
{
	const char *root = test_env("VFMIG_SYSFS_ROOT");
	int n = snprintf(path, PATH_MAX, "%s/run/vfmig/%s.driver", root ? root : "", bdf);

	if (n < 0 || n >= PATH_MAX) {
		path[0] = '\0';
		return -ENAMETOOLONG;
	}
	return 0;
}

static void record_driver(const char *bdf, const char *driver)
{
	char path[PATH_MAX];
	FILE *f;

	if (bind_record_path(path, bdf))
		return;
	*strrchr(path, '/') = '\0';	/* ROOT/run/vfmig, ROOT/run first */
	*strrchr(path, '/') = '\0';
	mkdir(path, 0755);
	strcat(path, "/vfmig");
	mkdir(path, 0755);
	if (bind_record_path(path, bdf))
		return;
	f = fopen(path, "we");
	if (!f || fprintf(f, "%s\n", driver) < 0)
		warn("cannot record the driver of %s in %s: release will not know it", bdf, path);
	if (f)
		fclose(f);
}

int unbind_device(const char *bdf, const char *driver)
{
	char now[NAME_MAX + 1];

	/* An empty override: the driver that matches by id may take it. */
	if (write_attr(bdf, "bus/pci/devices/%s/driver_override", driver[0] ? driver : "\n"))
		return EXIT_FAIL;
	device_driver(bdf, now, sizeof(now));
	if (now[0] && write_attr(bdf, "bus/pci/devices/%s/driver/unbind", bdf))
		return EXIT_FAIL;
	reprobe(bdf);
	/* Bound now: leave no override behind that it did not have. */
	if (driver[0])
		write_attr(bdf, "bus/pci/devices/%s/driver_override", "\n");
	return 0;
}

int bind_device(const char *bdf)
{
	char driver[NAME_MAX + 1], old_driver[NAME_MAX + 1];

	device_driver(bdf, old_driver, sizeof(old_driver));
	if (!strcmp(old_driver, VFMIG_DRIVER_NAME)) {
		printf("%s is bound to " VFMIG_DRIVER_NAME " already\n", bdf);
		return 0;
	}
	record_driver(bdf, old_driver);

	if (write_attr(bdf, "bus/pci/devices/%s/driver_override", VFMIG_DRIVER_NAME))
		return EXIT_FAIL;
	if (old_driver[0] && write_attr(bdf, "bus/pci/devices/%s/driver/unbind", bdf))
		return EXIT_FAIL;
	reprobe(bdf);
	device_driver(bdf, driver, sizeof(driver));
	if (strcmp(driver, VFMIG_DRIVER_NAME))
		return fail("%s did not bind to " VFMIG_DRIVER_NAME " (dmesg says why;"
			    " vfio also needs an IOMMU group for it)", bdf);
	printf("bound %s to " VFMIG_DRIVER_NAME " (was %s)\n", bdf,
	       old_driver[0] ? old_driver : "unbound");
	return 0;
}

int cmd_bind(const struct load_opts *opts)
{
	const char *bdf = opts->bdf;

	return check_module() ?: check_device(bdf) ?: bind_device(bdf);
}
