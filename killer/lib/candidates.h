/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The killer's warm candidate list and its victim choice.
 *
 * candidates_refresh() runs while pressure is low or medium: it reads
 * /proc/PID/stat and oom_score_adj of every process and everything else
 * (status, cmdline, cgroup, exe) only for processes that are new or whose stat
 * changed, and drops processes that are gone. candidates_choose() then does no
 * I/O at all: it applies the rules (their matches are cached per process) and
 * the kernel's badness arithmetic over what is already in memory.
 *
 * Never chosen, whatever the rules say (the built-in protections): PID 1,
 * kernel threads (PF_KTHREAD, or kthreadd and its children), processes without
 * memory (no VmRSS: kernel threads, zombies), zombies, oom_score_adj -1000,
 * the killer itself (its pid), the pids given in protected_pids, and every
 * process whose comm is oom-killerd, oom-notifyd, dbus-daemon, dbus-broker or
 * dbus-broker-lau(nch).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "procfs.h"
#include "rules.h"

typedef struct Candidates Candidates;

typedef struct Candidate {
	pid_t pid, ppid;
	unsigned long long starttime;
	uint64_t stat_hash;
	char state;
	unsigned flags;
	char comm[PROCFS_COMM_MAX];
	char *exe;     /* NULL if unreadable (not root) */
	char *cmdline; /* "" for kernel threads */
	char *cgroup;  /* NULL without cgroup v2 */
	uid_t uid;
	int oom_score_adj;
	int band; /* registered priority band, -1 if none */
	bool has_mm;
	uint64_t rss_kb, swap_kb, pte_kb;
	uint64_t cgroup_id, exec_id; /* from a CandidateRecord; 0 from /proc */

	uint64_t match_generation; /* of the Rules that match was computed for; 0: stale */
	const Rule *match;
} Candidate;

typedef void (*CandidatesWarn)(const char *message, void *userdata);

typedef struct CandidatesOptions {
	const char *proc_root; /* NULL: "/proc" */
	pid_t self_pid;	       /* 0: getpid() */
	const pid_t *protected_pids;
	size_t n_protected_pids;
	CandidatesWarn warn; /* one call per skipped entry; may be NULL */
	void *userdata;
} CandidatesOptions;

typedef struct CandidatesStats {
	unsigned n_processes; /* in the list after the refresh */
	unsigned n_new, n_updated, n_unchanged, n_gone;
	unsigned n_vanished;   /* listed by readdir, gone before it could be read */
	unsigned n_malformed;  /* skipped with a warning */
	unsigned n_unreadable; /* skipped with a warning */
} CandidatesStats;

enum {
	CANDIDATES_REFRESH_FULL = 1u << 0, /* re-read everything, not only what changed */
	/*
	 * Read only processes new to the list; known ones keep their figures.
	 * A quick look at newcomers as pressure builds (the usual cause of
	 * it), never enough for a choice: a known process may have grown.
	 */
	CANDIDATES_REFRESH_NEW_ONLY = 1u << 1,
};

#define CHOICE_TOP_MAX 8

typedef struct ChoiceEntry {
	pid_t pid;
	char comm[PROCFS_COMM_MAX];
	uid_t uid;
	int oom_score_adj;
	bool avoided;
	int64_t badness_kb; /* the kernel's oom_badness(), in kB */
	int64_t score_kb;   /* badness plus a prefer rule's weight */
	const Rule *rule;
} ChoiceEntry;

typedef struct Choice {
	pid_t pid;
	unsigned long long starttime; /* to check the pidfd is the same process */
	char comm[PROCFS_COMM_MAX];
	uid_t uid;
	int oom_score_adj;
	char *cgroup;
	char *exe;
	uint64_t rss_kb, swap_kb, pte_kb;
	int64_t badness_kb, score_kb;
	const Rule *rule; /* the rule that decided, NULL if none matched; owned by the Rules */
	bool avoided;	  /* only avoided processes were left */
	bool kill_group;  /* kill the whole cgroup (cgroup.kill) */
	uint64_t deadline_usec, grace_usec;

	ChoiceEntry top[CHOICE_TOP_MAX]; /* the best candidates, victim first */
	size_t n_top;
	size_t n_eligible, n_protected;
	char reason[512];
} Choice;

/*
 * One process as the kernel module's GET_PROCESSES dump reports it: every
 * figure a choice ranks by, read in one request instead of two files per
 * process. What only rules need (command line, cgroup path, executable)
 * is not in it.
 */
typedef struct CandidateRecord {
	pid_t pid, ppid;
	unsigned long long starttime; /* clock ticks since boot, as /proc/PID/stat's */
	char state;
	unsigned flags;
	char comm[PROCFS_COMM_MAX];
	uid_t uid;
	int oom_score_adj;
	bool has_mm;
	uint64_t rss_kb, swap_kb, pte_kb;
	uint64_t cgroup_id; /* a change re-reads the cgroup path */
	uint64_t exec_id;   /* a change (execve) re-reads command line and executable */
} CandidateRecord;

int candidates_new(const CandidatesOptions *opts, Candidates **ret);
Candidates *candidates_free(Candidates *c);

/* Returns 0 or a negative errno if the proc root itself cannot be read. */
int candidates_refresh(Candidates *c, unsigned flags, CandidatesStats *ret_stats);

/*
 * The same from the module's records (@recs sorted by pid, as the kernel
 * sends them; -EINVAL if not): every figure is taken from them, and /proc
 * is opened only for processes that are new, that exec'd or changed
 * cgroup since the last refresh, and only for the strings rules match on.
 * @flags: CANDIDATES_REFRESH_FULL re-reads those strings for everyone;
 * NEW_ONLY is the same as 0 here (the figures are fresh anyway).
 */
int candidates_refresh_records(Candidates *c, const CandidateRecord *recs, size_t n,
			       unsigned flags, CandidatesStats *ret_stats);

size_t candidates_size(const Candidates *c);
const Candidate *candidates_get(const Candidates *c, pid_t pid);
uint64_t candidates_total_kb(const Candidates *c);

/* Replaces the protected pids (e.g. once the broker's pid is known); 0 or -ENOMEM. */
int candidates_set_protected_pids(Candidates *c, const pid_t *pids, size_t n);

/*
 * Records the band process @pid of @uid registered with the broker; -ESRCH
 * if unknown, -EPERM if @pid is another user's process now (a reused pid).
 */
int candidates_set_band(Candidates *c, pid_t pid, uid_t uid, int band);
/*
 * A process that holds the choice back as dying (candidates_choose():
 * -EBUSY) for longer than its exit should take: no longer a reason to wait.
 */
void candidates_ignore_dying(Candidates *c, pid_t pid);

/* Forgets every band (a new copy of the registry follows). */
void candidates_clear_bands(Candidates *c);

/*
 * Chooses the victim with rules (may be NULL). No I/O. Returns 0, or -ESRCH
 * if no process may be chosen. *ret must be released with choice_done().
 */
int candidates_choose(Candidates *c, const Rules *rules, Choice *ret);
void choice_done(Choice *ch);

static inline void candidates_freep(Candidates **p)
{
	candidates_free(*p);
}
#define _cleanup_candidates_ __attribute__((cleanup(candidates_freep)))
