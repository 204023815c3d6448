/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Plumbing every test that starts the daemons shares, glib only (no GDBus:
 * tests/broker/test-bus-creds.c plays the bus itself and links this too).
 */
#pragma once

#include <glib.h>

/* MemTotal 1000000 kB, no swap; the default thresholds are 20/15/10 %. */
#define MEMINFO_NORMAL	 800000
#define MEMINFO_LOW	 180000
#define MEMINFO_MEDIUM	 130000
#define MEMINFO_CRITICAL 50000

/*
 * A g_spawn child setup: the child gets @sig (GINT_TO_POINTER; NULL means
 * SIGTERM) when the test dies, so that a test that aborts before its
 * teardown leaves nothing behind.
 */
void test_child_die_with_parent(gpointer sig);

/* TRUE while child @pid runs; it is not reaped. */
gboolean test_child_alive(GPid pid);

/* Reaps child @pid (asserting it was ours); its wait status. */
int test_wait_exit(GPid pid);

/* A fresh directory from @tmpl (g_dir_make_tmp) that the unprivileged clients can reach (0755). */
char *test_make_tmpdir(const char *tmpl);

/* Writes @text to @path; asserts success. */
void test_write_file(const char *path, const char *text);

/* @proc/meminfo with MemTotal 1000000 kB and @avail_kb available, atomically. */
void test_write_meminfo(const char *proc, unsigned avail_kb);

/* The file @path (daemons' log) as one test message "@who log: ...", unless missing or empty. */
void test_log_replay(const char *who, const char *path);

/* Removes @dir and everything under it; NULL is nothing. */
void test_rm_tree(const char *dir);

/* A child's stderr, echoed as test messages line by line as it comes (a failed case aborts). */
typedef struct {
	const char *who;
	int fd;
	guint watch;
	GString *partial;
	GPtrArray *lines; /* char*, complete lines in order */
} TestLogStream;

/*
 * Starts @argv (not searched in PATH, stdout to /dev/null, PDEATHSIG
 * SIGKILL) with its stderr read into @ls by the default main context.
 */
GPid test_spawn_logged(char **argv, TestLogStream *ls, const char *who);

/*
 * The first line from index *from on that starts with @prefix (*from is
 * left at it), waiting up to @ms; NULL if none came. Meanwhile child @alive
 * (if > 0) must not have ended.
 */
const char *test_log_stream_wait(TestLogStream *ls, const char *prefix, guint *from, unsigned ms,
				 GPid alive);

/* After the child ended: takes in the rest of what it wrote and frees @ls. */
void test_log_stream_done(TestLogStream *ls);
