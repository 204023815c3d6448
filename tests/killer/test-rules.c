/* SPDX-License-Identifier: GPL-2.0-only */
/* The rules file: parsing, every error with its position, drop-ins, matching. */
#include <errno.h>
#include <glib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fake-proc.h"
#include "rules.h"

typedef struct Fixture {
	char *dir;
	char *passwd;
	RulesLoadOptions opts;
	RulesErrors errs;
	Rules *rules;
} Fixture;

static void fixture_setup(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;

	f->dir = g_dir_make_tmp("oomn-rules-XXXXXX", &error);
	g_assert_no_error(error);
	f->passwd = g_build_filename(f->dir, "passwd", NULL);
	fake_write(f->dir, "passwd",
		   "root:x:0:0:root:/root:/bin/sh\n"
		   "alice:x:1001:1001::/home/alice:/bin/sh\n"
		   "bob:x:1002:1002::/home/bob:/bin/sh\n",
		   -1);
	f->opts.passwd_path = f->passwd;
}

static void fixture_teardown(Fixture *f, gconstpointer data)
{
	rules_free(f->rules);
	rules_errors_clear(&f->errs);
	fake_rm_rf(f->dir);
	g_free(f->dir);
	g_free(f->passwd);
}

/* Writes text as NAME in the fixture's directory and loads it; returns rules_load()'s result. */
static int load_text(Fixture *f, const char *name, const char *text, const char *dropin)
{
	g_autofree char *path = g_build_filename(f->dir, name, NULL);

	fake_write(f->dir, name, text, -1);
	f->rules = rules_free(f->rules);
	rules_errors_clear(&f->errs);
	return rules_load(path, dropin, &f->opts, &f->rules, &f->errs);
}

/* The --check output with the fixture's directory replaced by "D". */
static char *errors_text(Fixture *f)
{
	g_autofree char *s = rules_errors_format(&f->errs);
	g_autoptr(GString) g = g_string_new(s);

	g_string_replace(g, f->dir, "D", 0);
	return g_string_free(g_steal_pointer(&g), FALSE);
}

static const char example[] = "rules:\n"
			      "  - name: never-ssh\n"
			      "    match: { comm: sshd }\n"
			      "    action: protect\n"
			      "  - name: browsers-first\n"
			      "    match: { cmdline: \"^/usr/lib/chromium/\", user: alice }\n"
			      "    action: prefer\n"
			      "    weight: 300\n"
			      "  - name: batch-jobs\n"
			      "    match: { cgroup: \"/batch.slice/*\" }\n"
			      "    action: kill-group\n"
			      "    deadline: 5s\n"
			      "    grace: 2s\n"
			      "defaults: { deadline: 10s, grace: 3s, floor: 3% }\n";

static void test_parse(Fixture *f, gconstpointer data)
{
	const Rule *r;

	g_assert_cmpint(load_text(f, "rules.yaml", example, NULL), ==, 0);
	g_assert_cmpuint(f->errs.n_errors, ==, 0);
	g_assert_nonnull(f->rules);
	g_assert_cmpuint(f->rules->n_rules, ==, 3);
	g_assert_cmpuint(f->rules->deadline_usec, ==, 10000000);
	g_assert_cmpuint(f->rules->grace_usec, ==, 3000000);
	g_assert_cmpuint(f->rules->floor_permille, ==, 30);

	r = &f->rules->rules[0];
	g_assert_cmpstr(r->name, ==, "never-ssh");
	g_assert_cmpuint(r->line, ==, 2);
	g_assert_cmpuint(r->column, ==, 5);
	g_assert_cmpuint(r->match_mask, ==, RULE_MATCH_COMM);
	g_assert_cmpstr(r->comm_glob, ==, "sshd");
	g_assert_cmpint(r->action, ==, RULE_ACTION_PROTECT);
	g_assert_cmpuint(r->deadline_usec, ==, RULES_USEC_UNSET);

	r = &f->rules->rules[1];
	g_assert_cmpstr(r->name, ==, "browsers-first");
	g_assert_cmpuint(r->match_mask, ==, RULE_MATCH_CMDLINE | RULE_MATCH_USER);
	g_assert_cmpstr(r->cmdline_re, ==, "^/usr/lib/chromium/");
	g_assert_cmpuint(r->uid, ==, 1001);
	g_assert_cmpint(r->action, ==, RULE_ACTION_PREFER);
	g_assert_cmpuint(r->weight, ==, 300);

	r = &f->rules->rules[2];
	g_assert_cmpstr(r->name, ==, "batch-jobs");
	g_assert_cmpstr(r->cgroup_glob, ==, "/batch.slice/*");
	g_assert_cmpint(r->action, ==, RULE_ACTION_KILL_GROUP);
	g_assert_cmpuint(r->deadline_usec, ==, 5000000);
	g_assert_cmpuint(r->grace_usec, ==, 2000000);
}

/* match's comm was first called name: a rules file that says so still loads. */
static void test_comm_first_name(Fixture *f, gconstpointer data)
{
	const Rule *r;

	g_assert_cmpint(load_text(f, "old.yaml",
				  "rules:\n  - { name: old, match: { name: sshd }, action: protect }\n",
				  NULL),
			==, 0);
	g_assert_cmpuint(f->errs.n_errors, ==, 0);
	r = &f->rules->rules[0];
	g_assert_cmpuint(r->match_mask, ==, RULE_MATCH_COMM);
	g_assert_cmpstr(r->comm_glob, ==, "sshd");
}

static void test_empty(Fixture *f, gconstpointer data)
{
	g_assert_cmpint(load_text(f, "empty.yaml", "", NULL), ==, 0);
	g_assert_cmpuint(f->rules->n_rules, ==, 0);
	g_assert_cmpuint(f->rules->deadline_usec, ==, RULES_DEFAULT_DEADLINE_USEC);
	g_assert_cmpuint(f->rules->grace_usec, ==, RULES_DEFAULT_GRACE_USEC);
	g_assert_cmpuint(f->rules->helper_deadline_usec, ==, RULES_DEFAULT_HELPER_DEADLINE_USEC);
	g_assert_cmpuint(f->rules->floor_permille, ==, RULES_DEFAULT_FLOOR_PERMILLE);

	g_assert_cmpint(load_text(f, "empty2.yaml", "rules:\n", NULL), ==, 0);
	g_assert_cmpuint(f->rules->n_rules, ==, 0);

	g_assert_cmpint(
		load_text(f, "catchall.yaml", "rules:\n  - { name: all, action: avoid }\n", NULL),
		==, 0);
	g_assert_cmpuint(f->rules->n_rules, ==, 1);
	g_assert_cmpuint(f->rules->rules[0].match_mask, ==, 0);
}

/* Every semantic error, each at the line and column of what is wrong. */
static void test_errors(Fixture *f, gconstpointer data)
{
	static const char bad[] =
		"rules:\n"
		"  - name: a\n"
		"    match: { comm: sshd, colour: red }\n"
		"    action: protect\n"
		"  - name: b\n"
		"    match: { cmdline: \"([\" }\n"
		"    action: avoid\n"
		"  - name: c\n"
		"    match: { user: nosuchuser }\n"
		"    action: kill-group\n"
		"    deadline: 5 parsecs\n"
		"  - name: d\n"
		"    action: prefer\n"
		"    weight: 0\n"
		"  - name: ok\n"
		"    action: avoid\n"
		"  - name: ok\n"
		"    action: avoid\n"
		"  - name: e\n"
		"    match: { comm: x }\n"
		"  - name: f\n"
		"    action: protect\n"
		"    grace: 2s\n"
		"    flavour: 1\n"
		"  - action: smite\n"
		"  - name: g\n"
		"    action: avoid\n"
		"    weight: 5\n"
		"  - name: h\n"
		"    match: { band: 50-0, oom_score_adj: \"-2000..0\", unit: [a] }\n"
		"    action: prefer\n"
		"defaults: { deadline: 1x, floor: 80%, hurry: yes }\n"
		"extra: 1\n";
	g_autofree char *text = NULL, *expected = NULL;
	PCRE2_UCHAR re_msg[256];
	PCRE2_SIZE re_offset;
	int re_code;

	g_assert_null(pcre2_compile((PCRE2_SPTR) "([", PCRE2_ZERO_TERMINATED, PCRE2_DOTALL, &re_code,
				    &re_offset, NULL));
	g_assert_cmpint(pcre2_get_error_message(re_code, re_msg, sizeof(re_msg)), >, 0);

	g_assert_cmpint(load_text(f, "bad.yaml", bad, NULL), ==, -EINVAL);
	g_assert_null(f->rules);
	text = errors_text(f);
	expected = g_strdup_printf(
		"D/bad.yaml:3:26: unknown match 'colour' (expected comm, exe, cmdline, user, "
		"cgroup, "
		"unit, band, oom_score_adj)\n"
		"D/bad.yaml:6:23: invalid regular expression '([': %s at offset 2\n"
		"D/bad.yaml:9:20: unknown user 'nosuchuser'\n"
		"D/bad.yaml:11:15: invalid duration '5 parsecs' (expected e.g. 500ms, 5s, 2min)\n"
		"D/bad.yaml:14:13: weight must be between 1 and 1000, not '0'\n"
		"D/bad.yaml:17:11: duplicate rule name 'ok' (first defined at D/bad.yaml:15:5)\n"
		"D/bad.yaml:19:5: rule 'e' has no action\n"
		"D/bad.yaml:24:5: unknown key 'flavour' in rule (expected name, match, action, "
		"weight, deadline, grace)\n"
		"D/bad.yaml:23:12: grace has no effect with action protect\n"
		"D/bad.yaml:25:5: rule has no name\n"
		"D/bad.yaml:25:13: unknown action 'smite' (expected protect, avoid, prefer, "
		"kill-group)\n"
		"D/bad.yaml:28:13: weight is only valid with action prefer\n"
		"D/bad.yaml:30:20: invalid band '50-0' (expected a band or a range like 0-50, "
		"within 0-100)\n"
		"D/bad.yaml:30:41: invalid oom_score_adj '-2000..0' (expected a value or a range "
		"like -1000..-500, within -1000..1000)\n"
		"D/bad.yaml:30:59: 'unit' must be a single value\n"
		"D/bad.yaml:31:13: action prefer needs a weight (1..1000)\n"
		"D/bad.yaml:32:23: invalid duration '1x' (expected e.g. 500ms, 5s, 2min)\n"
		"D/bad.yaml:32:34: invalid floor '80%%' (expected a percentage of MemTotal between "
		"0%% and 50%%, e.g. 3%%)\n"
		"D/bad.yaml:32:39: unknown key 'hurry' in defaults (expected deadline, grace, "
		"helper-deadline, floor)\n"
		"D/bad.yaml:33:1: unknown key 'extra' (expected rules, defaults)\n",
		(char *)re_msg);
	g_assert_cmpstr(text, ==, expected);
	g_assert_cmpuint(f->errs.n_errors, ==, 20);
	g_assert_cmpuint(f->errs.errors[0].line, ==, 3);
	g_assert_cmpuint(f->errs.errors[0].column, ==, 26);
}

static void test_syntax(Fixture *f, gconstpointer data)
{
	g_autofree char *text = NULL;

	g_assert_cmpint(load_text(f, "syntax.yaml",
				  "rules:\n"
				  "  - name: a\n"
				  "    action: protect\n"
				  "   oops: [\n",
				  NULL),
			==, -EINVAL);
	text = errors_text(f);
	g_assert_cmpstr(text, ==,
			"D/syntax.yaml:4:4: syntax error: did not find expected '-' indicator "
			"(while parsing a block collection at line 2)\n");

	g_assert_cmpint(load_text(f, "notmap.yaml", "- a\n- b\n", NULL), ==, -EINVAL);
	g_free(text);
	text = errors_text(f);
	g_assert_cmpstr(text, ==,
			"D/notmap.yaml:1:1: the file must be a mapping with 'rules' and "
			"'defaults'\n");

	g_assert_cmpint(load_text(f, "two.yaml", "rules:\n---\nrules:\n", NULL), ==, -EINVAL);
	g_free(text);
	text = errors_text(f);
	g_assert_cmpstr(text, ==, "D/two.yaml:2:1: only one YAML document per file is allowed\n");

	g_assert_cmpint(
		load_text(f, "nul.yaml", "rules:\n  - name: \"a\\0b\"\n    action: avoid\n", NULL),
		==, -EINVAL);
	g_free(text);
	text = errors_text(f);
	g_assert_cmpstr(text, ==, "D/nul.yaml:2:11: 'name' contains a NUL byte\n");
}

static void test_missing(Fixture *f, gconstpointer data)
{
	g_autofree char *path = g_build_filename(f->dir, "nope.yaml", NULL);
	g_autofree char *text = NULL;

	g_assert_cmpint(rules_load(path, NULL, &f->opts, &f->rules, &f->errs), ==, -ENOENT);
	g_assert_null(f->rules);
	text = errors_text(f);
	g_assert_cmpstr(text, ==, "D/nope.yaml: cannot open: No such file or directory\n");
	/* errs may be NULL */
	g_assert_cmpint(rules_load(path, NULL, &f->opts, &f->rules, NULL), ==, -ENOENT);
	g_assert_cmpint(rules_load(path, NULL, NULL, NULL, NULL), ==, -EINVAL);
}

static void test_dropin(Fixture *f, gconstpointer data)
{
	g_autofree char *dir = g_build_filename(f->dir, "rules.d", NULL);
	g_autofree char *missing = g_build_filename(f->dir, "none.d", NULL);
	g_autofree char *text = NULL;

	g_assert_cmpint(g_mkdir(dir, 0755), ==, 0);
	fake_write(dir, "20-b.yaml", "rules:\n  - { name: b, action: avoid }\n", -1);
	fake_write(dir, "10-a.yaml",
		   "rules:\n  - { name: a, action: avoid }\n  - { name: a2, action: avoid }\n"
		   "defaults: { grace: 500ms, helper-deadline: 250ms }\n",
		   -1);
	fake_write(dir, "30-c.yml", "rules:\n  - { name: ignored1, action: avoid }\n", -1);
	fake_write(dir, ".40-d.yaml", "rules:\n  - { name: ignored2, action: avoid }\n", -1);
	fake_write(dir, "README", "not yaml: [\n", -1);

	g_assert_cmpint(load_text(f, "main.yaml",
				  "rules:\n  - { name: main, action: avoid }\n"
				  "defaults: { grace: 1s, deadline: 7s }\n",
				  dir),
			==, 0);
	g_assert_cmpuint(f->rules->n_rules, ==, 4);
	g_assert_cmpstr(f->rules->rules[0].name, ==, "main");
	g_assert_cmpstr(f->rules->rules[1].name, ==, "a");
	g_assert_cmpstr(f->rules->rules[2].name, ==, "a2");
	g_assert_cmpstr(f->rules->rules[3].name, ==, "b");
	g_assert_true(g_str_has_suffix(f->rules->rules[3].file, "/rules.d/20-b.yaml"));
	/* a drop-in's defaults override the main file's, key by key */
	g_assert_cmpuint(f->rules->grace_usec, ==, 500000);
	g_assert_cmpuint(f->rules->deadline_usec, ==, 7000000);
	g_assert_cmpuint(f->rules->helper_deadline_usec, ==, 250000);

	/* a missing drop-in directory is no error */
	g_assert_cmpint(
		load_text(f, "main.yaml", "rules:\n  - { name: main, action: avoid }\n", missing),
		==, 0);
	g_assert_cmpuint(f->rules->n_rules, ==, 1);

	/* a name used again in a drop-in is reported there */
	fake_write(dir, "25-dup.yaml", "rules:\n  - name: main\n    action: protect\n", -1);
	g_assert_cmpint(
		load_text(f, "main.yaml", "rules:\n  - { name: main, action: avoid }\n", dir), ==,
		-EINVAL);
	text = errors_text(f);
	g_assert_cmpstr(text, ==,
			"D/rules.d/25-dup.yaml:2:11: duplicate rule name 'main' (first defined at "
			"D/main.yaml:2:5)\n");
}

static const Rule *match(Fixture *f, const RuleSubject *s)
{
	return rules_match(f->rules, s);
}

static void test_first_match(Fixture *f, gconstpointer data)
{
	RuleSubject s = { .comm = "firefox", .uid = 1001, .band = -1 };
	const Rule *r;

	g_assert_cmpint(load_text(f, "fm.yaml",
				  "rules:\n"
				  "  - { name: one, match: { comm: fire* }, action: avoid }\n"
				  "  - { name: two, match: { user: alice }, action: protect }\n"
				  "  - { name: three, action: prefer, weight: 10 }\n",
				  NULL),
			==, 0);
	r = match(f, &s);
	g_assert_nonnull(r);
	g_assert_cmpstr(r->name, ==, "one");
	s.comm = "vim";
	g_assert_cmpstr(match(f, &s)->name, ==, "two");
	s.uid = 1002;
	g_assert_cmpstr(match(f, &s)->name, ==, "three");
	g_assert_null(rules_match(NULL, &s));
}

static void test_match_kinds(Fixture *f, gconstpointer data)
{
	RuleSubject s = {
		.comm = "worker",
		.exe = "/opt/app/bin/worker",
		.cmdline = "/opt/app/bin/worker --jobs 4",
		.uid = 1002,
		.cgroup = "/system.slice/app.service/workers",
		.band = 20,
		.oom_score_adj = -600,
	};
	RuleSubject none = { .band = -1 };

	g_assert_cmpint(
		load_text(f, "kinds.yaml",
			  "rules:\n"
			  "  - { name: name, match: { comm: \"w?rk*\" }, action: avoid }\n"
			  "  - { name: exe, match: { exe: \"/opt/*/worker\" }, action: avoid }\n"
			  "  - { name: cmdline, match: { cmdline: \"--jobs [0-9]+$\" }, action: "
			  "avoid }\n"
			  "  - { name: user, match: { user: bob }, action: avoid }\n"
			  "  - { name: uid, match: { user: 1002 }, action: avoid }\n"
			  "  - { name: cgroup, match: { cgroup: \"/system.slice/*\" }, action: "
			  "avoid }\n"
			  "  - { name: unit, match: { unit: app.service }, action: avoid }\n"
			  "  - { name: band, match: { band: 10-30 }, action: avoid }\n"
			  "  - { name: band1, match: { band: \"20\" }, action: avoid }\n"
			  "  - { name: adj, match: { oom_score_adj: \"-1000..-500\" }, action: "
			  "avoid }\n"
			  "  - { name: adj1, match: { oom_score_adj: \"-600\" }, action: avoid }\n",
			  NULL),
		==, 0);
	g_assert_cmpuint(f->rules->n_rules, ==, 11);

	/* each rule alone: matches s, and not s with that one field changed */
	for (size_t i = 0; i < f->rules->n_rules; i++) {
		Rules one = *f->rules;
		RuleSubject t = s;

		one.rules = &f->rules->rules[i];
		one.n_rules = 1;
		g_assert_true(rules_match(&one, &s) == one.rules);
		g_assert_null(rules_match(&one, &none));
		switch (i) {
		case 0:
			t.comm = "wxrk";
			g_assert_nonnull(rules_match(&one, &t));
			t.comm = "shirker";
			break;
		case 1:
			t.exe = "/usr/bin/worker";
			break;
		case 2:
			t.cmdline = "/opt/app/bin/worker --jobs 4 --verbose";
			break;
		case 3:
		case 4:
			t.uid = 1001;
			break;
		case 5:
			t.cgroup = "/user.slice/app.service";
			break;
		case 6:
			t.cgroup = "/system.slice/other.service/workers";
			g_assert_null(rules_match(&one, &t));
			t.cgroup = "/system.slice/app.service.d";
			break;
		case 7:
			t.band = 31;
			g_assert_null(rules_match(&one, &t));
			t.band = 10;
			g_assert_nonnull(rules_match(&one, &t));
			t.band = -1;
			break;
		case 8:
			t.band = 21;
			break;
		case 9:
			t.oom_score_adj = -499;
			g_assert_null(rules_match(&one, &t));
			t.oom_score_adj = -1000;
			g_assert_nonnull(rules_match(&one, &t));
			t.oom_score_adj = 0;
			break;
		case 10:
			t.oom_score_adj = -601;
			break;
		}
		g_assert_null(rules_match(&one, &t));
	}
}

static void test_unit(void)
{
	size_t len = 0;
	const char *u;

	u = rules_cgroup_unit("/system.slice/foo.service", &len);
	g_assert_nonnull(u);
	g_assert_cmpmem(u, len, "foo.service", 11);
	u = rules_cgroup_unit("/user.slice/user-1000.slice/user@1000.service/app.slice/x.scope/sub",
			      &len);
	g_assert_cmpmem(u, len, "x.scope", 7);
	u = rules_cgroup_unit("/system.slice/a.service/b.service.d", &len);
	g_assert_cmpmem(u, len, "a.service", 9);
	g_assert_null(rules_cgroup_unit("/", &len));
	g_assert_null(rules_cgroup_unit("/batch.slice", &len));
	g_assert_null(rules_cgroup_unit("/.service", &len));
	g_assert_null(rules_cgroup_unit(NULL, &len));
}

static void test_duration(void)
{
	static const struct {
		const char *s;
		int r;
		guint64 usec;
	} cases[] = {
		{ "500ms", 0, 500000 },
		{ "5s", 0, 5000000 },
		{ "2min", 0, 120000000 },
		{ "250us", 0, 250 },
		{ "0s", 0, 0 },
		{ "5", -EINVAL, 0 },
		{ "s", -EINVAL, 0 },
		{ "-1s", -EINVAL, 0 },
		{ "1.5s", -EINVAL, 0 },
		{ "5 s", -EINVAL, 0 },
		{ "5h", -EINVAL, 0 },
		{ "", -EINVAL, 0 },
		{ "99999999999999999999s", -EINVAL, 0 },
		{ "18446744073709551615us", -EINVAL, 0 },
		{ "18446744073709551614us", 0, 18446744073709551614ull },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		guint64 usec = 7;
		uint64_t v = 7;

		g_test_message("%s", cases[i].s);
		g_assert_cmpint(rules_parse_duration(cases[i].s, &v), ==, cases[i].r);
		usec = v;
		g_assert_cmpuint(usec, ==, cases[i].r == 0 ? cases[i].usec : 7);
	}
	g_assert_cmpint(rules_parse_duration(NULL, NULL), ==, -EINVAL);
}

static int resolver(const char *name, uid_t *ret, void *userdata)
{
	(*(int *)userdata)++;
	if (strcmp(name, "carol") == 0) {
		*ret = 4242;
		return 0;
	}
	if (strcmp(name, "broken") == 0)
		return -EIO;
	return -ENOENT;
}

static void test_user(Fixture *f, gconstpointer data)
{
	g_autofree char *text = NULL;
	int calls = 0;

	f->opts.resolve_user = resolver;
	f->opts.userdata = &calls;
	g_assert_cmpint(load_text(f, "u.yaml",
				  "rules:\n  - { name: c, match: { user: carol }, action: avoid }\n"
				  "  - { name: n, match: { user: 77 }, action: avoid }\n",
				  NULL),
			==, 0);
	g_assert_cmpuint(f->rules->rules[0].uid, ==, 4242);
	g_assert_cmpuint(f->rules->rules[1].uid, ==, 77);
	g_assert_cmpint(calls, ==, 1); /* a number needs no lookup */

	g_assert_cmpint(load_text(f, "u2.yaml",
				  "rules:\n  - { name: c, match: { user: alice }, action: avoid }\n"
				  "  - { name: d, match: { user: broken }, action: avoid }\n",
				  NULL),
			==, -EINVAL);
	text = errors_text(f);
	g_assert_cmpstr(text, ==,
			"D/u2.yaml:2:31: unknown user 'alice'\n"
			"D/u2.yaml:3:31: cannot resolve user 'broken': Input/output error\n");

	/* without a resolver: the passwd file */
	f->opts.resolve_user = NULL;
	g_assert_cmpint(load_text(f, "u3.yaml",
				  "rules:\n  - { name: c, match: { user: bob }, action: avoid }\n",
				  NULL),
			==, 0);
	g_assert_cmpuint(f->rules->rules[0].uid, ==, 1002);

	/* without either: the system's own (getpwnam_r), where root is always 0 */
	f->opts.passwd_path = NULL;
	g_assert_cmpint(load_text(f, "u4.yaml",
				  "rules:\n  - { name: r, match: { user: root }, action: avoid }\n", NULL),
			==, 0);
	g_assert_cmpuint(f->rules->rules[0].uid, ==, 0);
}

/* Random damage to a good file: any result but a crash (run under ASan/valgrind for leaks). */
/*
 * Files that must not block or blow up the loader, and rules that could
 * never do what they say: each refused with a clear error.
 */
static void test_hostile(Fixture *f, gconstpointer data)
{
	g_autofree char *dropins = g_build_filename(f->dir, "rules.d", NULL);
	g_autofree char *fifo = g_build_filename(dropins, "50-fifo.yaml", NULL);
	g_autofree char *subdir = g_build_filename(dropins, "60-dir.yaml", NULL);
	g_autofree char *text = NULL;
	g_autoptr(GString) big = g_string_new("rules:\n");
	g_autoptr(GString) many = g_string_new("rules:\n");

	/* a FIFO among the drop-ins: no writer ever comes, the loader goes on */
	g_assert_cmpint(g_mkdir_with_parents(dropins, 0755), ==, 0);
	g_assert_cmpint(mkfifo(fifo, 0644), ==, 0);
	g_assert_cmpint(load_text(f, "main.yaml", example, dropins), ==, -EINVAL);
	text = errors_text(f);
	g_assert_cmpstr(text, ==, "D/rules.d/50-fifo.yaml: cannot read: a FIFO, not a regular file\n");
	g_clear_pointer(&text, g_free);
	g_assert_cmpint(unlink(fifo), ==, 0);

	g_assert_cmpint(mkdir(subdir, 0755), ==, 0);
	g_assert_cmpint(load_text(f, "main.yaml", example, dropins), ==, -EINVAL);
	text = errors_text(f);
	g_assert_cmpstr(text, ==,
			"D/rules.d/60-dir.yaml: cannot read: a directory, not a regular file\n");
	g_clear_pointer(&text, g_free);
	g_assert_cmpint(rmdir(subdir), ==, 0);
	g_assert_cmpint(load_text(f, "main.yaml", example, dropins), ==, 0);

	/* no main file (it is missing): the built-in defaults and the drop-ins */
	f->rules = rules_free(f->rules);
	g_assert_cmpint(rules_load(NULL, dropins, &f->opts, &f->rules, &f->errs), ==, 0);
	g_assert_cmpuint(f->rules->n_rules, ==, 0);
	g_assert_cmpuint(f->rules->deadline_usec, ==, RULES_DEFAULT_DEADLINE_USEC);

	/* too large: refused before it is parsed */
	while (big->len <= RULES_FILE_MAX)
		g_string_append(big, "# padding padding padding padding padding padding padding\n");
	g_assert_cmpint(load_text(f, "big.yaml", big->str, NULL), ==, -EFBIG);
	text = errors_text(f);
	g_assert_true(g_str_has_prefix(text, "D/big.yaml: too large: "));
	g_clear_pointer(&text, g_free);

	/* too many rules: one error, at the first rule too many */
	for (int i = 0; i <= RULES_MAX; i++)
		g_string_append_printf(many, "  - { name: r%d, match: { comm: x }, action: avoid }\n", i);
	g_assert_cmpint(load_text(f, "many.yaml", many->str, NULL), ==, -EINVAL);
	g_assert_cmpuint(f->errs.n_errors, ==, 1);
	g_assert_cmpuint(f->errs.errors[0].line, ==, RULES_MAX + 2);
	g_assert_cmpstr(f->errs.errors[0].message, ==, "too many rules (at most 4096 in all files)");

	/* a band no client can register; a name no process can have */
	g_assert_cmpint(load_text(f, "never.yaml",
				  "rules:\n"
				  "  - { name: a, match: { band: 101 }, action: protect }\n"
				  "  - { name: b, match: { comm: systemd-journald-x }, action: protect }\n"
				  "  - { name: c, match: { comm: \"systemd-journal*\" }, action: protect }\n"
				  "  - { name: d, match: { comm: \"[a-z][a-z][a-z][a-z]??????????*\" }, "
				  "action: protect }\n",
				  NULL),
			==, -EINVAL);
	text = errors_text(f);
	g_assert_cmpstr(text, ==,
			"D/never.yaml:2:31: invalid band '101' (expected a band or a range like "
			"0-50, within 0-100)\n"
			"D/never.yaml:3:31: comm 'systemd-journald-x' can never match: a process "
			"name has at most 15 bytes (match a longer one with exe or cmdline)\n");
	g_clear_pointer(&text, g_free);

	/*
	 * An expression that glibc took seconds over on a crafted command line:
	 * its budget runs out, it counts as no match and is counted; the others
	 * match as written.
	 */
	g_assert_cmpint(load_text(f, "slow.yaml",
				  "rules:\n"
				  "  - { name: s, match: { cmdline: \"(a+)+[bc]\" }, action: avoid }\n"
				  "  - { name: chrome, match: { cmdline: \".*chrom.*\" }, action: avoid }\n",
				  NULL),
			==, 0);
	{
		g_autofree char *crafted = g_strnfill(4095, 'a');
		RuleSubject s = { .comm = "x", .cmdline = crafted, .band = -1 };
		const Rule *r;

		g_assert_null(rules_match(f->rules, &s));
		g_assert_cmpuint(f->rules->stats->regex_over_budget, ==, 1);
		s.cmdline = "aaab";
		r = rules_match(f->rules, &s);
		g_assert_nonnull(r);
		g_assert_cmpstr(r->name, ==, "s");
		s.cmdline = "/usr/lib/chromium/chromium --type=renderer";
		r = rules_match(f->rules, &s);
		g_assert_nonnull(r);
		g_assert_cmpstr(r->name, ==, "chrome");
		g_assert_cmpuint(f->rules->stats->regex_over_budget, ==, 1);
	}
}

static void test_fuzz(Fixture *f, gconstpointer data)
{
	static const char alphabet[] = ":-{}[]\"' \n\t#&*!|>%@`,?abc0123456789.^$()\\";
	GRand *rand = g_rand_new_with_seed(4);
	size_t len = strlen(example);
	int ok = 0;

	for (int i = 0; i < 1500; i++) {
		g_autofree char *text = g_strdup(example);
		int n = g_rand_int_range(rand, 1, 8);
		int r;

		for (int k = 0; k < n; k++) {
			size_t pos = (size_t)g_rand_int_range(rand, 0, (gint32)len);

			text[pos] = alphabet[g_rand_int_range(rand, 0, sizeof(alphabet) - 1)];
		}
		if (g_rand_boolean(rand))
			text[g_rand_int_range(rand, 0, (gint32)len)] = 0; /* truncated */
		r = load_text(f, "fuzz.yaml", text, NULL);
		g_assert_true(r == 0 || r == -EINVAL);
		g_assert_true((r == 0) == (f->errs.n_errors == 0));
		g_assert_true((r == 0) == (f->rules != NULL));
		ok += r == 0;
	}
	g_test_message("%d of 1500 damaged files still valid", ok);
	g_rand_free(rand);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);

#define T(path, fn) g_test_add(path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
	T("/killer/rules/parse", test_parse);
	T("/killer/rules/comm-first-name", test_comm_first_name);
	T("/killer/rules/empty", test_empty);
	T("/killer/rules/errors", test_errors);
	T("/killer/rules/syntax", test_syntax);
	T("/killer/rules/missing", test_missing);
	T("/killer/rules/dropin", test_dropin);
	T("/killer/rules/first-match-wins", test_first_match);
	T("/killer/rules/match-kinds", test_match_kinds);
	T("/killer/rules/user", test_user);
	T("/killer/rules/fuzz", test_fuzz);
	T("/killer/rules/hostile", test_hostile);
#undef T
	g_test_add_func("/killer/rules/unit", test_unit);
	g_test_add_func("/killer/rules/duration", test_duration);
	return g_test_run();
}
