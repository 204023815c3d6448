/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The meminfo source end to end on a fake proc root: a real sd-event loop,
 * a meminfo file rewritten under it. Time is the loop's own clock; the
 * schedule is scaled down (1 ms .. 64 ms) with oomn_source_set_poll_intervals()
 * and checked by the intervals it chose and the wakeups it made, never by
 * how long anything took.
 */
#include "source-fixture.h"

#define MS	 1000ULL
#define TOTAL_KB 1000000ULL /* MemAvailable in per-mille is avail_kb / 1000 */

/* A fake sysfs root inside the fake proc root (removed with it). */
static char *sys_root(SourceFixture *f)
{
	return g_build_filename(f->proc, "sys", NULL);
}

/* /proc/vmstat with refault counters that never move: no thrashing. */
static void write_vmstat(SourceFixture *f)
{
	sf_write_proc(
		f, "vmstat",
		"nr_free_pages 1000\nworkingset_refault_anon 10\nworkingset_refault_file 20\n");
}

/* meminfo with swap, in kB */
static void write_meminfo_swap(SourceFixture *f, guint64 avail_kb, guint64 swap_total_kb,
			       guint64 swap_free_kb)
{
	g_autofree char *text =
		g_strdup_printf("MemTotal:       %llu kB\n"
				"MemFree:        %" G_GUINT64_FORMAT " kB\n"
				"MemAvailable:   %" G_GUINT64_FORMAT " kB\n"
				"SwapTotal:      %" G_GUINT64_FORMAT " kB\n"
				"SwapFree:       %" G_GUINT64_FORMAT " kB\n",
				TOTAL_KB, avail_kb / 2, avail_kb, swap_total_kb, swap_free_kb);

	sf_write_proc(f, "meminfo", text);
}

static void write_sys(SourceFixture *f, const char *name, const char *text)
{
	g_autofree char *root = sys_root(f);
	g_autofree char *path = g_build_filename(root, name, NULL);
	g_autofree char *dir = g_path_get_dirname(path);
	GError *err = NULL;

	g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
	g_file_set_contents(path, text, -1, &err);
	g_assert_no_error(err);
}

static void start_meminfo(SourceFixture *f, char **cgroups)
{
	struct oomn_source_config cfg = sf_config(f, OOMN_SOURCE_MEMINFO);
	g_autofree char *sys = sys_root(f);

	cfg.cgroups = cgroups;
	cfg.sysfs_root = sys;
	write_vmstat(f);
	g_assert_cmpint(oomn_source_new(&f->s, f->e, &cfg, &sf_handlers, f), ==, 0);
	g_assert_cmpint(oomn_source_kind(f->s), ==, OOMN_SOURCE_MEMINFO);
	g_assert_cmpint(oomn_source_set_poll_intervals(f->s, 1 * MS, 64 * MS), ==, 0);
	/* the choice is announced from the loop, not from oomn_source_new() */
	g_assert_cmpuint(f->source_kind->len, ==, 0);
	g_assert_true(sf_run_until(f, sf_sources_at_least, GUINT_TO_POINTER(1), 5000 * MS));
	g_assert_cmpint(g_array_index(f->source_kind, enum oomn_source_kind, 0), ==,
			OOMN_SOURCE_MEMINFO);
}

/* Levels as meminfo changes: each change once, in order, numbered. */
static void test_levels(SourceFixture *f, gconstpointer data)
{
	static const struct {
		guint64 avail_kb;
		enum oom_notify_level level;
	} steps[] = {
		{ 190000, OOM_NOTIFY_LEVEL_LOW },
		{ 140000, OOM_NOTIFY_LEVEL_MEDIUM },
		{ 90000, OOM_NOTIFY_LEVEL_CRITICAL },
		{ 130000, OOM_NOTIFY_LEVEL_MEDIUM }, /* 120 releases critical */
		{ 800000, OOM_NOTIFY_LEVEL_NORMAL },
	};
	const struct oomn_pressure *cur;

	sf_write_meminfo(f, TOTAL_KB, 800000);
	start_meminfo(f, NULL);
	cur = oomn_source_current(f->s);
	g_assert_cmpint(cur->level, ==, OOM_NOTIFY_LEVEL_NORMAL);
	g_assert_cmpuint(cur->mem_total, ==, TOTAL_KB * 1024);
	g_assert_cmpuint(cur->mem_available, ==, 800000 * 1024);
	g_assert_cmpint(cur->source, ==, OOMN_SOURCE_MEMINFO);
	g_assert_null(cur->cgroup);

	for (guint i = 0; i < G_N_ELEMENTS(steps); i++) {
		const struct oomn_pressure *p;

		sf_write_meminfo(f, TOTAL_KB, steps[i].avail_kb);
		g_assert_true(
			sf_run_until(f, sf_pressures_at_least, GUINT_TO_POINTER(i + 1), 5000 * MS));
		p = sf_pressure(f, i);
		g_assert_cmpint(p->level, ==, steps[i].level);
		g_assert_cmpint(p->prev_level, ==,
				i ? steps[i - 1].level : OOM_NOTIFY_LEVEL_NORMAL);
		g_assert_cmpuint(p->pressure_seq, ==, i + 1);
		g_assert_cmpuint(p->cause, ==, OOM_NOTIFY_CAUSE_TIMER);
		g_assert_cmpuint(p->mem_available, ==, steps[i].avail_kb * 1024);
		g_assert_cmpint(p->source, ==, OOMN_SOURCE_MEMINFO);
		g_assert_false(p->resync);
		g_assert_cmpstr(g_ptr_array_index(f->pressure_cgroup, i), ==, "");
		g_assert_cmpint(oomn_source_current(f->s)->level, ==, steps[i].level);

		if (steps[i].level == OOM_NOTIFY_LEVEL_CRITICAL) {
			struct oomn_source_stats st;

			/* within the hysteresis: several reads, no event */
			sf_write_meminfo(f, TOTAL_KB, 115000);
			oomn_source_get_stats(f->s, &st);
			g_assert_true(sf_run_until(f, sf_wakeups_at_least,
						   GUINT_TO_POINTER(st.timer_wakeups + 3),
						   5000 * MS));
			g_assert_cmpuint(f->pressure->len, ==, i + 1);
			g_assert_cmpuint(oomn_source_current(f->s)->mem_available, ==,
					 115000 * 1024);
		}
	}
	g_assert_cmpuint(f->warnings->len, ==, 0);
}

/* Plentiful memory: the interval doubles up to the maximum and stays. */
static void test_backoff(SourceFixture *f, gconstpointer data)
{
	static const uint64_t expected[] = { 2, 4, 8, 16, 32, 64, 64, 64 };
	struct oomn_source_stats st, st0;
	uint64_t end;
	guint64 wakeups;

	sf_write_meminfo(f, TOTAL_KB, 800000);
	start_meminfo(f, NULL);

	for (guint i = 0; i < G_N_ELEMENTS(expected); i++) {
		oomn_source_get_stats(f->s, &st);
		g_assert_true(sf_run_until(f, sf_wakeups_at_least,
					   GUINT_TO_POINTER(st.timer_wakeups + 1), 5000 * MS));
		oomn_source_get_stats(f->s, &st);
		g_assert_cmpuint(st.interval_usec, ==, expected[i] * MS);
	}

	/* over 20 maximum intervals of the loop's clock, about 20 wakeups: not
	 * the 1280 of polling at the minimum */
	oomn_source_get_stats(f->s, &st0);
	end = sf_now(f) + 20 * 64 * MS;
	while (sf_now(f) < end)
		g_assert_cmpint(sd_event_run(f->e, end - sf_now(f)), >=, 0);
	oomn_source_get_stats(f->s, &st);
	wakeups = st.timer_wakeups - st0.timer_wakeups;
	g_test_message("%" G_GUINT64_FORMAT " wakeups over 20 maximum intervals", wakeups);
	g_assert_cmpuint(wakeups, <=, 21);
	g_assert_cmpuint(wakeups, >=, 1);
	/* one read per wakeup, nothing else reads: without swap no
	 * /proc/swaps, with plenty of memory no thrashing sample */
	g_assert_cmpuint(st.meminfo_reads - st0.meminfo_reads, ==, wakeups);
	g_assert_cmpuint(st.swaps_reads, ==, 0);
	g_assert_cmpuint(st.thrash_reads, ==, 0);

	/* within 5 % of RAM above the low threshold: back to the minimum */
	sf_write_meminfo(f, TOTAL_KB, 240000);
	oomn_source_get_stats(f->s, &st0);
	g_assert_true(sf_run_until(f, sf_wakeups_at_least, GUINT_TO_POINTER(st0.timer_wakeups + 1),
				   5000 * MS));
	oomn_source_get_stats(f->s, &st);
	g_assert_cmpuint(st.interval_usec, ==, 1 * MS);
	g_assert_cmpuint(f->pressure->len, ==, 0);

	/* plentiful again: doubling again */
	sf_write_meminfo(f, TOTAL_KB, 800000);
	g_assert_true(sf_run_until(f, sf_wakeups_at_least, GUINT_TO_POINTER(st.timer_wakeups + 3),
				   5000 * MS));
	oomn_source_get_stats(f->s, &st);
	g_assert_cmpuint(st.interval_usec, >=, 4 * MS);

	g_assert_cmpint(oomn_source_set_poll_intervals(f->s, 0, 10), ==, -EINVAL);
	g_assert_cmpint(oomn_source_set_poll_intervals(f->s, 10, 9), ==, -EINVAL);
}

/* Odd contents: a warning (once per kind of trouble), no event, state kept. */
static void test_bad_input(SourceFixture *f, gconstpointer data)
{
	g_autofree char *path = g_build_filename(f->proc, "meminfo", NULL);
	struct oomn_pressure before;
	struct oomn_source_stats st;
	guint warnings;

	sf_write_meminfo(f, TOTAL_KB, 190000);
	start_meminfo(f, NULL);
	before = *oomn_source_current(f->s);
	g_assert_cmpint(before.level, ==, OOM_NOTIFY_LEVEL_LOW);

	sf_write_proc(f, "meminfo", "MemTotal: lots\n");
	g_assert_true(sf_run_until(f, sf_warnings_at_least, GUINT_TO_POINTER(1), 5000 * MS));
	g_assert_true(sf_warned(f, "meminfo"));
	/* more reads of the same bad file: no more warnings */
	oomn_source_get_stats(f->s, &st);
	g_assert_true(sf_run_until(f, sf_wakeups_at_least, GUINT_TO_POINTER(st.timer_wakeups + 3),
				   5000 * MS));
	g_assert_cmpuint(f->warnings->len, ==, 1);

	sf_write_proc(f, "meminfo", "MemTotal: 1000 kB\nMemAvailable: 2000 kB\n");
	g_assert_true(sf_run_until(f, sf_warnings_at_least, GUINT_TO_POINTER(2), 5000 * MS));
	g_assert_true(sf_warned(f, "implausible"));

	sf_write_proc(f, "meminfo",
		      "MemTotal:       1000000 kB\nMemAvailable:    10"); /* truncated */
	g_assert_true(sf_run_until(f, sf_warnings_at_least, GUINT_TO_POINTER(3), 5000 * MS));
	g_assert_cmpint(g_unlink(path), ==, 0);
	warnings = f->warnings->len;
	g_assert_true(
		sf_run_until(f, sf_warnings_at_least, GUINT_TO_POINTER(warnings + 1), 5000 * MS));
	g_assert_true(sf_warned(f, "No such file"));

	/* all along: nothing reported, the last good state kept */
	g_assert_cmpuint(f->pressure->len, ==, 0);
	g_assert_cmpint(oomn_source_current(f->s)->level, ==, OOM_NOTIFY_LEVEL_LOW);
	g_assert_cmpuint(oomn_source_current(f->s)->mem_available, ==, before.mem_available);
	g_assert_cmpint(oomn_source_refresh(f->s), <, 0);

	/* good again: the level continues from the kept one */
	sf_write_meminfo(f, TOTAL_KB, 90000);
	g_assert_true(sf_run_until(f, sf_pressures_at_least, GUINT_TO_POINTER(1), 5000 * MS));
	g_assert_cmpint(sf_pressure(f, 0)->prev_level, ==, OOM_NOTIFY_LEVEL_LOW);
	g_assert_cmpint(sf_pressure(f, 0)->level, ==, OOM_NOTIFY_LEVEL_CRITICAL);
	g_assert_cmpuint(sf_pressure(f, 0)->pressure_seq, ==, 1);
}

/* oomn_source_refresh() reads at once. */
static void test_refresh(SourceFixture *f, gconstpointer data)
{
	sf_write_meminfo(f, TOTAL_KB, 800000);
	start_meminfo(f, NULL);
	g_assert_cmpint(oomn_source_set_poll_intervals(f->s, 10000 * MS, 10000 * MS), ==, 0);
	sf_write_meminfo(f, TOTAL_KB, 140000);
	g_assert_cmpint(oomn_source_refresh(f->s), ==, 0);
	g_assert_cmpuint(f->pressure->len, ==, 1);
	g_assert_cmpint(sf_pressure(f, 0)->level, ==, OOM_NOTIFY_LEVEL_MEDIUM);
	g_assert_cmpuint(sf_pressure(f, 0)->cause, ==, OOM_NOTIFY_CAUSE_QUERY);
	g_assert_cmpint(oomn_source_refresh(f->s), ==, 0);
	g_assert_cmpuint(f->pressure->len, ==, 1);
}

static void make_cgroup(SourceFixture *f, const char *name, const char *events, const char *max,
			const char *current)
{
	g_autofree char *dir = g_build_filename(f->cgroups, name, NULL);
	g_autofree char *p_events = g_build_filename(dir, "memory.events", NULL);
	g_autofree char *p_max = g_build_filename(dir, "memory.max", NULL);
	g_autofree char *p_high = g_build_filename(dir, "memory.high", NULL);
	g_autofree char *p_current = g_build_filename(dir, "memory.current", NULL);

	g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
	sf_write_in_place(p_events, events);
	sf_write_in_place(p_max, max);
	sf_write_in_place(p_high, "max\n");
	sf_write_in_place(p_current, current);
}

#define EVENTS(high, max, oom, kill)                                                               \
	"low 0\nhigh " #high "\nmax " #max "\noom " #oom "\noom_kill " #kill "\noom_group_kill "   \
									     "0\n"

/* A cgroup's memory.events: OOM kills and limit hits, without polling. */
static void test_cgroup_events(SourceFixture *f, gconstpointer data)
{
	char *cgroups[] = { "app.slice/db", "/gone/", "../escape", NULL };
	g_autofree char *events =
		g_build_filename(f->cgroups, "app.slice", "db", "memory.events", NULL);
	const struct oomn_pressure *p;
	struct oomn_source_stats st;

	sf_write_meminfo(f, TOTAL_KB, 800000);
	make_cgroup(f, "app.slice/db", EVENTS(0, 0, 2, 2), "33554432\n", "1048576\n");
	start_meminfo(f, cgroups);
	/* the missing cgroup and the one outside the root: warnings, not errors */
	g_assert_true(sf_warned(f, "escape"));
	g_assert_true(sf_warned(f, "gone"));
	/* no polling: stretch the timer so that only inotify can wake us */
	g_assert_cmpint(oomn_source_set_poll_intervals(f->s, 100000 * MS, 100000 * MS), ==, 0);
	oomn_source_get_stats(f->s, &st);

	/* the counts it started with are not news; an increase is */
	sf_write_in_place(events, EVENTS(0, 0, 3, 4));
	g_assert_true(sf_run_until(f, sf_ooms_at_least, GUINT_TO_POINTER(1), 5000 * MS));
	g_assert_cmpuint(f->oom->len, ==, 1);
	g_assert_cmpstr(g_ptr_array_index(f->oom_cgroup, 0), ==, "/app.slice/db");
	g_assert_cmpuint(g_array_index(f->oom, struct oomn_oom_event, 0).pid, ==, 0);
	g_assert_cmpuint(g_array_index(f->oom, struct oomn_oom_event, 0).lost, ==, 1);
	g_assert_cmpuint(g_array_index(f->oom, struct oomn_oom_event, 0).oom_seq, ==, 4);
	g_assert_cmpstr(g_array_index(f->oom, struct oomn_oom_event, 0).cgroup, ==,
			"/app.slice/db");

	/* memory.max hit with 31 of 32 MiB used: critical for that cgroup */
	{
		g_autofree char *cur =
			g_build_filename(f->cgroups, "app.slice", "db", "memory.current", NULL);

		sf_write_in_place(cur, "32505856\n");
	}
	sf_write_in_place(events, EVENTS(0, 1, 3, 4));
	g_assert_true(sf_run_until(f, sf_pressures_at_least, GUINT_TO_POINTER(1), 5000 * MS));
	p = sf_pressure(f, 0);
	g_assert_cmpstr(g_ptr_array_index(f->pressure_cgroup, 0), ==, "/app.slice/db");
	g_assert_cmpint(p->level, ==, OOM_NOTIFY_LEVEL_CRITICAL);
	g_assert_cmpint(p->prev_level, ==, OOM_NOTIFY_LEVEL_NORMAL);
	g_assert_cmpuint(p->mem_total, ==, 32 << 20);
	g_assert_cmpuint(p->pressure_seq, ==, 1);
	/* the system's level is another matter */
	g_assert_cmpint(oomn_source_current(f->s)->level, ==, OOM_NOTIFY_LEVEL_NORMAL);
	g_assert_null(oomn_source_current(f->s)->cgroup);

	/* garbage: a warning, nothing else */
	sf_write_in_place(events, "oom_kill banana\n");
	g_assert_true(sf_run_until(f, sf_warnings_at_least, GUINT_TO_POINTER(f->warnings->len + 1),
				   5000 * MS));
	g_assert_true(sf_warned(f, "memory.events"));
	sf_write_in_place(events, EVENTS(0, 1, 3, 5));
	g_assert_true(sf_run_until(f, sf_ooms_at_least, GUINT_TO_POINTER(2), 5000 * MS));
	g_assert_cmpuint(g_array_index(f->oom, struct oomn_oom_event, 1).lost, ==, 0);
	g_assert_cmpuint(g_array_index(f->oom, struct oomn_oom_event, 1).oom_seq, ==, 5);
	g_assert_cmpuint(f->pressure->len, ==, 1);

	/* none of it took a timer wakeup */
	{
		struct oomn_source_stats now;

		oomn_source_get_stats(f->s, &now);
		g_assert_cmpuint(now.timer_wakeups, ==, st.timer_wakeups);
	}
}

#define SWAPS_HEADER "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"

static gboolean wakeups_since(SourceFixture *f, guint n)
{
	struct oomn_source_stats st;

	oomn_source_get_stats(f->s, &st);
	return sf_run_until(f, sf_wakeups_at_least, GUINT_TO_POINTER(st.timer_wakeups + n),
			    5000 * MS);
}

/* zram0 of 600000 kB with @used_kb used */
static void write_swaps_zram(SourceFixture *f, const char *dev, guint64 used_kb)
{
	g_autofree char *text =
		g_strdup_printf(SWAPS_HEADER "/dev/%s partition 600000 %" G_GUINT64_FORMAT " 100\n",
				dev, used_kb);

	sf_write_proc(f, "swaps", text);
}

static void write_mm_stat(SourceFixture *f, const char *dev, guint64 orig, guint64 mem,
			  guint64 limit)
{
	g_autofree char *name = g_strdup_printf("block/%s/mm_stat", dev);
	g_autofree char *text = g_strdup_printf("%" G_GUINT64_FORMAT " 0 %" G_GUINT64_FORMAT
						" %" G_GUINT64_FORMAT " 0 0 0 0 0\n",
						orig, mem, limit);

	write_sys(f, name, text);
}

/*
 * One step of swap taken in: mm_stat first, /proc/swaps next, meminfo last,
 * so that whatever the timer reads in between, the growth of Used is never
 * seen before the data that filled it.
 */
static void swap_in(SourceFixture *f, guint64 orig, guint64 mem, guint64 limit, guint64 used_kb,
		    guint64 avail_kb)
{
	write_mm_stat(f, "zram0", orig, mem, limit);
	write_swaps_zram(f, "zram0", used_kb);
	write_meminfo_swap(f, avail_kb, 600000, 600000 - used_kb);
}

/*
 * Free swap on zram counts at what the data being swapped now costs, as the
 * module counts it: whole until two steps (here 3.9 MB) are swapped while
 * memory is short, whatever is stored already; at nothing after that much data
 * that does not compress; forgotten once memory is plentiful, so the next,
 * compressible hog swaps with no level; and within zram's memory limit.
 */
static void test_swap_zram(SourceFixture *f, gconstpointer data)
{
	const struct oomn_pressure *p, *cur;
	struct oomn_source_stats st;

	/* 100000 kB stored in 90 % of that: leftovers that did not compress */
	swap_in(f, 102400000, 92160000, 0, 100000, 800000);
	start_meminfo(f, NULL);
	cur = oomn_source_current(f->s);
	g_assert_cmpint(cur->level, ==, OOM_NOTIFY_LEVEL_NORMAL);
	g_assert_cmpuint(cur->swap_total, ==, 600000 * 1024);
	g_assert_cmpuint(cur->swap_free, ==, 500000 * 1024);
	g_assert_cmpuint(cur->swap_worth, ==, 500000 * 1024);
	g_assert_false(cur->thrashing);

	/* MemAvailable at 9 %: nothing swapped yet, the 50 % free holds it */
	write_meminfo_swap(f, 90000, 600000, 500000);
	g_assert_true(wakeups_since(f, 5));
	g_assert_cmpuint(f->pressure->len, ==, 0);
	g_assert_cmpuint(oomn_source_current(f->s)->mem_available, ==, 90000 * 1024);
	g_assert_cmpuint(oomn_source_current(f->s)->swap_worth, ==, 500000 * 1024);

	/* 20000 kB of random bytes swapped, a bit more RAM for them: critical */
	swap_in(f, 122880000, 112700000, 0, 120000, 90000);
	g_assert_true(sf_run_until(f, sf_pressures_at_least, GUINT_TO_POINTER(1), 5000 * MS));
	p = sf_pressure(f, 0);
	g_assert_cmpint(p->level, ==, OOM_NOTIFY_LEVEL_CRITICAL);
	g_assert_cmpuint(p->swap_worth, ==, 0);
	g_assert_cmpuint(p->cause, ==, OOM_NOTIFY_CAUSE_TIMER);

	/* the hog gone, memory plentiful: the cost is forgotten */
	write_meminfo_swap(f, 800000, 600000, 480000);
	g_assert_true(sf_run_until(f, sf_pressures_at_least, GUINT_TO_POINTER(2), 5000 * MS));
	p = sf_pressure(f, 1);
	g_assert_cmpint(p->level, ==, OOM_NOTIFY_LEVEL_NORMAL);
	g_assert_cmpuint(p->swap_worth, ==, 480000 * 1024);

	/* short again: the leftovers decide nothing... */
	write_meminfo_swap(f, 90000, 600000, 480000);
	g_assert_true(wakeups_since(f, 3));
	g_assert_cmpuint(oomn_source_current(f->s)->mem_available, ==, 90000 * 1024);
	g_assert_cmpuint(oomn_source_current(f->s)->swap_worth, ==, 480000 * 1024);
	/* ...and a hog whose pages compress to 5 % swaps 40000 kB, no level */
	swap_in(f, 163840000, 114748000, 0, 160000, 90000);
	g_assert_true(wakeups_since(f, 3));
	g_assert_cmpuint(oomn_source_current(f->s)->swap_free, ==, 440000 * 1024);
	g_assert_cmpuint(oomn_source_current(f->s)->swap_worth, ==, 428032000);
	g_assert_cmpuint(f->pressure->len, ==, 2);

	/* zram's memory limit almost reached: 4096000 bytes of RAM left hold
	 * 20 times that at cost 50, worth 77824000 (7.6 %): critical */
	write_mm_stat(f, "zram0", 163840000, 114748000, 114748000 + 4096000);
	g_assert_true(sf_run_until(f, sf_pressures_at_least, GUINT_TO_POINTER(3), 5000 * MS));
	p = sf_pressure(f, 2);
	g_assert_cmpint(p->level, ==, OOM_NOTIFY_LEVEL_CRITICAL);
	g_assert_cmpuint(p->swap_worth, ==, 77824000);

	/* the same free swap on a disk: all of it counts */
	sf_write_proc(f, "swaps", SWAPS_HEADER "/dev/vda2 partition 600000 160000 -2\n");
	g_assert_true(sf_run_until(f, sf_pressures_at_least, GUINT_TO_POINTER(4), 5000 * MS));
	p = sf_pressure(f, 3);
	g_assert_cmpint(p->level, ==, OOM_NOTIFY_LEVEL_NORMAL);
	g_assert_cmpuint(p->swap_worth, ==, 440000 * 1024);

	/* every read of meminfo with swap reads /proc/swaps too */
	oomn_source_get_stats(f->s, &st);
	g_assert_cmpuint(st.swaps_reads, ==, st.meminfo_reads);
	g_assert_cmpuint(f->warnings->len, ==, 0);
}

/*
 * A zram device without its mm_stat: counted at the last cost measured, 0
 * when none was, with one warning.
 */
static void test_swap_zram_unknown(SourceFixture *f, gconstpointer data)
{
	const struct oomn_pressure *p;

	write_swaps_zram(f, "zram1", 100000);
	write_meminfo_swap(f, 90000, 600000, 500000);
	start_meminfo(f, NULL);
	g_assert_cmpint(oomn_source_current(f->s)->level, ==, OOM_NOTIFY_LEVEL_NORMAL);
	g_assert_cmpuint(oomn_source_current(f->s)->swap_worth, ==, 500000 * 1024);
	g_assert_cmpuint(oomn_source_current(f->s)->swap_free, ==, 500000 * 1024);
	g_assert_true(wakeups_since(f, 5));
	g_assert_cmpuint(f->warnings->len, ==, 1);
	g_assert_true(sf_warned(f, "zram1/mm_stat"));
	g_assert_true(sf_warned(f, "0 per-mille"));
	g_assert_cmpuint(f->pressure->len, ==, 0);

	/* there: a step that does not compress; gone again: the cost stays */
	write_mm_stat(f, "zram1", 102400000, 102400000, 0);
	g_assert_true(wakeups_since(f, 2));
	/* more than two steps of 1.95 MB (MemTotal / 512) */
	write_mm_stat(f, "zram1", 110592000, 110696000, 0);
	write_swaps_zram(f, "zram1", 108000);
	write_meminfo_swap(f, 90000, 600000, 492000);
	g_assert_true(sf_run_until(f, sf_pressures_at_least, GUINT_TO_POINTER(1), 5000 * MS));
	p = sf_pressure(f, 0);
	g_assert_cmpint(p->level, ==, OOM_NOTIFY_LEVEL_CRITICAL);
	g_assert_cmpuint(p->swap_worth, ==, 0);
	{
		g_autofree char *root = sys_root(f);
		g_autofree char *path = g_build_filename(root, "block/zram1/mm_stat", NULL);

		g_assert_cmpint(g_unlink(path), ==, 0);
	}
	g_assert_true(wakeups_since(f, 5));
	g_assert_cmpuint(f->pressure->len, ==, 1);
	g_assert_cmpuint(oomn_source_current(f->s)->swap_worth, ==, 0);
	g_assert_cmpuint(f->warnings->len, ==, 2);
	g_assert_true(sf_warned(f, "1000 per-mille"));

	/* memory plentiful: forgotten like any cost */
	write_meminfo_swap(f, 800000, 600000, 492000);
	g_assert_true(sf_run_until(f, sf_pressures_at_least, GUINT_TO_POINTER(2), 5000 * MS));
	p = sf_pressure(f, 1);
	g_assert_cmpint(p->level, ==, OOM_NOTIFY_LEVEL_NORMAL);
	g_assert_cmpuint(p->swap_worth, ==, 492000 * 1024);
	g_assert_cmpuint(f->warnings->len, ==, 2);
}

/*
 * Thrashing ("full" avg10 at 10 % and more) meets every swap condition:
 * with plenty of swap on a disk and MemAvailable at 14 %, medium while it
 * lasts, normal once below 5 %; both changes told as caused by it.
 */
static void test_thrashing(SourceFixture *f, gconstpointer data)
{
	g_autofree char *dir = g_build_filename(f->proc, "pressure", NULL);
	const struct oomn_pressure *p;
	struct oomn_source_stats st, st0;

	g_assert_cmpint(g_mkdir(dir, 0755), ==, 0);
	sf_write_proc(f, "pressure/memory",
		      "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"
		      "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n");
	sf_write_proc(f, "swaps", SWAPS_HEADER "/dev/vda2 partition 1000000 0 -2\n");
	write_meminfo_swap(f, 140000, 1000000, 1000000);
	start_meminfo(f, NULL);
	g_assert_cmpint(oomn_source_current(f->s)->level, ==, OOM_NOTIFY_LEVEL_NORMAL);
	g_assert_false(oomn_source_current(f->s)->thrashing);

	sf_write_proc(f, "pressure/memory",
		      "some avg10=40.00 avg60=9.00 avg300=2.00 total=9\n"
		      "full avg10=20.00 avg60=5.00 avg300=1.00 total=5\n");
	g_assert_true(sf_run_until(f, sf_pressures_at_least, GUINT_TO_POINTER(1), 5000 * MS));
	p = sf_pressure(f, 0);
	g_assert_cmpint(p->level, ==, OOM_NOTIFY_LEVEL_MEDIUM);
	g_assert_true(p->thrashing);
	g_assert_cmpuint(p->cause, ==, OOM_NOTIFY_CAUSE_THRASHING);
	g_assert_cmpuint(p->swap_worth, ==, 1000000 * 1024);

	/* 6 %: still thrashing (it ends below half the threshold) */
	sf_write_proc(f, "pressure/memory",
		      "some avg10=9.00 avg60=9.00 avg300=2.00 total=9\n"
		      "full avg10=6.00 avg60=5.00 avg300=1.00 total=5\n");
	g_assert_true(wakeups_since(f, 3));
	g_assert_cmpuint(f->pressure->len, ==, 1);
	g_assert_true(oomn_source_current(f->s)->thrashing);

	sf_write_proc(f, "pressure/memory",
		      "some avg10=9.00 avg60=9.00 avg300=2.00 total=9\n"
		      "full avg10=4.00 avg60=5.00 avg300=1.00 total=5\n");
	g_assert_true(sf_run_until(f, sf_pressures_at_least, GUINT_TO_POINTER(2), 5000 * MS));
	p = sf_pressure(f, 1);
	g_assert_cmpint(p->level, ==, OOM_NOTIFY_LEVEL_NORMAL);
	g_assert_false(p->thrashing);
	g_assert_cmpuint(p->cause, ==, OOM_NOTIFY_CAUSE_THRASHING);

	/* plentiful memory: thrashing is not looked for at all */
	sf_write_proc(f, "pressure/memory",
		      "some avg10=90.00 avg60=9.00 avg300=2.00 total=9\n"
		      "full avg10=90.00 avg60=5.00 avg300=1.00 total=5\n");
	write_meminfo_swap(f, 800000, 1000000, 1000000);
	g_assert_true(wakeups_since(f, 1));
	oomn_source_get_stats(f->s, &st0);
	g_assert_true(wakeups_since(f, 5));
	oomn_source_get_stats(f->s, &st);
	g_assert_cmpuint(st.thrash_reads, ==, st0.thrash_reads);
	g_assert_cmpuint(st.meminfo_reads, >, st0.meminfo_reads);
	g_assert_false(oomn_source_current(f->s)->thrashing);
	g_assert_cmpuint(f->pressure->len, ==, 2);
	g_assert_cmpuint(f->warnings->len, ==, 0);
}

/* The selection: kernel, psi, meminfo; a forced one must be there. */
static void test_select(SourceFixture *f, gconstpointer data)
{
	struct oomn_source_config cfg;

	sf_write_meminfo(f, TOTAL_KB, 800000);

	/* no module on this machine, no pressure/ in the fake root */
	cfg = sf_config(f, OOMN_SOURCE_NONE);
	g_assert_cmpint(oomn_source_new(&f->s, f->e, &cfg, &sf_handlers, f), ==, 0);
	g_assert_cmpint(oomn_source_kind(f->s), ==, OOMN_SOURCE_MEMINFO);
	g_assert_nonnull(strstr(oomn_source_why(f->s), "pressure/memory"));
	g_assert_true(sf_run_until(f, sf_sources_at_least, GUINT_TO_POINTER(1), 5000 * MS));
	g_assert_cmpstr(g_ptr_array_index(f->source_why, 0), ==, oomn_source_why(f->s));
	f->s = oomn_source_free(f->s);

	cfg = sf_config(f, OOMN_SOURCE_PSI);
	g_assert_cmpint(oomn_source_new(&f->s, f->e, &cfg, &sf_handlers, f), ==, -ENOENT);
	g_assert_null(f->s);
	g_assert_true(sf_warned(f, "psi source forced but unavailable"));

	if (access("/sys/module/oom_notify", F_OK) != 0) {
		cfg = sf_config(f, OOMN_SOURCE_KERNEL);
		g_assert_cmpint(oomn_source_new(&f->s, f->e, &cfg, &sf_handlers, f), <, 0);
		g_assert_null(f->s);
		g_assert_true(sf_warned(f, "kernel source forced but unavailable"));
	}

	/* no meminfo at all: nothing works */
	cfg = sf_config(f, OOMN_SOURCE_MEMINFO);
	cfg.proc_root = "/nonexistent";
	g_assert_cmpint(oomn_source_new(&f->s, f->e, &cfg, &sf_handlers, f), ==, -ENOENT);

	cfg = sf_config(f, OOMN_SOURCE_MEMINFO);
	cfg.thresholds.mem[OOM_NOTIFY_LEVEL_CRITICAL] = 900;
	g_assert_cmpint(oomn_source_new(&f->s, f->e, &cfg, &sf_handlers, f), ==, -EINVAL);
	cfg = sf_config(f, 17);
	g_assert_cmpint(oomn_source_new(&f->s, f->e, &cfg, &sf_handlers, f), ==, -EINVAL);
	g_assert_cmpuint(f->pressure->len, ==, 0);

	g_assert_cmpstr(oomn_source_kind_to_string(OOMN_SOURCE_KERNEL), ==, "kernel");
	g_assert_cmpstr(oomn_source_kind_to_string(OOMN_SOURCE_PSI), ==, "psi");
	g_assert_cmpstr(oomn_source_kind_to_string(OOMN_SOURCE_MEMINFO), ==, "meminfo");
	g_assert_cmpstr(oomn_source_kind_to_string(OOMN_SOURCE_NONE), ==, "none");
}

int main(int argc, char *argv[])
{
	g_test_init(&argc, &argv, NULL);

#define ADD(path, fn) g_test_add(path, SourceFixture, NULL, sf_setup, fn, sf_teardown)
	ADD("/source/meminfo/levels", test_levels);
	ADD("/source/meminfo/backoff", test_backoff);
	ADD("/source/meminfo/bad-input", test_bad_input);
	ADD("/source/meminfo/refresh", test_refresh);
	ADD("/source/meminfo/cgroup-events", test_cgroup_events);
	ADD("/source/meminfo/swap-zram", test_swap_zram);
	ADD("/source/meminfo/swap-zram-unknown", test_swap_zram_unknown);
	ADD("/source/meminfo/thrashing", test_thrashing);
	ADD("/source/select", test_select);
	return g_test_run();
}
