/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Not a test: how long refresh and choose take on fake /proc trees of 100,
 * 1 000 and 10 000 processes, with a realistic rules file (a regex, a user,
 * cgroup globs). `bench-choose [--proc /proc]` also measures a real /proc.
 */
#include <errno.h>
#include <glib.h>
#include <stdlib.h>
#include <time.h>

#include "bench-util.h"
#include "candidates.h"
#include "fake-proc.h"

static const char rules_text[] =
	"rules:\n"
	"  - { name: never-ssh, match: { comm: sshd }, action: protect }\n"
	"  - { name: never-db, match: { exe: \"/usr/lib/postgresql/*\" }, action: protect }\n"
	"  - { name: browsers, match: { cmdline: \"^/usr/lib/chromium/.*--type=renderer\", user: "
	"\"1000\" }, action: prefer, weight: 300 }\n"
	"  - { name: batch, match: { cgroup: \"/batch.slice/*\" }, action: kill-group, deadline: "
	"5s "
	"}\n"
	"  - { name: shells, match: { comm: \"*sh\" }, action: avoid }\n"
	"  - { name: low-band, match: { band: 0-10 }, action: avoid }\n"
	"  - { name: web, match: { unit: \"nginx*.service\" }, action: avoid }\n"
	"  - { name: pinned, match: { oom_score_adj: \"-999..-500\" }, action: avoid }\n";

static void build_tree(const char *root, int n)
{
	static const char *const cgroups[] = { "/user.slice/user-1000.slice/session-1.scope",
					       "/system.slice/nginx.service",
					       "/batch.slice/job.scope",
					       "/system.slice/cron.service" };
	GRand *rand = g_rand_new_with_seed((guint32)n);

	for (int i = 0; i < n; i++) {
		g_autofree char *comm = g_strdup_printf("proc%d", i);
		g_autofree char *cmd =
			g_strdup_printf("/usr/lib/chromium/chromium\n--type=%s\n--id=%d",
					i % 3 ? "renderer" : "gpu", i);

		fake_proc_add(root, &(FakeProc){ .pid = 1000 + i,
						 .comm = comm,
						 .uid = i % 2 ? 1000 : 1001,
						 .rss_kb = g_rand_int_range(rand, 100, 2000000),
						 .swap_kb = g_rand_int_range(rand, 0, 1000),
						 .pte_kb = g_rand_int_range(rand, 4, 400),
						 .adj = i % 50 == 0 ? -600 : 0,
						 .cmdline = cmd,
						 .cgroup = cgroups[i % G_N_ELEMENTS(cgroups)] });
	}
	g_rand_free(rand);
}

static void touch_stats(const char *root, int n, int every, unsigned long utime)
{
	for (int i = 0; i < n; i += every) {
		g_autofree char *comm = g_strdup_printf("proc%d", i);

		fake_proc_stat(root, &(FakeProc){ .pid = 1000 + i, .comm = comm, .utime = utime });
	}
}

static void bench(const char *root, int n, const Rules *rules)
{
	g_autoptr(GError) error = NULL;
	Candidates *c = NULL;
	CandidatesStats st;
	double t0, cold, warm, changed, first, times[201];
	Choice ch;
	int r;

	r = candidates_new(&(CandidatesOptions){ .proc_root = root, .self_pid = 1 }, &c);
	g_assert_cmpint(r, ==, 0);

	t0 = bench_now_us();
	g_assert_cmpint(candidates_refresh(c, 0, &st), ==, 0);
	cold = bench_now_us() - t0;

	t0 = bench_now_us();
	g_assert_cmpint(candidates_refresh(c, 0, &st), ==, 0);
	warm = bench_now_us() - t0;
	if (n > 0) /* a real /proc changes under us */
		g_assert_cmpuint(st.n_unchanged, ==, st.n_processes);

	if (n > 0) {
		touch_stats(root, n, 10, 7);
		t0 = bench_now_us();
		g_assert_cmpint(candidates_refresh(c, 0, &st), ==, 0);
		changed = bench_now_us() - t0;
	} else
		changed = 0;

	t0 = bench_now_us();
	r = candidates_choose(c, rules, &ch);
	first = bench_now_us() - t0;
	g_assert_cmpint(r, ==, 0);
	choice_done(&ch);

	for (size_t i = 0; i < G_N_ELEMENTS(times); i++) {
		t0 = bench_now_us();
		r = candidates_choose(c, rules, &ch);
		times[i] = bench_now_us() - t0;
		g_assert_cmpint(r, ==, 0);
		if (i + 1 < G_N_ELEMENTS(times))
			choice_done(&ch);
	}
	qsort(times, G_N_ELEMENTS(times), sizeof(times[0]), bench_cmp_double);

	printf("%6zu procs  refresh cold %9.0f us  warm %8.0f us  10%% changed %8.0f us  "
	       "choose first %7.0f us  warm median %6.0f us (max %6.0f)\n",
	       candidates_size(c), cold, warm, changed, first, times[G_N_ELEMENTS(times) / 2],
	       times[G_N_ELEMENTS(times) - 1]);
	printf("        victim %d (%s): %s\n", (int)ch.pid, ch.comm, ch.reason);
	choice_done(&ch);
	candidates_free(c);
}

int main(int argc, char **argv)
{
	static const int sizes[] = { 100, 1000, 10000 };
	g_autofree char *dir = NULL, *rules_path = NULL;
	RulesErrors errs = {};
	Rules *rules = NULL;

	dir = g_dir_make_tmp("oomn-bench-XXXXXX", NULL);
	g_assert_nonnull(dir);
	rules_path = g_build_filename(dir, "rules.yaml", NULL);
	fake_write(dir, "rules.yaml", rules_text, -1);
	g_assert_cmpint(rules_load(rules_path, NULL, &(RulesLoadOptions){ 0 }, &rules, &errs), ==,
			0);

	if (argc == 3 && strcmp(argv[1], "--proc") == 0) {
		bench(argv[2], 0, rules);
	} else {
		for (size_t i = 0; i < G_N_ELEMENTS(sizes); i++) {
			g_autofree char *root = fake_proc_new(16000000, 0);

			build_tree(root, sizes[i]);
			bench(root, sizes[i], rules);
			fake_rm_rf(root);
		}
	}
	rules_free(rules);
	fake_rm_rf(dir);
	return 0;
}
