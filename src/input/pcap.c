/* Packet captures: classic pcap and pcapng, read without libpcap, turned
 * into one canonical event per TCP/UDP flow (a connection, as Zeek's
 * conn.log), not one per packet.
 *
 * Formats
 * - classic pcap, magic a1b2c3d4 (microseconds) or a1b23c4d
 *   (nanoseconds), written in either byte order;
 * - pcapng: Section Header (either byte order, several sections),
 *   Interface Description (link type, if_tsresol, if_tsoffset), Enhanced
 *   Packet and Simple Packet blocks; every other block is skipped. A
 *   Simple Packet has no time stamp: it takes the previous packet's time.
 * Link types: Ethernet (1, with any number up to 8 of 802.1Q / 802.1ad /
 * QinQ tags), NULL/loopback (0, family in either byte order) and LOOP
 * (108), raw IP (101, 228 IPv4, 229 IPv6), Linux cooked SLL (113) and
 * SLL2 (276). Another link type is reported malformed once per
 * interface (once per file for classic pcap); its packets are skipped.
 *
 * Packets: IPv4 (options; a non-first fragment is skipped, not malformed;
 * a first fragment counts as the packet it starts), IPv6 (hop-by-hop,
 * routing, destination options, AH and fragment headers are walked,
 * at most 8; ESP / no-next-header end the walk: skipped), then TCP and
 * UDP. Non-IP frames (ARP, ...) and other transports (ICMP, ...) are
 * skipped silently. A packet whose captured bytes end inside a header
 * is malformed, reported with its packet number as the "line" (packets
 * are numbered from 1 in file order; errors in non-packet pcapng blocks
 * carry the number the next packet would get).
 *
 * Flows: TCP connections are tracked by 5-tuple in a bounded table
 * (MH_PCAP_MAX_FLOWS by default, see mh_input_pcap_set_max_flows()).
 * When the table is full, a flow that already ended is dropped first,
 * else the oldest live flow is evicted: it is emitted as it stands and
 * counted (mh_input_pcap_stats()). The initiator is the side that sent
 * the SYN without ACK; a flow whose first packet is a SYN-ACK has its
 * sender as the responder; a flow seen mid-stream takes the side with
 * the higher port as the client (ties: the first packet's sender). A
 * TCP flow is emitted when it ends (FIN from both sides, or a RST) and
 * every flow still open at end of file is emitted then, in the order
 * the flows began. After its end a flow stays in the table as "closed"
 * and absorbs its stray packets (the last ACK, a late RST); a new SYN
 * without ACK on the same 5-tuple starts a new flow (Zeek does the same
 * with retried SYNs that were refused). UDP: one event per 5-tuple at
 * end of file (or on eviction); the initiator sent the first packet.
 *
 * Event: EventTime = first packet, SourceIp/Port = initiator,
 * DestinationIp/Port = responder, Protocol tcp/udp, BytesSent /
 * BytesReceived = payload bytes each way (TCP: from sequence numbers,
 * so a retransmission is not counted twice and a gap is; UDP: summed),
 * Action = a Zeek conn_state word (normalize.c maps S0, REJ and SF):
 *   S0 SYN seen, no reply      REJ SYN answered by RST
 *   SF established, FIN both ways (a later RST does not change it)
 *   S1 established, still open  S2/S3 established, FIN from the
 *   initiator / responder only   RSTO/RSTR established, reset by the
 *   initiator / responder        SH SYN then FIN, no SYN-ACK
 *   SHR responder's SYN-ACK only  OTH no SYN seen (mid-stream)
 *   UDP: SF both ways, S0 initiator only.
 * Service from the first 64 payload bytes of each way: "smtp" (a "220"
 * banner naming SMTP/ESMTP, or EHLO/HELO from the client), "pop3"
 * ("+OK"), "imap" ("* OK", "* PREAUTH", or "<tag> LOGIN/CAPABILITY"),
 * "ssl" (a TLS handshake record 16 03 0x first); a TLS handshake record
 * starting a later segment of a plain-text mail flow (STARTTLS) makes
 * it "smtp,ssl" / "imap,ssl" / "pop3,ssl", as Zeek lists it. No stream
 * reassembly: the sniffed bytes are the segments in capture order.
 * Line = the number of the flow's first packet. Dialect "pcap".
 *
 * Bad files: a truncated record or block, a captured length over
 * PC_MAX_CAPLEN (skipped), a pcapng block with a bad length (the rest
 * of the file cannot be framed: one malformed, then end) are reported
 * as malformed; garbage that is not a capture at all never probes as
 * pcap, and forced with --input-format gives one malformed for the file.
 *
 * Memory: the flow table grows by doubling up to the cap (no malloc per
 * packet or per event); event strings are formatted into the event's
 * arena (or the reader's own when the caller gives none) at return time
 * and stay valid until the next call to next(). Not thread-safe.
 *
 * Packet decoding (link, IP, TCP/UDP headers) is in input/pcap_decode.c,
 * the flow table in input/pcap_flow.c; this file frames the capture and
 * builds the events. */
#include "input/input.h"
#include "input/pcap_int.h"
#include "util/ip.h"
#include "util/timefmt.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define PC_MAX_CAPLEN  (256u << 10) /* largest packet kept */
#define PC_MAX_BLOCK   (1u << 20)   /* largest pcapng block framed */
#define PC_MAX_IFACES  256	    /* pcapng interfaces per section */
#define PC_ARENA_BLOCK 4096
#define PC_MAX_NS      4000000000000000000LL

static size_t pc_default_max_flows = MH_PCAP_MAX_FLOWS;

void mh_input_pcap_set_max_flows(size_t n)
{
	pc_default_max_flows = n ? n : MH_PCAP_MAX_FLOWS;
}

typedef struct pc_iface {
	uint32_t linktype;
	bool bad_reported;
	bool units_pow2;  /* if_tsresol high bit: 2^-k, else 10^-k */
	uint8_t units;	  /* k */
	int64_t offset_s; /* if_tsoffset */
} pc_iface;

typedef struct pc_priv {
	enum { PC_CLASSIC, PC_NG } fmt;
	bool big;     /* file (section) byte order is big-endian */
	bool nano;    /* classic: nanosecond stamps */
	bool done;    /* framing ended (EOF or unframable) */
	bool drained; /* end-of-file flows emitted */
	pc_iface ifaces[PC_MAX_IFACES];
	uint32_t nifaces;
	uint64_t pkt_no;
	int64_t last_ns;

	pc_ftab ft;

	mh_pcap_stats st;
	mh_arena arena;
} pc_priv;

/* ------------------------------------------------------------------ */
/* source helpers */

/* Make the window hold at least n bytes. Returns MH_OK, MH_EOF (fewer
 * remain: *have says how many), MH_ELIMIT (n exceeds the source's
 * record cap) or MH_EIO. */
static mh_rc want_bytes(mh_reader *r, size_t n, const uint8_t **p, size_t *have,
			mh_err *err)
{
	const char *c;
	size_t got;

	for (;;) {
		mh_rc rc;

		mh_source_peek(r->src, &c, &got);
		*p = (const uint8_t *)c;
		*have = got;
		if (got >= n)
			return MH_OK;
		rc = mh_source_more(r->src, err);
		if (rc == MH_OK)
			continue;
		if (rc == MH_EOF || rc == MH_ELIMIT) {
			mh_source_peek(r->src, &c, &got);
			*p = (const uint8_t *)c;
			*have = got;
			return rc;
		}
		return rc;
	}
}

/* Consume n bytes, reading on as needed. False at EOF before n. */
static mh_rc skip_bytes(mh_reader *r, uint64_t n, mh_err *err)
{
	while (n) {
		const char *c;
		size_t got;
		mh_rc rc;

		mh_source_peek(r->src, &c, &got);
		if (got) {
			size_t take = got < n ? got : (size_t)n;

			mh_source_consume(r->src, take);
			n -= take;
			continue;
		}
		rc = mh_source_more(r->src, err);
		if (rc == MH_EOF)
			return MH_EOF;
		if (rc != MH_OK)
			return rc;
	}
	return MH_OK;
}

/* One captured packet of interface ifc. */
static void packet(mh_reader *r, pc_priv *pv, pc_iface *ifc, const uint8_t *p,
		   size_t n, int64_t ns, mh_err *err)
{
	uint64_t no = pv->pkt_no;
	const char *why = "";
	mh_pcap_pkt k;
	mh_pcap_drc rc;

	pv->st.packets++;
	pv->last_ns = ns;
	if (!mh_pcap_link_supported(ifc->linktype)) {
		pv->st.other++;
		if (!ifc->bad_reported) {
			ifc->bad_reported = true;
			mh_reader_malformed(r, no,
					    "packet %llu: link type %u is not "
					    "supported; the packets of this "
					    "interface are skipped",
					    (unsigned long long)no,
					    ifc->linktype);
		}
		return;
	}
	memset(&k, 0, sizeof(k));
	rc = mh_pcap_decode(ifc->linktype, p, n, &k, &why);
	if (rc == MH_PD_BAD) {
		mh_reader_malformed(r, no,
				    "packet %llu: %s (%zu bytes captured)",
				    (unsigned long long)no, why, n);
		return;
	}
	if (rc == MH_PD_FRAG) {
		pv->st.fragments++;
		return;
	}
	if (rc == MH_PD_SKIP) {
		pv->st.other++;
		return;
	}
	(void)err;
	if (!mh_pcap_ftab_packet(&pv->ft, &k, ns, no))
		mh_reader_malformed(r, no,
				    "packet %llu: out of memory for the flow "
				    "table; packet skipped",
				    (unsigned long long)no);
}

/* ------------------------------------------------------------------ */
/* framing */

/* Classic pcap: one record. MH_EOF at end of file. */
static mh_rc classic_record(mh_reader *r, pc_priv *pv, mh_err *err)
{
	const uint8_t *p;
	size_t have;
	uint32_t sec, frac, incl;
	int64_t ns;
	mh_rc rc = want_bytes(r, 16, &p, &have, err);

	if (rc == MH_EIO || rc == MH_ENOMEM)
		return rc;
	if (have == 0)
		return MH_EOF;
	pv->pkt_no++;
	if (have < 16) {
		mh_reader_malformed(r, pv->pkt_no,
				    "packet %llu: truncated record header "
				    "(%zu of 16 bytes) at end of file",
				    (unsigned long long)pv->pkt_no, have);
		mh_source_consume(r->src, have);
		return MH_EOF;
	}
	sec = pc_rd32(p, pv->big);
	frac = pc_rd32(p + 4, pv->big);
	incl = pc_rd32(p + 8, pv->big);
	ns = (int64_t)sec * 1000000000LL +
	     (pv->nano ? (int64_t)frac : (int64_t)frac * 1000);
	mh_source_consume(r->src, 16);
	if (incl > PC_MAX_CAPLEN) {
		mh_reader_malformed(r, pv->pkt_no,
				    "packet %llu: captured length %u exceeds "
				    "the cap of %u bytes; skipped",
				    (unsigned long long)pv->pkt_no, incl,
				    PC_MAX_CAPLEN);
		rc = skip_bytes(r, incl, err);
		return rc == MH_EOF ? MH_OK : rc;
	}
	rc = want_bytes(r, incl, &p, &have, err);
	if (rc == MH_EIO || rc == MH_ENOMEM)
		return rc;
	if (have < incl) {
		mh_reader_malformed(r, pv->pkt_no,
				    "packet %llu: truncated packet (%zu of %u "
				    "bytes) at end of file",
				    (unsigned long long)pv->pkt_no, have, incl);
		mh_source_consume(r->src, have);
		return MH_EOF;
	}
	packet(r, pv, &pv->ifaces[0], p, incl, ns, err);
	mh_source_consume(r->src, incl);
	return MH_OK;
}

/* 10^e, e <= 18 */
static int64_t pow10i(unsigned e)
{
	int64_t v = 1;

	while (e--)
		v *= 10;
	return v;
}

/* A pcapng time stamp in interface units to ns since the epoch. */
static int64_t ng_time(const pc_iface *ifc, uint64_t ts)
{
	int64_t ns;

	if (ifc->units_pow2) {
		unsigned k = ifc->units > 63 ? 63 : ifc->units;
		uint64_t whole = ts >> k, fr = ts & ((1ULL << k) - 1);

		if (k > 30) { /* keep fr * 1e9 within 64 bits */
			fr >>= k - 30;
			k = 30;
		}
		ns = (int64_t)(whole > 9000000000ULL ? 9000000000ULL : whole) *
			 1000000000LL +
		     (int64_t)((fr * 1000000000ULL) >> k);
	} else if (ifc->units <= 9) {
		int64_t m = pow10i(9 - ifc->units);
		uint64_t lim = (uint64_t)INT64_MAX / (uint64_t)m;

		ns = (int64_t)((ts > lim ? lim : ts) * (uint64_t)m);
	} else {
		unsigned e = ifc->units - 9;

		ns = e > 18 ? 0 : (int64_t)(ts / (uint64_t)pow10i(e));
		if (ns < 0)
			ns = 0;
	}
	/* keep the sum in range: stamps past 2096 are clamped */
	if (ns > PC_MAX_NS)
		ns = PC_MAX_NS;
	if (ifc->offset_s > -4000000000LL && ifc->offset_s < 4000000000LL)
		ns += ifc->offset_s * 1000000000LL;
	return ns;
}

/* Interface Description body b[0..n) (after type and length). */
static void ng_idb(mh_reader *r, pc_priv *pv, const uint8_t *b, size_t n)
{
	pc_iface *ifc;
	size_t off = 8;

	if (n < 8) {
		mh_reader_malformed(r, pv->pkt_no + 1,
				    "pcapng interface block shorter than 8 "
				    "bytes");
		return;
	}
	if (pv->nifaces >= PC_MAX_IFACES) {
		mh_reader_malformed(r, pv->pkt_no + 1,
				    "more than %u pcapng interfaces; the "
				    "packets of the others are malformed",
				    PC_MAX_IFACES);
		return;
	}
	ifc = &pv->ifaces[pv->nifaces++];
	memset(ifc, 0, sizeof(*ifc));
	ifc->linktype = pc_rd16(b, pv->big);
	ifc->units = 6;
	while (off + 4 <= n) {
		uint16_t code = pc_rd16(b + off, pv->big);
		uint16_t len = pc_rd16(b + off + 2, pv->big);

		off += 4;
		if (code == 0 || len > n - off)
			break;
		if (code == 9 && len >= 1) {
			ifc->units_pow2 = (b[off] & 0x80) != 0;
			ifc->units = b[off] & 0x7f;
		} else if (code == 14 && len >= 8) {
			uint64_t lo = pc_rd32(b + off, pv->big),
				 hi = pc_rd32(b + off + 4, pv->big);
			uint64_t v = pv->big ? lo << 32 | hi : hi << 32 | lo;

			ifc->offset_s = (int64_t)v;
		}
		off += ((size_t)len + 3) & ~(size_t)3;
	}
}

/* One pcapng block. MH_EOF at end of file or when framing is lost. */
static mh_rc ng_block(mh_reader *r, pc_priv *pv, mh_err *err)
{
	const uint8_t *p;
	size_t have;
	uint32_t type, blen;
	mh_rc rc = want_bytes(r, 12, &p, &have, err);

	if (rc == MH_EIO || rc == MH_ENOMEM)
		return rc;
	if (have == 0)
		return MH_EOF;
	if (have < 12) {
		mh_reader_malformed(r, pv->pkt_no + 1,
				    "truncated pcapng block header (%zu of 12 "
				    "bytes) at end of file",
				    have);
		mh_source_consume(r->src, have);
		return MH_EOF;
	}
	type = pc_rd32(p, pv->big);
	if (type == 0x0A0D0D0A) { /* a new section: its own byte order */
		if (pc_be32(p + 8) == 0x1A2B3C4D)
			pv->big = true;
		else if (pc_rd32(p + 8, false) == 0x1A2B3C4D)
			pv->big = false;
		else {
			mh_reader_malformed(r, pv->pkt_no + 1,
					    "pcapng section header with a bad "
					    "byte-order magic; rest of file "
					    "skipped");
			return MH_EOF;
		}
		pv->nifaces = 0;
	}
	blen = pc_rd32(p + 4, pv->big);
	if (blen < 12 || blen % 4) {
		mh_reader_malformed(r, pv->pkt_no + 1,
				    "pcapng block of type 0x%08x with a bad "
				    "length %u; rest of file skipped",
				    type, blen);
		return MH_EOF;
	}
	if (blen > PC_MAX_BLOCK) {
		if (type == 6 || type == 3)
			pv->pkt_no++;
		mh_reader_malformed(
		    r, type == 6 || type == 3 ? pv->pkt_no : pv->pkt_no + 1,
		    "pcapng block of type 0x%08x is %u bytes, "
		    "over the cap of %u; skipped",
		    type, blen, PC_MAX_BLOCK);
		rc = skip_bytes(r, blen, err);
		return rc == MH_EOF ? MH_OK : rc;
	}
	rc = want_bytes(r, blen, &p, &have, err);
	if (rc == MH_EIO || rc == MH_ENOMEM)
		return rc;
	if (have < blen) {
		if (type == 6 || type == 3)
			pv->pkt_no++;
		mh_reader_malformed(
		    r, type == 6 || type == 3 ? pv->pkt_no : pv->pkt_no + 1,
		    "truncated pcapng block of type 0x%08x "
		    "(%zu of %u bytes) at end of file",
		    type, have, blen);
		mh_source_consume(r->src, have);
		return MH_EOF;
	}
	if (pc_rd32(p + blen - 4, pv->big) != blen) {
		mh_reader_malformed(r, pv->pkt_no + 1,
				    "pcapng block of type 0x%08x: trailing "
				    "length differs; rest of file skipped",
				    type);
		mh_source_consume(r->src, have);
		return MH_EOF;
	}
	{
		const uint8_t *b = p + 8;
		size_t bn = blen - 12;

		if (type == 1) {
			ng_idb(r, pv, b, bn);
		} else if (type == 6) {
			uint32_t ifid, cap;
			uint64_t ts;

			pv->pkt_no++;
			if (bn < 20) {
				mh_reader_malformed(
				    r, pv->pkt_no,
				    "packet %llu: enhanced packet block "
				    "too short",
				    (unsigned long long)pv->pkt_no);
				goto next;
			}
			ifid = pc_rd32(b, pv->big);
			ts = (uint64_t)pc_rd32(b + 4, pv->big) << 32 |
			     pc_rd32(b + 8, pv->big);
			cap = pc_rd32(b + 12, pv->big);
			if (ifid >= pv->nifaces) {
				mh_reader_malformed(
				    r, pv->pkt_no,
				    "packet %llu: unknown interface %u",
				    (unsigned long long)pv->pkt_no, ifid);
				goto next;
			}
			if (cap > bn - 20) {
				mh_reader_malformed(
				    r, pv->pkt_no,
				    "packet %llu: captured length %u "
				    "exceeds its block",
				    (unsigned long long)pv->pkt_no, cap);
				goto next;
			}
			packet(r, pv, &pv->ifaces[ifid], b + 20, cap,
			       ng_time(&pv->ifaces[ifid], ts), err);
		} else if (type == 3) {
			uint32_t orig;

			pv->pkt_no++;
			if (bn < 4 || pv->nifaces == 0) {
				mh_reader_malformed(
				    r, pv->pkt_no,
				    "packet %llu: simple packet block %s",
				    (unsigned long long)pv->pkt_no,
				    bn < 4 ? "too short"
					   : "before any interface");
				goto next;
			}
			orig = pc_rd32(b, pv->big);
			packet(r, pv, &pv->ifaces[0], b + 4,
			       orig < bn - 4 ? orig : bn - 4, pv->last_ns, err);
		}
	}
next:
	mh_source_consume(r->src, blen);
	return MH_OK;
}

/* ------------------------------------------------------------------ */
/* events */

static const char *conn_state(const pc_flow *f)
{
	uint32_t g = f->flags;

	if (f->proto != 6)
		return (g & F_DATA1) ? "SF" : "S0";
	if (g & F_SYN) {
		bool est = (g & (F_SYNACK | F_DATA1)) != 0;

		if (!est) {
			if (g & F_RST1)
				return "REJ";
			if (g & F_FIN0)
				return "SH";
			if (g & (F_DATA1 | F_FIN1))
				return "S1";
			return "S0";
		}
		if ((g & (F_FIN0 | F_FIN1)) == (F_FIN0 | F_FIN1))
			return "SF";
		if (g & F_RST0)
			return "RSTO";
		if (g & F_RST1)
			return "RSTR";
		if (g & F_FIN0)
			return "S2";
		if (g & F_FIN1)
			return "S3";
		return "S1";
	}
	if ((g & F_SYNACK) && !(g & (F_DATA0 | F_DATA1 | F_FIN0 | F_FIN1)))
		return "SHR";
	return "OTH";
}

static bool has_ci(const uint8_t *p, size_t n, const char *w)
{
	size_t wn = strlen(w);

	for (size_t i = 0; i + wn <= n; i++) {
		size_t j = 0;

		while (j < wn && (p[i + j] | 0x20) == (w[j] | 0x20))
			j++;
		if (j == wn)
			return true;
	}
	return false;
}

static bool starts_ci(const uint8_t *p, size_t n, const char *w)
{
	size_t wn = strlen(w);

	if (n < wn)
		return false;
	for (size_t j = 0; j < wn; j++)
		if ((p[j] | 0x20) != (w[j] | 0x20))
			return false;
	return true;
}

/* "<tag> LOGIN " / "<tag> CAPABILITY" etc.: an IMAP client command. */
static bool imap_cmd(const uint8_t *p, size_t n)
{
	static const char *const cmds[] = {"LOGIN ", "CAPABILITY",
					   "AUTHENTICATE ", "STARTTLS", "ID "};
	size_t i = 0;

	while (i < n && i < 16 &&
	       ((p[i] >= '0' && p[i] <= '9') ||
		((p[i] | 0x20) >= 'a' && (p[i] | 0x20) <= 'z') || p[i] == '.'))
		i++;
	if (i == 0 || i >= n || p[i] != ' ')
		return false;
	for (size_t c = 0; c < MH_ARRAY_LEN(cmds); c++)
		if (starts_ci(p + i + 1, n - i - 1, cmds[c]))
			return true;
	return false;
}

/* The service name(s), comma-separated, or NULL. */
static const char *service(const pc_flow *f)
{
	const uint8_t *c = f->sniff[0], *s = f->sniff[1];
	size_t cn = f->sniff_n[0], sn = f->sniff_n[1];
	bool tls = (f->flags & F_TLS) != 0;

	if (pc_tls_record(c, cn) || pc_tls_record(s, sn))
		return "ssl";
	if ((sn >= 4 && !memcmp(s, "220", 3) &&
	     (has_ci(s, sn, "SMTP") || has_ci(s, sn, "ESMTP"))) ||
	    starts_ci(c, cn, "EHLO ") || starts_ci(c, cn, "HELO "))
		return tls ? "smtp,ssl" : "smtp";
	if (sn >= 3 && !memcmp(s, "+OK", 3))
		return tls ? "pop3,ssl" : "pop3";
	if ((sn >= 4 &&
	     (!memcmp(s, "* OK", 4) || starts_ci(s, sn, "* PREAUTH"))) ||
	    imap_cmd(c, cn))
		return tls ? "imap,ssl" : "imap";
	return NULL;
}

static mh_rc set_text(mh_event *ev, mh_arena *a, mh_field fld, const char *s,
		      size_t n)
{
	char *d = mh_arena_strndup(a, s, n);

	if (!d)
		return MH_ENOMEM;
	mh_event_set(ev, fld, d, n);
	return MH_OK;
}

static mh_rc set_u64(mh_event *ev, mh_arena *a, mh_field fld, uint64_t v)
{
	char b[24];
	int n = snprintf(b, sizeof(b), "%llu", (unsigned long long)v);

	return set_text(ev, a, fld, b, (size_t)n);
}

static mh_rc emit(mh_reader *r, pc_priv *pv, const pc_flow *f, mh_event *ev)
{
	mh_arena *a = ev->arena ? ev->arena : &pv->arena;
	char buf[64];
	const char *svc, *st;
	size_t n;
	bool ok = true;
	uint64_t sent, recv;

	if (!ev->arena)
		mh_arena_reset(&pv->arena);
	mh_event_clear(ev);
	ev->file = mh_source_name(r->src);
	ev->line = f->first_pkt;
	ev->time_ns = f->first_ns;
	n = mh_time_format(f->first_ns, buf, sizeof(buf));
	ok &= MH_OK == set_text(ev, a, MH_F_TIME, buf, n);
	mh_ip_format(&f->ip[0], buf, sizeof(buf));
	ok &= MH_OK == set_text(ev, a, MH_F_SOURCE_IP, buf, strlen(buf));
	ok &= MH_OK == set_u64(ev, a, MH_F_SOURCE_PORT, f->port[0]);
	mh_ip_format(&f->ip[1], buf, sizeof(buf));
	ok &= MH_OK == set_text(ev, a, MH_F_DESTINATION_IP, buf, strlen(buf));
	ok &= MH_OK == set_u64(ev, a, MH_F_DESTINATION_PORT, f->port[1]);
	mh_event_set(ev, MH_F_PROTOCOL, f->proto == 6 ? "tcp" : "udp", 3);
	if (f->proto == 6) {
		sent = f->flags & F_SEQ0 ? f->top[0] : 0;
		recv = f->flags & F_SEQ1 ? f->top[1] : 0;
	} else {
		sent = f->bytes[0];
		recv = f->bytes[1];
	}
	ok &= MH_OK == set_u64(ev, a, MH_F_BYTES_SENT, sent);
	ok &= MH_OK == set_u64(ev, a, MH_F_BYTES_RECEIVED, recv);
	st = conn_state(f);
	mh_event_set(ev, MH_F_ACTION, st, strlen(st));
	svc = f->proto == 6 ? service(f) : NULL;
	if (svc)
		mh_event_set(ev, MH_F_SERVICE, svc, strlen(svc));
	mh_event_set(ev, MH_F_DIALECT, "pcap", 4);
	if (!ok)
		return MH_ENOMEM;
	r->stats.records++;
	return MH_OK;
}

/* ------------------------------------------------------------------ */
/* reader ops */

static void pc_close(mh_reader *r)
{
	pc_priv *pv = r->priv;

	if (!pv)
		return;
	mh_pcap_ftab_free(&pv->ft);
	mh_arena_free(&pv->arena);
	free(pv);
	r->priv = NULL;
}

/* Reads the file header. A file that is not a capture (forced with
 * --input-format) is one malformed record, not a failure. */
static mh_rc pc_open(mh_reader *r, mh_err *err)
{
	pc_priv *pv = calloc(1, sizeof(*pv));
	const uint8_t *p;
	size_t have;
	mh_rc rc;

	if (!pv)
		return mh_err_set(err, MH_ENOMEM, mh_source_name(r->src), 0, 0,
				  "out of memory");
	r->priv = pv;
	mh_arena_init(&pv->arena, PC_ARENA_BLOCK, 1u << 20);
	if (!mh_pcap_ftab_init(&pv->ft, pc_default_max_flows)) {
		pc_close(r);
		return mh_err_set(err, MH_ENOMEM, mh_source_name(r->src), 0, 0,
				  "out of memory");
	}
	snprintf(r->dialect, sizeof(r->dialect), "pcap");

	rc = want_bytes(r, 24, &p, &have, err);
	if (rc == MH_EIO || rc == MH_ENOMEM) {
		pc_close(r);
		return rc;
	}
	if (have >= 12 && pc_be32(p) == 0x0A0D0D0A) {
		pv->fmt = PC_NG; /* the section header is read as a block */
		snprintf(r->dialect, sizeof(r->dialect), "pcapng");
		return MH_OK;
	}
	if (have >= 4) {
		uint32_t m = pc_be32(p);

		pv->fmt = PC_CLASSIC;
		pv->big = m == 0xa1b2c3d4 || m == 0xa1b23c4d;
		pv->nano = m == 0xa1b23c4d || m == 0x4d3cb2a1;
		if (pv->big || m == 0xd4c3b2a1 || m == 0x4d3cb2a1) {
			if (have < 24) {
				mh_reader_malformed(
				    r, 0,
				    "truncated pcap file header "
				    "(%zu of 24 bytes)",
				    have);
				pv->done = true;
				return MH_OK;
			}
			pv->nifaces = 1;
			pv->ifaces[0].linktype =
			    pc_rd32(p + 20, pv->big) & 0x03ffffff;
			mh_source_consume(r->src, 24);
			return MH_OK;
		}
	}
	if (have > 0)
		mh_reader_malformed(r, 0,
				    "not a pcap or pcapng file (no capture "
				    "magic number)");
	pv->done = true;
	return MH_OK;
}

static mh_rc pc_next(mh_reader *r, mh_event *ev, mh_err *err)
{
	pc_priv *pv = r->priv;
	const pc_flow *f;
	pc_flow tmp;

	if (!pv)
		return MH_EOF;
	for (;;) {
		mh_rc rc;

		f = mh_pcap_ftab_next(&pv->ft, pv->done, &tmp);
		if (f) {
			rc = emit(r, pv, f, ev);
			goto emitted;
		}
		if (pv->done)
			return MH_EOF;
		rc = pv->fmt == PC_NG ? ng_block(r, pv, err)
				      : classic_record(r, pv, err);
		if (rc == MH_EOF)
			pv->done = true;
		else if (rc != MH_OK)
			return rc;
		continue;
	emitted:
		if (rc != MH_OK)
			return mh_err_set(err, MH_ENOMEM,
					  mh_source_name(r->src), ev->line, 0,
					  "out of memory formatting a flow");
		return MH_OK;
	}
}

/* By magic number: classic pcap in either byte order and time unit, or
 * a pcapng Section Header with its byte-order magic. */
static int pc_probe(const char *buf, size_t len)
{
	const uint8_t *p = (const uint8_t *)buf;
	uint32_t m;

	if (len < 4)
		return 0;
	m = pc_be32(p);
	if (m == 0xa1b2c3d4 || m == 0xd4c3b2a1 || m == 0xa1b23c4d ||
	    m == 0x4d3cb2a1)
		return 100;
	if (m == 0x0A0D0D0A && len >= 12 &&
	    (pc_be32(p + 8) == 0x1A2B3C4D ||
	     pc_rd32(p + 8, false) == 0x1A2B3C4D))
		return 100;
	return 0;
}

bool mh_input_pcap_stats(const mh_reader *r, mh_pcap_stats *out)
{
	const pc_priv *pv;

	if (!r || r->ops != &mh_input_pcap || !r->priv || !out)
		return false;
	pv = r->priv;
	*out = pv->st;
	out->evicted = pv->ft.evicted;
	return true;
}

const mh_reader_ops mh_input_pcap = {
    .name = "pcap",
    .desc = "packet captures (pcap, pcapng): one event per TCP/UDP flow",
    .probe = pc_probe,
    .open = pc_open,
    .next = pc_next,
    .close = pc_close,
};
