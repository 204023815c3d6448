/* SPDX-License-Identifier: GPL-2.0-only */
/* The bus contract's codec (oomn-bus-codec.h): every signature comes from oomn-bus.h. */
#include <errno.h>
#include <stdarg.h>
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

/*
 * Appends, or reads (after oomn_bus_check_signature()), the arguments of
 * @signature; reading them all: sd_bus_message_readv()'s 0 (no more
 * arguments) is an error here.
 */
static int codec_args(sd_bus_message *m, bool reading, const char *signature, ...)
{
	va_list ap;
	int r;

	va_start(ap, signature);
	r = reading ? sd_bus_message_readv(m, signature, ap)
		    : sd_bus_message_appendv(m, signature, ap);
	va_end(ap);
	return r < 0 ? r : reading && r == 0 ? -EBADMSG : 0;
}
#define append_args(m, ...) codec_args(m, false, __VA_ARGS__)
#define read_args(m, ...) codec_args(m, true, __VA_ARGS__)

/*
 * Each struct's fields in the order of its signature: _append() and _read()
 * are made from these lists, so the two cannot disagree.
 */
#define PRESSURE_FIELDS(X)                                                                        \
	X(level) X(prev_level) X(signal_seq) X(mem_total) X(mem_available) X(swap_total)           \
	X(swap_free) X(source) X(timestamp_ns)
#define STATE_FIELDS(X)                                                                           \
	X(level) X(signal_seq) X(mem_total) X(mem_available) X(swap_total) X(swap_free) X(source)    \
	X(timestamp_ns)
#define CGROUP_PRESSURE_FIELDS(X) X(cgroup) X(level) X(prev_level) X(timestamp_ns)
#define OOM_KILL_FIELDS(X) X(pid) X(comm) X(uid) X(cgroup) X(anon_rss) X(oom_seq)
#define KILL_PENDING_FIELDS(X) X(pid) X(deadline_msec) X(deadline_boottime_usec) X(reason)
#define KILL_ANNOUNCED_FIELDS(X)                                                                  \
	X(pid) X(comm) X(deadline_msec) X(deadline_boottime_usec) X(reason)
#define ANSWER_FIELDS(X) X(pid) X(freed) X(checkpointed)
#define RELIEVED_FIELDS(X) X(freed) X(checkpointed)
#define KILLED_FIELDS(X) X(pid) X(comm) X(uid) X(cgroup) X(rule) X(freed) X(reason)
#define REDEEMED_FIELDS(X) X(pid) X(comm) X(reason)
#define NOTICE_FIELDS(X) X(pid) X(deadline_msec) X(reason)

#define VALUE(f) , v->f
#define REF(f) , &ret->f

/* oomn_bus_NAME_append() and oomn_bus_NAME_read() of struct TYPE with signature SIG */
#define DEFINE_CODEC(name, type, sig, FIELDS)                                                     \
	int oomn_bus_##name##_append(sd_bus_message *m, const struct type *v)                     \
	{                                                                                          \
		return append_args(m, sig FIELDS(VALUE));                                          \
	}                                                                                          \
	int oomn_bus_##name##_read(sd_bus_message *m, struct type *ret)                           \
	{                                                                                          \
		int r = oomn_bus_check_signature(m, sig);                                          \
                                                                                                   \
		if (r < 0)                                                                         \
			return r;                                                                  \
		*ret = (struct type){};                                                            \
		return read_args(m, sig FIELDS(REF));                                              \
	}

DEFINE_CODEC(pressure, oomn_bus_pressure, OOMN_BUS_SIG_PRESSURE_CHANGED, PRESSURE_FIELDS)
DEFINE_CODEC(state, oomn_bus_state, OOMN_BUS_SIG_GET_STATE_OUT, STATE_FIELDS)
DEFINE_CODEC(cgroup_pressure, oomn_bus_cgroup_pressure, OOMN_BUS_SIG_CGROUP_PRESSURE_CHANGED,
	     CGROUP_PRESSURE_FIELDS)
DEFINE_CODEC(oom_kill, oomn_bus_oom_kill, OOMN_BUS_SIG_KERNEL_OOM_KILL, OOM_KILL_FIELDS)
DEFINE_CODEC(kill_pending, oomn_bus_kill_pending, OOMN_BUS_SIG_KILL_PENDING, KILL_PENDING_FIELDS)
DEFINE_CODEC(kill_announced, oomn_bus_kill_announced, OOMN_BUS_SIG_KILL_ANNOUNCED,
	     KILL_ANNOUNCED_FIELDS)
DEFINE_CODEC(candidate_answered, oomn_bus_answer, OOMN_BUS_SIG_CANDIDATE_ANSWERED, ANSWER_FIELDS)
DEFINE_CODEC(relieved, oomn_bus_answer, OOMN_BUS_SIG_RELIEVED_IN, RELIEVED_FIELDS)
DEFINE_CODEC(killed, oomn_bus_outcome, OOMN_BUS_SIG_KILLED, KILLED_FIELDS)
DEFINE_CODEC(redeemed, oomn_bus_outcome, OOMN_BUS_SIG_REDEEMED, REDEEMED_FIELDS)
DEFINE_CODEC(notify_candidate, oomn_bus_notice, OOMN_BUS_SIG_NOTIFY_CANDIDATE_IN, NOTICE_FIELDS)

int oomn_bus_report_outcome_append(sd_bus_message *m, const char *kind,
				   const struct oomn_bus_outcome *v)
{
	return append_args(m, OOMN_BUS_SIG_REPORT_OUTCOME_IN, kind KILLED_FIELDS(VALUE));
}

int oomn_bus_report_outcome_read(sd_bus_message *m, const char **ret_kind,
				 struct oomn_bus_outcome *ret)
{
	int r = oomn_bus_check_signature(m, OOMN_BUS_SIG_REPORT_OUTCOME_IN);

	if (r < 0)
		return r;
	*ret = (struct oomn_bus_outcome){};
	return read_args(m, OOMN_BUS_SIG_REPORT_OUTCOME_IN, ret_kind KILLED_FIELDS(REF));
}

int oomn_bus_register_append(sd_bus_message *m, uint32_t band, uint32_t flags)
{
	return append_args(m, OOMN_BUS_SIG_REGISTER_IN, band, flags);
}

int oomn_bus_register_read(sd_bus_message *m, uint32_t *ret_band, uint32_t *ret_flags)
{
	int r = oomn_bus_check_signature(m, OOMN_BUS_SIG_REGISTER_IN);

	return r < 0 ? r : read_args(m, OOMN_BUS_SIG_REGISTER_IN, ret_band, ret_flags);
}

int oomn_bus_register_reply_append(sd_bus_message *m, uint64_t id)
{
	return append_args(m, OOMN_BUS_SIG_REGISTER_OUT, id);
}

int oomn_bus_register_reply_read(sd_bus_message *m, uint64_t *ret_id)
{
	int r = oomn_bus_check_signature(m, OOMN_BUS_SIG_REGISTER_OUT);

	return r < 0 ? r : read_args(m, OOMN_BUS_SIG_REGISTER_OUT, ret_id);
}

int oomn_bus_notify_candidate_reply_append(sd_bus_message *m, uint32_t notified)
{
	return append_args(m, OOMN_BUS_SIG_NOTIFY_CANDIDATE_OUT, notified);
}

int oomn_bus_notify_candidate_reply_read(sd_bus_message *m, uint32_t *ret_notified)
{
	int r = oomn_bus_check_signature(m, OOMN_BUS_SIG_NOTIFY_CANDIDATE_OUT);

	return r < 0 ? r : read_args(m, OOMN_BUS_SIG_NOTIFY_CANDIDATE_OUT, ret_notified);
}

int oomn_bus_clients_open(sd_bus_message *m)
{
	/* the array's element: the signature without its leading 'a' */
	int r = sd_bus_message_open_container(m, 'a', OOMN_BUS_SIG_LIST_CLIENTS_OUT + 1);

	return r < 0 ? r : 0;
}

int oomn_bus_client_append(sd_bus_message *m, const struct oomn_bus_client *c)
{
	return append_args(m, OOMN_BUS_SIG_CLIENT, c->id, c->pid, c->uid, c->bus_name, c->comm,
			   c->band, c->flags);
}

int oomn_bus_clients_close(sd_bus_message *m)
{
	int r = sd_bus_message_close_container(m);

	return r < 0 ? r : 0;
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
