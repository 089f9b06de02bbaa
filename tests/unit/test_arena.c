/* The bump allocator: allocation, reset, and mh_arena_adopt() moving one
 * arena's blocks into another (the two-thread end of the correlations
 * hands its helper's alerts over that way). */
#include "mh_test.h"
#include "util/arena.h"

#include <stdint.h>

static void test_alloc_reset(void)
{
	mh_arena a;
	char *p, *q;

	mh_arena_init(&a, 64, 0);
	p = mh_arena_alloc(&a, 10);
	q = mh_arena_alloc(&a, 100); /* larger than a block: its own */
	MH_CHECK(p && q && p != q);
	MH_CHECK(((uintptr_t)p & 15) == 0 && ((uintptr_t)q & 15) == 0);
	MH_CHECK_EQ_INT(a.used_total, 16 + 112);
	memset(q, 'x', 100);
	mh_arena_reset(&a);
	MH_CHECK_EQ_INT(a.used_total, 0);
	MH_CHECK(mh_arena_alloc(&a, 8) != NULL);
	mh_arena_free(&a);
	/* a cap refuses what would pass it */
	mh_arena_init(&a, 64, 32);
	MH_CHECK(mh_arena_alloc(&a, 16) != NULL);
	MH_CHECK(mh_arena_alloc(&a, 32) == NULL);
	mh_arena_free(&a);
}

static void test_adopt(void)
{
	mh_arena dst, src;
	char *d[40], *s[40];

	mh_arena_init(&dst, 256, 0);
	mh_arena_init(&src, 256, 0);
	for (int i = 0; i < 40; i++) {
		d[i] = mh_arena_strndup(&dst, "dst-value", 9);
		s[i] = mh_arena_strndup(&src, "src-value", 9);
		MH_CHECK(d[i] && s[i]);
	}
	mh_arena_adopt(&dst, &src);
	MH_CHECK_EQ_INT(src.used_total, 0);
	MH_CHECK(src.head == NULL);
	MH_CHECK_EQ_INT(dst.used_total, 2 * 40 * 16);
	/* what src handed out lives on in dst */
	for (int i = 0; i < 40; i++) {
		MH_CHECK_EQ_STR(d[i], "dst-value");
		MH_CHECK_EQ_STR(s[i], "src-value");
	}
	/* dst goes on allocating, and src can be used again */
	MH_CHECK(mh_arena_alloc(&dst, 300) != NULL);
	MH_CHECK(mh_arena_alloc(&src, 8) != NULL);
	mh_arena_free(&src);
	/* adopting into an empty arena, and an empty one: no change */
	mh_arena_init(&src, 64, 0);
	{
		mh_arena empty;
		mh_arena_init(&empty, 64, 0);
		mh_arena_adopt(&dst, &empty);
		MH_CHECK(empty.head == NULL);
		char *x = mh_arena_strndup(&src, "x", 1);
		mh_arena_adopt(&empty, &src);
		MH_CHECK(empty.head != NULL && src.head == NULL);
		MH_CHECK_EQ_STR(x, "x");
		mh_arena_free(&empty);
	}
	/* a reset of dst frees the adopted blocks too (ASan: no leak) */
	mh_arena_reset(&dst);
	MH_CHECK_EQ_INT(dst.used_total, 0);
	mh_arena_free(&dst);
}

int main(void)
{
	MH_RUN(test_alloc_reset);
	MH_RUN(test_adopt);
	MH_DONE();
}
