/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oomn-macro.h"
#include "oomn-fileio.h"
#include "oomn-meminfo.h"

/* A real meminfo is about 1.5 KiB; anything far larger is not meminfo. */
#define OOMN_MEMINFO_SIZE_MAX (64 * 1024)

enum {
	OOMN_MEMINFO_MEM_TOTAL,
	OOMN_MEMINFO_MEM_FREE,
	OOMN_MEMINFO_MEM_AVAILABLE,
	OOMN_MEMINFO_SWAP_TOTAL,
	OOMN_MEMINFO_SWAP_FREE,
	_OOMN_MEMINFO_MAX,
};

static const char *const oomn_meminfo_keys[_OOMN_MEMINFO_MAX] = {
	[OOMN_MEMINFO_MEM_TOTAL] = "MemTotal",
	[OOMN_MEMINFO_MEM_FREE] = "MemFree",
	[OOMN_MEMINFO_MEM_AVAILABLE] = "MemAvailable",
	[OOMN_MEMINFO_SWAP_TOTAL] = "SwapTotal",
	[OOMN_MEMINFO_SWAP_FREE] = "SwapFree",
};

static bool oomn_meminfo_is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * One line, [p, end) without its newline: "Key:<blanks><digits>[ kB]".
 * Returns 0 with *ret_key (not terminated), *ret_value and *ret_kb set.
 */
static int oomn_meminfo_parse_line(const char *p, const char *end,
				   const char **ret_key, size_t *ret_key_len,
				   uint64_t *ret_value, bool *ret_kb)
{
	const char *colon, *q;
	uint64_t v = 0;
	bool kb = false;

	colon = memchr(p, ':', end - p);
	if (!colon || colon == p)
		return -EBADMSG;
	for (q = p; q < colon; q++)
		if (oomn_meminfo_is_blank(*q))
			return -EBADMSG;

	q = colon + 1;
	while (q < end && oomn_meminfo_is_blank(*q))
		q++;
	if (q == end || *q < '0' || *q > '9')
		return -EBADMSG;
	for (; q < end && *q >= '0' && *q <= '9'; q++) {
		unsigned d = *q - '0';

		if (v > (UINT64_MAX - d) / 10)
			return -EBADMSG;
		v = v * 10 + d;
	}

	if (q < end) {
		if (end - q != 3 || memcmp(q, " kB", 3) != 0)
			return -EBADMSG;
		kb = true;
	}

	*ret_key = p;
	*ret_key_len = colon - p;
	*ret_value = v;
	*ret_kb = kb;
	return 0;
}

int oomn_meminfo_parse(const char *text, struct oomn_meminfo *ret)
{
	uint64_t values[_OOMN_MEMINFO_MAX] = {};
	bool seen[_OOMN_MEMINFO_MAX] = {};
	const char *p = text;
	size_t len = strlen(text);

	if (len > 0 && text[len - 1] != '\n')
		return -EBADMSG;

	while (*p) {
		const char *nl = strchr(p, '\n'), *key;
		size_t key_len;
		uint64_t v;
		bool kb;
		int r;

		r = oomn_meminfo_parse_line(p, nl, &key, &key_len, &v, &kb);
		if (r < 0)
			return r;

		for (size_t i = 0; i < _OOMN_MEMINFO_MAX; i++) {
			if (strlen(oomn_meminfo_keys[i]) != key_len ||
			    memcmp(oomn_meminfo_keys[i], key, key_len) != 0)
				continue;
			/* The kernel prints these in kB; a bare number is not
			 * the file we think it is. */
			if (!kb || seen[i] || v > UINT64_MAX / 1024)
				return -EBADMSG;
			values[i] = v * 1024;
			seen[i] = true;
			break;
		}
		p = nl + 1;
	}

	if (!seen[OOMN_MEMINFO_MEM_TOTAL] || !seen[OOMN_MEMINFO_MEM_AVAILABLE])
		return -ENODATA;
	if (values[OOMN_MEMINFO_MEM_TOTAL] == 0)
		return -EBADMSG;

	*ret = (struct oomn_meminfo){
		.mem_total = values[OOMN_MEMINFO_MEM_TOTAL],
		.mem_free = values[OOMN_MEMINFO_MEM_FREE],
		.mem_available = values[OOMN_MEMINFO_MEM_AVAILABLE],
		.swap_total = values[OOMN_MEMINFO_SWAP_TOTAL],
		.swap_free = values[OOMN_MEMINFO_SWAP_FREE],
	};
	return 0;
}

static int oomn_meminfo_read_file(int dir_fd, const char *path, struct oomn_meminfo *ret)
{
	_cleanup_free_ char *buf = NULL;
	int r;

	/* Two bytes more than we accept: "too large" is told from "full". */
	buf = malloc(OOMN_MEMINFO_SIZE_MAX + 2);
	if (!buf)
		return -ENOMEM;
	r = oomn_read_text_at(dir_fd, path, buf, OOMN_MEMINFO_SIZE_MAX + 2);
	if (r < 0)
		return r;
	return oomn_meminfo_parse(buf, ret);
}

int oomn_meminfo_read(const char *proc_root, struct oomn_meminfo *ret)
{
	_cleanup_free_ char *path = NULL;

	if (asprintf(&path, "%s/meminfo", proc_root ?: "/proc") < 0)
		return -ENOMEM;
	return oomn_meminfo_read_file(AT_FDCWD, path, ret);
}

int oomn_meminfo_read_at(int proc_fd, struct oomn_meminfo *ret)
{
	return oomn_meminfo_read_file(proc_fd, "meminfo", ret);
}
