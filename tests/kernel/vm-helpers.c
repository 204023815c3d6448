/* SPDX-License-Identifier: GPL-2.0-only */
#include <fcntl.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>
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

pid_t hog_spawn_in_cgroup(const char *procs, const char *step)
{
	const char *hog = g_getenv("OOMN_HOG");
	g_autofree char *s = NULL;
	int sync_pipe[2], fd;
	pid_t pid;
	char c;

	g_assert_nonnull(hog);
	g_assert_cmpint(pipe(sync_pipe), ==, 0);
	pid = fork();
	g_assert_cmpint(pid, >=, 0);
	if (pid == 0) {
		/* wait until the parent moved us into the cgroup */
		close(sync_pipe[1]);
		if (read(sync_pipe[0], &c, 1) != 1)
			_exit(97);
		/* keep the TAP stream clean */
		if (!freopen("/dev/null", "w", stdout))
			_exit(95);
		execl(hog, hog, "--max", "256", "--step", step, "--hold", NULL);
		_exit(96);
	}
	close(sync_pipe[0]);
	/* cgroupfs wants one write() */
	s = g_strdup_printf("%d", (int)pid);
	fd = open(procs, O_WRONLY);
	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpint(write(fd, s, strlen(s)), ==, (ssize_t)strlen(s));
	close(fd);
	g_assert_cmpint(write(sync_pipe[1], "x", 1), ==, 1);
	close(sync_pipe[1]);
	return pid;
}

int vm_run(const char *cmd)
{
	int status = -1;

	g_assert_true(g_spawn_command_line_sync(cmd, NULL, NULL, &status, NULL));
	return status;
}
