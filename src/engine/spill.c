/* Alerts past the engine's alert budget go to a temporary file in sorted
 * runs, and mh_engine_next_alert() merges the runs back in order, so a
 * scan that raises millions of alerts keeps a bounded number of them in
 * memory. The file is private to the process (unlinked at once) and its
 * records are in the machine's own byte order. */
#include "engine/engine_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SPILL_WBUF (1u << 20)  /* write buffer */
#define SPILL_RBUF (64u << 10) /* read buffer per run, grows for a record */

/* one sorted run: bytes [pos, end) of the file left to read */
struct eng_run {
	uint64_t pos, end;
	char *buf;
	size_t cap, len, at;
	mh_arena ar;   /* the current alert's memory */
	eng_alert cur; /* valid while have */
	bool have;
};

/* ---- writing --------------------------------------------------------- */

static bool wflush(mh_engine *e)
{
	size_t done = 0;

	while (done < e->sw_n) {
		ssize_t w = write(e->spill_fd, e->sw + done, e->sw_n - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		done += (size_t)w;
	}
	e->spill_size += e->sw_n;
	e->sw_n = 0;
	return true;
}

/* Append to the write buffer, growing it: a record is always whole in
 * the buffer when it is flushed (its length is patched in afterwards). */
static bool wput(mh_engine *e, const void *p, size_t n)
{
	if (e->sw_cap - e->sw_n < n) {
		size_t cap = e->sw_cap ? e->sw_cap : SPILL_WBUF;
		char *b;
		while (cap - e->sw_n < n)
			cap *= 2;
		if (!(b = realloc(e->sw, cap)))
			return false;
		e->sw = b;
		e->sw_cap = cap;
	}
	if (n)
		memcpy(e->sw + e->sw_n, p, n);
	e->sw_n += n;
	return true;
}

static bool wu32(mh_engine *e, uint32_t v)
{
	return wput(e, &v, sizeof(v));
}

static bool wstr(mh_engine *e, const char *p, size_t n)
{
	return n <= UINT32_MAX && wu32(e, (uint32_t)n) && wput(e, p, n);
}

static bool wkvs(mh_engine *e, const mh_alert_kv *kv, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int32_t f = (int32_t)kv[i].field;
		uint8_t set = kv[i].set;
		const char *name = kv[i].name ? kv[i].name : "";
		if (!wput(e, &f, sizeof(f)) || !wput(e, &set, 1) ||
		    !wstr(e, name, strlen(name)) ||
		    !wstr(e, kv[i].val.p, kv[i].val.n))
			return false;
	}
	return true;
}

/* One alert: its length, then the fixed part, then the arrays. */
static bool wrecord(mh_engine *e, const eng_alert *x)
{
	const mh_alert *a = &x->a;
	size_t start = e->sw_n;
	uint32_t len = 0;
	int32_t level = (int32_t)a->level;
	uint8_t flags = (uint8_t)(a->bytes_set | a->users_truncated << 1);
	uint32_t n[5] = {(uint32_t)a->ngroup, (uint32_t)a->nusers,
			 (uint32_t)a->ncontrib, (uint32_t)a->nctx,
			 (uint32_t)a->nrefs};
	bool ok;

	ok = wu32(e, 0) /* the length, patched below */ &&
	     wu32(e, a->rule->index) && wput(e, &x->seq, sizeof(x->seq)) &&
	     wput(e, &level, sizeof(level)) &&
	     wput(e, &a->count, sizeof(a->count)) &&
	     wput(e, &a->distinct_dst, sizeof(a->distinct_dst)) &&
	     wput(e, &flags, 1) &&
	     wput(e, &a->bytes_sent, sizeof(a->bytes_sent)) &&
	     wput(e, &a->first_ns, sizeof(a->first_ns)) &&
	     wput(e, &a->last_ns, sizeof(a->last_ns)) &&
	     wput(e, &a->value, sizeof(a->value)) && wput(e, n, sizeof(n)) &&
	     wkvs(e, a->group, a->ngroup);
	for (size_t i = 0; ok && i < a->nusers; i++)
		ok = wstr(e, a->users[i].p, a->users[i].n);
	for (size_t i = 0; ok && i < a->ncontrib; i++)
		ok = wu32(e, a->contrib[i]->index);
	ok = ok && wkvs(e, a->ctx, a->nctx);
	for (size_t i = 0; ok && i < a->nrefs; i++)
		ok = wstr(e, a->refs[i].p, a->refs[i].n);
	if (!ok || e->sw_n - start - 4 > UINT32_MAX)
		return false;
	len = (uint32_t)(e->sw_n - start - 4);
	memcpy(e->sw + start, &len, sizeof(len));
	return true;
}

static int spill_open(void)
{
	const char *dir = getenv("TMPDIR");
	char path[4096];
	int fd, n;

	if (!dir || !*dir)
		dir = "/tmp";
	n = snprintf(path, sizeof(path), "%s/mailhunt-alerts-XXXXXX", dir);
	if (n < 0 || (size_t)n >= sizeof(path))
		return -1;
	fd = mkstemp(path);
	if (fd >= 0)
		unlink(path);
	return fd;
}

mh_rc mh_eng_spill(mh_engine *e)
{
	struct eng_run *r;
	uint64_t start;

	if (!e->nalerts || e->spill_failed)
		return MH_OK;
	if (e->spill_fd < 0 && (e->spill_fd = spill_open()) < 0)
		goto fail;
	if (e->nruns == e->runs_cap) {
		size_t n = e->runs_cap ? e->runs_cap * 2 : 8;
		struct eng_run *v = realloc(e->runs, n * sizeof(*v));
		if (!v)
			return MH_ENOMEM;
		e->runs = v;
		e->runs_cap = n;
	}
	mh_eng_sort_alerts(e);
	start = e->spill_size;
	for (size_t i = 0; i < e->nalerts; i++) {
		/* records are whole in the buffer: flush between them */
		if (e->sw_n >= SPILL_WBUF / 2 && !wflush(e))
			goto fail;
		if (!wrecord(e, e->alerts[i]))
			goto fail;
	}
	if (!wflush(e))
		goto fail;
	r = &e->runs[e->nruns++];
	memset(r, 0, sizeof(*r));
	r->pos = start;
	r->end = e->spill_size;
	mh_arena_init(&r->ar, 16 * 1024, 0);
	e->st.spilled += e->nalerts;
	e->nalerts = 0;
	mh_arena_reset(&e->arena);
	return MH_OK;
fail:
	/* no temporary file (read-only, full): the alerts stay in memory */
	e->sw_n = 0;
	e->spill_failed = true;
	e->spill_errno = errno ? errno : EIO;
	return MH_OK;
}

/* ---- reading --------------------------------------------------------- */

/* At least n bytes of run r at r->buf + r->at; false at its end or on a
 * read error (errno). */
static bool rneed(mh_engine *e, struct eng_run *r, size_t n)
{
	while (r->len - r->at < n) {
		size_t keep = r->len - r->at, want;
		ssize_t got;
		if (r->at) {
			memmove(r->buf, r->buf + r->at, keep);
			r->len = keep;
			r->at = 0;
		}
		if (r->cap < n || r->cap - r->len == 0) {
			size_t cap = r->cap ? r->cap : SPILL_RBUF;
			char *b;
			while (cap < n)
				cap *= 2;
			if (cap == r->cap)
				cap *= 2;
			if (!(b = realloc(r->buf, cap)))
				return false;
			r->buf = b;
			r->cap = cap;
		}
		want = r->cap - r->len;
		if (want > r->end - r->pos)
			want = (size_t)(r->end - r->pos);
		if (!want) {
			errno = EIO; /* the run ends inside a record */
			return false;
		}
		got = pread(e->spill_fd, r->buf + r->len, want, (off_t)r->pos);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			if (!got)
				errno = EIO;
			return false;
		}
		r->len += (size_t)got;
		r->pos += (uint64_t)got;
	}
	return true;
}

/* A cursor over one record. */
typedef struct rcur {
	const char *p, *end;
	bool bad;
} rcur;

static void rget(rcur *c, void *out, size_t n)
{
	if (c->bad || (size_t)(c->end - c->p) < n) {
		c->bad = true;
		memset(out, 0, n);
		return;
	}
	memcpy(out, c->p, n);
	c->p += n;
}

static mh_str rstr(rcur *c, mh_arena *ar)
{
	uint32_t n = 0;
	mh_str s = {"", 0};
	char *q;

	rget(c, &n, sizeof(n));
	if (c->bad || (size_t)(c->end - c->p) < n) {
		c->bad = true;
		return s;
	}
	if (!(q = mh_arena_strndup(ar, c->p, n))) {
		c->bad = true;
		return s;
	}
	c->p += n;
	s.p = q;
	s.n = n;
	return s;
}

/* n strings into an array of the arena (NULL when n is 0). */
static const mh_str *rstrs(rcur *c, mh_arena *ar, uint32_t n)
{
	mh_str *v;

	if (!n)
		return NULL;
	if (!(v = mh_arena_alloc(ar, n * sizeof(*v)))) {
		c->bad = true;
		return NULL;
	}
	for (uint32_t i = 0; i < n; i++)
		v[i] = rstr(c, ar);
	return v;
}

static mh_alert_kv *rkvs(rcur *c, mh_arena *ar, uint32_t n)
{
	mh_alert_kv *kv = mh_arena_alloc(ar, (n ? n : 1) * sizeof(*kv));

	if (!kv) {
		c->bad = true;
		return NULL;
	}
	for (uint32_t i = 0; i < n && !c->bad; i++) {
		int32_t f = 0;
		uint8_t set = 0;
		mh_str name;
		rget(c, &f, sizeof(f));
		rget(c, &set, 1);
		name = rstr(c, ar);
		kv[i].val = rstr(c, ar);
		if (f < 0 || f >= MH_F__COUNT)
			f = MH_F_NONE;
		kv[i].field = (mh_field)f;
		kv[i].set = set != 0;
		kv[i].name =
		    f != MH_F_NONE ? mh_field_name((mh_field)f) : name.p;
	}
	return kv;
}

static const mh_rule *rrule(const mh_engine *e, uint32_t idx, rcur *c)
{
	if (idx >= e->nrules) {
		c->bad = true;
		return NULL;
	}
	return e->rules[idx];
}

/* The next alert of run r into r->cur (r->have false at its end). */
static mh_rc rnext(mh_engine *e, struct eng_run *r)
{
	mh_alert *a = &r->cur.a;
	uint32_t len = 0, ridx = 0, n[5];
	int32_t level = 0;
	uint8_t flags = 0;
	rcur c;

	r->have = false;
	mh_arena_reset(&r->ar);
	if (r->pos == r->end && r->at == r->len)
		return MH_OK;
	if (!rneed(e, r, sizeof(len)))
		return MH_EIO;
	memcpy(&len, r->buf + r->at, sizeof(len));
	r->at += sizeof(len);
	if (!rneed(e, r, len))
		return MH_EIO;
	c.p = r->buf + r->at;
	c.end = c.p + len;
	c.bad = false;
	r->at += len;
	memset(&r->cur, 0, sizeof(r->cur));
	rget(&c, &ridx, sizeof(ridx));
	a->rule = rrule(e, ridx, &c);
	rget(&c, &r->cur.seq, sizeof(r->cur.seq));
	rget(&c, &level, sizeof(level));
	a->level = (mh_level)level;
	rget(&c, &a->count, sizeof(a->count));
	rget(&c, &a->distinct_dst, sizeof(a->distinct_dst));
	rget(&c, &flags, 1);
	a->bytes_set = flags & 1;
	a->users_truncated = (flags >> 1) & 1;
	rget(&c, &a->bytes_sent, sizeof(a->bytes_sent));
	rget(&c, &a->first_ns, sizeof(a->first_ns));
	rget(&c, &a->last_ns, sizeof(a->last_ns));
	rget(&c, &a->value, sizeof(a->value));
	rget(&c, n, sizeof(n));
	if (c.bad)
		return MH_EIO;
	a->ngroup = n[0];
	a->group = rkvs(&c, &r->ar, n[0]);
	a->users = rstrs(&c, &r->ar, n[1]);
	a->nusers = n[1];
	if (n[2]) {
		const mh_rule **cr = mh_arena_alloc(&r->ar, n[2] * sizeof(*cr));
		c.bad |= !cr;
		for (uint32_t i = 0; cr && i < n[2]; i++) {
			uint32_t k = 0;
			rget(&c, &k, sizeof(k));
			cr[i] = rrule(e, k, &c);
		}
		a->contrib = cr;
		a->ncontrib = n[2];
	}
	a->nctx = n[3];
	a->ctx = rkvs(&c, &r->ar, n[3]);
	a->refs = rstrs(&c, &r->ar, n[4]);
	a->nrefs = n[4];
	if (c.bad || c.p != c.end) {
		errno = EIO;
		return MH_EIO;
	}
	r->have = true;
	return MH_OK;
}

mh_rc mh_eng_merge_start(mh_engine *e)
{
	for (size_t i = 0; i < e->nruns; i++) {
		mh_rc rc = rnext(e, &e->runs[i]);
		if (rc != MH_OK)
			return rc;
	}
	e->next_i = 0;
	e->merge_last = SIZE_MAX;
	return MH_OK;
}

/* The least of the runs' current alerts and the next sorted alert in
 * memory (those that were not spilled). */
mh_rc mh_eng_merge_next(mh_engine *e, const mh_alert **out)
{
	const eng_alert *bx = NULL;
	size_t best = SIZE_MAX;

	*out = NULL;
	if (e->merge_last != SIZE_MAX) {
		mh_rc rc = rnext(e, &e->runs[e->merge_last]);
		e->merge_last = SIZE_MAX;
		if (rc != MH_OK)
			return rc;
	}
	for (size_t i = 0; i < e->nruns; i++)
		if (e->runs[i].have &&
		    (!bx || mh_eng_alert_cmp(e, &e->runs[i].cur, bx) < 0)) {
			best = i;
			bx = &e->runs[i].cur;
		}
	if (e->next_i < e->nalerts &&
	    (!bx || mh_eng_alert_cmp(e, e->alerts[e->next_i], bx) < 0)) {
		*out = &e->alerts[e->next_i++]->a;
		return MH_OK;
	}
	if (!bx)
		return MH_EOF;
	e->merge_last = best;
	*out = &bx->a;
	return MH_OK;
}

void mh_eng_spill_free(mh_engine *e)
{
	for (size_t i = 0; i < e->nruns; i++) {
		free(e->runs[i].buf);
		mh_arena_free(&e->runs[i].ar);
	}
	free(e->runs);
	free(e->sw);
	if (e->spill_fd >= 0)
		close(e->spill_fd);
	e->runs = NULL;
	e->nruns = e->runs_cap = 0;
	e->sw = NULL;
	e->sw_n = e->sw_cap = 0;
	e->spill_fd = -1;
}
