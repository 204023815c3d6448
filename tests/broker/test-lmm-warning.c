/* SPDX-License-Identifier: GPL-2.0-only */
/* LowMemoryWarning's mapping and its rate limit (lmm-warning.h), on a clock of the test's. */
#include <glib.h>
#include <string.h>

#include "lmm-warning.h"

#define S G_GUINT64_CONSTANT(1000000)

static void test_byte(void)
{
	g_assert_cmpuint(lmm_level_byte(OOM_NOTIFY_LEVEL_NORMAL), ==, 0);
	g_assert_cmpuint(lmm_level_byte(OOM_NOTIFY_LEVEL_LOW), ==, 50);
	g_assert_cmpuint(lmm_level_byte(OOM_NOTIFY_LEVEL_MEDIUM), ==, 100);
	g_assert_cmpuint(lmm_level_byte(OOM_NOTIFY_LEVEL_CRITICAL), ==, 255);
	g_assert_cmpuint(lmm_level_byte((enum oom_notify_level)17), ==, 0);
}

/* Once per level per 15 s; the levels apart; normal never. */
static void test_rate_limit(void)
{
	LmmWarnings w;

	memset(&w, 0, sizeof(w));
	g_assert_cmpuint(LMM_RECOVERY_USEC, ==, 15 * S);
	g_assert_cmpuint(lmm_warning_due(&w, OOM_NOTIFY_LEVEL_NORMAL, 100 * S), ==, 0);
	g_assert_cmpuint(lmm_warning_due(&w, OOM_NOTIFY_LEVEL_LOW, 100 * S), ==, 50);
	/* not sent (the bus failed): still due */
	g_assert_cmpuint(lmm_warning_due(&w, OOM_NOTIFY_LEVEL_LOW, 101 * S), ==, 50);
	lmm_warning_sent(&w, OOM_NOTIFY_LEVEL_LOW, 101 * S);
	g_assert_cmpuint(lmm_warning_due(&w, OOM_NOTIFY_LEVEL_LOW, 101 * S), ==, 0);
	g_assert_cmpuint(lmm_warning_due(&w, OOM_NOTIFY_LEVEL_LOW, 116 * S - 1), ==, 0);
	g_assert_cmpuint(lmm_warning_due(&w, OOM_NOTIFY_LEVEL_LOW, 116 * S), ==, 50);
	/* another level is not held back by it */
	g_assert_cmpuint(lmm_warning_due(&w, OOM_NOTIFY_LEVEL_MEDIUM, 102 * S), ==, 100);
	lmm_warning_sent(&w, OOM_NOTIFY_LEVEL_MEDIUM, 102 * S);
	g_assert_cmpuint(lmm_warning_due(&w, OOM_NOTIFY_LEVEL_CRITICAL, 103 * S), ==, 255);
	lmm_warning_sent(&w, OOM_NOTIFY_LEVEL_CRITICAL, 103 * S);
	g_assert_cmpuint(lmm_warning_due(&w, OOM_NOTIFY_LEVEL_MEDIUM, 110 * S), ==, 0);
	g_assert_cmpuint(lmm_warning_due(&w, OOM_NOTIFY_LEVEL_CRITICAL, 110 * S), ==, 0);
	g_assert_cmpuint(lmm_warning_due(&w, OOM_NOTIFY_LEVEL_CRITICAL, 118 * S), ==, 255);
	/* a normal level records nothing */
	lmm_warning_sent(&w, OOM_NOTIFY_LEVEL_NORMAL, 120 * S);
	g_assert_cmpuint(w.last_usec[OOM_NOTIFY_LEVEL_NORMAL], ==, 0);
}

int main(int argc, char *argv[])
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/broker/lmm-warning/byte", test_byte);
	g_test_add_func("/broker/lmm-warning/rate-limit", test_rate_limit);
	return g_test_run();
}
