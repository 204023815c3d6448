/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * One critical episode of the killer as a pure state machine: it is fed
 * events (level changes, MemAvailable readings, answers, the victim's exit,
 * its one timer) with the current CLOCK_BOOTTIME time and answers with
 * actions for the daemon to carry out. No I/O, no event loop: unit tested.
 *
 *   IDLE --critical--> CHOOSE (daemon chooses, opens the pidfd, notifies)
 *   NOTICE: the deadline runs; below critical -> redeemed, IDLE;
 *           deadline, floor, or every notified connection answered -> kill
 *   TERM:   SIGTERM sent, grace runs; exit -> SETTLE; grace over, or MemAvailable
 *           below half the floor -> SIGKILL
 *   KILLED: SIGKILL (or cgroup.kill) sent; exit or grace + 1 s -> SETTLE
 *   SETTLE: 1 s after the victim went; still critical -> the next victim
 *   HOLD:   dry run or nobody to choose; waits for the level to fall (a dry
 *           run) or retries the choice after 1 s (nobody to choose)
 *
 * Every headroom reading also goes to the trend (wait-policy.h): the deadline
 * and the grace end no later than the time left before the floor, less the
 * kill time, which the episode measures itself (SIGKILL to the victim's exit).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "oom_notify_level.h"
#include "wait-policy.h"

typedef enum EpisodeState {
	EPISODE_IDLE,
	EPISODE_NOTICE,
	EPISODE_TERM,
	EPISODE_KILLED,
	EPISODE_SETTLE,
	EPISODE_HOLD,
	_EPISODE_STATE_MAX,
} EpisodeState;

enum {
	EPISODE_ACT_CHOOSE = 1u << 0,	      /* choose a victim; answer episode_chosen() */
	EPISODE_ACT_SIGTERM = 1u << 1,	      /* pidfd_send_signal(SIGTERM) */
	EPISODE_ACT_SIGKILL = 1u << 2,	      /* SIGKILL, then process_mrelease */
	EPISODE_ACT_KILL_GROUP = 1u << 3,     /* write 1 to cgroup.kill */
	EPISODE_ACT_DRY_RUN = 1u << 4,	      /* log what would be killed, signal nobody */
	EPISODE_ACT_REPORT_REDEEMED = 1u << 5,
	EPISODE_ACT_REPORT_KILLED = 1u << 6,  /* the victim is gone (or given up on) */
	EPISODE_ACT_RELEASE = 1u << 7,	      /* drop the victim's pidfd and Choice */
};

/* Why the deadline was cut short, or not. */
typedef enum EpisodeKillCause {
	EPISODE_CAUSE_NONE,
	EPISODE_CAUSE_DEADLINE,
	EPISODE_CAUSE_FLOOR,
	EPISODE_CAUSE_ANSWERED,
	EPISODE_CAUSE_NO_DEADLINE, /* a deadline of 0: nobody to wait for */
	EPISODE_CAUSE_TIME_LEFT,   /* the floor would be reached before the deadline */
	_EPISODE_CAUSE_MAX,
} EpisodeKillCause;

typedef struct EpisodeActions {
	unsigned flags;
	uint64_t timer_usec; /* CLOCK_BOOTTIME; 0: disarm */
	bool poll_meminfo;   /* read MemAvailable every 100 ms (a deadline or grace runs) */
} EpisodeActions;

typedef struct Episode {
	EpisodeState state;
	enum oom_notify_level level;
	bool dry_run;
	uint64_t floor_bytes;	/* 0: no floor */
	uint64_t mem_available; /* the headroom: MemAvailable plus free swap */
	WaitTrend trend;
	WaitKillTime kill_time;

	/* the current victim */
	uint64_t deadline_usec, grace_usec;
	bool kill_group;
	int notified; /* connections the broker notified; -1: its reply is not in */
	unsigned answered;
	EpisodeKillCause cause;
	bool exited;
	bool emergency; /* SIGKILL before the grace ended: below half the floor */
	bool cut;	/* the running deadline or grace ends early: the time left */
	uint64_t chosen_usec, sigterm_usec, sigkill_usec;
	uint64_t timer_usec;
} Episode;

void episode_init(Episode *ep, bool dry_run);

/* The system-wide level changed (or was read first). */
EpisodeActions episode_level(Episode *ep, enum oom_notify_level level, uint64_t now_usec);
/* A headroom reading (from the source, the 100 ms poll or the choice), with the floor in bytes. */
EpisodeActions episode_mem_available(Episode *ep, uint64_t mem_available, uint64_t floor_bytes,
				     uint64_t now_usec);
/* After EPISODE_ACT_CHOOSE: a victim was chosen, its pidfd is held and it was notified. */
EpisodeActions episode_chosen(Episode *ep, uint64_t deadline_usec, uint64_t grace_usec,
			      bool kill_group, uint64_t now_usec);
/* After EPISODE_ACT_CHOOSE: nobody could be chosen (or opened); retried after 1 s. */
EpisodeActions episode_choose_failed(Episode *ep, uint64_t now_usec);
/* The broker's reply to NotifyCandidate: how many connections got the notice. */
EpisodeActions episode_notified(Episode *ep, unsigned n, uint64_t now_usec);
/* A CandidateAnswered for the current victim. */
EpisodeActions episode_answered(Episode *ep, uint64_t now_usec);
/* The victim's pidfd became readable: it has exited. */
EpisodeActions episode_victim_exited(Episode *ep, uint64_t now_usec);
/* The timer given in the last actions expired. */
EpisodeActions episode_timer(Episode *ep, uint64_t now_usec);
/*
 * The kill the last actions started (its first signal, not sent yet) is
 * called off: a fresh reading put the level at @level, below critical, so
 * the memory came back in the meantime (the kernel's OOM killer may have
 * come first). The candidate is redeemed, nobody is signalled.
 */
EpisodeActions episode_kill_called_off(Episode *ep, enum oom_notify_level level,
				       uint64_t now_usec);

const char *episode_state_to_string(EpisodeState s);
const char *episode_cause_to_string(EpisodeKillCause c);

#define EPISODE_SETTLE_USEC (1000 * UINT64_C(1000))
#define EPISODE_RETRY_USEC  (1000 * UINT64_C(1000))
