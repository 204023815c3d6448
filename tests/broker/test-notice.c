/* SPDX-License-Identifier: GPL-2.0-only */
/* The broker's KillPending notices (notice.h): the deadlines it takes, the absolute
 * deadline, and who gets one, with a registry built in memory. */
#include <glib.h>
#include <string.h>

#include "notice.h"

#define MS G_GUINT64_CONSTANT(1000)
#define S  (1000 * MS)

static void test_deadline_valid(void)
{
	g_assert_false(notice_deadline_valid(0));
	g_assert_true(notice_deadline_valid(1));
	g_assert_true(notice_deadline_valid(10000));
	g_assert_true(notice_deadline_valid(OOMN_BUS_DEADLINE_MAX_MSEC));
	g_assert_false(notice_deadline_valid(OOMN_BUS_DEADLINE_MAX_MSEC + 1));
	g_assert_false(notice_deadline_valid(UINT32_MAX));
}

static void test_deadline_usec(void)
{
	g_assert_cmpuint(notice_deadline_usec(0, 1), ==, 1 * MS);
	g_assert_cmpuint(notice_deadline_usec(100 * S, 1), ==, 100 * S + 1 * MS);
	g_assert_cmpuint(notice_deadline_usec(100 * S, 10000), ==, 110 * S);
	/* no 32-bit overflow: the longest deadline is an hour of microseconds */
	g_assert_cmpuint(notice_deadline_usec(5 * S, OOMN_BUS_DEADLINE_MAX_MSEC), ==,
			 5 * S + (guint64)OOMN_BUS_DEADLINE_MAX_MSEC * MS);
	g_assert_cmpuint(notice_deadline_usec(0, UINT32_MAX), ==, (guint64)UINT32_MAX * MS);
}

/* Every connection of the candidate's process, nobody else: the entries the notice marks. */
static void test_recipients(void)
{
	_cleanup_(oomn_registry_freep) OomnRegistry *r = NULL;
	uint64_t id[4], got[4];
	struct oomn_client *c;
	size_t n = 0;

	g_assert_cmpint(oomn_registry_new(&r, NULL), ==, 0);
	g_assert_cmpint(oomn_registry_register(r, ":1.1", 100, 1000, "app", 50, 0, &id[0]), ==, 0);
	g_assert_cmpint(oomn_registry_register(r, ":1.2", 200, 1000, "other", 50, 0, &id[1]), ==,
			0);
	g_assert_cmpint(oomn_registry_register(r, ":1.3", 100, 1000, "app", 50, 0, &id[2]), ==, 0);
	/* pid 1000 is not uid 1000 */
	g_assert_cmpint(oomn_registry_register(r, ":1.4", 1000, 100, "pid", 50, 0, &id[3]), ==, 0);

	for (size_t i = 0; (c = oomn_registry_get(r, i)); i++)
		if (notice_is_recipient(c, 100))
			got[n++] = c->id;
	g_assert_cmpuint(n, ==, 2);
	g_assert_cmpuint(got[0], ==, id[0]);
	g_assert_cmpuint(got[1], ==, id[2]);
	g_assert_cmpint(oomn_registry_mark_notice(r, 100, ":1.99", 5 * S), ==, (int)n);
	for (size_t i = 0; (c = oomn_registry_get(r, i)); i++)
		g_assert_true(c->notice_pending == notice_is_recipient(c, 100));

	/* a pid nobody registered: nobody */
	for (size_t i = 0; (c = oomn_registry_get(r, i)); i++)
		g_assert_false(notice_is_recipient(c, 300));
}

int main(int argc, char *argv[])
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/broker/notice/deadline-valid", test_deadline_valid);
	g_test_add_func("/broker/notice/deadline-usec", test_deadline_usec);
	g_test_add_func("/broker/notice/recipients", test_recipients);
	return g_test_run();
}
