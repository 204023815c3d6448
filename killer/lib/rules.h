/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The killer's policy: an ordered list of rules read from a YAML file and a
 * drop-in directory. Like firewall rules, the FIRST rule whose matches all
 * hold decides; later rules are not looked at. Rules of the main file come
 * first, then those of each drop-in file (*.yaml) in lexical (strcmp) order
 * of the file names. A `defaults:` block may appear in any file; later files
 * override earlier ones key by key.
 *
 * Pure code: no event loop, no logging; the passwd file is a parameter.
 */
#pragma once

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "oomn-bus.h"

typedef enum RuleAction {
	RULE_ACTION_PROTECT,	/* never chosen */
	RULE_ACTION_AVOID,	/* chosen only when no other candidate is left */
	RULE_ACTION_PREFER,	/* weight (1..1000, per mille of memory) added to the score */
	RULE_ACTION_KILL_GROUP, /* the victim's whole cgroup is killed (cgroup.kill) */
	_RULE_ACTION_MAX,
} RuleAction;

enum {
	RULE_MATCH_COMM = 1u << 0,
	RULE_MATCH_EXE = 1u << 1,
	RULE_MATCH_CMDLINE = 1u << 2,
	RULE_MATCH_USER = 1u << 3,
	RULE_MATCH_CGROUP = 1u << 4,
	RULE_MATCH_UNIT = 1u << 5,
	RULE_MATCH_BAND = 1u << 6,
	RULE_MATCH_OOM_SCORE_ADJ = 1u << 7,
};

typedef struct Rule {
	char *name;
	char *file; /* where it was defined, for reports */
	unsigned line, column;

	unsigned match_mask;
	char *comm_glob;   /* comm, fnmatch() */
	char *exe_glob;	   /* fnmatch(), '*' also matches '/' */
	char *cmdline_re;     /* source text of the regex */
	pcre2_code *cmdline;  /* compiled at load; '.' matches any byte */
	uid_t uid;	   /* user resolved at load */
	char *cgroup_glob; /* fnmatch(), '*' also matches '/' */
	char *unit_glob;   /* fnmatch() on the systemd unit */
	int band_min, band_max;
	int adj_min, adj_max;

	RuleAction action;
	unsigned weight;	/* prefer only, 1..1000 */
	uint64_t deadline_usec; /* RULES_USEC_UNSET: the defaults' */
	uint64_t grace_usec;	/* RULES_USEC_UNSET: the defaults' */
} Rule;

typedef struct Rules {
	Rule *rules;
	size_t n_rules;
	uint64_t deadline_usec;	 /* defaults: 10 s */
	uint64_t grace_usec;	 /* defaults: 3 s */
	/* defaults: 1 s; the candidate did not register, others that can free memory did */
	uint64_t helper_deadline_usec;
	unsigned floor_permille; /* defaults: 3 % of MemTotal */
	uint64_t generation;	 /* unique per loaded set, for match caches */

	/* matching's own state: what rules_match() may change through a const Rules */
	pcre2_match_context *match_ctx; /* the limits below */
	pcre2_match_data *match_data;
	struct RulesStats {
		uint64_t regex_over_budget; /* cmdline matches that ran out of steps */
	} *stats;
} Rules;

#define RULES_USEC_UNSET	     UINT64_MAX
#define RULES_DEFAULT_DEADLINE_USEC  (10 * UINT64_C(1000000))
#define RULES_DEFAULT_GRACE_USEC     (3 * UINT64_C(1000000))
#define RULES_DEFAULT_HELPER_DEADLINE_USEC (1 * UINT64_C(1000000))
#define RULES_DEFAULT_FLOOR_PERMILLE 30

/*
 * What a rules file may be: a regular file (a FIFO would block the loader)
 * of at most RULES_FILE_MAX bytes, RULES_MAX rules in all files together.
 * A band is what a client can register (the bus contract: 0..100); a
 * process name (comm) has at most RULES_COMM_MAX bytes. A cmdline regular
 * expression gets RULES_REGEX_MATCH_LIMIT steps of PCRE2's matcher per
 * command line (what any sane expression needs on 4 KiB, a few
 * milliseconds at worst; glibc's regexec() took seconds on crafted lines):
 * a match that runs out counts as no match, and is counted in
 * Rules.stats->regex_over_budget for the daemon to log.
 */
#define RULES_FILE_MAX		     (1024 * 1024)
#define RULES_MAX		     4096
#define RULES_BAND_MAX		     OOMN_BAND_MAX /* the bus contract's bands */
#define RULES_COMM_MAX		     15
#define RULES_REGEX_MATCH_LIMIT	     200000
#define RULES_REGEX_DEPTH_LIMIT	     10000

typedef struct RulesError {
	char *file;
	unsigned line, column; /* 1-based; 0 when the error is about the whole file */
	char *message;
} RulesError;

typedef struct RulesErrors {
	RulesError *errors;
	size_t n_errors;
} RulesErrors;

/* Resolves a user name to a uid; returns 0, -ENOENT if unknown, or another negative errno. */
typedef int (*RulesUserResolver)(const char *name, uid_t *ret, void *userdata);

typedef struct RulesLoadOptions {
	const char *passwd_path;	/* NULL: getpwnam() */
	RulesUserResolver resolve_user; /* if set, used instead of either */
	void *userdata;
} RulesLoadOptions;

/* What a rule is matched against; NULL strings and band < 0 never match a rule on them. */
typedef struct RuleSubject {
	const char *comm;
	const char *exe;
	const char *cmdline; /* arguments joined by spaces */
	uid_t uid;
	const char *cgroup;
	int band; /* registered priority band, -1 if not registered */
	int oom_score_adj;
} RuleSubject;

/*
 * Loads path (NULL: no main file, the built-in defaults), then every *.yaml
 * in dropin_dir (may be NULL or missing). On any
 * error returns a negative errno (-EINVAL for bad contents, or the error of
 * opening the main file) and appends every error found to errs (may be NULL);
 * *ret is set only on success. Never crashes on any input.
 */
int rules_load(const char *path, const char *dropin_dir, const RulesLoadOptions *opts, Rules **ret,
	       RulesErrors *errs);
Rules *rules_free(Rules *rules);

/* The first rule whose matches all hold, or NULL. */
const Rule *rules_match(const Rules *rules, const RuleSubject *s);

const char *rule_action_to_string(RuleAction a);

/* Parses "500ms", "5s", "2min", "100us" into microseconds; returns 0 or -EINVAL. */
int rules_parse_duration(const char *s, uint64_t *ret);

/* Parses "3%", "2.5%" (the % required) into per mille of MemTotal, 0..500; 0 or -EINVAL.
 * The floor of the rules' defaults and of --floor. */
int rules_parse_floor(const char *s, unsigned *ret);

/* The systemd unit of a cgroup path: the last component ending in .service or .scope. */
const char *rules_cgroup_unit(const char *cgroup, size_t *ret_len);

void rules_errors_clear(RulesErrors *errs);
/* One line per error, "FILE:LINE:COL: message" (or "FILE: message"); what --check prints. */
char *rules_errors_format(const RulesErrors *errs);

static inline void rules_freep(Rules **p)
{
	rules_free(*p);
}
#define _cleanup_rules_ __attribute__((cleanup(rules_freep)))
