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
}

void episode_init(Episode *ep, bool dry_run)
{
	memset(ep, 0, sizeof(*ep));
	ep->state = EPISODE_IDLE;
	ep->level = OOM_NOTIFY_LEVEL_NORMAL;
	ep->dry_run = dry_run;
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

static EpisodeActions episode_kill(Episode *ep, EpisodeKillCause cause, uint64_t now_usec)
{
	ep->cause = cause;
	if (ep->dry_run) {
		/* Nothing will change by itself: wait for the level to fall, decide once. */
		episode_enter(ep, EPISODE_HOLD, 0);
		return episode_out(ep, EPISODE_ACT_DRY_RUN | EPISODE_ACT_RELEASE);
	}
	if (ep->kill_group) {
		episode_enter(ep, EPISODE_KILLED, now_usec + ep->grace_usec + EPISODE_SETTLE_USEC);
		return episode_out(ep, EPISODE_ACT_KILL_GROUP);
	}
	if (ep->grace_usec == 0) {
		/* No grace: nothing to wait for after a SIGTERM, so none is sent. */
		episode_enter(ep, EPISODE_KILLED, now_usec + EPISODE_SETTLE_USEC);
		return episode_out(ep, EPISODE_ACT_SIGKILL);
	}
	episode_enter(ep, EPISODE_TERM, now_usec + ep->grace_usec);
	return episode_out(ep, EPISODE_ACT_SIGTERM);
}

static bool episode_all_answered(const Episode *ep)
{
	return ep->notified > 0 && ep->answered >= (unsigned)ep->notified;
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
	if (ep->state == EPISODE_NOTICE && floor_bytes > 0 && mem_available < floor_bytes)
		return episode_kill(ep, EPISODE_CAUSE_FLOOR, now_usec);
	/* A victim that goes on allocating through its grace would bring the kernel's
	 * OOM killer first: at half the floor the grace is over. */
	if (ep->state == EPISODE_TERM && floor_bytes > 0 && mem_available < floor_bytes / 2) {
		ep->emergency = true;
		episode_enter(ep, EPISODE_KILLED, now_usec + ep->grace_usec + EPISODE_SETTLE_USEC);
		return episode_out(ep, EPISODE_ACT_SIGKILL);
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
	episode_enter(ep, EPISODE_NOTICE, now_usec + deadline_usec);
	/* Already below the floor: no time to give. */
	if (ep->floor_bytes > 0 && ep->mem_available > 0 && ep->mem_available < ep->floor_bytes)
		return episode_kill(ep, EPISODE_CAUSE_FLOOR, now_usec);
	if (deadline_usec == 0)
		return episode_kill(ep, EPISODE_CAUSE_DEADLINE, now_usec);
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
	case EPISODE_TERM:
	case EPISODE_KILLED:
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
		return episode_kill(ep, EPISODE_CAUSE_DEADLINE, now_usec);
	case EPISODE_TERM:
		episode_enter(ep, EPISODE_KILLED, now_usec + ep->grace_usec + EPISODE_SETTLE_USEC);
		return episode_out(ep, EPISODE_ACT_SIGKILL);
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
	};

	return c < _EPISODE_CAUSE_MAX ? names[c] : "?";
}
