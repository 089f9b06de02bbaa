/* Bump allocator. Not thread-safe: one arena per worker or per batch.
 * mh_arena_reset() keeps the first block and frees the rest, so a
 * per-record arena settles at a steady size with no malloc per record. */
#ifndef MH_UTIL_ARENA_H
#define MH_UTIL_ARENA_H

#include "util/mh.h"

typedef struct mh_arena_block mh_arena_block;
typedef struct mh_arena {
	mh_arena_block *head;
	size_t block_size; /* default size of a new block */
	size_t used_total; /* bytes handed out since last reset */
	size_t cap;	   /* 0 = unlimited; otherwise alloc fails past it */
} mh_arena;

void mh_arena_init(mh_arena *a, size_t block_size, size_t cap);
/* Returns NULL when out of memory or past cap. Alignment: 16. */
void *mh_arena_alloc(mh_arena *a, size_t n);
/* Copy n bytes and NUL-terminate. */
char *mh_arena_strndup(mh_arena *a, const char *s, size_t n);
void mh_arena_reset(mh_arena *a);
void mh_arena_free(mh_arena *a);
/* Move every block of src into dst: what src handed out now lives as
 * long as dst's allocations; src is left empty and may be reused. dst
 * keeps allocating from its own newest block, and mh_arena_reset(dst)
 * still keeps dst's oldest one. */
void mh_arena_adopt(mh_arena *dst, mh_arena *src);

#endif
