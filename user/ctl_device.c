// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The commands of vfmig-ctl that drive a device: features, state, save,
 * restore.  Each opens the device once and keeps it open to the end, as a
 * VMM does: closing it returns the device to RUNNING.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/vfio.h>

#include "bdf.h"
#include "ctl.h"
#include "dirty_log.h"
#include "stream_file.h"
#include "vfio_dev.h"

#define NOT_MIGRATABLE	"migration not supported (attach a program with save/load" \
			" before opening the device)"
/* Where the module says why it refused a stream or an arc. */
#define SEE_DMESG	"dmesg has the reason"

int parse_states(const char *text, __u32 *states, int max)
{
	char name[32];
	int count = 0;

	for (const char *pos = text;; pos++) {
		size_t len = strcspn(pos, ",");

		if (count == max || len >= sizeof(name))
			return -EINVAL;
		memcpy(name, pos, len);
		name[len] = '\0';
		if (mig_state_parse(name, &states[count++]))
			return -EINVAL;
		pos += len;
		if (!*pos)
			return count;
	}
}

int ctl_open_target(struct vfio_dev *dev, const struct ctl_opts *opts)
{
	const char *fd = opts->fd;

	if (!fd == !opts->bdf[0]) {
		fprintf(stderr, "%s: give the device with one of --bdf and --fd (see %s %s --help)\n",
			ctl_cli.name, ctl_cli.name, opts->command);
		return CLI_EXIT_USAGE;
	}
	if (fd) {
		*dev = (struct vfio_dev){ .container = -1, .group = -1, .iommufd = -1,
					  .fd = atoi(fd) };
		snprintf(dev->bdf, sizeof(dev->bdf), "fd %s", fd);
		if (fcntl(dev->fd, F_GETFD) < 0)
			return cli_fail("--fd %s: not an open file descriptor: pass the VFIO device fd the parent process holds",
					fd);
		return 0;
	}
	return vfio_dev_open(dev, opts->bdf, opts->backend);
}

/* Opens the device of --bdf or --fd and checks that it can migrate. */
static int open_migratable(struct vfio_dev *dev, const struct ctl_opts *opts,
			   __u64 *flags)
{
	int err;

	err = ctl_open_target(dev, opts);
	if (err)
		return err;
	err = vfio_mig_flags(dev, flags);
	if (err == -ENOTTY)
		err = cli_fail("%s: " NOT_MIGRATABLE, dev->bdf);
	else if (err)
		err = cli_fail("%s: cannot query its migration features: %s", dev->bdf,
			       strerror(-err));
	if (err)
		vfio_dev_close(dev);
	return err;
}

/* Whether the device's migration @flags offer @state. */
static bool state_offered(__u64 flags, __u32 state)
{
	switch (state) {
	case VFIO_DEVICE_STATE_RUNNING_P2P:
		return flags & VFIO_MIGRATION_P2P;
	case VFIO_DEVICE_STATE_PRE_COPY:
		return flags & VFIO_MIGRATION_PRE_COPY;
	case VFIO_DEVICE_STATE_PRE_COPY_P2P:
		return (flags & VFIO_MIGRATION_P2P) && (flags & VFIO_MIGRATION_PRE_COPY);
	case VFIO_DEVICE_STATE_ERROR:
		return false;	/* entered on failure only */
	default:
		return true;
	}
}

/*
 * Moves the device to @state, saying where from in @from (may be NULL);
 * 0, or EXIT_FAILURE after saying from where to where it failed, why, and
 * where the device is now.
 */
static int move_from(const struct vfio_dev *dev, __u64 flags, __u32 state,
		     int *data_fd, __u32 *from)
{
	__u32 before = VFIO_DEVICE_STATE_ERROR, now = VFIO_DEVICE_STATE_ERROR;
	int err;

	vfio_mig_get_state(dev, &before);
	if (from)
		*from = before;
	err = vfio_mig_set_state(dev, state, data_fd);
	if (!err)
		return 0;
	vfio_mig_get_state(dev, &now);
	return cli_fail("%s: cannot go from %s to %s: %s (%s; now %s)", dev->bdf,
			mig_state_name(before), mig_state_name(state), strerror(-err),
			state_offered(flags, state) ? SEE_DMESG :
			"the device does not offer it: see vfmig-ctl features",
			mig_state_name(now));
}

static int move(const struct vfio_dev *dev, __u64 flags, __u32 state, int *data_fd)
{
	return move_from(dev, flags, state, data_fd, NULL);
}

int cmd_features(const struct ctl_opts *opts)
{
	struct dirty_log log;
	struct vfio_dev dev;
	char text[128];
	__u64 flags, size;
	__u32 state;
	int err;

	err = open_migratable(&dev, opts, &flags);
	if (err)
		return err;
	mig_flags_text(flags, text, sizeof(text));
	printf("migration: %s\n", text);
	err = vfio_mig_data_size(&dev, &size);
	if (err)
		printf("data size: not reported (%s)\n", strerror(-err));
	else
		printf("data size: %llu bytes (stop-copy estimate)\n",
		       (unsigned long long)size);
	printf("dirty tracking: %s\n", dirty_log_open(&log, dev.fd, DIRTY_VIA_AUTO) ? "none" :
	       log.via == DIRTY_VIA_UAPI ? "dma-logging (VFIO uAPI)" :
	       "dma-logging (vfmig region: vfmig-ctl dirty)");
	err = vfio_mig_get_state(&dev, &state);
	printf("state: %s\n", err ? strerror(-err) : mig_state_name(state));
	vfio_dev_close(&dev);
	return 0;
}

int cmd_state(const struct ctl_opts *opts)
{
	const __u32 *states = opts->states;
	int err, data_fd, count = opts->nr_states;
	struct vfio_dev dev;
	__u64 flags;
	__u32 now;

	err = open_migratable(&dev, opts, &flags);
	if (err)
		return err;
	for (int i = 0; i < count; i++) {
		__u32 from;

		err = move_from(&dev, flags, states[i], &data_fd, &from);
		if (err)
			break;
		printf("%s -> %s%s\n", mig_state_name(from), mig_state_name(states[i]),
		       data_fd >= 0 ? " (a data fd was returned, closed unread)" : "");
		if (data_fd >= 0)
			close(data_fd);
	}
	if (!err && !count) {
		err = vfio_mig_get_state(&dev, &now);
		if (err)
			err = cli_fail("%s: cannot read its migration state: %s",
				       dev.bdf, strerror(-err));
		else
			printf("%s\n", mig_state_name(now));
	}
	vfio_dev_close(&dev);
	return err;
}

/* Moves the device to @state, a state that must open a data fd: @data_fd. */
static int open_data_fd(const struct vfio_dev *dev, __u64 flags, __u32 state,
			int *data_fd)
{
	int err = move(dev, flags, state, data_fd);

	if (!err && *data_fd < 0)
		err = cli_fail("%s: %s returned no data fd", dev->bdf, mig_state_name(state));
	return err;
}

/*
 * Copies @data_fd into @file until its end, the temporary one (ENOMSG) in
 * pre-copy: 0 or EXIT_FAILURE.
 */
static int drain(const struct vfio_dev *dev, int data_fd, struct out_file *file,
		 bool precopy, __u64 *copied)
{
	__u64 initial, dirty;
	bool out_failed;
	int err;

	if (precopy && !vfio_precopy_info(data_fd, &initial, &dirty))
		cli_note("%s: pre-copy info: %llu initial bytes, %llu dirty", dev->bdf,
			 (unsigned long long)initial, (unsigned long long)dirty);
	err = copy_fd(data_fd, file->fd, copied, &out_failed);
	if (precopy && err == -ENOMSG && !out_failed)
		err = 0;
	if (err && out_failed)
		return cli_fail("cannot write %s: %s", file->tmp[0] ? file->tmp : "stdout",
				strerror(-err));
	if (err)
		return cli_fail("%s: reading its state failed after %llu bytes: %s (%s)",
				dev->bdf, (unsigned long long)*copied, strerror(-err),
				SEE_DMESG);
	cli_note("%s: read %llu bytes in %s", dev->bdf, (unsigned long long)*copied,
		 precopy ? "pre-copy" : "stop-copy");
	return 0;
}

/*
 * Saves the device into @file: optionally pre-copy up to its temporary end,
 * then stop-copy, on the one data fd the first arc opened.
 */
static int save_into(const struct vfio_dev *dev, __u64 flags, bool precopy,
		     struct out_file *file, __u64 *saved, __u64 *precopied)
{
	int data_fd, new_fd, err;
	__u64 copied = 0;

	*saved = *precopied = 0;
	if (precopy && !(flags & VFIO_MIGRATION_PRE_COPY))
		return cli_fail("%s does not offer pre-copy (see vfmig-ctl features)",
				dev->bdf);
	err = open_data_fd(dev, flags, precopy ? VFIO_DEVICE_STATE_PRE_COPY :
			   VFIO_DEVICE_STATE_STOP_COPY, &data_fd);
	if (err)
		return err;
	if (precopy) {
		err = drain(dev, data_fd, file, true, precopied);
		/* The saving states share the data fd: no new one comes. */
		if (!err)
			err = move(dev, flags, VFIO_DEVICE_STATE_STOP_COPY, &new_fd);
		if (!err && new_fd >= 0)
			close(new_fd);
	}
	if (!err)
		err = drain(dev, data_fd, file, false, &copied);
	close(data_fd);
	*saved = *precopied + copied;
	return err ? err : out_file_commit(file);
}

int cmd_save(const struct ctl_opts *opts)
{
	const char *path = opts->output;
	bool precopy = opts->precopy;
	__u64 flags, saved = 0, precopied = 0;
	struct out_file file;
	struct vfio_dev dev;
	int err, data_fd;
	FILE *out;

	/* A path that cannot be written fails before the device is touched. */
	err = out_file_open(&file, path);
	if (err)
		return err;
	err = open_migratable(&dev, opts, &flags);
	if (!err) {
		err = save_into(&dev, flags, precopy, &file, &saved, &precopied);
		if (err)
			out_file_abort(&file);
		else
			err = move(&dev, flags, VFIO_DEVICE_STATE_STOP, &data_fd);
		vfio_dev_close(&dev);
	} else {
		out_file_abort(&file);
	}
	if (err)
		return err;
	/* With the stream on stdout, what we say goes to stderr. */
	out = file.tmp[0] ? stdout : stderr;
	fprintf(out, "saved %llu bytes from %s to %s", (unsigned long long)saved,
		dev.bdf, path);
	if (precopy)
		fprintf(out, " (%llu in pre-copy)", (unsigned long long)precopied);
	fputc('\n', out);
	return 0;
}

/* Writes all of @fd to the data fd of RESUMING, then closes that. */
static int write_stream(const struct vfio_dev *dev, __u64 flags, int fd,
			const char *path, __u64 len, __u64 *written)
{
	bool out_failed;
	int data_fd, err;

	err = open_data_fd(dev, flags, VFIO_DEVICE_STATE_RESUMING, &data_fd);
	if (err)
		return err;
	err = copy_fd(fd, data_fd, written, &out_failed);
	/* As QEMU does: the data fd is closed before leaving RESUMING. */
	close(data_fd);
	if (err && out_failed && len == STREAM_LEN_UNKNOWN)
		return cli_fail("%s took %llu bytes of %s, then: %s (%s)",
				dev->bdf, (unsigned long long)*written, path,
				strerror(-err), SEE_DMESG);
	if (err && out_failed)
		return cli_fail("%s took %llu of the %llu bytes of %s: %s (%s)",
				dev->bdf, (unsigned long long)*written,
				(unsigned long long)len, path, strerror(-err), SEE_DMESG);
	if (err)
		return cli_fail("cannot read %s: %s", path, strerror(-err));
	cli_note("%s: wrote %llu bytes", dev->bdf, (unsigned long long)*written);
	return 0;
}

int cmd_restore(const struct ctl_opts *opts)
{
	const char *path = opts->input;
	__u64 flags, len, written = 0;
	struct vfio_dev dev;
	int err, fd, data_fd;

	err = in_stream_open(path, &fd, &len);
	if (err)
		return err;
	err = open_migratable(&dev, opts, &flags);
	if (err) {
		close(fd);
		return err;
	}
	err = write_stream(&dev, flags, fd, path, len, &written);
	close(fd);
	/* RESUMING -> STOP is where the module checks the whole stream. */
	if (!err) {
		err = vfio_mig_set_state(&dev, VFIO_DEVICE_STATE_STOP, &data_fd);
		if (err)
			err = cli_fail("%s refused the stream: %s (" SEE_DMESG ")",
				       dev.bdf, strerror(-err));
	}
	if (!err)
		err = move(&dev, flags, VFIO_DEVICE_STATE_RUNNING, &data_fd);
	if (!err)
		printf("restored %llu bytes into %s\n", (unsigned long long)written,
		       dev.bdf);
	vfio_dev_close(&dev);
	return err;
}
