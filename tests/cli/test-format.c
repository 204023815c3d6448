/* SPDX-License-Identifier: GPL-2.0-only */
/* The CLI's renderings: exact JSON lines and readable text. */
#include <glib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "format.h"

/* 2026-12-01 13:07:36.123456 UTC */
#define NOW_USEC 1796130456123456ULL
#define NOW_JSON "\"time\":\"2026-12-01T13:07:36.123Z\""

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
	struct format_opts o = { .json = true, .swap_total = 4096, .now_usec = NOW_USEC };
	struct oomn_pressure_event ev = {
		.pressure_seq = 7, .level = OOM_NOTIFY_LEVEL_MEDIUM, .prev_level = OOM_NOTIFY_LEVEL_LOW,
		.timestamp_ns = 123, .cause = OOM_NOTIFY_CAUSE_ALLOC, .mem_total = 1000,
		.mem_available = 140, .swap_free = 0,
	};
	g_autofree char *s = render(pressure, &o, &ev);

	g_assert_cmpstr(s, ==,
			"{\"event\":\"pressure\"," NOW_JSON ",\"pressure_seq\":7,\"level\":\"medium\",\"prev_level\":\"low\","
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
	g_assert_nonnull(strstr(s, "\"comm\":\"a\\\"b\\\\c\\nd\""));
	g_assert_nonnull(strstr(s, "\"pid\":42,\"tid\":43,"));
	g_assert_true(g_str_has_prefix(s, "{\"event\":\"oom-kill\",\"time\":\""));
	g_assert_nonnull(strstr(s, "\"oom_score_adj\":-17,"));
	g_assert_nonnull(strstr(s, "\"cgroup\":\"/user.slice/x\",\"lost\":0}\n"));
	/* one line per event */
	g_assert_cmpint(strchr(s, '\n') - s, ==, (long)strlen(s) - 1);
}

static void test_pressure_text(void)
{
	struct format_opts o = { .swap_total = 0 };
	struct oomn_pressure_event ev = {
		.pressure_seq = 3, .level = OOM_NOTIFY_LEVEL_CRITICAL, .prev_level = OOM_NOTIFY_LEVEL_MEDIUM,
		.cause = OOM_NOTIFY_CAUSE_RECLAIM, .mem_total = 1024ULL << 20,
		.mem_available = 100ULL << 20,
	};
	g_autofree char *s = render(pressure, &o, &ev);

	g_assert_nonnull(strstr(s, "critical (was medium)  available 100/1024 MiB (9.8%)"));
	g_assert_nonnull(strstr(s, "reclaim  pressure seq 3\n"));
}

static void bus_event(FILE *f, const struct format_opts *o, const void *ev)
{
	format_bus_event(f, o, ev);
}

static void json_string(FILE *f, const struct format_opts *o, const void *s)
{
	format_json_string(f, s);
}

static void test_json_string(void)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "", "\"\"" },
		{ "plain", "\"plain\"" },
		{ "q\"b\\", "\"q\\\"b\\\\\"" },
		{ "\n\t\r\x01\x1f\x7f", "\"\\n\\t\\u000d\\u0001\\u001f\\u007f\"" },
		{ "\x1b[31mred", "\"\\u001b[31mred\"" },
		/* valid UTF-8 passes, anything else becomes U+FFFD */
		{ "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xa7", "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xa7\"" },
		{ "a\xff" "b", "\"a\\ufffdb\"" },
		{ "\xc3", "\"\\ufffd\"" },
		{ "\xc0\xaf", "\"\\ufffd\\ufffd\"" },	   /* overlong */
		{ "\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"" }, /* surrogate */
		{ "\xe2\x82", "\"\\ufffd\\ufffd\"" },	   /* cut short */
	};
	struct format_opts o = { 0 };

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *s = render(json_string, &o, cases[i].in);

		g_assert_cmpstr(s, ==, cases[i].out);
	}
	{
		/* NULL is "" */
		g_autofree char *s = render(json_string, &o, NULL);

		g_assert_cmpstr(s, ==, "\"\"");
	}
}

static void test_bus_pressure_json(void)
{
	struct format_opts o = { .json = true, .now_usec = NOW_USEC };
	struct format_bus_event ev = {
		.kind = FORMAT_BUS_PRESSURE, .level = "low", .prev_level = "normal", .signal_seq = 4,
		.mem_total = 1024000000, .mem_available = 184320000, .swap_total = 10,
		.swap_free = 5, .source = "meminfo", .timestamp_ns = 99,
	};
	g_autofree char *s = render(bus_event, &o, &ev);

	g_assert_cmpstr(s, ==,
			"{\"event\":\"pressure\"," NOW_JSON ",\"level\":\"low\",\"prev_level\":\"normal\","
			"\"signal_seq\":4,\"mem_total\":1024000000,\"mem_available\":184320000,"
			"\"swap_total\":10,\"swap_free\":5,\"source\":\"meminfo\",\"timestamp_ns\":99}\n");

	ev.kind = FORMAT_BUS_STATE;
	g_free(s);
	s = render(bus_event, &o, &ev);
	g_assert_cmpstr(s, ==,
			"{\"event\":\"state\"," NOW_JSON ",\"level\":\"low\","
			"\"signal_seq\":4,\"mem_total\":1024000000,\"mem_available\":184320000,"
			"\"swap_total\":10,\"swap_free\":5,\"source\":\"meminfo\",\"timestamp_ns\":99}\n");
}

static void test_bus_pressure_text(void)
{
	struct format_opts o = { .now_usec = NOW_USEC };
	struct format_bus_event ev = {
		.kind = FORMAT_BUS_PRESSURE, .level = "critical", .prev_level = "medium", .signal_seq = 3,
		.mem_total = 1024ULL << 20, .mem_available = 100ULL << 20,
		.swap_total = 512ULL << 20, .swap_free = 1ULL << 20, .source = "kernel",
	};
	g_autofree char *s = render(bus_event, &o, &ev);

	g_assert_cmpstr(s, ==,
			"13:07:36.123  critical (was medium)    available 100/1024 MiB (9.8%)  "
			"swap free 1/512 MiB  kernel  signal seq 3\n");
	ev.kind = FORMAT_BUS_STATE;
	g_free(s);
	s = render(bus_event, &o, &ev);
	g_assert_true(g_str_has_prefix(s, "13:07:36.123  critical (now)           available 100/1024 "));
}

static void test_bus_kill_events(void)
{
	struct format_opts o = { .json = true, .now_usec = NOW_USEC };
	struct format_bus_event killed = {
		.kind = FORMAT_BUS_KILLED, .pid = 42, .comm = "evil\"\n\x1b", .uid = 1000,
		.cgroup = "/user.slice/a\\b", .rule = "prefer-browsers", .freed = 4096,
		.reason = "critical",
	};
	struct format_bus_event answered = {
		.kind = FORMAT_BUS_CANDIDATE_ANSWERED, .pid = 42, .freed = 8192, .checkpointed = true,
	};
	struct format_bus_event announced = {
		.kind = FORMAT_BUS_KILL_ANNOUNCED, .pid = 42, .comm = "", .deadline_msec = 5000,
		.deadline_boottime_usec = 7, .reason = "low on memory",
	};
	struct format_bus_event redeemed = {
		.kind = FORMAT_BUS_REDEEMED, .pid = 42, .comm = NULL, .reason = "pressure fell",
	};
	struct format_bus_event oom = {
		.kind = FORMAT_BUS_OOM_KILL, .pid = 7, .comm = "hog", .uid = 0, .cgroup = "/x",
		.anon_rss = 1 << 20, .oom_seq = 2,
	};
	g_autofree char *k = render(bus_event, &o, &killed);
	g_autofree char *a = render(bus_event, &o, &answered);
	g_autofree char *n = render(bus_event, &o, &announced);
	g_autofree char *r = render(bus_event, &o, &redeemed);
	g_autofree char *m = render(bus_event, &o, &oom);
	g_autofree char *t = NULL;

	g_assert_cmpstr(k, ==,
			"{\"event\":\"killed\"," NOW_JSON ",\"pid\":42,\"comm\":\"evil\\\"\\n\\u001b\","
			"\"uid\":1000,\"cgroup\":\"/user.slice/a\\\\b\",\"rule\":\"prefer-browsers\","
			"\"freed\":4096,\"reason\":\"critical\"}\n");
	g_assert_cmpstr(a, ==,
			"{\"event\":\"candidate-answered\"," NOW_JSON ",\"pid\":42,"
			"\"freed\":8192,\"checkpointed\":true}\n");
	g_assert_cmpstr(n, ==,
			"{\"event\":\"kill-announced\"," NOW_JSON ",\"pid\":42,\"comm\":\"\","
			"\"deadline_msec\":5000,\"deadline_boottime_usec\":7,"
			"\"reason\":\"low on memory\"}\n");
	g_assert_cmpstr(r, ==,
			"{\"event\":\"redeemed\"," NOW_JSON ",\"pid\":42,\"comm\":\"\","
			"\"reason\":\"pressure fell\"}\n");
	g_assert_cmpstr(m, ==,
			"{\"event\":\"oom-kill\"," NOW_JSON ",\"pid\":7,\"comm\":\"hog\",\"uid\":0,"
			"\"cgroup\":\"/x\",\"anon_rss\":1048576,\"oom_seq\":2}\n");

	/* for people: control bytes shown, never sent to the terminal */
	o.json = false;
	t = render(bus_event, &o, &killed);
	g_assert_cmpstr(t, ==,
			"13:07:36.123  KILLED  pid 42 (evil\"\\x0a\\x1b) uid 1000  cgroup "
			"/user.slice/a\\b  freed 0.0 MiB  rule prefer-browsers: critical\n");
	g_free(t);
	t = render(bus_event, &o, &answered);
	g_assert_cmpstr(t, ==, "13:07:36.123  ANSWERED  pid 42 freed 0.0 MiB, checkpointed\n");
	g_free(t);
	t = render(bus_event, &o, &announced);
	g_assert_cmpstr(t, ==,
			"13:07:36.123  KILL NOTICE  pid 42 has 5000 ms to free memory: "
			"low on memory\n");
	g_free(t);
	announced.comm = "cache";
	killed.rule = "";
	t = render(bus_event, &o, &killed);
	g_assert_true(g_str_has_suffix(t, "freed 0.0 MiB  no rule: critical\n"));
	g_free(t);
	t = render(bus_event, &o, &announced);
	g_assert_cmpstr(t, ==,
			"13:07:36.123  KILL NOTICE  pid 42 (cache) has 5000 ms to free memory: "
			"low on memory\n");
}

struct status_args {
	const struct format_bus_event *st;
	const struct oomn_bus_client *clients;
	size_t n;
};

static void status(FILE *f, const struct format_opts *o, const void *arg)
{
	const struct status_args *a = arg;

	format_bus_status(f, o, a->st, a->clients, a->n);
}

static void test_bus_status(void)
{
	struct format_opts o = { .json = true };
	struct format_bus_event st = {
		.kind = FORMAT_BUS_STATE, .level = "medium", .signal_seq = 9, .mem_total = 1000,
		.mem_available = 140, .swap_total = 0, .swap_free = 0, .source = "psi",
		.timestamp_ns = 5,
	};
	struct oomn_bus_client clients[] = {
		{ .id = 1, .pid = 100, .uid = 1000, .bus_name = ":1.5", .comm = "cache\"d",
		  .band = 30, .flags = 1 },
		{ .id = 2, .pid = 200, .uid = 0, .bus_name = ":1.6", .comm = "worker",
		  .band = 50, .flags = 3 },
	};
	struct status_args args = { &st, clients, 2 };
	g_autofree char *s = render(status, &o, &args);
	g_autofree char *t = NULL;

	g_assert_cmpstr(s, ==,
			"{\"level\":\"medium\",\"signal_seq\":9,\"mem_total\":1000,\"mem_available\":140,"
			"\"swap_total\":0,\"swap_free\":0,\"source\":\"psi\",\"timestamp_ns\":5,"
			"\"clients\":[{\"id\":1,\"pid\":100,\"uid\":1000,\"bus_name\":\":1.5\","
			"\"comm\":\"cache\\\"d\",\"band\":30,\"flags\":1},{\"id\":2,\"pid\":200,"
			"\"uid\":0,\"bus_name\":\":1.6\",\"comm\":\"worker\",\"band\":50,\"flags\":3}]}\n");

	o.json = false;
	t = render(status, &o, &args);
	g_assert_nonnull(strstr(t, "level:          medium\n"));
	g_assert_nonnull(strstr(t, "source:         psi (through oom-notifyd)\n"));
	g_assert_nonnull(strstr(t, "clients:        2 registered for redemption\n"));
	g_assert_nonnull(strstr(t, "       2      200      0   50 free,checkpoint  :1.6         worker\n"));
	g_assert_nonnull(strstr(t, "       1      100   1000   30 free             :1.5         cache\"d\n"));

	args.n = 0;
	o.json = true;
	g_free(s);
	s = render(status, &o, &args);
	g_assert_true(g_str_has_suffix(s, ",\"clients\":[]}\n"));

	/* a caller that may not list them (not root): said so, not "none" */
	args.clients = NULL;
	g_free(s);
	s = render(status, &o, &args);
	g_assert_true(g_str_has_suffix(s, ",\"clients\":null}\n"));
	o.json = false;
	g_free(t);
	t = render(status, &o, &args);
	g_assert_nonnull(strstr(t, "clients:        root's to list\n"));
}

static void test_level_names(void)
{
	g_assert_cmpint(format_level_from_string("normal"), ==, OOM_NOTIFY_LEVEL_NORMAL);
	g_assert_cmpint(format_level_from_string("critical"), ==, OOM_NOTIFY_LEVEL_CRITICAL);
	g_assert_cmpint(format_level_from_string("extreme"), ==, -1);
	g_assert_cmpint(format_level_from_string(NULL), ==, -1);
	g_assert_cmpstr(format_bus_kind_to_string(FORMAT_BUS_CANDIDATE_ANSWERED), ==,
			"candidate-answered");
	g_assert_cmpstr(format_bus_kind_to_string(_FORMAT_BUS_KIND_MAX), ==, "unknown");
}

int main(int argc, char **argv)
{
	/* human lines show local time: make it known */
	g_setenv("TZ", "UTC", TRUE);
	tzset();
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/cli/format/json-string", test_json_string);
	g_test_add_func("/cli/format/bus-pressure-json", test_bus_pressure_json);
	g_test_add_func("/cli/format/bus-pressure-text", test_bus_pressure_text);
	g_test_add_func("/cli/format/bus-kill-events", test_bus_kill_events);
	g_test_add_func("/cli/format/bus-status", test_bus_status);
	g_test_add_func("/cli/format/level-names", test_level_names);
	g_test_add_func("/cli/format/pressure-json", test_pressure_json);
	g_test_add_func("/cli/format/oom-json-escapes", test_oom_json_escapes);
	g_test_add_func("/cli/format/pressure-text", test_pressure_text);
	return g_test_run();
}
