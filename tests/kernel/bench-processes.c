/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Not a test: what a warm candidate refresh costs at 100, 1 000 and 10 000
 * processes on a real kernel, the module's GET_PROCESSES dump against
 * /proc. Run in the VM bed as root with the module loaded and memory for
 * the processes (README: "Benchmarks"):
 *
 *   run-vm.sh --kernel K --module KO --mem 2G -- tests/kernel/bench-processes [N...]
 *
 * For each N it forks sleeping children until N processes exist, then times,
 * 21 rounds each, median and 90th percentile:
 *   raw      the dump read on a plain socket, messages counted, not parsed (the
 *            kernel's side and the system calls);
 *   dump     oomn_genl_dump_processes() alone (the same, parsed);
 *   records  the killer's refresh now: the dump and candidates_refresh_records();
 *   proc     the killer's refresh without the module: candidates_refresh(0)
 *            (stat and oom_score_adj of every process, the rest if stat changed).
 */
#include <errno.h>
#include <glib.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <sys/socket.h>

#include "bench-util.h"
#include "candidates.h"
#include "dump.h"
#include "oomn-genl.h"

#define ROUNDS 21

static int count_proc(const struct oomn_proc *p, void *userdata)
{
	(*(size_t *)userdata)++;
	return 0;
}

static size_t count_processes(OomnGenl *g)
{
	size_t n = 0;

	g_assert_cmpint(oomn_genl_dump_processes(g, count_proc, &n, NULL), ==, 0);
	return n;
}

/* The dump on a plain socket: request, read parts until NLMSG_DONE, count messages. */
static size_t raw_dump(int fd, int family, unsigned seq)
{
	struct {
		struct nlmsghdr n;
		struct genlmsghdr g;
	} req = {
		.n = { .nlmsg_len = sizeof(req), .nlmsg_type = (unsigned short)family,
		       .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP, .nlmsg_seq = seq },
		.g = { .cmd = OOM_NOTIFY_CMD_GET_PROCESSES, .version = OOM_NOTIFY_FAMILY_VERSION },
	};
	static char buf[32768];
	size_t n = 0;

	g_assert_cmpint(send(fd, &req, sizeof(req), 0), ==, (ssize_t)sizeof(req));
	for (;;) {
		ssize_t len = recv(fd, buf, sizeof(buf), 0);
		struct nlmsghdr *h;

		g_assert_cmpint(len, >, 0);
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)len); h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_type == NLMSG_DONE)
				return n;
			g_assert_cmpint(h->nlmsg_type, ==, family);
			n++;
		}
	}
}

static void report(const char *what, size_t n, double *t)
{
	qsort(t, ROUNDS, sizeof(*t), bench_cmp_double);
	printf("%-8s %6zu processes: median %9.1f us, p90 %9.1f us, min %9.1f us\n", what, n,
	       t[ROUNDS / 2], t[ROUNDS * 9 / 10], t[0]);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	static const size_t defaults[] = { 100, 1000, 10000 };
	g_autoptr(GArray) children = g_array_new(FALSE, FALSE, sizeof(pid_t));
	g_autoptr(GArray) sizes = g_array_new(FALSE, FALSE, sizeof(size_t));
	OomnGenl *g = NULL;
	KillerDump *d = NULL;
	Candidates *c = NULL;
	int family, raw_fd;

	for (int i = 1; i < argc; i++) {
		size_t n = (size_t)g_ascii_strtoull(argv[i], NULL, 10);

		g_array_append_val(sizes, n);
	}
	if (sizes->len == 0)
		g_array_append_vals(sizes, defaults, G_N_ELEMENTS(defaults));

	g_assert_cmpint(oomn_genl_new(&g), ==, 0);
	g_assert_cmpint(killer_dump_new(&d), ==, 0);
	g_assert_cmpint(candidates_new(NULL, &c), ==, 0);
	{
		struct nl_sock *sk = nl_socket_alloc();

		g_assert_nonnull(sk);
		g_assert_cmpint(genl_connect(sk), ==, 0);
		family = genl_ctrl_resolve(sk, OOM_NOTIFY_FAMILY_NAME);
		g_assert_cmpint(family, >, 0);
		nl_socket_free(sk);
	}
	raw_fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	g_assert_cmpint(raw_fd, >=, 0);

	for (guint s = 0; s < sizes->len; s++) {
		size_t want = g_array_index(sizes, size_t, s), n = count_processes(g);
		double t_raw[ROUNDS], t_dump[ROUNDS], t_records[ROUNDS], t_proc[ROUNDS];
		CandidatesStats st;

		while (n < want) {
			pid_t pid = fork();

			if (pid < 0) {
				fprintf(stderr, "fork after %zu processes: %s\n", n,
					g_strerror(errno));
				break;
			}
			if (pid == 0) {
				prctl(PR_SET_PDEATHSIG, SIGKILL);
				pause();
				_exit(0);
			}
			g_array_append_val(children, pid);
			n++;
		}
		n = count_processes(g);

		/* warm both paths once, as the killer's refresh timer keeps them */
		g_assert_cmpint(candidates_refresh(c, CANDIDATES_REFRESH_FULL, NULL), ==, 0);
		g_assert_cmpint(killer_dump_refresh(d, c, 0, NULL), ==, 0);
		for (int r = 0; r < ROUNDS; r++) {
			double t0 = bench_now_us();

			(void)raw_dump(raw_fd, family, (unsigned)r + 1);
			t_raw[r] = bench_now_us() - t0;
		}
		for (int r = 0; r < ROUNDS; r++) {
			double t0 = bench_now_us();

			(void)count_processes(g);
			t_dump[r] = bench_now_us() - t0;
		}
		for (int r = 0; r < ROUNDS; r++) {
			double t0 = bench_now_us();

			g_assert_cmpint(killer_dump_refresh(d, c, 0, &st), ==, 0);
			t_records[r] = bench_now_us() - t0;
		}
		printf("records: last refresh %u processes, %u new, %u updated (strings re-read)\n",
		       st.n_processes, st.n_new, st.n_updated);
		g_assert_cmpint(candidates_refresh(c, CANDIDATES_REFRESH_FULL, NULL), ==, 0);
		for (int r = 0; r < ROUNDS; r++) {
			double t0 = bench_now_us();

			g_assert_cmpint(candidates_refresh(c, 0, &st), ==, 0);
			t_proc[r] = bench_now_us() - t0;
		}
		printf("proc: last refresh %u processes, %u updated (stat changed)\n",
		       st.n_processes, st.n_updated);
		report("raw", n, t_raw);
		report("dump", n, t_dump);
		report("records", n, t_records);
		report("proc", n, t_proc);
	}

	for (guint i = 0; i < children->len; i++)
		kill(g_array_index(children, pid_t, i), SIGKILL);
	candidates_free(c);
	killer_dump_free(d);
	oomn_genl_free(g);
	close(raw_fd);
	return 0;
}
