/* Growable buffers and per-sink escaping (JSON, CSV, terminal).
 * Every function appends to b and returns false only on ENOMEM (or on a
 * size overflow); on failure b keeps what it held before the call's
 * failing append, so callers discard the whole record. */
#include "output/common.h"
#include "output/output.h"

#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

static const char hexd[] = "0123456789abcdef";

size_t mh_out_span_none(const char *s, size_t n, const char set[4])
{
	size_t i = 0;

#ifdef __SSE2__
	const __m128i a = _mm_set1_epi8(set[0]), b = _mm_set1_epi8(set[1]),
		      c = _mm_set1_epi8(set[2]), d = _mm_set1_epi8(set[3]);
	for (; i + 16 <= n; i += 16) {
		__m128i x =
		    _mm_loadu_si128((const __m128i *)(const void *)(s + i));
		unsigned m = (unsigned)_mm_movemask_epi8(_mm_or_si128(
		    _mm_or_si128(_mm_cmpeq_epi8(x, a), _mm_cmpeq_epi8(x, b)),
		    _mm_or_si128(_mm_cmpeq_epi8(x, c), _mm_cmpeq_epi8(x, d))));
		if (m)
			return i + (size_t)__builtin_ctz(m);
	}
#endif
	for (; i < n; i++)
		if (s[i] == set[0] || s[i] == set[1] || s[i] == set[2] ||
		    s[i] == set[3])
			break;
	return i;
}

size_t mh_out_span_ascii(const char *s, size_t n, char x, char y)
{
	size_t i = 0;

#ifdef __SSE2__
	/* signed: below 0x20 catches the controls and bytes >= 0x80 */
	const __m128i lo = _mm_set1_epi8(0x20), del = _mm_set1_epi8(0x7f),
		      vx = _mm_set1_epi8(x), vy = _mm_set1_epi8(y);
	for (; i + 16 <= n; i += 16) {
		__m128i v =
		    _mm_loadu_si128((const __m128i *)(const void *)(s + i));
		unsigned m = (unsigned)_mm_movemask_epi8(_mm_or_si128(
		    _mm_or_si128(_mm_cmplt_epi8(v, lo), _mm_cmpeq_epi8(v, del)),
		    _mm_or_si128(_mm_cmpeq_epi8(v, vx),
				 _mm_cmpeq_epi8(v, vy))));
		if (m)
			return i + (size_t)__builtin_ctz(m);
	}
#endif
	for (; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c >= 0x7f || s[i] == x || s[i] == y)
			break;
	}
	return i;
}

bool mh_buf_reserve(mh_buf *b, size_t extra)
{
	size_t need, cap;
	char *p;

	if (extra > SIZE_MAX - b->n)
		return false;
	need = b->n + extra;
	if (need <= b->cap)
		return true;
	cap = b->cap ? b->cap : 256;
	while (cap < need) {
		if (cap > SIZE_MAX / 2) {
			cap = need;
			break;
		}
		cap *= 2;
	}
	p = realloc(b->p, cap);
	if (!p)
		return false;
	b->p = p;
	b->cap = cap;
	return true;
}

void mh_buf_free(mh_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->n = b->cap = 0;
}

size_t mh_out_utf8_seq(const char *str, size_t n, bool *valid)
{
	const unsigned char *s = (const unsigned char *)str;
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t len, i;

	*valid = true;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0; /* no overlongs */
		else if (c == 0xed)
			hi = 0x9f; /* no surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f; /* <= U+10FFFF */
	} else {
		*valid = false;
		return 1;
	}
	/* Maximal subpart: stop at the first byte that cannot continue. */
	for (i = 1; i < len; i++) {
		if (i >= n || s[i] < lo || s[i] > hi) {
			*valid = false;
			return i;
		}
		lo = 0x80;
		hi = 0xbf;
	}
	return len;
}

/* Code point of a valid sequence of length len. */
static uint32_t utf8_cp(const unsigned char *s, size_t len)
{
	switch (len) {
	case 2:
		return ((uint32_t)(s[0] & 0x1f) << 6) | (s[1] & 0x3f);
	case 3:
		return ((uint32_t)(s[0] & 0x0f) << 12) |
		       ((uint32_t)(s[1] & 0x3f) << 6) | (s[2] & 0x3f);
	case 4:
		return ((uint32_t)(s[0] & 0x07) << 18) |
		       ((uint32_t)(s[1] & 0x3f) << 12) |
		       ((uint32_t)(s[2] & 0x3f) << 6) | (s[3] & 0x3f);
	}
	return s[0];
}

static bool put_u4(mh_buf *b, uint32_t cp)
{
	char e[6] = {'\\',
		     'u',
		     hexd[(cp >> 12) & 15],
		     hexd[(cp >> 8) & 15],
		     hexd[(cp >> 4) & 15],
		     hexd[cp & 15]};

	return mh_buf_put(b, e, sizeof(e));
}

bool mh_esc_json(mh_buf *b, const char *s, size_t n)
{
	size_t i = 0, run = 0, len;
	bool valid;

	while (i < n) {
		unsigned char c;
		uint32_t cp;

		i += mh_out_span_ascii(s + i, n - i, '"', '\\');
		if (i == n)
			break;
		c = (unsigned char)s[i];
		if (c >= 0x80) {
			len = mh_out_utf8_seq(s + i, n - i, &valid);
			cp = valid ? utf8_cp((const unsigned char *)s + i, len)
				   : 0;
			/* Plain valid text that needs no escape stays in the
			 * run; C1 controls and U+2028/9 are escaped so the
			 * output is safe in terminals and JavaScript. */
			if (valid && cp > 0x9f && cp != 0x2028 &&
			    cp != 0x2029) {
				i += len;
				continue;
			}
		} else {
			len = 1;
			valid = true;
			cp = c;
		}
		if (!mh_buf_put(b, s + run, i - run))
			return false;
		if (!valid) {
			if (!mh_buf_put(b, "\\ufffd", 6))
				return false;
		} else if (c == '"' || c == '\\') {
			char e[2] = {'\\', (char)c};

			if (!mh_buf_put(b, e, 2))
				return false;
		} else if (!put_u4(b, cp)) {
			return false;
		}
		i += len;
		run = i;
	}
	return mh_buf_put(b, s + run, n - run);
}

bool mh_esc_csv(mh_buf *b, const char *s, size_t n)
{
	bool quote = false, guard = false;
	size_t i;

	if (n > 0) {
		char c = s[0];

		guard = c == '=' || c == '+' || c == '-' || c == '@' ||
			c == '\t' || c == '\r';
	}
	quote = mh_out_span_none(s, n, ",\"\r\n") < n;
	if (quote && !mh_buf_putc(b, '"'))
		return false;
	if (guard && !mh_buf_putc(b, '\''))
		return false;
	if (!quote)
		return mh_buf_put(b, s, n);
	for (i = 0; i < n; i++) {
		const char *q = memchr(s + i, '"', n - i);
		size_t end = q ? (size_t)(q - s) + 1 : n;

		if (!mh_buf_put(b, s + i, end - i))
			return false;
		if (q && !mh_buf_putc(b, '"'))
			return false;
		i = end - 1;
	}
	return mh_buf_putc(b, '"');
}

static bool put_xnn(mh_buf *b, const char *s, size_t len)
{
	for (size_t k = 0; k < len; k++) {
		unsigned char c = (unsigned char)s[k];
		char e[4] = {'\\', 'x', hexd[c >> 4], hexd[c & 15]};

		if (!mh_buf_put(b, e, 4))
			return false;
	}
	return true;
}

/* Format controls that can reorder or hide text on screen
 * ("Trojan Source"): bidi embeddings/overrides/isolates and marks, and
 * the line/paragraph separators. */
static bool term_unsafe_cp(uint32_t cp)
{
	return (cp >= 0x202a && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200e || cp == 0x200f ||
	       cp == 0x061c || cp == 0x2028 || cp == 0x2029;
}

bool mh_esc_term(mh_buf *b, const char *s, size_t n)
{
	size_t i = 0, run = 0, len;
	bool valid;

	while (i < n) {
		unsigned char c;
		uint32_t cp;

		i += mh_out_span_ascii(s + i, n - i, 0x7f, 0x7f);
		if (i == n)
			break;
		c = (unsigned char)s[i];
		if (c >= 0x80) {
			len = mh_out_utf8_seq(s + i, n - i, &valid);
			cp = valid ? utf8_cp((const unsigned char *)s + i, len)
				   : 0;
			if (valid && cp > 0x9f && !term_unsafe_cp(cp)) {
				i += len;
				continue;
			}
		} else {
			len = 1;
			valid = true;
			cp = c;
		}
		if (!mh_buf_put(b, s + run, i - run))
			return false;
		if (valid && cp > 0x9f) {
			/* bidi/separator: visible as \u202e */
			if (!put_u4(b, cp))
				return false;
		} else if (!put_xnn(b, s + i, len)) {
			/* C0, DEL, C1 (raw or UTF-8 encoded), invalid bytes */
			return false;
		}
		i += len;
		run = i;
	}
	return mh_buf_put(b, s + run, n - run);
}
