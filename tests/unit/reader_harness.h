/* Reader test harness: run one reader (any mh_reader_ops) over a memory
 * buffer or a source, and collect its malformed-record reports.
 * Single-threaded, one harness at a time (the report list is static). */
#ifndef MH_TEST_READER_HARNESS_H
#define MH_TEST_READER_HARNESS_H

#include "input/input.h"
#include "mh_test.h"

#include <stdio.h>
#include <string.h>

/* The malformed records the open reader reported (the first 16). */
static struct {
	int n;
	uint64_t line[16];
	char why[16][256];
} bad;

static void on_bad(void *ud, const char *file, uint64_t line,
		   const char *reason)
{
	(void)ud;
	(void)file;
	if (bad.n < 16) {
		bad.line[bad.n] = line;
		snprintf(bad.why[bad.n], sizeof(bad.why[0]), "%s", reason);
	}
	bad.n++;
}

typedef struct harness {
	mh_reader r;
	mh_event ev;
	mh_arena arena;
	mh_err err;
} harness;

/* Open ops over src (the harness owns src from here). need may be NULL
 * (every field). Resets the report list. */
static void rh_open_src(harness *h, const mh_reader_ops *ops, mh_source *src,
			const mh_fieldset *need)
{
	memset(h, 0, sizeof(*h));
	memset(&bad, 0, sizeof(bad));
	mh_arena_init(&h->arena, 4096, 0);
	h->ev.arena = &h->arena;
	h->r.ops = ops;
	h->r.src = src;
	h->r.on_malformed = on_bad;
	if (need)
		h->r.need = *need;
	MH_CHECK_EQ_INT(ops->open(&h->r, &h->err), MH_OK);
}

/* Open ops over buf[0..len) named `name` (the buffer must outlive the
 * harness). */
static void rh_open_mem(harness *h, const mh_reader_ops *ops,
			const char *name, const void *buf, size_t len,
			const mh_fieldset *need)
{
	mh_source *src = NULL;

	MH_CHECK_EQ_INT(mh_source_open_mem(name, buf, len, &src, NULL), MH_OK);
	rh_open_src(h, ops, src, need);
}

static mh_rc rh_next(harness *h)
{
	return h->r.ops->next(&h->r, &h->ev, &h->err);
}

static void rh_close(harness *h)
{
	h->r.ops->close(&h->r);
	mh_source_close(h->r.src);
	mh_arena_free(&h->arena);
}

#endif
