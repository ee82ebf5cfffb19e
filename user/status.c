// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * status: every device that is bound to vfmig-pci or has pins, read from
 * sysfs and bpffs only, so it works long after the loader exited.  No
 * bpftool: 7.5 segfaults on module struct_ops.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "bdf.h"
#include "checks.h"
#include "commands.h"
#include "json.h"
#include "ops_map.h"
#include "pins.h"
#include "report.h"
#include "sysfs.h"

static const char *const counter_names[] = { "hooked", "passed", "failed" };
#define NR_COUNTERS	(sizeof(counter_names) / sizeof(counter_names[0]))

struct device_status {
	char bdf[VFMIG_BDF_LEN];
	char driver[NAME_MAX + 1];		/* "" when unbound */
	bool bound_to_vfmig;			/* has the vfmig attributes */
	char program[VFMIG_NAME_LEN + 1];	/* "" when none */
	char pin_dir[PATH_MAX];
	struct dirent **pins;			/* the link and the maps */
	int nr_pins;				/* < 0: no pin directory */
	int link_err;				/* 0, -ENOENT (no pin), -errno */
	__u32 link_id, map_id;			/* map_id 0: unknown */
	bool counter_valid[NR_COUNTERS];
	unsigned long long counters[NR_COUNTERS];
	/* From .../vfmig/: "" when unreadable or empty. */
	char program_version[32];	/* "VERSION MIN_VERSION" */
	char program_flags[16];		/* "0x7" */
	char migration_state[32];
	char last_error[256];
	bool dirty_valid;
	unsigned long long dirty_marked;
	/* The programs' last messages, "SEQ program: text" lines. */
	char messages[VFMIG_LOG_RING * (VFMIG_NAME_LEN + VFMIG_LOG_LEN + 24)];
	int nr_messages;
};

/* Messages the text output shows; --json gives all the module keeps. */
#define STATUS_MESSAGES	5


typedef char bdf_t[VFMIG_BDF_LEN];

static int compare_bdfs(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Appends the entries of @dir that are canonical BDFs or their pin dirs. */
static int add_bdfs_in(const char *dir, bdf_t **bdfs, int *count)
{
	struct dirent **names;
	int nr_names;
	bdf_t bdf;

	nr_names = scan_names(dir, &names);
	if (nr_names == -ENOENT)
		return 0;
	if (nr_names < 0)
		return nr_names;
	for (int i = 0; i < nr_names; i++) {
		char pin_dir[BDF_PIN_LEN];
		bdf_t *grown;

		if (bdf_parse(names[i]->d_name, bdf)) {
			/* A pin dir: 0000:3b:00_1 for 0000:3b:00.1 */
			char *sep = strrchr(names[i]->d_name, '_');

			if (!sep || strlen(sep) != 2)
				continue;
			*sep = '.';
			if (bdf_parse(names[i]->d_name, bdf))
				continue;
			*sep = '_';
		}
		pin_dir_name(pin_dir, bdf);
		if (strcmp(bdf, names[i]->d_name) && strcmp(pin_dir, names[i]->d_name))
			continue;	/* "bind", "new_id", ... */
		grown = realloc(*bdfs, (*count + 1) * sizeof(bdf_t));
		if (!grown) {
			free_names(names, nr_names);
			return -ENOMEM;
		}
		*bdfs = grown;
		memcpy((*bdfs)[(*count)++], bdf, sizeof(bdf_t));
	}
	free_names(names, nr_names);
	return 0;
}

/* The devices bound to vfmig-pci or with pins, sorted, each once. */
static int list_devices(bdf_t **bdfs, int *count)
{
	char driver_dir[PATH_MAX], pin_root[PATH_MAX];
	int unique = 0, err;

	*bdfs = NULL;
	*count = 0;
	err = sysfs_path(driver_dir, "bus/pci/drivers/%s", VFMIG_DRIVER_NAME) ?:
	      add_bdfs_in(driver_dir, bdfs, count) ?:
	      pin_root_path(pin_root) ?:
	      add_bdfs_in(pin_root, bdfs, count);
	if (err)
		return err;
	qsort(*bdfs, *count, sizeof(bdf_t), compare_bdfs);
	for (int i = 0; i < *count; i++)
		if (!unique || strcmp((*bdfs)[unique - 1], (*bdfs)[i]))
			memcpy((*bdfs)[unique++], (*bdfs)[i], sizeof(bdf_t));
	*count = unique;
	return 0;
}

static void read_link(struct device_status *st)
{
	struct bpf_link_info info = { 0 };
	__u32 len = sizeof(info);
	char path[PATH_MAX];
	int fd;

	st->link_err = pin_path(path, st->bdf, PIN_LINK);
	if (st->link_err)
		return;
	if (access(path, F_OK)) {
		st->link_err = -errno;
		return;
	}
	fd = bpf_obj_get(path);
	if (fd < 0) {
		st->link_err = -errno;
		return;
	}
	if (bpf_link_get_info_by_fd(fd, &info, &len)) {
		st->link_err = -errno;
	} else {
		st->link_id = info.id;
		if (info.type == BPF_LINK_TYPE_STRUCT_OPS)
			st->map_id = info.struct_ops.map_id;
	}
	close(fd);
}

/* An attribute of .../vfmig/, "" when it cannot be read. */
static void read_attr(const char *bdf, const char *name, char *value, size_t size)
{
	char path[PATH_MAX];

	if (sysfs_path(path, "bus/pci/devices/%s/" VFMIG_SYSFS_GROUP "/%s", bdf, name) ||
	    read_line(path, value, size))
		value[0] = '\0';
}

/* .../vfmig/messages whole; "" when it cannot be read (an older module). */
static void read_messages(struct device_status *st, const char *bdf)
{
	char path[PATH_MAX];
	size_t n = 0;
	FILE *f;

	st->messages[0] = '\0';
	if (sysfs_path(path, "bus/pci/devices/%s/" VFMIG_SYSFS_GROUP "/messages", bdf))
		return;
	f = fopen(path, "r");
	if (!f)
		return;
	n = fread(st->messages, 1, sizeof(st->messages) - 1, f);
	fclose(f);
	st->messages[n] = '\0';
	for (size_t i = 0; i < n; i++)
		st->nr_messages += st->messages[i] == '\n';
}

/* Each message line from the @skip-th on, without its newline. */
static void for_each_message(const struct device_status *st, int skip,
			     void (*fn)(const char *line, int len, bool first))
{
	const char *line = st->messages, *nl;
	bool first = true;

	for (int i = 0; (nl = strchr(line, '\n')); i++, line = nl + 1) {
		if (i < skip)
			continue;
		fn(line, nl - line, first);
		first = false;
	}
}

static void print_message_text(const char *line, int len, bool first)
{
	printf("  %s %.*s\n", first ? "messages " : "         ", len, line);
}

static void print_message_json(const char *line, int len, bool first)
{
	char text[VFMIG_NAME_LEN + VFMIG_LOG_LEN + 24];

	snprintf(text, sizeof(text), "%.*s", len, line);
	fputs(first ? "" : ",", stdout);
	json_string(stdout, text);
}

static void read_status(struct device_status *st, const char *bdf)
{
	memset(st, 0, sizeof(*st));
	strcpy(st->bdf, bdf);
	device_driver(bdf, st->driver, sizeof(st->driver));
	st->bound_to_vfmig = !device_program(bdf, st->program, sizeof(st->program));
	if (!st->bound_to_vfmig)
		st->program[0] = '\0';
	for (size_t i = 0; i < NR_COUNTERS; i++)
		st->counter_valid[i] = !device_counter(bdf, counter_names[i],
							&st->counters[i]);
	st->nr_pins = pin_path(st->pin_dir, bdf, NULL) ?: scan_names(st->pin_dir, &st->pins);
	read_link(st);
	if (st->bound_to_vfmig) {
		read_attr(bdf, "program_version", st->program_version,
			  sizeof(st->program_version));
		read_attr(bdf, "program_flags", st->program_flags, sizeof(st->program_flags));
		read_attr(bdf, "migration_state", st->migration_state,
			  sizeof(st->migration_state));
		read_attr(bdf, "last_error", st->last_error, sizeof(st->last_error));
		st->dirty_valid = !device_counter(bdf, "dirty_marked", &st->dirty_marked);
		read_messages(st, bdf);
	}
}

static void free_status(struct device_status *st)
{
	if (st->nr_pins >= 0)
		free_names(st->pins, st->nr_pins);
}

/* The pins other than the link: the object's maps. */
static bool is_map_pin(const struct device_status *st, int i)
{
	return strcmp(st->pins[i]->d_name, PIN_LINK);
}

static void print_text(const struct device_status *st)
{
	const char *sep = "";

	printf("%s\n", st->bdf);
	printf("  driver    %s\n", st->driver[0] ? st->driver : "(none)");
	printf("  program   %s", !st->bound_to_vfmig ? "(not bound to " VFMIG_DRIVER_NAME ")" :
				 st->program[0] ? st->program : "(none)");
	if (st->program[0] && st->program_version[0] && st->program_flags[0]) {
		unsigned int version = 0, min_version = 0;
		char flags[64];

		sscanf(st->program_version, "%u %u", &version, &min_version);
		ops_flags_text(strtoul(st->program_flags, NULL, 16), flags, sizeof(flags));
		printf(" (version %u, loads %u to %u; flags %s)", version, min_version,
		       version, flags);
	}
	printf("\n");
	if (st->migration_state[0])
		printf("  migration %s\n", st->migration_state);
	if (st->last_error[0])
		printf("  error     %s\n", st->last_error);
	if (st->dirty_valid)
		printf("  dirty     %llu pages marked since open\n", st->dirty_marked);
	for_each_message(st, st->nr_messages - STATUS_MESSAGES, print_message_text);
	if (!st->link_err)
		printf("  link      %u (struct_ops map %u)\n", st->link_id, st->map_id);
	else if (st->link_err == -ENOENT)
		printf("  link      (not pinned)\n");
	else
		printf("  link      (unreadable: %s)\n", errstr(st->link_err));
	if (st->nr_pins > 0) {
		printf("  pinned    %s:", st->pin_dir);
		for (int i = 0; i < st->nr_pins; i++)
			printf(" %s", st->pins[i]->d_name);
		printf("\n");
	} else {
		printf("  pinned    (nothing)\n");
	}
	printf("  accesses  ");
	for (size_t i = 0; i < NR_COUNTERS; i++) {
		if (!st->counter_valid[i])
			continue;
		printf("%s%s %llu", sep, counter_names[i], st->counters[i]);
		sep = ", ";
	}
	printf("%s\n", sep[0] ? "" : "(no counters)");
}

/* The program's version and flags, the migration state and errors. */
static void print_json_program(const struct device_status *st)
{
	unsigned int version = 0, min_version = 0;
	bool known = st->program[0] &&
		     sscanf(st->program_version, "%u %u", &version, &min_version) == 2;
	unsigned long flags = strtoul(st->program_flags, NULL, 16);

	fputs(",\"version\":", stdout);
	json_number(stdout, version, known);
	fputs(",\"min_version\":", stdout);
	json_number(stdout, min_version, known);
	fputs(",\"flags\":", stdout);
	if (st->program[0] && st->program_flags[0])
		ops_flags_json(stdout, flags);
	else
		fputs("null", stdout);
	fputs(",\"migration_state\":", stdout);
	json_string(stdout, st->migration_state[0] ? st->migration_state : NULL);
	fputs(",\"last_error\":", stdout);
	json_string(stdout, st->last_error[0] ? st->last_error : NULL);
	fputs(",\"dirty_marked\":", stdout);
	json_number(stdout, st->dirty_marked, st->dirty_valid);
	fputs(",\"messages\":[", stdout);
	for_each_message(st, 0, print_message_json);
	fputs("]", stdout);
}

static void print_json(const struct device_status *st)
{
	bool first = true;

	fputs("{\"bdf\":", stdout);
	json_string(stdout, st->bdf);
	fputs(",\"driver\":", stdout);
	json_string(stdout, st->driver[0] ? st->driver : NULL);
	fputs(",\"program\":", stdout);
	json_string(stdout, st->program[0] ? st->program : NULL);
	fputs(",\"link_id\":", stdout);
	json_number(stdout, st->link_id, !st->link_err);
	fputs(",\"map_id\":", stdout);
	json_number(stdout, st->map_id, !st->link_err && st->map_id);
	fputs(",\"pin_dir\":", stdout);
	json_string(stdout, st->nr_pins >= 0 ? st->pin_dir : NULL);
	fputs(",\"maps\":[", stdout);
	for (int i = 0; i < st->nr_pins; i++) {
		if (!is_map_pin(st, i))
			continue;
		fputs(first ? "" : ",", stdout);
		json_string(stdout, st->pins[i]->d_name);
		first = false;
	}
	fputs("]", stdout);
	for (size_t i = 0; i < NR_COUNTERS; i++) {
		printf(",\"%s\":", counter_names[i]);
		json_number(stdout, st->counters[i], st->counter_valid[i]);
	}
	print_json_program(st);
	fputs("}", stdout);
}

int cmd_status(const struct load_opts *opts)
{
	const char *bdf = opts->bdf;
	bool json = opts->json;
	struct device_status st;
	bdf_t *bdfs = NULL;
	int count = 0, err;

	if (bdf[0]) {
		char dir[PATH_MAX];

		/* Pins of a device that went away are still worth showing. */
		if (pin_path(dir, bdf, NULL) || access(dir, F_OK)) {
			err = check_device(bdf);
			if (err)
				return err;
		}
		bdfs = malloc(sizeof(bdf_t));
		if (!bdfs)
			return fail("out of memory");
		strcpy(bdfs[0], bdf);
		count = 1;
	} else {
		err = list_devices(&bdfs, &count);
		if (err)
			return fail("cannot list devices: %s", errstr(err));
	}

	if (json)
		fputs("[", stdout);
	else if (!count)
		printf("no device is bound to " VFMIG_DRIVER_NAME " or has pins%s\n",
		       module_loaded() ? "" : " (vfmig module not loaded)");
	for (int i = 0; i < count; i++) {
		read_status(&st, bdfs[i]);
		if (json) {
			fputs(i ? ",\n " : "", stdout);
			print_json(&st);
		} else {
			print_text(&st);
		}
		free_status(&st);
	}
	if (json)
		fputs("]\n", stdout);
	free(bdfs);
	return 0;
}
