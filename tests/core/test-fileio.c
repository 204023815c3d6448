/* SPDX-License-Identifier: GPL-2.0-only */
/* oomn_read_text() and oomn_write_text() on real files in a temporary directory. */
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "oomn-fileio.h"

typedef struct {
	char *dir;
} Fixture;

static void setup(Fixture *f, gconstpointer data)
{
	f->dir = g_dir_make_tmp("oomn-fileio-XXXXXX", NULL);
	g_assert_nonnull(f->dir);
}

static void teardown(Fixture *f, gconstpointer data)
{
	g_autoptr(GDir) d = g_dir_open(f->dir, 0, NULL);
	const char *name;

	while (d && (name = g_dir_read_name(d))) {
		g_autofree char *p = g_build_filename(f->dir, name, NULL);

		g_unlink(p);
	}
	g_rmdir(f->dir);
	g_free(f->dir);
}

static char *put(Fixture *f, const char *name, const char *data, gssize len)
{
	char *p = g_build_filename(f->dir, name, NULL);

	g_assert_true(g_file_set_contents(p, data, len, NULL));
	return p;
}

static void test_read(Fixture *f, gconstpointer data)
{
	g_autofree char *ok = put(f, "ok", "some 42\n", -1);
	g_autofree char *nul = put(f, "nul", "a\0b", 3);
	g_autofree char *big = put(f, "big", "0123456789", -1);
	g_autofree char *missing = g_build_filename(f->dir, "missing", NULL);
	char buf[11];

	g_assert_cmpint(oomn_read_text(ok, buf, sizeof(buf)), ==, 0);
	g_assert_cmpstr(buf, ==, "some 42\n");
	g_assert_cmpint(oomn_read_text(nul, buf, sizeof(buf)), ==, -EBADMSG);
	/* Filling size - 1 bytes cannot be told from a truncated file. */
	g_assert_cmpint(oomn_read_text(big, buf, sizeof(buf)), ==, -EFBIG);
	g_assert_cmpint(oomn_read_text(missing, buf, sizeof(buf)), ==, -ENOENT);
	g_assert_cmpint(oomn_read_text(ok, buf, 1), ==, -EINVAL);
}

static void test_write(Fixture *f, gconstpointer data)
{
	g_autofree char *p = put(f, "score", "0\n", -1);
	g_autofree char *missing = g_build_filename(f->dir, "missing", NULL);
	g_autofree char *text = NULL;

	g_assert_cmpint(oomn_write_text(p, "-900\n"), ==, 0);
	g_assert_true(g_file_get_contents(p, &text, NULL, NULL));
	g_assert_cmpstr(text, ==, "-900\n");
	/* Never created: a knob that is not there is an error, not a new file. */
	g_assert_cmpint(oomn_write_text(missing, "1"), ==, -ENOENT);
	g_assert_false(g_file_test(missing, G_FILE_TEST_EXISTS));
	/* A device that refuses the write reports why. */
	g_assert_cmpint(oomn_write_text("/dev/full", "1"), ==, -ENOSPC);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add("/fileio/read", Fixture, NULL, setup, test_read, teardown);
	g_test_add("/fileio/write", Fixture, NULL, setup, test_write, teardown);
	return g_test_run();
}
