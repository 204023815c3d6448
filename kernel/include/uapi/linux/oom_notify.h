/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * oom_notify: memory-pressure levels and kernel OOM kills, pushed to user
 * space over generic netlink.
 *
 * This header is the one contract between the oom_notify module and user
 * space (broker, killer, CLI). Everything here is stable ABI: attributes and
 * enum values are only ever appended.
 */
#ifndef _UAPI_LINUX_OOM_NOTIFY_H
#define _UAPI_LINUX_OOM_NOTIFY_H

#define OOM_NOTIFY_FAMILY_NAME		"oom_notify"
#define OOM_NOTIFY_FAMILY_VERSION	1

/* Multicast groups, resolved by name through the genl controller. */
#define OOM_NOTIFY_MCGRP_PRESSURE	"pressure"	/* level changes */
#define OOM_NOTIFY_MCGRP_OOM		"oom"	/* kernel OOM kills; CAP_SYS_ADMIN */

/*
 * Pressure levels, the one scale used by kernel, bus and docs. A level is
 * reached when MemAvailable is below its memory threshold *and* either the
 * swap worth (what swap can still take in net of its own RAM cost: all of
 * free swap on a disk, what compression saves on zram or zswap) is below its
 * swap threshold or the machine thrashes (no swap counts as none free).
 */
enum oom_notify_level {
	OOM_NOTIFY_LEVEL_NORMAL,
	OOM_NOTIFY_LEVEL_LOW,
	OOM_NOTIFY_LEVEL_MEDIUM,
	OOM_NOTIFY_LEVEL_CRITICAL,

	__OOM_NOTIFY_LEVEL_MAX,
	OOM_NOTIFY_LEVEL_MAX = __OOM_NOTIFY_LEVEL_MAX - 1,
};

/* What made the module re-evaluate the level that changed. */
enum oom_notify_cause {
	OOM_NOTIFY_CAUSE_UNSPEC,
	OOM_NOTIFY_CAUSE_ALLOC,		/* page allocations used up memory */
	OOM_NOTIFY_CAUSE_FREE,		/* pages were freed */
	OOM_NOTIFY_CAUSE_RECLAIM,	/* the kernel is reclaiming (shrinker) */
	OOM_NOTIFY_CAUSE_TIMER,		/* the fallback periodic check */
	OOM_NOTIFY_CAUSE_THRESHOLDS,	/* SET_THRESHOLDS changed the scale */
	OOM_NOTIFY_CAUSE_OOM_KILL,	/* the kernel OOM killer ran */
	OOM_NOTIFY_CAUSE_QUERY,		/* a GET_STATE request re-evaluated */
	OOM_NOTIFY_CAUSE_THRASHING,	/* thrashing started or ended */

	__OOM_NOTIFY_CAUSE_MAX,
	OOM_NOTIFY_CAUSE_MAX = __OOM_NOTIFY_CAUSE_MAX - 1,
};

enum oom_notify_cmd {
	OOM_NOTIFY_CMD_UNSPEC,
	/* request: none; reply: the state attributes, see below */
	OOM_NOTIFY_CMD_GET_STATE,
	/* request: OOM_NOTIFY_A_THRESHOLDS (any subset); CAP_SYS_ADMIN */
	OOM_NOTIFY_CMD_SET_THRESHOLDS,
	/* multicast on "pressure": a level change */
	OOM_NOTIFY_CMD_PRESSURE_EVENT,
	/* multicast on "oom": the kernel OOM killer chose a victim */
	OOM_NOTIFY_CMD_OOM_EVENT,
	/*
	 * dump (NLM_F_DUMP), request: none; CAP_SYS_ADMIN. One message per
	 * process (thread group), in tgid order, with the OOM_NOTIFY_A_PROC_*
	 * attributes: what a user-space OOM killer ranks victims by, read
	 * under RCU, without opening a /proc file per process.
	 */
	OOM_NOTIFY_CMD_GET_PROCESSES,

	__OOM_NOTIFY_CMD_MAX,
	OOM_NOTIFY_CMD_MAX = __OOM_NOTIFY_CMD_MAX - 1,
};

/*
 * Attributes. Sizes are in bytes. GET_STATE replies and PRESSURE_EVENTs carry
 * LEVEL, PREV_LEVEL (events), PRESSURE_SEQ, OOM_SEQ (replies), TIMESTAMP_NS, CAUSE,
 * MEM_TOTAL, MEM_AVAILABLE, SWAP_FREE, SWAP_WORTH, SWAP_COST, THRASHING and
 * THRESHOLDS. OOM_EVENTs carry
 * OOM_SEQ, TIMESTAMP_NS, LEVEL and the OOM_* victim attributes.
 *
 * SwapTotal is not exported to modules, so it is not reported here: read it
 * from /proc/meminfo. Swap thresholds are per-mille of MemTotal for the same
 * reason.
 */
enum oom_notify_attr {
	OOM_NOTIFY_A_UNSPEC,
	OOM_NOTIFY_A_PAD,
	OOM_NOTIFY_A_LEVEL,		/* u32: enum oom_notify_level */
	OOM_NOTIFY_A_PREV_LEVEL,	/* u32: enum oom_notify_level */
	OOM_NOTIFY_A_PRESSURE_SEQ,	/* u64: last pressure event, from 1 */
	OOM_NOTIFY_A_OOM_SEQ,		/* u64: last OOM event, from 1 */
	OOM_NOTIFY_A_TIMESTAMP_NS,	/* u64: CLOCK_BOOTTIME */
	OOM_NOTIFY_A_CAUSE,		/* u32: enum oom_notify_cause */
	OOM_NOTIFY_A_MEM_TOTAL,		/* u64: MemTotal */
	OOM_NOTIFY_A_MEM_AVAILABLE,	/* u64: MemAvailable */
	OOM_NOTIFY_A_SWAP_FREE,		/* u64: SwapFree */
	OOM_NOTIFY_A_THRESHOLDS,	/* nest: enum oom_notify_threshold */
	OOM_NOTIFY_A_OOM_PID,		/* u32: victim's process (tgid) */
	OOM_NOTIFY_A_OOM_TID,		/* u32: victim thread */
	OOM_NOTIFY_A_OOM_COMM,		/* string: victim's comm */
	OOM_NOTIFY_A_OOM_UID,		/* u32: victim's uid, initial ns */
	OOM_NOTIFY_A_OOM_SCORE_ADJ,	/* s32: victim's oom_score_adj */
	OOM_NOTIFY_A_OOM_TOTAL_VM,	/* u64: victim's virtual size */
	OOM_NOTIFY_A_OOM_ANON_RSS,	/* u64 */
	OOM_NOTIFY_A_OOM_FILE_RSS,	/* u64 */
	OOM_NOTIFY_A_OOM_SHMEM_RSS,	/* u64 */
	OOM_NOTIFY_A_OOM_PGTABLES,	/* u64: page tables */
	OOM_NOTIFY_A_OOM_CGROUP_ID,	/* u64: victim's cgroup v2 id (inode) */
	OOM_NOTIFY_A_OOM_CGROUP,	/* string: victim's cgroup v2 path */
	OOM_NOTIFY_A_OOM_LOST,		/* u32: OOM events dropped before this */
	OOM_NOTIFY_A_SWAP_WORTH,	/* u64: free swap net of its RAM cost */
	OOM_NOTIFY_A_SWAP_COST,		/* u32: RAM per page swapped, per-mille */
	OOM_NOTIFY_A_THRASHING,		/* u8: 1 while refaults run hot */
	/*
	 * GET_PROCESSES: one process. PROC_RSS, PROC_SWAP and PROC_PGTABLES are absent
	 * when it has no memory (kernel threads, zombies, an exit under way).
	 */
	OOM_NOTIFY_A_PROC_PID,		/* u32: tgid, initial pid ns */
	OOM_NOTIFY_A_PROC_PPID,		/* u32: the parent's tgid */
	OOM_NOTIFY_A_PROC_START_NS,	/* u64: start, CLOCK_BOOTTIME */
	OOM_NOTIFY_A_PROC_COMM,		/* string: the leader's comm */
	OOM_NOTIFY_A_PROC_UID,		/* u32: real uid, initial user ns */
	OOM_NOTIFY_A_PROC_STATE,	/* u8: the leader's state, as /proc's */
	OOM_NOTIFY_A_PROC_FLAGS,	/* u32: the leader's PF_* flags */
	OOM_NOTIFY_A_PROC_OOM_SCORE_ADJ, /* s32 */
	OOM_NOTIFY_A_PROC_RSS,		/* u64: anon + file + shmem */
	OOM_NOTIFY_A_PROC_SWAP,		/* u64: swapped out */
	OOM_NOTIFY_A_PROC_PGTABLES,	/* u64: page tables */
	OOM_NOTIFY_A_PROC_CGROUP_ID,	/* u64: cgroup v2 id (inode) */
	OOM_NOTIFY_A_PROC_EXEC_ID,	/* u64: changes at each execve */

	__OOM_NOTIFY_A_MAX,
	OOM_NOTIFY_A_MAX = __OOM_NOTIFY_A_MAX - 1,
};

/*
 * Thresholds, nested in OOM_NOTIFY_A_THRESHOLDS; all u32 per-mille of
 * MemTotal. Memory thresholds are ordered LOW >= MEDIUM >= CRITICAL, and so
 * are swap thresholds. A level is left only when MemAvailable or free swap
 * has risen HYSTERESIS above the threshold that raised it.
 */
enum oom_notify_threshold {
	OOM_NOTIFY_T_UNSPEC,
	OOM_NOTIFY_T_MEM_LOW,		/* u32: per-mille */
	OOM_NOTIFY_T_MEM_MEDIUM,	/* u32: per-mille */
	OOM_NOTIFY_T_MEM_CRITICAL,	/* u32: per-mille */
	OOM_NOTIFY_T_SWAP_LOW,		/* u32: per-mille */
	OOM_NOTIFY_T_SWAP_MEDIUM,	/* u32: per-mille */
	OOM_NOTIFY_T_SWAP_CRITICAL,	/* u32: per-mille */
	OOM_NOTIFY_T_HYSTERESIS,	/* u32: per-mille, 5 to 200 */

	__OOM_NOTIFY_T_MAX,
	OOM_NOTIFY_T_MAX = __OOM_NOTIFY_T_MAX - 1,
};

/* The first name of OOM_NOTIFY_A_PRESSURE_SEQ (the same attribute), kept for old code. */
#define OOM_NOTIFY_A_SEQ		OOM_NOTIFY_A_PRESSURE_SEQ

#define OOM_NOTIFY_PERMILLE_MAX		1000
#define OOM_NOTIFY_HYSTERESIS_MIN	5
#define OOM_NOTIFY_HYSTERESIS_MAX	200

#endif /* _UAPI_LINUX_OOM_NOTIFY_H */
