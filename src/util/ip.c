/* IPv4/IPv6 parsing, CIDR matching and formatting. No libc resolver or
 * inet_pton: the parser is bounded by n and never reads past it. */
#include "util/ip.h"

#include <stdio.h>
#include <string.h>

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

/* Strict dotted quad: exactly four decimal parts 0..255, no leading
 * zeros ("010" is rejected as ambiguous), nothing else. */
static bool parse_v4(const char *s, size_t n, uint8_t out[4])
{
	size_t i = 0;

	for (int part = 0; part < 4; part++) {
		unsigned v = 0, digits = 0;

		if (part > 0) {
			if (i >= n || s[i] != '.')
				return false;
			i++;
		}
		while (i < n && s[i] >= '0' && s[i] <= '9') {
			if (digits == 1 && v == 0)
				return false; /* leading zero */
			v = v * 10 + (unsigned)(s[i] - '0');
			if (++digits > 3 || v > 255)
				return false;
			i++;
		}
		if (!digits)
			return false;
		out[part] = (uint8_t)v;
	}
	return i == n;
}

/* RFC 4291 text: 1-4 hex digit groups, one "::", optional trailing
 * dotted IPv4 taking the last 32 bits. */
static bool parse_v6(const char *s, size_t n, uint8_t out[16])
{
	uint16_t grp[8];
	int ngrp = 0, gap = -1; /* index in grp where "::" sits */
	size_t i = 0;
	bool v4tail = false;
	uint8_t v4[4];

	if (n < 2)
		return false;
	if (s[0] == ':') {
		if (s[1] != ':')
			return false;
		gap = 0;
		i = 2;
		if (i == n)
			goto done; /* "::" */
	}
	for (;;) {
		size_t start = i;
		unsigned v = 0;
		int h;

		while (i < n && (h = hexval(s[i])) >= 0 && i - start < 4) {
			v = (v << 4) | (unsigned)h;
			i++;
		}
		if (i < n && s[i] == '.') {
			/* embedded IPv4: must be the last element */
			if (ngrp > 6 || i == start)
				return false;
			if (!parse_v4(s + start, n - start, v4))
				return false;
			v4tail = true;
			grp[ngrp++] = (uint16_t)((v4[0] << 8) | v4[1]);
			grp[ngrp++] = (uint16_t)((v4[2] << 8) | v4[3]);
			i = n;
			break;
		}
		if (i == start || ngrp >= 8)
			return false;
		if (i < n && hexval(s[i]) >= 0)
			return false; /* more than 4 hex digits */
		grp[ngrp++] = (uint16_t)v;
		if (i == n)
			break;
		if (s[i] != ':')
			return false;
		i++;
		if (i < n && s[i] == ':') {
			if (gap >= 0)
				return false; /* second "::" */
			gap = ngrp;
			i++;
			if (i == n)
				break;
		} else if (i == n) {
			return false; /* trailing single ':' */
		}
	}
done:
	(void)v4tail;
	if (gap < 0 && ngrp != 8)
		return false;
	if (gap >= 0 && ngrp > 7)
		return false; /* "::" must stand for at least one group */
	memset(out, 0, 16);
	if (gap < 0) {
		for (int k = 0; k < 8; k++) {
			out[2 * k] = (uint8_t)(grp[k] >> 8);
			out[2 * k + 1] = (uint8_t)grp[k];
		}
	} else {
		int tail = ngrp - gap;
		for (int k = 0; k < gap; k++) {
			out[2 * k] = (uint8_t)(grp[k] >> 8);
			out[2 * k + 1] = (uint8_t)grp[k];
		}
		for (int k = 0; k < tail; k++) {
			int dst = 8 - tail + k;
			out[2 * dst] = (uint8_t)(grp[gap + k] >> 8);
			out[2 * dst + 1] = (uint8_t)grp[gap + k];
		}
	}
	return true;
}

bool mh_ip_parse(const char *s, size_t n, mh_ip *out)
{
	const char *pct;
	uint8_t v4[4];

	if (!s || !out || n == 0 || n > 64)
		return false;
	if (s[0] == '[') {
		if (n < 3 || s[n - 1] != ']')
			return false;
		s++;
		n -= 2;
	}
	if (parse_v4(s, n, v4)) {
		memset(out->b, 0, 10);
		out->b[10] = 0xff;
		out->b[11] = 0xff;
		memcpy(out->b + 12, v4, 4);
		out->v4 = true;
		return true;
	}
	pct = memchr(s, '%', n);
	if (pct) {
		size_t zl = n - (size_t)(pct - s) - 1;
		if (zl == 0)
			return false;
		for (size_t k = 1; k <= zl; k++) {
			unsigned char c = (unsigned char)pct[k];
			if (c <= ' ' || c == '%' || c == ']' || c == '[' ||
			    c >= 0x7f)
				return false;
		}
		n = (size_t)(pct - s);
	}
	if (!parse_v6(s, n, out->b))
		return false;
	out->v4 = false;
	return true;
}

static bool parse_prefix(const char *s, size_t n, unsigned max, unsigned *out)
{
	unsigned v = 0;

	if (n == 0 || n > 3)
		return false;
	if (n > 1 && s[0] == '0')
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > max)
		return false;
	*out = v;
	return true;
}

bool mh_cidr_parse(const char *s, size_t n, mh_cidr *out)
{
	const char *slash;
	size_t an;
	unsigned len;

	if (!s || !out || n == 0)
		return false;
	slash = memchr(s, '/', n);
	an = slash ? (size_t)(slash - s) : n;
	if (!mh_ip_parse(s, an, &out->net))
		return false;
	if (slash) {
		if (!parse_prefix(slash + 1, n - an - 1,
				  out->net.v4 ? 32u : 128u, &len))
			return false;
		if (out->net.v4)
			len += 96;
	} else {
		len = 128;
	}
	out->bits = (uint8_t)len;
	for (unsigned k = 0; k < 16; k++) {
		unsigned lo = k * 8;
		if (len <= lo)
			out->net.b[k] = 0;
		else if (len < lo + 8)
			out->net.b[k] &= (uint8_t)(0xff00u >> (len - lo));
	}
	return true;
}

bool mh_cidr_contains(const mh_cidr *c, const mh_ip *ip)
{
	unsigned full = c->bits / 8, rem = c->bits % 8;

	if (memcmp(c->net.b, ip->b, full) != 0)
		return false;
	if (rem) {
		uint8_t mask = (uint8_t)(0xff00u >> rem);
		if ((ip->b[full] & mask) != c->net.b[full])
			return false;
	}
	return true;
}

/* RFC 5952 canonical text: lower-case hex, the longest run (>= 2) of
 * zero groups compressed (first on a tie), IPv4-mapped shown dotted. */
void mh_ip_format(const mh_ip *ip, char *buf, size_t cap)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0,    0,
					   0, 0, 0, 0, 0xff, 0xff};
	uint16_t g[8];
	int best = -1, bestlen = 0;
	size_t off = 0;

	if (!buf || cap == 0)
		return;
	buf[0] = '\0';
	if (ip->v4 || memcmp(ip->b, mapped, 12) == 0) {
		snprintf(buf, cap, "%s%u.%u.%u.%u",
			 ip->v4 ? "" : "::ffff:", ip->b[12], ip->b[13],
			 ip->b[14], ip->b[15]);
		return;
	}
	for (int k = 0; k < 8; k++)
		g[k] = (uint16_t)((ip->b[2 * k] << 8) | ip->b[2 * k + 1]);
	for (int k = 0; k < 8;) {
		int e = k;
		while (e < 8 && g[e] == 0)
			e++;
		if (e - k > bestlen && e - k >= 2) {
			best = k;
			bestlen = e - k;
		}
		k = e > k ? e : k + 1;
	}
	for (int k = 0; k < 8; k++) {
		int w;
		if (k == best) {
			w = snprintf(buf + off, cap - off, "::");
			k += bestlen - 1;
		} else {
			bool colon = k > 0 && k != best + bestlen;
			w = snprintf(buf + off, cap - off, "%s%x",
				     colon ? ":" : "", g[k]);
		}
		if (w < 0 || (size_t)w >= cap - off)
			return;
		off += (size_t)w;
	}
}
