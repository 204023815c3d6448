/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The psi kind: PSI triggers on <proc_root>/pressure/memory wake it
 * (EPOLLPRI) when tasks stall on memory; the level itself is then computed
 * from /proc/meminfo on the module's scale (oomn-source-poll.c, whose timer
 * runs on a slower schedule here: it only sees recovery and drift). The
 * configured cgroups get memory.pressure triggers (oomn-source-cgroup.c).
 * Exports only its ops.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oomn-source-internal.h"

static int oomn_source_on_psi(sd_event_source *es, int fd, uint32_t revents, void *userdata)
{
	OomnSource *s = userdata;

	if (revents & EPOLLERR) {
		/* a trigger fd only errs when its file goes away */
		oomn_source_warn(s,
				 "PSI trigger on %s/pressure/memory failed; relying on the timer",
				 s->proc_root);
		(void)sd_event_source_set_enabled(es, SD_EVENT_OFF);
		return 0;
	}
	s->stats.psi_events++;
	(void)oomn_source_evaluate(s, false, OOM_NOTIFY_CAUSE_RECLAIM);
	return 0;
}

static void oomn_source_psi_triggers_stop(OomnSource *s)
{
	for (int i = 0; i < 2; i++) {
		s->psi_io[i] = sd_event_source_disable_unref(s->psi_io[i]);
		closep(&s->psi_fd[i]);
		s->psi_fd[i] = -EBADF;
	}
}

static int oomn_source_psi_start(OomnSource *s, char **ret_why)
{
	_cleanup_free_ char *path = NULL;
	int r;

	*ret_why = NULL;
	if (asprintf(&path, "%s/pressure/memory", s->proc_root) < 0)
		return -ENOMEM;

	for (int i = 0; i < 2; i++) {
		s->psi_fd[i] = oomn_source_psi_trigger_open(path, i == 1, ret_why);
		if (s->psi_fd[i] < 0) {
			r = s->psi_fd[i];
			goto fail;
		}
		r = sd_event_add_io(s->event, &s->psi_io[i], s->psi_fd[i], EPOLLPRI,
				    oomn_source_on_psi, s);
		if (r < 0) {
			/* e.g. EPERM: a plain file, not the kernel's */
			if (asprintf(ret_why, "cannot watch %s for PSI events: %s", path,
				     strerror(-r)) < 0)
				*ret_why = NULL;
			goto fail;
		}
		(void)sd_event_source_set_description(s->psi_io[i],
						      i ? "oomn-psi-full" : "oomn-psi-some");
	}
	(void)oomn_source_cgroups_start(s, true);
	return 0;

fail:
	oomn_source_psi_triggers_stop(s);
	return r;
}

static void oomn_source_psi_stop(OomnSource *s)
{
	oomn_source_psi_triggers_stop(s);
	oomn_source_cgroups_stop(s);
}

const struct oomn_source_ops oomn_source_psi_ops = {
	.kind = OOMN_SOURCE_PSI,
	.start = oomn_source_psi_start,
	.stop = oomn_source_psi_stop,
	.refresh = oomn_source_evaluate,
	.timer_min_factor = OOMN_PSI_TIMER_MIN_FACTOR,
	.timer_max_factor = OOMN_PSI_TIMER_MAX_FACTOR,
};
