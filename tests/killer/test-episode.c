/* SPDX-License-Identifier: GPL-2.0-only */
/* The killer's episode state machine: every path from critical to an outcome. */
#include <glib.h>

#include "episode.h"

#define S    (1000 * G_GUINT64_CONSTANT(1000))
#define MS   G_GUINT64_CONSTANT(1000)
#define MIB  (1024 * 1024)
#define CRIT OOM_NOTIFY_LEVEL_CRITICAL

typedef struct {
	Episode ep;
	EpisodeActions a;
} Fixture;

static void setup(Fixture *f, gconstpointer data)
{
	episode_init(&f->ep, GPOINTER_TO_INT(data));
}

static void teardown(Fixture *f, gconstpointer data)
{
}

/* Reaches NOTICE: critical at t=100 s, chosen with a 10 s deadline, 3 s grace. */
static void to_notice(Fixture *f, bool kill_group)
{
	f->a = episode_mem_available(&f->ep, 50 * 1024 * 1024, 10 * 1024 * 1024, 100 * S);
	g_assert_cmpuint(f->a.flags, ==, 0);
	f->a = episode_level(&f->ep, CRIT, 100 * S);
	g_assert_cmpuint(f->a.flags, ==, EPISODE_ACT_CHOOSE);
	f->a = episode_chosen(&f->ep, 10 * S, 3 * S, kill_group, 100 * S);
	g_assert_cmpuint(f->a.flags, ==, 0);
	g_assert_cmpint(f->ep.state, ==, EPISODE_NOTICE);
	g_assert_cmpuint(f->a.timer_usec, ==, 110 * S);
	g_assert_true(f->a.poll_meminfo);
}

static void test_redeemed(Fixture *f, gconstpointer data)
{
	to_notice(f, false);
	f->a = episode_level(&f->ep, OOM_NOTIFY_LEVEL_MEDIUM, 105 * S);
	g_assert_cmpuint(f->a.flags, ==, EPISODE_ACT_REPORT_REDEEMED | EPISODE_ACT_RELEASE);
	g_assert_cmpint(f->ep.state, ==, EPISODE_IDLE);
	g_assert_cmpuint(f->a.timer_usec, ==, 0);
	g_assert_false(f->a.poll_meminfo);
	/* A stale timer expiry after that does nothing. */
	f->a = episode_timer(&f->ep, 110 * S);
	g_assert_cmpuint(f->a.flags, ==, 0);
}

static void test_deadline_term_exit(Fixture *f, gconstpointer data)
{
	to_notice(f, false);
	/* Early wake-ups do nothing. */
	f->a = episode_timer(&f->ep, 109 * S);
	g_assert_cmpuint(f->a.flags, ==, 0);
	g_assert_cmpuint(f->a.timer_usec, ==, 110 * S);
	f->a = episode_timer(&f->ep, 110 * S);
	g_assert_cmpuint(f->a.flags, ==, EPISODE_ACT_SIGTERM);
	g_assert_cmpint(f->ep.cause, ==, EPISODE_CAUSE_DEADLINE);
	g_assert_cmpuint(f->a.timer_usec, ==, 113 * S);
	g_assert_true(f->a.poll_meminfo); /* the grace is watched */
	/* The level falling now changes nothing: the kill goes on. */
	f->a = episode_level(&f->ep, OOM_NOTIFY_LEVEL_MEDIUM, 111 * S);
	g_assert_cmpuint(f->a.flags, ==, 0);
	f->a = episode_victim_exited(&f->ep, 111 * S);
	g_assert_cmpuint(f->a.flags, ==, EPISODE_ACT_REPORT_KILLED | EPISODE_ACT_RELEASE);
	g_assert_true(f->ep.exited);
	g_assert_cmpint(f->ep.state, ==, EPISODE_SETTLE);
	g_assert_cmpuint(f->a.timer_usec, ==, 112 * S);
	/* No longer critical after the settle second: back to idle. */
	f->a = episode_timer(&f->ep, 112 * S);
	g_assert_cmpuint(f->a.flags, ==, 0);
	g_assert_cmpint(f->ep.state, ==, EPISODE_IDLE);
}

static void test_sigkill_then_next(Fixture *f, gconstpointer data)
{
	to_notice(f, false);
	f->a = episode_timer(&f->ep, 110 * S);
	g_assert_cmpuint(f->a.flags, ==, EPISODE_ACT_SIGTERM);
	f->a = episode_timer(&f->ep, 113 * S);
	g_assert_cmpuint(f->a.flags, ==, EPISODE_ACT_SIGKILL);
	g_assert_cmpint(f->ep.state, ==, EPISODE_KILLED);
	g_assert_cmpuint(f->a.timer_usec, ==, 117 * S); /* grace + 1 s */
	f->a = episode_victim_exited(&f->ep, 113 * S + 5 * MS);
	g_assert_cmpuint(f->a.flags, ==, EPISODE_ACT_REPORT_KILLED | EPISODE_ACT_RELEASE);
	/* Still critical 1 s after the victim went: the next victim. */
	f->a = episode_timer(&f->ep, 114 * S + 5 * MS);
	g_assert_cmpuint(f->a.flags, ==, EPISODE_ACT_CHOOSE);
	g_assert_cmpint(f->ep.state, ==, EPISODE_IDLE);
	f->a = episode_chosen(&f->ep, 10 * S, 3 * S, false, 115 * S);
	g_assert_cmpint(f->ep.state, ==, EPISODE_NOTICE);
	g_assert_cmpint(f->ep.notified, ==, -1);
	g_assert_cmpuint(f->ep.answered, ==, 0);
}

static void test_victim_never_exits(Fixture *f, gconstpointer data)
{
	to_notice(f, false);
	(void)episode_timer(&f->ep, 110 * S);
	(void)episode_timer(&f->ep, 113 * S);
	f->a = episode_timer(&f->ep, 117 * S);
	/* Reported as not gone, and since still critical, the next one is chosen. */
	g_assert_cmpuint(f->a.flags, ==,
			 EPISODE_ACT_REPORT_KILLED | EPISODE_ACT_RELEASE | EPISODE_ACT_CHOOSE);
}

static void test_floor(Fixture *f, gconstpointer data)
{
	to_notice(f, false);
	/* Above the floor, falling slowly: the deadline runs on. */
	f->a = episode_mem_available(&f->ep, 49 * 1024 * 1024, 10 * 1024 * 1024, 101 * S);
	g_assert_cmpuint(f->a.flags, ==, 0);
	g_assert_cmpuint(f->a.timer_usec, ==, 110 * S);
	/* Below the floor, no fall in the last 3 s to judge by: the whole grace. */
	f->a = episode_mem_available(&f->ep, 9 * 1024 * 1024, 10 * 1024 * 1024, 105 * S);
	g_assert_cmpuint(f->a.flags, ==, EPISODE_ACT_SIGTERM);
	g_assert_cmpint(f->ep.cause, ==, EPISODE_CAUSE_FLOOR);
	g_assert_cmpuint(f->a.timer_usec, ==, 108 * S);
}

static void test_floor_falling(Fixture *f, gconstpointer data)
{
	to_notice(f, false);
	/* Below the floor and still falling: no time for a grace either. */
	f->a = episode_mem_available(&f->ep, 9 * 1024 * 1024, 10 * 1024 * 1024, 101 * S);
	g_assert_cmpuint(f->a.flags, ==, EPISODE_ACT_SIGKILL);
	g_assert_cmpint(f->ep.cause, ==, EPISODE_CAUSE_FLOOR);
	g_assert_true(f->ep.cut);
}

static void test_emergency_sigkill(Fixture *f, gconstpointer data)
{
	to_notice(f, false);
	f->a = episode_timer(&f->ep, 110 * S);
	g_assert_cmpuint(f->a.flags, ==, EPISODE_ACT_SIGTERM);
	g_assert_true(f->a.poll_meminfo); /* the grace is watched too */
	/* Below the floor but above half of it: the grace runs on. */
	f->a = episode_mem_available(&f->ep, 6 * 1024 * 1024, 10 * 1024 * 1024, 110 * S + 100 * MS);
	g_assert_cmpuint(f->a.flags, ==, 0);
	g_assert_cmpint(f->ep.state, ==, EPISODE_TERM);
	f->a = episode_mem_available(&f->ep, 4 * 1024 * 1024, 10 * 1024 * 1024, 110 * S + 200 * MS);
	g_assert_cmpuint(f->a.flags, ==, EPISODE_ACT_SIGKILL);
	g_assert_true(f->ep.emergency);
	g_assert_cmpint(f->ep.state, ==, EPISODE_KILLED);
	g_assert_false(f->a.poll_meminfo);
	g_assert_cmpuint(f->a.timer_usec, ==, 114 * S + 200 * MS);
}

static void test_no_deadline_no_grace(Fixture *f, gconstpointer data)
{
	(void)episode_mem_available(&f->ep, 50 * 1024 * 1024, 10 * 1024 * 1024, 100 * S);
	f->a = episode_level(&f->ep, CRIT, 100 * S);
	g_assert_cmpuint(f->a.flags, ==, EPISODE_ACT_CHOOSE);
	/* deadline 0 (nobody to wait for): the kill at once; grace 0: SIGKILL without SIGTERM. */
	f->a = episode_chosen(&f->ep, 0, 0, false, 100 * S);
	g_assert_cmpuint(f->a.flags, ==, EPISODE_ACT_SIGKILL);
	g_assert_cmpint(f->ep.cause, ==, EPISODE_CAUSE_NO_DEADLINE);
	g_assert_cmpint(f->ep.state, ==, EPISODE_KILLED);
	g_assert_cmpuint(f->a.timer_usec, ==, 101 * S);
}

static void test_floor_at_choice(Fixture *f, gconstpointer data)
{
	(void)episode_mem_available(&f->ep, 1024, 10 * 1024 * 1024, 100 * S);
	f->a = episode_level(&f->ep, CRIT, 100 * S);
	g_assert_cmpuint(f->a.flags, ==, EPISODE_ACT_CHOOSE);
	f->a = episode_chosen(&f->ep, 10 * S, 3 * S, false, 100 * S);
	g_assert_cmpuint(f->a.flags, ==, EPISODE_ACT_SIGTERM);
	g_assert_cmpint(f->ep.cause, ==, EPISODE_CAUSE_FLOOR);
}

static void test_answered(Fixture *f, gconstpointer data)
{
	to_notice(f, false);
	/* An answer before the broker's reply is counted, but decides nothing yet. */
	f->a = episode_answered(&f->ep, 101 * S);
	g_assert_cmpuint(f->a.flags, ==, 0);
	f->a = episode_notified(&f->ep, 2, 101 * S);
	g_assert_cmpuint(f->a.flags, ==, 0);
	f->a = episode_answered(&f->ep, 102 * S);
	g_assert_cmpuint(f->a.flags, ==, EPISODE_ACT_SIGTERM);
	g_assert_cmpint(f->ep.cause, ==, EPISODE_CAUSE_ANSWERED);
}

static void test_not_registered(Fixture *f, gconstpointer data)
{
	to_notice(f, false);
	/* Nobody notified: only the deadline or the floor end the notice. */
	f->a = episode_notified(&f->ep, 0, 101 * S);
	g_assert_cmpuint(f->a.flags, ==, 0);
	g_assert_cmpint(f->ep.state, ==, EPISODE_NOTICE);
	f->a = episode_answered(&f->ep, 102 * S);
	g_assert_cmpuint(f->a.flags, ==, 0);
}

/*
 * The candidate did not register; a client that can free memory did. The
 * helper deadline (1 s of a 10 s one, wait-policy.c) starts at the choice;
 * the broker notifies none of the candidate's connections, so only the
 * level, the deadline, the time left or the floor end it.
 */
static void helpers_to_notice(Fixture *f)
{
	const WaitClient clients[] = { { .pid = 200, .flags = OOMN_CLIENT_CAN_FREE_MEMORY } };
	const WaitDeadlines d = { .full_usec = 10 * S,
				  .helper_usec = 1 * S,
				  .rule_usec = WAIT_USEC_UNSET };
	WaitReason why;
	uint64_t deadline = wait_policy_deadline(clients, 1, 100, 0, &d, &why);

	g_assert_cmpint(why, ==, WAIT_HELPERS);
	g_assert_cmpuint(deadline, ==, 1 * S);
	/* a slow leak: 1 MiB/s, 40 MiB above the floor, no cut */
	(void)episode_mem_available(&f->ep, 51 * MIB, 10 * MIB, 99 * S);
	(void)episode_mem_available(&f->ep, 50 * MIB, 10 * MIB, 100 * S);
	f->a = episode_level(&f->ep, CRIT, 100 * S);
	g_assert_cmpuint(f->a.flags, ==, EPISODE_ACT_CHOOSE);
	f->a = episode_chosen(&f->ep, deadline, 3 * S, false, 100 * S);
	g_assert_cmpuint(f->a.flags, ==, 0);
	g_assert_false(f->ep.cut);
	g_assert_cmpuint(f->a.timer_usec, ==, 101 * S);
	f->a = episode_notified(&f->ep, 0, 100 * S + 50 * MS);
	g_assert_cmpuint(f->a.flags, ==, 0);
}

/* A helper frees memory within the short deadline: the level falls, nobody is killed. */
static void test_helpers_pressure_falls(Fixture *f, gconstpointer data)
{
	helpers_to_notice(f);
	f->a = episode_mem_available(&f->ep, 49 * MIB, 10 * MIB, 100 * S + 400 * MS);
	g_assert_cmpint(f->ep.state, ==, EPISODE_NOTICE);
	/* its cache dropped: memory back, the level below critical before 101 s */
	f->a = episode_mem_available(&f->ep, 150 * MIB, 10 * MIB, 100 * S + 600 * MS);
	g_assert_cmpuint(f->a.flags, ==, 0);
	f->a = episode_level(&f->ep, OOM_NOTIFY_LEVEL_MEDIUM, 100 * S + 600 * MS);
	g_assert_cmpuint(f->a.flags, ==, EPISODE_ACT_REPORT_REDEEMED | EPISODE_ACT_RELEASE);
	g_assert_cmpint(f->ep.state, ==, EPISODE_IDLE);
	/* the deadline's timer, had it stayed armed, does nothing now */
	f->a = episode_timer(&f->ep, 101 * S);
	g_assert_cmpuint(f->a.flags, ==, 0);
}

/* Nobody freed anything: the kill comes at the short deadline, not the full one. */
static void test_helpers_deadline(Fixture *f, gconstpointer data)
{
	helpers_to_notice(f);
	f->a = episode_mem_available(&f->ep, 49 * MIB, 10 * MIB, 100 * S + 500 * MS);
	g_assert_cmpuint(f->a.flags, ==, 0);
	f->a = episode_timer(&f->ep, 101 * S);
	g_assert_cmpuint(f->a.flags, ==, EPISODE_ACT_SIGTERM);
	g_assert_cmpint(f->ep.cause, ==, EPISODE_CAUSE_DEADLINE);
}

static void test_exit_during_notice(Fixture *f, gconstpointer data)
{
	to_notice(f, false);
	f->a = episode_victim_exited(&f->ep, 103 * S);
	g_assert_cmpuint(f->a.flags, ==, EPISODE_ACT_REPORT_REDEEMED | EPISODE_ACT_RELEASE);
	g_assert_cmpint(f->ep.state, ==, EPISODE_SETTLE);
	f->a = episode_timer(&f->ep, 104 * S);
	g_assert_cmpuint(f->a.flags, ==, EPISODE_ACT_CHOOSE);
}

static void test_kill_group(Fixture *f, gconstpointer data)
{
	to_notice(f, true);
	f->a = episode_timer(&f->ep, 110 * S);
	g_assert_cmpuint(f->a.flags, ==, EPISODE_ACT_KILL_GROUP);
	g_assert_cmpint(f->ep.state, ==, EPISODE_KILLED);
	g_assert_cmpuint(f->a.timer_usec, ==, 114 * S);
}

static void test_choose_failed(Fixture *f, gconstpointer data)
{
	f->a = episode_level(&f->ep, CRIT, 100 * S);
	g_assert_cmpuint(f->a.flags, ==, EPISODE_ACT_CHOOSE);
	f->a = episode_choose_failed(&f->ep, 100 * S);
	g_assert_cmpint(f->ep.state, ==, EPISODE_HOLD);
	g_assert_cmpuint(f->a.timer_usec, ==, 101 * S);
	f->a = episode_timer(&f->ep, 101 * S);
	g_assert_cmpuint(f->a.flags, ==, EPISODE_ACT_CHOOSE);
	(void)episode_choose_failed(&f->ep, 101 * S);
	f->a = episode_level(&f->ep, OOM_NOTIFY_LEVEL_LOW, 101 * S + 500 * MS);
	g_assert_cmpint(f->ep.state, ==, EPISODE_IDLE);
	g_assert_cmpuint(f->a.timer_usec, ==, 0);
}

static void test_dry_run(Fixture *f, gconstpointer data)
{
	to_notice(f, false);
	f->a = episode_timer(&f->ep, 110 * S);
	g_assert_cmpuint(f->a.flags, ==, EPISODE_ACT_DRY_RUN | EPISODE_ACT_RELEASE);
	g_assert_cmpint(f->ep.state, ==, EPISODE_HOLD);
	g_assert_cmpuint(f->a.timer_usec, ==, 0);
	/* Still critical: no new decision until the level falls and rises again. */
	f->a = episode_level(&f->ep, CRIT, 111 * S);
	g_assert_cmpuint(f->a.flags, ==, 0);
	f->a = episode_level(&f->ep, OOM_NOTIFY_LEVEL_MEDIUM, 112 * S);
	g_assert_cmpint(f->ep.state, ==, EPISODE_IDLE);
	f->a = episode_level(&f->ep, CRIT, 113 * S);
	g_assert_cmpuint(f->a.flags, ==, EPISODE_ACT_CHOOSE);
}

static void test_repeated_critical(Fixture *f, gconstpointer data)
{
	to_notice(f, false);
	/* The same level reported again (a resync) starts nothing new. */
	f->a = episode_level(&f->ep, CRIT, 101 * S);
	g_assert_cmpuint(f->a.flags, ==, 0);
	g_assert_cmpuint(f->a.timer_usec, ==, 110 * S);
}

/* Nobody to wait for, memory steady: the notice, then SIGTERM at once with the whole grace. */
static void test_no_deadline_full_grace(Fixture *f, gconstpointer data)
{
	(void)episode_mem_available(&f->ep, 50 * MIB, 10 * MIB, 99 * S);
	(void)episode_mem_available(&f->ep, 50 * MIB, 10 * MIB, 100 * S);
	(void)episode_level(&f->ep, CRIT, 100 * S);
	f->a = episode_chosen(&f->ep, 0, 3 * S, false, 100 * S);
	g_assert_cmpuint(f->a.flags, ==, EPISODE_ACT_SIGTERM);
	g_assert_cmpint(f->ep.cause, ==, EPISODE_CAUSE_NO_DEADLINE);
	g_assert_cmpuint(f->a.timer_usec, ==, 103 * S);
	g_assert_false(f->ep.cut);
}

/* Falling at 40 MiB/s with 40 MiB above the floor: no deadline, no grace. */
static void test_time_left_at_choice(Fixture *f, gconstpointer data)
{
	(void)episode_mem_available(&f->ep, 90 * MIB, 10 * MIB, 99 * S);
	(void)episode_mem_available(&f->ep, 50 * MIB, 10 * MIB, 100 * S);
	(void)episode_level(&f->ep, CRIT, 100 * S);
	/* 1 s left, less the 500 ms kill time: the deadline is cut to 500 ms */
	f->a = episode_chosen(&f->ep, 10 * S, 3 * S, false, 100 * S);
	g_assert_cmpuint(f->a.flags, ==, 0);
	g_assert_true(f->ep.cut);
	g_assert_cmpuint(f->a.timer_usec, ==, 100 * S + 500 * MS);
	/* it kept falling: at the cut's end, killed for the time left, no grace left */
	(void)episode_mem_available(&f->ep, 30 * MIB, 10 * MIB, 100 * S + 500 * MS);
	g_assert_cmpint(f->ep.state, ==, EPISODE_KILLED);
	g_assert_cmpint(f->ep.cause, ==, EPISODE_CAUSE_TIME_LEFT);
	g_assert_cmpuint(f->ep.sigkill_usec, ==, 100 * S + 500 * MS);
	/* the kill time is measured: the exit 200 ms after the SIGKILL */
	f->a = episode_victim_exited(&f->ep, 100 * S + 700 * MS);
	g_assert_cmpuint(f->a.flags, ==, EPISODE_ACT_REPORT_KILLED | EPISODE_ACT_RELEASE);
	g_assert_cmpuint(f->ep.kill_time.usec, ==, 200 * MS);
	g_assert_cmpuint(f->ep.kill_time.n_measured, ==, 1);
}

/* A cut deadline runs out on its timer: the cause says why. */
static void test_time_left_timer(Fixture *f, gconstpointer data)
{
	(void)episode_mem_available(&f->ep, 90 * MIB, 10 * MIB, 99 * S);
	(void)episode_mem_available(&f->ep, 50 * MIB, 10 * MIB, 100 * S);
	(void)episode_level(&f->ep, CRIT, 100 * S);
	f->a = episode_chosen(&f->ep, 10 * S, 0, false, 100 * S);
	g_assert_cmpuint(f->a.timer_usec, ==, 100 * S + 500 * MS);
	f->a = episode_timer(&f->ep, 100 * S + 500 * MS);
	g_assert_cmpuint(f->a.flags, ==, EPISODE_ACT_SIGKILL);
	g_assert_cmpint(f->ep.cause, ==, EPISODE_CAUSE_TIME_LEFT);
}

/* The fall stops: the cut is given back, up to the configured deadline. */
static void test_time_left_eases(Fixture *f, gconstpointer data)
{
	(void)episode_mem_available(&f->ep, 60 * MIB, 10 * MIB, 99 * S);
	(void)episode_mem_available(&f->ep, 50 * MIB, 10 * MIB, 100 * S);
	(void)episode_level(&f->ep, CRIT, 100 * S);
	/* 10 MiB/s: 4 s left, less 500 ms */
	f->a = episode_chosen(&f->ep, 10 * S, 3 * S, false, 100 * S);
	g_assert_cmpuint(f->a.timer_usec, ==, 103 * S + 500 * MS);
	g_assert_true(f->ep.cut);
	/* steady for the whole window: nothing falls, the whole deadline again */
	for (guint i = 1; i <= 40; i++)
		f->a = episode_mem_available(&f->ep, 50 * MIB, 10 * MIB, 100 * S + i * 100 * MS);
	g_assert_cmpint(f->ep.state, ==, EPISODE_NOTICE);
	g_assert_false(f->ep.cut);
	g_assert_cmpuint(f->a.timer_usec, ==, 110 * S);
}

/* The grace is cut too: a victim that goes on allocating after SIGTERM. */
static void test_time_left_grace(Fixture *f, gconstpointer data)
{
	to_notice(f, false);
	f->a = episode_timer(&f->ep, 110 * S);
	g_assert_cmpuint(f->a.flags, ==, EPISODE_ACT_SIGTERM);
	g_assert_cmpuint(f->a.timer_usec, ==, 113 * S);
	/* 10 MiB/s with 40 MiB above the floor: the grace ends at 3.5 s, as configured */
	f->a = episode_mem_available(&f->ep, 50 * MIB, 10 * MIB, 110 * S + 500 * MS);
	f->a = episode_mem_available(&f->ep, 45 * MIB, 10 * MIB, 111 * S);
	g_assert_cmpuint(f->a.flags, ==, 0);
	g_assert_cmpuint(f->a.timer_usec, ==, 113 * S);
	/* 100 MiB/s: 250 ms left at 25 MiB, less the kill time: SIGKILL now */
	f->a = episode_mem_available(&f->ep, 25 * MIB, 10 * MIB, 111 * S + 200 * MS);
	g_assert_cmpuint(f->a.flags, ==, EPISODE_ACT_SIGKILL);
	g_assert_true(f->ep.cut);
	g_assert_false(f->ep.emergency);
	g_assert_cmpint(f->ep.state, ==, EPISODE_KILLED);
}

/*
 * The kill just decided is called off: the daemon's last look found memory
 * back below critical (a kernel OOM kill came first). Nobody is signalled,
 * the candidate is let go; once signalled, a kill is never called off.
 */
static void test_kill_called_off(Fixture *f, gconstpointer data)
{
	(void)episode_mem_available(&f->ep, 50 * 1024 * 1024, 10 * 1024 * 1024, 100 * S);
	f->a = episode_level(&f->ep, CRIT, 100 * S);
	f->a = episode_chosen(&f->ep, 0, 0, false, 100 * S);
	g_assert_cmpuint(f->a.flags, ==, EPISODE_ACT_SIGKILL);
	/* still critical on fresh figures: the kill goes on */
	f->a = episode_kill_called_off(&f->ep, CRIT, 100 * S);
	g_assert_cmpuint(f->a.flags, ==, 0);
	g_assert_cmpint(f->ep.state, ==, EPISODE_KILLED);
	f->a = episode_kill_called_off(&f->ep, OOM_NOTIFY_LEVEL_MEDIUM, 100 * S);
	g_assert_cmpuint(f->a.flags, ==, EPISODE_ACT_REPORT_REDEEMED | EPISODE_ACT_RELEASE);
	g_assert_cmpint(f->ep.state, ==, EPISODE_IDLE);
	g_assert_cmpuint(f->a.timer_usec, ==, 0);
	/* the next critical starts a new episode */
	f->a = episode_level(&f->ep, CRIT, 102 * S);
	g_assert_cmpuint(f->a.flags, ==, EPISODE_ACT_CHOOSE);
	/* with a grace: SIGTERM decided, called off the same way */
	f->a = episode_chosen(&f->ep, 0, 3 * S, false, 102 * S);
	g_assert_cmpuint(f->a.flags, ==, EPISODE_ACT_SIGTERM);
	f->a = episode_kill_called_off(&f->ep, OOM_NOTIFY_LEVEL_LOW, 102 * S);
	g_assert_cmpuint(f->a.flags, ==, EPISODE_ACT_REPORT_REDEEMED | EPISODE_ACT_RELEASE);
	/* nothing to call off while idle or waiting out a deadline */
	f->a = episode_kill_called_off(&f->ep, OOM_NOTIFY_LEVEL_LOW, 103 * S);
	g_assert_cmpuint(f->a.flags, ==, 0);
	to_notice(f, false);
	f->a = episode_kill_called_off(&f->ep, OOM_NOTIFY_LEVEL_LOW, 105 * S);
	g_assert_cmpuint(f->a.flags, ==, 0);
	g_assert_cmpint(f->ep.state, ==, EPISODE_NOTICE);
}

static void test_names(void)
{
	for (int s = 0; s < _EPISODE_STATE_MAX; s++)
		g_assert_cmpstr(episode_state_to_string((EpisodeState)s), !=, "?");
	g_assert_cmpstr(episode_state_to_string(_EPISODE_STATE_MAX), ==, "?");
	g_assert_cmpstr(episode_cause_to_string(EPISODE_CAUSE_FLOOR), ==,
			"MemAvailable below the floor");
	for (int c = 0; c < _EPISODE_CAUSE_MAX; c++)
		g_assert_cmpstr(episode_cause_to_string((EpisodeKillCause)c), !=, "?");
}

int main(int argc, char *argv[])
{
	g_test_init(&argc, &argv, NULL);
#define ADD(path, fn, dry)                                                                       \
	g_test_add(path, Fixture, GINT_TO_POINTER(dry), setup, fn, teardown)
	ADD("/killer/episode/redeemed", test_redeemed, 0);
	ADD("/killer/episode/kill-called-off", test_kill_called_off, 0);
	ADD("/killer/episode/deadline-term-exit", test_deadline_term_exit, 0);
	ADD("/killer/episode/sigkill-then-next", test_sigkill_then_next, 0);
	ADD("/killer/episode/victim-never-exits", test_victim_never_exits, 0);
	ADD("/killer/episode/floor", test_floor, 0);
	ADD("/killer/episode/floor-falling", test_floor_falling, 0);
	ADD("/killer/episode/emergency-sigkill", test_emergency_sigkill, 0);
	ADD("/killer/episode/no-deadline-no-grace", test_no_deadline_no_grace, 0);
	ADD("/killer/episode/floor-at-choice", test_floor_at_choice, 0);
	ADD("/killer/episode/answered", test_answered, 0);
	ADD("/killer/episode/not-registered", test_not_registered, 0);
	ADD("/killer/episode/helpers-pressure-falls", test_helpers_pressure_falls, 0);
	ADD("/killer/episode/helpers-deadline", test_helpers_deadline, 0);
	ADD("/killer/episode/exit-during-notice", test_exit_during_notice, 0);
	ADD("/killer/episode/kill-group", test_kill_group, 0);
	ADD("/killer/episode/choose-failed", test_choose_failed, 0);
	ADD("/killer/episode/dry-run", test_dry_run, 1);
	ADD("/killer/episode/repeated-critical", test_repeated_critical, 0);
	ADD("/killer/episode/no-deadline-full-grace", test_no_deadline_full_grace, 0);
	ADD("/killer/episode/time-left-at-choice", test_time_left_at_choice, 0);
	ADD("/killer/episode/time-left-timer", test_time_left_timer, 0);
	ADD("/killer/episode/time-left-eases", test_time_left_eases, 0);
	ADD("/killer/episode/time-left-grace", test_time_left_grace, 0);
	g_test_add_func("/killer/episode/names", test_names);
	return g_test_run();
}
