/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The oom_notify generic netlink family's messages, without a socket: what
 * a GET_STATE reply, an event, a GET_PROCESSES part and the genl
 * controller's family message hold, their pure parsers (on messages built
 * in memory; the tests and the fuzzer use them so) and the thresholds
 * builder. The socket layer is oomn-genl.h.
 */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
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

/* Reply to GET_STATE. Mandatory: LEVEL, PRESSURE_SEQ; the rest is 0 when absent. */
struct oomn_state {
	enum oom_notify_level level;
	uint64_t pressure_seq; /* last pressure event sent, 0: none yet */
	uint64_t oom_seq;      /* last OOM event sent, 0: none yet */
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

/* PRESSURE_EVENT. Mandatory: LEVEL, PREV_LEVEL, PRESSURE_SEQ (not 0). */
struct oomn_pressure_event {
	uint64_t pressure_seq;
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

/* Every threshold's bit: what a SET_THRESHOLDS may carry. */
#define OOMN_T_MASK_ALL (((1u << (OOM_NOTIFY_T_MAX + 1)) - 1) & ~1u)

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
