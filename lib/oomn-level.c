/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <string.h>

#include "oomn-level.h"

const char *oomn_level_to_string(enum oom_notify_level level)
{
	return oom_notify_level_name(level);
}

int oomn_level_from_string(const char *s)
{
	if (!s)
		return -EINVAL;
	for (int l = OOM_NOTIFY_LEVEL_NORMAL; l <= OOM_NOTIFY_LEVEL_MAX; l++)
		if (strcmp(s, oom_notify_level_name(l)) == 0)
			return l;
	return -EINVAL;
}
