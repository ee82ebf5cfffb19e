// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * load: open the vendor object, aim its vfmig_ops at the device, check the
 * device can take it, then load, attach and pin.  The pinned link holds
 * the attach after we exit; the pinned maps let tools read program state.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "checks.h"
#include "commands.h"
#include "load.h"
#include "ops_map.h"
#include "pins.h"
#include "report.h"
#include "sysfs.h"

/* Per program; the kernel keeps the tail of a longer log. */
#define VERIFIER_LOG_SIZE	(1 << 20)
/* Without -v a rejection shows the end of the log, where the reason is. */
#define VERIFIER_LOG_TAIL	40

/*
 * One buffer a program, so the one that fills is the one rejected (after a
 * failure libbpf has closed every program's fd: those cannot tell).  With
 * log level 0 libbpf loads without a log and retries only a rejected
 * program with level 1 into its buffer: no cost when all is well.
 */
static char *set_log_buffers(struct bpf_object *obj)
{
	struct bpf_program *prog;
	size_t count = 0, i = 0;
	char *logs;

	bpf_object__for_each_program(prog, obj)
		count++;
	logs = calloc(count ?: 1, VERIFIER_LOG_SIZE);	/* untouched pages cost nothing */
	if (!logs)
		return NULL;
	bpf_object__for_each_program(prog, obj)
		bpf_program__set_log_buf(prog, logs + i++ * VERIFIER_LOG_SIZE,
					 VERIFIER_LOG_SIZE);
	return logs;
}

static void print_verifier_log(const char *log)
{
	const char *start = log + strlen(log);
	int lines = 0;

	if (strlen(log) == VERIFIER_LOG_SIZE - 1)
		fprintf(stderr, "... (the kernel kept the last %d KiB of the log)\n",
			VERIFIER_LOG_SIZE >> 10);
	if (report_verbose()) {
		start = log;
	} else {
		/* Back over VERIFIER_LOG_TAIL line starts, past the final newline. */
		while (start > log && lines < VERIFIER_LOG_TAIL)
			if (*--start == '\n' && start[1])
				lines++;
		if (start > log) {
			fprintf(stderr, "... (the last %d lines of the verifier log; -v shows all)\n",
				VERIFIER_LOG_TAIL);
			start++;
		}
	}
	fputs(start, stderr);
	if (*start && start[strlen(start) - 1] != '\n')
		fputc('\n', stderr);
}

static int report_load_failure(struct bpf_object *obj, const char *path, int err)
{
	const char *warning = libbpf_take_warning();
	struct bpf_program *prog;
	const char *log;
	size_t size;

	bpf_object__for_each_program(prog, obj) {
		log = bpf_program__log_buf(prog, &size);
		if (!log || !log[0])
			continue;
		print_verifier_log(log);
		return fail("program %s rejected by the verifier (log above)",
			    bpf_program__name(prog));
	}
	/* libbpf's first warning would be about RLIMIT_MEMLOCK: not the point. */
	if (err == -EPERM)
		return fail("loading %s failed: %s (run as root)", path, errstr(err));
	return fail("loading %s failed: %s%s", path,
		    warning[0] ? warning : errstr(err),
		    report_verbose() ? "" : " (-v shows libbpf's steps)");
}

int load_object(struct bpf_object *obj, const char *path)
{
	char *logs;
	int err;

	logs = set_log_buffers(obj);
	if (!logs)
		return fail("out of memory for verifier logs");
	libbpf_take_warning();	/* keep only what loading says */
	err = bpf_object__load(obj);
	if (err)
		err = report_load_failure(obj, path, err);
	/* libbpf keeps the pointers but only writes them while loading. */
	free(logs);
	return err;
}

int report_attach_failure(int err, const struct load_opts *opts,
			  const char *name)
{
	const char *object = opts->object, *bdf = opts->bdf;
	char why[160] = "", path[PATH_MAX];

	/* The kernel keeps the reason init() or the contract check gave. */
	if (!sysfs_path(path, "bus/pci/devices/%s/" VFMIG_SYSFS_GROUP "/last_error",
			bdf))
		read_line(path, why, sizeof(why));

	switch (err) {
	case -EPERM:
		/* check_admin() passed: lockdown, or init() said -EPERM. */
		return fail("the kernel refused %s for %s: EPERM: under kernel lockdown (/sys/kernel/security/lockdown) no program attaches; otherwise init() of %s refused the device (dmesg says so)",
			    object, bdf, name);
	case -EPROTO:
		return fail("init() of %s broke its contract on %s: %s", name, bdf,
			    why[0] ? why : "see dmesg");
	case -EBUSY:
		return fail_busy(bdf);
	case -ENODEV:
		return fail("the kernel found no " VFMIG_DRIVER_NAME " device %s (was it unbound? " PROG_NAME " bind --bdf %s)",
			    bdf, bdf);
	case -ENXIO:
		/* The kernel's own id check (what check_ids() also does). */
		return fail("the kernel refused %s for %s: %s", object, bdf,
			    why[0] ? why : "not a device it declares (see dmesg)");
	case -EINVAL:
		return fail("the kernel refused %s for %s: bad bdf, name or flags in its " VFMIG_OPS_TYPE ", or init() of %s returned -EINVAL (see dmesg)",
			    object, bdf, name);
	default:
		return fail("attaching %s to %s failed: %s (if init() of %s failed, dmesg says so)%s%s",
			    object, bdf, errstr(err), name,
			    why[0] ? ": " : "", why);
	}
}

/*
 * A map's pin file name: its name with characters outside [A-Za-z0-9_-]
 * made '_' (bpffs refuses '.', so "edu_bpf.bss" is pinned as
 * "edu_bpf_bss"), and "link" (taken by the link) made "link_map".
 */
static void map_pin_name(const struct bpf_map *map, char pin[NAME_MAX + 1])
{
	const char *name = bpf_map__name(map);

	snprintf(pin, NAME_MAX + 1, "%s%s", name,
		 strcmp(name, PIN_LINK) ? "" : "_map");
	for (char *c = pin; *c; c++)
		if (!isalnum((unsigned char)*c) && !strchr("_-", *c))
			*c = '_';
}

int pin_maps(struct bpf_object *obj, const struct bpf_map *ops_map,
	     const char *bdf, char failed[PATH_MAX])
{
	char pin[NAME_MAX + 1];
	struct bpf_map *map;
	int err;

	bpf_object__for_each_map(map, obj) {
		if (map == ops_map || bpf_map__fd(map) < 0)
			continue;
		map_pin_name(map, pin);
		err = pin_path(failed, bdf, pin) ?: bpf_map__pin(map, failed);
		if (err)
			return err;
	}
	return 0;
}

/* Pins the link, then every map but the struct_ops one; @failed says where. */
static int pin_all(struct bpf_object *obj, const struct bpf_map *ops_map,
		   struct bpf_link *link, const char *bdf, char failed[PATH_MAX])
{
	int err;

	pin_path(failed, bdf, NULL);
	err = pin_dir_create(bdf) ?:
	      pin_path(failed, bdf, PIN_LINK) ?:
	      bpf_link__pin(link, failed);
	return err ?: pin_maps(obj, ops_map, bdf, failed);
}

static void report_success(struct bpf_link *link, const char *bdf,
			   const char *name)
{
	struct bpf_link_info info = { 0 };
	__u32 len = sizeof(info);
	char dir[PATH_MAX];

	pin_path(dir, bdf, NULL);
	if (bpf_link_get_info_by_fd(bpf_link__fd(link), &info, &len))
		info.id = 0;
	printf("attached %s to %s (link %u, pinned in %s)\n", name, bdf, info.id, dir);
}

static int load_attach_pin(struct bpf_object *obj, struct bpf_map *ops_map,
			   const struct load_opts *opts, const char *name)
{
	const char *bdf = opts->bdf;
	char failed[PATH_MAX];
	struct bpf_link *link;
	int err;

	err = load_object(obj, opts->object);
	if (err)
		return err;

	link = bpf_map__attach_struct_ops(ops_map);
	if (!link)
		return report_attach_failure(-errno, opts, name);

	err = pin_all(obj, ops_map, link, bdf, failed);
	if (err) {
		/* Never leave an attach behind that no pin holds. */
		pins_remove(bdf);
		bpf_link__destroy(link);
		return fail("cannot pin %s: %s (detached %s again)",
			    failed, errstr(err), name);
	}
	report_success(link, bdf, name);
	/* Our fd goes, the attach stays: the pin holds the link. */
	bpf_link__disconnect(link);
	bpf_link__destroy(link);
	return 0;
}

/* A sysfs attribute of the device as a number ("0x8086"); -errno. */
static int read_id(const char *bdf, const char *attr, __u32 *value)
{
	char path[PATH_MAX], line[32], *end;
	int err;

	err = sysfs_path(path, "bus/pci/devices/%s/%s", bdf, attr) ?:
	      read_line(path, line, sizeof(line));
	if (err)
		return err;
	*value = strtoul(line, &end, 16);
	return end == line ? -EINVAL : 0;
}

int device_ids(const char *bdf, struct pci_function_id *fn)
{
	return read_id(bdf, "vendor", &fn->vendor) ?:
	       read_id(bdf, "device", &fn->device) ?:
	       read_id(bdf, "subsystem_vendor", &fn->subvendor) ?:
	       read_id(bdf, "subsystem_device", &fn->subdevice) ?:
	       read_id(bdf, "class", &fn->class);
}

/*
 * The device must be one the object declares, as the kernel will insist;
 * an object that declares none attaches only when forced.  Said here with
 * both sides spelt out.
 */
int check_ids(struct bpf_object *obj, const struct bpf_map *ops_map,
	      const struct load_opts *opts)
{
	const char *object = opts->object, *bdf = opts->bdf;
	struct pci_function_id fn;
	struct ops_info ops;
	char id[96], list[512] = "";
	int err;

	err = ops_map_read(obj, object, ops_map, &ops);
	if (err)
		return err;
	if (!ops.nr_ids) {
		if (!opts->force)
			return fail("%s declares no PCI ids, so it may not be meant for %s: add .ids = { VFMIG_PCI_DEVICE(vendor, device) } to its VFMIG_OPS(), or attach it anyway with --force",
				    object, bdf);
		warn("%s declares no PCI ids: attaching it to %s because of --force",
		     object, bdf);
		return 0;
	}
	if (device_ids(bdf, &fn))
		return fail("cannot read the PCI ids of %s from sysfs", bdf);
	for (unsigned int i = 0; i < ops.nr_ids; i++) {
		if (ops_id_matches(&ops.ids[i], &fn))
			return 0;
		ops_id_format(&ops.ids[i], id, sizeof(id));
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
			 i ? ", " : "", id);
	}
	return fail("%s serves %s only; %s is %04x:%04x (subsystem %04x:%04x, class %06x): use the vendor's program for that device",
		    object, list, bdf,
		    fn.vendor, fn.device, fn.subvendor, fn.subdevice, fn.class);
}

static int check_driver_and_bpffs(const struct load_opts *opts)
{
	const char *bdf = opts->bdf;

	/* Rebinding changes the system: only once the rest is known good. */
	if (opts->bind)
		return check_bpffs() ?: bind_device(bdf);
	return check_bound(bdf) ?: check_bpffs();
}

int cmd_load(const struct load_opts *opts)
{
	const char *object = opts->object, *bdf = opts->bdf;
	char name[VFMIG_NAME_LEN];
	struct bpf_object *obj;
	struct bpf_map *ops_map;
	int ret;

	/*
	 * The object first: a broken one must not get as far as rebinding
	 * the device.  Then the device, in a fixed order, so the first
	 * problem reported is always the same one.
	 */
	obj = bpf_object__open_file(object, NULL);
	if (!obj)
		return fail("cannot open %s: %s", object, errstr(-errno));
	ret = ops_map_find(obj, object, &ops_map) ?:
	      ops_map_set_target(obj, object, ops_map, bdf, opts->force, name) ?:
	      check_admin() ?:
	      check_module() ?:
	      check_abi(obj, object, ops_map) ?:
	      check_device(bdf) ?:
	      check_driver_and_bpffs(opts) ?:
	      check_idle(bdf) ?:
	      check_ids(obj, ops_map, opts) ?:
	      load_attach_pin(obj, ops_map, opts, name);
	bpf_object__close(obj);
	return ret;
}
