/* Table writer: layout, WHY column, --explain, colours, terminal
 * escaping, truncation, summary line. */
#include "mh_test.h"
#include "output_fixture.h"

#define T1 "2021-03-14T06:39:30.227Z"
#define T2 "2021-03-14T06:39:39.023Z"
#define HDR                                                                    \
	"LEVEL   COUNT  FIRST SEEN                LAST SEEN                 "  \
	"RULE               WHY\n"
#define ROW1_REST                                                              \
	"3  " T1 "  " T2 "  SMTP beaconing     Computer=WS1 "                  \
	"ProcessName=evil.exe \xe2\x86\x92 203.0.113.5:587 (SMTP) "            \
	"cmd=\"evil.exe -x\"\n"
#define ROW1 "high        " ROW1_REST
#define ROW3                                                                   \
	"medium     12  " T1 "  " T1 "  Many mail servers  "                   \
	"Computer=WS;2\\x User=- \xe2\x86\x92 [2001:db8::1]:465\n"
#define SUMMARY                                                                \
	"events 130 \xc2\xb7 malformed 0 \xc2\xb7 matched 6 \xc2\xb7 "         \
	"alerts 2 \xc2\xb7 0.50 s \xc2\xb7 12.3 MB/s (profile mailhunt)\n"

static const mh_summary sum = {
    .files = 1,
    .bytes = 6150000,
    .events = 130,
    .matched = 6,
    .alerts = 2,
    .seconds = 0.5,
    .profile = "mailhunt",
};

static void test_basic(void)
{
	const mh_alert *al[] = {&fx_alert1, &fx_alert3};
	mh_rc rc;
	char *out;

	out = fx_run(&mh_output_table, al, 2, false, false, &sum, &rc);
	MH_CHECK_EQ_INT(rc, MH_OK);
	MH_CHECK_EQ_STR(out, HDR ROW1 ROW3 SUMMARY);
	free(out);
	/* without a summary: only the table */
	out = fx_run(&mh_output_table, al, 2, false, false, NULL, &rc);
	MH_CHECK_EQ_INT(rc, MH_OK);
	MH_CHECK_EQ_STR(out, HDR ROW1 ROW3);
	free(out);
}

static void test_explain(void)
{
	const mh_alert *al[] = {&fx_alert1, &fx_alert3};
	mh_rc rc;
	char *out;

	out = fx_run(&mh_output_table, al, 2, false, true, NULL, &rc);
	MH_CHECK_EQ_INT(rc, MH_OK);
	MH_CHECK_EQ_STR(out, HDR ROW1 "    Computer: WS1\n"
				      "    Image: C:\\x\\evil.exe\n"
				      "    CommandLine: evil.exe -x\n"
				      "    DestinationIp: 203.0.113.5\n"
				      "    DestinationPort: 587\n"
				      "    MailProtocol: SMTP\n"
				      "    users: CORP\\bob, alice\n"
				      "    rules: mh_smtp_conn, Title only\n"
				      "    event: a.json:3\n"
				      "    event: a.json:7\n" ROW3
				      "    DestinationIp: 2001:db8::1\n"
				      "    DestinationPort: 465\n"
				      "    users: a;b, c\\d, \xe2\x80\xa6\n"
				      "    rules: mh_smtp_conn\n");
	free(out);
}

static void test_color(void)
{
	static const mh_rule rc_rules[5] = {
	    {.title = "i"}, {.title = "l"}, {.title = "m"},
	    {.title = "h"}, {.title = "c"},
	};
	mh_alert a[5];
	const mh_alert *al[5];
	mh_rc rc;
	char *out;

	for (int i = 0; i < 5; i++) {
		a[i] = (mh_alert){.rule = &rc_rules[i],
				  .level = (mh_level)(4 - i),
				  .count = 1,
				  .first_ns = T_FIRST,
				  .last_ns = T_FIRST};
		a[i].rule = &rc_rules[4 - i];
		al[i] = &a[i];
	}
	out = fx_run(&mh_output_table, al, 5, true, false, NULL, &rc);
	MH_CHECK_EQ_INT(rc, MH_OK);
	MH_CHECK_EQ_STR(
	    out, "LEVEL          COUNT  FIRST SEEN                "
		 "LAST SEEN                 RULE  WHY\n"
		 "\x1b[1;31mcritical\x1b[0m           1  " T1 "  " T1 "  c\n"
		 "\x1b[31mhigh\x1b[0m               1  " T1 "  " T1 "  h\n"
		 "\x1b[33mmedium\x1b[0m             1  " T1 "  " T1 "  m\n"
		 "\x1b[36mlow\x1b[0m                1  " T1 "  " T1 "  l\n"
		 "\x1b[2minformational\x1b[0m      1  " T1 "  " T1 "  i\n");
	free(out);
	/* colour off: no ESC byte at all */
	out = fx_run(&mh_output_table, al, 5, false, false, &sum, &rc);
	MH_CHECK(out && !strchr(out, '\x1b'));
	free(out);
}

static void test_hostile(void)
{
	static const mh_rule r = {
	    .id = "x",
	    .title = "Evil\x1b]0;owned\x07 rule",
	    .level = MH_LVL_HIGH,
	};
	static const mh_alert_kv ctx[] = {
	    KV("Computer", MH_F_HOST, "WS\x1b[31m"),
	    KV("User", MH_F_USER, "u\r"),
	    KV("Image", MH_F_IMAGE, "\xc2\x9bx"),
	    KV("CommandLine", MH_F_COMMAND_LINE, "a\b\b\x9b\xff\x7f"),
	    KV("DestinationHostname", MH_F_DESTINATION_HOSTNAME,
	       "mail\xe2\x80\xae.example"),
	};
	static const mh_str refs[] = {S("f\x1b[2J:1")};
	mh_alert a = {
	    .rule = &r,
	    .level = MH_LVL_HIGH,
	    .count = 1,
	    .first_ns = T_FIRST,
	    .last_ns = T_FIRST,
	    .nctx = 5,
	    .ctx = ctx,
	    .nrefs = 1,
	    .refs = refs,
	};
	const mh_alert *al[] = {&a};
	mh_rc rc;
	char *out;

	out = fx_run(&mh_output_table, al, 1, false, true, NULL, &rc);
	MH_CHECK_EQ_INT(rc, MH_OK);
	MH_CHECK_EQ_STR(
	    out, "LEVEL  COUNT  FIRST SEEN                LAST SEEN          "
		 "       RULE                       WHY\n"
		 "high       1  " T1 "  " T1 "  Evil\\x1b]0;owned\\x07 rule  "
		 "Computer=WS\\x1b[31m User=u\\x0d Image=\\xc2\\x9bx "
		 "\xe2\x86\x92 mail\\u202e.example "
		 "cmd=\"a\\x08\\x08\\x9b\\xff\\x7f\"\n"
		 "    Computer: WS\\x1b[31m\n"
		 "    User: u\\x0d\n"
		 "    Image: \\xc2\\x9bx\n"
		 "    CommandLine: a\\x08\\x08\\x9b\\xff\\x7f\n"
		 "    DestinationHostname: mail\\u202e.example\n"
		 "    event: f\\x1b[2J:1\n");
	/* nothing dangerous left */
	for (const char *p = out; p && *p; p++) {
		unsigned char c = (unsigned char)*p;

		MH_CHECK(c == '\n' || (c >= 0x20 && c != 0x7f));
		MH_CHECK(c != 0x9b);
	}
	free(out);
}

static void test_why_forms(void)
{
	static const mh_rule r = {.title = "r"};
	static const mh_alert_kv g[] = {
	    KV("CommandLine", MH_F_COMMAND_LINE, "a b"),
	    KV("User", MH_F_USER, ""),
	};
	static const mh_alert_kv c1[] = {
	    KV("DestinationPort", MH_F_DESTINATION_PORT, "25"),
	    KV("MailProtocol", MH_F_MAIL_PROTOCOL, "SMTP"),
	};
	static const mh_alert_kv c2[] = {
	    KV("Image", MH_F_IMAGE, "C:\\w\\x.exe"),
	    KV("MailProtocol", MH_F_MAIL_PROTOCOL, "IMAP"),
	};
	static const mh_alert_kv c3[] = {
	    KV("ProcessName", MH_F_PROCESS_NAME, "x.exe"),
	    KV("Image", MH_F_IMAGE, "C:\\w\\x.exe"),
	    KV("DestinationHostname", MH_F_DESTINATION_HOSTNAME, "mx.example"),
	    KV("DestinationPort", MH_F_DESTINATION_PORT, "993"),
	};
	/* the group already shows these: WHY does not repeat them */
	static const mh_alert_kv g5[] = {
	    KV("DestinationIp", MH_F_DESTINATION_IP, "198.51.100.10"),
	    KV("DestinationPort", MH_F_DESTINATION_PORT, "587"),
	    KV("MailProtocol", MH_F_MAIL_PROTOCOL, "SMTP"),
	};
	static const mh_alert_kv c5[] = {
	    KV("DestinationIp", MH_F_DESTINATION_IP, "198.51.100.10"),
	    KV("DestinationPort", MH_F_DESTINATION_PORT, "587"),
	    KV("MailProtocol", MH_F_MAIL_PROTOCOL, "SMTP"),
	    KV("CommandLine", MH_F_COMMAND_LINE, "x"),
	};
	mh_alert a[5] = {
	    {.rule = &r, .ngroup = 2, .group = g},
	    {.rule = &r, .nctx = 2, .ctx = c1},
	    {.rule = &r, .nctx = 2, .ctx = c2},
	    {.rule = &r, .nctx = 4, .ctx = c3},
	    {.rule = &r, .ngroup = 3, .group = g5, .nctx = 4, .ctx = c5},
	};
	const mh_alert *al[] = {&a[0], &a[1], &a[2], &a[3], &a[4]};
	mh_rc rc;
	char *out;

	for (int i = 0; i < 5; i++)
		a[i].first_ns = a[i].last_ns = T_FIRST;
	out = fx_run(&mh_output_table, al, 5, false, false, NULL, &rc);
	MH_CHECK_EQ_INT(rc, MH_OK);
#define P "informational      0  " T1 "  " T1 "  r     "
	MH_CHECK_EQ_STR(out, "LEVEL          COUNT  FIRST SEEN                "
			     "LAST SEEN                 RULE  WHY\n" P
			     "CommandLine=\"a b\" User=\"\"\n" P
			     "\xe2\x86\x92 port 25 (SMTP)\n" P
			     "Image=C:\\w\\x.exe protocol IMAP\n" P
			     "ProcessName=x.exe \xe2\x86\x92 mx.example:993\n" P
			     "DestinationIp=198.51.100.10 DestinationPort=587 "
			     "MailProtocol=SMTP cmd=\"x\"\n");
#undef P
	free(out);
}

static void test_truncate(void)
{
	static const mh_rule r = {
	    .title = "\xc3\xa9"
		     "123456789012345678901234567890"
		     "12345678901234567890",
	};
	char cmd[300];
	mh_alert_kv ctx[1] = {KV("CommandLine", MH_F_COMMAND_LINE, "")};
	mh_alert a = {
	    .rule = &r,
	    .level = MH_LVL_LOW,
	    .count = 7,
	    .first_ns = T_FIRST,
	    .last_ns = T_FIRST,
	    .nctx = 1,
	    .ctx = ctx,
	};
	const mh_alert *al[] = {&a};
	mh_rc rc;
	char *out, want[1024];

	memset(cmd, 'z', sizeof(cmd));
	ctx[0].val.p = cmd;
	ctx[0].val.n = sizeof(cmd);
	out = fx_run(&mh_output_table, al, 1, false, false, NULL, &rc);
	MH_CHECK_EQ_INT(rc, MH_OK);
	/* RULE: 49 code points + ellipsis; WHY: 159 + ellipsis */
	snprintf(want, sizeof(want),
		 "LEVEL  COUNT  FIRST SEEN                LAST SEEN          "
		 "       RULE%48sWHY\n"
		 "low        7  " T1 "  " T1 "  \xc3\xa9"
		 "123456789012345678901234567890123456789012345678\xe2\x80\xa6"
		 "  cmd=\"%.154s\xe2\x80\xa6\n",
		 "", cmd);
	MH_CHECK_EQ_STR(out, want);
	free(out);
}

static void test_no_alerts_and_errors(void)
{
	mh_summary s = {.evicted = 3, .profile = NULL};
	mh_rc rc;
	char *out;

	out = fx_run(&mh_output_table, NULL, 0, true, true, &s, &rc);
	MH_CHECK_EQ_INT(rc, MH_OK);
	MH_CHECK_EQ_STR(out, "no alerts\n"
			     "events 0 \xc2\xb7 malformed 0 \xc2\xb7 "
			     "matched 0 \xc2\xb7 alerts 0 \xc2\xb7 "
			     "evicted 3 \xc2\xb7 0.00 s\n");
	free(out);
	out = fx_run(&mh_output_table, NULL, 0, false, false, NULL, &rc);
	MH_CHECK_EQ_INT(rc, MH_OK);
	MH_CHECK_EQ_STR(out, "no alerts\n");
	free(out);
	MH_CHECK_EQ_INT(fx_run_full(&mh_output_table, &fx_alert1, &sum),
			MH_EIO);
}

/* Append n copies of s to b (a growing string); false on ENOMEM. */
static bool cat_n(char **b, size_t *len, const char *s, size_t n)
{
	size_t k = strlen(s);
	char *p = realloc(*b, *len + k * n + 1);

	if (!p)
		return false;
	for (size_t i = 0; i < n; i++, *len += k)
		memcpy(p + *len, s, k);
	p[*len] = 0;
	*b = p;
	return true;
}

/* The first line of s, without its newline, into buf. */
static const char *first_line(const char *s, char *buf, size_t cap)
{
	size_t n = s ? strcspn(s, "\n") : 0;

	if (n >= cap)
		n = cap - 1;
	memcpy(buf, s ? s : "", n);
	buf[n] = 0;
	return buf;
}

/* Past MH_TABLE_SETTLE_ROWS rows the widths are fixed and each row is
 * printed as it comes: a wider cell after that pushes its line right
 * instead of widening the column, and nothing is cut. */
static void test_stream_rows(void)
{
	static const mh_rule wide = {
	    .index = 3,
	    .is_correlation = true,
	    .title = "Many mail servers, and a longer title",
	    .level = MH_LVL_MEDIUM,
	    .corr = &fx_corr_vcount,
	};
	const size_t n = MH_TABLE_SETTLE_ROWS + 2;
	const mh_alert **al = calloc(n, sizeof(*al));
	mh_alert a = fx_alert3;
	char *want = NULL, line[256];
	size_t wlen = 0;
	mh_rc rc;
	char *out;

	MH_CHECK(al != NULL);
	if (!al)
		return;
	a.rule = &wide;
	for (size_t i = 0; i < n; i++)
		al[i] = &fx_alert3;
	al[MH_TABLE_SETTLE_ROWS] = &a; /* the first row after the settling */
	MH_CHECK(
	    cat_n(&want, &wlen, HDR, 1) &&
	    cat_n(&want, &wlen, ROW3, MH_TABLE_SETTLE_ROWS) &&
	    cat_n(&want, &wlen,
		  "medium     12  " T1 "  " T1
		  "  Many mail servers, and a longer title  "
		  "Computer=WS;2\\x User=- \xe2\x86\x92 [2001:db8::1]:465\n",
		  1) &&
	    cat_n(&want, &wlen, ROW3 SUMMARY, 1));
	out = fx_run(&mh_output_table, al, n, false, false, &sum, &rc);
	MH_CHECK_EQ_INT(rc, MH_OK);
	MH_CHECK_EQ_STR(out, want);
	free(out);
	/* one row short of the cap: still sized to every row, the wide one
	 * included */
	al[MH_TABLE_SETTLE_ROWS] = &fx_alert3;
	al[MH_TABLE_SETTLE_ROWS - 2] = &a;
	out = fx_run(&mh_output_table, al, MH_TABLE_SETTLE_ROWS - 1, false,
		     false, NULL, &rc);
	MH_CHECK_EQ_INT(rc, MH_OK);
	MH_CHECK_EQ_STR(first_line(out, line, sizeof(line)),
			"LEVEL   COUNT  FIRST SEEN                LAST SEEN    "
			"             RULE                                   "
			"WHY");
	free(out);
	free(want);
	free(al);
}

/* Long --explain blocks reach MH_TABLE_SETTLE_BYTES before the row
 * count: the rows so far are printed, the later ones stream, and every
 * explain block is printed whole. */
static void test_stream_bytes(void)
{
	static char cmd[4096];
	mh_alert_kv ctx[1] = {KV("CommandLine", MH_F_COMMAND_LINE, "")};
	mh_alert a = {
	    .rule = &fx_det_conn,
	    .level = MH_LVL_LOW,
	    .count = 1,
	    .first_ns = T_FIRST,
	    .last_ns = T_FIRST,
	    .nctx = 1,
	    .ctx = ctx,
	};
	/* rows needed to pass the byte cap, and a few more */
	const size_t n = MH_TABLE_SETTLE_BYTES / sizeof(cmd) + 5;
	const mh_alert **al = calloc(n, sizeof(*al));
	static const mh_rule wide = {
	    .title = "Mail port connection, with a longer title",
	    .level = MH_LVL_LOW,
	};
	mh_alert b = a;
	size_t lines = 0, blocks = 0, headers = 0;
	char line[256];
	mh_rc rc;
	char *out;

	MH_CHECK(al != NULL && n < MH_TABLE_SETTLE_ROWS);
	if (!al)
		return;
	memset(cmd, 'q', sizeof(cmd));
	ctx[0].val.p = cmd;
	ctx[0].val.n = sizeof(cmd);
	for (size_t i = 0; i < n; i++)
		al[i] = &a;
	b.rule = &wide;
	al[n - 1] = &b; /* streamed: it does not widen the RULE column */
	out = fx_run(&mh_output_table, al, n, false, true, NULL, &rc);
	MH_CHECK_EQ_INT(rc, MH_OK);
	MH_CHECK_EQ_STR(first_line(out, line, sizeof(line)),
			"LEVEL  COUNT  FIRST SEEN                LAST SEEN     "
			"            RULE                  WHY");
	for (const char *p = out, *e; p && *p; p = e + 1) {
		e = strchr(p, '\n');
		if (!e)
			break;
		lines++;
		headers += strncmp(p, "LEVEL ", 6) == 0;
		blocks += (size_t)(e - p) == 17 + sizeof(cmd) &&
			  strncmp(p, "    CommandLine: qqq", 20) == 0;
	}
	MH_CHECK_EQ_INT((int)headers, 1);
	MH_CHECK_EQ_INT((int)blocks, (int)n);
	MH_CHECK_EQ_INT((int)lines, (int)(1 + 2 * n));
	free(out);
	free(al);
}

int main(void)
{
	MH_RUN(test_basic);
	MH_RUN(test_explain);
	MH_RUN(test_color);
	MH_RUN(test_hostile);
	MH_RUN(test_why_forms);
	MH_RUN(test_truncate);
	MH_RUN(test_no_alerts_and_errors);
	MH_RUN(test_stream_rows);
	MH_RUN(test_stream_bytes);
	MH_DONE();
}
