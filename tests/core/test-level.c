/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The level scale (kernel/oom_notify_level.c, compiled unchanged). Most cases
 * use MemTotal = 1000 units, so that a figure reads directly as per-mille.
 */
#include <errno.h>
#include <glib.h>
#include <stdbool.h>
#include <string.h>

#include "oom_notify_level.h"

#define NORMAL OOM_NOTIFY_LEVEL_NORMAL
#define LOW OOM_NOTIFY_LEVEL_LOW
#define MEDIUM OOM_NOTIFY_LEVEL_MEDIUM
#define CRITICAL OOM_NOTIFY_LEVEL_CRITICAL

static struct oom_notify_thresholds defaults(void)
{
	struct oom_notify_thresholds t;

	oom_notify_thresholds_default(&t);
	return t;
}

static enum oom_notify_level eval(const struct oom_notify_thresholds *t, __u64 total,
				  __u64 avail, __u64 swap_free, enum oom_notify_level prev)
{
	struct oom_notify_figures f = {
		.mem_total = total,
		.mem_available = avail,
		.swap_worth = swap_free,
	};

	return oom_notify_level_eval(t, &f, prev);
}

static void test_defaults(void)
{
	struct oom_notify_thresholds t = defaults();
	const char *why = "untouched";

	g_assert_cmpuint(t.mem[LOW], ==, 200);
	g_assert_cmpuint(t.mem[MEDIUM], ==, 150);
	g_assert_cmpuint(t.mem[CRITICAL], ==, 100);
	g_assert_cmpuint(t.swap[LOW], ==, 200);
	g_assert_cmpuint(t.swap[MEDIUM], ==, 150);
	g_assert_cmpuint(t.swap[CRITICAL], ==, 100);
	g_assert_cmpuint(t.hysteresis, ==, 20);
	g_assert_cmpint(oom_notify_thresholds_check(&t, &why), ==, 0);
	g_assert_cmpstr(why, ==, "untouched");
}

static void assert_check_fails(const struct oom_notify_thresholds *t, const char *expected)
{
	const char *why = NULL;

	g_assert_cmpint(oom_notify_thresholds_check(t, &why), ==, -EINVAL);
	g_assert_cmpstr(why, ==, expected);
}

static void assert_check_passes(const struct oom_notify_thresholds *t)
{
	const char *why = NULL;

	g_assert_cmpint(oom_notify_thresholds_check(t, &why), ==, 0);
	g_assert_null(why);
}

static void test_check(void)
{
	static const char above[] = "threshold above 1000 per-mille";
	static const char mem_rise[] =
		"memory thresholds must not rise with the level (low >= medium >= critical)";
	static const char swap_rise[] =
		"swap thresholds must not rise with the level (low >= medium >= critical)";
	static const char hyst[] = "hysteresis above 200 per-mille";
	struct oom_notify_thresholds t;

	/* Above 1000, for each level and each kind. */
	for (int l = LOW; l <= CRITICAL; l++) {
		t = defaults();
		for (int k = LOW; k <= CRITICAL; k++)
			t.mem[k] = 1000;
		assert_check_passes(&t);
		t.mem[l] = 1001;
		/* Keep the order valid, so only the range is wrong. */
		for (int k = LOW; k < l; k++)
			t.mem[k] = 1001;
		assert_check_fails(&t, above);

		t = defaults();
		for (int k = LOW; k <= CRITICAL; k++)
			t.swap[k] = 1000;
		assert_check_passes(&t);
		t.swap[l] = 1001;
		for (int k = LOW; k < l; k++)
			t.swap[k] = 1001;
		assert_check_fails(&t, above);
	}

	/* Rising with the level, at each step; equal is fine. */
	t = defaults();
	t.mem[MEDIUM] = 201;
	assert_check_fails(&t, mem_rise);
	t = defaults();
	t.mem[CRITICAL] = 151;
	assert_check_fails(&t, mem_rise);
	t = defaults();
	t.mem[MEDIUM] = t.mem[CRITICAL] = 200;
	assert_check_passes(&t);

	t = defaults();
	t.swap[MEDIUM] = 201;
	assert_check_fails(&t, swap_rise);
	t = defaults();
	t.swap[CRITICAL] = 151;
	assert_check_fails(&t, swap_rise);
	t = defaults();
	t.swap[LOW] = t.swap[MEDIUM] = t.swap[CRITICAL] = 0;
	assert_check_passes(&t);

	/* Memory is checked before swap at the same level. */
	t = defaults();
	t.mem[MEDIUM] = 300;
	t.swap[MEDIUM] = 300;
	assert_check_fails(&t, mem_rise);

	t = defaults();
	t.hysteresis = 200;
	assert_check_passes(&t);
	t.hysteresis = 201;
	assert_check_fails(&t, hyst);
	/* no hysteresis: a figure hovering at a threshold is an event storm */
	t.hysteresis = OOM_NOTIFY_HYSTERESIS_MIN;
	assert_check_passes(&t);
	t.hysteresis = OOM_NOTIFY_HYSTERESIS_MIN - 1;
	assert_check_fails(&t, "hysteresis below 5 per-mille");
	t.hysteresis = 0;
	assert_check_fails(&t, "hysteresis below 5 per-mille");

	/* [NORMAL] is unused and not checked. */
	t = defaults();
	t.mem[NORMAL] = 5000;
	t.swap[NORMAL] = 5000;
	assert_check_passes(&t);
}

static void test_name(void)
{
	g_assert_cmpstr(oom_notify_level_name(NORMAL), ==, "normal");
	g_assert_cmpstr(oom_notify_level_name(LOW), ==, "low");
	g_assert_cmpstr(oom_notify_level_name(MEDIUM), ==, "medium");
	g_assert_cmpstr(oom_notify_level_name(CRITICAL), ==, "critical");
	g_assert_cmpstr(oom_notify_level_name(CRITICAL + 1), ==, "unknown");
	g_assert_cmpstr(oom_notify_level_name((enum oom_notify_level)-1), ==, "unknown");
}

static void test_eval_rising(void)
{
	struct oom_notify_thresholds t = defaults();
	/* MemAvailable falling step by step, no swap: the level only rises. */
	static const struct {
		__u64 avail;
		enum oom_notify_level level;
	} steps[] = {
		{ 1000, NORMAL }, { 201, NORMAL }, { 200, NORMAL },    { 199, LOW },
		{ 151, LOW },     { 150, LOW },    { 149, MEDIUM },    { 101, MEDIUM },
		{ 100, MEDIUM },  { 99, CRITICAL }, { 0, CRITICAL },
	};
	enum oom_notify_level prev = NORMAL;

	for (size_t i = 0; i < G_N_ELEMENTS(steps); i++) {
		enum oom_notify_level l = eval(&t, 1000, steps[i].avail, 0, prev);

		g_assert_cmpint(l, ==, steps[i].level);
		prev = l;
	}

	/* Straight from normal to critical in one evaluation. */
	g_assert_cmpint(eval(&t, 1000, 50, 0, NORMAL), ==, CRITICAL);
	/* Rising from a held level. */
	g_assert_cmpint(eval(&t, 1000, 140, 0, LOW), ==, MEDIUM);
	/* Byte scale: 16 GiB, 10 % is the critical line. */
	__u64 gib16 = 16ULL << 30;
	/* 16 GiB / 10 = 1717986918.4: the last critical byte count is
	 * 1717986918, the first medium one 1717986919. */
	g_assert_cmpint(eval(&t, gib16, 1717986919, 0, NORMAL), ==, MEDIUM);
	g_assert_cmpint(eval(&t, gib16, 1717986918, 0, NORMAL), ==, CRITICAL);
	/* MemTotal 0 (nonsense) never raises anything. */
	g_assert_cmpint(eval(&t, 0, 0, 0, NORMAL), ==, NORMAL);
}

static void test_eval_hysteresis(void)
{
	struct oom_notify_thresholds t = defaults();

	/* LOW (raised below 200) holds until MemAvailable reaches 220. */
	for (__u64 a = 200; a < 220; a++)
		g_assert_cmpint(eval(&t, 1000, a, 0, LOW), ==, LOW);
	g_assert_cmpint(eval(&t, 1000, 220, 0, LOW), ==, NORMAL);

	/* MEDIUM holds until 170, then falls to LOW (held until 220). */
	for (__u64 a = 150; a < 170; a++)
		g_assert_cmpint(eval(&t, 1000, a, 0, MEDIUM), ==, MEDIUM);
	g_assert_cmpint(eval(&t, 1000, 170, 0, MEDIUM), ==, LOW);

	/* CRITICAL holds until 120. */
	for (__u64 a = 100; a < 120; a++)
		g_assert_cmpint(eval(&t, 1000, a, 0, CRITICAL), ==, CRITICAL);
	g_assert_cmpint(eval(&t, 1000, 120, 0, CRITICAL), ==, MEDIUM);

	/* No hysteresis: the raw level. */
	t.hysteresis = 0;
	g_assert_cmpint(eval(&t, 1000, 200, 0, LOW), ==, NORMAL);
	g_assert_cmpint(eval(&t, 1000, 199, 0, LOW), ==, LOW);
}

static void test_eval_falling(void)
{
	struct oom_notify_thresholds t = defaults();

	/* Clear of everything: straight down. */
	g_assert_cmpint(eval(&t, 1000, 500, 0, CRITICAL), ==, NORMAL);
	g_assert_cmpint(eval(&t, 1000, 220, 0, CRITICAL), ==, NORMAL);
	/* Clear of critical and medium, not of low. */
	g_assert_cmpint(eval(&t, 1000, 175, 0, CRITICAL), ==, LOW);
	g_assert_cmpint(eval(&t, 1000, 219, 0, CRITICAL), ==, LOW);
	/* Clear of critical only: medium is held by its hysteresis. */
	g_assert_cmpint(eval(&t, 1000, 165, 0, CRITICAL), ==, MEDIUM);
	g_assert_cmpint(eval(&t, 1000, 169, 0, CRITICAL), ==, MEDIUM);
}

static void test_eval_swap(void)
{
	struct oom_notify_thresholds t = defaults();

	/* Little memory but plenty of swap: normal. */
	g_assert_cmpint(eval(&t, 1000, 50, 500, NORMAL), ==, NORMAL);
	g_assert_cmpint(eval(&t, 1000, 50, 200, NORMAL), ==, NORMAL);
	/* No swap at all counts as none free. */
	g_assert_cmpint(eval(&t, 1000, 50, 0, NORMAL), ==, CRITICAL);
	/* Swap caps the level: both must be below a level's thresholds. */
	g_assert_cmpint(eval(&t, 1000, 50, 199, NORMAL), ==, LOW);
	g_assert_cmpint(eval(&t, 1000, 50, 149, NORMAL), ==, MEDIUM);
	g_assert_cmpint(eval(&t, 1000, 50, 99, NORMAL), ==, CRITICAL);
	/* ... and so does memory, with swap exhausted. */
	g_assert_cmpint(eval(&t, 1000, 180, 0, NORMAL), ==, LOW);
	/* Swap freed (swapoff ended, pages swapped in): release by swap alone,
	 * again with hysteresis. */
	g_assert_cmpint(eval(&t, 1000, 50, 119, CRITICAL), ==, CRITICAL);
	g_assert_cmpint(eval(&t, 1000, 50, 120, CRITICAL), ==, MEDIUM);
	g_assert_cmpint(eval(&t, 1000, 50, 500, CRITICAL), ==, NORMAL);
	/* Swap thresholds at 1000: swap never gates (any swap_free < total). */
	for (int l = LOW; l <= CRITICAL; l++)
		t.swap[l] = 1000;
	g_assert_cmpint(eval(&t, 1000, 50, 999, NORMAL), ==, CRITICAL);
}

struct bounds_case {
	const char *name;
	__u64 total;
	__u64 swap_free;
	__u32 hysteresis;
};

/*
 * For each level L and each MemAvailable x0 that holds L (eval(x0, L) == L),
 * the bounds must describe exactly where eval(x, L) leaves L, x moving alone:
 * it rises iff x < rise_below (never when rise_below is 0) and falls iff
 * x >= fall_at. Checked for every x near the boundaries, ±1 unit.
 */
static void check_bounds(const struct oom_notify_thresholds *t, __u64 total,
			 __u64 swap_free, bool *swap_gated_rise)
{
	__u64 step = total > 4000 ? total / 4000 : 1;

	for (int L = NORMAL; L <= CRITICAL; L++) {
		for (__u64 x0 = 0; x0 <= total; x0 += step) {
			struct oom_notify_figures f = {
				.mem_total = total,
				.mem_available = x0,
				.swap_worth = swap_free,
			};
			__u64 rise_below, fall_at;
			__u64 probes[8];

			if (oom_notify_level_eval(t, &f, L) != (enum oom_notify_level)L)
				continue;
			oom_notify_level_bounds(t, &f, L, &rise_below, &fall_at);

			g_assert_cmpuint(rise_below, <=, x0);
			g_assert_cmpuint(fall_at, >, x0);
			if (L == NORMAL)
				g_assert_cmpuint(fall_at, ==, G_MAXUINT64);
			if (L == CRITICAL)
				g_assert_cmpuint(rise_below, ==, 0);

			probes[0] = rise_below;
			probes[1] = rise_below + 1;
			probes[2] = rise_below ? rise_below - 1 : 0;
			probes[3] = fall_at == G_MAXUINT64 ? total : fall_at;
			probes[4] = fall_at == G_MAXUINT64 ? total : fall_at - 1;
			probes[5] = fall_at == G_MAXUINT64 ? total : fall_at + 1;
			probes[6] = 0;
			probes[7] = total;

			for (size_t i = 0; i < G_N_ELEMENTS(probes); i++) {
				enum oom_notify_level l;
				__u64 x = probes[i];

				l = eval(t, total, x, swap_free, L);
				if (x >= fall_at)
					g_assert_cmpint(l, <, L);
				else if (x >= rise_below)
					g_assert_cmpint(l, ==, L);
				else if (l == (enum oom_notify_level)L)
					/* below rise_below, yet no rise: only
					 * swap may hold it back */
					*swap_gated_rise = true;
				else
					g_assert_cmpint(l, >, L);
			}
		}
	}
}

static void test_bounds(void)
{
	static const struct bounds_case cases[] = {
		{ "per-mille units", 1000, 0, 20 },
		{ "not a multiple of 1000", 997, 0, 20 },
		{ "no hysteresis", 1003, 0, 0 },
		{ "16 GiB in bytes", 16ULL << 30, 0, 20 },
		{ "7 GiB + 1 byte", (7ULL << 30) + 1, 0, 35 },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct oom_notify_thresholds t = defaults();
		bool gated = false;

		g_test_message("case: %s", cases[i].name);
		t.hysteresis = cases[i].hysteresis;
		check_bounds(&t, cases[i].total, cases[i].swap_free, &gated);
		/* Without swap nothing gates: rise_below must be exact. */
		g_assert_false(gated);
	}
}

static void test_bounds_swap(void)
{
	struct oom_notify_thresholds t = defaults();
	/* Swap free at 12 % of MemTotal: gates critical (10 %), not medium. */
	__u64 total = 1000, swap_free = 120;
	bool gated = false;
	struct oom_notify_figures f = {
		.mem_total = total,
		.mem_available = 140,
		.swap_worth = swap_free,
	};
	__u64 rise_below, fall_at;

	/* The safe half of the contract holds in every case: no level change
	 * is missed between the bounds. */
	check_bounds(&t, total, swap_free, &gated);
	check_bounds(&t, total, 180, &gated);
	check_bounds(&t, 1u << 30, 1u << 29, &gated);

	/* Medium, memory may fall to 0 without reaching critical. */
	g_assert_cmpint(oom_notify_level_eval(&t, &f, MEDIUM), ==, MEDIUM);
	g_assert_cmpint(eval(&t, total, 0, swap_free, MEDIUM), ==, MEDIUM);
	oom_notify_level_bounds(&t, &f, MEDIUM, &rise_below, &fall_at);
	g_assert_cmpuint(fall_at, ==, 170);
	/* The nearest higher threshold still above MemAvailable: critical's.
	 * Swap holds the level there, so crossing it asks for a re-check
	 * that changes nothing, as the header says. */
	g_assert_cmpuint(rise_below, ==, 100);

	/* Below every higher threshold already: only swap (reclaim) can
	 * raise it, so MemAvailable gives no bound. */
	f.mem_available = 50;
	g_assert_cmpint(oom_notify_level_eval(&t, &f, MEDIUM), ==, MEDIUM);
	oom_notify_level_bounds(&t, &f, MEDIUM, &rise_below, &fall_at);
	g_assert_cmpuint(rise_below, ==, 0);
	g_assert_cmpuint(fall_at, ==, 170);
}

/*
 * Swap moving alone, MemAvailable fixed: for every level L and free swap s0
 * that holds L, eval(s, L) rises iff s < swap_rise_below and falls iff
 * s >= swap_fall_at, checked around both bounds.
 */
static void check_swap_bounds(const struct oom_notify_thresholds *t, __u64 total)
{
	__u64 step = total > 2000 ? total / 2000 : 1;

	for (int L = NORMAL; L <= CRITICAL; L++) {
		for (__u64 mem = 0; mem <= total; mem += step * 7) {
			for (__u64 s0 = 0; s0 <= total; s0 += step) {
				struct oom_notify_figures f = { total, mem, s0 };
				__u64 rb, fa, probes[6];

				if (oom_notify_level_eval(t, &f, L) != (enum oom_notify_level)L)
					continue;
				oom_notify_swap_bounds(t, &f, L, &rb, &fa);
				g_assert_cmpuint(rb, <=, s0);
				g_assert_cmpuint(fa, >, s0);
				probes[0] = rb ? rb - 1 : 0;
				probes[1] = rb;
				probes[2] = rb + 1;
				probes[3] = fa == G_MAXUINT64 ? total : fa - 1;
				probes[4] = fa == G_MAXUINT64 ? total : fa;
				probes[5] = s0;
				for (int i = 0; i < 6; i++) {
					struct oom_notify_figures g = { total, mem, probes[i] };
					int now = oom_notify_level_eval(t, &g, L);

					g_assert_cmpint(now > L, ==, probes[i] < rb);
					g_assert_cmpint(now < L, ==, probes[i] >= fa);
				}
			}
		}
	}
}

static void test_swap_bounds(void)
{
	struct oom_notify_thresholds t = defaults();

	check_swap_bounds(&t, 1000);
	check_swap_bounds(&t, 4096);
	t.hysteresis = 5;
	check_swap_bounds(&t, 1000);
	/* swap that gates nothing (thresholds 1000) and swap that never
	 * counts as low (thresholds 0: the level cannot be reached) */
	for (int l = LOW; l <= CRITICAL; l++)
		t.swap[l] = 1000;
	check_swap_bounds(&t, 1000);
	for (int l = LOW; l <= CRITICAL; l++)
		t.swap[l] = 0;
	check_swap_bounds(&t, 1000);

	/* medium by memory only (mem 50 of 1000, swap 120): critical waits for swap */
	t = defaults();
	{
		struct oom_notify_figures f = { 1000, 50, 120 };
		__u64 rb, fa;

		g_assert_cmpint(oom_notify_level_eval(&t, &f, NORMAL), ==, MEDIUM);
		oom_notify_swap_bounds(&t, &f, MEDIUM, &rb, &fa);
		g_assert_cmpuint(rb, ==, 100);
		g_assert_cmpuint(fa, ==, 170);
	}
}

/* A partial update touches what it names and nothing else. */
static void test_merge(void)
{
	struct oom_notify_thresholds t = defaults(), upd, want;

	memset(&upd, 0xff, sizeof(upd));
	upd.mem[MEDIUM] = 120;
	upd.swap[CRITICAL] = 7;
	upd.hysteresis = 9;
	oom_notify_thresholds_merge(&t, &upd, 0);
	want = defaults();
	g_assert_cmpmem(&t, sizeof(t), &want, sizeof(want));

	oom_notify_thresholds_merge(&t, &upd,
				    (1u << OOM_NOTIFY_T_MEM_MEDIUM) |
				    (1u << OOM_NOTIFY_T_SWAP_CRITICAL) |
				    (1u << OOM_NOTIFY_T_HYSTERESIS));
	want.mem[MEDIUM] = 120;
	want.swap[CRITICAL] = 7;
	want.hysteresis = 9;
	g_assert_cmpmem(&t, sizeof(t), &want, sizeof(want));

	/* every bit maps to its own slot */
	for (int a = OOM_NOTIFY_T_MEM_LOW; a <= OOM_NOTIFY_T_HYSTERESIS; a++) {
		struct oom_notify_thresholds z, ones;

		memset(&z, 0, sizeof(z));
		memset(&ones, 0, sizeof(ones));
		for (int l = LOW; l <= CRITICAL; l++)
			ones.mem[l] = ones.swap[l] = 1;
		ones.hysteresis = 1;
		oom_notify_thresholds_merge(&z, &ones, 1u << a);
		g_assert_cmpuint(z.mem[LOW] + z.mem[MEDIUM] + z.mem[CRITICAL] + z.swap[LOW] +
					 z.swap[MEDIUM] + z.swap[CRITICAL] + z.hysteresis,
				 ==, 1);
		g_assert_cmpuint(z.mem[NORMAL] + z.swap[NORMAL], ==, 0);
	}
}

/* What swap is worth at a cost, and the inverse the module's hooks use. */
static void test_swap_worth(void)
{
	__u64 free;
	__u32 cost;

	/* a disk: all of it; zram that does not compress: nothing */
	g_assert_cmpuint(oom_notify_swap_worth(65536, 0), ==, 65536);
	g_assert_cmpuint(oom_notify_swap_worth(65536, 1000), ==, 0);
	g_assert_cmpuint(oom_notify_swap_worth(65536, 2000), ==, 0);
	/* 3:1 compression keeps two thirds */
	g_assert_cmpuint(oom_notify_swap_worth(3000, 333), ==, 2001);
	/* bytes of a 64 TiB swap do not overflow */
	g_assert_cmpuint(oom_notify_swap_worth(1ULL << 46, 250), ==, (1ULL << 46) / 4 * 3);
	g_assert_cmpuint(oom_notify_swap_worth(G_MAXUINT64, 0), ==, G_MAXUINT64);

	/* cost: RAM used over pages stored, clamped, fallback when too few */
	g_assert_cmpuint(oom_notify_swap_cost(256, 1024, 1, 0), ==, 250);
	g_assert_cmpuint(oom_notify_swap_cost(0, 1024, 1, 700), ==, 0);
	g_assert_cmpuint(oom_notify_swap_cost(1030, 1024, 1, 0), ==, 1000);
	g_assert_cmpuint(oom_notify_swap_cost(10, 100, 256, 420), ==, 420);
	g_assert_cmpuint(oom_notify_swap_cost(0, 0, 0, 420), ==, 420);
	g_assert_cmpuint(oom_notify_swap_cost(G_MAXUINT64 / 2, G_MAXUINT64, 1, 0), ==, 500);

	/* the free-swap bound: the least free swap worth the bound */
	for (cost = 0; cost < 1000; cost += 37) {
		for (free = 1; free < 5000; free += 97) {
			__u64 w = oom_notify_swap_worth(free, cost);
			__u64 b = oom_notify_swap_free_bound(w ?: 1, cost);

			g_assert_cmpuint(oom_notify_swap_worth(b, cost), >=, w ?: 1);
			/* at most one unit of rounding below it */
			if (b > 1)
				g_assert_cmpuint(oom_notify_swap_worth(b - 2, cost), <, w ?: 1);
		}
	}
	g_assert_cmpuint(oom_notify_swap_free_bound(0, 500), ==, 0);
	g_assert_cmpuint(oom_notify_swap_free_bound(G_MAXUINT64, 500), ==, G_MAXUINT64);
	g_assert_cmpuint(oom_notify_swap_free_bound(100, 1000), ==, G_MAXUINT64);
	g_assert_cmpuint(oom_notify_swap_free_bound(100, 0), ==, 100);
}

/*
 * Thrashing meets every swap condition: with plenty of swap worth, memory
 * decides the level alone; it releases nothing while it lasts.
 */
static void test_eval_thrashing(void)
{
	struct oom_notify_thresholds t = defaults();
	struct oom_notify_figures f = {
		.mem_total = 1000, .mem_available = 90, .swap_worth = 800,
	};
	__u64 rise, fall;

	g_assert_cmpint(oom_notify_level_eval(&t, &f, NORMAL), ==, NORMAL);
	f.thrashing = 1;
	g_assert_cmpint(oom_notify_level_eval(&t, &f, NORMAL), ==, CRITICAL);
	f.mem_available = 140;
	g_assert_cmpint(oom_notify_level_eval(&t, &f, NORMAL), ==, MEDIUM);
	/* memory clear of the hysteresis still releases */
	f.mem_available = 125;
	g_assert_cmpint(oom_notify_level_eval(&t, &f, CRITICAL), ==, MEDIUM);
	f.mem_available = 500;
	g_assert_cmpint(oom_notify_level_eval(&t, &f, CRITICAL), ==, NORMAL);
	/* while thrashing, swap gives no bound either way */
	f.mem_available = 90;
	oom_notify_swap_bounds(&t, &f, CRITICAL, &rise, &fall);
	g_assert_cmpuint(rise, ==, 0);
	g_assert_cmpuint(fall, ==, G_MAXUINT64);
	f.mem_available = 140;
	oom_notify_swap_bounds(&t, &f, MEDIUM, &rise, &fall);
	g_assert_cmpuint(rise, ==, 0);
	/* when it ends, swap worth decides again */
	f.thrashing = 0;
	f.mem_available = 90;
	g_assert_cmpint(oom_notify_level_eval(&t, &f, CRITICAL), ==, NORMAL);
}

/*
 * zram holding data that does not compress: free swap is plentiful, its
 * worth nothing, so memory alone sets the level (the kernel's OOM killer
 * would otherwise come first); data compressing 4:1 keeps the swap gate.
 */
static void test_eval_zram(void)
{
	struct oom_notify_thresholds t = defaults();
	__u64 total = 512, zram_free = 200;

	g_assert_cmpint(eval(&t, total, 40, oom_notify_swap_worth(zram_free, 0), NORMAL), ==, NORMAL);
	g_assert_cmpint(eval(&t, total, 40, oom_notify_swap_worth(zram_free, 1000), NORMAL), ==,
			CRITICAL);
	g_assert_cmpint(eval(&t, total, 40, oom_notify_swap_worth(zram_free, 250), NORMAL), ==,
			NORMAL);
	/* a fuller zram at the same ratio: now short */
	g_assert_cmpint(eval(&t, total, 40, oom_notify_swap_worth(60, 250), NORMAL), ==, CRITICAL);
}

int main(int argc, char *argv[])
{
	g_test_init(&argc, &argv, NULL);

	g_test_add_func("/core/level/defaults", test_defaults);
	g_test_add_func("/core/level/check", test_check);
	g_test_add_func("/core/level/merge", test_merge);
	g_test_add_func("/core/level/name", test_name);
	g_test_add_func("/core/level/eval/rising", test_eval_rising);
	g_test_add_func("/core/level/eval/hysteresis", test_eval_hysteresis);
	g_test_add_func("/core/level/eval/falling", test_eval_falling);
	g_test_add_func("/core/level/eval/swap", test_eval_swap);
	g_test_add_func("/core/level/bounds", test_bounds);
	g_test_add_func("/core/level/bounds/swap", test_bounds_swap);
	g_test_add_func("/core/level/bounds/swap-alone", test_swap_bounds);
	g_test_add_func("/core/level/swap-worth", test_swap_worth);
	g_test_add_func("/core/level/eval/thrashing", test_eval_thrashing);
	g_test_add_func("/core/level/eval/zram", test_eval_zram);

	return g_test_run();
}
