// SPDX-License-Identifier: GPL-2.0
/*
 * oom_notify: where the kernel tells us memory moved.
 *
 * - kmem:mm_page_alloc / kmem:mm_page_free: MemAvailable is compared with
 *   the two bounds the last evaluation left (oom_notify_level_bounds())
 *   every 1 MiB allocated or freed on a CPU, and more often as it nears a
 *   bound, so that the allocation that crosses it is the one that tells.
 *   Anonymous memory can fall far below a threshold before reclaim starts,
 *   so reclaim alone is late.
 *   Frees also compare free swap with its two bounds: swap-out frees the
 *   pages it wrote, an exit frees its swap with its pages.
 * - a shrinker: its count callback runs in every global reclaim pass, the
 *   moment page cache or swap starts to be taken.
 * - oom:mark_victim: every kernel OOM kill, global or memcg.
 *
 * All run in contexts that must not sleep or allocate (the allocator itself,
 * reclaim, the OOM killer under task_lock): they only compare, copy into a
 * preallocated ring and kick an irq_work.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cgroup.h>
#include <linux/jiffies.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/percpu.h>
#include <linux/sched/signal.h>
#include <linux/shrinker.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/swap.h>
#include <linux/timekeeping.h>
#include <linux/tracepoint.h>
#include <trace/events/kmem.h>
#include <trace/events/oom.h>

#include "oom_notify.h"

#define OOM_NOTIFY_BATCH_PAGES	(SZ_1M >> PAGE_SHIFT)
#define OOM_NOTIFY_RING		16

/* Pages this CPU may allocate (free) before it looks at MemAvailable again. */
static DEFINE_PER_CPU(long, oom_notify_alloc_budget);
static DEFINE_PER_CPU(long, oom_notify_free_budget);

/* In pages; written under the state lock, read locklessly by the probes. */
static long oom_notify_rise_below;
static long oom_notify_fall_at = LONG_MAX;	/* LONG_MAX: nowhere to fall */
static long oom_notify_swap_rise_below;
static long oom_notify_swap_fall_at = LONG_MAX;
static unsigned long oom_notify_last_reclaim_kick;

void oom_notify_hooks_set_bounds(u64 rise_below, u64 fall_at,
				 u64 swap_rise_below, u64 swap_fall_at)
{
	WRITE_ONCE(oom_notify_rise_below, min_t(u64, rise_below, LONG_MAX));
	WRITE_ONCE(oom_notify_fall_at, min_t(u64, fall_at, LONG_MAX));
	WRITE_ONCE(oom_notify_swap_rise_below,
		   min_t(u64, swap_rise_below, LONG_MAX));
	WRITE_ONCE(oom_notify_swap_fall_at, min_t(u64, swap_fall_at, LONG_MAX));
}

/*
 * The next look comes after at most half the distance to the bound, shared
 * among the CPUs: allocations nobody has looked at never add up to the
 * distance, so a crossing is seen by the allocation (or free) that makes it.
 */
static long oom_notify_budget(long distance)
{
	return clamp(distance / (2 * (long)num_online_cpus()), 1L,
		     (long)OOM_NOTIFY_BATCH_PAGES);
}

static void oom_notify_probe_alloc(void *data, struct page *page,
				   unsigned int order, gfp_t gfp_flags,
				   int migratetype)
{
	long rise_below = READ_ONCE(oom_notify_rise_below);
	long avail;

	if (!rise_below)
		return;
	if (this_cpu_sub_return(oom_notify_alloc_budget, 1L << order) > 0)
		return;
	avail = si_mem_available();
	if (avail < rise_below) {
		this_cpu_write(oom_notify_alloc_budget, OOM_NOTIFY_BATCH_PAGES);
		oom_notify_kick(OOM_NOTIFY_CAUSE_ALLOC);
		return;
	}
	this_cpu_write(oom_notify_alloc_budget,
		       oom_notify_budget(avail - rise_below));
}

static void oom_notify_probe_free(void *data, struct page *page,
				  unsigned int order)
{
	long fall_at = READ_ONCE(oom_notify_fall_at);
	long swap_rise_below = READ_ONCE(oom_notify_swap_rise_below);
	long swap_fall_at = READ_ONCE(oom_notify_swap_fall_at);
	long avail, swap;

	if (fall_at == LONG_MAX && !swap_rise_below && swap_fall_at == LONG_MAX)
		return;
	if (this_cpu_sub_return(oom_notify_free_budget, 1L << order) > 0)
		return;
	swap = get_nr_swap_pages();
	if (swap < swap_rise_below) {
		this_cpu_write(oom_notify_free_budget, OOM_NOTIFY_BATCH_PAGES);
		oom_notify_kick(OOM_NOTIFY_CAUSE_RECLAIM);	/* swap-out */
		return;
	}
	avail = si_mem_available();
	if (avail >= fall_at || swap >= swap_fall_at) {
		this_cpu_write(oom_notify_free_budget, OOM_NOTIFY_BATCH_PAGES);
		oom_notify_kick(OOM_NOTIFY_CAUSE_FREE);
		return;
	}
	/* swap moves only in reclaim and exits, which free pages: 1 MiB apart */
	this_cpu_write(oom_notify_free_budget, fall_at == LONG_MAX ?
		       OOM_NOTIFY_BATCH_PAGES :
		       oom_notify_budget(fall_at - avail));
}

/* --- kernel OOM victims ------------------------------------------------ */

static DEFINE_SPINLOCK(oom_notify_ring_lock);
static struct oom_notify_victim oom_notify_ring[OOM_NOTIFY_RING];
static unsigned int oom_notify_ring_head;	/* next to pop */
static unsigned int oom_notify_ring_len;
static u32 oom_notify_ring_lost;
static u64 oom_notify_victim_seq;

/*
 * Runs with the victim's task_lock held (so its mm is stable) or on
 * current: copy what the report needs, take a cgroup reference, nothing
 * more.
 */
static void oom_notify_probe_mark_victim(void *data, struct task_struct *task,
					 uid_t uid)
{
	struct oom_notify_victim *v;
	struct mm_struct *mm = task->mm;
	struct cgroup *cgrp;
	unsigned long flags;

	spin_lock_irqsave(&oom_notify_ring_lock, flags);
	oom_notify_victim_seq++;
	if (oom_notify_ring_len == OOM_NOTIFY_RING) {
		/* the oom_seq gap tells subscribers; LOST tells how many */
		oom_notify_ring_lost++;
		goto out;
	}
	v = &oom_notify_ring[(oom_notify_ring_head + oom_notify_ring_len) %
			     OOM_NOTIFY_RING];
	memset(v, 0, sizeof(*v));
	v->oom_seq = oom_notify_victim_seq;
	v->timestamp_ns = ktime_get_boot_fast_ns();
	v->pid = task->tgid;
	v->tid = task->pid;
	v->uid = uid;
	v->oom_score_adj = task->signal->oom_score_adj;
	strscpy(v->comm, task->comm, sizeof(v->comm));
	if (mm) {
		v->total_vm = (u64)mm->total_vm << PAGE_SHIFT;
		v->anon_rss = (u64)get_mm_counter(mm, MM_ANONPAGES) << PAGE_SHIFT;
		v->file_rss = (u64)get_mm_counter(mm, MM_FILEPAGES) << PAGE_SHIFT;
		v->shmem_rss = (u64)get_mm_counter(mm, MM_SHMEMPAGES) << PAGE_SHIFT;
		v->pgtables = mm_pgtables_bytes(mm);
	}
	rcu_read_lock();
	cgrp = task_dfl_cgroup(task);
	if (cgrp && cgroup_tryget(cgrp)) {
		v->cgrp = cgrp;
		v->cgroup_id = cgroup_id(cgrp);
	}
	rcu_read_unlock();
	v->lost = oom_notify_ring_lost;
	oom_notify_ring_lost = 0;
	oom_notify_ring_len++;
out:
	spin_unlock_irqrestore(&oom_notify_ring_lock, flags);
	oom_notify_kick_victims();
}

bool oom_notify_victim_pop(struct oom_notify_victim *v)
{
	unsigned long flags;
	bool ret = false;

	spin_lock_irqsave(&oom_notify_ring_lock, flags);
	if (oom_notify_ring_len) {
		*v = oom_notify_ring[oom_notify_ring_head];
		oom_notify_ring_head = (oom_notify_ring_head + 1) % OOM_NOTIFY_RING;
		oom_notify_ring_len--;
		ret = true;
	}
	spin_unlock_irqrestore(&oom_notify_ring_lock, flags);
	return ret;
}

void oom_notify_victim_release(struct oom_notify_victim *v)
{
	if (v->cgrp)
		cgroup_put(v->cgrp);
	v->cgrp = NULL;
}

/* --- reclaim ------------------------------------------------------------ */

static unsigned long oom_notify_shrink_count(struct shrinker *s,
					     struct shrink_control *sc)
{
	unsigned long now = jiffies;

	/*
	 * Reclaim calls this per node and priority: one kick a tick is plenty,
	 * but a kick held back must not be lost, or what reclaim did in the
	 * rest of the tick (swap filling) is seen only by the timer.
	 */
	if (READ_ONCE(oom_notify_last_reclaim_kick) != now) {
		WRITE_ONCE(oom_notify_last_reclaim_kick, now);
		oom_notify_kick(OOM_NOTIFY_CAUSE_RECLAIM);
	} else {
		oom_notify_kick_later(OOM_NOTIFY_CAUSE_RECLAIM);
	}
	return 0;	/* we own nothing to free */
}

static unsigned long oom_notify_shrink_scan(struct shrinker *s,
					    struct shrink_control *sc)
{
	return SHRINK_STOP;
}

/* 6.7 replaced register_shrinker() with shrinker_alloc() */
#ifdef SHRINKER_ALLOCATED
static struct shrinker *oom_notify_shrinker;

static int oom_notify_shrinker_register(void)
{
	oom_notify_shrinker = shrinker_alloc(0, "oom_notify");
	if (!oom_notify_shrinker)
		return -ENOMEM;
	oom_notify_shrinker->count_objects = oom_notify_shrink_count;
	oom_notify_shrinker->scan_objects = oom_notify_shrink_scan;
	oom_notify_shrinker->seeks = DEFAULT_SEEKS;
	shrinker_register(oom_notify_shrinker);
	return 0;
}

static void oom_notify_shrinker_unregister(void)
{
	shrinker_free(oom_notify_shrinker);
}
#else
static struct shrinker oom_notify_shrinker = {
	.count_objects = oom_notify_shrink_count,
	.scan_objects = oom_notify_shrink_scan,
	.seeks = DEFAULT_SEEKS,
};

static int oom_notify_shrinker_register(void)
{
	return register_shrinker(&oom_notify_shrinker, "oom_notify");
}

static void oom_notify_shrinker_unregister(void)
{
	unregister_shrinker(&oom_notify_shrinker);
}
#endif

/* --- tracepoints --------------------------------------------------------- */

/*
 * These tracepoints are not exported to modules by name, but every kernel
 * tracepoint can be found and probed through for_each_kernel_tracepoint().
 * Found by name, a probe never meets the tracepoint's prototype in the
 * compiler: OOM_NOTIFY_CHECK_PROBE() compares them.
 */
OOM_NOTIFY_CHECK_PROBE(mm_page_alloc, oom_notify_probe_alloc);
OOM_NOTIFY_CHECK_PROBE(mm_page_free, oom_notify_probe_free);
OOM_NOTIFY_CHECK_PROBE(mark_victim, oom_notify_probe_mark_victim);

struct oom_notify_tp {
	const char *name;
	void *probe;
	bool required;
	struct tracepoint *tp;
	bool registered;
};

static struct oom_notify_tp oom_notify_tps[] = {
	{ "mm_page_alloc", oom_notify_probe_alloc, false },
	{ "mm_page_free", oom_notify_probe_free, false },
	{ "mark_victim", oom_notify_probe_mark_victim, true },
};

static bool oom_notify_fast_hooks;

/* For comparison runs: without them only reclaim and the timer notice. */
static bool alloc_hooks = true;
module_param(alloc_hooks, bool, 0444);
MODULE_PARM_DESC(alloc_hooks, "Probe page allocations and frees (default: on)");

bool oom_notify_hooks_active(void)
{
	return oom_notify_fast_hooks;
}

static void oom_notify_tp_find(struct tracepoint *tp, void *priv)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(oom_notify_tps); i++)
		if (!strcmp(tp->name, oom_notify_tps[i].name))
			oom_notify_tps[i].tp = tp;
}

static void oom_notify_tps_unregister(void)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(oom_notify_tps); i++) {
		struct oom_notify_tp *t = &oom_notify_tps[i];

		if (t->registered)
			tracepoint_probe_unregister(t->tp, t->probe, NULL);
		t->registered = false;
	}
	/* No probe may still be running once we return. */
	tracepoint_synchronize_unregister();
}

static int oom_notify_tps_register(void)
{
	int i, ret;

	for_each_kernel_tracepoint(oom_notify_tp_find, NULL);
	for (i = 0; i < ARRAY_SIZE(oom_notify_tps); i++) {
		struct oom_notify_tp *t = &oom_notify_tps[i];

		if (!t->required && !alloc_hooks)
			continue;
		ret = t->tp ? tracepoint_probe_register(t->tp, t->probe, NULL) :
			      -ENOENT;
		if (ret && t->required) {
			pr_err("cannot probe tracepoint %s: %d\n", t->name, ret);
			oom_notify_tps_unregister();
			return ret;
		}
		if (ret)
			pr_warn("no tracepoint %s (%d): falling back to the timer\n",
				t->name, ret);
		t->registered = !ret;
	}
	oom_notify_fast_hooks = oom_notify_tps[0].registered &&
				oom_notify_tps[1].registered;
	return 0;
}

int oom_notify_hooks_init(void)
{
	int ret;

	ret = oom_notify_shrinker_register();
	if (ret)
		return ret;
	ret = oom_notify_tps_register();
	if (ret)
		oom_notify_shrinker_unregister();
	return ret;
}

void oom_notify_hooks_exit(void)
{
	oom_notify_tps_unregister();
	oom_notify_shrinker_unregister();
	oom_notify_fast_hooks = false;
}
