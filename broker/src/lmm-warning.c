/* SPDX-License-Identifier: GPL-2.0-only */
#include "lmm-warning.h"

uint8_t lmm_level_byte(enum oom_notify_level level)
{
	switch (level) {
	case OOM_NOTIFY_LEVEL_LOW:
		return 50;
	case OOM_NOTIFY_LEVEL_MEDIUM:
		return 100;
	case OOM_NOTIFY_LEVEL_CRITICAL:
		return 255;
	default:
		return 0;
	}
}

uint8_t lmm_warning_due(const LmmWarnings *w, enum oom_notify_level level, uint64_t now_usec)
{
	uint8_t byte = lmm_level_byte(level);

	if (byte == 0)
		return 0;
	if (w->last_usec[level] != 0 && now_usec - w->last_usec[level] < LMM_RECOVERY_USEC)
		return 0;
	return byte;
}

void lmm_warning_sent(LmmWarnings *w, enum oom_notify_level level, uint64_t now_usec)
{
	if (lmm_level_byte(level) != 0)
		w->last_usec[level] = now_usec;
}
