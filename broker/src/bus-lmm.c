/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * org.freedesktop.LowMemoryMonitor compatibility, so that unmodified GLib
 * applications (GMemoryMonitor) hear the broker.
 *
 * Semantics follow low-memory-monitor: LowMemoryWarning(y) with 50, 100 or
 * 255 when memory is low, medium or critical; nothing when it is back to
 * normal. low-memory-monitor emits whenever its PSI trigger for a level
 * fires, but the same level at most once per 15 s (its RECOVERY_INTERVAL),
 * and keeps doing so while the stall goes on. Here: a warning on every
 * change to a raised level, at most once per 15 s per level, and repeated
 * every 15 s while the level stays raised.
 */
#include <errno.h>
#include <time.h>

#include "oomn-clock.h"
#include "oomn-log.h"
#include "lmm-warning.h"
#include "manager.h"

static const sd_bus_vtable bus_lmm_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_SIGNAL_WITH_NAMES(OOMN_LMM_LOW_MEMORY_WARNING, OOMN_LMM_SIG_LOW_MEMORY_WARNING,
				 SD_BUS_PARAM(level), 0),
	SD_BUS_VTABLE_END,
};

static void bus_lmm_warn(Manager *m, bool repeat)
{
	enum oom_notify_level level = m->pressure.level;
	uint64_t now = oomn_now_usec(CLOCK_MONOTONIC);
	uint8_t byte = lmm_warning_due(&m->lmm_warnings, level, now);
	int r;

	if (byte == 0 || !m->lmm_owned)
		return;

	r = sd_bus_emit_signal(m->bus, OOMN_LMM_PATH, OOMN_LMM_INTERFACE,
			       OOMN_LMM_LOW_MEMORY_WARNING, OOMN_LMM_SIG_LOW_MEMORY_WARNING, byte);
	if (r < 0) {
		log_warning_errno(r, "Failed to emit LowMemoryWarning: %m");
		return;
	}
	lmm_warning_sent(&m->lmm_warnings, level, now);
	if (!repeat)
		log_info("LowMemoryWarning(%u)", byte);
}

static int bus_lmm_on_repeat(sd_event_source *s, uint64_t usec, void *userdata)
{
	Manager *m = userdata;

	if (m->pressure.level == OOM_NOTIFY_LEVEL_NORMAL)
		return 0;
	bus_lmm_warn(m, true);
	(void)sd_event_source_set_time_relative(s, LMM_RECOVERY_USEC);
	(void)sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
	return 0;
}

void bus_lmm_pressure(Manager *m)
{
	int r;

	if (!m->lmm_owned)
		return;
	if (m->pressure.level == OOM_NOTIFY_LEVEL_NORMAL) {
		if (m->lmm_repeat)
			(void)sd_event_source_set_enabled(m->lmm_repeat, SD_EVENT_OFF);
		return;
	}

	bus_lmm_warn(m, false);

	if (!m->lmm_repeat) {
		r = sd_event_add_time_relative(sd_bus_get_event(m->bus), &m->lmm_repeat,
					       CLOCK_MONOTONIC, LMM_RECOVERY_USEC, 1000000u,
					       bus_lmm_on_repeat, m);
		if (r < 0)
			log_warning_errno(r, "Failed to arm the LowMemoryWarning repeat: %m");
		return;
	}
	(void)sd_event_source_set_time_relative(m->lmm_repeat, LMM_RECOVERY_USEC);
	(void)sd_event_source_set_enabled(m->lmm_repeat, SD_EVENT_ONESHOT);
}

static int bus_lmm_on_name(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
	Manager *m = userdata;
	const sd_bus_error *e = sd_bus_message_get_error(reply);
	uint32_t ret;
	int r;

	if (e) {
		log_warning("Cannot own %s (%s), continuing without it", OOMN_LMM_NAME, e->message);
		return 0;
	}
	r = sd_bus_message_read(reply, "u", &ret);
	if (r < 0)
		return 0;
	if (ret != 1 /* PRIMARY_OWNER */ && ret != 4 /* ALREADY_OWNER */) {
		log_warning("%s is owned by another service (low-memory-monitor?), "
			    "continuing without it",
			    OOMN_LMM_NAME);
		return 0;
	}
	m->lmm_owned = true;
	log_info("Owning %s", OOMN_LMM_NAME);
	/* Pressure that is already there is news to GMemoryMonitor too. */
	bus_lmm_pressure(m);
	return 0;
}

int bus_lmm_register(Manager *m)
{
	return bus_add_vtable(m, OOMN_LMM_PATH, OOMN_LMM_INTERFACE, bus_lmm_vtable);
}

int bus_lmm_request_name(Manager *m)
{
	int r;

	/* No flags: never replace an owner, never queue behind one. */
	r = sd_bus_request_name_async(m->bus, NULL, OOMN_LMM_NAME, 0, bus_lmm_on_name, m);
	if (r < 0)
		log_warning_errno(r, "Failed to request %s, continuing without it: %m",
				  OOMN_LMM_NAME);
	return 0;
}

void bus_lmm_done(Manager *m)
{
	m->lmm_repeat = sd_event_source_unref(m->lmm_repeat);
}
