/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <malloc.h>
#include <inttypes.h>
#include <stdlib.h>
#include <unistd.h>

#include "oomn-log.h"
#include "oomn-fileio.h"
#include "oomn-macro.h"
#include "oomn-resident.h"
#include "selfprotect.h"

static int oomn_selfprotect_score_adj(int adj)
{
	char buf[16];

	(void)snprintf(buf, sizeof(buf), "%d\n", adj);
	return oomn_write_text("/proc/self/oom_score_adj", buf);
}

int oomn_selfprotect(const struct oomn_selfprotect_config *cfg)
{
	int ret = 0, r;

	if (cfg->set_score_adj) {
		r = oomn_selfprotect_score_adj(cfg->score_adj);
		if (r < 0) {
			log_warning_errno(r, "Failed to set oom_score_adj to %d: %m", cfg->score_adj);
			if (ret == 0)
				ret = r;
		} else
			log_info("oom_score_adj set to %d", cfg->score_adj);
	}
	return ret;
}

/*
 * Less than the killer: no walk. The broker's path under pressure (the
 * source's event, the signals, the relay of a notice) runs at every level
 * change from low upwards, before memory is critical; locked on fault, what it
 * ran then stays. A page-in on the way costs a candidate part of its deadline,
 * never a kill: the killer does not wait on the broker (DESIGN invariant 3).
 * Locking it all (MCL_CURRENT alone) kept 6 MiB resident, libsystemd's
 * compression and crypto libraries included, which the broker never runs.
 */
int oomn_selfprotect_settle(const struct oomn_selfprotect_config *cfg)
{
	_cleanup_free_ char *exe = realpath("/proc/self/exe", NULL);
	int dropped, r = 0;

	dropped = oomn_resident_trim(exe);
	(void)malloc_trim(0);
	if (cfg->mlock) {
		r = oomn_resident_lock();
		if (r < 0)
			log_warning_errno(r, "Failed to lock memory, continuing unlocked: %m");
	}
	if (dropped < 0)
		log_warning_errno(dropped, "Failed to read our mappings, nothing dropped: %m");
	log_info("Resident %" PRIu64 " kB%s", oomn_resident_rss_kb(),
		 cfg->mlock && r == 0 ? ", locked on fault" : "");
	return r;
}
