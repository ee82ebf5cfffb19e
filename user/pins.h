/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The pins that keep a program attached after vfmig-load exits:
 * BPFFS/vfmig/BDF/link (the struct_ops link) and BPFFS/vfmig/BDF/MAP.
 */
#ifndef VFMIG_PINS_H
#define VFMIG_PINS_H

#include <dirent.h>
#include <limits.h>
#include <stdbool.h>

/* The pin of the struct_ops link in a device's pin directory. */
#define PIN_LINK	"link"

/* "/sys/fs/bpf", or $VFMIG_BPFFS_ROOT (host unit tests only, see pins.c). */
const char *bpffs_root(void);
bool bpffs_mounted(void);

/* BPFFS/vfmig, and BPFFS/vfmig/BDF (or a pin in it when @pin is set). */
int pin_root_path(char path[PATH_MAX]);
/* The pin directory's name for @bdf: bpffs reserves '.', so '_' replaces it. */
#define BDF_PIN_LEN	32
void pin_dir_name(char name[BDF_PIN_LEN], const char *bdf);
int pin_path(char path[PATH_MAX], const char *bdf, const char *pin);

/* Creates BPFFS/vfmig/BDF as needed; -errno. */
int pin_dir_create(const char *bdf);

/*
 * The entries of @dir but "." and "..", sorted; their count or -errno.
 * Free the list with free_names().
 */
int scan_names(const char *dir, struct dirent ***names);
void free_names(struct dirent **names, int count);

/*
 * Removes every pin of @bdf, the link first so the program detaches
 * before its maps go, then the directory.  Returns how many pins were
 * removed (0: nothing was loaded) or -errno.
 */
int pins_remove(const char *bdf);

#endif /* VFMIG_PINS_H */
