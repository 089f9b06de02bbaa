/* Cisco ASA / FTD syslog (one message per line).
 *
 * Header: anything a syslog relay or the ASA itself writes before the
 * "%ASA-" (or "%FTD-", "%PIX-") tag, parsed by mh_syslog_hdr_parse:
 * priority, "Mon DD [YYYY] HH:MM:SS[ TZ]", an optional host, colons.
 * Tag: "%ASA-[facility-]LEVEL-MSGID" followed by ':' (sometimes missing).
 *
 * Decoded messages (other ids are events with only the header fields):
 *  - 302013/302015 "Built {inbound|outbound} {TCP|UDP} connection ID for
 *    IF:ADDR/PORT (MAPPED) to IF:ADDR/PORT (MAPPED)". The address after
 *    "for" is the foreign side: for "inbound" it is the initiator, for
 *    "outbound" the responder. SourceIp/Port is always the initiator,
 *    DestinationIp/Port the responder. EventDirection = inbound/outbound.
 *  - 302014/302016 "Teardown ... for IF:A/P to IF:A/P duration D bytes
 *    N": there is no direction word, so the endpoints are taken in the
 *    written order (first = Source). N is the TOTAL of both directions;
 *    it is stored in BytesSent (an upper bound of what the initiator
 *    sent) and BytesReceived stays unset.
 *  - 106100 "access-list ACL {permitted|denied|est-allowed} PROTO
 *    IF/ADDR(PORT) -> IF/ADDR(PORT)".
 *  - 106023 "Deny PROTO src IF:ADDR[/PORT] dst IF:ADDR[/PORT] ... by
 *    access-group ...".
 * Action is the verb as written ("built", "teardown" lower-cased;
 * "permitted"/"denied"/"est-allowed"/"Deny" verbatim); normalisation maps
 * the verdicts to Outcome. A non-IP address (an object name) goes to
 * Source/DestinationHostname. A trailing "(user)" sets User.
 * A line without the tag, or a decoded id whose body does not parse
 * (e.g. truncated), is malformed. Times without a zone are UTC. */
#include "input/input.h"
#include "input/syslog_hdr.h"
#include "util/ip.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct asa_ep {
	mh_str ip, port, user;
} asa_ep;

static bool dig(char c)
{
	return c >= '0' && c <= '9';
}

/* Offset of the "%ASA-"-style tag in p[0..n), or n. */
static size_t find_tag(const char *p, size_t n, size_t *taglen)
{
	static const char *const tags[] = {"%ASA-", "%FTD-", "%PIX-", "%FWSM-"};
	const char *q = p, *e = p + n;

	while (q < e && (q = memchr(q, '%', (size_t)(e - q))) != NULL) {
		for (size_t i = 0; i < MH_ARRAY_LEN(tags); i++) {
			size_t k = strlen(tags[i]);

			if ((size_t)(e - q) >= k &&
			    memcmp(q, tags[i], k) == 0) {
				*taglen = k;
				return (size_t)(q - p);
			}
		}
		q++;
	}
	return n;
}

/* Parse "[facility-]LEVEL-MSGID[:]" at p; sets *id and returns the
 * offset of the message body, or 0 if the tag is malformed. */
static size_t parse_tag(const char *p, size_t n, mh_str *id)
{
	size_t e = 0, i;

	while (e < n && p[e] != ':' && p[e] != ' ')
		e++;
	/* MSGID: six digits after the last '-'; LEVEL: one digit before. */
	i = e;
	while (i > 0 && dig(p[i - 1]))
		i--;
	if (e - i != 6 || i < 2 || p[i - 1] != '-' || !dig(p[i - 2]) ||
	    (i > 2 && p[i - 3] != '-'))
		return 0;
	*id = (mh_str){p + i, 6};
	if (e < n && p[e] == ':')
		e++;
	while (e < n && p[e] == ' ')
		e++;
	return e ? e : 0;
}

static bool starts(const char *p, size_t n, const char *lit)
{
	size_t k = strlen(lit);

	return n >= k && memcmp(p, lit, k) == 0;
}

/* ADDR then sep then PORT digits: "10.0.0.1/25", "fe80::1/0",
 * "name/80". For sep '(' the port ends with ')'. The address ends at the
 * LAST sep before the next blank (IPv6 has no '/' or '('). Returns bytes
 * used or 0. */
static size_t parse_addr_port(const char *p, size_t n, char sep, asa_ep *ep,
			      bool port_optional)
{
	size_t e = 0, s = 0, i;

	while (e < n && p[e] != ' ' && p[e] != ',')
		e++;
	for (i = 0; i < e; i++)
		if (p[i] == sep) {
			s = i;
			break;
		}
	if (i == e) {
		if (!port_optional || e == 0)
			return 0;
		ep->ip = (mh_str){p, e};
		ep->port = (mh_str){NULL, 0};
		return e;
	}
	if (s == 0)
		return 0;
	ep->ip = (mh_str){p, s};
	i = s + 1;
	while (i < e && dig(p[i]))
		i++;
	if (i == s + 1)
		return 0;
	ep->port = (mh_str){p + s + 1, i - s - 1};
	if (sep == '(') {
		if (i >= e || p[i] != ')')
			return 0;
		i++;
	}
	return i;
}

/* "IF<c>ADDR..." : skip the interface name up to the first c. */
static size_t skip_if(const char *p, size_t n, char c)
{
	for (size_t i = 0; i < n && p[i] != ' '; i++)
		if (p[i] == c)
			return i + 1;
	return 0;
}

/* "(user)" directly at p (after optional blank), not an address. */
static void opt_user(const char *p, size_t n, mh_str *u)
{
	size_t i = 0, e;

	while (i < n && p[i] == ' ')
		i++;
	if (i >= n || p[i] != '(')
		return;
	e = i + 1;
	while (e < n && p[e] != ')')
		e++;
	if (e >= n || e == i + 1 || memchr(p + i + 1, '/', e - i - 1))
		return;
	*u = (mh_str){p + i + 1, e - i - 1};
}

static void set_ep(mh_event *ev, const asa_ep *ep, bool src)
{
	mh_ip ip;

	if (ep->ip.n) {
		if (mh_ip_parse(ep->ip.p, ep->ip.n, &ip))
			mh_event_set(ev,
				     src ? MH_F_SOURCE_IP : MH_F_DESTINATION_IP,
				     ep->ip.p, ep->ip.n);
		else
			mh_event_set(ev,
				     src ? MH_F_SOURCE_HOSTNAME
					 : MH_F_DESTINATION_HOSTNAME,
				     ep->ip.p, ep->ip.n);
	}
	if (ep->port.n)
		mh_event_set(ev, src ? MH_F_SOURCE_PORT : MH_F_DESTINATION_PORT,
			     ep->port.p, ep->port.n);
}

static void set_lit(mh_event *ev, mh_field f, const char *lit)
{
	mh_event_set(ev, f, lit, strlen(lit));
}

static void set_proto(mh_event *ev, const char *p, size_t n)
{
	if (mh_syslog_ieq(p, n, "tcp"))
		set_lit(ev, MH_F_PROTOCOL, "tcp");
	else if (mh_syslog_ieq(p, n, "udp"))
		set_lit(ev, MH_F_PROTOCOL, "udp");
	else if (n)
		mh_event_set(ev, MH_F_PROTOCOL, p, n);
}

/* The last " (user)" of the line, if it is not an address. */
static void trailing_user(const char *p, size_t n, mh_str *u)
{
	size_t i;

	if (n < 3 || p[n - 1] != ')')
		return;
	for (i = n - 1; i-- > 0;)
		if (p[i] == '(' || p[i] == ')')
			break;
	if (i == (size_t)-1 || p[i] != '(' || i == 0 || p[i - 1] != ' ')
		return;
	opt_user(p + i, n - i, u);
}

/* 302013/302015 (built) and 302014/302016 (teardown). */
static bool conn_msg(mh_event *ev, const char *p, size_t n, bool built)
{
	asa_ep a = {0}, b = {0};
	size_t i = 0, k;
	int dir = 0; /* 1 inbound, 2 outbound */
	mh_str u = {0};

	if (built) {
		if (!starts(p, n, "Built "))
			return false;
		i = 6;
		if (starts(p + i, n - i, "inbound ")) {
			dir = 1;
			i += 8;
		} else if (starts(p + i, n - i, "outbound ")) {
			dir = 2;
			i += 9;
		} else {
			return false;
		}
		set_lit(ev, MH_F_ACTION, "built");
	} else {
		if (!starts(p, n, "Teardown "))
			return false;
		i = 9;
		set_lit(ev, MH_F_ACTION, "teardown");
	}
	k = i;
	while (i < n && p[i] != ' ')
		i++;
	set_proto(ev, p + k, i - k);
	k = mh_syslog_find(p + i, n - i, " for ", 5);
	if (k == n - i)
		return false;
	i += k + 5;
	if (!(k = skip_if(p + i, n - i, ':')))
		return false;
	i += k;
	if (!(k = parse_addr_port(p + i, n - i, '/', &a, false)))
		return false;
	i += k;
	k = mh_syslog_find(p + i, n - i, " to ", 4);
	if (k == n - i)
		return false;
	i += k + 4;
	if (!(k = skip_if(p + i, n - i, ':')))
		return false;
	i += k;
	if (!(k = parse_addr_port(p + i, n - i, '/', &b, false)))
		return false;
	i += k;
	if (dir == 2) {
		set_ep(ev, &b, true);
		set_ep(ev, &a, false);
		set_lit(ev, MH_F_EVENT_DIRECTION, "outbound");
	} else {
		set_ep(ev, &a, true);
		set_ep(ev, &b, false);
		if (dir == 1)
			set_lit(ev, MH_F_EVENT_DIRECTION, "inbound");
	}
	if (!built) {
		k = mh_syslog_find(p + i, n - i, " bytes ", 7);
		if (k < n - i) {
			size_t s = i + k + 7, e = s;

			while (e < n && dig(p[e]))
				e++;
			if (e > s)
				mh_event_set(ev, MH_F_BYTES_SENT, p + s, e - s);
		}
	}
	trailing_user(p + i, n - i, &u);
	if (u.n)
		mh_event_set(ev, MH_F_USER, u.p, u.n);
	return true;
}

/* 106100: access-list ACL VERB PROTO IF/ADDR(PORT) -> IF/ADDR(PORT) */
static bool acl_msg(mh_event *ev, const char *p, size_t n)
{
	asa_ep a = {0}, b = {0};
	size_t i = 0, s, k;

	if (!starts(p, n, "access-list "))
		return false;
	i = 12;
	while (i < n && p[i] != ' ')
		i++; /* ACL name */
	if (i >= n)
		return false;
	s = ++i;
	while (i < n && p[i] != ' ')
		i++;
	if (i == s || i >= n)
		return false;
	mh_event_set(ev, MH_F_ACTION, p + s, i - s);
	s = ++i;
	while (i < n && p[i] != ' ')
		i++;
	if (i == s || i >= n)
		return false;
	set_proto(ev, p + s, i - s);
	i++;
	if (!(k = skip_if(p + i, n - i, '/')))
		return false;
	i += k;
	if (!(k = parse_addr_port(p + i, n - i, '(', &a, false)))
		return false;
	i += k;
	k = mh_syslog_find(p + i, n - i, " -> ", 4);
	if (k == n - i)
		return false;
	i += k + 4;
	if (!(k = skip_if(p + i, n - i, '/')))
		return false;
	i += k;
	if (!(k = parse_addr_port(p + i, n - i, '(', &b, false)))
		return false;
	set_ep(ev, &a, true);
	set_ep(ev, &b, false);
	return true;
}

/* 106023: Deny PROTO src IF:ADDR[/PORT] dst IF:ADDR[/PORT] ... */
static bool deny_msg(mh_event *ev, const char *p, size_t n)
{
	asa_ep a = {0}, b = {0};
	size_t i, s, k;

	if (!starts(p, n, "Deny "))
		return false;
	mh_event_set(ev, MH_F_ACTION, p, 4);
	s = i = 5;
	while (i < n && p[i] != ' ')
		i++;
	if (i == s)
		return false;
	set_proto(ev, p + s, i - s);
	if (!starts(p + i, n - i, " src "))
		return false;
	i += 5;
	if (!(k = skip_if(p + i, n - i, ':')))
		return false;
	i += k;
	if (!(k = parse_addr_port(p + i, n - i, '/', &a, true)))
		return false;
	i += k;
	if (!starts(p + i, n - i, " dst "))
		return false;
	i += 5;
	if (!(k = skip_if(p + i, n - i, ':')))
		return false;
	i += k;
	if (!(k = parse_addr_port(p + i, n - i, '/', &b, true)))
		return false;
	set_ep(ev, &a, true);
	set_ep(ev, &b, false);
	return true;
}

/* Fill ev from one line. Returns NULL or the reason it is malformed. */
static const char *asa_line(mh_event *ev, const char *p, size_t n)
{
	size_t t, tl = 0, b;
	mh_syslog_hdr h;
	mh_str id;
	const char *body;
	size_t bn;
	bool ok = true;

	t = find_tag(p, n, &tl);
	if (t == n)
		return "not a Cisco ASA/FTD message (no %ASA- tag)";
	b = parse_tag(p + t + tl, n - t - tl, &id);
	if (!b)
		return "bad %ASA- message tag (want %ASA-LEVEL-MSGID)";
	body = p + t + tl + b;
	bn = n - t - tl - b;
	mh_syslog_hdr_parse(p, t, &h);
	if (h.has_time) {
		ev->time_ns = h.time_ns;
		mh_event_set(ev, MH_F_TIME, h.ts.p, h.ts.n);
	}
	if (h.host.n)
		mh_event_set(ev, MH_F_HOST, h.host.p, h.host.n);
	mh_event_set(ev, MH_F_EVENT_ID, id.p, id.n);
	mh_event_set(ev, MH_F_PROVIDER, p + t + 1, tl - 2);
	set_lit(ev, MH_F_DIALECT, "asa");
	if (memcmp(id.p, "30201", 5) == 0 && (id.p[5] >= '3' && id.p[5] <= '6'))
		ok = conn_msg(ev, body, bn, id.p[5] == '3' || id.p[5] == '5');
	else if (memcmp(id.p, "106100", 6) == 0)
		ok = acl_msg(ev, body, bn);
	else if (memcmp(id.p, "106023", 6) == 0)
		ok = deny_msg(ev, body, bn);
	return ok ? NULL : "cannot parse the message body";
}

static mh_rc asa_open(mh_reader *r, mh_err *err)
{
	MH_UNUSED(err);
	snprintf(r->dialect, sizeof(r->dialect), "asa");
	return MH_OK;
}

static mh_rc asa_next(mh_reader *r, mh_event *ev, mh_err *err)
{
	for (;;) {
		const char *why;
		uint64_t ln = 0;
		mh_str line;
		mh_rc rc = mh_syslog_next_line(r, &line, &ln, err);

		if (rc != MH_OK)
			return rc;
		mh_event_clear(ev);
		if (ev->arena)
			mh_arena_reset(ev->arena);
		ev->file = mh_source_name(r->src);
		ev->line = ln;
		why = asa_line(ev, line.p, line.n);
		if (why) {
			mh_reader_malformed(r, ln, "%s", why);
			continue;
		}
		r->stats.records++;
		return MH_OK;
	}
}

static void asa_close(mh_reader *r)
{
	MH_UNUSED(r);
}

/* The first non-blank line carries a well-formed %ASA-/%FTD- tag. */
static int asa_probe(const char *buf, size_t len)
{
	size_t t, tl = 0;
	mh_str l, id;

	if (!mh_syslog_first_line(buf, len, &l) || l.p[0] == '{' ||
	    l.p[0] == '[')
		return 0;
	t = find_tag(l.p, l.n, &tl);
	if (t == l.n || !parse_tag(l.p + t + tl, l.n - t - tl, &id))
		return 0;
	return 95;
}

const mh_reader_ops mh_input_asa = {
    .name = "asa",
    .desc = "Cisco ASA/FTD syslog (302013-302016, 106100, 106023)",
    .probe = asa_probe,
    .open = asa_open,
    .next = asa_next,
    .close = asa_close,
};
