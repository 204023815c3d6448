/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Who hears of kills. Killed, KillAnnounced, Redeemed and KernelOomKill name
 * a victim's pid, uid, comm and cgroup: what the module keeps for
 * CAP_SYS_ADMIN (its "oom" group) and /proc's hidepid may hide. A broadcast
 * reaches every connection with a match, and a bus policy's receive rules
 * did not hold broadcast signals back, so these go unicast, one message per
 * root connection that asked with WatchKills, until it leaves the bus
 * (bus-watch.c keeps its name watched) or calls UnwatchKills.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "oomn-log.h"
#include "manager.h"

static int bus_kills_find(const Manager *m, const char *name)
{
	for (unsigned i = 0; name && i < m->n_kill_watchers; i++)
		if (strcmp(m->kill_watchers[i], name) == 0)
			return (int)i;
	return -1;
}

bool bus_kills_has(const Manager *m, const char *name)
{
	return bus_kills_find(m, name) >= 0;
}

int bus_kills_watch(Manager *m, const char *name)
{
	char *s;

	if (!name || name[0] != ':')
		return -EINVAL;
	if (bus_kills_has(m, name))
		return 1;
	if (m->n_kill_watchers >= OOMN_BUS_KILL_WATCHERS_MAX)
		return -ENOSPC;
	s = strdup(name);
	if (!s)
		return -ENOMEM;
	m->kill_watchers[m->n_kill_watchers++] = s;
	return 0;
}

int bus_kills_unwatch(Manager *m, const char *name)
{
	int i = bus_kills_find(m, name);

	if (i < 0)
		return 0;
	free(m->kill_watchers[i]);
	/* order does not matter: the last one takes its place */
	m->kill_watchers[i] = m->kill_watchers[--m->n_kill_watchers];
	m->kill_watchers[m->n_kill_watchers] = NULL;
	return 1;
}

int bus_send_signal(Manager *m, const char *member, const char *destination,
		    int (*append)(sd_bus_message *sig, const void *args), const void *args)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *sig = NULL;
	int r;

	r = oomn_bus_new_signal(m->bus, &sig, member, destination);
	if (r >= 0)
		r = append(sig, args);
	if (r >= 0)
		r = sd_bus_send(m->bus, sig, NULL);
	return r;
}

int bus_kills_emit(Manager *m, const char *member,
		   int (*append)(sd_bus_message *sig, const void *args), const void *args)
{
	int ret = 0;

	if (!m->bus)
		return 0;
	for (unsigned i = 0; i < m->n_kill_watchers; i++) {
		int r = bus_send_signal(m, member, m->kill_watchers[i], append, args);

		if (r < 0) {
			log_warning_errno(r, "Failed to send %s to %s: %m", member,
					  m->kill_watchers[i]);
			ret = r;
		}
	}
	return ret;
}

void bus_kills_done(Manager *m)
{
	while (m->n_kill_watchers > 0)
		free(m->kill_watchers[--m->n_kill_watchers]);
}
