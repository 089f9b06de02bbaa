/* Correlation windows: sliding, lookback, sequence, all. Semantics are
 * specified in docs/correlation.md; all times are event times. */
#include "engine/engine_int.h"
#include "util/hash.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int64_t sub_sat(int64_t a, int64_t b)
{
	int64_t r;
	if (__builtin_sub_overflow(a, b, &r))
		return b > 0 ? INT64_MIN : INT64_MAX;
	return r;
}

static int64_t add_sat(int64_t a, int64_t b)
{
	int64_t r;
	if (__builtin_add_overflow(a, b, &r))
		return b > 0 ? INT64_MAX : INT64_MIN;
	return r;
}

static size_t npos(const mh_corr *c)
{
	return c->nrules < ENG_MAX_POS ? c->nrules : ENG_MAX_POS;
}

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
static void agg_clear(eng_agg *a)
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
static bool agg_add(mh_engine *e, eng_group *g, const mh_corr *c, eng_agg *a,
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
		a->bytes = add_sat(a->bytes, ct->bytes);
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
		a->vsum = add_sat(a->vsum, ct->num);
		a->vn++;
	}
	a->mask |= ct->mask;
	if (a->ord_k < npos(c) && ((ct->mask >> a->ord_k) & 1))
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

static bool agg_value(const mh_corr *c, const eng_agg *a, double *v)
{
	switch (c->type) {
	case MH_CORR_EVENT_COUNT:
		*v = (double)a->count;
		return true;
	case MH_CORR_VALUE_COUNT:
		*v = (double)a->nval;
		return true;
	case MH_CORR_VALUE_SUM:
		*v = (double)a->vsum;
		return a->vn > 0;
	case MH_CORR_VALUE_AVG:
		if (!a->vn)
			return false;
		*v = (double)a->vsum / (double)a->vn;
		return true;
	case MH_CORR_TEMPORAL:
		*v = (double)__builtin_popcountll(a->mask);
		return true;
	case MH_CORR_TEMPORAL_ORDERED:
		*v = (double)a->ord_k;
		return true;
	case MH_CORR_BEACON: /* scored in mh_eng_group_flush */
		return false;
	}
	return false;
}

static bool cond_holds(const mh_corr *c, bool have, double v)
{
	if (!have)
		return false;
	if (c->ncond == 0) {
		if (c->type == MH_CORR_TEMPORAL ||
		    c->type == MH_CORR_TEMPORAL_ORDERED)
			return v >= (double)npos(c);
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

static mh_rc emit_agg_b(mh_engine *e, eng_group *g, const eng_agg *a, double v,
			const mh_beacon_result *br);

static mh_rc emit_agg(mh_engine *e, eng_group *g, const eng_agg *a, double v)
{
	return emit_agg_b(e, g, a, v, NULL);
}

/* br (may be NULL): beacon statistics to append to the context. */
static mh_rc emit_agg_b(mh_engine *e, eng_group *g, const eng_agg *a, double v,
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
		    mh_arena_alloc(&e->arena, npos(c) * sizeof(*cr));
		size_t n = 0;
		if (!cr)
			return MH_ENOMEM;
		for (size_t p = 0; p < npos(c); p++) {
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
		size_t nset = (size_t)__builtin_popcount(set), n = 0, tl = 0;
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
			v = eng_ctx_get(g->ctx, i);
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

/* ---- the window queue ------------------------------------------------ */

static bool vcnt_ensure(eng_group *g, uint32_t id)
{
	size_t n;
	uint32_t *v;

	if (id < g->vcnt_cap)
		return true;
	n = g->vcnt_cap ? g->vcnt_cap * 2 : 16;
	while (n <= id)
		n *= 2;
	v = realloc(g->vcnt, n * sizeof(*v));
	if (!v)
		return false;
	memset(v + g->vcnt_cap, 0, (n - g->vcnt_cap) * sizeof(*v));
	g->vcnt = v;
	g->vcnt_cap = n;
	return true;
}

/* Add (dir = 1) or remove (dir = -1) ct from the window counters. */
static bool wc_update(eng_group *g, const mh_corr *c, const eng_contrib *ct,
		      int dir)
{
	uint32_t val = eng_contrib_val(ct);

	switch (c->type) {
	case MH_CORR_EVENT_COUNT:
		break;
	case MH_CORR_VALUE_COUNT:
		if (val == ENG_NOID)
			break;
		if (!vcnt_ensure(g, val))
			return false;
		if (dir > 0) {
			if (g->vcnt[val]++ == 0)
				g->ndistinct++;
		} else if (--g->vcnt[val] == 0) {
			g->ndistinct--;
		}
		break;
	case MH_CORR_VALUE_SUM:
	case MH_CORR_VALUE_AVG:
		if (!(ct->flags & CF_NUM))
			break;
		/* wrapping arithmetic: removals cancel additions exactly */
		if (dir > 0) {
			g->wsum =
			    (int64_t)((uint64_t)g->wsum + (uint64_t)ct->num);
			g->wn++;
		} else {
			g->wsum =
			    (int64_t)((uint64_t)g->wsum - (uint64_t)ct->num);
			g->wn--;
		}
		break;
	case MH_CORR_TEMPORAL:
	case MH_CORR_TEMPORAL_ORDERED:
		if (!g->rcnt) {
			g->rcnt = calloc(ENG_MAX_POS, sizeof(*g->rcnt));
			if (!g->rcnt)
				return false;
		}
		for (size_t p = 0; p < npos(c); p++)
			if ((ct->mask >> p) & 1)
				g->rcnt[p] += (uint32_t)dir;
		break;
	case MH_CORR_BEACON: /* window all only */
		break;
	}
	return true;
}

static void q_clear(eng_group *g)
{
	g->qhead = g->qn = 0;
	g->wsum = 0;
	g->wn = 0;
	g->ndistinct = 0;
	if (g->vcnt)
		memset(g->vcnt, 0, g->vcnt_cap * sizeof(*g->vcnt));
	if (g->rcnt)
		memset(g->rcnt, 0, ENG_MAX_POS * sizeof(*g->rcnt));
}

static const eng_contrib *q_at(const eng_group *g, size_t i)
{
	return &g->q[g->qhead + i];
}

static void q_pop(eng_group *g, const mh_corr *c, bool counts)
{
	if (counts)
		wc_update(g, c, &g->q[g->qhead], -1);
	g->qhead++;
	if (--g->qn == 0)
		g->qhead = 0;
}

/* Insert in time order; an equal time goes after the existing ones.
 * ref is kept in the parallel qref array when --explain is on. */
static bool q_insert(mh_engine *e, eng_group *g, const mh_corr *c,
		     const eng_contrib *ct, const eng_ref *ref, bool counts)
{
	bool refs = e->opts.max_refs > 0;
	size_t i;

	/* the queue starts inline; its --explain refs start on the heap */
	if (refs && !g->qref &&
	    !(g->qref = calloc(g->qcap ? g->qcap : 1, sizeof(*g->qref))))
		return false;

	if (g->qhead + g->qn == g->qcap) {
		if (g->qhead > g->qn) {
			memmove(g->q, g->q + g->qhead, g->qn * sizeof(*g->q));
			if (g->qref)
				memmove(g->qref, g->qref + g->qhead,
					g->qn * sizeof(*g->qref));
			g->qhead = 0;
		} else {
			size_t n = g->qcap ? g->qcap * 2 : ENG_Q_INL;
			eng_contrib *q =
			    eng_regrow(g->q, g->q_inl, g->qcap * sizeof(*q),
				       n * sizeof(*q));
			if (!q)
				return false;
			g->q = q;
			if (refs) {
				eng_ref *r = realloc(g->qref, n * sizeof(*r));
				if (!r)
					return false;
				g->qref = r;
			}
			g->qcap = n;
		}
	}
	i = g->qn;
	while (i > 0 && q_at(g, i - 1)->t > ct->t)
		i--;
	memmove(&g->q[g->qhead + i + 1], &g->q[g->qhead + i],
		(g->qn - i) * sizeof(*g->q));
	g->q[g->qhead + i] = *ct;
	if (g->qref) {
		memmove(&g->qref[g->qhead + i + 1], &g->qref[g->qhead + i],
			(g->qn - i) * sizeof(*g->qref));
		g->qref[g->qhead + i] = *ref;
	}
	g->qn++;
	if (counts && !wc_update(g, c, ct, 1))
		return false;
	return true;
}

static bool window_value(const eng_group *g, const mh_corr *c, double *v)
{
	size_t k = 0, n = 0;

	switch (c->type) {
	case MH_CORR_EVENT_COUNT:
		*v = (double)g->qn;
		return true;
	case MH_CORR_VALUE_COUNT:
		*v = (double)g->ndistinct;
		return true;
	case MH_CORR_VALUE_SUM:
		*v = (double)g->wsum;
		return g->wn > 0;
	case MH_CORR_VALUE_AVG:
		if (!g->wn)
			return false;
		*v = (double)g->wsum / (double)g->wn;
		return true;
	case MH_CORR_TEMPORAL:
		for (size_t p = 0; p < npos(c); p++)
			n += g->rcnt && g->rcnt[p] > 0;
		*v = (double)n;
		return true;
	case MH_CORR_TEMPORAL_ORDERED:
		/* greedy subsequence match in time order: optimal, since
		 * one event advances at most one step */
		for (size_t i = 0; i < g->qn && k < npos(c); i++)
			if ((q_at(g, i)->mask >> k) & 1)
				k++;
		*v = (double)k;
		return true;
	case MH_CORR_BEACON: /* window all only */
		return false;
	}
	return false;
}

static bool agg_from_queue(mh_engine *e, eng_group *g, const mh_corr *c,
			   int64_t after, bool use_after)
{
	agg_clear(&g->agg);
	for (size_t i = 0; i < g->qn; i++) {
		const eng_contrib *ct = q_at(g, i);
		if (use_after && ct->t <= after)
			continue;
		if (!agg_add(e, g, c, &g->agg, ct,
			     g->qref ? &g->qref[g->qhead + i] : NULL))
			return false;
	}
	return true;
}

static void group_reset(eng_group *g)
{
	q_clear(g);
	agg_clear(&g->agg);
	g->open = false;
	mh_eng_intern_reset(g);
}

/* Drop the intern strings no queued contribution references, so a
 * long-lived window (never empty, never alerting) does not grow with
 * every distinct value it ever saw. Only when no aggregate is open (an
 * open aggregate references ids through its bitmaps). Ids are
 * renumbered in queue order, so the result is deterministic. */
static bool intern_compact(eng_group *g, const mh_corr *c)
{
	uint32_t *map;
	char *pool;
	eng_istr *strs;
	uint32_t n = 0;
	size_t pn = 0;

	map = malloc((size_t)g->nstr * sizeof(*map));
	pool = malloc(g->pool_n ? g->pool_n : 1);
	strs = malloc((size_t)g->strs_cap * sizeof(*strs));
	if (!map || !pool || !strs) {
		free(map);
		free(pool);
		free(strs);
		return false;
	}
	for (uint32_t i = 0; i < g->nstr; i++)
		map[i] = ENG_NOID;
	for (size_t i = 0; i < g->qn; i++) {
		eng_contrib *ct = &g->q[g->qhead + i];
		uint32_t *ids[5] = {&ct->dst, &ct->user, NULL, NULL, NULL};
		uint32_t val = eng_contrib_val(ct);
		if (g->qref) {
			ids[2] = &g->qref[g->qhead + i].file;
			ids[3] = &g->qref[g->qhead + i].sum;
		}
		for (int k = 0; k < 5; k++) {
			uint32_t id =
			    k == 4 ? val : (ids[k] ? *ids[k] : ENG_NOID);
			if (id == ENG_NOID)
				continue;
			if (map[id] == ENG_NOID) {
				eng_istr *s = &strs[n];
				*s = g->strs[id];
				if (s->len)
					memcpy(pool + pn, g->pool + s->off,
					       s->len);
				s->off = (uint32_t)pn;
				pn += s->len;
				map[id] = n++;
			}
			if (k == 4)
				ct->num = map[id];
			else
				*ids[k] = map[id];
		}
	}
	memcpy(g->pool, pool, pn);
	memcpy(g->strs, strs, (size_t)n * sizeof(*strs));
	free(pool);
	free(strs);
	free(map);
	g->pool_n = pn;
	g->nstr = n;
	memset(g->itab, 0, (size_t)g->itab_cap * sizeof(uint32_t));
	for (uint32_t i = 0; i < n; i++) {
		uint32_t j = (uint32_t)g->strs[i].h & (g->itab_cap - 1);
		while (g->itab[j])
			j = (j + 1) & (g->itab_cap - 1);
		g->itab[j] = i + 1;
	}
	if (g->vcnt && c->type == MH_CORR_VALUE_COUNT) {
		memset(g->vcnt, 0, g->vcnt_cap * sizeof(*g->vcnt));
		for (size_t i = 0; i < g->qn; i++) {
			uint32_t val = eng_contrib_val(&g->q[g->qhead + i]);
			if (val != ENG_NOID)
				g->vcnt[val]++;
		}
	}
	return true;
}

static void maybe_compact(eng_group *g, const mh_corr *c)
{
	if (!g->open && g->qn && g->nstr >= 64 &&
	    (size_t)g->nstr > 8 * g->qn + 64)
		intern_compact(g, c); /* on ENOMEM: keep the larger table */
}

/* ---- per-event processing -------------------------------------------- */

enum { ST_ADD, ST_DROP_LATE, ST_DROP };

/* Expire/close what t makes final, before t's contribution is built
 * (emission may reset the intern table). */
static mh_rc prepare(mh_engine *e, eng_group *g, int64_t t, int *st)
{
	const eng_corr *ec = &e->corrs[g->corr];
	const mh_corr *c = ec->c;
	int64_t ts = c->timespan_ns;
	mh_rc rc = MH_OK;
	double v = 0;
	bool have;

	*st = ST_ADD;
	switch (c->window) {
	case MH_WIN_SLIDING:
		if (ec->closing) {
			if (!g->open)
				break;
			if (t > add_sat(g->w0, ts)) {
				have = agg_value(c, &g->agg, &v);
				if (cond_holds(c, have, v))
					rc = emit_agg(e, g, &g->agg, v);
				group_reset(g);
			} else if (t < g->w0) {
				*st = ST_DROP_LATE;
			}
			break;
		}
		if (g->open) {
			if (t > add_sat(g->agg.last, ts)) {
				have = agg_value(c, &g->agg, &v);
				rc = emit_agg(e, g, &g->agg, v);
				group_reset(g);
			} else if (t < sub_sat(g->agg.last, ts)) {
				*st = ST_DROP_LATE;
			}
			break;
		}
		/* not open: same queue rules as sequence */
		/* fall through */
	case MH_WIN_SEQUENCE:
		if (g->qn) {
			int64_t newest = q_at(g, g->qn - 1)->t;
			int64_t cut;
			if (t < sub_sat(newest, ts)) {
				*st = ST_DROP_LATE;
				break;
			}
			cut = sub_sat(t > newest ? t : newest, ts);
			while (g->qn && q_at(g, 0)->t < cut)
				q_pop(g, c, true);
		}
		if (!g->qn && !g->open)
			group_reset(g);
		else
			maybe_compact(g, c);
		break;
	case MH_WIN_LOOKBACK:
		if (e->opts.now_set) {
			if (t <= sub_sat(e->opts.now_ns, ts))
				*st = ST_DROP;
			break;
		} else {
			int64_t cut = sub_sat(e->max_t, ts);
			while (g->qn && q_at(g, 0)->t <= cut)
				q_pop(g, c, false);
			if (t <= cut)
				*st = ST_DROP;
			else if (!g->qn)
				group_reset(g);
			else
				maybe_compact(g, c);
		}
		break;
	case MH_WIN_ALL:
		break;
	}
	return rc;
}

/* A beacon group keeps its first ENG_BPEND connections (time, bytes) in
 * its tail and takes the ~0.7 KB scoring state only at the next one:
 * most (host, process, destination) groups see a few connections.
 * Replaying them in arrival order gives the same state as adding them
 * one by one. */
static void beacon_replay(const eng_group *g, mh_beacon *b)
{
	const eng_bpend *bp = (const eng_bpend *)(const void *)g->tail;

	mh_beacon_init(b, g->hash);
	for (unsigned i = 0; i < g->bp_n; i++)
		mh_beacon_add(b, bp[i].t, (g->bp_bytes >> i) & 1, bp[i].bytes);
}

static bool beacon_add(eng_group *g, const eng_contrib *ct)
{
	eng_bpend *bp = (eng_bpend *)(void *)g->tail;
	bool has_bytes = ct->flags & CF_BYTES;

	if (!g->beacon && g->bp_n < ENG_BPEND) {
		bp[g->bp_n].t = ct->t;
		bp[g->bp_n].bytes = ct->bytes;
		g->bp_bytes |= (uint8_t)((has_bytes ? 1u : 0u) << g->bp_n);
		g->bp_n++;
		return true;
	}
	if (!g->beacon) {
		if (!(g->beacon = malloc(sizeof(*g->beacon))))
			return false;
		beacon_replay(g, g->beacon);
	}
	mh_beacon_add(g->beacon, ct->t, has_bytes, ct->bytes);
	return true;
}

static mh_rc add(mh_engine *e, eng_group *g, const eng_contrib *ct,
		 const eng_ref *ref)
{
	const eng_corr *ec = &e->corrs[g->corr];
	const mh_corr *c = ec->c;
	double v = 0;
	bool have;
	mh_rc rc = MH_OK;

	switch (c->window) {
	case MH_WIN_SLIDING:
		if (ec->closing) {
			if (!g->open) {
				g->open = true;
				g->w0 = ct->t;
				agg_clear(&g->agg);
			}
			return agg_add(e, g, c, &g->agg, ct, ref) ? MH_OK
								  : MH_ENOMEM;
		}
		if (g->open)
			return agg_add(e, g, c, &g->agg, ct, ref) ? MH_OK
								  : MH_ENOMEM;
		if (!q_insert(e, g, c, ct, ref, true))
			return MH_ENOMEM;
		have = window_value(g, c, &v);
		if (cond_holds(c, have, v)) {
			if (!agg_from_queue(e, g, c, 0, false))
				return MH_ENOMEM;
			g->open = true;
			q_clear(g);
		}
		return MH_OK;
	case MH_WIN_SEQUENCE:
		if (!q_insert(e, g, c, ct, ref, true))
			return MH_ENOMEM;
		have = window_value(g, c, &v);
		if (cond_holds(c, have, v)) {
			if (!agg_from_queue(e, g, c, 0, false))
				return MH_ENOMEM;
			have = agg_value(c, &g->agg, &v);
			rc = emit_agg(e, g, &g->agg, v);
			group_reset(g);
		}
		return rc;
	case MH_WIN_LOOKBACK:
		if (!e->opts.now_set)
			return q_insert(e, g, c, ct, ref, false) ? MH_OK
								 : MH_ENOMEM;
		/* fall through */
	case MH_WIN_ALL:
		g->open = true;
		if (c->type == MH_CORR_BEACON && !beacon_add(g, ct))
			return MH_ENOMEM;
		return agg_add(e, g, c, &g->agg, ct, ref) ? MH_OK : MH_ENOMEM;
	}
	return MH_OK;
}

mh_rc mh_eng_group_flush(mh_engine *e, eng_group *g, bool at_evict)
{
	const eng_corr *ec = &e->corrs[g->corr];
	const mh_corr *c = ec->c;
	double v = 0;
	bool have;
	mh_rc rc = MH_OK;

	switch (c->window) {
	case MH_WIN_SLIDING:
		if (!g->open || (ec->closing && at_evict))
			break;
		have = agg_value(c, &g->agg, &v);
		if (!ec->closing || cond_holds(c, have, v))
			rc = emit_agg(e, g, &g->agg, v);
		break;
	case MH_WIN_SEQUENCE:
		break;
	case MH_WIN_LOOKBACK:
		if (at_evict)
			break;
		if (!e->opts.now_set) {
			if (!agg_from_queue(
				e, g, c, sub_sat(e->st.now_ns, c->timespan_ns),
				true))
				return MH_ENOMEM;
		} else if (!g->open) {
			break;
		}
		if (!g->agg.count)
			break;
		have = agg_value(c, &g->agg, &v);
		if (cond_holds(c, have, v))
			rc = emit_agg(e, g, &g->agg, v);
		break;
	case MH_WIN_ALL:
		if (at_evict || !g->open)
			break;
		if (c->type == MH_CORR_BEACON) {
			mh_beacon_result br;
			mh_beacon tmp;
			const mh_beacon *b = g->beacon;
			if (!b) { /* the first few events: still queued */
				beacon_replay(g, &tmp);
				b = &tmp;
			}
			if (!mh_beacon_eval(b, c->min_events, &br))
				break;
			if (cond_holds(c, true, br.score))
				rc = emit_agg_b(e, g, &g->agg, br.score, &br);
			break;
		}
		have = agg_value(c, &g->agg, &v);
		if (cond_holds(c, have, v))
			rc = emit_agg(e, g, &g->agg, v);
		break;
	}
	return rc;
}

/* Intern ev's value of f in g. slot: a per-group hint (the last id of
 * this use), checked by content, so a group whose events repeat a
 * value (most do: the value is often part of the key) skips the hash. */
static uint32_t intern_field(eng_group *g, const mh_event *ev, mh_field f,
			     unsigned slot, bool *oom)
{
	const mh_str *s = mh_event_get(ev, f);
	uint32_t id = g->ihint[slot];

	if (!s)
		return ENG_NOID;
	if (id < g->nstr && g->strs[id].len == s->n &&
	    (s->n == 0 || memcmp(g->pool + g->strs[id].off, s->p, s->n) == 0))
		return id;
	id = mh_eng_intern(g, s->p, s->n);
	g->ihint[slot] = id;
	if (id == ENG_NOID)
		*oom = true;
	return id;
}

mh_rc mh_eng_corr_key(mh_engine *e, uint32_t ci, const mh_event *ev,
		      uint32_t mask, eng_key *k)
{
	const mh_corr *c = e->corrs[ci].c;
	unsigned pos = (unsigned)__builtin_ctz(mask);
	size_t klen = e->kn, start = e->kn;

	/* serialize the group key: per value, 0 (unset) or 1 + len + bytes */
	for (size_t i = 0; i < c->ngroup; i++) {
		mh_field f = c->group_fields[i * c->nrules + pos];
		const mh_str *s = f != MH_F_NONE ? mh_event_get(ev, f) : NULL;
		size_t need = klen + 1 + (s ? sizeof(uint32_t) + s->n : 0);
		if (s && s->n > UINT32_MAX / 2)
			s = NULL;
		if (need > e->kcap) {
			size_t n = e->kcap ? e->kcap : 256;
			unsigned char *b;
			while (n < need)
				n *= 2;
			b = realloc(e->kbuf, n);
			if (!b)
				return MH_ENOMEM;
			e->kbuf = b;
			e->kcap = n;
		}
		e->kbuf[klen++] = s ? 1 : 0;
		if (s) {
			uint32_t n = (uint32_t)s->n;
			memcpy(e->kbuf + klen, &n, sizeof(n));
			klen += sizeof(n);
			if (n)
				memcpy(e->kbuf + klen, s->p, n);
			klen += n;
		}
	}
	if (klen - start > UINT32_MAX)
		return MH_ELIMIT;
	k->off = start;
	k->len = (uint32_t)(klen - start);
	k->hash = mh_hash_bytes(e->kbuf + start, k->len, mh_hash_u64(ci));
	e->kn = klen;
	return MH_OK;
}

mh_rc mh_eng_corr_feed(mh_engine *e, uint32_t ci, const mh_event *ev,
		       uint32_t mask, const eng_key *k)
{
	const eng_corr *ec = &e->corrs[ci];
	const mh_corr *c = ec->c;
	eng_group *g;
	eng_contrib ct;
	eng_ref ref;
	bool oom = false;
	int st;
	mh_rc rc;

	g = mh_eng_group_get(e, ci, e->kbuf + k->off, k->len, k->hash);
	if (!g)
		return MH_ENOMEM;
	mh_eng_group_touch(e, g);
	if (ev->time_ns > g->tlast)
		g->tlast = ev->time_ns;

	rc = prepare(e, g, ev->time_ns, &st);
	if (rc != MH_OK)
		return rc;
	if (st != ST_ADD) {
		if (st == ST_DROP_LATE)
			e->late++;
		/* a group created for a dropped event holds nothing */
		if (!g->ctx && !g->open && !g->qn) {
			mh_eng_group_free(e, g);
			return MH_OK;
		}
		goto out;
	}

	memset(&ct, 0, sizeof(ct));
	ct.t = ev->time_ns;
	ct.mask = mask;
	ct.dst = intern_field(g, ev, MH_F_DESTINATION_IP, 0, &oom);
	ct.user = intern_field(g, ev, MH_F_USER, 1, &oom);
	ref.line = ev->line;
	ref.file = ENG_NOID;
	ref.sum = ENG_NOID;
	if (e->opts.max_refs && ev->file) {
		char sum[512];
		size_t sl = mh_eng_ref_summary(ev, sum, sizeof(sum));
		ref.file = mh_eng_intern(g, ev->file, strlen(ev->file));
		oom |= ref.file == ENG_NOID;
		if (sl) {
			ref.sum = mh_eng_intern(g, sum, sl);
			oom |= ref.sum == ENG_NOID;
		}
	}
	if (c->value_field != MH_F_NONE) {
		if (c->type == MH_CORR_VALUE_COUNT) {
			uint32_t v =
			    intern_field(g, ev, c->value_field, 2, &oom);
			if (v != ENG_NOID) {
				ct.num = v;
				ct.flags |= CF_VAL;
			}
		} else if (mh_event_int(ev, c->value_field, &ct.num)) {
			ct.flags |= CF_NUM;
		}
	}
	if (mh_event_int(ev, MH_F_BYTES_SENT, &ct.bytes))
		ct.flags |= CF_BYTES;
	if (oom)
		return MH_ENOMEM;
	if ((!g->ctx || ct.t >= g->ctx->t) && !mh_eng_ctx_store(e, g, ev))
		return MH_ENOMEM;
	rc = add(e, g, &ct, &ref);
	if (rc != MH_OK)
		return rc;
out:
	mh_eng_group_account(e, g);
	return mh_eng_evict(e);
}
