/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef VFMIG_LOAD_H
#define VFMIG_LOAD_H

#include <limits.h>

#include <bpf/libbpf.h>

/*
 * Loads an opened object.  A program the verifier rejects is named after
 * its log (the tail of it, all of it with -v).  Returns 0, or EXIT_FAIL
 * after saying why.
 */
int load_object(struct bpf_object *obj, const char *path);

struct load_opts;
struct pci_function_id;

/* The PCI ids of @bdf from sysfs; 0 or -errno. */
int device_ids(const char *bdf, struct pci_function_id *fn);

/*
 * The device of @opts must be one the object's ids declare, or the object
 * declares none and --force was given (a warning).  0 or EXIT_FAIL.
 */
int check_ids(struct bpf_object *obj, const struct bpf_map *ops_map,
	      const struct load_opts *opts);

/* Says why the kernel refused to attach (or update to) program @name. */
int report_attach_failure(int err, const struct load_opts *opts, const char *name);

/*
 * Pins every map of @obj but @ops_map in the pin directory of @bdf;
 * -errno, with @failed the pin that failed.
 */
int pin_maps(struct bpf_object *obj, const struct bpf_map *ops_map,
	     const char *bdf, char failed[PATH_MAX]);

#endif /* VFMIG_LOAD_H */
