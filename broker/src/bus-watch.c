/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Which connections' leaving matters: only the names the registry knows
 * (registered clients, the killer of a pending notice) and the kill
 * watchers (bus-kills.c). A match on every
 * NameOwnerChanged would wake the broker for each client that comes and goes
 * anywhere on the system bus; one match per known name (arg0) keeps an idle
 * broker asleep.
 *
 * The match for a name is added before the bus is asked for that caller's
 * credentials (bus-creds.c): dbus-daemon handles our messages in order, so
 * either the credentials query fails because the caller has already gone,
 * or the caller's leaving comes after the match is in. A name is dropped
 * once no query for it is in flight and the registry does not know it.
 *
 * dbus-daemon limits match rules per connection (512 by default), so at most
 * BUS_WATCH_MAX names get their own match; beyond that one catch-all match
 * covers the rest while they last.
 *
 * A registration also ends with the process that made it: the bus tells the
 * pid a connection had when it connected, and pids are reused. The watch
 * pins that process with a pidfd when it registers and drops the
 * registration when the process exits, even if a child it forked keeps the
 * connection open.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "oomn-log.h"
#include "manager.h"

#define BUS_WATCH_MAX 256u
#define BUS_WATCH_RULE                                                                      \
	"type='signal',sender='org.freedesktop.DBus',path='/org/freedesktop/DBus',"         \
	"interface='org.freedesktop.DBus',member='NameOwnerChanged'"

struct BusWatch {
	BusWatch *next;
	char *name;	   /* a unique name, ":1.42" */
	sd_bus_slot *slot; /* its own match; NULL: the catch-all covers it */
	unsigned pending;  /* credentials queries in flight for it */
	sd_event_source *process; /* the registrant's pidfd: readable once it exits */
};

static BusWatch *bus_watch_find(Manager *m, const char *name)
{
	for (BusWatch *w = m->watches; w; w = w->next)
		if (strcmp(w->name, name) == 0)
			return w;
	return NULL;
}

static void bus_watch_remove(Manager *m, BusWatch *w)
{
	for (BusWatch **p = &m->watches; *p; p = &(*p)->next)
		if (*p == w) {
			*p = w->next;
			break;
		}
	if (w->slot)
		m->n_watch_slots--;
	sd_bus_slot_unref(w->slot);
	sd_event_source_disable_unref(w->process);
	free(w->name);
	free(w);
}

/* Drops what is no longer needed: names nobody asks about, the registry
 * does not know and that watch no kills, and the catch-all when every name
 * has its own match. */
static void bus_watch_gc(Manager *m)
{
	bool uncovered = false;

	for (BusWatch *w = m->watches, *next; w; w = next) {
		next = w->next;
		if (w->pending == 0 && !oomn_registry_knows_name(m->registry, w->name) &&
		    !bus_kills_has(m, w->name))
			bus_watch_remove(m, w);
		else if (!w->slot)
			uncovered = true;
	}
	if (!uncovered && m->watch_all) {
		m->watch_all = sd_bus_slot_unref(m->watch_all);
		log_info("Watching registered connections one by one again");
	}
}

/* The bus says @name has gone: forget it. */
static void bus_watch_gone(Manager *m, const char *name)
{
	const struct oomn_client *c = oomn_registry_find_name(m->registry, name);
	uint32_t uid = c ? c->uid : LOG_LIMIT_UID_UNKNOWN;
	unsigned more;
	BusWatch *w;

	if (oomn_registry_forget_name(m->registry, name) > 0 && bus_log_allowed(m, uid, &more))
		log_info("Client %s disconnected, registration dropped (%u lines of uid %" PRIu32
			 " held back before)",
			 name, more, uid);
	if (bus_kills_unwatch(m, name) > 0)
		log_info("Kill watcher %s disconnected, dropped", name);
	w = bus_watch_find(m, name);
	/* Unique names are never reused: its match has nothing more to do. A
	 * query still in flight for it will fail and end the watch. */
	if (w && w->slot) {
		w->slot = sd_bus_slot_unref(w->slot);
		m->n_watch_slots--;
	}
	bus_watch_gc(m);
}

static int bus_watch_on_name_owner_changed(sd_bus_message *msg, void *userdata,
					   sd_bus_error *error)
{
	Manager *m = userdata;
	const char *name, *old_owner, *new_owner;
	int r;

	r = sd_bus_message_read(msg, "sss", &name, &old_owner, &new_owner);
	if (r < 0)
		return 0;
	/* Only unique names matter: a registration is one connection. */
	if (name[0] != ':' || new_owner[0] != '\0')
		return 0;
	bus_watch_gone(m, name);
	return 0;
}

/* The catch-all sees every name: only those without a match of their own. */
static int bus_watch_on_any_name_owner_changed(sd_bus_message *msg, void *userdata,
					       sd_bus_error *error)
{
	Manager *m = userdata;
	const char *name, *old_owner, *new_owner;
	BusWatch *w;

	if (sd_bus_message_read(msg, "sss", &name, &old_owner, &new_owner) < 0)
		return 0;
	if (name[0] != ':' || new_owner[0] != '\0')
		return 0;
	w = bus_watch_find(m, name);
	if (w && !w->slot)
		bus_watch_gone(m, name);
	return 0;
}

int bus_watch_begin(Manager *m, const char *name)
{
	BusWatch *w;
	int r;

	if (!name || name[0] != ':')
		return -EINVAL;
	w = bus_watch_find(m, name);
	if (w) {
		w->pending++;
		return 0;
	}

	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->name = strdup(name);
	if (!w->name) {
		free(w);
		return -ENOMEM;
	}
	if (m->n_watch_slots < BUS_WATCH_MAX) {
		char rule[sizeof(BUS_WATCH_RULE) + 16 + OOMN_REGISTRY_NAME_MAX];

		/* Unique names are ':' and [A-Za-z0-9._-]: nothing to quote. */
		(void)snprintf(rule, sizeof(rule), BUS_WATCH_RULE ",arg0='%s'", name);
		r = sd_bus_add_match_async(m->bus, &w->slot, rule, bus_watch_on_name_owner_changed,
					   NULL, m);
		if (r < 0) {
			log_warning_errno(r, "Failed to watch %s: %m", name);
			w->slot = NULL;
		} else
			m->n_watch_slots++;
	}
	if (!w->slot && !m->watch_all) {
		r = sd_bus_add_match_async(m->bus, &m->watch_all, BUS_WATCH_RULE,
					   bus_watch_on_any_name_owner_changed, NULL, m);
		if (r < 0) {
			free(w->name);
			free(w);
			return log_warning_errno(r, "Failed to watch NameOwnerChanged: %m");
		}
		log_info("More than %u connections to watch: watching all of them", BUS_WATCH_MAX);
	}
	w->pending = 1;
	w->next = m->watches;
	m->watches = w;
	return 0;
}

void bus_watch_end(Manager *m, const char *name)
{
	BusWatch *w = name ? bus_watch_find(m, name) : NULL;

	if (w && w->pending > 0)
		w->pending--;
	bus_watch_gc(m);
}

static int bus_watch_on_process_exit(sd_event_source *s, int fd, uint32_t revents,
				     void *userdata)
{
	Manager *m = userdata;
	const struct oomn_client *c;
	unsigned more;
	uint32_t pid, uid;
	BusWatch *w;

	for (w = m->watches; w && w->process != s; w = w->next)
		;
	if (!w)
		return 0;
	w->process = sd_event_source_disable_unref(w->process);
	c = oomn_registry_find_name(m->registry, w->name);
	if (c) {
		pid = c->pid;
		uid = c->uid;
		if (oomn_registry_forget_name(m->registry, w->name) > 0 &&
		    bus_log_allowed(m, uid, &more))
			log_info("Client %s: its process %" PRIu32 " exited, registration dropped "
				 "(%u lines of uid %" PRIu32 " held back before)",
				 w->name, pid, more, uid);
	}
	bus_watch_gc(m);
	return 0;
}

/* The effective uid of the process @pidfd pins (/proc/PID checked against it afterwards). */
static int bus_watch_process_uid(int pidfd, uint32_t pid, uint32_t *ret)
{
	char path[64], line[256];
	_cleanup_fclose_ FILE *f = NULL;
	unsigned long real, eff;
	bool found = false;

	(void)snprintf(path, sizeof(path), "/proc/%" PRIu32 "/status", pid);
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? -ESRCH : -errno;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Uid: %lu %lu", &real, &eff) == 2) {
			found = true;
			break;
		}
	if (!found)
		return -EBADMSG;
	/* still the pinned process: the file was not a reused pid's */
	if (syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) < 0 && errno != EPERM)
		return -errno;
	*ret = (uint32_t)eff;
	return 0;
}

int bus_watch_process(Manager *m, const char *name, uint32_t pid, uint32_t uid)
{
	BusWatch *w = bus_watch_find(m, name);
	_cleanup_close_ int pidfd = -EBADF;
	uint32_t proc_uid;
	int r;

	if (!w)
		return -ENOENT;
	if (w->process) /* registered before: the same connection, the same process */
		return 0;
	pidfd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
	if (pidfd < 0)
		return -errno;
	r = bus_watch_process_uid(pidfd, pid, &proc_uid);
	if (r < 0)
		return r;
	if (proc_uid != uid)
		return -ESTALE;
	r = sd_event_add_io(m->event, &w->process, pidfd, EPOLLIN, bus_watch_on_process_exit, m);
	if (r < 0)
		return r;
	(void)sd_event_source_set_io_fd_own(w->process, true);
	(void)TAKE_FD(pidfd);
	(void)sd_event_source_set_description(w->process, "registrant-process");
	return 0;
}

void bus_watch_update(Manager *m)
{
	bus_watch_gc(m);
}

void bus_watch_done(Manager *m)
{
	while (m->watches)
		bus_watch_remove(m, m->watches);
	m->watch_all = sd_bus_slot_unref(m->watch_all);
}
