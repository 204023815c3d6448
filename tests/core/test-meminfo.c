/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

#include "oomn-meminfo.h"

/* A 6.1 laptop with a swap partition in use (complete file). */
static const char sample_swap[] =
	"MemTotal:       16318412 kB\n"
	"MemFree:          512340 kB\n"
	"MemAvailable:    2209876 kB\n"
	"Buffers:          101204 kB\n"
	"Cached:          2456780 kB\n"
	"SwapCached:       210012 kB\n"
	"Active:         10234512 kB\n"
	"Inactive:        4321876 kB\n"
	"Active(anon):    9012344 kB\n"
	"Inactive(anon):  2123456 kB\n"
	"Active(file):    1222168 kB\n"
	"Inactive(file):  2198420 kB\n"
	"Unevictable:      123456 kB\n"
	"Mlocked:               0 kB\n"
	"SwapTotal:       8388604 kB\n"
	"SwapFree:        3145724 kB\n"
	"Zswap:                 0 kB\n"
	"Zswapped:              0 kB\n"
	"Dirty:              1234 kB\n"
	"Writeback:             0 kB\n"
	"AnonPages:      11000000 kB\n"
	"Mapped:           800000 kB\n"
	"Shmem:            400000 kB\n"
	"KReclaimable:     300000 kB\n"
	"Slab:             500000 kB\n"
	"SReclaimable:     300000 kB\n"
	"SUnreclaim:       200000 kB\n"
	"KernelStack:       20000 kB\n"
	"PageTables:        80000 kB\n"
	"SecPageTables:         0 kB\n"
	"NFS_Unstable:          0 kB\n"
	"Bounce:                0 kB\n"
	"WritebackTmp:          0 kB\n"
	"CommitLimit:    16547808 kB\n"
	"Committed_AS:   30123456 kB\n"
	"VmallocTotal:   34359738367 kB\n"
	"VmallocUsed:       60000 kB\n"
	"VmallocChunk:          0 kB\n"
	"Percpu:             8000 kB\n"
	"HardwareCorrupted:     0 kB\n"
	"AnonHugePages:         0 kB\n"
	"ShmemHugePages:        0 kB\n"
	"ShmemPmdMapped:        0 kB\n"
	"FileHugePages:         0 kB\n"
	"FilePmdMapped:         0 kB\n"
	"HugePages_Total:       0\n"
	"HugePages_Free:        0\n"
	"HugePages_Rsvd:        0\n"
	"HugePages_Surp:        0\n"
	"Hugepagesize:       2048 kB\n"
	"Hugetlb:               0 kB\n"
	"DirectMap4k:      400000 kB\n"
	"DirectMap2M:    12000000 kB\n"
	"DirectMap1G:     5242880 kB\n";

/* A VM without swap, trimmed: the swap lines say 0. */
static const char sample_noswap[] =
	"MemTotal:         985432 kB\n"
	"MemFree:           61234 kB\n"
	"MemAvailable:      98765 kB\n"
	"Buffers:            1000 kB\n"
	"Cached:            50000 kB\n"
	"SwapTotal:             0 kB\n"
	"SwapFree:              0 kB\n"
	"HugePages_Total:       0\n";

/* Only the two mandatory fields; no swap lines at all. */
static const char sample_minimal[] = "MemTotal: 2048 kB\n"
				     "MemAvailable: 1024 kB\n";

static void test_parse_samples(void)
{
	struct oomn_meminfo m;

	g_assert_cmpint(oomn_meminfo_parse(sample_swap, &m), ==, 0);
	g_assert_cmpuint(m.mem_total, ==, 16318412ULL * 1024);
	g_assert_cmpuint(m.mem_free, ==, 512340ULL * 1024);
	g_assert_cmpuint(m.mem_available, ==, 2209876ULL * 1024);
	g_assert_cmpuint(m.swap_total, ==, 8388604ULL * 1024);
	g_assert_cmpuint(m.swap_free, ==, 3145724ULL * 1024);

	g_assert_cmpint(oomn_meminfo_parse(sample_noswap, &m), ==, 0);
	g_assert_cmpuint(m.mem_total, ==, 985432ULL * 1024);
	g_assert_cmpuint(m.mem_free, ==, 61234ULL * 1024);
	g_assert_cmpuint(m.mem_available, ==, 98765ULL * 1024);
	g_assert_cmpuint(m.swap_total, ==, 0);
	g_assert_cmpuint(m.swap_free, ==, 0);

	memset(&m, 0xaa, sizeof(m));
	g_assert_cmpint(oomn_meminfo_parse(sample_minimal, &m), ==, 0);
	g_assert_cmpuint(m.mem_total, ==, 2048ULL * 1024);
	g_assert_cmpuint(m.mem_available, ==, 1024ULL * 1024);
	g_assert_cmpuint(m.mem_free, ==, 0);
	g_assert_cmpuint(m.swap_total, ==, 0);
	g_assert_cmpuint(m.swap_free, ==, 0);
}

static void test_parse_limits(void)
{
	struct oomn_meminfo m;
	/* The largest kB value that still fits in bytes. */
	g_autofree char *max = g_strdup_printf("MemTotal: %" G_GUINT64_FORMAT " kB\n"
					       "MemAvailable: 0 kB\n",
					       G_MAXUINT64 / 1024);
	g_autofree char *over = g_strdup_printf("MemTotal: %" G_GUINT64_FORMAT " kB\n"
						"MemAvailable: 0 kB\n",
						G_MAXUINT64 / 1024 + 1);
	/* Other lines may hold any u64, they are not scaled. */
	g_autofree char *other = g_strdup_printf("MemTotal: 1 kB\nMemAvailable: 1 kB\n"
						 "VmallocTotal: %" G_GUINT64_FORMAT " kB\n",
						 G_MAXUINT64);

	g_assert_cmpint(oomn_meminfo_parse(max, &m), ==, 0);
	g_assert_cmpuint(m.mem_total, ==, (G_MAXUINT64 / 1024) * 1024);
	g_assert_cmpint(oomn_meminfo_parse(over, &m), ==, -EBADMSG);
	g_assert_cmpint(oomn_meminfo_parse(other, &m), ==, 0);
	g_assert_cmpuint(m.mem_total, ==, 1024);
	/* Tabs count as blanks, as do many spaces; zero is a value. */
	g_assert_cmpint(oomn_meminfo_parse("MemTotal:\t8 kB\nMemAvailable:0 kB\n", &m), ==, 0);
	g_assert_cmpuint(m.mem_total, ==, 8192);
	g_assert_cmpuint(m.mem_available, ==, 0);
}

static void test_parse_bad(void)
{
	static const struct {
		const char *text;
		int error;
	} cases[] = {
		{ "", -ENODATA },
		{ "MemTotal: 1024 kB\n", -ENODATA },
		{ "MemAvailable: 1024 kB\n", -ENODATA },
		{ "MemFree: 1 kB\nSwapTotal: 0 kB\n", -ENODATA },
		/* truncated: no final newline, cut in a number, a key, a unit */
		{ "MemTotal: 1024 kB\nMemAvailable: 512 kB", -EBADMSG },
		{ "MemTotal: 1024 kB\nMemAvailable: 51", -EBADMSG },
		{ "MemTotal: 1024 kB\nMemAvail", -EBADMSG },
		{ "MemTotal: 1024 kB\nMemAvailable: 512 k\n", -EBADMSG },
		/* missing or wrong unit on a field we use */
		{ "MemTotal: 1024\nMemAvailable: 512 kB\n", -EBADMSG },
		{ "MemTotal: 1024 kB\nMemAvailable: 512 MB\n", -EBADMSG },
		{ "MemTotal: 1024 kB\nMemAvailable: 512 kB \n", -EBADMSG },
		{ "MemTotal: 1024 kB\nMemAvailable: 512  kB\n", -EBADMSG },
		{ "MemTotal: 1024 kB\nMemAvailable: 512kB\n", -EBADMSG },
		{ "MemTotal: 1024 kB\nMemAvailable: 512 kB\nSwapFree: 1\n", -EBADMSG },
		/* numbers */
		{ "MemTotal: -1024 kB\nMemAvailable: 512 kB\n", -EBADMSG },
		{ "MemTotal: +1024 kB\nMemAvailable: 512 kB\n", -EBADMSG },
		{ "MemTotal: 0x400 kB\nMemAvailable: 512 kB\n", -EBADMSG },
		{ "MemTotal: 1e3 kB\nMemAvailable: 512 kB\n", -EBADMSG },
		{ "MemTotal:  kB\nMemAvailable: 512 kB\n", -EBADMSG },
		{ "MemTotal:\nMemAvailable: 512 kB\n", -EBADMSG },
		{ "MemTotal: 18446744073709551616 kB\nMemAvailable: 1 kB\n", -EBADMSG },
		{ "MemTotal: 99999999999999999999999 kB\nMemAvailable: 1 kB\n", -EBADMSG },
		{ "MemTotal: 1 kB\nMemAvailable: 1 kB\nFoo: 18446744073709551616 kB\n",
		  -EBADMSG },
		{ "MemTotal: 0 kB\nMemAvailable: 0 kB\n", -EBADMSG },
		/* garbage lines anywhere */
		{ "garbage\nMemTotal: 1024 kB\nMemAvailable: 512 kB\n", -EBADMSG },
		{ "MemTotal: 1024 kB\n\nMemAvailable: 512 kB\n", -EBADMSG },
		{ "MemTotal: 1024 kB\nMemAvailable: 512 kB\n\n", -EBADMSG },
		{ ": 1 kB\nMemTotal: 1024 kB\nMemAvailable: 512 kB\n", -EBADMSG },
		{ "Mem Total: 1024 kB\nMemAvailable: 512 kB\n", -EBADMSG },
		{ " MemTotal: 1024 kB\nMemAvailable: 512 kB\n", -EBADMSG },
		{ "MemTotal 1024 kB\nMemAvailable: 512 kB\n", -EBADMSG },
		{ "\n", -EBADMSG },
		{ "\xff\xfe\x00\n", -EBADMSG }, /* stops at the NUL: no newline */
		{ "\xff\xfe\n", -EBADMSG },
		/* a field twice */
		{ "MemTotal: 1024 kB\nMemTotal: 2048 kB\nMemAvailable: 512 kB\n", -EBADMSG },
		/* a key that only starts like ours is another key */
		{ "MemTotalX: 1024 kB\nMemAvailable: 512 kB\n", -ENODATA },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct oomn_meminfo m = { .mem_total = 4242 };
		g_autofree char *escaped = g_strescape(cases[i].text, NULL);

		g_test_message("case %zu: %s", i, escaped);
		g_assert_cmpint(oomn_meminfo_parse(cases[i].text, &m), ==, cases[i].error);
		/* Untouched on failure. */
		g_assert_cmpuint(m.mem_total, ==, 4242);
	}
}

struct proc_fixture {
	char *root;
	char *path;
};

static void proc_setup(struct proc_fixture *f, gconstpointer data)
{
	GError *error = NULL;

	f->root = g_dir_make_tmp("oomn-proc-XXXXXX", &error);
	g_assert_no_error(error);
	f->path = g_build_filename(f->root, "meminfo", NULL);
}

static void proc_teardown(struct proc_fixture *f, gconstpointer data)
{
	(void)g_unlink(f->path);
	g_assert_cmpint(g_rmdir(f->root), ==, 0);
	g_free(f->path);
	g_free(f->root);
}

static void proc_write(struct proc_fixture *f, const char *data, gssize len)
{
	GError *error = NULL;

	g_file_set_contents(f->path, data, len, &error);
	g_assert_no_error(error);
}

static void test_read(struct proc_fixture *f, gconstpointer data)
{
	struct oomn_meminfo m;

	proc_write(f, sample_swap, -1);
	g_assert_cmpint(oomn_meminfo_read(f->root, &m), ==, 0);
	g_assert_cmpuint(m.mem_total, ==, 16318412ULL * 1024);
	g_assert_cmpuint(m.swap_free, ==, 3145724ULL * 1024);

	/* Truncated mid-line. */
	proc_write(f, sample_swap, 100);
	g_assert_cmpint(oomn_meminfo_read(f->root, &m), ==, -EBADMSG);

	/* Empty. */
	proc_write(f, "", 0);
	g_assert_cmpint(oomn_meminfo_read(f->root, &m), ==, -ENODATA);

	/* An embedded NUL must not hide what follows it. */
	static const char nul[] = "MemTotal: 1 kB\nMemAvailable: 1 kB\n\0garbage\n";

	proc_write(f, nul, sizeof(nul) - 1);
	g_assert_cmpint(oomn_meminfo_read(f->root, &m), ==, -EBADMSG);
}

static void test_read_large(struct proc_fixture *f, gconstpointer data)
{
	struct oomn_meminfo m;
	GString *s = g_string_new(sample_noswap);

	while (s->len <= 64 * 1024)
		g_string_append(s, "Filler:                1 kB\n");
	proc_write(f, s->str, s->len);
	g_assert_cmpint(oomn_meminfo_read(f->root, &m), ==, -EFBIG);
	g_string_free(s, TRUE);
}

static void test_read_missing(struct proc_fixture *f, gconstpointer data)
{
	struct oomn_meminfo m;

	g_assert_cmpint(oomn_meminfo_read(f->root, &m), ==, -ENOENT);
	g_assert_cmpint(oomn_meminfo_read("/nonexistent-oomn", &m), ==, -ENOENT);
}

static void test_read_proc(void)
{
	struct oomn_meminfo m;
	int r;

	if (!g_file_test("/proc/meminfo", G_FILE_TEST_EXISTS)) {
		g_test_skip("no /proc/meminfo");
		return;
	}
	/* The real thing must parse, whatever the kernel. */
	r = oomn_meminfo_read(NULL, &m);
	g_assert_cmpint(r, ==, 0);
	g_assert_cmpuint(m.mem_total, >, 0);
	g_assert_cmpuint(m.mem_available, <=, m.mem_total);
	g_assert_cmpuint(m.swap_free, <=, m.swap_total);
}

int main(int argc, char *argv[])
{
	g_test_init(&argc, &argv, NULL);

	g_test_add_func("/core/meminfo/parse", test_parse_samples);
	g_test_add_func("/core/meminfo/parse/limits", test_parse_limits);
	g_test_add_func("/core/meminfo/parse/bad", test_parse_bad);
	g_test_add("/core/meminfo/read", struct proc_fixture, NULL, proc_setup, test_read,
		   proc_teardown);
	g_test_add("/core/meminfo/read/large", struct proc_fixture, NULL, proc_setup,
		   test_read_large, proc_teardown);
	g_test_add("/core/meminfo/read/missing", struct proc_fixture, NULL, proc_setup,
		   test_read_missing, proc_teardown);
	g_test_add_func("/core/meminfo/read/proc", test_read_proc);

	return g_test_run();
}
