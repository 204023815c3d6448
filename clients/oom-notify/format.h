/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Rendering events and state for people (one line each) or scripts (one
 * JSON object per line). Pure: no bus, no netlink; the clock is a parameter.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "oomn-bus.h"
#include "oomn-genl.h"

struct format_opts {
	bool json;
	uint64_t swap_total; /* from /proc/meminfo: the kernel cannot say */
	uint64_t now_usec;   /* CLOCK_REALTIME of the line; 0: read the clock */
};

/* The module's own events (--kernel). */
void format_pressure(FILE *f, const struct format_opts *o, const struct oomn_pressure_event *ev);
void format_oom(FILE *f, const struct format_opts *o, const struct oomn_oom_event *ev);
void format_state(FILE *f, const struct format_opts *o, const struct oomn_state *st);
void format_notice(FILE *f, const struct format_opts *o, const char *kind, const char *text);
void format_json_string(FILE *f, const char *s);

/* What the broker says on the bus: one kind per signal, plus its state. */
enum format_bus_kind {
	FORMAT_BUS_STATE,		/* GetState */
	FORMAT_BUS_PRESSURE,		/* PressureChanged */
	FORMAT_BUS_CGROUP_PRESSURE,	/* CgroupPressureChanged */
	FORMAT_BUS_OOM_KILL,		/* KernelOomKill */
	FORMAT_BUS_KILL_ANNOUNCED,	/* KillAnnounced */
	FORMAT_BUS_CANDIDATE_ANSWERED,	/* CandidateAnswered */
	FORMAT_BUS_KILLED,		/* Killed */
	FORMAT_BUS_REDEEMED,		/* Redeemed */
	_FORMAT_BUS_KIND_MAX,
};

/*
 * One event as the signal carries it; which fields mean something depends on
 * kind (the signal's arguments, see dbus/org.oomnotify.Broker1.xml). Strings
 * are borrowed from the message and may hold anything, NULL counts as "".
 */
struct format_bus_event {
	enum format_bus_kind kind;
	const char *level, *prev_level, *source;
	uint64_t signal_seq, mem_total, mem_available, swap_total, swap_free, timestamp_ns;
	const char *comm; /* the process name */
	const char *cgroup, *rule, *reason;
	uint32_t pid, uid, deadline_msec;
	uint64_t deadline_boottime_usec, anon_rss, oom_seq, freed;
	bool checkpointed;
};

/* A registered client is as ListClients returns it: struct oomn_bus_client. */

const char *format_bus_kind_to_string(enum format_bus_kind kind);
void format_bus_event(FILE *f, const struct format_opts *o, const struct format_bus_event *ev);
/* `status`: the state (kind FORMAT_BUS_STATE) and the registered clients;
 * @clients NULL: the caller may not list them (ListClients is root's). */
void format_bus_status(FILE *f, const struct format_opts *o, const struct format_bus_event *st,
		       const struct oomn_bus_client *clients, size_t n_clients);

/* The level named s on the one scale, or -1. */
int format_level_from_string(const char *s);
