/* NDJSON writer: exact lines for hand-built alerts. */
#include "mh_test.h"
#include "output_fixture.h"

static const char want1[] =
    "{\"level\":\"high\",\"rule_id\":\"c0ffee00-0000-4000-8000-"
    "000000000001\",\"rule\":\"SMTP beaconing\",\"count\":3,"
    "\"distinct_dst\":1,\"bytes_sent\":1200,"
    "\"first_seen\":\"2021-03-14T06:39:30.227Z\","
    "\"last_seen\":\"2021-03-14T06:39:39.023Z\","
    "\"group\":{\"Computer\":\"WS1\",\"ProcessName\":\"evil.exe\"},"
    "\"users\":[\"CORP\\\\bob\",\"alice\"],\"users_truncated\":false,"
    "\"contributing_rules\":[\"mh_smtp_conn\",\"Title only\"],"
    "\"context\":{\"Computer\":\"WS1\",\"Image\":\"C:\\\\x\\\\evil.exe\","
    "\"CommandLine\":\"evil.exe -x\",\"DestinationIp\":\"203.0.113.5\","
    "\"DestinationPort\":\"587\",\"MailProtocol\":\"SMTP\"}";

static const char want3[] =
    "{\"level\":\"medium\",\"rule_id\":\"mh_fanout\","
    "\"rule\":\"Many mail servers\",\"count\":12,\"distinct_dst\":4,"
    "\"bytes_sent\":null,\"first_seen\":\"2021-03-14T06:39:30.227Z\","
    "\"last_seen\":\"2021-03-14T06:39:30.227Z\","
    "\"group\":{\"Computer\":\"WS;2\\\\x\",\"User\":null},"
    "\"users\":[\"a;b\",\"c\\\\d\"],\"users_truncated\":true,"
    "\"contributing_rules\":[\"mh_smtp_conn\"],"
    "\"context\":{\"DestinationIp\":\"2001:db8::1\","
    "\"DestinationPort\":\"465\"},\"value\":4}\n";

static void test_basic(void)
{
	const mh_alert *al[] = {&fx_alert1, &fx_alert3};
	char want[2048];
	mh_rc rc;
	char *out;

	snprintf(want, sizeof(want), "%s}\n%s", want1, want3);
	out = fx_run(&mh_output_ndjson, al, 2, true, false, NULL, &rc);
	MH_CHECK_EQ_INT(rc, MH_OK);
	MH_CHECK_EQ_STR(out, want);
	free(out);
}

static void test_explain(void)
{
	const mh_alert *al[] = {&fx_alert1, &fx_alert3};
	char want[2048];
	mh_rc rc;
	char *out;

	/* events only when explain is on and refs exist */
	snprintf(want, sizeof(want),
		 "%s,\"events\":[\"a.json:3\",\"a.json:7\"]}\n%s", want1,
		 want3);
	out = fx_run(&mh_output_ndjson, al, 2, false, true, NULL, &rc);
	MH_CHECK_EQ_INT(rc, MH_OK);
	MH_CHECK_EQ_STR(out, want);
	free(out);
}

static void test_hostile_and_empty(void)
{
	static const mh_corr avg = {.type = MH_CORR_VALUE_AVG};
	static const mh_rule r = {
	    .is_correlation = true,
	    .title = "T \"q\" \\ \x1b[2J",
	    .level = MH_LVL_CRITICAL,
	    .corr = &avg,
	};
	static const mh_alert_kv ctx[] = {
	    KV("CommandLine", MH_F_COMMAND_LINE,
	       "a\r\nb\x07\xff\xe2\x82\xac\xf0\x9f\x98\x80"),
	};
	static const mh_str refs[] = {S("x\n.json:1")};
	mh_alert a = {
	    .rule = &r,
	    .level = MH_LVL_CRITICAL,
	    .count = 1,
	    .bytes_set = true,
	    .bytes_sent = -5,
	    .first_ns = 0,
	    .last_ns = 1000000,
	    .value = 2.5,
	    .nctx = 1,
	    .ctx = ctx,
	    .nrefs = 1,
	    .refs = refs,
	};
	const mh_alert *al[] = {&a};
	mh_rc rc;
	char *out;

	out = fx_run(&mh_output_ndjson, al, 1, false, true, NULL, &rc);
	MH_CHECK_EQ_INT(rc, MH_OK);
	MH_CHECK_EQ_STR(
	    out, "{\"level\":\"critical\",\"rule_id\":\"T \\\"q\\\" \\\\ "
		 "\\u001b[2J\",\"rule\":\"T \\\"q\\\" \\\\ \\u001b[2J\","
		 "\"count\":1,\"distinct_dst\":0,\"bytes_sent\":-5,"
		 "\"first_seen\":\"1970-01-01T00:00:00Z\","
		 "\"last_seen\":\"1970-01-01T00:00:00.001Z\",\"group\":{},"
		 "\"users\":[],\"users_truncated\":false,"
		 "\"contributing_rules\":[],\"context\":{\"CommandLine\":"
		 "\"a\\u000d\\u000ab\\u0007\\ufffd\xe2\x82\xac"
		 "\xf0\x9f\x98\x80\"},\"value\":2.5,"
		 "\"events\":[\"x\\u000a.json:1\"]}\n");
	free(out);

	/* value forms: fraction, large, NaN -> null */
	a.value = 0.1;
	a.nrefs = 0; /* explain on, no refs: no "events" key */
	out = fx_run(&mh_output_ndjson, al, 1, false, true, NULL, &rc);
	MH_CHECK(out && strstr(out, ",\"value\":0.1}\n"));
	free(out);
	a.value = 1e20;
	out = fx_run(&mh_output_ndjson, al, 1, false, false, NULL, &rc);
	MH_CHECK(out && strstr(out, ",\"value\":1e+20}\n"));
	free(out);
	a.value = 0.0 / 0.0;
	out = fx_run(&mh_output_ndjson, al, 1, false, false, NULL, &rc);
	MH_CHECK(out && strstr(out, ",\"value\":null}\n"));
	free(out);
}

static void test_no_alerts_and_errors(void)
{
	mh_summary s = {.events = 5};
	mh_rc rc;
	char *out;

	out = fx_run(&mh_output_ndjson, NULL, 0, false, false, &s, &rc);
	MH_CHECK_EQ_INT(rc, MH_OK);
	MH_CHECK_EQ_STR(out, ""); /* the summary is the CLI's, on stderr */
	free(out);
	MH_CHECK_EQ_INT(fx_run_full(&mh_output_ndjson, &fx_alert1, &s), MH_EIO);
}

static void test_find(void)
{
	MH_CHECK(mh_writer_find("ndjson") == &mh_output_ndjson);
	MH_CHECK(mh_writer_find("csv") == &mh_output_csv);
	MH_CHECK(mh_writer_find("table") == &mh_output_table);
	MH_CHECK(mh_writer_find("json") == NULL);
	MH_CHECK(mh_writer_find(NULL) == NULL);
	MH_CHECK(mh_writers[0] == &mh_output_table);
	MH_CHECK(mh_writers[1] == &mh_output_ndjson);
	MH_CHECK(mh_writers[2] == &mh_output_csv);
	MH_CHECK(mh_writers[3] == NULL);
}

int main(void)
{
	MH_RUN(test_basic);
	MH_RUN(test_explain);
	MH_RUN(test_hostile_and_empty);
	MH_RUN(test_no_alerts_and_errors);
	MH_RUN(test_find);
	MH_DONE();
}
