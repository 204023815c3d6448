/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The pure parts of the event sources (lib/oomn-source-logic.c):
 * PSI trigger strings, memory.events parsing, the meminfo poll schedule and
 * the level of a meminfo reading or of a cgroup. MemTotal is 1000 units in
 * most cases, so that a figure reads as per-mille.
 */
#include <errno.h>
#include <glib.h>
#include <string.h>

#include "oomn-source-logic.h"

#define NORMAL	 OOM_NOTIFY_LEVEL_NORMAL
#define LOW	 OOM_NOTIFY_LEVEL_LOW
#define MEDIUM	 OOM_NOTIFY_LEVEL_MEDIUM
#define CRITICAL OOM_NOTIFY_LEVEL_CRITICAL
#define MS	 OOMN_USEC_PER_MSEC
#define S	 OOMN_USEC_PER_SEC

static struct oom_notify_thresholds defaults(void)
{
	struct oom_notify_thresholds t;

	oom_notify_thresholds_default(&t);
	return t;
}

static void test_psi_trigger(void)
{
	char buf[OOMN_PSI_TRIGGER_SIZE];
	int n;

	n = oomn_psi_trigger_format(buf, sizeof(buf), false, 150000, 1000000);
	/* the NUL is part of what is written: the kernel overwrites the last byte */
	g_assert_cmpint(n, ==, (int)sizeof("some 150000 1000000"));
	g_assert_cmpmem(buf, n, "some 150000 1000000", sizeof("some 150000 1000000"));
	g_assert_cmpint(buf[n - 1], ==, '\0');

	n = oomn_psi_trigger_format(buf, sizeof(buf), true, OOMN_PSI_STALL_USEC,
				    OOMN_PSI_WINDOW_USEC);
	g_assert_cmpint(n, ==, (int)sizeof("full 50000 1000000"));
	g_assert_cmpstr(buf, ==, "full 50000 1000000");

	/* the kernel's limits */
	g_assert_cmpint(oomn_psi_trigger_format(buf, sizeof(buf), false, 500000, 500000), ==,
			(int)sizeof("some 500000 500000"));
	g_assert_cmpint(oomn_psi_trigger_format(buf, sizeof(buf), false, 1, 10000000), ==,
			(int)sizeof("some 1 10000000"));
	g_assert_cmpint(oomn_psi_trigger_format(buf, sizeof(buf), false, 0, 1000000), ==, -EINVAL);
	g_assert_cmpint(oomn_psi_trigger_format(buf, sizeof(buf), false, 1000001, 1000000), ==,
			-EINVAL);
	g_assert_cmpint(oomn_psi_trigger_format(buf, sizeof(buf), false, 1000, 499999), ==,
			-EINVAL);
	g_assert_cmpint(oomn_psi_trigger_format(buf, sizeof(buf), false, 1000, 10000001), ==,
			-EINVAL);

	/* exactly enough room, and one byte less (no room for the NUL) */
	g_assert_cmpint(
		oomn_psi_trigger_format(buf, sizeof("some 150000 1000000"), false, 150000, 1000000),
		==, (int)sizeof("some 150000 1000000"));
	g_assert_cmpint(oomn_psi_trigger_format(buf, sizeof("some 150000 1000000") - 1, false,
						150000, 1000000),
			==, -ENOBUFS);
	g_assert_cmpint(oomn_psi_trigger_format(buf, 0, false, 150000, 1000000), ==, -ENOBUFS);
}

static void test_memory_events(void)
{
	struct oomn_memory_events ev;

	g_assert_cmpint(oomn_memory_events_parse("low 1\nhigh 2\nmax 3\noom 4\noom_kill 5\n"
						 "oom_group_kill 6\n",
						 &ev),
			==, 0);
	g_assert_cmpuint(ev.low, ==, 1);
	g_assert_cmpuint(ev.high, ==, 2);
	g_assert_cmpuint(ev.max, ==, 3);
	g_assert_cmpuint(ev.oom, ==, 4);
	g_assert_cmpuint(ev.oom_kill, ==, 5);
	g_assert_cmpuint(ev.oom_group_kill, ==, 6);

	/* 6.1 has no oom_group_kill; future keys are skipped */
	g_assert_cmpint(oomn_memory_events_parse("low 0\nhigh 0\nmax 7\noom 1\noom_kill 1\n", &ev),
			==, 0);
	g_assert_cmpuint(ev.max, ==, 7);
	g_assert_cmpuint(ev.oom_group_kill, ==, 0);
	g_assert_cmpint(oomn_memory_events_parse(
				"oom 0\nfuture_key 9\noom_kill 18446744073709551615\n", &ev),
			==, 0);
	g_assert_cmpuint(ev.oom_kill, ==, UINT64_MAX);
}

static void test_memory_events_bad(void)
{
	static const char *const bad[] = {
		"",
		"oom 0\noom_kill 1",		   /* truncated: no final newline */
		"oom 0\n",			   /* oom_kill missing */
		"oom_kill 0\n",			   /* oom missing */
		"oom 0\noom_kill 1\noom_kill 2\n", /* twice */
		"oom 0\noom_kill -1\n",
		"oom 0\noom_kill 1 kB\n",
		"oom 0\noom_kill\n",
		"oom 0\noom_kill \n",
		"oom 0\n oom_kill 1\n",
		"oom 0\noom_kill 18446744073709551616\n", /* overflow */
		"oom 0\noom_kill 0x10\n",
		"oom 0\n\noom_kill 1\n",
		"oom\t0\noom_kill 1\n",
	};
	struct oomn_memory_events ev = { .oom_kill = 42 };

	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_test_message("case %zu: \"%s\"", i, bad[i]);
		g_assert_cmpint(oomn_memory_events_parse(bad[i], &ev), ==, -EBADMSG);
	}
	g_assert_cmpint(oomn_memory_events_parse(NULL, &ev), ==, -EBADMSG);
	/* untouched on failure */
	g_assert_cmpuint(ev.oom_kill, ==, 42);
}

#define FIG(t, a, sf)                                                                              \
	(&(struct oom_notify_figures){ .mem_total = (t), .mem_available = (a), .swap_worth = (sf) })
#define MI(t, a, st, sf)                                                                           \
	(&(struct oomn_meminfo){                                                                   \
		.mem_total = (t), .mem_available = (a), .swap_total = (st), .swap_free = (sf) })

static struct oom_notify_figures fig(uint64_t total, uint64_t avail, uint64_t swap_free)
{
	return (struct oom_notify_figures){ .mem_total = total,
					    .mem_available = avail,
					    .swap_worth = swap_free };
}

static void test_backoff(void)
{
	struct oom_notify_thresholds t = defaults();
	const uint64_t min = OOMN_BACKOFF_MIN_USEC, max = OOMN_BACKOFF_MAX_USEC;
	struct oom_notify_figures plenty = fig(1000, 800, 0), near = fig(1000, 249, 0);
	uint64_t iv, seen[16];

	g_assert_cmpuint(min, ==, 100 * MS);
	g_assert_cmpuint(max, ==, 10 * S);

	/* plentiful: 100 ms, doubling, then 10 s for good */
	iv = 0;
	for (gsize i = 0; i < G_N_ELEMENTS(seen); i++) {
		iv = oomn_backoff_next(iv, min, max, &t, &plenty, NORMAL);
		seen[i] = iv;
	}
	g_assert_cmpuint(seen[0], ==, 100 * MS);
	g_assert_cmpuint(seen[1], ==, 200 * MS);
	g_assert_cmpuint(seen[2], ==, 400 * MS);
	g_assert_cmpuint(seen[6], ==, 6400 * MS);
	g_assert_cmpuint(seen[7], ==, 10 * S);
	g_assert_cmpuint(seen[15], ==, 10 * S);

	/* within 5 % of RAM above the low threshold (200): fast at once */
	g_assert_true(oomn_backoff_near(&t, &near, NORMAL));
	g_assert_cmpuint(oomn_backoff_next(10 * S, min, max, &t, &near, NORMAL), ==, min);
	g_assert_false(oomn_backoff_near(&t, &(struct oom_notify_figures){ 1000, 250, 0 }, NORMAL));
	g_assert_cmpuint(oomn_backoff_next(400 * MS, min, max, &t, FIG(1000, 250, 0), NORMAL), ==,
			 800 * MS);
	/* a raised level is always watched closely, to see recovery */
	g_assert_cmpuint(oomn_backoff_next(10 * S, min, max, &t, FIG(1000, 190, 0), LOW), ==, min);
	g_assert_cmpuint(oomn_backoff_next(10 * S, min, max, &t, &plenty, LOW), ==, min);
	/* memory below every threshold, swap holding the level normal */
	g_assert_true(oomn_backoff_near(&t, FIG(1000, 50, 900), NORMAL));

	/* other bounds, and nonsense bounds */
	g_assert_cmpuint(oomn_backoff_next(0, 1000, 64000, &t, &plenty, NORMAL), ==, 1000);
	g_assert_cmpuint(oomn_backoff_next(40000, 1000, 64000, &t, &plenty, NORMAL), ==, 64000);
	g_assert_cmpuint(oomn_backoff_next(500, 1000, 64000, &t, &plenty, NORMAL), ==, 1000);
	g_assert_cmpuint(oomn_backoff_next(UINT64_MAX, 1000, 64000, &t, &plenty, NORMAL), ==,
			 64000);
	g_assert_cmpuint(oomn_backoff_next(5000, 1000, 10, &t, &plenty, NORMAL), ==, 1000);
	/* real sizes: 16 GiB in bytes does not overflow */
	g_assert_false(oomn_backoff_near(&t, FIG(16ULL << 30, 8ULL << 30, 0), NORMAL));
	g_assert_true(
		oomn_backoff_near(&t, FIG(16ULL << 30, (4ULL << 30) - (1ULL << 20), 0), NORMAL));
}

static void test_meminfo_level(void)
{
	struct oom_notify_thresholds t = defaults();
	struct oom_notify_figures f;
	enum oom_notify_level l = 99;

	g_assert_cmpint(oomn_meminfo_level(&t, MI(1000, 500, 0, 0), 0, false, NORMAL, &l, &f), ==,
			0);
	g_assert_cmpint(l, ==, NORMAL);
	g_assert_cmpuint(f.mem_total, ==, 1000);
	g_assert_cmpuint(f.mem_available, ==, 500);

	g_assert_cmpint(oomn_meminfo_level(&t, MI(1000, 199, 0, 0), 0, false, NORMAL, &l, NULL), ==,
			0);
	g_assert_cmpint(l, ==, LOW);
	g_assert_cmpint(oomn_meminfo_level(&t, MI(1000, 99, 0, 0), 0, false, NORMAL, &l, NULL), ==,
			0);
	g_assert_cmpint(l, ==, CRITICAL);
	/* hysteresis: critical is left at 100 + 20 */
	g_assert_cmpint(oomn_meminfo_level(&t, MI(1000, 119, 0, 0), 0, false, CRITICAL, &l, NULL),
			==, 0);
	g_assert_cmpint(l, ==, CRITICAL);
	g_assert_cmpint(oomn_meminfo_level(&t, MI(1000, 120, 0, 0), 0, false, CRITICAL, &l, NULL),
			==, 0);
	g_assert_cmpint(l, ==, MEDIUM);
	g_assert_cmpint(oomn_meminfo_level(&t, MI(1000, 500, 0, 0), 0, false, CRITICAL, &l, NULL),
			==, 0);
	g_assert_cmpint(l, ==, NORMAL);
	/* free swap holds the level down */
	g_assert_cmpint(
		oomn_meminfo_level(&t, MI(1000, 99, 2000, 500), 500, false, NORMAL, &l, NULL), ==,
		0);
	g_assert_cmpint(l, ==, NORMAL);
	g_assert_cmpint(
		oomn_meminfo_level(&t, MI(1000, 99, 2000, 120), 120, false, NORMAL, &l, NULL), ==,
		0);
	g_assert_cmpint(l, ==, MEDIUM);
	/* free swap counts at what it is worth (zram: net of its RAM cost) */
	g_assert_cmpint(oomn_meminfo_level(&t, MI(1000, 99, 2000, 500), 50, false, NORMAL, &l, &f),
			==, 0);
	g_assert_cmpint(l, ==, CRITICAL);
	g_assert_cmpuint(f.swap_worth, ==, 50);
	g_assert_false(f.thrashing);
	/* never more than SwapFree */
	g_assert_cmpint(oomn_meminfo_level(&t, MI(1000, 99, 2000, 120), 900, false, NORMAL, &l, &f),
			==, 0);
	g_assert_cmpint(l, ==, MEDIUM);
	g_assert_cmpuint(f.swap_worth, ==, 120);
	/* thrashing meets every swap condition, however much swap is free */
	g_assert_cmpint(oomn_meminfo_level(&t, MI(1000, 99, 2000, 900), 900, true, NORMAL, &l, &f),
			==, 0);
	g_assert_cmpint(l, ==, CRITICAL);
	g_assert_true(f.thrashing);
	/* but not the memory conditions */
	g_assert_cmpint(oomn_meminfo_level(&t, MI(1000, 500, 2000, 0), 0, true, NORMAL, &l, NULL),
			==, 0);
	g_assert_cmpint(l, ==, NORMAL);
	/* its end releases the level as swap would */
	g_assert_cmpint(
		oomn_meminfo_level(&t, MI(1000, 99, 2000, 900), 900, false, CRITICAL, &l, NULL), ==,
		0);
	g_assert_cmpint(l, ==, NORMAL);
	/* a previous level out of range counts as normal */
	g_assert_cmpint(oomn_meminfo_level(&t, MI(1000, 500, 0, 0), 0, false, 42, &l, NULL), ==, 0);
	g_assert_cmpint(l, ==, NORMAL);

	/* implausible readings change nothing */
	l = LOW;
	g_assert_cmpint(oomn_meminfo_level(&t, MI(1000, 1001, 0, 0), 0, false, NORMAL, &l, NULL),
			==, -EBADMSG);
	g_assert_cmpint(
		oomn_meminfo_level(&t, MI(1000, 10, 100, 101), 101, false, NORMAL, &l, NULL), ==,
		-EBADMSG);
	g_assert_cmpint(oomn_meminfo_level(&t, MI(0, 0, 0, 0), 0, false, NORMAL, &l, NULL), ==,
			-EBADMSG);
	g_assert_cmpint(l, ==, LOW);
}

static void test_cgroup_limit(void)
{
	uint64_t v = 7;

	g_assert_cmpint(oomn_cgroup_limit_parse("max\n", &v), ==, 0);
	g_assert_cmpuint(v, ==, UINT64_MAX);
	g_assert_cmpint(oomn_cgroup_limit_parse("33554432\n", &v), ==, 0);
	g_assert_cmpuint(v, ==, 33554432);
	g_assert_cmpint(oomn_cgroup_limit_parse("0\n", &v), ==, 0);
	g_assert_cmpuint(v, ==, 0);
	g_assert_cmpint(oomn_cgroup_limit_parse("max", &v), ==, -EBADMSG);
	g_assert_cmpint(oomn_cgroup_limit_parse("32M\n", &v), ==, -EBADMSG);
	g_assert_cmpint(oomn_cgroup_limit_parse("\n", &v), ==, -EBADMSG);
	g_assert_cmpint(oomn_cgroup_limit_parse("1\n2\n", &v), ==, -EBADMSG);
	g_assert_cmpint(oomn_cgroup_limit_parse("-1\n", &v), ==, -EBADMSG);
	g_assert_cmpint(oomn_cgroup_limit_parse("99999999999999999999\n", &v), ==, -EBADMSG);
	g_assert_cmpint(oomn_cgroup_limit_parse(NULL, &v), ==, -EBADMSG);
	g_assert_cmpuint(v, ==, 0);
}

static void test_cgroup_level(void)
{
	struct oom_notify_thresholds t = defaults();
	struct oom_notify_figures f;
	enum oom_notify_level l = 99;

	/* 32 MiB limit, 30 MiB used: 2/32 = 62 per-mille left: critical */
	g_assert_cmpint(oomn_cgroup_level(&t, 30 << 20, UINT64_MAX, 32 << 20, NORMAL, &l, &f), ==,
			0);
	g_assert_cmpint(l, ==, CRITICAL);
	g_assert_cmpuint(f.mem_total, ==, 32 << 20);
	g_assert_cmpuint(f.mem_available, ==, 2 << 20);
	/* the lower of high and max counts */
	g_assert_cmpint(oomn_cgroup_level(&t, 21 << 19, 40 << 20, 12 << 20, NORMAL, &l, NULL), ==,
			0);
	g_assert_cmpint(l, ==, MEDIUM);
	g_assert_cmpint(oomn_cgroup_level(&t, 10 << 20, 100 << 20, UINT64_MAX, NORMAL, &l, NULL),
			==, 0);
	g_assert_cmpint(l, ==, NORMAL);
	/* over the limit (memory.high can be exceeded) */
	g_assert_cmpint(oomn_cgroup_level(&t, 50 << 20, 40 << 20, UINT64_MAX, NORMAL, &l, &f), ==,
			0);
	g_assert_cmpint(l, ==, CRITICAL);
	g_assert_cmpuint(f.mem_available, ==, 0);
	g_assert_cmpint(oomn_cgroup_level(&t, 0, 0, 0, NORMAL, &l, NULL), ==, 0);
	g_assert_cmpint(l, ==, NORMAL); /* 0 used of a zero limit: nothing to lose */
	/* hysteresis as for the system */
	g_assert_cmpint(oomn_cgroup_level(&t, 885, UINT64_MAX, 1000, CRITICAL, &l, NULL), ==, 0);
	g_assert_cmpint(l, ==, CRITICAL);
	/* no limit */
	l = LOW;
	g_assert_cmpint(oomn_cgroup_level(&t, 10, UINT64_MAX, UINT64_MAX, NORMAL, &l, NULL), ==,
			-ENODATA);
	g_assert_cmpint(l, ==, LOW);
}

int main(int argc, char *argv[])
{
	g_test_init(&argc, &argv, NULL);

	g_test_add_func("/source/psi/trigger", test_psi_trigger);
	g_test_add_func("/source/memory-events/parse", test_memory_events);
	g_test_add_func("/source/memory-events/parse/bad", test_memory_events_bad);
	g_test_add_func("/source/backoff/schedule", test_backoff);
	g_test_add_func("/source/level/meminfo", test_meminfo_level);
	g_test_add_func("/source/cgroup/limit", test_cgroup_limit);
	g_test_add_func("/source/cgroup/level", test_cgroup_level);
	return g_test_run();
}
