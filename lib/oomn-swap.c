/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Swap worth and thrashing for the psi and meminfo sources and the killer:
 * see oomn-swap.h. The parsers and decisions first (pure), the reading last.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "oomn-clock.h"
#include "oomn-fileio.h"
#include "oomn-macro.h"
#include "oomn-swap.h"

/* /proc/swaps and /proc/vmstat: a few KiB; far larger is not the file. */
#define OOMN_SWAP_TEXT_MAX (64 * 1024)
/* The least step of swap a zram cost is measured over (oomn_swap_step()). */
#define OOMN_SWAP_STEP_MIN (UINT64_C(1) << 20)
/* The highest minor number a block device can have (MINORMASK). */
#define OOMN_ZRAM_MAX ((1 << 20) - 1)

static bool oomn_is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* "<digits>" exactly, [p, p + len), into *ret; -EBADMSG otherwise. */
static int oomn_swap_parse_u64(const char *p, size_t len, uint64_t *ret)
{
	uint64_t v = 0;

	if (len == 0)
		return -EBADMSG;
	for (size_t i = 0; i < len; i++) {
		unsigned int d;

		if (p[i] < '0' || p[i] > '9')
			return -EBADMSG;
		d = (unsigned int)(p[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -EBADMSG;
		v = v * 10 + d;
	}
	*ret = v;
	return 0;
}

/* The next blank-separated field of [*p, end): its start and length; false
 * at the end of the line. */
static bool oomn_swap_field(const char **p, const char *end, const char **ret, size_t *ret_len)
{
	const char *q = *p;

	while (q < end && oomn_is_blank(*q))
		q++;
	if (q == end)
		return false;
	*ret = q;
	while (q < end && !oomn_is_blank(*q))
		q++;
	*ret_len = (size_t)(q - *ret);
	*p = q;
	return true;
}

/* N of a path whose last component is "zram<N>", else -1. */
static int oomn_swap_zram_number(const char *path, size_t len)
{
	const char *base = path + len;
	uint64_t n;

	while (base > path && base[-1] != '/')
		base--;
	len -= (size_t)(base - path);
	if (len <= 4 || memcmp(base, "zram", 4) != 0)
		return -1;
	if (oomn_swap_parse_u64(base + 4, len - 4, &n) < 0 || n > OOMN_ZRAM_MAX)
		return -1;
	return (int)n;
}

static int oomn_swaps_parse_line(const char *p, const char *end, struct oomn_swap_device *ret)
{
	const char *f[5];
	size_t len[5];
	uint64_t size, used, prio;

	for (int i = 0; i < 5; i++)
		if (!oomn_swap_field(&p, end, &f[i], &len[i]))
			return -EBADMSG;
	/* the priority: a signed int */
	if (len[4] > 1 && f[4][0] == '-') {
		f[4]++;
		len[4]--;
	}
	if (oomn_swap_parse_u64(f[2], len[2], &size) < 0 ||
	    oomn_swap_parse_u64(f[3], len[3], &used) < 0 ||
	    oomn_swap_parse_u64(f[4], len[4], &prio) < 0)
		return -EBADMSG;
	if (size > UINT64_MAX / 1024 || used > size)
		return -EBADMSG;

	ret->size = size * 1024;
	ret->used = used * 1024;
	ret->zram = -1;
	if (len[1] == strlen("partition") && memcmp(f[1], "partition", len[1]) == 0)
		ret->zram = oomn_swap_zram_number(f[0], len[0]);
	return 0;
}

int oomn_swaps_parse(const char *text, struct oomn_swaps *ret)
{
	struct oomn_swaps sw = { .n = 0 };
	const char *p, *nl;
	size_t len;

	if (!text)
		return -EBADMSG;
	len = strlen(text);
	if (len == 0 || text[len - 1] != '\n')
		return -EBADMSG; /* empty or truncated */
	if (strncmp(text, "Filename", strlen("Filename")) != 0)
		return -EBADMSG;

	p = strchr(text, '\n') + 1;
	for (; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		if (sw.n == OOMN_SWAPS_MAX)
			return -EBADMSG;
		if (oomn_swaps_parse_line(p, nl, &sw.dev[sw.n]) < 0)
			return -EBADMSG;
		sw.n++;
	}
	*ret = sw;
	return 0;
}

int oomn_zram_stat_parse(const char *text, struct oomn_zram_stat *ret)
{
	uint64_t v[9] = { 0 };
	unsigned int n = 0;
	const char *p, *end, *f;
	size_t len;

	if (!text)
		return -EBADMSG;
	end = strchr(text, '\n');
	if (!end || end[1] != '\0')
		return -EBADMSG;
	for (p = text; oomn_swap_field(&p, end, &f, &len); n++) {
		uint64_t x;

		if (oomn_swap_parse_u64(f, len, &x) < 0)
			return -EBADMSG;
		if (n < ELEMENTSOF(v))
			v[n] = x;
	}
	if (n < 7)
		return -EBADMSG;

	*ret = (struct oomn_zram_stat){
		.orig_data_size = v[0],
		.compr_data_size = v[1],
		.mem_used_total = v[2],
		.mem_limit = v[3],
		.mem_used_max = v[4],
		.same_pages = v[5],
		.pages_compacted = v[6],
		.huge_pages = v[7],
		.huge_pages_since = v[8],
		.n_fields = n,
	};
	return 0;
}

uint64_t oomn_swap_step(uint64_t mem_total)
{
	uint64_t step = mem_total / 512;

	return step > OOMN_SWAP_STEP_MIN ? step : OOMN_SWAP_STEP_MIN;
}

static void oomn_zram_rebase(struct oomn_zram_marginal *m, uint64_t used,
			     const struct oomn_zram_stat *st)
{
	m->have_base = true;
	m->base_used = used;
	m->base_orig = st->orig_data_size;
	m->base_mem = st->mem_used_total;
}

uint32_t oomn_zram_marginal(struct oomn_zram_marginal *m, uint64_t used,
			    const struct oomn_zram_stat *st, bool mem_short, uint64_t step)
{
	uint64_t orig, mem;

	if (!mem_short) {
		/* plentiful: the next hog's data may compress quite otherwise */
		*m = (struct oomn_zram_marginal){ .cost = 0 };
		if (st)
			oomn_zram_rebase(m, used, st);
		return 0;
	}
	if (!st)
		return m->cost;
	if (!m->have_base || used < m->base_used || st->orig_data_size < m->base_orig) {
		/* given back, freed or reset: only the base moves */
		oomn_zram_rebase(m, used, st);
		return m->cost;
	}
	/*
	 * As the module: over all this shortage took in, first after two
	 * steps (zsmalloc starts a zspage of up to four pages for each size
	 * class it begins to use: the first megabyte of a compressible fill
	 * measured 730 in the VM).
	 */
	if (used - m->base_used < 2 * step)
		return m->cost;

	orig = st->orig_data_size - m->base_orig;
	mem = st->mem_used_total > m->base_mem ? st->mem_used_total - m->base_mem : 0;
	/* nothing more stored for the swap taken (same-filled pages, slots
	 * not yet written): it cost nothing */
	m->cost = orig ? oom_notify_swap_cost(mem, orig, 1, 0) : 0;
	return m->cost;
}

/* a * b / c, rounded down, UINT64_MAX where it does not fit; b, c <= 1000. */
static uint64_t oomn_swap_mul_div(uint64_t a, uint64_t b, uint64_t c)
{
	uint64_t q = a / c, r = a % c;

	if (b && q > (UINT64_MAX - r * b / c) / b)
		return UINT64_MAX;
	return q * b + r * b / c;
}

uint64_t oomn_zram_worth(uint64_t free, uint32_t cost, const struct oomn_zram_stat *st)
{
	uint64_t worth = oom_notify_swap_worth(free, cost), room, cap;

	if (!st || !st->mem_limit || worth == 0)
		return worth;
	room = st->mem_limit > st->mem_used_total ? st->mem_limit - st->mem_used_total : 0;
	if (room == 0)
		return 0; /* at its limit: it takes nothing it must compress */
	if (cost == 0)
		return worth; /* room / 0: no cap */
	/* room holds room / cost of swap data, worth (1 - cost) of it */
	cap = oomn_swap_mul_div(room, OOM_NOTIFY_PERMILLE_MAX - cost, cost);
	return cap < worth ? cap : worth;
}

uint64_t oomn_swaps_worth(const struct oomn_swaps *swaps, const uint32_t *zram_cost,
			  const struct oomn_zram_stat *const *zram_stat, uint64_t swap_free)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < swaps->n; i++) {
		const struct oomn_swap_device *d = &swaps->dev[i];
		uint64_t free = d->size > d->used ? d->size - d->used : 0, w;

		w = d->zram >= 0 ? oomn_zram_worth(free, zram_cost ? zram_cost[i] : 0,
						   zram_stat ? zram_stat[i] : NULL)
				 : free;
		sum = w > UINT64_MAX - sum ? UINT64_MAX : sum + w;
	}
	return sum < swap_free ? sum : swap_free;
}

/* ---- thrashing ------------------------------------------------------- */

int oomn_psi_full_avg10_parse(const char *text, uint32_t *ret_centi)
{
	const char *p, *end;

	if (!text)
		return -EBADMSG;
	for (p = text; *p; p = *end ? end + 1 : end) {
		const char *f;
		size_t len;

		end = strchrnul(p, '\n');
		if (strncmp(p, "full ", 5) != 0)
			continue;
		for (p += 5; oomn_swap_field(&p, end, &f, &len);) {
			const char *dot;
			uint64_t whole, frac = 0;
			size_t wlen, flen = 0;

			if (len < 6 || memcmp(f, "avg10=", 6) != 0)
				continue;
			f += 6;
			len -= 6;
			dot = memchr(f, '.', len);
			wlen = dot ? (size_t)(dot - f) : len;
			if (dot)
				flen = len - wlen - 1;
			/* hundredths: the kernel prints "%lu.%02lu" */
			if (oomn_swap_parse_u64(f, wlen, &whole) < 0 || (dot && flen == 0) ||
			    flen > 2 || (flen && oomn_swap_parse_u64(dot + 1, flen, &frac) < 0))
				return -EBADMSG;
			if (flen == 1)
				frac *= 10;
			if (whole > 100 || whole * 100 + frac > 10000)
				return -EBADMSG;
			*ret_centi = (uint32_t)(whole * 100 + frac);
			return 0;
		}
		return -EBADMSG; /* a full line without avg10 */
	}
	return -EBADMSG;
}

int oomn_vmstat_refaults_parse(const char *text, uint64_t *ret_pages)
{
	uint64_t anon = 0, file = 0, old = 0;
	bool have_split = false, have_old = false;
	const char *p = text;
	size_t len;

	if (!text)
		return -EBADMSG;
	len = strlen(text);
	if (len > 0 && text[len - 1] != '\n')
		return -EBADMSG; /* truncated */

	while (*p) {
		const char *nl = strchr(p, '\n'), *sp = memchr(p, ' ', (size_t)(nl - p));
		uint64_t v;

		if (!sp || sp == p || oomn_swap_parse_u64(sp + 1, (size_t)(nl - sp - 1), &v) < 0)
			return -EBADMSG;
#define KEY_IS(k) ((size_t)(sp - p) == strlen(k) && memcmp(p, k, strlen(k)) == 0)
		if (KEY_IS("workingset_refault_anon")) {
			anon = v;
			have_split = true;
		} else if (KEY_IS("workingset_refault_file")) {
			file = v;
			have_split = true;
		} else if (KEY_IS("workingset_refault")) {
			old = v;
			have_old = true;
		}
#undef KEY_IS
		p = nl + 1;
	}
	if (have_split)
		/* counters wrap: so may their sum, and a wrap reads as a reset */
		*ret_pages = anon + file;
	else if (have_old)
		*ret_pages = old;
	else
		return -ENODATA;
	return 0;
}

bool oomn_memory_short(const struct oom_notify_thresholds *t, uint64_t mem_total,
		       uint64_t mem_available)
{
	return mem_available * OOM_NOTIFY_PERMILLE_MAX < mem_total * t->mem[OOM_NOTIFY_LEVEL_LOW];
}

bool oomn_thrash_psi(struct oomn_thrash *t, uint32_t full_avg10_centi, uint32_t threshold_centi)
{
	t->have_base = false;
	t->hot = 0;
	if (threshold_centi == 0)
		t->on = false; /* turned off */
	else if (full_avg10_centi >= threshold_centi)
		t->on = true;
	else if (full_avg10_centi < threshold_centi / 2)
		t->on = false;
	return t->on;
}

bool oomn_thrash_refaults(struct oomn_thrash *t, uint64_t refault_pages, uint64_t page_size,
			  uint64_t now_usec, uint64_t mem_total)
{
	uint64_t limit, elapsed, pages, rate;

	limit = mem_total / 1000 * OOMN_THRASH_REFAULT_PERMILLE +
		mem_total % 1000 * OOMN_THRASH_REFAULT_PERMILLE / 1000;
	if (limit > OOMN_THRASH_REFAULT_CAP)
		limit = OOMN_THRASH_REFAULT_CAP;
	if (limit == 0) {
		t->on = false;
		t->hot = 0;
	}

	if (!t->have_base || refault_pages < t->base_refaults || now_usec < t->base_usec)
		goto rebase; /* the first sample, a reset or a wrap: not judged */
	elapsed = now_usec - t->base_usec;
	if (elapsed < OOMN_THRASH_SAMPLE_MIN_USEC)
		return t->on; /* too close to tell a rate: wait for the next */

	pages = refault_pages - t->base_refaults;
	/* bytes a second; far beyond any limit where it would not fit */
	if (page_size && pages > UINT64_MAX / page_size / 1000000)
		rate = UINT64_MAX;
	else
		rate = pages * page_size * 1000000 / elapsed;
	if (!limit || rate < limit)
		t->hot = 0;
	else if (t->hot < OOMN_THRASH_REFAULT_HOT)
		t->hot++;
	if (t->hot >= OOMN_THRASH_REFAULT_HOT)
		t->on = true;
	else if (rate < limit / 2)
		t->on = false;
rebase:
	t->have_base = true;
	t->base_refaults = refault_pages;
	t->base_usec = now_usec;
	return t->on;
}

void oomn_thrash_stop(struct oomn_thrash *t)
{
	*t = (struct oomn_thrash){ .on = false };
}

/* ---- reading --------------------------------------------------------- */

void oomn_swap_reader_init(struct oomn_swap_reader *r, const char *proc_root,
			   const char *sysfs_root, oomn_swap_warn_fn warn, void *userdata)
{
	long ps = sysconf(_SC_PAGESIZE);

	*r = (struct oomn_swap_reader){
		.proc_root = proc_root,
		.sysfs_root = sysfs_root,
		.warn = warn,
		.userdata = userdata,
		.page_size = ps > 0 ? (uint64_t)ps : 4096,
	};
	oom_notify_thresholds_default(&r->thresholds);
}

static void oomn_swap_warn(struct oomn_swap_reader *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void oomn_swap_warn(struct oomn_swap_reader *r, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;
	int n;

	if (!r->warn)
		return;
	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n >= 0)
		r->warn(msg, r->userdata);
}

static const char *oomn_swap_proc(const struct oomn_swap_reader *r)
{
	return r->proc_root ?: "/proc";
}

/*
 * The outcome @e of reading and parsing <proc>/<name>, kept in *last (0: it
 * went well): a failure is warned about, saying what it costs (@then), only
 * when it differs from the last one. Returns @e.
 */
static int oomn_swap_note(struct oomn_swap_reader *r, const char *name, int e, int *last,
			  const char *then)
{
	if (e < 0 && e != *last)
		oomn_swap_warn(r, "cannot use %s/%s (%s): %s", oomn_swap_proc(r), name,
			       strerror(-e), then);
	*last = e < 0 ? e : 0;
	return e;
}

/* <root>/<name> into a malloc'ed buffer of OOMN_SWAP_TEXT_MAX + 2 bytes. */
static int oomn_swap_read_big(const char *root, const char *name, char **ret)
{
	_cleanup_free_ char *path = NULL, *buf = NULL;
	int r;

	if (asprintf(&path, "%s/%s", root, name) < 0)
		return -ENOMEM;
	buf = malloc(OOMN_SWAP_TEXT_MAX + 2);
	if (!buf)
		return -ENOMEM;
	r = oomn_read_text(path, buf, OOMN_SWAP_TEXT_MAX + 2);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(buf);
	return 0;
}

static uint64_t *oomn_swap_zram_bit(struct oomn_swap_reader *r, int n, uint64_t *ret_mask)
{
	unsigned int b = n < 256 ? (unsigned int)n : 255;

	*ret_mask = UINT64_C(1) << (b % 64);
	return &r->zram_told[b / 64];
}

/*
 * zramN's mm_stat into *ret; 0, or -errno (warned about once per device,
 * with @cost, what its free swap is counted at meanwhile).
 */
static int oomn_swap_read_zram(struct oomn_swap_reader *r, int n, uint32_t cost,
			       struct oomn_zram_stat *ret)
{
	_cleanup_free_ char *path = NULL;
	uint64_t mask, *told = oomn_swap_zram_bit(r, n, &mask);
	char buf[512];
	int e;

	if (asprintf(&path, "%s/block/zram%d/mm_stat", r->sysfs_root ?: "/sys", n) < 0)
		return -ENOMEM;
	e = oomn_read_text(path, buf, sizeof(buf));
	if (e >= 0)
		e = oomn_zram_stat_parse(buf, ret);
	if (e >= 0) {
		*told &= ~mask;
		return 0;
	}
	if (!(*told & mask))
		oomn_swap_warn(r,
			       "cannot use %s (%s): free swap on /dev/zram%d counts at the last "
			       "cost measured (%u per-mille now, 0 until one is), with no "
			       "memory limit",
			       path, strerror(-e), n, (unsigned)cost);
	*told |= mask;
	return e;
}

/* zramN's state from the last read, else a new one (cost 0). */
static struct oomn_zram_marginal oomn_swap_zram_last(const struct oomn_swap_reader *r, int n)
{
	for (size_t i = 0; i < r->n_zram; i++)
		if (r->zram[i].zram == n)
			return r->zram[i].m;
	return (struct oomn_zram_marginal){ .cost = 0 };
}

uint64_t oomn_swap_reader_worth(struct oomn_swap_reader *r, const struct oomn_meminfo *mi)
{
	_cleanup_free_ char *text = NULL;
	struct oomn_swaps sw;
	struct oomn_zram_stat st[OOMN_SWAPS_MAX];
	const struct oomn_zram_stat *stp[OOMN_SWAPS_MAX];
	uint32_t cost[OOMN_SWAPS_MAX];
	struct oomn_swap_zram zram[OOMN_SWAPS_MAX];
	size_t n_zram = 0;
	bool mem_short;
	uint64_t step;
	int e;

	/* no swap: nothing to read, nothing it is worth (and no zram to keep) */
	if (mi->swap_total == 0) {
		r->n_zram = 0;
		return 0;
	}

	r->swaps_reads++;
	e = oomn_swap_read_big(oomn_swap_proc(r), "swaps", &text);
	if (e >= 0)
		e = oomn_swaps_parse(text, &sw);
	if (oomn_swap_note(r, "swaps", e, &r->swaps_error,
			   "free swap counts whole, as on a disk, whatever zram holds it") < 0)
		return mi->swap_free;

	mem_short = oomn_memory_short(&r->thresholds, mi->mem_total, mi->mem_available);
	step = oomn_swap_step(mi->mem_total);
	for (size_t i = 0; i < sw.n; i++) {
		struct oomn_zram_marginal m;
		int n = sw.dev[i].zram;
		size_t j;

		stp[i] = NULL;
		cost[i] = 0;
		if (n < 0)
			continue;
		/* listed twice (not by the kernel): measured once */
		for (j = 0; j < n_zram && zram[j].zram != n; j++)
			;
		m = j < n_zram ? zram[j].m : oomn_swap_zram_last(r, n);
		/*
		 * mm_stat unreadable: the last cost measured stays, 0 if none,
		 * as for a device where no step has been taken yet. Not 1000:
		 * that would make a hog whose pages compress well critical
		 * before it swapped a page (measured in the VM); the last
		 * measure is the best there is of what is swapped now, and
		 * forgotten as any other once memory is plentiful.
		 */
		if (oomn_swap_read_zram(r, n, m.cost, &st[i]) >= 0)
			stp[i] = &st[i];
		if (j < n_zram) {
			cost[i] = m.cost;
			continue;
		}
		cost[i] = oomn_zram_marginal(&m, sw.dev[i].used, stp[i], mem_short, step);
		zram[n_zram++] = (struct oomn_swap_zram){ .zram = n, .m = m };
	}
	memcpy(r->zram, zram, n_zram * sizeof(zram[0]));
	r->n_zram = n_zram;
	return oomn_swaps_worth(&sw, cost, stp, mi->swap_free);
}

bool oomn_swap_reader_thrashing(struct oomn_swap_reader *r, const struct oom_notify_thresholds *t,
				const struct oomn_meminfo *mi)
{
	_cleanup_free_ char *path = NULL, *vmstat = NULL;
	char buf[512];
	uint32_t centi;
	uint64_t pages;
	int e;

	if (!oomn_memory_short(t, mi->mem_total, mi->mem_available)) {
		oomn_thrash_stop(&r->thrash);
		return false;
	}

	if (asprintf(&path, "%s/pressure/memory", oomn_swap_proc(r)) < 0)
		return r->thrash.on;
	r->thrash_reads++;
	e = oomn_read_text(path, buf, sizeof(buf));
	if (e >= 0)
		e = oomn_psi_full_avg10_parse(buf, &centi);
	if (e >= 0) {
		r->psi_error = 0;
		return oomn_thrash_psi(&r->thrash, centi, OOMN_THRASH_PSI_FULL_CENTI);
	}
	/* no PSI in this kernel (ENOENT), or turned off (psi=0: EOPNOTSUPP) */
	if (e != -ENOENT && e != -EOPNOTSUPP && e != r->psi_error)
		oomn_swap_warn(r, "cannot use %s (%s); telling thrashing by %s/vmstat instead",
			       path, strerror(-e), oomn_swap_proc(r));
	r->psi_error = e;

	e = oomn_swap_read_big(oomn_swap_proc(r), "vmstat", &vmstat);
	if (e >= 0)
		e = oomn_vmstat_refaults_parse(vmstat, &pages);
	if (oomn_swap_note(r, "vmstat", e, &r->vmstat_error,
			   "thrashing cannot be told and counts as none") < 0) {
		oomn_thrash_stop(&r->thrash);
		return false;
	}
	return oomn_thrash_refaults(&r->thrash, pages, r->page_size, oomn_now_usec(CLOCK_MONOTONIC),
				    mi->mem_total);
}
