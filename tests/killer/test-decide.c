/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The killer daemon's own decisions (decide.h): the deadline and grace
 * overrides, the floor, the headroom, the refresh cadence, the holds of a
 * dying process and when a kill starts.
 */
#include <glib.h>

#include "decide.h"
#include "episode.h"

#define MS    G_GUINT64_CONSTANT(1000)
#define S     (1000 * MS)
#define UNSET KILLER_USEC_UNSET

/* The deadline and the grace */

static void test_effective(void)
{
	const Rule own = { .deadline_usec = 7 * S, .grace_usec = RULES_USEC_UNSET };

	/* no override: the choice's value */
	g_assert_cmpuint(killer_effective(10 * S, UNSET, NULL, 0), ==, 10 * S);
	g_assert_cmpuint(killer_effective(10 * S, UNSET, &own, 7 * S), ==, 10 * S);
	/* an override replaces the defaults: no rule, or a rule that sets nothing */
	g_assert_cmpuint(killer_effective(10 * S, 2 * S, NULL, 0), ==, 2 * S);
	g_assert_cmpuint(killer_effective(10 * S, 2 * S, &own, RULES_USEC_UNSET), ==, 2 * S);
	/* an override of 0 is one too */
	g_assert_cmpuint(killer_effective(10 * S, 0, NULL, 0), ==, 0);
	/* but never what the rule says itself */
	g_assert_cmpuint(killer_effective(7 * S, 2 * S, &own, 7 * S), ==, 7 * S);
	g_assert_cmpuint(killer_effective(0, 2 * S, &own, 0), ==, 0);
}

static void test_wait_deadlines(void)
{
	const Rules rules = { .helper_deadline_usec = 1 * S };
	const Rule silent = { .deadline_usec = RULES_USEC_UNSET, .grace_usec = RULES_USEC_UNSET };
	const Rule own = { .deadline_usec = 4 * S, .grace_usec = 500 * MS };
	KillerConfig cfg = { .deadline_usec = UNSET,
			     .grace_usec = UNSET,
			     .helper_deadline_usec = UNSET };
	Choice ch = { .deadline_usec = 10 * S, .grace_usec = 3 * S };
	WaitDeadlines d;

	/* the defaults */
	d = killer_wait_deadlines(&ch, &cfg, &rules);
	g_assert_cmpuint(d.full_usec, ==, 10 * S);
	g_assert_cmpuint(d.helper_usec, ==, 1 * S);
	g_assert_cmpuint(d.rule_usec, ==, WAIT_USEC_UNSET);
	g_assert_cmpuint(killer_grace(&ch, &cfg), ==, 3 * S);

	/* the command line over the defaults */
	cfg.deadline_usec = 20 * S;
	cfg.grace_usec = 5 * S;
	cfg.helper_deadline_usec = 2 * S;
	d = killer_wait_deadlines(&ch, &cfg, &rules);
	g_assert_cmpuint(d.full_usec, ==, 20 * S);
	g_assert_cmpuint(d.helper_usec, ==, 2 * S);
	g_assert_cmpuint(d.rule_usec, ==, WAIT_USEC_UNSET);
	g_assert_cmpuint(killer_grace(&ch, &cfg), ==, 5 * S);

	/* a rule that sets nothing is no obstacle */
	ch.rule = &silent;
	d = killer_wait_deadlines(&ch, &cfg, &rules);
	g_assert_cmpuint(d.full_usec, ==, 20 * S);
	g_assert_cmpuint(d.rule_usec, ==, WAIT_USEC_UNSET);
	g_assert_cmpuint(killer_grace(&ch, &cfg), ==, 5 * S);

	/* a rule's own deadline and grace keep the last word */
	ch.rule = &own;
	ch.deadline_usec = own.deadline_usec;
	ch.grace_usec = own.grace_usec;
	d = killer_wait_deadlines(&ch, &cfg, &rules);
	g_assert_cmpuint(d.full_usec, ==, 4 * S);
	g_assert_cmpuint(d.rule_usec, ==, 4 * S);
	g_assert_cmpuint(d.helper_usec, ==, 2 * S);
	g_assert_cmpuint(killer_grace(&ch, &cfg), ==, 500 * MS);
}

/* The floor and the headroom */

static void test_floor(void)
{
	const Rules rules = { .floor_permille = 50 };
	const uint64_t gib = G_GUINT64_CONSTANT(1) << 30;

	g_assert_cmpint(killer_floor_permille(-1, NULL), ==, RULES_DEFAULT_FLOOR_PERMILLE);
	g_assert_cmpint(killer_floor_permille(-1, &rules), ==, 50);
	g_assert_cmpint(killer_floor_permille(0, &rules), ==, 0);
	g_assert_cmpint(killer_floor_permille(20, &rules), ==, 20);

	/* whole thousandths of MemTotal, times the permille */
	g_assert_cmpuint(killer_floor_bytes(1000000, 30), ==, 30000);
	g_assert_cmpuint(killer_floor_bytes(1000999, 30), ==, 30000);
	g_assert_cmpuint(killer_floor_bytes(1001000, 30), ==, 30030);
	g_assert_cmpuint(killer_floor_bytes(999, 30), ==, 0);
	g_assert_cmpuint(killer_floor_bytes(16 * gib, 30), ==, 16 * gib / 1000 * 30);
	g_assert_cmpuint(killer_floor_bytes(16 * gib, 0), ==, 0);
	g_assert_cmpuint(killer_floor_bytes(16 * gib, 1000), ==, 16 * gib / 1000 * 1000);
}

static void test_headroom(void)
{
	g_assert_cmpuint(killer_headroom(100, 0), ==, 100);
	g_assert_cmpuint(killer_headroom(100, 50), ==, 150);
	g_assert_cmpuint(killer_headroom(0, 50), ==, 50);
	/* the swap's worth, never more than what is free now */
	g_assert_cmpuint(killer_swap_worth(40, 100), ==, 40);
	g_assert_cmpuint(killer_swap_worth(100, 100), ==, 100);
	g_assert_cmpuint(killer_swap_worth(101, 100), ==, 100);
	g_assert_cmpuint(killer_swap_worth(100, 0), ==, 0);
}

/* The refresh cadence */

static void test_refresh_interval(void)
{
	g_assert_cmpuint(killer_refresh_interval(OOM_NOTIFY_LEVEL_NORMAL), ==, 30 * S);
	g_assert_cmpuint(killer_refresh_interval(OOM_NOTIFY_LEVEL_LOW), ==, 3 * S);
	g_assert_cmpuint(killer_refresh_interval(OOM_NOTIFY_LEVEL_MEDIUM), ==, 1 * S);
	g_assert_cmpuint(killer_refresh_interval(OOM_NOTIFY_LEVEL_CRITICAL), ==, 1 * S);

	/* an interval after the last whole re-read, now at the earliest */
	g_assert_cmpuint(killer_refresh_at(100 * S, OOM_NOTIFY_LEVEL_NORMAL, 101 * S), ==, 130 * S);
	g_assert_cmpuint(killer_refresh_at(100 * S, OOM_NOTIFY_LEVEL_LOW, 101 * S), ==, 103 * S);
	g_assert_cmpuint(killer_refresh_at(100 * S, OOM_NOTIFY_LEVEL_LOW, 103 * S), ==, 103 * S);
	g_assert_cmpuint(killer_refresh_at(100 * S, OOM_NOTIFY_LEVEL_LOW, 200 * S), ==, 200 * S);
	g_assert_cmpuint(killer_refresh_at(100 * S, OOM_NOTIFY_LEVEL_CRITICAL, 100 * S), ==,
			 101 * S);
}

static void test_refresh_kind(void)
{
	const uint64_t t = 1000 * S;

	/* never a full one: the first is */
	g_assert_cmpint(killer_refresh_kind(KILLER_REFRESH_CHANGED, 0, t), ==, KILLER_REFRESH_FULL);
	/* a full one a minute ago, to the microsecond: again */
	g_assert_cmpint(
		killer_refresh_kind(KILLER_REFRESH_CHANGED, t - KILLER_FULL_REFRESH_USEC, t), ==,
		KILLER_REFRESH_FULL);
	g_assert_cmpint(
		killer_refresh_kind(KILLER_REFRESH_CHANGED, t - KILLER_FULL_REFRESH_USEC + 1, t),
		==, KILLER_REFRESH_CHANGED);
	g_assert_cmpuint(KILLER_FULL_REFRESH_USEC, ==, 60 * S);
	/* a look at newcomers stays one, however old the last full one */
	g_assert_cmpint(killer_refresh_kind(KILLER_REFRESH_NEW, 0, t), ==, KILLER_REFRESH_NEW);
	g_assert_cmpint(killer_refresh_kind(KILLER_REFRESH_FULL, t, t), ==, KILLER_REFRESH_FULL);
}

static void test_refresh_done(void)
{
	uint64_t last = 5 * S, full = 2 * S;

	/* a look at newcomers is not a re-read */
	killer_refresh_done(&last, &full, KILLER_REFRESH_NEW, 9 * S);
	g_assert_cmpuint(last, ==, 5 * S);
	g_assert_cmpuint(full, ==, 2 * S);
	killer_refresh_done(&last, &full, KILLER_REFRESH_CHANGED, 10 * S);
	g_assert_cmpuint(last, ==, 10 * S);
	g_assert_cmpuint(full, ==, 2 * S);
	killer_refresh_done(&last, &full, KILLER_REFRESH_FULL, 11 * S);
	g_assert_cmpuint(last, ==, 11 * S);
	g_assert_cmpuint(full, ==, 11 * S);
}

static void test_stale(void)
{
	g_assert_true(killer_list_stale(0, 1 * S));
	g_assert_false(killer_list_stale(10 * S, 10 * S));
	g_assert_false(killer_list_stale(10 * S, 10 * S + KILLER_STALE_USEC));
	g_assert_true(killer_list_stale(10 * S, 10 * S + KILLER_STALE_USEC + 1));
	g_assert_cmpuint(KILLER_STALE_USEC, ==, 2 * S);
}

/* The choice */

static void test_dying_hold(void)
{
	pid_t pid = 0;
	unsigned holds = 0;

	/* the first hold by 42 */
	g_assert_false(killer_dying_hold(&pid, &holds, 42));
	g_assert_cmpint(pid, ==, 42);
	g_assert_cmpuint(holds, ==, 1);
	g_assert_false(killer_dying_hold(&pid, &holds, 42));
	g_assert_cmpuint(holds, ==, 2);
	/* the third in a row: chosen without it */
	g_assert_cmpuint(KILLER_DYING_HOLDS_MAX, ==, 3);
	g_assert_true(killer_dying_hold(&pid, &holds, 42));
	g_assert_cmpuint(holds, ==, 3);
	g_assert_true(killer_dying_hold(&pid, &holds, 42));
	g_assert_cmpuint(holds, ==, 4);
	/* another process starts over */
	g_assert_false(killer_dying_hold(&pid, &holds, 43));
	g_assert_cmpint(pid, ==, 43);
	g_assert_cmpuint(holds, ==, 1);
	g_assert_false(killer_dying_hold(&pid, &holds, 42));
	g_assert_false(killer_dying_hold(&pid, &holds, 42));
	g_assert_true(killer_dying_hold(&pid, &holds, 42));
}

static void test_kill_starts(void)
{
	g_assert_false(killer_kill_starts(0, false));
	g_assert_false(killer_kill_starts(EPISODE_ACT_RELEASE | EPISODE_ACT_REPORT_KILLED, false));
	g_assert_true(killer_kill_starts(EPISODE_ACT_SIGTERM, false));
	g_assert_true(killer_kill_starts(EPISODE_ACT_KILL_GROUP, false));
	g_assert_true(killer_kill_starts(EPISODE_ACT_KILL_GROUP, true));
	/* a SIGKILL starts the kill only without a SIGTERM before it */
	g_assert_true(killer_kill_starts(EPISODE_ACT_SIGKILL, false));
	g_assert_false(killer_kill_starts(EPISODE_ACT_SIGKILL, true));
	g_assert_false(killer_kill_starts(EPISODE_ACT_DRY_RUN, false));
}

int main(int argc, char *argv[])
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/killer/decide/effective", test_effective);
	g_test_add_func("/killer/decide/wait-deadlines", test_wait_deadlines);
	g_test_add_func("/killer/decide/floor", test_floor);
	g_test_add_func("/killer/decide/headroom", test_headroom);
	g_test_add_func("/killer/decide/refresh-interval", test_refresh_interval);
	g_test_add_func("/killer/decide/refresh-kind", test_refresh_kind);
	g_test_add_func("/killer/decide/refresh-done", test_refresh_done);
	g_test_add_func("/killer/decide/stale", test_stale);
	g_test_add_func("/killer/decide/dying-hold", test_dying_hold);
	g_test_add_func("/killer/decide/kill-starts", test_kill_starts);
	return g_test_run();
}
