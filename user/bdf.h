/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef VFMIG_BDF_H
#define VFMIG_BDF_H

#include "vfmig.h"

/* What bdf_parse() accepts, for messages. */
#define BDF_FORMS "DDDD:BB:DD.F or BB:DD.F in hex"

/*
 * Parses a PCI address, "DDDD:BB:DD.F" or "BB:DD.F" (domain 0000), hex in
 * any case, into the form sysfs and the kernel module use: lower-case
 * "dddd:bb:dd.f".  Returns 0, or -EINVAL for anything else.
 */
int bdf_parse(const char *text, char canonical[VFMIG_BDF_LEN]);

#endif /* VFMIG_BDF_H */
