/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * `oom-notify` over the broker (org.oomnotify.Broker1 on the system bus),
 * through liboom-notify: the library follows the broker's name, reads its
 * signals and calls it; this file says what it got.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <oom-notify.h>

#include "cli.h"
#include "oomn-macro.h"
#include "signals.h"

#define NO_BROKER "no broker on the system bus: is oom-notifyd running?"

DEFINE_TRIVIAL_CLEANUP_FUNC(OomnClient *, oomn_client_unref)

struct bwatch {
	const struct cli_opts *o;
	sd_event *event;
	bool have_signal_seq; /* signal_seq: the last level change shown or in the state read */
	uint64_t signal_seq;
	bool kills_denied; /* the note that kills need root is out */
	bool lost;	   /* the bus connection is */
};

/* The library's event kinds and the CLI's, one for one. */
static const struct {
	OomnEventKind event;
	enum format_bus_kind kind;
} kinds[] = {
	{ OOMN_EVENT_STATE, FORMAT_BUS_STATE },
	{ OOMN_EVENT_PRESSURE, FORMAT_BUS_PRESSURE },
	{ OOMN_EVENT_CGROUP_PRESSURE, FORMAT_BUS_CGROUP_PRESSURE },
	{ OOMN_EVENT_KERNEL_OOM_KILL, FORMAT_BUS_OOM_KILL },
	{ OOMN_EVENT_KILL_ANNOUNCED, FORMAT_BUS_KILL_ANNOUNCED },
	{ OOMN_EVENT_CANDIDATE_ANSWERED, FORMAT_BUS_CANDIDATE_ANSWERED },
	{ OOMN_EVENT_KILLED, FORMAT_BUS_KILLED },
	{ OOMN_EVENT_REDEEMED, FORMAT_BUS_REDEEMED },
};

/* The event as format.c takes it (its strings still the library's). */
static struct format_bus_event bus_event(const OomnEvent *e)
{
	struct format_bus_event ev = { .kind = _FORMAT_BUS_KIND_MAX, .level = e->level,
		.prev_level = e->prev_level, .source = e->source, .signal_seq = e->signal_seq,
		.mem_total = e->mem_total, .mem_available = e->mem_available,
		.swap_total = e->swap_total, .swap_free = e->swap_free,
		.timestamp_ns = e->timestamp_ns, .comm = e->comm, .cgroup = e->cgroup,
		.rule = e->rule, .reason = e->reason, .pid = e->pid, .uid = e->uid,
		.deadline_msec = e->deadline_msec,
		.deadline_boottime_usec = e->deadline_boottime_usec, .anon_rss = e->anon_rss,
		.oom_seq = e->oom_seq, .freed = e->freed, .checkpointed = e->checkpointed };

	for (size_t i = 0; i < ELEMENTSOF(kinds); i++)
		if (kinds[i].event == e->kind)
			ev.kind = kinds[i].kind;
	return ev;
}

/* What `watch` subscribes to: the state, and the signals of the --events asked for. */
static unsigned watch_events(const struct cli_opts *o)
{
	unsigned events = OOMN_EVENT_STATE;

	for (size_t i = 0; i < cli_n_signals; i++)
		for (size_t k = 0; k < ELEMENTSOF(kinds); k++)
			if ((o->events & cli_signals[i].events) && kinds[k].kind == cli_signals[i].kind)
				events |= kinds[k].event;
	return events;
}

/* The text of the last failure: the broker's or the bus's, else the errno's. */
static const char *error_text(OomnClient *c, int r)
{
	const char *m = oomn_client_get_error_message(c);

	return *m ? m : strerror(-r);
}

/* Says what went wrong in one line; returns the exit code for it. */
static int report_call_error(OomnClient *c, const char *what, int r)
{
	/* nobody owns the broker's name (the library asks only when it does) */
	if (r == -ENOTCONN) {
		fprintf(stderr, "oom-notify: " NO_BROKER "\n");
		return CLI_EXIT_UNAVAILABLE;
	}
	if (r == -EACCES) {
		fprintf(stderr, "oom-notify: %s: not permitted by the bus policy\n", what);
		return CLI_EXIT_NOPERM;
	}
	if (r == -EBADMSG) {
		fprintf(stderr, "oom-notify: the broker's reply is malformed: %s\n", strerror(-r));
		return CLI_EXIT_FAILURE;
	}
	fprintf(stderr, "oom-notify: %s failed: %s\n", what, error_text(c, r));
	/* a bus that refused the connection shows only at the first call */
	if (r == -ECONNREFUSED)
		return CLI_EXIT_UNAVAILABLE;
	return CLI_EXIT_FAILURE;
}

static int connect_exit_code(int r)
{
	if (r == -EACCES || r == -EPERM)
		return CLI_EXIT_NOPERM;
	/* no socket, or nobody listening on it (TCP: seen as not connected) */
	if (r == -ENOENT || r == -ECONNREFUSED || r == -ENOTCONN)
		return CLI_EXIT_UNAVAILABLE;
	return CLI_EXIT_FAILURE;
}

/* The library's client on the bus asked for (NULL: the system bus, as DBUS_SYSTEM_BUS_ADDRESS
 * says). */
static int connect_client(const struct cli_opts *o, OomnClient **ret)
{
	int r = oomn_client_new(ret, o->bus_address);

	if (r < 0)
		fprintf(stderr, "oom-notify: cannot connect to the %s%s: %s\n",
			o->bus_address ? "bus " : "system bus", o->bus_address ? o->bus_address : "",
			strerror(-r));
	return r;
}

int cli_broker_status(const struct cli_opts *o)
{
	_cleanup_(oomn_client_unrefp) OomnClient *c = NULL;
	_cleanup_free_ OomnClientInfo *clients = NULL;
	_cleanup_free_ struct oomn_bus_client *shown = NULL;
	struct format_bus_event st;
	OomnEvent state;
	size_t n = 0;
	int r;

	r = connect_client(o, &c);
	if (r < 0)
		return connect_exit_code(r);
	r = oomn_client_get_state(c, &state);
	if (r < 0)
		return report_call_error(c, "GetState", r);
	st = bus_event(&state);
	r = oomn_client_list_clients(c, &clients, &n);
	if (r == -EACCES) {
		/* other users' processes are root's to know: the state alone */
		format_bus_status(stdout, &o->fmt, &st, NULL, 0);
		return CLI_EXIT_OK;
	}
	if (r < 0)
		return report_call_error(c, "ListClients", r);

	shown = calloc(n ? n : 1, sizeof(*shown));
	if (!shown)
		return report_call_error(c, "ListClients", -ENOMEM);
	for (size_t i = 0; i < n; i++)
		shown[i] = (struct oomn_bus_client){ .id = clients[i].id, .pid = clients[i].pid,
			.uid = clients[i].uid, .bus_name = clients[i].bus_name,
			.comm = clients[i].comm, .band = clients[i].band, .flags = clients[i].flags };
	format_bus_status(stdout, &o->fmt, &st, shown, n);
	return CLI_EXIT_OK;
}

/* watch */

static void watch_print(struct bwatch *w, const struct format_bus_event *ev)
{
	format_bus_event(stdout, &w->o->fmt, ev);
	fflush(stdout);
}

static void watch_notice(struct bwatch *w, const char *kind, const char *text)
{
	format_notice(stdout, &w->o->fmt, kind, text);
	fflush(stdout);
}

/* Kill and OOM events name other users' processes: the broker sends them
 * only to root connections that called WatchKills. */
static bool watch_wants_kills(const struct bwatch *w)
{
	return w->o->events & (CLI_EVENTS_KILL | CLI_EVENTS_OOM);
}

/* WatchKills's answer (r < 0: its error, the text @message). */
static void watch_kills_result(struct bwatch *w, int r, const char *message)
{
	static const char note[] = "kill and OOM events are shown to root only; "
				   "showing pressure alone";

	if (r >= 0)
		return;
	if (r == -EACCES) {
		/* once, not at every return of the broker */
		if (w->kills_denied)
			return;
		w->kills_denied = true;
		if (w->o->fmt.json)
			watch_notice(w, "kills-need-root", note);
		else
			fprintf(stderr, "oom-notify: %s\n", note);
		return;
	}
	/* an older broker broadcasts them: nothing to ask for */
	if (r == -EOPNOTSUPP)
		return;
	/* gone again already: the library says so */
	if (r == -ENOTCONN)
		return;
	fprintf(stderr, "oom-notify: WatchKills failed: %s\n", message);
}

static bool watch_wants(struct bwatch *w, const struct format_bus_event *ev)
{
	if (ev->kind == FORMAT_BUS_PRESSURE) {
		/* already in the state we printed (it was read after this was sent) */
		if (w->have_signal_seq && ev->signal_seq <= w->signal_seq)
			return false;
		w->have_signal_seq = true;
		w->signal_seq = ev->signal_seq;
	}
	if (ev->kind == FORMAT_BUS_PRESSURE || ev->kind == FORMAT_BUS_CGROUP_PRESSURE) {
		int level = format_level_from_string(ev->level);
		int prev = format_level_from_string(ev->prev_level);

		/* a level newer than us is shown */
		return level < 0 || prev < 0 || cli_level_shown(w->o, level, prev);
	}
	return true;
}

static void on_event(OomnClient *c, const OomnEvent *e, void *userdata)
{
	struct bwatch *w = userdata;
	struct format_bus_event ev = bus_event(e);

	if (ev.kind == FORMAT_BUS_STATE) {
		/* a broker that (re)started: its state, its signal_seq from the start */
		w->have_signal_seq = true;
		w->signal_seq = ev.signal_seq;
		watch_print(w, &ev);
		return;
	}
	if (ev.kind != _FORMAT_BUS_KIND_MAX && watch_wants(w, &ev))
		watch_print(w, &ev);
}

/* What the library did by itself and could not. */
static void on_error(OomnClient *c, const char *member, int error, const char *message,
		     void *userdata)
{
	struct bwatch *w = userdata;

	if (strcmp(member, "WatchKills") == 0) {
		watch_kills_result(w, error, message);
		return;
	}
	if (strcmp(member, "GetState") == 0) {
		if (error == -EBADMSG)
			fprintf(stderr, "oom-notify: the broker's state is malformed\n");
		/* gone again already: the library says so */
		else if (error != -ENOTCONN)
			fprintf(stderr, "oom-notify: GetState failed: %s\n", message);
		return;
	}
	if (error == -EBADMSG && cli_signal_find(member))
		fprintf(stderr, "oom-notify: dropped a malformed %s signal\n", member);
}

static void on_broker(OomnClient *c, bool present, void *userdata)
{
	struct bwatch *w = userdata;

	/* the bus itself went: on_disconnect said so */
	if (w->lost)
		return;
	if (!present) {
		watch_notice(w, "broker-gone", "oom-notifyd left the bus; waiting for it to come back");
		return;
	}
	/* the library asks for the kills again, then the state, which comes as an event */
	watch_notice(w, "broker-back", "oom-notifyd is back");
	w->have_signal_seq = false;
}

static void on_disconnect(OomnClient *c, void *userdata)
{
	struct bwatch *w = userdata;

	w->lost = true;
	fflush(stdout);
	fprintf(stderr, "oom-notify: the bus connection was lost\n");
	(void)sd_event_exit(w->event, CLI_EXIT_FAILURE);
}

int cli_broker_watch(const struct cli_opts *o)
{
	_cleanup_(sd_event_unrefp) sd_event *e = NULL;
	_cleanup_(oomn_client_unrefp) OomnClient *c = NULL;
	struct bwatch w = { .o = o };
	struct format_bus_event st;
	OomnEvent state;
	int r, kills = 0;
	const char *kills_message = "";

	r = connect_client(o, &c);
	if (r < 0)
		return connect_exit_code(r);

	r = cli_event_new(&e);
	if (r < 0)
		goto fail;
	w.event = e;
	r = oomn_client_attach_event(c, e, SD_EVENT_PRIORITY_NORMAL);
	if (r < 0)
		goto fail;
	oomn_client_on_broker(c, on_broker, &w);
	oomn_client_on_error(c, on_error, &w);
	oomn_client_on_disconnect(c, on_disconnect, &w);

	/* Subscribed first, then the state: nothing can fall in between. */
	r = oomn_client_subscribe(c, watch_events(o), on_event, &w);
	if (r < 0) {
		fprintf(stderr, "oom-notify: cannot subscribe to the broker's signals: %s\n",
			strerror(-r));
		/* a refused connection shows only now: the same code as status */
		return connect_exit_code(r);
	}
	r = oomn_client_get_state(c, &state);
	if (r == -EBADMSG) {
		fprintf(stderr, "oom-notify: the broker's state is malformed\n");
		return CLI_EXIT_FAILURE;
	}
	if (r < 0)
		return report_call_error(c, "GetState", r);
	st = bus_event(&state);
	/* Before the state line: a kill after it is then one we are sent. */
	if (watch_wants_kills(&w)) {
		kills = oomn_client_watch_kills(c);
		kills_message = error_text(c, kills);
	}
	w.have_signal_seq = true;
	w.signal_seq = st.signal_seq;
	watch_print(&w, &st);
	/* the note, if any, after the first line */
	if (watch_wants_kills(&w))
		watch_kills_result(&w, kills, kills_message);

	r = sd_event_loop(e);
	fflush(stdout);
	return r < 0 ? CLI_EXIT_FAILURE : r;
fail:
	fprintf(stderr, "oom-notify: event loop: %s\n", strerror(-r));
	return CLI_EXIT_FAILURE;
}
