/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * oomn-cache-holder: an example of liboom-notify on a GLib main loop
 * (through oomn-gsource.c). It holds a cache of --mib MiB, drops it when the
 * level reaches medium or critical or when it is the killer's candidate
 * (then answering Relieved with the bytes freed), and fills it again once
 * the level is back to normal.
 *
 * Lines on stdout (line-buffered, for people and tests): "ready PID",
 * "dropped BYTES LEVEL|notice", "refilled BYTES", "pending DEADLINE_MSEC",
 * "relieved BYTES", "broker present", "broker gone", "error ...".
 */
#include <errno.h>
#include <glib-unix.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "oom-notify.h"
#include "oomn-gsource.h"

#define MIB ((gsize)1 << 20)

typedef struct {
	GMainLoop *loop;
	gsize want;  /* the cache's size */
	char *cache; /* NULL while dropped */
	gboolean no_refill;
} Holder;

/* Returns the bytes given back. */
static gsize cache_drop(Holder *h)
{
	gsize freed = h->cache ? h->want : 0;

	if (h->cache)
		munmap(h->cache, h->want);
	h->cache = NULL;
	return freed;
}

static int cache_fill(Holder *h)
{
	long page = sysconf(_SC_PAGESIZE);

	if (h->cache || !h->want)
		return 0;
	h->cache = mmap(NULL, h->want, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (h->cache == MAP_FAILED) {
		h->cache = NULL;
		return -errno;
	}
	/* the "cache": every page written, so that it really takes memory */
	for (gsize off = 0; off < h->want; off += page)
		h->cache[off] = (char)(off / page) | 1;
	return 0;
}

static void on_pressure(OomnClient *c, OomnLevel level, OomnLevel prev, uint64_t avail,
			uint64_t total, uint64_t seq, void *userdata)
{
	Holder *h = userdata;

	if (level >= OOMN_LEVEL_MEDIUM && h->cache) {
		gsize freed = cache_drop(h);

		printf("dropped %" G_GSIZE_FORMAT " %s\n", freed,
		       oomn_client_level_to_string(level));
	} else if (level == OOMN_LEVEL_NORMAL && !h->cache && !h->no_refill) {
		int r = cache_fill(h);

		if (r < 0)
			printf("error refill: %s\n", g_strerror(-r));
		else
			printf("refilled %" G_GSIZE_FORMAT "\n", h->want);
	}
}

static void on_kill_pending(OomnClient *c, uint32_t msec, uint64_t deadline, const char *reason,
			    void *userdata)
{
	Holder *h = userdata;
	gsize freed;

	printf("pending %u\n", msec);
	/* free first, answer after: the answer says the memory is back */
	freed = cache_drop(h);
	if (freed)
		printf("dropped %" G_GSIZE_FORMAT " notice\n", freed);
	if (oomn_client_relieved(c, freed, false) < 0)
		printf("error Relieved: %s\n", oomn_client_get_error_message(c));
	else
		printf("relieved %" G_GSIZE_FORMAT "\n", freed);
}

static void on_broker(OomnClient *c, bool present, void *userdata)
{
	printf("broker %s\n", present ? "present" : "gone");
}

static gboolean on_quit(gpointer data)
{
	g_main_loop_quit(((Holder *)data)->loop);
	return G_SOURCE_CONTINUE;
}

int main(int argc, char **argv)
{
	g_autofree char *address = NULL;
	gint mib = 64, band = 20;
	gboolean version = FALSE, no_refill = FALSE;
	GOptionEntry entries[] = {
		{ "mib", 0, 0, G_OPTION_ARG_INT, &mib, "cache size in MiB (default 64)", "N" },
		{ "band", 0, 0, G_OPTION_ARG_INT, &band, "redemption band, 0-100 (default 20)",
		  "B" },
		{ "no-refill", 0, 0, G_OPTION_ARG_NONE, &no_refill,
		  "keep the cache dropped once dropped", NULL },
		{ "bus-address", 0, 0, G_OPTION_ARG_STRING, &address,
		  "the broker's bus (default: the system bus)", "ADDR" },
		{ "version", 'V', 0, G_OPTION_ARG_NONE, &version, "show the version", NULL },
		{ NULL }
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new(
		"- hold a cache, drop it under memory pressure (oom-notify example)");
	g_autoptr(GError) error = NULL;
	OomnClient *client = NULL;
	GSource *source;
	Holder h = { 0 };
	int r;

	g_option_context_add_main_entries(ctx, entries, NULL);
	g_option_context_set_description(ctx, "Exit status: 0 done, 1 failure (bus, memory), "
					      "2 usage.\n");
	if (!g_option_context_parse(ctx, &argc, &argv, &error) || mib < 0 || band < 0 ||
	    band > 100 || argc > 1) {
		fprintf(stderr, "oomn-cache-holder: %s\n",
			error ? error->message : "--mib N >= 0, --band 0..100, no arguments");
		return 2;
	}
	if (version) {
		printf("oomn-cache-holder %s\n", OOMN_VERSION);
		return 0;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	h.want = (gsize)mib * MIB;
	h.no_refill = no_refill;
	h.loop = g_main_loop_new(NULL, FALSE);

	r = oomn_client_new(&client, address);
	if (r < 0) {
		fprintf(stderr, "oomn-cache-holder: cannot connect to the bus: %s\n",
			g_strerror(-r));
		return 1;
	}
	oomn_client_on_pressure(client, on_pressure, &h);
	oomn_client_on_kill_pending(client, on_kill_pending, &h);
	oomn_client_on_broker(client, on_broker, &h);
	source = oomn_gsource_new(client);
	g_source_attach(source, NULL);
	g_source_unref(source);

	r = oomn_client_register(client, (unsigned)band, OOMN_CLIENT_CAN_FREE_MEMORY, NULL);
	if (r == -ENOTCONN) {
		printf("broker gone\n"); /* registered as soon as it starts */
	} else if (r < 0) {
		fprintf(stderr, "oomn-cache-holder: Register: %s\n",
			oomn_client_get_error_message(client));
		return 1;
	}
	/* under pressure already: no cache to begin with */
	if (oomn_client_get_level(client) < OOMN_LEVEL_MEDIUM) {
		r = cache_fill(&h);
		if (r < 0) {
			fprintf(stderr, "oomn-cache-holder: %d MiB: %s\n", mib, g_strerror(-r));
			return 1;
		}
	}
	printf("ready %d\n", (int)getpid());

	g_unix_signal_add(SIGINT, on_quit, &h);
	g_unix_signal_add(SIGTERM, on_quit, &h);
	g_main_loop_run(h.loop);

	cache_drop(&h);
	oomn_client_unref(client);
	g_main_loop_unref(h.loop);
	return 0;
}
