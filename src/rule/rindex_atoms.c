/* The rule index (rindex.c): the necessary atoms of each detection rule,
 * derived from its condition, and the tables of integer and CIDR atoms
 * probed once per event (rindex_match.c). */
#include "rule/rindex_int.h"

static mh_rc aset_add(aset *s, const atom *a)
{
	if (mh_rule_vec_grow((void **)&s->a, &s->cap, s->n + 1, sizeof(*s->a)))
		return MH_ENOMEM;
	s->a[s->n++] = *a;
	return MH_OK;
}

static double cidr_p(const mh_cidr *c)
{
	unsigned len =
	    c->net.v4 ? (c->bits > 96 ? c->bits - 96u : 0u) : c->bits;
	unsigned full = c->net.v4 ? 32 : 128;

	if (len + 16 <= full - 8)
		return 0.3;
	if (len + 8 <= full - 8)
		return 0.05;
	return 0.01;
}

/* Atoms of the matchers of group g (g < 0: all) of p that the index does
 * not cover; false if one of them has none. */
static int rest_atoms(const mh_pred *p, long g, aset *out)
{
	for (size_t i = 0; i < p->ix_nrest; i++) {
		const mh_matcher *m = &p->ix_rest[i];
		atom a;
		if (g >= 0 && m->group != (uint32_t)g)
			continue;
		memset(&a, 0, sizeof(a));
		a.f = p->field;
		if (m->kind == M_CIDR) {
			a.t = A_CIDR;
			a.c = m->cidr;
			out->score += cidr_p(&m->cidr);
		} else if (m->kind == M_INTEQ) {
			a.t = A_INT;
			a.v = m->inum;
			out->score += 0.02;
		} else {
			return 0;
		}
		if (aset_add(out, &a))
			return -1;
	}
	return 1;
}

/* Keep in *best the more selective of *best and *s (when ok, else s is
 * dropped); s is consumed. */
static void keep_best(aset *best, aset *s, bool ok)
{
	if (ok && (!best->n || s->score < best->score)) {
		free(best->a);
		*best = *s;
	} else {
		free(s->a);
	}
	memset(s, 0, sizeof(*s));
}

/* Append *best (consumed) to *out: 1, 0 if best is empty, -1 on ENOMEM
 * (the atoms_of() result). */
static int take_best(aset *out, aset *best)
{
	if (!best->n)
		return 0;
	for (size_t i = 0; i < best->n; i++)
		if (aset_add(out, &best->a[i])) {
			free(best->a);
			return -1;
		}
	out->score += best->score;
	free(best->a);
	return 1;
}

/* 1 and *out: n can hold only if an atom of *out fired; 0: no such set;
 * -1: out of memory. */
static int atoms_of(const bctx *b, const cnode *n, aset *out)
{
	switch (n->op) {
	case C_PRED: {
		const mh_pred *p = n->pred;
		atom a;
		int r;
		size_t n0 = out->n;
		if (!pred_indexable(p) || p->neg || p->has_null)
			return 0;
		if (!p->all) {
			memset(&a, 0, sizeof(a));
			a.f = p->field;
			if (p->ix_fm >= 0) {
				a.t = A_SLOT;
				a.slot = p->ix_slot;
				out->score += b->slot_score[p->ix_slot];
				if (aset_add(out, &a))
					return -1;
			}
			a.t = A_INT;
			for (size_t i = 0; i < p->nints; i++) {
				a.v = p->ints[i];
				out->score += 0.02;
				if (aset_add(out, &a))
					return -1;
			}
			r = rest_atoms(p, -1, out);
			return r <= 0 ? r : out->n > n0;
		}
		/* |all: the atoms of the most selective group */
		{
			aset best = {0};
			for (uint32_t g = 0; g < p->ngroups; g++) {
				aset s = {0};
				r = 1;
				if (p->ix_fm >= 0 &&
				    b->slot_used[p->ix_slot + g]) {
					memset(&a, 0, sizeof(a));
					a.t = A_SLOT;
					a.f = p->field;
					a.slot = p->ix_slot + g;
					s.score += b->slot_score[a.slot];
					if (aset_add(&s, &a))
						r = -1;
				}
				if (r > 0)
					r = rest_atoms(p, g, &s);
				if (r < 0) {
					free(s.a);
					free(best.a);
					return -1;
				}
				keep_best(&best, &s, r > 0 && s.n);
			}
			return take_best(out, &best);
		}
	}
	case C_AND: {
		aset best = {0};
		for (uint32_t i = 0; i < n->nkids; i++) {
			aset s = {0};
			int r = atoms_of(b, n->kids[i], &s);
			if (r < 0) {
				free(s.a);
				free(best.a);
				return -1;
			}
			keep_best(&best, &s, r > 0);
		}
		return take_best(out, &best);
	}
	case C_OR:
		if (!n->nkids)
			return 0;
		for (uint32_t i = 0; i < n->nkids; i++) {
			int r = atoms_of(b, n->kids[i], out);
			if (r <= 0)
				return r;
		}
		return 1;
	default:
		return 0;
	}
}

/* Insert *s (consumed) into the two most selective sets c[0], c[1]. */
static void keep_best2(aset c[2], aset *s)
{
	if (!c[0].n || s->score < c[0].score) {
		free(c[1].a);
		c[1] = c[0];
		c[0] = *s;
	} else if (!c[1].n || s->score < c[1].score) {
		free(c[1].a);
		c[1] = *s;
	} else {
		free(s->a);
	}
	memset(s, 0, sizeof(*s));
}

/* The rule's clauses: the two most selective atom sets of the conjuncts
 * of its root (the kids of ANDs from the root down, each with
 * atoms_of()). The rule holds only if an atom of each clause fired.
 * 0 (c[0] and c[1] may be empty), -1 on ENOMEM. */
static int clauses_of(const bctx *b, const cnode *n, aset c[2])
{
	aset s = {0};
	int r;

	if (n->op == C_AND) {
		for (uint32_t i = 0; i < n->nkids; i++)
			if (clauses_of(b, n->kids[i], c) < 0)
				return -1;
		return 0;
	}
	r = atoms_of(b, n, &s);
	if (r <= 0) {
		free(s.a);
		return r;
	}
	keep_best2(c, &s);
	return 0;
}

/* Append CIDR atom a (its network masked) to the vector *cat. */
static mh_rc add_catom(catom **cat, size_t *n, size_t *cap, const atom *a,
		       uint32_t rule)
{
	catom *c;
	unsigned full = a->c.bits / 8, rem = a->c.bits % 8;

	if (mh_rule_vec_grow((void **)cat, cap, *n + 1, sizeof(**cat)))
		return MH_ENOMEM;
	c = &(*cat)[(*n)++];
	memset(c, 0, sizeof(*c));
	c->f = a->f;
	c->bits = a->c.bits;
	c->rule = rule;
	memcpy(c->net, a->c.net.b, full);
	if (rem)
		c->net[full] = a->c.net.b[full] & (uint8_t)(0xff00u >> rem);
	return MH_OK;
}

/* Register the atoms of clause k (0, 1) of detection rule `rule`. The
 * integer and CIDR tables hold rule << 1 | k. */
static mh_rc add_atoms(bctx *b, const aset *s, uint32_t rule, unsigned k)
{
	rx_index *ix = b->ix;

	for (size_t i = 0; i < s->n; i++) {
		const atom *a = &s->a[i];
		if (a->t == A_SLOT) {
			ix->slot_rule[a->slot] |= rule << 2 | 1u << k;
			ix->fm[b->slot_fm[a->slot]].atom = 1;
		} else if (a->t == A_INT) {
			if (mh_rule_vec_grow((void **)&b->iat, &b->capint,
					     b->niat + 1, sizeof(*b->iat)))
				return MH_ENOMEM;
			b->iat[b->niat].f = a->f;
			b->iat[b->niat].v = a->v;
			b->iat[b->niat].rule = rule << 1 | k;
			b->niat++;
		} else if (add_catom(&b->cat, &b->ncatom, &b->capcatom, a,
				     rule << 1 | k)) {
			return MH_ENOMEM;
		}
	}
	return MH_OK;
}

static int cmp_iatom(const void *a, const void *b)
{
	const iatom *x = a, *y = b;
	if (x->f != y->f)
		return x->f < y->f ? -1 : 1;
	if (x->v != y->v)
		return x->v < y->v ? -1 : 1;
	return x->rule < y->rule ? -1 : x->rule > y->rule;
}

static int cmp_catom(const void *a, const void *b)
{
	const catom *x = a, *y = b;
	int c;
	if (x->f != y->f)
		return x->f < y->f ? -1 : 1;
	if (x->bits != y->bits)
		return x->bits < y->bits ? -1 : 1;
	if ((c = net_cmp(x->net, y->net)))
		return c;
	return x->rule < y->rule ? -1 : x->rule > y->rule;
}

/* The integer tables of iat[0..n) (sorted here): one per field, into
 * *out (calloc'd, MH_F__COUNT entries) and *nout. */
mh_rc mh_rx_int_tables(iatom *iat, size_t n, rx_ints **out, size_t *nout)
{
	size_t i = 0;

	if (!n)
		return MH_OK;
	qsort(iat, n, sizeof(*iat), cmp_iatom);
	*out = calloc(MH_F__COUNT, sizeof(**out));
	if (!*out)
		return MH_ENOMEM;
	while (i < n) {
		size_t j = i;
		rx_ints *t = &(*out)[(*nout)++];
		while (j < n && iat[j].f == iat[i].f)
			j++;
		t->f = iat[i].f;
		t->v = malloc((j - i) * sizeof(*t->v));
		t->rule = malloc((j - i) * sizeof(*t->rule));
		if (!t->v || !t->rule)
			return MH_ENOMEM;
		for (; i < j; i++) {
			t->v[t->n] = iat[i].v;
			t->rule[t->n++] = iat[i].rule;
		}
	}
	return MH_OK;
}

/* The CIDR tables of cat[0..n) (sorted here): one per field, one group
 * per prefix length, into *out (calloc'd, MH_F__COUNT entries) and
 * *nout. */
mh_rc mh_rx_cidr_tables(catom *cat, size_t n, rx_cidrs **out, size_t *nout)
{
	size_t i = 0;

	if (!n)
		return MH_OK;
	qsort(cat, n, sizeof(*cat), cmp_catom);
	*out = calloc(MH_F__COUNT, sizeof(**out));
	if (!*out)
		return MH_ENOMEM;
	while (i < n) {
		rx_cidrs *t = &(*out)[(*nout)++];
		size_t j = i, ng = 0;
		while (j < n && cat[j].f == cat[i].f) {
			if (j == i || cat[j].bits != cat[j - 1].bits)
				ng++;
			j++;
		}
		t->f = cat[i].f;
		t->grp = calloc(ng, sizeof(*t->grp));
		if (!t->grp)
			return MH_ENOMEM;
		while (i < j) {
			size_t k = i;
			rx_cgroup *g = &t->grp[t->ngrp++];
			while (k < j && cat[k].bits == cat[i].bits)
				k++;
			g->bits = cat[i].bits;
			g->net = malloc((k - i) * sizeof(*g->net));
			g->rule = malloc((k - i) * sizeof(*g->rule));
			if (!g->net || !g->rule)
				return MH_ENOMEM;
			for (; i < k; i++) {
				memcpy(g->net[g->n], cat[i].net, 16);
				g->rule[g->n++] = cat[i].rule;
			}
		}
	}
	return MH_OK;
}

/* The value prefilter's share of rule `rule` (rindex_vf.c): which of its
 * clauses it has (b->vf_need; none: b->vf_off, the rule may match any
 * record), and its integer and CIDR atoms, tagged rule << 2 | clause bit,
 * all under field NONE (one table each: any integer or address key's
 * value is probed against every atom). Slot atoms are in slot_rule. */
static mh_rc vf_note(bctx *b, uint32_t rule, const aset c[2])
{
	for (unsigned k = 0; k < 2; k++) {
		if (!c[k].n)
			continue;
		b->vf_need[rule] |= (uint8_t)(1u << k);
		for (size_t i = 0; i < c[k].n; i++) {
			const atom *a = &c[k].a[i];
			uint32_t tag = rule << 2 | 1u << k;
			if (a->t == A_INT) {
				iatom *t;
				if (mh_rule_vec_grow(
					(void **)&b->vf_iat, &b->capvf_iat,
					b->nvf_iat + 1, sizeof(*b->vf_iat)))
					return MH_ENOMEM;
				t = &b->vf_iat[b->nvf_iat++];
				t->f = MH_F_NONE;
				t->v = a->v;
				t->rule = tag;
				mh_fieldset_add(&b->vf_intf, a->f);
			} else if (a->t == A_CIDR) {
				if (add_catom(&b->vf_cat, &b->nvf_cat,
					      &b->capvf_cat, a, tag))
					return MH_ENOMEM;
				b->vf_cat[b->nvf_cat - 1].f = MH_F_NONE;
				mh_fieldset_add(&b->vf_ipf, a->f);
			}
		}
	}
	if (!b->vf_need[rule])
		b->vf_off = true;
	return MH_OK;
}

/* The atoms of every detection rule (its two clauses, or none: always
 * evaluated) and the integer and CIDR atom tables, into b->ix, whose
 * always, need2 and slot_rule arrays are allocated. */
mh_rc mh_rx_atoms_build(bctx *b)
{
	rx_index *ix = b->ix;
	mh_rc rc = MH_OK;

	b->vf_need = calloc(ix->ndet ? ix->ndet : 1, 1);
	if (!b->vf_need)
		return MH_ENOMEM;
	b->vf_off = !ix->ndet;
	for (size_t i = 0; i < ix->ndet; i++) {
		aset c[2] = {{0}, {0}};
		int r = clauses_of(b, b->rs->rules[b->rs->det[i]]->root, c);
		if (r < 0 || (c[0].n && add_atoms(b, &c[0], (uint32_t)i, 0)) ||
		    (c[1].n && add_atoms(b, &c[1], (uint32_t)i, 1)))
			rc = MH_ENOMEM;
		if (!rc && vf_note(b, (uint32_t)i, c))
			rc = MH_ENOMEM;
		if (!c[0].n)
			set_bit(ix->always, i);
		if (c[1].n)
			set_bit(ix->need2, i);
		free(c[0].a);
		free(c[1].a);
		if (rc)
			return rc;
	}
	if ((rc = mh_rx_int_tables(b->iat, b->niat, &ix->ints, &ix->nints)))
		return rc;
	return mh_rx_cidr_tables(b->cat, b->ncatom, &ix->cidrs, &ix->ncidrs);
}
