/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Modelled on libthermal and iw's event.c: the family and its groups are
 * resolved by name through the genl controller, requests go out on a
 * blocking command socket, events come in on a second socket with sequence
 * checks off. The event socket is read with recvmsg() directly rather than
 * nl_recvmsgs(): libnl reports ENOBUFS as NLE_NOMEM, and an overflow must not
 * look like an allocation failure.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <linux/oom.h>
#include <netlink/attr.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/handlers.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include "oomn-genl.h"
#include "oomn-macro.h"
#include "oomn-seq.h"

/* The kernel answers requests at once; this only bounds a hung module. */
#define OOMN_GENL_TIMEOUT_SEC 5
/* Room for a burst of events while the daemon is busy. */
#define OOMN_GENL_RCVBUF (1024 * 1024)
/* Far more than one event (a cgroup path is at most PATH_MAX). */
/* the command socket's read buffer: the largest dump part netlink builds */
#define OOMN_GENL_CMD_BUF 32768
#define OOMN_GENL_DATAGRAM_MAX (64 * 1024)

/* The genl controller's own names (net/netlink/genetlink.c). */
#define OOMN_GENL_CTRL_NAME "nlctrl"
#define OOMN_GENL_CTRL_GROUP_NOTIFY "notify"

#define OOMN_GROUPS_ALL (OOMN_GROUP_PRESSURE | OOMN_GROUP_OOM)
#define OOMN_T_MASK_ALL (((1u << (OOM_NOTIFY_T_MAX + 1)) - 1) & ~1u)

DEFINE_TRIVIAL_CLEANUP_FUNC(struct nl_msg *, nlmsg_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct nl_cb *, nl_cb_put);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct nl_sock *, nl_socket_free);

struct OomnGenl {
	struct nl_sock *cmd; /* requests; blocking, with a timeout */
	struct nl_sock *evt; /* multicast; non-blocking, read by dispatch */
	uint8_t *buf;        /* one datagram of the event socket */

	uint32_t grp_ctrl_notify;

	/* 0 while the module is not loaded. */
	uint16_t family_id;
	uint32_t family_version;
	uint32_t grp_pressure;
	uint32_t grp_oom;

	unsigned groups_wanted; /* what the caller subscribed to */
	unsigned groups_joined; /* what the event socket is a member of */

	struct oomn_seq seq_pressure;
	struct oomn_seq seq_oom;

	struct oomn_genl_handlers handlers;
	void *userdata;
};

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
	[OOM_NOTIFY_A_SEQ] = OOMN_POLICY_U64,
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

/* A module from before swap worth: free swap counted whole, as it did. */
static void oomn_get_swap(struct nlattr **tb, uint64_t *free, uint64_t *worth, uint32_t *cost,
			  bool *thrashing)
{
	*free = oomn_get_u64(tb[OOM_NOTIFY_A_SWAP_FREE]);
	*worth = tb[OOM_NOTIFY_A_SWAP_WORTH] ? nla_get_u64(tb[OOM_NOTIFY_A_SWAP_WORTH]) : *free;
	*cost = oomn_get_u32(tb[OOM_NOTIFY_A_SWAP_COST]);
	*thrashing = tb[OOM_NOTIFY_A_THRASHING] && nla_get_u8(tb[OOM_NOTIFY_A_THRASHING]);
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
	if (!tb[OOM_NOTIFY_A_LEVEL] || !tb[OOM_NOTIFY_A_SEQ])
		return -EBADMSG;

	r = oomn_get_level(tb[OOM_NOTIFY_A_LEVEL], &s.level);
	if (r < 0)
		return r;
	if (tb[OOM_NOTIFY_A_THRESHOLDS]) {
		r = oomn_genl_parse_thresholds(tb[OOM_NOTIFY_A_THRESHOLDS], &s.thresholds);
		if (r < 0)
			return r;
		s.has_thresholds = true;
	}
	s.seq = nla_get_u64(tb[OOM_NOTIFY_A_SEQ]);
	s.oom_seq = oomn_get_u64(tb[OOM_NOTIFY_A_OOM_SEQ]);
	s.timestamp_ns = oomn_get_u64(tb[OOM_NOTIFY_A_TIMESTAMP_NS]);
	s.cause = oomn_get_u32(tb[OOM_NOTIFY_A_CAUSE]);
	s.mem_total = oomn_get_u64(tb[OOM_NOTIFY_A_MEM_TOTAL]);
	s.mem_available = oomn_get_u64(tb[OOM_NOTIFY_A_MEM_AVAILABLE]);
	oomn_get_swap(tb, &s.swap_free, &s.swap_worth, &s.swap_cost_permille, &s.thrashing);

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
	    !tb[OOM_NOTIFY_A_SEQ])
		return -EBADMSG;

	r = oomn_get_level(tb[OOM_NOTIFY_A_LEVEL], &e.level);
	if (r < 0)
		return r;
	r = oomn_get_level(tb[OOM_NOTIFY_A_PREV_LEVEL], &e.prev_level);
	if (r < 0)
		return r;
	/* Events count from 1; 0 would defeat the gap check. */
	e.seq = nla_get_u64(tb[OOM_NOTIFY_A_SEQ]);
	if (e.seq == 0)
		return -EBADMSG;
	if (tb[OOM_NOTIFY_A_THRESHOLDS]) {
		r = oomn_genl_parse_thresholds(tb[OOM_NOTIFY_A_THRESHOLDS], &e.thresholds);
		if (r < 0)
			return r;
		e.has_thresholds = true;
	}
	e.timestamp_ns = oomn_get_u64(tb[OOM_NOTIFY_A_TIMESTAMP_NS]);
	e.cause = oomn_get_u32(tb[OOM_NOTIFY_A_CAUSE]);
	e.mem_total = oomn_get_u64(tb[OOM_NOTIFY_A_MEM_TOTAL]);
	e.mem_available = oomn_get_u64(tb[OOM_NOTIFY_A_MEM_AVAILABLE]);
	oomn_get_swap(tb, &e.swap_free, &e.swap_worth, &e.swap_cost_permille, &e.thrashing);

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

/* ---- requests --------------------------------------------------------- */

struct oomn_genl_call {
	uint32_t seq;       /* of our request: anything else is stale */
	uint16_t type;      /* nlmsg_type of the reply we expect */
	/* NLM_F_DUMP: every part goes to parse, which judges it; the dump
	 * ends at NLMSG_DONE. Otherwise the first reply counts. */
	bool dump;
	int (*parse)(struct nlmsghdr *nlh, void *userdata);
	void *userdata;
	bool done;    /* ack, error or NLMSG_DONE seen */
	bool replied; /* a reply was parsed */
	int error;    /* the kernel's error, or the reply's parse error */
	char *errmsg; /* the kernel's extended-ack text */
};

static int oomn_genl_call_seq_check(struct nl_msg *msg, void *arg)
{
	struct oomn_genl_call *c = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);

	/* Another process can unicast to our port; only the kernel answers. A
	 * late answer to a request that timed out has an older seq. */
	if (nlmsg_get_src(msg)->nl_pid != 0 || nlh->nlmsg_seq != c->seq)
		return NL_SKIP;
	return NL_OK;
}

static int oomn_genl_call_valid(struct nl_msg *msg, void *arg)
{
	struct oomn_genl_call *c = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	int r;

	if (!c->parse || (c->replied && !c->dump) || nlh->nlmsg_type != c->type)
		return NL_SKIP;
	r = c->parse(nlh, c->userdata);
	if (r < 0 && c->error == 0)
		c->error = r;
	c->replied = true;
	return NL_OK;
}

static int oomn_genl_call_ack(struct nl_msg *msg, void *arg)
{
	struct oomn_genl_call *c = arg;

	/* A dump request goes without NLM_F_ACK: its end is NLMSG_DONE. */
	if (c->dump)
		return NL_OK;
	c->done = true;
	return NL_STOP;
}

static int oomn_genl_call_finish(struct nl_msg *msg, void *arg)
{
	struct oomn_genl_call *c = arg;
	int error = 0, r;

	r = oomn_genl_parse_done(nlmsg_hdr(msg), &error);
	c->error = r < 0 ? r : error;
	c->done = true;
	return NL_STOP;
}

/* Processes come and go during any dump of them: the kernel's "the set
 * changed meanwhile" is no news, and not an error as libnl would make it. */
static int oomn_genl_call_dump_intr(struct nl_msg *msg, void *arg)
{
	return NL_OK;
}

static int oomn_genl_call_error(struct sockaddr_nl *nla, struct nlmsgerr *err, void *arg)
{
	/* libnl hands us nlmsg_data() of the error message, as in iw. */
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)((uint8_t *)err - NLMSG_HDRLEN);
	struct oomn_genl_call *c = arg;
	int error = 0, r;

	free(c->errmsg);
	c->errmsg = NULL;
	r = oomn_genl_parse_ack(nlh, &error, &c->errmsg);
	c->error = r < 0 ? r : error;
	c->done = true;
	return NL_STOP;
}

/* Sends @msg (with NLM_F_ACK, unless a dump) and reads until its ack or
 * error, or a dump's NLMSG_DONE. SO_RCVTIMEO bounds each read, so each part
 * of a dump. */
static int oomn_genl_call(OomnGenl *g, struct nl_msg *msg, struct oomn_genl_call *c)
{
	_cleanup_(nl_cb_putp) struct nl_cb *cb = NULL;
	int r;

	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!cb)
		return -ENOMEM;
	nl_cb_set(cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, oomn_genl_call_seq_check, c);
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, oomn_genl_call_valid, c);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, oomn_genl_call_ack, c);
	nl_cb_err(cb, NL_CB_CUSTOM, oomn_genl_call_error, c);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, oomn_genl_call_finish, c);
	nl_cb_set(cb, NL_CB_DUMP_INTR, NL_CB_CUSTOM, oomn_genl_call_dump_intr, c);

	c->type = nlmsg_hdr(msg)->nlmsg_type;
	nl_complete_msg(g->cmd, msg);
	if (c->dump)
		nlmsg_hdr(msg)->nlmsg_flags &= ~NLM_F_ACK;
	r = nl_send(g->cmd, msg);
	if (r < 0)
		return oomn_errno_from_nle(r);
	c->seq = nlmsg_hdr(msg)->nlmsg_seq;

	while (!c->done) {
		r = nl_recvmsgs_report(g->cmd, cb);
		if (c->done)
			break;
		if (r == -NLE_AGAIN) /* SO_RCVTIMEO expired */
			return -ETIMEDOUT;
		if (r < 0)
			return oomn_errno_from_nle(r);
	}
	if (c->error < 0)
		return c->error;
	if (c->parse && !c->replied && !c->dump)
		return -ENOMSG;
	return 0;
}

static struct nl_msg *oomn_genl_msg_new(uint16_t type, uint8_t cmd, uint8_t version,
					int flags)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (!msg)
		return NULL;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, type, 0, flags, cmd, version)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

static int oomn_genl_parse_family_reply(struct nlmsghdr *nlh, void *userdata)
{
	if (!genlmsg_valid_hdr(nlh, 0) || genlmsg_hdr(nlh)->cmd != CTRL_CMD_NEWFAMILY)
		return -EBADMSG;
	return oomn_genl_parse_family(nlh, userdata);
}

/* CTRL_CMD_GETFAMILY by name; -ENOENT from the kernel if it is not there. */
static int oomn_genl_resolve(OomnGenl *g, const char *name, struct oomn_genl_family *ret)
{
	_cleanup_(nlmsg_freep) struct nl_msg *msg = NULL;
	struct oomn_genl_family f = {};
	struct oomn_genl_call c = {
		.parse = oomn_genl_parse_family_reply,
		.userdata = &f,
	};
	int r;

	msg = oomn_genl_msg_new(GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1, NLM_F_ACK);
	if (!msg || nla_put_string(msg, CTRL_ATTR_FAMILY_NAME, name) < 0)
		return -ENOMEM;

	r = oomn_genl_call(g, msg, &c);
	free(c.errmsg);
	if (r < 0)
		return r;
	if (strcmp(f.name, name) != 0)
		return -EBADMSG;
	*ret = f;
	return 0;
}

static int oomn_genl_parse_state_reply(struct nlmsghdr *nlh, void *userdata)
{
	return oomn_genl_parse_state(nlh, userdata);
}

int oomn_genl_get_state(OomnGenl *g, struct oomn_state *ret)
{
	_cleanup_(nlmsg_freep) struct nl_msg *msg = NULL;
	struct oomn_state s = {};
	struct oomn_genl_call c = {
		.parse = oomn_genl_parse_state_reply,
		.userdata = &s,
	};
	int r;

	if (g->family_id == 0)
		return -ENOENT;

	msg = oomn_genl_msg_new(g->family_id, OOM_NOTIFY_CMD_GET_STATE,
				OOM_NOTIFY_FAMILY_VERSION, NLM_F_ACK);
	if (!msg)
		return -ENOMEM;

	r = oomn_genl_call(g, msg, &c);
	free(c.errmsg);
	if (r < 0)
		return r;

	/* The level is a state: events it already reflects are stale. OOM
	 * events are facts of their own and are not re-based. */
	oomn_seq_prime(&g->seq_pressure, s.seq);
	*ret = s;
	return 0;
}

struct oomn_genl_proc_dump {
	int (*cb)(const struct oomn_proc *p, void *userdata);
	void *userdata;
	int cb_error;       /* once set, the rest of the dump is only read */
	unsigned malformed;
};

/* One part; never fails, so that one bad part does not end the dump. */
static int oomn_genl_proc_part(struct nlmsghdr *nlh, void *userdata)
{
	struct oomn_genl_proc_dump *d = userdata;
	struct oomn_proc p;
	int r;

	if (oomn_genl_parse_proc(nlh, &p) < 0) {
		d->malformed++;
		return 0;
	}
	if (d->cb_error < 0)
		return 0;
	r = d->cb(&p, d->userdata);
	if (r < 0)
		d->cb_error = r;
	return 0;
}

int oomn_genl_dump_processes(OomnGenl *g,
			     int (*cb)(const struct oomn_proc *p, void *userdata),
			     void *userdata, unsigned *ret_malformed)
{
	_cleanup_(nlmsg_freep) struct nl_msg *msg = NULL;
	struct oomn_genl_proc_dump d = {
		.cb = cb,
		.userdata = userdata,
	};
	struct oomn_genl_call c = {
		.dump = true,
		.parse = oomn_genl_proc_part,
		.userdata = &d,
	};
	int r;

	if (ret_malformed)
		*ret_malformed = 0;
	if (!cb)
		return -EINVAL;
	if (g->family_id == 0)
		return -ENOENT;

	msg = oomn_genl_msg_new(g->family_id, OOM_NOTIFY_CMD_GET_PROCESSES,
				OOM_NOTIFY_FAMILY_VERSION, NLM_F_DUMP);
	if (!msg)
		return -ENOMEM;

	r = oomn_genl_call(g, msg, &c);
	free(c.errmsg);
	if (ret_malformed)
		*ret_malformed = d.malformed;
	/* The caller's stop first: the kernel's later error is moot. */
	if (d.cb_error < 0)
		return d.cb_error;
	return r;
}

int oomn_genl_set_thresholds(OomnGenl *g, const struct oomn_thresholds_update *u,
			     char **ret_errmsg)
{
	_cleanup_(nlmsg_freep) struct nl_msg *msg = NULL;
	struct oomn_genl_call c = {};
	int r;

	if (ret_errmsg)
		*ret_errmsg = NULL;
	if (u->mask == 0 || (u->mask & ~OOMN_T_MASK_ALL))
		return -EINVAL;
	if (g->family_id == 0)
		return -ENOENT;

	msg = oomn_genl_msg_new(g->family_id, OOM_NOTIFY_CMD_SET_THRESHOLDS,
				OOM_NOTIFY_FAMILY_VERSION, NLM_F_ACK);
	if (!msg)
		return -ENOMEM;
	r = oomn_genl_put_thresholds(msg, u);
	if (r < 0)
		return r;

	r = oomn_genl_call(g, msg, &c);
	if (ret_errmsg)
		*ret_errmsg = TAKE_PTR(c.errmsg);
	free(c.errmsg);
	return r;
}

/* ---- groups and the family's life ------------------------------------- */

static uint32_t oomn_genl_group_id(const OomnGenl *g, unsigned group)
{
	switch (group) {
	case OOMN_GROUP_PRESSURE:
		return g->grp_pressure;
	case OOMN_GROUP_OOM:
		return g->grp_oom;
	default:
		return 0;
	}
}

/* setsockopt() rather than nl_socket_add_membership(): the kernel's errno
 * (EPERM for "oom") comes back as it is. */
static int oomn_genl_membership(OomnGenl *g, uint32_t id, bool join)
{
	int fd = nl_socket_get_fd(g->evt);

	if (id == 0)
		return -ENOENT;
	if (setsockopt(fd, SOL_NETLINK, join ? NETLINK_ADD_MEMBERSHIP : NETLINK_DROP_MEMBERSHIP,
		       &id, sizeof(id)) < 0)
		return -errno;
	return 0;
}

/* Joins every wanted group; returns the first error. Joining twice is
 * harmless, which matters after an overflow hid a reload with equal ids. */
static int oomn_genl_join_wanted(OomnGenl *g)
{
	int ret = 0;

	g->groups_joined = 0;
	for (unsigned bit = 1; bit & OOMN_GROUPS_ALL; bit <<= 1) {
		int r;

		if (!(g->groups_wanted & bit))
			continue;
		r = oomn_genl_membership(g, oomn_genl_group_id(g, bit), true);
		if (r < 0) {
			if (ret == 0)
				ret = r;
			continue;
		}
		g->groups_joined |= bit;
	}
	return ret;
}

static void oomn_genl_family_gone(OomnGenl *g)
{
	/* The kernel drops the memberships of a family that unregisters. */
	g->family_id = 0;
	g->family_version = 0;
	g->grp_pressure = 0;
	g->grp_oom = 0;
	g->groups_joined = 0;
	oomn_seq_reset(&g->seq_pressure);
	oomn_seq_reset(&g->seq_oom);
}

static int oomn_genl_family_set(OomnGenl *g, const struct oomn_genl_family *f)
{
	if (f->version != OOM_NOTIFY_FAMILY_VERSION)
		return -EPROTO;
	g->family_id = f->id;
	g->family_version = f->version;
	g->grp_pressure = oomn_genl_family_group(f, OOM_NOTIFY_MCGRP_PRESSURE);
	g->grp_oom = oomn_genl_family_group(f, OOM_NOTIFY_MCGRP_OOM);
	return 0;
}

static bool oomn_genl_family_same(const OomnGenl *g, const struct oomn_genl_family *f)
{
	return g->family_id == f->id && g->family_version == f->version &&
	       g->grp_pressure == oomn_genl_family_group(f, OOM_NOTIFY_MCGRP_PRESSURE) &&
	       g->grp_oom == oomn_genl_family_group(f, OOM_NOTIFY_MCGRP_OOM);
}

static void oomn_genl_notify_family(OomnGenl *g, bool appeared)
{
	if (g->handlers.on_family)
		g->handlers.on_family(appeared, g->userdata);
}

static void oomn_genl_notify_invalid(OomnGenl *g, int error, const char *what)
{
	if (g->handlers.on_invalid)
		g->handlers.on_invalid(error, what, g->userdata);
}

/* Asks the controller again (at open, and after an overflow may have hidden
 * notifications) and re-joins the wanted groups. */
static int oomn_genl_refresh_family(OomnGenl *g, bool notify)
{
	struct oomn_genl_family f;
	bool had;
	int r;

	r = oomn_genl_resolve(g, OOM_NOTIFY_FAMILY_NAME, &f);
	if (r == -ENOENT) {
		if (g->family_id != 0) {
			oomn_genl_family_gone(g);
			if (notify)
				oomn_genl_notify_family(g, false);
		}
		return -ENOENT;
	}
	if (r < 0)
		return r;

	if (g->family_id != 0 && !oomn_genl_family_same(g, &f)) {
		oomn_genl_family_gone(g);
		if (notify)
			oomn_genl_notify_family(g, false);
	}
	had = g->family_id != 0;
	r = oomn_genl_family_set(g, &f);
	if (r < 0)
		return r;
	r = oomn_genl_join_wanted(g);
	if (!had && notify)
		oomn_genl_notify_family(g, true);
	return r;
}

int oomn_genl_subscribe(OomnGenl *g, unsigned groups)
{
	unsigned joined_now = 0;
	int r = 0;

	if (groups == 0 || (groups & ~OOMN_GROUPS_ALL))
		return -EINVAL;

	if (g->family_id != 0) {
		for (unsigned bit = 1; bit & OOMN_GROUPS_ALL; bit <<= 1) {
			if (!(groups & bit) || (g->groups_joined & bit))
				continue;
			r = oomn_genl_membership(g, oomn_genl_group_id(g, bit), true);
			if (r < 0)
				goto rollback;
			joined_now |= bit;
		}
		g->groups_joined |= joined_now;
	}
	g->groups_wanted |= groups;
	return 0;

rollback:
	for (unsigned bit = 1; bit & OOMN_GROUPS_ALL; bit <<= 1)
		if (joined_now & bit)
			(void)oomn_genl_membership(g, oomn_genl_group_id(g, bit), false);
	return r;
}

int oomn_genl_unsubscribe(OomnGenl *g, unsigned groups)
{
	int ret = 0;

	if (groups & ~OOMN_GROUPS_ALL)
		return -EINVAL;

	for (unsigned bit = 1; bit & OOMN_GROUPS_ALL; bit <<= 1) {
		if (!(groups & bit))
			continue;
		if (g->groups_joined & bit) {
			int r = oomn_genl_membership(g, oomn_genl_group_id(g, bit), false);

			if (r < 0 && ret == 0)
				ret = r;
		}
		g->groups_joined &= ~bit;
		g->groups_wanted &= ~bit;
		oomn_seq_reset(bit == OOMN_GROUP_PRESSURE ? &g->seq_pressure : &g->seq_oom);
	}
	return ret;
}

/* ---- events ----------------------------------------------------------- */

/* Whether to deliver an event of @group with @seq; reports a gap first. */
static bool oomn_genl_seq_accept(OomnGenl *g, unsigned group, struct oomn_seq *s,
				 uint64_t seq)
{
	uint64_t expected;

	switch (oomn_seq_check(s, seq, &expected)) {
	case OOMN_SEQ_STALE:
		return false;
	case OOMN_SEQ_GAP:
		if (g->handlers.on_gap)
			g->handlers.on_gap(group, expected, seq, g->userdata);
		/* The handler may have re-read a state that covers this. */
		if (oomn_seq_check(s, seq, NULL) == OOMN_SEQ_STALE)
			return false;
		break;
	case OOMN_SEQ_FIRST:
	case OOMN_SEQ_NEXT:
		break;
	}
	oomn_seq_advance(s, seq);
	return true;
}

static void oomn_genl_process_event(OomnGenl *g, struct nlmsghdr *nlh)
{
	int r;

	if (!genlmsg_valid_hdr(nlh, 0)) {
		oomn_genl_notify_invalid(g, -EBADMSG, "oom_notify message");
		return;
	}

	switch (genlmsg_hdr(nlh)->cmd) {
	case OOM_NOTIFY_CMD_PRESSURE_EVENT: {
		struct oomn_pressure_event ev;

		if (!(g->groups_joined & OOMN_GROUP_PRESSURE))
			return;
		r = oomn_genl_parse_pressure(nlh, &ev);
		if (r < 0) {
			oomn_genl_notify_invalid(g, r, "pressure event");
			return;
		}
		if (oomn_genl_seq_accept(g, OOMN_GROUP_PRESSURE, &g->seq_pressure, ev.seq) &&
		    g->handlers.on_pressure)
			g->handlers.on_pressure(&ev, g->userdata);
		return;
	}
	case OOM_NOTIFY_CMD_OOM_EVENT: {
		struct oomn_oom_event ev;

		if (!(g->groups_joined & OOMN_GROUP_OOM))
			return;
		r = oomn_genl_parse_oom(nlh, &ev);
		if (r < 0) {
			oomn_genl_notify_invalid(g, r, "OOM event");
			return;
		}
		if (oomn_genl_seq_accept(g, OOMN_GROUP_OOM, &g->seq_oom, ev.oom_seq) &&
		    g->handlers.on_oom)
			g->handlers.on_oom(&ev, g->userdata);
		return;
	}
	default:
		/* A newer module's command: not for us. */
		return;
	}
}

static int oomn_genl_process_ctrl(OomnGenl *g, struct nlmsghdr *nlh)
{
	struct oomn_genl_family f;
	uint8_t cmd;
	int r;

	if (!genlmsg_valid_hdr(nlh, 0)) {
		oomn_genl_notify_invalid(g, -EBADMSG, "genl controller notification");
		return 0;
	}
	cmd = genlmsg_hdr(nlh)->cmd;
	if (cmd != CTRL_CMD_NEWFAMILY && cmd != CTRL_CMD_DELFAMILY)
		return 0;

	r = oomn_genl_parse_family(nlh, &f);
	if (r < 0) {
		oomn_genl_notify_invalid(g, r, "genl controller notification");
		return 0;
	}
	if (strcmp(f.name, OOM_NOTIFY_FAMILY_NAME) != 0)
		return 0;

	if (cmd == CTRL_CMD_DELFAMILY) {
		if (g->family_id == 0)
			return 0;
		oomn_genl_family_gone(g);
		oomn_genl_notify_family(g, false);
		return 0;
	}

	/* Seen already at open (the module loaded between our join and our
	 * query): only make sure we are members. */
	if (g->family_id != 0 && oomn_genl_family_same(g, &f))
		return oomn_genl_join_wanted(g);
	if (g->family_id != 0) {
		oomn_genl_family_gone(g);
		oomn_genl_notify_family(g, false);
	}

	r = oomn_genl_family_set(g, &f);
	if (r < 0) {
		oomn_genl_notify_invalid(g, r, "oom_notify family of another version");
		return 0;
	}
	r = oomn_genl_join_wanted(g);
	oomn_genl_notify_family(g, true);
	return r;
}

static int oomn_genl_overflow(OomnGenl *g)
{
	int r;

	/* Lost events may include the controller's notifications. */
	oomn_seq_reset(&g->seq_pressure);
	oomn_seq_reset(&g->seq_oom);
	r = oomn_genl_refresh_family(g, true);
	if (g->handlers.on_overflow)
		g->handlers.on_overflow(g->userdata);
	return r == -ENOENT ? 0 : r;
}

int oomn_genl_dispatch(OomnGenl *g)
{
	int fd = nl_socket_get_fd(g->evt), ret = 0;

	for (;;) {
		struct sockaddr_nl sa = {};
		struct iovec iov = { .iov_base = g->buf, .iov_len = OOMN_GENL_DATAGRAM_MAX };
		struct msghdr mh = {
			.msg_name = &sa,
			.msg_namelen = sizeof(sa),
			.msg_iov = &iov,
			.msg_iovlen = 1,
		};
		struct nlmsghdr *nlh;
		ssize_t n;
		int rem, r;

		n = recvmsg(fd, &mh, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return ret;
			if (errno == ENOBUFS) {
				r = oomn_genl_overflow(g);
				if (r < 0 && ret == 0)
					ret = r;
				continue;
			}
			return -errno;
		}
		if (mh.msg_flags & MSG_TRUNC) {
			oomn_genl_notify_invalid(g, -EMSGSIZE, "truncated netlink datagram");
			continue;
		}
		/* Anyone may unicast to our port; events come from the kernel. */
		if (mh.msg_namelen != sizeof(sa) || sa.nl_pid != 0)
			continue;

		rem = (int)n;
		for (nlh = (struct nlmsghdr *)g->buf; nlmsg_ok(nlh, rem);
		     nlh = nlmsg_next(nlh, &rem)) {
			if (nlh->nlmsg_type == GENL_ID_CTRL)
				r = oomn_genl_process_ctrl(g, nlh);
			else if (g->family_id != 0 && nlh->nlmsg_type == g->family_id) {
				oomn_genl_process_event(g, nlh);
				r = 0;
			} else
				r = 0; /* NLMSG_ERROR, NOOP, other families */
			if (r < 0 && ret == 0)
				ret = r;
		}
	}
}

/* ---- life cycle ------------------------------------------------------- */

static int oomn_genl_sock_new(struct nl_sock **ret)
{
	_cleanup_(nl_socket_freep) struct nl_sock *sk = NULL;
	int r;

	sk = nl_socket_alloc();
	if (!sk)
		return -ENOMEM;
	r = genl_connect(sk);
	if (r < 0)
		return oomn_errno_from_nle(r);
	*ret = TAKE_PTR(sk);
	return 0;
}

int oomn_genl_open(OomnGenl **ret, unsigned flags)
{
	_cleanup_(oomn_genl_freep) OomnGenl *g = NULL;
	struct oomn_genl_family ctrl;
	struct timeval tv = { .tv_sec = OOMN_GENL_TIMEOUT_SEC };
	int one = 1, size = OOMN_GENL_RCVBUF, fd, r;

	if (flags & ~OOMN_GENL_ALLOW_MISSING)
		return -EINVAL;

	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	g->buf = malloc(OOMN_GENL_DATAGRAM_MAX);
	if (!g->buf)
		return -ENOMEM;

	r = oomn_genl_sock_new(&g->cmd);
	if (r < 0)
		return r;
	fd = nl_socket_get_fd(g->cmd);
	/* Older kernels lack these; the request still works without them. */
	(void)setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	(void)setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
		return -errno;
	/*
	 * One read per part of a dump, as large as the kernel builds them
	 * (netlink caps a part at 32 KiB, sized on the reader's buffer): not
	 * libnl's default of a MSG_PEEK read first and parts of 16 KiB.
	 */
	r = nl_socket_set_msg_buf_size(g->cmd, OOMN_GENL_CMD_BUF);
	if (r < 0)
		return oomn_errno_from_nle(r);
	nl_socket_disable_msg_peek(g->cmd);

	r = oomn_genl_sock_new(&g->evt);
	if (r < 0)
		return r;
	nl_socket_disable_seq_check(g->evt);
	r = nl_socket_set_nonblocking(g->evt);
	if (r < 0)
		return oomn_errno_from_nle(r);
	/* FORCE passes rmem_max when privileged (the killer); otherwise take
	 * what we may. NETLINK_NO_ENOBUFS stays off: we want to hear of loss. */
	if (setsockopt(nl_socket_get_fd(g->evt), SOL_SOCKET, SO_RCVBUFFORCE, &size,
		       sizeof(size)) < 0) {
		r = nl_socket_set_buffer_size(g->evt, OOMN_GENL_RCVBUF, 0);
		if (r < 0)
			return oomn_errno_from_nle(r);
	}

	/* Join "notify" before asking about the family, so that no change
	 * between the two goes unseen. */
	r = oomn_genl_resolve(g, OOMN_GENL_CTRL_NAME, &ctrl);
	if (r < 0)
		return r;
	g->grp_ctrl_notify = oomn_genl_family_group(&ctrl, OOMN_GENL_CTRL_GROUP_NOTIFY);
	r = oomn_genl_membership(g, g->grp_ctrl_notify, true);
	if (r < 0)
		return r;

	r = oomn_genl_refresh_family(g, false);
	if (r < 0 && !(r == -ENOENT && (flags & OOMN_GENL_ALLOW_MISSING)))
		return r;

	*ret = TAKE_PTR(g);
	return 0;
}

int oomn_genl_new(OomnGenl **ret)
{
	return oomn_genl_open(ret, 0);
}

OomnGenl *oomn_genl_free(OomnGenl *g)
{
	if (!g)
		return NULL;
	nl_socket_free(g->cmd);
	nl_socket_free(g->evt);
	free(g->buf);
	free(g);
	return NULL;
}

bool oomn_genl_has_family(const OomnGenl *g)
{
	return g->family_id != 0;
}

uint32_t oomn_genl_family_version(const OomnGenl *g)
{
	return g->family_version;
}

int oomn_genl_event_fd(const OomnGenl *g)
{
	return nl_socket_get_fd(g->evt);
}

void oomn_genl_set_handlers(OomnGenl *g, const struct oomn_genl_handlers *h,
			    void *userdata)
{
	g->handlers = h ? *h : (struct oomn_genl_handlers){};
	g->userdata = userdata;
}
