/* The prefilter's byte scanners (issue 4): the AVX2 line kernel and the
 * flat-line test, pure functions of a plan and the bytes of a line. The
 * decisions made from what they find are in json_prefilter.c. */
#include "input/json_int.h"

#ifdef MH_JSON_PF_SIMD
#include <immintrin.h>
#endif

/* Is the record line [p, end) (p at '{') flat and single: no quote
 * follows a backslash (so every quote delimits a string), every bracket
 * but the record's own '{' and closing '}' lies inside a string, and
 * only blanks follow that '}'? Then every key of a valid line is a
 * member of the top-level object, and the line holds one value. A
 * malformed line may pass: it is skipped unvalidated like any other.
 * pf_flat_from() is the scalar scan from b, with par quotes and the
 * closing '}' close seen so far; pf_flat_avx2() the same, 32 bytes at a
 * time. */
static bool pf_flat_from(const char *b, const char *end, unsigned par,
			 const char *close)
{
	for (; b < end; b++) {
		if (*b == '"') {
			if (b[-1] == '\\')
				return false;
			par++;
		} else if ((*b == '{' || *b == '[' || *b == '}' || *b == ']') &&
			   !(par & 1)) {
			if (close || *b != '}')
				return false;
			close = b;
		}
	}
	return close && json_skip_ws(close + 1, end) == end;
}

#ifdef MH_JSON_PF_SIMD
__attribute__((target("avx2,popcnt,bmi"))) static bool
pf_flat_avx2(const char *p, const char *end)
{
	const char *b = p + 1, *close = NULL;
	unsigned par = 0;

	for (; end - b >= 32; b += 32) {
		__m256i v = _mm256_loadu_si256((const __m256i *)b);
		__m256i vp = _mm256_loadu_si256((const __m256i *)(b - 1));
		__m256i br = _mm256_or_si256(
		    _mm256_or_si256(
			_mm256_cmpeq_epi8(v, _mm256_set1_epi8('{')),
			_mm256_cmpeq_epi8(v, _mm256_set1_epi8('['))),
		    _mm256_or_si256(
			_mm256_cmpeq_epi8(v, _mm256_set1_epi8('}')),
			_mm256_cmpeq_epi8(v, _mm256_set1_epi8(']'))));
		uint32_t q = (uint32_t)_mm256_movemask_epi8(
		    _mm256_cmpeq_epi8(v, _mm256_set1_epi8('"')));
		uint32_t bs = (uint32_t)_mm256_movemask_epi8(
		    _mm256_cmpeq_epi8(vp, _mm256_set1_epi8('\\')));
		uint32_t m = (uint32_t)_mm256_movemask_epi8(br);

		if (q & bs)
			return false;
		for (; m; m &= m - 1) {
			uint32_t below = (m & (0u - m)) - 1;
			if ((par + (unsigned)__builtin_popcount(q & below)) & 1)
				continue; /* inside a string */
			if (close || b[__builtin_ctz(m)] != '}')
				return false;
			close = b + __builtin_ctz(m);
		}
		par += (unsigned)__builtin_popcount(q);
	}
	return pf_flat_from(b, end, par, close);
}
#endif

bool mh_json_pf_flat(bool avx2, const char *p, const char *end)
{
#ifdef MH_JSON_PF_SIMD
	if (avx2)
		return pf_flat_avx2(p, end);
#endif
	(void)avx2;
	return pf_flat_from(p + 1, end, 0, NULL);
}

#ifdef MH_JSON_PF_SIMD
/* Record in o what one block of a kernel found, at offset at from the
 * line start: key candidates mc, opening brackets mo and closing braces
 * mcl outside strings (bit i = byte at + i; the block's bits past the
 * newline already cleared). Shared by the 32- and 64-byte kernels. */
static inline __attribute__((always_inline)) void
pf_kout_add(pf_kout *o, uint32_t at, uint64_t mc, uint64_t mo, uint64_t mcl)
{
	for (; mc; mc &= mc - 1) {
		if (o->nc < PF_CAND)
			o->cand[o->nc] = at + (uint32_t)__builtin_ctzll(mc);
		o->nc++;
	}
	for (; mo && o->open2 == PF_NONE; mo &= mo - 1) {
		uint32_t a = at + (uint32_t)__builtin_ctzll(mo);
		if (o->open1 == PF_NONE)
			o->open1 = a;
		else
			o->open2 = a;
	}
	if (mcl) {
		o->nclose += (uint32_t)__builtin_popcountll(mcl);
		o->last_close = at + 63u - (uint32_t)__builtin_clzll(mcl);
	}
}

/* Scan from the line start q, reading nothing at or past lim + slack
 * (the plan's longest key + 2: lim leaves room for the loads at +n+1).
 * Returns the line's '\n' (NULL: not found before lim), with *o filled
 * for the bytes before it, with the bracket facts pf_decide() needs.
 * np is a constant in each instance below, so the per-key vectors stay
 * in registers. */
__attribute__((target("avx2,popcnt,bmi"),
	       always_inline)) static inline const char *
pf_kernel_body(const pf_plan *pl, const char *q, const char *lim, pf_kout *o,
	       const size_t np)
{
	const __m256i vnl = _mm256_set1_epi8('\n');
	const __m256i vbs = _mm256_set1_epi8('\\');
	const __m256i vu = _mm256_set1_epi8('u');
	const __m256i vq = _mm256_set1_epi8('"');
	const __m256i vob = _mm256_set1_epi8('{');
	const __m256i vos = _mm256_set1_epi8('[');
	const __m256i vcb = _mm256_set1_epi8('}');
	__m256i k0[PF_KPATS];
	size_t kn[PF_KPATS];

	o->nc = 0;
	o->uesc = false;
	o->open1 = o->open2 = o->last_close = PF_NONE;
	o->nclose = 0;
	for (size_t j = 0; j < np; j++) {
		const pf_pat *pt = &pl->pat[pl->kidx[j]];
		k0[j] = _mm256_set1_epi8(pt->k[0]);
		kn[j] = pt->n;
	}
	for (const char *b = q; b + 32 <= lim; b += 32) {
		__m256i v0;
		/* The input is read once: fetch it ahead as non-temporal, so
		 * that streaming a file through the cache does not evict the
		 * correlation groups (the hardware prefetcher would bring it
		 * into every level). 2 KiB ahead, once per 64-byte line; a
		 * hint past the end of the mapping does not fault. */
		if (!((uintptr_t)b & 32))
			_mm_prefetch(b + 2048, _MM_HINT_NTA);
		v0 = _mm256_loadu_si256((const __m256i *)b);
		__m256i v1 = _mm256_loadu_si256((const __m256i *)(b + 1));
		__m256i c = _mm256_setzero_si256(), vn, vx, vo, vc, any;
		uint32_t mnl, mc, mu, below = UINT32_MAX;

		for (size_t j = 0; j < np; j++) {
			__m256i a = _mm256_cmpeq_epi8(v1, k0[j]);
			__m256i e = _mm256_cmpeq_epi8(
			    _mm256_loadu_si256(
				(const __m256i *)(b + kn[j] + 1)),
			    vq);
			c = _mm256_or_si256(c, _mm256_and_si256(a, e));
		}
		vn = _mm256_cmpeq_epi8(v0, vnl);
		vx = _mm256_and_si256(_mm256_cmpeq_epi8(v0, vbs),
				      _mm256_cmpeq_epi8(v1, vu));
		vo = _mm256_or_si256(_mm256_cmpeq_epi8(v0, vob),
				     _mm256_cmpeq_epi8(v0, vos));
		vc = _mm256_cmpeq_epi8(v0, vcb);
		any =
		    _mm256_or_si256(_mm256_or_si256(vn, _mm256_or_si256(c, vx)),
				    _mm256_or_si256(vo, vc));
		if (__builtin_expect(_mm256_testz_si256(any, any), 1))
			continue;
		mnl = (uint32_t)_mm256_movemask_epi8(vn);
		mc = (uint32_t)_mm256_movemask_epi8(c);
		mu = (uint32_t)_mm256_movemask_epi8(vx);
		if (mnl) {
			below = (mnl & (0u - mnl)) - 1;
			mc &= below;
			mu &= below;
		}
		if (mu)
			o->uesc = true;
		uint32_t mo = (uint32_t)_mm256_movemask_epi8(vo) & below;
		uint32_t mcl = (uint32_t)_mm256_movemask_epi8(vc) & below;

		if (mo | mcl) {
			/* `"{` `"[` `}"`: inside a string in valid JSON */
			uint32_t mq = (uint32_t)_mm256_movemask_epi8(
			    _mm256_cmpeq_epi8(v0, vq));
			uint32_t mq1 = (uint32_t)_mm256_movemask_epi8(
			    _mm256_cmpeq_epi8(v1, vq));
			mo &= ~((mq << 1) | (uint32_t)(b > q && b[-1] == '"'));
			mcl &= ~mq1;
		}
		pf_kout_add(o, (uint32_t)(b - q), mc, mo, mcl);
		if (mnl)
			return b + __builtin_ctz(mnl);
	}
	return NULL;
}

#define PF_KERNEL_N(N)                                                         \
	__attribute__((target("avx2,popcnt,bmi"))) static const char           \
	    *pf_kernel_##N(const pf_plan *pl, const char *q, const char *lim,  \
			   pf_kout *o)                                         \
	{                                                                      \
		return pf_kernel_body(pl, q, lim, o, N);                       \
	}
PF_KERNEL_N(1)
PF_KERNEL_N(2)
PF_KERNEL_N(3)
PF_KERNEL_N(4)
PF_KERNEL_N(5)
PF_KERNEL_N(6)
PF_KERNEL_N(7)
PF_KERNEL_N(8)

/* [np] */
static const mh_json_pf_kernel_fn pf_kernels[PF_KPATS + 1] = {
    NULL,	 pf_kernel_1, pf_kernel_2, pf_kernel_3, pf_kernel_4,
    pf_kernel_5, pf_kernel_6, pf_kernel_7, pf_kernel_8};

/* The same scan as pf_kernel_body(), 64 bytes at a time with AVX-512BW:
 * each test compares into a mask register, the two-part tests (a key's
 * first character and its closing quote; a backslash and a 'u') are one
 * masked compare, and '{' and '[' are one compare (they differ only in
 * bit 0x20). Reads nothing at or past lim + slack either; a line whose
 * '\n' lies in the last 64 bytes before lim is left to the caller (NULL),
 * as a line past lim is. */
#define PF_W512 "avx512f,avx512bw,popcnt,bmi,bmi2,lzcnt"
__attribute__((target(PF_W512), always_inline)) static inline const char *
pf_kernel512_body(const pf_plan *pl, const char *q, const char *lim, pf_kout *o,
		  const size_t np)
{
	const __m512i vnl = _mm512_set1_epi8('\n');
	const __m512i vbs = _mm512_set1_epi8('\\');
	const __m512i vu = _mm512_set1_epi8('u');
	const __m512i vq = _mm512_set1_epi8('"');
	const __m512i v20 = _mm512_set1_epi8(0x20);
	const __m512i vob = _mm512_set1_epi8('{'); /* '{' or '[' | 0x20 */
	const __m512i vcb = _mm512_set1_epi8('}');
	__m512i k0[PF_KPATS];
	size_t kn[PF_KPATS];

	o->nc = 0;
	o->uesc = false;
	o->open1 = o->open2 = o->last_close = PF_NONE;
	o->nclose = 0;
	for (size_t j = 0; j < np; j++) {
		const pf_pat *pt = &pl->pat[pl->kidx[j]];
		k0[j] = _mm512_set1_epi8(pt->k[0]);
		kn[j] = pt->n;
	}
	for (const char *b = q; b + 64 <= lim; b += 64) {
		__m512i v0, v1;
		uint64_t mnl, mc = 0, mu, mo, mcl, below = UINT64_MAX;

		/* non-temporal, 2 KiB ahead: see pf_kernel_body() */
		_mm_prefetch(b + 2048, _MM_HINT_NTA);
		v0 = _mm512_loadu_si512((const void *)b);
		v1 = _mm512_loadu_si512((const void *)(b + 1));
		for (size_t j = 0; j < np; j++)
			mc |= _mm512_mask_cmpeq_epi8_mask(
			    _mm512_cmpeq_epi8_mask(v1, k0[j]),
			    _mm512_loadu_si512((const void *)(b + kn[j] + 1)),
			    vq);
		mnl = _mm512_cmpeq_epi8_mask(v0, vnl);
		mu = _mm512_mask_cmpeq_epi8_mask(
		    _mm512_cmpeq_epi8_mask(v0, vbs), v1, vu);
		mo = _mm512_cmpeq_epi8_mask(_mm512_or_si512(v0, v20), vob);
		mcl = _mm512_cmpeq_epi8_mask(v0, vcb);
		if (__builtin_expect(!(mnl | mc | mu | mo | mcl), 1))
			continue;
		if (mnl) {
			below = (mnl & (0 - mnl)) - 1;
			mc &= below;
			mu &= below;
			mo &= below;
			mcl &= below;
		}
		if (mu)
			o->uesc = true;
		if (mo | mcl) {
			/* `"{` `"[` `}"`: inside a string in valid JSON */
			uint64_t mq = _mm512_cmpeq_epi8_mask(v0, vq);
			uint64_t mq1 = _mm512_cmpeq_epi8_mask(v1, vq);
			mo &= ~((mq << 1) | (uint64_t)(b > q && b[-1] == '"'));
			mcl &= ~mq1;
		}
		pf_kout_add(o, (uint32_t)(b - q), mc, mo, mcl);
		if (mnl)
			return b + __builtin_ctzll(mnl);
	}
	return NULL;
}

#define PF_KERNEL512_N(N)                                                      \
	__attribute__((target(PF_W512))) static const char *pf_kernel512_##N(  \
	    const pf_plan *pl, const char *q, const char *lim, pf_kout *o)     \
	{                                                                      \
		return pf_kernel512_body(pl, q, lim, o, N);                    \
	}
PF_KERNEL512_N(1)
PF_KERNEL512_N(2)
PF_KERNEL512_N(3)
PF_KERNEL512_N(4)
PF_KERNEL512_N(5)
PF_KERNEL512_N(6)
PF_KERNEL512_N(7)
PF_KERNEL512_N(8)

static const mh_json_pf_kernel_fn pf_kernels512[PF_KPATS + 1] = {
    NULL,	    pf_kernel512_1, pf_kernel512_2,
    pf_kernel512_3, pf_kernel512_4, pf_kernel512_5,
    pf_kernel512_6, pf_kernel512_7, pf_kernel512_8};
#endif

mh_json_pf_kernel_fn mh_json_pf_kernel(size_t np, bool wide)
{
#ifdef MH_JSON_PF_SIMD
	if (np < 1 || np > PF_KPATS)
		return NULL;
	return wide ? pf_kernels512[np] : pf_kernels[np];
#else
	(void)np;
	(void)wide;
	return NULL;
#endif
}
