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
 *    worth free * (1 - cost), the cost being the marginal one, as the module
 *    measures it: what the data being swapped now costs, over each step of
 *    swap taken in while memory is short, 0 until then and again once memory
 *    is plentiful (oomn_zram_marginal()). A disk partition or a swap file is
 *    worth all of its free space.
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
 * newline. An empty device (orig_data_size 0) is valid. *ret is only
 * written on success.
 */
int oomn_zram_stat_parse(const char *text, struct oomn_zram_stat *ret);

/*
 * How far a zram device's used swap must move before its cost is measured
 * again: max(1 MiB, MemTotal / 512), the module's step
 * (oom_notify_swap_step()). Less says little: a few pages against the
 * allocator's own.
 */
uint64_t oomn_swap_step(uint64_t mem_total);

/*
 * What a zram device's swap costs, as the module measures it
 * (kernel/oom_notify_swap.c) but from the device's own figures: the base is
 * the sample the cost was last measured at (or forgotten at).
 */
struct oomn_zram_marginal {
	bool have_base;
	uint64_t base_used; /* bytes, its Used in /proc/swaps */
	uint64_t base_orig; /* mm_stat orig_data_size */
	uint64_t base_mem;  /* mm_stat mem_used_total */
	uint32_t cost;	    /* per-mille, 0..1000 */
};

/*
 * One sample of a zram device (pure): its Used in /proc/swaps (@used) and
 * its mm_stat (@st; NULL when it could not be read), whether memory is short
 * (oomn_memory_short()), and the step (oomn_swap_step()). Updates *@m and
 * returns the cost now:
 *
 *  - memory not short: forgotten, cost 0, the sample is the base (what was
 *    swapped before says nothing about the next hog's data);
 *  - no base yet: the sample becomes it, the cost stays (0 for a new
 *    device: free swap counts whole until a step has been taken in);
 *  - used swap below the base (swap given back), or orig_data_size below it
 *    (data freed or the device reset: the deltas mix what went out with
 *    what came in): the sample becomes the base, the cost stays;
 *  - used swap grown by @step or more: cost = Delta mem_used_total /
 *    Delta orig_data_size (oom_notify_swap_cost(), 0..1000; a RAM use that
 *    went down counts as 0; orig_data_size that did not grow costs 0), and
 *    the sample becomes the base;
 *  - less than a step: nothing changes.
 *
 * @st NULL: the cost stays while memory is short (the base too, for when it
 * can be read again); with memory plentiful it is forgotten, with no base.
 */
uint32_t oomn_zram_marginal(struct oomn_zram_marginal *m, uint64_t used,
			    const struct oomn_zram_stat *st, bool mem_short, uint64_t step);

/*
 * What @free bytes of a zram device are worth at @cost_permille:
 * free * (1000 - cost) / 1000, and with a memory limit (@st->mem_limit > 0)
 * no more than it still allows: the room = max(mem_limit - mem_used_total,
 * 0) bytes of RAM left hold room * 1000 / cost of swap data, worth
 * room * (1000 - cost) / cost net of their cost. At cost 0 the room caps
 * nothing (free counts whole), unless there is none left: a device at its
 * limit refuses what it would have to compress, worth 0. @st NULL: mm_stat
 * unknown, no limit known either.
 */
uint64_t oomn_zram_worth(uint64_t free, uint32_t cost_permille, const struct oomn_zram_stat *st);

/*
 * The worth of all devices: zram ones by oomn_zram_worth() at @zram_cost[i]
 * (NULL: 0 for all) with @zram_stat[i] (NULL: unknown), every other device's
 * free space whole. zswap needs no figures of its own: when its pool is full
 * it writes back to the disk swap beneath it, so free disk swap is what it
 * can still take in, and it is counted whole. The sum is capped at
 * @swap_free (/proc/meminfo's SwapFree, read separately: a device added or
 * removed between the two reads must not make swap worth more than is
 * free).
 */
uint64_t oomn_swaps_worth(const struct oomn_swaps *swaps, const uint32_t *zram_cost,
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
	/* when memory is short (the zram costs are forgotten otherwise):
	 * oom_notify_thresholds_default() until the owner sets its own */
	struct oom_notify_thresholds thresholds;
	struct oomn_thrash thrash;
	/* the zram devices of the last /proc/swaps read and their costs; a
	 * device that leaves it is forgotten (a reset needs a swapoff), one
	 * that comes (back) starts at cost 0 */
	size_t n_zram;
	struct oomn_swap_zram {
		int zram; /* N of /dev/zramN */
		struct oomn_zram_marginal m;
	} zram[OOMN_SWAPS_MAX];
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
 * each zram device's <sysfs_root>/block/zramN/mm_stat, and measures each
 * zram device's marginal cost (oomn_zram_marginal(), memory short by
 * r->thresholds). Never fails: a zram device whose mm_stat cannot be read or
 * parsed keeps the last cost measured (0 if none) and no memory limit; when
 * /proc/swaps cannot be read, SwapFree counts whole, as before this was
 * measured (which devices hold it is unknown, and counting a disk's free
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
