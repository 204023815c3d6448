/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Fuzz targets: each file defines LLVMFuzzerTestOneInput() and its seeds.
 * Built with libFuzzer (clang -fsanitize=fuzzer, e.g. meson -Dfuzz_engine=
 * libfuzzer by hand) they run without end; built here with fuzz-driver.c and
 * ASan/UBSan they run in CI for a bounded number of inputs, mutated from the
 * seeds with a fixed seed (the same inputs every run): any crash, leak or
 * undefined behaviour fails the test.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_seed {
	const void *data;
	size_t size;
};

/* The target's seeds: well-formed inputs to start the mutations from. */
extern const struct fuzz_seed *const fuzz_seeds;
extern const size_t fuzz_n_seeds;

#define FUZZ_SEED_STR(s) { s, sizeof(s) - 1 }
