/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "oomn-fileio.h"
#include "oomn-macro.h"

int oomn_read_text(const char *path, char *buf, size_t size)
{
	return oomn_read_text_at(AT_FDCWD, path, buf, size);
}

int oomn_read_text_at(int dir_fd, const char *path, char *buf, size_t size)
{
	_cleanup_close_ int fd = -EBADF;
	size_t n = 0;

	if (size < 2)
		return -EINVAL;
	fd = openat(dir_fd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t k = read(fd, buf + n, size - 1 - n);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (k == 0)
			break;
		n += k;
		if (n == size - 1)
			return -EFBIG;
	}
	buf[n] = '\0';
	if (memchr(buf, '\0', n))
		return -EBADMSG;
	return 0;
}

int oomn_write_text(const char *path, const char *text)
{
	_cleanup_close_ int fd = -EBADF;
	size_t len = strlen(text);
	ssize_t n;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, text, len);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}
