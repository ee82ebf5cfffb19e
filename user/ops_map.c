// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <string.h>

#include <bpf/btf.h>

#include "ops_map.h"
#include "report.h"

/* The vfmig_ops type of a struct_ops map, or NULL for another type. */
static const struct btf_type *ops_type(struct bpf_object *obj,
				       const struct bpf_map *map)
{
	struct btf *btf = bpf_object__btf(obj);
	const struct btf_type *type;

	if (!btf || bpf_map__type(map) != BPF_MAP_TYPE_STRUCT_OPS)
		return NULL;
	type = btf__type_by_id(btf, bpf_map__btf_value_type_id(map));
	if (!type || !btf_is_struct(type) ||
	    strcmp(btf__name_by_offset(btf, type->name_off), VFMIG_OPS_TYPE))
		return NULL;
	return type;
}

int ops_map_find(struct bpf_object *obj, const char *path,
		 struct bpf_map **ops_map)
{
	struct bpf_map *map;
	int found = 0;

	bpf_object__for_each_map(map, obj) {
		if (bpf_map__type(map) != BPF_MAP_TYPE_STRUCT_OPS)
			continue;
		if (!ops_type(obj, map))
			return fail("%s: struct_ops map %s is not a " VFMIG_OPS_TYPE
				    " (" PROG_NAME " attaches " VFMIG_OPS_TYPE " only)",
				    path, bpf_map__name(map));
		*ops_map = map;
		found++;
	}
	if (found == 0)
		return fail("%s has no " VFMIG_OPS_TYPE " struct_ops map (declare one"
			    " with VFMIG_OPS(...) from include/vfmig.bpf.h)", path);
	if (found > 1)
		return fail("%s has %d " VFMIG_OPS_TYPE " struct_ops maps (one object"
			    " serves one device: keep one VFMIG_OPS(...))", path, found);
	return 0;
}

/* A data member of vfmig_ops: where it is and how big, or -1 if absent. */
struct ops_member {
	long offset;
	long size;
};

static struct ops_member find_member(const struct btf *btf,
				     const struct btf_type *type,
				     const char *name)
{
	const struct btf_member *member = btf_members(type);

	for (int i = 0; i < btf_vlen(type); i++, member++) {
		if (strcmp(btf__name_by_offset(btf, member->name_off), name))
			continue;
		return (struct ops_member){
			.offset = btf_member_bit_offset(type, i) / 8,
			.size = btf__resolve_size(btf, member->type),
		};
	}
	return (struct ops_member){ -1, -1 };
}

/* Looks a member up and checks it lies in @data_size and holds @min_size. */
static int member_at(struct bpf_object *obj, const struct btf_type *type,
		     const char *path, const char *name, size_t min_size,
		     size_t data_size, struct ops_member *member)
{
	*member = find_member(bpf_object__btf(obj), type, name);
	if (member->offset < 0 || member->size < (long)min_size ||
	    (size_t)(member->offset + member->size) > data_size)
		return fail("%s: " VFMIG_OPS_TYPE " has no usable %s member"
			    " (rebuild it against the vmlinux.h of this vfmig.ko)",
			    path, name);
	return 0;
}

int ops_map_set_target(struct bpf_object *obj, const char *path,
		       struct bpf_map *ops_map, const char *bdf,
		       char name[VFMIG_NAME_LEN])
{
	const struct btf_type *type = ops_type(obj, ops_map);
	struct ops_member bdf_member, name_member, flags_member;
	unsigned int flags;
	size_t data_size;
	char *data;

	data = type ? bpf_map__initial_value(ops_map, &data_size) : NULL;
	if (!data)
		return fail("%s: cannot read the data of map %s",
			    path, bpf_map__name(ops_map));
	if (member_at(obj, type, path, "bdf", VFMIG_BDF_LEN, data_size, &bdf_member) ||
	    member_at(obj, type, path, "name", VFMIG_NAME_LEN, data_size, &name_member) ||
	    member_at(obj, type, path, "flags", sizeof(flags), data_size, &flags_member))
		return EXIT_FAIL;

	memcpy(&flags, data + flags_member.offset, sizeof(flags));
	if (flags & ~(VFMIG_F_P2P | VFMIG_F_PRE_COPY | VFMIG_F_DIRTY_LOG))
		return fail("%s sets " VFMIG_OPS_TYPE ".flags to %#x (known: "
			    "VFMIG_F_P2P 0x1, VFMIG_F_PRE_COPY 0x2, VFMIG_F_DIRTY_LOG 0x4)", path, flags);

	memset(data + bdf_member.offset, 0, bdf_member.size);
	strcpy(data + bdf_member.offset, bdf);

	/* The kernel wants a NUL inside name: cut a name that fills it. */
	data[name_member.offset + VFMIG_NAME_LEN - 1] = '\0';
	if (!data[name_member.offset])
		strncpy(data + name_member.offset, bpf_map__name(ops_map),
			VFMIG_NAME_LEN - 1);
	memcpy(name, data + name_member.offset, VFMIG_NAME_LEN);
	return 0;
}
