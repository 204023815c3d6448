/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The level scale: pure arithmetic shared by the module and by user space
 * (the broker's fallback sources and the unit tests compile this same file),
 * so that every part of oom-notify computes levels the same way.
 */
#ifndef OOM_NOTIFY_LEVEL_H
#define OOM_NOTIFY_LEVEL_H

#include <linux/types.h>
#include <linux/oom_notify.h>

struct oom_notify_thresholds {
	/* per-mille of MemTotal, indexed by level; [NORMAL] is unused */
	__u32 mem[OOM_NOTIFY_LEVEL_MAX + 1];
	__u32 swap[OOM_NOTIFY_LEVEL_MAX + 1];
	__u32 hysteresis;
};

/*
 * Any unit (pages in the kernel, bytes in user space), the same for all.
 * @swap_worth is what swap can still take in net of its own RAM cost: all
 * of free swap on a disk, only what compression saves on zram (see
 * oom_notify_swap_worth()). @thrashing: reclaim is taking back what it just
 * evicted; it meets every swap condition, whatever swap is worth.
 */
struct oom_notify_figures {
	__u64 mem_total;
	__u64 mem_available;
	__u64 swap_worth;
	__u32 thrashing;
};

/*
 * What @swap_free is worth when each page stored in swap costs
 * @cost_permille of a page of RAM (0: a disk, 1000: nothing compresses):
 * swap_free * (1000 - cost) / 1000.
 */
__u64 oom_notify_swap_worth(__u64 swap_free, __u32 cost_permille);

/*
 * The RAM cost of swapped pages, per-mille, from the RAM the store uses
 * (@ram_used) for the pages it holds (@stored), clamped to 0..1000;
 * @fallback when too little is stored to tell.
 */
__u32 oom_notify_swap_cost(__u64 ram_used, __u64 stored, __u64 min_stored,
			   __u32 fallback);

/*
 * Free swap at which the swap worth crosses @worth_bound at a cost of
 * @cost_permille: the inverse of oom_notify_swap_worth(), rounded up; a
 * @worth_bound of 0 or U64_MAX stays as it is, and at a cost of 1000 no
 * amount of free swap is worth anything (U64_MAX).
 */
__u64 oom_notify_swap_free_bound(__u64 worth_bound, __u32 cost_permille);

void oom_notify_thresholds_default(struct oom_notify_thresholds *t);

/*
 * Copy onto @t the thresholds of @upd whose bit (1 << OOM_NOTIFY_T_*) is set
 * in @present; the others keep their values.
 */
void oom_notify_thresholds_merge(struct oom_notify_thresholds *t,
				 const struct oom_notify_thresholds *upd,
				 __u32 present);

/* Returns 0, or -EINVAL with *why set to a static explanation. */
int oom_notify_thresholds_check(const struct oom_notify_thresholds *t,
				const char **why);

enum oom_notify_level
oom_notify_level_eval(const struct oom_notify_thresholds *t,
		      const struct oom_notify_figures *f,
		      enum oom_notify_level prev);

/*
 * Where the level at @level can next change through MemAvailable: below
 * *rise_below it may rise (the memory threshold of the nearest higher level
 * that MemAvailable is still above; free swap may still hold the level, so
 * this can ask for a re-check that changes nothing), at or above *fall_at it
 * may fall. *rise_below is 0 when MemAvailable is already below every higher
 * threshold (only swap gates, and only reclaim moves swap); *fall_at is the
 * u64 maximum at normal.
 */
void oom_notify_level_bounds(const struct oom_notify_thresholds *t,
			     const struct oom_notify_figures *f,
			     enum oom_notify_level level,
			     __u64 *rise_below, __u64 *fall_at);

/*
 * The same for the swap worth, MemAvailable staying where it is: below
 * *swap_rise_below the level rises (a higher level whose memory condition
 * already holds is then reached; 0: none can be), at or above *swap_fall_at
 * it falls (the u64 maximum at normal). Exact: no re-check changes nothing.
 */
void oom_notify_swap_bounds(const struct oom_notify_thresholds *t,
			    const struct oom_notify_figures *f,
			    enum oom_notify_level level,
			    __u64 *swap_rise_below, __u64 *swap_fall_at);

const char *oom_notify_level_name(enum oom_notify_level level);

#endif /* OOM_NOTIFY_LEVEL_H */
