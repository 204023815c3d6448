/* SPDX-License-Identifier: GPL-2.0-only */
/* Shared by the VM suites: a controllable memory hog, and running commands. */
#pragma once

#include <glib.h>
#include <stdio.h>
#include <sys/types.h>

/* oomn-hog --control ($OOMN_HOG): grows on command, so tests step pressure. */
typedef struct {
	GPid pid;
	FILE *in, *out;
} Hog;

void hog_start(Hog *h);
/* the same, its pages filled as oomn-hog --fill says: ones, half or random */
void hog_start_fill(Hog *h, const char *fill);
/* "grow N" / "free N" (MiB); asserts the hog answered ok */
void hog_cmd(Hog *h, const char *cmd);
/* asks it to exit and asserts it did, cleanly */
void hog_stop(Hog *h);

/*
 * Starts `oomn-hog --max 256 --step STEP --hold` already inside the cgroup
 * whose cgroup.procs is @procs (it waits for the move before it execs, so
 * not a page is charged elsewhere); its stdout goes to /dev/null.
 */
pid_t hog_spawn_in_cgroup(const char *procs, const char *step);

/* Runs a shell command line, returns its wait status. */
int vm_run(const char *cmd);

/*
 * Starts @argv (searched in PATH) as a child that dies with the test
 * (PR_SET_PDEATHSIG SIGKILL: an aborted test leaves nothing behind), first
 * moved into the cgroup whose cgroup.procs is @procs if not NULL. Its stdin
 * and stdout are pipes if @ret_in / @ret_out are given, else /dev/null; its
 * stderr is appended to @log, or goes to /dev/null if @log is NULL.
 */
GPid vm_spawn(char **argv, const char *procs, const char *log, int *ret_in, int *ret_out);

/*
 * Waits up to @timeout_ms for child @pid to end, iterating the default main
 * context meanwhile; returns TRUE and its wait status in *status if it ended.
 */
gboolean vm_wait_child(GPid pid, guint timeout_ms, int *status);

/* What a case started besides the daemons: each dies with the test and with the case. */
typedef struct {
	GArray *pids; /* GPid, not reaped yet */
	GArray *fds;  /* int: their stdin/stdout pipes, kept open while they run (SIGPIPE) */
	const char *log;
	guint timeout_ms;
} VmChildren;

/* Children whose stderr is appended to @log; each must end within @timeout_ms when waited for. */
void vm_children_init(VmChildren *c, const char *log, guint timeout_ms);

/* vm_spawn() of @argv, remembered: reaped and its pipes closed by vm_children_reap(). */
GPid vm_children_spawn(VmChildren *c, char **argv, const char *procs, int *ret_in, int *ret_out);

/* Waits for child @pid to end and forgets it (it is then the case's to judge); its wait status. */
int vm_children_wait(VmChildren *c, GPid pid);

/* Kills (SIGKILL) and reaps the children not reaped yet, closes their pipes. */
void vm_children_reap(VmChildren *c);

/* vm_children_reap(), then frees @c's arrays. */
void vm_children_clear(VmChildren *c);

/* Bytes of zram swap in /proc/swaps (the *-zram suites), 0 if none. */
guint64 vm_zram_swap_bytes(void);

/* At least @pct % of MemTotal is available: what a previous case took is back. */
void vm_assert_available_pct(guint pct);

/* MiB to take so that MemAvailable is left at about @pct % of MemTotal. */
guint64 vm_mib_to_leave(guint pct);

/*
 * SIGTERMs daemon @pid and waits up to @timeout_ms for it: it must have
 * been still there and exit 0 (nothing crashed it); @what names it in the error.
 */
void vm_stop_daemon(GPid pid, const char *what, guint timeout_ms);

/* TRUE while child @pid runs (it is not reaped). */
gboolean vm_child_alive(GPid pid);

/*
 * Reads a line from @fd (a pipe) within @timeout_ms, iterating the default
 * main context meanwhile; NULL at EOF or timeout. The newline is stripped.
 */
char *vm_read_line(int fd, guint timeout_ms);

/* The kernel's own OOM killer has not run since @fd was opened (g_error if it has); closes @fd. */
void vm_kmsg_assert_no_oom(int fd);

/* /dev/kmsg opened at its end: vm_kmsg_find() sees what the kernel logs later. */
int vm_kmsg_open(void);
/* The first record logged since vm_kmsg_open() that contains @needle, or NULL. */
char *vm_kmsg_find(int fd, const char *needle);

/* MemTotal and MemAvailable in MiB. */
void vm_meminfo_mib(guint64 *total, guint64 *avail);

/*
 * oom-killerd's machine-readable kill line (its contract):
 *   oom-killerd kill: pid=P comm=C rule=R signal=S event_ns=T0 notify_ns=T1
 *   sigterm_ns=T2 sigkill_ns=T3 exit_ns=T4 mrelease=M freed=N
 * (CLOCK_BOOTTIME ns, 0 for a step that did not happen).
 */
#define VM_KILL_LINE_PREFIX "oom-killerd kill: "
typedef struct {
	int pid;
	char *comm, *rule, *signal, *mrelease;
	guint64 event_ns, notify_ns, sigterm_ns, sigkill_ns, exit_ns, freed;
} VmKillLine;

/* FALSE unless @line is a kill line with every field, each well formed. */
gboolean vm_kill_line_parse(const char *line, VmKillLine *k);
void vm_kill_line_clear(VmKillLine *k);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(VmKillLine, vm_kill_line_clear)
