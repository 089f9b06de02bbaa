/* splitmix64: a tiny deterministic generator for synthetic data (bench/)
 * and randomised tests. Not for anything that must be unpredictable. */
#ifndef MH_UTIL_SPLITMIX_H
#define MH_UTIL_SPLITMIX_H

#include <stdint.h>

typedef struct mh_rng {
	uint64_t s;
} mh_rng;

static inline uint64_t mh_rng_next(mh_rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, n): the high 32 bits scaled, no modulo bias. */
static inline uint32_t mh_rng_below(mh_rng *r, uint32_t n)
{
	return (uint32_t)(((mh_rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

#endif
