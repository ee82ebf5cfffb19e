/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Host unit tests of vfmig-load, vfmig-ctl and the stream parser: one test
 * a function, all listed in the table of unit.c.  ASSERT_* print what
 * differed, mark the running test failed and evaluate to false, so a test
 * can stop with "if (!ASSERT_...(...)) return;" where going on makes no
 * sense.
 */
#ifndef VFMIG_UNIT_H
#define VFMIG_UNIT_H

#include <stdbool.h>
#include <string.h>

/*
 * From the command line: the built vfmig-load (vfmig-ctl is beside it) and
 * the test objects' dir.
 */
extern const char *unit_loader;
extern const char *unit_objects;
extern const char *unit_installed_loader;	/* the build to install, or NULL */

bool unit_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define ASSERT_TRUE(cond)						\
	((cond) ? true : unit_fail(__FILE__, __LINE__, "%s is false", #cond))

#define ASSERT_INT(got, want) ({					\
	long long got_ = (got), want_ = (want);				\
	got_ == want_ ? true : unit_fail(__FILE__, __LINE__,		\
		"%s is %lld, want %lld", #got, got_, want_);		\
})

#define ASSERT_STR(got, want) ({					\
	const char *got_ = (got), *want_ = (want);			\
	!strcmp(got_, want_) ? true : unit_fail(__FILE__, __LINE__,	\
		"%s is \"%s\", want \"%s\"", #got, got_, want_);	\
})

#define ASSERT_CONTAINS(text, part) ({					\
	const char *text_ = (text), *part_ = (part);			\
	strstr(text_, part_) ? true : unit_fail(__FILE__, __LINE__,	\
		"%s lacks \"%s\"; it is:\n%s", #text, part_, text_);	\
})

/* bdf_test.c */
void test_bdf_long_form(void);
void test_bdf_short_form(void);
void test_bdf_upper_case(void);
void test_bdf_rejects_malformed(void);

/* dirty_log_test.c */
void test_dirty_region_same_page_size(void);
void test_dirty_region_larger_log_pages(void);
void test_dirty_region_smaller_log_pages(void);
void test_dirty_region_window_cuts_a_page(void);
void test_dirty_region_errors(void);
void test_dirty_via_names(void);

/* args_test.c */
void test_args_default_command(void);
void test_args_load_options(void);
void test_args_unload(void);
void test_args_status_bdf_optional(void);
void test_args_unknown_command(void);
void test_args_missing_bdf(void);
void test_args_unknown_option(void);
void test_args_operands(void);
void test_args_bad_bdf(void);
void test_args_help(void);

/* ops_map_test.c */
void test_ops_map_target_written(void);
void test_ops_map_keeps_program_name(void);

/* load_test.c */
void test_load_names_rejected_program(void);

/* cli_test.c */
void test_cli_usage_errors_exit_2(void);
void test_cli_help_exit_0(void);
void test_cli_object_checked_first(void);
void test_cli_object_missing(void);
void test_cli_object_without_ops(void);
void test_cli_object_with_two_ops(void);
void test_cli_module_not_loaded(void);
void test_cli_no_such_device(void);
void test_cli_bound_to_other_driver(void);
void test_cli_unbound_device(void);
void test_cli_bpffs_not_mounted(void);
void test_cli_already_attached(void);
void test_cli_stale_pins(void);
void test_cli_unload_nothing_loaded(void);
void test_cli_unload_removes_pins(void);
void test_cli_bind_writes_sysfs(void);
void test_cli_status_json(void);
void test_cli_status_unknown_device(void);
void test_cli_apply_refuses_untrusted_files(void);
void test_cli_installed_ignores_test_roots(void);

/* stream_test.c */
void test_crc32c_known_answer(void);
void test_stream_header_layout(void);
void test_stream_valid_single_unit(void);
void test_stream_valid_precopy_final(void);
void test_stream_valid_max_units(void);
void test_stream_empty(void);
void test_stream_truncated_header(void);
void test_stream_truncated_payload(void);
void test_stream_bad_magic(void);
void test_stream_bad_version(void);
void test_stream_bad_header_size(void);
void test_stream_reserved_not_zero(void);
void test_stream_program_not_terminated(void);
void test_stream_other_device(void);
void test_stream_any_ids(void);
void test_stream_other_program(void);
void test_stream_other_program_version(void);
void test_stream_program_version_range(void);
void test_config_bdf_wins_over_ids(void);
void test_config_first_id_match(void);
void test_config_errors(void);
void test_stream_checksum_payload_byte(void);
void test_stream_checksum_header_byte(void);
void test_stream_trailing_bytes(void);
void test_stream_no_final_unit(void);
void test_stream_flags_neither_or_both(void);
void test_stream_too_many_units(void);
void test_stream_units_of_other_origins(void);
void test_stream_scratch_sizes(void);
void test_stream_read_error(void);

/* ctl_test.c */
void test_ctl_inspect_good_stream(void);
void test_ctl_inspect_bad_stream(void);
void test_ctl_inspect_escapes_program(void);
void test_ctl_make_stream(void);
void test_ctl_usage_errors(void);
void test_ctl_help(void);
void test_ctl_device_not_usable(void);
void test_ctl_files_checked_first(void);
void test_ctl_args_parse(void);
void test_ctl_parse_helpers(void);
void test_ctl_fake_features(void);
void test_ctl_fake_save(void);
void test_ctl_fake_restore(void);
void test_ctl_fake_state(void);

#endif /* VFMIG_UNIT_H */
