/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The killer must be able to act when memory is short: its memory is locked,
 * the kernel's OOM killer never picks it, and it may run at real-time priority.
 */
#pragma once

#include <stdbool.h>

#define KILLER_SCORE_ADJ -1000

/*
 * oom_score_adj and, with @realtime, SCHED_FIFO. The memory is locked later,
 * by killer_warmup() (warmup.h), once start-up is over. Best effort: each
 * failure is logged, none is fatal. Returns 0 or the first -errno.
 */
int killer_selfprotect(bool realtime);
