/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * vfmig-ctl: its options (indices into the table of ctl_args.c), what a
 * command was given (struct ctl_opts), its commands, and the argument
 * parsers the table's checks and ctl_opts_fill() share.  Commands return
 * the process exit status.
 */
#ifndef VFMIG_CTL_H
#define VFMIG_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "bdf.h"
#include "cli.h"
#include "dirty_log.h"
#include "vfio_dev.h"
#include "vfmig_stream.h"

enum ctl_option {
	OPT_BDF,
	OPT_OUTPUT,
	OPT_INPUT,
	OPT_SET,
	OPT_IDS,
	OPT_PROGRAM,
	OPT_VERSION,
	OPT_PAYLOAD_HEX,
	OPT_PAYLOAD_FILE,
	OPT_PRECOPY_HEX,
	OPT_PRECOPY,
	OPT_FD,
	OPT_RANGE,
	OPT_PAGE_SIZE,
	OPT_VIA,
	OPT_BACKEND,
	OPT_VERBOSE,
	OPT_HELP,
	NR_CTL_OPTIONS
};

extern const struct cli ctl_cli;

/* Most states one --set walks through. */
#define CTL_MAX_STATES	16

/*
 * What a command of vfmig-ctl was given, filled once from its command line
 * (ctl_opts_fill(): the option table's checks let only valid arguments
 * through); each command reads the fields it takes.
 */
struct ctl_opts {
	const char *command;		/* its name, for messages */
	const char *operand;		/* inspect's FILE, dirty's ACTION */
	char bdf[VFMIG_BDF_LEN];	/* --bdf in canonical form; "": none */
	const char *fd;			/* --fd as given; NULL: none */
	enum vfio_backend backend;	/* --backend, else auto */
	const char *output;		/* -o */
	const char *input;		/* -i */
	__u32 states[CTL_MAX_STATES];	/* --set, in order */
	int nr_states;
	struct vfmig_stream_expect id;	/* --ids, --program, --version */
	const char *payload_hex;	/* --payload-hex */
	const char *payload_file;	/* --payload-file */
	const char *precopy_hex[CLI_MAX_REPEAT];	/* each --precopy-hex */
	unsigned int nr_precopy_hex;
	bool precopy;			/* --precopy */
	struct vfmig_dirty_range ranges[CLI_MAX_REPEAT];	/* each --range */
	const char *range_text[CLI_MAX_REPEAT];	/* as given */
	unsigned int nr_ranges;
	__u64 page_size;		/* --page-size, else 4096 */
	enum dirty_via via;		/* --via, else auto */
};

void ctl_opts_fill(struct ctl_opts *opts, const struct cli_args *args);

/*
 * The device of --fd (an open VFIO device fd inherited from the process
 * that holds it) or of --bdf (opened here): 0, CLI_EXIT_USAGE if not
 * exactly one is given, or a cli_fail() status.
 */
int ctl_open_target(struct vfio_dev *dev, const struct ctl_opts *opts);

int cmd_features(const struct ctl_opts *opts);		/* ctl_device.c */
int cmd_state(const struct ctl_opts *opts);
int cmd_save(const struct ctl_opts *opts);
int cmd_restore(const struct ctl_opts *opts);
int cmd_inspect(const struct ctl_opts *opts);		/* ctl_stream.c */
int cmd_make_stream(const struct ctl_opts *opts);
int cmd_dirty(const struct ctl_opts *opts);		/* ctl_dirty.c */

struct vfmig_dirty_range;
/* "IOVA:LENGTH", numbers in C notation, LENGTH > 0; 0 or -EINVAL. */
int parse_range(const char *text, struct vfmig_dirty_range *range);
/* A positive number in C notation; 0 or -EINVAL. */
int parse_page_size(const char *text, __u64 *size);

/*
 * "VENDOR:DEVICE[:SUBVENDOR:SUBDEVICE]", 1-4 hex digits each, into the ids
 * of @id (subsystem 0:0 when left out); 0 or -EINVAL.
 */
int parse_ids(const char *text, struct vfmig_stream_expect *id);
/* Pairs of hex digits into @buf (NULL: only checks); their count or -EINVAL. */
long parse_hex(const char *text, unsigned char *buf);
/* "STATE[,STATE...]" into @states (at most @max); the count or -EINVAL. */
int parse_states(const char *text, __u32 *states, int max);

#endif /* VFMIG_CTL_H */
