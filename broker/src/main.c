/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * oom-notifyd: parses its options and runs the manager.
 *
 * Exit codes: 0 stopped by SIGTERM/SIGINT (or --help, --version);
 * 1 failed to start or the event loop failed; 2 bad usage.
 */
#include <errno.h>
#include <stdint.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oomn-log.h"
#include "manager.h"

#define EXIT_USAGE 2
#define MAX_WATCHED_CGROUPS 64
#define SETTLE_USEC (3 * 1000 * UINT64_C(1000))

static void help(void)
{
	printf("Usage: oom-notifyd [OPTION]...\n"
	       "Re-emits memory-pressure levels and kernel OOM kills on D-Bus\n"
	       "(org.oomnotify.Broker1) and relays the killer's redemption notices.\n\n"
	       "  --bus-address ADDR      connect to this bus instead of the system bus\n"
	       "                          (default: $OOMN_BUS_ADDRESS, else the system bus)\n"
	       "  --proc-root DIR         read meminfo and pressure below DIR (default /proc)\n"
	       "  --cgroup-root DIR       cgroup2 mount (default /sys/fs/cgroup)\n"
	       "  --source KIND           auto, kernel, psi or meminfo (default auto)\n"
	       "  --watch-cgroup PATH     also watch this cgroup (below the root); repeatable\n"
	       "  --no-lmm                do not own org.freedesktop.LowMemoryMonitor\n"
	       "  --max-clients N         registrations in all (default %u)\n"
	       "  --max-clients-per-uid N registrations of one user (default %u)\n"
	       "  --oom-score-adj N|keep  own oom_score_adj (default %d)\n"
	       "  --no-mlock              do not lock memory\n"
	       "  --poll-max-ms N         longest meminfo poll interval while memory is\n"
	       "                          plentiful (default: the source's, 10 s)\n"
	       "  -h, --help              show this help\n"
	       "  --version               show the version\n\n"
	       "Exit status: 0 stopped by a signal, 1 failure, 2 bad usage.\n",
	       OOMN_REGISTRY_MAX_TOTAL_DEFAULT, OOMN_REGISTRY_MAX_PER_UID_DEFAULT,
	       OOMN_BROKER_SCORE_ADJ_DEFAULT);
}

static int parse_uint(const char *s, unsigned long max, unsigned long *ret)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

/*
 * Less than the killer: no walk. The broker's path under pressure (the
 * source's event, the signals, the relay of a notice) runs at every level
 * change from low upwards, before memory is critical; locked on fault, what it
 * ran then stays. A page-in on the way costs a candidate part of its deadline,
 * never a kill: the killer does not wait on the broker (docs/architecture.md, invariant 3).
 * Locking it all (MCL_CURRENT alone) kept 6 MiB resident, libsystemd's
 * compression and crypto libraries included, which the broker never runs.
 */
static int on_settle(sd_event_source *s, uint64_t usec, void *userdata)
{
	(void)oomn_selfprotect_settle(userdata, NULL);
	return 0;
}

int main(int argc, char *argv[])
{
	enum {
		ARG_BUS_ADDRESS = 0x100,
		ARG_PROC_ROOT,
		ARG_CGROUP_ROOT,
		ARG_SOURCE,
		ARG_WATCH_CGROUP,
		ARG_NO_LMM,
		ARG_MAX_CLIENTS,
		ARG_MAX_PER_UID,
		ARG_OOM_SCORE_ADJ,
		ARG_NO_MLOCK,
		ARG_POLL_MAX_MS,
		ARG_VERSION,
	};
	static const struct option options[] = {
		{ "bus-address", required_argument, NULL, ARG_BUS_ADDRESS },
		{ "proc-root", required_argument, NULL, ARG_PROC_ROOT },
		{ "cgroup-root", required_argument, NULL, ARG_CGROUP_ROOT },
		{ "source", required_argument, NULL, ARG_SOURCE },
		{ "watch-cgroup", required_argument, NULL, ARG_WATCH_CGROUP },
		{ "no-lmm", no_argument, NULL, ARG_NO_LMM },
		{ "max-clients", required_argument, NULL, ARG_MAX_CLIENTS },
		{ "max-clients-per-uid", required_argument, NULL, ARG_MAX_PER_UID },
		{ "oom-score-adj", required_argument, NULL, ARG_OOM_SCORE_ADJ },
		{ "no-mlock", no_argument, NULL, ARG_NO_MLOCK },
		{ "poll-max-ms", required_argument, NULL, ARG_POLL_MAX_MS },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, ARG_VERSION },
		{}
	};
	static char *cgroups[MAX_WATCHED_CGROUPS + 1];
	size_t n_cgroups = 0;
	struct oomn_manager_config cfg = {
		.limits = {
			.max_total = OOMN_REGISTRY_MAX_TOTAL_DEFAULT,
			.max_per_uid = OOMN_REGISTRY_MAX_PER_UID_DEFAULT,
		},
		.own_lmm = true,
		.selfprotect = {
			.mlock = true,
			.set_score_adj = true,
			.log_score_adj = true,
			.score_adj = OOMN_BROKER_SCORE_ADJ_DEFAULT,
		},
		.source = { .want_oom = true },
	};
	_cleanup_(manager_freep) Manager *m = NULL;
	unsigned long v;
	sigset_t mask;
	int c, r;

	oomn_log_ident = "oom-notifyd";
	while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
		switch (c) {
		case ARG_BUS_ADDRESS:
			cfg.bus_address = optarg;
			break;
		case ARG_PROC_ROOT:
			cfg.source.proc_root = optarg;
			break;
		case ARG_CGROUP_ROOT:
			cfg.source.cgroup_root = optarg;
			break;
		case ARG_SOURCE:
			if (oomn_source_kind_from_string(optarg, &cfg.source.force) < 0) {
				log_error("Unknown source \"%s\": auto, kernel, psi or meminfo", optarg);
				return EXIT_USAGE;
			}
			break;
		case ARG_WATCH_CGROUP:
			if (n_cgroups == MAX_WATCHED_CGROUPS) {
				log_error("At most %d --watch-cgroup", MAX_WATCHED_CGROUPS);
				return EXIT_USAGE;
			}
			cgroups[n_cgroups++] = optarg;
			break;
		case ARG_NO_LMM:
			cfg.own_lmm = false;
			break;
		case ARG_MAX_CLIENTS:
		case ARG_MAX_PER_UID:
			if (parse_uint(optarg, 1000000, &v) < 0 || v == 0) {
				log_error("Invalid limit \"%s\"", optarg);
				return EXIT_USAGE;
			}
			if (c == ARG_MAX_CLIENTS)
				cfg.limits.max_total = v;
			else
				cfg.limits.max_per_uid = v;
			break;
		case ARG_OOM_SCORE_ADJ:
			if (strcmp(optarg, "keep") == 0) {
				cfg.selfprotect.set_score_adj = false;
				break;
			}
			{
				char *end;
				long adj;

				errno = 0;
				adj = strtol(optarg, &end, 10);
				if (errno || end == optarg || *end || adj < -1000 || adj > 1000) {
					log_error("Invalid oom_score_adj \"%s\": -1000..1000 or keep",
						  optarg);
					return EXIT_USAGE;
				}
				cfg.selfprotect.score_adj = (int)adj;
			}
			break;
		case ARG_POLL_MAX_MS:
			if (parse_uint(optarg, 3600000, &v) < 0 || v == 0) {
				log_error("Invalid poll interval \"%s\"", optarg);
				return EXIT_USAGE;
			}
			cfg.poll_max_usec = (uint64_t)v * 1000u;
			break;
		case ARG_NO_MLOCK:
			cfg.selfprotect.mlock = false;
			break;
		case 'h':
			help();
			return EXIT_SUCCESS;
		case ARG_VERSION:
			printf("oom-notifyd %s (org.oomnotify.Broker1 version %u)\n", OOMN_VERSION,
			       OOMN_BUS_VERSION);
			return EXIT_SUCCESS;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		log_error("Unexpected argument \"%s\"", argv[optind]);
		return EXIT_USAGE;
	}
	if (!cfg.bus_address) {
		const char *e = getenv("OOMN_BUS_ADDRESS");

		if (e && *e)
			cfg.bus_address = e;
	}
	if (n_cgroups > 0)
		cfg.source.cgroups = cgroups;
	oom_notify_thresholds_default(&cfg.source.thresholds);

	(void)oomn_selfprotect(&cfg.selfprotect);

	/* sd-event takes these through a signalfd. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	(void)sigprocmask(SIG_BLOCK, &mask, NULL);

	r = manager_new(&m, &cfg);
	if (r < 0)
		return EXIT_FAILURE;
	/* Settled once the start-up traffic on the bus (Hello, names, matches, the
	 * killer's first calls) is over: what only that needed is not kept. */
	r = sd_event_add_time_relative(m->event, NULL, CLOCK_MONOTONIC, SETTLE_USEC, 0,
				       on_settle, &cfg.selfprotect);
	if (r < 0)
		(void)oomn_selfprotect_settle(&cfg.selfprotect, NULL);
	r = manager_run(m);
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
