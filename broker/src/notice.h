/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A KillPending notice, as the broker relays the killer's NotifyCandidate:
 * which deadlines it takes, the deadline as an absolute time, and who gets
 * the notice. Pure: the caller passes the time (CLOCK_BOOTTIME); unit tested
 * with a registry in memory.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "registry.h"

/* Whether NotifyCandidate's @deadline_msec is one the broker takes: 1..OOMN_BUS_DEADLINE_MAX_MSEC.
 */
bool notice_deadline_valid(uint32_t deadline_msec);

/* The deadline, relative in the call, as the CLOCK_BOOTTIME time it ends at
 * (KillPending's deadline_boottime_usec): @now_boot_usec plus @deadline_msec. */
uint64_t notice_deadline_usec(uint64_t now_boot_usec, uint32_t deadline_msec);

/*
 * Whether @c gets the KillPending for candidate @pid: every connection the
 * candidate's own process registered, and nobody else (the same entries
 * oomn_registry_mark_notice() marks).
 */
bool notice_is_recipient(const struct oomn_client *c, uint32_t pid);
