/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * peers-sampler: the harness's memory trace. Every --interval-ms it reads
 * /proc/meminfo and prints one line
 *
 *   REALTIME_NS MEMTOTAL_KB MEMAVAILABLE_KB SWAPTOTAL_KB SWAPFREE_KB
 *
 * until SIGTERM or SIGINT. CLOCK_REALTIME because the other clocks of the
 * harness (GMemoryMonitor clients, nohang's warning command) can only give
 * that one. The same sampler runs for every contender, so its own wake-ups
 * weigh on all of them alike.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_stop(int sig)
{
	stop = 1;
}

/* The four meminfo fields, in kB; 0 for a field the kernel does not have. */
static int sample(const char *path, unsigned long long v[4])
{
	static const char *const keys[] = { "MemTotal:", "MemAvailable:", "SwapTotal:",
					    "SwapFree:" };
	char line[256];
	FILE *f = fopen(path, "re");

	if (!f)
		return -errno;
	memset(v, 0, 4 * sizeof(v[0]));
	while (fgets(line, sizeof(line), f)) {
		for (int i = 0; i < 4; i++) {
			size_t n = strlen(keys[i]);

			if (strncmp(line, keys[i], n) == 0)
				v[i] = strtoull(line + n, NULL, 10);
		}
	}
	fclose(f);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: peers-sampler [--interval-ms MS] [--meminfo PATH]\n"
		   "Prints REALTIME_NS MEMTOTAL MEMAVAILABLE SWAPTOTAL SWAPFREE (kB) every MS\n"
		   "(default 20) until SIGTERM or SIGINT.\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "interval-ms", required_argument, NULL, 'i' },
		{ "meminfo", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{}
	};
	const char *path = "/proc/meminfo";
	unsigned long interval_ms = 20;
	struct sigaction sa = { .sa_handler = on_stop };
	struct timespec next;
	int c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) >= 0) {
		switch (c) {
		case 'i':
			interval_ms = strtoul(optarg, NULL, 10);
			if (interval_ms == 0 || interval_ms > 60000) {
				fprintf(stderr, "peers-sampler: bad --interval-ms\n");
				return 2;
			}
			break;
		case 'm': path = optarg; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("peers-sampler 1\n"); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);
	clock_gettime(CLOCK_MONOTONIC, &next);
	while (!stop) {
		unsigned long long v[4];
		struct timespec now;
		int r = sample(path, v);

		if (r < 0) {
			fprintf(stderr, "peers-sampler: %s: %s\n", path, strerror(-r));
			return 1;
		}
		clock_gettime(CLOCK_REALTIME, &now);
		printf("%lld %llu %llu %llu %llu\n",
		       (long long)now.tv_sec * 1000000000LL + now.tv_nsec, v[0], v[1], v[2], v[3]);
		/* absolute deadlines: a slow read does not stretch the period */
		next.tv_nsec += (long)(interval_ms % 1000) * 1000000L;
		next.tv_sec += (time_t)(interval_ms / 1000) + next.tv_nsec / 1000000000L;
		next.tv_nsec %= 1000000000L;
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR &&
		       !stop)
			;
	}
	return 0;
}
