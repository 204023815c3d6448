/* SPDX-License-Identifier: GPL-2.0-only */
/* The watch loop both sources share: Ctrl-C and SIGTERM end it cleanly. */
#include <signal.h>

#include "cli.h"

int cli_event_new(sd_event **ret)
{
	sd_event *e = NULL;
	sigset_t mask;
	int r;

	r = sd_event_default(&e);
	if (r < 0)
		return r;
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	/* NULL handler: the loop exits with 0 on the signal */
	if ((r = sd_event_add_signal(e, NULL, SIGINT, NULL, NULL)) < 0 ||
	    (r = sd_event_add_signal(e, NULL, SIGTERM, NULL, NULL)) < 0) {
		sd_event_unref(e);
		return r;
	}
	*ret = e;
	return 0;
}
