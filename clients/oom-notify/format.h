/* SPDX-License-Identifier: GPL-2.0-only */
/* Rendering events and state for people (one line each) or scripts (JSON). */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "oomn-genl.h"

struct format_opts {
	bool json;
	uint64_t swap_total;	/* from /proc/meminfo: the kernel cannot say */
};

void format_pressure(FILE *f, const struct format_opts *o, const struct oomn_pressure_event *ev);
void format_oom(FILE *f, const struct format_opts *o, const struct oomn_oom_event *ev);
void format_state(FILE *f, const struct format_opts *o, const struct oomn_state *st);
void format_notice(FILE *f, const struct format_opts *o, const char *kind, const char *text);
void format_json_string(FILE *f, const char *s);
