// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * vfmig-ctl dirty start|report|stop|status: a device's DMA dirty log.
 *
 * Closing a VFIO device stops its log, so a log that lives across commands
 * needs the device held open by another process (a VMM, a test driver)
 * that passes its device fd down: --fd N.  --bdf opens the device for this
 * one command, which is enough for status and for a start/report/stop
 * that only checks the device takes them.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "dirty_log.h"
#include "vfio_dev.h"

#define NO_DIRTY_LOG	"no DMA logging offered (attach a program with VFMIG_F_DIRTY_LOG " \
			"before opening the device)"

int parse_range(const char *text, struct vfmig_dirty_range *range)
{
	char *end;

	errno = 0;
	range->iova = strtoull(text, &end, 0);
	if (errno || end == text || *end != ':' || text[0] == '-')
		return -EINVAL;
	text = end + 1;
	range->length = strtoull(text, &end, 0);
	if (errno || end == text || *end || text[0] == '-' || !range->length)
		return -EINVAL;
	return 0;
}

int parse_page_size(const char *text, __u64 *size)
{
	char *end;

	errno = 0;
	*size = strtoull(text, &end, 0);
	return errno || end == text || *end || text[0] == '-' || !*size ? -EINVAL : 0;
}

static int usage(const char *what)
{
	fprintf(stderr, "%s: %s (see %s dirty --help)\n", ctl_cli.name, what, ctl_cli.name);
	return CLI_EXIT_USAGE;
}

static int start(const struct dirty_log *log, const char *who, const struct ctl_opts *opts)
{
	unsigned int nr = opts->nr_ranges;
	__u64 page_size = opts->page_size;
	int err;

	if (!opts->fd)
		cli_warn("%s: the log stops when this command closes the device; to keep it, run in a process that holds the device and use --fd",
			 who);
	err = dirty_log_start(log, &page_size, opts->ranges, nr);
	if (err == -EBUSY)
		return cli_fail("%s: DMA logging already started: stop it first", who);
	if (err)
		return cli_fail("%s: cannot start DMA logging: %s (ranges must be aligned to the page size and must not overlap; dmesg or sysfs last_error has the reason)",
				who, strerror(-err));
	printf("started: %u range%s, page size %llu, via %s\n", nr, nr == 1 ? "" : "s",
	       (unsigned long long)page_size, dirty_via_name(log->via));
	return 0;
}

/* One line per run of dirty pages, "IOVA LENGTH" in hex, then a count. */
static int report(const struct dirty_log *log, const char *who, const struct ctl_opts *opts)
{
	unsigned int nr = opts->nr_ranges;
	__u64 page_size = opts->page_size, pages = 0;
	int err = 0;

	for (unsigned int i = 0; i < nr && !err; i++) {
		struct vfmig_dirty_range r = opts->ranges[i];
		__u64 bits, *bitmap, run = 0, run_len = 0;

		if (r.iova % page_size || r.length % page_size)
			return cli_fail("%s: --range %s is not aligned to the page size %llu", who,
					opts->range_text[i], (unsigned long long)page_size);
		bits = r.length / page_size;
		bitmap = calloc((bits + 63) / 64, sizeof(__u64));
		if (!bitmap)
			return cli_fail("%s: out of memory for a %llu-bit bitmap", who,
					(unsigned long long)bits);
		err = dirty_log_report(log, r.iova, r.length, page_size, bitmap);
		for (__u64 b = 0; !err && b < bits; b++) {
			bool dirty;

			if (b % 64 == 0 && !run_len && !bitmap[b / 64]) {
				b += 63;	/* a clean word */
				continue;
			}
			dirty = bitmap[b / 64] >> (b % 64) & 1;
			if (dirty) {
				if (!run_len)
					run = b;
				run_len++;
				pages++;
			}
			if (run_len && (!dirty || b + 1 == bits)) {
				printf("0x%llx 0x%llx\n",
				       (unsigned long long)(r.iova + run * page_size),
				       (unsigned long long)(run_len * page_size));
				run_len = 0;
			}
		}
		free(bitmap);
	}
	if (err == -EIO)
		return cli_fail("%s: the DMA log lost marks (its program stopped): stop and start it again and treat all memory as dirty",
				who);
	if (err)
		return cli_fail("%s: cannot read the DMA log: %s (is it started, and the window inside 64-bit IOVA space?)",
				who, strerror(-err));
	printf("dirty: %llu page%s of %llu bytes\n", (unsigned long long)pages,
	       pages == 1 ? "" : "s", (unsigned long long)page_size);
	return 0;
}

static int status(const struct dirty_log *log)
{
	struct vfmig_dirty_status st;
	int err = dirty_log_status(log, &st);

	if (err == -EOPNOTSUPP) {
		printf("dma logging: offered (VFIO uAPI)\n");
		return 0;
	}
	if (err)
		return cli_fail("cannot read the dirty-log region: %s", strerror(-err));
	printf("dma logging: offered (vfmig region)\n");
	printf("running: %s\n", st.flags & VFMIG_DIRTY_RUNNING ? "yes" : "no");
	if (st.flags & VFMIG_DIRTY_RUNNING)
		printf("page size: %llu\nranges: %u\n", (unsigned long long)st.page_size,
		       st.num_ranges);
	if (st.flags & VFMIG_DIRTY_LOST)
		printf("lost marks: yes (stop and start again)\n");
	printf("pages marked: %llu\n", (unsigned long long)st.marked);
	return 0;
}

int cmd_dirty(const struct ctl_opts *opts)
{
	static const char *const actions[] = { "start", "report", "stop", "status" };
	enum dirty_via via = opts->via;
	struct dirty_log log;
	struct vfio_dev dev;
	unsigned int action;
	int err;

	for (action = 0; action < 4 && strcmp(opts->operand, actions[action]); action++)
		;
	if (action == 4)
		return usage("unknown action: start, report, stop or status");
	if (action < 2 && !opts->nr_ranges)
		return usage(action ? "report needs the IOVA window: --range IOVA:LENGTH" :
			     "start needs the IOVA ranges to log: --range IOVA:LENGTH");
	err = ctl_open_target(&dev, opts);
	if (err)
		return err;
	err = dirty_log_open(&log, dev.fd, via);
	if (err == -ENOTTY)
		err = cli_fail("%s: " NO_DIRTY_LOG, dev.bdf);
	else if (err)
		err = cli_fail("%s: no DMA logging through the %s here (%s)", dev.bdf,
			       dirty_via_name(via), via == DIRTY_VIA_UAPI ?
			       "this kernel's VFIO core has none without IOMMUFD: use --via region" :
			       "the device offers the VFIO uAPI only");
	if (!err) {
		switch (action) {
		case 0:
			err = start(&log, dev.bdf, opts);
			break;
		case 1:
			err = report(&log, dev.bdf, opts);
			break;
		case 2:
			err = dirty_log_stop(&log);
			if (err)
				err = cli_fail("%s: cannot stop DMA logging: %s", dev.bdf,
					       strerror(-err));
			else
				printf("stopped\n");
			break;
		default:
			err = status(&log);
		}
	}
	if (!opts->fd)
		vfio_dev_close(&dev);
	return err;
}
