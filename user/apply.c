// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * apply: make a device's program what /etc/vfmig/devices.conf says, as
 * udev runs it on every bind to and unbind from vfmig-pci (90-vfmig.rules).
 * Stale pins of a device that was unbound go first, so they never block
 * the next attach; a device with no configured program is told so
 * (awaiting_program), so its first open does not wait for one.  The
 * configuration and the objects it names must be root's alone
 * (check_trusted()): udev runs this as root, and what it loads runs in
 * the kernel.
 *
 * release: give a device back to the driver it had before `bind`.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bdf.h"
#include "checks.h"
#include "commands.h"
#include "config.h"
#include "load.h"
#include "ops_map.h"
#include "pins.h"
#include "report.h"
#include "sysfs.h"

/* The name the object's vfmig_ops gives its program, or "". */
static void object_program(const char *path, char name[VFMIG_NAME_LEN])
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	struct bpf_map *ops_map;
	struct ops_info info;

	name[0] = '\0';
	if (!obj)
		return;
	if (!ops_map_find(obj, path, &ops_map) && !ops_map_read(obj, path, ops_map, &info))
		snprintf(name, VFMIG_NAME_LEN, "%s", info.name[0] ? info.name :
			 bpf_map__name(ops_map));
	bpf_object__close(obj);
}

static int stop_awaiting(const char *bdf)
{
	char path[PATH_MAX];
	int err;

	err = sysfs_path(path, "bus/pci/devices/%s/" VFMIG_SYSFS_GROUP "/awaiting_program",
			 bdf) ?: write_text(path, "0");
	return err == -ENOENT ? 0 : err;	/* an older module: nothing waits */
}

static int apply_device(const struct load_opts *opts, const char *bdf)
{
	char program[PATH_MAX], running[VFMIG_NAME_LEN + 1] = "", wanted[VFMIG_NAME_LEN];
	const char *config = opts->config;
	/* What the operator would give load or replace for this device. */
	struct load_opts sub = { .object = program, .verbose = opts->verbose };
	struct pci_function_id fn;
	bool bound;
	int err;

	if (access(config, F_OK) == 0 && check_trusted(config, "configuration"))
		return EXIT_FAIL;
	bound = !device_program(bdf, running, sizeof(running));
	/* Pins with no program behind them: the device went away meanwhile. */
	if (!running[0] && pins_remove(bdf) > 0)
		printf("%s: removed the pins its last program left\n", bdf);
	if (!bound) {
		printf("%s is not bound to " VFMIG_DRIVER_NAME ": nothing to attach\n", bdf);
		return 0;
	}
	if (device_ids(bdf, &fn))
		return fail("cannot read the PCI ids of %s from sysfs", bdf);
	err = config_lookup(config, bdf, &fn, program);
	if (err == -ENOENT) {
		printf("%s: no program configured in %s\n", bdf, config);
		err = stop_awaiting(bdf);
		return err ? fail("cannot tell the kernel %s needs no program: %s", bdf,
				  errstr(err)) : 0;
	}
	if (err)
		return err;
	/* Root loads it into the kernel: only what only root could have put there. */
	if (check_trusted(program, "program"))
		return EXIT_FAIL;

	snprintf(sub.bdf, sizeof(sub.bdf), "%s", bdf);
	if (!running[0])
		return cmd_load(&sub);
	object_program(program, wanted);
	if (!strcmp(running, wanted)) {
		printf("%s already runs %s\n", bdf, running);
		return 0;
	}
	return cmd_replace(&sub);
}

int cmd_apply(const struct load_opts *opts)
{
	const char *bdf = opts->bdf;
	char dir[PATH_MAX];
	struct dirent **names;
	int count, ret = 0;

	/* A device unbinding as the module goes still has its pins dropped. */
	if (check_admin() || check_bpffs())
		return EXIT_FAIL;
	if (bdf[0])
		return check_device(bdf) ?: apply_device(opts, bdf);

	/* Every device bound to vfmig-pci: what a boot-time run does. */
	if (check_module())
		return EXIT_FAIL;
	if (sysfs_path(dir, "bus/pci/drivers/%s", VFMIG_DRIVER_NAME))
		return fail("sysfs path too long");
	count = scan_names(dir, &names);
	if (count < 0)
		return fail("cannot list %s: %s", dir, errstr(count));
	for (int i = 0; i < count; i++) {
		char canonical[VFMIG_BDF_LEN];

		if (!bdf_parse(names[i]->d_name, canonical) &&
		    !strcmp(canonical, names[i]->d_name))
			ret |= apply_device(opts, canonical);
	}
	free_names(names, count);
	return ret ? EXIT_FAIL : 0;
}

int cmd_release(const struct load_opts *opts)
{
	const char *bdf = opts->bdf;
	char previous[NAME_MAX + 1] = "", driver[NAME_MAX + 1];
	char path[PATH_MAX];
	int err;

	err = check_admin() ?: check_device(bdf);
	if (err)
		return err;
	if (pins_remove(bdf) < 0)
		return fail("cannot remove the pins of %s", bdf);
	if (!bind_record_path(path, bdf))
		read_line(path, previous, sizeof(previous));
	err = unbind_device(bdf, previous);
	if (err)
		return err;
	device_driver(bdf, driver, sizeof(driver));
	if (previous[0] && strcmp(driver, previous))
		return fail("%s did not go back to %s (dmesg says why)", bdf, previous);
	if (path[0])
		remove(path);
	printf("released %s to %s\n", bdf, driver[0] ? driver : "no driver");
	return 0;
}
