/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The OomnSource object: picks kernel, psi or meminfo in that order (or the
 * one forced), falls back when the module goes away and returns to it when
 * it comes back. The kinds live in oomn-source-{kernel,psi,meminfo}.c and
 * are reached only through their ops (oomn-source-internal.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "oomn-source-internal.h"

static const struct oomn_source_ops *const oomn_source_kinds[] = {
	[OOMN_SOURCE_KERNEL] = &oomn_source_kernel_ops,
	[OOMN_SOURCE_PSI] = &oomn_source_psi_ops,
	[OOMN_SOURCE_MEMINFO] = &oomn_source_meminfo_ops,
};

/* s->kind and s->ops together; NONE has no ops. */
static void oomn_source_use(OomnSource *s, enum oomn_source_kind kind)
{
	s->kind = kind;
	s->ops = (unsigned)kind < ELEMENTSOF(oomn_source_kinds) ? oomn_source_kinds[kind] : NULL;
}

static void oomn_source_swap_warn(const char *what, void *userdata)
{
	oomn_source_warn(userdata, "%s", what);
}

void oomn_source_set_kind(OomnSource *s, enum oomn_source_kind kind, const char *why)
{
	char *w = strdup(why ?: "");

	if (w) {
		free(s->why);
		s->why = w;
	}
	oomn_source_use(s, kind);
	s->current.source = kind;
	/* the deferred first announcement will say it */
	if (s->announce)
		return;
	if (s->handlers.on_source)
		s->handlers.on_source(kind, s->why, s->userdata);
}

static int oomn_source_announce(sd_event_source *es, void *userdata)
{
	OomnSource *s = userdata;

	s->announce = sd_event_source_disable_unref(s->announce);
	if (s->handlers.on_source)
		s->handlers.on_source(s->kind, s->why, s->userdata);
	return 0;
}

void oomn_source_fallback_stop(OomnSource *s)
{
	oomn_source_timer_stop(s);
	oomn_source_psi_ops.stop(s);
	oomn_source_meminfo_ops.stop(s);
}

int oomn_source_fallback_start(OomnSource *s, const char *why_prefix, bool notify)
{
	_cleanup_free_ char *psi_why = NULL, *why = NULL;
	enum oomn_source_kind kind = OOMN_SOURCE_PSI;
	int r;

	r = oomn_source_psi_ops.start(s, &psi_why);
	if (r < 0) {
		kind = OOMN_SOURCE_MEMINFO;
		if (asprintf(&why, "%s%s%s; polling meminfo", why_prefix ?: "",
			     why_prefix ? "; " : "", psi_why ?: "PSI unavailable") < 0)
			why = NULL;
		(void)oomn_source_meminfo_ops.start(s, NULL);
	} else if (asprintf(&why, "%s%sPSI triggers armed", why_prefix ?: "",
			    why_prefix ? "; " : "") < 0) {
		why = NULL;
	}

	oomn_source_use(s, kind);
	s->current.source = kind;
	/* the first reading: silent when starting up, a resync on a switch */
	if (notify)
		oomn_source_set_kind(s, kind, why ?: "fallback");
	else {
		free(s->why);
		s->why = TAKE_PTR(why);
	}
	r = s->ops->refresh(s, notify, OOM_NOTIFY_CAUSE_UNSPEC);
	if (r < 0 && !notify) {
		oomn_source_fallback_stop(s);
		return r;
	}
	return kind;
}

static int oomn_source_start(OomnSource *s)
{
	_cleanup_free_ char *why = NULL;
	int r;

	switch (s->force) {
	case OOMN_SOURCE_NONE:
	case OOMN_SOURCE_KERNEL:
		r = oomn_source_kernel_ops.open(s, &why);
		if (r > 0) {
			oomn_source_use(s, OOMN_SOURCE_KERNEL);
			free(s->why);
			s->why = strdup(s->force ? "forced; oom_notify module loaded"
						 : "oom_notify module loaded");
			return 0;
		}
		if (s->force == OOMN_SOURCE_KERNEL) {
			if (r == 0)
				r = -ENOENT;
			oomn_source_warn(s, "kernel source forced but unavailable: %s",
					 why ?: "oom_notify module not loaded");
			return r;
		}
		/* without the module (r == 0) the genl client stays open to
		 * notice it being loaded; without netlink at all it is gone */
		r = oomn_source_fallback_start(s, why ?: "oom_notify module not loaded", false);
		if (r < 0)
			oomn_source_warn(s, "no event source works: cannot read meminfo: %s",
					 strerror(-r));
		return r < 0 ? r : 0;

	case OOMN_SOURCE_PSI:
		r = oomn_source_psi_ops.start(s, &why);
		if (r < 0) {
			oomn_source_warn(s, "psi source forced but unavailable: %s",
					 why ?: strerror(-r));
			return r;
		}
		oomn_source_use(s, OOMN_SOURCE_PSI);
		s->current.source = s->kind;
		free(s->why);
		s->why = strdup("forced; PSI triggers armed");
		r = s->ops->refresh(s, false, OOM_NOTIFY_CAUSE_UNSPEC);
		if (r < 0)
			oomn_source_warn(s, "psi source forced but meminfo unreadable: %s",
					 strerror(-r));
		return r < 0 ? r : 0;

	case OOMN_SOURCE_MEMINFO:
		oomn_source_use(s, OOMN_SOURCE_MEMINFO);
		s->current.source = s->kind;
		free(s->why);
		s->why = strdup("forced; polling meminfo");
		(void)s->ops->start(s, NULL);
		r = s->ops->refresh(s, false, OOM_NOTIFY_CAUSE_UNSPEC);
		if (r < 0)
			oomn_source_warn(s, "meminfo source forced but meminfo unreadable: %s",
					 strerror(-r));
		return r < 0 ? r : 0;
	}
	return -EINVAL;
}

int oomn_source_new(OomnSource **ret, sd_event *e, const struct oomn_source_config *cfg,
		    const struct oomn_source_handlers *h, void *userdata)
{
	_cleanup_(oomn_source_freep) OomnSource *s = NULL;
	const char *why = NULL;
	size_t n = 0;
	int r;

	if (!ret || !e || !cfg)
		return -EINVAL;
	if ((unsigned)cfg->force > OOMN_SOURCE_MEMINFO)
		return -EINVAL;
	if (oom_notify_thresholds_check(&cfg->thresholds, &why) < 0)
		return -EINVAL;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->psi_fd[0] = s->psi_fd[1] = -EBADF;
	s->inotify_fd = -EBADF;
	s->event = sd_event_ref(e);
	s->force = cfg->force;
	s->thresholds = cfg->thresholds;
	s->want_oom = cfg->want_oom;
	if (h)
		s->handlers = *h;
	s->userdata = userdata;
	s->interval_min = OOMN_BACKOFF_MIN_USEC;
	s->interval_max = OOMN_BACKOFF_MAX_USEC;
	s->proc_root = strdup(cfg->proc_root ?: "/proc");
	s->cgroup_root = strdup(cfg->cgroup_root ?: "/sys/fs/cgroup");
	s->sysfs_root = strdup(cfg->sysfs_root ?: "/sys");
	if (!s->proc_root || !s->cgroup_root || !s->sysfs_root)
		return -ENOMEM;
	oomn_swap_reader_init(&s->swap, s->proc_root, s->sysfs_root, oomn_source_swap_warn, s);
	/* the zram costs are measured while memory is short by these */
	s->swap.thresholds = s->thresholds;
	for (char **c = cfg->cgroups; c && *c; c++)
		n++;
	s->cgroup_paths = calloc(n + 1, sizeof(char *));
	if (!s->cgroup_paths)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		s->cgroup_paths[i] = strdup(cfg->cgroups[i]);
		if (!s->cgroup_paths[i])
			return -ENOMEM;
	}

	s->starting = true;
	r = oomn_source_start(s);
	s->starting = false;
	if (r < 0)
		return r;
	if (!s->why)
		return -ENOMEM;

	r = sd_event_add_defer(e, &s->announce, oomn_source_announce, s);
	if (r < 0)
		return r;
	(void)sd_event_source_set_description(s->announce, "oomn-source-announce");

	*ret = TAKE_PTR(s);
	return 0;
}

OomnSource *oomn_source_free(OomnSource *s)
{
	if (!s)
		return NULL;
	s->announce = sd_event_source_disable_unref(s->announce);
	oomn_source_fallback_stop(s);
	oomn_source_cgroups_free(s);
	for (size_t i = 0; i < ELEMENTSOF(oomn_source_kinds); i++)
		if (oomn_source_kinds[i] && oomn_source_kinds[i]->close)
			oomn_source_kinds[i]->close(s);
	sd_event_unref(s->event);
	for (char **c = s->cgroup_paths; c && *c; c++)
		free(*c);
	free(s->cgroup_paths);
	free(s->proc_root);
	free(s->cgroup_root);
	free(s->sysfs_root);
	free(s->why);
	free(s);
	return NULL;
}

enum oomn_source_kind oomn_source_kind(const OomnSource *s)
{
	return s ? s->kind : OOMN_SOURCE_NONE;
}

const char *oomn_source_kind_to_string(enum oomn_source_kind kind)
{
	switch (kind) {
	case OOMN_SOURCE_NONE:
		return "none";
	case OOMN_SOURCE_KERNEL:
		return "kernel";
	case OOMN_SOURCE_PSI:
		return "psi";
	case OOMN_SOURCE_MEMINFO:
		return "meminfo";
	}
	return "unknown";
}

int oomn_source_kind_from_string(const char *s, enum oomn_source_kind *ret)
{
	static const enum oomn_source_kind kinds[] = { OOMN_SOURCE_KERNEL, OOMN_SOURCE_PSI,
						       OOMN_SOURCE_MEMINFO };

	if (strcmp(s, "auto") == 0) {
		*ret = OOMN_SOURCE_NONE;
		return 0;
	}
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(s, oomn_source_kind_to_string(kinds[i])) == 0) {
			*ret = kinds[i];
			return 0;
		}
	return -EINVAL;
}

const struct oomn_pressure *oomn_source_current(const OomnSource *s)
{
	return &s->current;
}

const char *oomn_source_why(const OomnSource *s)
{
	return s->why ?: "";
}

int oomn_source_refresh(OomnSource *s)
{
	if (!s->ops || !s->ops->refresh)
		return -ENOENT;
	return s->ops->refresh(s, false, OOM_NOTIFY_CAUSE_QUERY);
}

void oomn_source_get_stats(const OomnSource *s, struct oomn_source_stats *ret)
{
	*ret = s->stats;
	ret->swaps_reads = s->swap.swaps_reads;
	ret->thrash_reads = s->swap.thrash_reads;
}

int oomn_source_set_poll_intervals(OomnSource *s, uint64_t min_usec, uint64_t max_usec)
{
	if (min_usec == 0 || max_usec < min_usec ||
	    max_usec > UINT64_MAX / OOMN_PSI_TIMER_MIN_FACTOR)
		return -EINVAL;
	s->interval_min = min_usec;
	s->interval_max = max_usec;
	if (s->timer)
		return oomn_source_timer_start(s);
	return 0;
}
