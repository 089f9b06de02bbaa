/* Time parsing/formatting with pure integer arithmetic: no locale, no TZ,
 * no timegm. Every parser is bounded by n. */
#include "util/timefmt.h"

#include <stdio.h>
#include <string.h>

#define NS_PER_S 1000000000LL
/* int64 ns covers 1677-09-21 .. 2262-04-11; stay well inside it. */
#define MIN_SECS (-9223372036LL + 1)
#define MAX_SECS (9223372036LL - 1)

int64_t mh_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (int64_t)(m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static bool is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned days_in_month(int64_t y, unsigned m)
{
	static const unsigned char dim[12] = {31, 28, 31, 30, 31, 30,
					      31, 31, 30, 31, 30, 31};
	return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Exactly k digits at s[*i]. */
static bool fixed_digits(const char *s, size_t n, size_t *i, unsigned k,
			 unsigned *out)
{
	unsigned v = 0;

	if (n - *i < k)
		return false;
	for (unsigned j = 0; j < k; j++) {
		if (!is_digit(s[*i + j]))
			return false;
		v = v * 10 + (unsigned)(s[*i + j] - '0');
	}
	*i += k;
	*out = v;
	return true;
}

/* min..max digits at s[*i]. */
static bool var_digits(const char *s, size_t n, size_t *i, unsigned min,
		       unsigned max, unsigned *out)
{
	unsigned v = 0, k = 0;

	while (*i < n && is_digit(s[*i]) && k < max) {
		v = v * 10 + (unsigned)(s[*i] - '0');
		(*i)++;
		k++;
	}
	if (k < min || (*i < n && is_digit(s[*i])))
		return false;
	*out = v;
	return true;
}

/* Optional ".ddd" (or ",ddd"): at least one digit, first 9 kept, the
 * rest truncated (but must be digits). */
static bool fraction(const char *s, size_t n, size_t *i, int64_t *ns)
{
	int64_t v = 0;
	unsigned k = 0;

	*ns = 0;
	if (*i >= n || (s[*i] != '.' && s[*i] != ','))
		return true;
	(*i)++;
	while (*i < n && is_digit(s[*i])) {
		if (k < 9) {
			v = v * 10 + (s[*i] - '0');
			k++;
		}
		(*i)++;
	}
	if (k == 0)
		return false;
	while (k++ < 9)
		v *= 10;
	*ns = v;
	return true;
}

static bool combine(int64_t y, unsigned mo, unsigned d, unsigned h, unsigned mi,
		    unsigned sec, int64_t frac, int64_t off_s, int64_t *out)
{
	int64_t secs;

	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 ||
	    mi > 59 || sec > 60)
		return false;
	secs = mh_days_from_civil(y, mo, d) * 86400 + (int64_t)h * 3600 +
	       (int64_t)mi * 60 + sec - off_s;
	if (secs < MIN_SECS || secs > MAX_SECS)
		return false;
	*out = secs * NS_PER_S + frac;
	return true;
}

/* YYYY-MM-DD[T ]hh:mm:ss[.f][Z|+hh:mm|+hhmm] */
static bool parse_iso(const char *s, size_t n, int64_t *out)
{
	size_t i = 0;
	unsigned y, mo, d, h, mi, sec;
	int64_t frac, off = 0;

	if (!fixed_digits(s, n, &i, 4, &y) || i >= n || s[i++] != '-' ||
	    !fixed_digits(s, n, &i, 2, &mo) || i >= n || s[i++] != '-' ||
	    !fixed_digits(s, n, &i, 2, &d) || i >= n)
		return false;
	if (s[i] != 'T' && s[i] != 't' && s[i] != ' ')
		return false;
	i++;
	if (!fixed_digits(s, n, &i, 2, &h) || i >= n || s[i++] != ':' ||
	    !fixed_digits(s, n, &i, 2, &mi) || i >= n || s[i++] != ':' ||
	    !fixed_digits(s, n, &i, 2, &sec) || !fraction(s, n, &i, &frac))
		return false;
	/* Splunk renders _time as "2020-12-23 19:43:35.000 UTC". */
	if (n - i == 4 && s[i] == ' ' &&
	    (!memcmp(s + i + 1, "UTC", 3) || !memcmp(s + i + 1, "GMT", 3)))
		i = n;
	if (i < n) {
		if ((s[i] == 'Z' || s[i] == 'z') && i + 1 == n) {
			i++;
		} else if (s[i] == '+' || s[i] == '-') {
			int sign = s[i] == '-' ? -1 : 1;
			unsigned oh, om;
			i++;
			if (!fixed_digits(s, n, &i, 2, &oh))
				return false;
			if (i < n && s[i] == ':')
				i++;
			if (!fixed_digits(s, n, &i, 2, &om) || oh > 23 ||
			    om > 59)
				return false;
			off = sign * ((int64_t)oh * 3600 + (int64_t)om * 60);
		} else {
			return false;
		}
	}
	if (i != n)
		return false;
	return combine(y, mo, d, h, mi, sec, frac, off, out);
}

/* M/D/YYYY h:mm:ss[.f][ AM|PM]. Without AM/PM the hour is 0..23. */
static bool parse_us(const char *s, size_t n, int64_t *out)
{
	size_t i = 0;
	unsigned mo, d, y, h, mi, sec;
	int64_t frac;

	if (!var_digits(s, n, &i, 1, 2, &mo) || i >= n || s[i++] != '/' ||
	    !var_digits(s, n, &i, 1, 2, &d) || i >= n || s[i++] != '/' ||
	    !fixed_digits(s, n, &i, 4, &y) || i >= n || s[i++] != ' ')
		return false;
	if (!var_digits(s, n, &i, 1, 2, &h) || i >= n || s[i++] != ':' ||
	    !fixed_digits(s, n, &i, 2, &mi) || i >= n || s[i++] != ':' ||
	    !fixed_digits(s, n, &i, 2, &sec) || !fraction(s, n, &i, &frac))
		return false;
	if (i < n) {
		char a;
		if (s[i] != ' ' || n - i != 3)
			return false;
		a = (char)(s[i + 1] | 0x20);
		if ((a != 'a' && a != 'p') || (s[i + 2] | 0x20) != 'm')
			return false;
		if (h < 1 || h > 12)
			return false;
		h %= 12;
		if (a == 'p')
			h += 12;
		i = n;
	}
	return combine(y, mo, d, h, mi, sec, frac, 0, out);
}

/* All digits, optionally ".fraction". Without a fraction the magnitude
 * picks the unit: < 1e11 s, < 1e14 ms, < 1e17 us, else ns. With a
 * fraction the same unit applies to the integer part. */
static bool parse_epoch(const char *s, size_t n, int64_t *out)
{
	size_t i = 0;
	uint64_t v = 0;
	int64_t unit, frac_ns = 0, whole;
	unsigned digits = 0;

	while (i < n && is_digit(s[i])) {
		if (++digits > 19)
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
		i++;
	}
	if (!digits || v > (uint64_t)INT64_MAX)
		return false;
	if (v < 100000000000ULL)
		unit = NS_PER_S;
	else if (v < 100000000000000ULL)
		unit = 1000000;
	else if (v < 100000000000000000ULL)
		unit = 1000;
	else
		unit = 1;
	if (i < n) {
		int64_t f;
		if (s[i] != '.' || !fraction(s, n, &i, &f) || i != n)
			return false;
		/* f is in units of 1e-9 of `unit` */
		frac_ns = f / (NS_PER_S / unit);
	}
	whole = (int64_t)v;
	if (whole > (INT64_MAX - frac_ns) / unit)
		return false;
	*out = whole * unit + frac_ns;
	return true;
}

bool mh_time_parse(const char *s, size_t n, int64_t *ns_out)
{
	size_t k;
	bool slash = false, dash4;

	if (!s || !ns_out)
		return false;
	while (n && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' ||
		     s[n - 1] == '\n'))
		n--;
	if (n == 0 || n > 64)
		return false;
	dash4 = n > 4 && s[4] == '-';
	for (k = 0; k < n && k < 6; k++)
		if (s[k] == '/')
			slash = true;
	if (dash4)
		return parse_iso(s, n, ns_out);
	if (slash)
		return parse_us(s, n, ns_out);
	return parse_epoch(s, n, ns_out);
}

bool mh_duration_parse(const char *s, size_t n, int64_t *ns_out)
{
	size_t i = 0;
	uint64_t v = 0;
	int64_t unit;
	size_t ul;

	if (!s || !ns_out)
		return false;
	while (i < n && is_digit(s[i])) {
		if (i >= 18)
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
		i++;
	}
	if (i == 0)
		return false;
	ul = n - i;
	if (ul == 2 && s[i] == 'm' && s[i + 1] == 's')
		unit = 1000000;
	else if (ul == 1 && s[i] == 's')
		unit = NS_PER_S;
	else if (ul == 1 && s[i] == 'm')
		unit = 60 * NS_PER_S;
	else if (ul == 1 && s[i] == 'h')
		unit = 3600 * NS_PER_S;
	else if (ul == 1 && s[i] == 'd')
		unit = 86400 * NS_PER_S;
	else
		return false;
	if (v > (uint64_t)(INT64_MAX / unit))
		return false;
	*ns_out = (int64_t)v * unit;
	return true;
}

/* v in exactly nd decimal digits (leading zeros) at *o, advanced. */
static void put_digits(char **o, unsigned v, unsigned nd)
{
	for (unsigned i = nd; i-- > 0; v /= 10)
		(*o)[i] = (char)('0' + v % 10);
	*o += nd;
}

size_t mh_time_format(int64_t ns, char *buf, size_t cap)
{
	int64_t secs = ns / NS_PER_S, frac = ns % NS_PER_S, days, sod, y;
	unsigned mo, d;
	int w;

	if (!buf || cap == 0)
		return 0;
	if (frac < 0) {
		frac += NS_PER_S;
		secs--;
	}
	days = secs / 86400;
	sod = secs % 86400;
	if (sod < 0) {
		sod += 86400;
		days--;
	}
	civil_from_days(days, &y, &mo, &d);
	if (y >= 0 && y <= 9999) {
		/* the common case without snprintf(): the same text */
		unsigned fd = frac == 0		    ? 0
			      : frac % 1000000 == 0 ? 3
			      : frac % 1000 == 0    ? 6
						    : 9;
		unsigned f = (unsigned)(fd == 3	  ? frac / 1000000
					: fd == 6 ? frac / 1000
						  : frac);
		char tmp[32], *o = tmp;
		size_t n;
		put_digits(&o, (unsigned)y, 4);
		*o++ = '-';
		put_digits(&o, mo, 2);
		*o++ = '-';
		put_digits(&o, d, 2);
		*o++ = 'T';
		put_digits(&o, (unsigned)(sod / 3600), 2);
		*o++ = ':';
		put_digits(&o, (unsigned)(sod / 60 % 60), 2);
		*o++ = ':';
		put_digits(&o, (unsigned)(sod % 60), 2);
		if (fd) {
			*o++ = '.';
			put_digits(&o, f, fd);
		}
		*o++ = 'Z';
		n = (size_t)(o - tmp) < cap ? (size_t)(o - tmp) : cap - 1;
		memcpy(buf, tmp, n);
		buf[n] = '\0';
		return n;
	}
	if (frac == 0)
		w = snprintf(buf, cap, "%04lld-%02u-%02uT%02u:%02u:%02uZ",
			     (long long)y, mo, d, (unsigned)(sod / 3600),
			     (unsigned)(sod / 60 % 60), (unsigned)(sod % 60));
	else if (frac % 1000000 == 0)
		w = snprintf(buf, cap, "%04lld-%02u-%02uT%02u:%02u:%02u.%03uZ",
			     (long long)y, mo, d, (unsigned)(sod / 3600),
			     (unsigned)(sod / 60 % 60), (unsigned)(sod % 60),
			     (unsigned)(frac / 1000000));
	else if (frac % 1000 == 0)
		w = snprintf(buf, cap, "%04lld-%02u-%02uT%02u:%02u:%02u.%06uZ",
			     (long long)y, mo, d, (unsigned)(sod / 3600),
			     (unsigned)(sod / 60 % 60), (unsigned)(sod % 60),
			     (unsigned)(frac / 1000));
	else
		w = snprintf(buf, cap, "%04lld-%02u-%02uT%02u:%02u:%02u.%09uZ",
			     (long long)y, mo, d, (unsigned)(sod / 3600),
			     (unsigned)(sod / 60 % 60), (unsigned)(sod % 60),
			     (unsigned)frac);
	if (w < 0)
		return 0;
	return (size_t)w < cap ? (size_t)w : cap - 1;
}
