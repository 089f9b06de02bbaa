/* json-simd: NDJSON through simdjson On-Demand, the library baseline that
 * the hand-written reader (json.c) must beat and agree with (issue 4).
 *
 * Each line is copied into a padded per-reader buffer (simdjson reads up
 * to SIMDJSON_PADDING bytes past the end; the buffer only grows), parsed
 * by simdjson and walked. With every field requested (r->need empty) the
 * walk is complete and simdjson checks the structure of every value
 * (json.c checks the values it skips only loosely; see
 * mh_json_simd_last_error_class()); with some fields requested, arrays
 * and objects that hold none are left to On-Demand's skipping (bracket
 * depth only), as json.c skips them loosely. Keys are flattened and
 * mapped exactly as json.c does: nested objects become dotted paths,
 * arrays of scalars become lists joined with MH_LIST_SEP (multi bit set),
 * null leaves the field unset, numbers and booleans keep their literal
 * text (the raw token), dialect detection, priorities and conversions
 * come from dialect.c.
 *
 * Where JSON is stricter than json.c's documented policy, this reader
 * follows json.c so that both give the same fields and verdicts:
 *  - Strings are decoded here from their raw text: invalid escapes and
 *    lone surrogates become U+FFFD (simdjson would reject them).
 *  - Invalid UTF-8 anywhere and raw control bytes inside strings pass
 *    through byte for byte (simdjson rejects the whole line). When
 *    simdjson reports either, the line is transcoded: each such byte b
 *    becomes the code point U+10FF00 + b (and the bytes of any genuine
 *    U+10FF00..U+10FFFF are escaped the same way), and string decoding
 *    maps those code points back to the original bytes.
 *  - Numbers are checked like json.c checks them (a '-' or digit, then
 *    digits . e E + -) and kept as text, never converted: 1e400, 007 or
 *    huge integers are values, not errors.
 *  - Caps: nesting deeper than 64 levels, more than 20000 keys in the
 *    objects that are walked, paths of about 1 KiB never map.
 *  - Duplicate keys: each occurrence is applied in order (the dialect's
 *    priority rule decides), as json.c does.
 * Unsupported (reported as malformed, with a reason saying so): a line
 * that is not one object (a top-level array, several values, an
 * envelope such as a Splunk export `result` or Elastic `hits`, or an
 * object whose first member is an array of objects), and records that
 * span lines.
 *
 * Not thread-safe: one reader per thread. No allocation per record once
 * the buffers have grown to the longest line. */
#include <simdjson.h>

#include <cstdlib>
#include <cstring>
#include <new>

extern "C" {
#include "input/dialect.h"
#include "input/input.h"
#include "input/json_simd.h"
}

namespace od = simdjson::ondemand;
using simdjson::error_code;

namespace
{

constexpr size_t PATH_CAP = 1024;    /* as json.c */
constexpr unsigned MAX_KEYS = 20000; /* as json.c */
constexpr size_t DETECT_KEYS = 512;  /* as json.c */
constexpr int MAX_DEPTH = 64;	     /* as json.c (JSON_MAX_DEPTH) */
constexpr size_t ARENA_BLOCK = 64u << 10;
constexpr size_t ARENA_CAP = 64u << 20;

/* Key cache: the n-th key of the last records (in walk order) and what
 * it resolved to in the current dialect. Records of one file repeat their
 * key order, so a compare replaces the hash lookups. */
constexpr size_t KC_SLOTS = 256;
constexpr size_t KC_KEYLEN = 62;
struct kc_entry {
	uint8_t n;  /* path length; 0 = empty */
	int8_t pfx; /* has_prefix: -1 unknown, 0, 1 */
	bool m_ok;  /* m is known */
	char k[KC_KEYLEN];
	const mh_dialect_map *m;
};

struct sstate {
	od::parser parser;
	char *buf = nullptr; /* padded copy of the line */
	size_t cap = 0;
	char *tbuf = nullptr; /* padded transcoded copy */
	size_t tcap = 0;
	mh_arena arena; /* event values when the caller gives none */
	bool arena_ok = false;
	char *kpool = nullptr; /* detection keys: DETECT_KEYS * PATH_CAP */
	mh_str keys[DETECT_KEYS];
	size_t nkeys = 0;
	const mh_dialect *d = nullptr;
	bool need_all = true;
	int last_class = MH_SIMD_ERR_STRICT; /* of the last malformed line */
	uint8_t prio[MH_F__COUNT];
	kc_entry kc[KC_SLOTS] = {};
};

/* One pass over one record. */
struct ctx {
	mh_reader *r;
	sstate *st;
	mh_event *ev;
	const mh_dialect *d;
	bool collect; /* collect keys for detection instead of mapping */
	bool trans;   /* the text is transcoded: map U+10FFxx back */
	const char *bend;
	unsigned nkeys;
	unsigned mapped;
	const char *why;
	bool lazy;
	error_code ierr; /* simdjson's first stage failed with this */
	bool trailing;	 /* more text follows the record object */
	mh_rc rc;
	size_t plen;
	char path[PATH_CAP];
};

bool fail(ctx &c, const char *why, bool lazy)
{
	if (!c.why) {
		c.why = why;
		c.lazy = lazy;
	}
	return false;
}

/* simdjson's messages are static strings. */
bool fail_code(ctx &c, error_code e, bool lazy)
{
	return fail(c, simdjson::error_message(e), lazy);
}

/* --- transcoding (see the top comment) ----------------------------------- */

/* Length of the valid UTF-8 sequence at p, or 0. */
size_t utf8_len(const unsigned char *p, const unsigned char *e, unsigned *cp)
{
	unsigned c = p[0], v;
	size_t n;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		v = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		v = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		v = c & 0x07;
	} else {
		return 0;
	}
	if ((size_t)(e - p) < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (p[i] & 0x3f);
	}
	if ((n == 3 && v < 0x800) || (n == 4 && v < 0x10000) || v > 0x10ffff ||
	    (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return n;
}

char *put_escaped_byte(char *o, unsigned char b)
{
	unsigned cp = 0x10ff00u + b;

	*o++ = (char)0xf4;
	*o++ = (char)(0x80 | ((cp >> 12) & 0x3f));
	*o++ = (char)(0x80 | ((cp >> 6) & 0x3f));
	*o++ = (char)(0x80 | (cp & 0x3f));
	return o;
}

/* Is [p, e) at an escaped byte? Returns it in *b. */
bool escaped_byte(const char *p, const char *e, unsigned char *b)
{
	const unsigned char *u = (const unsigned char *)p;

	if (e - p < 4 || u[0] != 0xf4 || u[1] != 0x8f || u[2] < 0xbc ||
	    u[2] > 0xbf || (u[3] & 0xc0) != 0x80)
		return false;
	*b = (unsigned char)(((u[2] & 0x03) << 6) | (u[3] & 0x3f));
	return true;
}

/* Transcode [p, p+n) into o (room for 4n). Returns the output length. */
size_t transcode(const char *p, size_t n, char *o)
{
	const unsigned char *u = (const unsigned char *)p, *e = u + n;
	char *o0 = o;
	bool in_str = false;

	while (u < e) {
		unsigned cp;
		size_t l = utf8_len(u, e, &cp);

		if (l == 0) {
			o = put_escaped_byte(o, *u++);
			continue;
		}
		if (l == 4 && cp >= 0x10ff00) {
			for (size_t i = 0; i < 4; i++)
				o = put_escaped_byte(o, u[i]);
			u += 4;
			continue;
		}
		if (l > 1) {
			memcpy(o, u, l);
			o += l;
			u += l;
			continue;
		}
		if (in_str && *u < 0x20) {
			o = put_escaped_byte(o, *u++);
			continue;
		}
		if (*u == '"') {
			in_str = !in_str;
		} else if (in_str && *u == '\\' && u + 1 < e) {
			*o++ = (char)*u++;
			/* the escaped character: a quote or a backslash is
			 * copied; other bytes go through the loop */
			if (*u != '"' && *u != '\\')
				continue;
		}
		*o++ = (char)*u++;
	}
	return (size_t)(o - o0);
}

/* --- string decoding (json.c's policy) ------------------------------------ */

int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool hex4(const char *p, const char *end, unsigned *out)
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

char *put_utf8(char *o, unsigned cp)
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

/* Decode the raw string body [p, end) into o (room for 3/2 * n + 4).
 * Escapes: as JSON; an invalid escape (backslash + one character) or a
 * lone surrogate becomes U+FFFD. With trans, escaped bytes are restored.
 * Returns the end of the output. */
char *decode(const char *p, const char *end, char *o, bool trans)
{
	while (p < end) {
		unsigned cp, lo;
		unsigned char b;

		if (trans && escaped_byte(p, end, &b)) {
			*o++ = (char)b;
			p += 4;
			continue;
		}
		if (*p != '\\') {
			if (!trans) {
				const char *bs = static_cast<const char *>(
				    memchr(p, '\\', (size_t)(end - p)));
				size_t n = (size_t)((bs ? bs : end) - p);
				memcpy(o, p, n);
				o += n;
				p += n;
			} else {
				*o++ = *p++;
			}
			continue;
		}
		p++;
		if (p >= end) {
			o = put_utf8(o, 0xfffd);
			break;
		}
		switch (*p) {
		case '"':
		case '\\':
		case '/':
			*o++ = *p++;
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
			o = put_utf8(o, 0xfffd);
			/* one original byte, even when escaped */
			p += (trans && escaped_byte(p, end, &b)) ? 4 : 1;
			continue;
		}
		p++;
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

/* Length of the original text of a raw body (escaped bytes count 1). */
size_t orig_len(const char *p, const char *end, bool trans)
{
	size_t n = 0;
	unsigned char b;

	if (!trans)
		return (size_t)(end - p);
	while (p < end) {
		p += escaped_byte(p, end, &b) ? 4 : 1;
		n++;
	}
	return n;
}

bool needs_decode(const char *p, const char *end, bool trans)
{
	if (trans)
		return true;
	return memchr(p, '\\', (size_t)(end - p)) != nullptr;
}

/* The body [*b, *e) of the string value v. Consumes it: a string left
 * unconsumed would be skipped by On-Demand, whose skipping takes a
 * string followed by ':' for a key and so hides errors. The extent comes
 * from simdjson's structural index (the token runs to the next
 * structural character), so the body is not scanned here. */
bool string_body(ctx &c, od::value &v, const char **b, const char **e,
		 bool lazy)
{
	std::string_view t = v.raw_json_token();
	const char *p = t.data(), *q = t.data() + t.size();
	od::raw_json_string rs;
	error_code err = v.get_raw_json_string().get(rs);

	if (err)
		return fail_code(c, err, lazy);
	while (q > p && (q[-1] == ' ' || q[-1] == '\t' || q[-1] == '\n' ||
			 q[-1] == '\r'))
		q--;
	if (q - p < 2 || *p != '"' || q[-1] != '"')
		return fail(c, "invalid string", lazy);
	*b = p + 1;
	*e = q - 1;
	return true;
}

/* The value of a string: zero-copy unless it must be decoded, then in the
 * event arena (one allocation of its own, so every value has its own
 * address, which store() relies on). */
bool string_value(ctx &c, const char *p, const char *e, mh_str *out)
{
	size_t n = (size_t)(e - p);
	char *buf, *o;

	if (!needs_decode(p, e, c.trans)) {
		out->p = p;
		out->n = n;
		return true;
	}
	buf = static_cast<char *>(mh_arena_alloc(c.ev->arena, n + n / 2 + 4));
	if (!buf) {
		c.rc = MH_ENOMEM;
		return fail(c, "out of memory", false);
	}
	o = decode(p, e, buf, c.trans);
	out->p = buf;
	out->n = (size_t)(o - buf);
	return true;
}

/* A number or literal token, checked as json.c checks it. */
bool scalar_token(ctx &c, od::value &v, mh_str *out, bool *is_null, bool lazy)
{
	std::string_view t = v.raw_json_token();
	const char *p = t.data(), *q = t.data() + t.size();

	while (q > p && (q[-1] == ' ' || q[-1] == '\t' || q[-1] == '\n' ||
			 q[-1] == '\r'))
		q--;
	*is_null = false;
	if (p == q)
		return fail(c, "invalid JSON value", lazy);
	if (*p == 't' || *p == 'f' || *p == 'n') {
		const char *lit = *p == 't'   ? "true"
				  : *p == 'f' ? "false"
					      : "null";
		size_t n = strlen(lit);
		if ((size_t)(q - p) != n || memcmp(p, lit, n) != 0)
			return fail(c, "invalid JSON value", lazy);
		*is_null = *p == 'n';
	} else if (*p == '-' || (*p >= '0' && *p <= '9')) {
		for (const char *s = p + 1; s < q; s++)
			if (!((*s >= '0' && *s <= '9') || *s == '.' ||
			      *s == 'e' || *s == 'E' || *s == '+' || *s == '-'))
				return fail(c, "invalid JSON value", lazy);
	} else {
		return fail(c, "invalid JSON value", lazy);
	}
	out->p = p;
	out->n = (size_t)(q - p);
	return true;
}

/* --- mapping -------------------------------------------------------------- */

bool field_needed(const ctx &c, mh_field f)
{
	return c.st->need_all || f == MH_F_TIME ||
	       mh_fieldset_has(&c.r->need, f);
}

/* As json.c: apply, and set/clear the multi bit when the value changed. */
void store(ctx &c, const mh_dialect_map *m, const char *p, size_t n, bool multi)
{
	mh_event *ev = c.ev;
	mh_field f = m->field;
	const char *before = mh_event_has(ev, f) ? ev->v[f].p : nullptr;
	mh_rc rc = mh_dialect_apply(m, ev, c.st->prio, p, n);

	if (rc == MH_ENOMEM) {
		c.rc = MH_ENOMEM;
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

void collect_key(ctx &c)
{
	sstate *st = c.st;
	char *k;

	if (st->nkeys >= DETECT_KEYS)
		return;
	k = st->kpool + st->nkeys * PATH_CAP;
	memcpy(k, c.path, c.plen);
	st->keys[st->nkeys].p = k;
	st->keys[st->nkeys].n = c.plen;
	st->nkeys++;
}

/* --- the walk ------------------------------------------------------------- */

bool is_ws(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

bool walk_object(ctx &c, od::object obj, int level);

/* Validate a value that json.c skips (level: its container's). Scalars
 * directly under a key are checked as json.c checks them (lazy false);
 * everything inside a skipped array or object is lazy. */
bool skip_value(ctx &c, od::value v, int level, bool lazy)
{
	od::json_type t;
	error_code e = v.type().get(t);

	if (e)
		return fail_code(c, e, lazy);
	switch (t) {
	case od::json_type::object: {
		od::object o;
		if (level + 1 > MAX_DEPTH)
			return fail(c, "nesting deeper than 64 levels", false);
		if ((e = v.get_object().get(o)))
			return fail_code(c, e, true);
		for (auto fr : o) {
			od::field f;
			if ((e = std::move(fr).get(f)))
				return fail_code(c, e, true);
			if (!skip_value(c, f.value(), level + 1, true))
				return false;
		}
		return true;
	}
	case od::json_type::array: {
		od::array a;
		if (level + 1 > MAX_DEPTH)
			return fail(c, "nesting deeper than 64 levels", false);
		if ((e = v.get_array().get(a)))
			return fail_code(c, e, true);
		for (auto er : a) {
			od::value x;
			if ((e = std::move(er).get(x)))
				return fail_code(c, e, true);
			if (!skip_value(c, x, level + 1, true))
				return false;
		}
		return true;
	}
	case od::json_type::string: {
		const char *b, *q;
		return string_body(c, v, &b, &q, lazy);
	}
	default: {
		mh_str s;
		bool is_null;
		return scalar_token(c, v, &s, &is_null, lazy);
	}
	}
}

/* A value json.c skips. With every field requested (the differential
 * test, `mailhunt parse`), it is validated completely (skip_value());
 * when the caller asked for some fields only (a scan), scalars are still
 * checked as json.c checks them, but arrays and objects are left to
 * On-Demand, which skips them by bracket depth without validating them,
 * as json.c skips them loosely (each in its own way): then the verdicts
 * on malformed records may differ between the readers, never the fields
 * of valid ones. */
bool lazy_skip(ctx &c, od::value &v, int level)
{
	od::json_type t;

	if (c.st->need_all)
		return skip_value(c, v, level, false);
	if (v.type().get(t) == simdjson::SUCCESS &&
	    (t == od::json_type::object || t == od::json_type::array))
		return true;
	return skip_value(c, v, level, false);
}

/* A mapped, needed array: direct scalar elements joined with MH_LIST_SEP;
 * null and nested values are ignored (nested ones validated loosely by
 * json.c: lazy). */
bool array_value(ctx &c, const mh_dialect_map *m, od::value v, int level)
{
	od::array a;
	error_code e;
	mh_str first = {nullptr, 0};
	size_t count = 0, blen = 0, bcap = 0;
	char *buf = nullptr;

	if (level + 1 > MAX_DEPTH)
		return fail(c, "nesting deeper than 64 levels", false);
	if ((e = v.get_array().get(a)))
		return fail_code(c, e, false);
	for (auto er : a) {
		od::value x;
		od::json_type t;
		mh_str s = {nullptr, 0};
		bool have = true;

		if ((e = std::move(er).get(x)) || (e = x.type().get(t)))
			return fail_code(c, e, false);
		if (t == od::json_type::string) {
			const char *b, *q;
			if (!string_body(c, x, &b, &q, false) ||
			    !string_value(c, b, q, &s))
				return false;
		} else if (t == od::json_type::object ||
			   t == od::json_type::array) {
			if (!skip_value(c, x, level + 1, true))
				return false;
			have = false;
		} else {
			bool is_null;
			if (!scalar_token(c, x, &s, &is_null, false))
				return false;
			have = !is_null;
		}
		if (!have)
			continue;
		if (count == 0) {
			first = s;
		} else {
			if (blen + 1 + s.n > bcap) {
				/* grow: rare (arena, reset per record) */
				size_t ncap = (blen + 1 + s.n) * 2 + 64;
				char *nb = static_cast<char *>(
				    mh_arena_alloc(c.ev->arena, ncap));
				if (!nb) {
					c.rc = MH_ENOMEM;
					return fail(c, "out of memory", false);
				}
				if (buf)
					memcpy(nb, buf, blen);
				else {
					memcpy(nb, first.p, first.n);
					blen = first.n;
				}
				buf = nb;
				bcap = ncap;
			}
			buf[blen++] = MH_LIST_SEP;
			memcpy(buf + blen, s.p, s.n);
			blen += s.n;
		}
		count++;
	}
	if (count == 1)
		store(c, m, first.p, first.n, true);
	else if (count > 1)
		store(c, m, buf, blen, true);
	return true;
}

/* The cache entry of the current key (ordinal c.nkeys, path c.path),
 * reset on a miss; nullptr when the key is not cacheable. */
kc_entry *cache_slot(ctx &c)
{
	kc_entry *e;

	if (c.nkeys > KC_SLOTS || c.plen > KC_KEYLEN)
		return nullptr;
	e = &c.st->kc[c.nkeys - 1];
	if (e->n == c.plen && c.plen && memcmp(e->k, c.path, c.plen) == 0)
		return e;
	e->n = (uint8_t)c.plen;
	memcpy(e->k, c.path, c.plen);
	e->pfx = -1;
	e->m_ok = false;
	return e;
}

/* One member value at path c.path (level: the containing object's). */
bool member(ctx &c, od::value v, int level)
{
	od::json_type t;
	error_code e = v.type().get(t);
	const mh_dialect_map *m = nullptr;
	kc_entry *kc;

	if (e)
		return fail_code(c, e, false);
	if (c.collect) {
		collect_key(c);
		if (t == od::json_type::object) {
			od::object o;
			if (level + 1 > MAX_DEPTH)
				return fail(c, "nesting deeper than 64 levels",
					    false);
			if ((e = v.get_object().get(o)))
				return fail_code(c, e, false);
			return walk_object(c, o, level + 1);
		}
		return lazy_skip(c, v, level);
	}
	kc = cache_slot(c);
	if (t == od::json_type::object) {
		od::object o;
		bool pfx;
		if (kc && kc->pfx >= 0) {
			pfx = kc->pfx;
		} else {
			pfx = c.plen < PATH_CAP &&
			      mh_dialect_has_prefix(c.d, c.path, c.plen);
			if (kc)
				kc->pfx = pfx;
		}
		if (!pfx)
			return lazy_skip(c, v, level);
		if (level + 1 > MAX_DEPTH)
			return fail(c, "nesting deeper than 64 levels", false);
		if ((e = v.get_object().get(o)))
			return fail_code(c, e, false);
		return walk_object(c, o, level + 1);
	}
	if (kc && kc->m_ok) {
		m = kc->m;
	} else {
		if (c.plen < PATH_CAP)
			m = mh_dialect_lookup(c.d, c.path, c.plen);
		if (kc) {
			kc->m = m;
			kc->m_ok = true;
		}
	}
	if (m)
		c.mapped++;
	if (!m || !field_needed(c, m->field))
		return lazy_skip(c, v, level);
	if (t == od::json_type::array)
		return array_value(c, m, v, level);
	if (t == od::json_type::string) {
		const char *b, *q;
		mh_str s;
		if (!string_body(c, v, &b, &q, false) ||
		    !string_value(c, b, q, &s))
			return false;
		store(c, m, s.p, s.n, false);
		return true;
	}
	{
		mh_str s;
		bool is_null;
		if (!scalar_token(c, v, &s, &is_null, false))
			return false;
		if (!is_null)
			store(c, m, s.p, s.n, false);
	}
	return true;
}

/* End of the raw key whose body starts at p (after the opening quote). */
const char *key_end(const char *p, const char *end)
{
	while (p < end) {
		if (*p == '"')
			return p;
		p += *p == '\\' ? 2 : 1;
	}
	return nullptr;
}

bool walk_object(ctx &c, od::object obj, int level)
{
	size_t base = c.plen;

	if (level > MAX_DEPTH)
		return fail(c, "nesting deeper than 64 levels", false);
	for (auto fr : obj) {
		od::field f;
		error_code e;
		const char *ks, *ke;
		size_t klen;

		if ((e = std::move(fr).get(f)))
			return fail_code(c, e, false);
		ks = f.key().raw();
		{
			/* The key ends at the last '"' before the value's
			 * token (after blanks, ':' and blanks). */
			od::value fv = f.value();
			std::string_view vt = fv.raw_json_token();
			ke = vt.data();
			while (ke > ks && is_ws(ke[-1]))
				ke--;
			if (ke > ks && ke[-1] == ':')
				ke--;
			while (ke > ks && is_ws(ke[-1]))
				ke--;
			if (ke <= ks || ke[-1] != '"')
				return fail(c, "invalid key", false);
			ke--;
		}
		if (++c.nkeys > MAX_KEYS)
			return fail(c, "too many keys in record", false);
		klen = orig_len(ks, ke, c.trans);
		c.plen = base;
		if (base + 1 + klen * 3 / 2 + 4 < PATH_CAP) {
			if (base)
				c.path[c.plen++] = '.';
			c.plen =
			    (size_t)(decode(ks, ke, c.path + c.plen, c.trans) -
				     c.path);
		} else {
			c.plen = PATH_CAP; /* too long: never maps */
		}
		if (!member(c, f.value(), level))
			return false;
	}
	c.plen = base;
	return true;
}

void ctx_init(ctx &c, mh_reader *r, mh_event *ev, bool collect, bool trans,
	      const char *bend)
{
	c.r = r;
	c.st = static_cast<sstate *>(r->priv);
	c.ev = ev;
	c.d = c.st->d;
	c.collect = collect;
	c.trans = trans;
	c.bend = bend;
	c.nkeys = 0;
	c.mapped = 0;
	c.why = nullptr;
	c.lazy = false;
	c.ierr = simdjson::SUCCESS;
	c.trailing = false;
	c.rc = MH_OK;
	c.plen = 0;
}

/* One pass over the padded text [p, p+n): parse and walk the record. */
bool run_pass(ctx &c, const char *p, size_t n, size_t cap)
{
	sstate *st = c.st;
	od::document doc;
	od::object o;
	error_code e;
	const char *loc;

	e = st->parser.iterate(p, n, cap).get(doc);
	if (e) {
		c.ierr = e;
		return fail_code(c, e, false);
	}
	if ((e = doc.get_object().get(o)))
		return fail_code(c, e, false);
	if (!walk_object(c, o, 1))
		return false;
	/* More after the object: json.c reads the first object and reports
	 * the rest; the caller reports the line (one object per line). */
	c.trailing = !doc.current_location().get(loc);
	return true;
}

bool key_is(const char *p, const char *q, const char *lit)
{
	size_t n = strlen(lit);
	return (size_t)(q - p) == n && memcmp(p, lit, n) == 0;
}

/* Does the object at p start like an envelope that json.c unwraps? */
bool envelope_shape(const char *p, const char *end)
{
	const char *ks = p + 1, *ke, *v;

	while (ks < end && is_ws(*ks))
		ks++;
	if (ks >= end || *ks != '"')
		return false;
	ke = key_end(ks + 1, end);
	if (!ke)
		return false;
	if (key_is(ks + 1, ke, "preview") || key_is(ks + 1, ke, "result") ||
	    key_is(ks + 1, ke, "lastrow") || key_is(ks + 1, ke, "took") ||
	    key_is(ks + 1, ke, "hits") || key_is(ks + 1, ke, "timed_out") ||
	    key_is(ks + 1, ke, "_scroll_id") || key_is(ks + 1, ke, "_shards"))
		return true;
	v = ke + 1;
	while (v < end && is_ws(*v))
		v++;
	if (v >= end || *v != ':')
		return false;
	v++;
	while (v < end && is_ws(*v))
		v++;
	if (v >= end || *v != '[')
		return false;
	v++;
	while (v < end && is_ws(*v))
		v++;
	return v < end && *v == '{';
}

bool grow(char **b, size_t *cap, size_t need)
{
	size_t nc;
	char *nb;

	if (need <= *cap)
		return true;
	nc = *cap ? *cap : 4096;
	while (nc < need)
		nc *= 2;
	nb = static_cast<char *>(realloc(*b, nc));
	if (!nb)
		return false;
	*b = nb;
	*cap = nc;
	return true;
}

void set_dialect(mh_reader *r, const mh_dialect *d)
{
	sstate *st = static_cast<sstate *>(r->priv);

	if (st->d != d)
		for (size_t i = 0; i < KC_SLOTS; i++)
			st->kc[i].n = 0;
	st->d = d;
	snprintf(r->dialect, sizeof(r->dialect), "%s", d ? d->name : "");
}

/* Detection pass: the dialect of the record, or NULL; *ok false when the
 * record is malformed (c holds the reason). */
const mh_dialect *detect(ctx &c, mh_reader *r, mh_event *ev, const char *p,
			 size_t n, size_t cap, bool trans, bool *ok)
{
	sstate *st = static_cast<sstate *>(r->priv);

	st->nkeys = 0;
	ctx_init(c, r, ev, true, trans, p + n);
	*ok = run_pass(c, p, n, cap);
	return *ok ? mh_dialect_detect(st->keys, st->nkeys) : nullptr;
}

bool fail_trailing(ctx &c)
{
	return fail(c,
		    "trailing characters after the record (json-simd reads "
		    "one object per line, several values on a line are not "
		    "supported)",
		    false);
}

/* Detection (when needed) and mapping passes over the padded text
 * [t, t+tn). Returns ok; on failure c holds the reason, and c.ierr the
 * error of simdjson's first stage if that is what failed. */
bool passes(mh_reader *r, mh_event *ev, ctx &c, const char *t, size_t tn,
	    size_t tcap, bool trans)
{
	sstate *st = static_cast<sstate *>(r->priv);
	bool ok, dok;

	if (!st->d) {
		const mh_dialect *d =
		    detect(c, r, ev, t, tn, tcap, trans, &dok);
		if (!dok)
			return false;
		set_dialect(r, d);
		if (!d)
			return c.trailing ? fail_trailing(c) : true;
	}
	ctx_init(c, r, ev, false, trans, t + tn);
	ok = run_pass(c, t, tn, tcap);
	if (ok && c.mapped == 0) {
		/* Nothing maps: a mixed file? Try another dialect. */
		ctx dc;
		const mh_dialect *d =
		    detect(dc, r, ev, t, tn, tcap, trans, &dok);
		if (d && d != st->d) {
			set_dialect(r, d);
			mh_event_clear(ev);
			mh_arena_reset(ev->arena);
			ctx_init(c, r, ev, false, trans, t + tn);
			ok = run_pass(c, t, tn, tcap);
		}
	}
	if (ok && c.trailing)
		return fail_trailing(c);
	return ok;
}

/* The length of the first bracketed value of [p, p+n) (p at '{'),
 * matching brackets outside strings; 0 if it does not close. */
size_t first_value_end(const char *p, size_t n)
{
	size_t depth = 0;
	bool in_str = false;

	for (size_t i = 0; i < n; i++) {
		char ch = p[i];
		if (in_str) {
			if (ch == '\\')
				i++;
			else if (ch == '"')
				in_str = false;
		} else if (ch == '"') {
			in_str = true;
		} else if (ch == '{' || ch == '[') {
			depth++;
		} else if (ch == '}' || ch == ']') {
			if (depth == 0)
				return 0;
			if (--depth == 0)
				return i + 1;
		}
	}
	return 0;
}

/* Copy [p, p+n) into the padded buffer and run the passes; transcode
 * and run again when simdjson's first stage rejects the bytes. Returns
 * false only when a buffer cannot grow. */
bool attempt(mh_reader *r, mh_event *ev, ctx &c, const char *p, size_t n,
	     bool *ok)
{
	sstate *st = static_cast<sstate *>(r->priv);
	size_t tn;

	if (!grow(&st->buf, &st->cap, n + simdjson::SIMDJSON_PADDING))
		return false;
	memcpy(st->buf, p, n);
	memset(st->buf + n, 0, simdjson::SIMDJSON_PADDING);
	mh_arena_reset(ev->arena);
	mh_event_clear(ev);
	*ok = passes(r, ev, c, st->buf, n, st->cap, false);
	if (*ok || (c.ierr != simdjson::UTF8_ERROR &&
		    c.ierr != simdjson::UNESCAPED_CHARS))
		return true;
	/* Invalid UTF-8 or raw control bytes: transcode, retry. */
	if (!grow(&st->tbuf, &st->tcap, 4 * n + simdjson::SIMDJSON_PADDING))
		return false;
	tn = transcode(p, n, st->tbuf);
	memset(st->tbuf + tn, 0, simdjson::SIMDJSON_PADDING);
	mh_arena_reset(ev->arena);
	mh_event_clear(ev);
	*ok = passes(r, ev, c, st->tbuf, tn, st->tcap, true);
	return true;
}

/* Parse one record line [p, p+n) into ev. MH_OK, MH_EPARSE (reported) or
 * MH_ENOMEM. */
mh_rc parse_line(mh_reader *r, mh_event *ev, const char *p, size_t n,
		 uint64_t line)
{
	sstate *st = static_cast<sstate *>(r->priv);
	ctx c;
	bool ok;

	ev->file = mh_source_name(r->src);
	ev->line = line;
	if (!ev->arena)
		ev->arena = &st->arena;
	mh_arena_reset(ev->arena);
	mh_event_clear(ev);
	st->last_class = MH_SIMD_ERR_STRICT;

	if (!attempt(r, ev, c, p, n, &ok))
		return MH_ENOMEM;
	if (!ok && c.rc != MH_ENOMEM && !c.trailing) {
		/* Something after the first value (which simdjson's first
		 * stage may choke on)? json.c reads that value and learns the
		 * dialect from it: do the same, then report the line. Only
		 * on this failure path, so good lines pay nothing. */
		size_t e = first_value_end(p, n);
		if (e && e < n) {
			if (!attempt(r, ev, c, p, e, &ok))
				return MH_ENOMEM;
			if (ok)
				ok = fail_trailing(c);
		}
	}
	if (c.rc == MH_ENOMEM)
		return MH_ENOMEM;
	if (!ok) {
		st->last_class = c.lazy ? MH_SIMD_ERR_LAZY
				 : c.ierr == simdjson::UNCLOSED_STRING
				     ? MH_SIMD_ERR_UNLOCATED
				     : MH_SIMD_ERR_STRICT;
		mh_reader_malformed(r, line, "%s", c.why);
		return MH_EPARSE;
	}
	if (st->d)
		mh_event_set(ev, MH_F_DIALECT, st->d->name,
			     strlen(st->d->name));
	return MH_OK;
}

mh_rc simd_next_impl(mh_reader *r, mh_event *ev, mh_err *err)
{
	sstate *st = static_cast<sstate *>(r->priv);

	for (;;) {
		mh_str l;
		uint64_t line;
		const char *p, *end;
		mh_rc rc = mh_source_line(r->src, &l, &line, err);

		if (rc == MH_ELIMIT) {
			st->last_class = MH_SIMD_ERR_STRICT;
			mh_reader_malformed(r, line, "%s",
					    "line longer than the maximum "
					    "record size");
			continue;
		}
		if (rc != MH_OK)
			return rc;
		p = l.p;
		end = l.p + l.n;
		if (line == 1 && l.n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
			p += 3;
		while (p < end && is_ws(*p))
			p++;
		if (p == end)
			continue; /* blank line */
		st->last_class = MH_SIMD_ERR_STRICT;
		if (*p == '[') {
			mh_reader_malformed(r, line, "%s",
					    "a JSON array is not supported by "
					    "json-simd (one object per line "
					    "only; use --input-format json)");
			continue;
		}
		if (*p != '{') {
			mh_reader_malformed(r, line,
					    "expected a JSON object, got '%c'",
					    *p >= 0x20 && *p < 0x7f ? *p : '?');
			continue;
		}
		if (envelope_shape(p, end)) {
			mh_reader_malformed(
			    r, line, "%s",
			    "an export envelope is not supported "
			    "by json-simd (one record object per "
			    "line only; use --input-format json)");
			continue;
		}
		rc = parse_line(r, ev, p, (size_t)(end - p), line);
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

mh_rc simd_next(mh_reader *r, mh_event *ev, mh_err *err)
{
	try {
		return simd_next_impl(r, ev, err);
	} catch (...) {
		return mh_err_set(err, MH_ENOMEM, mh_source_name(r->src), 0, 0,
				  "json-simd: out of memory");
	}
}

void simd_close(mh_reader *r)
{
	sstate *st = static_cast<sstate *>(r->priv);

	if (!st)
		return;
	if (st->arena_ok)
		mh_arena_free(&st->arena);
	free(st->buf);
	free(st->tbuf);
	free(st->kpool);
	delete st;
	r->priv = nullptr;
}

mh_rc simd_open(mh_reader *r, mh_err *err)
{
	sstate *st = new (std::nothrow) sstate;
	bool any = false;

	if (!st)
		return mh_err_set(err, MH_ENOMEM, nullptr, 0, 0,
				  "out of memory");
	r->priv = st;
	mh_arena_init(&st->arena, ARENA_BLOCK, ARENA_CAP);
	st->arena_ok = true;
	st->kpool = static_cast<char *>(malloc(DETECT_KEYS * PATH_CAP));
	if (!st->kpool) {
		simd_close(r);
		return mh_err_set(err, MH_ENOMEM, nullptr, 0, 0,
				  "out of memory");
	}
	for (unsigned i = 0; i < MH_FIELD_WORDS; i++)
		if (r->need.w[i])
			any = true;
	st->need_all = !any;
	r->dialect[0] = 0;
	return MH_OK;
}

/* Never auto-detected: chosen with --input-format json-simd. */
int simd_probe(const char *buf, size_t len)
{
	(void)buf;
	(void)len;
	return 0;
}

} // namespace

extern "C" int mh_json_simd_last_error_class(const mh_reader *r)
{
	const sstate *st = static_cast<const sstate *>(r->priv);
	return st ? st->last_class : MH_SIMD_ERR_STRICT;
}

extern "C" const mh_reader_ops mh_input_json_simd = {
    "json-simd",
    "NDJSON through simdjson On-Demand (the library baseline; one object "
    "per line)",
    simd_probe,
    simd_open,
    simd_next,
    simd_close,
};
