/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * OomnSource against a real kernel, inside the VM test bed (run-vm.sh, root,
 * the module loaded, psi=1, no swap): the kernel source under real pressure
 * from oomn-hog ($OOMN_HOG), the switch to psi and back when the module is
 * unloaded and loaded ($OOMN_MODULE), the psi source's real triggers and a
 * memory-limited cgroup's OOM kill seen through memory.events.
 */
#include <grp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include "vm-helpers.h"
#include "../core/source-fixture.h"
#include "oomn-meminfo.h"
#include "oomn-source-internal.h" /* the overflow test shrinks the socket */

#define MS  1000ULL
#define MIB ((guint64)1 << 20)

static gboolean system_level_is(SourceFixture *f, gconstpointer level)
{
	for (guint i = f->pressure->len; i > 0; i--) {
		if (*(char *)g_ptr_array_index(f->pressure_cgroup, i - 1))
			continue;
		return sf_pressure(f, i - 1)->level ==
		       (enum oom_notify_level)GPOINTER_TO_UINT(level);
	}
	return FALSE;
}

/*
 * Grows the hog 4 MiB at a time until the source says critical, stopping
 * well before the kernel's own OOM killer; then lets it go and waits for
 * normal. Returns the number of system pressures reported while rising.
 */
static guint ramp(SourceFixture *f, enum oomn_source_kind kind)
{
	struct oomn_meminfo mi;
	guint rising;
	Hog h;

	hog_start(&h);
	while (!system_level_is(f, GUINT_TO_POINTER(OOM_NOTIFY_LEVEL_CRITICAL))) {
		g_assert_cmpint(oomn_meminfo_read(NULL, &mi), ==, 0);
		if (mi.mem_available < mi.mem_total / 20) {
			/* deep in critical territory: whatever wakes the source
			 * (trigger or timer) must have spoken within a few s */
			g_assert_true(sf_run_until(f, system_level_is,
						   GUINT_TO_POINTER(OOM_NOTIFY_LEVEL_CRITICAL),
						   10000 * MS));
			break;
		}
		hog_cmd(&h, "grow 4");
		(void)sf_run_until(f, sf_pressures_at_least, GUINT_TO_POINTER(f->pressure->len + 1),
				   20 * MS);
	}
	rising = f->pressure->len;
	for (guint i = 0; i < rising; i++) {
		const struct oomn_pressure *p = sf_pressure(f, i);

		g_assert_cmpint(p->source, ==, kind);
		g_assert_cmpint(p->level, >, p->prev_level);
		g_assert_cmpuint(p->swap_total, ==, 0);
		g_assert_cmpuint(p->mem_total, ==, mi.mem_total);
		if (i > 0)
			g_assert_cmpint(p->prev_level, ==, sf_pressure(f, i - 1)->level);
	}
	hog_stop(&h);
	g_assert_true(sf_run_until(f, system_level_is, GUINT_TO_POINTER(OOM_NOTIFY_LEVEL_NORMAL),
				   60000 * MS));
	return rising;
}

static struct oomn_source_config vm_config(enum oomn_source_kind force)
{
	struct oomn_source_config cfg = { .force = force, .want_oom = true };

	oom_notify_thresholds_default(&cfg.thresholds);
	return cfg;
}

/* The module's own events, numbered by it, one per step. */
static void test_kernel_pressure(SourceFixture *f, gconstpointer data)
{
	struct oomn_source_config cfg = vm_config(OOMN_SOURCE_NONE);
	uint64_t seq0;
	guint rising;

	g_assert_cmpint(oomn_source_new(&f->s, f->e, &cfg, &sf_handlers, f), ==, 0);
	g_assert_cmpint(oomn_source_kind(f->s), ==, OOMN_SOURCE_KERNEL);
	g_assert_cmpint(oomn_source_current(f->s)->level, ==, OOM_NOTIFY_LEVEL_NORMAL);
	g_assert_cmpuint(oomn_source_current(f->s)->mem_total, >, 0);
	seq0 = oomn_source_current(f->s)->pressure_seq;
	g_assert_true(sf_run_until(f, sf_sources_at_least, GUINT_TO_POINTER(1), 5000 * MS));
	g_assert_cmpint(g_array_index(f->source_kind, enum oomn_source_kind, 0), ==,
			OOMN_SOURCE_KERNEL);

	rising = ramp(f, OOMN_SOURCE_KERNEL);
	g_assert_cmpuint(rising, ==, 3);
	for (guint i = 0; i < f->pressure->len; i++) {
		g_assert_cmpuint(sf_pressure(f, i)->pressure_seq, ==, seq0 + i + 1);
		g_assert_false(sf_pressure(f, i)->resync);
	}
	g_assert_cmpuint(f->warnings->len, ==, 0);
	g_assert_cmpuint(f->source_kind->len, ==, 1);
}

/* rmmod: kernel -> psi, with a resync; insmod: psi -> kernel, resync. */
static void test_kernel_reload(SourceFixture *f, gconstpointer data)
{
	struct oomn_source_config cfg = vm_config(OOMN_SOURCE_NONE);
	g_autofree char *insmod = g_strdup_printf("insmod %s", g_getenv("OOMN_MODULE"));
	const struct oomn_pressure *p;

	g_assert_cmpint(oomn_source_new(&f->s, f->e, &cfg, &sf_handlers, f), ==, 0);
	g_assert_cmpint(oomn_source_kind(f->s), ==, OOMN_SOURCE_KERNEL);
	g_assert_true(sf_run_until(f, sf_sources_at_least, GUINT_TO_POINTER(1), 5000 * MS));

	g_assert_cmpint(vm_run("rmmod oom_notify"), ==, 0);
	g_assert_true(sf_run_until(f, sf_sources_at_least, GUINT_TO_POINTER(2), 10000 * MS));
	g_assert_cmpint(g_array_index(f->source_kind, enum oomn_source_kind, 1), ==,
			OOMN_SOURCE_PSI);
	g_assert_nonnull(strstr(g_ptr_array_index(f->source_why, 1), "unloaded"));
	g_assert_cmpint(oomn_source_kind(f->s), ==, OOMN_SOURCE_PSI);
	g_assert_cmpuint(f->pressure->len, ==, 1);
	p = sf_pressure(f, 0);
	g_assert_true(p->resync);
	g_assert_cmpint(p->source, ==, OOMN_SOURCE_PSI);
	g_assert_cmpint(p->level, ==, OOM_NOTIFY_LEVEL_NORMAL);

	g_assert_cmpint(vm_run(insmod), ==, 0);
	g_assert_true(sf_run_until(f, sf_sources_at_least, GUINT_TO_POINTER(3), 10000 * MS));
	g_assert_cmpint(g_array_index(f->source_kind, enum oomn_source_kind, 2), ==,
			OOMN_SOURCE_KERNEL);
	g_assert_cmpint(oomn_source_kind(f->s), ==, OOMN_SOURCE_KERNEL);
	g_assert_cmpuint(f->pressure->len, ==, 2);
	p = sf_pressure(f, 1);
	g_assert_true(p->resync);
	g_assert_cmpint(p->source, ==, OOMN_SOURCE_KERNEL);
	g_assert_cmpuint(p->pressure_seq, ==, 0); /* a new module instance */

	/* and the module's events flow again */
	{
		OomnGenl *g = NULL;
		struct oomn_thresholds_update u = { 0 };

		g_assert_cmpint(oomn_genl_new(&g), ==, 0);
		oomn_thresholds_update_set(&u, OOM_NOTIFY_T_MEM_LOW, 999);
		g_assert_cmpint(oomn_genl_set_thresholds(g, &u, NULL), ==, 0);
		g_assert_true(
			sf_run_until(f, sf_pressures_at_least, GUINT_TO_POINTER(3), 10000 * MS));
		g_assert_cmpint(sf_pressure(f, 2)->level, ==, OOM_NOTIFY_LEVEL_LOW);
		g_assert_cmpuint(sf_pressure(f, 2)->pressure_seq, ==, 1);
		g_assert_false(sf_pressure(f, 2)->resync);
		oom_notify_thresholds_default(&u.t);
		g_assert_cmpint(oomn_genl_set_thresholds(g, &u, NULL), ==, 0);
		oomn_genl_free(g);
	}
}

/* Without CAP_SYS_ADMIN the "oom" group is refused: a warning, and the
 * kernel source carries on with pressure alone. */
static void test_kernel_unprivileged(SourceFixture *f, gconstpointer data)
{
	int pfd[2], status, res[4];
	pid_t pid;

	g_assert_cmpint(pipe(pfd), ==, 0);
	pid = fork();
	g_assert_cmpint(pid, >=, 0);
	if (pid == 0) {
		struct oomn_source_config cfg = vm_config(OOMN_SOURCE_NONE);
		sd_event *e = NULL;

		if (setgroups(0, NULL) || setgid(65534) || setuid(65534))
			_exit(99);
		/* an sd_event belongs to the process that made it */
		if (sd_event_new(&e) < 0)
			_exit(94);
		res[0] = oomn_source_new(&f->s, e, &cfg, &sf_handlers, f);
		res[1] = f->s ? (int)oomn_source_kind(f->s) : -1;
		res[2] = sf_warned(f, "CAP_SYS_ADMIN");
		res[3] = f->s ? oomn_source_refresh(f->s) : -99;
		if (write(pfd[1], res, sizeof(res)) != sizeof(res))
			_exit(98);
		_exit(0);
	}
	close(pfd[1]);
	g_assert_cmpint(read(pfd[0], res, sizeof(res)), ==, sizeof(res));
	close(pfd[0]);
	g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
	g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	g_assert_cmpint(res[0], ==, 0);
	g_assert_cmpint(res[1], ==, OOMN_SOURCE_KERNEL);
	g_assert_true(res[2]);
	g_assert_cmpint(res[3], ==, 0);
}

static gboolean resynced(SourceFixture *f, gconstpointer data)
{
	for (guint i = 0; i < f->pressure->len; i++)
		if (sf_pressure(f, i)->resync)
			return TRUE;
	return FALSE;
}

/* Events lost to a full socket: a warning and a resync from GET_STATE. */
static void test_kernel_overflow(SourceFixture *f, gconstpointer data)
{
	struct oomn_source_config cfg = vm_config(OOMN_SOURCE_NONE);
	struct oomn_thresholds_update low = { 0 }, def = { 0 };
	const struct oomn_pressure *last;
	struct oomn_state st;
	OomnGenl *g = NULL;
	int rcvbuf = 1;

	g_assert_cmpint(oomn_source_new(&f->s, f->e, &cfg, &sf_handlers, f), ==, 0);
	g_assert_cmpint(oomn_source_kind(f->s), ==, OOMN_SOURCE_KERNEL);
	g_assert_true(sf_run_until(f, sf_sources_at_least, GUINT_TO_POINTER(1), 5000 * MS));
	/* the smallest receive buffer the kernel allows: a few events */
	g_assert_cmpint(setsockopt(oomn_genl_event_fd(f->s->genl), SOL_SOCKET, SO_RCVBUF, &rcvbuf,
				   sizeof(rcvbuf)),
			==, 0);

	g_assert_cmpint(oomn_genl_new(&g), ==, 0);
	oomn_thresholds_update_set(&low, OOM_NOTIFY_T_MEM_LOW, 999);
	oom_notify_thresholds_default(&def.t);
	oomn_thresholds_update_set(&def, OOM_NOTIFY_T_MEM_LOW, def.t.mem[OOM_NOTIFY_LEVEL_LOW]);
	/* each a level change, each multicast; nobody reads meanwhile */
	for (int i = 0; i < 64; i++) {
		g_assert_cmpint(oomn_genl_set_thresholds(g, &low, NULL), ==, 0);
		g_assert_cmpint(oomn_genl_set_thresholds(g, &def, NULL), ==, 0);
	}
	g_assert_true(sf_run_until(f, resynced, NULL, 10000 * MS));
	g_assert_true(sf_warned(f, "lost"));
	(void)sf_run_until(f, sf_pressures_at_least, GUINT_TO_POINTER(1000), 200 * MS);

	g_assert_cmpint(oomn_genl_get_state(g, &st), ==, 0);
	last = oomn_source_current(f->s);
	g_assert_cmpint(last->level, ==, OOM_NOTIFY_LEVEL_NORMAL);
	g_assert_cmpint(last->level, ==, st.level);
	g_assert_cmpuint(last->pressure_seq, ==, st.pressure_seq);
	g_assert_cmpuint(f->pressure->len, <, 128);
	g_test_message("%u of 128 events reported, %u warnings", f->pressure->len,
		       f->warnings->len);
	oomn_genl_free(g);
}

/* psi forced: real triggers armed; real pressure reported. */
static void test_psi_pressure(SourceFixture *f, gconstpointer data)
{
	struct oomn_source_config cfg = vm_config(OOMN_SOURCE_PSI);
	struct oomn_source_stats st;

	g_assert_cmpint(oomn_source_new(&f->s, f->e, &cfg, &sf_handlers, f), ==, 0);
	g_assert_cmpint(oomn_source_kind(f->s), ==, OOMN_SOURCE_PSI);
	/* the drift timer: 100 ms near a threshold, backing off to 300 ms */
	g_assert_cmpint(oomn_source_set_poll_intervals(f->s, 10 * MS, 100 * MS), ==, 0);
	g_assert_true(sf_run_until(f, sf_sources_at_least, GUINT_TO_POINTER(1), 5000 * MS));
	g_assert_cmpint(g_array_index(f->source_kind, enum oomn_source_kind, 0), ==,
			OOMN_SOURCE_PSI);

	g_assert_cmpuint(ramp(f, OOMN_SOURCE_PSI), >=, 1);
	oomn_source_get_stats(f->s, &st);
	g_test_message("psi: %" G_GUINT64_FORMAT " trigger wakeups, %" G_GUINT64_FORMAT
		       " timer wakeups, %" G_GUINT64_FORMAT " meminfo reads",
		       st.psi_events, st.timer_wakeups, st.meminfo_reads);
	for (guint i = 1; i < f->pressure->len; i++)
		g_assert_cmpuint(sf_pressure(f, i)->pressure_seq, ==, sf_pressure(f, i - 1)->pressure_seq + 1);
	g_assert_cmpuint(f->warnings->len, ==, 0);
}

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY);

	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpint(write(fd, text, strlen(text)), ==, (ssize_t)strlen(text));
	close(fd);
}

static gboolean cgroup_pressure_seen(SourceFixture *f, gconstpointer name)
{
	for (guint i = 0; i < f->pressure->len; i++)
		if (g_str_equal(g_ptr_array_index(f->pressure_cgroup, i), name))
			return TRUE;
	return FALSE;
}

/* A memory-limited cgroup: its stalls and limit hits, then its OOM kill. */
static void test_psi_cgroup(SourceFixture *f, gconstpointer data)
{
	g_autofree char *name = g_strdup_printf("oomn-source-%d", (int)getpid());
	g_autofree char *cgpath = g_strdup_printf("/%s", name);
	g_autofree char *cg = g_strdup_printf("/sys/fs/cgroup/%s", name);
	g_autofree char *procs = g_build_filename(cg, "cgroup.procs", NULL);
	g_autofree char *swap_max = g_build_filename(cg, "memory.swap.max", NULL);
	g_autofree char *high = g_build_filename(cg, "memory.high", NULL);
	g_autofree char *max = g_build_filename(cg, "memory.max", NULL);
	char *cgroups[] = { name, NULL };
	struct oomn_source_config cfg = vm_config(OOMN_SOURCE_PSI);
	const struct oomn_oom_event *ev;
	struct oomn_source_stats st;
	int status;
	pid_t pid;

	write_file("/sys/fs/cgroup/cgroup.subtree_control", "+memory");
	g_assert_cmpint(mkdir(cg, 0755), ==, 0);
	write_file(high, "24M");
	write_file(max, "32M");
	if (g_file_test(swap_max, G_FILE_TEST_EXISTS))
		write_file(swap_max, "0");

	cfg.cgroups = cgroups;
	g_assert_cmpint(oomn_source_new(&f->s, f->e, &cfg, &sf_handlers, f), ==, 0);
	g_assert_cmpint(oomn_source_kind(f->s), ==, OOMN_SOURCE_PSI);

	pid = hog_spawn_in_cgroup(procs, "2");

	g_assert_true(sf_run_until(f, sf_ooms_at_least, GUINT_TO_POINTER(1), 120000 * MS));
	g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
	g_assert_true(WIFSIGNALED(status));
	g_assert_cmpint(WTERMSIG(status), ==, SIGKILL);

	ev = &g_array_index(f->oom, struct oomn_oom_event, 0);
	g_assert_cmpuint(ev->pid, ==, 0); /* memory.events does not say who */
	g_assert_cmpstr(g_ptr_array_index(f->oom_cgroup, 0), ==, cgpath);
	g_assert_cmpstr(ev->cgroup, ==, cgpath);
	g_assert_cmpuint(ev->oom_seq, ==, 1);

	/* on its way to the kill it crossed memory.high and hit memory.max */
	g_assert_true(cgroup_pressure_seen(f, cgpath));
	for (guint i = 0; i < f->pressure->len; i++) {
		if (!g_str_equal(g_ptr_array_index(f->pressure_cgroup, i), cgpath))
			continue;
		g_assert_cmpint(sf_pressure(f, i)->source, ==, OOMN_SOURCE_PSI);
		g_assert_cmpint(sf_pressure(f, i)->level, >, OOM_NOTIFY_LEVEL_NORMAL);
	}
	oomn_source_get_stats(f->s, &st);
	g_test_message("cgroup: %" G_GUINT64_FORMAT " PSI trigger wakeups", st.psi_events);
	/* throttled at memory.high, it stalled: the triggers fired */
	g_assert_cmpuint(st.psi_events, >, 0);

	f->s = oomn_source_free(f->s);
	g_assert_cmpint(rmdir(cg), ==, 0);
}

/* Without the module, the best source is psi, and it says why. */
static void test_select_psi(SourceFixture *f, gconstpointer data)
{
	struct oomn_source_config cfg = vm_config(OOMN_SOURCE_NONE);

	g_assert_cmpint(oomn_source_new(&f->s, f->e, &cfg, &sf_handlers, f), ==, 0);
	g_assert_cmpint(oomn_source_kind(f->s), ==, OOMN_SOURCE_PSI);
	g_assert_true(sf_run_until(f, sf_sources_at_least, GUINT_TO_POINTER(1), 5000 * MS));
	g_assert_cmpint(g_array_index(f->source_kind, enum oomn_source_kind, 0), ==,
			OOMN_SOURCE_PSI);
	g_assert_cmpstr(g_ptr_array_index(f->source_why, 0), ==,
			"oom_notify module not loaded; PSI triggers armed");
	f->s = oomn_source_free(f->s);

	cfg.force = OOMN_SOURCE_KERNEL;
	g_assert_cmpint(oomn_source_new(&f->s, f->e, &cfg, &sf_handlers, f), ==, -ENOENT);
	g_assert_true(sf_warned(f, "kernel source forced but unavailable"));
}

int main(int argc, char **argv)
{
	gboolean module;

	g_test_init(&argc, &argv, NULL);

	if (getuid() != 0 || !g_getenv("OOMN_HOG") || !g_getenv("OOMN_VM")) {
		g_test_skip("needs root and oomn-hog in the VM (run under tests/vm/run-vm.sh)");
		return g_test_run();
	}
	/* with the module: every test; without: the psi source alone */
	module = g_getenv("OOMN_MODULE") && access("/sys/module/oom_notify", F_OK) == 0;

#define ADD(path, fn) g_test_add(path, SourceFixture, NULL, sf_setup, fn, sf_teardown)
	if (module) {
		ADD("/source-vm/kernel/pressure", test_kernel_pressure);
		ADD("/source-vm/kernel/unprivileged", test_kernel_unprivileged);
		ADD("/source-vm/kernel/overflow", test_kernel_overflow);
		/* it reloads the module */
		ADD("/source-vm/kernel/reload", test_kernel_reload);
	} else {
		ADD("/source-vm/select/psi", test_select_psi);
	}
	ADD("/source-vm/psi/pressure", test_psi_pressure);
	ADD("/source-vm/psi/cgroup-oom", test_psi_cgroup);
	return g_test_run();
}
