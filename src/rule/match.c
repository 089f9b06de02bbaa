/* Matching: the hot path. No allocation per event; all patterns are
 * pre-folded at compile time, so only the event bytes are folded (ASCII
 * only: bytes >= 0x80 compare exactly). */
#include "rule/re_lits.h"
#include "rule/rule_int.h"

#include <stdlib.h>
#include <string.h>

bool mh_rule_parse_num(const char *s, size_t n, double *out, int64_t *iout,
		       bool *is_int);
uint64_t mh_rule_fold_hash(const char *p, size_t n);

int mh_pred_cost(const mh_pred *p)
{
	int c = 2;

	if (p->exists)
		return 1;
	if (p->field == MH_F_NONE)
		c += 40;
	if (p->nints)
		c += 1;
	if (p->set.cap)
		c += 3;
	for (size_t i = 0; i < p->nm; i++) {
		switch (p->m[i].kind) {
		case M_NULL:
		case M_ANY:
		case M_INTEQ:
			c += 1;
			break;
		case M_EQ:
		case M_NUM:
			c += 2;
			break;
		case M_STARTS:
		case M_ENDS:
		case M_CIDR:
		case M_REF:
			c += 3;
			break;
		case M_CONTAINS:
			c += 5;
			break;
		case M_GLOB:
			c += 8;
			break;
		default:
			c += 25;
		}
	}
	return c > 10000 ? 10000 : c;
}

static inline bool eq_fold(const char *v, const char *pat, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (mh_lc((unsigned char)v[i]) != (unsigned char)pat[i])
			return false;
	return true;
}

static inline bool eq_mode(const char *v, const char *pat, size_t n, bool cased)
{
	return cased ? memcmp(v, pat, n) == 0 : eq_fold(v, pat, n);
}

static bool contains(const char *v, size_t vn, const char *pat, size_t pn,
		     bool cased)
{
	unsigned char f, fu;

	if (pn == 0)
		return true;
	if (pn > vn)
		return false;
	f = (unsigned char)pat[0];
	fu = (!cased && f >= 'a' && f <= 'z') ? (unsigned char)(f - 32) : f;
	for (size_t i = 0; i + pn <= vn; i++) {
		unsigned char ch = (unsigned char)v[i];
		if (ch != f && ch != fu) {
			/* skip ahead with memchr when the first byte is
			 * case-invariant */
			if (f == fu) {
				const char *q =
				    memchr(v + i, f, vn - pn - i + 1);
				if (!q)
					return false;
				i = (size_t)(q - v);
			} else {
				continue;
			}
		}
		if (eq_mode(v + i + 1, pat + 1, pn - 1, cased))
			return true;
	}
	return false;
}

static bool glob_match(const char *v, size_t vn, const char *pat,
		       const uint8_t *w, size_t pn, bool cased)
{
	size_t pi = 0, vi = 0, star = (size_t)-1, mark = 0;

	while (vi < vn) {
		if (pi < pn && w[pi] == 1) {
			star = pi++;
			mark = vi;
		} else if (pi < pn && (w[pi] == 2 ||
				       (cased ? v[vi] == pat[pi]
					      : mh_lc((unsigned char)v[vi]) ==
						    (unsigned char)pat[pi]))) {
			pi++;
			vi++;
		} else if (star != (size_t)-1) {
			pi = star + 1;
			vi = ++mark;
		} else {
			return false;
		}
	}
	while (pi < pn && w[pi] == 1)
		pi++;
	return pi == pn;
}

bool mh_rule_str_int(const char *p, size_t n, int64_t *out)
{
	const char *end = p + n;
	bool neg = false;
	uint64_t v = 0;

	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (p < end && (*p == '-' || *p == '+'))
		neg = (*p++ == '-');
	if (p == end)
		return false;
	while (p < end && *p >= '0' && *p <= '9') {
		if (v > 922337203685477580ULL)
			return false;
		v = v * 10 + (uint64_t)(*p++ - '0');
	}
	if (p < end && *p == '.') {
		p++;
		while (p < end && *p == '0')
			p++;
	}
	if (p != end || v > (uint64_t)INT64_MAX)
		return false;
	*out = neg ? -(int64_t)v : (int64_t)v;
	return true;
}

static bool ints_has(const int64_t *a, size_t n, int64_t v)
{
	size_t lo = 0, hi = n;

	if (n <= 8) {
		for (size_t i = 0; i < n; i++)
			if (a[i] == v)
				return true;
		return false;
	}
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (a[mid] == v)
			return true;
		if (a[mid] < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static bool set_has(const strset *s, const char *v, size_t n)
{
	uint64_t h = mh_rule_fold_hash(v, n);

	for (size_t j = h & (s->cap - 1); s->s[j]; j = (j + 1) & (s->cap - 1))
		if (s->h[j] == h && s->n[j] == n && eq_fold(v, s->s[j], n))
			return true;
	return false;
}

static bool num_cmp(const mh_matcher *m, bool vint, int64_t iv, double dv)
{
	if (vint && m->num_int) {
		switch (m->op) {
		case MH_CMP_LT:
			return iv < m->inum;
		case MH_CMP_LTE:
			return iv <= m->inum;
		case MH_CMP_GT:
			return iv > m->inum;
		case MH_CMP_GTE:
			return iv >= m->inum;
		default:
			return false;
		}
	}
	switch (m->op) {
	case MH_CMP_LT:
		return dv < m->num;
	case MH_CMP_LTE:
		return dv <= m->num;
	case MH_CMP_GT:
		return dv > m->num;
	case MH_CMP_GTE:
		return dv >= m->num;
	default:
		return false;
	}
}

static bool eq2(const char *a, const char *b, size_t n, bool cased)
{
	return cased ? memcmp(a, b, n) == 0 : mh_fold_eq(a, b, n);
}

/* fieldref: neither side is pre-folded. */
static bool ref_cmp(int op, bool cased, const char *v, size_t n, const char *o,
		    size_t on)
{
	if (on > n)
		return false;
	switch (op) {
	case M_EQ:
		return n == on && eq2(v, o, n, cased);
	case M_STARTS:
		return eq2(v, o, on, cased);
	case M_ENDS:
		return eq2(v + n - on, o, on, cased);
	default:
		for (size_t i = 0; i + on <= n; i++)
			if (eq2(v + i, o, on, cased))
				return true;
		return false;
	}
}

/* Per-element state is computed lazily once (ip, number): mh_elem. */
typedef mh_elem elem;

static bool test_one(const mh_matcher *m, elem *e, const mh_event *ev,
		     mh_match_ctx *ctx)
{
	const char *v = e->p;
	size_t n = e->n;

	switch (m->kind) {
	case M_EQ:
		return n == m->n && eq_mode(v, m->s, n, m->cased);
	case M_CONTAINS:
		return contains(v, n, m->s, m->n, m->cased);
	case M_STARTS:
		return n >= m->n && eq_mode(v, m->s, m->n, m->cased);
	case M_ENDS:
		return n >= m->n && eq_mode(v + n - m->n, m->s, m->n, m->cased);
	case M_GLOB:
		return glob_match(v, n, m->s, m->wild, m->n, m->cased);
	case M_ANY:
		return true;
	case M_NULL:
		return false;
	case M_INTEQ:
		if (!e->int_state)
			e->int_state = mh_rule_str_int(v, n, &e->ival) ? 1 : -1;
		return e->int_state > 0 && e->ival == m->inum;
	case M_RE:
		if (m->lits && !mh_re_lits_may_match(m->lits, v, n))
			return false; /* no literal every match needs */
		if (m->num_int)	      /* JIT-compiled */
			return pcre2_jit_match(m->re, (PCRE2_SPTR)v, n, 0, 0,
					       ctx->md, ctx->mc) >= 0;
		return pcre2_match(m->re, (PCRE2_SPTR)v, n, 0, 0, ctx->md,
				   ctx->mc) >= 0;
	case M_CIDR:
		if (!e->ip_state)
			e->ip_state = mh_ip_parse(v, n, &e->ip) ? 1 : -1;
		return e->ip_state > 0 && mh_cidr_contains(&m->cidr, &e->ip);
	case M_NUM:
		if (!e->num_state)
			e->num_state = mh_rule_parse_num(v, n, &e->num,
							 &e->inum, &e->num_int)
					   ? 1
					   : -1;
		return e->num_state > 0 &&
		       num_cmp(m, e->num_int, e->inum, e->num);
	case M_REF: {
		const mh_str *o = mh_event_get(ev, m->ref);
		return o && ref_cmp(m->op, m->cased, v, n, o->p, o->n);
	}
	}
	return false;
}

/* The tests of a predicate that run on the values: all of them without
 * the index, those the index does not cover with it. */
typedef struct mview {
	const mh_matcher *m;
	size_t nm;
	const int64_t *ints;
	size_t nints;
	const strset *set; /* NULL: none */
	rx_fcache *fc;	   /* per-event parse cache of the field, or NULL */
} mview;

static bool mview_empty(const mview *v)
{
	return !v->nm && !v->nints && !v->set;
}

/* Any matcher of group g (g < 0: any matcher, or the sets) against e. */
static bool elem_test(const mview *v, long g, elem *e, const mh_event *ev,
		      mh_match_ctx *ctx)
{
	if (g < 0) {
		if (v->nints) {
			if (!e->int_state)
				e->int_state =
				    mh_rule_str_int(e->p, e->n, &e->ival) ? 1
									  : -1;
			if (e->int_state > 0 &&
			    ints_has(v->ints, v->nints, e->ival))
				return true;
		}
		if (v->set && set_has(v->set, e->p, e->n))
			return true;
		for (size_t i = 0; i < v->nm; i++)
			if (test_one(&v->m[i], e, ev, ctx))
				return true;
		return false;
	}
	for (size_t i = 0; i < v->nm; i++)
		if (v->m[i].group == (uint32_t)g &&
		    test_one(&v->m[i], e, ev, ctx))
			return true;
	return false;
}

/* Any element of field f. */
static bool field_test(const mview *vw, long g, mh_field f, const mh_event *ev,
		       mh_match_ctx *ctx)
{
	const mh_str *v = &ev->v[f];
	elem e;

	e.ip_state = e.num_state = e.int_state = 0;
	if (MH_LIKELY(!mh_fieldset_has(&ev->multi, f))) {
		if (!vw->fc) {
			e.p = v->p;
			e.n = v->n;
			return elem_test(vw, g, &e, ev, ctx);
		}
		/* the parsed forms are kept for the other predicates */
		if (vw->fc->epoch != ctx->epoch) {
			vw->fc->epoch = ctx->epoch;
			vw->fc->e.ip_state = vw->fc->e.num_state =
			    vw->fc->e.int_state = 0;
		}
		vw->fc->e.p = v->p;
		vw->fc->e.n = v->n;
		return elem_test(vw, g, &vw->fc->e, ev, ctx);
	}
	{
		const char *s = v->p, *end = v->p + v->n;
		for (;;) {
			const char *q =
			    memchr(s, MH_LIST_SEP, (size_t)(end - s));
			e.ip_state = e.num_state = e.int_state = 0;
			e.p = s;
			e.n = q ? (size_t)(q - s) : (size_t)(end - s);
			if (elem_test(vw, g, &e, ev, ctx))
				return true;
			if (!q)
				return false;
			s = q + 1;
		}
	}
}

static bool source_test(const mh_pred *p, long g, const mh_event *ev,
			mh_match_ctx *ctx)
{
	mview v = {p->m, p->nm, p->ints, p->nints, p->set.cap ? &p->set : NULL,
		   NULL};

	if (p->field != MH_F_NONE)
		return field_test(&v, g, p->field, ev, ctx);
	for (unsigned w = 0; w < MH_FIELD_WORDS; w++) {
		uint64_t bits = ev->present.w[w];
		while (bits) {
			unsigned b = (unsigned)__builtin_ctzll(bits);
			bits &= bits - 1;
			if (field_test(&v, g, (mh_field)(w * 64 + b), ev, ctx))
				return true;
		}
	}
	return false;
}

/* source_test() through the index: the slot bits of the predicate's
 * literals, then the matchers the index does not cover. */
static bool source_test_ix(const mh_pred *p, long g, const mh_event *ev,
			   mh_match_ctx *ctx)
{
	mview v;

	if (p->ix_fm < 0)
		return source_test(p, g, ev, ctx);
	mh_rindex_scan(ctx, ev, p->ix_fm);
	if (mh_bit(ctx->slots, p->ix_slot + (g < 0 ? 0 : (size_t)g)))
		return true;
	v.m = p->ix_rest;
	v.nm = p->ix_nrest;
	v.ints = g < 0 ? p->ints : NULL;
	v.nints = g < 0 ? p->nints : 0;
	v.set = NULL;
	v.fc = &ctx->fc[p->field];
	if (mview_empty(&v))
		return false;
	return field_test(&v, g, p->field, ev, ctx);
}

static bool pred_eval(const mh_pred *p, const mh_event *ev, mh_match_ctx *ctx,
		      bool ix)
{
	bool set = p->field == MH_F_NONE || mh_event_has(ev, p->field);
	bool r;

	if (p->exists)
		return set == (bool)p->exists_val;
	if (!set) {
		if (p->neg || !p->has_null)
			return false;
		if (!p->all)
			return true;
		/* all: every value must be null */
		for (uint32_t g = 0; g < p->ngroups; g++) {
			bool found = false;
			for (size_t i = 0; i < p->nm; i++)
				if (p->m[i].group == g &&
				    p->m[i].kind == M_NULL)
					found = true;
			if (!found)
				return false;
		}
		return true;
	}
	if (!p->all) {
		r = ix ? source_test_ix(p, -1, ev, ctx)
		       : source_test(p, -1, ev, ctx);
	} else {
		r = true;
		for (uint32_t g = 0; g < p->ngroups && r; g++)
			r = ix ? source_test_ix(p, (long)g, ev, ctx)
			       : source_test(p, (long)g, ev, ctx);
	}
	return p->neg ? !r : r;
}

/* The verdict of n, through the rule index (ix) or not. */
static bool cnode_eval(const cnode *n, const mh_event *ev, mh_match_ctx *m,
		       bool ix)
{
	switch (n->op) {
	case C_PRED:
		return pred_eval(n->pred, ev, m, ix);
	case C_AND:
		for (uint32_t i = 0; i < n->nkids; i++)
			if (!cnode_eval(n->kids[i], ev, m, ix))
				return false;
		return true;
	case C_OR:
		for (uint32_t i = 0; i < n->nkids; i++)
			if (cnode_eval(n->kids[i], ev, m, ix))
				return true;
		return false;
	case C_NOT:
		return !cnode_eval(n->kids[0], ev, m, ix);
	case C_TRUE:
		return true;
	default:
		return false;
	}
}

bool mh_cnode_eval(const cnode *n, const mh_event *ev, mh_match_ctx *m)
{
	return cnode_eval(n, ev, m, false);
}

bool mh_cnode_eval_ix(const cnode *n, const mh_event *ev, mh_match_ctx *m)
{
	return cnode_eval(n, ev, m, true);
}

/* Regex limits: a pathological pattern on a hostile value gives up (no
 * match) instead of running away. */
#define RE_MATCH_LIMIT	 1000000u
#define RE_JIT_STACK_MAX (1u << 20)

mh_rc mh_match_ctx_new(const mh_ruleset *rs, mh_match_ctx **out)
{
	mh_match_ctx *m = calloc(1, sizeof(*m));

	if (!m)
		return MH_ENOMEM;
	m->md = pcre2_match_data_create(1, NULL);
	m->mc = pcre2_match_context_create(NULL);
	if (!m->md || !m->mc)
		goto fail;
	pcre2_set_match_limit(m->mc, RE_MATCH_LIMIT);
	m->js = pcre2_jit_stack_create(32 * 1024, RE_JIT_STACK_MAX, NULL);
	if (m->js) /* NULL when JIT is unavailable: machine stack is used */
		pcre2_jit_stack_assign(m->mc, NULL, m->js);
	if (mh_rindex_ctx_init(rs, m))
		goto fail;
	*out = m;
	return MH_OK;
fail:
	mh_match_ctx_free(m);
	return MH_ENOMEM;
}

void mh_match_ctx_free(mh_match_ctx *m)
{
	if (!m)
		return;
	pcre2_match_data_free(m->md);
	pcre2_match_context_free(m->mc);
	pcre2_jit_stack_free(m->js);
	mh_rindex_ctx_free(m);
	free(m);
}

size_t mh_ruleset_match(const mh_ruleset *rs, mh_match_ctx *m,
			const mh_event *ev, uint32_t *out, size_t cap)
{
	size_t k = 0;

	/* the index, when m was made for it (a context made before the
	 * ruleset was compiled has no scratch: the plain loop) */
	if (rs->ix && m->ix == rs->ix)
		return mh_rindex_match(rs, m, ev, out, cap);
	for (size_t i = 0; i < rs->ndet && k < cap; i++) {
		const rule_int *r = rs->rules[rs->det[i]];
		if (mh_cnode_eval(r->root, ev, m))
			out[k++] = rs->det[i];
	}
	return k;
}
