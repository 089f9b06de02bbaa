/* The rule index (rindex.c) at match time: the per-worker scratch, the
 * per-event scans of the literal scanners and atom tables, and the
 * candidate rules' evaluation. */
#include "rule/rindex_int.h"

static bool eq_bytes(const char *v, const char *lit, size_t n, bool cased)
{
	if (cased)
		return memcmp(v, lit, n) == 0;
	for (size_t i = 0; i < n; i++)
		if (mh_lc((unsigned char)v[i]) != (unsigned char)lit[i])
			return false;
	return true;
}

mh_rc mh_rindex_ctx_init(const mh_ruleset *rs, mh_match_ctx *m)
{
	const rx_index *ix = rs->ix;

	if (!ix)
		return MH_OK;
	m->slots = calloc(words(ix->nslot), sizeof(*m->slots));
	m->cand = calloc(words(ix->ndet), sizeof(*m->cand));
	m->cand2 = calloc(words(ix->ndet), sizeof(*m->cand2));
	m->fm_done = calloc(words(ix->nfm), sizeof(*m->fm_done));
	m->lflags = calloc(ix->nlit ? ix->nlit : 1, 1);
	m->touched = malloc((ix->nlit ? ix->nlit : 1) * sizeof(*m->touched));
	if (!m->slots || !m->cand || !m->cand2 || !m->fm_done || !m->lflags ||
	    !m->touched) {
		mh_rindex_ctx_free(m);
		return MH_ENOMEM;
	}
	m->ix = ix;
	return MH_OK;
}

void mh_rindex_ctx_free(mh_match_ctx *m)
{
	free(m->slots);
	free(m->cand);
	free(m->cand2);
	free(m->fm_done);
	free(m->lflags);
	free(m->touched);
	m->slots = m->cand = m->cand2 = m->fm_done = NULL;
	m->lflags = NULL;
	m->touched = NULL;
	m->ix = NULL;
}

/* Literal l occurred with hit kinds `flags`: set the slots (and the
 * candidate bits of the rules whose atom they are) of its uses. */
static void lit_hit(const rx_index *ix, mh_match_ctx *m, uint32_t l,
		    unsigned flags)
{
	const rx_lit *L = &ix->lit[l];
	unsigned old = m->lflags[l], nw = flags & L->need & ~old;

	if (!nw)
		return;
	if (!old)
		m->touched[m->ntouched++] = l;
	m->lflags[l] = (uint8_t)(old | nw);
	for (uint32_t u = L->use0; u < L->use0 + L->nuse; u++) {
		const rx_use *U = &ix->use[u];
		uint32_t r;
		if (!(U->bit & nw))
			continue;
		set_bit(m->slots, U->slot);
		r = ix->slot_rule[U->slot];
		if (r & 1)
			set_bit(m->cand, r >> 2);
		if (r & 2)
			set_bit(m->cand2, r >> 2);
	}
}

/* The literals of the chain from l (same folded bytes) occur at
 * p[start..) of the value p[0..vn). */
static void lits_at(const rx_index *ix, mh_match_ctx *m, int32_t l,
		    const char *p, size_t start, size_t vn)
{
	for (; l >= 0; l = ix->lit[l].next) {
		const rx_lit *L = &ix->lit[l];
		unsigned flags = F_CONT;
		if (L->cased && memcmp(p + start, L->s, L->n) != 0)
			continue;
		if (start == 0)
			flags |= F_START;
		if (start + L->n == vn)
			flags |= F_END;
		lit_hit(ix, m, (uint32_t)l, flags);
	}
}

/* Report the literals ending at `end` of the value p[0..vn) that the
 * DFA state st (a state number) stands for. */
static void ac_report(const rx_index *ix, const rx_fm *F, mh_match_ctx *m,
		      uint32_t st, const char *p, size_t end, size_t vn)
{
	uint32_t t = F->term[st] >= 0 ? st : F->dict[st];

	while (t) {
		int32_t l = F->term[t];
		lits_at(ix, m, l, p, end - ix->lit[l].n, vn);
		t = F->dict[t];
	}
}

/* Run F's automaton, anchored tries and equality table over one element
 * p[0..n) of its field's value, reporting the hits (lit_hit). */
static void scan_elem(const rx_index *ix, const rx_fm *F, mh_match_ctx *m,
		      const char *p, size_t n)
{
	if (F->delta) {
		const uint32_t *d = F->delta;
		const uint8_t *cls = F->cls;
		uint32_t s = 0;
		for (size_t i = 0; i < n; i++) {
			s = d[s + cls[(unsigned char)p[i]]];
			if (MH_UNLIKELY(s & RX_OUT)) {
				s &= ~RX_OUT;
				ac_report(ix, F, m, s / F->ncls, p, i + 1, n);
			}
		}
	}
	if (F->head.delta) {
		const uint32_t *d = F->head.delta;
		uint32_t s = 0;
		for (size_t i = 0; i < n; i++) {
			if (!(s = d[s + F->cls[(unsigned char)p[i]]]))
				break;
			if (s & RX_OUT) {
				s &= ~RX_OUT;
				lits_at(ix, m, F->head.term[s / F->ncls], p, 0,
					n);
			}
		}
	}
	if (F->tail.delta) {
		const uint32_t *d = F->tail.delta;
		uint32_t s = 0;
		for (size_t i = n; i-- > 0;) {
			if (!(s = d[s + F->cls[(unsigned char)p[i]]]))
				break;
			if (s & RX_OUT) {
				s &= ~RX_OUT;
				lits_at(ix, m, F->tail.term[s / F->ncls], p, i,
					n);
			}
		}
	}
	if (F->hcap) {
		/* cased and folded literals of the same folded bytes share
		 * the hash: every entry is checked */
		uint64_t h = mh_rule_fold_hash(p, n);
		for (size_t j = h & (F->hcap - 1); F->hlit[j];
		     j = (j + 1) & (F->hcap - 1)) {
			const rx_lit *L = &ix->lit[F->hlit[j] - 1];
			if (F->hh[j] == h && L->n == n &&
			    eq_bytes(p, L->s, n, L->cased))
				lit_hit(ix, m, F->hlit[j] - 1, F_EQ);
		}
	}
}

void mh_rindex_scan(mh_match_ctx *m, const mh_event *ev, int32_t fm)
{
	const rx_index *ix = m->ix;
	const rx_fm *F = &ix->fm[fm];
	const mh_str *v;

	if (mh_bit(m->fm_done, (size_t)fm))
		return;
	set_bit(m->fm_done, (size_t)fm);
	if (!mh_event_has(ev, F->field))
		return;
	v = &ev->v[F->field];
	m->ntouched = 0;
	if (MH_LIKELY(!mh_fieldset_has(&ev->multi, F->field))) {
		scan_elem(ix, F, m, v->p, v->n);
	} else {
		const char *s = v->p, *end = v->p + v->n;
		for (;;) {
			const char *q =
			    memchr(s, MH_LIST_SEP, (size_t)(end - s));
			size_t n = q ? (size_t)(q - s) : (size_t)(end - s);
			scan_elem(ix, F, m, s, n);
			if (!q)
				break;
			s = q + 1;
		}
	}
	for (size_t i = 0; i < m->ntouched; i++)
		m->lflags[m->touched[i]] = 0;
	m->ntouched = 0;
}

/* Integer atoms: the rules of value v. */
static void int_probe(const rx_ints *t, int64_t v, mh_match_ctx *m)
{
	size_t lo = 0, hi = t->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (t->v[mid] < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < t->n && t->v[lo] == v; lo++)
		set_bit(t->rule[lo] & 1 ? m->cand2 : m->cand, t->rule[lo] >> 1);
}

/* CIDR atoms: the rules of the networks holding ip, one binary search
 * per prefix length. */
static void cidr_probe(const rx_cidrs *t, const mh_ip *ip, mh_match_ctx *m)
{
	for (size_t g = 0; g < t->ngrp; g++) {
		const rx_cgroup *G = &t->grp[g];
		uint8_t key[16];
		for (size_t k = rx_cgroup_find(G, ip, key);
		     k < G->n && !net_cmp(G->net[k], key); k++)
			set_bit(G->rule[k] & 1 ? m->cand2 : m->cand,
				G->rule[k] >> 1);
	}
}

/* Run the integer and CIDR atoms of field f on each element of its
 * value (the single-valued parse is cached for the predicates). */
static void value_atoms(mh_match_ctx *m, const mh_event *ev, mh_field f,
			const rx_ints *ti, const rx_cidrs *tc)
{
	const mh_str *v = &ev->v[f];
	const char *s = v->p, *end = v->p + v->n;
	bool multi = mh_fieldset_has(&ev->multi, f);

	if (!mh_event_has(ev, f))
		return;
	for (;;) {
		const char *q =
		    multi ? memchr(s, MH_LIST_SEP, (size_t)(end - s)) : NULL;
		mh_elem tmp, *e = &tmp;
		if (!multi) {
			e = &m->fc[f].e;
			if (m->fc[f].epoch != m->epoch) {
				m->fc[f].epoch = m->epoch;
				e->ip_state = e->num_state = e->int_state = 0;
			}
		} else {
			e->ip_state = e->num_state = e->int_state = 0;
		}
		e->p = s;
		e->n = q ? (size_t)(q - s) : (size_t)(end - s);
		if (ti) {
			if (!e->int_state)
				e->int_state =
				    mh_rule_str_int(e->p, e->n, &e->ival) ? 1
									  : -1;
			if (e->int_state > 0)
				int_probe(ti, e->ival, m);
		}
		if (tc) {
			if (!e->ip_state)
				e->ip_state =
				    mh_ip_parse(e->p, e->n, &e->ip) ? 1 : -1;
			if (e->ip_state > 0)
				cidr_probe(tc, &e->ip, m);
		}
		if (!q)
			break;
		s = q + 1;
	}
}

size_t mh_rindex_match(const mh_ruleset *rs, mh_match_ctx *m,
		       const mh_event *ev, uint32_t *out, size_t cap)
{
	const rx_index *ix = m->ix;
	size_t k = 0, nw = words(ix->ndet);

	if (++m->epoch == 0) {
		for (int f = 0; f < MH_F__COUNT; f++)
			m->fc[f].epoch = 0;
		m->epoch = 1;
	}
	memset(m->slots, 0, words(ix->nslot) * sizeof(*m->slots));
	memset(m->cand, 0, nw * sizeof(*m->cand));
	memset(m->cand2, 0, nw * sizeof(*m->cand2));
	memset(m->fm_done, 0, words(ix->nfm) * sizeof(*m->fm_done));
	for (size_t i = 0; i < ix->natom_fm; i++)
		mh_rindex_scan(m, ev, ix->atom_fm[i]);
	for (size_t i = 0; i < ix->nints; i++)
		value_atoms(m, ev, ix->ints[i].f, &ix->ints[i], NULL);
	for (size_t i = 0; i < ix->ncidrs; i++)
		value_atoms(m, ev, ix->cidrs[i].f, NULL, &ix->cidrs[i]);
	for (size_t w = 0; w < nw && k < cap; w++) {
		/* an atom of each clause fired, or the rule has none */
		uint64_t bits = ix->always[w] |
				(m->cand[w] & (~ix->need2[w] | m->cand2[w]));
		while (bits && k < cap) {
			size_t i = w * 64 + (size_t)__builtin_ctzll(bits);
			const rule_int *r = rs->rules[rs->det[i]];
			bits &= bits - 1;
			if (mh_cnode_eval_ix(r->root, ev, m))
				out[k++] = rs->det[i];
		}
	}
	return k;
}
