// SPDX-License-Identifier: GPL-2.0
/*
 * Built by probe-check.sh, twice: with mark_victim's probe in the shape of
 * the kernel's headers (must build) and in upstream 6.1's (int pid) shape
 * (must not: OOM_NOTIFY_CHECK_PROBE refuses it).
 */
#include <linux/module.h>
#include <trace/events/oom.h>

#include "oom_notify.h"

#ifdef PROBE_SHAPE_WRONG
static void probe_check_victim(void *data, int pid)
{
}
#else
static void probe_check_victim(void *data, struct task_struct *task, uid_t uid)
{
}
#endif

OOM_NOTIFY_CHECK_PROBE(mark_victim, probe_check_victim);

static int __init probe_check_init(void)
{
	return 0;
}
module_init(probe_check_init);
MODULE_LICENSE("GPL");
