/* SPDX-License-Identifier: GPL-2.0-only */
/* Reading the CLI's JSON lines in tests (no JSON library on the machines). */
#pragma once

#include <glib.h>
#include <stdlib.h>
#include <string.h>

/*
 * The raw value of "key" in a one-line JSON object: a string unescaped (the
 * CLI's own escapes), a number or literal as written; NULL when absent.
 */
static inline char *json_field(const char *line, const char *key)
{
	g_autofree char *pat = g_strdup_printf("\"%s\":", key);
	const char *p = strstr(line, pat);
	GString *v;

	if (!p)
		return NULL;
	p += strlen(pat);
	if (*p != '"')
		return g_strndup(p, strcspn(p, ",}"));
	v = g_string_new(NULL);
	for (p++; *p && *p != '"'; p++) {
		if (*p == '\\') {
			p++;
			if (*p == 'n')
				g_string_append_c(v, '\n');
			else if (*p == 'u' && strlen(p) >= 5) {
				char hex[5] = { p[1], p[2], p[3], p[4], 0 };

				g_string_append_c(v, (char)strtoul(hex, NULL, 16));
				p += 4;
			} else
				g_string_append_c(v, *p);
		} else {
			g_string_append_c(v, *p);
		}
	}
	return g_string_free(v, FALSE);
}

static inline gboolean json_has_field(const char *line, const char *key)
{
	g_autofree char *v = json_field(line, key);

	return v != NULL;
}

static inline void assert_field(const char *line, const char *key, const char *want)
{
	g_autofree char *got = json_field(line, key);

	if (g_strcmp0(got, want) != 0)
		g_test_message("line: %s", line);
	g_assert_cmpstr(got, ==, want);
}

