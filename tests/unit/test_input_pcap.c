/* pcap / pcapng reader (src/input/pcap.c): framing in both byte orders
 * and time units, pcapng interface resolution, link layers (Ethernet
 * with VLAN tags, SLL, SLL2, raw IP, loopback), IPv6 extension headers,
 * fragments, truncation and other bad files, the flow table (outcomes,
 * mid-stream orientation, eviction at a tiny cap) and service sniffing
 * (STARTTLS lists). Every capture is built in memory here. */
#include "input/input.h"
#include "mh_test.h"
#include "reader_harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S  1000000000LL
#define T0 1600000000LL

/* ------------------------------------------------------------------ */
/* capture writer */

enum { FMT_CLASSIC, FMT_NG };

typedef struct cap {
	uint8_t d[1 << 16];
	size_t n;
	int fmt;
	bool big, nano;
	uint32_t link;
	int vlans;     /* Ethernet: number of 802.1Q/802.1ad tags */
	uint8_t tsres; /* pcapng if_tsresol byte (0: option absent) */
	bool spb;      /* pcapng: write Simple Packet blocks */
} cap;

static void put(cap *c, const void *p, size_t n)
{
	MH_CHECK(c->n + n <= sizeof(c->d));
	if (c->n + n > sizeof(c->d))
		return;
	memcpy(c->d + c->n, p, n);
	c->n += n;
}

static void put8(cap *c, uint8_t v)
{
	put(c, &v, 1);
}

static void put16(cap *c, uint16_t v)
{
	uint8_t b[2];

	if (c->big) {
		b[0] = (uint8_t)(v >> 8);
		b[1] = (uint8_t)v;
	} else {
		b[0] = (uint8_t)v;
		b[1] = (uint8_t)(v >> 8);
	}
	put(c, b, 2);
}

static void put32(cap *c, uint32_t v)
{
	uint8_t b[4];

	for (int i = 0; i < 4; i++)
		b[c->big ? 3 - i : i] = (uint8_t)(v >> (8 * i));
	put(c, b, 4);
}

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void wr32(uint8_t *p, uint32_t v)
{
	wr16(p, (uint16_t)(v >> 16));
	wr16(p + 2, (uint16_t)v);
}

static void cap_begin(cap *c, int fmt, bool big, uint32_t link)
{
	memset(c, 0, sizeof(*c));
	c->fmt = fmt;
	c->big = big;
	c->link = link;
}

/* The file header (classic) or SHB + IDB (pcapng). Call after setting
 * nano / tsres / vlans. */
static void cap_header(cap *c)
{
	if (c->fmt == FMT_CLASSIC) {
		put32(c, c->nano ? 0xa1b23c4d : 0xa1b2c3d4);
		put16(c, 2);
		put16(c, 4);
		put32(c, 0);
		put32(c, 0);
		put32(c, 65535);
		put32(c, c->link);
		return;
	}
	put32(c, 0x0A0D0D0A);
	put32(c, 28);
	put32(c, 0x1A2B3C4D);
	put16(c, 1);
	put16(c, 0);
	put32(c, 0xffffffff);
	put32(c, 0xffffffff);
	put32(c, 28);
	/* an unknown block (name resolution, type 4) to be skipped */
	put32(c, 4);
	put32(c, 16);
	put32(c, 0);
	put32(c, 16);
	put32(c, 1);
	put32(c, c->tsres ? 32 : 20);
	put16(c, (uint16_t)c->link);
	put16(c, 0);
	put32(c, 65535);
	if (c->tsres) {
		put16(c, 9);
		put16(c, 1);
		put8(c, c->tsres);
		put8(c, 0);
		put8(c, 0);
		put8(c, 0);
		put16(c, 0);
		put16(c, 0);
	}
	put32(c, c->tsres ? 32 : 20);
}

static uint64_t ng_units(const cap *c, int64_t ns)
{
	uint8_t r = c->tsres ? c->tsres : 6;

	if (r & 0x80) {
		unsigned k = r & 0x7f;
		uint64_t sec = (uint64_t)(ns / S), fr = (uint64_t)(ns % S);

		return (sec << k) + ((fr << k) / (uint64_t)S);
	}
	{
		int64_t d = 1;

		for (int i = r; i < 9; i++)
			d *= 10;
		return (uint64_t)(ns / d);
	}
}

/* One record holding data[0..n) (caplen may claim more). */
static void cap_record(cap *c, const uint8_t *data, size_t n, uint32_t caplen,
		       int64_t ns)
{
	if (c->fmt == FMT_CLASSIC) {
		put32(c, (uint32_t)(ns / S));
		put32(c, (uint32_t)(c->nano ? ns % S : ns % S / 1000));
		put32(c, caplen);
		put32(c, caplen);
		put(c, data, n);
		return;
	}
	{
		size_t pad = (4 - n % 4) % 4;
		static const uint8_t z[4];

		if (c->spb) {
			put32(c, 3);
			put32(c, (uint32_t)(16 + n + pad));
			put32(c, (uint32_t)n);
			put(c, data, n);
			put(c, z, pad);
			put32(c, (uint32_t)(16 + n + pad));
			return;
		}
		uint64_t u = ng_units(c, ns);

		put32(c, 6);
		put32(c, (uint32_t)(32 + n + pad));
		put32(c, 0);
		put32(c, (uint32_t)(u >> 32));
		put32(c, (uint32_t)u);
		put32(c, caplen);
		put32(c, (uint32_t)n);
		put(c, data, n);
		put(c, z, pad);
		put32(c, (uint32_t)(32 + n + pad));
	}
}

/* Wrap an IP packet in the link header and record it. */
static void cap_ip(cap *c, const uint8_t *ip, size_t n, int64_t ns)
{
	uint8_t f[2048];
	size_t h = 0;
	bool v6 = n && ip[0] >> 4 == 6;
	uint16_t et = v6 ? 0x86dd : 0x0800;

	memset(f, 0, 64);
	switch (c->link) {
	case 1:
		memset(f, 0x02, 12);
		h = 12;
		for (int i = 0; i < c->vlans; i++) {
			wr16(f + h, i == 0 && c->vlans > 1 ? 0x88a8 : 0x8100);
			wr16(f + h + 2, (uint16_t)(100 + i));
			h += 4;
		}
		wr16(f + h, et);
		h += 2;
		break;
	case 113:
		wr16(f, 0);
		wr16(f + 2, 1);
		wr16(f + 4, 6);
		wr16(f + 14, et);
		h = 16;
		break;
	case 276:
		wr16(f, et);
		wr16(f + 8, 1);
		h = 20;
		break;
	case 0: /* little-endian host */
		f[0] = v6 ? 30 : 2;
		h = 4;
		break;
	default: /* raw */
		break;
	}
	MH_CHECK(h + n <= sizeof(f));
	memcpy(f + h, ip, n);
	cap_record(c, f, h + n, (uint32_t)(h + n), ns);
}

/* ------------------------------------------------------------------ */
/* packet builders */

#define FIN 0x01
#define SYN 0x02
#define RST 0x04
#define PSH 0x08
#define ACK 0x10

typedef struct ep {
	uint8_t a[16];
	bool v6;
	uint16_t port;
} ep;

static ep ep4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port)
{
	ep e;

	memset(&e, 0, sizeof(e));
	e.a[0] = a;
	e.a[1] = b;
	e.a[2] = c;
	e.a[3] = d;
	e.port = port;
	return e;
}

static ep ep6(uint8_t last, uint16_t port)
{
	ep e;

	memset(&e, 0, sizeof(e));
	e.a[0] = 0x20;
	e.a[1] = 0x01;
	e.a[2] = 0x0d;
	e.a[3] = 0xb8;
	e.a[15] = last;
	e.v6 = true;
	e.port = port;
	return e;
}

static int g_ext6;	/* IPv6: add hop-by-hop + destination options */
static uint16_t g_frag; /* IPv4 flags/fragment offset field */

/* IP + TCP (proto 6) or UDP (17) from s to d into out; returns length. */
static size_t mkpkt(uint8_t *out, int proto, ep s, ep d, uint8_t flags,
		    uint32_t seq, const char *pay, size_t pn)
{
	size_t l4h = proto == 6 ? 20 : 8, off;
	uint8_t *l4;

	if (!s.v6) {
		memset(out, 0, 20);
		out[0] = 0x45;
		wr16(out + 2, (uint16_t)(20 + l4h + pn));
		wr16(out + 6, g_frag);
		out[8] = 64;
		out[9] = (uint8_t)proto;
		memcpy(out + 12, s.a, 4);
		memcpy(out + 16, d.a, 4);
		off = 20;
	} else {
		size_t ext = g_ext6 ? 16 : 0;

		memset(out, 0, 40 + ext);
		out[0] = 0x60;
		wr16(out + 4, (uint16_t)(ext + l4h + pn));
		out[6] = g_ext6 ? 0 : (uint8_t)proto;
		out[7] = 64;
		memcpy(out + 8, s.a, 16);
		memcpy(out + 24, d.a, 16);
		off = 40;
		if (g_ext6) {
			out[40] = 60; /* hop-by-hop -> destination options */
			out[41] = 0;
			out[42] = 1; /* PadN, 4 bytes */
			out[43] = 4;
			out[48] = (uint8_t)proto;
			out[49] = 0;
			out[50] = 1;
			out[51] = 4;
			off = 56;
		}
	}
	l4 = out + off;
	memset(l4, 0, l4h);
	wr16(l4, s.port);
	wr16(l4 + 2, d.port);
	if (proto == 6) {
		wr32(l4 + 4, seq);
		l4[12] = 5 << 4;
		l4[13] = flags;
	} else {
		wr16(l4 + 4, (uint16_t)(8 + pn));
	}
	if (pn)
		memcpy(l4 + l4h, pay, pn);
	return off + l4h + pn;
}

/* A TCP segment between two endpoints, time ns. */
static void seg(cap *c, ep s, ep d, uint8_t fl, uint32_t seq, const char *pay,
		int64_t ns)
{
	uint8_t b[2048];
	size_t n = mkpkt(b, 6, s, d, fl, seq, pay, pay ? strlen(pay) : 0);

	cap_ip(c, b, n, ns);
}

/* The reference conversation: handshake, server banner, EHLO, FIN both
 * ways, final ACK. Client seq 1000, server 5000. */
static void smtp_session(cap *c, ep cl, ep sv, int64_t t)
{
	seg(c, cl, sv, SYN, 1000, NULL, t);
	seg(c, sv, cl, SYN | ACK, 5000, NULL, t + 1000);
	seg(c, cl, sv, ACK, 1001, NULL, t + 2000);
	seg(c, sv, cl, PSH | ACK, 5001, "220 mx.example ESMTP\r\n", t + 3000);
	seg(c, cl, sv, PSH | ACK, 1001, "EHLO a\r\n", t + 4000);
	seg(c, cl, sv, FIN | ACK, 1009, NULL, t + 5000);
	seg(c, sv, cl, FIN | ACK, 5023, NULL, t + 6000);
	seg(c, cl, sv, ACK, 1010, NULL, t + 7000);
}

/* ------------------------------------------------------------------ */
/* reader harness */

static void h_open(harness *h, const void *buf, size_t len)
{
	rh_open_mem(h, &mh_input_pcap, "t.pcap", buf, len, NULL);
}

/* pcap events live in the reader; the per-record arena is reset before
 * each next(), as the scan driver does. */
static mh_rc h_next(harness *h)
{
	mh_arena_reset(&h->arena);
	return rh_next(h);
}

#define h_close rh_close

static const char *get(const mh_event *ev, mh_field f)
{
	static char buf[4][256];
	static int k;
	const mh_str *s = mh_event_get(ev, f);
	char *b = buf[k++ % 4];

	if (!s)
		return "(unset)";
	snprintf(b, 256, "%.*s", (int)s->n, s->p);
	return b;
}

/* Checks the reference smtp_session() flow. */
static void check_smtp(const mh_event *ev, const char *cli, const char *srv,
		       int64_t t)
{
	MH_CHECK_EQ_STR(get(ev, MH_F_SOURCE_IP), cli);
	MH_CHECK_EQ_STR(get(ev, MH_F_SOURCE_PORT), "40000");
	MH_CHECK_EQ_STR(get(ev, MH_F_DESTINATION_IP), srv);
	MH_CHECK_EQ_STR(get(ev, MH_F_DESTINATION_PORT), "25");
	MH_CHECK_EQ_STR(get(ev, MH_F_PROTOCOL), "tcp");
	MH_CHECK_EQ_STR(get(ev, MH_F_BYTES_SENT), "8");
	MH_CHECK_EQ_STR(get(ev, MH_F_BYTES_RECEIVED), "22");
	MH_CHECK_EQ_STR(get(ev, MH_F_ACTION), "SF");
	MH_CHECK_EQ_STR(get(ev, MH_F_SERVICE), "smtp");
	MH_CHECK_EQ_STR(get(ev, MH_F_DIALECT), "pcap");
	MH_CHECK(mh_event_has(ev, MH_F_TIME));
	MH_CHECK_EQ_INT(ev->time_ns, t);
	MH_CHECK_EQ_INT(ev->line, 1);
}

/* Build a capture with one smtp_session() and check its single flow. */
static void run_smtp(cap *c, ep cl, ep sv, const char *cli, const char *srv,
		     int64_t t, int64_t want_t)
{
	harness h;

	cap_header(c);
	smtp_session(c, cl, sv, t);
	h_open(&h, c->d, c->n);
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	check_smtp(&h.ev, cli, srv, want_t);
	MH_CHECK_EQ_INT(h_next(&h), MH_EOF);
	MH_CHECK_EQ_INT(bad.n, 0);
	MH_CHECK_EQ_INT(h.r.stats.records, 1);
	MH_CHECK_EQ_INT(h.r.stats.malformed, 0);
	h_close(&h);
}

static cap C; /* large: static */

static ep CL4, SV4;

static void setup(void)
{
	CL4 = ep4(10, 0, 0, 1, 40000);
	SV4 = ep4(192, 0, 2, 25, 25);
	g_ext6 = 0;
	g_frag = 0;
}

/* ------------------------------------------------------------------ */
/* tests */

static void test_classic_le_be(void)
{
	setup();
	cap_begin(&C, FMT_CLASSIC, false, 1);
	run_smtp(&C, CL4, SV4, "10.0.0.1", "192.0.2.25", T0 * S + 123000,
		 T0 * S + 123000);
	cap_begin(&C, FMT_CLASSIC, true, 1);
	run_smtp(&C, CL4, SV4, "10.0.0.1", "192.0.2.25", T0 * S + 123000,
		 T0 * S + 123000);
}

static void test_classic_nano(void)
{
	setup();
	cap_begin(&C, FMT_CLASSIC, false, 1);
	C.nano = true;
	run_smtp(&C, CL4, SV4, "10.0.0.1", "192.0.2.25", T0 * S + 123456789,
		 T0 * S + 123456789);
	cap_begin(&C, FMT_CLASSIC, true, 1);
	C.nano = true;
	run_smtp(&C, CL4, SV4, "10.0.0.1", "192.0.2.25", T0 * S + 987654321,
		 T0 * S + 987654321);
	/* microsecond file: the ns part is cut to us */
	cap_begin(&C, FMT_CLASSIC, false, 1);
	run_smtp(&C, CL4, SV4, "10.0.0.1", "192.0.2.25", T0 * S + 123456789,
		 T0 * S + 123456000);
}

static void test_pcapng_tsresol(void)
{
	setup();
	/* default resolution: microseconds */
	cap_begin(&C, FMT_NG, false, 1);
	run_smtp(&C, CL4, SV4, "10.0.0.1", "192.0.2.25", T0 * S + 5000,
		 T0 * S + 5000);
	/* if_tsresol 9: nanoseconds, big-endian section */
	cap_begin(&C, FMT_NG, true, 1);
	C.tsres = 9;
	run_smtp(&C, CL4, SV4, "10.0.0.1", "192.0.2.25", T0 * S + 123456789,
		 T0 * S + 123456789);
	/* if_tsresol 3: milliseconds */
	cap_begin(&C, FMT_NG, false, 1);
	C.tsres = 3;
	run_smtp(&C, CL4, SV4, "10.0.0.1", "192.0.2.25", T0 * S + 250000000,
		 T0 * S + 250000000);
	/* if_tsresol 0x8a: 2^-10 s units; 0.5 s is exact */
	cap_begin(&C, FMT_NG, false, 1);
	C.tsres = 0x8a;
	run_smtp(&C, CL4, SV4, "10.0.0.1", "192.0.2.25", T0 * S + S / 2,
		 T0 * S + S / 2);
}

static void test_pcapng_simple_packets(void)
{
	harness h;

	setup();
	cap_begin(&C, FMT_NG, false, 1);
	C.spb = true;
	cap_header(&C);
	smtp_session(&C, CL4, SV4, T0 * S);
	h_open(&h, C.d, C.n);
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	/* no time stamps in simple packets: the flow has time 0 */
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_ACTION), "SF");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_SERVICE), "smtp");
	MH_CHECK_EQ_INT(h.ev.time_ns, 0);
	MH_CHECK_EQ_INT(h_next(&h), MH_EOF);
	MH_CHECK_EQ_INT(bad.n, 0);
	h_close(&h);
}

static void test_vlan_and_cooked(void)
{
	setup();
	cap_begin(&C, FMT_CLASSIC, false, 1);
	C.vlans = 1;
	run_smtp(&C, CL4, SV4, "10.0.0.1", "192.0.2.25", T0 * S, T0 * S);
	cap_begin(&C, FMT_CLASSIC, false, 1);
	C.vlans = 2; /* QinQ: 802.1ad outer + 802.1Q inner */
	run_smtp(&C, CL4, SV4, "10.0.0.1", "192.0.2.25", T0 * S, T0 * S);
	cap_begin(&C, FMT_CLASSIC, false, 113);
	run_smtp(&C, CL4, SV4, "10.0.0.1", "192.0.2.25", T0 * S, T0 * S);
	cap_begin(&C, FMT_NG, false, 276);
	run_smtp(&C, CL4, SV4, "10.0.0.1", "192.0.2.25", T0 * S, T0 * S);
	cap_begin(&C, FMT_CLASSIC, true, 101);
	run_smtp(&C, CL4, SV4, "10.0.0.1", "192.0.2.25", T0 * S, T0 * S);
	cap_begin(&C, FMT_CLASSIC, false, 228);
	run_smtp(&C, CL4, SV4, "10.0.0.1", "192.0.2.25", T0 * S, T0 * S);
	cap_begin(&C, FMT_CLASSIC, false, 0);
	run_smtp(&C, CL4, SV4, "10.0.0.1", "192.0.2.25", T0 * S, T0 * S);
}

static void test_ipv6_ext_headers(void)
{
	setup();
	g_ext6 = 1;
	cap_begin(&C, FMT_CLASSIC, false, 1);
	run_smtp(&C, ep6(1, 40000), ep6(0x25, 25), "2001:db8::1",
		 "2001:db8::25", T0 * S, T0 * S);
	cap_begin(&C, FMT_CLASSIC, false, 229);
	run_smtp(&C, ep6(1, 40000), ep6(0x25, 25), "2001:db8::1",
		 "2001:db8::25", T0 * S, T0 * S);
	cap_begin(&C, FMT_CLASSIC, false, 0);
	run_smtp(&C, ep6(1, 40000), ep6(0x25, 25), "2001:db8::1",
		 "2001:db8::25", T0 * S, T0 * S);
	g_ext6 = 0;
}

static void test_truncated_packet(void)
{
	harness h;
	uint8_t b[256];
	size_t n;

	setup();
	cap_begin(&C, FMT_CLASSIC, false, 1);
	cap_header(&C);
	seg(&C, CL4, SV4, SYN, 1, NULL, T0 * S);
	/* packet 2: captured bytes end inside the TCP header */
	n = mkpkt(b + 14, 6, CL4, SV4, ACK, 2, NULL, 0);
	memset(b, 0, 12);
	wr16(b + 12, 0x0800);
	cap_record(&C, b, 14 + 30, 14 + 30, T0 * S + 1);
	/* packet 3: inside the IPv4 header */
	cap_record(&C, b, 14 + 10, 14 + 10, T0 * S + 2);
	(void)n;
	h_open(&h, C.d, C.n);
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_ACTION), "S0");
	MH_CHECK_EQ_INT(h_next(&h), MH_EOF);
	MH_CHECK_EQ_INT(bad.n, 2);
	MH_CHECK_EQ_INT(bad.line[0], 2);
	MH_CHECK(strstr(bad.why[0], "truncated TCP header") != NULL);
	MH_CHECK_EQ_INT(bad.line[1], 3);
	MH_CHECK(strstr(bad.why[1], "truncated IPv4 header") != NULL);
	MH_CHECK_EQ_INT(h.r.stats.malformed, 2);
	h_close(&h);
}

static void test_ipv4_fragment(void)
{
	harness h;
	mh_pcap_stats st;
	uint8_t b[256];
	size_t n;

	setup();
	cap_begin(&C, FMT_CLASSIC, false, 228);
	cap_header(&C);
	/* a UDP datagram in two fragments: first (MF) and second */
	g_frag = 0x2000;
	n = mkpkt(b, 17, ep4(10, 0, 0, 1, 5000), ep4(10, 0, 0, 2, 53), 0, 0,
		  "abcdefgh", 8);
	cap_record(&C, b, n, (uint32_t)n, T0 * S);
	g_frag = 0x0002; /* offset 16 bytes, last fragment */
	n = mkpkt(b, 17, ep4(10, 0, 0, 1, 5000), ep4(10, 0, 0, 2, 53), 0, 0,
		  "ijklmnop", 8);
	cap_record(&C, b, n, (uint32_t)n, T0 * S + 1);
	g_frag = 0;
	h_open(&h, C.d, C.n);
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_PROTOCOL), "udp");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_SOURCE_PORT), "5000");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_BYTES_SENT), "8");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_ACTION), "S0");
	MH_CHECK(mh_input_pcap_stats(&h.r, &st));
	MH_CHECK_EQ_INT(st.fragments, 1);
	MH_CHECK_EQ_INT(st.packets, 2);
	MH_CHECK_EQ_INT(h_next(&h), MH_EOF);
	MH_CHECK_EQ_INT(bad.n, 0);
	h_close(&h);
}

static void test_outcomes(void)
{
	harness h;
	ep a = ep4(10, 0, 0, 1, 40001), b = ep4(10, 0, 0, 1, 40002);
	ep c = ep4(10, 0, 0, 1, 40003), d = ep4(10, 0, 0, 1, 40004);
	ep e = ep4(10, 0, 0, 1, 40005);
	int64_t t = T0 * S;

	setup();
	cap_begin(&C, FMT_CLASSIC, false, 1);
	cap_header(&C);
	/* a: SYN, no answer -> S0 (emitted at end of file) */
	seg(&C, a, SV4, SYN, 1, NULL, t);
	/* b: SYN, RST -> REJ at once; a retried SYN is a new flow */
	seg(&C, b, SV4, SYN, 1, NULL, t + 1);
	seg(&C, SV4, b, RST | ACK, 0, NULL, t + 2);
	seg(&C, b, SV4, SYN, 1, NULL, t + 3);
	seg(&C, SV4, b, RST | ACK, 0, NULL, t + 4);
	/* c: established, data, responder resets -> RSTR */
	seg(&C, c, SV4, SYN, 1, NULL, t + 5);
	seg(&C, SV4, c, SYN | ACK, 9, NULL, t + 6);
	seg(&C, c, SV4, ACK | PSH, 2, "QUIT\r\n", t + 7);
	seg(&C, SV4, c, RST, 10, NULL, t + 8);
	/* d: established, both FIN -> SF; stray ACK and RST after it are
	 * absorbed (no new flow) */
	seg(&C, d, SV4, SYN, 1, NULL, t + 9);
	seg(&C, SV4, d, SYN | ACK, 9, NULL, t + 10);
	seg(&C, d, SV4, FIN | ACK, 2, NULL, t + 11);
	seg(&C, SV4, d, FIN | ACK, 10, NULL, t + 12);
	seg(&C, d, SV4, ACK, 3, NULL, t + 13);
	seg(&C, SV4, d, RST, 11, NULL, t + 14);
	/* e: established, still open at end -> S1, with a retransmission
	 * that is not counted twice */
	seg(&C, e, SV4, SYN, 100, NULL, t + 15);
	seg(&C, SV4, e, SYN | ACK, 900, NULL, t + 16);
	seg(&C, e, SV4, ACK | PSH, 101, "HELO x\r\n", t + 17);
	seg(&C, e, SV4, ACK | PSH, 101, "HELO x\r\n", t + 18);
	h_open(&h, C.d, C.n);
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_SOURCE_PORT), "40002");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_ACTION), "REJ");
	MH_CHECK_EQ_INT(h.ev.line, 2);
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_SOURCE_PORT), "40002");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_ACTION), "REJ");
	MH_CHECK_EQ_INT(h.ev.line, 4);
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_SOURCE_PORT), "40003");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_ACTION), "RSTR");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_BYTES_SENT), "6");
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_SOURCE_PORT), "40004");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_ACTION), "SF");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_BYTES_SENT), "0");
	/* end of file: the open flows, in the order they began */
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_SOURCE_PORT), "40001");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_ACTION), "S0");
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_SOURCE_PORT), "40005");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_ACTION), "S1");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_BYTES_SENT), "8");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_SERVICE), "smtp");
	MH_CHECK_EQ_INT(h_next(&h), MH_EOF);
	MH_CHECK_EQ_INT(h.r.stats.records, 6);
	MH_CHECK_EQ_INT(bad.n, 0);
	h_close(&h);
}

static void test_midstream(void)
{
	harness h;
	ep sv = ep4(192, 0, 2, 9, 143), cl = ep4(10, 0, 0, 7, 51000);

	setup();
	cap_begin(&C, FMT_CLASSIC, false, 1);
	cap_header(&C);
	/* only the server's half, starting with data: the higher port is
	 * the client */
	seg(&C, sv, cl, ACK | PSH, 7000, "* OK IMAP4rev1 ready\r\n", T0 * S);
	seg(&C, sv, cl, ACK | PSH, 7022, "a1 OK done\r\n", T0 * S + 1);
	/* a flow whose first packet is the SYN-ACK: its sender responds */
	seg(&C, ep4(10, 0, 0, 8, 80), ep4(10, 0, 0, 9, 60000), SYN | ACK, 1,
	    NULL, T0 * S + 2);
	h_open(&h, C.d, C.n);
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_SOURCE_IP), "10.0.0.7");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_SOURCE_PORT), "51000");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_DESTINATION_PORT), "143");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_BYTES_SENT), "0");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_BYTES_RECEIVED), "34");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_ACTION), "OTH");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_SERVICE), "imap");
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_SOURCE_IP), "10.0.0.9");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_DESTINATION_PORT), "80");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_ACTION), "SHR");
	MH_CHECK_EQ_INT(h_next(&h), MH_EOF);
	h_close(&h);
}

static void test_starttls_service(void)
{
	harness h;
	static const char hello[] = "\x16\x03\x01\x00\x05\x01\x00\x00\x01\x00";
	int64_t t = T0 * S;
	ep cl = ep4(10, 0, 0, 1, 49640), sv = ep4(192, 0, 2, 1, 143);

	setup();
	cap_begin(&C, FMT_CLASSIC, false, 1);
	cap_header(&C);
	seg(&C, cl, sv, SYN, 1, NULL, t);
	seg(&C, sv, cl, SYN | ACK, 1, NULL, t + 1);
	seg(&C, sv, cl, ACK | PSH, 2, "* OK ready\r\n", t + 2);
	seg(&C, cl, sv, ACK | PSH, 2, "a1 STARTTLS\r\n", t + 3);
	seg(&C, sv, cl, ACK | PSH, 14, "a1 OK go\r\n", t + 4);
	{
		uint8_t b[256];
		size_t n = mkpkt(b, 6, cl, sv, ACK | PSH, 15, hello,
				 sizeof(hello) - 1);
		cap_ip(&C, b, n, t + 5);
	}
	/* implicit TLS on 993 */
	cl.port = 49641;
	sv.port = 993;
	seg(&C, cl, sv, SYN, 1, NULL, t + 6);
	seg(&C, sv, cl, SYN | ACK, 1, NULL, t + 7);
	{
		uint8_t b[256];
		size_t n =
		    mkpkt(b, 6, cl, sv, ACK | PSH, 2, hello, sizeof(hello) - 1);
		cap_ip(&C, b, n, t + 8);
	}
	/* SMTP with STARTTLS */
	cl.port = 49642;
	sv.port = 25;
	seg(&C, cl, sv, SYN, 1, NULL, t + 9);
	seg(&C, sv, cl, SYN | ACK, 1, NULL, t + 10);
	seg(&C, sv, cl, ACK | PSH, 2, "220 mx ESMTP\r\n", t + 11);
	seg(&C, cl, sv, ACK | PSH, 2, "STARTTLS\r\n", t + 12);
	{
		uint8_t b[256];
		size_t n = mkpkt(b, 6, cl, sv, ACK | PSH, 12, hello,
				 sizeof(hello) - 1);
		cap_ip(&C, b, n, t + 13);
	}
	/* POP3 without TLS; a 220 banner that is not SMTP (FTP) */
	cl.port = 49643;
	sv.port = 110;
	seg(&C, sv, cl, ACK | PSH, 2, "+OK POP3 ready\r\n", t + 14);
	cl.port = 49644;
	sv.port = 21;
	seg(&C, sv, cl, ACK | PSH, 2, "220 FTP server ready\r\n", t + 15);
	h_open(&h, C.d, C.n);
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_SERVICE), "imap,ssl");
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_SERVICE), "ssl");
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_SERVICE), "smtp,ssl");
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_SERVICE), "pop3");
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_DESTINATION_PORT), "21");
	MH_CHECK(!mh_event_has(&h.ev, MH_F_SERVICE));
	MH_CHECK_EQ_INT(h_next(&h), MH_EOF);
	h_close(&h);
}

static void test_eviction(void)
{
	harness h;
	mh_pcap_stats st;
	int64_t t = T0 * S;

	setup();
	mh_input_pcap_set_max_flows(2);
	cap_begin(&C, FMT_CLASSIC, false, 1);
	cap_header(&C);
	seg(&C, ep4(10, 0, 0, 1, 1001), SV4, SYN, 1, NULL, t);
	seg(&C, ep4(10, 0, 0, 1, 1002), SV4, SYN, 1, NULL, t + 1);
	/* a third flow: the oldest (1001) is evicted and emitted first */
	seg(&C, ep4(10, 0, 0, 1, 1003), SV4, SYN, 1, NULL, t + 2);
	/* 1002 ends; then a fourth flow takes the ended flow's slot, so
	 * nothing live is evicted */
	seg(&C, SV4, ep4(10, 0, 0, 1, 1002), RST | ACK, 0, NULL, t + 3);
	seg(&C, ep4(10, 0, 0, 1, 1004), SV4, SYN, 1, NULL, t + 4);
	h_open(&h, C.d, C.n);
	mh_input_pcap_set_max_flows(0);
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_SOURCE_PORT), "1001");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_ACTION), "S0");
	MH_CHECK(mh_input_pcap_stats(&h.r, &st));
	MH_CHECK_EQ_INT(st.evicted, 1);
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_SOURCE_PORT), "1002");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_ACTION), "REJ");
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_SOURCE_PORT), "1003");
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_SOURCE_PORT), "1004");
	MH_CHECK_EQ_INT(h_next(&h), MH_EOF);
	MH_CHECK(mh_input_pcap_stats(&h.r, &st));
	MH_CHECK_EQ_INT(st.evicted, 1);
	MH_CHECK_EQ_INT(bad.n, 0);
	h_close(&h);
}

static void test_udp_flows(void)
{
	harness h;
	uint8_t b[256];
	size_t n;
	ep c = ep4(10, 0, 0, 1, 53000), s = ep4(10, 0, 0, 53, 53);

	setup();
	cap_begin(&C, FMT_CLASSIC, false, 1);
	cap_header(&C);
	n = mkpkt(b, 17, c, s, 0, 0, "query", 5);
	cap_ip(&C, b, n, T0 * S);
	n = mkpkt(b, 17, s, c, 0, 0, "answer!", 7);
	cap_ip(&C, b, n, T0 * S + 1);
	n = mkpkt(b, 17, c, s, 0, 0, "q2", 2);
	cap_ip(&C, b, n, T0 * S + 2);
	h_open(&h, C.d, C.n);
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_PROTOCOL), "udp");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_SOURCE_PORT), "53000");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_BYTES_SENT), "7");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_BYTES_RECEIVED), "7");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_ACTION), "SF");
	MH_CHECK_EQ_INT(h_next(&h), MH_EOF);
	h_close(&h);
}

static void test_bad_files(void)
{
	harness h;
	size_t full;

	setup();
	/* zero-length file: no events, nothing malformed */
	h_open(&h, "", 0);
	MH_CHECK_EQ_INT(h_next(&h), MH_EOF);
	MH_CHECK_EQ_INT(bad.n, 0);
	h_close(&h);

	/* not a capture (forced): one malformed, no events */
	h_open(&h, "{\"a\":1}\n", 8);
	MH_CHECK_EQ_INT(h_next(&h), MH_EOF);
	MH_CHECK_EQ_INT(bad.n, 1);
	MH_CHECK(strstr(bad.why[0], "not a pcap") != NULL);
	h_close(&h);

	/* a truncated file header */
	cap_begin(&C, FMT_CLASSIC, false, 1);
	cap_header(&C);
	h_open(&h, C.d, 20);
	MH_CHECK_EQ_INT(h_next(&h), MH_EOF);
	MH_CHECK_EQ_INT(bad.n, 1);
	h_close(&h);

	/* a partial record header and a partial packet at the end: the
	 * flow before them is kept */
	cap_begin(&C, FMT_CLASSIC, false, 1);
	cap_header(&C);
	smtp_session(&C, CL4, SV4, T0 * S);
	full = C.n;
	seg(&C, CL4, SV4, ACK, 2000, NULL, T0 * S + 9);
	h_open(&h, C.d, full + 7);
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_ACTION), "SF");
	MH_CHECK_EQ_INT(h_next(&h), MH_EOF);
	MH_CHECK_EQ_INT(bad.n, 1);
	MH_CHECK_EQ_INT(bad.line[0], 9);
	MH_CHECK(strstr(bad.why[0], "truncated record header") != NULL);
	h_close(&h);
	h_open(&h, C.d, C.n - 5);
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	MH_CHECK_EQ_INT(h_next(&h), MH_EOF);
	MH_CHECK_EQ_INT(bad.n, 1);
	MH_CHECK_EQ_INT(bad.line[0], 9);
	MH_CHECK(strstr(bad.why[0], "truncated packet") != NULL);
	h_close(&h);

	/* garbage after a valid header */
	cap_begin(&C, FMT_CLASSIC, false, 1);
	cap_header(&C);
	for (int i = 0; i < 200; i++)
		put8(&C, (uint8_t)(i * 37 + 11));
	h_open(&h, C.d, C.n);
	while (h_next(&h) == MH_OK)
		;
	MH_CHECK(bad.n >= 1);
	h_close(&h);

	/* a huge caplen: malformed, skipped, the next record is read */
	cap_begin(&C, FMT_CLASSIC, false, 1);
	cap_header(&C);
	{
		uint8_t junk[64] = {0};

		cap_record(&C, junk, sizeof(junk), 0x7fffffff, T0 * S);
	}
	h_open(&h, C.d, C.n);
	MH_CHECK_EQ_INT(h_next(&h), MH_EOF);
	MH_CHECK_EQ_INT(bad.n, 1);
	MH_CHECK_EQ_INT(bad.line[0], 1);
	MH_CHECK(strstr(bad.why[0], "exceeds the cap") != NULL);
	h_close(&h);

	/* an unsupported link type: one report for all its packets */
	cap_begin(&C, FMT_CLASSIC, false, 1);
	C.link = 105; /* 802.11 */
	cap_header(&C);
	C.link = 1;
	smtp_session(&C, CL4, SV4, T0 * S);
	h_open(&h, C.d, C.n);
	MH_CHECK_EQ_INT(h_next(&h), MH_EOF);
	MH_CHECK_EQ_INT(bad.n, 1);
	MH_CHECK(strstr(bad.why[0], "link type 105") != NULL);
	h_close(&h);

	/* pcapng: a block with a bad length ends the file, one report */
	cap_begin(&C, FMT_NG, false, 1);
	cap_header(&C);
	smtp_session(&C, CL4, SV4, T0 * S);
	full = C.n;
	put32(&C, 6);
	put32(&C, 13);
	put32(&C, 0);
	h_open(&h, C.d, C.n);
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	MH_CHECK_EQ_INT(h_next(&h), MH_EOF);
	MH_CHECK_EQ_INT(bad.n, 1);
	MH_CHECK(strstr(bad.why[0], "bad length") != NULL);
	h_close(&h);
	/* and a truncated packet block */
	h_open(&h, C.d, full - 6);
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_ACTION), "SF");
	MH_CHECK_EQ_INT(h_next(&h), MH_EOF);
	MH_CHECK_EQ_INT(bad.n, 1);
	MH_CHECK_EQ_INT(bad.line[0], 8);
	MH_CHECK(strstr(bad.why[0], "truncated pcapng block") != NULL);
	h_close(&h);
}

static void test_probe(void)
{
	static const char le[] = "\xd4\xc3\xb2\xa1\x02\x00\x04\x00";
	static const char be[] = "\xa1\xb2\xc3\xd4\x00\x02\x00\x04";
	static const char nle[] = "\x4d\x3c\xb2\xa1";
	static const char nbe[] = "\xa1\xb2\x3c\x4d";
	static const char ng[] = "\x0a\x0d\x0d\x0a\x1c\x00\x00\x00\x4d\x3c"
				 "\x2b\x1a";
	static const char ngbad[] = "\x0a\x0d\x0d\x0a\x1c\x00\x00\x00\x00"
				    "\x00\x00\x00";

	MH_CHECK_EQ_INT(mh_input_pcap.probe(le, 8), 100);
	MH_CHECK_EQ_INT(mh_input_pcap.probe(be, 8), 100);
	MH_CHECK_EQ_INT(mh_input_pcap.probe(nle, 4), 100);
	MH_CHECK_EQ_INT(mh_input_pcap.probe(nbe, 4), 100);
	MH_CHECK_EQ_INT(mh_input_pcap.probe(ng, 12), 100);
	MH_CHECK_EQ_INT(mh_input_pcap.probe(ngbad, 12), 0);
	MH_CHECK_EQ_INT(mh_input_pcap.probe(le, 3), 0);
	MH_CHECK_EQ_INT(mh_input_pcap.probe("{\"a\":1}", 7), 0);
	MH_CHECK_EQ_INT(mh_input_pcap.probe("#separator \\x09\n", 16), 0);
	MH_CHECK(mh_reader_detect(le, 8) == &mh_input_pcap);
	MH_CHECK(mh_reader_find("pcap") == &mh_input_pcap);
}

/* Hand-cut robustness inputs (tests/data/pcap/regress/, see
 * tests/data/SOURCES.md): a second pcapng section without an interface
 * then a bad section header; 300 bytes of 0xff between records of a
 * classic file. Each reads to the end: the flow before the damage is
 * kept, the damage is counted. */
static void test_regress_files(void)
{
	static const char *const files[] = {
	    "tests/data/pcap/regress/ng-idb-after-packets.pcapng",
	    "tests/data/pcap/regress/classic-garbage.pcap",
	};
	static const int want_bad[] = {2, 1};

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		FILE *f = fopen(files[i], "rb");
		static uint8_t buf[1 << 20];
		size_t n;
		harness h;
		mh_rc rc;
		int guard = 0;

		MH_CHECK(f != NULL);
		if (!f)
			continue;
		n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		h_open(&h, buf, n);
		while ((rc = h_next(&h)) == MH_OK && guard++ < 100000)
			;
		MH_CHECK_EQ_INT(rc, MH_EOF);
		MH_CHECK_EQ_INT(h.r.stats.records, 1);
		MH_CHECK_EQ_INT(h.r.stats.malformed, want_bad[i]);
		h_close(&h);
	}
}

int main(void)
{
	MH_RUN(test_classic_le_be);
	MH_RUN(test_classic_nano);
	MH_RUN(test_pcapng_tsresol);
	MH_RUN(test_pcapng_simple_packets);
	MH_RUN(test_vlan_and_cooked);
	MH_RUN(test_ipv6_ext_headers);
	MH_RUN(test_truncated_packet);
	MH_RUN(test_ipv4_fragment);
	MH_RUN(test_outcomes);
	MH_RUN(test_midstream);
	MH_RUN(test_starttls_service);
	MH_RUN(test_eviction);
	MH_RUN(test_udp_flows);
	MH_RUN(test_bad_files);
	MH_RUN(test_probe);
	MH_RUN(test_regress_files);
	MH_DONE();
}
