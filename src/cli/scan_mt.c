/* Multi-threaded scan of one uncompressed NDJSON file: see scan_mt.h.
 * The per-event steps mirror scan_file() in scan.c (time bounds, the
 * default-now time, the prefilter, normalise, match). */
#include "cli/scan_mt.h"

#include "util/thread.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define DEF_CHUNK (4u << 20)
#define MIN_CHUNK 4096u
/* Bytes of matched-event copies a chunk should hold: when most records
 * match, chunks shrink so that the slots in flight stay near
 * nslots * COPY_BUDGET instead of growing with the match rate (the
 * correlation engine's --max-memory share assumes a bounded reader). */
#define COPY_BUDGET	   (2u << 20)
#define MIN_AUTO_CHUNK	   (256u << 10)
#define MAX_MATCHES	   1024
#define KEEP_PAGES_THREADS 2

/* One matched event, copied out of the worker's buffers. */
typedef struct cev {
	struct cev *next;
	uint64_t line; /* within the chunk */
	int64_t time_ns;
	int64_t run_max; /* latest time noted up to this event (chunk) */
	bool have_run;
	mh_fieldset multi;
	uint32_t nm, nf;
	uint32_t *m; /* matched rule indexes */
	uint16_t *f; /* fields present */
	mh_str *v;   /* their values (in the slot arena) */
} cev;

enum { S_FREE, S_RUN, S_DONE };

typedef struct slot {
	size_t idx;
	uint64_t off;
	size_t len;
	int state;
	mh_rc rc;
	mh_err err;
	mh_arena arena;
	cev *head, **tail;
	uint64_t lines, events, matched, records, malformed, skipped;
	bool have_t;
	int64_t tmax;
	bool redo; /* malformed input: scan again on the calling thread */
} slot;

typedef struct mt {
	const mh_mt_args *a;
	mh_reader *proto;
	mh_source *src;
	const char *base;
	size_t len, chunk;
	size_t cur_chunk; /* chunk, or less when copies are large */
	char dialect[32];
	pthread_mutex_t mu;
	pthread_cond_t cv; /* a chunk finished, merged, or the scan stops */
	slot *slots;
	size_t nslots;
	size_t next_idx, merged;
	uint64_t next_off;
	bool stop;
	bool merging; /* a thread is feeding the engine */
	/* written by the merging thread only */
	uint64_t lines; /* lines of the merged chunks */
	mh_mt_stats st;
	mh_rc rc;
	mh_err err;
} mt;

/* Per-thread scratch, for scanning a chunk or merging one. */
typedef struct wctx {
	bool caller;	    /* the calling thread (else a worker) */
	mh_match_ctx *mctx; /* NULL if it could not be allocated */
	mh_event ev;
	mh_arena scratch;
} wctx;

bool mh_scan_mt_eligible(const mh_reader *rd, mh_source *src)
{
	const char *p;
	size_t n;

	return rd->ops == &mh_input_json && mh_input_json_is_ndjson(rd) &&
	       mh_source_mem(src, &p, &n) && mh_source_offset(src) == 0;
}

static bool in_sorted(const int64_t *v, size_t n, int64_t x)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v[mid] == x)
			return true;
		if (v[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static void count_bad(void *ud, const char *file, uint64_t line,
		      const char *reason)
{
	(void)file;
	(void)line;
	(void)reason;
	((slot *)ud)->malformed++;
}

/* Copy ev (and its matches) into the slot. */
static mh_rc keep(slot *s, const mh_event *ev, const uint32_t *m, size_t n,
		  bool have_run, int64_t run_max)
{
	cev *c = mh_arena_alloc(&s->arena, sizeof(*c));
	uint32_t nf = 0, i = 0;
	size_t total = 0;
	char *cp;

	if (!c)
		return MH_ENOMEM;
	for (unsigned w = 0; w < MH_FIELD_WORDS; w++)
		nf += (uint32_t)__builtin_popcountll(ev->present.w[w]);
	memset(c, 0, sizeof(*c));
	c->line = ev->line;
	c->time_ns = ev->time_ns;
	c->run_max = run_max;
	c->have_run = have_run;
	c->multi = ev->multi;
	c->nm = (uint32_t)n;
	c->nf = nf;
	c->m = mh_arena_alloc(&s->arena, n * sizeof(*c->m) + 1);
	c->f = mh_arena_alloc(&s->arena, nf * sizeof(*c->f) + 1);
	c->v = mh_arena_alloc(&s->arena, nf * sizeof(*c->v) + 1);
	if (!c->m || !c->f || !c->v)
		return MH_ENOMEM;
	memcpy(c->m, m, n * sizeof(*m));
	/* the values, NUL-terminated, packed in one block */
	for (unsigned w = 0; w < MH_FIELD_WORDS; w++)
		for (uint64_t b = ev->present.w[w]; b; b &= b - 1)
			total +=
			    ev->v[w * 64 + (unsigned)__builtin_ctzll(b)].n + 1;
	if (!(cp = mh_arena_alloc(&s->arena, total + 1)))
		return MH_ENOMEM;
	for (unsigned w = 0; w < MH_FIELD_WORDS; w++) {
		uint64_t b = ev->present.w[w];
		while (b) {
			unsigned f = w * 64 + (unsigned)__builtin_ctzll(b);
			const mh_str *x = &ev->v[f];
			if (x->n)
				memcpy(cp, x->p, x->n);
			cp[x->n] = '\0';
			c->f[i] = (uint16_t)f;
			c->v[i].p = cp;
			c->v[i].n = x->n;
			cp += x->n + 1;
			i++;
			b &= b - 1;
		}
	}
	*s->tail = c;
	s->tail = &c->next;
	return MH_OK;
}

/* Scan the slot's chunk. On a worker (line_base == NULL) matched events
 * are kept in the slot and the scan stops at the first malformed record
 * (s->redo). On the calling thread (*line_base = lines before the chunk)
 * malformed records are reported through the reader's callback and
 * matched events go to the engine at once. */
static mh_rc run_chunk(mt *m, slot *s, wctx *w, const uint64_t *line_base,
		       mh_err *err)
{
	const mh_mt_args *a = m->a;
	const mh_reader *pr = m->proto;
	mh_source *src = NULL;
	mh_reader r;
	uint32_t matched[MAX_MATCHES];
	bool have_run = false;
	int64_t run_max = 0;
	mh_rc rc;

	memset(&r, 0, sizeof(r));
	rc = mh_source_open_slice(m->src, s->off, s->len, &src, err);
	if (rc != MH_OK)
		return rc;
	/* Up to KEEP_PAGES_THREADS threads the main thread releases the
	 * file's pages as it merges (at most N + 2 chunks stay mapped);
	 * with more, each worker releases its own, at the price of a TLB
	 * shootdown each time. */
	if (a->threads <= KEEP_PAGES_THREADS)
		mh_source_slice_keep_pages(src);
	if (line_base)
		mh_source_set_line(src, *line_base);
	r.ops = pr->ops;
	r.src = src;
	r.need = pr->need;
	r.on_malformed = line_base ? pr->on_malformed : count_bad;
	r.ud = line_base ? pr->ud : s;
	r.pf_field = pr->pf_field;
	r.pf_vals = pr->pf_vals;
	r.pf_n = pr->pf_n;
	r.pf_allow_unset = pr->pf_allow_unset;
	r.pf_unset_proto = pr->pf_unset_proto;
	r.pf_str_set = pr->pf_str_set;
	r.pf_str_field = pr->pf_str_field;
	r.pf_vf = pr->pf_vf;
	r.pf_vonly = pr->pf_vonly;
	r.pf_since_set = pr->pf_since_set;
	r.pf_since_ns = pr->pf_since_ns;
	r.pf_until_set = pr->pf_until_set;
	r.pf_until_ns = pr->pf_until_ns;
	r.pf_no_time = pr->pf_no_time;
	r.force_dialect = pr->force_dialect;
	rc = r.ops->open(&r, err);
	if (rc != MH_OK) {
		mh_source_close(src);
		return rc;
	}
	/* The first chunk detects like a one-thread scan; the others start
	 * with the dialect of the file's first records. */
	mh_input_json_resume(&r, s->off ? m->dialect : NULL);
	w->ev.arena = &w->scratch;

	for (;;) {
		mh_event *ev = &w->ev;
		size_t n;

		mh_event_clear(ev);
		mh_arena_reset(&w->scratch);
		rc = r.ops->next(&r, ev, err);
		if (rc == MH_EOF) {
			rc = MH_OK;
			break;
		}
		if (rc != MH_OK)
			break;
		if (!line_base && s->malformed) {
			s->redo = true;
			break;
		}
		if (r.skip_time_set &&
		    (!have_run || r.skip_time_ns > run_max)) {
			run_max = r.skip_time_ns;
			have_run = true;
		}
		if (mh_event_has(ev, MH_F_TIME)) {
			if (a->since_set && ev->time_ns < a->since_ns)
				continue;
			if (a->until_set && ev->time_ns > a->until_ns)
				continue;
			if (!have_run || ev->time_ns > run_max) {
				run_max = ev->time_ns;
				have_run = true;
			}
		}
		/* the plain form only: the disjunctive one (issue 4) is
		 * applied by the JSON reader alone */
		if (pr->pf_n && !pr->pf_allow_unset && !pr->pf_str_set) {
			int64_t v;
			if (!mh_event_int(ev, pr->pf_field, &v) ||
			    !in_sorted(pr->pf_vals, pr->pf_n, v))
				continue;
		}
		mh_event_normalize(a->nctx, ev);
		n = mh_ruleset_match(a->rs, w->mctx, ev, matched, MAX_MATCHES);
		if (!n)
			continue;
		s->matched++;
		if (line_base) {
			if (have_run)
				mh_engine_note_time(a->eng, run_max);
			rc = mh_engine_feed(a->eng, ev, matched, n, err);
		} else {
			rc = keep(s, ev, matched, n, have_run, run_max);
			if (rc == MH_ENOMEM)
				mh_err_set(err, rc, mh_source_name(src), 0, 0,
					   "out of memory");
		}
		if (rc != MH_OK)
			break;
	}
	if (!line_base && s->malformed)
		s->redo = true;
	if (r.skip_time_set && (!have_run || r.skip_time_ns > run_max)) {
		run_max = r.skip_time_ns;
		have_run = true;
	}
	s->have_t = have_run;
	s->tmax = run_max;
	s->lines = mh_source_lines(src) - (line_base ? *line_base : 0);
	s->records = r.stats.records;
	s->skipped = r.stats.skipped;
	s->events = r.stats.records + r.stats.skipped;
	if (line_base)
		s->malformed = r.stats.malformed;
	r.ops->close(&r);
	mh_source_close(src);
	return rc;
}

/* Claim the next chunk and scan it into its slot, if there is one and a
 * free slot for it: true when a chunk was scanned. Called with m->mu
 * held, which it releases while scanning. */
static bool claim_run(mt *m, wctx *w)
{
	slot *s;

	if (m->stop || m->next_off >= m->len ||
	    m->next_idx >= m->merged + m->nslots)
		return false;
	s = &m->slots[m->next_idx % m->nslots];
	s->idx = m->next_idx++;
	s->off = m->next_off;
	s->len = mh_split_chunk(m->base, m->len, m->next_off, m->cur_chunk) -
		 m->next_off;
	m->next_off += s->len;
	s->state = S_RUN;
	pthread_mutex_unlock(&m->mu);

	mh_arena_reset(&s->arena);
	s->head = NULL;
	s->tail = &s->head;
	s->lines = s->events = s->matched = 0;
	s->records = s->malformed = s->skipped = 0;
	s->have_t = s->redo = false;
	mh_err_clear(&s->err);
	if (w->mctx)
		s->rc = run_chunk(m, s, w, NULL, &s->err);
	else
		s->rc =
		    mh_err_set(&s->err, MH_ENOMEM, NULL, 0, 0, "out of memory");

	pthread_mutex_lock(&m->mu);
	s->state = S_DONE;
	pthread_cond_broadcast(&m->cv);
	return true;
}

/* The dialect of the file's first records (what a one-thread reader
 * would start every chunk with). */
static void first_dialect(mt *m)
{
	mh_source *src = NULL;
	mh_reader r;
	mh_event ev;
	mh_arena ar;
	slot dummy;
	size_t len = mh_split_chunk(m->base, m->len, 0, 1u << 20);

	m->dialect[0] = 0;
	memset(&r, 0, sizeof(r));
	memset(&ev, 0, sizeof(ev));
	memset(&dummy, 0, sizeof(dummy));
	mh_arena_init(&ar, 64 * 1024, 0);
	ev.arena = &ar;
	if (mh_source_open_slice(m->src, 0, len, &src, NULL) != MH_OK)
		goto out;
	r.ops = m->proto->ops;
	r.src = src;
	r.need = m->proto->need;
	r.on_malformed = count_bad;
	r.ud = &dummy;
	r.force_dialect = m->proto->force_dialect;
	if (r.ops->open(&r, NULL) != MH_OK)
		goto out;
	mh_input_json_resume(&r, NULL);
	for (int i = 0; i < 1000 && !r.dialect[0]; i++) {
		mh_event_clear(&ev);
		mh_arena_reset(&ar);
		if (r.ops->next(&r, &ev, NULL) != MH_OK)
			break;
	}
	snprintf(m->dialect, sizeof(m->dialect), "%s", r.dialect);
	r.ops->close(&r);
out:
	mh_source_close(src);
	mh_arena_free(&ar);
}

/* Feed a finished chunk's matched events to the engine. */
static mh_rc feed(mt *m, slot *s, uint64_t line_base, wctx *w, mh_err *err)
{
	const char *name = mh_source_name(m->src);
	mh_event *ev = &w->ev;

	for (cev *c = s->head; c; c = c->next) {
		mh_rc rc;

		mh_event_clear(ev);
		mh_arena_reset(&w->scratch);
		for (uint32_t i = 0; i < c->nf; i++)
			mh_event_set(ev, (mh_field)c->f[i], c->v[i].p,
				     c->v[i].n);
		ev->multi = c->multi;
		ev->time_ns = c->time_ns;
		ev->line = line_base + c->line;
		ev->file = name;
		ev->arena = &w->scratch;
		if (c->have_run)
			mh_engine_note_time(m->a->eng, c->run_max);
		rc = mh_engine_feed(m->a->eng, ev, c->m, c->nm, err);
		if (rc != MH_OK)
			return rc;
	}
	if (s->have_t)
		mh_engine_note_time(m->a->eng, s->tmax);
	return MH_OK;
}

/* The chunk size for the next claims, from the copy bytes per input
 * byte of the slot just merged: at most m->chunk (the requested size),
 * at least MIN_AUTO_CHUNK unless m->chunk is smaller. Chunk boundaries
 * do not change the output (events are merged in file order). Called on
 * the merging thread with m->mu held; s is no longer written by a
 * worker. */
static size_t next_chunk(const mt *m, const slot *s)
{
	double ratio;
	size_t c;

	if (!s->len)
		return m->cur_chunk;
	ratio = (double)s->arena.used_total / (double)s->len;
	if (ratio * (double)m->chunk <= (double)COPY_BUDGET)
		return m->chunk;
	c = (size_t)((double)COPY_BUDGET / ratio);
	if (c < MIN_AUTO_CHUNK)
		c = MIN_AUTO_CHUNK;
	return c < m->chunk ? c : m->chunk;
}

/* Merge every finished chunk that is next in file order, unless another
 * thread is merging (run_loop() says which thread tries when). Called
 * with m->mu held, which it releases while feeding; the engine, the
 * parent source and m's merge fields are only touched by the thread that
 * set m->merging. True if a chunk was merged. */
static bool merge_ready(mt *m, wctx *w)
{
	bool did = false;

	while (!m->merging && !m->stop) {
		slot *s = &m->slots[m->merged % m->nslots];
		mh_rc rc;

		if (!(s->state == S_DONE && s->idx == m->merged))
			break;
		rc = s->rc;
		m->merging = true;
		pthread_mutex_unlock(&m->mu);

		if (rc == MH_OK && s->redo) {
			/* Malformed input: again, in order, with reports. */
			uint64_t base = m->lines;
			s->matched = 0;
			rc = w->mctx ? run_chunk(m, s, w, &base, &s->err)
				     : mh_err_set(&s->err, MH_ENOMEM, NULL, 0,
						  0, "out of memory");
		} else if (rc == MH_OK) {
			rc = feed(m, s, m->lines, w, &s->err);
		}
		if (rc != MH_OK) {
			m->err = s->err;
			m->rc = rc;
		}
		m->lines += s->lines;
		m->st.events += s->events;
		m->st.matched += s->matched;
		m->st.records += s->records;
		m->st.malformed += s->malformed;
		m->st.skipped += s->skipped;
		mh_source_consume(m->src, s->len);
		if (m->a->progress)
			m->a->progress(m->a->progress_ud, &m->st);

		pthread_mutex_lock(&m->mu);
		m->merging = false;
		s->state = S_FREE;
		m->merged++;
		m->cur_chunk = next_chunk(m, s);
		if (rc != MH_OK)
			m->stop = true;
		pthread_cond_broadcast(&m->cv);
		did = true;
	}
	return did;
}

/* The loop of every thread, the calling one included: merge what is
 * ready, scan the next chunk, or wait. The calling thread merges first;
 * a worker scans first and merges only when it has no chunk to scan (no
 * free slot, or all the input claimed), so that the engine's state
 * mostly stays in the calling thread's core: moving it between cores
 * each merge costs little when they share a cache and up to a tenth of
 * a two-thread default-pack scan when they do not (docs/performance.md,
 * "Threads"). Returns when every chunk is merged or the scan stops. */
static void run_loop(mt *m, wctx *w)
{
	pthread_mutex_lock(&m->mu);
	for (;;) {
		if (w->caller && merge_ready(m, w))
			continue;
		if (m->stop ||
		    (m->next_off >= m->len && m->merged == m->next_idx))
			break;
		if (claim_run(m, w))
			continue;
		if (!w->caller && merge_ready(m, w))
			continue;
		pthread_cond_wait(&m->cv, &m->mu);
	}
	pthread_mutex_unlock(&m->mu);
}

static void wctx_init(mt *m, wctx *w)
{
	memset(w, 0, sizeof(*w));
	mh_arena_init(&w->scratch, 64 * 1024, 0);
	if (mh_match_ctx_new(m->a->rs, &w->mctx) != MH_OK)
		w->mctx = NULL;
}

static void wctx_free(wctx *w)
{
	mh_match_ctx_free(w->mctx);
	mh_arena_free(&w->scratch);
}

static void *worker(void *arg)
{
	mt *m = arg;
	wctx w;

	wctx_init(m, &w);
	run_loop(m, &w);
	wctx_free(&w);
	return NULL;
}

mh_rc mh_scan_mt(const mh_mt_args *a, mh_reader *rd, mh_source *src,
		 mh_mt_stats *st, mh_err *err)
{
	mt m;
	pthread_t *tids = NULL;
	size_t nt = 0;
	wctx mw; /* the calling thread's */
	mh_rc rc = MH_OK;

	memset(&m, 0, sizeof(m));
	memset(st, 0, sizeof(*st));
	m.a = a;
	m.proto = rd;
	m.src = src;
	if (!mh_source_mem(src, &m.base, &m.len))
		return mh_err_set(err, MH_EINVAL, mh_source_name(src), 0, 0,
				  "input cannot be split");
	wctx_init(&m, &mw);
	m.chunk = a->chunk >= MIN_CHUNK ? a->chunk
		  : a->chunk		? MIN_CHUNK
					: DEF_CHUNK;
	m.cur_chunk = m.chunk;
	m.nslots = (size_t)a->threads + 2;
	pthread_mutex_init(&m.mu, NULL);
	pthread_cond_init(&m.cv, NULL);
	m.slots = calloc(m.nslots, sizeof(*m.slots));
	tids = calloc(a->threads, sizeof(*tids));
	if (!m.slots || !tids || !mw.mctx) {
		rc = mh_err_set(err, MH_ENOMEM, NULL, 0, 0, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < m.nslots; i++)
		mh_arena_init(&m.slots[i].arena, 256 * 1024, 0);
	first_dialect(&m);
	snprintf(rd->dialect, sizeof(rd->dialect), "%s", m.dialect);
	/* N threads in all: N - 1 workers and the calling thread, alike (a
	 * separate merging thread made N + 1 runnable threads, and on N
	 * cores the scheduler time-sliced them). */
	for (; nt < (a->threads > 1 ? a->threads - 1 : 1); nt++)
		if (mh_thread_spawn(&tids[nt], worker, &m) != 0)
			break;
	if (nt == 0) {
		rc = mh_err_set(err, MH_ENOMEM, NULL, 0, 0,
				"cannot start a thread");
		goto out;
	}
	mw.caller = true;
	run_loop(&m, &mw);
out:
	if (nt) {
		pthread_mutex_lock(&m.mu);
		m.stop = true;
		pthread_cond_broadcast(&m.cv);
		pthread_mutex_unlock(&m.mu);
		for (size_t i = 0; i < nt; i++)
			pthread_join(tids[i], NULL);
	}
	if (rc == MH_OK && m.rc != MH_OK) {
		*err = m.err;
		rc = m.rc;
	}
	*st = m.st;
	for (size_t i = 0; m.slots && i < m.nslots; i++)
		mh_arena_free(&m.slots[i].arena);
	free(m.slots);
	free(tids);
	wctx_free(&mw);
	pthread_cond_destroy(&m.cv);
	pthread_mutex_destroy(&m.mu);
	return rc;
}
