/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * oom-killerd: parses its options, loads the rules and runs the daemon.
 *
 * Exit codes: 0 stopped by SIGTERM/SIGINT (or --help, --version, a valid
 * --check); 1 failed to start, bad rules, or an invalid --check; 2 bad usage.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "killer.h"
#include "oomn-log.h"
#include "oomn-selfprotect.h"
#include "warmup.h"

#define EXIT_USAGE 2
/* The kernel's OOM killer never picks the killer. */
#define KILLER_SCORE_ADJ (-1000)

/* Loads the rules; errors are printed as FILE:LINE:COL: message. */
static int load_rules(const KillerConfig *cfg, Rules **ret)
{
	RulesErrors errs = {};
	Rules *rules = NULL;
	int r;

	r = rules_load(cfg->rules, cfg->rules_dir, NULL, &rules, &errs);
	if (r == -ENOENT && !cfg->rules_explicit && access(cfg->rules, F_OK) < 0) {
		/* No main file: the built-in defaults, plus whatever the drop-ins say. */
		rules_errors_clear(&errs);
		log_info("No %s: built-in defaults and the drop-in directory only", cfg->rules);
		r = rules_load(NULL, cfg->rules_dir, NULL, &rules, &errs);
	}
	if (r < 0) {
		char *text = rules_errors_format(&errs);

		if (text && *text)
			fputs(text, stderr);
		else
			fprintf(stderr, "%s: %s\n", cfg->rules, strerror(-r));
		free(text);
		rules_errors_clear(&errs);
		return r;
	}
	rules_errors_clear(&errs);
	*ret = rules;
	return 0;
}

int main(int argc, char *argv[])
{
	_cleanup_(killer_freep) Killer *k = NULL;
	struct oomn_selfprotect_config sp;
	KillerConfig cfg;
	Rules *rules = NULL;
	sigset_t mask;
	int r;

	oomn_log_ident = "oom-killerd";
	if (config_parse(argc, argv, &cfg) < 0)
		return EXIT_USAGE;
	switch (cfg.mode) {
	case KILLER_MODE_HELP:
		config_help();
		return EXIT_SUCCESS;
	case KILLER_MODE_VERSION:
		printf("oom-killerd %s\n", OOMN_VERSION);
		return EXIT_SUCCESS;
	case KILLER_MODE_CHECK:
		if (load_rules(&cfg, &rules) < 0)
			return EXIT_FAILURE;
		printf("%s: %zu rules OK\n", cfg.rules, rules->n_rules);
		rules_free(rules);
		return EXIT_SUCCESS;
	case KILLER_MODE_RUN:
		break;
	}

	if (load_rules(&cfg, &rules) < 0)
		return EXIT_FAILURE;
	log_info("%zu rules loaded", rules->n_rules);

	sp = (struct oomn_selfprotect_config){
		.set_score_adj = true,
		.score_adj = KILLER_SCORE_ADJ,
		.realtime = cfg.realtime,
		.mlock = cfg.mlock,
	};
	(void)oomn_selfprotect(&sp);

	/* sd-event takes these through a signalfd; SIGCHLD for the hook's children. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGCHLD);
	(void)sigprocmask(SIG_BLOCK, &mask, NULL);

	r = killer_new(&k, &cfg, rules);
	if (r < 0) /* it freed the rules */
		return EXIT_FAILURE;
	killer_warmup(k, &sp);
	r = killer_run(k);
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
