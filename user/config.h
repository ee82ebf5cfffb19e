/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * /etc/vfmig/devices.conf: which vendor program serves which device.
 *
 *	# MATCH			PROGRAM
 *	0000:3b:10.0		/usr/local/lib/vfmig/igbvf.bpf.o
 *	8086:10ca		/usr/local/lib/vfmig/igbvf.bpf.o
 *	8086:10ca:8086:0000	/opt/acme/igbvf-acme.bpf.o
 *
 * MATCH is a BDF or PCI ids in hex, VENDOR:DEVICE[:SUBVENDOR:SUBDEVICE];
 * PROGRAM an absolute path.  A BDF line wins over id lines; among id lines
 * the first that matches wins.
 */
#ifndef VFMIG_CONFIG_H
#define VFMIG_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <linux/types.h>

#define VFMIG_CONFIG_FILE	"/etc/vfmig/devices.conf"

struct pci_function_id;

/*
 * The program @path's configuration gives the device @bdf with ids @fn, in
 * @program; 0 when found, -ENOENT when no line matches, EXIT_FAILURE after
 * saying what is wrong with the file (line and fix).
 */
int config_lookup(const char *path, const char *bdf,
		  const struct pci_function_id *fn, char program[PATH_MAX]);

#endif /* VFMIG_CONFIG_H */
