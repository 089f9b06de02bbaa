/* The value prefilter (rule/vfilter.h), built from the clauses of the
 * rule index: the cores of the literals of the slot atoms in one
 * Aho-Corasick DFA (rindex.c builds it), each with the rule clauses its
 * literal's slots are atoms of; the integer and CIDR atoms in one table
 * each. All of it lives in vx, a private rx_index. */
#include "event/normalize.h"
#include "rule/rindex_int.h"

/* The longest run of s[0..n) without '\\' or '/' (the first one of that
 * length): *off, *len (0 when s has none). */
static void core_of(const char *s, size_t n, size_t *off, size_t *len)
{
	size_t i = 0;

	*off = *len = 0;
	while (i < n) {
		size_t j = i;
		while (j < n && s[j] != '\\' && s[j] != '/')
			j++;
		if (j - i > *len) {
			*off = i;
			*len = j - i;
		}
		i = j + 1;
	}
}

/* How many of L's uses are on slots that are some rule's atom. */
static uint32_t atom_uses(const rx_index *ix, const rx_lit *L)
{
	uint32_t n = 0;

	for (uint32_t u = L->use0; u < L->use0 + L->nuse; u++)
		n += ix->slot_rule[ix->use[u].slot] != 0;
	return n;
}

/* Adds the core of L to vx, its uses (the rule clauses of L's atom
 * slots, as slot_rule holds them) to vx->vf_tag from *nuse on; false
 * when L has no core or its field has no known sources. */
static bool add_core(const rx_index *ix, rx_index *vx, mh_fieldset *fields,
		     const rx_lit *L, size_t *nuse)
{
	mh_field f = ix->fm[L->fm].field;
	mh_fieldset src;
	rx_fm *F = &vx->fm[0];
	rx_lit *C;
	size_t off, len;

	memset(&src, 0, sizeof(src));
	if (!mh_event_norm_sources(f, &src))
		return false;
	core_of(L->s, L->n, &off, &len);
	if (!len)
		return false;
	mh_fieldset_add(fields, f);
	C = &vx->lit[vx->nlit++];
	memset(C, 0, sizeof(*C));
	C->s = L->s + off;
	C->n = (uint32_t)len;
	C->need = F_CONT;
	C->fm = 0;
	C->next = -1;
	C->use0 = (uint32_t)*nuse;
	for (uint32_t u = L->use0; u < L->use0 + L->nuse; u++) {
		uint32_t r = ix->slot_rule[ix->use[u].slot];
		if (r)
			vx->vf_tag[(*nuse)++] = r;
	}
	C->nuse = (uint32_t)*nuse - C->use0;
	F->total_len += len;
	for (size_t i = 0; i < len; i++)
		F->used[mh_lc((unsigned char)C->s[i])] = 1;
	return true;
}

/* The cores of the atom literals into vx (its DFA and uses); MH_OK with
 * *ok false when there is no value prefilter. */
static mh_rc build_cores(const bctx *b, rx_index *vx, mh_fieldset *fields,
			 bool *ok)
{
	const rx_index *ix = b->ix;
	size_t n = 0, nuse = 0, ncls = 1;

	*ok = false;
	for (size_t l = 0; l < ix->nlit; l++) {
		uint32_t k = atom_uses(ix, &ix->lit[l]);
		n += k > 0;
		nuse += k;
	}
	vx->fm = calloc(1, sizeof(*vx->fm));
	vx->lit = calloc(n ? n : 1, sizeof(*vx->lit));
	vx->vf_tag = calloc(nuse ? nuse : 1, sizeof(*vx->vf_tag));
	if (!vx->fm || !vx->lit || !vx->vf_tag)
		return MH_ENOMEM;
	vx->nfm = 1;
	nuse = 0;
	for (size_t l = 0; l < ix->nlit; l++)
		if (atom_uses(ix, &ix->lit[l]) &&
		    !add_core(ix, vx, fields, &ix->lit[l], &nuse))
			return MH_OK;
	for (int c = 0; c < 256; c++)
		ncls += vx->fm[0].used[c];
	if ((vx->fm[0].total_len + 1) * ncls > b->max_cells)
		return MH_OK;
	if (n) {
		mh_rc rc = mh_rx_ac_build(vx, &vx->fm[0], 0);
		if (rc)
			return rc;
		if (!vx->fm[0].delta)
			return MH_OK;
	}
	*ok = true;
	return MH_OK;
}

mh_rc mh_rx_vf_build(bctx *b)
{
	rx_index *ix = b->ix, *vx = NULL;
	mh_vfilter *vf = NULL;
	mh_fieldset fields;
	bool ok = false;
	mh_rc rc = MH_ENOMEM;

	if (b->vf_off)
		return MH_OK;
	memset(&fields, 0, sizeof(fields));
	vx = calloc(1, sizeof(*vx));
	if (!vx)
		goto out;
	if ((rc = build_cores(b, vx, &fields, &ok)) || !ok)
		goto out; /* none (ok false, rc MH_OK) or out of memory */
	if ((rc = mh_rx_int_tables(b->vf_iat, b->nvf_iat, &vx->ints,
				   &vx->nints)) ||
	    (rc = mh_rx_cidr_tables(b->vf_cat, b->nvf_cat, &vx->cidrs,
				    &vx->ncidrs)))
		goto out;
	rc = MH_ENOMEM;
	vf = calloc(1, sizeof(*vf));
	vx->ndet = ix->ndet;
	vx->vf_need = malloc(ix->ndet ? ix->ndet : 1);
	if (!vf || !vx->vf_need)
		goto out;
	memcpy(vx->vf_need, b->vf_need, ix->ndet);
	vf->fields = fields;
	vf->intfields = b->vf_intf;
	vf->ipfields = b->vf_ipf;
	vf->nrules = ix->ndet;
	vf->need = vx->vf_need;
	vf->vx = vx;
	if (vx->fm[0].delta) {
		memcpy(vf->cls, vx->fm[0].cls, sizeof(vf->cls));
		vf->delta = vx->fm[0].delta;
	} else {
		/* no literal: one state that never reports */
		static const uint32_t none[1];
		vf->delta = none;
	}
	ix->vf = vf;
	ix->vx = vx;
	return MH_OK;
out:
	free(vf);
	mh_rindex_free(vx);
	return rc;
}

const mh_vfilter *mh_ruleset_vfilter(const mh_ruleset *rs)
{
	return rs && rs->ix ? rs->ix->vf : NULL;
}

/* ================================================================ match */

mh_rc mh_vf_state_init(const mh_vfilter *vf, mh_vf_state *s)
{
	memset(s, 0, sizeof(*s));
	s->hit = calloc(vf->nrules ? vf->nrules : 1, 1);
	s->touched =
	    malloc((vf->nrules ? vf->nrules : 1) * sizeof(*s->touched));
	if (!s->hit || !s->touched) {
		mh_vf_state_free(s);
		return MH_ENOMEM;
	}
	return MH_OK;
}

void mh_vf_state_free(mh_vf_state *s)
{
	free(s->hit);
	free(s->touched);
	memset(s, 0, sizeof(*s));
}

/* Clauses `tag & 3` of rule `tag >> 2` saw an atom: is the rule
 * complete? */
static inline bool mark(const mh_vfilter *vf, mh_vf_state *s, uint32_t tag)
{
	uint32_t r = tag >> 2;

	if (!s->hit[r])
		s->touched[s->nt++] = r;
	s->hit[r] |= (uint8_t)(tag & 3);
	return (s->hit[r] & vf->need[r]) == vf->need[r];
}

bool mh_vfilter_report(const mh_vfilter *vf, mh_vf_state *s, uint32_t st)
{
	const rx_index *vx = vf->vx;
	const rx_fm *F = &vx->fm[0];
	uint32_t n = (st & ~MH_VF_HIT) / F->ncls;
	uint32_t t = F->term[n] >= 0 ? n : F->dict[n];
	bool done = false;

	for (; t; t = F->dict[t])
		for (int32_t l = F->term[t]; l >= 0; l = vx->lit[l].next) {
			const rx_lit *C = &vx->lit[l];
			for (uint32_t u = C->use0; u < C->use0 + C->nuse; u++)
				done |= mark(vf, s, vx->vf_tag[u]);
		}
	return done;
}

bool mh_vfilter_int(const mh_vfilter *vf, mh_vf_state *s, const char *p,
		    size_t n)
{
	const rx_ints *t = vf->vx->nints ? &vf->vx->ints[0] : NULL;
	size_t lo = 0, hi;
	int64_t v;
	bool done = false;

	if (!t || !mh_rule_str_int(p, n, &v))
		return false;
	hi = t->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (t->v[mid] < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < t->n && t->v[lo] == v; lo++)
		done |= mark(vf, s, t->rule[lo]);
	return done;
}

bool mh_vfilter_ip(const mh_vfilter *vf, mh_vf_state *s, const char *p,
		   size_t n)
{
	const rx_cidrs *t = vf->vx->ncidrs ? &vf->vx->cidrs[0] : NULL;
	mh_ip ip;
	bool done = false;

	if (!t || !mh_ip_parse(p, n, &ip))
		return false;
	for (size_t g = 0; g < t->ngrp; g++) {
		const rx_cgroup *G = &t->grp[g];
		unsigned full = G->bits / 8, rem = G->bits % 8;
		uint8_t key[16];
		size_t lo = 0, hi = G->n;

		memset(key, 0, sizeof(key));
		memcpy(key, ip.b, full);
		if (rem)
			key[full] = ip.b[full] & (uint8_t)(0xff00u >> rem);
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (net_cmp(G->net[mid], key) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (; lo < G->n && !net_cmp(G->net[lo], key); lo++)
			done |= mark(vf, s, G->rule[lo]);
	}
	return done;
}
