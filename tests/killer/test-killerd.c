/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The real oom-killerd binary on the host: usage and exit codes, --check
 * output, and whole episodes on a fake /proc tree whose meminfo is critical
 * (--source meminfo --no-bus). The candidates in the tree are real child
 * processes of this test (their fake stat agrees with itself, so the pidfd
 * check passes), so "nothing was signalled" and "killed by SIGKILL" are
 * observed on real processes. The binary's path comes in $OOM_KILLERD.
 */
#include <errno.h>
#include <gio/gio.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "fake-proc.h"

#define BIG_FAKE_PID 4000000 /* beyond any pid_max: never a real process */

static const char *killerd(void)
{
	const char *p = g_getenv("OOM_KILLERD");

	g_assert_nonnull(p);
	return p;
}

typedef struct Run {
	int status;
	char *out, *err;
} Run;

static void run_done(Run *r)
{
	g_free(r->out);
	g_free(r->err);
}

static void run(Run *r, const char *const *args)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_autoptr(GError) error = NULL;

	g_ptr_array_add(argv, (char *)killerd());
	for (; *args; args++)
		g_ptr_array_add(argv, (char *)*args);
	g_ptr_array_add(argv, NULL);
	g_assert_true(g_spawn_sync(NULL, (char **)argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL,
				   &r->out, &r->err, &r->status, &error));
	g_assert_no_error(error);
	g_test_message("stdout: %s\nstderr: %s", r->out, r->err);
}

static int exit_code(const Run *r)
{
	g_assert_true(WIFEXITED(r->status));
	return WEXITSTATUS(r->status);
}

static char *write_tmp(const char *dir, const char *name, const char *text)
{
	char *p = g_build_filename(dir, name, NULL);

	fake_write(dir, name, text, -1);
	return p;
}

static void test_help(void)
{
	Run r = {};

	run(&r, (const char *[]){ "--help", NULL });
	g_assert_cmpint(exit_code(&r), ==, 0);
	g_assert_true(g_str_has_prefix(r.out, "Usage: oom-killerd"));
	for (const char *const *o = (const char *[]){ "--rules FILE", "--rules-dir DIR",
						      "--check FILE", "--dry-run", "--bus-address",
						      "--no-bus", "--proc-root", "--cgroup-root",
						      "--source", "--deadline", "--grace", "--floor",
						      "--no-mrelease", "--hook", "--realtime",
						      "--no-mlock", "--version", NULL };
	     *o; o++)
		g_assert_nonnull(strstr(r.out, *o));
	run_done(&r);

	run(&r, (const char *[]){ "--version", NULL });
	g_assert_cmpint(exit_code(&r), ==, 0);
	g_assert_true(g_str_has_prefix(r.out, "oom-killerd "));
	run_done(&r);
}

static void test_bad_usage(void)
{
	static const char *const bad[][3] = {
		{ "--bogus" },	       { "--source", "netlink" }, { "--deadline", "soon" },
		{ "--floor", "80%" }, { "extra-argument" },	  { "--grace" },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		Run r = {};

		run(&r, (const char *[]){ bad[i][0], bad[i][1], NULL });
		g_assert_cmpint(exit_code(&r), ==, 2);
		g_assert_nonnull(strstr(r.err, "Try 'oom-killerd --help'"));
		g_assert_cmpstr(r.out, ==, "");
		run_done(&r);
	}
}

static void test_check(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *dir = g_dir_make_tmp("oomk-check-XXXXXX", &error);
	g_autofree char *good = NULL, *bad = NULL, *dropins = NULL, *bad_dropin = NULL;
	g_autofree char *expected = NULL, *missing = NULL;
	Run r = {};

	g_assert_no_error(error);
	good = write_tmp(dir, "good.yaml",
			 "rules:\n"
			 "  - name: keep-sshd\n"
			 "    match: { comm: sshd }\n"
			 "    action: protect\n"
			 "  - name: batch\n"
			 "    match: { cgroup: \"/batch.slice/*\" }\n"
			 "    action: kill-group\n"
			 "    deadline: 5s\n"
			 "defaults: { deadline: 10s, grace: 3s, floor: 3% }\n");
	bad = write_tmp(dir, "bad.yaml",
			"rules:\n"
			"  - name: x\n"
			"    match: { comm: a, colour: red }\n"
			"    action: kill\n"
			"  - name: y\n"
			"    action: prefer\n"
			"    weight: 5000\n");

	run(&r, (const char *[]){ "--check", good, NULL });
	g_assert_cmpint(exit_code(&r), ==, 0);
	expected = g_strdup_printf("%s: 2 rules OK\n", good);
	g_assert_cmpstr(r.out, ==, expected);
	g_assert_cmpstr(r.err, ==, "");
	run_done(&r);
	g_free(expected);

	run(&r, (const char *[]){ "--check", bad, NULL });
	g_assert_cmpint(exit_code(&r), ==, 1);
	expected = g_strdup_printf(
		"%s:3:23: unknown match 'colour' (expected comm, exe, cmdline, user, cgroup, unit, "
		"band, oom_score_adj)\n"
		"%s:4:13: unknown action 'kill' (expected protect, avoid, prefer, kill-group)\n"
		"%s:7:13: weight must be between 1 and 1000, not '5000'\n",
		bad, bad, bad);
	g_assert_cmpstr(r.err, ==, expected);
	g_assert_cmpstr(r.out, ==, "");
	run_done(&r);
	g_free(expected);

	/* A drop-in directory is checked with the file when given. */
	dropins = g_build_filename(dir, "rules.d", NULL);
	g_assert_cmpint(g_mkdir(dropins, 0755), ==, 0);
	bad_dropin = write_tmp(dropins, "10-late.yaml", "rules:\n  - name: keep-sshd\n"
							"    action: avoid\n");
	run(&r, (const char *[]){ "--check", good, "--rules-dir", dropins, NULL });
	g_assert_cmpint(exit_code(&r), ==, 1);
	expected = g_strdup_printf("%s:2:11: duplicate rule name 'keep-sshd' (first defined at "
				   "%s:2:5)\n",
				   bad_dropin, good);
	g_assert_cmpstr(r.err, ==, expected);
	run_done(&r);
	g_free(expected);

	missing = g_build_filename(dir, "missing.yaml", NULL);
	run(&r, (const char *[]){ "--check", missing, NULL });
	g_assert_cmpint(exit_code(&r), ==, 1);
	expected = g_strdup_printf("%s: cannot open: No such file or directory\n", missing);
	g_assert_cmpstr(r.err, ==, expected);
	run_done(&r);

	/* An explicitly given missing rules file stops the daemon before it starts. */
	run(&r, (const char *[]){ "--rules", missing, "--no-bus", "--no-mlock", NULL });
	g_assert_cmpint(exit_code(&r), ==, 1);
	g_assert_nonnull(strstr(r.err, expected));
	g_assert_null(strstr(r.err, "oom-killerd ready"));
	run_done(&r);

	fake_rm_rf(dir);
}

/* A real child: the fake tree's candidate. ignore_term: it survives SIGTERM. */
static GPid spawn_child(bool ignore_term)
{
	const char *argv[] = { "/bin/sh", "-c",
			       ignore_term ? "trap '' TERM; exec sleep 1000" : "exec sleep 1000",
			       NULL };
	g_autoptr(GError) error = NULL;
	GPid pid;

	g_assert_true(g_spawn_async(NULL, (char **)argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL,
				    NULL, &pid, &error));
	g_assert_no_error(error);
	return pid;
}

typedef struct Tree {
	char *root;
	char *rules;
	GPid victim;
} Tree;

/* meminfo at 5 % available (critical); the real child is the largest unprotected process. */
static void tree_new(Tree *t, bool ignore_term)
{
	t->root = fake_proc_new(1000000, 0);
	fake_write(t->root, "meminfo",
		   "MemTotal:        1000000 kB\nMemFree:           10000 kB\n"
		   "MemAvailable:      50000 kB\nSwapTotal:             0 kB\n"
		   "SwapFree:              0 kB\n",
		   -1);
	t->victim = spawn_child(ignore_term);
	fake_proc_add(t->root, &(FakeProc){ .pid = 1, .comm = "init", .ppid = -1, .rss_kb = 9000 });
	fake_proc_add(t->root, &(FakeProc){ .pid = BIG_FAKE_PID, .comm = "precious",
					    .uid = 1000, .rss_kb = 900000 });
	fake_proc_add(t->root, &(FakeProc){ .pid = t->victim, .comm = "bighog", .uid = 1000,
					    .rss_kb = 400000, .cgroup = "/user.slice/hog" });
	fake_proc_add(t->root, &(FakeProc){ .pid = BIG_FAKE_PID + 1, .comm = "small",
					    .uid = 1000, .rss_kb = 1000 });
	t->rules = g_build_filename(t->root, "rules.yaml", NULL);
	fake_write(t->root, "rules.yaml",
		   "rules:\n  - name: keep-precious\n    match: { comm: precious }\n"
		   "    action: protect\n  - name: hogs\n    match: { comm: \"big*\" }\n"
		   "    action: prefer\n    weight: 10\n",
		   -1);
}

static void tree_done(Tree *t)
{
	int status;

	if (t->victim > 0) {
		(void)kill(t->victim, SIGKILL);
		(void)waitpid(t->victim, &status, 0);
	}
	fake_rm_rf(t->root);
	g_free(t->root);
	g_free(t->rules);
}

typedef struct Daemon {
	GSubprocess *proc;
	GDataInputStream *err;
} Daemon;

static void die_with_parent(gpointer data)
{
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
}

static void daemon_start(Daemon *d, const Tree *t, const char *const *extra)
{
	g_autoptr(GSubprocessLauncher) launcher = NULL;
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_autoptr(GError) error = NULL;

	for (const char *const *a = (const char *[]){ killerd(), "--proc-root", t->root,
						      "--rules", t->rules, "--rules-dir",
						      "/nonexistent/rules.d", "--source", "meminfo", "--no-bus",
						      "--no-mlock", NULL };
	     *a; a++)
		g_ptr_array_add(argv, (char *)*a);
	for (; *extra; extra++)
		g_ptr_array_add(argv, (char *)*extra);
	g_ptr_array_add(argv, NULL);
	launcher = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDERR_PIPE);
	/* A failed assertion aborts this test: the daemon must not outlive it. */
	g_subprocess_launcher_set_child_setup(launcher, die_with_parent, NULL, NULL);
	d->proc = g_subprocess_launcher_spawnv(launcher, (const char *const *)argv->pdata, &error);
	g_assert_no_error(error);
	d->err = g_data_input_stream_new(g_subprocess_get_stderr_pipe(d->proc));
}

/* The next stderr line starting with prefix (the others are logged); the test's timeout guards. */
static char *daemon_wait_line(Daemon *d, const char *prefix)
{
	for (;;) {
		g_autoptr(GError) error = NULL;
		char *line = g_data_input_stream_read_line(d->err, NULL, NULL, &error);

		g_assert_no_error(error);
		g_assert_nonnull(line); /* EOF: the daemon died */
		g_test_message("killerd: %s", line);
		if (g_str_has_prefix(line, prefix))
			return line;
		g_free(line);
	}
}

static void daemon_stop(Daemon *d)
{
	g_autoptr(GError) error = NULL;

	g_subprocess_send_signal(d->proc, SIGTERM);
	g_assert_true(g_subprocess_wait(d->proc, NULL, &error));
	g_assert_no_error(error);
	g_assert_true(g_subprocess_get_if_exited(d->proc));
	g_assert_cmpint(g_subprocess_get_exit_status(d->proc), ==, 0);
	g_clear_object(&d->err);
	g_clear_object(&d->proc);
}

static bool child_alive(GPid pid)
{
	int status;

	return waitpid(pid, &status, WNOHANG) == 0;
}

static void test_dry_run(void)
{
	g_autofree char *ready = NULL, *line = NULL, *expected = NULL;
	Daemon d = {};
	Tree t = {};

	tree_new(&t, false);
	daemon_start(&d, &t, (const char *[]){ "--dry-run", "--deadline", "200ms", NULL });
	ready = daemon_wait_line(&d, "oom-killerd ready");
	g_assert_nonnull(strstr(ready, "source meminfo"));
	line = daemon_wait_line(&d, "oom-killerd dry-run:");
	/* The protected larger process is passed over; the rule that matched is named. */
	expected = g_strdup_printf("oom-killerd dry-run: pid=%d comm=bighog rule=hogs", t.victim);
	g_assert_cmpstr(line, ==, expected);
	/* Well past the deadline and any grace: nothing was signalled. */
	g_usleep(500 * 1000);
	g_assert_true(child_alive(t.victim));
	daemon_stop(&d);
	g_assert_true(child_alive(t.victim));
	tree_done(&t);
}

/*
 * A process started after the last refresh, while the list still counts as
 * fresh, is chosen: memory goes critical at once after start-up (no low or
 * medium first, so no warm-up either), and the only refresh before the
 * choice is the look at newcomers. Without it the small process was chosen.
 */
static void test_newcomer(void)
{
	g_autofree char *line = NULL, *expected = NULL;
	Daemon d = {};
	Tree t = {};

	tree_new(&t, false);
	/* no bighog in the tree yet, memory plentiful */
	{
		g_autofree char *dir = g_strdup_printf("%s/%d", t.root, (int)t.victim);

		fake_rm_rf(dir);
	}
	fake_write(t.root, "meminfo",
		   "MemTotal:        1000000 kB\nMemFree:          800000 kB\n"
		   "MemAvailable:     800000 kB\nSwapTotal:             0 kB\n"
		   "SwapFree:              0 kB\n",
		   -1);
	daemon_start(&d, &t, (const char *[]){ "--dry-run", "--deadline", "200ms", NULL });
	g_free(daemon_wait_line(&d, "oom-killerd ready"));
	fake_proc_add(t.root, &(FakeProc){ .pid = t.victim, .comm = "bighog", .uid = 1000,
					    .rss_kb = 400000 });
	fake_write(t.root, "meminfo",
		   "MemTotal:        1000000 kB\nMemFree:           10000 kB\n"
		   "MemAvailable:      50000 kB\nSwapTotal:             0 kB\n"
		   "SwapFree:              0 kB\n",
		   -1);
	line = daemon_wait_line(&d, "oom-killerd dry-run:");
	expected = g_strdup_printf("oom-killerd dry-run: pid=%d comm=bighog rule=hogs", t.victim);
	g_assert_cmpstr(line, ==, expected);
	daemon_stop(&d);
	tree_done(&t);
}

static void test_kill_sigkill(void)
{
	g_autofree char *line = NULL, *prefix = NULL, *hook = NULL, *hook_out = NULL;
	g_autofree char *hook_cmd = NULL, *hook_text = NULL;
	g_auto(GStrv) fields = NULL;
	Daemon d = {};
	Tree t = {};
	int status;

	tree_new(&t, true);
	hook_out = g_build_filename(t.root, "hook.out", NULL);
	hook_cmd = g_strdup_printf("echo \"$OOMN_PID $OOMN_COMM $OOMN_UID $OOMN_CGROUP "
				   "$OOMN_RULE\" > %s.tmp && mv %s.tmp %s",
				   hook_out, hook_out, hook_out);
	daemon_start(&d, &t,
		     (const char *[]){ "--deadline", "100ms", "--grace", "300ms", "--hook",
				       hook_cmd, NULL });
	line = daemon_wait_line(&d, "oom-killerd kill:");
	prefix = g_strdup_printf("oom-killerd kill: pid=%d comm=bighog rule=hogs signal=SIGKILL "
				 "event_ns=",
				 t.victim);
	g_assert_true(g_str_has_prefix(line, prefix));
	fields = g_strsplit(line + strlen("oom-killerd kill: "), " ", -1);
	g_assert_cmpuint(g_strv_length(fields), ==, 11);
	{
		guint64 ev = g_ascii_strtoull(fields[4] + strlen("event_ns="), NULL, 10);
		guint64 no = g_ascii_strtoull(fields[5] + strlen("notify_ns="), NULL, 10);
		guint64 te = g_ascii_strtoull(fields[6] + strlen("sigterm_ns="), NULL, 10);
		guint64 ki = g_ascii_strtoull(fields[7] + strlen("sigkill_ns="), NULL, 10);
		guint64 ex = g_ascii_strtoull(fields[8] + strlen("exit_ns="), NULL, 10);

		/* The order of the steps, not their durations. */
		g_assert_cmpuint(ev, >, 0);
		g_assert_cmpuint(ev, <=, no);
		g_assert_cmpuint(no, <, te);
		g_assert_cmpuint(te, <, ki);
		g_assert_cmpuint(ki, <=, ex);
	}
	g_assert_true(g_str_has_prefix(fields[9], "mrelease="));
	g_assert_true(g_strv_contains((const char *const[]){ "mrelease=ok", "mrelease=esrch",
							     "mrelease=einval", NULL },
				      fields[9]));
	g_assert_cmpstr(fields[10], ==, "freed=0"); /* the fake meminfo did not move */

	/* The real child really died of SIGKILL (it ignores SIGTERM). */
	g_assert_cmpint(waitpid(t.victim, &status, 0), ==, t.victim);
	g_assert_true(WIFSIGNALED(status));
	g_assert_cmpint(WTERMSIG(status), ==, SIGKILL);
	t.victim = 0;

	/* The hook ran with the victim's details (not waited for by the daemon). */
	while (!g_file_get_contents(hook_out, &hook_text, NULL, NULL))
		g_usleep(20 * 1000);
	hook = g_strdup_printf("%d bighog 1000 /user.slice/hog hogs\n",
			       (int)g_ascii_strtoll(prefix + strlen("oom-killerd kill: pid="), NULL,
						    10));
	g_assert_cmpstr(hook_text, ==, hook);
	daemon_stop(&d);
	tree_done(&t);
}

static void test_kill_sigterm(void)
{
	g_autofree char *line = NULL, *prefix = NULL;
	Daemon d = {};
	Tree t = {};
	int status;

	tree_new(&t, false);
	daemon_start(&d, &t,
		     (const char *[]){ "--deadline", "100ms", "--grace", "10s", "--no-mrelease",
				       NULL });
	line = daemon_wait_line(&d, "oom-killerd kill:");
	prefix = g_strdup_printf("oom-killerd kill: pid=%d comm=bighog rule=hogs signal=SIGTERM ",
				 t.victim);
	g_assert_true(g_str_has_prefix(line, prefix));
	g_assert_nonnull(strstr(line, " sigkill_ns=0 "));
	g_assert_nonnull(strstr(line, " mrelease=off "));
	g_assert_cmpint(waitpid(t.victim, &status, 0), ==, t.victim);
	g_assert_true(WIFSIGNALED(status));
	g_assert_cmpint(WTERMSIG(status), ==, SIGTERM);
	t.victim = 0;
	daemon_stop(&d);
	tree_done(&t);
}

int main(int argc, char *argv[])
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/killer/killerd/help", test_help);
	g_test_add_func("/killer/killerd/bad-usage", test_bad_usage);
	g_test_add_func("/killer/killerd/check", test_check);
	g_test_add_func("/killer/killerd/dry-run", test_dry_run);
	g_test_add_func("/killer/killerd/newcomer", test_newcomer);
	g_test_add_func("/killer/killerd/kill-sigkill", test_kill_sigkill);
	g_test_add_func("/killer/killerd/kill-sigterm", test_kill_sigterm);
	return g_test_run();
}
