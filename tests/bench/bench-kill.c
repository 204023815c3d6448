/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * bench-kill: how fast oom-killerd ends a runaway process, on a real kernel.
 *
 * In the VM bed (root, the module loaded, no swap) it starts oom-killerd
 * ($OOMN_KILLERD: --no-bus --source kernel --realtime, deadline 0, grace 0,
 * no rules) and, --runs times, a hog ($OOMN_HOG --ignore-term, 4 MiB steps,
 * no delay) that would stop at 5 % of MemTotal available: the killer meets
 * it at critical (< 10 %). A sampler thread reads MemAvailable and the hog's
 * resident size from /proc every 0.5 ms. From the killer's kill line and the
 * samples, per run:
 *   kill: critical event (event_ns) -> SIGKILL sent (sigkill_ns);
 *   back: critical event -> MemAvailable has risen by >= 90 % of the
 *         victim's last sampled RSS above its value at the SIGKILL.
 * All of it twice: with process_mrelease and with --no-mrelease. Prints
 * each run, then p50 and p99 (nearest rank) per mode. Exits 1 if a run
 * failed (no kill, memory not back, or the kernel's OOM killer ran).
 *
 * Run (meson: `meson test -C build --benchmark kill-<kver>`), or by hand:
 *   tests/vm/run-vm.sh --kernel 6.12 \
 *     --module build/kernel/oom_notify-6.12.<ver>.ko \
 *     --env OOMN_KILLERD=$PWD/build/killer/oom-killerd \
 *     --env OOMN_HOG=$PWD/build/tests/tools/oomn-hog \
 *     -- build/tests/bench/bench-kill --runs 10
 */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <inttypes.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../kernel/vm-helpers.h"

#define NS	      1000000000ULL
#define SAMPLE_US     500
#define MAX_SAMPLES   (1 << 20)
#define WAIT_MS	      120000
#define BACK_FRACTION 0.9

typedef struct {
	guint64 t_ns;
	gint64 avail_kb;
	gint64 rss_kb; /* -1 once the hog's statm is gone */
} Sample;

typedef struct {
	GThread *thread;
	atomic_bool stop;
	atomic_int pid; /* the hog to follow, 0: none */
	Sample *samples;
	atomic_size_t n;
} Sampler;

static guint64 boottime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (guint64)ts.tv_sec * NS + (guint64)ts.tv_nsec;
}

/* One read() each: these files are small, and the sampler must be cheap. */
static gint64 read_kb_field(int dirfd, const char *path, const char *key)
{
	char buf[4096];
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	ssize_t n;
	const char *p;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	if (!key) { /* statm: "size resident ...", in pages */
		gint64 pages;

		if (sscanf(buf, "%*s %" SCNd64, &pages) != 1)
			return -1;
		return pages * (sysconf(_SC_PAGESIZE) / 1024);
	}
	p = strstr(buf, key);
	return p ? g_ascii_strtoll(p + strlen(key), NULL, 10) : -1;
}

static gpointer sampler_run(gpointer data)
{
	Sampler *s = data;

	while (!atomic_load(&s->stop)) {
		size_t n = atomic_load(&s->n);
		int pid = atomic_load(&s->pid);
		char statm[32];

		if (n < MAX_SAMPLES) {
			Sample *x = &s->samples[n];

			x->avail_kb = read_kb_field(AT_FDCWD, "/proc/meminfo", "MemAvailable:");
			x->rss_kb = -1;
			if (pid > 0) {
				g_snprintf(statm, sizeof(statm), "/proc/%d/statm", pid);
				x->rss_kb = read_kb_field(AT_FDCWD, statm, NULL);
			}
			x->t_ns = boottime_ns();
			atomic_store(&s->n, n + 1);
		}
		g_usleep(SAMPLE_US);
	}
	return NULL;
}

typedef struct {
	guint64 kill_ns, back_ns, exit_ns;
	gint64 rss_kb;
	char mrelease[16];
} Run;

static int compare_u64(const void *a, const void *b)
{
	guint64 x = *(const guint64 *)a, y = *(const guint64 *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of @n values (sorted in place). */
static guint64 percentile(guint64 *v, guint n, guint pct)
{
	guint rank = (pct * n + 99) / 100;

	qsort(v, n, sizeof(*v), compare_u64);
	return v[rank ? rank - 1 : 0];
}

typedef struct {
	GPid pid;
	int err; /* its stderr */
} Killer;

static void die_with_parent(gpointer data)
{
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
}

static gboolean killer_start(Killer *k, const char *rules, gboolean mrelease)
{
	char *argv[] = { (char *)g_getenv("OOMN_KILLERD"),
			 "--rules",
			 (char *)rules,
			 "--rules-dir",
			 "/nonexistent",
			 "--no-bus",
			 "--source",
			 "kernel",
			 "--realtime",
			 "--deadline",
			 "0s",
			 "--grace",
			 "0s",
			 mrelease ? NULL : "--no-mrelease",
			 NULL };
	GError *error = NULL;

	if (!g_spawn_async_with_pipes(NULL, argv, NULL,
				      G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL,
				      die_with_parent, NULL, &k->pid, NULL, NULL, &k->err, &error)) {
		fprintf(stderr, "bench-kill: %s: %s\n", argv[0], error->message);
		g_error_free(error);
		return FALSE;
	}
	for (;;) {
		g_autofree char *line = vm_read_line(k->err, WAIT_MS);

		if (!line) {
			fprintf(stderr, "bench-kill: oom-killerd never said it was ready\n");
			return FALSE;
		}
		if (g_str_has_prefix(line, "oom-killerd ready")) {
			printf("# %s\n", line);
			return TRUE;
		}
	}
}

static void killer_stop(Killer *k)
{
	int status;

	(void)kill(k->pid, SIGTERM);
	/* drain its stderr, so that it is never stuck writing */
	for (;;) {
		g_autofree char *line = vm_read_line(k->err, 100);

		if (!line && waitpid(k->pid, &status, WNOHANG) == k->pid)
			break;
	}
	close(k->err);
}

/* The kill line of the next kill; other lines of the killer's log are kept
 * (the last few) and shown only if no kill line comes, to tell why. */
#define KEEP_LINES 24
static gboolean wait_kill(Killer *k, VmKillLine *ret)
{
	char *kept[KEEP_LINES] = { NULL };
	unsigned n = 0;
	gboolean ok = FALSE;

	for (;;) {
		char *line = vm_read_line(k->err, WAIT_MS);

		if (!line) {
			fprintf(stderr, "bench-kill: no kill line within %u s; oom-killerd said last:\n",
				WAIT_MS / 1000);
			for (unsigned i = n > KEEP_LINES ? n - KEEP_LINES : 0; i < n; i++)
				fprintf(stderr, "  %s\n", kept[i % KEEP_LINES]);
			break;
		}
		if (g_str_has_prefix(line, VM_KILL_LINE_PREFIX)) {
			printf("# %s\n", line);
			ok = vm_kill_line_parse(line, ret);
			g_free(line);
			break;
		}
		g_free(kept[n % KEEP_LINES]);
		kept[n++ % KEEP_LINES] = line;
	}
	for (unsigned i = 0; i < KEEP_LINES; i++)
		g_free(kept[i]);
	return ok;
}

static GPid hog_run(guint64 mib)
{
	g_autofree char *max = g_strdup_printf("%" G_GUINT64_FORMAT, mib);
	char *argv[] = { (char *)g_getenv("OOMN_HOG"), "--max", max, "--step", "4",
			 "--ignore-term", "--hold", NULL };

	return vm_spawn(argv, NULL, NULL, NULL, NULL);
}

/* MemAvailable before the first run, in MiB: what settle() waits to see again. */
static guint64 baseline_mib;

/*
 * Waits until memory is back where it was before the first run (within 3 %
 * of RAM), so that runs do not overlap and each hog, sized from MemAvailable
 * at its start, really takes the level to critical.
 */
static void settle(void)
{
	guint64 total, avail;

	for (guint i = 0; i < 6000; i++) {
		vm_meminfo_mib(&total, &avail);
		if (avail + total * 3 / 100 >= baseline_mib)
			break;
		g_usleep(10000);
	}
	/* the killer's episode ends 1 s after its victim is gone */
	g_usleep(1500000);
}

static gboolean one_run(Killer *k, Sampler *s, Run *r)
{
	g_auto(VmKillLine) kl = { 0 };
	guint64 total, avail;
	size_t from, n, i;
	gint64 avail_kill = -1, rss = -1;
	GPid hog;
	int status;

	vm_meminfo_mib(&total, &avail);
	from = atomic_load(&s->n);
	hog = hog_run(avail - total * 5 / 100);
	atomic_store(&s->pid, hog);
	if (!wait_kill(k, &kl)) {
		(void)kill(hog, SIGKILL);
		(void)waitpid(hog, &status, 0);
		return FALSE;
	}
	(void)waitpid(hog, &status, 0);
	atomic_store(&s->pid, 0);
	if (kl.pid != hog || kl.sigkill_ns == 0 || !WIFSIGNALED(status) ||
	    WTERMSIG(status) != SIGKILL) {
		fprintf(stderr, "bench-kill: killed pid %d (hog %d), sigkill_ns %" G_GUINT64_FORMAT
				", wait status 0x%x\n",
			kl.pid, (int)hog, kl.sigkill_ns, status);
		return FALSE;
	}
	/* let the sampler see the memory come back */
	settle();
	n = atomic_load(&s->n);
	for (i = from; i < n && s->samples[i].t_ns <= kl.sigkill_ns; i++) {
		if (s->samples[i].rss_kb > 0)
			rss = s->samples[i].rss_kb;
		avail_kill = s->samples[i].avail_kb;
	}
	if (rss <= 0 || avail_kill < 0) {
		fprintf(stderr, "bench-kill: no sample before the SIGKILL\n");
		return FALSE;
	}
	for (; i < n; i++) {
		if (s->samples[i].avail_kb >= avail_kill + (gint64)(BACK_FRACTION * rss))
			break;
	}
	if (i == n) {
		fprintf(stderr, "bench-kill: memory never came back\n");
		return FALSE;
	}
	r->kill_ns = kl.sigkill_ns - kl.event_ns;
	r->back_ns = s->samples[i].t_ns - kl.event_ns;
	r->exit_ns = kl.exit_ns ? kl.exit_ns - kl.event_ns : 0;
	r->rss_kb = rss;
	g_strlcpy(r->mrelease, kl.mrelease, sizeof(r->mrelease));
	return TRUE;
}

static gboolean bench_mode(const char *rules, gboolean mrelease, guint runs, Sampler *s)
{
	const char *mode = mrelease ? "process_mrelease" : "no-mrelease";
	g_autofree guint64 *kill_us = g_new0(guint64, runs);
	g_autofree guint64 *back_us = g_new0(guint64, runs);
	Killer k;
	guint ok = 0;

	if (!killer_start(&k, rules, mrelease))
		return FALSE;
	if (baseline_mib == 0) {
		guint64 total;

		vm_meminfo_mib(&total, &baseline_mib);
	}
	for (guint i = 0; i < runs; i++) {
		Run r = { 0 };

		if (!one_run(&k, s, &r))
			break;
		printf("# %s run %u: victim %" G_GINT64_FORMAT
		       " MiB, event->SIGKILL %.3f ms, event->exit %.3f ms, "
		       "event->memory back %.3f ms, mrelease=%s\n",
		       mode, i + 1, r.rss_kb / 1024, r.kill_ns / 1e6, r.exit_ns / 1e6,
		       r.back_ns / 1e6, r.mrelease);
		kill_us[ok] = r.kill_ns / 1000;
		back_us[ok] = r.back_ns / 1000;
		ok++;
	}
	killer_stop(&k);
	if (ok < runs) {
		fprintf(stderr, "bench-kill: %s: %u of %u runs done\n", mode, ok, runs);
		return FALSE;
	}
	printf("%s: %u runs: event->SIGKILL p50 %.3f ms p99 %.3f ms; "
	       "event->memory back (90%% of RSS) p50 %.3f ms p99 %.3f ms\n",
	       mode, runs, percentile(kill_us, runs, 50) / 1e3, percentile(kill_us, runs, 99) / 1e3,
	       percentile(back_us, runs, 50) / 1e3, percentile(back_us, runs, 99) / 1e3);
	return TRUE;
}

int main(int argc, char **argv)
{
	gint runs = 10;
	GOptionEntry entries[] = { { "runs", 0, 0, G_OPTION_ARG_INT, &runs,
				     "kills per mode (default 10)", "N" },
				   { NULL } };
	g_autoptr(GOptionContext) ctx = g_option_context_new("- oom-killerd's kill path, timed");
	g_autoptr(GError) error = NULL;
	g_autofree char *dir = NULL, *rules = NULL, *oom = NULL;
	Sampler s = { 0 };
	gboolean ok;
	int kmsg;

	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &error) || runs < 1) {
		fprintf(stderr, "bench-kill: %s\n", error ? error->message : "--runs must be >= 1");
		return 2;
	}
	if (!g_getenv("OOMN_VM") || geteuid() != 0 || !g_getenv("OOMN_KILLERD") ||
	    !g_getenv("OOMN_HOG")) {
		fprintf(stderr, "bench-kill: needs the VM bed as root, $OOMN_KILLERD and "
				"$OOMN_HOG (see the header of bench-kill.c)\n");
		return 77;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	dir = g_dir_make_tmp("bench-kill-XXXXXX", &error);
	g_assert_no_error(error);
	rules = g_build_filename(dir, "rules.yaml", NULL);
	g_file_set_contents(rules, "rules:\n", -1, &error);
	g_assert_no_error(error);

	kmsg = vm_kmsg_open();
	s.samples = g_new0(Sample, MAX_SAMPLES);
	s.thread = g_thread_new("sampler", sampler_run, &s);
	ok = bench_mode(rules, TRUE, (guint)runs, &s) && bench_mode(rules, FALSE, (guint)runs, &s);
	atomic_store(&s.stop, true);
	g_thread_join(s.thread);
	g_free(s.samples);

	oom = vm_kmsg_find(kmsg, "invoked oom-killer");
	if (oom) {
		fprintf(stderr, "bench-kill: the kernel's OOM killer ran: %s\n", oom);
		ok = FALSE;
	}
	(void)g_unlink(rules);
	(void)g_rmdir(dir);
	return ok ? 0 : 1;
}
