/* The rule index (src/rule/rindex.c) gives the verdicts of the plain
 * matcher: random rulesets and random events are matched with the index
 * and without it (MAILHUNT_NO_RULE_INDEX=1 at compile), rule by rule,
 * plus targeted cases with known answers. Deterministic (fixed seeds). */
#define _POSIX_C_SOURCE 200809L
#include "event_fixture.h"
#include "mh_test.h"
#include "rule/rule.h"
#include "rule/rule_int.h"
#include "util/splitmix.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static mh_arena arena;

/* ---------------------------------------------------------- helpers */

/* The ruleset of the YAML text (documents separated by ---), with the
 * index (ix) or without; NULL and a message on a load error. */
static mh_ruleset *load(const char *text, bool ix)
{
	mh_ruleset *rs;
	mh_err err;

	if (ix)
		unsetenv("MAILHUNT_NO_RULE_INDEX");
	else
		setenv("MAILHUNT_NO_RULE_INDEX", "1", 1);
	if (mh_ruleset_new(&rs))
		return NULL;
	mh_err_clear(&err);
	if (mh_ruleset_add_yaml(rs, "inline", text, strlen(text), &err) ||
	    mh_ruleset_compile(rs, &err)) {
		char msg[1024];
		mh_err_format(&err, msg, sizeof(msg));
		fprintf(stderr, "load error: %s\n--\n%s--\n", msg, text);
		mh_ruleset_free(rs);
		rs = NULL;
	}
	unsetenv("MAILHUNT_NO_RULE_INDEX");
	return rs;
}

typedef struct pair {
	mh_ruleset *rs[2]; /* 0: plain, 1: index */
	mh_match_ctx *m[2];
} pair;

static bool pair_load(pair *p, const char *text)
{
	memset(p, 0, sizeof(*p));
	for (int i = 0; i < 2; i++) {
		p->rs[i] = load(text, i == 1);
		if (!p->rs[i] || mh_match_ctx_new(p->rs[i], &p->m[i]))
			return false;
	}
	/* the switch works both ways */
	return !p->rs[0]->ix && p->rs[1]->ix;
}

static void pair_free(pair *p)
{
	for (int i = 0; i < 2; i++) {
		mh_match_ctx_free(p->m[i]);
		mh_ruleset_free(p->rs[i]);
	}
}

#define MAXOUT 256

/* Match ev with both; false (and a report) if the verdicts differ. */
static bool pair_same(pair *p, const mh_event *ev, size_t *nhit)
{
	uint32_t out[2][MAXOUT];
	size_t n[2];

	for (int i = 0; i < 2; i++)
		n[i] = mh_ruleset_match(p->rs[i], p->m[i], ev, out[i], MAXOUT);
	if (nhit)
		*nhit = n[0];
	if (n[0] == n[1] && !memcmp(out[0], out[1], n[0] * sizeof(out[0][0])))
		return true;
	fprintf(stderr, "verdicts differ: plain %zu hits, index %zu hits\n",
		n[0], n[1]);
	for (int f = 0; f < MH_F__COUNT; f++)
		if (mh_event_has(ev, (mh_field)f))
			fprintf(stderr, "  %s%s = '%.*s'\n",
				mh_field_name((mh_field)f),
				mh_fieldset_has(&ev->multi, (mh_field)f)
				    ? " (list)"
				    : "",
				(int)ev->v[f].n, ev->v[f].p);
	for (int i = 0; i < 2; i++) {
		fprintf(stderr, "  %s:", i ? "index" : "plain");
		for (size_t k = 0; k < n[i]; k++)
			fprintf(stderr, " %s",
				mh_ruleset_rule(p->rs[i], out[i][k])->id);
		fprintf(stderr, "\n");
	}
	return false;
}

/* Verdict of a one-rule detection (the lines under `detection:`) on ev,
 * checked equal with and without the index: 1/0, or -1 on a load error
 * or a difference. */
static int verdict(const char *det, const mh_event *ev)
{
	char buf[4096];
	pair p;
	size_t n = 0;
	int r;

	snprintf(buf, sizeof(buf), "title: t\nid: r1\ndetection:\n%s\n", det);
	if (!pair_load(&p, buf)) {
		pair_free(&p);
		return -1;
	}
	r = pair_same(&p, ev, &n) ? n == 1 : -1;
	pair_free(&p);
	return r;
}

static int v1(const char *det, mh_field f, const char *v)
{
	mh_event ev;

	ev_make(&ev, &arena, f, v, MH_F_NONE);
	return verdict(det, &ev);
}

#define CL   MH_F_COMMAND_LINE
#define IMG  MH_F_IMAGE
#define USR  MH_F_USER
#define PORT MH_F_DESTINATION_PORT
#define DIP  MH_F_DESTINATION_IP

/* ---------------------------------------------------- targeted cases */

static void test_literals(void)
{
	const char *c = "  s:\n    CommandLine|contains: '%s'\n  condition: s";
	char d[256];

	/* empty needle: any set value, not an unset one */
	snprintf(d, sizeof(d), c, "");
	MH_CHECK_EQ_INT(v1(d, CL, "x"), 1);
	MH_CHECK_EQ_INT(v1(d, CL, ""), 1);
	MH_CHECK_EQ_INT(v1(d, IMG, "x"), 0);
	/* needle longer than the value */
	snprintf(d, sizeof(d), c, "abcdef");
	MH_CHECK_EQ_INT(v1(d, CL, "abc"), 0);
	MH_CHECK_EQ_INT(v1(d, CL, "xxABCDEFxx"), 1);
	/* overlapping needles, one a suffix of another */
	MH_CHECK_EQ_INT(v1("  s:\n    CommandLine|contains|all: [abab, bab, "
			   "ba]\n  condition: s",
			   CL, "xababx"),
			1);
	MH_CHECK_EQ_INT(v1("  s:\n    CommandLine|contains|all: [abab, bab, "
			   "bb]\n  condition: s",
			   CL, "xababx"),
			0);
	MH_CHECK_EQ_INT(v1("  a:\n    CommandLine|contains: aab\n  b:\n    "
			   "CommandLine|contains: ab\n  condition: a and b",
			   CL, "aaab"),
			1);
	/* startswith / endswith == whole value, and not elsewhere */
	MH_CHECK_EQ_INT(v1("  s:\n    Image|startswith: 'C:\\x.exe'\n  "
			   "condition: s",
			   IMG, "c:\\X.EXE"),
			1);
	MH_CHECK_EQ_INT(v1("  s:\n    Image|startswith: 'x.exe'\n  condition: "
			   "s",
			   IMG, "ax.exe"),
			0);
	MH_CHECK_EQ_INT(v1("  s:\n    Image|endswith: '\\x.exe'\n  condition: "
			   "s",
			   IMG, "\\X.exe"),
			1);
	MH_CHECK_EQ_INT(v1("  s:\n    Image|endswith: 'x.exe'\n  condition: "
			   "s",
			   IMG, "x.exe.bak"),
			0);
	/* one literal used as startswith and as endswith */
	MH_CHECK_EQ_INT(v1("  a:\n    Image|startswith: ab\n  b:\n    "
			   "Image|endswith: ab\n  condition: a or b",
			   IMG, "xab"),
			1);
	MH_CHECK_EQ_INT(v1("  a:\n    Image|startswith: ab\n  b:\n    "
			   "Image|endswith: ab\n  condition: a or b",
			   IMG, "abx"),
			1);
	MH_CHECK_EQ_INT(v1("  a:\n    Image|startswith: ab\n  b:\n    "
			   "Image|endswith: ab\n  condition: a or b",
			   IMG, "xabx"),
			0);
	/* a needle that is a startswith hit in the middle only */
	MH_CHECK_EQ_INT(
	    v1("  s:\n    Image|startswith: ab\n  condition: s", IMG, "xab"),
	    0);
	/* equality with the same bytes as a contains literal */
	MH_CHECK_EQ_INT(v1("  a:\n    Image: ab\n  b:\n    Image|contains: "
			   "ab\n  condition: a or b",
			   IMG, "xABx"),
			1);
	MH_CHECK_EQ_INT(v1("  a:\n    Image: ab\n  b:\n    Image|contains: "
			   "ab\n  condition: a and b",
			   IMG, "xABx"),
			0);
	/* non-ASCII bytes compare exactly */
	MH_CHECK_EQ_INT(
	    v1("  s:\n    Image|contains: 'Ä'\n  condition: s", IMG, "ä"), 0);
}

static void test_cased(void)
{
	MH_CHECK_EQ_INT(v1("  s:\n    CommandLine|contains|cased: SMTP\n  "
			   "condition: s",
			   CL, "x smtp x"),
			0);
	MH_CHECK_EQ_INT(v1("  s:\n    CommandLine|contains|cased: SMTP\n  "
			   "condition: s",
			   CL, "x SMTP x"),
			1);
	/* the same folded bytes, cased and not, in two rules' predicates */
	MH_CHECK_EQ_INT(v1("  a:\n    CommandLine|contains|cased: SMTP\n  b:\n "
			   "   CommandLine|contains: smtp\n  condition: a or b",
			   CL, "x sMtp x"),
			1);
	MH_CHECK_EQ_INT(v1("  a:\n    CommandLine|contains|cased: SMTP\n  b:\n "
			   "   CommandLine|contains: smtp\n  condition: a and "
			   "b",
			   CL, "x sMtp x"),
			0);
	MH_CHECK_EQ_INT(
	    v1("  s:\n    User|cased: Bob\n  condition: s", USR, "bob"), 0);
	MH_CHECK_EQ_INT(
	    v1("  s:\n    User|cased: Bob\n  condition: s", USR, "Bob"), 1);
	MH_CHECK_EQ_INT(v1("  s:\n    Image|endswith|cased: '.EXE'\n  "
			   "condition: s",
			   IMG, "a.exe"),
			0);
}

static void test_all_and_lists(void)
{
	const char *all = "  s:\n    CommandLine|contains|all: [mail, "
			  "'-smtp']\n  condition: s";
	mh_event ev;

	MH_CHECK_EQ_INT(v1(all, CL, "send-mail -smtp x"), 1);
	MH_CHECK_EQ_INT(v1(all, CL, "send-mail x"), 0);
	/* list field: any element; |all groups may use different elements */
	MH_CHECK_EQ_INT(v1(all, CL, "mail\x1f-SMTP"), 1);
	MH_CHECK_EQ_INT(v1("  s:\n    User: [alice, bob]\n  condition: s", USR,
			   "carol\x1f"
			   "BOB"),
			1);
	MH_CHECK_EQ_INT(v1("  s:\n    User|startswith: bo\n  condition: s", USR,
			   "carol\x1f"
			   "abob"),
			0);
	MH_CHECK_EQ_INT(v1("  s:\n    User|endswith: ol\n  condition: s", USR,
			   "carol\x1f"
			   "abob"),
			1);
	/* big equality list (hash set) next to a wildcard value */
	MH_CHECK_EQ_INT(v1("  s:\n    User: [a1, a2, a3, a4, a5, a6, a7, a8, "
			   "a9, a10, a11, 'z*']\n  condition: s",
			   USR, "A7"),
			1);
	MH_CHECK_EQ_INT(v1("  s:\n    User: [a1, a2, a3, a4, a5, a6, a7, a8, "
			   "a9, a10, a11, 'z*']\n  condition: s",
			   USR, "zed"),
			1);
	MH_CHECK_EQ_INT(v1("  s:\n    User: [a1, a2, a3, a4, a5, a6, a7, a8, "
			   "a9, a10, a11, 'z*']\n  condition: s",
			   USR, "a12"),
			0);
	/* ports (integer atoms) with a CIDR filter */
	ev_make(&ev, &arena, PORT, "25", DIP, "10.1.2.3", MH_F_NONE);
	MH_CHECK_EQ_INT(verdict("  s:\n    DestinationPort: [25, 587]\n  f:\n "
				"   DestinationIp|cidr: 10.0.0.0/8\n  "
				"condition: s and not f",
				&ev),
			0);
	ev_make(&ev, &arena, PORT, "025", DIP, "8.8.8.8", MH_F_NONE);
	MH_CHECK_EQ_INT(verdict("  s:\n    DestinationPort: [25, 587]\n  f:\n "
				"   DestinationIp|cidr: 10.0.0.0/8\n  "
				"condition: s and not f",
				&ev),
			1);
	/* integers and a string literal in one predicate */
	MH_CHECK_EQ_INT(v1("  s:\n    DestinationPort: [25, smtp]\n  "
			   "condition: s",
			   PORT, "25"),
			1);
	MH_CHECK_EQ_INT(v1("  s:\n    DestinationPort: [25, smtp]\n  "
			   "condition: s",
			   PORT, "SMTP"),
			1);
	ev_make(&ev, &arena, PORT, "26", DIP, "10.200.0.1", MH_F_NONE);
	MH_CHECK_EQ_INT(verdict("  s:\n    DestinationIp|cidr: [10.0.0.0/8, "
				"'fd00::/8']\n  condition: s",
				&ev),
			1);
}

static void test_null_and_unset(void)
{
	mh_event ev;

	ev_make(&ev, &arena, CL, "x", MH_F_NONE);
	MH_CHECK_EQ_INT(verdict("  s:\n    User: null\n  condition: s", &ev),
			1);
	MH_CHECK_EQ_INT(
	    verdict("  s:\n    User: [null, bob]\n  condition: s", &ev), 1);
	MH_CHECK_EQ_INT(verdict("  s:\n    User: bob\n  condition: not s", &ev),
			1);
	MH_CHECK_EQ_INT(
	    verdict("  s:\n    User|exists: false\n  condition: s", &ev), 1);
	MH_CHECK_EQ_INT(verdict("  s:\n    User|neq: bob\n  condition: s", &ev),
			0);
	ev_make(&ev, &arena, USR, "bob", MH_F_NONE);
	MH_CHECK_EQ_INT(verdict("  s:\n    User|neq: bob\n  condition: s", &ev),
			0);
	MH_CHECK_EQ_INT(
	    verdict("  s:\n    User: [null, bob]\n  condition: s", &ev), 1);
	/* empty string: set, not null */
	ev_make(&ev, &arena, USR, "", MH_F_NONE);
	MH_CHECK_EQ_INT(verdict("  s:\n    User: ''\n  condition: s", &ev), 1);
	MH_CHECK_EQ_INT(verdict("  s:\n    User: null\n  condition: s", &ev),
			0);
}

static void test_encodings(void)
{
	/* windash: -enc also as /enc and en dash; base64offset of "http" */
	const char *wd = "  s:\n    CommandLine|windash|contains: ' -enc '\n  "
			 "condition: s";
	MH_CHECK_EQ_INT(v1(wd, CL, "ps /enc x"), 1);
	MH_CHECK_EQ_INT(v1(wd, CL,
			   "ps \xe2\x80\x93"
			   "enc x"),
			1);
	MH_CHECK_EQ_INT(v1(wd, CL, "ps enc x"), 0);
	/* "http://" base64 at offsets 0, 1, 2 */
	MH_CHECK_EQ_INT(v1("  s:\n    CommandLine|base64offset|contains: "
			   "'http://'\n  condition: s",
			   CL, "x aHR0cDovL y"),
			1);
}

static void test_conditions(void)
{
	mh_event ev;

	/* a selection used twice in one condition */
	ev_make(&ev, &arena, CL, "abc", IMG, "x.exe", MH_F_NONE);
	MH_CHECK_EQ_INT(verdict("  a:\n    CommandLine|contains: b\n  i:\n    "
				"Image|endswith: .exe\n  condition: (a and i) "
				"or (a and not i)",
				&ev),
			1);
	/* keywords are evaluated without the index */
	MH_CHECK_EQ_INT(verdict("  kw:\n    - 'X.EX'\n  condition: kw", &ev),
			1);
	/* AND with an unindexable kid: the rule is still reached */
	MH_CHECK_EQ_INT(verdict("  a:\n    CommandLine|re: 'a.c'\n  i:\n    "
				"Image|endswith: .exe\n  condition: a and i",
				&ev),
			1);
	MH_CHECK_EQ_INT(verdict("  a:\n    CommandLine|re: 'a.c'\n  i:\n    "
				"Image|endswith: .exe\n  condition: a or i",
				&ev),
			1);
	MH_CHECK_EQ_INT(verdict("  a:\n    CommandLine|contains: zz\n  i:\n    "
				"Image|endswith: .exe\n  condition: a or i",
				&ev),
			1);
}

/* ------------------------------------------------------------- random */

static unsigned rbelow(mh_rng *r, unsigned n)
{
	return (unsigned)(mh_rng_next(r) % n);
}

#define PICK(r, a) ((a)[rbelow((r), sizeof(a) / sizeof((a)[0]))])

/* Small alphabet: many hits, overlaps and case variants. */
static const char *const alpha[] = {"a", "b",  "A", "B", "c", "-", "/",
				    " ", "\\", ".", "1", "e", "E", "\xc3\xa9"};

/* A random string of 0..max alphabet pieces into buf (size >= 64). */
static void rstr(mh_rng *r, char *buf, size_t cap, unsigned max)
{
	unsigned n = rbelow(r, max + 1);
	size_t k = 0;

	buf[0] = 0;
	for (unsigned i = 0; i < n; i++) {
		const char *p = PICK(r, alpha);
		size_t l = strlen(p);
		if (k + l + 1 >= cap)
			break;
		memcpy(buf + k, p, l);
		k += l;
	}
	buf[k] = 0;
}

typedef struct sbuf {
	char *p;
	size_t n, cap;
} sbuf;

static void sb_add(sbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void sb_add(sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int k;

	for (;;) {
		va_start(ap, fmt);
		k = vsnprintf(b->p + b->n, b->cap - b->n, fmt, ap);
		va_end(ap);
		if (k >= 0 && (size_t)k < b->cap - b->n)
			break;
		b->cap = b->cap * 2 + (size_t)k + 64;
		b->p = realloc(b->p, b->cap);
		if (!b->p) {
			fprintf(stderr, "out of memory\n");
			exit(2);
		}
	}
	b->n += (size_t)k;
}

/* A YAML single-quoted scalar. */
static void sb_q(sbuf *b, const char *s)
{
	sb_add(b, "'");
	for (; *s; s++)
		sb_add(b, *s == '\'' ? "''" : "%c", *s);
	sb_add(b, "'");
}

static const char *const str_fields[] = {"Image", "CommandLine", "User",
					 "Computer", "ProcessName"};
static const char *const str_mods[] = {"",
				       "",
				       "|contains",
				       "|contains",
				       "|contains",
				       "|startswith",
				       "|endswith",
				       "|contains|all",
				       "|contains|cased",
				       "|cased",
				       "|startswith|cased",
				       "|endswith|all",
				       "|neq",
				       "|windash|contains",
				       "|base64offset|contains",
				       "|re",
				       "|exists",
				       "|fieldref"};
static const char *const nums[] = {"25", "465", "0", "-1", "110.5"};
/* "abc": a string literal on an integer field, next to the integers */
static const char *const ports[] = {"25", "465", "587", "110",
				    "0",  "-1",	 "abc", "'2*'"};
static const char *const cidrs[] = {"10.0.0.0/8",     "10.1.2.3/32",
				    "192.168.1.0/24", "0.0.0.0/0",
				    "::1/128",	      "fd00::/8"};
static const char *const ips[] = {"10.1.2.3",  "10.9.9.9",   "192.168.1.7",
				  "8.8.8.8",   "::1",	     "fd00::5",
				  "not an ip", "192.168.2.1"};
static const char *const port_vals[] = {"25",  "465", " 25", "25.0",
					"587", "abc", "ABC", "-1",
					"0",   "250", "110", "2x"};

/* One predicate line (indent 4) of a selection map. */
static void gen_pred(mh_rng *r, sbuf *b)
{
	char s[64];
	unsigned kind = rbelow(r, 10);

	if (kind == 0) { /* ports: integer equality or comparison */
		if (rbelow(r, 4) == 0) {
			sb_add(b, "    DestinationPort|%s: %s\n",
			       rbelow(r, 2) ? "gt" : "lte", PICK(r, nums));
			return;
		}
		sb_add(b, "    DestinationPort: [");
		for (unsigned i = 0, n = 1 + rbelow(r, 3); i < n; i++)
			sb_add(b, "%s%s", i ? ", " : "", PICK(r, ports));
		sb_add(b, "]\n");
		return;
	}
	if (kind == 1) {
		sb_add(b, "    DestinationIp|cidr: [");
		for (unsigned i = 0, n = 1 + rbelow(r, 2); i < n; i++)
			sb_add(b, "%s'%s'", i ? ", " : "", PICK(r, cidrs));
		sb_add(b, "]\n");
		return;
	}
	{
		const char *f = PICK(r, str_fields);
		const char *mod = PICK(r, str_mods);
		unsigned n = 1 + rbelow(r, rbelow(r, 4) ? 3 : 14);
		sb_add(b, "    %s%s: ", f, mod);
		if (!strcmp(mod, "|exists")) {
			sb_add(b, "%s\n", rbelow(r, 2) ? "true" : "false");
			return;
		}
		if (!strcmp(mod, "|fieldref")) {
			sb_add(b, "%s\n", PICK(r, str_fields));
			return;
		}
		if (!strcmp(mod, "|re")) {
			sb_add(
			    b, "%s\n",
			    PICK(r, ((const char *const[]){
					"'a.b'", "'^ab'", "'B$'", "'(?i)e'"})));
			return;
		}
		sb_add(b, "[");
		for (unsigned i = 0; i < n; i++) {
			unsigned w = rbelow(r, 20);
			if (i)
				sb_add(b, ", ");
			if (w == 0 && !strcmp(mod, "")) {
				sb_add(b, "null");
				continue;
			}
			rstr(r, s, sizeof(s), 6);
			if (w == 1 && !strstr(mod, "cased") &&
			    !strstr(mod, "base64")) {
				/* a wildcard value (glob, not indexed) */
				size_t l = strlen(s);
				if (l + 2 < sizeof(s)) {
					memmove(s + 1, s, l + 1);
					s[0] = '*';
				}
				if (rbelow(r, 2) && l + 2 < sizeof(s))
					memcpy(s + l + 1, "?", 2);
			}
			if (!strstr(mod, "base64") || s[0])
				sb_q(b, s);
			else
				sb_q(b, "ab");
		}
		sb_add(b, "]\n");
	}
}

/* A condition over selections s0..s{ns-1}. */
static void gen_cond(mh_rng *r, sbuf *b, unsigned ns, unsigned depth)
{
	unsigned k = rbelow(r, depth ? 6 : 3);

	switch (k) {
	case 0:
	case 1:
	case 2:
		sb_add(b, "s%u", rbelow(r, ns));
		return;
	case 3:
		sb_add(b, "not ");
		gen_cond(r, b, ns, depth - 1);
		return;
	case 4:
		sb_add(b, rbelow(r, 2) ? "1 of s*" : "all of s*");
		return;
	default:
		sb_add(b, "(");
		gen_cond(r, b, ns, depth - 1);
		sb_add(b, rbelow(r, 2) ? " and " : " or ");
		gen_cond(r, b, ns, depth - 1);
		sb_add(b, ")");
	}
}

static void gen_rule(mh_rng *r, sbuf *b, unsigned id)
{
	unsigned ns = 1 + rbelow(r, 3);

	sb_add(b, "title: r%u\nid: r%u\ndetection:\n", id, id);
	for (unsigned s = 0; s < ns; s++) {
		sb_add(b, "  s%u:\n", s);
		if (rbelow(r, 25) == 0) { /* keywords */
			char kw[64];
			rstr(r, kw, sizeof(kw), 3);
			sb_add(b, "    - ");
			sb_q(b, kw);
			sb_add(b, "\n");
			continue;
		}
		for (unsigned i = 0, n = 1 + rbelow(r, 3); i < n; i++)
			gen_pred(r, b);
	}
	sb_add(b, "  condition: ");
	gen_cond(r, b, ns, 2);
	sb_add(b, "\n---\n");
}

/* A random event: each field unset, a value, or a list. */
static void gen_event(mh_rng *r, mh_event *ev, char pool[][64])
{
	static const mh_field sf[] = {MH_F_IMAGE, MH_F_COMMAND_LINE, MH_F_USER,
				      MH_F_HOST, MH_F_PROCESS_NAME};
	unsigned k = 0;

	mh_event_clear(ev);
	ev->arena = &arena;
	for (size_t i = 0; i < sizeof(sf) / sizeof(sf[0]); i++) {
		char *p = pool[k++];
		unsigned w = rbelow(r, 10);
		if (w == 0)
			continue;
		if (w == 1) { /* list of 2 elements */
			char a[24], c[24];
			rstr(r, a, sizeof(a), 5);
			rstr(r, c, sizeof(c), 5);
			snprintf(p, 64, "%s%c%s", a, MH_LIST_SEP, c);
			mh_fieldset_add(&ev->multi, sf[i]);
		} else if (w == 2) {
			/* base64 / windash material */
			snprintf(p, 64, "%s",
				 PICK(r, ((const char *const[]){"YWI", "WFi",
								"xhY", "/ab",
								"\xe2\x80\x94"
								"ab",
								"-AB"})));
		} else {
			rstr(r, p, 64, 10);
		}
		mh_event_set(ev, sf[i], p, strlen(p));
	}
	if (rbelow(r, 4)) {
		const char *v = PICK(r, port_vals);
		mh_event_set(ev, MH_F_DESTINATION_PORT, v, strlen(v));
	}
	if (rbelow(r, 4)) {
		const char *v = PICK(r, ips);
		mh_event_set(ev, MH_F_DESTINATION_IP, v, strlen(v));
	}
}

#define SEEDS  60
#define RULES  40
#define EVENTS 300

/* Random rulesets against random events. cells: the automaton size cap
 * (MAILHUNT_RX_MAX_CELLS) for the indexed rulesets, NULL for the
 * default; returns how many rulesets had an automaton. */
static size_t run_random(unsigned seeds, const char *cells)
{
	sbuf b = {0};
	char pool[8][64];
	size_t hits = 0, checked = 0, with_ac = 0;

	for (unsigned seed = 1; seed <= seeds; seed++) {
		mh_rng r = {seed * 0x1234567ULL};
		pair p;
		bool ok = true, loaded;
		b.n = 0;
		for (unsigned i = 0; i < RULES; i++)
			gen_rule(&r, &b, i);
		if (cells)
			setenv("MAILHUNT_RX_MAX_CELLS", cells, 1);
		loaded = pair_load(&p, b.p);
		unsetenv("MAILHUNT_RX_MAX_CELLS");
		if (!loaded) {
			fprintf(stderr, "seed %u: load failed\n", seed);
			MH_CHECK(0);
			pair_free(&p);
			continue;
		}
		with_ac += mh_rindex_automata(p.rs[1]) > 0;
		for (unsigned e = 0; e < EVENTS && ok; e++) {
			mh_event ev;
			size_t n = 0;
			gen_event(&r, &ev, pool);
			ok = pair_same(&p, &ev, &n);
			hits += n;
			checked++;
			if (!ok)
				fprintf(stderr, "seed %u event %u; rules:\n%s",
					seed, e, b.p);
		}
		MH_CHECK(ok);
		pair_free(&p);
	}
	/* the cases are not degenerate: rules fire, not always */
	MH_CHECK(hits > checked);
	MH_CHECK(hits < checked * RULES / 2);
	if (getenv("MH_TEST_VERBOSE"))
		fprintf(stderr, "%zu events, %zu hits\n", checked, hits);
	free(b.p);
	return with_ac;
}

static void test_random(void)
{
	MH_CHECK_EQ_INT(run_random(SEEDS, NULL), SEEDS);
}

/* Above the automaton size cap a field's literals fall back to the plain
 * matcher (the rest of the index stays): same verdicts. */
static void test_random_no_automaton(void)
{
	MH_CHECK_EQ_INT(run_random(SEEDS / 3, "1"), 0);
}

int main(void)
{
	MH_RUN(test_literals);
	MH_RUN(test_cased);
	MH_RUN(test_all_and_lists);
	MH_RUN(test_null_and_unset);
	MH_RUN(test_encodings);
	MH_RUN(test_conditions);
	MH_RUN(test_random);
	MH_RUN(test_random_no_automaton);
	mh_arena_free(&arena);
	MH_DONE();
}
