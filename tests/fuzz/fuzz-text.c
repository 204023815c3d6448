/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the daemons read from /proc and cgroupfs (lib/): meminfo,
 * memory.events, memory.max. Odd contents are an error, never a crash or a
 * read past the text.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "oomn-meminfo.h"
#include "oomn-source-logic.h"

static const char meminfo[] = "MemTotal:        1000000 kB\n"
			      "MemFree:          200000 kB\n"
			      "MemAvailable:     800000 kB\n"
			      "SwapTotal:        524288 kB\n"
			      "SwapFree:         524288 kB\n";
static const char events[] = "low 0\nhigh 3\nmax 2\noom 1\noom_kill 1\noom_group_kill 0\n";
static const char limit[] = "33554432\n";
static const char unlimited[] = "max\n";

static const struct fuzz_seed seeds[] = {
	FUZZ_SEED_STR(meminfo),
	FUZZ_SEED_STR(events),
	FUZZ_SEED_STR(limit),
	FUZZ_SEED_STR(unlimited),
};
const struct fuzz_seed *const fuzz_seeds = seeds;
const size_t fuzz_n_seeds = sizeof(seeds) / sizeof(seeds[0]);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct oomn_meminfo mi;
	struct oomn_memory_events ev;
	uint64_t v;
	char *text = malloc(size + 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0; /* what the readers hand over */
	(void)oomn_meminfo_parse(text, &mi);
	(void)oomn_memory_events_parse(text, &ev);
	(void)oomn_cgroup_limit_parse(text, &v);
	free(text);
	return 0;
}
