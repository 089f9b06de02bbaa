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
#include "input/json_int.h"

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

char *mh_json_decode(const char *p, const char *end, char *o)
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
	o = mh_json_decode(p, e, buf);
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
				    (size_t)(mh_json_decode(ks, ke,
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
env_kind mh_json_envelope(const char *p, const char *end, const char **rec,
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

static mh_rc json_next_rec(mh_reader *r, mh_event *ev, mh_err *err)
{
	jstate *st = r->priv;
	jp c;

	for (;;) {
		const char *p, *end;
		const char *rec, *arr;
		bool judged = false;
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
			if ((r->pf_n || r->pf_vonly) && st->d && !st->pf_judged)
				mh_json_pf_run(r);
			judged = st->pf_judged;
			st->pf_judged = false;
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
			ek = mh_json_envelope(p, end, &rec, &arr);
		}
		if (ek != ENV_NONE) {
			st->env = ek;
			st->rest_p = arr + 1;
			st->rest_end = end;
			st->rest_line = line + count_nl(p, arr);
			continue;
		}
		if (!rec && st->mode == M_NDJSON && (r->pf_n || r->pf_vonly) &&
		    st->d && !judged && mh_json_pf_skip_line(r, p, end))
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
	mh_vf_state_free(&st->vfs);
	free(st->vrk);
	free(st->dc);
	free(st);
	r->priv = NULL;
}

/* The reader's next(): skip_time_ns is exact whenever it returns. */
static mh_rc json_next(mh_reader *r, mh_event *ev, mh_err *err)
{
	mh_rc rc = json_next_rec(r, ev, err);

	mh_json_pf_flush(r);
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
