/* SPDX-License-Identifier: GPL-2.0-only */
/* The bus contract's codec (oomn-bus-codec.h): every signature comes from oomn-bus.h. */
#include <errno.h>
#include <stdlib.h>

#include "oomn-bus-codec.h"
#include "oomn-macro.h"

int oomn_bus_new_signal(sd_bus *bus, sd_bus_message **ret, const char *member,
			const char *destination)
{
	sd_bus_message *m = NULL;
	int r;

	r = sd_bus_message_new_signal(bus, &m, OOMN_BUS_PATH, OOMN_BUS_INTERFACE, member);
	if (r >= 0 && destination)
		r = sd_bus_message_set_destination(m, destination);
	if (r < 0) {
		sd_bus_message_unref(m);
		return r;
	}
	*ret = m;
	return 0;
}

int oomn_bus_new_call(sd_bus *bus, sd_bus_message **ret, const char *destination,
		      const char *member)
{
	return sd_bus_message_new_method_call(bus, ret, destination ? destination : OOMN_BUS_NAME,
					      OOMN_BUS_PATH, OOMN_BUS_INTERFACE, member);
}

int oomn_bus_check_signature(sd_bus_message *m, const char *signature)
{
	if (!m)
		return -EINVAL;
	/* anything else than the contract's signature is refused whole */
	return sd_bus_message_has_signature(m, signature) > 0 ? 0 : -EBADMSG;
}

/* sd_bus_message_read()'s 0 (no more arguments) is an error here. */
static int read_result(int r)
{
	return r < 0 ? r : r == 0 ? -EBADMSG : 0;
}

static int append_result(int r)
{
	return r < 0 ? r : 0;
}

int oomn_bus_pressure_append(sd_bus_message *m, const struct oomn_bus_pressure *p)
{
	return append_result(sd_bus_message_append(m, OOMN_BUS_SIG_PRESSURE_CHANGED, p->level,
						   p->prev_level, p->seq, p->mem_available,
						   p->mem_total, p->swap_free, p->swap_total,
						   p->source, p->timestamp_ns));
}

int oomn_bus_pressure_read(sd_bus_message *m, struct oomn_bus_pressure *ret)
{
	struct oomn_bus_pressure p = {};
	int r;

	r = oomn_bus_check_signature(m, OOMN_BUS_SIG_PRESSURE_CHANGED);
	if (r < 0)
		return r;
	r = read_result(sd_bus_message_read(m, OOMN_BUS_SIG_PRESSURE_CHANGED, &p.level,
					    &p.prev_level, &p.seq, &p.mem_available, &p.mem_total,
					    &p.swap_free, &p.swap_total, &p.source,
					    &p.timestamp_ns));
	if (r < 0)
		return r;
	*ret = p;
	return 0;
}

int oomn_bus_cgroup_pressure_append(sd_bus_message *m, const struct oomn_bus_cgroup_pressure *p)
{
	return append_result(sd_bus_message_append(m, OOMN_BUS_SIG_CGROUP_PRESSURE_CHANGED,
						   p->cgroup, p->level, p->prev_level,
						   p->timestamp_ns));
}

int oomn_bus_cgroup_pressure_read(sd_bus_message *m, struct oomn_bus_cgroup_pressure *ret)
{
	struct oomn_bus_cgroup_pressure p = {};
	int r;

	r = oomn_bus_check_signature(m, OOMN_BUS_SIG_CGROUP_PRESSURE_CHANGED);
	if (r < 0)
		return r;
	r = read_result(sd_bus_message_read(m, OOMN_BUS_SIG_CGROUP_PRESSURE_CHANGED, &p.cgroup,
					    &p.level, &p.prev_level, &p.timestamp_ns));
	if (r < 0)
		return r;
	*ret = p;
	return 0;
}

int oomn_bus_oom_kill_append(sd_bus_message *m, const struct oomn_bus_oom_kill *k)
{
	return append_result(sd_bus_message_append(m, OOMN_BUS_SIG_KERNEL_OOM_KILL, k->pid,
						   k->comm, k->uid, k->cgroup, k->anon_rss,
						   k->oom_seq));
}

int oomn_bus_oom_kill_read(sd_bus_message *m, struct oomn_bus_oom_kill *ret)
{
	struct oomn_bus_oom_kill k = {};
	int r;

	r = oomn_bus_check_signature(m, OOMN_BUS_SIG_KERNEL_OOM_KILL);
	if (r < 0)
		return r;
	r = read_result(sd_bus_message_read(m, OOMN_BUS_SIG_KERNEL_OOM_KILL, &k.pid, &k.comm,
					    &k.uid, &k.cgroup, &k.anon_rss, &k.oom_seq));
	if (r < 0)
		return r;
	*ret = k;
	return 0;
}

int oomn_bus_kill_pending_append(sd_bus_message *m, const struct oomn_bus_kill_pending *k)
{
	return append_result(sd_bus_message_append(m, OOMN_BUS_SIG_KILL_PENDING, k->pid,
						   k->deadline_msec, k->deadline_boottime_usec,
						   k->reason));
}

int oomn_bus_kill_pending_read(sd_bus_message *m, struct oomn_bus_kill_pending *ret)
{
	struct oomn_bus_kill_pending k = {};
	int r;

	r = oomn_bus_check_signature(m, OOMN_BUS_SIG_KILL_PENDING);
	if (r < 0)
		return r;
	r = read_result(sd_bus_message_read(m, OOMN_BUS_SIG_KILL_PENDING, &k.pid,
					    &k.deadline_msec, &k.deadline_boottime_usec,
					    &k.reason));
	if (r < 0)
		return r;
	*ret = k;
	return 0;
}

int oomn_bus_kill_announced_append(sd_bus_message *m, const struct oomn_bus_kill_announced *k)
{
	return append_result(sd_bus_message_append(m, OOMN_BUS_SIG_KILL_ANNOUNCED, k->pid,
						   k->name, k->deadline_msec,
						   k->deadline_boottime_usec, k->reason));
}

int oomn_bus_kill_announced_read(sd_bus_message *m, struct oomn_bus_kill_announced *ret)
{
	struct oomn_bus_kill_announced k = {};
	int r;

	r = oomn_bus_check_signature(m, OOMN_BUS_SIG_KILL_ANNOUNCED);
	if (r < 0)
		return r;
	r = read_result(sd_bus_message_read(m, OOMN_BUS_SIG_KILL_ANNOUNCED, &k.pid, &k.name,
					    &k.deadline_msec, &k.deadline_boottime_usec,
					    &k.reason));
	if (r < 0)
		return r;
	*ret = k;
	return 0;
}

int oomn_bus_candidate_answered_append(sd_bus_message *m, const struct oomn_bus_answer *a)
{
	return append_result(sd_bus_message_append(m, OOMN_BUS_SIG_CANDIDATE_ANSWERED, a->pid,
						   a->freed_bytes, (int)a->checkpointed));
}

int oomn_bus_candidate_answered_read(sd_bus_message *m, struct oomn_bus_answer *ret)
{
	struct oomn_bus_answer a = {};
	int checkpointed = 0, r;

	r = oomn_bus_check_signature(m, OOMN_BUS_SIG_CANDIDATE_ANSWERED);
	if (r < 0)
		return r;
	r = read_result(sd_bus_message_read(m, OOMN_BUS_SIG_CANDIDATE_ANSWERED, &a.pid,
					    &a.freed_bytes, &checkpointed));
	if (r < 0)
		return r;
	a.checkpointed = checkpointed;
	*ret = a;
	return 0;
}

int oomn_bus_killed_append(sd_bus_message *m, const struct oomn_bus_outcome *o)
{
	return append_result(sd_bus_message_append(m, OOMN_BUS_SIG_KILLED, o->pid, o->name,
						   o->uid, o->cgroup, o->rule, o->freed,
						   o->reason));
}

int oomn_bus_killed_read(sd_bus_message *m, struct oomn_bus_outcome *ret)
{
	struct oomn_bus_outcome o = {};
	int r;

	r = oomn_bus_check_signature(m, OOMN_BUS_SIG_KILLED);
	if (r < 0)
		return r;
	r = read_result(sd_bus_message_read(m, OOMN_BUS_SIG_KILLED, &o.pid, &o.name, &o.uid,
					    &o.cgroup, &o.rule, &o.freed, &o.reason));
	if (r < 0)
		return r;
	*ret = o;
	return 0;
}

int oomn_bus_redeemed_append(sd_bus_message *m, const struct oomn_bus_outcome *o)
{
	return append_result(sd_bus_message_append(m, OOMN_BUS_SIG_REDEEMED, o->pid, o->name,
						   o->reason));
}

int oomn_bus_redeemed_read(sd_bus_message *m, struct oomn_bus_outcome *ret)
{
	struct oomn_bus_outcome o = {};
	int r;

	r = oomn_bus_check_signature(m, OOMN_BUS_SIG_REDEEMED);
	if (r < 0)
		return r;
	r = read_result(sd_bus_message_read(m, OOMN_BUS_SIG_REDEEMED, &o.pid, &o.name,
					    &o.reason));
	if (r < 0)
		return r;
	*ret = o;
	return 0;
}

int oomn_bus_register_append(sd_bus_message *m, uint32_t band, uint32_t flags)
{
	return append_result(sd_bus_message_append(m, OOMN_BUS_SIG_REGISTER_IN, band, flags));
}

int oomn_bus_register_read(sd_bus_message *m, uint32_t *ret_band, uint32_t *ret_flags)
{
	uint32_t band, flags;
	int r;

	r = oomn_bus_check_signature(m, OOMN_BUS_SIG_REGISTER_IN);
	if (r < 0)
		return r;
	r = read_result(sd_bus_message_read(m, OOMN_BUS_SIG_REGISTER_IN, &band, &flags));
	if (r < 0)
		return r;
	*ret_band = band;
	*ret_flags = flags;
	return 0;
}

int oomn_bus_relieved_append(sd_bus_message *m, const struct oomn_bus_answer *a)
{
	return append_result(sd_bus_message_append(m, OOMN_BUS_SIG_RELIEVED_IN, a->freed_bytes,
						   (int)a->checkpointed));
}

int oomn_bus_relieved_read(sd_bus_message *m, struct oomn_bus_answer *ret)
{
	struct oomn_bus_answer a = {};
	int checkpointed = 0, r;

	r = oomn_bus_check_signature(m, OOMN_BUS_SIG_RELIEVED_IN);
	if (r < 0)
		return r;
	r = read_result(sd_bus_message_read(m, OOMN_BUS_SIG_RELIEVED_IN, &a.freed_bytes,
					    &checkpointed));
	if (r < 0)
		return r;
	a.checkpointed = checkpointed;
	*ret = a;
	return 0;
}

int oomn_bus_notify_candidate_append(sd_bus_message *m, const struct oomn_bus_notice *n)
{
	return append_result(sd_bus_message_append(m, OOMN_BUS_SIG_NOTIFY_CANDIDATE_IN, n->pid,
						   n->deadline_msec, n->reason));
}

int oomn_bus_notify_candidate_read(sd_bus_message *m, struct oomn_bus_notice *ret)
{
	struct oomn_bus_notice n = {};
	int r;

	r = oomn_bus_check_signature(m, OOMN_BUS_SIG_NOTIFY_CANDIDATE_IN);
	if (r < 0)
		return r;
	r = read_result(sd_bus_message_read(m, OOMN_BUS_SIG_NOTIFY_CANDIDATE_IN, &n.pid,
					    &n.deadline_msec, &n.reason));
	if (r < 0)
		return r;
	*ret = n;
	return 0;
}

int oomn_bus_report_outcome_append(sd_bus_message *m, const char *kind,
				   const struct oomn_bus_outcome *o)
{
	return append_result(sd_bus_message_append(m, OOMN_BUS_SIG_REPORT_OUTCOME_IN, kind,
						   o->pid, o->name, o->uid, o->cgroup, o->rule,
						   o->freed, o->reason));
}

int oomn_bus_report_outcome_read(sd_bus_message *m, const char **ret_kind,
				 struct oomn_bus_outcome *ret)
{
	struct oomn_bus_outcome o = {};
	const char *kind;
	int r;

	r = oomn_bus_check_signature(m, OOMN_BUS_SIG_REPORT_OUTCOME_IN);
	if (r < 0)
		return r;
	r = read_result(sd_bus_message_read(m, OOMN_BUS_SIG_REPORT_OUTCOME_IN, &kind, &o.pid,
					    &o.name, &o.uid, &o.cgroup, &o.rule, &o.freed,
					    &o.reason));
	if (r < 0)
		return r;
	*ret_kind = kind;
	*ret = o;
	return 0;
}

int oomn_bus_register_reply_append(sd_bus_message *m, uint64_t id)
{
	return append_result(sd_bus_message_append(m, OOMN_BUS_SIG_REGISTER_OUT, id));
}

int oomn_bus_register_reply_read(sd_bus_message *m, uint64_t *ret_id)
{
	uint64_t id;
	int r;

	r = oomn_bus_check_signature(m, OOMN_BUS_SIG_REGISTER_OUT);
	if (r < 0)
		return r;
	r = read_result(sd_bus_message_read(m, OOMN_BUS_SIG_REGISTER_OUT, &id));
	if (r < 0)
		return r;
	*ret_id = id;
	return 0;
}

int oomn_bus_state_append(sd_bus_message *m, const struct oomn_bus_state *s)
{
	return append_result(sd_bus_message_append(m, OOMN_BUS_SIG_GET_STATE_OUT, s->level,
						   s->sequence, s->mem_total, s->mem_available,
						   s->swap_total, s->swap_free, s->source,
						   s->timestamp_ns));
}

int oomn_bus_state_read(sd_bus_message *m, struct oomn_bus_state *ret)
{
	struct oomn_bus_state s = {};
	int r;

	r = oomn_bus_check_signature(m, OOMN_BUS_SIG_GET_STATE_OUT);
	if (r < 0)
		return r;
	r = read_result(sd_bus_message_read(m, OOMN_BUS_SIG_GET_STATE_OUT, &s.level, &s.sequence,
					    &s.mem_total, &s.mem_available, &s.swap_total,
					    &s.swap_free, &s.source, &s.timestamp_ns));
	if (r < 0)
		return r;
	*ret = s;
	return 0;
}

int oomn_bus_notify_candidate_reply_append(sd_bus_message *m, uint32_t notified)
{
	return append_result(sd_bus_message_append(m, OOMN_BUS_SIG_NOTIFY_CANDIDATE_OUT,
						   notified));
}

int oomn_bus_notify_candidate_reply_read(sd_bus_message *m, uint32_t *ret_notified)
{
	uint32_t n;
	int r;

	r = oomn_bus_check_signature(m, OOMN_BUS_SIG_NOTIFY_CANDIDATE_OUT);
	if (r < 0)
		return r;
	r = read_result(sd_bus_message_read(m, OOMN_BUS_SIG_NOTIFY_CANDIDATE_OUT, &n));
	if (r < 0)
		return r;
	*ret_notified = n;
	return 0;
}

int oomn_bus_clients_open(sd_bus_message *m)
{
	/* the array's element: the signature without its leading 'a' */
	return append_result(
		sd_bus_message_open_container(m, 'a', OOMN_BUS_SIG_LIST_CLIENTS_OUT + 1));
}

int oomn_bus_client_append(sd_bus_message *m, const struct oomn_bus_client *c)
{
	return append_result(sd_bus_message_append(m, OOMN_BUS_SIG_CLIENT, c->id, c->pid, c->uid,
						   c->bus_name, c->comm, c->band, c->flags));
}

int oomn_bus_clients_close(sd_bus_message *m)
{
	return append_result(sd_bus_message_close_container(m));
}

int oomn_bus_clients_read(sd_bus_message *m, struct oomn_bus_client **ret, size_t *ret_n)
{
	_cleanup_free_ struct oomn_bus_client *clients = NULL;
	size_t n = 0, size = 0;
	int r;

	r = oomn_bus_check_signature(m, OOMN_BUS_SIG_LIST_CLIENTS_OUT);
	if (r < 0)
		return r;
	r = sd_bus_message_enter_container(m, 'a', OOMN_BUS_SIG_LIST_CLIENTS_OUT + 1);
	if (r < 0)
		return r;
	if (r == 0)
		return -EBADMSG;
	for (;;) {
		struct oomn_bus_client c;

		r = sd_bus_message_read(m, OOMN_BUS_SIG_CLIENT, &c.id, &c.pid, &c.uid, &c.bus_name,
					&c.comm, &c.band, &c.flags);
		if (r < 0)
			return r;
		if (r == 0)
			break;
		if (n == size) {
			size_t more = size ? size * 2 : 16;
			struct oomn_bus_client *p = reallocarray(clients, more, sizeof(*p));

			if (!p)
				return -ENOMEM;
			clients = p;
			size = more;
		}
		clients[n++] = c;
	}
	r = sd_bus_message_exit_container(m);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(clients);
	*ret_n = n;
	return 0;
}
