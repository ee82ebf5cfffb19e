// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "stream_file.h"

/* QEMU reads data fds 1 MiB at a time: so do we. */
#define COPY_CHUNK	(1024 * 1024)

int out_file_open(struct out_file *file, const char *path)
{
	file->path = path;
	file->tmp[0] = '\0';
	if (!strcmp(path, "-")) {
		file->fd = STDOUT_FILENO;
		return 0;
	}
	if (snprintf(file->tmp, sizeof(file->tmp), "%s.tmp", path) >= (int)sizeof(file->tmp))
		return cli_fail("%s: path too long", path);
	file->fd = open(file->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (file->fd < 0)
		return cli_fail("cannot create %s: %s", file->tmp, strerror(errno));
	return 0;
}

int out_file_commit(struct out_file *file)
{
	if (!file->tmp[0])
		return 0;
	if (fsync(file->fd) || close(file->fd)) {
		int err = errno;

		file->fd = -1;
		out_file_abort(file);
		return cli_fail("cannot write %s: %s", file->tmp, strerror(err));
	}
	file->fd = -1;
	if (rename(file->tmp, file->path)) {
		int err = errno;

		out_file_abort(file);
		return cli_fail("cannot rename %s to %s: %s", file->tmp,
				file->path, strerror(err));
	}
	return 0;
}

void out_file_abort(struct out_file *file)
{
	if (!file->tmp[0])
		return;
	if (file->fd >= 0)
		close(file->fd);
	file->fd = -1;
	unlink(file->tmp);
}

int in_file_open(const char *path, int *fd, __u64 *len)
{
	struct stat st;

	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0)
		return cli_fail("cannot open %s: %s", path, strerror(errno));
	if (fstat(*fd, &st) || !S_ISREG(st.st_mode)) {
		close(*fd);
		return cli_fail("%s: not a regular file", path);
	}
	*len = st.st_size;
	return 0;
}

int in_stream_open(const char *path, int *fd, __u64 *len)
{
	struct stat st;

	*fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) :
				  fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 0);
	if (*fd < 0)
		return cli_fail("cannot open %s: %s", path, strerror(errno));
	if (fstat(*fd, &st) || S_ISDIR(st.st_mode)) {
		close(*fd);
		return cli_fail("%s: not a file or a pipe", path);
	}
	*len = S_ISREG(st.st_mode) ? (__u64)st.st_size : STREAM_LEN_UNKNOWN;
	return 0;
}

int read_file(const char *path, unsigned char **buf, size_t *len)
{
	size_t done = 0;
	__u64 size;
	int fd;

	if (in_file_open(path, &fd, &size))
		return EXIT_FAILURE;
	*buf = malloc(size ?: 1);
	while (*buf && done < size) {
		ssize_t n = read(fd, *buf + done, size - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += n;
	}
	close(fd);
	*len = done;
	if (*buf && done == size)
		return 0;
	free(*buf);
	return cli_fail("cannot read %s: %s", path, *buf ? "it changed while read" :
			strerror(ENOMEM));
}

int write_full(int fd, const void *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -ENOSPC;
		buf = (const char *)buf + n;
		len -= n;
	}
	return 0;
}

int copy_fd(int in, int out, __u64 *copied, bool *out_failed)
{
	char *buf = malloc(COPY_CHUNK);
	int err = 0;

	*copied = 0;
	*out_failed = false;
	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n = read(in, buf, COPY_CHUNK);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? -errno : 0;
			break;
		}
		err = write_full(out, buf, n);
		if (err) {
			*out_failed = true;
			break;
		}
		*copied += n;
	}
	free(buf);
	return err;
}
