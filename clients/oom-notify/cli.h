/* SPDX-License-Identifier: GPL-2.0-only */
#pragma once

#include <stdbool.h>

#include "format.h"

/* Exit codes, as documented in oom-notify(1). */
enum {
	CLI_EXIT_OK = 0,
	CLI_EXIT_FAILURE = 1,
	CLI_EXIT_USAGE = 2,
	CLI_EXIT_UNAVAILABLE = 69,	/* no module (or broker) to ask */
	CLI_EXIT_NOPERM = 77,
};

#define CLI_EVENTS_PRESSURE (1u << 0)
#define CLI_EVENTS_OOM (1u << 1)

struct cli_opts {
	struct format_opts fmt;
	int min_level;		/* enum oom_notify_level */
	unsigned events;	/* CLI_EVENTS_* */
	const char *proc_root;
};

int cli_kernel_status(const struct cli_opts *o);
int cli_kernel_watch(const struct cli_opts *o);
