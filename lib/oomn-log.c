/* SPDX-License-Identifier: GPL-2.0-only */
#include "oomn-log.h"

const char *oomn_log_ident;
