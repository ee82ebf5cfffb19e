// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A verifier rejection, reported on the host: the object loads socket
 * filters, so this needs the right to load BPF programs (root), not vfmig.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "load.h"
#include "report.h"
#include "unit.h"

/* load_object() on a test object with its stderr caught in @err. */
static int load_catching_stderr(const char *object, char *err, size_t size)
{
	char path[PATH_MAX], err_path[] = "/tmp/vfmig-unit-stderr.XXXXXX";
	struct bpf_object *obj;
	int saved, fd, ret = -1;
	ssize_t len;

	snprintf(path, sizeof(path), "%s/%s", unit_objects, object);
	obj = bpf_object__open_file(path, NULL);
	fd = mkstemp(err_path);
	if (!ASSERT_TRUE(obj) || !ASSERT_TRUE(fd >= 0))
		goto out;
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	ret = load_object(obj, path);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	len = pread(fd, err, size - 1, 0);
	err[len > 0 ? len : 0] = '\0';
out:
	if (fd >= 0) {
		close(fd);
		unlink(err_path);
	}
	bpf_object__close(obj);
	return ret;
}

static int count_lines(const char *text)
{
	int lines = 0;

	for (; *text; text++)
		lines += *text == '\n';
	return lines;
}

TEST(load_names_rejected_program)
{
	static char err[1 << 16];

	report_init(false);
	ASSERT_INT(load_catching_stderr("rejected.bpf.o", err, sizeof(err)), 1);
	if (geteuid() != 0) {
		/* Without root: at least the failure names the fix. */
		ASSERT_CONTAINS(err, "(run as root)");
		printf("    (not root: the verifier log part is skipped)\n");
		return;
	}
	/* Not the first program: the one whose log filled. */
	ASSERT_CONTAINS(err, "vfmig-load: program rejected_second rejected by the"
			" verifier (log above)\n");
	ASSERT_CONTAINS(err, "invalid mem access");
	/* Without -v: a note, the last 40 lines, the verdict. */
	ASSERT_CONTAINS(err, "the last 40 lines of the verifier log; -v shows all");
	ASSERT_INT(count_lines(err), 1 + 40 + 1);
}
