/* Internal to the pcap reader: input/pcap.c (framing, flows, events)
 * and input/pcap_decode.c (packet decoding). */
#ifndef MH_INPUT_PCAP_INT_H
#define MH_INPUT_PCAP_INT_H

#include "util/ip.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

static inline uint16_t pc_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t pc_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline uint16_t pc_rd16(const uint8_t *p, bool big)
{
	return big ? pc_be16(p) : (uint16_t)(p[1] << 8 | p[0]);
}

static inline uint32_t pc_rd32(const uint8_t *p, bool big)
{
	return big ? pc_be32(p)
		   : (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 |
			 (uint32_t)p[1] << 8 | p[0];
}

/* One packet, decoded down to the transport header. */
typedef struct mh_pcap_pkt {
	mh_ip src, dst;
	uint16_t sport, dport;
	uint8_t proto;
	uint8_t tcpflags;
	uint32_t seq;
	uint32_t plen;	    /* payload length per the headers */
	const uint8_t *pay; /* captured payload */
	size_t pay_n;	    /* captured payload bytes (<= plen) */
} mh_pcap_pkt;

/* Why a packet was not turned into a flow update. */
typedef enum {
	MH_PD_OK,
	MH_PD_SKIP, /* not IP, not TCP/UDP: silently ignored */
	MH_PD_FRAG, /* non-first fragment */
	MH_PD_BAD,  /* malformed: *why says why */
} mh_pcap_drc;

/* True for the link types mh_pcap_decode() knows. */
bool mh_pcap_link_supported(uint32_t lt);

/* Decode the n captured bytes at p of a frame of link type lt into *k
 * (k->pay points into p). On MH_PD_BAD, *why is a static string saying
 * what is wrong. k must be zeroed by the caller. */
mh_pcap_drc mh_pcap_decode(uint32_t lt, const uint8_t *p, size_t n,
			   mh_pcap_pkt *k, const char **why);

#endif
