/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The vfmig_ops struct_ops map of a vendor object: finding it and writing
 * its target before load.  Works on an opened, not yet loaded object, so
 * it needs neither the kernel nor the module.
 */
#ifndef VFMIG_OPS_MAP_H
#define VFMIG_OPS_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <bpf/libbpf.h>

#include "vfmig.h"

/*
 * Finds the object's one struct_ops map whose value type is vfmig_ops.
 * Returns 0, or EXIT_FAIL after saying what is wrong with @path.
 */
int ops_map_find(struct bpf_object *obj, const char *path,
		 struct bpf_map **ops_map);

/*
 * Writes @bdf into the map's bdf member, @any_device into any_device (the
 * operator forces an object that declares no ids) and, when the program
 * left name empty, the map's name into name; copies the resulting name to
 * @name.  Returns 0, or EXIT_FAIL after saying what is wrong with @path.
 */
int ops_map_set_target(struct bpf_object *obj, const char *path,
		       struct bpf_map *ops_map, const char *bdf,
		       bool any_device, char name[VFMIG_NAME_LEN]);

/* An entry of vfmig_ops.ids, as the module's struct vfmig_pci_id. */
struct ops_pci_id {
	__u32 vendor;
	__u32 device;
	__u32 subvendor;
	__u32 subdevice;
	__u32 class;
	__u32 class_mask;
};

/* What the data of a vfmig_ops map declares. */
struct ops_info {
	char name[VFMIG_NAME_LEN];	/* "" until the loader names it */
	__u32 flags;
	__u32 version;
	__u32 min_version;		/* as declared: 0 means version */
	__u32 abi;			/* vfmig ABI it needs: 0 means 1 */
	unsigned int nr_ids;
	struct ops_pci_id ids[VFMIG_MAX_IDS];
};

/*
 * Reads the declarations of the map's data (members an older object lacks
 * read as 0).  Returns 0, or EXIT_FAIL after saying what is wrong.
 */
int ops_map_read(struct bpf_object *obj, const char *path,
		 const struct bpf_map *ops_map, struct ops_info *info);

/*
 * Where member @name of the object's vfmig_ops lies in the map's data:
 * its offset, and its size in *@size; -1 when it has none.
 */
long ops_map_member_offset(struct bpf_object *obj, const struct bpf_map *ops_map,
			   const char *name, long *size);

/* The vfmig_ops member at byte @offset of the map's data, or NULL. */
const char *ops_map_member_name(struct bpf_object *obj,
				const struct bpf_map *ops_map, long offset);

/* The names of vfmig_ops.flags, space separated ("p2p pre-copy"), or "none". */
void ops_flags_text(__u32 flags, char *buf, size_t size);
/* The same as a JSON array. */
void ops_flags_json(FILE *out, __u32 flags);

/* A PCI function as sysfs shows it. */
struct pci_function_id {
	__u32 vendor;
	__u32 device;
	__u32 subvendor;
	__u32 subdevice;
	__u32 class;
};

/* Does @id match @fn, as the kernel's pci_match_one_device()? */
bool ops_id_matches(const struct ops_pci_id *id, const struct pci_function_id *fn);
/* "8086:10ca", "8086:10ca sub 8086:0000", "class 020000/ffff00" ... */
void ops_id_format(const struct ops_pci_id *id, char *buf, size_t size);

#endif /* VFMIG_OPS_MAP_H */
