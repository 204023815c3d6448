/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <signal.h>
#include <string.h>

#include "oomn-log.h"
#include "manager.h"

static void manager_on_pressure(const struct oomn_pressure *p, void *userdata)
{
	Manager *m = userdata;
	bool changed;

	if (p->cgroup) {
		/* A watched cgroup's own pressure: it does not move the system level. */
		(void)bus_broker_emit_cgroup_pressure(m, p);
		return;
	}

	/*
	 * Emitting PropertiesChanged calls the property getters, which may
	 * re-read the source (bus_state()): a change found there would be
	 * reported inside this one and overtake it (critical's warning lost).
	 */
	m->reporting = true;
	changed = !m->have_pressure || p->level != m->pressure.level;
	m->pressure = *p;
	m->pressure.cgroup = NULL;
	m->have_pressure = true;
	if (changed) {
		m->signal_seq++;
		log_info("Pressure %s -> %s (MemAvailable %" PRIu64 " of %" PRIu64 " bytes, source %s)",
			 oomn_level_to_string(p->prev_level), oomn_level_to_string(p->level),
			 p->mem_available, p->mem_total, oomn_source_kind_to_string(p->source));
	}
	(void)bus_broker_emit_pressure(m, changed);
	if (changed)
		bus_lmm_pressure(m);
	m->reporting = false;
}

static void manager_on_oom(const struct oomn_oom_event *ev, const char *cgroup, void *userdata)
{
	Manager *m = userdata;

	log_info("Kernel OOM kill: pid %" PRIu32 " (%s), cgroup %s", ev->pid, ev->comm,
		 cgroup ? cgroup : ev->cgroup);
	(void)bus_broker_emit_oom(m, ev, cgroup);
}

static void manager_on_source(enum oomn_source_kind kind, const char *why, void *userdata)
{
	Manager *m = userdata;

	log_info("Event source: %s (%s)", oomn_source_kind_to_string(kind), why ? why : "");
	m->pressure.source = kind;
	(void)bus_broker_emit_source(m);
}

static void manager_on_warning(const char *what, void *userdata)
{
	log_warning("%s", what);
}

static int manager_on_signal(sd_event_source *s, const struct signalfd_siginfo *si,
			     void *userdata)
{
	Manager *m = userdata;

	log_info("Received %s, exiting", strsignal((int)si->ssi_signo));
	return sd_event_exit(m->event, 0);
}

static int manager_connect_bus(Manager *m, const char *address)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	int r;

	if (!address) {
		r = sd_bus_open_system_with_description(&bus, "oom-notifyd");
		if (r < 0)
			return log_error_errno(r, "Failed to connect to the system bus: %m");
	} else {
		r = sd_bus_new(&bus);
		if (r < 0)
			return log_error_errno(r, "Failed to allocate bus: %m");
		r = sd_bus_set_address(bus, address);
		if (r < 0)
			return log_error_errno(r, "Invalid bus address %s: %m", address);
		(void)sd_bus_set_bus_client(bus, 1);
		(void)sd_bus_set_description(bus, "oom-notifyd");
		r = sd_bus_start(bus);
		if (r < 0)
			return log_error_errno(r, "Failed to connect to bus %s: %m", address);
	}

	r = sd_bus_attach_event(bus, m->event, SD_EVENT_PRIORITY_NORMAL);
	if (r < 0)
		return log_error_errno(r, "Failed to attach bus to event loop: %m");
	m->bus = TAKE_PTR(bus);
	return 0;
}

int manager_new(Manager **ret, const struct oomn_manager_config *cfg)
{
	_cleanup_(manager_freep) Manager *m = NULL;
	static const struct oomn_source_handlers handlers = {
		.on_pressure = manager_on_pressure,
		.on_oom = manager_on_oom,
		.on_source = manager_on_source,
		.on_warning = manager_on_warning,
	};
	int r;

	m = calloc(1, sizeof(*m));
	if (!m)
		return log_error_errno(-ENOMEM, "Out of memory");

	r = oomn_registry_new(&m->registry, &cfg->limits);
	if (r < 0)
		return log_error_errno(r, "Failed to allocate registry: %m");

	r = sd_event_default(&m->event);
	if (r < 0)
		return log_error_errno(r, "Failed to allocate event loop: %m");
	/* Under systemd's WatchdogSec= only: a wedged loop gets restarted. It
	 * costs one wake-up per half period, none without the watchdog. */
	r = sd_event_set_watchdog(m->event, true);
	if (r < 0)
		log_warning_errno(r, "Failed to enable the watchdog: %m");
	r = sd_event_add_signal(m->event, NULL, SIGTERM, manager_on_signal, m);
	if (r >= 0)
		r = sd_event_add_signal(m->event, NULL, SIGINT, manager_on_signal, m);
	if (r < 0)
		return log_error_errno(r, "Failed to watch signals: %m");

	r = manager_connect_bus(m, cfg->bus_address);
	if (r < 0)
		return r;

	r = bus_broker_register(m);
	if (r < 0)
		return r;
	if (cfg->own_lmm) {
		r = bus_lmm_register(m);
		if (r < 0)
			return r;
	}

	/* Clients leaving the bus: only those we know are watched (bus-watch.c). */

	r = oomn_source_new(&m->source, m->event, &cfg->source, &handlers, m);
	if (r < 0)
		return log_error_errno(r, "Failed to set up an event source: %m");
	if (cfg->poll_max_usec > 0) {
		uint64_t min = cfg->poll_max_usec < 100000u ? cfg->poll_max_usec : 100000u;

		r = oomn_source_set_poll_intervals(m->source, min, cfg->poll_max_usec);
		if (r < 0)
			return log_error_errno(r, "Failed to set the poll interval: %m");
	}
	if (!m->have_pressure) {
		m->pressure = *oomn_source_current(m->source);
		m->pressure.cgroup = NULL;
		m->have_pressure = true;
	}
	log_info("Event source: %s, level %s", oomn_source_kind_to_string(oomn_source_kind(m->source)),
		 oomn_level_to_string(m->pressure.level));

	/* The names last: whoever sees them may call us at once. */
	r = sd_bus_request_name(m->bus, OOMN_BUS_NAME, 0);
	if (r < 0)
		return log_error_errno(r, "Failed to acquire bus name %s: %m", OOMN_BUS_NAME);
	if (cfg->own_lmm) {
		r = bus_lmm_request_name(m);
		if (r < 0)
			return r;
	}

	*ret = TAKE_PTR(m);
	return 0;
}

Manager *manager_free(Manager *m)
{
	if (!m)
		return NULL;
	bus_lmm_done(m);
	bus_kills_done(m);
	bus_watch_done(m);
	m->source = oomn_source_free(m->source);
	m->bus = sd_bus_flush_close_unref(m->bus);
	m->event = sd_event_unref(m->event);
	m->registry = oomn_registry_free(m->registry);
	free(m);
	return NULL;
}

int manager_run(Manager *m)
{
	int r;

	r = sd_event_loop(m->event);
	if (r < 0)
		return log_error_errno(r, "Event loop failed: %m");
	return r;
}
