/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kill.h"
#include "oomn-fileio.h"
#include "oomn-macro.h"
#include "procfs.h"

/* Debian 12's headers know pidfd_open and pidfd_send_signal, not process_mrelease. */
#ifndef __NR_pidfd_open
#define __NR_pidfd_open 434
#endif
#ifndef __NR_pidfd_send_signal
#define __NR_pidfd_send_signal 424
#endif
#ifndef __NR_process_mrelease
#define __NR_process_mrelease 448
#endif

int kill_open(const char *proc_root, pid_t pid, unsigned long long starttime)
{
	_cleanup_close_ int pidfd = -EBADF, proc_fd = -EBADF;
	ProcStat st;
	int r;

	pidfd = (int)syscall(__NR_pidfd_open, pid, 0);
	if (pidfd < 0)
		return -errno;
	/* Read after the open: if this is still the process chosen, the pidfd is it. */
	proc_fd = open(proc_root ? proc_root : "/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (proc_fd < 0)
		return -errno;
	r = procfs_read_stat_pid(proc_fd, pid, &st);
	if (r < 0)
		return r == -ENOENT ? -ESRCH : r;
	if (st.starttime != starttime)
		return -ESTALE;
	return TAKE_FD(pidfd);
}

int kill_signal(int pidfd, int sig)
{
	if (syscall(__NR_pidfd_send_signal, pidfd, sig, NULL, 0) < 0)
		return -errno;
	return 0;
}

int kill_mrelease(int pidfd)
{
	if (syscall(__NR_process_mrelease, pidfd, 0) < 0)
		return -errno;
	return 0;
}

int kill_cgroup(const char *cgroup_root, const char *cgroup)
{
	char path[4096];
	int n;

	n = snprintf(path, sizeof(path), "%s%s%s/cgroup.kill",
		     cgroup_root ? cgroup_root : "/sys/fs/cgroup", cgroup[0] == '/' ? "" : "/",
		     cgroup);
	if (n < 0 || (size_t)n >= sizeof(path))
		return -ENAMETOOLONG;
	return oomn_write_text(path, "1");
}

bool kill_exited(int pidfd)
{
	struct pollfd p = { .fd = pidfd, .events = POLLIN };

	return poll(&p, 1, 0) > 0 && (p.revents & (POLLIN | POLLHUP));
}
