/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The candidates' figures from the module: one GET_PROCESSES dump, read
 * under RCU in the kernel, instead of two /proc files per process. /proc
 * stays the way when the module is not there, refuses, or sends a part
 * that does not parse (a process missing from the records would be taken
 * for gone).
 */
#pragma once

#include "candidates.h"

typedef struct KillerDump KillerDump;

/* Opens the command socket; works without the module (the dump then fails). */
int killer_dump_new(KillerDump **ret);
KillerDump *killer_dump_free(KillerDump *d);

/*
 * candidates_refresh_records() from a fresh dump. Returns what the refresh
 * returned, or the dump's error: -ENOENT without the module, -EPERM without
 * CAP_SYS_ADMIN, -EBADMSG if a part did not parse; the list is then left
 * as it was, for a /proc refresh.
 */
int killer_dump_refresh(KillerDump *d, Candidates *c, unsigned flags, CandidatesStats *ret_stats);
