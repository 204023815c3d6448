/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The bus contract's codec: typed append and read for every signal, method
 * argument list and method reply of org.oomnotify.Broker1 (oomn-bus.h), so
 * that no user types a signature by hand.
 *
 * _append() adds the arguments to @m (a message being built; NULL strings go
 * as ""). _read() takes them from @m, which must carry exactly the
 * contract's signature, else -EBADMSG and nothing is read (*ret untouched);
 * otherwise *ret is zeroed and filled, its strings pointing into @m. Both
 * return 0 or a negative errno, and never crash on what a peer sent.
 */
#pragma once

#include <systemd/sd-bus.h>

#include "oomn-bus.h"

/* A signal of the broker's (@destination NULL: a broadcast). */
int oomn_bus_new_signal(sd_bus *bus, sd_bus_message **ret, const char *member,
			const char *destination);
/* A method call to the broker at @destination (NULL: its well-known name). */
int oomn_bus_new_call(sd_bus *bus, sd_bus_message **ret, const char *destination,
		      const char *member);
/* Whether @m has exactly @signature. */
int oomn_bus_check_signature(sd_bus_message *m, const char *signature);

/*
 * oomn_bus_NAME_append(m, const struct TYPE *v) and oomn_bus_NAME_read(m,
 * struct TYPE *ret), for each NAME and TYPE below (lib/oomn-bus-codec.c
 * makes both from one list of TYPE's fields).
 */
#define OOMN_BUS_DECLARE_CODEC(name, type)                                                   \
	int oomn_bus_##name##_append(sd_bus_message *m, const struct type *v);                 \
	int oomn_bus_##name##_read(sd_bus_message *m, struct type *ret)

/* Signals: PressureChanged, CgroupPressureChanged, KernelOomKill, KillPending,
 * KillAnnounced, CandidateAnswered, Killed, Redeemed (its pid, comm and reason
 * only, the rest of *ret zeroed) */
OOMN_BUS_DECLARE_CODEC(pressure, oomn_bus_pressure);
OOMN_BUS_DECLARE_CODEC(cgroup_pressure, oomn_bus_cgroup_pressure);
OOMN_BUS_DECLARE_CODEC(oom_kill, oomn_bus_oom_kill);
OOMN_BUS_DECLARE_CODEC(kill_pending, oomn_bus_kill_pending);
OOMN_BUS_DECLARE_CODEC(kill_announced, oomn_bus_kill_announced);
OOMN_BUS_DECLARE_CODEC(candidate_answered, oomn_bus_answer);
OOMN_BUS_DECLARE_CODEC(killed, oomn_bus_outcome);
OOMN_BUS_DECLARE_CODEC(redeemed, oomn_bus_outcome);

/* Method arguments: Relieved's freed and checkpointed (the pid is the
 * caller's, not sent), NotifyCandidate's */
OOMN_BUS_DECLARE_CODEC(relieved, oomn_bus_answer);
OOMN_BUS_DECLARE_CODEC(notify_candidate, oomn_bus_notice);
int oomn_bus_register_append(sd_bus_message *m, uint32_t band, uint32_t flags);
int oomn_bus_register_read(sd_bus_message *m, uint32_t *ret_band, uint32_t *ret_flags);
/* @kind: OOMN_BUS_OUTCOME_KILLED or _REDEEMED */
int oomn_bus_report_outcome_append(sd_bus_message *m, const char *kind,
				   const struct oomn_bus_outcome *o);
int oomn_bus_report_outcome_read(sd_bus_message *m, const char **ret_kind,
				 struct oomn_bus_outcome *ret);

/* Method replies: GetState's, Register's, NotifyCandidate's, ListClients' */
OOMN_BUS_DECLARE_CODEC(state, oomn_bus_state);
int oomn_bus_register_reply_append(sd_bus_message *m, uint64_t id);
int oomn_bus_register_reply_read(sd_bus_message *m, uint64_t *ret_id);
int oomn_bus_notify_candidate_reply_append(sd_bus_message *m, uint32_t notified);
int oomn_bus_notify_candidate_reply_read(sd_bus_message *m, uint32_t *ret_notified);
/* ListClients: open, one append per client, close */
int oomn_bus_clients_open(sd_bus_message *m);
int oomn_bus_client_append(sd_bus_message *m, const struct oomn_bus_client *c);
int oomn_bus_clients_close(sd_bus_message *m);
/* The whole reply into a malloc'ed array (NULL when empty) whose strings point into @m. */
int oomn_bus_clients_read(sd_bus_message *m, struct oomn_bus_client **ret, size_t *ret_n);
