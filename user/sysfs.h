/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What sysfs says about the module, the vfmig-pci driver and PCI devices.
 */
#ifndef VFMIG_SYSFS_H
#define VFMIG_SYSFS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

/* "/sys", or $VFMIG_SYSFS_ROOT (host unit tests only, see sysfs.c). */
const char *sysfs_root(void);

/* $NAME in the test build (non-empty), else NULL: installed tools ignore it. */
const char *test_env(const char *name);

/* Formats ROOT/FMT... into a PATH_MAX buffer; -ENAMETOOLONG if it can't. */
int sysfs_path(char path[PATH_MAX], const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Reads a file's first line without its newline; -errno on failure. */
int read_line(const char *path, char *line, size_t size);
/* Writes @text to a sysfs attribute; -errno on failure. */
int write_text(const char *path, const char *text);

bool module_loaded(void);
bool device_exists(const char *bdf);
/* The driver @bdf is bound to, or "" when none. */
void device_driver(const char *bdf, char *driver, size_t size);
/*
 * The vfmig program attached to @bdf, "" when none; -ENOENT when the
 * device has no vfmig attributes (not bound to vfmig-pci).
 */
int device_program(const char *bdf, char *name, size_t size);
/* A counter of .../vfmig/ ("hooked", "passed", "failed"); -errno. */
int device_counter(const char *bdf, const char *counter,
		   unsigned long long *value);

#endif /* VFMIG_SYSFS_H */
