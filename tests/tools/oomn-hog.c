/* SPDX-License-Identifier: GPL-2.0 */
/*
 * oomn-hog: makes real memory pressure for the tests and benchmarks by
 * touching anonymous pages.
 *
 *   oomn-hog [--max MIB] [--leave MIB] [--step MIB] [--delay-ms MS] [--ignore-term]
 *            [--hold | --reread] [--comm NAME] [--fill ones|half|random]
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
 *
 * --fill says what the pages hold, which is what swap in RAM (zram) pays to
 * keep them: "ones" (the default) one non-zero byte a page, compressing to
 * almost nothing; "random" nothing compressible; "half" a random half and
 * a zero half. --reread, once grown, reads every page over and over until
 * killed: a working set that thrashes when it exceeds RAM.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
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

enum fill { FILL_ONES, FILL_HALF, FILL_RANDOM };
static enum fill fill = FILL_ONES;
static uint64_t rng = 0x9e3779b97f4a7c15ULL;

/* xorshift64: fast enough under TCG, and no compressor finds a pattern */
static uint64_t next_random(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void fill_page(char *page, long size)
{
	long n = fill == FILL_RANDOM ? size : fill == FILL_HALF ? size / 2 : 0;

	/* Non-zero bytes: a page that is only read would map the zero page. */
	page[size - 1] = 1;
	for (long off = 0; off + 8 <= n; off += 8) {
		uint64_t v = next_random();

		memcpy(page + off, &v, 8);
	}
}

/* Read a byte of every page, over and over: each pass refaults what reclaim took. */
static void reread(void)
{
	long page = sysconf(_SC_PAGESIZE);
	volatile char sink = 0;

	for (;;)
		for (size_t i = 0; i < n_chunks; i++)
			for (size_t off = 0; off < chunks[i].len; off += page)
				sink += ((volatile char *)chunks[i].p)[off];
}

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
	for (size_t off = 0; off < len; off += page)
		fill_page(p + off, page);
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
		"                [--ignore-term] [--hold | --reread] [--comm NAME]\n"
		"                [--fill ones|half|random]\n"
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
		{ "fill", required_argument, NULL, 'f' },
		{ "reread", no_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	unsigned long max = 0, step = 4, delay_ms = 0;
	long leave = -1;
	int hold = 0, ctl = 0, again = 0, c;

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
		case 'f':
			if (strcmp(optarg, "ones") == 0)
				fill = FILL_ONES;
			else if (strcmp(optarg, "half") == 0)
				fill = FILL_HALF;
			else if (strcmp(optarg, "random") == 0)
				fill = FILL_RANDOM;
			else {
				fprintf(stderr, "oomn-hog: --fill: ones, half or random, not '%s'\n",
					optarg);
				return 2;
			}
			break;
		case 'r': again = 1; break;
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
	if (again)
		reread();
	while (hold)
		pause();
	return 0;
}
