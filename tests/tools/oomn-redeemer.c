/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * oomn-redeemer: a redemption client for the killer's VM tests. It registers
 * with the broker (Register(band, flags=1: can free memory)), then touches
 * --mib MiB of anonymous memory and waits for its KillPending notice. With
 * --leak-to-mib it then goes on growing at 2 MiB/s, a slow leak (the killer
 * cuts no deadline short for it), until MemAvailable is down to that many
 * MiB. The target is MemAvailable, not a size: the kernel keeps free pages
 * on its per-CPU lists that MemAvailable does not count (up to an eighth of
 * RAM on 6.12 after a big process exits) and allocations take those first,
 * so MemAvailable falls by less than the leak grows and a leak of a size
 * computed in advance can stop short of the level it was meant for. On the
 * notice it stops growing, frees all of its memory and answers
 * Relieved(freed, false); with --silent it is told but never answers (the
 * client that must be killed on time).
 *
 *   oomn-redeemer --bus-address ADDR --mib N [--leak-to-mib N] [--band B] [--silent]
 *
 * Lines on stdout, for the test to follow: "ready PID ID" once registered and
 * holding its memory, "pending DEADLINE_MSEC" on each notice, "relieved
 * FREED" (bytes) once the broker took its answer, "error MESSAGE" when a call
 * failed. It runs until it is killed or its stdin is closed.
 */
#include <errno.h>
#include <gio/gio.h>
#include <glib-unix.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "oomn-meminfo.h"

#define BROKER_NAME   "org.oomnotify.Broker1"
#define BROKER_PATH   "/org/oomnotify/Broker1"
#define BROKER_IFACE  "org.oomnotify.Broker1"
#define MIB	      ((gsize)1 << 20)
#define SLOW_TICK_MS  100
#define SLOW_PER_TICK (2 * MIB * SLOW_TICK_MS / 1000) /* 2 MiB/s */

typedef struct {
	GDBusConnection *conn;
	GMainLoop *loop;
	gboolean silent;
	char *mem;
	gsize len;
	gsize touched;	 /* of len */
	guint64 leak_to; /* the slow growth stops at this MemAvailable (bytes) */
	guint grow;	 /* the slow growth's timeout, 0 once it is over */
} Redeemer;

static void on_relieved(GObject *source, GAsyncResult *res, gpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) r =
		g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &error);

	if (r)
		printf("relieved %" G_GSIZE_FORMAT "\n", GPOINTER_TO_SIZE(data));
	else
		printf("error Relieved: %s\n", error->message);
}

static void on_kill_pending(GDBusConnection *c, const char *sender, const char *path,
			    const char *iface, const char *member, GVariant *params, gpointer data)
{
	Redeemer *r = data;
	guint32 pid, msec;
	gsize freed;

	if (!g_variant_is_of_type(params, G_VARIANT_TYPE("(uuts)")))
		return;
	g_variant_get(params, "(uut&s)", &pid, &msec, NULL, NULL);
	if (pid != (guint32)getpid())
		return;
	printf("pending %u\n", msec);
	if (r->silent)
		return;
	if (r->grow) {
		g_source_remove(r->grow);
		r->grow = 0;
	}
	/* Free first, answer after: the answer says the memory is back. */
	freed = r->touched;
	if (r->mem) {
		munmap(r->mem, r->len);
		r->mem = NULL;
		r->len = r->touched = 0;
	}
	g_dbus_connection_call(c, BROKER_NAME, BROKER_PATH, BROKER_IFACE, "Relieved",
			       g_variant_new("(tb)", (guint64)freed, FALSE), NULL,
			       G_DBUS_CALL_FLAGS_NONE, 10000, NULL, on_relieved,
			       GSIZE_TO_POINTER(freed));
}

static gboolean on_stdin(gint fd, GIOCondition cond, gpointer data)
{
	char buf[64];

	if (read(fd, buf, sizeof(buf)) > 0)
		return G_SOURCE_CONTINUE;
	g_main_loop_quit(((Redeemer *)data)->loop);
	return G_SOURCE_REMOVE;
}

/* Touches the next @bytes of the mapping. */
static void touch_more(Redeemer *r, gsize bytes)
{
	long page = sysconf(_SC_PAGESIZE);
	gsize end = MIN(r->len, r->touched + bytes);

	/* non-zero bytes: a page only read would map the zero page */
	for (; r->touched < end; r->touched += page)
		r->mem[r->touched] = 1;
}

/*
 * Maps @len bytes (unreserved: the leak's end is set by MemAvailable, the
 * mapping only bounds it) and touches the first @mib MiB of them.
 */
static int touch(Redeemer *r, gsize mib, gsize len)
{
	r->len = MAX(mib * MIB, len);
	r->mem = mmap(NULL, r->len, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (r->mem == MAP_FAILED) {
		r->mem = NULL;
		return -errno;
	}
	touch_more(r, mib * MIB);
	return 0;
}

/* What a leak may map: MemTotal, which it can never outgrow. */
static gsize leak_mapping_size(void)
{
	struct oomn_meminfo mi;

	return oomn_meminfo_read(NULL, &mi) < 0 ? 0 : (gsize)mi.mem_total;
}

static gboolean on_grow(gpointer data);

/* The first slow step, after --leak-after-ms; then one every SLOW_TICK_MS. */
static gboolean on_grow_first(gpointer data)
{
	Redeemer *r = data;

	r->grow = on_grow(r) ? g_timeout_add(SLOW_TICK_MS, on_grow, r) : 0;
	return G_SOURCE_REMOVE;
}

static gboolean on_grow(gpointer data)
{
	Redeemer *r = data;
	struct oomn_meminfo mi;
	int err = oomn_meminfo_read(NULL, &mi);

	if (err < 0) {
		printf("error meminfo: %s\n", g_strerror(-err));
		r->grow = 0;
		return G_SOURCE_REMOVE;
	}
	if (mi.mem_available > r->leak_to)
		touch_more(r, MIN(SLOW_PER_TICK, mi.mem_available - r->leak_to));
	if (mi.mem_available > r->leak_to && r->touched < r->len)
		return G_SOURCE_CONTINUE;
	r->grow = 0;
	return G_SOURCE_REMOVE;
}

int main(int argc, char **argv)
{
	g_autofree char *address = NULL;
	gint mib = 0, leak_to_mib = -1, band = 50, leak_after_ms = 0;
	gboolean silent = FALSE;
	GOptionEntry entries[] = {
		{ "bus-address", 0, 0, G_OPTION_ARG_STRING, &address, "the broker's bus", "ADDR" },
		{ "mib", 0, 0, G_OPTION_ARG_INT, &mib, "memory to hold (MiB)", "N" },
		{ "leak-to-mib", 0, 0, G_OPTION_ARG_INT, &leak_to_mib,
		  "then grow at 2 MiB/s until MemAvailable is this low (MiB)", "N" },
		{ "leak-after-ms", 0, 0, G_OPTION_ARG_INT, &leak_after_ms,
		  "start the slow growth this long after the first (default 0)", "MS" },
		{ "band", 0, 0, G_OPTION_ARG_INT, &band, "priority band, 0-100 (default 50)", "B" },
		{ "silent", 0, 0, G_OPTION_ARG_NONE, &silent, "never answer a notice", NULL },
		{ NULL }
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new("- a redemption client for tests");
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = NULL;
	Redeemer r = { 0 };
	guint64 id;
	int err;

	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &error) || !address || mib <= 0 ||
	    leak_to_mib < -1 || band < 0 || band > 100 || leak_after_ms < 0) {
		fprintf(stderr, "oomn-redeemer: %s\n",
			error ? error->message : "--bus-address and --mib N > 0 are needed");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	r.silent = silent;
	r.loop = g_main_loop_new(NULL, FALSE);
	r.conn = g_dbus_connection_new_for_address_sync(
		address,
		G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
			G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
		NULL, NULL, &error);
	if (!r.conn) {
		fprintf(stderr, "oomn-redeemer: %s: %s\n", address, error->message);
		return 1;
	}
	/* KillPending is addressed to us; sender NULL: no name-owner tracking needed */
	g_dbus_connection_signal_subscribe(r.conn, NULL, BROKER_IFACE, "KillPending", BROKER_PATH,
					   NULL, G_DBUS_SIGNAL_FLAGS_NONE, on_kill_pending, &r,
					   NULL);
	reply = g_dbus_connection_call_sync(r.conn, BROKER_NAME, BROKER_PATH, BROKER_IFACE,
					    "Register", g_variant_new("(uu)", (guint32)band, 1u),
					    G_VARIANT_TYPE("(t)"), G_DBUS_CALL_FLAGS_NONE, 10000,
					    NULL, &error);
	if (!reply) {
		fprintf(stderr, "oomn-redeemer: Register: %s\n", error->message);
		return 1;
	}
	g_variant_get(reply, "(t)", &id);
	/* a leak can never take more than there is */
	err = touch(&r, (gsize)mib, leak_to_mib >= 0 ? leak_mapping_size() : 0);
	if (err < 0) {
		fprintf(stderr, "oomn-redeemer: %s\n", g_strerror(-err));
		return 1;
	}
	printf("ready %d %" G_GUINT64_FORMAT "\n", (int)getpid(), id);
	g_unix_fd_add(STDIN_FILENO, G_IO_IN | G_IO_HUP | G_IO_ERR, on_stdin, &r);
	r.leak_to = leak_to_mib >= 0 ? (guint64)leak_to_mib * MIB : 0;
	if (leak_to_mib >= 0)
		r.grow = g_timeout_add(SLOW_TICK_MS + (guint)leak_after_ms, on_grow_first, &r);
	g_main_loop_run(r.loop);
	g_object_unref(r.conn);
	g_main_loop_unref(r.loop);
	return 0;
}
