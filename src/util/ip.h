/* IPv4/IPv6 addresses and CIDR blocks. IPv4 is stored as an
 * IPv4-mapped IPv6 address (::ffff:a.b.c.d) so one compare covers both. */
#ifndef MH_UTIL_IP_H
#define MH_UTIL_IP_H

#include "util/mh.h"

typedef struct mh_ip {
	uint8_t b[16];
	bool v4;
} mh_ip;

typedef struct mh_cidr {
	mh_ip net;    /* masked */
	uint8_t bits; /* prefix length in the 128-bit space */
} mh_cidr;

/* Parse dotted IPv4 or RFC 4291 IPv6 text (with optional %zone, and
 * optional surrounding [ ]). Returns false if not an address. */
bool mh_ip_parse(const char *s, size_t n, mh_ip *out);
/* Parse "addr/len" or a bare address (full length). */
bool mh_cidr_parse(const char *s, size_t n, mh_cidr *out);
bool mh_cidr_contains(const mh_cidr *c, const mh_ip *ip);
/* Text form into buf (cap >= 46). */
void mh_ip_format(const mh_ip *ip, char *buf, size_t cap);

#endif
