// SPDX-License-Identifier: GPL-2.0
/*
 * oom_notify: what swap is worth, and whether the machine thrashes.
 *
 * Swap in RAM (zram, zswap) frees a page only to spend part of one on the
 * compressed copy: free swap is worth what compression saves, nothing at
 * all for data that does not compress. Modules see neither the swap devices
 * nor zram's figures, but they see the RAM zsmalloc holds (NR_ZSPAGES,
 * where zram and zswap keep their pages): the cost per page stored is that
 * RAM over the swap taken since zsmalloc last held nothing, so it describes
 * what is stored now, not what was stored once. A disk never grows it:
 * cost 0, free swap is worth all it holds. Loaded while zsmalloc already
 * held pages, the module has no such start: it measures what each step of
 * swap movement costs until zsmalloc empties.
 *
 * Thrashing: pages coming back soon after reclaim evicted them (workingset
 * refaults). Sampled once a second, and only while memory is short: idle
 * means no wake-ups. A hog growing into swap makes refaults in bursts (up
 * to 3 MiB/s for a second in a 256 MiB guest, then none); a working set
 * read over and over makes them all the time (27-75 MiB/s there): so two
 * seconds in a row at the rate start it, one below half of it ends it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/jiffies.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/swap.h>
#include <linux/vmstat.h>

#include "oom_notify.h"

/* Refaults per second, per-mille of RAM, at which thrashing starts. */
static unsigned int thrash_permille = 20;
module_param(thrash_permille, uint, 0444);
MODULE_PARM_DESC(thrash_permille,
		 "refaults per second (per-mille of RAM, capped at 16 MiB) that count as thrashing; 0 turns it off");

#define OOM_NOTIFY_THRASH_CAP_PAGES	(SZ_16M >> PAGE_SHIFT)

/* All under the state lock (oom_notify_main.c). */
static long oom_notify_swap_base_free;
static long oom_notify_swap_base_zs;
static bool oom_notify_swap_base_empty;	/* base_free: zsmalloc held nothing */
static u32 oom_notify_swap_cost_pm;
static unsigned long oom_notify_refaults_base;
static unsigned long oom_notify_refaults_jiffies;
static bool oom_notify_thrash_on;
static unsigned int oom_notify_thrash_hot;	/* samples in a row at the rate */

static long oom_notify_zspages(void)
{
#if IS_ENABLED(CONFIG_ZSMALLOC)
	return global_zone_page_state(NR_ZSPAGES);
#else
	return 0;
#endif
}

/* Free swap must move this far (pages) before the cost is measured again. */
long oom_notify_swap_step(void)
{
	return max_t(long, SZ_1M >> PAGE_SHIFT, totalram_pages() / 512);
}

void oom_notify_swap_init(void)
{
	oom_notify_swap_base_free = get_nr_swap_pages();
	oom_notify_swap_base_zs = oom_notify_zspages();
	oom_notify_swap_base_empty = false;
	oom_notify_swap_cost_pm = 0;
	oom_notify_refaults_base = 0;
	oom_notify_thrash_on = false;
	oom_notify_thrash_hot = 0;
}

/*
 * Free swap now, and what it is worth at the cost of what is stored: the
 * RAM zsmalloc holds over the swap taken since it held nothing. Without
 * such a start, each step free swap moves against what zsmalloc grew (or
 * shrank) by; movements in opposite directions (an exit freeing swap while
 * zram fills) tell nothing, and the cost stays.
 */
void oom_notify_swap_read(u64 *free, u64 *worth, u32 *cost)
{
	long now = max(get_nr_swap_pages(), 0L);
	long zs = oom_notify_zspages();
	long step = oom_notify_swap_step();
	long taken = oom_notify_swap_base_free - now;
	long grew = zs - oom_notify_swap_base_zs;

	if (zs <= step / 4) {
		/*
		 * Next to nothing kept in RAM (swap slot caches may hold a few
		 * pages back): whatever swap holds is on disk.
		 */
		oom_notify_swap_base_free = now;
		oom_notify_swap_base_zs = zs;
		oom_notify_swap_base_empty = true;
		oom_notify_swap_cost_pm = 0;
	} else if (oom_notify_swap_base_empty) {
		/*
		 * Less than a step taken tells nothing yet, and what it cost
		 * before zsmalloc last emptied is no guide: count it whole.
		 */
		oom_notify_swap_cost_pm =
			oom_notify_swap_cost(zs, max(taken, 0L), step, 0);
	} else if (abs(taken) >= step) {
		if (taken < 0) {
			taken = -taken;
			grew = -grew;
		}
		if (grew >= 0)
			oom_notify_swap_cost_pm =
				oom_notify_swap_cost(grew, taken, 1,
						     oom_notify_swap_cost_pm);
		oom_notify_swap_base_free = now;
		oom_notify_swap_base_zs = zs;
	}
	*free = now;
	*cost = oom_notify_swap_cost_pm;
	*worth = oom_notify_swap_worth(now, oom_notify_swap_cost_pm);
}

static unsigned long oom_notify_refaults(void)
{
	return global_node_page_state(WORKINGSET_REFAULT_ANON) +
	       global_node_page_state(WORKINGSET_REFAULT_FILE);
}

/*
 * One sample: thrashing starts when two seconds in a row reach the rate,
 * and ends with one below half of it. Returns true when the state changed.
 */
bool oom_notify_thrash_sample(void)
{
	unsigned long now = jiffies, refaults = oom_notify_refaults();
	unsigned long elapsed = now - oom_notify_refaults_jiffies;
	unsigned long rate, limit;
	bool was = oom_notify_thrash_on;

	limit = min_t(unsigned long, totalram_pages() * thrash_permille / 1000,
		      OOM_NOTIFY_THRASH_CAP_PAGES);
	if (oom_notify_refaults_base && elapsed >= HZ / 2 && limit) {
		rate = (refaults - oom_notify_refaults_base) * HZ / elapsed;
		oom_notify_thrash_hot = rate >= limit ?
					oom_notify_thrash_hot + 1 : 0;
		if (oom_notify_thrash_hot >= 2)
			oom_notify_thrash_on = true;
		else if (rate < limit / 2)
			oom_notify_thrash_on = false;
	} else if (!limit) {
		oom_notify_thrash_on = false;
		oom_notify_thrash_hot = 0;
	}
	if (!oom_notify_refaults_base || elapsed >= HZ / 2) {
		oom_notify_refaults_base = refaults ?: 1;
		oom_notify_refaults_jiffies = now;
	}
	return oom_notify_thrash_on != was;
}

/* Memory is no longer short: forget the samples, stop thrashing. */
bool oom_notify_thrash_stop(void)
{
	bool was = oom_notify_thrash_on;

	oom_notify_refaults_base = 0;
	oom_notify_thrash_on = false;
	oom_notify_thrash_hot = 0;
	return was;
}

bool oom_notify_thrashing(void)
{
	return oom_notify_thrash_on;
}
