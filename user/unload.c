// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * unload: remove the pins of a device.  The link pin is the last reference
 * to the attach, so removing it detaches (the module's unreg runs).
 */
#include <stdio.h>
#include <time.h>

#include "checks.h"
#include "commands.h"
#include "pins.h"
#include "report.h"
#include "sysfs.h"

#define DETACH_WAIT_MS	2000
#define DETACH_POLL_MS	10

/* The kernel drops a link from a work item: give it a moment. */
static bool wait_detached(const char *bdf)
{
	const struct timespec poll = { 0, DETACH_POLL_MS * 1000000L };
	char program[VFMIG_NAME_LEN + 1];

	for (int waited = 0; waited < DETACH_WAIT_MS; waited += DETACH_POLL_MS) {
		if (device_program(bdf, program, sizeof(program)) || !program[0])
			return true;
		nanosleep(&poll, NULL);
	}
	return false;
}

int cmd_unload(const struct load_opts *opts)
{
	char program[VFMIG_NAME_LEN + 1] = "", dir[PATH_MAX];
	const char *bdf = opts->bdf;
	int removed;

	if (check_bpffs())
		return EXIT_FAIL;
	pin_path(dir, bdf, NULL);
	if (device_program(bdf, program, sizeof(program)))
		program[0] = '\0';

	removed = pins_remove(bdf);
	if (removed < 0)
		return fail("cannot remove the pins in %s: %s", dir, errstr(removed));
	if (removed == 0 && program[0])
		return fail("%s runs program %s but nothing is pinned in %s (another process holds its link: bpftool link show)",
			    bdf, program, dir);
	if (removed == 0)
		return fail("nothing loaded on %s", bdf);

	if (program[0] && !wait_detached(bdf))
		warn("%s still runs %s: another process holds its link (bpftool link show)",
		     bdf, program);
	printf("unloaded %s from %s (removed %d pin%s from %s)\n",
	       program[0] ? program : "the program", bdf, removed,
	       removed == 1 ? "" : "s", dir);
	return 0;
}
