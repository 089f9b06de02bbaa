/* Suricata EVE JSON through the JSON reader and the "suricata" dialect
 * (src/input/dialect_net.c): detection, field mapping per event type,
 * lists, time zone offsets, malformed lines, and that the dialect does
 * not take records of other dialects that share key names. */
#include "event/normalize.h"
#include "input/dialect.h"
#include "input/input.h"
#include "mh_test.h"
#include "reader_harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S 1000000000LL

static void h_open_src(harness *h, mh_source *src)
{
	rh_open_src(h, &mh_input_json, src, NULL);
}

static void h_open(harness *h, const char *text)
{
	rh_open_mem(h, &mh_input_json, "eve.json", text, strlen(text), NULL);
}

#define h_next rh_next
#define h_close rh_close

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

static const char eve_smtp[] =
    "{\"timestamp\":\"2024-05-02T09:00:01.398812+0000\",\"flow_id\":"
    "1198306543156202,\"in_iface\":\"ens3\",\"event_type\":\"smtp\","
    "\"src_ip\":\"10.1.2.30\",\"src_port\":50412,\"dest_ip\":"
    "\"198.51.100.25\",\"dest_port\":587,\"proto\":\"TCP\",\"tx_id\":0,"
    "\"smtp\":{\"helo\":\"WS30\",\"mail_from\":\"<svc@corp.example>\","
    "\"rcpt_to\":[\"<a@mail.example.net>\",\"<b@mail.example.net>\"]},"
    "\"email\":{\"status\":\"PARSE_DONE\",\"from\":\"svc@corp.example\","
    "\"to\":[\"a@mail.example.net\"],\"subject\":\"report 1\"}}\n";

static const char eve_flow[] =
    "{\"timestamp\":\"2024-05-02T11:00:03.250000+0200\",\"flow_id\":42,"
    "\"in_iface\":\"ens3\",\"event_type\":\"flow\",\"src_ip\":"
    "\"10.1.2.32\",\"src_port\":52001,\"dest_ip\":\"192.0.2.80\","
    "\"dest_port\":8025,\"proto\":\"TCP\",\"app_proto\":\"smtp\","
    "\"flow\":{\"pkts_toserver\":10,\"pkts_toclient\":3,"
    "\"bytes_toserver\":5120,\"bytes_toclient\":900,\"start\":"
    "\"2024-05-02T11:00:00.250000+0200\",\"end\":"
    "\"2024-05-02T11:00:03.250000+0200\",\"age\":3,\"state\":\"closed\","
    "\"reason\":\"shutdown\",\"alerted\":false}}\n";

static const char eve_alert[] =
    "{\"timestamp\":\"2024-05-02T09:20:01.502000+0000\",\"flow_id\":7,"
    "\"in_iface\":\"ens3\",\"event_type\":\"alert\",\"src_ip\":"
    "\"10.1.2.30\",\"src_port\":50433,\"dest_ip\":\"198.51.100.25\","
    "\"dest_port\":587,\"proto\":\"TCP\",\"alert\":{\"action\":\"blocked\","
    "\"gid\":1,\"signature_id\":2000001,\"rev\":1,\"signature\":"
    "\"LOCAL SMTP AUTH\",\"category\":\"x\",\"severity\":2},"
    "\"app_proto\":\"smtp\"}\n";

static void test_smtp_event(void)
{
	harness h;

	h_open(&h, eve_smtp);
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	MH_CHECK_EQ_STR(h.r.dialect, "suricata");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_DIALECT), "suricata");
	MH_CHECK_EQ_INT(h.ev.time_ns, 1714640401LL * S + 398812000);
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_UID), "1198306543156202");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_EVENT_TYPE), "smtp");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_SOURCE_IP), "10.1.2.30");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_SOURCE_PORT), "50412");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_DESTINATION_IP), "198.51.100.25");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_DESTINATION_PORT), "587");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_PROTOCOL), "TCP");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_HELO), "WS30");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_MAIL_FROM), "<svc@corp.example>");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_RCPT_TO),
			"<a@mail.example.net>|<b@mail.example.net>");
	MH_CHECK(mh_fieldset_has(&h.ev.multi, MH_F_RCPT_TO));
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_SUBJECT), "report 1");
	MH_CHECK(!mh_event_has(&h.ev, MH_F_SERVICE));
	MH_CHECK_EQ_INT(h_next(&h), MH_EOF);
	MH_CHECK_EQ_INT(h.r.stats.malformed, 0);
	h_close(&h);
}

static void test_flow_and_alert(void)
{
	char text[4096];
	harness h;

	snprintf(text, sizeof(text), "%s%s", eve_flow, eve_alert);
	h_open(&h, text);
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	/* +0200 offset: 09:00:03.25 UTC */
	MH_CHECK_EQ_INT(h.ev.time_ns, 1714640403LL * S + 250000000);
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_EVENT_TYPE), "flow");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_SERVICE), "smtp");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_BYTES_SENT), "5120");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_BYTES_RECEIVED), "900");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_DESTINATION_PORT), "8025");
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_EVENT_TYPE), "alert");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_ACTION), "blocked");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_RULE_NAME), "LOCAL SMTP AUTH");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_SERVICE), "smtp");
	MH_CHECK_EQ_INT(h_next(&h), MH_EOF);
	MH_CHECK_EQ_INT(h.r.stats.records, 2);
	h_close(&h);
}

static void test_malformed_lines(void)
{
	char text[4096];
	harness h;

	/* a truncated line (sensor killed mid-write) and garbage between
	 * two good records: both good records survive */
	snprintf(text, sizeof(text),
		 "%s{\"timestamp\":\"2024-05-02T09:00:01.0+0000\",\"flow_"
		 "\n\x01\x02garbage\xff\n%s",
		 eve_smtp, eve_flow);
	h_open(&h, text);
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_HELO), "WS30");
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_DESTINATION_PORT), "8025");
	MH_CHECK_EQ_INT(h.ev.line, 4);
	MH_CHECK_EQ_INT(h_next(&h), MH_EOF);
	MH_CHECK_EQ_INT(h.r.stats.records, 2);
	MH_CHECK_EQ_INT(h.r.stats.malformed, 2);
	h_close(&h);
}

static void test_dialect_detection(void)
{
	static const char *const eve_keys[] = {
	    "timestamp", "flow_id", "in_iface",	 "event_type", "src_ip",
	    "src_port",	 "dest_ip", "dest_port", "proto",      "app_proto"};
	static const char *const cim_keys[] = {
	    "_time", "src_ip", "dest_ip",    "dest_port",
	    "app",   "action", "sourcetype", "index"};
	mh_str k[16];
	const mh_dialect *d;

	MH_CHECK(mh_dialect_find("suricata") == &mh_dialect_suricata);
	for (size_t i = 0; i < 10; i++)
		k[i] = (mh_str){eve_keys[i], strlen(eve_keys[i])};
	d = mh_dialect_detect(k, 10);
	MH_CHECK(d != NULL && strcmp(d->name, "suricata") == 0);
	/* Splunk CIM shares src_ip/dest_ip/dest_port: still splunk */
	for (size_t i = 0; i < 8; i++)
		k[i] = (mh_str){cim_keys[i], strlen(cim_keys[i])};
	d = mh_dialect_detect(k, 8);
	MH_CHECK(d != NULL && strcmp(d->name, "splunk") == 0);
	/* a bare EVE stats record: timestamp + event_type */
	k[0] = (mh_str){"timestamp", 9};
	k[1] = (mh_str){"event_type", 10};
	k[2] = (mh_str){"stats.uptime", 12};
	d = mh_dialect_detect(k, 3);
	MH_CHECK(d != NULL && strcmp(d->name, "suricata") == 0);
	MH_CHECK(mh_dialect_lookup(&mh_dialect_suricata, "smtp.rcpt_to", 12)
		     ->field == MH_F_RCPT_TO);
	MH_CHECK(
	    mh_dialect_lookup(&mh_dialect_suricata, "flow.bytes_toserver", 19)
		->field == MH_F_BYTES_SENT);
}

static void test_fixture_file(void)
{
	mh_source *src = NULL;
	harness h;
	int n = 0, flows = 0;

	MH_CHECK_EQ_INT(mh_source_open("tests/data/eve/mail_sessions.eve.json",
				       NULL, &src, NULL),
			MH_OK);
	if (!src)
		return;
	h_open_src(&h, src);
	while (h_next(&h) == MH_OK) {
		const mh_str *t = mh_event_get(&h.ev, MH_F_EVENT_TYPE);
		n++;
		MH_CHECK(mh_event_has(&h.ev, MH_F_TIME));
		if (t && t->n == 4 && memcmp(t->p, "flow", 4) == 0) {
			flows++;
			MH_CHECK(mh_event_has(&h.ev, MH_F_SERVICE));
			MH_CHECK(mh_event_has(&h.ev, MH_F_BYTES_SENT));
		}
	}
	MH_CHECK_EQ_INT(n, 16);
	MH_CHECK_EQ_INT(flows, 11);
	MH_CHECK_EQ_INT(h.r.stats.malformed, 0);
	MH_CHECK_EQ_STR(h.r.dialect, "suricata");
	h_close(&h);
}

/* Random mutations of EVE lines: never a crash, every event has a time
 * or was counted malformed. */
static void test_mutations(void)
{
	char base[2048], buf[2048];
	size_t n;
	unsigned x = 7;

	n = (size_t)snprintf(base, sizeof(base), "%s%s%s", eve_smtp, eve_flow,
			     eve_alert);
	for (int round = 0; round < 2000; round++) {
		mh_source *src = NULL;
		harness h;
		mh_rc rc;

		memcpy(buf, base, n);
		for (int k = 0; k < 1 + round % 6; k++) {
			x = x * 1103515245u + 12345u;
			buf[(x >> 8) % n] =
			    (char)"{}[]\",:\\\n0a"[(x >> 4) % 11];
		}
		MH_CHECK_EQ_INT(mh_source_open_mem("m", buf, n, &src, NULL),
				MH_OK);
		h_open_src(&h, src);
		while ((rc = h_next(&h)) == MH_OK)
			;
		MH_CHECK(rc == MH_EOF);
		h_close(&h);
	}
}

int main(void)
{
	MH_RUN(test_smtp_event);
	MH_RUN(test_flow_and_alert);
	MH_RUN(test_malformed_lines);
	MH_RUN(test_dialect_detection);
	MH_RUN(test_fixture_file);
	MH_RUN(test_mutations);
	MH_DONE();
}
