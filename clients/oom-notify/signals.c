/* SPDX-License-Identifier: GPL-2.0-only */
#include <string.h>

#include "cli.h"
#include "oomn-bus.h"
#include "signals.h"

#define SIGNAL(member, kind, events) { OOMN_BUS_##member, OOMN_BUS_SIG_##member, kind, events }

const struct cli_signal cli_signals[] = {
	SIGNAL(PRESSURE_CHANGED, FORMAT_BUS_PRESSURE, CLI_EVENTS_PRESSURE),
	SIGNAL(CGROUP_PRESSURE_CHANGED, FORMAT_BUS_CGROUP_PRESSURE, CLI_EVENTS_PRESSURE),
	SIGNAL(KERNEL_OOM_KILL, FORMAT_BUS_OOM_KILL, CLI_EVENTS_OOM),
	SIGNAL(KILL_ANNOUNCED, FORMAT_BUS_KILL_ANNOUNCED, CLI_EVENTS_KILL),
	SIGNAL(CANDIDATE_ANSWERED, FORMAT_BUS_CANDIDATE_ANSWERED, CLI_EVENTS_KILL),
	SIGNAL(KILLED, FORMAT_BUS_KILLED, CLI_EVENTS_KILL),
	SIGNAL(REDEEMED, FORMAT_BUS_REDEEMED, CLI_EVENTS_KILL),
};

const size_t cli_n_signals = ELEMENTSOF(cli_signals);

const struct cli_signal *cli_signal_find(const char *member)
{
	for (size_t i = 0; member && i < cli_n_signals; i++)
		if (strcmp(cli_signals[i].member, member) == 0)
			return &cli_signals[i];
	return NULL;
}
