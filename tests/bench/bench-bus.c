/* SPDX-License-Identifier: GPL-2.0-only */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "bench-bus.h"

#define BENCH_WAIT_MS	     20000
#define BENCH_JOURNAL_SOCKET "/run/systemd/journal/socket"

uint64_t bench_now_ns(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

double bench_pct_us(uint64_t *v, size_t n, double p)
{
	size_t i;

	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), cmp_u64);
	i = (size_t)(p * (double)(n - 1) + 0.5);
	return (double)v[i] / 1000.0;
}

int bench_run_ns(pid_t pid, uint64_t *ret)
{
	char path[320];
	unsigned long long run;
	struct dirent *de;
	uint64_t sum = 0;
	DIR *d;

	/* Every thread's: /proc/PID/schedstat is the main thread's alone. */
	(void)snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		(void)snprintf(path, sizeof(path), "/proc/%d/task/%s/schedstat", (int)pid,
			       de->d_name);
		f = fopen(path, "re");
		if (!f)
			continue; /* the thread is gone */
		if (fscanf(f, "%llu", &run) == 1)
			sum += run;
		fclose(f);
	}
	closedir(d);
	*ret = sum;
	return 0;
}

int bench_raise_nofile(unsigned long n)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -errno;
	if (rl.rlim_cur >= n)
		return 0;
	rl.rlim_cur = n;
	if (rl.rlim_max < n)
		rl.rlim_max = n; /* needs CAP_SYS_RESOURCE */
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -errno;
	return 0;
}

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "we");

	if (!f)
		return -errno;
	fputs(text, f);
	if (fclose(f) != 0)
		return -EIO;
	return 0;
}

/* The system bus's default policy and the project's files (tests/broker/system-policy.conf).
 * One file serves both buses: dbus-broker-launch ignores <listen> and <auth>
 * and of the limits honours max_connections_per_user and
 * max_match_rules_per_connection only, multiplying them (and the per-connection
 * bytes and fds) into per-user quotas; every connection here is one user. */
static int bench_write_config(BenchBus *b, const char *policy, unsigned max_connections)
{
	char path[128], limits[512] = "", *text = NULL;
	int r;

	if (max_connections > 0)
		(void)snprintf(limits, sizeof(limits),
			       "  <limit name=\"max_completed_connections\">%u</limit>\n"
			       "  <limit name=\"max_incomplete_connections\">%u</limit>\n"
			       "  <limit name=\"max_connections_per_user\">%u</limit>\n"
			       "  <limit name=\"max_match_rules_per_connection\">%u</limit>\n",
			       max_connections, max_connections, max_connections, max_connections);
	r = asprintf(&text,
		     "<busconfig>\n"
		     "  <type>system</type>\n"
		     "  <listen>unix:path=%s/bus</listen>\n"
		     "  <auth>EXTERNAL</auth>\n"
		     "%s"
		     "  <include>%s</include>\n"
		     "</busconfig>\n",
		     b->dir, limits, policy);
	if (r < 0)
		return -ENOMEM;
	(void)snprintf(path, sizeof(path), "%s/bus.conf", b->dir);
	r = write_file(path, text);
	free(text);
	return r;
}

static void child_setup(void)
{
	(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
}

int bench_bus_kind_from_string(const char *s, BenchBusKind *ret)
{
	if (strcmp(s, "dbus-daemon") == 0)
		*ret = BENCH_BUS_DBUS_DAEMON;
	else if (strcmp(s, "dbus-broker") == 0)
		*ret = BENCH_BUS_DBUS_BROKER;
	else
		return -EINVAL;
	return 0;
}

const char *bench_bus_kind_to_string(BenchBusKind kind)
{
	return kind == BENCH_BUS_DBUS_BROKER ? "dbus-broker" : "dbus-daemon";
}

static int bench_dbus_daemon_start(BenchBus *b)
{
	char conf[160], line[256];
	int pipefd[2];
	ssize_t n;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	(void)snprintf(conf, sizeof(conf), "--config-file=%s/bus.conf", b->dir);
	b->daemon_pid = fork();
	if (b->daemon_pid < 0)
		return -errno;
	if (b->daemon_pid == 0) {
		child_setup();
		dup2(pipefd[1], STDOUT_FILENO);
		execlp("dbus-daemon", "dbus-daemon", conf, "--nofork", "--print-address=1",
		       (char *)NULL);
		_exit(127);
	}
	close(pipefd[1]);
	/* It prints its address once it listens. */
	n = read(pipefd[0], line, sizeof(line) - 1);
	close(pipefd[0]);
	if (n <= 0) {
		fprintf(stderr, "bench: dbus-daemon did not start\n");
		return -EIO;
	}
	b->bus_pid = b->daemon_pid;
	return 0;
}

/* The listening socket systemd would create from dbus.socket. */
static int bench_listen_unix(const char *dir)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	(void)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/bus", dir);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, SOMAXCONN) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	return fd;
}

/* dbus-broker-launch logs to journald and will not start without
 * /run/systemd/journal/socket. Where there is none (no systemd here), the bench
 * receives the log itself on DIR/journal/socket; both sides are lossy, so an
 * unread socket never blocks the bus. */
static int bench_journal_open(BenchBus *b)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[96];
	int fd;

	if (access(BENCH_JOURNAL_SOCKET, F_OK) == 0)
		return 0;
	(void)snprintf(dir, sizeof(dir), "%s/journal", b->dir);
	(void)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/socket", dir);
	if (mkdir(dir, 0755) < 0)
		return -errno;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	b->journal_fd = fd;
	return 0;
}

/* In the child, when the bench holds the journal socket: a private mount
 * namespace whose /run holds only systemd/journal -> DIR/journal. Needs
 * CAP_SYS_ADMIN; the launcher and the broker use nothing else in /run with
 * this config. */
static int bench_journal_redirect(const BenchBus *b)
{
	char target[96];

	(void)snprintf(target, sizeof(target), "%s/journal", b->dir);
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("tmpfs", "/run", "tmpfs", 0, "mode=0755") < 0 ||
	    mkdir("/run/systemd", 0755) < 0 || symlink(target, "/run/systemd/journal") < 0)
		return -errno;
	return 0;
}

/* In the child: hand @fd over as systemd's socket activation does (fd 3,
 * LISTEN_FDS, LISTEN_PID) and run the launcher. The launcher also connects to
 * "the system bus" as a client; DBUS_SYSTEM_BUS_ADDRESS makes that its own
 * bus, not the host's. The bench is single-threaded here, so setenv() after
 * fork() is safe. */
static void __attribute__((noreturn)) bench_dbus_broker_exec(const BenchBus *b, int fd)
{
	char conf[160], pid[16];
	int r;

	child_setup();
	if (b->journal_fd >= 0) {
		r = bench_journal_redirect(b);
		if (r < 0) {
			fprintf(stderr, "bench: no %s, and cannot provide one: %s\n",
				BENCH_JOURNAL_SOCKET, strerror(-r));
			_exit(127);
		}
	}
	if (fd == SD_LISTEN_FDS_START)
		(void)fcntl(fd, F_SETFD, 0);
	else if (dup2(fd, SD_LISTEN_FDS_START) < 0)
		_exit(127);
	(void)snprintf(pid, sizeof(pid), "%d", (int)getpid());
	(void)snprintf(conf, sizeof(conf), "%s/bus.conf", b->dir);
	if (setenv("LISTEN_FDS", "1", 1) < 0 || setenv("LISTEN_PID", pid, 1) < 0 ||
	    setenv("DBUS_SYSTEM_BUS_ADDRESS", b->address, 1) < 0)
		_exit(127);
	(void)unsetenv("LISTEN_FDNAMES");
	execlp("dbus-broker-launch", "dbus-broker-launch", "--scope", "system", "--config-file",
	       conf, (char *)NULL);
	_exit(127);
}

/* The socket accepts connections before the broker serves them: ready is
 * when a call to the bus itself is answered. */
static int bench_bus_wait_ready(const BenchBus *b)
{
	sd_bus_message *reply = NULL;
	sd_bus *bus = NULL;
	int r = -ETIMEDOUT;

	for (int i = 0; i < BENCH_WAIT_MS / 10; i++) {
		if (waitpid(b->daemon_pid, NULL, WNOHANG) != 0)
			return -ECHILD;
		r = bench_bus_connect(b, &bus);
		if (r >= 0)
			r = sd_bus_call_method(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
					       "org.freedesktop.DBus", "GetId", NULL, &reply, "");
		sd_bus_message_unref(reply);
		reply = NULL;
		bus = sd_bus_flush_close_unref(bus);
		if (r >= 0)
			return 0;
		usleep(10000);
	}
	return r;
}

/* The broker is the launcher's child and outlives it by the time it takes to
 * drop its connections; the bench, as subreaper, inherits and waits for it,
 * so that the next run starts on a quiet bus. */
static void bench_dbus_broker_reap(void)
{
	for (int i = 0; i < BENCH_WAIT_MS / 10; i++) {
		pid_t pid = waitpid(-1, NULL, WNOHANG);

		if (pid < 0)
			return; /* ECHILD: all gone */
		if (pid == 0)
			usleep(10000);
	}
}

/* The launcher forks the broker before it serves anyone: by now it is the
 * launcher's only child. */
static int bench_dbus_broker_pid(const BenchBus *b, pid_t *ret)
{
	char path[64];
	int pid = 0;
	FILE *f;

	(void)snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)b->daemon_pid,
		       (int)b->daemon_pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	if (fscanf(f, "%d", &pid) != 1)
		pid = 0;
	fclose(f);
	if (pid <= 0)
		return -ESRCH;
	*ret = pid;
	return 0;
}

static int bench_dbus_broker_start(BenchBus *b)
{
	int fd, r;

	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		return -errno;
	r = bench_journal_open(b);
	if (r < 0)
		return r;
	fd = bench_listen_unix(b->dir);
	if (fd < 0)
		return fd;
	b->daemon_pid = fork();
	if (b->daemon_pid < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	if (b->daemon_pid == 0)
		bench_dbus_broker_exec(b, fd);
	close(fd);
	r = bench_bus_wait_ready(b);
	if (r >= 0)
		r = bench_dbus_broker_pid(b, &b->bus_pid);
	if (r < 0) {
		fprintf(stderr, "bench: dbus-broker-launch did not start: %s\n",
			r == -ECHILD ? "it exited" : strerror(-r));
		bench_bus_dump_log(b);
	}
	return r;
}

int bench_bus_start(BenchBus *b, BenchBusKind kind, unsigned max_connections)
{
	const char *policy = getenv("OOMN_BUS_POLICY");
	int r;

	memset(b, 0, sizeof(*b));
	b->kind = kind;
	b->journal_fd = -1;
	if (!policy || !*policy) {
		fprintf(stderr, "bench: set OOMN_BUS_POLICY to the project's "
				"tests/broker/system-policy.conf\n");
		return -EINVAL;
	}
	(void)snprintf(b->dir, sizeof(b->dir), "/tmp/oomn-bench-XXXXXX");
	if (!mkdtemp(b->dir))
		return -errno;
	(void)snprintf(b->address, sizeof(b->address), "unix:path=%s/bus", b->dir);
	r = bench_write_config(b, policy, max_connections);
	if (r < 0)
		return r;
	if (kind == BENCH_BUS_DBUS_BROKER)
		return bench_dbus_broker_start(b);
	return bench_dbus_daemon_start(b);
}

int bench_bus_connect(const BenchBus *b, sd_bus **ret)
{
	sd_bus *bus = NULL;
	int r;

	r = sd_bus_new(&bus);
	if (r >= 0)
		r = sd_bus_set_address(bus, b->address);
	if (r >= 0)
		r = sd_bus_set_bus_client(bus, 1);
	if (r >= 0)
		r = sd_bus_start(bus);
	if (r < 0) {
		sd_bus_unref(bus);
		return r;
	}
	*ret = bus;
	return 0;
}

static int bench_name_has_owner(sd_bus *bus, const char *name)
{
	sd_bus_message *reply = NULL;
	int has = 0, r;

	r = sd_bus_call_method(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
			       "org.freedesktop.DBus", "NameHasOwner", NULL, &reply, "s", name);
	if (r >= 0)
		r = sd_bus_message_read(reply, "b", &has);
	sd_bus_message_unref(reply);
	return r < 0 ? r : has;
}

int bench_broker_start(BenchBus *b, const char *const *args)
{
	const char *broker = getenv("OOMN_BROKER");
	const char *argv[32];
	char log[128];
	sd_bus *bus = NULL;
	size_t n = 0;
	int r;

	if (!broker || !*broker) {
		fprintf(stderr, "bench: set OOMN_BROKER to the oom-notifyd to run\n");
		return -EINVAL;
	}
	argv[n++] = broker;
	argv[n++] = "--bus-address";
	argv[n++] = b->address;
	for (size_t i = 0; args && args[i] && n < 31; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	(void)snprintf(log, sizeof(log), "%s/broker.log", b->dir);

	b->broker_pid = fork();
	if (b->broker_pid < 0)
		return -errno;
	if (b->broker_pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

		child_setup();
		if (fd >= 0)
			dup2(fd, STDERR_FILENO);
		execv(broker, (char **)argv);
		_exit(127);
	}

	r = bench_bus_connect(b, &bus);
	if (r < 0)
		return r;
	for (int i = 0; i < BENCH_WAIT_MS / 10; i++) {
		r = bench_name_has_owner(bus, BENCH_BROKER_NAME);
		if (r != 0 || waitpid(b->broker_pid, NULL, WNOHANG) != 0)
			break;
		usleep(10000);
	}
	sd_bus_flush_close_unref(bus);
	if (r <= 0) {
		fprintf(stderr, "bench: the broker did not take its name\n");
		bench_broker_dump_log(b);
		return r < 0 ? r : -ETIMEDOUT;
	}
	return 0;
}

void bench_broker_dump_log(const BenchBus *b)
{
	char path[128], buf[4096];
	size_t n;
	FILE *f;

	(void)snprintf(path, sizeof(path), "%s/broker.log", b->dir);
	f = fopen(path, "re");
	if (!f)
		return;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		fwrite(buf, 1, n, stderr);
	fclose(f);
}

/* What dbus-broker logged to the bench's journal socket: the MESSAGE fields. */
void bench_bus_dump_log(const BenchBus *b)
{
	char buf[8192];
	ssize_t n;

	if (b->journal_fd < 0)
		return;
	while ((n = recv(b->journal_fd, buf, sizeof(buf) - 1, MSG_DONTWAIT)) > 0) {
		char *m;

		buf[n] = '\0';
		m = strstr(buf, "MESSAGE=");
		if (m)
			fprintf(stderr, "%s: %.*s\n", bench_bus_kind_to_string(b->kind),
				(int)strcspn(m + 8, "\n"), m + 8);
	}
}

int bench_broker_stop(BenchBus *b)
{
	int status;

	if (b->broker_pid <= 0)
		return -1;
	(void)kill(b->broker_pid, SIGTERM);
	if (waitpid(b->broker_pid, &status, 0) != b->broker_pid)
		status = -1;
	b->broker_pid = 0;
	return status;
}

void bench_bus_stop(BenchBus *b)
{
	char cmd[128];

	(void)bench_broker_stop(b);
	if (b->daemon_pid > 0) {
		(void)kill(b->daemon_pid, SIGTERM);
		(void)waitpid(b->daemon_pid, NULL, 0);
		b->daemon_pid = 0;
		if (b->kind == BENCH_BUS_DBUS_BROKER)
			bench_dbus_broker_reap();
	}
	if (b->journal_fd >= 0) {
		close(b->journal_fd);
		b->journal_fd = -1;
	}
	if (b->dir[0]) {
		(void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", b->dir);
		(void)system(cmd);
		b->dir[0] = '\0';
	}
}
