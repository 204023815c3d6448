/* SPDX-License-Identifier: GPL-2.0-only */
#include "log-limit.h"

#include <stddef.h>

/* A window starts with its first line; a clock that went back starts one too. */
static bool log_limit_expired(uint64_t start, unsigned lines, uint64_t now)
{
	return lines == 0 || now < start || now - start >= LOG_LIMIT_WINDOW_USEC;
}

/* The uid's slot; a new one takes a free slot or the one idle the longest. */
static LogLimitSlot *log_limit_slot(LogLimit *l, uint32_t uid, uint64_t now)
{
	LogLimitSlot *oldest = NULL;

	for (size_t i = 0; i < LOG_LIMIT_UIDS; i++) {
		LogLimitSlot *s = &l->slots[i];

		if (s->used && s->uid == uid)
			return s;
		if (!oldest || !s->used || (oldest->used && s->window_start < oldest->window_start))
			oldest = s;
	}
	*oldest = (LogLimitSlot){ .uid = uid, .used = true, .window_start = now };
	return oldest;
}

bool log_limit_allow(LogLimit *l, uint32_t uid, uint64_t now_usec, unsigned *ret_suppressed)
{
	LogLimitSlot *s = log_limit_slot(l, uid, now_usec);

	*ret_suppressed = 0;
	if (log_limit_expired(l->window_start, l->lines, now_usec)) {
		l->window_start = now_usec;
		l->lines = 0;
	}
	if (log_limit_expired(s->window_start, s->lines, now_usec)) {
		s->window_start = now_usec;
		s->lines = 0;
	}
	if (s->lines >= LOG_LIMIT_PER_UID || l->lines >= LOG_LIMIT_ALL) {
		s->suppressed++;
		return false;
	}
	s->lines++;
	l->lines++;
	*ret_suppressed = s->suppressed;
	s->suppressed = 0;
	return true;
}
