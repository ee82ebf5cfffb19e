// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * attach-test: attach a vfmig object with raw libbpf, not through
 * vfmig-load, so the tests reach the kernel's own refusals (vfmig-load
 * checks much of the same first) and can set a program's globals before
 * load (selftests/progs/test_hostile.bpf.c's return values, init's included).
 *
 *   attach-test [-d] [-n CYCLES] [-p DIR] [-r NEW.bpf.o] OBJ BDF [NAME=VALUE]...
 *   attach-test -s DIR OBJ BDF [NAME=VALUE]...
 *
 * NAME=VALUE sets a global variable of OBJ (in .bss or .data) before load;
 * ops.NAME=VALUE a 32-bit data member of its vfmig_ops (wait_budget_ms).
 * Prints "attach: ok" or "attach: error: ENAME" (or "load: error: ENAME"
 * when the object did not load); with -r, then updates the
 * link to NEW (bpf_link_update, the module's .update) and prints "replace:
 * ...".  With -p, pins the link at DIR/link and OBJ's global data at
 * DIR/bss (NEW's at DIR/new_bss) and exits, leaving the program attached;
 * without, the link goes when the process exits.  Exit status 0 when the
 * operations ran, whatever the kernel answered; 1 when they could not.
 * The global data is pinned before the attach, so a test can read what
 * exit() of a refused init() wrote.  With -d, the process becomes user
 * nobody with only CAP_BPF and CAP_PERFMON after loading and before the
 * attach: what the BPF core asks of a struct_ops attach, which a BPF token
 * can also delegate.  With -n, the objects are loaded once and then
 * attached (replaced with NEW, with -r) and detached CYCLES times; prints
 * "cycles: N ok, M failed (ENAME)".
 * With -s, nothing is loaded or attached: the .bss pinned at DIR/bss by
 * an earlier -p run of OBJ is written with what a fresh load of OBJ with
 * these NAME=VALUEs would hold (every other global back to its initial
 * value), so a test can give an attached program new arguments without
 * another pass through the verifier (6-10 s each on the KASAN tier under
 * TCG); prints "set: ok" or "set: error: ENAME".
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <linux/capability.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#define BDF_LEN 16	/* struct vfmig_ops::bdf, its first member */

static const char *errname(int err)
{
	const char *name = strerrorname_np(err < 0 ? -err : err);

	return name ? name : "unknown";
}

/* Become nobody with CAP_BPF and CAP_PERFMON, and nothing else. */
static int drop_to_bpf_caps(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = { 0 };
	const int caps[] = { CAP_BPF, CAP_PERFMON };

	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		data[CAP_TO_INDEX(caps[i])].permitted |= CAP_TO_MASK(caps[i]);
		data[CAP_TO_INDEX(caps[i])].effective |= CAP_TO_MASK(caps[i]);
	}
	if (prctl(PR_SET_KEEPCAPS, 1) || setgroups(0, NULL) ||
	    setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
		return -errno;
	return syscall(SYS_capset, &hdr, data) ? -errno : 0;
}

/* Set global @name of @obj (not loaded yet) to @value. */
static int set_global(struct bpf_object *obj, const char *name,
		      long long value)
{
	struct btf *btf = bpf_object__btf(obj);
	static const char *const secs[] = { ".bss", ".data" };

	for (size_t s = 0; btf && s < sizeof(secs) / sizeof(secs[0]); s++) {
		int id = btf__find_by_name_kind(btf, secs[s], BTF_KIND_DATASEC);
		const struct btf_var_secinfo *vs;
		const struct btf_type *sec;
		struct bpf_map *map;

		if (id < 0)
			continue;
		sec = btf__type_by_id(btf, id);
		vs = btf_var_secinfos(sec);
		for (int i = 0; i < btf_vlen(sec); i++, vs++) {
			const struct btf_type *var = btf__type_by_id(btf, vs->type);
			size_t size;
			char *data;

			if (strcmp(btf__name_by_offset(btf, var->name_off), name))
				continue;
			bpf_object__for_each_map(map, obj) {
				const char *mname = bpf_map__name(map);
				size_t n = strlen(mname), l = strlen(secs[s]);

				if (n < l || strcmp(mname + n - l, secs[s]))
					continue;
				data = bpf_map__initial_value(map, &size);
				if (!data || vs->offset + vs->size > size)
					return -EINVAL;
				/* Little-endian: the low bytes of @value. */
				memcpy(data + vs->offset, &value,
				       vs->size < sizeof(value) ? vs->size : sizeof(value));
				return 0;
			}
		}
	}
	fprintf(stderr, "attach-test: no global %s\n", name);
	return -ENOENT;
}

/* Set 32-bit member @name of @ops' data (the vfmig_ops) to @value. */
static int set_ops_member(struct bpf_object *obj, struct bpf_map *ops,
			  const char *name, long long value)
{
	struct btf *btf = bpf_object__btf(obj);
	const struct btf_type *t;
	const struct btf_member *m;
	size_t size;
	char *data;
	__u32 v = value;

	t = btf ? btf__type_by_id(btf, bpf_map__btf_value_type_id(ops)) : NULL;
	data = bpf_map__initial_value(ops, &size);
	m = t ? btf_members(t) : NULL;
	for (int i = 0; m && data && i < btf_vlen(t); i++, m++) {
		size_t off = btf_member_bit_offset(t, i) / 8;

		if (strcmp(btf__name_by_offset(btf, m->name_off), name) ||
		    btf__resolve_size(btf, m->type) != sizeof(v) ||
		    off + sizeof(v) > size)
			continue;
		memcpy(data + off, &v, sizeof(v));
		return 0;
	}
	fprintf(stderr, "attach-test: no 32-bit vfmig_ops member %s\n", name);
	return -ENOENT;
}

/* Open @path, point its vfmig_ops at @bdf, set globals, load. */
static struct bpf_map *open_ops(const char *path, const char *bdf, int nset,
				char **sets, struct bpf_object **obj, int load)
{
	struct bpf_map *map, *ops = NULL;
	size_t size;
	char *data;

	*obj = bpf_object__open_file(path, NULL);
	if (!*obj)
		return NULL;
	bpf_object__for_each_map(map, *obj)
		if (bpf_map__type(map) == BPF_MAP_TYPE_STRUCT_OPS)
			ops = map;
	if (!ops)
		return NULL;
	data = bpf_map__initial_value(ops, &size);
	if (!data || size < BDF_LEN)
		return NULL;
	memset(data, 0, BDF_LEN);
	strncpy(data, bdf, BDF_LEN);	/* a malformed bdf may fill it */
	for (int i = 0; i < nset; i++) {
		char *eq = strchr(sets[i], '=');

		if (!eq)
			return NULL;
		*eq = '\0';
		if (!strncmp(sets[i], "ops.", 4) ?
		    set_ops_member(*obj, ops, sets[i] + 4, strtoll(eq + 1, NULL, 0)) :
		    set_global(*obj, sets[i], strtoll(eq + 1, NULL, 0)))
			return NULL;
	}
	if (!load)
		return ops;
	return bpf_object__load(*obj) ? NULL : ops;
}

/* Write @obj's .bss image (not loaded: its initial value) to DIR/bss. */
static int set_pinned_bss(struct bpf_object *obj, const char *dir)
{
	char path[4096];
	struct bpf_map *map;
	__u32 key = 0;
	size_t size;
	void *data;
	int fd, err;

	bpf_object__for_each_map(map, obj) {
		const char *mname = bpf_map__name(map);
		size_t n = strlen(mname);

		if (n < 4 || strcmp(mname + n - 4, ".bss"))
			continue;
		data = bpf_map__initial_value(map, &size);
		if (!data)
			return -EINVAL;
		snprintf(path, sizeof(path), "%s/bss", dir);
		fd = bpf_obj_get(path);
		if (fd < 0)
			return -errno;
		err = bpf_map_update_elem(fd, &key, data, 0) ? -errno : 0;
		close(fd);
		return err;
	}
	return -ENOENT;
}

static int pin_bss(struct bpf_object *obj, const char *dir, const char *name)
{
	char path[4096];
	struct bpf_map *map;

	bpf_object__for_each_map(map, obj) {
		const char *mname = bpf_map__name(map);
		size_t n = strlen(mname);

		if (n < 4 || strcmp(mname + n - 4, ".bss"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		return bpf_map__pin(map, path);
	}
	return 0;
}

/* Attach, replace (if @new_ops), detach, @n times; no verifier in between. */
static int attach_cycles(struct bpf_map *ops, struct bpf_map *new_ops, int n)
{
	int ok = 0, failed = 0, last = 0;

	for (int i = 0; i < n; i++) {
		struct bpf_link *link = bpf_map__attach_struct_ops(ops);
		int err = link ? 0 : -errno;

		if (!err && new_ops)
			err = bpf_link__update_map(link, new_ops);
		/* Closing defers the detach to a work item: detach now. */
		if (link && bpf_link_detach(bpf_link__fd(link)) && !err)
			err = -errno;
		if (link)
			bpf_link__destroy(link);
		if (err) {
			failed++;
			last = err;
		} else {
			ok++;
		}
	}
	printf("cycles: %d ok, %d failed (%s)\n", ok, failed,
	       failed ? errname(last) : "-");
	return 0;
}

int main(int argc, char **argv)
{
	const char *pin = NULL, *replace = NULL, *set = NULL;
	struct bpf_object *obj, *new_obj = NULL;
	struct bpf_map *ops, *new_ops = NULL;
	struct bpf_link *link;
	char path[4096];
	int opt, err, drop = 0, cycles = 0;

	while ((opt = getopt(argc, argv, "dn:p:r:s:")) != -1) {
		if (opt == 'd')
			drop = 1;
		else if (opt == 'n')
			cycles = atoi(optarg);
		else if (opt == 'p')
			pin = optarg;
		else if (opt == 'r')
			replace = optarg;
		else if (opt == 's')
			set = optarg;
		else
			return 1;
	}
	if (argc - optind < 2) {
		fprintf(stderr, "usage: attach-test [-d] [-n CYCLES] [-p DIR] [-r NEW.bpf.o] OBJ BDF [NAME=VALUE]...\n"
			"       attach-test -s DIR OBJ BDF [NAME=VALUE]...\n");
		return 1;
	}
	if (set) {
		if (!open_ops(argv[optind], argv[optind + 1], argc - optind - 2,
			      argv + optind + 2, &obj, 0))
			return 1;
		err = set_pinned_bss(obj, set);
		printf("set: %s%s\n", err ? "error: " : "ok",
		       err ? errname(err) : "");
		return 0;
	}
	ops = open_ops(argv[optind], argv[optind + 1], argc - optind - 2,
		       argv + optind + 2, &obj, 1);
	if (replace)
		new_ops = open_ops(replace, argv[optind + 1], 0, NULL, &new_obj, 1);
	if (!ops || (replace && !new_ops)) {
		/* A bdf the kernel refuses fails the load (init_member). */
		printf("load: error: %s\n", errname(errno));
		return 0;
	}

	/* Before the attach: exit() of a refused init() writes there too. */
	if (pin && (pin_bss(obj, pin, "bss") ||
		    (new_obj && pin_bss(new_obj, pin, "new_bss")))) {
		fprintf(stderr, "attach-test: cannot pin in %s\n", pin);
		return 1;
	}
	if (cycles)
		return attach_cycles(ops, new_ops, cycles);
	if (drop && drop_to_bpf_caps()) {
		fprintf(stderr, "attach-test: cannot drop privileges\n");
		return 1;
	}
	link = bpf_map__attach_struct_ops(ops);
	if (!link) {
		printf("attach: error: %s\n", errname(errno));
		return 0;
	}
	printf("attach: ok\n");
	if (replace) {
		err = bpf_link__update_map(link, new_ops);
		printf("replace: %s%s\n", err ? "error: " : "ok",
		       err ? errname(err) : "");
	}
	if (pin) {
		snprintf(path, sizeof(path), "%s/link", pin);
		err = bpf_link__pin(link, path);
		if (err) {
			fprintf(stderr, "attach-test: pin in %s: %s\n", pin,
				strerror(-err));
			return 1;
		}
	}
	return 0;
}
