/* SPDX-License-Identifier: GPL-2.0-only */
/* Shared by the VM suites: a controllable memory hog, and running commands. */
#pragma once

#include <glib.h>
#include <stdio.h>
#include <sys/types.h>

/* oomn-hog --control ($OOMN_HOG): grows on command, so tests step pressure. */
typedef struct {
	GPid pid;
	FILE *in, *out;
} Hog;

void hog_start(Hog *h);
/* "grow N" / "free N" (MiB); asserts the hog answered ok */
void hog_cmd(Hog *h, const char *cmd);
/* asks it to exit and asserts it did, cleanly */
void hog_stop(Hog *h);

/*
 * Starts `oomn-hog --max 256 --step STEP --hold` already inside the cgroup
 * whose cgroup.procs is @procs (it waits for the move before it execs, so
 * not a page is charged elsewhere); its stdout goes to /dev/null.
 */
pid_t hog_spawn_in_cgroup(const char *procs, const char *step);

/* Runs a shell command line, returns its wait status. */
int vm_run(const char *cmd);
