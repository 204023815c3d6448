/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * An unmodified GLib application's view of memory pressure: prints
 * "warning N" for every GMemoryMonitor::low-memory-warning. GMemoryMonitor
 * listens on the system bus, so the tests point DBUS_SYSTEM_BUS_ADDRESS at
 * their private bus.
 */
#include <gio/gio.h>
#include <stdio.h>

static void on_warning(GMemoryMonitor *monitor, GMemoryMonitorWarningLevel level,
		       gpointer userdata)
{
	printf("warning %d\n", (int)level);
	fflush(stdout);
}

int main(void)
{
	g_autoptr(GMemoryMonitor) monitor = g_memory_monitor_dup_default();
	g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);

	g_signal_connect(monitor, "low-memory-warning", G_CALLBACK(on_warning), NULL);
	printf("ready %s\n", G_OBJECT_TYPE_NAME(monitor));
	fflush(stdout);
	g_main_loop_run(loop);
	return 0;
}
