/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * liboom-notify for monitors: every signal of the broker's as an OomnEvent,
 * its state, the registered clients, and the kill events (WatchKills).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "client-internal.h"
#include "client-util.h"
#include "oomn-macro.h"

void client_report(OomnClient *c, const char *member, int error, const char *message)
{
	if (c->on_error)
		c->on_error(c, member, error, message ? message : strerror(-error), c->error_data);
}

void client_report_reply(OomnClient *c, const char *member, sd_bus_message *m)
{
	const sd_bus_error *e = sd_bus_message_get_error(m);
	int mapped = e ? client_errno_from_error_name(e->name) : 0;

	client_report(c, member, mapped ? -mapped : -sd_bus_message_get_errno(m),
		      e ? e->message : NULL);
}

void client_pressure_event(OomnClient *c, const struct oomn_bus_pressure *p)
{
	const OomnEvent ev = { .kind = OOMN_EVENT_PRESSURE, .level = p->level,
		.prev_level = p->prev_level, .source = p->source, .signal_seq = p->signal_seq,
		.mem_total = p->mem_total, .mem_available = p->mem_available,
		.swap_total = p->swap_total, .swap_free = p->swap_free,
		.timestamp_ns = p->timestamp_ns };

	if ((c->events & OOMN_EVENT_PRESSURE) && c->on_event)
		c->on_event(c, &ev, c->event_data);
}

static OomnEvent state_event(const struct oomn_bus_state *st)
{
	return (OomnEvent){ .kind = OOMN_EVENT_STATE, .level = st->level, .source = st->source,
		.signal_seq = st->signal_seq, .mem_total = st->mem_total,
		.mem_available = st->mem_available, .swap_total = st->swap_total,
		.swap_free = st->swap_free, .timestamp_ns = st->timestamp_ns };
}

void client_state_event(OomnClient *c, const struct oomn_bus_state *st)
{
	const OomnEvent ev = state_event(st);

	if ((c->events & OOMN_EVENT_STATE) && c->on_event)
		c->on_event(c, &ev, c->event_data);
}

/* The signals other than PressureChanged (client.c's, always matched): read into *ev. */

static int read_CGROUP_PRESSURE_CHANGED(sd_bus_message *m, OomnEvent *ev)
{
	struct oomn_bus_cgroup_pressure p;
	int r = oomn_bus_cgroup_pressure_read(m, &p);

	*ev = (OomnEvent){ .cgroup = p.cgroup, .level = p.level, .prev_level = p.prev_level,
		.timestamp_ns = p.timestamp_ns };
	return r;
}

static int read_KERNEL_OOM_KILL(sd_bus_message *m, OomnEvent *ev)
{
	struct oomn_bus_oom_kill k;
	int r = oomn_bus_oom_kill_read(m, &k);

	*ev = (OomnEvent){ .pid = k.pid, .comm = k.comm, .uid = k.uid, .cgroup = k.cgroup,
		.anon_rss = k.anon_rss, .oom_seq = k.oom_seq };
	return r;
}

static int read_KILL_ANNOUNCED(sd_bus_message *m, OomnEvent *ev)
{
	struct oomn_bus_kill_announced a;
	int r = oomn_bus_kill_announced_read(m, &a);

	*ev = (OomnEvent){ .pid = a.pid, .comm = a.comm, .deadline_msec = a.deadline_msec,
		.deadline_boottime_usec = a.deadline_boottime_usec, .reason = a.reason };
	return r;
}

static int read_CANDIDATE_ANSWERED(sd_bus_message *m, OomnEvent *ev)
{
	struct oomn_bus_answer a;
	int r = oomn_bus_candidate_answered_read(m, &a);

	*ev = (OomnEvent){ .pid = a.pid, .freed = a.freed, .checkpointed = a.checkpointed };
	return r;
}

static OomnEvent outcome_event(const struct oomn_bus_outcome *o)
{
	return (OomnEvent){ .pid = o->pid, .comm = o->comm, .uid = o->uid, .cgroup = o->cgroup,
		.rule = o->rule, .freed = o->freed, .reason = o->reason };
}

static int read_KILLED(sd_bus_message *m, OomnEvent *ev)
{
	struct oomn_bus_outcome o;
	int r = oomn_bus_killed_read(m, &o);

	*ev = outcome_event(&o);
	return r;
}

/* Redeemed leaves uid, cgroup, rule and freed 0 */
static int read_REDEEMED(sd_bus_message *m, OomnEvent *ev)
{
	struct oomn_bus_outcome o;
	int r = oomn_bus_redeemed_read(m, &o);

	*ev = outcome_event(&o);
	return r;
}

struct client_signal {
	OomnEventKind kind;
	const char *member;
	int (*read)(sd_bus_message *m, OomnEvent *ev);
};

/* The event kind, the bus member and the reader of each, by one name. */
#define SIGNAL(name, member) { OOMN_EVENT_##name, OOMN_BUS_##member, read_##member }
static const struct client_signal signals[] = {
	SIGNAL(CGROUP_PRESSURE, CGROUP_PRESSURE_CHANGED), SIGNAL(KERNEL_OOM_KILL, KERNEL_OOM_KILL),
	SIGNAL(KILL_ANNOUNCED, KILL_ANNOUNCED), SIGNAL(CANDIDATE_ANSWERED, CANDIDATE_ANSWERED),
	SIGNAL(KILLED, KILLED), SIGNAL(REDEEMED, REDEEMED),
};
#undef SIGNAL

static int on_signal(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	OomnClient *c = userdata;
	const char *member = sd_bus_message_get_member(m);
	OomnEvent ev;

	if (!client_from_broker(c, m) || !member)
		return 0;
	for (size_t i = 0; i < ELEMENTSOF(signals); i++) {
		if (strcmp(member, signals[i].member) != 0 || !(c->events & signals[i].kind))
			continue;
		if (signals[i].read(m, &ev) < 0) {
			client_report(c, member, -EBADMSG, NULL);
			return 0;
		}
		ev.kind = signals[i].kind;
		if (c->on_event)
			c->on_event(c, &ev, c->event_data);
		return 0;
	}
	return 0;
}

/* The slot for @kind's match (a single bit). */
static sd_bus_slot **event_slot(OomnClient *c, OomnEventKind kind)
{
	return &c->event_slots[__builtin_ctz(kind)];
}

int oomn_client_subscribe(OomnClient *c, unsigned events, OomnEventFn fn, void *userdata)
{
	int r;

	if (!c)
		return -EINVAL;
	if (events & ~OOMN_EVENTS_ALL)
		return client_fail(c, -EINVAL, "unknown events");
	/* Only what is asked for: the bus sends nothing else. */
	for (size_t i = 0; i < ELEMENTSOF(signals); i++) {
		sd_bus_slot **slot = event_slot(c, signals[i].kind);

		if (!(events & signals[i].kind)) {
			*slot = sd_bus_slot_unref(*slot);
			continue;
		}
		if (*slot)
			continue;
		r = sd_bus_match_signal(c->bus, slot, NULL, OOMN_BUS_PATH, OOMN_BUS_INTERFACE,
					signals[i].member, on_signal, c);
		if (r < 0)
			return client_fail(c, r, NULL);
	}
	c->events = events;
	c->on_event = fn;
	c->event_data = userdata;
	return 0;
}

/* @method without arguments, to the broker if it runs (else -ENOTCONN), synchronously. */
static int call_broker(OomnClient *c, const char *method, sd_bus_message **ret_reply)
{
	if (!c->broker)
		return client_fail(c, -ENOTCONN, "the broker is not running");
	return client_call_simple(c, method, ret_reply);
}

int oomn_client_get_state(OomnClient *c, OomnEvent *ret)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	struct oomn_bus_state st;
	int r, l;

	if (!c || !ret)
		return -EINVAL;
	r = call_broker(c, OOMN_BUS_GET_STATE, &reply);
	if (r < 0)
		return r;
	if (oomn_bus_state_read(reply, &st) < 0)
		return client_fail(c, -EBADMSG, "the broker's state is malformed");
	l = client_level_from_string(st.level);
	if (l >= 0 && c->level == -ENODATA)
		c->level = l;
	*ret = state_event(&st);
	sd_bus_message_unref(c->state_reply);
	c->state_reply = TAKE_PTR(reply);
	return 0;
}

/* @s copied to *@at, which moves past it. */
static const char *copy_string(char **at, const char *s)
{
	size_t n = strlen(s ?: "") + 1;
	char *p = memcpy(*at, s ?: "", n);

	*at += n;
	return p;
}

/* ListClients' @reply into one malloc'ed block in *@ret: the entries, then their strings. */
static int clients_copy(OomnClient *c, sd_bus_message *reply, OomnClientInfo **ret, size_t *ret_n)
{
	_cleanup_free_ struct oomn_bus_client *list = NULL;
	OomnClientInfo *out;
	size_t n = 0, size;
	char *at;

	if (oomn_bus_clients_read(reply, &list, &n) < 0)
		return client_fail(c, -EBADMSG, "the broker's list of clients is malformed");
	*ret = NULL;
	*ret_n = 0;
	if (n == 0)
		return 0;
	size = n * sizeof(*out);
	for (size_t i = 0; i < n; i++)
		size += strlen(list[i].bus_name ?: "") + strlen(list[i].comm ?: "") + 2;
	out = malloc(size);
	if (!out)
		return client_fail(c, -ENOMEM, NULL);
	at = (char *)(out + n);
	for (size_t i = 0; i < n; i++)
		out[i] = (OomnClientInfo){ .id = list[i].id, .pid = list[i].pid, .uid = list[i].uid,
			.bus_name = copy_string(&at, list[i].bus_name),
			.comm = copy_string(&at, list[i].comm), .band = list[i].band,
			.flags = list[i].flags };
	*ret = out;
	*ret_n = n;
	return 0;
}

int oomn_client_list_clients(OomnClient *c, OomnClientInfo **ret, size_t *ret_n)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	int r;

	if (!c || !ret || !ret_n)
		return -EINVAL;
	r = call_broker(c, OOMN_BUS_LIST_CLIENTS, &reply);
	return r < 0 ? r : clients_copy(c, reply, ret, ret_n);
}

int oomn_client_watch_kills(OomnClient *c)
{
	int r;

	if (!c)
		return -EINVAL;
	c->want_kills = true;
	r = call_broker(c, OOMN_BUS_WATCH_KILLS, NULL);
	/* refused: nothing to ask again; gone meanwhile: ask when it is back */
	if (r < 0 && r != -ENOTCONN)
		c->want_kills = false;
	return r;
}

int oomn_client_unwatch_kills(OomnClient *c)
{
	if (!c)
		return -EINVAL;
	c->want_kills = false;
	c->kills_call = sd_bus_slot_unref(c->kills_call);
	return call_broker(c, OOMN_BUS_UNWATCH_KILLS, NULL);
}

static int on_watch_kills_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	OomnClient *c = userdata;

	c->kills_call = sd_bus_slot_unref(c->kills_call);
	if (sd_bus_message_is_method_error(m, NULL))
		client_report_reply(c, OOMN_BUS_WATCH_KILLS, m);
	return 0;
}

int client_watch_kills_async(OomnClient *c)
{
	c->kills_call = sd_bus_slot_unref(c->kills_call);
	return sd_bus_call_method_async(c->bus, &c->kills_call, OOMN_BUS_NAME, OOMN_BUS_PATH,
					OOMN_BUS_INTERFACE, OOMN_BUS_WATCH_KILLS,
					on_watch_kills_reply, c, NULL);
}
