/* SPDX-License-Identifier: GPL-2.0-only */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>

#include "oomn-metrics.h"

enum kind {
	KIND_COUNTER,
	KIND_GAUGE,
	KIND_HISTOGRAM,
};

static const char *const kind_names[] = {
	[KIND_COUNTER] = "counter",
	[KIND_GAUGE] = "gauge",
	[KIND_HISTOGRAM] = "histogram",
};

struct oomn_metrics_series {
	struct oomn_metrics_family *family;
	struct oomn_metrics_series *next;
	char *values[OOMN_METRICS_LABELS_MAX];
	uint64_t counter; /* counters; histograms: the number of observations */
	double value;	  /* gauges; histograms: the sum of the observations */
	/* Histograms: observations per bucket, not cumulative (the last is +Inf). */
	uint64_t buckets[];
};

struct oomn_metrics_family {
	struct oomn_metrics_family *next;
	enum kind kind;
	char *name;
	char *help;
	size_t n_labels;
	char *labels[OOMN_METRICS_LABELS_MAX];
	size_t n_bounds;
	double bounds[OOMN_METRICS_BUCKETS_MAX];
	struct oomn_metrics_series *series, **series_tail;
};

struct oomn_metrics {
	struct oomn_metrics_family *families, **families_tail;
};

int oomn_metrics_new(struct oomn_metrics **ret)
{
	struct oomn_metrics *m = calloc(1, sizeof(*m));

	if (!m)
		return -ENOMEM;
	m->families_tail = &m->families;
	*ret = m;
	return 0;
}

/* Frees @s and the series after it (a family has a few dozen at the most). */
static void series_free(struct oomn_metrics_series *s)
{
	if (!s)
		return;
	series_free(s->next);
	for (size_t i = 0; i < OOMN_METRICS_LABELS_MAX; i++)
		free(s->values[i]);
	free(s);
}
DEFINE_TRIVIAL_CLEANUP_FUNC(struct oomn_metrics_series *, series_free);

/* Frees @f and the families after it, as series_free(). */
static struct oomn_metrics_family *family_free(struct oomn_metrics_family *f)
{
	if (!f)
		return NULL;
	family_free(f->next);
	series_free(f->series);
	for (size_t i = 0; i < OOMN_METRICS_LABELS_MAX; i++)
		free(f->labels[i]);
	free(f->name);
	free(f->help);
	free(f);
	return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(struct oomn_metrics_family *, family_free);

struct oomn_metrics *oomn_metrics_free(struct oomn_metrics *m)
{
	if (!m)
		return NULL;
	family_free(m->families);
	free(m);
	return NULL;
}

/* Names and text ------------------------------------------------------------ */

static bool name_valid(const char *s, bool colon)
{
	if (!s || !*s)
		return false;
	for (const char *p = s; *p; p++) {
		char c = *p;
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
			  (colon && c == ':') || (p > s && c >= '0' && c <= '9');

		if (!ok)
			return false;
	}
	return true;
}

/* Well-formed UTF-8 as Go's parser wants it: no overlong forms, no
 * surrogates, nothing above U+10FFFF. */
static bool utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		unsigned c = *p++;
		unsigned n, min, cp;

		if (c < 0x80)
			continue;
		if ((c & 0xe0) == 0xc0)
			n = 1, min = 0x80, cp = c & 0x1f;
		else if ((c & 0xf0) == 0xe0)
			n = 2, min = 0x800, cp = c & 0x0f;
		else if ((c & 0xf8) == 0xf0)
			n = 3, min = 0x10000, cp = c & 0x07;
		else
			return false;
		for (unsigned i = 0; i < n; i++, p++) {
			if ((*p & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (*p & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
	}
	return true;
}

const char *oomn_metrics_format_number(double v, char buf[static OOMN_METRICS_NUMBER_MAX])
{
	if (isnan(v))
		return strcpy(buf, "NaN");
	if (isinf(v))
		return strcpy(buf, v > 0 ? "+Inf" : "-Inf");
	if (v == trunc(v) && fabs(v) < 1e21) {
		/* Exact: every integral double prints in full with %.0f. */
		snprintf(buf, OOMN_METRICS_NUMBER_MAX, "%.0f", v);
		return buf;
	}
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(buf, OOMN_METRICS_NUMBER_MAX, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	return buf;
}

/* Label values escape \, " and newline; HELP text only \ and newline. */
static void put_escaped(FILE *f, const char *s, bool quote)
{
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\\\", f);
		else if (*s == '\n')
			fputs("\\n", f);
		else if (quote && *s == '"')
			fputs("\\\"", f);
		else
			fputc(*s, f);
	}
}

/* Registration --------------------------------------------------------------- */

static const char *const histogram_suffixes[] = { "", "_bucket", "_sum", "_count", NULL };
static const char *const plain_suffixes[] = { "", NULL };

static const char *const *suffixes(enum kind kind)
{
	return kind == KIND_HISTOGRAM ? histogram_suffixes : plain_suffixes;
}

/* Whether a + as spells the same name as b + bs. */
static bool names_equal(const char *a, const char *as, const char *b, const char *bs)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la + strlen(as) != lb + strlen(bs))
		return false;
	if (la > lb)
		return names_equal(b, bs, a, as);
	/* a is the shorter stem: it is a prefix of b, and as spells b's rest + bs. */
	return strncmp(a, b, la) == 0 && strncmp(as, b + la, lb - la) == 0 &&
	       strcmp(as + (lb - la), bs) == 0;
}

/* Whether a family of @kind named @name would write a name another one does. */
static bool name_taken(const struct oomn_metrics *m, enum kind kind, const char *name)
{
	for (const struct oomn_metrics_family *f = m->families; f; f = f->next)
		for (const char *const *a = suffixes(kind); *a; a++)
			for (const char *const *b = suffixes(f->kind); *b; b++)
				if (names_equal(name, *a, f->name, *b))
					return true;
	return false;
}

static int series_new(struct oomn_metrics_family *f, struct oomn_metrics_series **ret)
{
	size_t n_buckets = f->kind == KIND_HISTOGRAM ? f->n_bounds + 1 : 0;
	struct oomn_metrics_series *s;

	s = calloc(1, sizeof(*s) + n_buckets * sizeof(s->buckets[0]));
	if (!s)
		return -ENOMEM;
	s->family = f;
	*ret = s;
	return 0;
}

static void series_append(struct oomn_metrics_family *f, struct oomn_metrics_series *s)
{
	*f->series_tail = s;
	f->series_tail = &s->next;
}

static int family_add(struct oomn_metrics *m, enum kind kind, const char *name, const char *help,
		      const char *const *labels, const double *bounds, size_t n_bounds,
		      struct oomn_metrics_family **ret)
{
	_cleanup_(family_freep) struct oomn_metrics_family *f = NULL;
	size_t n = 0;

	if (!name_valid(name, true) || !help || !utf8_valid(help))
		return -EINVAL;
	for (; labels && labels[n]; n++) {
		if (n == OOMN_METRICS_LABELS_MAX || !name_valid(labels[n], false) ||
		    strncmp(labels[n], "__", 2) == 0 ||
		    (kind == KIND_HISTOGRAM && strcmp(labels[n], "le") == 0))
			return -EINVAL;
		for (size_t i = 0; i < n; i++)
			if (strcmp(labels[i], labels[n]) == 0)
				return -EINVAL;
	}
	if (n_bounds > OOMN_METRICS_BUCKETS_MAX || (n_bounds && !bounds))
		return -EINVAL;
	for (size_t i = 0; i < n_bounds; i++)
		if (!isfinite(bounds[i]) || (i > 0 && !(bounds[i] > bounds[i - 1])))
			return -EINVAL;
	if (name_taken(m, kind, name))
		return -EEXIST;

	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->kind = kind;
	f->series_tail = &f->series;
	f->name = strdup(name);
	f->help = strdup(help);
	if (!f->name || !f->help)
		return -ENOMEM;
	for (f->n_labels = 0; f->n_labels < n; f->n_labels++) {
		f->labels[f->n_labels] = strdup(labels[f->n_labels]);
		if (!f->labels[f->n_labels])
			return -ENOMEM;
	}
	f->n_bounds = n_bounds;
	if (n_bounds)
		memcpy(f->bounds, bounds, n_bounds * sizeof(bounds[0]));
	if (n == 0) {
		/* Its only series, there (and at 0) from the start. */
		struct oomn_metrics_series *s;
		int r = series_new(f, &s);

		if (r < 0)
			return r;
		series_append(f, s);
	}

	*m->families_tail = f;
	m->families_tail = &f->next;
	if (ret)
		*ret = f;
	TAKE_PTR(f);
	return 0;
}

int oomn_metrics_counter(struct oomn_metrics *m, const char *name, const char *help,
			 const char *const *labels, struct oomn_metrics_family **ret)
{
	return family_add(m, KIND_COUNTER, name, help, labels, NULL, 0, ret);
}

int oomn_metrics_gauge(struct oomn_metrics *m, const char *name, const char *help,
		       const char *const *labels, struct oomn_metrics_family **ret)
{
	return family_add(m, KIND_GAUGE, name, help, labels, NULL, 0, ret);
}

int oomn_metrics_histogram(struct oomn_metrics *m, const char *name, const char *help,
			   const char *const *labels, const double *bounds, size_t n_bounds,
			   struct oomn_metrics_family **ret)
{
	return family_add(m, KIND_HISTOGRAM, name, help, labels, bounds, n_bounds, ret);
}

static bool series_matches(const struct oomn_metrics_series *s, const char *const *values)
{
	for (size_t i = 0; i < s->family->n_labels; i++)
		if (strcmp(s->values[i], values[i]) != 0)
			return false;
	return true;
}

int oomn_metrics_series(struct oomn_metrics_family *f, const char *const *values,
			struct oomn_metrics_series **ret)
{
	_cleanup_(series_freep) struct oomn_metrics_series *s = NULL;
	int r;

	if (f->n_labels && !values)
		return -EINVAL;
	for (size_t i = 0; i < f->n_labels; i++)
		if (!values[i])
			return -EINVAL;
	for (struct oomn_metrics_series *e = f->series; e; e = e->next)
		if (series_matches(e, values)) {
			*ret = e;
			return 0;
		}

	for (size_t i = 0; i < f->n_labels; i++)
		if (!utf8_valid(values[i]))
			return -EINVAL;
	r = series_new(f, &s);
	if (r < 0)
		return r;
	for (size_t i = 0; i < f->n_labels; i++) {
		s->values[i] = strdup(values[i]);
		if (!s->values[i])
			return -ENOMEM;
	}
	series_append(f, s);
	*ret = TAKE_PTR(s);
	return 0;
}

/* The hot path ------------------------------------------------------------- */

void oomn_counter_add(struct oomn_metrics_series *s, uint64_t n)
{
	assert(s->family->kind == KIND_COUNTER);
	s->counter += n;
}

void oomn_counter_inc(struct oomn_metrics_series *s)
{
	oomn_counter_add(s, 1);
}

void oomn_gauge_set(struct oomn_metrics_series *s, double v)
{
	assert(s->family->kind == KIND_GAUGE);
	s->value = v;
}

void oomn_gauge_add(struct oomn_metrics_series *s, double delta)
{
	assert(s->family->kind == KIND_GAUGE);
	s->value += delta;
}

void oomn_histogram_observe(struct oomn_metrics_series *s, double v)
{
	const struct oomn_metrics_family *f = s->family;
	size_t i = 0;

	assert(f->kind == KIND_HISTOGRAM);
	/* A NaN is <= no bound: it ends in the +Inf bucket. */
	while (i < f->n_bounds && !(v <= f->bounds[i]))
		i++;
	s->buckets[i]++;
	s->counter++;
	s->value += v;
}

/* Output ---------------------------------------------------------------- */

/* name+suffix{labels[,le="..."]} value */
static void put_sample(FILE *out, const struct oomn_metrics_series *s, const char *suffix,
		       const char *le, const char *value)
{
	const struct oomn_metrics_family *f = s->family;
	const char *sep = "{";

	fprintf(out, "%s%s", f->name, suffix);
	for (size_t i = 0; i < f->n_labels; i++, sep = ",") {
		fprintf(out, "%s%s=\"", sep, f->labels[i]);
		put_escaped(out, s->values[i], true);
		fputc('"', out);
	}
	if (le) {
		fprintf(out, "%sle=\"%s\"", sep, le);
		sep = ",";
	}
	fprintf(out, "%s %s\n", *sep == ',' ? "}" : "", value);
}

static void put_series(FILE *out, const struct oomn_metrics_series *s)
{
	const struct oomn_metrics_family *f = s->family;
	char num[OOMN_METRICS_NUMBER_MAX], le[OOMN_METRICS_NUMBER_MAX];
	uint64_t cumulative = 0;

	switch (f->kind) {
	case KIND_COUNTER:
		snprintf(num, sizeof(num), "%" PRIu64, s->counter);
		put_sample(out, s, "", NULL, num);
		break;
	case KIND_GAUGE:
		put_sample(out, s, "", NULL, oomn_metrics_format_number(s->value, num));
		break;
	case KIND_HISTOGRAM:
		for (size_t i = 0; i <= f->n_bounds; i++) {
			cumulative += s->buckets[i];
			snprintf(num, sizeof(num), "%" PRIu64, cumulative);
			put_sample(out, s, "_bucket",
				   i < f->n_bounds ? oomn_metrics_format_number(f->bounds[i], le)
						   : "+Inf",
				   num);
		}
		put_sample(out, s, "_sum", NULL, oomn_metrics_format_number(s->value, num));
		snprintf(num, sizeof(num), "%" PRIu64, s->counter);
		put_sample(out, s, "_count", NULL, num);
		break;
	}
}

int oomn_metrics_format(const struct oomn_metrics *m, FILE *out)
{
	for (const struct oomn_metrics_family *f = m->families; f; f = f->next) {
		if (!f->series)
			continue;
		fprintf(out, "# HELP %s ", f->name);
		put_escaped(out, f->help, false);
		fprintf(out, "\n# TYPE %s %s\n", f->name, kind_names[f->kind]);
		for (const struct oomn_metrics_series *s = f->series; s; s = s->next)
			put_series(out, s);
	}
	if (fflush(out) != 0 || ferror(out))
		return errno > 0 ? -errno : -EIO;
	return 0;
}

/* The atomic write ------------------------------------------------------------ */

/* A name linked in a directory until the rename takes it: removed otherwise. */
struct tmp_link {
	int dir_fd;
	char name[NAME_MAX + 1];
	bool linked;
};

static void tmp_link_remove(struct tmp_link *t)
{
	if (t->linked) {
		int saved = errno;

		(void)unlinkat(t->dir_fd, t->name, 0);
		errno = saved;
		t->linked = false;
	}
}

/* ".<base>.<16 hex digits>": hidden, and never "*.prom" (the collector reads those). */
static void tmp_link_name(struct tmp_link *t, const char *base)
{
	uint64_t x;

	if (getrandom(&x, sizeof(x), GRND_NONBLOCK) != sizeof(x)) {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		x = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 30) ^ (uint64_t)getpid() << 48;
	}
	snprintf(t->name, sizeof(t->name), ".%.200s.%016" PRIx64, base, x);
}

/* Creates (@fd < 0) or links (the O_TMPFILE @fd) a hidden name in the directory. */
static int tmp_link_make(struct tmp_link *t, const char *base, int fd, int *ret_fd)
{
	for (int tries = 0; tries < 64; tries++) {
		char proc[64];
		int r;

		tmp_link_name(t, base);
		if (fd < 0) {
			r = openat(t->dir_fd, t->name,
				   O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW,
				   0644);
			if (r >= 0)
				*ret_fd = r;
		} else {
			snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
			r = linkat(AT_FDCWD, proc, t->dir_fd, t->name, AT_SYMLINK_FOLLOW);
			if (r < 0 && errno == ENOENT) /* no /proc: needs CAP_DAC_READ_SEARCH */
				r = linkat(fd, "", t->dir_fd, t->name, AT_EMPTY_PATH);
		}
		if (r >= 0) {
			t->linked = true;
			return 0;
		}
		if (errno != EEXIST)
			return -errno;
	}
	return -EEXIST;
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t k = write(fd, p, len);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += k;
		len -= k;
	}
	return 0;
}

static int render(const struct oomn_metrics *m, char **ret, size_t *ret_len)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	int r;

	{
		_cleanup_fclose_ FILE *f = open_memstream(&text, &len);

		if (!f)
			return -errno;
		r = oomn_metrics_format(m, f);
		if (r < 0)
			return r;
	}
	/* fclose() has set text and len for good. */
	*ret = TAKE_PTR(text);
	*ret_len = len;
	return 0;
}

int oomn_metrics_write_full(const struct oomn_metrics *m, const char *path, unsigned flags)
{
	_cleanup_close_ int dir_fd = -EBADF, fd = -EBADF;
	/* After dir_fd: its cleanup needs the directory still open. */
	_cleanup_(tmp_link_remove) struct tmp_link t = { .dir_fd = -EBADF };
	_cleanup_free_ char *text = NULL, *dir = NULL;
	const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
	size_t len = 0;
	int r;

	if (!*base || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
		return -EISDIR;
	dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
	if (!dir)
		return -ENOMEM;
	r = render(m, &text, &len);
	if (r < 0)
		return r;

	dir_fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dir_fd < 0)
		return -errno;
	t.dir_fd = dir_fd;

	if (!(flags & OOMN_METRICS_WRITE_NO_TMPFILE)) {
		fd = openat(dir_fd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
		/* Older kernels and some file systems: EISDIR, EOPNOTSUPP. */
		if (fd < 0 && errno != EISDIR && errno != EOPNOTSUPP && errno != EINVAL)
			return -errno;
	}
	if (fd < 0) {
		r = tmp_link_make(&t, base, -EBADF, &fd);
		if (r < 0)
			return r;
	}
	if (fchmod(fd, 0644) < 0)
		return -errno;
	r = write_all(fd, text, len);
	if (r < 0)
		return r;
	if (!t.linked) {
		r = tmp_link_make(&t, base, fd, NULL);
		if (r < 0)
			return r;
	}
	if (renameat(dir_fd, t.name, dir_fd, base) < 0)
		return -errno;
	t.linked = false;
	return 0;
}

int oomn_metrics_write(const struct oomn_metrics *m, const char *path)
{
	return oomn_metrics_write_full(m, path, 0);
}
