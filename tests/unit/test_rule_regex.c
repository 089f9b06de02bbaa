/* Compiling `|re` values (issue 4): a pattern used by several rules (the
 * evidence placeholders) is compiled once and shared; only the matchers
 * that remain after merging a list into one alternation are
 * JIT-compiled; matching and error reports are unchanged. */
#include "event_fixture.h"
#include "mh_test.h"
#include "rule/rule.h"
#include "rule/rule_int.h"

#include <pcre2.h>
#include <stdio.h>
#include <string.h>

#define RULE(name, det)                                                        \
	"title: " name "\nlogsource:\n  category: process_creation\n"          \
	"detection:\n" det "\n---\n"

/* three rules with the same two-regex list, one with another regex */
static const char PACK[] =
    RULE("a", "  s:\n    CommandLine|re:\n      - 'smtp://[a-z]+'\n"
	      "      - 'imap[s]?://'\n  condition: s")
	RULE("b", "  s:\n    CommandLine|re:\n      - 'smtp://[a-z]+'\n"
		  "      - 'imap[s]?://'\n  x:\n    Image|endswith: curl.exe\n"
		  "  condition: s and x")
	    RULE("c", "  s:\n    CommandLine|re:\n      - 'smtp://[a-z]+'\n"
		      "      - 'imap[s]?://'\n  condition: s")
		RULE("d", "  s:\n    CommandLine|re: 'pop3s?://'\n"
			  "  condition: s");

static mh_ruleset *load(const char *text, mh_err *err)
{
	mh_ruleset *rs = NULL;

	mh_err_clear(err);
	if (mh_ruleset_new(&rs))
		return NULL;
	if (mh_ruleset_add_yaml(rs, "t.yml", text, strlen(text), err) ||
	    mh_ruleset_compile(rs, err)) {
		mh_ruleset_free(rs);
		return NULL;
	}
	return rs;
}

/* every M_RE matcher of rule i's predicates, through f */
static void each_re(const cnode *n, void (*f)(const mh_matcher *, void *),
		    void *ud)
{
	if (n->op == C_PRED) {
		for (size_t i = 0; i < n->pred->nm; i++)
			if (n->pred->m[i].kind == M_RE)
				f(&n->pred->m[i], ud);
		return;
	}
	for (uint32_t i = 0; i < n->nkids; i++)
		each_re(n->kids[i], f, ud);
}

typedef struct seen {
	const pcre2_code *codes[16];
	size_t n, matchers, jit_ok;
} seen;

static void note(const mh_matcher *m, void *ud)
{
	seen *s = ud;
	size_t sz = 0;
	bool has_jit =
	    pcre2_pattern_info(m->re, PCRE2_INFO_JITSIZE, &sz) == 0 && sz > 0;
	size_t i;

	s->matchers++;
	/* num_int says exactly whether the code has JIT code */
	if ((m->num_int != 0) == has_jit)
		s->jit_ok++;
	for (i = 0; i < s->n; i++)
		if (s->codes[i] == m->re)
			return;
	if (s->n < 16)
		s->codes[s->n++] = m->re;
}

static void test_shared_codes(void)
{
	mh_err err;
	mh_ruleset *rs = load(PACK, &err);
	seen s = {0};

	MH_CHECK(rs != NULL);
	if (!rs)
		return;
	for (size_t i = 0; i < rs->nrules; i++)
		each_re(rs->rules[i]->root, note, &s);
	/* a, b and c hold the merged alternation, d its own regex */
	MH_CHECK_EQ_INT(s.matchers, 4);
	MH_CHECK_EQ_INT(s.n, 2);
	MH_CHECK_EQ_INT(s.jit_ok, 4);
	/* compiled: the two list items once each, the alternation once,
	 * and d's regex: 4 codes, not 10 */
	MH_CHECK_EQ_INT(rs->nre, 4);
	mh_ruleset_free(rs);
}

static void test_matching_unchanged(void)
{
	mh_err err;
	mh_ruleset *rs = load(PACK, &err);
	mh_match_ctx *m = NULL;
	mh_arena a;
	mh_event ev;
	uint32_t out[8];

	MH_CHECK(rs != NULL);
	if (!rs)
		return;
	MH_CHECK(mh_match_ctx_new(rs, &m) == MH_OK);
	mh_arena_init(&a, 4096, 0);
	memset(&ev, 0, sizeof(ev));
	ev_make(&ev, &a, MH_F_COMMAND_LINE, "curl imaps://x", MH_F_IMAGE,
		"C:\\bin\\curl.exe", MH_F_NONE);
	MH_CHECK_EQ_INT(mh_ruleset_match(rs, m, &ev, out, 8), 3);
	ev_make(&ev, &a, MH_F_COMMAND_LINE, "x smtp://mail", MH_F_NONE);
	MH_CHECK_EQ_INT(mh_ruleset_match(rs, m, &ev, out, 8), 2);
	ev_make(&ev, &a, MH_F_COMMAND_LINE, "pop3s://h", MH_F_NONE);
	MH_CHECK_EQ_INT(mh_ruleset_match(rs, m, &ev, out, 8), 1);
	ev_make(&ev, &a, MH_F_COMMAND_LINE, "smtp://1", MH_F_NONE);
	MH_CHECK_EQ_INT(mh_ruleset_match(rs, m, &ev, out, 8), 0);
	mh_event_clear(&ev);
	mh_arena_free(&a);
	mh_match_ctx_free(m);
	mh_ruleset_free(rs);
}

/* a bad pattern is reported where it stands, also when the same pattern
 * failed before (nothing is cached for it) */
static void test_bad_pattern(void)
{
	mh_err err;
	char msg[512];
	mh_ruleset *rs = load(RULE("ok", "  s:\n    CommandLine|re: 'a(b'\n"
					 "  condition: s"),
			      &err);

	MH_CHECK(rs == NULL);
	mh_err_format(&err, msg, sizeof(msg));
	MH_CHECK(strstr(msg, "bad regular expression") != NULL);
	MH_CHECK_EQ_INT(err.line, 6);
	rs = load(RULE("x", "  s:\n    CommandLine|re: 'ok'\n  condition: s")
		      RULE("y", "  s:\n    CommandLine|re: 'a(b'\n"
				"  condition: s"),
		  &err);
	MH_CHECK(rs == NULL);
	mh_err_format(&err, msg, sizeof(msg));
	MH_CHECK(strstr(msg, "bad regular expression") != NULL);
	MH_CHECK_EQ_INT(err.line, 14);
}

int main(void)
{
	MH_RUN(test_shared_codes);
	MH_RUN(test_matching_unchanged);
	MH_RUN(test_bad_pattern);
	MH_DONE();
}
