/* Cisco ASA/FTD syslog reader. */
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

static void test_header_variants(void)
{
	fw_res r;

	fw_run(&mh_input_asa,
	       /* plain date, no host */
	       "Apr 15 2013 09:36:50: %ASA-4-106023: Deny tcp src "
	       "dmz:10.1.2.30/63016 dst outside:192.168.0.8/53 by "
	       "access-group \"acl_dmz\" [0xe3aab522, 0x0]\n"
	       /* zone, facility in the tag */
	       "Apr 15 2014 09:34:34 EDT: %ASA-session-5-106100: access-list "
	       "acl_in permitted tcp inside/10.1.2.16(2241) -> "
	       "outside/192.168.0.89(2000) hit-cnt 1 first hit\n"
	       /* host then " : " */
	       "Apr 24 2013 16:00:28 INT-FW01 : %ASA-6-106100: access-list "
	       "inside denied udp inside/172.29.2.101(1039) -> "
	       "outside/192.168.2.10(53) hit-cnt 1 first hit\n"
	       /* missing colon after the message id */
	       "Aug 15 2012 23:30:09 : %ASA-6-302016 Teardown UDP connection "
	       "40 for outside:10.44.4.4/500 to inside:10.44.2.2/500 "
	       "duration 0:02:02 bytes 1416\n"
	       /* priority, year-less RFC 3164 time, FTD */
	       "<166>Jan  5 10:00:00 fw1 %FTD-6-302013: Built inbound TCP "
	       "connection 9 for outside:198.51.100.7/40000 "
	       "(198.51.100.7/40000) to inside:10.0.0.5/25 (10.0.0.5/25)\n"
	       /* bare tag, no header at all */
	       "%ASA-6-302015: Built outbound UDP connection 1 for "
	       "outside:8.8.8.8/53 (8.8.8.8/53) to inside:10.0.0.9/5353 "
	       "(192.0.2.1/5353)\n",
	       &r);
	MH_CHECK_EQ_INT(r.nev, 6);
	MH_CHECK_EQ_INT(r.malformed, 0);
	time_is(&r, 0, "2013-04-15T09:36:50Z");
	F(&r, 0, HOST, "(unset)");
	F(&r, 0, EVENT_ID, "106023");
	F(&r, 0, PROVIDER, "ASA");
	F(&r, 0, DIALECT, "asa");
	time_is(&r, 1, "2014-04-15T13:34:34Z"); /* EDT = UTC-4 */
	F(&r, 1, EVENT_ID, "106100");
	F(&r, 1, SOURCE_IP, "10.1.2.16");
	F(&r, 2, HOST, "INT-FW01");
	F(&r, 2, ACTION, "denied");
	F(&r, 3, EVENT_ID, "302016");
	F(&r, 3, HOST, "(unset)");
	F(&r, 3, BYTES_SENT, "1416");
	F(&r, 3, PROTOCOL, "udp");
	F(&r, 4, HOST, "fw1");
	F(&r, 4, PROVIDER, "FTD");
	F(&r, 4, EVENT_ID, "302013");
	MH_CHECK(r.t[4] > 0);
	F(&r, 5, HOST, "(unset)");
	MH_CHECK(r.t[5] < 0);
	F(&r, 5, SOURCE_IP, "10.0.0.9");
	fw_free(&r);
}

/* 302013/302015: the address after "for" is the responder for outbound
 * and the initiator for inbound. */
static void test_inbound_outbound_order(void)
{
	fw_res r;

	fw_run(&mh_input_asa,
	       "Apr 29 2013 12:59:50: %ASA-6-302013: Built outbound TCP "
	       "connection 89743277 for outside:192.168.0.17/80 "
	       "(192.168.0.17/80) to inside:192.168.3.42/4954 "
	       "(10.0.0.130/10879)\n"
	       "Jan 13 2021 19:12:37: %ASA-6-302013: Built inbound TCP "
	       "connection 27215708 for internet:10.2.3.4/49926 "
	       "(81.2.69.144/49926)(LOCAL\\username) to "
	       "vlan-42:81.2.69.144/80 (81.2.69.144/80) (username)\n"
	       "Jan 15 2021 19:12:37: %ASA-6-302013: Built inbound TCP "
	       "connection 251933191 for OUTSIDE:2a02:cf40::6fc6/62477 "
	       "(2a02:cf40::6fc6/62477) to OUTSIDE:2001:db8::1/443 "
	       "(2001:db8::1/443) (soc@example.com)\n"
	       "Dec 11 2018 08:01:31 <IP>: %ASA-6-302013: Built outbound TCP "
	       "connection 447236 for outside:192.168.2.222/1234 "
	       "(192.168.2.222/1234) to dmz:OCSP_Server/5678 "
	       "(OCSP_Server/5678)\n",
	       &r);
	MH_CHECK_EQ_INT(r.nev, 4);
	F(&r, 0, SOURCE_IP, "192.168.3.42");
	F(&r, 0, SOURCE_PORT, "4954");
	F(&r, 0, DESTINATION_IP, "192.168.0.17");
	F(&r, 0, DESTINATION_PORT, "80");
	F(&r, 0, EVENT_DIRECTION, "outbound");
	F(&r, 0, ACTION, "built");
	F(&r, 0, PROTOCOL, "tcp");
	F(&r, 1, SOURCE_IP, "10.2.3.4");
	F(&r, 1, SOURCE_PORT, "49926");
	F(&r, 1, DESTINATION_IP, "81.2.69.144");
	F(&r, 1, DESTINATION_PORT, "80");
	F(&r, 1, EVENT_DIRECTION, "inbound");
	F(&r, 1, USER, "username");
	F(&r, 2, SOURCE_IP, "2a02:cf40::6fc6");
	F(&r, 2, DESTINATION_IP, "2001:db8::1");
	F(&r, 2, DESTINATION_PORT, "443");
	F(&r, 2, USER, "soc@example.com");
	F(&r, 3, HOST, "<IP>");
	F(&r, 3, SOURCE_HOSTNAME, "OCSP_Server");
	F(&r, 3, SOURCE_IP, "(unset)");
	F(&r, 3, SOURCE_PORT, "5678");
	F(&r, 3, DESTINATION_IP, "192.168.2.222");
	fw_free(&r);
}

static void test_teardown_bytes(void)
{
	fw_res r;

	fw_run(&mh_input_asa,
	       "Jan 15 2021 19:12:37: %ASA-6-302014: Teardown TCP connection "
	       "261246338 for OUTSIDE:67.43.156.15/50120(LOCAL\\domain\\U1) "
	       "to OUTSIDE:1.128.3.4/443 duration 0:02:05 bytes 9610 TCP "
	       "FINs from OUTSIDE (domain\\U1)\n"
	       "Apr 29 2013 12:59:50: %ASA-6-302016: Teardown UDP connection "
	       "666 for outside:192.168.2.222/53 user1 to "
	       "inside:10.123.1.35/52925 user2 duration 10:00:00 bytes "
	       "9999999\n",
	       &r);
	MH_CHECK_EQ_INT(r.nev, 2);
	F(&r, 0, ACTION, "teardown");
	F(&r, 0, SOURCE_IP, "67.43.156.15");
	F(&r, 0, SOURCE_PORT, "50120");
	F(&r, 0, DESTINATION_IP, "1.128.3.4");
	F(&r, 0, DESTINATION_PORT, "443");
	F(&r, 0, BYTES_SENT, "9610");
	F(&r, 0, BYTES_RECEIVED, "(unset)");
	F(&r, 0, USER, "domain\\U1");
	F(&r, 1, DESTINATION_IP, "10.123.1.35");
	F(&r, 1, BYTES_SENT, "9999999");
	fw_free(&r);
}

static void test_acl_messages(void)
{
	fw_res r;

	fw_run(&mh_input_asa,
	       "Apr 30 2013 09:22:48: %ASA-5-106100: access-list acl_in "
	       "permitted tcp inside/10.0.0.13(43013) -> "
	       "dmz/192.168.33.31(25) hit-cnt 1 first hit [0x71a87d94, "
	       "0x0]\n"
	       "Apr 30 2013 09:23:43: %ASA-5-106100: access-list acl_in "
	       "est-allowed tcp inside/10.0.0.46(49840) -> "
	       "outside/192.168.0.88(40443) hit-cnt 1 first hit\n"
	       "Sep 12 2014 06:53:01 GIFRCHN01 : %ASA-4-106023: Deny tcp src "
	       "outside:192.168.2.95/24069 dst inside:10.32.112.125/25 by "
	       "access-group \"PERMIT_IN\" [0x0, 0x0]\"\n"
	       "Apr 15 2013 09:36:50: %ASA-4-106023: Deny icmp src "
	       "dmz:10.1.2.30 dst outside:192.168.0.8 (type 3, code 0) by "
	       "access-group \"acl_dmz\" [0xe3aab522, 0x0]\n",
	       &r);
	MH_CHECK_EQ_INT(r.nev, 4);
	MH_CHECK_EQ_INT(r.malformed, 0);
	F(&r, 0, ACTION, "permitted");
	F(&r, 0, PROTOCOL, "tcp");
	F(&r, 0, SOURCE_IP, "10.0.0.13");
	F(&r, 0, SOURCE_PORT, "43013");
	F(&r, 0, DESTINATION_IP, "192.168.33.31");
	F(&r, 0, DESTINATION_PORT, "25");
	F(&r, 1, ACTION, "est-allowed");
	F(&r, 2, ACTION, "Deny");
	F(&r, 2, HOST, "GIFRCHN01");
	F(&r, 2, SOURCE_IP, "192.168.2.95");
	F(&r, 2, SOURCE_PORT, "24069");
	F(&r, 2, DESTINATION_IP, "10.32.112.125");
	F(&r, 2, DESTINATION_PORT, "25");
	F(&r, 3, PROTOCOL, "icmp");
	F(&r, 3, SOURCE_IP, "10.1.2.30");
	F(&r, 3, SOURCE_PORT, "(unset)");
	F(&r, 3, DESTINATION_IP, "192.168.0.8");
	fw_free(&r);
}

static void test_other_ids_and_malformed(void)
{
	fw_res r;

	fw_run(&mh_input_asa,
	       "Jul 29 2021 08:35:29: %ASA-6-602304: IPSEC: An outbound SA "
	       "has been deleted.\n"
	       "this is not an ASA line at all\n"
	       "Apr 29 2013 12:59:50: %ASA-6-302013: Built outbound TCP "
	       "connection 1 for outside:192.168.0\n" /* truncated */
	       "Apr 29 2013 12:59:50: %ASA-x-302013: bad tag\n"
	       "\n"
	       "\xff\xfe garbage \x01\x02 %ASA-6-305011: \xc3\x28 bytes\n"
	       "Apr 30 2013 09:22:38: %ASA-5-106100: access-list acl_in "
	       "permitted tcp inside/10.0.0.16(2006) -> "
	       "outside/192.168.0.89(2000) hit-cnt 1",
	       &r);
	MH_CHECK_EQ_INT(r.nev, 3);
	MH_CHECK_EQ_INT(r.malformed, 3);
	F(&r, 0, EVENT_ID, "602304");
	F(&r, 0, SOURCE_IP, "(unset)");
	F(&r, 1, EVENT_ID, "305011");
	MH_CHECK_EQ_INT(r.line[1], 6);
	F(&r, 2, DESTINATION_PORT, "2000");
	MH_CHECK_EQ_INT(r.line[2], 7);
	fw_free(&r);
}

static void test_long_line(void)
{
	size_t big = 10u << 20;
	char *b = malloc(big + 200);
	const char *ok = "\nApr 30 2013 09:22:38: %ASA-6-106100: access-list "
			 "a permitted tcp i/10.0.0.1(1) -> o/10.0.0.2(110) "
			 "hit-cnt 1\n";
	fw_res r;

	memset(b, 'A', big);
	memcpy(b + big, ok, strlen(ok));
	fw_run_n(&mh_input_asa, b, big + strlen(ok), &r);
	MH_CHECK_EQ_INT(r.nev, 1);
	MH_CHECK_EQ_INT(r.malformed, 1);
	MH_CHECK_EQ_INT(r.last_bad_line, 1);
	F(&r, 0, DESTINATION_PORT, "110");
	fw_free(&r);
	free(b);
}

static void test_probe(void)
{
	const char *asa = "Apr 15 2013 09:36:50: %ASA-4-106023: Deny tcp\n";
	const char *ftd = "<166>Jan 1 00:00:00 h %FTD-6-302013: Built\n";
	const char *json = "{\"a\":\"%ASA-4-106023: x\"}\n";
	const char *pan = "Nov 30 16:09:08 PA-220 1,2018/11/30 16:09:07,0,"
			  "TRAFFIC,end\n";

	MH_CHECK(mh_input_asa.probe(asa, strlen(asa)) >= 90);
	MH_CHECK(mh_input_asa.probe(ftd, strlen(ftd)) >= 90);
	MH_CHECK(mh_input_asa.probe(json, strlen(json)) == 0 ||
		 mh_input_asa.probe(json, strlen(json)) < 95);
	MH_CHECK_EQ_INT(mh_input_asa.probe(pan, strlen(pan)), 0);
	MH_CHECK_EQ_INT(mh_input_asa.probe("", 0), 0);
}

static void test_corpus(void)
{
	size_t n = 0;
	char *b = fw_slurp("tests/data/cisco_asa/"
			   "elastic-integrations__cisco_asa__test-sample.log",
			   &n);
	fw_res r;

	MH_CHECK(b != NULL);
	if (!b)
		return;
	fw_run_n(&mh_input_asa, b, n, &r);
	MH_CHECK_EQ_INT(r.malformed, 0);
	MH_CHECK_EQ_INT(r.nev, 92);
	/* line 26: 106100 permit inside 10.0.0.13 -> dmz 192.168.33.31(25) */
	MH_CHECK_EQ_INT(r.line[25], 26);
	F(&r, 25, DESTINATION_PORT, "25");
	F(&r, 25, SOURCE_IP, "10.0.0.13");
	fw_free(&r);
	free(b);
}

/* Fuzz crasher: a 4-digit year beyond int64 ns overflowed the time. */
static void test_regress_year_overflow(void)
{
	size_t n = 0;
	char *b =
	    fw_slurp("tests/data/cisco_asa/regress/fuzz-year-overflow.log", &n);
	fw_res r;

	MH_CHECK(b != NULL);
	if (!b)
		return;
	fw_run_n(&mh_input_asa, b, n, &r);
	MH_CHECK_EQ_INT(r.nev, 2);
	MH_CHECK_EQ_INT(r.malformed, 0);
	MH_CHECK(r.t[0] < 0); /* no time, the event is kept */
	MH_CHECK(r.t[1] < 0);
	F(&r, 0, DESTINATION_PORT, "25");
	F(&r, 1, DESTINATION_PORT, "110");
	fw_free(&r);
	free(b);
}

/* RFC 5424 and ISO 8601 headers (logging timestamp rfc5424). */
static void test_iso_headers(void)
{
	fw_res r;

	fw_run(
	    &mh_input_asa,
	    "<166>2018-06-27T12:17:46Z asa-1 : %ASA-6-106100: access-list "
	    "a permitted tcp i/10.0.0.1(1) -> o/10.0.0.2(25) hit-cnt 1\n"
	    "<166>1 2018-06-27T12:17:46.5+02:00 asa-2 - - - - %FTD-4-106023: "
	    "Deny udp src in:10.0.0.1/5 dst out:10.0.0.2/53 by "
	    "access-group \"x\"\n",
	    &r);
	MH_CHECK_EQ_INT(r.nev, 2);
	MH_CHECK_EQ_INT(r.malformed, 0);
	F(&r, 0, HOST, "asa-1");
	time_is(&r, 0, "2018-06-27T12:17:46Z");
	F(&r, 1, HOST, "asa-2");
	time_is(&r, 1, "2018-06-27T10:17:46.500Z");
	F(&r, 1, DESTINATION_PORT, "53");
	fw_free(&r);
}

int main(void)
{
	MH_RUN(test_iso_headers);
	MH_RUN(test_regress_year_overflow);
	MH_RUN(test_header_variants);
	MH_RUN(test_inbound_outbound_order);
	MH_RUN(test_teardown_bytes);
	MH_RUN(test_acl_messages);
	MH_RUN(test_other_ids_and_malformed);
	MH_RUN(test_long_line);
	MH_RUN(test_probe);
	MH_RUN(test_corpus);
	MH_DONE();
}
