/* Private to the JSON reader (json.c) and its prefilter fast path
 * (json_prefilter.c): reader state, parser context and the prefilter
 * plan. Not for other modules. */
#ifndef MH_INPUT_JSON_INT_H
#define MH_INPUT_JSON_INT_H

#include "input/dialect.h"
#include "input/input.h"
#include "input/json_scan.h"
#include "rule/vfilter.h"
#include "util/timefmt.h"

#include <stdlib.h>
#include <string.h>

#define PATH_CAP    1024  /* longest flattened key path */
#define MAX_KEYS    20000 /* keys per record (all levels) */
#define DETECT_KEYS 512	  /* keys collected for dialect detection */
#define ARENA_BLOCK (64u << 10)
#define ARENA_CAP   (64u << 20)
#define KC_SLOTS    256 /* key cache: first keys of a record */
#define KC_KEYLEN   62

/* Key cache entry: the n-th key (all levels, in order) of the last
 * records and what it resolved to. Records of one file usually repeat
 * their key order, so a memcmp replaces hash + probe. */
typedef struct kc_entry {
	uint8_t n;  /* path length; 0 = empty */
	int8_t pfx; /* has_prefix result: -1 unknown, 0, 1 */
	char k[KC_KEYLEN];
	const mh_dialect_map *m;
} kc_entry;

typedef enum jmode { M_NDJSON, M_STREAM } jmode;

/* Prefilter plan for one dialect (see pf_check()). Keys are matched by
 * their last path component L: `"L"` or `.L"` followed by ':'. */
#define PF_PATS	   16
#define PF_TIMEOCC 12
#define PF_KPATS   8  /* patterns the bulk kernel compares at once */
#define PF_KMAXN   64 /* longest pattern the bulk kernel takes */
#define PF_VPATS   16 /* keys of the value stage */
/* what a value-stage key's values are tested for: cores in the text, an
 * address, an integer */
enum { VK_TEXT = 1, VK_IP = 2, VK_INT = 4 };
/* the value stage decodes escaped values of up to 4 KiB (mh_json_decode()
 * needs 3/2 n + 4 bytes) */
#define PF_VBUF (4096 + 2048 + 4)
/* pf_pat.role (issue 4): a key of the prefilter field, or (with
 * pf_allow_unset) of Protocol, or of pf_str_field */
enum { PR_FIELD, PR_PROTO, PR_STR };
typedef struct pf_pat {
	const char *k; /* L (points into the const dialect table) */
	uint8_t n;
	bool time;    /* a TIME key (else the prefilter field's) */
	uint8_t role; /* not time: PR_* */
	bool flat;    /* some entry is exactly L (time: its prio below) */
	bool dotted;  /* some entry is a dotted path ending in .L */
	uint8_t prio; /* lowest prio of the flat entries */
} pf_pat;

typedef struct pf_plan {
	const mh_dialect *d; /* planned for; NULL = not yet */
	bool ok;	     /* the fast path may be used */
	pf_pat pat[PF_PATS];
	size_t npat;
	uint8_t last2[8192]; /* bitset: last two characters of patterns */
	size_t nkern;	     /* bulk kernel: patterns, or 0 = not used */
	bool avx2;	     /* the CPU has AVX2 (kernel, mh_json_pf_flat()) */
	bool avx512;	     /* and AVX-512BW: the 64-byte kernel */
	uint8_t kidx[PF_KPATS]; /* bulk kernel: their indexes in pat[] */
	size_t slack;		/* bulk kernel: bytes it may read past lim */
	/* the value stage (pf_vclear()): keys (last path component, as
	 * in pat[]) that feed the value prefilter's fields */
	bool vs;
	struct {
		const char *k;
		uint8_t n;
		uint8_t kind;	/* VK_*: what its values are tested for */
		uint64_t fmask; /* VK_TEXT: the cores' fields it feeds */
		uint16_t l2;	/* its last two bytes, as in vlast2 */
	} vpat[PF_VPATS];
	size_t nvpat;
	uint8_t vlast2[8192];	/* bitset: last two characters of vpat */
	uint16_t vl2[PF_VPATS]; /* vpat[i].l2, 0 past nvpat */
	/* vpat keys tested last, and only when a rule the line touched
	 * may take an atom of them (jstate.vrk; json_vstage.c) */
	uint16_t vgated;
} pf_plan;

/* json_pf_simd.c: the byte scanners of the prefilter. */
#if defined(__x86_64__) && defined(__GNUC__)
#define MH_JSON_PF_SIMD 1
#endif
#define PF_CAND 64	   /* key candidates per line; more: parse the line */
#define PF_NONE UINT32_MAX /* pf_kout: no such position */
/* What the bulk kernel found on one line (offsets from its start). */
typedef struct pf_kout {
	uint32_t cand[PF_CAND]; /* possible key starts, in order */
	size_t nc;		/* may exceed PF_CAND: then only counted */
	bool uesc;		/* some '\\' is followed by 'u' */
	uint32_t open1, open2;	/* first two '{' or '[' (PF_NONE) */
	uint32_t nclose;	/* '}' count */
	uint32_t last_close;	/* the last '}' */
} pf_kout;
/* A kernel scans from the line start q, reading nothing at or past
 * lim + pl->slack; it returns the line's '\n' (NULL: none before lim)
 * with *o filled for the bytes before it. */
typedef const char *(*mh_json_pf_kernel_fn)(const pf_plan *pl, const char *q,
					    const char *lim, pf_kout *o);
/* The kernel for np plan keys (1..PF_KPATS), or NULL (np out of range,
 * or not built for this machine): the AVX-512BW one with wide (call only
 * when pl->avx512), else the AVX2 one (only when pl->avx2). Both give a
 * line the same findings. */
mh_json_pf_kernel_fn mh_json_pf_kernel(size_t np, bool wide);
/* Is the record line [p, end) (p at '{') flat and single (see
 * json_pf_simd.c)? avx2: use the AVX2 scan; the same answer either way. */
bool mh_json_pf_flat(bool avx2, const char *p, const char *end);

/* --- key scanning helpers of the prefilter and the value stage --- */

/* The last two bytes of a key (at l, n >= 2) as the 16-bit value the
 * plans' bit sets (last2, vlast2) are indexed by. */
static inline unsigned pf_last2(const char *l, size_t n)
{
	return (unsigned)(unsigned char)l[n - 2] << 8 | (unsigned char)l[n - 1];
}

/* Bit i: blk[i] == ch, for the bytes of the 16 at blk before to. */
static inline unsigned pf_mask16(const char *blk, const char *to, char ch)
{
	unsigned m = 0;

#ifdef __SSE2__
	if (to - blk >= 16)
		return (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(
		    _mm_loadu_si128((const __m128i *)blk), _mm_set1_epi8(ch)));
#endif
	for (int i = 0; i < 16 && blk + i < to; i++)
		m |= (unsigned)(blk[i] == ch) << i;
	return m;
}

/* The closing quote of the key the ':' at c may end (blanks between) in
 * the line from p, when its last two bytes (*h) are in the bit set l2;
 * NULL otherwise. */
static inline const char *pf_colon_key(const char *p, const char *c,
				       const uint8_t *l2, unsigned *h)
{
	const char *e = c - 1;

	while (e > p && json_is_ws(*e))
		e--;
	if (e < p + 3 || *e != '"')
		return NULL;
	*h = pf_last2(e - 2, 2);
	return l2[*h >> 3] & (1u << (*h & 7)) ? e : NULL;
}

/* n bytes at a (the line) equal the key text k (n > 0)? Inline for the
 * short keys of the plans. */
static inline bool pf_eq(const char *a, const char *k, size_t n)
{
	uint64_t x, y, x2, y2;

	if (n < 8 || n > 16)
		return memcmp(a, k, n) == 0;
	memcpy(&x, a, 8);
	memcpy(&y, k, 8);
	memcpy(&x2, a + n - 8, 8);
	memcpy(&y2, k + n - 8, 8);
	return ((x ^ y) | (x2 ^ y2)) == 0;
}

/* json_vstage.c: the value stage's keys for dialect d into pl (pl->vs,
 * vpat[], vlast2): every key that maps to a field the value prefilter's
 * string fields are built from, or to one of its address or integer
 * fields; none (pl->vs false) when one of those string fields has unknown
 * sources, a key converts its value or cannot be matched by its raw
 * text, there are too many keys, or no memory for the per-line state. */
void mh_json_vs_plan(pf_plan *pl, const mh_dialect *d, const mh_reader *r);
/* json_vstage.c: true when no rule sees an atom of each of its clauses in
 * the record line [p, end) (the line may be dropped); uses r's private
 * per-line state. Adds the values of gated keys it did not need to test
 * to *untested. */
bool mh_json_vs_clear(const mh_reader *r, const pf_plan *pl, const char *p,
		      const char *end, uint64_t *untested);

/* json.c: decode the body [p, end) of a string holding escapes into o
 * (room for 3/2 * n + 4 bytes), as the parser stores it: invalid escapes
 * and lone surrogates become U+FFFD; other bytes (including invalid
 * UTF-8) pass through. Returns the end. */
char *mh_json_decode(const char *p, const char *end, char *o);

typedef enum env_kind {
	ENV_NONE,
	ENV_ARRAY,  /* elements are records */
	ENV_SOURCE, /* elements are Elastic hits: record = _source */
} env_kind;

typedef struct jstate {
	jmode mode;
	mh_arena arena;	 /* event values when the caller gives none */
	mh_arena karena; /* detection key copies */
	const mh_dialect *d;
	bool need_all;
	uint8_t prio[MH_F__COUNT];

	/* The current record text and where in it we are (envelopes and
	 * several values on one NDJSON line). Valid until the source moves:
	 * we do not touch the source while rest_p != NULL. */
	const char *rest_p, *rest_end;
	uint64_t rest_line;  /* line at rest_p */
	env_kind env;	     /* rest_p is inside an envelope array */
	size_t rest_consume; /* stream mode: bytes to consume when done */

	/* stream mode */
	bool in_array; /* inside a top-level '[' */
	bool resync;   /* after an error: skip to a line with '{' */
	bool broken;   /* the value handed out is known bad */
	uint64_t line; /* line number at the window start */

	/* detection */
	mh_str keys[DETECT_KEYS];
	size_t nkeys;
	pf_plan pf;
	bool pf_judged;	 /* mh_json_pf_run() stopped at a line to parse */
	mh_vf_state vfs; /* the value stage's per-line state */
	/* by rule: the gated vpat keys that may mark it, and its clauses
	 * that only tested keys feed (json_vstage.c) */
	struct vs_rule {
		uint16_t keys;
		uint8_t closed;
	} * vrk;
	char vbuf[PF_VBUF]; /* and a value it decodes */
	char tx[40];	    /* see pf_same_layout() */
	uint8_t txn;
	bool tpending; /* tx is later than skip_time_ns */
	uint8_t nw;    /* tx's layout, 8 bytes at a time at off[] */
	uint8_t off[6];
	uint64_t tw[6], dm[6];
	struct jp *dc; /* parser context for detection passes */
	kc_entry kc[KC_SLOTS];
} jstate;

/* Parser context for one record. */
typedef struct jp {
	mh_reader *r;
	jstate *st;
	mh_event *ev;
	const mh_dialect *d;
	bool collect; /* collect keys for detection instead of mapping */
	const char *end;
	const char *why;  /* error reason (static string) */
	const char *errp; /* error position */
	unsigned nkeys;
	unsigned mapped; /* keys that map in d (needed or not) */
	mh_rc rc;	 /* MH_ENOMEM when the arena runs out */
	size_t plen;
	char path[PATH_CAP];
} jp;

/* json_prefilter.c: true when the NDJSON line [p, end) can be skipped
 * unparsed under r's prefilter (its time is still noted); may only be
 * called for a JSON reader in NDJSON mode. */
bool mh_json_pf_skip_line(mh_reader *r, const char *p, const char *end);
/* json_prefilter.c: skip whole NDJSON lines at the source cursor while
 * the prefilter drops them (the bulk fast path); stops before the first
 * line for json_next_rec() and sets st->pf_judged when that line was
 * judged to need a parse. Only in NDJSON mode with no rest pending. */
void mh_json_pf_run(mh_reader *r);
/* json.c: is the line [p, end) (p at '{') a Splunk or Elastic export
 * envelope? *rec: a Splunk `result` record inside it, or NULL. */
env_kind mh_json_envelope(const char *p, const char *end, const char **rec,
			  const char **arr);
/* Hand a pending skipped-line time to r->skip_time_* (at end of input). */
void mh_json_pf_flush(mh_reader *r);

#endif
