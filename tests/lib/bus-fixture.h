/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A private bus for the client library's tests (the approach of
 * tests/bus/test-bus.c): a real dbus-daemon with the system bus's default
 * policy and the project's files ($OOMN_DBUS_DIR), and the real oom-notifyd
 * ($OOMN_BROKER) on the meminfo source reading a fake proc tree the test
 * writes. The test's own GDBus connection (root) plays the killer.
 */
#pragma once

#include <gio/gio.h>
#include <stdbool.h>

#define BROKER_NAME  "org.oomnotify.Broker1"
#define BROKER_PATH  "/org/oomnotify/Broker1"
#define BROKER_IFACE "org.oomnotify.Broker1"
#define TIMEOUT_MS   10000

/* MemTotal 1000000 kB, no swap; the default thresholds are 20/15/10 %. */
#define MEMINFO_NORMAL	 800000
#define MEMINFO_LOW	 180000
#define MEMINFO_MEDIUM	 130000
#define MEMINFO_CRITICAL 50000

typedef struct {
	const char *extra, *extra2; /* one more broker option and its value, or NULL */
	bool no_broker;		    /* the test starts the broker itself */
} BusOptions;

typedef struct {
	char *tmpdir, *proc, *address;
	GPid bus_pid, broker_pid;
	const BusOptions *opt;
	GDBusConnection *conn; /* the test's own (root): calls the killer's methods */
	guint sub;
	GPtrArray *signals; /* BusSignal*, what conn received from the broker */
} BusFixture;

typedef struct {
	char *member;
	GVariant *params;
} BusSignal;

void bus_fixture_setup(BusFixture *f, gconstpointer data);
void bus_fixture_teardown(BusFixture *f, gconstpointer data);

/* Starts oom-notifyd and waits for its name; stops it (SIGTERM) and asserts a clean exit. */
void bus_fixture_start_broker(BusFixture *f);
void bus_fixture_stop_broker(BusFixture *f);

void bus_fixture_write_meminfo(BusFixture *f, unsigned avail_kb);

/* A Broker1 method call on the test's connection; asserts success. */
GVariant *bus_fixture_call(BusFixture *f, const char *method, GVariant *args);

/* The first @member signal received on conn, removed from the list; waits up to @ms. */
GVariant *bus_fixture_take_signal(BusFixture *f, const char *member, unsigned ms);

/* ListClients has a registration of @pid; its band and flags if so. */
bool bus_fixture_client_listed(BusFixture *f, guint32 pid, guint32 *band, guint32 *flags);

/* Iterates the default main context for @ms. */
void bus_fixture_iterate(unsigned ms);

/* A line from @fd within @ms (newline stripped), NULL at EOF or timeout. */
char *bus_fixture_read_line(int fd, unsigned ms);
