/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <string.h>

#include "registry.h"

struct OomnRegistry {
	struct oomn_registry_limits limits;
	struct oomn_client **clients; /* in order of registration */
	size_t n_clients;
	size_t n_allocated;
	uint64_t next_id;
};

static struct oomn_client *oomn_client_free(struct oomn_client *c)
{
	if (!c)
		return NULL;
	free(c->bus_name);
	free(c->notifier);
	free(c);
	return NULL;
}

int oomn_registry_new(OomnRegistry **ret, const struct oomn_registry_limits *limits)
{
	OomnRegistry *r;

	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	if (limits)
		r->limits = *limits;
	else
		r->limits = (struct oomn_registry_limits){
			.max_total = OOMN_REGISTRY_MAX_TOTAL_DEFAULT,
			.max_per_uid = OOMN_REGISTRY_MAX_PER_UID_DEFAULT,
		};
	r->next_id = 1;
	*ret = r;
	return 0;
}

OomnRegistry *oomn_registry_free(OomnRegistry *r)
{
	if (!r)
		return NULL;
	for (size_t i = 0; i < r->n_clients; i++)
		oomn_client_free(r->clients[i]);
	free(r->clients);
	free(r);
	return NULL;
}

bool oomn_registry_band_valid(uint32_t band)
{
	return band <= OOMN_BAND_MAX;
}

bool oomn_registry_flags_valid(uint32_t flags)
{
	return (flags & ~OOMN_CLIENT_FLAGS_ALL) == 0;
}

static ssize_t oomn_registry_index(const OomnRegistry *r, const char *name)
{
	for (size_t i = 0; i < r->n_clients; i++)
		if (strcmp(r->clients[i]->bus_name, name) == 0)
			return (ssize_t)i;
	return -1;
}

struct oomn_client *oomn_registry_find_name(const OomnRegistry *r, const char *name)
{
	ssize_t i = oomn_registry_index(r, name);

	return i < 0 ? NULL : r->clients[i];
}

bool oomn_registry_knows_name(const OomnRegistry *r, const char *name)
{
	if (oomn_registry_index(r, name) >= 0)
		return true;
	for (size_t i = 0; i < r->n_clients; i++)
		if (r->clients[i]->notifier && strcmp(r->clients[i]->notifier, name) == 0)
			return true;
	return false;
}

size_t oomn_registry_count(const OomnRegistry *r)
{
	return r->n_clients;
}

size_t oomn_registry_count_uid(const OomnRegistry *r, uint32_t uid)
{
	size_t n = 0;

	for (size_t i = 0; i < r->n_clients; i++)
		if (r->clients[i]->uid == uid)
			n++;
	return n;
}

struct oomn_client *oomn_registry_get(const OomnRegistry *r, size_t i)
{
	return i < r->n_clients ? r->clients[i] : NULL;
}

int oomn_registry_register(OomnRegistry *r, const char *name, uint32_t pid, uint32_t uid,
			   const char *comm, uint32_t band, uint32_t flags, uint64_t *ret_id)
{
	struct oomn_client *c;
	size_t len;

	if (!name)
		return -EINVAL;
	len = strlen(name);
	if (len == 0 || len > OOMN_REGISTRY_NAME_MAX)
		return -EINVAL;
	if (!oomn_registry_band_valid(band) || !oomn_registry_flags_valid(flags))
		return -EINVAL;

	c = oomn_registry_find_name(r, name);
	if (c) {
		c->band = band;
		c->flags = flags;
		if (ret_id)
			*ret_id = c->id;
		return 1;
	}

	if (r->n_clients >= r->limits.max_total)
		return -ENOSPC;
	if (oomn_registry_count_uid(r, uid) >= r->limits.max_per_uid)
		return -EDQUOT;

	if (r->n_clients == r->n_allocated) {
		size_t n = r->n_allocated ? r->n_allocated * 2 : 16;
		struct oomn_client **a = reallocarray(r->clients, n, sizeof(*a));

		if (!a)
			return -ENOMEM;
		r->clients = a;
		r->n_allocated = n;
	}

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->bus_name = strdup(name);
	if (!c->bus_name) {
		free(c);
		return -ENOMEM;
	}
	c->id = r->next_id++;
	c->pid = pid;
	c->uid = uid;
	if (comm) {
		(void)snprintf(c->comm, sizeof(c->comm), "%s", comm);
		/* A process names itself: keep it printable ASCII, so that it is
		 * valid UTF-8 on the bus and harmless in a log. */
		for (char *p = c->comm; *p; p++)
			if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
				*p = '?';
	}
	c->band = band;
	c->flags = flags;
	r->clients[r->n_clients++] = c;
	if (ret_id)
		*ret_id = c->id;
	return 0;
}

static void oomn_registry_remove_at(OomnRegistry *r, size_t i)
{
	oomn_client_free(r->clients[i]);
	memmove(&r->clients[i], &r->clients[i + 1],
		(r->n_clients - i - 1) * sizeof(r->clients[0]));
	r->n_clients--;
}

int oomn_registry_unregister(OomnRegistry *r, const char *name)
{
	ssize_t i = oomn_registry_index(r, name);

	if (i < 0)
		return -ENOENT;
	oomn_registry_remove_at(r, (size_t)i);
	return 0;
}

size_t oomn_registry_forget_name(OomnRegistry *r, const char *name)
{
	size_t n = 0;

	if (oomn_registry_unregister(r, name) == 0)
		n++;
	for (size_t i = 0; i < r->n_clients; i++) {
		struct oomn_client *c = r->clients[i];

		if (c->notifier && strcmp(c->notifier, name) == 0) {
			c->notifier = (free(c->notifier), NULL);
			n++;
		}
	}
	return n;
}

int oomn_registry_mark_notice(OomnRegistry *r, uint32_t pid, const char *notifier,
			      uint64_t deadline_boot_usec)
{
	size_t n = 0;

	/* Allocate first, so that a failure leaves nothing half marked. */
	for (size_t i = 0; i < r->n_clients; i++) {
		struct oomn_client *c = r->clients[i];
		char *copy;

		if (c->pid != pid)
			continue;
		copy = notifier ? strdup(notifier) : NULL;
		if (notifier && !copy)
			return -ENOMEM;
		free(c->notifier);
		c->notifier = copy;
	}
	for (size_t i = 0; i < r->n_clients; i++) {
		struct oomn_client *c = r->clients[i];

		if (c->pid != pid)
			continue;
		c->notice_pending = true;
		c->notice_ended = false;
		c->deadline_boot_usec = deadline_boot_usec;
		n++;
	}
	return (int)n;
}

int oomn_registry_take_notice(OomnRegistry *r, const char *name, char **ret_notifier)
{
	struct oomn_client *c = oomn_registry_find_name(r, name);

	if (!c)
		return -ENOENT;
	if (!c->notice_pending) {
		if (!c->notice_ended)
			return -ESRCH;
		c->notice_ended = false;
		return -EALREADY;
	}
	c->notice_pending = false;
	c->deadline_boot_usec = 0;
	if (ret_notifier)
		*ret_notifier = TAKE_PTR(c->notifier);
	else
		c->notifier = (free(c->notifier), NULL);
	return 0;
}

size_t oomn_registry_clear_notices(OomnRegistry *r, uint32_t pid)
{
	size_t n = 0;

	for (size_t i = 0; i < r->n_clients; i++) {
		struct oomn_client *c = r->clients[i];

		if (c->pid != pid || !c->notice_pending)
			continue;
		c->notice_pending = false;
		c->notice_ended = true;
		c->deadline_boot_usec = 0;
		c->notifier = (free(c->notifier), NULL);
		n++;
	}
	return n;
}
