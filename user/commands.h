/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The commands of vfmig-load; each returns the process exit status. */
#ifndef VFMIG_COMMANDS_H
#define VFMIG_COMMANDS_H

#include <limits.h>

#include "args.h"
#include "vfmig.h"

int cmd_load(const struct load_opts *opts);	/* load.c */
int cmd_unload(const struct load_opts *opts);	/* unload.c */
int cmd_replace(const struct load_opts *opts);	/* replace.c */
int cmd_status(const struct load_opts *opts);	/* status.c */
int cmd_bind(const struct load_opts *opts);	/* bind.c */
int cmd_inspect_object(const struct load_opts *opts);	/* inspect.c */

int cmd_apply(const struct load_opts *opts);	/* apply.c */
int cmd_release(const struct load_opts *opts);	/* apply.c */

/*
 * Binds @bdf to vfmig-pci unless it is, recording the driver it had;
 * 0 or EXIT_FAIL (reported).
 */
int bind_device(const char *bdf);
/* The record of the driver @bdf had before bind_device(); 0 or -errno. */
int bind_record_path(char path[PATH_MAX], const char *bdf);
/*
 * Unbinds @bdf and lets @driver take it ("" for whichever matches it by
 * id); 0 or EXIT_FAIL (reported).
 */
int unbind_device(const char *bdf, const char *driver);

#endif /* VFMIG_COMMANDS_H */
