/* SPDX-License-Identifier: GPL-2.0 */
/* oom_notify: internal interfaces between the module's files. */
#ifndef OOM_NOTIFY_H
#define OOM_NOTIFY_H

#include <linux/sched.h>
#include <linux/types.h>
#include <linux/oom_notify.h>

#include "oom_notify_level.h"

struct cgroup;
struct netlink_ext_ack;

/* The state as carried by GET_STATE replies and pressure events. */
struct oom_notify_snapshot {
	enum oom_notify_level level;
	enum oom_notify_level prev_level;
	enum oom_notify_cause cause;
	u64 pressure_seq;
	u64 oom_seq;
	u64 timestamp_ns;
	u64 mem_total;		/* bytes */
	u64 mem_available;
	u64 swap_free;
	u64 swap_worth;		/* what the levels count, see oom_notify_swap.c */
	u32 swap_cost;		/* per-mille */
	bool thrashing;
	struct oom_notify_thresholds thresholds;
};

/* A kernel OOM victim, captured in the OOM path, sent from process context. */
struct oom_notify_victim {
	u64 oom_seq;
	u64 timestamp_ns;
	pid_t pid;
	pid_t tid;
	uid_t uid;
	s32 oom_score_adj;
	u64 total_vm;		/* bytes */
	u64 anon_rss;
	u64 file_rss;
	u64 shmem_rss;
	u64 pgtables;
	u64 cgroup_id;
	struct cgroup *cgrp;	/* a reference, or NULL */
	u32 lost;		/* victims dropped just before this one */
	char comm[TASK_COMM_LEN];
};

/*
 * Compare @probe with tracepoint @tp's prototype in the headers of the kernel
 * built for (include <trace/events/...> first): a tracepoint of another shape
 * (mark_victim was (int pid) before 6.2 upstream) fails the build instead of
 * reading a pid as a task. tests/kernel/probe-check.sh shows it biting.
 */
#define OOM_NOTIFY_CHECK_PROBE(tp, probe)				\
	static_assert(__same_type(check_trace_callback_type_##tp,	\
				  void (typeof(probe) *)),		\
		      "probe " #probe " does not match tracepoint " #tp)

/* oom_notify_main.c */
void oom_notify_kick(enum oom_notify_cause cause);
void oom_notify_kick_later(enum oom_notify_cause cause);
void oom_notify_kick_victims(void);
void oom_notify_get_state(struct oom_notify_snapshot *snap);
int oom_notify_update_thresholds(const struct oom_notify_thresholds *upd,
				 u32 present, struct netlink_ext_ack *extack);

/* oom_notify_genl.c */
int __init oom_notify_genl_init(void);
void oom_notify_genl_exit(void);
void oom_notify_genl_send_pressure(const struct oom_notify_snapshot *snap);
int oom_notify_genl_send_oom(const struct oom_notify_victim *v,
			     enum oom_notify_level level);

/* oom_notify_swap.c, all under the state lock */
void oom_notify_swap_init(void);
long oom_notify_swap_step(void);
void oom_notify_swap_read(u64 *free, u64 *worth, u32 *cost);
void oom_notify_swap_forget(void);
bool oom_notify_thrash_sample(void);
void oom_notify_thrash_stop(void);
bool oom_notify_thrashing(void);

/* oom_notify_hooks.c */
int oom_notify_hooks_init(void);
void oom_notify_hooks_exit(void);
bool oom_notify_hooks_active(void);
void oom_notify_hooks_set_bounds(u64 rise_below, u64 fall_at,
				 u64 swap_rise_below, u64 swap_fall_at);
bool oom_notify_victim_pop(struct oom_notify_victim *v);
void oom_notify_victim_release(struct oom_notify_victim *v);

#endif /* OOM_NOTIFY_H */
