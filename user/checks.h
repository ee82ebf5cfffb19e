/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Preconditions of the commands, each reporting its failure with the fix.
 * Each returns 0, or EXIT_FAIL after printing why.  Commands run them in
 * the order declared here so that the first problem reported is always the
 * same one.
 */
#ifndef VFMIG_CHECKS_H
#define VFMIG_CHECKS_H

/* Fails, saying so, without CAP_SYS_ADMIN. */
int check_admin(void);
int check_module(void);
struct bpf_object;
struct bpf_map;
/*
 * The loaded module's ABI (include/vfmig.h) is at least what the object
 * needs: said before anything is loaded, naming both.
 */
int check_abi(struct bpf_object *obj, const char *path, const struct bpf_map *ops_map);
/* The loaded module's ABI: 1 for a module that does not show one. */
unsigned int module_abi(void);
int check_device(const char *bdf);
int check_bound(const char *bdf);
int check_bpffs(void);
/* No program attached to @bdf and nothing left pinned for it. */
int check_idle(const char *bdf);

/*
 * @path (what: "program", "configuration") is safe for root to act on:
 * a regular file owned by root and writable by no one else, in
 * directories, up to /, that no one but root can change (a world-writable
 * directory only with the sticky bit, as /tmp: others cannot replace
 * root's files there).  Checked as given and with symlinks resolved.
 */
int check_trusted(const char *path, const char *what);

/* "BDF already runs program NAME (...)", also for EBUSY from the kernel. */
int fail_busy(const char *bdf);

#endif /* VFMIG_CHECKS_H */
