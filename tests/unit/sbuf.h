/* A growing NUL-terminated byte buffer for the unit tests that build
 * inputs or dumps (test_prefilter.c, test_json_diff.c). Test code: on
 * out of memory it aborts. */
#ifndef MH_TEST_SBUF_H
#define MH_TEST_SBUF_H

#include <stdlib.h>
#include <string.h>

typedef struct sbuf {
	char *p;
	size_t n, cap;
} sbuf;

/* noinline: inlined, GCC 12 -O2 reports a bogus memcpy bound
 * (-Wstringop-overflow) on the grown buffer. */
__attribute__((noinline, unused)) static void sb_put(sbuf *b, const char *s,
						     size_t n)
{
	if (b->n + n + 1 > b->cap) {
		b->cap = (b->n + n + 1) * 2;
		b->p = realloc(b->p, b->cap);
		if (!b->p)
			abort();
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = 0;
}

static inline void sb_s(sbuf *b, const char *s)
{
	sb_put(b, s, strlen(s));
}

#endif
