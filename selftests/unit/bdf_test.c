// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>

#include "bdf.h"
#include "unit.h"

static void expect_canonical(const char *text, const char *want)
{
	char bdf[VFMIG_BDF_LEN] = "";

	if (ASSERT_INT(bdf_parse(text, bdf), 0))
		ASSERT_STR(bdf, want);
}

TEST(bdf_long_form)
{
	expect_canonical("0000:3b:00.1", "0000:3b:00.1");
	expect_canonical("ffff:ff:1f.7", "ffff:ff:1f.7");
}

TEST(bdf_short_form)
{
	expect_canonical("3b:00.1", "0000:3b:00.1");
	expect_canonical("00:04.0", "0000:00:04.0");
}

TEST(bdf_upper_case)
{
	expect_canonical("ABCD:EF:1F.7", "abcd:ef:1f.7");
	expect_canonical("3B:0a.2", "0000:3b:0a.2");
}

TEST(bdf_rejects_malformed)
{
	static const char *const bad[] = {
		"", "3b", "3b:00", "3b:00.", "3b:0.1", "0:3b:00.1",
		"00000:3b:00.1", "0000:3b:00.1\n", " 3b:00.1", "3b:00.1 ",
		"0000-3b:00.1", "0000:3b-00.1", "0000:3b:00:1", "3b:00.1x",
		"g000:3b:00.1", "0000:3b:0g.1", "0x3b:00.1", "+b:00.1",
		"0000:3b:20.0",		/* device > 0x1f */
		"0000:3b:00.8",		/* function > 7 */
	};
	char bdf[VFMIG_BDF_LEN];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (bdf_parse(bad[i], bdf) != -EINVAL)
			unit_fail(__FILE__, __LINE__, "\"%s\" accepted as %s", bad[i], bdf);
}
