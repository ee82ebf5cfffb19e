/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Host unit tests of vfmig-load, vfmig-ctl and the stream parser, in the
 * manner of the kernel's kselftest_harness.h: one TEST() a test, which
 * registers itself.  ASSERT_* print what differed, mark the running test
 * failed and evaluate to false, so a test can stop with
 * "if (!ASSERT_...(...)) return;" where going on makes no sense.
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

struct unit_test {
	const char *name;
	void (*run)(void);
	struct unit_test *next;
};

void unit_register(struct unit_test *test);

/*
 * TEST(name) { ... } defines a test and registers it before main() runs,
 * in the order of the file (and files in link order): nothing else to add
 * anywhere.  `unit-tests -t name` runs it alone.
 */
#define TEST(id)							\
	static void test_##id(void);					\
	static struct unit_test unit_test_##id = {			\
		.name = #id, .run = test_##id,				\
	};								\
	__attribute__((constructor)) static void unit_register_##id(void) \
	{								\
		unit_register(&unit_test_##id);				\
	}								\
	static void test_##id(void)

#endif /* VFMIG_UNIT_H */
