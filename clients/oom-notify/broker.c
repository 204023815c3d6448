/* SPDX-License-Identifier: GPL-2.0-only */
/* `oom-notify` over the broker: org.oomnotify.Broker1 on the system bus. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "cli.h"
#include "oomn-bus-codec.h"
#include "signals.h"

#define NO_BROKER    "no broker on the system bus: is oom-notifyd running?"

struct bwatch {
	const struct cli_opts *o;
	sd_event *event;
	sd_bus *bus;
	bool broker_present;
	bool have_signal_seq; /* signal_seq: the last level change shown or in the state read */
	uint64_t signal_seq;
	sd_bus_slot *state_slot; /* a GetState in flight */
	sd_bus_slot *kills_slot; /* a WatchKills in flight */
	bool kills_denied;	 /* the note that kills need root is out */
};

static bool is_no_broker(const sd_bus_error *e)
{
	return sd_bus_error_has_names(e, SD_BUS_ERROR_SERVICE_UNKNOWN,
				      SD_BUS_ERROR_NAME_HAS_NO_OWNER);
}

/* Says what went wrong in one line; returns the exit code for it. */
static int report_call_error(const char *what, const sd_bus_error *e, int r)
{
	if (is_no_broker(e)) {
		fprintf(stderr, "oom-notify: " NO_BROKER "\n");
		return CLI_EXIT_UNAVAILABLE;
	}
	if (sd_bus_error_has_name(e, SD_BUS_ERROR_ACCESS_DENIED)) {
		fprintf(stderr, "oom-notify: %s: not permitted by the bus policy\n", what);
		return CLI_EXIT_NOPERM;
	}
	fprintf(stderr, "oom-notify: %s failed: %s\n", what,
		sd_bus_error_is_set(e) ? e->message : strerror(-r));
	/* a bus that refused the connection shows only at the first call */
	if (r == -ENOTCONN || r == -ECONNREFUSED)
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

static int connect_bus(const struct cli_opts *o, sd_bus **ret)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	int r;

	if (o->bus_address) {
		r = sd_bus_new(&bus);
		if (r >= 0)
			r = sd_bus_set_address(bus, o->bus_address);
		if (r >= 0)
			r = sd_bus_set_bus_client(bus, 1);
		if (r >= 0)
			r = sd_bus_start(bus);
	} else {
		/* honours DBUS_SYSTEM_BUS_ADDRESS */
		r = sd_bus_open_system_with_description(&bus, "oom-notify");
	}
	if (r < 0) {
		fprintf(stderr, "oom-notify: cannot connect to the %s%s: %s\n",
			o->bus_address ? "bus " : "system bus", o->bus_address ? o->bus_address : "",
			strerror(-r));
		return r;
	}
	*ret = TAKE_PTR(bus);
	return 0;
}

/* GetState's reply into ev (its strings point into the message). */
static int read_state(sd_bus_message *reply, struct format_bus_event *ev)
{
	struct oomn_bus_state s;
	int r = oomn_bus_state_read(reply, &s);

	*ev = (struct format_bus_event){ .kind = FORMAT_BUS_STATE, .level = s.level,
		.signal_seq = s.signal_seq, .mem_total = s.mem_total, .mem_available = s.mem_available,
		.swap_total = s.swap_total, .swap_free = s.swap_free, .source = s.source,
		.timestamp_ns = s.timestamp_ns };
	return r;
}

/* A Broker1 method without arguments, synchronously. */
static int call_broker(sd_bus *bus, const char *method, sd_bus_error *e, sd_bus_message **reply)
{
	return sd_bus_call_method(bus, OOMN_BUS_NAME, OOMN_BUS_PATH, OOMN_BUS_INTERFACE, method, e,
				  reply, NULL);
}

int cli_broker_status(const struct cli_opts *o)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *state = NULL, *list = NULL;
	_cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
	_cleanup_free_ struct oomn_bus_client *clients = NULL;
	struct format_bus_event st;
	size_t n = 0;
	int r;

	r = connect_bus(o, &bus);
	if (r < 0)
		return connect_exit_code(r);
	r = call_broker(bus, OOMN_BUS_GET_STATE, &e, &state);
	if (r < 0)
		return report_call_error(OOMN_BUS_GET_STATE, &e, r);
	r = read_state(state, &st);
	if (r < 0)
		goto bad_reply;
	r = call_broker(bus, OOMN_BUS_LIST_CLIENTS, &e, &list);
	if (r < 0 && sd_bus_error_has_name(&e, SD_BUS_ERROR_ACCESS_DENIED)) {
		/* other users' processes are root's to know: the state alone */
		format_bus_status(stdout, &o->fmt, &st, NULL, 0);
		return CLI_EXIT_OK;
	}
	if (r < 0)
		return report_call_error(OOMN_BUS_LIST_CLIENTS, &e, r);

	r = oomn_bus_clients_read(list, &clients, &n);
	if (r < 0)
		goto bad_reply;
	{
		static const struct oomn_bus_client none;

		format_bus_status(stdout, &o->fmt, &st, n ? clients : &none, n);
	}
	return CLI_EXIT_OK;

bad_reply:
	fprintf(stderr, "oom-notify: the broker's reply is malformed: %s\n", strerror(-r));
	return CLI_EXIT_FAILURE;
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

static int on_state(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
	struct bwatch *w = userdata;
	const sd_bus_error *e = sd_bus_message_get_error(reply);
	struct format_bus_event st;

	w->state_slot = sd_bus_slot_unref(w->state_slot);
	if (e) {
		/* gone again already: NameOwnerChanged says so */
		if (!is_no_broker(e))
			fprintf(stderr, "oom-notify: GetState failed: %s\n", e->message);
		return 0;
	}
	if (read_state(reply, &st) < 0) {
		fprintf(stderr, "oom-notify: the broker's state is malformed\n");
		return 0;
	}
	w->have_signal_seq = true;
	w->signal_seq = st.signal_seq;
	watch_print(w, &st);
	return 0;
}

static int request_state(struct bwatch *w)
{
	w->state_slot = sd_bus_slot_unref(w->state_slot);
	return sd_bus_call_method_async(w->bus, &w->state_slot, OOMN_BUS_NAME, OOMN_BUS_PATH,
					OOMN_BUS_INTERFACE, OOMN_BUS_GET_STATE, on_state, w, NULL);
}

/* Kill and OOM events name other users' processes: the broker sends them
 * only to root connections that called WatchKills. */
static bool watch_wants_kills(const struct bwatch *w)
{
	return w->o->events & (CLI_EVENTS_KILL | CLI_EVENTS_OOM);
}

/* WatchKills's answer; r the call's own error, else 0. */
static void watch_kills_result(struct bwatch *w, const sd_bus_error *e, int r)
{
	static const char note[] = "kill and OOM events are shown to root only; "
				   "showing pressure alone";

	if (!sd_bus_error_is_set(e) && r >= 0)
		return;
	if (sd_bus_error_has_name(e, SD_BUS_ERROR_ACCESS_DENIED)) {
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
	if (sd_bus_error_has_name(e, SD_BUS_ERROR_UNKNOWN_METHOD))
		return;
	/* gone again already: NameOwnerChanged says so */
	if (is_no_broker(e))
		return;
	fprintf(stderr, "oom-notify: WatchKills failed: %s\n",
		sd_bus_error_is_set(e) ? e->message : strerror(-r));
}

static int on_watch_kills(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
	struct bwatch *w = userdata;

	w->kills_slot = sd_bus_slot_unref(w->kills_slot);
	watch_kills_result(w, sd_bus_message_get_error(reply), 0);
	return 0;
}

/* A broker that starts knows no watchers: ask again each time. */
static void request_kills(struct bwatch *w)
{
	int r;

	if (!watch_wants_kills(w))
		return;
	w->kills_slot = sd_bus_slot_unref(w->kills_slot);
	r = sd_bus_call_method_async(w->bus, &w->kills_slot, OOMN_BUS_NAME, OOMN_BUS_PATH,
				     OOMN_BUS_INTERFACE, OOMN_BUS_WATCH_KILLS, on_watch_kills, w,
				     NULL);
	if (r < 0)
		watch_kills_result(w, NULL, r);
}

/* The signal's arguments into ev (its strings point into the message); the
 * codec refuses anything else than the contract's signature whole. */
static int read_signal(sd_bus_message *m, const struct cli_signal *sig, struct format_bus_event *ev)
{
	struct oomn_bus_pressure p = {};
	struct oomn_bus_cgroup_pressure c = {};
	struct oomn_bus_oom_kill k = {};
	struct oomn_bus_kill_announced a = {};
	struct oomn_bus_answer d = {};
	struct oomn_bus_outcome o = {};
	int r;

	switch (sig->kind) {
	case FORMAT_BUS_PRESSURE:
		r = oomn_bus_pressure_read(m, &p);
		*ev = (struct format_bus_event){ .level = p.level, .prev_level = p.prev_level,
			.signal_seq = p.signal_seq, .mem_total = p.mem_total,
			.mem_available = p.mem_available, .swap_total = p.swap_total,
			.swap_free = p.swap_free, .source = p.source,
			.timestamp_ns = p.timestamp_ns };
		break;
	case FORMAT_BUS_CGROUP_PRESSURE:
		r = oomn_bus_cgroup_pressure_read(m, &c);
		*ev = (struct format_bus_event){ .cgroup = c.cgroup, .level = c.level,
			.prev_level = c.prev_level, .timestamp_ns = c.timestamp_ns };
		break;
	case FORMAT_BUS_OOM_KILL:
		r = oomn_bus_oom_kill_read(m, &k);
		*ev = (struct format_bus_event){ .pid = k.pid, .comm = k.comm, .uid = k.uid,
			.cgroup = k.cgroup, .anon_rss = k.anon_rss, .oom_seq = k.oom_seq };
		break;
	case FORMAT_BUS_KILL_ANNOUNCED:
		r = oomn_bus_kill_announced_read(m, &a);
		*ev = (struct format_bus_event){ .pid = a.pid, .comm = a.comm,
			.deadline_msec = a.deadline_msec,
			.deadline_boottime_usec = a.deadline_boottime_usec, .reason = a.reason };
		break;
	case FORMAT_BUS_CANDIDATE_ANSWERED:
		r = oomn_bus_candidate_answered_read(m, &d);
		*ev = (struct format_bus_event){ .pid = d.pid, .freed = d.freed,
			.checkpointed = d.checkpointed };
		break;
	case FORMAT_BUS_KILLED:
	case FORMAT_BUS_REDEEMED: /* Redeemed leaves uid, cgroup, rule and freed 0 */
		r = sig->kind == FORMAT_BUS_KILLED ? oomn_bus_killed_read(m, &o)
						   : oomn_bus_redeemed_read(m, &o);
		*ev = (struct format_bus_event){ .pid = o.pid, .comm = o.comm, .uid = o.uid,
			.cgroup = o.cgroup, .rule = o.rule, .freed = o.freed, .reason = o.reason };
		break;
	default:
		r = -EINVAL;
	}
	ev->kind = sig->kind;
	return r;
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

static int on_signal(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct bwatch *w = userdata;
	const struct cli_signal *sig = cli_signal_find(sd_bus_message_get_member(m));
	struct format_bus_event ev;

	if (!sig)
		return 0;
	if (read_signal(m, sig, &ev) < 0) {
		fprintf(stderr, "oom-notify: dropped a malformed %s signal\n", sig->member);
		return 0;
	}
	if (watch_wants(w, &ev))
		watch_print(w, &ev);
	return 0;
}

static int on_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct bwatch *w = userdata;
	const char *name, *old_owner, *new_owner;

	if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) < 0 ||
	    strcmp(name, OOMN_BUS_NAME) != 0)
		return 0;
	if (!*new_owner) {
		if (w->broker_present)
			watch_notice(w, "broker-gone",
				     "oom-notifyd left the bus; waiting for it to come back");
		w->broker_present = false;
		w->state_slot = sd_bus_slot_unref(w->state_slot);
		w->kills_slot = sd_bus_slot_unref(w->kills_slot);
		return 0;
	}
	/* a new broker counts its signal_seq from the start */
	if (!w->broker_present)
		watch_notice(w, "broker-back", "oom-notifyd is back");
	w->broker_present = true;
	w->have_signal_seq = false;
	request_kills(w);
	(void)request_state(w);
	return 0;
}

static int on_disconnected(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct bwatch *w = userdata;

	fflush(stdout);
	fprintf(stderr, "oom-notify: the bus connection was lost\n");
	/* not sd_bus_get_event(): the closing bus has left the loop already */
	return sd_event_exit(w->event, CLI_EXIT_FAILURE);
}

static int add_matches(struct bwatch *w)
{
	int r;

	r = sd_bus_match_signal(w->bus, NULL, "org.freedesktop.DBus.Local",
				"/org/freedesktop/DBus/Local", "org.freedesktop.DBus.Local",
				"Disconnected", on_disconnected, w);
	if (r < 0)
		return r;
	r = sd_bus_add_match(w->bus, NULL, OOMN_BUS_OWNER_MATCH, on_owner_changed, w);
	if (r < 0)
		return r;
	/* Only what was asked for: the bus sends us nothing else. */
	for (size_t i = 0; i < cli_n_signals; i++) {
		if (!(w->o->events & cli_signals[i].events))
			continue;
		r = sd_bus_match_signal(w->bus, NULL, OOMN_BUS_NAME, OOMN_BUS_PATH,
					OOMN_BUS_INTERFACE, cli_signals[i].member, on_signal, w);
		if (r < 0)
			return r;
	}
	return 0;
}

int cli_broker_watch(const struct cli_opts *o)
{
	_cleanup_(sd_event_unrefp) sd_event *e = NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *state = NULL;
	_cleanup_(sd_bus_error_free) sd_bus_error err = SD_BUS_ERROR_NULL;
	struct bwatch w = { .o = o };
	struct format_bus_event st;
	int r, code;

	r = connect_bus(o, &w.bus);
	if (r < 0)
		return connect_exit_code(r);

	r = cli_event_new(&e);
	if (r < 0)
		goto fail;
	w.event = e;
	r = sd_bus_attach_event(w.bus, e, SD_EVENT_PRIORITY_NORMAL);
	if (r < 0)
		goto fail;

	/* Subscribed first, then the state: nothing can fall in between. */
	r = add_matches(&w);
	if (r < 0) {
		fprintf(stderr, "oom-notify: cannot subscribe to the broker's signals: %s\n",
			strerror(-r));
		/* a refused connection shows only now: the same code as status */
		code = connect_exit_code(r);
		goto out;
	}
	r = call_broker(w.bus, OOMN_BUS_GET_STATE, &err, &state);
	if (r < 0) {
		code = report_call_error(OOMN_BUS_GET_STATE, &err, r);
		goto out;
	}
	if (read_state(state, &st) < 0) {
		fprintf(stderr, "oom-notify: the broker's state is malformed\n");
		code = CLI_EXIT_FAILURE;
		goto out;
	}
	/* Before the state line: a kill after it is then one we are sent. */
	if (watch_wants_kills(&w)) {
		sd_bus_error_free(&err);
		r = call_broker(w.bus, OOMN_BUS_WATCH_KILLS, &err, NULL);
	}
	w.broker_present = true;
	w.have_signal_seq = true;
	w.signal_seq = st.signal_seq;
	watch_print(&w, &st);
	/* the note, if any, after the first line */
	if (watch_wants_kills(&w))
		watch_kills_result(&w, &err, r);

	r = sd_event_loop(e);
	code = r < 0 ? CLI_EXIT_FAILURE : r;
	goto out;
fail:
	fprintf(stderr, "oom-notify: event loop: %s\n", strerror(-r));
	code = CLI_EXIT_FAILURE;
out:
	fflush(stdout);
	sd_bus_slot_unref(w.state_slot);
	sd_bus_slot_unref(w.kills_slot);
	sd_bus_flush_close_unref(w.bus);
	return code;
}
