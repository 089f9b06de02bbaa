#include "input/input.h"
#include "mh_test.h"
#include "reader_harness.h"
#include "util/timefmt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S 1000000000LL

static void h_open_src(harness *h, mh_source *src, const mh_fieldset *need)
{
	rh_open_src(h, &mh_input_csv, src, need);
}

static void h_open(harness *h, const char *text, const mh_fieldset *need)
{
	rh_open_mem(h, &mh_input_csv, "mem.csv", text, strlen(text), need);
}

#define h_next rh_next
#define h_close rh_close

static const char *get(const mh_event *ev, mh_field f)
{
	static char buf[4][1024];
	static int k;
	const mh_str *s = mh_event_get(ev, f);

	if (!s)
		return "(unset)";
	k = (k + 1) % 4;
	snprintf(buf[k], sizeof(buf[k]), "%.*s", (int)s->n, s->p);
	return buf[k];
}

static void test_basic_canonical(void)
{
	harness h;

	/* no dialect: canonical names / aliases map directly */
	h_open(&h,
	       "EventTime,SourceIp,DestinationPort,Image,CommandLine\n"
	       "2021-03-14 06:39:30.227,10.0.0.5,587,C:\\x\\a.exe,a.exe -q\n",
	       NULL);
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	MH_CHECK(mh_event_has(&h.ev, MH_F_TIME));
	MH_CHECK_EQ_INT(h.ev.time_ns, 1615703970LL * S + 227000000);
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_TIME), "2021-03-14 06:39:30.227");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_SOURCE_IP), "10.0.0.5");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_DESTINATION_PORT), "587");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_IMAGE), "C:\\x\\a.exe");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_COMMAND_LINE), "a.exe -q");
	MH_CHECK_EQ_INT(h.ev.line, 2);
	MH_CHECK_EQ_STR(h.ev.file, "mem.csv");
	MH_CHECK_EQ_INT(h_next(&h), MH_EOF);
	MH_CHECK_EQ_INT(h_next(&h), MH_EOF);
	MH_CHECK_EQ_INT(h.r.stats.records, 1);
	MH_CHECK_EQ_INT(h.r.stats.malformed, 0);
	h_close(&h);
}

static void test_quoting(void)
{
	harness h;

	h_open(
	    &h,
	    "Computer,CommandLine,Image\n"
	    "\"host, one\",\"cmd.exe /c \"\"echo, hi\"\"\",plain\n"
	    "h2,\"{\"\"WasExecutingWhileDetected\"\":false}\",\"\"\"q\"\"\"\n"
	    "h3,a\"b,\"\"\n",
	    NULL);
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_HOST), "host, one");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_COMMAND_LINE),
			"cmd.exe /c \"echo, hi\"");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_IMAGE), "plain");
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_COMMAND_LINE),
			"{\"WasExecutingWhileDetected\":false}");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_IMAGE), "\"q\"");
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	/* a quote inside an unquoted cell is literal; "" is empty = unset */
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_COMMAND_LINE), "a\"b");
	MH_CHECK(!mh_event_has(&h.ev, MH_F_IMAGE));
	MH_CHECK_EQ_INT(h_next(&h), MH_EOF);
	MH_CHECK_EQ_INT(h.r.stats.malformed, 0);
	h_close(&h);
}

static void test_empty_unset(void)
{
	harness h;

	h_open(&h, "Computer,User,Image\nh1,,\n,u,\"\"\n", NULL);
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_HOST), "h1");
	MH_CHECK(!mh_event_has(&h.ev, MH_F_USER));
	MH_CHECK(!mh_event_has(&h.ev, MH_F_IMAGE));
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	MH_CHECK(!mh_event_has(&h.ev, MH_F_HOST));
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_USER), "u");
	MH_CHECK(!mh_event_has(&h.ev, MH_F_IMAGE));
	MH_CHECK_EQ_INT(h_next(&h), MH_EOF);
	h_close(&h);
}

static void test_multiline_crlf_bom(void)
{
	harness h;

	h_open(&h,
	       "\xEF\xBB\xBF"
	       "Computer,CommandLine\r\n"
	       "h1,\"line1\r\nline2\nline3\"\r\n"
	       "h2,last\r\n"
	       "\r\n"
	       "h3,\"x\"\r\n"
	       "\r\n",
	       NULL);
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_HOST), "h1"); /* BOM stripped */
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_COMMAND_LINE), "line1\r\nline2\nline3");
	MH_CHECK_EQ_INT(h.ev.line, 2);
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_HOST), "h2");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_COMMAND_LINE), "last"); /* no \r */
	MH_CHECK_EQ_INT(h.ev.line, 5);
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_HOST), "h3");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_COMMAND_LINE), "x");
	MH_CHECK_EQ_INT(h.ev.line, 7);
	MH_CHECK_EQ_INT(h_next(&h), MH_EOF);
	MH_CHECK_EQ_INT(h.r.stats.malformed, 0);
	MH_CHECK_EQ_INT(h.r.stats.records, 3);
	h_close(&h);

	/* no final line break, CRLF, quoted last cell */
	h_open(&h, "Computer,User\r\na,b\r\nc,\"d\"", NULL);
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_USER), "b");
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_USER), "d");
	MH_CHECK_EQ_INT(h_next(&h), MH_EOF);
	h_close(&h);
}

static void test_malformed(void)
{
	harness h;

	h_open(&h,
	       "Computer,User,Image\n"
	       "h1,u1,i1\n"
	       "h2,u2\n"
	       "h3,u3,i3,extra\n"
	       "h4,\"u4\"x,i4\n"
	       "h5,u5,i5\n",
	       NULL);
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_HOST), "h1");
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_HOST), "h5");
	MH_CHECK_EQ_INT(h.ev.line, 6);
	MH_CHECK_EQ_INT(h_next(&h), MH_EOF);
	MH_CHECK_EQ_INT(h.r.stats.malformed, 3);
	MH_CHECK_EQ_INT(h.r.stats.records, 2);
	MH_CHECK_EQ_INT(bad.n, 3);
	MH_CHECK_EQ_INT(bad.line[0], 3);
	MH_CHECK_EQ_STR(bad.why[0], "expected 3 cells, got 2");
	MH_CHECK_EQ_INT(bad.line[1], 4);
	MH_CHECK_EQ_STR(bad.why[1], "expected 3 cells, got 4");
	MH_CHECK_EQ_INT(bad.line[2], 5);
	MH_CHECK(strstr(bad.why[2], "closing quote") != NULL);
	h_close(&h);

	/* An unterminated quote does not swallow the rest of the file: the
	 * bad record's first line is skipped and reading resumes. */
	h_open(&h,
	       "Computer,User\n"
	       "h1,\"never closed\n"
	       "h2,u2\n"
	       "h3,u3\n",
	       NULL);
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_HOST), "h2");
	MH_CHECK_EQ_INT(h.ev.line, 3);
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_HOST), "h3");
	MH_CHECK_EQ_INT(h_next(&h), MH_EOF);
	MH_CHECK_EQ_INT(bad.n, 1);
	MH_CHECK_EQ_INT(bad.line[0], 2);
	MH_CHECK_EQ_STR(bad.why[0], "unterminated quoted cell");
	h_close(&h);

	/* unparseable time: the event is kept, TIME unset, not malformed */
	h_open(&h, "EventTime,Computer\nyesterday,h1\n", NULL);
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	MH_CHECK(!mh_event_has(&h.ev, MH_F_TIME));
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_HOST), "h1");
	MH_CHECK_EQ_INT(h.r.stats.malformed, 0);
	h_close(&h);
}

static void test_empty_inputs(void)
{
	harness h;

	h_open(&h, "", NULL);
	MH_CHECK_EQ_INT(h_next(&h), MH_EOF);
	MH_CHECK_EQ_INT(h.r.stats.malformed, 0);
	h_close(&h);

	h_open(&h, "Computer,User\r\n", NULL);
	MH_CHECK_EQ_INT(h_next(&h), MH_EOF);
	h_close(&h);

	h_open(&h, "\"Computer,User\n", NULL);
	MH_CHECK_EQ_INT(h_next(&h), MH_EOF);
	MH_CHECK_EQ_INT(bad.n, 1);
	MH_CHECK(strstr(bad.why[0], "bad CSV header") != NULL);
	h_close(&h);
}

static void test_lazy(void)
{
	harness h;
	mh_fieldset need = {{0}};

	mh_fieldset_add(&need, MH_F_DESTINATION_PORT);
	h_open(&h,
	       "EventTime,DestinationPort,CommandLine,Computer\n"
	       "2021-03-14T06:39:30Z,25,\"a \"\"b\"\"\",h\n",
	       &need);
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_DESTINATION_PORT), "25");
	MH_CHECK(mh_event_has(&h.ev, MH_F_TIME)); /* TIME always */
	MH_CHECK_EQ_INT(h.ev.time_ns, 1615703970LL * S);
	MH_CHECK(!mh_event_has(&h.ev, MH_F_COMMAND_LINE));
	MH_CHECK(!mh_event_has(&h.ev, MH_F_HOST));
	h_close(&h);
}

static void test_plaso_mde(void)
{
	harness h;
	mh_source *src = NULL;
	int n = 0, smtp = 0;

	MH_CHECK_EQ_INT(
	    mh_source_open("tests/data/csv/plaso__advanced_hunting_test.csv",
			   NULL, &src, NULL),
	    MH_OK);
	if (!src)
		return;
	h_open_src(&h, src, NULL);
	MH_CHECK_EQ_STR(h.r.dialect, "mde");
	while (h_next(&h) == MH_OK) {
		n++;
		MH_CHECK_EQ_STR(get(&h.ev, MH_F_DIALECT), "mde");
		MH_CHECK(mh_event_has(&h.ev, MH_F_TIME));
		MH_CHECK_EQ_INT(h.ev.line, (uint64_t)n + 1);
		if (n == 1) {
			char buf[48];
			MH_CHECK_EQ_INT(h.ev.time_ns, 1703185499010975200LL);
			mh_time_format(h.ev.time_ns, buf, sizeof(buf));
			MH_CHECK_EQ_STR(buf, "2023-12-21T19:04:59.010975200Z");
			MH_CHECK_EQ_STR(get(&h.ev, MH_F_HOST), "test-hostname");
			MH_CHECK_EQ_STR(get(&h.ev, MH_F_ACTION),
					"AntivirusDetection");
			MH_CHECK_EQ_STR(get(&h.ev, MH_F_USER), "system");
			MH_CHECK_EQ_STR(get(&h.ev, MH_F_COMPANY),
					"Fortinet Inc.");
			MH_CHECK_EQ_STR(get(&h.ev, MH_F_PARENT_PROCESS_ID),
					"6188");
		}
		if (n == 2)
			MH_CHECK_EQ_STR(get(&h.ev, MH_F_ACTION),
					"AntivirusReport");
		const mh_str *a = mh_event_get(&h.ev, MH_F_ACTION);
		if (a && a->n == 23 &&
		    memcmp(a->p, "SmtpConnectionInspected", 23) == 0) {
			smtp++;
			if (strcmp(get(&h.ev, MH_F_DESTINATION_PORT), "587") ==
			    0) {
				MH_CHECK_EQ_STR(get(&h.ev, MH_F_DESTINATION_IP),
						"108.177.14.109");
				MH_CHECK_EQ_STR(get(&h.ev, MH_F_SOURCE_IP),
						"192.168.1.148");
				MH_CHECK_EQ_STR(get(&h.ev, MH_F_SOURCE_PORT),
						"51177");
				MH_CHECK_EQ_STR(get(&h.ev, MH_F_PROTOCOL),
						"Tcp");
				MH_CHECK_EQ_INT(h.ev.time_ns,
						1703187690299119700LL);
			} else {
				MH_CHECK_EQ_STR(
				    get(&h.ev, MH_F_DESTINATION_PORT), "25");
				MH_CHECK_EQ_STR(get(&h.ev, MH_F_DESTINATION_IP),
						"52.101.68.21");
			}
			/* InitiatingProcess* empty in the export: unset */
			MH_CHECK(!mh_event_has(&h.ev, MH_F_IMAGE));
		}
	}
	MH_CHECK_EQ_INT(n, 129);
	MH_CHECK_EQ_INT(smtp, 2);
	MH_CHECK_EQ_INT(h.r.stats.records, 129);
	MH_CHECK_EQ_INT(h.r.stats.malformed, 0);
	MH_CHECK_EQ_INT(bad.n, 0);
	h_close(&h);
}

static void open_file(harness *h, const char *path)
{
	mh_source *src = NULL;

	MH_CHECK_EQ_INT(mh_source_open(path, NULL, &src, NULL), MH_OK);
	h_open_src(h, src, NULL);
}

static void test_qradar(void)
{
	harness h;

	open_file(&h, "tests/data/csv/qradar_aql_export.csv");
	MH_CHECK_EQ_STR(h.r.dialect, "qradar");
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	MH_CHECK_EQ_INT(h.ev.time_ns, 1615703970227000000LL);
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_SOURCE_IP), "10.0.0.5");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_DESTINATION_IP), "203.0.113.7");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_DESTINATION_PORT), "587");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_USER), "alice");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_PROCESS_NAME), "powershell.exe");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_EVENT_DIRECTION), "L2R");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_BYTES_SENT), "18211");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_DIALECT), "qradar");
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_BYTES_SENT), "1,024");
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_PROCESS_NAME), "em client.exe");
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	MH_CHECK(!mh_event_has(&h.ev, MH_F_USER));
	MH_CHECK(!mh_event_has(&h.ev, MH_F_PROCESS_NAME));
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_EVENT_DIRECTION), "R2L");
	MH_CHECK_EQ_INT(h.ev.line, 5);
	MH_CHECK_EQ_INT(h_next(&h), MH_EOF);
	MH_CHECK_EQ_INT(h.r.stats.malformed, 0);
	h_close(&h);
}

static void test_splunk(void)
{
	harness h;

	open_file(&h, "tests/data/csv/splunk_cim_export.csv");
	MH_CHECK_EQ_STR(h.r.dialect, "splunk");
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	MH_CHECK_EQ_INT(h.ev.time_ns, 1615703970227000000LL);
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_SOURCE_IP), "10.0.0.5");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_DESTINATION_PORT), "587");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_ACTION), "allowed");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_PROCESS_NAME), "powershell.exe");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_USER), "CORP\\alice");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_SOURCETYPE), "pan:traffic");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_INDEX), "network");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_BYTES_SENT), "18211");
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	MH_CHECK_EQ_INT(h.ev.time_ns, 1615703971000000000LL); /* +01:00 */
	MH_CHECK(!mh_event_has(&h.ev, MH_F_PROCESS_NAME));
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_ACTION), "blocked");
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_PROCESS_NAME), "OUTLOOK.EXE");
	MH_CHECK_EQ_INT(h_next(&h), MH_EOF);
	MH_CHECK_EQ_INT(h.r.stats.malformed, 0);
	h_close(&h);
}

static void test_sumo(void)
{
	harness h;

	open_file(&h, "tests/data/csv/sumo_search_export.csv");
	MH_CHECK_EQ_STR(h.r.dialect, "sumo");
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	MH_CHECK_EQ_INT(h.ev.time_ns, 1615703970227000000LL);
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_SOURCE_CATEGORY),
			"prod/network/firewall");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_HOST), "fw01");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_DESTINATION_PORT), "587");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_PROCESS_NAME), "powershell.exe");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_BYTES_SENT), "18211");
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_DESTINATION_PORT), "110");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_PROCESS_NAME), "nc");
	MH_CHECK_EQ_INT(h_next(&h), MH_EOF);
	MH_CHECK_EQ_INT(h.r.stats.malformed, 0);
	h_close(&h);
}

static void test_record_cap(void)
{
	size_t big = (17u << 20);
	const char *head = "Computer,User\nh1,\"";
	const char *tail = "\"\nh2,u2\n";
	size_t hl = strlen(head), tl = strlen(tail);
	char *buf = malloc(hl + big + tl + 1);
	harness h;

	if (!buf)
		return;
	memcpy(buf, head, hl);
	memset(buf + hl, 'x', big);
	memcpy(buf + hl + big, tail, tl + 1);
	h_open(&h, buf, NULL);
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_HOST), "h2");
	MH_CHECK_EQ_INT(h.ev.line, 3);
	MH_CHECK_EQ_INT(h_next(&h), MH_EOF);
	MH_CHECK_EQ_INT(bad.n, 1);
	MH_CHECK_EQ_INT(bad.line[0], 2);
	MH_CHECK_EQ_STR(bad.why[0], "record longer than the maximum");
	h_close(&h);
	free(buf);
}

/* Random inputs from CSV-significant bytes: the reader always reaches
 * EOF, never returns an error, and accounts for every record. */
static void test_random_inputs(void)
{
	static const char alpha[] = {',', '"', '\n',   '\r',   'a',
				     'b', ' ', '\xEF', '\xBB', '\xBF'};
	uint32_t seed = 12345;
	char buf[200];

	for (int iter = 0; iter < 3000; iter++) {
		size_t len, lines = 1;
		harness h;
		int guard = 0;
		mh_rc rc;

		seed = seed * 1103515245u + 12345u;
		len = (seed >> 16) % (sizeof(buf) - 1);
		for (size_t i = 0; i < len; i++) {
			seed = seed * 1103515245u + 12345u;
			buf[i] = alpha[(seed >> 16) % sizeof(alpha)];
			lines += buf[i] == '\n';
		}
		buf[len] = '\0';
		h_open(&h, buf, NULL);
		while ((rc = h_next(&h)) == MH_OK && guard < 1000) {
			MH_CHECK(h.ev.line >= 2 && h.ev.line <= lines);
			guard++;
		}
		MH_CHECK_EQ_INT(rc, MH_EOF);
		MH_CHECK(h.r.stats.records + h.r.stats.malformed <= lines);
		h_close(&h);
	}
}

static int probe(const char *s)
{
	return mh_input_csv.probe(s, strlen(s));
}

static void test_probe(void)
{
	MH_CHECK_EQ_INT(
	    probe("Timestamp,DeviceId,DeviceName,ActionType,RemoteIP\r\n1,2"),
	    90);
	MH_CHECK_EQ_INT(
	    probe("\xEF\xBB\xBF\"_time\",\"index\",\"sourcetype\"\n"), 90);
	MH_CHECK_EQ_INT(probe("EventTime,Image,Foo\n"), 50);
	MH_CHECK_EQ_INT(probe("a,b,c\n1,2,3\n"), 10);
	MH_CHECK_EQ_INT(probe("{\"a\":1,\"b\":2}\n"), 0);
	MH_CHECK_EQ_INT(probe("[{\"a\":1,\"b\":2}]"), 0);
	MH_CHECK_EQ_INT(probe("<Event xmlns=\"x\">,</Event>"), 0);
	MH_CHECK_EQ_INT(probe("#separator \\x09\n"), 0);
	MH_CHECK_EQ_INT(probe("just a line\n"), 0);
	MH_CHECK_EQ_INT(probe(""), 0);
	MH_CHECK_EQ_INT(probe("a,,b\n"), 0);
	MH_CHECK_EQ_INT(probe("\x7f"
			      "ELF\x01\x02,\x88\x31k\n"),
			0);
	MH_CHECK_EQ_INT(probe("ok,bin\x01ary\n"), 0);
	/* bounded: len cuts the buffer */
	MH_CHECK_EQ_INT(mh_input_csv.probe("Timestamp,DeviceName", 9), 0);
}

static int mal_calls;
static char mal_reason[600];

static void on_mal(void *ud, const char *file, uint64_t line,
		   const char *reason)
{
	(void)file;
	MH_CHECK_EQ_INT(line, 42);
	MH_CHECK(ud == &mal_calls);
	mal_calls++;
	snprintf(mal_reason, sizeof(mal_reason), "%s", reason);
}

static void test_registry(void)
{
	mh_reader r;
	char big[2000];
	int n = 0;

	for (n = 0; mh_readers[n]; n++)
		MH_CHECK(mh_reader_find(mh_readers[n]->name) == mh_readers[n]);
	MH_CHECK(n >= 2);
	MH_CHECK(mh_reader_find("csv") == &mh_input_csv);
	MH_CHECK(mh_reader_find("json") == &mh_input_json);
	MH_CHECK(mh_reader_find("nope") == NULL);
	MH_CHECK(mh_reader_find(NULL) == NULL);
	{
		const char *hdr = "Timestamp,DeviceName,ActionType,RemoteIP\n";
		MH_CHECK(mh_reader_detect(hdr, strlen(hdr)) == &mh_input_csv);
	}
	MH_CHECK(mh_reader_detect("", 0) == NULL);

	memset(&r, 0, sizeof(r));
	mh_reader_malformed(&r, 42, "x %d", 1); /* no callback: counted */
	MH_CHECK_EQ_INT(r.stats.malformed, 1);
	r.on_malformed = on_mal;
	r.ud = &mal_calls;
	mh_reader_malformed(&r, 42, "expected %d cells, got %d", 3, 2);
	MH_CHECK_EQ_INT(mal_calls, 1);
	MH_CHECK_EQ_STR(mal_reason, "expected 3 cells, got 2");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	mh_reader_malformed(&r, 42, "%s", big); /* bounded, truncated */
	MH_CHECK_EQ_INT(mal_calls, 2);
	MH_CHECK(strlen(mal_reason) > 0 &&
		 strlen(mal_reason) < sizeof(big) - 1);
	MH_CHECK_EQ_INT(r.stats.malformed, 3);
}

int main(void)
{
	MH_RUN(test_basic_canonical);
	MH_RUN(test_quoting);
	MH_RUN(test_empty_unset);
	MH_RUN(test_multiline_crlf_bom);
	MH_RUN(test_malformed);
	MH_RUN(test_empty_inputs);
	MH_RUN(test_lazy);
	MH_RUN(test_plaso_mde);
	MH_RUN(test_qradar);
	MH_RUN(test_splunk);
	MH_RUN(test_sumo);
	MH_RUN(test_record_cap);
	MH_RUN(test_random_inputs);
	MH_RUN(test_probe);
	MH_RUN(test_registry);
	MH_DONE();
}
