/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * OomnGenl on real generic netlink sockets. Needs no privilege and no
 * module: without the module it checks the "not loaded" paths; with it (the
 * VM suites) it also reads the state and dumps the processes.
 *
 * The dump's odd cases (a malformed part, an error in NLMSG_DONE, a hung
 * dump) need a fake kernel: test-genl-dump.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include "oomn-genl.h"

struct calls {
	int pressure, oom, family, overflow, gap, invalid;
};

static void on_pressure(const struct oomn_pressure_event *ev, void *userdata)
{
	((struct calls *)userdata)->pressure++;
}

static void on_oom(const struct oomn_oom_event *ev, void *userdata)
{
	((struct calls *)userdata)->oom++;
}

static void on_family(bool appeared, void *userdata)
{
	((struct calls *)userdata)->family++;
}

static void on_overflow(void *userdata)
{
	((struct calls *)userdata)->overflow++;
}

static void on_gap(unsigned group, uint64_t expected, uint64_t got, void *userdata)
{
	((struct calls *)userdata)->gap++;
}

static void on_invalid(int error, const char *what, void *userdata)
{
	((struct calls *)userdata)->invalid++;
}

static const struct oomn_genl_handlers handlers = {
	.on_pressure = on_pressure,
	.on_oom = on_oom,
	.on_family = on_family,
	.on_overflow = on_overflow,
	.on_gap = on_gap,
	.on_invalid = on_invalid,
};

/* Opens with ALLOW_MISSING, or skips the test if netlink is unavailable. */
static OomnGenl *open_or_skip(void)
{
	OomnGenl *g = NULL;
	int r = oomn_genl_open(&g, OOMN_GENL_ALLOW_MISSING);

	if (r == -EAFNOSUPPORT || r == -EPROTONOSUPPORT || r == -EACCES) {
		g_test_skip("no generic netlink here");
		return NULL;
	}
	g_assert_cmpint(r, ==, 0);
	g_assert_nonnull(g);
	return g;
}

static void test_open(void)
{
	_cleanup_(oomn_genl_freep) OomnGenl *g = NULL;
	OomnGenl *strict = NULL;
	struct oomn_thresholds_update u = {};
	struct oomn_state s;
	char *errmsg = (char *)"untouched";
	int fd, r;

	g = open_or_skip();
	if (!g)
		return;

	fd = oomn_genl_event_fd(g);
	g_assert_cmpint(fd, >=, 0);
	g_assert_true(fcntl(fd, F_GETFL) & O_NONBLOCK);
	g_assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);

	r = oomn_genl_new(&strict);
	if (!oomn_genl_has_family(g)) {
		g_test_message("oom_notify is not loaded");
		g_assert_cmpint(r, ==, -ENOENT);
		g_assert_null(strict);
		g_assert_cmpuint(oomn_genl_family_version(g), ==, 0);
		g_assert_cmpint(oomn_genl_get_state(g, &s), ==, -ENOENT);
		oomn_thresholds_update_set(&u, OOM_NOTIFY_T_HYSTERESIS, 10);
		g_assert_cmpint(oomn_genl_set_thresholds(g, &u, &errmsg), ==, -ENOENT);
		g_assert_null(errmsg);
	} else {
		g_test_message("oom_notify is loaded");
		g_assert_cmpint(r, ==, 0);
		g_assert_cmpuint(oomn_genl_family_version(g), ==, OOM_NOTIFY_FAMILY_VERSION);
		g_assert_cmpint(oomn_genl_get_state(g, &s), ==, 0);
		g_assert_cmpint(s.level, <=, OOM_NOTIFY_LEVEL_MAX);
		g_assert_cmpuint(s.mem_total, >, 0);
		g_assert_true(s.has_thresholds);
		strict = oomn_genl_free(strict);
	}

	/* Invalid requests are refused before anything is sent. */
	u = (struct oomn_thresholds_update){};
	g_assert_cmpint(oomn_genl_set_thresholds(g, &u, &errmsg), ==, -EINVAL);
	g_assert_null(errmsg);
	g_assert_cmpint(oomn_genl_subscribe(g, 0), ==, -EINVAL);
	g_assert_cmpint(oomn_genl_subscribe(g, 1u << 7), ==, -EINVAL);
	g_assert_cmpint(oomn_genl_open(&strict, 1u << 9), ==, -EINVAL);

	g_assert_null(oomn_genl_free(NULL));
}

static void test_subscribe_and_dispatch(void)
{
	_cleanup_(oomn_genl_freep) OomnGenl *g = NULL;
	struct calls calls = {};
	int r;

	g = open_or_skip();
	if (!g)
		return;
	oomn_genl_set_handlers(g, &handlers, &calls);

	g_assert_cmpint(oomn_genl_subscribe(g, OOMN_GROUP_PRESSURE), ==, 0);
	r = oomn_genl_subscribe(g, OOMN_GROUP_OOM);
	if (oomn_genl_has_family(g) && geteuid() != 0) {
		/* the module does not build where the group could be open to all */
		g_assert_cmpint(r, ==, -EPERM);
	} else
		g_assert_cmpint(r, ==, 0);

	/* Nothing pending: returns at once. */
	g_assert_cmpint(oomn_genl_dispatch(g), ==, 0);
	g_assert_cmpint(oomn_genl_unsubscribe(g, OOMN_GROUP_PRESSURE | OOMN_GROUP_OOM), ==, 0);
	g_assert_cmpint(oomn_genl_unsubscribe(g, 1u << 7), ==, -EINVAL);
	oomn_genl_set_handlers(g, NULL, NULL);
	g_assert_cmpint(oomn_genl_dispatch(g), ==, 0);
	g_assert_cmpint(calls.pressure + calls.oom + calls.family + calls.overflow +
				calls.gap + calls.invalid,
			==, 0);
}

struct dump {
	unsigned n;
	unsigned stop_after; /* 0: never */
	uint32_t last_pid;
	bool ordered, saw_init, saw_self;
};

static int on_proc(const struct oomn_proc *p, void *userdata)
{
	struct dump *d = userdata;

	if (d->n > 0 && p->pid <= d->last_pid)
		d->ordered = false;
	d->last_pid = p->pid;
	if (p->pid == 1)
		d->saw_init = true;
	if (p->pid == (uint32_t)getpid())
		d->saw_self = p->has_mm && p->rss > 0 && p->uid == getuid() && p->start_ns > 0;
	d->n++;
	return d->stop_after && d->n >= d->stop_after ? -ECANCELED : 0;
}

static void test_dump(void)
{
	_cleanup_(oomn_genl_freep) OomnGenl *g = NULL;
	struct dump d = { .ordered = true };
	struct oomn_state s;
	unsigned malformed = 7;
	int r;

	g = open_or_skip();
	if (!g)
		return;

	g_assert_cmpint(oomn_genl_dump_processes(g, NULL, NULL, &malformed), ==, -EINVAL);
	g_assert_cmpuint(malformed, ==, 0);
	if (!oomn_genl_has_family(g)) {
		malformed = 7;
		g_assert_cmpint(oomn_genl_dump_processes(g, on_proc, &d, &malformed), ==, -ENOENT);
		g_assert_cmpuint(malformed, ==, 0);
		g_assert_cmpuint(d.n, ==, 0);
		return;
	}

	r = oomn_genl_dump_processes(g, on_proc, &d, &malformed);
	if (geteuid() != 0) {
		g_assert_cmpint(r, ==, -EPERM);
		g_assert_cmpuint(d.n, ==, 0);
		g_assert_cmpint(oomn_genl_get_state(g, &s), ==, 0);
		return;
	}
	g_assert_cmpint(r, ==, 0);
	g_assert_cmpuint(malformed, ==, 0);
	g_assert_cmpuint(d.n, >, 2);
	g_assert_true(d.ordered);
	g_assert_true(d.saw_init);
	g_assert_true(d.saw_self);

	/* Stopped early: the rest is drained, so the socket serves a request
	 * and another dump (the kernel refuses a dump while one runs). */
	d = (struct dump){ .ordered = true, .stop_after = 2 };
	g_assert_cmpint(oomn_genl_dump_processes(g, on_proc, &d, NULL), ==, -ECANCELED);
	g_assert_cmpuint(d.n, ==, 2);
	g_assert_cmpint(oomn_genl_get_state(g, &s), ==, 0);
	d = (struct dump){ .ordered = true };
	g_assert_cmpint(oomn_genl_dump_processes(g, on_proc, &d, NULL), ==, 0);
	g_assert_true(d.saw_self);
}

/* Any process may unicast to our port: such messages must be ignored. */
static void test_spoofed(void)
{
	_cleanup_(oomn_genl_freep) OomnGenl *g = NULL;
	_cleanup_close_ int sk = -EBADF;
	struct sockaddr_nl me = {}, self = { .nl_family = AF_NETLINK };
	socklen_t len = sizeof(me);
	struct calls calls = {};
	struct nl_msg *m;
	struct nlattr *grps, *grp;

	g = open_or_skip();
	if (!g)
		return;
	oomn_genl_set_handlers(g, &handlers, &calls);
	g_assert_cmpint(oomn_genl_subscribe(g, OOMN_GROUP_PRESSURE), ==, 0);
	g_assert_cmpint(getsockname(oomn_genl_event_fd(g), (struct sockaddr *)&me, &len), ==, 0);

	sk = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	g_assert_cmpint(sk, >=, 0);
	g_assert_cmpint(bind(sk, (struct sockaddr *)&self, sizeof(self)), ==, 0);

	/* "oom_notify appeared", from a user process. */
	m = nlmsg_alloc();
	genlmsg_put(m, 0, 0, GENL_ID_CTRL, 0, 0, CTRL_CMD_NEWFAMILY, 2);
	nla_put_u16(m, CTRL_ATTR_FAMILY_ID, 0x7ff0);
	nla_put_string(m, CTRL_ATTR_FAMILY_NAME, OOM_NOTIFY_FAMILY_NAME);
	nla_put_u32(m, CTRL_ATTR_VERSION, OOM_NOTIFY_FAMILY_VERSION);
	grps = nla_nest_start(m, CTRL_ATTR_MCAST_GROUPS);
	grp = nla_nest_start(m, 1);
	nla_put_string(m, CTRL_ATTR_MCAST_GRP_NAME, OOM_NOTIFY_MCGRP_PRESSURE);
	nla_put_u32(m, CTRL_ATTR_MCAST_GRP_ID, 30);
	nla_nest_end(m, grp);
	nla_nest_end(m, grps);
	g_assert_cmpint(sendto(sk, nlmsg_hdr(m), nlmsg_hdr(m)->nlmsg_len, 0,
			       (struct sockaddr *)&me, sizeof(me)),
			==, (ssize_t)nlmsg_hdr(m)->nlmsg_len);
	nlmsg_free(m);

	g_assert_cmpint(oomn_genl_dispatch(g), ==, 0);
	g_assert_cmpint(calls.family, ==, 0);
	g_assert_cmpint(calls.invalid, ==, 0);

	/* A truncated-looking datagram from a user is dropped silently too. */
	{
		char junk[3] = { 1, 2, 3 };

		g_assert_cmpint(sendto(sk, junk, sizeof(junk), 0, (struct sockaddr *)&me,
				       sizeof(me)),
				==, 3);
		g_assert_cmpint(oomn_genl_dispatch(g), ==, 0);
		g_assert_cmpint(calls.invalid, ==, 0);
	}
}

int main(int argc, char *argv[])
{
	g_test_init(&argc, &argv, NULL);

	g_test_add_func("/core/genl/socket/open", test_open);
	g_test_add_func("/core/genl/socket/dispatch", test_subscribe_and_dispatch);
	g_test_add_func("/core/genl/socket/spoofed", test_spoofed);
	g_test_add_func("/core/genl/socket/dump", test_dump);

	return g_test_run();
}
