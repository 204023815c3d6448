// SPDX-License-Identifier: GPL-2.0
/*
 * oom_notify: the generic netlink family. Modelled on thermal_netlink.c: one
 * policy table indexed by the attribute enum, one fill helper per message,
 * and no message built when nobody listens.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cgroup.h>
#include <linux/capability.h>
#include <linux/module.h>
#include <linux/netlink.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <net/genetlink.h>

#include "oom_notify.h"

/*
 * Both sit on the path from a level change or an OOM kill to the listeners:
 * they must not wait in reclaim (the state lock is held and the workqueue is
 * ordered) nor drain the reserves kept for atomic context. __GFP_HIGH lets
 * these few hundred bytes dip below the min watermark; a failure shows as a
 * sequence gap, which subscribers resync on.
 */
#define OOM_NOTIFY_GFP	(GFP_NOWAIT | __GFP_HIGH | __GFP_NOWARN)

/*
 * Thresholds steer every listener (the killer acts on "critical"), and the
 * "oom" group names victims: CAP_SYS_ADMIN, not the CAP_NET_ADMIN that
 * network daemons hold. The kernels built for have the flag; refuse to
 * build a module whose group would be open to all.
 */
#ifndef GENL_MCAST_CAP_SYS_ADMIN
#error "this kernel cannot restrict a genl multicast group (GENL_MCAST_CAP_SYS_ADMIN)"
#endif

/* One report is built at a time (the workqueue is ordered). */
static char *oom_notify_path_buf;

enum oom_notify_mcgrp_id {
	OOM_NOTIFY_MCGRP_PRESSURE_ID,
	OOM_NOTIFY_MCGRP_OOM_ID,
};

static const struct nla_policy
oom_notify_threshold_policy[OOM_NOTIFY_T_MAX + 1] = {
	[OOM_NOTIFY_T_MEM_LOW] = NLA_POLICY_MAX(NLA_U32, OOM_NOTIFY_PERMILLE_MAX),
	[OOM_NOTIFY_T_MEM_MEDIUM] = NLA_POLICY_MAX(NLA_U32, OOM_NOTIFY_PERMILLE_MAX),
	[OOM_NOTIFY_T_MEM_CRITICAL] = NLA_POLICY_MAX(NLA_U32, OOM_NOTIFY_PERMILLE_MAX),
	[OOM_NOTIFY_T_SWAP_LOW] = NLA_POLICY_MAX(NLA_U32, OOM_NOTIFY_PERMILLE_MAX),
	[OOM_NOTIFY_T_SWAP_MEDIUM] = NLA_POLICY_MAX(NLA_U32, OOM_NOTIFY_PERMILLE_MAX),
	[OOM_NOTIFY_T_SWAP_CRITICAL] = NLA_POLICY_MAX(NLA_U32, OOM_NOTIFY_PERMILLE_MAX),
	[OOM_NOTIFY_T_HYSTERESIS] = NLA_POLICY_MAX(NLA_U32, OOM_NOTIFY_HYSTERESIS_MAX),
};

/* Requests carry nothing but thresholds; anything else is rejected. */
static const struct nla_policy oom_notify_policy[OOM_NOTIFY_A_MAX + 1] = {
	[OOM_NOTIFY_A_THRESHOLDS] = NLA_POLICY_NESTED(oom_notify_threshold_policy),
};

static int oom_notify_cmd_get_state(struct sk_buff *skb, struct genl_info *info);
static int oom_notify_cmd_set_thresholds(struct sk_buff *skb,
					 struct genl_info *info);
static int oom_notify_dump_processes(struct sk_buff *skb,
				     struct netlink_callback *cb);

static const struct genl_small_ops oom_notify_ops[] = {
	{
		.cmd = OOM_NOTIFY_CMD_GET_STATE,
		.doit = oom_notify_cmd_get_state,
	},
	{
		/* CAP_SYS_ADMIN, checked in the handler */
		.cmd = OOM_NOTIFY_CMD_SET_THRESHOLDS,
		.doit = oom_notify_cmd_set_thresholds,
	},
	{
		/* CAP_SYS_ADMIN, checked in the handler */
		.cmd = OOM_NOTIFY_CMD_GET_PROCESSES,
		.dumpit = oom_notify_dump_processes,
	},
};

static const struct genl_multicast_group oom_notify_mcgrps[] = {
	[OOM_NOTIFY_MCGRP_PRESSURE_ID] = { .name = OOM_NOTIFY_MCGRP_PRESSURE },
	/* Victims' names, users and cgroups are not for everyone. */
	[OOM_NOTIFY_MCGRP_OOM_ID] = {
		.name = OOM_NOTIFY_MCGRP_OOM,
		.flags = GENL_MCAST_CAP_SYS_ADMIN,
	},
};

static struct genl_family oom_notify_family __ro_after_init = {
	.name = OOM_NOTIFY_FAMILY_NAME,
	.version = OOM_NOTIFY_FAMILY_VERSION,
	.maxattr = OOM_NOTIFY_A_MAX,
	.policy = oom_notify_policy,
	.module = THIS_MODULE,
	.small_ops = oom_notify_ops,
	.n_small_ops = ARRAY_SIZE(oom_notify_ops),
	/*
	 * resv_start_op left at 0: every command is strict (reserved header
	 * bytes must be 0, unknown attributes and nests without
	 * NLA_F_NESTED are refused).
	 */
	.mcgrps = oom_notify_mcgrps,
	.n_mcgrps = ARRAY_SIZE(oom_notify_mcgrps),
};

static size_t oom_notify_thresholds_size(void)
{
	return nla_total_size(0) + OOM_NOTIFY_T_MAX * nla_total_size(sizeof(u32));
}

static size_t oom_notify_state_size(void)
{
	return 4 * nla_total_size(sizeof(u32)) +	/* levels, cause, cost */
	       7 * nla_total_size_64bit(sizeof(u64)) +
	       nla_total_size(sizeof(u8)) +		/* thrashing */
	       oom_notify_thresholds_size();
}

static int oom_notify_put_thresholds(struct sk_buff *skb,
				     const struct oom_notify_thresholds *t)
{
	struct nlattr *nest;

	nest = nla_nest_start(skb, OOM_NOTIFY_A_THRESHOLDS);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u32(skb, OOM_NOTIFY_T_MEM_LOW, t->mem[OOM_NOTIFY_LEVEL_LOW]) ||
	    nla_put_u32(skb, OOM_NOTIFY_T_MEM_MEDIUM, t->mem[OOM_NOTIFY_LEVEL_MEDIUM]) ||
	    nla_put_u32(skb, OOM_NOTIFY_T_MEM_CRITICAL, t->mem[OOM_NOTIFY_LEVEL_CRITICAL]) ||
	    nla_put_u32(skb, OOM_NOTIFY_T_SWAP_LOW, t->swap[OOM_NOTIFY_LEVEL_LOW]) ||
	    nla_put_u32(skb, OOM_NOTIFY_T_SWAP_MEDIUM, t->swap[OOM_NOTIFY_LEVEL_MEDIUM]) ||
	    nla_put_u32(skb, OOM_NOTIFY_T_SWAP_CRITICAL, t->swap[OOM_NOTIFY_LEVEL_CRITICAL]) ||
	    nla_put_u32(skb, OOM_NOTIFY_T_HYSTERESIS, t->hysteresis)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

/* The attributes shared by GET_STATE replies and pressure events. */
static int oom_notify_put_state(struct sk_buff *skb,
				const struct oom_notify_snapshot *s, bool event)
{
	if (nla_put_u32(skb, OOM_NOTIFY_A_LEVEL, s->level) ||
	    (event && nla_put_u32(skb, OOM_NOTIFY_A_PREV_LEVEL, s->prev_level)) ||
	    nla_put_u64_64bit(skb, OOM_NOTIFY_A_PRESSURE_SEQ, s->pressure_seq,
			      OOM_NOTIFY_A_PAD) ||
	    (!event && nla_put_u64_64bit(skb, OOM_NOTIFY_A_OOM_SEQ, s->oom_seq,
					 OOM_NOTIFY_A_PAD)) ||
	    nla_put_u64_64bit(skb, OOM_NOTIFY_A_TIMESTAMP_NS, s->timestamp_ns,
			      OOM_NOTIFY_A_PAD) ||
	    nla_put_u32(skb, OOM_NOTIFY_A_CAUSE, s->cause) ||
	    nla_put_u64_64bit(skb, OOM_NOTIFY_A_MEM_TOTAL, s->mem_total,
			      OOM_NOTIFY_A_PAD) ||
	    nla_put_u64_64bit(skb, OOM_NOTIFY_A_MEM_AVAILABLE, s->mem_available,
			      OOM_NOTIFY_A_PAD) ||
	    nla_put_u64_64bit(skb, OOM_NOTIFY_A_SWAP_FREE, s->swap_free,
			      OOM_NOTIFY_A_PAD) ||
	    nla_put_u64_64bit(skb, OOM_NOTIFY_A_SWAP_WORTH, s->swap_worth,
			      OOM_NOTIFY_A_PAD) ||
	    nla_put_u32(skb, OOM_NOTIFY_A_SWAP_COST, s->swap_cost) ||
	    nla_put_u8(skb, OOM_NOTIFY_A_THRASHING, s->thrashing))
		return -EMSGSIZE;
	return oom_notify_put_thresholds(skb, &s->thresholds);
}

static int oom_notify_cmd_get_state(struct sk_buff *skb, struct genl_info *info)
{
	struct oom_notify_snapshot snap;
	struct sk_buff *msg;
	void *hdr;
	int ret;

	oom_notify_get_state(&snap);

	msg = genlmsg_new(oom_notify_state_size(), GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &oom_notify_family, 0,
				OOM_NOTIFY_CMD_GET_STATE);
	if (!hdr) {
		ret = -EMSGSIZE;
		goto err;
	}
	ret = oom_notify_put_state(msg, &snap, false);
	if (ret)
		goto err;
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
err:
	nlmsg_free(msg);
	return ret;
}

static int oom_notify_cmd_set_thresholds(struct sk_buff *skb,
					 struct genl_info *info)
{
	static const struct {
		int attr;
		bool swap;
		enum oom_notify_level level;
	} map[] = {
		{ OOM_NOTIFY_T_MEM_LOW, false, OOM_NOTIFY_LEVEL_LOW },
		{ OOM_NOTIFY_T_MEM_MEDIUM, false, OOM_NOTIFY_LEVEL_MEDIUM },
		{ OOM_NOTIFY_T_MEM_CRITICAL, false, OOM_NOTIFY_LEVEL_CRITICAL },
		{ OOM_NOTIFY_T_SWAP_LOW, true, OOM_NOTIFY_LEVEL_LOW },
		{ OOM_NOTIFY_T_SWAP_MEDIUM, true, OOM_NOTIFY_LEVEL_MEDIUM },
		{ OOM_NOTIFY_T_SWAP_CRITICAL, true, OOM_NOTIFY_LEVEL_CRITICAL },
	};
	struct nlattr *tb[OOM_NOTIFY_T_MAX + 1];
	struct oom_notify_thresholds t = {};
	u32 present = 0;
	int i, ret;

	/* the opener of the socket and the sender, in the initial user ns */
	if (!netlink_capable(skb, CAP_SYS_ADMIN)) {
		NL_SET_ERR_MSG(info->extack, "CAP_SYS_ADMIN needed");
		return -EPERM;
	}
	if (GENL_REQ_ATTR_CHECK(info, OOM_NOTIFY_A_THRESHOLDS)) {
		/* the missing-attribute TLV alone prints as nothing in most tools */
		NL_SET_ERR_MSG(info->extack, "thresholds attribute missing");
		return -EINVAL;
	}
	ret = nla_parse_nested(tb, OOM_NOTIFY_T_MAX,
			       info->attrs[OOM_NOTIFY_A_THRESHOLDS],
			       oom_notify_threshold_policy, info->extack);
	if (ret)
		return ret;

	/* Absent thresholds keep their values; the result is checked whole. */
	for (i = 0; i < ARRAY_SIZE(map); i++) {
		u32 *slot = map[i].swap ? &t.swap[map[i].level] :
					  &t.mem[map[i].level];

		if (tb[map[i].attr]) {
			*slot = nla_get_u32(tb[map[i].attr]);
			present |= BIT(map[i].attr);
		}
	}
	if (tb[OOM_NOTIFY_T_HYSTERESIS]) {
		t.hysteresis = nla_get_u32(tb[OOM_NOTIFY_T_HYSTERESIS]);
		present |= BIT(OOM_NOTIFY_T_HYSTERESIS);
	}
	if (!present) {
		NL_SET_ERR_MSG_ATTR(info->extack,
				    info->attrs[OOM_NOTIFY_A_THRESHOLDS],
				    "no threshold given");
		return -EINVAL;
	}
	return oom_notify_update_thresholds(&t, present, info->extack);
}

/*
 * A thread of @p that has the memory, locked; NULL when none has (exited,
 * or a kernel thread, whose borrowed mm is not its own). The kernel's
 * find_lock_task_mm(), which is not exported.
 */
static struct task_struct *oom_notify_lock_task_mm(struct task_struct *p)
{
	struct task_struct *t;

	if (p->flags & PF_KTHREAD)
		return NULL;
	for_each_thread(p, t) {
		task_lock(t);
		if (likely(t->mm))
			return t;
		task_unlock(t);
	}
	return NULL;
}

/* Called under rcu_read_lock(): @p cannot be freed, only exit. */
static int oom_notify_put_process(struct sk_buff *skb,
				  struct netlink_callback *cb,
				  struct task_struct *p)
{
	struct task_struct *parent, *t;
	char comm[TASK_COMM_LEN];
	struct cgroup *cgrp;
	void *hdr;

	hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			  &oom_notify_family, NLM_F_MULTI,
			  OOM_NOTIFY_CMD_GET_PROCESSES);
	if (!hdr)
		return -EMSGSIZE;

	parent = pid_alive(p) ? rcu_dereference(p->real_parent) : NULL;
	get_task_comm(comm, p);
	if (nla_put_u32(skb, OOM_NOTIFY_A_PROC_PID, task_tgid_nr(p)) ||
	    nla_put_u32(skb, OOM_NOTIFY_A_PROC_PPID,
			parent ? task_tgid_nr(parent) : 0) ||
	    nla_put_u64_64bit(skb, OOM_NOTIFY_A_PROC_START_NS,
			      p->start_boottime, OOM_NOTIFY_A_PAD) ||
	    nla_put_string(skb, OOM_NOTIFY_A_PROC_COMM, comm) ||
	    nla_put_u32(skb, OOM_NOTIFY_A_PROC_UID,
			from_kuid_munged(&init_user_ns, task_uid(p))) ||
	    nla_put_u8(skb, OOM_NOTIFY_A_PROC_STATE, task_state_to_char(p)) ||
	    nla_put_u32(skb, OOM_NOTIFY_A_PROC_FLAGS, READ_ONCE(p->flags)) ||
	    nla_put_s32(skb, OOM_NOTIFY_A_PROC_OOM_SCORE_ADJ,
			READ_ONCE(p->signal->oom_score_adj)) ||
	    nla_put_u64_64bit(skb, OOM_NOTIFY_A_PROC_EXEC_ID,
			      READ_ONCE(p->self_exec_id), OOM_NOTIFY_A_PAD))
		goto cancel;

	cgrp = task_dfl_cgroup(p);
	if (cgrp && nla_put_u64_64bit(skb, OOM_NOTIFY_A_PROC_CGROUP_ID,
				      cgroup_id(cgrp), OOM_NOTIFY_A_PAD))
		goto cancel;

	t = oom_notify_lock_task_mm(p);
	if (t) {
		struct mm_struct *mm = t->mm;
		u64 rss = get_mm_counter(mm, MM_ANONPAGES) +
			  get_mm_counter(mm, MM_FILEPAGES) +
			  get_mm_counter(mm, MM_SHMEMPAGES);
		u64 swap = get_mm_counter(mm, MM_SWAPENTS);
		u64 pgtables = mm_pgtables_bytes(mm);

		task_unlock(t);
		if (nla_put_u64_64bit(skb, OOM_NOTIFY_A_PROC_RSS,
				      rss << PAGE_SHIFT, OOM_NOTIFY_A_PAD) ||
		    nla_put_u64_64bit(skb, OOM_NOTIFY_A_PROC_SWAP,
				      swap << PAGE_SHIFT, OOM_NOTIFY_A_PAD) ||
		    nla_put_u64_64bit(skb, OOM_NOTIFY_A_PROC_PGTABLES, pgtables,
				      OOM_NOTIFY_A_PAD))
			goto cancel;
	}
	genlmsg_end(skb, hdr);
	return 0;
cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

/*
 * One thread group per message, in tgid order like /proc's readdir: the
 * next tgid to look at is kept in cb->args[0], so processes that come and
 * go between two parts of the dump are neither repeated nor skipped.
 * Each part is one skb filled under rcu_read_lock(), a few hundred
 * processes at most: no lock is held between parts.
 */
static int oom_notify_dump_processes(struct sk_buff *skb,
				     struct netlink_callback *cb)
{
	int tgid = cb->args[0];
	struct pid *pid;

	if (!cb->args[1]) {
		/* names, users and cgroups of every process, /proc's hidepid aside */
		if (!netlink_capable(cb->skb, CAP_SYS_ADMIN)) {
			NL_SET_ERR_MSG(cb->extack, "CAP_SYS_ADMIN needed");
			return -EPERM;
		}
		cb->args[1] = 1;
		if (tgid < 1)
			tgid = 1;
	}

	rcu_read_lock();
	for (; (pid = find_ge_pid(tgid, &init_pid_ns)); tgid++) {
		struct task_struct *p = pid_task(pid, PIDTYPE_TGID);

		tgid = pid_nr(pid);
		if (!p)
			continue;	/* a thread's pid, or a process gone */
		if (oom_notify_put_process(skb, cb, p))
			break;		/* full: this tgid opens the next part */
	}
	rcu_read_unlock();
	cb->args[0] = tgid;
	return skb->len;
}

void oom_notify_genl_send_pressure(const struct oom_notify_snapshot *snap)
{
	struct sk_buff *msg;
	void *hdr;

	if (!genl_has_listeners(&oom_notify_family, &init_net,
				OOM_NOTIFY_MCGRP_PRESSURE_ID))
		return;

	msg = genlmsg_new(oom_notify_state_size(), OOM_NOTIFY_GFP);
	if (!msg)
		goto lost;
	hdr = genlmsg_put(msg, 0, 0, &oom_notify_family, 0,
			  OOM_NOTIFY_CMD_PRESSURE_EVENT);
	if (!hdr || oom_notify_put_state(msg, snap, true)) {
		nlmsg_free(msg);
		goto lost;
	}
	genlmsg_end(msg, hdr);
	genlmsg_multicast(&oom_notify_family, msg, 0,
			  OOM_NOTIFY_MCGRP_PRESSURE_ID, OOM_NOTIFY_GFP);
	return;
lost:
	pr_warn_ratelimited("could not send pressure event %llu\n", snap->pressure_seq);
}

static size_t oom_notify_oom_size(size_t path_len)
{
	return 6 * nla_total_size(sizeof(u32)) +
	       9 * nla_total_size_64bit(sizeof(u64)) +
	       nla_total_size(TASK_COMM_LEN) + nla_total_size(path_len + 1);
}

static int oom_notify_put_victim(struct sk_buff *skb,
				 const struct oom_notify_victim *v,
				 enum oom_notify_level level, const char *path)
{
	if (nla_put_u64_64bit(skb, OOM_NOTIFY_A_OOM_SEQ, v->oom_seq,
			      OOM_NOTIFY_A_PAD) ||
	    nla_put_u64_64bit(skb, OOM_NOTIFY_A_TIMESTAMP_NS, v->timestamp_ns,
			      OOM_NOTIFY_A_PAD) ||
	    nla_put_u32(skb, OOM_NOTIFY_A_LEVEL, level) ||
	    nla_put_u32(skb, OOM_NOTIFY_A_OOM_PID, v->pid) ||
	    nla_put_u32(skb, OOM_NOTIFY_A_OOM_TID, v->tid) ||
	    nla_put_string(skb, OOM_NOTIFY_A_OOM_COMM, v->comm) ||
	    nla_put_u32(skb, OOM_NOTIFY_A_OOM_UID, v->uid) ||
	    nla_put_s32(skb, OOM_NOTIFY_A_OOM_SCORE_ADJ, v->oom_score_adj) ||
	    nla_put_u64_64bit(skb, OOM_NOTIFY_A_OOM_TOTAL_VM, v->total_vm,
			      OOM_NOTIFY_A_PAD) ||
	    nla_put_u64_64bit(skb, OOM_NOTIFY_A_OOM_ANON_RSS, v->anon_rss,
			      OOM_NOTIFY_A_PAD) ||
	    nla_put_u64_64bit(skb, OOM_NOTIFY_A_OOM_FILE_RSS, v->file_rss,
			      OOM_NOTIFY_A_PAD) ||
	    nla_put_u64_64bit(skb, OOM_NOTIFY_A_OOM_SHMEM_RSS, v->shmem_rss,
			      OOM_NOTIFY_A_PAD) ||
	    nla_put_u64_64bit(skb, OOM_NOTIFY_A_OOM_PGTABLES, v->pgtables,
			      OOM_NOTIFY_A_PAD) ||
	    nla_put_u32(skb, OOM_NOTIFY_A_OOM_LOST, v->lost))
		return -EMSGSIZE;

	if (v->cgrp && nla_put_u64_64bit(skb, OOM_NOTIFY_A_OOM_CGROUP_ID,
					 v->cgroup_id, OOM_NOTIFY_A_PAD))
		return -EMSGSIZE;
	if (path && nla_put_string(skb, OOM_NOTIFY_A_OOM_CGROUP, path))
		return -EMSGSIZE;
	return 0;
}

int oom_notify_genl_send_oom(const struct oom_notify_victim *v,
			     enum oom_notify_level level)
{
	const char *path = NULL;
	struct sk_buff *msg;
	void *hdr;
	int ret;

	if (!genl_has_listeners(&oom_notify_family, &init_net,
				OOM_NOTIFY_MCGRP_OOM_ID))
		return 0;

	/*
	 * Right after an OOM kill memory is at its scarcest: the path goes in
	 * a buffer taken at load time, and the message is sized for it.
	 * The path is best effort: the cgroup may be going away.
	 */
	if (v->cgrp && cgroup_path(v->cgrp, oom_notify_path_buf, PATH_MAX) > 0)
		path = oom_notify_path_buf;
	msg = genlmsg_new(oom_notify_oom_size(path ? strlen(path) : 0),
			  OOM_NOTIFY_GFP);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put(msg, 0, 0, &oom_notify_family, 0,
			  OOM_NOTIFY_CMD_OOM_EVENT);
	if (!hdr) {
		ret = -EMSGSIZE;
		goto err;
	}
	ret = oom_notify_put_victim(msg, v, level, path);
	if (ret)
		goto err;
	genlmsg_end(msg, hdr);
	ret = genlmsg_multicast(&oom_notify_family, msg, 0,
				OOM_NOTIFY_MCGRP_OOM_ID, OOM_NOTIFY_GFP);
	if (ret == -ESRCH)	/* the last listener just left */
		ret = 0;
	return ret;
err:
	nlmsg_free(msg);
	return ret;
}

int __init oom_notify_genl_init(void)
{
	int ret;

	oom_notify_path_buf = kmalloc(PATH_MAX, GFP_KERNEL);
	if (!oom_notify_path_buf)
		return -ENOMEM;
	ret = genl_register_family(&oom_notify_family);
	if (ret)
		kfree(oom_notify_path_buf);
	return ret;
}

void oom_notify_genl_exit(void)
{
	genl_unregister_family(&oom_notify_family);
	kfree(oom_notify_path_buf);
}

MODULE_ALIAS_GENL_FAMILY(OOM_NOTIFY_FAMILY_NAME);
