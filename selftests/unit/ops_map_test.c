// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Object inspection: works on the host, no kernel type needed. */
#include <limits.h>
#include <stdio.h>

#include "ops_map.h"
#include "unit.h"

/* The layout of struct vfmig_ops in test_object.bpf.c. */
#define BDF_OFFSET	0
#define NAME_OFFSET	16

/* Opens a test object, aims it at 0000:3b:00.1, checks what was written. */
static void expect_target(const char *object, const char *want_name)
{
	char path[PATH_MAX], name[VFMIG_NAME_LEN] = "";
	struct bpf_object *obj;
	struct bpf_map *map;
	const char *data;
	size_t size;

	snprintf(path, sizeof(path), "%s/%s", unit_objects, object);
	obj = bpf_object__open_file(path, NULL);
	if (!ASSERT_TRUE(obj))
		return;
	if (ASSERT_INT(ops_map_find(obj, path, &map), 0) &&
	    ASSERT_INT(ops_map_set_target(obj, path, map, "0000:3b:00.1", false, name), 0)) {
		ASSERT_STR(name, want_name);
		data = bpf_map__initial_value(map, &size);
		ASSERT_STR(data + BDF_OFFSET, "0000:3b:00.1");
		ASSERT_STR(data + NAME_OFFSET, want_name);
	}
	bpf_object__close(obj);
}

TEST(ops_map_target_written)
{
	expect_target("ops.bpf.o", "test_ops");	/* named after the map */
}

TEST(ops_map_keeps_program_name)
{
	expect_target("named.bpf.o", "vendor_name");
}
