/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The bus contract in C (lib/oomn-bus.h) and its codec (lib/oomn-bus-codec.h)
 * match dbus/org.oomnotify.Broker1.xml, both ways: every member of the XML
 * has an entry of the same kind and signature, every entry is in the XML,
 * and what each append function writes has the XML's signature and reads
 * back the same.
 */
#include <errno.h>
#include <gio/gio.h>
#include <string.h>
#include <sys/socket.h>

#include "oomn-bus-codec.h"

static GDBusNodeInfo *node;
static GDBusInterfaceInfo *iface;

static char *signature_of(GDBusArgInfo **args)
{
	GString *s = g_string_new(NULL);

	for (guint i = 0; args && args[i]; i++)
		g_string_append(s, args[i]->signature);
	return g_string_free(s, FALSE);
}

static const struct oomn_bus_member *find_member(enum oomn_bus_member_kind kind, const char *name)
{
	for (size_t i = 0; i < oomn_bus_n_members; i++)
		if (oomn_bus_members[i].kind == kind &&
		    strcmp(oomn_bus_members[i].interface, OOMN_BUS_INTERFACE) == 0 &&
		    strcmp(oomn_bus_members[i].name, name) == 0)
			return &oomn_bus_members[i];
	return NULL;
}

/* The signature the XML gives member @name of @kind (out: a method's reply); NULL if none. */
static char *xml_signature(enum oomn_bus_member_kind kind, const char *name, bool in)
{
	GDBusMethodInfo *mi;
	GDBusSignalInfo *si;
	GDBusPropertyInfo *pi;

	switch (kind) {
	case OOMN_BUS_METHOD:
		mi = g_dbus_interface_info_lookup_method(iface, name);
		return mi ? signature_of(in ? mi->in_args : mi->out_args) : NULL;
	case OOMN_BUS_SIGNAL:
		si = g_dbus_interface_info_lookup_signal(iface, name);
		return si ? (in ? g_strdup("") : signature_of(si->args)) : NULL;
	case OOMN_BUS_PROPERTY:
		pi = g_dbus_interface_info_lookup_property(iface, name);
		return pi ? (in ? g_strdup("") : g_strdup(pi->signature)) : NULL;
	}
	return NULL;
}

static void check_member(enum oomn_bus_member_kind kind, const char *name, unsigned *seen)
{
	const struct oomn_bus_member *m = find_member(kind, name);
	g_autofree char *in = xml_signature(kind, name, true);
	g_autofree char *out = xml_signature(kind, name, false);

	g_test_message("%s(%s) -> (%s)", name, in, out);
	g_assert_nonnull(m);
	g_assert_cmpstr(m->in, ==, in);
	g_assert_cmpstr(m->out, ==, out);
	(*seen)++;
}

static void test_xml_to_header(void)
{
	unsigned seen = 0, ours = 0;

	for (guint i = 0; iface->methods && iface->methods[i]; i++)
		check_member(OOMN_BUS_METHOD, iface->methods[i]->name, &seen);
	for (guint i = 0; iface->signals && iface->signals[i]; i++)
		check_member(OOMN_BUS_SIGNAL, iface->signals[i]->name, &seen);
	for (guint i = 0; iface->properties && iface->properties[i]; i++)
		check_member(OOMN_BUS_PROPERTY, iface->properties[i]->name, &seen);

	/* and nothing the XML does not have */
	for (size_t i = 0; i < oomn_bus_n_members; i++)
		if (strcmp(oomn_bus_members[i].interface, OOMN_BUS_INTERFACE) == 0)
			ours++;
	g_assert_cmpuint(seen, ==, ours);
	g_assert_cmpuint(seen, >, 0);
}

static void test_header_to_xml(void)
{
	for (size_t i = 0; i < oomn_bus_n_members; i++) {
		const struct oomn_bus_member *m = &oomn_bus_members[i];
		g_autofree char *in = NULL, *out = NULL;

		if (strcmp(m->interface, OOMN_LMM_INTERFACE) == 0) {
			/* not ours: GLib's GMemoryMonitor reads LowMemoryWarning as (y) */
			g_assert_cmpstr(m->name, ==, "LowMemoryWarning");
			g_assert_cmpstr(m->out, ==, "y");
			continue;
		}
		g_assert_cmpstr(m->interface, ==, OOMN_BUS_INTERFACE);
		in = xml_signature(m->kind, m->name, true);
		out = xml_signature(m->kind, m->name, false);
		if (!out)
			g_error("%s is not in the XML", m->name);
		g_assert_cmpstr(m->in, ==, in);
		g_assert_cmpstr(m->out, ==, out);
	}
}

/* A bus that is never spoken to: enough to build messages. */
static sd_bus *fake_bus(void)
{
	sd_bus *bus = NULL;
	int fds[2];

	g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), ==, 0);
	g_assert_cmpint(sd_bus_new(&bus), >=, 0);
	g_assert_cmpint(sd_bus_set_fd(bus, fds[0], fds[0]), >=, 0);
	g_assert_cmpint(sd_bus_start(bus), >=, 0);
	close(fds[1]);
	return bus;
}

static sd_bus_message *new_message(sd_bus *bus)
{
	sd_bus_message *m = NULL;

	g_assert_cmpint(oomn_bus_new_signal(bus, &m, "Test", NULL), ==, 0);
	return m;
}

/* Seals @m and checks it has the XML's signature for @kind @name; rewound for reading. */
static void sealed_as(sd_bus_message *m, enum oomn_bus_member_kind kind, const char *name, bool in)
{
	g_autofree char *sig = xml_signature(kind, name, in);
	static uint64_t cookie;

	g_assert_cmpint(sd_bus_message_seal(m, ++cookie, 0), >=, 0);
	g_assert_cmpint(sd_bus_message_rewind(m, true), >=, 0);
	g_assert_nonnull(sig);
	g_assert_cmpstr(sd_bus_message_get_signature(m, true), ==, sig);
}

static void test_codec_round_trip(void)
{
	sd_bus *bus = fake_bus();
	sd_bus_message *m;

	{
		const struct oomn_bus_pressure p = { "low", "normal", 7, 2, 1, 4, 3, "psi", 9 };
		struct oomn_bus_pressure q;

		m = new_message(bus);
		g_assert_cmpint(oomn_bus_pressure_append(m, &p), ==, 0);
		sealed_as(m, OOMN_BUS_SIGNAL, OOMN_BUS_PRESSURE_CHANGED, false);
		g_assert_cmpint(oomn_bus_pressure_read(m, &q), ==, 0);
		g_assert_cmpstr(q.level, ==, "low");
		g_assert_cmpstr(q.prev_level, ==, "normal");
		g_assert_cmpuint(q.signal_seq, ==, 7);
		g_assert_cmpuint(q.mem_available, ==, 1);
		g_assert_cmpuint(q.mem_total, ==, 2);
		g_assert_cmpuint(q.swap_free, ==, 3);
		g_assert_cmpuint(q.swap_total, ==, 4);
		g_assert_cmpstr(q.source, ==, "psi");
		g_assert_cmpuint(q.timestamp_ns, ==, 9);
		/* what is not a state is refused whole */
		struct oomn_bus_state s = { .level = "x" };
		g_assert_cmpint(oomn_bus_state_read(m, &s), ==, -EBADMSG);
		g_assert_cmpstr(s.level, ==, "x");
		sd_bus_message_unref(m);
	}
	{
		const struct oomn_bus_state s = { "medium", 3, 10, 20, 30, 40, "kernel", 50 };
		struct oomn_bus_state t;

		m = new_message(bus);
		g_assert_cmpint(oomn_bus_state_append(m, &s), ==, 0);
		sealed_as(m, OOMN_BUS_METHOD, OOMN_BUS_GET_STATE, false);
		g_assert_cmpint(oomn_bus_state_read(m, &t), ==, 0);
		g_assert_cmpstr(t.level, ==, "medium");
		g_assert_cmpuint(t.signal_seq, ==, 3);
		g_assert_cmpuint(t.mem_total, ==, 10);
		g_assert_cmpuint(t.mem_available, ==, 20);
		g_assert_cmpuint(t.swap_total, ==, 30);
		g_assert_cmpuint(t.swap_free, ==, 40);
		g_assert_cmpstr(t.source, ==, "kernel");
		g_assert_cmpuint(t.timestamp_ns, ==, 50);
		sd_bus_message_unref(m);
	}
	{
		const struct oomn_bus_cgroup_pressure p = { "/a", "critical", "low", 5 };
		struct oomn_bus_cgroup_pressure q;

		m = new_message(bus);
		g_assert_cmpint(oomn_bus_cgroup_pressure_append(m, &p), ==, 0);
		sealed_as(m, OOMN_BUS_SIGNAL, OOMN_BUS_CGROUP_PRESSURE_CHANGED, false);
		g_assert_cmpint(oomn_bus_cgroup_pressure_read(m, &q), ==, 0);
		g_assert_cmpstr(q.cgroup, ==, "/a");
		g_assert_cmpstr(q.level, ==, "critical");
		g_assert_cmpstr(q.prev_level, ==, "low");
		g_assert_cmpuint(q.timestamp_ns, ==, 5);
		sd_bus_message_unref(m);
	}
	{
		const struct oomn_bus_oom_kill k = { 12, "hog", 1000, "/b", 4096, 2 };
		struct oomn_bus_oom_kill l;

		m = new_message(bus);
		g_assert_cmpint(oomn_bus_oom_kill_append(m, &k), ==, 0);
		sealed_as(m, OOMN_BUS_SIGNAL, OOMN_BUS_KERNEL_OOM_KILL, false);
		g_assert_cmpint(oomn_bus_oom_kill_read(m, &l), ==, 0);
		g_assert_cmpuint(l.pid, ==, 12);
		g_assert_cmpstr(l.comm, ==, "hog");
		g_assert_cmpuint(l.uid, ==, 1000);
		g_assert_cmpstr(l.cgroup, ==, "/b");
		g_assert_cmpuint(l.anon_rss, ==, 4096);
		g_assert_cmpuint(l.oom_seq, ==, 2);
		sd_bus_message_unref(m);
	}
	{
		const struct oomn_bus_kill_pending k = { 13, 500, 123456, "why" };
		struct oomn_bus_kill_pending l;

		m = new_message(bus);
		g_assert_cmpint(oomn_bus_kill_pending_append(m, &k), ==, 0);
		sealed_as(m, OOMN_BUS_SIGNAL, OOMN_BUS_KILL_PENDING, false);
		g_assert_cmpint(oomn_bus_kill_pending_read(m, &l), ==, 0);
		g_assert_cmpuint(l.pid, ==, 13);
		g_assert_cmpuint(l.deadline_msec, ==, 500);
		g_assert_cmpuint(l.deadline_boottime_usec, ==, 123456);
		g_assert_cmpstr(l.reason, ==, "why");
		sd_bus_message_unref(m);
	}
	{
		const struct oomn_bus_kill_announced k = { 14, "app", 600, 654321, "because" };
		struct oomn_bus_kill_announced l;

		m = new_message(bus);
		g_assert_cmpint(oomn_bus_kill_announced_append(m, &k), ==, 0);
		sealed_as(m, OOMN_BUS_SIGNAL, OOMN_BUS_KILL_ANNOUNCED, false);
		g_assert_cmpint(oomn_bus_kill_announced_read(m, &l), ==, 0);
		g_assert_cmpuint(l.pid, ==, 14);
		g_assert_cmpstr(l.comm, ==, "app");
		g_assert_cmpuint(l.deadline_msec, ==, 600);
		g_assert_cmpuint(l.deadline_boottime_usec, ==, 654321);
		g_assert_cmpstr(l.reason, ==, "because");
		sd_bus_message_unref(m);
	}
	{
		const struct oomn_bus_answer a = { 15, 1u << 20, true };
		struct oomn_bus_answer b;

		m = new_message(bus);
		g_assert_cmpint(oomn_bus_candidate_answered_append(m, &a), ==, 0);
		sealed_as(m, OOMN_BUS_SIGNAL, OOMN_BUS_CANDIDATE_ANSWERED, false);
		g_assert_cmpint(oomn_bus_candidate_answered_read(m, &b), ==, 0);
		g_assert_cmpuint(b.pid, ==, 15);
		g_assert_cmpuint(b.freed, ==, 1u << 20);
		g_assert_true(b.checkpointed);
		sd_bus_message_unref(m);

		m = new_message(bus);
		g_assert_cmpint(oomn_bus_relieved_append(m, &a), ==, 0);
		sealed_as(m, OOMN_BUS_METHOD, OOMN_BUS_RELIEVED, true);
		g_assert_cmpint(oomn_bus_relieved_read(m, &b), ==, 0);
		g_assert_cmpuint(b.pid, ==, 0);
		g_assert_cmpuint(b.freed, ==, 1u << 20);
		g_assert_true(b.checkpointed);
		sd_bus_message_unref(m);
	}
	{
		const struct oomn_bus_outcome o = { 16, "victim", 1001, "/c", "rule", 777, "chosen" };
		struct oomn_bus_outcome p;
		const char *kind;

		m = new_message(bus);
		g_assert_cmpint(oomn_bus_killed_append(m, &o), ==, 0);
		sealed_as(m, OOMN_BUS_SIGNAL, OOMN_BUS_KILLED, false);
		g_assert_cmpint(oomn_bus_killed_read(m, &p), ==, 0);
		g_assert_cmpuint(p.pid, ==, 16);
		g_assert_cmpstr(p.comm, ==, "victim");
		g_assert_cmpuint(p.uid, ==, 1001);
		g_assert_cmpstr(p.cgroup, ==, "/c");
		g_assert_cmpstr(p.rule, ==, "rule");
		g_assert_cmpuint(p.freed, ==, 777);
		g_assert_cmpstr(p.reason, ==, "chosen");
		sd_bus_message_unref(m);

		m = new_message(bus);
		g_assert_cmpint(oomn_bus_redeemed_append(m, &o), ==, 0);
		sealed_as(m, OOMN_BUS_SIGNAL, OOMN_BUS_REDEEMED, false);
		g_assert_cmpint(oomn_bus_redeemed_read(m, &p), ==, 0);
		g_assert_cmpuint(p.pid, ==, 16);
		g_assert_cmpstr(p.comm, ==, "victim");
		g_assert_null(p.cgroup);
		g_assert_cmpstr(p.reason, ==, "chosen");
		sd_bus_message_unref(m);

		m = new_message(bus);
		g_assert_cmpint(oomn_bus_report_outcome_append(m, OOMN_BUS_OUTCOME_KILLED, &o), ==, 0);
		sealed_as(m, OOMN_BUS_METHOD, OOMN_BUS_REPORT_OUTCOME, true);
		g_assert_cmpint(oomn_bus_report_outcome_read(m, &kind, &p), ==, 0);
		g_assert_cmpstr(kind, ==, "killed");
		g_assert_cmpuint(p.pid, ==, 16);
		g_assert_cmpstr(p.rule, ==, "rule");
		g_assert_cmpuint(p.freed, ==, 777);
		sd_bus_message_unref(m);
	}
	{
		const struct oomn_bus_notice n = { 17, 900, "pick" };
		struct oomn_bus_notice o;
		uint32_t band, flags, notified;
		uint64_t id;

		m = new_message(bus);
		g_assert_cmpint(oomn_bus_notify_candidate_append(m, &n), ==, 0);
		sealed_as(m, OOMN_BUS_METHOD, OOMN_BUS_NOTIFY_CANDIDATE, true);
		g_assert_cmpint(oomn_bus_notify_candidate_read(m, &o), ==, 0);
		g_assert_cmpuint(o.pid, ==, 17);
		g_assert_cmpuint(o.deadline_msec, ==, 900);
		g_assert_cmpstr(o.reason, ==, "pick");
		sd_bus_message_unref(m);

		m = new_message(bus);
		g_assert_cmpint(oomn_bus_notify_candidate_reply_append(m, 2), ==, 0);
		sealed_as(m, OOMN_BUS_METHOD, OOMN_BUS_NOTIFY_CANDIDATE, false);
		g_assert_cmpint(oomn_bus_notify_candidate_reply_read(m, &notified), ==, 0);
		g_assert_cmpuint(notified, ==, 2);
		sd_bus_message_unref(m);

		m = new_message(bus);
		g_assert_cmpint(oomn_bus_register_append(m, OOMN_BAND_IDLE,
							 OOMN_CLIENT_CAN_CHECKPOINT), ==, 0);
		sealed_as(m, OOMN_BUS_METHOD, OOMN_BUS_REGISTER, true);
		g_assert_cmpint(oomn_bus_register_read(m, &band, &flags), ==, 0);
		g_assert_cmpuint(band, ==, 20);
		g_assert_cmpuint(flags, ==, 2);
		sd_bus_message_unref(m);

		m = new_message(bus);
		g_assert_cmpint(oomn_bus_register_reply_append(m, 99), ==, 0);
		sealed_as(m, OOMN_BUS_METHOD, OOMN_BUS_REGISTER, false);
		g_assert_cmpint(oomn_bus_register_reply_read(m, &id), ==, 0);
		g_assert_cmpuint(id, ==, 99);
		sd_bus_message_unref(m);
	}
	{
		const struct oomn_bus_client c[] = {
			{ 1, 100, 1000, ":1.5", "one", 20, 1 },
			{ 2, 200, 0, ":1.6", "two", 80, 3 },
		};
		g_autofree struct oomn_bus_client *d = NULL;
		size_t n = 99;

		m = new_message(bus);
		g_assert_cmpint(oomn_bus_clients_open(m), ==, 0);
		for (size_t i = 0; i < G_N_ELEMENTS(c); i++)
			g_assert_cmpint(oomn_bus_client_append(m, &c[i]), ==, 0);
		g_assert_cmpint(oomn_bus_clients_close(m), ==, 0);
		sealed_as(m, OOMN_BUS_METHOD, OOMN_BUS_LIST_CLIENTS, false);
		g_assert_cmpint(oomn_bus_clients_read(m, &d, &n), ==, 0);
		g_assert_cmpuint(n, ==, 2);
		g_assert_cmpuint(d[1].id, ==, 2);
		g_assert_cmpuint(d[1].pid, ==, 200);
		g_assert_cmpuint(d[1].uid, ==, 0);
		g_assert_cmpstr(d[1].bus_name, ==, ":1.6");
		g_assert_cmpstr(d[1].comm, ==, "two");
		g_assert_cmpuint(d[1].band, ==, 80);
		g_assert_cmpuint(d[1].flags, ==, 3);
		g_assert_cmpstr(d[0].comm, ==, "one");
		sd_bus_message_unref(m);

		/* none: an empty array, no allocation */
		m = new_message(bus);
		g_assert_cmpint(oomn_bus_clients_open(m), ==, 0);
		g_assert_cmpint(oomn_bus_clients_close(m), ==, 0);
		sealed_as(m, OOMN_BUS_METHOD, OOMN_BUS_LIST_CLIENTS, false);
		g_clear_pointer(&d, g_free);
		g_assert_cmpint(oomn_bus_clients_read(m, &d, &n), ==, 0);
		g_assert_cmpuint(n, ==, 0);
		g_assert_null(d);
		sd_bus_message_unref(m);
	}
	sd_bus_close_unref(bus);
}

/* A message with other arguments than the contract's is refused, whatever it holds. */
static void test_codec_refuses(void)
{
	sd_bus *bus = fake_bus();
	sd_bus_message *m;
	struct oomn_bus_pressure p;
	struct oomn_bus_answer a;
	g_autofree struct oomn_bus_client *c = NULL;
	size_t n;

	/* a prefix of PressureChanged's arguments, then one more than them */
	m = new_message(bus);
	g_assert_cmpint(sd_bus_message_append(m, "sst", "low", "normal", (uint64_t)1), >=, 0);
	g_assert_cmpint(sd_bus_message_seal(m, 1, 0), >=, 0);
	g_assert_cmpint(oomn_bus_pressure_read(m, &p), ==, -EBADMSG);
	sd_bus_message_unref(m);

	m = new_message(bus);
	g_assert_cmpint(sd_bus_message_append(m, "utbu", 1u, (uint64_t)2, 1, 3u), >=, 0);
	g_assert_cmpint(sd_bus_message_seal(m, 2, 0), >=, 0);
	g_assert_cmpint(oomn_bus_candidate_answered_read(m, &a), ==, -EBADMSG);
	sd_bus_message_unref(m);

	m = new_message(bus);
	g_assert_cmpint(sd_bus_message_append(m, "a(tuuss)", 0), >=, 0);
	g_assert_cmpint(sd_bus_message_seal(m, 3, 0), >=, 0);
	g_assert_cmpint(oomn_bus_clients_read(m, &c, &n), ==, -EBADMSG);
	g_assert_null(c);
	sd_bus_message_unref(m);

	g_assert_cmpint(oomn_bus_pressure_read(NULL, &p), ==, -EINVAL);
	sd_bus_close_unref(bus);
}

/* The limits and flags the users share are the XML's words. */
static void test_values(void)
{
	g_assert_cmpuint(OOMN_CLIENT_CAN_FREE_MEMORY, ==, 1);
	g_assert_cmpuint(OOMN_CLIENT_CAN_CHECKPOINT, ==, 2);
	g_assert_cmpuint(OOMN_BAND_BACKGROUND, ==, 0);
	g_assert_cmpuint(OOMN_BAND_IDLE, ==, 20);
	g_assert_cmpuint(OOMN_BAND_DEFAULT, ==, 50);
	g_assert_cmpuint(OOMN_BAND_FOREGROUND, ==, 80);
	g_assert_cmpuint(OOMN_BAND_MAX, ==, 100);
	g_assert_cmpuint(OOMN_BUS_KILL_WATCHERS_MAX, ==, 64);
	g_assert_cmpuint(OOMN_BUS_VERSION, ==, 1);
	g_assert_nonnull(g_dbus_node_info_lookup_interface(node, OOMN_BUS_NAME));
}

int main(int argc, char **argv)
{
	g_autofree char *path = NULL, *xml = NULL;
	g_autoptr(GError) error = NULL;
	int r;

	g_test_init(&argc, &argv, NULL);
	g_assert_nonnull(g_getenv("OOMN_DBUS_DIR"));
	path = g_build_filename(g_getenv("OOMN_DBUS_DIR"), "org.oomnotify.Broker1.xml", NULL);
	g_assert_true(g_file_get_contents(path, &xml, NULL, &error));
	node = g_dbus_node_info_new_for_xml(xml, &error);
	g_assert_no_error(error);
	iface = g_dbus_node_info_lookup_interface(node, OOMN_BUS_INTERFACE);
	g_assert_nonnull(iface);

	g_test_add_func("/bus-contract/xml-to-header", test_xml_to_header);
	g_test_add_func("/bus-contract/header-to-xml", test_header_to_xml);
	g_test_add_func("/bus-contract/codec-round-trip", test_codec_round_trip);
	g_test_add_func("/bus-contract/codec-refuses", test_codec_refuses);
	g_test_add_func("/bus-contract/values", test_values);
	r = g_test_run();
	g_dbus_node_info_unref(node);
	return r;
}
