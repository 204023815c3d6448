/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The killer's side of org.oomnotify.Broker1. Everything here is
 * asynchronous: no call is ever waited for, so a stuck bus, broker or client
 * cannot delay a kill (docs/architecture.md, invariant 3). A lost connection is retried
 * every second; notices meanwhile are skipped and logged. The one exception
 * is start-up, before the event loop and so before any decision: the
 * registered clients are fetched within CLIENTS_START_USEC, so that the
 * first choice already has their bands.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-bus.h>

#include "bus.h"
#include "oomn-bus-codec.h"
#include "oomn-clock.h"
#include "oomn-log.h"
#include "oomn-macro.h"

#define BUS_RECONNECT_USEC (1000 * UINT64_C(1000))
#define CLIENTS_START_USEC (1000 * UINT64_C(1000)) /* start-up waits no longer for the broker */

struct KillerBus {
	sd_event *event;
	const KillerBusHandlers *handlers;
	void *userdata;
	char *address; /* NULL: the system bus */
	sd_bus *bus;
	sd_event_source *reconnect;
	sd_bus_slot *notify_slot;
	pid_t notify_pid;
	sd_bus_slot *clients_slot;
	char *broker_owner; /* the broker's unique name, to trust its CandidateAnswered */
	bool warned_down;
};

static void killer_bus_schedule_reconnect(KillerBus *b);
static void killer_bus_ask_clients(KillerBus *b);
static void killer_bus_fetch_clients_now(KillerBus *b);

static void killer_bus_drop(KillerBus *b)
{
	b->notify_slot = sd_bus_slot_unref(b->notify_slot);
	b->clients_slot = sd_bus_slot_unref(b->clients_slot);
	b->bus = sd_bus_close_unref(b->bus);
	free(b->broker_owner);
	b->broker_owner = NULL;
	b->handlers->on_protected_pid(KILLER_PROTECTED_BROKER, 0, b->userdata);
	/* Without the bus nobody can be told, so nobody can redeem. */
	b->handlers->on_clients(NULL, 0, false, b->userdata);
}

static int killer_bus_on_broker_pid(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	KillerBus *b = userdata;
	uint32_t pid;

	if (sd_bus_message_is_method_error(m, NULL))
		return 0; /* not running (yet): NameOwnerChanged tells when it comes */
	if (sd_bus_message_read(m, "u", &pid) >= 0) {
		b->handlers->on_protected_pid(KILLER_PROTECTED_BROKER, (pid_t)pid, b->userdata);
		log_info("Broker is pid %" PRIu32 ", protected", pid);
	}
	return 0;
}

static int killer_bus_on_bus_pid(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	KillerBus *b = userdata;
	uint32_t pid;

	if (!sd_bus_message_is_method_error(m, NULL) && sd_bus_message_read(m, "u", &pid) >= 0 &&
	    pid > 0) {
		b->handlers->on_protected_pid(KILLER_PROTECTED_BUS, (pid_t)pid, b->userdata);
		log_info("Bus daemon is pid %" PRIu32 ", protected", pid);
	}
	return 0;
}

static int killer_bus_on_broker_owner(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	KillerBus *b = userdata;
	const char *owner;

	if (sd_bus_message_is_method_error(m, NULL) || sd_bus_message_read(m, "s", &owner) < 0)
		return 0;
	if (b->broker_owner && strcmp(b->broker_owner, owner) == 0)
		return 0; /* known already (start-up asked it, or NameOwnerChanged told) */
	free(b->broker_owner);
	b->broker_owner = strdup(owner);
	/* Its registrations now, not at the next refresh (up to 30 s away). */
	killer_bus_ask_clients(b);
	return 0;
}

static void killer_bus_lookup_broker(KillerBus *b)
{
	int r;

	r = sd_bus_call_method_async(b->bus, NULL, OOMN_DBUS_NAME, OOMN_DBUS_PATH,
				     OOMN_DBUS_INTERFACE, "GetNameOwner",
				     killer_bus_on_broker_owner, b, "s", OOMN_BUS_NAME);
	if (r >= 0)
		r = sd_bus_call_method_async(b->bus, NULL, OOMN_DBUS_NAME,
					     OOMN_DBUS_PATH, OOMN_DBUS_INTERFACE,
					     "GetConnectionUnixProcessID", killer_bus_on_broker_pid,
					     b, "s", OOMN_BUS_NAME);
	if (r < 0)
		log_warning_errno(r, "Failed to look up the broker: %m");
}

static int killer_bus_on_name_owner_changed(sd_bus_message *m, void *userdata,
					    sd_bus_error *ret_error)
{
	KillerBus *b = userdata;
	const char *name, *old_owner, *new_owner;

	if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) < 0 ||
	    strcmp(name, OOMN_BUS_NAME) != 0)
		return 0;
	free(b->broker_owner);
	b->broker_owner = NULL;
	b->handlers->on_protected_pid(KILLER_PROTECTED_BROKER, 0, b->userdata);
	b->handlers->on_clients(NULL, 0, false, b->userdata); /* registrations end with the broker */
	if (new_owner[0]) {
		b->broker_owner = strdup(new_owner);
		killer_bus_lookup_broker(b);
		killer_bus_ask_clients(b);
	} else
		log_warning("Broker left the bus: notices are not delivered until it is back");
	return 0;
}

static int killer_bus_on_answered(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	KillerBus *b = userdata;
	const char *sender = sd_bus_message_get_sender(m);
	struct oomn_bus_answer a;

	/* Only the broker relays answers; anyone else could cut a deadline short. */
	if (!sender || !b->broker_owner || strcmp(sender, b->broker_owner) != 0) {
		log_warning("Ignoring CandidateAnswered from %s: not the broker",
			    sender ? sender : "(unknown)");
		return 0;
	}
	if (oomn_bus_candidate_answered_read(m, &a) < 0) {
		log_warning("Ignoring a malformed CandidateAnswered");
		return 0;
	}
	b->handlers->on_answered((pid_t)a.pid, a.freed, a.checkpointed, b->userdata);
	return 0;
}

static int killer_bus_filter(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	KillerBus *b = userdata;

	if (sd_bus_message_is_signal(m, "org.freedesktop.DBus.Local", "Disconnected")) {
		log_warning("Lost the bus; reconnecting every second");
		killer_bus_drop(b);
		killer_bus_schedule_reconnect(b);
		return 1;
	}
	return 0;
}

static int killer_bus_connect(KillerBus *b)
{
	_cleanup_(sd_bus_close_unrefp) sd_bus *bus = NULL;
	int r;

	if (!b->address) {
		r = sd_bus_open_system_with_description(&bus, "oom-killerd");
		if (r < 0)
			return r;
	} else {
		r = sd_bus_new(&bus);
		if (r < 0)
			return r;
		r = sd_bus_set_address(bus, b->address);
		if (r < 0)
			return r;
		(void)sd_bus_set_bus_client(bus, 1);
		(void)sd_bus_set_description(bus, "oom-killerd");
		r = sd_bus_start(bus);
		if (r < 0)
			return r;
	}
	r = sd_bus_attach_event(bus, b->event, SD_EVENT_PRIORITY_NORMAL);
	if (r >= 0)
		r = sd_bus_add_filter(bus, NULL, killer_bus_filter, b);
	if (r >= 0)
		r = sd_bus_match_signal_async(bus, NULL, NULL, OOMN_BUS_PATH, OOMN_BUS_INTERFACE,
					      OOMN_BUS_CANDIDATE_ANSWERED, killer_bus_on_answered, NULL,
					      b);
	if (r >= 0)
		r = sd_bus_match_signal_async(bus, NULL, OOMN_DBUS_NAME,
					      OOMN_DBUS_PATH, OOMN_DBUS_INTERFACE,
					      "NameOwnerChanged", killer_bus_on_name_owner_changed,
					      NULL, b);
	if (r < 0)
		return r;
	b->bus = TAKE_PTR(bus);

	/* The bus daemon (it answers for itself) and the broker are never victims. */
	r = sd_bus_call_method_async(b->bus, NULL, OOMN_DBUS_NAME, OOMN_DBUS_PATH,
				     OOMN_DBUS_INTERFACE, "GetConnectionUnixProcessID",
				     killer_bus_on_bus_pid, b, "s", OOMN_DBUS_NAME);
	if (r < 0)
		log_warning_errno(r, "Failed to ask the bus daemon's pid: %m");
	killer_bus_lookup_broker(b);
	b->warned_down = false;
	log_info("Connected to %s", b->address ? b->address : "the system bus");
	return 0;
}

static int killer_bus_on_reconnect(sd_event_source *s, uint64_t usec, void *userdata)
{
	KillerBus *b = userdata;
	int r;

	r = killer_bus_connect(b);
	if (r < 0) {
		if (!b->warned_down)
			log_warning_errno(r, "Failed to connect to the bus, retrying every second: %m");
		b->warned_down = true;
		killer_bus_schedule_reconnect(b);
	}
	return 0;
}

static void killer_bus_schedule_reconnect(KillerBus *b)
{
	uint64_t now;
	int r;

	if (sd_event_now(b->event, CLOCK_MONOTONIC, &now) < 0)
		return;
	if (b->reconnect) {
		r = sd_event_source_set_time(b->reconnect, now + BUS_RECONNECT_USEC);
		if (r >= 0)
			r = sd_event_source_set_enabled(b->reconnect, SD_EVENT_ONESHOT);
	} else
		r = sd_event_add_time(b->event, &b->reconnect, CLOCK_MONOTONIC,
				      now + BUS_RECONNECT_USEC, 0, killer_bus_on_reconnect, b);
	if (r < 0)
		log_error_errno(r, "Failed to schedule the bus reconnection: %m");
}

int killer_bus_new(KillerBus **ret, sd_event *event, const char *address,
		   const KillerBusHandlers *handlers, void *userdata)
{
	KillerBus *b;
	int r;

	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->event = event;
	b->handlers = handlers;
	b->userdata = userdata;
	if (address && !(b->address = strdup(address))) {
		free(b);
		return -ENOMEM;
	}
	/* Not fatal: the killer works without the bus and connects when it can. */
	r = killer_bus_connect(b);
	if (r < 0) {
		log_warning_errno(r, "Failed to connect to %s, retrying every second: %m",
				  address ? address : "the system bus");
		b->warned_down = true;
		killer_bus_schedule_reconnect(b);
	} else
		killer_bus_fetch_clients_now(b);
	*ret = b;
	return 0;
}

KillerBus *killer_bus_free(KillerBus *b)
{
	if (!b)
		return NULL;
	killer_bus_drop(b);
	b->reconnect = sd_event_source_disable_unref(b->reconnect);
	free(b->address);
	free(b);
	return NULL;
}

static int killer_bus_on_notify_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	KillerBus *b = userdata;
	const sd_bus_error *e = sd_bus_message_get_error(m);
	uint32_t n;

	b->notify_slot = sd_bus_slot_unref(b->notify_slot);
	if (e) {
		log_warning("NotifyCandidate for pid %d failed: %s", (int)b->notify_pid,
			    e->message ? e->message : e->name);
		return 0;
	}
	if (oomn_bus_notify_candidate_reply_read(m, &n) < 0) {
		log_warning("Malformed NotifyCandidate reply");
		return 0;
	}
	b->handlers->on_notified(b->notify_pid, n, b->userdata);
	return 0;
}

void killer_bus_notify_candidate(KillerBus *b, pid_t pid, uint64_t deadline_usec,
				 const char *reason)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL;
	uint32_t msec = wait_deadline_msec(deadline_usec);
	int r;

	if (!b || !b->bus) {
		log_info("No bus: pid %d gets no notice", (int)pid);
		return;
	}
	b->notify_slot = sd_bus_slot_unref(b->notify_slot); /* an older notice's reply */
	b->notify_pid = pid;
	r = oomn_bus_new_call(b->bus, &call, NULL, OOMN_BUS_NOTIFY_CANDIDATE);
	if (r >= 0)
		r = oomn_bus_notify_candidate_append(call, &(const struct oomn_bus_notice){
			.pid = (uint32_t)pid, .deadline_msec = msec, .reason = reason,
		});
	if (r >= 0)
		r = sd_bus_call_async(b->bus, &b->notify_slot, call, killer_bus_on_notify_reply, b, 0);
	if (r < 0)
		log_warning_errno(r, "Failed to send NotifyCandidate for pid %d: %m", (int)pid);
}

void killer_bus_warmup(KillerBus *b)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *notice = NULL, *outcome = NULL;

	if (!b || !b->bus)
		return;
	if (oomn_bus_new_call(b->bus, &notice, NULL, OOMN_BUS_NOTIFY_CANDIDATE) >= 0)
		(void)oomn_bus_notify_candidate_append(
			notice, &(const struct oomn_bus_notice){ 1, 1, "warm-up" });
	if (oomn_bus_new_call(b->bus, &outcome, NULL, OOMN_BUS_REPORT_OUTCOME) >= 0)
		(void)oomn_bus_report_outcome_append(
			outcome, OOMN_BUS_OUTCOME_KILLED,
			&(const struct oomn_bus_outcome){ 1, "warm-up", 0, "", "", 0, "warm-up" });
}

static int killer_bus_on_outcome_reply(sd_bus_message *m, void *userdata,
				       sd_bus_error *ret_error)
{
	const sd_bus_error *e = sd_bus_message_get_error(m);

	if (e)
		log_warning("ReportOutcome failed: %s", e->message ? e->message : e->name);
	return 0;
}

void killer_bus_report_outcome(KillerBus *b, const char *kind, pid_t pid, const char *comm,
			       uid_t uid, const char *cgroup, const char *rule, uint64_t freed,
			       const char *reason)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL;
	const struct oomn_bus_outcome o = {
		.pid = (uint32_t)pid, .comm = comm ?: "", .uid = (uint32_t)uid,
		.cgroup = cgroup ?: "", .rule = rule ?: "", .freed = freed, .reason = reason ?: "",
	};
	int r;

	if (!b || !b->bus)
		return;
	r = oomn_bus_new_call(b->bus, &call, NULL, OOMN_BUS_REPORT_OUTCOME);
	if (r >= 0)
		r = oomn_bus_report_outcome_append(call, kind, &o);
	/* Floating slot: the reply is only logged if it is an error. */
	if (r >= 0)
		r = sd_bus_call_async(b->bus, NULL, call, killer_bus_on_outcome_reply, NULL, 0);
	if (r < 0)
		log_warning_errno(r, "Failed to send ReportOutcome: %m");
}

/* A ListClients reply into a malloc'ed WaitClient array; 0 or a negative errno. */
static int killer_bus_read_clients(sd_bus_message *m, WaitClient **ret, size_t *ret_n)
{
	_cleanup_free_ struct oomn_bus_client *entries = NULL;
	WaitClient *clients = NULL;
	size_t n = 0;
	int r = oomn_bus_clients_read(m, &entries, &n);

	if (r >= 0 && n > 0 && !(clients = calloc(n, sizeof(*clients))))
		r = -ENOMEM;
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		const struct oomn_bus_client *e = &entries[i];

		/* a band out of range is none */
		clients[i] = (WaitClient){ .pid = (pid_t)e->pid, .flags = e->flags,
			.uid = (uid_t)e->uid, .band = e->band <= OOMN_BAND_MAX ? (int)e->band : -1 };
	}
	*ret = clients;
	*ret_n = n;
	return 0;
}

static int killer_bus_on_clients(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	KillerBus *b = userdata;
	WaitClient *clients = NULL;
	size_t n = 0;
	int r;

	b->clients_slot = sd_bus_slot_unref(b->clients_slot);
	if (sd_bus_message_is_method_error(m, NULL))
		return 0; /* no answer (a stopped broker): the last copy stands */
	r = killer_bus_read_clients(m, &clients, &n);
	if (r < 0) {
		log_warning_errno(r, "Malformed ListClients reply: %m");
		return 0;
	}
	b->handlers->on_clients(clients, n, true, b->userdata);
	return 0;
}

/* Sends ListClients to the running broker, replacing a call still out (an older owner's). */
static void killer_bus_ask_clients(KillerBus *b)
{
	int r;

	b->clients_slot = sd_bus_slot_unref(b->clients_slot);
	/* Only to a running broker, by its unique name: a call to the well-known
	 * name would have the bus activate it, undoing an administrator's
	 * `systemctl stop`. */
	if (!b->bus || !b->broker_owner)
		return;
	r = sd_bus_call_method_async(b->bus, &b->clients_slot, b->broker_owner, OOMN_BUS_PATH,
				     OOMN_BUS_INTERFACE, OOMN_BUS_LIST_CLIENTS, killer_bus_on_clients, b,
				     NULL);
	if (r < 0)
		log_warning_errno(r, "Failed to send ListClients: %m");
}

void killer_bus_refresh_bands(KillerBus *b)
{
	if (!b)
		return;
	if (b->clients_slot)
		return; /* a reply is on its way */
	killer_bus_ask_clients(b);
}

/*
 * At start-up, before the first refresh and the event loop: the registered
 * clients, if the broker is on the bus (GetNameOwner does not activate it),
 * waited for CLIENTS_START_USEC at most. Anything else is only a warning:
 * the asynchronous lookups bring them later.
 */
static void killer_bus_fetch_clients_now(KillerBus *b)
{
	_cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL, *reply = NULL;
	uint64_t start = oomn_now_usec(CLOCK_MONOTONIC), spent;
	WaitClient *clients = NULL;
	const char *owner;
	size_t n = 0;
	int r;

	r = sd_bus_message_new_method_call(b->bus, &call, OOMN_DBUS_NAME,
					   OOMN_DBUS_PATH, OOMN_DBUS_INTERFACE,
					   "GetNameOwner");
	if (r >= 0)
		r = sd_bus_message_append(call, "s", OOMN_BUS_NAME);
	if (r >= 0)
		r = sd_bus_call(b->bus, call, CLIENTS_START_USEC, &e, &reply);
	if (sd_bus_error_has_name(&e, SD_BUS_ERROR_NAME_HAS_NO_OWNER)) {
		log_info("Broker is not on the bus: no bands until it comes");
		return;
	}
	if (r >= 0)
		r = sd_bus_message_read(reply, "s", &owner);
	if (r < 0)
		goto fail;
	free(b->broker_owner);
	b->broker_owner = strdup(owner);
	if (!b->broker_owner) {
		r = -ENOMEM;
		goto fail;
	}

	spent = oomn_now_usec(CLOCK_MONOTONIC) - start;
	if (spent >= CLIENTS_START_USEC) {
		r = -ETIMEDOUT;
		goto fail;
	}
	call = sd_bus_message_unref(call);
	reply = sd_bus_message_unref(reply);
	r = oomn_bus_new_call(b->bus, &call, b->broker_owner, OOMN_BUS_LIST_CLIENTS);
	if (r >= 0)
		r = sd_bus_call(b->bus, call, CLIENTS_START_USEC - spent, &e, &reply);
	if (r >= 0)
		r = killer_bus_read_clients(reply, &clients, &n);
	if (r < 0)
		goto fail;
	b->handlers->on_clients(clients, n, true, b->userdata);
	log_info("Broker has %zu registered client(s)", n);
	return;
fail:
	if (sd_bus_error_is_set(&e))
		log_warning("Failed to fetch the registered clients at start-up, their bands come "
			    "later: %s",
			    e.message ? e.message : e.name);
	else
		log_warning_errno(r, "Failed to fetch the registered clients at start-up, their "
				     "bands come later: %m");
}
