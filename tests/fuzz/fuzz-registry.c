/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What bus callers hand the broker's registry (broker/src/registry.c): any
 * sequence of registrations, updates, notices, answers and departures with
 * any names, process names, bands and flags keeps it consistent. Each input
 * is a program: one byte an operation, then its arguments.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "registry.h"

static const uint8_t prog1[] = { 0, 1, 2, 50, 1, 'a', 'b', 0, 3, 2, 1, 4, 2, 5, 1 };
static const uint8_t prog2[] = { 0, 200, 9, 101, 7, 0xff, 0xfe, 0, 1, 200, 6, 0, 0, 0, 0, 0 };

static const struct fuzz_seed seeds[] = {
	{ prog1, sizeof(prog1) },
	{ prog2, sizeof(prog2) },
};
const struct fuzz_seed *const fuzz_seeds = seeds;
const size_t fuzz_n_seeds = sizeof(seeds) / sizeof(seeds[0]);

static uint8_t next(const uint8_t **p, const uint8_t *end)
{
	return *p < end ? *(*p)++ : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct oomn_registry_limits limits = { .max_total = 16, .max_per_uid = 4 };
	const uint8_t *p = data, *end = data + size;
	OomnRegistry *r = NULL;

	if (oomn_registry_new(&r, &limits) < 0)
		return 0;
	while (p < end) {
		uint8_t op = next(&p, end) % 7, who = next(&p, end) % 24;
		char name[16], comm[24];
		char *notifier = NULL;
		uint64_t id;
		size_t n;

		(void)snprintf(name, sizeof(name), ":1.%u", who);
		switch (op) {
		case 0: /* Register: pid, band, flags, a comm of any bytes */
		{
			uint32_t pid = next(&p, end), band = next(&p, end), flags = next(&p, end);

			n = 0;
			while (n < sizeof(comm) - 1 && p < end && *p)
				comm[n++] = (char)*p++;
			comm[n] = 0;
			(void)next(&p, end);
			(void)oomn_registry_register(r, name, pid, who % 5, comm, band, flags, &id);
			break;
		}
		case 1:
			(void)oomn_registry_unregister(r, name);
			break;
		case 2:
			(void)oomn_registry_forget_name(r, name);
			break;
		case 3:
			(void)oomn_registry_mark_notice(r, next(&p, end), ":1.99", 1000);
			break;
		case 4:
			if (oomn_registry_take_notice(r, name, &notifier) == 0)
				free(notifier);
			break;
		case 5:
			(void)oomn_registry_clear_notices(r, next(&p, end));
			break;
		case 6: /* the listing stays consistent */
			for (size_t i = 0; i < oomn_registry_count(r); i++) {
				struct oomn_client *c = oomn_registry_get(r, i);

				if (!c || !oomn_registry_knows_name(r, c->bus_name) ||
				    !oomn_registry_band_valid(c->band) ||
				    oomn_registry_count_uid(r, c->uid) > limits.max_per_uid)
					abort();
			}
			break;
		}
		if (oomn_registry_count(r) > limits.max_total)
			abort();
	}
	oomn_registry_free(r);
	return 0;
}
