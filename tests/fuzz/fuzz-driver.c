/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The CI driver of a fuzz target (fuzz.h): with files as arguments, runs each
 * once (a crash reproducer); without, runs $OOMN_FUZZ_RUNS inputs (default
 * 20000, at most $OOMN_FUZZ_SECONDS, default 60) made from the seeds by byte
 * flips, insertions, deletions, truncations and splices, from a fixed seed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fuzz.h"

#define FUZZ_MAX 65536

static uint64_t fuzz_rng = 0x2545F4914F6CDD1DULL;

static uint32_t fuzz_rand(uint32_t n)
{
	/* xorshift64*: reproducible everywhere */
	fuzz_rng ^= fuzz_rng >> 12;
	fuzz_rng ^= fuzz_rng << 25;
	fuzz_rng ^= fuzz_rng >> 27;
	return n ? (uint32_t)((fuzz_rng * 2685821657736338717ULL) >> 32) % n : 0;
}

static size_t fuzz_mutate(uint8_t *buf, size_t len)
{
	static const uint8_t interesting[] = { 0, 1, 0x7f, 0x80, 0xff, ':', '-', '\n', '"', '[' };
	unsigned n = 1 + fuzz_rand(6);

	for (unsigned i = 0; i < n; i++) {
		size_t at = len ? fuzz_rand(len) : 0;

		switch (fuzz_rand(6)) {
		case 0: /* flip */
			if (len)
				buf[at] ^= (uint8_t)(1u << fuzz_rand(8));
			break;
		case 1: /* set */
			if (len)
				buf[at] = fuzz_rand(2) ? interesting[fuzz_rand(sizeof(interesting))]
						       : (uint8_t)fuzz_rand(256);
			break;
		case 2: /* insert */
			if (len < FUZZ_MAX) {
				memmove(buf + at + 1, buf + at, len - at);
				buf[at] = (uint8_t)fuzz_rand(256);
				len++;
			}
			break;
		case 3: /* delete */
			if (len) {
				memmove(buf + at, buf + at + 1, len - at - 1);
				len--;
			}
			break;
		case 4: /* truncate */
			len = at;
			break;
		case 5: { /* splice in a piece of another seed */
			const struct fuzz_seed *s = &fuzz_seeds[fuzz_rand(fuzz_n_seeds)];
			size_t from = fuzz_rand(s->size + 1), k = fuzz_rand(s->size - from + 1);

			if (len + k <= FUZZ_MAX) {
				memmove(buf + at + k, buf + at, len - at);
				memcpy(buf + at, (const uint8_t *)s->data + from, k);
				len += k;
			}
			break;
		}
		}
	}
	return len;
}

static int fuzz_file(const char *path)
{
	static uint8_t buf[FUZZ_MAX];
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f) {
		perror(path);
		return 1;
	}
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	LLVMFuzzerTestOneInput(buf, n);
	return 0;
}

int main(int argc, char **argv)
{
	static uint8_t buf[FUZZ_MAX], copy[FUZZ_MAX];
	const char *runs_env = getenv("OOMN_FUZZ_RUNS"), *secs_env = getenv("OOMN_FUZZ_SECONDS");
	unsigned long runs = runs_env ? strtoul(runs_env, NULL, 10) : 20000;
	time_t end = time(NULL) + (secs_env ? strtol(secs_env, NULL, 10) : 60);
	unsigned long i;

	if (argc > 1) {
		int r = 0;

		for (int k = 1; k < argc; k++)
			r |= fuzz_file(argv[k]);
		return r;
	}
	for (size_t k = 0; k < fuzz_n_seeds; k++) {
		memcpy(copy, fuzz_seeds[k].data, fuzz_seeds[k].size);
		LLVMFuzzerTestOneInput(copy, fuzz_seeds[k].size);
	}
	for (i = 0; i < runs && time(NULL) < end; i++) {
		const struct fuzz_seed *s = &fuzz_seeds[fuzz_rand(fuzz_n_seeds)];
		size_t len;

		memcpy(buf, s->data, s->size);
		len = fuzz_mutate(buf, s->size);
		/* an exact-size copy: ASan sees any read past its end */
		{
			uint8_t *exact = malloc(len ? len : 1);

			if (!exact)
				return 1;
			memcpy(exact, buf, len);
			LLVMFuzzerTestOneInput(exact, len);
			free(exact);
		}
	}
	printf("1..1\nok 1 - %lu inputs, %zu seeds, no crash\n", i, fuzz_n_seeds);
	return 0;
}
