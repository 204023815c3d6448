/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The daemon: hears the level from its own OomnSource, keeps the candidate
 * list warm while pressure builds, and carries out what the episode state
 * machine (episode.c) decides: choose, notify, wait, kill, report.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "decide.h"
#include "hook.h"
#include "kill.h"
#include "killer.h"
#include "oomn-level.h"
#include "oomn-log.h"
#include "oomn-meminfo.h"

#define KILLER_POLL_USEC	 (100 * UINT64_C(1000)) /* MemAvailable while a deadline runs */
#define KILLER_OPEN_ATTEMPTS	 3

static void killer_warn(const char *message, void *userdata)
{
	log_warning("%s", message);
}

static void killer_refresh(Killer *k, KillerRefresh how)
{
	static const unsigned flags[] = {
		[KILLER_REFRESH_CHANGED] = 0,
		[KILLER_REFRESH_FULL] = CANDIDATES_REFRESH_FULL,
		[KILLER_REFRESH_NEW] = CANDIDATES_REFRESH_NEW_ONLY,
	};
	CandidatesStats st = {};
	uint64_t now = oomn_now_usec(CLOCK_MONOTONIC);
	int r;

	how = killer_refresh_kind(how, k->last_full_refresh_usec, now);
	r = k->dump ? killer_dump_refresh(k->dump, k->candidates, flags[how], &st) : -ENOENT;
	if (k->dump && r != k->dump_error && r != -ENOMEM) {
		if (r < 0)
			log_info("Process records from the module unavailable (%s): reading /proc",
				 strerror(-r));
		else
			log_info("Process records from the module: /proc read only for strings");
		k->dump_error = r;
	}
	if (r < 0 && r != -ENOMEM)
		r = candidates_refresh(k->candidates, flags[how], &st);
	if (r < 0) {
		log_error_errno(r, "Failed to read the process list: %m");
		return;
	}
	killer_refresh_done(&k->last_refresh_usec, &k->last_full_refresh_usec, how,
			    oomn_now_usec(CLOCK_MONOTONIC));
	killer_refresh_bands(k);
}

static void killer_schedule_refresh(Killer *k)
{
	uint64_t at = killer_refresh_at(k->last_refresh_usec, k->level,
					oomn_now_usec(CLOCK_MONOTONIC));

	(void)sd_event_source_set_time(k->refresh_timer, at);
	(void)sd_event_source_set_enabled(k->refresh_timer, SD_EVENT_ONESHOT);
}

/* The process causing pressure may be new: a look at newcomers, soon. */
static void killer_warm_soon(Killer *k)
{
	k->warm_pending = true;
	(void)sd_event_source_set_time(k->refresh_timer, oomn_now_usec(CLOCK_MONOTONIC));
	(void)sd_event_source_set_enabled(k->refresh_timer, SD_EVENT_ONESHOT);
}

static int killer_on_refresh_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	Killer *k = userdata;

	killer_refresh(k, k->warm_pending ? KILLER_REFRESH_NEW : KILLER_REFRESH_CHANGED);
	k->warm_pending = false;
	killer_schedule_refresh(k);
	return 0;
}

static void killer_apply(Killer *k, EpisodeActions a);

static void killer_release(Killer *k)
{
	k->pidfd_source = sd_event_source_disable_unref(k->pidfd_source);
	if (k->pidfd >= 0)
		(void)close(k->pidfd);
	k->pidfd = -EBADF;
	if (k->have_victim)
		choice_done(&k->choice);
	k->have_victim = false;
}

static int killer_on_pidfd(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	Killer *k = userdata;

	k->times.exit_ns = oomn_now_nsec(CLOCK_BOOTTIME);
	(void)sd_event_source_set_enabled(s, SD_EVENT_OFF);
	killer_apply(k, episode_victim_exited(&k->episode, oomn_now_usec(CLOCK_BOOTTIME)));
	return 0;
}

static void killer_log_choice(Killer *k, const Choice *ch)
{
	char top[1024];
	size_t len = 0;

	top[0] = '\0';
	for (size_t i = 0; i < ch->n_top && len < sizeof(top); i++) {
		const ChoiceEntry *e = &ch->top[i];
		int n = snprintf(top + len, sizeof(top) - len,
				 "%s%d (%s) score %" PRId64 " kB%s%s%s%s", i ? ", " : "",
				 (int)e->pid, e->comm, e->score_kb, e->rule ? " rule " : "",
				 e->rule ? e->rule->name : "", e->avoided ? " avoided" : "",
				 i == 0 ? " <- victim" : "");

		if (n < 0)
			break;
		len += (size_t)n;
	}
	log_info("Candidate pid %d (%s), uid %u, cgroup %s: %s", (int)ch->pid, ch->comm,
		 (unsigned)ch->uid, ch->cgroup ? ch->cgroup : "-", ch->reason);
	log_info("Top candidates (%zu eligible, %zu protected): %s", ch->n_eligible,
		 ch->n_protected, top);
}

static void killer_read_meminfo(Killer *k)
{
	struct oomn_meminfo mi;
	int r;

	r = oomn_meminfo_read(k->cfg.proc_root, &mi);
	if (r < 0) {
		log_warning_errno(r, "Failed to read meminfo: %m");
		return;
	}
	k->mem_total = mi.mem_total;
	k->mem_available = mi.mem_available;
	/*
	 * The swap worth stays the source's: its cost is measured over the
	 * whole shortage (the module's, or the psi/meminfo reader's), which a
	 * reading taken only now cannot know, and which decided the level;
	 * never more than the swap now free.
	 */
	k->swap_worth = killer_swap_worth(k->swap_worth, mi.swap_free);
	k->floor_bytes = killer_floor_bytes(k->mem_total, k->cfg.floor_permille);
}

/* Who can redeem decides how long the candidate is waited for (wait-policy.h). */
static uint64_t killer_deadline(const Killer *k, WaitReason *ret_why)
{
	const WaitDeadlines d = killer_wait_deadlines(&k->choice, &k->cfg, k->rules);

	return wait_policy_deadline(k->clients, k->n_clients, k->choice.pid, k->choice.uid, &d,
				    ret_why);
}

static const char *killer_wait_why(WaitReason why)
{
	switch (why) {
	case WAIT_REGISTERED:
		return "registered to redeem itself";
	case WAIT_HELPERS:
		return "not registered; registered clients can free memory";
	case WAIT_NOBODY:
		return "nobody registered can free memory: no wait";
	case WAIT_RULE:
		return "the rule's";
	default:
		return "?";
	}
}

static void killer_choose(Killer *k)
{
	uint64_t deadline, grace, event_ns = k->critical_event_ns ?: oomn_now_nsec(CLOCK_BOOTTIME);
	WaitReason why;
	int pidfd = -EBADF, r;

	k->critical_event_ns = 0; /* the next victim of this episode is timed from its choice */
	killer_release(k);

	if (k->reread_before_choice) {
		k->reread_before_choice = false;
		killer_refresh(k, KILLER_REFRESH_CHANGED);
	} else if (killer_list_stale(k->last_refresh_usec, oomn_now_usec(CLOCK_MONOTONIC))) {
		/*
		 * Every process that changed, not newcomers only: the hog may
		 * have been read small (or between fork and exec, under its
		 * parent's name) and grown since, and figures from then chose
		 * an innocent. In a reclaim storm these reads stall in the
		 * allocator; the real-time priority the unit gives the killer
		 * keeps that short (6.1 with zram: 60-180 ms to the notice).
		 */
		log_info("Candidate list is stale, refreshing before the choice");
		killer_refresh(k, KILLER_REFRESH_CHANGED);
	} else {
		/* fresh enough, but the warm-up may not have run yet: never
		 * choose without the processes started since (the hog) */
		killer_refresh(k, KILLER_REFRESH_NEW);
	}

	for (unsigned attempt = 0;; attempt++) {
		r = candidates_choose(k->candidates, k->rules, &k->choice);
		if (k->rules->stats->regex_over_budget > k->regex_over_budget_told) {
			log_warning("%" PRIu64 " cmdline rule matches ran out of their step budget "
				    "(a crafted command line?) and counted as no match",
				    k->rules->stats->regex_over_budget - k->regex_over_budget_told);
			k->regex_over_budget_told = k->rules->stats->regex_over_budget;
		}
		if (r == -EBUSY) {
			/* a victim (the kernel's, most likely) is exiting: look again after
			 * the hold, on a list re-read, not on figures from before it died;
			 * an exit stuck for longer is no reason to wait any more */
			if (killer_dying_hold(&k->dying_pid, &k->dying_holds, k->choice.pid)) {
				log_warning("pid %d (%s) has been exiting for %u holds, "
					    "choosing without it",
					    (int)k->choice.pid, k->choice.comm, k->dying_holds);
				candidates_ignore_dying(k->candidates, k->choice.pid);
			}
			log_info("Memory is critical, no choice yet: %s", k->choice.reason);
			k->reread_before_choice = true;
			killer_apply(k, episode_choose_failed(&k->episode,
							      oomn_now_usec(CLOCK_BOOTTIME)));
			return;
		}
		if (r < 0) {
			log_warning_errno(r, "Memory is critical but no process may be chosen: %m");
			killer_apply(k, episode_choose_failed(&k->episode,
							      oomn_now_usec(CLOCK_BOOTTIME)));
			return;
		}
		k->dying_pid = 0;
		k->dying_holds = 0;
		candidates_ignore_dying(k->candidates, 0);
		k->have_victim = true;
		pidfd = kill_open(k->cfg.proc_root, k->choice.pid, k->choice.starttime);
		if (pidfd >= 0 || (k->cfg.dry_run && pidfd != -ESTALE))
			break;
		log_warning_errno(pidfd, "Candidate pid %d (%s) cannot be held: %m",
				  (int)k->choice.pid, k->choice.comm);
		killer_release(k);
		if (attempt + 1 >= KILLER_OPEN_ATTEMPTS) {
			killer_apply(k, episode_choose_failed(&k->episode,
							      oomn_now_usec(CLOCK_BOOTTIME)));
			return;
		}
		killer_refresh(k, KILLER_REFRESH_CHANGED); /* it went away or its pid was reused */
	}

	killer_log_choice(k, &k->choice);
	k->pidfd = pidfd;
	if (pidfd >= 0) {
		r = sd_event_add_io(k->event, &k->pidfd_source, pidfd, EPOLLIN, killer_on_pidfd, k);
		if (r < 0)
			log_warning_errno(r, "Failed to watch the candidate's pidfd: %m");
		else
			(void)sd_event_source_set_priority(k->pidfd_source,
							   SD_EVENT_PRIORITY_IMPORTANT);
	} else
		log_warning_errno(pidfd, "Dry run: no pidfd for pid %d: %m", (int)k->choice.pid);

	deadline = killer_deadline(k, &why);
	grace = killer_grace(&k->choice, &k->cfg);
	k->times = (KillTimes){ .event_ns = event_ns };
	k->signal_name = "none";
	k->mrelease = k->cfg.mrelease ? "none" : "off";

	/* The notice is sent, never waited for: the deadline starts now, on our clock.
	 * Even with no deadline it goes out: the bus and the CLI show the decision. */
	killer_bus_notify_candidate(k->bus, k->choice.pid, deadline, k->choice.reason);
	k->times.notify_ns = oomn_now_nsec(CLOCK_BOOTTIME);
	/* A fresh reading for the trend: the time left is judged on it. */
	killer_read_meminfo(k);
	killer_apply(k, episode_mem_available(&k->episode,
					      killer_headroom(k->mem_available, k->swap_worth),
					      k->floor_bytes, oomn_now_usec(CLOCK_BOOTTIME)));
	log_info("Notice to pid %d (%s): deadline %" PRIu64 " ms (%s), grace %" PRIu64
		 " ms%s; headroom falling %" PRIu64 " kB/s, kill time %" PRIu64 " ms",
		 (int)k->choice.pid, k->choice.comm, deadline / 1000, killer_wait_why(why),
		 grace / 1000, k->choice.kill_group ? ", whole cgroup" : "",
		 wait_trend_rate(&k->episode.trend) / 1024, k->episode.kill_time.usec / 1000);
	killer_apply(k, episode_chosen(&k->episode, deadline, grace, k->choice.kill_group,
				       oomn_now_usec(CLOCK_BOOTTIME)));
}

static const char *killer_errno_name(int r)
{
	switch (r) {
	case 0:
		return "ok";
	case -ESRCH:
		return "esrch";
	case -EINVAL:
		return "einval";
	case -ENOSYS:
		return "enosys";
	case -EPERM:
		return "eperm";
	default:
		return "error";
	}
}

static void killer_sigkill(Killer *k)
{
	int r;

	k->times.sigkill_ns = oomn_now_nsec(CLOCK_BOOTTIME);
	r = kill_signal(k->pidfd, SIGKILL);
	if (r < 0 && r != -ESRCH)
		log_error_errno(r, "Failed to SIGKILL pid %d: %m", (int)k->choice.pid);
	if (!k->cfg.mrelease)
		return;
	/* Reaps the address space now instead of when the victim gets to run again. Once. */
	r = kill_mrelease(k->pidfd);
	k->mrelease = killer_errno_name(r);
	if (r < 0)
		log_info("process_mrelease(pid %d): %s", (int)k->choice.pid, strerror(-r));
}

/*
 * The kill is decided: its cause in the log, and the headroom it starts from,
 * which the memory it freed is measured against. Every way a kill starts
 * comes here (SIGTERM, cgroup.kill, or SIGKILL when no grace is left).
 */
static void killer_kill_begin(Killer *k)
{
	const Choice *ch = &k->choice;

	killer_read_meminfo(k);
	k->mem_available_before = k->mem_available;
	log_info("Killing pid %d (%s): %s; MemAvailable %" PRIu64 " kB", (int)ch->pid, ch->comm,
		 episode_cause_to_string(k->episode.cause), k->mem_available / 1024);
}

static void killer_start_kill(Killer *k, unsigned flags)
{
	const Choice *ch = &k->choice;
	int r;

	killer_kill_begin(k);

	if (flags & EPISODE_ACT_KILL_GROUP) {
		r = kill_cgroup(k->cfg.cgroup_root, ch->cgroup);

		if (r >= 0) {
			k->signal_name = "cgroup.kill";
			k->times.sigkill_ns = oomn_now_nsec(CLOCK_BOOTTIME);
			log_info("Killed cgroup %s (cgroup.kill)", ch->cgroup);
			if (k->cfg.mrelease) {
				r = kill_mrelease(k->pidfd);
				k->mrelease = killer_errno_name(r);
			}
			return;
		}
		log_error_errno(r, "Failed to kill cgroup %s, killing pid %d alone: %m", ch->cgroup,
				(int)ch->pid);
		k->signal_name = "SIGKILL";
		killer_sigkill(k);
		return;
	}

	k->signal_name = "SIGTERM";
	k->times.sigterm_ns = oomn_now_nsec(CLOCK_BOOTTIME);
	r = kill_signal(k->pidfd, SIGTERM);
	if (r < 0 && r != -ESRCH)
		log_error_errno(r, "Failed to SIGTERM pid %d: %m", (int)ch->pid);
}

static int killer_on_hook_exit(sd_event_source *s, const siginfo_t *si, void *userdata)
{
	if (si->si_code != CLD_EXITED || si->si_status != 0)
		log_warning("Hook pid %d failed (status %d)", (int)si->si_pid, si->si_status);
	return 0;
}

static void killer_report_killed(Killer *k)
{
	const Choice *ch = &k->choice;
	const char *rule = ch->rule ? ch->rule->name : "";
	char reason[768];
	uint64_t freed;

	killer_read_meminfo(k);
	freed = k->mem_available > k->mem_available_before
			? k->mem_available - k->mem_available_before
			: 0;
	(void)snprintf(reason, sizeof(reason), "%s; %s",
		       episode_cause_to_string(k->episode.cause), ch->reason);

	fprintf(stderr,
		"oom-killerd kill: pid=%d comm=%s rule=%s signal=%s event_ns=%" PRIu64
		" notify_ns=%" PRIu64 " sigterm_ns=%" PRIu64 " sigkill_ns=%" PRIu64
		" exit_ns=%" PRIu64 " mrelease=%s freed=%" PRIu64 "\n",
		(int)ch->pid, ch->comm, rule, k->signal_name, k->times.event_ns,
		k->times.notify_ns, k->times.sigterm_ns, k->times.sigkill_ns,
		k->episode.exited ? k->times.exit_ns : 0, k->mrelease, freed);
	if (!k->episode.exited)
		log_warning("pid %d (%s) has not exited %" PRIu64 " ms after SIGKILL", (int)ch->pid,
			    ch->comm, k->episode.grace_usec / 1000 + 1000);
	log_info("Killed pid %d (%s), uid %u, cgroup %s, rule '%s', freed %" PRIu64 " kB: %s",
		 (int)ch->pid, ch->comm, (unsigned)ch->uid, ch->cgroup ? ch->cgroup : "-", rule,
		 freed / 1024, reason);

	killer_bus_report_outcome(k->bus, "killed", ch->pid, ch->comm, ch->uid, ch->cgroup, rule,
				  freed, reason);
	if (k->cfg.hook) {
		HookInfo info = {
			.pid = ch->pid,
			.comm = ch->comm,
			.uid = ch->uid,
			.cgroup = ch->cgroup,
			.rule = rule,
			.freed = freed,
			.reason = reason,
		};
		pid_t pid = hook_run(k->cfg.hook, &info);

		if (pid < 0)
			log_warning_errno(pid, "Failed to run the hook: %m");
		else if (sd_event_add_child(k->event, NULL, pid, WEXITED, killer_on_hook_exit, NULL) < 0)
			log_warning("Hook pid %d will not be reaped", (int)pid);
	}
}

static void killer_report_redeemed(Killer *k)
{
	const Choice *ch = &k->choice;
	char reason[256];

	if (k->episode.state == EPISODE_SETTLE)
		(void)snprintf(reason, sizeof(reason), "exited by itself before the deadline");
	else if (k->called_off_level >= 0)
		(void)snprintf(reason, sizeof(reason),
			       "memory came back before the kill: level %s on fresh figures "
			       "(MemAvailable %" PRIu64 " kB)",
			       oomn_level_to_string(k->called_off_level), k->mem_available / 1024);
	else
		(void)snprintf(reason, sizeof(reason),
			       "level fell to %s before the deadline (MemAvailable %" PRIu64
			       " kB)",
			       oomn_level_to_string(k->level), k->mem_available / 1024);
	log_info("Redeemed: pid %d (%s) is not killed: %s", (int)ch->pid, ch->comm, reason);
	killer_bus_report_outcome(k->bus, "redeemed", ch->pid, ch->comm, ch->uid, ch->cgroup,
				  ch->rule ? ch->rule->name : "", 0, reason);
}

/*
 * Right before the first signal of a kill: the level on fresh figures, on
 * the source's scale, the way down judged with its hysteresis. The event
 * that started the episode may be older than memory coming back (the
 * kernel's OOM killer may have come first); without this look, whoever
 * was chosen next would pay for it.
 */
static enum oom_notify_level killer_last_look(Killer *k)
{
	struct oom_notify_figures f;

	killer_read_meminfo(k);
	f = (struct oom_notify_figures){
		.mem_total = k->mem_total,
		.mem_available = k->mem_available,
		.swap_worth = k->swap_worth,
		.thrashing = k->thrashing,
	};
	return oom_notify_level_eval(&k->thresholds, &f, OOM_NOTIFY_LEVEL_CRITICAL);
}

static void killer_apply(Killer *k, EpisodeActions a)
{
	bool starts = killer_kill_starts(a.flags, k->times.sigterm_ns != 0);

	if (k->have_victim && starts) {
		enum oom_notify_level level = killer_last_look(k);

		if (level < OOM_NOTIFY_LEVEL_CRITICAL) {
			k->called_off_level = level;
			killer_apply(k, episode_kill_called_off(&k->episode, level,
								oomn_now_usec(CLOCK_BOOTTIME)));
			k->called_off_level = -1;
			return;
		}
	}
	if (k->have_victim) {
		if (a.flags & EPISODE_ACT_DRY_RUN) {
			fprintf(stderr, "oom-killerd dry-run: pid=%d comm=%s rule=%s\n",
				(int)k->choice.pid, k->choice.comm,
				k->choice.rule ? k->choice.rule->name : "");
			log_info("Dry run: would kill pid %d (%s)%s: %s", (int)k->choice.pid,
				 k->choice.comm, k->choice.kill_group ? " and its cgroup" : "",
				 episode_cause_to_string(k->episode.cause));
		}
		if (a.flags & EPISODE_ACT_REPORT_REDEEMED)
			killer_report_redeemed(k);
		if (a.flags & EPISODE_ACT_REPORT_KILLED)
			killer_report_killed(k);
		if (a.flags & (EPISODE_ACT_SIGTERM | EPISODE_ACT_KILL_GROUP))
			killer_start_kill(k, a.flags);
		if (a.flags & EPISODE_ACT_SIGKILL) {
			/* no SIGTERM before it: this SIGKILL is where the kill starts */
			if (!k->times.sigterm_ns)
				killer_kill_begin(k);
			k->signal_name = "SIGKILL";
			if (k->episode.emergency)
				log_info("pid %d (%s): MemAvailable %" PRIu64
					 " kB, below half the floor during the grace: SIGKILL",
					 (int)k->choice.pid, k->choice.comm, k->mem_available / 1024);
			else if (k->episode.cut)
				log_info("pid %d (%s): no time left for a grace (headroom falling "
					 "%" PRIu64 " kB/s, floor %" PRIu64 " kB): SIGKILL",
					 (int)k->choice.pid, k->choice.comm,
					 wait_trend_rate(&k->episode.trend) / 1024,
					 k->floor_bytes / 1024);
			else
				log_info("pid %d (%s) still there after the grace: SIGKILL",
					 (int)k->choice.pid, k->choice.comm);
			killer_sigkill(k);
		}
	}
	if (a.flags & EPISODE_ACT_RELEASE)
		killer_release(k);

	if (a.timer_usec) {
		(void)sd_event_source_set_time(k->episode_timer, a.timer_usec);
		(void)sd_event_source_set_enabled(k->episode_timer, SD_EVENT_ONESHOT);
	} else
		(void)sd_event_source_set_enabled(k->episode_timer, SD_EVENT_OFF);
	if (a.poll_meminfo) {
		if (sd_event_source_get_enabled(k->poll_timer, NULL) == 0) {
			(void)sd_event_source_set_time(k->poll_timer, oomn_now_usec(CLOCK_BOOTTIME) +
									      KILLER_POLL_USEC);
			(void)sd_event_source_set_enabled(k->poll_timer, SD_EVENT_ONESHOT);
		}
	} else
		(void)sd_event_source_set_enabled(k->poll_timer, SD_EVENT_OFF);

	/* Last: a choice applies its own actions (timer included). */
	if (a.flags & EPISODE_ACT_CHOOSE)
		killer_choose(k);
}

static int killer_on_episode_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	Killer *k = userdata;
	uint64_t now = oomn_now_usec(CLOCK_BOOTTIME);

	/*
	 * Decide on the state as it is now, not as it was: this timer outranks
	 * the source's events, and a long process_mrelease() can leave level
	 * changes queued behind it. Without this the next victim was chosen on
	 * a critical level the kernel had left seconds before. A level change
	 * found here reaches the episode through killer_on_pressure() first.
	 */
	if (k->source) {
		int r = oomn_source_refresh(k->source);

		if (r < 0)
			log_warning_errno(r, "Failed to re-read the pressure level: %m");
	}
	killer_read_meminfo(k);
	killer_apply(k, episode_mem_available(&k->episode,
					      killer_headroom(k->mem_available, k->swap_worth),
					      k->floor_bytes, now));
	killer_apply(k, episode_timer(&k->episode, now));
	return 0;
}

static int killer_on_poll_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	Killer *k = userdata;

	killer_read_meminfo(k);
	(void)sd_event_source_set_time(s, oomn_now_usec(CLOCK_BOOTTIME) + KILLER_POLL_USEC);
	(void)sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
	killer_apply(k, episode_mem_available(&k->episode,
					      killer_headroom(k->mem_available, k->swap_worth),
					      k->floor_bytes, oomn_now_usec(CLOCK_BOOTTIME)));
	return 0;
}

static void killer_on_pressure(const struct oomn_pressure *p, void *userdata)
{
	Killer *k = userdata;
	enum oom_notify_level prev = k->level;
	uint64_t now;

	if (p->cgroup)
		return; /* a cgroup's own pressure: only the system level decides */
	now = oomn_now_usec(CLOCK_BOOTTIME);
	if (p->level == OOM_NOTIFY_LEVEL_CRITICAL && prev != OOM_NOTIFY_LEVEL_CRITICAL)
		k->critical_event_ns = oomn_now_nsec(CLOCK_BOOTTIME);
	k->level = p->level;
	k->mem_total = p->mem_total;
	k->mem_available = p->mem_available;
	k->swap_worth = p->swap_worth;
	k->thrashing = p->thrashing;
	if (p->has_thresholds)
		k->thresholds = p->thresholds;
	k->floor_bytes = killer_floor_bytes(k->mem_total, k->cfg.floor_permille);
	if (p->level != prev)
		log_info("Level %s -> %s (MemAvailable %" PRIu64 " of %" PRIu64 " kB, source %s)",
			 oomn_level_to_string(prev), oomn_level_to_string(p->level),
			 p->mem_available / 1024, p->mem_total / 1024,
			 oomn_source_kind_to_string(p->source));

	/*
	 * The level first: a fall below critical redeems the candidate before
	 * the event's figures (as of the crossing, maybe older than the last
	 * poll's) reach the fall-rate trend, where a stale low figure after a
	 * fresher high one reads as memory vanishing, and would cut the deadline.
	 */
	killer_apply(k, episode_level(&k->episode, p->level, now));
	killer_apply(k, episode_mem_available(&k->episode,
					      killer_headroom(k->mem_available, k->swap_worth),
					      k->floor_bytes, now));
	if (!k->refresh_timer || p->level == prev)
		return;
	/*
	 * Pressure builds: warm the list soon, the process causing it may be
	 * new. Soon, not here: low, medium and critical often arrive in one
	 * read, and a /proc walk for each of the first two would delay the
	 * choice that critical needs (the refresh timer runs after them).
	 */
	if (p->level > prev && p->level < OOM_NOTIFY_LEVEL_CRITICAL)
		killer_warm_soon(k);
	else
		killer_schedule_refresh(k);
}

static void killer_on_source(enum oomn_source_kind kind, const char *why, void *userdata)
{
	log_info("Event source: %s (%s)", oomn_source_kind_to_string(kind), why ? why : "");
}

static void killer_on_warning(const char *what, void *userdata)
{
	log_warning("%s", what);
}

static void killer_on_notified(pid_t pid, unsigned n, void *userdata)
{
	Killer *k = userdata;

	if (!k->have_victim || k->choice.pid != pid)
		return;
	log_info("Broker notified %u connection(s) of pid %d", n, (int)pid);
	killer_apply(k, episode_notified(&k->episode, n, oomn_now_usec(CLOCK_BOOTTIME)));
}

static void killer_on_answered(pid_t pid, uint64_t freed, bool checkpointed,
			       void *userdata)
{
	Killer *k = userdata;

	if (!k->have_victim || k->choice.pid != pid) {
		log_info("Answer from pid %d, which is not the candidate", (int)pid);
		return;
	}
	log_info("Candidate pid %d answered: freed %" PRIu64 " bytes%s", (int)pid, freed,
		 checkpointed ? ", checkpointed" : "");
	killer_apply(k, episode_answered(&k->episode, oomn_now_usec(CLOCK_BOOTTIME)));
}

/* Stores the registry copy; a reply's gives the candidates known now their bands. */
static void killer_on_clients(WaitClient *clients, size_t n, bool listed, void *userdata)
{
	Killer *k = userdata;

	free(k->clients);
	k->clients = clients;
	k->n_clients = n;
	if (!listed || !k->candidates)
		return;
	/* A reply is the whole registry: who left it keeps no band. */
	candidates_clear_bands(k->candidates);
	wait_clients_apply_bands(k->candidates, k->clients, k->n_clients);
}

void killer_refresh_bands(Killer *k)
{
	if (!k->bus)
		return;
	/* The candidates were just re-read: the stored bands at once, as a process
	 * new to the list may have registered before the last reply. */
	wait_clients_apply_bands(k->candidates, k->clients, k->n_clients);
	killer_bus_refresh_bands(k->bus);
}

static void killer_set_protected_pid(unsigned slot, pid_t pid, void *userdata)
{
	Killer *k = userdata;
	pid_t list[2];
	size_t n = 0;

	if (slot >= 2 || k->protected[slot] == pid)
		return;
	k->protected[slot] = pid;
	for (size_t i = 0; i < 2; i++)
		if (k->protected[i] > 0)
			list[n++] = k->protected[i];
	if (candidates_set_protected_pids(k->candidates, list, n) < 0)
		log_warning("Out of memory protecting pid %d", (int)pid);
}

static const KillerBusHandlers killer_bus_handlers = {
	.on_notified = killer_on_notified,
	.on_answered = killer_on_answered,
	.on_protected_pid = killer_set_protected_pid,
	.on_clients = killer_on_clients,
};

static int killer_on_signal(sd_event_source *s, const struct signalfd_siginfo *si,
			    void *userdata)
{
	Killer *k = userdata;

	log_info("Received %s, exiting", strsignal((int)si->ssi_signo));
	return sd_event_exit(k->event, 0);
}

static int killer_on_start(sd_event_source *s, void *userdata)
{
	Killer *k = userdata;
	const struct oomn_pressure *p = oomn_source_current(k->source);

	/* The level at start may already be critical: it counts as an event. */
	killer_on_pressure(p, k);
	return 0;
}

int killer_new(Killer **ret, const KillerConfig *cfg, Rules *rules)
{
	_cleanup_(killer_freep) Killer *k = NULL;
	static const struct oomn_source_handlers handlers = {
		.on_pressure = killer_on_pressure,
		.on_source = killer_on_source,
		.on_warning = killer_on_warning,
	};
	struct oomn_source_config scfg = {
		.proc_root = cfg->proc_root,
		.cgroup_root = cfg->cgroup_root,
		.force = cfg->source,
	};
	CandidatesOptions copts = {
		.proc_root = cfg->proc_root,
		.warn = killer_warn,
	};
	int r;

	k = calloc(1, sizeof(*k));
	if (!k) {
		rules_free(rules);
		return log_error_errno(-ENOMEM, "Out of memory");
	}
	k->rules = rules; /* owned from here on */
	k->cfg = *cfg;
	oom_notify_thresholds_default(&scfg.thresholds);
	k->thresholds = scfg.thresholds;
	k->called_off_level = -1;
	k->pidfd = -EBADF;
	k->level = OOM_NOTIFY_LEVEL_NORMAL;
	k->cfg.floor_permille = killer_floor_permille(k->cfg.floor_permille, rules);
	episode_init(&k->episode, cfg->dry_run);

	r = sd_event_default(&k->event);
	if (r < 0)
		return log_error_errno(r, "Failed to allocate the event loop: %m");
	(void)sd_event_set_watchdog(k->event, true);
	r = sd_event_add_signal(k->event, NULL, SIGTERM, killer_on_signal, k);
	if (r >= 0)
		r = sd_event_add_signal(k->event, NULL, SIGINT, killer_on_signal, k);
	if (r < 0)
		return log_error_errno(r, "Failed to watch signals: %m");

	r = candidates_new(&copts, &k->candidates);
	if (r < 0)
		return log_error_errno(r, "Failed to open %s: %m",
				       cfg->proc_root ? cfg->proc_root : "/proc");
	/* a proc root of its own (the tests') is the truth: no records from the kernel */
	if (!cfg->proc_root) {
		k->dump_error = 1;
		r = killer_dump_new(&k->dump);
		if (r < 0)
			log_warning_errno(r, "Cannot ask the module for process records (%m): "
					  "reading /proc");
	}
	/*
	 * Accuracy 1 us, not 0: 0 means sd-event's default of 250 ms, by which
	 * it may delay a timer to coalesce wake-ups. Here a deadline's end is
	 * a SIGKILL and a poll watches the floor: neither can wait.
	 */
	r = sd_event_add_time(k->event, &k->episode_timer, CLOCK_BOOTTIME, 0, 1,
			      killer_on_episode_timer, k);
	if (r >= 0)
		r = sd_event_source_set_enabled(k->episode_timer, SD_EVENT_OFF);
	if (r >= 0)
		r = sd_event_source_set_priority(k->episode_timer, SD_EVENT_PRIORITY_IMPORTANT);
	if (r >= 0)
		r = sd_event_add_time(k->event, &k->poll_timer, CLOCK_BOOTTIME, 0, 1,
				      killer_on_poll_timer, k);
	if (r >= 0)
		r = sd_event_source_set_enabled(k->poll_timer, SD_EVENT_OFF);
	if (r >= 0)
		r = sd_event_add_time(k->event, &k->refresh_timer, CLOCK_MONOTONIC, 0, 0,
				      killer_on_refresh_timer, k);
	if (r >= 0)
		r = sd_event_source_set_enabled(k->refresh_timer, SD_EVENT_OFF);
	/* After any pending event: a critical one waiting must not wait for a warm-up. */
	if (r >= 0)
		r = sd_event_source_set_priority(k->refresh_timer, SD_EVENT_PRIORITY_NORMAL + 1);
	if (r >= 0)
		r = sd_event_add_defer(k->event, NULL, killer_on_start, k);
	if (r < 0)
		return log_error_errno(r, "Failed to set up timers: %m");

	if (!cfg->no_bus) {
		r = killer_bus_new(&k->bus, k->event, cfg->bus_address, &killer_bus_handlers, k);
		if (r < 0)
			return log_error_errno(r, "Failed to set up the bus: %m");
	}

	r = oomn_source_new(&k->source, k->event, &scfg, &handlers, k);
	if (r < 0)
		return log_error_errno(r, "Failed to set up an event source: %m");

	killer_refresh(k, KILLER_REFRESH_FULL);
	if (k->last_refresh_usec == 0)
		return log_error_errno(-EIO, "Failed to read the process list");
	killer_schedule_refresh(k);

	*ret = TAKE_PTR(k);
	return 0;
}

Killer *killer_free(Killer *k)
{
	if (!k)
		return NULL;
	killer_release(k);
	k->episode_timer = sd_event_source_disable_unref(k->episode_timer);
	k->poll_timer = sd_event_source_disable_unref(k->poll_timer);
	k->refresh_timer = sd_event_source_disable_unref(k->refresh_timer);
	k->bus = killer_bus_free(k->bus);
	free(k->clients);
	k->source = oomn_source_free(k->source);
	k->candidates = candidates_free(k->candidates);
	k->dump = killer_dump_free(k->dump);
	k->rules = rules_free(k->rules);
	k->event = sd_event_unref(k->event);
	free(k);
	return NULL;
}

int killer_run(Killer *k)
{
	const struct oomn_pressure *p = oomn_source_current(k->source);
	int r;

	(void)sd_notify(0, "READY=1");
	fprintf(stderr, "oom-killerd ready: source %s, level %s, %zu candidates\n",
		oomn_source_kind_to_string(oomn_source_kind(k->source)), oomn_level_to_string(p->level),
		candidates_size(k->candidates));
	fflush(stderr);
	k->ready = true;

	r = sd_event_loop(k->event);
	if (r < 0)
		return log_error_errno(r, "Event loop failed: %m");
	return r;
}
