/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * oomn_resident_plan(): which mappings a daemon drops at the end of start-up.
 * Only private, read-only file mappings with no data of their own: a RELRO
 * segment whose relocated pages are in swap (Anonymous 0, Swap > 0) held
 * the pointers libsystemd's close path follows; dropped, they came back as
 * the file's unrelocated bytes.
 */
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "oomn-resident.h"

/* One smaps entry; fields as the kernel writes them, the rest left out. */
#define ENTRY(range, perms, inode, path, anon, swap, flags)                                  \
	range " " perms " 00000000 08:01 " inode "   " path "\n"                               \
	"Size:                  8 kB\n"                                                        \
	"Anonymous:          " anon " kB\n"                                                    \
	"Swap:               " swap " kB\n"                                                    \
	"VmFlags: " flags "\n"

static const char smaps[] =
	/* 0: the program itself: mapped whole */
	ENTRY("1000-3000", "r-xp", "11", "/usr/sbin/oom-notifyd", "0", "0", "rd ex mr mw me dw")
	/* 1: a library's text: dropped */
	ENTRY("10000-20000", "r-xp", "12", "/usr/lib/libsystemd.so.0", "0", "0", "rd ex mr mw me")
	/* 2: its read-only data, never writable: dropped */
	ENTRY("20000-21000", "r--p", "12", "/usr/lib/libsystemd.so.0", "0", "0", "rd mr mw me")
	/* 3: its RELRO, relocated pages present: kept */
	ENTRY("21000-22000", "r--p", "12", "/usr/lib/libsystemd.so.0", "4", "0", "rd mr mw me ac")
	/* 4: RELRO with its relocated pages in swap: kept */
	ENTRY("22000-23000", "r--p", "12", "/usr/lib/libc.so.6", "0", "4", "rd mr mw me ac")
	/* 5: RELRO not touched since (no anon, no swap), but writable once: kept */
	ENTRY("23000-24000", "r--p", "12", "/usr/lib/libc.so.6", "0", "0", "rd mr mw me ac sd")
	/* 6: a copied-on-write page in a read-only mapping that was never writable */
	ENTRY("24000-25000", "r--p", "13", "/usr/lib/libnl.so", "4", "0", "rd mr mw me")
	/* 7: writable data, the heap, [vdso]: never candidates */
	ENTRY("25000-26000", "rw-p", "13", "/usr/lib/libnl.so", "4", "0", "rd wr mr mw me ac")
	ENTRY("30000-40000", "rw-p", "0", "[heap]", "8", "0", "rd wr mr mw me ac")
	ENTRY("50000-51000", "r-xp", "0", "[vdso]", "0", "0", "rd ex mr mw me de");

static void test_plan(void)
{
	FILE *f = fmemopen((void *)smaps, strlen(smaps), "r");
	OomnResidentPlan *plan = g_new0(OomnResidentPlan, 1);

	g_assert_nonnull(f);
	g_assert_cmpint(oomn_resident_plan(f, "/usr/sbin/oom-notifyd", plan), ==, 0);
	fclose(f);

	g_assert_cmpuint(plan->n_keep, ==, 1);
	g_assert_cmphex(plan->keep[0].start, ==, 0x1000);
	g_assert_cmphex(plan->keep[0].end, ==, 0x3000);

	g_assert_cmpuint(plan->n_drop, ==, 2);
	g_assert_cmphex(plan->drop[0].start, ==, 0x10000);
	g_assert_cmphex(plan->drop[1].start, ==, 0x20000);
	g_assert_cmphex(plan->drop[1].end, ==, 0x21000);
	g_free(plan);
}

/* The live process: our own mappings parse, and nothing writable is dropped. */
static void test_self(void)
{
	FILE *f = fopen("/proc/self/smaps", "re");
	OomnResidentPlan *plan = g_new0(OomnResidentPlan, 1);

	g_assert_nonnull(f);
	g_assert_cmpint(oomn_resident_plan(f, NULL, plan), ==, 0);
	fclose(f);
	g_assert_cmpuint(plan->n_keep, ==, 0);
	g_assert_cmpuint(plan->n_drop, >, 0);
	g_free(plan);
}

int main(int argc, char *argv[])
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/resident/plan", test_plan);
	g_test_add_func("/resident/self", test_self);
	return g_test_run();
}
