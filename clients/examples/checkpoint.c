/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checkpoint.h"

#define MAGIC "oomn-checkpoint-worker 1\n"

int checkpoint_parse(const char *text, uint64_t *ret_count)
{
	const char *p;
	char *end;
	uint64_t n;

	if (strncmp(text, MAGIC, strlen(MAGIC)) != 0)
		return -EBADMSG;
	p = text + strlen(MAGIC);
	if (strncmp(p, "count ", 6) != 0)
		return -EBADMSG;
	p += 6;
	if (*p < '0' || *p > '9')
		return -EBADMSG;
	errno = 0;
	n = strtoull(p, &end, 10);
	if (errno || strcmp(end, "\n") != 0)
		return -EBADMSG;
	*ret_count = n;
	return 0;
}

int checkpoint_format(char *buf, size_t size, uint64_t count)
{
	int n = snprintf(buf, size, MAGIC "count %" PRIu64 "\n", count);

	return n < 0 || (size_t)n >= size ? -ENOBUFS : n;
}

int checkpoint_load(const char *path, uint64_t *ret_count)
{
	char buf[128];
	ssize_t n;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	r = n < 0 ? -errno : 0;
	close(fd);
	if (r < 0)
		return r;
	buf[n] = '\0';
	r = checkpoint_parse(buf, ret_count);
	return r < 0 ? r : 1;
}

int checkpoint_save(const char *path, uint64_t count)
{
	char buf[128], *tmp;
	int fd, n, r = 0;

	n = checkpoint_format(buf, sizeof(buf), count);
	if (n < 0)
		return n;
	if (asprintf(&tmp, "%s.tmp", path) < 0)
		return -ENOMEM;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	/* durable before it replaces the old one: a crash leaves one or the other */
	errno = 0;
	if (write(fd, buf, n) != n || fsync(fd) < 0)
		r = errno ? -errno : -EIO;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		(void)unlink(tmp);
out:
	free(tmp);
	return r;
}
