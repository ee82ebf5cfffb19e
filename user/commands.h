/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The commands of vfmig-load; each returns the process exit status. */
#ifndef VFMIG_COMMANDS_H
#define VFMIG_COMMANDS_H

#include "args.h"
#include "vfmig.h"

int cmd_load(const struct cli_args *args);	/* load.c */
int cmd_unload(const struct cli_args *args);	/* unload.c */
int cmd_replace(const struct cli_args *args);	/* replace.c */
int cmd_status(const struct cli_args *args);	/* status.c */
int cmd_bind(const struct cli_args *args);	/* bind.c */
int cmd_inspect_object(const struct cli_args *args);	/* inspect.c */

/* Binds @bdf to vfmig-pci unless it is; 0 or EXIT_FAIL (reported). */
int bind_device(const char *bdf);

#endif /* VFMIG_COMMANDS_H */
