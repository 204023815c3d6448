/* SPDX-License-Identifier: GPL-2.0-only */
/* oom-killerd's option parsing (config.c), without running the daemon. */
#include <errno.h>
#include <glib.h>

#include "config.h"

static int parse(KillerConfig *cfg, const char *first, ...)
{
	char *argv[32];
	int argc = 0;
	va_list ap;

	argv[argc++] = (char *)"oom-killerd";
	va_start(ap, first);
	for (const char *a = first; a; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;
	return config_parse(argc, argv, cfg);
}

static void test_defaults(void)
{
	KillerConfig cfg;

	g_assert_cmpint(parse(&cfg, NULL), ==, 0);
	g_assert_cmpint(cfg.mode, ==, KILLER_MODE_RUN);
	g_assert_cmpstr(cfg.rules, ==, KILLER_RULES_DEFAULT);
	g_assert_false(cfg.rules_explicit);
	g_assert_cmpstr(cfg.rules_dir, ==, KILLER_RULES_DIR_DEFAULT);
	g_assert_false(cfg.dry_run);
	g_assert_false(cfg.no_bus);
	g_assert_null(cfg.bus_address);
	g_assert_null(cfg.proc_root);
	g_assert_cmpint(cfg.source, ==, OOMN_SOURCE_NONE);
	g_assert_cmpuint(cfg.deadline_usec, ==, KILLER_USEC_UNSET);
	g_assert_cmpuint(cfg.grace_usec, ==, KILLER_USEC_UNSET);
	g_assert_cmpuint(cfg.helper_deadline_usec, ==, KILLER_USEC_UNSET);
	g_assert_cmpint(cfg.floor_permille, ==, -1);
	g_assert_true(cfg.mrelease);
	g_assert_true(cfg.mlock);
	g_assert_false(cfg.realtime);
	g_assert_null(cfg.hook);
}

static void test_all(void)
{
	KillerConfig cfg;

	g_assert_cmpint(parse(&cfg, "--rules", "/r.yaml", "--rules-dir", "/d", "--dry-run",
			      "--bus-address", "unix:path=/b", "--proc-root", "/p", "--cgroup-root",
			      "/c", "--source", "meminfo", "--deadline", "500ms", "--grace", "2s",
			      "--helper-deadline", "250ms", "--floor", "2.5%", "--no-mrelease", "--hook", "logger x", "--realtime",
			      "--no-mlock", NULL),
			==, 0);
	g_assert_cmpint(cfg.mode, ==, KILLER_MODE_RUN);
	g_assert_cmpstr(cfg.rules, ==, "/r.yaml");
	g_assert_true(cfg.rules_explicit);
	g_assert_cmpstr(cfg.rules_dir, ==, "/d");
	g_assert_true(cfg.dry_run);
	g_assert_cmpstr(cfg.bus_address, ==, "unix:path=/b");
	g_assert_cmpstr(cfg.proc_root, ==, "/p");
	g_assert_cmpstr(cfg.cgroup_root, ==, "/c");
	g_assert_cmpint(cfg.source, ==, OOMN_SOURCE_MEMINFO);
	g_assert_cmpuint(cfg.deadline_usec, ==, 500000);
	g_assert_cmpuint(cfg.grace_usec, ==, 2000000);
	g_assert_cmpuint(cfg.helper_deadline_usec, ==, 250000);
	g_assert_cmpint(cfg.floor_permille, ==, 25);
	g_assert_false(cfg.mrelease);
	g_assert_cmpstr(cfg.hook, ==, "logger x");
	g_assert_true(cfg.realtime);
	g_assert_false(cfg.mlock);

	g_assert_cmpint(parse(&cfg, "--no-bus", "--source", "kernel", NULL), ==, 0);
	g_assert_true(cfg.no_bus);
	g_assert_cmpint(cfg.source, ==, OOMN_SOURCE_KERNEL);
	g_assert_cmpint(parse(&cfg, "--deadline", "0s", "--grace", "0ms", NULL), ==, 0);
	g_assert_cmpuint(cfg.deadline_usec, ==, 0);
	g_assert_cmpuint(cfg.grace_usec, ==, 0);
	/* no wait for helpers: the kill follows the notice at once */
	g_assert_cmpint(parse(&cfg, "--helper-deadline", "0s", NULL), ==, 0);
	g_assert_cmpuint(cfg.helper_deadline_usec, ==, 0);
	g_assert_cmpint(parse(&cfg, "--source", "psi", NULL), ==, 0);
	g_assert_cmpint(cfg.source, ==, OOMN_SOURCE_PSI);
}

static void test_check(void)
{
	KillerConfig cfg;

	g_assert_cmpint(parse(&cfg, "--check", "/x.yaml", NULL), ==, 0);
	g_assert_cmpint(cfg.mode, ==, KILLER_MODE_CHECK);
	g_assert_cmpstr(cfg.rules, ==, "/x.yaml");
	g_assert_true(cfg.rules_explicit);
	g_assert_null(cfg.rules_dir); /* only what is given is checked */
	g_assert_cmpint(parse(&cfg, "--check", "/x.yaml", "--rules-dir", "/d", NULL), ==, 0);
	g_assert_cmpstr(cfg.rules_dir, ==, "/d");
	g_assert_cmpint(parse(&cfg, "--help", NULL), ==, 0);
	g_assert_cmpint(cfg.mode, ==, KILLER_MODE_HELP);
	g_assert_cmpint(parse(&cfg, "-h", NULL), ==, 0);
	g_assert_cmpint(cfg.mode, ==, KILLER_MODE_HELP);
	g_assert_cmpint(parse(&cfg, "--version", NULL), ==, 0);
	g_assert_cmpint(cfg.mode, ==, KILLER_MODE_VERSION);
}

static void test_bad(void)
{
	static const char *const bad[][3] = {
		{ "--bogus" },
		{ "--source", "netlink" },
		{ "--deadline", "10" },
		{ "--deadline", "-1s" },
		{ "--grace", "fast" },
		{ "--helper-deadline", "1" },
		{ "--helper-deadline", "soon" },
		{ "--helper-deadline" },
		{ "--floor", "3" },
		{ "--floor", "51%" },
		{ "--floor", "2.55%" },
		{ "--floor", "%" },
		{ "--hook", "" },
		{ "stray" },
		{ "--rules" },
	};
	KillerConfig cfg;

	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_test_message("%s %s", bad[i][0], bad[i][1] ? bad[i][1] : "");
		g_assert_cmpint(parse(&cfg, bad[i][0], bad[i][1], NULL), ==, -EINVAL);
	}
}

static void test_percent(void)
{
	int p = -1;

	g_assert_cmpint(config_parse_percent("0%", &p), ==, 0);
	g_assert_cmpint(p, ==, 0);
	g_assert_cmpint(config_parse_percent("3%", &p), ==, 0);
	g_assert_cmpint(p, ==, 30);
	g_assert_cmpint(config_parse_percent("50%", &p), ==, 0);
	g_assert_cmpint(p, ==, 500);
	g_assert_cmpint(config_parse_percent("0.5%", &p), ==, 0);
	g_assert_cmpint(p, ==, 5);
	g_assert_cmpint(config_parse_percent("1000000%", &p), ==, -EINVAL);
	g_assert_cmpint(config_parse_percent("3.%", &p), ==, -EINVAL);
	g_assert_cmpint(config_parse_percent("3% ", &p), ==, -EINVAL);
	g_assert_cmpint(p, ==, 5); /* untouched on error */
}

int main(int argc, char *argv[])
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/killer/config/defaults", test_defaults);
	g_test_add_func("/killer/config/all", test_all);
	g_test_add_func("/killer/config/check", test_check);
	g_test_add_func("/killer/config/bad", test_bad);
	g_test_add_func("/killer/config/percent", test_percent);
	return g_test_run();
}
