/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The example applications ($OOMN_CACHE_HOLDER, $OOMN_CHECKPOINT_WORKER) on
 * a private bus with the real broker (bus-fixture.c): the test plays the
 * pressure (a fake meminfo) and the killer (NotifyCandidate as root), and
 * follows the examples' stdout and what the killer would see.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bus-fixture.h"
#include "checkpoint.h"

#define MIB (1024 * 1024)

typedef struct {
	GPid pid;
	int out;
} Child;

static void child_setup(gpointer data)
{
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
}

static void child_start(Child *c, char **argv)
{
	g_autoptr(GError) error = NULL;

	g_spawn_async_with_pipes(NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, child_setup, NULL,
				 &c->pid, NULL, &c->out, NULL, &error);
	g_assert_no_error(error);
}

/* Asserts the child's next line is @want. */
static void child_expect(Child *c, const char *want)
{
	g_autofree char *line = bus_fixture_read_line(c->out, TIMEOUT_MS);

	g_assert_cmpstr(line, ==, want);
}

/* The child's next line, which must start with @prefix; returns the rest. */
static char *child_expect_prefix(Child *c, const char *prefix)
{
	g_autofree char *line = bus_fixture_read_line(c->out, TIMEOUT_MS);

	g_assert_nonnull(line);
	if (!g_str_has_prefix(line, prefix))
		g_error("expected \"%s...\", got \"%s\"", prefix, line);
	return g_strdup(line + strlen(prefix));
}

static int child_stop(Child *c, int sig)
{
	int status;

	if (sig)
		g_assert_cmpint(kill(c->pid, sig), ==, 0);
	g_assert_cmpint(waitpid(c->pid, &status, 0), ==, c->pid);
	close(c->out);
	return status;
}

static int run_status(char **argv)
{
	int status = -1;

	g_assert_true(g_spawn_sync(NULL, argv, NULL,
				   G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL, NULL,
				   NULL, NULL, NULL, &status, NULL));
	return status;
}

static void notify(BusFixture *f, GPid pid, guint32 msec)
{
	g_autoptr(GVariant) r = bus_fixture_call(
		f, "NotifyCandidate", g_variant_new("(uus)", (guint32)pid, msec, "test notice"));
	guint32 n;

	g_variant_get(r, "(u)", &n);
	g_assert_cmpuint(n, ==, 1);
}

static void assert_answered(BusFixture *f, GPid pid, guint64 want_freed, gboolean want_ckpt)
{
	g_autoptr(GVariant) v = bus_fixture_take_signal(f, "CandidateAnswered", TIMEOUT_MS);
	guint64 freed;
	gboolean ckpt;
	guint32 p;

	g_assert_nonnull(v);
	g_variant_get(v, "(utb)", &p, &freed, &ckpt);
	g_assert_cmpuint(p, ==, (guint32)pid);
	g_assert_cmpuint(freed, ==, want_freed);
	g_assert_cmpint(!!ckpt, ==, !!want_ckpt);
}

static void test_cache_holder(BusFixture *f, gconstpointer data)
{
	char *argv[] = { (char *)g_getenv("OOMN_CACHE_HOLDER"),
			 "--bus-address",
			 f->address,
			 "--mib",
			 "8",
			 NULL };
	g_autofree char *pid_s = NULL;
	guint32 band = 0, flags = 0;
	Child c;
	int status;

	child_start(&c, argv);
	pid_s = child_expect_prefix(&c, "ready ");
	g_assert_cmpint(atoi(pid_s), ==, c.pid);
	g_assert_true(bus_fixture_client_listed(f, (guint32)c.pid, &band, &flags));
	g_assert_cmpuint(band, ==, 20);
	g_assert_cmpuint(flags, ==, 1);

	/* low: kept; medium: dropped; normal: filled again */
	bus_fixture_write_meminfo(f, MEMINFO_LOW);
	g_assert_null(bus_fixture_read_line(c.out, 500));
	bus_fixture_write_meminfo(f, MEMINFO_MEDIUM);
	child_expect(&c, "dropped 8388608 medium");
	bus_fixture_write_meminfo(f, MEMINFO_CRITICAL);
	bus_fixture_write_meminfo(f, MEMINFO_NORMAL);
	child_expect(&c, "refilled 8388608");

	/* the candidate: drops it and says how much */
	notify(f, c.pid, 5000);
	child_expect(&c, "pending 5000");
	child_expect(&c, "dropped 8388608 notice");
	child_expect(&c, "relieved 8388608");
	assert_answered(f, c.pid, 8 * MIB, FALSE);

	/* the broker restarts: it registers again by itself */
	bus_fixture_stop_broker(f);
	child_expect(&c, "broker gone");
	bus_fixture_start_broker(f);
	child_expect(&c, "broker present");
	for (gint64 end = g_get_monotonic_time() + TIMEOUT_MS * 1000;
	     !bus_fixture_client_listed(f, (guint32)c.pid, NULL, NULL);)
		g_assert_cmpint(g_get_monotonic_time(), <, end);

	/* SIGTERM ends it cleanly */
	status = child_stop(&c, SIGTERM);
	g_assert_true(WIFEXITED(status));
	g_assert_cmpint(WEXITSTATUS(status), ==, 0);
}

static void test_checkpoint_worker(BusFixture *f, gconstpointer data)
{
	g_autofree char *state = g_build_filename(f->tmpdir, "state", NULL);
	char *argv[] = { (char *)g_getenv("OOMN_CHECKPOINT_WORKER"),
			 "--bus-address",
			 f->address,
			 "--state",
			 state,
			 "--mib",
			 "4",
			 "--interval-ms",
			 "10",
			 NULL };
	g_autofree char *pid_s = NULL, *count_s = NULL, *resumed = NULL;
	guint32 band = 0, flags = 0;
	guint64 saved = 0;
	Child c;

	child_start(&c, argv);
	child_expect(&c, "starting fresh");
	pid_s = child_expect_prefix(&c, "ready ");
	g_assert_cmpint(atoi(pid_s), ==, c.pid);
	g_assert_true(bus_fixture_client_listed(f, (guint32)c.pid, &band, &flags));
	g_assert_cmpuint(band, ==, 50);
	g_assert_cmpuint(flags, ==, 2);
	/* it has worked: it takes its memory a tick at a time */
	child_expect(&c, "grown 4 MiB");

	notify(f, c.pid, 5000);
	child_expect(&c, "pending 5000");
	count_s = child_expect_prefix(&c, "checkpointed ");
	child_expect(&c, "relieved");
	assert_answered(f, c.pid, 0, TRUE);
	/* the file holds what it said */
	g_assert_cmpint(checkpoint_load(state, &saved), ==, 1);
	g_assert_cmpuint(saved, ==, g_ascii_strtoull(count_s, NULL, 10));
	g_assert_cmpuint(saved, >, 0);

	/* killed as the killer would, started again: it resumes */
	(void)child_stop(&c, SIGKILL);
	child_start(&c, argv);
	resumed = child_expect_prefix(&c, "resumed from ");
	g_assert_cmpuint(g_ascii_strtoull(resumed, NULL, 10), ==, saved);
	g_free(pid_s);
	pid_s = child_expect_prefix(&c, "ready ");
	(void)child_stop(&c, SIGKILL);

	/* a corrupt checkpoint is refused, not taken for zero */
	g_assert_true(g_file_set_contents(state, "garbage\n", -1, NULL));
	{
		int status = run_status(argv);

		g_assert_true(WIFEXITED(status));
		g_assert_cmpint(WEXITSTATUS(status), ==, 1);
	}
}

/* --help, --version, bad usage; no bus needed. */
static void test_usage(void)
{
	const char *progs[] = { g_getenv("OOMN_CACHE_HOLDER"), g_getenv("OOMN_CHECKPOINT_WORKER") };

	for (unsigned i = 0; i < G_N_ELEMENTS(progs); i++) {
		char *help[] = { (char *)progs[i], "--help", NULL };
		char *version[] = { (char *)progs[i], "--version", NULL };
		char *bad[] = { (char *)progs[i], "--band", "101", "--state", "/x", NULL };
		char *extra[] = { (char *)progs[i], "--state", "/x", "extra", NULL };
		int status;

		g_assert_nonnull(progs[i]);
		status = run_status(help);
		g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		status = run_status(version);
		g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		status = run_status(bad);
		g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 2);
		status = run_status(extra);
		g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 2);
	}
}

/* No bus at the address: a clear failure, exit 1. */
static void test_no_bus(void)
{
	char *holder[] = { (char *)g_getenv("OOMN_CACHE_HOLDER"), "--bus-address",
			   "unix:path=/nonexistent/bus", NULL };
	char *worker[] = { (char *)g_getenv("OOMN_CHECKPOINT_WORKER"),
			   "--bus-address",
			   "unix:path=/nonexistent/bus",
			   "--state",
			   "/nonexistent/state",
			   NULL };
	int status;

	status = run_status(holder);
	g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 1);
	status = run_status(worker);
	g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 1);
}

static const BusOptions opt_default = { 0 };

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (!g_getenv("OOMN_CACHE_HOLDER") || !g_getenv("OOMN_CHECKPOINT_WORKER")) {
		g_test_skip("$OOMN_CACHE_HOLDER or $OOMN_CHECKPOINT_WORKER missing");
		return g_test_run();
	}
	g_test_add_func("/examples/usage", test_usage);
	g_test_add_func("/examples/no-bus", test_no_bus);
	g_autofree char *dbus_daemon = g_find_program_in_path("dbus-daemon");

	if (!dbus_daemon || !g_getenv("OOMN_BROKER")) {
		g_test_message("dbus-daemon or $OOMN_BROKER missing: the bus cases are skipped");
		return g_test_run();
	}
	g_test_add("/examples/cache-holder", BusFixture, &opt_default, bus_fixture_setup,
		   test_cache_holder, bus_fixture_teardown);
	g_test_add("/examples/checkpoint-worker", BusFixture, &opt_default, bus_fixture_setup,
		   test_checkpoint_worker, bus_fixture_teardown);
	return g_test_run();
}
