/* Linux audit logs (auditd's audit.log, also behind a syslog header or
 * audisp's "node=HOST" prefix). One canonical event per audit EVENT:
 * the records sharing "msg=audit(SECONDS.MS:SERIAL)" are merged.
 *
 * Records of one event are written together but may interleave with
 * other events' records. Pending events sit in a small table (at most
 * AUD_WINDOW open events); an event is complete at its EOE record, or
 * when AUD_WINDOW newer events have started (single-record events have
 * no EOE), or at the end of the input. Records that arrive after their
 * event was flushed start a new (partial) event. Events come out in the
 * order they were completed.
 *
 * Mapping:
 *   SYSCALL: pid -> ProcessId, ppid -> ParentProcessId, uid (or the
 *     enriched UID name) -> User, auid (or AUID name; not 4294967295) ->
 *     AccountName, exe -> Image, comm -> ProcessName, key -> RuleName,
 *     syscall -> EventType (name for the socket/exec calls, else the
 *     number), success/exit -> Action: "success", "attempted" for
 *     success=no with exit=-115 (EINPROGRESS: a non-blocking connect in
 *     progress, which is how nc/curl connect), else "failed".
 *   SOCKADDR saddr (hex struct sockaddr, little-endian family): AF_INET
 *     (2) and AF_INET6 (10) give an address and port; for connect/sendto
 *     they are DestinationIp/Port (Initiated "true"), for accept the
 *     peer -> SourceIp/Port (Initiated "false"), for bind the local
 *     SourceIp/Port. AF_UNIX and other families: no network fields.
 *     Syscall numbers: x86_64 (arch=c000003e) and aarch64 (c00000b7).
 *   EXECVE a0..aN (aN[k] chunks joined) -> CommandLine, joined by ' ';
 *     else PROCTITLE (hex argv, NULs -> ' ') -> CommandLine.
 *   CWD cwd -> CurrentDirectory. node= or the syslog host -> Computer.
 *   EventTime = the audit timestamp. Other record types only set
 *   EventType (the first record's type) and the header fields.
 * String values are "quoted", or hex-encoded (decoded), or (null).
 * Malformed: a line without "type=" and "msg=audit(SEC.MS:SERIAL)". */
#include "input/input.h"
#include "input/syslog_hdr.h"
#include "util/ip.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AUD_SLOTS  16
#define AUD_WINDOW 8
#define AUD_BUF	   (64u << 10) /* decoded bytes kept per event */

enum sf {
	S_TYPE,
	S_TS,
	S_HOST,
	S_ARCH,
	S_SYSCALL,
	S_SUCCESS,
	S_EXIT,
	S_PID,
	S_PPID,
	S_UID,
	S_AUID,
	S_UIDNAME,
	S_AUIDNAME,
	S_COMM,
	S_EXE,
	S_KEY,
	S_CWD,
	S_PROCTITLE,
	S_EXECVE,
	S_SADDR, /* raw decoded sockaddr bytes */
	S__N
};

typedef struct aud_val {
	uint32_t off, n;
	bool set;
} aud_val;

typedef struct aud_slot {
	bool used, ready;
	uint64_t serial, seq, line;
	int64_t ns;
	char *buf;
	size_t len;
	aud_val f[S__N];
	char ip[48], port[8];
} aud_slot;

typedef struct aud_priv {
	aud_slot s[AUD_SLOTS];
	uint64_t seq;
	int emitted; /* slot returned by the last next(), or -1 */
	bool eof;
} aud_priv;

static bool dig(char c)
{
	return c >= '0' && c <= '9';
}

static int hexv(char c)
{
	if (dig(c))
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static bool is_hex(const char *p, size_t n)
{
	if (n == 0 || n % 2)
		return false;
	for (size_t i = 0; i < n; i++)
		if (hexv(p[i]) < 0)
			return false;
	return true;
}

/* Room for k more bytes in the slot buffer. */
static bool room(aud_slot *s, size_t k)
{
	return k <= AUD_BUF - s->len;
}

/* Copy p[0..n) as field f (replacing). Dropped when the buffer is full. */
static void store(aud_slot *s, enum sf f, const char *p, size_t n)
{
	if (!room(s, n))
		return;
	memcpy(s->buf + s->len, p, n);
	s->f[f] = (aud_val){(uint32_t)s->len, (uint32_t)n, true};
	s->len += n;
}

/* Append to field f (moving it to the buffer end first), with a
 * separator (unless sep is NUL) when it already has a value. */
static char *extend(aud_slot *s, enum sf f, size_t n, char sep)
{
	aud_val *v = &s->f[f];
	size_t need = n + (sep && v->set && v->n ? 1 : 0);
	char *o;

	if (v->set && v->off + v->n != s->len) {
		if (!room(s, v->n))
			return NULL;
		memmove(s->buf + s->len, s->buf + v->off, v->n);
		v->off = (uint32_t)s->len;
		s->len += v->n;
	}
	if (!room(s, need))
		return NULL;
	if (!v->set)
		*v = (aud_val){(uint32_t)s->len, 0, true};
	o = s->buf + s->len;
	if (need > n)
		*o++ = sep;
	s->len += need;
	v->n += (uint32_t)need;
	return o;
}

/* A string value: quoted, hex-encoded or (null). nul_sep: NULs in the
 * decoded bytes become spaces and trailing ones are dropped. */
static void store_str(aud_slot *s, enum sf f, const char *p, size_t n,
		      bool append, bool nul_sep)
{
	char *o;
	size_t k;

	if (n >= 2 && p[0] == '"') {
		p++;
		n -= 2;
	} else if (n == 6 && memcmp(p, "(null)", 6) == 0) {
		return;
	} else if (is_hex(p, n)) {
		k = n / 2;
		if (nul_sep)
			while (k && hexv(p[2 * k - 2]) == 0 &&
			       hexv(p[2 * k - 1]) == 0)
				k--;
		o = append ? extend(s, f, k, ' ') : NULL;
		if (!append) {
			if (!room(s, k))
				return;
			o = s->buf + s->len;
			s->f[f] =
			    (aud_val){(uint32_t)s->len, (uint32_t)k, true};
			s->len += k;
		}
		if (!o)
			return;
		for (size_t i = 0; i < k; i++) {
			char c =
			    (char)(hexv(p[2 * i]) * 16 + hexv(p[2 * i + 1]));
			o[i] = nul_sep && c == '\0' ? ' ' : c;
		}
		return;
	}
	if (append) {
		o = extend(s, f, n, ' ');
		if (o)
			memcpy(o, p, n);
	} else {
		store(s, f, p, n);
	}
}

static bool val_is(const aud_slot *s, enum sf f, const char *lit)
{
	size_t k = strlen(lit);

	return s->f[f].set && s->f[f].n == k &&
	       memcmp(s->buf + s->f[f].off, lit, k) == 0;
}

/* Parse "msg=audit(SEC.MS:SERIAL):" at p. */
static bool audit_stamp(const char *p, size_t n, int64_t *ns, uint64_t *serial,
			mh_str *ts, size_t *end)
{
	size_t i = 10, s;
	uint64_t sec = 0, ser = 0;
	int64_t frac = 0, scale = 1000000000LL;

	if (n < 10 || memcmp(p, "msg=audit(", 10) != 0)
		return false;
	s = i;
	while (i < n && dig(p[i]) && i - s < 12)
		sec = sec * 10 + (uint64_t)(p[i++] - '0');
	/* int64 ns holds seconds up to 2262 */
	if (i == s || i >= n || p[i] != '.' || sec > 9000000000ULL)
		return false;
	i++;
	while (i < n && dig(p[i])) {
		if (scale > 1) {
			scale /= 10;
			frac += (p[i] - '0') * scale;
		}
		i++;
	}
	*ts = (mh_str){p + s, i - s};
	if (i >= n || p[i] != ':')
		return false;
	s = ++i;
	while (i < n && dig(p[i]) && i - s < 19)
		ser = ser * 10 + (uint64_t)(p[i++] - '0');
	if (i == s || i >= n || p[i] != ')')
		return false;
	i++;
	if (i < n && p[i] == ':')
		i++;
	*ns = (int64_t)sec * 1000000000LL + frac;
	*serial = ser;
	*end = i;
	return true;
}

typedef struct kv {
	const char *k, *v;
	size_t kn, vn;
} kv;

/* Next key=value of a record body from *i; false at the end. Values
 * may be "quoted" or 'quoted'; 0x1d (enriched format) separates too. */
static bool next_kv(const char *p, size_t n, size_t *i, kv *o)
{
	size_t j = *i, ks;

	for (;;) {
		while (j < n && (p[j] == ' ' || p[j] == '\x1d'))
			j++;
		if (j >= n)
			return false;
		ks = j;
		while (j < n && p[j] != '=' && p[j] != ' ' && p[j] != '\x1d')
			j++;
		if (j < n && p[j] == '=')
			break;
	}
	o->k = p + ks;
	o->kn = j - ks;
	j++;
	o->v = p + j;
	if (j < n && (p[j] == '"' || p[j] == '\'')) {
		const char *q = memchr(p + j + 1, p[j], n - j - 1);
		size_t e = q ? (size_t)(q - p) + 1 : n;

		o->vn = e - j;
		j = e;
	} else {
		while (j < n && p[j] != ' ' && p[j] != '\x1d')
			j++;
		o->vn = (size_t)(p + j - o->v);
	}
	*i = j;
	return true;
}

static bool key_is(const kv *x, const char *lit)
{
	size_t k = strlen(lit);

	return x->kn == k && memcmp(x->k, lit, k) == 0;
}

static aud_slot *find_slot(aud_priv *pv, uint64_t serial)
{
	for (int i = 0; i < AUD_SLOTS; i++)
		if (pv->s[i].used && !pv->s[i].ready &&
		    pv->s[i].serial == serial)
			return &pv->s[i];
	return NULL;
}

/* Mark the oldest pending events ready until fewer than max pend. */
static void evict(aud_priv *pv, int max)
{
	for (;;) {
		aud_slot *old = NULL;
		int pend = 0;

		for (int i = 0; i < AUD_SLOTS; i++) {
			aud_slot *s = &pv->s[i];

			if (!s->used || s->ready)
				continue;
			pend++;
			if (!old || s->seq < old->seq)
				old = s;
		}
		if (pend < max || !old)
			return;
		old->ready = true;
	}
}

static aud_slot *new_slot(aud_priv *pv)
{
	evict(pv, AUD_WINDOW);
	for (int i = 0; i < AUD_SLOTS; i++) {
		aud_slot *s = &pv->s[i];

		if (!s->used && i != pv->emitted) {
			char *b = s->buf;

			memset(s, 0, sizeof(*s));
			s->buf = b;
			s->used = true;
			s->seq = pv->seq++;
			return s;
		}
	}
	return NULL;
}

static void record_fields(aud_slot *s, const char *type, size_t tn,
			  const char *p, size_t n)
{
	size_t i = 0;
	kv x;

#define TYPE_IS(lit) (tn == sizeof(lit) - 1 && memcmp(type, lit, tn) == 0)
	if (TYPE_IS("EOE")) {
		s->ready = true;
		return;
	}
	while (next_kv(p, n, &i, &x)) {
		if (TYPE_IS("SYSCALL")) {
			static const struct {
				const char *k;
				enum sf f;
				bool str;
			} m[] = {
			    {"arch", S_ARCH, false},
			    {"syscall", S_SYSCALL, false},
			    {"success", S_SUCCESS, false},
			    {"exit", S_EXIT, false},
			    {"pid", S_PID, false},
			    {"ppid", S_PPID, false},
			    {"uid", S_UID, false},
			    {"auid", S_AUID, false},
			    {"UID", S_UIDNAME, true},
			    {"AUID", S_AUIDNAME, true},
			    {"comm", S_COMM, true},
			    {"exe", S_EXE, true},
			    {"key", S_KEY, true},
			};

			for (size_t k = 0; k < MH_ARRAY_LEN(m); k++) {
				if (!key_is(&x, m[k].k))
					continue;
				if (m[k].str)
					store_str(s, m[k].f, x.v, x.vn, false,
						  false);
				else
					store(s, m[k].f, x.v, x.vn);
				break;
			}
		} else if (TYPE_IS("SOCKADDR") && key_is(&x, "saddr")) {
			store_str(s, S_SADDR, x.v, x.vn, false, false);
		} else if (TYPE_IS("PROCTITLE") && key_is(&x, "proctitle")) {
			store_str(s, S_PROCTITLE, x.v, x.vn, false, true);
		} else if (TYPE_IS("CWD") && key_is(&x, "cwd")) {
			store_str(s, S_CWD, x.v, x.vn, false, false);
		} else if (TYPE_IS("EXECVE") && x.kn >= 2 && x.k[0] == 'a' &&
			   dig(x.k[1])) {
			size_t j = 1;
			bool chunk;

			while (j < x.kn && dig(x.k[j]))
				j++;
			if (j < x.kn && x.k[j] != '[')
				continue; /* a1_len= */
			chunk = j < x.kn && !(x.kn - j == 3 &&
					      memcmp(x.k + j, "[0]", 3) == 0);
			if (chunk) {
				/* aN[k], k > 0: glue to the previous piece */
				bool hx = is_hex(x.v, x.vn);
				const char *v = x.v;
				size_t k = hx ? x.vn / 2 : x.vn;
				char *o;

				if (!hx && k >= 2 && v[0] == '"') {
					v++;
					k -= 2;
				}
				o = extend(s, S_EXECVE, k, '\0');
				for (size_t q = 0; o && q < k; q++)
					o[q] = hx ? (char)(hexv(v[2 * q]) * 16 +
							   hexv(v[2 * q + 1]))
						  : v[q];
				continue;
			}
			store_str(s, S_EXECVE, x.v, x.vn, true, false);
		}
	}
#undef TYPE_IS
}

/* One audit line into the table. Returns NULL or why it is malformed. */
static const char *aud_line(aud_priv *pv, const char *p, size_t n, uint64_t ln)
{
	size_t t = 0, m, e;
	mh_str type, ts, node = {0};
	mh_syslog_hdr h = {0};
	uint64_t serial;
	int64_t ns;
	aud_slot *s;

	/* "type=" at the start or after a header / "node=X " */
	for (;;) {
		t = t + mh_syslog_find(p + t, n - t, "type=", 5);
		if (t >= n)
			return "not an audit record (no type=)";
		if (t == 0 || p[t - 1] == ' ')
			break;
		t++;
	}
	e = t + 5;
	while (e < n && p[e] != ' ')
		e++;
	type = (mh_str){p + t + 5, e - t - 5};
	if (type.n == 0)
		return "empty audit record type";
	while (e < n && p[e] == ' ')
		e++;
	if (!audit_stamp(p + e, n - e, &ns, &serial, &ts, &m))
		return "bad or missing msg=audit(SECONDS.MS:SERIAL)";
	if (t >= 5) {
		size_t ns0 = mh_syslog_find(p, t, "node=", 5);

		if (ns0 < t && (ns0 == 0 || p[ns0 - 1] == ' ')) {
			size_t k = ns0 + 5;

			while (k < t && p[k] != ' ')
				k++;
			node = (mh_str){p + ns0 + 5, k - ns0 - 5};
			mh_syslog_hdr_parse(p, ns0, &h);
		} else {
			mh_syslog_hdr_parse(p, t, &h);
		}
	}
	s = find_slot(pv, serial);
	if (!s) {
		s = new_slot(pv);
		if (!s)
			return "audit event table full: record dropped";
		s->serial = serial;
		s->ns = ns;
		s->line = ln;
		store(s, S_TYPE, type.p, type.n);
		store(s, S_TS, ts.p, ts.n);
		if (node.n)
			store(s, S_HOST, node.p, node.n);
		else if (h.host.n)
			store(s, S_HOST, h.host.p, h.host.n);
	} else if (type.n == 7 && memcmp(type.p, "SYSCALL", 7) == 0) {
		store(s, S_TYPE, type.p, type.n);
	}
	record_fields(s, type.p, type.n, p + e + m, n - e - m);
	return NULL;
}

/* Syscall role for the sockaddr: 'd' destination, 's' peer source,
 * 'l' local (bind), 0 none. Name in *name. */
static char sys_role(const aud_slot *s, const char **name)
{
	static const struct {
		const char *nr, *name;
		char role;
	} x86[] = {{"42", "connect", 'd'},  {"44", "sendto", 'd'},
		   {"46", "sendmsg", 'd'},  {"43", "accept", 's'},
		   {"288", "accept4", 's'}, {"49", "bind", 'l'},
		   {"59", "execve", 0},	    {"322", "execveat", 0},
		   {"41", "socket", 0}},
	  arm[] = {{"203", "connect", 'd'}, {"206", "sendto", 'd'},
		   {"211", "sendmsg", 'd'}, {"202", "accept", 's'},
		   {"242", "accept4", 's'}, {"200", "bind", 'l'},
		   {"221", "execve", 0},    {"281", "execveat", 0},
		   {"198", "socket", 0}};
	const char *nr = s->buf + s->f[S_SYSCALL].off;
	size_t nn = s->f[S_SYSCALL].n;

	*name = NULL;
	if (!s->f[S_SYSCALL].set)
		return 0;
	if (val_is(s, S_ARCH, "c000003e")) {
		for (size_t i = 0; i < MH_ARRAY_LEN(x86); i++)
			if (strlen(x86[i].nr) == nn &&
			    memcmp(x86[i].nr, nr, nn) == 0) {
				*name = x86[i].name;
				return x86[i].role;
			}
	} else if (val_is(s, S_ARCH, "c00000b7")) {
		for (size_t i = 0; i < MH_ARRAY_LEN(arm); i++)
			if (strlen(arm[i].nr) == nn &&
			    memcmp(arm[i].nr, nr, nn) == 0) {
				*name = arm[i].name;
				return arm[i].role;
			}
	}
	return 0;
}

/* Decode the sockaddr into s->ip / s->port. False if not AF_INET(6). */
static bool sockaddr_ip(aud_slot *s)
{
	const unsigned char *b =
	    (const unsigned char *)s->buf + s->f[S_SADDR].off;
	size_t n = s->f[S_SADDR].n;
	unsigned fam, port;
	mh_ip ip;

	if (!s->f[S_SADDR].set || n < 2)
		return false;
	fam = b[0] | (unsigned)b[1] << 8;
	memset(&ip, 0, sizeof(ip));
	if (fam == 2 && n >= 8) {
		ip.v4 = true;
		ip.b[10] = ip.b[11] = 0xff;
		memcpy(ip.b + 12, b + 4, 4);
	} else if (fam == 10 && n >= 24) {
		memcpy(ip.b, b + 8, 16);
		ip.v4 = ip.b[10] == 0xff && ip.b[11] == 0xff &&
			!memcmp(ip.b, "\0\0\0\0\0\0\0\0\0\0", 10);
	} else {
		return false;
	}
	port = (unsigned)b[2] << 8 | b[3];
	mh_ip_format(&ip, s->ip, sizeof(s->ip));
	snprintf(s->port, sizeof(s->port), "%u", port);
	return true;
}

static void setf(mh_event *ev, mh_field f, const aud_slot *s, enum sf k)
{
	if (s->f[k].set && s->f[k].n)
		mh_event_set(ev, f, s->buf + s->f[k].off, s->f[k].n);
}

static void lit(mh_event *ev, mh_field f, const char *v)
{
	mh_event_set(ev, f, v, strlen(v));
}

static void emit(mh_reader *r, aud_slot *s, mh_event *ev)
{
	const char *name = NULL;
	char role;

	mh_event_clear(ev);
	if (ev->arena)
		mh_arena_reset(ev->arena);
	ev->file = mh_source_name(r->src);
	ev->line = s->line;
	ev->time_ns = s->ns;
	setf(ev, MH_F_TIME, s, S_TS);
	lit(ev, MH_F_DIALECT, "auditd");
	lit(ev, MH_F_PROVIDER, "auditd");
	setf(ev, MH_F_HOST, s, S_HOST);
	setf(ev, MH_F_EVENT_TYPE, s, S_TYPE);
	setf(ev, MH_F_PROCESS_ID, s, S_PID);
	setf(ev, MH_F_PARENT_PROCESS_ID, s, S_PPID);
	setf(ev, MH_F_USER, s, S_UID);
	setf(ev, MH_F_USER, s, S_UIDNAME);
	if (!val_is(s, S_AUID, "4294967295") && !val_is(s, S_AUID, "-1"))
		setf(ev, MH_F_ACCOUNT_NAME, s, S_AUID);
	setf(ev, MH_F_ACCOUNT_NAME, s, S_AUIDNAME);
	setf(ev, MH_F_IMAGE, s, S_EXE);
	setf(ev, MH_F_PROCESS_NAME, s, S_COMM);
	setf(ev, MH_F_RULE_NAME, s, S_KEY);
	setf(ev, MH_F_CURRENT_DIRECTORY, s, S_CWD);
	setf(ev, MH_F_COMMAND_LINE, s, S_PROCTITLE);
	setf(ev, MH_F_COMMAND_LINE, s, S_EXECVE);
	if (s->f[S_SUCCESS].set) {
		if (val_is(s, S_SUCCESS, "yes"))
			lit(ev, MH_F_ACTION, "success");
		else if (val_is(s, S_EXIT, "-115"))
			lit(ev, MH_F_ACTION, "attempted");
		else
			lit(ev, MH_F_ACTION, "failed");
	}
	role = sys_role(s, &name);
	if (name)
		lit(ev, MH_F_EVENT_TYPE, name);
	else if (s->f[S_SYSCALL].set && val_is(s, S_TYPE, "SYSCALL"))
		setf(ev, MH_F_EVENT_TYPE, s, S_SYSCALL);
	if (role && sockaddr_ip(s)) {
		bool dst = role == 'd';

		mh_event_set(ev, dst ? MH_F_DESTINATION_IP : MH_F_SOURCE_IP,
			     s->ip, strlen(s->ip));
		mh_event_set(ev, dst ? MH_F_DESTINATION_PORT : MH_F_SOURCE_PORT,
			     s->port, strlen(s->port));
		if (role != 'l')
			lit(ev, MH_F_INITIATED, dst ? "true" : "false");
	}
}

static mh_rc aud_open(mh_reader *r, mh_err *err)
{
	aud_priv *pv = calloc(1, sizeof(*pv));

	if (!pv)
		goto nomem;
	pv->emitted = -1;
	for (int i = 0; i < AUD_SLOTS; i++) {
		pv->s[i].buf = malloc(AUD_BUF);
		if (!pv->s[i].buf)
			goto nomem;
	}
	r->priv = pv;
	snprintf(r->dialect, sizeof(r->dialect), "auditd");
	return MH_OK;
nomem:
	if (pv)
		for (int i = 0; i < AUD_SLOTS; i++)
			free(pv->s[i].buf);
	free(pv);
	return mh_err_set(err, MH_ENOMEM, mh_source_name(r->src), 0, 0,
			  "out of memory");
}

static aud_slot *oldest_ready(aud_priv *pv)
{
	aud_slot *o = NULL;

	for (int i = 0; i < AUD_SLOTS; i++) {
		aud_slot *s = &pv->s[i];

		if (s->used && s->ready && (!o || s->seq < o->seq))
			o = s;
	}
	return o;
}

static mh_rc aud_next(mh_reader *r, mh_event *ev, mh_err *err)
{
	aud_priv *pv = r->priv;

	if (!pv)
		return MH_EOF;
	if (pv->emitted >= 0) {
		pv->s[pv->emitted].used = false;
		pv->emitted = -1;
	}
	for (;;) {
		aud_slot *s = oldest_ready(pv);
		const char *why;
		uint64_t ln = 0;
		mh_str line;
		mh_rc rc;

		if (s) {
			emit(r, s, ev);
			pv->emitted = (int)(s - pv->s);
			r->stats.records++;
			return MH_OK;
		}
		if (pv->eof)
			return MH_EOF;
		rc = mh_syslog_next_line(r, &line, &ln, err);
		if (rc == MH_EOF) {
			pv->eof = true;
			evict(pv, 1);
			continue;
		}
		if (rc != MH_OK)
			return rc;
		why = aud_line(pv, line.p, line.n, ln);
		if (why)
			mh_reader_malformed(r, ln, "%s", why);
	}
}

static void aud_close(mh_reader *r)
{
	aud_priv *pv = r->priv;

	if (!pv)
		return;
	for (int i = 0; i < AUD_SLOTS; i++)
		free(pv->s[i].buf);
	free(pv);
	r->priv = NULL;
}

/* "type=WORD msg=audit(" on the first line (at its start, or after a
 * syslog header or node=). */
static int aud_probe(const char *buf, size_t len)
{
	size_t t, e, m;
	mh_str l, ts;
	uint64_t serial;
	int64_t ns;

	if (!mh_syslog_first_line(buf, len, &l) || l.p[0] == '{' ||
	    l.p[0] == '[')
		return 0;
	t = mh_syslog_find(l.p, l.n, "type=", 5);
	if (t == l.n || (t && l.p[t - 1] != ' '))
		return 0;
	e = t + 5;
	while (e < l.n && l.p[e] >= 'A' && l.p[e] <= 'Z')
		e++;
	while (e < l.n && (l.p[e] == '_' || (l.p[e] >= 'A' && l.p[e] <= 'Z')))
		e++;
	if (e == t + 5 || e >= l.n || l.p[e] != ' ')
		return 0;
	e++;
	if (!audit_stamp(l.p + e, l.n - e, &ns, &serial, &ts, &m))
		return 0;
	return 95;
}

const mh_reader_ops mh_input_auditd = {
    .name = "auditd",
    .desc = "Linux auditd logs (connect/execve events merged per serial)",
    .probe = aud_probe,
    .open = aud_open,
    .next = aud_next,
    .close = aud_close,
};
