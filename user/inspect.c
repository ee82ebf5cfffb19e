// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * inspect: what a vendor object declares, from the file alone (no module,
 * no device, no privilege): the ids it serves, its state versions, flags,
 * callbacks, the kfuncs it calls and its license.  Trap windows and vendor
 * regions are declared by init() when it runs, so the object can only say
 * whether it calls the kfuncs that declare them.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "checks.h"
#include "commands.h"
#include "json.h"
#include "object_elf.h"
#include "ops_map.h"
#include "report.h"
#include "sysfs.h"

struct inspection {
	const char *path;
	struct ops_info ops;
	struct object_elf elf;
	bool trap_windows;	/* calls bpf_vfmig_trap_window */
	bool regions;		/* calls bpf_vfmig_region_add */
};

static bool calls(const struct object_elf *elf, const char *kfunc)
{
	for (unsigned int i = 0; i < elf->nr_kfuncs; i++)
		if (!strcmp(elf->kfuncs[i], kfunc))
			return true;
	return false;
}

static __u32 min_version(const struct ops_info *ops)
{
	return ops->min_version ?: ops->version;
}

static void print_text(const struct inspection *in, struct bpf_object *obj)
{
	const struct ops_info *ops = &in->ops;
	char id[96], flags[64];
	struct bpf_map *map;
	const char *sep = "";

	printf("object:     %s\n", in->path);
	printf("program:    %s\n", ops->name);
	printf("version:    %u (loads streams of versions %u to %u)\n", ops->version,
	       min_version(ops), ops->version);
	printf("abi:        %u", ops->abi);
	if (!module_loaded())
		printf(" (vfmig.ko not loaded)\n");
	else if (module_abi() >= ops->abi)
		printf(" (the loaded vfmig.ko offers %u)\n", module_abi());
	else
		printf(" (the loaded vfmig.ko offers only %u: it cannot attach)\n", module_abi());
	ops_flags_text(ops->flags, flags, sizeof(flags));
	printf("flags:      %s\n", ops->flags ? flags : "none (stop-copy migration only, if any)");
	if (!ops->nr_ids)
		printf("devices:    none declared: attaches only with --force\n");
	for (unsigned int i = 0; i < ops->nr_ids; i++) {
		ops_id_format(&ops->ids[i], id, sizeof(id));
		printf("%s%s\n", i ? "            " : "devices:    ", id);
	}
	for (unsigned int i = 0; i < in->elf.nr_callbacks; i++)
		printf("%s%-12s %s%s\n", i ? "            " : "callbacks:  ",
		       in->elf.callbacks[i].member, in->elf.callbacks[i].function,
		       in->elf.callbacks[i].sleepable ? " (sleepable)" : "");
	printf("kfuncs:    ");
	for (unsigned int i = 0; i < in->elf.nr_kfuncs; i++)
		printf(" %s", in->elf.kfuncs[i]);
	printf("%s\n", in->elf.nr_kfuncs ? "" : " none");
	printf("declares:   %s%s%s at attach, from init()\n",
	       in->trap_windows ? "trap windows" : "",
	       in->trap_windows && in->regions ? " and " : "",
	       in->regions ? "vendor regions" : in->trap_windows ? "" : "nothing");
	printf("maps:      ");
	bpf_object__for_each_map(map, obj) {
		if (bpf_map__type(map) == BPF_MAP_TYPE_STRUCT_OPS)
			continue;
		printf("%s %s", sep, bpf_map__name(map));
		sep = ",";
	}
	printf("%s\n", sep[0] ? "" : " none");
	printf("license:    %s\n", in->elf.license[0] ? in->elf.license : "(none: the kernel refuses it)");
}

static void json_id_field(const char *name, __u32 value, bool last)
{
	char hex[12];

	printf("\"%s\":", name);
	if (value == VFMIG_ANY_ID) {
		printf("null");
	} else {
		snprintf(hex, sizeof(hex), "%04x", value);
		json_string(stdout, hex);
	}
	printf(last ? "" : ",");
}

static void print_json(const struct inspection *in, struct bpf_object *obj)
{
	const struct ops_info *ops = &in->ops;
	struct bpf_map *map;
	const char *sep = "";

	printf("{\"object\":");
	json_string(stdout, in->path);
	printf(",\"program\":");
	json_string(stdout, ops->name);
	printf(",\"version\":%u,\"min_version\":%u,\"abi\":%u,\"flags\":", ops->version,
	       min_version(ops), ops->abi);
	ops_flags_json(stdout, ops->flags);
	printf(",\"ids\":[");
	for (unsigned int i = 0; i < ops->nr_ids; i++) {
		const struct ops_pci_id *id = &ops->ids[i];

		printf("%s{", i ? "," : "");
		json_id_field("vendor", id->vendor, false);
		json_id_field("device", id->device, false);
		json_id_field("subvendor", id->subvendor, false);
		json_id_field("subdevice", id->subdevice, false);
		printf("\"class\":\"%06x\",\"class_mask\":\"%06x\"}", id->class, id->class_mask);
	}
	printf("],\"callbacks\":[");
	for (unsigned int i = 0; i < in->elf.nr_callbacks; i++) {
		printf("%s{\"member\":", i ? "," : "");
		json_string(stdout, in->elf.callbacks[i].member);
		printf(",\"program\":");
		json_string(stdout, in->elf.callbacks[i].function);
		printf(",\"sleepable\":%s}", in->elf.callbacks[i].sleepable ? "true" : "false");
	}
	printf("],\"kfuncs\":[");
	for (unsigned int i = 0; i < in->elf.nr_kfuncs; i++) {
		printf(i ? "," : "");
		json_string(stdout, in->elf.kfuncs[i]);
	}
	printf("],\"init_declares\":{\"trap_windows\":%s,\"vendor_regions\":%s},\"maps\":[",
	       in->trap_windows ? "true" : "false", in->regions ? "true" : "false");
	sep = "";
	bpf_object__for_each_map(map, obj) {
		if (bpf_map__type(map) == BPF_MAP_TYPE_STRUCT_OPS)
			continue;
		printf("%s", sep);
		json_string(stdout, bpf_map__name(map));
		sep = ",";
	}
	printf("],\"license\":");
	json_string(stdout, in->elf.license[0] ? in->elf.license : NULL);
	printf("}\n");
}

int cmd_inspect_object(const struct load_opts *opts)
{
	struct inspection in = { .path = opts->object };
	struct bpf_object *obj;
	struct bpf_map *ops_map;
	int ret;

	obj = bpf_object__open_file(in.path, NULL);
	if (!obj)
		return fail("cannot open %s: %s", in.path, errstr(-errno));
	ret = ops_map_find(obj, in.path, &ops_map) ?:
	      ops_map_read(obj, in.path, ops_map, &in.ops) ?:
	      object_elf_read(in.path, obj, ops_map, &in.elf);
	if (!ret) {
		/* As vfmig-load names a program that leaves its name empty. */
		if (!in.ops.name[0])
			snprintf(in.ops.name, sizeof(in.ops.name), "%s", bpf_map__name(ops_map));
		in.trap_windows = calls(&in.elf, "bpf_vfmig_trap_window");
		in.regions = calls(&in.elf, "bpf_vfmig_region_add");
		if (opts->json)
			print_json(&in, obj);
		else
			print_text(&in, obj);
	}
	bpf_object__close(obj);
	return ret;
}
