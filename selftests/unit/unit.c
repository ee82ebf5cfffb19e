// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Runs every host unit test; usage: unit-tests VFMIG_LOAD OBJECTS_DIR.
 * Ends with "N passed, N failed" and fails if any test did.
 */
#include <stdarg.h>
#include <stdio.h>

#include "unit.h"

const char *unit_loader;
const char *unit_installed_loader;	/* the build to install, or NULL */
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
	TEST(test_dirty_region_same_page_size),
	TEST(test_dirty_region_larger_log_pages),
	TEST(test_dirty_region_smaller_log_pages),
	TEST(test_dirty_region_window_cuts_a_page),
	TEST(test_dirty_region_errors),
	TEST(test_dirty_via_names),
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
	TEST(test_cli_apply_refuses_untrusted_files),
	TEST(test_cli_installed_ignores_test_roots),
	TEST(test_crc32c_known_answer),
	TEST(test_stream_header_layout),
	TEST(test_stream_valid_single_unit),
	TEST(test_stream_valid_precopy_final),
	TEST(test_stream_valid_max_units),
	TEST(test_stream_empty),
	TEST(test_stream_truncated_header),
	TEST(test_stream_truncated_payload),
	TEST(test_stream_bad_magic),
	TEST(test_stream_bad_version),
	TEST(test_stream_bad_header_size),
	TEST(test_stream_reserved_not_zero),
	TEST(test_stream_program_not_terminated),
	TEST(test_stream_other_device),
	TEST(test_stream_any_ids),
	TEST(test_stream_other_program),
	TEST(test_stream_other_program_version),
	TEST(test_stream_program_version_range),
	TEST(test_config_bdf_wins_over_ids),
	TEST(test_config_first_id_match),
	TEST(test_config_errors),
	TEST(test_stream_checksum_payload_byte),
	TEST(test_stream_checksum_header_byte),
	TEST(test_stream_trailing_bytes),
	TEST(test_stream_no_final_unit),
	TEST(test_stream_flags_neither_or_both),
	TEST(test_stream_too_many_units),
	TEST(test_stream_units_of_other_origins),
	TEST(test_stream_scratch_sizes),
	TEST(test_stream_read_error),
	TEST(test_ctl_inspect_good_stream),
	TEST(test_ctl_inspect_bad_stream),
	TEST(test_ctl_inspect_escapes_program),
	TEST(test_ctl_make_stream),
	TEST(test_ctl_usage_errors),
	TEST(test_ctl_help),
	TEST(test_ctl_device_not_usable),
	TEST(test_ctl_files_checked_first),
	TEST(test_ctl_args_parse),
	TEST(test_ctl_parse_helpers),
	TEST(test_ctl_fake_features),
	TEST(test_ctl_fake_save),
	TEST(test_ctl_fake_restore),
	TEST(test_ctl_fake_state),
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

	if (argc != 3 && argc != 4) {
		fprintf(stderr, "usage: %s VFMIG_LOAD OBJECTS_DIR [INSTALLED_VFMIG_LOAD]\n",
			argv[0]);
		return 2;
	}
	unit_loader = argv[1];
	unit_objects = argv[2];
	unit_installed_loader = argc == 4 ? argv[3] : NULL;

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
