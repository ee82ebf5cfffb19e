// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bind: hand a device to vfmig-pci the way the kernel allows for a driver
 * that matches nothing by id: driver_override, unbind, reprobe.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

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

int bind_device(const char *bdf)
{
	char driver[NAME_MAX + 1], old_driver[NAME_MAX + 1];

	device_driver(bdf, old_driver, sizeof(old_driver));
	if (!strcmp(old_driver, VFMIG_DRIVER_NAME)) {
		printf("%s is bound to " VFMIG_DRIVER_NAME " already\n", bdf);
		return 0;
	}

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

int cmd_bind(const struct cli_args *args)
{
	const char *bdf = args_bdf(args);

	return check_module() ?: check_device(bdf) ?: bind_device(bdf);
}
