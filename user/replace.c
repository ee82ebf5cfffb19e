// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * replace: swap the program of a device for another in one step, with
 * bpf_link_update() on its pinned link, so no access goes unserved: the
 * module runs the new init() first and publishes the new program in place
 * of the old one (its .update).
 *
 * libbpf writes a struct_ops map's kernel value only when it attaches, and
 * updates a link only if it created it; this process did not.  So the
 * value is built here as the kernel lays it out, bpf_struct_ops_vfmig_ops
 * from the module's BTF: the object's data members copied by name, each
 * callback slot holding its program's fd, as bpf_map_update_elem() of a
 * struct_ops map takes it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "checks.h"
#include "commands.h"
#include "load.h"
#include "object_elf.h"
#include "ops_map.h"
#include "pins.h"
#include "report.h"
#include "sysfs.h"

#define KERN_VALUE_TYPE	"bpf_struct_ops_" VFMIG_OPS_TYPE

/* The function a callback member of the object names, or NULL. */
static const char *callback_of(const struct object_elf *elf, const char *member)
{
	for (unsigned int i = 0; i < elf->nr_callbacks; i++)
		if (!strcmp(elf->callbacks[i].member, member))
			return elf->callbacks[i].function;
	return NULL;
}

static bool is_func_ptr(const struct btf *btf, __u32 type_id)
{
	const struct btf_type *t = btf__type_by_id(btf, btf__resolve_type(btf, type_id));

	if (!t || !btf_is_ptr(t))
		return false;
	t = btf__type_by_id(btf, btf__resolve_type(btf, t->type));
	return t && btf_is_func_proto(t);
}

/* One member of the kernel's vfmig_ops into @kdata. */
static int fill_member(struct bpf_object *obj, const struct bpf_map *ops_map,
		       const struct object_elf *elf, const char *name,
		       bool func, void *kdata, long ksize, const char *path)
{
	const char *function;
	struct bpf_program *prog;
	long off, size;
	size_t data_size;
	const char *data;
	__u64 fd;

	if (func) {
		function = callback_of(elf, name);
		if (!function)
			return 0;
		prog = bpf_object__find_program_by_name(obj, function);
		if (!prog || bpf_program__fd(prog) < 0)
			return fail("%s: no loaded program %s for %s", path, function, name);
		fd = bpf_program__fd(prog);
		memcpy(kdata, &fd, sizeof(fd));
		return 0;
	}
	off = ops_map_member_offset(obj, ops_map, name, &size);
	data = bpf_map__initial_value((struct bpf_map *)ops_map, &data_size);
	if (off < 0 || !data)
		return 0;	/* an older object: the member stays zero */
	if ((size_t)(off + size) > data_size)
		return fail("%s: member %s lies outside its map's data", path, name);
	memcpy(kdata, data + off, size < ksize ? size : ksize);
	return 0;
}

/* The map value the kernel takes for @ops_map, in a buffer to free. */
static void *build_value(struct bpf_object *obj, const struct bpf_map *ops_map,
			 const struct object_elf *elf, const char *path, __u32 *value_size)
{
	struct bpf_map_info info = { 0 };
	__u32 info_len = sizeof(info);
	struct btf *vmlinux = NULL, *mod = NULL;
	const struct btf_type *value_type, *ops = NULL;
	const struct btf_member *m;
	char *value = NULL;
	long data_off = -1;
	__s32 id;
	int err = 0;

	if (bpf_map_get_info_by_fd(bpf_map__fd(ops_map), &info, &info_len)) {
		fail("cannot read the map of %s: %s", path, errstr(-errno));
		return NULL;
	}
	vmlinux = btf__load_vmlinux_btf();
	mod = vmlinux ? btf__load_module_btf(VFMIG_MODULE_NAME, vmlinux) : NULL;
	id = mod ? btf__find_by_name_kind(mod, KERN_VALUE_TYPE, BTF_KIND_STRUCT) : -1;
	value_type = id > 0 ? btf__type_by_id(mod, id) : NULL;
	if (!value_type) {
		fail("no " KERN_VALUE_TYPE " in the BTF of the loaded module (/sys/kernel/btf/"
		     VFMIG_MODULE_NAME ")");
		goto out;
	}
	m = btf_members(value_type);
	for (int i = 0; i < btf_vlen(value_type); i++, m++)
		if (!strcmp(btf__name_by_offset(mod, m->name_off), "data")) {
			data_off = btf_member_bit_offset(value_type, i) / 8;
			ops = btf__type_by_id(mod, btf__resolve_type(mod, m->type));
		}
	value = calloc(1, info.value_size);
	if (data_off < 0 || !value || !ops || !btf_is_struct(ops) ||
	    data_off + ops->size > info.value_size) {
		fail("the layout of " KERN_VALUE_TYPE " is not what this vfmig-load knows");
		free(value);
		value = NULL;
		goto out;
	}
	m = btf_members(ops);
	for (int i = 0; i < btf_vlen(ops) && !err; i++, m++) {
		long moff = btf_member_bit_offset(ops, i) / 8;

		err = fill_member(obj, ops_map, elf, btf__name_by_offset(mod, m->name_off),
				  is_func_ptr(mod, m->type), value + data_off + moff,
				  btf__resolve_size(mod, m->type), path);
	}
	if (err) {
		free(value);
		value = NULL;
	}
	*value_size = info.value_size;
out:
	btf__free(mod);
	btf__free(vmlinux);
	return value;
}

/* The old program's map pins go; the link pin stays, now the new one's. */
static int swap_map_pins(struct bpf_object *obj, const struct bpf_map *ops_map,
			 const char *bdf)
{
	char dir[PATH_MAX], pin[PATH_MAX];
	struct dirent **names;
	int count, err;

	pin_path(dir, bdf, NULL);
	count = scan_names(dir, &names);
	if (count < 0)
		return count;
	for (int i = 0; i < count; i++)
		if (strcmp(names[i]->d_name, PIN_LINK) &&
		    snprintf(pin, sizeof(pin), "%s/%s", dir, names[i]->d_name) < PATH_MAX)
			unlink(pin);
	free_names(names, count);
	err = pin_maps(obj, ops_map, bdf, pin);
	if (err)
		return fail("replaced, but cannot pin %s: %s", pin, errstr(err));
	return 0;
}

static int replace_program(struct bpf_object *obj, struct bpf_map *ops_map,
			   const struct load_opts *opts, const char *name,
			   const char *old)
{
	const char *path = opts->object, *bdf = opts->bdf;
	struct object_elf elf;
	char link_pin[PATH_MAX];
	__u32 zero = 0, value_size;
	void *value;
	int link_fd, err;

	err = object_elf_read(path, obj, ops_map, &elf) ?: load_object(obj, path);
	if (err)
		return err;
	value = build_value(obj, ops_map, &elf, path, &value_size);
	if (!value)
		return EXIT_FAIL;
	err = bpf_map_update_elem(bpf_map__fd(ops_map), &zero, value, 0);
	free(value);
	if (err)
		return fail("the kernel refused the " VFMIG_OPS_TYPE " of %s: %s", path,
			    errstr(-errno));

	pin_path(link_pin, bdf, PIN_LINK);
	link_fd = bpf_obj_get(link_pin);
	if (link_fd < 0)
		return fail("cannot open the link pinned at %s: %s (vfmig-load %s --bdf %s attaches anew)",
			    link_pin, errstr(-errno), path, bdf);
	err = bpf_link_update(link_fd, bpf_map__fd(ops_map), NULL);
	close(link_fd);
	if (err)
		return report_attach_failure(-errno, opts, name);
	err = swap_map_pins(obj, ops_map, bdf);
	printf("replaced %s with %s on %s\n", old, name, bdf);
	return err;
}

int cmd_replace(const struct load_opts *opts)
{
	const char *path = opts->object, *bdf = opts->bdf;
	char name[VFMIG_NAME_LEN], old[VFMIG_NAME_LEN + 1] = "";
	struct bpf_object *obj;
	struct bpf_map *ops_map;
	int ret;

	obj = bpf_object__open_file(path, NULL);
	if (!obj)
		return fail("cannot open %s: %s", path, errstr(-errno));
	ret = ops_map_find(obj, path, &ops_map) ?:
	      ops_map_set_target(obj, path, ops_map, bdf, opts->force, name) ?:
	      check_admin() ?:
	      check_module() ?:
	      check_abi(obj, path, ops_map) ?:
	      check_device(bdf) ?:
	      check_bound(bdf) ?:
	      check_bpffs();
	if (!ret && (device_program(bdf, old, sizeof(old)) || !old[0]))
		ret = fail("%s runs no program to replace (vfmig-load %s --bdf %s attaches one)",
			   bdf, path, bdf);
	if (!ret)
		ret = check_ids(obj, ops_map, opts) ?:
		      replace_program(obj, ops_map, opts, name, old);
	bpf_object__close(obj);
	return ret;
}
