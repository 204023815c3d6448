// SPDX-License-Identifier: GPL-2.0
/*
 * oom_notify: what swap is worth, and whether the machine thrashes.
 *
 * Swap in RAM (zram, zswap) frees a page only to spend part of one on the
 * compressed copy: free swap is worth what compression saves, nothing at
 * all for data that does not compress. Modules see neither the swap devices
 * nor zram's figures, but they see the RAM zsmalloc holds (NR_ZSPAGES,
 * where zram and zswap keep their pages): the cost per page swapped is how
 * much that grew for each page swap took in since memory was last
 * plentiful, once swap took in two steps. A disk never grows it: cost 0,
 * free swap is worth all it holds. Each time memory is plentiful again the
 * cost is forgotten: the next hog's data may compress quite differently,
 * and until two steps of it are swapped free swap counts whole.
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
module_param(thrash_permille, uint, 0644);
MODULE_PARM_DESC(thrash_permille,
		 "refaults per second (per-mille of RAM, capped at 16 MiB) that count as thrashing; 0 turns it off");

#define OOM_NOTIFY_THRASH_CAP_PAGES	(SZ_16M >> PAGE_SHIFT)

/* All under the state lock (oom_notify_main.c). */
static long oom_notify_swap_base_free;
static long oom_notify_swap_base_zs;
static u32 oom_notify_swap_cost_pm;
static unsigned long oom_notify_refaults_base;
static unsigned long oom_notify_refaults_jiffies;
static bool oom_notify_thrash_on;
static unsigned int oom_notify_thrash_hot;	/* samples in a row at the rate */

/*
 * Exact, per-CPU deltas included: the folded counter lags by up to 125
 * pages a CPU, as much as a whole step of swap on a small machine.
 */
static long oom_notify_zspages(void)
{
#if IS_ENABLED(CONFIG_ZSMALLOC)
	long pages = 0;
	int nid, i;

	for_each_online_node(nid) {
		pg_data_t *pgdat = NODE_DATA(nid);

		for (i = 0; i < MAX_NR_ZONES; i++) {
			struct zone *zone = &pgdat->node_zones[i];

			if (populated_zone(zone))
				pages += zone_page_state_snapshot(zone,
								  NR_ZSPAGES);
		}
	}
	return pages;
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
	oom_notify_swap_cost_pm = 0;
	oom_notify_refaults_base = 0;
	oom_notify_thrash_on = false;
	oom_notify_thrash_hot = 0;
}

/*
 * Free swap now, and what it is worth at the cost of what this shortage
 * swapped so far: zsmalloc's growth over the swap taken since memory was
 * last plentiful, once that is two steps. Swap given back during the
 * shortage takes its pages with it, from both.
 */
void oom_notify_swap_read(u64 *free, u64 *worth, u32 *cost)
{
	long now = max(get_nr_swap_pages(), 0L);
	long taken = oom_notify_swap_base_free - now;

	/*
	 * Two steps before the first measure, a compromise. The first pages
	 * swapped are other processes' (and zsmalloc starts a zspage of up to
	 * four pages for each size class it begins to use): ahead of a hog
	 * whose pages compress 25:1, 2 MiB measured 837 in the VM, critical
	 * for a moment. But with three steps oom-killerd lost the race with
	 * the kernel's OOM killer on data that does not compress in one run of
	 * three, with four in three of four: reclaim swaps zram full first.
	 */
	if (taken >= 2 * oom_notify_swap_step())
		oom_notify_swap_cost_pm =
			oom_notify_swap_cost(max(oom_notify_zspages() -
						 oom_notify_swap_base_zs, 0L),
					     taken, 1, 0);
	*free = now;
	*cost = oom_notify_swap_cost_pm;
	*worth = oom_notify_swap_worth(now, oom_notify_swap_cost_pm);
}

/*
 * Memory is no longer short: what was swapped then says nothing of what
 * will be next time, so free swap counts whole again until two steps of
 * swap taken in say otherwise.
 */
void oom_notify_swap_forget(void)
{
	oom_notify_swap_base_free = max(get_nr_swap_pages(), 0L);
	oom_notify_swap_base_zs = oom_notify_zspages();
	oom_notify_swap_cost_pm = 0;
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

	limit = min_t(unsigned long,
		      totalram_pages() * READ_ONCE(thrash_permille) / 1000,
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
void oom_notify_thrash_stop(void)
{
	oom_notify_refaults_base = 0;
	oom_notify_thrash_on = false;
	oom_notify_thrash_hot = 0;
}

bool oom_notify_thrashing(void)
{
	return oom_notify_thrash_on;
}
