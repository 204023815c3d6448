/* SPDX-License-Identifier: GPL-2.0-only */
#include <inttypes.h>
#include <time.h>

#include "format.h"

#define MIB (1024.0 * 1024.0)

void format_json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* Wall-clock time of the line, for people; events carry CLOCK_BOOTTIME. */
static void print_now(FILE *f)
{
	struct timespec ts;
	struct tm tm;
	char buf[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	strftime(buf, sizeof(buf), "%H:%M:%S", &tm);
	fprintf(f, "%s.%03ld", buf, ts.tv_nsec / 1000000);
}

static void print_thresholds_json(FILE *f, const struct oom_notify_thresholds *t)
{
	fprintf(f,
		"{\"mem_low\":%u,\"mem_medium\":%u,\"mem_critical\":%u,"
		"\"swap_low\":%u,\"swap_medium\":%u,\"swap_critical\":%u,\"hysteresis\":%u}",
		t->mem[OOM_NOTIFY_LEVEL_LOW], t->mem[OOM_NOTIFY_LEVEL_MEDIUM],
		t->mem[OOM_NOTIFY_LEVEL_CRITICAL], t->swap[OOM_NOTIFY_LEVEL_LOW],
		t->swap[OOM_NOTIFY_LEVEL_MEDIUM], t->swap[OOM_NOTIFY_LEVEL_CRITICAL],
		t->hysteresis);
}

void format_pressure(FILE *f, const struct format_opts *o, const struct oomn_pressure_event *ev)
{
	if (o->json) {
		fprintf(f,
			"{\"event\":\"pressure\",\"seq\":%" PRIu64 ",\"level\":\"%s\",\"prev_level\":\"%s\","
			"\"cause\":\"%s\",\"timestamp_ns\":%" PRIu64 ",\"mem_total\":%" PRIu64
			",\"mem_available\":%" PRIu64 ",\"swap_total\":%" PRIu64 ",\"swap_free\":%" PRIu64 "}\n",
			ev->seq, oomn_level_to_string(ev->level), oomn_level_to_string(ev->prev_level),
			oomn_cause_to_string(ev->cause), ev->timestamp_ns, ev->mem_total,
			ev->mem_available, o->swap_total, ev->swap_free);
		return;
	}
	print_now(f);
	fprintf(f, "  %-8s (was %s)  available %.0f/%.0f MiB (%.1f%%)  swap free %.0f/%.0f MiB  %s  seq %" PRIu64 "\n",
		oomn_level_to_string(ev->level), oomn_level_to_string(ev->prev_level),
		ev->mem_available / MIB, ev->mem_total / MIB,
		ev->mem_total ? 100.0 * ev->mem_available / ev->mem_total : 0.0,
		ev->swap_free / MIB, o->swap_total / MIB, oomn_cause_to_string(ev->cause), ev->seq);
}

void format_oom(FILE *f, const struct format_opts *o, const struct oomn_oom_event *ev)
{
	if (o->json) {
		fprintf(f, "{\"event\":\"oom-kill\",\"oom_seq\":%" PRIu64 ",\"timestamp_ns\":%" PRIu64
			",\"level\":\"%s\",\"pid\":%u,\"tid\":%u,\"comm\":",
			ev->oom_seq, ev->timestamp_ns, oomn_level_to_string(ev->level), ev->pid, ev->tid);
		format_json_string(f, ev->comm);
		fprintf(f, ",\"uid\":%u,\"oom_score_adj\":%d,\"total_vm\":%" PRIu64 ",\"anon_rss\":%" PRIu64
			",\"file_rss\":%" PRIu64 ",\"shmem_rss\":%" PRIu64 ",\"pgtables\":%" PRIu64
			",\"cgroup_id\":%" PRIu64 ",\"cgroup\":",
			ev->uid, ev->oom_score_adj, ev->total_vm, ev->anon_rss, ev->file_rss,
			ev->shmem_rss, ev->pgtables, ev->cgroup_id);
		format_json_string(f, ev->cgroup);
		fprintf(f, ",\"lost\":%u}\n", ev->lost);
		return;
	}
	print_now(f);
	fprintf(f, "  KERNEL OOM KILL  pid %u (%s) uid %u  anon %.1f MiB file %.1f MiB shmem %.1f MiB  oom_score_adj %d  cgroup %s  oom seq %" PRIu64 "\n",
		ev->pid, ev->comm, ev->uid, ev->anon_rss / MIB, ev->file_rss / MIB,
		ev->shmem_rss / MIB, ev->oom_score_adj, ev->cgroup[0] ? ev->cgroup : "?", ev->oom_seq);
	if (ev->lost)
		fprintf(f, "  (%u earlier OOM kills were not reported: the kernel's queue was full)\n", ev->lost);
}

void format_state(FILE *f, const struct format_opts *o, const struct oomn_state *st)
{
	const struct oom_notify_thresholds *t = &st->thresholds;

	if (o->json) {
		fprintf(f,
			"{\"level\":\"%s\",\"source\":\"kernel\",\"seq\":%" PRIu64 ",\"oom_seq\":%" PRIu64
			",\"cause\":\"%s\",\"timestamp_ns\":%" PRIu64 ",\"mem_total\":%" PRIu64
			",\"mem_available\":%" PRIu64 ",\"swap_total\":%" PRIu64 ",\"swap_free\":%" PRIu64
			",\"thresholds\":",
			oomn_level_to_string(st->level), st->seq, st->oom_seq,
			oomn_cause_to_string(st->cause), st->timestamp_ns, st->mem_total,
			st->mem_available, o->swap_total, st->swap_free);
		print_thresholds_json(f, t);
		fputs("}\n", f);
		return;
	}
	fprintf(f, "level:          %s\n", oomn_level_to_string(st->level));
	fprintf(f, "source:         kernel (oom_notify module)\n");
	fprintf(f, "available:      %.0f of %.0f MiB (%.1f%%)\n", st->mem_available / MIB,
		st->mem_total / MIB, st->mem_total ? 100.0 * st->mem_available / st->mem_total : 0.0);
	fprintf(f, "swap free:      %.0f of %.0f MiB\n", st->swap_free / MIB, o->swap_total / MIB);
	fprintf(f, "last change:    %s (seq %" PRIu64 ")\n", oomn_cause_to_string(st->cause), st->seq);
	fprintf(f, "kernel OOM kills reported: %" PRIu64 "\n", st->oom_seq);
	if (st->has_thresholds)
		fprintf(f,
			"thresholds:     memory low %.1f%% medium %.1f%% critical %.1f%%; "
			"swap free low %.1f%% medium %.1f%% critical %.1f%% of RAM; hysteresis %.1f%%\n",
			t->mem[OOM_NOTIFY_LEVEL_LOW] / 10.0, t->mem[OOM_NOTIFY_LEVEL_MEDIUM] / 10.0,
			t->mem[OOM_NOTIFY_LEVEL_CRITICAL] / 10.0, t->swap[OOM_NOTIFY_LEVEL_LOW] / 10.0,
			t->swap[OOM_NOTIFY_LEVEL_MEDIUM] / 10.0, t->swap[OOM_NOTIFY_LEVEL_CRITICAL] / 10.0,
			t->hysteresis / 10.0);
}

void format_notice(FILE *f, const struct format_opts *o, const char *kind, const char *text)
{
	if (o->json) {
		fprintf(f, "{\"event\":\"%s\",\"message\":", kind);
		format_json_string(f, text);
		fputs("}\n", f);
		return;
	}
	print_now(f);
	fprintf(f, "  %s: %s\n", kind, text);
}
