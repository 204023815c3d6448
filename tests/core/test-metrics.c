/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The Prometheus exposition writer (lib/oomn-metrics): names, escaping,
 * numbers, histograms, label sets, the atomic replace and its error paths,
 * and, in /metrics/promtool, the real parser (promtool check metrics).
 */
#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <grp.h>
#include <malloc.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "oomn-metrics.h"

#define NOBODY 65534

typedef struct {
	char *dir;
	char *path; /* dir/oom-notify.prom */
} Fixture;

static void setup(Fixture *f, gconstpointer data)
{
	f->dir = g_dir_make_tmp("oomn-metrics-XXXXXX", NULL);
	g_assert_nonnull(f->dir);
	/* A child that drops to nobody must still reach the directories below. */
	g_assert_cmpint(chmod(f->dir, 0755), ==, 0);
	f->path = g_build_filename(f->dir, "oom-notify.prom", NULL);
}

static void rm_rf(const char *path)
{
	g_autoptr(GDir) d = g_dir_open(path, 0, NULL);
	const char *name;

	if (!d) {
		g_unlink(path);
		return;
	}
	g_chmod(path, 0755);
	while ((name = g_dir_read_name(d))) {
		g_autofree char *p = g_build_filename(path, name, NULL);

		rm_rf(p);
	}
	g_rmdir(path);
}

static void teardown(Fixture *f, gconstpointer data)
{
	rm_rf(f->dir);
	g_free(f->dir);
	g_free(f->path);
}

/* The registry as text. */
static char *format(const struct oomn_metrics *m)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	g_assert_nonnull(out);
	g_assert_cmpint(oomn_metrics_format(m, out), ==, 0);
	g_assert_cmpint(fclose(out), ==, 0);
	return text;
}

static char *slurp(const char *path)
{
	char *text = NULL;

	g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
	return text;
}

static int compare_names(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in @dir, sorted and joined with spaces. */
static char *listing(const char *dir)
{
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	const char *name;

	g_assert_nonnull(d);
	while ((name = g_dir_read_name(d)))
		g_ptr_array_add(names, g_strdup(name));
	g_ptr_array_sort(names, compare_names);
	g_ptr_array_add(names, NULL);
	return g_strjoinv(" ", (char **)names->pdata);
}

static struct oomn_metrics_series *series(struct oomn_metrics_family *f, const char *const *v)
{
	struct oomn_metrics_series *s = NULL;

	g_assert_cmpint(oomn_metrics_series(f, v, &s), ==, 0);
	g_assert_nonnull(s);
	return s;
}

static const double seconds[] = { 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5 };

/*
 * Every kind of series, with label values and HELP texts that need escaping:
 * what the daemons will write, and what promtool has to accept.
 */
static struct oomn_metrics *full_registry(void)
{
	struct oomn_metrics *m = NULL;
	struct oomn_metrics_family *level_changes, *kills, *level, *avail, *lost, *notice, *relay,
		*values;
	const double specials[] = { INFINITY,  -INFINITY, NAN,	   -0.0,    1e-300,
				    0.1 + 0.2, -1e21,	  DBL_MAX, DBL_MIN, 4.9e-324 };

	g_assert_cmpint(oomn_metrics_new(&m), ==, 0);
	g_assert_cmpint(oomn_metrics_counter(m, "oomn_level_changes_total",
					     "Level changes, by the level entered.",
					     (const char *[]){ "level", NULL }, &level_changes),
			==, 0);
	g_assert_cmpint(oomn_metrics_counter(m, "oomn_kills_total",
					     "Kills by rule, reason and action.\n"
					     "A backslash \\ and a \"quote\" in HELP text.",
					     (const char *[]){ "rule", "reason", "action", NULL },
					     &kills),
			==, 0);
	g_assert_cmpint(oomn_metrics_counter(m, "oomn_episodes_total", "Episodes.", NULL, NULL), ==,
			0);
	g_assert_cmpint(
		oomn_metrics_gauge(m, "oomn_level", "The current level (0 normal).", NULL, &level),
		==, 0);
	g_assert_cmpint(oomn_metrics_gauge(m, "oomn_mem_available_bytes", "MemAvailable, in bytes.",
					   NULL, &avail),
			==, 0);
	g_assert_cmpint(oomn_metrics_counter(m, "oomn_events_lost_total", "Events lost, by why.",
					     (const char *[]){ "why", NULL }, &lost),
			==, 0);
	g_assert_cmpint(oomn_metrics_histogram(m, "oomn_notice_seconds",
					       "Critical event to notice, in seconds.", NULL,
					       seconds, G_N_ELEMENTS(seconds), &notice),
			==, 0);
	g_assert_cmpint(oomn_metrics_histogram(m, "oomn_relay_seconds",
					       "Kernel event to bus signal, by source.",
					       (const char *[]){ "source", NULL }, seconds,
					       G_N_ELEMENTS(seconds), &relay),
			==, 0);

	oomn_counter_inc(series(level_changes, (const char *[]){ "low" }));
	oomn_counter_add(series(level_changes, (const char *[]){ "critical" }), 3);
	oomn_counter_inc(
		series(kills, (const char *[]){ "browser\\tabs", "say \"no\"", "line\nbreak" }));
	oomn_counter_inc(series(kills, (const char *[]){ "", "unicode é ☃ 😀", "{a=\"b\",c}" }));
	oomn_counter_add(series(kills, (const char *[]){ "x", "y", "z" }), UINT64_C(1) << 53);
	oomn_gauge_set(series(level, NULL), 2);
	oomn_gauge_set(series(avail, NULL), 123456789012.0);
	oomn_counter_add(series(lost, (const char *[]){ "seq_gap" }), 0);
	oomn_counter_add(series(lost, (const char *[]){ "enobufs" }), 7);
	oomn_histogram_observe(series(notice, NULL), 0.0002);
	oomn_histogram_observe(series(notice, NULL), 0.3);
	oomn_histogram_observe(series(notice, NULL), 60);
	oomn_histogram_observe(series(relay, (const char *[]){ "kernel" }), 0.00001);
	oomn_histogram_observe(series(relay, (const char *[]){ "psi" }), 0.1);
	oomn_histogram_observe(series(relay, (const char *[]){ "nan" }), NAN);

	g_assert_cmpint(oomn_metrics_gauge(m, "oomn_test_values", "Numbers the parser must read.",
					   (const char *[]){ "v", NULL }, &values),
			==, 0);
	for (size_t i = 0; i < G_N_ELEMENTS(specials); i++) {
		char name[OOMN_METRICS_NUMBER_MAX];

		oomn_metrics_format_number(specials[i], name);
		oomn_gauge_set(series(values, (const char *[]){ name }), specials[i]);
	}
	return m;
}

/* Numbers -------------------------------------------------------------------- */

static const char *num(double v)
{
	static char buf[OOMN_METRICS_NUMBER_MAX];

	return oomn_metrics_format_number(v, buf);
}

static void test_numbers(void)
{
	char buf[OOMN_METRICS_NUMBER_MAX];

	g_assert_cmpstr(num(0), ==, "0");
	g_assert_cmpstr(num(-0.0), ==, "-0");
	g_assert_cmpstr(num(1), ==, "1");
	g_assert_cmpstr(num(-42), ==, "-42");
	g_assert_cmpstr(num(1e6), ==, "1000000");
	g_assert_cmpstr(num(9007199254740993.0), ==, "9007199254740992");
	g_assert_cmpstr(num(1e20), ==, "100000000000000000000");
	g_assert_cmpstr(num(-1e20), ==, "-100000000000000000000");
	g_assert_cmpstr(num(1e21), ==, "1e+21");
	g_assert_cmpstr(num(0.1), ==, "0.1");
	g_assert_cmpstr(num(0.005), ==, "0.005");
	g_assert_cmpstr(num(2.5), ==, "2.5");
	g_assert_cmpstr(num(1e-7), ==, "1e-07");
	g_assert_cmpstr(num(0.1 + 0.2), ==, "0.30000000000000004");
	g_assert_cmpstr(num(1.0 / 3), ==, "0.3333333333333333");
	g_assert_cmpstr(num(INFINITY), ==, "+Inf");
	g_assert_cmpstr(num(-INFINITY), ==, "-Inf");
	g_assert_cmpstr(num(NAN), ==, "NaN");
	g_assert_cmpstr(num(-NAN), ==, "NaN");
	g_assert_cmpfloat(strtod(num(DBL_MAX), NULL), ==, DBL_MAX);
	g_assert_cmpfloat(strtod(num(DBL_MIN), NULL), ==, DBL_MIN);
	g_assert_cmpfloat(strtod(num(4.9e-324), NULL), ==, 4.9e-324);
	g_assert_true(oomn_metrics_format_number(1, buf) == buf);

	/* Any finite double reads back as itself, in at most 17 digits. */
	for (int i = 0; i < 200000; i++) {
		union {
			double d;
			uint64_t u;
		} x = { .u = (uint64_t)g_test_rand_int() << 32 | (uint32_t)g_test_rand_int() };
		const char *s;
		char *end;

		if (!isfinite(x.d))
			continue;
		s = num(x.d);
		g_assert_true(strtod(s, &end) == x.d);
		g_assert_cmpint(*end, ==, '\0');
		g_assert_cmpuint(strlen(s), <, OOMN_METRICS_NUMBER_MAX);
	}
}

/* Names ---------------------------------------------------------------------- */

static void test_names(void)
{
	_cleanup_metrics_ struct oomn_metrics *m = NULL;
	static const char *const good[] = { "a", "_a", "a:b", ":x", "A_9:", "oomn_kills_total" };
	static const char *const bad[] = { "", "1a", "a-b", "a b", "a.b", "é", "a\n" };
	static const char *const good_labels[] = { "a", "_a", "A9", "le", "_" };
	static const char *const bad_labels[] = { "", "__a", "__", "1a", "a:b", "a-b", "é" };
	struct oomn_metrics_family *f = NULL;
	const double ok_bounds[] = { 1, 2 };

	g_assert_cmpint(oomn_metrics_new(&m), ==, 0);
	for (size_t i = 0; i < G_N_ELEMENTS(good); i++)
		g_assert_cmpint(oomn_metrics_gauge(m, good[i], "h", NULL, NULL), ==, 0);
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_assert_cmpint(oomn_metrics_gauge(m, bad[i], "h", NULL, NULL), ==, -EINVAL);
		g_assert_cmpint(oomn_metrics_counter(m, bad[i], "h", NULL, NULL), ==, -EINVAL);
		g_assert_cmpint(oomn_metrics_histogram(m, bad[i], "h", NULL, NULL, 0, NULL), ==,
				-EINVAL);
	}
	g_assert_cmpint(oomn_metrics_gauge(m, NULL, "h", NULL, NULL), ==, -EINVAL);
	for (size_t i = 0; i < G_N_ELEMENTS(good_labels); i++) {
		g_autofree char *name = g_strdup_printf("good_label_%zu", i);

		g_assert_cmpint(oomn_metrics_counter(m, name, "h",
						     (const char *[]){ good_labels[i], NULL },
						     NULL),
				==, 0);
	}
	for (size_t i = 0; i < G_N_ELEMENTS(bad_labels); i++)
		g_assert_cmpint(oomn_metrics_counter(m, "bad_label", "h",
						     (const char *[]){ bad_labels[i], NULL }, NULL),
				==, -EINVAL);
	/* "le" is the histogram's own; a label twice; one too many. */
	g_assert_cmpint(oomn_metrics_histogram(m, "h_le", "h", (const char *[]){ "le", NULL },
					       ok_bounds, 2, NULL),
			==, -EINVAL);
	g_assert_cmpint(
		oomn_metrics_counter(m, "twice", "h", (const char *[]){ "a", "a", NULL }, NULL), ==,
		-EINVAL);
	g_assert_cmpint(oomn_metrics_counter(m, "five", "h",
					     (const char *[]){ "a", "b", "c", "d", "e", NULL },
					     NULL),
			==, -EINVAL);
	g_assert_cmpint(oomn_metrics_counter(m, "four", "h",
					     (const char *[]){ "a", "b", "c", "d", NULL }, NULL),
			==, 0);
	/* HELP must be UTF-8. */
	g_assert_cmpint(oomn_metrics_counter(m, "latin1", "caf\xe9", NULL, NULL), ==, -EINVAL);
	g_assert_cmpint(oomn_metrics_counter(m, "nohelp", NULL, NULL, NULL), ==, -EINVAL);

	/* Bounds: finite, strictly increasing, not too many. */
	g_assert_cmpint(
		oomn_metrics_histogram(m, "b1", "h", NULL, (const double[]){ 1, 1 }, 2, NULL), ==,
		-EINVAL);
	g_assert_cmpint(
		oomn_metrics_histogram(m, "b2", "h", NULL, (const double[]){ 2, 1 }, 2, NULL), ==,
		-EINVAL);
	g_assert_cmpint(oomn_metrics_histogram(m, "b3", "h", NULL, (const double[]){ 1, INFINITY },
					       2, NULL),
			==, -EINVAL);
	g_assert_cmpint(
		oomn_metrics_histogram(m, "b4", "h", NULL, (const double[]){ NAN }, 1, NULL), ==,
		-EINVAL);
	g_assert_cmpint(oomn_metrics_histogram(m, "b5", "h", NULL, NULL, 1, NULL), ==, -EINVAL);
	{
		double many[OOMN_METRICS_BUCKETS_MAX + 1];

		for (size_t i = 0; i < G_N_ELEMENTS(many); i++)
			many[i] = i;
		g_assert_cmpint(
			oomn_metrics_histogram(m, "b6", "h", NULL, many, G_N_ELEMENTS(many), NULL),
			==, -EINVAL);
		g_assert_cmpint(oomn_metrics_histogram(m, "b7", "h", NULL, many,
						       OOMN_METRICS_BUCKETS_MAX, NULL),
				==, 0);
	}
	g_assert_cmpint(
		oomn_metrics_histogram(m, "b8", "h", NULL, (const double[]){ -1, 0 }, 2, &f), ==,
		0);
	g_assert_nonnull(f);

	/* One name, one family: a histogram's _bucket, _sum and _count included. */
	g_assert_cmpint(oomn_metrics_counter(m, "a", "h", NULL, NULL), ==, -EEXIST);
	g_assert_cmpint(oomn_metrics_gauge(m, "x_count", "h", NULL, NULL), ==, 0);
	g_assert_cmpint(oomn_metrics_histogram(m, "x", "h", NULL, NULL, 0, NULL), ==, -EEXIST);
	g_assert_cmpint(oomn_metrics_histogram(m, "y", "h", NULL, NULL, 0, NULL), ==, 0);
	g_assert_cmpint(oomn_metrics_counter(m, "y_bucket", "h", NULL, NULL), ==, -EEXIST);
	g_assert_cmpint(oomn_metrics_counter(m, "y_sum", "h", NULL, NULL), ==, -EEXIST);
	g_assert_cmpint(oomn_metrics_counter(m, "y_count", "h", NULL, NULL), ==, -EEXIST);
	g_assert_cmpint(oomn_metrics_counter(m, "y", "h", NULL, NULL), ==, -EEXIST);
	g_assert_cmpint(oomn_metrics_histogram(m, "y_sum", "h", NULL, NULL, 0, NULL), ==, -EEXIST);
	g_assert_cmpint(oomn_metrics_counter(m, "y_", "h", NULL, NULL), ==, 0);
	g_assert_cmpint(oomn_metrics_counter(m, "y_summary", "h", NULL, NULL), ==, 0);
}

/* Escaping and label sets ---------------------------------------------------- */

static void test_escaping(void)
{
	_cleanup_metrics_ struct oomn_metrics *m = NULL;
	struct oomn_metrics_family *f = NULL;
	struct oomn_metrics_series *s = NULL;
	g_autofree char *text = NULL;

	g_assert_cmpint(oomn_metrics_new(&m), ==, 0);
	g_assert_cmpint(oomn_metrics_counter(m, "c_total", "back\\slash\nnew \"line\"",
					     (const char *[]){ "v", NULL }, &f),
			==, 0);
	oomn_counter_inc(series(f, (const char *[]){ "a\\b\"c\nd" }));
	oomn_counter_inc(series(f, (const char *[]){ "\\\\n" }));
	oomn_counter_inc(series(f, (const char *[]){ "é ☃ 😀 }{,=" }));
	/* Not UTF-8: an overlong '/', a lone continuation byte, a surrogate, a cut sequence. */
	g_assert_cmpint(oomn_metrics_series(f, (const char *[]){ "\xc0\xaf" }, &s), ==, -EINVAL);
	g_assert_cmpint(oomn_metrics_series(f, (const char *[]){ "a\x80" }, &s), ==, -EINVAL);
	g_assert_cmpint(oomn_metrics_series(f, (const char *[]){ "\xed\xa0\x80" }, &s), ==,
			-EINVAL);
	g_assert_cmpint(oomn_metrics_series(f, (const char *[]){ "\xe2\x98" }, &s), ==, -EINVAL);
	g_assert_cmpint(oomn_metrics_series(f, (const char *[]){ "\xf4\x90\x80\x80" }, &s), ==,
			-EINVAL);
	g_assert_cmpint(oomn_metrics_series(f, (const char *[]){ NULL }, &s), ==, -EINVAL);
	g_assert_cmpint(oomn_metrics_series(f, NULL, &s), ==, -EINVAL);
	g_assert_null(s);

	text = format(m);
	g_assert_cmpstr(text, ==,
			"# HELP c_total back\\\\slash\\nnew \"line\"\n"
			"# TYPE c_total counter\n"
			"c_total{v=\"a\\\\b\\\"c\\nd\"} 1\n"
			"c_total{v=\"\\\\\\\\n\"} 1\n"
			"c_total{v=\"é ☃ 😀 }{,=\"} 1\n");
}

static void test_labels(void)
{
	_cleanup_metrics_ struct oomn_metrics *m = NULL;
	struct oomn_metrics_family *kills = NULL, *plain = NULL, *g = NULL, *empty = NULL;
	struct oomn_metrics_series *a, *b, *p;
	g_autofree char *text = NULL;

	g_assert_cmpint(oomn_metrics_new(&m), ==, 0);
	g_assert_cmpint(oomn_metrics_counter(m, "kills_total", "Kills.",
					     (const char *[]){ "rule", "action", NULL }, &kills),
			==, 0);
	g_assert_cmpint(oomn_metrics_counter(m, "plain_total", "Plain.", NULL, &plain), ==, 0);
	g_assert_cmpint(oomn_metrics_gauge(m, "temp", "Gauge.", (const char *[]){ "at", NULL }, &g),
			==, 0);
	/* Labels and no series: left out. */
	g_assert_cmpint(
		oomn_metrics_gauge(m, "unused", "Unused.", (const char *[]){ "x", NULL }, &empty),
		==, 0);

	a = series(kills, (const char *[]){ "browser", "term" });
	b = series(kills, (const char *[]){ "browser", "kill" });
	g_assert_true(a != b);
	g_assert_true(series(kills, (const char *[]){ "browser", "term" }) == a);
	/* "ab"+"c" is not "a"+"bc". */
	g_assert_true(series(kills, (const char *[]){ "ab", "c" }) !=
		      series(kills, (const char *[]){ "a", "bc" }));
	oomn_counter_inc(a);
	oomn_counter_inc(a);
	oomn_counter_add(b, 5);
	p = series(plain, NULL);
	g_assert_true(series(plain, (const char *[]){ "ignored" }) == p);
	oomn_counter_add(p, UINT64_MAX);
	oomn_gauge_set(series(g, (const char *[]){ "x" }), -1.5);
	oomn_gauge_add(series(g, (const char *[]){ "x" }), 0.25);
	oomn_gauge_set(series(g, (const char *[]){ "y" }), NAN);

	text = format(m);
	g_assert_cmpstr(text, ==,
			"# HELP kills_total Kills.\n"
			"# TYPE kills_total counter\n"
			"kills_total{rule=\"browser\",action=\"term\"} 2\n"
			"kills_total{rule=\"browser\",action=\"kill\"} 5\n"
			"kills_total{rule=\"ab\",action=\"c\"} 0\n"
			"kills_total{rule=\"a\",action=\"bc\"} 0\n"
			"# HELP plain_total Plain.\n"
			"# TYPE plain_total counter\n"
			"plain_total 18446744073709551615\n"
			"# HELP temp Gauge.\n"
			"# TYPE temp gauge\n"
			"temp{at=\"x\"} -1.25\n"
			"temp{at=\"y\"} NaN\n");
}

/* Histograms ----------------------------------------------------------------- */

static void test_histogram(void)
{
	_cleanup_metrics_ struct oomn_metrics *m = NULL;
	struct oomn_metrics_family *h = NULL, *bare = NULL, *l = NULL;
	struct oomn_metrics_series *s;
	g_autofree char *text = NULL;

	g_assert_cmpint(oomn_metrics_new(&m), ==, 0);
	g_assert_cmpint(oomn_metrics_histogram(m, "lat_seconds", "Latency.", NULL,
					       (const double[]){ 0.1, 1, 10 }, 3, &h),
			==, 0);
	g_assert_cmpint(oomn_metrics_histogram(m, "bare", "Only +Inf.", NULL, NULL, 0, &bare), ==,
			0);
	g_assert_cmpint(oomn_metrics_histogram(m, "by_src_seconds", "Labelled.",
					       (const char *[]){ "src", NULL },
					       (const double[]){ 0.5 }, 1, &l),
			==, 0);
	s = series(h, NULL);
	/* A bound is inclusive: 0.1 and 10 count in their own buckets. */
	oomn_histogram_observe(s, 0.05);
	oomn_histogram_observe(s, 0.1);
	oomn_histogram_observe(s, 0.5);
	oomn_histogram_observe(s, 10);
	oomn_histogram_observe(s, 10.5);
	oomn_histogram_observe(s, 1e9);
	oomn_histogram_observe(s, -2);
	oomn_histogram_observe(series(bare, NULL), 3);
	oomn_histogram_observe(series(bare, NULL), NAN);
	oomn_histogram_observe(series(l, (const char *[]){ "a\"b" }), 0.25);

	text = format(m);
	g_assert_cmpstr(text, ==,
			"# HELP lat_seconds Latency.\n"
			"# TYPE lat_seconds histogram\n"
			"lat_seconds_bucket{le=\"0.1\"} 3\n"
			"lat_seconds_bucket{le=\"1\"} 4\n"
			"lat_seconds_bucket{le=\"10\"} 5\n"
			"lat_seconds_bucket{le=\"+Inf\"} 7\n"
			"lat_seconds_sum 1000000019.15\n"
			"lat_seconds_count 7\n"
			"# HELP bare Only +Inf.\n"
			"# TYPE bare histogram\n"
			"bare_bucket{le=\"+Inf\"} 2\n"
			"bare_sum NaN\n"
			"bare_count 2\n"
			"# HELP by_src_seconds Labelled.\n"
			"# TYPE by_src_seconds histogram\n"
			"by_src_seconds_bucket{src=\"a\\\"b\",le=\"0.5\"} 1\n"
			"by_src_seconds_bucket{src=\"a\\\"b\",le=\"+Inf\"} 1\n"
			"by_src_seconds_sum{src=\"a\\\"b\"} 0.25\n"
			"by_src_seconds_count{src=\"a\\\"b\"} 1\n");
}

/* Once a series exists, counting allocates nothing. */
static void test_no_alloc(void)
{
	g_autoptr(GPtrArray) all = g_ptr_array_new();
	struct oomn_metrics *m = full_registry();
	struct oomn_metrics_family *c = NULL, *h = NULL, *g = NULL;
	struct oomn_metrics_series *cs, *hs, *gs;
	struct mallinfo2 before, after;

	g_assert_cmpint(
		oomn_metrics_counter(m, "hot_total", "h", (const char *[]){ "a", NULL }, &c), ==,
		0);
	g_assert_cmpint(oomn_metrics_histogram(m, "hot_seconds", "h", NULL, seconds,
					       G_N_ELEMENTS(seconds), &h),
			==, 0);
	g_assert_cmpint(oomn_metrics_gauge(m, "hot", "h", NULL, &g), ==, 0);
	cs = series(c, (const char *[]){ "x" });
	hs = series(h, NULL);
	gs = series(g, NULL);

	before = mallinfo2();
	for (int i = 0; i < 100000; i++) {
		oomn_counter_inc(cs);
		oomn_histogram_observe(hs, i * 1e-5);
		oomn_gauge_set(gs, i);
		/* Finding an existing series again does not allocate either. */
		oomn_counter_inc(series(c, (const char *[]){ "x" }));
	}
	after = mallinfo2();
	g_assert_cmpuint(after.uordblks, ==, before.uordblks);
	g_assert_cmpuint(after.hblkhd, ==, before.hblkhd);
	oomn_metrics_free(m);
}

/* The file ------------------------------------------------------------------- */

static void test_write(Fixture *f, gconstpointer data)
{
	_cleanup_metrics_ struct oomn_metrics *m = full_registry();
	unsigned flags = GPOINTER_TO_UINT(data);
	g_autofree char *expected = format(m);
	g_autofree char *text = NULL, *names = NULL;
	mode_t old_umask = umask(077);
	struct stat st;
	int r;

	r = oomn_metrics_write_full(m, f->path, flags);
	umask(old_umask);
	g_assert_cmpint(r, ==, 0);
	text = slurp(f->path);
	g_assert_cmpstr(text, ==, expected);
	g_assert_cmpint(stat(f->path, &st), ==, 0);
	g_assert_cmpint(st.st_mode & 07777, ==, 0644);
	names = listing(f->dir);
	g_assert_cmpstr(names, ==, "oom-notify.prom");

	g_clear_pointer(&text, g_free);
	g_clear_pointer(&names, g_free);

	/* Over the file just written, the default way. */
	{
		struct oomn_metrics_family *c = NULL;

		g_assert_cmpint(oomn_metrics_counter(m, "more_total", "h", NULL, &c), ==, 0);
		oomn_counter_add(series(c, NULL), 99);
	}
	g_assert_cmpint(oomn_metrics_write(m, f->path), ==, 0);
	text = slurp(f->path);
	g_assert_true(g_str_has_suffix(text, "\nmore_total 99\n"));
	g_clear_pointer(&text, g_free);

	/* A path without a directory: the working one. */
	{
		g_autofree char *cwd = g_get_current_dir();

		g_assert_cmpint(g_chdir(f->dir), ==, 0);
		r = oomn_metrics_write_full(m, "rel.prom", flags);
		g_assert_cmpint(g_chdir(cwd), ==, 0);
		g_assert_cmpint(r, ==, 0);
	}
	names = listing(f->dir);
	g_assert_cmpstr(names, ==, "oom-notify.prom rel.prom");
}

/* A line of the exposition format, as far as this writer produces it. */
static bool line_parses(const char *line)
{
	const char *sp;
	char *end;

	if (g_str_has_prefix(line, "# HELP ") || g_str_has_prefix(line, "# TYPE "))
		return strchr(line + 7, ' ') != NULL;
	sp = strrchr(line, ' ');
	if (!sp || sp == line)
		return false;
	if (strcmp(sp + 1, "NaN") == 0 || strcmp(sp + 1, "+Inf") == 0)
		return true;
	strtod(sp + 1, &end);
	return end != sp + 1 && *end == '\0';
}

static void test_atomic(Fixture *f, gconstpointer data)
{
	_cleanup_metrics_ struct oomn_metrics *m = full_registry();
	unsigned flags = GPOINTER_TO_UINT(data);
	struct oomn_metrics_family *c = NULL;
	struct oomn_metrics_series *s;
	g_autofree char *names = NULL;
	int reads = 0, status;
	pid_t pid;

	/* The last line of every file: the series made last. */
	g_assert_cmpint(oomn_metrics_counter(m, "zz_writes_total", "Writes so far.", NULL, &c), ==,
			0);
	s = series(c, NULL);
	g_assert_cmpint(oomn_metrics_write_full(m, f->path, flags), ==, 0);

	pid = fork();
	g_assert_cmpint(pid, >=, 0);
	if (pid == 0) {
		for (int i = 0; i < 1000; i++) {
			oomn_counter_inc(s);
			if (oomn_metrics_write_full(m, f->path, flags) < 0)
				_exit(1);
		}
		_exit(0);
	}

	for (;;) {
		bool done = waitpid(pid, &status, WNOHANG) == pid;
		g_autofree char *text = slurp(f->path);
		g_auto(GStrv) lines = NULL;
		const char *last;
		size_t n;

		g_assert_true(g_str_has_suffix(text, "\n"));
		lines = g_strsplit(text, "\n", -1);
		n = g_strv_length(lines);
		g_assert_cmpuint(n, >=, 2);
		g_assert_cmpstr(lines[n - 1], ==, "");
		for (size_t i = 0; i + 1 < n; i++)
			if (!line_parses(lines[i]))
				g_error("read %d, line %zu does not parse: '%s'", reads, i,
					lines[i]);
		last = lines[n - 2];
		g_assert_true(g_str_has_prefix(last, "zz_writes_total "));
		reads++;
		if (done) {
			g_assert_cmpstr(last, ==, "zz_writes_total 1000");
			break;
		}
	}
	g_assert_true(WIFEXITED(status));
	g_assert_cmpint(WEXITSTATUS(status), ==, 0);
	g_test_message("%d reads during 1000 writes", reads);
	names = listing(f->dir);
	g_assert_cmpstr(names, ==, "oom-notify.prom");
}

/* Runs @fn in a child (as nobody when @nobody and root) and returns its result. */
static int in_child(int (*fn)(const char *path, unsigned flags), const char *path, unsigned flags,
		    bool nobody, rlim_t fsize)
{
	int status;
	pid_t pid = fork();

	g_assert_cmpint(pid, >=, 0);
	if (pid == 0) {
		int r;

		if (nobody && getuid() == 0 &&
		    (setgroups(0, NULL) < 0 || setresgid(NOBODY, NOBODY, NOBODY) < 0 ||
		     setresuid(NOBODY, NOBODY, NOBODY) < 0))
			_exit(200);
		if (fsize != RLIM_INFINITY) {
			struct rlimit rl = { fsize, fsize };

			signal(SIGXFSZ, SIG_IGN);
			if (setrlimit(RLIMIT_FSIZE, &rl) < 0)
				_exit(201);
		}
		r = fn(path, flags);
		_exit(r < 0 ? -r : 0);
	}
	g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
	g_assert_true(WIFEXITED(status));
	g_assert_cmpint(WEXITSTATUS(status), <, 200);
	return -WEXITSTATUS(status);
}

static int write_full_registry(const char *path, unsigned flags)
{
	_cleanup_metrics_ struct oomn_metrics *m = full_registry();

	return oomn_metrics_write_full(m, path, flags);
}

static void test_errors(Fixture *f, gconstpointer data)
{
	unsigned flags = GPOINTER_TO_UINT(data);
	_cleanup_metrics_ struct oomn_metrics *m = full_registry();
	g_autofree char *ro = g_build_filename(f->dir, "ro", NULL);
	g_autofree char *ro_file = g_build_filename(ro, "m.prom", NULL);
	g_autofree char *missing = g_build_filename(f->dir, "missing", "m.prom", NULL);
	g_autofree char *dir_target = g_build_filename(f->dir, "d.prom", NULL);
	g_autofree char *inside = g_build_filename(dir_target, "x", NULL);
	g_autofree char *text = NULL, *names = NULL, *trailing = NULL;

	/* An unwritable directory: the old file stays as it was, nothing added. */
	g_assert_cmpint(g_mkdir(ro, 0755), ==, 0);
	g_assert_true(g_file_set_contents(ro_file, "old 1\n", -1, NULL));
	g_assert_cmpint(chmod(ro, 0555), ==, 0);
	g_assert_cmpint(in_child(write_full_registry, ro_file, flags, true, RLIM_INFINITY), ==,
			-EACCES);
	text = slurp(ro_file);
	g_assert_cmpstr(text, ==, "old 1\n");
	names = listing(ro);
	g_assert_cmpstr(names, ==, "m.prom");
	g_clear_pointer(&text, g_free);
	g_clear_pointer(&names, g_free);

	/* A write that fails half-way (the file size limit): the same. */
	g_assert_true(g_file_set_contents(f->path, "old 2\n", -1, NULL));
	g_assert_cmpint(in_child(write_full_registry, f->path, flags, false, 64), ==, -EFBIG);
	text = slurp(f->path);
	g_assert_cmpstr(text, ==, "old 2\n");
	g_clear_pointer(&text, g_free);

	/* A rename that fails (a directory in the way): the temporary file goes. */
	g_assert_cmpint(g_mkdir(dir_target, 0755), ==, 0);
	g_assert_true(g_file_set_contents(inside, "", -1, NULL));
	g_assert_cmpint(oomn_metrics_write_full(m, dir_target, flags), ==, -EISDIR);
	names = listing(f->dir);
	g_assert_cmpstr(names, ==, "d.prom oom-notify.prom ro");
	g_clear_pointer(&names, g_free);

	/* No directory; no file name. */
	g_assert_cmpint(oomn_metrics_write_full(m, missing, flags), ==, -ENOENT);
	trailing = g_strconcat(f->dir, "/", NULL);
	g_assert_cmpint(oomn_metrics_write_full(m, trailing, flags), ==, -EISDIR);
	g_assert_cmpint(oomn_metrics_write_full(m, "/", flags), ==, -EISDIR);
	names = listing(f->dir);
	g_assert_cmpstr(names, ==, "d.prom oom-notify.prom ro");
}

/* The real parser ----------------------------------------------------------- */

static void test_promtool(Fixture *f, gconstpointer data)
{
	_cleanup_metrics_ struct oomn_metrics *m = full_registry();
	const char *promtool = g_getenv("PROMTOOL");
	g_autofree char *out = NULL, *err = NULL, *cmd = NULL, *text = NULL;
	g_autoptr(GError) error = NULL;
	int status;

	if (!promtool || !*promtool) {
		const char *why = "promtool is not installed (Debian package prometheus; "
				  "tools/deps.sh installs it)";

		if (g_strcmp0(g_getenv("CI"), "true") == 0) {
			g_test_message("%s: under CI=true the real parser must run", why);
			g_test_fail();
		} else {
			g_test_skip(why);
		}
		return;
	}
	g_assert_cmpint(oomn_metrics_write(m, f->path), ==, 0);
	text = slurp(f->path);
	g_test_message("checking:\n%s", text);
	cmd = g_strdup_printf("'%s' check metrics < '%s'", promtool, f->path);
	g_assert_true(g_spawn_sync(NULL, (char *[]){ "/bin/sh", "-c", cmd, NULL }, NULL, 0, NULL,
				   NULL, &out, &err, &status, &error));
	g_assert_no_error(error);
	g_test_message("promtool: exit %d, stdout '%s', stderr '%s'",
		       WIFEXITED(status) ? WEXITSTATUS(status) : -1, out, err);
	g_assert_true(WIFEXITED(status));
	g_assert_cmpint(WEXITSTATUS(status), ==, 0);
	/* Lint problems come as lines on either stream: there must be none. */
	g_assert_cmpstr(out, ==, "");
	g_assert_cmpstr(err, ==, "");
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/metrics/numbers", test_numbers);
	g_test_add_func("/metrics/names", test_names);
	g_test_add_func("/metrics/escaping", test_escaping);
	g_test_add_func("/metrics/labels", test_labels);
	g_test_add_func("/metrics/histogram", test_histogram);
	g_test_add_func("/metrics/no-alloc", test_no_alloc);
	g_test_add("/metrics/write/tmpfile", Fixture, GUINT_TO_POINTER(0), setup, test_write,
		   teardown);
	g_test_add("/metrics/write/named", Fixture, GUINT_TO_POINTER(OOMN_METRICS_WRITE_NO_TMPFILE),
		   setup, test_write, teardown);
	g_test_add("/metrics/atomic/tmpfile", Fixture, GUINT_TO_POINTER(0), setup, test_atomic,
		   teardown);
	g_test_add("/metrics/atomic/named", Fixture,
		   GUINT_TO_POINTER(OOMN_METRICS_WRITE_NO_TMPFILE), setup, test_atomic, teardown);
	g_test_add("/metrics/errors/tmpfile", Fixture, GUINT_TO_POINTER(0), setup, test_errors,
		   teardown);
	g_test_add("/metrics/errors/named", Fixture,
		   GUINT_TO_POINTER(OOMN_METRICS_WRITE_NO_TMPFILE), setup, test_errors, teardown);
	g_test_add("/metrics/promtool", Fixture, NULL, setup, test_promtool, teardown);
	return g_test_run();
}
