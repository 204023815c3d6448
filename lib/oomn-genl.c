/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The socket layer of the genl client (the messages themselves are built
 * and parsed in oomn-genl-msg.c).
 *
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

#include <netlink/attr.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/handlers.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include "oomn-genl.h"
#include "oomn-genl-msg.h"
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
	oomn_seq_prime(&g->seq_pressure, s.pressure_seq);
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
	/*
	 * A dump holds the module; while it is being unloaded that hold is
	 * refused with EPROTONOSUPPORT (netlink_dump_start()) until the family
	 * is gone: for the caller, as for any request then, the module is not
	 * there.
	 */
	if (r == -EPROTONOSUPPORT)
		return -ENOENT;
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
		if (oomn_genl_seq_accept(g, OOMN_GROUP_PRESSURE, &g->seq_pressure, ev.pressure_seq) &&
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
