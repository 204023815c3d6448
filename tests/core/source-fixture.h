/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the OomnSource tests share: a fake proc root (and cgroup root) in a
 * temporary directory, an sd-event loop, and handlers that record every
 * call.
 */
#pragma once

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "oomn-source.h"

typedef struct {
	char *proc;    /* fake proc root */
	char *cgroups; /* fake cgroup root */
	sd_event *e;
	OomnSource *s;
	GArray *pressure;	    /* struct oomn_pressure, cgroup copied into ... */
	GPtrArray *pressure_cgroup; /* ... this, "" for the system */
	GArray *oom;		    /* struct oomn_oom_event */
	GPtrArray *oom_cgroup;
	GArray *source_kind; /* enum oomn_source_kind */
	GPtrArray *source_why;
	GPtrArray *warnings;
} SourceFixture;

static void sf_on_pressure(const struct oomn_pressure *p, void *userdata)
{
	SourceFixture *f = userdata;

	g_test_message("pressure %s pressure_seq %" G_GUINT64_FORMAT
		       ": %s -> %s%s (%s) avail %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT,
		       p->cgroup ?: "system", p->pressure_seq, oom_notify_level_name(p->prev_level),
		       oom_notify_level_name(p->level), p->resync ? " resync" : "",
		       oomn_source_kind_to_string(p->source), p->mem_available, p->mem_total);
	g_array_append_val(f->pressure, *p);
	g_ptr_array_add(f->pressure_cgroup, g_strdup(p->cgroup ?: ""));
}

static void sf_on_oom(const struct oomn_oom_event *ev, const char *cgroup, void *userdata)
{
	SourceFixture *f = userdata;

	g_test_message("oom pid %u cgroup %s", ev->pid, cgroup ?: "(none)");
	g_array_append_val(f->oom, *ev);
	g_ptr_array_add(f->oom_cgroup, g_strdup(cgroup ?: ""));
}

static void sf_on_source(enum oomn_source_kind kind, const char *why, void *userdata)
{
	SourceFixture *f = userdata;

	g_test_message("source %s: %s", oomn_source_kind_to_string(kind), why);
	g_array_append_val(f->source_kind, kind);
	g_ptr_array_add(f->source_why, g_strdup(why));
}

static void sf_on_warning(const char *what, void *userdata)
{
	SourceFixture *f = userdata;

	g_test_message("warning: %s", what);
	g_ptr_array_add(f->warnings, g_strdup(what));
}

static const struct oomn_source_handlers sf_handlers = {
	.on_pressure = sf_on_pressure,
	.on_oom = sf_on_oom,
	.on_source = sf_on_source,
	.on_warning = sf_on_warning,
};

static void sf_setup(SourceFixture *f, gconstpointer data)
{
	GError *err = NULL;

	f->proc = g_dir_make_tmp("oomn-proc-XXXXXX", &err);
	g_assert_no_error(err);
	f->cgroups = g_dir_make_tmp("oomn-cgroup-XXXXXX", &err);
	g_assert_no_error(err);
	g_assert_cmpint(sd_event_new(&f->e), >=, 0);
	f->pressure = g_array_new(FALSE, TRUE, sizeof(struct oomn_pressure));
	f->pressure_cgroup = g_ptr_array_new_with_free_func(g_free);
	f->oom = g_array_new(FALSE, TRUE, sizeof(struct oomn_oom_event));
	f->oom_cgroup = g_ptr_array_new_with_free_func(g_free);
	f->source_kind = g_array_new(FALSE, TRUE, sizeof(enum oomn_source_kind));
	f->source_why = g_ptr_array_new_with_free_func(g_free);
	f->warnings = g_ptr_array_new_with_free_func(g_free);
}

static void sf_rm_rf(const char *dir)
{
	g_autofree char *cmd = NULL;

	if (!dir)
		return;
	cmd = g_strdup_printf("rm -rf '%s'", dir);
	g_assert_true(g_spawn_command_line_sync(cmd, NULL, NULL, NULL, NULL));
}

static void sf_teardown(SourceFixture *f, gconstpointer data)
{
	f->s = oomn_source_free(f->s);
	sd_event_unref(f->e);
	sf_rm_rf(f->proc);
	sf_rm_rf(f->cgroups);
	g_free(f->proc);
	g_free(f->cgroups);
	g_array_unref(f->pressure);
	g_ptr_array_unref(f->pressure_cgroup);
	g_array_unref(f->oom);
	g_ptr_array_unref(f->oom_cgroup);
	g_array_unref(f->source_kind);
	g_ptr_array_unref(f->source_why);
	g_ptr_array_unref(f->warnings);
}

/* Replaces <proc>/meminfo at once (rename), as the kernel's file never is
 * seen half-written. */
static void sf_write_proc(SourceFixture *f, const char *name, const char *text)
{
	g_autofree char *path = g_build_filename(f->proc, name, NULL);
	GError *err = NULL;

	g_file_set_contents(path, text, -1, &err);
	g_assert_no_error(err);
}

static G_GNUC_UNUSED void sf_write_meminfo(SourceFixture *f, guint64 total_kb, guint64 avail_kb)
{
	g_autofree char *text = g_strdup_printf("MemTotal:       %" G_GUINT64_FORMAT " kB\n"
						"MemFree:        %" G_GUINT64_FORMAT " kB\n"
						"MemAvailable:   %" G_GUINT64_FORMAT " kB\n"
						"Buffers:           1024 kB\n"
						"SwapTotal:            0 kB\n"
						"SwapFree:             0 kB\n",
						total_kb, avail_kb / 2, avail_kb);

	sf_write_proc(f, "meminfo", text);
}

/* In place, one write(), like cgroupfs: an inotify watch sees IN_MODIFY. */
static G_GNUC_UNUSED void sf_write_in_place(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpint(write(fd, text, strlen(text)), ==, (ssize_t)strlen(text));
	g_assert_cmpint(close(fd), ==, 0);
}

static G_GNUC_UNUSED struct oomn_source_config sf_config(SourceFixture *f,
							 enum oomn_source_kind force)
{
	struct oomn_source_config cfg = {
		.proc_root = f->proc,
		.cgroup_root = f->cgroups,
		.force = force,
	};

	oom_notify_thresholds_default(&cfg.thresholds);
	return cfg;
}

static uint64_t sf_now(SourceFixture *f)
{
	uint64_t now = 0;

	g_assert_cmpint(sd_event_now(f->e, CLOCK_MONOTONIC, &now), >=, 0);
	return now;
}

/* Runs the loop until @done or @timeout_usec of the loop's clock pass. */
static G_GNUC_UNUSED gboolean sf_run_until(SourceFixture *f,
					   gboolean (*done)(SourceFixture *, gconstpointer),
					   gconstpointer arg, uint64_t timeout_usec)
{
	uint64_t end = sf_now(f) + timeout_usec;

	while (!done(f, arg)) {
		uint64_t now = sf_now(f);

		if (now >= end)
			return FALSE;
		g_assert_cmpint(sd_event_run(f->e, end - now), >=, 0);
	}
	return TRUE;
}

static G_GNUC_UNUSED gboolean sf_pressures_at_least(SourceFixture *f, gconstpointer n)
{
	return f->pressure->len >= GPOINTER_TO_UINT(n);
}

static G_GNUC_UNUSED gboolean sf_sources_at_least(SourceFixture *f, gconstpointer n)
{
	return f->source_kind->len >= GPOINTER_TO_UINT(n);
}

static G_GNUC_UNUSED gboolean sf_warnings_at_least(SourceFixture *f, gconstpointer n)
{
	return f->warnings->len >= GPOINTER_TO_UINT(n);
}

static G_GNUC_UNUSED gboolean sf_ooms_at_least(SourceFixture *f, gconstpointer n)
{
	return f->oom->len >= GPOINTER_TO_UINT(n);
}

static G_GNUC_UNUSED gboolean sf_wakeups_at_least(SourceFixture *f, gconstpointer n)
{
	struct oomn_source_stats st;

	oomn_source_get_stats(f->s, &st);
	return st.timer_wakeups >= GPOINTER_TO_UINT(n);
}

static G_GNUC_UNUSED const struct oomn_pressure *sf_pressure(SourceFixture *f, guint i)
{
	g_assert_cmpuint(i, <, f->pressure->len);
	return &g_array_index(f->pressure, struct oomn_pressure, i);
}

static G_GNUC_UNUSED gboolean sf_warned(SourceFixture *f, const char *needle)
{
	for (guint i = 0; i < f->warnings->len; i++)
		if (strstr(g_ptr_array_index(f->warnings, i), needle))
			return TRUE;
	return FALSE;
}
