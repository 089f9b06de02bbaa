/* Private to the JSON reader: low-level scanning helpers (bounded, no
 * allocation). All functions take [p, end) and never read at or past
 * end. */
#ifndef MH_INPUT_JSON_SCAN_H
#define MH_INPUT_JSON_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define JSON_MAX_DEPTH 64

typedef enum json_scan_rc {
	JS_OK = 0,
	JS_END,	 /* input ended inside the value (truncated) */
	JS_BAD,	 /* not JSON */
	JS_DEEP, /* nesting deeper than JSON_MAX_DEPTH */
} json_scan_rc;

static inline bool json_is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static inline const char *json_skip_ws(const char *p, const char *end)
{
	while (p < end && json_is_ws(*p))
		p++;
	return p;
}

/* p points at the opening '"'. On JS_OK *out is just past the closing
 * quote and *esc tells whether the body holds a backslash (on failure,
 * *out is where it was detected; true of every skip function here). One pass:
 * 16 bytes at a time with SSE2, looking for '"' or '\\'. */
static inline json_scan_rc json_skip_string(const char *p, const char *end,
					    const char **out, bool *esc)
{
	const char *q = p + 1;

	*esc = false;
#ifdef __SSE2__
	{
		const __m128i vq = _mm_set1_epi8('"');
		const __m128i vb = _mm_set1_epi8('\\');

		while (end - q >= 16) {
			__m128i v = _mm_loadu_si128((const __m128i *)q);
			unsigned m = (unsigned)_mm_movemask_epi8(_mm_or_si128(
			    _mm_cmpeq_epi8(v, vq), _mm_cmpeq_epi8(v, vb)));

			if (!m) {
				q += 16;
				continue;
			}
			q += __builtin_ctz(m);
			if (*q == '"') {
				*out = q + 1;
				return JS_OK;
			}
			*esc = true;
			q += 2; /* the backslash and the escaped byte */
		}
	}
#endif
	while (q < end) {
		if (*q == '"') {
			*out = q + 1;
			return JS_OK;
		}
		if (*q == '\\') {
			*esc = true;
			q += 2;
			continue;
		}
		q++;
	}
	*out = end;
	return JS_END;
}

/* Like json_skip_string() when the caller does not need to know about
 * escapes: jumps from quote to quote and checks the parity of the
 * backslash run before each one. */
static inline json_scan_rc json_skip_string_fast(const char *p, const char *end,
						 const char **out)
{
	const char *q = p + 1;

	for (;;) {
		const char *e = NULL;
		const char *b;
		size_t nb = 0;

#ifdef __SSE2__
		const __m128i vq = _mm_set1_epi8('"');

		while (end - q >= 16) {
			__m128i v = _mm_loadu_si128((const __m128i *)q);
			unsigned m =
			    (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, vq));
			if (m) {
				e = q + __builtin_ctz(m);
				break;
			}
			q += 16;
		}
#endif
		if (!e)
			e = q < end ? memchr(q, '"', (size_t)(end - q)) : NULL;
		if (!e) {
			*out = end;
			return JS_END;
		}
		for (b = e; b > p + 1 && b[-1] == '\\'; b--)
			nb++;
		if (!(nb & 1)) {
			*out = e + 1;
			return JS_OK;
		}
		q = e + 1;
	}
}

/* Advance to the next byte that matters when skipping a nested value:
 * a quote or a bracket. Returns end if none. */
static inline const char *json_next_structural(const char *q, const char *end)
{
#ifdef __SSE2__
	const __m128i c1 = _mm_set1_epi8('"');
	const __m128i c2 = _mm_set1_epi8('{');
	const __m128i c3 = _mm_set1_epi8('}');
	const __m128i c4 = _mm_set1_epi8('[');
	const __m128i c5 = _mm_set1_epi8(']');

	while (end - q >= 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)q);
		__m128i m = _mm_or_si128(
		    _mm_or_si128(_mm_cmpeq_epi8(v, c1), _mm_cmpeq_epi8(v, c2)),
		    _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, c3),
					      _mm_cmpeq_epi8(v, c4)),
				 _mm_cmpeq_epi8(v, c5)));
		unsigned bits = (unsigned)_mm_movemask_epi8(m);

		if (bits)
			return q + __builtin_ctz(bits);
		q += 16;
	}
#endif
	while (q < end && *q != '"' && *q != '{' && *q != '}' && *q != '[' &&
	       *q != ']')
		q++;
	return q;
}

/* A number or a literal (true/false/null): the end of the token. The
 * token is checked loosely (first character, allowed characters). */
static inline json_scan_rc json_skip_scalar(const char *p, const char *end,
					    const char **out)
{
	const char *q = p;
	char c = *p;

	*out = p;
	if (c == 't' || c == 'f' || c == 'n') {
		const char *lit = c == 't'   ? "true"
				  : c == 'f' ? "false"
					     : "null";
		size_t n = strlen(lit);
		if ((size_t)(end - p) < n)
			return memcmp(p, lit, (size_t)(end - p)) == 0 ? JS_END
								      : JS_BAD;
		if (memcmp(p, lit, n) != 0)
			return JS_BAD;
		q = p + n;
	} else if (c == '-' || (c >= '0' && c <= '9')) {
		q++;
		while (q < end &&
		       ((*q >= '0' && *q <= '9') || *q == '.' || *q == 'e' ||
			*q == 'E' || *q == '+' || *q == '-'))
			q++;
	} else {
		return JS_BAD;
	}
	*out = q;
	if (q == end)
		return JS_END; /* a delimiter must follow inside a record */
	if (!(json_is_ws(*q) || *q == ',' || *q == '}' || *q == ']'))
		return JS_BAD;
	return JS_OK;
}

/* Skip one complete value starting at p (no leading whitespace). Checks
 * bracket matching and nesting depth (depth0 = depth of the value's
 * container); separators inside are not validated. */
static inline json_scan_rc json_skip_value(const char *p, const char *end,
					   int depth0, const char **out)
{
	uint64_t stack = 0; /* bit i set: level i is an array */
	int depth = 0;
	const char *q = p;
	json_scan_rc rc;

	*out = p;
	if (p >= end)
		return JS_END;
	if (*p != '{' && *p != '[') {
		if (*p == '"')
			return json_skip_string_fast(p, end, out);
		return json_skip_scalar(p, end, out);
	}
	while (q < end) {
		char c = *q;

		switch (c) {
		case '"':
			rc = json_skip_string_fast(q, end, &q);
			if (rc != JS_OK)
				return rc;
			continue;
		case '{':
		case '[':
			if (depth0 + depth + 1 > JSON_MAX_DEPTH ||
			    depth >= 64) {
				*out = q;
				return JS_DEEP;
			}
			if (c == '[')
				stack |= 1ULL << depth;
			else
				stack &= ~(1ULL << depth);
			depth++;
			break;
		case '}':
		case ']':
			if (depth == 0) {
				*out = q;
				return JS_BAD;
			}
			depth--;
			if (((stack >> depth) & 1) != (c == ']')) {
				*out = q;
				return JS_BAD;
			}
			if (depth == 0) {
				*out = q + 1;
				return JS_OK;
			}
			break;
		default:
			q = json_next_structural(q, end);
			continue;
		}
		q++;
	}
	*out = end;
	return JS_END;
}

#endif
