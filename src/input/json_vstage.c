/* The JSON reader's value stage (issue 4): a record line whose port
 * prefilter would keep it (or every line, without a port condition) is
 * dropped when no rule sees an atom of each of its clauses in the line's
 * raw values (rule/vfilter.h). Split from json_prefilter.c, which calls
 * it; shares the reader's private state through json_int.h. */
#include "event/normalize.h"
#include "input/json_int.h"

#define VS_DEFER 16 /* gated values a line defers; more are tested */

/* What the values of key i of pl may mark, as a clause's feed is
 * written. */
static mh_vf_feed vs_feed(const pf_plan *pl, size_t i)
{
	mh_vf_feed f;

	f.text = pl->vpat[i].kind & VK_TEXT ? pl->vpat[i].fmask : 0;
	f.kind = (uint8_t)((pl->vpat[i].kind & VK_INT ? MH_VF_FEED_INT : 0) |
			   (pl->vpat[i].kind & VK_IP ? MH_VF_FEED_IP : 0));
	return f;
}

static bool feed_meets(const mh_vf_feed *a, const mh_vf_feed *b)
{
	return (a->text & b->text) || (a->kind & b->kind);
}

/* May key i be gated while the keys of rest (i among them) are untested:
 * has every rule a value of key i may mark a clause it needs that no key
 * of rest feeds? When the keys not in rest have been tested and none of
 * them touched such a rule, that clause stays unmarked and the key's
 * values cannot complete any rule. */
static bool vs_gatable(const mh_vfilter *vf, const mh_vf_feed *K, uint16_t rest,
		       size_t i)
{
	mh_vf_feed rm = {0, 0};

	for (size_t j = 0; j < PF_VPATS; j++)
		if (rest >> j & 1) {
			rm.text |= K[j].text;
			rm.kind |= K[j].kind;
		}
	for (size_t r = 0; r < vf->nrules; r++) {
		const mh_vf_feed *fd = &vf->feed[2 * r];
		bool closed = false;
		if (!feed_meets(&fd[0], &K[i]) && !feed_meets(&fd[1], &K[i]))
			continue;
		for (unsigned k = 0; k < 2; k++)
			closed |=
			    (vf->need[r] >> k & 1) && !feed_meets(&fd[k], &rm);
		if (!closed)
			return false;
	}
	return true;
}

/* pl->vgated and st->vrk: which keys mh_json_vs_clear() may leave
 * untested. The keys that no order can gate are tested first; then, while
 * some untested key cannot be gated, the cheapest of those (integer or
 * address values only, else the first) joins them. The rest are gated.
 * None when out of memory. */
static void vs_gate(pf_plan *pl, const mh_vfilter *vf, jstate *st)
{
	mh_vf_feed K[PF_VPATS];
	uint16_t all = (uint16_t)((1u << pl->nvpat) - 1), tested = 0, rest;
	struct vs_rule *rk;
	mh_vf_feed gm = {0, 0};

	pl->vgated = 0;
	if (!vf->feed || !vf->nrules)
		return;
	for (size_t i = 0; i < pl->nvpat; i++)
		K[i] = vs_feed(pl, i);
	for (size_t i = 0; i < pl->nvpat; i++)
		if (!vs_gatable(vf, K, (uint16_t)(1u << i), i))
			tested |= (uint16_t)(1u << i);
	for (;;) {
		uint16_t open = 0, pick;
		rest = all & (uint16_t)~tested;
		for (size_t i = 0; i < pl->nvpat; i++)
			if ((rest >> i & 1) && !vs_gatable(vf, K, rest, i))
				open |= (uint16_t)(1u << i);
		if (!open)
			break;
		pick = open & (uint16_t)-open;
		for (size_t i = 0; i < pl->nvpat; i++)
			if ((open >> i & 1) && !K[i].text) {
				pick = (uint16_t)(1u << i);
				break;
			}
		tested |= pick;
	}
	if (!rest)
		return;
	rk = realloc(st->vrk, vf->nrules * sizeof(*rk));
	if (!rk)
		return;
	st->vrk = rk;
	for (size_t i = 0; i < pl->nvpat; i++)
		if (rest >> i & 1) {
			gm.text |= K[i].text;
			gm.kind |= K[i].kind;
		}
	for (size_t r = 0; r < vf->nrules; r++) {
		const mh_vf_feed *fd = &vf->feed[2 * r];
		rk[r].keys = 0;
		rk[r].closed = 0;
		for (size_t i = 0; i < pl->nvpat; i++)
			if ((rest >> i & 1) && (feed_meets(&fd[0], &K[i]) ||
						feed_meets(&fd[1], &K[i])))
				rk[r].keys |= (uint16_t)(1u << i);
		for (unsigned k = 0; k < 2; k++)
			if ((vf->need[r] >> k & 1) && !feed_meets(&fd[k], &gm))
				rk[r].closed |= (uint8_t)(1u << k);
	}
	pl->vgated = rest;
}

/* Keys are matched by their last path component, as the prefilter's
 * (VK_TEXT: the cores' fields they feed in fmask; VK_IP, VK_INT). */
void mh_json_vs_plan(pf_plan *pl, const mh_dialect *d, const mh_reader *r)
{
	const mh_vfilter *vf = r->pf_vf;
	jstate *st = r->priv;
	mh_fieldset src, fsrc[MH_VF_MAXF];

	pl->vs = false;
	pl->nvpat = 0;
	memset(pl->vlast2, 0, sizeof(pl->vlast2));
	memset(pl->vl2, 0, sizeof(pl->vl2));
	if (!vf || !d || (!st->vfs.hit && mh_vf_state_init(vf, &st->vfs)))
		return;
	memset(&src, 0, sizeof(src));
	for (size_t i = 0; i < vf->nfield; i++) {
		memset(&fsrc[i], 0, sizeof(fsrc[i]));
		if (!mh_event_norm_sources(vf->field[i], &fsrc[i]))
			return;
		for (unsigned w = 0; w < MH_FIELD_WORDS; w++)
			src.w[w] |= fsrc[i].w[w];
	}
	for (size_t i = 0; i < d->nmap; i++) {
		const mh_dialect_map *m = &d->map[i];
		const char *dot = strrchr(m->key, '.');
		const char *l = dot ? dot + 1 : m->key;
		size_t n = strlen(l), j;
		unsigned h;
		uint8_t kind = 0;
		uint64_t fmask = 0;

		for (size_t k = 0; k < vf->nfield; k++)
			if (mh_fieldset_has(&fsrc[k], m->field))
				fmask |= 1ULL << k;
		if (fmask)
			kind |= VK_TEXT;
		if (mh_fieldset_has(&vf->ipfields, m->field))
			kind |= VK_IP;
		if (mh_fieldset_has(&vf->intfields, m->field))
			kind |= VK_INT;
		if (!kind)
			continue;
		if (m->conv != MH_CONV_NONE || n < 2 || n > 250 ||
		    strpbrk(m->key, "\"\\/"))
			return;
		for (j = 0; j < pl->nvpat; j++)
			if (pl->vpat[j].n == n && !memcmp(pl->vpat[j].k, l, n))
				break;
		if (j < pl->nvpat) {
			pl->vpat[j].kind |= kind;
			pl->vpat[j].fmask |= fmask;
			continue;
		}
		if (pl->nvpat == PF_VPATS)
			return;
		pl->vpat[pl->nvpat].k = l;
		pl->vpat[pl->nvpat].n = (uint8_t)n;
		pl->vpat[pl->nvpat].kind = kind;
		pl->vpat[pl->nvpat].fmask = fmask;
		h = pf_last2(l, n);
		pl->vpat[pl->nvpat].l2 = (uint16_t)h;
		pl->vl2[pl->nvpat] = (uint16_t)h;
		pl->nvpat++;
		pl->vlast2[h >> 3] |= (uint8_t)(1u << (h & 7));
	}
	vs_gate(pl, vf, st);
	pl->vs = true;
}

/* One value of a value-stage key, its ':' at c, judged on what the
 * parser would store for it (JSON escapes decoded by mh_json_decode()
 * into buf): its atoms are marked in vs. false when a rule is then
 * complete, or when unsure (an array, a truncated string, a value with
 * escapes over 4 KiB). Lines with a `\u` escape never get here. An
 * object holds no value of the key itself (its members are keys of their
 * own), nor does null. */
static bool vs_value(const mh_vfilter *vf, mh_vf_state *vs, uint8_t kind,
		     uint64_t fmask, const char *c, const char *end, char *buf)
{
	const char *q = json_skip_ws(c + 1, end), *v, *e;
	size_t n;

	if (q >= end || *q == '[')
		return false;
	if (*q == '{' || *q == 'n')
		return true;
	if (*q != '"') {
		/* a number, true or false: stored as its text */
		for (e = q; e < end && *e != ',' && *e != '}' && *e != ']' &&
			    !json_is_ws(*e);
		     e++)
			;
		v = q;
		n = (size_t)(e - q);
	} else {
		bool esc;
		if (json_skip_string(q, end, &e, &esc) != JS_OK)
			return false;
		v = q + 1;
		n = (size_t)(e - 1 - v);
		if (esc) {
			/* as the parser stores it */
			if (n + n / 2 + 4 > PF_VBUF)
				return false;
			n = (size_t)(mh_json_decode(v, v + n, buf) - buf);
			v = buf;
		}
	}
	if ((kind & VK_TEXT) && mh_vfilter_scan(vf, vs, fmask, v, n))
		return false;
	if ((kind & VK_IP) && mh_vfilter_ip(vf, vs, v, n))
		return false;
	return !((kind & VK_INT) && mh_vfilter_int(vf, vs, v, n));
}

/* Bit i: key i of pl ends in the two bytes h (pf_last2()). */
static inline unsigned vs_cands(const pf_plan *pl, unsigned h)
{
#ifdef __SSE2__
	const __m128i x = _mm_set1_epi16((short)h);
	__m128i a = _mm_cmpeq_epi16(
	    _mm_loadu_si128((const __m128i *)(const void *)pl->vl2), x);
	__m128i b = _mm_cmpeq_epi16(
	    _mm_loadu_si128((const __m128i *)(const void *)(pl->vl2 + 8)), x);
	return (unsigned)_mm_movemask_epi8(_mm_packs_epi16(a, b)) &
	       ((1u << pl->nvpat) - 1);
#else
	unsigned m = 0;
	for (size_t i = 0; i < pl->nvpat; i++)
		m |= (unsigned)(pl->vl2[i] == h) << i;
	return m;
#endif
}

/* The value stage (issue 4) for the record line [p, end): true when no
 * rule sees an atom of each of its clauses in the values of the keys of
 * pl->vpat, so the record matches no rule whatever its port. Keys are
 * found as in the per-colon prefilter scan (json_prefilter.c), by every ':'
 * (nested keys and text inside strings only add values to test). */
bool mh_json_vs_clear(const mh_reader *r, const pf_plan *pl, const char *p,
		      const char *end, uint64_t *untested)
{
	jstate *st = r->priv;
	mh_vf_state *vs = &st->vfs;
	const char *dc[VS_DEFER];
	uint8_t dk[VS_DEFER];
	size_t nd = 0;
	uint16_t live = 0;

	mh_vf_state_clear(vs);
	for (const char *blk = p; blk < end; blk += 16) {
		for (unsigned mc = pf_mask16(blk, end, ':'); mc; mc &= mc - 1) {
			const char *c = blk + __builtin_ctz(mc), *e;
			unsigned h;

			if (!(e = pf_colon_key(p, c, pl->vlast2, &h)))
				continue;
			for (unsigned m = vs_cands(pl, h); m; m &= m - 1) {
				unsigned i = (unsigned)__builtin_ctz(m);
				const char *ks = e - pl->vpat[i].n - 1;
				if (ks < p || (*ks != '"' && *ks != '.') ||
				    !pf_eq(ks + 1, pl->vpat[i].k,
					   pl->vpat[i].n))
					continue;
				if ((pl->vgated >> i & 1) && nd < VS_DEFER) {
					dc[nd] = c;
					dk[nd++] = (uint8_t)i;
				} else if (!vs_value(r->pf_vf, vs,
						     pl->vpat[i].kind,
						     pl->vpat[i].fmask, c, end,
						     st->vbuf)) {
					return false;
				}
				break;
			}
		}
	}
	/* the gated keys: only those a touched rule may take atoms of,
	 * when it has seen every clause only tested keys feed (one a gated
	 * key touches now has such a clause unseen) */
	for (size_t t = 0; nd && t < vs->nt; t++) {
		const struct vs_rule *R = &st->vrk[vs->touched[t]];
		if ((vs->hit[vs->touched[t]] & R->closed) == R->closed)
			live |= R->keys;
	}
	for (size_t j = 0; j < nd; j++) {
		if (!(live >> dk[j] & 1))
			++*untested;
		else if (!vs_value(r->pf_vf, vs, pl->vpat[dk[j]].kind,
				   pl->vpat[dk[j]].fmask, dc[j], end, st->vbuf))
			return false;
	}
	return true;
}
