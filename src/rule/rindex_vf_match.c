/* The value prefilter's matching (rule/vfilter.h): marking rule clauses
 * from a record's raw values with the cores, integer and CIDR tables that
 * rindex_vf.c builds. Read-only tables; the per-record state is the
 * caller's. */
#include "rule/rindex_int.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define VF_SIMD 1
#endif

/* The first two numbers a, b of a value that is an IPv4 address if any
 * address (1 to 3 digits, '.', 1 to 3 digits, '.': mh_ip_parse() reads
 * such a value as IPv4 or not at all), as a << 8 | b; false when the
 * value does not start so. */
static bool v4_head(const char *p, size_t n, unsigned *ab)
{
	size_t i = 0;

	*ab = 0;
	for (int k = 0; k < 2; k++) {
		unsigned x = 0, d = 0;
		for (; i < n && p[i] >= '0' && p[i] <= '9' && d < 4; i++, d++)
			x = x * 10 + (unsigned)(p[i] - '0');
		if (!d || d > 3 || x > 255 || i >= n || p[i] != '.')
			return false;
		i++;
		*ab = *ab << 8 | x;
	}
	return true;
}

/* May the parsed address ip lie in vx's CIDR blocks? false only for an
 * IPv4 (or IPv4-mapped) address whose first two bytes are in no block. */
static bool ip16_maybe(const rx_index *vx, const mh_ip *ip)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0,    0,
					   0, 0, 0, 0, 0xff, 0xff};
	unsigned x = (unsigned)ip->b[12] << 8 | ip->b[13];

	return !vx->vf_ip16 || memcmp(ip->b, mapped, 12) ||
	       (vx->vf_ip16[x / 64] >> (x % 64) & 1);
}

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
 * position i of p[0..n), with hash h (its bit set): true when a rule is
 * complete. */
static bool fp_hit(const mh_vfilter *vf, const rx_fp *T, mh_vf_state *s,
		   uint64_t mask, const char *p, size_t n, size_t i, uint32_t h)
{
	const rx_index *vx = vf->vx;
	uint64_t below = T->bits[h / 64] & ((1ULL << (h % 64)) - 1);
	uint32_t r = T->rank[h / 64] + (uint32_t)__builtin_popcountll(below);

	for (uint32_t k = T->bstart[r]; k < T->bstart[r + 1]; k++) {
		const rx_fpe *E = &T->ent[k];
		bool done = false;
		size_t at = i - E->off;
		if (!(mask >> (E->fm - 1) & 1) || E->off > i || E->n > n - at)
			continue;
		if (E->n >= 8) {
			uint64_t x;
			memcpy(&x, p + at, 8);
			if ((x | 0x2020202020202020ULL) != E->pre)
				continue;
		}
		if (!mh_fold_eq(p + at, E->s, E->n))
			continue;
		if (E->anch && !((E->anch & F_START && at == 0) ||
				 (E->anch & F_END && at + E->n == n) ||
				 (E->anch & F_EQ && at == 0 && E->n == n)))
			continue;
		for (uint32_t u = E->use0; u < E->use0 + E->nuse; u++)
			done |= mark(vf, s, vx->vf_tag[u]);
		if (done)
			return true;
	}
	return false;
}

/* The tables of one pass over a value: the 4- and 2-byte tables (NULL
 * when the class has no core there), the class's fields and salt. */
typedef struct fp_pass {
	const rx_fp *t4, *t2;
	uint64_t mask;
	uint32_t salt;
} fp_pass;

/* The cores of the pass's tables in p[0..n), from position i on. */
static bool scan_fp_from(const mh_vfilter *vf, const fp_pass *ps,
			 mh_vf_state *s, const char *p, size_t n, size_t i)
{
	for (; i + 2 <= n; i++) {
		uint32_t h;

		if (ps->t4 && i + 4 <= n) {
			h = fp_hash(4, p + i, ps->salt);
			if (MH_UNLIKELY(ps->t4->bits[h / 64] >> (h % 64) & 1) &&
			    fp_hit(vf, ps->t4, s, ps->mask, p, n, i, h))
				return true;
		}
		if (ps->t2) {
			h = fp_hash(2, p + i, ps->salt);
			if (MH_UNLIKELY(ps->t2->bits[h / 64] >> (h % 64) & 1) &&
			    fp_hit(vf, ps->t2, s, ps->mask, p, n, i, h))
				return true;
		}
	}
	return false;
}

#ifdef VF_SIMD
/* The bit-set hits (bit j: position j) of table T for 8 windows
 * shuffled out of the 16 bytes of v by sh, salted sl: the windows
 * hashed (w 4: VF_FP4_BITS, else 16 bits) and their bits gathered from
 * the bit set (as 32-bit words: the same bits on a little-endian
 * machine). */
__attribute__((target("avx2"), always_inline)) static inline unsigned
fp_hits8(const rx_fp *T, __m256i v, __m256i sh, __m256i sl)
{
	const bool w4 = T->w == 4;
	__m256i h, g;

	h = _mm256_xor_si256(
	    _mm256_or_si256(_mm256_shuffle_epi8(v, sh),
			    _mm256_set1_epi32(w4 ? 0x20202020 : 0x2020)),
	    sl);
	h = _mm256_srl_epi32(
	    _mm256_mullo_epi32(h, _mm256_set1_epi32((int)0x9e3779b1u)),
	    _mm_cvtsi32_si128(w4 ? 32 - VF_FP4_BITS : 16));
	g = _mm256_i32gather_epi32((const int *)T->bits,
				   _mm256_srli_epi32(h, 5), 4);
	g = _mm256_srlv_epi32(g, _mm256_and_si256(h, _mm256_set1_epi32(31)));
	return (unsigned)_mm256_movemask_ps(
	    _mm256_castsi256_ps(_mm256_slli_epi32(g, 31)));
}

/* The hits m (bit j: position at + j) of table T checked. */
static bool fp_hits_check(const mh_vfilter *vf, const fp_pass *ps,
			  const rx_fp *T, mh_vf_state *s, const char *p,
			  size_t n, size_t at, unsigned m)
{
	for (; m; m &= m - 1) {
		size_t k = at + (size_t)__builtin_ctz(m);
		if (fp_hit(vf, T, s, ps->mask, p, n, k,
			   fp_hash(T->w, p + k, ps->salt)))
			return true;
	}
	return false;
}

/* The windows at offsets o..o+7 of 16 bytes: byte shuffle sh (the
 * windows at 0..7, -1 for bytes of none) moved by o. */
__attribute__((target("avx2"), always_inline)) static inline __m256i
fp_shift(__m256i sh, char o)
{
	return _mm256_or_si256(_mm256_add_epi8(sh, _mm256_set1_epi8(o)),
			       _mm256_cmpeq_epi8(sh, _mm256_set1_epi8(-1)));
}

/* scan_fp_from(p, n, 0), 8 positions at a time from 16-byte loads. A
 * value of 16 bytes or more ends with a load of its last 16 bytes (at
 * b): the positions left, i..n-w with b < i <= b + 8, are those of the
 * windows at b+1..b+8 from i on, and at b+9..b+12 (w 4) or b+9..b+14
 * (w 2). A shorter value is left to the scalar scan. */
__attribute__((target("avx2"))) static bool
scan_fp_avx2(const mh_vfilter *vf, const fp_pass *ps, mh_vf_state *s,
	     const char *p, size_t n)
{
	const __m256i sh4 =
	    _mm256_setr_epi8(0, 1, 2, 3, 1, 2, 3, 4, 2, 3, 4, 5, 3, 4, 5, 6, 4,
			     5, 6, 7, 5, 6, 7, 8, 6, 7, 8, 9, 7, 8, 9, 10);
	const __m256i sh2 = _mm256_setr_epi8(
	    0, 1, -1, -1, 1, 2, -1, -1, 2, 3, -1, -1, 3, 4, -1, -1, 4, 5, -1,
	    -1, 5, 6, -1, -1, 6, 7, -1, -1, 7, 8, -1, -1);
	const __m256i sl = _mm256_set1_epi32((int)ps->salt);
	size_t i = 0, b;
	unsigned first;
	__m256i v;

	if (n < 16)
		return scan_fp_from(vf, ps, s, p, n, 0);
	for (; i + 16 <= n; i += 8) {
		v = _mm256_broadcastsi128_si256(
		    _mm_loadu_si128((const __m128i *)(const void *)(p + i)));
		if ((ps->t4 && fp_hits_check(vf, ps, ps->t4, s, p, n, i,
					     fp_hits8(ps->t4, v, sh4, sl))) ||
		    (ps->t2 && fp_hits_check(vf, ps, ps->t2, s, p, n, i,
					     fp_hits8(ps->t2, v, sh2, sl))))
			return true;
	}
	b = n - 16;
	first = 0xffu << (i - b - 1);
	v = _mm256_broadcastsi128_si256(
	    _mm_loadu_si128((const __m128i *)(const void *)(p + b)));
	if (ps->t4 &&
	    (fp_hits_check(vf, ps, ps->t4, s, p, n, b + 1,
			   fp_hits8(ps->t4, v, fp_shift(sh4, 1), sl) & first) ||
	     fp_hits_check(vf, ps, ps->t4, s, p, n, b + 5,
			   fp_hits8(ps->t4, v, fp_shift(sh4, 5), sl) & 0xf0)))
		return true;
	return ps->t2 &&
	       (fp_hits_check(vf, ps, ps->t2, s, p, n, b + 1,
			      fp_hits8(ps->t2, v, fp_shift(sh2, 1), sl) &
				  first) ||
		fp_hits_check(vf, ps, ps->t2, s, p, n, b + 7,
			      fp_hits8(ps->t2, v, fp_shift(sh2, 7), sl) &
				  0xfc));
}
#endif

/* The cores of the fingerprint tables of the fields in mask in p[0..n):
 * one pass per class of those fields. */
static bool scan_fp(const mh_vfilter *vf, mh_vf_state *s, uint64_t mask,
		    const char *p, size_t n)
{
	const rx_index *vx = vf->vx;
	uint64_t m4 = vx->fp4 ? vx->fp4->fmask : 0,
		 m2 = vx->fp2 ? vx->fp2->fmask : 0;

	for (uint64_t m = mask & (m4 | m2); m;) {
		size_t c = vx->vf_cls[1 + __builtin_ctzll(m)];
		fp_pass ps;
		ps.mask = m & vx->vf_cmask[c];
		ps.t4 = ps.mask & m4 ? vx->fp4 : NULL;
		ps.t2 = ps.mask & m2 ? vx->fp2 : NULL;
		ps.salt = fp_salt(c);
		m &= ~vx->vf_cmask[c];
#ifdef VF_SIMD
		if (vf->simd) {
			if (scan_fp_avx2(vf, &ps, s, p, n))
				return true;
			continue;
		}
#endif
		if (scan_fp_from(vf, &ps, s, p, n, 0))
			return true;
	}
	return false;
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
	return scan_fp(vf, s, mask, p, n);
}

bool mh_vfilter_int(const mh_vfilter *vf, mh_vf_state *s, const char *p,
		    size_t n)
{
	const rx_ints *t = vf->vx->nints ? &vf->vx->ints[0] : NULL;
	size_t lo = 0, hi;
	int64_t v;
	bool done = false;

	if (!t || !mh_rule_str_int(p, n, &v) ||
	    (v >= 0 && v < 65536 &&
	     !(vf->vx->vf_int16[v / 64] >> (v % 64) & 1)))
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
	const uint64_t *w = vf->vx->vf_ip16;
	mh_ip ip;
	unsigned ab;
	bool done = false;

	/* most addresses: no parse when their a.b lies in no block */
	if (!t || (w && v4_head(p, n, &ab) && !(w[ab / 64] >> (ab % 64) & 1)) ||
	    !mh_ip_parse(p, n, &ip) || !ip16_maybe(vf->vx, &ip))
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
