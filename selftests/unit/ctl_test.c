// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * vfmig-ctl on this host, which has no vfmig device: its command line, the
 * commands that need no device (inspect, make-stream), and the device
 * commands' refusals up to opening /dev/vfio, against a fake sysfs
 * (VFMIG_SYSFS_ROOT).  The built vfmig-ctl sits beside vfmig-load.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <limits.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctl.h"
#include "stream.h"
#include "unit.h"
#include "vfio_dev.h"

#define BDF		"0000:00:04.0"
#define OUTPUT_MAX	8192
#define DIR_TEMPLATE	"/tmp/vfmig-ctl-unit.XXXXXX"

extern char **environ;

struct ctl_run {
	int status;		/* exit status, -1 if it did not exit */
	char out[OUTPUT_MAX];
	char err[OUTPUT_MAX];
};

static const struct vfmig_stream_expect edu = {
	.vendor = 0x1234, .device = 0x11e8,
	.subsystem_vendor = 0x1af4, .subsystem_device = 0x1100,
	.program = "edu", .program_version = 1,
};

static char work[sizeof(DIR_TEMPLATE)];	/* see work_dir() */

static int remove_entry(const char *path, const struct stat *st, int flag,
			struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static void remove_work(void)
{
	nftw(work, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* The directory of all tests' files, made at first use, removed at exit. */
static const char *work_dir(void)
{
	if (!work[0]) {
		strcpy(work, DIR_TEMPLATE);
		if (!ASSERT_TRUE(mkdtemp(work)))
			strcpy(work, "/nonexistent");	/* shorter */
		else
			atexit(remove_work);
	}
	return work;
}

/* WORK/NAME, in one of WORK_PATHS static buffers: the last ones stay valid. */
#define WORK_PATHS	8
static const char *work_path(const char *name)
{
	static char paths[WORK_PATHS][PATH_MAX];
	static unsigned int next;
	char *path = paths[next++ % WORK_PATHS];

	snprintf(path, PATH_MAX, "%s/%s", work_dir(), name);
	return path;
}

static void slurp(const char *path, char *text, size_t size)
{
	int fd = open(path, O_RDONLY);
	ssize_t len = fd < 0 ? 0 : read(fd, text, size - 1);

	text[len > 0 ? len : 0] = '\0';
	if (fd >= 0)
		close(fd);
}

/*
 * Runs vfmig-ctl with the given (NULL-terminated) arguments; with @sysfs,
 * against that fake sysfs root.
 */
static void ctl(struct ctl_run *run, const char *sysfs, ...)
{
	char dir[PATH_MAX], prog[PATH_MAX + 16], out[PATH_MAX], err[PATH_MAX];
	char *argv[24] = { prog };
	posix_spawn_file_actions_t actions;
	int argc = 1, status;
	va_list ap;
	pid_t pid;

	snprintf(dir, sizeof(dir), "%s", unit_loader);
	snprintf(prog, sizeof(prog), "%s/vfmig-ctl", dirname(dir));
	va_start(ap, sysfs);
	while (argc < 23 && (argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	argv[argc] = NULL;
	snprintf(out, sizeof(out), "%s/stdout", work_dir());
	snprintf(err, sizeof(err), "%s/stderr", work_dir());

	posix_spawn_file_actions_init(&actions);
	posix_spawn_file_actions_addopen(&actions, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	posix_spawn_file_actions_addopen(&actions, 2, err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (sysfs)
		setenv("VFMIG_SYSFS_ROOT", sysfs, 1);
	run->status = -1;
	if (ASSERT_INT(posix_spawn(&pid, prog, &actions, NULL, argv, environ), 0) &&
	    waitpid(pid, &status, 0) == pid && WIFEXITED(status))
		run->status = WEXITSTATUS(status);
	unsetenv("VFMIG_SYSFS_ROOT");
	posix_spawn_file_actions_destroy(&actions);
	slurp(out, run->out, sizeof(run->out));
	slurp(err, run->err, sizeof(run->err));
}

/* Exited with @status after one line on stderr, that line being @line. */
static void expect_error(const struct ctl_run *run, int status, const char *line)
{
	char want[1024];

	snprintf(want, sizeof(want), "vfmig-ctl: %s\n", line);
	ASSERT_INT(run->status, status);
	ASSERT_STR(run->err, want);
}

static bool write_stream(const char *path, const struct stream_buf *s)
{
	FILE *file = fopen(path, "w");
	bool ok = ASSERT_TRUE(file) && ASSERT_INT(fwrite(s->data, 1, s->len, file), s->len);

	if (file)
		fclose(file);
	return ok;
}

/* PRECOPY "pre" then FINAL "final" from edu, written to WORK/@name. */
static const char *good_stream(const char *name, struct stream_buf *s)
{
	const char *path = work_path(name);

	*s = (struct stream_buf){ 0 };
	if (!ASSERT_INT(stream_add_unit(s, &edu, VFMIG_STREAM_PRECOPY, "pre", 3), 0) ||
	    !ASSERT_INT(stream_add_unit(s, &edu, VFMIG_STREAM_FINAL, "final", 5), 0) ||
	    !write_stream(path, s))
		return NULL;
	return path;
}

TEST(ctl_inspect_good_stream)
{
	struct stream_buf s;
	struct ctl_run run;
	const char *path = good_stream("good.vfmig", &s);
	char want[1024];

	if (!path)
		return;
	ctl(&run, NULL, "inspect", path, NULL);
	snprintf(want, sizeof(want),
		 "stream: %s (152 bytes)\n"
		 "device: 1234:11e8 subsystem 1af4:1100\n"
		 "program: edu version 1\n"
		 "unit 0: precopy 3 bytes (payload at 72)\n"
		 "unit 1: final 5 bytes (payload at 147)\n"
		 "total: 2 units, 8 payload bytes\n"
		 "checksum ok\n", path);
	ASSERT_INT(run.status, 0);
	ASSERT_STR(run.out, want);
	ASSERT_STR(run.err, "");
	stream_buf_free(&s);
}

TEST(ctl_inspect_bad_stream)
{
	struct stream_buf s;
	struct ctl_run run;
	const char *path = good_stream("bad.vfmig", &s);
	char line[PATH_MAX + 64];

	if (!path)
		return;
	s.data[s.len - 1] ^= 0x01;
	if (!write_stream(path, &s))
		return;
	ctl(&run, NULL, "inspect", path, NULL);
	snprintf(line, sizeof(line), "%s: checksum mismatch (corrupted stream)", path);
	expect_error(&run, 1, line);
	ASSERT_STR(run.out, "");

	s.len -= 1;
	write_stream(path, &s);
	ctl(&run, NULL, "inspect", path, NULL);
	snprintf(line, sizeof(line), "%s: truncated: payload shorter than its header says",
		 path);
	expect_error(&run, 1, line);

	ctl(&run, NULL, "inspect", "/nonexistent/x.vfmig", NULL);
	expect_error(&run, 1, "cannot open /nonexistent/x.vfmig: No such file or directory");
	stream_buf_free(&s);
}

/* A name can hold any byte but NUL: inspect must not print them raw. */
TEST(ctl_inspect_escapes_program)
{
	struct vfmig_stream_expect odd = edu;
	struct stream_buf s = { 0 };
	const char *path = work_path("odd.vfmig");
	struct ctl_run run;

	strcpy(odd.program, "a\tb\\\x1b[2J");
	if (!ASSERT_INT(stream_add_unit(&s, &odd, VFMIG_STREAM_FINAL, NULL, 0), 0) ||
	    !write_stream(path, &s))
		return;
	ctl(&run, NULL, "inspect", path, NULL);
	ASSERT_INT(run.status, 0);
	ASSERT_CONTAINS(run.out, "program: a\\x09b\\x5c\\x1b[2J version 1\n");
	stream_buf_free(&s);
}

TEST(ctl_make_stream)
{
	const char *path = work_path("made.vfmig");
	unsigned char data[512];
	struct vfmig_stream_info info;
	const char *reason = "";
	struct ctl_run run;
	int fd, len;

	ctl(&run, NULL, "make-stream", "-o", path, "--ids", "1234:11e8:1af4:1100",
	    "--program", "edu", "--version", "1", "--precopy-hex", "0a0B",
	    "--precopy-hex", "", "--payload-hex", "0011aabb", NULL);
	ASSERT_INT(run.status, 0);
	ASSERT_STR(run.err, "");
	ASSERT_CONTAINS(run.out, "wrote 222 bytes (3 units) to ");
	fd = open(path, O_RDONLY);
	len = fd < 0 ? -1 : read(fd, data, sizeof(data));
	if (fd >= 0)
		close(fd);
	if (!ASSERT_INT(len, 3 * 72 + 2 + 0 + 4))
		return;
	if (!ASSERT_INT(stream_parse_mem(data, len, &edu, &info, &reason), 0))
		return;
	ASSERT_INT(info.nr_units, 3);
	ASSERT_INT(info.units[0].flags, VFMIG_STREAM_PRECOPY);
	ASSERT_INT(info.units[1].payload_len, 0);
	ASSERT_INT(info.units[2].flags, VFMIG_STREAM_FINAL);
	ASSERT_TRUE(!memcmp(data + info.units[0].payload_offset, "\x0a\x0b", 2));
	ASSERT_TRUE(!memcmp(data + info.units[2].payload_offset, "\x00\x11\xaa\xbb", 4));
	ASSERT_TRUE(access(work_path("made.vfmig.tmp"), F_OK) && errno == ENOENT);

	/* The final payload from a file; the ids in short form. */
	ctl(&run, NULL, "make-stream", "-o", path, "--ids", "1af4:1041", "--program",
	    "virtio", "--payload-file", path, NULL);
	ASSERT_INT(run.status, 0);
	ctl(&run, NULL, "inspect", path, NULL);
	ASSERT_CONTAINS(run.out, "device: 1af4:1041 subsystem 0000:0000\n"
			"program: virtio version 0\n"
			"unit 0: final 222 bytes (payload at 72)\n");
}

TEST(ctl_usage_errors)
{
	char out[PATH_MAX];
	struct ctl_run run;

	ctl(&run, NULL, "dirty", "--bdf", BDF, NULL);
	expect_error(&run, 2, "dirty needs ACTION, start, report, stop or status"
		     " (see vfmig-ctl dirty --help)");
	ctl(&run, NULL, "dirty", "frob", "--bdf", BDF, NULL);
	expect_error(&run, 2, "unknown action: start, report, stop or status"
		     " (see vfmig-ctl dirty --help)");
	ctl(&run, NULL, "dirty", "status", NULL);
	expect_error(&run, 2, "give the device with one of --bdf and --fd"
		     " (see vfmig-ctl dirty --help)");
	ctl(&run, NULL, "dirty", "status", "--bdf", BDF, "--fd", "3", NULL);
	expect_error(&run, 2, "give the device with one of --bdf and --fd"
		     " (see vfmig-ctl dirty --help)");
	ctl(&run, NULL, "dirty", "report", "--fd", "3", NULL);
	expect_error(&run, 2, "report needs the IOVA window: --range IOVA:LENGTH"
		     " (see vfmig-ctl dirty --help)");
	ctl(&run, NULL, "dirty", "start", "--fd", "3", "--range", "0x1000", NULL);
	ASSERT_INT(run.status, 2);
	ASSERT_CONTAINS(run.err, "bad --range '0x1000': expected IOVA:LENGTH");
	ctl(&run, NULL, "dirty", "start", "--fd", "3", "--range", "0:0", NULL);
	ASSERT_INT(run.status, 2);
	ASSERT_CONTAINS(run.err, "LENGTH > 0");
	ctl(&run, NULL, "dirty", "stop", "--fd", "x", NULL);
	ASSERT_INT(run.status, 2);
	ASSERT_CONTAINS(run.err, "bad --fd 'x': expected a file descriptor number");
	ctl(&run, NULL, "dirty", "status", "--fd", "999", NULL);
	ASSERT_INT(run.status, 1);
	ASSERT_CONTAINS(run.err, "--fd 999: not an open file descriptor");

	ctl(&run, NULL, NULL);
	expect_error(&run, 2, "no command given (see vfmig-ctl --help)");
	ctl(&run, NULL, "frob", NULL);
	expect_error(&run, 2, "unknown command 'frob' (see vfmig-ctl --help)");
	ctl(&run, NULL, "save", "-o", "x", NULL);
	expect_error(&run, 2, "give the device with one of --bdf and --fd"
		     " (see vfmig-ctl save --help)");
	ctl(&run, NULL, "restore", "--bdf", "4:0", "-i", "x", NULL);
	expect_error(&run, 2, "bad --bdf '4:0': expected DDDD:BB:DD.F or BB:DD.F in hex,"
		     " device <= 1f, function <= 7 (see vfmig-ctl restore --help)");
	ctl(&run, NULL, "state", "--bdf", BDF, "--set", "stop,paused", NULL);
	ASSERT_INT(run.status, 2);
	ASSERT_CONTAINS(run.err, "bad --set 'stop,paused': expected STATE[,STATE...] of");
	ctl(&run, NULL, "state", "--bdf", BDF, "--bdf", BDF, NULL);
	expect_error(&run, 2, "--bdf given twice (see vfmig-ctl state --help)");
	ctl(&run, NULL, "inspect", "a", "b", NULL);
	expect_error(&run, 2, "unexpected argument 'b' for inspect"
		     " (see vfmig-ctl inspect --help)");
	ctl(&run, NULL, "inspect", "--bdf", BDF, "a", NULL);
	expect_error(&run, 2, "unknown option '--bdf' for inspect"
		     " (see vfmig-ctl inspect --help)");
	snprintf(out, sizeof(out), "%s", work_path("usage.vfmig"));
	ctl(&run, NULL, "make-stream", "-o", out, "--ids", "1234", "--program", "p", NULL);
	ASSERT_INT(run.status, 2);
	ASSERT_CONTAINS(run.err, "bad --ids '1234'");
	ctl(&run, NULL, "make-stream", "-o", out, "--ids", "1:2", "--program", "p",
	    "--payload-hex", "0", NULL);
	ASSERT_INT(run.status, 2);
	ASSERT_CONTAINS(run.err, "bad --payload-hex '0': expected pairs of hex digits");
	ctl(&run, NULL, "make-stream", "-o", out, "--ids", "1:2", "--program",
	    "0123456789abcdef0123456789abcdef", NULL);
	ASSERT_INT(run.status, 2);
	ASSERT_CONTAINS(run.err, "longer than 31 characters");
	ctl(&run, NULL, "make-stream", "-o", out, "--ids", "1:2", "--program", "p",
	    "--payload-hex", "00", "--payload-file", "y", NULL);
	expect_error(&run, 2, "give --payload-hex or --payload-file, not both"
		     " (see vfmig-ctl make-stream --help)");
	ASSERT_TRUE(access(out, F_OK) && access(work_path("usage.vfmig.tmp"), F_OK));
}

TEST(ctl_help)
{
	struct ctl_run run;

	ctl(&run, NULL, "--help", NULL);
	ASSERT_INT(run.status, 0);
	ASSERT_CONTAINS(run.out, "Usage: vfmig-ctl COMMAND [options]\n");
	ASSERT_CONTAINS(run.out, "\n  make-stream  write a valid stream");
	ctl(&run, NULL, "help", "save", NULL);
	ASSERT_INT(run.status, 0);
	ASSERT_CONTAINS(run.out, "Usage: vfmig-ctl save [--bdf BDF] -o FILE [--precopy] [--fd N]"
			" [--backend WAY] [-v]\n");
	ctl(&run, NULL, "make-stream", "-h", NULL);
	ASSERT_INT(run.status, 0);
	ASSERT_CONTAINS(run.out, "[--precopy-hex HEX...]");
	ASSERT_CONTAINS(run.out, "  -o, --output FILE       where to write the stream");
}

static void mkdir_p(char *path)
{
	for (char *slash = strchr(path + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(path, 0755);
		*slash = '/';
	}
	mkdir(path, 0755);
}

/*
 * A fake sysfs root, empty unless @exists: then it has BDF, bound to
 * @driver (NULL: unbound), in IOMMU group @group (NULL: none).
 */
static const char *fake_sysfs(bool exists, const char *driver, const char *group)
{
	static char root[PATH_MAX];
	char path[PATH_MAX + 64], target[128];

	snprintf(root, sizeof(root), "%s", work_path("sys"));
	nftw(root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	snprintf(path, sizeof(path), "%s/bus/pci/devices%s", root, exists ? "/" BDF : "");
	mkdir_p(path);
	if (driver) {
		snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/driver", root, BDF);
		snprintf(target, sizeof(target), "../../../bus/pci/drivers/%s", driver);
		ASSERT_INT(symlink(target, path), 0);
	}
	if (group) {
		snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/iommu_group", root, BDF);
		snprintf(target, sizeof(target), "../../../kernel/iommu_groups/%s", group);
		ASSERT_INT(symlink(target, path), 0);
	}
	return root;
}

/* Each device command says what is wrong with the device, and the fix. */
TEST(ctl_device_not_usable)
{
	static const char *const commands[][6] = {
		{ "features", "--bdf", BDF },
		{ "state", "--bdf", BDF, "--set", "stop" },
		{ "save", "--bdf", BDF, "-o", NULL },
		{ "restore", "--bdf", BDF, "-i", NULL },
	};
	static const struct {
		bool exists;
		const char *driver, *group, *error;
	} cases[] = {
		{ false, NULL, NULL, "0000:00:04.0: no such PCI device (lspci -D lists them)" },
		{ true, NULL, "7", "0000:00:04.0 is bound to no driver: bind it to vfmig-pci"
		  " (vfmig-load bind --bdf 0000:00:04.0)" },
		{ true, "e1000e", "7", "0000:00:04.0 is bound to e1000e, not to a VFIO driver:"
		  " bind it to vfmig-pci (vfmig-load bind --bdf 0000:00:04.0)" },
		{ true, "vfmig-pci", NULL, "0000:00:04.0 is in no IOMMU group: enable the IOMMU"
		  " (intel_iommu=on or amd_iommu=on on the kernel command line)" },
		{ true, "mlx5_vfio_pci", "x", "0000:00:04.0: unexpected IOMMU group 'x'" },
	};
	char saved[PATH_MAX], saved_tmp[PATH_MAX], input[PATH_MAX];
	struct stream_buf s;

	if (!good_stream("input.vfmig", &s))
		return;
	stream_buf_free(&s);
	snprintf(input, sizeof(input), "%s", work_path("input.vfmig"));
	snprintf(saved, sizeof(saved), "%s", work_path("saved.vfmig"));
	snprintf(saved_tmp, sizeof(saved_tmp), "%s", work_path("saved.vfmig.tmp"));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *root = fake_sysfs(cases[i].exists, cases[i].driver,
					      cases[i].group);

		for (size_t c = 0; c < sizeof(commands) / sizeof(commands[0]); c++) {
			const char *const *cmd = commands[c];
			const char *file = c == 2 ? saved : input;
			struct ctl_run run;

			ctl(&run, root, cmd[0], cmd[1], cmd[2], cmd[3], cmd[4] ?: file, NULL);
			expect_error(&run, 1, cases[i].error);
			ASSERT_STR(run.out, "");
		}
		/* save wrote nothing, not even its temporary file. */
		ASSERT_TRUE(access(saved, F_OK) && access(saved_tmp, F_OK));
	}
}

/* Files are checked before the device is touched. */
TEST(ctl_files_checked_first)
{
	struct ctl_run run;

	ctl(&run, work_path("nosys"), "restore", "--bdf", BDF, "-i", "/nonexistent", NULL);
	expect_error(&run, 1, "cannot open /nonexistent: No such file or directory");
	ctl(&run, work_path("nosys"), "save", "--bdf", BDF, "-o", "/nonexistent/x", NULL);
	expect_error(&run, 1, "cannot create /nonexistent/x.tmp: No such file or directory");
}

/* The table's parse, in process: values, repeats and the operand. */
TEST(ctl_args_parse)
{
	char *argv[] = { "vfmig-ctl", "make-stream", "--precopy-hex", "01", "-o", "f",
			 "--ids=1:2", "--precopy-hex", "", "--program", "p", NULL };
	char *inspect[] = { "vfmig-ctl", "inspect", "f.vfmig", NULL };
	struct cli_args *args = calloc(1, sizeof(*args));
	struct ctl_opts *opts = calloc(1, sizeof(*opts));

	if (!ASSERT_TRUE(args && opts))
		return;
	if (ASSERT_INT(cli_parse(&ctl_cli, 11, argv, args), CLI_RUN)) {
		ASSERT_STR(args->command->name, "make-stream");
		ASSERT_STR(cli_value(args, OPT_OUTPUT), "f");
		ASSERT_STR(cli_value(args, OPT_IDS), "1:2");
		ASSERT_INT(args->count[OPT_PRECOPY_HEX], 2);
		ASSERT_STR(args->value[OPT_PRECOPY_HEX][0], "01");
		ASSERT_STR(args->value[OPT_PRECOPY_HEX][1], "");
		ASSERT_TRUE(!cli_value(args, OPT_VERSION));
		/* What make-stream reads: filled once, typed. */
		ctl_opts_fill(opts, args);
		ASSERT_STR(opts->output, "f");
		ASSERT_TRUE(opts->id.vendor == 1 && opts->id.device == 2);
		ASSERT_STR(opts->id.program, "p");
		ASSERT_INT(opts->id.program_version, 0);
		ASSERT_INT(opts->nr_precopy_hex, 2);
		ASSERT_STR(opts->precopy_hex[1], "");
		ASSERT_INT(opts->page_size, 4096);
	}
	if (ASSERT_INT(cli_parse(&ctl_cli, 3, inspect, args), CLI_RUN))
		ASSERT_STR(args->operand, "f.vfmig");
	free(opts);
	free(args);
}

TEST(ctl_parse_helpers)
{
	struct vfmig_stream_expect id;
	unsigned char buf[4];
	__u32 states[CTL_MAX_STATES], state = 99;

	if (ASSERT_INT(parse_ids("1234:11E8:1af4:1100", &id), 0))
		ASSERT_TRUE(id.vendor == 0x1234 && id.device == 0x11e8 &&
			    id.subsystem_vendor == 0x1af4 && id.subsystem_device == 0x1100);
	if (ASSERT_INT(parse_ids("8086:10ca", &id), 0))
		ASSERT_TRUE(id.subsystem_vendor == 0 && id.subsystem_device == 0);
	ASSERT_INT(parse_ids("1:2:3", &id), -EINVAL);
	ASSERT_INT(parse_ids("12345:1", &id), -EINVAL);
	ASSERT_INT(parse_ids("1::2", &id), -EINVAL);
	ASSERT_INT(parse_ids("1:2:", &id), -EINVAL);
	ASSERT_INT(parse_ids("-1:2", &id), -EINVAL);
	ASSERT_INT(parse_ids("1:2:3:4:5", &id), -EINVAL);

	ASSERT_INT(parse_hex("", buf), 0);
	if (ASSERT_INT(parse_hex("00Ff7a", buf), 3))
		ASSERT_TRUE(!memcmp(buf, "\x00\xff\x7a", 3));
	ASSERT_INT(parse_hex("0g", NULL), -EINVAL);
	ASSERT_INT(parse_hex("abc", NULL), -EINVAL);

	if (ASSERT_INT(parse_states("stop,stop-copy,running-p2p", states, CTL_MAX_STATES), 3))
		ASSERT_TRUE(states[0] == 1 && states[1] == 3 && states[2] == 5);
	ASSERT_INT(parse_states("stop,", states, CTL_MAX_STATES), -EINVAL);
	ASSERT_INT(parse_states("", states, CTL_MAX_STATES), -EINVAL);
	ASSERT_INT(parse_states("stop,stop,stop", states, 2), -EINVAL);

	for (__u32 i = 0; i < 8; i++) {
		ASSERT_INT(mig_state_parse(mig_state_name(i), &state), 0);
		ASSERT_INT(state, i);
	}
	ASSERT_STR(mig_state_name(8), "unknown");
	ASSERT_INT(mig_state_parse("unknown", &state), -EINVAL);
}

/*
 * The device commands against fake_vfio.so: a device in IOMMU group 5,
 * with migration @flags ("none": not migratable), that saves @save (a file
 * or NULL), @precopy bytes of it in pre-copy.  Tests read the calls the
 * device saw in WORK/fake.log.
 */
static const char *fake_device(const char *flags, const char *save, const char *precopy)
{
	static char preload[PATH_MAX + 16];

	snprintf(preload, sizeof(preload), "%s/fake_vfio.so", unit_objects);
	setenv("LD_PRELOAD", preload, 1);
	setenv("FAKE_VFIO_LOG", work_path("fake.log"), 1);
	setenv("FAKE_VFIO_LOAD", work_path("loaded.vfmig"), 1);
	setenv("FAKE_VFIO_FLAGS", flags, 1);
	setenv("FAKE_VFIO_PRECOPY", precopy ?: "0", 1);
	if (save)
		setenv("FAKE_VFIO_SAVE", save, 1);
	else
		unsetenv("FAKE_VFIO_SAVE");
	remove(work_path("fake.log"));
	remove(work_path("loaded.vfmig"));
	return fake_sysfs(true, "vfmig-pci", "5");
}

static void fake_device_done(void)
{
	static const char *const vars[] = {
		"LD_PRELOAD", "FAKE_VFIO_LOG", "FAKE_VFIO_LOAD", "FAKE_VFIO_FLAGS",
		"FAKE_VFIO_PRECOPY", "FAKE_VFIO_SAVE",
	};

	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		unsetenv(vars[i]);
}

/* What the fake device saw, compared with @want. */
static void expect_calls(const char *want)
{
	char log[OUTPUT_MAX];

	slurp(work_path("fake.log"), log, sizeof(log));
	ASSERT_STR(log, want);
	remove(work_path("fake.log"));
}

static bool same_file(const char *path, const struct stream_buf *s)
{
	unsigned char data[1024];
	int fd = open(path, O_RDONLY);
	ssize_t len = fd < 0 ? -1 : read(fd, data, sizeof(data));

	if (fd >= 0)
		close(fd);
	return ASSERT_INT(len, s->len) && ASSERT_TRUE(!memcmp(data, s->data, s->len));
}

TEST(ctl_fake_features)
{
	struct stream_buf s;
	const char *root;
	struct ctl_run run;

	if (!good_stream("features.vfmig", &s))
		return;
	root = fake_device("7", work_path("features.vfmig"), NULL);
	ctl(&run, root, "features", "--bdf", "00:04.0", NULL);
	ASSERT_INT(run.status, 0);
	ASSERT_STR(run.out, "migration: stop-copy p2p pre-copy\n"
		   "data size: 152 bytes (stop-copy estimate)\n"
		   "dirty tracking: none\n"
		   "state: running\n");
	expect_calls("open /dev/vfio/5\ndevice 0000:00:04.0\nclose device\n");

	root = fake_device("none", NULL, NULL);
	ctl(&run, root, "features", "--bdf", BDF, NULL);
	expect_error(&run, 1, "0000:00:04.0: migration not supported (attach a program"
		     " with save/load before opening the device)");
	fake_device_done();
	stream_buf_free(&s);
}

/*
 * Plain, then through pre-copy, which yields the PRECOPY unit (75 bytes)
 * and stop-copy the rest, on the one data fd.
 */
TEST(ctl_fake_save)
{
	static const struct {
		const char *flags, *option, *said, *calls;
	} cases[] = {
		{ "1", NULL, "", "set stop-copy\n" },
		{ "5", "--precopy", " (75 in pre-copy)", "set pre-copy\nset stop-copy\n" },
	};
	char saved[PATH_MAX], want[PATH_MAX + 64];
	struct stream_buf s;
	struct ctl_run run;

	if (!good_stream("device.vfmig", &s))
		return;
	snprintf(saved, sizeof(saved), "%s", work_path("saved.vfmig"));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *root = fake_device(cases[i].flags, work_path("device.vfmig"), "75");

		remove(saved);
		ctl(&run, root, "save", "--bdf", BDF, "-o", saved, cases[i].option, NULL);
		snprintf(want, sizeof(want), "saved 152 bytes from %s to %s%s\n", BDF,
			 saved, cases[i].said);
		ASSERT_INT(run.status, 0);
		ASSERT_STR(run.out, want);
		ASSERT_STR(run.err, "");
		same_file(saved, &s);
		ASSERT_TRUE(access(work_path("saved.vfmig.tmp"), F_OK));
		snprintf(want, sizeof(want), "open /dev/vfio/5\ndevice 0000:00:04.0\n%s"
			 "close data fd\nset stop\nclose device\n", cases[i].calls);
		expect_calls(want);
	}

	remove(saved);
	ctl(&run, fake_device("3", work_path("device.vfmig"), "75"), "save", "--bdf", BDF,
	    "-o", saved, "--precopy", NULL);
	expect_error(&run, 1, "0000:00:04.0 does not offer pre-copy (see vfmig-ctl features)");
	ASSERT_TRUE(access(saved, F_OK));
	fake_device_done();
	stream_buf_free(&s);
}

TEST(ctl_fake_restore)
{
	struct stream_buf s;
	const char *root, *path;
	char input[PATH_MAX];
	struct ctl_run run;

	if (!(path = good_stream("restore.vfmig", &s)))
		return;
	snprintf(input, sizeof(input), "%s", path);
	root = fake_device("1", NULL, NULL);
	ctl(&run, root, "restore", "--bdf", BDF, "-i", input, NULL);
	ASSERT_INT(run.status, 0);
	ASSERT_STR(run.out, "restored 152 bytes into 0000:00:04.0\n");
	same_file(work_path("loaded.vfmig"), &s);
	/* As QEMU: the data fd is closed before the device leaves RESUMING. */
	expect_calls("open /dev/vfio/5\ndevice 0000:00:04.0\nset resuming\nwrite 152\n"
		     "close data fd\nset stop\nload 152 bytes: ok\nset running\n"
		     "close device\n");

	/* A corrupted stream: the device refuses it when it leaves RESUMING. */
	s.data[100] ^= 0x01;
	write_stream(input, &s);
	root = fake_device("1", NULL, NULL);
	ctl(&run, root, "restore", "--bdf", BDF, "-i", input, NULL);
	expect_error(&run, 1, "0000:00:04.0 refused the stream: Bad message"
		     " (dmesg has the reason)");
	expect_calls("open /dev/vfio/5\ndevice 0000:00:04.0\nset resuming\nwrite 152\n"
		     "close data fd\nset stop\n"
		     "load 152 bytes: checksum mismatch (corrupted stream)\nclose device\n");
	ASSERT_TRUE(access(work_path("loaded.vfmig"), F_OK));
	fake_device_done();
	stream_buf_free(&s);
}

TEST(ctl_fake_state)
{
	const char *root = fake_device("1", NULL, NULL);
	struct ctl_run run;

	ctl(&run, root, "state", "--bdf", BDF, NULL);
	ASSERT_INT(run.status, 0);
	ASSERT_STR(run.out, "running\n");
	ctl(&run, root, "state", "--bdf", BDF, "--set", "stop,stop-copy,stop", NULL);
	ASSERT_INT(run.status, 0);
	ASSERT_STR(run.out, "running -> stop\n"
		   "stop -> stop-copy (a data fd was returned, closed unread)\n"
		   "stop-copy -> stop\n");
	/* Leaving RESUMING with nothing written: the stream is refused. */
	ctl(&run, root, "state", "--bdf", BDF, "--set", "resuming,running", NULL);
	ASSERT_INT(run.status, 1);
	ASSERT_STR(run.out, "running -> resuming (a data fd was returned, closed unread)\n");
	ASSERT_STR(run.err, "vfmig-ctl: 0000:00:04.0: cannot go from resuming to running:"
		   " Invalid argument (dmesg has the reason; now resuming)\n");
	ctl(&run, root, "state", "--bdf", BDF, "--set", "pre-copy", NULL);
	expect_error(&run, 1, "0000:00:04.0: cannot go from running to pre-copy: Invalid"
		     " argument (the device does not offer it: see vfmig-ctl features;"
		     " now running)");
	fake_device_done();
}
