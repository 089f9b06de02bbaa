/* JSON reader: dialect mapping, framing (NDJSON, pretty-printed, arrays,
 * envelopes), escapes, lists, laziness, malformed records, caps, and the
 * real corpus files under tests/data/json/. */
#include "input/dialect.h"
#include "input/input.h"
#include "mh_test.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define MAXREC 64

/* A copy of one event, owned by the test. */
typedef struct snap {
	char *v[MH_F__COUNT];
	size_t n[MH_F__COUNT];
	bool multi[MH_F__COUNT];
	uint64_t line;
	int64_t time_ns;
	const char *raw_p[MH_F__COUNT]; /* the reader's pointers */
	size_t arena_used;
} snap;

typedef struct run {
	snap ev[MAXREC];
	size_t nev;
	uint64_t total; /* events returned (may exceed MAXREC) */
	uint64_t bad_line[MAXREC];
	char bad_why[MAXREC][256];
	size_t nbad;
	mh_reader_stats stats;
	char dialect[32];
	mh_rc rc;
} run;

static void on_bad(void *ud, const char *file, uint64_t line, const char *why)
{
	run *r = ud;
	(void)file;
	if (r->nbad < MAXREC) {
		r->bad_line[r->nbad] = line;
		snprintf(r->bad_why[r->nbad], sizeof(r->bad_why[0]), "%s", why);
	}
	r->nbad++;
}

static void snap_free(run *r)
{
	for (size_t i = 0; i < r->nev; i++)
		for (int f = 0; f < MH_F__COUNT; f++)
			free(r->ev[i].v[f]);
}

/* Run the JSON reader over an open source. need: NULL-terminated list of
 * canonical names, or NULL for all fields. */
static void run_src(run *out, mh_source *s, const char *const *need)
{
	mh_reader r;
	mh_event ev;
	mh_arena a;
	mh_err err;

	memset(out, 0, sizeof(*out));
	memset(&r, 0, sizeof(r));
	memset(&ev, 0, sizeof(ev));
	mh_arena_init(&a, 4096, 0);
	ev.arena = &a;
	r.ops = &mh_input_json;
	r.src = s;
	r.on_malformed = on_bad;
	r.ud = out;
	for (size_t i = 0; need && need[i]; i++) {
		mh_field f = mh_field_lookup(need[i], strlen(need[i]));
		MH_CHECK(f != MH_F_NONE);
		if (f != MH_F_NONE)
			mh_fieldset_add(&r.need, f);
	}
	out->rc = r.ops->open(&r, &err);
	MH_CHECK_EQ_INT(out->rc, MH_OK);
	if (out->rc != MH_OK)
		return;
	while ((out->rc = r.ops->next(&r, &ev, &err)) == MH_OK) {
		snap *sn;

		out->total++;
		if (out->nev >= MAXREC)
			continue;
		sn = &out->ev[out->nev++];
		sn->line = ev.line;
		sn->time_ns = ev.time_ns;
		sn->arena_used = a.used_total;
		MH_CHECK(ev.file && strcmp(ev.file, mh_source_name(s)) == 0);
		for (int f = 0; f < MH_F__COUNT; f++) {
			if (!mh_event_has(&ev, f))
				continue;
			sn->v[f] = malloc(ev.v[f].n + 1);
			memcpy(sn->v[f], ev.v[f].p, ev.v[f].n);
			sn->v[f][ev.v[f].n] = 0;
			sn->n[f] = ev.v[f].n;
			sn->raw_p[f] = ev.v[f].p;
			sn->multi[f] = mh_fieldset_has(&ev.multi, f);
		}
	}
	out->stats = r.stats;
	snprintf(out->dialect, sizeof(out->dialect), "%s", r.dialect);
	r.ops->close(&r);
	mh_arena_free(&a);
}

static void run_mem(run *out, const char *text, const char *const *need)
{
	mh_source *s = NULL;

	MH_CHECK_EQ_INT(
	    mh_source_open_mem("mem.json", text, strlen(text), &s, NULL),
	    MH_OK);
	run_src(out, s, need);
	mh_source_close(s);
}

static bool run_file(run *out, const char *path, const char *const *need)
{
	mh_source *s = NULL;
	mh_err err;

	if (mh_source_open(path, NULL, &s, &err) != MH_OK) {
		fprintf(stderr, "cannot open %s: %s\n", path, err.msg);
		MH_CHECK(0);
		memset(out, 0, sizeof(*out));
		return false;
	}
	run_src(out, s, need);
	mh_source_close(s);
	return true;
}

/* Field value of record i by canonical name ("" check helper). */
static const char *fv(const run *r, size_t i, const char *name)
{
	mh_field f = mh_field_lookup(name, strlen(name));
	if (i >= r->nev || f == MH_F_NONE)
		return NULL;
	return r->ev[i].v[f];
}

#define FV(r, i, name, want) MH_CHECK_EQ_STR(fv((r), (i), (name)), (want))
#define UNSET(r, i, name)    MH_CHECK(fv((r), (i), (name)) == NULL)

/* --- dialects --------------------------------------------------------------
 */

static void test_probe(void)
{
	MH_CHECK(mh_input_json.probe("{\"a\":1}", 7) >= 90);
	MH_CHECK(mh_input_json.probe("\xef\xbb\xbf  \n[{", 7) >= 90);
	MH_CHECK(mh_input_json.probe("  {", 3) >= 90);
	MH_CHECK_EQ_INT(mh_input_json.probe("a,b,c\n", 6), 0);
	MH_CHECK_EQ_INT(mh_input_json.probe("", 0), 0);
	MH_CHECK_EQ_INT(mh_input_json.probe("   ", 3), 0);
	MH_CHECK(mh_input_json.probe("{", 1) > 0);
}

static void test_sysmon_flat(void)
{
	run r;

	run_mem(
	    &r,
	    "{\"EventID\":3,\"Hostname\":\"WS1\",\"Channel\":\"Microsoft-"
	    "Windows-Sysmon/Operational\",\"SourceName\":\"Microsoft-Windows"
	    "-Sysmon\",\"@timestamp\":\"2021-03-14T01:39:32.609Z\","
	    "\"UtcTime\":\"2021-03-14 06:39:30.227\",\"ProcessGuid\":"
	    "\"{6004d249-0957-604d-6019-000000000900}\",\"ProcessId\":"
	    "\"12252\",\"Image\":\"C:\\\\Windows\\\\x.exe\",\"User\":\"NT "
	    "AUTHORITY\\\\SYSTEM\",\"Protocol\":\"tcp\",\"Initiated\":\"true\","
	    "\"SourceIp\":\"10.0.0.5\",\"SourcePort\":\"30009\","
	    "\"DestinationIp\":\"192.0.2.1\",\"DestinationPort\":\"25\","
	    "\"DestinationHostname\":\"-\",\"CommandLine\":\"x.exe -q\"}\n",
	    NULL);
	MH_CHECK_EQ_INT(r.nev, 1);
	MH_CHECK_EQ_STR(r.dialect, "sysmon");
	FV(&r, 0, "Dialect", "sysmon");
	FV(&r, 0, "EventID", "3");
	FV(&r, 0, "Computer", "WS1");
	FV(&r, 0, "Channel", "Microsoft-Windows-Sysmon/Operational");
	FV(&r, 0, "Provider_Name", "Microsoft-Windows-Sysmon");
	FV(&r, 0, "EventTime", "2021-03-14 06:39:30.227"); /* UtcTime wins */
	MH_CHECK_EQ_INT(r.ev[0].time_ns, 1615703970227000000LL);
	FV(&r, 0, "ProcessGuid", "{6004D249-0957-604D-6019-000000000900}");
	FV(&r, 0, "Image", "C:\\Windows\\x.exe");
	FV(&r, 0, "User", "NT AUTHORITY\\SYSTEM");
	FV(&r, 0, "Initiated", "true");
	FV(&r, 0, "DestinationPort", "25");
	FV(&r, 0, "DestinationIp", "192.0.2.1");
	FV(&r, 0, "SourcePort", "30009");
	FV(&r, 0, "CommandLine", "x.exe -q");
	MH_CHECK_EQ_INT(r.ev[0].line, 1);
	snap_free(&r);
}

static void test_winlogbeat_and_ecs(void)
{
	static const char wlb[] =
	    "{\"@timestamp\":\"2024-02-13T06:56:24.223Z\",\"host\":{\"name\":"
	    "\"h.local\"},\"winlog\":{\"channel\":\"Microsoft-Windows-Sysmon/"
	    "Operational\",\"computer_name\":\"H1\",\"event_id\":\"3\","
	    "\"event_data\":{\"DestinationPort\":\"587\",\"Image\":\"C:\\\\a"
	    ".exe\"}},\"destination\":{\"port\":9999},\"process\":"
	    "{\"executable\":\"C:\\\\b.exe\",\"name\":\"b.exe\"},"
	    "\"event\":{\"type\":[\"connection\",\"start\"],\"code\":\"3\"}}";
	static const char nested[] =
	    "{\"@timestamp\":\"2024-01-01T00:00:00Z\",\"ecs\":{\"version\":"
	    "\"8.0\"},\"event\":{\"category\":[\"network\"],\"type\":"
	    "[\"connection\",\"start\"],\"action\":\"connection_attempted\"},"
	    "\"source\":{\"ip\":\"10.0.0.1\",\"port\":50000},\"destination\":"
	    "{\"ip\":\"192.0.2.7\",\"port\":993,\"bytes\":12},\"process\":"
	    "{\"name\":\"evil.exe\",\"pid\":42,\"entity_id\":\"abc\",\"parent"
	    "\":{\"name\":\"cmd.exe\"}},\"host\":{\"name\":\"H2\"},\"network\":"
	    "{\"transport\":\"tcp\",\"protocol\":\"imap\",\"direction\":"
	    "\"egress\"},\"user\":{\"name\":\"bob\"}}\n";
	static const char dotted[] =
	    "{\"@timestamp\":\"2024-01-01T00:00:00Z\",\"ecs.version\":\"8.0\","
	    "\"event.category\":[\"network\"],\"event.type\":[\"connection\","
	    "\"start\"],\"event.action\":\"connection_attempted\","
	    "\"source.ip\":\"10.0.0.1\",\"source.port\":50000,"
	    "\"destination.ip\":\"192.0.2.7\",\"destination.port\":993,"
	    "\"destination.bytes\":12,\"process.name\":\"evil.exe\","
	    "\"process.pid\":42,\"process.entity_id\":\"abc\","
	    "\"process.parent\":{\"name\":\"cmd.exe\"},\"host.name\":\"H2\","
	    "\"network.transport\":\"tcp\",\"network.protocol\":\"imap\","
	    "\"network.direction\":\"egress\",\"user.name\":\"bob\"}\n";
	run r, a, b;

	run_mem(&r, wlb, NULL);
	MH_CHECK_EQ_INT(r.nev, 1);
	MH_CHECK_EQ_STR(r.dialect, "winlogbeat");
	FV(&r, 0, "EventID", "3");
	FV(&r, 0, "Computer", "H1");	     /* computer_name over host.name */
	FV(&r, 0, "DestinationPort", "587"); /* event_data over ECS */
	FV(&r, 0, "Image", "C:\\a.exe");
	FV(&r, 0, "ProcessName", "b.exe");
	FV(&r, 0, "EventType", "connection\x1fstart");
	MH_CHECK(r.ev[0].multi[MH_F_EVENT_TYPE]);
	MH_CHECK(!r.ev[0].multi[MH_F_PROCESS_NAME]);
	snap_free(&r);

	run_mem(&a, nested, NULL);
	run_mem(&b, dotted, NULL);
	MH_CHECK_EQ_STR(a.dialect, "ecs");
	MH_CHECK_EQ_STR(b.dialect, "ecs");
	MH_CHECK_EQ_INT(a.nev, 1);
	MH_CHECK_EQ_INT(b.nev, 1);
	FV(&a, 0, "DestinationPort", "993");
	FV(&a, 0, "EventType", "connection\x1fstart");
	FV(&a, 0, "EventCategory", "network");
	MH_CHECK(a.ev[0].multi[MH_F_EVENT_CATEGORY]);
	FV(&a, 0, "Action", "connection_attempted");
	FV(&a, 0, "ParentProcessName", "cmd.exe");
	FV(&a, 0, "Service", "imap");
	FV(&a, 0, "EventDirection", "egress");
	FV(&a, 0, "BytesReceived", "12");
	FV(&a, 0, "ProcessEntityId", "abc");
	FV(&a, 0, "User", "bob");
	/* Nested and dotted forms map identically. */
	for (int f = 0; f < MH_F__COUNT; f++) {
		MH_CHECK((a.ev[0].v[f] == NULL) == (b.ev[0].v[f] == NULL));
		if (a.ev[0].v[f] && b.ev[0].v[f])
			MH_CHECK_EQ_STR(a.ev[0].v[f], b.ev[0].v[f]);
		MH_CHECK_EQ_INT(a.ev[0].multi[f], b.ev[0].multi[f]);
	}
	MH_CHECK_EQ_INT(a.ev[0].time_ns, b.ev[0].time_ns);
	snap_free(&a);
	snap_free(&b);
}

static void test_evtxdump(void)
{
	run r;

	run_mem(
	    &r,
	    "{\"Event\":{\"#attributes\":{\"xmlns\":\"x\"},\"System\":{"
	    "\"Provider\":{\"#attributes\":{\"Name\":\"Microsoft-Windows-"
	    "Sysmon\"}},\"EventID\":3,\"TimeCreated\":{\"#attributes\":{"
	    "\"SystemTime\":\"2025-12-06T21:11:02.649150Z\"}},\"Channel\":"
	    "\"Microsoft-Windows-Sysmon/Operational\",\"Computer\":\"PC\"},"
	    "\"EventData\":{\"ProcessGuid\":\"0197231E-9BE6-6934-5301-"
	    "000000000B00\",\"Image\":\"C:\\\\x.exe\",\"DestinationPort\":465,"
	    "\"Initiated\":true}}}\n"
	    /* Security-style EventID with Qualifiers. */
	    "{\"Event\":{\"System\":{\"EventID\":{\"#attributes\":{"
	    "\"Qualifiers\":0},\"#text\":4688},\"Computer\":\"PC\"}}}\n",
	    NULL);
	MH_CHECK_EQ_STR(r.dialect, "evtxdump");
	MH_CHECK_EQ_INT(r.nev, 2);
	FV(&r, 0, "EventID", "3");
	FV(&r, 0, "Provider_Name", "Microsoft-Windows-Sysmon");
	FV(&r, 0, "Computer", "PC");
	FV(&r, 0, "EventTime", "2025-12-06T21:11:02.649150Z");
	MH_CHECK_EQ_INT(r.ev[0].time_ns, 1765055462649150000LL);
	FV(&r, 0, "ProcessGuid", "{0197231E-9BE6-6934-5301-000000000B00}");
	FV(&r, 0, "DestinationPort", "465");
	FV(&r, 0, "Initiated", "true");
	FV(&r, 1, "EventID", "4688");
	snap_free(&r);
}

static void test_flat_dialects(void)
{
	run r;

	/* mde (Advanced Hunting JSON) */
	run_mem(
	    &r,
	    "{\"Timestamp\":\"2024-05-01T10:00:00.1234567Z\",\"DeviceId\":"
	    "\"d1\",\"DeviceName\":\"pc1\",\"ActionType\":\"ConnectionSuccess"
	    "\",\"RemoteIP\":\"192.0.2.9\",\"RemotePort\":587,\"RemoteUrl\":"
	    "\"smtp.example\",\"LocalIP\":\"10.1.1.1\",\"LocalPort\":51000,"
	    "\"Protocol\":\"Tcp\",\"InitiatingProcessFileName\":\"rat.exe\","
	    "\"InitiatingProcessFolderPath\":\"c:\\\\temp\","
	    "\"InitiatingProcessAccountName\":\"alice\",\"AccountName\":"
	    "\"svc\",\"SentBytes\":100,\"InitiatingProcessId\":77}\n",
	    NULL);
	MH_CHECK_EQ_STR(r.dialect, "mde");
	FV(&r, 0, "Computer", "pc1");
	FV(&r, 0, "Action", "ConnectionSuccess");
	FV(&r, 0, "DestinationIp", "192.0.2.9");
	FV(&r, 0, "DestinationPort", "587");
	FV(&r, 0, "DestinationHostname", "smtp.example");
	FV(&r, 0, "SourceIp", "10.1.1.1");
	FV(&r, 0, "ProcessName", "rat.exe");
	FV(&r, 0, "Image", "c:\\temp");
	FV(&r, 0, "User", "alice");
	FV(&r, 0, "AccountName", "svc");
	FV(&r, 0, "BytesSent", "100");
	FV(&r, 0, "ProcessId", "77");
	MH_CHECK_EQ_INT(r.ev[0].time_ns, 1714557600123456700LL);
	snap_free(&r);

	/* splunk CIM */
	run_mem(
	    &r,
	    "{\"_time\":\"2024-05-01T10:00:00.000+00:00\",\"src_ip\":"
	    "\"10.0.0.2\",\"dest_ip\":\"192.0.2.3\",\"dest_port\":\"110\","
	    "\"process_name\":\"x.exe\",\"action\":\"allowed\",\"bytes_out\":"
	    "5,\"src_user\":\"u1\",\"user\":\"u2\",\"sourcetype\":"
	    "\"pan:traffic\",\"index\":\"network\",\"dvc\":\"fw1\"}\n",
	    NULL);
	MH_CHECK_EQ_STR(r.dialect, "splunk");
	FV(&r, 0, "SourceIp", "10.0.0.2");
	FV(&r, 0, "DestinationPort", "110");
	FV(&r, 0, "ProcessName", "x.exe");
	FV(&r, 0, "Action", "allowed");
	FV(&r, 0, "BytesSent", "5");
	FV(&r, 0, "User", "u1");
	FV(&r, 0, "sourcetype", "pan:traffic");
	FV(&r, 0, "index", "network");
	FV(&r, 0, "Computer", "fw1");
	MH_CHECK_EQ_INT(r.ev[0].time_ns, 1714557600000000000LL);
	snap_free(&r);

	/* qradar */
	run_mem(
	    &r,
	    "{\"sourceip\":\"10.0.0.3\",\"destinationip\":\"192.0.2.4\","
	    "\"destinationport\":993,\"username\":\"carol\",\"Process Name\":"
	    "\"imap.exe\",\"Event Direction\":\"L2R\",\"starttime\":"
	    "1615703970227,\"Bytes Sent\":\"900\",\"qid\":1}\n",
	    NULL);
	MH_CHECK_EQ_STR(r.dialect, "qradar");
	FV(&r, 0, "SourceIp", "10.0.0.3");
	FV(&r, 0, "DestinationPort", "993");
	FV(&r, 0, "User", "carol");
	FV(&r, 0, "ProcessName", "imap.exe");
	FV(&r, 0, "EventDirection", "L2R");
	FV(&r, 0, "BytesSent", "900");
	FV(&r, 0, "EventTime", "1615703970227");
	MH_CHECK_EQ_INT(r.ev[0].time_ns, 1615703970227000000LL);
	snap_free(&r);

	/* sumo */
	run_mem(
	    &r,
	    "{\"_messagetime\":1615703970227,\"_sourcecategory\":"
	    "\"prod/firewall\",\"_sourcehost\":\"fw2\",\"src_ip\":\"10.0.0.4\""
	    ",\"dest_ip\":\"192.0.2.5\",\"dest_port\":\"995\","
	    "\"process_name\":\"p.exe\",\"bytes_out\":\"7\"}\n",
	    NULL);
	MH_CHECK_EQ_STR(r.dialect, "sumo");
	FV(&r, 0, "_sourceCategory", "prod/firewall");
	FV(&r, 0, "Computer", "fw2");
	FV(&r, 0, "DestinationPort", "995");
	FV(&r, 0, "ProcessName", "p.exe");
	MH_CHECK_EQ_INT(r.ev[0].time_ns, 1615703970227000000LL);
	snap_free(&r);

	/* zeek (epoch ts, list rcptto, bool literal) */
	run_mem(
	    &r,
	    "{\"ts\":1543877987.381899,\"uid\":\"C1\",\"id.orig_h\":"
	    "\"192.168.1.10\",\"id.orig_p\":33782,\"id.resp_h\":"
	    "\"192.168.1.9\",\"id.resp_p\":25,\"mailfrom\":\"<a@x>\","
	    "\"rcptto\":[\"<b@y>\",\"<c@z>\"],\"subject\":\"hi\",\"tls\":"
	    "false,\"proto\":\"tcp\",\"service\":\"smtp\",\"orig_bytes\":10,"
	    "\"local_orig\":true}\n",
	    NULL);
	MH_CHECK_EQ_STR(r.dialect, "zeek");
	FV(&r, 0, "SourceIp", "192.168.1.10");
	FV(&r, 0, "SourcePort", "33782");
	FV(&r, 0, "DestinationIp", "192.168.1.9");
	FV(&r, 0, "DestinationPort", "25");
	FV(&r, 0, "MailFrom", "<a@x>");
	FV(&r, 0, "RcptTo", "<b@y>\x1f<c@z>");
	MH_CHECK(r.ev[0].multi[MH_F_RCPT_TO]);
	FV(&r, 0, "Subject", "hi");
	FV(&r, 0, "Tls", "false");
	FV(&r, 0, "LocalOrig", "true");
	FV(&r, 0, "Protocol", "tcp");
	FV(&r, 0, "Service", "smtp");
	FV(&r, 0, "BytesSent", "10");
	MH_CHECK_EQ_INT(r.ev[0].time_ns, 1543877987381899000LL);
	snap_free(&r);
}

/* --- framing -----------------------------------------------------------------
 */

#define ZREC(port)                                                             \
	"{\"ts\":1.5,\"id.orig_h\":\"10.0.0.1\",\"id.resp_h\":\"192.0.2.1\","  \
	"\"id.resp_p\":" #port "}"

static void check_ports(const run *r, const char *const *ports, size_t n)
{
	MH_CHECK_EQ_INT(r->nev, n);
	MH_CHECK_EQ_INT(r->stats.malformed, 0);
	MH_CHECK_EQ_INT(r->stats.records, n);
	for (size_t i = 0; i < n && i < r->nev; i++)
		FV(r, i, "DestinationPort", ports[i]);
}

static void test_framing(void)
{
	static const char *const p3[] = {"25", "110", "143"};
	run r;

	/* NDJSON with CRLF, blank lines, no final newline. */
	run_mem(&r, ZREC(25) "\r\n\r\n" ZREC(110) "\n  \n" ZREC(143), NULL);
	check_ports(&r, p3, 3);
	MH_CHECK_EQ_INT(r.ev[0].line, 1);
	MH_CHECK_EQ_INT(r.ev[1].line, 3);
	MH_CHECK_EQ_INT(r.ev[2].line, 5);
	snap_free(&r);

	/* Pretty-printed, concatenated. */
	run_mem(
	    &r,
	    "{\n  \"ts\": 1.5,\n  \"id.orig_h\": \"10.0.0.1\",\n"
	    "  \"id.resp_h\": \"192.0.2.1\",\n  \"id.resp_p\": 25\n}\n"
	    "{\n  \"ts\": 1.5,\n  \"id\": {\"orig_h\": \"10.0.0.1\",\n"
	    "  \"resp_h\": \"192.0.2.1\", \"resp_p\": 110}\n}" ZREC(143) "\n",
	    NULL);
	check_ports(&r, p3, 3);
	MH_CHECK_EQ_INT(r.ev[0].line, 1);
	MH_CHECK_EQ_INT(r.ev[1].line, 7);
	MH_CHECK_EQ_INT(r.ev[2].line, 11);
	snap_free(&r);

	/* Top-level array, pretty. */
	run_mem(&r,
		"[\n  " ZREC(25) ",\n  " ZREC(110) ",\n  " ZREC(143) "\n]\n",
		NULL);
	check_ports(&r, p3, 3);
	MH_CHECK_EQ_INT(r.ev[1].line, 3);
	snap_free(&r);

	/* Array on one line; several values on one line. */
	run_mem(&r, "[" ZREC(25) "," ZREC(110) "," ZREC(143) "]", NULL);
	check_ports(&r, p3, 3);
	snap_free(&r);
	run_mem(&r, ZREC(25) " " ZREC(110) "\n" ZREC(143) "\n", NULL);
	check_ports(&r, p3, 3);
	MH_CHECK_EQ_INT(r.ev[1].line, 1);
	MH_CHECK_EQ_INT(r.ev[2].line, 2);
	snap_free(&r);

	/* UTF-8 BOM. */
	run_mem(&r, "\xef\xbb\xbf" ZREC(25) "\n" ZREC(110) "\n" ZREC(143),
		NULL);
	check_ports(&r, p3, 3);
	snap_free(&r);
	run_mem(&r, "\xef\xbb\xbf[" ZREC(25) "," ZREC(110) "," ZREC(143) "]",
		NULL);
	check_ports(&r, p3, 3);
	snap_free(&r);

	/* Empty input. */
	run_mem(&r, "", NULL);
	MH_CHECK_EQ_INT(r.nev, 0);
	MH_CHECK_EQ_INT(r.rc, MH_EOF);
	snap_free(&r);
	run_mem(&r, "[]\n", NULL);
	MH_CHECK_EQ_INT(r.nev, 0);
	MH_CHECK_EQ_INT(r.stats.malformed, 0);
	snap_free(&r);
}

static void test_envelopes(void)
{
	static const char *const p3[] = {"25", "110", "143"};
	static const char *const p1[] = {"587"};
	run r;

	/* Splunk export: the record is `result`. */
	run_mem(&r,
		"{\"preview\":false,\"offset\":0,\"result\":{\"_time\":"
		"\"2024-01-01T00:00:00Z\",\"dest_port\":\"587\",\"src_ip\":"
		"\"10.0.0.1\",\"sourcetype\":\"stream:smtp\",\"index\":"
		"\"network\",\"_raw\":\"{\\\"id.resp_p\\\":1}\"}}\n",
		NULL);
	check_ports(&r, p1, 1);
	MH_CHECK_EQ_STR(r.dialect, "splunk");
	FV(&r, 0, "sourcetype", "stream:smtp");
	snap_free(&r);

	/* Elastic search API, pretty. */
	run_mem(&r,
		"{\n \"took\": 3, \"timed_out\": false,\n \"hits\": {\"total\":"
		" {\"value\": 3},\n  \"hits\": [\n"
		"   {\"_index\": \"i\", \"_source\": " ZREC(
		    25) "},\n"
			"   {\"_index\": \"i\", \"_source\": " ZREC(
			    110) "},\n"
				 "   {\"_index\": \"i\", \"_source\": " ZREC(
				     143) "}\n  ]\n }\n}\n",
		NULL);
	check_ports(&r, p3, 3);
	MH_CHECK_EQ_INT(r.ev[0].line, 5);
	MH_CHECK_EQ_INT(r.ev[2].line, 7);
	snap_free(&r);

	/* Same on one line (NDJSON). */
	run_mem(&r,
		"{\"took\":3,\"hits\":{\"hits\":[{\"_source\":" ZREC(
		    25) "},"
			"{\"_source\":" ZREC(110) "},{\"_source\":" ZREC(
			    143) "}]}}\n",
		NULL);
	check_ports(&r, p3, 3);
	snap_free(&r);

	/* An object whose first member is an array of records. */
	run_mem(&r,
		"{\"expected\":[" ZREC(25) "," ZREC(110) "," ZREC(143) "]}\n",
		NULL);
	check_ports(&r, p3, 3);
	snap_free(&r);
}

/* --- values
 * ------------------------------------------------------------------- */

static void test_escapes(void)
{
	run r;

	run_mem(&r,
		"{\"id.orig_h\":\"1\",\"id.resp_h\":\"2\",\"subject\":"
		"\"q\\\"b\\\\s\\/ \\b\\f\\n\\r\\t \\u00e9\\u20ac "
		"\\ud83d\\ude00\",\"mailfrom\":\"bad\\x \\ud800 \\udc00 "
		"\\u12\",\"user_agent\":\"plain \xff\xfe bytes\","
		"\"rcptto\":\"\\u0041\"}\n",
		NULL);
	MH_CHECK_EQ_INT(r.nev, 1);
	FV(&r, 0, "Subject",
	   "q\"b\\s/ \b\f\n\r\t \xc3\xa9\xe2\x82\xac \xf0\x9f\x98\x80");
	FV(&r, 0, "MailFrom",
	   "bad\xef\xbf\xbd \xef\xbf\xbd \xef\xbf\xbd \xef\xbf\xbd");
	/* Invalid UTF-8 passes through untouched. */
	FV(&r, 0, "UserAgent", "plain \xff\xfe bytes");
	FV(&r, 0, "RcptTo", "A");
	MH_CHECK_EQ_INT(r.stats.malformed, 0);
	snap_free(&r);
}

static void test_zero_copy_and_literals(void)
{
	static const char text[] =
	    "{\"id.orig_h\":\"10.0.0.1\",\"id.resp_h\":null,\"id.resp_p\":"
	    "25,\"tls\":true,\"subject\":\"\",\"orig_bytes\":-1.5e3}\n";
	mh_source *s = NULL;
	run r;

	MH_CHECK_EQ_INT(mh_source_open_mem("zc", text, strlen(text), &s, NULL),
			MH_OK);
	run_src(&r, s, NULL);
	mh_source_close(s);
	MH_CHECK_EQ_INT(r.nev, 1);
	/* Unescaped strings point into the caller's buffer. */
	MH_CHECK(r.ev[0].raw_p[MH_F_SOURCE_IP] > text &&
		 r.ev[0].raw_p[MH_F_SOURCE_IP] < text + sizeof(text));
	UNSET(&r, 0, "DestinationIp"); /* null = unset */
	FV(&r, 0, "DestinationPort", "25");
	FV(&r, 0, "Tls", "true");
	FV(&r, 0, "Subject", ""); /* present and empty */
	FV(&r, 0, "BytesSent", "-1.5e3");
	snap_free(&r);
}

static void test_laziness(void)
{
	static const char *const need[] = {"DestinationPort", NULL};
	static const char text[] =
	    "{\"id.orig_h\":\"10.0.0.1\",\"id.resp_h\":\"192.0.2.1\","
	    "\"id.resp_p\":25,\"subject\":\"esc\\n\\u00e9aped\","
	    "\"rcptto\":[\"a\",\"b\"],\"ts\":\"2024-01-01T00:00:00Z\"}\n";
	run r;

	run_mem(&r, text, need);
	MH_CHECK_EQ_INT(r.nev, 1);
	FV(&r, 0, "DestinationPort", "25");
	/* Not needed: not decoded, not set, nothing allocated. */
	UNSET(&r, 0, "Subject");
	UNSET(&r, 0, "RcptTo");
	UNSET(&r, 0, "SourceIp");
	MH_CHECK_EQ_INT(r.ev[0].arena_used, 0);
	/* The record time is always read. */
	MH_CHECK_EQ_INT(r.ev[0].time_ns, 1704067200000000000LL);
	FV(&r, 0, "Dialect", "zeek");
	snap_free(&r);

	run_mem(&r, text, NULL);
	FV(&r, 0, "Subject",
	   "esc\n\xc3\xa9"
	   "aped");
	MH_CHECK(r.ev[0].arena_used > 0);
	snap_free(&r);
}

/* --- malformed input -------------------------------------------------------
 */

static void test_malformed_ndjson(void)
{
	static const char *const p3[] = {"25", "110", "143"};
	run r;

	run_mem(
	    &r,
	    ZREC(25) "\n"
		     "{\"id.orig_h\":\"10.0.0.1\",\"id.resp_p\":\n" /* truncated
								     */
		     "garbage here\n"
		     "{\"id.resp_p\" 25}\n" /* missing ':' */
		     "{\"a\":tru}\n"	    /* bad literal */
		     "{\"a\":1,}\n"	    /* trailing comma */
		     "{\"a\":[1,2}\n"	    /* bracket mismatch */
	    ZREC(110) "\n" ZREC(143) "\n",
	    NULL);
	MH_CHECK_EQ_INT(r.nev, 3);
	for (size_t i = 0; i < 3 && i < r.nev; i++)
		FV(&r, i, "DestinationPort", p3[i]);
	MH_CHECK_EQ_INT(r.ev[1].line, 8);
	MH_CHECK_EQ_INT(r.stats.malformed, 6);
	MH_CHECK_EQ_INT(r.nbad, 6);
	for (size_t i = 0; i < 6 && i < r.nbad; i++)
		MH_CHECK_EQ_INT(r.bad_line[i], i + 2);
	MH_CHECK(strstr(r.bad_why[0], "truncated") != NULL);
	MH_CHECK(strstr(r.bad_why[1], "expected a JSON object") != NULL);
	MH_CHECK(strstr(r.bad_why[2], "':'") != NULL);
	MH_CHECK(strstr(r.bad_why[2], "column 14") != NULL);
	MH_CHECK(strstr(r.bad_why[4], "key") != NULL);
	snap_free(&r);
}

static void test_malformed_stream(void)
{
	run r;

	/* Pretty-printed: the second record is broken, the third is read. */
	run_mem(&r,
		"{\n  \"id.orig_h\": \"10.0.0.1\",\n  \"id.resp_h\": \"2\",\n"
		"  \"id.resp_p\": 25\n}\n"
		"{\n  \"id.orig_h\": \"10.0.0.1\",\n  \"id.resp_p\" 99\n}\n"
		"{\n  \"id.orig_h\": \"10.0.0.1\",\n  \"id.resp_h\": \"2\",\n"
		"  \"id.resp_p\": 110\n}\n"
		"{\n  \"id.orig_h\": \"10.0.0.1\",\n  \"id.resp_p\": ",
		NULL);
	MH_CHECK_EQ_INT(r.nev, 2);
	FV(&r, 0, "DestinationPort", "25");
	FV(&r, 1, "DestinationPort", "110");
	MH_CHECK_EQ_INT(r.ev[1].line, 10);
	MH_CHECK_EQ_INT(r.stats.malformed, 2);
	MH_CHECK_EQ_INT(r.bad_line[0], 6);
	MH_CHECK(strstr(r.bad_why[0], "line 8") != NULL);
	MH_CHECK_EQ_INT(r.bad_line[1], 15);
	MH_CHECK(strstr(r.bad_why[1], "truncated") != NULL);
	snap_free(&r);
}

static void test_caps(void)
{
	size_t depth = 200, cap = depth * 8 + 20000 * 12 + 256;
	char *buf = malloc(cap);
	size_t o = 0;
	run r;

	/* Deep nesting under a mapped prefix and under an unmapped key. */
	o += (size_t)snprintf(buf + o, cap - o, "{\"id\":");
	for (size_t i = 0; i < depth; i++)
		o += (size_t)snprintf(buf + o, cap - o, "{\"id\":");
	o += (size_t)snprintf(buf + o, cap - o, "1");
	for (size_t i = 0; i < depth + 1; i++)
		buf[o++] = '}';
	buf[o++] = '\n';
	o += (size_t)snprintf(buf + o, cap - o, "{\"x\":");
	for (size_t i = 0; i < depth; i++)
		buf[o++] = '[';
	for (size_t i = 0; i < depth; i++)
		buf[o++] = ']';
	o += (size_t)snprintf(buf + o, cap - o, "}\n" ZREC(25) "\n");
	/* Too many keys. */
	buf[o++] = '{';
	for (size_t i = 0; i < 20001; i++)
		o += (size_t)snprintf(buf + o, cap - o, "%s\"k%zu\":1",
				      i ? "," : "", i);
	o += (size_t)snprintf(buf + o, cap - o, "}\n" ZREC(110) "\n");
	buf[o] = 0;

	run_mem(&r, buf, NULL);
	MH_CHECK_EQ_INT(r.nev, 2);
	FV(&r, 0, "DestinationPort", "25");
	FV(&r, 1, "DestinationPort", "110");
	MH_CHECK_EQ_INT(r.stats.malformed, 3);
	MH_CHECK(r.nbad >= 3 && strstr(r.bad_why[0], "nesting") != NULL);
	MH_CHECK(r.nbad >= 3 && strstr(r.bad_why[1], "nesting") != NULL);
	MH_CHECK(r.nbad >= 3 && strstr(r.bad_why[2], "too many keys"));
	MH_CHECK_EQ_INT(r.bad_line[2], 4);
	snap_free(&r);
	free(buf);
}

static void test_long_line(void)
{
	char path[] = "/tmp/mh_test_json_XXXXXX";
	int fd = mkstemp(path);
	size_t big = 200000;
	char *line = malloc(big);
	mh_source_opts o = {.max_record = 65536};
	mh_source *s = NULL;
	FILE *f;
	run r;

	MH_CHECK(fd >= 0);
	f = fdopen(fd, "w");
	memset(line, 'a', big);
	memcpy(line, "{\"subject\":\"", 12);
	fputs(ZREC(25) "\n", f);
	fwrite(line, 1, big, f);
	fputs("\"}\n" ZREC(110) "\n", f);
	fclose(f);
	MH_CHECK_EQ_INT(mh_source_open(path, &o, &s, NULL), MH_OK);
	run_src(&r, s, NULL);
	mh_source_close(s);
	unlink(path);
	MH_CHECK_EQ_INT(r.nev, 2);
	MH_CHECK_EQ_INT(r.stats.malformed, 1);
	MH_CHECK_EQ_INT(r.bad_line[0], 2);
	FV(&r, 1, "DestinationPort", "110");
	MH_CHECK_EQ_INT(r.ev[1].line, 3);
	snap_free(&r);
	free(line);
}

static void test_mixed_dialects(void)
{
	run r;

	run_mem(&r,
		ZREC(25) "\n"
			 "{\"EventID\":3,\"Hostname\":\"H\",\"Channel\":\"c\","
			 "\"UtcTime\":\"2021-03-14 "
			 "06:39:30.227\",\"DestinationPort\":"
			 "\"993\"}\n" ZREC(110) "\n",
		NULL);
	MH_CHECK_EQ_INT(r.nev, 3);
	FV(&r, 0, "Dialect", "zeek");
	FV(&r, 1, "Dialect", "sysmon");
	FV(&r, 1, "DestinationPort", "993");
	FV(&r, 2, "Dialect", "zeek");
	FV(&r, 2, "DestinationPort", "110");
	snap_free(&r);

	/* A record no dialect knows is still an event, not malformed. */
	run_mem(&r, "{\"foo\":1}\n", NULL);
	MH_CHECK_EQ_INT(r.nev, 1);
	MH_CHECK_EQ_INT(r.stats.malformed, 0);
	UNSET(&r, 0, "Dialect");
	snap_free(&r);
}

static void test_gzip_ndjson(void)
{
	static const char text[] = ZREC(25) "\n" ZREC(110) "\n";
	unsigned char out[512];
	z_stream z;
	mh_source *s = NULL;
	run r;

	memset(&z, 0, sizeof(z));
	deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
	z.next_in = (Bytef *)(uintptr_t)text;
	z.avail_in = sizeof(text) - 1;
	z.next_out = out;
	z.avail_out = sizeof(out);
	deflate(&z, Z_FINISH);
	MH_CHECK_EQ_INT(mh_source_open_mem("g.json.gz", out,
					   sizeof(out) - z.avail_out, &s, NULL),
			MH_OK);
	deflateEnd(&z);
	run_src(&r, s, NULL);
	mh_source_close(s);
	MH_CHECK_EQ_INT(r.nev, 2);
	FV(&r, 1, "DestinationPort", "110");
	snap_free(&r);
}

/* --- the corpus
 * --------------------------------------------------------------- */

#define DATA "tests/data/json/"

static void test_corpus_winlogbeat(void)
{
	run r;

	if (!run_file(&r, DATA "zircolite__winlogbeat_sysmon_sample.json",
		      NULL))
		return;
	MH_CHECK_EQ_INT(r.total, 2);
	MH_CHECK_EQ_INT(r.stats.malformed, 0);
	MH_CHECK_EQ_STR(r.dialect, "winlogbeat");
	FV(&r, 0, "EventID", "11");
	FV(&r, 0, "Computer", "s.domain.local");
	FV(&r, 0, "Image", "C:\\Windows\\System32\\svchost.exe");
	FV(&r, 0, "User", "NT AUTHORITY\\LOCAL SERVICE");
	FV(&r, 0, "EventType", "creation");
	FV(&r, 1, "EventID", "13");
	FV(&r, 1, "EventCategory", "configuration\x1fregistry");
	MH_CHECK_EQ_INT(r.ev[1].time_ns, 1707807396707000000LL);
	snap_free(&r);
}

static void test_corpus_zeek_smtp(void)
{
	run r;

	if (!run_file(&r, DATA "elastic__zeek_smtp__test-smtp.log", NULL))
		return;
	MH_CHECK_EQ_INT(r.total, 2);
	MH_CHECK_EQ_INT(r.stats.malformed, 0);
	FV(&r, 0, "Dialect", "zeek");
	FV(&r, 0, "SourceIp", "192.168.1.10");
	FV(&r, 0, "SourcePort", "33782");
	FV(&r, 0, "DestinationIp", "192.168.1.9");
	FV(&r, 0, "DestinationPort", "25");
	FV(&r, 0, "Tls", "true");
	MH_CHECK_EQ_INT(r.ev[0].time_ns, 1543877987381899000LL);
	/* Line 2: the Splunk export's `result` object (the Zeek event in its
	 * _raw is out of scope). */
	FV(&r, 1, "Dialect", "splunk");
	FV(&r, 1, "Computer", "Lees-MBP.localdomain");
	FV(&r, 1, "index", "main");
	FV(&r, 1, "sourcetype", "access_log-too_small");
	MH_CHECK_EQ_INT(r.ev[1].line, 2);
	snap_free(&r);

	if (!run_file(&r,
		      DATA "elastic__zeek_smtp__test-smtp.log-expected.json",
		      NULL))
		return;
	MH_CHECK_EQ_INT(r.total, 2);
	MH_CHECK_EQ_INT(r.stats.malformed, 0);
	MH_CHECK_EQ_STR(r.dialect, "ecs");
	for (size_t i = 0; i < 2 && i < r.nev; i++) {
		FV(&r, i, "SourceIp", "192.168.1.10");
		FV(&r, i, "DestinationPort", "25");
		FV(&r, i, "Protocol", "tcp");
		FV(&r, i, "Service", "smtp");
		FV(&r, i, "EventType", "connection\x1fprotocol");
		FV(&r, i, "Tls", "true");
		MH_CHECK_EQ_INT(r.ev[i].time_ns, 1543877987381000000LL);
	}
	MH_CHECK_EQ_INT(r.ev[0].line, 3);
	MH_CHECK_EQ_INT(r.ev[1].line, 63);
	UNSET(&r, 0, "Computer");
	FV(&r, 1, "Computer", "Lees-MBP.localdomain");
	snap_free(&r);
}

static void test_corpus_evtxdump(void)
{
	run r;

	if (!run_file(&r,
		      DATA "sigma__271de298-cc0e-4842-acd8-079a0a99ea65."
			   "evtx_dump.json",
		      NULL))
		return;
	MH_CHECK_EQ_INT(r.total, 1);
	MH_CHECK_EQ_INT(r.stats.malformed, 0);
	MH_CHECK_EQ_STR(r.dialect, "evtxdump");
	FV(&r, 0, "EventID", "1");
	FV(&r, 0, "Computer", "swachchhanda");
	FV(&r, 0, "Image", "C:\\Windows\\System32\\cmd.exe");
	FV(&r, 0, "CommandLine",
	   "C:\\WINDOWS\\system32\\cmd.exe /d /s /c \"whoami\"");
	FV(&r, 0, "ProcessGuid", "{0197231E-9BE6-6934-5301-000000000B00}");
	FV(&r, 0, "ParentProcessId", "1092");
	FV(&r, 0, "Product",
	   "Microsoft\xc2\xae Windows\xc2\xae Operating System");
	FV(&r, 0, "EventTime", "2025-12-06 21:11:02.632");
	snap_free(&r);
}

static void test_corpus_otrf(void)
{
	run r;

	if (!run_file(&r,
		      DATA "otrf__proxylogon_sysmon_eid1_eid3__lines18-35"
			   ".jsonl",
		      NULL))
		return;
	MH_CHECK_EQ_INT(r.total, 18);
	MH_CHECK_EQ_INT(r.stats.malformed, 0);
	MH_CHECK_EQ_STR(r.dialect, "sysmon");
	FV(&r, 0, "Image",
	   "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\Bin\\"
	   "MSExchangeHMWorker.exe");
	FV(&r, 0, "DestinationPort", "25");
	FV(&r, 0, "Initiated", "true");
	FV(&r, 0, "DestinationIp", "192.168.2.5");
	FV(&r, 0, "EventTime", "2021-03-14 06:39:39.023");
	FV(&r, 16, "DestinationPort", "587");
	FV(&r, 1, "Initiated", "false");
	snap_free(&r);

	if (!run_file(&r, DATA "otrf__aadinternals_adfs__lines205-224.json",
		      NULL))
		return;
	MH_CHECK_EQ_INT(r.total, 20);
	MH_CHECK_EQ_INT(r.stats.malformed, 0);
	FV(&r, 2, "EventID", "3");
	FV(&r, 2, "Image", "<unknown process>");
	FV(&r, 0, "Computer", "ADFS01.blacksmith.local");
	snap_free(&r);

	if (!run_file(&r, DATA "otrf__proxylogon_ssrf_rce_poc__lines1-40.zip",
		      NULL))
		return;
	MH_CHECK_EQ_INT(r.total, 40);
	MH_CHECK_EQ_INT(r.stats.malformed, 0);
	MH_CHECK_EQ_STR(r.dialect, "sysmon");
	FV(&r, 0, "DestinationPort", "443");
	FV(&r, 0, "ProcessId", "12252");
	snap_free(&r);
}

/* The full upstream archives, when ../shared/corpus is present. */
static void test_corpus_full(void)
{
	static const struct {
		const char *path;
		uint64_t records;
	} files[] = {
	    {"../shared/corpus/sysmon_windows_json/"
	     "otrf__proxylogon_ssrf_rce_poc.zip",
	     10487},
	    {"../shared/corpus/sysmon_windows_json/"
	     "otrf__proxylogon_ssrf_rce_poc__sysmon_eid1_eid3.jsonl",
	     130},
	    {"../shared/corpus/sysmon_windows_json/"
	     "otrf__aadinternals_export_adfsdatabaseconfig_remotely_"
	     "2021-04-27040833.json",
	     285},
	};

	for (size_t i = 0; i < MH_ARRAY_LEN(files); i++) {
		run r;

		if (access(files[i].path, R_OK) != 0) {
			printf("notice: %s not present, skipped\n",
			       files[i].path);
			continue;
		}
		if (!run_file(&r, files[i].path, NULL))
			continue;
		MH_CHECK_EQ_INT(r.total, files[i].records);
		MH_CHECK_EQ_INT(r.stats.malformed, 0);
		MH_CHECK_EQ_STR(r.dialect, "sysmon");
		FV(&r, 0, "Computer",
		   i == 2 ? "ADFS01.blacksmith.local"
			  : "MXS01.azsentinel.local");
		snap_free(&r);
	}
}

int main(void)
{
	MH_RUN(test_probe);
	MH_RUN(test_sysmon_flat);
	MH_RUN(test_winlogbeat_and_ecs);
	MH_RUN(test_evtxdump);
	MH_RUN(test_flat_dialects);
	MH_RUN(test_framing);
	MH_RUN(test_envelopes);
	MH_RUN(test_escapes);
	MH_RUN(test_zero_copy_and_literals);
	MH_RUN(test_laziness);
	MH_RUN(test_malformed_ndjson);
	MH_RUN(test_malformed_stream);
	MH_RUN(test_caps);
	MH_RUN(test_long_line);
	MH_RUN(test_mixed_dialects);
	MH_RUN(test_gzip_ndjson);
	MH_RUN(test_corpus_winlogbeat);
	MH_RUN(test_corpus_zeek_smtp);
	MH_RUN(test_corpus_evtxdump);
	MH_RUN(test_corpus_otrf);
	MH_RUN(test_corpus_full);
	MH_DONE();
}
