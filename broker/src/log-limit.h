/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * How many log lines what bus clients do may cause: at most
 * LOG_LIMIT_PER_UID a window per uid and LOG_LIMIT_ALL a window in all, so
 * that no client can fill the journal (journald's per-service limit would
 * then drop the kill and OOM lines too). Pure: the caller passes the time.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#define LOG_LIMIT_WINDOW_USEC (10u * 1000u * 1000u)
#define LOG_LIMIT_PER_UID     5
#define LOG_LIMIT_ALL	      50
#define LOG_LIMIT_UIDS	      64
/* the uid of a caller the bus has not told yet */
#define LOG_LIMIT_UID_UNKNOWN UINT32_MAX

typedef struct LogLimitSlot {
	uint32_t uid;
	bool used;
	uint64_t window_start;
	unsigned lines, suppressed;
} LogLimitSlot;

typedef struct LogLimit {
	uint64_t window_start;
	unsigned lines;
	LogLimitSlot slots[LOG_LIMIT_UIDS];
} LogLimit;

/*
 * Whether a line that a client of @uid caused at @now_usec (any monotonic
 * clock) may be written. When it may, *ret_suppressed is how many of that
 * uid's lines were held back since its last one (to say so), else 0.
 */
bool log_limit_allow(LogLimit *l, uint32_t uid, uint64_t now_usec, unsigned *ret_suppressed);
