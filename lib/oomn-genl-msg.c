/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The oom_notify family's messages, without a socket: the attribute
 * policies, the parsers of replies, events, dump parts, acks and the genl
 * controller's family messages, and the builder of the thresholds nest.
 * Everything here works on messages in memory (the unit tests and the fuzzer
 * build them); oomn-genl.c sends and receives them.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <linux/oom.h>
#include <netlink/attr.h>
#include <netlink/errno.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include "oomn-genl-msg.h"
#include "oomn-macro.h"

/* ---- errors and names ------------------------------------------------- */

int oomn_errno_from_nle(int nle)
{
	switch (abs(nle)) {
	case NLE_SUCCESS:
		return 0;
	case NLE_INTR:
		return -EINTR;
	case NLE_BAD_SOCK:
		return -EBADF;
	case NLE_AGAIN:
		return -EAGAIN;
	case NLE_NOMEM:
		return -ENOMEM;
	case NLE_EXIST:
		return -EEXIST;
	case NLE_INVAL:
	case NLE_OBJ_MISMATCH:
		return -EINVAL;
	case NLE_RANGE:
		return -ERANGE;
	case NLE_MSGSIZE:
		return -EMSGSIZE;
	case NLE_OPNOTSUPP:
	case NLE_SRCRT_NOSUPPORT:
	case NLE_MSGTYPE_NOSUPPORT:
		return -EOPNOTSUPP;
	case NLE_AF_NOSUPPORT:
	case NLE_AF_MISMATCH:
		return -EAFNOSUPPORT;
	case NLE_OBJ_NOTFOUND:
	case NLE_NOCACHE:
	case NLE_PKTLOC_FILE:
		return -ENOENT;
	case NLE_NOATTR:
		return -ENODATA;
	case NLE_SEQ_MISMATCH:
		return -EILSEQ;
	case NLE_MSG_OVERFLOW:
		return -EOVERFLOW;
	case NLE_MISSING_ATTR:
	case NLE_MSG_TRUNC:
	case NLE_MSG_TOOSHORT:
	case NLE_PARSE_ERR:
	case NLE_ATTRSIZE:
		return -EBADMSG;
	case NLE_NOADDR:
		return -EADDRNOTAVAIL;
	case NLE_BUSY:
		return -EBUSY;
	case NLE_PROTO_MISMATCH:
		return -EPROTONOSUPPORT;
	case NLE_NOACCESS:
		return -EACCES;
	case NLE_PERM:
	case NLE_IMMUTABLE:
		return -EPERM;
	case NLE_NODEV:
		return -ENODEV;
	case NLE_DUMP_INTR:
		return -EINTR;
	default:
		return -EIO;
	}
}

const char *oomn_cause_to_string(uint32_t cause)
{
	static const char *const names[] = {
		[OOM_NOTIFY_CAUSE_UNSPEC] = "unspec",
		[OOM_NOTIFY_CAUSE_ALLOC] = "alloc",
		[OOM_NOTIFY_CAUSE_FREE] = "free",
		[OOM_NOTIFY_CAUSE_RECLAIM] = "reclaim",
		[OOM_NOTIFY_CAUSE_TIMER] = "timer",
		[OOM_NOTIFY_CAUSE_THRESHOLDS] = "thresholds",
		[OOM_NOTIFY_CAUSE_OOM_KILL] = "oom-kill",
		[OOM_NOTIFY_CAUSE_QUERY] = "query",
		[OOM_NOTIFY_CAUSE_THRASHING] = "thrashing",
	};

	/* A newer module may add causes; they are not an error. */
	if (cause >= ELEMENTSOF(names) || !names[cause])
		return "unknown";
	return names[cause];
}

/* ---- parsing ---------------------------------------------------------- */

#define OOMN_POLICY_U8 { .type = NLA_U8, .minlen = 1, .maxlen = 1 }
#define OOMN_POLICY_U16 { .type = NLA_U16, .minlen = 2, .maxlen = 2 }
#define OOMN_POLICY_U32 { .type = NLA_U32, .minlen = 4, .maxlen = 4 }
#define OOMN_POLICY_S32 { .type = NLA_S32, .minlen = 4, .maxlen = 4 }
#define OOMN_POLICY_U64 { .type = NLA_U64, .minlen = 8, .maxlen = 8 }

/* One attribute space for replies and both events. Exact sizes: libnl
 * checks only a minimum unless told a maximum. */
static const struct nla_policy oomn_attr_policy[OOM_NOTIFY_A_MAX + 1] = {
	[OOM_NOTIFY_A_LEVEL] = OOMN_POLICY_U32,
	[OOM_NOTIFY_A_PREV_LEVEL] = OOMN_POLICY_U32,
	[OOM_NOTIFY_A_PRESSURE_SEQ] = OOMN_POLICY_U64,
	[OOM_NOTIFY_A_OOM_SEQ] = OOMN_POLICY_U64,
	[OOM_NOTIFY_A_TIMESTAMP_NS] = OOMN_POLICY_U64,
	[OOM_NOTIFY_A_CAUSE] = OOMN_POLICY_U32,
	[OOM_NOTIFY_A_MEM_TOTAL] = OOMN_POLICY_U64,
	[OOM_NOTIFY_A_MEM_AVAILABLE] = OOMN_POLICY_U64,
	[OOM_NOTIFY_A_SWAP_FREE] = OOMN_POLICY_U64,
	[OOM_NOTIFY_A_THRESHOLDS] = { .type = NLA_NESTED },
	[OOM_NOTIFY_A_OOM_PID] = OOMN_POLICY_U32,
	[OOM_NOTIFY_A_OOM_TID] = OOMN_POLICY_U32,
	[OOM_NOTIFY_A_OOM_COMM] = { .type = NLA_STRING, .maxlen = OOMN_COMM_LEN + 1 },
	[OOM_NOTIFY_A_OOM_UID] = OOMN_POLICY_U32,
	[OOM_NOTIFY_A_OOM_SCORE_ADJ] = OOMN_POLICY_S32,
	[OOM_NOTIFY_A_OOM_TOTAL_VM] = OOMN_POLICY_U64,
	[OOM_NOTIFY_A_OOM_ANON_RSS] = OOMN_POLICY_U64,
	[OOM_NOTIFY_A_OOM_FILE_RSS] = OOMN_POLICY_U64,
	[OOM_NOTIFY_A_OOM_SHMEM_RSS] = OOMN_POLICY_U64,
	[OOM_NOTIFY_A_OOM_PGTABLES] = OOMN_POLICY_U64,
	[OOM_NOTIFY_A_OOM_CGROUP_ID] = OOMN_POLICY_U64,
	[OOM_NOTIFY_A_OOM_CGROUP] = { .type = NLA_STRING, .maxlen = PATH_MAX },
	[OOM_NOTIFY_A_OOM_LOST] = OOMN_POLICY_U32,
	[OOM_NOTIFY_A_SWAP_WORTH] = OOMN_POLICY_U64,
	[OOM_NOTIFY_A_SWAP_COST] = OOMN_POLICY_U32,
	[OOM_NOTIFY_A_THRASHING] = OOMN_POLICY_U8,
	[OOM_NOTIFY_A_PROC_PID] = OOMN_POLICY_U32,
	[OOM_NOTIFY_A_PROC_PPID] = OOMN_POLICY_U32,
	[OOM_NOTIFY_A_PROC_START_NS] = OOMN_POLICY_U64,
	[OOM_NOTIFY_A_PROC_COMM] = { .type = NLA_STRING, .maxlen = OOMN_COMM_LEN + 1 },
	[OOM_NOTIFY_A_PROC_UID] = OOMN_POLICY_U32,
	[OOM_NOTIFY_A_PROC_STATE] = OOMN_POLICY_U8,
	[OOM_NOTIFY_A_PROC_FLAGS] = OOMN_POLICY_U32,
	[OOM_NOTIFY_A_PROC_OOM_SCORE_ADJ] = OOMN_POLICY_S32,
	[OOM_NOTIFY_A_PROC_RSS] = OOMN_POLICY_U64,
	[OOM_NOTIFY_A_PROC_SWAP] = OOMN_POLICY_U64,
	[OOM_NOTIFY_A_PROC_PGTABLES] = OOMN_POLICY_U64,
	[OOM_NOTIFY_A_PROC_CGROUP_ID] = OOMN_POLICY_U64,
	[OOM_NOTIFY_A_PROC_EXEC_ID] = OOMN_POLICY_U64,
};


static const struct nla_policy oomn_threshold_policy[OOM_NOTIFY_T_MAX + 1] = {
	[OOM_NOTIFY_T_MEM_LOW] = OOMN_POLICY_U32,
	[OOM_NOTIFY_T_MEM_MEDIUM] = OOMN_POLICY_U32,
	[OOM_NOTIFY_T_MEM_CRITICAL] = OOMN_POLICY_U32,
	[OOM_NOTIFY_T_SWAP_LOW] = OOMN_POLICY_U32,
	[OOM_NOTIFY_T_SWAP_MEDIUM] = OOMN_POLICY_U32,
	[OOM_NOTIFY_T_SWAP_CRITICAL] = OOMN_POLICY_U32,
	[OOM_NOTIFY_T_HYSTERESIS] = OOMN_POLICY_U32,
};

static const struct nla_policy oomn_ctrl_policy[CTRL_ATTR_MAX + 1] = {
	[CTRL_ATTR_FAMILY_ID] = OOMN_POLICY_U16,
	[CTRL_ATTR_FAMILY_NAME] = { .type = NLA_STRING, .maxlen = GENL_NAMSIZ },
	[CTRL_ATTR_VERSION] = OOMN_POLICY_U32,
	[CTRL_ATTR_HDRSIZE] = OOMN_POLICY_U32,
	[CTRL_ATTR_MAXATTR] = OOMN_POLICY_U32,
	[CTRL_ATTR_OPS] = { .type = NLA_NESTED },
	[CTRL_ATTR_MCAST_GROUPS] = { .type = NLA_NESTED },
};

static const struct nla_policy oomn_ctrl_grp_policy[CTRL_ATTR_MCAST_GRP_MAX + 1] = {
	[CTRL_ATTR_MCAST_GRP_NAME] = { .type = NLA_STRING, .maxlen = GENL_NAMSIZ },
	[CTRL_ATTR_MCAST_GRP_ID] = OOMN_POLICY_U32,
};

static const struct nla_policy oomn_ack_policy[NLMSGERR_ATTR_MAX + 1] = {
	[NLMSGERR_ATTR_MSG] = { .type = NLA_STRING },
	[NLMSGERR_ATTR_OFFS] = OOMN_POLICY_U32,
};

/* libnl's nla_parse() stops quietly at a truncated attribute; we do not
 * want the attributes after it to vanish silently. */
static bool oomn_nla_has_leftover(struct nlattr *head, int len)
{
	struct nlattr *a;
	int rem;

	nla_for_each_attr(a, head, len, rem) {
	}
	return rem > 0;
}

static int oomn_nla_parse(struct nlattr **tb, int maxtype, struct nlattr *head,
			  int len, const struct nla_policy *policy)
{
	if (nla_parse(tb, maxtype, head, len, policy) < 0)
		return -EBADMSG;
	if (oomn_nla_has_leftover(head, len))
		return -EBADMSG;
	return 0;
}

/* Checks the genl header and parses the attributes; any command if cmd < 0. */
static int oomn_genl_parse_attrs(struct nlmsghdr *nlh, int cmd, struct nlattr **tb,
				 int maxtype, const struct nla_policy *policy)
{
	struct genlmsghdr *gnlh;

	if (!genlmsg_valid_hdr(nlh, 0))
		return -EBADMSG;
	gnlh = nlmsg_data(nlh);
	if (cmd >= 0 && gnlh->cmd != cmd)
		return -EBADMSG;
	return oomn_nla_parse(tb, maxtype, genlmsg_attrdata(gnlh, 0),
			      genlmsg_attrlen(gnlh, 0), policy);
}

static uint32_t *oomn_threshold_field(struct oom_notify_thresholds *t, int which)
{
	switch (which) {
	case OOM_NOTIFY_T_MEM_LOW:
		return &t->mem[OOM_NOTIFY_LEVEL_LOW];
	case OOM_NOTIFY_T_MEM_MEDIUM:
		return &t->mem[OOM_NOTIFY_LEVEL_MEDIUM];
	case OOM_NOTIFY_T_MEM_CRITICAL:
		return &t->mem[OOM_NOTIFY_LEVEL_CRITICAL];
	case OOM_NOTIFY_T_SWAP_LOW:
		return &t->swap[OOM_NOTIFY_LEVEL_LOW];
	case OOM_NOTIFY_T_SWAP_MEDIUM:
		return &t->swap[OOM_NOTIFY_LEVEL_MEDIUM];
	case OOM_NOTIFY_T_SWAP_CRITICAL:
		return &t->swap[OOM_NOTIFY_LEVEL_CRITICAL];
	case OOM_NOTIFY_T_HYSTERESIS:
		return &t->hysteresis;
	default:
		return NULL;
	}
}

/* The kernel reports its whole scale; a partial one is not what it sent. */
static int oomn_genl_parse_thresholds(struct nlattr *nest,
				      struct oom_notify_thresholds *ret)
{
	struct nlattr *tb[OOM_NOTIFY_T_MAX + 1];
	struct oom_notify_thresholds t = {};
	int r;

	r = oomn_nla_parse(tb, OOM_NOTIFY_T_MAX, nla_data(nest), nla_len(nest),
			   oomn_threshold_policy);
	if (r < 0)
		return r;

	for (int i = OOM_NOTIFY_T_MEM_LOW; i <= OOM_NOTIFY_T_MAX; i++) {
		if (!tb[i])
			return -EBADMSG;
		*oomn_threshold_field(&t, i) = nla_get_u32(tb[i]);
	}
	*ret = t;
	return 0;
}

static int oomn_get_level(struct nlattr *a, enum oom_notify_level *ret)
{
	uint32_t v = nla_get_u32(a);

	if (v > OOM_NOTIFY_LEVEL_MAX)
		return -EBADMSG;
	*ret = v;
	return 0;
}

static uint64_t oomn_get_u64(struct nlattr *a)
{
	return a ? nla_get_u64(a) : 0;
}

static uint32_t oomn_get_u32(struct nlattr *a)
{
	return a ? nla_get_u32(a) : 0;
}

/* 0 when absent; -EBADMSG outside OOM_SCORE_ADJ_MIN..MAX. */
static int oomn_get_score_adj(struct nlattr *a, int32_t *ret)
{
	int32_t adj = a ? nla_get_s32(a) : 0;

	if (adj < OOM_SCORE_ADJ_MIN || adj > OOM_SCORE_ADJ_MAX)
		return -EBADMSG;
	*ret = adj;
	return 0;
}

/*
 * The memory figures the state and a pressure event both carry. A module
 * from before swap worth: free swap counted whole, as it did.
 */
static void oomn_get_memory(struct nlattr **tb, uint64_t *mem_total, uint64_t *mem_available,
			    uint64_t *swap_free, uint64_t *worth, uint32_t *cost, bool *thrashing)
{
	*mem_total = oomn_get_u64(tb[OOM_NOTIFY_A_MEM_TOTAL]);
	*mem_available = oomn_get_u64(tb[OOM_NOTIFY_A_MEM_AVAILABLE]);
	*swap_free = oomn_get_u64(tb[OOM_NOTIFY_A_SWAP_FREE]);
	*worth =
		tb[OOM_NOTIFY_A_SWAP_WORTH] ? nla_get_u64(tb[OOM_NOTIFY_A_SWAP_WORTH]) : *swap_free;
	*cost = oomn_get_u32(tb[OOM_NOTIFY_A_SWAP_COST]);
	*thrashing = tb[OOM_NOTIFY_A_THRASHING] && nla_get_u8(tb[OOM_NOTIFY_A_THRASHING]);
}

/* The thresholds, if the message has them (then all seven). */
static int oomn_get_thresholds(struct nlattr **tb, struct oom_notify_thresholds *ret, bool *ret_has)
{
	int r;

	if (!tb[OOM_NOTIFY_A_THRESHOLDS])
		return 0;
	r = oomn_genl_parse_thresholds(tb[OOM_NOTIFY_A_THRESHOLDS], ret);
	if (r < 0)
		return r;
	*ret_has = true;
	return 0;
}

int oomn_genl_parse_state(struct nlmsghdr *nlh, struct oomn_state *ret)
{
	struct nlattr *tb[OOM_NOTIFY_A_MAX + 1];
	struct oomn_state s = {};
	int r;

	r = oomn_genl_parse_attrs(nlh, OOM_NOTIFY_CMD_GET_STATE, tb,
				  OOM_NOTIFY_A_MAX, oomn_attr_policy);
	if (r < 0)
		return r;
	if (!tb[OOM_NOTIFY_A_LEVEL] || !tb[OOM_NOTIFY_A_PRESSURE_SEQ])
		return -EBADMSG;

	r = oomn_get_level(tb[OOM_NOTIFY_A_LEVEL], &s.level);
	if (r < 0)
		return r;
	r = oomn_get_thresholds(tb, &s.thresholds, &s.has_thresholds);
	if (r < 0)
		return r;
	s.pressure_seq = nla_get_u64(tb[OOM_NOTIFY_A_PRESSURE_SEQ]);
	s.oom_seq = oomn_get_u64(tb[OOM_NOTIFY_A_OOM_SEQ]);
	s.timestamp_ns = oomn_get_u64(tb[OOM_NOTIFY_A_TIMESTAMP_NS]);
	s.cause = oomn_get_u32(tb[OOM_NOTIFY_A_CAUSE]);
	oomn_get_memory(tb, &s.mem_total, &s.mem_available, &s.swap_free, &s.swap_worth,
			&s.swap_cost_permille, &s.thrashing);

	*ret = s;
	return 0;
}

int oomn_genl_parse_pressure(struct nlmsghdr *nlh, struct oomn_pressure_event *ret)
{
	struct nlattr *tb[OOM_NOTIFY_A_MAX + 1];
	struct oomn_pressure_event e = {};
	int r;

	r = oomn_genl_parse_attrs(nlh, OOM_NOTIFY_CMD_PRESSURE_EVENT, tb,
				  OOM_NOTIFY_A_MAX, oomn_attr_policy);
	if (r < 0)
		return r;
	if (!tb[OOM_NOTIFY_A_LEVEL] || !tb[OOM_NOTIFY_A_PREV_LEVEL] ||
	    !tb[OOM_NOTIFY_A_PRESSURE_SEQ])
		return -EBADMSG;

	r = oomn_get_level(tb[OOM_NOTIFY_A_LEVEL], &e.level);
	if (r < 0)
		return r;
	r = oomn_get_level(tb[OOM_NOTIFY_A_PREV_LEVEL], &e.prev_level);
	if (r < 0)
		return r;
	/* Events count from 1; 0 would defeat the gap check. */
	e.pressure_seq = nla_get_u64(tb[OOM_NOTIFY_A_PRESSURE_SEQ]);
	if (e.pressure_seq == 0)
		return -EBADMSG;
	r = oomn_get_thresholds(tb, &e.thresholds, &e.has_thresholds);
	if (r < 0)
		return r;
	e.timestamp_ns = oomn_get_u64(tb[OOM_NOTIFY_A_TIMESTAMP_NS]);
	e.cause = oomn_get_u32(tb[OOM_NOTIFY_A_CAUSE]);
	oomn_get_memory(tb, &e.mem_total, &e.mem_available, &e.swap_free, &e.swap_worth,
			&e.swap_cost_permille, &e.thrashing);

	*ret = e;
	return 0;
}

int oomn_genl_parse_oom(struct nlmsghdr *nlh, struct oomn_oom_event *ret)
{
	struct nlattr *tb[OOM_NOTIFY_A_MAX + 1];
	enum oom_notify_level level = OOM_NOTIFY_LEVEL_NORMAL;
	int32_t adj;
	int r;

	r = oomn_genl_parse_attrs(nlh, OOM_NOTIFY_CMD_OOM_EVENT, tb,
				  OOM_NOTIFY_A_MAX, oomn_attr_policy);
	if (r < 0)
		return r;
	if (!tb[OOM_NOTIFY_A_OOM_SEQ] || !tb[OOM_NOTIFY_A_OOM_PID])
		return -EBADMSG;
	if (nla_get_u64(tb[OOM_NOTIFY_A_OOM_SEQ]) == 0)
		return -EBADMSG;
	r = oomn_get_score_adj(tb[OOM_NOTIFY_A_OOM_SCORE_ADJ], &adj);
	if (r < 0)
		return r;
	if (tb[OOM_NOTIFY_A_LEVEL]) {
		r = oomn_get_level(tb[OOM_NOTIFY_A_LEVEL], &level);
		if (r < 0)
			return r;
	}

	/* All checks are done: only now is *ret (4 KiB) written. */
	memset(ret, 0, sizeof(*ret));
	ret->level = level;
	ret->oom_seq = nla_get_u64(tb[OOM_NOTIFY_A_OOM_SEQ]);
	ret->timestamp_ns = oomn_get_u64(tb[OOM_NOTIFY_A_TIMESTAMP_NS]);
	ret->pid = nla_get_u32(tb[OOM_NOTIFY_A_OOM_PID]);
	ret->tid = oomn_get_u32(tb[OOM_NOTIFY_A_OOM_TID]);
	ret->uid = oomn_get_u32(tb[OOM_NOTIFY_A_OOM_UID]);
	ret->oom_score_adj = adj;
	ret->total_vm = oomn_get_u64(tb[OOM_NOTIFY_A_OOM_TOTAL_VM]);
	ret->anon_rss = oomn_get_u64(tb[OOM_NOTIFY_A_OOM_ANON_RSS]);
	ret->file_rss = oomn_get_u64(tb[OOM_NOTIFY_A_OOM_FILE_RSS]);
	ret->shmem_rss = oomn_get_u64(tb[OOM_NOTIFY_A_OOM_SHMEM_RSS]);
	ret->pgtables = oomn_get_u64(tb[OOM_NOTIFY_A_OOM_PGTABLES]);
	ret->cgroup_id = oomn_get_u64(tb[OOM_NOTIFY_A_OOM_CGROUP_ID]);
	ret->lost = oomn_get_u32(tb[OOM_NOTIFY_A_OOM_LOST]);
	/* The policy bounds both strings and checks their NUL. */
	if (tb[OOM_NOTIFY_A_OOM_COMM])
		nla_strlcpy(ret->comm, tb[OOM_NOTIFY_A_OOM_COMM], sizeof(ret->comm));
	if (tb[OOM_NOTIFY_A_OOM_CGROUP])
		nla_strlcpy(ret->cgroup, tb[OOM_NOTIFY_A_OOM_CGROUP], sizeof(ret->cgroup));
	return 0;
}

int oomn_genl_parse_proc(struct nlmsghdr *nlh, struct oomn_proc *ret)
{
	struct nlattr *tb[OOM_NOTIFY_A_MAX + 1];
	struct oomn_proc p = {};
	int r;

	r = oomn_genl_parse_attrs(nlh, OOM_NOTIFY_CMD_GET_PROCESSES, tb,
				  OOM_NOTIFY_A_MAX, oomn_attr_policy);
	if (r < 0)
		return r;
	if (!tb[OOM_NOTIFY_A_PROC_PID] || !tb[OOM_NOTIFY_A_PROC_START_NS] ||
	    !tb[OOM_NOTIFY_A_PROC_COMM])
		return -EBADMSG;
	p.pid = nla_get_u32(tb[OOM_NOTIFY_A_PROC_PID]);
	if (p.pid == 0)
		return -EBADMSG;
	r = oomn_get_score_adj(tb[OOM_NOTIFY_A_PROC_OOM_SCORE_ADJ], &p.oom_score_adj);
	if (r < 0)
		return r;

	p.ppid = oomn_get_u32(tb[OOM_NOTIFY_A_PROC_PPID]);
	p.start_ns = nla_get_u64(tb[OOM_NOTIFY_A_PROC_START_NS]);
	/* The policy bounds the string and checks its NUL. */
	nla_strlcpy(p.comm, tb[OOM_NOTIFY_A_PROC_COMM], sizeof(p.comm));
	p.uid = oomn_get_u32(tb[OOM_NOTIFY_A_PROC_UID]);
	p.state = tb[OOM_NOTIFY_A_PROC_STATE] ? (char)nla_get_u8(tb[OOM_NOTIFY_A_PROC_STATE]) : 0;
	p.flags = oomn_get_u32(tb[OOM_NOTIFY_A_PROC_FLAGS]);
	p.has_mm = tb[OOM_NOTIFY_A_PROC_RSS] != NULL;
	p.rss = oomn_get_u64(tb[OOM_NOTIFY_A_PROC_RSS]);
	p.swap = oomn_get_u64(tb[OOM_NOTIFY_A_PROC_SWAP]);
	p.pgtables = oomn_get_u64(tb[OOM_NOTIFY_A_PROC_PGTABLES]);
	p.cgroup_id = oomn_get_u64(tb[OOM_NOTIFY_A_PROC_CGROUP_ID]);
	p.exec_id = oomn_get_u64(tb[OOM_NOTIFY_A_PROC_EXEC_ID]);

	*ret = p;
	return 0;
}

int oomn_genl_parse_family(struct nlmsghdr *nlh, struct oomn_genl_family *ret)
{
	struct nlattr *tb[CTRL_ATTR_MAX + 1], *grp;
	struct oomn_genl_family f = {};
	int r, rem;

	r = oomn_genl_parse_attrs(nlh, -1, tb, CTRL_ATTR_MAX, oomn_ctrl_policy);
	if (r < 0)
		return r;
	if (!tb[CTRL_ATTR_FAMILY_ID] || !tb[CTRL_ATTR_FAMILY_NAME])
		return -EBADMSG;

	f.id = nla_get_u16(tb[CTRL_ATTR_FAMILY_ID]);
	nla_strlcpy(f.name, tb[CTRL_ATTR_FAMILY_NAME], sizeof(f.name));
	f.version = oomn_get_u32(tb[CTRL_ATTR_VERSION]);

	if (tb[CTRL_ATTR_MCAST_GROUPS]) {
		if (oomn_nla_has_leftover(nla_data(tb[CTRL_ATTR_MCAST_GROUPS]),
					  nla_len(tb[CTRL_ATTR_MCAST_GROUPS])))
			return -EBADMSG;

		nla_for_each_nested(grp, tb[CTRL_ATTR_MCAST_GROUPS], rem) {
			struct nlattr *gtb[CTRL_ATTR_MCAST_GRP_MAX + 1];

			r = oomn_nla_parse(gtb, CTRL_ATTR_MCAST_GRP_MAX, nla_data(grp),
					   nla_len(grp), oomn_ctrl_grp_policy);
			if (r < 0)
				return r;
			if (!gtb[CTRL_ATTR_MCAST_GRP_NAME] || !gtb[CTRL_ATTR_MCAST_GRP_ID])
				return -EBADMSG;
			if (f.n_groups >= ELEMENTSOF(f.groups))
				continue;
			nla_strlcpy(f.groups[f.n_groups].name, gtb[CTRL_ATTR_MCAST_GRP_NAME],
				    sizeof(f.groups[f.n_groups].name));
			f.groups[f.n_groups].id = nla_get_u32(gtb[CTRL_ATTR_MCAST_GRP_ID]);
			f.n_groups++;
		}
	}

	*ret = f;
	return 0;
}

uint32_t oomn_genl_family_group(const struct oomn_genl_family *f, const char *name)
{
	for (size_t i = 0; i < f->n_groups; i++)
		if (strcmp(f->groups[i].name, name) == 0)
			return f->groups[i].id;
	return 0;
}

int oomn_genl_parse_ack(const struct nlmsghdr *nlh, int *ret_error, char **ret_msg)
{
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	const struct nlmsgerr *e;
	size_t payload, hlen;
	char *msg = NULL;
	int r;

	if (nlh->nlmsg_type != NLMSG_ERROR || nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
		return -EBADMSG;
	e = NLMSG_DATA(nlh);
	if (e->error > 0 || e->error < -4095)
		return -EBADMSG;

	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
		payload = nlh->nlmsg_len - NLMSG_HDRLEN;
		/* The TLVs follow the echoed request unless it was capped. */
		hlen = sizeof(*e);
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) {
			if (e->msg.nlmsg_len < NLMSG_HDRLEN)
				return -EBADMSG;
			hlen += e->msg.nlmsg_len - NLMSG_HDRLEN;
		}
		hlen = NLMSG_ALIGN(hlen);
		if (hlen > payload)
			return -EBADMSG;

		r = oomn_nla_parse(tb, NLMSGERR_ATTR_MAX,
				   (struct nlattr *)((uint8_t *)NLMSG_DATA(nlh) + hlen),
				   payload - hlen, oomn_ack_policy);
		if (r < 0)
			return r;
		if (tb[NLMSGERR_ATTR_MSG] && ret_msg) {
			msg = strdup(nla_get_string(tb[NLMSGERR_ATTR_MSG]));
			if (!msg)
				return -ENOMEM;
		}
	}

	*ret_error = e->error;
	if (ret_msg)
		*ret_msg = msg;
	return 0;
}

int oomn_genl_parse_done(const struct nlmsghdr *nlh, int *ret_error)
{
	int error = 0;

	if (nlh->nlmsg_type != NLMSG_DONE || nlh->nlmsg_len < NLMSG_HDRLEN)
		return -EBADMSG;
	/* netlink_dump() always sends the int; a bare header means no error. */
	if (nlh->nlmsg_len > NLMSG_HDRLEN) {
		if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(error)))
			return -EBADMSG;
		memcpy(&error, NLMSG_DATA(nlh), sizeof(error));
		if (error > 0 || error < -4095)
			return -EBADMSG;
	}
	*ret_error = error;
	return 0;
}

/* ---- building --------------------------------------------------------- */

int oomn_thresholds_update_set(struct oomn_thresholds_update *u,
			       enum oom_notify_threshold which, uint32_t value)
{
	uint32_t *field = oomn_threshold_field(&u->t, which);

	if (!field)
		return -EINVAL;
	*field = value;
	u->mask |= OOMN_T_BIT(which);
	return 0;
}

int oomn_genl_put_thresholds(struct nl_msg *msg, const struct oomn_thresholds_update *u)
{
	struct oom_notify_thresholds t = u->t;
	struct nlattr *nest;

	if (u->mask == 0 || (u->mask & ~OOMN_T_MASK_ALL))
		return -EINVAL;

	nest = nla_nest_start(msg, OOM_NOTIFY_A_THRESHOLDS);
	if (!nest)
		return -EMSGSIZE;
	for (int i = OOM_NOTIFY_T_MEM_LOW; i <= OOM_NOTIFY_T_MAX; i++) {
		if (!(u->mask & OOMN_T_BIT(i)))
			continue;
		if (nla_put_u32(msg, i, *oomn_threshold_field(&t, i)) < 0) {
			nla_nest_cancel(msg, nest);
			return -EMSGSIZE;
		}
	}
	nla_nest_end(msg, nest);
	return 0;
}
