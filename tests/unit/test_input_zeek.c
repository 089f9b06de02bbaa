/* Zeek TSV reader (src/input/zeek.c): headers, separators, unset/empty
 * markers, sets, escapes, several header blocks, truncation, bad times,
 * probing; and the Zeek parts of normalisation (direction from
 * local_orig/local_resp, Service lists, conn_state outcome). */
#include "event/normalize.h"
#include "input/dialect.h"
#include "input/input.h"
#include "mh_test.h"
#include "reader_harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S 1000000000LL

static void h_open_len(harness *h, const char *text, size_t len,
		       const mh_fieldset *need)
{
	rh_open_mem(h, &mh_input_zeek, "conn.log", text, len, need);
}

static void h_open(harness *h, const char *text)
{
	h_open_len(h, text, strlen(text), NULL);
}

#define h_next rh_next
#define h_close rh_close

/* The field as text, list elements joined with '|'. */
static const char *get(const mh_event *ev, mh_field f)
{
	static char buf[4][1024];
	static int k;
	const mh_str *s = mh_event_get(ev, f);
	size_t i;

	if (!s)
		return "(unset)";
	k = (k + 1) % 4;
	for (i = 0; i < s->n && i + 1 < sizeof(buf[k]); i++)
		buf[k][i] = s->p[i] == MH_LIST_SEP ? '|' : s->p[i];
	buf[k][i] = '\0';
	return buf[k];
}

#define HDR_CONN                                                               \
	"#separator \\x09\n"                                                   \
	"#set_separator\t,\n"                                                  \
	"#empty_field\t(empty)\n"                                              \
	"#unset_field\t-\n"                                                    \
	"#path\tconn\n"                                                        \
	"#open\t2019-02-28-12-07-01\n"                                         \
	"#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto"  \
	"\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig"  \
	"\tlocal_resp\ttunnel_parents\n"                                       \
	"#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval" \
	"\tcount\tcount\tstring\tbool\tbool\tset[string]\n"

static void test_conn_basic(void)
{
	harness h;

	h_open(&h, HDR_CONN "1517336042.090842\tCi85EB2YjUI9a2eql6\t"
			    "10.55.182.100\t14291\t203.0.113.5\t587\ttcp\t"
			    "ssl,smtp\t3.000158\t120\t3400\tSF\tT\tF\t(empty)\n"
			    "#close\t2019-02-28-12-08-00\n");
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	MH_CHECK_EQ_INT(h.ev.time_ns, 1517336042LL * S + 90842000);
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_TIME), "1517336042.090842");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_UID), "Ci85EB2YjUI9a2eql6");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_SOURCE_IP), "10.55.182.100");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_SOURCE_PORT), "14291");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_DESTINATION_IP), "203.0.113.5");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_DESTINATION_PORT), "587");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_PROTOCOL), "tcp");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_SERVICE), "ssl,smtp");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_BYTES_SENT), "120");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_BYTES_RECEIVED), "3400");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_ACTION), "SF");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_LOCAL_ORIG), "true");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_LOCAL_RESP), "false");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_DIALECT), "zeek");
	MH_CHECK_EQ_INT(h.ev.line, 9);
	MH_CHECK_EQ_STR(h.ev.file, "conn.log");
	MH_CHECK_EQ_INT(h_next(&h), MH_EOF);
	MH_CHECK_EQ_INT(h.r.stats.records, 1);
	MH_CHECK_EQ_INT(h.r.stats.malformed, 0);
	MH_CHECK_EQ_STR(h.r.dialect, "zeek");
	h_close(&h);
}

static void test_unset_empty(void)
{
	harness h;

	/* '-' unset; (empty) on a set = unset (as JSON []), on a string an
	 * empty string; a string "-" is escaped by Zeek as \x2d */
	h_open(&h, HDR_CONN "1.5\t-\t10.0.0.1\t1\t10.0.0.2\t25\ttcp\t-\t-\t-"
			    "\t(empty)\tS0\t-\t-\t(empty)\n"
			    "2.5\t\\x2d\t10.0.0.1\t1\t10.0.0.2\t25\ttcp\t"
			    "(empty)\t-\t0\t0\tREJ\tF\tF\t-\n");
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	MH_CHECK_EQ_INT(h.ev.time_ns, 1 * S + 500000000);
	MH_CHECK(!mh_event_has(&h.ev, MH_F_UID));
	MH_CHECK(!mh_event_has(&h.ev, MH_F_SERVICE));
	MH_CHECK(!mh_event_has(&h.ev, MH_F_BYTES_SENT));
	MH_CHECK(mh_event_has(&h.ev, MH_F_BYTES_RECEIVED));
	MH_CHECK_EQ_INT(h.ev.v[MH_F_BYTES_RECEIVED].n, 0);
	MH_CHECK(!mh_event_has(&h.ev, MH_F_LOCAL_ORIG));
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_UID), "-");
	MH_CHECK(mh_event_has(&h.ev, MH_F_SERVICE));
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_SERVICE), "");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_LOCAL_ORIG), "false");
	MH_CHECK_EQ_INT(h_next(&h), MH_EOF);
	MH_CHECK_EQ_INT(h.r.stats.malformed, 0);
	h_close(&h);
}

#define HDR_SMTP                                                               \
	"#separator \\x09\n"                                                   \
	"#set_separator\t,\n"                                                  \
	"#empty_field\t(empty)\n"                                              \
	"#unset_field\t-\n"                                                    \
	"#path\tsmtp\n"                                                        \
	"#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\t"       \
	"trans_depth\thelo\tmailfrom\trcptto\tsubject\tpath\tuser_agent\ttls"  \
	"\tfuids\n"                                                            \
	"#types\ttime\tstring\taddr\tport\taddr\tport\tcount\tstring\tstring"  \
	"\tset[string]\tstring\tvector[addr]\tstring\tbool\tvector[string]\n"

static void test_smtp_sets_escapes(void)
{
	harness h;

	h_open(&h, HDR_SMTP
	       "1254722767.875996\tCjhGID4nQcgTWjvg4c\t10.10.1.4\t1470\t"
	       "74.53.140.153\t25\t1\tGP\tgurpartap@patriots.in\t"
	       "a@yahoo.co.in,b@example.com\tRe:\\x09tab\\x2c comma \\\\ bs"
	       "\t74.53.140.153,10.10.1.4\tMicrosoft Office Outlook 12.0\tT"
	       "\tFmFp351N5nhsMmAfQg\n"
	       "1254722768.0\tC2\t10.10.1.4\t1471\t74.53.140.153\t25\t1\t-\t-"
	       "\tone\\x2cstill-one@x\t-\t(empty)\t-\tF\t(empty)\n");
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_HELO), "GP");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_MAIL_FROM), "gurpartap@patriots.in");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_RCPT_TO),
			"a@yahoo.co.in|b@example.com");
	MH_CHECK(mh_fieldset_has(&h.ev.multi, MH_F_RCPT_TO));
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_SUBJECT), "Re:\ttab, comma \\ bs");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_MAIL_PATH), "74.53.140.153|10.10.1.4");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_USER_AGENT),
			"Microsoft Office Outlook 12.0");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_TLS), "true");
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	/* an escaped set separator stays inside its element */
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_RCPT_TO), "one,still-one@x");
	MH_CHECK(!mh_event_has(&h.ev, MH_F_MAIL_PATH));
	MH_CHECK(!mh_event_has(&h.ev, MH_F_HELO));
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_TLS), "false");
	MH_CHECK_EQ_INT(h_next(&h), MH_EOF);
	MH_CHECK_EQ_INT(h.r.stats.malformed, 0);
	h_close(&h);
}

static void test_custom_separators(void)
{
	harness h;

	/* '|' columns, ';' sets, "NONE" unset, "EMPTY" empty */
	h_open(&h, "#separator \\x7c\n"
		   "#set_separator|;\n"
		   "#empty_field|EMPTY\n"
		   "#unset_field|NONE\n"
		   "#path|smtp\n"
		   "#fields|ts|id.orig_h|id.resp_p|rcptto|helo|mailfrom\n"
		   "#types|time|addr|port|set[string]|string|string\n"
		   "10.25|10.0.0.9|587|x@a;y@b|-|NONE\n"
		   "11|10.0.0.9|587|EMPTY|EMPTY|a\\x7cb\n");
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	MH_CHECK_EQ_INT(h.ev.time_ns, 10 * S + 250000000);
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_SOURCE_IP), "10.0.0.9");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_RCPT_TO), "x@a|y@b");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_HELO), "-");
	MH_CHECK(!mh_event_has(&h.ev, MH_F_MAIL_FROM));
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	MH_CHECK(!mh_event_has(&h.ev, MH_F_RCPT_TO));
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_HELO), "");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_MAIL_FROM), "a|b");
	MH_CHECK_EQ_INT(h_next(&h), MH_EOF);
	MH_CHECK_EQ_INT(h.r.stats.malformed, 0);
	h_close(&h);
}

static void test_several_blocks(void)
{
	harness h;

	/* conn block, then an smtp block (another layout), no #close at
	 * the end of the second block (a log still being written) */
	h_open(&h, HDR_CONN "5\tC1\t10.0.0.1\t1\t10.0.0.2\t110\ttcp\tpop3\t1"
			    "\t1\t2\tSF\tT\tF\t(empty)\n"
			    "#close\t2019-02-28-12-08-00\n" HDR_SMTP
			    "6\tC2\t10.0.0.1\t2\t10.0.0.2\t25\t1\th\tm@x\tr@y"
			    "\ts\t(empty)\tua\tF\t(empty)\n");
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_SERVICE), "pop3");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_DESTINATION_PORT), "110");
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	MH_CHECK_EQ_INT(h.ev.time_ns, 6 * S);
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_DESTINATION_PORT), "25");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_MAIL_FROM), "m@x");
	MH_CHECK(!mh_event_has(&h.ev, MH_F_SERVICE));
	MH_CHECK_EQ_INT(h.ev.line, 18);
	MH_CHECK_EQ_INT(h_next(&h), MH_EOF);
	MH_CHECK_EQ_INT(h.r.stats.records, 2);
	MH_CHECK_EQ_INT(h.r.stats.malformed, 0);
	h_close(&h);
}

static void test_malformed(void)
{
	harness h;

	h_open(&h,
	       "1.0\tbefore\theader\n" /* 1: data before #fields */
	       HDR_CONN		       /* 2..9 */
	       "XXXXXXXXXX.XXXXXX\tC1\t10.0.0.1\t1\t10.0.0.2\t110\ttcp\t-\t1"
	       "\t1\t2\tSF\tT\tF\t(empty)\n" /* 10: btest time */
	       "-\tC1\t10.0.0.1\t1\t10.0.0.2\t110\ttcp\t-\t1"
	       "\t1\t2\tSF\tT\tF\t(empty)\n"	/* 11: unset ts */
	       "7\tC1\t10.0.0.1\t1\t10.0.0.2\n" /* 12: too few cells */
	       "8\tC1\t10.0.0.1\t1\t10.0.0.2\t110\ttcp\t-\t1"
	       "\t1\t2\tSF\tT\tF\t(empty)\textra\n" /* 13: too many */
	       "\n"				    /* 14: blank */
	       "9\tC9\t10.0.0.1\t1\t10.0.0.2\t110\ttcp\t-\t1"
	       "\t1\t2\tSF\tT\tF\t(empty)\n" /* 15: good */
	       "10\tC10\t10.0.0.1\t1\t10.0.0.2\t1" /* 16: truncated */);
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_UID), "C9");
	MH_CHECK_EQ_INT(h.ev.line, 15);
	MH_CHECK_EQ_INT(h_next(&h), MH_EOF);
	MH_CHECK_EQ_INT(h.r.stats.records, 1);
	MH_CHECK_EQ_INT(h.r.stats.malformed, 6);
	MH_CHECK_EQ_INT(bad.n, 6);
	MH_CHECK_EQ_INT(bad.line[0], 1);
	MH_CHECK(strstr(bad.why[0], "before a #fields") != NULL);
	MH_CHECK_EQ_INT(bad.line[1], 10);
	MH_CHECK(strstr(bad.why[1], "bad time 'XXXXXXXXXX.XXXXXX'") != NULL);
	MH_CHECK_EQ_INT(bad.line[2], 11);
	MH_CHECK(strstr(bad.why[2], "bad time") != NULL);
	MH_CHECK_EQ_INT(bad.line[3], 12);
	MH_CHECK(strstr(bad.why[3], "expected 15 fields, got 5") != NULL);
	MH_CHECK_EQ_INT(bad.line[4], 13);
	MH_CHECK(strstr(bad.why[4], "more than 15") != NULL);
	MH_CHECK_EQ_INT(bad.line[5], 16);
	h_close(&h);
}

static void test_bad_headers(void)
{
	harness h;

	/* a multi-byte separator is refused (the tab stays), #types with
	 * the wrong count is reported, a log without ts is malformed */
	h_open(&h, "#separator ab\n"
		   "#fields\tid.orig_h\tid.resp_p\n"
		   "#types\taddr\n"
		   "10.0.0.1\t25\n");
	MH_CHECK_EQ_INT(h_next(&h), MH_EOF);
	MH_CHECK_EQ_INT(h.r.stats.malformed, 3);
	MH_CHECK(strstr(bad.why[0], "#separator") != NULL);
	MH_CHECK(strstr(bad.why[1], "#types has 1 entries") != NULL);
	MH_CHECK(strstr(bad.why[2], "no ts column") != NULL);
	h_close(&h);
}

static void test_no_types(void)
{
	harness h;

	/* without #types, bool columns of the dialect still read T/F */
	h_open(&h, "#fields\tts\tlocal_orig\ttls\tid.resp_p\n"
		   "1.0\tT\tF\t25\n");
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_LOCAL_ORIG), "true");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_TLS), "false");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_DESTINATION_PORT), "25");
	MH_CHECK_EQ_INT(h_next(&h), MH_EOF);
	h_close(&h);
}

static void test_long_line_and_garbage(void)
{
	harness h;
	size_t n = (17u << 20);
	char *big = malloc(n + 4096);
	const char *tail = "\n3\tC3\t10.0.0.1\t1\t10.0.0.2\t993\ttcp\tssl\t1"
			   "\t1\t2\tSF\tT\tF\t(empty)\n";
	size_t hl = strlen(HDR_CONN);

	MH_CHECK(big != NULL);
	if (!big)
		return;
	memcpy(big, HDR_CONN, hl);
	memset(big + hl, 'A', n - hl);
	memcpy(big + n, tail, strlen(tail));
	h_open_len(&h, big, n + strlen(tail), NULL);
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_UID), "C3");
	MH_CHECK_EQ_INT(h_next(&h), MH_EOF);
	MH_CHECK_EQ_INT(h.r.stats.malformed, 1);
	h_close(&h);

	/* binary garbage and NUL bytes after a header: no crash, all
	 * malformed */
	{
		char g[4096];
		unsigned x = 12345;

		memcpy(g, HDR_CONN, hl);
		for (size_t i = hl; i < sizeof(g); i++) {
			x = x * 1103515245u + 12345u;
			g[i] = (char)(x >> 16);
		}
		h_open_len(&h, g, sizeof(g), NULL);
		while (h_next(&h) == MH_OK)
			;
		MH_CHECK(h.r.stats.malformed > 0);
		h_close(&h);
	}
	free(big);
}

static void test_lazy_need(void)
{
	harness h;
	mh_fieldset need = {{0}};

	mh_fieldset_add(&need, MH_F_DESTINATION_PORT);
	h_open_len(&h,
		   HDR_SMTP "6\tC2\t10.0.0.1\t2\t10.0.0.2\t25\t1\th\tm@x\tr@y"
			    "\ts\t(empty)\tua\tF\t(empty)\n",
		   strlen(HDR_SMTP) + 60, &need);
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_DESTINATION_PORT), "25");
	MH_CHECK(mh_event_has(&h.ev, MH_F_TIME)); /* always */
	MH_CHECK(!mh_event_has(&h.ev, MH_F_MAIL_FROM));
	h_close(&h);
}

static void test_probe(void)
{
	static const char tsv[] = "#separator \\x09\n#set_separator\t,\n";
	static const char cut[] = "#fields\tts\tuid\n";
	static const char json[] = "{\"ts\":1.5,\"uid\":\"C1\"}\n";
	static const char csv[] = "EventTime,SourceIp\n1,2\n";
	static const char btest[] = "### BTest baseline data\n"
				    "#separator \\x09\n";
	static const char comment[] = "# a shell comment\nEventTime,x\n";

	MH_CHECK_EQ_INT(mh_input_zeek.probe(tsv, strlen(tsv)), 100);
	MH_CHECK_EQ_INT(mh_input_zeek.probe(cut, strlen(cut)), 90);
	MH_CHECK_EQ_INT(mh_input_zeek.probe(json, strlen(json)), 0);
	MH_CHECK_EQ_INT(mh_input_zeek.probe(csv, strlen(csv)), 0);
	MH_CHECK_EQ_INT(mh_input_zeek.probe(tsv, 5), 0);
	MH_CHECK_EQ_INT(mh_input_zeek.probe(btest, strlen(btest)), 100);
	MH_CHECK_EQ_INT(mh_input_zeek.probe(comment, strlen(comment)), 0);
	MH_CHECK(mh_reader_detect(tsv, strlen(tsv)) == &mh_input_zeek);
	MH_CHECK(mh_reader_detect(csv, strlen(csv)) != &mh_input_zeek);
	MH_CHECK(mh_reader_find("zeek") == &mh_input_zeek);
}

static void test_normalize_zeek(void)
{
	static const mh_portmap_entry ports[] = {{25, "SMTP"}, {110, "POP3"}};
	mh_norm_ctx ctx = {0};
	mh_cidr home;
	mh_event ev;
	mh_arena a;

	mh_arena_init(&a, 4096, 0);
	memset(&ev, 0, sizeof(ev));
	ev.arena = &a;
	ctx.ports = ports;
	ctx.nports = 2;

	/* local_orig T, local_resp F: outbound without --home-net */
	mh_event_set(&ev, MH_F_LOCAL_ORIG, "true", 4);
	mh_event_set(&ev, MH_F_LOCAL_RESP, "false", 5);
	mh_event_set(&ev, MH_F_SERVICE, "ssl,smtp", 8);
	mh_event_set(&ev, MH_F_ACTION, "S0", 2);
	mh_event_set(&ev, MH_F_DESTINATION_PORT, "25", 2);
	mh_event_normalize(&ctx, &ev);
	MH_CHECK_EQ_STR(get(&ev, MH_F_DIRECTION), "outbound");
	MH_CHECK_EQ_STR(get(&ev, MH_F_SERVICE), "ssl|smtp");
	MH_CHECK(mh_fieldset_has(&ev.multi, MH_F_SERVICE));
	MH_CHECK_EQ_STR(get(&ev, MH_F_OUTCOME), "attempted");
	MH_CHECK_EQ_STR(get(&ev, MH_F_MAIL_PROTOCOL), "SMTP");

	/* F/T inbound, T/T local */
	mh_event_clear(&ev);
	mh_event_set(&ev, MH_F_LOCAL_ORIG, "false", 5);
	mh_event_set(&ev, MH_F_LOCAL_RESP, "true", 4);
	mh_event_normalize(&ctx, &ev);
	MH_CHECK_EQ_STR(get(&ev, MH_F_DIRECTION), "inbound");
	mh_event_clear(&ev);
	mh_event_set(&ev, MH_F_LOCAL_ORIG, "true", 4);
	mh_event_set(&ev, MH_F_LOCAL_RESP, "true", 4);
	mh_event_normalize(&ctx, &ev);
	MH_CHECK_EQ_STR(get(&ev, MH_F_DIRECTION), "local");

	/* F/F (local_nets unset) falls through to --home-net */
	MH_CHECK(mh_cidr_parse("10.0.0.0/8", 10, &home));
	ctx.home_net = &home;
	ctx.nhome = 1;
	mh_event_clear(&ev);
	mh_event_set(&ev, MH_F_LOCAL_ORIG, "false", 5);
	mh_event_set(&ev, MH_F_LOCAL_RESP, "false", 5);
	mh_event_set(&ev, MH_F_SOURCE_IP, "10.1.1.1", 8);
	mh_event_set(&ev, MH_F_DESTINATION_IP, "8.8.8.8", 7);
	mh_event_set(&ev, MH_F_ACTION, "REJ", 3);
	mh_event_normalize(&ctx, &ev);
	MH_CHECK_EQ_STR(get(&ev, MH_F_DIRECTION), "outbound");
	MH_CHECK_EQ_STR(get(&ev, MH_F_OUTCOME), "failed");
	/* without local flags, --home-net as before */
	mh_event_clear(&ev);
	mh_event_set(&ev, MH_F_SOURCE_IP, "8.8.8.8", 7);
	mh_event_set(&ev, MH_F_DESTINATION_IP, "10.1.1.1", 8);
	mh_event_set(&ev, MH_F_SERVICE, "smtp", 4);
	mh_event_normalize(&ctx, &ev);
	MH_CHECK_EQ_STR(get(&ev, MH_F_DIRECTION), "inbound");
	MH_CHECK(!mh_fieldset_has(&ev.multi, MH_F_SERVICE));

	/* Suricata's <a@b> envelope addresses lose their angle brackets */
	mh_event_clear(&ev);
	mh_event_set(&ev, MH_F_MAIL_FROM, "<svc@corp.example>", 18);
	mh_event_set(&ev, MH_F_RCPT_TO,
		     "<a@x>\x1f<>\x1f"
		     "b@y\x1f<c@z>",
		     18);
	mh_fieldset_add(&ev.multi, MH_F_RCPT_TO);
	mh_event_normalize(&ctx, &ev);
	MH_CHECK_EQ_STR(get(&ev, MH_F_MAIL_FROM), "svc@corp.example");
	MH_CHECK_EQ_STR(get(&ev, MH_F_RCPT_TO), "a@x||b@y|c@z");
	mh_event_clear(&ev);
	mh_event_set(&ev, MH_F_MAIL_FROM, "a@b", 3);
	mh_event_set(&ev, MH_F_RCPT_TO, "<x", 2);
	mh_event_normalize(&ctx, &ev);
	MH_CHECK_EQ_STR(get(&ev, MH_F_MAIL_FROM), "a@b");
	MH_CHECK_EQ_STR(get(&ev, MH_F_RCPT_TO), "<x");
	mh_arena_free(&a);
}

/* Zeek JSON goes through json.c and the same "zeek" dialect: ts as an
 * epoch float and as an ISO string in one file, T/F as JSON booleans,
 * sets as arrays ([] = unset, like TSV's (empty)). */
static void test_zeek_json_mixed_ts(void)
{
	static const char text[] =
	    "{\"ts\":1543877987.381899,\"uid\":\"CWWzPB3RjqhFf528c\","
	    "\"id.orig_h\":\"192.168.1.10\",\"id.orig_p\":33782,"
	    "\"id.resp_h\":\"192.168.1.9\",\"id.resp_p\":25,\"helo\":"
	    "\"EXAMPLE.COM\",\"rcptto\":[],\"path\":[\"192.168.1.9\"],"
	    "\"tls\":true}\n"
	    "{\"ts\":\"2018-03-24T17:15:21.789543Z\",\"uid\":\"C2\","
	    "\"id.orig_h\":\"10.164.94.120\",\"id.orig_p\":38041,"
	    "\"id.resp_h\":\"10.47.8.208\",\"id.resp_p\":25,"
	    "\"service\":\"smtp,ssl\",\"conn_state\":\"SF\","
	    "\"local_orig\":true,\"local_resp\":false}\n";
	mh_source *src = NULL;
	mh_reader r;
	mh_event ev;
	mh_arena a;

	memset(&r, 0, sizeof(r));
	memset(&ev, 0, sizeof(ev));
	mh_arena_init(&a, 4096, 0);
	ev.arena = &a;
	MH_CHECK_EQ_INT(
	    mh_source_open_mem("z.json", text, strlen(text), &src, NULL),
	    MH_OK);
	r.ops = &mh_input_json;
	r.src = src;
	MH_CHECK_EQ_INT(mh_input_json.open(&r, NULL), MH_OK);
	MH_CHECK_EQ_INT(mh_input_json.next(&r, &ev, NULL), MH_OK);
	MH_CHECK_EQ_STR(get(&ev, MH_F_DIALECT), "zeek");
	MH_CHECK_EQ_INT(ev.time_ns, 1543877987LL * S + 381899000);
	MH_CHECK_EQ_STR(get(&ev, MH_F_UID), "CWWzPB3RjqhFf528c");
	MH_CHECK_EQ_STR(get(&ev, MH_F_HELO), "EXAMPLE.COM");
	MH_CHECK_EQ_STR(get(&ev, MH_F_MAIL_PATH), "192.168.1.9");
	MH_CHECK_EQ_STR(get(&ev, MH_F_TLS), "true");
	MH_CHECK(!mh_event_has(&ev, MH_F_RCPT_TO));
	MH_CHECK_EQ_INT(mh_input_json.next(&r, &ev, NULL), MH_OK);
	MH_CHECK_EQ_INT(ev.time_ns, 1521911721LL * S + 789543000);
	MH_CHECK_EQ_STR(get(&ev, MH_F_SERVICE), "smtp,ssl");
	MH_CHECK_EQ_STR(get(&ev, MH_F_ACTION), "SF");
	MH_CHECK_EQ_STR(get(&ev, MH_F_LOCAL_ORIG), "true");
	MH_CHECK_EQ_INT(mh_input_json.next(&r, &ev, NULL), MH_EOF);
	MH_CHECK_EQ_INT(r.stats.malformed, 0);
	mh_input_json.close(&r);
	mh_source_close(src);
	mh_arena_free(&a);
}

/* A file from tests/data/zeek, if the test runs from the source tree. */
static char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long len;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)len + 1);
		if (buf && fread(buf, 1, (size_t)len, f) != (size_t)len) {
			free(buf);
			buf = NULL;
		}
		*n = (size_t)len;
	}
	fclose(f);
	return buf;
}

/* Random byte mutations of a real header + rows: never a crash, every
 * record either an event with a time or a malformed count. */
static void test_mutations(void)
{
	static const char base[] =
	    HDR_SMTP "1521911721.789543\tC18H5P2mT0bRiA2Sdk\t10.164.94.120\t"
		     "38041\t10.47.8.208\t25\t1\t10.164.94.120\t-\tx@y,z@w\t-\t"
		     "10.47.8.208,10.164.94.120\t-\tT\t(empty)\n";
	char buf[sizeof(base)];
	unsigned x = 99;

	for (int round = 0; round < 3000; round++) {
		harness h;
		mh_rc rc;

		memcpy(buf, base, sizeof(base));
		for (int k = 0; k < 1 + round % 8; k++) {
			x = x * 1103515245u + 12345u;
			buf[(x >> 8) % (sizeof(base) - 1)] =
			    (char)"\t\n\\x,-#()09aF"[(x >> 4) % 14];
		}
		h_open_len(&h, buf, sizeof(base) - 1, NULL);
		while ((rc = h_next(&h)) == MH_OK)
			MH_CHECK(mh_event_has(&h.ev, MH_F_TIME));
		MH_CHECK_EQ_INT(rc, MH_EOF);
		h_close(&h);
	}
}

static void test_regressions(void)
{
	static const char *const files[] = {
	    "tests/data/zeek/rita__test_data_truncated__conn.log",
	};

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		size_t n = 0;
		char *buf = slurp(files[i], &n);
		harness h;
		uint64_t k = 0;

		MH_CHECK(buf != NULL);
		if (!buf)
			continue;
		h_open_len(&h, buf, n, NULL);
		while (h_next(&h) == MH_OK)
			k++;
		MH_CHECK(k > 0);
		h_close(&h);
		free(buf);
	}
}

int main(void)
{
	MH_RUN(test_conn_basic);
	MH_RUN(test_unset_empty);
	MH_RUN(test_smtp_sets_escapes);
	MH_RUN(test_custom_separators);
	MH_RUN(test_several_blocks);
	MH_RUN(test_malformed);
	MH_RUN(test_bad_headers);
	MH_RUN(test_no_types);
	MH_RUN(test_long_line_and_garbage);
	MH_RUN(test_lazy_need);
	MH_RUN(test_probe);
	MH_RUN(test_normalize_zeek);
	MH_RUN(test_zeek_json_mixed_ts);
	MH_RUN(test_mutations);
	MH_RUN(test_regressions);
	MH_DONE();
}
