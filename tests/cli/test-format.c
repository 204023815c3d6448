/* SPDX-License-Identifier: GPL-2.0-only */
/* The CLI's renderings: exact JSON lines and readable text. */
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "format.h"

static __attribute__((noinline)) char *render(void (*fn)(FILE *, const struct format_opts *, const void *),
		    const struct format_opts *o, const void *arg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	fn(f, o, arg);
	fclose(f);
	return buf;
}

static void pressure(FILE *f, const struct format_opts *o, const void *ev)
{
	format_pressure(f, o, ev);
}

static void oom(FILE *f, const struct format_opts *o, const void *ev)
{
	format_oom(f, o, ev);
}

static void test_pressure_json(void)
{
	struct format_opts o = { .json = true, .swap_total = 4096 };
	struct oomn_pressure_event ev = {
		.seq = 7, .level = OOM_NOTIFY_LEVEL_MEDIUM, .prev_level = OOM_NOTIFY_LEVEL_LOW,
		.timestamp_ns = 123, .cause = OOM_NOTIFY_CAUSE_ALLOC, .mem_total = 1000,
		.mem_available = 140, .swap_free = 0,
	};
	g_autofree char *s = render(pressure, &o, &ev);

	g_assert_cmpstr(s, ==,
			"{\"event\":\"pressure\",\"seq\":7,\"level\":\"medium\",\"prev_level\":\"low\","
			"\"cause\":\"alloc\",\"timestamp_ns\":123,\"mem_total\":1000,"
			"\"mem_available\":140,\"swap_total\":4096,\"swap_free\":0}\n");
}

static void test_oom_json_escapes(void)
{
	struct format_opts o = { .json = true };
	struct oomn_oom_event ev = { .oom_seq = 2, .pid = 42, .tid = 43, .uid = 1000,
				     .oom_score_adj = -17, .anon_rss = 5 };
	g_autofree char *s = NULL;

	strcpy(ev.comm, "a\"b\\c\nd");
	strcpy(ev.cgroup, "/user.slice/x");
	s = render(oom, &o, &ev);
	g_assert_nonnull(strstr(s, "\"comm\":\"a\\\"b\\\\c\\u000ad\""));
	g_assert_nonnull(strstr(s, "\"pid\":42,\"tid\":43,"));
	g_assert_nonnull(strstr(s, "\"oom_score_adj\":-17,"));
	g_assert_nonnull(strstr(s, "\"cgroup\":\"/user.slice/x\",\"lost\":0}\n"));
	/* one line per event */
	g_assert_cmpint(strchr(s, '\n') - s, ==, (long)strlen(s) - 1);
}

static void test_pressure_text(void)
{
	struct format_opts o = { .swap_total = 0 };
	struct oomn_pressure_event ev = {
		.seq = 3, .level = OOM_NOTIFY_LEVEL_CRITICAL, .prev_level = OOM_NOTIFY_LEVEL_MEDIUM,
		.cause = OOM_NOTIFY_CAUSE_RECLAIM, .mem_total = 1024ULL << 20,
		.mem_available = 100ULL << 20,
	};
	g_autofree char *s = render(pressure, &o, &ev);

	g_assert_nonnull(strstr(s, "critical (was medium)  available 100/1024 MiB (9.8%)"));
	g_assert_nonnull(strstr(s, "reclaim  seq 3\n"));
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/cli/format/pressure-json", test_pressure_json);
	g_test_add_func("/cli/format/oom-json-escapes", test_oom_json_escapes);
	g_test_add_func("/cli/format/pressure-text", test_pressure_text);
	return g_test_run();
}
