/* SPDX-License-Identifier: GPL-2.0-only */
/* Every member of the bus contract (oomn-bus.h), for the test that holds it to the XML. */
#include "oomn-bus.h"
#include "oomn-macro.h"

#define PROPERTY(x)                                                                          \
	{ OOMN_BUS_INTERFACE, OOMN_BUS_PROPERTY, OOMN_BUS_PROP_##x, "", OOMN_BUS_SIG_##x }
#define METHOD(x)                                                                            \
	{ OOMN_BUS_INTERFACE, OOMN_BUS_METHOD, OOMN_BUS_##x, OOMN_BUS_SIG_##x##_IN,             \
	  OOMN_BUS_SIG_##x##_OUT }
#define SIGNAL(x) { OOMN_BUS_INTERFACE, OOMN_BUS_SIGNAL, OOMN_BUS_##x, "", OOMN_BUS_SIG_##x }

const struct oomn_bus_member oomn_bus_members[] = {
	PROPERTY(LEVEL), PROPERTY(SIGNAL_SEQ), PROPERTY(MEM_TOTAL), PROPERTY(MEM_AVAILABLE),
	PROPERTY(SWAP_TOTAL), PROPERTY(SWAP_FREE), PROPERTY(SOURCE), PROPERTY(VERSION),

	METHOD(REGISTER), METHOD(UNREGISTER), METHOD(RELIEVED), METHOD(GET_STATE),
	METHOD(LIST_CLIENTS), METHOD(WATCH_KILLS), METHOD(UNWATCH_KILLS), METHOD(NOTIFY_CANDIDATE),
	METHOD(REPORT_OUTCOME),

	SIGNAL(PRESSURE_CHANGED), SIGNAL(CGROUP_PRESSURE_CHANGED), SIGNAL(KERNEL_OOM_KILL),
	SIGNAL(KILL_PENDING), SIGNAL(KILL_ANNOUNCED), SIGNAL(CANDIDATE_ANSWERED), SIGNAL(KILLED),
	SIGNAL(REDEEMED),

	{ OOMN_LMM_INTERFACE, OOMN_BUS_SIGNAL, OOMN_LMM_LOW_MEMORY_WARNING, "",
	  OOMN_LMM_SIG_LOW_MEMORY_WARNING },
};

const size_t oomn_bus_n_members = ELEMENTSOF(oomn_bus_members);
