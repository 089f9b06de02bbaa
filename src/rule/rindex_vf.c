/* The value prefilter (rule/vfilter.h), built from the clauses
 * rindex_atoms.c chose: the cores of the literals of each rule's first
 * clause of slot and CIDR atoms, in one Aho-Corasick DFA (rindex.c
 * builds it), and its CIDR blocks in one table. */
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

/* Is literal L a literal of a chosen clause? */
static bool chosen(const bctx *b, const rx_lit *L)
{
	const rx_index *ix = b->ix;

	for (uint32_t u = L->use0; u < L->use0 + L->nuse; u++)
		if (b->vf_slot[ix->use[u].slot])
			return true;
	return false;
}

/* Adds the core of L to vx (sized by the caller); false when L has no
 * core or its field has no known sources. */
static bool add_core(const rx_index *ix, rx_index *vx, mh_fieldset *fields,
		     const rx_lit *L)
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
	F->total_len += len;
	for (size_t i = 0; i < len; i++)
		F->used[mh_lc((unsigned char)C->s[i])] = 1;
	return true;
}

mh_rc mh_rx_vf_build(bctx *b)
{
	rx_index *ix = b->ix, *vx = NULL;
	mh_vfilter *vf = NULL;
	mh_fieldset fields;
	size_t n = 0, ncls = 1;
	mh_rc rc = MH_ENOMEM;

	if (b->vf_off)
		return MH_OK;
	for (size_t l = 0; l < ix->nlit; l++)
		n += chosen(b, &ix->lit[l]);
	if (!n && !b->nvf_cat)
		return MH_OK;
	memset(&fields, 0, sizeof(fields));
	vx = calloc(1, sizeof(*vx));
	if (!vx)
		goto out;
	vx->fm = calloc(1, sizeof(*vx->fm));
	vx->lit = calloc(n ? n : 1, sizeof(*vx->lit));
	if (!vx->fm || !vx->lit)
		goto out;
	vx->nfm = 1;
	rc = MH_OK;
	for (size_t l = 0; l < ix->nlit; l++)
		if (chosen(b, &ix->lit[l]) &&
		    !add_core(ix, vx, &fields, &ix->lit[l]))
			goto out; /* no prefilter */
	for (int c = 0; c < 256; c++)
		ncls += vx->fm[0].used[c];
	if ((vx->fm[0].total_len + 1) * ncls > b->max_cells)
		goto out;
	if (n && ((rc = mh_rx_ac_build(vx, &vx->fm[0], 0)) || !vx->fm[0].delta))
		goto out;
	if ((rc = mh_rx_cidr_tables(b->vf_cat, b->nvf_cat, &vx->cidrs,
				    &vx->ncidrs)))
		goto out;
	rc = MH_ENOMEM;
	vf = calloc(1, sizeof(*vf));
	if (!vf)
		goto out;
	vf->fields = fields;
	vf->ipfields = b->vf_ipf;
	vf->cidr = vx->ncidrs ? &vx->cidrs[0] : NULL;
	if (n) {
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
	mh_rindex_free(vx);
	return rc;
}

bool mh_vfilter_ip_hit(const mh_vfilter *vf, const char *p, size_t n)
{
	const rx_cidrs *t = vf->cidr;
	mh_ip ip;

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
		if (lo < G->n && !net_cmp(G->net[lo], key))
			return true;
	}
	return false;
}

const mh_vfilter *mh_ruleset_vfilter(const mh_ruleset *rs)
{
	return rs && rs->ix ? rs->ix->vf : NULL;
}
