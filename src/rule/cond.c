/* Sigma condition parser: recursive descent with the precedence
 * not > and > or, parentheses, and the quantifiers
 * `1 of X`, `any of X`, `all of X` where X is a selection name, a name
 * with * / ? wildcards, or `them` (every selection not starting with
 * '_'). */
#include "rule/cond.h"

#include <string.h>

#define MAX_DEPTH 64

enum tok {
	T_END,
	T_LP,
	T_RP,
	T_AND,
	T_OR,
	T_NOT,
	T_OF,
	T_ONE,
	T_ALL,
	T_ID,
	T_PIPE
};

typedef struct cparse {
	pctx *c;
	yaml_node_t *node;
	const char *s;
	size_t n, pos;
	enum tok tok;
	size_t tpos, tlen;
	const mh_cond_sel *sels;
	size_t nsel;
	int depth;
} cparse;

static bool ieq(const char *a, size_t n, const char *kw)
{
	size_t i;
	for (i = 0; i < n && kw[i]; i++)
		if (mh_lc((unsigned char)a[i]) != (unsigned char)kw[i])
			return false;
	return i == n && !kw[i];
}

/* line:col of byte offset off in the condition text. */
static void where(cparse *p, size_t off, uint32_t *line, uint32_t *col)
{
	yaml_node_t *n = p->node;
	bool quoted = n->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
		      n->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE;
	bool plain = n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;

	*line = (uint32_t)n->start_mark.line + 1;
	*col = (uint32_t)n->start_mark.column + 1;
	if ((!plain && !quoted) || memchr(p->s, '\n', off))
		return;
	*col += (uint32_t)off + (quoted ? 1u : 0u);
}

static mh_rc perr(cparse *p, size_t off, mh_rc rc, const char *msg, size_t len)
{
	uint32_t line, col;

	where(p, off, &line, &col);
	if (len)
		return mh_y_err_at(p->c, line, col, "condition", rc,
				   "%s '%.*s'", msg, (int)len, p->s + off);
	return mh_y_err_at(p->c, line, col, "condition", rc, "%s", msg);
}

static void next(cparse *p)
{
	const char *s = p->s;

	while (p->pos < p->n && (s[p->pos] == ' ' || s[p->pos] == '\t' ||
				 s[p->pos] == '\n' || s[p->pos] == '\r'))
		p->pos++;
	p->tpos = p->pos;
	p->tlen = 0;
	if (p->pos >= p->n) {
		p->tok = T_END;
		return;
	}
	if (s[p->pos] == '(' || s[p->pos] == ')' || s[p->pos] == '|') {
		p->tok = s[p->pos] == '('   ? T_LP
			 : s[p->pos] == ')' ? T_RP
					    : T_PIPE;
		p->pos++;
		p->tlen = 1;
		return;
	}
	while (p->pos < p->n && s[p->pos] != ' ' && s[p->pos] != '\t' &&
	       s[p->pos] != '\n' && s[p->pos] != '\r' && s[p->pos] != '(' &&
	       s[p->pos] != ')' && s[p->pos] != '|')
		p->pos++;
	p->tlen = p->pos - p->tpos;
	if (ieq(s + p->tpos, p->tlen, "and"))
		p->tok = T_AND;
	else if (ieq(s + p->tpos, p->tlen, "or"))
		p->tok = T_OR;
	else if (ieq(s + p->tpos, p->tlen, "not"))
		p->tok = T_NOT;
	else if (ieq(s + p->tpos, p->tlen, "of"))
		p->tok = T_OF;
	else if (ieq(s + p->tpos, p->tlen, "1") ||
		 ieq(s + p->tpos, p->tlen, "any"))
		p->tok = T_ONE;
	else if (ieq(s + p->tpos, p->tlen, "all"))
		p->tok = T_ALL;
	else
		p->tok = T_ID;
}

static bool glob(const char *pat, size_t pn, const char *s)
{
	size_t sn = strlen(s), pi = 0, si = 0, star = (size_t)-1, mark = 0;

	while (si < sn) {
		if (pi < pn && (pat[pi] == '?' || pat[pi] == s[si])) {
			pi++;
			si++;
		} else if (pi < pn && pat[pi] == '*') {
			star = pi++;
			mark = si;
		} else if (star != (size_t)-1) {
			pi = star + 1;
			si = ++mark;
		} else {
			return false;
		}
	}
	while (pi < pn && pat[pi] == '*')
		pi++;
	return pi == pn;
}

static cnode *mk(cparse *p, int op, size_t nkids)
{
	cnode *n = mh_rs_alloc(p->c->rs, sizeof(*n));
	if (!n)
		return NULL;
	n->op = (uint8_t)op;
	n->nkids = (uint32_t)nkids;
	if (nkids &&
	    !(n->kids = mh_rs_alloc(p->c->rs, nkids * sizeof(*n->kids))))
		return NULL;
	return n;
}

static mh_rc parse_or(cparse *p, cnode **out);

static mh_rc parse_quant(cparse *p, bool all, cnode **out)
{
	size_t cnt = 0, k = 0, pos, len;
	bool them;
	cnode *n;

	next(p);
	if (p->tok != T_OF)
		return perr(p, p->tpos, MH_EPARSE, "expected 'of' at",
			    p->tlen ? p->tlen : 0);
	next(p);
	if (p->tok != T_ID)
		return perr(p, p->tpos, MH_EPARSE,
			    "expected a selection name or 'them' after 'of'",
			    0);
	pos = p->tpos;
	len = p->tlen;
	them = ieq(p->s + pos, len, "them");
	for (size_t i = 0; i < p->nsel; i++)
		if (them ? p->sels[i].name[0] != '_'
			 : glob(p->s + pos, len, p->sels[i].name))
			cnt++;
	if (!cnt)
		return perr(p, pos, MH_EPARSE,
			    them ? "no selection for" : "no selection matches",
			    len);
	n = mk(p, all ? C_AND : C_OR, cnt);
	if (!n)
		return MH_ENOMEM;
	for (size_t i = 0; i < p->nsel; i++)
		if (them ? p->sels[i].name[0] != '_'
			 : glob(p->s + pos, len, p->sels[i].name))
			n->kids[k++] = p->sels[i].node;
	next(p);
	*out = n;
	return MH_OK;
}

static mh_rc parse_unary(cparse *p, cnode **out)
{
	mh_rc rc;

	if (++p->depth > MAX_DEPTH)
		return perr(p, p->tpos, MH_ELIMIT, "condition nested too deep",
			    0);
	switch (p->tok) {
	case T_NOT: {
		cnode *n = mk(p, C_NOT, 1);
		if (!n)
			return MH_ENOMEM;
		next(p);
		if ((rc = parse_unary(p, &n->kids[0])))
			return rc;
		*out = n;
		break;
	}
	case T_LP: {
		size_t open = p->tpos;
		next(p);
		if ((rc = parse_or(p, out)))
			return rc;
		if (p->tok != T_RP)
			return perr(p, open, MH_EPARSE,
				    "unbalanced parenthesis", 0);
		next(p);
		break;
	}
	case T_ONE:
	case T_ALL:
		if ((rc = parse_quant(p, p->tok == T_ALL, out)))
			return rc;
		break;
	case T_ID: {
		size_t i;
		for (i = 0; i < p->nsel; i++)
			if (strlen(p->sels[i].name) == p->tlen &&
			    !memcmp(p->sels[i].name, p->s + p->tpos, p->tlen))
				break;
		if (i == p->nsel)
			return perr(p, p->tpos, MH_EPARSE,
				    "undefined selection", p->tlen);
		*out = p->sels[i].node;
		next(p);
		break;
	}
	case T_PIPE:
		return perr(p, p->tpos, MH_EUNSUP,
			    "aggregation expressions ('| count() ...') are "
			    "not supported: use a correlation rule",
			    0);
	case T_END:
		return perr(p, p->tpos, MH_EPARSE,
			    "unexpected end of condition", 0);
	default:
		return perr(p, p->tpos, MH_EPARSE, "unexpected", p->tlen);
	}
	p->depth--;
	return MH_OK;
}

static mh_rc parse_bin(cparse *p, cnode **out, enum tok op)
{
	cnode *kids[256];
	size_t n = 0;
	mh_rc rc;

	for (;;) {
		cnode *k;
		if (op == T_OR)
			rc = parse_bin(p, &k, T_AND);
		else
			rc = parse_unary(p, &k);
		if (rc)
			return rc;
		if (n == MH_ARRAY_LEN(kids))
			return perr(p, p->tpos, MH_ELIMIT, "condition too long",
				    0);
		kids[n++] = k;
		if (p->tok != op)
			break;
		next(p);
	}
	if (n == 1) {
		*out = kids[0];
		return MH_OK;
	}
	*out = mk(p, op == T_OR ? C_OR : C_AND, n);
	if (!*out)
		return MH_ENOMEM;
	memcpy((*out)->kids, kids, n * sizeof(*kids));
	return MH_OK;
}

static mh_rc parse_or(cparse *p, cnode **out)
{
	return parse_bin(p, out, T_OR);
}

static mh_rc compile_one(pctx *c, yaml_node_t *cn, const mh_cond_sel *sels,
			 size_t nsel, cnode **out)
{
	cparse p;
	mh_rc rc;

	if (!mh_y_is_scalar(cn) || mh_y_is_null(cn))
		return mh_y_err(c, cn, "condition", MH_EPARSE,
				"condition must be a string");
	memset(&p, 0, sizeof(p));
	p.c = c;
	p.node = cn;
	p.s = mh_y_str(cn);
	p.n = mh_y_len(cn);
	p.sels = sels;
	p.nsel = nsel;
	next(&p);
	rc = parse_or(&p, out);
	if (rc)
		return rc;
	if (p.tok == T_PIPE)
		return perr(&p, p.tpos, MH_EUNSUP,
			    "aggregation expressions ('| count() ...') are "
			    "not supported: use a correlation rule",
			    0);
	if (p.tok != T_END)
		return perr(&p, p.tpos, MH_EPARSE, "unexpected", p.tlen);
	return MH_OK;
}

mh_rc mh_cond_compile(pctx *c, yaml_node_t *cond, const mh_cond_sel *sels,
		      size_t nsel, cnode **out)
{
	if (cond && cond->type == YAML_SEQUENCE_NODE) {
		size_t n = (size_t)(cond->data.sequence.items.top -
				    cond->data.sequence.items.start);
		cnode *o;
		size_t i = 0;

		if (!n)
			return mh_y_err(c, cond, "condition", MH_EPARSE,
					"empty condition list");
		o = mh_rs_alloc(c->rs, sizeof(*o));
		if (!o || !(o->kids = mh_rs_alloc(c->rs, n * sizeof(cnode *))))
			return MH_ENOMEM;
		o->op = C_OR;
		o->nkids = (uint32_t)n;
		for (yaml_node_item_t *it = cond->data.sequence.items.start;
		     it < cond->data.sequence.items.top; it++, i++) {
			mh_rc rc = compile_one(c, mh_y_node(c, *it), sels, nsel,
					       &o->kids[i]);
			if (rc)
				return rc;
		}
		*out = o;
		return MH_OK;
	}
	return compile_one(c, cond, sels, nsel, out);
}

void mh_cnode_optimize(cnode *n)
{
	int cost = 0;

	switch (n->op) {
	case C_PRED:
		n->cost = n->pred->cost;
		return;
	case C_TRUE:
	case C_FALSE:
		n->cost = 0;
		return;
	default:
		break;
	}
	for (uint32_t i = 0; i < n->nkids; i++) {
		mh_cnode_optimize(n->kids[i]);
		cost += n->kids[i]->cost;
	}
	/* AND/OR are pure: evaluate the cheapest child first (stable) */
	if (n->op == C_AND || n->op == C_OR) {
		for (uint32_t i = 1; i < n->nkids; i++) {
			cnode *k = n->kids[i];
			uint32_t j = i;
			while (j > 0 && n->kids[j - 1]->cost > k->cost) {
				n->kids[j] = n->kids[j - 1];
				j--;
			}
			n->kids[j] = k;
		}
	}
	n->cost = cost > 100000 ? 100000 : cost;
}
