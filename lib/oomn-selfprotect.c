/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <inttypes.h>
#include <malloc.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>

#include "oomn-fileio.h"
#include "oomn-log.h"
#include "oomn-macro.h"
#include "oomn-resident.h"
#include "oomn-selfprotect.h"

#ifndef SCHED_RESET_ON_FORK
#define SCHED_RESET_ON_FORK 0x40000000
#endif

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
			ret = ret ?: r;
		} else if (cfg->log_score_adj)
			log_info("oom_score_adj set to %d", cfg->score_adj);
	}

	if (cfg->realtime) {
		struct sched_param sp = { .sched_priority = 1 };

		/* RESET_ON_FORK: the killer's hook command does not inherit real-time priority. */
		if (sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &sp) < 0) {
			r = log_warning_errno(-errno, "Failed to set SCHED_FIFO: %m");
			ret = ret ?: r;
		}
	}
	return ret;
}

/*
 * Why not mlockall(MCL_CURRENT): locking every mapped page kept all of libc,
 * libsystemd and the five libraries libsystemd pulls in resident (6 MiB per
 * daemon), most of which the daemons never run. Locking on fault keeps only
 * what was touched; a walk makes sure that what the path under pressure
 * touches was touched, before the page cache can lose it.
 */
int oomn_selfprotect_settle(const struct oomn_selfprotect_config *cfg,
			    const struct oomn_selfprotect_walk *walk)
{
	_cleanup_free_ char *exe = NULL;
	const char *failed = NULL;
	uint64_t before = oomn_resident_rss_kb();
	int dropped, r = 0;

	exe = realpath("/proc/self/exe", NULL);
	dropped = oomn_resident_trim(exe);
	if (walk)
		failed = walk->run(walk->userdata);
	(void)malloc_trim(0);

	if (cfg->mlock) {
		r = oomn_resident_lock();
		if (r < 0)
			log_warning_errno(r, "Failed to lock memory, continuing unlocked: %m");
	}
	if (dropped < 0)
		log_warning_errno(dropped, "Failed to read our mappings, nothing dropped: %m");
	if (walk)
		log_info("%s walked%s%s; resident %" PRIu64 " kB (%" PRIu64
			 " kB before, %d mappings dropped)%s",
			 walk->what, failed ? ", except " : "", failed ? failed : "",
			 oomn_resident_rss_kb(), before, dropped,
			 cfg->mlock && r == 0 ? ", locked on fault" : "");
	else
		log_info("Resident %" PRIu64 " kB%s", oomn_resident_rss_kb(),
			 cfg->mlock && r == 0 ? ", locked on fault" : "");
	return r;
}
