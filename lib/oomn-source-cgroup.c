/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The cgroup watches (--watch-cgroup), for the psi and meminfo kinds: a
 * memory.pressure trigger per configured cgroup (psi kind only) and
 * memory.events through inotify (both), which tells of the cgroup's OOM
 * kills and of it hitting memory.high / memory.max. A cgroup's level comes
 * from memory.current against its limits and is reported with its own pressure_seq.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "oomn-fileio.h"
#include "oomn-source-internal.h"

/* Reads a small cgroup file into buf (NUL-terminated). */
static int oomn_cgroup_read(const struct oomn_source_cgroup *cg, const char *file, char *buf,
			    size_t size)
{
	_cleanup_free_ char *path = NULL;

	if (asprintf(&path, "%s/%s", cg->dir, file) < 0)
		return -ENOMEM;
	return oomn_read_text(path, buf, size);
}

/*
 * One of the cgroup's figures in bytes: memory.current, or a limit
 * (memory.high, memory.max), where "max" and no file at all (the root
 * cgroup) are UINT64_MAX; the usage must be a number. Warned about if not.
 */
static int oomn_cgroup_read_bytes(OomnSource *s, struct oomn_source_cgroup *cg, const char *file,
				  bool limit, uint64_t *ret)
{
	char buf[64];
	int r;

	r = oomn_cgroup_read(cg, file, buf, sizeof(buf));
	if (r == -ENOENT && limit) {
		/* the root cgroup has no limits */
		*ret = UINT64_MAX;
		return 0;
	}
	if (r >= 0)
		r = oomn_cgroup_limit_parse(buf, ret);
	if (r >= 0 && !limit && *ret == UINT64_MAX)
		r = -EBADMSG;
	if (r < 0)
		oomn_source_warn(s, "cannot use %s/%s: %s", cg->dir, file, strerror(-r));
	return r;
}

/*
 * The cgroup's level from memory.current against its limit, at least
 * @floor (a memory.high or memory.max event is pressure whatever the
 * figures say); reported when it changed.
 */
static void oomn_cgroup_evaluate(OomnSource *s, struct oomn_source_cgroup *cg,
				 enum oom_notify_level floor, uint32_t cause)
{
	struct oom_notify_figures f = { 0 };
	enum oom_notify_level level;
	uint64_t current, high, max;
	struct oomn_pressure p;
	int r;

	if (oomn_cgroup_read_bytes(s, cg, "memory.current", false, &current) < 0 ||
	    oomn_cgroup_read_bytes(s, cg, "memory.high", true, &high) < 0 ||
	    oomn_cgroup_read_bytes(s, cg, "memory.max", true, &max) < 0)
		return;

	r = oomn_cgroup_level(&s->thresholds, current, high, max, cg->level, &level, &f);
	if (r == -ENODATA) {
		/* no limit: only events say anything about it */
		level = floor;
		f.mem_available = 0;
		f.mem_total = 0;
	}
	/* only a change is news: memory.high is crossed again and again while
	 * the cgroup is throttled there */
	if (level < floor)
		level = floor;
	if (level == cg->level)
		return;

	p = (struct oomn_pressure){
		.level = level,
		.prev_level = cg->level,
		.pressure_seq = ++cg->pressure_seq,
		.timestamp_ns = oomn_now_nsec(CLOCK_BOOTTIME),
		.cause = cause,
		.mem_total = f.mem_total,
		.mem_available = f.mem_available,
		.source = s->kind,
		.cgroup = cg->name,
	};
	cg->level = level;
	if (s->handlers.on_pressure)
		s->handlers.on_pressure(&p, s->userdata);
}

static void oomn_cgroup_events_changed(OomnSource *s, struct oomn_source_cgroup *cg)
{
	struct oomn_memory_events ev;
	char buf[512];
	int r;

	r = oomn_cgroup_read(cg, "memory.events", buf, sizeof(buf));
	if (r >= 0)
		r = oomn_memory_events_parse(buf, &ev);
	if (r < 0) {
		oomn_source_warn(s, "cannot use %s/memory.events: %s", cg->dir, strerror(-r));
		return;
	}
	if (!cg->events_known) {
		cg->events = ev;
		cg->events_known = true;
		return;
	}
	/* counters only grow; a smaller one is another cgroup of that name */
	if (ev.oom_kill < cg->events.oom_kill || ev.max < cg->events.max ||
	    ev.high < cg->events.high) {
		oomn_source_warn(s, "%s/memory.events went backwards; starting over", cg->dir);
		cg->events = ev;
		return;
	}

	if (ev.oom_kill > cg->events.oom_kill) {
		struct oomn_oom_event oom = {
			/* the cgroup's kill count stands for the sequence */
			.oom_seq = ev.oom_kill,
			.timestamp_ns = oomn_now_nsec(CLOCK_BOOTTIME),
			.level = cg->level,
			.lost = (uint32_t)(ev.oom_kill - cg->events.oom_kill - 1),
		};

		snprintf(oom.cgroup, sizeof(oom.cgroup), "%s", cg->name);
		cg->events = ev;
		if (s->handlers.on_oom)
			s->handlers.on_oom(&oom, cg->name, s->userdata);
	}
	if (ev.max > cg->events.max)
		oomn_cgroup_evaluate(s, cg, OOM_NOTIFY_LEVEL_CRITICAL, OOM_NOTIFY_CAUSE_RECLAIM);
	else if (ev.high > cg->events.high)
		oomn_cgroup_evaluate(s, cg, OOM_NOTIFY_LEVEL_MEDIUM, OOM_NOTIFY_CAUSE_RECLAIM);
	cg->events = ev;
}

static int oomn_source_on_inotify(sd_event_source *es, int fd, uint32_t revents, void *userdata)
{
	OomnSource *s = userdata;
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				oomn_source_warn(s, "inotify: %s", strerror(errno));
			return 0;
		}
		for (char *p = buf; p < buf + n;) {
			struct inotify_event *ie = (struct inotify_event *)p;

			if (ie->mask & IN_Q_OVERFLOW) {
				/* some were lost: look at every cgroup */
				for (size_t i = 0; i < s->n_cgroups; i++)
					if (s->cgroups[i].events_wd >= 0)
						oomn_cgroup_events_changed(s, &s->cgroups[i]);
			}
			for (size_t i = 0; i < s->n_cgroups; i++) {
				struct oomn_source_cgroup *cg = &s->cgroups[i];

				if (cg->events_wd != ie->wd)
					continue;
				if (ie->mask & IN_IGNORED) {
					oomn_source_warn(s, "cgroup %s went away", cg->name);
					cg->events_wd = -1;
				} else if (ie->mask & IN_MODIFY) {
					oomn_cgroup_events_changed(s, cg);
				}
			}
			p += sizeof(*ie) + ie->len;
		}
	}
}

static int oomn_source_on_cgroup_psi(sd_event_source *es, int fd, uint32_t revents, void *userdata)
{
	struct oomn_source_cgroup *cg = userdata;
	OomnSource *s = cg->source;

	if (revents & EPOLLERR) {
		oomn_source_warn(s, "PSI trigger on %s/memory.pressure failed (cgroup removed?)",
				 cg->dir);
		cg->pressure_io = sd_event_source_disable_unref(cg->pressure_io);
		closep(&cg->pressure_fd);
		cg->pressure_fd = -EBADF;
		return 0;
	}
	s->stats.psi_events++;
	oomn_cgroup_evaluate(s, cg, OOM_NOTIFY_LEVEL_NORMAL, OOM_NOTIFY_CAUSE_RECLAIM);
	return 0;
}

/* "a//b/" -> "/a/b"; NULL for "..", empty results stay "/". */
static char *oomn_cgroup_normalize(const char *path)
{
	char *out = malloc(strlen(path) + 2), *o = out;
	const char *p = path;

	if (!out)
		return NULL;
	while (*p) {
		const char *e;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		e = strchrnul(p, '/');
		if ((e - p == 2 && p[0] == '.' && p[1] == '.') || (e - p == 1 && p[0] == '.')) {
			free(out);
			return NULL;
		}
		*o++ = '/';
		memcpy(o, p, e - p);
		o += e - p;
		p = e;
	}
	if (o == out)
		*o++ = '/';
	*o = '\0';
	return out;
}

static int oomn_source_cgroups_alloc(OomnSource *s)
{
	size_t n = 0;

	for (char **c = s->cgroup_paths; c && *c; c++)
		n++;
	s->cgroups = calloc(n ?: 1, sizeof(*s->cgroups));
	if (!s->cgroups)
		return -ENOMEM;
	s->n_cgroups = 0;
	for (size_t i = 0; i < n; i++) {
		struct oomn_source_cgroup *cg = &s->cgroups[s->n_cgroups];

		cg->source = s;
		cg->pressure_fd = -EBADF;
		cg->events_wd = -1;
		cg->name = oomn_cgroup_normalize(s->cgroup_paths[i]);
		if (!cg->name) {
			oomn_source_warn(s, "cgroup \"%s\" ignored: not a path below %s",
					 s->cgroup_paths[i], s->cgroup_root);
			continue;
		}
		if (asprintf(&cg->dir, "%s%s", s->cgroup_root,
			     strcmp(cg->name, "/") ? cg->name : "") < 0) {
			free(cg->name);
			cg->name = NULL;
			return -ENOMEM;
		}
		s->n_cgroups++;
	}
	return 0;
}

int oomn_source_cgroups_start(OomnSource *s, bool triggers)
{
	int r;

	if (!s->cgroup_paths || !s->cgroup_paths[0])
		return 0;
	if (!s->cgroups) {
		r = oomn_source_cgroups_alloc(s);
		if (r < 0)
			return r;
	}

	s->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (s->inotify_fd < 0) {
		r = -errno;
		oomn_source_warn(s, "inotify: %s; cgroup OOM kills will not be reported",
				 strerror(-r));
		return r;
	}
	r = sd_event_add_io(s->event, &s->inotify_io, s->inotify_fd, EPOLLIN,
			    oomn_source_on_inotify, s);
	if (r < 0) {
		oomn_source_warn(s, "cannot watch inotify: %s", strerror(-r));
		oomn_source_cgroups_stop(s);
		return r;
	}

	for (size_t i = 0; i < s->n_cgroups; i++) {
		struct oomn_source_cgroup *cg = &s->cgroups[i];
		_cleanup_free_ char *events = NULL, *pressure = NULL, *why = NULL;

		if (asprintf(&events, "%s/memory.events", cg->dir) < 0 ||
		    asprintf(&pressure, "%s/memory.pressure", cg->dir) < 0)
			return -ENOMEM;
		cg->events_known = false;
		cg->events_wd = inotify_add_watch(s->inotify_fd, events, IN_MODIFY);
		if (cg->events_wd < 0) {
			oomn_source_warn(s, "cannot watch %s: %s", events, strerror(errno));
			cg->events_wd = -1;
		} else {
			/* the baseline the next change is compared with */
			oomn_cgroup_events_changed(s, cg);
		}

		if (!triggers)
			continue;
		cg->pressure_fd = oomn_source_psi_trigger_open(pressure, false, &why);
		if (cg->pressure_fd < 0) {
			oomn_source_warn(s, "%s", why ?: "cannot arm a cgroup PSI trigger");
			cg->pressure_fd = -EBADF;
			continue;
		}
		r = sd_event_add_io(s->event, &cg->pressure_io, cg->pressure_fd, EPOLLPRI,
				    oomn_source_on_cgroup_psi, cg);
		if (r < 0) {
			oomn_source_warn(s, "cannot watch %s: %s", pressure, strerror(-r));
			closep(&cg->pressure_fd);
			cg->pressure_fd = -EBADF;
		}
	}
	return 0;
}

void oomn_source_cgroups_stop(OomnSource *s)
{
	for (size_t i = 0; i < s->n_cgroups; i++) {
		struct oomn_source_cgroup *cg = &s->cgroups[i];

		cg->pressure_io = sd_event_source_disable_unref(cg->pressure_io);
		closep(&cg->pressure_fd);
		cg->pressure_fd = -EBADF;
		cg->events_wd = -1;
	}
	s->inotify_io = sd_event_source_disable_unref(s->inotify_io);
	closep(&s->inotify_fd);
	s->inotify_fd = -EBADF;
}

void oomn_source_cgroups_free(OomnSource *s)
{
	oomn_source_cgroups_stop(s);
	for (size_t i = 0; i < s->n_cgroups; i++) {
		free(s->cgroups[i].name);
		free(s->cgroups[i].dir);
	}
	free(s->cgroups);
	s->cgroups = NULL;
	s->n_cgroups = 0;
}

bool oomn_source_cgroups_raised(const OomnSource *s)
{
	for (size_t i = 0; i < s->n_cgroups; i++)
		if (s->cgroups[i].level > OOM_NOTIFY_LEVEL_NORMAL)
			return true;
	return false;
}

void oomn_source_cgroups_recheck(OomnSource *s)
{
	for (size_t i = 0; i < s->n_cgroups; i++)
		if (s->cgroups[i].level > OOM_NOTIFY_LEVEL_NORMAL)
			oomn_cgroup_evaluate(s, &s->cgroups[i], OOM_NOTIFY_LEVEL_NORMAL,
					     OOM_NOTIFY_CAUSE_TIMER);
}
