/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <unistd.h>
#include <sys/wait.h>

#include "vm-helpers.h"

void hog_start(Hog *h)
{
	hog_start_fill(h, "ones");
}

void hog_start_fill(Hog *h, const char *fill)
{
	const char *hog = g_getenv("OOMN_HOG");
	char *argv[] = { (char *)hog, "--control", "--fill", (char *)fill, NULL };
	int in_fd, out_fd;
	char line[64];
	GError *err = NULL;

	g_assert_nonnull(hog);
	g_assert_true(g_spawn_async_with_pipes(NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
					       &h->pid, &in_fd, &out_fd, NULL, &err));
	g_assert_no_error(err);
	h->in = fdopen(in_fd, "w");
	h->out = fdopen(out_fd, "r");
	g_assert_nonnull(fgets(line, sizeof(line), h->out));
	g_assert_true(g_str_has_prefix(line, "ready"));
}

void hog_cmd(Hog *h, const char *cmd)
{
	char line[64];

	fprintf(h->in, "%s\n", cmd);
	fflush(h->in);
	g_assert_nonnull(fgets(line, sizeof(line), h->out));
	g_assert_true(g_str_has_prefix(line, "ok"));
}

void hog_stop(Hog *h)
{
	int status;

	fprintf(h->in, "exit\n");
	fclose(h->in);
	fclose(h->out);
	g_assert_cmpint(waitpid(h->pid, &status, 0), ==, h->pid);
	g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

pid_t hog_spawn_in_cgroup(const char *procs, const char *step)
{
	const char *hog = g_getenv("OOMN_HOG");
	g_autofree char *s = NULL;
	int sync_pipe[2], fd;
	pid_t pid;
	char c;

	g_assert_nonnull(hog);
	g_assert_cmpint(pipe(sync_pipe), ==, 0);
	pid = fork();
	g_assert_cmpint(pid, >=, 0);
	if (pid == 0) {
		/* wait until the parent moved us into the cgroup */
		close(sync_pipe[1]);
		if (read(sync_pipe[0], &c, 1) != 1)
			_exit(97);
		/* keep the TAP stream clean */
		if (!freopen("/dev/null", "w", stdout))
			_exit(95);
		execl(hog, hog, "--max", "256", "--step", step, "--hold", NULL);
		_exit(96);
	}
	close(sync_pipe[0]);
	/* cgroupfs wants one write() */
	s = g_strdup_printf("%d", (int)pid);
	fd = open(procs, O_WRONLY);
	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpint(write(fd, s, strlen(s)), ==, (ssize_t)strlen(s));
	close(fd);
	g_assert_cmpint(write(sync_pipe[1], "x", 1), ==, 1);
	close(sync_pipe[1]);
	return pid;
}

int vm_run(const char *cmd)
{
	int status = -1;

	g_assert_true(g_spawn_command_line_sync(cmd, NULL, NULL, &status, NULL));
	return status;
}

typedef struct {
	const char *procs, *log;
} SpawnSetup;

static void spawn_child_setup(gpointer data)
{
	const SpawnSetup *s = data;
	int fd;

	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (s->procs) {
		/* "0" moves the writer: not a page gets charged elsewhere */
		fd = open(s->procs, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, "0", 1) != 1)
			_exit(97);
		close(fd);
	}
	fd = s->log ? open(s->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)
		    : open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (fd >= 0)
		dup2(fd, STDERR_FILENO);
}

GPid vm_spawn(char **argv, const char *procs, const char *log, int *ret_in, int *ret_out)
{
	SpawnSetup s = { procs, log };
	GError *err = NULL;
	GSpawnFlags flags = G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_SEARCH_PATH;
	GPid pid;

	if (!ret_out)
		flags |= G_SPAWN_STDOUT_TO_DEV_NULL;
	g_assert_true(g_spawn_async_with_pipes(NULL, argv, NULL, flags, spawn_child_setup, &s,
					       &pid, ret_in, ret_out, NULL, &err));
	g_assert_no_error(err);
	return pid;
}

gboolean vm_wait_child(GPid pid, guint timeout_ms, int *status)
{
	gint64 end = g_get_monotonic_time() + (gint64)timeout_ms * 1000;

	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);

		g_assert_cmpint(r, >=, 0);
		if (r == pid)
			return TRUE;
		if (g_get_monotonic_time() >= end)
			return FALSE;
		g_main_context_iteration(NULL, FALSE);
		g_usleep(5000);
	}
}

void vm_kmsg_assert_no_oom(int fd)
{
	g_autofree char *oom = vm_kmsg_find(fd, "invoked oom-killer");

	if (oom)
		g_error("the kernel's OOM killer ran: %s", oom);
	close(fd);
}

void vm_children_init(VmChildren *c, const char *log, guint timeout_ms)
{
	c->pids = g_array_new(FALSE, FALSE, sizeof(GPid));
	c->fds = g_array_new(FALSE, FALSE, sizeof(int));
	c->log = log;
	c->timeout_ms = timeout_ms;
}

GPid vm_children_spawn(VmChildren *c, char **argv, const char *procs, int *ret_in, int *ret_out)
{
	GPid pid = vm_spawn(argv, procs, c->log, ret_in, ret_out);

	g_array_append_val(c->pids, pid);
	/* kept open while it runs: a closed pipe would kill it (SIGPIPE) */
	if (ret_in)
		g_array_append_val(c->fds, *ret_in);
	if (ret_out)
		g_array_append_val(c->fds, *ret_out);
	return pid;
}

int vm_children_wait(VmChildren *c, GPid pid)
{
	int status = 0;

	g_assert_true(vm_wait_child(pid, c->timeout_ms, &status));
	for (guint i = 0; i < c->pids->len; i++) {
		if (g_array_index(c->pids, GPid, i) == pid) {
			g_array_remove_index(c->pids, i);
			break;
		}
	}
	return status;
}

void vm_children_reap(VmChildren *c)
{
	for (guint i = 0; i < c->pids->len; i++) {
		GPid pid = g_array_index(c->pids, GPid, i);
		int status;

		(void)kill(pid, SIGKILL);
		g_assert_true(vm_wait_child(pid, c->timeout_ms, &status));
	}
	g_array_set_size(c->pids, 0);
	for (guint i = 0; i < c->fds->len; i++)
		close(g_array_index(c->fds, int, i));
	g_array_set_size(c->fds, 0);
}

void vm_children_clear(VmChildren *c)
{
	if (!c->pids)
		return;
	vm_children_reap(c);
	g_clear_pointer(&c->pids, g_array_unref);
	g_clear_pointer(&c->fds, g_array_unref);
}

void vm_assert_available_pct(guint pct)
{
	guint64 total, avail;

	vm_meminfo_mib(&total, &avail);
	g_assert_cmpuint(avail * 100, >, total * pct);
}

guint64 vm_mib_to_leave(guint pct)
{
	guint64 total, avail;

	vm_meminfo_mib(&total, &avail);
	g_assert_cmpuint(avail, >, total * pct / 100 + 16);
	return avail - total * pct / 100;
}

void vm_stop_daemon(GPid pid, const char *what, guint timeout_ms)
{
	int status;

	g_assert_cmpint(kill(pid, SIGTERM), ==, 0);
	g_assert_true(vm_wait_child(pid, timeout_ms, &status));
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		g_error("%s ended with wait status 0x%x", what, status);
}

gboolean vm_child_alive(GPid pid)
{
	siginfo_t si = { 0 };

	/* WNOWAIT: look without reaping */
	g_assert_cmpint(waitid(P_PID, pid, &si, WEXITED | WNOHANG | WNOWAIT), ==, 0);
	return si.si_pid == 0;
}

char *vm_read_line(int fd, guint timeout_ms)
{
	gint64 end = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
	GString *s = g_string_new(NULL);

	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		char c;

		if (poll(&p, 1, 5) == 1) {
			/* a byte at a time: what follows the line stays in the pipe */
			if (read(fd, &c, 1) != 1)
				break;
			if (c == '\n')
				return g_string_free(s, FALSE);
			g_string_append_c(s, c);
			continue;
		}
		if (g_get_monotonic_time() >= end)
			break;
		g_main_context_iteration(NULL, FALSE);
	}
	g_string_free(s, TRUE);
	return NULL;
}

int vm_kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpint(lseek(fd, 0, SEEK_END), >=, 0);
	return fd;
}

char *vm_kmsg_find(int fd, const char *needle)
{
	char rec[8192];

	for (;;) {
		ssize_t n = read(fd, rec, sizeof(rec) - 1);

		if (n < 0 && errno == EPIPE)
			continue; /* records were overwritten: go on with the next */
		if (n < 0 && errno == EAGAIN)
			return NULL;
		g_assert_cmpint(n, >, 0);
		rec[n] = '\0';
		if (strstr(rec, needle))
			return g_strdup(rec);
	}
}

void vm_meminfo_mib(guint64 *total, guint64 *avail)
{
	g_autofree char *text = NULL;
	const char *p;

	g_assert_true(g_file_get_contents("/proc/meminfo", &text, NULL, NULL));
	p = strstr(text, "MemTotal:");
	g_assert_nonnull(p);
	*total = g_ascii_strtoull(p + strlen("MemTotal:"), NULL, 10) / 1024;
	p = strstr(text, "MemAvailable:");
	g_assert_nonnull(p);
	*avail = g_ascii_strtoull(p + strlen("MemAvailable:"), NULL, 10) / 1024;
}

void vm_kill_line_clear(VmKillLine *k)
{
	g_free(k->comm);
	g_free(k->rule);
	g_free(k->signal);
	g_free(k->mrelease);
	memset(k, 0, sizeof(*k));
}

static gboolean parse_u64(const char *v, guint64 *ret)
{
	char *end;

	errno = 0;
	*ret = g_ascii_strtoull(v, &end, 10);
	return errno == 0 && end != v && *end == '\0';
}

gboolean vm_kill_line_parse(const char *line, VmKillLine *k)
{
	static const char *const keys[] = { "pid",	  "comm",	"rule",	   "signal",
					    "event_ns",	  "notify_ns",	"sigterm_ns", "sigkill_ns",
					    "exit_ns",	  "mrelease",	"freed" };
	guint64 pid = 0;
	guint64 *nums[] = { &pid,	  NULL,		 NULL,		 NULL,
			    &k->event_ns, &k->notify_ns, &k->sigterm_ns, &k->sigkill_ns,
			    &k->exit_ns,  NULL,		 &k->freed };
	char **strs[] = { NULL, &k->comm, &k->rule, &k->signal, NULL, NULL,
			  NULL, NULL,	  NULL,	    &k->mrelease, NULL };
	g_auto(GStrv) fields = NULL;
	guint seen = 0;

	if (!g_str_has_prefix(line, VM_KILL_LINE_PREFIX))
		return FALSE;
	fields = g_strsplit(line + strlen(VM_KILL_LINE_PREFIX), " ", -1);
	for (guint i = 0; fields[i]; i++) {
		char *eq = strchr(fields[i], '=');

		if (!eq)
			continue;
		*eq = '\0';
		for (guint j = 0; j < G_N_ELEMENTS(keys); j++) {
			if (strcmp(fields[i], keys[j]) != 0)
				continue;
			if (nums[j] && !parse_u64(eq + 1, nums[j]))
				return FALSE;
			if (strs[j]) {
				g_free(*strs[j]);
				*strs[j] = g_strdup(eq + 1);
			}
			seen |= 1u << j;
		}
	}
	k->pid = (int)pid;
	return seen == (1u << G_N_ELEMENTS(keys)) - 1 && pid > 0 && pid <= G_MAXINT;
}

guint64 vm_zram_swap_bytes(void)
{
	g_autofree char *text = NULL;
	g_auto(GStrv) lines = NULL;

	if (!g_file_get_contents("/proc/swaps", &text, NULL, NULL))
		return 0;
	lines = g_strsplit(text, "\n", -1);
	for (guint i = 1; lines[i]; i++) {
		char dev[256];
		unsigned long long kib;

		if (sscanf(lines[i], "%255s %*s %llu", dev, &kib) == 2 &&
		    g_str_has_prefix(dev, "/dev/zram"))
			return (guint64)kib * 1024;
	}
	return 0;
}
