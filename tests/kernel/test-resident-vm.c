/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Small and still resident, on a real kernel inside the VM test bed (root,
 * the module loaded, no swap): oom-notifyd and oom-killerd as they ship
 * (memory locked, on fault, after start-up; lib/oomn-resident.h,
 * killer/src/warmup.h) on a private dbus-daemon.
 *
 * At rest the two together hold at most RESIDENT_MAX_KB (VmRSS). Then the
 * page cache is dropped and a hog nobody can redeem takes memory to
 * critical: from before the hog starts until the kill line is read, the
 * killer takes no major fault (/proc/PID/stat field 12): what its kill path
 * runs was resident and stayed so. RSS is a figure, not a timing: asserted.
 *
 * $OOMN_KILLERD, $OOMN_BROKER, $OOMN_BUS_POLICY, $OOMN_HOG as in test-killer-vm.c.
 */
#include <gio/gio.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bus-fixture.h"
#include "vm-helpers.h"

/*
 * Both daemons at rest, VmRSS, kB. The figure (2.8-3.9 MiB, target 4 MiB) is
 * a benchmark's (docs/benchmarks.md) and this run logs it; the check guards
 * the design (12.5 MiB when every mapped page was locked) with room for what
 * fault-around and a busy host add, so it cannot flake on 200 kB.
 */
#define RESIDENT_MAX_KB (6 * 1024)
/* MemAvailable the hog leaves, % of MemTotal: critical (< 10 %), above the floor (3 %) */
#define TARGET_PCT 6
#define REST_MS	   5000
#define WAIT_MS	   90000

typedef struct {
	guint64 rss_kb, majflt;
} ProcFigures;

static ProcFigures proc_figures(GPid pid)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/status", (int)pid);
	g_autofree char *status = NULL, *stat = NULL;
	g_auto(GStrv) fields = NULL;
	ProcFigures fig = {};
	const char *p;

	g_assert_true(g_file_get_contents(path, &status, NULL, NULL));
	p = strstr(status, "\nVmRSS:");
	g_assert_nonnull(p);
	fig.rss_kb = g_ascii_strtoull(p + strlen("\nVmRSS:"), NULL, 10);

	g_free(path);
	path = g_strdup_printf("/proc/%d/stat", (int)pid);
	g_assert_true(g_file_get_contents(path, &stat, NULL, NULL));
	/* after the comm's closing parenthesis: field 3 (state) on; majflt is field 12 */
	p = strrchr(stat, ')');
	g_assert_nonnull(p);
	fields = g_strsplit(p + 2, " ", -1);
	g_assert_cmpuint(g_strv_length(fields), >, 9);
	fig.majflt = g_ascii_strtoull(fields[9], NULL, 10);
	return fig;
}

/* Where @pid's RSS goes, per mapped file (or [heap], [stack], anonymous), as test messages. */
static void log_mappings(GPid pid, const char *who)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/smaps", (int)pid);
	g_autofree char *smaps = NULL;
	g_autoptr(GHashTable) kb = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_auto(GStrv) lines = NULL;
	g_autoptr(GString) out = g_string_new(NULL);
	const char *name = "";
	GHashTableIter it;
	gpointer key, value;

	if (!g_file_get_contents(path, &smaps, NULL, NULL))
		return;
	lines = g_strsplit(smaps, "\n", -1);
	for (char **l = lines; *l; l++) {
		g_auto(GStrv) f = g_strsplit_set(*l, " ", -1);
		guint64 rss;

		if (g_ascii_isxdigit((*l)[0]) && strchr(*l, '-') < strchr(*l, ' ')) {
			const char *last = f[0];

			for (char **x = f; *x; x++)
				if (**x)
					last = *x;
			name = strchr(last, '/') || last[0] == '[' ? strrchr(*l, ' ') + 1 : "anonymous";
			continue;
		}
		if (!g_str_has_prefix(*l, "Rss:"))
			continue;
		rss = g_ascii_strtoull(*l + 4 + strspn(*l + 4, " "), NULL, 10);
		if (!g_hash_table_contains(kb, name))
			g_hash_table_insert(kb, g_strdup(name), GSIZE_TO_POINTER(0));
		g_hash_table_insert(kb, g_strdup(name),
				    GSIZE_TO_POINTER(GPOINTER_TO_SIZE(g_hash_table_lookup(kb, name)) + rss));
	}
	g_hash_table_iter_init(&it, kb);
	while (g_hash_table_iter_next(&it, &key, &value))
		if (GPOINTER_TO_SIZE(value))
			g_string_append_printf(out, " %s %zu;", (char *)key, GPOINTER_TO_SIZE(value));
	g_test_message("%s RSS kB by mapping:%s", who, out->str);
}

static void drop_caches(void)
{
	FILE *f;

	sync();
	f = fopen("/proc/sys/vm/drop_caches", "we");
	g_assert_nonnull(f);
	g_assert_cmpint(fputs("3\n", f), >=, 0);
	g_assert_cmpint(fclose(f), ==, 0);
}

static GPid start_hog(VmChildren *c, guint64 mib)
{
	g_autofree char *max = g_strdup_printf("%" G_GUINT64_FORMAT, mib);
	char *argv[] = { (char *)g_getenv("OOMN_HOG"), "--max", max, "--step", "4", "--hold",
			 NULL };
	g_autofree char *line = NULL;
	GPid pid;
	int out;

	g_assert_nonnull(argv[0]);
	pid = vm_children_spawn(c, argv, NULL, NULL, &out);
	line = vm_read_line(out, WAIT_MS);
	g_assert_nonnull(line);
	g_assert_true(g_str_has_prefix(line, "ready"));
	return pid;
}

static void test_resident(void)
{
	g_autofree char *tmpdir = test_make_tmpdir("oomn-resident-XXXXXX");
	g_autofree char *log = g_build_filename(tmpdir, "daemons.log", NULL);
	g_autofree char *policy = bus_policy_system();
	g_autofree char *address = NULL, *rm = NULL;
	g_autoptr(GDBusConnection) conn = NULL;
	const char *broker_args[] = { "--bus-address", NULL, "--source", "kernel", "--no-lmm", NULL };
	TestLogStream killer_log, broker_log;
	g_auto(VmKillLine) k = {};
	ProcFigures rest_b, rest_k, b0, k0, b1, k1;
	GPid bus_pid, broker_pid, killer_pid, hog;
	VmChildren children;
	const char *line;
	guint from = 0;
	int kmsg = vm_kmsg_open(), status;

	vm_children_init(&children, log, WAIT_MS);
	vm_assert_available_pct(40);

	bus_write_config(tmpdir, policy);
	address = bus_daemon_start(tmpdir, log, WAIT_MS, &bus_pid);
	conn = bus_connect(address);
	broker_args[1] = address;
	broker_pid = bus_broker_spawn_logged(broker_args, &broker_log);
	bus_wait_name(conn, BROKER_NAME, TRUE, WAIT_MS, broker_pid);
	killer_pid = bus_killer_spawn(tmpdir, address,
				      "rules:\ndefaults: { deadline: 3s, grace: 1s, floor: 3% }\n",
				      &killer_log);
	g_assert_nonnull(test_log_stream_wait(&killer_log, "oom-killerd ready", &from, WAIT_MS,
					      killer_pid));

	/* at rest */
	g_usleep(REST_MS * 1000);
	rest_b = proc_figures(broker_pid);
	rest_k = proc_figures(killer_pid);
	g_test_message("at rest: oom-notifyd %" G_GUINT64_FORMAT " kB, oom-killerd %" G_GUINT64_FORMAT
		       " kB, together %" G_GUINT64_FORMAT " kB (VmRSS)",
		       rest_b.rss_kb, rest_k.rss_kb, rest_b.rss_kb + rest_k.rss_kb);
	log_mappings(broker_pid, "oom-notifyd");
	log_mappings(killer_pid, "oom-killerd");

	/* nothing of the daemons' left in the page cache but what they hold mapped */
	drop_caches();
	b0 = proc_figures(broker_pid);
	k0 = proc_figures(killer_pid);

	hog = start_hog(&children, vm_mib_to_leave(TARGET_PCT));
	line = test_log_stream_wait(&killer_log, VM_KILL_LINE_PREFIX, &from, WAIT_MS, killer_pid);
	g_assert_nonnull(line);
	k1 = proc_figures(killer_pid);
	b1 = proc_figures(broker_pid);
	g_test_message("%s", line);
	g_assert_true(vm_kill_line_parse(line, &k));
	g_assert_cmpint(k.pid, ==, hog);
	g_assert_cmpuint(k.event_ns, >, 0);
	g_assert_true(k.sigkill_ns > 0 || k.sigterm_ns > 0);
	g_test_message("major faults over the episode: oom-killerd %" G_GUINT64_FORMAT
		       " (%" G_GUINT64_FORMAT " -> %" G_GUINT64_FORMAT "), oom-notifyd %" G_GUINT64_FORMAT
		       "; RSS after: oom-killerd %" G_GUINT64_FORMAT " kB, oom-notifyd %" G_GUINT64_FORMAT
		       " kB",
		       k1.majflt - k0.majflt, k0.majflt, k1.majflt, b1.majflt - b0.majflt, k1.rss_kb,
		       b1.rss_kb);
	status = vm_children_wait(&children, hog);
	g_assert_true(WIFSIGNALED(status));

	vm_stop_daemon(killer_pid, "oom-killerd", WAIT_MS);
	test_log_stream_done(&killer_log);
	g_clear_object(&conn);
	vm_stop_daemon(broker_pid, "oom-notifyd", WAIT_MS);
	test_log_stream_done(&broker_log);
	(void)kill(bus_pid, SIGTERM);
	g_assert_true(vm_wait_child(bus_pid, WAIT_MS, &status));
	vm_children_clear(&children);
	test_log_replay("dbus-daemon and helpers'", log);
	vm_kmsg_assert_no_oom(kmsg);
	rm = g_strdup_printf("rm -rf '%s'", tmpdir);
	(void)vm_run(rm);

	g_assert_cmpuint(k1.majflt - k0.majflt, ==, 0);
	g_assert_cmpuint(rest_b.rss_kb + rest_k.rss_kb, <=, RESIDENT_MAX_KB);
}

int main(int argc, char *argv[])
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/resident/kill-path", test_resident);
	return g_test_run();
}
