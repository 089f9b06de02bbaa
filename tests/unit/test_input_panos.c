/* PAN-OS CSV syslog reader. */
#include "fw_reader_util.h"
#include "mh_test.h"
#include "util/timefmt.h"

#define F(r, i, f, s) MH_CHECK_EQ_STR(fw_get((r), (i), MH_F_##f), (s))

/* First line of the Elastic sample (PAN-OS 8.x TRAFFIC, 65 fields),
 * without its syslog header. */
#define TRAFFIC8                                                               \
	"1,2018/11/30 16:09:07,012801096514,TRAFFIC,end,2049,2018/11/30 "      \
	"16:09:07,192.168.15.207,175.16.199.1,192.168.1.63,175.16.199.1,"      \
	"new_outbound_from_trust,,,apple-maps,vsys1,trust,untrust,ethernet1/"  \
	"2,ethernet1/1,send_to_mac,2018/11/30 16:09:07,22751,1,55113,443,"     \
	"16418,443,0x400053,tcp,allow,7734,1758,5976,36,2018/11/30 15:59:04,"  \
	"586,computer-and-internet-info,0,32091112,0x0,192.168.0.0-192.168."   \
	"255.255,United States,0,16,20,tcp-fin,0,0,0,0,,PA-220,from-policy,,"  \
	",0,,0,,N/A,0,0,0,0"

/* A 10.x/11.x-shaped TRAFFIC line (same first 34 positions, more
 * appended columns), hand-made. */
#define TRAFFIC10                                                              \
	"1,2023/06/01 10:00:00,012345678901,TRAFFIC,end,2561,2023/06/01 "      \
	"09:59:58,10.1.1.5,203.0.113.9,198.51.100.1,203.0.113.9,allow-mail,"   \
	"corp\\alice,,smtp,vsys1,trust,untrust,ethernet1/2,ethernet1/1,fwd,"   \
	"2023/06/01 10:00:00,1234,1,51000,587,40000,587,0x400019,tcp,"         \
	"reset-both,5000,4000,1000,20,2023/06/01 09:59:50,8,email,,7001,0x0,"  \
	"10.0.0.0-10.255.255.255,United States,,10,10,tcp-rst-from-client,0,"  \
	"0,0,0,,PA-3220,from-policy,,,0,,0,,N/A,0,0,0,0,uuid-1,0,0,,,,,,,,"    \
	"0.0.0.0,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,2023-06-01T10:"  \
	"00:00.000+00:00,,,,,,,,,,,,,,,,,,,"

static void test_traffic_versions(void)
{
	fw_res r;

	fw_run(&mh_input_panos,
	       "Nov 30 16:09:08 PA-220 " TRAFFIC8 "\n"
	       "<14>Jun  1 10:00:00 fw-10 " TRAFFIC10 "\n"
	       /* no syslog header at all */
	       TRAFFIC8 "\n",
	       &r);
	MH_CHECK_EQ_INT(r.nev, 3);
	MH_CHECK_EQ_INT(r.malformed, 0);
	F(&r, 0, HOST, "PA-220");
	F(&r, 0, EVENT_TYPE, "TRAFFIC");
	F(&r, 0, DIALECT, "panos");
	F(&r, 0, SOURCE_IP, "192.168.15.207");
	F(&r, 0, DESTINATION_IP, "175.16.199.1");
	F(&r, 0, USER, "(unset)");
	F(&r, 0, SERVICE, "apple-maps");
	F(&r, 0, SOURCE_PORT, "55113");
	F(&r, 0, DESTINATION_PORT, "443");
	F(&r, 0, PROTOCOL, "tcp");
	F(&r, 0, ACTION, "allow");
	F(&r, 0, BYTES_SENT, "1758");
	F(&r, 0, BYTES_RECEIVED, "5976");
	{
		char b[64];
		mh_time_format(r.t[0], b, sizeof(b));
		MH_CHECK_EQ_STR(b, "2018-11-30T16:09:07Z");
		F(&r, 0, TIME, "2018/11/30 16:09:07");
		mh_time_format(r.t[1], b, sizeof(b));
		MH_CHECK_EQ_STR(b, "2023-06-01T09:59:58Z");
	}
	F(&r, 1, HOST, "fw-10");
	F(&r, 1, USER, "corp\\alice");
	F(&r, 1, SERVICE, "smtp");
	F(&r, 1, DESTINATION_PORT, "587");
	F(&r, 1, ACTION, "reset-both");
	F(&r, 1, BYTES_SENT, "4000");
	F(&r, 2, HOST, "(unset)");
	F(&r, 2, SOURCE_IP, "192.168.15.207");
	fw_free(&r);
}

static void test_threat_quoted(void)
{
	fw_res r;

	fw_run(&mh_input_panos,
	       "May 30 00:07:27 host 0,2017/05/30 00:07:27,007200002536,"
	       "THREAT,wildfire,0,2017/05/30 00:07:23,66.1.1.3,10.154.10.229,"
	       ",,Watch Public DNS and SMTP,,,smtp,vsys1,L3-TAP,L3-TAP,"
	       "ethernet1/2,ethernet1/2,ToUS1RAMA,2017/05/30 00:07:23,373478,"
	       "1,60680,25,0,0,0x2000,tcp,allow,\"a,b \"\"c\"\".exe\","
	       "Windows DLL(52019),malicious,high,client-to-server\n"
	       /* quoted field holding commas before the network fields */
	       "May 30 00:07:27 host 0,2017/05/30 00:07:27,007200002536,"
	       "THREAT,url,0,2017/05/30 00:07:24,10.154.10.229,116.252.0.0,,,"
	       "\"Rule, with comma\",\"dom\\u,x\",,web-browsing,vsys1,a,b,e1,"
	       "e2,fwd,2017/05/30 00:07:24,1,1,1058,80,0,0,0xb000,tcp,alert,"
	       "\"qstom.com/87,thiuh\",(9999),malware-sites\n",
	       &r);
	MH_CHECK_EQ_INT(r.nev, 2);
	MH_CHECK_EQ_INT(r.malformed, 0);
	F(&r, 0, EVENT_TYPE, "THREAT");
	F(&r, 0, SERVICE, "smtp");
	F(&r, 0, SOURCE_IP, "66.1.1.3");
	F(&r, 0, DESTINATION_IP, "10.154.10.229");
	F(&r, 0, DESTINATION_PORT, "25");
	F(&r, 0, ACTION, "allow");
	F(&r, 0, BYTES_SENT, "(unset)"); /* THREAT has no byte counts */
	F(&r, 1, USER, "dom\\u,x");
	F(&r, 1, SOURCE_PORT, "1058");
	F(&r, 1, DESTINATION_PORT, "80");
	F(&r, 1, ACTION, "alert");
	fw_free(&r);
}

static void test_malformed(void)
{
	fw_res r;

	fw_run(&mh_input_panos,
	       /* a CEF line inside a PAN-OS file (as in the Splunk sample) */
	       "Mar 23 2017 07:27:36 Host CEF:0|Palo Alto Networks|Traps "
	       "Agent|3.4|Prevention Event|Threat|9|rt=x\n"
	       /* truncated TRAFFIC */
	       "Nov 30 16:09:08 PA-220 1,2018/11/30 16:09:07,012801096514,"
	       "TRAFFIC,end,2049,2018/11/30 16:09:07,192.168.15.207\n"
	       /* unterminated quote */
	       "h 1,2018/11/30 16:09:07,0,THREAT,url,0,2018/11/30 16:09:07,"
	       "1.1.1.1,2.2.2.2,,,\"oops\n"
	       "garbage \xff\xfe\x01 not csv\n"
	       /* a SYSTEM log: an event with the header fields only */
	       "Nov 30 16:09:08 PA-220 1,2018/11/30 16:09:07,012801096514,"
	       "SYSTEM,general,0,2018/11/30 16:09:07,,general,,0,0,general,"
	       "informational,\"User admin logged in, via Web\",1,0x0\n",
	       &r);
	MH_CHECK_EQ_INT(r.nev, 1);
	MH_CHECK_EQ_INT(r.malformed, 4);
	F(&r, 0, EVENT_TYPE, "SYSTEM");
	F(&r, 0, SOURCE_IP, "(unset)");
	MH_CHECK_EQ_INT(r.line[0], 5);
	fw_free(&r);
}

static void test_long_line(void)
{
	size_t big = 10u << 20;
	const char *ok = "\nNov 30 16:09:08 PA-220 " TRAFFIC8 "\n";
	char *b = malloc(big + strlen(ok));
	fw_res r;

	memset(b, ',', big);
	memcpy(b + big, ok, strlen(ok));
	fw_run_n(&mh_input_panos, b, big + strlen(ok), &r);
	MH_CHECK_EQ_INT(r.nev, 1);
	MH_CHECK_EQ_INT(r.malformed, 1);
	F(&r, 0, DESTINATION_PORT, "443");
	fw_free(&r);
	free(b);
}

static void test_probe(void)
{
	const char *t = "Nov 30 16:09:08 PA-220 " TRAFFIC8 "\n";
	const char *csv = "EventTime,SourceIp,DestinationPort\n1,2,3\n";
	const char *asa = "Apr 15 2013 09:36:50: %ASA-4-106023: Deny tcp src "
			  "a:1.1.1.1/2 dst b:2.2.2.2/3,x\n";

	MH_CHECK(mh_input_panos.probe(t, strlen(t)) >= 90);
	MH_CHECK_EQ_INT(mh_input_panos.probe(csv, strlen(csv)), 0);
	MH_CHECK_EQ_INT(mh_input_panos.probe(asa, strlen(asa)), 0);
}

static void corpus(const char *path, size_t nev, size_t bad)
{
	size_t n = 0;
	char *b = fw_slurp(path, &n);
	fw_res r;

	MH_CHECK(b != NULL);
	if (!b)
		return;
	fw_run_n(&mh_input_panos, b, n, &r);
	MH_CHECK_EQ_INT(r.nev, nev);
	MH_CHECK_EQ_INT(r.malformed, bad);
	fw_free(&r);
	free(b);
}

static void test_corpus(void)
{
	corpus("tests/data/panos/elastic-integrations__panw__test-panw-panos-"
	       "traffic-sample__first34lines.log",
	       34, 0);
	/* 6 lines: 5 THREAT + 1 Traps CEF line (malformed for PAN-OS) */
	corpus("tests/data/panos/paloaltonetworks-splunkapp__demo_samples__"
	       "pan_adversaries.samplelog",
	       5, 1);
}

/* Fuzz crasher: year 9999 overflowed the ns time. */
static void test_regress_year_overflow(void)
{
	size_t n = 0;
	char *b =
	    fw_slurp("tests/data/panos/regress/fuzz-year-overflow.log", &n);
	fw_res r;
	char t[64];

	MH_CHECK(b != NULL);
	if (!b)
		return;
	fw_run_n(&mh_input_panos, b, n, &r);
	MH_CHECK_EQ_INT(r.nev, 1);
	MH_CHECK_EQ_INT(r.malformed, 1);
	MH_CHECK_EQ_INT(r.last_bad_line, 1);
	/* bad generated time: the receive time is used */
	mh_time_format(r.t[0], t, sizeof(t));
	MH_CHECK_EQ_STR(t, "2018-11-30T16:09:07Z");
	fw_free(&r);
	free(b);
}

/* PAN-OS 10.x/11.x "IETF" syslog format: RFC 5424 header, or ISO. */
static void test_rfc5424_header(void)
{
	fw_res r;

	fw_run(&mh_input_panos,
	       "<14>1 2023-06-01T10:00:01.000Z PA-VM - - - - " TRAFFIC10 "\n"
	       "2023-06-01T10:00:01+00:00 PA-VM2 " TRAFFIC10 "\n",
	       &r);
	MH_CHECK_EQ_INT(r.nev, 2);
	MH_CHECK_EQ_INT(r.malformed, 0);
	F(&r, 0, HOST, "PA-VM");
	F(&r, 0, SOURCE_IP, "10.1.1.5");
	F(&r, 1, HOST, "PA-VM2");
	F(&r, 1, ACTION, "reset-both");
	fw_free(&r);
}

int main(void)
{
	MH_RUN(test_rfc5424_header);
	MH_RUN(test_regress_year_overflow);
	MH_RUN(test_traffic_versions);
	MH_RUN(test_threat_quoted);
	MH_RUN(test_malformed);
	MH_RUN(test_long_line);
	MH_RUN(test_probe);
	MH_RUN(test_corpus);
	MH_DONE();
}
