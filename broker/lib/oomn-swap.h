/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What swap is worth and whether the machine thrashes, for the sources that
 * work without the module (psi, meminfo) and for the killer's own reads.
 * The module measures both itself (kernel/oom_notify_swap.c); user space can
 * read them exactly:
 *
 *  - swap worth: what free swap can still take in, net of its own RAM cost.
 *    /proc/swaps lists the devices; a zram device (/dev/zramN) stores
 *    compressed pages in RAM, and its mm_stat says how much RAM
 *    (mem_used_total) holds how much data (orig_data_size). Its free space is
 *    worth free * (1 - cost); a disk partition or a swap file is worth all of
 *    its free space.
 *  - thrashing: with PSI, the "full" avg10 of <proc>/pressure/memory (every
 *    task stalled on memory) at 10 % or more, ending below half of it;
 *    without, workingset refaults (/proc/vmstat) as the module counts them:
 *    two samples in a row at 2 % of MemTotal a second or more (capped at
 *    16 MiB/s) start it, one below half of that ends it. Sampled only while
 *    MemAvailable is below the low threshold.
 *
 * The parsers and the decisions are pure (text or samples in, figures out)
 * and unit-tested; struct oomn_swap_reader does the reading, keeps what the
 * decisions need between reads and tells each kind of trouble once.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "oom_notify_level.h"
#include "oomn-meminfo.h"

/* ---- /proc/swaps ----------------------------------------------------- */

/* The kernel allows fewer (MAX_SWAPFILES); more lines are not /proc/swaps. */
#define OOMN_SWAPS_MAX 32

struct oomn_swap_device {
	uint64_t size; /* bytes */
	uint64_t used; /* bytes, at most size */
	int zram;      /* N of a block device /dev/zramN; -1 for anything else */
};

struct oomn_swaps {
	size_t n;
	struct oomn_swap_device dev[OOMN_SWAPS_MAX];
};

/*
 * Parses /proc/swaps: a header line starting "Filename", then one line per
 * device, "<path> <type> <size kB> <used kB> <priority>" separated by blanks
 * (the kernel escapes blanks inside the path), each ending in a newline.
 * A device is zram when its type is "partition" and the last component of its
 * path is "zram" and digits. Returns 0; -EBADMSG for a missing header, a line
 * with too few fields, a number that is not one or does not fit in bytes,
 * Used above Size, more than OOMN_SWAPS_MAX devices or a missing final
 * newline. *ret is only written on success.
 */
int oomn_swaps_parse(const char *text, struct oomn_swaps *ret);

/* ---- zram mm_stat ---------------------------------------------------- */

struct oomn_zram_stat {
	uint64_t orig_data_size;  /* bytes of data stored (uncompressed) */
	uint64_t compr_data_size; /* bytes after compression */
	uint64_t mem_used_total;  /* bytes of RAM the device uses, overhead included */
	uint64_t mem_limit;	  /* bytes; 0: no limit */
	uint64_t mem_used_max;
	uint64_t same_pages;
	uint64_t pages_compacted;
	uint64_t huge_pages;	   /* since 4.19; 0 before */
	uint64_t huge_pages_since; /* since 5.15; 0 before */
	unsigned int n_fields;	   /* 7, 8, 9 (or more from a newer kernel) */
};

/*
 * Parses /sys/block/zramN/mm_stat: one line of at least 7 decimal numbers
 * separated by blanks, ending in a newline; fields after the ninth are
 * ignored (a newer kernel may add some). Returns 0; -EBADMSG for fewer than 7
 * fields, anything but digits, a number above UINT64_MAX or a missing
 * newline. An empty device (orig_data_size 0) is valid: there is nothing to
 * tell its cost by yet (oomn_zram_cost()). *ret is only written on success.
 */
int oomn_zram_stat_parse(const char *text, struct oomn_zram_stat *ret);

/*
 * Below this much data stored, a zram device's ratio says little (a few
 * pages of metadata against a few pages of data).
 */
#define OOMN_ZRAM_MIN_STORED (UINT64_C(1) << 20)
/*
 * The cost assumed until there is data to tell it by, or when mm_stat cannot
 * be read: 1000 per-mille, as if nothing compressed, so free zram space is
 * worth nothing. Conservative on purpose: a wrong guess this way reports
 * pressure earlier (on MemAvailable alone, as with no swap), never later;
 * the other way, zram filling with data that does not compress looked like
 * plenty of swap until the kernel's OOM killer came first.
 */
#define OOMN_ZRAM_COST_UNKNOWN OOM_NOTIFY_PERMILLE_MAX

/*
 * The RAM cost of a page stored on the device, per-mille: mem_used_total /
 * orig_data_size, clamped to 0..1000; OOMN_ZRAM_COST_UNKNOWN when @st is NULL
 * or less than OOMN_ZRAM_MIN_STORED is stored.
 */
uint32_t oomn_zram_cost(const struct oomn_zram_stat *st);

/*
 * What @free bytes of a zram device are worth: free * (1 - cost), and with a
 * memory limit (mem_limit > 0) no more than the limit still allows: the
 * (mem_limit - mem_used_total) bytes of RAM left hold that over cost of swap
 * data, worth room * (1 - cost) / cost net of their cost. @st NULL: mm_stat
 * unknown, worth 0 (OOMN_ZRAM_COST_UNKNOWN).
 */
uint64_t oomn_zram_worth(uint64_t free, const struct oomn_zram_stat *st);

/*
 * The worth of all devices: zram ones by oomn_zram_worth() with @zram_stat[i]
 * (NULL: unknown), every other device's free space whole. zswap needs no
 * figures of its own: when its pool is full it writes back to the disk swap
 * beneath it, so free disk swap is what it can still take in, and it is
 * counted whole. The sum is capped at @swap_free (/proc/meminfo's SwapFree,
 * read separately: a device added or removed between the two reads must not
 * make swap worth more than is free).
 */
uint64_t oomn_swaps_worth(const struct oomn_swaps *swaps,
			  const struct oomn_zram_stat *const *zram_stat, uint64_t swap_free);

/* ---- thrashing ------------------------------------------------------- */

/* PSI "full" avg10 at which thrashing starts: 10.00 %, in hundredths. */
#define OOMN_THRASH_PSI_FULL_CENTI 1000
/*
 * Refaults per second, per-mille of MemTotal, their cap, and how many
 * samples in a row must reach them: the module's (thrash_permille). A hog
 * growing into disk swap makes refaults in bursts of a second; a working set
 * read over and over makes them all the time.
 */
#define OOMN_THRASH_REFAULT_PERMILLE 20
#define OOMN_THRASH_REFAULT_CAP	     (UINT64_C(16) << 20)
#define OOMN_THRASH_REFAULT_HOT	     2
/* Refault samples closer together than this are not judged. */
#define OOMN_THRASH_SAMPLE_MIN_USEC UINT64_C(500000)

/*
 * Parses <proc>/pressure/memory and returns the "full" line's avg10 in
 * hundredths of a percent ("full avg10=12.34 ..." gives 1234). -EBADMSG when
 * there is no full line, no avg10 on it, it is not a number or above 100.
 */
int oomn_psi_full_avg10_parse(const char *text, uint32_t *ret_centi);

/*
 * Parses /proc/vmstat: workingset_refault_anon + workingset_refault_file
 * (pages), or workingset_refault where the kernel (before 5.9) has only that.
 * -ENODATA when none is there; -EBADMSG for a malformed line (key, one blank,
 * digits, newline) or a number above UINT64_MAX.
 */
int oomn_vmstat_refaults_parse(const char *text, uint64_t *ret_pages);

struct oomn_thrash {
	bool on;
	unsigned int hot;	/* refault samples in a row at the rate */
	bool have_base;		/* the refault rate's starting point */
	uint64_t base_refaults; /* pages */
	uint64_t base_usec;	/* CLOCK_MONOTONIC */
};

/*
 * Whether memory is short enough for swap and thrashing to decide a level:
 * MemAvailable below the low memory threshold. Above it they cannot, so
 * nothing is sampled (no extra reads, no wake-ups).
 */
bool oomn_memory_short(const struct oom_notify_thresholds *t, uint64_t mem_total,
		       uint64_t mem_available);

/*
 * One PSI sample: thrashing starts at @full_avg10_centi >= @threshold_centi
 * and ends below half of it. Forgets any refault base. Returns the state.
 */
bool oomn_thrash_psi(struct oomn_thrash *t, uint32_t full_avg10_centi, uint32_t threshold_centi);

/*
 * One refault sample: the rate since the base is judged once the base is
 * OOMN_THRASH_SAMPLE_MIN_USEC old (closer samples leave everything as it is);
 * thrashing starts when OOMN_THRASH_REFAULT_HOT judged samples in a row reach
 * min(@mem_total * 20 / 1000, 16 MiB) bytes a second, and ends with one below
 * half of that; the sample becomes the base. The first
 * sample only sets the base. A counter below the base (a reset, or a wrap of
 * a 32-bit kernel's counter: the two look alike) or a clock going back is not
 * judged: the sample becomes the base and the state stays. Returns the state.
 */
bool oomn_thrash_refaults(struct oomn_thrash *t, uint64_t refault_pages, uint64_t page_size,
			  uint64_t now_usec, uint64_t mem_total);

/* Memory is no longer short: forget the samples, stop thrashing. */
void oomn_thrash_stop(struct oomn_thrash *t);

/* ---- reading --------------------------------------------------------- */

/* A warning for the caller's log, e.g. the source's on_warning. */
typedef void (*oomn_swap_warn_fn)(const char *what, void *userdata);

struct oomn_swap_reader {
	const char *proc_root;	/* NULL: /proc; not copied */
	const char *sysfs_root; /* NULL: /sys; not copied */
	oomn_swap_warn_fn warn; /* may be NULL */
	void *userdata;
	uint64_t page_size;
	struct oomn_thrash thrash;
	/* what was told already: each trouble once, until it clears */
	int swaps_error;
	int psi_error;
	int vmstat_error;
	uint64_t zram_told[4]; /* bit N: zramN's mm_stat (N < 256; above, bit 255) */
	/* for the tests and statistics */
	uint64_t swaps_reads;  /* <proc_root>/swaps */
	uint64_t thrash_reads; /* pressure/memory or vmstat */
};

void oomn_swap_reader_init(struct oomn_swap_reader *r, const char *proc_root,
			   const char *sysfs_root, oomn_swap_warn_fn warn, void *userdata);

/*
 * What free swap is worth now, bytes, for a reading of /proc/meminfo. Reads
 * nothing without swap (SwapTotal 0: worth 0). Reads <proc_root>/swaps and
 * each zram device's <sysfs_root>/block/zramN/mm_stat. Never fails: a zram
 * device whose mm_stat cannot be read or parsed counts at cost 1000 (worth
 * nothing); when /proc/swaps cannot, SwapFree counts whole, as before this
 * was measured (which devices hold it is unknown, and counting a disk's free
 * swap as nothing would have the killer act with plenty of swap left). Both
 * are warned about once.
 */
uint64_t oomn_swap_reader_worth(struct oomn_swap_reader *r, const struct oomn_meminfo *mi);

/*
 * Whether the machine thrashes, sampled now: only while memory is short
 * (oomn_memory_short()), else the samples are forgotten and the answer is
 * false without reading anything. From <proc_root>/pressure/memory where it
 * is readable, else from <proc_root>/vmstat; false (warned about once) when
 * neither works.
 */
bool oomn_swap_reader_thrashing(struct oomn_swap_reader *r, const struct oom_notify_thresholds *t,
				const struct oomn_meminfo *mi);
