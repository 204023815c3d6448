/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Why a walk (oomn_selfprotect_settle() says why not mlockall(MCL_CURRENT)):
 * locking on fault keeps only what was touched; the walk makes sure that what
 * the kill path touches was touched, before the page cache can lose it. Our
 * own program is small and is mapped whole, so every branch of killer.c and
 * episode.c is in.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "kill.h"
#include "oomn-macro.h"
#include "oomn-meminfo.h"
#include "procfs.h"
#include "warmup.h"

static int warmup_on_pidfd(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	return 0;
}

static int warmup_on_time(sd_event_source *s, uint64_t usec, void *userdata)
{
	return 0;
}

/* The kill line's and the choice log's formats, written to /dev/null. */
static void warmup_format(FILE *null, const Choice *ch)
{
	fprintf(null,
		"oom-killerd kill: pid=%d comm=%s rule=%s signal=%s event_ns=%" PRIu64
		" notify_ns=%" PRIu64 " sigterm_ns=%" PRIu64 " sigkill_ns=%" PRIu64
		" exit_ns=%" PRIu64 " mrelease=%s freed=%" PRIu64 "\n",
		(int)ch->pid, ch->comm, ch->rule ? ch->rule->name : "", "SIGKILL",
		oomn_now_nsec(CLOCK_BOOTTIME), UINT64_C(1), UINT64_C(2), UINT64_C(3), UINT64_C(4), "ok",
		ch->rss_kb * 1024);
	for (size_t i = 0; i < ch->n_top; i++)
		fprintf(null, "%s%d (%s) score %" PRId64 " kB%s%s%s%s", i ? ", " : "",
			(int)ch->top[i].pid, ch->top[i].comm, ch->top[i].score_kb, " rule ",
			"", "", "");
	fprintf(null, "Candidate pid %d (%s), uid %u, cgroup %s: %s; %s\n", (int)ch->pid,
		ch->comm, (unsigned)ch->uid, ch->cgroup ? ch->cgroup : "-", ch->reason,
		strerror(ESRCH));
	(void)fflush(null);
}

/* A refresh and a choice, as at critical; nothing is held. */
static void warmup_choose(Killer *k, FILE *null)
{
	Choice ch = {};
	int r;

	(void)candidates_refresh(k->candidates, CANDIDATES_REFRESH_FULL, NULL);
	(void)candidates_refresh(k->candidates, 0, NULL);
	/* the module's records, the usual way; /proc above stays warm for when they fail */
	if (k->dump)
		(void)killer_dump_refresh(k->dump, k->candidates, 0, NULL);
	killer_refresh_bands(k);
	r = candidates_choose(k->candidates, k->rules, &ch);
	if (r >= 0) {
		warmup_format(null, &ch);
		choice_done(&ch);
	}
}

/*
 * The pidfd calls, on ourselves, where none of them does harm: open and check
 * the start time, watch it in the loop, signal 0, process_mrelease (EINVAL:
 * we are not exiting), the exit poll. No child: fork() would bring in pages
 * that no kill runs. Returns what could not be walked, or NULL.
 */
static const char *warmup_pidfd_self(Killer *k)
{
	_cleanup_close_ int proc_fd = -EBADF, pidfd = -EBADF;
	sd_event_source *src = NULL;
	const char *failed = NULL;
	pid_t self = getpid();
	ProcStat st;

	proc_fd = open(k->cfg.proc_root ? k->cfg.proc_root : "/proc",
		       O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (proc_fd < 0 || procfs_read_stat_pid(proc_fd, self, &st) < 0)
		return "the pidfd calls (we are not in the proc root)";
	pidfd = kill_open(k->cfg.proc_root, self, st.starttime);
	if (pidfd < 0)
		return "the pidfd calls (no pidfd_open)";
	if (sd_event_add_io(k->event, &src, pidfd, EPOLLIN, warmup_on_pidfd, NULL) >= 0)
		(void)sd_event_source_set_priority(src, SD_EVENT_PRIORITY_IMPORTANT);
	if (kill_signal(pidfd, 0) < 0)
		failed = "pidfd_send_signal";
	(void)kill_mrelease(pidfd);
	(void)kill_exited(pidfd);
	src = sd_event_source_disable_unref(src);
	return failed;
}

/* The timer calls of the episode and the meminfo poll, on a timer of our own. */
static void warmup_timers(Killer *k)
{
	sd_event_source *t = NULL;
	struct oomn_meminfo mi;
	uint64_t now = 0;

	(void)oomn_meminfo_read(k->cfg.proc_root, &mi);
	if (k->source)
		(void)oomn_source_refresh(k->source);
	(void)sd_event_now(k->event, CLOCK_BOOTTIME, &now);
	if (sd_event_add_time(k->event, &t, CLOCK_BOOTTIME, now + 1000000, 0, warmup_on_time,
			      NULL) < 0)
		return;
	(void)sd_event_source_set_enabled(t, SD_EVENT_OFF);
	(void)sd_event_source_set_priority(t, SD_EVENT_PRIORITY_IMPORTANT);
	(void)sd_event_source_set_time(t, now + 2000000);
	(void)sd_event_source_set_enabled(t, SD_EVENT_ONESHOT);
	(void)sd_event_source_get_enabled(t, NULL);
	t = sd_event_source_disable_unref(t);
}

/* The kill path, walked between the drop of start-up's pages and the lock. */
static const char *warmup_walk(void *userdata)
{
	_cleanup_fclose_ FILE *null = NULL;
	Killer *k = userdata;
	const char *failed;

	null = fopen("/dev/null", "we");
	if (null)
		warmup_choose(k, null);
	failed = warmup_pidfd_self(k);
	warmup_timers(k);
	killer_bus_warmup(k->bus);
	return failed;
}

void killer_warmup(Killer *k, const struct oomn_selfprotect_config *sp)
{
	const struct oomn_selfprotect_walk walk = {
		.what = "Kill path",
		.run = warmup_walk,
		.userdata = k,
	};

	(void)oomn_selfprotect_settle(sp, &walk);
}
