/* SPDX-License-Identifier: GPL-2.0-only */
/* liboom-notify: the Broker1 methods an application calls. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "client-internal.h"
#include "client-util.h"
#include "oomn-macro.h"


int client_fail(OomnClient *c, int error, const char *message)
{
	char *m = strdup(message ? message : strerror(-error));

	if (m) {
		free(c->error_message);
		c->error_message = m;
	}
	return error;
}

int client_call(OomnClient *c, sd_bus_message *call, sd_bus_message **ret_reply)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	int r, mapped;

	r = sd_bus_call(c->bus, call, 0, &error, ret_reply);
	if (r >= 0)
		return 0;
	mapped = client_errno_from_error_name(error.name);
	return client_fail(c, mapped ? -mapped : r, error.message);
}

int client_call_simple(OomnClient *c, const char *method, sd_bus_message **ret_reply)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
	int r;

	r = oomn_bus_new_call(c->bus, &m, NULL, method);
	if (r < 0)
		return r;
	return client_call(c, m, ret_reply);
}

int oomn_client_register(OomnClient *c, unsigned band, unsigned flags, uint64_t *ret_id)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL, *reply = NULL;
	uint64_t id;
	int r;

	if (!c)
		return -EINVAL;
	if (band > OOMN_BAND_MAX)
		return client_fail(c, -EINVAL, "band is 0..100");
	if (flags & ~OOMN_CLIENT_FLAGS_ALL)
		return client_fail(c, -EINVAL, "unknown flags");
	c->want_registered = true;
	c->band = band;
	c->flags = flags;
	if (!c->broker)
		return client_fail(c, -ENOTCONN, "the broker is not running");
	r = oomn_bus_new_call(c->bus, &call, NULL, OOMN_BUS_REGISTER);
	if (r >= 0)
		r = oomn_bus_register_append(call, band, flags);
	if (r >= 0)
		r = client_call(c, call, &reply);
	if (r < 0) {
		/* refused: nothing to repeat later; gone meanwhile: register when it is back */
		if (r != -ENOTCONN)
			c->want_registered = false;
		return r;
	}
	r = oomn_bus_register_reply_read(reply, &id);
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
	return client_call_simple(c, OOMN_BUS_UNREGISTER, NULL);
}

int oomn_client_relieved(OomnClient *c, uint64_t freed, bool checkpointed)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL;
	const struct oomn_bus_answer a = { .freed = freed, .checkpointed = checkpointed };
	int r;

	if (!c)
		return -EINVAL;
	if (!c->broker)
		return client_fail(c, -ENOTCONN, "the broker is not running");
	r = oomn_bus_new_call(c->bus, &call, NULL, OOMN_BUS_RELIEVED);
	if (r >= 0)
		r = oomn_bus_relieved_append(call, &a);
	if (r < 0)
		return r;
	return client_call(c, call, NULL);
}

static int on_register_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	OomnClient *c = userdata;
	const sd_bus_error *e = sd_bus_message_get_error(m);

	c->register_call = sd_bus_slot_unref(c->register_call);
	if (e) {
		(void)client_fail(c, -EIO, e->message);
		client_report_reply(c, OOMN_BUS_REGISTER, m);
	}
	return 0;
}

int client_register_async(OomnClient *c)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL;
	int r;

	c->register_call = sd_bus_slot_unref(c->register_call);
	r = oomn_bus_new_call(c->bus, &call, NULL, OOMN_BUS_REGISTER);
	if (r >= 0)
		r = oomn_bus_register_append(call, c->band, c->flags);
	if (r < 0)
		return r;
	return sd_bus_call_async(c->bus, &c->register_call, call, on_register_reply, c, 0);
}

static int on_state_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	OomnClient *c = userdata;
	struct oomn_bus_state st;
	int l;

	c->state_call = sd_bus_slot_unref(c->state_call);
	if (sd_bus_message_is_method_error(m, NULL)) {
		client_report_reply(c, OOMN_BUS_GET_STATE, m);
		return 0;
	}
	if (oomn_bus_state_read(m, &st) < 0) {
		client_report(c, OOMN_BUS_GET_STATE, -EBADMSG, NULL);
		return 0;
	}
	l = client_level_from_string(st.level);
	/* a PressureChanged that came first is newer than this answer */
	if (l >= 0 && c->level == -ENODATA)
		c->level = l;
	client_state_event(c, &st);
	return 0;
}

int client_get_state_async(OomnClient *c)
{
	c->state_call = sd_bus_slot_unref(c->state_call);
	return sd_bus_call_method_async(c->bus, &c->state_call, OOMN_BUS_NAME, OOMN_BUS_PATH,
					OOMN_BUS_INTERFACE, OOMN_BUS_GET_STATE, on_state_reply, c,
					NULL);
}
