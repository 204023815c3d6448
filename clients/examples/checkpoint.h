/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * oomn-checkpoint-worker's checkpoint file: pure, no I/O beyond the one
 * file. The format is two lines, "oomn-checkpoint-worker 1" and "count N".
 */
#pragma once

#include <stdint.h>
#include <stddef.h>

/* Parses a checkpoint's text; -EBADMSG if it is not one. */
int checkpoint_parse(const char *text, uint64_t *ret_count);
/* Formats one into @buf; returns its length, or -ENOBUFS. */
int checkpoint_format(char *buf, size_t size, uint64_t count);

/* Reads @path: 1 and the count, 0 if there is no file, or a negative errno (-EBADMSG: corrupt). */
int checkpoint_load(const char *path, uint64_t *ret_count);
/* Writes @path atomically and durably (a temporary file, fsync, rename). */
int checkpoint_save(const char *path, uint64_t count);
