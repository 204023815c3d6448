// SPDX-License-Identifier: GPL-2.0
/*
 * oom_notify: the level state machine. Hooks (oom_notify_hooks.c) kick an
 * evaluation from any context; the evaluation runs in an ordered,
 * reclaim-safe workqueue, and every level change is multicast at once
 * (oom_notify_genl.c) with the next sequence number.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/irq_work.h>
#include <linux/jiffies.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/netlink.h>
#include <linux/swap.h>
#include <linux/timekeeping.h>
#include <linux/workqueue.h>

#include "oom_notify.h"

/*
 * The fallback check only guards against missed hooks: quick while the level
 * is raised (so recovery is seen even if no free was traced), and backing off
 * to a minute while memory is plentiful.
 */
#define POLL_BASE_MS		250
#define POLL_RAISED_MAX_MS	2000
#define POLL_NORMAL_MAX_MS	60000

#define KICK_EVAL	BIT(0)
#define KICK_VICTIMS	BIT(1)

static struct workqueue_struct *oom_notify_wq;

/* Everything below is protected by oom_notify_lock. */
static DEFINE_MUTEX(oom_notify_lock);
static struct oom_notify_thresholds oom_notify_thresholds;
static enum oom_notify_level oom_notify_level;
static enum oom_notify_level oom_notify_prev_level;
static enum oom_notify_cause oom_notify_cause;
static u64 oom_notify_pressure_seq;
static u64 oom_notify_oom_seq;
static unsigned int oom_notify_idle_rounds;
static bool oom_notify_stopping;
/* What the last evaluation decided on, and when (jiffies). */
static struct oom_notify_figures oom_notify_figures;
static u64 oom_notify_swap_free;		/* pages */
static u32 oom_notify_swap_cost_pm;
static unsigned long oom_notify_eval_jiffies;

/* Lock-free hand-over from the hooks to the workqueue. */
static atomic_t oom_notify_kicks;
static atomic_t oom_notify_kick_cause;

static void oom_notify_eval_workfn(struct work_struct *work);
static void oom_notify_followup_workfn(struct work_struct *work);
static void oom_notify_poll_workfn(struct work_struct *work);
static void oom_notify_victims_workfn(struct work_struct *work);
static void oom_notify_thrash_workfn(struct work_struct *work);
static void oom_notify_kick_irq(struct irq_work *work);

static DECLARE_WORK(oom_notify_eval_work, oom_notify_eval_workfn);
static DECLARE_DELAYED_WORK(oom_notify_followup_work,
			    oom_notify_followup_workfn);
static DECLARE_DEFERRABLE_WORK(oom_notify_poll_work, oom_notify_poll_workfn);
static DECLARE_WORK(oom_notify_victims_work, oom_notify_victims_workfn);
static DECLARE_DELAYED_WORK(oom_notify_thrash_work, oom_notify_thrash_workfn);
static struct irq_work oom_notify_irq_work =
	IRQ_WORK_INIT(oom_notify_kick_irq);

/* Below the low memory threshold: swap and thrashing can decide a level. */
static bool oom_notify_memory_short(const struct oom_notify_figures *f)
{
	return f->mem_available * OOM_NOTIFY_PERMILLE_MAX <
	       f->mem_total * oom_notify_thresholds.mem[OOM_NOTIFY_LEVEL_LOW];
}

/*
 * Under the state lock: the swap cost is measured here. With memory
 * plentiful again, the cost and thrashing are over before anything is
 * decided or reported on them.
 */
static void oom_notify_read_figures(struct oom_notify_figures *f)
{
	f->mem_total = totalram_pages();
	f->mem_available = max(si_mem_available(), 0L);
	if (!oom_notify_memory_short(f)) {
		oom_notify_swap_forget();
		oom_notify_thrash_stop();
	}
	oom_notify_swap_read(&oom_notify_swap_free, &f->swap_worth,
			     &oom_notify_swap_cost_pm);
	f->thrashing = oom_notify_thrashing();
}

static void oom_notify_fill_locked(struct oom_notify_snapshot *snap,
				   const struct oom_notify_figures *f)
{
	snap->level = oom_notify_level;
	snap->prev_level = oom_notify_prev_level;
	snap->cause = oom_notify_cause;
	snap->pressure_seq = oom_notify_pressure_seq;
	snap->oom_seq = oom_notify_oom_seq;
	snap->timestamp_ns = ktime_get_boottime_ns();
	snap->mem_total = f->mem_total << PAGE_SHIFT;
	snap->mem_available = f->mem_available << PAGE_SHIFT;
	snap->swap_free = oom_notify_swap_free << PAGE_SHIFT;
	snap->swap_worth = f->swap_worth << PAGE_SHIFT;
	snap->swap_cost = oom_notify_swap_cost_pm;
	snap->thrashing = f->thrashing;
	snap->thresholds = oom_notify_thresholds;
}

static void oom_notify_arm_poll_locked(void)
{
	unsigned int max_ms = oom_notify_level > OOM_NOTIFY_LEVEL_NORMAL ?
			      POLL_RAISED_MAX_MS : POLL_NORMAL_MAX_MS;
	unsigned int ms = POLL_BASE_MS << min(oom_notify_idle_rounds, 10U);

	/* Without hooks the timer is all we have: keep it at its base rate. */
	if (!oom_notify_hooks_active())
		ms = POLL_BASE_MS;
	mod_delayed_work(oom_notify_wq, &oom_notify_poll_work,
			 msecs_to_jiffies(min(ms, max_ms)));
}

/*
 * Re-read the figures, move the level, multicast a change, and tell the hooks
 * where the next crossing lies. Sending under the lock keeps events in
 * sequence order.
 */
static void oom_notify_evaluate_locked(enum oom_notify_cause cause)
{
	struct oom_notify_figures f;
	enum oom_notify_level level;
	u64 rise_below, fall_at, swap_rise_below, swap_fall_at;
	long avail, swap;

	lockdep_assert_held(&oom_notify_lock);

	oom_notify_read_figures(&f);
	oom_notify_figures = f;
	oom_notify_eval_jiffies = jiffies;
	/*
	 * Hysteresis smooths noisy figures; it must not keep a level that new
	 * thresholds no longer reach, so those are applied from scratch.
	 */
	level = oom_notify_level_eval(&oom_notify_thresholds, &f,
				      cause == OOM_NOTIFY_CAUSE_THRESHOLDS ?
				      OOM_NOTIFY_LEVEL_NORMAL : oom_notify_level);
	if (level != oom_notify_level) {
		struct oom_notify_snapshot snap;

		oom_notify_prev_level = oom_notify_level;
		oom_notify_level = level;
		oom_notify_cause = cause;
		oom_notify_pressure_seq++;
		oom_notify_idle_rounds = 0;
		oom_notify_fill_locked(&snap, &f);
		oom_notify_genl_send_pressure(&snap);
	}

	oom_notify_level_bounds(&oom_notify_thresholds, &f, level,
				&rise_below, &fall_at);
	oom_notify_swap_bounds(&oom_notify_thresholds, &f, level,
			       &swap_rise_below, &swap_fall_at);
	/* the hooks see free swap: bound it where its worth crosses */
	swap_rise_below = oom_notify_swap_free_bound(swap_rise_below,
						     oom_notify_swap_cost_pm);
	swap_fall_at = oom_notify_swap_free_bound(swap_fall_at,
						  oom_notify_swap_cost_pm);
	if (oom_notify_memory_short(&f)) {
		/*
		 * Where swap decides, measure its cost again each step it
		 * moves (zram filling with data that does not compress is
		 * worth nothing), and look for thrashing once a second.
		 */
		long step = oom_notify_swap_step();

		if (oom_notify_swap_free > step)
			swap_rise_below = max_t(u64, swap_rise_below,
						oom_notify_swap_free - step);
		swap_fall_at = min_t(u64, swap_fall_at,
				     oom_notify_swap_free + step);
		queue_delayed_work(oom_notify_wq, &oom_notify_thrash_work, HZ);
	}
	oom_notify_hooks_set_bounds(rise_below, fall_at, swap_rise_below,
				    swap_fall_at);

	/* Memory may have crossed a new bound while it was being set. */
	avail = si_mem_available();
	swap = get_nr_swap_pages();
	if (!oom_notify_stopping &&
	    (avail < rise_below || avail >= fall_at ||
	     swap < swap_rise_below || swap >= swap_fall_at)) {
		atomic_cmpxchg(&oom_notify_kick_cause, 0, cause);
		queue_work(oom_notify_wq, &oom_notify_eval_work);
	}
}

static void oom_notify_eval_workfn(struct work_struct *work)
{
	enum oom_notify_cause cause = atomic_xchg(&oom_notify_kick_cause, 0);

	mutex_lock(&oom_notify_lock);
	if (!oom_notify_stopping) {
		oom_notify_evaluate_locked(cause ?: OOM_NOTIFY_CAUSE_UNSPEC);
		oom_notify_arm_poll_locked();
	}
	mutex_unlock(&oom_notify_lock);
}

static void oom_notify_followup_workfn(struct work_struct *work)
{
	oom_notify_eval_workfn(NULL);
}

/*
 * Armed by evaluations while memory is short, so it runs only then: a
 * change of the thrashing state is evaluated at once; otherwise the hooks
 * keep the level (an evaluation here would race them to every crossing).
 */
static void oom_notify_thrash_workfn(struct work_struct *work)
{
	mutex_lock(&oom_notify_lock);
	if (!oom_notify_stopping) {
		if (oom_notify_thrash_sample())
			oom_notify_evaluate_locked(OOM_NOTIFY_CAUSE_THRASHING);
		else if (oom_notify_memory_short(&oom_notify_figures))
			queue_delayed_work(oom_notify_wq,
					   &oom_notify_thrash_work, HZ);
	}
	mutex_unlock(&oom_notify_lock);
}

static void oom_notify_poll_workfn(struct work_struct *work)
{
	/*
	 * A hook that kicked before this ran saw the change first, even if
	 * its own evaluation is still queued behind this one.
	 */
	enum oom_notify_cause cause = atomic_xchg(&oom_notify_kick_cause, 0);

	mutex_lock(&oom_notify_lock);
	if (!oom_notify_stopping) {
		oom_notify_idle_rounds++;
		oom_notify_evaluate_locked(cause ?: OOM_NOTIFY_CAUSE_TIMER);
		oom_notify_arm_poll_locked();
	}
	mutex_unlock(&oom_notify_lock);
}

static void oom_notify_victims_workfn(struct work_struct *work)
{
	struct oom_notify_victim v;
	bool any = false;

	while (oom_notify_victim_pop(&v)) {
		enum oom_notify_level level;

		mutex_lock(&oom_notify_lock);
		level = oom_notify_level;
		mutex_unlock(&oom_notify_lock);

		/* A failed send leaves a gap in OOM_SEQ: subscribers resync. */
		if (oom_notify_genl_send_oom(&v, level))
			pr_warn_ratelimited("could not send OOM event %llu\n",
					    v.oom_seq);
		mutex_lock(&oom_notify_lock);
		oom_notify_oom_seq = max(oom_notify_oom_seq, v.oom_seq);
		mutex_unlock(&oom_notify_lock);
		oom_notify_victim_release(&v);
		any = true;
	}

	/* The victim's memory is coming back: look again. */
	mutex_lock(&oom_notify_lock);
	if (any && !oom_notify_stopping) {
		atomic_cmpxchg(&oom_notify_kick_cause, 0,
			       OOM_NOTIFY_CAUSE_OOM_KILL);
		queue_work(oom_notify_wq, &oom_notify_eval_work);
	}
	mutex_unlock(&oom_notify_lock);
}

static void oom_notify_kick_irq(struct irq_work *work)
{
	int kicks = atomic_xchg(&oom_notify_kicks, 0);

	if (kicks & KICK_EVAL)
		queue_work(oom_notify_wq, &oom_notify_eval_work);
	if (kicks & KICK_VICTIMS)
		queue_work(oom_notify_wq, &oom_notify_victims_work);
}

/*
 * Ask for an evaluation from any context, allocator and reclaim included:
 * only atomics and an irq_work here, never a lock or an allocation.
 */
void oom_notify_kick(enum oom_notify_cause cause)
{
	atomic_cmpxchg(&oom_notify_kick_cause, 0, cause);
	atomic_or(KICK_EVAL, &oom_notify_kicks);
	irq_work_queue(&oom_notify_irq_work);
}

/*
 * A kick that a rate limit held back: evaluate a tick from now, so that
 * what happened after the last kick is not left to the timer. Any context
 * but NMI; a follow-up already pending absorbs this one.
 */
void oom_notify_kick_later(enum oom_notify_cause cause)
{
	atomic_cmpxchg(&oom_notify_kick_cause, 0, cause);
	queue_delayed_work(oom_notify_wq, &oom_notify_followup_work, 1);
}

void oom_notify_kick_victims(void)
{
	atomic_or(KICK_VICTIMS, &oom_notify_kicks);
	irq_work_queue(&oom_notify_irq_work);
}

/*
 * A query answers with a level its figures agree with: it evaluates (a
 * change it finds is multicast like any other, in sequence), and reports
 * the figures that evaluation decided on. Anyone may ask, so queries
 * evaluate at most once a tick; in between they get the last evaluation.
 */
void oom_notify_get_state(struct oom_notify_snapshot *snap)
{
	mutex_lock(&oom_notify_lock);
	if (!oom_notify_stopping && time_after(jiffies, oom_notify_eval_jiffies))
		oom_notify_evaluate_locked(OOM_NOTIFY_CAUSE_QUERY);
	oom_notify_fill_locked(snap, &oom_notify_figures);
	mutex_unlock(&oom_notify_lock);
}

/*
 * Apply the thresholds whose bit (1 << OOM_NOTIFY_T_*) is in @present onto
 * the current ones and check the result whole. The merge happens under the
 * lock: two updates of different thresholds never undo each other.
 */
int oom_notify_update_thresholds(const struct oom_notify_thresholds *upd,
				 u32 present, struct netlink_ext_ack *extack)
{
	struct oom_notify_thresholds t;
	const char *why;
	bool changed;
	int ret;

	mutex_lock(&oom_notify_lock);
	t = oom_notify_thresholds;
	oom_notify_thresholds_merge(&t, upd, present);
	ret = oom_notify_thresholds_check(&t, &why);
	if (ret) {
		mutex_unlock(&oom_notify_lock);
		/* what NL_SET_ERR_MSG() does, for a message chosen at run time */
		if (extack)
			extack->_msg = why;
		return ret;
	}
	changed = memcmp(&t, &oom_notify_thresholds, sizeof(t));
	oom_notify_thresholds = t;
	if (!oom_notify_stopping) {
		oom_notify_evaluate_locked(OOM_NOTIFY_CAUSE_THRESHOLDS);
		oom_notify_arm_poll_locked();
	}
	mutex_unlock(&oom_notify_lock);
	if (changed)
		pr_info_ratelimited("thresholds set: memory %u/%u/%u swap %u/%u/%u hysteresis %u per-mille\n",
				    t.mem[OOM_NOTIFY_LEVEL_LOW],
				    t.mem[OOM_NOTIFY_LEVEL_MEDIUM],
				    t.mem[OOM_NOTIFY_LEVEL_CRITICAL],
				    t.swap[OOM_NOTIFY_LEVEL_LOW],
				    t.swap[OOM_NOTIFY_LEVEL_MEDIUM],
				    t.swap[OOM_NOTIFY_LEVEL_CRITICAL],
				    t.hysteresis);
	return 0;
}

static void oom_notify_drain_victims(void)
{
	struct oom_notify_victim v;

	while (oom_notify_victim_pop(&v))
		oom_notify_victim_release(&v);
}

static void oom_notify_stop(void)
{
	mutex_lock(&oom_notify_lock);
	oom_notify_stopping = true;
	mutex_unlock(&oom_notify_lock);

	irq_work_sync(&oom_notify_irq_work);
	cancel_delayed_work_sync(&oom_notify_followup_work);
	cancel_delayed_work_sync(&oom_notify_thrash_work);
	cancel_delayed_work_sync(&oom_notify_poll_work);
	/* Flushes the last evaluation and sends the victims still queued. */
	destroy_workqueue(oom_notify_wq);
}

static int __init oom_notify_init(void)
{
	struct oom_notify_figures f;
	int ret;

	oom_notify_thresholds_default(&oom_notify_thresholds);
	oom_notify_swap_init();
	oom_notify_read_figures(&f);
	oom_notify_level = oom_notify_level_eval(&oom_notify_thresholds, &f,
						 OOM_NOTIFY_LEVEL_NORMAL);

	/* WQ_MEM_RECLAIM: a rescuer runs our work when kworkers cannot fork. */
	oom_notify_wq = alloc_ordered_workqueue("oom_notify",
						WQ_HIGHPRI | WQ_MEM_RECLAIM);
	if (!oom_notify_wq)
		return -ENOMEM;

	ret = oom_notify_genl_init();
	if (ret)
		goto err_wq;

	ret = oom_notify_hooks_init();
	if (ret)
		goto err_genl;

	mutex_lock(&oom_notify_lock);
	oom_notify_evaluate_locked(OOM_NOTIFY_CAUSE_UNSPEC);
	oom_notify_arm_poll_locked();
	mutex_unlock(&oom_notify_lock);

	pr_info("loaded: level %s, MemAvailable %lu of %lu kB\n",
		oom_notify_level_name(oom_notify_level),
		(unsigned long)f.mem_available << (PAGE_SHIFT - 10),
		(unsigned long)f.mem_total << (PAGE_SHIFT - 10));
	return 0;

err_genl:
	/* A probe may have kicked before the hooks failed: settle the work. */
	oom_notify_stop();
	oom_notify_drain_victims();
	oom_notify_genl_exit();
	return ret;
err_wq:
	destroy_workqueue(oom_notify_wq);
	return ret;
}

static void __exit oom_notify_exit(void)
{
	/* No new kicks from the kernel, then no work, then no family. */
	oom_notify_hooks_exit();
	oom_notify_stop();
	oom_notify_drain_victims();
	oom_notify_genl_exit();
	pr_info("unloaded\n");
}

module_init(oom_notify_init);
module_exit(oom_notify_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("The oom-notify authors");
MODULE_DESCRIPTION("Memory-pressure levels and OOM kills over generic netlink");
