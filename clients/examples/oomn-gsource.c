/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <string.h>

#include "oomn-gsource.h"

typedef struct {
	GSource source;
	OomnClient *client;
	gpointer tag;
} OomnGSource;

/* The client's absolute CLOCK_MONOTONIC timeout as poll() milliseconds; -1 for none. */
static gint timeout_ms(OomnClient *c)
{
	guint64 until;
	gint64 now;

	if (oomn_client_get_timeout(c, &until) < 0 || until == G_MAXUINT64)
		return -1;
	/* g_get_monotonic_time() is CLOCK_MONOTONIC in µs, as the client's */
	now = g_get_monotonic_time();
	if ((gint64)until <= now)
		return 0;
	return (gint)MIN((until - (guint64)now + 999) / 1000, (guint64)G_MAXINT);
}

static gboolean oomn_gsource_prepare(GSource *source, gint *timeout)
{
	OomnGSource *s = (OomnGSource *)source;
	int events = oomn_client_get_events(s->client);

	/* poll(2)'s bits are GIOCondition's on Linux; the wanted ones change with the queue */
	if (events >= 0)
		g_source_modify_unix_fd(source, s->tag, (GIOCondition)events);
	*timeout = timeout_ms(s->client);
	return *timeout == 0;
}

static gboolean oomn_gsource_check(GSource *source)
{
	OomnGSource *s = (OomnGSource *)source;

	return g_source_query_unix_fd(source, s->tag) != 0 || timeout_ms(s->client) == 0;
}

static gboolean oomn_gsource_dispatch(GSource *source, GSourceFunc callback, gpointer data)
{
	OomnGSource *s = (OomnGSource *)source;
	int r = oomn_client_process(s->client);

	if (r < 0) {
		g_warning("oom-notify: the bus connection is lost: %s", g_strerror(-r));
		return G_SOURCE_REMOVE;
	}
	return G_SOURCE_CONTINUE;
}

static void oomn_gsource_finalize(GSource *source)
{
	oomn_client_unref(((OomnGSource *)source)->client);
}

static GSourceFuncs oomn_gsource_funcs = {
	.prepare = oomn_gsource_prepare,
	.check = oomn_gsource_check,
	.dispatch = oomn_gsource_dispatch,
	.finalize = oomn_gsource_finalize,
};

GSource *oomn_gsource_new(OomnClient *client)
{
	GSource *source = g_source_new(&oomn_gsource_funcs, sizeof(OomnGSource));
	OomnGSource *s = (OomnGSource *)source;

	s->client = oomn_client_ref(client);
	s->tag = g_source_add_unix_fd(source, oomn_client_get_fd(client), G_IO_IN);
	g_source_set_name(source, "oom-notify");
	return source;
}
