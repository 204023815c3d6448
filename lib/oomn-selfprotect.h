/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The daemons must keep running when memory is short, which is exactly when
 * they are needed: a low OOM score (the killer: never chosen), real-time
 * priority if asked, and once start-up is over only the pages they need,
 * locked on fault (oomn-resident.h). Each daemon passes its own config.
 */
#pragma once

#include <stdbool.h>

struct oomn_selfprotect_config {
	bool set_score_adj;
	int score_adj;	    /* -1000..1000 */
	bool log_score_adj; /* "oom_score_adj set to N" once it is */
	bool realtime;	    /* SCHED_FIFO 1 | SCHED_RESET_ON_FORK (a child does not inherit it) */
	bool mlock;	    /* at settle: mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT), best effort */
};

/*
 * What a daemon runs between the drop of start-up's pages and the lock, so that
 * its path under pressure is resident (the killer's kill path). @run returns
 * what it could not walk, or NULL; @what names the walk in the log line.
 */
struct oomn_selfprotect_walk {
	const char *what;
	const char *(*run)(void *userdata);
	void *userdata;
};

/* At start: the OOM score, then real-time priority. Best effort: each failure
 * is logged, none is fatal. Returns 0, or the first failure as a negative errno
 * for the caller's information. */
int oomn_selfprotect(const struct oomn_selfprotect_config *cfg);

/*
 * Once started: drops the pages only start-up needed and maps our program whole
 * (oomn_resident_trim()), runs @walk if not NULL, trims the heap, and with
 * cfg->mlock locks on fault. Logs what is resident then. 0 or the lock's
 * -errno, logged.
 */
int oomn_selfprotect_settle(const struct oomn_selfprotect_config *cfg,
			    const struct oomn_selfprotect_walk *walk);
