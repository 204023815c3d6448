/* SPDX-License-Identifier: GPL-2.0-only */
/* Victim choice on fake /proc trees: badness, rules, built-in protections, bad entries. */
#include <errno.h>
#include <glib.h>

#include "candidates.h"
#include "fake-proc.h"

#define SELF_PID 99999

typedef struct Fixture {
	char *root;
	char *rules_path;
	Candidates *c;
	Rules *rules;
	Choice ch;
	CandidatesStats stats;
	unsigned warnings;
} Fixture;

static void warn_cb(const char *msg, void *userdata)
{
	Fixture *f = userdata;

	g_test_message("warning: %s", msg);
	f->warnings++;
}

/* The processes that are never chosen, each larger than anything else in the tree. */
static void add_untouchables(const char *root)
{
	fake_proc_add(root,
		      &(FakeProc){ .pid = 1, .comm = "systemd", .ppid = -1, .rss_kb = 900000 });
	fake_proc_add(root, &(FakeProc){ .pid = 2,
					 .comm = "kthreadd",
					 .ppid = -1,
					 .flags = PROCFS_PF_KTHREAD,
					 .rss_kb = -1,
					 .cmdline = "",
					 .exe = "" });
	fake_proc_add(root, &(FakeProc){ .pid = 3,
					 .comm = "kworker/0:0-events",
					 .ppid = 2,
					 .flags = PROCFS_PF_KTHREAD,
					 .rss_kb = -1,
					 .cmdline = "",
					 .exe = "" });
	/* a kernel thread with (fake) memory is still a kernel thread */
	fake_proc_add(root, &(FakeProc){ .pid = 4,
					 .comm = "kswapd0",
					 .ppid = 2,
					 .rss_kb = 900000,
					 .cmdline = "",
					 .exe = "" });
	fake_proc_add(root, &(FakeProc){ .pid = 100, .comm = "dbus-daemon", .rss_kb = 800000 });
	fake_proc_add(root, &(FakeProc){ .pid = 101, .comm = "oom-notifyd", .rss_kb = 800000 });
	fake_proc_add(root, &(FakeProc){ .pid = 102, .comm = "oom-killerd", .rss_kb = 800000 });
	fake_proc_add(root, &(FakeProc){ .pid = 103, .comm = "dbus-broker", .rss_kb = 800000 });
	fake_proc_add(root, &(FakeProc){ .pid = 104, .comm = "dbus-broker-lau", .rss_kb = 800000 });
	fake_proc_add(root,
		      &(FakeProc){ .pid = 105, .comm = "pinned", .rss_kb = 800000, .adj = -1000 });
	fake_proc_add(root,
		      &(FakeProc){ .pid = SELF_PID, .comm = "renamed-killer", .rss_kb = 800000 });
	fake_proc_add(root,
		      &(FakeProc){ .pid = 106, .comm = "zombie", .state = 'Z', .rss_kb = 800000 });
	fake_proc_add(root, &(FakeProc){ .pid = 107, .comm = "given", .rss_kb = 800000 });
}
#define N_UNTOUCHABLE 13

static void add_three(const char *root)
{
	fake_proc_add(root,
		      &(FakeProc){ .pid = 200, .comm = "small", .uid = 1001, .rss_kb = 1000 });
	fake_proc_add(root, &(FakeProc){ .pid = 201, .comm = "big", .uid = 1001, .rss_kb = 50000 });
	fake_proc_add(root, &(FakeProc){ .pid = 202, .comm = "mid", .uid = 1002, .rss_kb = 20000 });
}

static void fixture_setup(Fixture *f, gconstpointer data)
{
	static const pid_t protected_pids[] = { 107 };

	/* 1 000 000 kB in all: one oom_score_adj or weight point is 1000 kB */
	f->root = fake_proc_new(900000, 100000);
	f->rules_path = g_build_filename(f->root, "rules.yaml", NULL);
	add_untouchables(f->root);
	g_assert_cmpint(candidates_new(&(CandidatesOptions){ .proc_root = f->root,
							     .self_pid = SELF_PID,
							     .protected_pids = protected_pids,
							     .n_protected_pids = 1,
							     .warn = warn_cb,
							     .userdata = f },
				       &f->c),
			==, 0);
}

static void fixture_teardown(Fixture *f, gconstpointer data)
{
	choice_done(&f->ch);
	candidates_free(f->c);
	rules_free(f->rules);
	fake_rm_rf(f->root);
	g_free(f->root);
	g_free(f->rules_path);
}

static void load_rules(Fixture *f, const char *text)
{
	RulesErrors errs = {};
	g_autofree char *s = NULL;
	int r;

	fake_write(f->root, "rules.yaml", text, -1);
	f->rules = rules_free(f->rules);
	r = rules_load(f->rules_path, NULL, NULL, &f->rules, &errs);
	s = rules_errors_format(&errs);
	g_assert_cmpstr(s, ==, "");
	g_assert_cmpint(r, ==, 0);
	rules_errors_clear(&errs);
}

static void refresh(Fixture *f)
{
	g_assert_cmpint(candidates_refresh(f->c, 0, &f->stats), ==, 0);
}

static pid_t choose(Fixture *f)
{
	choice_done(&f->ch);
	g_assert_cmpint(candidates_choose(f->c, f->rules, &f->ch), ==, 0);
	g_test_message("victim %d (%s): %s", (int)f->ch.pid, f->ch.comm, f->ch.reason);
	return f->ch.pid;
}

static void test_largest(Fixture *f, gconstpointer data)
{
	add_three(f->root);
	refresh(f);
	g_assert_cmpuint(f->stats.n_new, ==, N_UNTOUCHABLE + 3);
	g_assert_cmpuint(candidates_total_kb(f->c), ==, 1000000);

	g_assert_cmpint(choose(f), ==, 201);
	g_assert_cmpstr(f->ch.comm, ==, "big");
	g_assert_cmpuint(f->ch.uid, ==, 1001);
	g_assert_null(f->ch.rule);
	g_assert_false(f->ch.kill_group);
	g_assert_false(f->ch.avoided);
	g_assert_cmpint(f->ch.badness_kb, ==, 50000);
	g_assert_cmpstr(f->ch.cgroup, ==, "/user.slice");
	g_assert_cmpstr(f->ch.exe, ==, "/usr/bin/big");
	g_assert_cmpuint(f->ch.starttime, ==, 301);
	g_assert_cmpuint(f->ch.deadline_usec, ==, RULES_DEFAULT_DEADLINE_USEC);
	g_assert_cmpuint(f->ch.grace_usec, ==, RULES_DEFAULT_GRACE_USEC);
	g_assert_cmpuint(f->ch.n_eligible, ==, 3);
	g_assert_cmpuint(f->ch.n_protected, ==, N_UNTOUCHABLE);
	g_assert_cmpuint(f->ch.n_top, ==, 3);
	g_assert_cmpint(f->ch.top[0].pid, ==, 201);
	g_assert_cmpint(f->ch.top[1].pid, ==, 202);
	g_assert_cmpint(f->ch.top[2].pid, ==, 200);
	g_assert_cmpint(f->ch.top[2].badness_kb, ==, 1000);
	g_assert_cmpstr(f->ch.top[1].comm, ==, "mid");
	g_assert_cmpstr(f->ch.reason, ==,
			"highest badness, no rule matched: badness 50000 kB (rss 50000 + swap 0 + "
			"page tables 0 kB, oom_score_adj 0)");

	/* swap and page tables count like the kernel's oom_badness() */
	fake_proc_add(f->root, &(FakeProc){ .pid = 203,
					    .comm = "swapped",
					    .rss_kb = 10000,
					    .swap_kb = 40000,
					    .pte_kb = 1 });
	refresh(f);
	g_assert_cmpuint(f->stats.n_new, ==, 1);
	g_assert_cmpuint(f->stats.n_unchanged, ==, N_UNTOUCHABLE + 3);
	g_assert_cmpint(choose(f), ==, 203);
	g_assert_cmpint(f->ch.badness_kb, ==, 50001);
}

static void test_oom_score_adj(Fixture *f, gconstpointer data)
{
	g_autofree char *dir = g_build_filename(f->root, "200", NULL);

	fake_proc_add(f->root,
		      &(FakeProc){ .pid = 200, .comm = "small", .rss_kb = 1000, .adj = 100 });
	fake_proc_add(f->root,
		      &(FakeProc){ .pid = 201, .comm = "big", .rss_kb = 50000, .adj = -30 });
	fake_proc_add(f->root, &(FakeProc){ .pid = 202, .comm = "mid", .rss_kb = 20000 });
	fake_proc_add(f->root,
		      &(FakeProc){ .pid = 203, .comm = "neg", .rss_kb = 20000, .adj = -999 });
	refresh(f);
	g_assert_cmpint(choose(f), ==, 200);
	g_assert_cmpint(f->ch.badness_kb, ==, 101000);
	g_assert_cmpint(f->ch.oom_score_adj, ==, 100);
	g_assert_cmpint(f->ch.top[1].badness_kb, ==, 20000);
	g_assert_cmpint(f->ch.top[2].badness_kb, ==, 20000);
	/* a tie goes to more rss */
	g_assert_cmpint(f->ch.top[1].pid, ==, 201);
	g_assert_cmpint(f->ch.top[2].pid, ==, 202);
	g_assert_cmpint(f->ch.top[3].pid, ==, 203);
	g_assert_cmpint(f->ch.top[3].badness_kb, ==, 20000 - 999000);

	/* oom_score_adj written while the process sleeps (stat unchanged) is still seen */
	fake_write(dir, "oom_score_adj", "-1000\n", -1);
	refresh(f);
	g_assert_cmpuint(f->stats.n_unchanged, ==, N_UNTOUCHABLE + 4);
	g_assert_cmpint(choose(f), ==, 201);
	g_assert_cmpuint(f->ch.n_eligible, ==, 3);
}

static void test_protect(Fixture *f, gconstpointer data)
{
	add_three(f->root);
	load_rules(f, "rules:\n  - { name: keep-big, match: { comm: big }, action: protect }\n");
	refresh(f);
	g_assert_cmpint(choose(f), ==, 202);
	g_assert_cmpuint(f->ch.n_protected, ==, N_UNTOUCHABLE + 1);
	g_assert_null(f->ch.rule);

	load_rules(f, "rules:\n  - { name: keep-all, match: { user: \"1001\" }, action: protect }\n"
		      "  - { name: keep-mid, match: { comm: mid }, action: protect }\n");
	choice_done(&f->ch);
	g_assert_cmpint(candidates_choose(f->c, f->rules, &f->ch), ==, -ESRCH);
	g_assert_cmpuint(f->ch.n_protected, ==, N_UNTOUCHABLE + 3);
	g_assert_cmpstr(f->ch.reason, ==, "no process may be chosen (16 protected)");
}

static void test_avoid(Fixture *f, gconstpointer data)
{
	add_three(f->root);
	load_rules(f, "rules:\n  - { name: spare, match: { comm: \"[bm]i*\" }, action: avoid }\n");
	refresh(f);
	g_assert_cmpint(choose(f), ==, 200);
	g_assert_false(f->ch.avoided);
	/* the avoided ones come after every other candidate, however large */
	g_assert_cmpint(f->ch.top[1].pid, ==, 201);
	g_assert_true(f->ch.top[1].avoided);

	load_rules(f,
		   "rules:\n  - { name: spare, match: { user: \"1001\" }, action: avoid }\n"
		   "  - { name: spare-mid, match: { comm: mid }, action: avoid, deadline: 1s }\n");
	g_assert_cmpint(choose(f), ==, 201);
	g_assert_true(f->ch.avoided);
	g_assert_cmpstr(f->ch.rule->name, ==, "spare");
	g_assert_cmpstr(f->ch.reason, ==,
			"only avoided processes left; rule 'spare' (avoid): badness 50000 kB (rss "
			"50000 + swap 0 + page tables 0 kB, oom_score_adj 0)");
	g_assert_cmpuint(f->ch.deadline_usec, ==, RULES_DEFAULT_DEADLINE_USEC);
}

static void test_prefer(Fixture *f, gconstpointer data)
{
	add_three(f->root);
	refresh(f);
	/* one weight point is 1000 kB here: 1000 + 48 * 1000 < 50000 */
	load_rules(f, "rules:\n  - { name: pick-small, match: { comm: small }, action: prefer, "
		      "weight: 48 }\n");
	g_assert_cmpint(choose(f), ==, 201);
	g_assert_cmpint(f->ch.top[1].pid, ==, 200);
	g_assert_cmpint(f->ch.top[1].score_kb, ==, 49000);
	g_assert_cmpint(f->ch.top[1].badness_kb, ==, 1000);
	load_rules(f, "rules:\n  - { name: pick-small, match: { comm: small }, action: prefer, "
		      "weight: 60 }\n");
	g_assert_cmpint(choose(f), ==, 200);
	g_assert_cmpint(f->ch.badness_kb, ==, 1000);
	g_assert_cmpint(f->ch.score_kb, ==, 61000);
	g_assert_cmpstr(f->ch.reason, ==,
			"highest score; rule 'pick-small' (prefer, weight 60 adds 60000 kB): "
			"badness 1000 kB (rss 1000 + swap 0 + page tables 0 kB, oom_score_adj 0)");
	load_rules(f, "rules:\n  - { name: pick-small, match: { comm: small }, action: prefer, "
		      "weight: 40 }\n");
	g_assert_cmpint(choose(f), ==, 201);

	/* a rule name longer than the reason: cut, not overrun */
	g_autofree char *longname = g_strnfill(2000, 'n');
	g_autofree char *text =
		g_strdup_printf("rules:\n  - { name: %s, action: kill-group }\n", longname);
	load_rules(f, text);
	g_assert_cmpint(choose(f), ==, 201);
	g_assert_cmpuint(strlen(f->ch.reason), ==, sizeof(f->ch.reason) - 1);
	g_assert_true(g_str_has_prefix(f->ch.reason, "highest badness; rule 'nnnn"));
}

static void test_kill_group(Fixture *f, gconstpointer data)
{
	add_three(f->root);
	fake_proc_add(f->root, &(FakeProc){ .pid = 300,
					    .comm = "job",
					    .rss_kb = 40000,
					    .cgroup = "/batch.slice/job1.scope" });
	fake_proc_add(f->root, &(FakeProc){ .pid = 301,
					    .comm = "job-helper",
					    .rss_kb = 500,
					    .cgroup = "/batch.slice/job1.scope/helpers" });
	load_rules(f,
		   "rules:\n"
		   "  - { name: never-ssh, match: { comm: sshd }, action: protect }\n"
		   "  - name: batch-jobs\n"
		   "    match: { cgroup: \"/batch.slice/*\" }\n"
		   "    action: kill-group\n"
		   "    deadline: 5s\n"
		   "    grace: 2s\n"
		   "  - { name: favour-batch, match: { comm: job }, action: prefer, weight: 1 }\n");
	refresh(f);
	g_assert_cmpint(choose(f), ==, 201); /* the rule does not make it larger */

	fake_proc_add(f->root, &(FakeProc){ .pid = 302,
					    .comm = "job-worker",
					    .rss_kb = 60000,
					    .cgroup = "/batch.slice/job1.scope" });
	refresh(f);
	g_assert_cmpint(choose(f), ==, 302);
	g_assert_true(f->ch.kill_group);
	g_assert_cmpstr(f->ch.cgroup, ==, "/batch.slice/job1.scope");
	g_assert_cmpstr(f->ch.rule->name, ==, "batch-jobs");
	g_assert_cmpuint(f->ch.deadline_usec, ==, 5000000);
	g_assert_cmpuint(f->ch.grace_usec, ==, 2000000);
	g_assert_cmpstr(f->ch.reason, ==,
			"highest badness; rule 'batch-jobs' (kill-group); whole cgroup "
			"/batch.slice/job1.scope: badness 60000 kB (rss 60000 + swap 0 + page "
			"tables 0 kB, oom_score_adj 0)");

	/* cgroup.kill would take a protected process below: only the process goes */
	fake_proc_add(f->root, &(FakeProc){ .pid = 303,
					    .comm = "sshd",
					    .rss_kb = 100,
					    .cgroup = "/batch.slice/job1.scope/helpers/ssh" });
	refresh(f);
	g_assert_cmpint(choose(f), ==, 302);
	g_assert_false(f->ch.kill_group);
	g_assert_cmpstr(
		f->ch.reason, ==,
		"highest badness; rule 'batch-jobs' (kill-group); cgroup "
		"/batch.slice/job1.scope holds protected pid 303 (sshd): this process only: "
		"badness 60000 kB (rss 60000 + swap 0 + page tables 0 kB, oom_score_adj 0)");

	/* a sibling cgroup with a similar name does not count */
	g_autofree char *d303 = g_build_filename(f->root, "303", NULL);
	fake_write(d303, "cgroup", "0::/batch.slice/job1.scope2\n", -1);
	g_assert_cmpint(candidates_refresh(f->c, CANDIDATES_REFRESH_FULL, &f->stats), ==, 0);
	g_assert_cmpuint(f->stats.n_updated, ==, N_UNTOUCHABLE + 7); /* FULL: everything */
	g_assert_cmpint(choose(f), ==, 302);
	g_assert_true(f->ch.kill_group);

	/* never the root cgroup */
	load_rules(f, "rules:\n  - { name: all, action: kill-group }\n");
	g_autofree char *d302 = g_build_filename(f->root, "302", NULL);
	fake_write(d302, "cgroup", "0::/\n", -1);
	g_assert_cmpint(candidates_refresh(f->c, CANDIDATES_REFRESH_FULL, NULL), ==, 0);
	g_assert_cmpint(choose(f), ==, 302);
	g_assert_false(f->ch.kill_group);
	g_assert_true(strstr(f->ch.reason, "; root or no cgroup: this process only: ") != NULL);
}

static void test_never(Fixture *f, gconstpointer data)
{
	refresh(f);
	g_assert_cmpuint(candidates_size(f->c), ==, N_UNTOUCHABLE);
	choice_done(&f->ch);
	g_assert_cmpint(candidates_choose(f->c, NULL, &f->ch), ==, -ESRCH);
	g_assert_cmpuint(f->ch.n_protected, ==, N_UNTOUCHABLE);
	g_assert_cmpuint(f->ch.n_eligible, ==, 0);

	/* no rule can make them eligible */
	load_rules(f, "rules:\n  - { name: any, action: prefer, weight: 1000 }\n");
	choice_done(&f->ch);
	g_assert_cmpint(candidates_choose(f->c, f->rules, &f->ch), ==, -ESRCH);

	fake_proc_add(f->root, &(FakeProc){ .pid = 500, .comm = "tiny", .rss_kb = 4 });
	refresh(f);
	g_assert_cmpint(choose(f), ==, 500);
	g_assert_cmpuint(f->ch.n_top, ==, 1);
	g_assert_cmpuint(f->stats.n_malformed + f->stats.n_unreadable, ==, 0);
	g_assert_cmpuint(f->warnings, ==, 0);
}

static void test_malformed(Fixture *f, gconstpointer data)
{
	g_autofree char *d = NULL;

	add_three(f->root);
	/* valid, with a comm full of spaces and parentheses, and the largest */
	fake_proc_add(f->root, &(FakeProc){ .pid = 400, .comm = "a) (b c) S 1", .rss_kb = 70000 });
	/* truncated stat */
	fake_proc_add(f->root, &(FakeProc){ .pid = 401, .comm = "trunc", .rss_kb = 800000 });
	d = g_build_filename(f->root, "401", NULL);
	fake_write(d, "stat", "401 (trunc) S 1 401 401 0 -1 0 0 0", -1);
	g_clear_pointer(&d, g_free);
	/* stat of another pid */
	fake_proc_add(f->root, &(FakeProc){ .pid = 402, .comm = "liar", .rss_kb = 800000 });
	d = g_build_filename(f->root, "402", NULL);
	fake_write(d, "stat", "1 (liar) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0\n", -1);
	g_clear_pointer(&d, g_free);
	/* garbage status */
	fake_proc_add(f->root, &(FakeProc){ .pid = 403, .comm = "garbage", .rss_kb = 800000 });
	d = g_build_filename(f->root, "403", NULL);
	fake_write(d, "status", "Uid:\t0\t0\t0\t0\nVmRSS:\t lots kB\n", -1);
	g_clear_pointer(&d, g_free);
	/* garbage oom_score_adj */
	fake_proc_add(f->root, &(FakeProc){ .pid = 404, .comm = "badadj", .rss_kb = 800000 });
	d = g_build_filename(f->root, "404", NULL);
	fake_write(d, "oom_score_adj", "-1000x\n", -1);
	g_clear_pointer(&d, g_free);
	/* unreadable status (a directory: EISDIR, since root reads any mode) */
	fake_proc_add(f->root, &(FakeProc){ .pid = 405, .comm = "unreadable", .rss_kb = 800000 });
	d = g_build_filename(f->root, "405", "status", NULL);
	g_assert_cmpint(g_unlink(d), ==, 0);
	g_assert_cmpint(g_mkdir(d, 0755), ==, 0);
	g_clear_pointer(&d, g_free);
	/* gone between readdir and open: an empty directory, and a file instead of a directory */
	d = g_build_filename(f->root, "406", NULL);
	g_assert_cmpint(g_mkdir(d, 0755), ==, 0);
	g_clear_pointer(&d, g_free);
	fake_write(f->root, "407", "x", -1);
	/* not processes at all */
	d = g_build_filename(f->root, "12abc", NULL);
	g_assert_cmpint(g_mkdir(d, 0755), ==, 0);
	g_clear_pointer(&d, g_free);
	d = g_build_filename(f->root, "0", NULL);
	g_assert_cmpint(g_mkdir(d, 0755), ==, 0);
	g_clear_pointer(&d, g_free);
	g_assert_cmpint(symlink("1", (d = g_build_filename(f->root, "self", NULL))), ==, 0);
	g_clear_pointer(&d, g_free);

	refresh(f);
	g_assert_cmpuint(f->stats.n_malformed, ==, 4);	/* 401 402 403 404 */
	g_assert_cmpuint(f->stats.n_unreadable, ==, 2); /* 405, 407 */
	g_assert_cmpuint(f->stats.n_vanished, ==, 1);	/* 406 */
	g_assert_cmpuint(f->warnings, ==, 6);
	g_assert_cmpuint(f->stats.n_processes, ==, N_UNTOUCHABLE + 4);
	g_assert_null(candidates_get(f->c, 401));
	g_assert_cmpint(choose(f), ==, 400);
	g_assert_cmpstr(f->ch.comm, ==, "a) (b c) S 1");
	g_assert_cmpint(f->ch.badness_kb, ==, 70000);

	/* a process that went bad after it was read is dropped, not kept stale */
	d = g_build_filename(f->root, "400", NULL);
	fake_write(d, "stat", "400 (a) (b", -1);
	g_clear_pointer(&d, g_free);
	refresh(f);
	g_assert_null(candidates_get(f->c, 400));
	g_assert_cmpint(choose(f), ==, 201);

	/* no meminfo: still works, oom_score_adj just weighs nothing */
	d = g_build_filename(f->root, "meminfo", NULL);
	g_assert_cmpint(g_unlink(d), ==, 0);
	g_clear_pointer(&d, g_free);
	refresh(f);
	g_assert_cmpint(choose(f), ==, 201);
}

static void test_refresh(Fixture *f, gconstpointer data)
{
	g_autofree char *d201 = g_build_filename(f->root, "201", NULL);
	g_autofree char *d202 = g_build_filename(f->root, "202", NULL);

	add_three(f->root);
	refresh(f);
	g_assert_cmpuint(f->stats.n_new, ==, N_UNTOUCHABLE + 3);
	refresh(f);
	g_assert_cmpuint(f->stats.n_new, ==, 0);
	g_assert_cmpuint(f->stats.n_unchanged, ==, N_UNTOUCHABLE + 3);
	g_assert_cmpuint(f->stats.n_updated, ==, 0);

	/* status changed but stat did not (only VmSwap, which stat lacks): not re-read */
	fake_proc_add(f->root, &(FakeProc){ .pid = 202,
					    .comm = "mid",
					    .uid = 1002,
					    .rss_kb = 20000,
					    .swap_kb = 90000 });
	refresh(f);
	g_assert_cmpuint(f->stats.n_updated, ==, 0);
	g_assert_cmpint(choose(f), ==, 201);
	/* once the process runs, its stat changes and it is re-read */
	fake_proc_stat(f->root,
		       &(FakeProc){ .pid = 202, .comm = "mid", .rss_kb = 20000, .utime = 5 });
	refresh(f);
	g_assert_cmpuint(f->stats.n_updated, ==, 1);
	g_assert_cmpint(choose(f), ==, 202);
	g_assert_cmpint(f->ch.badness_kb, ==, 110000);
	/* RSS is in stat too (field 24): a growing process is re-read even if it slept */
	fake_proc_add(f->root, &(FakeProc){ .pid = 201, .comm = "big", .rss_kb = 200000 });
	refresh(f);
	g_assert_cmpuint(f->stats.n_updated, ==, 1);
	g_assert_cmpint(choose(f), ==, 201);
	g_assert_cmpint(f->ch.badness_kb, ==, 200000);
	fake_proc_add(f->root,
		      &(FakeProc){ .pid = 201, .comm = "big", .uid = 1001, .rss_kb = 50000 });
	refresh(f);

	/* bands survive a refresh, and rules match on them */
	g_assert_cmpint(candidates_set_band(f->c, 200, 1001, 10), ==, 0);
	g_assert_cmpint(candidates_set_band(f->c, 12345, 0, 10), ==, -ESRCH);
	/* a registration of pid 200 by uid 0: pid 200 is uid 1001's process */
	g_assert_cmpint(candidates_set_band(f->c, 200, 0, 10), ==, -EPERM);
	load_rules(f,
		   "rules:\n  - { name: low-band, match: { band: 0-20 }, action: prefer, weight: "
		   "1000 }\n");
	refresh(f);
	g_assert_cmpint(choose(f), ==, 200);
	g_assert_cmpint(candidates_get(f->c, 200)->band, ==, 10);

	/* gone */
	fake_rm_rf(d202);
	refresh(f);
	g_assert_cmpuint(f->stats.n_gone, ==, 1);
	g_assert_null(candidates_get(f->c, 202));

	/* the pid reused by a new process: re-read, and it registered no band */
	fake_proc_add(f->root, &(FakeProc){ .pid = 202, .comm = "mid", .rss_kb = 10 });
	g_autofree char *d200 = g_build_filename(f->root, "200", NULL);
	fake_rm_rf(d200);
	fake_proc_add(f->root,
		      &(FakeProc){ .pid = 200, .comm = "reborn", .rss_kb = 10, .starttime = 9999 });
	refresh(f);
	g_assert_cmpuint(f->stats.n_new, ==, 1);
	g_assert_cmpuint(f->stats.n_updated, ==, 1);
	g_assert_cmpint(candidates_get(f->c, 200)->band, ==, -1);
	g_assert_cmpstr(candidates_get(f->c, 200)->comm, ==, "reborn");
	g_assert_cmpint(choose(f), ==, 201);
	(void)d201;

	/* new only: a new process is read, a known one keeps its figures */
	fake_proc_add(f->root, &(FakeProc){ .pid = 203, .comm = "newcomer", .rss_kb = 300000 });
	fake_proc_add(f->root, &(FakeProc){ .pid = 201, .comm = "big", .uid = 1001,
					    .rss_kb = 900000 });
	g_assert_cmpint(candidates_refresh(f->c, CANDIDATES_REFRESH_NEW_ONLY, &f->stats), ==, 0);
	g_assert_cmpuint(f->stats.n_new, ==, 1);
	g_assert_cmpuint(f->stats.n_updated, ==, 0);
	g_assert_cmpint(candidates_get(f->c, 201)->rss_kb, ==, 50000);
	g_assert_cmpint(choose(f), ==, 203);
	refresh(f);
	g_assert_cmpuint(f->stats.n_updated, ==, 1);
	g_assert_cmpint(choose(f), ==, 201);
	{
		g_autofree char *d203 = g_build_filename(f->root, "203", NULL);

		fake_rm_rf(d203);
	}
	fake_proc_add(f->root,
		      &(FakeProc){ .pid = 201, .comm = "big", .uid = 1001, .rss_kb = 50000 });
	refresh(f);

	/* rules swapped between two choices: the match cache follows */
	load_rules(
		f,
		"rules:\n  - { name: r, match: { comm: reborn }, action: prefer, weight: 1000 }\n");
	g_assert_cmpint(choose(f), ==, 200);
	load_rules(f,
		   "rules:\n  - { name: r, match: { comm: mid }, action: prefer, weight: 1000 }\n");
	g_assert_cmpint(choose(f), ==, 202);

	g_assert_cmpuint(f->warnings, ==, 0);
}

static void test_unit_exe_cmdline(Fixture *f, gconstpointer data)
{
	add_three(f->root);
	fake_proc_add(f->root, &(FakeProc){ .pid = 600,
					    .comm = "svc",
					    .rss_kb = 100,
					    .cgroup = "/system.slice/app.service",
					    .exe = "/opt/app/bin/svc",
					    .cmdline = "/opt/app/bin/svc\n--mode\nfast" });
	load_rules(f, "rules:\n  - { name: u, match: { unit: app.service }, action: prefer, "
		      "weight: 100 }\n");
	refresh(f);
	g_assert_cmpint(choose(f), ==, 600);
	load_rules(
		f,
		"rules:\n  - { name: e, match: { exe: /opt/* }, action: prefer, weight: 100 }\n");
	g_assert_cmpint(choose(f), ==, 600);
	load_rules(f,
		   "rules:\n  - { name: c, match: { cmdline: \"--mode fast$\" }, action: prefer, "
		   "weight: 100 }\n");
	g_assert_cmpint(choose(f), ==, 600);
	load_rules(f,
		   "rules:\n  - { name: c, match: { cmdline: \"--mode slow$\" }, action: prefer, "
		   "weight: 100 }\n");
	g_assert_cmpint(choose(f), ==, 201);
}

/*
 * A process whose memory is on its way back holds the choice: the victim of
 * a kernel OOM kill that came first, past exit_mm() (no VmRSS), or exiting
 * with a sizeable mm. Choosing the next largest would kill an innocent.
 */
static void test_dying(Fixture *f, gconstpointer data)
{
	g_autofree char *d300 = g_build_filename(f->root, "300", NULL);

	add_three(f->root);
	refresh(f);
	g_assert_cmpint(choose(f), ==, 201);

	/* the kernel's victim, its mm released, exit_mmap still running */
	fake_proc_add(f->root, &(FakeProc){ .pid = 300, .comm = "hog", .state = 'R',
					    .flags = PROCFS_PF_EXITING, .rss_kb = -1 });
	refresh(f);
	choice_done(&f->ch);
	g_assert_cmpint(candidates_choose(f->c, f->rules, &f->ch), ==, -EBUSY);
	g_assert_cmpint(f->ch.pid, ==, 300);
	g_assert_nonnull(strstr(f->ch.reason, "exiting"));

	/* an exit that takes too long stops holding the choice */
	candidates_ignore_dying(f->c, 300);
	g_assert_cmpint(choose(f), ==, 201);
	candidates_ignore_dying(f->c, 0);

	/* still exiting, mm not yet released and large: the same */
	fake_proc_add(f->root, &(FakeProc){ .pid = 300, .comm = "hog", .state = 'R',
					    .flags = PROCFS_PF_EXITING, .rss_kb = 400000,
					    .utime = 1 });
	refresh(f);
	choice_done(&f->ch);
	g_assert_cmpint(candidates_choose(f->c, f->rules, &f->ch), ==, -EBUSY);

	/* a small process exiting is no reason to wait */
	fake_proc_add(f->root, &(FakeProc){ .pid = 300, .comm = "hog", .state = 'R',
					    .flags = PROCFS_PF_EXITING, .rss_kb = 100, .utime = 2 });
	refresh(f);
	g_assert_cmpint(choose(f), ==, 201);

	/* a zombie has freed all it had */
	fake_proc_add(f->root, &(FakeProc){ .pid = 300, .comm = "hog", .state = 'Z',
					    .flags = PROCFS_PF_EXITING, .rss_kb = -1, .utime = 3 });
	refresh(f);
	g_assert_cmpint(choose(f), ==, 201);
	fake_rm_rf(d300);
}

/* A record as the module would send it for a FakeProc's process. */
static CandidateRecord record_of(pid_t pid, const char *comm, uid_t uid, uint64_t rss_kb)
{
	CandidateRecord r = { .pid = pid, .ppid = 1, .starttime = 100ull + (unsigned long long)pid,
			      .state = 'S', .uid = uid, .has_mm = true, .rss_kb = rss_kb,
			      .cgroup_id = 7, .exec_id = 1 };

	g_strlcpy(r.comm, comm, sizeof(r.comm));
	return r;
}

static void test_records(Fixture *f, gconstpointer data)
{
	g_autofree char *d200 = g_build_filename(f->root, "200", NULL);
	CandidateRecord recs[] = {
		record_of(200, "small", 1001, 1000),
		record_of(201, "big", 1001, 50000),
		record_of(202, "mid", 1002, 20000),
	};
	const Candidate *cand;

	/* /proc says otherwise about memory: the records' figures are the ones taken */
	fake_proc_add(f->root, &(FakeProc){ .pid = 200, .comm = "small", .uid = 1001,
					    .rss_kb = 90000, .cmdline = "small\n--cache",
					    .cgroup = "/app.slice/small.service" });
	fake_proc_add(f->root, &(FakeProc){ .pid = 201, .comm = "big", .uid = 1001, .rss_kb = 10 });
	fake_proc_add(f->root, &(FakeProc){ .pid = 202, .comm = "mid", .uid = 1002, .rss_kb = 10 });
	g_assert_cmpint(candidates_refresh_records(f->c, recs, G_N_ELEMENTS(recs), 0, &f->stats),
			==, 0);
	g_assert_cmpuint(f->stats.n_new, ==, 3);
	g_assert_cmpuint(f->stats.n_processes, ==, 3); /* only what the records list */
	cand = candidates_get(f->c, 200);
	g_assert_nonnull(cand);
	g_assert_cmpuint(cand->rss_kb, ==, 1000);
	g_assert_cmpstr(cand->cmdline, ==, "small --cache");
	g_assert_cmpstr(cand->cgroup, ==, "/app.slice/small.service");
	g_assert_cmpstr(cand->exe, ==, "/usr/bin/small");
	g_assert_cmpint(choose(f), ==, 201);

	/* known processes: figures from the records, /proc not opened (200's is gone) */
	fake_rm_rf(d200);
	recs[0].rss_kb = 80000;
	g_assert_cmpint(candidates_refresh_records(f->c, recs, G_N_ELEMENTS(recs), 0, &f->stats),
			==, 0);
	g_assert_cmpuint(f->stats.n_unchanged, ==, 3);
	g_assert_cmpint(choose(f), ==, 200);
	g_assert_cmpstr(f->ch.exe, ==, "/usr/bin/small");

	/* an execve: the strings are read again */
	fake_proc_add(f->root, &(FakeProc){ .pid = 200, .comm = "small", .uid = 1001,
					    .rss_kb = 10, .cmdline = "small\n--other" });
	recs[0].exec_id++;
	g_assert_cmpint(candidates_refresh_records(f->c, recs, G_N_ELEMENTS(recs), 0, &f->stats),
			==, 0);
	g_assert_cmpuint(f->stats.n_updated, ==, 1);
	g_assert_cmpstr(candidates_get(f->c, 200)->cmdline, ==, "small --other");

	/* so is a move to another cgroup */
	fake_proc_add(f->root, &(FakeProc){ .pid = 202, .comm = "mid", .uid = 1002, .rss_kb = 10,
					    .cgroup = "/system.slice/mid.service" });
	recs[2].cgroup_id = 8;
	g_assert_cmpint(candidates_refresh_records(f->c, recs, G_N_ELEMENTS(recs), 0, &f->stats),
			==, 0);
	g_assert_cmpstr(candidates_get(f->c, 202)->cgroup, ==, "/system.slice/mid.service");

	/* a pid reused since the dump: the directory is another process, not taken */
	recs[1].starttime = 5;
	g_assert_cmpint(candidates_refresh_records(f->c, recs, G_N_ELEMENTS(recs), 0, &f->stats),
			==, 0);
	g_assert_null(candidates_get(f->c, 201));
	g_assert_cmpuint(f->stats.n_gone, ==, 1);

	/* a process gone from the records is gone from the list */
	g_assert_cmpint(candidates_refresh_records(f->c, recs, 1, 0, &f->stats), ==, 0);
	g_assert_cmpuint(candidates_size(f->c), ==, 1);

	/* records out of order are refused, the list kept */
	recs[1] = recs[0];
	g_assert_cmpint(candidates_refresh_records(f->c, recs, 2, 0, &f->stats), ==, -EINVAL);
	g_assert_cmpuint(candidates_size(f->c), ==, 1);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
#define T(path, fn) g_test_add(path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
	T("/killer/candidates/largest", test_largest);
	T("/killer/candidates/oom-score-adj", test_oom_score_adj);
	T("/killer/candidates/protect", test_protect);
	T("/killer/candidates/avoid", test_avoid);
	T("/killer/candidates/prefer", test_prefer);
	T("/killer/candidates/kill-group", test_kill_group);
	T("/killer/candidates/never", test_never);
	T("/killer/candidates/malformed", test_malformed);
	T("/killer/candidates/refresh", test_refresh);
	T("/killer/candidates/dying", test_dying);
	T("/killer/candidates/records", test_records);
	T("/killer/candidates/unit-exe-cmdline", test_unit_exe_cmdline);
#undef T
	return g_test_run();
}
