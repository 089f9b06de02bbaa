/* Necessary literals of a PCRE2 regular expression (see re_lits.h).
 *
 * The pattern is parsed into alternations of sequences. In a sequence,
 * adjacent literal characters that every match must contain form a run;
 * a group that must occur contributes the literal set of its
 * alternation (one literal per branch, or more). The sequence keeps the
 * candidate whose shortest literal is longest; an alternation is the
 * union of its branches' sets, and has no requirement when one branch
 * has none. Everything the parse does not model makes the whole regex
 * unfiltered, so the test stays sound by construction.
 *
 * Case: subjects are compared ASCII case-insensitively, which can only
 * accept more. Under caseless matching with UTF, 'k' and 's' also match
 * U+212A (Kelvin sign) and U+017F (long s), so in a caseless pattern
 * they end a run instead of joining it; non-ASCII bytes always do. */
#include "rule/re_lits.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define MAX_LITS  32   /* literals per set */
#define MAX_RUN	  32   /* bytes per literal (a prefix is still necessary) */
#define MAX_DEPTH 24   /* group nesting */
#define BUF_CAP	  4096 /* bytes of all literals of one parse */

typedef struct lref {
	uint16_t off, len;
} lref;

/* n == -1: no requirement proven; n == 0: none yet (empty sequence). */
typedef struct lset {
	int n;
	lref v[MAX_LITS];
} lset;

typedef struct rp {
	const char *p, *end;
	bool ci;
	bool bad; /* a construct the parse does not model */
	int depth;
	size_t bn;
	char buf[BUF_CAP];
} rp;

struct mh_re_lits {
	uint64_t first[1024]; /* bit: a literal starts with this bigram */
	size_t n, minlen;
	const char **s;
	uint16_t *len, *big;
};

static unsigned char fold(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

/* 0 for none or no requirement, else the shortest literal's length. */
static int score(const lset *s)
{
	int m = 0;

	for (int i = 0; i < s->n; i++)
		if (!m || s->v[i].len < m)
			m = s->v[i].len;
	return m;
}

static void consider(lset *best, const lset *cand)
{
	if (score(cand) > score(best))
		*best = *cand;
}

/* End the run started at *run (a candidate when not empty). */
static void run_end(rp *r, size_t *run, lset *best)
{
	if (r->bn > *run) {
		lset c;
		c.n = 1;
		c.v[0].off = (uint16_t)*run;
		c.v[0].len = (uint16_t)(r->bn - *run);
		consider(best, &c);
	}
	*run = r->bn;
}

static void run_add(rp *r, size_t *run, lset *best, unsigned char c)
{
	if (r->bn >= BUF_CAP) {
		r->bad = true;
		return;
	}
	r->buf[r->bn++] = (char)c;
	if (r->bn - *run >= MAX_RUN)
		run_end(r, run, best);
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* A quantifier at r->p, if any: *min gets its minimum (1 without one).
 * Returns whether there was one. */
static bool quant(rp *r, unsigned long *min)
{
	const char *p = r->p;

	*min = 1;
	if (p >= r->end)
		return false;
	if (*p == '?' || *p == '*') {
		*min = 0;
		p++;
	} else if (*p == '+') {
		p++;
	} else if (*p == '{') {
		unsigned long v = 0;
		p++;
		if (p >= r->end || !is_digit(*p)) {
			r->bad = true; /* "{,n}" or a literal brace */
			return false;
		}
		while (p < r->end && is_digit(*p)) {
			v = v * 10 + (unsigned long)(*p - '0');
			if (v > 65535) {
				r->bad = true;
				return false;
			}
			p++;
		}
		if (p < r->end && *p == ',') {
			p++;
			while (p < r->end && is_digit(*p))
				p++;
		}
		if (p >= r->end || *p != '}') {
			r->bad = true;
			return false;
		}
		p++;
		*min = v;
	} else {
		return false;
	}
	if (p < r->end && (*p == '?' || *p == '+')) /* lazy, possessive */
		p++;
	r->p = p;
	return true;
}

/* Skip a character class at r->p ('['). */
static void skip_class(rp *r)
{
	const char *p = r->p + 1;

	if (p < r->end && *p == '^')
		p++;
	if (p < r->end && *p == ']')
		p++;
	while (p < r->end && *p != ']') {
		if (*p == '\\') {
			p += 2;
		} else if (*p == '[' && p + 1 < r->end && p[1] == ':') {
			const char *q = p + 2;
			while (q + 1 < r->end && !(q[0] == ':' && q[1] == ']'))
				q++;
			if (q + 1 >= r->end) {
				r->bad = true;
				return;
			}
			p = q + 2;
		} else {
			p++;
		}
	}
	if (p >= r->end) {
		r->bad = true;
		return;
	}
	r->p = p + 1;
}

static void parse_alt(rp *r, lset *out);

/* The group at r->p ('('): its set in *g, or g->n = -1 when it is
 * zero-width or proves nothing. */
static void parse_group(rp *r, lset *g)
{
	const char *p = r->p + 1;
	bool look = false;

	g->n = -1;
	if (p < r->end && *p == '*') {
		r->bad = true; /* (*VERB) */
		return;
	}
	if (p < r->end && *p == '?') {
		p++;
		if (p >= r->end) {
			r->bad = true;
			return;
		}
		if (*p == ':' || *p == '>') {
			p++;
		} else if (*p == '=' || *p == '!') {
			look = true;
			p++;
		} else if (*p == '<' && p + 1 < r->end &&
			   (p[1] == '=' || p[1] == '!')) {
			look = true;
			p += 2;
		} else if (*p == '<' || *p == '\'' ||
			   (*p == 'P' && p + 1 < r->end && p[1] == '<')) {
			char close = *p == '\'' ? '\'' : '>';
			while (p < r->end && *p != close)
				p++;
			if (p >= r->end) {
				r->bad = true;
				return;
			}
			p++;
		} else {
			/* option letters, then ':' (a group) or ')' (a setting
			 * for the rest of the enclosing group) */
			while (p < r->end && *p && strchr("imsnUJ-", *p))
				p++;
			if (p >= r->end || (*p != ':' && *p != ')')) {
				r->bad =
				    true; /* x, comments, conditionals ... */
				return;
			}
			if (*p == ')') {
				r->p = p + 1;
				return;
			}
			p++;
		}
	}
	if (++r->depth > MAX_DEPTH) {
		r->bad = true;
		return;
	}
	r->p = p;
	parse_alt(r, g);
	r->depth--;
	if (r->bad || r->p >= r->end || *r->p != ')') {
		r->bad = true;
		return;
	}
	r->p++;
	if (look)
		g->n = -1;
}

/* One branch: a sequence of items up to '|', ')' or the end. */
static void parse_seq(rp *r, lset *best)
{
	size_t run = r->bn;

	best->n = 0;
	while (!r->bad && r->p < r->end && *r->p != '|' && *r->p != ')') {
		unsigned char c = (unsigned char)*r->p;
		int lit = -1; /* the literal byte of the item, or -1 */
		lset g;
		unsigned long min;
		bool q;

		g.n = -1;
		if (c == '(') {
			/* the group appends its own literals to buf */
			run_end(r, &run, best);
			parse_group(r, &g);
			run = r->bn;
		} else if (c == '[') {
			skip_class(r);
		} else if (c == '\\') {
			unsigned char d;
			if (r->p + 1 >= r->end) {
				r->bad = true;
				break;
			}
			d = (unsigned char)r->p[1];
			r->p += 2;
			if (d == 'n')
				lit = '\n';
			else if (d == 't')
				lit = '\t';
			else if (d == 'r')
				lit = '\r';
			else if (d == 'N' && r->p < r->end && *r->p == '{')
				r->bad = true; /* \N{U+...} */
			else if (d && strchr("dDsSwWbBhHvVRNXAzZG", d))
				; /* a class or an assertion */
			else if ((d >= 'a' && d <= 'z') ||
				 (d >= 'A' && d <= 'Z') || is_digit((char)d) ||
				 d >= 0x80)
				r->bad = true; /* \x \p \Q \g \k \1 \K ... */
			else
				lit = d; /* escaped punctuation */
		} else if (c == '.' || c == '^' || c == '$') {
			r->p++;
		} else if (c == '*' || c == '+' || c == '?' || c == '{') {
			r->bad = true;
		} else {
			r->p++;
			if (c < 0x80 && !(r->ci && strchr("kKsS", c)))
				lit = c;
		}
		if (r->bad)
			break;
		q = quant(r, &min);
		if (r->bad)
			break;
		if (lit >= 0 && min >= 1) {
			run_add(r, &run, best, fold((unsigned char)lit));
			if (q) /* repeated: what follows is not adjacent */
				run_end(r, &run, best);
			continue;
		}
		run_end(r, &run, best);
		if (g.n > 0 && min >= 1)
			consider(best, &g);
	}
	run_end(r, &run, best);
}

static void parse_alt(rp *r, lset *out)
{
	bool none = false;

	out->n = 0;
	for (;;) {
		lset br;
		parse_seq(r, &br);
		if (r->bad)
			return;
		if (br.n <= 0 || out->n + br.n > MAX_LITS) {
			none = true;
		} else if (!none) {
			memcpy(&out->v[out->n], br.v,
			       (size_t)br.n * sizeof(br.v[0]));
			out->n += br.n;
		}
		if (r->p < r->end && *r->p == '|') {
			r->p++;
			continue;
		}
		break;
	}
	if (none)
		out->n = -1;
}

/* Is some part of the pattern caseless by an inline option ((?i) or
 * (?i:...))? Conservative: any 'i' among the letters of "(?...". */
static bool inline_caseless(const char *p, size_t n)
{
	for (size_t i = 0; i + 2 < n; i++) {
		if (p[i] == '\\') {
			i++;
			continue;
		}
		if (p[i] != '(' || p[i + 1] != '?')
			continue;
		for (size_t j = i + 2; j < n && p[j] != ':' && p[j] != ')';
		     j++) {
			if (p[j] == 'i')
				return true;
			if (!strchr("msnUJ-", p[j]))
				break;
		}
	}
	return false;
}

const mh_re_lits *mh_re_lits_build(mh_arena *a, const char *pat, size_t n,
				   bool caseless)
{
	rp rr, *r = &rr;
	mh_re_lits *l;
	lset s;

	memset(r, 0, offsetof(rp, buf));
	r->p = pat;
	r->end = pat + n;
	r->ci = caseless || inline_caseless(pat, n);
	parse_alt(r, &s);
	if (r->bad || r->p != r->end || s.n <= 0 || score(&s) < 2)
		return NULL;
	l = mh_arena_alloc(a, sizeof(*l));
	if (!l)
		return NULL;
	memset(l, 0, sizeof(*l));
	l->s = mh_arena_alloc(a, (size_t)s.n * sizeof(*l->s));
	l->len = mh_arena_alloc(a, (size_t)s.n * sizeof(*l->len));
	l->big = mh_arena_alloc(a, (size_t)s.n * sizeof(*l->big));
	if (!l->s || !l->len || !l->big)
		return NULL;
	l->minlen = (size_t)score(&s);
	for (int i = 0; i < s.n; i++) {
		const char *t = r->buf + s.v[i].off;
		uint16_t b =
		    (uint16_t)((unsigned char)t[0] | (unsigned char)t[1] << 8);
		size_t k;
		/* drop duplicates */
		for (k = 0; k < l->n; k++)
			if (l->len[k] == s.v[i].len &&
			    !memcmp(l->s[k], t, s.v[i].len))
				break;
		if (k < l->n)
			continue;
		l->s[l->n] = mh_arena_strndup(a, t, s.v[i].len);
		if (!l->s[l->n])
			return NULL;
		l->len[l->n] = s.v[i].len;
		l->big[l->n] = b;
		l->first[b >> 6] |= 1ULL << (b & 63);
		l->n++;
	}
	return l;
}

/* ASCII upper case to lower case, other bytes unchanged. */
static const unsigned char fold_tab[256] = {
#define F4(b)                                                                  \
	(unsigned char)((b) + ((b) >= 'A' && (b) <= 'Z') * 32),                \
	    (unsigned char)((b) + 1 +                                          \
			    ((b) + 1 >= 'A' && (b) + 1 <= 'Z') * 32),          \
	    (unsigned char)((b) + 2 +                                          \
			    ((b) + 2 >= 'A' && (b) + 2 <= 'Z') * 32),          \
	    (unsigned char)((b) + 3 + ((b) + 3 >= 'A' && (b) + 3 <= 'Z') * 32)
#define F16(b) F4(b), F4((b) + 4), F4((b) + 8), F4((b) + 12)
#define F64(b) F16(b), F16((b) + 16), F16((b) + 32), F16((b) + 48)
    F64(0), F64(64), F64(128), F64(192)
#undef F64
#undef F16
#undef F4
};

bool mh_re_lits_may_match(const mh_re_lits *l, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	unsigned prev;

	if (n < l->minlen)
		return false;
	prev = fold_tab[u[0]];
	for (size_t i = 0; i + 1 < n; i++) {
		unsigned cur = fold_tab[u[i + 1]];
		uint16_t b = (uint16_t)(prev | cur << 8);
		prev = cur;
		if (!(l->first[b >> 6] >> (b & 63) & 1))
			continue;
		for (size_t k = 0; k < l->n; k++) {
			size_t j;
			if (l->big[k] != b || l->len[k] > n - i)
				continue;
			for (j = 2; j < l->len[k]; j++)
				if (fold_tab[u[i + j]] !=
				    (unsigned char)l->s[k][j])
					break;
			if (j == l->len[k])
				return true;
		}
	}
	return false;
}

size_t mh_re_lits_count(const mh_re_lits *l)
{
	return l ? l->n : 0;
}

const char *mh_re_lits_get(const mh_re_lits *l, size_t i, size_t *len)
{
	*len = l->len[i];
	return l->s[i];
}
