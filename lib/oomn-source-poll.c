/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The system-wide level from /proc/meminfo (the psi and meminfo kinds'
 * refresh) and the poll timer that re-reads it, on the schedule of
 * oomn_backoff_next() (oomn-source-logic.h) times the active kind's factors:
 * the meminfo kind's only clock, the psi kind's drift and recovery check.
 * The timer also re-checks the raised cgroups (oomn-source-cgroup.c).
 */
#include <errno.h>
#include <string.h>

#include "oomn-source-internal.h"

static void oomn_source_timer_bounds(const OomnSource *s, uint64_t *ret_min, uint64_t *ret_max)
{
	uint64_t min = s->interval_min, max = s->interval_max;

	/* the meminfo kind's factors are 1; without a kind, its schedule */
	if (s->ops && s->ops->timer_min_factor) {
		min *= s->ops->timer_min_factor;
		max *= s->ops->timer_max_factor;
	}
	*ret_min = min;
	*ret_max = max < min ? min : max;
}

static void oomn_source_timer_arm(OomnSource *s, bool read_ok)
{
	uint64_t min, max, next, prev;
	struct oom_notify_figures f = {
		.mem_total = s->current.mem_total,
		.mem_available = s->current.mem_available,
		.swap_worth = s->current.swap_worth,
		.thrashing = s->current.thrashing,
	};
	int r;

	/* the kernel kind (or none) runs no timer */
	if (!s->ops || !s->ops->timer_min_factor)
		return;
	oomn_source_timer_bounds(s, &min, &max);
	prev = s->stats.interval_usec;
	if (!read_ok || f.mem_total == 0)
		/* nothing to judge by: back off, do not hammer a broken file */
		next = !prev ? min : prev > max / 2 ? max : prev * 2 < min ? min : prev * 2;
	else if (oomn_source_cgroups_raised(s))
		next = min;
	else
		next = oomn_backoff_next(prev, min, max, &s->thresholds, &f, s->current.level);

	if (!s->timer) {
		r = oomn_source_timer_start(s);
		if (r < 0)
			return;
	}
	r = sd_event_source_set_time_relative(s->timer, next);
	if (r >= 0)
		r = sd_event_source_set_time_accuracy(s->timer, next / 10 ?: 1);
	if (r >= 0)
		r = sd_event_source_set_enabled(s->timer, SD_EVENT_ONESHOT);
	if (r < 0) {
		oomn_source_warn(s, "cannot arm the meminfo timer: %s", strerror(-r));
		return;
	}
	s->stats.interval_usec = next;
}

int oomn_source_evaluate(OomnSource *s, bool resync, uint32_t cause)
{
	struct oomn_meminfo mi;
	struct oom_notify_figures f;
	enum oom_notify_level level, unchanged;
	struct oomn_pressure p;
	uint64_t worth;
	bool thrashing;
	int r;

	r = oomn_source_read_meminfo(s, &mi);
	if (r < 0)
		goto arm;
	/* free swap net of zram's RAM cost (reads nothing without swap), and
	 * thrashing (reads nothing while memory is plentiful) */
	worth = oomn_swap_reader_worth(&s->swap, &mi);
	thrashing = oomn_swap_reader_thrashing(&s->swap, &s->thresholds, &mi);
	r = oomn_meminfo_level(&s->thresholds, &mi, worth, thrashing, s->current.level, &level, &f);
	if (r < 0) {
		oomn_source_warn(s,
				 "implausible %s/meminfo (MemAvailable %llu of %llu, SwapFree %llu "
				 "of %llu bytes); keeping the last state",
				 s->proc_root, (unsigned long long)mi.mem_available,
				 (unsigned long long)mi.mem_total, (unsigned long long)mi.swap_free,
				 (unsigned long long)mi.swap_total);
		goto arm;
	}

	/* a change that only thrashing starting or ending made is told so */
	if (!resync && !s->starting && level != s->current.level &&
	    thrashing != s->current.thrashing &&
	    oomn_meminfo_level(&s->thresholds, &mi, worth, s->current.thrashing, s->current.level,
			       &unchanged, NULL) == 0 &&
	    unchanged == s->current.level)
		cause = OOM_NOTIFY_CAUSE_THRASHING;

	p = (struct oomn_pressure){
		.level = level,
		.prev_level = s->current.level,
		.pressure_seq = s->current.pressure_seq,
		.timestamp_ns = oomn_now_nsec(CLOCK_BOOTTIME),
		.cause = cause,
		.mem_total = f.mem_total,
		.mem_available = f.mem_available,
		.swap_total = mi.swap_total,
		.swap_free = mi.swap_free,
		.swap_worth = f.swap_worth,
		.thrashing = f.thrashing,
		.has_thresholds = true,
		.thresholds = s->thresholds,
		.source = s->kind,
		.resync = resync,
	};
	if (level != s->current.level || resync) {
		/* the state read by oomn_source_new() is the start, not news */
		if (s->starting)
			p.prev_level = level;
		else
			p.pressure_seq = ++s->pressure_seq;
		oomn_source_report(s, &p);
	} else {
		/* no news: keep the figures fresh for oomn_source_current() */
		p.prev_level = s->current.prev_level;
		p.cause = s->current.cause;
		p.resync = s->current.resync;
		s->current = p;
	}
arm:
	oomn_source_timer_arm(s, r >= 0);
	return r;
}

static int oomn_source_on_timer(sd_event_source *es, uint64_t usec, void *userdata)
{
	OomnSource *s = userdata;

	s->stats.timer_wakeups++;
	oomn_source_cgroups_recheck(s);
	(void)oomn_source_evaluate(s, false, OOM_NOTIFY_CAUSE_TIMER);
	return 0;
}

int oomn_source_timer_start(OomnSource *s)
{
	uint64_t min, max;
	int r;

	oomn_source_timer_bounds(s, &min, &max);
	if (s->timer) {
		r = sd_event_source_set_time_relative(s->timer, min);
		if (r >= 0)
			r = sd_event_source_set_enabled(s->timer, SD_EVENT_ONESHOT);
	} else {
		r = sd_event_add_time_relative(s->event, &s->timer, CLOCK_MONOTONIC, min,
					       min / 10 ?: 1, oomn_source_on_timer, s);
		if (r >= 0)
			(void)sd_event_source_set_description(s->timer, "oomn-source-timer");
	}
	if (r < 0) {
		oomn_source_warn(s, "cannot start the meminfo timer: %s", strerror(-r));
		return r;
	}
	s->stats.interval_usec = min;
	return 0;
}

void oomn_source_timer_stop(OomnSource *s)
{
	s->timer = sd_event_source_disable_unref(s->timer);
	s->stats.interval_usec = 0;
}
