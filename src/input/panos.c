/* Palo Alto Networks PAN-OS CSV syslog: TRAFFIC and THREAT logs (and
 * other log types as header-only events).
 *
 * A line is "[syslog header ]FUTURE_USE,receive time,serial,type,subtype,
 * ...": the syslog header is glued to the first CSV field by a space, so
 * the first field is the last token before the first ','. Fields are
 * counted from that token (index 0). The first 34 positions are the same
 * in the 8.x, 9.x, 10.x and 11.x layouts (later versions only append
 * columns), so the reader is positional and does not need the version:
 *    1 receive time   3 type         4 subtype     6 generated time
 *    7 src            8 dst         11 rule       12 srcuser
 *   14 app           24 sport       25 dport      29 proto
 *   30 action        31 bytes (TRAFFIC; THREAT: misc/URL)
 *   32 bytes_sent    33 bytes_received (TRAFFIC only)
 * Mapped: EventTime = generated time (receive time if that is empty),
 * read as UTC ("YYYY/MM/DD HH:MM:SS"; PAN-OS writes the firewall's local
 * time). Computer = syslog host; EventType = log type; SourceIp,
 * DestinationIp, User (srcuser), Service (app), SourcePort,
 * DestinationPort, Protocol, Action (allow/deny/drop/reset-...),
 * BytesSent/BytesReceived (TRAFFIC). An empty field stays unset.
 *
 * Quoting: a field starting with '"' runs to the next '"' that is not
 * doubled; it may hold ',' ("" = one '"', un-doubled into ev->arena).
 * Malformed: no receive time at field 1 or no upper-case type at field
 * 3 (not PAN-OS), an unterminated quote, or a TRAFFIC/THREAT line with
 * fewer than 31 fields (truncated). */
#include "input/input.h"
#include "input/syslog_hdr.h"
#include "util/timefmt.h"

#include <stdio.h>
#include <string.h>

#define PAN_MAX_FIELDS 40 /* only the first ones are used */
#define PAN_NET_FIELDS 31 /* fields up to action */

typedef struct pan_field {
	const char *p;
	size_t n;
	bool dq; /* holds doubled quotes */
} pan_field;

static bool dig(char c)
{
	return c >= '0' && c <= '9';
}

/* Split p[0..n) (starting at field 0) into f[]; returns the number of
 * fields (may exceed max: the rest are counted, not stored), or 0 on an
 * unterminated quote. */
static size_t split(const char *p, size_t n, pan_field *f, size_t max)
{
	size_t i = 0, k = 0;

	for (;;) {
		pan_field c = {p + i, 0, false};

		if (i < n && p[i] == '"') {
			size_t s = ++i;

			for (;;) {
				const char *q = memchr(p + i, '"', n - i);

				if (!q)
					return 0;
				i = (size_t)(q - p) + 1;
				if (i < n && p[i] == '"') {
					c.dq = true;
					i++;
					continue;
				}
				break;
			}
			c.p = p + s;
			c.n = i - 1 - s;
			/* junk after the closing quote joins the field */
			while (i < n && p[i] != ',')
				i++;
		} else {
			const char *q = memchr(p + i, ',', n - i);
			size_t e = q ? (size_t)(q - p) : n;

			c.n = e - i;
			i = e;
		}
		if (k < max)
			f[k] = c;
		k++;
		if (i >= n)
			return k;
		i++; /* ',' */
	}
}

/* "YYYY/MM/DD HH:MM:SS" */
static bool pan_time(const char *p, size_t n, int64_t *ns)
{
	unsigned v[6] = {0};
	static const unsigned w[6] = {4, 2, 2, 2, 2, 2};
	static const char sep[6] = {'/', '/', ' ', ':', ':', 0};
	size_t i = 0;

	if (n != 19)
		return false;
	for (int k = 0; k < 6; k++) {
		for (unsigned j = 0; j < w[k]; j++, i++) {
			if (!dig(p[i]))
				return false;
			v[k] = v[k] * 10 + (unsigned)(p[i] - '0');
		}
		if (sep[k] && p[i++] != sep[k])
			return false;
	}
	if (v[0] < 1678 || v[0] > 2261 || v[1] < 1 || v[1] > 12 || v[2] < 1 ||
	    v[2] > 31 || v[3] > 23 || v[4] > 59 || v[5] > 60)
		return false;
	*ns = (mh_days_from_civil(v[0], v[1], v[2]) * 86400 + v[3] * 3600 +
	       v[4] * 60 + v[5]) *
	      1000000000LL;
	return true;
}

static bool type_word(const pan_field *f)
{
	if (f->n == 0 || f->n > 32)
		return false;
	for (size_t i = 0; i < f->n; i++)
		if (!((f->p[i] >= 'A' && f->p[i] <= 'Z') || f->p[i] == '_' ||
		      f->p[i] == '-' || dig(f->p[i])))
			return false;
	return true;
}

/* Set field from a CSV cell: unset if empty; un-double into the arena. */
static mh_rc put(mh_event *ev, mh_field fld, const pan_field *f)
{
	char *o;
	size_t k = 0;

	if (f->n == 0)
		return MH_OK;
	if (!f->dq || !ev->arena) {
		mh_event_set(ev, fld, f->p, f->n);
		return MH_OK;
	}
	o = mh_arena_alloc(ev->arena, f->n + 1);
	if (!o)
		return MH_ENOMEM;
	for (size_t j = 0; j < f->n; j++) {
		o[k++] = f->p[j];
		if (f->p[j] == '"')
			j++;
	}
	mh_event_set(ev, fld, o, k);
	return MH_OK;
}

/* Locate field 0 in the line: the token before the first ','. On
 * return *hl is the header length and *f0 the offset of field 0. */
static bool locate(const char *p, size_t n, size_t *hl, size_t *f0)
{
	const char *c = memchr(p, ',', n);
	size_t i;

	if (!c)
		return false;
	i = (size_t)(c - p);
	while (i > 0 && p[i - 1] != ' ')
		i--;
	*f0 = i;
	*hl = i;
	return true;
}

typedef enum { PAN_OK, PAN_BAD, PAN_NOMEM } pan_rc;

static pan_rc pan_line(mh_event *ev, const char *p, size_t n, const char **why)
{
	pan_field f[PAN_MAX_FIELDS];
	size_t hl, f0, nf;
	mh_syslog_hdr h;
	int64_t ns;
	bool net;
	static const struct {
		int idx;
		mh_field fld;
	} map[] = {
	    {7, MH_F_SOURCE_IP},    {8, MH_F_DESTINATION_IP},
	    {12, MH_F_USER},	    {14, MH_F_SERVICE},
	    {24, MH_F_SOURCE_PORT}, {25, MH_F_DESTINATION_PORT},
	    {29, MH_F_PROTOCOL},    {30, MH_F_ACTION},
	};

	if (!locate(p, n, &hl, &f0)) {
		*why = "not a PAN-OS CSV log (no ',')";
		return PAN_BAD;
	}
	nf = split(p + f0, n - f0, f, PAN_MAX_FIELDS);
	if (nf == 0) {
		*why = "unterminated quoted field";
		return PAN_BAD;
	}
	if (nf < 5 || !pan_time(f[1].p, f[1].n, &ns) || !type_word(&f[3])) {
		*why = "not a PAN-OS CSV log (want FUTURE_USE,receive "
		       "time,serial,TYPE,...)";
		return PAN_BAD;
	}
	net = (f[3].n == 7 && memcmp(f[3].p, "TRAFFIC", 7) == 0) ||
	      (f[3].n == 6 && memcmp(f[3].p, "THREAT", 6) == 0);
	if (net && nf < PAN_NET_FIELDS) {
		*why = "truncated PAN-OS TRAFFIC/THREAT log (fewer than 31 "
		       "fields)";
		return PAN_BAD;
	}
	mh_syslog_hdr_parse(p, hl, &h);
	if (h.host.n)
		mh_event_set(ev, MH_F_HOST, h.host.p, h.host.n);
	if (nf > 6 && f[6].n && pan_time(f[6].p, f[6].n, &ns)) {
		ev->time_ns = ns;
		mh_event_set(ev, MH_F_TIME, f[6].p, f[6].n);
	} else {
		pan_time(f[1].p, f[1].n, &ns);
		ev->time_ns = ns;
		mh_event_set(ev, MH_F_TIME, f[1].p, f[1].n);
	}
	mh_event_set(ev, MH_F_EVENT_TYPE, f[3].p, f[3].n);
	mh_event_set(ev, MH_F_DIALECT, "panos", 5);
	if (!net)
		return PAN_OK;
	for (size_t i = 0; i < MH_ARRAY_LEN(map); i++)
		if (put(ev, map[i].fld, &f[map[i].idx]) != MH_OK)
			return PAN_NOMEM;
	if (f[3].n == 7 && nf > 33) {
		if (put(ev, MH_F_BYTES_SENT, &f[32]) != MH_OK ||
		    put(ev, MH_F_BYTES_RECEIVED, &f[33]) != MH_OK)
			return PAN_NOMEM;
	}
	return PAN_OK;
}

static mh_rc pan_open(mh_reader *r, mh_err *err)
{
	MH_UNUSED(err);
	snprintf(r->dialect, sizeof(r->dialect), "panos");
	return MH_OK;
}

static mh_rc pan_next(mh_reader *r, mh_event *ev, mh_err *err)
{
	for (;;) {
		const char *why = NULL;
		uint64_t ln = 0;
		mh_str line;
		pan_rc pr;
		mh_rc rc = mh_syslog_next_line(r, &line, &ln, err);

		if (rc != MH_OK)
			return rc;
		mh_event_clear(ev);
		if (ev->arena)
			mh_arena_reset(ev->arena);
		ev->file = mh_source_name(r->src);
		ev->line = ln;
		pr = pan_line(ev, line.p, line.n, &why);
		if (pr == PAN_NOMEM)
			return mh_err_set(err, MH_ENOMEM, ev->file, ln, 0,
					  "out of memory decoding a PAN-OS "
					  "log");
		if (pr == PAN_BAD) {
			mh_reader_malformed(r, ln, "%s", why);
			continue;
		}
		r->stats.records++;
		return MH_OK;
	}
}

static void pan_close(mh_reader *r)
{
	MH_UNUSED(r);
}

/* First line: field 1 a PAN-OS receive time and field 3 a log type;
 * TRAFFIC/THREAT score higher than other types. */
static int pan_probe(const char *buf, size_t len)
{
	pan_field f[8];
	size_t hl, f0, nf;
	int64_t ns;
	mh_str l;

	if (!mh_syslog_first_line(buf, len, &l) || l.p[0] == '{' ||
	    l.p[0] == '[' || !locate(l.p, l.n, &hl, &f0))
		return 0;
	nf = split(l.p + f0, l.n - f0, f, MH_ARRAY_LEN(f));
	if (nf < 5 || !pan_time(f[1].p, f[1].n, &ns) || !type_word(&f[3]))
		return 0;
	if ((f[3].n == 7 && memcmp(f[3].p, "TRAFFIC", 7) == 0) ||
	    (f[3].n == 6 && memcmp(f[3].p, "THREAT", 6) == 0))
		return 95;
	return 70;
}

const mh_reader_ops mh_input_panos = {
    .name = "panos",
    .desc = "Palo Alto PAN-OS CSV syslog (TRAFFIC, THREAT)",
    .probe = pan_probe,
    .open = pan_open,
    .next = pan_next,
    .close = pan_close,
};
