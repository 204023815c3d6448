/* SPDX-License-Identifier: GPL-2.0-only */
#include <string.h>

#include "cli.h"
#include "signals.h"

const struct cli_signal cli_signals[] = {
	{ "PressureChanged", "sstttttst", FORMAT_BUS_PRESSURE, CLI_EVENTS_PRESSURE },
	{ "CgroupPressureChanged", "ssst", FORMAT_BUS_CGROUP_PRESSURE, CLI_EVENTS_PRESSURE },
	{ "KernelOomKill", "usustt", FORMAT_BUS_OOM_KILL, CLI_EVENTS_OOM },
	{ "KillAnnounced", "usuts", FORMAT_BUS_KILL_ANNOUNCED, CLI_EVENTS_KILL },
	{ "CandidateAnswered", "utb", FORMAT_BUS_CANDIDATE_ANSWERED, CLI_EVENTS_KILL },
	{ "Killed", "usussts", FORMAT_BUS_KILLED, CLI_EVENTS_KILL },
	{ "Redeemed", "uss", FORMAT_BUS_REDEEMED, CLI_EVENTS_KILL },
};

const size_t cli_n_signals = ELEMENTSOF(cli_signals);

const struct cli_signal *cli_signal_find(const char *member)
{
	for (size_t i = 0; member && i < cli_n_signals; i++)
		if (strcmp(cli_signals[i].member, member) == 0)
			return &cli_signals[i];
	return NULL;
}
