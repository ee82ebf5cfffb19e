/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Stream files of vfmig-ctl: written whole or not at all (FILE.tmp renamed
 * over FILE), and copied to or from a device's data fd.  Each function that
 * returns EXIT_FAILURE has said why.
 */
#ifndef VFMIG_STREAM_FILE_H
#define VFMIG_STREAM_FILE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

struct out_file {
	const char *path;
	char tmp[PATH_MAX];	/* "" when writing to stdout ("-") */
	int fd;
};

/* Creates @path.tmp (or uses stdout for "-"); 0 or EXIT_FAILURE. */
int out_file_open(struct out_file *file, const char *path);
/* Flushes and renames it to its path; 0 or EXIT_FAILURE. */
int out_file_commit(struct out_file *file);
/* Closes and removes it. */
void out_file_abort(struct out_file *file);

/* Opens @path for reading and says how long it is; 0 or EXIT_FAILURE. */
int in_file_open(const char *path, int *fd, __u64 *len);

/* What in_stream_open() says of a length it cannot know. */
#define STREAM_LEN_UNKNOWN	((__u64)-1)

/*
 * Opens a stream to read once, front to back: a file, or "-" for stdin,
 * or a pipe (@len STREAM_LEN_UNKNOWN); 0 or EXIT_FAILURE.
 */
int in_stream_open(const char *path, int *fd, __u64 *len);

/* Reads all of @path into a malloc'd @buf; 0 or EXIT_FAILURE. */
int read_file(const char *path, unsigned char **buf, size_t *len);

/* Writes all of @buf to @fd, through short writes; 0 or -errno. */
int write_full(int fd, const void *buf, size_t len);
/*
 * Copies @in to @out until read() returns 0, counting in @copied;
 * 0 or -errno, with @out_failed telling which side failed.
 */
int copy_fd(int in, int out, __u64 *copied, bool *out_failed);

#endif /* VFMIG_STREAM_FILE_H */
