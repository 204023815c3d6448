/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The kernel source: the oom_notify module's multicast events through
 * OomnGenl on the caller's loop. The genl client stays open while the
 * module is missing, so that its coming back (a NEWFAMILY notification)
 * switches the source back from the fallback. Exports only its ops; the
 * switching itself is the object's (oomn-source.c).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "oomn-source-internal.h"

static uint64_t oomn_source_swap_total(OomnSource *s)
{
	struct oomn_meminfo mi;

	/* the module cannot see SwapTotal; keep the last one on failure */
	if (oomn_source_read_meminfo(s, &mi) < 0)
		return s->current.swap_total;
	return mi.swap_total;
}

static int oomn_source_kernel_refresh(OomnSource *s, bool resync, uint32_t cause)
{
	struct oomn_state st;
	struct oomn_pressure p;
	int r;

	if (!s->genl)
		return -ENOENT;
	r = oomn_genl_get_state(s->genl, &st);
	if (r < 0) {
		oomn_source_warn(
			s, "cannot read the oom_notify module's state: %s; keeping the last one",
			strerror(-r));
		return r;
	}
	p = (struct oomn_pressure){
		.level = st.level,
		.prev_level = s->current.level,
		.pressure_seq = st.pressure_seq,
		.timestamp_ns = st.timestamp_ns,
		.cause = cause,
		.mem_total = st.mem_total,
		.mem_available = st.mem_available,
		.swap_total = oomn_source_swap_total(s),
		.swap_free = st.swap_free,
		.swap_worth = st.swap_worth,
		.thrashing = st.thrashing,
		.has_thresholds = st.has_thresholds,
		.thresholds = st.thresholds,
		.source = OOMN_SOURCE_KERNEL,
		.resync = resync,
	};
	if (resync || st.level != s->current.level)
		oomn_source_report(s, &p);
	else
		s->current = p;
	return 0;
}

static void oomn_source_kernel_on_pressure(const struct oomn_pressure_event *ev, void *userdata)
{
	OomnSource *s = userdata;
	struct oomn_pressure p = {
		.level = ev->level,
		/* what we told last, which a source switch may have set */
		.prev_level = s->current.level,
		.pressure_seq = ev->pressure_seq,
		.timestamp_ns = ev->timestamp_ns,
		.cause = ev->cause,
		.mem_total = ev->mem_total,
		.mem_available = ev->mem_available,
		.swap_total = oomn_source_swap_total(s),
		.swap_free = ev->swap_free,
		.swap_worth = ev->swap_worth,
		.thrashing = ev->thrashing,
		.has_thresholds = ev->has_thresholds,
		.thresholds = ev->thresholds,
		.source = OOMN_SOURCE_KERNEL,
	};

	if (s->kind != OOMN_SOURCE_KERNEL)
		return;
	s->stats.kernel_events++;
	/* A refresh (GET_STATE) overtook this event in the socket: what it
	 * says is already past, and reporting it would step the level back. */
	if (s->current.source == OOMN_SOURCE_KERNEL && ev->pressure_seq <= s->current.pressure_seq)
		return;
	oomn_source_report(s, &p);
}

static void oomn_source_kernel_on_oom(const struct oomn_oom_event *ev, void *userdata)
{
	OomnSource *s = userdata;

	if (ev->lost)
		oomn_source_warn(s, "the oom_notify module dropped %u OOM event(s)", ev->lost);
	s->stats.kernel_events++;
	if (s->handlers.on_oom)
		s->handlers.on_oom(ev, ev->cgroup[0] ? ev->cgroup : NULL, s->userdata);
}

static void oomn_source_kernel_on_family(bool appeared, void *userdata)
{
	OomnSource *s = userdata;

	if (appeared) {
		if (s->kind == OOMN_SOURCE_KERNEL)
			return;
		oomn_source_fallback_stop(s);
		oomn_source_set_kind(s, OOMN_SOURCE_KERNEL, "oom_notify module loaded");
		(void)oomn_source_kernel_refresh(s, true, OOM_NOTIFY_CAUSE_UNSPEC);
		return;
	}

	if (s->kind != OOMN_SOURCE_KERNEL)
		return;
	if (s->force == OOMN_SOURCE_KERNEL) {
		oomn_source_warn(s, "oom_notify module unloaded; the kernel source is forced, so "
				    "no events until it is back");
		oomn_source_set_kind(s, OOMN_SOURCE_NONE,
				     "oom_notify module unloaded (kernel source forced)");
		return;
	}
	if (oomn_source_fallback_start(s, "oom_notify module unloaded", true) < 0)
		oomn_source_set_kind(s, OOMN_SOURCE_NONE,
				     "oom_notify module unloaded; no fallback works");
}

static void oomn_source_kernel_on_overflow(void *userdata)
{
	OomnSource *s = userdata;

	oomn_source_warn(s, "oom_notify events lost (socket overflow); re-reading the state");
	if (s->kind == OOMN_SOURCE_KERNEL)
		(void)oomn_source_kernel_refresh(s, true, OOM_NOTIFY_CAUSE_QUERY);
}

static void oomn_source_kernel_on_gap(unsigned group, uint64_t expected, uint64_t got,
				      void *userdata)
{
	OomnSource *s = userdata;

	if (group == OOMN_GROUP_OOM) {
		oomn_source_warn(s, "oom_notify OOM events lost: expected %llu, got %llu",
				 (unsigned long long)expected, (unsigned long long)got);
		return;
	}
	oomn_source_warn(
		s, "oom_notify pressure events lost: expected %llu, got %llu; re-reading the state",
		(unsigned long long)expected, (unsigned long long)got);
	if (s->kind == OOMN_SOURCE_KERNEL)
		(void)oomn_source_kernel_refresh(s, true, OOM_NOTIFY_CAUSE_QUERY);
}

static void oomn_source_kernel_on_invalid(int error, const char *what, void *userdata)
{
	oomn_source_warn(userdata, "dropped a message from the oom_notify module: %s (%s)", what,
			 strerror(-error));
}

static const struct oomn_genl_handlers oomn_source_kernel_handlers = {
	.on_pressure = oomn_source_kernel_on_pressure,
	.on_oom = oomn_source_kernel_on_oom,
	.on_family = oomn_source_kernel_on_family,
	.on_overflow = oomn_source_kernel_on_overflow,
	.on_gap = oomn_source_kernel_on_gap,
	.on_invalid = oomn_source_kernel_on_invalid,
};

static void oomn_source_kernel_oom_denied(OomnSource *s)
{
	oomn_source_warn(s, "not allowed to join the oom_notify \"oom\" group (needs "
			    "CAP_SYS_ADMIN); kernel OOM kills will not be reported");
	if (s->oom_subscribed)
		(void)oomn_genl_unsubscribe(s->genl, OOMN_GROUP_OOM);
	s->oom_subscribed = false;
}

static int oomn_source_on_genl(sd_event_source *es, int fd, uint32_t revents, void *userdata)
{
	OomnSource *s = userdata;
	int r;

	r = oomn_genl_dispatch(s->genl);
	/* the groups are re-joined when the module comes back: "oom" may be refused */
	if (r == -EPERM && s->oom_subscribed)
		oomn_source_kernel_oom_denied(s);
	else if (r < 0)
		oomn_source_warn(s, "oom_notify event socket: %s", strerror(-r));
	return 0;
}

static void oomn_source_kernel_close(OomnSource *s);

/* The genl client for the object's life. 1 with the module present (state
 * read into s->current), 0 without it, negative errno (with *ret_why) on
 * failure. */
static int oomn_source_kernel_open(OomnSource *s, char **ret_why)
{
	int r;

	*ret_why = NULL;
	r = oomn_genl_open(&s->genl, OOMN_GENL_ALLOW_MISSING);
	if (r < 0) {
		if (asprintf(ret_why, "cannot open the oom_notify netlink client: %s",
			     strerror(-r)) < 0)
			*ret_why = NULL;
		return r;
	}
	oomn_genl_set_handlers(s->genl, &oomn_source_kernel_handlers, s);

	r = oomn_genl_subscribe(s->genl, OOMN_GROUP_PRESSURE);
	if (r < 0) {
		if (asprintf(ret_why, "cannot join the oom_notify \"pressure\" group: %s",
			     strerror(-r)) < 0)
			*ret_why = NULL;
		goto fail;
	}
	if (s->want_oom) {
		r = oomn_genl_subscribe(s->genl, OOMN_GROUP_OOM);
		if (r == -EPERM)
			oomn_source_kernel_oom_denied(s);
		else if (r < 0)
			oomn_source_warn(s, "cannot join the oom_notify \"oom\" group: %s",
					 strerror(-r));
		else
			s->oom_subscribed = true;
	}

	r = sd_event_add_io(s->event, &s->genl_io, oomn_genl_event_fd(s->genl), EPOLLIN,
			    oomn_source_on_genl, s);
	if (r < 0) {
		if (asprintf(ret_why, "cannot watch the oom_notify event socket: %s",
			     strerror(-r)) < 0)
			*ret_why = NULL;
		goto fail;
	}
	(void)sd_event_source_set_description(s->genl_io, "oomn-genl");

	if (!oomn_genl_has_family(s->genl))
		return 0;

	r = oomn_source_kernel_refresh(s, false, OOM_NOTIFY_CAUSE_QUERY);
	if (r < 0) {
		if (asprintf(ret_why, "the oom_notify module does not answer: %s", strerror(-r)) <
		    0)
			*ret_why = NULL;
		/* keep the client to see the module again; fall back meanwhile */
		return 0;
	}
	/* the state read is the starting point, not news */
	s->current.prev_level = s->current.level;
	return 1;

fail:
	oomn_source_kernel_close(s);
	return r;
}

static void oomn_source_kernel_close(OomnSource *s)
{
	s->genl_io = sd_event_source_disable_unref(s->genl_io);
	s->genl = oomn_genl_free(s->genl);
	s->oom_subscribed = false;
}

const struct oomn_source_ops oomn_source_kernel_ops = {
	.kind = OOMN_SOURCE_KERNEL,
	.open = oomn_source_kernel_open,
	.close = oomn_source_kernel_close,
	.refresh = oomn_source_kernel_refresh,
};
