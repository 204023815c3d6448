// SPDX-License-Identifier: GPL-2.0
/*
 * The level scale, see oom_notify_level.h. Kernel style, but free of kernel
 * APIs so that user space can compile it unchanged.
 */
#ifdef __KERNEL__
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/limits.h>
#include <linux/math64.h>
#else
#include <errno.h>
#include <stdint.h>
#define div64_u64(a, b) ((a) / (b))
#define U64_MAX UINT64_MAX
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

#include "oom_notify_level.h"

void oom_notify_thresholds_default(struct oom_notify_thresholds *t)
{
	/* Warn at 20 % and act at 10 %, as earlyoom does, with a step between. */
	t->mem[OOM_NOTIFY_LEVEL_NORMAL] = 0;
	t->mem[OOM_NOTIFY_LEVEL_LOW] = 200;
	t->mem[OOM_NOTIFY_LEVEL_MEDIUM] = 150;
	t->mem[OOM_NOTIFY_LEVEL_CRITICAL] = 100;
	t->swap[OOM_NOTIFY_LEVEL_NORMAL] = 0;
	t->swap[OOM_NOTIFY_LEVEL_LOW] = 200;
	t->swap[OOM_NOTIFY_LEVEL_MEDIUM] = 150;
	t->swap[OOM_NOTIFY_LEVEL_CRITICAL] = 100;
	t->hysteresis = 20;
}

void oom_notify_thresholds_merge(struct oom_notify_thresholds *t,
				 const struct oom_notify_thresholds *upd,
				 __u32 present)
{
	static const struct {
		int attr;
		int swap;
		enum oom_notify_level level;
	} map[] = {
		{ OOM_NOTIFY_T_MEM_LOW, 0, OOM_NOTIFY_LEVEL_LOW },
		{ OOM_NOTIFY_T_MEM_MEDIUM, 0, OOM_NOTIFY_LEVEL_MEDIUM },
		{ OOM_NOTIFY_T_MEM_CRITICAL, 0, OOM_NOTIFY_LEVEL_CRITICAL },
		{ OOM_NOTIFY_T_SWAP_LOW, 1, OOM_NOTIFY_LEVEL_LOW },
		{ OOM_NOTIFY_T_SWAP_MEDIUM, 1, OOM_NOTIFY_LEVEL_MEDIUM },
		{ OOM_NOTIFY_T_SWAP_CRITICAL, 1, OOM_NOTIFY_LEVEL_CRITICAL },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(map); i++) {
		enum oom_notify_level l = map[i].level;

		if (!(present & (1U << map[i].attr)))
			continue;
		if (map[i].swap)
			t->swap[l] = upd->swap[l];
		else
			t->mem[l] = upd->mem[l];
	}
	if (present & (1U << OOM_NOTIFY_T_HYSTERESIS))
		t->hysteresis = upd->hysteresis;
}

int oom_notify_thresholds_check(const struct oom_notify_thresholds *t,
				const char **why)
{
	int l;

	for (l = OOM_NOTIFY_LEVEL_LOW; l <= OOM_NOTIFY_LEVEL_MAX; l++) {
		if (t->mem[l] > OOM_NOTIFY_PERMILLE_MAX ||
		    t->swap[l] > OOM_NOTIFY_PERMILLE_MAX) {
			*why = "threshold above 1000 per-mille";
			return -EINVAL;
		}
		if (l > OOM_NOTIFY_LEVEL_LOW && t->mem[l] > t->mem[l - 1]) {
			*why =
			"memory thresholds must not rise with the level (low >= medium >= critical)";
			return -EINVAL;
		}
		if (l > OOM_NOTIFY_LEVEL_LOW && t->swap[l] > t->swap[l - 1]) {
			*why =
			"swap thresholds must not rise with the level (low >= medium >= critical)";
			return -EINVAL;
		}
	}
	if (t->hysteresis > OOM_NOTIFY_HYSTERESIS_MAX) {
		*why = "hysteresis above 200 per-mille";
		return -EINVAL;
	}
	/* Without it a figure hovering at a threshold is an event storm. */
	if (t->hysteresis < OOM_NOTIFY_HYSTERESIS_MIN) {
		*why = "hysteresis below 5 per-mille";
		return -EINVAL;
	}
	return 0;
}

/* a < total * permille / 1000, without rounding */
static int below(__u64 a, __u64 total, __u32 permille)
{
	return a * OOM_NOTIFY_PERMILLE_MAX < total * permille;
}

/* Thrashing: swap absorbs nothing useful, however much of it is free. */
static int reached(const struct oom_notify_thresholds *t,
		   const struct oom_notify_figures *f, int l)
{
	return below(f->mem_available, f->mem_total, t->mem[l]) &&
	       (f->thrashing || below(f->swap_worth, f->mem_total, t->swap[l]));
}

static int released(const struct oom_notify_thresholds *t,
		    const struct oom_notify_figures *f, int l)
{
	return !below(f->mem_available, f->mem_total,
		      t->mem[l] + t->hysteresis) ||
	       (!f->thrashing &&
		!below(f->swap_worth, f->mem_total, t->swap[l] + t->hysteresis));
}

__u64 oom_notify_swap_worth(__u64 swap_free, __u32 cost_permille)
{
	if (cost_permille >= OOM_NOTIFY_PERMILLE_MAX)
		return 0;
	/* free swap is pages or bytes: split to stay clear of overflow */
	return div64_u64(swap_free, OOM_NOTIFY_PERMILLE_MAX) *
	       (OOM_NOTIFY_PERMILLE_MAX - cost_permille) +
	       div64_u64((swap_free % OOM_NOTIFY_PERMILLE_MAX) *
			 (OOM_NOTIFY_PERMILLE_MAX - cost_permille),
			 OOM_NOTIFY_PERMILLE_MAX);
}

__u32 oom_notify_swap_cost(__u64 ram_used, __u64 stored, __u64 min_stored,
			   __u32 fallback)
{
	if (stored < min_stored || !stored)
		return fallback;
	if (ram_used >= stored)
		return OOM_NOTIFY_PERMILLE_MAX;
	/* ram_used < stored: the quotient is below 1000 */
	if (ram_used > U64_MAX / OOM_NOTIFY_PERMILLE_MAX)
		return div64_u64(ram_used, div64_u64(stored,
						     OOM_NOTIFY_PERMILLE_MAX) ?: 1);
	return div64_u64(ram_used * OOM_NOTIFY_PERMILLE_MAX, stored);
}

__u64 oom_notify_swap_free_bound(__u64 worth_bound, __u32 cost_permille)
{
	__u64 keep;

	if (!worth_bound || worth_bound == U64_MAX)
		return worth_bound;
	if (cost_permille >= OOM_NOTIFY_PERMILLE_MAX)
		return U64_MAX;
	if (!cost_permille)
		return worth_bound;
	keep = OOM_NOTIFY_PERMILLE_MAX - cost_permille;
	/* the smallest free with worth(free) >= worth_bound, near enough */
	if (worth_bound > U64_MAX / OOM_NOTIFY_PERMILLE_MAX)
		return U64_MAX;
	return div64_u64(worth_bound * OOM_NOTIFY_PERMILLE_MAX + keep - 1,
			 keep);
}

enum oom_notify_level
oom_notify_level_eval(const struct oom_notify_thresholds *t,
		      const struct oom_notify_figures *f,
		      enum oom_notify_level prev)
{
	int raw = OOM_NOTIFY_LEVEL_NORMAL;
	int l;

	for (l = OOM_NOTIFY_LEVEL_MAX; l > OOM_NOTIFY_LEVEL_NORMAL; l--) {
		if (reached(t, f, l)) {
			raw = l;
			break;
		}
	}
	if (raw >= (int)prev)
		return raw;

	/* Falling: leave each level only once clear of it by the hysteresis. */
	l = prev;
	while (l > raw && released(t, f, l))
		l--;
	return l;
}

/* The smallest x with x * 1000 >= total * permille. */
static __u64 permille_ceil(__u64 total, __u32 permille)
{
	return div64_u64(total * permille + OOM_NOTIFY_PERMILLE_MAX - 1,
			 OOM_NOTIFY_PERMILLE_MAX);
}

void oom_notify_level_bounds(const struct oom_notify_thresholds *t,
			     const struct oom_notify_figures *f,
			     enum oom_notify_level level,
			     __u64 *rise_below, __u64 *fall_at)
{
	int l;

	*rise_below = 0;
	for (l = level + 1; l <= OOM_NOTIFY_LEVEL_MAX; l++) {
		__u64 b = permille_ceil(f->mem_total, t->mem[l]);

		if (f->mem_available >= b) {
			*rise_below = b;
			break;
		}
	}

	*fall_at = U64_MAX;
	if (level > OOM_NOTIFY_LEVEL_NORMAL)
		*fall_at = permille_ceil(f->mem_total,
					 t->mem[level] + t->hysteresis);
}

void oom_notify_swap_bounds(const struct oom_notify_thresholds *t,
			    const struct oom_notify_figures *f,
			    enum oom_notify_level level,
			    __u64 *swap_rise_below, __u64 *swap_fall_at)
{
	int l;

	/*
	 * Every higher level whose memory condition holds waits for swap
	 * alone (were its swap condition met too, the level would be there
	 * already); swap thresholds fall with the level, so the lowest such
	 * level is the nearest.
	 */
	*swap_rise_below = 0;
	for (l = level + 1; l <= OOM_NOTIFY_LEVEL_MAX; l++) {
		if (below(f->mem_available, f->mem_total, t->mem[l]) &&
		    !f->thrashing) {
			*swap_rise_below = permille_ceil(f->mem_total,
							 t->swap[l]);
			break;
		}
	}

	/* while thrashing, swap holds no level: only the end of it releases */
	*swap_fall_at = U64_MAX;
	if (level > OOM_NOTIFY_LEVEL_NORMAL && !f->thrashing)
		*swap_fall_at = permille_ceil(f->mem_total,
					      t->swap[level] + t->hysteresis);
}

const char *oom_notify_level_name(enum oom_notify_level level)
{
	static const char * const names[] = {
		[OOM_NOTIFY_LEVEL_NORMAL] = "normal",
		[OOM_NOTIFY_LEVEL_LOW] = "low",
		[OOM_NOTIFY_LEVEL_MEDIUM] = "medium",
		[OOM_NOTIFY_LEVEL_CRITICAL] = "critical",
	};

	if ((unsigned int)level > OOM_NOTIFY_LEVEL_MAX)
		return "unknown";
	return names[level];
}
