/* Derived canonical fields (see normalize.h and docs/schema.md).
 *
 * Every derived value is a slice into an existing value, a static
 * string or ctx->ports (which lives as long as the ruleset); the only
 * allocation is the Defender Image join, in ev->arena. No locale. */
#include "event/normalize.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
}

static bool ieq(const mh_str *s, const char *lit)
{
	size_t n = strlen(lit);

	if (s->n != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (lower(s->p[i]) != lit[i])
			return false;
	return true;
}

static bool ieq_mem(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (lower(a[i]) != lower(b[i]))
			return false;
	return true;
}

static bool want(const mh_norm_ctx *ctx, bool all, mh_field f)
{
	return all || mh_fieldset_has(&ctx->need, f);
}

/* Image values that name no executable. */
static bool placeholder_image(const mh_str *s)
{
	return s->n == 0 || ieq(s, "(null)") || ieq(s, "-") ||
	       ieq(s, "<unknown process>");
}

static bool is_sep(char c)
{
	return c == '\\' || c == '/';
}

/* Basename after the last '\' or '/'; n == 0 if the path ends in one. */
static mh_str basename_of(const mh_str *s)
{
	size_t i = s->n;

	while (i > 0 && !is_sep(s->p[i - 1]))
		i--;
	return (mh_str){s->p + i, s->n - i};
}

static void set_static(mh_event *ev, mh_field f, const char *lit)
{
	mh_event_set(ev, f, lit, strlen(lit));
}

/* Defender: InitiatingProcessFolderPath is sometimes only the folder.
 * When the dialect is "mde", ProcessName is set and the basename of
 * Image is neither ProcessName (case-insensitive) nor an ".exe" file,
 * Image becomes Image + sep + ProcessName, sep being '/' for a path with
 * '/' and no '\', else '\'. A trailing separator is not doubled. */
static void join_mde_image(mh_event *ev)
{
	const mh_str *dia = mh_event_get(ev, MH_F_DIALECT);
	const mh_str *img = mh_event_get(ev, MH_F_IMAGE);
	const mh_str *pn = mh_event_get(ev, MH_F_PROCESS_NAME);
	mh_str base;
	char sep = '\\', *buf;
	bool trail;
	size_t n;

	if (!dia || !img || !pn || !ieq(dia, "mde") || pn->n == 0 ||
	    placeholder_image(img) || placeholder_image(pn))
		return;
	base = basename_of(img);
	if (base.n == pn->n && ieq_mem(base.p, pn->p, pn->n))
		return;
	if (base.n > 4 && ieq_mem(base.p + base.n - 4, ".exe", 4))
		return;
	if (!ev->arena)
		return;
	if (memchr(img->p, '/', img->n) && !memchr(img->p, '\\', img->n))
		sep = '/';
	trail = is_sep(img->p[img->n - 1]);
	n = img->n + !trail + pn->n;
	buf = mh_arena_alloc(ev->arena, n + 1);
	if (!buf)
		return; /* out of memory: keep the source value */
	memcpy(buf, img->p, img->n);
	if (!trail)
		buf[img->n] = sep;
	memcpy(buf + img->n + !trail, pn->p, pn->n);
	buf[n] = '\0';
	mh_event_set(ev, MH_F_IMAGE, buf, n);
}

/* Dialects whose records carry a process name field of their own. For
 * them an absent name stays absent, as it is in the SIEM the profiles
 * reproduce (EQL `not process.name in~ (...)` on a null name, SPL
 * `stats by process_name` dropping it): deriving one from the path would
 * change those results. Sysmon has only Image, so it is derived there. */
static bool dialect_has_own_name(const mh_event *ev)
{
	static const char *const own[] = {"mde", "ecs", "splunk", "qradar",
					  "sumo"};
	const mh_str *dia = mh_event_get(ev, MH_F_DIALECT);

	if (!dia)
		return false;
	for (size_t i = 0; i < MH_ARRAY_LEN(own); i++)
		if (ieq(dia, own[i]))
			return true;
	return false;
}

static void derive_process_name(mh_event *ev)
{
	const mh_str *img = mh_event_get(ev, MH_F_IMAGE);
	mh_str base;

	if (mh_event_has(ev, MH_F_PROCESS_NAME) || !img ||
	    placeholder_image(img) || dialect_has_own_name(ev))
		return;
	base = basename_of(img);
	if (base.n)
		mh_event_set(ev, MH_F_PROCESS_NAME, base.p, base.n);
}

static const char *direction_word(const mh_str *s)
{
	static const struct {
		const char *in, *out;
	} map[] = {
	    {"l2r", "outbound"},
	    {"r2l", "inbound"},
	    {"l2l", "local"},
	    {"r2r", "external"},
	    {"outbound", "outbound"},
	    {"egress", "outbound"},
	    {"inbound", "inbound"},
	    {"ingress", "inbound"},
	    {"internal", "local"},
	    {"external", "external"},
	    {"local", "local"},
	    /* Windows Security 5156/5157: unresolved message ids */
	    {"%%14593", "outbound"},
	    {"%%14592", "inbound"},
	};

	for (size_t i = 0; i < MH_ARRAY_LEN(map); i++)
		if (ieq(s, map[i].in))
			return map[i].out;
	return NULL;
}

static bool ip_home(const mh_norm_ctx *ctx, const mh_event *ev, mh_field f,
		    bool *home)
{
	const mh_str *s = mh_event_get(ev, f);
	mh_ip ip;

	if (!s || !mh_ip_parse(s->p, s->n, &ip))
		return false;
	*home = false;
	for (size_t i = 0; i < ctx->nhome; i++) {
		if (mh_cidr_contains(&ctx->home_net[i], &ip)) {
			*home = true;
			break;
		}
	}
	return true;
}

static int bool_word(const mh_str *s)
{
	if (!s)
		return -1;
	if (ieq(s, "true") || ieq(s, "t") || ieq(s, "1"))
		return 1;
	if (ieq(s, "false") || ieq(s, "f") || ieq(s, "0"))
		return 0;
	return -1;
}

/* Zeek conn.log local_orig / local_resp (Site::local_nets): T/F is
 * outbound, F/T inbound, T/T local. F/F is left to --home-net: it is
 * also what Zeek writes when local_nets is not configured. */
static const char *zeek_local_direction(const mh_event *ev)
{
	int o = bool_word(mh_event_get(ev, MH_F_LOCAL_ORIG));
	int r = bool_word(mh_event_get(ev, MH_F_LOCAL_RESP));

	if (o == 1 && r == 0)
		return "outbound";
	if (o == 0 && r == 1)
		return "inbound";
	if (o == 1 && r == 1)
		return "local";
	return NULL;
}

/* EventDirection (QRadar/ECS), else Initiated (Sysmon), else Zeek
 * local_orig/local_resp, else home-net.
 * An unknown EventDirection value falls through to the next source. */
static void derive_direction(const mh_norm_ctx *ctx, mh_event *ev)
{
	const mh_str *s;
	const char *d = NULL;
	bool src_in, dst_in;

	if (mh_event_has(ev, MH_F_DIRECTION))
		return;
	s = mh_event_get(ev, MH_F_EVENT_DIRECTION);
	if (s)
		d = direction_word(s);
	if (!d && (s = mh_event_get(ev, MH_F_INITIATED))) {
		if (ieq(s, "true") || ieq(s, "1"))
			d = "outbound";
		else if (ieq(s, "false") || ieq(s, "0"))
			d = "inbound";
	}
	if (!d)
		d = zeek_local_direction(ev);
	if (!d && ctx->nhome && ip_home(ctx, ev, MH_F_SOURCE_IP, &src_in) &&
	    ip_home(ctx, ev, MH_F_DESTINATION_IP, &dst_in)) {
		if (src_in)
			d = dst_in ? "local" : "outbound";
		else
			d = dst_in ? "inbound" : "external";
	}
	if (d)
		set_static(ev, MH_F_DIRECTION, d);
}

/* ICMP (IANA protocol 1, ICMPv6 58, or the name) keeps its type and
 * code in the port fields of Windows 5156/5157, Zeek conn.log and
 * others: they are never ports (ICMPv6 type 143 is not IMAP). */
static bool is_icmp(const mh_str *s)
{
	mh_str t = *s;

	while (t.n && (t.p[0] == ' ' || t.p[0] == '\t')) {
		t.p++;
		t.n--;
	}
	while (t.n && (t.p[t.n - 1] == ' ' || t.p[t.n - 1] == '\t'))
		t.n--;
	return ieq(&t, "1") || ieq(&t, "58") || ieq(&t, "icmp") ||
	       ieq(&t, "icmpv6") || ieq(&t, "icmp6") || ieq(&t, "ipv6-icmp");
}

static void unset_icmp_ports(mh_event *ev)
{
	const mh_str *p = mh_event_get(ev, MH_F_PROTOCOL);

	if (!p || !is_icmp(p))
		return;
	mh_event_unset(ev, MH_F_SOURCE_PORT);
	mh_event_unset(ev, MH_F_DESTINATION_PORT);
	mh_event_unset(ev, MH_F_SOURCE_PORT_NAME);
	mh_event_unset(ev, MH_F_DESTINATION_PORT_NAME);
}

/* Windows Security Filtering Platform events carry their verdict in the
 * event id: 5156 (connection) and 5158 (bind) permitted, 5157 and 5159
 * blocked. Used when neither Outcome nor Action is set. */
static const char *winsec_outcome(const mh_event *ev)
{
	const mh_str *dia = mh_event_get(ev, MH_F_DIALECT);
	const mh_str *ch = mh_event_get(ev, MH_F_CHANNEL);
	int64_t id;

	if (!(dia && ieq(dia, "winsec")) && !(ch && ieq(ch, "security")))
		return NULL;
	if (!mh_event_int(ev, MH_F_EVENT_ID, &id))
		return NULL;
	if (id == 5156 || id == 5158)
		return "allowed";
	if (id == 5157 || id == 5159)
		return "denied";
	return NULL;
}

/* Outcome vocabulary: endpoint connection results are attempted /
 * succeeded / failed; firewall verdicts are allowed / denied. Matching is
 * case-insensitive; the canonical words map to themselves. */
static const char *outcome_word(const mh_str *s)
{
	static const struct {
		const char *in, *out;
	} map[] = {
	    {"connectionsuccess", "succeeded"},
	    {"inboundconnectionaccepted", "succeeded"},
	    {"success", "succeeded"},
	    {"succeeded", "succeeded"},
	    {"connectionattempt", "attempted"},
	    {"connectionrequest", "attempted"},
	    {"connection_attempted", "attempted"},
	    {"attempted", "attempted"},
	    {"connectionfailed", "failed"},
	    {"failure", "failed"},
	    {"failed", "failed"},
	    {"allowed", "allowed"},
	    {"allow", "allowed"},
	    {"accept", "allowed"},
	    {"accepted", "allowed"},
	    {"pass", "allowed"},
	    {"permit", "allowed"},
	    {"permitted", "allowed"},
	    {"blocked", "denied"},
	    {"block", "denied"},
	    {"deny", "denied"},
	    {"denied", "denied"},
	    {"drop", "denied"},
	    {"dropped", "denied"},
	    {"reject", "denied"},
	    {"rejected", "denied"},
	    /* PAN-OS session-end actions */
	    {"reset-client", "denied"},
	    {"reset-server", "denied"},
	    {"reset-both", "denied"},
	    {"drop-icmp", "denied"},
	    /* Zeek conn_state (mapped to Action): S0 = no reply, REJ =
	     * rejected, SF = normal establishment and termination */
	    {"s0", "attempted"},
	    {"rej", "failed"},
	    {"sf", "succeeded"},
	    /* established, then closed or reset by one side, or still open */
	    {"s1", "succeeded"},
	    {"s2", "succeeded"},
	    {"s3", "succeeded"},
	    {"rsto", "succeeded"},
	    {"rstr", "succeeded"},
	    /* SYN (and FIN) from the originator, no reply */
	    {"sh", "attempted"},
	    {"rstos0", "attempted"},
	};

	for (size_t i = 0; i < MH_ARRAY_LEN(map); i++)
		if (ieq(s, map[i].in))
			return map[i].out;
	return NULL;
}

/* A source Outcome (ECS event.outcome success/failure) is rewritten to
 * the canonical word; other source values are kept. Unset Outcome comes
 * from Action; an unknown Action leaves it unset. */
static void derive_outcome(mh_event *ev)
{
	const mh_str *s = mh_event_get(ev, MH_F_OUTCOME);
	const char *o;

	if (s) {
		if (ieq(s, "success"))
			set_static(ev, MH_F_OUTCOME, "succeeded");
		else if (ieq(s, "failure"))
			set_static(ev, MH_F_OUTCOME, "failed");
		return;
	}
	s = mh_event_get(ev, MH_F_ACTION);
	if (s && (o = outcome_word(s)))
		set_static(ev, MH_F_OUTCOME, o);
	else if (!s && (o = winsec_outcome(ev)))
		set_static(ev, MH_F_OUTCOME, o);
}

static void derive_mail_protocol(const mh_norm_ctx *ctx, mh_event *ev)
{
	int64_t port;

	if (mh_event_has(ev, MH_F_MAIL_PROTOCOL) || !ctx->nports ||
	    !mh_event_int(ev, MH_F_DESTINATION_PORT, &port) || port < 0 ||
	    port > 65535)
		return;
	for (size_t i = 0; i < ctx->nports; i++) {
		const mh_portmap_entry *e = &ctx->ports[i];
		if (e->port == port) {
			mh_event_set(ev, MH_F_MAIL_PROTOCOL, e->proto,
				     strnlen(e->proto, sizeof(e->proto)));
			return;
		}
	}
}

/* Zeek writes several detected protocols into one string ("ssl,smtp",
 * "imap,ssl") in conn.log, in TSV and JSON alike: make it a list field
 * so a rule value matches each protocol. Copies into ev->arena; without
 * an arena (or out of memory) the value is kept as is. */
static void split_service(mh_event *ev)
{
	const mh_str *s = mh_event_get(ev, MH_F_SERVICE);
	char *buf;

	if (!s || mh_fieldset_has(&ev->multi, MH_F_SERVICE) || !ev->arena ||
	    !memchr(s->p, ',', s->n))
		return;
	buf = mh_arena_alloc(ev->arena, s->n + 1);
	if (!buf)
		return;
	for (size_t i = 0; i < s->n; i++)
		buf[i] = s->p[i] == ',' ? MH_LIST_SEP : s->p[i];
	buf[s->n] = '\0';
	mh_event_set(ev, MH_F_SERVICE, buf, s->n);
	mh_fieldset_add(&ev->multi, MH_F_SERVICE);
}

/* Suricata writes SMTP envelope addresses as in the protocol,
 * "<a@b.example>"; Zeek and the mail logs write a@b.example. Drop one
 * pair of angle brackets around each address (each list element) so
 * rules see one form. A single value is sliced; a list is rebuilt in
 * ev->arena (kept as is without an arena). */
static void strip_angles(mh_event *ev, mh_field f)
{
	const mh_str *s = mh_event_get(ev, f);
	char *buf, *o;
	size_t i = 0;
	bool first = true;

	if (!s || s->n < 2 || !memchr(s->p, '<', s->n))
		return;
	if (!mh_fieldset_has(&ev->multi, f)) {
		if (s->p[0] == '<' && s->p[s->n - 1] == '>')
			mh_event_set(ev, f, s->p + 1, s->n - 2);
		return;
	}
	if (!ev->arena || !(buf = mh_arena_alloc(ev->arena, s->n + 1)))
		return;
	o = buf;
	while (i <= s->n) {
		const char *e = memchr(s->p + i, MH_LIST_SEP, s->n - i);
		size_t j = e ? (size_t)(e - s->p) : s->n, b = i, len = j - i;

		if (len >= 2 && s->p[b] == '<' && s->p[j - 1] == '>') {
			b++;
			len -= 2;
		}
		if (!first)
			*o++ = MH_LIST_SEP;
		first = false;
		memcpy(o, s->p + b, len);
		o += len;
		i = j + 1;
	}
	*o = '\0';
	mh_event_set(ev, f, buf, (size_t)(o - buf));
}

/* A Zeek smtp.log record (it has SMTP transaction fields) is an SMTP
 * session over TCP, although the log has no service or proto column: say
 * so, as Zeek's conn.log and Elastic's pipeline do. */
static void zeek_smtp_record(mh_event *ev)
{
	const mh_str *dia = mh_event_get(ev, MH_F_DIALECT);

	if (!dia || !ieq(dia, "zeek") ||
	    !(mh_event_has(ev, MH_F_HELO) || mh_event_has(ev, MH_F_MAIL_FROM) ||
	      mh_event_has(ev, MH_F_RCPT_TO)))
		return;
	if (!mh_event_has(ev, MH_F_SERVICE))
		mh_event_set(ev, MH_F_SERVICE, "smtp", 4);
	if (!mh_event_has(ev, MH_F_PROTOCOL))
		mh_event_set(ev, MH_F_PROTOCOL, "tcp", 3);
}

void mh_event_normalize(const mh_norm_ctx *ctx, mh_event *ev)
{
	bool all = true;

	for (unsigned i = 0; i < MH_FIELD_WORDS; i++)
		if (ctx->need.w[i])
			all = false;
	/* Always, and first: MailProtocol must never come from an ICMP
	 * type. */
	unset_icmp_ports(ev);
	/* The join needs the source's ProcessName, so it runs before a
	 * ProcessName could be derived from the (folder-only) Image. */
	if (want(ctx, all, MH_F_IMAGE))
		join_mde_image(ev);
	if (want(ctx, all, MH_F_PROCESS_NAME))
		derive_process_name(ev);
	if (want(ctx, all, MH_F_DIRECTION))
		derive_direction(ctx, ev);
	if (want(ctx, all, MH_F_OUTCOME))
		derive_outcome(ev);
	if (want(ctx, all, MH_F_MAIL_PROTOCOL))
		derive_mail_protocol(ctx, ev);
	if (want(ctx, all, MH_F_LOOKALIKE_OF))
		mh_event_lookalike(ctx->lookalikes, ctx->nlookalikes, ev);
	if (want(ctx, all, MH_F_SERVICE) || want(ctx, all, MH_F_PROTOCOL))
		zeek_smtp_record(ev);
	if (want(ctx, all, MH_F_SERVICE))
		split_service(ev);
	if (want(ctx, all, MH_F_MAIL_FROM))
		strip_angles(ev, MH_F_MAIL_FROM);
	if (want(ctx, all, MH_F_RCPT_TO))
		strip_angles(ev, MH_F_RCPT_TO);
}

bool mh_event_norm_sources(mh_field f, mh_fieldset *src)
{
	switch (f) {
	case MH_F_IMAGE:
	case MH_F_PROCESS_NAME:
		/* join_mde_image(): Image + sep + ProcessName;
		 * derive_process_name(): the basename of Image */
		mh_fieldset_add(src, MH_F_IMAGE);
		mh_fieldset_add(src, MH_F_PROCESS_NAME);
		return true;
	case MH_F_DIRECTION:
	case MH_F_OUTCOME:
	case MH_F_MAIL_PROTOCOL:
	case MH_F_LOOKALIKE_OF:
	case MH_F_SERVICE:
	case MH_F_PROTOCOL:
	case MH_F_MAIL_FROM:
	case MH_F_RCPT_TO:
	case MH_F_DIALECT:
		return false; /* derived words, rewritten lists */
	default:
		if (mh_field_type(f) != MH_T_STR)
			return false;
		mh_fieldset_add(src, f);
		return true;
	}
}

static bool blank(char c)
{
	return c == ' ' || c == '\t';
}

mh_rc mh_home_net_parse(const char *spec, mh_cidr **out, size_t *n, mh_err *err)
{
	size_t count = 1, len, i = 0, k = 0;
	mh_cidr *arr = NULL;
	mh_rc rc = MH_OK;

	*out = NULL;
	*n = 0;
	if (!spec)
		return mh_err_set(err, MH_EINVAL, NULL, 0, 0,
				  "--home-net: empty list");
	len = strlen(spec);
	for (size_t j = 0; j < len; j++)
		count += spec[j] == ',';
	arr = calloc(count, sizeof(*arr));
	if (!arr)
		return mh_err_set(err, MH_ENOMEM, NULL, 0, 0,
				  "--home-net: out of memory");
	for (size_t elem = 1; elem <= count; elem++) {
		size_t start = i, end, b, e;

		while (i < len && spec[i] != ',')
			i++;
		end = i++;
		b = start;
		e = end;
		while (b < e && blank(spec[b]))
			b++;
		while (e > b && blank(spec[e - 1]))
			e--;
		if (b == e && count == 1) {
			rc = mh_err_set(err, MH_EINVAL, NULL, 0, 1,
					"--home-net: empty list");
			goto out;
		}
		if (!mh_cidr_parse(spec + b, e - b, &arr[k])) {
			rc = mh_err_set(err, MH_EINVAL, NULL, 0,
					(uint32_t)(b + 1),
					"--home-net: element %zu \"%.*s\" (at "
					"column %zu) is not an IP address or "
					"CIDR block",
					elem, (int)(e - b > 64 ? 64 : e - b),
					spec + b, b + 1);
			goto out;
		}
		k++;
	}
	*out = arr;
	*n = k;
	arr = NULL;
out:
	if (err && rc != MH_OK)
		snprintf(err->field, sizeof(err->field), "home-net");
	free(arr);
	return rc;
}
