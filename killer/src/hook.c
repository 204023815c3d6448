/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hook.h"
#include "oomn-macro.h"

extern char **environ;

#define HOOK_N_VARS 9

pid_t hook_run(const char *cmd, const HookInfo *info)
{
	char *vars[HOOK_N_VARS] = {};
	_cleanup_free_ char **envp = NULL;
	char *argv[] = { (char *)"/bin/sh", (char *)"-c", (char *)cmd, NULL };
	posix_spawnattr_t attr;
	size_t n_env = 0, k = 0;
	sigset_t none;
	pid_t pid = -1;
	int r = -ENOMEM;

	if (asprintf(&vars[0], "OOMN_PID=%d", (int)info->pid) < 0)
		vars[0] = NULL;
	if (asprintf(&vars[1], "OOMN_COMM=%s", info->comm ? info->comm : "") < 0)
		vars[1] = NULL;
	if (asprintf(&vars[2], "OOMN_UID=%u", (unsigned)info->uid) < 0)
		vars[2] = NULL;
	if (asprintf(&vars[3], "OOMN_CGROUP=%s", info->cgroup ? info->cgroup : "") < 0)
		vars[3] = NULL;
	if (asprintf(&vars[4], "OOMN_RULE=%s", info->rule ? info->rule : "") < 0)
		vars[4] = NULL;
	if (asprintf(&vars[5], "OOMN_FREED=%" PRIu64, info->freed) < 0)
		vars[5] = NULL;
	if (asprintf(&vars[6], "OOMN_REASON=%s", info->reason ? info->reason : "") < 0)
		vars[6] = NULL;
	/* the first names of OOMN_COMM and OOMN_FREED, kept for older hooks */
	if (asprintf(&vars[7], "OOMN_NAME=%s", info->comm ? info->comm : "") < 0)
		vars[7] = NULL;
	if (asprintf(&vars[8], "OOMN_FREED_BYTES=%" PRIu64, info->freed) < 0)
		vars[8] = NULL;
	for (size_t i = 0; i < HOOK_N_VARS; i++)
		if (!vars[i])
			goto out;

	while (environ && environ[n_env])
		n_env++;
	envp = calloc(n_env + HOOK_N_VARS + 1, sizeof(char *));
	if (!envp)
		goto out;
	for (size_t i = 0; i < n_env; i++)
		if (strncmp(environ[i], "OOMN_", 5) != 0) /* ours win */
			envp[k++] = environ[i];
	for (size_t i = 0; i < HOOK_N_VARS; i++)
		envp[k++] = vars[i];

	/* The daemon blocks signals for sd-event; the hook must not inherit that. */
	sigemptyset(&none);
	r = -posix_spawnattr_init(&attr);
	if (r < 0)
		goto out;
	(void)posix_spawnattr_setsigmask(&attr, &none);
	(void)posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	{
		sigset_t all;

		sigfillset(&all);
		(void)posix_spawnattr_setsigdefault(&attr, &all);
	}
	r = -posix_spawn(&pid, "/bin/sh", NULL, &attr, argv, envp);
	(void)posix_spawnattr_destroy(&attr);
out:
	for (size_t i = 0; i < HOOK_N_VARS; i++)
		free(vars[i]);
	return r < 0 ? r : pid;
}
