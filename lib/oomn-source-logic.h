/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The pure parts of the event sources (oomn-source.h): PSI trigger strings,
 * cgroup v2 memory.events, the meminfo poll schedule and the level of a
 * meminfo reading or of a cgroup. No I/O and no event-loop types, so the
 * unit tests drive them with data built in memory.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "oom_notify_level.h"
#include "oomn-meminfo.h"

#define OOMN_USEC_PER_MSEC UINT64_C(1000)
#define OOMN_USEC_PER_SEC  UINT64_C(1000000)

/* ---- PSI triggers ---------------------------------------------------- */

/* The kernel's limits for a trigger's window (kernel/sched/psi.c). */
#define OOMN_PSI_WINDOW_MIN_USEC (500 * OOMN_USEC_PER_MSEC)
#define OOMN_PSI_WINDOW_MAX_USEC (10 * OOMN_USEC_PER_SEC)

/* What the sources ask for: 50 ms of stall within 1 s. */
#define OOMN_PSI_STALL_USEC  (50 * OOMN_USEC_PER_MSEC)
#define OOMN_PSI_WINDOW_USEC (1 * OOMN_USEC_PER_SEC)

/* Room for the longest trigger: "full " + two u64 + blank + NUL. */
#define OOMN_PSI_TRIGGER_SIZE 48

/*
 * Writes "some|full <stall> <window>" and a NUL into buf. Returns the number
 * of bytes to write() to the pressure file, the NUL included (the kernel
 * overwrites the last byte it is given with a NUL, so without ours it would
 * cut the window's last digit); -EINVAL when stall is 0 or above the window
 * or the window lies outside the kernel's limits; -ENOBUFS when size is too
 * small.
 */
int oomn_psi_trigger_format(char *buf, size_t size, bool full, uint64_t stall_usec,
			    uint64_t window_usec);

/* ---- cgroup v2 memory.events ----------------------------------------- */

struct oomn_memory_events {
	uint64_t low;
	uint64_t high;
	uint64_t max;
	uint64_t oom;
	uint64_t oom_kill;
	uint64_t oom_group_kill;
};

/*
 * Parses memory.events: lines "key <decimal>", each ending in a newline.
 * Unknown keys are skipped (newer kernels add some). Returns 0; -EBADMSG for
 * a malformed line, a missing final newline, a key given twice or a missing
 * "oom" or "oom_kill" line. *ret is only written on success.
 */
int oomn_memory_events_parse(const char *text, struct oomn_memory_events *ret);

/* ---- meminfo poll schedule ------------------------------------------- */

/*
 * Polling /proc/meminfo (the fallback where the kernel refuses PSI
 * triggers) backs off while memory is plentiful and is quick when it is
 * not:
 *  - at a raised level, or with MemAvailable within OOMN_BACKOFF_NEAR_PERMILLE
 *    of MemTotal above the next higher level's threshold (or below every
 *    threshold, only swap holding the level), the next read comes after
 *    min_usec;
 *  - otherwise the interval doubles after every read, up to max_usec.
 * So a machine with plenty of memory is read once every max_usec (10 s by
 * default) after a few seconds, and a descent towards a threshold is followed
 * at min_usec (100 ms) once within 5 % of it. MemAvailable falling faster than
 * 5 % of RAM per max_usec from far away is seen late by at most one interval;
 * that is the price of not polling, and why PSI or the module come first.
 */
#define OOMN_BACKOFF_MIN_USEC	   (100 * OOMN_USEC_PER_MSEC)
#define OOMN_BACKOFF_MAX_USEC	   (10 * OOMN_USEC_PER_SEC)
#define OOMN_BACKOFF_NEAR_PERMILLE 50

/* Whether the figures are close enough to a level change to poll fast. */
bool oomn_backoff_near(const struct oom_notify_thresholds *t, const struct oom_notify_figures *f,
		       enum oom_notify_level level);

/* The interval after the read that gave @f and @level, given the previous
 * interval (0: the first read). Always within [min_usec, max_usec]. */
uint64_t oomn_backoff_next(uint64_t prev_usec, uint64_t min_usec, uint64_t max_usec,
			   const struct oom_notify_thresholds *t,
			   const struct oom_notify_figures *f, enum oom_notify_level level);

/* ---- levels from meminfo and from a cgroup --------------------------- */

/*
 * The level of a meminfo reading on the module's scale, with hysteresis
 * from @prev: @swap_worth is what free swap is worth net of its RAM cost
 * (oomn_swap_reader_worth(); SwapFree for swap on disk), capped at SwapFree,
 * and @thrashing meets every swap condition (oomn_swap_reader_thrashing()).
 * *ret_f (optional) gets the figures it was computed from. Returns -EBADMSG,
 * leaving the outputs alone, when the reading is not plausible (MemAvailable
 * above MemTotal, SwapFree above SwapTotal).
 */
int oomn_meminfo_level(const struct oom_notify_thresholds *t, const struct oomn_meminfo *mi,
		       uint64_t swap_worth, bool thrashing, enum oom_notify_level prev,
		       enum oom_notify_level *ret_level, struct oom_notify_figures *ret_f);

/*
 * Parses a cgroup memory.max / memory.high value: a decimal number of bytes
 * or "max" (*ret = UINT64_MAX), followed by a newline. -EBADMSG otherwise.
 */
int oomn_cgroup_limit_parse(const char *text, uint64_t *ret);

/*
 * The level of a cgroup: its limit (the lower of memory.high and memory.max)
 * stands for MemTotal and what is left below it for MemAvailable; no swap.
 * -ENODATA when the cgroup has no limit (both UINT64_MAX): its pressure is
 * the system's.
 */
int oomn_cgroup_level(const struct oom_notify_thresholds *t, uint64_t current, uint64_t high,
		      uint64_t max, enum oom_notify_level prev, enum oom_notify_level *ret_level,
		      struct oom_notify_figures *ret_f);
