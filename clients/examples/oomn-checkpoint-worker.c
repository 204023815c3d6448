/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * oomn-checkpoint-worker: an example of liboom-notify on an sd-event loop.
 * It works (counts, one tick at a time) on state it keeps in memory, takes
 * part in redemption as a client that can checkpoint, and when it is the
 * killer's candidate writes its state to --state FILE and says so. Started
 * again, it resumes from that file.
 *
 * Lines on stdout (line-buffered, for people and tests): "resumed from N" or
 * "starting fresh", "ready PID", "grown MIB MiB" (it holds all of --mib),
 * "pending DEADLINE_MSEC", "checkpointed N",
 * "relieved", "broker present", "broker gone", "error ...".
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <systemd/sd-event.h>
#include <time.h>
#include <unistd.h>

#include "checkpoint.h"
#include "oom-notify.h"

#define MIB ((size_t)1 << 20)

static const char usage[] =
	"Usage: oomn-checkpoint-worker --state FILE [OPTIONS]\n"
	"Works on state held in memory; checkpoints it to FILE when the oom-notify\n"
	"killer picks it, and resumes from FILE when started again.\n"
	"\n"
	"  --state FILE        the checkpoint file (read at start, written on notice)\n"
	"  --mib N             memory to hold, in MiB (default 64)\n"
	"  --step-mib N        of which N more are taken with each unit of work\n"
	"                      (default 16)\n"
	"  --band B            redemption band, 0-100 (default 50)\n"
	"  --interval-ms MS    one unit of work every MS (default 100)\n"
	"  --bus-address ADDR  the broker's bus (default: the system bus)\n"
	"  -h, --help          this text\n"
	"  -V, --version       the version\n"
	"\n"
	"Exit status: 0 done, 1 failure (bus, checkpoint file, memory), 2 usage.\n";

typedef struct {
	const char *state_path;
	const char *address;
	unsigned mib, step_mib, band, interval_ms;
} Options;

typedef struct {
	Options opt;
	sd_event *event;
	OomnClient *client;
	uint64_t count;
	unsigned char *mem;
	size_t len;	/* mapped */
	size_t touched; /* of which in use so far: it grows as it works */
} Worker;

static int parse_uint(const char *s, unsigned max, unsigned *ret)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v > max)
		return -EINVAL;
	*ret = (unsigned)v;
	return 0;
}

/* 0 to run, 1 to exit 0 (--help, --version), -EINVAL for bad usage. */
static int parse_args(int argc, char **argv, Options *o)
{
	enum { ARG_STATE = 0x100, ARG_MIB, ARG_STEP, ARG_BAND, ARG_INTERVAL, ARG_BUS };
	static const struct option options[] = {
		{ "state", required_argument, NULL, ARG_STATE },
		{ "mib", required_argument, NULL, ARG_MIB },
		{ "step-mib", required_argument, NULL, ARG_STEP },
		{ "band", required_argument, NULL, ARG_BAND },
		{ "interval-ms", required_argument, NULL, ARG_INTERVAL },
		{ "bus-address", required_argument, NULL, ARG_BUS },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{}
	};
	int c;

	*o = (Options){ .mib = 64, .step_mib = 16, .band = 50, .interval_ms = 100 };
	while ((c = getopt_long(argc, argv, "hV", options, NULL)) >= 0) {
		switch (c) {
		case 'h':
			fputs(usage, stdout);
			return 1;
		case 'V':
			printf("oomn-checkpoint-worker %s\n", OOMN_VERSION);
			return 1;
		case ARG_STATE:
			o->state_path = optarg;
			break;
		case ARG_MIB:
			if (parse_uint(optarg, 1 << 20, &o->mib) < 0)
				return -EINVAL;
			break;
		case ARG_STEP:
			if (parse_uint(optarg, 1 << 20, &o->step_mib) < 0 || o->step_mib == 0)
				return -EINVAL;
			break;
		case ARG_BAND:
			if (parse_uint(optarg, 100, &o->band) < 0)
				return -EINVAL;
			break;
		case ARG_INTERVAL:
			if (parse_uint(optarg, 3600000, &o->interval_ms) < 0 || o->interval_ms == 0)
				return -EINVAL;
			break;
		case ARG_BUS:
			o->address = optarg;
			break;
		default:
			return -EINVAL;
		}
	}
	if (optind < argc || !o->state_path)
		return -EINVAL;
	return 0;
}

/*
 * The work: each tick takes --step-mib more of its memory (every page
 * written: a page only read would be the shared zero page) until it has
 * --mib, and writes the count into one page of what it has.
 */
static int on_tick(sd_event_source *s, uint64_t usec, void *userdata)
{
	Worker *w = userdata;
	size_t end = w->touched + (size_t)w->opt.step_mib * MIB;

	w->count++;
	if (w->touched < w->len) {
		for (; w->touched < w->len && w->touched < end; w->touched += 4096)
			w->mem[w->touched] = 1;
		if (w->touched >= w->len)
			printf("grown %u MiB\n", w->opt.mib);
	}
	if (w->touched)
		w->mem[(w->count * 4096) % w->touched] = (unsigned char)(w->count | 1);
	/* The next one an interval from now, not from when this one was due: after a
	 * stall it does not catch up, so its growth never comes as a burst, which the
	 * killer would take for a hog and give no time to checkpoint. */
	(void)sd_event_now(w->event, CLOCK_MONOTONIC, &usec);
	return sd_event_source_set_time(s, usec + (uint64_t)w->opt.interval_ms * 1000);
}

static void on_kill_pending(OomnClient *c, uint32_t msec, uint64_t deadline, const char *reason,
			    void *userdata)
{
	Worker *w = userdata;
	int r;

	printf("pending %" PRIu32 "\n", msec);
	r = checkpoint_save(w->opt.state_path, w->count);
	if (r < 0) {
		/* nothing saved: say nothing, the killer goes by its deadline */
		printf("error checkpoint %s: %s\n", w->opt.state_path, strerror(-r));
		return;
	}
	printf("checkpointed %" PRIu64 "\n", w->count);
	/* no memory freed, but a kill now loses nothing */
	r = oomn_client_relieved(c, 0, true);
	if (r < 0)
		printf("error Relieved: %s\n", oomn_client_get_error_message(c));
	else
		printf("relieved\n");
}

static void on_broker(OomnClient *c, bool present, void *userdata)
{
	printf("broker %s\n", present ? "present" : "gone");
}

/* Maps its memory; the ticks take it into use. */
static int map_memory(Worker *w)
{
	w->len = (size_t)w->opt.mib * MIB;
	if (!w->len)
		return 0;
	w->mem = mmap(NULL, w->len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (w->mem == MAP_FAILED) {
		w->mem = NULL;
		w->len = 0;
		return -errno;
	}
	return 0;
}

static int run(Worker *w)
{
	sd_event_source *tick = NULL;
	uint64_t now;
	int r;

	r = checkpoint_load(w->opt.state_path, &w->count);
	if (r < 0) {
		fprintf(stderr, "oomn-checkpoint-worker: %s: %s\n", w->opt.state_path,
			r == -EBADMSG ? "not a checkpoint of ours (remove it to start fresh)"
				      : strerror(-r));
		return r;
	}
	if (r > 0)
		printf("resumed from %" PRIu64 "\n", w->count);
	else
		printf("starting fresh\n");

	r = sd_event_default(&w->event);
	if (r < 0)
		return r;
	r = oomn_client_new(&w->client, w->opt.address);
	if (r < 0) {
		fprintf(stderr, "oomn-checkpoint-worker: cannot connect to the bus: %s\n",
			strerror(-r));
		return r;
	}
	oomn_client_on_kill_pending(w->client, on_kill_pending, w);
	oomn_client_on_broker(w->client, on_broker, w);
	r = oomn_client_attach_event(w->client, w->event, SD_EVENT_PRIORITY_NORMAL);
	if (r < 0)
		return r;
	/* registered before it grows: it can be told from the first MiB on */
	r = oomn_client_register(w->client, w->opt.band, OOMN_CLIENT_CAN_CHECKPOINT, NULL);
	if (r == -ENOTCONN)
		printf("broker gone\n"); /* registered as soon as it starts */
	else if (r < 0) {
		fprintf(stderr, "oomn-checkpoint-worker: Register: %s\n",
			oomn_client_get_error_message(w->client));
		return r;
	}
	r = map_memory(w);
	if (r < 0) {
		fprintf(stderr, "oomn-checkpoint-worker: %u MiB: %s\n", w->opt.mib, strerror(-r));
		return r;
	}
	printf("ready %d\n", (int)getpid());

	(void)sd_event_now(w->event, CLOCK_MONOTONIC, &now);
	/* accuracy 1 ms, not sd-event's default 250 ms: the interval is the pace of its work
	 * (and of its growth), which would otherwise be anything up to 250 ms slower */
	r = sd_event_add_time(w->event, &tick, CLOCK_MONOTONIC,
			      now + (uint64_t)w->opt.interval_ms * 1000, 1000, on_tick, w);
	if (r < 0)
		return r;
	(void)sd_event_source_set_enabled(tick, SD_EVENT_ON);
	r = sd_event_loop(w->event);
	sd_event_source_unref(tick);
	return r;
}

int main(int argc, char **argv)
{
	Worker w = {};
	int r;

	setvbuf(stdout, NULL, _IOLBF, 0);
	r = parse_args(argc, argv, &w.opt);
	if (r > 0)
		return 0;
	if (r < 0) {
		fputs(usage, stderr);
		return 2;
	}
	r = run(&w);
	oomn_client_unref(w.client);
	sd_event_unref(w.event);
	if (w.mem)
		munmap(w.mem, w.len);
	return r < 0 ? 1 : 0;
}
