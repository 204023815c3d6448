/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Sequence tracking for one multicast group: every oom_notify event carries
 * a sequence number (from 1), so a subscriber can tell a lost event from a
 * stale one. Pure bookkeeping, no I/O.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct oomn_seq {
	uint64_t last; /* last sequence number seen or read with GET_STATE */
	bool primed;   /* false: the next event is taken as it comes */
};

enum oomn_seq_verdict {
	OOMN_SEQ_FIRST, /* not primed: accept, nothing to compare with */
	OOMN_SEQ_NEXT,  /* last + 1 */
	OOMN_SEQ_GAP,   /* beyond last + 1: events were lost */
	OOMN_SEQ_STALE, /* at or before last: the state already reflects it */
};

/* Forget everything, e.g. when the module went away (it restarts at 1). */
void oomn_seq_reset(struct oomn_seq *s);

/* Take @last as the newest known, e.g. the PRESSURE_SEQ of a GET_STATE reply (0 when
 * no event has been sent yet). */
void oomn_seq_prime(struct oomn_seq *s, uint64_t last);

/* Classifies @seq without changing @s; *ret_expected (optional) gets the
 * number that was due (0 when not primed). */
enum oomn_seq_verdict oomn_seq_check(const struct oomn_seq *s, uint64_t seq,
				     uint64_t *ret_expected);

/* Records @seq as delivered, unless it is not newer than the last one. */
void oomn_seq_advance(struct oomn_seq *s, uint64_t seq);

const char *oomn_seq_verdict_to_string(enum oomn_seq_verdict v);
