/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What a vendor object's ELF says that libbpf does not: which callbacks its
 * vfmig_ops sets, its license, the vfmig kfuncs it calls.  For
 * `vfmig-load inspect`, on the file alone.
 */
#ifndef VFMIG_OBJECT_ELF_H
#define VFMIG_OBJECT_ELF_H

#include <bpf/libbpf.h>

#define OBJECT_MAX_CALLBACKS	32
#define OBJECT_MAX_KFUNCS	32
#define OBJECT_NAME_LEN		64

struct object_callback {
	char member[OBJECT_NAME_LEN];	/* of vfmig_ops: "init" */
	char function[OBJECT_NAME_LEN];	/* the program: "edu_init" */
	bool sleepable;			/* in a struct_ops.s/ section */
};

struct object_elf {
	char license[128];		/* "" when the object has none */
	unsigned int nr_callbacks;
	struct object_callback callbacks[OBJECT_MAX_CALLBACKS];
	unsigned int nr_kfuncs;
	char kfuncs[OBJECT_MAX_KFUNCS][OBJECT_NAME_LEN];
};

/*
 * Reads @path (opened as @obj, whose vfmig_ops map is @ops_map).  Returns 0,
 * or EXIT_FAIL after saying what is wrong.
 */
int object_elf_read(const char *path, struct bpf_object *obj,
		    const struct bpf_map *ops_map, struct object_elf *out);

#endif /* VFMIG_OBJECT_ELF_H */
