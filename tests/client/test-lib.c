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
#include <systemd/sd-event.h>
#include <time.h>
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
} Events;

static void events_clear(Events *e)
{
	g_free(e->reason);
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
	g_test_add_func("/lib/no-bus", test_no_bus);
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
	return g_test_run();
}
