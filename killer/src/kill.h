/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The kill itself, race-free: the victim is held by a pidfd whose identity is
 * checked against the start time the choice was made on; every signal goes
 * through that pidfd; nothing of the victim's /proc is read after a signal.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

/*
 * Opens a pidfd for pid and checks, through <proc_root>/<pid>/stat read after
 * the open, that it is still the process started at starttime (stat field 22).
 * Returns the pidfd, -ESRCH if it is gone, -ESTALE if the pid was reused.
 */
int kill_open(const char *proc_root, pid_t pid, unsigned long long starttime);

/* pidfd_send_signal(); 0 or -errno (-ESRCH: already gone). */
int kill_signal(int pidfd, int sig);

/* process_mrelease(): 0 or -errno (-ESRCH, -EINVAL: nothing to reap). */
int kill_mrelease(int pidfd);

/* Writes "1" to <cgroup_root>/<cgroup>/cgroup.kill; 0 or -errno. */
int kill_cgroup(const char *cgroup_root, const char *cgroup);

/* Whether the pidfd is readable (the process has exited), without blocking. */
bool kill_exited(int pidfd);
