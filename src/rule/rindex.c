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
 * ruleset order. */
#include "rule/rule_int.h"

#include <stdlib.h>
#include <string.h>

#define F_CONT	1u
#define F_START 2u
#define F_END	4u
#define F_EQ	8u

#define RX_OUT 0x80000000u /* DFA entry: the target state reports */
/* DFA size cap per scanner, in entries of 4 bytes (16 MiB): above it the
 * field's literals are tested by the plain matcher. The environment
 * variable MAILHUNT_RX_MAX_CELLS overrides it at compile (tests). */
#define RX_MAX_CELLS (1u << 22)

typedef struct rx_use {
	uint32_t slot;
	uint8_t bit; /* F_*: the kind of hit that sets the slot */
} rx_use;

typedef struct rx_lit {
	const char *s; /* folded unless cased */
	uint32_t n;
	uint32_t use0, nuse; /* uses[use0 .. use0 + nuse) */
	uint8_t need;	     /* union of the uses' bits */
	uint8_t eq;	     /* equality literal (hash), else automaton */
	uint8_t cased;	     /* compare the bytes exactly on a folded hit */
	int32_t fm;
	int32_t next; /* automaton: next literal, same folded bytes, or -1 */
} rx_lit;

/* A goto-only trie over byte classes, walked from the first byte of a
 * value (startswith) or backwards from the last one (endswith): at most
 * the length of the longest literal, usually a few bytes. delta[off +
 * cls[byte]] = next state * ncls | RX_OUT when a literal ends there, 0
 * for no edge (the root is no target). */
typedef struct rx_trie {
	uint32_t *delta;
	int32_t *term; /* by state: the first literal ending there, or -1 */
} rx_trie;

typedef struct rx_fm {
	mh_field field;
	uint8_t atom;	   /* carries some rule's atom: run on every event */
	uint8_t ac_ok;	   /* the automaton fits RX_MAX_CELLS */
	size_t total_len;  /* build: bytes of the automaton literals */
	uint8_t used[256]; /* build: bytes of the automaton literals */
	/* automaton: delta[state * ncls + cls[byte]] = next state * ncls,
	 * | RX_OUT when that state (or its fail chain) ends a literal */
	uint32_t ncls;
	uint8_t cls[256];
	uint32_t *delta;
	int32_t *term;	/* by state: the first literal ending there, or -1 */
	uint32_t *dict; /* by state: next state on the fail chain with a
			   term, 0 for none */
	/* startswith-only and endswith-only literals: anchored tries */
	rx_trie head, tail;
	/* equality literals: open addressing, hlit = literal + 1 */
	size_t hcap;
	uint32_t *hlit;
	uint64_t *hh;
} rx_fm;

/* Integer atoms of one field: (v[i], rule[i]) sorted by value. */
typedef struct rx_ints {
	mh_field f;
	size_t n;
	int64_t *v;
	uint32_t *rule;
} rx_ints;

/* CIDR atoms of one field, one group per prefix length: masked
 * networks sorted by bytes. */
typedef struct rx_cgroup {
	uint8_t bits;
	size_t n;
	uint8_t (*net)[16];
	uint32_t *rule;
} rx_cgroup;

typedef struct rx_cidrs {
	mh_field f;
	size_t ngrp;
	rx_cgroup *grp;
} rx_cidrs;

struct rx_index {
	size_t nfm;
	rx_fm *fm;
	size_t nlit;
	rx_lit *lit;
	size_t nuse;
	rx_use *use;
	size_t nslot;
	/* by slot: 0, or (det index << 2 | clauses) of the rule whose
	 * atom the slot is (clauses: bit 0 first, bit 1 second) */
	uint32_t *slot_rule;
	size_t ndet;
	uint64_t *always; /* rules with no atom */
	uint64_t *need2;  /* rules with a second clause */
	size_t nints;
	rx_ints *ints;
	size_t ncidrs;
	rx_cidrs *cidrs;
	size_t natom_fm;
	int32_t *atom_fm;
};

static size_t words(size_t nbits)
{
	return nbits / 64 + 1;
}

static inline void set_bit(uint64_t *w, size_t i)
{
	w[i / 64] |= 1ULL << (i % 64);
}

/* FNV-1a of the exact bytes (build-time literal dedupe). */
static uint64_t exact_hash(const char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 0x100000001b3ULL;
	return h;
}

static bool eq_bytes(const char *v, const char *lit, size_t n, bool cased)
{
	if (cased)
		return memcmp(v, lit, n) == 0;
	for (size_t i = 0; i < n; i++)
		if (mh_lc((unsigned char)v[i]) != (unsigned char)lit[i])
			return false;
	return true;
}

/* ================================================================ build */

typedef struct buse {
	uint32_t lit;
	rx_use u;
} buse;

typedef struct atom {
	uint8_t t; /* A_* */
	mh_field f;
	uint32_t slot;
	int64_t v;
	mh_cidr c;
} atom;

enum { A_SLOT, A_INT, A_CIDR };

typedef struct aset {
	atom *a;
	size_t n, cap;
	double score;
} aset;

typedef struct iatom {
	mh_field f;
	int64_t v;
	uint32_t rule;
} iatom;

typedef struct catom {
	mh_field f;
	uint8_t bits;
	uint8_t net[16];
	uint32_t rule;
} catom;

typedef struct bctx {
	mh_ruleset *rs;
	rx_index *ix;
	size_t max_cells; /* RX_MAX_CELLS or MAILHUNT_RX_MAX_CELLS */
	int32_t fmid[MH_F__COUNT];
	size_t capfm, caplit, capuse, capslot;
	buse *uses;
	/* literal dedupe: open addressing, lit + 1 */
	size_t lcap;
	uint32_t *lmap;
	uint64_t *lhash;
	/* per slot */
	double *slot_score;
	int32_t *slot_fm;
	uint8_t *slot_used;
	size_t capint, ncatom, capcatom;
	iatom *iat;
	size_t niat;
	catom *cat;
} bctx;

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

static bool pred_indexable(const mh_pred *p)
{
	return p->field != MH_F_NONE && !p->exists;
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
static mh_rc ac_build(rx_index *ix, rx_fm *F, int32_t fmi)
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

/* ---- atoms ---- */

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
		} else {
			catom *c;
			unsigned full, rem;
			if (mh_rule_vec_grow((void **)&b->cat, &b->capcatom,
					     b->ncatom + 1, sizeof(*b->cat)))
				return MH_ENOMEM;
			c = &b->cat[b->ncatom++];
			memset(c, 0, sizeof(*c));
			c->f = a->f;
			c->bits = a->c.bits;
			c->rule = rule << 1 | k;
			full = a->c.bits / 8;
			rem = a->c.bits % 8;
			memcpy(c->net, a->c.net.b, full);
			if (rem)
				c->net[full] = a->c.net.b[full] &
					       (uint8_t)(0xff00u >> rem);
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

/* A total order of 16-byte networks (not the byte order: two native
 * words, cheaper than memcmp in the probe's binary search). */
static inline int net_cmp(const uint8_t *a, const uint8_t *b)
{
	uint64_t x[2], y[2];

	memcpy(x, a, 16);
	memcpy(y, b, 16);
	if (x[0] != y[0])
		return x[0] < y[0] ? -1 : 1;
	if (x[1] != y[1])
		return x[1] < y[1] ? -1 : 1;
	return 0;
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

static mh_rc build_int_atoms(bctx *b)
{
	rx_index *ix = b->ix;
	size_t i = 0;

	if (!b->niat)
		return MH_OK;
	qsort(b->iat, b->niat, sizeof(*b->iat), cmp_iatom);
	ix->ints = calloc(MH_F__COUNT, sizeof(*ix->ints));
	if (!ix->ints)
		return MH_ENOMEM;
	while (i < b->niat) {
		size_t j = i;
		rx_ints *t = &ix->ints[ix->nints++];
		while (j < b->niat && b->iat[j].f == b->iat[i].f)
			j++;
		t->f = b->iat[i].f;
		t->v = malloc((j - i) * sizeof(*t->v));
		t->rule = malloc((j - i) * sizeof(*t->rule));
		if (!t->v || !t->rule)
			return MH_ENOMEM;
		for (; i < j; i++) {
			t->v[t->n] = b->iat[i].v;
			t->rule[t->n++] = b->iat[i].rule;
		}
	}
	return MH_OK;
}

static mh_rc build_cidr_atoms(bctx *b)
{
	rx_index *ix = b->ix;
	size_t i = 0;

	if (!b->ncatom)
		return MH_OK;
	qsort(b->cat, b->ncatom, sizeof(*b->cat), cmp_catom);
	ix->cidrs = calloc(MH_F__COUNT, sizeof(*ix->cidrs));
	if (!ix->cidrs)
		return MH_ENOMEM;
	while (i < b->ncatom) {
		rx_cidrs *t = &ix->cidrs[ix->ncidrs++];
		size_t j = i, ng = 0;
		while (j < b->ncatom && b->cat[j].f == b->cat[i].f) {
			if (j == i || b->cat[j].bits != b->cat[j - 1].bits)
				ng++;
			j++;
		}
		t->f = b->cat[i].f;
		t->grp = calloc(ng, sizeof(*t->grp));
		if (!t->grp)
			return MH_ENOMEM;
		while (i < j) {
			size_t k = i;
			rx_cgroup *g = &t->grp[t->ngrp++];
			while (k < j && b->cat[k].bits == b->cat[i].bits)
				k++;
			g->bits = b->cat[i].bits;
			g->net = malloc((k - i) * sizeof(*g->net));
			g->rule = malloc((k - i) * sizeof(*g->rule));
			if (!g->net || !g->rule)
				return MH_ENOMEM;
			for (; i < k; i++) {
				memcpy(g->net[g->n], b->cat[i].net, 16);
				g->rule[g->n++] = b->cat[i].rule;
			}
		}
	}
	return MH_OK;
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
		    (rc = ac_build(ix, &ix->fm[i], (int32_t)i)))
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
	for (size_t i = 0; i < ix->ndet; i++) {
		aset c[2] = {{0}, {0}};
		int r = clauses_of(b, b->rs->rules[b->rs->det[i]]->root, c);
		if (r < 0 || (c[0].n && add_atoms(b, &c[0], (uint32_t)i, 0)) ||
		    (c[1].n && add_atoms(b, &c[1], (uint32_t)i, 1)))
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
	if ((rc = build_int_atoms(b)) || (rc = build_cidr_atoms(b)))
		return rc;
	ix->atom_fm = malloc((ix->nfm ? ix->nfm : 1) * sizeof(*ix->atom_fm));
	if (!ix->atom_fm)
		return MH_ENOMEM;
	k = 0;
	for (size_t i = 0; i < ix->nfm; i++)
		if (ix->fm[i].atom)
			ix->atom_fm[k++] = (int32_t)i;
	ix->natom_fm = k;
	return MH_OK;
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
	free(ix);
}

/* ============================================================== runtime */

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
		unsigned full = G->bits / 8, rem = G->bits % 8;
		uint8_t key[16];
		size_t lo = 0, hi = G->n;

		memset(key, 0, sizeof(key));
		memcpy(key, ip->b, full);
		if (rem)
			key[full] = ip->b[full] & (uint8_t)(0xff00u >> rem);
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;
			if (net_cmp(G->net[mid], key) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (; lo < G->n && !net_cmp(G->net[lo], key); lo++)
			set_bit(G->rule[lo] & 1 ? m->cand2 : m->cand,
				G->rule[lo] >> 1);
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
