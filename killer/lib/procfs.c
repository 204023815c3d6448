/* SPDX-License-Identifier: GPL-2.0-only */
#include "procfs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "oomn-macro.h"
#include "oomn-meminfo.h"

/* A process that died between readdir() and here gives ENOENT or ESRCH: both are "gone". */
static int errno_gone(int e)
{
	return e == ENOENT || e == ESRCH ? -ESRCH : -e;
}

/*
 * Reads at most size-1 bytes and NUL-terminates; a file larger than that is
 * -EBADMSG (no record of ours is that long), unless @truncate_ok.
 */
static int read_small(int dir_fd, const char *name, char *buf, size_t size, size_t *ret_len,
		      bool truncate_ok)
{
	_cleanup_close_ int fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	size_t len = 0;

	if (fd < 0)
		return errno_gone(errno);
	for (;;) {
		ssize_t n;

		if (len == size - 1) {
			char c;

			n = read(fd, &c, 1);
			if (n > 0 && !truncate_ok)
				return -EBADMSG;
			break;
		}
		n = read(fd, buf + len, size - 1 - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno_gone(errno);
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = 0;
	if (ret_len)
		*ret_len = len;
	return 0;
}

static uint64_t hash_bytes(const char *p, size_t len)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325); /* FNV-1a */

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)p[i];
		h *= UINT64_C(0x100000001b3);
	}
	return h;
}

/*
 * The decimal number at *p after any of @blanks, *p then past it; -EBADMSG if
 * there is none there or it overflows. What follows is the caller's to check.
 */
static int parse_number(const char **p, const char *blanks, unsigned long long *ret)
{
	const char *s = *p + strspn(*p, blanks);
	char *end;

	if (*s < '0' || *s > '9')
		return -EBADMSG;
	errno = 0;
	*ret = strtoull(s, &end, 10);
	if (errno)
		return -EBADMSG;
	*p = end;
	return 0;
}

/* A field of /proc/<pid>/stat: a number ending the line or followed by a space. */
static int parse_ull(const char **p, unsigned long long *ret)
{
	const char *s = *p;

	if (parse_number(&s, " ", ret) < 0 || (*s != ' ' && *s != '\n' && *s != 0))
		return -EBADMSG;
	*p = s;
	return 0;
}

static int skip_field(const char **p)
{
	const char *s = *p;

	while (*s == ' ')
		s++;
	if (!*s || *s == '\n')
		return -EBADMSG;
	while (*s && *s != ' ' && *s != '\n')
		s++;
	*p = s;
	return 0;
}

/*
 * "PID (COMM) S PPID PGRP SESSION TTY TPGID FLAGS ... STARTTIME(22) ...". The
 * comm may hold spaces and parentheses: it ends at the LAST ')'.
 */
int procfs_parse_stat(const char *buf, size_t len, ProcStat *ret)
{
	ProcStat st = {};
	const char *open, *close, *p;
	unsigned long long v;

	if (memchr(buf, 0, len))
		return -EBADMSG;
	open = strchr(buf, '(');
	close = strrchr(buf, ')');
	if (!open || !close || close < open || (size_t)(close - open - 1) >= sizeof(st.comm))
		return -EBADMSG;

	p = buf;
	if (parse_ull(&p, &v) < 0 || v == 0 || v > INT_MAX || p + 1 != open)
		return -EBADMSG;
	st.pid = (pid_t)v;
	memcpy(st.comm, open + 1, (size_t)(close - open - 1));

	p = close + 1;
	if (p[0] != ' ' || !p[1] || p[1] == ' ' || p[1] == '\n' || (p[2] != ' '))
		return -EBADMSG;
	st.state = p[1];
	p += 2;
	if (parse_ull(&p, &v) < 0 || v > INT_MAX) /* 4 ppid */
		return -EBADMSG;
	st.ppid = (pid_t)v;
	for (int f = 5; f < 9; f++) /* pgrp session tty_nr tpgid: tpgid may be -1 */
		if (skip_field(&p) < 0)
			return -EBADMSG;
	if (parse_ull(&p, &v) < 0 || v > UINT_MAX) /* 9 flags */
		return -EBADMSG;
	st.flags = (unsigned)v;
	for (int f = 10; f < 22; f++)
		if (skip_field(&p) < 0)
			return -EBADMSG;
	if (parse_ull(&p, &st.starttime) < 0) /* 22 */
		return -EBADMSG;

	st.hash = hash_bytes(buf, len);
	*ret = st;
	return 0;
}

static int parse_kb(const char *s, uint64_t *ret)
{
	unsigned long long v;

	if (parse_number(&s, " \t", &v) < 0 || strncmp(s, " kB", 3) != 0)
		return -EBADMSG;
	*ret = v;
	return 0;
}

int procfs_parse_status(const char *buf, ProcStatus *ret)
{
	ProcStatus st = {};
	bool has_uid = false;

	for (const char *l = buf; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		if (strncmp(l, "Uid:", 4) == 0) {
			unsigned long long v;
			const char *p = l + 4;

			if (parse_number(&p, "\t ", &v) < 0 || v >= UINT_MAX ||
			    (*p != '\t' && *p != ' ' && *p != '\n'))
				return -EBADMSG;
			st.uid = (uid_t)v;
			has_uid = true;
		} else if (strncmp(l, "VmRSS:", 6) == 0) {
			if (parse_kb(l + 6, &st.rss_kb) < 0)
				return -EBADMSG;
			st.has_mm = true;
		} else if (strncmp(l, "VmSwap:", 7) == 0) {
			if (parse_kb(l + 7, &st.swap_kb) < 0)
				return -EBADMSG;
		} else if (strncmp(l, "VmPTE:", 6) == 0) {
			if (parse_kb(l + 6, &st.pte_kb) < 0)
				return -EBADMSG;
		}
	}
	if (!has_uid)
		return -EBADMSG;
	*ret = st;
	return 0;
}

/* "<pid>/<file>", relative to a /proc directory fd, in @buf. */
#define PID_PATH_MAX 32
static const char *pid_path(char buf[static PID_PATH_MAX], pid_t pid, const char *file)
{
	(void)snprintf(buf, PID_PATH_MAX, "%d/%s", (int)pid, file);
	return buf;
}

static int read_stat_at(int dir_fd, const char *path, ProcStat *ret)
{
	char buf[2048];
	size_t len;
	int r;

	r = read_small(dir_fd, path, buf, sizeof(buf), &len, false);
	if (r < 0)
		return r;
	return procfs_parse_stat(buf, len, ret);
}

int procfs_read_status(int pid_fd, ProcStatus *ret)
{
	char buf[8192];
	int r;

	r = read_small(pid_fd, "status", buf, sizeof(buf), NULL, false);
	if (r < 0)
		return r;
	return procfs_parse_status(buf, ret);
}

int procfs_read_stat(int pid_fd, ProcStat *ret)
{
	return read_stat_at(pid_fd, "stat", ret);
}

int procfs_read_stat_pid(int proc_fd, pid_t pid, ProcStat *ret)
{
	char path[PID_PATH_MAX];

	return read_stat_at(proc_fd, pid_path(path, pid, "stat"), ret);
}

static int read_adj_at(int dir_fd, const char *path, int *ret)
{
	char buf[32], *end;
	long v;
	int r;

	r = read_small(dir_fd, path, buf, sizeof(buf), NULL, false);
	if (r < 0)
		return r;
	errno = 0;
	v = strtol(buf, &end, 10);
	if (errno || end == buf || (*end != '\n' && *end != 0) || v < -1000 || v > 1000)
		return -EBADMSG;
	*ret = (int)v;
	return 0;
}

int procfs_read_oom_score_adj(int pid_fd, int *ret)
{
	return read_adj_at(pid_fd, "oom_score_adj", ret);
}

int procfs_read_oom_score_adj_pid(int proc_fd, pid_t pid, int *ret)
{
	char path[PID_PATH_MAX];

	return read_adj_at(proc_fd, pid_path(path, pid, "oom_score_adj"), ret);
}

int procfs_read_cmdline(int pid_fd, char **ret)
{
	char buf[4096];
	size_t len;
	int r;

	r = read_small(pid_fd, "cmdline", buf, sizeof(buf), &len, true);
	if (r < 0)
		return r;
	while (len > 0 && buf[len - 1] == 0)
		len--;
	for (size_t i = 0; i < len; i++)
		if (buf[i] == 0)
			buf[i] = ' ';
	buf[len] = 0;
	*ret = strdup(buf);
	return *ret ? 0 : -ENOMEM;
}

int procfs_read_cgroup(int pid_fd, char **ret)
{
	char buf[8192];
	int r;

	r = read_small(pid_fd, "cgroup", buf, sizeof(buf), NULL, true);
	if (r < 0)
		return r;
	for (char *l = buf; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		char *e;

		if (strncmp(l, "0::", 3) != 0)
			continue;
		e = strchrnul(l, '\n');
		if (l[3] != '/')
			return -EBADMSG;
		*ret = strndup(l + 3, (size_t)(e - l - 3));
		return *ret ? 0 : -ENOMEM;
	}
	return -ENODATA;
}

int procfs_read_exe(int pid_fd, char **ret)
{
	char buf[PATH_MAX + 16];
	ssize_t n;

	n = readlinkat(pid_fd, "exe", buf, sizeof(buf) - 1);
	if (n < 0)
		return errno_gone(errno);
	buf[n] = 0;
	if (n > 10 && strcmp(buf + n - 10, " (deleted)") == 0)
		buf[n - 10] = 0;
	*ret = strdup(buf);
	return *ret ? 0 : -ENOMEM;
}

int procfs_read_total_kb(int proc_fd, uint64_t *ret)
{
	struct oomn_meminfo mi;
	int r;

	r = oomn_meminfo_read_at(proc_fd, &mi);
	if (r < 0)
		return r == -ENODATA ? -EBADMSG : r;
	/* the parser took the kB figures to bytes: back exactly */
	*ret = mi.mem_total / 1024 + mi.swap_total / 1024;
	return 0;
}
