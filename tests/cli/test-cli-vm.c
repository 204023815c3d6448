/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The oom-notify binary against a real kernel, inside the VM test bed
 * (run-vm.sh, root, the module loaded, no swap): `--kernel` straight from the
 * module, and the default mode through the real oom-notifyd (kernel source) on
 * a private dbus-daemon with the project's policy. Real pressure comes from
 * oomn-hog ($OOMN_HOG), a real kernel OOM kill from a hog in a cgroup limited
 * to 32 MiB. $OOMN_CLI, $OOMN_BROKER and $OOMN_BUS_POLICY name the rest.
 */
#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli-json.h"
#include "vm-helpers.h"

#define BROKER_NAME "org.oomnotify.Broker1"
/* how long anything may take under TCG before a case gives up */
#define WAIT_MS 90000
/* MemAvailable the hog leaves, in % of MemTotal: below low (20 %), above medium (15 %) */
#define TARGET_PCT 17

static gboolean in_vm(void)
{
	if (g_getenv("OOMN_VM"))
		return TRUE;
	g_test_skip("runs in the VM bed only (tests/vm/run-vm.sh)");
	return FALSE;
}

/* The next line of the CLI's whose event is @event (others are logged), or NULL. */
static char *next_event(int fd, const char *event)
{
	g_autofree char *want = g_strdup_printf("{\"event\":\"%s\",", event);
	gint64 end = g_get_monotonic_time() + (gint64)WAIT_MS * 1000;

	while (g_get_monotonic_time() < end) {
		char *line = vm_read_line(fd, WAIT_MS);

		if (!line)
			return NULL;
		if (g_str_has_prefix(line, want))
			return line;
		g_test_message("skipped: %s", line);
		g_free(line);
	}
	return NULL;
}

/* Waits for the next pressure line whose level is @level. */
static char *next_level(int fd, const char *level)
{
	for (;;) {
		char *line = next_event(fd, "pressure");
		g_autofree char *got = NULL;

		g_assert_nonnull(line);
		got = json_field(line, "level");
		if (g_strcmp0(got, level) == 0)
			return line;
		g_test_message("on the way: %s", line);
		g_free(line);
	}
}

/* A hog that leaves TARGET_PCT of RAM available: level low. */
static void hog_to_low(Hog *h)
{
	guint64 total, avail;
	g_autofree char *cmd = NULL;

	vm_meminfo_mib(&total, &avail);
	g_assert_cmpuint(avail, >, total * (TARGET_PCT + 5) / 100);
	hog_start(h);
	cmd = g_strdup_printf("grow %" G_GUINT64_FORMAT, avail - total * TARGET_PCT / 100);
	hog_cmd(h, cmd);
	/*
	 * Right after a previous hog died, 6.12 keeps its pages on per-CPU free
	 * lists that MemAvailable does not count: the first allocations come
	 * from there and a size computed from MemAvailable stops short. Grow on
	 * until MemAvailable says the target is reached.
	 */
	for (int i = 0; i < 64; i++) {
		vm_meminfo_mib(&total, &avail);
		if (avail <= total * TARGET_PCT / 100)
			break;
		hog_cmd(h, "grow 2");
	}
}

static void stop_cli(GPid pid)
{
	int status;

	g_assert_cmpint(kill(pid, SIGINT), ==, 0);
	g_assert_true(vm_wait_child(pid, WAIT_MS, &status));
	g_spawn_close_pid(pid);
	g_assert_true(WIFEXITED(status));
	g_assert_cmpint(WEXITSTATUS(status), ==, 0);
}

/* --kernel: status, then watch while a hog raises the level and lets go. */
static void test_kernel(void)
{
	char *status_argv[] = { (char *)g_getenv("OOMN_CLI"), "--kernel", "--json", "status",
				NULL };
	char *watch_argv[] = { (char *)g_getenv("OOMN_CLI"), "--kernel", "--json", "watch", NULL };
	g_autofree char *out = NULL, *err = NULL, *notice = NULL, *state = NULL, *low = NULL;
	g_autofree char *normal = NULL, *seq = NULL, *want_seq = NULL;
	Hog h;
	GPid pid;
	int fd, status;

	if (!in_vm())
		return;
	g_assert_nonnull(status_argv[0]);
	g_assert_true(g_spawn_sync(NULL, status_argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
				   &status, NULL));
	g_assert_true(WIFEXITED(status));
	g_assert_cmpint(WEXITSTATUS(status), ==, 0);
	assert_field(out, "level", "normal");
	assert_field(out, "source", "kernel");
	g_assert_nonnull(strstr(out, "\"thresholds\":{\"mem_low\":200,"));

	pid = vm_spawn(watch_argv, NULL, NULL, NULL, &fd);
	notice = vm_read_line(fd, WAIT_MS);
	g_assert_nonnull(notice);
	assert_field(notice, "event", "state");
	state = vm_read_line(fd, WAIT_MS);
	g_assert_nonnull(state);
	assert_field(state, "level", "normal");
	seq = json_field(state, "pressure_seq");
	g_assert_nonnull(seq);

	hog_to_low(&h);
	low = next_event(fd, "pressure");
	g_assert_nonnull(low);
	g_test_message("%s", low);
	assert_field(low, "level", "low");
	assert_field(low, "prev_level", "normal");
	/* pushed once, with the next sequence number */
	want_seq = g_strdup_printf("%" G_GUINT64_FORMAT, g_ascii_strtoull(seq, NULL, 10) + 1);
	assert_field(low, "pressure_seq", want_seq);

	hog_stop(&h);
	normal = next_level(fd, "normal");
	assert_field(normal, "prev_level", "low");

	stop_cli(pid);
	close(fd);
}

typedef struct {
	char *tmpdir, *address, *cgroup;
	GPid bus_pid, broker_pid;
	GDBusConnection *conn;
} Bed;

static void bed_start(Bed *b)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *conf = NULL, *text = NULL, *arg = NULL, *line = NULL;
	const char *policy = g_getenv("OOMN_BUS_POLICY");
	gint64 end;
	int out;

	g_assert_nonnull(policy);
	b->tmpdir = g_dir_make_tmp("oomn-cli-vm-XXXXXX", &error);
	g_assert_no_error(error);
	b->address = g_strdup_printf("unix:path=%s/bus", b->tmpdir);
	conf = g_build_filename(b->tmpdir, "bus.conf", NULL);
	text = g_strdup_printf("<busconfig>\n  <type>system</type>\n"
			       "  <listen>unix:path=%s/bus</listen>\n  <auth>EXTERNAL</auth>\n"
			       "  <include>%s</include>\n</busconfig>\n",
			       b->tmpdir, policy);
	g_assert_true(g_file_set_contents(conf, text, -1, NULL));
	arg = g_strdup_printf("--config-file=%s", conf);
	{
		char *argv[] = { "dbus-daemon", arg, "--nofork", "--print-address=1", NULL };

		b->bus_pid = vm_spawn(argv, NULL, NULL, NULL, &out);
	}
	/* it prints its address once it listens */
	line = vm_read_line(out, WAIT_MS);
	g_assert_nonnull(line);
	close(out);

	b->conn = g_dbus_connection_new_for_address_sync(
		b->address,
		G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
			G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
		NULL, NULL, &error);
	g_assert_no_error(error);
	{
		char *argv[] = { (char *)g_getenv("OOMN_BROKER"),
				 "--bus-address",
				 b->address,
				 "--source",
				 "kernel",
				 "--no-mlock",
				 NULL };

		g_assert_nonnull(argv[0]);
		b->broker_pid = vm_spawn(argv, NULL, NULL, NULL, NULL);
	}
	end = g_get_monotonic_time() + (gint64)WAIT_MS * 1000;
	for (;;) {
		g_autoptr(GVariant) r = g_dbus_connection_call_sync(
			b->conn, "org.freedesktop.DBus", "/org/freedesktop/DBus",
			"org.freedesktop.DBus", "NameHasOwner", g_variant_new("(s)", BROKER_NAME),
			G_VARIANT_TYPE("(b)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);
		gboolean has = FALSE;

		if (r)
			g_variant_get(r, "(b)", &has);
		if (has)
			break;
		g_assert_cmpint(g_get_monotonic_time(), <, end);
		g_usleep(20000);
	}
}

static void bed_stop(Bed *b)
{
	g_autofree char *rm = NULL;
	int status;

	g_dbus_connection_close_sync(b->conn, NULL, NULL);
	g_clear_object(&b->conn);
	/* the broker stops cleanly: nothing crashed it */
	g_assert_cmpint(kill(b->broker_pid, SIGTERM), ==, 0);
	g_assert_true(vm_wait_child(b->broker_pid, WAIT_MS, &status));
	g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	(void)kill(b->bus_pid, SIGTERM);
	(void)vm_wait_child(b->bus_pid, WAIT_MS, &status);
	if (b->cgroup)
		(void)g_rmdir(b->cgroup);
	rm = g_strdup_printf("rm -rf %s", b->tmpdir);
	(void)vm_run(rm);
	g_free(b->cgroup);
	g_free(b->tmpdir);
	g_free(b->address);
}

/* cgroupfs wants one write() */
static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpint(write(fd, text, strlen(text)), ==, (ssize_t)strlen(text));
	close(fd);
}

/* The default mode: module -> oom-notifyd -> bus -> oom-notify. */
static void test_broker(void)
{
	Bed b = { 0 };
	g_autofree char *state = NULL, *low = NULL, *normal = NULL, *oom = NULL, *out = NULL;
	g_autofree char *procs = NULL, *max = NULL, *want_pid = NULL, *want_cg = NULL;
	g_autofree char *anon = NULL, *text = NULL;
	Hog h;
	GPid pid;
	pid_t hog;
	int fd, status;

	if (!in_vm())
		return;
	bed_start(&b);
	{
		char *argv[] = { (char *)g_getenv("OOMN_CLI"),
				 "--bus-address",
				 b.address,
				 "--json",
				 "watch",
				 NULL };

		pid = vm_spawn(argv, NULL, NULL, NULL, &fd);
	}
	state = next_event(fd, "state");
	g_assert_nonnull(state);
	assert_field(state, "level", "normal");
	assert_field(state, "source", "kernel");

	/* real pressure */
	hog_to_low(&h);
	low = next_event(fd, "pressure");
	g_assert_nonnull(low);
	g_test_message("%s", low);
	assert_field(low, "level", "low");
	assert_field(low, "prev_level", "normal");
	assert_field(low, "signal_seq", "1");
	assert_field(low, "source", "kernel");
	hog_stop(&h);
	normal = next_level(fd, "normal");

	/* a real kernel OOM kill in a cgroup */
	b.cgroup = g_strdup_printf("/sys/fs/cgroup/oomn-cli-%d", getpid());
	write_file("/sys/fs/cgroup/cgroup.subtree_control", "+memory");
	g_assert_cmpint(g_mkdir(b.cgroup, 0755), ==, 0);
	max = g_build_filename(b.cgroup, "memory.max", NULL);
	write_file(max, "32M");
	procs = g_build_filename(b.cgroup, "cgroup.procs", NULL);
	hog = hog_spawn_in_cgroup(procs, "4");
	g_assert_true(vm_wait_child(hog, WAIT_MS, &status));
	g_assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	oom = next_event(fd, "oom-kill");
	g_assert_nonnull(oom);
	g_test_message("%s", oom);
	want_pid = g_strdup_printf("%d", (int)hog);
	assert_field(oom, "pid", want_pid);
	assert_field(oom, "comm", "oomn-hog");
	assert_field(oom, "uid", "0");
	want_cg = g_strdup_printf("/oomn-cli-%d", getpid());
	assert_field(oom, "cgroup", want_cg);
	anon = json_field(oom, "anon_rss");
	g_assert_cmpuint(g_ascii_strtoull(anon, NULL, 10), >, 16u << 20);
	stop_cli(pid);
	close(fd);

	/* and status, for people */
	{
		char *argv[] = { (char *)g_getenv("OOMN_CLI"), "--bus-address", b.address, "status",
				 NULL };

		g_assert_true(g_spawn_sync(NULL, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &text,
					   NULL, &status, NULL));
	}
	g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	g_assert_nonnull(strstr(text, "source:         kernel (through oom-notifyd)\n"));
	bed_stop(&b);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/cli/vm/kernel", test_kernel);
	g_test_add_func("/cli/vm/broker", test_broker);
	return g_test_run();
}
