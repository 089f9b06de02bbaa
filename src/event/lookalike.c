/* Lookalike process names: skeletons and matching (see lookalike.h).
 *
 * The confusables table is our own, small and deliberate: letters of
 * other scripts that render like a Latin letter in the fonts used by
 * Explorer, Task Manager and SIEM consoles. It is not Unicode's full
 * confusables.txt (thousands of entries); it covers what lookalike
 * malware names use in practice. Not covered: mathematical alphanumeric
 * symbols (U+1D400..), letterlike symbols, enclosed alphanumerics. */
#include "event/lookalike.h"

#include <string.h>

#define OTHER 0x80 /* a code point that looks like no ASCII character */
#define DROP  0	   /* an invisible code point */

static const struct {
	uint32_t cp;
	char to;
} confusables[] = {
    /* Latin */
    {0x0131, 'i'}, /* ı dotless i */
    {0x0142, 'l'}, /* ł */
    {0x0261, 'g'}, /* ɡ script g */
    /* Greek capitals */
    {0x0391, 'a'},
    {0x0392, 'b'},
    {0x0395, 'e'},
    {0x0396, 'z'},
    {0x0397, 'h'},
    {0x0399, 'i'},
    {0x039a, 'k'},
    {0x039c, 'm'},
    {0x039d, 'n'},
    {0x039f, 'o'},
    {0x03a1, 'p'},
    {0x03a4, 't'},
    {0x03a5, 'y'},
    {0x03a7, 'x'},
    /* Greek small (with tonos: ά έ ί ό ύ) */
    {0x03ac, 'a'},
    {0x03ad, 'e'},
    {0x03af, 'i'},
    {0x03b1, 'a'},
    {0x03b3, 'y'},
    {0x03b5, 'e'},
    {0x03b9, 'i'},
    {0x03ba, 'k'},
    {0x03bd, 'v'},
    {0x03bf, 'o'},
    {0x03c1, 'p'},
    {0x03c4, 't'},
    {0x03c5, 'u'},
    {0x03c7, 'x'},
    {0x03c9, 'w'},
    {0x03cc, 'o'},
    {0x03cd, 'u'},
    /* Cyrillic capitals: Ѐ Ё Ѕ І Ї Ј, А В Е К М Н О Р С Т У Х */
    {0x0400, 'e'},
    {0x0401, 'e'},
    {0x0405, 's'},
    {0x0406, 'i'},
    {0x0407, 'i'},
    {0x0408, 'j'},
    {0x0410, 'a'},
    {0x0412, 'b'},
    {0x0415, 'e'},
    {0x041a, 'k'},
    {0x041c, 'm'},
    {0x041d, 'h'},
    {0x041e, 'o'},
    {0x0420, 'p'},
    {0x0421, 'c'},
    {0x0422, 't'},
    {0x0423, 'y'},
    {0x0425, 'x'},
    /* Cyrillic small: а е к о р с у х, ѐ ё ѕ і ї ј */
    {0x0430, 'a'},
    {0x0435, 'e'},
    {0x043a, 'k'},
    {0x043e, 'o'},
    {0x0440, 'p'},
    {0x0441, 'c'},
    {0x0443, 'y'},
    {0x0445, 'x'},
    {0x0450, 'e'},
    {0x0451, 'e'},
    {0x0455, 's'},
    {0x0456, 'i'},
    {0x0457, 'i'},
    {0x0458, 'j'},
    /* Cyrillic extended: Ү ү һ Ӏ ӏ ԁ Ԛ ԛ Ԝ ԝ */
    {0x04ae, 'y'},
    {0x04af, 'y'},
    {0x04bb, 'h'},
    {0x04c0, 'l'},
    {0x04cf, 'l'},
    {0x0501, 'd'},
    {0x051a, 'q'},
    {0x051b, 'q'},
    {0x051c, 'w'},
    {0x051d, 'w'},
    /* one dot leader, ideographic space and full stop */
    {0x2024, '.'},
    {0x3000, ' '},
    {0x3002, '.'},
};

/* U+00C0..U+00FF: Latin-1 letters with diacritics; '_' = no lookalike. */
static const char latin1[] = "aaaaaa_ceeeeiiii"
			     "dnooooo_ouuuuy__"
			     "aaaaaa_ceeeeiiii"
			     "_nooooo_ouuuuy_y";

static bool invisible(uint32_t cp)
{
	return cp == 0x00ad || (cp >= 0x0300 && cp <= 0x036f) || cp == 0x061c ||
	       (cp >= 0x180b && cp <= 0x180e) ||
	       (cp >= 0x200b && cp <= 0x200f) ||
	       (cp >= 0x202a && cp <= 0x202e) ||
	       (cp >= 0x2060 && cp <= 0x2064) ||
	       (cp >= 0x2066 && cp <= 0x206f) ||
	       (cp >= 0xfe00 && cp <= 0xfe0f) || cp == 0xfeff ||
	       (cp >= 0xe0000 && cp <= 0xe007f);
}

/* One code point to one skeleton byte: an ASCII character, DROP or
 * OTHER. */
static unsigned char map_cp(uint32_t cp)
{
	size_t lo = 0, hi = MH_ARRAY_LEN(confusables);

	if (cp < 0x80)
		return (unsigned char)cp;
	if (invisible(cp))
		return DROP;
	if (cp >= 0xff01 && cp <= 0xff5e) /* full-width ASCII (NFKC) */
		return (unsigned char)(cp - 0xfee0);
	if (cp >= 0xc0 && cp <= 0xff)
		return latin1[cp - 0xc0] == '_'
			   ? OTHER
			   : (unsigned char)latin1[cp - 0xc0];
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (confusables[mid].cp == cp)
			return (unsigned char)confusables[mid].to;
		if (confusables[mid].cp < cp)
			lo = mid + 1;
		else
			hi = mid;
	}
	return OTHER;
}

/* ASCII case folding plus digits/symbols that stand for letters. */
static unsigned char fold_ascii(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		c = (unsigned char)(c + 32);
	switch (c) {
	case '0':
		return 'o';
	case '1':
		return 'l';
	case '3':
		return 'e';
	case '4':
		return 'a';
	case '5':
		return 's';
	case '7':
		return 't';
	case '@':
		return 'a';
	case '|':
		return 'l';
	case '$':
		return 's';
	case 'i':
		return 'l';
	default:
		return c;
	}
}

/* Strict UTF-8 decode of one code point at p[0..n) (n >= 1). Returns
 * its length, or 0 for an invalid sequence (overlong, surrogate,
 * > U+10FFFF, truncated, stray continuation byte). */
static size_t utf8_next(const unsigned char *p, size_t n, uint32_t *cp)
{
	unsigned char c = p[0];
	size_t len;
	uint32_t v, min;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2, v = c & 0x1f, min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3, v = c & 0x0f, min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4, v = c & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (p[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return len;
}

size_t mh_lookalike_skeleton(const char *p, size_t n, char *out, size_t cap)
{
	const unsigned char *s = (const unsigned char *)p;
	size_t i = 0, k = 0;

	if (n > MH_LOOKALIKE_IN_MAX)
		return MH_LOOKALIKE_NONE;
	while (i < n) {
		uint32_t cp;
		size_t len = utf8_next(s + i, n - i, &cp);
		unsigned char c;

		if (len == 0) {
			c = OTHER;
			len = 1;
		} else {
			c = map_cp(cp);
		}
		i += len;
		if (c == DROP)
			continue;
		if (c != OTHER)
			c = fold_ascii(c);
		/* "rn" reads as "m", "vv" as "w" */
		if (k && ((c == 'n' && out[k - 1] == 'r') ||
			  (c == 'v' && out[k - 1] == 'v'))) {
			out[k - 1] = c == 'n' ? 'm' : 'w';
			continue;
		}
		if (k == cap)
			return MH_LOOKALIKE_NONE;
		out[k++] = (char)c;
	}
	while (k && (out[k - 1] == '.' || out[k - 1] == ' '))
		k--;
	return k;
}

/* Length of the stem of skeleton s[0..n): up to the first '.', without
 * trailing spaces. */
static size_t stem_len(const char *s, size_t n)
{
	const char *dot = memchr(s, '.', n);
	size_t k = dot ? (size_t)(dot - s) : n;

	while (k && s[k - 1] == ' ')
		k--;
	return k;
}

static bool ieq_ascii(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];

		if (x >= 'A' && x <= 'Z')
			x = (unsigned char)(x + 32);
		if (y >= 'A' && y <= 'Z')
			y = (unsigned char)(y + 32);
		if (x != y)
			return false;
	}
	return true;
}

mh_rc mh_lookalike_init(mh_lookalike *e, const char *p, size_t n)
{
	char sk[MH_LOOKALIKE_NAME_MAX];
	size_t k;
	const char *dot;

	memset(e, 0, sizeof(*e));
	if (n == 0 || n >= MH_LOOKALIKE_NAME_MAX)
		return MH_EINVAL;
	k = mh_lookalike_skeleton(p, n, sk, sizeof(sk));
	if (k == MH_LOOKALIKE_NONE)
		return MH_EINVAL;
	k = stem_len(sk, k);
	if (k == 0)
		return MH_EINVAL;
	memcpy(e->name, p, n);
	e->name_n = n;
	dot = memchr(p, '.', n);
	e->stem_n = dot ? (size_t)(dot - p) : n;
	memcpy(e->skel, sk, k);
	e->skel_n = k;
	return MH_OK;
}

const mh_lookalike *mh_lookalike_find(const mh_lookalike *list, size_t nlist,
				      const char *p, size_t n)
{
	char sk[MH_LOOKALIKE_NAME_MAX];
	size_t k;

	if (!nlist || n == 0)
		return NULL;
	/* Only the stem is compared. When the whole skeleton does not fit
	 * in sk (a long appended extension), retry on the part before the
	 * first ASCII '.'; a stem longer than sk matches no protected name. */
	k = mh_lookalike_skeleton(p, n, sk, sizeof(sk));
	if (k == MH_LOOKALIKE_NONE) {
		/* too long as a whole: retry on the part up to the first
		 * ASCII '.' (extensions of any length cannot change the
		 * stem) */
		const char *dot = memchr(p, '.', n);

		if (!dot)
			return NULL;
		k = mh_lookalike_skeleton(p, (size_t)(dot - p), sk, sizeof(sk));
		if (k == MH_LOOKALIKE_NONE)
			return NULL;
	}
	k = stem_len(sk, k);
	for (size_t i = 0; i < nlist; i++) {
		const mh_lookalike *e = &list[i];

		if (e->skel_n != k || memcmp(e->skel, sk, k) != 0)
			continue;
		if ((n == e->name_n && ieq_ascii(p, e->name, n)) ||
		    (n == e->stem_n && ieq_ascii(p, e->name, n)))
			return NULL; /* the genuine name */
		return e;
	}
	return NULL;
}

static mh_str base_of(const mh_str *s)
{
	size_t i = s->n;

	while (i > 0 && s->p[i - 1] != '\\' && s->p[i - 1] != '/')
		i--;
	return (mh_str){s->p + i, s->n - i};
}

void mh_event_lookalike(const mh_lookalike *list, size_t nlist, mh_event *ev)
{
	const mh_str *s;
	const mh_lookalike *e;
	mh_str b;

	mh_event_unset(ev, MH_F_LOOKALIKE_OF);
	if (!nlist)
		return;
	s = mh_event_get(ev, MH_F_PROCESS_NAME);
	if (!s || s->n == 0)
		s = mh_event_get(ev, MH_F_IMAGE);
	if (!s)
		return;
	b = base_of(s);
	e = mh_lookalike_find(list, nlist, b.p, b.n);
	if (e)
		mh_event_set(ev, MH_F_LOOKALIKE_OF, e->name, e->name_n);
}
