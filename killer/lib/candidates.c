/* SPDX-License-Identifier: GPL-2.0-only */
#include "candidates.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "oomn-macro.h"

struct Candidates {
	char *proc_root;
	int proc_fd;
	pid_t self_pid;
	pid_t *protected_pids;
	size_t n_protected_pids;
	CandidatesWarn warn;
	void *userdata;

	Candidate **items; /* sorted by pid */
	size_t n_items;
	uint64_t total_kb; /* MemTotal + SwapTotal */
	pid_t ignore_dying_pid; /* candidates_ignore_dying() */
};

/* The daemons that must survive for anyone to be told anything. comm is cut to 15 bytes. */
static const char *const builtin_protected_comms[] = {
	"oom-killerd", "oom-notifyd", "dbus-daemon", "dbus-broker", "dbus-broker-lau",
};

static void candidate_free(Candidate *cand)
{
	if (!cand)
		return;
	free(cand->exe);
	free(cand->cmdline);
	free(cand->cgroup);
	free(cand);
}

Candidates *candidates_free(Candidates *c)
{
	if (!c)
		return NULL;
	for (size_t i = 0; i < c->n_items; i++)
		candidate_free(c->items[i]);
	free(c->items);
	free(c->protected_pids);
	if (c->proc_fd >= 0)
		(void)close(c->proc_fd);
	free(c->proc_root);
	free(c);
	return NULL;
}

int candidates_new(const CandidatesOptions *opts, Candidates **ret)
{
	_cleanup_candidates_ Candidates *c = NULL;
	const char *root = opts && opts->proc_root ? opts->proc_root : "/proc";

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->proc_fd = -EBADF;
	c->proc_root = strdup(root);
	if (!c->proc_root)
		return -ENOMEM;
	c->proc_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c->proc_fd < 0)
		return -errno;
	c->self_pid = opts && opts->self_pid > 0 ? opts->self_pid : getpid();
	if (opts && opts->n_protected_pids > 0) {
		c->protected_pids = calloc(opts->n_protected_pids, sizeof(pid_t));
		if (!c->protected_pids)
			return -ENOMEM;
		memcpy(c->protected_pids, opts->protected_pids,
		       opts->n_protected_pids * sizeof(pid_t));
		c->n_protected_pids = opts->n_protected_pids;
	}
	if (opts) {
		c->warn = opts->warn;
		c->userdata = opts->userdata;
	}
	*ret = TAKE_PTR(c);
	return 0;
}

int candidates_set_protected_pids(Candidates *c, const pid_t *pids, size_t n)
{
	pid_t *copy = NULL;

	if (n > 0) {
		copy = calloc(n, sizeof(pid_t));
		if (!copy)
			return -ENOMEM;
		memcpy(copy, pids, n * sizeof(pid_t));
	}
	free(c->protected_pids);
	c->protected_pids = copy;
	c->n_protected_pids = n;
	return 0;
}

static void candidates_warn(Candidates *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void candidates_warn(Candidates *c, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (!c->warn)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->warn(msg, c->userdata);
}

static int cmp_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return (x > y) - (x < y);
}

static int list_pids(Candidates *c, pid_t **ret, size_t *ret_n)
{
	_cleanup_free_ pid_t *pids = NULL;
	size_t n = 0, size = 0;
	struct dirent *de;
	int fd;
	DIR *d;

	fd = openat(c->proc_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		int r = -errno;

		(void)close(fd);
		return r;
	}
	while ((de = readdir(d))) {
		const char *s = de->d_name;
		long v = 0;

		if (*s < '1' || *s > '9')
			continue;
		for (; *s >= '0' && *s <= '9' && v <= 0x3fffffff; s++)
			v = v * 10 + (*s - '0');
		if (*s || v > 0x3fffffff) /* PID_MAX_LIMIT is 4M */
			continue;
		if (n == size) {
			size_t ns = size ? size * 2 : 1024;
			pid_t *np = reallocarray(pids, ns, sizeof(*np));

			if (!np) {
				(void)closedir(d);
				return -ENOMEM;
			}
			pids = np;
			size = ns;
		}
		pids[n++] = (pid_t)v;
	}
	(void)closedir(d);
	qsort(pids, n, sizeof(*pids), cmp_pid);
	*ret = TAKE_PTR(pids);
	*ret_n = n;
	return 0;
}

/* Reads the strings rules match on: command line, cgroup, exe. */
static int candidate_read_strings(Candidate *cand, int pid_fd)
{
	char *cmdline = NULL, *cgroup = NULL, *exe = NULL;
	int r;

	r = procfs_read_cmdline(pid_fd, &cmdline);
	if (r == -ENOMEM || r == -ESRCH)
		return r;
	r = procfs_read_cgroup(pid_fd, &cgroup);
	if (r == -ENOMEM || r == -ESRCH) {
		free(cmdline);
		return r;
	}
	r = procfs_read_exe(pid_fd, &exe);
	if (r == -ENOMEM) {
		free(cmdline);
		free(cgroup);
		return r;
	}
	/* an unreadable exe (not root, or a kernel thread) only means exe rules do not match */

	free(cand->cmdline);
	free(cand->cgroup);
	free(cand->exe);
	cand->cmdline = cmdline;
	cand->cgroup = cgroup;
	cand->exe = exe;
	return 0;
}

/* Reads what changes only with the process's life: memory, uid, command line, cgroup, exe. */
static int candidate_read_details(Candidate *cand, int pid_fd)
{
	ProcStatus st;
	int r;

	r = procfs_read_status(pid_fd, &st);
	if (r < 0)
		return r;
	r = candidate_read_strings(cand, pid_fd);
	if (r < 0)
		return r;
	cand->uid = st.uid;
	cand->has_mm = st.has_mm;
	cand->rss_kb = st.rss_kb;
	cand->swap_kb = st.swap_kb;
	cand->pte_kb = st.pte_kb;
	return 0;
}

typedef enum ReadResult {
	READ_NEW,
	READ_UPDATED,
	READ_UNCHANGED,
	READ_VANISHED,
	READ_MALFORMED,
	READ_UNREADABLE,
	READ_OOM,
} ReadResult;

static ReadResult classify(Candidates *c, pid_t pid, const char *what, int r)
{
	if (r == -ESRCH)
		return READ_VANISHED;
	if (r == -ENOMEM)
		return READ_OOM;
	if (r == -EBADMSG) {
		candidates_warn(c, "pid %d: malformed %s, skipped", (int)pid, what);
		return READ_MALFORMED;
	}
	candidates_warn(c, "pid %d: cannot read %s (%s), skipped", (int)pid, what, strerror(-r));
	return READ_UNREADABLE;
}

/* Reads pid into *cand (an old entry for the same pid, or a fresh zeroed one). */
static ReadResult candidate_read(Candidates *c, pid_t pid, Candidate *cand, bool known, bool full)
{
	_cleanup_close_ int fd = -EBADF;
	char name[16];
	ProcStat st;
	int adj, r;
	bool same;

	/* fast path, no directory opened: what a warm refresh does for most processes */
	if (known && !full) {
		r = procfs_read_stat_pid(c->proc_fd, pid, &st);
		if (r == -ENOTDIR)
			r = -ESRCH;
		if (r < 0)
			return classify(c, pid, "stat", r);
		if (st.pid != pid)
			return classify(c, pid, "stat", -EBADMSG);
		/* oom_score_adj can change while the process sleeps: always re-read it */
		r = procfs_read_oom_score_adj_pid(c->proc_fd, pid, &adj);
		if (r < 0)
			return classify(c, pid, "oom_score_adj", r);
		if (cand->starttime == st.starttime && cand->stat_hash == st.hash) {
			if (cand->oom_score_adj != adj) {
				cand->oom_score_adj = adj;
				cand->match_generation = 0;
			}
			return READ_UNCHANGED;
		}
	}

	/* new or changed: everything read through one directory fd, so all from one process */
	(void)snprintf(name, sizeof(name), "%d", (int)pid);
	fd = openat(c->proc_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return classify(c, pid, "directory", errno == ENOENT ? -ESRCH : -errno);
	r = procfs_read_stat(fd, &st);
	if (r < 0)
		return classify(c, pid, "stat", r);
	if (st.pid != pid)
		return classify(c, pid, "stat", -EBADMSG);
	r = procfs_read_oom_score_adj(fd, &adj);
	if (r < 0)
		return classify(c, pid, "oom_score_adj", r);

	same = known && cand->starttime == st.starttime;
	if (!same)
		cand->band = -1; /* a new process under a reused pid registered nothing */

	r = candidate_read_details(cand, fd);
	if (r < 0)
		return classify(c, pid, "status", r);
	cand->pid = st.pid;
	cand->ppid = st.ppid;
	cand->state = st.state;
	cand->flags = st.flags;
	cand->starttime = st.starttime;
	cand->stat_hash = st.hash;
	memcpy(cand->comm, st.comm, sizeof(cand->comm));
	cand->oom_score_adj = adj;
	cand->match_generation = 0;
	return known ? READ_UPDATED : READ_NEW;
}

/* Reads process @i of a refresh's source into *cand (an old entry for the same pid, or a
 * fresh zeroed one); @known says which. */
typedef ReadResult (*ReadFn)(Candidates *c, size_t i, Candidate *cand, bool known,
			     unsigned flags, const void *src);

static ReadResult read_proc(Candidates *c, size_t i, Candidate *cand, bool known, unsigned flags,
			    const void *src)
{
	const pid_t *pids = src;

	if (known && (flags & CANDIDATES_REFRESH_NEW_ONLY))
		return READ_UNCHANGED;
	return candidate_read(c, pids[i], cand, known, flags & CANDIDATES_REFRESH_FULL);
}

/*
 * Merges the sorted @pids of a source into the list, reading each with @read;
 * what is not in @pids is gone.
 */
static int candidates_merge(Candidates *c, const pid_t *pids, size_t n_pids, ReadFn read,
			    const void *src, unsigned flags, CandidatesStats *ret_stats)
{
	CandidatesStats stats = {};
	Candidate **next;
	size_t n_next = 0, o = 0;
	uint64_t total;
	int r;

	r = procfs_read_total_kb(c->proc_fd, &total);
	if (r < 0)
		candidates_warn(c, "cannot read meminfo (%s): oom_score_adj has no weight",
				strerror(-r));
	else
		c->total_kb = total;
	r = 0;

	next = calloc(n_pids ?: 1, sizeof(*next));
	if (!next)
		return -ENOMEM;

	for (size_t i = 0; i < n_pids; i++) {
		Candidate *cand = NULL;
		bool known = false;
		ReadResult rr;

		while (o < c->n_items && c->items[o]->pid < pids[i]) {
			candidate_free(c->items[o++]);
			stats.n_gone++;
		}
		if (o < c->n_items && c->items[o]->pid == pids[i]) {
			cand = c->items[o++];
			known = true;
		} else {
			cand = calloc(1, sizeof(*cand));
			if (!cand) {
				r = -ENOMEM;
				break;
			}
			cand->band = -1;
		}

		rr = read(c, i, cand, known, flags, src);
		switch (rr) {
		case READ_NEW:
			stats.n_new++;
			break;
		case READ_UPDATED:
			stats.n_updated++;
			break;
		case READ_UNCHANGED:
			stats.n_unchanged++;
			break;
		case READ_VANISHED:
			if (known)
				stats.n_gone++;
			else
				stats.n_vanished++;
			break;
		case READ_MALFORMED:
			stats.n_malformed++;
			break;
		case READ_UNREADABLE:
			stats.n_unreadable++;
			break;
		case READ_OOM:
			r = -ENOMEM;
			break;
		}
		if (rr <= READ_UNCHANGED)
			next[n_next++] = cand;
		else
			candidate_free(cand);
		if (r < 0)
			break;
	}
	/* on ENOMEM the rest of the old list is kept: stale beats empty */
	while (o < c->n_items) {
		if (r < 0)
			next[n_next++] = c->items[o++];
		else {
			candidate_free(c->items[o++]);
			stats.n_gone++;
		}
	}
	/* still sorted: whatever is left of the old list lies above every pid handled */
	free(c->items);
	c->items = next;
	c->n_items = n_next;
	stats.n_processes = (unsigned)n_next;
	if (ret_stats)
		*ret_stats = stats;
	return r < 0 ? r : 0;
}

int candidates_refresh(Candidates *c, unsigned flags, CandidatesStats *ret_stats)
{
	_cleanup_free_ pid_t *pids = NULL;
	size_t n_pids = 0;
	int r;

	r = list_pids(c, &pids, &n_pids);
	if (r < 0)
		return r;
	return candidates_merge(c, pids, n_pids, read_proc, pids, flags, ret_stats);
}

/*
 * Takes record @i's figures; opens /proc only for the strings of a process
 * that is new, exec'd, renamed itself or moved to another cgroup.
 */
static ReadResult read_record(Candidates *c, size_t i, Candidate *cand, bool known,
			      unsigned flags, const void *src)
{
	const CandidateRecord *rec = (const CandidateRecord *)src + i;
	bool same = known && cand->starttime == rec->starttime;
	bool strings = !same || (flags & CANDIDATES_REFRESH_FULL) ||
		       cand->exec_id != rec->exec_id || cand->cgroup_id != rec->cgroup_id ||
		       strcmp(cand->comm, rec->comm) != 0;

	if (strings) {
		_cleanup_close_ int fd = -EBADF;
		char name[16];
		ProcStat st;
		int r;

		(void)snprintf(name, sizeof(name), "%d", (int)rec->pid);
		fd = openat(c->proc_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return classify(c, rec->pid, "directory", errno == ENOENT ? -ESRCH : -errno);
		/* the directory must be the recorded process, not a newer one under its pid */
		r = procfs_read_stat(fd, &st);
		if (r < 0)
			return classify(c, rec->pid, "stat", r);
		if (st.pid != rec->pid || st.starttime != rec->starttime)
			return READ_VANISHED;
		r = candidate_read_strings(cand, fd);
		if (r < 0)
			return classify(c, rec->pid, "cmdline", r);
	}
	if (!same)
		cand->band = -1; /* a new process under a reused pid registered nothing */
	if (strings || cand->uid != rec->uid || cand->oom_score_adj != rec->oom_score_adj)
		cand->match_generation = 0;

	cand->pid = rec->pid;
	cand->ppid = rec->ppid;
	cand->starttime = rec->starttime;
	cand->stat_hash = 0; /* a /proc refresh after this one reads the process again */
	cand->state = rec->state;
	cand->flags = rec->flags;
	memcpy(cand->comm, rec->comm, sizeof(cand->comm));
	cand->uid = rec->uid;
	cand->oom_score_adj = rec->oom_score_adj;
	cand->has_mm = rec->has_mm;
	cand->rss_kb = rec->rss_kb;
	cand->swap_kb = rec->swap_kb;
	cand->pte_kb = rec->pte_kb;
	cand->cgroup_id = rec->cgroup_id;
	cand->exec_id = rec->exec_id;
	return !known ? READ_NEW : strings ? READ_UPDATED : READ_UNCHANGED;
}

int candidates_refresh_records(Candidates *c, const CandidateRecord *recs, size_t n,
			       unsigned flags, CandidatesStats *ret_stats)
{
	_cleanup_free_ pid_t *pids = NULL;

	pids = calloc(n ?: 1, sizeof(*pids));
	if (!pids)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (recs[i].pid <= 0 || (i > 0 && recs[i].pid <= recs[i - 1].pid))
			return -EINVAL;
		pids[i] = recs[i].pid;
	}
	return candidates_merge(c, pids, n, read_record, recs, flags, ret_stats);
}

static Candidate *find(const Candidates *c, pid_t pid)
{
	size_t lo = 0, hi = c->n_items;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->items[mid]->pid == pid)
			return c->items[mid];
		if (c->items[mid]->pid < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

size_t candidates_size(const Candidates *c)
{
	return c ? c->n_items : 0;
}

const Candidate *candidates_get(const Candidates *c, pid_t pid)
{
	return c ? find(c, pid) : NULL;
}

uint64_t candidates_total_kb(const Candidates *c)
{
	return c ? c->total_kb : 0;
}

int candidates_set_band(Candidates *c, pid_t pid, uid_t uid, int band)
{
	Candidate *cand = find(c, pid);

	if (!cand)
		return -ESRCH;
	if (cand->uid != uid)
		return -EPERM;
	if (cand->band != band) {
		cand->band = band;
		cand->match_generation = 0; /* band rules match anew */
	}
	return 0;
}

void candidates_ignore_dying(Candidates *c, pid_t pid)
{
	if (c)
		c->ignore_dying_pid = pid;
}

void candidates_clear_bands(Candidates *c)
{
	for (size_t i = 0; c && i < c->n_items; i++)
		if (c->items[i]->band != -1) {
			c->items[i]->band = -1;
			c->items[i]->match_generation = 0;
		}
}

/* Why a process may never be chosen, whatever the rules say; NULL if it may. */
static const char *candidate_builtin_protection(const Candidates *c, const Candidate *cand)
{
	if (cand->pid == 1)
		return "PID 1";
	if ((cand->flags & PROCFS_PF_KTHREAD) || cand->pid == 2 || cand->ppid == 2)
		return "kernel thread";
	if (cand->state == 'Z' || cand->state == 'X')
		return "exiting";
	if (!cand->has_mm)
		return "no memory";
	if (cand->oom_score_adj <= -1000)
		return "oom_score_adj -1000";
	if (cand->pid == c->self_pid)
		return "the killer itself";
	for (size_t i = 0; i < c->n_protected_pids; i++)
		if (cand->pid == c->protected_pids[i])
			return "protected pid";
	for (size_t i = 0; i < ELEMENTSOF(builtin_protected_comms); i++)
		if (strcmp(cand->comm, builtin_protected_comms[i]) == 0)
			return "oom-notify or bus daemon";
	return NULL;
}

static const Rule *candidate_match(Candidate *cand, const Rules *rules)
{
	RuleSubject s;

	if (!rules)
		return NULL;
	if (cand->match_generation == rules->generation)
		return cand->match;
	s = (RuleSubject){
		.comm = cand->comm,
		.exe = cand->exe,
		.cmdline = cand->cmdline,
		.uid = cand->uid,
		.cgroup = cand->cgroup,
		.band = cand->band,
		.oom_score_adj = cand->oom_score_adj,
	};
	cand->match = rules_match(rules, &s);
	cand->match_generation = rules->generation;
	return cand->match;
}

/* oom_badness() of mm/oom_kill.c, in kB: rss + swap + page tables, plus adj per mille of all
 * memory. */
static int64_t badness_kb(const Candidates *c, const Candidate *cand)
{
	return (int64_t)(cand->rss_kb + cand->swap_kb + cand->pte_kb) +
	       (int64_t)cand->oom_score_adj * (int64_t)(c->total_kb / 1000);
}

/* Ordering: non-avoided first, then higher score, more rss, then the higher (younger) pid. */
static bool entry_better(const ChoiceEntry *a, uint64_t a_rss, const ChoiceEntry *b, uint64_t b_rss)
{
	if (a->avoided != b->avoided)
		return !a->avoided;
	if (a->score_kb != b->score_kb)
		return a->score_kb > b->score_kb;
	if (a_rss != b_rss)
		return a_rss > b_rss;
	return a->pid > b->pid;
}

static bool cgroup_contains(const char *group, const char *cg)
{
	size_t n = strlen(group);

	return cg && strncmp(group, cg, n) == 0 && (cg[n] == 0 || cg[n] == '/');
}

void choice_done(Choice *ch)
{
	if (!ch)
		return;
	free(ch->cgroup);
	free(ch->exe);
	ch->cgroup = ch->exe = NULL;
}

/* snprintf() at *len, never past the end however long the rule names are. */
static void reason_append(char *buf, size_t size, size_t *len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void reason_append(char *buf, size_t size, size_t *len, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*len >= size - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *len, size - *len, fmt, ap);
	va_end(ap);
	if (n > 0)
		*len = *len + (size_t)n >= size ? size - 1 : *len + (size_t)n;
}

/*
 * A process whose memory is on its way back: a user process past exit_mm()
 * (no mm left, not yet a zombie: exit_mmap may still be running) or exiting
 * with a sizeable mm. The kernel's OOM killer kills nobody else while its
 * victim exits; neither do we: the victim of a kernel OOM kill that came
 * first is such a process, and the next largest would be an innocent.
 */
static bool candidate_dying(const Candidates *c, const Candidate *cand)
{
	if (cand->pid == c->ignore_dying_pid)
		return false;
	if ((cand->flags & PROCFS_PF_KTHREAD) || cand->pid == 2 || cand->ppid == 2 ||
	    cand->state == 'Z' || cand->state == 'X')
		return false;
	if (!cand->has_mm)
		return true;
	return (cand->flags & PROCFS_PF_EXITING) &&
	       cand->rss_kb + cand->swap_kb >= c->total_kb / 64;
}

int candidates_choose(Candidates *c, const Rules *rules, Choice *ret)
{
	Candidate *best = NULL;
	uint64_t top_rss[CHOICE_TOP_MAX];
	ChoiceEntry best_e = {};
	Choice ch = {};
	const Rule *rule;
	size_t len = 0;

	for (size_t i = 0; i < c->n_items; i++) {
		Candidate *cand = c->items[i];
		ChoiceEntry e;
		size_t pos;

		if (candidate_dying(c, cand)) {
			*ret = (Choice){ .pid = cand->pid };
			memcpy(ret->comm, cand->comm, sizeof(ret->comm));
			(void)snprintf(ret->reason, sizeof(ret->reason),
				       "pid %d (%s) is exiting: its memory is on the way back",
				       (int)cand->pid, cand->comm);
			return -EBUSY;
		}
		if (candidate_builtin_protection(c, cand)) {
			ch.n_protected++;
			continue;
		}
		rule = candidate_match(cand, rules);
		if (rule && rule->action == RULE_ACTION_PROTECT) {
			ch.n_protected++;
			continue;
		}
		ch.n_eligible++;
		e = (ChoiceEntry){
			.pid = cand->pid,
			.uid = cand->uid,
			.oom_score_adj = cand->oom_score_adj,
			.avoided = rule && rule->action == RULE_ACTION_AVOID,
			.badness_kb = badness_kb(c, cand),
			.rule = rule,
		};
		e.score_kb = e.badness_kb;
		if (rule && rule->action == RULE_ACTION_PREFER)
			e.score_kb += (int64_t)rule->weight * (int64_t)(c->total_kb / 1000);

		/* keep the top list sorted, best first */
		for (pos = ch.n_top; pos > 0; pos--)
			if (!entry_better(&e, cand->rss_kb, &ch.top[pos - 1], top_rss[pos - 1]))
				break;
		if (pos >= CHOICE_TOP_MAX)
			continue;
		memcpy(e.comm, cand->comm, sizeof(e.comm));
		if (ch.n_top < CHOICE_TOP_MAX)
			ch.n_top++;
		memmove(&ch.top[pos + 1], &ch.top[pos], (ch.n_top - 1 - pos) * sizeof(ch.top[0]));
		memmove(&top_rss[pos + 1], &top_rss[pos],
			(ch.n_top - 1 - pos) * sizeof(top_rss[0]));
		ch.top[pos] = e;
		top_rss[pos] = cand->rss_kb;
		if (pos == 0) {
			best = cand;
			best_e = e;
		}
	}
	if (!best) {
		*ret = ch;
		(void)snprintf(ret->reason, sizeof(ret->reason),
			       "no process may be chosen (%zu protected)", ch.n_protected);
		return -ESRCH;
	}

	rule = best_e.rule;
	ch.pid = best->pid;
	ch.starttime = best->starttime;
	memcpy(ch.comm, best->comm, sizeof(ch.comm));
	ch.uid = best->uid;
	ch.oom_score_adj = best->oom_score_adj;
	ch.rss_kb = best->rss_kb;
	ch.swap_kb = best->swap_kb;
	ch.pte_kb = best->pte_kb;
	ch.badness_kb = best_e.badness_kb;
	ch.score_kb = best_e.score_kb;
	ch.rule = rule;
	ch.avoided = best_e.avoided;
	ch.deadline_usec = rules ? rules->deadline_usec : RULES_DEFAULT_DEADLINE_USEC;
	ch.grace_usec = rules ? rules->grace_usec : RULES_DEFAULT_GRACE_USEC;
	if (rule && rule->deadline_usec != RULES_USEC_UNSET)
		ch.deadline_usec = rule->deadline_usec;
	if (rule && rule->grace_usec != RULES_USEC_UNSET)
		ch.grace_usec = rule->grace_usec;
	if (best->cgroup && !(ch.cgroup = strdup(best->cgroup)))
		return -ENOMEM;
	if (best->exe && !(ch.exe = strdup(best->exe))) {
		choice_done(&ch);
		return -ENOMEM;
	}

	if (!rule)
		reason_append(ch.reason, sizeof(ch.reason), &len,
			      "highest badness, no rule matched");
	else if (ch.avoided)
		reason_append(ch.reason, sizeof(ch.reason), &len,
			      "only avoided processes left; rule '%s' (avoid)", rule->name);
	else if (rule->action == RULE_ACTION_PREFER)
		reason_append(ch.reason, sizeof(ch.reason), &len,
			      "highest score; rule '%s' (prefer, weight %u adds %" PRId64 " kB)",
			      rule->name, rule->weight, ch.score_kb - ch.badness_kb);
	else
		reason_append(ch.reason, sizeof(ch.reason), &len, "highest badness; rule '%s' (%s)",
			      rule->name, rule_action_to_string(rule->action));

	if (rule && rule->action == RULE_ACTION_KILL_GROUP && !ch.avoided) {
		const Candidate *spoiler = NULL;

		/* cgroup.kill takes every process below too: not if a protected one is there */
		if (ch.cgroup && strcmp(ch.cgroup, "/") != 0)
			for (size_t i = 0; i < c->n_items && !spoiler; i++) {
				Candidate *o = c->items[i];
				const Rule *orule;

				if (!cgroup_contains(ch.cgroup, o->cgroup))
					continue;
				orule = candidate_match(o, rules);
				if ((candidate_builtin_protection(c, o) &&
				     !(o->flags & PROCFS_PF_KTHREAD) && o->has_mm) ||
				    o->pid == 1 || (orule && orule->action == RULE_ACTION_PROTECT))
					spoiler = o;
			}
		if (!ch.cgroup || strcmp(ch.cgroup, "/") == 0)
			reason_append(ch.reason, sizeof(ch.reason), &len,
				      "; root or no cgroup: this process only");
		else if (spoiler)
			reason_append(ch.reason, sizeof(ch.reason), &len,
				      "; cgroup %s holds protected pid %d (%s): this "
				      "process only",
				      ch.cgroup, (int)spoiler->pid, spoiler->comm);
		else {
			ch.kill_group = true;
			reason_append(ch.reason, sizeof(ch.reason), &len, "; whole cgroup %s",
				      ch.cgroup);
		}
	}
	reason_append(ch.reason, sizeof(ch.reason), &len,
		      ": badness %" PRId64 " kB (rss %" PRIu64 " + swap %" PRIu64
		      " + page tables %" PRIu64 " kB, oom_score_adj %d)",
		      ch.badness_kb, ch.rss_kb, ch.swap_kb, ch.pte_kb, ch.oom_score_adj);
	*ret = ch;
	return 0;
}
