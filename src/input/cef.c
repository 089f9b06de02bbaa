/* ArcSight CEF and IBM QRadar LEEF (one event per line, optionally
 * after a syslog header, which may itself follow relay text).
 *
 * CEF: "CEF:Version|Device Vendor|Device Product|Device Version|
 * Signature ID|Name|Severity|Extension". Header fields may hold "\|"
 * and "\\". The extension is "key=value" pairs separated by spaces; a
 * value may hold spaces and ends where the next " key=" begins (key =
 * letters, digits, '_', '.', '-', '[', ']'); "\=", "\\", "\n", "\r" and
 * "\|" are unescaped (into ev->arena; any other "\x" is kept as is, as
 * real emitters write Windows paths unescaped). Trailing blanks of a
 * value are dropped and an empty value leaves the field unset.
 * Mapped keys (short and long forms): src/c6a2 -> SourceIp, dst/c6a3 ->
 * DestinationIp, spt, dpt, proto, act -> Action, suser -> User,
 * sproc (then deviceProcessName, then dproc) -> ProcessName, spid/dvcpid
 * -> ProcessId, out -> BytesSent, in -> BytesReceived, shost, dhost,
 * app -> Service, dvchost -> Computer, requestClientApplication ->
 * UserAgent, rt (then start, then end) -> EventTime (epoch ms or
 * "MMM dd [yyyy] HH:mm:ss[.SSS][ zone]" or ISO 8601), deviceDirection
 * 0/1 -> EventDirection "inbound"/"outbound" (translated here, so the
 * normaliser's direction words apply). csN/cnN/c6aN with a csNLabel that
 * names a canonical field or alias set that field; other labels are
 * ignored. Header: Provider_Name = Device Vendor, EventID = Signature ID
 * when it is an integer. Missing fields come from the syslog header
 * (Computer, EventTime).
 *
 * LEEF 1.0: "LEEF:1.0|Vendor|Product|Version|EventID|" then tab-separated
 * "key=value". LEEF 2.0 adds a delimiter field after EventID: one
 * character, or its hex code "x5E"/"0x09"; empty = tab. Keys: src,
 * identSrc (lower priority) -> SourceIp, dst, srcPort, dstPort, proto,
 * usrName -> User, devTime (with devTimeFormat, a Java SimpleDateFormat
 * pattern; without it epoch ms or "MMM dd yyyy HH:mm:ss") -> EventTime,
 * cat -> EventCategory, srcBytes -> BytesSent, dstBytes -> BytesReceived,
 * action -> Action. sev has no canonical field and is not kept.
 *
 * Malformed: no "CEF:"/"LEEF:" marker, a header with too few '|'. The
 * Dialect field is "cef" or "leef". */
#include "input/input.h"
#include "input/syslog_hdr.h"
#include "util/timefmt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NS 1000000000LL

enum kind {
	K_PLAIN,
	K_TIME,
	K_DIR,
	K_CS,	    /* csN / cnN / c6aN value, slot in .slot */
	K_CS_LABEL, /* its label */
	K_FMT,	    /* LEEF devTimeFormat */
};

typedef struct ext_key {
	const char *k;
	uint8_t kn; /* strlen(k) */
	mh_field f;
	uint8_t prio;
	uint8_t kind;
	uint8_t slot;
} ext_key;

/* clang-format off */
#define KEY(key, fld, pr, kd, sl) \
	{(key), sizeof(key) - 1, (fld), (pr), (kd), (sl)}
#define P(key, fld, pr) KEY(key, MH_F_##fld, pr, K_PLAIN, 0)
#define T(key, pr) KEY(key, MH_F_TIME, pr, K_TIME, 0)
#define CS(key, s) KEY(key, MH_F_NONE, 0, K_CS, s)
#define CL(key, s) KEY(key, MH_F_NONE, 0, K_CS_LABEL, s)
/* clang-format on */

static const ext_key cef_keys[] = {
    P("src", SOURCE_IP, 0),
    P("sourceAddress", SOURCE_IP, 0),
    P("c6a2", SOURCE_IP, 1),
    P("sourceTranslatedAddress", SOURCE_IP, 9),
    P("dst", DESTINATION_IP, 0),
    P("destinationAddress", DESTINATION_IP, 0),
    P("c6a3", DESTINATION_IP, 1),
    P("spt", SOURCE_PORT, 0),
    P("sourcePort", SOURCE_PORT, 0),
    P("dpt", DESTINATION_PORT, 0),
    P("destinationPort", DESTINATION_PORT, 0),
    P("proto", PROTOCOL, 0),
    P("transportProtocol", PROTOCOL, 0),
    P("act", ACTION, 0),
    P("deviceAction", ACTION, 0),
    P("suser", USER, 0),
    P("sourceUserName", USER, 0),
    P("sproc", PROCESS_NAME, 0),
    P("sourceProcessName", PROCESS_NAME, 0),
    P("deviceProcessName", PROCESS_NAME, 1),
    P("dproc", PROCESS_NAME, 2),
    P("destinationProcessName", PROCESS_NAME, 2),
    P("spid", PROCESS_ID, 0),
    P("sourceProcessId", PROCESS_ID, 0),
    P("dvcpid", PROCESS_ID, 1),
    P("deviceProcessId", PROCESS_ID, 1),
    P("out", BYTES_SENT, 0),
    P("bytesOut", BYTES_SENT, 0),
    P("in", BYTES_RECEIVED, 0),
    P("bytesIn", BYTES_RECEIVED, 0),
    P("shost", SOURCE_HOSTNAME, 0),
    P("sourceHostName", SOURCE_HOSTNAME, 0),
    P("dhost", DESTINATION_HOSTNAME, 0),
    P("destinationHostName", DESTINATION_HOSTNAME, 0),
    P("app", SERVICE, 0),
    P("applicationProtocol", SERVICE, 0),
    P("dvchost", HOST, 0),
    P("deviceHostName", HOST, 0),
    P("requestClientApplication", USER_AGENT, 0),
    T("rt", 0),
    T("receiptTime", 0),
    T("start", 1),
    T("startTime", 1),
    T("end", 2),
    T("endTime", 2),
    KEY("deviceDirection", MH_F_EVENT_DIRECTION, 0, K_DIR, 0),
    CS("cs1", 0),
    CS("cs2", 1),
    CS("cs3", 2),
    CS("cs4", 3),
    CS("cs5", 4),
    CS("cs6", 5),
    CS("cn1", 6),
    CS("cn2", 7),
    CS("cn3", 8),
    CS("c6a1", 9),
    CS("c6a4", 10),
    CL("cs1Label", 0),
    CL("cs2Label", 1),
    CL("cs3Label", 2),
    CL("cs4Label", 3),
    CL("cs5Label", 4),
    CL("cs6Label", 5),
    CL("cn1Label", 6),
    CL("cn2Label", 7),
    CL("cn3Label", 8),
    CL("c6a1Label", 9),
    CL("c6a4Label", 10),
};

static const ext_key leef_keys[] = {
    P("src", SOURCE_IP, 0),
    P("identSrc", SOURCE_IP, 2),
    P("dst", DESTINATION_IP, 0),
    P("srcPort", SOURCE_PORT, 0),
    P("dstPort", DESTINATION_PORT, 0),
    P("proto", PROTOCOL, 0),
    P("usrName", USER, 0),
    P("cat", EVENT_CATEGORY, 0),
    P("srcBytes", BYTES_SENT, 0),
    P("dstBytes", BYTES_RECEIVED, 0),
    P("action", ACTION, 0),
    T("devTime", 0),
    KEY("devTimeFormat", MH_F_NONE, 0, K_FMT, 0),
};

#define NSLOTS	 11
#define HDR_PRIO 20 /* syslog header values lose to the record's own */
#define CS_PRIO	 10

typedef struct cef_priv {
	uint8_t prio[MH_F__COUNT];
	bool seen_cef, seen_leef;
} cef_priv;

typedef struct rec_ctx {
	mh_event *ev;
	cef_priv *pv;
	mh_str slot[NSLOTS], label[NSLOTS];
	mh_str devtime, devfmt;
	bool nomem;
} rec_ctx;

static bool dig(char c)
{
	return c >= '0' && c <= '9';
}

static bool key_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || dig(c) ||
	       c == '_' || c == '.' || c == '-' || c == '[' || c == ']';
}

static void put(rec_ctx *c, mh_field f, uint8_t prio, const char *p, size_t n)
{
	if (n == 0)
		return;
	if (mh_event_has(c->ev, f) && c->pv->prio[f] <= prio)
		return;
	mh_event_set(c->ev, f, p, n);
	c->pv->prio[f] = prio;
}

/* Un-escape a CEF value (header or extension) into the arena. */
static bool unescape(rec_ctx *c, const char *p, size_t n, mh_str *out)
{
	char *o;
	size_t k = 0;

	if (!memchr(p, '\\', n) || !c->ev->arena) {
		*out = (mh_str){p, n};
		return true;
	}
	o = mh_arena_alloc(c->ev->arena, n + 1);
	if (!o) {
		c->nomem = true;
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\\' && i + 1 < n) {
			char e = p[i + 1];

			if (e == '\\' || e == '=' || e == '|') {
				o[k++] = e;
				i++;
				continue;
			}
			if (e == 'n' || e == 'r') {
				o[k++] = e == 'n' ? '\n' : '\r';
				i++;
				continue;
			}
		}
		o[k++] = p[i];
	}
	o[k] = '\0';
	*out = (mh_str){o, k};
	return true;
}

/* A CEF/LEEF time value: epoch ms, BSD-style or ISO 8601. */
static bool any_time(const char *p, size_t n, int64_t *ns)
{
	size_t used, i = 0;

	while (i < n && dig(p[i]))
		i++;
	if (i == n && n >= 10) {
		/* all digits: epoch ms (>= 1e11) or s */
		return mh_time_parse(p, n, ns);
	}
	if (mh_syslog_bsd_time(p, n, &used, ns) && used == n)
		return true;
	return mh_time_parse(p, n, ns);
}

static void put_time(rec_ctx *c, uint8_t prio, const char *p, size_t n)
{
	int64_t ns;

	if (n == 0 ||
	    (mh_event_has(c->ev, MH_F_TIME) && c->pv->prio[MH_F_TIME] <= prio))
		return;
	if (!any_time(p, n, &ns))
		return;
	c->ev->time_ns = ns;
	mh_event_set(c->ev, MH_F_TIME, p, n);
	c->pv->prio[MH_F_TIME] = prio;
}

static const ext_key *lookup(const ext_key *t, size_t nt, const char *k,
			     size_t kn)
{
	for (size_t i = 0; i < nt; i++)
		if (t[i].kn == kn && t[i].k[0] == k[0] &&
		    memcmp(t[i].k, k, kn) == 0)
			return &t[i];
	return NULL;
}

static void apply(rec_ctx *c, const ext_key *e, const char *v, size_t vn,
		  bool esc)
{
	mh_str s = {v, vn};

	if (esc && !unescape(c, v, vn, &s))
		return;
	switch (e->kind) {
	case K_PLAIN:
		put(c, e->f, e->prio, s.p, s.n);
		break;
	case K_TIME:
		put_time(c, e->prio, s.p, s.n);
		break;
	case K_DIR:
		if (s.n == 1 && s.p[0] == '0')
			put(c, e->f, 0, "inbound", 7);
		else if (s.n == 1 && s.p[0] == '1')
			put(c, e->f, 0, "outbound", 8);
		break;
	case K_CS:
		c->slot[e->slot] = s;
		break;
	case K_CS_LABEL:
		c->label[e->slot] = s;
		break;
	case K_FMT:
		c->devfmt = s;
		break;
	}
}

/* Offset of the key that starts at p[i] (followed by '='), or 0. */
static size_t key_at(const char *p, size_t n, size_t i)
{
	size_t j = i;

	while (j < n && key_char(p[j]))
		j++;
	return j > i && j < n && p[j] == '=' ? j - i : 0;
}

/* CEF extension: space-separated key=value, values may hold spaces. */
static void cef_ext(rec_ctx *c, const char *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t kl, v, j, e;
		bool esc = false;
		const ext_key *k;

		while (i < n && p[i] == ' ')
			i++;
		if (i >= n)
			break;
		kl = key_at(p, n, i);
		if (!kl) {
			/* junk without '=': skip one token */
			while (i < n && p[i] != ' ')
				i++;
			continue;
		}
		v = j = i + kl + 1;
		while (j < n) {
			if (p[j] == '\\') {
				esc = true;
				j += 2;
				continue;
			}
			if (p[j] == ' ' && key_at(p, n, j + 1))
				break;
			j++;
		}
		if (j > n)
			j = n;
		e = j;
		while (e > v && (p[e - 1] == ' ' || p[e - 1] == '\t'))
			e--;
		k = lookup(cef_keys, MH_ARRAY_LEN(cef_keys), p + i, kl);
		if (k)
			apply(c, k, p + v, e - v, esc);
		if (c->nomem)
			return;
		i = j;
	}
}

/* csN labels naming a canonical field or alias. */
static void cef_labels(rec_ctx *c)
{
	for (int s = 0; s < NSLOTS; s++) {
		mh_field f;

		if (!c->slot[s].n || !c->label[s].n)
			continue;
		f = mh_field_lookup(c->label[s].p, c->label[s].n);
		if (f == MH_F_NONE || f == MH_F_TIME || f == MH_F_DIALECT)
			continue;
		put(c, f, CS_PRIO, c->slot[s].p, c->slot[s].n);
	}
}

/* Split a '|' header with "\|" escapes: n fields into f[]; returns the
 * offset just past the last '|' consumed, or 0 if there are fewer. */
static size_t header_fields(const char *p, size_t n, mh_str *f, size_t nf,
			    bool *esc)
{
	size_t i = 0;

	*esc = false;
	for (size_t k = 0; k < nf; k++) {
		size_t s = i;

		while (i < n && p[i] != '|') {
			if (p[i] == '\\' && i + 1 < n) {
				*esc = true;
				i++;
			}
			i++;
		}
		if (i >= n)
			return 0;
		f[k] = (mh_str){p + s, i - s};
		i++;
	}
	return i;
}

/* --- LEEF devTimeFormat (Java SimpleDateFormat subset) ------------------ */

static bool fmt_num(const char *v, size_t n, size_t *i, unsigned w, bool fixed,
		    unsigned *out)
{
	unsigned x = 0, k = 0, max = fixed ? w : (w > 2 ? w : 9);

	while (*i < n && dig(v[*i]) && k < max) {
		x = x * 10 + (unsigned)(v[*i] - '0');
		(*i)++;
		k++;
	}
	*out = x;
	return k > 0 && (!fixed || k == w);
}

/* Parse v with a SimpleDateFormat pattern: y M d H h m s S a z Z X E,
 * quoted literals; other pattern characters must match. */
static bool fmt_time(const char *f, size_t fn, const char *v, size_t n,
		     int64_t *ns)
{
	unsigned y = 1970, mo = 1, d = 1, hh = 0, mi = 0, ss = 0, x;
	int64_t frac = 0;
	int zmin = 0;
	bool pm = false, twelve = false;
	size_t i = 0, j = 0;

	while (j < fn) {
		char ch = f[j];
		size_t run = 1;

		if (ch == '\'') {
			j++;
			while (j < fn && f[j] != '\'') {
				if (i >= n || v[i] != f[j])
					return false;
				i++;
				j++;
			}
			j++;
			continue;
		}
		while (j + run < fn && f[j + run] == ch)
			run++;
		j += run;
		switch (ch) {
		case 'y':
			if (!fmt_num(v, n, &i, run == 2 ? 2 : 4, run == 2, &x))
				return false;
			y = run == 2 ? 2000 + x : x;
			break;
		case 'M':
			if (run >= 3) {
				static const char *const m =
				    "janfebmaraprmayjunjulaugsepoctnovdec";
				unsigned k;

				if (n - i < 3)
					return false;
				for (k = 0; k < 12; k++) {
					const char *q = m + 3 * k;
					char a = (char)(v[i] | 0x20),
					     b = (char)(v[i + 1] | 0x20),
					     e = (char)(v[i + 2] | 0x20);
					if (a == q[0] && b == q[1] && e == q[2])
						break;
				}
				if (k == 12)
					return false;
				mo = k + 1;
				i += 3;
				while (i < n && ((v[i] | 0x20) >= 'a' &&
						 (v[i] | 0x20) <= 'z'))
					i++;
			} else if (!fmt_num(v, n, &i, run, run == 2, &mo)) {
				return false;
			}
			break;
		case 'd':
			if (!fmt_num(v, n, &i, run, run == 2, &d))
				return false;
			break;
		case 'H':
		case 'h':
			if (!fmt_num(v, n, &i, run, run == 2, &hh))
				return false;
			twelve = ch == 'h';
			break;
		case 'm':
			if (!fmt_num(v, n, &i, run, run == 2, &mi))
				return false;
			break;
		case 's':
			if (!fmt_num(v, n, &i, run, run == 2, &ss))
				return false;
			break;
		case 'S': {
			int64_t sc = NS;
			size_t k = 0;

			while (i < n && dig(v[i]) && k < run) {
				sc /= 10;
				frac += (v[i] - '0') * sc;
				i++;
				k++;
			}
			if (!k)
				return false;
			break;
		}
		case 'a':
			if (n - i < 2)
				return false;
			pm = (v[i] | 0x20) == 'p';
			i += 2;
			break;
		case 'E':
			while (i < n &&
			       ((v[i] | 0x20) >= 'a' && (v[i] | 0x20) <= 'z'))
				i++;
			break;
		case 'z':
		case 'Z':
		case 'X':
			if (i < n && (v[i] == '+' || v[i] == '-')) {
				unsigned zh, zm = 0;
				bool neg = v[i] == '-';

				i++;
				if (!fmt_num(v, n, &i, 2, true, &zh))
					return false;
				if (i < n && v[i] == ':')
					i++;
				if (i < n && dig(v[i]) &&
				    !fmt_num(v, n, &i, 2, true, &zm))
					return false;
				zmin = (int)(zh * 60 + zm);
				if (neg)
					zmin = -zmin;
			} else {
				/* Z, UTC, GMT, or an abbreviation (as UTC) */
				while (i < n && ((v[i] >= 'A' && v[i] <= 'Z') ||
						 (v[i] >= 'a' && v[i] <= 'z')))
					i++;
			}
			break;
		default:
			for (size_t k = 0; k < run; k++) {
				if (i >= n || v[i] != ch)
					return false;
				i++;
			}
		}
	}
	if (i != n)
		return false;
	if (twelve) {
		if (hh == 12)
			hh = 0;
		if (pm)
			hh += 12;
	}
	if (y < 1678 || y > 2261 || mo < 1 || mo > 12 || d < 1 || d > 31 ||
	    hh > 23 || mi > 59 || ss > 60)
		return false;
	*ns = (mh_days_from_civil(y, mo, d) * 86400 + hh * 3600 + mi * 60 + ss -
	       (int64_t)zmin * 60) *
		  NS +
	      frac;
	return true;
}

static unsigned hexv(char c)
{
	if (dig(c))
		return (unsigned)(c - '0');
	c = (char)(c | 0x20);
	return c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10) : 16;
}

/* LEEF 2.0 delimiter field: "^", "x5E", "0x09", "\t" or empty. */
static bool leef_delim(const mh_str *f, char *d)
{
	size_t i = 0;
	unsigned v = 0;

	if (f->n == 0) {
		*d = '\t';
		return true;
	}
	if (f->n == 1) {
		*d = f->p[0];
		return true;
	}
	if (f->n == 2 && f->p[0] == '\\' && f->p[1] == 't') {
		*d = '\t';
		return true;
	}
	if (f->n >= 3 && f->p[0] == '0' && (f->p[1] | 0x20) == 'x')
		i = 2;
	else if ((f->p[0] | 0x20) == 'x')
		i = 1;
	else
		return false;
	if (f->n - i < 1 || f->n - i > 2)
		return false;
	for (; i < f->n; i++) {
		unsigned h = hexv(f->p[i]);

		if (h > 15)
			return false;
		v = v * 16 + h;
	}
	if (v == 0)
		return false;
	*d = (char)v;
	return true;
}

static void leef_attrs(rec_ctx *c, const char *p, size_t n, char delim)
{
	size_t i = 0;

	while (i < n) {
		const char *q = memchr(p + i, delim, n - i);
		size_t e = q ? (size_t)(q - p) : n;
		const char *eq = memchr(p + i, '=', e - i);

		if (eq) {
			size_t kn = (size_t)(eq - p) - i;
			size_t v = (size_t)(eq - p) + 1;
			const ext_key *k;

			while (kn && p[i] == ' ') {
				i++;
				kn--;
			}
			k = lookup(leef_keys, MH_ARRAY_LEN(leef_keys), p + i,
				   kn);
			if (k && k->kind == K_TIME)
				c->devtime = (mh_str){p + v, e - v};
			else if (k)
				apply(c, k, p + v, e - v, false);
		}
		i = e + 1;
	}
	if (c->devtime.n) {
		int64_t ns;
		bool ok = c->devfmt.n
			      ? fmt_time(c->devfmt.p, c->devfmt.n, c->devtime.p,
					 c->devtime.n, &ns)
			      : any_time(c->devtime.p, c->devtime.n, &ns);

		if (ok) {
			c->ev->time_ns = ns;
			mh_event_set(c->ev, MH_F_TIME, c->devtime.p,
				     c->devtime.n);
			c->pv->prio[MH_F_TIME] = 0;
		}
	}
}

/* Offset of "CEF:d" / "LEEF:d" at the line start or after ' ' or '>'. */
static size_t find_marker(const char *p, size_t n, bool *leef)
{
	size_t i = 0;

	while (i < n) {
		const char *q = memchr(p + i, 'E', n - i);
		size_t k;

		if (!q)
			return n;
		k = (size_t)(q - p);
		i = k + 1;
		if (k >= 1 && n - (k - 1) >= 5 &&
		    memcmp(p + k - 1, "CEF:", 4) == 0 && dig(p[k + 3]) &&
		    (k - 1 == 0 || p[k - 2] == ' ' || p[k - 2] == '>')) {
			*leef = false;
			return k - 1;
		}
		if (k >= 1 && n - (k - 1) >= 6 &&
		    memcmp(p + k - 1, "LEEF:", 5) == 0 && dig(p[k + 4]) &&
		    (k - 1 == 0 || p[k - 2] == ' ' || p[k - 2] == '>')) {
			*leef = true;
			return k - 1;
		}
	}
	return n;
}

static bool all_digits(const mh_str *s)
{
	if (s->n == 0 || s->n > 18)
		return false;
	for (size_t i = 0; i < s->n; i++)
		if (!dig(s->p[i]))
			return false;
	return true;
}

static const char *cef_line(rec_ctx *c, const char *p, size_t n)
{
	mh_str f[7], vendor;
	mh_syslog_hdr h;
	size_t m, b;
	bool leef = false, esc;

	m = find_marker(p, n, &leef);
	if (m == n)
		return "not a CEF or LEEF record (no CEF:/LEEF: marker)";
	p += m;
	n -= m;
	if (!leef) {
		b = header_fields(p + 4, n - 4, f, 7, &esc);
		if (!b)
			return "truncated CEF header (want 7 '|'-separated "
			       "fields)";
		b += 4;
		if (!unescape(c, f[1].p, f[1].n, &vendor))
			return NULL;
		put(c, MH_F_PROVIDER, 0, vendor.p, vendor.n);
		if (all_digits(&f[4]))
			put(c, MH_F_EVENT_ID, 0, f[4].p, f[4].n);
		mh_event_set(c->ev, MH_F_DIALECT, "cef", 3);
		c->pv->seen_cef = true;
		cef_ext(c, p + b, n - b);
		cef_labels(c);
	} else {
		char delim = '\t';
		bool v2;
		mh_str d;

		b = header_fields(p + 5, n - 5, f, 5, &esc);
		if (!b)
			return "truncated LEEF header (want Version|Vendor|"
			       "Product|Version|EventID|)";
		b += 5;
		v2 = f[0].n && f[0].p[0] == '2';
		if (v2) {
			/* the delimiter field, if present */
			size_t s = b, e = b;

			while (e < n && p[e] != '|' && e - s < 8)
				e++;
			d = (mh_str){p + s, e - s};
			if (e < n && p[e] == '|' && leef_delim(&d, &delim))
				b = e + 1;
			else
				delim = '\t';
		}
		put(c, MH_F_PROVIDER, 0, f[1].p, f[1].n);
		if (all_digits(&f[4]))
			put(c, MH_F_EVENT_ID, 0, f[4].p, f[4].n);
		mh_event_set(c->ev, MH_F_DIALECT, "leef", 4);
		c->pv->seen_leef = true;
		leef_attrs(c, p + b, n - b, delim);
	}
	if (c->nomem)
		return NULL;
	mh_syslog_hdr_parse(p - m, m, &h);
	if (h.host.n)
		put(c, MH_F_HOST, HDR_PRIO, h.host.p, h.host.n);
	if (h.has_time && !mh_event_has(c->ev, MH_F_TIME)) {
		c->ev->time_ns = h.time_ns;
		mh_event_set(c->ev, MH_F_TIME, h.ts.p, h.ts.n);
	}
	return NULL;
}

static mh_rc cef_open(mh_reader *r, mh_err *err)
{
	cef_priv *pv = calloc(1, sizeof(*pv));

	if (!pv)
		return mh_err_set(err, MH_ENOMEM, mh_source_name(r->src), 0, 0,
				  "out of memory");
	r->priv = pv;
	snprintf(r->dialect, sizeof(r->dialect), "cef");
	return MH_OK;
}

static mh_rc cef_next(mh_reader *r, mh_event *ev, mh_err *err)
{
	cef_priv *pv = r->priv;

	if (!pv)
		return MH_EOF;
	for (;;) {
		rec_ctx c;
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
		memset(&c, 0, sizeof(c));
		c.ev = ev;
		c.pv = pv;
		why = cef_line(&c, line.p, line.n);
		if (c.nomem)
			return mh_err_set(err, MH_ENOMEM, ev->file, ln, 0,
					  "out of memory decoding a CEF/LEEF "
					  "record");
		if (why) {
			mh_reader_malformed(r, ln, "%s", why);
			continue;
		}
		snprintf(r->dialect, sizeof(r->dialect), "%s",
			 pv->seen_cef && pv->seen_leef ? "cef+leef"
			 : pv->seen_leef	       ? "leef"
						       : "cef");
		r->stats.records++;
		return MH_OK;
	}
}

static void cef_close(mh_reader *r)
{
	free(r->priv);
	r->priv = NULL;
}

/* "CEF:n|" or "LEEF:n" at the start of the first line or after its
 * syslog header. */
static int cef_probe(const char *buf, size_t len)
{
	bool leef = false;
	mh_str l;
	size_t m;

	if (!mh_syslog_first_line(buf, len, &l) || l.p[0] == '{' ||
	    l.p[0] == '[')
		return 0;
	m = find_marker(l.p, l.n, &leef);
	if (m == l.n)
		return 0;
	if (!leef && !memchr(l.p + m, '|', l.n - m))
		return 0;
	return 95;
}

const mh_reader_ops mh_input_cef = {
    .name = "cef",
    .desc = "CEF (ArcSight) and LEEF (QRadar), raw or after a syslog header",
    .probe = cef_probe,
    .open = cef_open,
    .next = cef_next,
    .close = cef_close,
};
