/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * /proc/meminfo: the one reader and parser, for the fallback sources (no
 * module), for SwapTotal (which the module cannot report) in every pressure,
 * for the killer (its floor and its candidates' totalpages) and the CLI.
 * Pure but for the read itself: it builds as a library of its own
 * (oomn-meminfo, with oomn-fileio) that the killer's policy core links
 * without the rest of oomn-core.
 */
#pragma once

#include <stdint.h>

/* All in bytes. */
struct oomn_meminfo {
	uint64_t mem_total;
	uint64_t mem_free;
	uint64_t mem_available;
	uint64_t swap_total;
	uint64_t swap_free;
};

/*
 * Parses the text of /proc/meminfo. Every line must read "Key: <decimal>"
 * with an optional " kB" (which the fields above require), and the text must
 * end with a newline, so that a truncated read is noticed.
 *
 * Returns 0; -EBADMSG for a malformed line, a missing newline at the end, a
 * value that does not fit in bytes, a field given twice or MemTotal 0;
 * -ENODATA when MemTotal or MemAvailable is missing (the swap fields default
 * to 0: no swap). *ret is only written on success.
 */
int oomn_meminfo_parse(const char *text, struct oomn_meminfo *ret);

/*
 * Reads and parses <proc_root>/meminfo; proc_root NULL means "/proc", tests
 * pass a directory of their own. Returns as oomn_meminfo_parse(), -errno if
 * the file cannot be read, -EFBIG if it is implausibly large, -EBADMSG if it
 * contains a NUL byte.
 */
int oomn_meminfo_read(const char *proc_root, struct oomn_meminfo *ret);

/* The same below an open /proc directory (the killer's candidate scan). */
int oomn_meminfo_read_at(int proc_fd, struct oomn_meminfo *ret);
