/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "oomn-log.h"
#include "rules.h"

void config_help(void)
{
	printf("Usage: oom-killerd [OPTION]...\n"
	       "       oom-killerd --check FILE [--rules-dir DIR]\n"
	       "Chooses a victim by rules when memory becomes critical, gives it a deadline\n"
	       "to redeem itself (through oom-notifyd) and kills it if nobody relieved the\n"
	       "pressure in time.\n\n"
	       "  --rules FILE          rules file (default " KILLER_RULES_DEFAULT ")\n"
	       "  --rules-dir DIR       drop-in directory (default " KILLER_RULES_DIR_DEFAULT ")\n"
	       "  --check FILE          validate FILE (and --rules-dir if given), then exit\n"
	       "  --dry-run             decide, notify and log, but never signal anyone\n"
	       "  --bus-address ADDR    the broker's bus (default: the system bus)\n"
	       "  --no-bus              no D-Bus at all (no notices; the deadline still runs)\n"
	       "  --proc-root DIR       read processes and meminfo below DIR (default /proc)\n"
	       "  --cgroup-root DIR     cgroup2 mount (default /sys/fs/cgroup)\n"
	       "  --source KIND         auto, kernel, psi or meminfo (default auto)\n"
	       "  --deadline DUR        override the rules' deadline (e.g. 500ms, 10s)\n"
	       "  --grace DUR           override the rules' grace between SIGTERM and SIGKILL\n"
	       "  --helper-deadline DUR override the rules' wait for other registered clients\n"
	       "                        when the candidate did not register (default 1s)\n"
	       "  --floor PCT%%          override the rules' floor (MemAvailable, %% of MemTotal)\n"
	       "  --no-mrelease         do not call process_mrelease after SIGKILL\n"
	       "  --hook CMD            run CMD with /bin/sh -c after each kill (OOMN_* env)\n"
	       "  --realtime            run at SCHED_FIFO priority 1\n"
	       "  --no-mlock            do not lock memory\n"
	       "  -h, --help            show this help\n"
	       "  --version             show the version\n\n"
	       "Exit status: 0 stopped by SIGTERM/SIGINT (or --check: valid), 1 failure\n"
	       "(or --check: invalid), 2 bad usage.\n");
}

int config_parse_percent(const char *s, int *ret_permille)
{
	unsigned permille;
	int r;

	r = rules_parse_floor(s, &permille);
	if (r < 0)
		return r;
	*ret_permille = (int)permille;
	return 0;
}

static int config_usage(const char *fmt, const char *arg)
{
	fprintf(stderr, "oom-killerd: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'oom-killerd --help' for more information.\n");
	return -EINVAL;
}

int config_parse(int argc, char *argv[], KillerConfig *cfg)
{
	enum {
		ARG_RULES = 0x100,
		ARG_RULES_DIR,
		ARG_CHECK,
		ARG_DRY_RUN,
		ARG_BUS_ADDRESS,
		ARG_NO_BUS,
		ARG_PROC_ROOT,
		ARG_CGROUP_ROOT,
		ARG_SOURCE,
		ARG_DEADLINE,
		ARG_GRACE,
		ARG_HELPER_DEADLINE,
		ARG_FLOOR,
		ARG_NO_MRELEASE,
		ARG_HOOK,
		ARG_REALTIME,
		ARG_NO_MLOCK,
		ARG_VERSION,
	};
	static const struct option options[] = {
		{ "rules", required_argument, NULL, ARG_RULES },
		{ "rules-dir", required_argument, NULL, ARG_RULES_DIR },
		{ "check", required_argument, NULL, ARG_CHECK },
		{ "dry-run", no_argument, NULL, ARG_DRY_RUN },
		{ "bus-address", required_argument, NULL, ARG_BUS_ADDRESS },
		{ "no-bus", no_argument, NULL, ARG_NO_BUS },
		{ "proc-root", required_argument, NULL, ARG_PROC_ROOT },
		{ "cgroup-root", required_argument, NULL, ARG_CGROUP_ROOT },
		{ "source", required_argument, NULL, ARG_SOURCE },
		{ "deadline", required_argument, NULL, ARG_DEADLINE },
		{ "grace", required_argument, NULL, ARG_GRACE },
		{ "helper-deadline", required_argument, NULL, ARG_HELPER_DEADLINE },
		{ "floor", required_argument, NULL, ARG_FLOOR },
		{ "no-mrelease", no_argument, NULL, ARG_NO_MRELEASE },
		{ "hook", required_argument, NULL, ARG_HOOK },
		{ "realtime", no_argument, NULL, ARG_REALTIME },
		{ "no-mlock", no_argument, NULL, ARG_NO_MLOCK },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, ARG_VERSION },
		{}
	};
	bool have_check = false, have_rules_dir = false;
	int c;

	*cfg = (KillerConfig){
		.mode = KILLER_MODE_RUN,
		.rules = KILLER_RULES_DEFAULT,
		.rules_dir = KILLER_RULES_DIR_DEFAULT,
		.deadline_usec = KILLER_USEC_UNSET,
		.grace_usec = KILLER_USEC_UNSET,
		.helper_deadline_usec = KILLER_USEC_UNSET,
		.floor_permille = -1,
		.mrelease = true,
		.mlock = true,
	};

	optind = 0; /* full re-initialisation, for repeated calls */
	opterr = 1;
	while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
		switch (c) {
		case ARG_RULES:
			cfg->rules = optarg;
			cfg->rules_explicit = true;
			break;
		case ARG_RULES_DIR:
			cfg->rules_dir = optarg;
			have_rules_dir = true;
			break;
		case ARG_CHECK:
			cfg->rules = optarg;
			cfg->rules_explicit = true;
			have_check = true;
			break;
		case ARG_DRY_RUN:
			cfg->dry_run = true;
			break;
		case ARG_BUS_ADDRESS:
			cfg->bus_address = optarg;
			break;
		case ARG_NO_BUS:
			cfg->no_bus = true;
			break;
		case ARG_PROC_ROOT:
			cfg->proc_root = optarg;
			break;
		case ARG_CGROUP_ROOT:
			cfg->cgroup_root = optarg;
			break;
		case ARG_SOURCE:
			if (oomn_source_kind_from_string(optarg, &cfg->source) < 0)
				return config_usage(
					"Unknown source \"%s\": auto, kernel, psi or meminfo",
					optarg);
			break;
		case ARG_DEADLINE:
		case ARG_GRACE:
		case ARG_HELPER_DEADLINE: {
			uint64_t usec;

			/* 0 is allowed: no deadline (act at once), no grace (SIGKILL at once). */
			if (rules_parse_duration(optarg, &usec) < 0)
				return config_usage(
					"Invalid duration \"%s\": e.g. 500ms, 10s, 2min", optarg);
			if (c == ARG_DEADLINE)
				cfg->deadline_usec = usec;
			else if (c == ARG_GRACE)
				cfg->grace_usec = usec;
			else
				cfg->helper_deadline_usec = usec;
			break;
		}
		case ARG_FLOOR:
			if (config_parse_percent(optarg, &cfg->floor_permille) < 0)
				return config_usage("Invalid floor \"%s\": 0%%..50%%, e.g. 3%% or 2.5%%",
						    optarg);
			break;
		case ARG_NO_MRELEASE:
			cfg->mrelease = false;
			break;
		case ARG_HOOK:
			if (!*optarg)
				return config_usage("Empty --hook command%s", "");
			cfg->hook = optarg;
			break;
		case ARG_REALTIME:
			cfg->realtime = true;
			break;
		case ARG_NO_MLOCK:
			cfg->mlock = false;
			break;
		case 'h':
			cfg->mode = KILLER_MODE_HELP;
			return 0;
		case ARG_VERSION:
			cfg->mode = KILLER_MODE_VERSION;
			return 0;
		default: /* getopt has said what was wrong */
			fprintf(stderr, "Try 'oom-killerd --help' for more information.\n");
			return -EINVAL;
		}
	}
	if (optind < argc)
		return config_usage("Unexpected argument \"%s\"", argv[optind]);
	if (have_check)
		cfg->mode = KILLER_MODE_CHECK;
	/* --check validates only what it is given: the default drop-in dir is not checked. */
	if (have_check && !have_rules_dir)
		cfg->rules_dir = NULL;
	return 0;
}
