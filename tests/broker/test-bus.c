/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * oom-notifyd on a private bus: a real dbus-daemon with the project's policy
 * and the real daemon per test, its meminfo source reading a fake proc tree.
 */
#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <grp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#include "bus-fixture.h"

#define LMM_NAME "org.freedesktop.LowMemoryMonitor"
#define LMM_PATH "/org/freedesktop/LowMemoryMonitor"
#define NOBODY 65534

typedef struct {
	bool permissive;    /* a bus policy that allows everything */
	bool preown_lmm;    /* the test holds the LowMemoryMonitor name first */
	const char *extra;  /* one more broker option, or NULL */
	const char *extra2; /* its value */
	bool kernel;        /* the real module (in the VM) instead of a fake meminfo */
	bool logged;        /* the broker's stderr goes to broker_log, for the test to read */
} Options;

/* tests/common/bus-fixture.h; in the VM the broker logs to broker_log (stderr is TAP there) */
typedef BusFixture Fixture;

/* Helpers */

static char *name_owner(GDBusConnection *c, const char *name)
{
	g_autoptr(GVariant) r = NULL;
	char *owner = NULL;

	r = g_dbus_connection_call_sync(c, "org.freedesktop.DBus", "/org/freedesktop/DBus",
					"org.freedesktop.DBus", "GetNameOwner",
					g_variant_new("(s)", name), G_VARIANT_TYPE("(s)"),
					G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);
	if (r)
		g_variant_get(r, "(s)", &owner);
	return owner;
}

/* Calls a Broker1 method; returns the reply or NULL with *error set. */
static GVariant *broker_call(GDBusConnection *c, const char *method, GVariant *args,
			     GError **error)
{
	return g_dbus_connection_call_sync(c, BROKER_NAME, BROKER_PATH, BROKER_IFACE, method, args,
					   NULL, G_DBUS_CALL_FLAGS_NONE, TIMEOUT_MS, NULL, error);
}

static GVariant *broker_call_ok(GDBusConnection *c, const char *method, GVariant *args)
{
	g_autoptr(GError) error = NULL;
	GVariant *r = broker_call(c, method, args, &error);

	g_assert_no_error(error);
	return r;
}

static void assert_broker_error(GDBusConnection *c, const char *method, GVariant *args,
				const char *error_name)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) r = broker_call(c, method, args, &error);
	g_autofree char *remote = NULL;

	g_assert_null(r);
	g_assert_nonnull(error);
	g_assert_true(g_dbus_error_is_remote_error(error));
	remote = g_dbus_error_get_remote_error(error);
	g_assert_cmpstr(remote, ==, error_name);
}

static GVariant *broker_property(GDBusConnection *c, const char *name)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) r = NULL;
	GVariant *v;

	r = g_dbus_connection_call_sync(c, BROKER_NAME, BROKER_PATH,
					"org.freedesktop.DBus.Properties", "Get",
					g_variant_new("(ss)", BROKER_IFACE, name),
					G_VARIANT_TYPE("(v)"), G_DBUS_CALL_FLAGS_NONE, TIMEOUT_MS,
					NULL, &error);
	g_assert_no_error(error);
	g_variant_get(r, "(v)", &v);
	return v;
}

/* The daemon still answers. */
static void assert_alive(Fixture *f)
{
	g_autoptr(GVariant) r = broker_call_ok(f->conn, "GetState", NULL);

	g_assert_cmpstr(g_variant_get_type_string(r), ==, "(stttttst)");
}

/* Fixture */

static GPid spawn_with_stdout(char **argv, char **envp, GIOChannel **ret_out)
{
	g_autoptr(GError) error = NULL;
	GPid pid;
	int out;

	g_spawn_async_with_pipes(NULL, argv, envp, G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_SEARCH_PATH,
				 test_child_die_with_parent, NULL, &pid,
				 NULL, &out, NULL, &error);
	g_assert_no_error(error);
	*ret_out = g_io_channel_unix_new(out);
	g_io_channel_set_close_on_unref(*ret_out, TRUE);
	return pid;
}

/*
 * In the VM bed stderr shares the TAP stream: there the broker logs to a
 * file that the teardown replays as test messages.
 */
static void start_broker(Fixture *f, const Options *o)
{
	const char *args[16] = { BUS_BROKER_MEMINFO_ARGS(f->address, f->proc) };
	int n = 11;

	if (o && o->kernel) {
		args[3] = "kernel";
		args[5] = "/proc";
	}
	if (o && o->extra) {
		args[n++] = o->extra;
		if (o->extra2)
			args[n++] = o->extra2;
	}
	args[n] = NULL;
	if (g_getenv("OOMN_VM") || (o && o->logged))
		f->broker_log = g_build_filename(f->tmpdir, "broker.log", NULL);
	f->broker_pid = bus_broker_spawn(args, 0, f->broker_log);
	bus_wait_name(f->conn, BROKER_NAME, TRUE, TIMEOUT_MS, 0);
}

static void fixture_setup(Fixture *f, gconstpointer data)
{
	const Options *o = data;
	g_autofree char *policy = NULL;

	g_assert_nonnull(g_getenv("OOMN_DBUS_DIR"));
	g_assert_nonnull(g_getenv("OOMN_BUS_POLICY"));
	policy = o && o->permissive ? g_strdup(BUS_POLICY_PERMISSIVE) : bus_policy_system();
	bus_fixture_start(f, "oomn-bus-XXXXXX", policy);
	if (o && o->preown_lmm) {
		g_autoptr(GError) error = NULL;
		g_autoptr(GVariant) r = g_dbus_connection_call_sync(
			f->conn, "org.freedesktop.DBus", "/org/freedesktop/DBus",
			"org.freedesktop.DBus", "RequestName",
			g_variant_new("(su)", LMM_NAME, 4 /* DO_NOT_QUEUE */),
			G_VARIANT_TYPE("(u)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
		g_assert_no_error(error);
	}
	start_broker(f, o);
}

static void fixture_teardown(Fixture *f, gconstpointer data)
{
	bus_fixture_stop(f);
}

/* Introspection equals the contract */

static void describe_args(GString *s, GDBusArgInfo **args, const char *dir)
{
	for (guint i = 0; args && args[i]; i++)
		g_string_append_printf(s, " %s %s:%s", dir, args[i]->name, args[i]->signature);
}

static gint compare_lines(gconstpointer a, gconstpointer b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static char *describe_interface(const GDBusInterfaceInfo *iface)
{
	g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func(g_free);
	GString *s = g_string_new(NULL);

	for (guint i = 0; iface->methods && iface->methods[i]; i++) {
		GString *l = g_string_new(NULL);

		g_string_append_printf(l, "method %s", iface->methods[i]->name);
		describe_args(l, iface->methods[i]->in_args, "in");
		describe_args(l, iface->methods[i]->out_args, "out");
		g_ptr_array_add(lines, g_string_free(l, FALSE));
	}
	for (guint i = 0; iface->signals && iface->signals[i]; i++) {
		GString *l = g_string_new(NULL);

		g_string_append_printf(l, "signal %s", iface->signals[i]->name);
		describe_args(l, iface->signals[i]->args, "arg");
		g_ptr_array_add(lines, g_string_free(l, FALSE));
	}
	for (guint i = 0; iface->properties && iface->properties[i]; i++) {
		const GDBusPropertyInfo *p = iface->properties[i];

		g_ptr_array_add(lines, g_strdup_printf("property %s %s %s%s", p->name, p->signature,
						       p->flags & G_DBUS_PROPERTY_INFO_FLAGS_READABLE ? "r" : "",
						       p->flags & G_DBUS_PROPERTY_INFO_FLAGS_WRITABLE ? "w" : ""));
	}
	g_ptr_array_sort(lines, compare_lines);
	for (guint i = 0; i < lines->len; i++)
		g_string_append_printf(s, "%s\n", (char *)g_ptr_array_index(lines, i));
	return g_string_free(s, FALSE);
}

static void test_introspect(Fixture *f, gconstpointer data)
{
	g_autofree char *path = g_build_filename(g_getenv("OOMN_DBUS_DIR"), BROKER_NAME ".xml", NULL);
	g_autofree char *contract_xml = NULL;
	g_autofree char *live_xml = NULL;
	g_autofree char *contract = NULL;
	g_autofree char *live = NULL;
	g_autoptr(GDBusNodeInfo) contract_node = NULL;
	g_autoptr(GDBusNodeInfo) live_node = NULL;
	g_autoptr(GVariant) r = NULL;
	g_autoptr(GError) error = NULL;
	GDBusInterfaceInfo *ci, *li;

	g_file_get_contents(path, &contract_xml, NULL, &error);
	g_assert_no_error(error);
	contract_node = g_dbus_node_info_new_for_xml(contract_xml, &error);
	g_assert_no_error(error);

	r = g_dbus_connection_call_sync(f->conn, BROKER_NAME, BROKER_PATH,
					"org.freedesktop.DBus.Introspectable", "Introspect", NULL,
					G_VARIANT_TYPE("(s)"), G_DBUS_CALL_FLAGS_NONE, TIMEOUT_MS,
					NULL, &error);
	g_assert_no_error(error);
	g_variant_get(r, "(s)", &live_xml);
	live_node = g_dbus_node_info_new_for_xml(live_xml, &error);
	g_assert_no_error(error);

	ci = g_dbus_node_info_lookup_interface(contract_node, BROKER_IFACE);
	li = g_dbus_node_info_lookup_interface(live_node, BROKER_IFACE);
	g_assert_nonnull(ci);
	g_assert_nonnull(li);
	contract = describe_interface(ci);
	live = describe_interface(li);
	g_assert_cmpstr(live, ==, contract);

	/* The compat object is there too, with low-memory-monitor's signal. */
	g_clear_pointer(&r, g_variant_unref);
	r = g_dbus_connection_call_sync(f->conn, BROKER_NAME, LMM_PATH,
					"org.freedesktop.DBus.Introspectable", "Introspect", NULL,
					G_VARIANT_TYPE("(s)"), G_DBUS_CALL_FLAGS_NONE, TIMEOUT_MS,
					NULL, &error);
	g_assert_no_error(error);
	g_clear_pointer(&live_xml, g_free);
	g_variant_get(r, "(s)", &live_xml);
	g_assert_nonnull(strstr(live_xml, "<signal name=\"LowMemoryWarning\">"));
}

/* Pressure */

static void assert_pressure(GVariant *v, const char *level, const char *prev, guint64 seq,
			    unsigned avail_kb)
{
	const char *l, *p, *source;
	guint64 s, avail, total, swap_free, swap_total, ts;

	g_assert_nonnull(v);
	g_variant_get(v, "(&s&sttttt&st)", &l, &p, &s, &total, &avail, &swap_total, &swap_free,
		      &source, &ts);
	g_assert_cmpstr(l, ==, level);
	g_assert_cmpstr(p, ==, prev);
	g_assert_cmpuint(s, ==, seq);
	g_assert_cmpuint(avail, ==, (guint64)avail_kb * 1024);
	g_assert_cmpuint(total, ==, 1000000ull * 1024);
	g_assert_cmpuint(swap_total, ==, 0);
	g_assert_cmpstr(source, ==, "meminfo");
	g_assert_cmpuint(ts, >, 0);
}

static void assert_property_s(GDBusConnection *c, const char *name, const char *want)
{
	g_autoptr(GVariant) v = broker_property(c, name);

	g_assert_cmpstr(g_variant_get_string(v, NULL), ==, want);
}

static void assert_property_t(GDBusConnection *c, const char *name, guint64 want)
{
	g_autoptr(GVariant) v = broker_property(c, name);

	g_assert_cmpuint(g_variant_get_uint64(v), ==, want);
}

static void test_pressure(Fixture *f, gconstpointer data)
{
	g_autoptr(BusRecorder) rec = bus_recorder_new(f->conn, BROKER_IFACE, BROKER_PATH);
	g_autoptr(BusRecorder) props =
		bus_recorder_new(f->conn, "org.freedesktop.DBus.Properties", BROKER_PATH);
	g_autoptr(GVariant) v = NULL;
	g_autoptr(GVariant) ver = NULL;

	assert_property_s(f->conn, "Level", "normal");
	assert_property_s(f->conn, "Source", "meminfo");
	assert_property_t(f->conn, "SignalSeq", 0);
	assert_property_t(f->conn, "MemTotal", 1000000ull * 1024);
	ver = broker_property(f->conn, "Version");
	g_assert_cmpuint(g_variant_get_uint32(ver), ==, 1);

	/* The daemon notices the file by itself (no call of ours prompts it). */
	test_write_meminfo(f->proc, MEMINFO_LOW);
	v = bus_recorder_take(rec, "PressureChanged", TIMEOUT_MS);
	assert_pressure(v, "low", "normal", 1, MEMINFO_LOW);
	g_clear_pointer(&v, g_variant_unref);
	assert_property_s(f->conn, "Level", "low");
	assert_property_t(f->conn, "SignalSeq", 1);
	assert_property_t(f->conn, "MemAvailable", (guint64)MEMINFO_LOW * 1024);
	v = bus_recorder_take(props, "PropertiesChanged", TIMEOUT_MS);
	g_assert_nonnull(v);
	g_clear_pointer(&v, g_variant_unref);

	test_write_meminfo(f->proc, MEMINFO_CRITICAL);
	v = bus_recorder_take(rec, "PressureChanged", TIMEOUT_MS);
	assert_pressure(v, "critical", "low", 2, MEMINFO_CRITICAL);
	g_clear_pointer(&v, g_variant_unref);

	test_write_meminfo(f->proc, MEMINFO_NORMAL);
	v = bus_recorder_take(rec, "PressureChanged", TIMEOUT_MS);
	assert_pressure(v, "normal", "critical", 3, MEMINFO_NORMAL);
	g_clear_pointer(&v, g_variant_unref);

	/* GetState agrees with the properties. */
	v = broker_call_ok(f->conn, "GetState", NULL);
	{
		const char *level, *source;
		guint64 seq, total, avail, st, sf, ts;

		g_variant_get(v, "(&sttttt&st)", &level, &seq, &total, &avail, &st, &sf, &source,
			      &ts);
		g_assert_cmpstr(level, ==, "normal");
		g_assert_cmpuint(seq, ==, 3);
		g_assert_cmpuint(total, ==, 1000000ull * 1024);
		g_assert_cmpuint(avail, ==, (guint64)MEMINFO_NORMAL * 1024);
		g_assert_cmpstr(source, ==, "meminfo");
		g_assert_cmpuint(ts, >, 0);
	}
}

/*
 * Between level changes the state a caller reads is current, not the last
 * change's: the figures move within "normal", GetState and the properties
 * follow at once, and no PressureChanged is sent for it.
 */
static void test_state_current(Fixture *f, gconstpointer data)
{
	g_autoptr(BusRecorder) rec = bus_recorder_new(f->conn, BROKER_IFACE, BROKER_PATH);
	g_autoptr(GVariant) v = NULL;
	const char *level;
	guint64 seq, total, avail, st, sf, ts, ts0;
	const guint64 moved = MEMINFO_NORMAL - 100000; /* 70 %: still normal */

	v = broker_call_ok(f->conn, "GetState", NULL);
	g_variant_get(v, "(&sttttt&st)", &level, &seq, &total, &avail, &st, &sf, NULL, &ts0);
	g_assert_cmpuint(avail, ==, (guint64)MEMINFO_NORMAL * 1024);
	g_clear_pointer(&v, g_variant_unref);

	test_write_meminfo(f->proc, moved);
	/* past the broker's freshness window, without relying on its poll */
	g_usleep(150 * 1000);
	v = broker_call_ok(f->conn, "GetState", NULL);
	g_variant_get(v, "(&sttttt&st)", &level, &seq, &total, &avail, &st, &sf, NULL, &ts);
	g_assert_cmpstr(level, ==, "normal");
	g_assert_cmpuint(seq, ==, 0);
	g_assert_cmpuint(avail, ==, moved * 1024);
	g_assert_cmpuint(ts, >, ts0);
	assert_property_t(f->conn, "MemAvailable", moved * 1024);
	assert_property_s(f->conn, "Level", "normal");
	g_assert_null(bus_recorder_take(rec, "PressureChanged", 200));
}

/* LowMemoryMonitor compatibility */

static void assert_warning(BusRecorder *rec, guint8 want)
{
	g_autoptr(GVariant) v = bus_recorder_take(rec, "LowMemoryWarning", TIMEOUT_MS);
	guint8 level;

	g_assert_nonnull(v);
	g_variant_get(v, "(y)", &level);
	g_assert_cmpuint(level, ==, want);
}

static void test_lmm(Fixture *f, gconstpointer data)
{
	g_autoptr(BusRecorder) rec = NULL;
	g_autofree char *lmm_owner = NULL;
	g_autofree char *broker_owner = NULL;
	g_autoptr(GVariant) none = NULL;
	gint64 end = g_get_monotonic_time() + TIMEOUT_MS * 1000;

	while (!bus_name_has_owner(f->conn, LMM_NAME)) {
		g_assert_cmpint(g_get_monotonic_time(), <, end);
		g_usleep(10000);
	}
	lmm_owner = name_owner(f->conn, LMM_NAME);
	broker_owner = name_owner(f->conn, BROKER_NAME);
	g_assert_cmpstr(lmm_owner, ==, broker_owner);

	rec = bus_recorder_new(f->conn, LMM_NAME, LMM_PATH);
	test_write_meminfo(f->proc, MEMINFO_LOW);
	assert_warning(rec, 50);
	test_write_meminfo(f->proc, MEMINFO_MEDIUM);
	assert_warning(rec, 100);
	test_write_meminfo(f->proc, MEMINFO_CRITICAL);
	assert_warning(rec, 255);
	/* Back to normal is no warning, and a level is not repeated within 15 s. */
	test_write_meminfo(f->proc, MEMINFO_NORMAL);
	bus_fixture_iterate(300);
	test_write_meminfo(f->proc, MEMINFO_LOW);
	bus_fixture_iterate(500);
	none = bus_recorder_take(rec, "LowMemoryWarning", 0);
	g_assert_null(none);
}

static void test_lmm_taken(Fixture *f, gconstpointer data)
{
	g_autofree char *owner = name_owner(f->conn, LMM_NAME);

	/* Someone else (the test) holds it: the broker runs on without it. */
	g_assert_cmpstr(owner, ==, g_dbus_connection_get_unique_name(f->conn));
	test_write_meminfo(f->proc, MEMINFO_LOW);
	bus_fixture_iterate(300);
	assert_alive(f);
	assert_property_s(f->conn, "Level", "low");
	g_clear_pointer(&owner, g_free);
	owner = name_owner(f->conn, LMM_NAME);
	g_assert_cmpstr(owner, ==, g_dbus_connection_get_unique_name(f->conn));
}

static void test_no_lmm(Fixture *f, gconstpointer data)
{
	bus_fixture_iterate(200);
	g_assert_false(bus_name_has_owner(f->conn, LMM_NAME));
	assert_alive(f);
}

/* A real GMemoryMonitor application */

typedef struct {
	GString *out;
	gboolean eof;
} Output;

static gboolean on_output(GIOChannel *ch, GIOCondition cond, gpointer userdata)
{
	Output *o = userdata;
	char buf[256];
	gsize n = 0;
	GIOStatus st;

	st = g_io_channel_read_chars(ch, buf, sizeof(buf), &n, NULL);
	if (n > 0)
		g_string_append_len(o->out, buf, (gssize)n);
	if (st == G_IO_STATUS_EOF || st == G_IO_STATUS_ERROR || (cond & G_IO_HUP && n == 0)) {
		o->eof = TRUE;
		return G_SOURCE_REMOVE;
	}
	return G_SOURCE_CONTINUE;
}

static gboolean wait_output(Output *o, const char *want, unsigned ms)
{
	gint64 end = g_get_monotonic_time() + (gint64)ms * 1000;

	while (!strstr(o->out->str, want)) {
		if (o->eof || g_get_monotonic_time() >= end)
			return FALSE;
		g_main_context_iteration(NULL, FALSE);
		g_usleep(5000);
	}
	return TRUE;
}

static void test_gmm(Fixture *f, gconstpointer data)
{
	const char *client = g_getenv("OOMN_GMM_CLIENT");
	g_autoptr(GIOChannel) out = NULL;
	g_auto(GStrv) envp = g_get_environ();
	Output o = { .out = g_string_new(NULL) };
	char *argv[] = { (char *)client, NULL };
	guint watch;
	GPid pid;

	g_assert_nonnull(client);
	envp = g_environ_setenv(envp, "DBUS_SYSTEM_BUS_ADDRESS", f->address, TRUE);
	envp = g_environ_setenv(envp, "GIO_USE_MEMORY_MONITOR", "dbus", TRUE);
	pid = spawn_with_stdout(argv, envp, &out);
	g_io_channel_set_flags(out, G_IO_FLAG_NONBLOCK, NULL);
	g_io_channel_set_encoding(out, NULL, NULL);
	watch = g_io_add_watch(out, G_IO_IN | G_IO_HUP | G_IO_ERR, on_output, &o);

	g_assert_true(wait_output(&o, "ready", TIMEOUT_MS));
	/* GMemoryMonitor watches the name and subscribes asynchronously; a
	 * warning it misses is repeated by the broker 15 s later. */
	bus_fixture_iterate(1000);
	test_write_meminfo(f->proc, MEMINFO_LOW);
	g_assert_true(wait_output(&o, "warning 50\n", 20000));
	test_write_meminfo(f->proc, MEMINFO_CRITICAL);
	g_assert_true(wait_output(&o, "warning 255\n", 20000));
	g_test_message("gmm-client said: %s", o.out->str);

	g_source_remove(watch);
	(void)kill(pid, SIGTERM);
	(void)test_wait_exit(pid);
	g_string_free(o.out, TRUE);
}

/* Registration */

static gboolean clients_have(GDBusConnection *c, const char *name, guint32 *ret_pid,
			     guint32 *ret_uid, guint32 *ret_band, guint32 *ret_flags, guint64 *ret_id)
{
	g_autoptr(GVariant) r = broker_call_ok(c, "ListClients", NULL);
	g_autoptr(GVariantIter) it = NULL;
	const char *n, *comm;
	guint32 pid, uid, band, flags;
	guint64 id;

	g_variant_get(r, "(a(tuussuu))", &it);
	while (g_variant_iter_next(it, "(tuu&s&suu)", &id, &pid, &uid, &n, &comm, &band, &flags)) {
		if (strcmp(n, name) != 0)
			continue;
		if (ret_pid)
			*ret_pid = pid;
		if (ret_uid)
			*ret_uid = uid;
		if (ret_band)
			*ret_band = band;
		if (ret_flags)
			*ret_flags = flags;
		if (ret_id)
			*ret_id = id;
		return TRUE;
	}
	return FALSE;
}

static void test_register_creds(Fixture *f, gconstpointer data)
{
	const char *me = g_dbus_connection_get_unique_name(f->conn);
	g_autoptr(GVariant) r = NULL;
	guint32 pid = 0, uid = 1, band = 0, flags = 0;
	guint64 id, id2, listed;

	r = broker_call_ok(f->conn, "Register", g_variant_new("(uu)", 50, 1));
	g_variant_get(r, "(t)", &id);
	g_assert_cmpuint(id, >, 0);
	g_assert_true(clients_have(f->conn, me, &pid, &uid, &band, &flags, &listed));
	/* The bus's credentials, not anything the client said. */
	g_assert_cmpuint(pid, ==, (guint32)getpid());
	g_assert_cmpuint(uid, ==, (guint32)getuid());
	g_assert_cmpuint(band, ==, 50);
	g_assert_cmpuint(flags, ==, 1);
	g_assert_cmpuint(listed, ==, id);

	/* Again: an update, the same id. */
	g_clear_pointer(&r, g_variant_unref);
	r = broker_call_ok(f->conn, "Register", g_variant_new("(uu)", 80, 3));
	g_variant_get(r, "(t)", &id2);
	g_assert_cmpuint(id2, ==, id);
	g_assert_true(clients_have(f->conn, me, NULL, NULL, &band, &flags, NULL));
	g_assert_cmpuint(band, ==, 80);
	g_assert_cmpuint(flags, ==, 3);

	/* There is no way to name another pid: an extra argument is refused. */
	assert_broker_error(f->conn, "Register", g_variant_new("(uuu)", 50, 1, 1),
			    "org.freedesktop.DBus.Error.InvalidArgs");

	g_clear_pointer(&r, g_variant_unref);
	r = broker_call_ok(f->conn, "Unregister", NULL);
	g_assert_false(clients_have(f->conn, me, NULL, NULL, NULL, NULL, NULL));
	assert_broker_error(f->conn, "Unregister", NULL, "org.oomnotify.Error.NotRegistered");
}

/*
 * A client that registers and unregisters without end cannot fill the
 * journal: a few lines a window for its uid, not one per call.
 */
static void test_register_flood(Fixture *f, gconstpointer data)
{
	g_autofree char *log = NULL;
	g_auto(GStrv) lines = NULL;
	guint registered = 0;

	for (int i = 0; i < 300; i++) {
		g_autoptr(GVariant) r = broker_call_ok(f->conn, "Register", g_variant_new("(uu)", 50, 1));
		g_autoptr(GVariant) u = broker_call_ok(f->conn, "Unregister", NULL);
	}
	/* the broker is still there and answers */
	g_variant_unref(broker_call_ok(f->conn, "GetState", NULL));
	g_assert_true(g_file_get_contents(f->broker_log, &log, NULL, NULL));
	lines = g_strsplit(log, "\n", -1);
	for (guint i = 0; lines[i]; i++)
		registered += strstr(lines[i], "Registered ") != NULL;
	g_test_message("%u 'Registered' lines for 300 registrations", registered);
	g_assert_cmpuint(registered, >=, 1);
	g_assert_cmpuint(registered, <=, 5);
}

/*
 * A process that connects to the bus (as nobody if @as_nobody), registers
 * with @band, forks a holder that keeps the connection open and never
 * speaks, and exits. @queued: the call is only sent (to a stopped broker),
 * not waited for. Returns the exited process's pid; the holder's pid and the
 * connection's unique name in *holder and name.
 */
static pid_t registrant_gone(const char *address, bool as_nobody, bool queued, guint32 band,
			     guint32 flags, int *holder, char name[256])
{
	int pfd[2], status;
	pid_t child;
	FILE *in;

	g_assert_cmpint(pipe(pfd), ==, 0);
	child = fork();
	g_assert_cmpint(child, >=, 0);
	if (child == 0) {
		sd_bus_error e = SD_BUS_ERROR_NULL;
		const char *unique = NULL;
		sd_bus *bus = NULL;
		pid_t h;

		close(pfd[0]);
		if (as_nobody &&
		    (setgroups(0, NULL) < 0 || setgid(NOBODY) < 0 || setuid(NOBODY) < 0))
			_exit(89);
		if (sd_bus_new(&bus) < 0 || sd_bus_set_address(bus, address) < 0 ||
		    sd_bus_set_bus_client(bus, 1) < 0 || sd_bus_start(bus) < 0)
			_exit(90);
		if (queued ? sd_bus_call_method_async(bus, NULL, BROKER_NAME, BROKER_PATH,
						      BROKER_IFACE, "Register", NULL, NULL, "uu",
						      band, flags) < 0 ||
				     sd_bus_flush(bus) < 0 :
			     sd_bus_call_method(bus, BROKER_NAME, BROKER_PATH, BROKER_IFACE,
						"Register", &e, NULL, "uu", band, flags) < 0)
			_exit(91);
		if (sd_bus_get_unique_name(bus, &unique) < 0)
			_exit(92);
		h = fork();
		if (h == 0) {
			/* holds the connection's socket open and never speaks */
			alarm(60);
			pause();
			_exit(0);
		}
		dprintf(pfd[1], "%d %s\n", (int)h, unique);
		_exit(0);
	}
	close(pfd[1]);
	in = fdopen(pfd[0], "r");
	g_assert_nonnull(in);
	g_assert_cmpint(fscanf(in, "%d %255s", holder, name), ==, 2);
	fclose(in);
	g_assert_cmpint(waitpid(child, &status, 0), ==, child);
	g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	return child;
}

/*
 * A registration ends with the process that made it, even while a child it
 * forked keeps the connection open: the bus tells the broker only a pid, and
 * that number would be some later process's.
 */
static void test_register_process_exit(Fixture *f, gconstpointer data)
{
	char name[256] = "";
	int holder = 0;
	gint64 end;

	(void)registrant_gone(f->address, false, false, 50, 1, &holder, name);
	end = g_get_monotonic_time() + TIMEOUT_MS * 1000;
	while (clients_have(f->conn, name, NULL, NULL, NULL, NULL, NULL) &&
	       g_get_monotonic_time() < end)
		g_usleep(20 * 1000);
	g_assert_false(clients_have(f->conn, name, NULL, NULL, NULL, NULL, NULL));
	/* the connection itself is still there */
	g_assert_cmpint(kill(holder, 0), ==, 0);
	(void)kill(holder, SIGKILL);
}

/*
 * The attack of issue 15: as nobody, connect, fork, let the process that
 * connected exit and register from the child; a root process has the pid
 * meanwhile. The bus still names the first pid, now root's process: the
 * registration must be refused (else a "band 0-20 prefer" rule would pick
 * the root process). The pid is reused by force (ns_last_pid), while the
 * broker is stopped with the call queued: only in the VM, quiet and root.
 */
static void test_register_pid_reuse(Fixture *f, gconstpointer data)
{
	char name[256] = "";
	pid_t connector, reuser = -1;
	int holder = 0;

	if (!g_getenv("OOMN_VM") || access("/proc/sys/kernel/ns_last_pid", W_OK) < 0) {
		g_test_skip("needs the VM bed (root, a quiet machine, ns_last_pid)");
		return;
	}
	g_assert_cmpint(kill(f->broker_pid, SIGSTOP), ==, 0);
	/* queued at the stopped broker; answered to the holder, who never reads */
	connector = registrant_gone(f->address, true, true, 0, 0, &holder, name);

	/* a root process under the connector's pid */
	for (int attempt = 0; attempt < 20 && reuser != connector; attempt++) {
		g_autofree char *last = g_strdup_printf("%d", (int)connector - 1);
		int fd = open("/proc/sys/kernel/ns_last_pid", O_WRONLY | O_CLOEXEC);

		if (reuser > 0) {
			(void)kill(reuser, SIGKILL);
			(void)waitpid(reuser, NULL, 0);
		}
		g_assert_cmpint(fd, >=, 0);
		g_assert_cmpint(write(fd, last, strlen(last)), ==, (ssize_t)strlen(last));
		close(fd);
		reuser = fork();
		g_assert_cmpint(reuser, >=, 0);
		if (reuser == 0) {
			alarm(60);
			pause();
			_exit(0);
		}
	}
	g_assert_cmpint(reuser, ==, connector);
	g_test_message("pid %d: connected as nobody, exited, now root's", (int)connector);

	g_assert_cmpint(kill(f->broker_pid, SIGCONT), ==, 0);
	/* ListClients waits for the bus's credentials behind the queued Register */
	g_assert_false(clients_have(f->conn, name, NULL, NULL, NULL, NULL, NULL));
	(void)kill(reuser, SIGKILL);
	(void)kill(holder, SIGKILL);
	(void)waitpid(reuser, NULL, 0);
}

static void test_register_disconnect(Fixture *f, gconstpointer data)
{
	g_autoptr(GDBusConnection) c2 = bus_connect(f->address);
	g_autofree char *name = g_strdup(g_dbus_connection_get_unique_name(c2));
	g_autoptr(GVariant) r = broker_call_ok(c2, "Register", g_variant_new("(uu)", 0, 2));
	gint64 end;

	g_assert_true(clients_have(f->conn, name, NULL, NULL, NULL, NULL, NULL));
	g_dbus_connection_close_sync(c2, NULL, NULL);

	end = g_get_monotonic_time() + TIMEOUT_MS * 1000;
	while (clients_have(f->conn, name, NULL, NULL, NULL, NULL, NULL)) {
		g_assert_cmpint(g_get_monotonic_time(), <, end);
		g_usleep(10000);
	}
}

static void test_register_invalid(Fixture *f, gconstpointer data)
{
	GDBusConnection *c[3];
	g_autoptr(GVariant) r = NULL;

	assert_broker_error(f->conn, "Register", g_variant_new("(uu)", 101, 0),
			    "org.freedesktop.DBus.Error.InvalidArgs");
	assert_broker_error(f->conn, "Register", g_variant_new("(uu)", 50, 0x80),
			    "org.freedesktop.DBus.Error.InvalidArgs");
	assert_broker_error(f->conn, "Register", g_variant_new("(s)", "critical"),
			    "org.freedesktop.DBus.Error.InvalidArgs");
	assert_broker_error(f->conn, "Register", NULL, "org.freedesktop.DBus.Error.InvalidArgs");

	/* --max-clients-per-uid 2: a third connection of ours is refused. */
	for (unsigned i = 0; i < 3; i++)
		c[i] = bus_connect(f->address);
	r = broker_call_ok(c[0], "Register", g_variant_new("(uu)", 10, 0));
	g_clear_pointer(&r, g_variant_unref);
	r = broker_call_ok(c[1], "Register", g_variant_new("(uu)", 10, 0));
	g_clear_pointer(&r, g_variant_unref);
	assert_broker_error(c[2], "Register", g_variant_new("(uu)", 10, 0),
			    "org.oomnotify.Error.LimitsExceeded");
	/* An update is no new registration. */
	r = broker_call_ok(c[1], "Register", g_variant_new("(uu)", 20, 1));
	g_clear_pointer(&r, g_variant_unref);
	/* Room again once one leaves. */
	g_dbus_connection_close_sync(c[0], NULL, NULL);
	for (gint64 end = g_get_monotonic_time() + TIMEOUT_MS * 1000;;) {
		g_autoptr(GError) error = NULL;

		r = broker_call(c[2], "Register", g_variant_new("(uu)", 10, 0), &error);
		if (r)
			break;
		g_assert_cmpint(g_get_monotonic_time(), <, end);
		g_usleep(10000);
	}
	for (unsigned i = 0; i < 3; i++)
		g_object_unref(c[i]);
	assert_alive(f);
}

/* The killer's methods */

static void child_become_nobody(gpointer data)
{
	test_child_die_with_parent(NULL);
	if (setgroups(0, NULL) < 0 || setgid(NOBODY) < 0 || setuid(NOBODY) < 0)
		_exit(99);
}

/* Runs dbus-send --print-reply as root or as nobody; returns its exit
 * status, *ret_err its stderr. */
static int run_dbus_send_to(Fixture *f, bool as_nobody, const char *dest, const char *path,
			    const char *member, const char *arg1, const char *arg2,
			    const char *arg3, char **ret_err)
{
	g_autofree char *bus = g_strdup_printf("--bus=%s", f->address);
	g_autofree char *d = g_strdup_printf("--dest=%s", dest);
	char *argv[] = { "dbus-send",   bus,           "--print-reply", d,    (char *)path,
			 (char *)member, (char *)arg1, (char *)arg2,    (char *)arg3, NULL };
	g_autoptr(GError) error = NULL;
	g_autofree char *out = NULL;
	int status;

	/* the reply goes to the log, not into the TAP stream */
	g_spawn_sync(NULL, argv, NULL, G_SPAWN_SEARCH_PATH, as_nobody ? child_become_nobody : NULL,
		     NULL, &out, ret_err, &status, &error);
	if (out && *out)
		g_test_message("dbus-send %s: %s", member, out);
	g_assert_no_error(error);
	return status;
}

static int run_dbus_send(Fixture *f, bool as_nobody, const char *method, const char *arg1,
			 const char *arg2, const char *arg3, char **ret_err)
{
	g_autofree char *member = g_strdup_printf(BROKER_IFACE ".%s", method);

	return run_dbus_send_to(f, as_nobody, BROKER_NAME, BROKER_PATH, member, arg1, arg2, arg3,
				ret_err);
}

/*
 * Who sees what (README, "Security"): the state is everyone's; who registered
 * is root's, as the module keeps its "oom" group for CAP_SYS_ADMIN; a band
 * above the default is root's to claim.
 */
static void test_privacy(Fixture *f, gconstpointer data)
{
	g_autofree char *err = NULL;
	int status;

	if (getuid() != 0) {
		g_test_skip("needs root to run a client as another user");
		return;
	}
	status = run_dbus_send(f, true, "ListClients", NULL, NULL, NULL, &err);
	g_assert_cmpint(status, !=, 0);
	g_assert_nonnull(strstr(err, "org.freedesktop.DBus.Error.AccessDenied"));
	g_clear_pointer(&err, g_free);
	status = run_dbus_send(f, true, "Register", "uint32:80", "uint32:1", NULL, &err);
	g_assert_cmpint(status, !=, 0);
	g_assert_nonnull(strstr(err, "Bands above 50 are for root"));
	g_clear_pointer(&err, g_free);
	g_assert_cmpint(run_dbus_send(f, true, "Register", "uint32:50", "uint32:1", NULL, NULL), ==,
			0);

	/* the state is everyone's */
	g_assert_cmpint(run_dbus_send(f, true, "GetState", NULL, NULL, NULL, NULL), ==, 0);
}

static void test_killer_denied(Fixture *f, gconstpointer data)
{
	g_autofree char *err = NULL;
	int status;

	if (getuid() != 0) {
		g_test_skip("needs root to run a client as another user");
		return;
	}

	/* nobody may read the state... */
	status = run_dbus_send(f, true, "GetState", NULL, NULL, NULL, &err);
	g_assert_cmpint(status, ==, 0);
	g_clear_pointer(&err, g_free);

	/* ...but not act as the killer. */
	status = run_dbus_send(f, true, "NotifyCandidate", "uint32:1", "uint32:1000", "string:x", &err);
	g_assert_cmpint(status, !=, 0);
	g_assert_nonnull(strstr(err, "org.freedesktop.DBus.Error.AccessDenied"));
	g_clear_pointer(&err, g_free);

	status = run_dbus_send(f, true, "ReportOutcome", "string:killed", "uint32:1", "string:x", &err);
	g_assert_cmpint(status, !=, 0);
	g_assert_nonnull(strstr(err, "org.freedesktop.DBus.Error.AccessDenied"));
	g_clear_pointer(&err, g_free);

	/* nor own the names. */
	status = run_dbus_send_to(f, true, "org.freedesktop.DBus", "/org/freedesktop/DBus",
				  "org.freedesktop.DBus.RequestName", "string:" BROKER_NAME,
				  "uint32:4", NULL, &err);
	g_assert_cmpint(status, !=, 0);
	g_assert_nonnull(strstr(err, "org.freedesktop.DBus.Error.AccessDenied"));
	g_clear_pointer(&err, g_free);
	status = run_dbus_send_to(f, true, "org.freedesktop.DBus", "/org/freedesktop/DBus",
				  "org.freedesktop.DBus.RequestName", "string:" LMM_NAME,
				  "uint32:4", NULL, &err);
	g_assert_cmpint(status, !=, 0);
	g_assert_nonnull(strstr(err, "org.freedesktop.DBus.Error.AccessDenied"));
	g_clear_pointer(&err, g_free);

	/* root may. */
	status = run_dbus_send(f, false, "NotifyCandidate", "uint32:1", "uint32:1000", "string:x", &err);
	g_assert_cmpint(status, ==, 0);
	assert_alive(f);
}

static void test_killer_denied_by_daemon(Fixture *f, gconstpointer data)
{
	g_autofree char *err = NULL;
	int status;

	if (getuid() != 0) {
		g_test_skip("needs root to run a client as another user");
		return;
	}
	/* The bus lets everything through here: the daemon refuses by itself. */
	status = run_dbus_send(f, true, "NotifyCandidate", "uint32:1", "uint32:1000", "string:x", &err);
	g_assert_cmpint(status, !=, 0);
	g_assert_nonnull(strstr(err, "org.freedesktop.DBus.Error.AccessDenied"));
	g_assert_nonnull(strstr(err, "Only root"));
	assert_alive(f);
}

static void test_killer_notify(Fixture *f, gconstpointer data)
{
	g_autoptr(GDBusConnection) cand = bus_connect(f->address);
	g_autoptr(GDBusConnection) other = bus_connect(f->address);
	g_autoptr(BusRecorder) killer_rec = bus_recorder_new(f->conn, BROKER_IFACE, BROKER_PATH);
	g_autoptr(BusRecorder) cand_rec = bus_recorder_new(cand, BROKER_IFACE, BROKER_PATH);
	g_autoptr(BusRecorder) other_rec = bus_recorder_new(other, BROKER_IFACE, BROKER_PATH);
	g_autoptr(GVariant) r = NULL;
	g_autoptr(GVariant) v = NULL;
	guint32 pid = (guint32)getpid(), n, p, msec;
	guint64 deadline, freed;
	const char *reason, *name;
	gboolean ckpt;
	struct timespec ts;

	r = broker_call_ok(cand, "Register", g_variant_new("(uu)", 10, 3));
	g_clear_pointer(&r, g_variant_unref);
	/* kills go to root's watchers only (/bus/kills/who-sees) */
	r = broker_call_ok(other, "WatchKills", NULL);
	g_clear_pointer(&r, g_variant_unref);
	r = broker_call_ok(f->conn, "WatchKills", NULL);
	g_clear_pointer(&r, g_variant_unref);

	r = broker_call_ok(f->conn, "NotifyCandidate", g_variant_new("(uus)", pid, 5000, "low on memory"));
	g_variant_get(r, "(u)", &n);
	g_assert_cmpuint(n, ==, 1);

	/* The candidate gets its notice... */
	v = bus_recorder_take(cand_rec, "KillPending", TIMEOUT_MS);
	g_assert_nonnull(v);
	g_variant_get(v, "(uut&s)", &p, &msec, &deadline, &reason);
	g_assert_cmpuint(p, ==, pid);
	g_assert_cmpuint(msec, ==, 5000);
	g_assert_cmpstr(reason, ==, "low on memory");
	clock_gettime(CLOCK_BOOTTIME, &ts);
	g_assert_cmpuint(deadline, >, (guint64)ts.tv_sec * 1000000);
	g_assert_cmpuint(deadline, <=, (guint64)ts.tv_sec * 1000000 + 6000000);
	g_clear_pointer(&v, g_variant_unref);

	/* ...the kill watchers the announcement, and only the candidate the notice. */
	v = bus_recorder_take(other_rec, "KillAnnounced", TIMEOUT_MS);
	g_assert_nonnull(v);
	g_variant_get(v, "(u&sut&s)", &p, &name, &msec, &deadline, &reason);
	g_assert_cmpuint(p, ==, pid);
	g_assert_cmpstr(name, !=, "");
	g_assert_cmpuint(msec, ==, 5000);
	g_clear_pointer(&v, g_variant_unref);
	v = bus_recorder_take(other_rec, "KillPending", 0);
	g_assert_null(v);
	v = bus_recorder_take(killer_rec, "KillAnnounced", TIMEOUT_MS);
	g_assert_nonnull(v);
	g_clear_pointer(&v, g_variant_unref);

	/* The answer goes back to the killer. */
	r = broker_call_ok(cand, "Relieved", g_variant_new("(tb)", (guint64)4096, TRUE));
	g_clear_pointer(&r, g_variant_unref);
	v = bus_recorder_take(killer_rec, "CandidateAnswered", TIMEOUT_MS);
	g_assert_nonnull(v);
	g_variant_get(v, "(utb)", &p, &freed, &ckpt);
	g_assert_cmpuint(p, ==, pid);
	g_assert_cmpuint(freed, ==, 4096);
	g_assert_true(ckpt);
	g_clear_pointer(&v, g_variant_unref);
	assert_broker_error(cand, "Relieved", g_variant_new("(tb)", (guint64)1, FALSE),
			    "org.oomnotify.Error.NoNotice");
	assert_broker_error(other, "Relieved", g_variant_new("(tb)", (guint64)1, FALSE),
			    "org.oomnotify.Error.NotRegistered");

	/* Outcomes are sent on to the kill watchers. */
	r = broker_call_ok(f->conn, "ReportOutcome",
			   g_variant_new("(susussts)", "redeemed", pid, "app", 0, "/app.slice",
					 "rule-1", (guint64)0, "pressure fell"));
	g_clear_pointer(&r, g_variant_unref);
	v = bus_recorder_take(other_rec, "Redeemed", TIMEOUT_MS);
	g_assert_nonnull(v);
	g_variant_get(v, "(u&s&s)", &p, &name, &reason);
	g_assert_cmpuint(p, ==, pid);
	g_assert_cmpstr(name, ==, "app");
	g_assert_cmpstr(reason, ==, "pressure fell");
	g_clear_pointer(&v, g_variant_unref);

	r = broker_call_ok(f->conn, "ReportOutcome",
			   g_variant_new("(susussts)", "killed", 4242, "hog", 1000, "/user.slice",
					 "prefer-hogs", (guint64)1 << 30, "deadline passed"));
	g_clear_pointer(&r, g_variant_unref);
	v = bus_recorder_take(other_rec, "Killed", TIMEOUT_MS);
	g_assert_nonnull(v);
	{
		const char *cg, *rule;
		guint32 uid;

		g_variant_get(v, "(u&su&s&st&s)", &p, &name, &uid, &cg, &rule, &freed, &reason);
		g_assert_cmpuint(p, ==, 4242);
		g_assert_cmpstr(name, ==, "hog");
		g_assert_cmpuint(uid, ==, 1000);
		g_assert_cmpstr(cg, ==, "/user.slice");
		g_assert_cmpstr(rule, ==, "prefer-hogs");
		g_assert_cmpuint(freed, ==, (guint64)1 << 30);
		g_assert_cmpstr(reason, ==, "deadline passed");
	}
	g_clear_pointer(&v, g_variant_unref);

	/* A candidate nobody registered: announced, nobody noticed. */
	r = broker_call_ok(f->conn, "NotifyCandidate", g_variant_new("(uus)", 999999, 100, "x"));
	g_variant_get(r, "(u)", &n);
	g_assert_cmpuint(n, ==, 0);
	v = bus_recorder_take(other_rec, "KillAnnounced", TIMEOUT_MS);
	g_assert_nonnull(v);
	g_variant_get(v, "(u&sut&s)", &p, &name, &msec, &deadline, &reason);
	g_assert_cmpuint(p, ==, 999999);
	g_assert_cmpstr(name, ==, "");
}

/* Malformed input */

static void test_malformed(Fixture *f, gconstpointer data)
{
	const char *inval = "org.freedesktop.DBus.Error.InvalidArgs";
	g_autofree char *huge = g_malloc(2 * 1024 * 1024 + 1);
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) r = NULL;

	memset(huge, 'x', 2 * 1024 * 1024);
	huge[2 * 1024 * 1024] = '\0';

	assert_broker_error(f->conn, "ReportOutcome",
			    g_variant_new("(susussts)", "bogus", 1, "", 0, "", "", (guint64)0, ""),
			    inval);
	assert_broker_error(f->conn, "ReportOutcome",
			    g_variant_new("(susussts)", "killed", 1, "", 0, "", "", (guint64)0, huge),
			    inval);
	assert_broker_error(f->conn, "ReportOutcome",
			    g_variant_new("(susussts)", "killed", 1, huge, 0, "", "", (guint64)0, ""),
			    inval);
	assert_broker_error(f->conn, "ReportOutcome", g_variant_new("(s)", "killed"), inval);
	assert_broker_error(f->conn, "NotifyCandidate", g_variant_new("(uus)", 1, 1000, huge), inval);
	assert_broker_error(f->conn, "NotifyCandidate", g_variant_new("(uus)", 0, 1000, "x"), inval);
	assert_broker_error(f->conn, "NotifyCandidate", g_variant_new("(uus)", 1, 0, "x"), inval);
	assert_broker_error(f->conn, "NotifyCandidate",
			    g_variant_new("(uus)", 1, 0xffffffffu, "x"), inval);
	assert_broker_error(f->conn, "NotifyCandidate", g_variant_new("(ssu)", "1", "2", 3), inval);
	assert_broker_error(f->conn, "Relieved", g_variant_new("(tb)", (guint64)1, TRUE),
			    "org.oomnotify.Error.NotRegistered");
	assert_broker_error(f->conn, "GetState", g_variant_new("(s)", "normal"), inval);
	assert_broker_error(f->conn, "NoSuchMethod", NULL,
			    "org.freedesktop.DBus.Error.AccessDenied"); /* bus policy: unlisted member */

	r = g_dbus_connection_call_sync(f->conn, BROKER_NAME, BROKER_PATH,
					"org.freedesktop.DBus.Properties", "Set",
					g_variant_new("(ssv)", BROKER_IFACE, "Level",
						      g_variant_new_string("critical")),
					NULL, G_DBUS_CALL_FLAGS_NONE, TIMEOUT_MS, NULL, &error);
	g_assert_null(r);
	g_assert_nonnull(error);
	g_clear_error(&error);
	r = g_dbus_connection_call_sync(f->conn, BROKER_NAME, BROKER_PATH,
					"org.freedesktop.DBus.Properties", "Get",
					g_variant_new("(ss)", BROKER_IFACE, "NoSuchProperty"),
					NULL, G_DBUS_CALL_FLAGS_NONE, TIMEOUT_MS, NULL, &error);
	g_assert_null(r);
	g_assert_nonnull(error);

	assert_alive(f);
	assert_property_s(f->conn, "Level", "normal");
}


static guint64 meminfo_mib(const char *key)
{
	g_autofree char *text = NULL;
	const char *p;

	g_assert_true(g_file_get_contents("/proc/meminfo", &text, NULL, NULL));
	p = strstr(text, key);
	g_assert_nonnull(p);
	return g_ascii_strtoull(p + strlen(key), NULL, 10) / 1024;
}

/* cgroupfs wants one write(); g_file_set_contents() would rename */
static void write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY);

	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpint(write(fd, text, strlen(text)), ==, (ssize_t)strlen(text));
	close(fd);
}

/*
 * The whole chain on a real kernel (run in the VM with the module loaded):
 * real pressure -> oom_notify -> the broker -> PressureChanged and
 * LowMemoryWarning on the bus; a real memcg OOM kill -> KernelOomKill.
 */
static void test_kernel_chain(Fixture *f, gconstpointer data)
{
	const char *hog = g_getenv("OOMN_HOG");
	BusRecorder *rec, *lmm;
	static const char *levels[] = { "low", "medium", "critical" };
	static const guint8 warnings[] = { 50, 100, 255 };
	g_autofree char *target = NULL, *cg = NULL, *cmd = NULL;
	guint64 total, avail;
	GPid pid;
	int status;

	g_assert_nonnull(hog);
	rec = bus_recorder_new(f->conn, BROKER_IFACE, BROKER_PATH);
	lmm = bus_recorder_new(f->conn, LMM_NAME, LMM_PATH);
	bus_watch_kills(f->conn); /* KernelOomKill is root's watchers' only */
	{
		g_autoptr(GVariant) v = broker_property(f->conn, "Source");

		g_assert_cmpstr(g_variant_get_string(v, NULL), ==, "kernel");
	}

	/* Use up memory to about 6 % of RAM: below critical, short of OOM. */
	total = meminfo_mib("MemTotal:");
	avail = meminfo_mib("MemAvailable:");
	target = g_strdup_printf("%" G_GUINT64_FORMAT, avail - total * 6 / 100);
	{
		char *argv[] = { (char *)hog, "--max", target, "--step", "4", "--hold", NULL };

		g_assert_true(g_spawn_async(NULL, argv, NULL,
					    G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL,
					    NULL, NULL, &pid, NULL));
	}
	for (guint i = 0; i < G_N_ELEMENTS(levels); i++) {
		g_autoptr(GVariant) v = bus_recorder_take(rec, "PressureChanged", 120000);
		g_autoptr(GVariant) w = NULL;
		const char *level, *prev, *source;
		guint8 y;

		g_assert_nonnull(v);
		g_variant_get(v, "(&s&sttttt&st)", &level, &prev, NULL, NULL, NULL, NULL, NULL,
			      &source, NULL);
		g_assert_cmpstr(level, ==, levels[i]);
		g_assert_cmpstr(source, ==, "kernel");
		w = bus_recorder_take(lmm, "LowMemoryWarning", 10000);
		g_assert_nonnull(w);
		g_variant_get(w, "(y)", &y);
		g_assert_cmpuint(y, ==, warnings[i]);
	}
	kill(pid, SIGTERM);
	g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
	for (;;) {
		g_autoptr(GVariant) v = bus_recorder_take(rec, "PressureChanged", 60000);
		const char *level;

		g_assert_nonnull(v);
		g_variant_get(v, "(&s&sttttt&st)", &level, NULL, NULL, NULL, NULL, NULL, NULL,
			      NULL, NULL);
		if (strcmp(level, "normal") == 0)
			break;
	}

	/* A kernel OOM kill in a memory-limited cgroup. */
	cg = g_strdup_printf("/sys/fs/cgroup/oomn-bus-%d", (int)getpid());
	write_text("/sys/fs/cgroup/cgroup.subtree_control", "+memory");
	g_assert_cmpint(g_mkdir(cg, 0755), ==, 0);
	{
		g_autofree char *max = g_build_filename(cg, "memory.max", NULL);

		write_text(max, "32M");
	}
	cmd = g_strdup_printf("echo $$ > %s/cgroup.procs && exec %s --max 128 --step 4 --hold",
			      cg, hog);
	{
		char *argv[] = { "sh", "-c", cmd, NULL };

		g_assert_true(g_spawn_async(NULL, argv, NULL,
					    G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_SEARCH_PATH |
						    G_SPAWN_STDOUT_TO_DEV_NULL,
					    NULL, NULL, &pid, NULL));
	}
	{
		g_autoptr(GVariant) v = bus_recorder_take(rec, "KernelOomKill", 120000);
		const char *comm, *cgroup;
		guint32 vpid, uid;
		guint64 anon, seq;

		g_assert_nonnull(v);
		g_variant_get(v, "(u&su&stt)", &vpid, &comm, &uid, &cgroup, &anon, &seq);
		g_assert_cmpuint(vpid, ==, (guint32)pid);
		g_assert_cmpstr(comm, ==, "oomn-hog");
		g_assert_cmpuint(uid, ==, 0);
		g_assert_cmpstr(cgroup, ==, cg + strlen("/sys/fs/cgroup"));
		g_assert_cmpuint(anon, >, 16 << 20);
		g_assert_cmpuint(seq, >=, 1);
	}
	g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
	g_assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	g_assert_cmpint(rmdir(cg), ==, 0);
	bus_recorder_free(rec);
	bus_recorder_free(lmm);
	assert_alive(f);
}

/* Who sees kills */


/* setuid() clears the parent-death signal: set it again, as nobody. */
static void child_become_nobody_dying(gpointer data)
{
	child_become_nobody(NULL);
	test_child_die_with_parent(GINT_TO_POINTER(SIGKILL));
}

/* True if @line (gdbus monitor's) tells of a kill signal. */
static bool monitor_line_is_kill(const char *line)
{
	static const char *const members[] = { ".KernelOomKill", ".KillAnnounced", ".Killed",
					       ".Redeemed", ".CandidateAnswered" };

	for (size_t i = 0; i < G_N_ELEMENTS(members); i++)
		if (strstr(line, members[i]))
			return true;
	return false;
}

/*
 * Moves the level (normal <-> low) until the monitor on @fd shows a
 * PressureChanged: then its match is on the bus, and what the broker sent
 * before has reached it. Fails if a kill signal shows on the way.
 */
static void monitor_sync(Fixture *f, int fd, bool *low)
{
	gint64 end = g_get_monotonic_time() + (gint64)TIMEOUT_MS * 1000;

	while (g_get_monotonic_time() < end) {
		test_write_meminfo(f->proc, *low ? MEMINFO_NORMAL : MEMINFO_LOW);
		*low = !*low;
		for (;;) {
			g_autofree char *line = bus_fixture_read_line(fd, 500);

			if (!line)
				break;
			g_test_message("nobody's monitor: %s", line);
			g_assert_false(monitor_line_is_kill(line));
			if (strstr(line, ".PressureChanged"))
				return;
		}
	}
	g_error("nobody's monitor saw no PressureChanged");
}

/* What makes the broker send each kill signal; the cgroup's @n-th kernel OOM kill. */
static void report_kills(Fixture *f, const char *events, unsigned n)
{
	g_autofree char *text = g_strdup_printf("low 0\nhigh 0\nmax 0\noom %u\noom_kill %u\n", n, n);
	g_autoptr(GVariant) a = NULL, b = NULL, c = NULL;

	a = broker_call_ok(f->conn, "NotifyCandidate", g_variant_new("(uus)", 999999, 100, "x"));
	b = broker_call_ok(f->conn, "ReportOutcome",
			   g_variant_new("(susussts)", "killed", 4242, "hog", 1000, "/user.slice",
					 "prefer-hogs", (guint64)1 << 30, "deadline passed"));
	c = broker_call_ok(f->conn, "ReportOutcome",
			   g_variant_new("(susussts)", "redeemed", 4243, "app", 0, "", "",
					 (guint64)0, "pressure fell"));
	write_text(events, text);
}

/*
 * @rec got the latest PressureChanged (the broker's SignalSeq now), and no
 * kill signal: the broker sent those before it, the bus keeps the order.
 */
static void assert_no_kills(Fixture *f, BusRecorder *rec)
{
	static const char *const members[] = { "KernelOomKill", "KillAnnounced", "Killed",
					       "Redeemed", "CandidateAnswered" };
	g_autoptr(GVariant) latest = broker_property(f->conn, "SignalSeq");
	guint64 seq = 0;

	while (seq < g_variant_get_uint64(latest)) {
		g_autoptr(GVariant) v = bus_recorder_take(rec, "PressureChanged", TIMEOUT_MS);

		g_assert_nonnull(v);
		g_variant_get_child(v, 2, "t", &seq);
	}
	for (size_t i = 0; i < G_N_ELEMENTS(members); i++)
		g_assert_null(bus_recorder_take(rec, members[i], 0));
}

static void assert_watch_kills_ok(GDBusConnection *c)
{
	g_autoptr(GVariant) r = broker_call_ok(c, "WatchKills", NULL);
}

/*
 * Killed, KillAnnounced, Redeemed and KernelOomKill name a victim's pid,
 * uid, comm and cgroup: root's to know (README, "Security"). A match rule
 * gets none of them; root connections that called WatchKills get each.
 */
static void test_kills_who_sees(Fixture *f, gconstpointer data)
{
	g_autofree char *cgroups = g_build_filename(f->tmpdir, "cgroup", NULL);
	g_autofree char *cg = g_build_filename(cgroups, "kills", NULL);
	g_autofree char *events = g_build_filename(cg, "memory.events", NULL);
	g_autofree char *err = NULL;
	GDBusConnection *watchers[64] = { NULL };
	g_autoptr(GDBusConnection) plain = NULL, extra = NULL;
	g_autoptr(BusRecorder) plain_rec = NULL, rec = NULL, rec2 = NULL;
	g_autoptr(GVariant) r = NULL, v = NULL;
	g_autofree char *gone = NULL;
	char *argv[] = { "gdbus", "monitor", "--address", f->address, "--dest", BROKER_NAME,
			 "--object-path", BROKER_PATH, NULL };
	g_autoptr(GError) error = NULL;
	bool low = false;
	GPid mon;
	int mon_fd, status;

	if (getuid() != 0) {
		g_test_skip("needs root to run a client as another user");
		return;
	}
	/* a fake cgroup whose memory.events tells of kernel OOM kills */
	g_assert_cmpint(g_mkdir_with_parents(cg, 0755), ==, 0);
	g_assert_true(g_file_set_contents(events, "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n",
					  -1, NULL));
	{
		g_autofree char *max = g_build_filename(cg, "memory.max", NULL);
		g_autofree char *high = g_build_filename(cg, "memory.high", NULL);
		g_autofree char *cur = g_build_filename(cg, "memory.current", NULL);

		g_assert_true(g_file_set_contents(max, "max\n", -1, NULL));
		g_assert_true(g_file_set_contents(high, "max\n", -1, NULL));
		g_assert_true(g_file_set_contents(cur, "1048576\n", -1, NULL));
	}
	bus_fixture_stop_broker(f);
	{
		const char *args[] = { BUS_BROKER_MEMINFO_ARGS(f->address, f->proc),
				       "--cgroup-root", cgroups, "--watch-cgroup", "kills", NULL };

		f->broker_pid = bus_broker_spawn(args, 0, NULL);
		bus_wait_name(f->conn, BROKER_NAME, TRUE, TIMEOUT_MS, 0);
	}

	/* (a) an unprivileged match rule hears nothing */
	g_assert_true(g_spawn_async_with_pipes(NULL, argv, NULL,
					       G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_SEARCH_PATH,
					       child_become_nobody_dying, NULL, &mon, NULL, &mon_fd,
					       NULL, &error));
	g_assert_no_error(error);
	monitor_sync(f, mon_fd, &low);

	/* (b) root without WatchKills: nothing either */
	plain = bus_connect(f->address);
	plain_rec = bus_recorder_new(plain, BROKER_IFACE, BROKER_PATH);
	report_kills(f, events, 1);
	/* a level change after them: once nobody's monitor and the plain
	 * connection have it, they would have had the kills before it */
	monitor_sync(f, mon_fd, &low);
	assert_no_kills(f, plain_rec);

	/* an unprivileged caller may not watch, as it may not list clients */
	status = run_dbus_send(f, true, "WatchKills", NULL, NULL, NULL, &err);
	g_assert_cmpint(status, !=, 0);
	g_assert_nonnull(strstr(err, "org.freedesktop.DBus.Error.AccessDenied"));
	g_assert_nonnull(strstr(err, "Only root may call WatchKills"));
	g_clear_pointer(&err, g_free);

	/* (c) the watchers, up to the cap; a second call changes nothing */
	for (size_t i = 0; i < G_N_ELEMENTS(watchers); i++) {
		watchers[i] = bus_connect(f->address);
		assert_watch_kills_ok(watchers[i]);
	}
	assert_watch_kills_ok(watchers[0]);
	rec = bus_recorder_new(watchers[0], BROKER_IFACE, BROKER_PATH);
	rec2 = bus_recorder_new(watchers[31], BROKER_IFACE, BROKER_PATH);
	extra = bus_connect(f->address);
	assert_broker_error(extra, "WatchKills", NULL, "org.oomnotify.Error.LimitsExceeded");

	/* (d) one that leaves makes room; one that unwatches gets no more */
	gone = g_strdup(g_dbus_connection_get_unique_name(watchers[63]));
	g_dbus_connection_close_sync(watchers[63], NULL, NULL);
	g_clear_object(&watchers[63]);
	bus_wait_name(f->conn, gone, FALSE, TIMEOUT_MS, 0);
	/* the bus told the broker before it passes on any later call of ours */
	assert_watch_kills_ok(extra);
	r = broker_call_ok(extra, "UnwatchKills", NULL);
	g_clear_pointer(&r, g_variant_unref);
	r = broker_call_ok(extra, "UnwatchKills", NULL);
	g_clear_pointer(&r, g_variant_unref);
	{
		g_autoptr(BusRecorder) extra_rec = bus_recorder_new(extra, BROKER_IFACE, BROKER_PATH);

		r = broker_call_ok(f->conn, "ReportOutcome",
				   g_variant_new("(susussts)", "killed", 4241, "early", 1000,
						 "/user.slice", "r", (guint64)1, "x"));
		g_clear_pointer(&r, g_variant_unref);
		v = bus_recorder_take(rec, "Killed", TIMEOUT_MS);
		g_assert_nonnull(v);
		g_clear_pointer(&v, g_variant_unref);
		monitor_sync(f, mon_fd, &low);
		assert_no_kills(f, extra_rec);
	}

	/* (c) the four kill signals reach the watchers */
	report_kills(f, events, 2);

	v = bus_recorder_take(rec, "KillAnnounced", TIMEOUT_MS);
	g_assert_nonnull(v);
	g_clear_pointer(&v, g_variant_unref);
	v = bus_recorder_take(rec, "Killed", TIMEOUT_MS);
	g_assert_nonnull(v);
	{
		const char *name, *cgroup, *rule, *reason;
		guint32 pid, uid;
		guint64 freed;

		g_variant_get(v, "(u&su&s&st&s)", &pid, &name, &uid, &cgroup, &rule, &freed,
			      &reason);
		g_assert_cmpuint(pid, ==, 4242);
		g_assert_cmpstr(name, ==, "hog");
		g_assert_cmpuint(uid, ==, 1000);
	}
	g_clear_pointer(&v, g_variant_unref);
	v = bus_recorder_take(rec, "Redeemed", TIMEOUT_MS);
	g_assert_nonnull(v);
	g_clear_pointer(&v, g_variant_unref);
	v = bus_recorder_take(rec, "KernelOomKill", TIMEOUT_MS);
	g_assert_nonnull(v);
	{
		const char *comm, *cgroup;
		guint32 pid, uid;

		g_variant_get(v, "(u&su&stt)", &pid, &comm, &uid, &cgroup, NULL, NULL);
		g_assert_cmpstr(cgroup, ==, "/kills");
	}
	g_clear_pointer(&v, g_variant_unref);

	/* every watcher got them, not only the first */
	v = bus_recorder_take(rec2, "Killed", TIMEOUT_MS);
	g_assert_nonnull(v);
	g_clear_pointer(&v, g_variant_unref);
	v = bus_recorder_take(rec2, "KernelOomKill", TIMEOUT_MS);
	g_assert_nonnull(v);
	g_clear_pointer(&v, g_variant_unref);

	/* and still nobody else */
	monitor_sync(f, mon_fd, &low);
	assert_no_kills(f, plain_rec);

	(void)kill(mon, SIGTERM);
	(void)waitpid(mon, &status, 0);
	close(mon_fd);
	for (size_t i = 0; i < G_N_ELEMENTS(watchers); i++)
		g_clear_object(&watchers[i]);
	assert_alive(f);
}

static const Options opt_default = { 0 };
static const Options opt_permissive = { .permissive = true };
static const Options opt_kernel = { .kernel = true };
static const Options opt_preown_lmm = { .preown_lmm = true };
static const Options opt_no_lmm = { .extra = "--no-lmm" };
static const Options opt_limit = { .extra = "--max-clients-per-uid", .extra2 = "2" };
static const Options opt_logged = { .logged = true };

int main(int argc, char *argv[])
{
	g_test_init(&argc, &argv, NULL);

	g_autofree char *dbus_daemon = g_find_program_in_path("dbus-daemon");
	g_autofree char *dbus_send = g_find_program_in_path("dbus-send");

	if (!dbus_daemon || !dbus_send) {
		g_test_skip("dbus-daemon or dbus-send is not installed");
		return g_test_run();
	}

#define ADD(path, opt, fn) g_test_add(path, Fixture, &opt, fixture_setup, fn, fixture_teardown)
	ADD("/bus/introspect", opt_default, test_introspect);
	ADD("/bus/pressure", opt_default, test_pressure);
	ADD("/bus/state/current", opt_default, test_state_current);
	ADD("/bus/lmm/warnings", opt_default, test_lmm);
	ADD("/bus/lmm/taken", opt_preown_lmm, test_lmm_taken);
	ADD("/bus/lmm/disabled", opt_no_lmm, test_no_lmm);
	ADD("/bus/lmm/gmemorymonitor", opt_default, test_gmm);
	ADD("/bus/register/creds", opt_default, test_register_creds);
	ADD("/bus/register/disconnect", opt_default, test_register_disconnect);
	ADD("/bus/register/flood", opt_logged, test_register_flood);
	ADD("/bus/register/process-exit", opt_default, test_register_process_exit);
	ADD("/bus/register/invalid", opt_limit, test_register_invalid);
	ADD("/bus/killer/denied", opt_default, test_killer_denied);
	ADD("/bus/privacy", opt_default, test_privacy);
	ADD("/bus/kills/who-sees", opt_default, test_kills_who_sees);
	ADD("/bus/killer/denied-by-daemon", opt_permissive, test_killer_denied_by_daemon);
	ADD("/bus/killer/notify", opt_default, test_killer_notify);
	ADD("/bus/malformed", opt_default, test_malformed);
	/* the real module: only in the VM bed (tests/kernel/meson.build) */
	if (g_getenv("OOMN_MODULE")) {
		ADD("/bus/kernel/chain", opt_kernel, test_kernel_chain);
		/* not the module's, but the VM's: root, quiet, ns_last_pid */
		ADD("/bus/kernel/pid-reuse", opt_default, test_register_pid_reuse);
	}
	return g_test_run();
}
