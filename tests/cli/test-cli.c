/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The oom-notify binary on its own: usage, and --kernel on a machine without
 * the module (this host's kernel cannot load it): documented exit codes and
 * clear messages. Against the broker: test-cli-bus.c.
 */
#include <glib.h>
#include <sys/wait.h>

static int run(const char *args, char **out, char **err)
{
	g_autofree char *cmd = g_strdup_printf("%s %s", g_getenv("OOMN_CLI"), args);
	int status = -1;

	g_assert_true(g_spawn_command_line_sync(cmd, out, err, &status, NULL));
	g_assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void test_help(void)
{
	g_autofree char *out = NULL, *err = NULL;

	g_assert_cmpint(run("--help", &out, &err), ==, 0);
	g_assert_nonnull(strstr(out, "Usage: oom-notify"));
	g_assert_nonnull(strstr(out, "Exit status"));
	g_assert_nonnull(strstr(out, "--bus-address"));
	g_assert_nonnull(strstr(out, "--kernel"));
}

static void test_version(void)
{
	g_autofree char *out = NULL, *err = NULL;

	g_assert_cmpint(run("--version", &out, &err), ==, 0);
	g_assert_true(g_str_has_prefix(out, "oom-notify "));
}

static void test_usage_errors(void)
{
	g_autofree char *o1 = NULL, *e1 = NULL, *o2 = NULL, *e2 = NULL, *o3 = NULL, *e3 = NULL;
	g_autofree char *o4 = NULL, *e4 = NULL;

	g_assert_cmpint(run("--bogus status", &o1, &e1), ==, 2);
	g_assert_cmpint(run("frobnicate", &o2, &e2), ==, 2);
	g_assert_nonnull(strstr(e2, "unknown command 'frobnicate'"));
	g_assert_cmpint(run("--min-level extreme watch", &o3, &e3), ==, 2);
	g_assert_nonnull(strstr(e3, "unknown level 'extreme'"));
	g_assert_cmpint(run("", &o4, &e4), ==, 2);
}

static void test_events_usage(void)
{
	g_autofree char *o1 = NULL, *e1 = NULL, *o2 = NULL, *e2 = NULL, *o3 = NULL, *e3 = NULL;

	g_assert_cmpint(run("--events pressure,bogus watch", &o1, &e1), ==, 2);
	g_assert_nonnull(strstr(e1, "--events takes a list of pressure, oom, kill"));
	g_assert_cmpint(run("--events , watch", &o2, &e2), ==, 2);
	/* the killer's events are on the bus only */
	g_assert_cmpint(run("--kernel --events kill watch", &o3, &e3), ==, 2);
	g_assert_nonnull(strstr(e3, "from the broker"));
	g_assert_cmpstr(o3, ==, "");
}

static void test_no_module(void)
{
	g_autofree char *o1 = NULL, *e1 = NULL, *o2 = NULL, *e2 = NULL;

	if (g_file_test("/sys/module/oom_notify", G_FILE_TEST_EXISTS)) {
		g_test_skip("the module is loaded here");
		return;
	}
	g_assert_cmpint(run("--kernel status", &o1, &e1), ==, 69);
	g_assert_nonnull(strstr(e1, "module is not loaded"));
	g_assert_cmpint(run("--kernel --json watch", &o2, &e2), ==, 69);
	g_assert_cmpstr(o2, ==, "");
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_assert_nonnull(g_getenv("OOMN_CLI"));
	g_test_add_func("/cli/help", test_help);
	g_test_add_func("/cli/version", test_version);
	g_test_add_func("/cli/usage-errors", test_usage_errors);
	g_test_add_func("/cli/events-usage", test_events_usage);
	g_test_add_func("/cli/no-module", test_no_module);
	return g_test_run();
}
