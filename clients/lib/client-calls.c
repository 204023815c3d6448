/* SPDX-License-Identifier: GPL-2.0-only */
/* liboom-notify: the Broker1 methods an application calls. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "client-internal.h"
#include "client-util.h"
#include "oomn-macro.h"

#define FLAGS_KNOWN (OOMN_CLIENT_CAN_FREE | OOMN_CLIENT_CAN_CHECKPOINT)

int client_fail(OomnClient *c, int error, const char *message)
{
	char *m = strdup(message ? message : strerror(-error));

	if (m) {
		free(c->error_message);
		c->error_message = m;
	}
	return error;
}

int client_call(OomnClient *c, const char *method, sd_bus_message **ret_reply, const char *types,
		...)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
	va_list ap;
	int r, mapped;

	r = sd_bus_message_new_method_call(c->bus, &m, BROKER_NAME, BROKER_PATH, BROKER_IFACE,
					   method);
	if (r < 0)
		return r;
	if (types) {
		va_start(ap, types);
		r = sd_bus_message_appendv(m, types, ap);
		va_end(ap);
		if (r < 0)
			return r;
	}
	r = sd_bus_call(c->bus, m, 0, &error, ret_reply);
	if (r >= 0)
		return 0;
	mapped = client_errno_from_error_name(error.name);
	return client_fail(c, mapped ? -mapped : r, error.message);
}

int oomn_client_register(OomnClient *c, unsigned band, unsigned flags, uint64_t *ret_id)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	uint64_t id;
	int r;

	if (!c)
		return -EINVAL;
	if (band > 100)
		return client_fail(c, -EINVAL, "band is 0..100");
	if (flags & ~FLAGS_KNOWN)
		return client_fail(c, -EINVAL, "unknown flags");
	c->want_registered = true;
	c->band = band;
	c->flags = flags;
	if (!c->broker)
		return client_fail(c, -ENOTCONN, "the broker is not running");
	r = client_call(c, "Register", &reply, "uu", band, flags);
	if (r < 0) {
		/* refused: nothing to repeat later; gone meanwhile: register when it is back */
		if (r != -ENOTCONN)
			c->want_registered = false;
		return r;
	}
	r = sd_bus_message_read(reply, "t", &id);
	if (r < 0)
		return r;
	if (ret_id)
		*ret_id = id;
	return 0;
}

int oomn_client_unregister(OomnClient *c)
{
	bool was;

	if (!c)
		return -EINVAL;
	was = c->want_registered;
	c->want_registered = false;
	c->register_call = sd_bus_slot_unref(c->register_call);
	if (!c->broker)
		return client_fail(c, was ? -ENOTCONN : -ENOENT, "the broker is not running");
	return client_call(c, "Unregister", NULL, NULL);
}

int oomn_client_relieved(OomnClient *c, uint64_t freed_bytes, bool checkpointed)
{
	if (!c)
		return -EINVAL;
	if (!c->broker)
		return client_fail(c, -ENOTCONN, "the broker is not running");
	return client_call(c, "Relieved", NULL, "tb", freed_bytes, (int)checkpointed);
}

static int on_register_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	OomnClient *c = userdata;
	const sd_bus_error *e = sd_bus_message_get_error(m);

	c->register_call = sd_bus_slot_unref(c->register_call);
	if (e)
		(void)client_fail(c, -EIO, e->message);
	return 0;
}

int client_register_async(OomnClient *c)
{
	c->register_call = sd_bus_slot_unref(c->register_call);
	return sd_bus_call_method_async(c->bus, &c->register_call, BROKER_NAME, BROKER_PATH,
					BROKER_IFACE, "Register", on_register_reply, c, "uu",
					c->band, c->flags);
}

static int on_state_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	OomnClient *c = userdata;
	const char *level;
	int l;

	c->state_call = sd_bus_slot_unref(c->state_call);
	if (sd_bus_message_is_method_error(m, NULL) || sd_bus_message_read(m, "s", &level) < 0)
		return 0;
	l = client_level_from_string(level);
	/* a PressureChanged that came first is newer than this answer */
	if (l >= 0 && c->level == -ENODATA)
		c->level = l;
	return 0;
}

int client_get_state_async(OomnClient *c)
{
	c->state_call = sd_bus_slot_unref(c->state_call);
	return sd_bus_call_method_async(c->bus, &c->state_call, BROKER_NAME, BROKER_PATH,
					BROKER_IFACE, "GetState", on_state_reply, c, NULL);
}
