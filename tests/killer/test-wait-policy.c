/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The killer's wait policy: who is waited for, the headroom's trend on
 * recorded and synthetic traces, the time left and the kill time.
 */
#include <glib.h>

#include "wait-policy.h"

#define MS	G_GUINT64_CONSTANT(1000)
#define S	(1000 * MS)
#define KIB	G_GUINT64_CONSTANT(1024)
#define MIB	(1024 * KIB)
#define INF	WAIT_USEC_INFINITY
#define FULL	(10 * S)
#define HELPERS (1 * S)

typedef struct {
	guint64 ms, kb; /* since the trace's start; headroom */
} Point;

/* Who can redeem */

static guint64 deadline_for(const WaitClient *c, size_t n, pid_t pid, guint64 rule_usec,
			    WaitReason *why)
{
	WaitDeadlines d = { .full_usec = FULL, .helper_usec = HELPERS, .rule_usec = rule_usec };

	return wait_policy_deadline(c, n, pid, 0, &d, why);
}

static void test_registered(void)
{
	const WaitClient clients[] = {
		{ 10, OOMN_CLIENT_CAN_FREE_MEMORY },
		{ 20, OOMN_CLIENT_CAN_CHECKPOINT },
		{ 30, 0 },
	};
	WaitReason why;

	/* either flag redeems: the full deadline */
	g_assert_cmpuint(deadline_for(clients, 3, 10, WAIT_USEC_UNSET, &why), ==, FULL);
	g_assert_cmpint(why, ==, WAIT_REGISTERED);
	g_assert_cmpuint(deadline_for(clients, 3, 20, WAIT_USEC_UNSET, &why), ==, FULL);
	g_assert_cmpint(why, ==, WAIT_REGISTERED);
	/* registered without a flag: it cannot redeem itself, the others can */
	g_assert_cmpuint(deadline_for(clients, 3, 30, WAIT_USEC_UNSET, &why), ==, HELPERS);
	g_assert_cmpint(why, ==, WAIT_HELPERS);
}

/* A registration is a process, not a number: pid 10 is uid 1000's now. */
static void test_registered_other_uid(void)
{
	const WaitClient clients[] = { { 10, OOMN_CLIENT_CAN_FREE_MEMORY, 0 } };
	const WaitDeadlines d = { .full_usec = FULL,
				  .helper_usec = HELPERS,
				  .rule_usec = WAIT_USEC_UNSET };
	WaitReason why;

	g_assert_cmpuint(wait_policy_deadline(clients, 1, 10, 0, &d, &why), ==, FULL);
	g_assert_cmpint(why, ==, WAIT_REGISTERED);
	/* neither the candidate's registration nor a helper: its process is gone */
	g_assert_cmpuint(wait_policy_deadline(clients, 1, 10, 1000, &d, &why), ==, 0);
	g_assert_cmpint(why, ==, WAIT_NOBODY);
}

static void test_helpers(void)
{
	const WaitClient clients[] = {
		{ 10, OOMN_CLIENT_CAN_FREE_MEMORY },
		{ 20, OOMN_CLIENT_CAN_CHECKPOINT },
	};
	WaitDeadlines d = { .full_usec = 500 * MS,
			    .helper_usec = HELPERS,
			    .rule_usec = WAIT_USEC_UNSET };
	WaitReason why;

	g_assert_cmpuint(deadline_for(clients, 2, 99, WAIT_USEC_UNSET, &why), ==, HELPERS);
	g_assert_cmpint(why, ==, WAIT_HELPERS);
	/* never longer than the candidate itself would have had */
	g_assert_cmpuint(wait_policy_deadline(clients, 2, 99, 0, &d, &why), ==, 500 * MS);
	g_assert_cmpint(why, ==, WAIT_HELPERS);
	/* a checkpointer frees nothing for somebody else: nobody to wait for */
	g_assert_cmpuint(deadline_for(clients + 1, 1, 99, WAIT_USEC_UNSET, &why), ==, 0);
	g_assert_cmpint(why, ==, WAIT_NOBODY);
}

static void test_nobody(void)
{
	const WaitClient clients[] = { { 20, OOMN_CLIENT_CAN_CHECKPOINT }, { 30, 0 } };
	WaitReason why;

	g_assert_cmpuint(deadline_for(NULL, 0, 99, WAIT_USEC_UNSET, &why), ==, 0);
	g_assert_cmpint(why, ==, WAIT_NOBODY);
	g_assert_cmpuint(deadline_for(clients, 2, 99, WAIT_USEC_UNSET, &why), ==, 0);
	g_assert_cmpint(why, ==, WAIT_NOBODY);
	g_assert_cmpuint(deadline_for(clients, 2, 99, WAIT_USEC_UNSET, NULL), ==, 0);
}

static void test_rule(void)
{
	const WaitClient clients[] = { { 10, OOMN_CLIENT_CAN_FREE_MEMORY } };
	WaitReason why;

	/* the rule has the last word, with nobody registered... */
	g_assert_cmpuint(deadline_for(NULL, 0, 99, 5 * S, &why), ==, 5 * S);
	g_assert_cmpint(why, ==, WAIT_RULE);
	/* ...over the helper deadline... */
	g_assert_cmpuint(deadline_for(clients, 1, 99, 5 * S, &why), ==, 5 * S);
	g_assert_cmpint(why, ==, WAIT_RULE);
	/* ...and over a registered candidate's full one, either way */
	g_assert_cmpuint(deadline_for(clients, 1, 10, 0, &why), ==, 0);
	g_assert_cmpint(why, ==, WAIT_RULE);
	g_assert_cmpuint(deadline_for(clients, 1, 10, 30 * S, &why), ==, 30 * S);

	for (int r = 0; r < _WAIT_REASON_MAX; r++)
		g_assert_cmpstr(wait_reason_to_string((WaitReason)r), !=, "?");
	g_assert_cmpstr(wait_reason_to_string(_WAIT_REASON_MAX), ==, "?");
}

/* The trend */

static void feed(WaitTrend *t, const Point *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		wait_trend_add(t, 1000 * S + p[i].ms * MS, p[i].kb * KIB);
}

static guint64 left_after(const Point *p, size_t n, guint64 floor_kb)
{
	WaitTrend t;
	WaitKillTime k;

	wait_trend_init(&t);
	wait_kill_time_init(&k);
	feed(&t, p, n);
	return wait_time_left(&t, floor_kb * KIB, &k);
}

static void test_trend_basics(void)
{
	WaitTrend t;
	WaitKillTime k;

	wait_trend_init(&t);
	wait_kill_time_init(&k);
	/* nothing known: no rate, no cut */
	g_assert_cmpuint(wait_trend_rate(&t), ==, 0);
	g_assert_cmpuint(wait_time_left(&t, MIB, &k), ==, INF);
	wait_trend_add(&t, 10 * S, 100 * MIB);
	g_assert_cmpuint(wait_trend_rate(&t), ==, 0);
	/* 10 MiB in a second */
	wait_trend_add(&t, 11 * S, 90 * MIB);
	g_assert_cmpuint(wait_trend_rate(&t), ==, 10 * MIB);
	/* out of order: ignored; the same time: the newer reading replaces it */
	wait_trend_add(&t, 10 * S + 500 * MS, 0);
	g_assert_cmpuint(wait_trend_rate(&t), ==, 10 * MIB);
	wait_trend_add(&t, 11 * S, 80 * MIB);
	g_assert_cmpuint(wait_trend_rate(&t), ==, 20 * MIB);
	/* 80 MiB, floor 30: 5 s at 10 MiB/s... at 20 MiB/s 2.5 s, less the 500 ms kill time */
	g_assert_cmpuint(wait_time_left(&t, 30 * MIB, &k), ==, 2 * S);
	/* no floor: no cut; at or below the floor: nothing left */
	g_assert_cmpuint(wait_time_left(&t, 0, &k), ==, INF);
	g_assert_cmpuint(wait_time_left(&t, 80 * MIB, &k), ==, 0);
	/* one step within the minimum span counts as if spread over it */
	wait_trend_init(&t);
	wait_trend_add(&t, 10 * S, 100 * MIB);
	wait_trend_add(&t, 10 * S + 10 * MS, 99 * MIB);
	g_assert_cmpuint(wait_trend_rate(&t), ==, 5 * MIB);
	/* the window forgets: 3 s later a flat reading alone says nothing falls */
	wait_trend_add(&t, 14 * S, 99 * MIB);
	g_assert_cmpuint(wait_trend_rate(&t), ==, 0);
	/* more samples than the ring holds: still the right rate */
	for (guint i = 0; i < 3 * WAIT_TREND_SAMPLES; i++)
		wait_trend_add(&t, 20 * S + i * 100 * MS, 1000 * MIB - i * MIB);
	g_assert_cmpuint(wait_trend_rate(&t), ==, 10 * MIB);
}

/*
 * Recorded: `tools/peers.sh`, scenario fast, oom-notify, 6.12 in the TCG guest
 * (444 MiB, no swap), run 1: the level crossings (low, medium, critical) as the
 * killer heard them, then the sampler's readings every ~100 ms. The hog ran at
 * ~55 MiB/s; the 3 % floor (13 650 kB) was crossed at 10 226 ms.
 */
static const Point fast_recorded[] = {
	{ 7975, 89476 },  { 8795, 66788 },  { 9214, 43100 },  { 9326, 43100 },	{ 9440, 42736 },
	{ 9544, 40760 },  { 9666, 37036 },  { 9773, 33060 },  { 9874, 25612 },	{ 9977, 17056 },
	{ 10106, 14096 }, { 10226, 13688 }, { 10340, 20400 }, { 10454, 56504 }, { 10560, 107424 },
};
/* The same harness, scenario slow (~17 MiB/s); the floor was crossed at 25 331 ms. */
static const Point slow_recorded[] = {
	{ 20411, 90824 }, { 21896, 67660 }, { 23254, 43752 }, { 23354, 43752 }, { 23455, 43732 },
	{ 23578, 43732 }, { 23691, 42120 }, { 23791, 39144 }, { 23894, 38780 }, { 24011, 37184 },
	{ 24111, 35424 }, { 24231, 31952 }, { 24338, 31084 }, { 24451, 28008 }, { 24560, 26000 },
	{ 24672, 25876 }, { 24774, 24016 }, { 24891, 22256 }, { 25011, 20104 }, { 25117, 18116 },
	{ 25231, 14936 }, { 25331, 12888 },
};
#define RECORDED_FLOOR_KB 13650

/*
 * Plays a trace from its critical reading (index @crit) on as the episode
 * does: a deadline of @deadline_usec from there, re-cut at every reading,
 * its timer firing when a reading comes too late. Returns when the kill
 * starts, in ms of the trace.
 */
static guint64 play(const Point *p, size_t n, size_t crit, guint64 deadline_usec)
{
	guint64 end = p[crit].ms * MS + deadline_usec;
	WaitTrend t;
	WaitKillTime k;

	wait_trend_init(&t);
	wait_kill_time_init(&k);
	for (size_t i = 0; i < n; i++) {
		guint64 now = p[i].ms * MS, left;

		if (i > crit && now >= end)
			break; /* the timer fired first */
		wait_trend_add(&t, now, p[i].kb * KIB);
		if (i < crit)
			continue;
		left = wait_time_left(&t, RECORDED_FLOOR_KB * KIB, &k);
		end = MIN(p[crit].ms * MS + deadline_usec, left == INF ? INF : now + left);
		if (end <= now)
			return now / MS;
	}
	return end / MS;
}

static void test_fast_recorded(void)
{
	guint64 kill_ms = play(fast_recorded, G_N_ELEMENTS(fast_recorded), 2, 5 * S);

	g_test_message("fast: kill at %" G_GUINT64_FORMAT " ms, critical at 9214", kill_ms);
	/* almost no wait: the hog's pace leaves about the kill time */
	g_assert_cmpuint(kill_ms, <, 9214 + 200);
	/* and the kill, at the start value's pace, is over before the floor */
	g_assert_cmpuint(kill_ms + WAIT_KILL_USEC_START / MS, <=, 10226);
	/* with all the trace's fall known at the critical reading, nothing is left */
	g_assert_cmpuint(left_after(fast_recorded, 3, RECORDED_FLOOR_KB), <, 100 * MS);
}

static void test_slow_recorded(void)
{
	guint64 kill_ms = play(slow_recorded, G_N_ELEMENTS(slow_recorded), 2, 5 * S);

	g_test_message("slow: kill at %" G_GUINT64_FORMAT " ms, critical at 23254", kill_ms);
	/* more than the fast one got, still less than the 5 s deadline... */
	g_assert_cmpuint(kill_ms, >, 23254 + 500);
	g_assert_cmpuint(kill_ms, <, 23254 + 5000);
	/* ...and over before the floor */
	g_assert_cmpuint(kill_ms + WAIT_KILL_USEC_START / MS, <=, 25331);
}

/* Synthetic: a leak of 1 MiB/s, read every 100 ms: the whole deadline. */
static void test_slow_leak(void)
{
	Point p[40];
	guint64 left;

	for (guint i = 0; i < G_N_ELEMENTS(p); i++)
		p[i] = (Point){ i * 100, 60 * 1024 - i * 1024 / 10 };
	left = left_after(p, G_N_ELEMENTS(p), 15 * 1024);
	/* 41 MiB above the floor at 1 MiB/s */
	g_assert_cmpuint(left, >, 30 * S);
	g_assert_cmpuint(wait_cut(FULL, left), ==, FULL);
}

/* Synthetic: a hog at full speed (1 GiB/s) read at the three level crossings. */
static void test_full_speed(void)
{
	const Point p[] = { { 0, 100 * 1024 }, { 25, 75 * 1024 }, { 50, 50 * 1024 } };

	g_assert_cmpuint(left_after(p, G_N_ELEMENTS(p), 15 * 1024), ==, 0);
}

/*
 * Synthetic: bursts of 40 MiB in 100 ms every 2 s, flat in between. In the
 * pause after a burst the fall still counts: the next burst is expected.
 */
static void test_bursty(void)
{
	Point p[64];
	size_t n = 0;
	guint64 kb = 200 * 1024, left;

	for (guint burst = 0; burst < 3; burst++) {
		for (guint i = 0; i < 20; i++, n++) {
			if (i == 1)
				kb -= 40 * 1024;
			p[n] = (Point){ burst * 2000 + i * 100, kb };
		}
	}
	/* 1.8 s into the pause after the third burst, at 80 MiB with the floor at 15 */
	left = left_after(p, n, 15 * 1024);
	g_test_message("bursty: %" G_GUINT64_FORMAT " ms left", left / MS);
	g_assert_cmpuint(left, <, FULL);
	g_assert_cmpuint(left, >, 0);
	/* a deadline of 10 s is cut; without the earlier bursts in sight it would not be */
	g_assert_cmpuint(left_after(p + n - 10, 10, 15 * 1024), ==, INF);
}

/*
 * Synthetic: falling at 60 MiB/s for a second, then recovering at 40 MiB/s
 * (somebody freed memory): the cut eases as memory comes back and is gone
 * once it is above what the window remembers.
 */
static void test_falling_then_recovering(void)
{
	Point p[40];
	guint64 during, early, later;
	size_t n = 0;

	for (guint i = 0; i <= 10; i++, n++)
		p[n] = (Point){ i * 100, 100 * 1024 - i * 6 * 1024 };
	during = left_after(p, n, 15 * 1024);
	for (guint i = 1; i <= 20; i++, n++)
		p[n] = (Point){ 1000 + i * 100, 40 * 1024 + i * 4 * 1024 };
	early = left_after(p, n - 15, 15 * 1024);
	later = left_after(p, n, 15 * 1024);
	g_test_message("falling: %" G_GUINT64_FORMAT " ms; recovering: %" G_GUINT64_FORMAT
		       " ms, then %" G_GUINT64_FORMAT,
		       during / MS, early / MS, later);
	/* 25 MiB above the floor at 60 MiB/s: the kill time is all there is */
	g_assert_cmpuint(during, ==, 0);
	g_assert_cmpuint(early, >, during);
	g_assert_cmpuint(later, ==, INF);
}

/* The kill time */

static void test_kill_time(void)
{
	WaitKillTime k;

	wait_kill_time_init(&k);
	g_assert_cmpuint(k.usec, ==, WAIT_KILL_USEC_START);
	/* the first measurement replaces the start value, faster or not */
	wait_kill_time_add(&k, 100 * MS);
	g_assert_cmpuint(k.usec, ==, 100 * MS);
	/* a slower kill is believed at once */
	wait_kill_time_add(&k, 300 * MS);
	g_assert_cmpuint(k.usec, ==, 300 * MS);
	/* a faster one lowers it by a quarter of the difference */
	wait_kill_time_add(&k, 100 * MS);
	g_assert_cmpuint(k.usec, ==, 250 * MS);
	/* a victim stuck for a minute counts as the maximum */
	wait_kill_time_add(&k, 60 * S);
	g_assert_cmpuint(k.usec, ==, WAIT_KILL_USEC_MAX);
	g_assert_cmpuint(k.n_measured, ==, 4);
}

/* The deadline as NotifyCandidate carries it: whole ms rounded up, 1 ms to the broker's limit. */
static void test_deadline_msec(void)
{
	g_assert_cmpuint(wait_deadline_msec(0), ==, 1);
	g_assert_cmpuint(wait_deadline_msec(1), ==, 1);
	g_assert_cmpuint(wait_deadline_msec(999), ==, 1);
	g_assert_cmpuint(wait_deadline_msec(1000), ==, 1);
	g_assert_cmpuint(wait_deadline_msec(1001), ==, 2);
	g_assert_cmpuint(wait_deadline_msec(10 * S), ==, 10000);
	g_assert_cmpuint(wait_deadline_msec(10 * S + 1), ==, 10001);
	g_assert_cmpuint(wait_deadline_msec((guint64)OOMN_BUS_DEADLINE_MAX_MSEC * MS), ==,
			 OOMN_BUS_DEADLINE_MAX_MSEC);
	g_assert_cmpuint(wait_deadline_msec((guint64)OOMN_BUS_DEADLINE_MAX_MSEC * MS + 1), ==,
			 OOMN_BUS_DEADLINE_MAX_MSEC);
	g_assert_cmpuint(wait_deadline_msec(24 * 3600 * S), ==, OOMN_BUS_DEADLINE_MAX_MSEC);
}

int main(int argc, char *argv[])
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/killer/wait-policy/registered", test_registered);
	g_test_add_func("/killer/wait-policy/registered-other-uid", test_registered_other_uid);
	g_test_add_func("/killer/wait-policy/helpers", test_helpers);
	g_test_add_func("/killer/wait-policy/nobody", test_nobody);
	g_test_add_func("/killer/wait-policy/rule", test_rule);
	g_test_add_func("/killer/wait-policy/trend", test_trend_basics);
	g_test_add_func("/killer/wait-policy/fast-recorded", test_fast_recorded);
	g_test_add_func("/killer/wait-policy/slow-recorded", test_slow_recorded);
	g_test_add_func("/killer/wait-policy/slow-leak", test_slow_leak);
	g_test_add_func("/killer/wait-policy/full-speed", test_full_speed);
	g_test_add_func("/killer/wait-policy/bursty", test_bursty);
	g_test_add_func("/killer/wait-policy/falling-then-recovering",
			test_falling_then_recovering);
	g_test_add_func("/killer/wait-policy/kill-time", test_kill_time);
	g_test_add_func("/killer/wait-policy/deadline-msec", test_deadline_msec);
	return g_test_run();
}
