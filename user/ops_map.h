/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The vfmig_ops struct_ops map of a vendor object: finding it and writing
 * its target before load.  Works on an opened, not yet loaded object, so
 * it needs neither the kernel nor the module.
 */
#ifndef VFMIG_OPS_MAP_H
#define VFMIG_OPS_MAP_H

#include <bpf/libbpf.h>

#include "vfmig.h"

/*
 * Finds the object's one struct_ops map whose value type is vfmig_ops.
 * Returns 0, or EXIT_FAIL after saying what is wrong with @path.
 */
int ops_map_find(struct bpf_object *obj, const char *path,
		 struct bpf_map **ops_map);

/*
 * Writes @bdf into the map's bdf member and, when the program left name
 * empty, the map's name into name; copies the resulting name to @name.
 * Returns 0, or EXIT_FAIL after saying what is wrong with @path.
 */
int ops_map_set_target(struct bpf_object *obj, const char *path,
		       struct bpf_map *ops_map, const char *bdf,
		       char name[VFMIG_NAME_LEN]);

#endif /* VFMIG_OPS_MAP_H */
