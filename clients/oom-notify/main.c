/* SPDX-License-Identifier: GPL-2.0-only */
/* oom-notify: watch memory pressure and OOM kills. Parses and runs. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: oom-notify [OPTIONS] COMMAND\n"
		"\n"
		"Watch memory pressure levels, kernel OOM kills and the killer's notices.\n"
		"\n"
		"Commands:\n"
		"  status            print the current level and figures, and the clients\n"
		"                    registered for redemption\n"
		"  watch             print the current state, then every event as it\n"
		"                    happens, until Ctrl-C\n"
		"\n"
		"Options:\n"
		"  -b, --bus-address ADDR\n"
		"                    ask the broker on the bus at ADDR, not on the system\n"
		"                    bus ($DBUS_SYSTEM_BUS_ADDRESS or its default place)\n"
		"  -k, --kernel      read the oom_notify module directly, without the broker\n"
		"  -j, --json        one JSON object per line\n"
		"  -l, --min-level L show pressure events at or above L (normal, low,\n"
		"                    medium, critical) and the fall back below it\n"
		"  -e, --events LIST pressure,oom,kill (default: all). kill: notices,\n"
		"                    answers, kills and redemptions (broker only); with\n"
		"                    --kernel, oom needs CAP_SYS_ADMIN\n"
		"      --proc DIR    with --kernel: read meminfo from DIR instead of /proc\n"
		"  -h, --help        show this help\n"
		"  -V, --version     show the version\n"
		"\n"
		"Exit status: 0 ok, 1 failure, 2 usage, 69 broker not running (or, with\n"
		"--kernel, module not loaded), 77 not permitted.\n");
}

static int parse_level(const char *s)
{
	return format_level_from_string(s);
}

static int parse_events(const char *s, unsigned *ret)
{
	char *copy = strdup(s), *save = NULL, *tok;
	unsigned ev = 0;
	int r = 0;

	if (!copy)
		return -1;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (strcmp(tok, "pressure") == 0)
			ev |= CLI_EVENTS_PRESSURE;
		else if (strcmp(tok, "oom") == 0)
			ev |= CLI_EVENTS_OOM;
		else if (strcmp(tok, "kill") == 0)
			ev |= CLI_EVENTS_KILL;
		else
			r = -1;
	}
	free(copy);
	*ret = ev;
	return ev ? r : -1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "bus-address", required_argument, NULL, 'b' },
		{ "kernel", no_argument, NULL, 'k' },
		{ "json", no_argument, NULL, 'j' },
		{ "min-level", required_argument, NULL, 'l' },
		{ "events", required_argument, NULL, 'e' },
		{ "proc", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{}
	};
	struct cli_opts o = {
		.min_level = OOM_NOTIFY_LEVEL_NORMAL,
		.events = CLI_EVENTS_ALL,
	};
	bool kernel = false;
	int c;

	while ((c = getopt_long(argc, argv, "b:kjl:e:hV", opts, NULL)) >= 0) {
		switch (c) {
		case 'b':
			o.bus_address = optarg;
			break;
		case 'k':
			kernel = true;
			break;
		case 'j':
			o.fmt.json = true;
			break;
		case 'l':
			o.min_level = parse_level(optarg);
			if (o.min_level < 0) {
				fprintf(stderr, "oom-notify: unknown level '%s'\n", optarg);
				return CLI_EXIT_USAGE;
			}
			break;
		case 'e':
			if (parse_events(optarg, &o.events) < 0) {
				fprintf(stderr, "oom-notify: --events takes a list of pressure, oom, kill\n");
				return CLI_EXIT_USAGE;
			}
			break;
		case 'P':
			o.proc_root = optarg;
			break;
		case 'h':
			usage(stdout);
			return CLI_EXIT_OK;
		case 'V':
			printf("oom-notify %s\n", OOMN_VERSION);
			return CLI_EXIT_OK;
		default:
			usage(stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (!kernel && o.proc_root) {
		fprintf(stderr, "oom-notify: --proc is for --kernel (the broker reads its own /proc)\n");
		return CLI_EXIT_USAGE;
	}
	if (kernel && !(o.events & (CLI_EVENTS_PRESSURE | CLI_EVENTS_OOM))) {
		fprintf(stderr, "oom-notify: the killer's events come from the broker, not --kernel\n");
		return CLI_EXIT_USAGE;
	}
	/* a pipe reader sees each line when it happens */
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(argv[optind], "status") == 0)
		return kernel ? cli_kernel_status(&o) : cli_broker_status(&o);
	if (strcmp(argv[optind], "watch") == 0)
		return kernel ? cli_kernel_watch(&o) : cli_broker_watch(&o);
	fprintf(stderr, "oom-notify: unknown command '%s'\n", argv[optind]);
	usage(stderr);
	return CLI_EXIT_USAGE;
}
