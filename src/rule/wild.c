/* Wild strings and the Sigma transformation modifiers (rule/wild.h). */
#include "rule/wild.h"
#include "rule/rule_int.h"

#include <stdlib.h>
#include <string.h>

/* ---------- wild strings ---------- */

void mh_ss_free(sstr *s)
{
	free(s->b);
	free(s->w);
	s->b = NULL;
	s->w = NULL;
	s->n = s->cap = 0;
}

int mh_ss_push(sstr *s, char c, uint8_t w)
{
	if (s->n == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 32;
		char *b = realloc(s->b, nc);
		uint8_t *ww;
		if (!b)
			return -1;
		s->b = b;
		ww = realloc(s->w, nc);
		if (!ww)
			return -1;
		s->w = ww;
		s->cap = nc;
	}
	s->b[s->n] = c;
	s->w[s->n] = w;
	s->n++;
	return 0;
}

void mh_sl_free(sslist *l)
{
	for (size_t i = 0; i < l->n; i++)
		mh_ss_free(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

int mh_sl_add(sslist *l, sstr *s) /* takes ownership */
{
	if (mh_rule_vec_grow((void **)&l->v, &l->cap, l->n + 1,
			     sizeof(*l->v))) {
		mh_ss_free(s);
		return -1;
	}
	l->v[l->n++] = *s;
	memset(s, 0, sizeof(*s));
	return 0;
}

bool mh_ss_has_wild(const sstr *s)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->w[i])
			return true;
	return false;
}

/* Sigma escaping: '\' escapes '*', '?' and '\'; before any other
 * character it is a literal backslash. */
int mh_ss_from_text(sstr *s, const char *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char ch = t[i];
		if (ch == '\\' && i + 1 < n &&
		    (t[i + 1] == '*' || t[i + 1] == '?' || t[i + 1] == '\\')) {
			if (mh_ss_push(s, t[++i], 0))
				return -1;
		} else if (ch == '*' || ch == '?') {
			if (mh_ss_push(s, ch, ch == '*' ? 1 : 2))
				return -1;
		} else if (mh_ss_push(s, ch, 0)) {
			return -1;
		}
	}
	return 0;
}

/* ---------- transformations ---------- */
static int put_u16(sstr *o, unsigned u, bool be)
{
	char lo = (char)(u & 0xff), hi = (char)(u >> 8);
	if (be)
		return mh_ss_push(o, hi, 0) || mh_ss_push(o, lo, 0);
	return mh_ss_push(o, lo, 0) || mh_ss_push(o, hi, 0);
}

int mh_tr_utf16(const sstr *in, sstr *o, bool be, bool bom)
{
	size_t i = 0;

	if (bom && put_u16(o, 0xfeff, be))
		return -1;
	while (i < in->n) {
		const unsigned char *b = (const unsigned char *)in->b;
		unsigned cp = b[i];
		size_t len = 1;

		if (in->w[i]) {
			if (mh_ss_push(o, in->b[i], in->w[i]))
				return -1;
			i++;
			continue;
		}
		if (cp >= 0xc0 && cp < 0xe0 && i + 1 < in->n &&
		    (b[i + 1] & 0xc0) == 0x80) {
			cp = ((cp & 0x1f) << 6) | (b[i + 1] & 0x3f);
			len = 2;
		} else if (cp >= 0xe0 && cp < 0xf0 && i + 2 < in->n &&
			   (b[i + 1] & 0xc0) == 0x80 &&
			   (b[i + 2] & 0xc0) == 0x80) {
			cp = ((cp & 0x0f) << 12) | ((b[i + 1] & 0x3fu) << 6) |
			     (b[i + 2] & 0x3f);
			len = 3;
		} else if (cp >= 0xf0 && cp < 0xf8 && i + 3 < in->n &&
			   (b[i + 1] & 0xc0) == 0x80 &&
			   (b[i + 2] & 0xc0) == 0x80 &&
			   (b[i + 3] & 0xc0) == 0x80) {
			cp = ((cp & 0x07) << 18) | ((b[i + 1] & 0x3fu) << 12) |
			     ((b[i + 2] & 0x3fu) << 6) | (b[i + 3] & 0x3f);
			len = 4;
		}
		if (cp >= 0x10000) {
			cp -= 0x10000;
			if (put_u16(o, 0xd800 | (cp >> 10), be) ||
			    put_u16(o, 0xdc00 | (cp & 0x3ff), be))
				return -1;
		} else if (put_u16(o, cp, be)) {
			return -1;
		}
		i += len;
	}
	return 0;
}

static const char b64tab[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int mh_b64(const unsigned char *p, size_t n, sstr *o)
{
	size_t i;

	for (i = 0; i + 2 < n; i += 3) {
		unsigned v = ((unsigned)p[i] << 16) |
			     ((unsigned)p[i + 1] << 8) | p[i + 2];
		if (mh_ss_push(o, b64tab[v >> 18], 0) ||
		    mh_ss_push(o, b64tab[(v >> 12) & 63], 0) ||
		    mh_ss_push(o, b64tab[(v >> 6) & 63], 0) ||
		    mh_ss_push(o, b64tab[v & 63], 0))
			return -1;
	}
	if (n - i == 1) {
		unsigned v = (unsigned)p[i] << 16;
		if (mh_ss_push(o, b64tab[v >> 18], 0) ||
		    mh_ss_push(o, b64tab[(v >> 12) & 63], 0) ||
		    mh_ss_push(o, '=', 0) || mh_ss_push(o, '=', 0))
			return -1;
	} else if (n - i == 2) {
		unsigned v = ((unsigned)p[i] << 16) | ((unsigned)p[i + 1] << 8);
		if (mh_ss_push(o, b64tab[v >> 18], 0) ||
		    mh_ss_push(o, b64tab[(v >> 12) & 63], 0) ||
		    mh_ss_push(o, b64tab[(v >> 6) & 63], 0) ||
		    mh_ss_push(o, '=', 0))
			return -1;
	}
	return 0;
}

/* base64offset: the three encodings of value at offsets 0,1,2 within a
 * base64 stream, with the characters that depend on the surrounding bytes
 * cut off (as pySigma does). */
int mh_tr_b64off(const sstr *in, sslist *out)
{
	static const size_t start[3] = {0, 2, 3};
	static const size_t cut[3] = {0, 3, 2};

	for (size_t k = 0; k < 3; k++) {
		unsigned char *buf = malloc(in->n + 3);
		sstr enc = {0}, o = {0};
		size_t e;

		if (!buf)
			return -1;
		memset(buf, ' ', k);
		memcpy(buf + k, in->b, in->n);
		if (mh_b64(buf, in->n + k, &enc)) {
			free(buf);
			mh_ss_free(&enc);
			return -1;
		}
		free(buf);
		e = enc.n - cut[(in->n + k) % 3];
		for (size_t i = start[k]; i < e; i++)
			if (mh_ss_push(&o, enc.b[i], 0)) {
				mh_ss_free(&enc);
				mh_ss_free(&o);
				return -1;
			}
		mh_ss_free(&enc);
		if (mh_sl_add(out, &o))
			return -1;
	}
	return 0;
}

static bool is_word(const sstr *s, size_t i)
{
	unsigned char ch = (unsigned char)s->b[i];
	if (s->w[i])
		return false;
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || ch == '_';
}

/* windash: every '-' or '/' that starts a word (preceded by a non-word
 * character or the start, followed by a word character) becomes each of
 * '-', '/', en dash, em dash, horizontal bar. */
int mh_tr_windash(const sstr *in, sslist *out, size_t *nvar)
{
	static const char *const rep[5] = {"-", "/", "\xe2\x80\x93",
					   "\xe2\x80\x94", "\xe2\x80\x95"};
	size_t pos[8], np = 0, total = 1;

	for (size_t i = 0; i < in->n; i++) {
		if (in->w[i] || (in->b[i] != '-' && in->b[i] != '/'))
			continue;
		if (i > 0 && is_word(in, i - 1))
			continue;
		if (i + 1 >= in->n || !is_word(in, i + 1))
			continue;
		if (np == MH_ARRAY_LEN(pos))
			return 1;
		pos[np++] = i;
		total *= 5;
	}
	*nvar = total;
	if (total > MAX_VARIANTS)
		return 1;
	for (size_t v = 0; v < total; v++) {
		sstr o = {0};
		size_t code = v, k = 0;

		for (size_t i = 0; i < in->n; i++) {
			if (k < np && pos[k] == i) {
				const char *r = rep[code % 5];
				code /= 5;
				k++;
				for (; *r; r++)
					if (mh_ss_push(&o, *r, 0)) {
						mh_ss_free(&o);
						return -1;
					}
			} else if (mh_ss_push(&o, in->b[i], in->w[i])) {
				mh_ss_free(&o);
				return -1;
			}
		}
		if (mh_sl_add(out, &o))
			return -1;
	}
	return 0;
}
