/* Private engine types shared by engine.c, group.c, window.c, sort.c.
 * Not part of the public API. See docs/correlation.md for semantics. */
#ifndef MH_ENGINE_ENGINE_INT_H
#define MH_ENGINE_ENGINE_INT_H

#include "engine/beacon.h"
#include "engine/engine.h"
#include "util/arena.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define ENG_NOID UINT32_MAX

struct eng_group;
/* A group's place in one doubly linked list of groups (eng_list). */
typedef struct eng_link {
	struct eng_group *prev, *next;
} eng_link;
typedef struct eng_list {
	struct eng_group *head, *tail; /* head = most recently touched */
} eng_list;
#define ENG_NCTX 18
/* Bytes charged per separate heap buffer for malloc's header and
 * rounding (glibc: 8-16 bytes header, 16-byte granularity). */
#define ENG_MALLOC_OVERHEAD 24
#define ENG_MAX_POS	    32 /* corr->rules positions tracked per correlation */
/* Inline first buffers of a group: a typical group (a few interned
 * strings, a short window queue) lives in one allocation. */
#define ENG_POOL_INL 64
#define ENG_STRS_INL 2
#define ENG_ITAB_INL 4
#define ENG_Q_INL    4

/* Grow buffer p (used bytes in use) to n bytes. p may be its inline
 * storage inl: then the used bytes move to a new heap buffer. NULL on
 * ENOMEM, p untouched. */
static inline void *eng_regrow(void *p, const void *inl, size_t used, size_t n)
{
	void *q;

	if (p != inl)
		return realloc(p, n);
	q = malloc(n);
	if (q && used)
		memcpy(q, p, used);
	return q;
}

/* Free p unless it is its inline storage inl. */
static inline void eng_buf_free(void *p, const void *inl)
{
	if (p != inl)
		free(p);
}

/* Bytes of p on the heap: cap when p is a heap buffer, else 0. */
#define ENG_HEAP(p, inl, cap)                                                  \
	((p) && (const void *)(p) != (const void *)(inl) ? (size_t)(cap) : 0)

extern const mh_field mh_engine_ctx_fields[ENG_NCTX];

enum { CF_NUM = 1, CF_BYTES = 2, CF_VAL = 4 };

/* One event's contribution to one correlation group (40 bytes: lookback
 * windows keep one per event). Strings are ids in the group's intern
 * table (ENG_NOID when unset). The --explain reference (file, line)
 * lives in the parallel array eng_group.qref. */
typedef struct eng_contrib {
	int64_t t;
	int64_t num;   /* CF_NUM: value_sum/avg integer; CF_VAL: intern id */
	int64_t bytes; /* CF_BYTES: BytesSent */
	uint32_t dst, user;
	uint32_t mask;	/* corr->rules positions the event matched */
	uint32_t flags; /* CF_* */
} eng_contrib;

static inline uint32_t eng_contrib_val(const eng_contrib *ct)
{
	return (ct->flags & CF_VAL) ? (uint32_t)ct->num : UINT32_MAX;
}

typedef struct eng_ref {
	uint32_t file;
	uint64_t line;
	uint32_t sum; /* interned one-line event summary (--explain) */
} eng_ref;

/* --explain: a one-line summary of ev (time, EventID, process,
 * destination, command line or script block), at most cap-1 bytes, into
 * buf; returns its length. */
size_t mh_eng_ref_summary(const mh_event *ev, char *buf, size_t cap);

/* Running aggregate of an alert under construction. Sets are bitmaps
 * over the group's intern ids, so distinct counts are exact. */
#define ENG_USERS_INL 2

typedef struct eng_agg {
	uint64_t count;
	int64_t first, last;
	int64_t bytes;
	int64_t vsum;
	uint64_t vn;
	uint64_t mask;
	uint64_t *dst_bits, *val_bits;
	size_t bits_words;
	uint64_t ndst, nval;
	/* the kept users (ids, bytewise order): users_inl, or users_heap
	 * (MH_ALERT_MAX_USERS entries) once there are more; see eng_users() */
	uint32_t *users_heap;
	uint32_t users_inl[ENG_USERS_INL];
	uint32_t nusers;
	uint32_t ord_k; /* temporal_ordered progress (arrival order) */
	uint32_t nrefs;
	bool bytes_set;
	bool users_trunc;
	eng_ref *refs;
	uint64_t bits_inl[2]; /* dst_bits, val_bits while bits_words == 1 */
} eng_agg;

static inline uint32_t *eng_users(eng_agg *a)
{
	return a->users_heap ? a->users_heap : a->users_inl;
}

typedef struct eng_istr {
	uint64_t h;
	uint32_t off, len;
} eng_istr;

/* The context fields of one event: the alert's context. Built once per
 * fed event and shared by every group that event updates (refcounted,
 * immutable once built); a merged context (see mh_eng_ctx_store) is a
 * group's own. Its bytes are charged to e->mem while it lives. */
typedef struct eng_ctx {
	uint32_t refs;
	uint32_t set; /* bit i: mh_engine_ctx_fields[i] present */
	int64_t t;
	/* the event's ProcessId, to tell whether a newer event is the same
	 * process (see mh_eng_ctx_store) */
	bool has_pid;
	int64_t pid;
	size_t mem;
	uint32_t len[ENG_NCTX]; /* the texts follow each other in buf */
	char buf[];
} eng_ctx;

/* Context field i (set or not: unset fields have length 0). */
static inline mh_str eng_ctx_get(const eng_ctx *c, int i)
{
	size_t off = 0;
	mh_str s;

	for (int j = 0; j < i; j++)
		off += c->len[j];
	s.p = c->buf + off;
	s.n = c->len[i];
	return s;
}

typedef struct eng_group {
	struct eng_group *hnext;
	eng_link lru; /* in mh_engine.lru */
	/* in its correlation's idle list (eng_corr.idle), only for
	 * correlations that close idle groups (eng_corr.expires) */
	eng_link idle;
	int64_t tlast; /* newest event time fed to the group */
	uint64_t hash;
	uint32_t corr; /* index into e->corrs */
	uint32_t keylen;
	unsigned char *key; /* serialized group values */
	size_t mem;	    /* bytes accounted to this group */

	/* intern table: strings of dst/user/value/file */
	char *pool;
	size_t pool_n, pool_cap;
	eng_istr *strs;
	uint32_t nstr, strs_cap;
	uint32_t *itab; /* open addressing: index + 1, 0 = empty */
	uint32_t itab_cap;
	uint32_t ihint[3]; /* last ids of dst, user, value (window.c) */

	/* window queue, time-ordered (q[qhead .. qhead + qn)) */
	eng_contrib *q;
	eng_ref *qref; /* --explain only: parallel to q */
	size_t qhead, qn, qcap;
	int64_t wsum;
	uint64_t wn;
	uint64_t ndistinct;
	uint32_t *vcnt; /* value_count: occurrences per intern id */
	size_t vcnt_cap;
	uint32_t *rcnt; /* temporal: events per position in window */

	/* sliding "at least": alert open; closing conds: window active;
	 * lookback(now set)/all: aggregating */
	bool open;
	/* beacon correlations: connections pending in tail (eng_bpend)
	 * until the scoring state is taken; bit i of bp_bytes: entry i
	 * carries BytesSent */
	uint8_t bp_n, bp_bytes;
	int64_t w0; /* closing conds: window start */
	eng_agg agg;

	/* context of the newest contributing event (shared, refcounted;
	 * NULL until the first) */
	struct eng_ctx *ctx;

	/* beacon correlations: fixed-size scoring state (beacon.h), NULL
	 * for other types; accounted in mem */
	mh_beacon *beacon;

	/* first buffers, inside the group (see eng_regrow) */
	char pool_inl[ENG_POOL_INL];
	eng_istr strs_inl[ENG_STRS_INL];
	uint32_t itab_inl[ENG_ITAB_INL];
	/* the first ENG_Q_INL queue entries in tail, for the
	 * correlations that queue (eng_corr.queues), else NULL */
	eng_contrib *q_inl;
	/* q_inl's entries or a beacon's eng_bpend, then the key (keylen
	 * bytes) */
	_Alignas(8) unsigned char tail[];
} eng_group;

/* A connection of a beacon group before it has its scoring state. */
typedef struct eng_bpend {
	int64_t t, bytes;
} eng_bpend;
#define ENG_BPEND 4 /* pending connections per beacon group */

typedef struct eng_corr {
	const mh_rule *rule;
	const mh_corr *c;
	bool closing; /* some term is lt/lte/eq/neq: evaluate at close */
	uint32_t pend_mask;
	bool touched;
	/* idle groups are closed once their newest event is more than
	 * horizon (timespan + lateness) older than the newest time seen */
	bool expires;
	int64_t horizon;
	/* its groups queue contributions (sliding, sequence, lookback
	 * without now_set): they get q_inl */
	bool queues;
	bool beacon;   /* its groups keep ENG_BPEND eng_bpend in tail */
	eng_list idle; /* its groups, in touch order */
} eng_corr;

typedef struct eng_rref {
	uint32_t corr; /* index into e->corrs */
	uint32_t pos;  /* position in corr->rules */
} eng_rref;

/* A serialized group key in e->kbuf, with its hash. */
typedef struct eng_key {
	size_t off;
	uint32_t len;
	uint64_t hash;
} eng_key;

typedef struct eng_alert {
	mh_alert a;
	uint64_t seq; /* emission order: last tie-break */
} eng_alert;

struct mh_engine {
	const mh_ruleset *rs;
	mh_engine_opts opts;
	size_t nrules;
	const mh_rule **rules;
	uint32_t *rref_start; /* nrules + 1 */
	eng_rref *rrefs;
	size_t ncorr;
	eng_corr *corrs;
	uint32_t *touched;
	size_t ntouched;

	eng_group **buckets;
	size_t nbuckets, ngroups;
	eng_list lru; /* every group, in touch order */
	size_t mem, max_mem;

	/* the group keys of the event being fed, one per touched
	 * correlation (keys[i] for touched[i]) */
	unsigned char *kbuf;
	size_t kcap, kn;
	eng_key *keys;

	eng_ctx *evctx; /* the context of the event being fed, or NULL */

	mh_arena arena; /* alert memory */
	eng_alert **alerts;
	size_t nalerts, alerts_cap;
	uint64_t aseq; /* next alert emission number */

	/* alerts spilled in sorted runs to a temporary file (spill.c) once
	 * the arena holds spill_budget bytes */
	size_t spill_budget;
	int spill_fd; /* -1: none yet */
	uint64_t spill_size;
	char *sw; /* write buffer */
	size_t sw_n, sw_cap;
	struct eng_run *runs;
	size_t nruns, runs_cap;
	size_t merge_last; /* run of the last alert returned, or SIZE_MAX */
	bool spill_failed; /* no temporary file: alerts stay in memory */
	int spill_errno;
	size_t next_i; /* mh_engine_next_alert() without runs */

	int64_t max_t;
	bool have_t;
	int64_t lateness; /* < 0: idle groups are never closed */
	/* mh_eng_expire() sweeps when max_t reaches next_sweep, then sets
	 * it sweep_step later (1/64 of the shortest horizon): a sweep costs
	 * one look per correlation, so with many correlations it must not
	 * run at every event; a group closed a little later is as exact */
	int64_t next_sweep, sweep_step;
	uint32_t *xcorrs; /* the correlations that expire */
	size_t nxcorr;
	uint64_t late;
	mh_engine_stats st;
	bool finished;
	/* groups left at the end, freed on a helper thread while the caller
	 * writes the alerts (finish.c, finish_parallel()); joined at free */
	bool reaping;
	pthread_t reaper;
	eng_group *reap; /* head of the taken list (lru.next) */
};

/* engine.c: room in e->alerts for k more alerts (the capacity
 * doubles); false on ENOMEM, e unchanged. */
bool mh_eng_alerts_reserve(mh_engine *e, size_t k);

/* group.c */
eng_group *mh_eng_group_get(mh_engine *e, uint32_t corr,
			    const unsigned char *key, uint32_t keylen,
			    uint64_t hash);
void mh_eng_group_touch(mh_engine *e, eng_group *g);
void mh_eng_group_account(mh_engine *e, eng_group *g);
/* Evict least recently updated groups while over the cap. Open sliding
 * alerts of evicted groups are emitted first. */
mh_rc mh_eng_evict(mh_engine *e);
/* Close and free the idle groups (eng_corr.expires) at the tail of
 * their correlation's list: those whose newest event is more than the
 * horizon older than e->max_t. Stops at the first group of each list
 * that is not idle, so a group touched out of time order waits. */
mh_rc mh_eng_expire(mh_engine *e);
void mh_eng_group_free(mh_engine *e, eng_group *g);
void mh_eng_groups_free_all(mh_engine *e);
/* Take every group out of e (its table, LRU and idle lists), leaving
 * them linked through their lru fields: the returned head is the most
 * recently updated, *tail the least, *n their count. The groups are then
 * the caller's: free each with mh_eng_group_release_detached(), all on
 * one thread (their contexts' reference counts are plain). */
eng_group *mh_eng_groups_take(mh_engine *e, eng_group **tail, size_t *n);
void mh_eng_group_release_detached(eng_group *g);
/* Intern n bytes in g; returns the id or ENG_NOID on ENOMEM. */
uint32_t mh_eng_intern(eng_group *g, const char *p, size_t n);
void mh_eng_intern_reset(eng_group *g);
static inline mh_str eng_istr_get(const eng_group *g, uint32_t id)
{
	mh_str s = {"", 0};
	if (g->strs[id].len) {
		s.p = g->pool + g->strs[id].off;
		s.n = g->strs[id].len;
	}
	return s;
}
/* Point g's context at ev's (the event being fed), or at a merge of
 * the two when ev is the same process and lacks fields g's context has.
 * False on ENOMEM (g unchanged). */
bool mh_eng_ctx_store(mh_engine *e, eng_group *g, const mh_event *ev);
/* Drop one reference to c (NULL: nothing), freeing it at the last; e
 * (NULL for groups already taken out of the engine) loses its memory. */
void mh_eng_ctx_release(mh_engine *e, eng_ctx *c);

/* Saturating int64_t arithmetic (event times, byte sums). */
static inline int64_t eng_sub_sat(int64_t a, int64_t b)
{
	int64_t r;
	if (__builtin_sub_overflow(a, b, &r))
		return b > 0 ? INT64_MIN : INT64_MAX;
	return r;
}

static inline int64_t eng_add_sat(int64_t a, int64_t b)
{
	int64_t r;
	if (__builtin_add_overflow(a, b, &r))
		return b > 0 ? INT64_MAX : INT64_MIN;
	return r;
}

/* Positions of c's rules that are tracked (at most ENG_MAX_POS). */
static inline size_t eng_npos(const mh_corr *c)
{
	return c->nrules < ENG_MAX_POS ? c->nrules : ENG_MAX_POS;
}

/* agg.c */
/* Empty a, keeping its buffers. */
void mh_eng_agg_clear(eng_agg *a);
/* Add one contribution of g to a; ref (may be NULL) is its --explain
 * reference. False on ENOMEM. */
bool mh_eng_agg_add(mh_engine *e, eng_group *g, const mh_corr *c, eng_agg *a,
		    const eng_contrib *ct, const eng_ref *ref);
/* The value of c's type from a group's tallies: events, distinct
 * values, the sum and count of integer values, and the temporal steps
 * seen (positions present, or the ordered prefix matched); false when
 * it has none (no integer for value_sum/avg; beacon). */
bool mh_eng_corr_value(const mh_corr *c, uint64_t count, uint64_t distinct,
		       int64_t sum, uint64_t n, uint64_t steps, double *v);
/* The same over the aggregate a. */
bool mh_eng_agg_value(const mh_corr *c, const eng_agg *a, double *v);
/* c's condition on value v (have false: no value). */
bool mh_eng_cond_holds(const mh_corr *c, bool have, double v);
/* Raise the alert of g from a with value v; br (may be NULL): beacon
 * statistics appended to the context. */
mh_rc mh_eng_emit_agg(mh_engine *e, eng_group *g, const eng_agg *a, double v);
mh_rc mh_eng_emit_agg_b(mh_engine *e, eng_group *g, const eng_agg *a, double v,
			const mh_beacon_result *br);

/* window.c */
/* Serialize ev's group key for correlation ci (mask: its positions the
 * event matched) at the end of e->kbuf (e->kn), and hash it. */
mh_rc mh_eng_corr_key(mh_engine *e, uint32_t ci, const mh_event *ev,
		      uint32_t mask, eng_key *k);
/* Add ev to its group of correlation ci (key k from mh_eng_corr_key). */
mh_rc mh_eng_corr_feed(mh_engine *e, uint32_t ci, const mh_event *ev,
		       uint32_t mask, const eng_key *k);
/* Prefetch the group table slot of k, or (second pass) the group it
 * heads; a hint only. */
void mh_eng_prefetch_slot(const mh_engine *e, const eng_key *k);
void mh_eng_prefetch_group(const mh_engine *e, const eng_key *k);
/* Close/evaluate what is pending in g at the end (or at eviction when
 * at_evict: only open sliding alerts are emitted). */
mh_rc mh_eng_group_flush(mh_engine *e, eng_group *g, bool at_evict);
void mh_eng_agg_free(eng_agg *a);

/* engine.c */
eng_alert *mh_eng_alert_new(mh_engine *e);
char *mh_eng_strdup(mh_engine *e, const char *p, size_t n);

/* sort.c */
void mh_eng_sort_alerts(mh_engine *e);
/* The order of mh_eng_sort_alerts() (a total order: < 0, 0 only for the
 * same alert, > 0). */
int mh_eng_alert_cmp(const mh_engine *e, const eng_alert *x,
		     const eng_alert *y);

/* spill.c */
/* Sort the alerts in memory, append them to the spill file as a run and
 * empty the arena. When no temporary file can be written, sets
 * spill_failed and keeps them (MH_OK). */
mh_rc mh_eng_spill(mh_engine *e);
/* Read the first alert of every run; then each call of merge_next gives
 * the least of the runs' current alerts (valid until the next call),
 * MH_EOF at the end. MH_EIO (errno set) on a read error. */
mh_rc mh_eng_merge_start(mh_engine *e);
mh_rc mh_eng_merge_next(mh_engine *e, const mh_alert **out);
void mh_eng_spill_free(mh_engine *e);

#endif
