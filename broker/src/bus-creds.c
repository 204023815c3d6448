/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The caller's identity, from the bus, without blocking the event loop.
 *
 * sd_bus_query_sender_creds() on a dbus-daemon connection is a synchronous
 * GetConnectionCredentials round trip: a slow bus daemon, or a burst of
 * registrations, would stall every event behind it. Here the method handler
 * keeps the call, asks the bus asynchronously, and the handler proper runs
 * (and replies) when the bus answers. The identity still comes only from
 * the bus: UnixUserID and ProcessID of the caller's connection.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oomn-log.h"
#include "manager.h"
#include "oomn-fileio.h"

/* A bound on calls waiting for the bus, so a flood cannot grow us without
 * limit; more get LimitsExceeded. */
#define BUS_CREDS_PENDING_MAX 4096u
/* As long as sd-bus would wait for a method reply by default. */
#define BUS_CREDS_TIMEOUT_USEC (25u * 1000000u)

typedef struct BusCredsQuery {
	Manager *m;
	sd_bus_message *call; /* the caller's method call, answered later */
	bus_identity_handler_t handler;
} BusCredsQuery;

static void bus_creds_query_destroy(void *userdata)
{
	BusCredsQuery *q = userdata;

	q->m->creds_pending--;
	bus_watch_end(q->m, sd_bus_message_get_sender(q->call));
	sd_bus_message_unref(q->call);
	free(q);
}

/* comm as sd-bus's SD_BUS_CREDS_AUGMENT got it: from the pid the bus named.
 * Always the real /proc, since the pid is a real one (--proc-root only
 * moves where pressure is read). Only for display: "" when it is gone. */
static void bus_creds_read_comm(uint32_t pid, char *comm)
{
	char path[64], buf[64];
	size_t n;

	comm[0] = '\0';
	(void)snprintf(path, sizeof(path), "/proc/%" PRIu32 "/comm", pid);
	if (oomn_read_text(path, buf, sizeof(buf)) < 0)
		return;
	n = strcspn(buf, "\n");
	if (n > OOMN_REGISTRY_COMM_MAX)
		n = OOMN_REGISTRY_COMM_MAX;
	memcpy(comm, buf, n);
	comm[n] = '\0';
}

/* The reply to GetConnectionCredentials: a{sv} with UnixUserID and ProcessID. */
static int bus_creds_parse(sd_bus_message *reply, struct bus_identity *id, sd_bus_error *error)
{
	const sd_bus_error *e = sd_bus_message_get_error(reply);
	bool have_pid = false, have_uid = false;
	int r;

	if (e) {
		int err = sd_bus_error_get_errno(e);

		return sd_bus_error_set_errnof(error, err > 0 ? err : EIO,
					       "Cannot get the caller's credentials: %s",
					       e->message ? e->message : e->name);
	}

	r = sd_bus_message_enter_container(reply, 'a', "{sv}");
	while (r > 0 && (r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
		const char *key;

		r = sd_bus_message_read(reply, "s", &key);
		if (r < 0)
			break;
		if (strcmp(key, "UnixUserID") == 0) {
			r = sd_bus_message_read(reply, "v", "u", &id->uid);
			have_uid = r >= 0;
		} else if (strcmp(key, "ProcessID") == 0) {
			r = sd_bus_message_read(reply, "v", "u", &id->pid);
			have_pid = r >= 0;
		} else
			r = sd_bus_message_skip(reply, "v");
		if (r >= 0)
			r = sd_bus_message_exit_container(reply);
		if (r >= 0)
			r = 1;
	}
	if (r < 0) {
		log_warning_errno(r, "Malformed GetConnectionCredentials reply: %m");
		return sd_bus_error_set_errnof(error, -r,
					       "Cannot get the caller's credentials: %m");
	}
	if (!have_pid || !have_uid)
		return sd_bus_error_set_errnof(error, ENODATA,
					       "The bus did not tell the caller's pid and uid");
	bus_creds_read_comm(id->pid, id->comm);
	return 0;
}

static int bus_creds_on_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
	BusCredsQuery *q = userdata;
	sd_bus_error error = SD_BUS_ERROR_NULL;
	struct bus_identity id = { 0 };
	int r;

	r = bus_creds_parse(reply, &id, &error);
	if (r >= 0)
		r = q->handler(q->call, q->m, &id, &error);
	if (r < 0 || sd_bus_error_is_set(&error)) {
		/* As sd-bus does for a handler that fails: the error, or the errno's. */
		r = sd_bus_reply_method_errno(q->call, r < 0 ? r : -EIO, &error);
		if (r < 0)
			log_warning_errno(r, "Failed to send an error reply to %s: %m",
					  sd_bus_message_get_sender(q->call));
	}
	sd_bus_error_free(&error);
	return 0;
}

int bus_creds_query(Manager *m, sd_bus_message *call, bus_identity_handler_t handler,
		    sd_bus_error *error)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *req = NULL;
	sd_bus_slot *slot = NULL;
	BusCredsQuery *q;
	int r;

	if (m->creds_pending >= BUS_CREDS_PENDING_MAX) {
		unsigned more;

		if (bus_log_allowed(m, LOG_LIMIT_UID_UNKNOWN, &more))
			log_warning("%u calls wait for credentials already, refusing %s from %s "
				    "(%u such lines held back before)",
				    BUS_CREDS_PENDING_MAX, sd_bus_message_get_member(call),
				    sd_bus_message_get_sender(call), more);
		return sd_bus_error_set(error, OOMN_ERROR_LIMITS_EXCEEDED,
					"Too many calls in progress, try again");
	}

	r = sd_bus_message_new_method_call(m->bus, &req, "org.freedesktop.DBus",
					   "/org/freedesktop/DBus", "org.freedesktop.DBus",
					   "GetConnectionCredentials");
	if (r >= 0)
		r = sd_bus_message_append(req, "s", sd_bus_message_get_sender(call));
	if (r < 0)
		return sd_bus_error_set_errnof(error, -r,
					       "Cannot ask for the caller's credentials: %m");

	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	/* Before the query: the caller's leaving is then seen, or the query fails. */
	r = bus_watch_begin(m, sd_bus_message_get_sender(call));
	if (r < 0) {
		free(q);
		return sd_bus_error_set_errnof(error, -r, "Cannot watch the caller: %m");
	}
	q->m = m;
	q->call = sd_bus_message_ref(call);
	q->handler = handler;

	r = sd_bus_call_async(m->bus, &slot, req, bus_creds_on_reply, q, BUS_CREDS_TIMEOUT_USEC);
	if (r < 0) {
		bus_watch_end(m, sd_bus_message_get_sender(call));
		sd_bus_message_unref(q->call);
		free(q);
		return sd_bus_error_set_errnof(error, -r,
					       "Cannot ask for the caller's credentials: %m");
	}
	/* The bus owns the slot; q goes with it, after the reply or on close. */
	m->creds_pending++;
	(void)sd_bus_slot_set_destroy_callback(slot, bus_creds_query_destroy);
	(void)sd_bus_slot_set_floating(slot, 1);
	sd_bus_slot_unref(slot);

	/* Answered from bus_creds_on_reply(). */
	return 1;
}
