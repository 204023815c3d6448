/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * How long the killer waits before a kill, and for whom. Pure: no I/O, no
 * event loop; episode.c and the daemon call it, the unit tests feed it traces.
 *
 * Who can redeem: the candidate registered with the broker (it can free
 * memory or checkpoint) gets the full deadline; if it did not, but others
 * registered that can free memory, they get the helper deadline; if nobody
 * can free anything, nobody is waited for. A rule that sets a deadline keeps
 * the last word.
 *
 * The time left: whatever the deadline or the SIGTERM grace, no wait lasts
 * past the moment the headroom (MemAvailable plus free swap) would reach the
 * floor at the rate it is falling, less the time a kill takes to give memory
 * back (measured from the killer's own kills).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "candidates.h"
#include "oomn-bus.h"

/* flags: the Register() flags of org.oomnotify.Broker1, OOMN_CLIENT_* (oomn-bus.h). */

/* One registered client, as the broker's ListClients reported it. */
typedef struct WaitClient {
	pid_t pid;
	uint32_t flags;
	uid_t uid; /* with the pid, who it is: a pid alone may be another's by now */
	int band;  /* the priority band it registered, 0..100; -1: none (or out of range) */
	/* The process the band went to first (its /proc start time), 0 until
	 * then: a pid reused by the same user before the next reply keeps none. */
	unsigned long long starttime;
} WaitClient;

/*
 * Gives each candidate that is one of @clients (same pid and uid, and the
 * same process the band first went to) the band it registered. Called right
 * after every candidates_refresh(): a client the candidate list did not hold
 * yet when ListClients answered gets its band from the stored copy, not a
 * reply later. Unknown pids, other users' processes and new processes under
 * a registered pid are skipped.
 */
static inline void wait_clients_apply_bands(Candidates *c, WaitClient *clients, size_t n_clients)
{
	for (size_t i = 0; i < n_clients; i++) {
		WaitClient *w = &clients[i];
		const Candidate *cand = candidates_get(c, w->pid);

		if (w->band < 0 || w->band > 100 || !cand || cand->uid != w->uid)
			continue;
		if (!w->starttime)
			w->starttime = cand->starttime;
		else if (w->starttime != cand->starttime)
			continue;
		(void)candidates_set_band(c, w->pid, w->uid, w->band);
	}
}

/* Why a candidate gets the deadline it gets. */
typedef enum WaitReason {
	WAIT_REGISTERED, /* it registered and can free memory or checkpoint: the full deadline */
	WAIT_HELPERS,	 /* it did not; others that can free memory did: the helper deadline */
	WAIT_NOBODY,	 /* nobody registered can free anything: no wait */
	WAIT_RULE,	 /* the rule that chose it set the deadline */
	_WAIT_REASON_MAX,
} WaitReason;

typedef struct WaitDeadlines {
	uint64_t full_usec;   /* the rules' defaults or --deadline */
	uint64_t helper_usec; /* the helper deadline (--helper-deadline, defaults) */
	uint64_t rule_usec;   /* the deciding rule's own deadline; WAIT_USEC_UNSET: none */
} WaitDeadlines;

#define WAIT_USEC_UNSET	   UINT64_MAX
#define WAIT_USEC_INFINITY UINT64_MAX

/*
 * The deadline for @candidate, from the killer's copy of the registry; the
 * reason in *ret_reason (may be NULL).
 */
uint64_t wait_policy_deadline(const WaitClient *clients, size_t n_clients, pid_t candidate,
			      uid_t candidate_uid, const WaitDeadlines *d, WaitReason *ret_reason);
const char *wait_reason_to_string(WaitReason r);

/*
 * @deadline_usec as NotifyCandidate carries it: whole milliseconds rounded
 * up, at least 1 (a deadline of 0 still sends the notice, the bus and the CLI
 * show the decision) and at most the broker's limit, OOMN_BUS_DEADLINE_MAX_MSEC.
 */
uint32_t wait_deadline_msec(uint64_t deadline_usec);

/*
 * The headroom's recent samples. The rate is the fastest average fall from
 * any sample of the last WAIT_TREND_WINDOW_USEC to the newest one: a burst
 * still counts during the pause after it, and a recovery lowers the rate as
 * memory comes back. A fall is never counted as faster than over
 * WAIT_TREND_MIN_SPAN_USEC, so that one step of a stepped leak, or the
 * kernel's per-CPU counter drift, is not taken for a hog.
 */
#define WAIT_TREND_SAMPLES	 64
#define WAIT_TREND_WINDOW_USEC	 (3000 * UINT64_C(1000))
#define WAIT_TREND_MIN_SPAN_USEC (200 * UINT64_C(1000))

typedef struct WaitTrend {
	uint64_t usec[WAIT_TREND_SAMPLES];
	uint64_t bytes[WAIT_TREND_SAMPLES];
	size_t newest, n;
} WaitTrend;

void wait_trend_init(WaitTrend *t);
/* A headroom sample at @now_usec (CLOCK_BOOTTIME); an older time than the newest is ignored. */
void wait_trend_add(WaitTrend *t, uint64_t now_usec, uint64_t headroom);
/* Bytes per second the headroom is falling; 0 if it is not, or with fewer than two samples. */
uint64_t wait_trend_rate(const WaitTrend *t);

/*
 * How long a kill takes to give memory back: SIGKILL (or cgroup.kill) to
 * the victim's exit, process_mrelease included. Until the first kill is
 * measured, WAIT_KILL_USEC_START: above the median of both kernels in
 * tests/bench/bench-kill (403 and 467 ms in the TCG guest, where kills are
 * slowest). A slower kill raises it at once; a faster one lowers it by a
 * quarter of the difference.
 */
#define WAIT_KILL_USEC_START (500 * UINT64_C(1000))
#define WAIT_KILL_USEC_MAX   (10 * 1000 * UINT64_C(1000))

typedef struct WaitKillTime {
	uint64_t usec;
	unsigned n_measured;
} WaitKillTime;

void wait_kill_time_init(WaitKillTime *k);
void wait_kill_time_add(WaitKillTime *k, uint64_t measured_usec);

/*
 * How long the killer may still wait at the newest sample: the time until
 * the headroom reaches @floor_bytes at the trend's rate, less the kill time.
 * WAIT_USEC_INFINITY when memory is not falling (or there is no floor); 0
 * when the kill must start now.
 */
uint64_t wait_time_left(const WaitTrend *t, uint64_t floor_bytes, const WaitKillTime *k);

/* @wait_usec cut to what is left: min(wait, left). */
static inline uint64_t wait_cut(uint64_t wait_usec, uint64_t left_usec)
{
	return wait_usec < left_usec ? wait_usec : left_usec;
}
