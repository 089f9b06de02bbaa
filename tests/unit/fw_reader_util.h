/* Test helper for the line-oriented readers (ASA, PAN-OS, CEF/LEEF,
 * auditd): run a reader over a memory buffer and keep a copy of every
 * event's fields, so tests can look at them after the reader moved on. */
#ifndef FW_READER_UTIL_H
#define FW_READER_UTIL_H

#include "input/input.h"
#include "util/arena.h"

#include <stdlib.h>
#include <string.h>

#define FW_MAX_EV 64

typedef struct fw_res {
	size_t nev;
	char *v[FW_MAX_EV][MH_F__COUNT]; /* NULL = unset */
	int64_t t[FW_MAX_EV];
	uint64_t line[FW_MAX_EV];
	uint64_t malformed;
	char last_reason[512];
	uint64_t last_bad_line;
	mh_rc rc; /* of the final next() */
} fw_res;

static void fw_on_bad(void *ud, const char *file, uint64_t line,
		      const char *reason)
{
	fw_res *r = ud;

	(void)file;
	snprintf(r->last_reason, sizeof(r->last_reason), "%s", reason);
	r->last_bad_line = line;
}

static void fw_free(fw_res *r)
{
	for (size_t i = 0; i < FW_MAX_EV; i++)
		for (size_t f = 0; f < MH_F__COUNT; f++) {
			free(r->v[i][f]);
			r->v[i][f] = NULL;
		}
}

/* Run ops over buf[0..len). Returns the result (caller fw_free()s). */
static void fw_run_n(const mh_reader_ops *ops, const char *buf, size_t len,
		     fw_res *res)
{
	mh_source *src = NULL;
	mh_reader r;
	mh_event ev;
	mh_arena a;
	mh_err err;

	memset(res, 0, sizeof(*res));
	memset(&r, 0, sizeof(r));
	memset(&ev, 0, sizeof(ev));
	mh_arena_init(&a, 4096, 0);
	ev.arena = &a;
	if (mh_source_open_mem("mem", buf, len, &src, &err) != MH_OK) {
		res->rc = MH_EIO;
		return;
	}
	r.ops = ops;
	r.src = src;
	r.on_malformed = fw_on_bad;
	r.ud = res;
	res->rc = ops->open(&r, &err);
	while (res->rc == MH_OK) {
		res->rc = ops->next(&r, &ev, &err);
		if (res->rc != MH_OK)
			break;
		if (res->nev < FW_MAX_EV) {
			for (int f = 0; f < MH_F__COUNT; f++) {
				if (!mh_event_has(&ev, (mh_field)f))
					continue;
				res->v[res->nev][f] = malloc(ev.v[f].n + 1);
				memcpy(res->v[res->nev][f], ev.v[f].p,
				       ev.v[f].n);
				res->v[res->nev][f][ev.v[f].n] = '\0';
			}
			res->t[res->nev] =
			    mh_event_has(&ev, MH_F_TIME) ? ev.time_ns : -1;
			res->line[res->nev] = ev.line;
		}
		res->nev++;
	}
	res->malformed = r.stats.malformed;
	ops->close(&r);
	mh_source_close(src);
	mh_arena_free(&a);
}

static void fw_run(const mh_reader_ops *ops, const char *text, fw_res *res)
{
	fw_run_n(ops, text, strlen(text), res);
}

/* Value of field f of event i, or "(unset)". */
static const char *fw_get(const fw_res *r, size_t i, mh_field f)
{
	if (i >= FW_MAX_EV || !r->v[i][f])
		return "(unset)";
	return r->v[i][f];
}

/* Read a whole file (tests/data) into a malloc'd buffer. */
static char *fw_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *b = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (b = malloc((size_t)n + 1))) {
		*len = fread(b, 1, (size_t)n, f);
		b[*len] = '\0';
	}
	fclose(f);
	return b;
}

#endif
