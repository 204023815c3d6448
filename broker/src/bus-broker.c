/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * org.oomnotify.Broker1: the vtable, its handlers and its signals. The
 * contract is dbus/org.oomnotify.Broker1.xml; a bus test holds this file to it.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "oomn-clock.h"
#include "oomn-log.h"
#include "manager.h"
#include "notice.h"

/* The longest strings accepted from callers (anything longer is refused) and
 * the longest deadline are the contract's (oomn-bus.h). */
/* Callers see figures at most this old; between, their reads cost nothing. */
#define BUS_STATE_FRESH_USEC (100u * 1000u)

static const char *bus_source_string(const Manager *m)
{
	const char *s = oomn_source_kind_to_string(m->pressure.source);

	return s ? s : "none";
}

static int bus_check_string(const char *s, size_t max, const char *what, sd_bus_error *error)
{
	if (strlen(s) > max)
		return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
					 "%s is longer than %zu bytes", what, max);
	return 0;
}

/* The killer's methods: root only, checked here as well as by bus policy. */
static int bus_check_root(sd_bus_message *msg, const struct bus_identity *id, sd_bus_error *error)
{
	if (id->uid != 0)
		return sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED, "Only root may call %s",
					 sd_bus_message_get_member(msg));
	return 0;
}

/*
 * The state a caller reads: the source re-reads it first (a level change it
 * finds goes out as PressureChanged before the answer), so GetState, the
 * properties and `oom-notify status` show memory as it is, not as it was at
 * the last level change. At most once per BUS_STATE_FRESH_USEC: anyone may ask.
 */
static const struct oomn_pressure *bus_state(Manager *m)
{
	uint64_t now = 0;
	int r;

	if (!m->source || !m->have_pressure || m->reporting)
		return &m->pressure;
	if (sd_event_now(m->event, CLOCK_MONOTONIC, &now) < 0 ||
	    now - m->state_read_usec >= BUS_STATE_FRESH_USEC) {
		r = oomn_source_refresh(m->source);
		if (r < 0)
			log_warning_errno(r, "Failed to refresh the source: %m");
		m->state_read_usec = now;
	}
	return oomn_source_current(m->source);
}

bool bus_log_allowed(Manager *m, uint32_t uid, unsigned *ret_more)
{
	uint64_t now;

	if (sd_event_now(m->event, CLOCK_MONOTONIC, &now) < 0)
		now = oomn_now_usec(CLOCK_MONOTONIC);
	return log_limit_allow(&m->log_limit, uid, now, ret_more);
}

/* Properties */

static int property_get_level(sd_bus *bus, const char *path, const char *interface,
			      const char *property, sd_bus_message *reply, void *userdata,
			      sd_bus_error *error)
{
	return sd_bus_message_append(reply, OOMN_BUS_SIG_LEVEL,
				     oomn_level_to_string(bus_state(userdata)->level));
}

static int property_get_source(sd_bus *bus, const char *path, const char *interface,
			       const char *property, sd_bus_message *reply, void *userdata,
			       sd_bus_error *error)
{
	return sd_bus_message_append(reply, OOMN_BUS_SIG_SOURCE, bus_source_string(userdata));
}

static int property_get_figure(sd_bus *bus, const char *path, const char *interface,
			       const char *property, sd_bus_message *reply, void *userdata,
			       sd_bus_error *error)
{
	Manager *m = userdata;
	const struct oomn_pressure *p = bus_state(m);
	uint64_t v;

	/* all of type t (OOMN_BUS_SIG_SIGNAL_SEQ, _MEM_TOTAL ...) */
	if (strcmp(property, OOMN_BUS_PROP_SIGNAL_SEQ) == 0)
		v = m->signal_seq;
	else if (strcmp(property, OOMN_BUS_PROP_MEM_TOTAL) == 0)
		v = p->mem_total;
	else if (strcmp(property, OOMN_BUS_PROP_MEM_AVAILABLE) == 0)
		v = p->mem_available;
	else if (strcmp(property, OOMN_BUS_PROP_SWAP_TOTAL) == 0)
		v = p->swap_total;
	else if (strcmp(property, OOMN_BUS_PROP_SWAP_FREE) == 0)
		v = p->swap_free;
	else
		return -EINVAL;
	return sd_bus_message_append(reply, OOMN_BUS_SIG_SIGNAL_SEQ, v);
}

static int property_get_version(sd_bus *bus, const char *path, const char *interface,
				const char *property, sd_bus_message *reply, void *userdata,
				sd_bus_error *error)
{
	return sd_bus_message_append(reply, OOMN_BUS_SIG_VERSION, OOMN_BUS_VERSION);
}

/* The signals' codec functions as bus_send_signal() and bus_kills_emit() take them. */
#define APPENDER(name)                                                                       \
	static int append_##name(sd_bus_message *sig, const void *args)                       \
	{                                                                                      \
		return oomn_bus_##name##_append(sig, args);                                    \
	}
APPENDER(candidate_answered)
APPENDER(kill_announced)
APPENDER(killed)
APPENDER(redeemed)
APPENDER(oom_kill)
APPENDER(kill_pending)
APPENDER(pressure)
APPENDER(cgroup_pressure)
#undef APPENDER

/* Methods for applications */

/* The method handlers that need the caller's identity run once the bus has
 * told it (bus-creds.c); the vtable's entry points only start the query. */

static int method_register_with_identity(sd_bus_message *msg, Manager *m,
					 const struct bus_identity *ident, sd_bus_error *error)
{
	uint32_t band, flags, pid, uid;
	const char *comm;
	unsigned more;
	uint64_t id;
	int r;

	r = oomn_bus_register_read(msg, &band, &flags);
	if (r < 0)
		return r;
	if (!oomn_registry_band_valid(band))
		return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
					 "Band %" PRIu32 " is out of range 0..%u", band, OOMN_BAND_MAX);
	if (!oomn_registry_flags_valid(flags))
		return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
					 "Unknown flags 0x%" PRIx32, flags & ~OOMN_CLIENT_FLAGS_ALL);

	if (!ident) /* refused above, before asking the bus */
		return sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS, "Invalid registration");
	pid = ident->pid;
	uid = ident->uid;
	comm = ident->comm;
	/* A band above the default asks for protection: an administrator's to give. */
	if (band > OOMN_BAND_DEFAULT && uid != 0)
		return sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED,
					 "Bands above %u are for root (or an administrator's rule); "
					 "register with %u or lower",
					 OOMN_BAND_DEFAULT, OOMN_BAND_DEFAULT);
	/* the registration is the connecting process's, not its number's */
	r = bus_watch_process(m, sd_bus_message_get_sender(msg), pid, uid);
	if (r == -ESRCH || r == -ESTALE)
		return sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED,
					 "The process %" PRIu32 " that opened this connection %s: "
					 "register from the process that connects",
					 pid, r == -ESRCH ? "has exited" : "is gone (its pid is another's)");
	if (r < 0)
		log_warning_errno(r, "Cannot pin process %" PRIu32 " of %s, registering anyway: %m",
				  pid, sd_bus_message_get_sender(msg));
	r = oomn_registry_register(m->registry, sd_bus_message_get_sender(msg), pid, uid, comm,
				   band, flags, &id);
	if (r == -EDQUOT)
		return sd_bus_error_setf(error, OOMN_ERROR_LIMITS_EXCEEDED,
					 "Too many registrations for uid %" PRIu32, uid);
	if (r == -ENOSPC)
		return sd_bus_error_set(error, OOMN_ERROR_LIMITS_EXCEEDED,
					"Too many registrations");
	if (r == -EINVAL)
		return sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS, "Invalid registration");
	if (r < 0)
		return r;
	if (r == 0 && bus_log_allowed(m, uid, &more))
		log_info("Registered %s: pid %" PRIu32 " (%s), uid %" PRIu32 ", band %" PRIu32
			 ", flags 0x%" PRIx32 " (%u lines of this uid held back before)",
			 sd_bus_message_get_sender(msg), pid, comm, uid, band, flags, more);

	return sd_bus_reply_method_return(msg, OOMN_BUS_SIG_REGISTER_OUT, id);
}

static int method_register(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	uint32_t band, flags;
	int r;

	/* Malformed input costs no round trip to the bus. */
	r = oomn_bus_register_read(msg, &band, &flags);
	if (r >= 0)
		r = sd_bus_message_rewind(msg, true);
	if (r < 0)
		return r;
	if (!oomn_registry_band_valid(band) || !oomn_registry_flags_valid(flags))
		return method_register_with_identity(msg, userdata, NULL, error);
	return bus_creds_query(userdata, msg, method_register_with_identity, error);
}

static int method_unregister(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	Manager *m = userdata;

	if (oomn_registry_unregister(m->registry, sd_bus_message_get_sender(msg)) < 0)
		return sd_bus_error_set(error, OOMN_ERROR_NOT_REGISTERED, "Not registered");
	bus_watch_update(m);
	return sd_bus_reply_method_return(msg, NULL);
}

static int method_relieved(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	_cleanup_free_ char *notifier = NULL;
	Manager *m = userdata;
	struct oomn_client *c;
	struct oomn_bus_answer a;
	int r;
	unsigned more;

	r = oomn_bus_relieved_read(msg, &a);
	if (r < 0)
		return r;

	c = oomn_registry_find_name(m->registry, sd_bus_message_get_sender(msg));
	if (!c)
		return sd_bus_error_set(error, OOMN_ERROR_NOT_REGISTERED, "Not registered");
	r = oomn_registry_take_notice(m->registry, c->bus_name, &notifier);
	if (r == -EALREADY) {
		/* Its freeing ended the pressure before its answer came: no error
		 * for doing the right thing, and nothing left to relay. */
		if (bus_log_allowed(m, c->uid, &more))
			log_info("Candidate pid %" PRIu32 " answered after the outcome (freed %" PRIu64
				 " bytes%s; %u lines of uid %" PRIu32 " held back before)",
				 c->pid, a.freed, a.checkpointed ? ", checkpointed" : "", more, c->uid);
		return sd_bus_reply_method_return(msg, NULL);
	}
	if (r == -ESRCH)
		return sd_bus_error_set(error, OOMN_ERROR_NO_NOTICE, "No KillPending notice is pending");
	if (r < 0)
		return r;

	bus_watch_update(m); /* the killer's name may be needed no more */
	if (bus_log_allowed(m, c->uid, &more))
		log_info("Candidate pid %" PRIu32 " answered: freed %" PRIu64
			 " bytes%s (%u lines of uid %" PRIu32 " held back before)",
			 c->pid, a.freed, a.checkpointed ? ", checkpointed" : "", more, c->uid);

	a.pid = c->pid;
	if (!notifier) {
		/* the killer has gone: to those who watch kills, no one else */
		(void)bus_kills_emit(m, OOMN_BUS_CANDIDATE_ANSWERED, append_candidate_answered,
				     &a);
		return sd_bus_reply_method_return(msg, NULL);
	}
	r = bus_send_signal(m, OOMN_BUS_CANDIDATE_ANSWERED, notifier, append_candidate_answered,
			    &a);
	if (r < 0)
		log_warning_errno(r, "Failed to relay CandidateAnswered: %m");

	return sd_bus_reply_method_return(msg, NULL);
}

static int method_get_state(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	Manager *m = userdata;
	const struct oomn_pressure *p = bus_state(m);
	const struct oomn_bus_state st = {
		.level = oomn_level_to_string(p->level), .signal_seq = m->signal_seq,
		.mem_total = p->mem_total, .mem_available = p->mem_available,
		.swap_total = p->swap_total, .swap_free = p->swap_free,
		.source = bus_source_string(m), .timestamp_ns = p->timestamp_ns,
	};
	int r;

	r = sd_bus_message_new_method_return(msg, &reply);
	if (r >= 0)
		r = oomn_bus_state_append(reply, &st);
	if (r < 0)
		return r;
	return sd_bus_send(NULL, reply, NULL);
}

/* Other users' processes are root's to know, as the module's "oom" group is. */
static int method_list_clients_with_identity(sd_bus_message *msg, Manager *m,
					     const struct bus_identity *ident,
					     sd_bus_error *error)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	struct oomn_client *c;
	int r;

	r = bus_check_root(msg, ident, error);
	if (r < 0)
		return r;

	r = sd_bus_message_new_method_return(msg, &reply);
	if (r >= 0)
		r = oomn_bus_clients_open(reply);
	for (size_t i = 0; r >= 0 && (c = oomn_registry_get(m->registry, i)); i++) {
		const struct oomn_bus_client entry = {
			.id = c->id, .pid = c->pid, .uid = c->uid, .bus_name = c->bus_name,
			.comm = c->comm, .band = c->band, .flags = c->flags,
		};

		r = oomn_bus_client_append(reply, &entry);
	}
	if (r >= 0)
		r = oomn_bus_clients_close(reply);
	return r < 0 ? r : sd_bus_send(NULL, reply, NULL);
}

static int method_list_clients(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	return bus_creds_query(userdata, msg, method_list_clients_with_identity, error);
}

/* Kills are root's to know, as the module's "oom" group is (bus-kills.c). */
static int method_watch_kills_with_identity(sd_bus_message *msg, Manager *m,
					    const struct bus_identity *ident,
					    sd_bus_error *error)
{
	int r;

	r = bus_check_root(msg, ident, error);
	if (r < 0)
		return r;
	r = bus_kills_watch(m, sd_bus_message_get_sender(msg));
	if (r == -ENOSPC)
		return sd_bus_error_setf(error, OOMN_ERROR_LIMITS_EXCEEDED,
					 "Too many kill watchers (%u)", OOMN_BUS_KILL_WATCHERS_MAX);
	if (r < 0)
		return r;
	if (r == 0)
		log_info("Kill watcher %s (pid %" PRIu32 ", %s) added, %u in all",
			 sd_bus_message_get_sender(msg), ident->pid, ident->comm,
			 m->n_kill_watchers);
	return sd_bus_reply_method_return(msg, NULL);
}

static int method_watch_kills(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	return bus_creds_query(userdata, msg, method_watch_kills_with_identity, error);
}

static int method_unwatch_kills(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	Manager *m = userdata;

	/* no watcher, nothing to undo: no error either */
	if (bus_kills_unwatch(m, sd_bus_message_get_sender(msg)) > 0)
		bus_watch_update(m);
	return sd_bus_reply_method_return(msg, NULL);
}

/* Methods for the killer */

static int method_notify_candidate_with_identity(sd_bus_message *msg, Manager *m,
						 const struct bus_identity *ident,
						 sd_bus_error *error)
{
	struct oomn_bus_notice notice;
	uint32_t pid, deadline_msec;
	uint64_t deadline_usec;
	const char *reason, *comm = "";
	struct oomn_client *c;
	int n, r;

	r = oomn_bus_notify_candidate_read(msg, &notice);
	if (r < 0)
		return r;
	pid = notice.pid;
	deadline_msec = notice.deadline_msec;
	reason = notice.reason;
	r = bus_check_root(msg, ident, error);
	if (r < 0)
		return r;
	if (pid == 0)
		return sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS, "pid 0");
	if (!notice_deadline_valid(deadline_msec))
		return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
					 "Deadline must be 1..%u ms", OOMN_BUS_DEADLINE_MAX_MSEC);
	r = bus_check_string(reason, OOMN_BUS_REASON_MAX, "reason", error);
	if (r < 0)
		return r;

	deadline_usec = notice_deadline_usec(oomn_now_usec(CLOCK_BOOTTIME), deadline_msec);
	n = oomn_registry_mark_notice(m->registry, pid, sd_bus_message_get_sender(msg),
				      deadline_usec);
	if (n < 0)
		return n;

	for (size_t i = 0; (c = oomn_registry_get(m->registry, i)); i++) {
		const struct oomn_bus_kill_pending pending = {
			.pid = pid, .deadline_msec = deadline_msec,
			.deadline_boottime_usec = deadline_usec, .reason = reason,
		};

		if (!notice_is_recipient(c, pid))
			continue;
		comm = c->comm;
		r = bus_send_signal(m, OOMN_BUS_KILL_PENDING, c->bus_name, append_kill_pending,
				    &pending);
		if (r < 0)
			log_warning_errno(r, "Failed to send KillPending to %s: %m", c->bus_name);
	}

	log_info("Candidate pid %" PRIu32 " (%s) noticed, deadline %" PRIu32 " ms, %d connection(s): %s",
		 pid, comm, deadline_msec, n, reason);
	(void)bus_kills_emit(m, OOMN_BUS_KILL_ANNOUNCED, append_kill_announced,
			     &(const struct oomn_bus_kill_announced){
				     .pid = pid,
				     .comm = comm,
				     .deadline_msec = deadline_msec,
				     .deadline_boottime_usec = deadline_usec,
				     .reason = reason,
			     });

	return sd_bus_reply_method_return(msg, OOMN_BUS_SIG_NOTIFY_CANDIDATE_OUT, (uint32_t)n);
}

static int method_notify_candidate(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	return bus_creds_query(userdata, msg, method_notify_candidate_with_identity, error);
}

static int method_report_outcome_with_identity(sd_bus_message *msg, Manager *m,
					       const struct bus_identity *ident,
					       sd_bus_error *error)
{
	struct oomn_bus_outcome o;
	const char *kind;
	int r;

	r = oomn_bus_report_outcome_read(msg, &kind, &o);
	if (r < 0)
		return r;
	r = bus_check_root(msg, ident, error);
	if (r < 0)
		return r;
	if (strcmp(kind, OOMN_BUS_OUTCOME_KILLED) != 0 &&
	    strcmp(kind, OOMN_BUS_OUTCOME_REDEEMED) != 0)
		return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
					 "Unknown outcome \"%.32s\": killed or redeemed", kind);
	if ((r = bus_check_string(o.comm, OOMN_BUS_NAME_MAX, "comm", error)) < 0 ||
	    (r = bus_check_string(o.cgroup, OOMN_BUS_CGROUP_MAX, "cgroup", error)) < 0 ||
	    (r = bus_check_string(o.rule, OOMN_BUS_NAME_MAX, "rule", error)) < 0 ||
	    (r = bus_check_string(o.reason, OOMN_BUS_REASON_MAX, "reason", error)) < 0)
		return r;

	(void)oomn_registry_clear_notices(m->registry, o.pid);
	log_info("Outcome for pid %" PRIu32 " (%s): %s, %s", o.pid, o.comm, kind, o.reason);

	if (kind[0] == 'k')
		(void)bus_kills_emit(m, OOMN_BUS_KILLED, append_killed, &o);
	else
		(void)bus_kills_emit(m, OOMN_BUS_REDEEMED, append_redeemed, &o);

	return sd_bus_reply_method_return(msg, NULL);
}

static int method_report_outcome(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	return bus_creds_query(userdata, msg, method_report_outcome_with_identity, error);
}

/* Signatures from the contract (oomn-bus.h); the names of the arguments as in the XML. */
static const sd_bus_vtable bus_broker_vtable[] = {
	SD_BUS_VTABLE_START(0),

#define FIGURE(name, sig)                                                                          \
	SD_BUS_PROPERTY(name, sig, property_get_figure, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE)
	SD_BUS_PROPERTY(OOMN_BUS_PROP_LEVEL, OOMN_BUS_SIG_LEVEL, property_get_level, 0,
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	FIGURE(OOMN_BUS_PROP_SIGNAL_SEQ, OOMN_BUS_SIG_SIGNAL_SEQ),
	FIGURE(OOMN_BUS_PROP_MEM_TOTAL, OOMN_BUS_SIG_MEM_TOTAL),
	FIGURE(OOMN_BUS_PROP_MEM_AVAILABLE, OOMN_BUS_SIG_MEM_AVAILABLE),
	FIGURE(OOMN_BUS_PROP_SWAP_TOTAL, OOMN_BUS_SIG_SWAP_TOTAL),
	FIGURE(OOMN_BUS_PROP_SWAP_FREE, OOMN_BUS_SIG_SWAP_FREE),
#undef FIGURE
	SD_BUS_PROPERTY(OOMN_BUS_PROP_SOURCE, OOMN_BUS_SIG_SOURCE, property_get_source, 0,
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY(OOMN_BUS_PROP_VERSION, OOMN_BUS_SIG_VERSION, property_get_version, 0,
			SD_BUS_VTABLE_PROPERTY_CONST),

	SD_BUS_METHOD_WITH_NAMES(OOMN_BUS_REGISTER, OOMN_BUS_SIG_REGISTER_IN,
				 SD_BUS_PARAM(band) SD_BUS_PARAM(flags), OOMN_BUS_SIG_REGISTER_OUT,
				 SD_BUS_PARAM(id), method_register, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_NAMES(OOMN_BUS_UNREGISTER, OOMN_BUS_SIG_UNREGISTER_IN, "",
				 OOMN_BUS_SIG_UNREGISTER_OUT, "", method_unregister,
				 SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_NAMES(OOMN_BUS_RELIEVED, OOMN_BUS_SIG_RELIEVED_IN,
				 SD_BUS_PARAM(freed) SD_BUS_PARAM(checkpointed),
				 OOMN_BUS_SIG_RELIEVED_OUT, "", method_relieved,
				 SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_NAMES(OOMN_BUS_GET_STATE, OOMN_BUS_SIG_GET_STATE_IN, "",
				 OOMN_BUS_SIG_GET_STATE_OUT,
				 SD_BUS_PARAM(level) SD_BUS_PARAM(signal_seq) SD_BUS_PARAM(mem_total)
				 SD_BUS_PARAM(mem_available) SD_BUS_PARAM(swap_total)
				 SD_BUS_PARAM(swap_free) SD_BUS_PARAM(source)
				 SD_BUS_PARAM(timestamp_ns),
				 method_get_state, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_NAMES(OOMN_BUS_LIST_CLIENTS, OOMN_BUS_SIG_LIST_CLIENTS_IN, "",
				 OOMN_BUS_SIG_LIST_CLIENTS_OUT, SD_BUS_PARAM(clients),
				 method_list_clients, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_NAMES(OOMN_BUS_WATCH_KILLS, OOMN_BUS_SIG_WATCH_KILLS_IN, "",
				 OOMN_BUS_SIG_WATCH_KILLS_OUT, "", method_watch_kills,
				 SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_NAMES(OOMN_BUS_UNWATCH_KILLS, OOMN_BUS_SIG_UNWATCH_KILLS_IN, "",
				 OOMN_BUS_SIG_UNWATCH_KILLS_OUT, "", method_unwatch_kills,
				 SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_NAMES(OOMN_BUS_NOTIFY_CANDIDATE, OOMN_BUS_SIG_NOTIFY_CANDIDATE_IN,
				 SD_BUS_PARAM(pid) SD_BUS_PARAM(deadline_msec) SD_BUS_PARAM(reason),
				 OOMN_BUS_SIG_NOTIFY_CANDIDATE_OUT, SD_BUS_PARAM(notified),
				 method_notify_candidate, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_NAMES(OOMN_BUS_REPORT_OUTCOME, OOMN_BUS_SIG_REPORT_OUTCOME_IN,
				 SD_BUS_PARAM(kind) SD_BUS_PARAM(pid) SD_BUS_PARAM(comm)
				 SD_BUS_PARAM(uid) SD_BUS_PARAM(cgroup) SD_BUS_PARAM(rule)
				 SD_BUS_PARAM(freed) SD_BUS_PARAM(reason),
				 OOMN_BUS_SIG_REPORT_OUTCOME_OUT, "", method_report_outcome,
				 SD_BUS_VTABLE_UNPRIVILEGED),

	SD_BUS_SIGNAL_WITH_NAMES(OOMN_BUS_PRESSURE_CHANGED, OOMN_BUS_SIG_PRESSURE_CHANGED,
				 SD_BUS_PARAM(level) SD_BUS_PARAM(prev_level) SD_BUS_PARAM(signal_seq)
				 SD_BUS_PARAM(mem_total) SD_BUS_PARAM(mem_available)
				 SD_BUS_PARAM(swap_total) SD_BUS_PARAM(swap_free)
				 SD_BUS_PARAM(source) SD_BUS_PARAM(timestamp_ns),
				 0),
	SD_BUS_SIGNAL_WITH_NAMES(OOMN_BUS_CGROUP_PRESSURE_CHANGED,
				 OOMN_BUS_SIG_CGROUP_PRESSURE_CHANGED,
				 SD_BUS_PARAM(cgroup) SD_BUS_PARAM(level) SD_BUS_PARAM(prev_level)
				 SD_BUS_PARAM(timestamp_ns),
				 0),
	SD_BUS_SIGNAL_WITH_NAMES(OOMN_BUS_KERNEL_OOM_KILL, OOMN_BUS_SIG_KERNEL_OOM_KILL,
				 SD_BUS_PARAM(pid) SD_BUS_PARAM(comm) SD_BUS_PARAM(uid)
				 SD_BUS_PARAM(cgroup) SD_BUS_PARAM(anon_rss) SD_BUS_PARAM(oom_seq),
				 0),
	SD_BUS_SIGNAL_WITH_NAMES(OOMN_BUS_KILL_PENDING, OOMN_BUS_SIG_KILL_PENDING,
				 SD_BUS_PARAM(pid) SD_BUS_PARAM(deadline_msec)
				 SD_BUS_PARAM(deadline_boottime_usec) SD_BUS_PARAM(reason),
				 0),
	SD_BUS_SIGNAL_WITH_NAMES(OOMN_BUS_KILL_ANNOUNCED, OOMN_BUS_SIG_KILL_ANNOUNCED,
				 SD_BUS_PARAM(pid) SD_BUS_PARAM(comm) SD_BUS_PARAM(deadline_msec)
				 SD_BUS_PARAM(deadline_boottime_usec) SD_BUS_PARAM(reason),
				 0),
	SD_BUS_SIGNAL_WITH_NAMES(OOMN_BUS_CANDIDATE_ANSWERED, OOMN_BUS_SIG_CANDIDATE_ANSWERED,
				 SD_BUS_PARAM(pid) SD_BUS_PARAM(freed)
				 SD_BUS_PARAM(checkpointed),
				 0),
	SD_BUS_SIGNAL_WITH_NAMES(OOMN_BUS_KILLED, OOMN_BUS_SIG_KILLED,
				 SD_BUS_PARAM(pid) SD_BUS_PARAM(comm) SD_BUS_PARAM(uid)
				 SD_BUS_PARAM(cgroup) SD_BUS_PARAM(rule) SD_BUS_PARAM(freed)
				 SD_BUS_PARAM(reason),
				 0),
	SD_BUS_SIGNAL_WITH_NAMES(OOMN_BUS_REDEEMED, OOMN_BUS_SIG_REDEEMED,
				 SD_BUS_PARAM(pid) SD_BUS_PARAM(comm) SD_BUS_PARAM(reason), 0),

	SD_BUS_VTABLE_END,
};

int bus_add_vtable(Manager *m, const char *path, const char *interface,
		   const sd_bus_vtable *vtable)
{
	int r = sd_bus_add_object_vtable(m->bus, NULL, path, interface, vtable, m);

	return r < 0 ? log_error_errno(r, "Failed to register %s: %m", path) : 0;
}

int bus_broker_register(Manager *m)
{
	return bus_add_vtable(m, OOMN_BUS_PATH, OOMN_BUS_INTERFACE, bus_broker_vtable);
}

int bus_broker_emit_pressure(Manager *m, bool level_changed)
{
	const struct oomn_pressure *p = &m->pressure;
	int r;

	if (!m->bus)
		return 0;
	if (level_changed) {
		const struct oomn_bus_pressure bp = {
			.level = oomn_level_to_string(p->level),
			.prev_level = oomn_level_to_string(p->prev_level), .signal_seq = m->signal_seq,
			.mem_total = p->mem_total, .mem_available = p->mem_available,
			.swap_total = p->swap_total, .swap_free = p->swap_free,
			.source = bus_source_string(m), .timestamp_ns = p->timestamp_ns,
		};

		r = bus_send_signal(m, OOMN_BUS_PRESSURE_CHANGED, NULL, append_pressure, &bp);
		if (r < 0)
			return log_warning_errno(r, "Failed to emit PressureChanged: %m");
		r = sd_bus_emit_properties_changed(m->bus, OOMN_BUS_PATH, OOMN_BUS_INTERFACE,
						   OOMN_BUS_PROP_LEVEL, OOMN_BUS_PROP_SIGNAL_SEQ,
						   OOMN_BUS_PROP_MEM_TOTAL,
						   OOMN_BUS_PROP_MEM_AVAILABLE,
						   OOMN_BUS_PROP_SWAP_TOTAL, OOMN_BUS_PROP_SWAP_FREE,
						   NULL);
	} else
		r = sd_bus_emit_properties_changed(m->bus, OOMN_BUS_PATH, OOMN_BUS_INTERFACE,
						   OOMN_BUS_PROP_MEM_TOTAL,
						   OOMN_BUS_PROP_MEM_AVAILABLE,
						   OOMN_BUS_PROP_SWAP_TOTAL, OOMN_BUS_PROP_SWAP_FREE,
						   NULL);
	if (r < 0)
		return log_warning_errno(r, "Failed to emit PropertiesChanged: %m");
	return 0;
}

int bus_broker_emit_cgroup_pressure(Manager *m, const struct oomn_pressure *p)
{
	const struct oomn_bus_cgroup_pressure bp = {
		.cgroup = p->cgroup, .level = oomn_level_to_string(p->level),
		.prev_level = oomn_level_to_string(p->prev_level), .timestamp_ns = p->timestamp_ns,
	};
	int r;

	if (!m->bus)
		return 0;
	r = bus_send_signal(m, OOMN_BUS_CGROUP_PRESSURE_CHANGED, NULL, append_cgroup_pressure,
			    &bp);
	if (r < 0)
		return log_warning_errno(r, "Failed to emit CgroupPressureChanged: %m");
	return 0;
}

int bus_broker_emit_source(Manager *m)
{
	int r;

	if (!m->bus)
		return 0;
	r = sd_bus_emit_properties_changed(m->bus, OOMN_BUS_PATH, OOMN_BUS_INTERFACE,
					   OOMN_BUS_PROP_SOURCE, NULL);
	if (r < 0)
		return log_warning_errno(r, "Failed to emit PropertiesChanged: %m");
	return 0;
}

int bus_broker_emit_oom(Manager *m, const struct oomn_oom_event *ev, const char *cgroup)
{
	const struct oomn_bus_oom_kill k = {
		.pid = ev->pid, .comm = ev->comm, .uid = ev->uid,
		.cgroup = cgroup ? cgroup : ev->cgroup, .anon_rss = ev->anon_rss,
		.oom_seq = ev->oom_seq,
	};

	return bus_kills_emit(m, OOMN_BUS_KERNEL_OOM_KILL, append_oom_kill, &k);
}
