/* Alert ordering: the profile's sort terms, else level desc, count
 * desc, first_seen asc, rule index asc, group asc; always followed by
 * group, first_seen, rule index and emission order, so the order is a
 * total order and output is reproducible. */
#include "engine/engine_int.h"

#include <stdlib.h>
#include <string.h>

static int cmp_i64(int64_t a, int64_t b)
{
	return a < b ? -1 : a > b;
}

static int cmp_str(const char *a, size_t an, const char *b, size_t bn)
{
	size_t n = an < bn ? an : bn;
	int r = n ? memcmp(a, b, n) : 0;
	if (r)
		return r < 0 ? -1 : 1;
	return an < bn ? -1 : an > bn;
}

/* Group values compared in group-by order; unset sorts before any set
 * value (including the empty string); fewer values first. */
static int cmp_group(const mh_alert *a, const mh_alert *b)
{
	size_t n = a->ngroup < b->ngroup ? a->ngroup : b->ngroup;

	for (size_t i = 0; i < n; i++) {
		const mh_alert_kv *x = &a->group[i], *y = &b->group[i];
		int r;
		if (x->set != y->set)
			return x->set ? 1 : -1;
		if (!x->set)
			continue;
		r = cmp_str(x->val.p, x->val.n, y->val.p, y->val.n);
		if (r)
			return r;
	}
	return cmp_i64((int64_t)a->ngroup, (int64_t)b->ngroup);
}

static int cmp_key(const mh_alert *a, const mh_alert *b, mh_sort_key k)
{
	const char *la, *lb;

	switch (k) {
	case MH_SORT_LEVEL:
		return cmp_i64(a->level, b->level);
	case MH_SORT_LEVEL_NAME:
		la = mh_level_name(a->level);
		lb = mh_level_name(b->level);
		return cmp_str(la, strlen(la), lb, strlen(lb));
	case MH_SORT_COUNT:
		return a->count < b->count ? -1 : a->count > b->count;
	case MH_SORT_FIRST_SEEN:
		return cmp_i64(a->first_ns, b->first_ns);
	case MH_SORT_LAST_SEEN:
		return cmp_i64(a->last_ns, b->last_ns);
	case MH_SORT_GROUP:
		return cmp_group(a, b);
	}
	return 0;
}

static const mh_sort_term default_terms[] = {
    {MH_SORT_LEVEL, true},
    {MH_SORT_COUNT, true},
    {MH_SORT_FIRST_SEEN, false},
};

/* qsort has no context argument; the engine is not thread-safe anyway,
 * but keep the state per call. */
static _Thread_local const mh_sort_term *s_terms;
static _Thread_local size_t s_nterms;
static _Thread_local bool s_rule_after_default;

static int cmp_alert(const void *pa, const void *pb)
{
	const eng_alert *x = *(const eng_alert *const *)pa;
	const eng_alert *y = *(const eng_alert *const *)pb;
	const mh_alert *a = &x->a, *b = &y->a;
	int r;

	for (size_t i = 0; i < s_nterms; i++) {
		r = cmp_key(a, b, s_terms[i].key);
		if (r)
			return s_terms[i].desc ? -r : r;
	}
	if (s_rule_after_default) {
		r = cmp_i64(a->rule->index, b->rule->index);
		if (r)
			return r;
	}
	r = cmp_group(a, b);
	if (r)
		return r;
	r = cmp_i64(a->first_ns, b->first_ns);
	if (r)
		return r;
	r = cmp_i64(a->rule->index, b->rule->index);
	if (r)
		return r;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void set_terms(const mh_engine *e)
{
	const mh_profile_info *p = mh_ruleset_profile(e->rs);

	if (p && p->nsort > 0) {
		s_terms = p->sort;
		s_nterms = p->nsort < MH_ARRAY_LEN(p->sort)
			       ? p->nsort
			       : MH_ARRAY_LEN(p->sort);
		s_rule_after_default = false;
	} else {
		s_terms = default_terms;
		s_nterms = MH_ARRAY_LEN(default_terms);
		s_rule_after_default = true;
	}
}

int mh_eng_alert_cmp(const mh_engine *e, const eng_alert *x, const eng_alert *y)
{
	set_terms(e);
	return cmp_alert(&x, &y);
}

/* An alert with the leading integer sort terms as unsigned keys in
 * term order (descending terms inverted), and the rule index after the
 * default terms: most comparisons are decided without reading the
 * alert. */
#define SORT_KEYS 4
typedef struct sort_ent {
	uint64_t k[SORT_KEYS];
	eng_alert *x;
} sort_ent;

static _Thread_local size_t s_nkeys;

/* The key of term t of alert a, or false when t is not an integer term. */
static bool term_key(const mh_alert *a, const mh_sort_term *t, uint64_t *k)
{
	const uint64_t flip = 1ULL << 63; /* signed to unsigned order */

	switch (t->key) {
	case MH_SORT_LEVEL:
		*k = (uint64_t)(int64_t)a->level ^ flip;
		break;
	case MH_SORT_COUNT:
		*k = a->count;
		break;
	case MH_SORT_FIRST_SEEN:
		*k = (uint64_t)a->first_ns ^ flip;
		break;
	case MH_SORT_LAST_SEEN:
		*k = (uint64_t)a->last_ns ^ flip;
		break;
	default:
		return false;
	}
	if (t->desc)
		*k = ~*k;
	return true;
}

static int cmp_ent(const void *pa, const void *pb)
{
	const sort_ent *x = pa, *y = pb;

	for (size_t i = 0; i < s_nkeys; i++)
		if (x->k[i] != y->k[i])
			return x->k[i] < y->k[i] ? -1 : 1;
	return cmp_alert(&x->x, &y->x);
}

void mh_eng_sort_alerts(mh_engine *e)
{
	sort_ent *v;
	uint64_t k;
	bool rule_key;

	set_terms(e);
	if (e->nalerts < 2)
		return;
	for (s_nkeys = 0; s_nkeys < s_nterms && s_nkeys < SORT_KEYS &&
			  term_key(&e->alerts[0]->a, &s_terms[s_nkeys], &k);
	     s_nkeys++)
		;
	rule_key =
	    s_nkeys == s_nterms && s_rule_after_default && s_nkeys < SORT_KEYS;
	v = s_nkeys ? malloc(e->nalerts * sizeof(*v)) : NULL;
	if (!v) {
		/* no integer term, or no memory for the keys */
		qsort(e->alerts, e->nalerts, sizeof(*e->alerts), cmp_alert);
		return;
	}
	for (size_t i = 0; i < e->nalerts; i++) {
		v[i].x = e->alerts[i];
		for (size_t j = 0; j < s_nkeys; j++)
			term_key(&v[i].x->a, &s_terms[j], &v[i].k[j]);
		if (rule_key)
			v[i].k[s_nkeys] = v[i].x->a.rule->index;
	}
	s_nkeys += rule_key;
	qsort(v, e->nalerts, sizeof(*v), cmp_ent);
	for (size_t i = 0; i < e->nalerts; i++)
		e->alerts[i] = v[i].x;
	free(v);
}
