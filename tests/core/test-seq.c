/* SPDX-License-Identifier: GPL-2.0-only */
#include <glib.h>

#include "oomn-seq.h"

static void test_unprimed(void)
{
	struct oomn_seq s = {};
	uint64_t expected = 42;

	/* Whatever comes first is taken as it is. */
	g_assert_cmpint(oomn_seq_check(&s, 7, &expected), ==, OOMN_SEQ_FIRST);
	g_assert_cmpuint(expected, ==, 0);
	g_assert_false(s.primed);
	oomn_seq_advance(&s, 7);
	g_assert_true(s.primed);
	g_assert_cmpuint(s.last, ==, 7);
	g_assert_cmpint(oomn_seq_check(&s, 8, &expected), ==, OOMN_SEQ_NEXT);
	g_assert_cmpuint(expected, ==, 8);
}

static void test_in_order_and_gaps(void)
{
	struct oomn_seq s = {};
	uint64_t expected;

	/* GET_STATE before any event: PRESSURE_SEQ 0, so 1 is due. */
	oomn_seq_prime(&s, 0);
	g_assert_cmpint(oomn_seq_check(&s, 1, &expected), ==, OOMN_SEQ_NEXT);
	g_assert_cmpuint(expected, ==, 1);
	oomn_seq_advance(&s, 1);

	g_assert_cmpint(oomn_seq_check(&s, 2, NULL), ==, OOMN_SEQ_NEXT);
	oomn_seq_advance(&s, 2);

	/* 3 and 4 lost. */
	g_assert_cmpint(oomn_seq_check(&s, 5, &expected), ==, OOMN_SEQ_GAP);
	g_assert_cmpuint(expected, ==, 3);
	/* check() alone changes nothing. */
	g_assert_cmpuint(s.last, ==, 2);
	oomn_seq_advance(&s, 5);
	g_assert_cmpuint(s.last, ==, 5);
	g_assert_cmpint(oomn_seq_check(&s, 6, &expected), ==, OOMN_SEQ_NEXT);
	g_assert_cmpuint(expected, ==, 6);
}

static void test_stale(void)
{
	struct oomn_seq s = {};
	uint64_t expected;

	/* The state (PRESSURE_SEQ 10) was read while events 9 and 10 were queued. */
	oomn_seq_prime(&s, 10);
	g_assert_cmpint(oomn_seq_check(&s, 9, &expected), ==, OOMN_SEQ_STALE);
	g_assert_cmpuint(expected, ==, 11);
	g_assert_cmpint(oomn_seq_check(&s, 10, NULL), ==, OOMN_SEQ_STALE);
	/* advance() never goes back. */
	oomn_seq_advance(&s, 9);
	g_assert_cmpuint(s.last, ==, 10);
	g_assert_cmpint(oomn_seq_check(&s, 11, NULL), ==, OOMN_SEQ_NEXT);
}

static void test_reprime_and_reset(void)
{
	struct oomn_seq s = {};
	uint64_t expected;

	oomn_seq_prime(&s, 100);
	/* The module was reloaded: it counts from 1 again. A re-read state
	 * moves the base back; a reset forgets it. */
	oomn_seq_prime(&s, 3);
	g_assert_cmpint(oomn_seq_check(&s, 4, NULL), ==, OOMN_SEQ_NEXT);
	oomn_seq_reset(&s);
	g_assert_false(s.primed);
	g_assert_cmpuint(s.last, ==, 0);
	g_assert_cmpint(oomn_seq_check(&s, 1, &expected), ==, OOMN_SEQ_FIRST);
	g_assert_cmpuint(expected, ==, 0);

	/* The edge of the range. */
	oomn_seq_prime(&s, G_MAXUINT64 - 1);
	g_assert_cmpint(oomn_seq_check(&s, G_MAXUINT64, NULL), ==, OOMN_SEQ_NEXT);
	g_assert_cmpint(oomn_seq_check(&s, 0, NULL), ==, OOMN_SEQ_STALE);
}

static void test_names(void)
{
	g_assert_cmpstr(oomn_seq_verdict_to_string(OOMN_SEQ_FIRST), ==, "first");
	g_assert_cmpstr(oomn_seq_verdict_to_string(OOMN_SEQ_NEXT), ==, "next");
	g_assert_cmpstr(oomn_seq_verdict_to_string(OOMN_SEQ_GAP), ==, "gap");
	g_assert_cmpstr(oomn_seq_verdict_to_string(OOMN_SEQ_STALE), ==, "stale");
	g_assert_cmpstr(oomn_seq_verdict_to_string((enum oomn_seq_verdict)99), ==, "unknown");
}

int main(int argc, char *argv[])
{
	g_test_init(&argc, &argv, NULL);

	g_test_add_func("/core/seq/unprimed", test_unprimed);
	g_test_add_func("/core/seq/gap", test_in_order_and_gaps);
	g_test_add_func("/core/seq/stale", test_stale);
	g_test_add_func("/core/seq/reset", test_reprime_and_reset);
	g_test_add_func("/core/seq/names", test_names);

	return g_test_run();
}
