/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The netlink parsers, on messages built in memory with libnl the way the
 * module builds them, and on every kind of malformed message.
 */
#include <errno.h>
#include <glib.h>
#include <string.h>

#include <linux/genetlink.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include "oomn-genl-msg.h"

#define FAMILY_ID 0x1c

typedef struct nl_msg NlMsg;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NlMsg, nlmsg_free)

static NlMsg *msg_new(uint16_t type, uint8_t cmd)
{
	NlMsg *m = nlmsg_alloc_size(16 * 1024);

	g_assert_nonnull(m);
	g_assert_nonnull(genlmsg_put(m, 0, 1, type, 0, 0, cmd, OOM_NOTIFY_FAMILY_VERSION));
	return m;
}

static struct oom_notify_thresholds test_thresholds(void)
{
	/* All different, so that a mix-up shows. */
	return (struct oom_notify_thresholds){
		.mem = { 0, 301, 202, 103 },
		.swap = { 0, 404, 305, 206 },
		.hysteresis = 17,
	};
}

static void put_thresholds(NlMsg *m, const struct oom_notify_thresholds *t, int skip)
{
	struct nlattr *nest = nla_nest_start(m, OOM_NOTIFY_A_THRESHOLDS);
	const uint32_t v[] = {
		[OOM_NOTIFY_T_MEM_LOW] = t->mem[1],   [OOM_NOTIFY_T_MEM_MEDIUM] = t->mem[2],
		[OOM_NOTIFY_T_MEM_CRITICAL] = t->mem[3], [OOM_NOTIFY_T_SWAP_LOW] = t->swap[1],
		[OOM_NOTIFY_T_SWAP_MEDIUM] = t->swap[2], [OOM_NOTIFY_T_SWAP_CRITICAL] = t->swap[3],
		[OOM_NOTIFY_T_HYSTERESIS] = t->hysteresis,
	};

	g_assert_nonnull(nest);
	for (int i = OOM_NOTIFY_T_MEM_LOW; i <= OOM_NOTIFY_T_MAX; i++)
		if (i != skip)
			g_assert_cmpint(nla_put_u32(m, i, v[i]), ==, 0);
	nla_nest_end(m, nest);
}

static void assert_thresholds_eq(const struct oom_notify_thresholds *a,
				 const struct oom_notify_thresholds *b)
{
	for (int l = OOM_NOTIFY_LEVEL_LOW; l <= OOM_NOTIFY_LEVEL_MAX; l++) {
		g_assert_cmpuint(a->mem[l], ==, b->mem[l]);
		g_assert_cmpuint(a->swap[l], ==, b->swap[l]);
	}
	g_assert_cmpuint(a->hysteresis, ==, b->hysteresis);
}

/* Which attributes a builder leaves out or spoils. */
enum {
	NO_LEVEL = 1 << 0,
	NO_PREV_LEVEL = 1 << 1,
	NO_SEQ = 1 << 2,
	NO_THRESHOLDS = 1 << 3,
	WITH_PAD = 1 << 4,
	WITH_UNKNOWN = 1 << 5,
};

/* A GET_STATE reply as the module sends it (PAD where 64-bit alignment
 * would need it on other architectures). */
static NlMsg *state_msg(unsigned flags, uint32_t level, uint64_t seq)
{
	struct oom_notify_thresholds t = test_thresholds();
	NlMsg *m = msg_new(FAMILY_ID, OOM_NOTIFY_CMD_GET_STATE);

	if (!(flags & NO_LEVEL))
		nla_put_u32(m, OOM_NOTIFY_A_LEVEL, level);
	if (flags & WITH_PAD)
		nla_put(m, OOM_NOTIFY_A_PAD, 0, NULL);
	if (!(flags & NO_SEQ))
		nla_put_u64(m, OOM_NOTIFY_A_PRESSURE_SEQ, seq);
	nla_put_u64(m, OOM_NOTIFY_A_OOM_SEQ, 7);
	nla_put_u64(m, OOM_NOTIFY_A_TIMESTAMP_NS, 123456789012345ULL);
	nla_put_u32(m, OOM_NOTIFY_A_CAUSE, OOM_NOTIFY_CAUSE_QUERY);
	nla_put_u64(m, OOM_NOTIFY_A_MEM_TOTAL, 16ULL << 30);
	nla_put_u64(m, OOM_NOTIFY_A_MEM_AVAILABLE, 3ULL << 30);
	nla_put_u64(m, OOM_NOTIFY_A_SWAP_FREE, (1ULL << 32) + 5);
	if (flags & WITH_UNKNOWN) /* a newer module's attribute */
		nla_put_u32(m, OOM_NOTIFY_A_MAX + 3, 0xdead);
	if (!(flags & NO_THRESHOLDS))
		put_thresholds(m, &t, -1);
	return m;
}

static NlMsg *pressure_msg(unsigned flags, uint32_t level, uint32_t prev, uint64_t seq)
{
	struct oom_notify_thresholds t = test_thresholds();
	NlMsg *m = msg_new(FAMILY_ID, OOM_NOTIFY_CMD_PRESSURE_EVENT);

	if (!(flags & NO_LEVEL))
		nla_put_u32(m, OOM_NOTIFY_A_LEVEL, level);
	if (!(flags & NO_PREV_LEVEL))
		nla_put_u32(m, OOM_NOTIFY_A_PREV_LEVEL, prev);
	if (!(flags & NO_SEQ))
		nla_put_u64(m, OOM_NOTIFY_A_PRESSURE_SEQ, seq);
	nla_put_u64(m, OOM_NOTIFY_A_TIMESTAMP_NS, 99);
	nla_put_u32(m, OOM_NOTIFY_A_CAUSE, OOM_NOTIFY_CAUSE_RECLAIM);
	nla_put_u64(m, OOM_NOTIFY_A_MEM_TOTAL, 1000);
	nla_put_u64(m, OOM_NOTIFY_A_MEM_AVAILABLE, 140);
	nla_put_u64(m, OOM_NOTIFY_A_SWAP_FREE, 0);
	if (!(flags & NO_THRESHOLDS))
		put_thresholds(m, &t, -1);
	return m;
}

static NlMsg *oom_msg_with(const char *comm, const char *cgroup, int32_t adj)
{
	NlMsg *m = msg_new(FAMILY_ID, OOM_NOTIFY_CMD_OOM_EVENT);

	nla_put_u64(m, OOM_NOTIFY_A_OOM_SEQ, 3);
	nla_put_u64(m, OOM_NOTIFY_A_TIMESTAMP_NS, 5555);
	nla_put_u32(m, OOM_NOTIFY_A_LEVEL, OOM_NOTIFY_LEVEL_CRITICAL);
	nla_put_u32(m, OOM_NOTIFY_A_OOM_PID, 4242);
	nla_put_u32(m, OOM_NOTIFY_A_OOM_TID, 4243);
	if (comm)
		nla_put_string(m, OOM_NOTIFY_A_OOM_COMM, comm);
	nla_put_u32(m, OOM_NOTIFY_A_OOM_UID, 1000);
	nla_put_s32(m, OOM_NOTIFY_A_OOM_SCORE_ADJ, adj);
	nla_put_u64(m, OOM_NOTIFY_A_OOM_TOTAL_VM, 8ULL << 30);
	nla_put_u64(m, OOM_NOTIFY_A_OOM_ANON_RSS, 6ULL << 30);
	nla_put_u64(m, OOM_NOTIFY_A_OOM_FILE_RSS, 12345ULL * 4096);
	nla_put_u64(m, OOM_NOTIFY_A_OOM_SHMEM_RSS, 4096);
	nla_put_u64(m, OOM_NOTIFY_A_OOM_PGTABLES, 1ULL << 24);
	nla_put_u64(m, OOM_NOTIFY_A_OOM_CGROUP_ID, 0x1234567890ULL);
	if (cgroup)
		nla_put_string(m, OOM_NOTIFY_A_OOM_CGROUP, cgroup);
	nla_put_u32(m, OOM_NOTIFY_A_OOM_LOST, 2);
	return m;
}

static NlMsg *oom_msg(void)
{
	return oom_msg_with("memhog", "/user.slice/user-1000.slice/session-2.scope", -500);
}

static NlMsg *family_msg(uint8_t cmd, const char *name, int n_groups)
{
	NlMsg *m = nlmsg_alloc();
	struct nlattr *grps;

	g_assert_nonnull(genlmsg_put(m, 0, 0, GENL_ID_CTRL, 0, 0, cmd, 2));
	nla_put_u16(m, CTRL_ATTR_FAMILY_ID, FAMILY_ID);
	nla_put_string(m, CTRL_ATTR_FAMILY_NAME, name);
	nla_put_u32(m, CTRL_ATTR_VERSION, OOM_NOTIFY_FAMILY_VERSION);
	nla_put_u32(m, CTRL_ATTR_HDRSIZE, 0);
	nla_put_u32(m, CTRL_ATTR_MAXATTR, OOM_NOTIFY_A_MAX);
	if (n_groups > 0) {
		grps = nla_nest_start(m, CTRL_ATTR_MCAST_GROUPS);
		for (int i = 0; i < n_groups; i++) {
			struct nlattr *g = nla_nest_start(m, i + 1);
			g_autofree char *gname =
				i == 0 ? g_strdup("pressure") :
				i == 1 ? g_strdup("oom") : g_strdup_printf("extra%d", i);

			nla_put_string(m, CTRL_ATTR_MCAST_GRP_NAME, gname);
			nla_put_u32(m, CTRL_ATTR_MCAST_GRP_ID, 11 + i);
			nla_nest_end(m, g);
		}
		nla_nest_end(m, grps);
	}
	return m;
}

/* Bit of a PROC_* attribute that proc_msg() leaves out. */
#define PROC_NO(a) (1u << ((a) - OOM_NOTIFY_A_PROC_PID))
#define PROC_NO_MM                                                             \
	(PROC_NO(OOM_NOTIFY_A_PROC_RSS) | PROC_NO(OOM_NOTIFY_A_PROC_SWAP) |       \
	 PROC_NO(OOM_NOTIFY_A_PROC_PGTABLES))

/* One part of the GET_PROCESSES dump as the module sends it, u64s after a
 * PAD as nla_put_u64_64bit() puts them where alignment needs it. */
static NlMsg *proc_msg(unsigned omit, uint32_t pid, const char *comm, int32_t adj)
{
	NlMsg *m = msg_new(FAMILY_ID, OOM_NOTIFY_CMD_GET_PROCESSES);

#define PUT(a, put, v)                                                         \
	do {                                                                   \
		if (!(omit & PROC_NO(a)))                                      \
			g_assert_cmpint(put(m, a, v), ==, 0);                  \
	} while (0)
	PUT(OOM_NOTIFY_A_PROC_PID, nla_put_u32, pid);
	PUT(OOM_NOTIFY_A_PROC_PPID, nla_put_u32, 1);
	nla_put(m, OOM_NOTIFY_A_PAD, 0, NULL);
	PUT(OOM_NOTIFY_A_PROC_START_NS, nla_put_u64, 987654321012ULL);
	PUT(OOM_NOTIFY_A_PROC_COMM, nla_put_string, comm);
	PUT(OOM_NOTIFY_A_PROC_UID, nla_put_u32, 1000);
	PUT(OOM_NOTIFY_A_PROC_STATE, nla_put_u8, 'S');
	PUT(OOM_NOTIFY_A_PROC_FLAGS, nla_put_u32, 0x00400100);
	PUT(OOM_NOTIFY_A_PROC_OOM_SCORE_ADJ, nla_put_s32, adj);
	PUT(OOM_NOTIFY_A_PROC_EXEC_ID, nla_put_u64, 3);
	PUT(OOM_NOTIFY_A_PROC_CGROUP_ID, nla_put_u64, 0x1234567890ULL);
	PUT(OOM_NOTIFY_A_PROC_RSS, nla_put_u64, 5ULL << 30);
	PUT(OOM_NOTIFY_A_PROC_SWAP, nla_put_u64, (1ULL << 32) + 4096);
	PUT(OOM_NOTIFY_A_PROC_PGTABLES, nla_put_u64, 1ULL << 20);
#undef PUT
	return m;
}

/* An NLMSG_DONE as netlink_dump() ends a dump with. */
static NlMsg *done_msg(int error)
{
	NlMsg *m = nlmsg_alloc_simple(NLMSG_DONE, NLM_F_MULTI);

	g_assert_cmpint(nlmsg_append(m, &error, sizeof(error), NLMSG_ALIGNTO), ==, 0);
	return m;
}

/* ---- good messages ---- */

static void test_state(void)
{
	struct oom_notify_thresholds t = test_thresholds();
	struct oomn_state s;

	for (unsigned flags = 0; flags <= (WITH_PAD | WITH_UNKNOWN); flags += WITH_PAD) {
		g_autoptr(NlMsg) m = state_msg(flags, OOM_NOTIFY_LEVEL_MEDIUM, 41);

		memset(&s, 0xaa, sizeof(s));
		g_assert_cmpint(oomn_genl_parse_state(nlmsg_hdr(m), &s), ==, 0);
		g_assert_cmpint(s.level, ==, OOM_NOTIFY_LEVEL_MEDIUM);
		g_assert_cmpuint(s.pressure_seq, ==, 41);
		g_assert_cmpuint(s.oom_seq, ==, 7);
		g_assert_cmpuint(s.timestamp_ns, ==, 123456789012345ULL);
		g_assert_cmpuint(s.cause, ==, OOM_NOTIFY_CAUSE_QUERY);
		g_assert_cmpuint(s.mem_total, ==, 16ULL << 30);
		g_assert_cmpuint(s.mem_available, ==, 3ULL << 30);
		g_assert_cmpuint(s.swap_free, ==, (1ULL << 32) + 5);
		g_assert_true(s.has_thresholds);
		assert_thresholds_eq(&s.thresholds, &t);
	}

	/* PRESSURE_SEQ 0 is "no event yet", not an error, in a reply. */
	{
		g_autoptr(NlMsg) m = state_msg(NO_THRESHOLDS, OOM_NOTIFY_LEVEL_NORMAL, 0);

		g_assert_cmpint(oomn_genl_parse_state(nlmsg_hdr(m), &s), ==, 0);
		g_assert_cmpuint(s.pressure_seq, ==, 0);
		g_assert_false(s.has_thresholds);
		g_assert_cmpuint(s.thresholds.hysteresis, ==, 0);
	}

	/* Only the mandatory ones: the rest reads 0. */
	{
		g_autoptr(NlMsg) m = msg_new(FAMILY_ID, OOM_NOTIFY_CMD_GET_STATE);

		nla_put_u32(m, OOM_NOTIFY_A_LEVEL, OOM_NOTIFY_LEVEL_CRITICAL);
		nla_put_u64(m, OOM_NOTIFY_A_PRESSURE_SEQ, 1);
		memset(&s, 0xaa, sizeof(s));
		g_assert_cmpint(oomn_genl_parse_state(nlmsg_hdr(m), &s), ==, 0);
		g_assert_cmpint(s.level, ==, OOM_NOTIFY_LEVEL_CRITICAL);
		g_assert_cmpuint(s.pressure_seq, ==, 1);
		g_assert_cmpuint(s.oom_seq, ==, 0);
		g_assert_cmpuint(s.mem_total, ==, 0);
		g_assert_cmpuint(s.cause, ==, 0);
		g_assert_false(s.has_thresholds);
	}
}

static void test_pressure(void)
{
	struct oom_notify_thresholds t = test_thresholds();
	g_autoptr(NlMsg) m = pressure_msg(0, OOM_NOTIFY_LEVEL_MEDIUM, OOM_NOTIFY_LEVEL_LOW, 12);
	g_autoptr(NlMsg) m2 = pressure_msg(NO_THRESHOLDS, OOM_NOTIFY_LEVEL_NORMAL,
					   OOM_NOTIFY_LEVEL_CRITICAL, G_MAXUINT64);
	struct oomn_pressure_event e;

	memset(&e, 0xaa, sizeof(e));
	g_assert_cmpint(oomn_genl_parse_pressure(nlmsg_hdr(m), &e), ==, 0);
	g_assert_cmpuint(e.pressure_seq, ==, 12);
	g_assert_cmpint(e.level, ==, OOM_NOTIFY_LEVEL_MEDIUM);
	g_assert_cmpint(e.prev_level, ==, OOM_NOTIFY_LEVEL_LOW);
	g_assert_cmpuint(e.timestamp_ns, ==, 99);
	g_assert_cmpuint(e.cause, ==, OOM_NOTIFY_CAUSE_RECLAIM);
	g_assert_cmpuint(e.mem_total, ==, 1000);
	g_assert_cmpuint(e.mem_available, ==, 140);
	g_assert_cmpuint(e.swap_free, ==, 0);
	g_assert_true(e.has_thresholds);
	assert_thresholds_eq(&e.thresholds, &t);

	g_assert_cmpint(oomn_genl_parse_pressure(nlmsg_hdr(m2), &e), ==, 0);
	g_assert_cmpuint(e.pressure_seq, ==, G_MAXUINT64);
	g_assert_cmpint(e.level, ==, OOM_NOTIFY_LEVEL_NORMAL);
	g_assert_cmpint(e.prev_level, ==, OOM_NOTIFY_LEVEL_CRITICAL);
	g_assert_false(e.has_thresholds);

	/* A cause newer than this code is not an error. */
	{
		g_autoptr(NlMsg) m3 = msg_new(FAMILY_ID, OOM_NOTIFY_CMD_PRESSURE_EVENT);

		nla_put_u32(m3, OOM_NOTIFY_A_LEVEL, 1);
		nla_put_u32(m3, OOM_NOTIFY_A_PREV_LEVEL, 0);
		nla_put_u64(m3, OOM_NOTIFY_A_PRESSURE_SEQ, 1);
		nla_put_u32(m3, OOM_NOTIFY_A_CAUSE, OOM_NOTIFY_CAUSE_MAX + 1);
		g_assert_cmpint(oomn_genl_parse_pressure(nlmsg_hdr(m3), &e), ==, 0);
		g_assert_cmpuint(e.cause, ==, OOM_NOTIFY_CAUSE_MAX + 1);
		g_assert_cmpstr(oomn_cause_to_string(e.cause), ==, "unknown");
	}
}

static void test_oom(void)
{
	g_autoptr(NlMsg) m = oom_msg();
	struct oomn_oom_event *e = g_new0(struct oomn_oom_event, 1);

	memset(e, 0xaa, sizeof(*e));
	g_assert_cmpint(oomn_genl_parse_oom(nlmsg_hdr(m), e), ==, 0);
	g_assert_cmpuint(e->oom_seq, ==, 3);
	g_assert_cmpuint(e->timestamp_ns, ==, 5555);
	g_assert_cmpint(e->level, ==, OOM_NOTIFY_LEVEL_CRITICAL);
	g_assert_cmpuint(e->pid, ==, 4242);
	g_assert_cmpuint(e->tid, ==, 4243);
	g_assert_cmpstr(e->comm, ==, "memhog");
	g_assert_cmpuint(e->uid, ==, 1000);
	g_assert_cmpint(e->oom_score_adj, ==, -500);
	g_assert_cmpuint(e->total_vm, ==, 8ULL << 30);
	g_assert_cmpuint(e->anon_rss, ==, 6ULL << 30);
	g_assert_cmpuint(e->file_rss, ==, 12345ULL * 4096);
	g_assert_cmpuint(e->shmem_rss, ==, 4096);
	g_assert_cmpuint(e->pgtables, ==, 1ULL << 24);
	g_assert_cmpuint(e->cgroup_id, ==, 0x1234567890ULL);
	g_assert_cmpstr(e->cgroup, ==, "/user.slice/user-1000.slice/session-2.scope");
	g_assert_cmpuint(e->lost, ==, 2);

	/* Longest names: 16 characters of comm, PATH_MAX - 1 of path. */
	{
		char path[PATH_MAX];
		g_autoptr(NlMsg) m2 = NULL;

		memset(path, 'p', sizeof(path) - 1);
		path[0] = '/';
		path[sizeof(path) - 1] = '\0';
		m2 = oom_msg_with("0123456789abcdef", path, 1000);
		g_assert_cmpint(oomn_genl_parse_oom(nlmsg_hdr(m2), e), ==, 0);
		g_assert_cmpstr(e->comm, ==, "0123456789abcdef");
		g_assert_cmpuint(strlen(e->cgroup), ==, PATH_MAX - 1);
		g_assert_cmpint(e->oom_score_adj, ==, 1000);
	}

	/* Without the optional strings they are empty. */
	{
		g_autoptr(NlMsg) m3 = oom_msg_with(NULL, NULL, -1000);

		g_assert_cmpint(oomn_genl_parse_oom(nlmsg_hdr(m3), e), ==, 0);
		g_assert_cmpstr(e->comm, ==, "");
		g_assert_cmpstr(e->cgroup, ==, "");
		g_assert_cmpint(e->oom_score_adj, ==, -1000);
	}
	g_free(e);
}

static void test_proc(void)
{
	struct oomn_proc p;

	{
		g_autoptr(NlMsg) m = proc_msg(0, 4242, "memhog", -500);

		memset(&p, 0xaa, sizeof(p));
		g_assert_cmpint(oomn_genl_parse_proc(nlmsg_hdr(m), &p), ==, 0);
		g_assert_cmpuint(p.pid, ==, 4242);
		g_assert_cmpuint(p.ppid, ==, 1);
		g_assert_cmpuint(p.start_ns, ==, 987654321012ULL);
		g_assert_cmpstr(p.comm, ==, "memhog");
		g_assert_cmpuint(p.uid, ==, 1000);
		g_assert_cmpint(p.state, ==, 'S');
		g_assert_cmphex(p.flags, ==, 0x00400100);
		g_assert_cmpint(p.oom_score_adj, ==, -500);
		g_assert_true(p.has_mm);
		g_assert_cmpuint(p.rss, ==, 5ULL << 30);
		g_assert_cmpuint(p.swap, ==, (1ULL << 32) + 4096);
		g_assert_cmpuint(p.pgtables, ==, 1ULL << 20);
		g_assert_cmpuint(p.cgroup_id, ==, 0x1234567890ULL);
		g_assert_cmpuint(p.exec_id, ==, 3);
	}

	/* Only the mandatory three: the rest is 0, and no memory. */
	{
		unsigned omit = ~(PROC_NO(OOM_NOTIFY_A_PROC_PID) |
				  PROC_NO(OOM_NOTIFY_A_PROC_START_NS) |
				  PROC_NO(OOM_NOTIFY_A_PROC_COMM));
		g_autoptr(NlMsg) m = proc_msg(omit, 2, "kthreadd", 0);

		memset(&p, 0xaa, sizeof(p));
		g_assert_cmpint(oomn_genl_parse_proc(nlmsg_hdr(m), &p), ==, 0);
		g_assert_cmpuint(p.pid, ==, 2);
		g_assert_cmpuint(p.start_ns, ==, 987654321012ULL);
		g_assert_cmpstr(p.comm, ==, "kthreadd");
		g_assert_cmpuint(p.ppid, ==, 0);
		g_assert_cmpuint(p.uid, ==, 0);
		g_assert_cmpint(p.state, ==, 0);
		g_assert_cmpuint(p.flags, ==, 0);
		g_assert_cmpint(p.oom_score_adj, ==, 0);
		g_assert_false(p.has_mm);
		g_assert_cmpuint(p.rss + p.swap + p.pgtables, ==, 0);
		g_assert_cmpuint(p.cgroup_id + p.exec_id, ==, 0);
	}

	/* A zombie: no memory attributes, the rest as usual. has_mm follows
	 * RSS alone, also when it is 0. */
	{
		g_autoptr(NlMsg) zombie = proc_msg(PROC_NO_MM, 77, "defunct", 0);
		g_autoptr(NlMsg) empty = proc_msg(PROC_NO_MM, 78, "x", 0);

		g_assert_cmpint(oomn_genl_parse_proc(nlmsg_hdr(zombie), &p), ==, 0);
		g_assert_false(p.has_mm);
		g_assert_cmpuint(p.uid, ==, 1000);
		nla_put_u64(empty, OOM_NOTIFY_A_PROC_RSS, 0);
		g_assert_cmpint(oomn_genl_parse_proc(nlmsg_hdr(empty), &p), ==, 0);
		g_assert_true(p.has_mm);
		g_assert_cmpuint(p.rss, ==, 0);
	}

	/* The bounds: 16 characters of comm, and the score_adj range; a newer
	 * module's attribute is ignored. */
	{
		g_autoptr(NlMsg) a = proc_msg(0, 1, "0123456789abcdef", 1000);
		g_autoptr(NlMsg) b = proc_msg(0, G_MAXUINT32, "", -1000);

		nla_put_u32(a, OOM_NOTIFY_A_MAX + 3, 0xdead);
		g_assert_cmpint(oomn_genl_parse_proc(nlmsg_hdr(a), &p), ==, 0);
		g_assert_cmpstr(p.comm, ==, "0123456789abcdef");
		g_assert_cmpint(p.oom_score_adj, ==, 1000);
		g_assert_cmpint(oomn_genl_parse_proc(nlmsg_hdr(b), &p), ==, 0);
		g_assert_cmpuint(p.pid, ==, G_MAXUINT32);
		g_assert_cmpstr(p.comm, ==, "");
		g_assert_cmpint(p.oom_score_adj, ==, -1000);
	}
}

static void test_done(void)
{
	g_autoptr(NlMsg) ok = done_msg(0);
	g_autoptr(NlMsg) perm = done_msg(-EPERM);
	g_autoptr(NlMsg) bare = nlmsg_alloc_simple(NLMSG_DONE, NLM_F_MULTI);
	int error = 1;

	g_assert_cmpint(oomn_genl_parse_done(nlmsg_hdr(ok), &error), ==, 0);
	g_assert_cmpint(error, ==, 0);
	g_assert_cmpint(oomn_genl_parse_done(nlmsg_hdr(perm), &error), ==, 0);
	g_assert_cmpint(error, ==, -EPERM);
	error = 1;
	g_assert_cmpint(oomn_genl_parse_done(nlmsg_hdr(bare), &error), ==, 0);
	g_assert_cmpint(error, ==, 0);

	/* With extended-ack TLVs after the error, as the kernel adds them
	 * for NETLINK_EXT_ACK sockets. */
	{
		g_autoptr(NlMsg) m = done_msg(-EPERM);

		nlmsg_hdr(m)->nlmsg_flags |= NLM_F_ACK_TLVS;
		nla_put_string(m, NLMSGERR_ATTR_MSG, "CAP_SYS_ADMIN needed");
		g_assert_cmpint(oomn_genl_parse_done(nlmsg_hdr(m), &error), ==, 0);
		g_assert_cmpint(error, ==, -EPERM);
	}

	/* Malformed: a positive or huge error, a cut int, another type. */
	{
		g_autoptr(NlMsg) pos = done_msg(EPERM);
		g_autoptr(NlMsg) huge = done_msg(-5000);
		g_autoptr(NlMsg) cut = done_msg(-EPERM);
		g_autoptr(NlMsg) err = done_msg(-EPERM);

		error = 1;
		g_assert_cmpint(oomn_genl_parse_done(nlmsg_hdr(pos), &error), ==, -EBADMSG);
		g_assert_cmpint(oomn_genl_parse_done(nlmsg_hdr(huge), &error), ==, -EBADMSG);
		nlmsg_hdr(cut)->nlmsg_len = NLMSG_HDRLEN + 2;
		g_assert_cmpint(oomn_genl_parse_done(nlmsg_hdr(cut), &error), ==, -EBADMSG);
		nlmsg_hdr(err)->nlmsg_type = NLMSG_ERROR;
		g_assert_cmpint(oomn_genl_parse_done(nlmsg_hdr(err), &error), ==, -EBADMSG);
		g_assert_cmpint(error, ==, 1);
	}
}

static void test_family(void)
{
	g_autoptr(NlMsg) m = family_msg(CTRL_CMD_NEWFAMILY, "oom_notify", 2);
	g_autoptr(NlMsg) many = family_msg(CTRL_CMD_NEWFAMILY, "oom_notify", 12);
	g_autoptr(NlMsg) del = family_msg(CTRL_CMD_DELFAMILY, "oom_notify", 0);
	struct oomn_genl_family f;

	g_assert_cmpint(oomn_genl_parse_family(nlmsg_hdr(m), &f), ==, 0);
	g_assert_cmpstr(f.name, ==, "oom_notify");
	g_assert_cmpuint(f.id, ==, FAMILY_ID);
	g_assert_cmpuint(f.version, ==, OOM_NOTIFY_FAMILY_VERSION);
	g_assert_cmpuint(f.n_groups, ==, 2);
	g_assert_cmpuint(oomn_genl_family_group(&f, OOM_NOTIFY_MCGRP_PRESSURE), ==, 11);
	g_assert_cmpuint(oomn_genl_family_group(&f, OOM_NOTIFY_MCGRP_OOM), ==, 12);
	g_assert_cmpuint(oomn_genl_family_group(&f, "nope"), ==, 0);

	/* More groups than we keep: the first ones are kept, no error. */
	g_assert_cmpint(oomn_genl_parse_family(nlmsg_hdr(many), &f), ==, 0);
	g_assert_cmpuint(f.n_groups, ==, G_N_ELEMENTS(f.groups));
	g_assert_cmpuint(oomn_genl_family_group(&f, "oom"), ==, 12);

	g_assert_cmpint(oomn_genl_parse_family(nlmsg_hdr(del), &f), ==, 0);
	g_assert_cmpuint(f.n_groups, ==, 0);
	g_assert_cmpuint(f.id, ==, FAMILY_ID);
}

/* An NLMSG_ERROR as netlink_ack() builds it. */
static NlMsg *ack_msg(int error, bool capped, const char *text)
{
	uint8_t request[12] = { OOM_NOTIFY_CMD_SET_THRESHOLDS, 1, 0, 0, 8, 0,
				OOM_NOTIFY_A_THRESHOLDS, 0 };
	struct nlmsgerr e = {
		.error = error,
		.msg = {
			.nlmsg_len = NLMSG_HDRLEN + sizeof(request),
			.nlmsg_type = FAMILY_ID,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK,
			.nlmsg_seq = 77,
		},
	};
	int flags = (capped ? NLM_F_CAPPED : 0) | (text ? NLM_F_ACK_TLVS : 0);
	NlMsg *m = nlmsg_alloc_simple(NLMSG_ERROR, flags);

	g_assert_cmpint(nlmsg_append(m, &e, sizeof(e), NLMSG_ALIGNTO), ==, 0);
	if (!capped)
		g_assert_cmpint(nlmsg_append(m, request, sizeof(request), NLMSG_ALIGNTO), ==, 0);
	if (text) {
		nla_put_string(m, NLMSGERR_ATTR_MSG, text);
		nla_put_u32(m, NLMSGERR_ATTR_OFFS, 20);
	}
	return m;
}

static void test_ack(void)
{
	static const char text[] =
		"memory thresholds must not rise with the level (low >= medium >= critical)";
	char *msg = (char *)"untouched";
	int error = 1;

	for (int capped = 0; capped <= 1; capped++) {
		g_autoptr(NlMsg) m = ack_msg(-EINVAL, capped, text);
		g_autoptr(NlMsg) plain = ack_msg(-EPERM, capped, NULL);
		g_autoptr(NlMsg) ok = ack_msg(0, true, NULL);

		g_assert_cmpint(oomn_genl_parse_ack(nlmsg_hdr(m), &error, &msg), ==, 0);
		g_assert_cmpint(error, ==, -EINVAL);
		g_assert_cmpstr(msg, ==, text);
		g_free(msg);

		g_assert_cmpint(oomn_genl_parse_ack(nlmsg_hdr(plain), &error, &msg), ==, 0);
		g_assert_cmpint(error, ==, -EPERM);
		g_assert_null(msg);

		g_assert_cmpint(oomn_genl_parse_ack(nlmsg_hdr(ok), &error, NULL), ==, 0);
		g_assert_cmpint(error, ==, 0);
	}

	/* Malformed: TLVs said but the echoed request runs past the end; a
	 * positive error; too short for the header; not an error message;
	 * an unterminated text. */
	{
		g_autoptr(NlMsg) m = ack_msg(-EINVAL, false, text);
		struct nlmsgerr *e = nlmsg_data(nlmsg_hdr(m));

		e->msg.nlmsg_len = 60000;
		g_assert_cmpint(oomn_genl_parse_ack(nlmsg_hdr(m), &error, &msg), ==, -EBADMSG);
		e->msg.nlmsg_len = 3;
		g_assert_cmpint(oomn_genl_parse_ack(nlmsg_hdr(m), &error, &msg), ==, -EBADMSG);
	}
	{
		g_autoptr(NlMsg) m = ack_msg(EINVAL, true, NULL);

		g_assert_cmpint(oomn_genl_parse_ack(nlmsg_hdr(m), &error, &msg), ==, -EBADMSG);
		nlmsg_hdr(m)->nlmsg_len = NLMSG_HDRLEN + 4;
		g_assert_cmpint(oomn_genl_parse_ack(nlmsg_hdr(m), &error, &msg), ==, -EBADMSG);
		nlmsg_hdr(m)->nlmsg_type = NLMSG_DONE;
		g_assert_cmpint(oomn_genl_parse_ack(nlmsg_hdr(m), &error, &msg), ==, -EBADMSG);
	}
	{
		g_autoptr(NlMsg) m = ack_msg(-EINVAL, true, NULL);
		char raw[8] = "abcdefgh";

		nlmsg_hdr(m)->nlmsg_flags |= NLM_F_ACK_TLVS;
		nla_put(m, NLMSGERR_ATTR_MSG, sizeof(raw), raw);
		g_assert_cmpint(oomn_genl_parse_ack(nlmsg_hdr(m), &error, &msg), ==, -EBADMSG);
	}
}

static void test_put_thresholds(void)
{
	struct oomn_thresholds_update u = {};
	g_autoptr(NlMsg) m = msg_new(FAMILY_ID, OOM_NOTIFY_CMD_SET_THRESHOLDS);
	struct nlattr *tb[OOM_NOTIFY_A_MAX + 1], *ttb[OOM_NOTIFY_T_MAX + 1];

	g_assert_cmpint(oomn_genl_put_thresholds(m, &u), ==, -EINVAL);
	g_assert_cmpint(oomn_thresholds_update_set(&u, OOM_NOTIFY_T_UNSPEC, 1), ==, -EINVAL);
	g_assert_cmpint(oomn_thresholds_update_set(&u, OOM_NOTIFY_T_MAX + 1, 1), ==, -EINVAL);
	g_assert_cmpuint(u.mask, ==, 0);

	g_assert_cmpint(oomn_thresholds_update_set(&u, OOM_NOTIFY_T_MEM_MEDIUM, 160), ==, 0);
	g_assert_cmpint(oomn_thresholds_update_set(&u, OOM_NOTIFY_T_SWAP_CRITICAL, 50), ==, 0);
	g_assert_cmpint(oomn_thresholds_update_set(&u, OOM_NOTIFY_T_HYSTERESIS, 0), ==, 0);
	g_assert_cmpuint(u.mask, ==, OOMN_T_BIT(OOM_NOTIFY_T_MEM_MEDIUM) |
					     OOMN_T_BIT(OOM_NOTIFY_T_SWAP_CRITICAL) |
					     OOMN_T_BIT(OOM_NOTIFY_T_HYSTERESIS));
	g_assert_cmpuint(u.t.mem[OOM_NOTIFY_LEVEL_MEDIUM], ==, 160);
	g_assert_cmpuint(u.t.swap[OOM_NOTIFY_LEVEL_CRITICAL], ==, 50);

	/* Fields outside the mask are not sent, whatever they hold. */
	u.t.mem[OOM_NOTIFY_LEVEL_LOW] = 999;
	g_assert_cmpint(oomn_genl_put_thresholds(m, &u), ==, 0);

	g_assert_cmpint(genlmsg_parse(nlmsg_hdr(m), 0, tb, OOM_NOTIFY_A_MAX, NULL), ==, 0);
	g_assert_nonnull(tb[OOM_NOTIFY_A_THRESHOLDS]);
	/* The module validates strictly, which rejects a nest without it. */
	g_assert_true(tb[OOM_NOTIFY_A_THRESHOLDS]->nla_type & NLA_F_NESTED);
	g_assert_cmpint(nla_parse_nested(ttb, OOM_NOTIFY_T_MAX, tb[OOM_NOTIFY_A_THRESHOLDS], NULL),
			==, 0);
	g_assert_null(ttb[OOM_NOTIFY_T_MEM_LOW]);
	g_assert_null(ttb[OOM_NOTIFY_T_MEM_CRITICAL]);
	g_assert_null(ttb[OOM_NOTIFY_T_SWAP_LOW]);
	g_assert_null(ttb[OOM_NOTIFY_T_SWAP_MEDIUM]);
	g_assert_cmpuint(nla_get_u32(ttb[OOM_NOTIFY_T_MEM_MEDIUM]), ==, 160);
	g_assert_cmpuint(nla_get_u32(ttb[OOM_NOTIFY_T_SWAP_CRITICAL]), ==, 50);
	g_assert_cmpuint(nla_get_u32(ttb[OOM_NOTIFY_T_HYSTERESIS]), ==, 0);
	g_assert_cmpint(nla_len(ttb[OOM_NOTIFY_T_HYSTERESIS]), ==, 4);

	/* A bit outside the scale. */
	u.mask |= OOMN_T_BIT(OOM_NOTIFY_T_MAX + 1);
	g_assert_cmpint(oomn_genl_put_thresholds(m, &u), ==, -EINVAL);
	u.mask = OOMN_T_BIT(OOM_NOTIFY_T_UNSPEC);
	g_assert_cmpint(oomn_genl_put_thresholds(m, &u), ==, -EINVAL);
}

/* ---- malformed messages ---- */

typedef int (*parse_fn)(struct nlmsghdr *nlh);

static int parse_state(struct nlmsghdr *nlh)
{
	struct oomn_state s;

	return oomn_genl_parse_state(nlh, &s);
}

static int parse_pressure(struct nlmsghdr *nlh)
{
	struct oomn_pressure_event e;

	return oomn_genl_parse_pressure(nlh, &e);
}

static int parse_oom(struct nlmsghdr *nlh)
{
	g_autofree struct oomn_oom_event *e = g_new(struct oomn_oom_event, 1);

	return oomn_genl_parse_oom(nlh, e);
}

static int parse_proc(struct nlmsghdr *nlh)
{
	struct oomn_proc p;

	return oomn_genl_parse_proc(nlh, &p);
}

static int parse_family(struct nlmsghdr *nlh)
{
	struct oomn_genl_family f;

	return oomn_genl_parse_family(nlh, &f);
}

static void assert_bad(NlMsg *m, parse_fn parse, const char *what)
{
	g_test_message("malformed: %s", what);
	g_assert_cmpint(parse(nlmsg_hdr(m)), ==, -EBADMSG);
}

static void test_bad_state(void)
{
	g_autoptr(NlMsg) no_level = state_msg(NO_LEVEL, 0, 1);
	g_autoptr(NlMsg) no_seq = state_msg(NO_SEQ, 0, 1);
	g_autoptr(NlMsg) level9 = state_msg(0, 9, 1);
	g_autoptr(NlMsg) level4 = state_msg(0, OOM_NOTIFY_LEVEL_MAX + 1, 1);
	g_autoptr(NlMsg) wrong_cmd = msg_new(FAMILY_ID, OOM_NOTIFY_CMD_PRESSURE_EVENT);
	g_autoptr(NlMsg) short_seq = msg_new(FAMILY_ID, OOM_NOTIFY_CMD_GET_STATE);
	g_autoptr(NlMsg) long_seq = msg_new(FAMILY_ID, OOM_NOTIFY_CMD_GET_STATE);
	g_autoptr(NlMsg) long_level = msg_new(FAMILY_ID, OOM_NOTIFY_CMD_GET_STATE);
	g_autoptr(NlMsg) short_level = msg_new(FAMILY_ID, OOM_NOTIFY_CMD_GET_STATE);
	g_autoptr(NlMsg) trunc = state_msg(0, 1, 1);
	g_autoptr(NlMsg) tiny = state_msg(0, 1, 1);
	g_autoptr(NlMsg) no_genl = state_msg(0, 1, 1);
	uint32_t u32 = 1;
	uint64_t u64[2] = { 1, 1 };

	assert_bad(no_level, parse_state, "missing LEVEL");
	assert_bad(no_seq, parse_state, "missing PRESSURE_SEQ");
	assert_bad(level9, parse_state, "level 9");
	assert_bad(level4, parse_state, "level MAX + 1");

	nla_put_u32(wrong_cmd, OOM_NOTIFY_A_LEVEL, 0);
	nla_put_u64(wrong_cmd, OOM_NOTIFY_A_PRESSURE_SEQ, 1);
	nla_put_u32(wrong_cmd, OOM_NOTIFY_A_PREV_LEVEL, 0);
	assert_bad(wrong_cmd, parse_state, "an event's command");

	nla_put_u32(short_seq, OOM_NOTIFY_A_LEVEL, 0);
	nla_put(short_seq, OOM_NOTIFY_A_PRESSURE_SEQ, 4, &u32);
	assert_bad(short_seq, parse_state, "u64 PRESSURE_SEQ of 4 bytes");

	nla_put_u32(long_seq, OOM_NOTIFY_A_LEVEL, 0);
	nla_put(long_seq, OOM_NOTIFY_A_PRESSURE_SEQ, 12, u64);
	assert_bad(long_seq, parse_state, "u64 PRESSURE_SEQ of 12 bytes");

	nla_put(long_level, OOM_NOTIFY_A_LEVEL, 8, u64);
	nla_put_u64(long_level, OOM_NOTIFY_A_PRESSURE_SEQ, 1);
	assert_bad(long_level, parse_state, "u32 LEVEL of 8 bytes");

	nla_put(short_level, OOM_NOTIFY_A_LEVEL, 2, &u32);
	nla_put_u64(short_level, OOM_NOTIFY_A_PRESSURE_SEQ, 1);
	assert_bad(short_level, parse_state, "u32 LEVEL of 2 bytes");

	/* Cut inside the last attribute (the thresholds nest). */
	nlmsg_hdr(trunc)->nlmsg_len -= 6;
	assert_bad(trunc, parse_state, "truncated last attribute");

	nlmsg_hdr(tiny)->nlmsg_len = NLMSG_HDRLEN + GENL_HDRLEN + 2;
	assert_bad(tiny, parse_state, "2 bytes of attribute");

	nlmsg_hdr(no_genl)->nlmsg_len = NLMSG_HDRLEN + 2;
	assert_bad(no_genl, parse_state, "shorter than the genl header");
}

/* Spoils the thresholds nest of a state reply in various ways. */
static void test_bad_thresholds(void)
{
	struct oom_notify_thresholds t = test_thresholds();

	for (int skip = OOM_NOTIFY_T_MEM_LOW; skip <= OOM_NOTIFY_T_MAX; skip++) {
		g_autoptr(NlMsg) m = state_msg(NO_THRESHOLDS, 0, 1);

		put_thresholds(m, &t, skip);
		assert_bad(m, parse_state, "thresholds nest without one of them");
	}
	{
		g_autoptr(NlMsg) m = state_msg(NO_THRESHOLDS, 0, 1);
		struct nlattr *nest = nla_nest_start(m, OOM_NOTIFY_A_THRESHOLDS);
		uint64_t big = 5;

		for (int i = OOM_NOTIFY_T_MEM_LOW; i < OOM_NOTIFY_T_HYSTERESIS; i++)
			nla_put_u32(m, i, 100);
		nla_put(m, OOM_NOTIFY_T_HYSTERESIS, 8, &big);
		nla_nest_end(m, nest);
		assert_bad(m, parse_state, "u32 threshold of 8 bytes");
	}
	{
		g_autoptr(NlMsg) m = state_msg(NO_THRESHOLDS, 0, 1);

		nla_put_u32(m, OOM_NOTIFY_A_THRESHOLDS, 0);
		assert_bad(m, parse_state, "thresholds as a u32 0");
	}
	{
		g_autoptr(NlMsg) m = state_msg(NO_THRESHOLDS, 0, 1);

		/* Looks like a header claiming 8 bytes in 4. */
		nla_put_u32(m, OOM_NOTIFY_A_THRESHOLDS, 0x00010008);
		assert_bad(m, parse_state, "thresholds as a u32 header");
	}
	{
		g_autoptr(NlMsg) m = pressure_msg(NO_THRESHOLDS, 1, 0, 5);
		struct nlattr *nest = nla_nest_start(m, OOM_NOTIFY_A_THRESHOLDS);
		uint8_t junk[3] = { 1, 2, 3 };

		nla_put(m, OOM_NOTIFY_T_MEM_LOW, sizeof(junk), junk);
		nla_nest_end(m, nest);
		assert_bad(m, parse_pressure, "3-byte threshold in an event");
	}
}

static void test_bad_pressure(void)
{
	g_autoptr(NlMsg) no_level = pressure_msg(NO_LEVEL, 0, 1, 1);
	g_autoptr(NlMsg) no_prev = pressure_msg(NO_PREV_LEVEL, 0, 1, 1);
	g_autoptr(NlMsg) no_seq = pressure_msg(NO_SEQ, 0, 1, 1);
	g_autoptr(NlMsg) seq0 = pressure_msg(0, 0, 1, 0);
	g_autoptr(NlMsg) level9 = pressure_msg(0, 9, 1, 1);
	g_autoptr(NlMsg) prev9 = pressure_msg(0, 1, 9, 1);
	g_autoptr(NlMsg) huge = pressure_msg(0, G_MAXUINT32, 1, 1);
	g_autoptr(NlMsg) as_state = state_msg(0, 1, 1);

	assert_bad(no_level, parse_pressure, "missing LEVEL");
	assert_bad(no_prev, parse_pressure, "missing PREV_LEVEL");
	assert_bad(no_seq, parse_pressure, "missing PRESSURE_SEQ");
	assert_bad(seq0, parse_pressure, "PRESSURE_SEQ 0");
	assert_bad(level9, parse_pressure, "level 9");
	assert_bad(prev9, parse_pressure, "prev level 9");
	assert_bad(huge, parse_pressure, "level 2^32-1");
	assert_bad(as_state, parse_pressure, "a reply's command");
}

static void test_bad_oom(void)
{
	char big[1000];

	{
		g_autoptr(NlMsg) m = msg_new(FAMILY_ID, OOM_NOTIFY_CMD_OOM_EVENT);

		nla_put_u64(m, OOM_NOTIFY_A_OOM_SEQ, 1);
		assert_bad(m, parse_oom, "missing PID");
	}
	{
		g_autoptr(NlMsg) m = msg_new(FAMILY_ID, OOM_NOTIFY_CMD_OOM_EVENT);

		nla_put_u32(m, OOM_NOTIFY_A_OOM_PID, 1);
		assert_bad(m, parse_oom, "missing OOM_SEQ");
	}
	{
		g_autoptr(NlMsg) m = msg_new(FAMILY_ID, OOM_NOTIFY_CMD_OOM_EVENT);

		nla_put_u64(m, OOM_NOTIFY_A_OOM_SEQ, 0);
		nla_put_u32(m, OOM_NOTIFY_A_OOM_PID, 1);
		assert_bad(m, parse_oom, "OOM_SEQ 0");
	}
	{
		g_autoptr(NlMsg) m = oom_msg();

		nla_put_u32(m, OOM_NOTIFY_A_LEVEL, 9);
		assert_bad(m, parse_oom, "level 9 (a later duplicate wins)");
	}
	{
		g_autoptr(NlMsg) a = oom_msg_with("x", "/", 1001);
		g_autoptr(NlMsg) b = oom_msg_with("x", "/", -1001);
		g_autoptr(NlMsg) c = oom_msg_with("x", "/", G_MININT32);

		assert_bad(a, parse_oom, "oom_score_adj 1001");
		assert_bad(b, parse_oom, "oom_score_adj -1001");
		assert_bad(c, parse_oom, "oom_score_adj INT32_MIN");
	}
	{
		g_autoptr(NlMsg) m = oom_msg_with(NULL, "/", 0);

		nla_put(m, OOM_NOTIFY_A_OOM_COMM, 16, "0123456789abcdef");
		assert_bad(m, parse_oom, "comm of 16 bytes without NUL");
	}
	{
		g_autoptr(NlMsg) m = oom_msg_with(NULL, "/", 0);

		memset(big, 'A', sizeof(big));
		nla_put(m, OOM_NOTIFY_A_OOM_COMM, sizeof(big), big);
		assert_bad(m, parse_oom, "comm of 1000 bytes without NUL");
	}
	{
		g_autoptr(NlMsg) m = oom_msg_with(NULL, "/", 0);

		memset(big, 'A', 99);
		big[99] = '\0';
		nla_put(m, OOM_NOTIFY_A_OOM_COMM, 100, big);
		assert_bad(m, parse_oom, "comm of 99 characters");
	}
	{
		g_autoptr(NlMsg) m = oom_msg_with(NULL, "/", 0);

		nla_put(m, OOM_NOTIFY_A_OOM_COMM, 0, NULL);
		assert_bad(m, parse_oom, "empty comm attribute");
	}
	{
		g_autoptr(NlMsg) m = oom_msg_with("x", NULL, 0);

		nla_put(m, OOM_NOTIFY_A_OOM_CGROUP, 5, "/abcd");
		assert_bad(m, parse_oom, "cgroup without NUL");
	}
	{
		g_autofree char *path = g_malloc(PATH_MAX + 1);
		g_autoptr(NlMsg) m = oom_msg_with("x", NULL, 0);

		memset(path, 'p', PATH_MAX);
		path[PATH_MAX] = '\0';
		nla_put(m, OOM_NOTIFY_A_OOM_CGROUP, PATH_MAX + 1, path);
		assert_bad(m, parse_oom, "cgroup of PATH_MAX characters");
	}
	{
		g_autoptr(NlMsg) m = oom_msg();
		uint16_t s16 = 1;

		nla_put(m, OOM_NOTIFY_A_OOM_SCORE_ADJ, 2, &s16);
		assert_bad(m, parse_oom, "s32 of 2 bytes");
	}
	{
		g_autoptr(NlMsg) m = oom_msg();

		nla_put_u32(m, OOM_NOTIFY_A_OOM_TOTAL_VM, 5);
		assert_bad(m, parse_oom, "u64 TOTAL_VM of 4 bytes");
	}
	{
		g_autoptr(NlMsg) m = oom_msg();

		/* The lost count is the last attribute: cut into it. */
		nlmsg_hdr(m)->nlmsg_len -= 2;
		assert_bad(m, parse_oom, "truncated LOST");
	}
}

static void test_bad_proc(void)
{
	const int mandatory[] = { OOM_NOTIFY_A_PROC_PID, OOM_NOTIFY_A_PROC_START_NS,
				  OOM_NOTIFY_A_PROC_COMM };
	/* Every fixed-size attribute, one byte short and one u32 long. */
	const struct {
		int attr;
		int len;
	} sized[] = {
		{ OOM_NOTIFY_A_PROC_PID, 4 },	    { OOM_NOTIFY_A_PROC_PPID, 4 },
		{ OOM_NOTIFY_A_PROC_START_NS, 8 },  { OOM_NOTIFY_A_PROC_UID, 4 },
		{ OOM_NOTIFY_A_PROC_STATE, 1 },	    { OOM_NOTIFY_A_PROC_FLAGS, 4 },
		{ OOM_NOTIFY_A_PROC_OOM_SCORE_ADJ, 4 }, { OOM_NOTIFY_A_PROC_RSS, 8 },
		{ OOM_NOTIFY_A_PROC_SWAP, 8 },	    { OOM_NOTIFY_A_PROC_PGTABLES, 8 },
		{ OOM_NOTIFY_A_PROC_CGROUP_ID, 8 }, { OOM_NOTIFY_A_PROC_EXEC_ID, 8 },
	};
	uint8_t bytes[16];
	char big[100];

	memset(bytes, 1, sizeof(bytes));
	for (size_t i = 0; i < G_N_ELEMENTS(mandatory); i++) {
		g_autoptr(NlMsg) m = proc_msg(PROC_NO(mandatory[i]), 5, "x", 0);

		assert_bad(m, parse_proc, "a mandatory attribute missing");
	}
	{
		g_autoptr(NlMsg) m = proc_msg(0, 0, "x", 0);

		assert_bad(m, parse_proc, "PID 0");
	}
	for (size_t i = 0; i < G_N_ELEMENTS(sized); i++) {
		g_autoptr(NlMsg) s = proc_msg(PROC_NO(sized[i].attr), 5, "x", 0);
		g_autoptr(NlMsg) l = proc_msg(PROC_NO(sized[i].attr), 5, "x", 0);

		g_test_message("attribute %d", sized[i].attr);
		nla_put(s, sized[i].attr, sized[i].len - 1, bytes);
		assert_bad(s, parse_proc, "an attribute one byte short");
		nla_put(l, sized[i].attr, sized[i].len + 4, bytes);
		assert_bad(l, parse_proc, "an attribute 4 bytes long");
	}
	{
		g_autoptr(NlMsg) a = proc_msg(0, 5, "x", 1001);
		g_autoptr(NlMsg) b = proc_msg(0, 5, "x", -1001);
		g_autoptr(NlMsg) c = proc_msg(0, 5, "x", G_MININT32);
		g_autoptr(NlMsg) d = proc_msg(0, 5, "x", G_MAXINT32);

		assert_bad(a, parse_proc, "oom_score_adj 1001");
		assert_bad(b, parse_proc, "oom_score_adj -1001");
		assert_bad(c, parse_proc, "oom_score_adj INT32_MIN");
		assert_bad(d, parse_proc, "oom_score_adj INT32_MAX");
	}
	{
		g_autoptr(NlMsg) m = proc_msg(PROC_NO(OOM_NOTIFY_A_PROC_COMM), 5, NULL, 0);

		nla_put(m, OOM_NOTIFY_A_PROC_COMM, 16, "0123456789abcdef");
		assert_bad(m, parse_proc, "comm of 16 bytes without NUL");
	}
	{
		g_autoptr(NlMsg) m = proc_msg(PROC_NO(OOM_NOTIFY_A_PROC_COMM), 5, NULL, 0);

		nla_put(m, OOM_NOTIFY_A_PROC_COMM, 17, "0123456789abcdefg");
		assert_bad(m, parse_proc, "comm of 17 bytes without NUL");
	}
	{
		g_autoptr(NlMsg) m = proc_msg(PROC_NO(OOM_NOTIFY_A_PROC_COMM), 5, NULL, 0);

		nla_put(m, OOM_NOTIFY_A_PROC_COMM, 18, "0123456789abcdefg");
		assert_bad(m, parse_proc, "comm of 17 characters and a NUL");
	}
	{
		g_autoptr(NlMsg) m = proc_msg(PROC_NO(OOM_NOTIFY_A_PROC_COMM), 5, NULL, 0);

		memset(big, 'A', sizeof(big));
		nla_put(m, OOM_NOTIFY_A_PROC_COMM, sizeof(big), big);
		assert_bad(m, parse_proc, "comm of 100 bytes without NUL");
	}
	{
		g_autoptr(NlMsg) m = proc_msg(PROC_NO(OOM_NOTIFY_A_PROC_COMM), 5, NULL, 0);

		nla_put(m, OOM_NOTIFY_A_PROC_COMM, 0, NULL);
		assert_bad(m, parse_proc, "empty comm attribute");
	}
	{
		g_autoptr(NlMsg) m = msg_new(FAMILY_ID, OOM_NOTIFY_CMD_OOM_EVENT);
		g_autoptr(NlMsg) full = proc_msg(0, 5, "x", 0);

		/* A proc's attributes under another command... */
		nla_put_u32(m, OOM_NOTIFY_A_PROC_PID, 5);
		nla_put_u64(m, OOM_NOTIFY_A_PROC_START_NS, 1);
		nla_put_string(m, OOM_NOTIFY_A_PROC_COMM, "x");
		assert_bad(m, parse_proc, "an OOM event's command");
		/* ...and a proc under the others' parsers. */
		assert_bad(full, parse_oom, "a process for an OOM event");
		assert_bad(full, parse_state, "a process for a state");
	}
	{
		g_autoptr(NlMsg) m = proc_msg(0, 5, "x", 0);

		/* PGTABLES is the last attribute: cut into it. */
		nlmsg_hdr(m)->nlmsg_len -= 2;
		assert_bad(m, parse_proc, "truncated PGTABLES");
	}
}

static void test_bad_family(void)
{
	{
		g_autoptr(NlMsg) m = nlmsg_alloc();

		genlmsg_put(m, 0, 0, GENL_ID_CTRL, 0, 0, CTRL_CMD_NEWFAMILY, 2);
		nla_put_string(m, CTRL_ATTR_FAMILY_NAME, "oom_notify");
		assert_bad(m, parse_family, "family without id");
	}
	{
		g_autoptr(NlMsg) m = nlmsg_alloc();

		genlmsg_put(m, 0, 0, GENL_ID_CTRL, 0, 0, CTRL_CMD_NEWFAMILY, 2);
		nla_put_u16(m, CTRL_ATTR_FAMILY_ID, 3);
		assert_bad(m, parse_family, "family without name");
	}
	{
		g_autoptr(NlMsg) m = nlmsg_alloc();

		genlmsg_put(m, 0, 0, GENL_ID_CTRL, 0, 0, CTRL_CMD_NEWFAMILY, 2);
		nla_put_u16(m, CTRL_ATTR_FAMILY_ID, 3);
		nla_put_string(m, CTRL_ATTR_FAMILY_NAME, "a_name_longer_than_16");
		assert_bad(m, parse_family, "name longer than GENL_NAMSIZ");
	}
	{
		g_autoptr(NlMsg) m = family_msg(CTRL_CMD_NEWFAMILY, "oom_notify", 0);
		struct nlattr *grps = nla_nest_start(m, CTRL_ATTR_MCAST_GROUPS);
		struct nlattr *g = nla_nest_start(m, 1);

		nla_put_string(m, CTRL_ATTR_MCAST_GRP_NAME, "pressure");
		nla_nest_end(m, g);
		nla_nest_end(m, grps);
		assert_bad(m, parse_family, "group without id");
	}
	{
		g_autoptr(NlMsg) m = family_msg(CTRL_CMD_NEWFAMILY, "oom_notify", 0);
		struct nlattr *grps = nla_nest_start(m, CTRL_ATTR_MCAST_GROUPS);

		nla_put_u32(m, 1, 0x00400010);
		nla_nest_end(m, grps);
		assert_bad(m, parse_family, "group entry with a bogus length");
	}
}

/*
 * Every prefix and thousands of byte flips of every good message: the
 * parsers must answer 0 or -EBADMSG and touch nothing outside the message.
 * Each copy is a heap block of exactly its length, so that ASan or valgrind
 * sees any over-read; nlmsg_len is kept equal to it, as nlmsg_ok() would.
 */
static void fuzz_one(NlMsg *m, parse_fn parse, GRand *rand)
{
	struct nlmsghdr *src = nlmsg_hdr(m);
	uint32_t len = src->nlmsg_len;

	for (uint32_t n = NLMSG_HDRLEN; n <= len; n++) {
		struct nlmsghdr *copy = g_memdup2(src, n);
		int r;

		copy->nlmsg_len = n;
		r = parse(copy);
		g_assert_true(r == 0 || r == -EBADMSG);
		if (n < len && r == 0)
			/* Only a cut at an attribute boundary may still parse. */
			g_assert_cmpuint(n, >=, NLMSG_HDRLEN + GENL_HDRLEN);
		g_free(copy);
	}

	for (int i = 0; i < 3000; i++) {
		struct nlmsghdr *copy = g_memdup2(src, len);
		int flips = g_rand_int_range(rand, 1, 4), r;

		for (int k = 0; k < flips; k++) {
			uint32_t at = g_rand_int_range(rand, NLMSG_HDRLEN, len);

			((uint8_t *)copy)[at] = g_rand_int_range(rand, 0, 256);
		}
		copy->nlmsg_len = len;
		r = parse(copy);
		g_assert_true(r == 0 || r == -EBADMSG);
		g_free(copy);
	}
}

static void test_fuzz(void)
{
	GRand *rand = g_rand_new_with_seed(20240601);
	g_autoptr(NlMsg) s = state_msg(WITH_PAD, 2, 9);
	g_autoptr(NlMsg) p = pressure_msg(0, 3, 2, 10);
	g_autoptr(NlMsg) o = oom_msg();
	g_autoptr(NlMsg) f = family_msg(CTRL_CMD_NEWFAMILY, "oom_notify", 3);
	g_autoptr(NlMsg) pr = proc_msg(0, 4242, "memhog", -500);

	fuzz_one(s, parse_state, rand);
	fuzz_one(p, parse_pressure, rand);
	fuzz_one(o, parse_oom, rand);
	fuzz_one(f, parse_family, rand);
	fuzz_one(pr, parse_proc, rand);
	/* And each parser on the others' messages. */
	fuzz_one(s, parse_oom, rand);
	fuzz_one(o, parse_pressure, rand);
	fuzz_one(pr, parse_oom, rand);
	fuzz_one(o, parse_proc, rand);
	g_rand_free(rand);
}

static void test_names(void)
{
	g_assert_cmpstr(oomn_level_to_string(OOM_NOTIFY_LEVEL_NORMAL), ==, "normal");
	g_assert_cmpstr(oomn_level_to_string(OOM_NOTIFY_LEVEL_CRITICAL), ==, "critical");
	g_assert_cmpstr(oomn_level_to_string(7), ==, "unknown");
	g_assert_cmpstr(oomn_cause_to_string(OOM_NOTIFY_CAUSE_UNSPEC), ==, "unspec");
	g_assert_cmpstr(oomn_cause_to_string(OOM_NOTIFY_CAUSE_ALLOC), ==, "alloc");
	g_assert_cmpstr(oomn_cause_to_string(OOM_NOTIFY_CAUSE_FREE), ==, "free");
	g_assert_cmpstr(oomn_cause_to_string(OOM_NOTIFY_CAUSE_RECLAIM), ==, "reclaim");
	g_assert_cmpstr(oomn_cause_to_string(OOM_NOTIFY_CAUSE_TIMER), ==, "timer");
	g_assert_cmpstr(oomn_cause_to_string(OOM_NOTIFY_CAUSE_THRESHOLDS), ==, "thresholds");
	g_assert_cmpstr(oomn_cause_to_string(OOM_NOTIFY_CAUSE_OOM_KILL), ==, "oom-kill");
	g_assert_cmpstr(oomn_cause_to_string(OOM_NOTIFY_CAUSE_QUERY), ==, "query");
	g_assert_cmpstr(oomn_cause_to_string(OOM_NOTIFY_CAUSE_MAX + 1), ==, "unknown");
	g_assert_cmpstr(oomn_cause_to_string(G_MAXUINT32), ==, "unknown");
}

static void test_errno(void)
{
	g_assert_cmpint(oomn_errno_from_nle(0), ==, 0);
	g_assert_cmpint(oomn_errno_from_nle(-NLE_PERM), ==, -EPERM);
	g_assert_cmpint(oomn_errno_from_nle(NLE_PERM), ==, -EPERM);
	g_assert_cmpint(oomn_errno_from_nle(-NLE_NOACCESS), ==, -EACCES);
	g_assert_cmpint(oomn_errno_from_nle(-NLE_NOMEM), ==, -ENOMEM);
	g_assert_cmpint(oomn_errno_from_nle(-NLE_OBJ_NOTFOUND), ==, -ENOENT);
	g_assert_cmpint(oomn_errno_from_nle(-NLE_AGAIN), ==, -EAGAIN);
	g_assert_cmpint(oomn_errno_from_nle(-NLE_INVAL), ==, -EINVAL);
	g_assert_cmpint(oomn_errno_from_nle(-NLE_MSG_TRUNC), ==, -EBADMSG);
	g_assert_cmpint(oomn_errno_from_nle(-NLE_SEQ_MISMATCH), ==, -EILSEQ);
	g_assert_cmpint(oomn_errno_from_nle(-NLE_FAILURE), ==, -EIO);
	g_assert_cmpint(oomn_errno_from_nle(-9999), ==, -EIO);
	/* Every code maps to a negative errno. */
	for (int i = 1; i <= NLE_MAX; i++)
		g_assert_cmpint(oomn_errno_from_nle(-i), <, 0);
}

int main(int argc, char *argv[])
{
	g_test_init(&argc, &argv, NULL);

	g_test_add_func("/core/genl/parse/state", test_state);
	g_test_add_func("/core/genl/parse/pressure", test_pressure);
	g_test_add_func("/core/genl/parse/oom", test_oom);
	g_test_add_func("/core/genl/parse/family", test_family);
	g_test_add_func("/core/genl/parse/ack", test_ack);
	g_test_add_func("/core/genl/parse/proc", test_proc);
	g_test_add_func("/core/genl/parse/done", test_done);
	g_test_add_func("/core/genl/parse/bad/state", test_bad_state);
	g_test_add_func("/core/genl/parse/bad/thresholds", test_bad_thresholds);
	g_test_add_func("/core/genl/parse/bad/pressure", test_bad_pressure);
	g_test_add_func("/core/genl/parse/bad/oom", test_bad_oom);
	g_test_add_func("/core/genl/parse/bad/proc", test_bad_proc);
	g_test_add_func("/core/genl/parse/bad/family", test_bad_family);
	g_test_add_func("/core/genl/parse/fuzz", test_fuzz);
	g_test_add_func("/core/genl/put-thresholds", test_put_thresholds);
	g_test_add_func("/core/genl/names", test_names);
	g_test_add_func("/core/genl/errno", test_errno);

	return g_test_run();
}
