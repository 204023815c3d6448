/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * bench-idle: what an idle broker costs. For each source (kernel, psi,
 * meminfo) it starts the real oom-notifyd with its defaults on a private
 * dbus-daemon, lets it settle, then counts over --seconds idle seconds: its
 * wake-ups (voluntary + involuntary context switches, summed over
 * /proc/PID/task/STAR/status) and its CPU time (utime + stime from
 * /proc/PID/stat, and the nanosecond run time from /proc/PID/task/STAR/schedstat).
 * Nothing else talks to the bus meanwhile and memory stays plentiful.
 * In the VM, with the module loaded (the psi and meminfo runs force their
 * source with --source):
 *
 *   tests/vm/run-vm.sh --kernel 6.12 --module build/kernel/oom_notify-6.12.117+deb12-amd64.ko \
 *     --env OOMN_BROKER=$PWD/build/broker/src/oom-notifyd --env OOMN_BUS_POLICY=$PWD/tests/broker/system-policy.conf \
 *     -- build/tests/bench/bench-idle --seconds 60
 *   (or: meson test -C build --benchmark idle-6.12.117+deb12-amd64; likewise for 6.1)
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench-bus.h"

struct cost {
	uint64_t voluntary, involuntary;
	uint64_t ticks;	 /* utime + stime, clock ticks */
	uint64_t run_ns; /* schedstat: time on a CPU */
};

static int read_task_status(const char *path, struct cost *c)
{
	char line[256];
	unsigned long long v;
	FILE *f = fopen(path, "re");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "voluntary_ctxt_switches: %llu", &v) == 1)
			c->voluntary += v;
		else if (sscanf(line, "nonvoluntary_ctxt_switches: %llu", &v) == 1)
			c->involuntary += v;
	}
	fclose(f);
	return 0;
}

static int read_cost(pid_t pid, struct cost *c)
{
	char path[384], buf[1024], *p;
	unsigned long long ut, st;
	struct dirent *de;
	FILE *f;
	DIR *d;

	memset(c, 0, sizeof(*c));
	(void)snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		(void)snprintf(path, sizeof(path), "/proc/%d/task/%s/status", (int)pid, de->d_name);
		(void)read_task_status(path, c);
	}
	closedir(d);
	(void)bench_run_ns(pid, &c->run_ns);

	(void)snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	/* after "(comm)": state is field 3, utime 14, stime 15 */
	p = strrchr(buf, ')');
	if (!p ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		return -EBADMSG;
	c->ticks = ut + st;
	return 0;
}

static const char *broker_source(const BenchBus *b)
{
	static char source[40];
	sd_bus_message *reply = NULL;
	sd_bus *bus = NULL;
	const char *s = NULL;

	strcpy(source, "?");
	if (bench_bus_connect(b, &bus) >= 0 &&
	    sd_bus_get_property(bus, BENCH_BROKER_NAME, BENCH_BROKER_PATH, BENCH_BROKER_IFACE,
				"Source", NULL, &reply, "s") >= 0 &&
	    sd_bus_message_read(reply, "s", &s) >= 0 && s)
		(void)snprintf(source, sizeof(source), "%s", s);
	sd_bus_message_unref(reply);
	sd_bus_flush_close_unref(bus);
	return source;
}

/* Short-lived bus clients, as dbus-send or a login would make on a system bus. */
struct chatter {
	const BenchBus *b;
	atomic_int stop;
	unsigned connections;
};

static void *chatter_main(void *arg)
{
	struct chatter *c = arg;

	while (!atomic_load(&c->stop)) {
		sd_bus *bus = NULL;

		if (bench_bus_connect(c->b, &bus) >= 0) {
			sd_bus_flush_close_unref(bus);
			c->connections++;
		}
		sleep(1);
	}
	return NULL;
}

/* @what: a source (kernel, psi, meminfo), with "+chatter" for a client
 * connecting to the bus and leaving again every second meanwhile. */
static int measure(BenchBus *b, const char *what, unsigned settle, unsigned seconds, int json)
{
	char source[32];
	const char *args[] = { "--source", source, NULL };
	struct chatter chatter = { .b = b };
	struct cost before, after;
	long hz = sysconf(_SC_CLK_TCK);
	const char *active;
	pthread_t th;
	bool with_chatter;
	int r;

	(void)snprintf(source, sizeof(source), "%s", what);
	with_chatter = strstr(source, "+chatter") != NULL;
	if (with_chatter)
		*strstr(source, "+chatter") = '\0';
	r = bench_broker_start(b, args);
	if (r < 0)
		return r;
	/* Asked first: our own connection's coming and going is over before the window. */
	active = broker_source(b);
	sleep(settle);
	r = read_cost(b->broker_pid, &before);
	if (r >= 0) {
		if (with_chatter)
			pthread_create(&th, NULL, chatter_main, &chatter);
		sleep(seconds);
		r = read_cost(b->broker_pid, &after);
		if (with_chatter) {
			atomic_store(&chatter.stop, 1);
			pthread_join(th, NULL);
		}
	}
	if (r < 0) {
		fprintf(stderr, "bench-idle: reading /proc/%d: %s\n", (int)b->broker_pid,
			strerror(-r));
		bench_broker_dump_log(b);
		(void)bench_broker_stop(b);
		return r;
	}
	printf(json ? "{\"kernel\":\"%s\",\"run\":\"%s\",\"active\":\"%s\",\"seconds\":%u,"
		      "\"wakeups\":%" PRIu64 ",\"voluntary\":%" PRIu64 ",\"involuntary\":%" PRIu64
		      ",\"cpu_ms\":%.0f,\"run_us\":%.0f}\n"
		    : "kernel %s, --source %-15s (active: %s): over %u idle s: %" PRIu64
		      " wake-ups (%" PRIu64 " voluntary, %" PRIu64
		      " involuntary), utime+stime %.0f ms, on CPU %.0f us\n",
	       getenv("OOMN_VM_KERNEL") ? getenv("OOMN_VM_KERNEL") : "host", what, active,
	       seconds,
	       (after.voluntary - before.voluntary) + (after.involuntary - before.involuntary),
	       after.voluntary - before.voluntary, after.involuntary - before.involuntary,
	       (double)(after.ticks - before.ticks) * 1000.0 / (double)hz,
	       (double)(after.run_ns - before.run_ns) / 1000.0);
	fflush(stdout);
	if (getenv("BENCH_IDLE_LOG"))
		bench_broker_dump_log(b);
	(void)bench_broker_stop(b);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = { { "seconds", required_argument, NULL, 's' },
					      { "settle", required_argument, NULL, 'S' },
					      { "sources", required_argument, NULL, 'o' },
					      { "json", no_argument, NULL, 'j' },
					      { "help", no_argument, NULL, 'h' },
					      {} };
	unsigned seconds = 60, settle = 5;
	const char *sources = "kernel,psi,meminfo,kernel+chatter";
	char *copy, *tok, *save = NULL;
	int json = 0, c, failed = 0;
	BenchBus b;

	while ((c = getopt_long(argc, argv, "s:S:o:jh", opts, NULL)) >= 0) {
		switch (c) {
		case 's':
			seconds = (unsigned)atoi(optarg);
			break;
		case 'S':
			settle = (unsigned)atoi(optarg);
			break;
		case 'o':
			sources = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'h':
			printf("Usage: bench-idle [--seconds N] [--settle N] [--sources "
			       "kernel,psi,meminfo] "
			       "[--json]\nNeeds OOMN_BROKER and OOMN_BUS_POLICY; "
			       "BENCH_IDLE_LOG=1 prints each broker's log.\n");
			return 0;
		default:
			return 2;
		}
	}
	if (seconds < 1)
		return 2;
	if (bench_bus_start(&b, BENCH_BUS_DBUS_DAEMON, 0) < 0)
		return 1;
	copy = strdup(sources);
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		if (measure(&b, tok, settle, seconds, json) < 0)
			failed = 1;
	free(copy);
	bench_bus_stop(&b);
	return failed;
}
