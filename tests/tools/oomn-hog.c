/* SPDX-License-Identifier: GPL-2.0 */
/*
 * oomn-hog: makes real memory pressure for the tests and benchmarks by
 * touching anonymous pages.
 *
 *   oomn-hog [--max MIB] [--leave MIB] [--step MIB] [--delay-ms MS] [--ignore-term]
 *            [--hold] [--comm NAME]
 *   oomn-hog --control      grow/shrink on command: reads "grow N", "free N",
 *                           "exit" lines on stdin, answers "ok TOTAL_MIB"
 *
 * With --max it grows by --step until --max (or until killed), then holds if
 * --hold is given, else exits. With --leave it stops as soon as MemAvailable
 * is down to that many MiB, even short of --max: a size computed from an
 * earlier MemAvailable misses the mark by the free pages then on the
 * per-CPU lists, which MemAvailable does not count and allocations take
 * first (up to an eighth of RAM on 6.12 after a big process exits). It
 * prints "ready PID" once it starts and "done TOTAL_MIB" when it reached
 * --max (or the --leave mark). --comm renames the process (its comm, what
 * the killer's rules match by name) before it touches any memory.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#define MIB (1024UL * 1024UL)

struct chunk {
	void *p;
	size_t len;
};

static struct chunk *chunks;
static size_t n_chunks, cap_chunks;
static size_t total_mib;

static int grow(size_t mib)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t len = mib * MIB;
	char *p;

	if (n_chunks == cap_chunks) {
		size_t cap = cap_chunks ? cap_chunks * 2 : 64;
		struct chunk *c = realloc(chunks, cap * sizeof(*c));

		if (!c)
			return -ENOMEM;
		chunks = c;
		cap_chunks = cap;
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	/* Non-zero bytes: a page that is only read would map the zero page. */
	for (size_t off = 0; off < len; off += page)
		p[off] = 1;
	chunks[n_chunks++] = (struct chunk){ p, len };
	total_mib += mib;
	return 0;
}

static void shrink(size_t mib)
{
	while (mib > 0 && n_chunks > 0) {
		struct chunk *c = &chunks[n_chunks - 1];
		size_t c_mib = c->len / MIB;

		munmap(c->p, c->len);
		n_chunks--;
		total_mib -= c_mib;
		mib = mib > c_mib ? mib - c_mib : 0;
	}
}

static int control(void)
{
	char line[128];

	while (fgets(line, sizeof(line), stdin)) {
		unsigned long n = 0;
		int r = 0;

		if (sscanf(line, "grow %lu", &n) == 1)
			r = grow(n);
		else if (sscanf(line, "free %lu", &n) == 1)
			shrink(n);
		else if (strncmp(line, "exit", 4) == 0)
			return 0;
		else
			r = -EINVAL;
		if (r < 0)
			printf("error %s\n", strerror(-r));
		else
			printf("ok %zu\n", total_mib);
		fflush(stdout);
	}
	return 0;
}

/* MemAvailable in MiB; -errno if /proc/meminfo cannot be read or has none. */
static long mem_available_mib(void)
{
	FILE *f = fopen("/proc/meminfo", "re");
	char line[128];
	unsigned long kb;
	long r = -ENODATA;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %lu kB", &kb) == 1) {
			r = (long)(kb / 1024);
			break;
		}
	fclose(f);
	return r;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: oomn-hog [--max MIB] [--leave MIB] [--step MIB] [--delay-ms MS]\n"
		"                [--ignore-term] [--hold] [--comm NAME]\n"
		"       oomn-hog --control\n"
		"Touches anonymous memory to make real memory pressure.\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "max", required_argument, NULL, 'm' },
		{ "leave", required_argument, NULL, 'l' },
		{ "step", required_argument, NULL, 's' },
		{ "delay-ms", required_argument, NULL, 'd' },
		{ "ignore-term", no_argument, NULL, 'i' },
		{ "hold", no_argument, NULL, 'H' },
		{ "control", no_argument, NULL, 'c' },
		{ "comm", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	unsigned long max = 0, step = 4, delay_ms = 0;
	long leave = -1;
	int hold = 0, ctl = 0, c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) >= 0) {
		switch (c) {
		case 'm': max = strtoul(optarg, NULL, 0); break;
		case 'l': leave = strtol(optarg, NULL, 0); break;
		case 's': step = strtoul(optarg, NULL, 0); break;
		case 'd': delay_ms = strtoul(optarg, NULL, 0); break;
		case 'i': signal(SIGTERM, SIG_IGN); break;
		case 'H': hold = 1; break;
		case 'c': ctl = 1; break;
		case 'n':
			if (prctl(PR_SET_NAME, optarg, 0, 0, 0) < 0) {
				perror("oomn-hog: PR_SET_NAME");
				return 1;
			}
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (step == 0 || (!ctl && max == 0)) {
		usage(stderr);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("ready %d\n", (int)getpid());
	if (ctl)
		return control();

	while (total_mib < max) {
		int r;

		if (leave >= 0) {
			long avail = mem_available_mib();

			if (avail < 0) {
				fprintf(stderr, "oomn-hog: /proc/meminfo: %s\n", strerror((int)-avail));
				return 1;
			}
			if (avail <= leave)
				break;
			/* the last step only as far as the mark */
			if ((unsigned long)(avail - leave) < step)
				step = (unsigned long)(avail - leave);
		}
		r = grow(step < max - total_mib ? step : max - total_mib);
		if (r < 0) {
			fprintf(stderr, "oomn-hog: %s\n", strerror(-r));
			return 1;
		}
		if (delay_ms) {
			struct timespec ts = { delay_ms / 1000, (delay_ms % 1000) * 1000000L };

			nanosleep(&ts, NULL);
		}
	}
	printf("done %zu\n", total_mib);
	while (hold)
		pause();
	return 0;
}
