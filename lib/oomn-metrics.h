/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A registry of counters, gauges and histograms, written in the Prometheus
 * text exposition format (version 0.0.4) to a file for node_exporter's
 * textfile collector: no socket of our own.
 *
 * Everything that allocates happens at registration: a family
 * (oomn_metrics_counter/gauge/histogram) and a series in it (one set of label
 * values, oomn_metrics_series). Once a series exists, oomn_counter_add(),
 * oomn_gauge_set() and oomn_histogram_observe() only store numbers: no
 * allocation, no system call, nothing that fails. A registry belongs to one
 * thread (the daemon's event loop); nothing here locks.
 *
 * Output: families in the order they were registered, each with its HELP and
 * TYPE lines and then its series in the order they were created; a family
 * with labels and no series yet is left out. A family without labels has its
 * one series from the start, so that it reads 0 before anything happened.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "oomn-macro.h"

/* The most labels a family may have (histograms: besides "le"). */
#define OOMN_METRICS_LABELS_MAX 4
/* The most finite bucket bounds a histogram may have (+Inf comes on top). */
#define OOMN_METRICS_BUCKETS_MAX 32

struct oomn_metrics;	    /* the registry: owns its families */
struct oomn_metrics_family; /* one metric name, its type, help and label names */
struct oomn_metrics_series; /* one set of label values in a family */

int oomn_metrics_new(struct oomn_metrics **ret);
struct oomn_metrics *oomn_metrics_free(struct oomn_metrics *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct oomn_metrics *, oomn_metrics_free);
#define _cleanup_metrics_ _cleanup_(oomn_metrics_freep)

/*
 * Registers a family. @name must match [a-zA-Z_:][a-zA-Z0-9_:]*; @help is
 * any UTF-8 text (escaped on output); @labels is NULL or a NULL-terminated
 * list of at most OOMN_METRICS_LABELS_MAX distinct names matching
 * [a-zA-Z_][a-zA-Z0-9_]* and not starting with "__" (a histogram may not use
 * "le"). A histogram's @bounds are its @n_bounds finite upper bounds in
 * increasing order; the +Inf bucket is always there and must not be given.
 * Returns 0 and the family in *ret (optional; the registry owns it),
 * -EINVAL for a name, label or bound the format refuses, -EEXIST when a name
 * the family writes (a histogram's name_bucket, name_sum and name_count
 * included) is already written by another family, -ENOMEM.
 */
int oomn_metrics_counter(struct oomn_metrics *m, const char *name, const char *help,
			 const char *const *labels, struct oomn_metrics_family **ret);
int oomn_metrics_gauge(struct oomn_metrics *m, const char *name, const char *help,
		       const char *const *labels, struct oomn_metrics_family **ret);
int oomn_metrics_histogram(struct oomn_metrics *m, const char *name, const char *help,
			   const char *const *labels, const double *bounds, size_t n_bounds,
			   struct oomn_metrics_family **ret);

/*
 * The series of @f for @values: one UTF-8 string for each of the family's
 * labels, in the order of its label names (NULL for a family without labels).
 * Creates it (at 0) the first time; later calls with the same values return
 * the same series without allocating. The registry owns it.
 * 0, -EINVAL (a NULL value or one that is not UTF-8), -ENOMEM.
 */
int oomn_metrics_series(struct oomn_metrics_family *f, const char *const *values,
			struct oomn_metrics_series **ret);

/*
 * The hot path: none of these allocates or fails. Each applies only to a
 * series of its own kind (anything else is a programming error, caught by
 * assert()).
 */
void oomn_counter_add(struct oomn_metrics_series *s, uint64_t n);
void oomn_counter_inc(struct oomn_metrics_series *s);
void oomn_gauge_set(struct oomn_metrics_series *s, double v);
void oomn_gauge_add(struct oomn_metrics_series *s, double delta);
/* A NaN counts in the +Inf bucket only and makes the sum NaN, as in the Go client. */
void oomn_histogram_observe(struct oomn_metrics_series *s, double v);

/*
 * A number as the exposition format spells it and its parser reads it back
 * exactly: "+Inf", "-Inf", "NaN", integral values of less than 1e21 in
 * magnitude as integers ("3", not "3e+00"), anything else in the shortest %g
 * form that strtod() reads back to the same double (at most 17 digits).
 * @buf must hold OOMN_METRICS_NUMBER_MAX bytes; returns @buf.
 */
#define OOMN_METRICS_NUMBER_MAX 32
const char *oomn_metrics_format_number(double v, char buf[static OOMN_METRICS_NUMBER_MAX]);

/* The whole exposition, as written to the file. 0 or -errno (-EIO). */
int oomn_metrics_format(const struct oomn_metrics *m, FILE *f);

/*
 * Replaces the file @path with the exposition, atomically: readers see the
 * old file or the new one, whole. The text goes to a temporary file in the
 * same directory (unnamed with O_TMPFILE where the file system has it,
 * linked under a hidden name not ending in ".prom" only when complete; else
 * created under that name), mode 0644 whatever the umask, then renamed over
 * @path. No fsync: the collector reads whole files, and a crash leaves the
 * old file or the new one. On any error @path is left as it was and nothing
 * of the attempt stays in the directory. 0 or -errno.
 */
int oomn_metrics_write(const struct oomn_metrics *m, const char *path);

/* The same; OOMN_METRICS_WRITE_NO_TMPFILE skips O_TMPFILE (file systems
 * that have it but refuse the link, and the tests of the other way). */
#define OOMN_METRICS_WRITE_NO_TMPFILE (1u << 0)
int oomn_metrics_write_full(const struct oomn_metrics *m, const char *path, unsigned flags);
