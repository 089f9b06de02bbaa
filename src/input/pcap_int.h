/* Internal to the pcap reader: input/pcap.c (framing, events),
 * input/pcap_decode.c (packet decoding) and input/pcap_flow.c (the flow
 * table). */
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

/* p starts a TLS handshake record (16 03 0x). */
static inline bool pc_tls_record(const uint8_t *p, size_t n)
{
	return n >= 3 && p[0] == 0x16 && p[1] == 0x03 && p[2] <= 0x04;
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

#define PC_SNIFF 64 /* payload bytes sniffed each way */
#define PC_QUEUE 8  /* ended flows waiting for next() */
#define PC_NIL	 UINT32_MAX

enum { PC_LIVE = 1, PC_CLOSED = 2 };

/* flow flags, per direction d (0 = client -> server) shifted by d */
#define F_SYN	 0x001u /* client SYN without ACK */
#define F_SYNACK 0x002u /* server SYN+ACK */
#define F_FIN0	 0x004u
#define F_FIN1	 0x008u
#define F_RST0	 0x010u
#define F_RST1	 0x020u
#define F_DATA0	 0x040u
#define F_DATA1	 0x080u
#define F_SEQ0	 0x100u /* base[0] valid */
#define F_SEQ1	 0x200u
#define F_TLS	 0x400u /* TLS record started a later segment */

typedef struct pc_flow {
	mh_ip ip[2]; /* [0] client, [1] server */
	uint16_t port[2];
	uint8_t proto; /* 6 or 17 */
	uint8_t state; /* 0 free, PC_LIVE, PC_CLOSED */
	uint8_t sniff_n[2];
	uint32_t flags;
	uint32_t base[2]; /* TCP: sequence number of the first payload byte */
	uint32_t top[2];  /* TCP: payload bytes seen past base */
	uint64_t bytes[2];
	int64_t first_ns;
	uint64_t first_pkt;
	uint32_t hnext;	     /* hash chain */
	uint32_t prev, next; /* live or closed list, oldest first */
	uint8_t sniff[2][PC_SNIFF];
} pc_flow;

typedef struct pc_list {
	uint32_t head, tail;
} pc_list;

/* The flow table (input/pcap_flow.c). */
typedef struct pc_ftab {
	pc_flow *flows;
	uint32_t nflows_alloc, max_flows, nused;
	uint32_t *buckets;
	uint32_t nbuckets; /* power of two */
	uint32_t free_head;
	pc_list live, closed; /* oldest first */
	pc_flow queue[PC_QUEUE];
	unsigned qhead, qn;
	uint64_t evicted; /* live flows pushed out of a full table */
} pc_ftab;

/* An empty table for at most max_flows flows (capped at 2^30); false on
 * ENOMEM. mh_pcap_ftab_free() releases it (also after a failed init). */
bool mh_pcap_ftab_init(pc_ftab *t, size_t max_flows);
void mh_pcap_ftab_free(pc_ftab *t);

/* Account packet k (first packet number pkt, time ns) to its flow,
 * creating it, or evicting the oldest flow when the table is full (that
 * flow is queued as it stands). False when there is no memory for a new
 * flow: the packet is then not counted anywhere. */
bool mh_pcap_ftab_packet(pc_ftab *t, const mh_pcap_pkt *k, int64_t ns,
			 uint64_t pkt);

/* The next flow whose event is due, or NULL: first the queued ones
 * (ended or evicted, copied into *tmp), then, when at_eof, the live ones
 * in the order they began (each moved to the closed list; the pointer is
 * valid until the next call). */
const pc_flow *mh_pcap_ftab_next(pc_ftab *t, bool at_eof, pc_flow *tmp);

/* True for the link types mh_pcap_decode() knows. */
bool mh_pcap_link_supported(uint32_t lt);

/* Decode the n captured bytes at p of a frame of link type lt into *k
 * (k->pay points into p). On MH_PD_BAD, *why is a static string saying
 * what is wrong. k must be zeroed by the caller. */
mh_pcap_drc mh_pcap_decode(uint32_t lt, const uint8_t *p, size_t n,
			   mh_pcap_pkt *k, const char **why);

#endif
