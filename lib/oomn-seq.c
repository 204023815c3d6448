/* SPDX-License-Identifier: GPL-2.0-only */
#include "oomn-seq.h"

void oomn_seq_reset(struct oomn_seq *s)
{
	*s = (struct oomn_seq){};
}

void oomn_seq_prime(struct oomn_seq *s, uint64_t last)
{
	s->last = last;
	s->primed = true;
}

enum oomn_seq_verdict oomn_seq_check(const struct oomn_seq *s, uint64_t seq,
				     uint64_t *ret_expected)
{
	if (ret_expected)
		*ret_expected = s->primed ? s->last + 1 : 0;

	if (!s->primed)
		return OOMN_SEQ_FIRST;
	if (seq <= s->last)
		return OOMN_SEQ_STALE;
	if (seq == s->last + 1)
		return OOMN_SEQ_NEXT;
	return OOMN_SEQ_GAP;
}

void oomn_seq_advance(struct oomn_seq *s, uint64_t seq)
{
	if (s->primed && seq <= s->last)
		return;
	oomn_seq_prime(s, seq);
}

const char *oomn_seq_verdict_to_string(enum oomn_seq_verdict v)
{
	switch (v) {
	case OOMN_SEQ_FIRST:
		return "first";
	case OOMN_SEQ_NEXT:
		return "next";
	case OOMN_SEQ_GAP:
		return "gap";
	case OOMN_SEQ_STALE:
		return "stale";
	}
	return "unknown";
}
