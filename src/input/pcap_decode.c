/* Packet decoding for the pcap reader (input/pcap.c): one captured
 * frame of a given link type, down to the TCP or UDP header. Pure
 * functions over the captured bytes; every read is checked against the
 * captured length. See input/pcap.c for what is supported. */
#include "input/pcap_int.h"

#include <string.h>

#define PC_MAX_VLAN   8 /* 802.1Q / 802.1ad / QinQ tags walked */
#define PC_MAX_EXTHDR 8 /* IPv6 extension headers walked */

static mh_pcap_drc decode_l4(const uint8_t *p, size_t n, uint32_t l4len,
			     mh_pcap_pkt *k, const char **why)
{
	if (k->proto == 6) {
		size_t thl;

		if (n < 20) {
			*why = "truncated TCP header";
			return MH_PD_BAD;
		}
		thl = (size_t)(p[12] >> 4) * 4;
		if (thl < 20) {
			*why = "TCP data offset below 20 bytes";
			return MH_PD_BAD;
		}
		if (n < thl) {
			*why = "truncated TCP options";
			return MH_PD_BAD;
		}
		if (l4len < thl) {
			*why = "TCP header longer than the IP payload";
			return MH_PD_BAD;
		}
		k->sport = pc_be16(p);
		k->dport = pc_be16(p + 2);
		k->seq = pc_be32(p + 4);
		k->tcpflags = p[13];
		k->plen = l4len - (uint32_t)thl;
		k->pay = p + thl;
		k->pay_n = n - thl < k->plen ? n - thl : k->plen;
		return MH_PD_OK;
	}
	if (k->proto == 17) {
		uint32_t ul;

		if (n < 8) {
			*why = "truncated UDP header";
			return MH_PD_BAD;
		}
		ul = pc_be16(p + 4);
		if (ul < 8 || ul > l4len)
			ul = l4len; /* bad or zero (jumbo) length: trust IP */
		if (l4len < 8) {
			*why = "UDP header longer than the IP payload";
			return MH_PD_BAD;
		}
		k->sport = pc_be16(p);
		k->dport = pc_be16(p + 2);
		k->tcpflags = 0;
		k->plen = ul - 8;
		k->pay = p + 8;
		k->pay_n = n - 8 < k->plen ? n - 8 : k->plen;
		return MH_PD_OK;
	}
	return MH_PD_SKIP;
}

static void v4_mapped(mh_ip *ip, const uint8_t *a)
{
	memset(ip->b, 0, 10);
	ip->b[10] = ip->b[11] = 0xff;
	memcpy(ip->b + 12, a, 4);
	ip->v4 = true;
}

static mh_pcap_drc decode_ip4(const uint8_t *p, size_t n, mh_pcap_pkt *k,
			      const char **why)
{
	size_t ihl;
	uint32_t tot;
	uint16_t frag;

	if (n < 20) {
		*why = "truncated IPv4 header";
		return MH_PD_BAD;
	}
	if (p[0] >> 4 != 4) {
		*why = "IPv4 version field is not 4";
		return MH_PD_BAD;
	}
	ihl = (size_t)(p[0] & 0x0f) * 4;
	if (ihl < 20) {
		*why = "IPv4 header length below 20 bytes";
		return MH_PD_BAD;
	}
	if (n < ihl) {
		*why = "truncated IPv4 options";
		return MH_PD_BAD;
	}
	tot = pc_be16(p + 2);
	if (tot == 0 && n > ihl) /* TSO: length left 0 by the NIC */
		tot = n > 0xffff ? 0xffff : (uint32_t)n;
	if (tot < ihl) {
		*why = "IPv4 total length below the header length";
		return MH_PD_BAD;
	}
	frag = pc_be16(p + 6);
	if (frag & 0x1fff)
		return MH_PD_FRAG;
	v4_mapped(&k->src, p + 12);
	v4_mapped(&k->dst, p + 16);
	k->proto = p[9];
	if (k->proto != 6 && k->proto != 17)
		return MH_PD_SKIP;
	/* the captured part of the IP payload; Ethernet padding is cut */
	return decode_l4(p + ihl, (n < tot ? n : tot) - ihl,
			 tot - (uint32_t)ihl, k, why);
}

static mh_pcap_drc decode_ip6(const uint8_t *p, size_t n, mh_pcap_pkt *k,
			      const char **why)
{
	uint32_t plen;
	uint8_t nh;
	size_t off = 40;

	if (n < 40) {
		*why = "truncated IPv6 header";
		return MH_PD_BAD;
	}
	if (p[0] >> 4 != 6) {
		*why = "IPv6 version field is not 6";
		return MH_PD_BAD;
	}
	plen = pc_be16(p + 4);
	if (plen == 0) /* jumbogram or TSO: use what was captured */
		plen = (uint32_t)(n - 40 > 0xffffff ? 0xffffff : n - 40);
	nh = p[6];
	memcpy(k->src.b, p + 8, 16);
	memcpy(k->dst.b, p + 24, 16);
	k->src.v4 = k->dst.v4 = false;
	for (int hops = 0;; hops++) {
		size_t el;

		if (nh == 6 || nh == 17)
			break;
		if (nh != 0 && nh != 43 && nh != 60 && nh != 44 && nh != 51)
			return MH_PD_SKIP; /* ICMPv6, ESP, no next header... */
		if (hops >= PC_MAX_EXTHDR) {
			*why = "more than 8 IPv6 extension headers";
			return MH_PD_BAD;
		}
		if (n < off + 8) {
			*why = "truncated IPv6 extension header";
			return MH_PD_BAD;
		}
		if (nh == 44) {
			el = 8;
			if (pc_be16(p + off + 2) & 0xfff8)
				return MH_PD_FRAG;
		} else if (nh == 51) {
			el = ((size_t)p[off + 1] + 2) * 4;
		} else {
			el = ((size_t)p[off + 1] + 1) * 8;
		}
		if (n < off + el) {
			*why = "truncated IPv6 extension header";
			return MH_PD_BAD;
		}
		if (40 + plen < off + el) {
			*why =
			    "IPv6 extension headers exceed the payload length";
			return MH_PD_BAD;
		}
		nh = p[off];
		off += el;
	}
	k->proto = nh;
	{
		size_t end = 40 + (size_t)plen; /* cut link-layer padding */
		size_t cap = n < end ? n : end;

		return decode_l4(p + off, cap - off, (uint32_t)(end - off), k,
				 why);
	}
}

static mh_pcap_drc decode_l3(uint16_t etype, const uint8_t *p, size_t n,
			     mh_pcap_pkt *k, const char **why)
{
	if (etype == 0x0800)
		return decode_ip4(p, n, k, why);
	if (etype == 0x86dd)
		return decode_ip6(p, n, k, why);
	return MH_PD_SKIP;
}

/* By IP version nibble (raw IP link types). */
static mh_pcap_drc decode_raw(const uint8_t *p, size_t n, mh_pcap_pkt *k,
			      const char **why)
{
	if (n < 1) {
		*why = "empty packet";
		return MH_PD_BAD;
	}
	if (p[0] >> 4 == 4)
		return decode_ip4(p, n, k, why);
	if (p[0] >> 4 == 6)
		return decode_ip6(p, n, k, why);
	*why = "raw IP packet with an IP version other than 4 or 6";
	return MH_PD_BAD;
}

bool mh_pcap_link_supported(uint32_t lt)
{
	return lt == 0 || lt == 1 || lt == 101 || lt == 108 || lt == 113 ||
	       lt == 228 || lt == 229 || lt == 276;
}

mh_pcap_drc mh_pcap_decode(uint32_t lt, const uint8_t *p, size_t n,
			   mh_pcap_pkt *k, const char **why)
{
	switch (lt) {
	case 1: { /* Ethernet */
		size_t off = 12;
		uint16_t et;

		if (n < 14) {
			*why = "truncated Ethernet header";
			return MH_PD_BAD;
		}
		et = pc_be16(p + off);
		for (int tags = 0; et == 0x8100 || et == 0x88a8 || et == 0x9100;
		     tags++) {
			if (tags >= PC_MAX_VLAN) {
				*why = "more than 8 VLAN tags";
				return MH_PD_BAD;
			}
			if (n < off + 6) {
				*why = "truncated VLAN tag";
				return MH_PD_BAD;
			}
			off += 4;
			et = pc_be16(p + off);
		}
		off += 2;
		return decode_l3(et, p + off, n - off, k, why);
	}
	case 0: /* NULL: address family in the capturing host's order */
	case 108: /* LOOP: the same in network order */ {
		uint32_t fam;

		if (n < 4) {
			*why = "truncated loopback header";
			return MH_PD_BAD;
		}
		fam = pc_be32(p);
		if (lt == 0 && fam > 0xffff)
			fam = pc_rd32(p, false);
		if (fam == 2)
			return decode_ip4(p + 4, n - 4, k, why);
		if (fam == 10 || fam == 24 || fam == 28 || fam == 30)
			return decode_ip6(p + 4, n - 4, k, why);
		return MH_PD_SKIP;
	}
	case 101:
		return decode_raw(p, n, k, why);
	case 228:
		return decode_ip4(p, n, k, why);
	case 229:
		return decode_ip6(p, n, k, why);
	case 113: /* Linux cooked v1: protocol at 14 */
		if (n < 16) {
			*why = "truncated Linux cooked (SLL) header";
			return MH_PD_BAD;
		}
		return decode_l3(pc_be16(p + 14), p + 16, n - 16, k, why);
	case 276: /* Linux cooked v2: protocol at 0 */
		if (n < 20) {
			*why = "truncated Linux cooked (SLL2) header";
			return MH_PD_BAD;
		}
		return decode_l3(pc_be16(p), p + 20, n - 20, k, why);
	default:
		*why = "unsupported link type";
		return MH_PD_BAD;
	}
}
