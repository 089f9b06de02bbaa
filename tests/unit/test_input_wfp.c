/* Windows Security 5156/5157/5158 (Filtering Platform): the "winsec" JSON
 * dialect (src/input/dialect_wfp.c) on the OTRF corpus files, and the
 * normalisation of Direction (%%14593/%%14592), ProcessName (\device
 * paths), Outcome and ICMP ports. */
#include "event/normalize.h"
#include "input/dialect.h"
#include "input/input.h"
#include "mh_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DATA "tests/data/wfp/"

static int nbad;

static void on_bad(void *ud, const char *file, uint64_t line,
		   const char *reason)
{
	(void)ud;
	(void)file;
	(void)line;
	fprintf(stderr, "malformed: %s\n", reason);
	nbad++;
}

static const mh_portmap_entry ports[] = {
    {25, "SMTP"},  {465, "SMTP"}, {587, "SMTP"}, {2525, "SMTP"},
    {110, "POP3"}, {995, "POP3"}, {143, "IMAP"}, {993, "IMAP"},
};

typedef struct harness {
	mh_reader r;
	mh_event ev;
	mh_arena arena;
	mh_err err;
} harness;

static void h_open_src(harness *h, mh_source *src)
{
	memset(h, 0, sizeof(*h));
	nbad = 0;
	mh_arena_init(&h->arena, 4096, 0);
	h->ev.arena = &h->arena;
	h->r.ops = &mh_input_json;
	h->r.src = src;
	h->r.on_malformed = on_bad;
	MH_CHECK_EQ_INT(mh_input_json.open(&h->r, &h->err), MH_OK);
}

static void h_open_path(harness *h, const char *path)
{
	mh_source *src = NULL;

	MH_CHECK_EQ_INT(mh_source_open(path, NULL, &src, NULL), MH_OK);
	h_open_src(h, src);
}

static void h_open_text(harness *h, const char *text)
{
	mh_source *src = NULL;

	MH_CHECK_EQ_INT(
	    mh_source_open_mem("mem.json", text, strlen(text), &src, NULL),
	    MH_OK);
	h_open_src(h, src);
}

static mh_rc h_next(harness *h)
{
	mh_norm_ctx ctx = {.ports = ports, .nports = MH_ARRAY_LEN(ports)};
	mh_rc rc = mh_input_json.next(&h->r, &h->ev, &h->err);

	if (rc == MH_OK)
		mh_event_normalize(&ctx, &h->ev);
	return rc;
}

static void h_close(harness *h)
{
	mh_input_json.close(&h->r);
	mh_source_close(h->r.src);
	mh_arena_free(&h->arena);
}

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

static bool is(const mh_event *ev, mh_field f, const char *v)
{
	return strcmp(get(ev, f), v) == 0;
}

/* proxylogon: 217 records (132x 5156, 85x 5158), the four 5156 on the
 * SMTP ports 25/2525. */
static void test_proxylogon(void)
{
	harness h;
	int n = 0, out = 0, in = 0, smtp = 0, allowed = 0;

	h_open_path(&h, DATA "otrf__proxylogon_ssrf_rce_poc__security_5156_"
			     "5158.jsonl");
	while (h_next(&h) == MH_OK) {
		n++;
		MH_CHECK_EQ_STR(get(&h.ev, MH_F_DIALECT), "winsec");
		MH_CHECK(mh_event_has(&h.ev, MH_F_TIME));
		MH_CHECK_EQ_STR(get(&h.ev, MH_F_HOST),
				"MXS01.azsentinel.local");
		MH_CHECK(mh_event_has(&h.ev, MH_F_PROCESS_ID));
		/* Image keeps the \device path; ProcessName is its basename */
		MH_CHECK(strncmp(get(&h.ev, MH_F_IMAGE), "\\device\\", 8) ==
			     0 ||
			 is(&h.ev, MH_F_IMAGE, "System"));
		MH_CHECK(strchr(get(&h.ev, MH_F_PROCESS_NAME), '\\') == NULL);
		out += is(&h.ev, MH_F_DIRECTION, "outbound");
		in += is(&h.ev, MH_F_DIRECTION, "inbound");
		allowed += is(&h.ev, MH_F_OUTCOME, "allowed");
		if (is(&h.ev, MH_F_MAIL_PROTOCOL, "SMTP")) {
			smtp++;
			MH_CHECK_EQ_STR(get(&h.ev, MH_F_EVENT_ID), "5156");
			MH_CHECK_EQ_STR(get(&h.ev, MH_F_PROTOCOL), "6");
		}
		if (h.ev.line == 134) {
			MH_CHECK_EQ_STR(get(&h.ev, MH_F_PROCESS_NAME),
					"msexchangehmworker.exe");
			MH_CHECK_EQ_STR(get(&h.ev, MH_F_EVENT_DIRECTION),
					"%%14593");
			MH_CHECK_EQ_STR(get(&h.ev, MH_F_DIRECTION), "outbound");
			MH_CHECK_EQ_STR(get(&h.ev, MH_F_SOURCE_IP),
					"127.0.0.1");
			MH_CHECK_EQ_STR(get(&h.ev, MH_F_SOURCE_PORT), "30069");
			MH_CHECK_EQ_STR(get(&h.ev, MH_F_DESTINATION_IP),
					"127.0.0.1");
			MH_CHECK_EQ_STR(get(&h.ev, MH_F_DESTINATION_PORT),
					"25");
			MH_CHECK_EQ_STR(get(&h.ev, MH_F_PROCESS_ID), "12252");
			MH_CHECK_EQ_STR(get(&h.ev, MH_F_TIME),
					"2021-03-14T01:40:15.425Z");
		}
		if (h.ev.line == 138) {
			MH_CHECK_EQ_STR(get(&h.ev, MH_F_PROCESS_NAME),
					"edgetransport.exe");
			MH_CHECK_EQ_STR(get(&h.ev, MH_F_DIRECTION), "inbound");
			MH_CHECK_EQ_STR(get(&h.ev, MH_F_DESTINATION_PORT),
					"2525");
		}
		if (h.ev.line == 1) {
			/* 5158 (bind): ProcessId spelling, no direction */
			MH_CHECK_EQ_STR(get(&h.ev, MH_F_EVENT_ID), "5158");
			MH_CHECK_EQ_STR(get(&h.ev, MH_F_PROCESS_ID), "12252");
			MH_CHECK_EQ_STR(get(&h.ev, MH_F_DIRECTION), "(unset)");
		}
	}
	MH_CHECK_EQ_INT(n, 217);
	MH_CHECK_EQ_INT(out, 82);
	MH_CHECK_EQ_INT(in, 50);
	MH_CHECK_EQ_INT(smtp, 4);
	MH_CHECK_EQ_INT(allowed, 217);
	MH_CHECK_EQ_INT(nbad, 0);
	MH_CHECK_EQ_STR(h.r.dialect, "winsec");
	h_close(&h);
}

/* ntdsutil: ICMPv6 (58) keeps its type in the port fields; "143" (MLDv2
 * report) must not become IMAP. */
static void test_ntdsutil_icmp(void)
{
	harness h;
	int n = 0, icmp = 0, imap = 0, mail = 0;

	h_open_path(&h, DATA "otrf__cmd_dumping_ntds_dit_file_ntdsutil__"
			     "security_5156_5158.jsonl");
	while (h_next(&h) == MH_OK) {
		n++;
		MH_CHECK_EQ_STR(get(&h.ev, MH_F_DIALECT), "winsec");
		if (is(&h.ev, MH_F_PROTOCOL, "58")) {
			icmp++;
			MH_CHECK(!mh_event_has(&h.ev, MH_F_SOURCE_PORT));
			MH_CHECK(!mh_event_has(&h.ev, MH_F_DESTINATION_PORT));
			MH_CHECK_EQ_STR(get(&h.ev, MH_F_PROCESS_NAME),
					"System");
		}
		if (h.ev.line == 36) {
			MH_CHECK_EQ_STR(get(&h.ev, MH_F_PROTOCOL), "58");
			MH_CHECK_EQ_STR(get(&h.ev, MH_F_SOURCE_IP),
					"fe80::3b31:a8fa:5adc:7b9e");
			MH_CHECK_EQ_STR(get(&h.ev, MH_F_SOURCE_PORT),
					"(unset)");
			MH_CHECK_EQ_STR(get(&h.ev, MH_F_DIRECTION), "outbound");
		}
		imap += is(&h.ev, MH_F_MAIL_PROTOCOL, "IMAP");
		mail += mh_event_has(&h.ev, MH_F_MAIL_PROTOCOL);
	}
	MH_CHECK_EQ_INT(n, 201);
	MH_CHECK_EQ_INT(icmp, 32);
	MH_CHECK_EQ_INT(imap, 0);
	MH_CHECK_EQ_INT(mail, 0);
	MH_CHECK_EQ_INT(nbad, 0);
	h_close(&h);
}

/* Detection: a 5156 record is winsec, a Sysmon record stays sysmon. */
static void test_detection(void)
{
	static const mh_str wfp[] = {
	    MH_STR_LIT("SourceName"),	 MH_STR_LIT("ProviderGuid"),
	    MH_STR_LIT("Keywords"),	 MH_STR_LIT("Channel"),
	    MH_STR_LIT("Hostname"),	 MH_STR_LIT("EventID"),
	    MH_STR_LIT("Application"),	 MH_STR_LIT("Direction"),
	    MH_STR_LIT("SourceAddress"), MH_STR_LIT("DestAddress"),
	    MH_STR_LIT("FilterRTID"),	 MH_STR_LIT("LayerRTID"),
	};
	static const mh_str bind[] = {
	    MH_STR_LIT("SourceName"),	 MH_STR_LIT("Hostname"),
	    MH_STR_LIT("EventID"),	 MH_STR_LIT("Application"),
	    MH_STR_LIT("SourceAddress"), MH_STR_LIT("FilterRTID"),
	};
	static const mh_str sysmon[] = {
	    MH_STR_LIT("SourceName"),	   MH_STR_LIT("ProviderGuid"),
	    MH_STR_LIT("Keywords"),	   MH_STR_LIT("Channel"),
	    MH_STR_LIT("Hostname"),	   MH_STR_LIT("EventID"),
	    MH_STR_LIT("UtcTime"),	   MH_STR_LIT("ProcessGuid"),
	    MH_STR_LIT("Image"),	   MH_STR_LIT("DestinationIp"),
	    MH_STR_LIT("DestinationPort"),
	};
	const mh_dialect *d;

	MH_CHECK(mh_dialect_find("winsec") == &mh_dialect_winsec);
	d = mh_dialect_detect(wfp, MH_ARRAY_LEN(wfp));
	MH_CHECK(d != NULL && strcmp(d->name, "winsec") == 0);
	d = mh_dialect_detect(bind, MH_ARRAY_LEN(bind));
	MH_CHECK(d != NULL && strcmp(d->name, "winsec") == 0);
	d = mh_dialect_detect(sysmon, MH_ARRAY_LEN(sysmon));
	MH_CHECK(d != NULL && strcmp(d->name, "sysmon") == 0);
}

/* Inline records: inbound %%14592, 5157 denied, ICMP (1) ports. */
static void test_inline(void)
{
	harness h;

	h_open_text(
	    &h, "{\"SourceName\":\"Microsoft-Windows-Security-Auditing\","
		"\"Channel\":\"Security\",\"Hostname\":\"h\",\"EventID\":"
		"5157,\"Application\":\"\\\\device\\\\harddiskvolume3\\\\"
		"users\\\\u\\\\a.exe\",\"Direction\":\"%%14592\","
		"\"SourceAddress\":\"198.51.100.7\",\"SourcePort\":\"50123\","
		"\"DestAddress\":\"10.0.0.5\",\"DestPort\":\"993\","
		"\"Protocol\":\"6\",\"FilterRTID\":\"1\"}\n"
		"{\"SourceName\":\"Microsoft-Windows-Security-Auditing\","
		"\"Channel\":\"Security\",\"Hostname\":\"h\",\"EventID\":"
		"5156,\"Application\":\"System\",\"Direction\":\"%%14593\","
		"\"SourceAddress\":\"10.0.0.5\",\"SourcePort\":\"8\","
		"\"DestAddress\":\"10.0.0.1\",\"DestPort\":\"110\","
		"\"Protocol\":\"1\",\"FilterRTID\":\"1\"}\n");
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_DIRECTION), "inbound");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_OUTCOME), "denied");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_PROCESS_NAME), "a.exe");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_IMAGE),
			"\\device\\harddiskvolume3\\users\\u\\a.exe");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_MAIL_PROTOCOL), "IMAP");
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_DIRECTION), "outbound");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_OUTCOME), "allowed");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_SOURCE_PORT), "(unset)");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_DESTINATION_PORT), "(unset)");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_MAIL_PROTOCOL), "(unset)");
	MH_CHECK_EQ_INT(h_next(&h), MH_EOF);
	h_close(&h);
}

/* normalize.c alone: the ICMP rule and the two message ids, whatever
 * the reader. */
static void test_normalize(void)
{
	static const char *icmp[] = {"1",      "58",   "icmp",
				     "ICMPv6", " 58 ", "ipv6-icmp"};
	mh_norm_ctx ctx = {.ports = ports, .nports = MH_ARRAY_LEN(ports)};
	mh_arena a;
	mh_event ev;

	mh_arena_init(&a, 1024, 0);
	for (size_t i = 0; i < MH_ARRAY_LEN(icmp); i++) {
		memset(&ev, 0, sizeof(ev));
		ev.arena = &a;
		mh_event_set(&ev, MH_F_PROTOCOL, icmp[i], strlen(icmp[i]));
		mh_event_set(&ev, MH_F_SOURCE_PORT, "143", 3);
		mh_event_set(&ev, MH_F_DESTINATION_PORT, "143", 3);
		mh_event_normalize(&ctx, &ev);
		MH_CHECK(!mh_event_has(&ev, MH_F_SOURCE_PORT));
		MH_CHECK(!mh_event_has(&ev, MH_F_DESTINATION_PORT));
		MH_CHECK(!mh_event_has(&ev, MH_F_MAIL_PROTOCOL));
	}
	/* TCP keeps its ports; "17"/"udp" too */
	memset(&ev, 0, sizeof(ev));
	ev.arena = &a;
	mh_event_set(&ev, MH_F_PROTOCOL, "6", 1);
	mh_event_set(&ev, MH_F_DESTINATION_PORT, "143", 3);
	mh_event_set(&ev, MH_F_EVENT_DIRECTION, "%%14593", 7);
	mh_event_normalize(&ctx, &ev);
	MH_CHECK_EQ_STR(get(&ev, MH_F_MAIL_PROTOCOL), "IMAP");
	MH_CHECK_EQ_STR(get(&ev, MH_F_DIRECTION), "outbound");
	memset(&ev, 0, sizeof(ev));
	ev.arena = &a;
	mh_event_set(&ev, MH_F_EVENT_DIRECTION, "%%14592", 7);
	mh_event_normalize(&ctx, &ev);
	MH_CHECK_EQ_STR(get(&ev, MH_F_DIRECTION), "inbound");
	/* an unknown message id falls through to Initiated */
	memset(&ev, 0, sizeof(ev));
	ev.arena = &a;
	mh_event_set(&ev, MH_F_EVENT_DIRECTION, "%%14609", 7);
	mh_event_set(&ev, MH_F_INITIATED, "false", 5);
	mh_event_normalize(&ctx, &ev);
	MH_CHECK_EQ_STR(get(&ev, MH_F_DIRECTION), "inbound");
	mh_arena_free(&a);
}

int main(void)
{
	MH_RUN(test_proxylogon);
	MH_RUN(test_ntdsutil_icmp);
	MH_RUN(test_detection);
	MH_RUN(test_inline);
	MH_RUN(test_normalize);
	MH_DONE();
}
