/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "oomn-fileio.h"
#include "oomn-macro.h"
#include "oomn-resident.h"

#ifndef MCL_ONFAULT
#define MCL_ONFAULT 4
#endif

typedef struct {
	uintptr_t start, end;
	bool candidate; /* private, read-only, file-backed */
	bool keep;
	/* Holds, or held, data of its own: a copied-on-write page present or in
	 * swap, or it was writable once (VM_ACCOUNT, "ac": a RELRO segment after
	 * mprotect). Dropping it would lose that data for the file's. */
	bool written;
} ResidentVma;

static void resident_vma_end(const ResidentVma *v, OomnResidentPlan *plan)
{
	if (!v->candidate)
		return;
	if (v->keep && plan->n_keep < OOMN_RESIDENT_MAX_RANGES)
		plan->keep[plan->n_keep++] = (OomnResidentRange){ v->start, v->end };
	else if (!v->keep && !v->written && plan->n_drop < OOMN_RESIDENT_MAX_RANGES)
		plan->drop[plan->n_drop++] = (OomnResidentRange){ v->start, v->end };
}

/* A header line of /proc/self/smaps: "start-end perms offset dev inode   path". */
static bool resident_parse_header(const char *line, const char *keep_path, ResidentVma *v)
{
	char perms[8], path[4096];
	unsigned long long start, end, offset, inode;
	int n;

	path[0] = '\0';
	n = sscanf(line, "%llx-%llx %7s %llx %*s %llu %4095[^\n]", &start, &end, perms, &offset,
		   &inode, path);
	if (n < 5)
		return false;
	*v = (ResidentVma){
		.start = (uintptr_t)start,
		.end = (uintptr_t)end,
		/* r, not w, private; a real file (inode), not [vdso] or an anonymous mapping */
		.candidate = perms[0] == 'r' && perms[1] != 'w' && perms[3] == 'p' && inode != 0 &&
			     path[0] == '/',
		.keep = keep_path && strcmp(path, keep_path) == 0,
	};
	return true;
}

/* " ac" among the VmFlags: the mapping was writable and private once. */
static bool resident_flags_accountable(const char *line)
{
	const char *p = line + strlen("VmFlags:");

	for (;;) {
		p += strspn(p, " \t");
		if (!*p || *p == '\n')
			return false;
		if (p[0] == 'a' && p[1] == 'c' && (p[2] == ' ' || p[2] == '\n' || !p[2]))
			return true;
		p += strcspn(p, " \t\n");
	}
}

int oomn_resident_plan(FILE *smaps, const char *keep_path, OomnResidentPlan *plan)
{
	ResidentVma v = {};
	char line[4200];

	*plan = (OomnResidentPlan){ 0 };
	while (fgets(line, sizeof(line), smaps)) {
		unsigned long long kb;
		ResidentVma next;

		if (resident_parse_header(line, keep_path, &next)) {
			resident_vma_end(&v, plan);
			v = next;
		} else if ((sscanf(line, "Anonymous: %llu kB", &kb) == 1 ||
			    sscanf(line, "Swap: %llu kB", &kb) == 1) && kb > 0)
			v.written = true;
		else if (strncmp(line, "VmFlags:", 8) == 0 && resident_flags_accountable(line))
			v.written = true;
	}
	resident_vma_end(&v, plan);
	return 0;
}

/* Touches whole pages of the binary, past the objects in them: by design,
 * so AddressSanitizer must not instrument the loads. */
static void __attribute__((no_sanitize_address)) resident_touch(uintptr_t start, uintptr_t end,
								 uintptr_t page)
{
	for (uintptr_t a = start; a < end; a += page)
		(void)*(volatile const char *)a;
}

int oomn_resident_trim(const char *keep_path)
{
	_cleanup_free_ OomnResidentPlan *plan = NULL;
	_cleanup_fclose_ FILE *f = NULL;
	long page = sysconf(_SC_PAGESIZE);
	int dropped = 0, r;

	plan = calloc(1, sizeof(*plan));
	if (!plan)
		return -ENOMEM;
	/* Collected first: nothing but madvise() and loads once the pages are gone, so
	 * that what the caller walks next is all that comes back. */
	f = fopen("/proc/self/smaps", "re");
	if (!f)
		return -errno;
	r = oomn_resident_plan(f, keep_path, plan);
	if (r < 0)
		return r;
	for (size_t i = 0; i < plan->n_drop; i++)
		if (madvise((void *)plan->drop[i].start, plan->drop[i].end - plan->drop[i].start,
			    MADV_DONTNEED) == 0)
			dropped++;
	for (size_t i = 0; i < plan->n_keep; i++)
		resident_touch(plan->keep[i].start, plan->keep[i].end, (uintptr_t)page);
	return dropped;
}

int oomn_resident_lock(void)
{
	if (mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) == 0)
		return 0;
	if (errno != EINVAL)
		return -errno;
	return mlockall(MCL_CURRENT | MCL_FUTURE) < 0 ? -errno : 0;
}

uint64_t oomn_resident_rss_kb(void)
{
	char buf[4096], *p;

	/* No sscanf: called after the walk, it would bring vfscanf's pages in for good. */
	if (oomn_read_text("/proc/self/status", buf, sizeof(buf)) < 0)
		return 0;
	p = strstr(buf, "\nVmRSS:");
	return p ? strtoull(p + strlen("\nVmRSS:"), NULL, 10) : 0;
}
