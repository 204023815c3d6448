/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A private bus for the tests: a real dbus-daemon with the system bus's
 * default policy and the project's files, the real oom-notifyd on it, and
 * the small pieces the tests build their fixtures from (bus config, daemon
 * start, name waits, signal recording).
 *
 * BusFixture is a whole fixture (tests/client, tests/broker, tests/cli): a
 * private bus, the broker ($OOMN_BROKER) on the meminfo source reading a
 * fake proc tree the test writes, and the test's own GDBus connection
 * (root), which plays the killer. The VM suites take the pieces.
 */
#pragma once

#include <gio/gio.h>
#include <stdbool.h>

#include "test-util.h"

#define BROKER_NAME  "org.oomnotify.Broker1"
#define BROKER_PATH  "/org/oomnotify/Broker1"
#define BROKER_IFACE "org.oomnotify.Broker1"
#define TIMEOUT_MS   10000

/* Pieces */

/* Everything allowed: what the daemon checks by itself shows. */
#define BUS_POLICY_PERMISSIVE                                                                      \
	"  <policy context=\"default\">\n"                                                         \
	"    <allow user=\"*\"/>\n"                                                                \
	"    <allow send_destination=\"*\" eavesdrop=\"true\"/>\n"                                 \
	"    <allow eavesdrop=\"true\"/>\n"                                                        \
	"    <allow own=\"*\"/>\n"                                                                 \
	"  </policy>\n"

/* The include of $OOMN_BUS_POLICY (tests/broker/system-policy.conf): system default, project files. */
char *bus_policy_system(void);

/*
 * The system bus's default policy written inline (@introspect: with the
 * driver's Introspectable and Properties), then an include of each of the
 * project's files @files (NULL-terminated) in $OOMN_DBUS_DIR.
 */
char *bus_policy_inline(bool introspect, const char *const *files);

/* Writes @tmpdir/bus.conf: a system bus listening on @tmpdir/bus, with @policy (XML). */
void bus_write_config(const char *tmpdir, const char *policy);

/*
 * Starts dbus-daemon on @tmpdir/bus.conf (dying with the test) and waits up
 * to @ms until it listens; its address. Its stderr is appended to @log if not NULL.
 */
char *bus_daemon_start(const char *tmpdir, const char *log, unsigned ms, GPid *pid);

/* A message-bus connection to @address; asserts success. */
GDBusConnection *bus_connect(const char *address);

gboolean bus_name_has_owner(GDBusConnection *c, const char *name);

/*
 * Calls WatchKills on @c (root's): the broker sends Killed, KillAnnounced,
 * Redeemed and KernelOomKill only to connections that did. Asserts success.
 */
void bus_watch_kills(GDBusConnection *c);

/*
 * Waits up to @ms until @name is (@owned) or is not owned; asserts it
 * happens, and meanwhile that child @alive (if > 0) has not ended.
 */
void bus_wait_name(GDBusConnection *c, const char *name, gboolean owned, unsigned ms, GPid alive);

/* A broker option list: oom-notifyd's usual test options on the meminfo source. */
#define BUS_BROKER_MEMINFO_ARGS(address, proc)                                                     \
	"--bus-address", (address), "--source", "meminfo", "--proc-root", (proc), "--no-mlock",    \
		"--oom-score-adj", "keep", "--poll-max-ms", "50"

/* oom-notifyd's options in the VM suites: the kernel source, no LowMemoryMonitor name. */
#define BUS_BROKER_KERNEL_ARGS(address) "--bus-address", (address), "--source", "kernel", "--no-lmm"

/*
 * Starts $OOMN_BROKER with @args (NULL-terminated), dying with the test;
 * @flags adds to G_SPAWN_DO_NOT_REAP_CHILD; its stderr is appended to @log
 * if not NULL. Does not wait for its name.
 */
GPid bus_broker_spawn(const char *const *args, GSpawnFlags flags, const char *log);
/* The same with its stderr read into @ls (test_spawn_logged()). */
GPid bus_broker_spawn_logged(const char *const *args, TestLogStream *ls);

/*
 * Starts $OOMN_KILLERD on the bus at @address and the kernel source, with
 * @rules (YAML) written to @tmpdir/rules.yaml and drop-ins from
 * @tmpdir/rules.d; its stderr (the kill lines are part of its contract) is
 * read into @ls. Does not wait for it to be ready.
 */
GPid bus_killer_spawn(const char *tmpdir, const char *address, const char *rules,
		      TestLogStream *ls);

/* SIGTERMs child @pid and asserts that it was still there and exits 0: nothing crashed it. */
void bus_stop_cleanly(GPid pid);

/* Signals a connection received, in arrival order. */
typedef struct {
	char *member;
	GVariant *params;
} BusSignal;

typedef struct {
	GDBusConnection *conn;
	guint id;
	GPtrArray *signals; /* BusSignal* */
} BusRecorder;

/* Records @iface's signals at @path (NULL: any) on @c; the match is on the bus on return. */
void bus_recorder_init(BusRecorder *rec, GDBusConnection *c, const char *iface, const char *path);
void bus_recorder_clear(BusRecorder *rec);

/*
 * The index of the first recorded @member whose first argument (u) is @pid,
 * left in the list; waits up to @ms; -1 if none came.
 */
int bus_recorder_find(BusRecorder *rec, const char *member, GPid pid, unsigned ms);

/* The parameters of recorded signal @i (from bus_recorder_find). */
GVariant *bus_recorder_params(BusRecorder *rec, int i);

/* The same on the heap, for g_autoptr(BusRecorder). */
BusRecorder *bus_recorder_new(GDBusConnection *c, const char *iface, const char *path);
void bus_recorder_free(BusRecorder *rec);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BusRecorder, bus_recorder_free)

/* The first recorded @member, removed from the list; waits up to @ms; NULL if none came. */
GVariant *bus_recorder_take(BusRecorder *rec, const char *member, unsigned ms);

/* A whole fixture */

typedef struct {
	const char *extra, *extra2; /* one more broker option and its value, or NULL */
	bool no_broker;		    /* the test starts the broker itself */
} BusOptions;

typedef struct {
	char *tmpdir, *proc, *address;
	GPid bus_pid, broker_pid;
	char *broker_log; /* where the broker's stderr goes, or NULL; replayed when it stops */
	const BusOptions *opt;
	GDBusConnection *conn; /* the test's own (root): calls the killer's methods */
	BusRecorder rec;       /* what conn received from the broker */
} BusFixture;

/*
 * The plumbing without a broker: a fresh 0755 directory from @tmpl with
 * proc/meminfo (MEMINFO_NORMAL), a dbus-daemon with @policy there, f->conn.
 */
void bus_fixture_start(BusFixture *f, const char *tmpl, const char *policy);
/* Undoes it: closes f->conn, stops the broker (asserting a clean exit) and the bus, removes all. */
void bus_fixture_stop(BusFixture *f);

/*
 * tests/client's fixture (@data: BusOptions or NULL): bus_fixture_start with
 * the system bus's inline default policy and the broker's file, f->rec
 * recording the broker's signals, the broker on the meminfo source.
 */
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
