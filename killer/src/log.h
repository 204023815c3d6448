/* SPDX-License-Identifier: GPL-2.0-only */
/* Logging to stderr (the journal when run as a service): one line each. */
#pragma once

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#define log_info(...)		oomk_log("info", 0, __VA_ARGS__)
#define log_warning(...)	oomk_log("warning", 0, __VA_ARGS__)
#define log_error(...)		oomk_log("error", 0, __VA_ARGS__)
/* Return r (negative errno): return log_error_errno(r, "...: %m"); */
#define log_error_errno(r, ...)	  oomk_log("error", (r), __VA_ARGS__)
#define log_warning_errno(r, ...) oomk_log("warning", (r), __VA_ARGS__)

__attribute__((format(printf, 3, 4))) static inline int oomk_log(const char *prio, int r,
								 const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	if (r != 0)
		errno = r < 0 ? -r : r;
	/* One write per line where possible, so lines of a busy daemon stay whole. */
	flockfile(stderr);
	fprintf(stderr, "oom-killerd: %s: ", prio);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	funlockfile(stderr);
	errno = saved;
	return r < 0 ? r : -r;
}
