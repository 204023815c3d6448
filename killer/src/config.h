/* SPDX-License-Identifier: GPL-2.0-only */
/* oom-killerd's command line: parsed into a KillerConfig, no I/O beyond messages. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "oomn-source.h"

#define KILLER_RULES_DEFAULT	 "/etc/oom-notify/rules.yaml"
#define KILLER_RULES_DIR_DEFAULT "/etc/oom-notify/rules.d"
#define KILLER_USEC_UNSET	 UINT64_MAX

typedef enum KillerMode {
	KILLER_MODE_RUN,
	KILLER_MODE_CHECK,
	KILLER_MODE_HELP,
	KILLER_MODE_VERSION,
} KillerMode;

typedef struct KillerConfig {
	KillerMode mode;
	const char *rules;	/* the file to load (or to --check) */
	bool rules_explicit;	/* given by --rules or --check: missing is an error */
	const char *rules_dir;
	bool dry_run;
	const char *bus_address; /* NULL: the system bus */
	bool no_bus;
	const char *proc_root;	 /* NULL: /proc */
	const char *cgroup_root; /* NULL: /sys/fs/cgroup */
	enum oomn_source_kind source; /* NONE: the best available */
	/* KILLER_USEC_UNSET: the rules' */
	uint64_t deadline_usec, grace_usec, helper_deadline_usec;
	int floor_permille;		    /* -1: the rules' */
	bool mrelease;
	const char *hook;
	bool realtime;
	bool mlock;
} KillerConfig;

/*
 * Parses argv into cfg. Returns 0, or -EINVAL for bad usage after printing
 * the reason on stderr (the caller exits 2). Resets getopt itself, so it may
 * be called more than once (tests).
 */
int config_parse(int argc, char *argv[], KillerConfig *cfg);
void config_help(void);

/* "3%", "2.5%" (the % is required): per mille of MemTotal, 0..500; 0 or -EINVAL.
 * The rules' parser of their floor (rules_parse_floor()), which --floor shares. */
int config_parse_percent(const char *s, int *ret_permille);
