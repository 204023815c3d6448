/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The example applications of liboom-notify against a real kernel, inside
 * the VM test bed (run-vm.sh, root, the module loaded, no swap): a private
 * dbus-daemon with the project's policy, the real oom-notifyd (kernel
 * source) and the real oom-killerd. oomn-checkpoint-worker
 * ($OOMN_CHECKPOINT_WORKER) grows until memory is critical, is the largest
 * process, gets the killer's notice, saves its state and answers; the killer
 * kills it on that answer; started again, it resumes from its checkpoint.
 * oomn-cache-holder ($OOMN_CACHE_HOLDER) drops its cache when a hog
 * ($OOMN_HOG) raises the level, and nobody is killed.
 *
 * $OOMN_KILLERD, $OOMN_BROKER, $OOMN_DBUS_DIR name the daemons and the policy.
 */
#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "checkpoint.h"
#include "vm-helpers.h"

#define BROKER_NAME  "org.oomnotify.Broker1"
#define BROKER_PATH  "/org/oomnotify/Broker1"
#define BROKER_IFACE "org.oomnotify.Broker1"
/*
 * Long: the kill must come from the worker's answer, not the deadline (the
 * Killed reason says which).
 */
#define DEADLINE_S 60
#define GRACE_S	   1
/* MemAvailable the worker leaves, in % of MemTotal: critical (< 10 %), above the floor (3 %) */
#define TARGET_PCT 6
/* how long anything may take under TCG before a case gives up */
#define WAIT_MS 90000

typedef struct {
	char *tmpdir, *address, *log;
	GPid bus_pid, broker_pid, killer_pid;
	GDBusConnection *conn;
	guint sub;
	GPtrArray *signals; /* Signal*, in arrival order */
	/* the killer's stderr: its kill lines are part of its contract */
	int killer_err;
	guint killer_watch;
	GString *killer_partial;
	GPtrArray *killer_lines;
	GArray *children; /* GPid: reaped in teardown */
	GArray *pipes;	  /* int: closed in teardown */
	int kmsg;
} Fixture;

typedef struct {
	char *member;
	GVariant *params;
} Signal;

static void signal_free(gpointer p)
{
	Signal *s = p;

	g_free(s->member);
	g_variant_unref(s->params);
	g_free(s);
}

static void on_signal(GDBusConnection *c, const char *sender, const char *path, const char *iface,
		      const char *member, GVariant *params, gpointer data)
{
	Fixture *f = data;
	Signal *s = g_new0(Signal, 1);

	s->member = g_strdup(member);
	s->params = g_variant_ref(params);
	g_ptr_array_add(f->signals, s);
}

/* The first @member signal about @pid (its first argument), waiting up to @ms; NULL if none. */
static GVariant *wait_signal(Fixture *f, const char *member, GPid pid, guint ms)
{
	gint64 end = g_get_monotonic_time() + (gint64)ms * 1000;

	for (;;) {
		for (guint i = 0; i < f->signals->len; i++) {
			Signal *s = g_ptr_array_index(f->signals, i);
			guint32 p;

			if (strcmp(s->member, member) != 0)
				continue;
			g_variant_get_child(s->params, 0, "u", &p);
			if (p == (guint32)pid)
				return s->params;
		}
		if (g_get_monotonic_time() >= end)
			return NULL;
		g_main_context_iteration(NULL, FALSE);
		g_usleep(5000);
	}
}

/* Takes in what the bus has delivered so far. */
static void bus_iterate_quiet(Fixture *f)
{
	while (g_main_context_iteration(NULL, FALSE))
		;
}

static gboolean on_killer_err(gint fd, GIOCondition cond, gpointer data)
{
	Fixture *f = data;
	char buf[4096];
	ssize_t n = read(fd, buf, sizeof(buf));

	if (n < 0 && errno == EAGAIN)
		return G_SOURCE_CONTINUE;
	for (ssize_t i = 0; i < n; i++) {
		if (buf[i] != '\n') {
			g_string_append_c(f->killer_partial, buf[i]);
			continue;
		}
		g_test_message("oom-killerd: %s", f->killer_partial->str);
		g_ptr_array_add(f->killer_lines, g_string_free(f->killer_partial, FALSE));
		f->killer_partial = g_string_new(NULL);
	}
	if (n > 0)
		return G_SOURCE_CONTINUE;
	f->killer_watch = 0;
	return G_SOURCE_REMOVE;
}

/* The first killer line from *from on that starts with @prefix; waits up to @ms. */
static const char *wait_killer_line(Fixture *f, const char *prefix, guint *from, guint ms)
{
	gint64 end = g_get_monotonic_time() + (gint64)ms * 1000;

	for (;;) {
		for (; *from < f->killer_lines->len; (*from)++) {
			const char *l = g_ptr_array_index(f->killer_lines, *from);

			if (g_str_has_prefix(l, prefix))
				return l;
		}
		if (g_get_monotonic_time() >= end)
			return NULL;
		g_assert_true(vm_child_alive(f->killer_pid));
		g_main_context_iteration(NULL, FALSE);
		g_usleep(5000);
	}
}

static void write_file(const char *path, const char *text)
{
	g_autoptr(GError) error = NULL;

	g_file_set_contents(path, text, -1, &error);
	g_assert_no_error(error);
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

/* The system bus's default policy, then the project's own file. */
static void start_bus(Fixture *f)
{
	g_autofree char *path = g_build_filename(f->tmpdir, "bus.conf", NULL);
	g_autofree char *conf = g_strdup_printf("--config-file=%s", path);
	g_autofree char *text = NULL;
	g_autofree char *line = NULL;
	g_autoptr(GError) error = NULL;
	char *argv[] = { "dbus-daemon", conf, "--nofork", "--print-address=1", NULL };
	int out;

	g_assert_nonnull(g_getenv("OOMN_DBUS_DIR"));
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
		f->tmpdir, g_getenv("OOMN_DBUS_DIR"));
	write_file(path, text);
	f->bus_pid = vm_spawn(argv, NULL, f->log, NULL, &out);
	line = vm_read_line(out, WAIT_MS);
	g_assert_nonnull(line);
	close(out);
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
}

static void start_broker(Fixture *f)
{
	char *argv[] = { (char *)g_getenv("OOMN_BROKER"),
			 "--bus-address",
			 f->address,
			 "--source",
			 "kernel",
			 "--no-lmm",
			 NULL };
	gint64 end = g_get_monotonic_time() + (gint64)WAIT_MS * 1000;

	g_assert_nonnull(argv[0]);
	f->broker_pid = vm_spawn(argv, NULL, f->log, NULL, NULL);
	while (!name_has_owner(f->conn, BROKER_NAME)) {
		g_assert_cmpint(g_get_monotonic_time(), <, end);
		g_assert_true(vm_child_alive(f->broker_pid));
		g_usleep(10000);
	}
}

static void die_with_parent(gpointer data)
{
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
}

static void start_killer(Fixture *f)
{
	g_autofree char *rules = g_build_filename(f->tmpdir, "rules.yaml", NULL);
	g_autofree char *dropins = g_build_filename(f->tmpdir, "rules.d", NULL);
	g_autofree char *text = NULL;
	char *argv[] = { (char *)g_getenv("OOMN_KILLERD"),
			 "--rules",
			 rules,
			 "--rules-dir",
			 dropins,
			 "--bus-address",
			 f->address,
			 "--source",
			 "kernel",
			 NULL };
	g_autoptr(GError) error = NULL;
	guint from = 0;

	g_assert_nonnull(argv[0]);
	text = g_strdup_printf("rules:\n"
			       "defaults: { deadline: %ds, grace: %ds, floor: 3%% }\n",
			       DEADLINE_S, GRACE_S);
	write_file(rules, text);
	g_assert_true(g_spawn_async_with_pipes(
		NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL,
		die_with_parent, NULL, &f->killer_pid, NULL, NULL, &f->killer_err, &error));
	g_assert_no_error(error);
	f->killer_partial = g_string_new(NULL);
	f->killer_lines = g_ptr_array_new_with_free_func(g_free);
	g_assert_true(g_unix_set_fd_nonblocking(f->killer_err, TRUE, NULL));
	f->killer_watch =
		g_unix_fd_add(f->killer_err, G_IO_IN | G_IO_HUP | G_IO_ERR, on_killer_err, f);
	g_assert_nonnull(wait_killer_line(f, "oom-killerd ready", &from, WAIT_MS));
}

static void fixture_setup(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	guint64 total, avail;

	f->kmsg = vm_kmsg_open();
	f->signals = g_ptr_array_new_with_free_func(signal_free);
	f->children = g_array_new(FALSE, FALSE, sizeof(GPid));
	f->pipes = g_array_new(FALSE, FALSE, sizeof(int));
	f->tmpdir = g_dir_make_tmp("oomn-examples-XXXXXX", &error);
	g_assert_no_error(error);
	g_assert_cmpint(g_chmod(f->tmpdir, 0755), ==, 0);
	f->log = g_build_filename(f->tmpdir, "daemons.log", NULL);

	vm_meminfo_mib(&total, &avail);
	g_assert_cmpuint(avail * 100, >, total * 40);

	start_bus(f);
	start_broker(f);
	start_killer(f);
}

static void stop_daemon(GPid pid, const char *what)
{
	int status;

	/* still there, and it stops cleanly: nothing crashed it */
	g_assert_cmpint(kill(pid, SIGTERM), ==, 0);
	g_assert_true(vm_wait_child(pid, WAIT_MS, &status));
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		g_error("%s ended with wait status 0x%x", what, status);
}

static void fixture_teardown(Fixture *f, gconstpointer data)
{
	g_autofree char *oom = NULL;
	g_autofree char *log = NULL;
	int status;

	for (guint i = 0; i < f->children->len; i++) {
		GPid pid = g_array_index(f->children, GPid, i);

		(void)kill(pid, SIGKILL);
		g_assert_true(vm_wait_child(pid, WAIT_MS, &status));
	}
	for (guint i = 0; i < f->pipes->len; i++)
		close(g_array_index(f->pipes, int, i));
	if (f->killer_pid) {
		stop_daemon(f->killer_pid, "oom-killerd");
		while (f->killer_watch)
			g_main_context_iteration(NULL, TRUE);
		close(f->killer_err);
		g_ptr_array_unref(f->killer_lines);
		g_string_free(f->killer_partial, TRUE);
	}
	if (f->conn) {
		g_dbus_connection_signal_unsubscribe(f->conn, f->sub);
		g_dbus_connection_close_sync(f->conn, NULL, NULL);
		g_clear_object(&f->conn);
	}
	if (f->broker_pid)
		stop_daemon(f->broker_pid, "oom-notifyd");
	if (f->bus_pid) {
		(void)kill(f->bus_pid, SIGTERM);
		g_assert_true(vm_wait_child(f->bus_pid, WAIT_MS, &status));
	}
	if (g_file_get_contents(f->log, &log, NULL, NULL) && *log)
		g_test_message("dbus-daemon and broker log:\n%s", log);

	/* the user-space killer acted: the kernel's own OOM killer must not have run */
	oom = vm_kmsg_find(f->kmsg, "invoked oom-killer");
	if (oom)
		g_error("the kernel's OOM killer ran: %s", oom);
	close(f->kmsg);
	{
		g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", f->tmpdir);

		(void)vm_run(cmd);
	}
	g_free(f->tmpdir);
	g_free(f->address);
	g_free(f->log);
	g_ptr_array_unref(f->signals);
	g_array_unref(f->children);
	g_array_unref(f->pipes);
}

static GPid start_child(Fixture *f, char **argv, int *ret_out)
{
	GPid pid = vm_spawn(argv, NULL, f->log, NULL, ret_out);

	g_array_append_val(f->children, pid);
	g_array_append_val(f->pipes, *ret_out);
	return pid;
}

/* Waits for child @pid to end and forgets it; returns its wait status. */
static int wait_child(Fixture *f, GPid pid)
{
	int status = 0;

	g_assert_true(vm_wait_child(pid, WAIT_MS, &status));
	for (guint i = 0; i < f->children->len; i++) {
		if (g_array_index(f->children, GPid, i) == pid) {
			g_array_remove_index(f->children, i);
			break;
		}
	}
	return status;
}

/* MiB to take so that MemAvailable is left at about @pct % of MemTotal. */
static guint64 mib_to_leave(guint pct)
{
	guint64 total, avail;

	vm_meminfo_mib(&total, &avail);
	g_assert_cmpuint(avail, >, total * pct / 100 + 16);
	return avail - total * pct / 100;
}

/* The worker's next line but "grown" (it may or may not get there before its notice). */
static char *read_worker_line(int out)
{
	for (;;) {
		char *line = vm_read_line(out, WAIT_MS);

		if (!line || !g_str_has_prefix(line, "grown "))
			return line;
		g_test_message("oomn-checkpoint-worker: %s", line);
		g_free(line);
	}
}

/* The worker's next stdout line, which must start with @prefix; returns the rest. */
static char *expect_line(int out, const char *prefix)
{
	g_autofree char *line = read_worker_line(out);

	if (!line || !g_str_has_prefix(line, prefix))
		g_error("oomn-checkpoint-worker: expected \"%s...\", got \"%s\"", prefix,
			line ? line : "(nothing)");
	g_test_message("oomn-checkpoint-worker: %s", line);
	return g_strdup(line + strlen(prefix));
}

/*
 * The worker grows to critical, is chosen, checkpoints, answers, is killed
 * on its answer; restarted, it resumes from what it saved.
 */
static void test_checkpoint(Fixture *f, gconstpointer data)
{
	g_autofree char *state = g_build_filename(f->tmpdir, "worker.state", NULL);
	g_autofree char *mib = g_strdup_printf("%" G_GUINT64_FORMAT, mib_to_leave(TARGET_PCT));
	char *argv[] = { (char *)g_getenv("OOMN_CHECKPOINT_WORKER"),
			 "--bus-address",
			 f->address,
			 "--state",
			 state,
			 "--mib",
			 mib,
			 "--interval-ms",
			 "20",
			 "--step-mib",
			 "4",
			 NULL };
	g_autofree char *fresh = NULL, *ready = NULL, *pending = NULL, *count = NULL;
	g_autofree char *resumed = NULL, *ready2 = NULL, *after = NULL, *answered = NULL;
	g_auto(VmKillLine) k = { 0 };
	const char *line, *name, *cg, *rule, *reason;
	guint64 saved = 0, freed;
	guint32 p, uid;
	GVariant *v;
	guint from = 0;
	GPid worker;
	int out, status;

	g_assert_nonnull(argv[0]);
	worker = start_child(f, argv, &out);
	fresh = expect_line(out, "starting fresh");
	ready = expect_line(out, "ready ");
	g_assert_cmpint(atoi(ready), ==, worker);

	/* the notice, with the rules' deadline; the state saved, the answer given */
	pending = expect_line(out, "pending ");
	g_assert_cmpstr(pending, ==, G_STRINGIFY(DEADLINE_S) "000");
	count = expect_line(out, "checkpointed ");
	/* "relieved", unless the killer's SIGTERM came before the broker's reply */
	after = read_worker_line(out);
	g_test_message("oomn-checkpoint-worker: %s", after ? after : "(ended)");
	g_assert_true(!after || strcmp(after, "relieved") == 0);

	/* what the killer heard (CandidateAnswered is addressed to it alone): the answer... */
	answered = g_strdup_printf("oom-killerd: info: Candidate pid %d answered: freed 0 bytes, "
				   "checkpointed",
				   (int)worker);
	g_assert_nonnull(wait_killer_line(f, answered, &from, WAIT_MS));

	/* ...and the kill, on that answer, not at the deadline */
	line = wait_killer_line(f, VM_KILL_LINE_PREFIX, &from, WAIT_MS);
	g_assert_nonnull(line);
	g_test_message("kill line: %s", line);
	g_assert_true(vm_kill_line_parse(line, &k));
	g_assert_cmpint(k.pid, ==, worker);
	g_assert_cmpstr(k.comm, ==, "oomn-checkpoint");
	/* SIGTERM; SIGKILL too if its exit (unmapping hundreds of MiB under TCG) outlasted the
	 * grace */
	status = wait_child(f, worker);
	if (!WIFSIGNALED(status) || (WTERMSIG(status) != SIGTERM && WTERMSIG(status) != SIGKILL))
		g_error("the worker was not killed: wait status 0x%x", status);
	v = wait_signal(f, "Killed", worker, WAIT_MS);
	g_assert_nonnull(v);
	g_variant_get(v, "(u&su&s&st&s)", &p, &name, &uid, &cg, &rule, &freed, &reason);
	g_test_message("Killed: pid %u %s freed %" G_GUINT64_FORMAT " reason: %s", p, name, freed,
		       reason);
	g_assert_nonnull(strstr(reason, "answered"));

	/* the checkpoint is on disk, with the count it reported */
	g_assert_cmpint(checkpoint_load(state, &saved), ==, 1);
	g_assert_cmpuint(saved, ==, g_ascii_strtoull(count, NULL, 10));
	/* it had worked a while (it grows as it works) */
	g_assert_cmpuint(saved, >, 0);

	/* started again, small this time: it resumes from there */
	argv[6] = "8";
	worker = start_child(f, argv, &out);
	resumed = expect_line(out, "resumed from ");
	g_assert_cmpuint(g_ascii_strtoull(resumed, NULL, 10), ==, saved);
	ready2 = expect_line(out, "ready ");
	g_assert_cmpint(kill(worker, SIGTERM), ==, 0);
	status = wait_child(f, worker);
	g_assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
}

/* The broker's current level (GetState). */
static char *broker_level(Fixture *f)
{
	g_autoptr(GVariant) r = NULL;
	g_autoptr(GError) error = NULL;
	char *level = NULL;

	r = g_dbus_connection_call_sync(f->conn, BROKER_NAME, BROKER_PATH, BROKER_IFACE, "GetState",
					NULL, NULL, G_DBUS_CALL_FLAGS_NONE, WAIT_MS, NULL, &error);
	g_assert_no_error(error);
	g_variant_get_child(r, 0, "s", &level);
	return level;
}

/*
 * oomn-cache-holder holds a third of RAM; a hog then takes what would leave
 * 6 %. On the way the level reaches medium, the holder drops its cache, the
 * hog gets all it wants, the level falls back to normal, and nobody is
 * killed (had the killer picked someone meanwhile, the pressure falling
 * within its deadline redeems them).
 */
static void test_cache_holder(Fixture *f, gconstpointer data)
{
	guint64 total, avail;
	g_autofree char *cache = NULL, *hog_max = NULL;
	g_autofree char *ready = NULL, *dropped = NULL, *line = NULL;
	char *holder_argv[] = { (char *)g_getenv("OOMN_CACHE_HOLDER"),
				"--bus-address",
				f->address,
				"--mib",
				NULL,
				"--no-refill",
				NULL };
	char *hog_argv[] = { (char *)g_getenv("OOMN_HOG"),
			     "--max",
			     NULL,
			     "--step",
			     "4",
			     "--delay-ms",
			     "50",
			     "--hold",
			     NULL };
	g_autofree char *want_dropped = NULL;
	GPid holder, hog;
	int holder_out, hog_out;
	gint64 end;

	g_assert_nonnull(holder_argv[0]);
	g_assert_nonnull(hog_argv[0]);
	vm_meminfo_mib(&total, &avail);
	cache = g_strdup_printf("%" G_GUINT64_FORMAT, total / 3);
	holder_argv[4] = cache;
	holder = start_child(f, holder_argv, &holder_out);
	ready = vm_read_line(holder_out, WAIT_MS);
	g_assert_nonnull(ready);
	g_test_message("oomn-cache-holder: %s", ready);
	g_assert_true(g_str_has_prefix(ready, "ready "));

	hog_max = g_strdup_printf("%" G_GUINT64_FORMAT, mib_to_leave(TARGET_PCT));
	hog_argv[2] = hog_max;
	hog = start_child(f, hog_argv, &hog_out);

	/* the cache goes at medium (or critical, if the hog outran it) */
	want_dropped = g_strdup_printf("dropped %" G_GUINT64_FORMAT " ", (total / 3) * 1024 * 1024);
	dropped = vm_read_line(holder_out, WAIT_MS);
	g_test_message("oomn-cache-holder: %s", dropped ? dropped : "(nothing)");
	g_assert_nonnull(dropped);
	g_assert_true(g_str_has_prefix(dropped, want_dropped));
	g_assert_true(g_str_has_suffix(dropped, " medium") ||
		      g_str_has_suffix(dropped, " critical"));

	/* the hog gets all it asked for */
	for (;;) {
		g_free(line);
		line = vm_read_line(hog_out, WAIT_MS);
		g_assert_nonnull(line);
		if (g_str_has_prefix(line, "done"))
			break;
	}
	/* memory is plentiful again */
	end = g_get_monotonic_time() + (gint64)WAIT_MS * 1000;
	for (;;) {
		g_autofree char *level = broker_level(f);

		if (strcmp(level, "normal") == 0)
			break;
		g_assert_cmpint(g_get_monotonic_time(), <, end);
		g_usleep(50000);
	}
	/* nobody was killed; both still run */
	g_assert_true(vm_child_alive(holder));
	g_assert_true(vm_child_alive(hog));
	bus_iterate_quiet(f);
	for (guint i = 0; i < f->signals->len; i++)
		g_assert_cmpstr(((Signal *)g_ptr_array_index(f->signals, i))->member, !=, "Killed");
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (!g_getenv("OOMN_VM") || geteuid() != 0 || !g_getenv("OOMN_MODULE")) {
		g_test_skip("needs the VM bed as root with the module (tests/vm/run-vm.sh)");
		return g_test_run();
	}
	if (!g_getenv("OOMN_KILLERD") || !g_getenv("OOMN_BROKER") ||
	    !g_getenv("OOMN_CHECKPOINT_WORKER") || !g_find_program_in_path("dbus-daemon")) {
		g_test_skip(
			"OOMN_KILLERD, OOMN_BROKER, OOMN_CHECKPOINT_WORKER or dbus-daemon missing");
		return g_test_run();
	}
	g_test_add("/examples/vm/checkpoint", Fixture, NULL, fixture_setup, test_checkpoint,
		   fixture_teardown);
	if (g_getenv("OOMN_CACHE_HOLDER") && g_getenv("OOMN_HOG"))
		g_test_add("/examples/vm/cache-holder", Fixture, NULL, fixture_setup,
			   test_cache_holder, fixture_teardown);
	return g_test_run();
}
