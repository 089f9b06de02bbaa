/* JSON reader: NDJSON (fast path), concatenated / pretty-printed values,
 * top-level arrays, and envelopes (Splunk export `result`, Elastic
 * `hits.hits[]._source`, an object whose first member is an array of
 * objects).
 *
 * Records are flattened to dotted keys and mapped through the detected
 * dialect. Nothing is built per record: keys are looked up as they are
 * scanned, values of keys that do not map to a needed field are skipped
 * without decoding, strings without a backslash are zero-copy slices of
 * the source window, decoded strings and joined arrays go to the event
 * arena (reset per record). */
#include "input/dialect.h"
#include "input/input.h"
#include "input/json_scan.h"
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
} pf_plan;

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
	char tx[40]; /* see pf_same_layout() */
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

static bool fail(jp *c, const char *p, const char *why)
{
	if (!c->why) {
		c->why = why;
		c->errp = p;
	}
	return false;
}

static bool fail_scan(jp *c, const char *p, json_scan_rc rc)
{
	switch (rc) {
	case JS_END:
		return fail(c, p, "unexpected end of record (truncated)");
	case JS_DEEP:
		return fail(c, p, "nesting deeper than 64 levels");
	default:
		return fail(c, p, "invalid JSON value");
	}
}

/* --- string decoding ---------------------------------------------------- */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool hex4(const char *p, const char *end, unsigned *out)
{
	unsigned v = 0;

	if (end - p < 4)
		return false;
	for (int i = 0; i < 4; i++) {
		int h = hexval(p[i]);
		if (h < 0)
			return false;
		v = (v << 4) | (unsigned)h;
	}
	*out = v;
	return true;
}

static char *put_utf8(char *o, unsigned cp)
{
	if (cp < 0x80) {
		*o++ = (char)cp;
	} else if (cp < 0x800) {
		*o++ = (char)(0xc0 | (cp >> 6));
		*o++ = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		*o++ = (char)(0xe0 | (cp >> 12));
		*o++ = (char)(0x80 | ((cp >> 6) & 0x3f));
		*o++ = (char)(0x80 | (cp & 0x3f));
	} else {
		*o++ = (char)(0xf0 | (cp >> 18));
		*o++ = (char)(0x80 | ((cp >> 12) & 0x3f));
		*o++ = (char)(0x80 | ((cp >> 6) & 0x3f));
		*o++ = (char)(0x80 | (cp & 0x3f));
	}
	return o;
}

/* Decode the body [p, end) of a string holding escapes into o (room for
 * 3/2 * n + 4 bytes). Invalid escapes and lone surrogates become U+FFFD;
 * other bytes (including invalid UTF-8) pass through. Returns the end. */
static char *decode_into(const char *p, const char *end, char *o)
{
	while (p < end) {
		const char *b = memchr(p, '\\', (size_t)(end - p));
		unsigned cp, lo;

		if (!b) {
			memcpy(o, p, (size_t)(end - p));
			return o + (end - p);
		}
		memcpy(o, p, (size_t)(b - p));
		o += b - p;
		p = b + 1;
		if (p >= end) {
			o = put_utf8(o, 0xfffd);
			break;
		}
		switch (*p) {
		case '"':
			*o++ = '"';
			p++;
			continue;
		case '\\':
			*o++ = '\\';
			p++;
			continue;
		case '/':
			*o++ = '/';
			p++;
			continue;
		case 'b':
			*o++ = '\b';
			p++;
			continue;
		case 'f':
			*o++ = '\f';
			p++;
			continue;
		case 'n':
			*o++ = '\n';
			p++;
			continue;
		case 'r':
			*o++ = '\r';
			p++;
			continue;
		case 't':
			*o++ = '\t';
			p++;
			continue;
		case 'u':
			break;
		default:
			/* Invalid escape: U+FFFD replaces backslash + char. */
			o = put_utf8(o, 0xfffd);
			p++;
			continue;
		}
		p++; /* past 'u' */
		if (!hex4(p, end, &cp)) {
			o = put_utf8(o, 0xfffd);
			while (p < end && hexval(*p) >= 0)
				p++;
			continue;
		}
		p += 4;
		if (cp >= 0xd800 && cp <= 0xdbff) {
			if (end - p >= 6 && p[0] == '\\' && p[1] == 'u' &&
			    hex4(p + 2, end, &lo) && lo >= 0xdc00 &&
			    lo <= 0xdfff) {
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				     (lo - 0xdc00);
				p += 6;
			} else {
				cp = 0xfffd;
			}
		} else if (cp >= 0xdc00 && cp <= 0xdfff) {
			cp = 0xfffd;
		}
		o = put_utf8(o, cp);
	}
	return o;
}

/* The value of the string [p, e) (quotes excluded): zero-copy unless it
 * has escapes, then decoded into the arena. */
static bool string_value(jp *c, const char *p, const char *e, bool esc,
			 mh_str *out)
{
	char *buf, *o;
	size_t n = (size_t)(e - p);

	if (!esc) {
		out->p = p;
		out->n = n;
		return true;
	}
	buf = mh_arena_alloc(c->ev->arena, n + n / 2 + 4);
	if (!buf) {
		c->rc = MH_ENOMEM;
		return fail(c, p, "out of memory");
	}
	o = decode_into(p, e, buf);
	out->p = buf;
	out->n = (size_t)(o - buf);
	return true;
}

/* --- mapping ------------------------------------------------------------- */

static bool field_needed(const jp *c, mh_field f)
{
	return c->st->need_all || f == MH_F_TIME ||
	       mh_fieldset_has(&c->r->need, f);
}

static void store(jp *c, const mh_dialect_map *m, const char *p, size_t n,
		  bool multi)
{
	mh_event *ev = c->ev;
	mh_field f = m->field;
	const char *before = mh_event_has(ev, f) ? ev->v[f].p : NULL;
	mh_rc rc = mh_dialect_apply(m, ev, c->st->prio, p, n);

	if (rc == MH_ENOMEM) {
		c->rc = MH_ENOMEM;
		return;
	}
	if (mh_event_has(ev, f) && ev->v[f].p != before) {
		unsigned w = (unsigned)f / 64;
		uint64_t bit = 1ULL << ((unsigned)f % 64);
		if (multi)
			ev->multi.w[w] |= bit;
		else
			ev->multi.w[w] &= ~bit;
	}
}

/* Collect a flattened key (copy) for detection. */
static void collect_key(jp *c)
{
	jstate *st = c->st;
	char *k;

	if (st->nkeys >= DETECT_KEYS)
		return;
	k = mh_arena_strndup(&st->karena, c->path, c->plen);
	if (!k)
		return;
	st->keys[st->nkeys].p = k;
	st->keys[st->nkeys].n = c->plen;
	st->nkeys++;
}

/* --- the parser ------------------------------------------------------------
 */

static bool parse_object(jp *c, const char *p, const char **out, int depth);

/* An array under a mapped, needed key: scalars joined with MH_LIST_SEP;
 * null and nested values are ignored. */
static bool parse_array_value(jp *c, const mh_dialect_map *m, const char *p,
			      const char **out, int depth)
{
	const char *end = c->end;
	const char *start = p;
	mh_str first = {NULL, 0};
	size_t count = 0;
	char *buf = NULL;
	size_t blen = 0;
	json_scan_rc rc;

	/* Pass 1: validate, count, and find the extent. */
	rc = json_skip_value(p, end, depth, out);
	if (rc != JS_OK)
		return fail_scan(c, *out, rc);
	end = *out - 1; /* the closing ']' */
	p = json_skip_ws(start + 1, end);
	/* Pass 2: gather scalars. Upper bound for the join is the array's
	 * own size * 3/2 (escapes may expand to U+FFFD). */
	while (p < end) {
		const char *q;
		mh_str v = {NULL, 0};
		bool esc, have = true;

		if (*p == '"') {
			if (json_skip_string(p, end + 1, &q, &esc) != JS_OK)
				return fail(c, p, "invalid string in array");
			if (!string_value(c, p + 1, q - 1, esc, &v))
				return false;
		} else if (*p == '{' || *p == '[') {
			if (json_skip_value(p, end + 1, depth + 1, &q) != JS_OK)
				return fail(c, p, "invalid value in array");
			have = false;
		} else {
			if (json_skip_scalar(p, end + 1, &q) != JS_OK)
				return fail(c, p, "invalid value in array");
			if (*p == 'n')
				have = false;
			v.p = p;
			v.n = (size_t)(q - p);
		}
		if (have) {
			if (count == 0) {
				first = v;
			} else {
				if (!buf) {
					size_t cap =
					    (size_t)(end - start) * 3 / 2 + 8;
					buf = mh_arena_alloc(c->ev->arena, cap);
					if (!buf) {
						c->rc = MH_ENOMEM;
						return fail(c, p,
							    "out of memory");
					}
					memcpy(buf, first.p, first.n);
					blen = first.n;
				}
				buf[blen++] = MH_LIST_SEP;
				memcpy(buf + blen, v.p, v.n);
				blen += v.n;
			}
			count++;
		}
		p = json_skip_ws(q, end);
		if (p < end) {
			if (*p != ',')
				return fail(c, p, "expected ',' in array");
			p = json_skip_ws(p + 1, end);
			if (p >= end)
				return fail(c, p,
					    "expected a value after ',' "
					    "in array");
		}
	}
	if (count == 0)
		return true;
	if (count == 1)
		store(c, m, first.p, first.n, true);
	else
		store(c, m, buf, blen, true);
	return true;
}

static const mh_dialect_map kc_unknown;
#define KC_UNKNOWN (&kc_unknown)

/* Equality of two short byte strings of length n (n <= 64). */
static inline bool eq_short(const char *a, const char *b, size_t n)
{
	uint64_t x, y;

	while (n >= 8) {
		memcpy(&x, a, 8);
		memcpy(&y, b, 8);
		if (x != y)
			return false;
		a += 8;
		b += 8;
		n -= 8;
	}
	while (n--)
		if (*a++ != *b++)
			return false;
	return true;
}

/* The cache entry for the current key (ordinal c->nkeys, path c->path),
 * refilled on a miss; NULL when the key is not cacheable. */
static kc_entry *cache_slot(jp *c)
{
	kc_entry *e;

	if (c->nkeys > KC_SLOTS || c->plen > KC_KEYLEN)
		return NULL;
	e = &c->st->kc[c->nkeys - 1];
	if (e->n == c->plen && c->plen && eq_short(e->k, c->path, c->plen))
		return e;
	e->n = (uint8_t)c->plen;
	memcpy(e->k, c->path, c->plen);
	e->pfx = -1;
	e->m = KC_UNKNOWN;
	return e;
}

/* One member value at path c->path. */
static bool parse_value(jp *c, const char *p, const char **out, int depth)
{
	const char *end = c->end;
	const mh_dialect_map *m = NULL;
	kc_entry *kc;
	json_scan_rc rc;
	bool esc;

	if (p >= end)
		return fail(c, p, "unexpected end of record (truncated)");
	if (c->collect) {
		collect_key(c);
		if (*p == '{')
			return parse_object(c, p, out, depth + 1);
		rc = json_skip_value(p, end, depth, out);
		return rc == JS_OK ? true : fail_scan(c, *out, rc);
	}
	kc = cache_slot(c);
	if (*p == '{') {
		bool pfx;
		if (kc && kc->pfx >= 0) {
			pfx = kc->pfx;
		} else {
			pfx = c->plen < PATH_CAP &&
			      mh_dialect_has_prefix(c->d, c->path, c->plen);
			if (kc)
				kc->pfx = pfx;
		}
		if (pfx)
			return parse_object(c, p, out, depth + 1);
		rc = json_skip_value(p, end, depth, out);
		return rc == JS_OK ? true : fail_scan(c, *out, rc);
	}
	if (kc && kc->m != KC_UNKNOWN) {
		m = kc->m;
	} else {
		if (c->plen < PATH_CAP)
			m = mh_dialect_lookup(c->d, c->path, c->plen);
		if (kc)
			kc->m = m;
	}
	if (m)
		c->mapped++;
	if (!m || !field_needed(c, m->field)) {
		rc = json_skip_value(p, end, depth, out);
		return rc == JS_OK ? true : fail_scan(c, *out, rc);
	}
	if (*p == '[')
		return parse_array_value(c, m, p, out, depth);
	if (*p == '"') {
		mh_str v;
		rc = json_skip_string(p, end, out, &esc);
		if (rc != JS_OK)
			return fail_scan(c, *out, rc);
		if (!string_value(c, p + 1, *out - 1, esc, &v))
			return false;
		store(c, m, v.p, v.n, false);
		return true;
	}
	rc = json_skip_scalar(p, end, out);
	if (rc != JS_OK)
		return fail_scan(c, *out, rc);
	if (*p != 'n') /* null = unset */
		store(c, m, p, (size_t)(*out - p), false);
	return true;
}

/* p at '{'. Members are flattened under c->path. */
static bool parse_object(jp *c, const char *p, const char **out, int depth)
{
	const char *end = c->end;
	size_t base = c->plen;

	if (depth > JSON_MAX_DEPTH)
		return fail(c, p, "nesting deeper than 64 levels");
	p = json_skip_ws(p + 1, end);
	if (p < end && *p == '}') {
		*out = p + 1;
		return true;
	}
	for (;;) {
		const char *ks, *ke, *q;
		bool esc;
		json_scan_rc rc;
		size_t klen;

		if (p >= end)
			return fail(c, p,
				    "unexpected end of record (truncated)");
		if (*p != '"')
			return fail(c, p, "expected a key string");
		rc = json_skip_string(p, end, &q, &esc);
		if (rc != JS_OK)
			return fail_scan(c, q, rc);
		if (++c->nkeys > MAX_KEYS)
			return fail(c, p, "too many keys in record");
		ks = p + 1;
		ke = q - 1;
		klen = (size_t)(ke - ks);
		/* Build the path: base + '.' + key (decoded if escaped). */
		c->plen = base;
		if (base + 1 + klen * 3 / 2 + 4 < PATH_CAP) {
			if (base)
				c->path[c->plen++] = '.';
			if (esc)
				c->plen =
				    (size_t)(decode_into(ks, ke,
							 c->path + c->plen) -
					     c->path);
			else {
				memcpy(c->path + c->plen, ks, klen);
				c->plen += klen;
			}
		} else {
			c->plen = PATH_CAP; /* too long: never maps */
		}
		p = json_skip_ws(q, end);
		if (p >= end)
			return fail(c, p,
				    "unexpected end of record (truncated)");
		if (*p != ':')
			return fail(c, p, "expected ':' after key");
		p = json_skip_ws(p + 1, end);
		if (!parse_value(c, p, &p, depth))
			return false;
		p = json_skip_ws(p, end);
		if (p >= end)
			return fail(c, p,
				    "unexpected end of record (truncated)");
		if (*p == ',') {
			p = json_skip_ws(p + 1, end);
			continue;
		}
		if (*p == '}') {
			c->plen = base;
			*out = p + 1;
			return true;
		}
		return fail(c, p, "expected ',' or '}' after value");
	}
}

/* --- records -----------------------------------------------------------------
 */

static uint64_t count_nl(const char *p, const char *e)
{
	uint64_t n = 0;

	while (p < e) {
		const char *q = memchr(p, '\n', (size_t)(e - p));
		if (!q)
			break;
		n++;
		p = q + 1;
	}
	return n;
}

static void jp_init(jp *c, mh_reader *r, mh_event *ev, const char *end)
{
	c->r = r;
	c->st = r->priv;
	c->ev = ev;
	c->d = c->st->d;
	c->collect = false;
	c->end = end;
	c->why = NULL;
	c->errp = NULL;
	c->nkeys = 0;
	c->mapped = 0;
	c->rc = MH_OK;
	c->plen = 0;
}

static void set_dialect(mh_reader *r, const mh_dialect *d)
{
	jstate *st = r->priv;

	if (st->d != d)
		for (size_t i = 0; i < KC_SLOTS; i++)
			st->kc[i].n = 0;
	st->d = d;
	snprintf(r->dialect, sizeof(r->dialect), "%s", d ? d->name : "");
}

/* Detect the dialect of the object at p. */
static const mh_dialect *detect(mh_reader *r, mh_event *ev, const char *p,
				const char *end)
{
	jstate *st = r->priv;
	jp *c = st->dc;
	const char *q;
	const mh_dialect *d = NULL;

	mh_arena_reset(&st->karena);
	st->nkeys = 0;
	jp_init(c, r, ev, end);
	c->collect = true;
	if (parse_object(c, p, &q, 1))
		d = mh_dialect_detect(st->keys, st->nkeys);
	return d;
}

/* Parse the record object at p (line = its first line) into ev. Returns
 * MH_OK, MH_EPARSE (malformed, already reported) or MH_ENOMEM. */
static mh_rc parse_record(mh_reader *r, mh_event *ev, jp *c, const char *p,
			  const char *end, uint64_t line, const char *base,
			  uint64_t base_line, const char **rend)
{
	jstate *st = r->priv;
	const char *q = end;
	bool ok;

	ev->file = mh_source_name(r->src);
	ev->line = line;
	if (!ev->arena)
		ev->arena = &st->arena;
	mh_arena_reset(ev->arena);
	mh_event_clear(ev);

	if (!st->d && r->force_dialect)
		set_dialect(r, mh_dialect_find(r->force_dialect));
	if (!st->d)
		set_dialect(r, detect(r, ev, p, end));
	jp_init(c, r, ev, end);
	ok = st->d ? parse_object(c, p, &q, 1) : true;
	if (ok && st->d && c->mapped == 0 && !r->force_dialect) {
		/* Nothing maps: a mixed file? Try another dialect. */
		const mh_dialect *d = detect(r, ev, p, end);
		if (d && d != st->d) {
			set_dialect(r, d);
			mh_event_clear(ev);
			mh_arena_reset(ev->arena);
			jp_init(c, r, ev, end);
			ok = parse_object(c, p, &q, 1);
		}
	}
	if (!st->d && ok) {
		/* No dialect: still validate the record, as strictly as a
		 * record of a known dialect (the loose skip would accept
		 * {"a" "b"} or a doubled comma). Nothing maps, so nothing
		 * is stored. */
		mh_arena_reset(&st->karena);
		st->nkeys = 0;
		jp_init(c, r, ev, end);
		c->collect = true;
		ok = parse_object(c, p, &q, 1);
	}
	if (c->rc == MH_ENOMEM)
		return MH_ENOMEM;
	if (!ok) {
		const char *lp = c->errp ? c->errp : p;
		uint64_t el = base_line + count_nl(base, lp);
		const char *ls = lp;
		while (ls > base && ls[-1] != '\n')
			ls--;
		mh_reader_malformed(r, line, "%s (line %llu, column %llu)",
				    c->why, (unsigned long long)el,
				    (unsigned long long)(lp - ls + 1));
		return MH_EPARSE;
	}
	if (st->d)
		mh_event_set(ev, MH_F_DIALECT, st->d->name,
			     strlen(st->d->name));
	if (rend)
		*rend = q;
	return MH_OK;
}

/* Find member `key` of the object at p; *v receives its value start.
 * Only the top level of that object is scanned. */
static bool find_member(const char *p, const char *end, const char *key,
			const char **v)
{
	size_t kn = strlen(key);

	p = json_skip_ws(p + 1, end);
	while (p < end && *p == '"') {
		const char *q;
		bool esc;
		bool match;

		if (json_skip_string(p, end, &q, &esc) != JS_OK)
			return false;
		match =
		    (size_t)(q - p - 2) == kn && memcmp(p + 1, key, kn) == 0;
		p = json_skip_ws(q, end);
		if (p >= end || *p != ':')
			return false;
		p = json_skip_ws(p + 1, end);
		if (match) {
			*v = p;
			return true;
		}
		if (json_skip_value(p, end, 1, &q) != JS_OK)
			return false;
		p = json_skip_ws(q, end);
		if (p < end && *p == ',')
			p = json_skip_ws(p + 1, end);
		else
			return false;
	}
	return false;
}

static bool key_is(const char *p, const char *q, const char *lit)
{
	size_t n = strlen(lit);
	return (size_t)(q - p) == n && memcmp(p, lit, n) == 0;
}

/* Is the object at p an envelope? Looks at the first key only (cheap).
 * On ENV_* returns where the records start: *rec for a single record
 * (Splunk result), or *arr at the '[' of the record array. */
static env_kind envelope(const char *p, const char *end, const char **rec,
			 const char **arr)
{
	const char *ks, *q, *v;
	bool esc;

	*rec = NULL;
	*arr = NULL;
	ks = json_skip_ws(p + 1, end);
	if (ks >= end || *ks != '"' ||
	    json_skip_string(ks, end, &q, &esc) != JS_OK)
		return ENV_NONE;
	v = json_skip_ws(q, end);
	if (v >= end || *v != ':')
		return ENV_NONE;
	v = json_skip_ws(v + 1, end);
	if (key_is(ks + 1, q - 1, "preview") ||
	    key_is(ks + 1, q - 1, "result") ||
	    key_is(ks + 1, q - 1, "lastrow")) {
		const char *res;
		if (find_member(p, end, "result", &res) && res < end &&
		    *res == '{') {
			*rec = res;
			return ENV_NONE;
		}
		return ENV_NONE;
	}
	if (key_is(ks + 1, q - 1, "took") || key_is(ks + 1, q - 1, "hits") ||
	    key_is(ks + 1, q - 1, "timed_out") ||
	    key_is(ks + 1, q - 1, "_scroll_id") ||
	    key_is(ks + 1, q - 1, "_shards")) {
		const char *h, *hh;
		if (find_member(p, end, "hits", &h) && h < end && *h == '{' &&
		    find_member(h, end, "hits", &hh) && hh < end &&
		    *hh == '[') {
			*arr = hh;
			return ENV_SOURCE;
		}
		return ENV_NONE;
	}
	if (v < end && *v == '[') {
		const char *e = json_skip_ws(v + 1, end);
		if (e < end && *e == '{') {
			*arr = v;
			return ENV_ARRAY;
		}
	}
	return ENV_NONE;
}

/* --- reader state machine --------------------------------------------------
 */

/* Next record object from the current rest (an envelope array or the rest
 * of an NDJSON line). Returns true with [*rp, *re) and its line, or false
 * when the rest is exhausted. Malformed tails are reported. */
static bool rest_next(mh_reader *r, const char **rp, const char **re,
		      uint64_t *line)
{
	jstate *st = r->priv;
	const char *p = st->rest_p, *end = st->rest_end;

	for (;;) {
		const char *s = json_skip_ws(p, end);
		const char *q;
		json_scan_rc rc;

		st->rest_line += count_nl(p, s);
		p = s;
		if (st->env != ENV_NONE) {
			if (p < end && *p == ',') {
				p++;
				continue;
			}
			if (p < end && *p == ']') {
				/* End of the envelope array; the rest of the
				 * enclosing record is not scanned further. */
				st->rest_p = NULL;
				return false;
			}
		}
		if (p >= end) {
			st->rest_p = NULL;
			return false;
		}
		if (*p != '{') {
			mh_reader_malformed(r, st->rest_line, "%s",
					    st->env != ENV_NONE
						? "array element is not "
						  "an object"
						: "trailing characters "
						  "after the record");
			if (st->env == ENV_NONE) {
				st->rest_p = NULL;
				return false;
			}
			rc = json_skip_value(p, end, 1, &q);
			if (rc != JS_OK) {
				st->rest_p = NULL;
				return false;
			}
			st->rest_line += count_nl(p, q);
			p = q;
			continue;
		}
		rc = json_skip_value(p, end, 1, &q);
		if (rc != JS_OK) {
			/* The parser reports the precise reason. */
			q = end;
		}
		*rp = p;
		*re = q;
		*line = st->rest_line;
		st->rest_line += count_nl(p, q);
		st->rest_p = q;
		if (rc != JS_OK)
			st->rest_p = NULL;
		return true;
	}
}

/* For an Elastic hit, the record is its _source (or the hit itself). */
static const char *hit_source(const char *p, const char *end)
{
	const char *v;

	if (find_member(p, end, "_source", &v) && v < end && *v == '{')
		return v;
	return p;
}

/* Stream mode: find the next top-level record value in the window.
 * Returns MH_OK with [*rp, *re), MH_EOF, or an I/O error. Reports
 * malformed input itself. */
static mh_rc stream_next(mh_reader *r, const char **rp, const char **re,
			 uint64_t *line, mh_err *err)
{
	jstate *st = r->priv;

	for (;;) {
		const char *w, *p, *end, *q;
		size_t n;
		json_scan_rc rc;
		mh_rc mr;

		mh_source_peek(r->src, &w, &n);
		end = w + n;
		p = json_skip_ws(w, end);
		if (p == w && n >= 3 && mh_source_offset(r->src) == 0 &&
		    memcmp(w, "\xef\xbb\xbf", 3) == 0)
			p = json_skip_ws(w + 3, end);
		st->line += count_nl(w, p);
		mh_source_consume(r->src, (size_t)(p - w));
		w = p; /* the window now starts here */
		if (p == end) {
			mr = mh_source_more(r->src, err);
			if (mr == MH_OK)
				continue;
			if (mr == MH_ELIMIT) {
				mh_source_consume(r->src, n);
				continue;
			}
			return mr;
		}
		if (st->resync) {
			const char *nl;
			if (*p == '{') {
				st->resync = false;
			} else {
				nl = memchr(p, '\n', (size_t)(end - p));
				if (nl) {
					st->line++;
					mh_source_consume(r->src,
							  (size_t)(nl + 1 - p));
					continue;
				}
				mh_source_consume(r->src, (size_t)(end - p));
				mr = mh_source_more(r->src, err);
				if (mr == MH_OK || mr == MH_ELIMIT)
					continue;
				return mr;
			}
		}
		if (st->in_array && (*p == ',' || *p == ']')) {
			if (*p == ']')
				st->in_array = false;
			mh_source_consume(r->src, 1);
			continue;
		}
		if (*p == '[' && !st->in_array) {
			st->in_array = true;
			mh_source_consume(r->src, 1);
			continue;
		}
		if (*p != '{') {
			mh_reader_malformed(r, st->line,
					    "expected a JSON object, got '%c'",
					    *p >= 0x20 && *p < 0x7f ? *p : '?');
			st->resync = true;
			mh_source_consume(r->src, 1);
			continue;
		}
		rc = json_skip_value(p, end, 0, &q);
		if (rc == JS_END) {
			/* Grow the window geometrically before scanning the
			 * record again (pipes deliver 64 KiB at a time). */
			size_t want = n < (1u << 20) ? (1u << 20) : n;
			const char *w2;
			size_t n2 = n;

			do {
				mr = mh_source_more(r->src, err);
				mh_source_peek(r->src, &w2, &n2);
			} while (mr == MH_OK && n2 - n < want);
			if (mr == MH_OK || (mr == MH_EOF && n2 > n))
				continue;
			if (mr != MH_EOF && mr != MH_ELIMIT)
				return mr;
			/* Truncated at end of input or over the cap. */
			mh_reader_malformed(r, st->line, "%s",
					    mr == MH_EOF
						? "unexpected end of input "
						  "(truncated record)"
						: "record longer than the "
						  "maximum record size");
			st->resync = true;
			if (mr == MH_EOF) {
				mh_source_consume(r->src, (size_t)(end - p));
				return MH_EOF;
			}
			mh_source_consume(r->src, 1);
			continue;
		}
		if (rc != JS_OK) {
			/* Let the parser find and report the exact spot;
			 * then resynchronise on a line starting with '{'. */
			*rp = p;
			*re = end;
			*line = st->line;
			st->rest_consume = (size_t)(p - w) + 1;
			st->resync = true;
			st->broken = true;
			return MH_OK;
		}
		*rp = p;
		*re = q;
		*line = st->line;
		st->rest_consume = (size_t)(q - w);
		return MH_OK;
	}
}

static void stream_done(mh_reader *r)
{
	jstate *st = r->priv;
	const char *w;
	size_t n;

	if (!st->rest_consume)
		return;
	mh_source_peek(r->src, &w, &n);
	if (st->rest_consume > n)
		st->rest_consume = n;
	st->line += count_nl(w, w + st->rest_consume);
	mh_source_consume(r->src, st->rest_consume);
	st->rest_consume = 0;
}

/* --- prefilter fast path ---------------------------------------------------
 *
 * With r->pf_n > 0, an NDJSON line is skipped without a parse when every
 * occurrence of a key that maps to pf_field holds a value that is not an
 * integer in pf_vals. Keys are found by their closing `"` + ':' (any
 * whitespace between), so a key is never missed; extra hits (text inside
 * strings, nested keys) only make the test keep more lines. A line is
 * parsed normally when anything is unsure: a value with escapes or an
 * array, a `\u` escape anywhere (it could spell a key), no time, or a
 * time key that may be nested or in a second record on the line.
 *
 * The time of a skipped line is exact: the time keys are checked to be
 * members of the top-level object (a forward scan of brackets outside
 * strings up to the key) and the dialect's priority is applied as
 * mh_dialect_apply() does (lowest prio that parses; first on a tie).
 * Skipped lines are not validated: a malformed line that fails the
 * prefilter is counted as skipped, not malformed. */

static void pf_add(pf_plan *pl, const mh_dialect_map *m, bool time,
		   uint8_t role)
{
	const char *k = m->key, *dot = strrchr(k, '.');
	const char *l = dot ? dot + 1 : k;
	size_t n = strlen(l);
	pf_pat *pt = NULL;

	if (n == 0 || n > 250 || strpbrk(k, "\"\\")) {
		pl->ok = false;
		return;
	}
	for (size_t i = 0; i < pl->npat; i++)
		if (pl->pat[i].time == time && pl->pat[i].n == n &&
		    (time || pl->pat[i].role == role) &&
		    !memcmp(pl->pat[i].k, l, n))
			pt = &pl->pat[i];
	if (!pt) {
		if (pl->npat == PF_PATS) {
			pl->ok = false;
			return;
		}
		pt = &pl->pat[pl->npat++];
		memset(pt, 0, sizeof(*pt));
		pt->k = l;
		pt->n = (uint8_t)n;
		if (n < 2) {
			pl->ok = false;
			return;
		}
		{
			unsigned h = (unsigned)(unsigned char)l[n - 2] << 8 |
				     (unsigned char)l[n - 1];
			pl->last2[h >> 3] |= (uint8_t)(1u << (h & 7));
		}
		pt->time = time;
		pt->role = time ? PR_FIELD : role;
		pt->prio = 255;
	}
	if (dot) {
		pt->dotted = true;
	} else {
		pt->flat = true;
		if (m->prio < pt->prio)
			pt->prio = m->prio;
	}
}

/* With r->pf_allow_unset (issue 4) a line is skipped only when a
 * top-level flat key of pf_field certainly holds an integer outside the
 * set (so the field is set, not unset), no Protocol key holds anything
 * that may be ICMP (normalise unsets the ports of ICMP records), and no
 * key of pf_str_field occurs at all. */
static void pf_make_plan(pf_plan *pl, const mh_dialect *d, const mh_reader *r)
{
	bool any_time = false;
	mh_field f = r->pf_field;

	memset(pl, 0, sizeof(*pl));
	pl->d = d;
	pl->ok = d != NULL;
	/* normalise derives Service for Zeek smtp.log records */
	if (d && r->pf_str_set && !strcmp(d->name, "zeek"))
		pl->ok = false;
	for (size_t i = 0; d && i < d->nmap; i++) {
		const mh_dialect_map *m = &d->map[i];
		if (m->field == f) {
			pf_add(pl, m, false, PR_FIELD);
			if (r->pf_allow_unset && m->conv != MH_CONV_NONE)
				pl->ok = false;
		}
		if (r->pf_allow_unset && m->field == MH_F_PROTOCOL)
			pf_add(pl, m, false, PR_PROTO);
		if (r->pf_str_set && m->field == r->pf_str_field)
			pf_add(pl, m, false, PR_STR);
		if (m->field == MH_F_TIME) {
			pf_add(pl, m, true, PR_FIELD);
			any_time = true;
		}
	}
	if (!any_time || f == MH_F_TIME)
		pl->ok = false;
}

/* The integer value of a field, as mh_event_int() reads it. */
static bool pf_int(const char *p, const char *end, int64_t *out)
{
	bool neg = false;
	uint64_t v = 0;

	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (p < end && (*p == '-' || *p == '+'))
		neg = (*p++ == '-');
	if (p == end || *p < '0' || *p > '9')
		return false;
	while (p < end && *p >= '0' && *p <= '9') {
		unsigned dg = (unsigned)(*p - '0');
		if (v > (UINT64_MAX - dg) / 10)
			return false;
		v = v * 10 + dg;
		p++;
	}
	if (p < end && *p == '.') {
		p++;
		while (p < end && *p == '0')
			p++;
	}
	if (p != end || v > (uint64_t)INT64_MAX + (neg ? 1u : 0u))
		return false;
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return true;
}

static bool pf_in(const int64_t *v, size_t n, int64_t x)
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

typedef enum pf_val {
	PV_UNSURE, /* escapes, arrays, truncation: parse the line */
	PV_NONE,   /* null, object, true/false: no usable value */
	PV_TEXT,   /* [*vp, *ve) is the text the parser would store */
} pf_val;

/* The value after the ':' at c. */
static pf_val pf_value(const char *c, const char *end, const char **vp,
		       const char **ve)
{
	const char *p = json_skip_ws(c + 1, end), *q;

	if (p >= end)
		return PV_UNSURE;
	if (*p == '"') {
		q = memchr(p + 1, '"', (size_t)(end - p - 1));
		if (!q || memchr(p + 1, '\\', (size_t)(q - p - 1)))
			return PV_UNSURE;
		*vp = p + 1;
		*ve = q;
		return PV_TEXT;
	}
	if (*p == '-' || (*p >= '0' && *p <= '9')) {
		q = p + 1;
		while (q < end &&
		       ((*q >= '0' && *q <= '9') || *q == '.' || *q == 'e' ||
			*q == 'E' || *q == '+' || *q == '-'))
			q++;
		*vp = p;
		*ve = q;
		return PV_TEXT;
	}
	if (*p == '[')
		return PV_UNSURE;
	return PV_NONE;
}

/* Bracket depth at target (an unescaped '"') scanning from the record's
 * '{' at p; -1 when target is inside a string or the record closes
 * before it (a second value on the line). *q / *depth carry the scan
 * forward between calls with increasing targets. */
static int pf_depth(const char **qp, int *depth, const char *end,
		    const char *target)
{
	const char *q = *qp;
	int d = *depth;
	int res;

	for (;;) {
		q = json_next_structural(q, target);
		if (q >= target) {
			res = q == target ? d : -1;
			break;
		}
		if (*q == '"') {
			if (json_skip_string_fast(q, end, &q) != JS_OK ||
			    q > target) {
				/* target is inside this string */
				*qp = q;
				*depth = d;
				return -1;
			}
			continue;
		}
		if (*q == '{' || *q == '[') {
			d++;
		} else if (--d <= 0) {
			res = -2; /* the record closed */
			break;
		}
		q++;
	}
	*qp = q;
	*depth = d;
	return res;
}

/* Is there a '{' or '[' in [p, e)? An unescaped `"K":` with none before
 * it (after the record's '{') is a member of the top-level object. */
static bool pf_has_open(const char *p, const char *e)
{
#ifdef __SSE2__
	while (e - p >= 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)p);
		if (_mm_movemask_epi8(
			_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('{')),
				     _mm_cmpeq_epi8(v, _mm_set1_epi8('[')))))
			return true;
		p += 16;
	}
#endif
	for (; p < e; p++)
		if (*p == '{' || *p == '[')
			return true;
	return false;
}

/* May normalise take this Protocol value for ICMP (see is_icmp() in
 * normalize.c)? Any "icmp" inside, or the numbers 1 and 58. */
static bool pf_maybe_icmp(const char *p, const char *e)
{
	while (p < e && (*p == ' ' || *p == '\t'))
		p++;
	while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	if ((e - p == 1 && *p == '1') || (e - p == 2 && !memcmp(p, "58", 2)))
		return true;
	for (const char *q = p; e - q >= 4; q++)
		if ((q[0] | 0x20) == 'i' && (q[1] | 0x20) == 'c' &&
		    (q[2] | 0x20) == 'm' && (q[3] | 0x20) == 'p')
			return true;
	return false;
}

typedef struct pf_occ {
	const pf_pat *pt;
	const char *ks; /* the key's opening quote (or the '.') */
	const char *colon;
} pf_occ;

/* A key ending at e (its closing quote; c = the ':' after it): a time
 * key is remembered in occ[], a prefilter key's value is tested. Sets
 * *unsure when the line must be parsed. */
static void pf_key(mh_reader *r, const pf_plan *pl, const char *p,
		   const char *end, const char *c, const char *e, pf_occ *occ,
		   size_t *nocc, bool *unsure)
{
	for (size_t i = 0; i < pl->npat; i++) {
		const pf_pat *pt = &pl->pat[i];
		const char *ks = e - pt->n - 1;
		const char *vp, *ve;
		int64_t v;

		if (ks < p || e[-1] != pt->k[pt->n - 1] ||
		    (*ks != '"' && *ks != '.') ||
		    memcmp(ks + 1, pt->k, pt->n) != 0)
			continue;
		if (pt->time) {
			if (*nocc == PF_TIMEOCC) {
				*unsure = true;
				return;
			}
			occ[*nocc].pt = pt;
			occ[*nocc].ks = ks;
			occ[*nocc].colon = c;
			(*nocc)++;
			continue;
		}
		if (pt->role == PR_STR) {
			*unsure = true;
			return;
		}
		if (pt->role == PR_PROTO) {
			pf_val pv = pf_value(c, end, &vp, &ve);
			if (pv == PV_UNSURE ||
			    (pv == PV_TEXT && pf_maybe_icmp(vp, ve))) {
				*unsure = true;
				return;
			}
			continue;
		}
		switch (pf_value(c, end, &vp, &ve)) {
		case PV_UNSURE:
			*unsure = true;
			return;
		case PV_NONE:
			if (r->pf_allow_unset) {
				*unsure = true;
				return;
			}
			break;
		case PV_TEXT:
			if (!pf_int(vp, ve, &v)) {
				if (r->pf_allow_unset) {
					*unsure = true;
					return;
				}
				break;
			}
			if (pf_in(r->pf_vals, r->pf_n, v)) {
				*unsure = true;
				return;
			}
			break;
		}
	}
}

/* Backslashes at the set bits of mb (positions blk + i): is one of them
 * a real `\u` escape (an odd run of backslashes before 'u')? It could
 * spell a key, so the line must be parsed. */
static bool pf_u_escape(const char *p, const char *end, const char *blk,
			unsigned mb)
{
	for (; mb; mb &= mb - 1) {
		const char *bs = blk + __builtin_ctz(mb), *q = bs;

		if (bs + 1 >= end || bs[1] != 'u')
			continue;
		while (q > p && q[-1] == '\\')
			q--;
		if (!((bs - q) & 1))
			return true;
	}
	return false;
}

/* Per-colon scan of [from, to) of the line [p, end): the key (if any)
 * that ends before each ':' is checked with pf_key(); a real `\u` escape
 * makes the line unsure. Returns false when the line must be parsed. */
static bool pf_scan_range(mh_reader *r, const pf_plan *pl, const char *p,
			  const char *from, const char *to, const char *end,
			  pf_occ *occ, size_t *nocc)
{
	bool unsure = false;

	for (const char *blk = from; blk < to; blk += 16) {
		unsigned mc = 0, mb = 0;

#ifdef __SSE2__
		if (to - blk >= 16) {
			__m128i v = _mm_loadu_si128((const __m128i *)blk);
			mc = (unsigned)_mm_movemask_epi8(
			    _mm_cmpeq_epi8(v, _mm_set1_epi8(':')));
			mb = (unsigned)_mm_movemask_epi8(
			    _mm_cmpeq_epi8(v, _mm_set1_epi8('\\')));
		} else
#endif
		{
			for (int i = 0; i < 16 && blk + i < to; i++) {
				mc |= (unsigned)(blk[i] == ':') << i;
				mb |= (unsigned)(blk[i] == '\\') << i;
			}
		}
		if (mb && pf_u_escape(p, end, blk, mb))
			return false;
		for (; mc; mc &= mc - 1) {
			const char *c = blk + __builtin_ctz(mc);
			const char *e = c - 1;

			while (e > p && json_is_ws(*e))
				e--;
			if (e < p + 3 || *e != '"')
				continue;
			{
				unsigned h = (unsigned)(unsigned char)e[-2]
						 << 8 |
					     (unsigned char)e[-1];
				if (!(pl->last2[h >> 3] & (1u << (h & 7))))
					continue;
			}
			pf_key(r, pl, p, end, c, e, occ, nocc, &unsure);
			if (unsure)
				return false;
		}
	}
	return true;
}

/* --- the time of skipped lines, mostly without a parse ---
 * st->tx holds the text of the latest skipped time so far when it is a
 * plain ISO time: YYYY-MM-DD[Tt ]hh:mm:ss[.f...][Zz]. A value of the
 * same layout (same length, digits in the same places, same other
 * characters) with fields valid in every month (day <= 28, year
 * 1700..2199) parses (mh_time_parse() accepts it), and its order is the
 * byte order of its text. So such a value only replaces st->tx when it
 * sorts later, and the text is parsed once, when the reader hands out a
 * record (pf_flush()). Not used with since/until bounds (they need each
 * value). */
static bool pf_iso_layout(const char *v, size_t n)
{
	static const char lay[] = "dddd-dd-ddTdd:dd:dd";
	size_t i;

	if (n < 19 || n > sizeof(((jstate *)0)->tx))
		return false;
	for (i = 0; i < 19; i++) {
		bool ok;

		if (lay[i] == 'd')
			ok = v[i] >= '0' && v[i] <= '9';
		else if (lay[i] == 'T')
			ok = v[i] == 'T' || v[i] == 't' || v[i] == ' ';
		else
			ok = v[i] == lay[i];
		if (!ok)
			return false;
	}
	if (i < n && v[i] == '.') {
		if (++i == n || v[i] < '0' || v[i] > '9')
			return false;
		while (i < n && v[i] >= '0' && v[i] <= '9')
			i++;
	}
	if (i < n && (v[i] == 'Z' || v[i] == 'z'))
		i++;
	return i == n;
}

static unsigned pf_2d(const char *v)
{
	return (unsigned)(v[0] - '0') * 10 + (unsigned)(v[1] - '0');
}

/* Remember v as the latest time text (if it has the plain ISO layout),
 * with its layout as 8-byte words: tw = the text, dm = 0xff where it
 * holds a digit. */
static void pf_set_tx(jstate *st, const char *v, size_t n)
{
	size_t k = 0;

	st->txn = 0;
	st->tpending = false;
	if (!pf_iso_layout(v, n))
		return;
	memcpy(st->tx, v, n);
	st->txn = (uint8_t)n;
	for (size_t o = 0; o + 8 <= n && k < 5; o += 8)
		st->off[k++] = (uint8_t)o;
	st->off[k++] = (uint8_t)(n - 8);
	st->nw = (uint8_t)k;
	for (size_t i = 0; i < k; i++) {
		uint64_t w = 0, dm = 0;
		for (int b = 0; b < 8; b++) {
			unsigned char c = (unsigned char)v[st->off[i] + b];
			w |= (uint64_t)c << (8 * b);
			if (c >= '0' && c <= '9')
				dm |= (uint64_t)0xff << (8 * b);
		}
		st->tw[i] = w;
		st->dm[i] = dm;
	}
}

/* Same layout as st->tx (digits where it has digits, its other
 * characters elsewhere, same length) and fields valid in every month?
 * 8 bytes at a time: non-digit bytes must equal tx's; the digit bytes
 * (others forced to '0') must all lie in '0'..'9'. */
static bool pf_same_layout(const jstate *st, const char *v, size_t n)
{
	const uint64_t k30 = 0x3030303030303030ULL;
	const uint64_t k46 = 0x4646464646464646ULL;
	const uint64_t k80 = 0x8080808080808080ULL;
	unsigned y, mo, d;

	if (!st->txn || n != st->txn)
		return false;
	for (unsigned i = 0; i < st->nw; i++) {
		uint64_t x, z, dm = st->dm[i];

		memcpy(&x, v + st->off[i], 8);
		if ((x ^ st->tw[i]) & ~dm)
			return false;
		z = (x & dm) | (k30 & ~dm);
		if (((z - k30) | (z + k46)) & k80)
			return false;
	}
	y = pf_2d(v) * 100 + pf_2d(v + 2);
	mo = pf_2d(v + 5);
	d = pf_2d(v + 8);
	return y >= 1700 && y < 2200 && mo >= 1 && mo <= 12 && d >= 1 &&
	       d <= 28 && pf_2d(v + 11) <= 23 && pf_2d(v + 14) <= 59 &&
	       pf_2d(v + 17) <= 59;
}

/* Parse a pending st->tx into r->skip_time_ns. */
static void pf_flush(mh_reader *r)
{
	jstate *st = r->priv;
	int64_t ns;

	if (!st || !st->tpending)
		return;
	st->tpending = false;
	if (mh_time_parse(st->tx, st->txn, &ns) &&
	    (!r->skip_time_set || ns > r->skip_time_ns)) {
		r->skip_time_ns = ns;
		r->skip_time_set = true;
	}
}

/* Is the top-level key text [k, ke) a flat key of pf_field? */
static bool pf_is_field_key(const pf_plan *pl, const char *k, const char *ke)
{
	size_t n = (size_t)(ke - k);

	for (size_t i = 0; i < pl->npat; i++) {
		const pf_pat *pt = &pl->pat[i];
		if (!pt->time && pt->role == PR_FIELD && pt->flat &&
		    pt->n == n && !memcmp(pt->k, k, n))
			return true;
	}
	return false;
}

/* With pf_allow_unset (issue 4), called after pf_scan_range() found no
 * reason to parse: true only when [p, end) (p at '{') is one flat
 * object that parse_object() accepts (strings, numbers and literals as
 * values, then only whitespace), so a skipped line would not have been
 * reported malformed, and one of its members is a flat key of pf_field
 * holding an integer (outside the set: pf_scan_range() saw every value),
 * so the field is set. Anything else (a nested value, a second value on
 * the line, no such key): false, and the line is parsed. Uses the
 * parser's own scan helpers, so it is never looser than the parser. */
static bool pf_valid_flat(const mh_reader *r, const pf_plan *pl, const char *p,
			  const char *end)
{
	const char *q = json_skip_ws(p + 1, end), *k, *v;
	size_t nkeys = 0;
	bool set = false, fkey;
	int64_t x;

	if (q < end && *q == '}')
		return false;
	for (;;) {
		k = q;
		if (q >= end || *q != '"' ||
		    json_skip_string_fast(q, end, &q) != JS_OK ||
		    ++nkeys > MAX_KEYS)
			return false;
		/* (the patterns hold no backslash: an escaped key never
		 * compares equal) */
		fkey = pf_is_field_key(pl, k + 1, q - 1);
		q = json_skip_ws(q, end);
		if (q >= end || *q != ':')
			return false;
		q = json_skip_ws(q + 1, end);
		if (q >= end || *q == '{' || *q == '[')
			return false;
		v = q;
		if (*q == '"') {
			if (json_skip_string_fast(q, end, &q) != JS_OK)
				return false;
			if (fkey &&
			    !memchr(v + 1, '\\', (size_t)(q - 1 - (v + 1))) &&
			    pf_int(v + 1, q - 1, &x) &&
			    !pf_in(r->pf_vals, r->pf_n, x))
				set = true;
		} else {
			if (json_skip_scalar(q, end, &q) != JS_OK)
				return false;
			if (fkey && pf_int(v, q, &x) &&
			    !pf_in(r->pf_vals, r->pf_n, x))
				set = true;
		}
		q = json_skip_ws(q, end);
		if (q >= end)
			return false;
		if (*q == ',') {
			q = json_skip_ws(q + 1, end);
			continue;
		}
		if (*q != '}')
			return false;
		return set && json_skip_ws(q + 1, end) == end;
	}
}

/* Decide for the record line [p, end) (p at '{'). Returns true when the
 * line may be skipped; *t / *have_t receive its time. */
static bool pf_check(mh_reader *r, const pf_plan *pl, const char *p,
		     const char *end, int64_t *t, bool *have_t, mh_str *tv,
		     bool *tsame)
{
	const jstate *st = r->priv;
	bool lazy = !r->pf_since_set && !r->pf_until_set, same;

	pf_occ occ[PF_TIMEOCC];
	size_t nocc = 0;
	const char *sq;
	int sd, best_prio = 256;

	*have_t = false;
	if (!pf_scan_range(r, pl, p, p, end, end, occ, &nocc))
		return false;
	if (!nocc)
		return false;
	/* Time: walk the occurrences in line order. */
	sq = p;
	sd = 0;
	for (size_t i = 0; i < nocc; i++) {
		const pf_pat *pt = occ[i].pt;
		const char *vp, *ve;
		int64_t ns;
		int d;

		if (*occ[i].ks == '.') {
			if (pt->dotted)
				return false; /* maybe a flat dotted key */
			continue;
		}
		if (occ[i].ks > p && occ[i].ks[-1] == '\\')
			continue; /* an escaped quote: inside a string */
		if (!pf_has_open(p + 1, occ[i].ks))
			d = 1; /* no bracket before: a top-level key */
		else
			d = pf_depth(&sq, &sd, end, occ[i].ks);
		if (d == -2)
			return false;
		if (d == -1)
			continue;
		if (d != 1) {
			if (pt->dotted)
				return false; /* maybe the nested path */
			continue;
		}
		if (!pt->flat)
			continue;
		switch (pf_value(occ[i].colon, end, &vp, &ve)) {
		case PV_UNSURE:
			return false;
		case PV_NONE:
			continue;
		case PV_TEXT:
			break;
		}
		while (vp < ve && (*vp == ' ' || *vp == '\t'))
			vp++;
		while (ve > vp && (ve[-1] == ' ' || ve[-1] == '\t'))
			ve--;
		if ((int)pt->prio >= best_prio)
			continue;
		same = lazy && pf_same_layout(st, vp, (size_t)(ve - vp));
		if (!same && !mh_time_parse(vp, (size_t)(ve - vp), &ns))
			continue;
		*tsame = same;
		best_prio = pt->prio;
		*t = ns;
		*have_t = true;
		tv->p = vp;
		tv->n = (size_t)(ve - vp);
	}
	return *have_t && (!r->pf_allow_unset || pf_valid_flat(r, pl, p, end));
}

/* The fast path for one NDJSON line; true if it was skipped. */
static bool pf_skip_line(mh_reader *r, const char *p, const char *end)
{
	jstate *st = r->priv;
	int64_t t = 0;
	bool have_t, tsame = false;
	mh_str tv = {NULL, 0};

	if (st->pf.d != st->d)
		pf_make_plan(&st->pf, st->d, r);
	if (!st->pf.ok ||
	    !pf_check(r, &st->pf, p, end, &t, &have_t, &tv, &tsame))
		return false;
	r->stats.skipped++;
	if (have_t && tsame) {
		/* the text order is the time order: parse later */
		if (memcmp(tv.p, st->tx, tv.n) > 0) {
			memcpy(st->tx, tv.p, tv.n);
			st->tpending = true;
		}
		return true;
	}
	pf_flush(r);
	if (have_t && (!r->pf_since_set || t >= r->pf_since_ns) &&
	    (!r->pf_until_set || t <= r->pf_until_ns) &&
	    (!r->skip_time_set || t > r->skip_time_ns)) {
		r->skip_time_ns = t;
		r->skip_time_set = true;
		pf_set_tx(st, tv.p, tv.n);
	}
	return true;
}

static mh_rc json_next_rec(mh_reader *r, mh_event *ev, mh_err *err)
{
	jstate *st = r->priv;
	jp c;

	for (;;) {
		const char *p, *end;
		const char *rec, *arr;
		uint64_t line;
		env_kind ek;
		mh_rc rc;

		if (st->rest_p) {
			if (!rest_next(r, &p, &end, &line)) {
				if (st->mode == M_STREAM)
					stream_done(r);
				continue;
			}
			if (st->env == ENV_SOURCE) {
				const char *q;
				if (json_skip_value(p, end, 1, &q) == JS_OK)
					p = hit_source(p, q);
			}
			rc = parse_record(r, ev, &c, p, end, line, p, line,
					  NULL);
			if (rc == MH_OK) {
				r->stats.records++;
				return MH_OK;
			}
			if (rc == MH_ENOMEM)
				return mh_err_set(err, MH_ENOMEM,
						  mh_source_name(r->src), line,
						  0, "out of memory");
			continue;
		}
		st->env = ENV_NONE;
		if (st->mode == M_NDJSON) {
			mh_str l;
			rc = mh_source_line(r->src, &l, &line, err);
			if (rc == MH_ELIMIT) {
				mh_reader_malformed(r, line, "%s",
						    "line longer than the "
						    "maximum record size");
				continue;
			}
			if (rc != MH_OK)
				return rc;
			p = l.p;
			end = l.p + l.n;
			if (line == 1 && l.n >= 3 &&
			    memcmp(p, "\xef\xbb\xbf", 3) == 0)
				p += 3;
			p = json_skip_ws(p, end);
			if (p == end)
				continue; /* blank line */
			if (*p == '[') {
				st->env = ENV_ARRAY;
				st->rest_p = p + 1;
				st->rest_end = end;
				st->rest_line = line;
				continue;
			}
			if (*p != '{') {
				mh_reader_malformed(
				    r, line,
				    "expected a JSON object, got '%c' "
				    "(column %zu)",
				    *p >= 0x20 && *p < 0x7f ? *p : '?',
				    (size_t)(p - l.p + 1));
				continue;
			}
		} else {
			/* Consume what the previous record (or envelope) used;
			 * a no-op when nothing is pending. */
			stream_done(r);
			rc = stream_next(r, &p, &end, &line, err);
			if (rc != MH_OK)
				return rc;
		}

		if (st->broken) {
			/* Only to report the exact error spot. */
			st->broken = false;
			rec = arr = NULL;
			ek = ENV_NONE;
		} else {
			ek = envelope(p, end, &rec, &arr);
		}
		if (ek != ENV_NONE) {
			st->env = ek;
			st->rest_p = arr + 1;
			st->rest_end = end;
			st->rest_line = line + count_nl(p, arr);
			continue;
		}
		if (!rec && st->mode == M_NDJSON && r->pf_n && st->d &&
		    pf_skip_line(r, p, end))
			continue;
		if (rec) {
			/* Splunk export: the record is `result`. */
			line += count_nl(p, rec);
			p = rec;
		}
		{
			const char *q = end;
			rc = parse_record(r, ev, &c, p, end, line, p, line, &q);
			if (st->mode == M_NDJSON && rc == MH_OK && !rec) {
				/* More values on the same line? */
				q = json_skip_ws(q, end);
				if (q < end) {
					st->rest_p = q;
					st->rest_end = end;
					st->rest_line = line;
				}
			}
		}
		if (st->mode == M_STREAM)
			stream_done(r);
		if (rc == MH_OK) {
			r->stats.records++;
			return MH_OK;
		}
		if (rc == MH_ENOMEM)
			return mh_err_set(err, MH_ENOMEM,
					  mh_source_name(r->src), line, 0,
					  "out of memory");
	}
}

/* NDJSON when the first record is complete on its first line (or, when
 * it is not, the next line starts a new object at column 1); else
 * stream mode (pretty-printed, concatenated, arrays). */
static mh_rc choose_mode(mh_reader *r, mh_err *err)
{
	jstate *st = r->priv;

	for (;;) {
		const char *w, *p, *end, *nl, *q;
		size_t n;
		mh_rc rc;

		mh_source_peek(r->src, &w, &n);
		end = w + n;
		p = w;
		if (n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
			p += 3;
		p = json_skip_ws(p, end);
		nl = p < end ? memchr(p, '\n', (size_t)(end - p)) : NULL;
		if (p < end && *p == '[') {
			st->mode = M_STREAM;
			return MH_OK;
		}
		if (p < end && *p == '{' && nl) {
			json_scan_rc sr = json_skip_value(p, nl, 0, &q);
			if (sr == JS_OK) {
				st->mode = M_NDJSON;
				return MH_OK;
			}
			st->mode = (nl + 1 < end && nl[1] == '{') ? M_NDJSON
								  : M_STREAM;
			if (st->mode == M_STREAM && nl + 1 >= end) {
				/* Need the next line to tell. */
			} else {
				return MH_OK;
			}
		} else if (p < end && *p != '{') {
			st->mode = M_NDJSON; /* garbage: report per line */
			return MH_OK;
		}
		rc = mh_source_more(r->src, err);
		if (rc == MH_EOF || rc == MH_ELIMIT) {
			st->mode = M_NDJSON;
			return MH_OK;
		}
		if (rc != MH_OK)
			return rc;
	}
}

static mh_rc json_open(mh_reader *r, mh_err *err)
{
	jstate *st = calloc(1, sizeof(*st));
	bool any = false;
	mh_rc rc;

	if (!st)
		return mh_err_set(err, MH_ENOMEM, NULL, 0, 0, "out of memory");
	st->dc = malloc(sizeof(*st->dc));
	if (!st->dc) {
		free(st);
		return mh_err_set(err, MH_ENOMEM, NULL, 0, 0, "out of memory");
	}
	st->line = 1;
	mh_arena_init(&st->arena, ARENA_BLOCK, ARENA_CAP);
	mh_arena_init(&st->karena, 16u << 10, 4u << 20);
	for (unsigned i = 0; i < MH_FIELD_WORDS; i++)
		if (r->need.w[i])
			any = true;
	st->need_all = !any;
	r->priv = st;
	r->dialect[0] = 0;
	rc = choose_mode(r, err);
	if (rc != MH_OK) {
		mh_arena_free(&st->arena);
		mh_arena_free(&st->karena);
		free(st->dc);
		free(st);
		r->priv = NULL;
	}
	return rc;
}

static void json_close(mh_reader *r)
{
	jstate *st = r->priv;

	if (!st)
		return;
	mh_arena_free(&st->arena);
	mh_arena_free(&st->karena);
	free(st->dc);
	free(st);
	r->priv = NULL;
}

/* The reader's next(): skip_time_ns is exact whenever it returns. */
static mh_rc json_next(mh_reader *r, mh_event *ev, mh_err *err)
{
	mh_rc rc = json_next_rec(r, ev, err);

	pf_flush(r);
	return rc;
}

bool mh_input_json_is_ndjson(const mh_reader *r)
{
	const jstate *st = r->priv;

	return r->ops == &mh_input_json && st && st->mode == M_NDJSON;
}

void mh_input_json_resume(mh_reader *r, const char *dialect)
{
	jstate *st = r->priv;

	if (r->ops != &mh_input_json || !st)
		return;
	st->mode = M_NDJSON;
	if (dialect && dialect[0]) {
		const mh_dialect *d = mh_dialect_find(dialect);
		if (d)
			set_dialect(r, d);
	}
}

static int json_probe(const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len;

	if (!buf)
		return 0;
	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	p = json_skip_ws(p, end);
	if (p >= end)
		return 0;
	if (*p == '{') {
		p = json_skip_ws(p + 1, end);
		return (p >= end || *p == '"' || *p == '}') ? 95 : 60;
	}
	if (*p == '[') {
		p = json_skip_ws(p + 1, end);
		return (p >= end || *p == '{' || *p == ']') ? 90 : 30;
	}
	return 0;
}

const mh_reader_ops mh_input_json = {
    .name = "json",
    .desc = "JSON: NDJSON, pretty-printed or concatenated values, arrays, "
	    "Splunk/Elastic export envelopes",
    .probe = json_probe,
    .open = json_open,
    .next = json_next,
    .close = json_close,
};
