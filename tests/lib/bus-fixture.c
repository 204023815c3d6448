/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <glib/gstdio.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bus-fixture.h"

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
	BusFixture *f = data;
	BusSignal *s = g_new0(BusSignal, 1);

	s->member = g_strdup(member);
	s->params = g_variant_ref(params);
	g_ptr_array_add(f->signals, s);
}

void bus_fixture_write_meminfo(BusFixture *f, unsigned avail_kb)
{
	g_autofree char *path = g_build_filename(f->proc, "meminfo", NULL);
	g_autofree char *tmp = g_strconcat(path, ".tmp", NULL);
	g_autofree char *text = g_strdup_printf("MemTotal:       1000000 kB\n"
						"MemFree:         %u kB\n"
						"MemAvailable:    %u kB\n"
						"SwapTotal:             0 kB\n"
						"SwapFree:              0 kB\n",
						avail_kb / 2, avail_kb);
	g_autoptr(GError) error = NULL;

	/* atomically: the broker never reads half a file */
	g_file_set_contents(tmp, text, -1, &error);
	g_assert_no_error(error);
	g_assert_cmpint(g_rename(tmp, path), ==, 0);
}

void bus_fixture_iterate(unsigned ms)
{
	gint64 end = g_get_monotonic_time() + (gint64)ms * 1000;

	while (g_get_monotonic_time() < end) {
		g_main_context_iteration(NULL, FALSE);
		g_usleep(2000);
	}
}

static gboolean name_has_owner(GDBusConnection *c, const char *name)
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

static void write_bus_config(BusFixture *f)
{
	const char *dbus_dir = g_getenv("OOMN_DBUS_DIR");
	g_autofree char *path = g_build_filename(f->tmpdir, "bus.conf", NULL);
	g_autofree char *text = NULL;
	g_autoptr(GError) error = NULL;

	g_assert_nonnull(dbus_dir);
	/* the system bus's default policy, then the project's files */
	text = g_strdup_printf(
		"<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-BUS Bus Configuration "
		"1.0//EN\"\n"
		" \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
		"<busconfig>\n"
		"  <type>system</type>\n"
		"  <listen>unix:path=%s/bus</listen>\n"
		"  <auth>EXTERNAL</auth>\n"
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
		"           send_interface=\"org.freedesktop.DBus\"/>\n"
		"    <allow send_destination=\"org.freedesktop.DBus\"\n"
		"           send_interface=\"org.freedesktop.DBus.Peer\"/>\n"
		"  </policy>\n"
		"  <include>%s/org.oomnotify.Broker1.conf</include>\n"
		"</busconfig>\n",
		f->tmpdir, dbus_dir);
	g_file_set_contents(path, text, -1, &error);
	g_assert_no_error(error);
}

/* A test that fails aborts before its teardown: the children go with it. */
static void child_setup(gpointer data)
{
	(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
}

static int wait_exit(GPid pid)
{
	int status;

	g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
	g_spawn_close_pid(pid);
	return status;
}

void bus_fixture_start_broker(BusFixture *f)
{
	const char *argv[16] = { g_getenv("OOMN_BROKER"),
				 "--bus-address",
				 f->address,
				 "--source",
				 "meminfo",
				 "--proc-root",
				 f->proc,
				 "--no-mlock",
				 "--no-lmm",
				 "--oom-score-adj",
				 "keep",
				 "--poll-max-ms",
				 "50" };
	g_autoptr(GError) error = NULL;
	int n = 13;
	gint64 end;

	g_assert_nonnull(argv[0]);
	g_assert_cmpint(f->broker_pid, ==, 0);
	if (f->opt && f->opt->extra) {
		argv[n++] = f->opt->extra;
		if (f->opt->extra2)
			argv[n++] = f->opt->extra2;
	}
	argv[n] = NULL;
	g_spawn_async(NULL, (char **)argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, child_setup, NULL,
		      &f->broker_pid, &error);
	g_assert_no_error(error);
	end = g_get_monotonic_time() + TIMEOUT_MS * 1000;
	while (!name_has_owner(f->conn, BROKER_NAME)) {
		g_assert_cmpint(g_get_monotonic_time(), <, end);
		g_usleep(10000);
	}
}

void bus_fixture_stop_broker(BusFixture *f)
{
	int status;

	/* still there, and it stops cleanly: nothing crashed it */
	g_assert_cmpint(kill(f->broker_pid, SIGTERM), ==, 0);
	status = wait_exit(f->broker_pid);
	f->broker_pid = 0;
	g_assert_true(WIFEXITED(status));
	g_assert_cmpint(WEXITSTATUS(status), ==, 0);
}

void bus_fixture_setup(BusFixture *f, gconstpointer data)
{
	g_autofree char *conf = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GIOChannel) out = NULL;
	g_autofree char *line = NULL;
	int out_fd;

	memset(f, 0, sizeof(*f));
	f->opt = data;
	f->signals = g_ptr_array_new_with_free_func(signal_free);
	f->tmpdir = g_dir_make_tmp("oomn-lib-XXXXXX", &error);
	g_assert_no_error(error);
	g_assert_cmpint(g_chmod(f->tmpdir, 0755), ==, 0);
	f->proc = g_build_filename(f->tmpdir, "proc", NULL);
	g_assert_cmpint(g_mkdir(f->proc, 0755), ==, 0);
	bus_fixture_write_meminfo(f, MEMINFO_NORMAL);
	write_bus_config(f);

	conf = g_strdup_printf("--config-file=%s/bus.conf", f->tmpdir);
	{
		char *argv[] = { "dbus-daemon", conf, "--nofork", "--print-address=1", NULL };

		g_spawn_async_with_pipes(
			NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_SEARCH_PATH,
			child_setup, NULL, &f->bus_pid, NULL, &out_fd, NULL, &error);
		g_assert_no_error(error);
	}
	/* the address line: it listens */
	out = g_io_channel_unix_new(out_fd);
	g_io_channel_set_close_on_unref(out, TRUE);
	g_io_channel_read_line(out, &line, NULL, NULL, &error);
	g_assert_no_error(error);
	g_assert_nonnull(line);
	f->address = g_strdup_printf("unix:path=%s/bus", f->tmpdir);

	f->conn = g_dbus_connection_new_for_address_sync(
		f->address,
		G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
			G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
		NULL, NULL, &error);
	g_assert_no_error(error);
	f->sub = g_dbus_connection_signal_subscribe(f->conn, NULL, BROKER_IFACE, NULL, BROKER_PATH,
						    NULL, G_DBUS_SIGNAL_FLAGS_NONE, on_signal, f,
						    NULL);
	if (!f->opt || !f->opt->no_broker)
		bus_fixture_start_broker(f);
}

void bus_fixture_teardown(BusFixture *f, gconstpointer data)
{
	if (f->conn) {
		g_dbus_connection_signal_unsubscribe(f->conn, f->sub);
		g_dbus_connection_close_sync(f->conn, NULL, NULL);
		g_clear_object(&f->conn);
	}
	if (f->broker_pid > 0)
		bus_fixture_stop_broker(f);
	if (f->bus_pid > 0) {
		(void)kill(f->bus_pid, SIGTERM);
		(void)wait_exit(f->bus_pid);
	}
	if (f->tmpdir) {
		g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", f->tmpdir);

		(void)system(cmd);
	}
	g_free(f->tmpdir);
	g_free(f->proc);
	g_free(f->address);
	g_ptr_array_unref(f->signals);
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
	gint64 end = g_get_monotonic_time() + (gint64)ms * 1000;

	for (;;) {
		for (guint i = 0; i < f->signals->len; i++) {
			BusSignal *s = g_ptr_array_index(f->signals, i);

			if (strcmp(s->member, member) == 0) {
				GVariant *v = g_variant_ref(s->params);

				g_ptr_array_remove_index(f->signals, i);
				return v;
			}
		}
		if (g_get_monotonic_time() >= end)
			return NULL;
		g_main_context_iteration(NULL, FALSE);
		g_usleep(2000);
	}
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
