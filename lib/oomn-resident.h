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
#include <stdio.h>

#define OOMN_RESIDENT_MAX_RANGES 256

typedef struct {
	uintptr_t start, end;
} OomnResidentRange;

/* What oomn_resident_trim() does: the ranges it drops, and those it maps whole. */
typedef struct {
	OomnResidentRange drop[OOMN_RESIDENT_MAX_RANGES], keep[OOMN_RESIDENT_MAX_RANGES];
	size_t n_drop, n_keep;
} OomnResidentPlan;

/*
 * The plan for the mappings described by @smaps (the text of /proc/PID/smaps).
 * Dropped: private, read-only mappings of a real file, not @keep_path's, that
 * hold no data of their own, i.e. no anonymous page, present or swapped out,
 * and never writable (no "ac" in VmFlags: a RELRO segment is, and its
 * relocated pointers would come back as the file's). 0 or -errno.
 */
int oomn_resident_plan(FILE *smaps, const char *keep_path, OomnResidentPlan *plan);

/*
 * Unmaps (MADV_DONTNEED) the pages of every mapping oomn_resident_plan()
 * drops: libraries' text and read-only data. They stay in the page cache; the next touch maps them
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
