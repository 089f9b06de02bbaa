/* Fast non-cryptographic hashing (64-bit). Stable across runs and
 * platforms so that output ordering that depends on it is reproducible. */
#ifndef MH_UTIL_HASH_H
#define MH_UTIL_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint64_t mh_hash_mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

/* Hash n bytes, seeded. */
static inline uint64_t mh_hash_bytes(const void *data, size_t n, uint64_t seed)
{
	const unsigned char *p = data;
	uint64_t h = seed ^ (n * 0x9e3779b97f4a7c15ULL);
	while (n >= 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		h = (h ^ mh_hash_mix(w)) * 0x9e3779b97f4a7c15ULL;
		p += 8;
		n -= 8;
	}
	if (n) {
		uint64_t w = 0;
		memcpy(&w, p, n);
		h = (h ^ mh_hash_mix(w ^ 0x5bd1e995ULL)) *
		    0x9e3779b97f4a7c15ULL;
	}
	return mh_hash_mix(h);
}

static inline uint64_t mh_hash_u64(uint64_t v)
{
	return mh_hash_mix(v ^ 0x9e3779b97f4a7c15ULL);
}

#endif
