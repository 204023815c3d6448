/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The clocks, read. Decisions take their `now` as a parameter (episode.c,
 * registry.c, the source logic): only the loops that feed them call these.
 */
#pragma once

#include <stdint.h>
#include <time.h>

/* @clock now in nanoseconds; 0 if it cannot be read (an invalid clock). */
static inline uint64_t oomn_now_nsec(clockid_t clock)
{
	struct timespec ts;

	if (clock_gettime(clock, &ts) < 0)
		return 0;
	return (uint64_t)ts.tv_sec * UINT64_C(1000000000) + (uint64_t)ts.tv_nsec;
}

/* @clock now in microseconds; 0 if it cannot be read. */
static inline uint64_t oomn_now_usec(clockid_t clock)
{
	struct timespec ts;

	if (clock_gettime(clock, &ts) < 0)
		return 0;
	return (uint64_t)ts.tv_sec * UINT64_C(1000000) + (uint64_t)ts.tv_nsec / 1000u;
}
