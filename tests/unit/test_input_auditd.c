/* Linux auditd reader. Fixtures are hand-made in auditd's exact record
 * layouts (tests/data/auditd, see tests/data/SOURCES.md). */
#include "fw_reader_util.h"
#include "mh_test.h"
#include "util/timefmt.h"

#define F(r, i, f, s) MH_CHECK_EQ_STR(fw_get((r), (i), MH_F_##f), (s))

/* saddr for AF_INET 127.0.0.1:110 */
#define SA_POP3 "0200006E7F0000010000000000000000"

static void test_seed2_nc_pop3(void)
{
	size_t n = 0;
	char *b = fw_slurp("tests/data/auditd/seed2_nc_pop3.log", &n);
	fw_res r;
	char t[64];

	MH_CHECK(b != NULL);
	if (!b)
		return;
	fw_run_n(&mh_input_auditd, b, n, &r);
	MH_CHECK_EQ_INT(r.nev, 2);
	MH_CHECK_EQ_INT(r.malformed, 0);
	F(&r, 0, EVENT_TYPE, "execve");
	F(&r, 0, COMMAND_LINE, "nc 127.0.0.1 110");
	F(&r, 0, CURRENT_DIRECTORY, "/home/alice");
	F(&r, 0, IMAGE, "/usr/bin/nc.openbsd");
	F(&r, 0, DESTINATION_IP, "(unset)");
	F(&r, 0, RULE_NAME, "mail_exec");
	MH_CHECK_EQ_INT(r.line[0], 1);
	F(&r, 1, EVENT_TYPE, "connect");
	F(&r, 1, DESTINATION_IP, "127.0.0.1");
	F(&r, 1, DESTINATION_PORT, "110");
	F(&r, 1, INITIATED, "true");
	F(&r, 1, PROCESS_NAME, "nc");
	F(&r, 1, IMAGE, "/usr/bin/nc.openbsd");
	F(&r, 1, PROCESS_ID, "2201");
	F(&r, 1, PARENT_PROCESS_ID, "2200");
	F(&r, 1, USER, "1000");
	F(&r, 1, ACCOUNT_NAME, "1000");
	F(&r, 1, RULE_NAME, "mail_c2");
	F(&r, 1, ACTION, "success");
	F(&r, 1, COMMAND_LINE, "nc 127.0.0.1 110"); /* from PROCTITLE */
	F(&r, 1, DIALECT, "auditd");
	mh_time_format(r.t[1], t, sizeof(t));
	MH_CHECK_EQ_STR(t, "2023-11-14T22:13:20.123Z");
	F(&r, 1, TIME, "1700000000.123");
	MH_CHECK_EQ_INT(r.line[1], 7);
	fw_free(&r);
	free(b);
}

static void test_seed3_curl_imap(void)
{
	size_t n = 0;
	char *b = fw_slurp("tests/data/auditd/seed3_curl_imap.log", &n);
	fw_res r;

	MH_CHECK(b != NULL);
	if (!b)
		return;
	fw_run_n(&mh_input_auditd, b, n, &r);
	MH_CHECK_EQ_INT(r.nev, 2);
	MH_CHECK_EQ_INT(r.malformed, 0);
	/* EXECVE args win over PROCTITLE; a4 was hex-encoded */
	F(&r, 0, COMMAND_LINE,
	  "curl -s imap://alice:S3cr3t@127.0.0.1:143/INBOX -X FETCH 1");
	F(&r, 1, DESTINATION_IP, "127.0.0.1");
	F(&r, 1, DESTINATION_PORT, "143");
	F(&r, 1, ACTION, "attempted"); /* success=no exit=-115 */
	F(&r, 1, COMMAND_LINE,
	  "curl -s imap://alice:S3cr3t@127.0.0.1:143/INBOX -X FETCH 1");
	fw_free(&r);
	free(b);
}

static void test_saddr_families(void)
{
	fw_res r;

	fw_run(
	    &mh_input_auditd,
	    /* AF_INET6 [2001:db8::25]:993, hex exe and comm */
	    "type=SYSCALL msg=audit(1700000001.000:10): arch=c000003e "
	    "syscall=42 success=no exit=-111 pid=5 ppid=1 auid=4294967295 "
	    "uid=0 comm=6D79206E63 exe=2F746D702F6D79206E63 key=(null)\n"
	    "type=SOCKADDR msg=audit(1700000001.000:10): saddr=0A0003E1"
	    "0000000020010DB800000000000000000000002500000000\n"
	    "type=EOE msg=audit(1700000001.000:10): \n"
	    /* AF_UNIX: no network fields */
	    "type=SYSCALL msg=audit(1700000002.000:11): arch=c000003e "
	    "syscall=42 success=yes exit=0 pid=6 ppid=1 uid=0 auid=0 "
	    "comm=\"x\" exe=\"/usr/bin/x\"\n"
	    "type=SOCKADDR msg=audit(1700000002.000:11): "
	    "saddr=01002F72756E2F646275732F73797374656D5F6275735F736F636B6574"
	    "\n"
	    "type=EOE msg=audit(1700000002.000:11): \n"
	    /* aarch64 connect, IPv4-mapped IPv6 */
	    "type=SYSCALL msg=audit(1700000003.000:12): arch=c00000b7 "
	    "syscall=203 success=yes exit=0 pid=7 ppid=1 uid=0 auid=0 "
	    "comm=\"y\" exe=\"/y\"\n"
	    "type=SOCKADDR msg=audit(1700000003.000:12): saddr=0A000019"
	    "0000000000000000000000000000FFFFC0000207"
	    "00000000\n"
	    "type=EOE msg=audit(1700000003.000:12): \n",
	    &r);
	MH_CHECK_EQ_INT(r.nev, 3);
	MH_CHECK_EQ_INT(r.malformed, 0);
	F(&r, 0, DESTINATION_IP, "2001:db8::25");
	F(&r, 0, DESTINATION_PORT, "993");
	F(&r, 0, PROCESS_NAME, "my nc");
	F(&r, 0, IMAGE, "/tmp/my nc");
	F(&r, 0, ACCOUNT_NAME, "(unset)"); /* auid unset */
	F(&r, 0, RULE_NAME, "(unset)");
	F(&r, 0, ACTION, "failed");
	F(&r, 1, DESTINATION_IP, "(unset)");
	F(&r, 1, DESTINATION_PORT, "(unset)");
	F(&r, 1, EVENT_TYPE, "connect");
	F(&r, 2, DESTINATION_IP, "192.0.2.7");
	F(&r, 2, DESTINATION_PORT, "25");
	fw_free(&r);
}

static void test_interleaved_and_missing_eoe(void)
{
	fw_res r;

	fw_run(&mh_input_auditd,
	       "type=SYSCALL msg=audit(1700000010.000:100): arch=c000003e "
	       "syscall=42 success=yes exit=0 pid=1 ppid=0 uid=0 auid=0 "
	       "comm=\"a\" exe=\"/a\"\n"
	       "type=SYSCALL msg=audit(1700000010.001:101): arch=c000003e "
	       "syscall=42 success=yes exit=0 pid=2 ppid=0 uid=0 auid=0 "
	       "comm=\"b\" exe=\"/b\"\n"
	       "type=SOCKADDR msg=audit(1700000010.001:101): saddr=" SA_POP3
	       "\n"
	       "type=SOCKADDR msg=audit(1700000010.000:100): "
	       "saddr=02000019C00002010000000000000000\n"
	       "type=USER_LOGIN msg=audit(1700000010.002:102): pid=9 uid=0 "
	       "auid=1000 ses=3 msg='op=login id=1000 exe=\"/usr/sbin/sshd\" "
	       "hostname=? addr=203.0.113.9 terminal=ssh res=success'\n"
	       "type=PROCTITLE msg=audit(1700000010.001:101): proctitle=\"b\"\n"
	       "type=EOE msg=audit(1700000010.001:101): \n"
	       /* 100 never gets its EOE: flushed at the end */
	       ,
	       &r);
	MH_CHECK_EQ_INT(r.nev, 3);
	MH_CHECK_EQ_INT(r.malformed, 0);
	F(&r, 0, PROCESS_NAME, "b");
	F(&r, 0, DESTINATION_PORT, "110");
	F(&r, 0, COMMAND_LINE, "b");
	MH_CHECK_EQ_INT(r.line[0], 2);
	F(&r, 1, PROCESS_NAME, "a");
	F(&r, 1, DESTINATION_IP, "192.0.2.1");
	F(&r, 1, DESTINATION_PORT, "25");
	F(&r, 2, EVENT_TYPE, "USER_LOGIN");
	F(&r, 2, DESTINATION_IP, "(unset)");
	fw_free(&r);
}

/* More open events than the window: the oldest are flushed early and
 * nothing is lost. */
static void test_window(void)
{
	char buf[8192];
	size_t n = 0;
	fw_res r;

	for (int i = 0; i < 40; i++)
		n +=
		    (size_t)snprintf(buf + n, sizeof(buf) - n,
				     "type=SYSCALL msg=audit(1700000020.000:%d)"
				     ": arch=c000003e syscall=42 success=yes "
				     "exit=0 pid=%d comm=\"c\"\n",
				     1000 + i, i);
	fw_run_n(&mh_input_auditd, buf, n, &r);
	MH_CHECK_EQ_INT(r.nev, 40);
	MH_CHECK_EQ_INT(r.malformed, 0);
	F(&r, 0, PROCESS_ID, "0");
	F(&r, 39, PROCESS_ID, "39");
	fw_free(&r);
}

static void test_headers_and_enriched(void)
{
	fw_res r;

	fw_run(&mh_input_auditd,
	       "node=web01 type=SYSCALL msg=audit(1700000030.000:7): "
	       "arch=c000003e syscall=42 success=yes exit=0 pid=1 uid=1000 "
	       "auid=1000 comm=\"nc\" exe=\"/usr/bin/nc\" key=\"k\"\x1d"
	       "ARCH=x86_64 SYSCALL=connect AUID=\"alice\" UID=\"alice\"\n"
	       "Nov 14 22:13:50 h2 audispd: node=web01 type=EOE "
	       "msg=audit(1700000030.000:7): \n"
	       "Nov 14 22:13:51 h2 audisp-syslog: type=USER_END "
	       "msg=audit(1700000031.000:8): pid=1 uid=0 msg='op=x'\n",
	       &r);
	MH_CHECK_EQ_INT(r.nev, 2);
	MH_CHECK_EQ_INT(r.malformed, 0);
	F(&r, 0, HOST, "web01");
	F(&r, 0, USER, "alice");
	F(&r, 0, ACCOUNT_NAME, "alice");
	F(&r, 0, RULE_NAME, "k");
	F(&r, 1, HOST, "h2");
	F(&r, 1, EVENT_TYPE, "USER_END");
	fw_free(&r);
}

static void test_malformed(void)
{
	fw_res r;

	fw_run(&mh_input_auditd,
	       "type=SYSCALL msg=audit(1700000040.000\n" /* truncated */
	       "garbage\xff\xfe\n"
	       "type=SYSCALL msg=audit(abc:1): x=1\n"
	       "notatype=X msg=audit(1.0:1): \n"
	       "type=SOCKADDR msg=audit(1700000041.000:9): saddr=0200\n"
	       "type=SOCKADDR msg=audit(1700000041.000:10): saddr=ZZ\n"
	       "type=EXECVE msg=audit(1700000042.000:11): argc=2 a0=\"x\" "
	       "a1_len=8 a1[0]=41424344 a1[1]=45464748\n"
	       "type=PROCTITLE msg=audit(1700000043.000:12): proctitle=\n",
	       &r);
	MH_CHECK_EQ_INT(r.malformed, 4);
	MH_CHECK_EQ_INT(r.nev, 4);
	F(&r, 0, DESTINATION_IP, "(unset)");
	F(&r, 2, COMMAND_LINE, "x ABCDEFGH");
	fw_free(&r);
}

static void test_long_line(void)
{
	size_t big = 10u << 20;
	const char *ok = "\ntype=SYSCALL msg=audit(1700000050.000:1): "
			 "arch=c000003e syscall=42 success=yes exit=0 pid=3\n";
	char *b = malloc(big + strlen(ok));
	size_t n;
	fw_res r;

	n = (size_t)snprintf(b, 64, "type=EXECVE msg=audit(1.0:2): a0=");
	memset(b + n, '4', big - n);
	memcpy(b + big, ok, strlen(ok));
	fw_run_n(&mh_input_auditd, b, big + strlen(ok), &r);
	MH_CHECK_EQ_INT(r.nev, 2);
	MH_CHECK_EQ_INT(r.malformed, 0);
	F(&r, 1, PROCESS_ID, "3");
	fw_free(&r);
	free(b);
}

static void test_probe(void)
{
	const char *a = "type=SYSCALL msg=audit(1700000000.123:4567): arch=x\n";
	const char *b = "node=h type=DAEMON_START msg=audit(1.0:1): x\n";
	const char *c = "{\"type=SYSCALL msg=audit(1.0:1)\":1}\n";
	const char *d = "type,msg\nSYSCALL,audit\n";

	MH_CHECK(mh_input_auditd.probe(a, strlen(a)) >= 90);
	MH_CHECK(mh_input_auditd.probe(b, strlen(b)) >= 90);
	MH_CHECK_EQ_INT(mh_input_auditd.probe(c, strlen(c)), 0);
	MH_CHECK_EQ_INT(mh_input_auditd.probe(d, strlen(d)), 0);
}

/* Fuzz crasher: a 12-digit seconds value overflowed the ns product. */
static void test_regress_stamp_overflow(void)
{
	size_t n = 0;
	char *b =
	    fw_slurp("tests/data/auditd/regress/fuzz-stamp-overflow.log", &n);
	fw_res r;

	MH_CHECK(b != NULL);
	if (!b)
		return;
	fw_run_n(&mh_input_auditd, b, n, &r);
	MH_CHECK_EQ_INT(r.nev, 1);
	MH_CHECK_EQ_INT(r.malformed, 1);
	MH_CHECK_EQ_INT(r.last_bad_line, 1);
	F(&r, 0, PROCESS_ID, "2");
	fw_free(&r);
	free(b);
}

int main(void)
{
	MH_RUN(test_regress_stamp_overflow);
	MH_RUN(test_seed2_nc_pop3);
	MH_RUN(test_seed3_curl_imap);
	MH_RUN(test_saddr_families);
	MH_RUN(test_interleaved_and_missing_eoe);
	MH_RUN(test_window);
	MH_RUN(test_headers_and_enriched);
	MH_RUN(test_malformed);
	MH_RUN(test_long_line);
	MH_RUN(test_probe);
	MH_DONE();
}
