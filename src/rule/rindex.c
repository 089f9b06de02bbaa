/* The rule index: many detection rules without many evaluations.
 *
 * Built once by mh_ruleset_compile() (not with MAILHUNT_NO_RULE_INDEX=1),
 * read-only afterwards and shared by the workers; the per-event scratch
 * lives in each mh_match_ctx. Verdicts are those of the plain matcher
 * (tests/unit/test_rule_index.c compares both).
 *
 * Literals. Every EQ / CONTAINS / STARTS / ENDS matcher of every
 * predicate on a named field (and every value of a predicate's hash set)
 * is a literal of the scanner of its field ("fm"):
 *  - contains literals go into one Aho-Corasick automaton per field (a
 *    full DFA over byte classes of the ASCII-folded input, as match.c
 *    folds), run over the whole value; startswith-only and
 *    endswith-only literals into two anchored tries over the same
 *    classes, walked from the start / back from the end of the value
 *    (a literal used both ways, or also as contains, stays in the
 *    automaton);
 *  - equality literals go into one hash table per field (folded hash).
 * A |cased literal is found through its folded form and its bytes are
 * then compared exactly. Scanning a field runs the automaton once over
 * each element of the value and looks the element up once; each literal
 * occurrence sets the
 * "slot" bit of the predicates (any-mode) or predicate groups (|all)
 * that use it with a matching kind (an occurrence at offset 0 is a
 * startswith hit, one ending at the end an endswith hit). A predicate
 * then reads its slot bit, and runs only the matchers the index does not
 * cover (wildcards, regex, cidr, numbers, fieldref, integer sets).
 * A scanner runs at most once per event, on demand.
 *
 * Atoms. For a condition node, a set of atoms is derived such that it
 * can hold only if one of them fired: a slot bit, an integer value of a
 * field (str_int as integer equality reads it) or a CIDR block holding
 * an address field. AND takes the kid with the most selective set
 * (an estimate), OR the union of its kids' sets; NOT, keywords,
 * |exists, null values, |neq, wildcards, regex and numbers give none.
 * A rule gets up to two such sets ("clauses"): the two most selective
 * among the conjuncts of its root (e.g. a process list and a port list
 * of `sel and sel_port`). A rule with none is always evaluated; the
 * others only when an atom of each of their clauses fired. Per event:
 * the scanners that carry atoms run, the integer and CIDR atom tables
 * are probed once per field, then the candidate rules are evaluated in
 * ruleset order.
 *
 * Files: this one collects the literals and builds their scanners;
 * rindex_atoms.c derives the atoms; rindex_match.c runs it all per
 * event; rindex_int.h holds the types they share. */
#include "rule/rindex_int.h"

/* FNV-1a of the exact bytes (build-time literal dedupe). */
static uint64_t exact_hash(const char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 0x100000001b3ULL;
	return h;
}

/* ================================================================ build */

static int32_t get_fm(bctx *b, mh_field f)
{
	int32_t *id = &b->fmid[f];
	rx_index *ix = b->ix;

	if (*id >= 0)
		return *id;
	if (mh_rule_vec_grow((void **)&ix->fm, &b->capfm, ix->nfm + 1,
			     sizeof(*ix->fm)))
		return -1;
	memset(&ix->fm[ix->nfm], 0, sizeof(ix->fm[0]));
	ix->fm[ix->nfm].field = f;
	*id = (int32_t)ix->nfm++;
	return *id;
}

static bool is_lit_kind(const mh_matcher *m)
{
	return m->kind == M_EQ || ((m->kind == M_CONTAINS ||
				    m->kind == M_STARTS || m->kind == M_ENDS) &&
				   m->n > 0);
}

/* Does the index cover matcher m (of a predicate whose scanner is fm)? */
static bool covered(const rx_index *ix, int32_t fm, const mh_matcher *m)
{
	if (fm < 0 || !is_lit_kind(m))
		return false;
	return m->kind == M_EQ || ix->fm[fm].ac_ok;
}

static uint8_t kind_bit(uint8_t kind)
{
	switch (kind) {
	case M_EQ:
		return F_EQ;
	case M_STARTS:
		return F_START;
	case M_ENDS:
		return F_END;
	default:
		return F_CONT;
	}
}

/* Rough share of values a literal occurs in (lower = more selective). */
static double lit_p(uint8_t kind, size_t n)
{
	if (kind == M_EQ)
		return 0.01;
	if (n >= 8)
		return 0.002;
	if (n >= 5)
		return 0.01;
	if (n >= 3)
		return 0.05;
	return 0.3;
}

static mh_rc lmap_grow(bctx *b)
{
	size_t nc = b->lcap ? b->lcap * 2 : 1024;
	uint32_t *m = calloc(nc, sizeof(*m));
	uint64_t *h = calloc(nc, sizeof(*h));

	if (!m || !h) {
		free(m);
		free(h);
		return MH_ENOMEM;
	}
	for (size_t i = 0; i < b->lcap; i++) {
		size_t j;
		if (!b->lmap[i])
			continue;
		for (j = b->lhash[i] & (nc - 1); m[j]; j = (j + 1) & (nc - 1))
			;
		m[j] = b->lmap[i];
		h[j] = b->lhash[i];
	}
	free(b->lmap);
	free(b->lhash);
	b->lmap = m;
	b->lhash = h;
	b->lcap = nc;
	return MH_OK;
}

/* The literal (fm, eq, cased, s[0..n)), added if new; -1 on ENOMEM. */
static int64_t get_lit(bctx *b, int32_t fm, bool eq, bool cased, const char *s,
		       size_t n)
{
	rx_index *ix = b->ix;
	uint64_t h = exact_hash(s, n) ^ ((uint64_t)fm * 4 + eq * 2u + cased) *
					    0x9e3779b97f4a7c15ULL;
	size_t j;

	if ((ix->nlit + 1) * 2 > b->lcap && lmap_grow(b))
		return -1;
	for (j = h & (b->lcap - 1); b->lmap[j]; j = (j + 1) & (b->lcap - 1)) {
		const rx_lit *l = &ix->lit[b->lmap[j] - 1];
		if (b->lhash[j] == h && l->fm == fm && l->eq == eq &&
		    l->cased == cased && l->n == n && !memcmp(l->s, s, n))
			return b->lmap[j] - 1;
	}
	if (mh_rule_vec_grow((void **)&ix->lit, &b->caplit, ix->nlit + 1,
			     sizeof(*ix->lit)))
		return -1;
	memset(&ix->lit[ix->nlit], 0, sizeof(ix->lit[0]));
	ix->lit[ix->nlit].s = s;
	ix->lit[ix->nlit].n = (uint32_t)n;
	ix->lit[ix->nlit].eq = eq;
	ix->lit[ix->nlit].cased = cased;
	ix->lit[ix->nlit].fm = fm;
	ix->lit[ix->nlit].next = -1;
	b->lmap[j] = (uint32_t)ix->nlit + 1;
	b->lhash[j] = h;
	if (!eq) {
		rx_fm *F = &ix->fm[fm];
		F->total_len += n;
		for (size_t i = 0; i < n; i++)
			F->used[mh_lc((unsigned char)s[i])] = 1;
	}
	return (int64_t)ix->nlit++;
}

static mh_rc add_use(bctx *b, uint32_t lit, uint32_t slot, uint8_t bit)
{
	rx_index *ix = b->ix;

	if (mh_rule_vec_grow((void **)&b->uses, &b->capuse, ix->nuse + 1,
			     sizeof(*b->uses)))
		return MH_ENOMEM;
	b->uses[ix->nuse].lit = lit;
	b->uses[ix->nuse].u.slot = slot;
	b->uses[ix->nuse].u.bit = bit;
	ix->nuse++;
	b->slot_score[slot] +=
	    lit_p(bit == F_EQ ? M_EQ : M_CONTAINS, ix->lit[lit].n);
	b->slot_used[slot] = 1;
	return MH_OK;
}

static mh_rc grow_slots(bctx *b, size_t need)
{
	size_t cap = b->capslot;

	if (need <= cap)
		return MH_OK;
	if (mh_rule_vec_grow((void **)&b->slot_score, &cap, need,
			     sizeof(*b->slot_score)))
		return MH_ENOMEM;
	cap = b->capslot;
	if (mh_rule_vec_grow((void **)&b->slot_fm, &cap, need,
			     sizeof(*b->slot_fm)))
		return MH_ENOMEM;
	cap = b->capslot;
	if (mh_rule_vec_grow((void **)&b->slot_used, &cap, need,
			     sizeof(*b->slot_used)))
		return MH_ENOMEM;
	for (size_t i = b->capslot; i < cap; i++) {
		b->slot_score[i] = 0;
		b->slot_fm[i] = -1;
		b->slot_used[i] = 0;
	}
	b->capslot = cap;
	return MH_OK;
}

/* Call fn on every predicate of the detection rules once (mark = the
 * pass number, so that a node shared inside a rule is seen once). */
typedef mh_rc (*pred_fn)(bctx *b, mh_pred *p);

static mh_rc walk(bctx *b, cnode *n, uint8_t mark, pred_fn fn)
{
	if (n->op == C_PRED) {
		if (n->pred->ix_seen == mark)
			return MH_OK;
		n->pred->ix_seen = mark;
		return fn(b, n->pred);
	}
	for (uint32_t i = 0; i < n->nkids; i++) {
		mh_rc rc = walk(b, n->kids[i], mark, fn);
		if (rc)
			return rc;
	}
	return MH_OK;
}

static mh_rc walk_all(bctx *b, uint8_t mark, pred_fn fn)
{
	for (size_t i = 0; i < b->rs->ndet; i++) {
		mh_rc rc = walk(b, b->rs->rules[b->rs->det[i]]->root, mark, fn);
		if (rc)
			return rc;
	}
	return MH_OK;
}

/* Pass 1: register the literals (sizes the automata). */
static mh_rc pass_lits(bctx *b, mh_pred *p)
{
	p->ix_fm = -1;
	p->ix_rest = p->m;
	p->ix_nrest = p->nm;
	if (!pred_indexable(p))
		return MH_OK;
	for (size_t i = 0; i < p->nm; i++) {
		const mh_matcher *m = &p->m[i];
		int32_t fm;
		if (!is_lit_kind(m))
			continue;
		if ((fm = get_fm(b, p->field)) < 0 ||
		    get_lit(b, fm, m->kind == M_EQ, m->cased, m->s, m->n) < 0)
			return MH_ENOMEM;
	}
	for (size_t j = 0; j < p->set.cap; j++) {
		int32_t fm;
		if (!p->set.s[j])
			continue;
		if ((fm = get_fm(b, p->field)) < 0 ||
		    get_lit(b, fm, true, false, p->set.s[j], p->set.n[j]) < 0)
			return MH_ENOMEM;
	}
	return MH_OK;
}

/* Pass 2: slots, uses and the uncovered matchers of each predicate. */
static mh_rc pass_slots(bctx *b, mh_pred *p)
{
	rx_index *ix = b->ix;
	int32_t fm = -1;
	size_t ncov = 0, k = 0;
	uint32_t slot;
	mh_matcher *rest;

	if (!pred_indexable(p))
		return MH_OK;
	for (size_t i = 0; i < p->nm; i++)
		if (covered(ix, b->fmid[p->field], &p->m[i])) {
			fm = b->fmid[p->field];
			ncov++;
		}
	if (p->set.cap)
		fm = b->fmid[p->field];
	if (fm < 0)
		return MH_OK;
	slot = (uint32_t)ix->nslot;
	ix->nslot += p->all ? p->ngroups : 1;
	if (grow_slots(b, ix->nslot))
		return MH_ENOMEM;
	for (uint32_t s = slot; s < ix->nslot; s++)
		b->slot_fm[s] = fm;
	p->ix_fm = fm;
	p->ix_slot = slot;
	for (size_t i = 0; i < p->nm; i++) {
		const mh_matcher *m = &p->m[i];
		int64_t lit;
		if (!covered(ix, fm, m))
			continue;
		lit = get_lit(b, fm, m->kind == M_EQ, m->cased, m->s, m->n);
		if (lit < 0 ||
		    add_use(b, (uint32_t)lit, slot + (p->all ? m->group : 0),
			    kind_bit(m->kind)))
			return MH_ENOMEM;
	}
	for (size_t j = 0; j < p->set.cap; j++) {
		int64_t lit;
		if (!p->set.s[j])
			continue;
		lit = get_lit(b, fm, true, false, p->set.s[j], p->set.n[j]);
		if (lit < 0 || add_use(b, (uint32_t)lit, slot, F_EQ))
			return MH_ENOMEM;
	}
	rest = p->nm > ncov ? mh_rs_alloc(b->rs, (p->nm - ncov) * sizeof(*rest))
			    : NULL;
	if (p->nm > ncov && !rest)
		return MH_ENOMEM;
	for (size_t i = 0; i < p->nm; i++)
		if (!covered(ix, fm, &p->m[i]))
			rest[k++] = p->m[i];
	p->ix_rest = rest;
	p->ix_nrest = k;
	return MH_OK;
}

enum { H_NONE, H_AC, H_HEAD, H_TAIL };

/* Where automaton literal L is searched (from the kinds of its uses). */
static int lit_home(const rx_lit *L)
{
	if (L->eq || !L->need)
		return H_NONE;
	if ((L->need & F_CONT) || (L->need & F_START && L->need & F_END))
		return H_AC;
	return (L->need & F_START) ? H_HEAD : H_TAIL;
}

/* The byte classes of F: one per (folded) byte of its literals, class 0
 * for the others (unless every byte is used). */
static void classes(rx_fm *F)
{
	uint32_t C = 1, nused = 0;
	uint8_t cls0[256];

	for (int c = 0; c < 256; c++)
		nused += F->used[c];
	if (nused == 256)
		C = 0;
	for (int c = 0; c < 256; c++)
		cls0[c] = (F->used[c] || nused == 256) ? (uint8_t)C++ : 0;
	for (int c = 0; c < 256; c++)
		F->cls[c] = cls0[mh_lc((unsigned char)c)];
	F->ncls = C;
}

/* Add literal l (its bytes reversed if rev) to the goto trie delta/term
 * of F (states numbered, not yet offsets), growing *nst. */
static void trie_add(rx_index *ix, const rx_fm *F, uint32_t *delta,
		     int32_t *term, uint32_t *nst, uint32_t l, bool rev)
{
	rx_lit *L = &ix->lit[l];
	uint32_t s = 0;

	for (uint32_t i = 0; i < L->n; i++) {
		unsigned char c = (unsigned char)L->s[rev ? L->n - 1 - i : i];
		uint32_t *t = &delta[(size_t)s * F->ncls + F->cls[c]];
		if (!*t)
			*t = (*nst)++;
		s = *t;
	}
	L->next = term[s];
	term[s] = (int32_t)l;
}

/* The anchored trie of F's literals of home `home` (H_HEAD / H_TAIL). */
static mh_rc trie_build(rx_index *ix, rx_fm *F, int32_t fmi, int home,
			rx_trie *T)
{
	uint32_t C = F->ncls, maxst = 1, nst = 1;

	for (size_t l = 0; l < ix->nlit; l++)
		if (ix->lit[l].fm == fmi && lit_home(&ix->lit[l]) == home)
			maxst += ix->lit[l].n;
	if (maxst == 1)
		return MH_OK;
	T->delta = calloc((size_t)maxst * C, sizeof(*T->delta));
	T->term = malloc((size_t)maxst * sizeof(*T->term));
	if (!T->delta || !T->term)
		return MH_ENOMEM;
	for (uint32_t s = 0; s < maxst; s++)
		T->term[s] = -1;
	for (size_t l = 0; l < ix->nlit; l++)
		if (ix->lit[l].fm == fmi && lit_home(&ix->lit[l]) == home)
			trie_add(ix, F, T->delta, T->term, &nst, (uint32_t)l,
				 home == H_TAIL);
	for (size_t i = 0; i < (size_t)nst * C; i++) {
		uint32_t t = T->delta[i];
		if (t)
			T->delta[i] = t * C | (T->term[t] >= 0 ? RX_OUT : 0u);
	}
	return MH_OK;
}

/* Renumber the nst states of F's DFA (state numbers, not offsets yet)
 * in breadth-first order, bfs[0 .. nst - 1) being the states after the
 * root: the shallow states, where a scan spends most of its time, then
 * share cache lines. Trims the arrays to nst states. */
static mh_rc ac_renumber(rx_fm *F, const uint32_t *bfs, uint32_t nst)
{
	uint32_t C = F->ncls;
	uint32_t *ren = malloc((size_t)nst * sizeof(*ren));
	uint32_t *d = malloc((size_t)nst * C * sizeof(*d));
	uint32_t *dict = malloc((size_t)nst * sizeof(*dict));
	int32_t *term = malloc((size_t)nst * sizeof(*term));

	if (!ren || !d || !dict || !term) {
		free(ren);
		free(d);
		free(dict);
		free(term);
		return MH_ENOMEM;
	}
	ren[0] = 0;
	for (uint32_t i = 0; i + 1 < nst; i++)
		ren[bfs[i]] = i + 1;
	for (uint32_t s = 0; s < nst; s++) {
		uint32_t ns = ren[s];
		for (uint32_t c = 0; c < C; c++)
			d[(size_t)ns * C + c] =
			    ren[F->delta[(size_t)s * C + c]];
		term[ns] = F->term[s];
		dict[ns] = ren[F->dict[s]];
	}
	free(ren);
	free(F->delta);
	free(F->dict);
	free(F->term);
	F->delta = d;
	F->dict = dict;
	F->term = term;
	return MH_OK;
}

/* The Aho-Corasick DFA of scanner F over its contains literals, and the
 * anchored tries. */
mh_rc mh_rx_ac_build(rx_index *ix, rx_fm *F, int32_t fmi)
{
	uint32_t C, maxst = 1, nst = 1;
	uint32_t *q = NULL, *fail = NULL, qh = 0, qt = 0;
	mh_rc rc;

	classes(F);
	C = F->ncls;
	if ((rc = trie_build(ix, F, fmi, H_HEAD, &F->head)) ||
	    (rc = trie_build(ix, F, fmi, H_TAIL, &F->tail)))
		return rc;
	for (size_t l = 0; l < ix->nlit; l++)
		if (ix->lit[l].fm == fmi && lit_home(&ix->lit[l]) == H_AC)
			maxst += ix->lit[l].n;
	if (maxst == 1)
		return MH_OK;
	rc = MH_ENOMEM;
	F->delta = calloc((size_t)maxst * C, sizeof(*F->delta));
	F->term = malloc((size_t)maxst * sizeof(*F->term));
	F->dict = calloc(maxst, sizeof(*F->dict));
	fail = calloc(maxst, sizeof(*fail));
	q = malloc((size_t)maxst * sizeof(*q));
	if (!F->delta || !F->term || !F->dict || !fail || !q)
		goto out;
	for (uint32_t s = 0; s < maxst; s++)
		F->term[s] = -1;
	/* trie */
	for (size_t l = 0; l < ix->nlit; l++)
		if (ix->lit[l].fm == fmi && lit_home(&ix->lit[l]) == H_AC)
			trie_add(ix, F, F->delta, F->term, &nst, (uint32_t)l,
				 false);
	/* fail links, completing the rows in breadth-first order */
	for (uint32_t c = 0; c < C; c++)
		if (F->delta[c])
			q[qt++] = F->delta[c];
	while (qh < qt) {
		uint32_t s = q[qh++], fs = fail[s];
		F->dict[s] = F->term[fs] >= 0 ? fs : F->dict[fs];
		for (uint32_t c = 0; c < C; c++) {
			uint32_t *t = &F->delta[(size_t)s * C + c];
			if (*t) {
				fail[*t] = F->delta[(size_t)fs * C + c];
				q[qt++] = *t;
			} else {
				*t = F->delta[(size_t)fs * C + c];
			}
		}
	}
	if ((rc = ac_renumber(F, q, nst)))
		goto out;
	/* row offsets and the report mark */
	for (size_t i = 0; i < (size_t)nst * C; i++) {
		uint32_t t = F->delta[i];
		F->delta[i] =
		    t * C | ((F->term[t] >= 0 || F->dict[t]) ? RX_OUT : 0u);
	}
	rc = MH_OK;
out:
	free(q);
	free(fail);
	return rc;
}

/* The hash table of F's equality literals (folded hash: a cased and a
 * folded literal of the same folded bytes are two entries). */
static mh_rc eq_build(rx_index *ix, rx_fm *F, int32_t fmi)
{
	size_t n = 0;

	for (size_t l = 0; l < ix->nlit; l++)
		if (ix->lit[l].fm == fmi && ix->lit[l].eq)
			n++;
	if (!n)
		return MH_OK;
	F->hcap = 8;
	while (F->hcap < n * 2)
		F->hcap *= 2;
	F->hlit = calloc(F->hcap, sizeof(*F->hlit));
	F->hh = calloc(F->hcap, sizeof(*F->hh));
	if (!F->hlit || !F->hh)
		return MH_ENOMEM;
	for (size_t l = 0; l < ix->nlit; l++) {
		const rx_lit *L = &ix->lit[l];
		uint64_t h;
		size_t j;
		if (L->fm != fmi || !L->eq)
			continue;
		h = mh_rule_fold_hash(L->s, L->n);
		for (j = h & (F->hcap - 1); F->hlit[j];
		     j = (j + 1) & (F->hcap - 1))
			;
		F->hlit[j] = (uint32_t)l + 1;
		F->hh[j] = h;
	}
	return MH_OK;
}

static int cmp_buse(const void *a, const void *b)
{
	const buse *x = a, *y = b;
	if (x->lit != y->lit)
		return x->lit < y->lit ? -1 : 1;
	return x->u.slot < y->u.slot ? -1 : x->u.slot > y->u.slot;
}

/* The whole index into b->ix (the caller frees it on error). */
static mh_rc build(bctx *b)
{
	rx_index *ix = b->ix;
	mh_rc rc;
	size_t k;

	for (int f = 0; f < MH_F__COUNT; f++)
		b->fmid[f] = -1;
	if ((rc = walk_all(b, 1, pass_lits)))
		return rc;
	for (size_t i = 0; i < ix->nfm; i++) {
		rx_fm *F = &ix->fm[i];
		size_t ncls = 1;
		for (int c = 0; c < 256; c++)
			ncls += F->used[c];
		F->ac_ok =
		    F->total_len && (F->total_len + 1) * ncls <= b->max_cells;
	}
	if ((rc = walk_all(b, 2, pass_slots)))
		return rc;
	/* uses, grouped by literal */
	if (ix->nuse) /* qsort(NULL, 0) is undefined */
		qsort(b->uses, ix->nuse, sizeof(*b->uses), cmp_buse);
	ix->use = malloc((ix->nuse ? ix->nuse : 1) * sizeof(*ix->use));
	if (!ix->use)
		return MH_ENOMEM;
	for (size_t i = 0; i < ix->nuse; i++) {
		rx_lit *L = &ix->lit[b->uses[i].lit];
		if (!L->nuse)
			L->use0 = (uint32_t)i;
		L->nuse++;
		L->need |= b->uses[i].u.bit;
		ix->use[i] = b->uses[i].u;
	}
	for (size_t i = 0; i < ix->nfm; i++) {
		if (ix->fm[i].ac_ok &&
		    (rc = mh_rx_ac_build(ix, &ix->fm[i], (int32_t)i)))
			return rc;
		if ((rc = eq_build(ix, &ix->fm[i], (int32_t)i)))
			return rc;
	}
	/* atoms */
	ix->ndet = b->rs->ndet;
	ix->always = calloc(words(ix->ndet), sizeof(*ix->always));
	ix->need2 = calloc(words(ix->ndet), sizeof(*ix->need2));
	ix->slot_rule =
	    calloc(ix->nslot ? ix->nslot : 1, sizeof(*ix->slot_rule));
	if (!ix->always || !ix->need2 || !ix->slot_rule ||
	    ix->ndet >= (1u << 30))
		return MH_ENOMEM;
	if (ix->nslot && (rc = grow_slots(b, ix->nslot)))
		return rc;
	if ((rc = mh_rx_atoms_build(b)))
		return rc;
	ix->atom_fm = malloc((ix->nfm ? ix->nfm : 1) * sizeof(*ix->atom_fm));
	if (!ix->atom_fm)
		return MH_ENOMEM;
	k = 0;
	for (size_t i = 0; i < ix->nfm; i++)
		if (ix->fm[i].atom)
			ix->atom_fm[k++] = (int32_t)i;
	ix->natom_fm = k;
	return mh_rx_vf_build(b);
}

mh_rc mh_rindex_build(mh_ruleset *rs)
{
	bctx b;
	mh_rc rc;

	memset(&b, 0, sizeof(b));
	b.rs = rs;
	b.max_cells = RX_MAX_CELLS;
	{
		const char *v = getenv("MAILHUNT_RX_MAX_CELLS");
		char *end = NULL;
		unsigned long long n = v ? strtoull(v, &end, 10) : 0;
		if (v && end != v && *end == 0)
			b.max_cells = (size_t)n;
	}
	b.ix = calloc(1, sizeof(*b.ix));
	if (!b.ix)
		return MH_ENOMEM;
	rc = build(&b);
	free(b.uses);
	free(b.lmap);
	free(b.lhash);
	free(b.slot_score);
	free(b.slot_fm);
	free(b.slot_used);
	free(b.iat);
	free(b.cat);
	free(b.vf_need);
	free(b.vf_iat);
	free(b.vf_cat);
	if (rc) {
		mh_rindex_free(b.ix);
		/* predicates are evaluated without the index */
		return rc;
	}
	rs->ix = b.ix;
	return MH_OK;
}

size_t mh_rindex_automata(const mh_ruleset *rs)
{
	size_t n = 0;

	for (size_t i = 0; rs->ix && i < rs->ix->nfm; i++)
		n += rs->ix->fm[i].ac_ok;
	return n;
}

void mh_rindex_free(rx_index *ix)
{
	if (!ix)
		return;
	for (size_t i = 0; i < ix->nfm; i++) {
		free(ix->fm[i].delta);
		free(ix->fm[i].term);
		free(ix->fm[i].dict);
		free(ix->fm[i].head.delta);
		free(ix->fm[i].head.term);
		free(ix->fm[i].tail.delta);
		free(ix->fm[i].tail.term);
		free(ix->fm[i].hlit);
		free(ix->fm[i].hh);
	}
	for (size_t i = 0; i < ix->nints; i++) {
		free(ix->ints[i].v);
		free(ix->ints[i].rule);
	}
	for (size_t i = 0; i < ix->ncidrs; i++) {
		for (size_t g = 0; g < ix->cidrs[i].ngrp; g++) {
			free(ix->cidrs[i].grp[g].net);
			free(ix->cidrs[i].grp[g].rule);
		}
		free(ix->cidrs[i].grp);
	}
	free(ix->fm);
	free(ix->lit);
	free(ix->use);
	free(ix->slot_rule);
	free(ix->always);
	free(ix->need2);
	free(ix->ints);
	free(ix->cidrs);
	free(ix->atom_fm);
	free(ix->vf);
	mh_rindex_free(ix->vx);
	free(ix->vf_tag);
	free(ix->vf_need);
	free(ix->vf_feed);
	free(ix->vf_ip16);
	free(ix->vf_int16);
	for (int k = 0; k < 2; k++) {
		rx_fp *T = k ? ix->fp2 : ix->fp4;
		if (!T)
			continue;
		free(T->bits);
		free(T->rank);
		free(T->bstart);
		free(T->ent);
		free(T);
	}
	free(ix);
}
