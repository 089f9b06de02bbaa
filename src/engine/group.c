/* Correlation group table: hash table keyed by (correlation, group
 * values), O(1) LRU list, per-group intern table, memory accounting and
 * eviction at the cap. */
#include "engine/engine_int.h"
#include "util/hash.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

const mh_field mh_engine_ctx_fields[ENG_NCTX] = {
    MH_F_HOST,
    MH_F_USER,
    MH_F_IMAGE,
    MH_F_PROCESS_NAME,
    MH_F_COMMAND_LINE,
    MH_F_PARENT_IMAGE,
    MH_F_PARENT_COMMAND_LINE,
    MH_F_PROCESS_GUID,
    MH_F_SOURCE_IP,
    MH_F_SOURCE_PORT,
    MH_F_DESTINATION_IP,
    MH_F_DESTINATION_PORT,
    MH_F_DESTINATION_HOSTNAME,
    MH_F_MAIL_PROTOCOL,
    MH_F_PROTOCOL,
    MH_F_ACTION,
    MH_F_DIRECTION,
    MH_F_LOOKALIKE_OF,
};

/* g's link of list l: the link at byte offset off in the group
 * (offsetof(eng_group, lru) or idle). */
static eng_link *link_at(eng_group *g, size_t off)
{
	return (eng_link *)(void *)((char *)g + off);
}

static void list_unlink(eng_list *l, eng_group *g, size_t off)
{
	eng_link *k = link_at(g, off);

	if (k->prev)
		link_at(k->prev, off)->next = k->next;
	else
		l->head = k->next;
	if (k->next)
		link_at(k->next, off)->prev = k->prev;
	else
		l->tail = k->prev;
	k->prev = k->next = NULL;
}

static void list_push_head(eng_list *l, eng_group *g, size_t off)
{
	eng_link *k = link_at(g, off);

	k->prev = NULL;
	k->next = l->head;
	if (l->head)
		link_at(l->head, off)->prev = g;
	else
		l->tail = g;
	l->head = g;
}

#define LRU  offsetof(eng_group, lru)
#define IDLE offsetof(eng_group, idle)

void mh_eng_group_touch(mh_engine *e, eng_group *g)
{
	eng_corr *ec = &e->corrs[g->corr];

	if (ec->expires && ec->idle.head != g) {
		list_unlink(&ec->idle, g, IDLE);
		list_push_head(&ec->idle, g, IDLE);
	}
	if (e->lru.head == g)
		return;
	list_unlink(&e->lru, g, LRU);
	list_push_head(&e->lru, g, LRU);
}

static bool table_grow(mh_engine *e)
{
	size_t n = e->nbuckets ? e->nbuckets * 2 : 1024;
	eng_group **b = calloc(n, sizeof(*b));

	if (!b)
		return false;
	for (size_t i = 0; i < e->nbuckets; i++) {
		eng_group *g = e->buckets[i];
		while (g) {
			eng_group *next = g->hnext;
			size_t j = (size_t)(g->hash & (n - 1));
			g->hnext = b[j];
			b[j] = g;
			g = next;
		}
	}
	free(e->buckets);
	e->mem -= e->nbuckets * sizeof(*b);
	e->buckets = b;
	e->nbuckets = n;
	e->mem += n * sizeof(*b); /* the bucket array counts against the cap */
	return true;
}

void mh_eng_prefetch_slot(const mh_engine *e, const eng_key *k)
{
	if (e->nbuckets)
		__builtin_prefetch(&e->buckets[k->hash & (e->nbuckets - 1)]);
}

void mh_eng_prefetch_group(const mh_engine *e, const eng_key *k)
{
	const eng_group *g;

	if (!e->nbuckets)
		return;
	g = e->buckets[k->hash & (e->nbuckets - 1)];
	if (!g)
		return;
	/* the whole group: an update touches most of its lines */
	for (size_t off = 0;
	     off < (size_t)(g->key - (const unsigned char *)g) + g->keylen;
	     off += 64)
		__builtin_prefetch((const char *)g + off);
}

/* Find or create the group; NULL on ENOMEM. A new group is placed at
 * the LRU head; an existing one is not moved (mh_eng_group_touch). */
eng_group *mh_eng_group_get(mh_engine *e, uint32_t corr,
			    const unsigned char *key, uint32_t keylen,
			    uint64_t hash)
{
	eng_group *g;
	size_t j, qb, tb;

	if (e->nbuckets) {
		j = (size_t)(hash & (e->nbuckets - 1));
		for (g = e->buckets[j]; g; g = g->hnext) {
			if (g->hash == hash && g->corr == corr &&
			    g->keylen == keylen &&
			    memcmp(g->key, key, keylen) == 0)
				return g;
		}
	}
	if (e->ngroups >= e->nbuckets && !table_grow(e))
		return NULL;
	qb = e->corrs[corr].queues ? ENG_Q_INL * sizeof(eng_contrib) : 0;
	tb = e->corrs[corr].beacon ? ENG_BPEND * sizeof(eng_bpend) : qb;
	g = calloc(1, sizeof(*g) + tb + keylen);
	if (!g)
		return NULL;
	g->q_inl = qb ? (eng_contrib *)(void *)g->tail : NULL;
	g->key = g->tail + tb;
	if (keylen)
		memcpy(g->key, key, keylen);
	g->pool = g->pool_inl;
	g->pool_cap = ENG_POOL_INL;
	g->strs = g->strs_inl;
	g->strs_cap = ENG_STRS_INL;
	g->itab = g->itab_inl;
	g->itab_cap = ENG_ITAB_INL;
	g->q = g->q_inl;
	g->qcap = qb ? ENG_Q_INL : 0;
	g->keylen = keylen;
	g->hash = hash;
	g->corr = corr;
	g->tlast = INT64_MIN;
	j = (size_t)(hash & (e->nbuckets - 1));
	g->hnext = e->buckets[j];
	e->buckets[j] = g;
	e->ngroups++;
	list_push_head(&e->lru, g, LRU);
	if (e->corrs[corr].expires)
		list_push_head(&e->corrs[corr].idle, g, IDLE);
	mh_eng_group_account(e, g);
	return g;
}

void mh_eng_group_account(mh_engine *e, eng_group *g)
{
	const eng_agg *a = &g->agg;
	/* the group with its inline buffers and key, then the heap ones */
	size_t pool = ENG_HEAP(g->pool, g->pool_inl, g->pool_cap),
	       strs = ENG_HEAP(g->strs, g->strs_inl,
			       (size_t)g->strs_cap * sizeof(eng_istr)),
	       itab = ENG_HEAP(g->itab, g->itab_inl,
			       (size_t)g->itab_cap * sizeof(uint32_t)),
	       q = ENG_HEAP(g->q, g->q_inl, g->qcap * sizeof(eng_contrib)),
	       bits = ENG_HEAP(a->dst_bits, a->bits_inl,
			       a->bits_words * 2 * sizeof(uint64_t));
	size_t m = (size_t)(g->key - (const unsigned char *)g) + g->keylen +
		   pool + strs + itab + q + bits +
		   (g->qref ? g->qcap * sizeof(eng_ref) : 0) +
		   g->vcnt_cap * sizeof(uint32_t);

	if (g->rcnt)
		m += ENG_MAX_POS * sizeof(uint32_t);
	if (g->beacon)
		m += sizeof(*g->beacon);
	if (a->refs)
		m += e->opts.max_refs * sizeof(eng_ref);
	if (a->users_heap)
		m += MH_ALERT_MAX_USERS * sizeof(uint32_t);
	/* malloc's own header and rounding, per separate buffer */
	m += ENG_MALLOC_OVERHEAD *
	     (size_t)(1 + !!pool + !!strs + !!itab + !!q + !!g->qref +
		      !!g->vcnt_cap + !!bits * 2 + !!g->rcnt + !!g->beacon +
		      !!a->refs + !!a->users_heap);
	e->mem -= g->mem;
	g->mem = m;
	e->mem += m;
}

static void group_release(mh_engine *e, eng_group *g)
{
	mh_eng_ctx_release(e, g->ctx);
	eng_buf_free(g->pool, g->pool_inl);
	eng_buf_free(g->strs, g->strs_inl);
	eng_buf_free(g->itab, g->itab_inl);
	eng_buf_free(g->q, g->q_inl);
	free(g->qref);
	free(g->vcnt);
	free(g->rcnt);
	free(g->beacon);
	mh_eng_agg_free(&g->agg);
	free(g);
}

/* Unlink g from the table and LRU list and free it. */
void mh_eng_group_free(mh_engine *e, eng_group *g)
{
	size_t j = (size_t)(g->hash & (e->nbuckets - 1));
	eng_group **pp = &e->buckets[j];

	while (*pp && *pp != g)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = g->hnext;
	list_unlink(&e->lru, g, LRU);
	if (e->corrs[g->corr].expires)
		list_unlink(&e->corrs[g->corr].idle, g, IDLE);
	e->mem -= g->mem;
	e->ngroups--;
	group_release(e, g);
}

eng_group *mh_eng_groups_take(mh_engine *e, eng_group **tail, size_t *n)
{
	eng_group *head = e->lru.head;

	*tail = e->lru.tail;
	*n = e->ngroups;
	if (e->buckets)
		memset(e->buckets, 0, e->nbuckets * sizeof(*e->buckets));
	e->ngroups = 0;
	e->lru.head = e->lru.tail = NULL;
	for (size_t i = 0; i < e->ncorr; i++)
		e->corrs[i].idle.head = e->corrs[i].idle.tail = NULL;
	e->mem = 0;
	return head;
}

void mh_eng_group_release_detached(eng_group *g)
{
	group_release(NULL, g);
}

void mh_eng_groups_free_all(mh_engine *e)
{
	eng_group *g = e->lru.head;

	while (g) {
		eng_group *next = g->lru.next;
		group_release(e, g);
		g = next;
	}
	free(e->buckets);
	e->buckets = NULL;
	e->nbuckets = 0;
	e->ngroups = 0;
	e->lru.head = e->lru.tail = NULL;
	for (size_t i = 0; i < e->ncorr; i++)
		e->corrs[i].idle.head = e->corrs[i].idle.tail = NULL;
	e->mem = 0;
}

mh_rc mh_eng_evict(mh_engine *e)
{
	/* Alerts already raised live in the engine's arena: they count too,
	 * so a scan that raises very many alerts keeps fewer groups. */
	while (e->mem + e->arena.used_total > e->max_mem && e->lru.tail) {
		eng_group *g = e->lru.tail;
		mh_rc rc = mh_eng_group_flush(e, g, true);
		if (rc != MH_OK)
			return rc;
		mh_eng_group_free(e, g);
		e->st.evicted++;
	}
	return MH_OK;
}

mh_rc mh_eng_expire(mh_engine *e)
{
	if (!e->nxcorr || !e->have_t || e->max_t < e->next_sweep)
		return MH_OK;
	e->next_sweep = eng_add_sat(e->max_t, e->sweep_step);
	for (size_t i = 0; i < e->nxcorr; i++) {
		eng_corr *ec = &e->corrs[e->xcorrs[i]];
		int64_t cut;
		eng_group *g;
		if (__builtin_sub_overflow(e->max_t, ec->horizon, &cut))
			continue; /* nothing is that old */
		while ((g = ec->idle.tail) && g->tlast < cut) {
			/* a sliding window emits what it has open, as the
			 * next event of the group would have; the others
			 * hold nothing an alert can still come from */
			if (ec->c->window == MH_WIN_SLIDING) {
				mh_rc rc = mh_eng_group_flush(e, g, false);
				if (rc != MH_OK)
					return rc;
			}
			mh_eng_group_free(e, g);
			e->st.expired++;
		}
	}
	return MH_OK;
}

void mh_eng_intern_reset(eng_group *g)
{
	g->pool_n = 0;
	g->nstr = 0;
	if (g->itab)
		memset(g->itab, 0, (size_t)g->itab_cap * sizeof(uint32_t));
	if (g->vcnt)
		memset(g->vcnt, 0, g->vcnt_cap * sizeof(uint32_t));
}

static bool itab_grow(eng_group *g)
{
	uint32_t n = g->itab_cap * 2;
	uint32_t *t = calloc(n, sizeof(*t));

	if (!t)
		return false;
	for (uint32_t i = 0; i < g->nstr; i++) {
		uint32_t j = (uint32_t)g->strs[i].h & (n - 1);
		while (t[j])
			j = (j + 1) & (n - 1);
		t[j] = i + 1;
	}
	eng_buf_free(g->itab, g->itab_inl);
	g->itab = t;
	g->itab_cap = n;
	return true;
}

uint32_t mh_eng_intern(eng_group *g, const char *p, size_t n)
{
	uint64_t h = mh_hash_bytes(p, n, 0x6d61696c68756e74ULL);
	uint32_t j;

	if (n > UINT32_MAX / 2)
		return ENG_NOID;
	if (g->itab_cap) {
		j = (uint32_t)h & (g->itab_cap - 1);
		while (g->itab[j]) {
			const eng_istr *s = &g->strs[g->itab[j] - 1];
			if (s->h == h && s->len == n &&
			    (n == 0 || memcmp(g->pool + s->off, p, n) == 0))
				return g->itab[j] - 1;
			j = (j + 1) & (g->itab_cap - 1);
		}
	}
	if ((g->nstr + 1) * 2 > g->itab_cap && !itab_grow(g))
		return ENG_NOID;
	if (g->nstr == g->strs_cap) {
		uint32_t nc = g->strs_cap * 2;
		eng_istr *s = eng_regrow(g->strs, g->strs_inl,
					 g->nstr * sizeof(*s), nc * sizeof(*s));
		if (!s)
			return ENG_NOID;
		g->strs = s;
		g->strs_cap = nc;
	}
	if (g->pool_cap - g->pool_n < n) {
		size_t nc = g->pool_cap;
		char *pp;
		while (nc - g->pool_n < n)
			nc *= 2;
		pp = eng_regrow(g->pool, g->pool_inl, g->pool_n, nc);
		if (!pp)
			return ENG_NOID;
		g->pool = pp;
		g->pool_cap = nc;
	}
	if (g->pool_n > UINT32_MAX - n)
		return ENG_NOID;
	if (n)
		memcpy(g->pool + g->pool_n, p, n);
	g->strs[g->nstr].h = h;
	g->strs[g->nstr].off = (uint32_t)g->pool_n;
	g->strs[g->nstr].len = (uint32_t)n;
	g->pool_n += n;
	j = (uint32_t)h & (g->itab_cap - 1);
	while (g->itab[j])
		j = (j + 1) & (g->itab_cap - 1);
	g->itab[j] = g->nstr + 1;
	return g->nstr++;
}

/* Index of a context field in mh_engine_ctx_fields, or -1. */
static int ctx_index(mh_field f)
{
	for (int i = 0; i < ENG_NCTX; i++)
		if (mh_engine_ctx_fields[i] == f)
			return i;
	return -1;
}

static bool ctx_old_eq(const eng_ctx *c, int i, const mh_str *s)
{
	return i >= 0 && (c->set >> i & 1u) && s && c->len[i] == s->n &&
	       (s->n == 0 || memcmp(eng_ctx_get(c, i).p, s->p, s->n) == 0);
}

/* True when ev is provably the process of the stored context c: the
 * same ProcessGuid, else the same host and ProcessId. Only then may the
 * context keep fields the newer event lacks (a connection record has
 * no command line; its process-creation or script-block evidence has). */
static bool ctx_same_process(const eng_ctx *c, const mh_event *ev)
{
	const int iguid = ctx_index(MH_F_PROCESS_GUID);
	const int ihost = ctx_index(MH_F_HOST);
	const mh_str *guid, *host;
	int64_t pid;

	if (!c)
		return false;
	guid = mh_event_get(ev, MH_F_PROCESS_GUID);
	if (guid && iguid >= 0 && (c->set >> iguid & 1u))
		return ctx_old_eq(c, iguid, guid);
	if (!c->has_pid || !mh_event_int(ev, MH_F_PROCESS_ID, &pid) ||
	    pid != c->pid)
		return false;
	host = mh_event_get(ev, MH_F_HOST);
	if (!host)
		return ihost >= 0 && !(c->set >> ihost & 1u);
	return ctx_old_eq(c, ihost, host);
}

/* A new context (one reference) holding ev's context fields and, for
 * the fields ev lacks, old's (old may be NULL). Charged to e->mem. NULL
 * on ENOMEM. */
static eng_ctx *ctx_build(mh_engine *e, const mh_event *ev, const eng_ctx *old)
{
	mh_str src[ENG_NCTX];
	uint32_t set = 0;
	size_t need = 0, off = 0, ooff = 0;
	eng_ctx *c;
	int64_t pid;

	for (int i = 0; i < ENG_NCTX; i++) {
		const mh_str *s = mh_event_get(ev, mh_engine_ctx_fields[i]);
		/* old's texts follow each other: field i is at ooff */
		size_t on = old ? old->len[i] : 0;
		ooff += on;
		if (s) {
			src[i] = *s;
		} else if (old && (old->set >> i & 1u)) {
			src[i].p = old->buf + ooff - on;
			src[i].n = on;
		} else {
			continue;
		}
		if (src[i].n > UINT32_MAX)
			return NULL;
		set |= 1u << i;
		need += src[i].n;
	}
	if (need > UINT32_MAX)
		return NULL;
	c = malloc(sizeof(*c) + need);
	if (!c)
		return NULL;
	c->refs = 1;
	c->set = set;
	c->t = ev->time_ns;
	c->has_pid = mh_event_int(ev, MH_F_PROCESS_ID, &pid);
	c->pid = c->has_pid ? pid : 0;
	for (int i = 0; i < ENG_NCTX; i++) {
		c->len[i] = 0;
		if (!(set >> i & 1u))
			continue;
		c->len[i] = (uint32_t)src[i].n;
		if (src[i].n)
			memcpy(c->buf + off, src[i].p, src[i].n);
		off += src[i].n;
	}
	c->mem = sizeof(*c) + need + ENG_MALLOC_OVERHEAD;
	e->mem += c->mem;
	return c;
}

void mh_eng_ctx_release(mh_engine *e, eng_ctx *c)
{
	if (!c || --c->refs)
		return;
	if (e)
		e->mem -= c->mem;
	free(c);
}

bool mh_eng_ctx_store(mh_engine *e, eng_group *g, const mh_event *ev)
{
	eng_ctx *c;

	if (!e->evctx && !(e->evctx = ctx_build(e, ev, NULL)))
		return false;
	c = e->evctx;
	if ((g->ctx && (g->ctx->set & ~c->set)) &&
	    ctx_same_process(g->ctx, ev)) {
		/* the same process: keep the fields ev lacks */
		c = ctx_build(e, ev, g->ctx);
		if (!c)
			return false;
	} else {
		c->refs++;
	}
	mh_eng_ctx_release(e, g->ctx);
	g->ctx = c;
	return true;
}
