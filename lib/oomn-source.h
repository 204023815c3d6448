/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Event sources: where the broker and the killer hear about memory pressure.
 * One OomnSource picks the best source available and falls back by itself:
 *
 *   kernel   the oom_notify module (push; no polling at all)
 *   psi      PSI triggers on /proc/pressure/memory (and on configured
 *            cgroups' memory.pressure + memory.events) wake it; the level is
 *            then computed from /proc/meminfo on the same scale as the module
 *   meminfo  where the kernel refuses PSI triggers: /proc/meminfo read on a
 *            timer that backs off while memory is plentiful
 *
 * The psi and meminfo sources count free swap at what it is worth net of
 * its RAM cost (zram from /proc/swaps and sysfs) and tell thrashing from PSI
 * or workingset refaults, as the module does (oomn-swap.h).
 *
 * It lives on the caller's sd-event loop and reports through handlers. The
 * proc, sysfs and cgroup roots are parameters so tests can point them at
 * fakes.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-event.h>

#include "oom_notify_level.h"
#include "oomn-genl-msg.h"

enum oomn_source_kind {
	OOMN_SOURCE_NONE,
	OOMN_SOURCE_KERNEL,
	OOMN_SOURCE_PSI,
	OOMN_SOURCE_MEMINFO,
};

/* A pressure level change (or a resync), whatever the source. */
struct oomn_pressure {
	enum oom_notify_level level;
	enum oom_notify_level prev_level;
	uint64_t pressure_seq;	/* the source's own count of changes (kernel: the module's) */
	uint64_t timestamp_ns;	/* CLOCK_BOOTTIME */
	uint32_t cause;		/* enum oom_notify_cause */
	uint64_t mem_total;	/* bytes */
	uint64_t mem_available;
	uint64_t swap_total;	/* from /proc/meminfo */
	uint64_t swap_free;
	uint64_t swap_worth;	/* what the level counts: free swap net of its RAM cost */
	bool thrashing;
	bool has_thresholds;	/* the scale the level was computed on, if known */
	struct oom_notify_thresholds thresholds;
	enum oomn_source_kind source;
	const char *cgroup;	/* NULL: the whole system; else a cgroup path */
	bool resync;		/* a re-read after a gap, an overflow or a source switch */
};

struct oomn_source_config {
	const char *proc_root;		/* NULL: /proc */
	const char *cgroup_root;	/* NULL: /sys/fs/cgroup */
	const char *sysfs_root;		/* NULL: /sys (zram's mm_stat, for the swap worth) */
	/* NULL-terminated paths below cgroup_root to watch, or NULL. Used by
	 * the psi and meminfo sources (memory.pressure triggers, memory.events);
	 * the module reports every cgroup's OOM kills by itself. */
	char **cgroups;
	enum oomn_source_kind force;	/* NONE: the best available; else only this one */
	struct oom_notify_thresholds thresholds;	/* for psi and meminfo */
	bool want_oom;			/* report kernel OOM kills (needs CAP_SYS_ADMIN with the module) */
};

/* Any handler may be NULL. None may free the OomnSource. A cgroup's
 * on_pressure (p->cgroup set) has its own pressure_seq per cgroup and leaves
 * oomn_source_current(), which is the whole system's, alone. */
struct oomn_source_handlers {
	void (*on_pressure)(const struct oomn_pressure *p, void *userdata);
	/* A kernel OOM kill: full details from the module; from memory.events
	 * (no module) only cgroup and the kill count are known, pid is 0,
	 * oom_seq is the cgroup's oom_kill count and lost the kills counted
	 * with this one. */
	void (*on_oom)(const struct oomn_oom_event *ev, const char *cgroup, void *userdata);
	/* The active source changed (module loaded/unloaded, fallback). The
	 * choice made by oomn_source_new() is reported too, from the loop's
	 * first iteration (never from inside oomn_source_new()), with why it
	 * was made, e.g. that the kernel refused PSI triggers. */
	void (*on_source)(enum oomn_source_kind kind, const char *why, void *userdata);
	/* Something to log: lost events, malformed input, refused triggers. */
	void (*on_warning)(const char *what, void *userdata);
};

typedef struct OomnSource OomnSource;

int oomn_source_new(OomnSource **ret, sd_event *e, const struct oomn_source_config *cfg,
		    const struct oomn_source_handlers *h, void *userdata);
OomnSource *oomn_source_free(OomnSource *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(OomnSource *, oomn_source_free);

enum oomn_source_kind oomn_source_kind(const OomnSource *s);
const char *oomn_source_kind_to_string(enum oomn_source_kind kind);
/* The options' spelling: "auto" (OOMN_SOURCE_NONE: the best there is),
 * "kernel", "psi", "meminfo"; -EINVAL otherwise. */
int oomn_source_kind_from_string(const char *s, enum oomn_source_kind *ret);
/* The latest state (filled in before oomn_source_new() returns). */
const struct oomn_pressure *oomn_source_current(const OomnSource *s);
/* Re-read now (e.g. after a bus client asked); -errno. */
int oomn_source_refresh(OomnSource *s);

/* ---- additions ------------------------------------------------------- */

/* Why the current source was chosen, e.g. "oom_notify module not loaded;
 * the kernel refused PSI trigger ...: Invalid argument". Never NULL. */
const char *oomn_source_why(const OomnSource *s);

/* Counters, for the tests and the daemons' status output. */
struct oomn_source_stats {
	uint64_t meminfo_reads;	/* <proc_root>/meminfo reads (the kernel source's for SwapTotal too) */
	uint64_t timer_wakeups;	/* poll timer expirations */
	uint64_t psi_events;	/* PSI trigger wake-ups, system and cgroups */
	uint64_t kernel_events;	/* events from the module delivered */
	uint64_t resyncs;	/* pressures reported with resync set */
	uint64_t warnings;	/* on_warning calls */
	uint64_t interval_usec;	/* the poll timer's current interval, 0: not armed */
	uint64_t swaps_reads;	/* <proc_root>/swaps reads (psi, meminfo; only with swap) */
	uint64_t thrash_reads;	/* pressure/memory or vmstat reads (only while memory is short) */
};
void oomn_source_get_stats(const OomnSource *s, struct oomn_source_stats *ret);

/*
 * Bounds of the meminfo source's poll schedule (oomn-source-logic.h:
 * 100 ms near a level change, doubling to 10 s while memory is plentiful).
 * The psi source's drift timer, which only sees recovery and MemAvailable
 * falling without any stall, uses 10 x min_usec and 3 x max_usec (1 s to
 * 30 s by default). Takes effect at once: the next read comes after
 * min_usec. -EINVAL when min_usec is 0 or max_usec < min_usec.
 */
int oomn_source_set_poll_intervals(OomnSource *s, uint64_t min_usec, uint64_t max_usec);
