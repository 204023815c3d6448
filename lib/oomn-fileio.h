/* SPDX-License-Identifier: GPL-2.0-only */
/* Reading and writing the small text files of procfs, sysfs and cgroupfs. */
#pragma once

#include <stddef.h>

/*
 * Reads @path to EOF (procfs may hand a file over in several reads) into
 * @buf of @size bytes and NUL-terminates it. A file that fills size - 1 bytes
 * is -EFBIG (too large to tell from truncated), one with a NUL byte -EBADMSG;
 * otherwise 0 or -errno.
 */
int oomn_read_text(const char *path, char *buf, size_t size);
/* The same, @path relative to the directory @dir_fd (or AT_FDCWD). */
int oomn_read_text_at(int dir_fd, const char *path, char *buf, size_t size);

/*
 * Writes @text to @path (which must exist) in one write(2): procfs and
 * cgroupfs take a value per write, and a short write is an error there.
 * 0 or -errno.
 */
int oomn_write_text(const char *path, const char *text);
