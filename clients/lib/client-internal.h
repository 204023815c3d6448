/* SPDX-License-Identifier: GPL-2.0-only */
/* The client object, shared by client.c (connection, signals) and client-calls.c (methods). */
#pragma once

#include <systemd/sd-bus.h>

#include "oom-notify.h"
#include "oomn-bus-codec.h" /* the bus contract: linked in, none of it exported */

struct OomnClient {
	unsigned n_ref;
	sd_bus *bus;
	sd_bus_slot *owner_slot, *pressure_slot, *pending_slot, *disconnect_slot;
	sd_bus_slot *state_call, *register_call; /* asynchronous calls in flight */

	char *broker; /* the broker's unique name; NULL while it is not running */
	int level;    /* OomnLevel, -ENOTCONN (no broker), -ENODATA (not known yet) */

	/* what the application asked for: sent again when the broker restarts */
	bool want_registered;
	unsigned band, flags;

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
