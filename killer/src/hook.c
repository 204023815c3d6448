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
	char pid_s[16], uid_s[16], freed_s[24];
	_cleanup_free_ char **envp = NULL;
	char *argv[] = { (char *)"/bin/sh", (char *)"-c", (char *)cmd, NULL };
	posix_spawnattr_t attr;
	size_t n_env = 0, k = 0;
	sigset_t none;
	pid_t pid = -1;
	int r = -ENOMEM;

	(void)snprintf(pid_s, sizeof(pid_s), "%d", (int)info->pid);
	(void)snprintf(uid_s, sizeof(uid_s), "%u", (unsigned)info->uid);
	(void)snprintf(freed_s, sizeof(freed_s), "%" PRIu64, info->freed);
	{
		const struct {
			const char *name, *value; /* NULL: empty */
		} table[HOOK_N_VARS] = {
			{ "OOMN_PID", pid_s },
			{ "OOMN_COMM", info->comm },
			{ "OOMN_UID", uid_s },
			{ "OOMN_CGROUP", info->cgroup },
			{ "OOMN_RULE", info->rule },
			{ "OOMN_FREED", freed_s },
			{ "OOMN_REASON", info->reason },
			/* the first names of OOMN_COMM and OOMN_FREED, kept for older hooks */
			{ "OOMN_NAME", info->comm },
			{ "OOMN_FREED_BYTES", freed_s },
		};

		for (size_t i = 0; i < HOOK_N_VARS; i++)
			if (asprintf(&vars[i], "%s=%s", table[i].name, table[i].value ?: "") < 0) {
				vars[i] = NULL;
				goto out;
			}
	}

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
