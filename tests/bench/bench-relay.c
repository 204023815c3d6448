/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * bench-relay: the broker's relay time, kernel event received -> PressureChanged
 * delivered to a subscriber, on the real module in the VM.
 *
 * The bench starts a private dbus-daemon and the real oom-notifyd (--source
 * kernel), then listens twice: to the module's `pressure` multicast group
 * itself (a libnl thread, like the broker's own socket) and to the broker's
 * PressureChanged (an sd-bus thread). Each thread stamps what it receives with
 * CLOCK_BOOTTIME the moment its blocking read returns. The module multicasts
 * each level change once to both sockets, so the netlink receipt is the moment
 * the broker got the same datagram (± scheduling noise of two readers on two
 * vCPUs). Events are paired by the kernel's own timestamp, which the broker
 * passes on as PressureChanged's timestamp_ns; relay = D-Bus receipt -
 * netlink receipt. Pressure is stepped by this process: it touches anonymous
 * memory 64 KiB at a time until the module reports critical, frees it all and
 * waits for normal; each cycle gives three rising and three falling changes.
 *
 *   tests/vm/run-vm.sh --kernel 6.12 --module build/kernel/oom_notify-6.12.117+deb12-amd64.ko \
 *     --env OOMN_BROKER=$PWD/build/broker/src/oom-notifyd --env OOMN_BUS_POLICY=$PWD/tests/broker/system-policy.conf \
 *     -- build/tests/bench/bench-relay --cycles 10
 *   (or: meson test -C build --benchmark relay-6.12.117+deb12-amd64; likewise for 6.1)
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bench-bus.h"
#include "oomn-genl.h"
#include "oomn-meminfo.h"

#define CHUNK	   (64 * 1024)
#define MAX_EVENTS 1024
#define WAIT_MS	   60000

struct stamp {
	uint64_t kernel_ns; /* the event's own timestamp: the pairing key */
	uint64_t recv_ns;
	int level;
};

static struct stamp nl[MAX_EVENTS], bus[MAX_EVENTS];
static atomic_uint n_nl, n_bus;
static atomic_int nl_level, bus_level;
static atomic_int stop;

static void on_kernel_pressure(const struct oomn_pressure_event *ev, void *userdata)
{
	uint64_t now = bench_now_ns();
	unsigned i = atomic_load(&n_nl);

	if (i < MAX_EVENTS) {
		nl[i] = (struct stamp){ ev->timestamp_ns, now, ev->level };
		atomic_store(&n_nl, i + 1);
	}
	atomic_store(&nl_level, ev->level);
}

static void *netlink_main(void *arg)
{
	OomnGenl *g = arg;

	while (!atomic_load(&stop)) {
		struct pollfd p = { .fd = oomn_genl_event_fd(g), .events = POLLIN };

		if (poll(&p, 1, 100) > 0 && oomn_genl_dispatch(g) < 0)
			fprintf(stderr, "bench-relay: netlink dispatch failed\n");
	}
	return NULL;
}

static int level_from_string(const char *s)
{
	static const char *const names[] = { "normal", "low", "medium", "critical" };

	for (int i = 0; i < 4; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

static int on_bus_pressure(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	uint64_t now = bench_now_ns();
	const char *level, *prev, *source;
	uint64_t seq, avail, total, sfree, stotal, ts;
	unsigned i = atomic_load(&n_bus);

	if (sd_bus_message_read(msg, "sstttttst", &level, &prev, &seq, &total, &avail, &stotal,
				&sfree, &source, &ts) < 0)
		return 0;
	if (i < MAX_EVENTS) {
		bus[i] = (struct stamp){ ts, now, level_from_string(level) };
		atomic_store(&n_bus, i + 1);
	}
	atomic_store(&bus_level, level_from_string(level));
	return 0;
}

static void *bus_main(void *arg)
{
	sd_bus *b = arg;

	while (!atomic_load(&stop)) {
		int r = sd_bus_process(b, NULL);

		if (r < 0) {
			fprintf(stderr, "bench-relay: bus: %s\n", strerror(-r));
			break;
		}
		if (r == 0)
			(void)sd_bus_wait(b, 100000);
	}
	return NULL;
}

static int read_avail(int fd, uint64_t *avail)
{
	char buf[8192];
	struct oomn_meminfo mi;
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return -EIO;
	buf[n] = 0;
	if (oomn_meminfo_parse(buf, &mi) < 0)
		return -EBADMSG;
	*avail = mi.mem_available;
	return 0;
}

static bool wait_levels(int level, unsigned ms)
{
	for (unsigned i = 0; i < ms; i++) {
		if (atomic_load(&nl_level) == level && atomic_load(&bus_level) == level)
			return true;
		usleep(1000);
	}
	return false;
}

/* One cycle: normal -> critical by touching memory, then free -> normal. */
static int pressure_cycle(int meminfo_fd, uint64_t mem_total)
{
	size_t cap = mem_total, len = 0;
	uint64_t avail;
	char *p;

	p = mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1,
		 0);
	if (p == MAP_FAILED)
		return -errno;
	while (len + CHUNK <= cap && atomic_load(&nl_level) != OOM_NOTIFY_LEVEL_CRITICAL) {
		for (size_t off = 0; off < CHUNK; off += 4096)
			p[len + off] = 1;
		len += CHUNK;
		/* never drive the VM into the kernel's OOM killer */
		if (len % (1024 * 1024) == 0 &&
		    (read_avail(meminfo_fd, &avail) < 0 || avail < mem_total / 25))
			break;
	}
	/* let the broker's copy of the last change arrive before freeing */
	(void)wait_levels(OOM_NOTIFY_LEVEL_CRITICAL, 2000);
	munmap(p, cap);
	return wait_levels(OOM_NOTIFY_LEVEL_NORMAL, WAIT_MS) ? 0 : -ETIMEDOUT;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = { { "cycles", required_argument, NULL, 'c' },
					      { "json", no_argument, NULL, 'j' },
					      { "help", no_argument, NULL, 'h' },
					      {} };
	static const char *const broker_args[] = { "--source", "kernel", "--oom-score-adj", "keep",
						   NULL };
	static const struct oomn_genl_handlers h = { .on_pressure = on_kernel_pressure };
	int cycles = 10, json = 0, c, r, fd, ret = 1;
	uint64_t relay[MAX_EVENTS], up[MAX_EVENTS];
	unsigned n = 0, n_up = 0, unmatched = 0, early = 0;
	pthread_t th_nl, th_bus;
	struct oomn_state st;
	OomnGenl *g = NULL;
	sd_bus *b = NULL;
	BenchBus bb;

	while ((c = getopt_long(argc, argv, "c:jh", opts, NULL)) >= 0) {
		switch (c) {
		case 'c':
			cycles = atoi(optarg);
			break;
		case 'j':
			json = 1;
			break;
		case 'h':
			printf("Usage: bench-relay [--cycles N] [--json]\n"
			       "In the VM with the module; needs OOMN_BROKER and OOMN_BUS_POLICY.\n");
			return 0;
		default:
			return 2;
		}
	}
	if (cycles < 1 || cycles > MAX_EVENTS / 8)
		return 2;

	fd = open("/proc/meminfo", O_RDONLY | O_CLOEXEC);
	r = oomn_genl_new(&g);
	if (fd < 0 || r < 0) {
		fprintf(stderr, "bench-relay: no oom_notify module: %s\n", strerror(-r));
		return 69;
	}
	oomn_genl_set_handlers(g, &h, NULL);
	if (oomn_genl_subscribe(g, OOMN_GROUP_PRESSURE) < 0 || oomn_genl_get_state(g, &st) < 0)
		return 1;
	if (st.level != OOM_NOTIFY_LEVEL_NORMAL) {
		fprintf(stderr, "bench-relay: the level is %d, not normal, at the start\n",
			st.level);
		return 1;
	}
	atomic_store(&nl_level, st.level);
	atomic_store(&bus_level, st.level);

	if (bench_bus_start(&bb, BENCH_BUS_DBUS_DAEMON, 0) < 0)
		return 1;
	if (bench_broker_start(&bb, broker_args) < 0)
		goto out;
	r = bench_bus_connect(&bb, &b);
	if (r >= 0)
		r = sd_bus_match_signal(b, NULL, BENCH_BROKER_NAME, BENCH_BROKER_PATH,
					BENCH_BROKER_IFACE, "PressureChanged", on_bus_pressure,
					NULL);
	if (r < 0) {
		fprintf(stderr, "bench-relay: subscribing on the bus: %s\n", strerror(-r));
		goto out;
	}
	pthread_create(&th_nl, NULL, netlink_main, g);
	pthread_create(&th_bus, NULL, bus_main, b);

	for (int i = 0; i < cycles; i++) {
		r = pressure_cycle(fd, st.mem_total);
		if (r < 0) {
			fprintf(stderr, "bench-relay: cycle %d: %s\n", i, strerror(-r));
			break;
		}
	}
	usleep(200000);
	atomic_store(&stop, 1);
	pthread_join(th_nl, NULL);
	pthread_join(th_bus, NULL);

	for (unsigned i = 0; i < atomic_load(&n_nl); i++) {
		int prev = i > 0 ? nl[i - 1].level : (int)st.level;
		unsigned j;

		for (j = 0; j < atomic_load(&n_bus); j++)
			if (bus[j].kernel_ns == nl[i].kernel_ns && bus[j].level == nl[i].level)
				break;
		if (j == atomic_load(&n_bus)) {
			unmatched++;
			continue;
		}
		/* The bus copy first: our netlink reader was scheduled late. Counted, as 0. */
		if (bus[j].recv_ns < nl[i].recv_ns)
			early++;
		relay[n++] = bus[j].recv_ns > nl[i].recv_ns ? bus[j].recv_ns - nl[i].recv_ns : 0;
		/* rising changes come one by one; falling ones in a burst after the free */
		if (nl[i].level > prev)
			up[n_up++] = relay[n - 1];
	}
	if (n == 0) {
		fprintf(stderr,
			"bench-relay: no event paired (%u from the kernel, %u on the bus)\n",
			atomic_load(&n_nl), atomic_load(&n_bus));
		bench_broker_dump_log(&bb);
		goto out;
	}
	{
		double p50 = bench_pct_us(relay, n, 0.5), p99 = bench_pct_us(relay, n, 0.99),
		       max = bench_pct_us(relay, n, 1.0), min = bench_pct_us(relay, n, 0.0);
		double u50 = bench_pct_us(up, n_up, 0.5), u99 = bench_pct_us(up, n_up, 0.99);

		printf(json ? "{\"kernel\":\"%s\",\"events\":%u,\"unmatched\":%u,"
			      "\"relay_us\":{\"min\":%.0f,\"p50\":%.0f,\"p99\":%.0f,\"max\":%.0f},"
			      "\"rising\":%u,\"rising_relay_us\":{\"p50\":%.0f,\"p99\":%.0f},"
			      "\"bus_first\":%u}\n"
			    : "kernel %s: %u events paired, %u unpaired\n"
			      "netlink receipt -> PressureChanged receipt: min %.0f us, p50 %.0f "
			      "us, "
			      "p99 %.0f us, max %.0f us\n"
			      "rising changes only (%u): p50 %.0f us, p99 %.0f us\n"
			      "bus copy seen before the netlink one (counted as 0): %u\n",
		       getenv("OOMN_VM_KERNEL") ? getenv("OOMN_VM_KERNEL") : "?", n, unmatched, min,
		       p50, p99, max, n_up, u50, u99, early);
	}
	ret = unmatched == 0 ? 0 : 1;
out:
	sd_bus_flush_close_unref(b);
	bench_bus_stop(&bb);
	oomn_genl_free(g);
	return ret;
}
