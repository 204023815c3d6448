/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * liboom-notify: the connection, the event-loop integration, and following
 * the broker (its name's owner, its signals). The method calls are in
 * client-calls.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-event.h>

#include "client-internal.h"
#include "client-util.h"
#include "oomn-macro.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(OomnClient *, oomn_client_unref)

/*
 * Only the broker's signals count: the bus policy lets anyone emit a signal,
 * and a forged KillPending or PressureChanged must not move the application.
 */
bool client_from_broker(OomnClient *c, sd_bus_message *m)
{
	const char *sender = sd_bus_message_get_sender(m);

	return c->broker && sender && strcmp(sender, c->broker) == 0;
}

static void broker_gone(OomnClient *c)
{
	if (!c->broker)
		return;
	free(c->broker);
	c->broker = NULL;
	c->level = -ENOTCONN;
	c->state_call = sd_bus_slot_unref(c->state_call);
	c->register_call = sd_bus_slot_unref(c->register_call);
	c->kills_call = sd_bus_slot_unref(c->kills_call);
	if (c->on_broker)
		c->on_broker(c, false, c->broker_data);
}

static int broker_appeared(OomnClient *c, const char *owner)
{
	int r;

	c->broker = strdup(owner);
	if (!c->broker)
		return -ENOMEM;
	c->level = -ENODATA;
	/* a new broker knows nobody: what the application asked for is asked again,
	 * the kill events before the state (a kill after the state is one it is sent) */
	if (c->want_kills && (r = client_watch_kills_async(c)) < 0)
		client_report(c, OOMN_BUS_WATCH_KILLS, r, NULL);
	if ((r = client_get_state_async(c)) < 0)
		client_report(c, OOMN_BUS_GET_STATE, r, NULL);
	if (c->want_registered && (r = client_register_async(c)) < 0)
		client_report(c, OOMN_BUS_REGISTER, r, NULL);
	if (c->on_broker)
		c->on_broker(c, true, c->broker_data);
	return 0;
}

static int on_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	OomnClient *c = userdata;
	const char *name, *old_owner, *new_owner;

	if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) < 0 ||
	    strcmp(name, OOMN_BUS_NAME) != 0)
		return 0;
	/* a broker replaced by another is gone first, then back */
	broker_gone(c);
	if (*new_owner)
		return broker_appeared(c, new_owner);
	return 0;
}

static int on_disconnected(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	OomnClient *c = userdata;

	if (c->on_disconnect)
		c->on_disconnect(c, c->disconnect_data);
	broker_gone(c);
	return 0;
}

static int on_pressure_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	OomnClient *c = userdata;
	struct oomn_bus_pressure bp;
	int l, p;

	if (!client_from_broker(c, m))
		return 0;
	if (oomn_bus_pressure_read(m, &bp) < 0) {
		if (c->events & OOMN_EVENT_PRESSURE)
			client_report(c, OOMN_BUS_PRESSURE_CHANGED, -EBADMSG, NULL);
		return 0;
	}
	l = client_level_from_string(bp.level);
	p = client_level_from_string(bp.prev_level);
	/* a level newer than this library: the subscriber sees it, the level stays */
	if (l >= 0 && p >= 0) {
		c->level = l;
		if (c->on_pressure)
			c->on_pressure(c, l, p, bp.mem_available, bp.mem_total, bp.signal_seq,
				       c->pressure_data);
	}
	client_pressure_event(c, &bp);
	return 0;
}

static int on_kill_pending(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	OomnClient *c = userdata;
	struct oomn_bus_kill_pending k;

	if (!client_from_broker(c, m))
		return 0;
	if (oomn_bus_kill_pending_read(m, &k) < 0)
		return 0;
	if (c->on_kill_pending)
		c->on_kill_pending(c, k.deadline_msec, k.deadline_boottime_usec, k.reason,
				   c->kill_pending_data);
	return 0;
}

/* Who runs the broker now; NULL in *ret if nobody. */
static int broker_owner(OomnClient *c, char **ret)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	const char *owner;
	int r;

	*ret = NULL;
	r = sd_bus_call_method(c->bus, OOMN_DBUS_NAME, OOMN_DBUS_PATH, OOMN_DBUS_INTERFACE,
			       "GetNameOwner", &error, &reply, "s", OOMN_BUS_NAME);
	if (r < 0)
		return sd_bus_error_has_name(&error, "org.freedesktop.DBus.Error.NameHasNoOwner")
			       ? 0
			       : client_fail(c, r, error.message);
	r = sd_bus_message_read(reply, "s", &owner);
	if (r < 0)
		return r;
	*ret = strdup(owner);
	return *ret ? 0 : -ENOMEM;
}

static int client_connect(OomnClient *c, const char *address)
{
	int r;

	if (!address)
		return sd_bus_open_system(&c->bus);
	r = sd_bus_new(&c->bus);
	if (r < 0)
		return r;
	r = sd_bus_set_address(c->bus, address);
	if (r < 0)
		return r;
	r = sd_bus_set_bus_client(c->bus, 1);
	if (r < 0)
		return r;
	return sd_bus_start(c->bus);
}

int oomn_client_new(OomnClient **ret, const char *bus_address)
{
	_cleanup_(oomn_client_unrefp) OomnClient *c = NULL;
	_cleanup_free_ char *owner = NULL;
	int r;

	if (!ret)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->n_ref = 1;
	c->level = -ENOTCONN;

	r = client_connect(c, bus_address);
	if (r < 0)
		return r;
	(void)sd_bus_set_description(c->bus, "liboom-notify");

	/* The matches first, then the owner: no change falls in between. */
	r = sd_bus_add_match(c->bus, &c->owner_slot, OOMN_BUS_OWNER_MATCH, on_owner_changed, c);
	if (r < 0)
		return r;
	r = sd_bus_match_signal(c->bus, &c->pressure_slot, NULL, OOMN_BUS_PATH, OOMN_BUS_INTERFACE,
				OOMN_BUS_PRESSURE_CHANGED, on_pressure_changed, c);
	if (r < 0)
		return r;
	r = sd_bus_match_signal(c->bus, &c->pending_slot, NULL, OOMN_BUS_PATH, OOMN_BUS_INTERFACE,
				OOMN_BUS_KILL_PENDING, on_kill_pending, c);
	if (r < 0)
		return r;
	/* sd-bus's own signal when the connection is lost; no match is sent for it */
	r = sd_bus_match_signal(c->bus, &c->disconnect_slot, "org.freedesktop.DBus.Local",
				"/org/freedesktop/DBus/Local", "org.freedesktop.DBus.Local",
				"Disconnected", on_disconnected, c);
	if (r < 0)
		return r;

	r = broker_owner(c, &owner);
	if (r < 0)
		return r;
	if (owner) {
		_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
		struct oomn_bus_state st;

		c->broker = TAKE_PTR(owner);
		c->level = -ENODATA;
		r = client_call_simple(c, OOMN_BUS_GET_STATE, &reply);
		if (r >= 0 && oomn_bus_state_read(reply, &st) >= 0)
			c->level = client_level_from_string(st.level) >= 0
					   ? client_level_from_string(st.level)
					   : -ENODATA;
		/* it may have gone meanwhile: NameOwnerChanged will tell */
	}
	*ret = TAKE_PTR(c);
	return 0;
}

OomnClient *oomn_client_ref(OomnClient *c)
{
	if (c)
		c->n_ref++;
	return c;
}

OomnClient *oomn_client_unref(OomnClient *c)
{
	if (!c || --c->n_ref > 0)
		return NULL;
	sd_bus_slot_unref(c->owner_slot);
	sd_bus_slot_unref(c->pressure_slot);
	sd_bus_slot_unref(c->pending_slot);
	sd_bus_slot_unref(c->disconnect_slot);
	sd_bus_slot_unref(c->state_call);
	sd_bus_slot_unref(c->register_call);
	sd_bus_slot_unref(c->kills_call);
	for (unsigned i = 0; i < CLIENT_N_EVENT_KINDS; i++)
		sd_bus_slot_unref(c->event_slots[i]);
	sd_bus_message_unref(c->state_reply);
	if (c->bus) {
		(void)sd_bus_detach_event(c->bus);
		sd_bus_flush_close_unref(c->bus);
	}
	free(c->broker);
	free(c->error_message);
	free(c);
	return NULL;
}

/* The callbacks' setters: NULL @c does nothing. */
#define DEFINE_CALLBACK_SETTER(name, type, field)                                            \
	void oomn_client_on_##name(OomnClient *c, type fn, void *userdata)                   \
	{                                                                                     \
		if (!c)                                                                       \
			return;                                                                \
		c->on_##field = fn;                                                          \
		c->field##_data = userdata;                                                  \
	}

DEFINE_CALLBACK_SETTER(pressure, OomnPressureFn, pressure)
DEFINE_CALLBACK_SETTER(kill_pending, OomnKillPendingFn, kill_pending)
DEFINE_CALLBACK_SETTER(broker, OomnBrokerFn, broker)
DEFINE_CALLBACK_SETTER(error, OomnErrorFn, error)
DEFINE_CALLBACK_SETTER(disconnect, OomnDisconnectFn, disconnect)

int oomn_client_get_fd(OomnClient *c)
{
	return c ? sd_bus_get_fd(c->bus) : -EINVAL;
}

int oomn_client_get_events(OomnClient *c)
{
	return c ? sd_bus_get_events(c->bus) : -EINVAL;
}

int oomn_client_get_timeout(OomnClient *c, uint64_t *ret_usec)
{
	if (!c || !ret_usec)
		return -EINVAL;
	return sd_bus_get_timeout(c->bus, ret_usec);
}

int oomn_client_process(OomnClient *c)
{
	_cleanup_(oomn_client_unrefp) OomnClient *hold = NULL;
	int r;

	if (!c)
		return -EINVAL;
	/* a callback may drop the application's reference */
	hold = oomn_client_ref(c);
	/* all of it: what is already read leaves the fd quiet */
	do
		r = sd_bus_process(c->bus, NULL);
	while (r > 0);
	return r;
}

int oomn_client_attach_event(OomnClient *c, sd_event *event, int priority)
{
	if (!c)
		return -EINVAL;
	if (sd_bus_get_event(c->bus))
		return -EBUSY;
	return sd_bus_attach_event(c->bus, event, priority);
}

int oomn_client_get_level(OomnClient *c)
{
	if (!c)
		return -EINVAL;
	return c->broker ? c->level : -ENOTCONN;
}

bool oomn_client_broker_present(OomnClient *c)
{
	return c && c->broker;
}

const char *oomn_client_get_error_message(OomnClient *c)
{
	return c && c->error_message ? c->error_message : "";
}
