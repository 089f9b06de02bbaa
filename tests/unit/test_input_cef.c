/* CEF and LEEF reader. */
#include "fw_reader_util.h"
#include "mh_test.h"
#include "util/timefmt.h"

#define F(r, i, f, s) MH_CHECK_EQ_STR(fw_get((r), (i), MH_F_##f), (s))

static void time_is(const fw_res *r, size_t i, const char *want)
{
	char b[64];

	if (r->t[i] < 0) {
		MH_CHECK_EQ_STR("(no time)", want);
		return;
	}
	mh_time_format(r->t[i], b, sizeof(b));
	MH_CHECK_EQ_STR(b, want);
}

static void test_cef_header_escapes(void)
{
	fw_res r;

	fw_run(&mh_input_cef,
	       "CEF:0|Ven\\|dor\\\\X|Prod|1.0|4711|Name with \\| pipe|5|"
	       "src=10.0.0.1 dst=192.0.2.7 spt=50000 dpt=25 proto=TCP "
	       "act=blocked\n"
	       "CEF:1|V|P|1|sig|N|Low|\n",
	       &r);
	MH_CHECK_EQ_INT(r.nev, 2);
	MH_CHECK_EQ_INT(r.malformed, 0);
	F(&r, 0, PROVIDER, "Ven|dor\\X");
	F(&r, 0, EVENT_ID, "4711");
	F(&r, 0, DIALECT, "cef");
	F(&r, 0, SOURCE_IP, "10.0.0.1");
	F(&r, 0, DESTINATION_IP, "192.0.2.7");
	F(&r, 0, SOURCE_PORT, "50000");
	F(&r, 0, DESTINATION_PORT, "25");
	F(&r, 0, PROTOCOL, "TCP");
	F(&r, 0, ACTION, "blocked");
	F(&r, 1, EVENT_ID, "(unset)");
	F(&r, 1, PROVIDER, "V");
	fw_free(&r);
}

static void test_cef_extension(void)
{
	fw_res r;

	fw_run(&mh_input_cef,
	       "<134>Feb 27 2021 20:16:21 fwhost CEF:0|V|P|1|100|n|3|"
	       "msg=a value with spaces and \\= sign "
	       "suser=dom\\\\Bob Smith sproc=outlook.exe empty= "
	       "request=line1\\nline2\\r "
	       "duser=pancademo\\john out=400448 in=969846 "
	       "shost=ws1.example.com dhost=mail.example.com app=smtp "
	       "deviceDirection=1 rt=1614456981000 "
	       "cs1Label=Rule cs1=deny-attackers "
	       "cs2=alice cs2Label=AccountName "
	       "dpt=587 dst=203.0.113.5 trailing=x   \n"
	       "Mar 1 20:46:50 198.51.100.0 2206 4581 <14>1 "
	       "2021-03-01T20:46:50.869Z relayhost logforwarder - panwlogs - "
	       "CEF:0|Palo Alto Networks|LF|2.0|TRAFFIC|end|3|"
	       "rt=Feb 27 2021 20:16:21 start=Feb 27 2021 20:16:17 "
	       "c6a2=2001:db8:3c4d:15::1a2f:1a2b c6a2Label=Source IPv6 "
	       "Address c6a3=2001:db8::25 c6a3Label=Destination IPv6 Address "
	       "spt=22871 dpt=993 proto=tcp act=deny deviceDirection=0 "
	       "PanOSSourceDynamicAddressGroup= aqua_dag X=1\n"
	       "CEF:0|V|P|1|2|n|3|dproc=svc.exe deviceProcessName=dev.exe "
	       "end=2021-03-01T10:00:00Z start=Mar 01 2021 09:00:00.250 UTC "
	       "src=10.0.0.1 c6a2=fe80::1\n",
	       &r);
	MH_CHECK_EQ_INT(r.nev, 3);
	MH_CHECK_EQ_INT(r.malformed, 0);
	F(&r, 0, HOST, "fwhost");
	F(&r, 0, USER, "dom\\Bob Smith");
	F(&r, 0, PROCESS_NAME, "outlook.exe");
	F(&r, 0, BYTES_SENT, "400448");
	F(&r, 0, BYTES_RECEIVED, "969846");
	F(&r, 0, SOURCE_HOSTNAME, "ws1.example.com");
	F(&r, 0, DESTINATION_HOSTNAME, "mail.example.com");
	F(&r, 0, SERVICE, "smtp");
	F(&r, 0, EVENT_DIRECTION, "outbound");
	F(&r, 0, ACCOUNT_NAME, "alice"); /* label names a canonical field */
	F(&r, 0, RULE_NAME, "(unset)");	 /* "Rule" is not a field name */
	F(&r, 0, DESTINATION_PORT, "587");
	F(&r, 0, DESTINATION_IP, "203.0.113.5");
	time_is(&r, 0, "2021-02-27T20:16:21Z"); /* rt epoch ms */
	F(&r, 1, HOST, "relayhost");		/* RFC 5424 host */
	time_is(&r, 1, "2021-02-27T20:16:21Z"); /* rt, not the header */
	F(&r, 1, SOURCE_IP, "2001:db8:3c4d:15::1a2f:1a2b");
	F(&r, 1, DESTINATION_IP, "2001:db8::25");
	F(&r, 1, DESTINATION_PORT, "993");
	F(&r, 1, EVENT_DIRECTION, "inbound");
	F(&r, 1, PROVIDER, "Palo Alto Networks");
	F(&r, 1, EVENT_ID, "(unset)");
	F(&r, 2, PROCESS_NAME, "dev.exe"); /* deviceProcessName over dproc */
	F(&r, 2, SOURCE_IP, "10.0.0.1");   /* src over c6a2 */
	time_is(&r, 2, "2021-03-01T09:00:00.250Z"); /* start over end */
	fw_free(&r);
}

/* Values with escapes are checked through a CEF key mapped to a field. */
static void test_cef_value_escapes(void)
{
	fw_res r;

	fw_run(&mh_input_cef,
	       "CEF:0|V|P|1|2|n|3|suser=a\\=b\\\\c\\nd\\re\\|f\\zg dpt=1\n",
	       &r);
	MH_CHECK_EQ_INT(r.nev, 1);
	F(&r, 0, USER, "a=b\\c\nd\re|f\\zg");
	fw_free(&r);
}

static void test_leef(void)
{
	fw_res r;

	fw_run(&mh_input_cef,
	       /* LEEF 1.0, tab-separated, default devTime format */
	       "Jan 18 11:07:53 qhost LEEF:1.0|Microsoft|MSExchange|2013|"
	       "15345|src=10.50.1.1\tdst=2.10.20.20\tsrcPort=1200\t"
	       "dstPort=25\tproto=TCP\tusrName=joe.black\tsev=5\t"
	       "cat=mail\tdevTime=Jan 18 2024 11:07:53\t"
	       "srcBytes=1024\tdstBytes=2048\n"
	       /* LEEF 2.0 with '^' delimiter and a devTimeFormat */
	       "LEEF:2.0|Lancope|StealthWatch|1.0|41|^|src=10.0.1.8^"
	       "dst=10.0.0.5^dstPort=143^proto=6^usrName=a b^"
	       "devTimeFormat=yyyy-MM-dd'T'HH:mm:ss.SSSZ^"
	       "devTime=2024-01-18T11:07:53.120+0100^identSrc=10.9.9.9\n"
	       /* LEEF 2.0 with a hex delimiter */
	       "LEEF:2.0|V|P|1|ev|x09|src=10.0.0.3\tdstPort=110\t"
	       "devTime=1705576073000\n"
	       /* LEEF 2.0 without the delimiter field */
	       "LEEF:2.0|V|P|1|ev|identSrc=10.0.0.4\tdstPort=995\t"
	       "devTimeFormat=MMM dd yyyy hh:mm:ss a\t"
	       "devTime=Jan 18 2024 01:07:53 PM\n",
	       &r);
	MH_CHECK_EQ_INT(r.nev, 4);
	MH_CHECK_EQ_INT(r.malformed, 0);
	F(&r, 0, DIALECT, "leef");
	F(&r, 0, HOST, "qhost");
	F(&r, 0, EVENT_ID, "15345");
	F(&r, 0, PROVIDER, "Microsoft");
	F(&r, 0, SOURCE_IP, "10.50.1.1");
	F(&r, 0, DESTINATION_IP, "2.10.20.20");
	F(&r, 0, SOURCE_PORT, "1200");
	F(&r, 0, DESTINATION_PORT, "25");
	F(&r, 0, PROTOCOL, "TCP");
	F(&r, 0, USER, "joe.black");
	F(&r, 0, EVENT_CATEGORY, "mail");
	F(&r, 0, BYTES_SENT, "1024");
	F(&r, 0, BYTES_RECEIVED, "2048");
	time_is(&r, 0, "2024-01-18T11:07:53Z");
	F(&r, 1, SOURCE_IP, "10.0.1.8"); /* src over identSrc */
	F(&r, 1, DESTINATION_PORT, "143");
	F(&r, 1, USER, "a b");
	time_is(&r, 1, "2024-01-18T10:07:53.120Z");
	F(&r, 2, SOURCE_IP, "10.0.0.3");
	F(&r, 2, DESTINATION_PORT, "110");
	time_is(&r, 2, "2024-01-18T11:07:53Z");
	F(&r, 3, SOURCE_IP, "10.0.0.4");
	F(&r, 3, DESTINATION_PORT, "995");
	time_is(&r, 3, "2024-01-18T13:07:53Z");
	fw_free(&r);
}

static void test_malformed(void)
{
	fw_res r;

	fw_run(&mh_input_cef,
	       "CEF:0|V|P|1|truncated header\n"
	       "no marker here\n"
	       "xCEF:0|V|P|1|2|n|3|src=1.1.1.1\n" /* marker inside a word */
	       "LEEF:1.0|V|P\n"
	       "\xc3\x28\xff CEF:0|V\xff|P|1|2|n|3|src=1.1.1.1 suser=\xc3\x28\n"
	       "CEF:0|V|P|1|2|n|3|=novalue junk a\\ src=10.0.0.9\n"
	       "CEF:0|V|P|1|2|n|3|dpt=1 suser=x\\",
	       &r);
	MH_CHECK_EQ_INT(r.nev, 3);
	MH_CHECK_EQ_INT(r.malformed, 4);
	F(&r, 0, SOURCE_IP, "1.1.1.1");
	MH_CHECK_EQ_INT(r.line[0], 5);
	F(&r, 1, SOURCE_IP, "10.0.0.9");
	F(&r, 2, USER, "x\\"); /* a lone trailing backslash is kept */
	fw_free(&r);
}

static void test_long_line(void)
{
	size_t big = 10u << 20;
	const char *ok = " dpt=25\nCEF:0|V|P|1|2|n|3|dpt=110\n";
	char *b = malloc(big + strlen(ok) + 32);
	size_t n;
	fw_res r;

	n = (size_t)snprintf(b, 32, "CEF:0|V|P|1|2|n|3|msg=");
	memset(b + n, 'a', big - n);
	for (size_t i = n; i < big; i += 7)
		b[i] = ' ';
	memcpy(b + big, ok, strlen(ok));
	fw_run_n(&mh_input_cef, b, big + strlen(ok), &r);
	MH_CHECK_EQ_INT(r.nev, 2);
	MH_CHECK_EQ_INT(r.malformed, 0);
	F(&r, 0, DESTINATION_PORT, "25");
	F(&r, 1, DESTINATION_PORT, "110");
	fw_free(&r);
	free(b);
}

static void test_probe(void)
{
	const char *a = "CEF:0|V|P|1|2|n|3|src=1.1.1.1\n";
	const char *b = "<14>Jan 1 00:00:00 h CEF:0|V|P|1|2|n|3|a=b\n";
	const char *c = "Jan 18 11:07:53 h LEEF:1.0|V|P|1|2|src=1\n";
	const char *j = "{\"msg\":\"CEF:0|V|P|1|2|n|3|\"}\n";
	const char *asa = "Apr 15 2013 09:36:50: %ASA-4-106023: Deny\n";

	MH_CHECK(mh_input_cef.probe(a, strlen(a)) >= 90);
	MH_CHECK(mh_input_cef.probe(b, strlen(b)) >= 90);
	MH_CHECK(mh_input_cef.probe(c, strlen(c)) >= 90);
	MH_CHECK_EQ_INT(mh_input_cef.probe(j, strlen(j)), 0);
	MH_CHECK_EQ_INT(mh_input_cef.probe(asa, strlen(asa)), 0);
}

static void test_corpus(void)
{
	size_t n = 0;
	char *b = fw_slurp("tests/data/cef/azure-sentinel__PaloAlto_"
			   "CortexDataLake_ASimNetworkSession_RawLogs.txt",
			   &n);
	fw_res r;

	MH_CHECK(b != NULL);
	if (!b)
		return;
	fw_run_n(&mh_input_cef, b, n, &r);
	MH_CHECK_EQ_INT(r.nev, 2);
	MH_CHECK_EQ_INT(r.malformed, 0);
	F(&r, 0, SOURCE_IP, "198.51.100.4");
	F(&r, 0, DESTINATION_IP, "198.51.100.6");
	F(&r, 0, USER, "paloaltonetwork\\TestUser");
	F(&r, 0, DESTINATION_PORT, "27092");
	F(&r, 0, ACTION, "deny");
	F(&r, 0, SERVICE, "fileguri");
	F(&r, 0, HOST, "AFW1-UNKNOWN-FL1-CLZ");
	time_is(&r, 0, "2021-02-27T20:16:21Z");
	F(&r, 1, SOURCE_IP, "2001:db8:3c4d:15::1a2f:1a2b");
	fw_free(&r);
	free(b);
}

/* Fuzz crasher: huge devTime/rt years overflowed the ns time. */
static void test_regress_year_overflow(void)
{
	size_t n = 0;
	char *b = fw_slurp("tests/data/cef/regress/fuzz-year-overflow.log", &n);
	fw_res r;

	MH_CHECK(b != NULL);
	if (!b)
		return;
	fw_run_n(&mh_input_cef, b, n, &r);
	MH_CHECK_EQ_INT(r.nev, 2);
	MH_CHECK_EQ_INT(r.malformed, 0);
	MH_CHECK(r.t[0] < 0);
	MH_CHECK(r.t[1] < 0);
	F(&r, 0, DESTINATION_PORT, "25");
	F(&r, 1, DESTINATION_PORT, "110");
	fw_free(&r);
	free(b);
}

int main(void)
{
	MH_RUN(test_regress_year_overflow);
	MH_RUN(test_cef_header_escapes);
	MH_RUN(test_cef_extension);
	MH_RUN(test_cef_value_escapes);
	MH_RUN(test_leef);
	MH_RUN(test_malformed);
	MH_RUN(test_long_line);
	MH_RUN(test_probe);
	MH_RUN(test_corpus);
	MH_DONE();
}
