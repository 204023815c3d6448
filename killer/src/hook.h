/* SPDX-License-Identifier: GPL-2.0-only */
/* The --hook command, run after each kill and never waited for. */
#pragma once

#include <stdint.h>
#include <sys/types.h>

typedef struct HookInfo {
	pid_t pid;
	const char *comm;
	uid_t uid;
	const char *cgroup;
	const char *rule;
	uint64_t freed; /* bytes */
	const char *reason;
} HookInfo;

/*
 * Starts /bin/sh -c cmd with OOMN_PID, OOMN_COMM, OOMN_UID, OOMN_CGROUP,
 * OOMN_RULE, OOMN_FREED and OOMN_REASON (and OOMN_NAME and OOMN_FREED_BYTES,
 * the first names of OOMN_COMM and OOMN_FREED, for older hooks) added to the
 * environment, the
 * signal mask emptied and the default scheduling policy. Returns the child's
 * pid (the caller reaps it) or -errno.
 */
pid_t hook_run(const char *cmd, const HookInfo *info);
