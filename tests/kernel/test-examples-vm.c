/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The example applications of liboom-notify against a real kernel, inside
 * the VM test bed (run-vm.sh, root, the module loaded, no swap): a private
 * dbus-daemon with the project's policy, the real oom-notifyd (kernel
 * source) and the real oom-killerd. oomn-checkpoint-worker
 * ($OOMN_CHECKPOINT_WORKER) grows until memory is critical, is the
 * candidate, gets the killer's notice, saves its state and answers; the
 * killer kills it on that answer; started again, it resumes from its
 * checkpoint. oomn-cache-holder ($OOMN_CACHE_HOLDER) drops its cache when a
 * hog ($OOMN_HOG) raises the level, and nobody is killed.
 *
 * The killer waits no longer than memory lasts at the rate it falls, so the
 * scenarios where redemption must happen grow at a rate that leaves it room
 * (a few MiB/s: seconds between critical and the floor); a worker that
 * cannot checkpoint and goes on growing is killed for the time left, long
 * before its deadline.
 *
 * $OOMN_KILLERD, $OOMN_BROKER, $OOMN_DBUS_DIR name the daemons and the policy.
 */
#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bus-fixture.h"
#include "checkpoint.h"
#include "vm-helpers.h"

/*
 * Long: the kill must come from the worker's answer, not the deadline (the
 * Killed reason says which).
 */
#define DEADLINE_S 60
#define GRACE_S	   1
/* MemAvailable the worker leaves, in % of MemTotal: critical (< 10 %), above the floor (3 %) */
#define TARGET_PCT 6
/* What a protected ballast leaves, so that a slow worker gets to critical soon: still normal */
#define BALLAST_PCT 25
/* how long anything may take under TCG before a case gives up */
#define WAIT_MS 90000

typedef struct {
	char *tmpdir, *address, *log;
	GPid bus_pid, broker_pid, killer_pid;
	GDBusConnection *conn;
	BusRecorder rec; /* the broker's signals, in arrival order */
	/* the killer's stderr: its kill lines are part of its contract */
	TestLogStream killer_log;
	VmChildren children; /* reaped in teardown */
	int kmsg;
} Fixture;

/* The first @member signal about @pid (its first argument), waiting up to @ms; NULL if none. */
static GVariant *wait_signal(Fixture *f, const char *member, GPid pid, guint ms)
{
	int i = bus_recorder_find(&f->rec, member, pid, ms);

	return i < 0 ? NULL : bus_recorder_params(&f->rec, i);
}

/* Takes in what the bus has delivered so far. */
static void bus_iterate_quiet(Fixture *f)
{
	while (g_main_context_iteration(NULL, FALSE))
		;
}

/* The first killer line from index *from on that starts with @prefix; waits up to @ms. */
static const char *wait_killer_line(Fixture *f, const char *prefix, guint *from, guint ms)
{
	return test_log_stream_wait(&f->killer_log, prefix, from, ms, f->killer_pid);
}

/* The system bus's default policy, then the project's own file. */
static void start_bus(Fixture *f)
{
	static const char *const files[] = { "org.oomnotify.Broker1.conf", NULL };
	g_autofree char *policy = bus_policy_inline(false, files);

	bus_write_config(f->tmpdir, policy);
	f->address = bus_daemon_start(f->tmpdir, f->log, WAIT_MS, &f->bus_pid);
	f->conn = bus_connect(f->address);
	bus_recorder_init(&f->rec, f->conn, BROKER_IFACE, BROKER_PATH);
}

static void start_broker(Fixture *f)
{
	const char *args[] = { BUS_BROKER_KERNEL_ARGS(f->address), NULL };

	f->broker_pid = bus_broker_spawn(args, G_SPAWN_STDOUT_TO_DEV_NULL, f->log);
	bus_wait_name(f->conn, BROKER_NAME, TRUE, WAIT_MS, f->broker_pid);
	/* f->rec hears of kills only as a kill watcher */
	bus_watch_kills(f->conn);
}

static void start_killer(Fixture *f)
{
	g_autofree char *text = NULL;
	guint from = 0;

	/* the ballast is never chosen: the worker is the candidate */
	text = g_strdup_printf(
		"rules:\n"
		"  - { name: ballast, match: { comm: oomn-ballast }, action: protect }\n"
		"defaults: { deadline: %ds, grace: %ds, floor: 3%% }\n",
		DEADLINE_S, GRACE_S);
	f->killer_pid = bus_killer_spawn(f->tmpdir, f->address, text, &f->killer_log);
	g_assert_nonnull(wait_killer_line(f, "oom-killerd ready", &from, WAIT_MS));
}

static void fixture_setup(Fixture *f, gconstpointer data)
{
	f->kmsg = vm_kmsg_open();
	f->tmpdir = test_make_tmpdir("oomn-examples-XXXXXX");
	f->log = g_build_filename(f->tmpdir, "daemons.log", NULL);
	vm_children_init(&f->children, f->log, WAIT_MS);

	vm_assert_available_pct(40);

	start_bus(f);
	start_broker(f);
	start_killer(f);
}

static void fixture_teardown(Fixture *f, gconstpointer data)
{
	int status;

	vm_children_reap(&f->children);
	if (f->killer_pid) {
		vm_stop_daemon(f->killer_pid, "oom-killerd", WAIT_MS);
		test_log_stream_done(&f->killer_log);
	}
	if (f->conn) {
		bus_recorder_clear(&f->rec);
		g_dbus_connection_close_sync(f->conn, NULL, NULL);
		g_clear_object(&f->conn);
	}
	if (f->broker_pid)
		vm_stop_daemon(f->broker_pid, "oom-notifyd", WAIT_MS);
	if (f->bus_pid) {
		(void)kill(f->bus_pid, SIGTERM);
		g_assert_true(vm_wait_child(f->bus_pid, WAIT_MS, &status));
	}
	test_log_replay("dbus-daemon and broker", f->log);

	/* the user-space killer acted: the kernel's own OOM killer must not have run */
	vm_kmsg_assert_no_oom(f->kmsg);
	{
		g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", f->tmpdir);

		(void)vm_run(cmd);
	}
	g_free(f->tmpdir);
	g_free(f->address);
	g_free(f->log);
	vm_children_clear(&f->children);
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
 * A protected hog ($OOMN_HOG, comm oomn-ballast) that takes, fast, what
 * leaves BALLAST_PCT and holds it: the worker then starts close to the
 * levels and gets to critical at its own rate. It stops at MemAvailable
 * itself (--leave), not at a size read before: on 6.12 up to an eighth of
 * RAM freed by the last case's kill can still sit on the per-CPU free lists,
 * which MemAvailable does not count and allocations take first.
 */
static void start_ballast(Fixture *f)
{
	guint64 total, avail;
	g_autofree char *max = NULL, *leave = NULL;
	char *argv[] = { (char *)g_getenv("OOMN_HOG"),
			 "--max",
			 NULL,
			 "--leave",
			 NULL,
			 "--step",
			 "4",
			 "--hold",
			 "--comm",
			 "oomn-ballast",
			 NULL };
	g_autofree char *ready = NULL, *done = NULL;
	int out;

	g_assert_nonnull(argv[0]);
	vm_meminfo_mib(&total, &avail);
	max = g_strdup_printf("%" G_GUINT64_FORMAT, total);
	leave = g_strdup_printf("%" G_GUINT64_FORMAT, total * BALLAST_PCT / 100);
	argv[2] = max;
	argv[4] = leave;
	(void)vm_children_spawn(&f->children, argv, NULL, NULL, &out);
	ready = vm_read_line(out, WAIT_MS);
	g_assert_nonnull(ready);
	g_assert_true(g_str_has_prefix(ready, "ready "));
	done = vm_read_line(out, WAIT_MS);
	g_assert_nonnull(done);
	g_assert_true(g_str_has_prefix(done, "done "));
}

/*
 * Starts oomn-checkpoint-worker with --state @state, --mib @mib, taking
 * @step_mib more every @interval_ms; its stdout in *out.
 */
static GPid start_worker(Fixture *f, const char *state, guint64 mib, const char *interval_ms,
			 const char *step_mib, int *out)
{
	g_autofree char *m = g_strdup_printf("%" G_GUINT64_FORMAT, mib);
	char *argv[] = { (char *)g_getenv("OOMN_CHECKPOINT_WORKER"),
			 "--bus-address",
			 f->address,
			 "--state",
			 (char *)state,
			 "--mib",
			 m,
			 "--interval-ms",
			 (char *)interval_ms,
			 "--step-mib",
			 (char *)step_mib,
			 NULL };

	g_assert_nonnull(argv[0]);
	return vm_children_spawn(&f->children, argv, NULL, NULL, out);
}

/*
 * The worker grows to critical slowly (5 MiB/s: memory would last seconds
 * more), is chosen, checkpoints, answers, is killed on its answer;
 * restarted, it resumes from what it saved. It is not told where to stop:
 * it grows until it is killed, as a real one would, so that critical comes
 * however many free pages the kernel held uncounted when it started.
 */
static void test_checkpoint(Fixture *f, gconstpointer data)
{
	g_autofree char *state = g_build_filename(f->tmpdir, "worker.state", NULL);
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

	start_ballast(f);
	/* all there is, less 1 %: beyond the floor, which the killer never lets it reach */
	worker = start_worker(f, state, vm_mib_to_leave(1), "200", "1", &out);
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
	status = vm_children_wait(&f->children, worker);
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
	worker = start_worker(f, state, 8, "200", "1", &out);
	resumed = expect_line(out, "resumed from ");
	g_assert_cmpuint(g_ascii_strtoull(resumed, NULL, 10), ==, saved);
	ready2 = expect_line(out, "ready ");
	g_assert_cmpint(kill(worker, SIGTERM), ==, 0);
	status = vm_children_wait(&f->children, worker);
	g_assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
}

/*
 * A worker that cannot checkpoint (its state file's directory does not
 * exist) and goes on growing: registered, it is noticed with the whole
 * 60 s deadline, but it never answers, and the killer does not wait that
 * out: it kills it before memory would reach the floor at the rate it is
 * falling, with that as the cause. Whatever the machine's speed, the time
 * left reaches nothing before the headroom reaches the floor (the margin is
 * the kill time, the readings come every 100 ms), so the cause is always
 * the time left, never the floor or the deadline.
 */
static void test_checkpoint_fails(Fixture *f, gconstpointer data)
{
	g_autofree char *state = g_build_filename(f->tmpdir, "missing", "worker.state", NULL);
	g_autofree char *ready = NULL, *pending = NULL, *error = NULL, *notice = NULL;
	g_auto(VmKillLine) k = { 0 };
	const char *line, *reason;
	guint from = 0;
	GVariant *v;
	GPid worker;
	int out, status;

	start_ballast(f);
	/* all there is, less 1 %: past the floor, which the killer never lets it reach */
	worker = start_worker(f, state, vm_mib_to_leave(1), "100", "4", &out);
	g_free(expect_line(out, "starting fresh"));
	ready = expect_line(out, "ready ");
	g_assert_cmpint(atoi(ready), ==, worker);

	/* registered: noticed with the whole deadline; its checkpoint fails, it says nothing */
	pending = expect_line(out, "pending ");
	g_assert_cmpstr(pending, ==, G_STRINGIFY(DEADLINE_S) "000");
	error = expect_line(out, "error checkpoint ");
	notice = g_strdup_printf("oom-killerd: info: Notice to pid %d (oomn-checkpoint): "
				 "deadline " G_STRINGIFY(DEADLINE_S) "000 ms (registered",
				 (int)worker);
	g_assert_nonnull(wait_killer_line(f, notice, &from, WAIT_MS));
	line = wait_killer_line(f, VM_KILL_LINE_PREFIX, &from, WAIT_MS);
	g_assert_nonnull(line);
	g_test_message("kill line: %s", line);
	g_assert_true(vm_kill_line_parse(line, &k));
	g_assert_cmpint(k.pid, ==, worker);
	status = vm_children_wait(&f->children, worker);
	g_assert_true(WIFSIGNALED(status));

	/* killed for the time left, long before its deadline could have passed */
	v = wait_signal(f, "Killed", worker, WAIT_MS);
	g_assert_nonnull(v);
	g_variant_get(v, "(u&su&s&st&s)", NULL, NULL, NULL, NULL, NULL, NULL, &reason);
	g_test_message("Killed: reason: %s", reason);
	g_assert_true(g_str_has_prefix(reason, "MemAvailable would reach the floor before the "
					       "deadline at the rate it falls"));
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
 * 6 %, at 10 MiB/s. On the way the level reaches medium, the holder drops
 * its cache, the hog gets all it wants, the level falls back to normal, and
 * nobody is killed. Had the hog outrun the holder to critical, the killer
 * would have picked it (the largest, not registered) and waited the helper
 * deadline for the holder, cut to the time left; at this rate the time left
 * is seconds, so the drop still redeems it. A hog at full speed would leave
 * no time at all, and its kill would be right.
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
			     "1",
			     "--delay-ms",
			     "100",
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
	holder = vm_children_spawn(&f->children, holder_argv, NULL, NULL, &holder_out);
	ready = vm_read_line(holder_out, WAIT_MS);
	g_assert_nonnull(ready);
	g_test_message("oomn-cache-holder: %s", ready);
	g_assert_true(g_str_has_prefix(ready, "ready "));

	hog_max = g_strdup_printf("%" G_GUINT64_FORMAT, vm_mib_to_leave(TARGET_PCT));
	hog_argv[2] = hog_max;
	hog = vm_children_spawn(&f->children, hog_argv, NULL, NULL, &hog_out);

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
	for (guint i = 0; i < f->rec.signals->len; i++)
		g_assert_cmpstr(((BusSignal *)g_ptr_array_index(f->rec.signals, i))->member, !=,
				"Killed");
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (!g_getenv("OOMN_VM") || geteuid() != 0 || !g_getenv("OOMN_MODULE")) {
		g_test_skip("needs the VM bed as root with the module (tests/vm/run-vm.sh)");
		return g_test_run();
	}
	/* the hog is the ballast and the cache holder's pressure */
	if (!g_getenv("OOMN_KILLERD") || !g_getenv("OOMN_BROKER") ||
	    !g_getenv("OOMN_CHECKPOINT_WORKER") || !g_getenv("OOMN_HOG") ||
	    !g_find_program_in_path("dbus-daemon")) {
		g_test_skip("OOMN_KILLERD, OOMN_BROKER, OOMN_CHECKPOINT_WORKER, OOMN_HOG or "
			    "dbus-daemon missing");
		return g_test_run();
	}
	g_test_add("/examples/vm/checkpoint", Fixture, NULL, fixture_setup, test_checkpoint,
		   fixture_teardown);
	g_test_add("/examples/vm/checkpoint-fails", Fixture, NULL, fixture_setup,
		   test_checkpoint_fails, fixture_teardown);
	if (g_getenv("OOMN_CACHE_HOLDER"))
		g_test_add("/examples/vm/cache-holder", Fixture, NULL, fixture_setup,
			   test_cache_holder, fixture_teardown);
	return g_test_run();
}
