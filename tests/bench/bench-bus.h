/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shared by the broker benchmarks: a private message bus (dbus-daemon, or
 * dbus-broker through dbus-broker-launch) with the project's bus policy
 * (dbus/ in $OOMN_DBUS_DIR) and the real oom-notifyd ($OOMN_BROKER) on it,
 * and the small helpers they all need.
 */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include <systemd/sd-bus.h>

#define BENCH_BROKER_NAME  "org.oomnotify.Broker1"
#define BENCH_BROKER_PATH  "/org/oomnotify/Broker1"
#define BENCH_BROKER_IFACE "org.oomnotify.Broker1"

/* The two message buses Debian ships. */
typedef enum BenchBusKind {
	BENCH_BUS_DBUS_DAEMON,
	BENCH_BUS_DBUS_BROKER,
} BenchBusKind;

typedef struct BenchBus {
	char dir[64];	   /* temporary directory: bus.conf, the socket, broker.log */
	char address[128]; /* unix:path=DIR/bus */
	BenchBusKind kind;
	pid_t daemon_pid; /* dbus-daemon, or dbus-broker-launch */
	pid_t bus_pid;	  /* the one that routes messages: dbus-daemon, or dbus-broker */
	pid_t broker_pid;
	int journal_fd; /* dbus-broker's log where no journald runs, or -1 */
} BenchBus;

/* "dbus-daemon" or "dbus-broker"; -EINVAL for anything else. */
int bench_bus_kind_from_string(const char *s, BenchBusKind *ret);
const char *bench_bus_kind_to_string(BenchBusKind kind);

/* Starts the bus of @kind; @max_connections raises its connection and match
 * limits (0: the defaults). Returns 0 or a negative errno (and says why on
 * stderr). */
int bench_bus_start(BenchBus *b, BenchBusKind kind, unsigned max_connections);

/* Starts $OOMN_BROKER --bus-address ... followed by @args (NULL-terminated),
 * its stderr to DIR/broker.log; waits until it owns its name. */
int bench_broker_start(BenchBus *b, const char *const *args);
/* SIGTERM and reap; returns its exit status as waitpid() gives it, or -1. */
int bench_broker_stop(BenchBus *b);
/* Prints the broker's log to stderr (for a failed run). */
void bench_broker_dump_log(const BenchBus *b);

/* Prints what dbus-broker logged, where the bench holds its journal socket. */
void bench_bus_dump_log(const BenchBus *b);

/* Stops both and removes the directory. */
void bench_bus_stop(BenchBus *b);

/* A new connection to the bus (Hello done), not attached to any loop. */
int bench_bus_connect(const BenchBus *b, sd_bus **ret);

/* Time on a CPU of all @pid's threads so far (schedstat), ns. */
int bench_run_ns(pid_t pid, uint64_t *ret);

/* Raises RLIMIT_NOFILE to at least @n (children inherit it). */
int bench_raise_nofile(unsigned long n);

uint64_t bench_now_ns(void); /* CLOCK_BOOTTIME, as the kernel and broker stamp events */

/* Percentile @p (0..1) of @v (sorted in place by this call), in µs from ns. */
double bench_pct_us(uint64_t *v, size_t n, double p);
