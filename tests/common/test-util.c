/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test-util.h"

void test_child_die_with_parent(gpointer sig)
{
	(void)prctl(PR_SET_PDEATHSIG, sig ? GPOINTER_TO_INT(sig) : SIGTERM);
}

gboolean test_child_alive(GPid pid)
{
	siginfo_t si = { 0 };

	/* WNOWAIT: look without reaping */
	g_assert_cmpint(waitid(P_PID, pid, &si, WEXITED | WNOHANG | WNOWAIT), ==, 0);
	return si.si_pid == 0;
}

int test_wait_exit(GPid pid)
{
	int status;

	g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
	g_spawn_close_pid(pid);
	return status;
}

char *test_make_tmpdir(const char *tmpl)
{
	g_autoptr(GError) error = NULL;
	char *dir = g_dir_make_tmp(tmpl, &error);

	g_assert_no_error(error);
	g_assert_cmpint(g_chmod(dir, 0755), ==, 0);
	return dir;
}

void test_write_file(const char *path, const char *text)
{
	g_autoptr(GError) error = NULL;

	g_file_set_contents(path, text, -1, &error);
	g_assert_no_error(error);
}

void test_write_meminfo(const char *proc, unsigned avail_kb)
{
	g_autofree char *path = g_build_filename(proc, "meminfo", NULL);
	g_autofree char *tmp = g_strconcat(path, ".tmp", NULL);
	g_autofree char *text = g_strdup_printf("MemTotal:       1000000 kB\n"
						"MemFree:         %u kB\n"
						"MemAvailable:    %u kB\n"
						"SwapTotal:             0 kB\n"
						"SwapFree:              0 kB\n",
						avail_kb / 2, avail_kb);

	/* atomically: the broker never reads half a file */
	test_write_file(tmp, text);
	g_assert_cmpint(g_rename(tmp, path), ==, 0);
}

void test_log_replay(const char *who, const char *path)
{
	g_autofree char *log = NULL;

	if (path && g_file_get_contents(path, &log, NULL, NULL) && *log)
		g_test_message("%s log:\n%s", who, log);
}

void test_rm_tree(const char *dir)
{
	g_autofree char *cmd = NULL;

	if (!dir)
		return;
	cmd = g_strdup_printf("rm -rf '%s'", dir);
	(void)system(cmd);
}

static gboolean on_log(gint fd, GIOCondition cond, gpointer data)
{
	TestLogStream *ls = data;
	char buf[4096];
	ssize_t n = read(fd, buf, sizeof(buf));

	if (n < 0 && errno == EAGAIN)
		return G_SOURCE_CONTINUE;
	for (ssize_t i = 0; i < n; i++) {
		if (buf[i] != '\n') {
			g_string_append_c(ls->partial, buf[i]);
			continue;
		}
		g_test_message("%s: %s", ls->who, ls->partial->str);
		g_ptr_array_add(ls->lines, g_string_free(ls->partial, FALSE));
		ls->partial = g_string_new(NULL);
	}
	if (n > 0)
		return G_SOURCE_CONTINUE;
	ls->watch = 0;
	return G_SOURCE_REMOVE;
}

GPid test_spawn_logged(char **argv, TestLogStream *ls, const char *who)
{
	GError *error = NULL;
	GPid pid;

	g_assert_true(g_spawn_async_with_pipes(
		NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL,
		test_child_die_with_parent, GINT_TO_POINTER(SIGKILL), &pid, NULL, NULL, &ls->fd,
		&error));
	g_assert_no_error(error);
	ls->who = who;
	ls->partial = g_string_new(NULL);
	ls->lines = g_ptr_array_new_with_free_func(g_free);
	g_assert_true(g_unix_set_fd_nonblocking(ls->fd, TRUE, NULL));
	ls->watch = g_unix_fd_add(ls->fd, G_IO_IN | G_IO_HUP | G_IO_ERR, on_log, ls);
	return pid;
}

const char *test_log_stream_wait(TestLogStream *ls, const char *prefix, guint *from, unsigned ms,
				 GPid alive)
{
	gint64 end = g_get_monotonic_time() + (gint64)ms * 1000;

	for (;;) {
		for (; *from < ls->lines->len; (*from)++) {
			const char *l = g_ptr_array_index(ls->lines, *from);

			if (g_str_has_prefix(l, prefix))
				return l;
		}
		if (g_get_monotonic_time() >= end)
			return NULL;
		/* it must not have died meanwhile */
		if (alive > 0)
			g_assert_true(test_child_alive(alive));
		g_main_context_iteration(NULL, FALSE);
		g_usleep(5000);
	}
}

void test_log_stream_done(TestLogStream *ls)
{
	if (!ls->lines)
		return;
	while (ls->watch)
		g_main_context_iteration(NULL, TRUE);
	close(ls->fd);
	g_ptr_array_unref(ls->lines);
	g_string_free(ls->partial, TRUE);
	ls->lines = NULL;
	ls->partial = NULL;
}
