/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <string.h>

#include "client-util.h"
#include "oomn-macro.h"

static const char *const level_names[] = {
	[OOMN_LEVEL_NORMAL] = "normal",
	[OOMN_LEVEL_LOW] = "low",
	[OOMN_LEVEL_MEDIUM] = "medium",
	[OOMN_LEVEL_CRITICAL] = "critical",
};

const char *oomn_client_level_to_string(OomnLevel level)
{
	if ((unsigned)level >= ELEMENTSOF(level_names))
		return NULL;
	return level_names[level];
}

int client_level_from_string(const char *s)
{
	if (!s)
		return -EINVAL;
	for (unsigned i = 0; i < ELEMENTSOF(level_names); i++)
		if (strcmp(s, level_names[i]) == 0)
			return (int)i;
	return -EINVAL;
}

static const struct {
	const char *name;
	int error;
} error_map[] = {
	{ "org.freedesktop.DBus.Error.InvalidArgs", EINVAL },
	{ "org.freedesktop.DBus.Error.AccessDenied", EACCES },
	{ "org.oomnotify.Error.NotRegistered", ENOENT },
	{ "org.oomnotify.Error.NoNotice", ENOMSG },
	{ "org.oomnotify.Error.LimitsExceeded", EUSERS },
	/* nobody owns the broker's name: it is not running */
	{ "org.freedesktop.DBus.Error.ServiceUnknown", ENOTCONN },
	{ "org.freedesktop.DBus.Error.NameHasNoOwner", ENOTCONN },
};

int client_errno_from_error_name(const char *name)
{
	if (!name)
		return 0;
	for (unsigned i = 0; i < ELEMENTSOF(error_map); i++)
		if (strcmp(name, error_map[i].name) == 0)
			return error_map[i].error;
	return 0;
}
