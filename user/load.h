/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef VFMIG_LOAD_H
#define VFMIG_LOAD_H

#include <bpf/libbpf.h>

/*
 * Loads an opened object.  A program the verifier rejects is named after
 * its log (the tail of it, all of it with -v).  Returns 0, or EXIT_FAIL
 * after saying why.
 */
int load_object(struct bpf_object *obj, const char *path);

#endif /* VFMIG_LOAD_H */
