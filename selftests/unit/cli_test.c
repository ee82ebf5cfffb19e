// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The built vfmig-load run against a fake sysfs and bpffs in /tmp (through
 * VFMIG_SYSFS_ROOT and VFMIG_BPFFS_ROOT): every precondition must fail with
 * the message that names its fix, with exit status 1 (2 for usage).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "unit.h"

#define BDF		"0000:00:04.0"
#define BDF_PIN		"0000:00:04_0"	/* its pin dir: bpffs refuses dots */
#define OUTPUT_MAX	8192
#define TREE_TEMPLATE	"/tmp/vfmig-unit.XXXXXX"

struct fake_tree {
	char root[sizeof(TREE_TEMPLATE)];	/* the test's directory */
	char sys[sizeof(TREE_TEMPLATE) + 4];	/* VFMIG_SYSFS_ROOT: ROOT/sys */
	char bpffs[sizeof(TREE_TEMPLATE) + 6];	/* VFMIG_BPFFS_ROOT: ROOT/bpffs */
};

/* What a test starts from. */
enum fake_setup {
	FAKE_EMPTY,	/* no module, no device, an empty bpffs */
	FAKE_MODULE,	/* the module and its driver, no device */
	FAKE_READY,	/* and BDF bound to vfmig-pci, idle: load gets to loading */
};

struct run {
	int status;		/* exit status, -1 if it did not exit */
	char out[OUTPUT_MAX];
	char err[OUTPUT_MAX];
};

static struct fake_tree tree;	/* the running test's, removed by the next */

static void make_parents(char *path)
{
	for (char *slash = strchr(path + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(path, 0755);
		*slash = '/';
	}
}

/* ROOT/REL, REL formatted from @fmt; in a static buffer. */
static char *vtree_path(const char *fmt, va_list ap)
{
	static char path[PATH_MAX];
	int len = snprintf(path, sizeof(path), "%s/", tree.root);

	vsnprintf(path + len, sizeof(path) - len, fmt, ap);
	return path;
}

static char *tree_path(const char *fmt, ...)
{
	va_list ap;
	char *path;

	va_start(ap, fmt);
	path = vtree_path(fmt, ap);
	va_end(ap);
	return path;
}

/* A file holding @content at ROOT/REL (a directory when NULL). */
static void fake_entry(const char *content, const char *fmt, ...)
{
	va_list ap;
	char *path;
	FILE *file;

	va_start(ap, fmt);
	path = vtree_path(fmt, ap);
	va_end(ap);
	make_parents(path);
	if (!content) {
		mkdir(path, 0755);
		return;
	}
	file = fopen(path, "w");
	if (!ASSERT_TRUE(file))
		return;
	fputs(content, file);
	fclose(file);
}

/* A symlink to @target at ROOT/REL. */
static void fake_symlink(const char *target, const char *fmt, ...)
{
	va_list ap;
	char *path;

	va_start(ap, fmt);
	path = vtree_path(fmt, ap);
	va_end(ap);
	make_parents(path);
	ASSERT_INT(symlink(target, path), 0);
}

/*
 * A PCI device bound to @driver (NULL: unbound).  Bound to vfmig-pci it
 * gets the vfmig attributes, running @program ("" for none); with one it
 * has counted 5 hooked, 3 passed and 1 failed access.
 */
static void fake_device(const char *bdf, const char *driver, const char *program)
{
	static const char *const counters[] = { "hooked", "passed", "failed" };
	char target[PATH_MAX], line[64];

	fake_entry("(null)\n", "sys/bus/pci/devices/%s/driver_override", bdf);
	if (!driver)
		return;
	fake_entry("", "sys/bus/pci/drivers/%s/unbind", driver);
	snprintf(target, sizeof(target), "../../drivers/%s", driver);
	fake_symlink(target, "sys/bus/pci/devices/%s/driver", bdf);
	snprintf(target, sizeof(target), "../../devices/%s", bdf);
	fake_symlink(target, "sys/bus/pci/drivers/%s/%s", driver, bdf);
	if (strcmp(driver, "vfmig-pci"))
		return;

	snprintf(line, sizeof(line), "%s\n", program);
	fake_entry(line, "sys/bus/pci/devices/%s/vfmig/program", bdf);
	fake_entry(program[0] ? "2 1\n" : "\n", "sys/bus/pci/devices/%s/vfmig/program_version", bdf);
	fake_entry(program[0] ? "0x5\n" : "\n", "sys/bus/pci/devices/%s/vfmig/program_flags", bdf);
	fake_entry(program[0] ? "running\n" : "unsupported\n",
		   "sys/bus/pci/devices/%s/vfmig/migration_state", bdf);
	fake_entry(program[0] ? "save failed: -5\n" : "\n",
		   "sys/bus/pci/devices/%s/vfmig/last_error", bdf);
	fake_entry(program[0] ? "12\n" : "0\n", "sys/bus/pci/devices/%s/vfmig/dirty_marked", bdf);
	fake_entry(program[0] ? "6 edu: queue \"0\" stuck\n7 edu: ok\n" : "",
		   "sys/bus/pci/devices/%s/vfmig/messages", bdf);
	for (int i = 0; i < 3; i++) {
		snprintf(line, sizeof(line), "%d\n", program[0] ? 5 - 2 * i : 0);
		fake_entry(line, "sys/bus/pci/devices/%s/vfmig/%s", bdf, counters[i]);
	}
}

static int remove_entry(const char *path, const struct stat *st, int flag,
			struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static void remove_tree(void)
{
	if (tree.root[0])
		nftw(tree.root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	tree.root[0] = '\0';
}

/* A new fake tree for the running test, in place of the last one. */
static bool fake_tree(enum fake_setup setup)
{
	static bool cleanup_registered;

	if (!cleanup_registered)
		cleanup_registered = !atexit(remove_tree);
	remove_tree();
	strcpy(tree.root, TREE_TEMPLATE);
	if (!ASSERT_TRUE(mkdtemp(tree.root))) {
		tree.root[0] = '\0';
		return false;
	}
	snprintf(tree.sys, sizeof(tree.sys), "%s/sys", tree.root);
	snprintf(tree.bpffs, sizeof(tree.bpffs), "%s/bpffs", tree.root);
	fake_entry(NULL, "sys/bus/pci/devices");
	fake_entry("", "sys/bus/pci/drivers_probe");
	fake_entry(NULL, "bpffs");
	if (setup >= FAKE_MODULE) {
		fake_entry(NULL, "sys/module/vfmig");
		fake_entry(NULL, "sys/bus/pci/drivers/vfmig-pci");
	}
	if (setup >= FAKE_READY)
		fake_device(BDF, "vfmig-pci", "");
	return true;
}

static void read_file(const char *path, char *text, size_t size)
{
	int fd = open(path, O_RDONLY);
	ssize_t len = fd < 0 ? 0 : read(fd, text, size - 1);

	text[len > 0 ? len : 0] = '\0';
	if (fd >= 0)
		close(fd);
}

/* Runs @loader in the fake tree with the (NULL-terminated) args of @ap. */
static void vrun(struct run *run, const char *loader, va_list ap)
{
	char out_path[PATH_MAX], err_path[PATH_MAX];
	char *argv[16] = { (char *)loader };
	int argc = 1, status;
	pid_t pid;

	while (argc < 15 && (argv[argc] = va_arg(ap, char *)))
		argc++;
	argv[argc] = NULL;
	strcpy(out_path, tree_path("stdout"));
	strcpy(err_path, tree_path("stderr"));

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		setenv("VFMIG_SYSFS_ROOT", tree.sys, 1);
		setenv("VFMIG_BPFFS_ROOT", tree.bpffs, 1);
		if (!freopen(out_path, "w", stdout) || !freopen(err_path, "w", stderr))
			_exit(127);
		execv(loader, argv);
		_exit(127);
	}
	run->status = -1;
	if (ASSERT_TRUE(pid > 0) && waitpid(pid, &status, 0) == pid && WIFEXITED(status))
		run->status = WEXITSTATUS(status);
	read_file(out_path, run->out, sizeof(run->out));
	read_file(err_path, run->err, sizeof(run->err));
}

/* Runs vfmig-load in the fake tree with the given (NULL-terminated) args. */
static void run_loader(struct run *run, ...)
{
	va_list ap;

	va_start(ap, run);
	vrun(run, unit_loader, ap);
	va_end(ap);
}

/* The same with the build to install, which must ignore the fake tree. */
static void run_installed(struct run *run, ...)
{
	va_list ap;

	va_start(ap, run);
	vrun(run, unit_installed_loader, ap);
	va_end(ap);
}

static char *object(const char *name)
{
	static char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", unit_objects, name);
	return path;
}

/* Failed with status @status and one line of stderr containing @message. */
static void expect_failure(const struct run *run, int status, const char *message)
{
	ASSERT_INT(run->status, status);
	ASSERT_CONTAINS(run->err, message);
	ASSERT_TRUE(strchr(run->err, '\n') == run->err + strlen(run->err) - 1);
}

/* "vfmig-load OBJ --bdf 00:04.0" fails with @message. */
static void expect_load_failure(const char *obj, const char *message)
{
	struct run run;

	run_loader(&run, object(obj), "--bdf", "00:04.0", NULL);
	expect_failure(&run, 1, message);
}

TEST(cli_usage_errors_exit_2)
{
	struct run run;

	if (!fake_tree(FAKE_EMPTY))
		return;
	run_loader(&run, "frobnicate", "--bdf", BDF, NULL);
	expect_failure(&run, 2, "vfmig-load: unknown command 'frobnicate'");
	run_loader(&run, "x.bpf.o", NULL);
	expect_failure(&run, 2, "load needs --bdf BDF");
	run_loader(&run, "unload", "--bdf", BDF, "--frob", NULL);
	expect_failure(&run, 2, "unknown option '--frob' for unload"
		       " (see vfmig-load unload --help)");
	run_loader(&run, "x.bpf.o", "--bdf", "4:0", NULL);
	expect_failure(&run, 2, "bad --bdf '4:0'");
}

TEST(cli_help_exit_0)
{
	struct run run;

	if (!fake_tree(FAKE_EMPTY))
		return;
	run_loader(&run, "--help", NULL);
	ASSERT_INT(run.status, 0);
	ASSERT_CONTAINS(run.out, "Usage: vfmig-load COMMAND [options]\n"
			"       vfmig-load OBJ --bdf BDF [--bind] [--force] [-v]\n");
	ASSERT_CONTAINS(run.out, "  unload ");
	ASSERT_CONTAINS(run.out, "  load         attach vendor program OBJ to a device,"
			" pin it (default)\n");
	run_loader(&run, "status", "--help", NULL);
	ASSERT_INT(run.status, 0);
	ASSERT_CONTAINS(run.out, "Usage: vfmig-load status [--bdf BDF] [--json] [-v]");
}

/* The object is checked before the system, so a broken one touches nothing. */
TEST(cli_object_checked_first)
{
	struct run run;

	if (!fake_tree(FAKE_EMPTY))
		return;
	run_loader(&run, object("no_ops.bpf.o"), "--bdf", BDF, "--bind", NULL);
	expect_failure(&run, 1, "has no vfmig_ops struct_ops map");
}

TEST(cli_object_missing)
{
	struct run run;

	if (!fake_tree(FAKE_READY))
		return;
	run_loader(&run, "/nonexistent/vendor.bpf.o", "--bdf", BDF, NULL);
	/* One line: libbpf's own complaint stays silent without -v. */
	expect_failure(&run, 1, "vfmig-load: cannot open /nonexistent/vendor.bpf.o:"
		       " No such file or directory\n");
}

TEST(cli_object_without_ops)
{
	char message[PATH_MAX + 128];

	if (!fake_tree(FAKE_READY))
		return;
	snprintf(message, sizeof(message), "vfmig-load: %s has no vfmig_ops struct_ops"
		 " map (declare one with VFMIG_OPS(...) from include/vfmig.bpf.h)",
		 object("no_ops.bpf.o"));
	expect_load_failure("no_ops.bpf.o", message);
}

TEST(cli_object_with_two_ops)
{
	if (fake_tree(FAKE_READY))
		expect_load_failure("two_ops.bpf.o", "has 2 vfmig_ops struct_ops maps");
}

TEST(cli_module_not_loaded)
{
	if (!fake_tree(FAKE_EMPTY))
		return;
	fake_device(BDF, NULL, "");
	/* The fix for the source tree only when the loader runs from one. */
	if (access("../kernel/vfmig.ko", R_OK) == 0)
		expect_load_failure("ops.bpf.o", "vfmig-load: vfmig module not loaded"
				    " (modprobe vfio-pci; insmod ");
	else
		expect_load_failure("ops.bpf.o", "vfmig-load: vfmig module not loaded"
				    " (modprobe vfmig; if it is not found, install it");
}

TEST(cli_no_such_device)
{
	if (fake_tree(FAKE_MODULE))
		expect_load_failure("ops.bpf.o", "vfmig-load: no PCI device " BDF
				    " (see lspci -D)");
}

TEST(cli_bound_to_other_driver)
{
	char message[PATH_MAX];

	if (!fake_tree(FAKE_MODULE))
		return;
	fake_device(BDF, "e1000", "");
	snprintf(message, sizeof(message), "vfmig-load: " BDF " is bound to e1000, not"
		 " vfmig-pci (use --bind, or echo vfmig-pci > %s/bus/pci/devices/" BDF
		 "/driver_override and reprobe)", tree.sys);
	expect_load_failure("ops.bpf.o", message);
}

TEST(cli_unbound_device)
{
	if (!fake_tree(FAKE_MODULE))
		return;
	fake_device(BDF, NULL, "");
	expect_load_failure("ops.bpf.o", BDF " is bound to no driver, not vfmig-pci"
			    " (use --bind");
}

TEST(cli_bpffs_not_mounted)
{
	char message[PATH_MAX];

	if (!fake_tree(FAKE_READY))
		return;
	rmdir(tree.bpffs);
	snprintf(message, sizeof(message), "vfmig-load: bpffs not mounted at %s"
		 " (mount -t bpf bpf %s)", tree.bpffs, tree.bpffs);
	expect_load_failure("ops.bpf.o", message);
}

TEST(cli_already_attached)
{
	if (!fake_tree(FAKE_MODULE))
		return;
	fake_device(BDF, "vfmig-pci", "edu");
	expect_load_failure("ops.bpf.o", "vfmig-load: " BDF " already runs program edu"
			    " (vfmig-load unload --bdf " BDF " first)");
}

TEST(cli_stale_pins)
{
	char message[PATH_MAX];

	if (!fake_tree(FAKE_READY))
		return;
	fake_entry("", "bpffs/vfmig/" BDF_PIN "/ops_bss");
	snprintf(message, sizeof(message), "vfmig-load: " BDF " has stale pins in"
		 " %s/vfmig/" BDF_PIN " (vfmig-load unload --bdf " BDF " first)", tree.bpffs);
	expect_load_failure("ops.bpf.o", message);
}

TEST(cli_unload_nothing_loaded)
{
	struct run run;

	if (!fake_tree(FAKE_READY))
		return;
	run_loader(&run, "unload", "--bdf", "00:04.0", NULL);
	expect_failure(&run, 1, "vfmig-load: nothing loaded on " BDF "\n");
}

TEST(cli_unload_removes_pins)
{
	struct run run;

	if (!fake_tree(FAKE_READY))
		return;
	fake_entry("", "bpffs/vfmig/" BDF_PIN "/link");
	fake_entry("", "bpffs/vfmig/" BDF_PIN "/ops_bss");
	run_loader(&run, "unload", "--bdf", BDF, NULL);
	ASSERT_INT(run.status, 0);
	ASSERT_STR(run.err, "");
	ASSERT_CONTAINS(run.out, "removed 2 pins");
	ASSERT_INT(access(tree_path("bpffs/vfmig/" BDF_PIN), F_OK), -1);
}

TEST(cli_bind_writes_sysfs)
{
	struct run run;
	char text[64];

	if (!fake_tree(FAKE_MODULE))
		return;
	fake_device(BDF, "e1000", "");
	run_loader(&run, "bind", "--bdf", BDF, NULL);
	/* Nothing binds in a fake tree, but every write must have happened. */
	expect_failure(&run, 1, BDF " did not bind to vfmig-pci");
	read_file(tree_path("sys/bus/pci/devices/" BDF "/driver_override"), text, sizeof(text));
	ASSERT_STR(text, "vfmig-pci");
	read_file(tree_path("sys/bus/pci/drivers/e1000/unbind"), text, sizeof(text));
	ASSERT_STR(text, BDF);
	read_file(tree_path("sys/bus/pci/drivers_probe"), text, sizeof(text));
	ASSERT_STR(text, BDF);
	/* What release will give it back to. */
	read_file(tree_path("sys/run/vfmig/" BDF ".driver"), text, sizeof(text));
	ASSERT_STR(text, "e1000\n");
}

TEST(cli_status_json)
{
	char want[2 * PATH_MAX];
	struct run run;

	if (!fake_tree(FAKE_MODULE))
		return;
	fake_device(BDF, "vfmig-pci", "edu");
	fake_device("0000:00:03.0", "vfmig-pci", "");
	/* A plain file is no link: status must say it cannot read it. */
	fake_entry("", "bpffs/vfmig/" BDF_PIN "/link");
	fake_entry("", "bpffs/vfmig/" BDF_PIN "/ops_bss");
	run_loader(&run, "status", "--json", NULL);
	ASSERT_INT(run.status, 0);
	snprintf(want, sizeof(want),
		 "[{\"bdf\":\"0000:00:03.0\",\"driver\":\"vfmig-pci\",\"program\":null,"
		 "\"link_id\":null,\"map_id\":null,\"pin_dir\":null,\"maps\":[],"
		 "\"hooked\":0,\"passed\":0,\"failed\":0,\"version\":null,\"min_version\":null,"
		 "\"flags\":null,\"migration_state\":\"unsupported\",\"last_error\":null,"
		 "\"dirty_marked\":0,\"messages\":[]},\n"
		 " {\"bdf\":\"" BDF "\",\"driver\":\"vfmig-pci\",\"program\":\"edu\","
		 "\"link_id\":null,\"map_id\":null,\"pin_dir\":\"%s/vfmig/" BDF_PIN "\","
		 "\"maps\":[\"ops_bss\"],\"hooked\":5,\"passed\":3,\"failed\":1,"
		 "\"version\":2,\"min_version\":1,\"flags\":[\"p2p\",\"dirty-log\"],"
		 "\"migration_state\":\"running\",\"last_error\":\"save failed: -5\","
		 "\"dirty_marked\":12,\"messages\":[\"6 edu: queue \\\"0\\\" stuck\","
		 "\"7 edu: ok\"]}]\n",
		 tree.bpffs);
	ASSERT_STR(run.out, want);
}

TEST(cli_status_unknown_device)
{
	struct run run;

	if (!fake_tree(FAKE_READY))
		return;
	run_loader(&run, "status", "--bdf", "00:05.0", NULL);
	expect_failure(&run, 1, "vfmig-load: no PCI device 0000:00:05.0 (see lspci -D)");
}

/* Copies the test object @name to ROOT/@rel, mode @mode; returns its path. */
static char *fake_object(const char *name, const char *rel, mode_t mode)
{
	static char path[PATH_MAX];
	char data[1 << 16];
	int in = open(object(name), O_RDONLY), out;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s", tree.root, rel);
	make_parents(path);
	out = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	while (in >= 0 && out >= 0 && (n = read(in, data, sizeof(data))) > 0)
		ASSERT_TRUE(write(out, data, n) == n);
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	ASSERT_TRUE(chmod(path, mode) == 0);
	return path;
}

/* "vfmig-load apply --bdf BDF --config @config" fails naming @message. */
static void expect_apply_refused(const char *config, const char *message)
{
	struct run run;

	run_loader(&run, "apply", "--bdf", BDF, "--config", config, NULL);
	expect_failure(&run, 1, message);
}

/*
 * udev runs apply as root: an object or configuration that anyone but
 * root could have written, or that sits in a directory anyone but root
 * can change, is refused with a message naming the file and the fix.
 */
TEST(cli_apply_refuses_untrusted_files)
{
	char conf[PATH_MAX], line[PATH_MAX + 32], message[3 * PATH_MAX];
	char *obj;
	struct run run;

	if (!fake_tree(FAKE_READY))
		return;
	fake_entry("0x1234\n", "sys/bus/pci/devices/%s/vendor", BDF);
	fake_entry("0x11e8\n", "sys/bus/pci/devices/%s/device", BDF);
	fake_entry("0x1af4\n", "sys/bus/pci/devices/%s/subsystem_vendor", BDF);
	fake_entry("0x1100\n", "sys/bus/pci/devices/%s/subsystem_device", BDF);
	fake_entry("0x00ff00\n", "sys/bus/pci/devices/%s/class", BDF);
	obj = fake_object("ops.bpf.o", "lib/ops.bpf.o", 0666);
	snprintf(line, sizeof(line), BDF " %s\n", obj);
	fake_entry(line, "devices.conf");
	snprintf(conf, sizeof(conf), "%s/devices.conf", tree.root);
	ASSERT_TRUE(chmod(conf, 0644) == 0);

	snprintf(message, sizeof(message), "vfmig-load: refusing program %s: it is writable"
		 " by group or others (chmod go-w %s)", obj, obj);
	expect_apply_refused(conf, message);

	ASSERT_TRUE(chmod(obj, 0644) == 0);
	ASSERT_TRUE(chown(obj, 1000, 0) == 0);
	snprintf(message, sizeof(message), "vfmig-load: refusing program %s: it is not owned"
		 " by root (chown root %s)", obj, obj);
	expect_apply_refused(conf, message);

	ASSERT_TRUE(chown(obj, 0, 0) == 0);
	ASSERT_TRUE(chmod(tree_path("lib"), 0777) == 0);
	snprintf(message, sizeof(message), "vfmig-load: refusing program %s: its directory"
		 " %s/lib is writable by group or others", obj, tree.root);
	expect_apply_refused(conf, message);

	ASSERT_TRUE(chmod(tree_path("lib"), 0755) == 0);
	ASSERT_TRUE(chmod(conf, 0666) == 0);
	snprintf(message, sizeof(message), "vfmig-load: refusing configuration %s: it is"
		 " writable by group or others", conf);
	expect_apply_refused(conf, message);

	/* All root's: apply goes on to load it (which fails here: no kernel). */
	ASSERT_TRUE(chmod(conf, 0644) == 0);
	run_loader(&run, "apply", "--bdf", BDF, "--config", conf, NULL);
	ASSERT_TRUE(!strstr(run.err, "refusing"));
}

/*
 * The tools built to be installed ignore VFMIG_SYSFS_ROOT and
 * VFMIG_BPFFS_ROOT: the fake tree the test build serves, with the program
 * "unit_only" on BDF, never reaches them.
 */
TEST(cli_installed_ignores_test_roots)
{
	struct run test, installed;

	if (!unit_installed_loader || !fake_tree(FAKE_MODULE))
		return;
	fake_device(BDF, "vfmig-pci", "unit_only");
	run_loader(&test, "status", "--bdf", BDF, NULL);
	ASSERT_INT(test.status, 0);
	ASSERT_CONTAINS(test.out, "unit_only");
	run_installed(&installed, "status", "--bdf", BDF, NULL);
	ASSERT_TRUE(!strstr(installed.out, "unit_only"));
	ASSERT_TRUE(!strstr(installed.out, tree.root) && !strstr(installed.err, tree.root));
	ASSERT_TRUE(installed.status != 0 || strcmp(installed.out, test.out));
}
