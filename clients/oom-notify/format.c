/* SPDX-License-Identifier: GPL-2.0-only */
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "format.h"
#include "oomn-clock.h"

#define MIB (1024.0 * 1024.0)

/* Length of the valid UTF-8 sequence at s, 0 if it is not one. */
static size_t utf8_len(const unsigned char *s)
{
	size_t n;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* overlong, surrogates, beyond Unicode */
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || (cp >= 0xd800 && cp <= 0xdfff) ||
	    cp > 0x10ffff)
		return 0;
	return n;
}

/*
 * A JSON string: quotes, backslashes and control characters escaped, and
 * bytes that are not UTF-8 (a comm or cgroup name can hold any) replaced by
 * U+FFFD, so that every line stays valid JSON.
 */
void format_json_string(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)(str ? str : "");

	fputc('"', f);
	while (*s) {
		size_t n = utf8_len(s);

		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", f);
		else if (*s == '\t')
			fputs("\\t", f);
		else if (*s < 0x20 || *s == 0x7f)
			fprintf(f, "\\u%04x", *s);
		else if (n == 0)
			fputs("\\ufffd", f);
		else
			fwrite(s, 1, n, f);
		s += n ? n : 1;
	}
	fputc('"', f);
}

/* For people: a name may hold terminal escapes; show control bytes as \xNN. */
static void print_text(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)(str && *str ? str : "?");

	for (; *s; s++) {
		if (*s < 0x20 || *s == 0x7f)
			fprintf(f, "\\x%02x", *s);
		else
			fputc(*s, f);
	}
}

static uint64_t now_usec(const struct format_opts *o)
{
	return o->now_usec ? o->now_usec : oomn_now_usec(CLOCK_REALTIME);
}

/* Wall-clock time of the line, for people; events carry CLOCK_BOOTTIME. */
static void print_now(FILE *f, const struct format_opts *o)
{
	uint64_t us = now_usec(o);
	time_t sec = (time_t)(us / 1000000);
	struct tm tm;
	char buf[32];

	localtime_r(&sec, &tm);
	strftime(buf, sizeof(buf), "%H:%M:%S", &tm);
	fprintf(f, "%s.%03u", buf, (unsigned)(us % 1000000 / 1000));
}

/* The same instant for scripts: RFC 3339, UTC. */
static void print_time_json(FILE *f, const struct format_opts *o)
{
	uint64_t us = now_usec(o);
	time_t sec = (time_t)(us / 1000000);
	struct tm tm;
	char buf[32];

	gmtime_r(&sec, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(f, "\"time\":\"%s.%03uZ\"", buf, (unsigned)(us % 1000000 / 1000));
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
		fputs("{\"event\":\"pressure\",", f);
		print_time_json(f, o);
		fprintf(f,
			",\"pressure_seq\":%" PRIu64 ",\"level\":\"%s\",\"prev_level\":\"%s\","
			"\"cause\":\"%s\",\"timestamp_ns\":%" PRIu64 ",\"mem_total\":%" PRIu64
			",\"mem_available\":%" PRIu64 ",\"swap_total\":%" PRIu64
			",\"swap_free\":%" PRIu64 "}\n",
			ev->pressure_seq, oomn_level_to_string(ev->level),
			oomn_level_to_string(ev->prev_level), oomn_cause_to_string(ev->cause),
			ev->timestamp_ns, ev->mem_total, ev->mem_available, o->swap_total,
			ev->swap_free);
		return;
	}
	print_now(f, o);
	fprintf(f,
		"  %-8s (was %s)  available %.0f/%.0f MiB (%.1f%%)  swap free %.0f/%.0f MiB  %s  "
		"pressure seq %" PRIu64 "\n",
		oomn_level_to_string(ev->level), oomn_level_to_string(ev->prev_level),
		ev->mem_available / MIB, ev->mem_total / MIB,
		ev->mem_total ? 100.0 * ev->mem_available / ev->mem_total : 0.0,
		ev->swap_free / MIB, o->swap_total / MIB, oomn_cause_to_string(ev->cause),
		ev->pressure_seq);
}

void format_oom(FILE *f, const struct format_opts *o, const struct oomn_oom_event *ev)
{
	if (o->json) {
		fputs("{\"event\":\"oom-kill\",", f);
		print_time_json(f, o);
		fprintf(f,
			",\"oom_seq\":%" PRIu64 ",\"timestamp_ns\":%" PRIu64
			",\"level\":\"%s\",\"pid\":%u,\"tid\":%u,\"comm\":",
			ev->oom_seq, ev->timestamp_ns, oomn_level_to_string(ev->level), ev->pid,
			ev->tid);
		format_json_string(f, ev->comm);
		fprintf(f,
			",\"uid\":%u,\"oom_score_adj\":%d,\"total_vm\":%" PRIu64
			",\"anon_rss\":%" PRIu64 ",\"file_rss\":%" PRIu64 ",\"shmem_rss\":%" PRIu64
			",\"pgtables\":%" PRIu64 ",\"cgroup_id\":%" PRIu64 ",\"cgroup\":",
			ev->uid, ev->oom_score_adj, ev->total_vm, ev->anon_rss, ev->file_rss,
			ev->shmem_rss, ev->pgtables, ev->cgroup_id);
		format_json_string(f, ev->cgroup);
		fprintf(f, ",\"lost\":%u}\n", ev->lost);
		return;
	}
	print_now(f, o);
	fprintf(f, "  KERNEL OOM KILL  pid %u (", ev->pid);
	print_text(f, ev->comm);
	fprintf(f, ") uid %u  anon %.1f MiB file %.1f MiB shmem %.1f MiB  oom_score_adj %d  cgroup ",
		ev->uid, ev->anon_rss / MIB, ev->file_rss / MIB, ev->shmem_rss / MIB,
		ev->oom_score_adj);
	print_text(f, ev->cgroup);
	fprintf(f, "  oom seq %" PRIu64 "\n", ev->oom_seq);
	if (ev->lost)
		fprintf(f, "  (%u earlier OOM kills were not reported: the kernel's queue was full)\n", ev->lost);
}

void format_state(FILE *f, const struct format_opts *o, const struct oomn_state *st)
{
	const struct oom_notify_thresholds *t = &st->thresholds;

	if (o->json) {
		fprintf(f,
			"{\"level\":\"%s\",\"source\":\"kernel\",\"pressure_seq\":%" PRIu64 ",\"oom_seq\":%" PRIu64
			",\"cause\":\"%s\",\"timestamp_ns\":%" PRIu64 ",\"mem_total\":%" PRIu64
			",\"mem_available\":%" PRIu64 ",\"swap_total\":%" PRIu64 ",\"swap_free\":%" PRIu64
			",\"thresholds\":",
			oomn_level_to_string(st->level), st->pressure_seq, st->oom_seq,
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
	fprintf(f, "last change:    %s (pressure seq %" PRIu64 ")\n", oomn_cause_to_string(st->cause),
		st->pressure_seq);
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
		fprintf(f, "{\"event\":\"%s\",", kind);
		print_time_json(f, o);
		fputs(",\"message\":", f);
		format_json_string(f, text);
		fputs("}\n", f);
		return;
	}
	print_now(f, o);
	fprintf(f, "  %s: %s\n", kind, text);
}

/* Broker mode */

static const char *const bus_kind_names[_FORMAT_BUS_KIND_MAX] = {
	[FORMAT_BUS_STATE] = "state",
	[FORMAT_BUS_PRESSURE] = "pressure",
	[FORMAT_BUS_CGROUP_PRESSURE] = "cgroup-pressure",
	[FORMAT_BUS_OOM_KILL] = "oom-kill",
	[FORMAT_BUS_KILL_ANNOUNCED] = "kill-announced",
	[FORMAT_BUS_CANDIDATE_ANSWERED] = "candidate-answered",
	[FORMAT_BUS_KILLED] = "killed",
	[FORMAT_BUS_REDEEMED] = "redeemed",
};

const char *format_bus_kind_to_string(enum format_bus_kind kind)
{
	if ((unsigned)kind < _FORMAT_BUS_KIND_MAX)
		return bus_kind_names[kind];
	return "unknown";
}

static void json_str_field(FILE *f, const char *key, const char *value)
{
	fprintf(f, ",\"%s\":", key);
	format_json_string(f, value);
}

static void json_u64_field(FILE *f, const char *key, uint64_t value)
{
	fprintf(f, ",\"%s\":%" PRIu64, key, value);
}

static void bus_event_json(FILE *f, const struct format_opts *o, const struct format_bus_event *ev)
{
	fprintf(f, "{\"event\":\"%s\",", format_bus_kind_to_string(ev->kind));
	print_time_json(f, o);

	switch (ev->kind) {
	case FORMAT_BUS_PRESSURE:
	case FORMAT_BUS_STATE:
		json_str_field(f, "level", ev->level);
		if (ev->kind == FORMAT_BUS_PRESSURE)
			json_str_field(f, "prev_level", ev->prev_level);
		json_u64_field(f, "signal_seq", ev->signal_seq);
		json_u64_field(f, "mem_total", ev->mem_total);
		json_u64_field(f, "mem_available", ev->mem_available);
		json_u64_field(f, "swap_total", ev->swap_total);
		json_u64_field(f, "swap_free", ev->swap_free);
		json_str_field(f, "source", ev->source);
		json_u64_field(f, "timestamp_ns", ev->timestamp_ns);
		break;
	case FORMAT_BUS_CGROUP_PRESSURE:
		json_str_field(f, "cgroup", ev->cgroup);
		json_str_field(f, "level", ev->level);
		json_str_field(f, "prev_level", ev->prev_level);
		json_u64_field(f, "timestamp_ns", ev->timestamp_ns);
		break;
	case FORMAT_BUS_OOM_KILL:
		json_u64_field(f, "pid", ev->pid);
		json_str_field(f, "comm", ev->comm);
		json_u64_field(f, "uid", ev->uid);
		json_str_field(f, "cgroup", ev->cgroup);
		json_u64_field(f, "anon_rss", ev->anon_rss);
		json_u64_field(f, "oom_seq", ev->oom_seq);
		break;
	case FORMAT_BUS_KILL_ANNOUNCED:
		json_u64_field(f, "pid", ev->pid);
		json_str_field(f, "comm", ev->comm);
		json_u64_field(f, "deadline_msec", ev->deadline_msec);
		json_u64_field(f, "deadline_boottime_usec", ev->deadline_boottime_usec);
		json_str_field(f, "reason", ev->reason);
		break;
	case FORMAT_BUS_CANDIDATE_ANSWERED:
		json_u64_field(f, "pid", ev->pid);
		json_u64_field(f, "freed", ev->freed);
		fprintf(f, ",\"checkpointed\":%s", ev->checkpointed ? "true" : "false");
		break;
	case FORMAT_BUS_KILLED:
		json_u64_field(f, "pid", ev->pid);
		json_str_field(f, "comm", ev->comm);
		json_u64_field(f, "uid", ev->uid);
		json_str_field(f, "cgroup", ev->cgroup);
		json_str_field(f, "rule", ev->rule);
		json_u64_field(f, "freed", ev->freed);
		json_str_field(f, "reason", ev->reason);
		break;
	case FORMAT_BUS_REDEEMED:
		json_u64_field(f, "pid", ev->pid);
		json_str_field(f, "comm", ev->comm);
		json_str_field(f, "reason", ev->reason);
		break;
	default:
		break;
	}
	fputs("}\n", f);
}

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

static void print_figures(FILE *f, const struct format_bus_event *ev)
{
	fprintf(f, "available %.0f/%.0f MiB (%.1f%%)  swap free %.0f/%.0f MiB  ",
		ev->mem_available / MIB, ev->mem_total / MIB,
		ev->mem_total ? 100.0 * ev->mem_available / ev->mem_total : 0.0,
		ev->swap_free / MIB, ev->swap_total / MIB);
	print_text(f, ev->source);
	fprintf(f, "  signal seq %" PRIu64 "\n", ev->signal_seq);
}

static void bus_event_text(FILE *f, const struct format_opts *o, const struct format_bus_event *ev)
{
	char was[32];

	print_now(f, o);
	fputs("  ", f);

	switch (ev->kind) {
	case FORMAT_BUS_STATE:
	case FORMAT_BUS_PRESSURE:
		if (ev->kind == FORMAT_BUS_STATE)
			snprintf(was, sizeof(was), "(now)");
		else
			snprintf(was, sizeof(was), "(was %s)", or_empty(ev->prev_level));
		/* columns line up: "(was critical)" is the widest */
		fprintf(f, "%-8s %-14s  ", or_empty(ev->level), was);
		print_figures(f, ev);
		break;
	case FORMAT_BUS_CGROUP_PRESSURE:
		fputs("cgroup ", f);
		print_text(f, ev->cgroup);
		fprintf(f, "  %s (was %s)\n", or_empty(ev->level), or_empty(ev->prev_level));
		break;
	case FORMAT_BUS_OOM_KILL:
		fprintf(f, "KERNEL OOM KILL  pid %u (", ev->pid);
		print_text(f, ev->comm);
		fprintf(f, ") uid %u  anon %.1f MiB  cgroup ", ev->uid, ev->anon_rss / MIB);
		print_text(f, ev->cgroup);
		fprintf(f, "  oom seq %" PRIu64 "\n", ev->oom_seq);
		break;
	case FORMAT_BUS_KILL_ANNOUNCED:
		fprintf(f, "KILL NOTICE  pid %u", ev->pid);
		/* no comm: the candidate is not registered */
		if (ev->comm && *ev->comm) {
			fputs(" (", f);
			print_text(f, ev->comm);
			fputc(')', f);
		}
		fprintf(f, " has %u ms to free memory: ", ev->deadline_msec);
		print_text(f, ev->reason);
		fputc('\n', f);
		break;
	case FORMAT_BUS_CANDIDATE_ANSWERED:
		fprintf(f, "ANSWERED  pid %u freed %.1f MiB%s\n", ev->pid, ev->freed / MIB,
			ev->checkpointed ? ", checkpointed" : "");
		break;
	case FORMAT_BUS_KILLED:
		fprintf(f, "KILLED  pid %u (", ev->pid);
		print_text(f, ev->comm);
		fprintf(f, ") uid %u  cgroup ", ev->uid);
		print_text(f, ev->cgroup);
		fprintf(f, "  freed %.1f MiB  ", ev->freed / MIB);
		if (ev->rule && *ev->rule) {
			fputs("rule ", f);
			print_text(f, ev->rule);
		} else {
			fputs("no rule", f);
		}
		fputs(": ", f);
		print_text(f, ev->reason);
		fputc('\n', f);
		break;
	case FORMAT_BUS_REDEEMED:
		fprintf(f, "REDEEMED  pid %u (", ev->pid);
		print_text(f, ev->comm);
		fputs("): ", f);
		print_text(f, ev->reason);
		fputc('\n', f);
		break;
	default:
		fputs("?\n", f);
		break;
	}
}

void format_bus_event(FILE *f, const struct format_opts *o, const struct format_bus_event *ev)
{
	if (o->json)
		bus_event_json(f, o, ev);
	else
		bus_event_text(f, o, ev);
}

static void client_json(FILE *f, const struct oomn_bus_client *c)
{
	fprintf(f, "{\"id\":%" PRIu64 ",\"pid\":%u,\"uid\":%u", c->id, c->pid, c->uid);
	json_str_field(f, "bus_name", c->bus_name);
	json_str_field(f, "comm", c->comm);
	fprintf(f, ",\"band\":%u,\"flags\":%u}", c->band, c->flags);
}

/* "free,checkpoint", "free", "-"; buf holds at least 32 bytes. */
static const char *flags_string(char *buf, uint32_t flags)
{
	snprintf(buf, 32, "%s%s%s", flags & OOMN_CLIENT_CAN_FREE_MEMORY ? "free" : "",
		 (flags & OOMN_CLIENT_FLAGS_ALL) == OOMN_CLIENT_FLAGS_ALL ? "," : "",
		 flags & OOMN_CLIENT_CAN_CHECKPOINT ? "checkpoint" : "");
	if (!*buf)
		strcpy(buf, "-");
	return buf;
}

void format_bus_status(FILE *f, const struct format_opts *o, const struct format_bus_event *st,
		       const struct oomn_bus_client *clients, size_t n_clients)
{
	if (o->json) {
		fprintf(f, "{\"level\":");
		format_json_string(f, st->level);
		json_u64_field(f, "signal_seq", st->signal_seq);
		json_u64_field(f, "mem_total", st->mem_total);
		json_u64_field(f, "mem_available", st->mem_available);
		json_u64_field(f, "swap_total", st->swap_total);
		json_u64_field(f, "swap_free", st->swap_free);
		json_str_field(f, "source", st->source);
		json_u64_field(f, "timestamp_ns", st->timestamp_ns);
		if (!clients) {
			fputs(",\"clients\":null}\n", f);
			return;
		}
		fputs(",\"clients\":[", f);
		for (size_t i = 0; i < n_clients; i++) {
			if (i)
				fputc(',', f);
			client_json(f, &clients[i]);
		}
		fputs("]}\n", f);
		return;
	}
	fprintf(f, "level:          %s\n", or_empty(st->level));
	fputs("source:         ", f);
	print_text(f, st->source);
	fputs(" (through oom-notifyd)\n", f);
	fprintf(f, "available:      %.0f of %.0f MiB (%.1f%%)\n", st->mem_available / MIB,
		st->mem_total / MIB,
		st->mem_total ? 100.0 * st->mem_available / st->mem_total : 0.0);
	fprintf(f, "swap free:      %.0f of %.0f MiB\n", st->swap_free / MIB, st->swap_total / MIB);
	fprintf(f, "level changes:  %" PRIu64 "\n", st->signal_seq);
	if (!clients) {
		fputs("clients:        root's to list\n", f);
		return;
	}
	fprintf(f, "clients:        %zu registered for redemption\n", n_clients);
	if (!n_clients)
		return;
	fprintf(f, "  %6s %8s %6s %4s %-16s %-12s %s\n", "ID", "PID", "UID", "BAND", "FLAGS",
		"BUS NAME", "COMM");
	for (size_t i = 0; i < n_clients; i++) {
		const struct oomn_bus_client *c = &clients[i];
		char flags[32];

		/* bus names are checked by the bus: nothing to escape */
		fprintf(f, "  %6" PRIu64 " %8u %6u %4u %-16s %-12s ", c->id, c->pid, c->uid, c->band,
			flags_string(flags, c->flags), or_empty(c->bus_name));
		print_text(f, c->comm);
		fputc('\n', f);
	}
}

int format_level_from_string(const char *s)
{
	int l = oomn_level_from_string(s);

	return l < 0 ? -1 : l;
}
