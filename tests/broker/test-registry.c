/* SPDX-License-Identifier: GPL-2.0-only */
/* The broker's redemption registry, with data built in memory. */
#include <errno.h>
#include <glib.h>
#include <string.h>

#include "registry.h"

typedef struct {
	OomnRegistry *r;
} Fixture;

static void fixture_setup(Fixture *f, gconstpointer data)
{
	const struct oomn_registry_limits lim = { .max_total = 4, .max_per_uid = 2 };

	g_assert_cmpint(oomn_registry_new(&f->r, &lim), ==, 0);
}

static void fixture_teardown(Fixture *f, gconstpointer data)
{
	f->r = oomn_registry_free(f->r);
	g_assert_null(f->r);
}

static void test_register(Fixture *f, gconstpointer data)
{
	struct oomn_client *c;
	uint64_t id1, id2, id;

	g_assert_cmpint(oomn_registry_register(f->r, ":1.1", 100, 1000, "app", 50,
					       OOMN_CLIENT_CAN_FREE_MEMORY, &id1), ==, 0);
	g_assert_cmpint(oomn_registry_register(f->r, ":1.2", 200, 1001, "other", 0, 0, &id2), ==, 0);
	g_assert_cmpuint(id1, !=, id2);
	g_assert_cmpuint(oomn_registry_count(f->r), ==, 2);

	/* Re-registering updates band and flags, keeps id and identity. */
	g_assert_cmpint(oomn_registry_register(f->r, ":1.1", 999, 0, "evil", 80,
					       OOMN_CLIENT_FLAGS_ALL, &id), ==, 1);
	g_assert_cmpuint(id, ==, id1);
	c = oomn_registry_find_name(f->r, ":1.1");
	g_assert_nonnull(c);
	g_assert_cmpuint(c->pid, ==, 100);
	g_assert_cmpuint(c->uid, ==, 1000);
	g_assert_cmpstr(c->comm, ==, "app");
	g_assert_cmpuint(c->band, ==, 80);
	g_assert_cmpuint(c->flags, ==, OOMN_CLIENT_FLAGS_ALL);
	g_assert_cmpuint(oomn_registry_count(f->r), ==, 2);

	g_assert_true(oomn_registry_get(f->r, 0) == c);
	g_assert_null(oomn_registry_get(f->r, 2));
}

static void test_invalid(Fixture *f, gconstpointer data)
{
	char longname[OOMN_REGISTRY_NAME_MAX + 2];

	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';

	g_assert_cmpint(oomn_registry_register(f->r, ":1.1", 1, 0, "", OOMN_BAND_MAX + 1, 0, NULL),
			==, -EINVAL);
	g_assert_cmpint(oomn_registry_register(f->r, ":1.1", 1, 0, "", 0, 1u << 7, NULL), ==,
			-EINVAL);
	g_assert_cmpint(oomn_registry_register(f->r, "", 1, 0, "", 0, 0, NULL), ==, -EINVAL);
	g_assert_cmpint(oomn_registry_register(f->r, NULL, 1, 0, "", 0, 0, NULL), ==, -EINVAL);
	g_assert_cmpint(oomn_registry_register(f->r, longname, 1, 0, "", 0, 0, NULL), ==, -EINVAL);
	g_assert_cmpuint(oomn_registry_count(f->r), ==, 0);
	g_assert_true(oomn_registry_band_valid(OOMN_BAND_ESSENTIAL));
	g_assert_false(oomn_registry_band_valid(101));
}

static void test_comm_truncated(Fixture *f, gconstpointer data)
{
	g_assert_cmpint(oomn_registry_register(f->r, ":1.1", 1, 0, "a-very-long-process-name", 0, 0,
					       NULL), ==, 0);
	g_assert_cmpuint(strlen(oomn_registry_find_name(f->r, ":1.1")->comm), ==,
			 OOMN_REGISTRY_COMM_MAX);
	g_assert_cmpint(oomn_registry_register(f->r, ":1.2", 2, 0, "bad\xff\n", 0, 0, NULL), ==, 0);
	g_assert_cmpstr(oomn_registry_find_name(f->r, ":1.2")->comm, ==, "bad??");
}

static void test_limits(Fixture *f, gconstpointer data)
{
	g_assert_cmpint(oomn_registry_register(f->r, ":1.1", 1, 1000, "", 0, 0, NULL), ==, 0);
	g_assert_cmpint(oomn_registry_register(f->r, ":1.2", 2, 1000, "", 0, 0, NULL), ==, 0);
	/* A third connection of the same user. */
	g_assert_cmpint(oomn_registry_register(f->r, ":1.3", 3, 1000, "", 0, 0, NULL), ==, -EDQUOT);
	/* An update is not a new registration. */
	g_assert_cmpint(oomn_registry_register(f->r, ":1.2", 2, 1000, "", 10, 0, NULL), ==, 1);
	g_assert_cmpint(oomn_registry_register(f->r, ":1.4", 4, 1001, "", 0, 0, NULL), ==, 0);
	g_assert_cmpint(oomn_registry_register(f->r, ":1.5", 5, 1002, "", 0, 0, NULL), ==, 0);
	/* Full. */
	g_assert_cmpint(oomn_registry_register(f->r, ":1.6", 6, 1003, "", 0, 0, NULL), ==, -ENOSPC);
	g_assert_cmpuint(oomn_registry_count_uid(f->r, 1000), ==, 2);

	/* Room again after one leaves. */
	g_assert_cmpint(oomn_registry_unregister(f->r, ":1.1"), ==, 0);
	g_assert_cmpint(oomn_registry_unregister(f->r, ":1.1"), ==, -ENOENT);
	g_assert_cmpint(oomn_registry_register(f->r, ":1.3", 3, 1000, "", 0, 0, NULL), ==, 0);
}

static void test_disconnect(Fixture *f, gconstpointer data)
{
	g_assert_cmpint(oomn_registry_register(f->r, ":1.1", 1, 0, "", 0, 0, NULL), ==, 0);
	g_assert_cmpint(oomn_registry_register(f->r, ":1.2", 2, 0, "", 0, 0, NULL), ==, 0);
	g_assert_cmpint(oomn_registry_mark_notice(f->r, 1, ":1.9", 12345), ==, 1);

	g_assert_cmpuint(oomn_registry_forget_name(f->r, ":1.2"), ==, 1);
	g_assert_null(oomn_registry_find_name(f->r, ":1.2"));
	g_assert_cmpuint(oomn_registry_forget_name(f->r, ":1.7"), ==, 0);

	/* The killer went away: the notice stays, its notifier is forgotten. */
	g_assert_cmpuint(oomn_registry_forget_name(f->r, ":1.9"), ==, 1);
	g_assert_true(oomn_registry_find_name(f->r, ":1.1")->notice_pending);
	g_assert_null(oomn_registry_find_name(f->r, ":1.1")->notifier);
}

static void test_notice(Fixture *f, gconstpointer data)
{
	char *notifier = NULL;

	g_assert_cmpint(oomn_registry_register(f->r, ":1.1", 42, 1000, "", 0, 0, NULL), ==, 0);
	g_assert_cmpint(oomn_registry_register(f->r, ":1.2", 42, 1000, "", 0, 0, NULL), ==, 0);
	g_assert_cmpint(oomn_registry_register(f->r, ":1.3", 43, 1001, "", 0, 0, NULL), ==, 0);

	g_assert_cmpint(oomn_registry_take_notice(f->r, ":1.1", &notifier), ==, -ESRCH);
	g_assert_cmpint(oomn_registry_take_notice(f->r, ":1.8", &notifier), ==, -ENOENT);

	/* Both connections of pid 42. */
	g_assert_cmpint(oomn_registry_mark_notice(f->r, 42, ":1.9", 777), ==, 2);
	g_assert_cmpint(oomn_registry_mark_notice(f->r, 44, ":1.9", 777), ==, 0);
	g_assert_cmpuint(oomn_registry_find_name(f->r, ":1.2")->deadline_boot_usec, ==, 777);
	g_assert_false(oomn_registry_find_name(f->r, ":1.3")->notice_pending);

	g_assert_cmpint(oomn_registry_take_notice(f->r, ":1.1", &notifier), ==, 0);
	g_assert_cmpstr(notifier, ==, ":1.9");
	g_free(notifier);
	notifier = NULL;
	g_assert_cmpint(oomn_registry_take_notice(f->r, ":1.1", &notifier), ==, -ESRCH);

	/* The outcome ends the rest. */
	g_assert_cmpuint(oomn_registry_clear_notices(f->r, 42), ==, 1);
	g_assert_false(oomn_registry_find_name(f->r, ":1.2")->notice_pending);
	g_assert_cmpuint(oomn_registry_clear_notices(f->r, 42), ==, 0);
	/* An answer still on its way is taken once, without a notifier... */
	g_assert_cmpint(oomn_registry_take_notice(f->r, ":1.2", &notifier), ==, -EALREADY);
	g_assert_null(notifier);
	/* ...and only once. */
	g_assert_cmpint(oomn_registry_take_notice(f->r, ":1.2", &notifier), ==, -ESRCH);
	/* The one that answered in time had nothing ended. */
	g_assert_cmpint(oomn_registry_take_notice(f->r, ":1.1", &notifier), ==, -ESRCH);
}

static void test_defaults(void)
{
	OomnRegistry *r = NULL;

	g_assert_cmpint(oomn_registry_new(&r, NULL), ==, 0);
	for (unsigned i = 0; i < OOMN_REGISTRY_MAX_PER_UID_DEFAULT; i++) {
		char name[32];

		g_snprintf(name, sizeof(name), ":1.%u", i);
		g_assert_cmpint(oomn_registry_register(r, name, i + 1, 7, "", 0, 0, NULL), ==, 0);
	}
	g_assert_cmpint(oomn_registry_register(r, ":2.0", 1, 7, "", 0, 0, NULL), ==, -EDQUOT);
	oomn_registry_free(r);
	g_assert_null(oomn_registry_free(NULL));
}

int main(int argc, char *argv[])
{
	g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) g_test_add(path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
	ADD("/broker/registry/register", test_register);
	ADD("/broker/registry/invalid", test_invalid);
	ADD("/broker/registry/comm-truncated", test_comm_truncated);
	ADD("/broker/registry/limits", test_limits);
	ADD("/broker/registry/disconnect", test_disconnect);
	ADD("/broker/registry/notice", test_notice);
	g_test_add_func("/broker/registry/defaults", test_defaults);
	return g_test_run();
}
