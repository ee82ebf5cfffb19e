// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Runs the host unit tests, each registered by its TEST() (unit.h):
 *
 *   unit-tests [-t NAME]... VFMIG_LOAD OBJECTS_DIR [INSTALLED_VFMIG_LOAD]
 *   unit-tests -l
 *
 * -t runs the named tests only (all by default), -l lists them.  Ends with
 * "N passed, N failed" and fails if any test did.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"

const char *unit_loader;
const char *unit_installed_loader;	/* the build to install, or NULL */
const char *unit_objects;

static struct unit_test *tests, **tests_end = &tests;
static int failures;	/* of the running test */

/* From the constructors: appended, so they run in the order they are defined. */
void unit_register(struct unit_test *test)
{
	*tests_end = test;
	tests_end = &test->next;
}

bool unit_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	printf("    %s:%d: ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	failures++;
	return false;
}

static struct unit_test *find(const char *name)
{
	for (struct unit_test *t = tests; t; t = t->next)
		if (!strcmp(t->name, name))
			return t;
	return NULL;
}

static void usage(const char *prog)
{
	fprintf(stderr, "usage: %s [-t NAME]... VFMIG_LOAD OBJECTS_DIR [INSTALLED_VFMIG_LOAD]\n"
		"       %s -l\n", prog, prog);
}

int main(int argc, char **argv)
{
	int passed = 0, failed = 0, opt, nr_chosen = 0;
	const char *chosen[64];

	while ((opt = getopt(argc, argv, "lt:")) != -1) {
		switch (opt) {
		case 'l':
			for (struct unit_test *t = tests; t; t = t->next)
				puts(t->name);
			return 0;
		case 't':
			if (!find(optarg)) {
				fprintf(stderr, "%s: no test named %s (-l lists them)\n",
					argv[0], optarg);
				return 2;
			}
			if (nr_chosen == (int)(sizeof(chosen) / sizeof(chosen[0]))) {
				fprintf(stderr, "%s: too many -t\n", argv[0]);
				return 2;
			}
			chosen[nr_chosen++] = optarg;
			break;
		default:
			usage(argv[0]);
			return 2;
		}
	}
	if (argc - optind != 2 && argc - optind != 3) {
		usage(argv[0]);
		return 2;
	}
	unit_loader = argv[optind];
	unit_objects = argv[optind + 1];
	unit_installed_loader = argc - optind == 3 ? argv[optind + 2] : NULL;

	for (struct unit_test *t = tests; t; t = t->next) {
		bool run = !nr_chosen;

		for (int i = 0; i < nr_chosen && !run; i++)
			run = !strcmp(chosen[i], t->name);
		if (!run)
			continue;
		failures = 0;
		t->run();
		printf("%s %s\n", failures ? "FAIL" : "ok  ", t->name);
		fflush(stdout);
		if (failures)
			failed++;
		else
			passed++;
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
