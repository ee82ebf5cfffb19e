// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* /etc/vfmig/devices.conf: which line serves a device, and bad lines. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "config.h"
#include "ops_map.h"
#include "unit.h"

static const struct pci_function_id igbvf = {
	.vendor = 0x8086, .device = 0x10ca, .subvendor = 0x8086, .subdevice = 0x0001,
	.class = 0x020000,
};

/* Writes @text to a temporary file; its path in @path. */
static bool config_file(char path[64], const char *text)
{
	FILE *f;
	int fd;

	snprintf(path, 64, "/tmp/vfmig-config.XXXXXX");
	fd = mkstemp(path);
	f = fd < 0 ? NULL : fdopen(fd, "w");
	if (!ASSERT_TRUE(f))
		return false;
	fputs(text, f);
	fclose(f);
	return true;
}

TEST(config_bdf_wins_over_ids)
{
	char path[64], program[PATH_MAX];

	if (!config_file(path, "# comment\n\n8086:10ca /ids.bpf.o\n"
			 "0000:3b:10.0\t/bdf.bpf.o  # this one\n"))
		return;
	ASSERT_INT(config_lookup(path, "0000:3b:10.0", &igbvf, program), 0);
	ASSERT_STR(program, "/bdf.bpf.o");
	ASSERT_INT(config_lookup(path, "0000:3b:10.1", &igbvf, program), 0);
	ASSERT_STR(program, "/ids.bpf.o");
	unlink(path);
}

TEST(config_first_id_match)
{
	char path[64], program[PATH_MAX];
	struct pci_function_id other = igbvf;

	if (!config_file(path, "8086:10ca:8086:0002 /sub2.bpf.o\n8086:10ca:8086:0001 /sub1.bpf.o\n"
			 "8086:10ca /any.bpf.o\n3b:10.0 /short-bdf.bpf.o\n"))
		return;
	ASSERT_INT(config_lookup(path, "0000:3b:00.0", &igbvf, program), 0);
	ASSERT_STR(program, "/sub1.bpf.o");
	other.subdevice = 7;
	ASSERT_INT(config_lookup(path, "0000:3b:00.0", &other, program), 0);
	ASSERT_STR(program, "/any.bpf.o");
	ASSERT_INT(config_lookup(path, "0000:3b:10.0", &other, program), 0);
	ASSERT_STR(program, "/short-bdf.bpf.o");
	other.device = 0x10c9;
	ASSERT_INT(config_lookup(path, "0000:3b:00.0", &other, program), -ENOENT);
	unlink(path);
}

TEST(config_errors)
{
	char path[64], program[PATH_MAX];
	static const char *const bad[] = {
		"8086:10ca relative.bpf.o\n",	/* not absolute */
		"8086:10ca\n",			/* no program */
		"8086:10ca /a.bpf.o /b.bpf.o\n",	/* two */
		"8086 /a.bpf.o\n",		/* neither BDF nor ids */
		"8086:10ca:1 /a.bpf.o\n",
		"0000:3b:20.0 /a.bpf.o\n",	/* device 0x20 */
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (!config_file(path, bad[i]))
			return;
		ASSERT_INT(config_lookup(path, "0000:3b:00.0", &igbvf, program), EXIT_FAILURE);
		unlink(path);
	}
	ASSERT_INT(config_lookup("/nonexistent/devices.conf", "0000:3b:00.0", &igbvf, program),
		   -ENOENT);
}
