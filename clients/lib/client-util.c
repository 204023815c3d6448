/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <string.h>

#include "client-util.h"
#include "oomn-bus.h"
#include "oomn-level.h"
#include "oomn-macro.h"

/* The library's levels are the module's, by number (oom-notify.h does not
 * include the UAPI header); the names are the system's one table. */
_Static_assert(OOMN_LEVEL_NORMAL == (int)OOM_NOTIFY_LEVEL_NORMAL &&
		       OOMN_LEVEL_LOW == (int)OOM_NOTIFY_LEVEL_LOW &&
		       OOMN_LEVEL_MEDIUM == (int)OOM_NOTIFY_LEVEL_MEDIUM &&
		       OOMN_LEVEL_CRITICAL == (int)OOM_NOTIFY_LEVEL_CRITICAL &&
		       OOMN_LEVEL_CRITICAL == (int)OOM_NOTIFY_LEVEL_MAX,
	       "OomnLevel and enum oom_notify_level differ");

/* NULL, not "unknown", for anything else: the public contract (oom-notify.h). */
const char *oomn_client_level_to_string(OomnLevel level)
{
	if ((unsigned)level > OOMN_LEVEL_CRITICAL)
		return NULL;
	return oomn_level_to_string((enum oom_notify_level)level);
}

int client_level_from_string(const char *s)
{
	return oomn_level_from_string(s);
}

int oomn_client_level_from_string(const char *s)
{
	return client_level_from_string(s);
}

static const struct {
	const char *name;
	int error;
} error_map[] = {
	{ "org.freedesktop.DBus.Error.InvalidArgs", EINVAL },
	{ "org.freedesktop.DBus.Error.AccessDenied", EACCES },
	{ OOMN_ERROR_NOT_REGISTERED, ENOENT },
	{ OOMN_ERROR_NO_NOTICE, ENOMSG },
	{ OOMN_ERROR_LIMITS_EXCEEDED, EUSERS },
	/* nobody owns the broker's name: it is not running */
	{ "org.freedesktop.DBus.Error.ServiceUnknown", ENOTCONN },
	{ "org.freedesktop.DBus.Error.NameHasNoOwner", ENOTCONN },
	/* a broker older than the method */
	{ "org.freedesktop.DBus.Error.UnknownMethod", EOPNOTSUPP },
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
