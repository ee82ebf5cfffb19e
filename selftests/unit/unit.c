// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Runs every host unit test; usage: unit-tests VFMIG_LOAD OBJECTS_DIR.
 * Ends with "N passed, N failed" and fails if any test did.
 */
#include <stdarg.h>
#include <stdio.h>

#include "unit.h"

const char *unit_loader;
const char *unit_objects;

static int failures;	/* of the running test */

#define TEST(fn)	{ #fn, fn }

static const struct {
	const char *name;
	void (*run)(void);
} tests[] = {
	TEST(test_bdf_long_form),
	TEST(test_bdf_short_form),
	TEST(test_bdf_upper_case),
	TEST(test_bdf_rejects_malformed),
	TEST(test_args_default_command),
	TEST(test_args_load_options),
	TEST(test_args_unload),
	TEST(test_args_status_bdf_optional),
	TEST(test_args_unknown_command),
	TEST(test_args_missing_bdf),
	TEST(test_args_unknown_option),
	TEST(test_args_operands),
	TEST(test_args_bad_bdf),
	TEST(test_args_help),
	TEST(test_ops_map_target_written),
	TEST(test_ops_map_keeps_program_name),
	TEST(test_load_names_rejected_program),
	TEST(test_cli_usage_errors_exit_2),
	TEST(test_cli_help_exit_0),
	TEST(test_cli_object_checked_first),
	TEST(test_cli_object_missing),
	TEST(test_cli_object_without_ops),
	TEST(test_cli_object_with_two_ops),
	TEST(test_cli_module_not_loaded),
	TEST(test_cli_no_such_device),
	TEST(test_cli_bound_to_other_driver),
	TEST(test_cli_unbound_device),
	TEST(test_cli_bpffs_not_mounted),
	TEST(test_cli_already_attached),
	TEST(test_cli_stale_pins),
	TEST(test_cli_unload_nothing_loaded),
	TEST(test_cli_unload_removes_pins),
	TEST(test_cli_bind_writes_sysfs),
	TEST(test_cli_status_json),
	TEST(test_cli_status_unknown_device),
};

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

int main(int argc, char **argv)
{
	int passed = 0, failed = 0;

	if (argc != 3) {
		fprintf(stderr, "usage: %s VFMIG_LOAD OBJECTS_DIR\n", argv[0]);
		return 2;
	}
	unit_loader = argv[1];
	unit_objects = argv[2];

	for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		failures = 0;
		tests[i].run();
		printf("%s %s\n", failures ? "FAIL" : "ok  ", tests[i].name);
		fflush(stdout);
		if (failures)
			failed++;
		else
			passed++;
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
