/* SPDX-License-Identifier: GPL-2.0-only */
#include "notice.h"

bool notice_deadline_valid(uint32_t deadline_msec)
{
	return deadline_msec != 0 && deadline_msec <= OOMN_BUS_DEADLINE_MAX_MSEC;
}

uint64_t notice_deadline_usec(uint64_t now_boot_usec, uint32_t deadline_msec)
{
	return now_boot_usec + (uint64_t)deadline_msec * 1000u;
}

bool notice_is_recipient(const struct oomn_client *c, uint32_t pid)
{
	return c->pid == pid;
}
