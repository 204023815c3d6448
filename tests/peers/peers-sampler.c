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
 *
 * With --cap-s it is also the run's wall-clock cap: after that many seconds
 * it SIGKILLs every live process listed in --procs (lines "ROLE PID NAME")
 * and writes "REALTIME_NS PID..." to --cap-out. A guest livelocked in
 * reclaim (the kernel alone, no swap) runs no shell, but this process is
 * locked in memory and keeps running: the stall becomes the run's result.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
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

static long long realtime_ns(void)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	return (long long)now.tv_sec * 1000000000LL + now.tv_nsec;
}

static int reached(const struct timespec *at)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > at->tv_sec || (now.tv_sec == at->tv_sec && now.tv_nsec >= at->tv_nsec);
}

/* 1 when PID is alive and not a zombie (killing a zombie "succeeds") */
static int alive(long pid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
}

/* The cap: SIGKILL the live processes of PROCS, record which in OUT. No
 * stdio and a static buffer: memory may be short when this runs. */
static int cap(const char *procs, const char *out)
{
	static char buf[65536];
	char line[64], *l, *save = NULL;
	ssize_t n;
	int fd, len;

	fd = open(procs, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	len = snprintf(line, sizeof(line), "%lld", realtime_ns());
	(void)!write(fd, line, len);
	for (l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		long pid;

		if (sscanf(l, "%*s %ld", &pid) != 1 || pid <= 1 || !alive(pid))
			continue;
		if (kill((pid_t)pid, SIGKILL) == 0) {
			len = snprintf(line, sizeof(line), " %ld", pid);
			(void)!write(fd, line, len);
		}
	}
	(void)!write(fd, "\n", 1);
	close(fd);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: peers-sampler [--interval-ms MS] [--meminfo PATH]\n"
		   "                     [--cap-s S --procs FILE --cap-out FILE]\n"
		   "Prints REALTIME_NS MEMTOTAL MEMAVAILABLE SWAPTOTAL SWAPFREE (kB) every MS\n"
		   "(default 20) until SIGTERM or SIGINT. After S seconds (--cap-s) it SIGKILLs\n"
		   "the live processes listed in FILE (\"ROLE PID NAME\" lines) and writes\n"
		   "\"REALTIME_NS PID...\" to the --cap-out file.\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "interval-ms", required_argument, NULL, 'i' },
		{ "meminfo", required_argument, NULL, 'm' },
		{ "cap-s", required_argument, NULL, 'c' },
		{ "procs", required_argument, NULL, 'p' },
		{ "cap-out", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{}
	};
	const char *path = "/proc/meminfo", *procs = NULL, *cap_out = NULL;
	unsigned long interval_ms = 20, cap_s = 0;
	struct sigaction sa = { .sa_handler = on_stop };
	struct timespec next, cap_at;
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
		case 'c':
			cap_s = strtoul(optarg, NULL, 10);
			if (cap_s == 0 || cap_s > 86400) {
				fprintf(stderr, "peers-sampler: bad --cap-s\n");
				return 2;
			}
			break;
		case 'p': procs = optarg; break;
		case 'o': cap_out = optarg; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("peers-sampler 1\n"); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc || (cap_s && (!procs || !cap_out))) {
		usage(stderr);
		return 2;
	}
	/* the trace must go on (and the cap act) when memory is short */
	if (mlockall(MCL_CURRENT | MCL_FUTURE) < 0)
		fprintf(stderr, "peers-sampler: mlockall: %s\n", strerror(errno));
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);
	clock_gettime(CLOCK_MONOTONIC, &next);
	cap_at = next;
	cap_at.tv_sec += (time_t)cap_s;
	while (!stop) {
		unsigned long long v[4];
		int r = sample(path, v);

		if (r < 0) {
			fprintf(stderr, "peers-sampler: %s: %s\n", path, strerror(-r));
			return 1;
		}
		printf("%lld %llu %llu %llu %llu\n", realtime_ns(), v[0], v[1], v[2], v[3]);
		if (cap_s && reached(&cap_at)) {
			cap_s = 0;
			r = cap(procs, cap_out);
			fprintf(stderr, "peers-sampler: the cap: %s\n",
				r < 0 ? strerror(-r) : "processes of the run killed");
		}
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
