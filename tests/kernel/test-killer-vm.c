/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * oom-killerd against a real kernel, inside the VM test bed (run-vm.sh, root,
 * the module loaded, no swap). Each case starts its own dbus-daemon with the
 * project's policy, the real oom-notifyd (kernel source) and the real
 * oom-killerd with a rules file of its own (short deadline and grace), makes
 * real pressure with oomn-hog ($OOMN_HOG) or oomn-redeemer
 * ($OOMN_REDEEMER), and follows the outcome three ways: the broker's signals
 * (KillAnnounced, Killed, Redeemed), the killer's machine-readable kill lines
 * on its stderr, and the wait status of the processes it started. After each
 * case the kernel's own OOM killer must not have run.
 *
 * Who is waited for follows the broker's registry: a hog nobody can redeem
 * gets no deadline, and its grace only as long as the time left before the
 * floor allows; the registered cases make their pressure a slow leak, which
 * leaves the whole deadline.
 *
 * $OOMN_KILLERD, $OOMN_BROKER, $OOMN_BUS_POLICY name the daemons and the bus policy.
 */
#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bus-fixture.h"
#include "vm-helpers.h"

#define NS	     1000000000ULL
/* the rules' defaults: short, so that the suite stays fast */
#define DEADLINE_S 3
#define GRACE_S	   1
/* MemAvailable the pressure leaves, in % of MemTotal: critical (< 10 %), above the floor (3 %) */
#define TARGET_PCT 6
/* where a slow leak starts: medium (< 15 %), not yet critical */
#define LEAK_FROM_PCT 14
/* how long anything may take under TCG before a case gives up */
#define WAIT_MS 90000

typedef struct {
	const char *rules; /* the rules: list, YAML; NULL for none */
	int deadline_s;	   /* the defaults' deadline; 0: DEADLINE_S */
} Options;

typedef struct {
	char *tmpdir, *address, *log;
	GPid bus_pid, broker_pid, killer_pid;
	gboolean broker_stopped;
	GDBusConnection *conn;
	BusRecorder rec; /* the broker's signals, in arrival order */
	TestLogStream killer_log, broker_log;
	VmChildren children;	 /* everything else started, reaped in teardown */
	char *cgroup;		 /* removed in teardown */
	int kmsg;
} Fixture;

/* Signals */

static guint count_signals(Fixture *f, const char *member)
{
	guint n = 0;

	for (guint i = 0; i < f->rec.signals->len; i++) {
		BusSignal *s = g_ptr_array_index(f->rec.signals, i);

		n += strcmp(s->member, member) == 0;
	}
	return n;
}

/* The killer's stderr */

/* The first killer line from index *from on that starts with @prefix; waits up to @ms. */
static const char *wait_killer_line(Fixture *f, const char *prefix, guint *from, guint ms)
{
	return test_log_stream_wait(&f->killer_log, prefix, from, ms, f->killer_pid);
}

/* Parses a kill line; every field of the contract must be there. */
static void kill_line_parse(const char *line, VmKillLine *k)
{
	g_test_message("kill line: %s", line);
	g_assert_true(vm_kill_line_parse(line, k));
	/* the steps that happened, in order */
	g_assert_cmpuint(k->event_ns, >, 0);
	g_assert_cmpuint(k->notify_ns, >=, k->event_ns);
	if (k->sigterm_ns)
		g_assert_cmpuint(k->sigterm_ns, >=, k->notify_ns);
	if (k->sigkill_ns)
		g_assert_cmpuint(k->sigkill_ns, >=, MAX(k->sigterm_ns, k->notify_ns));
	if (k->exit_ns)
		g_assert_cmpuint(k->exit_ns, >=, k->event_ns);
}

/* Waits for the kill line about @pid (the first kill line from *from on must be it). */
static void wait_kill_line(Fixture *f, GPid pid, guint *from, VmKillLine *k)
{
	const char *l = wait_killer_line(f, VM_KILL_LINE_PREFIX, from, WAIT_MS);

	if (!l) {
		guint64 total, avail;

		vm_meminfo_mib(&total, &avail);
		g_error("no kill line; MemAvailable %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
			" MiB",
			avail, total);
	}
	(*from)++;
	kill_line_parse(l, k);
	g_assert_cmpint(k->pid, ==, pid);
}

/* Fixture */

/* The system bus's default policy and the project's files (tests/broker/system-policy.conf). */
static void start_bus(Fixture *f)
{
	g_autofree char *policy = bus_policy_system();

	bus_write_config(f->tmpdir, policy);
	f->address = bus_daemon_start(f->tmpdir, f->log, WAIT_MS, &f->bus_pid);
	f->conn = bus_connect(f->address);
	bus_recorder_init(&f->rec, f->conn, BROKER_IFACE, BROKER_PATH);
}

static void start_broker(Fixture *f)
{
	const char *args[] = { BUS_BROKER_KERNEL_ARGS(f->address), NULL };

	f->broker_pid = bus_broker_spawn_logged(args, &f->broker_log);
	bus_wait_name(f->conn, BROKER_NAME, TRUE, WAIT_MS, f->broker_pid);
	/* f->rec hears of kills only as a kill watcher */
	bus_watch_kills(f->conn);
}

static void start_killer(Fixture *f, const Options *o)
{
	g_autofree char *text = NULL;
	guint from = 0;

	text = g_strdup_printf("rules:\n%s"
			       "defaults: { deadline: %ds, grace: %ds, floor: 3%% }\n",
			       o && o->rules ? o->rules : "",
			       o && o->deadline_s ? o->deadline_s : DEADLINE_S, GRACE_S);
	f->killer_pid = bus_killer_spawn(f->tmpdir, f->address, text, &f->killer_log);
	g_assert_nonnull(wait_killer_line(f, "oom-killerd ready", &from, WAIT_MS));
}

static void fixture_setup(Fixture *f, gconstpointer data)
{
	f->kmsg = vm_kmsg_open();
	f->tmpdir = test_make_tmpdir("oomn-killer-XXXXXX");
	f->log = g_build_filename(f->tmpdir, "daemons.log", NULL);
	vm_children_init(&f->children, f->log, WAIT_MS);

	/* start from plenty: the previous case's memory is back */
	vm_assert_available_pct(40);

	start_bus(f);
	start_broker(f);
	start_killer(f, data);
}

static void fixture_teardown(Fixture *f, gconstpointer data)
{

	vm_children_reap(&f->children);
	if (f->cgroup) {
		/* a killed group's tasks may take a moment to leave it */
		for (guint i = 0; rmdir(f->cgroup) < 0 && i < 1000; i++) {
			g_assert_cmpint(errno, ==, EBUSY);
			g_usleep(10000);
		}
		g_assert_false(g_file_test(f->cgroup, G_FILE_TEST_EXISTS));
	}
	if (f->broker_stopped)
		(void)kill(f->broker_pid, SIGCONT);
	if (f->killer_pid) {
		vm_stop_daemon(f->killer_pid, "oom-killerd", WAIT_MS);
		test_log_stream_done(&f->killer_log);
	}
	if (f->conn) {
		bus_recorder_clear(&f->rec);
		g_dbus_connection_close_sync(f->conn, NULL, NULL);
		g_clear_object(&f->conn);
	}
	if (f->broker_pid) {
		vm_stop_daemon(f->broker_pid, "oom-notifyd", WAIT_MS);
		test_log_stream_done(&f->broker_log);
	}
	if (f->bus_pid) {
		int status;

		(void)kill(f->bus_pid, SIGTERM);
		g_assert_true(vm_wait_child(f->bus_pid, WAIT_MS, &status));
	}
	test_log_replay("dbus-daemon and helpers'", f->log);

	/* in none of the cases may the kernel's own OOM killer have run */
	vm_kmsg_assert_no_oom(f->kmsg);

	{
		g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", f->tmpdir);

		(void)vm_run(cmd);
	}
	g_free(f->tmpdir);
	g_free(f->address);
	g_free(f->log);
	g_free(f->cgroup);
	vm_children_clear(&f->children);
}

/* Helpers for the cases */

/* start_hog()'s size for a hog that grows until MemAvailable is down to TARGET_PCT */
#define TO_TARGET 0

/*
 * Starts `oomn-hog --max MIB --step 4 --hold [EXTRA]` (fast: no delay) and,
 * if @wait_done, waits until it holds all of it. With @mib TO_TARGET it
 * grows until MemAvailable is down to TARGET_PCT instead (--leave): a size
 * from MemAvailable read now can miss critical, because after the previous
 * case's kill 6.12 keeps up to an eighth of RAM on its per-CPU free lists,
 * which MemAvailable does not count and allocations take first.
 */
static GPid start_hog(Fixture *f, guint64 mib, const char *extra, const char *extra2,
		      const char *procs, gboolean wait_done)
{
	guint64 total, avail;
	g_autofree char *max = NULL, *leave = NULL;
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_autofree char *line = NULL;
	GPid pid;
	int out;

	g_assert_nonnull(g_getenv("OOMN_HOG"));
	vm_meminfo_mib(&total, &avail);
	max = g_strdup_printf("%" G_GUINT64_FORMAT, mib == TO_TARGET ? total : mib);
	g_ptr_array_add(argv, (char *)g_getenv("OOMN_HOG"));
	g_ptr_array_add(argv, "--max");
	g_ptr_array_add(argv, max);
	if (mib == TO_TARGET) {
		leave = g_strdup_printf("%" G_GUINT64_FORMAT, total * TARGET_PCT / 100);
		g_ptr_array_add(argv, "--leave");
		g_ptr_array_add(argv, leave);
	}
	g_ptr_array_add(argv, "--step");
	g_ptr_array_add(argv, "4");
	g_ptr_array_add(argv, "--hold");
	if (extra)
		g_ptr_array_add(argv, (char *)extra);
	if (extra2)
		g_ptr_array_add(argv, (char *)extra2);
	g_ptr_array_add(argv, NULL);
	pid = vm_children_spawn(&f->children, (char **)argv->pdata, procs, NULL, &out);
	line = vm_read_line(out, WAIT_MS);
	g_assert_nonnull(line);
	g_assert_true(g_str_has_prefix(line, "ready"));
	if (wait_done) {
		g_free(line);
		line = vm_read_line(out, WAIT_MS);
		g_assert_nonnull(line);
		g_assert_true(g_str_has_prefix(line, "done"));
	}
	return pid;
}

/* A small process that must survive: `sleep`. */
static GPid start_sleeper(Fixture *f)
{
	char *argv[] = { "sleep", "3600", NULL };

	return vm_children_spawn(&f->children, argv, NULL, NULL, NULL);
}

/*
 * oomn-redeemer taking what leaves LEAK_FROM_PCT at once, then, once that
 * burst is older than the killer's window on the fall rate (3 s), leaking
 * slowly (2 MiB/s) until MemAvailable is down to TARGET_PCT: at critical the
 * killer must see a slow leak, or it rightly cuts the deadline (a race with
 * how soon the burst was over, seen on 6.12 in CI); its stdin and stdout
 * stay open in *in, *out. The leak's end is a MemAvailable, not a size: its
 * first pages come from the per-CPU free lists, which MemAvailable does not
 * count, so a size computed here stops short of critical (start_hog()).
 */
static GPid start_redeemer(Fixture *f, gboolean silent, int *in, int *out)
{
	guint64 total, avail;
	g_autofree char *m = g_strdup_printf("%" G_GUINT64_FORMAT, vm_mib_to_leave(LEAK_FROM_PCT));
	g_autofree char *to = NULL;
	char *argv[] = { (char *)g_getenv("OOMN_REDEEMER"),
			 "--bus-address",
			 f->address,
			 "--mib",
			 m,
			 "--leak-after-ms",
			 "4000",
			 "--leak-to-mib",
			 NULL,
			 silent ? "--silent" : NULL,
			 NULL };
	g_autofree char *line = NULL;
	GPid pid;

	g_assert_nonnull(argv[0]);
	vm_meminfo_mib(&total, &avail);
	to = g_strdup_printf("%" G_GUINT64_FORMAT, total * TARGET_PCT / 100);
	argv[8] = to;
	pid = vm_children_spawn(&f->children, argv, NULL, in, out);
	line = vm_read_line(*out, WAIT_MS);
	g_assert_nonnull(line);
	g_assert_true(g_str_has_prefix(line, "ready "));
	return pid;
}

/* The redeemer's notice ("pending MSEC"); where memory stood if it never came. */
static char *read_pending(int out)
{
	char *line = vm_read_line(out, WAIT_MS);

	if (!line) {
		guint64 total, avail;

		vm_meminfo_mib(&total, &avail);
		g_error("oomn-redeemer got no notice; MemAvailable %" G_GUINT64_FORMAT
			" of %" G_GUINT64_FORMAT " MiB",
			avail, total);
	}
	return line;
}

/* The Killed signal about @pid: its name, rule, cgroup. */
static void assert_killed_signal(Fixture *f, GPid pid, const char *name, const char *rule)
{
	int i = bus_recorder_find(&f->rec, "Killed", pid, WAIT_MS);
	const char *n, *r, *cg, *reason;
	guint32 p, uid;
	guint64 freed;

	g_assert_cmpint(i, >=, 0);
	g_variant_get(bus_recorder_params(&f->rec, i), "(u&su&s&st&s)", &p, &n, &uid, &cg, &r,
		      &freed, &reason);
	g_test_message("Killed: pid %u %s uid %u cgroup %s rule '%s' freed %" G_GUINT64_FORMAT
		       " reason: %s",
		       p, n, uid, cg, r, freed, reason);
	g_assert_cmpstr(n, ==, name);
	g_assert_cmpuint(uid, ==, 0);
	g_assert_cmpstr(r, ==, rule);
	g_assert_cmpstr(reason, !=, "");
	/* announced first, to everyone */
	g_assert_cmpint(bus_recorder_find(&f->rec, "KillAnnounced", pid, 0), >=, 0);
	g_assert_cmpint(bus_recorder_find(&f->rec, "KillAnnounced", pid, 0), <, i);
}

static void assert_died_of(int status, int sig)
{
	if (!WIFSIGNALED(status) || WTERMSIG(status) != sig)
		g_error("expected death by signal %d, got wait status 0x%x", sig, status);
}

/* Died of the signal the kill line says it got: SIGKILL if one went out before its exit. */
static void assert_died_as_told(int status, const VmKillLine *k)
{
	assert_died_of(status, k->sigkill_ns && k->exit_ns >= k->sigkill_ns ? SIGKILL : SIGTERM);
}

/*
 * The killer's log about @pid from *from on: the first line containing
 * @needle, waiting up to @ms; NULL if none.
 */
static const char *wait_killer_about(Fixture *f, const char *needle, guint *from, guint ms)
{
	g_autofree char *prefix = g_strdup_printf("oom-killerd: info: %s", needle);

	return wait_killer_line(f, prefix, from, ms);
}

/*
 * A hog nobody can redeem: SIGTERM and the whole grace, or (memory falling
 * too fast for it) a grace cut short or none, then SIGKILL, and the killer
 * said so. With @ignores_term it survives SIGTERM, so SIGKILL always comes.
 */
static void assert_grace(Fixture *f, const VmKillLine *k, gboolean ignores_term)
{
	g_autofree char *cut =
		g_strdup_printf("pid %d (%s): no time left for a grace", (int)k->pid, k->comm);
	guint from = 0;
	gboolean whole;

	if (!k->sigkill_ns) {
		/* SIGTERM did it, within the grace */
		g_assert_false(ignores_term);
		g_assert_cmpstr(k->signal, ==, "SIGTERM");
		g_assert_cmpuint(k->sigterm_ns, >, 0);
		g_assert_cmpuint(k->exit_ns, >=, k->sigterm_ns);
		return;
	}
	g_assert_cmpstr(k->signal, ==, "SIGKILL");
	/* Tearing down hundreds of MiB can outlast the grace under a loaded TCG:
	 * then SIGKILL follows; before the grace is over only if the time left
	 * said so. */
	whole = k->sigterm_ns && k->sigkill_ns >= k->sigterm_ns + GRACE_S * NS;
	if (!whole)
		g_assert_nonnull(wait_killer_about(f, cut, &from, 0));
}

/* Cases */

/* 1. A fast hog is killed; a small sleeper started before survives. */
static void test_fast_hog(Fixture *f, gconstpointer data)
{
	GPid sleeper = start_sleeper(f);
	GPid hog = start_hog(f, TO_TARGET, NULL, NULL, NULL, FALSE);
	g_auto(VmKillLine) k = { 0 };
	guint from = 0;
	int status;

	wait_kill_line(f, hog, &from, &k);
	g_assert_cmpstr(k.comm, ==, "oomn-hog");
	g_assert_cmpstr(k.rule, ==, "");
	assert_grace(f, &k, FALSE);
	/* it held hundreds of MiB */
	g_assert_cmpuint(k.freed, >, 0);
	status = vm_children_wait(&f->children, hog);
	assert_died_as_told(status, &k);
	assert_killed_signal(f, hog, "oomn-hog", "");
	g_assert_true(vm_child_alive(sleeper));
	g_assert_cmpuint(count_signals(f, "Killed"), ==, 1);
}

/* 2. A hog that ignores SIGTERM dies by SIGKILL, no earlier than the grace after SIGTERM. */
static void test_ignore_term(Fixture *f, gconstpointer data)
{
	GPid hog = start_hog(f, TO_TARGET, "--ignore-term", NULL, NULL, FALSE);
	g_auto(VmKillLine) k = { 0 };
	guint from = 0;

	wait_kill_line(f, hog, &from, &k);
	g_assert_cmpstr(k.signal, ==, "SIGKILL");
	assert_grace(f, &k, TRUE);
	g_assert_cmpuint(k.exit_ns, >=, k.sigkill_ns);
	/* process_mrelease was tried, after the SIGKILL */
	g_assert_true(g_strv_contains((const char *const[]){ "ok", "esrch", "einval", NULL },
				      k.mrelease));
	assert_died_of(vm_children_wait(&f->children, hog), SIGKILL);
	assert_killed_signal(f, hog, "oomn-hog", "");
}

/*
 * 3. A registered client that frees its memory within the deadline is
 * spared: Redeemed, nobody killed, it still runs.
 */
static void test_redeemed(Fixture *f, gconstpointer data)
{
	int in, out, i;
	GPid r = start_redeemer(f, FALSE, &in, &out);
	g_autofree char *pending = NULL, *relieved = NULL;
	const char *name, *reason;
	guint32 p;

	/* its notice, with the rule's deadline */
	pending = read_pending(out);
	g_assert_cmpstr(pending, ==, "pending " G_STRINGIFY(DEADLINE_S) "000");
	/*
	 * Its answer: the broker took it, or the killer had already seen the
	 * level fall and closed the episode (the memory, freed first, won).
	 */
	relieved = vm_read_line(out, WAIT_MS);
	g_assert_nonnull(relieved);
	g_test_message("oomn-redeemer: %s", relieved);
	g_assert_true(g_str_has_prefix(relieved, "relieved ") ||
		      strstr(relieved, "org.oomnotify.Error.NoNotice"));

	i = bus_recorder_find(&f->rec, "Redeemed", r, WAIT_MS);
	g_assert_cmpint(i, >=, 0);
	g_variant_get(bus_recorder_params(&f->rec, i), "(u&s&s)", &p, &name, &reason);
	g_test_message("Redeemed: pid %u %s: %s", p, name, reason);
	g_assert_cmpstr(name, ==, "oomn-redeemer");
	g_assert_cmpint(bus_recorder_find(&f->rec, "KillAnnounced", r, 0), >=, 0);
	g_assert_cmpint(bus_recorder_find(&f->rec, "KillAnnounced", r, 0), <, i);

	/* past where its deadline and grace would have ended, still nobody killed */
	g_assert_false(vm_wait_child(r, (DEADLINE_S + GRACE_S + 1) * 1000, NULL));
	g_assert_true(vm_child_alive(r));
	g_assert_cmpuint(count_signals(f, "Killed"), ==, 0);
	{
		guint from = 0;

		g_assert_null(wait_killer_line(f, VM_KILL_LINE_PREFIX, &from, 0));
	}
}

/* 4. A registered client that never answers is killed, once its deadline has passed. */
static void test_silent(Fixture *f, gconstpointer data)
{
	int in, out;
	GPid r = start_redeemer(f, TRUE, &in, &out);
	g_autofree char *pending = NULL;
	g_auto(VmKillLine) k = { 0 };
	guint from = 0;

	/* it was told */
	pending = read_pending(out);
	g_assert_cmpstr(pending, ==, "pending " G_STRINGIFY(DEADLINE_S) "000");
	wait_kill_line(f, r, &from, &k);
	g_assert_cmpstr(k.comm, ==, "oomn-redeemer");
	/* it registered, leaked slowly and never answered: the full deadline */
	g_assert_cmpuint(k.sigterm_ns, >=, k.event_ns + DEADLINE_S * NS);
	assert_died_of(vm_children_wait(&f->children, r), SIGTERM);
	assert_killed_signal(f, r, "oomn-redeemer", "");
}

/* 5. A protected process is never chosen, even as the largest: the smaller hog is. */
static void test_protect(Fixture *f, gconstpointer data)
{
	guint64 all = vm_mib_to_leave(TARGET_PCT), big_mib = all * 65 / 100;
	GPid big = start_hog(f, big_mib, "--comm", "oomn-keep", NULL, TRUE);
	guint64 small_mib = vm_mib_to_leave(TARGET_PCT);
	GPid small;
	g_auto(VmKillLine) k = { 0 };
	guint from = 0;

	/* the premise: the protected one is the largest by far */
	g_assert_cmpuint(big_mib, >, small_mib + 32);
	small = start_hog(f, TO_TARGET, NULL, NULL, NULL, FALSE);
	wait_kill_line(f, small, &from, &k);
	g_assert_cmpstr(k.comm, ==, "oomn-hog");
	/* nobody registered: its grace only as long as the time left allows */
	assert_grace(f, &k, FALSE);
	assert_died_as_told(vm_children_wait(&f->children, small), &k);
	assert_killed_signal(f, small, "oomn-hog", "");
	g_assert_true(vm_child_alive(big));
	g_assert_cmpint(bus_recorder_find(&f->rec, "KillAnnounced", big, 0), <, 0);
}

/* 6. A kill-group rule kills the whole cgroup; a process outside survives. */
static void test_kill_group(Fixture *f, gconstpointer data)
{
	g_autofree char *procs = NULL;
	g_autofree char *left = NULL;
	GPid sleeper, a, b;
	guint64 half;
	g_auto(VmKillLine) k = { 0 };
	guint from = 0;
	int ia, ib;

	f->cgroup = g_strdup_printf("/sys/fs/cgroup/oomn-killer-%d", (int)getpid());
	g_assert_cmpint(g_mkdir(f->cgroup, 0755), ==, 0);
	procs = g_build_filename(f->cgroup, "cgroup.procs", NULL);

	sleeper = start_sleeper(f);
	half = vm_mib_to_leave(TARGET_PCT) / 2;
	a = start_hog(f, half + 16, NULL, NULL, procs, TRUE);
	b = start_hog(f, TO_TARGET, NULL, NULL, procs, FALSE);

	/* whichever of the two was chosen, both go */
	{
		const char *l = wait_killer_line(f, VM_KILL_LINE_PREFIX, &from, WAIT_MS);

		g_assert_nonnull(l);
		kill_line_parse(l, &k);
	}
	g_assert_true(k.pid == a || k.pid == b);
	g_assert_cmpstr(k.signal, ==, "cgroup.kill");
	g_assert_cmpstr(k.rule, ==, "group");
	assert_died_of(vm_children_wait(&f->children, a), SIGKILL);
	assert_died_of(vm_children_wait(&f->children, b), SIGKILL);
	g_assert_true(vm_child_alive(sleeper));
	g_assert_true(g_file_get_contents(procs, &left, NULL, NULL));
	g_assert_cmpstr(left, ==, "");

	ia = bus_recorder_find(&f->rec, "Killed", k.pid, WAIT_MS);
	g_assert_cmpint(ia, >=, 0);
	{
		const char *cg, *rule;

		g_variant_get(bus_recorder_params(&f->rec, ia), "(u&su&s&sts)", NULL, NULL, NULL,
			      &cg, &rule, NULL, NULL);
		g_assert_cmpstr(cg, ==, f->cgroup + strlen("/sys/fs/cgroup"));
		g_assert_cmpstr(rule, ==, "group");
	}
	/* one decision, one kill: the other member was not chosen on its own */
	ib = bus_recorder_find(&f->rec, "Killed", k.pid == a ? b : a, 0);
	g_assert_cmpint(ib, <, 0);
}

/* 7. The broker stopped: the killer still kills, while the broker is stopped. */
static void test_broker_stopped(Fixture *f, gconstpointer data)
{
	GPid hog;
	g_auto(VmKillLine) k = { 0 };
	guint from = 0;

	g_assert_cmpint(kill(f->broker_pid, SIGSTOP), ==, 0);
	f->broker_stopped = TRUE;
	hog = start_hog(f, TO_TARGET, NULL, NULL, NULL, FALSE);
	wait_kill_line(f, hog, &from, &k);
	/* nobody registered: no deadline, the kill right after the notice */
	{
		g_autofree char *notice = g_strdup_printf(
			"Notice to pid %d (oomn-hog): deadline 0 ms (nobody registered", (int)hog);
		guint at = 0;

		g_assert_nonnull(wait_killer_about(f, notice, &at, 0));
	}
	assert_grace(f, &k, FALSE);
	(void)vm_children_wait(&f->children, hog);
	/* all of that happened while the broker was stopped */
	g_assert_cmpuint(count_signals(f, "Killed"), ==, 0);
	g_assert_cmpuint(count_signals(f, "KillAnnounced"), ==, 0);

	/* once it runs again, the outcome reaches the bus */
	g_assert_cmpint(kill(f->broker_pid, SIGCONT), ==, 0);
	f->broker_stopped = FALSE;
	assert_killed_signal(f, hog, "oomn-hog", "");
}

/*
 * 8. Nobody can redeem a plain hog (nobody registered at all): with a deadline
 * of 30 s configured, the notice still goes out and the kill follows it at
 * once, not when the deadline is over; the right victim, nobody else.
 */
static void test_no_wait(Fixture *f, gconstpointer data)
{
	GPid sleeper = start_sleeper(f);
	GPid hog = start_hog(f, TO_TARGET, NULL, NULL, NULL, FALSE);
	g_autofree char *notice = NULL, *killing = NULL;
	g_auto(VmKillLine) k = { 0 };
	guint from = 0, at = 0;
	int announced, killed;

	wait_kill_line(f, hog, &from, &k);
	g_assert_cmpstr(k.comm, ==, "oomn-hog");
	/* the killer's own account, in this order: no deadline, for that reason... */
	notice = g_strdup_printf("Notice to pid %d (oomn-hog): deadline 0 ms (nobody registered "
				 "can free memory: no wait)",
				 (int)hog);
	g_assert_nonnull(wait_killer_about(f, notice, &at, 0));
	/* ...and the kill, with no deadline as the cause (not "deadline passed") */
	killing = g_strdup_printf("Killing pid %d (oomn-hog): no deadline: nobody to wait for",
				  (int)hog);
	g_assert_nonnull(wait_killer_about(f, killing, &at, 0));
	assert_grace(f, &k, FALSE);
	(void)vm_children_wait(&f->children, hog);

	/* on the bus: announced (with its 1 ms notice), then killed; nobody redeemed */
	killed = bus_recorder_find(&f->rec, "Killed", hog, WAIT_MS);
	announced = bus_recorder_find(&f->rec, "KillAnnounced", hog, 0);
	g_assert_cmpint(announced, >=, 0);
	g_assert_cmpint(announced, <, killed);
	g_assert_cmpuint(count_signals(f, "Redeemed"), ==, 0);
	assert_killed_signal(f, hog, "oomn-hog", "");
	g_assert_true(vm_child_alive(sleeper));
	g_assert_cmpuint(count_signals(f, "Killed"), ==, 1);
	g_assert_cmpuint(count_signals(f, "KillAnnounced"), ==, 1);
}

/* /proc/vmstat's oom_kill: every kernel OOM kill since boot, global or memcg. */
static guint64 kernel_oom_kills(void)
{
	g_autofree char *text = NULL;
	const char *p;

	g_assert_true(g_file_get_contents("/proc/vmstat", &text, NULL, NULL));
	p = strstr(text, "\noom_kill ");
	g_assert_nonnull(p);
	return g_ascii_strtoull(p + strlen("\noom_kill "), NULL, 10);
}

/*
 * 9. Swap in RAM, and a hog whose pages do not compress: free swap stays
 * plentiful while nothing is left. oom-killerd kills it, the kernel's OOM
 * killer never runs, the sleeper lives.
 */
static void test_zram_hog(Fixture *f, gconstpointer data)
{
	guint64 zram = vm_zram_swap_bytes() / (1024 * 1024), total, avail, oom_before;
	GPid sleeper, hog;
	g_auto(VmKillLine) k = { 0 };
	guint from = 0;

	if (!zram) {
		g_test_skip("needs zram swap (the killer-zram suite)");
		return;
	}
	oom_before = kernel_oom_kills();
	sleeper = start_sleeper(f);
	vm_meminfo_mib(&total, &avail);
	/* more than RAM and zram together could hold */
	hog = start_hog(f, total + zram, "--fill", "random", NULL, FALSE);
	wait_kill_line(f, hog, &from, &k);
	g_assert_cmpstr(k.comm, ==, "oomn-hog");
	(void)vm_children_wait(&f->children, hog);
	assert_killed_signal(f, hog, "oomn-hog", "");
	g_assert_cmpuint(kernel_oom_kills(), ==, oom_before);
	g_assert_true(vm_child_alive(sleeper));
	g_assert_cmpuint(count_signals(f, "Killed"), ==, 1);
}

/*
 * Sends to swap (process_madvise MADV_PAGEOUT) every anonymous page in
 * @pid's private read-only file mappings that were writable once ("ac":
 * the libraries' RELRO segments, their relocated pointers). Returns the
 * bytes of such mappings that are then in swap.
 */
static guint64 page_out_relro(GPid pid)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/smaps", (int)pid);
	g_autofree char *text = NULL;
	struct iovec iov[256];
	guint64 swapped = 0;
	gboolean relro = FALSE, ok;
	size_t n = 0;
	char **lines;
	int pidfd;

	for (int pass = 0; pass < 2; pass++) {
		g_clear_pointer(&text, g_free);
		g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
		lines = g_strsplit(text, "\n", -1);
		for (char **l = lines; *l; l++) {
			unsigned long long a, b, kb;
			char perms[8];

			if (sscanf(*l, "%llx-%llx %7s", &a, &b, perms) == 3 && strchr(*l, '/')) {
				relro = strncmp(perms, "r--p", 4) == 0;
				if (pass == 0 && relro && n < G_N_ELEMENTS(iov))
					iov[n++] = (struct iovec){ (void *)(uintptr_t)a, b - a };
			} else if (sscanf(*l, "%llx-%llx", &a, &b) == 2) {
				relro = FALSE;
			} else if (pass == 1 && relro && sscanf(*l, "Swap: %llu kB", &kb) == 1) {
				swapped += kb * 1024;
			}
		}
		g_strfreev(lines);
		if (pass == 0) {
			pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
			g_assert_cmpint(pidfd, >=, 0);
			/* MADV_PAGEOUT (21): anonymous pages go to swap, file pages only leave */
			ok = syscall(SYS_process_madvise, pidfd, iov, n, 21, 0) >= 0;
			if (!ok)
				g_test_message("process_madvise: %s", g_strerror(errno));
			close(pidfd);
		}
	}
	return swapped;
}

/*
 * 10. A daemon drops its clean start-up pages once settled
 * (oomn_resident_trim). A RELRO segment whose relocated pages were in swap
 * then looked clean (no "Anonymous"), was dropped, and came back as the
 * library's unrelocated bytes: oom-notifyd crashed (SIGSEGV) later, at
 * exit. Here the broker's RELRO pages go to zram before it settles; it must
 * still answer and exit cleanly after.
 */
static void test_zram_trim_swapped(Fixture *f, gconstpointer data)
{
	const char *args[] = { BUS_BROKER_KERNEL_ARGS(f->address), NULL };
	g_autoptr(GVariant) state = NULL;
	g_autoptr(GError) error = NULL;
	TestLogStream ls;
	guint from = 0;
	guint64 swapped;
	GPid broker;

	if (!vm_zram_swap_bytes()) {
		g_test_skip("needs zram swap (the killer-zram suite)");
		return;
	}
	/* a broker of our own, started now: the fixture's settled long ago */
	vm_stop_daemon(f->killer_pid, "oom-killerd", WAIT_MS);
	test_log_stream_done(&f->killer_log);
	f->killer_pid = 0;
	vm_stop_daemon(f->broker_pid, "oom-notifyd", WAIT_MS);
	test_log_stream_done(&f->broker_log);
	f->broker_pid = 0;
	bus_wait_name(f->conn, BROKER_NAME, FALSE, WAIT_MS, 0);

	broker = bus_broker_spawn_logged(args, &ls);
	bus_wait_name(f->conn, BROKER_NAME, TRUE, WAIT_MS, broker);
	swapped = page_out_relro(broker);
	g_test_message("RELRO in swap: %" G_GUINT64_FORMAT " kB", swapped / 1024);
	/* it settles 3 s after it starts: the page-out must come first */
	if (test_log_stream_wait(&ls, "oom-notifyd: info: Resident", &from, 0, broker))
		g_error("the broker settled before its pages were in swap: nothing shown");
	g_assert_cmpuint(swapped, >, 0);

	from = 0;
	g_assert_nonnull(test_log_stream_wait(&ls, "oom-notifyd: info: Resident", &from, WAIT_MS,
					      broker));
	state = g_dbus_connection_call_sync(f->conn, BROKER_NAME, BROKER_PATH, BROKER_IFACE,
					    "GetState", NULL, NULL, G_DBUS_CALL_FLAGS_NONE, WAIT_MS,
					    NULL, &error);
	g_assert_no_error(error);
	vm_stop_daemon(broker, "oom-notifyd", WAIT_MS);
	test_log_stream_done(&ls);
}

static const Options opt_none = { NULL };
static const Options opt_long = { NULL, 30 };
static const Options opt_protect = {
	"  - { name: keep-big, match: { comm: oomn-keep }, action: protect }\n"
};
static const Options opt_group = {
	"  - { name: group, match: { cgroup: \"/oomn-killer-*\" }, action: kill-group }\n"
};

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	/* line by line: what was said before a wrong kill (of us) stays in the log */
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* a hog that dies leaves a pipe without a reader */
	signal(SIGPIPE, SIG_IGN);

	if (!g_getenv("OOMN_VM") || geteuid() != 0 || !g_getenv("OOMN_MODULE")) {
		g_test_skip("needs the VM bed as root with the module (tests/vm/run-vm.sh)");
		return g_test_run();
	}
	if (!g_getenv("OOMN_KILLERD") || !g_getenv("OOMN_BROKER") || !g_getenv("OOMN_REDEEMER") ||
	    !g_find_program_in_path("dbus-daemon")) {
		g_test_skip("OOMN_KILLERD, OOMN_BROKER, OOMN_REDEEMER or dbus-daemon missing");
		return g_test_run();
	}

#define ADD(path, opt, fn) g_test_add(path, Fixture, &opt, fixture_setup, fn, fixture_teardown)
	ADD("/killer/vm/fast-hog", opt_none, test_fast_hog);
	ADD("/killer/vm/ignore-term", opt_none, test_ignore_term);
	ADD("/killer/vm/redeemed", opt_none, test_redeemed);
	ADD("/killer/vm/silent", opt_none, test_silent);
	ADD("/killer/vm/protect", opt_protect, test_protect);
	ADD("/killer/vm/kill-group", opt_group, test_kill_group);
	ADD("/killer/vm/broker-stopped", opt_none, test_broker_stopped);
	ADD("/killer/vm/no-wait", opt_long, test_no_wait);
	ADD("/killer/vm/zram", opt_none, test_zram_hog);
	ADD("/killer/vm/zram/trim-swapped", opt_none, test_zram_trim_swapped);
	return g_test_run();
}
