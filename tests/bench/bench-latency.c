/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * bench-latency: from MemAvailable crossing a threshold to the pressure event
 * at a subscriber, under real pressure, inside the VM with the module loaded.
 *
 * A toucher thread maps and touches anonymous memory 64 KiB at a time and,
 * after each chunk, reads MemAvailable from /proc/meminfo. The true crossing
 * lies between its last reading above the low threshold (t_prev) and its
 * first below (t_cross). A subscriber thread timestamps the event on receipt
 * (t_recv). Latency lies in [t_recv - t_cross, t_recv - t_prev]; both bounds
 * are reported, with how much memory was touched after the crossing before
 * the event arrived. Then the memory is freed, the level returns to normal,
 * and the run repeats.
 *
 *   bench-latency [--runs N] [--json]
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "oomn-genl.h"
#include "oomn-meminfo.h"

#define CHUNK (64 * 1024)

static atomic_int last_level;
static atomic_uint_fast64_t t_event;	/* receipt of the last LOW-or-above event */
static atomic_uint_fast64_t t_kernel;	/* its kernel timestamp */
static atomic_int stop;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void on_pressure(const struct oomn_pressure_event *ev, void *userdata)
{
	uint64_t t = now_ns();

	if (ev->level > ev->prev_level && ev->prev_level == OOM_NOTIFY_LEVEL_NORMAL) {
		atomic_store(&t_kernel, ev->timestamp_ns);
		atomic_store(&t_event, t);
	}
	atomic_store(&last_level, ev->level);
}

static void *subscriber(void *arg)
{
	OomnGenl *g = arg;

	while (!atomic_load(&stop)) {
		struct pollfd p = { .fd = oomn_genl_event_fd(g), .events = POLLIN };

		if (poll(&p, 1, 100) > 0 && oomn_genl_dispatch(g) < 0)
			fprintf(stderr, "bench-latency: dispatch failed\n");
	}
	return NULL;
}

static int read_avail(int fd, uint64_t *avail)
{
	char buf[8192];
	struct oomn_meminfo mi;
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return -EIO;
	buf[n] = 0;
	if (oomn_meminfo_parse(buf, &mi) < 0)
		return -EBADMSG;
	*avail = mi.mem_available;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double pct(uint64_t *v, int n, double p)
{
	int i = (int)(p * (n - 1) + 0.5);

	qsort(v, n, sizeof(*v), cmp_u64);
	return v[i] / 1000.0;	/* µs */
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "runs", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	int runs = 20, json = 0, c, fd, r, done = 0;
	uint64_t *lo, *hi, *kern, *after;
	struct oomn_state st;
	OomnGenl *g = NULL;
	pthread_t th;
	uint64_t threshold;

	while ((c = getopt_long(argc, argv, "r:jh", opts, NULL)) >= 0) {
		switch (c) {
		case 'r': runs = atoi(optarg); break;
		case 'j': json = 1; break;
		case 'h': printf("Usage: bench-latency [--runs N] [--json]\n"); return 0;
		default: return 2;
		}
	}
	if (runs < 1)
		return 2;
	lo = calloc(runs, sizeof(*lo));
	hi = calloc(runs, sizeof(*hi));
	kern = calloc(runs, sizeof(*kern));
	after = calloc(runs, sizeof(*after));
	fd = open("/proc/meminfo", O_RDONLY | O_CLOEXEC);
	if (!lo || !hi || !kern || !after || fd < 0)
		return 1;

	r = oomn_genl_new(&g);
	if (r < 0) {
		fprintf(stderr, "bench-latency: no oom_notify module: %s\n", strerror(-r));
		return 69;
	}
	static const struct oomn_genl_handlers h = { .on_pressure = on_pressure };
	oomn_genl_set_handlers(g, &h, NULL);
	if (oomn_genl_subscribe(g, OOMN_GROUP_PRESSURE) < 0 || oomn_genl_get_state(g, &st) < 0)
		return 1;
	threshold = st.mem_total * st.thresholds.mem[OOM_NOTIFY_LEVEL_LOW] / 1000;
	atomic_store(&last_level, st.level);
	pthread_create(&th, NULL, subscriber, g);

	for (int run = 0; run < runs; run++) {
		uint64_t avail, t_prev = 0, t_cross = 0, touched_after = 0;
		size_t cap = st.mem_total, len = 0;
		char *p;

		/* wait for normal (the previous run's memory is back) */
		for (int i = 0; i < 3000 && atomic_load(&last_level) != OOM_NOTIFY_LEVEL_NORMAL; i++)
			usleep(10000);
		atomic_store(&t_event, 0);
		p = mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (p == MAP_FAILED)
			return 1;
		while (len + CHUNK <= cap && !atomic_load(&t_event)) {
			for (size_t off = 0; off < CHUNK; off += 4096)
				p[len + off] = 1;
			len += CHUNK;
			if (t_cross) {
				touched_after += CHUNK;
				continue;
			}
			if (read_avail(fd, &avail) < 0)
				return 1;
			if (avail < threshold)
				t_cross = now_ns();
			else
				t_prev = now_ns();
			/* safety: never drive the VM into the kernel's OOM killer */
			if (avail < st.mem_total / 20)
				break;
		}
		/* the event may still be in flight */
		for (int i = 0; i < 500 && !atomic_load(&t_event); i++)
			usleep(1000);
		munmap(p, cap);
		if (!t_cross || !atomic_load(&t_event)) {
			fprintf(stderr, "bench-latency: run %d: no crossing or no event\n", run);
			continue;
		}
		lo[done] = atomic_load(&t_event) > t_cross ? atomic_load(&t_event) - t_cross : 0;
		hi[done] = atomic_load(&t_event) - t_prev;
		kern[done] = atomic_load(&t_event) - atomic_load(&t_kernel);
		after[done] = touched_after;
		done++;
	}
	atomic_store(&stop, 1);
	pthread_join(th, NULL);
	if (!done)
		return 1;

	double after_avg = 0;
	for (int i = 0; i < done; i++)
		after_avg += after[i] / 1024.0;
	after_avg /= done;
	/* pct() sorts in place: take every figure once, then print. */
	double hi50 = pct(hi, done, 0.5), hi99 = pct(hi, done, 0.99), himax = pct(hi, done, 1.0);
	double lo50 = pct(lo, done, 0.5), lo99 = pct(lo, done, 0.99);
	double k50 = pct(kern, done, 0.5), k99 = pct(kern, done, 0.99);

	printf(json ? "{\"runs\":%d,\"upper_us\":{\"p50\":%.0f,\"p99\":%.0f,\"max\":%.0f},"
		      "\"lower_us\":{\"p50\":%.0f,\"p99\":%.0f},"
		      "\"kernel_to_subscriber_us\":{\"p50\":%.0f,\"p99\":%.0f},"
		      "\"touched_after_crossing_kib_avg\":%.0f}\n"
		    : "runs %d\n"
		      "crossing -> event at subscriber, upper bound: p50 %.0f us, p99 %.0f us, max %.0f us\n"
		      "crossing -> event at subscriber, lower bound: p50 %.0f us, p99 %.0f us\n"
		      "kernel evaluation -> subscriber receipt:       p50 %.0f us, p99 %.0f us\n"
		      "memory touched after the crossing before the event: %.0f KiB on average\n",
	       done, hi50, hi99, himax, lo50, lo99, k50, k99, after_avg);
	oomn_genl_free(g);
	return 0;
}
