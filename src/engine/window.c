/* Correlation windows: sliding, lookback, sequence, all. Semantics are
 * specified in docs/correlation.md; all times are event times. The
 * aggregates and the alerts built from them are in agg.c. */
#include "engine/engine_int.h"
#include "util/hash.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
		for (size_t p = 0; p < eng_npos(c); p++)
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
	uint64_t steps = 0;

	if (c->type == MH_CORR_TEMPORAL) {
		for (size_t p = 0; p < eng_npos(c); p++)
			steps += g->rcnt && g->rcnt[p] > 0;
	} else if (c->type == MH_CORR_TEMPORAL_ORDERED) {
		/* greedy subsequence match in time order: optimal, since
		 * one event advances at most one step */
		for (size_t i = 0; i < g->qn && steps < eng_npos(c); i++)
			if ((q_at(g, i)->mask >> steps) & 1)
				steps++;
	}
	return mh_eng_corr_value(c, g->qn, g->ndistinct, g->wsum, g->wn, steps,
				 v);
}

static bool agg_from_queue(mh_engine *e, eng_group *g, const mh_corr *c,
			   int64_t after, bool use_after)
{
	mh_eng_agg_clear(&g->agg);
	for (size_t i = 0; i < g->qn; i++) {
		const eng_contrib *ct = q_at(g, i);
		if (use_after && ct->t <= after)
			continue;
		if (!mh_eng_agg_add(e, g, c, &g->agg, ct,
				    g->qref ? &g->qref[g->qhead + i] : NULL))
			return false;
	}
	return true;
}

static void group_reset(eng_group *g)
{
	q_clear(g);
	mh_eng_agg_clear(&g->agg);
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
			if (t > eng_add_sat(g->w0, ts)) {
				have = mh_eng_agg_value(c, &g->agg, &v);
				if (mh_eng_cond_holds(c, have, v))
					rc = mh_eng_emit_agg(e, g, &g->agg, v);
				group_reset(g);
			} else if (t < g->w0) {
				*st = ST_DROP_LATE;
			}
			break;
		}
		if (g->open) {
			if (t > eng_add_sat(g->agg.last, ts)) {
				have = mh_eng_agg_value(c, &g->agg, &v);
				rc = mh_eng_emit_agg(e, g, &g->agg, v);
				group_reset(g);
			} else if (t < eng_sub_sat(g->agg.last, ts)) {
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
			if (t < eng_sub_sat(newest, ts)) {
				*st = ST_DROP_LATE;
				break;
			}
			cut = eng_sub_sat(t > newest ? t : newest, ts);
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
			if (t <= eng_sub_sat(e->opts.now_ns, ts))
				*st = ST_DROP;
			break;
		} else {
			int64_t cut = eng_sub_sat(e->max_t, ts);
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
				mh_eng_agg_clear(&g->agg);
			}
			return mh_eng_agg_add(e, g, c, &g->agg, ct, ref)
				   ? MH_OK
				   : MH_ENOMEM;
		}
		if (g->open)
			return mh_eng_agg_add(e, g, c, &g->agg, ct, ref)
				   ? MH_OK
				   : MH_ENOMEM;
		if (!q_insert(e, g, c, ct, ref, true))
			return MH_ENOMEM;
		have = window_value(g, c, &v);
		if (mh_eng_cond_holds(c, have, v)) {
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
		if (mh_eng_cond_holds(c, have, v)) {
			if (!agg_from_queue(e, g, c, 0, false))
				return MH_ENOMEM;
			have = mh_eng_agg_value(c, &g->agg, &v);
			rc = mh_eng_emit_agg(e, g, &g->agg, v);
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
		return mh_eng_agg_add(e, g, c, &g->agg, ct, ref) ? MH_OK
								 : MH_ENOMEM;
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
		have = mh_eng_agg_value(c, &g->agg, &v);
		if (!ec->closing || mh_eng_cond_holds(c, have, v))
			rc = mh_eng_emit_agg(e, g, &g->agg, v);
		break;
	case MH_WIN_SEQUENCE:
		break;
	case MH_WIN_LOOKBACK:
		if (at_evict)
			break;
		if (!e->opts.now_set) {
			if (!agg_from_queue(
				e, g, c,
				eng_sub_sat(e->st.now_ns, c->timespan_ns),
				true))
				return MH_ENOMEM;
		} else if (!g->open) {
			break;
		}
		if (!g->agg.count)
			break;
		have = mh_eng_agg_value(c, &g->agg, &v);
		if (mh_eng_cond_holds(c, have, v))
			rc = mh_eng_emit_agg(e, g, &g->agg, v);
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
			if (mh_eng_cond_holds(c, true, br.score))
				rc = mh_eng_emit_agg_b(e, g, &g->agg, br.score,
						       &br);
			break;
		}
		have = mh_eng_agg_value(c, &g->agg, &v);
		if (mh_eng_cond_holds(c, have, v))
			rc = mh_eng_emit_agg(e, g, &g->agg, v);
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
