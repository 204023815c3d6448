/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The bus contract's codec: typed append and read for every signal, method
 * argument list and method reply of org.oomnotify.Broker1 (oomn-bus.h), so
 * that no user types a signature by hand.
 *
 * _append() adds the arguments to @m (a message being built; NULL strings go
 * as ""). _read() takes them from @m, which must carry exactly the
 * contract's signature, else -EBADMSG and nothing is read (*ret untouched);
 * otherwise *ret is zeroed and filled, its strings pointing into @m. Both return 0 or a negative errno, never crash on what a
 * peer sent.
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

/* Signals */
int oomn_bus_pressure_append(sd_bus_message *m, const struct oomn_bus_pressure *p);
int oomn_bus_pressure_read(sd_bus_message *m, struct oomn_bus_pressure *ret);
int oomn_bus_cgroup_pressure_append(sd_bus_message *m, const struct oomn_bus_cgroup_pressure *p);
int oomn_bus_cgroup_pressure_read(sd_bus_message *m, struct oomn_bus_cgroup_pressure *ret);
int oomn_bus_oom_kill_append(sd_bus_message *m, const struct oomn_bus_oom_kill *k);
int oomn_bus_oom_kill_read(sd_bus_message *m, struct oomn_bus_oom_kill *ret);
int oomn_bus_kill_pending_append(sd_bus_message *m, const struct oomn_bus_kill_pending *k);
int oomn_bus_kill_pending_read(sd_bus_message *m, struct oomn_bus_kill_pending *ret);
int oomn_bus_kill_announced_append(sd_bus_message *m, const struct oomn_bus_kill_announced *k);
int oomn_bus_kill_announced_read(sd_bus_message *m, struct oomn_bus_kill_announced *ret);
int oomn_bus_candidate_answered_append(sd_bus_message *m, const struct oomn_bus_answer *a);
int oomn_bus_candidate_answered_read(sd_bus_message *m, struct oomn_bus_answer *ret);
int oomn_bus_killed_append(sd_bus_message *m, const struct oomn_bus_outcome *o);
int oomn_bus_killed_read(sd_bus_message *m, struct oomn_bus_outcome *ret);
/* Redeemed: pid, name and reason of @v; the rest of *ret is zeroed */
int oomn_bus_redeemed_append(sd_bus_message *m, const struct oomn_bus_outcome *o);
int oomn_bus_redeemed_read(sd_bus_message *m, struct oomn_bus_outcome *ret);

/* Method arguments */
int oomn_bus_register_append(sd_bus_message *m, uint32_t band, uint32_t flags);
int oomn_bus_register_read(sd_bus_message *m, uint32_t *ret_band, uint32_t *ret_flags);
/* Relieved: freed_bytes and checkpointed of @a (its pid is the caller's, not sent) */
int oomn_bus_relieved_append(sd_bus_message *m, const struct oomn_bus_answer *a);
int oomn_bus_relieved_read(sd_bus_message *m, struct oomn_bus_answer *ret);
int oomn_bus_notify_candidate_append(sd_bus_message *m, const struct oomn_bus_notice *n);
int oomn_bus_notify_candidate_read(sd_bus_message *m, struct oomn_bus_notice *ret);
/* @kind: OOMN_BUS_OUTCOME_KILLED or _REDEEMED */
int oomn_bus_report_outcome_append(sd_bus_message *m, const char *kind,
				   const struct oomn_bus_outcome *o);
int oomn_bus_report_outcome_read(sd_bus_message *m, const char **ret_kind,
				 struct oomn_bus_outcome *ret);

/* Method replies */
int oomn_bus_register_reply_append(sd_bus_message *m, uint64_t id);
int oomn_bus_register_reply_read(sd_bus_message *m, uint64_t *ret_id);
int oomn_bus_state_append(sd_bus_message *m, const struct oomn_bus_state *s);
int oomn_bus_state_read(sd_bus_message *m, struct oomn_bus_state *ret);
int oomn_bus_notify_candidate_reply_append(sd_bus_message *m, uint32_t notified);
int oomn_bus_notify_candidate_reply_read(sd_bus_message *m, uint32_t *ret_notified);
/* ListClients: open, one append per client, close */
int oomn_bus_clients_open(sd_bus_message *m);
int oomn_bus_client_append(sd_bus_message *m, const struct oomn_bus_client *c);
int oomn_bus_clients_close(sd_bus_message *m);
/* The whole reply into a malloc'ed array (NULL when empty) whose strings point into @m. */
int oomn_bus_clients_read(sd_bus_message *m, struct oomn_bus_client **ret, size_t *ret_n);
