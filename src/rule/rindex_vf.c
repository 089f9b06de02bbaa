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
 * position depends on the one before. */
#include "event/normalize.h"
#include "rule/rindex_int.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define VF_SIMD 1
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

/* The fingerprint of the w (4 or 2) bytes at p: case bits set (a
 * coarser fold than mh_lc(): equal folded bytes give equal
 * fingerprints), VF_FP4_BITS (w 4) or 16 bits (w 2, the pair itself). */
static inline uint32_t fp_hash(unsigned w, const char *p)
{
	if (w == 4) {
		uint32_t x;
		memcpy(&x, p, 4);
		return ((x | 0x20202020u) * 0x9e3779b1u) >> (32 - VF_FP4_BITS);
	} else {
		uint16_t x;
		memcpy(&x, p, 2);
		return (uint32_t)(x | 0x2020u);
	}
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
	uint32_t *cnt = NULL, *off = NULL, nh;
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
	T->bits = calloc(nh / 64, sizeof(*T->bits));
	T->start = calloc(nh + 1, sizeof(*T->start));
	T->core = malloc(n * sizeof(*T->core));
	T->off = malloc(n * sizeof(*T->off));
	cnt = calloc(nh, sizeof(*cnt));
	off = calloc(vx->nlit, sizeof(*off));
	if (!T->bits || !T->start || !T->core || !T->off || !cnt || !off)
		goto out;
	for (size_t l = 0; l < vx->nlit; l++) {
		const rx_lit *C = &vx->lit[l];
		uint32_t best = 0, h;
		if (!fp_takes(w, C))
			continue;
		for (uint32_t o = 1; o + w <= C->n; o++) {
			unsigned a = fp_common(C->s + o, w),
				 b = fp_common(C->s + best, w);
			if (a < b ||
			    (a == b && cnt[fp_hash(w, C->s + o)] <
					   cnt[fp_hash(w, C->s + best)]))
				best = o;
		}
		off[l] = best;
		T->fmask |= 1ULL << (C->fm - 1);
		h = fp_hash(w, C->s + best);
		T->bits[h / 64] |= 1ULL << (h % 64);
		cnt[h]++;
	}
	for (uint32_t h = 0; h < nh; h++)
		T->start[h + 1] = T->start[h] + cnt[h];
	memset(cnt, 0, nh * sizeof(*cnt));
	for (size_t l = 0; l < vx->nlit; l++)
		if (fp_takes(w, &vx->lit[l])) {
			uint32_t h = fp_hash(w, vx->lit[l].s + off[l]);
			uint32_t k = T->start[h] + cnt[h]++;
			T->core[k] = (uint32_t)l;
			T->off[k] = off[l];
		}
	rc = MH_OK;
out:
	free(cnt);
	free(off);
	return rc;
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
	if (n) {
		mh_rc rc = build_fp(vx, 4, &vx->fp4);
		if (rc || (rc = build_fp(vx, 2, &vx->fp2)))
			return rc;
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

/* The short cores of F ending at its DFA state st (an offset, RX_OUT
 * cleared). */
static bool report_short(const mh_vfilter *vf, const rx_fm *F, mh_vf_state *s,
			 uint32_t st)
{
	const rx_index *vx = vf->vx;
	uint32_t n = st / F->ncls;
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

/* The cores of table T (of the fields in mask) whose window is at
 * position i of p[0..n), with hash h: true when a rule is complete. */
static bool fp_hit(const mh_vfilter *vf, const rx_fp *T, mh_vf_state *s,
		   uint64_t mask, const char *p, size_t n, size_t i, uint32_t h)
{
	const rx_index *vx = vf->vx;

	for (uint32_t k = T->start[h]; k < T->start[h + 1]; k++) {
		const rx_lit *C = &vx->lit[T->core[k]];
		uint32_t o = T->off[k];
		bool done = false;
		size_t at = i - o;
		if (!(mask >> (C->fm - 1) & 1) || o > i || C->n > n - at ||
		    !mh_fold_eq(p + at, C->s, C->n))
			continue;
		if (C->anch && !((C->anch & F_START && at == 0) ||
				 (C->anch & F_END && at + C->n == n) ||
				 (C->anch & F_EQ && at == 0 && C->n == n)))
			continue;
		for (uint32_t u = C->use0; u < C->use0 + C->nuse; u++)
			done |= mark(vf, s, vx->vf_tag[u]);
		if (done)
			return true;
	}
	return false;
}

/* The cores of table T (of the fields in mask) in p[0..n), from
 * position i on. */
static bool scan_fp_from(const mh_vfilter *vf, const rx_fp *T, mh_vf_state *s,
			 uint64_t mask, const char *p, size_t n, size_t i)
{
	const uint64_t *bits = T->bits;
	unsigned w = T->w;

	for (; i + w <= n; i++) {
		uint32_t h = fp_hash(w, p + i);

		if (MH_LIKELY(!(bits[h / 64] >> (h % 64) & 1)))
			continue;
		if (fp_hit(vf, T, s, mask, p, n, i, h))
			return true;
	}
	return false;
}

#ifdef VF_SIMD
/* scan_fp_from(p, n, 0), 8 positions at a time: their windows shuffled
 * out of 16 bytes, hashed, and their bits gathered from the bit set (as
 * 32-bit words: the same bits on a little-endian machine). */
__attribute__((target("avx2"))) static bool
scan_fp_avx2(const mh_vfilter *vf, const rx_fp *T, mh_vf_state *s,
	     uint64_t mask, const char *p, size_t n)
{
	const int *bits32 = (const int *)T->bits;
	const __m256i sh4 =
	    _mm256_setr_epi8(0, 1, 2, 3, 1, 2, 3, 4, 2, 3, 4, 5, 3, 4, 5, 6, 4,
			     5, 6, 7, 5, 6, 7, 8, 6, 7, 8, 9, 7, 8, 9, 10);
	const __m256i sh2 = _mm256_setr_epi8(
	    0, 1, -1, -1, 1, 2, -1, -1, 2, 3, -1, -1, 3, 4, -1, -1, 4, 5, -1,
	    -1, 5, 6, -1, -1, 6, 7, -1, -1, 7, 8, -1, -1);
	const __m256i lc4 = _mm256_set1_epi32(0x20202020);
	const __m256i lc2 = _mm256_set1_epi32(0x2020);
	const __m256i mul = _mm256_set1_epi32((int)0x9e3779b1u);
	const __m256i b31 = _mm256_set1_epi32(31);
	size_t i = 0;

	for (; i + 16 <= n; i += 8) {
		__m256i v = _mm256_broadcastsi128_si256(
		    _mm_loadu_si128((const __m128i *)(const void *)(p + i)));
		__m256i h, g;
		unsigned m;

		if (T->w == 4)
			h = _mm256_srli_epi32(
			    _mm256_mullo_epi32(
				_mm256_or_si256(_mm256_shuffle_epi8(v, sh4),
						lc4),
				mul),
			    32 - VF_FP4_BITS);
		else
			h = _mm256_or_si256(_mm256_shuffle_epi8(v, sh2), lc2);
		g = _mm256_i32gather_epi32(bits32, _mm256_srli_epi32(h, 5), 4);
		g = _mm256_srlv_epi32(g, _mm256_and_si256(h, b31));
		m = (unsigned)_mm256_movemask_ps(
		    _mm256_castsi256_ps(_mm256_slli_epi32(g, 31)));
		for (; m; m &= m - 1) {
			size_t k = i + (size_t)__builtin_ctz(m);
			if (fp_hit(vf, T, s, mask, p, n, k,
				   fp_hash(T->w, p + k)))
				return true;
		}
	}
	return scan_fp_from(vf, T, s, mask, p, n, i);
}
#endif

/* The cores of table T (of the fields in mask) in p[0..n). */
static bool scan_fp(const mh_vfilter *vf, const rx_fp *T, mh_vf_state *s,
		    uint64_t mask, const char *p, size_t n)
{
#ifdef VF_SIMD
	if (vf->simd)
		return scan_fp_avx2(vf, T, s, mask, p, n);
#endif
	return scan_fp_from(vf, T, s, mask, p, n, 0);
}

bool mh_vfilter_scan(const mh_vfilter *vf, mh_vf_state *s, uint64_t mask,
		     const char *p, size_t n)
{
	const rx_index *vx = vf->vx;

	for (uint64_t m = mask; m; m &= m - 1) {
		const rx_fm *F = &vx->fm[1 + __builtin_ctzll(m)];
		const uint32_t *d = F->delta;
		uint32_t q = 0;
		if (!d)
			continue;
		for (size_t i = 0; i < n; i++) {
			q = d[q + F->cls[(unsigned char)p[i]]];
			if (MH_UNLIKELY(q & RX_OUT)) {
				q &= ~RX_OUT;
				if (report_short(vf, F, s, q))
					return true;
			}
		}
	}
	return (vx->fp4 && (vx->fp4->fmask & mask) &&
		scan_fp(vf, vx->fp4, s, mask, p, n)) ||
	       (vx->fp2 && (vx->fp2->fmask & mask) &&
		scan_fp(vf, vx->fp2, s, mask, p, n));
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
		uint8_t key[16];
		for (size_t k = rx_cgroup_find(G, &ip, key);
		     k < G->n && !net_cmp(G->net[k], key); k++)
			done |= mark(vf, s, G->rule[k]);
	}
	return done;
}
