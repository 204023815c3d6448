/* SPDX-License-Identifier: GPL-2.0-only */
#include <string.h>

#include "episode.h"

static EpisodeActions episode_out(const Episode *ep, unsigned flags)
{
	return (EpisodeActions){
		.flags = flags,
		.timer_usec = ep->timer_usec,
		.poll_meminfo = ep->state == EPISODE_NOTICE || ep->state == EPISODE_TERM,
	};
}

static void episode_enter(Episode *ep, EpisodeState state, uint64_t timer_usec)
{
	ep->state = state;
	ep->timer_usec = timer_usec;
}

static void episode_forget_victim(Episode *ep)
{
	ep->deadline_usec = ep->grace_usec = 0;
	ep->kill_group = false;
	ep->notified = -1;
	ep->answered = 0;
	ep->cause = EPISODE_CAUSE_NONE;
	ep->exited = false;
	ep->emergency = false;
	ep->cut = false;
	ep->chosen_usec = ep->sigterm_usec = ep->sigkill_usec = 0;
}

void episode_init(Episode *ep, bool dry_run)
{
	memset(ep, 0, sizeof(*ep));
	ep->state = EPISODE_IDLE;
	ep->level = OOM_NOTIFY_LEVEL_NORMAL;
	ep->dry_run = dry_run;
	wait_trend_init(&ep->trend);
	wait_kill_time_init(&ep->kill_time);
	episode_forget_victim(ep);
}

/* Either back to idle, or, still critical, a new choice. */
static EpisodeActions episode_next(Episode *ep, unsigned flags)
{
	episode_forget_victim(ep);
	episode_enter(ep, EPISODE_IDLE, 0);
	if (ep->level == OOM_NOTIFY_LEVEL_CRITICAL)
		flags |= EPISODE_ACT_CHOOSE;
	return episode_out(ep, flags);
}

/* What may still be waited at the newest reading (wait-policy.h). */
static uint64_t episode_time_left(const Episode *ep)
{
	return wait_time_left(&ep->trend, ep->floor_bytes, &ep->kill_time);
}

/* SIGKILL (or cgroup.kill) goes out now: the kill time is measured from here. */
static EpisodeActions episode_sigkill(Episode *ep, unsigned flag, uint64_t timer_usec,
				      uint64_t now_usec)
{
	ep->sigkill_usec = now_usec;
	episode_enter(ep, EPISODE_KILLED, timer_usec);
	return episode_out(ep, flag);
}

static EpisodeActions episode_kill(Episode *ep, EpisodeKillCause cause, uint64_t now_usec)
{
	uint64_t grace;

	ep->cause = cause;
	if (ep->dry_run) {
		/* Nothing will change by itself: wait for the level to fall, decide once. */
		episode_enter(ep, EPISODE_HOLD, 0);
		return episode_out(ep, EPISODE_ACT_DRY_RUN | EPISODE_ACT_RELEASE);
	}
	if (ep->kill_group)
		return episode_sigkill(ep, EPISODE_ACT_KILL_GROUP,
				       now_usec + ep->grace_usec + EPISODE_SETTLE_USEC, now_usec);
	grace = wait_cut(ep->grace_usec, episode_time_left(ep));
	ep->cut = grace < ep->grace_usec;
	if (grace == 0)
		/* No grace: nothing to wait for after a SIGTERM, so none is sent. */
		return episode_sigkill(ep, EPISODE_ACT_SIGKILL, now_usec + EPISODE_SETTLE_USEC,
				       now_usec);
	ep->sigterm_usec = now_usec;
	episode_enter(ep, EPISODE_TERM, now_usec + grace);
	return episode_out(ep, EPISODE_ACT_SIGTERM);
}

/*
 * The running wait (deadline or grace, from @start_usec) re-cut at the newest
 * reading: a faster fall brings its end closer, a slower one gives back what
 * the configured wait allows. True if nothing is left.
 */
static bool episode_recut(Episode *ep, uint64_t start_usec, uint64_t wait_usec, uint64_t now_usec)
{
	uint64_t end = start_usec + wait_usec, left = episode_time_left(ep);

	if (left == 0)
		return true;
	if (left != WAIT_USEC_INFINITY && now_usec + left < end) {
		end = now_usec + left;
		ep->cut = true;
	} else
		ep->cut = false;
	episode_enter(ep, ep->state, end);
	return false;
}

static bool episode_all_answered(const Episode *ep)
{
	return ep->notified > 0 && ep->answered >= (unsigned)ep->notified;
}

EpisodeActions episode_kill_called_off(Episode *ep, enum oom_notify_level level,
				       uint64_t now_usec)
{
	ep->level = level;
	if ((ep->state != EPISODE_TERM && ep->state != EPISODE_KILLED) ||
	    level == OOM_NOTIFY_LEVEL_CRITICAL)
		return episode_out(ep, 0);
	episode_forget_victim(ep);
	episode_enter(ep, EPISODE_IDLE, 0);
	return episode_out(ep, EPISODE_ACT_REPORT_REDEEMED | EPISODE_ACT_RELEASE);
}

EpisodeActions episode_level(Episode *ep, enum oom_notify_level level, uint64_t now_usec)
{
	ep->level = level;
	switch (ep->state) {
	case EPISODE_IDLE:
		if (level == OOM_NOTIFY_LEVEL_CRITICAL)
			return episode_out(ep, EPISODE_ACT_CHOOSE);
		break;
	case EPISODE_NOTICE:
		if (level != OOM_NOTIFY_LEVEL_CRITICAL) {
			episode_forget_victim(ep);
			episode_enter(ep, EPISODE_IDLE, 0);
			return episode_out(ep, EPISODE_ACT_REPORT_REDEEMED | EPISODE_ACT_RELEASE);
		}
		break;
	case EPISODE_HOLD:
		if (level != OOM_NOTIFY_LEVEL_CRITICAL) {
			episode_enter(ep, EPISODE_IDLE, 0);
			return episode_out(ep, 0);
		}
		break;
	default:
		/* Once signalled, the kill goes on; SETTLE looks at the level when it ends. */
		break;
	}
	return episode_out(ep, 0);
}

EpisodeActions episode_mem_available(Episode *ep, uint64_t mem_available, uint64_t floor_bytes,
				     uint64_t now_usec)
{
	ep->mem_available = mem_available;
	ep->floor_bytes = floor_bytes;
	wait_trend_add(&ep->trend, now_usec, mem_available);
	if (ep->state == EPISODE_NOTICE) {
		if (floor_bytes > 0 && mem_available < floor_bytes)
			return episode_kill(ep, EPISODE_CAUSE_FLOOR, now_usec);
		if (episode_recut(ep, ep->chosen_usec, ep->deadline_usec, now_usec))
			return episode_kill(ep, EPISODE_CAUSE_TIME_LEFT, now_usec);
	}
	if (ep->state == EPISODE_TERM) {
		/* A victim that goes on allocating through its grace would bring the kernel's
		 * OOM killer first: at half the floor the grace is over. */
		ep->emergency = floor_bytes > 0 && mem_available < floor_bytes / 2;
		if (ep->emergency ||
		    episode_recut(ep, ep->sigterm_usec, ep->grace_usec, now_usec)) {
			ep->cut = !ep->emergency;
			return episode_sigkill(ep, EPISODE_ACT_SIGKILL,
					       now_usec + ep->grace_usec + EPISODE_SETTLE_USEC,
					       now_usec);
		}
	}
	return episode_out(ep, 0);
}

EpisodeActions episode_chosen(Episode *ep, uint64_t deadline_usec, uint64_t grace_usec,
			      bool kill_group, uint64_t now_usec)
{
	episode_forget_victim(ep);
	ep->deadline_usec = deadline_usec;
	ep->grace_usec = grace_usec;
	ep->kill_group = kill_group;
	ep->chosen_usec = now_usec;
	episode_enter(ep, EPISODE_NOTICE, now_usec + deadline_usec);
	/* Already below the floor: no time to give. */
	if (ep->floor_bytes > 0 && ep->mem_available > 0 && ep->mem_available < ep->floor_bytes)
		return episode_kill(ep, EPISODE_CAUSE_FLOOR, now_usec);
	if (deadline_usec == 0)
		return episode_kill(ep, EPISODE_CAUSE_NO_DEADLINE, now_usec);
	if (episode_recut(ep, now_usec, deadline_usec, now_usec))
		return episode_kill(ep, EPISODE_CAUSE_TIME_LEFT, now_usec);
	return episode_out(ep, 0);
}

EpisodeActions episode_choose_failed(Episode *ep, uint64_t now_usec)
{
	episode_forget_victim(ep);
	episode_enter(ep, EPISODE_HOLD, now_usec + EPISODE_RETRY_USEC);
	return episode_out(ep, 0);
}

EpisodeActions episode_notified(Episode *ep, unsigned n, uint64_t now_usec)
{
	if (ep->state != EPISODE_NOTICE)
		return episode_out(ep, 0);
	ep->notified = (int)n;
	if (episode_all_answered(ep) && ep->level == OOM_NOTIFY_LEVEL_CRITICAL)
		return episode_kill(ep, EPISODE_CAUSE_ANSWERED, now_usec);
	return episode_out(ep, 0);
}

EpisodeActions episode_answered(Episode *ep, uint64_t now_usec)
{
	if (ep->state != EPISODE_NOTICE)
		return episode_out(ep, 0);
	ep->answered++;
	if (episode_all_answered(ep) && ep->level == OOM_NOTIFY_LEVEL_CRITICAL)
		return episode_kill(ep, EPISODE_CAUSE_ANSWERED, now_usec);
	return episode_out(ep, 0);
}

EpisodeActions episode_victim_exited(Episode *ep, uint64_t now_usec)
{
	switch (ep->state) {
	case EPISODE_NOTICE:
		/* It went by itself before the deadline: nobody was killed. */
		episode_forget_victim(ep);
		episode_enter(ep, EPISODE_SETTLE, now_usec + EPISODE_SETTLE_USEC);
		return episode_out(ep, EPISODE_ACT_REPORT_REDEEMED | EPISODE_ACT_RELEASE);
	case EPISODE_KILLED:
		if (!ep->kill_group)
			/* cgroup.kill's exit is one member's: the group may still be going */
			wait_kill_time_add(&ep->kill_time, now_usec - ep->sigkill_usec);
		/* fall through */
	case EPISODE_TERM:
		ep->exited = true;
		episode_enter(ep, EPISODE_SETTLE, now_usec + EPISODE_SETTLE_USEC);
		return episode_out(ep, EPISODE_ACT_REPORT_KILLED | EPISODE_ACT_RELEASE);
	default:
		return episode_out(ep, 0);
	}
}

EpisodeActions episode_timer(Episode *ep, uint64_t now_usec)
{
	if (ep->timer_usec == 0 || now_usec < ep->timer_usec)
		return episode_out(ep, 0); /* stale or early: the timer stays as it is */

	switch (ep->state) {
	case EPISODE_NOTICE:
		return episode_kill(ep, ep->cut ? EPISODE_CAUSE_TIME_LEFT : EPISODE_CAUSE_DEADLINE,
				    now_usec);
	case EPISODE_TERM:
		return episode_sigkill(ep, EPISODE_ACT_SIGKILL,
				       now_usec + ep->grace_usec + EPISODE_SETTLE_USEC, now_usec);
	case EPISODE_KILLED:
		/* Not gone grace + 1 s after SIGKILL (stuck in D state?): report and go on. */
		return episode_next(ep, EPISODE_ACT_REPORT_KILLED | EPISODE_ACT_RELEASE);
	case EPISODE_SETTLE:
	case EPISODE_HOLD:
		return episode_next(ep, 0);
	default:
		episode_enter(ep, ep->state, 0);
		return episode_out(ep, 0);
	}
}

const char *episode_state_to_string(EpisodeState s)
{
	static const char *const names[_EPISODE_STATE_MAX] = {
		[EPISODE_IDLE] = "idle",     [EPISODE_NOTICE] = "notice", [EPISODE_TERM] = "term",
		[EPISODE_KILLED] = "killed", [EPISODE_SETTLE] = "settle", [EPISODE_HOLD] = "hold",
	};

	return s < _EPISODE_STATE_MAX ? names[s] : "?";
}

const char *episode_cause_to_string(EpisodeKillCause c)
{
	static const char *const names[_EPISODE_CAUSE_MAX] = {
		[EPISODE_CAUSE_NONE] = "none",
		[EPISODE_CAUSE_DEADLINE] = "deadline passed",
		[EPISODE_CAUSE_FLOOR] = "MemAvailable below the floor",
		[EPISODE_CAUSE_ANSWERED] = "every notified client answered, still critical",
		[EPISODE_CAUSE_NO_DEADLINE] = "no deadline: nobody to wait for",
		[EPISODE_CAUSE_TIME_LEFT] = "MemAvailable would reach the floor before the "
					    "deadline at the rate it falls",
	};

	return c < _EPISODE_CAUSE_MAX ? names[c] : "?";
}
