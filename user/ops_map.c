// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdio.h>
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
		return fail("%s has no " VFMIG_OPS_TYPE " struct_ops map (declare one with VFMIG_OPS(...) from include/vfmig.bpf.h)",
			    path);
	if (found > 1)
		return fail("%s has %d " VFMIG_OPS_TYPE " struct_ops maps (one object serves one device: keep one VFMIG_OPS(...))",
			    path, found);
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

long ops_map_member_offset(struct bpf_object *obj, const struct bpf_map *ops_map,
			   const char *name, long *size)
{
	const struct btf_type *type = ops_type(obj, ops_map);
	struct ops_member m = { -1, -1 };

	if (type)
		m = find_member(bpf_object__btf(obj), type, name);
	*size = m.size;
	return m.offset;
}

const char *ops_map_member_name(struct bpf_object *obj,
				const struct bpf_map *ops_map, long offset)
{
	const struct btf_type *type = ops_type(obj, ops_map);
	const struct btf *btf = bpf_object__btf(obj);

	for (int i = 0; type && i < btf_vlen(type); i++)
		if (btf_member_bit_offset(type, i) == (__u32)offset * 8)
			return btf__name_by_offset(btf, btf_members(type)[i].name_off);
	return NULL;
}

/* Looks a member up and checks it lies in @data_size and holds @min_size. */
static int member_at(struct bpf_object *obj, const struct btf_type *type,
		     const char *path, const char *name, size_t min_size,
		     size_t data_size, struct ops_member *member)
{
	*member = find_member(bpf_object__btf(obj), type, name);
	if (member->offset < 0 || member->size < (long)min_size ||
	    (size_t)(member->offset + member->size) > data_size)
		return fail("%s: " VFMIG_OPS_TYPE " has no usable %s member (rebuild it against the vmlinux.h of this vfmig.ko)",
			    path, name);
	return 0;
}

/* The map's data and vfmig_ops type, or NULL after saying why. */
static char *ops_data(struct bpf_object *obj, const char *path,
		      const struct bpf_map *ops_map,
		      const struct btf_type **type, size_t *data_size)
{
	char *data;

	*type = ops_type(obj, ops_map);
	data = *type ? bpf_map__initial_value((struct bpf_map *)ops_map, data_size) : NULL;
	if (!data)
		fail("%s: cannot read the data of map %s", path, bpf_map__name(ops_map));
	return data;
}

/* A __u32 member, 0 when an older object has none. */
static __u32 read_u32(struct bpf_object *obj, const struct btf_type *type,
		      const char *data, size_t data_size, const char *name)
{
	struct ops_member m = find_member(bpf_object__btf(obj), type, name);
	__u32 value = 0;

	if (m.offset >= 0 && m.size == sizeof(value) &&
	    (size_t)m.offset + sizeof(value) <= data_size)
		memcpy(&value, data + m.offset, sizeof(value));
	return value;
}

int ops_map_read(struct bpf_object *obj, const char *path,
		 const struct bpf_map *ops_map, struct ops_info *info)
{
	const struct btf_type *type;
	struct ops_member name, ids;
	size_t data_size;
	char *data;

	memset(info, 0, sizeof(*info));
	data = ops_data(obj, path, ops_map, &type, &data_size);
	if (!data)
		return EXIT_FAIL;
	if (member_at(obj, type, path, "name", VFMIG_NAME_LEN, data_size, &name))
		return EXIT_FAIL;
	memcpy(info->name, data + name.offset, VFMIG_NAME_LEN - 1);
	info->flags = read_u32(obj, type, data, data_size, "flags");
	info->version = read_u32(obj, type, data, data_size, "version");
	info->min_version = read_u32(obj, type, data, data_size, "min_version");
	info->abi = read_u32(obj, type, data, data_size, "abi") ?: 1;

	ids = find_member(bpf_object__btf(obj), type, "ids");
	if (ids.offset < 0)
		return 0;	/* built before objects declared ids */
	if (ids.size != sizeof(info->ids) || (size_t)(ids.offset + ids.size) > data_size)
		return fail("%s: its " VFMIG_OPS_TYPE ".ids is not %d entries of 24 bytes (rebuild it against the vmlinux.h of this vfmig.ko)",
			    path, VFMIG_MAX_IDS);
	memcpy(info->ids, data + ids.offset, sizeof(info->ids));
	/* The kernel's end of the list: nothing to match on. */
	while (info->nr_ids < VFMIG_MAX_IDS &&
	       (info->ids[info->nr_ids].vendor || info->ids[info->nr_ids].subvendor ||
		info->ids[info->nr_ids].class_mask))
		info->nr_ids++;
	return 0;
}

static const struct {
	__u32 flag;
	const char *name;
} flag_names[] = {
	{ VFMIG_F_P2P, "p2p" },
	{ VFMIG_F_PRE_COPY, "pre-copy" },
	{ VFMIG_F_DIRTY_LOG, "dirty-log" },
};

#define NR_FLAGS	(sizeof(flag_names) / sizeof(flag_names[0]))

void ops_flags_text(__u32 flags, char *buf, size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < NR_FLAGS; i++)
		if (flags & flag_names[i].flag)
			used += snprintf(buf + used, used < size ? size - used : 0, "%s%s",
					 used ? " " : "", flag_names[i].name);
	if (!used)
		snprintf(buf, size, "none");
}

void ops_flags_json(FILE *out, __u32 flags)
{
	const char *sep = "";

	fputc('[', out);
	for (size_t i = 0; i < NR_FLAGS; i++)
		if (flags & flag_names[i].flag) {
			fprintf(out, "%s\"%s\"", sep, flag_names[i].name);
			sep = ",";
		}
	fputc(']', out);
}

static bool field_matches(__u32 want, __u32 have)
{
	return want == VFMIG_ANY_ID || want == have;
}

bool ops_id_matches(const struct ops_pci_id *id, const struct pci_function_id *fn)
{
	return field_matches(id->vendor, fn->vendor) &&
	       field_matches(id->device, fn->device) &&
	       field_matches(id->subvendor, fn->subvendor) &&
	       field_matches(id->subdevice, fn->subdevice) &&
	       !((id->class ^ fn->class) & id->class_mask);
}

/* Four hex digits, or "*" for any. */
static const char *hex_or_any(__u32 value, char buf[12])
{
	if (value == VFMIG_ANY_ID)
		return "*";
	snprintf(buf, 12, "%04x", value);
	return buf;
}

void ops_id_format(const struct ops_pci_id *id, char *buf, size_t size)
{
	char v[12], d[12], sv[12], sd[12];
	int n;

	n = snprintf(buf, size, "%s:%s", hex_or_any(id->vendor, v),
		     hex_or_any(id->device, d));
	if ((id->subvendor != VFMIG_ANY_ID || id->subdevice != VFMIG_ANY_ID) &&
	    n >= 0 && (size_t)n < size)
		n += snprintf(buf + n, size - n, " subsystem %s:%s",
			      hex_or_any(id->subvendor, sv), hex_or_any(id->subdevice, sd));
	if (id->class_mask && n >= 0 && (size_t)n < size)
		snprintf(buf + n, size - n, " class %06x/%06x", id->class, id->class_mask);
}

int ops_map_set_target(struct bpf_object *obj, const char *path,
		       struct bpf_map *ops_map, const char *bdf,
		       bool any_device, char name[VFMIG_NAME_LEN])
{
	struct ops_member bdf_member, name_member, flags_member, any_member;
	const struct btf_type *type;
	unsigned int flags;
	size_t data_size;
	char *data;
	__u32 any = any_device, budget;

	data = ops_data(obj, path, ops_map, &type, &data_size);
	if (!data)
		return EXIT_FAIL;
	if (member_at(obj, type, path, "bdf", VFMIG_BDF_LEN, data_size, &bdf_member) ||
	    member_at(obj, type, path, "name", VFMIG_NAME_LEN, data_size, &name_member) ||
	    member_at(obj, type, path, "flags", sizeof(flags), data_size, &flags_member))
		return EXIT_FAIL;

	memcpy(&flags, data + flags_member.offset, sizeof(flags));
	if (flags & ~(VFMIG_F_P2P | VFMIG_F_PRE_COPY | VFMIG_F_DIRTY_LOG))
		return fail("%s sets " VFMIG_OPS_TYPE ".flags to %#x (known: VFMIG_F_P2P 0x1, VFMIG_F_PRE_COPY 0x2, VFMIG_F_DIRTY_LOG 0x4)",
			    path, flags);

	budget = read_u32(obj, type, data, data_size, "wait_budget_ms");
	if (budget > VFMIG_WAIT_BUDGET_MS_MAX)
		return fail("%s sets " VFMIG_OPS_TYPE ".wait_budget_ms to %u: the kernel allows at most %u ms of waiting in one callback (0 for the default, %u)",
			    path, budget, VFMIG_WAIT_BUDGET_MS_MAX,
			    VFMIG_WAIT_BUDGET_MS_DEFAULT);

	memset(data + bdf_member.offset, 0, bdf_member.size);
	strcpy(data + bdf_member.offset, bdf);

	/* Only the operator forces: whatever the object says is overwritten. */
	any_member = find_member(bpf_object__btf(obj), type, "any_device");
	if (any_member.offset >= 0 && any_member.size == sizeof(any) &&
	    (size_t)any_member.offset + sizeof(any) <= data_size)
		memcpy(data + any_member.offset, &any, sizeof(any));

	/* The kernel wants a NUL inside name: cut a name that fills it. */
	data[name_member.offset + VFMIG_NAME_LEN - 1] = '\0';
	if (!data[name_member.offset])
		strncpy(data + name_member.offset, bpf_map__name(ops_map),
			VFMIG_NAME_LEN - 1);
	memcpy(name, data + name_member.offset, VFMIG_NAME_LEN);
	return 0;
}
