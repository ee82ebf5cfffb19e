// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * replace-test BDF OLD.bpf.o NEW.bpf.o PIN: attach OLD to BDF, then swap
 * NEW in with bpf_link_update() on the same link (the module's .update),
 * pin the link at PIN and exit, so the VM test can look at the device.
 *
 * One process does both loads: libbpf builds a struct_ops map's kernel
 * value only in the process that attaches it, so this is the plain libbpf
 * way; `vfmig-load replace` rebuilds that value itself (user/replace.c).
 */
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>

/* The object's vfmig_ops map, with the target written into .bdf, which
 * is the first member of struct vfmig_ops (the ABI says so). */
static struct bpf_map *open_ops(const char *path, const char *bdf,
				struct bpf_object **obj)
{
	struct bpf_map *map;
	size_t size;
	char *data;

	*obj = bpf_object__open_file(path, NULL);
	if (!*obj)
		return NULL;
	bpf_object__for_each_map(map, *obj) {
		if (bpf_map__type(map) != BPF_MAP_TYPE_STRUCT_OPS)
			continue;
		data = bpf_map__initial_value(map, &size);
		if (!data || size < 16)
			return NULL;
		memset(data, 0, 16);
		strncpy(data, bdf, 15);
		return bpf_object__load(*obj) ? NULL : map;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct bpf_object *old_obj, *new_obj;
	struct bpf_map *old_map, *new_map;
	struct bpf_link *link;
	int err;

	if (argc != 5) {
		fprintf(stderr, "usage: replace-test BDF OLD.bpf.o NEW.bpf.o PIN\n");
		return 2;
	}
	old_map = open_ops(argv[2], argv[1], &old_obj);
	new_map = open_ops(argv[3], argv[1], &new_obj);
	if (!old_map || !new_map) {
		fprintf(stderr, "replace-test: cannot load the objects\n");
		return 1;
	}
	link = bpf_map__attach_struct_ops(old_map);
	if (!link) {
		perror("replace-test: attach");
		return 1;
	}
	err = bpf_link__update_map(link, new_map);
	if (err) {
		fprintf(stderr, "replace-test: update: %s\n", strerror(-err));
		return 1;
	}
	err = bpf_link__pin(link, argv[4]);
	if (err) {
		fprintf(stderr, "replace-test: pin: %s\n", strerror(-err));
		return 1;
	}
	printf("replaced %s with %s on %s\n", argv[2], argv[3], argv[1]);
	return 0;
}
