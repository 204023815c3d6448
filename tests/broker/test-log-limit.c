/* SPDX-License-Identifier: GPL-2.0-only */
/* The broker's limit on log lines that bus clients cause. */
#include <glib.h>
#include <string.h>

#include "log-limit.h"

#define SEC (1000u * 1000u)

static unsigned allowed(LogLimit *l, uint32_t uid, uint64_t now, unsigned n, unsigned *suppressed)
{
	unsigned ok = 0, s;

	for (unsigned i = 0; i < n; i++)
		if (log_limit_allow(l, uid, now, &s)) {
			ok++;
			if (suppressed)
				*suppressed = s;
		}
	return ok;
}

/* One client's flood: a few lines a window, then one saying how many were held back. */
static void test_per_uid(void)
{
	LogLimit l;
	unsigned s = 99;

	memset(&l, 0, sizeof(l));
	g_assert_cmpuint(allowed(&l, 65534, 1 * SEC, 10000, &s), ==, LOG_LIMIT_PER_UID);
	g_assert_cmpuint(s, ==, 0);
	/* another uid is not held back by it */
	g_assert_cmpuint(allowed(&l, 1000, 2 * SEC, 3, NULL), ==, 3);
	/* the next window: the first line tells of the held-back ones */
	g_assert_true(log_limit_allow(&l, 65534, 1 * SEC + LOG_LIMIT_WINDOW_USEC, &s));
	g_assert_cmpuint(s, ==, 10000 - LOG_LIMIT_PER_UID);
	g_assert_true(log_limit_allow(&l, 65534, 1 * SEC + LOG_LIMIT_WINDOW_USEC, &s));
	g_assert_cmpuint(s, ==, 0);
}

/* Many uids (or callers not known yet) together stay within LOG_LIMIT_ALL. */
static void test_all(void)
{
	LogLimit l;
	unsigned ok = 0;

	memset(&l, 0, sizeof(l));
	for (uint32_t uid = 0; uid < 1000; uid++)
		ok += allowed(&l, uid, 5 * SEC, 3, NULL);
	g_assert_cmpuint(ok, ==, LOG_LIMIT_ALL);
	/* a clock that went back counts as a new window, not as a stuck one */
	g_assert_true(log_limit_allow(&l, 7, 1 * SEC, &ok));
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/broker/log-limit/per-uid", test_per_uid);
	g_test_add_func("/broker/log-limit/all", test_all);
	return g_test_run();
}
