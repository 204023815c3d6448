/* SPDX-License-Identifier: GPL-2.0-only */
/* Shared by the VM suites: a controllable memory hog, and running commands. */
#pragma once

#include <glib.h>
#include <stdio.h>

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

/* Runs a shell command line, returns its wait status. */
int vm_run(const char *cmd);
