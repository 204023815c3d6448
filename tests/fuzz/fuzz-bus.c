/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What peers send the daemons and clients on the bus, read by the contract's
 * codec (lib/oomn-bus-codec.c): a message of any signature made of basic
 * types and ListClients' array, with any values, is read by every read
 * function; each fails with a negative errno unless the message has exactly
 * its signature, and never crashes. Each input is a program: one byte the
 * number of arguments (or, below 64, one of the contract's signatures), then
 * per argument a type byte and its value.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz.h"
#include "oomn-bus-codec.h"

/* a contract signature (index 3, 9, 17 of oomn_bus_members' outs), then values */
static const uint8_t seed1[] = { 17, 'a', 'b', 'c', 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
static const uint8_t seed2[] = { 12, 2, 0, 1, 2, 3, 4, 5, 6, 7, 8, 'x', 'y' };
static const uint8_t seed3[] = { 64 + 3, 'u', 1, 's', 4, 'n', 'a', 'm', 'e', 'C', 2, 1, 2, 3 };

static const struct fuzz_seed seeds[] = {
	{ seed1, sizeof(seed1) },
	{ seed2, sizeof(seed2) },
	{ seed3, sizeof(seed3) },
};
const struct fuzz_seed *const fuzz_seeds = seeds;
const size_t fuzz_n_seeds = sizeof(seeds) / sizeof(seeds[0]);

struct input {
	const uint8_t *p, *end;
};

static uint8_t next(struct input *in)
{
	return in->p < in->end ? *in->p++ : 0;
}

static uint64_t next64(struct input *in)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | next(in);
	return v;
}

/* printable, so that sd-bus takes it as a string */
static void next_string(struct input *in, char *buf, size_t size)
{
	size_t n = next(in) % size;

	for (size_t i = 0; i < n; i++)
		buf[i] = (char)(0x20 + next(in) % 95);
	buf[n] = 0;
}

static int append_one(sd_bus_message *m, char type, struct input *in)
{
	char s[40];
	uint8_t y;
	int b;
	uint32_t u;
	uint64_t t;

	switch (type) {
	case 'y':
		y = next(in);
		return sd_bus_message_append_basic(m, 'y', &y);
	case 'b':
		b = next(in) & 1;
		return sd_bus_message_append_basic(m, 'b', &b);
	case 'u':
	case 'i':
		u = (uint32_t)next64(in);
		return sd_bus_message_append_basic(m, type, &u);
	case 't':
	case 'x':
		t = next64(in);
		return sd_bus_message_append_basic(m, type, &t);
	case 's':
		next_string(in, s, sizeof(s));
		return sd_bus_message_append_basic(m, 's', s);
	default:
		return -EINVAL;
	}
}

/* ListClients' array, or (type C) one of a wrong element type */
static int append_array(sd_bus_message *m, const char *element, struct input *in)
{
	unsigned n = next(in) % 4;
	int r;

	r = sd_bus_message_open_container(m, 'a', element);
	for (unsigned i = 0; r >= 0 && i < n; i++) {
		r = sd_bus_message_open_container(m, 'r', strndupa(element + 1, strlen(element) - 2));
		for (const char *c = element + 1; r >= 0 && *c != ')'; c++)
			r = append_one(m, *c, in);
		if (r >= 0)
			r = sd_bus_message_close_container(m);
	}
	if (r >= 0)
		r = sd_bus_message_close_container(m);
	return r;
}

static int append_signature(sd_bus_message *m, const char *sig, struct input *in)
{
	int r = 0;

	for (const char *c = sig; r >= 0 && *c; c++) {
		if (*c == 'a') {
			const char *end = strchr(c, ')');

			if (!end)
				return -EINVAL;
			r = append_array(m, strndupa(c + 1, end - c), in);
			c = end;
		} else
			r = append_one(m, *c, in);
	}
	return r;
}

static sd_bus *fake_bus(void)
{
	static sd_bus *bus;
	int fds[2];

	if (bus)
		return bus;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0)
		abort();
	if (sd_bus_new(&bus) < 0 || sd_bus_set_fd(bus, fds[0], fds[0]) < 0 || sd_bus_start(bus) < 0)
		abort();
	close(fds[1]);
	return bus;
}

/* @r from a read function: success only on exactly @sig */
static void check(sd_bus_message *m, int r, const char *sig)
{
	if (r > 0 || (r == 0 && strcmp(sd_bus_message_get_signature(m, true), sig) != 0))
		abort();
	if (r < 0 && strcmp(sd_bus_message_get_signature(m, true), sig) == 0)
		abort();
	(void)sd_bus_message_rewind(m, true);
}

static void read_all(sd_bus_message *m)
{
	struct oomn_bus_pressure p;
	struct oomn_bus_state st;
	struct oomn_bus_cgroup_pressure cp;
	struct oomn_bus_oom_kill k;
	struct oomn_bus_kill_pending kp;
	struct oomn_bus_kill_announced ka;
	struct oomn_bus_answer a;
	struct oomn_bus_outcome o;
	struct oomn_bus_notice n;
	struct oomn_bus_client *clients = NULL;
	const char *kind;
	uint32_t u1, u2;
	uint64_t t;
	size_t n_clients;
	int r;

	check(m, oomn_bus_pressure_read(m, &p), OOMN_BUS_SIG_PRESSURE_CHANGED);
	check(m, oomn_bus_state_read(m, &st), OOMN_BUS_SIG_GET_STATE_OUT);
	check(m, oomn_bus_cgroup_pressure_read(m, &cp), OOMN_BUS_SIG_CGROUP_PRESSURE_CHANGED);
	check(m, oomn_bus_oom_kill_read(m, &k), OOMN_BUS_SIG_KERNEL_OOM_KILL);
	check(m, oomn_bus_kill_pending_read(m, &kp), OOMN_BUS_SIG_KILL_PENDING);
	check(m, oomn_bus_kill_announced_read(m, &ka), OOMN_BUS_SIG_KILL_ANNOUNCED);
	check(m, oomn_bus_candidate_answered_read(m, &a), OOMN_BUS_SIG_CANDIDATE_ANSWERED);
	check(m, oomn_bus_killed_read(m, &o), OOMN_BUS_SIG_KILLED);
	check(m, oomn_bus_redeemed_read(m, &o), OOMN_BUS_SIG_REDEEMED);
	check(m, oomn_bus_register_read(m, &u1, &u2), OOMN_BUS_SIG_REGISTER_IN);
	check(m, oomn_bus_relieved_read(m, &a), OOMN_BUS_SIG_RELIEVED_IN);
	check(m, oomn_bus_notify_candidate_read(m, &n), OOMN_BUS_SIG_NOTIFY_CANDIDATE_IN);
	check(m, oomn_bus_report_outcome_read(m, &kind, &o), OOMN_BUS_SIG_REPORT_OUTCOME_IN);
	check(m, oomn_bus_register_reply_read(m, &t), OOMN_BUS_SIG_REGISTER_OUT);
	check(m, oomn_bus_notify_candidate_reply_read(m, &u1), OOMN_BUS_SIG_NOTIFY_CANDIDATE_OUT);
	r = oomn_bus_clients_read(m, &clients, &n_clients);
	if (r == 0)
		for (size_t i = 0; i < n_clients; i++) /* the strings are readable */
			if (strlen(clients[i].bus_name) + strlen(clients[i].comm) > 80)
				abort();
	free(clients);
	check(m, r, OOMN_BUS_SIG_LIST_CLIENTS_OUT);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char types[] = "ybuitxsC";
	struct input in = { data, data + size };
	sd_bus_message *m = NULL;
	uint8_t first = next(&in);
	int r;

	if (oomn_bus_new_signal(fake_bus(), &m, "Fuzz", NULL) < 0)
		abort();
	if (first < 64) {
		const struct oomn_bus_member *mb = &oomn_bus_members[first % oomn_bus_n_members];

		r = append_signature(m, first & 32 ? mb->in : mb->out, &in);
	} else {
		r = 0;
		for (unsigned i = 0; r >= 0 && i < (first - 64u) % 12; i++) {
			char type = types[next(&in) % (sizeof(types) - 1)];

			if (type == 'C') /* ListClients' element, or another */
				r = append_array(m, next(&in) & 1 ? OOMN_BUS_SIG_CLIENT : "(tus)", &in);
			else
				r = append_one(m, type, &in);
		}
	}
	if (r >= 0 && sd_bus_message_seal(m, 1, 0) >= 0)
		read_all(m);
	sd_bus_message_unref(m);
	return 0;
}
