/* SPDX-License-Identifier: GPL-2.0-only */
/* /proc/PID file parsers on hostile input. */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>

#include "fake-proc.h"
#include "procfs.h"

static int parse_stat(const char *s, ProcStat *st)
{
	return procfs_parse_stat(s, strlen(s), st);
}

static void test_stat(void)
{
	ProcStat st;

	g_assert_cmpint(parse_stat("42 (bash) S 7 42 42 34816 50 4194560 10 0 0 0 3 4 0 0 20 0 1 0 "
				   "12345 100000 200 18446744073709551615\n",
				   &st),
			==, 0);
	g_assert_cmpint(st.pid, ==, 42);
	g_assert_cmpint(st.ppid, ==, 7);
	g_assert_cmpint(st.state, ==, 'S');
	g_assert_cmpuint(st.flags, ==, 4194560);
	g_assert_cmpuint(st.starttime, ==, 12345);
	g_assert_cmpstr(st.comm, ==, "bash");

	/* a comm with spaces and parentheses ends at the last ')' */
	g_assert_cmpint(
		parse_stat("43 (a) b (c)) R 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 99 0 0\n", &st),
		==, 0);
	g_assert_cmpstr(st.comm, ==, "a) b (c)");
	g_assert_cmpint(st.state, ==, 'R');
	g_assert_cmpuint(st.starttime, ==, 99);

	/* kernel thread */
	g_assert_cmpint(parse_stat("2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 20 0 1 0 1 0 "
				   "0\n",
				   &st),
			==, 0);
	g_assert_true(st.flags & PROCFS_PF_KTHREAD);
	g_assert_cmpint(st.ppid, ==, 0);
}

static void test_stat_malformed(void)
{
	static const char *const bad[] = {
		"",
		"42",
		"42 (bash",
		"42 bash) S 1",
		"(bash) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0\n",
		"0 (x) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0\n",
		"42 (bash) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0", /* truncated before starttime */
		"42 (bash) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0",
		"42 (bash) S x 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0\n",
		"42 (bash) SS 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0\n",
		"42 (bash)S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0\n",
		"42 (bash) S 1 1 1 0 -1 -5 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0\n",
		"42 (bash) S 1 1 1 0 -1 99999999999 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0\n",
		"42 (bash) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 99999999999999999999999 0 0\n",
		"42  (bash) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0\n",
		"42 (aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa) S 1 1 "
		"1 "
		"0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0\n",
	};
	ProcStat st;

	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_test_message("%s", bad[i]);
		g_assert_cmpint(parse_stat(bad[i], &st), ==, -EBADMSG);
	}
	/* an embedded NUL */
	g_assert_cmpint(
		procfs_parse_stat("42 (a\0b) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0\n", 52,
				  &st),
		==, -EBADMSG);
}

static void test_status(void)
{
	ProcStatus st;

	g_assert_cmpint(procfs_parse_status("Name:\tx\nUid:\t1000\t0\t0\t0\nVmRSS:\t  2048 kB\n"
					    "VmPTE:\t 16 kB\nVmSwap:\t 100 kB\n",
					    &st),
			==, 0);
	g_assert_cmpuint(st.uid, ==, 1000);
	g_assert_true(st.has_mm);
	g_assert_cmpuint(st.rss_kb, ==, 2048);
	g_assert_cmpuint(st.pte_kb, ==, 16);
	g_assert_cmpuint(st.swap_kb, ==, 100);

	g_assert_cmpint(procfs_parse_status("Name:\tkworker\nUid:\t0\t0\t0\t0\n", &st), ==, 0);
	g_assert_false(st.has_mm);
	g_assert_cmpint(procfs_parse_status("Name:\tx\n", &st), ==, -EBADMSG);
	g_assert_cmpint(procfs_parse_status("Uid:\tx\n", &st), ==, -EBADMSG);
	g_assert_cmpint(procfs_parse_status("Uid:\t1\nVmRSS:\t12\n", &st), ==, -EBADMSG);
	g_assert_cmpint(procfs_parse_status("Uid:\t1\nVmRSS:\t-12 kB\n", &st), ==, -EBADMSG);
	g_assert_cmpint(procfs_parse_status("Uid:\t1\nVmSwap:\t1 MB\n", &st), ==, -EBADMSG);
}

static void test_files(void)
{
	g_autofree char *root = fake_proc_new(1000000, 0);
	g_autofree char *dir = NULL;
	char *s = NULL;
	uint64_t total;
	int fd, pfd, adj;

	fake_proc_add(root, &(FakeProc){ .pid = 10,
					 .comm = "app",
					 .rss_kb = 100,
					 .adj = 500,
					 .cmdline = "/usr/bin/app\n--x\n\ny",
					 .cgroup = "/a.slice/b.service",
					 .exe = "/usr/bin/app (deleted)" });
	pfd = open(root, O_RDONLY | O_DIRECTORY);
	g_assert_cmpint(pfd, >=, 0);
	g_assert_cmpint(procfs_read_total_kb(pfd, &total), ==, 0);
	g_assert_cmpuint(total, ==, 1000000);
	fd = openat(pfd, "10", O_RDONLY | O_DIRECTORY);
	g_assert_cmpint(fd, >=, 0);

	g_assert_cmpint(procfs_read_oom_score_adj(fd, &adj), ==, 0);
	g_assert_cmpint(adj, ==, 500);
	g_assert_cmpint(procfs_read_cmdline(fd, &s), ==, 0);
	g_assert_cmpstr(s, ==, "/usr/bin/app --x  y");
	g_free(s);
	g_assert_cmpint(procfs_read_cgroup(fd, &s), ==, 0);
	g_assert_cmpstr(s, ==, "/a.slice/b.service");
	g_free(s);
	g_assert_cmpint(procfs_read_exe(fd, &s), ==, 0);
	g_assert_cmpstr(s, ==, "/usr/bin/app");
	g_free(s);

	dir = g_build_filename(root, "10", NULL);
	fake_write(dir, "oom_score_adj", "1001\n", -1);
	g_assert_cmpint(procfs_read_oom_score_adj(fd, &adj), ==, -EBADMSG);
	fake_write(dir, "oom_score_adj", "", -1);
	g_assert_cmpint(procfs_read_oom_score_adj(fd, &adj), ==, -EBADMSG);
	fake_write(dir, "oom_score_adj", "12345678901234567890123456789012345678901234567890", -1);
	g_assert_cmpint(procfs_read_oom_score_adj(fd, &adj), ==, -EBADMSG);
	fake_write(dir, "cgroup", "1:name=systemd:/x\n", -1);
	g_assert_cmpint(procfs_read_cgroup(fd, &s), ==, -ENODATA);
	fake_write(dir, "cgroup", "0::relative\n", -1);
	g_assert_cmpint(procfs_read_cgroup(fd, &s), ==, -EBADMSG);
	fake_write(dir, "cgroup", "12:memory:/x\n0::/y\n", -1);
	g_assert_cmpint(procfs_read_cgroup(fd, &s), ==, 0);
	g_assert_cmpstr(s, ==, "/y");
	g_free(s);

	/* a vanished file reads as a vanished process */
	g_assert_cmpint(unlinkat(fd, "status", 0), ==, 0);
	ProcStatus st;
	g_assert_cmpint(procfs_read_status(fd, &st), ==, -ESRCH);

	close(fd);
	close(pfd);
	fake_rm_rf(root);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/killer/procfs/stat", test_stat);
	g_test_add_func("/killer/procfs/stat-malformed", test_stat_malformed);
	g_test_add_func("/killer/procfs/status", test_status);
	g_test_add_func("/killer/procfs/files", test_files);
	return g_test_run();
}
