/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The client object, shared by client.c (connection, following the broker),
 * client-calls.c (methods) and client-events.c (what monitors read: events,
 * state, clients, kill watching).
 */
#pragma once

#include <systemd/sd-bus.h>

#include "oom-notify.h"
#include "oomn-bus-codec.h" /* the bus contract: linked in, none of it exported */

/* OOMN_EVENT_STATE .. OOMN_EVENT_REDEEMED */
#define CLIENT_N_EVENT_KINDS 8

struct OomnClient {
	unsigned n_ref;
	sd_bus *bus;
	sd_bus_slot *owner_slot, *pressure_slot, *pending_slot, *disconnect_slot;
	sd_bus_slot *state_call, *register_call, *kills_call; /* asynchronous calls in flight */
	/* oomn_client_subscribe()'s matches, by the kind's bit number (PressureChanged's is pressure_slot) */
	sd_bus_slot *event_slots[CLIENT_N_EVENT_KINDS];
	sd_bus_message *state_reply; /* oomn_client_get_state()'s strings point into it */

	char *broker; /* the broker's unique name; NULL while it is not running */
	int level;    /* OomnLevel, -ENOTCONN (no broker), -ENODATA (not known yet) */

	/* what the application asked for: sent again when the broker restarts */
	bool want_registered;
	unsigned band, flags;
	bool want_kills;

	unsigned events; /* OomnEventKind bits subscribed to */
	OomnEventFn on_event;
	void *event_data;
	OomnErrorFn on_error;
	void *error_data;
	OomnDisconnectFn on_disconnect;
	void *disconnect_data;

	OomnPressureFn on_pressure;
	void *pressure_data;
	OomnKillPendingFn on_kill_pending;
	void *kill_pending_data;
	OomnBrokerFn on_broker;
	void *broker_data;

	char *error_message;
};

/* Remembers @message as the last error's text and returns @error (negative). */
int client_fail(OomnClient *c, int error, const char *message);

/*
 * @call (a Broker1 method call, from oomn_bus_new_call()), synchronously; a
 * refusal is mapped to an errno and remembered.
 */
int client_call(OomnClient *c, sd_bus_message *call, sd_bus_message **ret_reply);
/* A Broker1 method call to @method without arguments, synchronously, as client_call(). */
int client_call_simple(OomnClient *c, const char *method, sd_bus_message **ret_reply);

/* Sends Register again, without waiting (the broker has just started). */
int client_register_async(OomnClient *c);
/* Reads the level again, without waiting. */
int client_get_state_async(OomnClient *c);

/* Sends WatchKills again, without waiting (the broker has just started). */
int client_watch_kills_async(OomnClient *c);

/* Whether @m was sent by the broker (its unique name now): only its signals count. */
bool client_from_broker(OomnClient *c, sd_bus_message *m);

/* Tells OomnErrorFn, if set, that @member failed with @error (negative). */
void client_report(OomnClient *c, const char *member, int error, const char *message);
/* The same for the error reply @m to an asynchronous call of @member. */
void client_report_reply(OomnClient *c, const char *member, sd_bus_message *m);

/* A PressureChanged and GetState's answer, to the subscriber if it asked for them. */
void client_pressure_event(OomnClient *c, const struct oomn_bus_pressure *p);
void client_state_event(OomnClient *c, const struct oomn_bus_state *st);
