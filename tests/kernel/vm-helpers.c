/* SPDX-License-Identifier: GPL-2.0-only */
#include <sys/types.h>
#include <sys/wait.h>

#include "vm-helpers.h"

void hog_start(Hog *h)
{
	const char *hog = g_getenv("OOMN_HOG");
	char *argv[] = { (char *)hog, "--control", NULL };
	int in_fd, out_fd;
	char line[64];
	GError *err = NULL;

	g_assert_nonnull(hog);
	g_assert_true(g_spawn_async_with_pipes(NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
					       &h->pid, &in_fd, &out_fd, NULL, &err));
	g_assert_no_error(err);
	h->in = fdopen(in_fd, "w");
	h->out = fdopen(out_fd, "r");
	g_assert_nonnull(fgets(line, sizeof(line), h->out));
	g_assert_true(g_str_has_prefix(line, "ready"));
}

void hog_cmd(Hog *h, const char *cmd)
{
	char line[64];

	fprintf(h->in, "%s\n", cmd);
	fflush(h->in);
	g_assert_nonnull(fgets(line, sizeof(line), h->out));
	g_assert_true(g_str_has_prefix(line, "ok"));
}

void hog_stop(Hog *h)
{
	int status;

	fprintf(h->in, "exit\n");
	fclose(h->in);
	fclose(h->out);
	g_assert_cmpint(waitpid(h->pid, &status, 0), ==, h->pid);
	g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

int vm_run(const char *cmd)
{
	int status = -1;

	g_assert_true(g_spawn_command_line_sync(cmd, NULL, NULL, &status, NULL));
	return status;
}
