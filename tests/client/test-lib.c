/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * liboom-notify against the real broker on a private bus (bus-fixture.c):
 * pressure callbacks, registration, the KillPending notice and the answer
 * the killer sees, a disconnect ending the registration, the broker going
 * away and coming back, bad arguments. The pure parts first.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <systemd/sd-event.h>
#include <time.h>
#include <grp.h>
#include <unistd.h>

#include "bus-fixture.h"
#include "checkpoint.h"
#include "client-util.h"
#include "oom-notify.h"

/* The deprecated first name of the flag still means the same. */
G_STATIC_ASSERT(OOMN_CLIENT_CAN_FREE == OOMN_CLIENT_CAN_FREE_MEMORY);

/* What the callbacks saw. */
typedef struct {
	unsigned n_pressure;
	OomnLevel level, prev;
	guint64 avail, total, seq;

	unsigned n_pending;
	guint32 msec;
	guint64 deadline;
	char *reason;
	/* the answer given from the callback, and what Relieved returned */
	gboolean answer;
	guint64 answer_freed;
	gboolean answer_checkpointed;
	int relieved_result;

	unsigned n_broker;
	gboolean present;

	/* OOM_NOTIFY_1.1: subscribed events (a copy of the last, its strings kept), errors */
	unsigned n_event;
	OomnEvent event;
	GPtrArray *strings;
	GString *order; /* 'E' event, 'B'/'b' broker back/gone, 'D' disconnect, 'X' error */
	unsigned n_error;
	char *error_member;
	int error;
	unsigned n_disconnect;
} Events;

static void events_clear(Events *e)
{
	g_free(e->reason);
	g_free(e->error_member);
	if (e->strings)
		g_ptr_array_free(e->strings, TRUE);
	if (e->order)
		g_string_free(e->order, TRUE);
}

static void events_order(Events *e, char what)
{
	if (!e->order)
		e->order = g_string_new(NULL);
	g_string_append_c(e->order, what);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Events, events_clear)

static void on_pressure(OomnClient *c, OomnLevel level, OomnLevel prev, uint64_t avail,
			uint64_t total, uint64_t seq, void *userdata)
{
	Events *e = userdata;

	e->n_pressure++;
	e->level = level;
	e->prev = prev;
	e->avail = avail;
	e->total = total;
	e->seq = seq;
}

static void on_kill_pending(OomnClient *c, uint32_t msec, uint64_t deadline, const char *reason,
			    void *userdata)
{
	Events *e = userdata;

	e->n_pending++;
	e->msec = msec;
	e->deadline = deadline;
	g_free(e->reason);
	e->reason = g_strdup(reason);
	if (e->answer)
		e->relieved_result =
			oomn_client_relieved(c, e->answer_freed, e->answer_checkpointed);
}

static void on_broker(OomnClient *c, bool present, void *userdata)
{
	Events *e = userdata;

	e->n_broker++;
	e->present = present;
	events_order(e, present ? 'B' : 'b');
}

/* A copy of the event whose strings outlive the callback. */
static const char *keep(Events *e, const char *s)
{
	if (!s)
		return NULL;
	if (!e->strings)
		e->strings = g_ptr_array_new_with_free_func(g_free);
	g_ptr_array_add(e->strings, g_strdup(s));
	return g_ptr_array_index(e->strings, e->strings->len - 1);
}

static void on_event(OomnClient *c, const OomnEvent *ev, void *userdata)
{
	Events *e = userdata;

	e->n_event++;
	e->event = *ev;
	e->event.level = keep(e, ev->level);
	e->event.prev_level = keep(e, ev->prev_level);
	e->event.source = keep(e, ev->source);
	e->event.cgroup = keep(e, ev->cgroup);
	e->event.comm = keep(e, ev->comm);
	e->event.reason = keep(e, ev->reason);
	e->event.rule = keep(e, ev->rule);
	events_order(e, 'E');
}

static void on_error(OomnClient *c, const char *member, int error, const char *message,
		     void *userdata)
{
	Events *e = userdata;

	g_assert_nonnull(message);
	e->n_error++;
	g_free(e->error_member);
	e->error_member = g_strdup(member);
	e->error = error;
	events_order(e, 'X');
}

static void on_disconnect(OomnClient *c, void *userdata)
{
	Events *e = userdata;

	e->n_disconnect++;
	events_order(e, 'D');
}

static OomnClient *client_new(BusFixture *f, Events *e)
{
	OomnClient *c = NULL;

	g_assert_cmpint(oomn_client_new(&c, f->address), ==, 0);
	g_assert_nonnull(c);
	oomn_client_on_pressure(c, on_pressure, e);
	oomn_client_on_kill_pending(c, on_kill_pending, e);
	oomn_client_on_broker(c, on_broker, e);
	return c;
}

/*
 * Drives @c the way any poll loop would (its fd, events and timeout), and the
 * GLib context for the test's own connection, until *@counter exceeds @than
 * or @ms pass; returns whether it did.
 */
static gboolean pump_until(OomnClient *c, const unsigned *counter, unsigned than, unsigned ms)
{
	gint64 end = g_get_monotonic_time() + (gint64)ms * 1000;

	for (;;) {
		struct pollfd p = { .fd = oomn_client_get_fd(c) };
		guint64 until;
		int timeout = 10;

		g_assert_cmpint(oomn_client_process(c), ==, 0);
		g_main_context_iteration(NULL, FALSE);
		if (counter && *counter > than)
			return TRUE;
		if (g_get_monotonic_time() >= end)
			return FALSE;
		p.events = (short)oomn_client_get_events(c);
		g_assert_cmpint(p.events, >=, 0);
		g_assert_cmpint(oomn_client_get_timeout(c, &until), >=, 0);
		if (until != UINT64_MAX && (gint64)until <= g_get_monotonic_time())
			timeout = 0;
		(void)poll(&p, 1, timeout);
	}
}

static void pump(OomnClient *c, unsigned ms)
{
	(void)pump_until(c, NULL, 0, ms);
}

/* Pure parts */

static void test_levels(void)
{
	g_assert_cmpstr(oomn_client_level_to_string(OOMN_LEVEL_NORMAL), ==, "normal");
	g_assert_cmpstr(oomn_client_level_to_string(OOMN_LEVEL_CRITICAL), ==, "critical");
	g_assert_null(oomn_client_level_to_string((OomnLevel)4));
	g_assert_null(oomn_client_level_to_string((OomnLevel)-1));
	for (int l = OOMN_LEVEL_NORMAL; l <= OOMN_LEVEL_CRITICAL; l++)
		g_assert_cmpint(client_level_from_string(oomn_client_level_to_string(l)), ==, l);
	g_assert_cmpint(client_level_from_string("Critical"), ==, -EINVAL);
	g_assert_cmpint(client_level_from_string(""), ==, -EINVAL);
	g_assert_cmpint(client_level_from_string(NULL), ==, -EINVAL);
}

static void test_error_names(void)
{
	g_assert_cmpint(client_errno_from_error_name("org.oomnotify.Error.NoNotice"), ==, ENOMSG);
	g_assert_cmpint(client_errno_from_error_name("org.oomnotify.Error.NotRegistered"), ==,
			ENOENT);
	g_assert_cmpint(client_errno_from_error_name("org.oomnotify.Error.LimitsExceeded"), ==,
			EUSERS);
	g_assert_cmpint(client_errno_from_error_name("org.freedesktop.DBus.Error.ServiceUnknown"),
			==, ENOTCONN);
	g_assert_cmpint(client_errno_from_error_name("org.freedesktop.DBus.Error.InvalidArgs"), ==,
			EINVAL);
	g_assert_cmpint(client_errno_from_error_name("org.example.Other"), ==, 0);
	g_assert_cmpint(client_errno_from_error_name(NULL), ==, 0);
}

static void test_checkpoint_format(void)
{
	char buf[128];
	guint64 n = 0;

	g_assert_cmpint(checkpoint_format(buf, sizeof(buf), 12345), >, 0);
	g_assert_cmpint(checkpoint_parse(buf, &n), ==, 0);
	g_assert_cmpuint(n, ==, 12345);
	g_assert_cmpint(checkpoint_format(buf, 8, 1), ==, -ENOBUFS);
	g_assert_cmpint(checkpoint_parse("oomn-checkpoint-worker 1\ncount 7\n", &n), ==, 0);
	g_assert_cmpuint(n, ==, 7);
	/* truncated, garbage, another version, trailing text, negative, overflow */
	g_assert_cmpint(checkpoint_parse("oomn-checkpoint-worker 1\ncount 7", &n), ==, -EBADMSG);
	g_assert_cmpint(checkpoint_parse("", &n), ==, -EBADMSG);
	g_assert_cmpint(checkpoint_parse("oomn-checkpoint-worker 2\ncount 7\n", &n), ==, -EBADMSG);
	g_assert_cmpint(checkpoint_parse("oomn-checkpoint-worker 1\ncount 7x\n", &n), ==, -EBADMSG);
	g_assert_cmpint(checkpoint_parse("oomn-checkpoint-worker 1\ncount -7\n", &n), ==, -EBADMSG);
	g_assert_cmpint(
		checkpoint_parse("oomn-checkpoint-worker 1\ncount 99999999999999999999\n", &n), ==,
		-EBADMSG);
}

static void test_checkpoint_file(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *dir = g_dir_make_tmp("oomn-ckpt-XXXXXX", &error);
	g_autofree char *path = g_build_filename(dir, "state", NULL);
	guint64 n = 0;

	g_assert_no_error(error);
	g_assert_cmpint(checkpoint_load(path, &n), ==, 0);
	g_assert_cmpint(checkpoint_save(path, 42), ==, 0);
	g_assert_cmpint(checkpoint_load(path, &n), ==, 1);
	g_assert_cmpuint(n, ==, 42);
	g_assert_true(g_file_set_contents(path, "junk", -1, NULL));
	g_assert_cmpint(checkpoint_load(path, &n), ==, -EBADMSG);
	g_assert_cmpint(unlink(path), ==, 0);
	g_assert_cmpint(rmdir(dir), ==, 0);
}

/* On the bus */

static void test_no_bus(void)
{
	OomnClient *c = NULL;

	g_assert_cmpint(oomn_client_new(NULL, NULL), ==, -EINVAL);
	g_assert_cmpint(oomn_client_new(&c, "unix:path=/nonexistent/bus"), <, 0);
	g_assert_null(c);
	g_assert_cmpint(oomn_client_new(&c, "not an address"), <, 0);
	g_assert_null(c);
	/* NULL everywhere: errors, no crash */
	g_assert_null(oomn_client_unref(NULL));
	g_assert_cmpint(oomn_client_register(NULL, 50, 0, NULL), ==, -EINVAL);
	g_assert_cmpint(oomn_client_relieved(NULL, 0, false), ==, -EINVAL);
	g_assert_cmpint(oomn_client_process(NULL), ==, -EINVAL);
	g_assert_cmpint(oomn_client_get_level(NULL), ==, -EINVAL);
	g_assert_false(oomn_client_broker_present(NULL));
}

static void test_pressure(BusFixture *f, gconstpointer data)
{
	g_auto(Events) e = { 0 };
	OomnClient *c = client_new(f, &e);

	g_assert_true(oomn_client_broker_present(c));
	g_assert_cmpint(oomn_client_get_level(c), ==, OOMN_LEVEL_NORMAL);

	/* the broker notices the file by itself; the client hears it */
	bus_fixture_write_meminfo(f, MEMINFO_LOW);
	g_assert_true(pump_until(c, &e.n_pressure, 0, TIMEOUT_MS));
	g_assert_cmpint(e.level, ==, OOMN_LEVEL_LOW);
	g_assert_cmpint(e.prev, ==, OOMN_LEVEL_NORMAL);
	g_assert_cmpuint(e.seq, ==, 1);
	g_assert_cmpuint(e.avail, ==, (guint64)MEMINFO_LOW * 1024);
	g_assert_cmpuint(e.total, ==, 1000000ull * 1024);
	g_assert_cmpint(oomn_client_get_level(c), ==, OOMN_LEVEL_LOW);

	bus_fixture_write_meminfo(f, MEMINFO_CRITICAL);
	g_assert_true(pump_until(c, &e.n_pressure, 1, TIMEOUT_MS));
	g_assert_cmpint(e.level, ==, OOMN_LEVEL_CRITICAL);
	g_assert_cmpint(e.prev, ==, OOMN_LEVEL_LOW);
	g_assert_cmpuint(e.seq, ==, 2);

	/* a second client, started now, reads the current level */
	{
		g_auto(Events) e2 = { 0 };
		OomnClient *c2 = client_new(f, &e2);

		g_assert_cmpint(oomn_client_get_level(c2), ==, OOMN_LEVEL_CRITICAL);
		oomn_client_unref(c2);
	}

	bus_fixture_write_meminfo(f, MEMINFO_NORMAL);
	g_assert_true(pump_until(c, &e.n_pressure, 2, TIMEOUT_MS));
	g_assert_cmpint(e.level, ==, OOMN_LEVEL_NORMAL);
	g_assert_cmpuint(e.seq, ==, 3);
	g_assert_cmpuint(e.n_pressure, ==, 3);
	oomn_client_unref(c);
}

/* The same through sd-event. */
static void test_sd_event(BusFixture *f, gconstpointer data)
{
	g_auto(Events) e = { 0 };
	OomnClient *c = client_new(f, &e);
	sd_event *event = NULL;
	gint64 end = g_get_monotonic_time() + TIMEOUT_MS * 1000;

	g_assert_cmpint(sd_event_new(&event), >=, 0);
	g_assert_cmpint(oomn_client_attach_event(c, event, 0), ==, 0);
	g_assert_cmpint(oomn_client_attach_event(c, event, 0), ==, -EBUSY);

	bus_fixture_write_meminfo(f, MEMINFO_MEDIUM);
	while (e.n_pressure == 0) {
		g_assert_cmpint(g_get_monotonic_time(), <, end);
		g_assert_cmpint(sd_event_run(event, 100000), >=, 0);
	}
	g_assert_cmpint(e.level, ==, OOMN_LEVEL_MEDIUM);
	g_assert_cmpint(e.prev, ==, OOMN_LEVEL_NORMAL);
	g_assert_cmpint(oomn_client_get_level(c), ==, OOMN_LEVEL_MEDIUM);
	/* unref detaches it from the loop, which lives on */
	oomn_client_unref(c);
	g_assert_cmpint(sd_event_run(event, 0), >=, 0);
	sd_event_unref(event);
}

/* Register, the notice, the answer the killer sees. */
static void test_kill_pending(BusFixture *f, gconstpointer data)
{
	g_auto(Events) e = { .answer = TRUE, .answer_freed = 4096, .answer_checkpointed = TRUE };
	OomnClient *c = client_new(f, &e);
	guint32 pid = (guint32)getpid(), band = 0, flags = 0, n, p;
	g_autoptr(GVariant) r = NULL;
	g_autoptr(GVariant) v = NULL;
	guint64 id = 0, id2 = 0, freed;
	gboolean ckpt;
	struct timespec ts;

	g_assert_cmpint(
		oomn_client_register(c, 30, OOMN_CLIENT_CAN_FREE_MEMORY | OOMN_CLIENT_CAN_CHECKPOINT, &id),
		==, 0);
	g_assert_cmpuint(id, >, 0);
	g_assert_true(bus_fixture_client_listed(f, pid, &band, &flags));
	g_assert_cmpuint(band, ==, 30);
	g_assert_cmpuint(flags, ==, 3);
	/* again: an update, the same id */
	g_assert_cmpint(oomn_client_register(c, 40, OOMN_CLIENT_CAN_CHECKPOINT, &id2), ==, 0);
	g_assert_cmpuint(id2, ==, id);
	g_assert_true(bus_fixture_client_listed(f, pid, &band, &flags));
	g_assert_cmpuint(band, ==, 40);
	g_assert_cmpuint(flags, ==, OOMN_CLIENT_CAN_CHECKPOINT);

	/* nothing to answer yet */
	g_assert_cmpint(oomn_client_relieved(c, 1, false), ==, -ENOMSG);
	g_assert_cmpstr(oomn_client_get_error_message(c), !=, "");

	/* a KillPending forged by another connection is not the broker's: ignored */
	g_assert_true(g_dbus_connection_emit_signal(
		f->conn, NULL, BROKER_PATH, BROKER_IFACE, "KillPending",
		g_variant_new("(uuts)", pid, 1, (guint64)1, "forged"), NULL));
	g_assert_true(g_dbus_connection_flush_sync(f->conn, NULL, NULL));
	/* a round trip through the broker: the forged signal has come before its answer */
	g_assert_cmpint(oomn_client_register(c, 40, OOMN_CLIENT_CAN_CHECKPOINT, NULL), ==, 0);
	pump(c, 100);
	g_assert_cmpuint(e.n_pending, ==, 0);

	/* the killer's notice (the test is root) */
	r = bus_fixture_call(f, "NotifyCandidate",
			     g_variant_new("(uus)", pid, 5000, "test notice"));
	g_variant_get(r, "(u)", &n);
	g_assert_cmpuint(n, ==, 1);
	g_assert_true(pump_until(c, &e.n_pending, 0, TIMEOUT_MS));
	g_assert_cmpuint(e.msec, ==, 5000);
	g_assert_cmpstr(e.reason, ==, "test notice");
	clock_gettime(CLOCK_BOOTTIME, &ts);
	g_assert_cmpuint(e.deadline, >, (guint64)ts.tv_sec * 1000000);
	g_assert_cmpuint(e.deadline, <=, (guint64)ts.tv_sec * 1000000 + 6000000);
	/* answered from the callback: the killer sees it */
	g_assert_cmpint(e.relieved_result, ==, 0);
	v = bus_fixture_take_signal(f, "CandidateAnswered", TIMEOUT_MS);
	g_assert_nonnull(v);
	g_variant_get(v, "(utb)", &p, &freed, &ckpt);
	g_assert_cmpuint(p, ==, pid);
	g_assert_cmpuint(freed, ==, 4096);
	g_assert_true(ckpt);
	/* once only */
	g_assert_cmpint(oomn_client_relieved(c, 1, false), ==, -ENOMSG);

	g_assert_cmpint(oomn_client_unregister(c), ==, 0);
	g_assert_false(bus_fixture_client_listed(f, pid, NULL, NULL));
	g_assert_cmpint(oomn_client_unregister(c), ==, -ENOENT);
	g_assert_cmpint(oomn_client_relieved(c, 1, false), ==, -ENOENT);
	oomn_client_unref(c);
}

/* The registration ends with the client (its connection). */
static void test_disconnect(BusFixture *f, gconstpointer data)
{
	g_auto(Events) e = { 0 };
	OomnClient *c = client_new(f, &e);
	gint64 end;

	g_assert_cmpint(oomn_client_register(c, 10, OOMN_CLIENT_CAN_FREE_MEMORY, NULL), ==, 0);
	g_assert_true(bus_fixture_client_listed(f, (guint32)getpid(), NULL, NULL));
	oomn_client_unref(c);
	end = g_get_monotonic_time() + TIMEOUT_MS * 1000;
	while (bus_fixture_client_listed(f, (guint32)getpid(), NULL, NULL)) {
		g_assert_cmpint(g_get_monotonic_time(), <, end);
		g_usleep(10000);
	}
}

static void test_invalid(BusFixture *f, gconstpointer data)
{
	g_auto(Events) e = { 0 };
	g_auto(Events) e2 = { 0 };
	OomnClient *c = client_new(f, &e);
	OomnClient *c2 = client_new(f, &e2);

	/* refused by the library already, nothing kept */
	g_assert_cmpint(oomn_client_register(c, 101, 0, NULL), ==, -EINVAL);
	g_assert_cmpstr(oomn_client_get_error_message(c), !=, "");
	g_assert_cmpint(oomn_client_register(c, 50, 0x80, NULL), ==, -EINVAL);
	g_assert_false(bus_fixture_client_listed(f, (guint32)getpid(), NULL, NULL));
	/* not registered */
	g_assert_cmpint(oomn_client_relieved(c, 0, false), ==, -ENOENT);
	g_assert_cmpint(oomn_client_unregister(c), ==, -ENOENT);
	/* --max-clients-per-uid 1: the broker refuses a second one of ours */
	g_assert_cmpint(oomn_client_register(c, 50, 0, NULL), ==, 0);
	g_assert_cmpint(oomn_client_register(c2, 50, 0, NULL), ==, -EUSERS);
	g_assert_cmpstr(oomn_client_get_error_message(c2), !=, "");
	/* the broker is fine */
	g_assert_cmpint(oomn_client_get_level(c), ==, OOMN_LEVEL_NORMAL);
	oomn_client_unref(c2);
	oomn_client_unref(c);
}

/* The broker goes away and comes back: told, and registered again by itself. */
static void test_broker_restart(BusFixture *f, gconstpointer data)
{
	g_auto(Events) e = { 0 };
	OomnClient *c = client_new(f, &e);
	guint32 pid = (guint32)getpid(), band = 0, flags = 0;
	gint64 end;

	g_assert_cmpint(oomn_client_register(c, 70, OOMN_CLIENT_CAN_FREE_MEMORY, NULL), ==, 0);
	bus_fixture_stop_broker(f);
	g_assert_true(pump_until(c, &e.n_broker, 0, TIMEOUT_MS));
	g_assert_false(e.present);
	g_assert_false(oomn_client_broker_present(c));
	g_assert_cmpint(oomn_client_get_level(c), ==, -ENOTCONN);
	g_assert_cmpint(oomn_client_relieved(c, 0, false), ==, -ENOTCONN);

	/* it comes back on critical */
	bus_fixture_write_meminfo(f, MEMINFO_CRITICAL);
	bus_fixture_start_broker(f);
	g_assert_true(pump_until(c, &e.n_broker, 1, TIMEOUT_MS));
	g_assert_true(e.present);
	g_assert_true(oomn_client_broker_present(c));
	end = g_get_monotonic_time() + TIMEOUT_MS * 1000;
	while (!bus_fixture_client_listed(f, pid, &band, &flags) ||
	       oomn_client_get_level(c) != OOMN_LEVEL_CRITICAL) {
		g_assert_cmpint(g_get_monotonic_time(), <, end);
		pump(c, 10);
	}
	g_assert_cmpuint(band, ==, 70);
	g_assert_cmpuint(flags, ==, OOMN_CLIENT_CAN_FREE_MEMORY);
	oomn_client_unref(c);
}

/* No broker at first: the client waits for it, and registers then. */
static void test_broker_late(BusFixture *f, gconstpointer data)
{
	g_auto(Events) e = { 0 };
	OomnClient *c = client_new(f, &e);
	gint64 end;

	g_assert_false(oomn_client_broker_present(c));
	g_assert_cmpint(oomn_client_get_level(c), ==, -ENOTCONN);
	g_assert_cmpint(oomn_client_register(c, 20, OOMN_CLIENT_CAN_FREE_MEMORY, NULL), ==, -ENOTCONN);
	bus_fixture_start_broker(f);
	g_assert_true(pump_until(c, &e.n_broker, 0, TIMEOUT_MS));
	g_assert_true(e.present);
	end = g_get_monotonic_time() + TIMEOUT_MS * 1000;
	while (!bus_fixture_client_listed(f, (guint32)getpid(), NULL, NULL)) {
		g_assert_cmpint(g_get_monotonic_time(), <, end);
		pump(c, 10);
	}
	oomn_client_unref(c);
}

/* OOM_NOTIFY_1.1 */

static void test_level_from_string(void)
{
	for (int l = OOMN_LEVEL_NORMAL; l <= OOMN_LEVEL_CRITICAL; l++)
		g_assert_cmpint(oomn_client_level_from_string(oomn_client_level_to_string(l)), ==, l);
	g_assert_cmpint(oomn_client_level_from_string("medium"), ==, OOMN_LEVEL_MEDIUM);
	g_assert_cmpint(oomn_client_level_from_string("severe"), ==, -EINVAL);
	g_assert_cmpint(oomn_client_level_from_string("Critical"), ==, -EINVAL);
	g_assert_cmpint(oomn_client_level_from_string(NULL), ==, -EINVAL);
	g_assert_cmpint(client_errno_from_error_name("org.freedesktop.DBus.Error.UnknownMethod"),
			==, EOPNOTSUPP);
}

static void test_new_api_null(void)
{
	OomnEvent ev;
	OomnClientInfo *list = NULL;
	size_t n = 0;

	g_assert_cmpint(oomn_client_subscribe(NULL, OOMN_EVENTS_ALL, NULL, NULL), ==, -EINVAL);
	g_assert_cmpint(oomn_client_get_state(NULL, &ev), ==, -EINVAL);
	g_assert_cmpint(oomn_client_list_clients(NULL, &list, &n), ==, -EINVAL);
	g_assert_cmpint(oomn_client_watch_kills(NULL), ==, -EINVAL);
	g_assert_cmpint(oomn_client_unwatch_kills(NULL), ==, -EINVAL);
	oomn_client_on_error(NULL, on_error, NULL);
	oomn_client_on_disconnect(NULL, on_disconnect, NULL);
}

/* GetState's answer, in full. */
static void test_get_state(BusFixture *f, gconstpointer data)
{
	g_auto(Events) e = { 0 };
	OomnClient *c = client_new(f, &e);
	OomnEvent st;

	g_assert_cmpint(oomn_client_get_state(c, NULL), ==, -EINVAL);
	g_assert_cmpint(oomn_client_get_state(c, &st), ==, 0);
	g_assert_cmpint(st.kind, ==, OOMN_EVENT_STATE);
	g_assert_cmpstr(st.level, ==, "normal");
	g_assert_null(st.prev_level);
	g_assert_cmpstr(st.source, ==, "meminfo");
	g_assert_cmpuint(st.signal_seq, ==, 0);
	g_assert_cmpuint(st.mem_total, ==, 1000000ull * 1024);
	g_assert_cmpuint(st.mem_available, ==, (guint64)MEMINFO_NORMAL * 1024);
	g_assert_cmpuint(st.swap_total, ==, 0);
	g_assert_cmpuint(st.swap_free, ==, 0);
	g_assert_cmpuint(st.timestamp_ns, >, 0);

	bus_fixture_write_meminfo(f, MEMINFO_MEDIUM);
	g_assert_true(pump_until(c, &e.n_pressure, 0, TIMEOUT_MS));
	g_assert_cmpint(oomn_client_get_state(c, &st), ==, 0);
	g_assert_cmpstr(st.level, ==, "medium");
	g_assert_cmpuint(st.signal_seq, ==, 1);
	g_assert_cmpuint(st.mem_available, ==, (guint64)MEMINFO_MEDIUM * 1024);

	bus_fixture_stop_broker(f);
	g_assert_true(pump_until(c, &e.n_broker, 0, TIMEOUT_MS));
	g_assert_cmpint(oomn_client_get_state(c, &st), ==, -ENOTCONN);
	g_assert_cmpstr(oomn_client_get_error_message(c), !=, "");
	oomn_client_unref(c);
}

/* PressureChanged in full, the state when the broker comes back, nothing unsubscribed. */
static void test_subscribe(BusFixture *f, gconstpointer data)
{
	g_auto(Events) e = { 0 };
	OomnClient *c = client_new(f, &e);

	g_assert_cmpint(oomn_client_subscribe(c, 1u << 8, on_event, &e), ==, -EINVAL);
	g_assert_cmpint(oomn_client_subscribe(c, OOMN_EVENT_STATE | OOMN_EVENT_PRESSURE, on_event,
					      &e),
			==, 0);

	bus_fixture_write_meminfo(f, MEMINFO_LOW);
	g_assert_true(pump_until(c, &e.n_event, 0, TIMEOUT_MS));
	g_assert_cmpint(e.event.kind, ==, OOMN_EVENT_PRESSURE);
	g_assert_cmpstr(e.event.level, ==, "low");
	g_assert_cmpstr(e.event.prev_level, ==, "normal");
	g_assert_cmpstr(e.event.source, ==, "meminfo");
	g_assert_cmpuint(e.event.signal_seq, ==, 1);
	g_assert_cmpuint(e.event.mem_total, ==, 1000000ull * 1024);
	g_assert_cmpuint(e.event.mem_available, ==, (guint64)MEMINFO_LOW * 1024);
	g_assert_cmpuint(e.event.timestamp_ns, >, 0);
	g_assert_null(e.event.comm);
	/* the old callback as well */
	g_assert_cmpuint(e.n_pressure, ==, 1);

	/* a signal forged by another connection is not the broker's: ignored */
	g_assert_cmpint(oomn_client_subscribe(c, OOMN_EVENTS_ALL, on_event, &e), ==, 0);
	g_assert_true(g_dbus_connection_emit_signal(
		f->conn, NULL, BROKER_PATH, BROKER_IFACE, "Killed",
		g_variant_new("(usussts)", 1, "forged", 0, "", "", (guint64)0, "forged"), NULL));
	g_assert_true(g_dbus_connection_flush_sync(f->conn, NULL, NULL));
	{
		OomnEvent st;

		/* a round trip through the broker: the forged signal has come before its answer */
		g_assert_cmpint(oomn_client_get_state(c, &st), ==, 0);
	}
	pump(c, 100);
	g_assert_cmpuint(e.n_event, ==, 1);

	/* a broker that starts: back, then its state as an event */
	bus_fixture_stop_broker(f);
	g_assert_true(pump_until(c, &e.n_broker, 0, TIMEOUT_MS));
	bus_fixture_write_meminfo(f, MEMINFO_CRITICAL);
	bus_fixture_start_broker(f);
	g_assert_true(pump_until(c, &e.n_event, 1, TIMEOUT_MS));
	g_assert_cmpint(e.event.kind, ==, OOMN_EVENT_STATE);
	g_assert_cmpstr(e.event.level, ==, "critical");
	g_assert_cmpuint(e.event.signal_seq, ==, 0);
	g_assert_cmpstr(e.order->str, ==, "EbBE");

	/* none subscribed: nothing comes, the old callback still does */
	g_assert_cmpint(oomn_client_subscribe(c, 0, NULL, NULL), ==, 0);
	bus_fixture_write_meminfo(f, MEMINFO_NORMAL);
	g_assert_true(pump_until(c, &e.n_pressure, 1, TIMEOUT_MS));
	g_assert_cmpuint(e.n_event, ==, 2);
	g_assert_cmpuint(e.n_error, ==, 0);
	oomn_client_unref(c);
}

/* The kill events: WatchKills, each signal in full, UnwatchKills. */
static void test_watch_kills(BusFixture *f, gconstpointer data)
{
	g_auto(Events) e = { 0 };
	OomnClient *c = client_new(f, &e);
	g_autoptr(GDBusConnection) killer = bus_connect(f->address);
	g_autofree char *killer_name = g_strdup(g_dbus_connection_get_unique_name(killer));
	g_autofree char *comm = NULL;
	g_autoptr(GVariant) n = NULL, r1 = NULL, r2 = NULL, r3 = NULL;
	guint32 pid = (guint32)getpid();
	GError *error = NULL;
	OomnEvent st;

	if (getuid() != 0) {
		g_test_skip("the bus policy lets only root watch kills");
		oomn_client_unref(c);
		return;
	}
	g_assert_true(g_file_get_contents("/proc/self/comm", &comm, NULL, NULL));
	g_strchomp(comm);
	g_assert_cmpint(oomn_client_subscribe(c,
					      OOMN_EVENT_KILL_ANNOUNCED |
						      OOMN_EVENT_CANDIDATE_ANSWERED |
						      OOMN_EVENT_KILLED | OOMN_EVENT_REDEEMED,
					      on_event, &e),
			==, 0);
	g_assert_cmpint(oomn_client_watch_kills(c), ==, 0);
	g_assert_cmpint(oomn_client_register(c, 50, OOMN_CLIENT_CAN_CHECKPOINT, NULL), ==, 0);

	/* the notice to the candidate (this client) is announced to the watchers (it too) */
	n = g_dbus_connection_call_sync(killer, BROKER_NAME, BROKER_PATH, BROKER_IFACE,
					"NotifyCandidate",
					g_variant_new("(uus)", pid, 5000, "low \"mem\""), NULL,
					G_DBUS_CALL_FLAGS_NONE, TIMEOUT_MS, NULL, &error);
	g_assert_no_error(error);
	g_assert_true(pump_until(c, &e.n_event, 0, TIMEOUT_MS));
	g_assert_cmpint(e.event.kind, ==, OOMN_EVENT_KILL_ANNOUNCED);
	g_assert_cmpuint(e.event.pid, ==, pid);
	g_assert_cmpstr(e.event.comm, ==, comm);
	g_assert_cmpuint(e.event.deadline_msec, ==, 5000);
	g_assert_cmpuint(e.event.deadline_boottime_usec, >, 0);
	g_assert_cmpstr(e.event.reason, ==, "low \"mem\"");

	/* the answer goes to the killer; with the killer gone, to everyone */
	g_dbus_connection_close_sync(killer, NULL, NULL);
	bus_wait_name(f->conn, killer_name, FALSE, TIMEOUT_MS, 0);
	g_assert_cmpint(oomn_client_relieved(c, 4096, true), ==, 0);
	g_assert_true(pump_until(c, &e.n_event, 1, TIMEOUT_MS));
	g_assert_cmpint(e.event.kind, ==, OOMN_EVENT_CANDIDATE_ANSWERED);
	g_assert_cmpuint(e.event.pid, ==, pid);
	g_assert_cmpuint(e.event.freed, ==, 4096);
	g_assert_true(e.event.checkpointed);

	r1 = bus_fixture_call(f, "ReportOutcome",
			      g_variant_new("(susussts)", "killed", 4242, "hog\n1", 1000, "/a/b",
					    "prefer-hogs", (guint64)1 << 20, "deadline passed"));
	g_assert_true(pump_until(c, &e.n_event, 2, TIMEOUT_MS));
	g_assert_cmpint(e.event.kind, ==, OOMN_EVENT_KILLED);
	g_assert_cmpuint(e.event.pid, ==, 4242);
	g_assert_cmpstr(e.event.comm, ==, "hog\n1");
	g_assert_cmpuint(e.event.uid, ==, 1000);
	g_assert_cmpstr(e.event.cgroup, ==, "/a/b");
	g_assert_cmpstr(e.event.rule, ==, "prefer-hogs");
	g_assert_cmpuint(e.event.freed, ==, 1u << 20);
	g_assert_cmpstr(e.event.reason, ==, "deadline passed");

	r2 = bus_fixture_call(f, "ReportOutcome",
			      g_variant_new("(susussts)", "redeemed", 4243, "cache", 0, "", "",
					    (guint64)0, "pressure fell"));
	g_assert_true(pump_until(c, &e.n_event, 3, TIMEOUT_MS));
	g_assert_cmpint(e.event.kind, ==, OOMN_EVENT_REDEEMED);
	g_assert_cmpuint(e.event.pid, ==, 4243);
	g_assert_cmpstr(e.event.comm, ==, "cache");
	g_assert_cmpstr(e.event.reason, ==, "pressure fell");
	g_assert_null(e.event.cgroup);

	/* kept across a restart of the broker, like the registration */
	bus_fixture_stop_broker(f);
	g_assert_true(pump_until(c, &e.n_broker, 0, TIMEOUT_MS));
	g_assert_cmpint(oomn_client_unwatch_kills(c), ==, -ENOTCONN);
	g_assert_cmpint(oomn_client_watch_kills(c), ==, -ENOTCONN);
	bus_fixture_start_broker(f);
	g_assert_true(pump_until(c, &e.n_broker, 1, TIMEOUT_MS));
	/* the library's WatchKills went before this: a round trip behind it */
	g_assert_cmpint(oomn_client_get_state(c, &st), ==, 0);
	pump(c, 50);
	g_clear_pointer(&r1, g_variant_unref);
	r1 = bus_fixture_call(f, "ReportOutcome",
			      g_variant_new("(susussts)", "killed", 4244, "hog", 0, "", "",
					    (guint64)0, "again"));
	g_assert_true(pump_until(c, &e.n_event, 4, TIMEOUT_MS));
	g_assert_cmpint(e.event.kind, ==, OOMN_EVENT_KILLED);
	g_assert_cmpuint(e.event.pid, ==, 4244);

	/* and no more after UnwatchKills */
	g_assert_cmpint(oomn_client_unwatch_kills(c), ==, 0);
	r3 = bus_fixture_call(f, "ReportOutcome",
			      g_variant_new("(susussts)", "killed", 4245, "hog", 0, "", "",
					    (guint64)0, "unseen"));
	g_assert_cmpint(oomn_client_get_state(c, &st), ==, 0);
	pump(c, 100);
	g_assert_cmpuint(e.n_event, ==, 5);
	g_assert_cmpuint(e.n_error, ==, 0);
	oomn_client_unref(c);
}

/* ListClients, in one block. */
static void test_list_clients(BusFixture *f, gconstpointer data)
{
	g_auto(Events) e = { 0 };
	OomnClient *c = client_new(f, &e);
	g_autofree OomnClientInfo *list = NULL;
	g_autofree char *comm = NULL;
	size_t n = 99;
	guint64 id = 0;

	g_assert_cmpint(oomn_client_list_clients(c, NULL, &n), ==, -EINVAL);
	g_assert_cmpint(oomn_client_list_clients(c, &list, &n), ==, 0);
	g_assert_null(list);
	g_assert_cmpuint(n, ==, 0);

	g_assert_true(g_file_get_contents("/proc/self/comm", &comm, NULL, NULL));
	g_strchomp(comm);
	g_assert_cmpint(oomn_client_register(c, 30, OOMN_CLIENT_CAN_FREE_MEMORY, &id), ==, 0);
	g_assert_cmpint(oomn_client_list_clients(c, &list, &n), ==, 0);
	g_assert_cmpuint(n, ==, 1);
	g_assert_nonnull(list);
	g_assert_cmpuint(list[0].id, ==, id);
	g_assert_cmpuint(list[0].pid, ==, (guint32)getpid());
	g_assert_cmpuint(list[0].uid, ==, getuid());
	g_assert_cmpstr(list[0].comm, ==, comm);
	g_assert_true(g_str_has_prefix(list[0].bus_name, ":"));
	g_assert_cmpuint(list[0].band, ==, 30);
	g_assert_cmpuint(list[0].flags, ==, OOMN_CLIENT_CAN_FREE_MEMORY);

	bus_fixture_stop_broker(f);
	g_assert_true(pump_until(c, &e.n_broker, 0, TIMEOUT_MS));
	g_clear_pointer(&list, g_free);
	g_assert_cmpint(oomn_client_list_clients(c, &list, &n), ==, -ENOTCONN);
	oomn_client_unref(c);
}

/* As another user (nobody): the kill events and the clients are root's. */
static void test_not_root(BusFixture *f, gconstpointer data)
{
	pid_t child;
	int status;

	if (getuid() != 0) {
		g_test_skip("needs root to become another user");
		return;
	}
	child = fork();
	g_assert_cmpint(child, >=, 0);
	if (child == 0) {
		OomnClient *c = NULL;
		OomnClientInfo *list = NULL;
		size_t n = 0;

		if (setgroups(0, NULL) < 0 || setgid(65534) < 0 || setuid(65534) < 0)
			_exit(10);
		if (oomn_client_new(&c, f->address) < 0)
			_exit(11);
		if (oomn_client_watch_kills(c) != -EACCES)
			_exit(12);
		if (oomn_client_list_clients(c, &list, &n) != -EACCES || list)
			_exit(13);
		/* the state and the pressure events are anyone's */
		if (oomn_client_subscribe(c, OOMN_EVENTS_ALL, on_event, NULL) < 0)
			_exit(14);
		{
			OomnEvent st;

			if (oomn_client_get_state(c, &st) < 0 || strcmp(st.level, "normal") != 0)
				_exit(15);
		}
		oomn_client_unref(c);
		_exit(0);
	}
	g_assert_cmpint(waitpid(child, &status, 0), ==, child);
	g_assert_true(WIFEXITED(status));
	g_assert_cmpint(WEXITSTATUS(status), ==, 0);
}

/* What the library does by itself and fails at goes to OomnErrorFn. */
static void test_on_error(BusFixture *f, gconstpointer data)
{
	g_auto(Events) e = { 0 };
	OomnClient *c = client_new(f, &e);
	g_autoptr(GVariant) r = NULL;

	oomn_client_on_error(c, on_error, &e);
	g_assert_cmpint(oomn_client_register(c, 50, 0, NULL), ==, 0);
	bus_fixture_stop_broker(f);
	g_assert_true(pump_until(c, &e.n_broker, 0, TIMEOUT_MS));
	/* --max-clients-per-uid 1: another of ours takes the place first */
	bus_fixture_start_broker(f);
	r = bus_fixture_call(f, "Register", g_variant_new("(uu)", 50, 0));
	g_assert_true(pump_until(c, &e.n_error, 0, TIMEOUT_MS));
	g_assert_cmpstr(e.error_member, ==, "Register");
	g_assert_cmpint(e.error, ==, -EUSERS);
	g_assert_cmpstr(oomn_client_get_error_message(c), !=, "");
	/* unset: nothing is called */
	oomn_client_on_error(c, NULL, NULL);
	oomn_client_unref(c);
}

/* The bus goes: told once, and the broker is gone with it. */
static void test_on_disconnect(BusFixture *f, gconstpointer data)
{
	g_auto(Events) e = { 0 };
	OomnClient *c = client_new(f, &e);
	gint64 end = g_get_monotonic_time() + TIMEOUT_MS * 1000;

	oomn_client_on_disconnect(c, on_disconnect, &e);
	g_assert_cmpint(kill(f->bus_pid, SIGTERM), ==, 0);
	(void)test_wait_exit(f->bus_pid);
	f->bus_pid = 0;
	while (e.n_disconnect == 0) {
		struct pollfd p = { .fd = oomn_client_get_fd(c), .events = POLLIN };

		g_assert_cmpint(g_get_monotonic_time(), <, end);
		if (oomn_client_process(c) < 0)
			break;
		(void)poll(&p, 1, 10);
	}
	g_assert_cmpuint(e.n_disconnect, ==, 1);
	/* the broker's connection may have been closed first ("bD"); gone once either way */
	g_assert_true(g_str_equal(e.order->str, "Db") || g_str_equal(e.order->str, "bD"));
	g_assert_false(oomn_client_broker_present(c));
	g_assert_cmpint(oomn_client_process(c), <, 0);
	oomn_client_unref(c);
	/* the broker loses its bus too: it is not the test's to stop cleanly any more */
	(void)kill(f->broker_pid, SIGTERM);
	(void)test_wait_exit(f->broker_pid);
	f->broker_pid = 0;
}

static const BusOptions opt_default = { 0 };
static const BusOptions opt_limit = { .extra = "--max-clients-per-uid", .extra2 = "1" };
static const BusOptions opt_no_broker = { .no_broker = true };

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	signal(SIGPIPE, SIG_IGN);

	g_test_add_func("/lib/util/levels", test_levels);
	g_test_add_func("/lib/util/error-names", test_error_names);
	g_test_add_func("/lib/util/checkpoint-format", test_checkpoint_format);
	g_test_add_func("/lib/util/checkpoint-file", test_checkpoint_file);
	g_test_add_func("/lib/util/level-from-string", test_level_from_string);
	g_test_add_func("/lib/no-bus", test_no_bus);
	g_test_add_func("/lib/no-bus-1.1", test_new_api_null);
	g_autofree char *dbus_daemon = g_find_program_in_path("dbus-daemon");

	if (!dbus_daemon || !g_getenv("OOMN_BROKER")) {
		g_test_message("dbus-daemon or $OOMN_BROKER missing: the bus cases are skipped");
		return g_test_run();
	}
#define ADD(path, opt, fn)                                                                         \
	g_test_add(path, BusFixture, &opt, bus_fixture_setup, fn, bus_fixture_teardown)
	ADD("/lib/pressure", opt_default, test_pressure);
	ADD("/lib/sd-event", opt_default, test_sd_event);
	ADD("/lib/kill-pending", opt_default, test_kill_pending);
	ADD("/lib/disconnect", opt_default, test_disconnect);
	ADD("/lib/invalid", opt_limit, test_invalid);
	ADD("/lib/broker-restart", opt_default, test_broker_restart);
	ADD("/lib/broker-late", opt_no_broker, test_broker_late);
	ADD("/lib/get-state", opt_default, test_get_state);
	ADD("/lib/subscribe", opt_default, test_subscribe);
	ADD("/lib/watch-kills", opt_default, test_watch_kills);
	ADD("/lib/list-clients", opt_default, test_list_clients);
	ADD("/lib/not-root", opt_default, test_not_root);
	ADD("/lib/on-error", opt_limit, test_on_error);
	ADD("/lib/on-disconnect", opt_default, test_on_disconnect);
	return g_test_run();
}
