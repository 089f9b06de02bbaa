/* The value prefilter (rule/vfilter.h), built from the clauses of the
 * rule index: the cores of the literals of the slot atoms, each with the
 * rule clauses its literal's slots are atoms of; the integer and CIDR
 * atoms in one table each. All of it lives in vx, a private rx_index.
 *
 * Cores are found in a value by a window of their bytes: each position
 * of the value hashes its next 4 bytes (case bits set) into a 2^18-bit
 * set; a set bit sends to the cores with that window hash, compared in
 * full (ASCII-folded). Cores of 2 or 3 bytes have a table of their own,
 * by 2-byte windows (the hash is the pair itself), and cores of one byte
 * a DFA per field (rindex.c builds it). A DFA over 1,000 and more cores
 * takes megabytes and a cache miss per byte; a bit set is 32 KiB and no
 * position depends on the one before. The scans and lookups are in
 * rindex_vf_match.c. */
#include "event/normalize.h"
#include "rule/rindex_int.h"

#if defined(__x86_64__) && defined(__GNUC__)
#define VF_SIMD 1 /* rindex_vf_match.c has an AVX2 window scan */
#endif

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

/* Does normalising leave field f as read (its sources: f alone)? */
static bool only_itself(const mh_fieldset *src, mh_field f)
{
	for (int g = 0; g < MH_F__COUNT; g++)
		if (g != (int)f && mh_fieldset_has(src, (mh_field)g))
			return false;
	return mh_fieldset_has(src, f);
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
	rx_fm *F;
	rx_lit *C;
	size_t off, len, fi;
	uint8_t anch = 0;

	memset(&src, 0, sizeof(src));
	if (!mh_event_norm_sources(f, &src))
		return false;
	if (only_itself(&src, f)) {
		/* the value as read is the value matched: the whole
		 * literal, where its atom uses may find it */
		off = 0;
		len = L->n;
		for (uint32_t u = L->use0; u < L->use0 + L->nuse; u++)
			if (ix->slot_rule[ix->use[u].slot])
				anch |= ix->use[u].bit;
		if (anch & F_CONT)
			anch = 0;
	} else {
		core_of(L->s, L->n, &off, &len);
	}
	if (!len)
		return false;
	/* the core's field: scanner 1 + its index (fm[0] is unused) */
	for (fi = 1; fi < vx->nfm && vx->fm[fi].field != f; fi++)
		;
	if (fi == vx->nfm) {
		if (fi == 1 + MH_VF_MAXF)
			return false;
		vx->fm[vx->nfm++].field = f;
	}
	F = &vx->fm[fi];
	mh_fieldset_add(fields, f);
	C = &vx->lit[vx->nlit++];
	memset(C, 0, sizeof(*C));
	C->s = L->s + off;
	C->n = (uint32_t)len;
	C->fm = (int32_t)fi;
	C->next = -1;
	C->anch = len >= 2 ? anch : 0; /* the DFA (1 byte) finds any */
	/* only 1-byte cores go to the DFA: the others to a fingerprint
	 * table */
	C->need = len >= 2 ? 0 : F_CONT;
	C->use0 = (uint32_t)*nuse;
	for (uint32_t u = L->use0; u < L->use0 + L->nuse; u++) {
		uint32_t r = ix->slot_rule[ix->use[u].slot];
		if (r)
			vx->vf_tag[(*nuse)++] = r;
	}
	C->nuse = (uint32_t)*nuse - C->use0;
	if (len < 2) {
		F->total_len += len;
		for (size_t i = 0; i < len; i++)
			F->used[mh_lc((unsigned char)C->s[i])] = 1;
	}
	return true;
}

/* How common the w bytes at p may be in log text (lower: rarer): digits
 * and rare letters low, frequent letters, blanks and punctuation such as
 * the '.' of ".exe" high. A core is looked for by its rarest window, so
 * that text holding none of the cores seldom hits the bit set. */
static unsigned fp_common(const char *p, unsigned w)
{
	unsigned sum = 0;

	for (unsigned i = 0; i < w; i++) {
		unsigned char c = mh_lc((unsigned char)p[i]);
		if (c >= '0' && c <= '9')
			sum += 1;
		else if (strchr("qzxjkvwybgpfm", c) && c)
			sum += 2;
		else if (strchr("etaoinsrhldcu", c) && c)
			sum += 5;
		else if (strchr(". -_:=", c) && c)
			sum += 6;
		else
			sum += 3;
	}
	return sum;
}

/* The length of s[0..n) without its file name extension (a '.' and 1
 * to 4 letters or digits at its end), else n. Extensions such as ".exe"
 * are in most values of a path field: a window there would hit on
 * nearly every record. */
static uint32_t fp_stem(const char *s, uint32_t n)
{
	for (uint32_t k = 1; k <= 4 && k < n; k++) {
		unsigned char c = (unsigned char)s[n - k];
		if (c == '.')
			return k > 1 ? n - k : n;
		if (!((c | 0x20) >= 'a' && (c | 0x20) <= 'z') &&
		    !(c >= '0' && c <= '9'))
			return n;
	}
	return n;
}

/* Does table T take core C (its length)? */
static bool fp_takes(unsigned w, const rx_lit *C)
{
	return w == 4 ? C->n >= 4 : C->n >= 2 && C->n < 4;
}

/* The fingerprint table of vx's cores of w-byte windows (w 4: 4 bytes and
 * longer; w 2: 2 and 3 bytes). Each core takes its rarest window
 * (fp_common()), and among those the one whose hash has the fewest cores
 * so far: cores that share a prefix ("Invoke-WebRequest ...") then spread
 * over their distinct parts, and a hit is checked against few cores.
 * NULL (MH_OK) when no core. */
static mh_rc build_fp(rx_index *vx, unsigned w, rx_fp **out)
{
	uint32_t *cnt = NULL, *off = NULL, *hash = NULL, nh, nw, nset = 0;
	rx_fp *T;
	size_t n = 0;
	mh_rc rc = MH_ENOMEM;

	for (size_t l = 0; l < vx->nlit; l++)
		n += fp_takes(w, &vx->lit[l]);
	if (!n)
		return MH_OK;
	*out = T = calloc(1, sizeof(*T));
	if (!T)
		return MH_ENOMEM;
	T->w = w;
	nh = w == 4 ? 1u << VF_FP4_BITS : 1u << 16;
	nw = nh / 64;
	T->bits = calloc(nw, sizeof(*T->bits));
	T->rank = calloc(nw, sizeof(*T->rank));
	T->ent = calloc(n, sizeof(*T->ent));
	cnt = calloc(nh, sizeof(*cnt));
	off = calloc(vx->nlit, sizeof(*off));
	hash = calloc(vx->nlit, sizeof(*hash));
	if (!T->bits || !T->rank || !T->ent || !cnt || !off || !hash)
		goto out;
	for (size_t l = 0; l < vx->nlit; l++) {
		const rx_lit *C = &vx->lit[l];
		uint32_t salt = fp_salt(vx->vf_cls[C->fm]), lim, best, h;
		if (!fp_takes(w, C))
			continue;
		lim = fp_stem(C->s, C->n);
		if (lim < w)
			lim = C->n;
		best = 0;
		for (uint32_t o = 1; o + w <= lim; o++) {
			unsigned a = fp_common(C->s + o, w),
				 b = fp_common(C->s + best, w);
			if (a < b ||
			    (a == b && cnt[fp_hash(w, C->s + o, salt)] <
					   cnt[fp_hash(w, C->s + best, salt)]))
				best = o;
		}
		off[l] = best;
		T->fmask |= 1ULL << (C->fm - 1);
		hash[l] = h = fp_hash(w, C->s + best, salt);
		T->bits[h / 64] |= 1ULL << (h % 64);
		cnt[h]++;
	}
	for (uint32_t k = 0; k < nw; k++) {
		T->rank[k] = nset;
		nset += (uint32_t)__builtin_popcountll(T->bits[k]);
	}
	T->bstart = calloc(nset + 1, sizeof(*T->bstart));
	if (!T->bstart)
		goto out;
	/* bstart by rank; cnt[h] then the next free entry of h */
	for (uint32_t h = 0, r = 0; h < nh; h++)
		if (cnt[h]) {
			T->bstart[r + 1] = T->bstart[r] + cnt[h];
			cnt[h] = T->bstart[r++];
		}
	for (size_t l = 0; l < vx->nlit; l++) {
		const rx_lit *C = &vx->lit[l];
		rx_fpe *E;
		if (!fp_takes(w, C))
			continue;
		E = &T->ent[cnt[hash[l]]++];
		E->s = C->s;
		E->n = C->n;
		E->off = off[l];
		E->fm = (uint8_t)C->fm;
		E->anch = C->anch;
		E->use0 = C->use0;
		E->nuse = C->nuse;
		if (C->n >= 8) {
			memcpy(&E->pre, C->s, 8);
			E->pre |= 0x2020202020202020ULL;
		}
	}
	rc = MH_OK;
out:
	free(cnt);
	free(off);
	free(hash);
	return rc;
}

/* vx's scanners into classes of fields with equal sources (a value
 * feeds all fields of a class or none of them): vx->vf_cls,
 * vf_cmask, nvcls. */
static void fp_classes(rx_index *vx)
{
	mh_fieldset src[1 + MH_VF_MAXF];

	vx->nvcls = 0;
	for (size_t k = 1; k < vx->nfm; k++) {
		size_t j;
		memset(&src[k], 0, sizeof(src[k]));
		mh_event_norm_sources(vx->fm[k].field, &src[k]);
		for (j = 1; j < k; j++)
			if (!memcmp(&src[j], &src[k], sizeof(src[k])))
				break;
		vx->vf_cls[k] = j < k ? vx->vf_cls[j] : (uint8_t)vx->nvcls++;
		vx->vf_cmask[vx->vf_cls[k]] |= 1ULL << (k - 1);
	}
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
	vx->fm = calloc(1 + MH_VF_MAXF, sizeof(*vx->fm));
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
	for (size_t k = 1; k < vx->nfm; k++) {
		rx_fm *F = &vx->fm[k];
		mh_rc rc;
		ncls = 1;
		for (int c = 0; c < 256; c++)
			ncls += F->used[c];
		if ((F->total_len + 1) * ncls > b->max_cells)
			return MH_OK;
		if ((rc = mh_rx_ac_build(vx, F, (int32_t)k)))
			return rc;
	}
	fp_classes(vx);
	if (n) {
		mh_rc rc = build_fp(vx, 4, &vx->fp4);
		if (rc || (rc = build_fp(vx, 2, &vx->fp2)))
			return rc;
	}
	*ok = true;
	return MH_OK;
}

/* vx->vf_ip16 from the CIDR table (IPv4 addresses are ::ffff:a.b.c.d):
 * the blocks that hold IPv4 addresses, by their first two bytes; none
 * when there is no block or one holds every IPv4 address. false: out of
 * memory. */
static bool ip16_build(rx_index *vx)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0,    0,
					   0, 0, 0, 0, 0xff, 0xff};
	const rx_cidrs *t = vx->ncidrs ? &vx->cidrs[0] : NULL;
	uint64_t *w;

	if (!t)
		return true;
	w = calloc(1024, sizeof(*w));
	if (!w)
		return false;
	for (size_t g = 0; g < t->ngrp; g++) {
		const rx_cgroup *G = &t->grp[g];
		unsigned pb = G->bits < 96 ? G->bits : 96, q;
		for (size_t k = 0; k < G->n; k++) {
			const uint8_t *net = G->net[k];
			uint32_t base, span;
			/* the block's first min(bits, 96) bits against the
			 * mapped prefix (the network is masked) */
			if (memcmp(net, mapped, pb / 8) ||
			    (pb % 8 && (net[pb / 8] ^ mapped[pb / 8]) &
					   (0xff00u >> (pb % 8))))
				continue;
			if (G->bits <= 96) {
				free(w); /* every IPv4 address */
				return true;
			}
			q = G->bits - 96 < 16 ? G->bits - 96 : 16;
			base = (uint32_t)(net[12] << 8 | net[13]) &
			       (0xffff0000u >> q);
			span = 1u << (16 - q);
			for (uint32_t x = base; x < base + span; x++)
				w[x / 64] |= 1ULL << (x % 64);
		}
	}
	vx->vf_ip16 = w;
	return true;
}

/* vx->vf_int16 from the integer table. false: out of memory. */
static bool int16_build(rx_index *vx)
{
	const rx_ints *t = vx->nints ? &vx->ints[0] : NULL;

	if (!t)
		return true;
	vx->vf_int16 = calloc(1024, sizeof(*vx->vf_int16));
	if (!vx->vf_int16)
		return false;
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i] >= 0 && t->v[i] < 65536)
			vx->vf_int16[t->v[i] / 64] |= 1ULL << (t->v[i] % 64);
	return true;
}

/* vx->vf_feed: what marks each clause of each of the ndet rules (the
 * cores' fields, the integer and CIDR atoms of b). false: out of
 * memory. */
static bool feed_build(const bctx *b, rx_index *vx, size_t ndet)
{
	mh_vf_feed *fd = calloc(ndet ? 2 * ndet : 1, sizeof(*fd));

	if (!fd)
		return false;
	for (size_t l = 0; l < vx->nlit; l++) {
		const rx_lit *C = &vx->lit[l];
		for (uint32_t u = C->use0; u < C->use0 + C->nuse; u++) {
			uint32_t t = vx->vf_tag[u];
			for (unsigned k = 0; k < 2; k++)
				if (t >> k & 1)
					fd[2 * (t >> 2) + k].text |=
					    1ULL << (C->fm - 1);
		}
	}
	for (size_t i = 0; i < b->nvf_iat + b->nvf_cat; i++) {
		uint32_t t = i < b->nvf_iat ? b->vf_iat[i].rule
					    : b->vf_cat[i - b->nvf_iat].rule;
		for (unsigned k = 0; k < 2; k++)
			if (t >> k & 1)
				fd[2 * (t >> 2) + k].kind |=
				    i < b->nvf_iat ? MH_VF_FEED_INT
						   : MH_VF_FEED_IP;
	}
	vx->vf_feed = fd;
	return true;
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
	if (!ip16_build(vx) || !int16_build(vx) || !feed_build(b, vx, ix->ndet))
		goto out;
	vf = calloc(1, sizeof(*vf));
	if (!vf)
		goto out;
	vx->ndet = ix->ndet;
	vx->vf_need = b->vf_need; /* taken over */
	b->vf_need = NULL;
	vf->fields = fields;
#ifdef VF_SIMD
	/* MAILHUNT_VF_SIMD=0: the scalar scan (tests, comparisons) */
	{
		const char *e = getenv("MAILHUNT_VF_SIMD");
		vf->simd =
		    __builtin_cpu_supports("avx2") && !(e && !strcmp(e, "0"));
	}
#endif
	vf->nfield = vx->nfm - 1;
	for (size_t k = 1; k < vx->nfm; k++)
		vf->field[k - 1] = vx->fm[k].field;
	vf->intfields = b->vf_intf;
	vf->ipfields = b->vf_ipf;
	vf->nrules = ix->ndet;
	vf->need = vx->vf_need;
	vf->feed = vx->vf_feed;
	vf->vx = vx;
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
