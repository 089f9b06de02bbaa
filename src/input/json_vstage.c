/* The JSON reader's value stage (issue 4): a record line whose port
 * prefilter would keep it (or every line, without a port condition) is
 * dropped when no rule sees an atom of each of its clauses in the line's
 * raw values (rule/vfilter.h). Split from json_prefilter.c, which calls
 * it; shares the reader's private state through json_int.h. */
#include "event/normalize.h"
#include "input/json_int.h"

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
		pl->nvpat++;
		pl->vlast2[h >> 3] |= (uint8_t)(1u << (h & 7));
	}
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

/* The value stage (issue 4) for the record line [p, end): true when no
 * rule sees an atom of each of its clauses in the values of the keys of
 * pl->vpat, so the record matches no rule whatever its port. Keys are
 * found as in the per-colon prefilter scan (json_prefilter.c), by every ':'
 * (nested keys and text inside strings only add values to test). */
bool mh_json_vs_clear(const mh_reader *r, const pf_plan *pl, const char *p,
		      const char *end)
{
	jstate *st = r->priv;
	mh_vf_state *vs = &st->vfs;

	mh_vf_state_clear(vs);
	for (const char *blk = p; blk < end; blk += 16) {
		for (unsigned mc = pf_mask16(blk, end, ':'); mc; mc &= mc - 1) {
			const char *c = blk + __builtin_ctz(mc), *e;
			unsigned h;

			if (!(e = pf_colon_key(p, c, pl->vlast2, &h)))
				continue;
			for (size_t i = 0; i < pl->nvpat; i++) {
				const char *ks = e - pl->vpat[i].n - 1;
				if (pl->vpat[i].l2 != h || ks < p ||
				    (*ks != '"' && *ks != '.') ||
				    !pf_eq(ks + 1, pl->vpat[i].k,
					   pl->vpat[i].n))
					continue;
				if (!vs_value(r->pf_vf, vs, pl->vpat[i].kind,
					      pl->vpat[i].fmask, c, end,
					      st->vbuf))
					return false;
				break;
			}
		}
	}
	return true;
}
