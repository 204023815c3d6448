/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "oomn-source-logic.h"

int oomn_psi_trigger_format(char *buf, size_t size, bool full, uint64_t stall_usec,
			    uint64_t window_usec)
{
	int n;

	if (stall_usec == 0 || stall_usec > window_usec || window_usec < OOMN_PSI_WINDOW_MIN_USEC ||
	    window_usec > OOMN_PSI_WINDOW_MAX_USEC)
		return -EINVAL;

	n = snprintf(buf, size, "%s %" PRIu64 " %" PRIu64, full ? "full" : "some", stall_usec,
		     window_usec);
	/* the NUL must fit as well: it is part of what is written */
	if (n < 0 || (size_t)n + 1 > size)
		return -ENOBUFS;
	return n + 1;
}

/* "<digits>" exactly, into *ret; -EBADMSG on overflow or anything else. */
static int oomn_parse_u64(const char *p, const char *end, uint64_t *ret)
{
	uint64_t v = 0;

	if (p == end)
		return -EBADMSG;
	for (; p < end; p++) {
		if (*p < '0' || *p > '9')
			return -EBADMSG;
		if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return -EBADMSG;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*ret = v;
	return 0;
}

int oomn_memory_events_parse(const char *text, struct oomn_memory_events *ret)
{
	static const struct {
		const char *key;
		size_t offset;
	} keys[] = {
		{ "low", offsetof(struct oomn_memory_events, low) },
		{ "high", offsetof(struct oomn_memory_events, high) },
		{ "max", offsetof(struct oomn_memory_events, max) },
		{ "oom", offsetof(struct oomn_memory_events, oom) },
		{ "oom_kill", offsetof(struct oomn_memory_events, oom_kill) },
		{ "oom_group_kill", offsetof(struct oomn_memory_events, oom_group_kill) },
	};
	struct oomn_memory_events ev = { 0 };
	unsigned seen = 0;
	const char *p = text;

	if (!text || !*text)
		return -EBADMSG;

	while (*p) {
		const char *nl = strchr(p, '\n'), *sp;
		uint64_t v;
		size_t i;

		if (!nl)
			return -EBADMSG; /* truncated */
		sp = memchr(p, ' ', nl - p);
		if (!sp || sp == p)
			return -EBADMSG;
		if (oomn_parse_u64(sp + 1, nl, &v) < 0)
			return -EBADMSG;
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			if (strlen(keys[i].key) != (size_t)(sp - p) ||
			    memcmp(keys[i].key, p, sp - p) != 0)
				continue;
			if (seen & (1u << i))
				return -EBADMSG;
			seen |= 1u << i;
			*(uint64_t *)((char *)&ev + keys[i].offset) = v;
			break;
		}
		p = nl + 1;
	}

	/* oom (3) and oom_kill (4) are what the sources act on */
	if (!(seen & (1u << 3)) || !(seen & (1u << 4)))
		return -EBADMSG;
	*ret = ev;
	return 0;
}

bool oomn_backoff_near(const struct oom_notify_thresholds *t, const struct oom_notify_figures *f,
		       enum oom_notify_level level)
{
	__u64 rise_below, fall_at, margin;

	if (level > OOM_NOTIFY_LEVEL_NORMAL)
		return true;
	oom_notify_level_bounds(t, f, level, &rise_below, &fall_at);
	if (rise_below == 0)
		return true; /* below every threshold: only swap holds it */
	margin = f->mem_total / 1000 * OOMN_BACKOFF_NEAR_PERMILLE;
	return f->mem_available < rise_below + margin;
}

uint64_t oomn_backoff_next(uint64_t prev_usec, uint64_t min_usec, uint64_t max_usec,
			   const struct oom_notify_thresholds *t,
			   const struct oom_notify_figures *f, enum oom_notify_level level)
{
	uint64_t next;

	if (max_usec < min_usec)
		max_usec = min_usec;
	if (prev_usec == 0 || oomn_backoff_near(t, f, level))
		return min_usec;
	next = prev_usec > max_usec / 2 ? max_usec : prev_usec * 2;
	if (next < min_usec)
		next = min_usec;
	return next;
}

int oomn_meminfo_level(const struct oom_notify_thresholds *t, const struct oomn_meminfo *mi,
		       uint64_t swap_worth, bool thrashing, enum oom_notify_level prev,
		       enum oom_notify_level *ret_level, struct oom_notify_figures *ret_f)
{
	struct oom_notify_figures f;

	if (mi->mem_total == 0 || mi->mem_available > mi->mem_total ||
	    mi->swap_free > mi->swap_total)
		return -EBADMSG;
	if ((unsigned)prev > OOM_NOTIFY_LEVEL_MAX)
		prev = OOM_NOTIFY_LEVEL_NORMAL;

	f = (struct oom_notify_figures){
		.mem_total = mi->mem_total,
		.mem_available = mi->mem_available,
		.swap_worth = swap_worth < mi->swap_free ? swap_worth : mi->swap_free,
		.thrashing = thrashing,
	};
	*ret_level = oom_notify_level_eval(t, &f, prev);
	if (ret_f)
		*ret_f = f;
	return 0;
}

int oomn_cgroup_limit_parse(const char *text, uint64_t *ret)
{
	const char *nl;

	if (!text)
		return -EBADMSG;
	nl = strchr(text, '\n');
	if (!nl || nl[1] != '\0')
		return -EBADMSG;
	if (nl - text == 3 && memcmp(text, "max", 3) == 0) {
		*ret = UINT64_MAX;
		return 0;
	}
	return oomn_parse_u64(text, nl, ret);
}

int oomn_cgroup_level(const struct oom_notify_thresholds *t, uint64_t current, uint64_t high,
		      uint64_t max, enum oom_notify_level prev, enum oom_notify_level *ret_level,
		      struct oom_notify_figures *ret_f)
{
	uint64_t limit = high < max ? high : max;
	struct oom_notify_figures f;

	if (limit == UINT64_MAX)
		return -ENODATA;
	if (limit == 0)
		limit = 1; /* a zero limit: nothing available at all */
	/* the limit's arithmetic in oom_notify_level_eval() is u64 * 1000 */
	if (limit > UINT64_MAX / 1000)
		return -ENODATA;
	if ((unsigned)prev > OOM_NOTIFY_LEVEL_MAX)
		prev = OOM_NOTIFY_LEVEL_NORMAL;

	f = (struct oom_notify_figures){
		.mem_total = limit,
		.mem_available = current < limit ? limit - current : 0,
		.swap_worth = 0,
	};
	*ret_level = oom_notify_level_eval(t, &f, prev);
	if (ret_f)
		*ret_f = f;
	return 0;
}
