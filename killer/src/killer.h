/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The oom-killerd daemon: one sd-event loop owns the event source, the warm
 * candidate refresh, the episode's timers, the victim's pidfd and the bus.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "candidates.h"
#include "config.h"
#include "dump.h"
#include "episode.h"
#include "oomn-clock.h"
#include "oomn-source.h"
#include "oomn-swap.h"
#include "rules.h"
#include "wait-policy.h"

typedef struct KillerBus KillerBus;

/* The steps of one kill, CLOCK_BOOTTIME ns; 0 for what did not happen. */
typedef struct KillTimes {
	uint64_t event_ns, notify_ns, sigterm_ns, sigkill_ns, exit_ns;
} KillTimes;

typedef struct Killer {
	KillerConfig cfg;
	sd_event *event;
	OomnSource *source;
	Candidates *candidates;
	KillerDump *dump; /* the module's process records; NULL with a fake proc root */
	int dump_error;	  /* the last dump's result (1: none yet): logged when it changes */
	Rules *rules;
	KillerBus *bus; /* NULL with --no-bus */

	enum oom_notify_level level;
	uint64_t mem_total, mem_available; /* bytes */
	uint64_t swap_worth; /* bytes: free swap net of its RAM cost (zram); with MemAvailable,
			      * what the floor is held against */
	uint64_t floor_bytes;
	bool thrashing; /* as the source last said */
	int called_off_level; /* the last look's level when it called a kill off; -1: none */
	struct oom_notify_thresholds thresholds; /* the source's scale, for the last look */

	Episode episode;
	sd_event_source *episode_timer; /* CLOCK_BOOTTIME */
	sd_event_source *poll_timer;	/* MemAvailable every 100 ms while a deadline runs */
	sd_event_source *refresh_timer; /* keeps the candidate list warm */
	uint64_t last_refresh_usec;	/* CLOCK_MONOTONIC; 0: never */
	uint64_t last_full_refresh_usec;
	bool warm_pending; /* the refresh timer looks at newcomers only (killer_warm_soon) */
	bool reread_before_choice; /* a dying process held the last choice back */
	pid_t dying_pid;	   /* the process that did, and how many times in a row */
	unsigned dying_holds;

	/* The current victim. */
	bool have_victim;
	Choice choice;
	int pidfd;
	sd_event_source *pidfd_source;
	uint64_t mem_available_before;
	KillTimes times;
	const char *signal_name;
	const char *mrelease;
	uint64_t critical_event_ns; /* when the current critical level was heard */

	/* The killer's copy of the broker's registry (ListClients, refreshed with the
	 * candidates, never at decision time): who can redeem. Empty without a broker. */
	WaitClient *clients;
	size_t n_clients;

	pid_t protected[2]; /* the bus daemon's and the broker's pid, 0 if unknown */
	uint64_t regex_over_budget_told; /* rules' cmdline matches out of steps, logged so far */
	bool ready;
} Killer;

int killer_new(Killer **ret, const KillerConfig *cfg, Rules *rules);
Killer *killer_free(Killer *k);
int killer_run(Killer *k);
DEFINE_TRIVIAL_CLEANUP_FUNC(Killer *, killer_free);

/* From bus.c: */
void killer_on_notified(Killer *k, pid_t pid, unsigned n);
void killer_on_answered(Killer *k, pid_t pid, uint64_t freed, bool checkpointed);
void killer_set_protected_pid(Killer *k, unsigned slot, pid_t pid);
/* Replaces the registry copy; takes @clients (malloc'ed, may be NULL with n 0). */
void killer_set_clients(Killer *k, WaitClient *clients, size_t n);

/* bus.c */
#define KILLER_PROTECTED_BUS	0
#define KILLER_PROTECTED_BROKER 1

int killer_bus_new(KillerBus **ret, Killer *k, const char *address);
KillerBus *killer_bus_free(KillerBus *b);
/* Asynchronous; a missing or broken bus is logged, never waited for. */
void killer_bus_notify_candidate(KillerBus *b, pid_t pid, uint64_t deadline_usec,
				 const char *reason);
void killer_bus_report_outcome(KillerBus *b, const char *kind, pid_t pid, const char *comm,
			       uid_t uid, const char *cgroup, const char *rule, uint64_t freed,
			       const char *reason);
/* Builds a NotifyCandidate and a ReportOutcome and drops them unsent (warmup.c). */
void killer_bus_warmup(KillerBus *b);
/* Asks the broker for its registered clients; their bands go to the candidates, their
 * pids and flags to the registry copy (killer_set_clients). */
void killer_bus_refresh_bands(KillerBus *b);

