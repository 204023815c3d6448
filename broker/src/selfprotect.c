/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "log.h"
#include "oomn-fileio.h"
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

	if (cfg->mlock) {
		/* MCL_FUTURE: the event path then never page-faults on its heap. */
		if (mlockall(MCL_CURRENT | MCL_FUTURE) < 0) {
			ret = -errno;
			log_warning_errno(ret, "Failed to lock memory, continuing unlocked: %m");
		} else
			log_info("Memory locked (mlockall)");
	}

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
