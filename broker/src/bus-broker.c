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

/* Longest strings accepted from callers; anything longer is refused. */
#define BUS_NAME_MAX 256     /* a process name, a rule name */
#define BUS_REASON_MAX 1024
#define BUS_CGROUP_MAX 4096
#define BUS_DEADLINE_MAX_MSEC (60u * 60u * 1000u)
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
	return sd_bus_message_append(reply, "s", oomn_level_to_string(bus_state(userdata)->level));
}

static int property_get_source(sd_bus *bus, const char *path, const char *interface,
			       const char *property, sd_bus_message *reply, void *userdata,
			       sd_bus_error *error)
{
	return sd_bus_message_append(reply, "s", bus_source_string(userdata));
}

static int property_get_figure(sd_bus *bus, const char *path, const char *interface,
			       const char *property, sd_bus_message *reply, void *userdata,
			       sd_bus_error *error)
{
	Manager *m = userdata;
	const struct oomn_pressure *p = bus_state(m);
	uint64_t v;

	if (strcmp(property, "Sequence") == 0)
		v = m->seq;
	else if (strcmp(property, "MemTotal") == 0)
		v = p->mem_total;
	else if (strcmp(property, "MemAvailable") == 0)
		v = p->mem_available;
	else if (strcmp(property, "SwapTotal") == 0)
		v = p->swap_total;
	else if (strcmp(property, "SwapFree") == 0)
		v = p->swap_free;
	else
		return -EINVAL;
	return sd_bus_message_append(reply, "t", v);
}

static int property_get_version(sd_bus *bus, const char *path, const char *interface,
				const char *property, sd_bus_message *reply, void *userdata,
				sd_bus_error *error)
{
	return sd_bus_message_append(reply, "u", OOMN_BROKER_VERSION);
}

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

	r = sd_bus_message_read(msg, "uu", &band, &flags);
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

	return sd_bus_reply_method_return(msg, "t", id);
}

static int method_register(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	uint32_t band, flags;
	int r;

	/* Malformed input costs no round trip to the bus. */
	r = sd_bus_message_read(msg, "uu", &band, &flags);
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
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *sig = NULL;
	Manager *m = userdata;
	struct oomn_client *c;
	uint64_t freed;
	int checkpointed, r;
	unsigned more;

	r = sd_bus_message_read(msg, "tb", &freed, &checkpointed);
	if (r < 0)
		return r;

	c = oomn_registry_find_name(m->registry, sd_bus_message_get_sender(msg));
	if (!c)
		return sd_bus_error_set(error, OOMN_ERROR_NOT_REGISTERED, "Not registered");
	r = oomn_registry_take_notice(m->registry, c->name, &notifier);
	if (r == -EALREADY) {
		/* Its freeing ended the pressure before its answer came: no error
		 * for doing the right thing, and nothing left to relay. */
		if (bus_log_allowed(m, c->uid, &more))
			log_info("Candidate pid %" PRIu32 " answered after the outcome (freed %" PRIu64
				 " bytes%s; %u lines of uid %" PRIu32 " held back before)",
				 c->pid, freed, checkpointed ? ", checkpointed" : "", more, c->uid);
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
			 c->pid, freed, checkpointed ? ", checkpointed" : "", more, c->uid);

	if (!notifier) {
		/* the killer has gone: to those who watch kills, no one else */
		(void)bus_kills_emit(m, "CandidateAnswered", "utb", c->pid, freed, checkpointed);
		return sd_bus_reply_method_return(msg, NULL);
	}
	r = sd_bus_message_new_signal(m->bus, &sig, OOMN_BROKER_PATH, OOMN_BROKER_INTERFACE,
				      "CandidateAnswered");
	if (r >= 0)
		r = sd_bus_message_set_destination(sig, notifier);
	if (r >= 0)
		r = sd_bus_message_append(sig, "utb", c->pid, freed, checkpointed);
	if (r >= 0)
		r = sd_bus_send(m->bus, sig, NULL);
	if (r < 0)
		log_warning_errno(r, "Failed to relay CandidateAnswered: %m");

	return sd_bus_reply_method_return(msg, NULL);
}

static int method_get_state(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	Manager *m = userdata;
	const struct oomn_pressure *p = bus_state(m);

	return sd_bus_reply_method_return(msg, "stttttst", oomn_level_to_string(p->level), m->seq,
					  p->mem_total, p->mem_available, p->swap_total,
					  p->swap_free, bus_source_string(m), p->timestamp_ns);
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
	if (r < 0)
		return r;
	r = sd_bus_message_open_container(reply, 'a', "(tuussuu)");
	if (r < 0)
		return r;
	for (size_t i = 0; (c = oomn_registry_get(m->registry, i)); i++) {
		r = sd_bus_message_append(reply, "(tuussuu)", c->id, c->pid, c->uid, c->name,
					  c->comm, c->band, c->flags);
		if (r < 0)
			return r;
	}
	r = sd_bus_message_close_container(reply);
	if (r < 0)
		return r;
	return sd_bus_send(NULL, reply, NULL);
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
					 "Too many kill watchers (%u)", BUS_KILLS_MAX);
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
	uint32_t pid, deadline_msec;
	uint64_t deadline_usec;
	const char *reason, *name = "";
	struct oomn_client *c;
	int n, r;

	r = sd_bus_message_read(msg, "uus", &pid, &deadline_msec, &reason);
	if (r < 0)
		return r;
	r = bus_check_root(msg, ident, error);
	if (r < 0)
		return r;
	if (pid == 0)
		return sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS, "pid 0");
	if (deadline_msec == 0 || deadline_msec > BUS_DEADLINE_MAX_MSEC)
		return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
					 "Deadline must be 1..%u ms", BUS_DEADLINE_MAX_MSEC);
	r = bus_check_string(reason, BUS_REASON_MAX, "reason", error);
	if (r < 0)
		return r;

	deadline_usec = oomn_now_usec(CLOCK_BOOTTIME) + (uint64_t)deadline_msec * 1000u;
	n = oomn_registry_mark_notice(m->registry, pid, sd_bus_message_get_sender(msg),
				      deadline_usec);
	if (n < 0)
		return n;

	for (size_t i = 0; (c = oomn_registry_get(m->registry, i)); i++) {
		_cleanup_(sd_bus_message_unrefp) sd_bus_message *sig = NULL;

		if (c->pid != pid)
			continue;
		name = c->comm;
		r = sd_bus_message_new_signal(m->bus, &sig, OOMN_BROKER_PATH,
					      OOMN_BROKER_INTERFACE, "KillPending");
		if (r >= 0)
			r = sd_bus_message_set_destination(sig, c->name);
		if (r >= 0)
			r = sd_bus_message_append(sig, "uuts", pid, deadline_msec, deadline_usec,
						  reason);
		if (r >= 0)
			r = sd_bus_send(m->bus, sig, NULL);
		if (r < 0)
			log_warning_errno(r, "Failed to send KillPending to %s: %m", c->name);
	}

	log_info("Candidate pid %" PRIu32 " (%s) noticed, deadline %" PRIu32 " ms, %d connection(s): %s",
		 pid, name, deadline_msec, n, reason);
	(void)bus_kills_emit(m, "KillAnnounced", "usuts", pid, name, deadline_msec, deadline_usec,
			     reason);

	return sd_bus_reply_method_return(msg, "u", (uint32_t)n);
}

static int method_notify_candidate(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	return bus_creds_query(userdata, msg, method_notify_candidate_with_identity, error);
}

static int method_report_outcome_with_identity(sd_bus_message *msg, Manager *m,
					       const struct bus_identity *ident,
					       sd_bus_error *error)
{
	const char *kind, *name, *cgroup, *rule, *reason;
	uint32_t pid, uid;
	uint64_t freed;
	int r;

	r = sd_bus_message_read(msg, "susussts", &kind, &pid, &name, &uid, &cgroup, &rule, &freed,
				&reason);
	if (r < 0)
		return r;
	r = bus_check_root(msg, ident, error);
	if (r < 0)
		return r;
	if (strcmp(kind, "killed") != 0 && strcmp(kind, "redeemed") != 0)
		return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
					 "Unknown outcome \"%.32s\": killed or redeemed", kind);
	if ((r = bus_check_string(name, BUS_NAME_MAX, "name", error)) < 0 ||
	    (r = bus_check_string(cgroup, BUS_CGROUP_MAX, "cgroup", error)) < 0 ||
	    (r = bus_check_string(rule, BUS_NAME_MAX, "rule", error)) < 0 ||
	    (r = bus_check_string(reason, BUS_REASON_MAX, "reason", error)) < 0)
		return r;

	(void)oomn_registry_clear_notices(m->registry, pid);
	log_info("Outcome for pid %" PRIu32 " (%s): %s, %s", pid, name, kind, reason);

	if (kind[0] == 'k')
		(void)bus_kills_emit(m, "Killed", "usussts", pid, name, uid, cgroup, rule, freed,
				     reason);
	else
		(void)bus_kills_emit(m, "Redeemed", "uss", pid, name, reason);

	return sd_bus_reply_method_return(msg, NULL);
}

static int method_report_outcome(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	return bus_creds_query(userdata, msg, method_report_outcome_with_identity, error);
}

static const sd_bus_vtable bus_broker_vtable[] = {
	SD_BUS_VTABLE_START(0),

	SD_BUS_PROPERTY("Level", "s", property_get_level, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("Sequence", "t", property_get_figure, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("MemTotal", "t", property_get_figure, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("MemAvailable", "t", property_get_figure, 0,
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("SwapTotal", "t", property_get_figure, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("SwapFree", "t", property_get_figure, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("Source", "s", property_get_source, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("Version", "u", property_get_version, 0, SD_BUS_VTABLE_PROPERTY_CONST),

	SD_BUS_METHOD_WITH_ARGS("Register", SD_BUS_ARGS("u", band, "u", flags),
				SD_BUS_RESULT("t", id), method_register, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_ARGS("Unregister", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, method_unregister,
				SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_ARGS("Relieved", SD_BUS_ARGS("t", freed_bytes, "b", checkpointed),
				SD_BUS_NO_RESULT, method_relieved, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_ARGS("GetState", SD_BUS_NO_ARGS,
				SD_BUS_RESULT("s", level, "t", sequence, "t", mem_total, "t",
					      mem_available, "t", swap_total, "t", swap_free, "s",
					      source, "t", timestamp_ns),
				method_get_state, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_ARGS("ListClients", SD_BUS_NO_ARGS, SD_BUS_RESULT("a(tuussuu)", clients),
				method_list_clients, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_ARGS("WatchKills", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, method_watch_kills,
				SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_ARGS("UnwatchKills", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT,
				method_unwatch_kills, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_ARGS("NotifyCandidate",
				SD_BUS_ARGS("u", pid, "u", deadline_msec, "s", reason),
				SD_BUS_RESULT("u", notified), method_notify_candidate,
				SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_ARGS("ReportOutcome",
				SD_BUS_ARGS("s", kind, "u", pid, "s", name, "u", uid, "s", cgroup,
					    "s", rule, "t", freed, "s", reason),
				SD_BUS_NO_RESULT, method_report_outcome, SD_BUS_VTABLE_UNPRIVILEGED),

	SD_BUS_SIGNAL_WITH_ARGS("PressureChanged",
				SD_BUS_ARGS("s", level, "s", prev_level, "t", seq, "t",
					    mem_available, "t", mem_total, "t", swap_free, "t",
					    swap_total, "s", source, "t", timestamp_ns),
				0),
	SD_BUS_SIGNAL_WITH_ARGS("CgroupPressureChanged",
				SD_BUS_ARGS("s", cgroup, "s", level, "s", prev_level, "t",
					    timestamp_ns),
				0),
	SD_BUS_SIGNAL_WITH_ARGS("KernelOomKill",
				SD_BUS_ARGS("u", pid, "s", comm, "u", uid, "s", cgroup, "t",
					    anon_rss, "t", oom_seq),
				0),
	SD_BUS_SIGNAL_WITH_ARGS("KillPending",
				SD_BUS_ARGS("u", pid, "u", deadline_msec, "t",
					    deadline_boottime_usec, "s", reason),
				0),
	SD_BUS_SIGNAL_WITH_ARGS("KillAnnounced",
				SD_BUS_ARGS("u", pid, "s", name, "u", deadline_msec, "t",
					    deadline_boottime_usec, "s", reason),
				0),
	SD_BUS_SIGNAL_WITH_ARGS("CandidateAnswered",
				SD_BUS_ARGS("u", pid, "t", freed_bytes, "b", checkpointed), 0),
	SD_BUS_SIGNAL_WITH_ARGS("Killed",
				SD_BUS_ARGS("u", pid, "s", name, "u", uid, "s", cgroup, "s", rule,
					    "t", freed, "s", reason),
				0),
	SD_BUS_SIGNAL_WITH_ARGS("Redeemed", SD_BUS_ARGS("u", pid, "s", name, "s", reason), 0),

	SD_BUS_VTABLE_END,
};

int bus_broker_register(Manager *m)
{
	int r;

	r = sd_bus_add_object_vtable(m->bus, NULL, OOMN_BROKER_PATH, OOMN_BROKER_INTERFACE,
				     bus_broker_vtable, m);
	if (r < 0)
		return log_error_errno(r, "Failed to register %s: %m", OOMN_BROKER_PATH);
	return 0;
}

int bus_broker_emit_pressure(Manager *m, bool level_changed)
{
	const struct oomn_pressure *p = &m->pressure;
	int r;

	if (!m->bus)
		return 0;
	if (level_changed) {
		r = sd_bus_emit_signal(m->bus, OOMN_BROKER_PATH, OOMN_BROKER_INTERFACE,
				       "PressureChanged", "sstttttst", oomn_level_to_string(p->level),
				       oomn_level_to_string(p->prev_level), m->seq, p->mem_available,
				       p->mem_total, p->swap_free, p->swap_total, bus_source_string(m),
				       p->timestamp_ns);
		if (r < 0)
			return log_warning_errno(r, "Failed to emit PressureChanged: %m");
		r = sd_bus_emit_properties_changed(m->bus, OOMN_BROKER_PATH, OOMN_BROKER_INTERFACE,
						   "Level", "Sequence", "MemTotal", "MemAvailable",
						   "SwapTotal", "SwapFree", NULL);
	} else
		r = sd_bus_emit_properties_changed(m->bus, OOMN_BROKER_PATH, OOMN_BROKER_INTERFACE,
						   "MemTotal", "MemAvailable", "SwapTotal",
						   "SwapFree", NULL);
	if (r < 0)
		return log_warning_errno(r, "Failed to emit PropertiesChanged: %m");
	return 0;
}

int bus_broker_emit_cgroup_pressure(Manager *m, const struct oomn_pressure *p)
{
	int r;

	if (!m->bus)
		return 0;
	r = sd_bus_emit_signal(m->bus, OOMN_BROKER_PATH, OOMN_BROKER_INTERFACE,
			       "CgroupPressureChanged", "ssst", p->cgroup,
			       oomn_level_to_string(p->level), oomn_level_to_string(p->prev_level),
			       p->timestamp_ns);
	if (r < 0)
		return log_warning_errno(r, "Failed to emit CgroupPressureChanged: %m");
	return 0;
}

int bus_broker_emit_source(Manager *m)
{
	int r;

	if (!m->bus)
		return 0;
	r = sd_bus_emit_properties_changed(m->bus, OOMN_BROKER_PATH, OOMN_BROKER_INTERFACE,
					   "Source", NULL);
	if (r < 0)
		return log_warning_errno(r, "Failed to emit PropertiesChanged: %m");
	return 0;
}

int bus_broker_emit_oom(Manager *m, const struct oomn_oom_event *ev, const char *cgroup)
{
	return bus_kills_emit(m, "KernelOomKill", "usustt", ev->pid, ev->comm, ev->uid,
			      cgroup ? cgroup : ev->cgroup, ev->anon_rss, ev->oom_seq);
}
