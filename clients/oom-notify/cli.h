/* SPDX-License-Identifier: GPL-2.0-only */
#pragma once

#include <stdbool.h>
#include <systemd/sd-event.h>

#include "format.h"

/* Exit codes, as documented in oom-notify(1). */
enum {
	CLI_EXIT_OK = 0,
	CLI_EXIT_FAILURE = 1,
	CLI_EXIT_USAGE = 2,
	CLI_EXIT_UNAVAILABLE = 69,	/* no broker on the bus, or no module */
	CLI_EXIT_NOPERM = 77,
};

#define CLI_EVENTS_PRESSURE (1u << 0)
#define CLI_EVENTS_OOM (1u << 1)
#define CLI_EVENTS_KILL (1u << 2)	/* the killer's notices and outcomes: broker only */
#define CLI_EVENTS_ALL (CLI_EVENTS_PRESSURE | CLI_EVENTS_OOM | CLI_EVENTS_KILL)

struct cli_opts {
	struct format_opts fmt;
	int min_level;		/* enum oom_notify_level */
	unsigned events;	/* CLI_EVENTS_* */
	const char *proc_root;
	const char *bus_address;	/* NULL: the system bus */
};

/* Is a pressure change from prev to level shown? A fall below the filter is
 * shown too, so that a reader sees the pressure end. */
static inline bool cli_level_shown(const struct cli_opts *o, int level, int prev_level)
{
	return level >= o->min_level || prev_level >= o->min_level;
}

/* sd_event_default() with SIGINT and SIGTERM ending the loop; -errno. */
int cli_event_new(sd_event **ret);

int cli_kernel_status(const struct cli_opts *o);
int cli_kernel_watch(const struct cli_opts *o);

int cli_broker_status(const struct cli_opts *o);
int cli_broker_watch(const struct cli_opts *o);
