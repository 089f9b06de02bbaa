/* Correlation aggregates (what an alert counts over its contributing
 * events) and the correlation alerts built from them. Split from
 * window.c, which calls them; see docs/correlation.md ("Alert
 * aggregates"). */
#include "engine/engine_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- aggregates ------------------------------------------------------ */

void mh_eng_agg_free(eng_agg *a)
{
	eng_buf_free(a->dst_bits, &a->bits_inl[0]);
	eng_buf_free(a->val_bits, &a->bits_inl[1]);
	free(a->refs);
	free(a->users_heap);
	memset(a, 0, sizeof(*a));
}

/* Empty the aggregate, keeping its buffers. */
void mh_eng_agg_clear(eng_agg *a)
{
	uint64_t *d = a->dst_bits, *v = a->val_bits;
	size_t w = a->bits_words;
	eng_ref *r = a->refs;
	uint32_t *u = a->users_heap;

	if (w) {
		memset(d, 0, w * sizeof(uint64_t));
		memset(v, 0, w * sizeof(uint64_t));
	}
	memset(a, 0, sizeof(*a));
	a->dst_bits = d;
	a->val_bits = v;
	a->bits_words = w;
	a->refs = r;
	a->users_heap = u;
}

static bool bits_ensure(eng_agg *a, uint32_t id)
{
	size_t need = (size_t)id / 64 + 1, w = a->bits_words, n;
	uint64_t *d, *v;

	if (need <= w)
		return true;
	if (!w && need == 1) { /* one word each, inline */
		a->dst_bits = &a->bits_inl[0];
		a->val_bits = &a->bits_inl[1];
		a->bits_inl[0] = a->bits_inl[1] = 0;
		a->bits_words = 1;
		return true;
	}
	n = w ? w * 2 : 2;
	while (n < need)
		n *= 2;
	d = eng_regrow(a->dst_bits, &a->bits_inl[0], w * sizeof(uint64_t),
		       n * sizeof(uint64_t));
	if (!d)
		return false;
	v = eng_regrow(a->val_bits, &a->bits_inl[1], w * sizeof(uint64_t),
		       n * sizeof(uint64_t));
	if (!v) {
		if (a->dst_bits == &a->bits_inl[0])
			free(d); /* keep the pair inline */
		else
			a->dst_bits = d;
		return false;
	}
	a->dst_bits = d;
	a->val_bits = v;
	memset(d + w, 0, (n - w) * sizeof(uint64_t));
	memset(v + w, 0, (n - w) * sizeof(uint64_t));
	a->bits_words = n;
	return true;
}

static bool bit_set(uint64_t *bits, uint32_t id)
{
	uint64_t m = 1ULL << (id % 64);
	bool was = bits[id / 64] & m;
	bits[id / 64] |= m;
	return !was;
}

static int str_cmp(mh_str a, mh_str b)
{
	size_t n = a.n < b.n ? a.n : b.n;
	int r = n ? memcmp(a.p, b.p, n) : 0;
	if (r)
		return r;
	return a.n < b.n ? -1 : a.n > b.n;
}

/* Keep the MH_ALERT_MAX_USERS bytewise-smallest distinct users. False
 * on ENOMEM (a unchanged). */
static bool users_add(const eng_group *g, eng_agg *a, uint32_t id)
{
	mh_str s = eng_istr_get(g, id);
	uint32_t *users = eng_users(a);
	uint32_t i;

	for (i = 0; i < a->nusers; i++) {
		int r;
		if (users[i] == id)
			return true;
		r = str_cmp(s, eng_istr_get(g, users[i]));
		if (r < 0)
			break;
	}
	if (a->nusers == MH_ALERT_MAX_USERS) {
		/* id is distinct from every kept user, so there are now
		 * more than the cap */
		a->users_trunc = true;
		if (i == MH_ALERT_MAX_USERS)
			return true;
		a->nusers--;
	} else {
		/* finish the duplicate scan past the insertion point */
		for (uint32_t k = i; k < a->nusers; k++)
			if (users[k] == id)
				return true;
		if (a->nusers == ENG_USERS_INL && !a->users_heap) {
			a->users_heap =
			    malloc(MH_ALERT_MAX_USERS * sizeof(*a->users_heap));
			if (!a->users_heap)
				return false;
			memcpy(a->users_heap, a->users_inl,
			       sizeof(a->users_inl));
			users = a->users_heap;
		}
	}
	memmove(&users[i + 1], &users[i], (a->nusers - i) * sizeof(users[0]));
	users[i] = id;
	a->nusers++;
	return true;
}

/* Add a contribution; ref (may be NULL) is its --explain reference. */
bool mh_eng_agg_add(mh_engine *e, eng_group *g, const mh_corr *c, eng_agg *a,
		    const eng_contrib *ct, const eng_ref *ref)
{
	uint32_t val = eng_contrib_val(ct);

	if (a->count == 0) {
		a->first = a->last = ct->t;
	} else {
		if (ct->t < a->first)
			a->first = ct->t;
		if (ct->t > a->last)
			a->last = ct->t;
	}
	a->count++;
	if (ct->flags & CF_BYTES) {
		a->bytes_set = true;
		a->bytes = eng_add_sat(a->bytes, ct->bytes);
	}
	if (ct->dst != ENG_NOID) {
		if (!bits_ensure(a, ct->dst))
			return false;
		if (bit_set(a->dst_bits, ct->dst))
			a->ndst++;
	}
	if (val != ENG_NOID) {
		if (!bits_ensure(a, val))
			return false;
		if (bit_set(a->val_bits, val))
			a->nval++;
	}
	if (ct->flags & CF_NUM) {
		a->vsum = eng_add_sat(a->vsum, ct->num);
		a->vn++;
	}
	a->mask |= ct->mask;
	if (a->ord_k < eng_npos(c) && ((ct->mask >> a->ord_k) & 1))
		a->ord_k++;
	if (ct->user != ENG_NOID && !users_add(g, a, ct->user))
		return false;
	if (ref && e->opts.max_refs && a->nrefs < e->opts.max_refs) {
		if (!a->refs) {
			a->refs = calloc(e->opts.max_refs, sizeof(*a->refs));
			if (!a->refs)
				return false;
		}
		a->refs[a->nrefs] = *ref;
		a->nrefs++;
	}
	return true;
}

bool mh_eng_corr_value(const mh_corr *c, uint64_t count, uint64_t distinct,
		       int64_t sum, uint64_t n, uint64_t steps, double *v)
{
	switch (c->type) {
	case MH_CORR_EVENT_COUNT:
		*v = (double)count;
		return true;
	case MH_CORR_VALUE_COUNT:
		*v = (double)distinct;
		return true;
	case MH_CORR_VALUE_SUM:
		*v = (double)sum;
		return n > 0;
	case MH_CORR_VALUE_AVG:
		if (!n)
			return false;
		*v = (double)sum / (double)n;
		return true;
	case MH_CORR_TEMPORAL:
	case MH_CORR_TEMPORAL_ORDERED:
		*v = (double)steps;
		return true;
	case MH_CORR_BEACON: /* scored in mh_eng_group_flush */
		return false;
	}
	return false;
}

bool mh_eng_agg_value(const mh_corr *c, const eng_agg *a, double *v)
{
	uint64_t steps = c->type == MH_CORR_TEMPORAL
			     ? (uint64_t)__builtin_popcountll(a->mask)
			     : a->ord_k;

	return mh_eng_corr_value(c, a->count, a->nval, a->vsum, a->vn, steps,
				 v);
}

bool mh_eng_cond_holds(const mh_corr *c, bool have, double v)
{
	if (!have)
		return false;
	if (c->ncond == 0) {
		if (c->type == MH_CORR_TEMPORAL ||
		    c->type == MH_CORR_TEMPORAL_ORDERED)
			return v >= (double)eng_npos(c);
		return true;
	}
	for (size_t i = 0; i < c->ncond && i < MH_CORR_MAX_COND; i++) {
		double x = c->cond[i].value;
		bool ok = false;
		switch (c->cond[i].op) {
		case MH_CMP_GT:
			ok = v > x;
			break;
		case MH_CMP_GTE:
			ok = v >= x;
			break;
		case MH_CMP_LT:
			ok = v < x;
			break;
		case MH_CMP_LTE:
			ok = v <= x;
			break;
		case MH_CMP_EQ:
			ok = v == x;
			break;
		case MH_CMP_NEQ:
			ok = v != x;
			break;
		}
		if (!ok)
			return false;
	}
	return true;
}

/* ---- alert emission --------------------------------------------------- */

#define ENG_NBEACON_KV 9 /* beacon statistics appended to ctx */

/* A beacon statistic as a ctx name/value pair (field MH_F_NONE). */
static bool beacon_kv(mh_engine *e, mh_alert_kv *kv, const char *name,
		      const char *fmt, double v)
{
	char t[64];
	int n = snprintf(t, sizeof(t), fmt, v);

	if (n <= 0 || (size_t)n >= sizeof(t))
		return false;
	kv->name = name;
	kv->field = MH_F_NONE;
	kv->set = true;
	kv->val.n = (size_t)n;
	kv->val.p = mh_eng_strdup(e, t, (size_t)n);
	return kv->val.p != NULL;
}

/* Append the beacon statistics of br (docs/correlation.md) to kv[n..). */
static size_t beacon_kvs(mh_engine *e, mh_alert_kv *kv, size_t n,
			 const mh_beacon_result *br)
{
	bool ok =
	    beacon_kv(e, &kv[n++], "beacon_score", "%.3f", br->score) &&
	    beacon_kv(e, &kv[n++], "beacon_connections", "%.0f",
		      (double)br->polls) &&
	    beacon_kv(e, &kv[n++], "beacon_interval_median_s", "%.1f",
		      br->median_s) &&
	    beacon_kv(e, &kv[n++], "beacon_interval_mad_s", "%.1f",
		      br->mad_s) &&
	    beacon_kv(e, &kv[n++], "beacon_interval_skew", "%.3f", br->skew) &&
	    beacon_kv(e, &kv[n++], "beacon_coverage", "%.3f", br->coverage);

	if (ok && br->size_set)
		ok = beacon_kv(e, &kv[n++], "beacon_size_median", "%.1f",
			       br->size_median) &&
		     beacon_kv(e, &kv[n++], "beacon_size_mad", "%.1f",
			       br->size_mad);
	if (ok && br->unordered)
		ok = beacon_kv(e, &kv[n++], "beacon_unordered", "%.0f",
			       (double)br->unordered);
	return ok ? n : 0;
}

mh_rc mh_eng_emit_agg(mh_engine *e, eng_group *g, const eng_agg *a, double v)
{
	return mh_eng_emit_agg_b(e, g, a, v, NULL);
}

/* br (may be NULL): beacon statistics to append to the context. */
mh_rc mh_eng_emit_agg_b(mh_engine *e, eng_group *g, const eng_agg *a, double v,
			const mh_beacon_result *br)
{
	const eng_corr *ec = &e->corrs[g->corr];
	const mh_corr *c = ec->c;
	eng_alert *al = mh_eng_alert_new(e);
	mh_alert *x;
	const unsigned char *k = g->key, *kend = g->key + g->keylen;

	if (!al)
		return MH_ENOMEM;
	x = &al->a;
	x->rule = ec->rule;
	x->level = ec->rule->level;
	x->count = a->count;
	x->distinct_dst = a->ndst;
	x->bytes_set = a->bytes_set;
	x->bytes_sent = a->bytes;
	x->first_ns = a->first;
	x->last_ns = a->last;
	x->value = v;

	if (c->ngroup) {
		mh_alert_kv *kv =
		    mh_arena_alloc(&e->arena, c->ngroup * sizeof(*kv));
		if (!kv)
			return MH_ENOMEM;
		for (size_t i = 0; i < c->ngroup; i++) {
			mh_field f = c->nrules ? c->group_fields[i * c->nrules]
					       : MH_F_NONE;
			kv[i].name = c->group_names[i];
			kv[i].field = MH_F_NONE;
			if (f != MH_F_NONE &&
			    strcmp(mh_field_name(f), c->group_names[i]) == 0)
				kv[i].field = f;
			kv[i].set = false;
			kv[i].val.p = "";
			kv[i].val.n = 0;
			if (k < kend && *k++) {
				uint32_t n;
				memcpy(&n, k, sizeof(n));
				k += sizeof(n);
				kv[i].set = true;
				kv[i].val.p =
				    mh_eng_strdup(e, (const char *)k, n);
				kv[i].val.n = n;
				if (!kv[i].val.p)
					return MH_ENOMEM;
				k += n;
			}
		}
		x->group = kv;
		x->ngroup = c->ngroup;
	}

	if (a->nusers) {
		mh_str *u = mh_arena_alloc(&e->arena, a->nusers * sizeof(*u));
		if (!u)
			return MH_ENOMEM;
		for (uint32_t i = 0; i < a->nusers; i++) {
			mh_str s =
			    eng_istr_get(g, (a->users_heap ? a->users_heap
							   : a->users_inl)[i]);
			u[i].p = mh_eng_strdup(e, s.p, s.n);
			u[i].n = s.n;
			if (!u[i].p)
				return MH_ENOMEM;
		}
		x->users = u;
		x->nusers = a->nusers;
	}
	x->users_truncated = a->users_trunc;

	if (a->mask) {
		const mh_rule **cr =
		    mh_arena_alloc(&e->arena, eng_npos(c) * sizeof(*cr));
		size_t n = 0;
		if (!cr)
			return MH_ENOMEM;
		for (size_t p = 0; p < eng_npos(c); p++) {
			const mh_rule *r;
			bool dup = false;
			if (!((a->mask >> p) & 1) || c->rules[p] >= e->nrules)
				continue;
			r = e->rules[c->rules[p]];
			for (size_t j = 0; j < n; j++)
				dup |= cr[j] == r;
			if (!dup)
				cr[n++] = r;
		}
		x->contrib = cr;
		x->ncontrib = n;
	}

	if ((g->ctx && g->ctx->set) || br) {
		/* exactly the fields set (plus the beacon statistics), and
		 * their texts in one block: an alert kept for the final sort
		 * costs what it shows */
		uint32_t set = g->ctx ? g->ctx->set : 0;
		size_t nset = (size_t)__builtin_popcount(set), n = 0, tl = 0,
		       co = 0;
		mh_alert_kv *kv = mh_arena_alloc(
		    &e->arena,
		    (nset + (br ? ENG_NBEACON_KV : 0)) * sizeof(*kv));
		char *txt;
		if (!kv)
			return MH_ENOMEM;
		for (int i = 0; i < ENG_NCTX; i++)
			if (set & (1u << i))
				tl += g->ctx->len[i] + 1;
		txt = tl ? mh_arena_alloc(&e->arena, tl) : NULL;
		if (tl && !txt)
			return MH_ENOMEM;
		for (int i = 0; i < ENG_NCTX; i++) {
			mh_str v;
			if (!(set & (1u << i)))
				continue;
			/* the texts follow each other; unset ones are empty */
			v.p = g->ctx->buf + co;
			v.n = g->ctx->len[i];
			co += v.n;
			kv[n].field = mh_engine_ctx_fields[i];
			kv[n].name = mh_field_name(kv[n].field);
			kv[n].set = true;
			kv[n].val.n = v.n;
			kv[n].val.p = txt;
			if (v.n)
				memcpy(txt, v.p, v.n);
			txt[v.n] = '\0';
			txt += v.n + 1;
			n++;
		}
		if (br && !(n = beacon_kvs(e, kv, n, br)))
			return MH_ENOMEM;
		x->ctx = kv;
		x->nctx = n;
	}

	if (a->nrefs) {
		mh_str *r = mh_arena_alloc(&e->arena, a->nrefs * sizeof(*r));
		if (!r)
			return MH_ENOMEM;
		for (uint32_t i = 0; i < a->nrefs; i++) {
			char buf[64];
			mh_str f = {"?", 1}, sm = {"", 0};
			size_t fl;
			int bl;
			char *s;
			if (a->refs[i].file != ENG_NOID)
				f = eng_istr_get(g, a->refs[i].file);
			if (a->refs[i].sum != ENG_NOID)
				sm = eng_istr_get(g, a->refs[i].sum);
			bl = snprintf(buf, sizeof(buf), ":%llu%s",
				      (unsigned long long)a->refs[i].line,
				      sm.n ? " " : "");
			fl = f.n;
			s = mh_arena_alloc(&e->arena,
					   fl + (size_t)bl + sm.n + 1);
			if (!s)
				return MH_ENOMEM;
			memcpy(s, f.p, fl);
			memcpy(s + fl, buf, (size_t)bl);
			if (sm.n)
				memcpy(s + fl + (size_t)bl, sm.p, sm.n);
			s[fl + (size_t)bl + sm.n] = '\0';
			r[i].p = s;
			r[i].n = fl + (size_t)bl + sm.n;
		}
		x->refs = r;
		x->nrefs = a->nrefs;
	}
	return MH_OK;
}
