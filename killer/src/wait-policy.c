/* SPDX-License-Identifier: GPL-2.0-only */
#include <string.h>

#include "wait-policy.h"

#define USEC_PER_SEC (1000 * UINT64_C(1000))

uint64_t wait_policy_deadline(const WaitClient *clients, size_t n_clients, pid_t candidate,
			      uid_t candidate_uid, const WaitDeadlines *d, WaitReason *ret_reason)
{
	const uint32_t redeems = OOMN_CLIENT_CAN_FREE_MEMORY | OOMN_CLIENT_CAN_CHECKPOINT;
	bool registered = false, helpers = false;
	WaitReason reason;
	uint64_t usec;

	for (size_t i = 0; i < n_clients; i++) {
		if (clients[i].pid == candidate && clients[i].uid != candidate_uid)
			continue; /* the registrant's pid, now another user's process */
		if (clients[i].pid == candidate)
			registered |= (clients[i].flags & redeems) != 0;
		else
			helpers |= (clients[i].flags & OOMN_CLIENT_CAN_FREE_MEMORY) != 0;
	}

	if (d->rule_usec != WAIT_USEC_UNSET) {
		reason = WAIT_RULE;
		usec = d->rule_usec;
	} else if (registered) {
		reason = WAIT_REGISTERED;
		usec = d->full_usec;
	} else if (helpers) {
		/* Never longer than the candidate itself would have had. */
		reason = WAIT_HELPERS;
		usec = wait_cut(d->helper_usec, d->full_usec);
	} else {
		reason = WAIT_NOBODY;
		usec = 0;
	}
	if (ret_reason)
		*ret_reason = reason;
	return usec;
}

const char *wait_reason_to_string(WaitReason r)
{
	static const char *const names[_WAIT_REASON_MAX] = {
		[WAIT_REGISTERED] = "registered",
		[WAIT_HELPERS] = "helpers",
		[WAIT_NOBODY] = "nobody",
		[WAIT_RULE] = "rule",
	};

	return r < _WAIT_REASON_MAX ? names[r] : "?";
}

uint32_t wait_deadline_msec(uint64_t deadline_usec)
{
	uint64_t msec = (deadline_usec + 999) / 1000;

	if (msec == 0)
		msec = 1;
	if (msec > OOMN_BUS_DEADLINE_MAX_MSEC) /* the broker's limit */
		msec = OOMN_BUS_DEADLINE_MAX_MSEC;
	return (uint32_t)msec;
}

void wait_trend_init(WaitTrend *t)
{
	memset(t, 0, sizeof(*t));
}

void wait_trend_add(WaitTrend *t, uint64_t now_usec, uint64_t headroom)
{
	if (t->n > 0) {
		if (now_usec < t->usec[t->newest])
			return; /* out of order: the trend runs forward only */
		if (now_usec == t->usec[t->newest]) {
			t->bytes[t->newest] = headroom;
			return;
		}
		t->newest = (t->newest + 1) % WAIT_TREND_SAMPLES;
	}
	t->usec[t->newest] = now_usec;
	t->bytes[t->newest] = headroom;
	if (t->n < WAIT_TREND_SAMPLES)
		t->n++;
}

uint64_t wait_trend_rate(const WaitTrend *t)
{
	uint64_t now, last, rate = 0;

	if (t->n < 2)
		return 0;
	now = t->usec[t->newest];
	last = t->bytes[t->newest];
	for (size_t k = 1; k < t->n; k++) {
		size_t i = (t->newest + WAIT_TREND_SAMPLES - k) % WAIT_TREND_SAMPLES;
		uint64_t span = now - t->usec[i], fall, r;

		if (span > WAIT_TREND_WINDOW_USEC)
			break; /* older ones are older still */
		if (t->bytes[i] <= last)
			continue;
		fall = t->bytes[i] - last;
		if (span < WAIT_TREND_MIN_SPAN_USEC)
			span = WAIT_TREND_MIN_SPAN_USEC;
		/* bytes/s without overflow: fall < 2^64 / 1e6 for any real memory size */
		r = fall * USEC_PER_SEC / span;
		if (r > rate)
			rate = r;
	}
	return rate;
}

void wait_kill_time_init(WaitKillTime *k)
{
	*k = (WaitKillTime){ .usec = WAIT_KILL_USEC_START };
}

void wait_kill_time_add(WaitKillTime *k, uint64_t measured_usec)
{
	if (measured_usec > WAIT_KILL_USEC_MAX)
		measured_usec =
			WAIT_KILL_USEC_MAX; /* a victim stuck in D state says nothing of the next */
	if (k->n_measured == 0 || measured_usec >= k->usec)
		k->usec = measured_usec; /* the start value was a stand-in; slower is believed at
					    once */
	else
		k->usec -= (k->usec - measured_usec) / 4;
	k->n_measured++;
}

uint64_t wait_time_left(const WaitTrend *t, uint64_t floor_bytes, const WaitKillTime *k)
{
	uint64_t rate, above, left;

	if (floor_bytes == 0 || t->n == 0)
		return WAIT_USEC_INFINITY;
	rate = wait_trend_rate(t);
	if (rate == 0)
		return WAIT_USEC_INFINITY;
	if (t->bytes[t->newest] <= floor_bytes)
		return 0;
	above = t->bytes[t->newest] - floor_bytes;
	/* above * 1e6 overflows past 16 TiB: divide first there */
	if (above < UINT64_MAX / USEC_PER_SEC)
		left = above * USEC_PER_SEC / rate;
	else
		left = above / rate * USEC_PER_SEC;
	return left > k->usec ? left - k->usec : 0;
}
