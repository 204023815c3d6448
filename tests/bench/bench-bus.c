/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench-bus.h"

#define BENCH_WAIT_MS 20000

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

/* The system bus's default policy and the project's files (tests/bus/system-policy.conf). */
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

int bench_bus_start(BenchBus *b, unsigned max_connections)
{
	const char *policy = getenv("OOMN_BUS_POLICY");
	char conf[160], line[256];
	int pipefd[2], r;
	ssize_t n;

	memset(b, 0, sizeof(*b));
	if (!policy || !*policy) {
		fprintf(stderr, "bench: set OOMN_BUS_POLICY to the project's tests/bus/system-policy.conf\n");
		return -EINVAL;
	}
	(void)snprintf(b->dir, sizeof(b->dir), "/tmp/oomn-bench-XXXXXX");
	if (!mkdtemp(b->dir))
		return -errno;
	(void)snprintf(b->address, sizeof(b->address), "unix:path=%s/bus", b->dir);
	r = bench_write_config(b, policy, max_connections);
	if (r < 0)
		return r;

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
	return 0;
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
	}
	if (b->dir[0]) {
		(void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", b->dir);
		(void)system(cmd);
		b->dir[0] = '\0';
	}
}
