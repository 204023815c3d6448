/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * oomn_genl_dump_processes() against a fake kernel. The library listens to
 * the kernel alone (nl_pid 0), which no user process can pose as on a real
 * socket, so the test is linked with --wrap: nl_send() hands each request
 * to the fake peer below instead of the kernel, and nl_recvmsgs_report()
 * has libnl read the peer's datagrams (each with the sender's nl_pid it
 * chooses) instead of the socket. Everything else, libnl's multi-part loop
 * and the library's callbacks, runs as it does against the module. An
 * empty queue reads as SO_RCVTIMEO expiring.
 */
#include <errno.h>
#include <glib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>
#include <netlink/handlers.h>
#include <netlink/msg.h>
#include <netlink/socket.h>

#include "oomn-genl.h"

#define FAMILY_ID 0x7ff0
#define SPOOFER_PID 4321
/* For queue_parts(): the dump goes on in a later datagram. */
#define NO_DONE G_MAXINT

typedef struct nl_msg NlMsg;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NlMsg, nlmsg_free)

struct dgram {
	uint32_t from; /* nl_pid of the sender, 0: the kernel */
	GByteArray *data;
};

/* The fake kernel: what the library sent last, what it will read next. */
static struct {
	GQueue dgrams;
	uint32_t seq;    /* of the last request */
	uint16_t flags;  /* of the last request */
	/* How the next GET_PROCESSES is answered. */
	void (*dump)(uint32_t seq);
} peer;

static struct dgram *dgram_new(uint32_t from)
{
	struct dgram *d = g_new0(struct dgram, 1);

	d->from = from;
	d->data = g_byte_array_new();
	return d;
}

/* Appends @m (freed) to @d. */
static void dgram_add(struct dgram *d, NlMsg *m)
{
	static const uint8_t pad[NLMSG_ALIGNTO];
	struct nlmsghdr *h = nlmsg_hdr(m);

	g_byte_array_append(d->data, (const uint8_t *)h, h->nlmsg_len);
	g_byte_array_append(d->data, pad, NLMSG_ALIGN(h->nlmsg_len) - h->nlmsg_len);
	nlmsg_free(m);
}

static void dgram_queue(struct dgram *d)
{
	g_queue_push_tail(&peer.dgrams, d);
}

static void dgram_free(struct dgram *d)
{
	g_byte_array_unref(d->data);
	g_free(d);
}

static NlMsg *genl_msg(uint16_t type, uint32_t seq, int flags, uint8_t cmd)
{
	NlMsg *m = nlmsg_alloc();

	g_assert_nonnull(genlmsg_put(m, 0, seq, type, 0, flags, cmd, 1));
	return m;
}

static NlMsg *ack_msg(uint32_t seq, int error)
{
	struct nlmsgerr e = { .error = error, .msg = { .nlmsg_seq = seq } };
	NlMsg *m = nlmsg_alloc_simple(NLMSG_ERROR, NLM_F_CAPPED);

	nlmsg_hdr(m)->nlmsg_seq = seq;
	g_assert_cmpint(nlmsg_append(m, &e, sizeof(e), NLMSG_ALIGNTO), ==, 0);
	return m;
}

static NlMsg *done_msg(uint32_t seq, int error)
{
	NlMsg *m = nlmsg_alloc_simple(NLMSG_DONE, NLM_F_MULTI);

	nlmsg_hdr(m)->nlmsg_seq = seq;
	g_assert_cmpint(nlmsg_append(m, &error, sizeof(error), NLMSG_ALIGNTO), ==, 0);
	return m;
}

/* One part of the dump; pid 0 makes it malformed. */
static NlMsg *proc_msg(uint32_t seq, uint32_t pid)
{
	NlMsg *m = genl_msg(FAMILY_ID, seq, NLM_F_MULTI, OOM_NOTIFY_CMD_GET_PROCESSES);

	nla_put_u32(m, OOM_NOTIFY_A_PROC_PID, pid);
	nla_put_u64(m, OOM_NOTIFY_A_PROC_START_NS, 1000 + pid);
	nla_put_string(m, OOM_NOTIFY_A_PROC_COMM, "proc");
	nla_put_u64(m, OOM_NOTIFY_A_PROC_RSS, pid * 4096ULL);
	return m;
}

/* Queues a datagram from the kernel with the parts of @pids, then DONE
 * with @done_error unless NO_DONE. */
static void queue_parts(uint32_t seq, const uint32_t *pids, size_t n, int done_error)
{
	struct dgram *d = dgram_new(0);

	for (size_t i = 0; i < n; i++)
		dgram_add(d, proc_msg(seq, pids[i]));
	if (done_error != NO_DONE)
		dgram_add(d, done_msg(seq, done_error));
	dgram_queue(d);
}

static void answer_family(uint32_t seq, const char *name)
{
	struct dgram *d = dgram_new(0);
	NlMsg *m = genl_msg(GENL_ID_CTRL, seq, 0, CTRL_CMD_NEWFAMILY);
	bool ctrl = strcmp(name, "nlctrl") == 0;
	struct nlattr *grps, *grp;

	nla_put_string(m, CTRL_ATTR_FAMILY_NAME, name);
	nla_put_u16(m, CTRL_ATTR_FAMILY_ID, ctrl ? GENL_ID_CTRL : FAMILY_ID);
	nla_put_u32(m, CTRL_ATTR_VERSION, ctrl ? 2 : OOM_NOTIFY_FAMILY_VERSION);
	grps = nla_nest_start(m, CTRL_ATTR_MCAST_GROUPS);
	grp = nla_nest_start(m, 1);
	/* nlctrl's real "notify" group, as the library joins it for real. */
	nla_put_string(m, CTRL_ATTR_MCAST_GRP_NAME, ctrl ? "notify" : OOM_NOTIFY_MCGRP_PRESSURE);
	nla_put_u32(m, CTRL_ATTR_MCAST_GRP_ID, ctrl ? GENL_ID_CTRL : 0x7ff1);
	nla_nest_end(m, grp);
	nla_nest_end(m, grps);
	dgram_add(d, m);
	dgram_add(d, ack_msg(seq, 0));
	dgram_queue(d);
}

static void answer_state(uint32_t seq)
{
	struct dgram *d = dgram_new(0);
	NlMsg *m = genl_msg(FAMILY_ID, seq, 0, OOM_NOTIFY_CMD_GET_STATE);

	nla_put_u32(m, OOM_NOTIFY_A_LEVEL, OOM_NOTIFY_LEVEL_LOW);
	nla_put_u64(m, OOM_NOTIFY_A_PRESSURE_SEQ, 12);
	dgram_add(d, m);
	dgram_add(d, ack_msg(seq, 0));
	dgram_queue(d);
}

int __wrap_nl_send(struct nl_sock *sk, struct nl_msg *msg);
int __wrap_nl_send(struct nl_sock *sk, struct nl_msg *msg)
{
	struct nlmsghdr *h = nlmsg_hdr(msg);
	struct genlmsghdr *gh = nlmsg_data(h);

	peer.seq = h->nlmsg_seq;
	peer.flags = h->nlmsg_flags;
	if (h->nlmsg_type == GENL_ID_CTRL && gh->cmd == CTRL_CMD_GETFAMILY) {
		struct nlattr *name = nla_find(genlmsg_attrdata(gh, 0), genlmsg_attrlen(gh, 0),
					       CTRL_ATTR_FAMILY_NAME);

		g_assert_nonnull(name);
		answer_family(h->nlmsg_seq, nla_get_string(name));
	} else if (h->nlmsg_type == FAMILY_ID && gh->cmd == OOM_NOTIFY_CMD_GET_STATE) {
		answer_state(h->nlmsg_seq);
	} else if (h->nlmsg_type == FAMILY_ID && gh->cmd == OOM_NOTIFY_CMD_GET_PROCESSES) {
		g_assert_nonnull(peer.dump);
		peer.dump(h->nlmsg_seq);
	} else
		g_assert_not_reached();
	return (int)h->nlmsg_len;
}

static int fake_recv(struct nl_sock *sk, struct sockaddr_nl *nla, unsigned char **buf,
		     struct ucred **creds)
{
	struct dgram *d = g_queue_pop_head(&peer.dgrams);
	int n;

	if (creds)
		*creds = NULL;
	if (!d)
		return -NLE_AGAIN; /* what nl_recv() says when SO_RCVTIMEO expires */
	*nla = (struct sockaddr_nl){ .nl_family = AF_NETLINK, .nl_pid = d->from };
	*buf = g_memdup2(d->data->data, d->data->len); /* libnl free()s it */
	n = (int)d->data->len;
	dgram_free(d);
	return n;
}

int __real_nl_recvmsgs_report(struct nl_sock *sk, struct nl_cb *cb);
int __wrap_nl_recvmsgs_report(struct nl_sock *sk, struct nl_cb *cb);
int __wrap_nl_recvmsgs_report(struct nl_sock *sk, struct nl_cb *cb)
{
	nl_cb_overwrite_recv(cb, fake_recv);
	return __real_nl_recvmsgs_report(sk, cb);
}

/* ---- the caller's side ---- */

struct seen {
	uint32_t pids[16];
	unsigned n;
	unsigned stop_at; /* 0: never */
};

static int on_proc(const struct oomn_proc *p, void *userdata)
{
	struct seen *s = userdata;

	g_assert_cmpuint(s->n, <, G_N_ELEMENTS(s->pids));
	g_assert_cmpuint(p->start_ns, ==, 1000 + p->pid);
	g_assert_cmpstr(p->comm, ==, "proc");
	g_assert_true(p->has_mm);
	s->pids[s->n++] = p->pid;
	return s->stop_at && s->n == s->stop_at ? -ECANCELED : 0;
}

static void assert_pids(const struct seen *s, const uint32_t *want, unsigned n)
{
	g_assert_cmpuint(s->n, ==, n);
	for (unsigned i = 0; i < n; i++)
		g_assert_cmpuint(s->pids[i], ==, want[i]);
}

static OomnGenl *open_fake(void)
{
	OomnGenl *g = NULL;
	int r;

	g_queue_clear_full(&peer.dgrams, (GDestroyNotify)dgram_free);
	peer.dump = NULL;
	r = oomn_genl_open(&g, 0);
	if (r == -EAFNOSUPPORT || r == -EPROTONOSUPPORT || r == -EACCES) {
		g_test_skip("no generic netlink here");
		return NULL;
	}
	g_assert_cmpint(r, ==, 0);
	g_assert_true(oomn_genl_has_family(g));
	return g;
}

/* Parts over several datagrams; among them a malformed part, a datagram
 * from a user process and parts of an earlier dump, none of which may
 * count or end the dump. */
static void dump_mixed(uint32_t seq)
{
	static const uint32_t first[] = { 1, 2 }, spoofed[] = { 900 }, stale[] = { 901 };
	static const uint32_t bad_then[] = { 0, 3 }, last[] = { 5 };
	struct dgram *d;

	queue_parts(seq, first, 2, NO_DONE);
	d = dgram_new(SPOOFER_PID);
	dgram_add(d, proc_msg(seq, spoofed[0]));
	dgram_add(d, done_msg(seq, -EIO));
	dgram_queue(d);
	queue_parts(seq - 1, stale, 1, -EIO);
	queue_parts(seq, bad_then, 2, NO_DONE);
	/* A part from a dump the kernel found changed under it. */
	d = dgram_new(0);
	{
		NlMsg *m = proc_msg(seq, 4);

		nlmsg_hdr(m)->nlmsg_flags |= NLM_F_DUMP_INTR;
		dgram_add(d, m);
	}
	dgram_queue(d);
	queue_parts(seq, last, 1, 0);
}

static void test_parts(void)
{
	static const uint32_t want[] = { 1, 2, 3, 4, 5 };
	_cleanup_(oomn_genl_freep) OomnGenl *g = open_fake();
	struct seen s = {};
	unsigned malformed = 99;

	if (!g)
		return;
	peer.dump = dump_mixed;
	g_assert_cmpint(oomn_genl_dump_processes(g, on_proc, &s, &malformed), ==, 0);
	g_assert_cmphex(peer.flags & (NLM_F_DUMP | NLM_F_ACK | NLM_F_REQUEST), ==,
			NLM_F_DUMP | NLM_F_REQUEST);
	assert_pids(&s, want, G_N_ELEMENTS(want));
	g_assert_cmpuint(malformed, ==, 1);
	g_assert_true(g_queue_is_empty(&peer.dgrams));
}

static void dump_empty(uint32_t seq)
{
	queue_parts(seq, NULL, 0, 0);
}

static void test_empty(void)
{
	_cleanup_(oomn_genl_freep) OomnGenl *g = open_fake();
	struct seen s = {};

	if (!g)
		return;
	peer.dump = dump_empty;
	g_assert_cmpint(oomn_genl_dump_processes(g, on_proc, &s, NULL), ==, 0);
	g_assert_cmpuint(s.n, ==, 0);
}

static void dump_done_eperm(uint32_t seq)
{
	static const uint32_t pids[] = { 1 };

	queue_parts(seq, pids, 1, -EPERM);
}

static void dump_error_eperm(uint32_t seq)
{
	struct dgram *d = dgram_new(0);

	dgram_add(d, ack_msg(seq, -EPERM));
	dgram_queue(d);
}

static void dump_done_bad(uint32_t seq)
{
	queue_parts(seq, NULL, 0, EINVAL); /* a positive error */
}

static void test_errors(void)
{
	_cleanup_(oomn_genl_freep) OomnGenl *g = open_fake();
	struct oomn_state st;
	struct seen s = {};

	if (!g)
		return;

	/* In NLMSG_DONE, after what was sent before it. */
	peer.dump = dump_done_eperm;
	g_assert_cmpint(oomn_genl_dump_processes(g, on_proc, &s, NULL), ==, -EPERM);
	g_assert_cmpuint(s.n, ==, 1);

	/* As an NLMSG_ERROR, before any part. */
	s = (struct seen){};
	peer.dump = dump_error_eperm;
	g_assert_cmpint(oomn_genl_dump_processes(g, on_proc, &s, NULL), ==, -EPERM);
	g_assert_cmpuint(s.n, ==, 0);

	peer.dump = dump_done_bad;
	g_assert_cmpint(oomn_genl_dump_processes(g, on_proc, &s, NULL), ==, -EBADMSG);

	g_assert_true(g_queue_is_empty(&peer.dgrams));
	g_assert_cmpint(oomn_genl_get_state(g, &st), ==, 0);
	g_assert_cmpint(st.level, ==, OOM_NOTIFY_LEVEL_LOW);
}

static void dump_long(uint32_t seq)
{
	static const uint32_t a[] = { 1, 2, 3 }, b[] = { 4, 5 }, c[] = { 6 };

	queue_parts(seq, a, 3, NO_DONE);
	queue_parts(seq, b, 2, NO_DONE);
	queue_parts(seq, c, 1, 0);
}

/* The caller stops at the second process: its error comes back once the
 * rest is read, and the socket serves the next request. */
static void test_stop(void)
{
	static const uint32_t want[] = { 1, 2 };
	_cleanup_(oomn_genl_freep) OomnGenl *g = open_fake();
	struct seen s = { .stop_at = 2 };
	struct oomn_state st;

	if (!g)
		return;
	peer.dump = dump_long;
	g_assert_cmpint(oomn_genl_dump_processes(g, on_proc, &s, NULL), ==, -ECANCELED);
	assert_pids(&s, want, G_N_ELEMENTS(want));
	g_assert_true(g_queue_is_empty(&peer.dgrams));

	g_assert_cmpint(oomn_genl_get_state(g, &st), ==, 0);
	g_assert_cmpuint(st.pressure_seq, ==, 12);

	s = (struct seen){};
	g_assert_cmpint(oomn_genl_dump_processes(g, on_proc, &s, NULL), ==, 0);
	g_assert_cmpuint(s.n, ==, 6);
}

static uint32_t hung_seq;

static void dump_hung(uint32_t seq)
{
	static const uint32_t pids[] = { 1, 2 };

	hung_seq = seq;
	queue_parts(seq, pids, 2, NO_DONE);
}

/* A dump that stops coming times out; its late parts, read by the next
 * request, are not taken for that request's answer. */
static void test_hung(void)
{
	static const uint32_t late[] = { 3 };
	_cleanup_(oomn_genl_freep) OomnGenl *g = open_fake();
	struct seen s = {};
	struct oomn_state st;

	if (!g)
		return;
	peer.dump = dump_hung;
	g_assert_cmpint(oomn_genl_dump_processes(g, on_proc, &s, NULL), ==, -ETIMEDOUT);
	g_assert_cmpuint(s.n, ==, 2);

	queue_parts(hung_seq, late, 1, -EPERM);
	g_assert_cmpint(oomn_genl_get_state(g, &st), ==, 0);
	g_assert_true(g_queue_is_empty(&peer.dgrams));
}

int main(int argc, char *argv[])
{
	g_test_init(&argc, &argv, NULL);

	g_test_add_func("/core/genl/dump/parts", test_parts);
	g_test_add_func("/core/genl/dump/empty", test_empty);
	g_test_add_func("/core/genl/dump/errors", test_errors);
	g_test_add_func("/core/genl/dump/stop", test_stop);
	g_test_add_func("/core/genl/dump/hung", test_hung);

	return g_test_run();
}
