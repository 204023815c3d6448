/* SPDX-License-Identifier: GPL-2.0-only */
/* `oom-notify --kernel`: status and watch straight from the module. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <systemd/sd-event.h>

#include "cli.h"
#include "oomn-meminfo.h"

struct watch {
	const struct cli_opts *o;
	struct format_opts fmt;
	OomnGenl *genl;
	int error;
};

static void refresh_swap_total(struct watch *w)
{
	struct oomn_meminfo mi;

	if (oomn_meminfo_read(w->o->proc_root, &mi) == 0)
		w->fmt.swap_total = mi.swap_total;
}

static int open_kernel(OomnGenl **ret, unsigned flags)
{
	int r = oomn_genl_open(ret, flags);

	if (r == -ENOENT)
		fprintf(stderr, "oom-notify: the oom_notify kernel module is not loaded (modprobe oom_notify)\n");
	else if (r < 0)
		fprintf(stderr, "oom-notify: cannot talk to the oom_notify module: %s\n", strerror(-r));
	return r;
}

static int exit_code(int r)
{
	if (r == -ENOENT)
		return CLI_EXIT_UNAVAILABLE;
	if (r == -EPERM || r == -EACCES)
		return CLI_EXIT_NOPERM;
	return r < 0 ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
}

int cli_kernel_status(const struct cli_opts *o)
{
	_cleanup_(oomn_genl_freep) OomnGenl *g = NULL;
	struct watch w = { .o = o, .fmt = o->fmt };
	struct oomn_state st;
	int r;

	r = open_kernel(&g, 0);
	if (r < 0)
		return exit_code(r);
	r = oomn_genl_get_state(g, &st);
	if (r < 0) {
		fprintf(stderr, "oom-notify: GET_STATE failed: %s\n", strerror(-r));
		return exit_code(r);
	}
	refresh_swap_total(&w);
	format_state(stdout, &w.fmt, &st);
	return CLI_EXIT_OK;
}

static void print_resync(struct watch *w, const char *why)
{
	struct oomn_state st;
	int r;

	format_notice(stdout, &w->fmt, "state", why);
	r = oomn_genl_get_state(w->genl, &st);
	if (r < 0) {
		format_notice(stdout, &w->fmt, "error", strerror(-r));
		return;
	}
	refresh_swap_total(w);
	if ((int)st.level >= w->o->min_level || !w->fmt.json)
		format_state(stdout, &w->fmt, &st);
}

static void on_pressure(const struct oomn_pressure_event *ev, void *userdata)
{
	struct watch *w = userdata;

	if (!(w->o->events & CLI_EVENTS_PRESSURE))
		return;
	/* A fall below the filter is shown too, so a reader sees it end. */
	if ((int)ev->level < w->o->min_level && (int)ev->prev_level < w->o->min_level)
		return;
	format_pressure(stdout, &w->fmt, ev);
}

static void on_oom(const struct oomn_oom_event *ev, void *userdata)
{
	struct watch *w = userdata;

	if (w->o->events & CLI_EVENTS_OOM)
		format_oom(stdout, &w->fmt, ev);
}

static void on_family(bool appeared, void *userdata)
{
	struct watch *w = userdata;

	if (appeared)
		print_resync(w, "the oom_notify module was loaded");
	else
		format_notice(stdout, &w->fmt, "module",
			      "the oom_notify module was unloaded; waiting for it to come back");
}

static void on_overflow(void *userdata)
{
	print_resync(userdata, "events were lost (socket overflow)");
}

static void on_gap(unsigned group, uint64_t expected, uint64_t got, void *userdata)
{
	char buf[128];

	snprintf(buf, sizeof(buf), "%s events %llu..%llu were lost",
		 group == OOMN_GROUP_OOM ? "OOM" : "pressure",
		 (unsigned long long)expected, (unsigned long long)got - 1);
	print_resync(userdata, buf);
}

static void on_invalid(int error, const char *what, void *userdata)
{
	fprintf(stderr, "oom-notify: dropped a malformed message: %s\n", what);
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct watch *w = userdata;
	int r = oomn_genl_dispatch(w->genl);

	fflush(stdout);
	if (r < 0) {
		fprintf(stderr, "oom-notify: reading events failed: %s\n", strerror(-r));
		w->error = r;
		return sd_event_exit(sd_event_source_get_event(s), CLI_EXIT_FAILURE);
	}
	return 0;
}

int cli_kernel_watch(const struct cli_opts *o)
{
	static const struct oomn_genl_handlers h = {
		.on_pressure = on_pressure,
		.on_oom = on_oom,
		.on_family = on_family,
		.on_overflow = on_overflow,
		.on_gap = on_gap,
		.on_invalid = on_invalid,
	};
	_cleanup_(sd_event_unrefp) sd_event *e = NULL;
	struct watch w = { .o = o, .fmt = o->fmt };
	unsigned groups = 0;
	int r, code;

	r = open_kernel(&w.genl, 0);
	if (r < 0)
		return exit_code(r);
	oomn_genl_set_handlers(w.genl, &h, &w);

	if (o->events & CLI_EVENTS_PRESSURE)
		groups |= OOMN_GROUP_PRESSURE;
	if (o->events & CLI_EVENTS_OOM)
		groups |= OOMN_GROUP_OOM;
	r = oomn_genl_subscribe(w.genl, groups);
	if (r == -EPERM && (groups & OOMN_GROUP_OOM)) {
		fprintf(stderr, "oom-notify: kernel OOM kills are for CAP_SYS_ADMIN only; "
				"watching pressure levels only\n");
		groups &= ~OOMN_GROUP_OOM;
		r = groups ? oomn_genl_subscribe(w.genl, groups) : -EPERM;
	}
	if (r < 0) {
		fprintf(stderr, "oom-notify: cannot subscribe: %s\n", strerror(-r));
		code = exit_code(r);
		goto out;
	}

	r = cli_event_new(&e);
	if (r < 0)
		goto fail;
	r = sd_event_add_io(e, NULL, oomn_genl_event_fd(w.genl), EPOLLIN, on_io, &w);
	if (r < 0)
		goto fail;

	/* Subscribed first, then the state: nothing can fall in between. */
	print_resync(&w, "current state");
	fflush(stdout);
	r = sd_event_loop(e);
	code = r < 0 ? CLI_EXIT_FAILURE : r;
	goto out;
fail:
	fprintf(stderr, "oom-notify: event loop: %s\n", strerror(-r));
	code = CLI_EXIT_FAILURE;
out:
	oomn_genl_free(w.genl);
	return code;
}
