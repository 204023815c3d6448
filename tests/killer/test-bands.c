/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * wait_clients_apply_bands(): the killer's stored copy of the broker's
 * registry gives the candidates their bands after each refresh, matched by
 * pid and uid, on a fake /proc tree. A client unknown to the list when the
 * copy arrived gets its band at the first refresh that finds it.
 */
#include <glib.h>

#include "candidates.h"
#include "fake-proc.h"
#include "wait-policy.h"

static int band_of(Candidates *c, pid_t pid)
{
	const Candidate *cand = candidates_get(c, pid);

	g_assert_nonnull(cand);
	return cand->band;
}

static void test_apply_after_refresh(void)
{
	g_autofree char *root = fake_proc_new(1000000, 0);
	WaitClient clients[] = {
		{ .pid = 100, .uid = 1000, .band = 10 },
		{ .pid = 200, .uid = 1000, .band = 5 },	  /* not in the list yet */
		{ .pid = 300, .uid = 0, .band = 7 },	  /* pid 300 is another user's now */
		{ .pid = 400, .uid = 1000, .band = -1 },  /* registered no valid band */
		{ .pid = 500, .uid = 1000, .band = 150 }, /* out of range: ignored */
	};
	Candidates *c = NULL;

	for (int pid = 100; pid <= 500; pid += 100)
		if (pid != 200)
			fake_proc_add(root, &(FakeProc){ .pid = pid, .comm = "p", .uid = 1000,
							 .rss_kb = 1000 });
	g_assert_cmpint(candidates_new(&(CandidatesOptions){ .proc_root = root, .self_pid = 1 },
				       &c),
			==, 0);
	g_assert_cmpint(candidates_refresh(c, CANDIDATES_REFRESH_FULL, NULL), ==, 0);
	g_assert_null(candidates_get(c, 200));

	wait_clients_apply_bands(c, clients, G_N_ELEMENTS(clients));
	g_assert_cmpint(band_of(c, 100), ==, 10);
	g_assert_cmpint(band_of(c, 300), ==, -1);
	g_assert_cmpint(band_of(c, 400), ==, -1);
	g_assert_cmpint(band_of(c, 500), ==, -1);

	/* The registered process appears after the copy came: the next refresh finds it, the
	 * stored copy (no new reply) gives it its band. */
	fake_proc_add(root, &(FakeProc){ .pid = 200, .comm = "late", .uid = 1000, .rss_kb = 1000 });
	g_assert_cmpint(candidates_refresh(c, 0, NULL), ==, 0);
	g_assert_cmpint(band_of(c, 200), ==, -1);
	wait_clients_apply_bands(c, clients, G_N_ELEMENTS(clients));
	g_assert_cmpint(band_of(c, 200), ==, 5);
	g_assert_cmpint(band_of(c, 100), ==, 10);

	/* An empty copy (no broker) takes nothing away and gives nothing. */
	wait_clients_apply_bands(c, NULL, 0);
	g_assert_cmpint(band_of(c, 200), ==, 5);

	/* Pid 100 exits and the same user's next process gets it before a new reply: the
	 * stored band went to the first one, the new one has none. */
	{
		g_autofree char *dir = g_strdup_printf("%s/100", root);

		fake_rm_rf(dir);
	}
	g_assert_cmpint(candidates_refresh(c, 0, NULL), ==, 0);
	fake_proc_add(root, &(FakeProc){ .pid = 100, .comm = "reused", .uid = 1000,
					 .rss_kb = 1000, .starttime = 9999 });
	g_assert_cmpint(candidates_refresh(c, 0, NULL), ==, 0);
	wait_clients_apply_bands(c, clients, G_N_ELEMENTS(clients));
	g_assert_cmpint(band_of(c, 100), ==, -1);
	g_assert_cmpint(band_of(c, 200), ==, 5);

	/* A new reply is the whole registry: 200 left it and keeps no band. */
	candidates_clear_bands(c);
	wait_clients_apply_bands(c, clients, 1);
	g_assert_cmpint(band_of(c, 200), ==, -1);
	g_assert_cmpint(band_of(c, 100), ==, -1);

	candidates_free(c);
	fake_rm_rf(root);
}

int main(int argc, char *argv[])
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/killer/bands/apply-after-refresh", test_apply_after_refresh);
	return g_test_run();
}
