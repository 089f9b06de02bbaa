#include "util/arena.h"

#include <stdlib.h>
#include <string.h>

struct mh_arena_block {
	mh_arena_block *next;
	size_t size;
	size_t used;
	_Alignas(16) unsigned char data[];
};

void mh_arena_init(mh_arena *a, size_t block_size, size_t cap)
{
	a->head = NULL;
	a->block_size = block_size ? block_size : 64 * 1024;
	a->used_total = 0;
	a->cap = cap;
}

void *mh_arena_alloc(mh_arena *a, size_t n)
{
	mh_arena_block *b = a->head;
	size_t need = (n + 15u) & ~(size_t)15u;
	void *p;

	if (need < n)
		return NULL;
	if (a->cap && a->used_total + need > a->cap)
		return NULL;
	if (!b || b->size - b->used < need) {
		size_t sz = a->block_size;
		if (sz < need)
			sz = need;
		b = malloc(sizeof(*b) + sz);
		if (!b)
			return NULL;
		b->size = sz;
		b->used = 0;
		b->next = a->head;
		a->head = b;
	}
	p = b->data + b->used;
	b->used += need;
	a->used_total += need;
	return p;
}

char *mh_arena_strndup(mh_arena *a, const char *s, size_t n)
{
	char *p = mh_arena_alloc(a, n + 1);
	if (!p)
		return NULL;
	if (n)
		memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void mh_arena_reset(mh_arena *a)
{
	mh_arena_block *b = a->head, *keep = NULL;

	/* Keep the oldest block (the last in the list): it is the one that
	 * was sized by block_size; later ones may be one-off large blocks. */
	while (b) {
		mh_arena_block *next = b->next;
		if (!next) {
			keep = b;
			break;
		}
		free(b);
		b = next;
	}
	if (keep) {
		keep->used = 0;
		keep->next = NULL;
	}
	a->head = keep;
	a->used_total = 0;
}

void mh_arena_free(mh_arena *a)
{
	mh_arena_block *b = a->head;
	while (b) {
		mh_arena_block *next = b->next;
		free(b);
		b = next;
	}
	a->head = NULL;
	a->used_total = 0;
}

void mh_arena_adopt(mh_arena *dst, mh_arena *src)
{
	mh_arena_block *last;

	if (!src->head)
		return;
	for (last = src->head; last->next; last = last->next)
		;
	if (dst->head) {
		/* after dst's newest block, which stays the one in use */
		last->next = dst->head->next;
		dst->head->next = src->head;
	} else {
		dst->head = src->head;
	}
	dst->used_total += src->used_total;
	src->head = NULL;
	src->used_total = 0;
}
