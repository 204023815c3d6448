/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The broker's signals as `watch` reads them: member, the signature it
 * expects (lib/oomn-bus.h's; tests/cli/test-signals.c holds it to
 * dbus/org.oomnotify.Broker1.xml),
 * the event kind and the --events class. No bus types: unit tested.
 */
#pragma once

#include <stddef.h>

#include "format.h"

struct cli_signal {
	const char *member;
	const char *signature;
	enum format_bus_kind kind;
	unsigned events; /* CLI_EVENTS_* */
};

extern const struct cli_signal cli_signals[];
extern const size_t cli_n_signals;

/* The entry for member, or NULL. */
const struct cli_signal *cli_signal_find(const char *member);
