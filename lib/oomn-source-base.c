/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What every part of OomnSource uses and which calls none of them: telling
 * the caller (warnings, the system-wide pressure), reading /proc/meminfo
 * and arming a PSI trigger (the psi kind's and the cgroup watches').
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "oomn-source-internal.h"

void oomn_source_warn(OomnSource *s, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;
	int r;

	s->stats.warnings++;
	if (!s->handlers.on_warning)
		return;
	va_start(ap, fmt);
	r = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (r < 0)
		return;
	s->handlers.on_warning(msg, s->userdata);
}

void oomn_source_report(OomnSource *s, const struct oomn_pressure *p)
{
	s->current = *p;
	s->current.cgroup = NULL;
	if (s->starting)
		return;
	if (p->resync)
		s->stats.resyncs++;
	if (s->handlers.on_pressure)
		s->handlers.on_pressure(&s->current, s->userdata);
}

int oomn_source_read_meminfo(OomnSource *s, struct oomn_meminfo *ret)
{
	int r;

	s->stats.meminfo_reads++;
	r = oomn_meminfo_read(s->proc_root, ret);
	if (r < 0) {
		/* once per kind of failure, not once per read */
		if (r != s->last_read_error)
			oomn_source_warn(s, "cannot use %s/meminfo (%s); keeping the last state",
					 s->proc_root, strerror(-r));
		s->last_read_error = r;
		return r;
	}
	s->last_read_error = 0;
	return 0;
}

int oomn_source_psi_trigger_open(const char *path, bool full, char **ret_why)
{
	char trig[OOMN_PSI_TRIGGER_SIZE];
	_cleanup_close_ int fd = -EBADF;
	int n;

	n = oomn_psi_trigger_format(trig, sizeof(trig), full, OOMN_PSI_STALL_USEC,
				    OOMN_PSI_WINDOW_USEC);
	if (n < 0)
		return n;

	fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		int r = -errno;

		if (asprintf(ret_why, "cannot open %s for PSI triggers: %s", path, strerror(-r)) <
		    0)
			*ret_why = NULL;
		return r;
	}
	if (write(fd, trig, n) != n) {
		int r = errno ? -errno : -EIO;

		if (asprintf(ret_why, "the kernel refused PSI trigger \"%s\" on %s: %s", trig, path,
			     strerror(-r)) < 0)
			*ret_why = NULL;
		return r;
	}
	return TAKE_FD(fd);
}
