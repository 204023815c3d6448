/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The daemon's own decisions, beside the episode's (episode.h) and the wait
 * policy's (wait-policy.h): which deadline and grace a choice gets, the
 * floor, the headroom, the candidate list's refresh cadence and how long a
 * dying process may hold the choice back. Pure: no I/O, no clock read (the
 * time is a parameter); killer.c carries them out, the unit tests feed them.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "candidates.h"
#include "config.h"
#include "oom_notify_level.h"
#include "rules.h"
#include "wait-policy.h"

#define KILLER_USEC_PER_SEC	 (1000 * UINT64_C(1000))
#define KILLER_STALE_USEC	 (2 * KILLER_USEC_PER_SEC) /* refresh before choosing if older */
#define KILLER_DYING_HOLDS_MAX	 3 /* choices held back by one exiting process, at most */
#define KILLER_FULL_REFRESH_USEC (60 * KILLER_USEC_PER_SEC)

/* The deadline and the grace */

/*
 * @chosen (the choice's value: its rule's, or the rules' defaults) unless
 * the command line overrides it (@override, KILLER_USEC_UNSET: not) and the
 * deciding @rule (NULL: none) does not set its own (@rule_value,
 * RULES_USEC_UNSET: not): --deadline/--grace replace the defaults, not what
 * a rule says itself.
 */
uint64_t killer_effective(uint64_t chosen, uint64_t override, const Rule *rule,
			  uint64_t rule_value);
/* What wait_policy_deadline() weighs for @ch: --deadline over the defaults, the helper
 * deadline (--helper-deadline, else the rules'), the deciding rule's own deadline. */
WaitDeadlines killer_wait_deadlines(const Choice *ch, const KillerConfig *cfg, const Rules *rules);
/* The SIGTERM grace @ch gets: --grace over the defaults, never over its rule's. */
uint64_t killer_grace(const Choice *ch, const KillerConfig *cfg);

/* The floor and the headroom */

/* --floor (@configured, permille of MemTotal; negative: unset), else the rules', else
 * the built-in default (@rules NULL). */
int killer_floor_permille(int configured, const Rules *rules);
/* The floor in bytes: @floor_permille of @mem_total, whole thousandths of it. */
uint64_t killer_floor_bytes(uint64_t mem_total, int floor_permille);
/*
 * The swap's worth as the source measured it (@worth, over the whole
 * shortage, net of its RAM cost), never more than the swap free now.
 */
uint64_t killer_swap_worth(uint64_t worth, uint64_t swap_free);
/*
 * What the floor is held against: memory the kernel can still hand out
 * before its own OOM killer must act. Free swap counts, as it does for the
 * levels: with swap, MemAvailable alone falls low long before anything is at
 * risk. It counts at what it is worth net of its RAM cost (oomn-swap.h):
 * zram full of data that does not compress frees nothing by swapping.
 */
uint64_t killer_headroom(uint64_t mem_available, uint64_t swap_worth);

/* The candidate list's refresh cadence (CLOCK_MONOTONIC) */

typedef enum KillerRefresh {
	KILLER_REFRESH_CHANGED, /* re-read what changed since (stat), the usual */
	KILLER_REFRESH_FULL,	/* re-read everything */
	KILLER_REFRESH_NEW,	/* read processes new to the list only (candidates.h) */
} KillerRefresh;

/* How often the list is re-read at level @l: the higher, the more often. */
uint64_t killer_refresh_interval(enum oom_notify_level l);
/* When the next warm refresh is due: an interval after the last whole re-read, now at
 * the earliest. */
uint64_t killer_refresh_at(uint64_t last_refresh_usec, enum oom_notify_level level,
			   uint64_t now_usec);
/*
 * What a refresh asked as @how is done as: a CHANGED one is FULL when none
 * was for KILLER_FULL_REFRESH_USEC (or ever, @last_full_usec 0); a process
 * moved to another cgroup while asleep is only seen so.
 */
KillerRefresh killer_refresh_kind(KillerRefresh how, uint64_t last_full_usec, uint64_t now_usec);
/* A refresh of kind @how ended at @now_usec: the cadence counts whole re-reads (a quick
 * look at newcomers is not one), and full ones apart. */
void killer_refresh_done(uint64_t *last_refresh_usec, uint64_t *last_full_usec, KillerRefresh how,
			 uint64_t now_usec);
/* Whether the list is too old to choose on without re-reading it (never read: 0). */
bool killer_list_stale(uint64_t last_refresh_usec, uint64_t now_usec);

/* The choice */

/*
 * The choice was held back by @pid, a process exiting: counts the holds in a
 * row (*@dying_pid, *@holds: the state, 0 at first). True once it has held
 * KILLER_DYING_HOLDS_MAX choices: an exit stuck for longer is no reason to
 * wait any more, the next choice is made without it.
 */
bool killer_dying_hold(pid_t *dying_pid, unsigned *holds, pid_t pid);

/*
 * Whether the actions @flags (EPISODE_ACT_*) start a kill: SIGTERM or
 * cgroup.kill, or a SIGKILL with no SIGTERM before it (@sigterm_sent).
 */
bool killer_kill_starts(unsigned flags, bool sigterm_sent);
