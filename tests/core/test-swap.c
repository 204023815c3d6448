/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Swap worth and thrashing for the psi and meminfo sources
 * (lib/oomn-swap.c): the parsers of /proc/swaps, zram's mm_stat,
 * /proc/pressure/memory and /proc/vmstat, the arithmetic of what a device's
 * free space is worth, the thrashing decisions on recorded sample sequences,
 * and the reader on fake proc and sysfs trees.
 */
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "oomn-swap.h"

#define KIB UINT64_C(1024)
#define MIB (UINT64_C(1024) * 1024)
#define GIB (UINT64_C(1024) * 1024 * 1024)
#define SEC UINT64_C(1000000)

#define SWAPS_HEADER "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"

/* ---- /proc/swaps ----------------------------------------------------- */

static void test_swaps_parse(void)
{
	/* as 6.1 prints them: a partition, a file, zram (and an escaped blank) */
	static const char text[] = SWAPS_HEADER
		"/dev/vda2                               partition\t2097148\t\t524288\t\t-2\n"
		"/var/swap\\040file                       file\t\t1048572\t\t0\t\t-3\n"
		"/dev/zram0                              partition\t4194300\t\t1048576\t\t100\n"
		"/dev/zram12                             partition\t1024\t\t1024\t\t5\n";
	struct oomn_swaps sw;

	g_assert_cmpint(oomn_swaps_parse(text, &sw), ==, 0);
	g_assert_cmpuint(sw.n, ==, 4);
	g_assert_cmpuint(sw.dev[0].size, ==, 2097148 * KIB);
	g_assert_cmpuint(sw.dev[0].used, ==, 524288 * KIB);
	g_assert_cmpint(sw.dev[0].zram, ==, -1);
	g_assert_cmpuint(sw.dev[1].size, ==, 1048572 * KIB);
	g_assert_cmpuint(sw.dev[1].used, ==, 0);
	g_assert_cmpint(sw.dev[1].zram, ==, -1);
	g_assert_cmpuint(sw.dev[2].size, ==, 4194300 * KIB);
	g_assert_cmpuint(sw.dev[2].used, ==, 1048576 * KIB);
	g_assert_cmpint(sw.dev[2].zram, ==, 0);
	g_assert_cmpint(sw.dev[3].zram, ==, 12);
	g_assert_cmpuint(sw.dev[3].used, ==, sw.dev[3].size);

	/* no swap: the header alone */
	g_assert_cmpint(oomn_swaps_parse(SWAPS_HEADER, &sw), ==, 0);
	g_assert_cmpuint(sw.n, ==, 0);

	/* only a block device named zramN is zram; more fields are ignored */
	g_assert_cmpint(oomn_swaps_parse(SWAPS_HEADER "/srv/zram1 file 100 0 -2\n"
						      "/dev/zramx partition 100 0 -2\n"
						      "/dev/zram partition 100 0 -2\n"
						      "/dev/zram1x partition 100 0 -2\n"
						      "/dev/zram99999999 partition 100 0 -2\n"
						      "zram3 partition 100 0 -2 extra\n",
					 &sw),
			==, 0);
	g_assert_cmpuint(sw.n, ==, 6);
	for (int i = 0; i < 5; i++)
		g_assert_cmpint(sw.dev[i].zram, ==, -1);
	g_assert_cmpint(sw.dev[5].zram, ==, 3);
}

static void test_swaps_parse_bad(void)
{
	static const char *const bad[] = {
		"",
		"/dev/vda2 partition 100 0 -2\n",				/* no header */
		SWAPS_HEADER "/dev/vda2 partition 100 0\n",			/* too few */
		SWAPS_HEADER "/dev/vda2\n",					/* too few */
		SWAPS_HEADER "\n",						/* empty line */
		SWAPS_HEADER "/dev/vda2 partition lots 0 -2\n",			/* not a number */
		SWAPS_HEADER "/dev/vda2 partition 100 0x10 -2\n",		/* not decimal */
		SWAPS_HEADER "/dev/vda2 partition -100 0 -2\n",			/* negative */
		SWAPS_HEADER "/dev/vda2 partition 100 0 high\n",		/* priority */
		SWAPS_HEADER "/dev/vda2 partition 100 0 -\n",			/* priority */
		SWAPS_HEADER "/dev/vda2 partition 18446744073709551616 0 -2\n", /* > u64 */
		SWAPS_HEADER "/dev/vda2 partition 18014398509481984 0 -2\n",	/* bytes > u64 */
		SWAPS_HEADER "/dev/vda2 partition 100 101 -2\n",		/* used > size */
		SWAPS_HEADER "/dev/vda2 partition 100 0 -2",			/* truncated */
		SWAPS_HEADER "/dev/vda2 partition 100 0 -2\n/dev/vda3 part",	/* truncated */
		"Filename",
	};
	struct oomn_swaps sw = { .n = 42 };
	GString *many = g_string_new(SWAPS_HEADER);

	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_test_message("case %zu: \"%s\"", i, bad[i]);
		g_assert_cmpint(oomn_swaps_parse(bad[i], &sw), ==, -EBADMSG);
	}
	g_assert_cmpint(oomn_swaps_parse(NULL, &sw), ==, -EBADMSG);

	/* more devices than the kernel can have */
	for (int i = 0; i < OOMN_SWAPS_MAX; i++)
		g_string_append_printf(many, "/swap%d file 100 0 -2\n", i);
	g_assert_cmpint(oomn_swaps_parse(many->str, &sw), ==, 0);
	g_assert_cmpuint(sw.n, ==, OOMN_SWAPS_MAX);
	sw.n = 42;
	g_string_append(many, "/swap-one-too-many file 100 0 -2\n");
	g_assert_cmpint(oomn_swaps_parse(many->str, &sw), ==, -EBADMSG);
	g_string_free(many, TRUE);

	/* untouched on failure */
	g_assert_cmpuint(sw.n, ==, 42);
}

/* ---- zram mm_stat ---------------------------------------------------- */

static void test_zram_stat_parse(void)
{
	struct oomn_zram_stat st;

	/* 4.14: seven fields */
	g_assert_cmpint(oomn_zram_stat_parse("104857600 31457280 33554432        0 33554432"
					     "        7        0\n",
					     &st),
			==, 0);
	g_assert_cmpuint(st.n_fields, ==, 7);
	g_assert_cmpuint(st.orig_data_size, ==, 100 * MIB);
	g_assert_cmpuint(st.compr_data_size, ==, 30 * MIB);
	g_assert_cmpuint(st.mem_used_total, ==, 32 * MIB);
	g_assert_cmpuint(st.mem_limit, ==, 0);
	g_assert_cmpuint(st.mem_used_max, ==, 32 * MIB);
	g_assert_cmpuint(st.same_pages, ==, 7);
	g_assert_cmpuint(st.pages_compacted, ==, 0);
	g_assert_cmpuint(st.huge_pages, ==, 0);
	g_assert_cmpuint(st.huge_pages_since, ==, 0);

	/* 5.10: eight (huge_pages) */
	g_assert_cmpint(oomn_zram_stat_parse("  4096 2048 8192 1048576 8192 0 3 11\n", &st), ==, 0);
	g_assert_cmpuint(st.n_fields, ==, 8);
	g_assert_cmpuint(st.mem_limit, ==, 1048576);
	g_assert_cmpuint(st.pages_compacted, ==, 3);
	g_assert_cmpuint(st.huge_pages, ==, 11);
	g_assert_cmpuint(st.huge_pages_since, ==, 0);

	/* 6.1: nine (huge_pages_since), as %8llu pads them */
	g_assert_cmpint(oomn_zram_stat_parse("       0        0        0        0        0"
					     "        0        0        0        0\n",
					     &st),
			==, 0);
	g_assert_cmpuint(st.n_fields, ==, 9);
	g_assert_cmpuint(st.orig_data_size, ==, 0);

	g_assert_cmpint(oomn_zram_stat_parse("1 2 3 4 5 6 7 8 9\n", &st), ==, 0);
	g_assert_cmpuint(st.huge_pages, ==, 8);
	g_assert_cmpuint(st.huge_pages_since, ==, 9);

	/* a newer kernel's tenth field: ignored */
	g_assert_cmpint(oomn_zram_stat_parse("1 2 3 4 5 6 7 8 9 10\n", &st), ==, 0);
	g_assert_cmpuint(st.n_fields, ==, 10);
	g_assert_cmpuint(st.huge_pages_since, ==, 9);

	/* the largest values there are */
	g_assert_cmpint(
		oomn_zram_stat_parse("18446744073709551615 0 18446744073709551615 0 0 0 0\n", &st),
		==, 0);
	g_assert_cmpuint(st.orig_data_size, ==, UINT64_MAX);
}

static void test_zram_stat_parse_bad(void)
{
	static const char *const bad[] = {
		"",
		"\n",
		"1 2 3 4 5 6\n",			 /* too few */
		"1 2 3 4 5 6 7",			 /* no newline */
		"1 2 3 4 5 6 7\n8\n",			 /* two lines */
		"1 2 3 lots 5 6 7\n",			 /* not a number */
		"1 2 3 4 -5 6 7\n",			 /* negative */
		"1 2 3 4 5 6 7.5\n",			 /* not an integer */
		"18446744073709551616 2 3 4 5 6 7\n",	 /* > u64 */
		"1 2 99999999999999999999999 4 5 6 7\n", /* far > u64 */
		"1,2,3,4,5,6,7\n",
	};
	struct oomn_zram_stat st = { .orig_data_size = 42 };

	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_test_message("case %zu: \"%s\"", i, bad[i]);
		g_assert_cmpint(oomn_zram_stat_parse(bad[i], &st), ==, -EBADMSG);
	}
	g_assert_cmpint(oomn_zram_stat_parse(NULL, &st), ==, -EBADMSG);
	g_assert_cmpuint(st.orig_data_size, ==, 42);
}

static struct oomn_zram_stat zstat(uint64_t orig, uint64_t used, uint64_t limit)
{
	return (struct oomn_zram_stat){
		.orig_data_size = orig,
		.mem_used_total = used,
		.mem_limit = limit,
		.n_fields = 9,
	};
}

/* ---- zram: the marginal cost --------------------------------------- */

static void test_swap_step(void)
{
	g_assert_cmpuint(oomn_swap_step(0), ==, MIB);
	g_assert_cmpuint(oomn_swap_step(256 * MIB), ==, MIB);
	g_assert_cmpuint(oomn_swap_step(512 * MIB), ==, MIB);
	g_assert_cmpuint(oomn_swap_step(4 * GIB), ==, 8 * MIB);
}

/* One recorded sample of a zram device and the cost expected after it. */
struct zsample {
	uint64_t used, orig, mem; /* Used in /proc/swaps, orig_data_size, mem_used_total */
	bool mem_short;
	uint32_t cost;
};

/* 512 MiB of RAM: a step is 1 MiB. */
#define STEP MIB

static void run_samples(struct oomn_zram_marginal *m, const struct zsample *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct oomn_zram_stat st = zstat(s[i].orig, s[i].mem, 0);

		g_test_message("sample %zu: used %" G_GUINT64_FORMAT " orig %" G_GUINT64_FORMAT
			       " mem %" G_GUINT64_FORMAT "%s",
			       i, s[i].used, s[i].orig, s[i].mem, s[i].mem_short ? " short" : "");
		g_assert_cmpuint(oomn_zram_marginal(m, s[i].used, &st, s[i].mem_short, STEP), ==,
				 s[i].cost);
		g_assert_cmpuint(m->cost, ==, s[i].cost);
		g_assert_true(m->have_base);
	}
}

/*
 * A hog whose pages compress well (about 4 % of their size, as in the VM):
 * free swap counts whole until two steps are taken, then at the little all
 * this shortage's swap cost, however far zram fills.
 */
static void test_marginal_compressible(void)
{
	static const struct zsample s[] = {
		{ 0, 0, 0, false, 0 },
		{ 0, 0, 0, true, 0 },
		/* half a step: nothing measured, still whole */
		{ 512 * KIB, 512 * KIB, 20 * KIB, true, 0 },
		/* a step: not yet measured (zsmalloc's first zspages weigh too much) */
		{ MIB, MIB, 40 * KIB, true, 0 },
		/* past two steps: 160 KiB of RAM for 4 MiB */
		{ 4 * MIB, 4 * MIB, 160 * KIB, true, 39 },
		{ 17 * MIB, 17 * MIB, 40 * KIB + 768 * KIB, true, 46 },
		{ 129 * MIB, 129 * MIB, 808 * KIB + 5 * MIB, true, 44 },
		/* compaction gave RAM back meanwhile: the whole costs less */
		{ 131 * MIB, 131 * MIB, 5 * MIB, true, 38 },
	};
	struct oomn_zram_marginal m = { .cost = 0 };

	run_samples(&m, s, G_N_ELEMENTS(s));
	/* 125 MiB free at cost 44: worth nearly all of it */
	g_assert_cmpuint(oomn_zram_worth(125 * MIB, 44, NULL), ==, 125 * MIB / 1000 * 956);
}

/*
 * A hog of random bytes: zsmalloc keeps each page whole, plus its own
 * overhead. Whole until two steps, nothing at all from then on.
 */
static void test_marginal_incompressible(void)
{
	static const struct zsample s[] = {
		/* other processes' pages already there, compressed well */
		{ 8 * MIB, 8 * MIB, 2 * MIB, false, 0 },
		{ 8 * MIB, 8 * MIB, 2 * MIB, true, 0 },
		{ 8 * MIB + 700 * KIB, 8 * MIB + 700 * KIB, 2 * MIB + 700 * KIB, true, 0 },
		{ 9 * MIB + 4 * KIB, 9 * MIB + 4 * KIB, 3 * MIB + 40 * KIB, true, 0 },
		/* past two steps: a store that costs nearly what it holds */
		{ 12 * MIB, 12 * MIB, 3 * MIB + 40 * KIB + 3 * MIB - 64 * KIB, true, 994 },
		{ 16 * MIB, 16 * MIB, 10 * MIB, true, 1000 },
	};
	struct oomn_zram_marginal m = { .cost = 0 };

	run_samples(&m, s, G_N_ELEMENTS(s));
	g_assert_cmpuint(oomn_zram_worth(244 * MIB, 1000, NULL), ==, 0);
}

/*
 * What an earlier hog left in zram says nothing of the next one: the cost
 * of incompressible leftovers is forgotten once memory is plentiful, free
 * swap counts whole again, and the next compressible hog is measured on
 * its own pages.
 */
static void test_marginal_leftovers(void)
{
	static const struct zsample s[] = {
		{ 0, 0, 0, true, 0 },
		{ 4 * MIB, 4 * MIB, 4 * MIB + 100 * KIB, true, 1000 },
		/* the hog killed, memory back; its pages... */
		{ 4 * MIB, 4 * MIB, 4 * MIB + 100 * KIB, false, 0 },
		/* ...and those of others stay in zram at cost 1000 on average */
		{ 4 * MIB, 4 * MIB, 4 * MIB + 100 * KIB, true, 0 },
		{ 4 * MIB + 900 * KIB, 4 * MIB + 900 * KIB, 4 * MIB + 136 * KIB, true, 0 },
		{ 8 * MIB, 8 * MIB, 4 * MIB + 260 * KIB, true, 39 },
	};
	struct oomn_zram_marginal m = { .cost = 0 };

	run_samples(&m, s, G_N_ELEMENTS(s));
}

/* Swap given back (an exit, pages read back in) within the shortage: all
 * measured from where the shortage started, until swap falls below it. */
static void test_marginal_given_back(void)
{
	static const struct zsample s[] = {
		{ 10 * MIB, 10 * MIB, 3 * MIB, true, 0 },
		{ 20 * MIB, 20 * MIB, 6 * MIB, true, 300 },
		/* two steps above the start: 1 MiB of RAM for 2 MiB */
		{ 12 * MIB, 12 * MIB, 4 * MIB, true, 500 },
		{ 12 * MIB + 512 * KIB, 12 * MIB + 512 * KIB, 4 * MIB + 256 * KIB, true, 500 },
		{ 13 * MIB, 13 * MIB, 4 * MIB + 512 * KIB, true, 500 },
		/* 1.5 MiB of RAM for 3 MiB of data */
		{ 14 * MIB, 13 * MIB, 4 * MIB + 512 * KIB, true, 500 },
		/* below where the shortage started: a new start, the cost stays */
		{ 8 * MIB, 8 * MIB, 2 * MIB, true, 500 },
		/* swap grew, data did not: nothing more stored costs nothing */
		{ 12 * MIB, 8 * MIB, 2 * MIB, true, 0 },
	};
	struct oomn_zram_marginal m = { .cost = 0 };

	run_samples(&m, s, G_N_ELEMENTS(s));
}

/* A device reset (swapoff, reset, swapon): everything back to 0, a rebase;
 * data freed while swap grew: the deltas tell nothing, a rebase too. */
static void test_marginal_reset(void)
{
	static const struct zsample s[] = {
		{ 0, 0, 0, true, 0 },
		{ 64 * MIB, 64 * MIB, 64 * MIB, true, 1000 },
		{ 0, 0, 0, true, 1000 },
		{ 8 * MIB, 8 * MIB, 2 * MIB, true, 250 },
		/* reset and refilled past the old Used between two reads */
		{ 16 * MIB, 4 * MIB, MIB, true, 250 },
		{ 18 * MIB, 6 * MIB, MIB + 200 * KIB, true, 199 },
	};
	struct oomn_zram_marginal m = { .cost = 0 };

	run_samples(&m, s, G_N_ELEMENTS(s));
}

/* mm_stat unreadable: the cost stays while memory is short, and is
 * forgotten like any other once it is plentiful. */
static void test_marginal_unknown(void)
{
	struct oomn_zram_marginal m = { .cost = 0 };
	struct oomn_zram_stat st;

	/* never read: no base, cost 0 */
	g_assert_cmpuint(oomn_zram_marginal(&m, 4 * MIB, NULL, true, STEP), ==, 0);
	g_assert_false(m.have_base);
	st = zstat(4 * MIB, MIB, 0);
	g_assert_cmpuint(oomn_zram_marginal(&m, 4 * MIB, &st, true, STEP), ==, 0);
	st = zstat(8 * MIB, 3 * MIB, 0);
	g_assert_cmpuint(oomn_zram_marginal(&m, 8 * MIB, &st, true, STEP), ==, 500);
	g_assert_cmpuint(oomn_zram_marginal(&m, 60 * MIB, NULL, true, STEP), ==, 500);
	/* the shortage's start stays the base */
	g_assert_cmpuint(m.base_used, ==, 4 * MIB);
	g_assert_cmpuint(oomn_zram_marginal(&m, 60 * MIB, NULL, false, STEP), ==, 0);
	g_assert_false(m.have_base);
	/* readable again, short: a base, the cost 0 until a step */
	st = zstat(60 * MIB, 20 * MIB, 0);
	g_assert_cmpuint(oomn_zram_marginal(&m, 60 * MIB, &st, true, STEP), ==, 0);
	g_assert_true(m.have_base);
	/* huge values: no overflow */
	st = zstat(UINT64_MAX, UINT64_MAX, 0);
	g_assert_cmpuint(oomn_zram_marginal(&m, UINT64_MAX, &st, true, STEP), ==, 1000);
}

static void test_zram_worth(void)
{
	struct oomn_zram_stat st;

	/* free * (1 - cost); cost 0, or mm_stat unknown: whole */
	g_assert_cmpuint(oomn_zram_worth(GIB, 250, NULL), ==, 768 * MIB);
	g_assert_cmpuint(oomn_zram_worth(0, 250, NULL), ==, 0);
	g_assert_cmpuint(oomn_zram_worth(GIB, 1000, NULL), ==, 0);
	g_assert_cmpuint(oomn_zram_worth(GIB, 0, NULL), ==, GIB);
	st = zstat(0, 0, 0);
	g_assert_cmpuint(oomn_zram_worth(GIB, 0, &st), ==, GIB);

	/*
	 * mem_limit: 64 MiB of RAM left hold 256 MiB of swap data at cost 250,
	 * which frees 192 MiB net of their cost; less than the 768 MiB the
	 * free space alone would be worth.
	 */
	st = zstat(400 * MIB, 100 * MIB, 164 * MIB);
	g_assert_cmpuint(oomn_zram_worth(GIB, 250, &st), ==, 192 * MIB);
	/* at cost 500 the same room holds 128 MiB, worth 64 MiB */
	g_assert_cmpuint(oomn_zram_worth(GIB, 500, &st), ==, 64 * MIB);
	/* at cost 0 the room caps nothing */
	g_assert_cmpuint(oomn_zram_worth(GIB, 0, &st), ==, GIB);
	/* a limit far away changes nothing */
	st = zstat(400 * MIB, 100 * MIB, 100 * GIB);
	g_assert_cmpuint(oomn_zram_worth(GIB, 250, &st), ==, 768 * MIB);
	/* at or over its limit: nothing more goes in, whatever the cost */
	st = zstat(400 * MIB, 100 * MIB, 100 * MIB);
	g_assert_cmpuint(oomn_zram_worth(GIB, 250, &st), ==, 0);
	g_assert_cmpuint(oomn_zram_worth(GIB, 0, &st), ==, 0);
	st = zstat(400 * MIB, 100 * MIB, 90 * MIB);
	g_assert_cmpuint(oomn_zram_worth(GIB, 250, &st), ==, 0);
	/* huge values: no overflow, no division by zero */
	st = zstat(UINT64_MAX, UINT64_MAX / 4, UINT64_MAX);
	g_assert_cmpuint(oomn_zram_worth(UINT64_MAX, 250, &st), >, UINT64_MAX / 2);
	g_assert_cmpuint(oomn_zram_worth(UINT64_MAX, 250, &st), <, UINT64_MAX);
	g_assert_cmpuint(oomn_zram_worth(UINT64_MAX, 1, &st), <, UINT64_MAX);
}

static void test_swaps_worth(void)
{
	static const char text[] = SWAPS_HEADER "/dev/vda2 partition 1048576 524288 -2\n"
						"/swapfile file 262144 0 -3\n"
						"/dev/zram0 partition 2097152 1048576 100\n";
	struct oomn_swaps sw;
	struct oomn_zram_stat z = zstat(400 * MIB, 100 * MIB, 0);
	const struct oomn_zram_stat *stats[3] = { NULL, NULL, &z };
	uint32_t cost[3] = { 0, 0, 250 };
	uint64_t disk = 512 * MIB + 256 * MIB;

	g_assert_cmpint(oomn_swaps_parse(text, &sw), ==, 0);
	/* disks whole, zram's free GiB at 3/4 */
	g_assert_cmpuint(oomn_swaps_worth(&sw, cost, stats, 2 * GIB), ==, disk + 768 * MIB);
	/* mm_stat unknown: the cost still counts, no limit */
	stats[2] = NULL;
	g_assert_cmpuint(oomn_swaps_worth(&sw, cost, stats, 2 * GIB), ==, disk + 768 * MIB);
	/* nothing measured: whole */
	g_assert_cmpuint(oomn_swaps_worth(&sw, NULL, NULL, 2 * GIB), ==, disk + GIB);
	cost[2] = 1000;
	g_assert_cmpuint(oomn_swaps_worth(&sw, cost, NULL, 2 * GIB), ==, disk);
	/* never more than SwapFree (a device removed between the reads) */
	g_assert_cmpuint(oomn_swaps_worth(&sw, NULL, NULL, 100 * MIB), ==, 100 * MIB);
	/* no devices */
	g_assert_cmpint(oomn_swaps_parse(SWAPS_HEADER, &sw), ==, 0);
	g_assert_cmpuint(oomn_swaps_worth(&sw, NULL, NULL, GIB), ==, 0);
}

/* ---- thrashing: parsers ---------------------------------------------- */

static void test_psi_parse(void)
{
	uint32_t c = 7;

	g_assert_cmpint(
		oomn_psi_full_avg10_parse("some avg10=31.20 avg60=12.00 avg300=3.00 total=123456\n"
					  "full avg10=12.34 avg60=5.00 avg300=1.00 total=65432\n",
					  &c),
		==, 0);
	g_assert_cmpuint(c, ==, 1234);
	g_assert_cmpint(
		oomn_psi_full_avg10_parse("some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"
					  "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n",
					  &c),
		==, 0);
	g_assert_cmpuint(c, ==, 0);
	g_assert_cmpint(oomn_psi_full_avg10_parse("full avg10=100.00 total=1\n", &c), ==, 0);
	g_assert_cmpuint(c, ==, 10000);
	g_assert_cmpint(oomn_psi_full_avg10_parse("full avg60=1.00 avg10=7.5\n", &c), ==, 0);
	g_assert_cmpuint(c, ==, 750);
	g_assert_cmpint(oomn_psi_full_avg10_parse("full avg10=3 avg60=1.00\n", &c), ==, 0);
	g_assert_cmpuint(c, ==, 300);
	/* no final newline: the line is still whole */
	g_assert_cmpint(oomn_psi_full_avg10_parse("full avg10=9.99", &c), ==, 0);
	g_assert_cmpuint(c, ==, 999);

	c = 42;
	static const char *const bad[] = {
		"",
		"some avg10=1.00 avg60=0.00 avg300=0.00 total=0\n", /* no full line */
		"full avg60=1.00 avg300=0.00 total=0\n",	    /* no avg10 */
		"full avg10=\n",
		"full avg10=.50\n",
		"full avg10=1.\n",
		"full avg10=1.234\n",
		"full avg10=abc\n",
		"full avg10=-1.00\n",
		"full avg10=100.01\n",
		"full avg10=18446744073709551616.00\n",
	};
	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_test_message("case %zu: \"%s\"", i, bad[i]);
		g_assert_cmpint(oomn_psi_full_avg10_parse(bad[i], &c), ==, -EBADMSG);
	}
	g_assert_cmpint(oomn_psi_full_avg10_parse(NULL, &c), ==, -EBADMSG);
	g_assert_cmpuint(c, ==, 42);
}

static void test_vmstat_parse(void)
{
	uint64_t v = 7;

	g_assert_cmpint(oomn_vmstat_refaults_parse("nr_free_pages 123\n"
						   "workingset_nodes 5\n"
						   "workingset_refault_anon 1000\n"
						   "workingset_refault_file 234\n"
						   "workingset_activate_anon 1\n",
						   &v),
			==, 0);
	g_assert_cmpuint(v, ==, 1234);
	/* before 5.9: one counter */
	g_assert_cmpint(oomn_vmstat_refaults_parse("nr_free_pages 123\nworkingset_refault 77\n"
						   "workingset_activate 1\n",
						   &v),
			==, 0);
	g_assert_cmpuint(v, ==, 77);

	v = 42;
	g_assert_cmpint(oomn_vmstat_refaults_parse("nr_free_pages 123\n", &v), ==, -ENODATA);
	g_assert_cmpint(oomn_vmstat_refaults_parse("", &v), ==, -ENODATA);
	static const char *const bad[] = {
		"workingset_refault_anon 1\nworkingset_refault_file 2", /* truncated */
		"workingset_refault_anon\n",
		"workingset_refault_anon \n",
		"workingset_refault_anon -1\n",
		"workingset_refault_anon 1 2\n",
		"workingset_refault_anon 18446744073709551616\n",
		" 1\n",
		"\n",
	};
	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_test_message("case %zu: \"%s\"", i, bad[i]);
		g_assert_cmpint(oomn_vmstat_refaults_parse(bad[i], &v), ==, -EBADMSG);
	}
	g_assert_cmpint(oomn_vmstat_refaults_parse(NULL, &v), ==, -EBADMSG);
	g_assert_cmpuint(v, ==, 42);
}

/* ---- thrashing: decisions on sample sequences ------------------------ */

static void test_memory_short(void)
{
	struct oom_notify_thresholds t;

	oom_notify_thresholds_default(&t); /* low: 200 per-mille */
	g_assert_true(oomn_memory_short(&t, 1000, 199));
	g_assert_false(oomn_memory_short(&t, 1000, 200));
	g_assert_false(oomn_memory_short(&t, 1000, 1000));
	g_assert_false(oomn_memory_short(&t, 0, 0));
}

struct psi_step {
	uint32_t centi;
	bool on;
};

static void run_psi(const char *name, const struct psi_step *steps, gsize n)
{
	struct oomn_thrash t = { 0 };

	for (gsize i = 0; i < n; i++) {
		g_test_message("%s %zu: avg10 %u.%02u%%", name, i, steps[i].centi / 100,
			       steps[i].centi % 100);
		g_assert_cmpint(oomn_thrash_psi(&t, steps[i].centi, OOMN_THRASH_PSI_FULL_CENTI), ==,
				steps[i].on);
		g_assert_cmpint(t.on, ==, steps[i].on);
	}
}

/* "full" avg10: on at 10 %, off below 5 %. */
static void test_thrash_psi(void)
{
	static const struct psi_step rising[] = {
		{ 0, false },	{ 120, false }, { 480, false },
		{ 999, false }, { 1000, true }, { 2500, true },
	};
	static const struct psi_step hovering[] = {
		{ 1000, true }, { 999, true },	{ 980, true },	{ 1010, true }, { 500, true },
		{ 499, false }, { 999, false }, { 960, false }, { 1000, true },
	};
	static const struct psi_step falling[] = {
		{ 4000, true }, { 2000, true }, { 900, true }, { 600, true },
		{ 499, false }, { 100, false }, { 0, false },
	};
	struct oomn_thrash t = { .have_base = true, .base_refaults = 5 };

	run_psi("rising", rising, G_N_ELEMENTS(rising));
	run_psi("hovering", hovering, G_N_ELEMENTS(hovering));
	run_psi("falling", falling, G_N_ELEMENTS(falling));

	/* a PSI sample forgets the refault base; a threshold of 0 turns it off */
	g_assert_true(oomn_thrash_psi(&t, 10000, 1000));
	g_assert_false(t.have_base);
	g_assert_false(oomn_thrash_psi(&t, 10000, 0));
}

struct refault_step {
	uint64_t usec;
	uint64_t pages;
	bool on;
};

/* mem_total 5e8 bytes: the limit (2 %) is 1e7 bytes a second; pages of 1000
 * bytes make it 10000 pages a second, and half of it 5000. */
#define RF_TOTAL UINT64_C(500000000)
#define RF_PAGE	 1000

static void run_refaults(const char *name, const struct refault_step *steps, gsize n)
{
	struct oomn_thrash t = { 0 };

	for (gsize i = 0; i < n; i++) {
		g_test_message("%s %zu: %" G_GUINT64_FORMAT " pages at %" G_GUINT64_FORMAT " us",
			       name, i, steps[i].pages, steps[i].usec);
		g_assert_cmpint(
			oomn_thrash_refaults(&t, steps[i].pages, RF_PAGE, steps[i].usec, RF_TOTAL),
			==, steps[i].on);
	}
}

static void test_thrash_refaults(void)
{
	/* the first sample only sets the base; then two seconds in a row at
	 * the rate start it */
	static const struct refault_step rising[] = {
		{ 10 * SEC, 1000000, false }, { 11 * SEC, 1005000, false },
		{ 12 * SEC, 1014999, false }, { 13 * SEC, 1024999, false },
		{ 14 * SEC, 1064999, true },  { 15 * SEC, 1074999, true },
	};
	/* at the threshold twice on, at half of it still on, just below half
	 * off, just below the threshold still off */
	static const struct refault_step hovering[] = {
		{ 0, 0, false },	   { 1 * SEC, 10000, false }, { 2 * SEC, 20000, true },
		{ 3 * SEC, 25000, true },  { 4 * SEC, 29999, false }, { 5 * SEC, 39998, false },
		{ 6 * SEC, 49998, false }, { 7 * SEC, 59998, true },  { 8 * SEC, 64998, true },
	};
	/* bursts of one hot second between quieter ones never start it */
	static const struct refault_step bursts[] = {
		{ 0, 0, false },
		{ 1 * SEC, 30000, false },
		{ 2 * SEC, 39999, false },
		{ 3 * SEC, 69999, false },
		{ 4 * SEC, 69999, false },
		{ 5 * SEC, 99999, false },
		{ 6 * SEC, 104999, false },
	};
	static const struct refault_step falling[] = {
		{ 0, 0, false },	  { 1 * SEC, 50000, false }, { 2 * SEC, 60000, true },
		{ 3 * SEC, 65000, true }, { 4 * SEC, 69000, false }, { 5 * SEC, 69000, false },
	};
	/*
	 * Samples closer than 0.5 s are not judged and leave the base; the rate
	 * is then taken over the whole time since it (25000 pages in 2.5 s).
	 */
	static const struct refault_step close[] = {
		{ 0, 0, false },	   { 1000000, 10000, false }, /* hot once */
		{ 1400000, 19000, false }, /* 22500 a second, but only 0.4 s */
		{ 3500000, 35000, true },  /* 10000 a second over 2.5 s: twice */
		{ 3900000, 35000, true },  /* 0.4 s: not judged */
		{ 4000000, 35000, false }, /* 0.5 s since the base, nothing */
	};
	/* the counter goes back (a reset, or a 32-bit counter wrapping):
	 * not judged, the state stays, and the next rate is from there */
	static const struct refault_step reset[] = {
		{ 0, 500000, false },	{ 1 * SEC, 520000, false }, { 2 * SEC, 540000, true },
		{ 3 * SEC, 300, true }, { 4 * SEC, 10300, true },   { 5 * SEC, 10400, false },
		{ 6 * SEC, 5, false },	{ 7 * SEC, 20005, false },  { 8 * SEC, 40005, true },
	};
	static const struct refault_step wrap64[] = {
		{ 0, UINT64_MAX - 10, false },
		{ 1 * SEC, 5, false },
		{ 2 * SEC, 10005, false },
		{ 3 * SEC, 20005, true },
	};
	/* the clock going back: the same */
	static const struct refault_step clock_back[] = {
		{ 5 * SEC, 0, false },	  { 6 * SEC, 10000, false }, { 7 * SEC, 20000, true },
		{ 1 * SEC, 20000, true }, { 2 * SEC, 20000, false },
	};
	struct oomn_thrash t = { 0 };

	run_refaults("rising", rising, G_N_ELEMENTS(rising));
	run_refaults("hovering", hovering, G_N_ELEMENTS(hovering));
	run_refaults("bursts", bursts, G_N_ELEMENTS(bursts));
	run_refaults("falling", falling, G_N_ELEMENTS(falling));
	run_refaults("close", close, G_N_ELEMENTS(close));
	run_refaults("reset", reset, G_N_ELEMENTS(reset));
	run_refaults("wrap64", wrap64, G_N_ELEMENTS(wrap64));
	run_refaults("clock-back", clock_back, G_N_ELEMENTS(clock_back));

	/* the cap: 64 GiB of RAM would make 2 % 1.3 GiB/s; 16 MiB/s it is */
	g_assert_false(oomn_thrash_refaults(&t, 0, 4096, 0, 64 * GIB));
	g_assert_false(oomn_thrash_refaults(&t, 4096, 4096, SEC, 64 * GIB)); /* 16 MiB */
	g_assert_true(oomn_thrash_refaults(&t, 8192, 4096, 2 * SEC, 64 * GIB));
	g_assert_true(oomn_thrash_refaults(&t, 8192 + 2048, 4096, 3 * SEC, 64 * GIB));
	g_assert_false(oomn_thrash_refaults(&t, 8192 + 2048 + 2047, 4096, 4 * SEC, 64 * GIB));

	/* a rate that does not fit in u64 is far above any limit */
	oomn_thrash_stop(&t);
	g_assert_false(oomn_thrash_refaults(&t, 0, 4096, 0, 8 * GIB));
	g_assert_false(oomn_thrash_refaults(&t, UINT64_MAX / 2, 4096, SEC, 8 * GIB));
	g_assert_true(oomn_thrash_refaults(&t, UINT64_MAX - 1, 4096, 2 * SEC, 8 * GIB));

	/* too little RAM for any rate to count: never thrashing */
	oomn_thrash_stop(&t);
	g_assert_false(oomn_thrash_refaults(&t, 0, 4096, 0, 10));
	g_assert_false(oomn_thrash_refaults(&t, UINT64_MAX / 4, 4096, SEC, 10));
	g_assert_false(oomn_thrash_refaults(&t, UINT64_MAX / 2, 4096, 2 * SEC, 10));

	/* stop: off, and the next sample is a first one again */
	oomn_thrash_stop(&t);
	g_assert_false(oomn_thrash_refaults(&t, 0, RF_PAGE, 0, RF_TOTAL));
	g_assert_false(oomn_thrash_refaults(&t, 20000, RF_PAGE, SEC, RF_TOTAL));
	g_assert_true(oomn_thrash_refaults(&t, 40000, RF_PAGE, 2 * SEC, RF_TOTAL));
	oomn_thrash_stop(&t);
	g_assert_false(t.on);
	g_assert_false(t.have_base);
	g_assert_cmpuint(t.hot, ==, 0);
	g_assert_false(oomn_thrash_refaults(&t, 1000000, RF_PAGE, 3 * SEC, RF_TOTAL));
	/* and a hot second before the stop does not count after it */
	g_assert_false(oomn_thrash_refaults(&t, 1020000, RF_PAGE, 4 * SEC, RF_TOTAL));
	oomn_thrash_stop(&t);
	g_assert_false(oomn_thrash_refaults(&t, 1020000, RF_PAGE, 5 * SEC, RF_TOTAL));
	g_assert_false(oomn_thrash_refaults(&t, 1040000, RF_PAGE, 6 * SEC, RF_TOTAL));
	g_assert_true(oomn_thrash_refaults(&t, 1060000, RF_PAGE, 7 * SEC, RF_TOTAL));
}

/* ---- the reader on fake trees ---------------------------------------- */

typedef struct {
	char *proc;
	char *sys;
	struct oomn_swap_reader r;
	GPtrArray *warnings;
} ReaderFixture;

static void on_warn(const char *what, void *userdata)
{
	ReaderFixture *f = userdata;

	g_test_message("warning: %s", what);
	g_ptr_array_add(f->warnings, g_strdup(what));
}

static void rf_setup(ReaderFixture *f, gconstpointer data)
{
	GError *err = NULL;

	f->proc = g_dir_make_tmp("oomn-proc-XXXXXX", &err);
	g_assert_no_error(err);
	f->sys = g_dir_make_tmp("oomn-sys-XXXXXX", &err);
	g_assert_no_error(err);
	f->warnings = g_ptr_array_new_with_free_func(g_free);
	oomn_swap_reader_init(&f->r, f->proc, f->sys, on_warn, f);
}

static void rm_rf(const char *dir)
{
	g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", dir);

	g_assert_true(g_spawn_command_line_sync(cmd, NULL, NULL, NULL, NULL));
}

static void rf_teardown(ReaderFixture *f, gconstpointer data)
{
	rm_rf(f->proc);
	rm_rf(f->sys);
	g_free(f->proc);
	g_free(f->sys);
	g_ptr_array_unref(f->warnings);
}

static void rf_write(const char *root, const char *name, const char *text)
{
	g_autofree char *path = g_build_filename(root, name, NULL);
	g_autofree char *dir = g_path_get_dirname(path);
	GError *err = NULL;

	g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
	g_file_set_contents(path, text, -1, &err);
	g_assert_no_error(err);
}

static void rf_unlink(const char *root, const char *name)
{
	g_autofree char *path = g_build_filename(root, name, NULL);

	g_assert_cmpint(g_unlink(path), ==, 0);
}

static gboolean rf_warned(ReaderFixture *f, guint i, const char *needle)
{
	g_assert_cmpuint(i, <, f->warnings->len);
	return strstr(g_ptr_array_index(f->warnings, i), needle) != NULL;
}

static struct oomn_meminfo mi_swap(uint64_t total, uint64_t avail, uint64_t swap_total,
				   uint64_t swap_free)
{
	return (struct oomn_meminfo){
		.mem_total = total,
		.mem_available = avail,
		.swap_total = swap_total,
		.swap_free = swap_free,
	};
}

/* Without swap nothing is read; with swap on a disk it is SwapFree. */
static void test_reader_disk(ReaderFixture *f, gconstpointer data)
{
	struct oomn_meminfo mi = mi_swap(4 * GIB, GIB, 0, 0);

	/* no swaps file at all: without swap it is never looked for */
	g_assert_cmpuint(oomn_swap_reader_worth(&f->r, &mi), ==, 0);
	g_assert_cmpuint(f->r.swaps_reads, ==, 0);

	rf_write(f->proc, "swaps", SWAPS_HEADER "/dev/vda2 partition 2097152 524288 -2\n");
	mi = mi_swap(4 * GIB, GIB, 2 * GIB, (uint64_t)1536 * MIB);
	g_assert_cmpuint(oomn_swap_reader_worth(&f->r, &mi), ==, 1536 * MIB);
	g_assert_cmpuint(f->r.swaps_reads, ==, 1);
	g_assert_cmpuint(f->warnings->len, ==, 0);
}

static void write_zram(ReaderFixture *f, int n, uint64_t orig, uint64_t mem, uint64_t limit)
{
	g_autofree char *name = g_strdup_printf("block/zram%d/mm_stat", n);
	g_autofree char *text = g_strdup_printf("%" G_GUINT64_FORMAT " 0 %" G_GUINT64_FORMAT
						" %" G_GUINT64_FORMAT " 0 0 0 0 0\n",
						orig, mem, limit);

	rf_write(f->sys, name, text);
}

/* zram0 of 1 GiB with @used_mib used, and a 1 GiB disk, a quarter used. */
static void write_swaps_zram(ReaderFixture *f, uint64_t used_mib)
{
	g_autofree char *text = g_strdup_printf(
		SWAPS_HEADER "/dev/zram0 partition 1048576 %" G_GUINT64_FORMAT " 100\n"
			     "/dev/vdb1 partition 1048576 262144 -2\n",
		used_mib * 1024);

	rf_write(f->proc, "swaps", text);
}

/*
 * zram at its marginal cost: whole until a step is taken while memory is
 * short, then at what that step cost; forgotten once memory is plentiful.
 * mm_stat missing or malformed: the last cost, told once.
 */
static void test_reader_zram(ReaderFixture *f, gconstpointer data)
{
	/* 1 GiB of RAM: a step is 2 MiB; short below 20 % */
	struct oomn_meminfo plenty = mi_swap(GIB, 500 * MIB, 2 * GIB, 512 * MIB + 768 * MIB);
	struct oomn_meminfo shortm = mi_swap(GIB, 150 * MIB, 2 * GIB, 512 * MIB + 768 * MIB);
	guint n;

	/* 512 MiB stored in 128 MiB: an average says nothing of what comes */
	write_swaps_zram(f, 512);
	write_zram(f, 0, 512 * MIB, 128 * MIB, 0);
	g_assert_cmpuint(oomn_swap_reader_worth(&f->r, &plenty), ==, 512 * MIB + 768 * MIB);
	g_assert_cmpuint(oomn_swap_reader_worth(&f->r, &shortm), ==, 512 * MIB + 768 * MIB);
	g_assert_cmpuint(f->r.n_zram, ==, 1);
	g_assert_cmpint(f->r.zram[0].zram, ==, 0);

	/* 8 MiB (four steps) swapped, 2 MiB of RAM for it: cost 250 */
	write_zram(f, 0, 520 * MIB, 130 * MIB, 0);
	write_swaps_zram(f, 520);
	shortm.swap_free = plenty.swap_free = 504 * MIB + 768 * MIB;
	g_assert_cmpuint(oomn_swap_reader_worth(&f->r, &shortm), ==, 378 * MIB + 768 * MIB);
	g_assert_cmpuint(f->r.zram[0].m.cost, ==, 250);
	g_assert_cmpuint(f->warnings->len, ==, 0);

	/* mem_limit: 32 MiB of RAM left, worth 96 MiB at that cost */
	write_zram(f, 0, 520 * MIB, 130 * MIB, 162 * MIB);
	g_assert_cmpuint(oomn_swap_reader_worth(&f->r, &shortm), ==, 96 * MIB + 768 * MIB);

	/* mm_stat gone: the last cost, no limit; one warning however many reads */
	rf_unlink(f->sys, "block/zram0/mm_stat");
	for (int i = 0; i < 3; i++)
		g_assert_cmpuint(oomn_swap_reader_worth(&f->r, &shortm), ==, 378 * MIB + 768 * MIB);
	g_assert_cmpuint(f->warnings->len, ==, 1);
	g_assert_true(rf_warned(f, 0, "block/zram0/mm_stat"));
	g_assert_true(rf_warned(f, 0, g_strerror(ENOENT)));
	g_assert_true(rf_warned(f, 0, "/dev/zram0"));
	g_assert_true(rf_warned(f, 0, "250 per-mille"));
	/* memory plentiful: forgotten, whole */
	g_assert_cmpuint(oomn_swap_reader_worth(&f->r, &plenty), ==, 504 * MIB + 768 * MIB);
	g_assert_cmpuint(f->warnings->len, ==, 1);

	/* back: no warning, whole until two steps are taken while short */
	write_zram(f, 0, 520 * MIB, 130 * MIB, 0);
	g_assert_cmpuint(oomn_swap_reader_worth(&f->r, &shortm), ==, 504 * MIB + 768 * MIB);
	g_assert_cmpuint(f->warnings->len, ==, 1);
	/* 8 MiB of random bytes: nothing left */
	write_zram(f, 0, 528 * MIB, 138 * MIB + 16 * KIB, 0);
	write_swaps_zram(f, 528);
	shortm.swap_free = 496 * MIB + 768 * MIB;
	g_assert_cmpuint(oomn_swap_reader_worth(&f->r, &shortm), ==, 768 * MIB);

	/* malformed: a clear line (which file, why), once, the cost kept */
	rf_write(f->sys, "block/zram0/mm_stat", "536870912 0 lots 0 0 0 0\n");
	n = f->warnings->len;
	g_assert_cmpuint(oomn_swap_reader_worth(&f->r, &shortm), ==, 768 * MIB);
	g_assert_cmpuint(oomn_swap_reader_worth(&f->r, &shortm), ==, 768 * MIB);
	g_assert_cmpuint(f->warnings->len, ==, n + 1);
	g_assert_true(rf_warned(f, n, "block/zram0/mm_stat"));
	g_assert_true(rf_warned(f, n, g_strerror(EBADMSG)));
	g_assert_true(rf_warned(f, n, "1000 per-mille"));

	/* two zram devices, one told about, the other not: zram1 new, cost 0 */
	rf_write(f->proc, "swaps",
		 SWAPS_HEADER "/dev/zram0 partition 1048576 530432 100\n"
			      "/dev/zram1 partition 1048576 524288 100\n"
			      "/dev/vdb1 partition 1048576 262144 -2\n");
	shortm.swap_free = 2 * GIB;
	shortm.swap_total = 3 * GIB;
	g_assert_cmpuint(oomn_swap_reader_worth(&f->r, &shortm), ==, 512 * MIB + 768 * MIB);
	g_assert_cmpuint(f->warnings->len, ==, n + 2);
	g_assert_true(rf_warned(f, n + 1, "zram1"));
	g_assert_true(rf_warned(f, n + 1, "0 per-mille"));
	g_assert_cmpuint(oomn_swap_reader_worth(&f->r, &shortm), ==, 512 * MIB + 768 * MIB);
	g_assert_cmpuint(f->warnings->len, ==, n + 2);
	g_assert_cmpuint(f->r.n_zram, ==, 2);

	/* zram0 swapped off: forgotten; back, it starts over at cost 0 */
	write_zram(f, 0, 0, 0, 0);
	rf_write(f->proc, "swaps", SWAPS_HEADER "/dev/vdb1 partition 1048576 262144 -2\n");
	g_assert_cmpuint(oomn_swap_reader_worth(&f->r, &shortm), ==, 768 * MIB);
	g_assert_cmpuint(f->r.n_zram, ==, 0);
	write_swaps_zram(f, 0);
	g_assert_cmpuint(oomn_swap_reader_worth(&f->r, &shortm), ==, GIB + 768 * MIB);
	g_assert_cmpuint(f->r.zram[0].m.cost, ==, 0);
	g_assert_cmpuint(f->warnings->len, ==, n + 2);
}

/* /proc/swaps unreadable or malformed: SwapFree whole, told once. */
static void test_reader_no_swaps(ReaderFixture *f, gconstpointer data)
{
	struct oomn_meminfo mi = mi_swap(4 * GIB, GIB, 2 * GIB, GIB);

	for (int i = 0; i < 3; i++)
		g_assert_cmpuint(oomn_swap_reader_worth(&f->r, &mi), ==, GIB);
	g_assert_cmpuint(f->warnings->len, ==, 1);
	g_assert_true(rf_warned(f, 0, "/swaps"));
	g_assert_true(rf_warned(f, 0, g_strerror(ENOENT)));
	g_assert_true(rf_warned(f, 0, "counts whole"));

	rf_write(f->proc, "swaps", SWAPS_HEADER "/dev/zram0 partition 100\n");
	for (int i = 0; i < 3; i++)
		g_assert_cmpuint(oomn_swap_reader_worth(&f->r, &mi), ==, GIB);
	g_assert_cmpuint(f->warnings->len, ==, 2);
	g_assert_true(rf_warned(f, 1, g_strerror(EBADMSG)));

	rf_write(f->proc, "swaps", SWAPS_HEADER "/dev/vda2 partition 2097152 1048576 -2\n");
	g_assert_cmpuint(oomn_swap_reader_worth(&f->r, &mi), ==, GIB);
	g_assert_cmpuint(f->warnings->len, ==, 2);
	g_assert_cmpuint(f->r.swaps_reads, ==, 7);
}

static void write_refaults(ReaderFixture *f, uint64_t anon)
{
	g_autofree char *text =
		g_strdup_printf("nr_free_pages 1\nworkingset_refault_anon %" G_GUINT64_FORMAT
				"\nworkingset_refault_file 0\n",
				anon);

	rf_write(f->proc, "vmstat", text);
}

/* Thrashing: nothing read while memory is plentiful; PSI first, then
 * vmstat; neither: none, told once. */
static void test_reader_thrashing(ReaderFixture *f, gconstpointer data)
{
	struct oom_notify_thresholds t;
	struct oomn_meminfo plenty = mi_swap(1000 * MIB, 500 * MIB, 0, 0);
	struct oomn_meminfo shortm = mi_swap(1000 * MIB, 150 * MIB, 0, 0);

	oom_notify_thresholds_default(&t);
	rf_write(f->proc, "pressure/memory",
		 "some avg10=40.00 avg60=10.00 avg300=2.00 total=100\n"
		 "full avg10=25.00 avg60=8.00 avg300=1.00 total=50\n");
	g_assert_false(oomn_swap_reader_thrashing(&f->r, &t, &plenty));
	g_assert_cmpuint(f->r.thrash_reads, ==, 0);

	g_assert_true(oomn_swap_reader_thrashing(&f->r, &t, &shortm));
	g_assert_cmpuint(f->r.thrash_reads, ==, 1);
	rf_write(f->proc, "pressure/memory",
		 "some avg10=9.00 avg60=10.00 avg300=2.00 total=100\n"
		 "full avg10=6.00 avg60=8.00 avg300=1.00 total=50\n");
	g_assert_true(oomn_swap_reader_thrashing(&f->r, &t, &shortm));
	rf_write(f->proc, "pressure/memory",
		 "some avg10=9.00 avg60=10.00 avg300=2.00 total=100\n"
		 "full avg10=4.99 avg60=8.00 avg300=1.00 total=50\n");
	g_assert_false(oomn_swap_reader_thrashing(&f->r, &t, &shortm));
	/* plentiful again: forgotten, nothing read */
	rf_write(f->proc, "pressure/memory", "full avg10=50.00 avg60=8.00 avg300=1.00 total=50\n");
	g_assert_true(oomn_swap_reader_thrashing(&f->r, &t, &shortm));
	g_assert_false(oomn_swap_reader_thrashing(&f->r, &t, &plenty));
	g_assert_false(f->r.thrash.on);
	g_assert_cmpuint(f->r.thrash_reads, ==, 4);
	g_assert_cmpuint(f->warnings->len, ==, 0);

	/* no PSI: the refault rate from vmstat, judged after half a second;
	 * 2^48 pages and more in a second are a rate above any limit however
	 * long the sample took, twice in a row: thrashing */
	rf_unlink(f->proc, "pressure/memory");
	rf_write(f->proc, "vmstat",
		 "nr_free_pages 1\nworkingset_refault_anon 0\n"
		 "workingset_refault_file 0\n");
	g_assert_false(oomn_swap_reader_thrashing(&f->r, &t, &shortm));
	g_usleep(OOMN_THRASH_SAMPLE_MIN_USEC + 50000);
	write_refaults(f, UINT64_C(1) << 49);
	g_assert_false(oomn_swap_reader_thrashing(&f->r, &t, &shortm));
	g_usleep(OOMN_THRASH_SAMPLE_MIN_USEC + 50000);
	write_refaults(f, UINT64_C(1) << 50);
	g_assert_true(oomn_swap_reader_thrashing(&f->r, &t, &shortm));
	/* a PSI file that is not one: told once, vmstat used (the rate stays
	 * huge, whether the next sample comes in time to be judged or not) */
	rf_write(f->proc, "pressure/memory", "some avg10=1.00\n");
	write_refaults(f, UINT64_C(1) << 51);
	g_assert_true(oomn_swap_reader_thrashing(&f->r, &t, &shortm));
	write_refaults(f, UINT64_C(1) << 52);
	g_assert_true(oomn_swap_reader_thrashing(&f->r, &t, &shortm));
	g_assert_cmpuint(f->warnings->len, ==, 1);
	g_assert_true(rf_warned(f, 0, "pressure/memory"));
	g_assert_true(rf_warned(f, 0, "vmstat"));

	/* nothing to tell by: none, told once */
	rf_unlink(f->proc, "vmstat");
	g_assert_false(oomn_swap_reader_thrashing(&f->r, &t, &shortm));
	g_assert_false(oomn_swap_reader_thrashing(&f->r, &t, &shortm));
	g_assert_cmpuint(f->warnings->len, ==, 2);
	g_assert_true(rf_warned(f, 1, "vmstat"));
	g_assert_true(rf_warned(f, 1, "thrashing cannot be told"));
}

/* The host's own files must parse, whatever the kernel. */
static void test_host(void)
{
	g_autofree char *swaps = NULL, *psi = NULL, *vmstat = NULL;
	struct oomn_swaps sw;
	uint32_t centi;
	uint64_t pages;

	if (g_file_get_contents("/proc/swaps", &swaps, NULL, NULL))
		g_assert_cmpint(oomn_swaps_parse(swaps, &sw), ==, 0);
	if (g_file_get_contents("/proc/pressure/memory", &psi, NULL, NULL))
		g_assert_cmpint(oomn_psi_full_avg10_parse(psi, &centi), ==, 0);
	if (g_file_get_contents("/proc/vmstat", &vmstat, NULL, NULL))
		g_assert_cmpint(oomn_vmstat_refaults_parse(vmstat, &pages), ==, 0);
	for (int i = 0; i < 4; i++) {
		g_autofree char *path = g_strdup_printf("/sys/block/zram%d/mm_stat", i);
		g_autofree char *text = NULL;
		struct oomn_zram_stat st;

		if (g_file_get_contents(path, &text, NULL, NULL))
			g_assert_cmpint(oomn_zram_stat_parse(text, &st), ==, 0);
	}
}

int main(int argc, char *argv[])
{
	g_test_init(&argc, &argv, NULL);

	g_test_add_func("/swap/swaps/parse", test_swaps_parse);
	g_test_add_func("/swap/swaps/parse/bad", test_swaps_parse_bad);
	g_test_add_func("/swap/zram/parse", test_zram_stat_parse);
	g_test_add_func("/swap/zram/parse/bad", test_zram_stat_parse_bad);
	g_test_add_func("/swap/zram/step", test_swap_step);
	g_test_add_func("/swap/zram/marginal/compressible", test_marginal_compressible);
	g_test_add_func("/swap/zram/marginal/incompressible", test_marginal_incompressible);
	g_test_add_func("/swap/zram/marginal/leftovers", test_marginal_leftovers);
	g_test_add_func("/swap/zram/marginal/given-back", test_marginal_given_back);
	g_test_add_func("/swap/zram/marginal/reset", test_marginal_reset);
	g_test_add_func("/swap/zram/marginal/unknown", test_marginal_unknown);
	g_test_add_func("/swap/zram/worth", test_zram_worth);
	g_test_add_func("/swap/worth", test_swaps_worth);
	g_test_add_func("/swap/thrash/psi/parse", test_psi_parse);
	g_test_add_func("/swap/thrash/vmstat/parse", test_vmstat_parse);
	g_test_add_func("/swap/thrash/memory-short", test_memory_short);
	g_test_add_func("/swap/thrash/psi", test_thrash_psi);
	g_test_add_func("/swap/thrash/refaults", test_thrash_refaults);
#define ADD(path, fn) g_test_add(path, ReaderFixture, NULL, rf_setup, fn, rf_teardown)
	ADD("/swap/reader/disk", test_reader_disk);
	ADD("/swap/reader/zram", test_reader_zram);
	ADD("/swap/reader/no-swaps", test_reader_no_swaps);
	ADD("/swap/reader/thrashing", test_reader_thrashing);
	g_test_add_func("/swap/host", test_host);
	return g_test_run();
}
