/* SPDX-License-Identifier: GPL-2.0-only */
#include <fcntl.h>
#include <glib/gstdio.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bus-fixture.h"

/* Pieces */

char *bus_policy_system(void)
{
	const char *policy = g_getenv("OOMN_BUS_POLICY");

	g_assert_nonnull(policy);
	return g_strdup_printf("  <include>%s</include>\n", policy);
}

char *bus_policy_inline(bool introspect, const char *const *files)
{
	const char *dbus_dir = g_getenv("OOMN_DBUS_DIR");
	GString *s = g_string_new(NULL);

	g_assert_nonnull(dbus_dir);
	g_string_append(s,
			"  <policy context=\"default\">\n"
			"    <allow user=\"*\"/>\n"
			"    <deny own=\"*\"/>\n"
			"    <deny send_type=\"method_call\"/>\n"
			"    <allow send_type=\"signal\"/>\n"
			"    <allow send_requested_reply=\"true\" send_type=\"method_return\"/>\n"
			"    <allow send_requested_reply=\"true\" send_type=\"error\"/>\n"
			"    <allow receive_type=\"method_call\"/>\n"
			"    <allow receive_type=\"method_return\"/>\n"
			"    <allow receive_type=\"error\"/>\n"
			"    <allow receive_type=\"signal\"/>\n"
			"    <allow send_destination=\"org.freedesktop.DBus\"\n"
			"           send_interface=\"org.freedesktop.DBus\"/>\n");
	if (introspect)
		g_string_append(
			s, "    <allow send_destination=\"org.freedesktop.DBus\"\n"
			   "           send_interface=\"org.freedesktop.DBus.Introspectable\"/>\n"
			   "    <allow send_destination=\"org.freedesktop.DBus\"\n"
			   "           send_interface=\"org.freedesktop.DBus.Properties\"/>\n");
	g_string_append(s, "    <allow send_destination=\"org.freedesktop.DBus\"\n"
			   "           send_interface=\"org.freedesktop.DBus.Peer\"/>\n"
			   "  </policy>\n");
	for (; files && *files; files++)
		g_string_append_printf(s, "  <include>%s/%s</include>\n", dbus_dir, *files);
	return g_string_free(s, FALSE);
}

void bus_write_config(const char *tmpdir, const char *policy)
{
	g_autofree char *path = g_build_filename(tmpdir, "bus.conf", NULL);
	g_autofree char *text = NULL;

	text = g_strdup_printf("<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-BUS Bus "
			       "Configuration 1.0//EN\"\n"
			       " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
			       "<busconfig>\n"
			       "  <type>system</type>\n"
			       "  <listen>unix:path=%s/bus</listen>\n"
			       "  <auth>EXTERNAL</auth>\n"
			       "%s"
			       "</busconfig>\n",
			       tmpdir, policy);
	test_write_file(path, text);
}

/* Dies with the test; stderr appended to the file @data if not NULL. */
static void child_logged_setup(gpointer data)
{
	test_child_die_with_parent(NULL);
	if (data) {
		int fd = open(data, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

		if (fd >= 0)
			dup2(fd, STDERR_FILENO);
	}
}

char *bus_daemon_start(const char *tmpdir, const char *log, unsigned ms, GPid *pid)
{
	g_autofree char *conf = g_strdup_printf("--config-file=%s/bus.conf", tmpdir);
	char *argv[] = { "dbus-daemon", conf, "--nofork", "--print-address=1", NULL };
	g_autoptr(GError) error = NULL;
	g_autofree char *line = NULL;
	int out;

	g_spawn_async_with_pipes(NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_SEARCH_PATH,
				 child_logged_setup, (gpointer)log, pid, NULL, &out, NULL, &error);
	g_assert_no_error(error);
	/* it prints its address once it listens */
	line = bus_fixture_read_line(out, ms);
	g_assert_nonnull(line);
	close(out);
	return g_strdup_printf("unix:path=%s/bus", tmpdir);
}

GDBusConnection *bus_connect(const char *address)
{
	g_autoptr(GError) error = NULL;
	GDBusConnection *c;

	c = g_dbus_connection_new_for_address_sync(
		address,
		G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
			G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
		NULL, NULL, &error);
	g_assert_no_error(error);
	return c;
}

void bus_watch_kills(GDBusConnection *c)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) r = g_dbus_connection_call_sync(c, BROKER_NAME, BROKER_PATH,
							    BROKER_IFACE, "WatchKills", NULL,
							    G_VARIANT_TYPE("()"),
							    G_DBUS_CALL_FLAGS_NONE, TIMEOUT_MS,
							    NULL, &error);

	g_assert_no_error(error);
}

gboolean bus_name_has_owner(GDBusConnection *c, const char *name)
{
	g_autoptr(GVariant) r = NULL;
	gboolean has = FALSE;

	r = g_dbus_connection_call_sync(c, "org.freedesktop.DBus", "/org/freedesktop/DBus",
					"org.freedesktop.DBus", "NameHasOwner",
					g_variant_new("(s)", name), G_VARIANT_TYPE("(b)"),
					G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);
	if (r)
		g_variant_get(r, "(b)", &has);
	return has;
}

void bus_wait_name(GDBusConnection *c, const char *name, gboolean owned, unsigned ms, GPid alive)
{
	gint64 end = g_get_monotonic_time() + (gint64)ms * 1000;

	while (bus_name_has_owner(c, name) != owned) {
		g_assert_cmpint(g_get_monotonic_time(), <, end);
		if (alive > 0)
			g_assert_true(test_child_alive(alive));
		g_usleep(10000);
	}
}

/* $OOMN_BROKER and @args: a NULL-terminated argv to free with g_ptr_array_unref(). */
static GPtrArray *broker_argv(const char *const *args)
{
	GPtrArray *argv = g_ptr_array_new();
	const char *broker = g_getenv("OOMN_BROKER");

	g_assert_nonnull(broker);
	g_ptr_array_add(argv, (char *)broker);
	for (; *args; args++)
		g_ptr_array_add(argv, (char *)*args);
	g_ptr_array_add(argv, NULL);
	return argv;
}

GPid bus_broker_spawn(const char *const *args, GSpawnFlags flags, const char *log)
{
	g_autoptr(GPtrArray) argv = broker_argv(args);
	g_autoptr(GError) error = NULL;
	GPid pid;

	g_spawn_async(NULL, (char **)argv->pdata, NULL, G_SPAWN_DO_NOT_REAP_CHILD | flags,
		      child_logged_setup, (gpointer)log, &pid, &error);
	g_assert_no_error(error);
	return pid;
}

GPid bus_broker_spawn_logged(const char *const *args, TestLogStream *ls)
{
	g_autoptr(GPtrArray) argv = broker_argv(args);

	return test_spawn_logged((char **)argv->pdata, ls, "oom-notifyd");
}

GPid bus_killer_spawn(const char *tmpdir, const char *address, const char *rules, TestLogStream *ls)
{
	g_autofree char *path = g_build_filename(tmpdir, "rules.yaml", NULL);
	g_autofree char *dropins = g_build_filename(tmpdir, "rules.d", NULL);
	char *argv[] = { (char *)g_getenv("OOMN_KILLERD"),
			 "--rules",
			 path,
			 "--rules-dir",
			 dropins,
			 "--bus-address",
			 (char *)address,
			 "--source",
			 "kernel",
			 /* as the shipped unit runs it (CPUSchedulingPolicy=fifo) */
			 "--realtime",
			 NULL };

	g_assert_nonnull(argv[0]);
	test_write_file(path, rules);
	return test_spawn_logged(argv, ls, "oom-killerd");
}

void bus_stop_cleanly(GPid pid)
{
	int status;

	g_assert_cmpint(kill(pid, SIGTERM), ==, 0);
	status = test_wait_exit(pid);
	g_assert_true(WIFEXITED(status));
	g_assert_cmpint(WEXITSTATUS(status), ==, 0);
}

/* Signal recording */

static void signal_free(gpointer p)
{
	BusSignal *s = p;

	g_free(s->member);
	g_variant_unref(s->params);
	g_free(s);
}

static void on_signal(GDBusConnection *c, const char *sender, const char *path, const char *iface,
		      const char *member, GVariant *params, gpointer data)
{
	BusRecorder *rec = data;
	BusSignal *s = g_new0(BusSignal, 1);

	s->member = g_strdup(member);
	s->params = g_variant_ref(params);
	g_ptr_array_add(rec->signals, s);
}

void bus_recorder_init(BusRecorder *rec, GDBusConnection *c, const char *iface, const char *path)
{
	g_autoptr(GVariant) ping = NULL;

	rec->conn = g_object_ref(c);
	rec->signals = g_ptr_array_new_with_free_func(signal_free);
	rec->id = g_dbus_connection_signal_subscribe(
		c, NULL, iface, NULL, path, NULL, G_DBUS_SIGNAL_FLAGS_NONE, on_signal, rec, NULL);
	/* The match rule reaches the bus before any later call of ours. GetId:
	 * the system bus's policy refuses Peer.Ping to the bus itself. */
	ping = g_dbus_connection_call_sync(c, "org.freedesktop.DBus", "/org/freedesktop/DBus",
					   "org.freedesktop.DBus", "GetId", NULL, NULL,
					   G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);
}

void bus_recorder_clear(BusRecorder *rec)
{
	if (!rec->conn)
		return;
	g_dbus_connection_signal_unsubscribe(rec->conn, rec->id);
	g_clear_pointer(&rec->signals, g_ptr_array_unref);
	g_clear_object(&rec->conn);
}

int bus_recorder_find(BusRecorder *rec, const char *member, GPid pid, unsigned ms)
{
	gint64 end = g_get_monotonic_time() + (gint64)ms * 1000;

	for (;;) {
		for (guint i = 0; i < rec->signals->len; i++) {
			BusSignal *s = g_ptr_array_index(rec->signals, i);
			guint32 p;

			if (strcmp(s->member, member) != 0)
				continue;
			g_variant_get_child(s->params, 0, "u", &p);
			if (p == (guint32)pid)
				return (int)i;
		}
		if (g_get_monotonic_time() >= end)
			return -1;
		g_main_context_iteration(NULL, FALSE);
		g_usleep(5000);
	}
}

GVariant *bus_recorder_params(BusRecorder *rec, int i)
{
	return ((BusSignal *)g_ptr_array_index(rec->signals, i))->params;
}

BusRecorder *bus_recorder_new(GDBusConnection *c, const char *iface, const char *path)
{
	BusRecorder *rec = g_new0(BusRecorder, 1);

	bus_recorder_init(rec, c, iface, path);
	return rec;
}

void bus_recorder_free(BusRecorder *rec)
{
	bus_recorder_clear(rec);
	g_free(rec);
}

GVariant *bus_recorder_take(BusRecorder *rec, const char *member, unsigned ms)
{
	gint64 end = g_get_monotonic_time() + (gint64)ms * 1000;

	for (;;) {
		for (guint i = 0; i < rec->signals->len; i++) {
			BusSignal *s = g_ptr_array_index(rec->signals, i);

			if (strcmp(s->member, member) == 0) {
				GVariant *v = g_variant_ref(s->params);

				g_ptr_array_remove_index(rec->signals, i);
				return v;
			}
		}
		if (g_get_monotonic_time() >= end)
			return NULL;
		g_main_context_iteration(NULL, FALSE);
		g_usleep(2000);
	}
}

/* The whole fixture of tests/client */

void bus_fixture_write_meminfo(BusFixture *f, unsigned avail_kb)
{
	test_write_meminfo(f->proc, avail_kb);
}

void bus_fixture_iterate(unsigned ms)
{
	gint64 end = g_get_monotonic_time() + (gint64)ms * 1000;

	while (g_get_monotonic_time() < end) {
		g_main_context_iteration(NULL, FALSE);
		g_usleep(2000);
	}
}

void bus_fixture_start_broker(BusFixture *f)
{
	const char *args[16] = { BUS_BROKER_MEMINFO_ARGS(f->address, f->proc), "--no-lmm" };
	int n = 12;

	g_assert_cmpint(f->broker_pid, ==, 0);
	if (f->opt && f->opt->extra) {
		args[n++] = f->opt->extra;
		if (f->opt->extra2)
			args[n++] = f->opt->extra2;
	}
	args[n] = NULL;
	f->broker_pid = bus_broker_spawn(args, 0, NULL);
	bus_wait_name(f->conn, BROKER_NAME, TRUE, TIMEOUT_MS, 0);
}

void bus_fixture_stop_broker(BusFixture *f)
{
	bus_stop_cleanly(f->broker_pid);
	f->broker_pid = 0;
	test_log_replay("broker", f->broker_log);
}

void bus_fixture_start(BusFixture *f, const char *tmpl, const char *policy)
{
	f->tmpdir = test_make_tmpdir(tmpl);
	f->proc = g_build_filename(f->tmpdir, "proc", NULL);
	g_assert_cmpint(g_mkdir(f->proc, 0755), ==, 0);
	test_write_meminfo(f->proc, MEMINFO_NORMAL);
	bus_write_config(f->tmpdir, policy);
	f->address = bus_daemon_start(f->tmpdir, NULL, 6 * TIMEOUT_MS, &f->bus_pid);
	f->conn = bus_connect(f->address);
}

void bus_fixture_stop(BusFixture *f)
{
	if (f->conn) {
		g_dbus_connection_close_sync(f->conn, NULL, NULL);
		g_clear_object(&f->conn);
	}
	if (f->broker_pid > 0)
		bus_fixture_stop_broker(f);
	if (f->bus_pid > 0) {
		(void)kill(f->bus_pid, SIGTERM);
		(void)test_wait_exit(f->bus_pid);
		f->bus_pid = 0;
	}
	test_rm_tree(f->tmpdir);
	g_clear_pointer(&f->tmpdir, g_free);
	g_clear_pointer(&f->proc, g_free);
	g_clear_pointer(&f->address, g_free);
	g_clear_pointer(&f->broker_log, g_free);
}

void bus_fixture_setup(BusFixture *f, gconstpointer data)
{
	static const char *const files[] = { "org.oomnotify.Broker1.conf", NULL };
	g_autofree char *policy = bus_policy_inline(false, files);

	memset(f, 0, sizeof(*f));
	f->opt = data;
	bus_fixture_start(f, "oomn-lib-XXXXXX", policy);
	bus_recorder_init(&f->rec, f->conn, BROKER_IFACE, BROKER_PATH);
	if (!f->opt || !f->opt->no_broker)
		bus_fixture_start_broker(f);
}

void bus_fixture_teardown(BusFixture *f, gconstpointer data)
{
	bus_recorder_clear(&f->rec);
	bus_fixture_stop(f);
}

GVariant *bus_fixture_call(BusFixture *f, const char *method, GVariant *args)
{
	g_autoptr(GError) error = NULL;
	GVariant *r;

	r = g_dbus_connection_call_sync(f->conn, BROKER_NAME, BROKER_PATH, BROKER_IFACE, method,
					args, NULL, G_DBUS_CALL_FLAGS_NONE, TIMEOUT_MS, NULL,
					&error);
	g_assert_no_error(error);
	return r;
}

GVariant *bus_fixture_take_signal(BusFixture *f, const char *member, unsigned ms)
{
	return bus_recorder_take(&f->rec, member, ms);
}

bool bus_fixture_client_listed(BusFixture *f, guint32 pid, guint32 *band, guint32 *flags)
{
	g_autoptr(GVariant) r = bus_fixture_call(f, "ListClients", NULL);
	g_autoptr(GVariantIter) it = NULL;
	guint32 p, uid, b, fl;
	const char *name, *comm;
	guint64 id;

	g_variant_get(r, "(a(tuussuu))", &it);
	while (g_variant_iter_next(it, "(tuu&s&suu)", &id, &p, &uid, &name, &comm, &b, &fl)) {
		if (p != pid)
			continue;
		if (band)
			*band = b;
		if (flags)
			*flags = fl;
		return true;
	}
	return false;
}

char *bus_fixture_read_line(int fd, unsigned ms)
{
	gint64 end = g_get_monotonic_time() + (gint64)ms * 1000;
	GString *s = g_string_new(NULL);

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		gint64 left = end - g_get_monotonic_time();
		char c;
		ssize_t n;

		if (left <= 0 || poll(&p, 1, (int)(left / 1000) + 1) <= 0)
			break;
		n = read(fd, &c, 1);
		if (n <= 0)
			break;
		if (c == '\n')
			return g_string_free(s, FALSE);
		g_string_append_c(s, c);
	}
	g_string_free(s, TRUE);
	return NULL;
}
