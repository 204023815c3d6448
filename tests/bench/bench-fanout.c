/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * bench-fanout: from the broker's emission of PressureChanged to its delivery
 * at 1, 64 and 1000 subscribers on a private dbus-daemon or dbus-broker.
 *
 * The broker runs on the host with the meminfo source on a fake proc root
 * (no module needed: fan-out is the bus's work, not the kernel's), polling
 * every 50 ms; the bench flips the fake MemAvailable between normal and low,
 * so each flip is one PressureChanged. Its timestamp_ns is CLOCK_BOOTTIME
 * taken by the source when it read meminfo, just before the broker emits;
 * each subscriber connection stamps its copy with CLOCK_BOOTTIME when it
 * dispatches it. Per event: delivery at the first and at the last
 * subscriber; per subscriber: the distribution over all copies. Subscribers
 * are sd-bus connections served by --threads epoll threads of this process
 * (receiving is shared among them, as it would be among processes on two
 * cores). The bus gets raised connection limits, the bench a raised
 * RLIMIT_NOFILE. --bus dbus-broker runs dbus-broker-launch on a listening
 * socket the bench passes as systemd would (bench-bus.c).
 *
 *   OOMN_BROKER=build/broker/src/oom-notifyd OOMN_BUS_POLICY=tests/broker/system-policy.conf \
 *     build/tests/bench/bench-fanout [--bus dbus-daemon|dbus-broker] \
 *     [--subscribers 1,64,1000] [--events 40] [--threads 4]
 *   (or: meson test -C build --benchmark fanout fanout-dbus-broker)
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench-bus.h"

#define MAX_SUBSCRIBERS 4000
#define MAX_THREADS	16
#define EVENT_WAIT_MS	20000

/* MemTotal 1000000 kB: normal at 80 %, low at 18 % (threshold 20 %). */
#define AVAIL_NORMAL 800000
#define AVAIL_LOW    180000

typedef struct Sub {
	sd_bus *bus;
	sd_bus_slot *slot;
	uint64_t *delta;      /* per event: receipt - emission, ns */
	uint64_t *recv;	      /* per event: receipt, ns */
	atomic_uint received; /* events so far */
} Sub;

typedef struct Run {
	Sub *subs;
	unsigned n_subs, n_events, n_threads;
	atomic_int stop;
	atomic_uint copies; /* copies received, all subscribers */
	uint64_t *emitted;  /* per event: the signal's timestamp_ns */
} Run;

typedef struct Worker {
	Run *run;
	unsigned first, count;
	uint64_t cpu_ns; /* this thread's CPU time while it served */
} Worker;

static Run *the_run;

static int on_pressure(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	uint64_t now = bench_now_ns();
	Sub *s = userdata;
	const char *level, *prev, *source;
	uint64_t seq, avail, total, sfree, stotal, ts;
	unsigned i;

	if (sd_bus_message_read(msg, "sstttttst", &level, &prev, &seq, &total, &avail, &stotal,
				&sfree, &source, &ts) < 0)
		return 0;
	i = atomic_load(&s->received);
	if (i >= the_run->n_events)
		return 0;
	s->recv[i] = now;
	s->delta[i] = now > ts ? now - ts : 0;
	the_run->emitted[i] = ts; /* the same for every copy */
	atomic_store(&s->received, i + 1);
	atomic_fetch_add(&the_run->copies, 1);
	return 0;
}

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void *worker_main(void *arg)
{
	Worker *w = arg;
	struct epoll_event evs[64];
	uint64_t cpu0 = thread_cpu_ns();
	int ep = epoll_create1(EPOLL_CLOEXEC);

	if (ep < 0)
		return NULL;
	for (unsigned i = w->first; i < w->first + w->count; i++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &w->run->subs[i] };

		(void)epoll_ctl(ep, EPOLL_CTL_ADD, sd_bus_get_fd(w->run->subs[i].bus), &ev);
	}
	while (!atomic_load(&w->run->stop)) {
		int n = epoll_wait(ep, evs, 64, 100);

		for (int k = 0; k < n; k++) {
			Sub *s = evs[k].data.ptr;

			while (sd_bus_process(s->bus, NULL) > 0)
				;
		}
	}
	close(ep);
	w->cpu_ns = thread_cpu_ns() - cpu0;
	return NULL;
}

static int write_meminfo(const char *proc, unsigned avail_kb)
{
	char path[256], tmp[256];
	FILE *f;

	(void)snprintf(path, sizeof(path), "%s/meminfo", proc);
	(void)snprintf(tmp, sizeof(tmp), "%s/meminfo.tmp", proc);
	f = fopen(tmp, "we");
	if (!f)
		return -errno;
	fprintf(f,
		"MemTotal:       1000000 kB\nMemFree:        %u kB\nMemAvailable:   %u kB\n"
		"SwapTotal:            0 kB\nSwapFree:             0 kB\n",
		avail_kb / 2, avail_kb);
	if (fclose(f) != 0)
		return -EIO;
	/* Atomically: the broker never reads half a file. */
	return rename(tmp, path) < 0 ? -errno : 0;
}

/* What one run measured; the arrays are per event. */
typedef struct Figures {
	unsigned n_subs, n_events, n_threads;
	uint64_t *last, *first, *all;
	uint64_t bus_cpu_ns, subs_cpu_ns; /* over all events */
} Figures;

static void print_result(const BenchBus *b, Figures *f, int json)
{
	size_t n_all = (size_t)f->n_events * f->n_subs;
	unsigned n = f->n_events;
	double l50 = bench_pct_us(f->last, n, 0.5), l99 = bench_pct_us(f->last, n, 0.99),
	       lmax = bench_pct_us(f->last, n, 1.0);
	double f50 = bench_pct_us(f->first, n, 0.5), f99 = bench_pct_us(f->first, n, 0.99);
	double a50 = bench_pct_us(f->all, n_all, 0.5), a99 = bench_pct_us(f->all, n_all, 0.99);
	double bus_cpu = (double)f->bus_cpu_ns / n / 1000.0,
	       subs_cpu = (double)f->subs_cpu_ns / n / 1000.0;
	const char *bus = bench_bus_kind_to_string(b->kind);

	if (json)
		printf("{\"bus\":\"%s\",\"subscribers\":%u,\"threads\":%u,\"events\":%u,"
		       "\"last_us\":{\"p50\":%.0f,\"p99\":%.0f,\"max\":%.0f},"
		       "\"first_us\":{\"p50\":%.0f,\"p99\":%.0f},"
		       "\"per_subscriber_us\":{\"p50\":%.0f,\"p99\":%.0f},"
		       "\"cpu_us_per_event\":{\"bus\":%.0f,\"subscribers\":%.0f}}\n",
		       bus, f->n_subs, f->n_threads, n, l50, l99, lmax, f50, f99, a50, a99, bus_cpu,
		       subs_cpu);
	else
		printf("%s  subscribers %4u  events %3u  emission -> last subscriber p50 %8.0f us  "
		       "p99 %8.0f us  max %8.0f us | first p50 %6.0f us  p99 %6.0f us | "
		       "per subscriber p50 %8.0f us  p99 %8.0f us | CPU per event: bus %6.0f us  "
		       "subscribers %6.0f us\n",
		       bus, f->n_subs, n, l50, l99, lmax, f50, f99, a50, a99, bus_cpu, subs_cpu);
	fflush(stdout);
}

static int run_one(BenchBus *b, const char *proc, unsigned n_subs, unsigned n_events,
		   unsigned n_threads, int json)
{
	Run run = { .n_subs = n_subs, .n_events = n_events };
	Worker workers[MAX_THREADS];
	pthread_t th[MAX_THREADS];
	uint64_t *all, *last, *first, bus0 = 0, bus1 = 0, subs_cpu = 0;
	unsigned got_events = 0;
	int r = 0;

	if (n_threads > n_subs)
		n_threads = n_subs;
	run.n_threads = n_threads;
	run.subs = calloc(n_subs, sizeof(*run.subs));
	run.emitted = calloc(n_events, sizeof(uint64_t));
	all = calloc((size_t)n_subs * n_events, sizeof(uint64_t));
	last = calloc(n_events, sizeof(uint64_t));
	first = calloc(n_events, sizeof(uint64_t));
	if (!run.subs || !run.emitted || !all || !last || !first)
		return -ENOMEM;
	the_run = &run;

	for (unsigned i = 0; i < n_subs; i++) {
		Sub *s = &run.subs[i];

		s->delta = calloc(n_events, sizeof(uint64_t));
		s->recv = calloc(n_events, sizeof(uint64_t));
		if (!s->delta || !s->recv)
			return -ENOMEM;
		r = bench_bus_connect(b, &s->bus);
		if (r < 0) {
			fprintf(stderr, "bench-fanout: connection %u: %s\n", i, strerror(-r));
			return r;
		}
		/* Synchronous AddMatch: the rule is in before the first event. */
		r = sd_bus_match_signal(s->bus, &s->slot, BENCH_BROKER_NAME, BENCH_BROKER_PATH,
					BENCH_BROKER_IFACE, "PressureChanged", on_pressure, s);
		if (r < 0) {
			fprintf(stderr, "bench-fanout: match %u: %s\n", i, strerror(-r));
			return r;
		}
	}
	for (unsigned t = 0; t < n_threads; t++) {
		workers[t] =
			(Worker){ .run = &run,
				  .first = t * n_subs / n_threads,
				  .count = (t + 1) * n_subs / n_threads - t * n_subs / n_threads };
		pthread_create(&th[t], NULL, worker_main, &workers[t]);
	}
	/* The bus's CPU time over the events: is it the bus or the subscribers? */
	(void)bench_run_ns(b->bus_pid, &bus0);

	for (unsigned e = 0; e < n_events; e++) {
		unsigned want = (e + 1) * n_subs;
		int waited = 0;

		r = write_meminfo(proc, e % 2 == 0 ? AVAIL_LOW : AVAIL_NORMAL);
		if (r < 0)
			break;
		while (atomic_load(&run.copies) < want && waited < EVENT_WAIT_MS) {
			usleep(1000);
			waited++;
		}
		if (atomic_load(&run.copies) < want) {
			fprintf(stderr, "bench-fanout: %u subscribers: event %u reached %u of %u\n",
				n_subs, e, atomic_load(&run.copies) - e * n_subs, n_subs);
			r = -ETIMEDOUT;
			break;
		}
		got_events++;
	}
	atomic_store(&run.stop, 1);
	(void)bench_run_ns(b->bus_pid, &bus1);
	for (unsigned t = 0; t < n_threads; t++) {
		pthread_join(th[t], NULL);
		subs_cpu += workers[t].cpu_ns;
	}

	for (unsigned e = 0; e < got_events; e++) {
		uint64_t lo = UINT64_MAX, hi = 0;

		for (unsigned i = 0; i < n_subs; i++) {
			uint64_t t = run.subs[i].recv[e];

			all[(size_t)e * n_subs + i] = run.subs[i].delta[e];
			if (t < lo)
				lo = t;
			if (t > hi)
				hi = t;
		}
		last[e] = hi - run.emitted[e];
		first[e] = lo - run.emitted[e];
	}
	if (got_events > 0) {
		Figures f = { .n_subs = n_subs,
			      .n_events = got_events,
			      .n_threads = n_threads,
			      .last = last,
			      .first = first,
			      .all = all,
			      .bus_cpu_ns = bus1 - bus0,
			      .subs_cpu_ns = subs_cpu };

		print_result(b, &f, json);
	}

	for (unsigned i = 0; i < n_subs; i++) {
		sd_bus_slot_unref(run.subs[i].slot);
		sd_bus_flush_close_unref(run.subs[i].bus);
		free(run.subs[i].delta);
		free(run.subs[i].recv);
	}
	free(run.subs);
	free(run.emitted);
	free(all);
	free(last);
	free(first);
	/* Leave the level normal for the next run. */
	if (got_events % 2 == 1)
		(void)write_meminfo(proc, AVAIL_NORMAL);
	return r;
}

static void usage(void)
{
	printf("Usage: bench-fanout [--bus dbus-daemon|dbus-broker] [--subscribers N[,N...]]\n"
	       "                    [--events N] [--threads N] [--json]\n"
	       "Needs OOMN_BROKER (oom-notifyd) and OOMN_BUS_POLICY "
	       "(tests/broker/system-policy.conf).\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = { { "bus", required_argument, NULL, 'b' },
					      { "subscribers", required_argument, NULL, 's' },
					      { "events", required_argument, NULL, 'e' },
					      { "threads", required_argument, NULL, 't' },
					      { "json", no_argument, NULL, 'j' },
					      { "help", no_argument, NULL, 'h' },
					      {} };
	const char *list = "1,64,1000";
	unsigned n_events = 40, n_threads = 4, max_subs = 0;
	const char *args[] = { "--source",   "meminfo",		"--proc-root", NULL,
			       "--no-mlock", "--oom-score-adj", "keep",	       "--poll-max-ms",
			       "50",	     "--no-lmm",	NULL };
	char proc[128], *copy, *tok, *save = NULL;
	int json = 0, c, r, failed = 0;
	BenchBusKind kind = BENCH_BUS_DBUS_DAEMON;
	BenchBus b;

	while ((c = getopt_long(argc, argv, "b:s:e:t:jh", opts, NULL)) >= 0) {
		switch (c) {
		case 'b':
			if (bench_bus_kind_from_string(optarg, &kind) < 0) {
				fprintf(stderr, "bench-fanout: --bus dbus-daemon or dbus-broker\n");
				return 2;
			}
			break;
		case 's':
			list = optarg;
			break;
		case 'e':
			n_events = (unsigned)atoi(optarg);
			break;
		case 't':
			n_threads = (unsigned)atoi(optarg);
			break;
		case 'j':
			json = 1;
			break;
		case 'h':
			usage();
			return 0;
		default:
			return 2;
		}
	}
	if (n_events < 1 || n_threads < 1 || n_threads > MAX_THREADS) {
		fprintf(stderr, "bench-fanout: --events >= 1, --threads 1..%d\n", MAX_THREADS);
		return 2;
	}
	copy = strdup(list);
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		unsigned n = (unsigned)atoi(tok);

		if (n < 1 || n > MAX_SUBSCRIBERS) {
			fprintf(stderr, "bench-fanout: subscribers 1..%d\n", MAX_SUBSCRIBERS);
			return 2;
		}
		if (n > max_subs)
			max_subs = n;
	}

	/* Our connections, and the bus's (it inherits this; dbus-broker also
	 * raises its own). */
	r = bench_raise_nofile(max_subs + 256);
	if (r < 0) {
		fprintf(stderr, "bench-fanout: cannot raise RLIMIT_NOFILE to %u: %s\n",
			max_subs + 256, strerror(-r));
		return 1;
	}
	r = bench_bus_start(&b, kind, max_subs + 64);
	if (r < 0) {
		bench_bus_stop(&b);
		return 1;
	}
	(void)snprintf(proc, sizeof(proc), "%s/proc", b.dir);
	if (mkdir(proc, 0755) < 0 || write_meminfo(proc, AVAIL_NORMAL) < 0) {
		bench_bus_stop(&b);
		return 1;
	}
	args[3] = proc;
	r = bench_broker_start(&b, args);
	if (r < 0) {
		bench_bus_stop(&b);
		return 1;
	}

	strcpy(copy, list);
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		r = run_one(&b, proc, (unsigned)atoi(tok), n_events, n_threads, json);
		if (r < 0) {
			failed = 1;
			bench_broker_dump_log(&b);
			bench_bus_dump_log(&b);
			break;
		}
		usleep(200000); /* the broker sees the level back to normal */
	}
	free(copy);
	bench_bus_stop(&b);
	return failed;
}
