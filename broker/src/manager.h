/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The broker: one sd-event loop that owns the event source, the bus
 * connection, the registry and the signal handlers.
 */
#pragma once

#include <stdbool.h>
#include <inttypes.h>
#include <stdint.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "oomn-bus-codec.h"
#include "oomn-level.h"
#include "oomn-selfprotect.h"
#include "oomn-source.h"
#include "lmm-warning.h"
#include "log-limit.h"
#include "registry.h"

/* The broker's own oom_score_adj unless told otherwise (--oom-score-adj). */
#define OOMN_BROKER_SCORE_ADJ_DEFAULT (-900)

struct oomn_manager_config {
	const char *bus_address; /* NULL: the system bus */
	struct oomn_source_config source;
	struct oomn_registry_limits limits;
	bool own_lmm;
	uint64_t poll_max_usec; /* 0: the source's default schedule */
	struct oomn_selfprotect_config selfprotect;
};

typedef struct BusWatch BusWatch;

typedef struct Manager {
	sd_event *event;
	sd_bus *bus;
	OomnSource *source;
	OomnRegistry *registry;

	/* What the bus shows: the latest pressure and our own signal_seq. */
	struct oomn_pressure pressure;
	bool have_pressure;
	uint64_t signal_seq; /* PressureChanged signals sent, from 1 (SignalSeq) */
	uint64_t state_read_usec; /* CLOCK_MONOTONIC: a caller last had the source re-read */
	bool reporting;		  /* inside manager_on_pressure(): no re-read from there */

	/* LowMemoryMonitor compatibility. */
	bool lmm_owned;
	LmmWarnings lmm_warnings; /* the last warning per level (lmm-warning.h) */
	sd_event_source *lmm_repeat;

	unsigned creds_pending; /* method calls waiting for the bus's credentials */

	/* Lines that what clients do may write (log-limit.h). */
	LogLimit log_limit;

	/* Connections whose leaving matters (bus-watch.c). */
	BusWatch *watches;
	unsigned n_watch_slots; /* of them with a match of their own */
	sd_bus_slot *watch_all; /* NULL, or the catch-all match beyond BUS_WATCH_MAX */

	/* Root connections that called WatchKills (bus-kills.c). */
	char *kill_watchers[OOMN_BUS_KILL_WATCHERS_MAX];
	unsigned n_kill_watchers;
} Manager;

int manager_new(Manager **ret, const struct oomn_manager_config *cfg);
Manager *manager_free(Manager *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(Manager *, manager_free);
int manager_run(Manager *m);

/* bus-broker.c */
/* Serves @interface at @path with @vtable and @m as userdata; logs a failure. */
int bus_add_vtable(Manager *m, const char *path, const char *interface,
		   const sd_bus_vtable *vtable);
int bus_broker_register(Manager *m);
/*
 * Whether a line that a client of @uid caused may be logged now
 * (log-limit.h); *ret_more: that uid's lines held back before it.
 */
bool bus_log_allowed(Manager *m, uint32_t uid, unsigned *ret_more);
int bus_broker_emit_pressure(Manager *m, bool level_changed);
int bus_broker_emit_source(Manager *m);
int bus_broker_emit_cgroup_pressure(Manager *m, const struct oomn_pressure *p);
int bus_broker_emit_oom(Manager *m, const struct oomn_oom_event *ev, const char *cgroup);

/* bus-creds.c: who called, from the bus's own credentials for the connection. */
struct bus_identity {
	uint32_t pid;
	uint32_t uid;
	char comm[OOMN_REGISTRY_COMM_MAX + 1]; /* "" if the process is gone */
};

/* Runs with the caller's identity; replies to @call itself, or returns a
 * negative errno / sets @error for an error reply. */
typedef int (*bus_identity_handler_t)(sd_bus_message *call, Manager *m,
				      const struct bus_identity *id, sd_bus_error *error);

/*
 * Asks the bus for @call's sender's credentials without waiting and runs
 * @handler with them later. Returns 1 (the reply comes later), or an error
 * for the method handler to return.
 */
int bus_creds_query(Manager *m, sd_bus_message *call, bus_identity_handler_t handler,
		    sd_bus_error *error);

/* bus-watch.c: a caller's leaving the bus, for the names the registry knows. */
/* Before asking the bus about @name (a unique name); pairs with _end(). */
int bus_watch_begin(Manager *m, const char *name);
void bus_watch_end(Manager *m, const char *name);
/* The registry changed: drops watches it no longer needs. */
void bus_watch_update(Manager *m);
/*
 * Pins the process @pid behind @name (being registered; its watch begun):
 * its exit drops @name's registration. -ESRCH if it has exited already,
 * -ESTALE if it is not @uid's (the pid was reused), else 0 or -errno (the
 * check itself failed: a seccomp filter, /proc not readable).
 */
int bus_watch_process(Manager *m, const char *name, uint32_t pid, uint32_t uid);
void bus_watch_done(Manager *m);

/* bus-kills.c: the kill signals, unicast to the root connections that asked. */
/* Adds @name (a unique name): 0, 1 if it was there, -ENOSPC beyond OOMN_BUS_KILL_WATCHERS_MAX. */
int bus_kills_watch(Manager *m, const char *name);
/* Removes @name: 1 if it was there, else 0. */
int bus_kills_unwatch(Manager *m, const char *name);
bool bus_kills_has(const Manager *m, const char *name);
/* Sends signal @member to @destination (NULL: a broadcast), its arguments added by
 * @append(sig, @args). */
int bus_send_signal(Manager *m, const char *member, const char *destination,
		    int (*append)(sd_bus_message *sig, const void *args), const void *args);
/* Sends signal @member to each watcher, its arguments added by @append(sig, @args). */
int bus_kills_emit(Manager *m, const char *member,
		   int (*append)(sd_bus_message *sig, const void *args), const void *args);
void bus_kills_done(Manager *m);

/* bus-lmm.c */
int bus_lmm_register(Manager *m);
int bus_lmm_request_name(Manager *m);
void bus_lmm_pressure(Manager *m);
void bus_lmm_done(Manager *m);
