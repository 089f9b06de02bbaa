/* Rendered Windows event XML: Sysmon for Windows exports, Windows
 * Security and PowerShell events, Sysmon for Linux syslog lines.
 *
 * Accepted shapes (any mix, LF or CRLF):
 *  - one <Event xmlns=...>...</Event> per line;
 *  - a whole exported file: <?xml ...?><Events><Event>...</Event>...
 *    </Events>, possibly pretty-printed (an event spans lines);
 *  - syslog lines "<timestamp> <host> sysmon: <Event>...</Event>" (Sysmon
 *    for Linux). Other syslog lines of the sysmon tag (the startup
 *    banner) are skipped without a report.
 *
 * The reader cuts the input into <Event>...</Event> fragments itself
 * (text between fragments is a syslog prefix, the export wrapper or
 * junk) and parses each fragment with expat (xml_event.h). Cutting first
 * means one bad event never takes the rest of the file with it:
 *  - a fragment that is not well-formed is reported with its line and
 *    the line/column of the error, and skipped;
 *  - an <Event> with no </Event> before the next <Event> (a truncated
 *    line) is reported and skipped;
 *  - a line outside any event that is not blank, the XML declaration,
 *    the <Events> wrapper, a comment or a sysmon syslog line is reported
 *    as malformed;
 *  - a fragment longer than XML_MAX_RECORD is reported and skipped.
 * Values are copied into ev->arena, so the input is consumed at once.
 * UTF-16 input (a BOM, or "<" as the first code unit; PowerShell 5's
 * Out-File writes UTF-16LE) is transcoded to UTF-8 in steps into a
 * reader-owned window (xml_priv.u8), bounded like the source's. */
#include "input/dialect.h"
#include "input/input.h"
#include "input/xml_event.h"

#include <expat.h>
#include <stdlib.h>
#include <string.h>

/* ====================================================================== */
/* The event parser (xml_event.h)                                          */

/* clang-format off */
#define N MH_CONV_NONE
#define T MH_CONV_TIME
#define G MH_CONV_GUID
#define B MH_CONV_BOOL
#define E(k, f, c, p) {k, MH_F_##f, c, p},
#define M(k, f, c, p) {k, MH_F_##f, c, p}

/* Prio of the System/Security UserID fallback for User. */
#define PRIO_SECURITY_USER 5

/* EventData names, sorted by strcmp (bsearch; order checked on first
 * use). Sysmon names at prio 0; the Windows Security 5156/5157/5158
 * names of the same fields at prio 2; PowerShell 4104. */
static const mh_dialect_map data_map[] = {
	E("Application", IMAGE, N, 2)
	E("CommandLine", COMMAND_LINE, N, 0)
	E("Company", COMPANY, N, 0)
	E("CurrentDirectory", CURRENT_DIRECTORY, N, 0)
	E("Description", DESCRIPTION, N, 0)
	E("DestAddress", DESTINATION_IP, N, 2)
	E("DestPort", DESTINATION_PORT, N, 2)
	E("DestinationHostname", DESTINATION_HOSTNAME, N, 0)
	E("DestinationIp", DESTINATION_IP, N, 0)
	E("DestinationIsIpv6", DESTINATION_IS_IPV6, B, 0)
	E("DestinationPort", DESTINATION_PORT, N, 0)
	E("DestinationPortName", DESTINATION_PORT_NAME, N, 0)
	E("Direction", EVENT_DIRECTION, N, 0)
	E("Hashes", HASHES, N, 0)
	E("Image", IMAGE, N, 0)
	E("Initiated", INITIATED, B, 0)
	E("IntegrityLevel", INTEGRITY_LEVEL, N, 0)
	E("LogonId", LOGON_ID, N, 0)
	E("OriginalFileName", ORIGINAL_FILE_NAME, N, 0)
	E("ParentCommandLine", PARENT_COMMAND_LINE, N, 0)
	E("ParentImage", PARENT_IMAGE, N, 0)
	E("ParentProcessGuid", PARENT_PROCESS_GUID, G, 0)
	E("ParentProcessId", PARENT_PROCESS_ID, N, 0)
	E("ParentUser", PARENT_USER, N, 0)
	E("Path", PATH, N, 0)
	E("ProcessGuid", PROCESS_GUID, G, 0)
	E("ProcessID", PROCESS_ID, N, 2)
	E("ProcessId", PROCESS_ID, N, 0)
	E("Product", PRODUCT, N, 0)
	E("Protocol", PROTOCOL, N, 0)
	E("RuleName", RULE_NAME, N, 0)
	E("ScriptBlockText", SCRIPT_BLOCK_TEXT, N, 0)
	E("SourceAddress", SOURCE_IP, N, 2)
	E("SourceHostname", SOURCE_HOSTNAME, N, 0)
	E("SourceIp", SOURCE_IP, N, 0)
	E("SourceIsIpv6", SOURCE_IS_IPV6, B, 0)
	E("SourcePort", SOURCE_PORT, N, 0)
	E("SourcePortName", SOURCE_PORT_NAME, N, 0)
	E("User", USER, N, 0)
	E("UtcTime", TIME, T, 0)
};

/* System children with text values. */
static const mh_dialect_map map_event_id = M("EventID", EVENT_ID, N, 0);
static const mh_dialect_map map_computer = M("Computer", HOST, N, 0);
static const mh_dialect_map map_channel = M("Channel", CHANNEL, N, 0);
static const mh_dialect_map map_provider = M("Provider", PROVIDER, N, 0);
static const mh_dialect_map map_time_created =
    M("TimeCreated", TIME, T, 1);
static const mh_dialect_map map_sec_user =
    M("UserID", USER, N, PRIO_SECURITY_USER);
/* PowerShell events (4104) carry the script host's pid only in
 * System/Execution@ProcessID; on Sysmon events that attribute is
 * Sysmon's own pid, so it is used for PowerShell providers only. */
static const mh_dialect_map map_exec_pid =
    M("ProcessID", PROCESS_ID, N, PRIO_SECURITY_USER);

#undef E
#undef M
#undef N
#undef T
#undef G
#undef B

/* clang-format on */

enum section { SEC_NONE, SEC_SYSTEM, SEC_EVENTDATA, SEC_OTHER };

struct mh_xmlev {
	XML_Parser xp;
	mh_fieldset need;
	bool all;
	/* per parse */
	mh_event *ev;
	unsigned depth;
	enum section sec;
	const mh_dialect_map *cap; /* element text being captured */
	unsigned cap_depth;
	bool cap_trim;
	char *buf; /* captured text */
	size_t len, cap_size;
	mh_rc rc;
	const char *why;
	mh_str provider, channel;
	const char *dialect;
	uint8_t prio[MH_F__COUNT];
};

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int map_cmp(const void *k, const void *e)
{
	return strcmp(k, ((const mh_dialect_map *)e)->key);
}

static const mh_dialect_map *data_lookup(const char *name)
{
	return bsearch(name, data_map, MH_ARRAY_LEN(data_map),
		       sizeof(data_map[0]), map_cmp);
}

/* Needed fields, plus the time and the inputs normalize.c reads for
 * every event whatever the rules need: Protocol (ICMP ports), EventID
 * and Channel (Security verdicts), Dialect. */
static bool wanted(const mh_xmlev *x, mh_field f)
{
	return x->all || f == MH_F_TIME || f == MH_F_PROTOCOL ||
	       f == MH_F_EVENT_ID || f == MH_F_CHANNEL || f == MH_F_DIALECT ||
	       mh_fieldset_has(&x->need, f);
}

static void stop(mh_xmlev *x, mh_rc rc, const char *why)
{
	if (x->rc == MH_OK) {
		x->rc = rc;
		x->why = why;
	}
	XML_StopParser(x->xp, XML_FALSE);
}

/* libevtx renders HexInt64 values zero-padded ("0x000000000001eba8");
 * Windows and evtx_dump write "0x1eba8". Strip the padding in place. */
static void unpad_hex(const char **p, size_t *n)
{
	const char *s = *p;
	size_t len = *n, i = 2;

	if (len < 4 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
		return;
	for (size_t j = 2; j < len; j++) {
		char c = s[j];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
		      (c >= 'A' && c <= 'F')))
			return;
	}
	while (i + 1 < len && s[i] == '0')
		i++;
	if (i == 2)
		return;
	/* keep "0x" in front of the significant digits */
	*p = s + i - 2;
	*n = len - i + 2;
	((char *)*p)[0] = '0';
	((char *)*p)[1] = 'x';
}

/* Store text (copied into the arena) under map m. */
static void store(mh_xmlev *x, const mh_dialect_map *m, const char *p, size_t n,
		  bool trim)
{
	char *copy;
	const char *v;
	mh_rc rc;

	if (trim) {
		while (n && is_space(*p)) {
			p++;
			n--;
		}
		while (n && is_space(p[n - 1]))
			n--;
	}
	copy = mh_arena_strndup(x->ev->arena, p, n);
	if (!copy) {
		stop(x, MH_ENOMEM, "out of memory");
		return;
	}
	v = copy;
	if (m->field == MH_F_LOGON_ID)
		unpad_hex(&v, &n);
	if (m == &map_provider)
		x->provider = (mh_str){v, n};
	else if (m == &map_channel)
		x->channel = (mh_str){v, n};
	if (!wanted(x, m->field))
		return;
	rc = mh_dialect_apply(m, x->ev, x->prio, v, n);
	if (rc == MH_ENOMEM)
		stop(x, MH_ENOMEM, "out of memory");
	/* MH_EPARSE: a time that does not parse is ignored (the other
	 * time source may still set it). */
}

static const char *attr(const XML_Char **atts, const char *name)
{
	for (size_t i = 0; atts[i]; i += 2)
		if (strcmp(atts[i], name) == 0)
			return atts[i + 1];
	return NULL;
}

static void capture(mh_xmlev *x, const mh_dialect_map *m, bool trim)
{
	x->cap = m;
	x->cap_depth = x->depth;
	x->cap_trim = trim;
	x->len = 0;
}

static void XMLCALL on_start(void *ud, const XML_Char *name,
			     const XML_Char **atts)
{
	mh_xmlev *x = ud;
	const char *v;

	x->depth++;
	if (x->depth == 1) {
		if (strcmp(name, "Event") != 0)
			stop(x, MH_EPARSE, "the root element is not <Event>");
		return;
	}
	if (x->cap) {
		/* markup inside a captured value: keep only the text */
		return;
	}
	if (x->depth == 2) {
		if (strcmp(name, "System") == 0)
			x->sec = SEC_SYSTEM;
		else if (strcmp(name, "EventData") == 0)
			x->sec = SEC_EVENTDATA;
		else
			x->sec = SEC_OTHER;
		return;
	}
	if (x->depth != 3)
		return;
	if (x->sec == SEC_SYSTEM) {
		if (strcmp(name, "EventID") == 0) {
			capture(x, &map_event_id, true);
		} else if (strcmp(name, "Computer") == 0) {
			capture(x, &map_computer, true);
		} else if (strcmp(name, "Channel") == 0) {
			capture(x, &map_channel, true);
		} else if (strcmp(name, "Provider") == 0) {
			if ((v = attr(atts, "Name")) != NULL)
				store(x, &map_provider, v, strlen(v), true);
		} else if (strcmp(name, "TimeCreated") == 0) {
			if ((v = attr(atts, "SystemTime")) != NULL)
				store(x, &map_time_created, v, strlen(v), true);
		} else if (strcmp(name, "Execution") == 0) {
			static const char ps[] = "Microsoft-Windows-PowerShell";
			if (x->provider.n >= sizeof(ps) - 1 &&
			    memcmp(x->provider.p, ps, sizeof(ps) - 1) == 0 &&
			    (v = attr(atts, "ProcessID")) != NULL && *v)
				store(x, &map_exec_pid, v, strlen(v), true);
		} else if (strcmp(name, "Security") == 0) {
			/* Windows writes UserID, Sysmon for Linux UserId */
			v = attr(atts, "UserID");
			if (!v)
				v = attr(atts, "UserId");
			if (v && *v)
				store(x, &map_sec_user, v, strlen(v), true);
		}
	} else if (x->sec == SEC_EVENTDATA && strcmp(name, "Data") == 0) {
		const mh_dialect_map *m;

		v = attr(atts, "Name");
		if (v && (m = data_lookup(v)) != NULL && wanted(x, m->field))
			capture(x, m, false);
	}
}

static void XMLCALL on_end(void *ud, const XML_Char *name)
{
	mh_xmlev *x = ud;

	MH_UNUSED(name);
	if (x->cap && x->depth == x->cap_depth) {
		const mh_dialect_map *m = x->cap;

		x->cap = NULL;
		store(x, m, x->buf ? x->buf : "", x->len, x->cap_trim);
	}
	if (x->depth == 2)
		x->sec = SEC_NONE;
	x->depth--;
}

static void XMLCALL on_text(void *ud, const XML_Char *s, int len)
{
	mh_xmlev *x = ud;
	size_t n = (size_t)len;

	if (!x->cap || len <= 0)
		return;
	if (x->len + n > MH_XMLEV_MAX_VALUE) {
		stop(x, MH_EPARSE, "a value is longer than 16 MiB");
		return;
	}
	if (x->len + n > x->cap_size) {
		size_t want = x->cap_size ? x->cap_size * 2 : 4096;
		char *nb;

		while (want < x->len + n)
			want *= 2;
		if (want > MH_XMLEV_MAX_VALUE)
			want = MH_XMLEV_MAX_VALUE;
		nb = realloc(x->buf, want);
		if (!nb) {
			stop(x, MH_ENOMEM, "out of memory");
			return;
		}
		x->buf = nb;
		x->cap_size = want;
	}
	memcpy(x->buf + x->len, s, n);
	x->len += n;
}

static void XMLCALL on_doctype(void *ud, const XML_Char *name,
			       const XML_Char *sysid, const XML_Char *pubid,
			       int has_internal)
{
	MH_UNUSED(name);
	MH_UNUSED(sysid);
	MH_UNUSED(pubid);
	MH_UNUSED(has_internal);
	stop(ud, MH_EPARSE, "a DOCTYPE is not allowed in an event");
}

static bool contains(const mh_str *s, const char *lit)
{
	size_t n = strlen(lit);

	return s->p && s->n >= n && memmem(s->p, s->n, lit, n) != NULL;
}

static bool starts(const mh_str *s, const char *lit)
{
	size_t n = strlen(lit);

	return s->p && s->n >= n && memcmp(s->p, lit, n) == 0;
}

static const char *classify(const mh_xmlev *x)
{
	const mh_str *pv = &x->provider, *ch = &x->channel;

	if (contains(pv, "Sysmon") || contains(ch, "Sysmon"))
		return "sysmon";
	if (starts(pv, "Microsoft-Windows-Security-Auditing") ||
	    (ch->n == 8 && memcmp(ch->p, "Security", 8) == 0))
		return "winsec";
	if (starts(pv, "Microsoft-Windows-PowerShell") ||
	    starts(ch, "Microsoft-Windows-PowerShell") ||
	    starts(ch, "Windows PowerShell"))
		return "powershell";
	return "windows";
}

static void set_handlers(mh_xmlev *x)
{
	XML_SetUserData(x->xp, x);
	XML_SetElementHandler(x->xp, on_start, on_end);
	XML_SetCharacterDataHandler(x->xp, on_text);
	XML_SetStartDoctypeDeclHandler(x->xp, on_doctype);
	XML_SetParamEntityParsing(x->xp, XML_PARAM_ENTITY_PARSING_NEVER);
}

mh_rc mh_xmlev_new(const mh_fieldset *need, mh_xmlev **out)
{
	mh_xmlev *x = calloc(1, sizeof(*x));

	*out = NULL;
	if (!x)
		return MH_ENOMEM;
	x->xp = XML_ParserCreate(NULL);
	if (!x->xp) {
		free(x);
		return MH_ENOMEM;
	}
	x->all = true;
	if (need) {
		x->need = *need;
		for (unsigned i = 0; i < MH_FIELD_WORDS; i++)
			if (need->w[i])
				x->all = false;
	}
	x->dialect = "windows";
	*out = x;
	return MH_OK;
}

void mh_xmlev_free(mh_xmlev *x)
{
	if (!x)
		return;
	XML_ParserFree(x->xp);
	free(x->buf);
	free(x);
}

const char *mh_xmlev_dialect(const mh_xmlev *x)
{
	return x->dialect;
}

mh_rc mh_xmlev_parse(mh_xmlev *x, mh_event *ev, const char *p, size_t n,
		     const char **why, uint64_t *line, uint64_t *col)
{
	enum XML_Status st = XML_STATUS_OK;
	const char *dia;

	*why = NULL;
	*line = 0;
	*col = 0;
	XML_ParserReset(x->xp, NULL);
	set_handlers(x);
	x->ev = ev;
	x->depth = 0;
	x->sec = SEC_NONE;
	x->cap = NULL;
	x->len = 0;
	x->rc = MH_OK;
	x->why = NULL;
	x->provider = (mh_str){NULL, 0};
	x->channel = (mh_str){NULL, 0};
	/* XML_Parse takes an int length: feed large documents in parts. */
	while (n > 0 && st == XML_STATUS_OK) {
		size_t part = n > (1u << 30) ? (1u << 30) : n;

		st = XML_Parse(x->xp, p, (int)part, part == n);
		p += part;
		n -= part;
	}
	if (st != XML_STATUS_OK || x->rc != MH_OK) {
		*line = XML_GetCurrentLineNumber(x->xp);
		*col = XML_GetCurrentColumnNumber(x->xp) + 1;
		if (x->rc == MH_ENOMEM)
			return MH_ENOMEM;
		*why = x->rc != MH_OK
			   ? x->why
			   : XML_ErrorString(XML_GetErrorCode(x->xp));
		if (!*why)
			*why = "not well-formed";
		return MH_EPARSE;
	}
	dia = classify(x);
	x->dialect = dia;
	if (wanted(x, MH_F_DIALECT))
		mh_event_set(ev, MH_F_DIALECT, dia, strlen(dia));
	return MH_OK;
}

/* ====================================================================== */
/* The reader                                                              */

#define XML_MAX_RECORD (16u << 20) /* one <Event> fragment, bytes */
#define XML_TAIL       16	   /* bytes kept when a tag may straddle */

typedef struct xml_priv {
	mh_xmlev *x;
	mh_arena arena;
	uint64_t line; /* line of the first unread byte */
	size_t col0;   /* bytes of its line before the first unread byte */
	bool eof;      /* the source has no more bytes */
	/* UTF-16 input (BOM FF FE or FE FF): transcoded to UTF-8 into u8,
	 * which then is the window; otherwise the source window is used. */
	int u16; /* 0, 1 = little-endian, 2 = big-endian */
	char *u8;
	size_t u8_pos, u8_len, u8_cap;
} xml_priv;

/* The window: the source's, or the transcoded UTF-16 buffer. */
static void w_peek(mh_reader *r, xml_priv *pv, const char **p, size_t *n)
{
	if (!pv->u16) {
		mh_source_peek(r->src, p, n);
		return;
	}
	*p = pv->u8 + pv->u8_pos;
	*n = pv->u8_len - pv->u8_pos;
}

static void w_consume(mh_reader *r, xml_priv *pv, size_t n)
{
	if (!pv->u16)
		mh_source_consume(r->src, n);
	else
		pv->u8_pos += n;
}

static size_t put_utf8(char *o, uint32_t c)
{
	if (c < 0x80) {
		o[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		o[0] = (char)(0xC0 | c >> 6);
		o[1] = (char)(0x80 | (c & 0x3F));
		return 2;
	}
	if (c < 0x10000) {
		o[0] = (char)(0xE0 | c >> 12);
		o[1] = (char)(0x80 | ((c >> 6) & 0x3F));
		o[2] = (char)(0x80 | (c & 0x3F));
		return 3;
	}
	o[0] = (char)(0xF0 | c >> 18);
	o[1] = (char)(0x80 | ((c >> 12) & 0x3F));
	o[2] = (char)(0x80 | ((c >> 6) & 0x3F));
	o[3] = (char)(0x80 | (c & 0x3F));
	return 4;
}

#define U16_STEP (1u << 20) /* source bytes transcoded per step */

/* Transcode the next UTF-16 bytes of the source into u8 (lone
 * surrogates and a final odd byte become U+FFFD). Same results as
 * mh_source_more(): MH_OK (bytes added), MH_EOF, MH_ELIMIT (the window
 * would pass XML_MAX_RECORD plus a step), MH_ENOMEM or an I/O error. */
static mh_rc u16_more(mh_reader *r, xml_priv *pv, mh_err *err)
{
	const unsigned char *q;
	const char *sp;
	size_t sn, i = 0, lim, need;
	bool be = pv->u16 == 2, src_eof = false;

	if (pv->u8_pos) {
		memmove(pv->u8, pv->u8 + pv->u8_pos, pv->u8_len - pv->u8_pos);
		pv->u8_len -= pv->u8_pos;
		pv->u8_pos = 0;
	}
	if (pv->u8_len >= XML_MAX_RECORD + U16_STEP)
		return MH_ELIMIT;
	for (;;) {
		mh_source_peek(r->src, &sp, &sn);
		if (sn >= 4)
			break;
		mh_rc m = mh_source_more(r->src, err);
		if (m == MH_EOF) {
			src_eof = true;
			break;
		}
		if (m != MH_OK && m != MH_ELIMIT)
			return m;
		if (m == MH_ELIMIT)
			break;
	}
	if (sn == 0)
		return MH_EOF;
	lim = sn < U16_STEP ? sn : U16_STEP;
	need = pv->u8_len + lim / 2 * 3 + 8;
	if (need > pv->u8_cap) {
		size_t cap = pv->u8_cap ? pv->u8_cap : 65536;
		char *nb;

		while (cap < need)
			cap *= 2;
		nb = realloc(pv->u8, cap);
		if (!nb)
			return mh_err_set(err, MH_ENOMEM,
					  mh_source_name(r->src), 0, 0,
					  "out of memory transcoding UTF-16");
		pv->u8 = nb;
		pv->u8_cap = cap;
	}
	q = (const unsigned char *)sp;
	while (i + 2 <= lim) {
		uint32_t c = be ? (uint32_t)q[i] << 8 | q[i + 1]
				: (uint32_t)q[i + 1] << 8 | q[i];

		if (c >= 0xD800 && c < 0xDC00) {
			uint32_t d;

			if (i + 4 > lim) {
				if (!(src_eof && lim == sn))
					break; /* the pair continues */
				c = 0xFFFD;
				i += 2;
			} else {
				d = be ? (uint32_t)q[i + 2] << 8 | q[i + 3]
				       : (uint32_t)q[i + 3] << 8 | q[i + 2];
				if (d >= 0xDC00 && d < 0xE000) {
					c = 0x10000 + ((c - 0xD800) << 10) +
					    (d - 0xDC00);
					i += 4;
				} else {
					c = 0xFFFD;
					i += 2;
				}
			}
		} else {
			if (c >= 0xDC00 && c < 0xE000)
				c = 0xFFFD;
			i += 2;
		}
		pv->u8_len += put_utf8(pv->u8 + pv->u8_len, c);
	}
	if (i + 1 == sn && src_eof) {
		/* an odd final byte */
		pv->u8_len += put_utf8(pv->u8 + pv->u8_len, 0xFFFD);
		i++;
	}
	mh_source_consume(r->src, i);
	return i ? MH_OK : MH_EOF;
}

static mh_rc w_more(mh_reader *r, xml_priv *pv, mh_err *err)
{
	return pv->u16 ? u16_more(r, pv, err) : mh_source_more(r->src, err);
}

/* Offset of the first "<Event" start tag (not <EventData>, <Events>)
 * in p[from..n), or n. A match that ends the window may be incomplete:
 * *partial tells the caller to read more first. */
static size_t find_start(const char *p, size_t from, size_t n, bool *partial)
{
	size_t i = from;

	*partial = false;
	while (i < n) {
		const char *q = memchr(p + i, '<', n - i);
		size_t k;

		if (!q)
			return n;
		k = (size_t)(q - p);
		if (n - k < 7) {
			if (memcmp(q, "<Event", n - k < 6 ? n - k : 6) == 0)
				*partial = true;
			return n;
		}
		if (memcmp(q, "<Event", 6) == 0 &&
		    (is_space(q[6]) || q[6] == '>' || q[6] == '/'))
			return k;
		i = k + 1;
	}
	return n;
}

static uint64_t count_nl(const char *p, size_t n)
{
	uint64_t k = 0;
	const char *e = p + n;

	while (p < e && (p = memchr(p, '\n', (size_t)(e - p))) != NULL) {
		k++;
		p++;
	}
	return k;
}

/* One line of text outside any event. */
static void junk_line(mh_reader *r, uint64_t line, const char *p, size_t n)
{
	size_t i = 0;
	size_t look = n < 256 ? n : 256;

	while (i < n && is_space(p[i]))
		i++;
	if (i == n)
		return;
	p += i;
	n -= i;
	if ((n >= 5 && memcmp(p, "<?xml", 5) == 0) ||
	    (n >= 7 && memcmp(p, "<Events", 7) == 0) ||
	    (n >= 8 && memcmp(p, "</Events", 8) == 0) ||
	    (n >= 4 && memcmp(p, "<!--", 4) == 0))
		return;
	/* Sysmon for Linux syslog lines that carry no event (banner). */
	if (look > i && memmem(p, look - i, " sysmon", 7)) {
		r->stats.skipped++;
		return;
	}
	mh_reader_malformed(r, line, "no <Event> element on this line");
}

/* Handle text p[0..n) outside events. Complete lines are judged; with
 * tail_is_prefix the last, unterminated line is a prefix of the next
 * event on the same line (a syslog header) and is not judged. */
static void junk(mh_reader *r, xml_priv *pv, const char *p, size_t n,
		 bool tail_is_prefix)
{
	size_t i = 0;

	while (i < n) {
		const char *nl = memchr(p + i, '\n', n - i);
		size_t e = nl ? (size_t)(nl - p) : n;

		if (nl || !tail_is_prefix)
			junk_line(r, pv->line, p + i, e - i);
		if (!nl)
			break;
		pv->line++;
		i = e + 1;
	}
}

/* Skip to the end of the current line (the bad bytes of an over-long or
 * truncated record); the caller has judged them. */
static mh_rc skip_line(mh_reader *r, xml_priv *pv, mh_err *err)
{
	for (;;) {
		const char *p, *nl;
		size_t n;
		mh_rc m;

		w_peek(r, pv, &p, &n);
		nl = memchr(p, '\n', n);
		if (nl) {
			w_consume(r, pv, (size_t)(nl - p) + 1);
			pv->line++;
			pv->col0 = 0;
			return MH_OK;
		}
		w_consume(r, pv, n);
		m = w_more(r, pv, err);
		if (m == MH_EIO || m == MH_ENOMEM)
			return m;
		if (m != MH_OK) {
			pv->eof = true;
			return MH_OK;
		}
	}
}

/* Grow the window (at least double it). MH_OK: more bytes; MH_EOF;
 * MH_ELIMIT; or an I/O error. */
static mh_rc grow(mh_reader *r, xml_priv *pv, size_t have, mh_err *err)
{
	const char *p;
	size_t n = have;
	mh_rc m = MH_OK;

	if (pv->eof)
		return MH_EOF;
	do {
		m = w_more(r, pv, err);
		if (m == MH_OK)
			w_peek(r, pv, &p, &n);
	} while (m == MH_OK && n < have * 2 && n < XML_MAX_RECORD);
	if (n > have)
		return MH_OK;
	if (m == MH_EOF)
		pv->eof = true;
	return m == MH_OK ? MH_EOF : m;
}

/* Account for consuming p[0..n): line and column of the next byte. */
static void moved(xml_priv *pv, const char *p, size_t n)
{
	const char *nl = n ? memrchr(p, '\n', n) : NULL;

	pv->line += count_nl(p, n);
	pv->col0 = nl ? n - (size_t)(nl - p) - 1 : pv->col0 + n;
}

/* Report an event that ends before its </Event>: bytes p[0..bad). */
static void truncated(mh_reader *r, xml_priv *pv, const char *p, size_t bad,
		      bool at_end)
{
	mh_reader_malformed(
	    r, pv->line, "truncated event: no </Event> before %s",
	    at_end ? "the end of the input" : "the next <Event>");
	moved(pv, p, bad);
	w_consume(r, pv, bad);
}

static mh_rc xml_next(mh_reader *r, mh_event *ev, mh_err *err)
{
	xml_priv *pv = r->priv;
	const char *file = mh_source_name(r->src);

	if (!pv)
		return MH_EOF;
	for (;;) {
		const char *p, *close, *why;
		size_t n, s, e, lim, nxt;
		bool partial;
		uint64_t line, el, ec;
		mh_rc rc;

		w_peek(r, pv, &p, &n);
		s = find_start(p, 0, n, &partial);
		if (s == n && !pv->eof) {
			/* No event start yet: judge the complete lines,
			 * keep the last partial one, read more. */
			const char *nl = n ? memrchr(p, '\n', n) : NULL;
			size_t keep = nl ? n - (size_t)(nl - p) - 1 : n;

			if (nl) {
				junk(r, pv, p, n - keep, false);
				w_consume(r, pv, n - keep);
				pv->col0 = 0;
			}
			if (keep < XML_MAX_RECORD || partial) {
				rc = grow(r, pv, keep, err);
				if (rc == MH_OK || rc == MH_EOF)
					continue;
				if (rc != MH_ELIMIT)
					return rc;
			}
			mh_reader_malformed(r, pv->line,
					    "line longer than %u bytes with no "
					    "<Event> element",
					    XML_MAX_RECORD);
			rc = skip_line(r, pv, err);
			if (rc != MH_OK)
				return rc;
			continue;
		}
		if (s == n) {
			/* end of input */
			junk(r, pv, p, n, false);
			w_consume(r, pv, n);
			return MH_EOF;
		}
		if (s > 0) {
			const char *nl = memrchr(p, '\n', s);

			/* a prefix on the event's line shifts its columns */
			pv->col0 = nl ? s - (size_t)(nl - p) - 1 : pv->col0 + s;
			junk(r, pv, p, s, true);
			w_consume(r, pv, s);
			w_peek(r, pv, &p, &n);
		}
		/* p starts with "<Event": its end is the first </Event>
		 * before the next start (searching only up to there keeps
		 * a file of unclosed events linear). */
		line = pv->line;
		nxt = find_start(p, 6, n, &partial);
		close = memmem(p + 6, nxt - 6, "</Event>", 8);
		if (!close) {
			if (nxt < n) {
				truncated(r, pv, p, nxt, false);
				continue;
			}
			if (!pv->eof) {
				rc = grow(r, pv, n, err);
				if (rc == MH_OK || rc == MH_EOF)
					continue;
				if (rc != MH_ELIMIT)
					return rc;
				mh_reader_malformed(r, line,
						    "event longer than %u "
						    "bytes",
						    XML_MAX_RECORD);
				rc = skip_line(r, pv, err);
				if (rc != MH_OK)
					return rc;
				continue;
			}
			truncated(r, pv, p, n, true);
			return MH_EOF;
		}
		lim = (size_t)(close - p);
		e = lim + 8;
		if (e > XML_MAX_RECORD) {
			mh_reader_malformed(r, line,
					    "event longer than %u bytes",
					    XML_MAX_RECORD);
			moved(pv, p, e);
			w_consume(r, pv, e);
			continue;
		}

		mh_event_clear(ev);
		if (!ev->arena)
			ev->arena = &pv->arena;
		mh_arena_reset(ev->arena);
		ev->file = file;
		ev->line = line;
		rc = mh_xmlev_parse(pv->x, ev, p, e, &why, &el, &ec);
		if (el == 1)
			ec += pv->col0;
		moved(pv, p, e);
		w_consume(r, pv, e);
		if (rc == MH_ENOMEM)
			return mh_err_set(err, MH_ENOMEM, file, line, 0,
					  "out of memory decoding an event");
		if (rc != MH_OK) {
			mh_reader_malformed(
			    r, line,
			    "bad event XML: %s (line %llu, column %llu)", why,
			    (unsigned long long)(line + el - 1),
			    (unsigned long long)ec);
			continue;
		}
		snprintf(r->dialect, sizeof(r->dialect), "%s",
			 mh_xmlev_dialect(pv->x));
		r->stats.records++;
		return MH_OK;
	}
}

static void xml_close(mh_reader *r)
{
	xml_priv *pv = r->priv;

	if (!pv)
		return;
	mh_xmlev_free(pv->x);
	mh_arena_free(&pv->arena);
	free(pv->u8);
	free(pv);
	r->priv = NULL;
}

static mh_rc xml_open(mh_reader *r, mh_err *err)
{
	xml_priv *pv = calloc(1, sizeof(*pv));
	const char *p;
	size_t n;

	if (!pv || mh_xmlev_new(&r->need, &pv->x) != MH_OK) {
		if (pv)
			free(pv);
		return mh_err_set(err, MH_ENOMEM, mh_source_name(r->src), 0, 0,
				  "out of memory");
	}
	mh_arena_init(&pv->arena, 64 * 1024, 0);
	pv->line = 1;
	r->priv = pv;
	snprintf(r->dialect, sizeof(r->dialect), "windows");
	for (;;) {
		mh_source_peek(r->src, &p, &n);
		if (n >= 4 || mh_source_more(r->src, err) != MH_OK)
			break;
	}
	/* a UTF-8 BOM is skipped; UTF-16 (BOM, or "<" as the first code
	 * unit) is transcoded */
	if (n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) {
		mh_source_consume(r->src, 3);
	} else if (n >= 2 && (unsigned char)p[0] == 0xFF &&
		   (unsigned char)p[1] == 0xFE) {
		pv->u16 = 1;
		mh_source_consume(r->src, 2);
	} else if (n >= 2 && (unsigned char)p[0] == 0xFE &&
		   (unsigned char)p[1] == 0xFF) {
		pv->u16 = 2;
		mh_source_consume(r->src, 2);
	} else if (n >= 2 && p[0] == '<' && p[1] == '\0') {
		pv->u16 = 1;
	} else if (n >= 2 && p[0] == '\0' && p[1] == '<') {
		pv->u16 = 2;
	}
	return MH_OK;
}

/* "<Event", "<Events" or "<?xml" first (after a BOM and blanks): 90
 * (20 for a "<?xml" document with no "<Event" in the first 64 KiB); a
 * line holding " sysmon: <Event" within the first 64 KiB: 90. UTF-16
 * (BOM, or "<" as the first code unit) is judged on its first 2048 code
 * units' low bytes. */
static int probe_utf8(const char *buf, size_t len)
{
	size_t i = 0, lim = len < 65536 ? len : 65536;

	if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
		i = 3;
	while (i < len && is_space(buf[i]))
		i++;
	if (len - i >= 7 && memcmp(buf + i, "<Event", 6) == 0 &&
	    (is_space(buf[i + 6]) || buf[i + 6] == '>' || buf[i + 6] == 's'))
		return 90;
	if (len - i >= 5 && memcmp(buf + i, "<?xml", 5) == 0)
		return memmem(buf + i, lim - i, "<Event", 6) ? 90 : 20;
	if (memmem(buf, lim, " sysmon: <Event", 15))
		return 90;
	return 0;
}

static int xml_probe(const char *buf, size_t len)
{
	const unsigned char *u = (const unsigned char *)buf;
	char ascii[2048];
	size_t k = 0, i = 0;
	int lo = -1;

	if (!buf)
		return 0;
	if (len >= 2 && u[0] == 0xFF && u[1] == 0xFE) {
		lo = 0;
		i = 2;
	} else if (len >= 2 && u[0] == 0xFE && u[1] == 0xFF) {
		lo = 1;
		i = 2;
	} else if (len >= 2 && u[0] == '<' && u[1] == 0) {
		lo = 0;
	} else if (len >= 2 && u[0] == 0 && u[1] == '<') {
		lo = 1;
	}
	if (lo < 0)
		return probe_utf8(buf, len);
	for (; i + 1 < len && k < sizeof(ascii); i += 2) {
		unsigned char c = u[i + (size_t)lo], z = u[i + 1 - (size_t)lo];

		ascii[k++] = z ? '?' : (char)c;
	}
	return probe_utf8(ascii, k);
}

const mh_reader_ops mh_input_xml = {
    .name = "xml",
    .desc = "Windows event XML: Sysmon/Security/PowerShell exports, one "
	    "event per line or an <Events> file, Sysmon for Linux syslog",
    .probe = xml_probe,
    .open = xml_open,
    .next = xml_next,
    .close = xml_close,
};
