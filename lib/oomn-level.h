/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The levels' names: one table for the whole system, the kernel module's
 * own (oom_notify_level_name()). The bus, the CLI's text and JSON, the
 * daemons' logs and liboom-notify all print these.
 */
#pragma once

#include "oom_notify_level.h"

/* "normal", "low", "medium", "critical"; "unknown" for anything else. */
const char *oomn_level_to_string(enum oom_notify_level level);
/* The level named @s (exactly, lower case), or -EINVAL (also for NULL). */
int oomn_level_from_string(const char *s);
