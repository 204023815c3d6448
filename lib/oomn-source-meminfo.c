/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The meminfo kind, where the kernel refuses PSI triggers: /proc/meminfo
 * read on the poll timer alone (oomn-source-poll.c), on its own schedule
 * (factors 1), and the configured cgroups' memory.events watched
 * (oomn-source-cgroup.c, no triggers). Exports only its ops.
 */
#include "oomn-source-internal.h"

static int oomn_source_meminfo_start(OomnSource *s, char **ret_why)
{
	(void)oomn_source_cgroups_start(s, false);
	return 0;
}

const struct oomn_source_ops oomn_source_meminfo_ops = {
	.kind = OOMN_SOURCE_MEMINFO,
	.start = oomn_source_meminfo_start,
	.stop = oomn_source_cgroups_stop,
	.refresh = oomn_source_evaluate,
	.timer_min_factor = 1,
	.timer_max_factor = 1,
};
