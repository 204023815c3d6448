/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Small and still resident: at the end of start-up the killer drops the
 * pages it needed only to start, walks its kill path once without killing
 * anyone, and locks what is then resident, on fault from there on.
 */
#pragma once

#include <stdbool.h>

#include "killer.h"
#include "oomn-selfprotect.h"

/*
 * After killer_new(), before killer_run(): oomn_selfprotect_settle() with the
 * kill path as its walk. Drops the clean file pages of start-up and maps all
 * of our own program (oomn_resident_trim()), walks what the kill path calls in
 * the libraries (a refresh and a choice, the pidfd calls on ourselves, the log
 * and kill-line formatting, the bus notices built and not sent, the timer
 * calls, a meminfo and level re-read), trims the heap, then with @sp->mlock
 * calls mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT). Best effort: each
 * failure is logged.
 */
void killer_warmup(Killer *k, const struct oomn_selfprotect_config *sp);
