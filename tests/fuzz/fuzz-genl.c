/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The netlink parsers (lib/oomn-genl.c): whatever arrives on the
 * socket, each parser answers 0 or -EBADMSG and reads nothing outside the
 * message. Seeds: a GET_STATE reply, a pressure event, an OOM event, a
 * controller family reply, an ack, a GET_PROCESSES part and the NLMSG_DONE
 * ending a dump, as the module and the kernel send them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/genetlink.h>
#include <netlink/genl/genl.h>

#include "fuzz.h"
#include "oomn-genl-msg.h"

#define SEED_MAX 2048

#define N_SEEDS 7

static uint8_t seed_buf[N_SEEDS][SEED_MAX];
static struct fuzz_seed seeds[N_SEEDS];
const struct fuzz_seed *const fuzz_seeds = seeds;
const size_t fuzz_n_seeds = N_SEEDS;

static void put_thresholds(struct nl_msg *m)
{
	struct nlattr *n = nla_nest_start(m, OOM_NOTIFY_A_THRESHOLDS);

	for (int i = OOM_NOTIFY_T_MEM_LOW; i <= OOM_NOTIFY_T_MAX; i++)
		nla_put_u32(m, i, 100 + i);
	nla_nest_end(m, n);
}

static void seed_from(int i, struct nl_msg *m)
{
	struct nlmsghdr *h = nlmsg_hdr(m);

	if (h->nlmsg_len <= SEED_MAX) {
		memcpy(seed_buf[i], h, h->nlmsg_len);
		seeds[i] = (struct fuzz_seed){ seed_buf[i], h->nlmsg_len };
	}
	nlmsg_free(m);
}

static struct nl_msg *msg(uint8_t cmd)
{
	struct nl_msg *m = nlmsg_alloc_size(SEED_MAX);

	genlmsg_put(m, 0, 1, 0x20, 0, 0, cmd, OOM_NOTIFY_FAMILY_VERSION);
	return m;
}

__attribute__((constructor)) static void fuzz_genl_seeds(void)
{
	struct nl_msg *m;
	struct nlattr *grps, *g;
	struct nlmsgerr err = { .error = -EINVAL };
	int done_error = -EPERM;

	m = msg(OOM_NOTIFY_CMD_GET_STATE);
	nla_put_u32(m, OOM_NOTIFY_A_LEVEL, 2);
	nla_put_u64(m, OOM_NOTIFY_A_PRESSURE_SEQ, 9);
	nla_put_u64(m, OOM_NOTIFY_A_OOM_SEQ, 7);
	nla_put_u64(m, OOM_NOTIFY_A_TIMESTAMP_NS, 123456789);
	nla_put_u32(m, OOM_NOTIFY_A_CAUSE, OOM_NOTIFY_CAUSE_QUERY);
	nla_put_u64(m, OOM_NOTIFY_A_MEM_TOTAL, 16ULL << 30);
	nla_put_u64(m, OOM_NOTIFY_A_MEM_AVAILABLE, 3ULL << 30);
	nla_put_u64(m, OOM_NOTIFY_A_SWAP_FREE, 5);
	put_thresholds(m);
	seed_from(0, m);

	m = msg(OOM_NOTIFY_CMD_PRESSURE_EVENT);
	nla_put_u32(m, OOM_NOTIFY_A_LEVEL, 3);
	nla_put_u32(m, OOM_NOTIFY_A_PREV_LEVEL, 2);
	nla_put_u64(m, OOM_NOTIFY_A_PRESSURE_SEQ, 10);
	nla_put_u64(m, OOM_NOTIFY_A_TIMESTAMP_NS, 99);
	nla_put_u32(m, OOM_NOTIFY_A_CAUSE, OOM_NOTIFY_CAUSE_ALLOC);
	nla_put_u64(m, OOM_NOTIFY_A_MEM_TOTAL, 1000);
	nla_put_u64(m, OOM_NOTIFY_A_MEM_AVAILABLE, 90);
	nla_put_u64(m, OOM_NOTIFY_A_SWAP_FREE, 0);
	put_thresholds(m);
	seed_from(1, m);

	m = msg(OOM_NOTIFY_CMD_OOM_EVENT);
	nla_put_u64(m, OOM_NOTIFY_A_OOM_SEQ, 8);
	nla_put_u64(m, OOM_NOTIFY_A_TIMESTAMP_NS, 100);
	nla_put_u32(m, OOM_NOTIFY_A_LEVEL, 3);
	nla_put_u32(m, OOM_NOTIFY_A_OOM_PID, 4242);
	nla_put_u32(m, OOM_NOTIFY_A_OOM_TID, 4243);
	nla_put_string(m, OOM_NOTIFY_A_OOM_COMM, "oomn-hog");
	nla_put_u32(m, OOM_NOTIFY_A_OOM_UID, 1000);
	nla_put_s32(m, OOM_NOTIFY_A_OOM_SCORE_ADJ, -17);
	nla_put_u64(m, OOM_NOTIFY_A_OOM_TOTAL_VM, 1 << 30);
	nla_put_u64(m, OOM_NOTIFY_A_OOM_ANON_RSS, 1 << 29);
	nla_put_u64(m, OOM_NOTIFY_A_OOM_FILE_RSS, 4096);
	nla_put_u64(m, OOM_NOTIFY_A_OOM_SHMEM_RSS, 0);
	nla_put_u64(m, OOM_NOTIFY_A_OOM_PGTABLES, 8192);
	nla_put_u32(m, OOM_NOTIFY_A_OOM_LOST, 0);
	nla_put_u64(m, OOM_NOTIFY_A_OOM_CGROUP_ID, 77);
	nla_put_string(m, OOM_NOTIFY_A_OOM_CGROUP, "/user.slice/x.scope");
	seed_from(2, m);

	m = nlmsg_alloc_size(SEED_MAX);
	genlmsg_put(m, 0, 1, GENL_ID_CTRL, 0, 0, CTRL_CMD_NEWFAMILY, 2);
	nla_put_string(m, CTRL_ATTR_FAMILY_NAME, OOM_NOTIFY_FAMILY_NAME);
	nla_put_u16(m, CTRL_ATTR_FAMILY_ID, 0x20);
	nla_put_u32(m, CTRL_ATTR_VERSION, OOM_NOTIFY_FAMILY_VERSION);
	grps = nla_nest_start(m, CTRL_ATTR_MCAST_GROUPS);
	g = nla_nest_start(m, 1);
	nla_put_string(m, CTRL_ATTR_MCAST_GRP_NAME, OOM_NOTIFY_MCGRP_PRESSURE);
	nla_put_u32(m, CTRL_ATTR_MCAST_GRP_ID, 5);
	nla_nest_end(m, g);
	g = nla_nest_start(m, 2);
	nla_put_string(m, CTRL_ATTR_MCAST_GRP_NAME, OOM_NOTIFY_MCGRP_OOM);
	nla_put_u32(m, CTRL_ATTR_MCAST_GRP_ID, 6);
	nla_nest_end(m, g);
	nla_nest_end(m, grps);
	seed_from(3, m);

	m = nlmsg_alloc_simple(NLMSG_ERROR, 0);
	nlmsg_append(m, &err, sizeof(err), NLMSG_ALIGNTO);
	seed_from(4, m);

	m = msg(OOM_NOTIFY_CMD_GET_PROCESSES);
	nla_put_u32(m, OOM_NOTIFY_A_PROC_PID, 4242);
	nla_put_u32(m, OOM_NOTIFY_A_PROC_PPID, 1);
	nla_put(m, OOM_NOTIFY_A_PAD, 0, NULL);
	nla_put_u64(m, OOM_NOTIFY_A_PROC_START_NS, 123456789);
	nla_put_string(m, OOM_NOTIFY_A_PROC_COMM, "oomn-hog");
	nla_put_u32(m, OOM_NOTIFY_A_PROC_UID, 1000);
	nla_put_u8(m, OOM_NOTIFY_A_PROC_STATE, 'R');
	nla_put_u32(m, OOM_NOTIFY_A_PROC_FLAGS, 0x00400000);
	nla_put_s32(m, OOM_NOTIFY_A_PROC_OOM_SCORE_ADJ, 200);
	nla_put_u64(m, OOM_NOTIFY_A_PROC_EXEC_ID, 2);
	nla_put_u64(m, OOM_NOTIFY_A_PROC_CGROUP_ID, 77);
	nla_put_u64(m, OOM_NOTIFY_A_PROC_RSS, 1 << 29);
	nla_put_u64(m, OOM_NOTIFY_A_PROC_SWAP, 4096);
	nla_put_u64(m, OOM_NOTIFY_A_PROC_PGTABLES, 8192);
	seed_from(5, m);

	m = nlmsg_alloc_simple(NLMSG_DONE, NLM_F_MULTI);
	nlmsg_append(m, &done_error, sizeof(done_error), NLMSG_ALIGNTO);
	seed_from(6, m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nlmsghdr *h;
	struct oomn_state st;
	struct oomn_pressure_event pe;
	struct oomn_oom_event oe;
	struct oomn_genl_family fam;
	struct oomn_proc proc;
	char *msg = NULL;
	int err, r;

	if (size < NLMSG_HDRLEN || size > 1 << 16)
		return 0;
	/* as the socket code hands them over: nlmsg_len is what arrived */
	h = malloc(size);
	if (!h)
		return 0;
	memcpy(h, data, size);
	h->nlmsg_len = (uint32_t)size;
	r = oomn_genl_parse_state(h, &st);
	if (r != 0 && r != -EBADMSG)
		abort();
	r = oomn_genl_parse_pressure(h, &pe);
	if (r != 0 && r != -EBADMSG)
		abort();
	r = oomn_genl_parse_oom(h, &oe);
	if (r != 0 && r != -EBADMSG)
		abort();
	r = oomn_genl_parse_family(h, &fam);
	if (r != 0 && r != -EBADMSG)
		abort();
	r = oomn_genl_parse_proc(h, &proc);
	if (r != 0 && r != -EBADMSG)
		abort();
	r = oomn_genl_parse_done(h, &err);
	if (r != 0 && r != -EBADMSG)
		abort();
	if (h->nlmsg_type == NLMSG_ERROR && oomn_genl_parse_ack(h, &err, &msg) == 0)
		free(msg);
	free(h);
	return 0;
}
