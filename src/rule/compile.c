/* Sigma detection -> predicates: field keys, modifiers, values.
 *
 * A rule value goes through: expand (placeholders, on the raw text),
 * Sigma escape parsing into a "wild string" (literal bytes plus '*'/'?'
 * wildcards), the transformation modifiers in the order written (wide,
 * utf16*, base64, base64offset, windash; some yield several variants),
 * then contains/startswith/endswith wrapping, and is finally classified
 * into the cheapest matcher kind (EQ, CONTAINS, STARTS, ENDS, GLOB..). */
#include "rule/cond.h"
#include "rule/re_lits.h"
#include "rule/rule_int.h"
#include "rule/wild.h"

#include <stdlib.h>
#include <string.h>

/* ---------- modifiers ---------- */
enum { TR_WIDE, TR_UTF16BE, TR_UTF16, TR_BASE64, TR_BASE64OFF, TR_WINDASH };

enum {
	MT_NONE,
	MT_CONTAINS,
	MT_STARTS,
	MT_ENDS,
	MT_RE,
	MT_CIDR,
	MT_NUM,
	MT_EXISTS,
};

typedef struct mods {
	int match;
	uint8_t op;
	bool all, cased, neq, fieldref, expand, re_i, re_m, re_s;
	int ntr;
	uint8_t tr[8];
	const char *match_name;
} mods;

static mh_rc set_match(pctx *c, yaml_node_t *key, const char *field, mods *m,
		       int mt, const char *name)
{
	if (m->match != MT_NONE)
		return mh_y_err(c, key, field, MH_EPARSE,
				"modifiers '%s' and '%s' cannot be combined",
				m->match_name, name);
	m->match = mt;
	m->match_name = name;
	return MH_OK;
}

static mh_rc parse_mods(pctx *c, yaml_node_t *key, const char *field,
			const char *s, mods *m)
{
	mh_rc rc = MH_OK;

	memset(m, 0, sizeof(*m));
	while (*s) {
		const char *e = strchr(s, '|');
		size_t n = e ? (size_t)(e - s) : strlen(s);
		char name[32];
		int tr = -1;

		if (n == 0 || n >= sizeof(name))
			return mh_y_err(c, key, field, MH_EPARSE,
					"unknown modifier '%.*s'", (int)n, s);
		memcpy(name, s, n);
		name[n] = '\0';
		if (!strcmp(name, "contains"))
			rc = set_match(c, key, field, m, MT_CONTAINS,
				       "contains");
		else if (!strcmp(name, "startswith"))
			rc = set_match(c, key, field, m, MT_STARTS,
				       "startswith");
		else if (!strcmp(name, "endswith"))
			rc = set_match(c, key, field, m, MT_ENDS, "endswith");
		else if (!strcmp(name, "re"))
			rc = set_match(c, key, field, m, MT_RE, "re");
		else if (!strcmp(name, "cidr"))
			rc = set_match(c, key, field, m, MT_CIDR, "cidr");
		else if (!strcmp(name, "exists"))
			rc = set_match(c, key, field, m, MT_EXISTS, "exists");
		else if (!strcmp(name, "lt") || !strcmp(name, "lte") ||
			 !strcmp(name, "gt") || !strcmp(name, "gte")) {
			rc = set_match(c, key, field, m, MT_NUM,
				       name[0] == 'l'
					   ? (name[2] ? "lte" : "lt")
					   : (name[2] ? "gte" : "gt"));
			m->op = name[0] == 'l'
				    ? (name[2] ? MH_CMP_LTE : MH_CMP_LT)
				    : (name[2] ? MH_CMP_GTE : MH_CMP_GT);
		} else if (!strcmp(name, "all"))
			m->all = true;
		else if (!strcmp(name, "cased"))
			m->cased = true;
		else if (!strcmp(name, "neq"))
			m->neq = true;
		else if (!strcmp(name, "fieldref"))
			m->fieldref = true;
		else if (!strcmp(name, "expand"))
			m->expand = true;
		else if (!strcmp(name, "i") || !strcmp(name, "m") ||
			 !strcmp(name, "s")) {
			if (m->match != MT_RE)
				return mh_y_err(c, key, field, MH_EPARSE,
						"modifier '%s' must follow "
						"'re'",
						name);
			if (name[0] == 'i')
				m->re_i = true;
			else if (name[0] == 'm')
				m->re_m = true;
			else
				m->re_s = true;
		} else if (!strcmp(name, "wide") || !strcmp(name, "utf16le"))
			tr = TR_WIDE;
		else if (!strcmp(name, "utf16be"))
			tr = TR_UTF16BE;
		else if (!strcmp(name, "utf16"))
			tr = TR_UTF16;
		else if (!strcmp(name, "base64"))
			tr = TR_BASE64;
		else if (!strcmp(name, "base64offset"))
			tr = TR_BASE64OFF;
		else if (!strcmp(name, "windash"))
			tr = TR_WINDASH;
		else
			return mh_y_err(c, key, field, MH_EPARSE,
					"unknown modifier '%s'", name);
		if (rc)
			return rc;
		if (tr >= 0) {
			if (m->ntr == (int)sizeof(m->tr))
				return mh_y_err(c, key, field, MH_ELIMIT,
						"too many modifiers");
			m->tr[m->ntr++] = (uint8_t)tr;
		}
		s += n;
		if (*s == '|')
			s++;
	}
	/* combinations */
	if (m->match == MT_EXISTS &&
	    (m->ntr || m->all || m->cased || m->neq || m->fieldref))
		return mh_y_err(c, key, field, MH_EPARSE,
				"'exists' cannot be combined with other "
				"modifiers");
	if (m->fieldref && (m->ntr || m->match == MT_RE ||
			    m->match == MT_CIDR || m->match == MT_NUM))
		return mh_y_err(c, key, field, MH_EPARSE,
				"'fieldref' combines only with contains, "
				"startswith, endswith, cased, all, neq");
	if ((m->match == MT_RE || m->match == MT_CIDR || m->match == MT_NUM) &&
	    m->ntr)
		return mh_y_err(c, key, field, MH_EPARSE,
				"'%s' cannot be combined with encoding "
				"modifiers",
				m->match_name);
	return MH_OK;
}

/* ---------- value -> matchers ---------- */
typedef struct mlist {
	mh_matcher *v;
	size_t n, cap;
} mlist;

static mh_rc ml_add(mlist *l, const mh_matcher *m)
{
	if (mh_rule_vec_grow((void **)&l->v, &l->cap, l->n + 1, sizeof(*l->v)))
		return MH_ENOMEM;
	l->v[l->n++] = *m;
	return MH_OK;
}

static bool text_int(const char *s, size_t n, int64_t *out)
{
	size_t i = 0;
	int64_t v = 0;
	bool neg = false;

	if (n && (s[0] == '-' || s[0] == '+')) {
		neg = s[0] == '-';
		i = 1;
	}
	if (i == n || n - i > 18)
		return false;
	for (; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = neg ? -v : v;
	return true;
}

/* Decimal number with optional fraction/exponent, locale-free. */
bool mh_rule_parse_num(const char *s, size_t n, double *out, int64_t *iout,
		       bool *is_int);
bool mh_rule_parse_num(const char *s, size_t n, double *out, int64_t *iout,
		       bool *is_int)
{
	size_t i = 0;
	double v = 0, scale = 1;
	bool neg = false, digits = false, frac = false;
	int ex = 0;

	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	while (n > i && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (i < n && (s[i] == '-' || s[i] == '+'))
		neg = s[i++] == '-';
	for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
		v = v * 10 + (s[i] - '0');
		digits = true;
	}
	if (i < n && s[i] == '.') {
		i++;
		for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
			scale /= 10;
			v += (s[i] - '0') * scale;
			digits = true;
			if (s[i] != '0')
				frac = true;
		}
	}
	if (!digits)
		return false;
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		bool eneg = false;
		i++;
		if (i < n && (s[i] == '-' || s[i] == '+'))
			eneg = s[i++] == '-';
		if (i == n)
			return false;
		for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			if (ex < 400)
				ex = ex * 10 + (s[i] - '0');
		while (ex-- > 0)
			v = eneg ? v / 10 : v * 10;
		frac = true;
	}
	if (i != n)
		return false;
	*out = neg ? -v : v;
	*is_int = !frac && v < 9.2e18;
	if (*is_int)
		*iout = neg ? -(int64_t)v : (int64_t)v;
	return true;
}

/* Turn one final wild string into a matcher. */
static mh_rc ss_to_matcher(pctx *c, const sstr *s, bool cased, bool num_ok,
			   mh_field f, uint32_t group, mlist *out)
{
	mh_matcher m;
	size_t lo = 0, hi = s->n;
	bool inner_wild = false;
	char *buf;

	memset(&m, 0, sizeof(m));
	m.group = group;
	m.cased = cased;
	if (num_ok && f != MH_F_NONE && mh_field_type(f) == MH_T_INT &&
	    !mh_ss_has_wild(s) && text_int(s->b, s->n, &m.inum)) {
		m.kind = M_INTEQ;
		return ml_add(out, &m);
	}
	while (lo < hi && s->w[lo] == 1 && lo < 1)
		lo++;
	while (hi > lo && s->w[hi - 1] == 1 && hi == s->n)
		hi--;
	for (size_t i = lo; i < hi; i++)
		if (s->w[i])
			inner_wild = true;
	if (s->n && lo == s->n) {
		/* only '*'s */
		bool all_star = true;
		for (size_t i = 0; i < s->n; i++)
			if (s->w[i] != 1)
				all_star = false;
		if (all_star) {
			m.kind = M_ANY;
			return ml_add(out, &m);
		}
	}
	buf = mh_rs_alloc(c->rs, s->n + 1);
	if (!buf)
		return MH_ENOMEM;
	if (inner_wild) {
		uint8_t *w = mh_rs_alloc(c->rs, s->n + 1);
		if (!w)
			return MH_ENOMEM;
		for (size_t i = 0; i < s->n; i++) {
			buf[i] = cased ? s->b[i]
				       : (char)mh_lc((unsigned char)s->b[i]);
			w[i] = s->w[i];
		}
		m.kind = M_GLOB;
		m.s = buf;
		m.wild = w;
		m.n = s->n;
		return ml_add(out, &m);
	}
	for (size_t i = lo; i < hi; i++)
		buf[i - lo] =
		    cased ? s->b[i] : (char)mh_lc((unsigned char)s->b[i]);
	m.s = buf;
	m.n = hi - lo;
	if (lo && hi < s->n)
		m.kind = M_CONTAINS;
	else if (lo)
		m.kind = M_ENDS;
	else if (hi < s->n)
		m.kind = M_STARTS;
	else
		m.kind = M_EQ;
	if (m.kind == M_CONTAINS && m.n == 0)
		m.kind = M_ANY;
	return ml_add(out, &m);
}

/* Apply one transformation to every string in *l. */
static mh_rc apply_tr(pctx *c, yaml_node_t *vn, const char *field, int tr,
		      sslist *l)
{
	sslist out = {0};
	mh_rc rc = MH_OK;

	for (size_t i = 0; i < l->n; i++) {
		sstr *s = &l->v[i];
		sstr o = {0};
		size_t nvar = 0;
		int r = 0;

		switch (tr) {
		case TR_WIDE:
		case TR_UTF16BE:
		case TR_UTF16:
			r = mh_tr_utf16(s, &o, tr == TR_UTF16BE,
					tr == TR_UTF16);
			if (!r)
				r = mh_sl_add(&out, &o);
			break;
		case TR_BASE64:
		case TR_BASE64OFF:
			if (mh_ss_has_wild(s)) {
				rc = mh_y_err(c, vn, field, MH_EPARSE,
					      "base64 modifiers need a value "
					      "without wildcards");
				goto out;
			}
			if (tr == TR_BASE64) {
				r = mh_b64((const unsigned char *)s->b, s->n,
					   &o);
				if (!r)
					r = mh_sl_add(&out, &o);
			} else {
				r = mh_tr_b64off(s, &out);
			}
			break;
		case TR_WINDASH:
			r = mh_tr_windash(s, &out, &nvar);
			if (r > 0) {
				rc = mh_y_err(c, vn, field, MH_ELIMIT,
					      "windash: too many dashes in "
					      "value");
				goto out;
			}
			break;
		}
		mh_ss_free(&o);
		if (r) {
			rc = MH_ENOMEM;
			goto out;
		}
		if (out.n > MAX_VARIANTS) {
			rc = mh_y_err(c, vn, field, MH_ELIMIT,
				      "too many value variants");
			goto out;
		}
	}
	mh_sl_free(l);
	*l = out;
	return MH_OK;
out:
	mh_sl_free(&out);
	return rc;
}

/* Expand %name% placeholders in raw text (every combination). */
static mh_rc expand_text(pctx *c, yaml_node_t *vn, const char *field,
			 const char *t, size_t n, sslist *raw, int depth)
{
	const char *a = memchr(t, '%', n), *b = NULL;
	size_t i;

	if (a)
		b = memchr(a + 1, '%', n - (size_t)(a + 1 - t));
	if (!a || !b || depth > 4) {
		sstr s = {0};
		for (i = 0; i < n; i++)
			if (mh_ss_push(&s, t[i], 0)) {
				mh_ss_free(&s);
				return MH_ENOMEM;
			}
		return mh_sl_add(raw, &s) ? MH_ENOMEM : MH_OK;
	}
	for (i = 0; i < c->rs->nph; i++) {
		const placeholder *p = &c->rs->ph[i];
		if (strlen(p->name) == (size_t)(b - a - 1) &&
		    !memcmp(p->name, a + 1, (size_t)(b - a - 1)))
			break;
	}
	if (i == c->rs->nph)
		return mh_y_err(c, vn, field, MH_ENOTFOUND,
				"unresolved placeholder '%.*s' (define it in "
				"a mailhunt-placeholders document)",
				(int)(b - a + 1), a);
	for (size_t k = 0; k < c->rs->ph[i].n; k++) {
		const char *v = c->rs->ph[i].vals[k];
		size_t pre = (size_t)(a - t), vl = strlen(v);
		size_t post = n - (size_t)(b + 1 - t);
		char *buf = malloc(pre + vl + post + 1);
		mh_rc rc;

		if (!buf)
			return MH_ENOMEM;
		memcpy(buf, t, pre);
		memcpy(buf + pre, v, vl);
		memcpy(buf + pre + vl, b + 1, post);
		rc = expand_text(c, vn, field, buf, pre + vl + post, raw,
				 depth + 1);
		free(buf);
		if (rc)
			return rc;
		if (raw->n > MAX_VARIANTS)
			return mh_y_err(c, vn, field, MH_ELIMIT,
					"too many placeholder values");
	}
	return MH_OK;
}

/* The necessary literals of a regex (re_lits.h), unless PCRE2 anchors
 * it: an anchored regex fails at the first byte, faster than a scan. */
static const mh_re_lits *re_lits(mh_ruleset *rs, pcre2_code *re, const char *t,
				 size_t n, uint32_t opt)
{
	uint32_t all = 0;

	if (pcre2_pattern_info(re, PCRE2_INFO_ALLOPTIONS, &all) != 0 ||
	    (all & PCRE2_ANCHORED) || (opt & PCRE2_EXTENDED))
		return NULL;
	return mh_re_lits_build(&rs->arena, t, n, (opt & PCRE2_CASELESS) != 0);
}

/* M_RE matchers use num_int as "JIT code available". */
static uint8_t re_jitted(pcre2_code *re)
{
	size_t sz = 0;
	return pcre2_pattern_info(re, PCRE2_INFO_JITSIZE, &sz) == 0 && sz > 0;
}

struct re_cache_ent {
	const char *t; /* pattern, in rs->arena */
	size_t n;
	uint32_t opt;
	pcre2_code *re; /* owned by rs->res */
	const mh_re_lits *lits;
};

/* The compiled code of pattern [t, t + n) with options opt, from the
 * ruleset's cache or compiled now (not JIT-compiled: re_jit() does that
 * for the matchers that remain after merging). NULL: a bad pattern (*ec,
 * *eo say why) or out of memory (*ec = 0). *lits: its necessary
 * literals (may be NULL). The code is shared by every matcher with the
 * same pattern and options. */
static pcre2_code *re_get(mh_ruleset *rs, const char *t, size_t n, uint32_t opt,
			  const mh_re_lits **lits, int *ec, PCRE2_SIZE *eo)
{
	struct re_cache_ent *e;
	pcre2_code *re;

	*ec = 0;
	for (size_t i = 0; i < rs->nrec; i++) {
		e = &rs->rec[i];
		if (e->opt == opt && e->n == n && !memcmp(e->t, t, n)) {
			*lits = e->lits;
			return e->re;
		}
	}
	if (mh_rule_vec_grow((void **)&rs->rec, &rs->caprec, rs->nrec + 1,
			     sizeof(*rs->rec)))
		return NULL;
	re = pcre2_compile((PCRE2_SPTR)t, n, opt, ec, eo, NULL);
	if (!re)
		return NULL;
	if (mh_rs_add_re(rs, re)) {
		*ec = 0;
		return NULL;
	}
	e = &rs->rec[rs->nrec];
	e->t = mh_rs_strdup(rs, t, n);
	if (!e->t)
		return NULL;
	e->n = n;
	e->opt = opt;
	e->re = re;
	e->lits = re_lits(rs, re, t, n, opt);
	rs->nrec++;
	*lits = e->lits;
	return re;
}

/* JIT-compile the code of M_RE matcher m unless it has JIT code already
 * (codes are shared; falls back to the interpreter if JIT is absent) and
 * record whether it has JIT code. */
static void re_jit(mh_matcher *m)
{
	if (!re_jitted(m->re))
		pcre2_jit_compile(m->re, PCRE2_JIT_COMPLETE);
	m->num_int = re_jitted(m->re);
}

static mh_rc compile_re(pctx *c, yaml_node_t *vn, const char *field,
			const mods *md, const char *t, size_t n, mh_matcher *m)
{
	int ec;
	PCRE2_SIZE eo;
	uint32_t opt = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF;
	pcre2_code *re;

	if (md->re_i)
		opt |= PCRE2_CASELESS;
	if (md->re_m)
		opt |= PCRE2_MULTILINE;
	if (md->re_s)
		opt |= PCRE2_DOTALL;
	re = re_get(c->rs, t, n, opt, &m->lits, &ec, &eo);
	if (!re && !ec)
		return MH_ENOMEM;
	if (!re) {
		PCRE2_UCHAR msg[200];
		pcre2_get_error_message(ec, msg, sizeof(msg));
		return mh_y_err(c, vn, field, MH_EPARSE,
				"bad regular expression at offset %zu: %s",
				(size_t)eo, (const char *)msg);
	}
	m->kind = M_RE;
	m->re = re;
	m->num_int = 0; /* re_jit() once the value list is final */
	m->s = mh_rs_strdup(c->rs, t, n);
	m->n = n;
	m->inum = opt;
	return m->s ? MH_OK : MH_ENOMEM;
}

/* Can pattern t be wrapped as one branch "(?:t)" of an alternation
 * without changing its meaning? Conservative: no numbered or named
 * references, verbs, \Q, conditionals, recursion or extended mode. */
static bool re_combinable(const char *t, size_t n)
{
	for (size_t i = 0; i + 1 < n; i++) {
		if (t[i] == '\\') {
			char d = t[i + 1];
			if ((d >= '1' && d <= '9') || d == 'g' || d == 'k' ||
			    d == 'Q' || d == 'E')
				return false;
			i++;
			continue;
		}
		if (t[i] == '(' && (t[i + 1] == '*'))
			return false;
		if (t[i] == '(' && t[i + 1] == '?') {
			size_t j = i + 2;
			if (j < n &&
			    (t[j] == 'P' || t[j] == 'R' || t[j] == '&' ||
			     t[j] == '(' || t[j] == '+' || t[j] == '|' ||
			     t[j] == '-' || (t[j] >= '0' && t[j] <= '9')))
				return false;
			for (; j < n && t[j] != ')' && t[j] != ':'; j++)
				if (t[j] == 'x')
					return false;
		}
	}
	return n == 0 || t[n - 1] != '\\';
}

/* Any-mode: merge the regular expressions with the same options into one
 * alternation, so that one JIT call replaces many. Falls back silently
 * to separate matchers when a pattern is not combinable. */
static mh_rc merge_res(pctx *c, mlist *ml)
{
	for (size_t i = 0; i < ml->n; i++) {
		mh_matcher *a = &ml->v[i];
		size_t cnt = 0, len = 0, k;
		char *buf;
		pcre2_code *re;
		const mh_re_lits *lits;
		int ec;
		PCRE2_SIZE eo;

		if (a->kind != M_RE || !re_combinable(a->s, a->n))
			continue;
		for (k = i; k < ml->n; k++) {
			mh_matcher *b = &ml->v[k];
			if (b->kind == M_RE && b->inum == a->inum &&
			    re_combinable(b->s, b->n)) {
				cnt++;
				len += b->n + 5;
			}
		}
		if (cnt < 2)
			continue;
		buf = malloc(len + 1);
		if (!buf)
			return MH_ENOMEM;
		len = 0;
		for (k = i; k < ml->n; k++) {
			mh_matcher *b = &ml->v[k];
			if (b->kind != M_RE || b->inum != a->inum ||
			    !re_combinable(b->s, b->n))
				continue;
			if (len)
				buf[len++] = '|';
			memcpy(buf + len, "(?:", 3);
			memcpy(buf + len + 3, b->s, b->n);
			len += b->n + 3;
			buf[len++] = ')';
		}
		re =
		    re_get(c->rs, buf, len, (uint32_t)a->inum, &lits, &ec, &eo);
		free(buf);
		if (!re && !ec)
			return MH_ENOMEM;
		if (!re)
			continue;
		a->lits = lits;
		/* keep a (now the combined one), drop the merged others */
		for (k = i + 1; k < ml->n;) {
			mh_matcher *b = &ml->v[k];
			if (b->kind == M_RE && b->inum == a->inum &&
			    re_combinable(b->s, b->n)) {
				memmove(b, b + 1, (ml->n - k - 1) * sizeof(*b));
				ml->n--;
			} else {
				k++;
			}
		}
		a->re = re;
		a->n = 0; /* mark: merged, not combinable again */
		a->s = "";
	}
	return MH_OK;
}

/* One YAML value node of field f (group index g). */
static mh_rc compile_value(pctx *c, yaml_node_t *vn, const char *field,
			   mh_field f, const mods *md, uint32_t g, mlist *out,
			   bool keyword)
{
	mh_matcher m;
	const char *t;
	size_t n;
	sslist raw = {0}, vals = {0};
	mh_rc rc = MH_OK;

	memset(&m, 0, sizeof(m));
	m.group = g;
	if (mh_y_is_null(vn)) {
		if (keyword)
			return mh_y_err(c, vn, field, MH_EPARSE,
					"null is not a keyword");
		m.kind = M_NULL;
		return ml_add(out, &m);
	}
	if (!mh_y_is_scalar(vn))
		return mh_y_err(c, vn, field, MH_EPARSE,
				"value must be a scalar or a list of "
				"scalars");
	t = mh_y_str(vn);
	n = mh_y_len(vn);
	if (md->fieldref) {
		m.ref = mh_field_lookup(t, n);
		if (m.ref == MH_F_NONE)
			return mh_y_err(c, vn, t, MH_ENOTFOUND,
					"unknown field '%s' in fieldref", t);
		m.kind = M_REF;
		m.cased = md->cased;
		m.op = md->match == MT_CONTAINS ? M_CONTAINS
		       : md->match == MT_STARTS ? M_STARTS
		       : md->match == MT_ENDS	? M_ENDS
						: M_EQ;
		return ml_add(out, &m);
	}
	if (md->expand) {
		rc = expand_text(c, vn, field, t, n, &raw, 0);
	} else {
		sstr s = {0};
		for (size_t i = 0; i < n && !rc; i++)
			if (mh_ss_push(&s, t[i], 0))
				rc = MH_ENOMEM;
		if (!rc && mh_sl_add(&raw, &s))
			rc = MH_ENOMEM;
		mh_ss_free(&s);
	}
	if (rc)
		goto out;
	for (size_t r = 0; r < raw.n; r++) {
		sstr *rv = &raw.v[r];
		mh_matcher mm = m;

		if (md->match == MT_RE) {
			rc = compile_re(c, vn, field, md, rv->b, rv->n, &mm);
			if (!rc)
				rc = ml_add(out, &mm);
		} else if (md->match == MT_CIDR) {
			if (!mh_cidr_parse(rv->b, rv->n, &mm.cidr)) {
				rc = mh_y_err(c, vn, field, MH_EPARSE,
					      "bad CIDR '%.*s'", (int)rv->n,
					      rv->b);
			} else {
				mm.kind = M_CIDR;
				rc = ml_add(out, &mm);
			}
		} else if (md->match == MT_NUM) {
			bool isint;
			if (!mh_rule_parse_num(rv->b, rv->n, &mm.num, &mm.inum,
					       &isint)) {
				rc = mh_y_err(c, vn, field, MH_EPARSE,
					      "'%s' needs a number",
					      md->match_name);
			} else {
				mm.kind = M_NUM;
				mm.op = md->op;
				mm.num_int = isint;
				rc = ml_add(out, &mm);
			}
		} else {
			sstr s = {0};
			if (mh_ss_from_text(&s, rv->b, rv->n) ||
			    mh_sl_add(&vals, &s)) {
				mh_ss_free(&s);
				rc = MH_ENOMEM;
			}
		}
		if (rc)
			goto out;
	}
	for (int k = 0; k < md->ntr && vals.n; k++)
		if ((rc = apply_tr(c, vn, field, md->tr[k], &vals)))
			goto out;
	for (size_t i = 0; i < vals.n; i++) {
		sstr *s = &vals.v[i];
		int mt = md->match;

		if (keyword && mt == MT_NONE)
			mt = MT_CONTAINS;
		if ((mt == MT_CONTAINS || mt == MT_ENDS) &&
		    !(s->n && s->w[0] == 1)) {
			if (mh_ss_push(s, 0, 0))
				goto nomem;
			memmove(s->b + 1, s->b, s->n - 1);
			memmove(s->w + 1, s->w, s->n - 1);
			s->b[0] = '*';
			s->w[0] = 1;
		}
		if ((mt == MT_CONTAINS || mt == MT_STARTS) &&
		    !(s->n && s->w[s->n - 1] == 1)) {
			if (mh_ss_push(s, '*', 1))
				goto nomem;
		}
		rc = ss_to_matcher(c, s, md->cased,
				   mt == MT_NONE && md->ntr == 0, f, g, out);
		if (rc)
			goto out;
	}
	goto out;
nomem:
	rc = MH_ENOMEM;
out:
	mh_sl_free(&raw);
	mh_sl_free(&vals);
	return rc;
}

/* ---------- predicates ---------- */
static uint64_t fold_hash(const char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < n; i++)
		h = (h ^ mh_lc((unsigned char)p[i])) * 0x100000001b3ULL;
	return h;
}

uint64_t mh_rule_fold_hash(const char *p, size_t n);
uint64_t mh_rule_fold_hash(const char *p, size_t n)
{
	return fold_hash(p, n);
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

static int kind_cost(const mh_matcher *m)
{
	switch (m->kind) {
	case M_NULL:
	case M_ANY:
	case M_INTEQ:
		return 1;
	case M_EQ:
	case M_NUM:
		return 2;
	case M_STARTS:
	case M_ENDS:
		return 3;
	case M_CIDR:
	case M_REF:
		return 4;
	case M_CONTAINS:
		return 6;
	case M_GLOB:
		return 10;
	default:
		return 30;
	}
}

static int cmp_matcher_cost(const void *a, const void *b)
{
	int x = kind_cost(a), y = kind_cost(b);
	if (x != y)
		return x - y;
	return (int)((const mh_matcher *)a)->group -
	       (int)((const mh_matcher *)b)->group;
}

/* Move any-mode integer and exact values into the fast sets. */
static mh_rc finish_pred(pctx *c, mh_pred *p, mlist *ml)
{
	size_t neq = 0, k = 0;

	for (size_t i = 0; i < ml->n; i++) {
		mh_matcher *m = &ml->v[i];
		if (m->kind == M_NULL)
			p->has_null = 1;
		if (m->kind == M_CIDR)
			p->has_cidr = 1;
		if (m->kind == M_NUM)
			p->has_num = 1;
		if (m->kind == M_EQ && !m->cased)
			neq++;
		if (m->kind == M_INTEQ)
			p->nints++;
	}
	if (!p->all && p->nints) {
		p->ints = mh_rs_alloc(c->rs, p->nints * sizeof(*p->ints));
		if (!p->ints)
			return MH_ENOMEM;
		p->nints = 0;
		for (size_t i = 0; i < ml->n; i++)
			if (ml->v[i].kind == M_INTEQ)
				p->ints[p->nints++] = ml->v[i].inum;
		qsort(p->ints, p->nints, sizeof(*p->ints), cmp_i64);
		k = 0;
		for (size_t i = 0; i < p->nints; i++)
			if (!k || p->ints[k - 1] != p->ints[i])
				p->ints[k++] = p->ints[i];
		p->nints = k;
	} else {
		p->nints = 0;
	}
	if (!p->all && neq > 8) {
		strset *s = &p->set;
		s->cap = 16;
		while (s->cap < neq * 2)
			s->cap *= 2;
		s->s = mh_rs_alloc(c->rs, s->cap * sizeof(*s->s));
		s->n = mh_rs_alloc(c->rs, s->cap * sizeof(*s->n));
		s->h = mh_rs_alloc(c->rs, s->cap * sizeof(*s->h));
		if (!s->s || !s->n || !s->h)
			return MH_ENOMEM;
		for (size_t i = 0; i < ml->n; i++) {
			mh_matcher *m = &ml->v[i];
			uint64_t h;
			size_t j;

			if (m->kind != M_EQ || m->cased)
				continue;
			h = fold_hash(m->s, m->n);
			for (j = h & (s->cap - 1); s->s[j];
			     j = (j + 1) & (s->cap - 1))
				if (s->h[j] == h && s->n[j] == m->n &&
				    !memcmp(s->s[j], m->s, m->n))
					break;
			if (!s->s[j]) {
				s->s[j] = m->s;
				s->n[j] = (uint32_t)m->n;
				s->h[j] = h;
				s->count++;
			}
		}
	}
	if (!p->all) {
		mh_rc rc = merge_res(c, ml);
		if (rc)
			return rc;
	}
	/* the remaining matchers */
	k = 0;
	for (size_t i = 0; i < ml->n; i++) {
		mh_matcher *m = &ml->v[i];
		if (!p->all && m->kind == M_INTEQ)
			continue;
		if (p->set.cap && m->kind == M_EQ && !m->cased)
			continue;
		if (m->kind == M_RE)
			re_jit(m);
		ml->v[k++] = *m;
	}
	ml->n = k;
	if (!p->all && k > 1)
		qsort(ml->v, k, sizeof(*ml->v), cmp_matcher_cost);
	if (k) {
		p->m = mh_rs_alloc(c->rs, k * sizeof(*p->m));
		if (!p->m)
			return MH_ENOMEM;
		memcpy(p->m, ml->v, k * sizeof(*p->m));
	}
	p->nm = k;
	p->cost = mh_pred_cost(p);
	return MH_OK;
}

static mh_rc bool_value(pctx *c, yaml_node_t *vn, const char *field, bool *b)
{
	const char *t;

	if (!mh_y_is_scalar(vn))
		goto bad;
	t = mh_y_str(vn);
	if (!strcmp(t, "true") || !strcmp(t, "True") || !strcmp(t, "yes")) {
		*b = true;
		return MH_OK;
	}
	if (!strcmp(t, "false") || !strcmp(t, "False") || !strcmp(t, "no")) {
		*b = false;
		return MH_OK;
	}
bad:
	return mh_y_err(c, vn, field, MH_EPARSE,
			"'exists' needs true or false");
}

/* key "Field|mod|mod" with value node vn -> one predicate. */
static mh_rc compile_pred(pctx *c, yaml_node_t *key, yaml_node_t *vn,
			  cnode **out)
{
	const char *k = mh_y_str(key);
	const char *bar = strchr(k, '|');
	size_t fl = bar ? (size_t)(bar - k) : strlen(k);
	char field[128];
	mh_pred *p;
	mods md;
	mlist ml = {0};
	mh_rc rc;
	cnode *n;

	if (fl >= sizeof(field))
		return mh_y_err(c, key, NULL, MH_EPARSE, "field name too long");
	memcpy(field, k, fl);
	field[fl] = '\0';
	p = mh_rs_alloc(c->rs, sizeof(*p));
	n = mh_rs_alloc(c->rs, sizeof(*n));
	if (!p || !n)
		return MH_ENOMEM;
	p->field = MH_F_NONE;
	if (fl) {
		p->field = mh_field_lookup(k, fl);
		if (p->field == MH_F_NONE)
			return mh_y_err(c, key, field, MH_ENOTFOUND,
					"unknown field '%s' (see "
					"docs/schema.md)",
					field);
	}
	rc = parse_mods(c, key, field, bar ? bar + 1 : "", &md);
	if (rc)
		return rc;
	p->all = md.all;
	p->neg = md.neq;
	if (md.match == MT_EXISTS) {
		bool b = false;
		if (!fl)
			return mh_y_err(c, key, NULL, MH_EPARSE,
					"'exists' needs a field");
		if ((rc = bool_value(c, vn, field, &b)))
			return rc;
		p->exists = 1;
		p->exists_val = b;
		p->cost = 1;
		goto done;
	}
	if (vn && vn->type == YAML_SEQUENCE_NODE) {
		yaml_node_item_t *it;
		uint32_t g = 0;

		if (vn->data.sequence.items.top ==
		    vn->data.sequence.items.start)
			return mh_y_err(c, vn, field, MH_EPARSE,
					"empty value list");
		for (it = vn->data.sequence.items.start;
		     it < vn->data.sequence.items.top; it++, g++) {
			rc = compile_value(c, mh_y_node(c, *it), field,
					   p->field, &md, g, &ml, !fl);
			if (rc)
				goto out;
		}
		p->ngroups = g;
	} else {
		rc = compile_value(c, vn, field, p->field, &md, 0, &ml, !fl);
		if (rc)
			goto out;
		p->ngroups = 1;
	}
	if (p->all && p->ngroups < 2)
		p->all = 0; /* all of one value = any */
	rc = finish_pred(c, p, &ml);
	if (rc)
		goto out;
done:
	n->op = C_PRED;
	n->pred = p;
	n->cost = p->cost;
	*out = n;
	rc = MH_OK;
out:
	free(ml.v);
	return rc;
}

static cnode *mk_node(pctx *c, int op, size_t nkids)
{
	cnode *n = mh_rs_alloc(c->rs, sizeof(*n));
	if (!n)
		return NULL;
	n->op = (uint8_t)op;
	n->nkids = (uint32_t)nkids;
	if (nkids) {
		n->kids = mh_rs_alloc(c->rs, nkids * sizeof(*n->kids));
		if (!n->kids)
			return NULL;
	}
	return n;
}

/* A mapping: AND of its field predicates. */
static mh_rc compile_map(pctx *c, yaml_node_t *map, cnode **out)
{
	size_t np = (size_t)(map->data.mapping.pairs.top -
			     map->data.mapping.pairs.start);
	cnode *n;
	size_t i = 0;

	if (np == 0)
		return mh_y_err(c, map, NULL, MH_EPARSE, "empty selection");
	n = mk_node(c, C_AND, np);
	if (!n)
		return MH_ENOMEM;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	     p < map->data.mapping.pairs.top; p++, i++) {
		yaml_node_t *k = mh_y_node(c, p->key);
		mh_rc rc;

		if (!mh_y_is_scalar(k))
			return mh_y_err(c, k, NULL, MH_EPARSE,
					"field name must be a string");
		rc = compile_pred(c, k, mh_y_node(c, p->value), &n->kids[i]);
		if (rc)
			return rc;
	}
	*out = n;
	return MH_OK;
}

/* A selection: a map (AND), a list of maps (OR), or keywords. */
static mh_rc compile_selection(pctx *c, yaml_node_t *sel, cnode **out)
{
	if (sel && sel->type == YAML_MAPPING_NODE)
		return compile_map(c, sel, out);
	if (sel && sel->type == YAML_SEQUENCE_NODE) {
		size_t nitems = (size_t)(sel->data.sequence.items.top -
					 sel->data.sequence.items.start);
		size_t nmaps = 0, i = 0;
		yaml_node_item_t *it;
		cnode *n;
		mh_rc rc;

		if (!nitems)
			return mh_y_err(c, sel, NULL, MH_EPARSE,
					"empty selection");
		for (it = sel->data.sequence.items.start;
		     it < sel->data.sequence.items.top; it++)
			if (mh_y_node(c, *it)->type == YAML_MAPPING_NODE)
				nmaps++;
		if (nmaps == 0) {
			/* keyword list: one keyword predicate */
			yaml_node_t key;
			memset(&key, 0, sizeof(key));
			key.type = YAML_SCALAR_NODE;
			key.data.scalar.value = (yaml_char_t *)"";
			key.start_mark = sel->start_mark;
			return compile_pred(c, &key, sel, out);
		}
		n = mk_node(c, C_OR, nitems);
		if (!n)
			return MH_ENOMEM;
		for (it = sel->data.sequence.items.start;
		     it < sel->data.sequence.items.top; it++, i++) {
			yaml_node_t *e = mh_y_node(c, *it);
			if (e->type == YAML_MAPPING_NODE) {
				rc = compile_map(c, e, &n->kids[i]);
			} else {
				yaml_node_t key;
				memset(&key, 0, sizeof(key));
				key.type = YAML_SCALAR_NODE;
				key.data.scalar.value = (yaml_char_t *)"";
				key.start_mark = e->start_mark;
				rc = compile_pred(c, &key, e, &n->kids[i]);
			}
			if (rc)
				return rc;
		}
		*out = n;
		return MH_OK;
	}
	if (sel && mh_y_is_scalar(sel) && !mh_y_is_null(sel)) {
		yaml_node_t key;
		memset(&key, 0, sizeof(key));
		key.type = YAML_SCALAR_NODE;
		key.data.scalar.value = (yaml_char_t *)"";
		key.start_mark = sel->start_mark;
		return compile_pred(c, &key, sel, out);
	}
	return mh_y_err(c, sel, NULL, MH_EPARSE,
			"a selection must be a map, a list of maps or a "
			"list of keywords");
}

mh_rc mh_detection_compile(pctx *c, yaml_node_t *det, rule_int *r)
{
	mh_cond_sel *sels = NULL;
	size_t nsel = 0, cap = 0;
	yaml_node_t *cond = NULL;
	mh_rc rc = MH_OK;

	if (!det || det->type != YAML_MAPPING_NODE)
		return mh_y_err(c, det, "detection", MH_EPARSE,
				"'detection' must be a mapping");
	for (yaml_node_pair_t *p = det->data.mapping.pairs.start;
	     p < det->data.mapping.pairs.top; p++) {
		yaml_node_t *k = mh_y_node(c, p->key);
		yaml_node_t *v = mh_y_node(c, p->value);
		cnode *n;

		if (!mh_y_is_scalar(k)) {
			rc = mh_y_err(c, k, NULL, MH_EPARSE,
				      "selection name must be a string");
			goto out;
		}
		if (!strcmp(mh_y_str(k), "condition")) {
			cond = v;
			continue;
		}
		if (!strcmp(mh_y_str(k), "timeframe")) {
			rc = mh_y_err(c, k, "timeframe", MH_EUNSUP,
				      "'timeframe' is not supported: use a "
				      "correlation rule");
			goto out;
		}
		rc = compile_selection(c, v, &n);
		if (rc)
			goto out;
		if (mh_rule_vec_grow((void **)&sels, &cap, nsel + 1,
				     sizeof(*sels))) {
			rc = MH_ENOMEM;
			goto out;
		}
		sels[nsel].name = mh_y_str(k);
		sels[nsel].node = n;
		nsel++;
	}
	if (!cond) {
		rc = mh_y_err(c, det, "condition", MH_EPARSE,
			      "detection has no 'condition'");
		goto out;
	}
	rc = mh_cond_compile(c, cond, sels, nsel, &r->root);
	if (rc)
		goto out;
	mh_cnode_optimize(r->root);
out:
	free(sels);
	return rc;
}
