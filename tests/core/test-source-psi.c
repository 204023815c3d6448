/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The psi source's fallback. The development machine's /proc/pressure is
 * readable but refuses triggers (EINVAL): the source must fall back to
 * meminfo and say why. Where a kernel accepts triggers, that case skips;
 * tests/kernel/test-source-vm.c covers real triggers.
 */
#include "source-fixture.h"

#define MS 1000ULL

/* What this kernel says to a trigger: 0 when it takes one, else -errno. */
static int host_trigger_errno(void)
{
	static const char trig[] = "some 50000 1000000";
	int fd = open("/proc/pressure/memory", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	int r = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, trig, sizeof(trig)) < 0)
		r = -errno;
	close(fd);
	return r;
}

/* The host's real /proc: refused triggers lead to meminfo, with the reason. */
static void test_fallback_host(SourceFixture *f, gconstpointer data)
{
	struct oomn_source_config cfg = sf_config(f, OOMN_SOURCE_NONE);
	const char *why;
	int r = host_trigger_errno();

	if (access("/sys/module/oom_notify", F_OK) == 0) {
		g_test_skip("the oom_notify module is loaded: the kernel source wins");
		return;
	}
	if (r == 0) {
		g_test_skip("this kernel accepts PSI triggers");
		return;
	}
	g_test_message("this kernel refuses PSI triggers: %s", g_strerror(-r));

	cfg.proc_root = NULL; /* the real one */
	g_assert_cmpint(oomn_source_new(&f->s, f->e, &cfg, &sf_handlers, f), ==, 0);
	g_assert_cmpint(oomn_source_kind(f->s), ==, OOMN_SOURCE_MEMINFO);
	g_assert_true(sf_run_until(f, sf_sources_at_least, GUINT_TO_POINTER(1), 5000 * MS));
	g_assert_cmpint(g_array_index(f->source_kind, enum oomn_source_kind, 0), ==,
			OOMN_SOURCE_MEMINFO);
	why = g_ptr_array_index(f->source_why, 0);
	g_assert_nonnull(strstr(why, "refused PSI trigger \"some 50000 1000000\""));
	g_assert_nonnull(strstr(why, "/proc/pressure/memory"));
	g_assert_nonnull(strstr(why, g_strerror(-r)));
	g_assert_nonnull(strstr(why, "polling meminfo"));
	/* and it really works from the real meminfo */
	g_assert_cmpuint(oomn_source_current(f->s)->mem_total, >, 0);
	g_assert_cmpint(oomn_source_refresh(f->s), ==, 0);
	g_assert_cmpuint(f->warnings->len, ==, 0);
}

/* Forced psi where the kernel refuses triggers: a clear error, no fallback. */
static void test_forced_refused(SourceFixture *f, gconstpointer data)
{
	struct oomn_source_config cfg = sf_config(f, OOMN_SOURCE_PSI);
	int r = host_trigger_errno();

	if (r == 0) {
		g_test_skip("this kernel accepts PSI triggers");
		return;
	}
	cfg.proc_root = NULL;
	g_assert_cmpint(oomn_source_new(&f->s, f->e, &cfg, &sf_handlers, f), ==, r);
	g_assert_null(f->s);
	g_assert_cmpuint(f->warnings->len, ==, 1);
	g_assert_nonnull(
		strstr(g_ptr_array_index(f->warnings, 0), "psi source forced but unavailable"));
	g_assert_nonnull(strstr(g_ptr_array_index(f->warnings, 0), "refused PSI trigger"));
}

/* A pressure file that is not the kernel's (takes writes, cannot be
 * polled for EPOLLPRI): meminfo, and why. */
static void test_fallback_plain_file(SourceFixture *f, gconstpointer data)
{
	struct oomn_source_config cfg = sf_config(f, OOMN_SOURCE_NONE);
	g_autofree char *dir = g_build_filename(f->proc, "pressure", NULL);

	g_assert_cmpint(g_mkdir(dir, 0755), ==, 0);
	sf_write_proc(f, "pressure/memory", "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n");
	sf_write_meminfo(f, 1000000, 800000);
	g_assert_cmpint(oomn_source_new(&f->s, f->e, &cfg, &sf_handlers, f), ==, 0);
	g_assert_cmpint(oomn_source_kind(f->s), ==, OOMN_SOURCE_MEMINFO);
	g_assert_nonnull(strstr(oomn_source_why(f->s), "cannot watch"));
	g_assert_true(sf_run_until(f, sf_sources_at_least, GUINT_TO_POINTER(1), 5000 * MS));
	g_assert_cmpint(g_array_index(f->source_kind, enum oomn_source_kind, 0), ==,
			OOMN_SOURCE_MEMINFO);

	/* and the meminfo source does its job */
	g_assert_cmpint(oomn_source_set_poll_intervals(f->s, 1 * MS, 8 * MS), ==, 0);
	sf_write_meminfo(f, 1000000, 90000);
	g_assert_true(sf_run_until(f, sf_pressures_at_least, GUINT_TO_POINTER(1), 5000 * MS));
	g_assert_cmpint(sf_pressure(f, 0)->level, ==, OOM_NOTIFY_LEVEL_CRITICAL);
	g_assert_cmpint(sf_pressure(f, 0)->source, ==, OOMN_SOURCE_MEMINFO);
}

int main(int argc, char *argv[])
{
	g_test_init(&argc, &argv, NULL);

#define ADD(path, fn) g_test_add(path, SourceFixture, NULL, sf_setup, fn, sf_teardown)
	ADD("/source/psi/fallback/host", test_fallback_host);
	ADD("/source/psi/fallback/forced", test_forced_refused);
	ADD("/source/psi/fallback/plain-file", test_fallback_plain_file);
	return g_test_run();
}
