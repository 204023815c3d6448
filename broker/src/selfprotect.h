/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The broker must keep running when memory is short, which is exactly when
 * it is needed: lock its memory and lower its own OOM score.
 */
#pragma once

#include <stdbool.h>

#define OOMN_SELFPROTECT_SCORE_ADJ_DEFAULT (-900)

struct oomn_selfprotect_config {
	bool mlock;	     /* mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT), best effort */
	bool set_score_adj;
	int score_adj;	     /* -1000..1000 */
};

/* At start, the OOM score. Best effort: failures are logged, not fatal.
 * Returns 0, or the first failure as a negative errno for the caller's
 * information. */
int oomn_selfprotect(const struct oomn_selfprotect_config *cfg);

/* Once started: drops the pages only start-up needed, keeps our program whole,
 * and with cfg->mlock locks on fault (oomn-resident.h). 0 or -errno, logged. */
int oomn_selfprotect_settle(const struct oomn_selfprotect_config *cfg);
