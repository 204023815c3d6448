/* SPDX-License-Identifier: GPL-2.0-only */
/* Builds fake /proc trees in a temporary directory for the killer's tests and benchmark. */
#pragma once

#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

typedef struct FakeProc {
	int pid;
	const char *comm;
	int ppid;		      /* 0: 1; -1: 0 */
	char state;		      /* 0: 'S' */
	unsigned flags;		      /* stat field 9 */
	unsigned long long starttime; /* 0: 100 + pid */
	unsigned uid;
	long rss_kb; /* < 0: no VmRSS line (no mm) */
	long swap_kb, pte_kb;
	int adj;
	const char
		*cmdline; /* arguments separated by '\n' here, written NUL-separated; NULL: comm */
	const char *cgroup;  /* NULL: "/user.slice" */
	const char *exe;     /* NULL: "/usr/bin/<comm>" ; "" none */
	unsigned long utime; /* changes the stat text */
} FakeProc;

/* Plain stdio, not g_file_set_contents(): that fsyncs, and the trees hold 60 000 files. */
static inline void fake_write(const char *dir, const char *name, const char *data, gssize len)
{
	g_autofree char *p = g_build_filename(dir, name, NULL);
	FILE *f = fopen(p, "we");

	g_assert_nonnull(f);
	if (len < 0)
		len = (gssize)strlen(data);
	g_assert_cmpuint(fwrite(data, 1, (size_t)len, f), ==, (size_t)len);
	g_assert_cmpint(fclose(f), ==, 0);
}

static inline void fake_proc_stat(const char *root, const FakeProc *fp)
{
	g_autofree char *dir = g_strdup_printf("%s/%d", root, fp->pid);
	g_autofree char *stat = g_strdup_printf(
		"%d (%s) %c %d %d %d 0 -1 %u 0 0 0 0 %lu 0 0 0 20 0 1 0 %llu 1000000 %ld "
		"18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n",
		fp->pid, fp->comm, fp->state ?: 'S', fp->ppid < 0 ? 0 : (fp->ppid ?: 1), fp->pid,
		fp->pid, fp->flags, fp->utime,
		fp->starttime ?: 100ull + (unsigned long long)fp->pid,
		fp->rss_kb > 0 ? fp->rss_kb / 4 : 0);

	fake_write(dir, "stat", stat, -1);
}

static inline void fake_proc_add(const char *root, const FakeProc *fp)
{
	g_autofree char *dir = g_strdup_printf("%s/%d", root, fp->pid);
	g_autofree char *status = NULL, *adj = NULL, *cg = NULL, *cmd = NULL, *exe = NULL;
	g_autofree char *exelink = NULL;
	gsize cmdlen;

	g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
	fake_proc_stat(root, fp);
	if (fp->rss_kb >= 0)
		status = g_strdup_printf("Name:\t%s\nState:\tS (sleeping)\nPid:\t%d\nPPid:\t%d\n"
					 "Uid:\t%u\t%u\t%u\t%u\nVmRSS:\t%8ld kB\nVmPTE:\t%8ld kB\n"
					 "VmSwap:\t%8ld kB\nThreads:\t1\n",
					 fp->comm, fp->pid, fp->ppid < 0 ? 0 : (fp->ppid ?: 1),
					 fp->uid, fp->uid, fp->uid, fp->uid, fp->rss_kb, fp->pte_kb,
					 fp->swap_kb);
	else
		status = g_strdup_printf("Name:\t%s\nState:\tS (sleeping)\nPid:\t%d\nPPid:\t%d\n"
					 "Uid:\t%u\t%u\t%u\t%u\nThreads:\t1\n",
					 fp->comm, fp->pid, fp->ppid < 0 ? 0 : (fp->ppid ?: 1),
					 fp->uid, fp->uid, fp->uid, fp->uid);
	fake_write(dir, "status", status, -1);
	adj = g_strdup_printf("%d\n", fp->adj);
	fake_write(dir, "oom_score_adj", adj, -1);
	cg = g_strdup_printf("0::%s\n", fp->cgroup ?: "/user.slice");
	fake_write(dir, "cgroup", cg, -1);
	cmd = g_strdup_printf("%s\n", fp->cmdline ?: fp->comm);
	cmdlen = strlen(cmd);
	if (fp->cmdline && !*fp->cmdline)
		cmdlen = 0;
	for (gsize i = 0; i < cmdlen; i++)
		if (cmd[i] == '\n')
			cmd[i] = 0;
	fake_write(dir, "cmdline", cmd, (gssize)cmdlen);
	exe = fp->exe ? g_strdup(fp->exe) : g_strdup_printf("/usr/bin/%s", fp->comm);
	if (*exe) {
		exelink = g_build_filename(dir, "exe", NULL);
		(void)g_unlink(exelink); /* added again: replaced */
		g_assert_cmpint(symlink(exe, exelink), ==, 0);
	}
}

static inline char *fake_proc_new(guint64 memtotal_kb, guint64 swaptotal_kb)
{
	g_autoptr(GError) error = NULL;
	char *root = g_dir_make_tmp("oomn-fake-proc-XXXXXX", &error);
	g_autofree char *meminfo = g_strdup_printf(
		"MemTotal:       %" G_GUINT64_FORMAT " kB\nMemFree:          100000 kB\n"
		"MemAvailable:     200000 kB\nSwapTotal:       %" G_GUINT64_FORMAT " kB\n"
		"SwapFree:        0 kB\n",
		memtotal_kb, swaptotal_kb);

	g_assert_no_error(error);
	fake_write(root, "meminfo", meminfo, -1);
	return root;
}

static inline void fake_rm_rf(const char *path)
{
	GDir *d = g_dir_open(path, 0, NULL);
	const char *name;

	if (d) {
		while ((name = g_dir_read_name(d))) {
			g_autofree char *p = g_build_filename(path, name, NULL);

			if (g_file_test(p, G_FILE_TEST_IS_DIR) &&
			    !g_file_test(p, G_FILE_TEST_IS_SYMLINK))
				fake_rm_rf(p);
			else
				(void)g_unlink(p);
		}
		g_dir_close(d);
	}
	(void)g_rmdir(path);
}
