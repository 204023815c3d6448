/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The insides of OomnSource. The files and who calls whom (a call goes only
 * down this list, or, from oomn-source.c to a kind, through its ops table):
 *
 *   oomn-source.c          the object: picks a kind, falls back, returns to
 *                          the kernel; calls the kinds through their ops
 *   oomn-source-kernel.c   the kernel kind (ops only), the module through OomnGenl
 *   oomn-source-psi.c      the psi kind (ops only): the system PSI triggers
 *   oomn-source-meminfo.c  the meminfo kind (ops only)
 *   oomn-source-poll.c     the level from /proc/meminfo and the poll timer
 *                          (the meminfo kind's schedule, the psi kind's drift)
 *   oomn-source-cgroup.c   the --watch-cgroup watches (psi and meminfo kinds)
 *   oomn-source-base.c     telling the caller (warnings, pressure), reading
 *                          meminfo, arming a PSI trigger
 *
 * No kind file calls another kind file.
 */
#pragma once

#include <stdarg.h>

#include "oomn-clock.h"
#include "oomn-genl.h"
#include "oomn-source.h"
#include "oomn-source-logic.h"
#include "oomn-swap.h"

/* The psi source's drift timer: PSI wakes it at once on a stall, the timer
 * only sees recovery and MemAvailable sinking without any stall (anonymous
 * memory eating free pages before reclaim starts). Its schedule is the
 * meminfo one with the minimum times 10 and the maximum times 3: 1 s near a
 * level change or while raised, backing off to 30 s. */
#define OOMN_PSI_TIMER_MIN_FACTOR 10
#define OOMN_PSI_TIMER_MAX_FACTOR 3

struct oomn_source_cgroup {
	OomnSource *source;
	char *name; /* "/a/b", as the module reports cgroups */
	char *dir;  /* <cgroup_root>/a/b */
	int pressure_fd;
	sd_event_source *pressure_io;
	int events_wd; /* inotify watch on memory.events, -1: none */
	struct oomn_memory_events events;
	bool events_known;
	enum oom_notify_level level;
	uint64_t pressure_seq;
};

/*
 * One kind of source. oomn-source.c holds the table (by enum oomn_source_kind)
 * and calls nothing of a kind but these; each kind file exports only its ops.
 * Any hook may be NULL.
 */
struct oomn_source_ops {
	enum oomn_source_kind kind;
	/* For the object's whole life (the kernel's genl client, which stays
	 * open while the module is missing to see it come back). Returns 1
	 * with the kind working (its state read into s->current), 0 without
	 * it for now, a negative errno (with *ret_why) on failure. */
	int (*open)(OomnSource *s, char **ret_why);
	void (*close)(OomnSource *s);
	/* Arms the kind's wake-ups and the cgroup watches it uses; all or
	 * nothing: on failure a negative errno and why in *ret_why. */
	int (*start)(OomnSource *s, char **ret_why);
	void (*stop)(OomnSource *s);
	/* Re-reads the level; reports it if @resync or it changed. */
	int (*refresh)(OomnSource *s, bool resync, uint32_t cause);
	/* The poll timer runs on the meminfo schedule times these; 0: no timer. */
	unsigned timer_min_factor;
	unsigned timer_max_factor;
};

extern const struct oomn_source_ops oomn_source_kernel_ops;
extern const struct oomn_source_ops oomn_source_psi_ops;
extern const struct oomn_source_ops oomn_source_meminfo_ops;

struct OomnSource {
	sd_event *event;
	char *proc_root;
	char *cgroup_root;
	char *sysfs_root;
	char **cgroup_paths; /* the config's, copied */
	enum oomn_source_kind force;
	struct oom_notify_thresholds thresholds;
	bool want_oom;
	struct oomn_source_handlers handlers;
	void *userdata;

	enum oomn_source_kind kind;
	const struct oomn_source_ops *ops; /* the kind's, NULL with OOMN_SOURCE_NONE */
	char *why;
	struct oomn_pressure current;
	uint64_t pressure_seq; /* the psi and meminfo sources' own count of changes */
	struct oomn_source_stats stats;
	sd_event_source *announce; /* defers the first on_source */
	bool starting;		   /* in oomn_source_new(): no handlers called */
	int last_read_error;	   /* not to repeat the same warning every read */

	/* kernel */
	OomnGenl *genl;
	sd_event_source *genl_io;
	bool oom_subscribed;

	/* psi: one fd per trigger ("some", "full") */
	int psi_fd[2];
	sd_event_source *psi_io[2];

	/* swap worth and thrashing (psi and meminfo sources) */
	struct oomn_swap_reader swap;

	/* the poll timer (meminfo source; psi source's drift timer) */
	sd_event_source *timer;
	uint64_t interval_min, interval_max;

	/* cgroups (psi and meminfo sources) */
	struct oomn_source_cgroup *cgroups;
	size_t n_cgroups;
	int inotify_fd;
	sd_event_source *inotify_io;
};

/* ---- oomn-source.c: the object (for the kinds) ------------------------ */

/* Switches kind and why; calls on_source unless the first one is still
 * pending (then that one will carry the news). */
void oomn_source_set_kind(OomnSource *s, enum oomn_source_kind kind, const char *why);
/* Starts psi, else meminfo; @why_prefix says why the kernel is not used.
 * Returns the kind started or a negative errno. */
int oomn_source_fallback_start(OomnSource *s, const char *why_prefix, bool notify);
void oomn_source_fallback_stop(OomnSource *s);

/* ---- oomn-source-poll.c: the level from meminfo, the poll timer ------- */

/* Reads meminfo and reports the level if it changed (or @resync); arms the
 * timer per the schedule of the active kind. The psi and meminfo kinds'
 * refresh. */
int oomn_source_evaluate(OomnSource *s, bool resync, uint32_t cause);
/* Starts (or restarts at the minimum) the poll timer. */
int oomn_source_timer_start(OomnSource *s);
void oomn_source_timer_stop(OomnSource *s);

/* ---- oomn-source-cgroup.c: the --watch-cgroup watches ----------------- */

/* memory.events watches for every configured cgroup, plus memory.pressure
 * triggers if @triggers. Problems with one cgroup are warnings. */
int oomn_source_cgroups_start(OomnSource *s, bool triggers);
void oomn_source_cgroups_stop(OomnSource *s);
void oomn_source_cgroups_free(OomnSource *s);
/* Re-evaluates the cgroups whose level is raised (recovery). */
void oomn_source_cgroups_recheck(OomnSource *s);
bool oomn_source_cgroups_raised(const OomnSource *s);

/* ---- oomn-source-base.c: what every part uses ------------------------ */

void oomn_source_warn(OomnSource *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Makes *p the current state (system-wide) and calls on_pressure. */
void oomn_source_report(OomnSource *s, const struct oomn_pressure *p);
/* Reads <proc_root>/meminfo (lib/oomn-meminfo) and counts the read; warns
 * once per kind of failure. */
int oomn_source_read_meminfo(OomnSource *s, struct oomn_meminfo *ret);
/* Opens @path (a pressure file) and arms one trigger on it. Returns the fd;
 * on failure a negative errno and *ret_why. */
int oomn_source_psi_trigger_open(const char *path, bool full, char **ret_why);
