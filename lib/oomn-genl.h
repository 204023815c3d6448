/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Client of the oom_notify generic netlink family (libnl-3): the GET_STATE
 * and SET_THRESHOLDS requests and the GET_PROCESSES dump on a blocking
 * command socket, and the
 * multicast events on a separate non-blocking socket whose fd the caller's
 * event loop watches. The message parsers are pure and work on messages
 * built in memory.
 */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <netlink/msg.h>

#include "oom_notify_level.h"
#include "oomn-level.h"
#include "oomn-macro.h"

/* The kernel's TASK_COMM_LEN; one byte more is accepted, for a NUL after a
 * full-length name. */
#define OOMN_COMM_LEN 16

/* Reply to GET_STATE. Mandatory: LEVEL, SEQ; the rest is 0 when absent. */
struct oomn_state {
	enum oom_notify_level level;
	uint64_t seq;     /* last pressure event sent, 0: none yet */
	uint64_t oom_seq; /* last OOM event sent, 0: none yet */
	uint64_t timestamp_ns; /* CLOCK_BOOTTIME */
	uint32_t cause;        /* enum oom_notify_cause; may be newer than us */
	uint64_t mem_total;    /* bytes */
	uint64_t mem_available;
	uint64_t swap_free;
	uint64_t swap_worth; /* what the level counted: swap_free net of its RAM cost */
	uint32_t swap_cost_permille; /* RAM per page swapped; 0: a disk */
	bool thrashing;
	bool has_thresholds; /* if so, all seven were present */
	struct oom_notify_thresholds thresholds;
};

/* PRESSURE_EVENT. Mandatory: LEVEL, PREV_LEVEL, SEQ (not 0). */
struct oomn_pressure_event {
	uint64_t seq;
	enum oom_notify_level level;
	enum oom_notify_level prev_level;
	uint64_t timestamp_ns;
	uint32_t cause;
	uint64_t mem_total;
	uint64_t mem_available;
	uint64_t swap_free;
	uint64_t swap_worth; /* what the level counted: swap_free net of its RAM cost */
	uint32_t swap_cost_permille; /* RAM per page swapped; 0: a disk */
	bool thrashing;
	bool has_thresholds;
	struct oom_notify_thresholds thresholds;
};

/* OOM_EVENT. Mandatory: OOM_SEQ (not 0), OOM_PID; the rest 0 / "" when
 * absent. Sizes in bytes. */
struct oomn_oom_event {
	uint64_t oom_seq;
	uint64_t timestamp_ns;
	enum oom_notify_level level;
	uint32_t pid;
	uint32_t tid;
	char comm[OOMN_COMM_LEN + 1];
	uint32_t uid;
	int32_t oom_score_adj; /* within OOM_SCORE_ADJ_MIN..MAX */
	uint64_t total_vm;
	uint64_t anon_rss;
	uint64_t file_rss;
	uint64_t shmem_rss;
	uint64_t pgtables;
	uint64_t cgroup_id;
	char cgroup[PATH_MAX];
	uint32_t lost; /* OOM events the kernel dropped before this one */
};

/* One part of the GET_PROCESSES dump: one process (thread group).
 * Mandatory: PROC_PID (not 0), PROC_START_NS, PROC_COMM; the rest 0 when
 * absent. pid and start_ns together name a process for good (pids are
 * reused); exec_id tells an execve apart. Sizes in bytes. */
struct oomn_proc {
	uint32_t pid;  /* tgid, initial pid namespace */
	uint32_t ppid; /* the parent's tgid; 0 for pid 1 and kthreadd */
	uint64_t start_ns; /* CLOCK_BOOTTIME */
	char comm[OOMN_COMM_LEN + 1];
	uint32_t uid;  /* real uid, initial user namespace */
	char state;    /* the leader's, as in /proc/PID/stat ('R', 'S', 'Z'...) */
	uint32_t flags; /* the leader's PF_* flags */
	int32_t oom_score_adj; /* within OOM_SCORE_ADJ_MIN..MAX */
	bool has_mm;   /* PROC_RSS was sent: not a kernel thread, zombie or exiting */
	uint64_t rss;  /* anon + file + shmem */
	uint64_t swap;
	uint64_t pgtables;
	uint64_t cgroup_id; /* cgroup v2 id (inode) */
	uint64_t exec_id;   /* changes at each execve */
};

/* What the genl controller says about a family (GETFAMILY reply,
 * NEWFAMILY / DELFAMILY notification). Groups beyond the array are ignored. */
struct oomn_genl_family {
	char name[GENL_NAMSIZ];
	uint16_t id;
	uint32_t version;
	size_t n_groups;
	struct {
		char name[GENL_NAMSIZ];
		uint32_t id;
	} groups[8];
};

/* Bit of a threshold in oomn_thresholds_update.mask. */
#define OOMN_T_BIT(t) (1u << (t))

/* Only the thresholds whose OOMN_T_BIT(OOM_NOTIFY_T_*) is in mask are sent. */
struct oomn_thresholds_update {
	uint32_t mask;
	struct oom_notify_thresholds t;
};

/* Groups for oomn_genl_subscribe(). */
#define OOMN_GROUP_PRESSURE (1u << 0)
#define OOMN_GROUP_OOM (1u << 1) /* needs CAP_SYS_ADMIN */

/*
 * Called from oomn_genl_dispatch(). Any may be NULL. The handlers may call
 * oomn_genl_get_state() (it uses the other socket), but must not free the
 * OomnGenl.
 */
struct oomn_genl_handlers {
	void (*on_pressure)(const struct oomn_pressure_event *ev, void *userdata);
	void (*on_oom)(const struct oomn_oom_event *ev, void *userdata);
	/* The module was loaded (the library has already re-joined the groups
	 * subscribed to) or unloaded. Re-read the state after appeared. */
	void (*on_family)(bool appeared, void *userdata);
	/* The event socket overflowed (ENOBUFS): events were lost. Re-read the
	 * state with oomn_genl_get_state(). */
	void (*on_overflow)(void *userdata);
	/* An event of @group (OOMN_GROUP_*) came with a sequence number past
	 * the one due: events were lost. Called before that event is delivered.
	 * For pressure, if the handler re-reads the state, the event is dropped
	 * when the state already reflects it. OOM events are always delivered
	 * (the state holds no victim); their own LOST counts the kernel's drops. */
	void (*on_gap)(unsigned group, uint64_t expected, uint64_t got,
		       void *userdata);
	/* A message was dropped: @error is -EBADMSG for a malformed message,
	 * -EMSGSIZE for a truncated datagram, -EPROTO for a family of another
	 * version; @what says which. For the caller's log. */
	void (*on_invalid)(int error, const char *what, void *userdata);
};

typedef struct OomnGenl OomnGenl;

/* Flags for oomn_genl_open(). */
#define OOMN_GENL_ALLOW_MISSING (1u << 0) /* succeed without the module */

/*
 * Opens the command and event sockets, joins the genl controller's "notify"
 * group (to see the module come and go) and resolves the family and its
 * groups by name. Returns -ENOENT when the module is not loaded (unless
 * OOMN_GENL_ALLOW_MISSING: then requests fail with -ENOENT until the family
 * appears), -EPROTO when its version is not OOM_NOTIFY_FAMILY_VERSION.
 */
int oomn_genl_open(OomnGenl **ret, unsigned flags);
int oomn_genl_new(OomnGenl **ret); /* oomn_genl_open(ret, 0) */
OomnGenl *oomn_genl_free(OomnGenl *g);
DEFINE_TRIVIAL_CLEANUP_FUNC(OomnGenl *, oomn_genl_free);

/* Whether the family is currently resolved, and its version (0 if not). */
bool oomn_genl_has_family(const OomnGenl *g);
uint32_t oomn_genl_family_version(const OomnGenl *g);

/*
 * GET_STATE. Also re-bases the pressure gap tracking on the reply's SEQ, so
 * pressure events the state already reflects are dropped as stale (OOM
 * tracking is left alone: an OOM event is news even if OOM_SEQ counts it). Returns 0,
 * -ENOENT without the module, -ETIMEDOUT when the kernel does not answer,
 * -EBADMSG for a malformed reply, or the kernel's error.
 */
int oomn_genl_get_state(OomnGenl *g, struct oomn_state *ret);

/*
 * GET_PROCESSES: dumps every process, calling @cb once per process in the
 * kernel's order (ascending tgid) as the parts arrive. Needs CAP_SYS_ADMIN.
 *
 * Each part must come from the kernel with the request's sequence number
 * (anything else is ignored) and within the GET_STATE timeout of the one
 * before it. A malformed part is skipped and counted in *ret_malformed
 * (optional; set on every return); it does not end the dump. A negative
 * return of @cb stops the calls and is returned once the rest of the dump
 * has been read (the socket is ready for the next request). @cb must not
 * make requests on @g: the dump is still arriving on its socket.
 *
 * Returns 0 (also for an empty dump), @cb's error, -ENOENT without the
 * module, -ETIMEDOUT when a part is late, -EBADMSG for a malformed end of
 * the dump, or the kernel's error: -EPERM without CAP_SYS_ADMIN,
 * -EOPNOTSUPP from a module older than the command. On an error other than
 * @cb's, some processes may have been reported already. After -ETIMEDOUT
 * the kernel may still send the rest: later requests skip it, but a new
 * dump may get -EBUSY until the kernel has finished the old one.
 */
int oomn_genl_dump_processes(OomnGenl *g,
			     int (*cb)(const struct oomn_proc *p, void *userdata),
			     void *userdata, unsigned *ret_malformed);

/*
 * SET_THRESHOLDS with the thresholds in u->mask; waits for the kernel's ack.
 * Returns 0; -EINVAL for an empty mask; the kernel's error, e.g. -EPERM
 * without CAP_SYS_ADMIN or -EINVAL with *ret_errmsg set to the kernel's
 * extended-ack text. *ret_errmsg (optional) is NULL when there is none;
 * the caller frees it.
 */
int oomn_genl_set_thresholds(OomnGenl *g, const struct oomn_thresholds_update *u,
			     char **ret_errmsg);

/*
 * Joins the OOMN_GROUP_* in @groups (all or none: on error none of them is
 * joined by this call). Joining "oom" without CAP_SYS_ADMIN returns the
 * kernel's -EPERM. Without the module the groups are remembered and joined
 * when it appears. The groups are re-joined automatically, in
 * oomn_genl_dispatch(), whenever the family re-appears (module reload), and
 * after an overflow if the family's ids changed meanwhile.
 */
int oomn_genl_subscribe(OomnGenl *g, unsigned groups);
int oomn_genl_unsubscribe(OomnGenl *g, unsigned groups);

/* The event socket's fd (non-blocking), for the caller's loop: on EPOLLIN
 * call oomn_genl_dispatch(). */
int oomn_genl_event_fd(const OomnGenl *g);

/* Called with the handlers' userdata; @h is copied. */
void oomn_genl_set_handlers(OomnGenl *g, const struct oomn_genl_handlers *h,
			    void *userdata);

/*
 * Reads everything pending on the event socket and calls the handlers.
 * Malformed messages and messages not sent by the kernel are dropped (the
 * former reported to on_invalid). Returns 0 once the socket is drained, or
 * a negative errno for a socket error or a failed re-join (after handling
 * what it could).
 */
int oomn_genl_dispatch(OomnGenl *g);

/* Pure parsers. @nlh->nlmsg_len must lie within the buffer (nlmsg_ok()).
 * They check the genl command; -EBADMSG for anything malformed. */
int oomn_genl_parse_state(struct nlmsghdr *nlh, struct oomn_state *ret);
int oomn_genl_parse_pressure(struct nlmsghdr *nlh, struct oomn_pressure_event *ret);
int oomn_genl_parse_oom(struct nlmsghdr *nlh, struct oomn_oom_event *ret);
int oomn_genl_parse_family(struct nlmsghdr *nlh, struct oomn_genl_family *ret);
/* One part of the GET_PROCESSES dump. */
int oomn_genl_parse_proc(struct nlmsghdr *nlh, struct oomn_proc *ret);
/* 0 when the group is absent. */
uint32_t oomn_genl_family_group(const struct oomn_genl_family *f, const char *name);

/*
 * Parses an NLMSG_ERROR message: *ret_error gets its error (0 for an ack),
 * *ret_msg (optional) a copy of NLMSGERR_ATTR_MSG or NULL. Returns 0,
 * -EBADMSG, -ENOMEM.
 */
int oomn_genl_parse_ack(const struct nlmsghdr *nlh, int *ret_error, char **ret_msg);

/*
 * Parses the NLMSG_DONE that ends a dump: *ret_error gets the dump's error
 * (0 when it completed; an empty payload counts as 0). Returns 0 or
 * -EBADMSG. Extended-ack TLVs after the error are not read.
 */
int oomn_genl_parse_done(const struct nlmsghdr *nlh, int *ret_error);

/* Appends OOM_NOTIFY_A_THRESHOLDS with the thresholds in u->mask. */
int oomn_genl_put_thresholds(struct nl_msg *msg, const struct oomn_thresholds_update *u);

/* Sets one threshold and its bit; -EINVAL for an unknown @which. */
int oomn_thresholds_update_set(struct oomn_thresholds_update *u,
			       enum oom_notify_threshold which, uint32_t value);

/* libnl's NLE_* code (either sign) as a negative errno. */
int oomn_errno_from_nle(int nle);

const char *oomn_cause_to_string(uint32_t cause);
