/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The real oom-killerd on a private bus with the real oom-notifyd: the bands
 * clients registered are applied from the first decision on. Memory is
 * critical before the killer starts, so its first choice is made right after
 * start-up; a small child registered in a low band must be chosen over a
 * bigger unregistered one by a rule preferring that band.
 *
 * A registration belongs to the process whose connection makes it, so the
 * registered child is this binary run again as a helper (--register): it
 * registers, says so on stdout and waits to die with the test. Both
 * children are real processes, in the fake /proc tree the broker and the
 * killer share, with their real pids and uid.
 *
 * Environment: $OOMN_BROKER, $OOMN_KILLERD, $OOMN_DBUS_DIR.
 */
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include "bus-fixture.h"
#include "fake-proc.h"

#define WAIT_MS 60000 /* generous: the machines are loaded and shared */

/* The helper: registers in @band (no flags) on @address and keeps the connection. */
static int register_main(const char *address, const char *band)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	sd_bus *bus = NULL;
	int r;

	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	r = sd_bus_new(&bus);
	if (r >= 0)
		r = sd_bus_set_address(bus, address);
	if (r >= 0)
		r = sd_bus_set_bus_client(bus, 1);
	if (r >= 0)
		r = sd_bus_start(bus);
	if (r >= 0)
		r = sd_bus_call_method(bus, BROKER_NAME, BROKER_PATH, BROKER_IFACE, "Register", &e,
				       NULL, "uu", (uint32_t)atoi(band), (uint32_t)0);
	if (r < 0) {
		fprintf(stderr, "register: %s\n", e.message ? e.message : strerror(-r));
		return 1;
	}
	printf("registered\n");
	fflush(stdout);
	for (;;)
		pause(); /* the registration lasts as long as this process */
}

static GPid spawn_registered(const char *address, unsigned band)
{
	g_autofree char *self = g_file_read_link("/proc/self/exe", NULL);
	g_autofree char *band_s = g_strdup_printf("%u", band);
	char *argv[] = { self, "--register", (char *)address, band_s, NULL };
	g_autoptr(GError) error = NULL;
	g_autofree char *line = NULL;
	GPid pid;
	int out;

	g_assert_nonnull(self);
	g_assert_true(g_spawn_async_with_pipes(NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
					       test_child_die_with_parent,
					       GINT_TO_POINTER(SIGKILL), &pid, NULL, &out, NULL,
					       &error));
	g_assert_no_error(error);
	line = bus_fixture_read_line(out, WAIT_MS);
	close(out);
	g_assert_cmpstr(line, ==, "registered");
	return pid;
}

static GPid spawn_sleeper(void)
{
	char *argv[] = { "/bin/sleep", "1000", NULL };
	g_autoptr(GError) error = NULL;
	GPid pid;

	g_assert_true(g_spawn_async(NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
				    test_child_die_with_parent, GINT_TO_POINTER(SIGKILL), &pid,
				    &error));
	g_assert_no_error(error);
	return pid;
}

static void reap(GPid pid)
{
	int status;

	(void)kill(pid, SIGKILL);
	(void)waitpid(pid, &status, 0);
}

/* A rule preferring the low bands the registered child claims. */
static void write_band_rule(const char *rules)
{
	test_write_file(rules, "rules:\n"
			       "  - name: background-apps\n"
			       "    match: { band: 0-20 }\n"
			       "    action: prefer\n"
			       "    weight: 1000\n");
}

/* oom-killerd on the fixture's bus and fake /proc, deciding without acting. */
static GPid spawn_killer(BusFixture *f, const char *rules, TestLogStream *ls)
{
	char *argv[] = { (char *)g_getenv("OOMN_KILLERD"),
			 "--bus-address",
			 f->address,
			 "--proc-root",
			 f->proc,
			 "--rules",
			 (char *)rules,
			 "--rules-dir",
			 "/nonexistent/rules.d",
			 "--source",
			 "meminfo",
			 "--no-mlock",
			 "--dry-run",
			 "--deadline",
			 "100ms",
			 NULL };

	g_assert_nonnull(argv[0]);
	return test_spawn_logged(argv, ls, "oom-killerd");
}

static void test_first_choice_has_bands(BusFixture *f, gconstpointer data)
{
	g_autofree char *rules = g_build_filename(f->tmpdir, "rules.yaml", NULL);
	g_autofree char *expected = NULL;
	guint32 band = 0, flags = 0;
	TestLogStream ls = {};
	const char *line;
	guint from = 0;
	GPid small, big, killer;

	small = spawn_registered(f->address, 10);
	big = spawn_sleeper();
	g_assert_true(bus_fixture_client_listed(f, (guint32)small, &band, &flags));
	g_assert_cmpuint(band, ==, 10);

	fake_proc_add(f->proc, &(FakeProc){ .pid = 1, .comm = "init", .ppid = -1, .rss_kb = 9000 });
	fake_proc_add(f->proc, &(FakeProc){ .pid = small, .comm = "background", .uid = getuid(),
					    .rss_kb = 100000 });
	fake_proc_add(f->proc, &(FakeProc){ .pid = big, .comm = "bigger", .uid = getuid(),
					    .rss_kb = 400000 });
	write_band_rule(rules);
	/* Critical before the killer starts: its first look decides. */
	test_write_meminfo(f->proc, MEMINFO_CRITICAL);

	killer = spawn_killer(f, rules, &ls);
	line = test_log_stream_wait(&ls, "oom-killerd dry-run:", &from, WAIT_MS, killer);
	g_assert_nonnull(line);
	expected = g_strdup_printf("oom-killerd dry-run: pid=%d comm=background "
				   "rule=background-apps",
				   (int)small);
	g_assert_cmpstr(line, ==, expected);

	bus_stop_cleanly(killer);
	test_log_stream_done(&ls);
	reap(small);
	reap(big);
}

/*
 * A registered process the killer's list did not hold when ListClients
 * answered (here: its /proc entry appears after the killer started) gets its
 * band from the killer's stored copy at the refresh that finds it, before the
 * choice, not from a reply that comes after the choice.
 */
static void test_late_candidate_has_band(BusFixture *f, gconstpointer data)
{
	g_autofree char *rules = g_build_filename(f->tmpdir, "rules.yaml", NULL);
	g_autofree char *expected = NULL;
	TestLogStream ls = {};
	const char *line;
	guint from = 0;
	GPid small, big, killer;

	small = spawn_registered(f->address, 10);
	big = spawn_sleeper();
	g_assert_true(bus_fixture_client_listed(f, (guint32)small, NULL, NULL));
	fake_proc_add(f->proc, &(FakeProc){ .pid = 1, .comm = "init", .ppid = -1, .rss_kb = 9000 });
	fake_proc_add(f->proc, &(FakeProc){ .pid = big, .comm = "bigger", .uid = getuid(),
					    .rss_kb = 400000 });
	write_band_rule(rules);

	killer = spawn_killer(f, rules, &ls);
	g_assert_nonnull(test_log_stream_wait(&ls, "oom-killerd ready", &from, WAIT_MS, killer));
	fake_proc_add(f->proc, &(FakeProc){ .pid = small, .comm = "background", .uid = getuid(),
					    .rss_kb = 100000 });
	/*
	 * Not an assertion: the killer re-reads a list older than 2 s before it
	 * chooses (KILLER_STALE_USEC), and that refresh is where the stored band
	 * must be applied. Waiting longer on a slow machine changes nothing.
	 */
	g_usleep(2500 * 1000);
	test_write_meminfo(f->proc, MEMINFO_CRITICAL);
	line = test_log_stream_wait(&ls, "oom-killerd dry-run:", &from, WAIT_MS, killer);
	g_assert_nonnull(line);
	expected = g_strdup_printf("oom-killerd dry-run: pid=%d comm=background "
				   "rule=background-apps",
				   (int)small);
	g_assert_cmpstr(line, ==, expected);

	bus_stop_cleanly(killer);
	test_log_stream_done(&ls);
	reap(small);
	reap(big);
}

int main(int argc, char *argv[])
{
	if (argc == 4 && strcmp(argv[1], "--register") == 0)
		return register_main(argv[2], argv[3]);

	g_test_init(&argc, &argv, NULL);
	g_test_add("/killer/bands/first-choice", BusFixture, NULL, bus_fixture_setup,
		   test_first_choice_has_bands, bus_fixture_teardown);
	g_test_add("/killer/bands/late-candidate", BusFixture, NULL, bus_fixture_setup,
		   test_late_candidate_has_band, bus_fixture_teardown);
	return g_test_run();
}
