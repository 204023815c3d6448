/* SPDX-License-Identifier: GPL-2.0-only */
/* The pure part of liboom-notify: names of levels and errors, no bus types. */
#pragma once

#include "oom-notify.h"

/* The OomnLevel named @s, or -EINVAL. */
int client_level_from_string(const char *s);

/*
 * The errno for a D-Bus error name the broker or the bus returns (see
 * oom-notify.h), or 0 if the name is none of those.
 */
int client_errno_from_error_name(const char *name);
