/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The redemption registry: the applications that take part in redemption.
 * Each entry is one bus connection (its unique name); pid, uid and comm come
 * from the bus's credentials for that connection, never from the caller.
 * Pure bookkeeping: no bus, no event loop, unit-tested with data in memory.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "oomn-bus.h"
#include "oomn-macro.h"

/* The bands (OOMN_BAND_*, like Jetsam's: the lower, the sooner chosen; any
 * value from 0 to 100) and the Register() flags are the bus contract's. */
#define OOMN_REGISTRY_NAME_MAX 255 /* D-Bus names are at most 255 bytes */
#define OOMN_REGISTRY_COMM_MAX 16

struct oomn_registry_limits {
	size_t max_total;   /* registrations in all */
	size_t max_per_uid; /* connections of one user that may register */
};

#define OOMN_REGISTRY_MAX_TOTAL_DEFAULT 1024
#define OOMN_REGISTRY_MAX_PER_UID_DEFAULT 64

struct oomn_client {
	uint64_t id;	 /* from 1, never reused within one registry */
	char *bus_name; /* the bus unique name, ":1.42" (ListClients' bus_name) */
	uint32_t pid;
	uint32_t uid;
	char comm[OOMN_REGISTRY_COMM_MAX + 1]; /* printable ASCII; others become '?' */
	uint32_t band;
	uint32_t flags;
	/* A KillPending notice was sent and not yet answered. */
	bool notice_pending;
	/* The killer's outcome ended a notice this client had not answered yet:
	 * its answer may still be on the way (freeing memory is what ended it). */
	bool notice_ended;
	char *notifier;		     /* unique name of the killer that sent it */
	uint64_t deadline_boot_usec; /* CLOCK_BOOTTIME */
};

typedef struct OomnRegistry OomnRegistry;

/* limits NULL: the defaults. */
int oomn_registry_new(OomnRegistry **ret, const struct oomn_registry_limits *limits);
OomnRegistry *oomn_registry_free(OomnRegistry *r);
DEFINE_TRIVIAL_CLEANUP_FUNC(OomnRegistry *, oomn_registry_free);

bool oomn_registry_band_valid(uint32_t band);
bool oomn_registry_flags_valid(uint32_t flags);

/*
 * Registers @name, or updates its band and flags if it is registered (pid,
 * uid and comm are kept: a connection's process does not change). *ret_id
 * (optional) gets its id. Returns 0 for a new entry, 1 for an update;
 * -EINVAL for an empty or overlong name, a band above OOMN_BAND_MAX or
 * unknown flags; -EDQUOT when @uid has max_per_uid entries; -ENOSPC when
 * the registry is full; -ENOMEM.
 */
int oomn_registry_register(OomnRegistry *r, const char *name, uint32_t pid, uint32_t uid,
			   const char *comm, uint32_t band, uint32_t flags, uint64_t *ret_id);

/* 0, or -ENOENT when @name is not registered. */
int oomn_registry_unregister(OomnRegistry *r, const char *name);

/*
 * A connection went away: drops its registration and forgets it as the
 * notifier of pending notices. Returns the number of entries changed.
 */
size_t oomn_registry_forget_name(OomnRegistry *r, const char *name);

struct oomn_client *oomn_registry_find_name(const OomnRegistry *r, const char *name);

/* Whether @name is registered or the notifier of a pending notice: whether
 * its leaving the bus would change anything here. */
bool oomn_registry_knows_name(const OomnRegistry *r, const char *name);

size_t oomn_registry_count(const OomnRegistry *r);
size_t oomn_registry_count_uid(const OomnRegistry *r, uint32_t uid);
/* The @i-th entry in order of registration; NULL past the end. */
struct oomn_client *oomn_registry_get(const OomnRegistry *r, size_t i);

/*
 * Marks every entry of @pid (a process may have several connections) as
 * noticed by @notifier until @deadline_boot_usec. Returns how many, or
 * -ENOMEM (then none is marked).
 */
int oomn_registry_mark_notice(OomnRegistry *r, uint32_t pid, const char *notifier,
			      uint64_t deadline_boot_usec);

/*
 * The candidate @name answered: clears its notice and hands the notifier's
 * name to *ret_notifier (caller frees; NULL if the killer has gone). Returns
 * 0; -ENOENT when not registered; -EALREADY (once) when the killer's
 * outcome ended the notice before this answer; -ESRCH when no notice is
 * pending.
 */
int oomn_registry_take_notice(OomnRegistry *r, const char *name, char **ret_notifier);

/* The killer reported an outcome for @pid: its notices are over. Returns
 * how many were cleared. */
size_t oomn_registry_clear_notices(OomnRegistry *r, uint32_t pid);
