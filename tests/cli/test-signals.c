/* SPDX-License-Identifier: GPL-2.0-only */
/* The signals `watch` reads match the contract, dbus/org.oomnotify.Broker1.xml. */
#include <gio/gio.h>
#include <string.h>

#include "cli.h"
#include "signals.h"

static char *signature_of(GDBusArgInfo **args)
{
	GString *s = g_string_new(NULL);

	for (guint i = 0; args && args[i]; i++)
		g_string_append(s, args[i]->signature);
	return g_string_free(s, FALSE);
}

static void test_contract(void)
{
	g_autofree char *path =
		g_build_filename(g_getenv("OOMN_DBUS_DIR"), "org.oomnotify.Broker1.xml", NULL);
	g_autofree char *xml = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GDBusNodeInfo) node = NULL;
	GDBusInterfaceInfo *iface;
	unsigned seen = 0;

	g_assert_true(g_file_get_contents(path, &xml, NULL, &error));
	node = g_dbus_node_info_new_for_xml(xml, &error);
	g_assert_no_error(error);
	iface = g_dbus_node_info_lookup_interface(node, "org.oomnotify.Broker1");
	g_assert_nonnull(iface);

	for (guint i = 0; iface->signals[i]; i++) {
		GDBusSignalInfo *s = iface->signals[i];
		const struct cli_signal *c = cli_signal_find(s->name);
		g_autofree char *sig = signature_of(s->args);

		/* sent to the candidate alone: nothing a watcher can see */
		if (strcmp(s->name, "KillPending") == 0) {
			g_assert_null(c);
			continue;
		}
		g_assert_nonnull(c);
		g_test_message("%s(%s)", s->name, sig);
		g_assert_cmpstr(c->signature, ==, sig);
		seen++;
	}
	/* and nothing the contract does not have */
	g_assert_cmpuint(seen, ==, cli_n_signals);
}

static void test_classes(void)
{
	unsigned all = 0;

	for (size_t i = 0; i < cli_n_signals; i++) {
		g_assert_cmpuint(cli_signals[i].events & ~CLI_EVENTS_ALL, ==, 0);
		g_assert_cmpuint(__builtin_popcount(cli_signals[i].events), ==, 1);
		all |= cli_signals[i].events;
	}
	g_assert_cmpuint(all, ==, CLI_EVENTS_ALL);
	g_assert_null(cli_signal_find(NULL));
	g_assert_null(cli_signal_find("LowMemoryWarning"));
	g_assert_cmpint(cli_signal_find("Killed")->kind, ==, FORMAT_BUS_KILLED);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_assert_nonnull(g_getenv("OOMN_DBUS_DIR"));
	g_test_add_func("/cli/signals/contract", test_contract);
	g_test_add_func("/cli/signals/classes", test_classes);
	return g_test_run();
}
