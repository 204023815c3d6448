/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The killer's side of org.oomnotify.Broker1 (bus.c). It knows nothing of
 * the daemon: what it hears goes to the handlers given to killer_bus_new(),
 * what it sends it is handed.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <systemd/sd-event.h>

#include "wait-policy.h"

typedef struct KillerBus KillerBus;

/* The processes that are never victims, by slot (on_protected_pid). */
#define KILLER_PROTECTED_BUS	0
#define KILLER_PROTECTED_BROKER 1

typedef struct KillerBusHandlers {
	/* The broker's reply to NotifyCandidate for @pid: @n connections got the notice. */
	void (*on_notified)(pid_t pid, unsigned n, void *userdata);
	/* A CandidateAnswered from the broker (only the broker's are passed on). */
	void (*on_answered)(pid_t pid, uint64_t freed, bool checkpointed, void *userdata);
	/* The process in @slot (KILLER_PROTECTED_*) is @pid now; 0: unknown. */
	void (*on_protected_pid)(unsigned slot, pid_t pid, void *userdata);
	/*
	 * Replaces the registry copy; takes @clients (malloc'ed, may be NULL with
	 * n 0). @listed: a ListClients reply, the whole registry, whose bands go to
	 * the candidates (who left it keeps none); else NULL, 0: the broker or the
	 * bus went, nobody can redeem (the candidates' bands stay as they are).
	 */
	void (*on_clients)(WaitClient *clients, size_t n, bool listed, void *userdata);
} KillerBusHandlers;

/* @handlers must outlive the bus; @userdata is passed to each. Runs on @event. */
int killer_bus_new(KillerBus **ret, sd_event *event, const char *address,
		   const KillerBusHandlers *handlers, void *userdata);
KillerBus *killer_bus_free(KillerBus *b);
/* Asynchronous; a missing or broken bus is logged, never waited for. */
void killer_bus_notify_candidate(KillerBus *b, pid_t pid, uint64_t deadline_usec,
				 const char *reason);
void killer_bus_report_outcome(KillerBus *b, const char *kind, pid_t pid, const char *comm,
			       uid_t uid, const char *cgroup, const char *rule, uint64_t freed,
			       const char *reason);
/* Builds a NotifyCandidate and a ReportOutcome and drops them unsent (warmup.c). */
void killer_bus_warmup(KillerBus *b);
/* Asks the broker for its registered clients, unless a reply is on its way; the reply goes
 * to on_clients(). */
void killer_bus_refresh_bands(KillerBus *b);
