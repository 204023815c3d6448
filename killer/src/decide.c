/* SPDX-License-Identifier: GPL-2.0-only */
#include "decide.h"
#include "episode.h"

uint64_t killer_effective(uint64_t chosen, uint64_t override, const Rule *rule, uint64_t rule_value)
{
	/* --deadline/--grace replace the defaults, not what a rule says itself. */
	if (override != KILLER_USEC_UNSET && !(rule && rule_value != RULES_USEC_UNSET))
		return override;
	return chosen;
}

WaitDeadlines killer_wait_deadlines(const Choice *ch, const KillerConfig *cfg, const Rules *rules)
{
	const Rule *rule = ch->rule;

	return (WaitDeadlines){
		.full_usec = killer_effective(ch->deadline_usec, cfg->deadline_usec, rule,
					      rule ? rule->deadline_usec : 0),
		.helper_usec = cfg->helper_deadline_usec != KILLER_USEC_UNSET
				       ? cfg->helper_deadline_usec
				       : rules->helper_deadline_usec,
		.rule_usec = rule && rule->deadline_usec != RULES_USEC_UNSET ? rule->deadline_usec
									     : WAIT_USEC_UNSET,
	};
}

uint64_t killer_grace(const Choice *ch, const KillerConfig *cfg)
{
	return killer_effective(ch->grace_usec, cfg->grace_usec, ch->rule,
				ch->rule ? ch->rule->grace_usec : 0);
}

int killer_floor_permille(int configured, const Rules *rules)
{
	if (configured >= 0)
		return configured;
	return rules ? (int)rules->floor_permille : RULES_DEFAULT_FLOOR_PERMILLE;
}

uint64_t killer_floor_bytes(uint64_t mem_total, int floor_permille)
{
	return mem_total / 1000 * (uint64_t)floor_permille;
}

uint64_t killer_swap_worth(uint64_t worth, uint64_t swap_free)
{
	return worth > swap_free ? swap_free : worth;
}

uint64_t killer_headroom(uint64_t mem_available, uint64_t swap_worth)
{
	return mem_available + swap_worth;
}

uint64_t killer_refresh_interval(enum oom_notify_level l)
{
	switch (l) {
	case OOM_NOTIFY_LEVEL_LOW:
		return 3 * KILLER_USEC_PER_SEC;
	case OOM_NOTIFY_LEVEL_MEDIUM:
	case OOM_NOTIFY_LEVEL_CRITICAL: /* for the next victim, should one be needed */
		return KILLER_USEC_PER_SEC;
	default:
		return 30 * KILLER_USEC_PER_SEC;
	}
}

uint64_t killer_refresh_at(uint64_t last_refresh_usec, enum oom_notify_level level,
			   uint64_t now_usec)
{
	uint64_t at = last_refresh_usec + killer_refresh_interval(level);

	return at < now_usec ? now_usec : at;
}

KillerRefresh killer_refresh_kind(KillerRefresh how, uint64_t last_full_usec, uint64_t now_usec)
{
	if (how == KILLER_REFRESH_CHANGED &&
	    (last_full_usec == 0 || now_usec - last_full_usec >= KILLER_FULL_REFRESH_USEC))
		return KILLER_REFRESH_FULL;
	return how;
}

void killer_refresh_done(uint64_t *last_refresh_usec, uint64_t *last_full_usec, KillerRefresh how,
			 uint64_t now_usec)
{
	if (how != KILLER_REFRESH_NEW)
		*last_refresh_usec = now_usec;
	if (how == KILLER_REFRESH_FULL)
		*last_full_usec = *last_refresh_usec;
}

bool killer_list_stale(uint64_t last_refresh_usec, uint64_t now_usec)
{
	return last_refresh_usec == 0 || now_usec - last_refresh_usec > KILLER_STALE_USEC;
}

bool killer_dying_hold(pid_t *dying_pid, unsigned *holds, pid_t pid)
{
	if (pid == *dying_pid)
		return ++*holds >= KILLER_DYING_HOLDS_MAX;
	*dying_pid = pid;
	*holds = 1;
	return false;
}

bool killer_kill_starts(unsigned flags, bool sigterm_sent)
{
	return (flags & (EPISODE_ACT_SIGTERM | EPISODE_ACT_KILL_GROUP)) ||
	       ((flags & EPISODE_ACT_SIGKILL) && !sigterm_sent);
}
