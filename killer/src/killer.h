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

#include "bus.h"
#include "candidates.h"
#include "config.h"
#include "dump.h"
#include "episode.h"
#include "oomn-clock.h"
#include "oomn-source.h"
#include "oomn-swap.h"
#include "rules.h"
#include "wait-policy.h"

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

/* Applies the registry copy's bands to the candidates just re-read and asks the broker
 * for a fresh copy (warmup.c too). */
void killer_refresh_bands(Killer *k);
