/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The rules loader (killer/lib/rules.c): any file an administrator (or a
 * package) drops in loads or is refused with errors, never crashes, leaks or
 * hangs; what loads can be matched against.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "rules.h"

static const char example[] =
	"rules:\n"
	"  - name: never-ssh\n"
	"    match: { comm: sshd }\n"
	"    action: protect\n"
	"  - name: browsers-first\n"
	"    match: { cmdline: \"^/usr/lib/chromium/\", user: alice, band: 0-20 }\n"
	"    action: prefer\n"
	"    weight: 300\n"
	"  - name: batch-jobs\n"
	"    match: { cgroup: \"/batch.slice/*\", unit: \"*.service\", oom_score_adj: \"0..1000\" }\n"
	"    action: kill-group\n"
	"    deadline: 5s\n"
	"    grace: 2s\n"
	"defaults: { deadline: 10s, grace: 3s, helper-deadline: 1s, floor: 3% }\n";
static const char anchors[] = "a: &x [*x]\nrules: *x\n";
static const char flow[] = "{rules: [{name: a, action: avoid, match: {exe: \"/usr/bin/*\"}}]}\n";

static const struct fuzz_seed seeds[] = {
	FUZZ_SEED_STR(example),
	FUZZ_SEED_STR(anchors),
	FUZZ_SEED_STR(flow),
};
const struct fuzz_seed *const fuzz_seeds = seeds;
const size_t fuzz_n_seeds = sizeof(seeds) / sizeof(seeds[0]);

/* No passwd lookups: the same answer on every machine. */
static int resolve_user(const char *name, uid_t *ret, void *userdata)
{
	if (name[0] == 'a') {
		*ret = 1001;
		return 0;
	}
	return -ENOENT;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	RulesLoadOptions opts = { .resolve_user = resolve_user };
	RulesErrors errs = { 0 };
	Rules *rules = NULL;
	char path[64];
	int fd, r;

	fd = memfd_create("fuzz-rules", MFD_CLOEXEC);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	(void)snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	r = rules_load(path, NULL, &opts, &rules, &errs);
	if ((r == 0) != (rules != NULL) || (r == 0 && errs.n_errors))
		abort();
	if (rules) {
		RuleSubject s = { .comm = "sshd", .exe = "/usr/bin/x", .cmdline = "a b c",
				  .cgroup = "/batch.slice/x.service", .band = 10 };

		(void)rules_match(rules, &s);
		rules_free(rules);
	}
	free(rules_errors_format(&errs));
	rules_errors_clear(&errs);
	close(fd);
	return 0;
}
