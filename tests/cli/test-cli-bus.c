/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The real oom-notify binary against the real oom-notifyd on a private
 * dbus-daemon with the project's bus policy. The broker's meminfo source
 * reads a fake proc tree that the tests rewrite to drive the level.
 */
#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bus-fixture.h"
#include "cli-json.h"

#define NO_BROKER_MSG "oom-notify: no broker on the system bus: is oom-notifyd running?\n"

typedef struct {
	bool no_broker;
	bool deny_all; /* the broker may own its name, nobody may call it */
} Options;

typedef BusFixture Fixture;

/* A running `oom-notify ... watch`: its stdout read line by line. */
typedef struct {
	GPid pid;
	int out;
	GString *buf;
	char *err_path;
	bool eof;
} Cli;

/* Helpers */

static GVariant *broker_call(GDBusConnection *c, const char *method, GVariant *args)
{
	g_autoptr(GError) error = NULL;
	GVariant *r;

	r = g_dbus_connection_call_sync(c, BROKER_NAME, BROKER_PATH, BROKER_IFACE, method, args,
					NULL, G_DBUS_CALL_FLAGS_NONE, TIMEOUT_MS, NULL, &error);
	g_assert_no_error(error);
	return r;
}

static guint64 broker_signal_seq(Fixture *f)
{
	g_autoptr(GVariant) r = broker_call(f->conn, "GetState", NULL);
	guint64 seq;

	g_variant_get_child(r, 1, "t", &seq);
	return seq;
}

/* Drives the level and waits until the broker has sent the change. */
static void drive_level(Fixture *f, unsigned avail_kb, guint64 seq)
{
	gint64 end = g_get_monotonic_time() + TIMEOUT_MS * 1000;

	test_write_meminfo(f->proc, avail_kb);
	while (broker_signal_seq(f) < seq) {
		g_assert_cmpint(g_get_monotonic_time(), <, end);
		g_usleep(20000);
	}
	g_assert_cmpuint(broker_signal_seq(f), ==, seq);
}

/* One object per line, with the fields every line carries. */
static void assert_json_line(const char *line, const char *event)
{
	g_autofree char *time = NULL;

	g_assert_nonnull(line);
	g_assert_true(g_str_has_prefix(line, "{\"event\":"));
	g_assert_true(g_str_has_suffix(line, "}"));
	g_assert_null(strchr(line, '\n'));
	assert_field(line, "event", event);
	time = json_field(line, "time");
	g_assert_nonnull(time);
	g_assert_true(g_regex_match_simple("^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z$",
					   time, 0, 0));
}

/* Processes */

static void start_broker(Fixture *f)
{
	const char *args[] = { BUS_BROKER_MEMINFO_ARGS(f->address, f->proc), NULL };

	f->broker_pid = bus_broker_spawn(args, G_SPAWN_STDERR_TO_DEV_NULL, NULL);
	bus_wait_name(f->conn, BROKER_NAME, TRUE, TIMEOUT_MS, 0);
}

/* The system bus's default policy, then the project's files (deny_all: instead of them). */
static char *bus_policy(const Options *o)
{
	static const char *const files[] = { "org.oomnotify.Broker1.conf",
					      "org.freedesktop.LowMemoryMonitor.oom-notify.conf",
					      NULL };
	g_autofree char *deflt = bus_policy_inline(true, NULL);

	if (o && o->deny_all)
		return g_strconcat(deflt,
				   "  <policy user=\"root\">\n"
				   "    <allow own=\"org.oomnotify.Broker1\"/>\n"
				   "    <allow own=\"org.freedesktop.LowMemoryMonitor\"/>\n"
				   "  </policy>\n",
				   NULL);
	return bus_policy_inline(true, files);
}

static void fixture_setup(Fixture *f, gconstpointer data)
{
	const Options *o = data;
	g_autofree char *policy = bus_policy(o);

	bus_fixture_start(f, "oomn-cli-XXXXXX", policy);
	if (!(o && o->no_broker))
		start_broker(f);
}

static void fixture_teardown(Fixture *f, gconstpointer data)
{
	bus_fixture_stop(f);
}

/* The CLI */

static GPtrArray *cli_argv(Fixture *f, const char *const *args)
{
	GPtrArray *argv = g_ptr_array_new();

	g_ptr_array_add(argv, (char *)g_getenv("OOMN_CLI"));
	if (f) {
		g_ptr_array_add(argv, "--bus-address");
		g_ptr_array_add(argv, f->address);
	}
	for (; *args; args++)
		g_ptr_array_add(argv, (char *)*args);
	g_ptr_array_add(argv, NULL);
	return argv;
}

/* Runs the CLI to its end; f NULL: no --bus-address. envp NULL: ours. */
static int cli_run(Fixture *f, char **envp, char **out, char **err, const char *const *args)
{
	g_autoptr(GPtrArray) argv = cli_argv(f, args);
	g_autoptr(GError) error = NULL;
	int status;

	g_spawn_sync(NULL, (char **)argv->pdata, envp, G_SPAWN_DEFAULT, NULL, NULL, out, err,
		     &status, &error);
	g_assert_no_error(error);
	g_assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void cli_child_setup(gpointer data)
{
	int fd = open(data, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	test_child_die_with_parent(NULL);
	if (fd >= 0)
		dup2(fd, STDERR_FILENO);
}

/* The same, then as nobody (65534); setuid() clears the parent-death signal. */
static void cli_child_setup_nobody(gpointer data)
{
	cli_child_setup(data);
	if (setgroups(0, NULL) < 0 || setgid(65534) < 0 || setuid(65534) < 0)
		_exit(99);
	(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
}

static Cli *cli_spawn_as(Fixture *f, const char *const *args, bool nobody)
{
	g_autoptr(GPtrArray) argv = cli_argv(f, args);
	g_autoptr(GError) error = NULL;
	Cli *c = g_new0(Cli, 1);

	c->buf = g_string_new(NULL);
	c->err_path = g_build_filename(f->tmpdir, "cli.err", NULL);
	g_spawn_async_with_pipes(NULL, (char **)argv->pdata, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
				 nobody ? cli_child_setup_nobody : cli_child_setup, c->err_path,
				 &c->pid, NULL, &c->out, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpint(fcntl(c->out, F_SETFL, O_NONBLOCK), ==, 0);
	return c;
}

static Cli *cli_spawn(Fixture *f, const char *const *args)
{
	return cli_spawn_as(f, args, false);
}

/* The next line of its stdout (without the newline), NULL at EOF or after ms. */
static char *cli_line(Cli *c, unsigned ms)
{
	gint64 end = g_get_monotonic_time() + (gint64)ms * 1000;

	for (;;) {
		char *nl = strchr(c->buf->str, '\n');
		struct pollfd p = { .fd = c->out, .events = POLLIN };
		gint64 left;
		char tmp[4096];
		ssize_t n;

		if (nl) {
			char *line = g_strndup(c->buf->str, nl - c->buf->str);

			g_string_erase(c->buf, 0, nl - c->buf->str + 1);
			return line;
		}
		if (c->eof)
			return NULL;
		left = (end - g_get_monotonic_time()) / 1000;
		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			return NULL;
		n = read(c->out, tmp, sizeof(tmp));
		if (n > 0)
			g_string_append_len(c->buf, tmp, n);
		else if (n == 0 || errno != EAGAIN)
			c->eof = true;
	}
}

/* The next line, which must come. */
#define cli_expect(c) cli_expect_at(c, __LINE__)
static char *cli_expect_at(Cli *c, int at)
{
	char *line = cli_line(c, TIMEOUT_MS);

	if (!line)
		g_test_message("no line from oom-notify at line %d", at);
	g_assert_nonnull(line);
	return line;
}

/* Sends sig (0: none, it ends by itself), reads the rest of stdout into *rest, returns the exit status. */
static int cli_stop(Cli *c, int sig, char **rest, char **err)
{
	GString *all = g_string_new(NULL);
	char *line;
	int status;

	if (sig)
		g_assert_cmpint(kill(c->pid, sig), ==, 0);
	while ((line = cli_line(c, TIMEOUT_MS))) {
		g_string_append_printf(all, "%s\n", line);
		g_free(line);
	}
	g_assert_true(c->eof);
	status = test_wait_exit(c->pid);
	if (rest)
		*rest = g_string_free(all, FALSE);
	else
		g_string_free(all, TRUE);
	if (err)
		g_assert_true(g_file_get_contents(c->err_path, err, NULL, NULL));
	close(c->out);
	g_string_free(c->buf, TRUE);
	g_free(c->err_path);
	g_free(c);
	return status;
}

/* Tests */

static void test_watch_json(Fixture *f, gconstpointer data)
{
	const char *const args[] = { "--json", "watch", NULL };
	Cli *c = cli_spawn(f, args);
	g_autofree char *state = cli_expect(c);
	g_autofree char *change = NULL, *rest = NULL, *err = NULL;
	int status;

	/* the state first */
	assert_json_line(state, "state");
	assert_field(state, "level", "normal");
	assert_field(state, "signal_seq", "0");
	assert_field(state, "source", "meminfo");
	assert_field(state, "mem_total", "1024000000");
	assert_field(state, "mem_available", "819200000");
	assert_field(state, "swap_total", "0");
	assert_field(state, "swap_free", "0");
	g_assert_false(json_has_field(state, "prev_level"));

	/* then every change, as it happens */
	test_write_meminfo(f->proc, MEMINFO_LOW);
	change = cli_expect(c);
	assert_json_line(change, "pressure");
	assert_field(change, "level", "low");
	assert_field(change, "prev_level", "normal");
	assert_field(change, "signal_seq", "1");
	assert_field(change, "mem_total", "1024000000");
	assert_field(change, "mem_available", "184320000");
	assert_field(change, "source", "meminfo");
	g_assert_true(json_has_field(change, "timestamp_ns"));

	/* Ctrl-C ends it cleanly */
	status = cli_stop(c, SIGINT, &rest, &err);
	g_assert_true(WIFEXITED(status));
	g_assert_cmpint(WEXITSTATUS(status), ==, 0);
	g_assert_cmpstr(rest, ==, "");
	g_assert_cmpstr(err, ==, "");
}

static void test_watch_text(Fixture *f, gconstpointer data)
{
	const char *const args[] = { "watch", NULL };
	Cli *c = cli_spawn(f, args);
	g_autofree char *state = cli_expect(c);
	g_autofree char *change = NULL, *err = NULL;
	int status;

	g_assert_true(g_regex_match_simple(
		"^\\d\\d:\\d\\d:\\d\\d\\.\\d{3}  normal   \\(now\\)           available", state, 0,
		0));
	g_assert_true(g_str_has_suffix(state, "available 781/977 MiB (80.0%)  "
					      "swap free 0/0 MiB  meminfo  signal seq 0"));

	test_write_meminfo(f->proc, MEMINFO_MEDIUM);
	change = cli_expect(c);
	g_assert_true(
		g_regex_match_simple("^\\d\\d:\\d\\d:\\d\\d\\.\\d{3}  medium   \\(was normal\\)    "
				     "available 127/977 MiB \\(13\\.0%\\)  "
				     "swap free 0/0 MiB  meminfo  signal seq 1$",
				     change, 0, 0));

	/* SIGTERM as well */
	status = cli_stop(c, SIGTERM, NULL, &err);
	g_assert_true(WIFEXITED(status));
	g_assert_cmpint(WEXITSTATUS(status), ==, 0);
	g_assert_cmpstr(err, ==, "");
}

static void test_min_level(Fixture *f, gconstpointer data)
{
	const char *const args[] = { "--json", "--min-level", "critical", "watch", NULL };
	Cli *c = cli_spawn(f, args);
	g_autofree char *state = cli_expect(c);
	g_autofree char *crit = NULL, *back = NULL, *rest = NULL;
	int status;

	assert_json_line(state, "state");
	drive_level(f, MEMINFO_LOW, 1);
	drive_level(f, MEMINFO_MEDIUM, 2);
	drive_level(f, MEMINFO_CRITICAL, 3);
	drive_level(f, MEMINFO_NORMAL, 4);

	/* low and medium are not shown; critical and the fall from it are */
	crit = cli_expect(c);
	assert_json_line(crit, "pressure");
	assert_field(crit, "level", "critical");
	assert_field(crit, "prev_level", "medium");
	assert_field(crit, "signal_seq", "3");
	back = cli_expect(c);
	assert_field(back, "level", "normal");
	assert_field(back, "prev_level", "critical");
	assert_field(back, "signal_seq", "4");

	status = cli_stop(c, SIGINT, &rest, NULL);
	g_assert_cmpint(WEXITSTATUS(status), ==, 0);
	g_assert_cmpstr(rest, ==, "");
}

static void test_status(Fixture *f, gconstpointer data)
{
	const char *const json[] = { "--json", "status", NULL };
	const char *const text[] = { "status", NULL };
	g_autoptr(GDBusConnection) client = bus_connect(f->address);
	g_autoptr(GVariant) r = broker_call(client, "Register", g_variant_new("(uu)", 30, 1));
	g_autofree char *out = NULL, *err = NULL, *out2 = NULL, *err2 = NULL;
	g_autofree char *want = NULL, *comm = NULL;
	guint64 id;

	g_variant_get(r, "(t)", &id);
	g_assert_true(g_file_get_contents("/proc/self/comm", &comm, NULL, NULL));
	g_strchomp(comm);

	g_assert_cmpint(cli_run(f, NULL, &out, &err, json), ==, 0);
	g_assert_cmpstr(err, ==, "");
	g_assert_true(g_str_has_prefix(out, "{\"level\":\"normal\",\"signal_seq\":0,"));
	g_assert_true(g_str_has_suffix(out, "}\n"));
	assert_field(out, "source", "meminfo");
	assert_field(out, "mem_available", "819200000");
	want = g_strdup_printf("\"clients\":[{\"id\":%" G_GUINT64_FORMAT ",\"pid\":%d,\"uid\":%u,"
			       "\"bus_name\":\"%s\",\"comm\":\"%s\",\"band\":30,\"flags\":1}]}\n",
			       id, getpid(), getuid(), g_dbus_connection_get_unique_name(client),
			       comm);
	g_assert_true(g_str_has_suffix(out, want));

	g_assert_cmpint(cli_run(f, NULL, &out2, &err2, text), ==, 0);
	g_assert_cmpstr(err2, ==, "");
	g_assert_nonnull(strstr(out2, "level:          normal\n"));
	g_assert_nonnull(strstr(out2, "source:         meminfo (through oom-notifyd)\n"));
	g_assert_nonnull(strstr(out2, "available:      781 of 977 MiB (80.0%)\n"));
	g_assert_nonnull(strstr(out2, "clients:        1 registered for redemption\n"));
	g_assert_nonnull(strstr(out2, g_dbus_connection_get_unique_name(client)));
	g_assert_nonnull(strstr(out2, "   30 free "));
}

static void test_no_broker(Fixture *f, gconstpointer data)
{
	const char *const status[] = { "status", NULL };
	const char *const watch[] = { "--json", "watch", NULL };
	g_autofree char *o1 = NULL, *e1 = NULL, *o2 = NULL, *e2 = NULL, *o3 = NULL, *e3 = NULL;
	g_autofree char *o4 = NULL, *e4 = NULL, *nobus = NULL, *bus = NULL;
	g_auto(GStrv) env_nobus = NULL, env_bus = NULL;

	/* a bus, but nobody owns the name */
	g_assert_cmpint(cli_run(f, NULL, &o1, &e1, status), ==, 69);
	g_assert_cmpstr(o1, ==, "");
	g_assert_cmpstr(e1, ==, NO_BROKER_MSG);
	g_assert_cmpint(cli_run(f, NULL, &o2, &e2, watch), ==, 69);
	g_assert_cmpstr(o2, ==, "");
	g_assert_cmpstr(e2, ==, NO_BROKER_MSG);

	/* no bus at all: the system bus's address from the environment, as sd-bus reads it */
	nobus = g_strdup_printf("unix:path=%s/no-such-bus", f->tmpdir);
	env_nobus = g_environ_setenv(g_get_environ(), "DBUS_SYSTEM_BUS_ADDRESS", nobus, TRUE);
	g_assert_cmpint(cli_run(NULL, env_nobus, &o3, &e3, status), ==, 69);
	g_assert_cmpstr(o3, ==, "");
	g_assert_true(g_str_has_prefix(e3, "oom-notify: cannot connect to the system bus: "));
	g_assert_true(strchr(e3, '\n') == e3 + strlen(e3) - 1); /* one line */

	/* a bus address nobody listens on (TCP: refused only at the first
	 * call): status and watch agree, and say so */
	{
		const char *const st[] = { "--bus-address", "tcp:host=127.0.0.1,port=1", "status",
					   NULL };
		const char *const wa[] = { "--bus-address", "tcp:host=127.0.0.1,port=1", "watch",
					   NULL };
		g_autofree char *o5 = NULL, *e5 = NULL, *o6 = NULL, *e6 = NULL;

		g_assert_cmpint(cli_run(NULL, NULL, &o5, &e5, st), ==, 69);
		g_assert_cmpint(cli_run(NULL, NULL, &o6, &e6, wa), ==, 69);
	}
	/* --proc without --kernel would be ignored: refused instead */
	{
		const char *const pr[] = { "--proc", "/tmp", "status", NULL };
		g_autofree char *o7 = NULL, *e7 = NULL;

		g_assert_cmpint(cli_run(NULL, NULL, &o7, &e7, pr), ==, 2);
		g_assert_nonnull(strstr(e7, "--proc is for --kernel"));
	}

	/* the same variable leads to the broker */
	start_broker(f);
	env_bus = g_environ_setenv(g_get_environ(), "DBUS_SYSTEM_BUS_ADDRESS", f->address, TRUE);
	g_assert_cmpint(cli_run(NULL, env_bus, &o4, &e4, status), ==, 0);
	g_assert_nonnull(strstr(o4, "level:          normal\n"));
}

static void test_not_permitted(Fixture *f, gconstpointer data)
{
	const char *const status[] = { "status", NULL };
	const char *const watch[] = { "watch", NULL };
	g_autofree char *o1 = NULL, *e1 = NULL, *o2 = NULL, *e2 = NULL;

	g_assert_cmpint(cli_run(f, NULL, &o1, &e1, status), ==, 77);
	g_assert_cmpstr(o1, ==, "");
	g_assert_cmpstr(e1, ==, "oom-notify: GetState: not permitted by the bus policy\n");
	g_assert_cmpint(cli_run(f, NULL, &o2, &e2, watch), ==, 77);
	g_assert_cmpstr(o2, ==, "");
	g_assert_cmpstr(e2, ==, e1);
}

static void test_broker_restart(Fixture *f, gconstpointer data)
{
	const char *const args[] = { "--json", "watch", NULL };
	Cli *c = cli_spawn(f, args);
	g_autofree char *state = cli_expect(c);
	g_autofree char *gone = NULL, *back = NULL, *state2 = NULL, *change = NULL;
	g_autofree char *rest = NULL, *err = NULL;
	char *extra;
	int status;

	assert_field(state, "level", "normal");
	bus_fixture_stop_broker(f);
	gone = cli_expect(c);
	assert_json_line(gone, "broker-gone");
	g_assert_true(json_has_field(gone, "message"));
	/* said once, and nothing more while it is away */
	extra = cli_line(c, 300);
	g_assert_null(extra);

	test_write_meminfo(f->proc, MEMINFO_LOW);
	start_broker(f);
	back = cli_expect(c);
	assert_json_line(back, "broker-back");
	/* the new broker's state: its own signal_seq, from the start */
	state2 = cli_expect(c);
	assert_json_line(state2, "state");
	assert_field(state2, "level", "low");
	assert_field(state2, "signal_seq", "0");

	/* and the stream goes on */
	test_write_meminfo(f->proc, MEMINFO_MEDIUM);
	change = cli_expect(c);
	assert_json_line(change, "pressure");
	assert_field(change, "level", "medium");
	assert_field(change, "prev_level", "low");
	assert_field(change, "signal_seq", "1");

	status = cli_stop(c, SIGINT, &rest, &err);
	g_assert_cmpint(WEXITSTATUS(status), ==, 0);
	g_assert_cmpstr(rest, ==, "");
	g_assert_cmpstr(err, ==, "");
}

static void test_bus_lost(Fixture *f, gconstpointer data)
{
	const char *const args[] = { "watch", NULL };
	Cli *c = cli_spawn(f, args);
	g_autofree char *state = cli_expect(c);
	g_autofree char *gone = NULL, *rest = NULL, *err = NULL;
	int status;

	bus_fixture_stop_broker(f);
	gone = cli_expect(c);
	g_assert_nonnull(strstr(gone, "  broker-gone: oom-notifyd left the bus; waiting for it"));

	/* the bus itself goes: nothing to wait for */
	g_assert_cmpint(kill(f->bus_pid, SIGTERM), ==, 0);
	(void)test_wait_exit(f->bus_pid);
	f->bus_pid = 0;
	status = cli_stop(c, 0, &rest, &err);
	g_assert_true(WIFEXITED(status));
	g_assert_cmpint(WEXITSTATUS(status), ==, 1);
	g_assert_cmpstr(rest, ==, "");
	g_assert_cmpstr(err, ==, "oom-notify: the bus connection was lost\n");
}

static void test_kill_events(Fixture *f, gconstpointer data)
{
	const char *const args[] = { "--json", "--events", "kill", "watch", NULL };
	g_autoptr(GDBusConnection) cand = bus_connect(f->address);
	g_autoptr(GDBusConnection) killer = bus_connect(f->address);
	g_autoptr(GVariant) reg = broker_call(cand, "Register", g_variant_new("(uu)", 50, 3));
	g_autoptr(GVariant) n = NULL, r1 = NULL, r2 = NULL, r3 = NULL;
	g_autofree char *state = NULL, *ann = NULL, *ans = NULL, *killed = NULL, *red = NULL;
	g_autofree char *pid = g_strdup_printf("%d", getpid());
	g_autofree char *killer_name = g_strdup(g_dbus_connection_get_unique_name(killer));
	g_autofree char *comm = NULL, *rest = NULL;
	Cli *c;
	int status;

	if (getuid() != 0) {
		g_test_skip("the bus policy lets only root act as the killer");
		return;
	}
	g_assert_true(g_file_get_contents("/proc/self/comm", &comm, NULL, NULL));
	g_strchomp(comm);
	c = cli_spawn(f, args);
	state = cli_expect(c);
	assert_json_line(state, "state");

	/* not asked for: no pressure line */
	drive_level(f, MEMINFO_LOW, 1);

	n = broker_call(killer, "NotifyCandidate",
			g_variant_new("(uus)", getpid(), 5000, "low \"mem\""));
	ann = cli_expect(c);
	assert_json_line(ann, "kill-announced");
	assert_field(ann, "pid", pid);
	assert_field(ann, "comm", comm);
	assert_field(ann, "deadline_msec", "5000");
	assert_field(ann, "reason", "low \"mem\"");
	g_assert_true(json_has_field(ann, "deadline_boottime_usec"));

	/* The answer goes to the killer; with the killer gone, to everyone. */
	g_dbus_connection_close_sync(killer, NULL, NULL);
	bus_wait_name(f->conn, killer_name, FALSE, TIMEOUT_MS, 0);
	r1 = broker_call(cand, "Relieved", g_variant_new("(tb)", (guint64)4096, TRUE));
	ans = cli_expect(c);
	assert_json_line(ans, "candidate-answered");
	assert_field(ans, "pid", pid);
	assert_field(ans, "freed", "4096");
	assert_field(ans, "checkpointed", "true");

	r2 = broker_call(f->conn, "ReportOutcome",
			 g_variant_new("(susussts)", "killed", 4242, "hog\n1", 1000, "/a/b",
				       "prefer-hogs", (guint64)1 << 20, "deadline passed"));
	killed = cli_expect(c);
	assert_json_line(killed, "killed");
	assert_field(killed, "pid", "4242");
	assert_field(killed, "comm", "hog\n1");
	assert_field(killed, "uid", "1000");
	assert_field(killed, "cgroup", "/a/b");
	assert_field(killed, "rule", "prefer-hogs");
	assert_field(killed, "freed", "1048576");
	assert_field(killed, "reason", "deadline passed");

	r3 = broker_call(f->conn, "ReportOutcome",
			 g_variant_new("(susussts)", "redeemed", 4243, "cache", 0, "", "",
				       (guint64)0, "pressure fell"));
	red = cli_expect(c);
	assert_json_line(red, "redeemed");
	assert_field(red, "pid", "4243");
	assert_field(red, "comm", "cache");
	assert_field(red, "reason", "pressure fell");

	status = cli_stop(c, SIGINT, &rest, NULL);
	g_assert_cmpint(WEXITSTATUS(status), ==, 0);
	/* still no pressure line */
	g_assert_cmpstr(rest, ==, "");
}

/*
 * Kills are root's to know: as another user `watch` still shows pressure,
 * says once that kill events are root's, and shows none of them.
 */
static void test_kills_need_root(Fixture *f, gconstpointer data)
{
	static const char note[] = "kill and OOM events are shown to root only; "
				   "showing pressure alone";
	const char *const json_args[] = { "--json", "watch", NULL };
	const char *const text_args[] = { "watch", NULL };
	g_autofree char *state = NULL, *notice = NULL, *low = NULL, *normal = NULL;
	g_autofree char *rest = NULL, *err = NULL, *want = NULL;
	g_autoptr(GVariant) r = NULL;
	Cli *c;
	int status;

	if (getuid() != 0) {
		g_test_skip("needs root to run the CLI as another user");
		return;
	}
	c = cli_spawn_as(f, json_args, true);
	state = cli_expect(c);
	assert_json_line(state, "state");
	notice = cli_expect(c);
	assert_json_line(notice, "kills-need-root");
	assert_field(notice, "message", note);
	r = broker_call(f->conn, "ReportOutcome",
			g_variant_new("(susussts)", "killed", 4242, "hog", 1000, "/a/b", "rule",
				      (guint64)1, "deadline passed"));
	/* a kill sent to it would come before this */
	drive_level(f, MEMINFO_LOW, 1);
	low = cli_expect(c);
	assert_json_line(low, "pressure");
	status = cli_stop(c, SIGINT, &rest, &err);
	g_assert_cmpint(WEXITSTATUS(status), ==, 0);
	g_assert_cmpstr(rest, ==, "");
	g_assert_cmpstr(err, ==, "");
	g_clear_pointer(&rest, g_free);
	g_clear_pointer(&err, g_free);

	/* text: the note on stderr, the lines as before */
	c = cli_spawn_as(f, text_args, true);
	g_free(cli_expect(c));
	drive_level(f, MEMINFO_NORMAL, 2);
	normal = cli_expect(c);
	g_assert_nonnull(strstr(normal, "normal"));
	status = cli_stop(c, SIGINT, &rest, &err);
	g_assert_cmpint(WEXITSTATUS(status), ==, 0);
	g_assert_cmpstr(rest, ==, "");
	want = g_strdup_printf("oom-notify: %s\n", note);
	g_assert_cmpstr(err, ==, want);
}

int main(int argc, char **argv)
{
	static const Options none = { 0 };
	static const Options no_broker = { .no_broker = true };
	static const Options deny_all = { .deny_all = true };

	g_test_init(&argc, &argv, NULL);
	g_assert_nonnull(g_getenv("OOMN_CLI"));
#define ADD(path, opt, fn) g_test_add(path, Fixture, &opt, fixture_setup, fn, fixture_teardown)
	ADD("/cli/bus/watch-json", none, test_watch_json);
	ADD("/cli/bus/watch-text", none, test_watch_text);
	ADD("/cli/bus/min-level", none, test_min_level);
	ADD("/cli/bus/status", none, test_status);
	ADD("/cli/bus/no-broker", no_broker, test_no_broker);
	ADD("/cli/bus/not-permitted", deny_all, test_not_permitted);
	ADD("/cli/bus/broker-restart", none, test_broker_restart);
	ADD("/cli/bus/bus-lost", none, test_bus_lost);
	ADD("/cli/bus/kill-events", none, test_kill_events);
	ADD("/cli/bus/kills-need-root", none, test_kills_need_root);
#undef ADD
	return g_test_run();
}
