/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * peers-gmm-app: an ordinary GLib application as the harness sees it. It
 * listens to GMemoryMonitor (which hears org.freedesktop.LowMemoryMonitor on
 * the system bus: low-memory-monitor itself, or oom-notifyd's compatibility
 * interface) and prints every warning with its CLOCK_REALTIME time:
 *
 *   ready TYPE PID            once it listens (and holds its memory)
 *   warning LEVEL REALTIME_NS for every low-memory-warning (50, 100, 255)
 *   freed MIB REALTIME_NS     when it gave its memory back
 *
 * With --mib N it touches N MiB of anonymous memory first and frees all of it
 * on the first warning of at least --free-level (default 50): the
 * cooperating application of the redemption scenario, for the peers that can
 * only tell it through GMemoryMonitor.
 */
#include <gio/gio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MIB ((gsize)1 << 20)

typedef struct {
	char *mem;
	gsize len;
	int free_level;
} App;

static void on_warning(GMemoryMonitor *monitor, GMemoryMonitorWarningLevel level, gpointer data)
{
	App *app = data;

	printf("warning %d %" G_GINT64_FORMAT "\n", (int)level, g_get_real_time() * 1000);
	if (app->mem && (int)level >= app->free_level) {
		munmap(app->mem, app->len);
		app->mem = NULL;
		printf("freed %" G_GSIZE_FORMAT " %" G_GINT64_FORMAT "\n", app->len / MIB,
		       g_get_real_time() * 1000);
	}
	fflush(stdout);
}

int main(int argc, char **argv)
{
	gint mib = 0, free_level = 50;
	gboolean version = FALSE;
	GOptionEntry entries[] = {
		{ "mib", 0, 0, G_OPTION_ARG_INT, &mib, "hold N MiB, freed on a warning", "N" },
		{ "free-level", 0, 0, G_OPTION_ARG_INT, &free_level,
		  "lowest warning level that frees (50, 100, 255; default 50)", "L" },
		{ "version", 0, 0, G_OPTION_ARG_NONE, &version, "show the version", NULL },
		{}
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new("- a GMemoryMonitor application");
	g_autoptr(GError) error = NULL;
	g_autoptr(GMemoryMonitor) monitor = NULL;
	g_autoptr(GMainLoop) loop = NULL;
	App app = { 0 };

	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
		fprintf(stderr, "peers-gmm-app: %s\n", error->message);
		return 2;
	}
	if (version) {
		printf("peers-gmm-app 1\n");
		return 0;
	}
	if (mib < 0 || (gsize)mib > G_MAXSIZE / MIB) {
		fprintf(stderr, "peers-gmm-app: bad --mib\n");
		return 2;
	}
	app.free_level = free_level;
	if (mib > 0) {
		long page = sysconf(_SC_PAGESIZE);

		app.len = (gsize)mib * MIB;
		app.mem = mmap(NULL, app.len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			       -1, 0);
		if (app.mem == MAP_FAILED) {
			perror("peers-gmm-app: mmap");
			return 1;
		}
		/* non-zero bytes: a page only read would map the zero page */
		for (gsize off = 0; off < app.len; off += (gsize)page)
			app.mem[off] = 1;
	}
	monitor = g_memory_monitor_dup_default();
	loop = g_main_loop_new(NULL, FALSE);
	g_signal_connect(monitor, "low-memory-warning", G_CALLBACK(on_warning), &app);
	printf("ready %s %d\n", G_OBJECT_TYPE_NAME(monitor), (int)getpid());
	fflush(stdout);
	g_main_loop_run(loop);
	return 0;
}
