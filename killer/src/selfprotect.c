/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <unistd.h>

#include "oomn-log.h"
#include "oomn-fileio.h"
#include "selfprotect.h"

#ifndef SCHED_RESET_ON_FORK
#define SCHED_RESET_ON_FORK 0x40000000
#endif

static int killer_set_score_adj(int adj)
{
	char buf[16];

	(void)snprintf(buf, sizeof(buf), "%d\n", adj);
	return oomn_write_text("/proc/self/oom_score_adj", buf);
}

int killer_selfprotect(bool realtime)
{
	int ret = 0, r;

	r = killer_set_score_adj(KILLER_SCORE_ADJ);
	if (r < 0) {
		log_warning_errno(r, "Failed to set oom_score_adj to %d: %m", KILLER_SCORE_ADJ);
		ret = ret ?: r;
	}

	if (realtime) {
		struct sched_param sp = { .sched_priority = 1 };

		/* RESET_ON_FORK: the hook command does not inherit real-time priority. */
		if (sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &sp) < 0) {
			r = log_warning_errno(-errno, "Failed to set SCHED_FIFO: %m");
			ret = ret ?: r;
		}
	}
	return ret;
}
