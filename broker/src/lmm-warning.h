/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * org.freedesktop.LowMemoryMonitor's LowMemoryWarning, as low-memory-monitor
 * gives it: 50, 100 or 255 when memory is low, medium or critical, nothing
 * when it is normal; the same level at most once per LMM_RECOVERY_USEC (its
 * RECOVERY_INTERVAL), repeated that often while it stays raised. Pure: the
 * caller passes the time (CLOCK_MONOTONIC); bus-lmm.c sends what it decides.
 */
#pragma once

#include <stdint.h>

#include "oom_notify_level.h"

#define LMM_RECOVERY_USEC (15u * 1000000u)

typedef struct LmmWarnings {
	uint64_t last_usec[4]; /* the last warning per level (CLOCK_MONOTONIC); 0: none */
} LmmWarnings;

/* LowMemoryWarning's argument for @level: 50, 100, 255; 0 for normal (no warning). */
uint8_t lmm_level_byte(enum oom_notify_level level);

/*
 * The warning due at @now_usec for @level: its byte, or 0 when none is (the
 * level is normal, or one for the same level went out less than
 * LMM_RECOVERY_USEC ago).
 */
uint8_t lmm_warning_due(const LmmWarnings *w, enum oom_notify_level level, uint64_t now_usec);

/* The warning for @level went out at @now_usec. */
void lmm_warning_sent(LmmWarnings *w, enum oom_notify_level level, uint64_t now_usec);
