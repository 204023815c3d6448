/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Logging to stderr (the journal when run as a service): one line each,
 * "IDENT: PRIORITY: message". Each daemon names itself once, first thing in
 * main(): oomn_log_ident = "oom-notifyd";
 */
#pragma once

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

/* The prefix of every line; NULL: the program's file name. */
extern const char *oomn_log_ident;

#define log_info(...)		  oomn_log("info", 0, __VA_ARGS__)
#define log_warning(...)	  oomn_log("warning", 0, __VA_ARGS__)
#define log_error(...)		  oomn_log("error", 0, __VA_ARGS__)
/* Return r (negative errno) so callers can write return log_error_errno(r, "...: %m");
 * "%m" in the format prints strerror(-r). */
#define log_error_errno(r, ...)	  oomn_log("error", (r), __VA_ARGS__)
#define log_warning_errno(r, ...) oomn_log("warning", (r), __VA_ARGS__)

__attribute__((format(printf, 3, 4))) static inline int oomn_log(const char *prio, int r,
								   const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	if (r != 0)
		errno = r < 0 ? -r : r;
	/* One write per line where possible, so lines of a busy daemon stay whole. */
	flockfile(stderr);
	fprintf(stderr, "%s: %s: ", oomn_log_ident ? oomn_log_ident : program_invocation_short_name,
		prio);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	funlockfile(stderr);
	errno = saved;
	return r < 0 ? r : -r;
}
