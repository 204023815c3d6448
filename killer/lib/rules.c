/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Rules file loader. libyaml's document loader keeps the start mark of every
 * node, so each error points at the exact line and column of the offending
 * key or value. Every error of a file is collected (not only the first), so
 * `oom-killerd --check` shows them all at once.
 */
#include "rules.h"

#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <limits.h>
#include <pwd.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <yaml.h>

#include "oomn-macro.h"

typedef struct Loader {
	const RulesLoadOptions *opts;
	RulesErrors *errs;
	size_t n_errors; /* counted even when errs is NULL */
	bool oom;
	const char *file;
	yaml_document_t *doc;
	Rules *rules;
	/* defaults are applied once every file has been read */
	uint64_t deadline_usec, grace_usec, helper_deadline_usec;
	unsigned floor_permille;
	bool has_deadline, has_grace, has_floor;
} Loader;

static const char *const action_names[_RULE_ACTION_MAX] = {
	[RULE_ACTION_PROTECT] = "protect",
	[RULE_ACTION_AVOID] = "avoid",
	[RULE_ACTION_PREFER] = "prefer",
	[RULE_ACTION_KILL_GROUP] = "kill-group",
};

const char *rule_action_to_string(RuleAction a)
{
	if ((unsigned)a >= _RULE_ACTION_MAX)
		return NULL;
	return action_names[a];
}

static void loader_add_error(Loader *l, unsigned line, unsigned column, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void loader_add_error(Loader *l, unsigned line, unsigned column, const char *fmt, ...)
{
	RulesError *e;
	char *msg = NULL;
	va_list ap;
	int r;

	l->n_errors++;
	if (!l->errs)
		return;

	va_start(ap, fmt);
	r = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (r < 0) {
		l->oom = true;
		return;
	}

	e = reallocarray(l->errs->errors, l->errs->n_errors + 1, sizeof(*e));
	if (!e) {
		free(msg);
		l->oom = true;
		return;
	}
	l->errs->errors = e;
	e = &e[l->errs->n_errors];
	e->file = strdup(l->file);
	if (!e->file) {
		free(msg);
		l->oom = true;
		return;
	}
	e->line = line;
	e->column = column;
	e->message = msg;
	l->errs->n_errors++;
}

#define node_error(l, node, ...)                                                                   \
	loader_add_error(l, (unsigned)(node)->start_mark.line + 1,                                 \
			 (unsigned)(node)->start_mark.column + 1, __VA_ARGS__)

static yaml_node_t *node_get(Loader *l, int id)
{
	return yaml_document_get_node(l->doc, id);
}

/* The scalar's text, or NULL (with an error) if it is not a plain string. */
static const char *node_scalar(Loader *l, yaml_node_t *node, const char *what)
{
	const char *v;

	if (node->type != YAML_SCALAR_NODE) {
		node_error(l, node, "'%s' must be a single value", what);
		return NULL;
	}
	v = (const char *)node->data.scalar.value;
	if (strlen(v) != node->data.scalar.length) {
		node_error(l, node, "'%s' contains a NUL byte", what);
		return NULL;
	}
	return v;
}

/* Whether @node is a mapping; if not, @what is told at it. */
static bool node_mapping(Loader *l, yaml_node_t *node, const char *what)
{
	if (node->type == YAML_MAPPING_NODE)
		return true;
	node_error(l, node, "%s", what);
	return false;
}

/*
 * The mapping's next pair after *i (NULL: its first) whose key is a plain
 * string: its key node, value node and key; false at the end. A pair with a
 * missing node is passed over, one with another key too, told as @what.
 */
static bool mapping_next(Loader *l, yaml_node_t *map, yaml_node_pair_t **i, const char *what,
			 yaml_node_t **ret_k, yaml_node_t **ret_v, const char **ret_key)
{
	yaml_node_pair_t *p = *i ? *i + 1 : map->data.mapping.pairs.start;

	for (; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node_get(l, p->key), *v = node_get(l, p->value);
		const char *key;

		if (!k || !v || !(key = node_scalar(l, k, what)))
			continue;
		*i = p;
		*ret_k = k;
		*ret_v = v;
		*ret_key = key;
		return true;
	}
	*i = p;
	return false;
}

static int parse_int(const char *s, long min, long max, int *ret)
{
	char *end;
	long v;

	if (!*s || (*s != '-' && (*s < '0' || *s > '9')))
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*ret = (int)v;
	return 0;
}

int rules_parse_duration(const char *s, uint64_t *ret)
{
	static const struct {
		const char *suffix;
		uint64_t usec;
	} units[] = {
		{ "us", 1 },
		{ "ms", 1000 },
		{ "s", 1000000 },
		{ "min", 60000000 },
	};
	uint64_t v = 0;
	const char *p = s;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (__builtin_mul_overflow(v, 10, &v) ||
		    __builtin_add_overflow(v, (uint64_t)(*p - '0'), &v))
			return -EINVAL;
	}
	for (size_t i = 0; i < ELEMENTSOF(units); i++) {
		if (strcmp(p, units[i].suffix) != 0)
			continue;
		if (v > (UINT64_MAX - 1) / units[i].usec) /* UINT64_MAX means unset */
			return -EINVAL;
		*ret = v * units[i].usec;
		return 0;
	}
	return -EINVAL;
}

int rules_parse_floor(const char *s, unsigned *ret)
{
	unsigned whole = 0, tenths = 0;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		whole = whole * 10 + (unsigned)(*p - '0');
		if (whole > 100)
			return -EINVAL;
	}
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return -EINVAL;
		tenths = (unsigned)(*p++ - '0');
	}
	if (strcmp(p, "%") != 0 || whole * 10 + tenths > 500)
		return -EINVAL;
	*ret = whole * 10 + tenths;
	return 0;
}

/* "0-50" or "7" (bands); "-1000..-500" or "0" (oom_score_adj). */
static int parse_range(const char *s, const char *sep, long min, long max, int *ret_min,
		       int *ret_max)
{
	_cleanup_free_ char *a = NULL;
	const char *m;
	int lo, hi;

	m = strstr(s + (*s == '-'), sep);
	if (!m) {
		if (parse_int(s, min, max, &lo) < 0)
			return -EINVAL;
		*ret_min = *ret_max = lo;
		return 0;
	}
	a = strndup(s, (size_t)(m - s));
	if (!a)
		return -ENOMEM;
	if (parse_int(a, min, max, &lo) < 0 || parse_int(m + strlen(sep), min, max, &hi) < 0 ||
	    lo > hi)
		return -EINVAL;
	*ret_min = lo;
	*ret_max = hi;
	return 0;
}

static int resolve_user(Loader *l, const char *name, uid_t *ret)
{
	const RulesLoadOptions *o = l->opts;
	int u;

	if (parse_int(name, 0, INT_MAX, &u) == 0) {
		*ret = (uid_t)u;
		return 0;
	}
	if (o && o->resolve_user)
		return o->resolve_user(name, ret, o->userdata);
	if (o && o->passwd_path) {
		_cleanup_fclose_ FILE *f = fopen(o->passwd_path, "re");
		struct passwd *pw;

		if (!f)
			return -errno;
		while ((pw = fgetpwent(f)))
			if (strcmp(pw->pw_name, name) == 0) {
				*ret = pw->pw_uid;
				return 0;
			}
		return -ENOENT;
	}

	struct passwd pwbuf, *pw = NULL;
	char buf[4096];
	int r = getpwnam_r(name, &pwbuf, buf, sizeof(buf), &pw);
	if (r != 0)
		return -r;
	if (!pw)
		return -ENOENT;
	*ret = pw->pw_uid;
	return 0;
}

/* The fewest bytes a name a glob (fnmatch) matches can have. */
static size_t glob_min_len(const char *glob)
{
	size_t n = 0;

	for (const char *p = glob; *p; p++) {
		if (*p == '*')
			continue;
		if (*p == '\\' && p[1])
			p++;
		else if (*p == '[') {
			/* a bracket expression is one character; an unclosed '[' is literal */
			const char *q = p + 1;

			if (*q == '!' || *q == '^')
				q++;
			if (*q == ']')
				q++;
			while (*q && *q != ']')
				q++;
			if (*q == ']')
				p = q;
		}
		n++;
	}
	return n;
}

static void load_match(Loader *l, Rule *rule, yaml_node_t *match)
{
	static const char *const keys[] = { "comm",   "exe",  "cmdline", "user",
					    "cgroup", "unit", "band",	 "oom_score_adj" };
	yaml_node_t *k, *v;
	const char *key;

	if (!node_mapping(l, match, "'match' must be a mapping, e.g. { comm: sshd }"))
		return;
	for (yaml_node_pair_t *p = NULL; mapping_next(l, match, &p, "match key", &k, &v, &key);) {
		const char *val;
		unsigned bit = 0;
		char **glob = NULL;
		int r;

		for (size_t i = 0; i < ELEMENTSOF(keys); i++)
			if (strcmp(key, keys[i]) == 0)
				bit = 1u << i;
		if (!bit && strcmp(key, "name") == 0) /* comm's first name, still read */
			bit = RULE_MATCH_COMM;
		if (!bit) {
			node_error(l, k,
				   "unknown match '%s' (expected comm, exe, cmdline, user, cgroup, "
				   "unit, band, oom_score_adj)",
				   key);
			continue;
		}
		if (rule->match_mask & bit) {
			node_error(l, k, "duplicate match '%s'", key);
			continue;
		}
		val = node_scalar(l, v, key);
		if (!val)
			continue;
		if (!*val) {
			node_error(l, v, "match '%s' must not be empty", key);
			continue;
		}

		switch (bit) {
		case RULE_MATCH_COMM:
			if (glob_min_len(val) > RULES_COMM_MAX) {
				node_error(l, v,
					   "comm '%s' can never match: a process name has at most "
					   "%d bytes (match a longer one with exe or cmdline)",
					   val, RULES_COMM_MAX);
				continue;
			}
			glob = &rule->comm_glob;
			break;
		case RULE_MATCH_EXE:
			glob = &rule->exe_glob;
			break;
		case RULE_MATCH_CGROUP:
			glob = &rule->cgroup_glob;
			break;
		case RULE_MATCH_UNIT:
			glob = &rule->unit_glob;
			break;
		case RULE_MATCH_CMDLINE: {
			PCRE2_SIZE offset;
			int code;

			/* DOTALL: '.' matches a newline inside an argument too */
			rule->cmdline = pcre2_compile((PCRE2_SPTR)val, PCRE2_ZERO_TERMINATED,
						      PCRE2_DOTALL, &code, &offset, NULL);
			if (!rule->cmdline) {
				PCRE2_UCHAR msg[256];

				if (pcre2_get_error_message(code, msg, sizeof(msg)) < 0)
					strcpy((char *)msg, "?");
				node_error(l, v, "invalid regular expression '%s': %s at offset %zu",
					   val, (char *)msg, (size_t)offset);
				continue;
			}
			rule->cmdline_re = strdup(val);
			if (!rule->cmdline_re) {
				pcre2_code_free(rule->cmdline);
				rule->cmdline = NULL;
				l->oom = true;
				continue;
			}
			break;
		}
		case RULE_MATCH_USER:
			r = resolve_user(l, val, &rule->uid);
			if (r == -ENOENT) {
				node_error(l, v, "unknown user '%s'", val);
				continue;
			}
			if (r < 0) {
				node_error(l, v, "cannot resolve user '%s': %s", val, strerror(-r));
				continue;
			}
			break;
		case RULE_MATCH_BAND:
			if (parse_range(val, "-", 0, RULES_BAND_MAX, &rule->band_min,
					&rule->band_max) < 0) {
				node_error(l, v,
					   "invalid band '%s' (expected a band or a range like "
					   "0-50, within 0-%d)",
					   val, RULES_BAND_MAX);
				continue;
			}
			break;
		case RULE_MATCH_OOM_SCORE_ADJ:
			if (parse_range(val, "..", -1000, 1000, &rule->adj_min, &rule->adj_max) <
			    0) {
				node_error(
					l, v,
					"invalid oom_score_adj '%s' (expected a value or a range "
					"like -1000..-500, within -1000..1000)",
					val);
				continue;
			}
			break;
		}
		if (glob) {
			*glob = strdup(val);
			if (!*glob) {
				l->oom = true;
				continue;
			}
		}
		rule->match_mask |= bit;
	}
}

static void rule_done(Rule *r)
{
	free(r->name);
	free(r->file);
	free(r->comm_glob);
	free(r->exe_glob);
	pcre2_code_free(r->cmdline);
	free(r->cmdline_re);
	free(r->cgroup_glob);
	free(r->unit_glob);
}

static void load_rule(Loader *l, yaml_node_t *node)
{
	enum { K_NAME, K_MATCH, K_ACTION, K_WEIGHT, K_DEADLINE, K_GRACE, _K_MAX };
	static const char *const keys[_K_MAX] = { "name",   "match",	"action",
						  "weight", "deadline", "grace" };
	yaml_node_t *seen[_K_MAX] = {};
	size_t errors_before = l->n_errors;
	Rule rule = {
		.line = (unsigned)node->start_mark.line + 1,
		.column = (unsigned)node->start_mark.column + 1,
		.action = _RULE_ACTION_MAX,
		.deadline_usec = RULES_USEC_UNSET,
		.grace_usec = RULES_USEC_UNSET,
	};
	const char *name = NULL, *val, *key;
	yaml_node_t *k, *v;
	Rule *n;

	if (!node_mapping(l, node, "a rule must be a mapping with name, match and action"))
		return;
	for (yaml_node_pair_t *p = NULL; mapping_next(l, node, &p, "rule key", &k, &v, &key);) {
		size_t i;

		for (i = 0; i < _K_MAX; i++)
			if (strcmp(key, keys[i]) == 0)
				break;
		if (i == _K_MAX) {
			node_error(
				l, k,
				"unknown key '%s' in rule (expected name, match, action, weight, "
				"deadline, grace)",
				key);
			continue;
		}
		if (seen[i]) {
			node_error(l, k, "duplicate key '%s' in rule", key);
			continue;
		}
		seen[i] = v;
	}

	if (seen[K_NAME]) {
		name = node_scalar(l, seen[K_NAME], "name");
		if (name && !*name) {
			node_error(l, seen[K_NAME], "rule name must not be empty");
			name = NULL;
		}
		if (name) {
			for (size_t i = 0; i < l->rules->n_rules; i++) {
				const Rule *o = &l->rules->rules[i];

				if (strcmp(o->name, name) == 0) {
					node_error(l, seen[K_NAME],
						   "duplicate rule name '%s' (first defined at "
						   "%s:%u:%u)",
						   name, o->file, o->line, o->column);
					break;
				}
			}
		}
	} else
		node_error(l, node, "rule has no name");

	if (seen[K_MATCH])
		load_match(l, &rule, seen[K_MATCH]);

	if (!seen[K_ACTION])
		node_error(l, node, "rule '%s' has no action", name ?: "?");
	else if ((val = node_scalar(l, seen[K_ACTION], "action"))) {
		for (unsigned a = 0; a < _RULE_ACTION_MAX; a++)
			if (strcmp(val, action_names[a]) == 0)
				rule.action = a;
		if (rule.action == _RULE_ACTION_MAX)
			node_error(l, seen[K_ACTION],
				   "unknown action '%s' (expected protect, avoid, prefer, "
				   "kill-group)",
				   val);
	}

	if (seen[K_WEIGHT] && (val = node_scalar(l, seen[K_WEIGHT], "weight"))) {
		int w;

		if (parse_int(val, INT_MIN, INT_MAX, &w) < 0 || w < 1 || w > 1000)
			node_error(l, seen[K_WEIGHT], "weight must be between 1 and 1000, not '%s'",
				   val);
		else if (rule.action != RULE_ACTION_PREFER && rule.action != _RULE_ACTION_MAX)
			node_error(l, seen[K_WEIGHT], "weight is only valid with action prefer");
		else
			rule.weight = (unsigned)w;
	} else if (!seen[K_WEIGHT] && rule.action == RULE_ACTION_PREFER)
		node_error(l, seen[K_ACTION], "action prefer needs a weight (1..1000)");

	for (unsigned i = K_DEADLINE; i <= K_GRACE; i++) {
		uint64_t *dst = i == K_DEADLINE ? &rule.deadline_usec : &rule.grace_usec;

		if (!seen[i] || !(val = node_scalar(l, seen[i], keys[i])))
			continue;
		if (rules_parse_duration(val, dst) < 0)
			node_error(l, seen[i],
				   "invalid duration '%s' (expected e.g. 500ms, 5s, 2min)", val);
		else if (rule.action == RULE_ACTION_PROTECT)
			node_error(l, seen[i], "%s has no effect with action protect", keys[i]);
	}

	if (l->n_errors != errors_before || l->oom) {
		rule_done(&rule);
		return;
	}

	rule.name = strdup(name);
	rule.file = strdup(l->file);
	n = reallocarray(l->rules->rules, l->rules->n_rules + 1, sizeof(*n));
	if (!rule.name || !rule.file || !n) {
		if (n)
			l->rules->rules = n;
		rule_done(&rule);
		l->oom = true;
		return;
	}
	l->rules->rules = n;
	n[l->rules->n_rules++] = rule;
}

static void load_defaults(Loader *l, yaml_node_t *node)
{
	yaml_node_t *k, *v;
	const char *key, *val;

	if (!node_mapping(l, node, "'defaults' must be a mapping, e.g. { deadline: 10s }"))
		return;
	for (yaml_node_pair_t *p = NULL; mapping_next(l, node, &p, "defaults key", &k, &v, &key);) {
		if (strcmp(key, "deadline") == 0 || strcmp(key, "grace") == 0 ||
		    strcmp(key, "helper-deadline") == 0) {
			uint64_t usec;

			if (!(val = node_scalar(l, v, key)))
				continue;
			if (rules_parse_duration(val, &usec) < 0) {
				node_error(l, v,
					   "invalid duration '%s' (expected e.g. 500ms, 5s, 2min)",
					   val);
				continue;
			}
			*(key[0] == 'd'	  ? &l->deadline_usec
			  : key[0] == 'g' ? &l->grace_usec
					  : &l->helper_deadline_usec) = usec;
		} else if (strcmp(key, "floor") == 0) {
			if (!(val = node_scalar(l, v, key)))
				continue;
			if (rules_parse_floor(val, &l->floor_permille) < 0)
				node_error(l, v,
					   "invalid floor '%s' (expected a percentage of MemTotal "
					   "between 0%% and 50%%, e.g. 3%%)",
					   val);
		} else
			node_error(l, k,
				   "unknown key '%s' in defaults (expected deadline, grace, "
				   "helper-deadline, floor)",
				   key);
	}
}

static void load_document(Loader *l, yaml_node_t *root)
{
	yaml_node_t *k, *v;
	const char *key;
	bool seen_rules = false, seen_defaults = false;

	if (!node_mapping(l, root, "the file must be a mapping with 'rules' and 'defaults'"))
		return;
	for (yaml_node_pair_t *p = NULL; mapping_next(l, root, &p, "key", &k, &v, &key);) {
		if (strcmp(key, "rules") == 0) {
			if (seen_rules) {
				node_error(l, k, "duplicate key 'rules'");
				continue;
			}
			seen_rules = true;
			/* "rules:" with nothing after it is an empty list, not an error */
			if (v->type == YAML_SCALAR_NODE && v->data.scalar.length == 0)
				continue;
			if (v->type != YAML_SEQUENCE_NODE) {
				node_error(l, v, "'rules' must be a list of rules");
				continue;
			}
			for (yaml_node_item_t *i = v->data.sequence.items.start;
			     i < v->data.sequence.items.top; i++) {
				yaml_node_t *rn = node_get(l, *i);

				if (!rn)
					continue;
				if (l->rules->n_rules >= RULES_MAX) {
					node_error(l, rn, "too many rules (at most %d in all files)",
						   RULES_MAX);
					break;
				}
				load_rule(l, rn);
			}
		} else if (strcmp(key, "defaults") == 0) {
			if (seen_defaults) {
				node_error(l, k, "duplicate key 'defaults'");
				continue;
			}
			seen_defaults = true;
			load_defaults(l, v);
		} else
			node_error(l, k, "unknown key '%s' (expected rules, defaults)", key);
	}
}

static const char *file_type_name(mode_t mode)
{
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISSOCK(mode))
		return "a socket";
	if (S_ISCHR(mode) || S_ISBLK(mode))
		return "a device";
	return "a special file";
}

/*
 * Opens a rules file that cannot block or blow up the loader: a regular file
 * (O_NONBLOCK: opening a FIFO does not wait for a writer), at most
 * RULES_FILE_MAX bytes. Reported and returns -errno, or 0 and *ret.
 */
static int open_rules_file(Loader *l, const char *path, FILE **ret)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	struct stat st;
	FILE *f;

	if (fd < 0 || fstat(fd, &st) < 0) {
		int r = -errno;

		loader_add_error(l, 0, 0, "cannot open: %s", strerror(-r));
		return r;
	}
	if (!S_ISREG(st.st_mode)) {
		loader_add_error(l, 0, 0, "cannot read: %s, not a regular file",
				 file_type_name(st.st_mode));
		return -EINVAL;
	}
	if (st.st_size > RULES_FILE_MAX) {
		loader_add_error(l, 0, 0, "too large: %lld bytes (at most %d)",
				 (long long)st.st_size, RULES_FILE_MAX);
		return -EFBIG;
	}
	f = fdopen(fd, "re");
	if (!f) {
		int r = -errno;

		loader_add_error(l, 0, 0, "cannot open: %s", strerror(-r));
		return r;
	}
	(void)TAKE_FD(fd); /* the FILE owns it now */
	*ret = f;
	return 0;
}

/* Returns 0 or the negative errno of opening the file (which is also reported). */
static int load_file(Loader *l, const char *path)
{
	_cleanup_fclose_ FILE *f = NULL;
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	int r;

	l->file = path;
	r = open_rules_file(l, path, &f);
	if (r < 0)
		return r;
	if (!yaml_parser_initialize(&parser)) {
		l->oom = true;
		return -ENOMEM;
	}
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &doc)) {
		if (parser.error == YAML_MEMORY_ERROR)
			l->oom = true;
		else if (parser.context)
			loader_add_error(l, (unsigned)parser.problem_mark.line + 1,
					 (unsigned)parser.problem_mark.column + 1,
					 "syntax error: %s (%s at line %u)", parser.problem ?: "?",
					 parser.context, (unsigned)parser.context_mark.line + 1);
		else
			loader_add_error(l, (unsigned)parser.problem_mark.line + 1,
					 (unsigned)parser.problem_mark.column + 1,
					 "syntax error: %s", parser.problem ?: "?");
		yaml_parser_delete(&parser);
		return 0;
	}
	l->doc = &doc;
	root = yaml_document_get_root_node(&doc);
	if (root) {
		load_document(l, root);
		/* One document per file: a second one would be silently ignored otherwise. */
		yaml_document_t next;

		if (yaml_parser_load(&parser, &next)) {
			if (yaml_document_get_root_node(&next))
				loader_add_error(l, (unsigned)next.start_mark.line + 1,
						 (unsigned)next.start_mark.column + 1,
						 "only one YAML document per file is allowed");
			yaml_document_delete(&next);
		}
	}
	l->doc = NULL;
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int load_dropins(Loader *l, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0;
	int r = 0;

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		char **nn;

		if (de->d_name[0] == '.' || len < 6 || strcmp(de->d_name + len - 5, ".yaml") != 0)
			continue;
		nn = reallocarray(names, n + 1, sizeof(*nn));
		if (!nn || !(nn[n] = strdup(de->d_name))) {
			names = nn ?: names;
			r = -ENOMEM;
			break;
		}
		names = nn;
		n++;
	}
	(void)closedir(d);

	if (r == 0 && n > 0) /* qsort(NULL, 0) is undefined */
		qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *path = NULL;

		if (r == 0) {
			if (asprintf(&path, "%s/%s", dir, names[i]) < 0) {
				path = NULL;
				r = -ENOMEM;
			} else
				(void)load_file(
					l, path); /* a bad drop-in is reported, not fatal yet */
		}
		free(names[i]);
	}
	free(names);
	return r;
}

Rules *rules_free(Rules *rules)
{
	if (!rules)
		return NULL;
	for (size_t i = 0; i < rules->n_rules; i++)
		rule_done(&rules->rules[i]);
	free(rules->rules);
	pcre2_match_data_free(rules->match_data);
	pcre2_match_context_free(rules->match_ctx);
	free(rules->stats);
	free(rules);
	return NULL;
}

int rules_load(const char *path, const char *dropin_dir, const RulesLoadOptions *opts, Rules **ret,
	       RulesErrors *errs)
{
	static uint64_t generation;
	_cleanup_rules_ Rules *rules = NULL;
	Loader l = {
		.opts = opts,
		.errs = errs,
		.floor_permille = RULES_DEFAULT_FLOOR_PERMILLE,
		.deadline_usec = RULES_DEFAULT_DEADLINE_USEC,
		.grace_usec = RULES_DEFAULT_GRACE_USEC,
		.helper_deadline_usec = RULES_DEFAULT_HELPER_DEADLINE_USEC,
	};
	int r;

	if (!ret)
		return -EINVAL;
	rules = calloc(1, sizeof(*rules));
	if (!rules)
		return -ENOMEM;
	rules->stats = calloc(1, sizeof(*rules->stats));
	rules->match_ctx = pcre2_match_context_create(NULL);
	rules->match_data = pcre2_match_data_create(1, NULL);
	if (!rules->stats || !rules->match_ctx || !rules->match_data ||
	    pcre2_set_match_limit(rules->match_ctx, RULES_REGEX_MATCH_LIMIT) < 0 ||
	    pcre2_set_depth_limit(rules->match_ctx, RULES_REGEX_DEPTH_LIMIT) < 0)
		return -ENOMEM;
	l.rules = rules;

	r = path ? load_file(&l, path) : 0;
	if (r < 0)
		return r;
	if (dropin_dir) {
		r = load_dropins(&l, dropin_dir);
		if (r < 0) {
			l.file = dropin_dir;
			loader_add_error(&l, 0, 0, "cannot read drop-in directory: %s",
					 strerror(-r));
			return r;
		}
	}
	if (l.oom)
		return -ENOMEM;
	if (l.n_errors > 0)
		return -EINVAL;

	rules->deadline_usec = l.deadline_usec;
	rules->grace_usec = l.grace_usec;
	rules->helper_deadline_usec = l.helper_deadline_usec;
	rules->floor_permille = l.floor_permille;
	rules->generation = __atomic_add_fetch(&generation, 1, __ATOMIC_RELAXED);
	*ret = TAKE_PTR(rules);
	return 0;
}

const char *rules_cgroup_unit(const char *cgroup, size_t *ret_len)
{
	const char *end;

	if (!cgroup)
		return NULL;
	end = cgroup + strlen(cgroup);
	while (end > cgroup) {
		const char *start = end;
		size_t len;

		while (start > cgroup && start[-1] != '/')
			start--;
		len = (size_t)(end - start);
		if ((len > 8 && memcmp(end - 8, ".service", 8) == 0) ||
		    (len > 6 && memcmp(end - 6, ".scope", 6) == 0)) {
			if (ret_len)
				*ret_len = len;
			return start;
		}
		end = start > cgroup ? start - 1 : cgroup;
	}
	return NULL;
}

/* Within its step budget, or it counts as no match (and is counted). */
static bool cmdline_matches(const Rules *rules, const Rule *r, const char *cmdline)
{
	int rc = pcre2_match(r->cmdline, (PCRE2_SPTR)cmdline, PCRE2_ZERO_TERMINATED, 0, 0,
			     rules->match_data, rules->match_ctx);

	if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
	    rc == PCRE2_ERROR_HEAPLIMIT)
		rules->stats->regex_over_budget++;
	return rc >= 0;
}

static bool rule_matches(const Rules *rules, const Rule *r, const RuleSubject *s)
{
	unsigned m = r->match_mask;

	if ((m & RULE_MATCH_COMM) && (!s->comm || fnmatch(r->comm_glob, s->comm, 0) != 0))
		return false;
	if ((m & RULE_MATCH_EXE) && (!s->exe || fnmatch(r->exe_glob, s->exe, 0) != 0))
		return false;
	if ((m & RULE_MATCH_USER) && s->uid != r->uid)
		return false;
	if ((m & RULE_MATCH_CGROUP) && (!s->cgroup || fnmatch(r->cgroup_glob, s->cgroup, 0) != 0))
		return false;
	if ((m & RULE_MATCH_BAND) && (s->band < r->band_min || s->band > r->band_max))
		return false;
	if ((m & RULE_MATCH_OOM_SCORE_ADJ) &&
	    (s->oom_score_adj < r->adj_min || s->oom_score_adj > r->adj_max))
		return false;
	if (m & RULE_MATCH_UNIT) {
		char unit[256];
		size_t len;
		const char *u = rules_cgroup_unit(s->cgroup, &len);

		if (!u || len >= sizeof(unit))
			return false;
		memcpy(unit, u, len);
		unit[len] = 0;
		if (fnmatch(r->unit_glob, unit, 0) != 0)
			return false;
	}
	/* the regex last: the most expensive */
	if ((m & RULE_MATCH_CMDLINE) && (!s->cmdline || !cmdline_matches(rules, r, s->cmdline)))
		return false;
	return true;
}

const Rule *rules_match(const Rules *rules, const RuleSubject *s)
{
	if (!rules)
		return NULL;
	for (size_t i = 0; i < rules->n_rules; i++)
		if (rule_matches(rules, &rules->rules[i], s))
			return &rules->rules[i];
	return NULL;
}

void rules_errors_clear(RulesErrors *errs)
{
	if (!errs)
		return;
	for (size_t i = 0; i < errs->n_errors; i++) {
		free(errs->errors[i].file);
		free(errs->errors[i].message);
	}
	free(errs->errors);
	errs->errors = NULL;
	errs->n_errors = 0;
}

char *rules_errors_format(const RulesErrors *errs)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	if (!f)
		return NULL;
	for (size_t i = 0; errs && i < errs->n_errors; i++) {
		const RulesError *e = &errs->errors[i];

		if (e->line > 0)
			fprintf(f, "%s:%u:%u: %s\n", e->file, e->line, e->column, e->message);
		else
			fprintf(f, "%s: %s\n", e->file, e->message);
	}
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}
