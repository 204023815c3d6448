/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Reading the few /proc/PID files the killer needs. The proc root is always
 * a parameter (a directory fd), so tests point it at a fake tree. Every
 * reader treats the file as untrusted: malformed contents give -EBADMSG, a
 * process that went away -ESRCH, and nothing here ever aborts.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PROCFS_PF_KTHREAD 0x00200000u /* include/linux/sched.h */
#define PROCFS_PF_EXITING 0x00000004u
#define PROCFS_COMM_MAX	  64	      /* the kernel's is 16; fake or future ones get room */

typedef struct ProcStat {
	pid_t pid, ppid;
	char state;
	unsigned flags;
	unsigned long long starttime; /* clock ticks since boot: with pid, the process identity */
	char comm[PROCFS_COMM_MAX];
	uint64_t hash; /* of the whole file, to see cheaply whether anything changed */
} ProcStat;

typedef struct ProcStatus {
	uid_t uid;   /* real */
	bool has_mm; /* VmRSS present: kernel threads and zombies have none */
	uint64_t rss_kb, swap_kb, pte_kb;
} ProcStatus;

int procfs_parse_stat(const char *buf, size_t len, ProcStat *ret);
int procfs_parse_status(const char *buf, ProcStatus *ret);

/*
 * The fast path of a refresh: PROC/PID/stat and PROC/PID/oom_score_adj read by
 * path, without opening the directory first (one open fewer per process).
 */
int procfs_read_stat_pid(int proc_fd, pid_t pid, ProcStat *ret);
int procfs_read_oom_score_adj_pid(int proc_fd, pid_t pid, int *ret);

/* All take the fd of an open /proc/PID directory. */
int procfs_read_stat(int pid_fd, ProcStat *ret);
int procfs_read_status(int pid_fd, ProcStatus *ret);
int procfs_read_oom_score_adj(int pid_fd, int *ret);
/* Arguments joined by spaces (at most 4 KiB); "" for kernel threads and zombies. */
int procfs_read_cmdline(int pid_fd, char **ret);
/* The cgroup v2 path (the "0::" line), or -ENODATA. */
int procfs_read_cgroup(int pid_fd, char **ret);
/* The executable's path, without the kernel's " (deleted)" suffix. */
int procfs_read_exe(int pid_fd, char **ret);

/* MemTotal + SwapTotal from PROC/meminfo in kB: the kernel's totalpages for oom_badness().
 * Read by lib/oomn-meminfo (oomn_meminfo_read_at), the one meminfo parser. */
int procfs_read_total_kb(int proc_fd, uint64_t *ret);
