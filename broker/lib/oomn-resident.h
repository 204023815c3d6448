/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Staying small and resident: what a daemon keeps in memory is what it uses,
 * and what it uses stays. At the end of start-up a daemon drops from its page
 * tables the clean file pages it touched only to start (the dynamic loader's
 * work, option and rules parsing), touches again what it needs to act, and
 * then locks on fault: every page present or faulted in later stays.
 */
#pragma once

#include <stdint.h>

/*
 * Unmaps (MADV_DONTNEED) the pages of every private, read-only file mapping
 * that holds no anonymous (copied-on-write) page: libraries' text and
 * read-only data. They stay in the page cache; the next touch maps them
 * again. The read-only mappings of @keep_path (our own program; may be NULL)
 * are mapped whole instead. Must run before the memory is locked
 * (MADV_DONTNEED refuses locked mappings). The number of mappings dropped,
 * or -errno.
 */
int oomn_resident_trim(const char *keep_path);

/*
 * mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT): what is present is locked
 * now, anything else when it is first faulted in; nothing is populated.
 * Kernels before 4.4 know no MCL_ONFAULT: then everything is locked. 0 or -errno.
 */
int oomn_resident_lock(void);

/* VmRSS of this process in kB, 0 if unknown. */
uint64_t oomn_resident_rss_kb(void);
